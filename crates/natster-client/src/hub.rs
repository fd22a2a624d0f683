//! The hub, from an account's side: registration and public lookups over
//! HTTP ([`HubHttp`]), changes to the caller's own account over NATS
//! ([`HubClient`]).

use std::time::Duration;

use data_encoding::BASE64URL_NOPAD;
use natster_auth::KeyPair;
use natster_proto::hub::{
    AccountJwtResponse, InfoResponse, NonceResponse, RegisterRequest, RegisterResponse,
};
use natster_proto::request::{Hub, Request};
use natster_proto::{ApiResponse, subjects};
use serde::de::DeserializeOwned;

use crate::error::{Error, Result};
use crate::request::{DEFAULT_TIMEOUT, request};

/// The hub's HTTP API.
#[derive(Debug, Clone)]
pub struct HubHttp {
    base: String,
    http: reqwest::Client,
}

impl HubHttp {
    /// A client for the hub at `url` (`http://HOST:PORT` or `https://HOST`).
    pub fn new(url: &str) -> Result<Self> {
        let base = url.trim().trim_end_matches('/').to_owned();
        let rest = base
            .strip_prefix("http://")
            .or_else(|| base.strip_prefix("https://"));
        if rest.is_none_or(|r| r.is_empty() || r.contains(char::is_whitespace)) {
            return Err(Error::bad_request(format!(
                "invalid hub URL {url:?}: use http://HOST:PORT or https://HOST"
            )));
        }
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(15))
            .build()
            .map_err(|source| Error::Http {
                url: base.clone(),
                source,
            })?;
        Ok(Self { base, http })
    }

    /// The base URL.
    pub fn url(&self) -> &str {
        &self.base
    }

    async fn call<T: DeserializeOwned>(
        &self,
        op: &'static str,
        req: reqwest::RequestBuilder,
    ) -> Result<T> {
        let http_err = |source: reqwest::Error| Error::Http {
            url: self.base.clone(),
            source: source.without_url(),
        };
        let resp = req.send().await.map_err(http_err)?;
        let body = resp.bytes().await.map_err(http_err)?;
        let parsed: ApiResponse<T> =
            serde_json::from_slice(&body).map_err(|source| Error::Decode {
                service: "hub",
                op,
                source,
            })?;
        parsed.into_result().map_err(|error| Error::Api {
            service: "hub",
            op,
            error,
        })
    }

    /// A registration nonce (`GET /api/v1/nonce`).
    pub async fn nonce(&self) -> Result<NonceResponse> {
        let url = format!("{}/api/v1/nonce", self.base);
        self.call("nonce", self.http.get(url)).await
    }

    /// Sends a registration (`POST /api/v1/register`).
    pub async fn register(&self, req: &RegisterRequest) -> Result<RegisterResponse> {
        let url = format!("{}/api/v1/register", self.base);
        self.call("register", self.http.post(url).json(req)).await
    }

    /// Any account's JWT (`GET /api/v1/accounts/{key}`). Not verified here:
    /// see `Context::account_claims`.
    pub async fn account_jwt(&self, account: &str) -> Result<String> {
        let url = format!("{}/api/v1/accounts/{account}", self.base);
        let r: AccountJwtResponse = self.call("account lookup", self.http.get(url)).await?;
        Ok(r.jwt)
    }

    /// Hub info and the operator JWT (`GET /api/v1/info`).
    pub async fn info(&self) -> Result<InfoResponse> {
        let url = format!("{}/api/v1/info", self.base);
        self.call("info", self.http.get(url)).await
    }

    /// Registers `identity` (whose seed stays here: only its signature of
    /// the hub's nonce is sent) with `signing_key`.
    pub async fn register_account(
        &self,
        identity: &KeyPair,
        signing_key: &str,
        name: &str,
        invite: Option<&str>,
    ) -> Result<RegisterResponse> {
        let nonce = self.nonce().await?.nonce;
        let sig = identity
            .sign(nonce.as_bytes())
            .map_err(|e| Error::invalid("cannot sign the hub's nonce", e))?;
        let req = RegisterRequest {
            account: identity.public_key(),
            signing_key: signing_key.to_owned(),
            name: name.to_owned(),
            nonce,
            signature: BASE64URL_NOPAD.encode(&sig),
            invite: invite.map(str::to_owned),
        };
        self.register(&req).await
    }
}

/// Changes to the caller's own account, over NATS: `<me>.natster.hub.<op>`.
/// nats-server pins token 1 to the connection's account, so `me` must be it.
#[derive(Debug, Clone)]
pub struct HubClient {
    client: async_nats::Client,
    me: String,
}

impl HubClient {
    /// A client for account `me` over `client` (any user of that account).
    pub fn new(client: async_nats::Client, me: impl Into<String>) -> Self {
        Self {
            client,
            me: me.into(),
        }
    }

    /// Sends `req`; every change answers with the account JWT now in force.
    pub async fn call<R: Request<Service = Hub>>(&self, req: &R) -> Result<R::Reply> {
        request(
            &self.client,
            subjects::hub(&self.me, R::OP),
            req,
            DEFAULT_TIMEOUT,
        )
        .await
    }

    /// Applies a change to the account; returns the account JWT now in force.
    pub async fn change<R>(&self, req: &R) -> Result<String>
    where
        R: Request<Service = Hub, Reply = AccountJwtResponse>,
    {
        Ok(self.call(req).await?.jwt)
    }
}
