//! The receiving side: [`CatalogClient`] asks a catalog server for its
//! contents, downloads files, or streams them ([`CatalogClient::stream`]).
//!
//! A download writes verified chunks, in order, to `.OUT.natster-part` next
//! to OUT, with a sidecar `.OUT.natster-part.json` naming what the part
//! belongs to. Only when the last chunk is in, the part fsynced and its
//! SHA-256 equal to the catalog's, is it renamed to OUT. Anything else
//! leaves OUT untouched; the part stays for `resume` unless its hash was
//! wrong (then it is deleted: resuming it could never succeed).

mod session;
mod source;
mod stream;
mod to_file;

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use natster_auth::claims::AccountClaims;
use natster_proto::ApiResponse;
use natster_proto::catalog::{CatalogSummary, OP_GET};
use natster_proto::subjects;

use crate::catalog::check_hash;
use crate::error::{Error, Result};
use crate::transfer::direct::DirectLogin;
use session::{Ask, Session};
use to_file::{Part, PartInfo};

pub use stream::{DownloadStream, STREAM_WINDOW, StreamInfo, StreamOptions};
pub use to_file::part_paths;

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
    /// [`CatalogClient::with_direct`]) rather than the shared client.
    pub direct: bool,
    /// The chunk size used.
    pub chunk_size: u32,
}

/// Talks to one catalog server, as one caller account.
#[derive(Clone)]
pub struct CatalogClient {
    client: async_nats::Client,
    caller: String,
    owner: AccountClaims,
    catalog: String,
    /// Longest wait for a `get` or `download` reply.
    pub request_timeout: Duration,
    /// Longest silence on the media subject before giving up.
    pub idle_timeout: Duration,
    /// How often the last credit is repeated while waiting, in case it was lost.
    pub credit_repeat: Duration,
    /// Log in again for each transfer's own connection (see
    /// [`crate::transfer::direct`]); `None`: chunks come through `client`.
    direct: Option<DirectLogin>,
}

impl std::fmt::Debug for CatalogClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CatalogClient")
            .field("caller", &self.caller)
            .field("owner", &self.owner.sub)
            .field("catalog", &self.catalog)
            .finish_non_exhaustive()
    }
}

impl CatalogClient {
    /// A client for `catalog` of the account `owner` (whose claims the
    /// caller got from the hub and trusts), acting as account `caller`.
    pub fn new(
        client: async_nats::Client,
        caller: &str,
        owner: AccountClaims,
        catalog: &str,
    ) -> Result<Self> {
        natster_proto::names::check_catalog_name(catalog).map_err(Error::Invalid)?;
        for (what, k) in [("caller", caller), ("owner", owner.sub.as_str())] {
            natster_auth::keys::check_public_key(k, natster_auth::keys::KeyKind::Account)
                .map_err(|e| Error::Invalid(format!("{what}: {e}")))?;
        }
        Ok(Self {
            client,
            caller: caller.to_owned(),
            owner,
            catalog: catalog.to_owned(),
            request_timeout: Duration::from_secs(10),
            idle_timeout: Duration::from_secs(30),
            credit_repeat: Duration::from_secs(1),
            direct: None,
        })
    }

    /// Receives each transfer's chunks on a connection of its own, logged
    /// in as `login` (the same user as the client's), where the server
    /// allows it: less CPU per byte. See [`crate::transfer::direct`].
    pub fn with_direct(mut self, login: DirectLogin) -> Self {
        self.direct = Some(login);
        self
    }

    fn subject(&self, op: &str) -> String {
        subjects::catalog(&self.caller, &self.owner.sub, &self.catalog, op)
    }

    async fn request<T: serde::de::DeserializeOwned>(&self, op: &str, body: Vec<u8>) -> Result<T> {
        let msg = tokio::time::timeout(
            self.request_timeout,
            self.client.request(self.subject(op), body.into()),
        )
        .await
        .map_err(|_| Error::Timeout(format!("catalog {} did not answer {op}", self.catalog)))?
        .map_err(|e| match e.kind() {
            async_nats::RequestErrorKind::NoResponders => Error::NotFound(format!(
                "catalog {} of {} is offline or not shared with you (no responders)",
                self.catalog, self.owner.sub
            )),
            async_nats::RequestErrorKind::TimedOut => {
                Error::Timeout(format!("catalog {} did not answer {op}", self.catalog))
            }
            _ => Error::nats(e),
        })?;
        let resp: ApiResponse<T> = serde_json::from_slice(&msg.payload)
            .map_err(|e| Error::json(format!("{op} reply"), e))?;
        resp.into_result().map_err(|e| Error::Api {
            code: e.code,
            message: e.message,
        })
    }

    /// The catalog's contents (`get`).
    pub async fn contents(&self) -> Result<CatalogSummary> {
        self.request(OP_GET, Vec::new()).await
    }

    /// Downloads the file with `hash` to `out`. See the module doc for what
    /// is guaranteed on success and on failure.
    pub async fn download(
        &self,
        hash: &str,
        out: &Path,
        opts: DownloadOptions,
    ) -> Result<DownloadReport> {
        check_hash(hash)?;
        let range = opts.range.unwrap_or(ByteRange {
            offset: 0,
            length: None,
        });
        let whole = range.offset == 0 && range.length.is_none();
        let info = PartInfo {
            hash: hash.to_owned(),
            owner: self.owner.sub.clone(),
            catalog: self.catalog.clone(),
            range_offset: range.offset,
            range_length: range.length,
        };
        let part = Part::open(out, &info, opts.resume, whole).await?;
        let (path, sidecar) = (part.path.clone(), part.sidecar.clone());
        let result = to_file::receive(self, hash, &range, part, &opts).await;
        Part::finish(&path, &sidecar, out, hash, result)
    }

    /// Streams the file with `hash` (or `opts.range` of it) as verified
    /// plaintext, chunk by chunk, without writing anything to disk.
    ///
    /// Errors before the first byte (no such file, busy, no access, a bad
    /// offer) are returned here. Then the stream grants credit only as its
    /// reader takes chunks, so it holds about `opts.window` chunks however
    /// slowly it is read; for a whole file the final chunk is withheld
    /// until the SHA-256 of the whole file matches `hash`, and any failure
    /// ends the stream with an error item. Dropping the stream stops the
    /// transfer (the sender is told at once and frees its slot).
    pub async fn stream(&self, hash: &str, opts: StreamOptions) -> Result<DownloadStream> {
        check_hash(hash)?;
        let range = opts.range.unwrap_or(ByteRange {
            offset: 0,
            length: None,
        });
        let ask = Ask {
            hash,
            offset: range.offset,
            length: range.length,
            chunk_size: opts.chunk_size,
            window: Some(opts.window.unwrap_or(STREAM_WINDOW)),
        };
        let session = Session::open(self, ask).await?;
        DownloadStream::start(session, hash)
    }
}
