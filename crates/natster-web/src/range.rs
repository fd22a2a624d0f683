//! HTTP `Range: bytes=...` parsing (RFC 9110 §14), for seeking in the media
//! player and resuming downloads. Only single ranges: browsers' media
//! stacks never ask for more, and a server may ignore a Range it does not
//! support (we then send the whole file).

/// What to send for a request's Range header, given the file's size.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RangeRequest {
    /// No (usable) Range header: the whole file, 200.
    Full,
    /// Bytes `start..=end`, 206.
    Partial {
        /// First byte.
        start: u64,
        /// Last byte (inclusive).
        end: u64,
    },
    /// A well-formed range no byte satisfies: 416.
    Unsatisfiable,
}

impl RangeRequest {
    /// Number of bytes to send for a file of `size`.
    pub fn len(&self, size: u64) -> u64 {
        match *self {
            RangeRequest::Full => size,
            RangeRequest::Partial { start, end } => end - start + 1,
            RangeRequest::Unsatisfiable => 0,
        }
    }
}

/// Parses `header` (the Range value, if any) against a file of `size` bytes.
pub fn parse(header: Option<&str>, size: u64) -> RangeRequest {
    let Some(h) = header else {
        return RangeRequest::Full;
    };
    let Some(spec) = h.trim().strip_prefix("bytes=") else {
        return RangeRequest::Full; // another unit: ignore
    };
    if spec.contains(',') {
        return RangeRequest::Full; // multiple ranges: not supported, ignore
    }
    let Some((first, last)) = spec.trim().split_once('-') else {
        return RangeRequest::Full;
    };
    let (first, last) = (first.trim(), last.trim());
    let num = |s: &str| -> Option<u64> {
        (!s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()))
            .then(|| s.parse().ok())
            .flatten()
    };
    match (first.is_empty(), last.is_empty()) {
        // bytes=-N: the last N bytes.
        (true, false) => match num(last) {
            None => RangeRequest::Full,
            Some(n) if n == 0 || size == 0 => RangeRequest::Unsatisfiable,
            Some(n) => RangeRequest::Partial {
                start: size.saturating_sub(n),
                end: size - 1,
            },
        },
        // bytes=A- : from A to the end.
        (false, true) => match num(first) {
            Some(a) if a < size => RangeRequest::Partial {
                start: a,
                end: size - 1,
            },
            Some(_) => RangeRequest::Unsatisfiable,
            None => RangeRequest::Full,
        },
        // bytes=A-B
        (false, false) => match (num(first), num(last)) {
            (Some(a), Some(b)) if a > b => RangeRequest::Full, // invalid: ignore
            (Some(a), Some(_)) if a >= size => RangeRequest::Unsatisfiable,
            (Some(a), Some(b)) => RangeRequest::Partial {
                start: a,
                end: b.min(size - 1),
            },
            _ => RangeRequest::Full,
        },
        (true, true) => RangeRequest::Full,
    }
}

#[cfg(test)]
mod tests {
    use super::RangeRequest::{Full, Partial, Unsatisfiable};
    use super::*;

    #[test]
    fn table() {
        let p = |start, end| Partial { start, end };
        let cases: &[(Option<&str>, u64, RangeRequest)] = &[
            (None, 100, Full),
            (Some("bytes=0-"), 100, p(0, 99)),
            (Some("bytes=0-0"), 100, p(0, 0)),
            (Some("bytes=10-19"), 100, p(10, 19)),
            (Some("bytes=90-200"), 100, p(90, 99)),
            (Some("bytes=99-"), 100, p(99, 99)),
            (Some("bytes=100-"), 100, Unsatisfiable),
            (Some("bytes=100-150"), 100, Unsatisfiable),
            (Some("bytes=-10"), 100, p(90, 99)),
            (Some("bytes=-500"), 100, p(0, 99)),
            (Some("bytes=-0"), 100, Unsatisfiable),
            (Some("bytes=0-"), 0, Unsatisfiable),
            (Some("bytes=-5"), 0, Unsatisfiable),
            (Some(" bytes= 5 - 6 "), 100, p(5, 6)),
            (Some("bytes=20-10"), 100, Full),
            (Some("bytes=0-1,5-6"), 100, Full),
            (Some("items=0-1"), 100, Full),
            (Some("bytes=abc-"), 100, Full),
            (Some("bytes=+1-2"), 100, Full),
            (Some("bytes=-"), 100, Full),
            (Some("bytes="), 100, Full),
            (Some("bytes=1"), 100, Full),
            (Some("bytes=99999999999999999999999-"), 100, Full),
            (Some("bytes=18446744073709551615-"), 100, Unsatisfiable),
        ];
        for (h, size, want) in cases {
            assert_eq!(parse(*h, *size), *want, "{h:?} of {size}");
        }
        assert_eq!(p(10, 19).len(100), 10);
        assert_eq!(Full.len(100), 100);
    }
}
