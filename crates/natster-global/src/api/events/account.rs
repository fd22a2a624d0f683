//! `account_initialized`: once per account, atomically across instances.

use natster_proto::events::Event;
use natster_proto::global::InitializeData;
use natster_proto::names::check_display_name;

use super::planned::Planned;
use crate::error::ApiFailure;
use crate::log::Expect;

/// The name, if any, must be a display name; the append succeeds only on
/// the account's first `account_initialized` (a second is a 409).
pub(super) fn account_initialized(caller: &str, d: InitializeData) -> Result<Planned, ApiFailure> {
    if let Some(name) = &d.name {
        check_display_name(name).map_err(ApiFailure::bad_request)?;
    }
    let event = Event::AccountInitialized {
        account: caller.to_owned(),
        name: d.name,
    };
    Ok(Planned {
        event,
        expect: Expect::FirstOnSubject,
        feeds: vec![],
    })
}
