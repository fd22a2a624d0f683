//! Random tokens (session cookies, CSRF tokens) from the OS CSPRNG.

use data_encoding::BASE64URL_NOPAD;
use ring::rand::{SecureRandom, SystemRandom};

use crate::error::WebError;

/// 256 random bits, base64url.
pub(crate) fn token() -> Result<String, WebError> {
    let mut b = [0u8; 32];
    SystemRandom::new()
        .fill(&mut b)
        .map_err(|_| WebError::Internal("the system random generator failed".into()))?;
    Ok(BASE64URL_NOPAD.encode(&b))
}
