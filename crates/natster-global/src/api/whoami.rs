//! `whoami` and `catalogs.validatename`: questions about the caller and
//! about names.

use natster_proto::names::check_catalog_name;

use crate::clock;
use crate::ctx::Ctx;
use crate::error::{ApiFailure, storage};
use crate::projections::AccountRecord;
use natster_proto::events::Event;
use natster_proto::global::{
    SessionSummary, ValidateNameRequest, ValidateNameResponse, WhoamiResponse,
};

/// `whoami`: 404 when the caller never initialized.
pub(super) async fn whoami(ctx: &Ctx, caller: &str) -> Result<WhoamiResponse, ApiFailure> {
    let record: Option<AccountRecord> = ctx
        .store
        .accounts
        .get_json(caller)
        .await
        .map_err(|e| storage("reading the account", e))?;
    let now = clock::now_secs();
    if let Some(r) = record {
        if let Some(initialized_at) = r.initialized_at {
            return Ok(WhoamiResponse {
                account_key: r.account,
                initialized_at,
                name: r.name,
                web_sessions: r
                    .sessions
                    .into_iter()
                    .filter(|(_, s)| s.expires_at.is_none_or(|e| e > now))
                    .map(|(session, s)| SessionSummary {
                        session,
                        bound_at: s.bound_at,
                        expires_at: s.expires_at,
                    })
                    .collect(),
            });
        }
    }
    // The projection may be a moment behind a fresh `init`: the log decides.
    let stored = ctx
        .log
        .initialized(caller)
        .await
        .map_err(|e| storage("reading the event log", e))?;
    match stored {
        Some(s) => {
            let name = match s.event.event {
                Event::AccountInitialized { name, .. } => name,
                _ => None,
            };
            Ok(WhoamiResponse {
                account_key: caller.to_owned(),
                initialized_at: clock::rfc3339_secs(&s.event.time).unwrap_or(0),
                name,
                web_sessions: vec![],
            })
        }
        None => Err(ApiFailure::not_found(format!(
            "account {caller} is not initialized; run `natster init`"
        ))),
    }
}

/// `catalogs.validatename`: `{"name": "..."}`, a JSON string, or the bare
/// name (the original sent the raw name).
pub(super) fn validate_name(body: &[u8]) -> Result<ValidateNameResponse, ApiFailure> {
    let name = if let Ok(req) = serde_json::from_slice::<ValidateNameRequest>(body) {
        req.name
    } else if let Ok(name) = serde_json::from_slice::<String>(body) {
        name
    } else {
        std::str::from_utf8(body)
            .map_err(|_| ApiFailure::bad_request("the name is not UTF-8"))?
            .trim()
            .to_owned()
    };
    Ok(match check_catalog_name(&name) {
        Ok(()) => ValidateNameResponse {
            valid: true,
            message: "ok".into(),
        },
        Err(message) => ValidateNameResponse {
            valid: false,
            message,
        },
    })
}
