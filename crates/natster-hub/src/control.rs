//! The account control plane over NATS: `<caller>.natster.hub.<op>`,
//! answered in the hub's account. The hub account exports `*.natster.hub.>`
//! with the account token in position 1, so nats-server guarantees token 1
//! is the calling account; the `Nats-Request-Info` header must agree. An
//! account can only ever change itself.

use std::sync::Arc;

use futures_util::StreamExt;
use natster_auth::jwt::now;
use natster_auth::keys::{KeyKind, check_public_key};
use natster_proto::ApiResponse;
use natster_proto::hub::{
    AccountJwtResponse, ExportAddRequest, ExportRemoveRequest, GrantRequest, ImportAddRequest,
    ImportRemoveRequest, RevokeRequest, UserRevokeRequest,
};
use natster_proto::request_info::{self, Caller};
use natster_proto::subjects::{HUB_EXPORT, hub_ops};
use serde::de::DeserializeOwned;

use crate::authority::{Authority, AuthorityError};
use crate::grants::Grant;
use crate::policy::{Change, PolicyError};

/// Largest request body the control plane reads.
pub const MAX_REQUEST: usize = 64 * 1024;

/// Serves the control plane on `client` (a hub-account connection) until
/// the subscription ends.
pub async fn serve(
    client: async_nats::Client,
    authority: Arc<Authority>,
) -> Result<(), async_nats::SubscribeError> {
    let mut requests = client
        .queue_subscribe(HUB_EXPORT, "natster-hub".into())
        .await?;
    while let Some(msg) = requests.next().await {
        let Some(reply) = msg.reply.clone() else {
            continue;
        };
        let client = client.clone();
        let authority = authority.clone();
        tokio::spawn(async move {
            let body = handle(&authority, &msg).await;
            let _ = client.publish(reply, body.into()).await;
        });
    }
    Ok(())
}

fn caller_of(msg: &async_nats::Message) -> Result<(String, String), PolicyError> {
    let subject = msg.subject.as_str();
    let mut parts = subject.splitn(4, '.');
    let (Some(token), Some("natster"), Some("hub"), Some(op)) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(PolicyError::BadRequest(format!(
            "not a hub subject: {subject}"
        )));
    };
    // Requests from another account always carry the server-written header;
    // one without it came from inside the hub's account, which no
    // account may change itself through.
    let header = msg
        .headers
        .as_ref()
        .and_then(|h| h.get(request_info::HEADER))
        .map(|v| v.as_str());
    match request_info::caller(subject, header) {
        Ok(Caller::Imported(acc)) if acc == token => Ok((acc, op.to_owned())),
        _ => Err(PolicyError::Forbidden(
            "caller identity could not be established".into(),
        )),
    }
}

fn parse<T: DeserializeOwned>(payload: &[u8]) -> Result<T, PolicyError> {
    if payload.len() > MAX_REQUEST {
        return Err(PolicyError::BadRequest(format!(
            "request larger than {MAX_REQUEST} bytes"
        )));
    }
    serde_json::from_slice(payload).map_err(PolicyError::InvalidJson)
}

async fn handle(authority: &Authority, msg: &async_nats::Message) -> Vec<u8> {
    let result = dispatch(authority, msg).await;
    let response = match result {
        Ok(jwt) => ApiResponse::ok(AccountJwtResponse { jwt }),
        Err(e) => {
            if e.code() >= 500 {
                tracing::warn!(subject = %msg.subject, error = %e, "control plane request failed");
            }
            ApiResponse::err(e.code(), e.to_string())
        }
    };
    serde_json::to_vec(&response).unwrap_or_default()
}

async fn dispatch(
    authority: &Authority,
    msg: &async_nats::Message,
) -> Result<String, AuthorityError> {
    let (caller, op) = caller_of(msg)?;
    let p = &msg.payload;
    let change = match op.as_str() {
        hub_ops::ACCOUNT_GET => {
            return authority
                .account_jwt(&caller)
                .ok_or(AuthorityError::UnknownAccount(caller));
        }
        hub_ops::EXPORT_ADD => Change::AddCatalog {
            catalog: parse::<ExportAddRequest>(p)?.catalog,
        },
        hub_ops::EXPORT_REMOVE => Change::RemoveCatalog {
            catalog: parse::<ExportRemoveRequest>(p)?.catalog,
        },
        hub_ops::EXPORT_REVOKE => return revoke(authority, &caller, parse(p)?).await,
        hub_ops::EXPORT_GRANT => {
            let r: GrantRequest = parse(p)?;
            let grant = Grant {
                service_token: r.service_token,
                stream_token: r.stream_token,
            };
            return authority
                .grant(&caller, &r.catalog, &r.account, grant)
                .await;
        }
        hub_ops::IMPORT_ADD => import(authority, &caller, parse(p)?)?,
        hub_ops::IMPORT_REMOVE => {
            let r: ImportRemoveRequest = parse(p)?;
            Change::RemoveImport {
                owner: r.owner,
                catalog: r.catalog,
            }
        }
        hub_ops::USER_REVOKE => Change::RevokeUser {
            user: parse::<UserRevokeRequest>(p)?.user,
            at: now(),
        },
        other => {
            return Err(PolicyError::NotFound(format!("unknown hub operation {other:?}")).into());
        }
    };
    authority.change(&caller, change).await
}

/// Revokes `r.account`'s access to a catalog, and drops the tokens the
/// owner deposited for it so they cannot be imported again.
async fn revoke(
    authority: &Authority,
    caller: &str,
    r: RevokeRequest,
) -> Result<String, AuthorityError> {
    let change = Change::Revoke {
        catalog: r.catalog.clone(),
        account: r.account.clone(),
        at: now(),
    };
    let jwt = authority.change(caller, change).await?;
    authority.forget_grant(&r.account, caller, &r.catalog);
    Ok(jwt)
}

/// The import `r` asks for; without tokens, with the ones the owner
/// deposited for the caller.
fn import(
    authority: &Authority,
    caller: &str,
    mut r: ImportAddRequest,
) -> Result<Change, AuthorityError> {
    check_public_key(&r.owner, KeyKind::Account).map_err(PolicyError::InvalidKey)?;
    if r.service_token.is_empty() && r.stream_token.is_empty() {
        let g = authority
            .deposited(caller, &r.owner, &r.catalog)
            .ok_or_else(|| {
                PolicyError::NotFound(format!(
                    "{} has not shared {} with you (or took it back)",
                    r.owner, r.catalog
                ))
            })?;
        r.service_token = g.service_token;
        r.stream_token = g.stream_token;
    }
    authority.import_change(&r.owner, r.catalog, r.service_token, r.stream_token)
}
