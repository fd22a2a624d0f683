//! Every value the service stores or sends is JSON.

use bytes::Bytes;
use serde::Serialize;

/// `value` as JSON.
pub(crate) fn to_bytes<T: Serialize>(value: &T) -> Bytes {
    // Our record and wire types are plain structs of strings and numbers;
    // serde_json cannot fail on them.
    Bytes::from(serde_json::to_vec(value).unwrap_or_default())
}
