//! `web_session_bound` and `web_session_revoked`: the web sessions an
//! account has let act for it (public keys only; the web app holds the seeds).

use natster_proto::events::Event;
use natster_proto::global::{SessionBoundData, SessionRevokedData};

use super::checks;
use super::planned::Planned;
use crate::ctx::Ctx;
use crate::error::{ApiFailure, storage};

/// An initialized caller binds a session's user key, until `expires_at`.
pub(super) async fn web_session_bound(
    ctx: &Ctx,
    caller: &str,
    d: SessionBoundData,
    now: i64,
) -> Result<Planned, ApiFailure> {
    checks::session(&d.session)?;
    checks::not_past(d.expires_at, now)?;
    checks::require_initialized(ctx, caller).await?;
    Ok(Planned::quiet(Event::WebSessionBound {
        account: caller.to_owned(),
        session: d.session,
        expires_at: d.expires_at,
    }))
}

/// The caller ends a session it bound and has not ended yet.
pub(super) async fn web_session_revoked(
    ctx: &Ctx,
    caller: &str,
    d: SessionRevokedData,
) -> Result<Planned, ApiFailure> {
    checks::session(&d.session)?;
    let bound = ctx
        .log
        .session_bound(caller, &d.session)
        .await
        .map_err(|e| storage("reading the event log", e))?;
    if !bound {
        return Err(ApiFailure::not_found("no such web session is bound"));
    }
    Ok(Planned::quiet(Event::WebSessionRevoked {
        account: caller.to_owned(),
        session: d.session,
    }))
}
