//! Byte ranges as people type them on the command line: `START-END`
//! (inclusive) or `START-` (to the end).

use std::str::FromStr;

use crate::error::Error;
use crate::transfer::receiver::ByteRange;

impl FromStr for ByteRange {
    type Err = Error;

    fn from_str(text: &str) -> Result<Self, Error> {
        let bad = |why: &str| Error::Invalid(format!("invalid range {text:?}: {why}"));
        let (a, b) = text.split_once('-').ok_or_else(|| bad("use START-END"))?;
        let start: u64 = a.trim().parse().map_err(|_| bad("bad start"))?;
        let length = match b.trim() {
            "" => None,
            end => {
                let end: u64 = end.parse().map_err(|_| bad("bad end"))?;
                if end < start {
                    return Err(bad("end before start"));
                }
                Some(end - start + 1)
            }
        };
        Ok(ByteRange {
            offset: start,
            length,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges() {
        assert_eq!(
            str::parse::<ByteRange>("0-1023").unwrap(),
            ByteRange {
                offset: 0,
                length: Some(1024)
            }
        );
        assert_eq!(
            str::parse::<ByteRange>("100-").unwrap(),
            ByteRange {
                offset: 100,
                length: None
            }
        );
        for bad in ["", "5", "a-b", "10-5", "-5"] {
            assert!(str::parse::<ByteRange>(bad).is_err(), "{bad}");
        }
    }
}
