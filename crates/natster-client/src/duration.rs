//! Durations people type: `90s`, `30m`, `12h`, `7d`, combinations like
//! `1h30m` or `1h 30m` (humantime's syntax), or a bare number of seconds.

use std::time::Duration;

/// Parses a duration as people write it.
pub fn parse(text: &str) -> Result<Duration, String> {
    let t = text.trim();
    if t.is_empty() {
        return Err("empty duration".into());
    }
    if let Ok(secs) = t.parse::<u64>() {
        return Ok(Duration::from_secs(secs));
    }
    humantime::parse_duration(t).map_err(|e| format!("invalid duration {text:?}: {e}"))
}
#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table() {
        let ok = [
            ("90", 90),
            ("90s", 90),
            ("30m", 1800),
            ("12h", 43_200),
            ("7d", 604_800),
            ("1h30m", 5400),
            ("2w", 1_209_600),
        ];
        for (t, secs) in ok {
            assert_eq!(parse(t), Ok(Duration::from_secs(secs)), "{t}");
        }
        for bad in ["", "h", "10x", "1h30", "-5m", "99999999999999999999d"] {
            assert!(parse(bad).is_err(), "{bad}");
        }
    }
}
