//! Catalogs: `GET /api/shares` (shared with me and by me, and my own
//! catalogs whether shared or not, online or not)
//! and `GET /api/catalogs/<owner>/<catalog>` (a catalog's files).

use std::time::Duration;

use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, State};
use natster_catalog::CatalogClient;
use natster_proto::catalog::CatalogSummary;
use natster_proto::names::check_catalog_name;
use serde::Serialize;

use crate::error::WebError;
use crate::routes::authed::Authed;
use crate::state::AppState;
use natster_client::{GlobalClient, HubClient};
use natster_proto::global::{
    ImportData, ImportRecordRequest, MyCatalogsRequest, MySharesRequest, MySharesResponse,
    OwnCatalog, ops,
};

#[derive(Debug, Serialize)]
pub(crate) struct Shares {
    /// The session's account.
    me: String,
    /// Whether this session may share and unshare.
    can_share: bool,
    /// `my.shares` as the global service answers it (`in_shares`, `out_shares`).
    #[serde(flatten)]
    shares: MySharesResponse,
    /// The account's own catalogs (`my.catalogs`), shared or not; empty
    /// when the session's credential predates that operation.
    catalogs: Vec<OwnCatalog>,
}

pub(crate) async fn shares(Authed(s): Authed) -> Result<Json<Shares>, WebError> {
    let (client, scope) = s.client()?;
    let global = GlobalClient::new(client, &s.account).with_timeout(Duration::from_secs(5));
    let shares = global.call(&MySharesRequest {});
    // Listen before sending: a credential signed before `my.catalogs` existed
    // is refused at once by nats-server, and the request would otherwise
    // wait out its timeout.
    let denied = s.denied(&natster_proto::subjects::global(
        &s.account,
        ops::MY_CATALOGS,
    ));
    let catalogs = async {
        tokio::select! {
            () = denied => Err(WebError::Forbidden("the session may not list catalogs".into())),
            r = global.call(&MyCatalogsRequest {}) => r.map_err(WebError::from),
        }
    };
    let (shares, catalogs) = tokio::join!(shares, catalogs);
    let shares = shares?;
    // The shares still make a useful page without the unshared catalogs.
    let catalogs = catalogs
        .inspect_err(|e| tracing::debug!("my.catalogs for {}: {e}", s.account))
        .map(|c| c.catalogs)
        .unwrap_or_default();
    Ok(Json(Shares {
        me: s.account.clone(),
        can_share: scope.allow_sharing,
        shares,
        catalogs,
    }))
}

// ------------------------------------------------------------ contents

/// A catalog client acting as the session's account.
pub(crate) async fn client_for(
    state: &AppState,
    client: async_nats::Client,
    account: &str,
    owner: &str,
    catalog: &str,
) -> Result<CatalogClient, WebError> {
    check_catalog_name(catalog).map_err(WebError::BadRequest)?;
    let owner_claims = state.accounts.get(owner, false).await?;
    let mut c = CatalogClient::new(client, account, owner_claims, catalog)
        .map_err(|e| WebError::BadRequest(e.to_string()))?;
    c.request_timeout = Duration::from_secs(8);
    Ok(c)
}

/// Maps a catalog client error for `catalog` onto the web's errors.
pub(crate) fn catalog_error(e: natster_catalog::Error, catalog: &str) -> WebError {
    use natster_catalog::Error as E;
    match e {
        // Nobody answers the catalog's subject: its server is stopped, or
        // the account has no import of it (never shared, or taken back).
        // NATS cannot tell which, so say both, in the person's words.
        E::NotFound(_) => WebError::NotFound(format!(
            "{catalog} is not available: it is offline, or no longer shared with you"
        )),
        E::Timeout(m) => WebError::Timeout(m),
        E::Invalid(m) => WebError::BadRequest(m),
        E::Api { code, message } => WebError::Upstream {
            service: "catalog server",
            code,
            message,
        },
        other => WebError::Unavailable(other.to_string()),
    }
}

/// The contents of a catalog, fresh or from the short cache.
pub(crate) async fn summary(
    state: &AppState,
    client: async_nats::Client,
    account: &str,
    owner: &str,
    catalog: &str,
    fresh: bool,
) -> Result<Arc<CatalogSummary>, WebError> {
    let key = (account.to_owned(), owner.to_owned(), catalog.to_owned());
    if !fresh {
        if let Some(c) = state.catalogs.get(&key) {
            return Ok(c);
        }
    }
    let c = client_for(state, client, account, owner, catalog).await?;
    let s = Arc::new(c.contents().await.map_err(|e| catalog_error(e, catalog))?);
    state.catalogs.put(key, s.clone());
    Ok(s)
}

/// `GET /api/catalogs/<owner>/<catalog>`: the catalog's files.
pub(crate) async fn contents(
    State(state): State<AppState>,
    Authed(s): Authed,
    Path((owner, catalog)): Path<(String, String)>,
) -> Result<Json<CatalogSummary>, WebError> {
    let (client, _) = s.client()?;
    let c = summary(&state, client, &s.account, &owner, &catalog, true).await?;
    Ok(Json(CatalogSummary::clone(&c)))
}

// ------------------------------------------------------------ import

/// `POST /api/catalogs/<owner>/<catalog>/import`: import a catalog shared
/// with the session's account. The hub adds the imports with the activation
/// tokens the owner deposited (the session cannot pick subjects or tokens),
/// then the import is recorded with the global service.
pub(crate) async fn import(
    Authed(s): Authed,
    Path((owner, catalog)): Path<(String, String)>,
) -> Result<Json<serde_json::Value>, WebError> {
    check_catalog_name(&catalog).map_err(WebError::BadRequest)?;
    natster_auth::keys::check_public_key(&owner, natster_auth::keys::KeyKind::Account)
        .map_err(|e| WebError::BadRequest(format!("owner: {e}")))?;
    let (client, _scope) = s.client()?;
    let req = natster_proto::hub::ImportAddRequest {
        owner: owner.clone(),
        catalog: catalog.clone(),
        service_token: String::new(),
        stream_token: String::new(),
    };
    HubClient::new(client.clone(), &s.account)
        .call(&req)
        .await
        .map_err(|e| match e {
            natster_client::Error::Api { error: a, .. } if a.code == 404 => {
                WebError::NotFound(a.message)
            }
            natster_client::Error::Api { error: a, .. } if a.code == 403 => {
                WebError::Forbidden(a.message)
            }
            natster_client::Error::Api { error: a, .. } if a.code < 500 => {
                WebError::BadRequest(a.message)
            }
            other => WebError::Unavailable(other.to_string()),
        })?;
    let recorded = GlobalClient::new(client, &s.account)
        .with_timeout(Duration::from_secs(5))
        .call(&ImportRecordRequest(ImportData { owner, catalog }))
        .await;
    Ok(Json(serde_json::json!({
        "imported": true,
        "recorded": recorded.is_ok(),
    })))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_responders_reads_as_offline_or_no_longer_shared() {
        let e = catalog_error(
            natster_catalog::Error::NotFound(
                "catalog movies of AXYZ is offline or not shared with you (no responders)".into(),
            ),
            "movies",
        );
        assert_eq!(e.status(), axum::http::StatusCode::NOT_FOUND);
        let m = e.to_string();
        assert!(m.starts_with("movies is not available"), "{m}");
        assert!(
            m.contains("offline") && m.contains("no longer shared"),
            "{m}"
        );
        assert!(!m.contains("responders"), "no NATS jargon: {m}");
    }
}
