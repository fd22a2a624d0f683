//! The API envelope every request/reply answer uses:
//! `{"code": 200, "data": ...}` or `{"code": 4xx/5xx, "error": "...", "data": null}`.

use serde::{Deserialize, Serialize};

/// An API answer.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ApiResponse<T> {
    /// HTTP-like status: 200 success, 400 bad request, 403 forbidden, 404 not found,
    /// 409 conflict, 429/503 busy, 500 internal.
    pub code: u16,
    /// Human-readable error, on failure.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// The result, on success.
    pub data: Option<T>,
}

impl<T> ApiResponse<T> {
    /// A success.
    pub fn ok(data: T) -> Self {
        Self {
            code: 200,
            error: None,
            data: Some(data),
        }
    }

    /// A failure.
    pub fn err(code: u16, error: impl Into<String>) -> Self {
        Self {
            code,
            error: Some(error.into()),
            data: None,
        }
    }

    /// The data, or the error as an [`ApiError`].
    pub fn into_result(self) -> Result<T, ApiError> {
        match (self.code, self.data) {
            (200, Some(d)) => Ok(d),
            (code, _) => Err(ApiError {
                code,
                message: self
                    .error
                    .unwrap_or_else(|| format!("request failed with code {code}")),
            }),
        }
    }
}

/// A failed API call: its code and message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ApiError {
    /// Status code.
    pub code: u16,
    /// Message for people.
    pub message: String,
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} ({})", self.message, self.code)
    }
}

impl std::error::Error for ApiError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn envelope_shapes() {
        let ok = serde_json::to_string(&ApiResponse::ok(5)).unwrap();
        assert_eq!(ok, r#"{"code":200,"data":5}"#);
        let err = serde_json::to_string(&ApiResponse::<u8>::err(403, "Forbidden")).unwrap();
        assert_eq!(err, r#"{"code":403,"error":"Forbidden","data":null}"#);
        let back: ApiResponse<u8> = serde_json::from_str(&err).unwrap();
        assert_eq!(back.into_result().unwrap_err().code, 403);
    }
}
