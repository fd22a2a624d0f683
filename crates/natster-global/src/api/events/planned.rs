//! What each event type's function hands back to `events.put`.

use natster_proto::events::Event;
use natster_proto::feed::FeedEvent;

use crate::log::Expect;

/// What an event type's checks decided: the event, what the log must hold
/// for it to be appended, and which accounts hear of it once it is.
#[derive(Debug)]
pub(super) struct Planned {
    pub(super) event: Event,
    pub(super) expect: Expect,
    pub(super) feeds: Vec<(String, FeedEvent)>,
}

impl Planned {
    /// Appended unconditionally, no feed.
    pub(super) fn quiet(event: Event) -> Self {
        Self {
            event,
            expect: Expect::Anything,
            feeds: vec![],
        }
    }
}
