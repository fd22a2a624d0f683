//! What a caller asks of a download, and what it reports.

use std::sync::Arc;

/// Progress of a download: `(bytes in the output so far, bytes it will have)`.
pub type DownloadProgress = Arc<dyn Fn(u64, u64) + Send + Sync>;

/// A byte range of a file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ByteRange {
    /// First byte.
    pub offset: u64,
    /// Bytes from `offset`; `None`: to the end.
    pub length: Option<u64>,
}

/// How to download.
#[derive(Clone, Default)]
pub struct DownloadOptions {
    /// Continue a partial download of the same hash (and range) at OUT.
    pub resume: bool,
    /// Only these bytes. The catalog hash covers whole files, so a range is
    /// protected by the chunk AEAD and the signed offer, not the hash.
    pub range: Option<ByteRange>,
    /// Chunk size to ask for; the server clamps it.
    pub chunk_size: Option<u32>,
    /// Called as bytes are written.
    pub progress: Option<DownloadProgress>,
}

impl std::fmt::Debug for DownloadOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DownloadOptions")
            .field("resume", &self.resume)
            .field("range", &self.range)
            .field("chunk_size", &self.chunk_size)
            .finish_non_exhaustive()
    }
}

/// What a finished download did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DownloadReport {
    /// The transfer's id.
    pub transfer_id: String,
    /// Bytes received in this transfer.
    pub received: u64,
    /// Bytes that were already in the partial file.
    pub resumed_from: u64,
    /// Size of OUT.
    pub size: u64,
    /// Whether the SHA-256 of OUT was checked against the catalog (whole files).
    pub hash_verified: bool,
    /// Whether the chunks came on the transfer's own connection (see
    /// [`super::CatalogClient::with_direct`]) rather than the shared client.
    pub direct: bool,
    /// The chunk size used.
    pub chunk_size: u32,
}
