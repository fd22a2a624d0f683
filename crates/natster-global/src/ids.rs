//! Random identifiers from the operating system's CSPRNG (`ring`).
//!
//! The original derived login codes from `math/rand` seeded with the current
//! second, so two logins in one second got the same code. Every id here is
//! drawn fresh from the OS.

use ring::rand::{SecureRandom, SystemRandom};

use crate::error::ApiFailure;

/// `bytes` random bytes, base32 (RFC 4648, no padding), lowercase.
pub(crate) fn random_base32(bytes: usize) -> Result<String, ApiFailure> {
    let mut buf = vec![0u8; bytes];
    SystemRandom::new()
        .fill(&mut buf)
        .map_err(|_| ApiFailure::internal("the system random number generator failed"))?;
    Ok(data_encoding::BASE32_NOPAD
        .encode(&buf)
        .to_ascii_lowercase())
}

/// A new event id: 128 random bits, 26 base32 characters.
pub(crate) fn event_id() -> Result<String, ApiFailure> {
    random_base32(16)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_long_distinct_and_token_safe() {
        let a = event_id().unwrap();
        let b = event_id().unwrap();
        assert_eq!(a.len(), 26);
        assert_ne!(a, b);
        assert!(
            a.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
        );
        // 20 bytes = 160 bits -> 32 characters.
        assert_eq!(random_base32(20).unwrap().len(), 32);
    }
}
