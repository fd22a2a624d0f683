//! Wall-clock time as the log and the API write it.

use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// Now, unix seconds.
pub(crate) fn now_secs() -> i64 {
    OffsetDateTime::now_utc().unix_timestamp()
}

/// Now, RFC 3339 in UTC (the CloudEvents `time`).
pub(crate) fn now_rfc3339() -> String {
    // Formatting a UTC OffsetDateTime as RFC 3339 only fails for years
    // outside 0..=9999, which the system clock does not produce.
    OffsetDateTime::now_utc()
        .format(&Rfc3339)
        .unwrap_or_else(|_| "1970-01-01T00:00:00Z".to_owned())
}

/// Unix seconds of an RFC 3339 time; `None` when it does not parse.
pub(crate) fn rfc3339_secs(s: &str) -> Option<i64> {
    OffsetDateTime::parse(s, &Rfc3339)
        .ok()
        .map(OffsetDateTime::unix_timestamp)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339_round_trips_to_the_second() {
        let now = now_secs();
        let parsed = rfc3339_secs(&now_rfc3339()).unwrap();
        assert!((parsed - now).abs() <= 1);
        assert_eq!(rfc3339_secs("2026-01-02T03:04:05Z"), Some(1_767_323_045));
        assert_eq!(rfc3339_secs("yesterday"), None);
    }
}
