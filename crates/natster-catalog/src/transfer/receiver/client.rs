//! A client of one catalog server, as one caller account: its `get`, and
//! what transfers need of it (the download and stream methods live with
//! their receive paths, in `to_file` and `stream`).

use std::time::Duration;

use natster_auth::claims::AccountClaims;
use natster_proto::ApiResponse;
use natster_proto::catalog::{CatalogSummary, OP_GET};
use natster_proto::subjects;

use crate::error::{Error, Result};
use crate::transfer::direct::DirectLogin;

/// Talks to one catalog server, as one caller account.
#[derive(Clone)]
pub struct CatalogClient {
    pub(super) client: async_nats::Client,
    pub(super) caller: String,
    pub(super) owner: AccountClaims,
    pub(super) catalog: String,
    /// Longest wait for a `get` or `download` reply.
    pub request_timeout: Duration,
    /// Longest silence on the media subject before giving up.
    pub idle_timeout: Duration,
    /// How often the last credit is repeated while waiting, in case it was lost.
    pub credit_repeat: Duration,
    /// Log in again for each transfer's own connection (see
    /// [`crate::transfer::direct`]); `None`: chunks come through `client`.
    pub(super) direct: Option<DirectLogin>,
}

impl std::fmt::Debug for CatalogClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CatalogClient")
            .field("caller", &self.caller)
            .field("owner", &self.owner.sub)
            .field("catalog", &self.catalog)
            .finish_non_exhaustive()
    }
}

impl CatalogClient {
    /// A client for `catalog` of the account `owner` (whose claims the
    /// caller got from the hub and trusts), acting as account `caller`.
    pub fn new(
        client: async_nats::Client,
        caller: &str,
        owner: AccountClaims,
        catalog: &str,
    ) -> Result<Self> {
        natster_proto::names::check_catalog_name(catalog).map_err(Error::Invalid)?;
        for (what, k) in [("caller", caller), ("owner", owner.sub.as_str())] {
            natster_auth::keys::check_public_key(k, natster_auth::keys::KeyKind::Account)
                .map_err(|e| Error::Invalid(format!("{what}: {e}")))?;
        }
        Ok(Self {
            client,
            caller: caller.to_owned(),
            owner,
            catalog: catalog.to_owned(),
            request_timeout: Duration::from_secs(10),
            idle_timeout: Duration::from_secs(30),
            credit_repeat: Duration::from_secs(1),
            direct: None,
        })
    }

    /// A client for `catalog` of `owner` (default: the context's own
    /// account), as the context's CLI user: the owner's claims come from
    /// the hub and are checked against the operator the context trusts,
    /// and transfers use a connection of their own.
    pub async fn of_context(
        ctx: &natster_client::Context,
        owner: Option<&str>,
        catalog: &str,
    ) -> Result<Self> {
        let owner = owner.unwrap_or(&ctx.info.account);
        let claims = ctx.account_claims(owner).await?;
        let login = ctx.login()?;
        let client = login.connect("natster-cli").await?;
        Ok(Self::new(client, &ctx.info.account, claims, catalog)?.with_direct(login.into()))
    }

    /// Receives each transfer's chunks on a connection of its own, logged
    /// in as `login` (the same user as the client's), where the server
    /// allows it: less CPU per byte. See [`crate::transfer::direct`].
    pub fn with_direct(mut self, login: DirectLogin) -> Self {
        self.direct = Some(login);
        self
    }

    pub(super) fn subject(&self, op: &str) -> String {
        subjects::catalog(&self.caller, &self.owner.sub, &self.catalog, op)
    }

    pub(super) async fn request<T: serde::de::DeserializeOwned>(
        &self,
        op: &str,
        body: Vec<u8>,
    ) -> Result<T> {
        let msg = tokio::time::timeout(
            self.request_timeout,
            self.client.request(self.subject(op), body.into()),
        )
        .await
        .map_err(|_| Error::Timeout(format!("catalog {} did not answer {op}", self.catalog)))?
        .map_err(|e| match e.kind() {
            async_nats::RequestErrorKind::NoResponders => Error::NotFound(format!(
                "catalog {} of {} is offline or not shared with you (no responders)",
                self.catalog, self.owner.sub
            )),
            async_nats::RequestErrorKind::TimedOut => {
                Error::Timeout(format!("catalog {} did not answer {op}", self.catalog))
            }
            _ => Error::nats(e),
        })?;
        let resp: ApiResponse<T> = serde_json::from_slice(&msg.payload)
            .map_err(|e| Error::json(format!("{op} reply"), e))?;
        resp.into_result().map_err(|e| Error::Api {
            code: e.code,
            message: e.message,
        })
    }

    /// The catalog's contents (`get`).
    pub async fn contents(&self) -> Result<CatalogSummary> {
        self.request(OP_GET, Vec::new()).await
    }
}
