//! The client side of the hub API, used by `natster init` and friends:
//! registration over HTTP and account changes over NATS.

use std::time::Duration;

use data_encoding::BASE64URL_NOPAD;
use natster_auth::KeyPair;
use natster_proto::hub::{
    AccountJwtResponse, HubInfo, NonceResponse, RegisterRequest, RegisterResponse,
};
use natster_proto::{ApiError, ApiResponse, subjects};
use serde::Serialize;
use serde::de::DeserializeOwned;

/// A failed hub call.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// The URL is not usable.
    #[error("invalid hub URL {0:?}: use http://HOST:PORT or https://HOST")]
    Url(String),
    /// The hub could not be reached.
    #[error("cannot reach the hub at {url}: {detail}")]
    Unreachable {
        /// URL.
        url: String,
        /// What happened.
        detail: String,
    },
    /// The hub answered with an error.
    #[error("hub: {0}")]
    Api(#[from] ApiError),
    /// The answer did not parse.
    #[error("unexpected answer from the hub: {0}")]
    Decode(String),
    /// A NATS request failed.
    #[error("hub control plane: {0}")]
    Nats(String),
}

/// The hub's HTTP API.
#[derive(Debug, Clone)]
pub struct HubHttp {
    base: String,
    http: reqwest::Client,
}

/// `GET /api/v1/info` data.
#[derive(Debug, Clone, serde::Deserialize)]
pub struct InfoResponse {
    /// Hub info.
    #[serde(flatten)]
    pub info: HubInfo,
    /// The operator JWT.
    pub operator_jwt: String,
}

impl HubHttp {
    /// A client for the hub at `url`.
    pub fn new(url: &str) -> Result<Self, ClientError> {
        let base = url.trim().trim_end_matches('/').to_owned();
        let rest = base
            .strip_prefix("http://")
            .or_else(|| base.strip_prefix("https://"));
        if rest.is_none_or(|r| r.is_empty() || r.contains(char::is_whitespace)) {
            return Err(ClientError::Url(url.to_owned()));
        }
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(15))
            .build()
            .map_err(|e| ClientError::Unreachable {
                url: base.clone(),
                detail: e.to_string(),
            })?;
        Ok(Self { base, http })
    }

    /// The base URL.
    pub fn url(&self) -> &str {
        &self.base
    }

    async fn call<T: DeserializeOwned>(
        &self,
        req: reqwest::RequestBuilder,
    ) -> Result<T, ClientError> {
        let resp = req.send().await.map_err(|e| ClientError::Unreachable {
            url: self.base.clone(),
            detail: e.without_url().to_string(),
        })?;
        let status = resp.status();
        let body = resp
            .bytes()
            .await
            .map_err(|e| ClientError::Decode(e.to_string()))?;
        let parsed: ApiResponse<T> = serde_json::from_slice(&body).map_err(|_| {
            ClientError::Decode(format!(
                "HTTP {status}: {}",
                String::from_utf8_lossy(&body[..body.len().min(200)])
            ))
        })?;
        Ok(parsed.into_result()?)
    }

    /// Fetches a registration nonce.
    pub async fn nonce(&self) -> Result<NonceResponse, ClientError> {
        self.call(self.http.get(format!("{}/api/v1/nonce", self.base)))
            .await
    }

    /// Sends a registration.
    pub async fn register(&self, req: &RegisterRequest) -> Result<RegisterResponse, ClientError> {
        self.call(
            self.http
                .post(format!("{}/api/v1/register", self.base))
                .json(req),
        )
        .await
    }

    /// Looks up any account's JWT.
    pub async fn account_jwt(&self, account: &str) -> Result<String, ClientError> {
        let r: AccountJwtResponse = self
            .call(
                self.http
                    .get(format!("{}/api/v1/accounts/{account}", self.base)),
            )
            .await?;
        Ok(r.jwt)
    }

    /// Hub info and the operator JWT.
    pub async fn info(&self) -> Result<InfoResponse, ClientError> {
        self.call(self.http.get(format!("{}/api/v1/info", self.base)))
            .await
    }

    /// Registers `identity` (whose seed stays here: only its signature of
    /// the hub's nonce is sent) with `signing_key`.
    pub async fn register_account(
        &self,
        identity: &KeyPair,
        signing_key: &str,
        name: &str,
        invite: Option<&str>,
    ) -> Result<RegisterResponse, ClientError> {
        let nonce = self.nonce().await?.nonce;
        let sig = identity
            .sign(nonce.as_bytes())
            .map_err(|e| ClientError::Decode(e.to_string()))?;
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

/// Asks the hub control plane, over NATS, to apply `op` with `body` to the
/// caller's own account (`me`); returns the account JWT now in force.
pub async fn control<B: Serialize>(
    client: &async_nats::Client,
    me: &str,
    op: &str,
    body: &B,
) -> Result<String, ClientError> {
    let payload = serde_json::to_vec(body).map_err(|e| ClientError::Decode(e.to_string()))?;
    let req = client.request(subjects::hub(me, op), payload.into());
    let msg = tokio::time::timeout(Duration::from_secs(10), req)
        .await
        .map_err(|_| ClientError::Nats("no answer within 10 s".into()))?
        .map_err(|e| ClientError::Nats(e.to_string()))?;
    let resp: ApiResponse<AccountJwtResponse> =
        serde_json::from_slice(&msg.payload).map_err(|e| ClientError::Decode(e.to_string()))?;
    Ok(resp.into_result()?.jwt)
}
