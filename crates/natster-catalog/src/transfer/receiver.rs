//! The receiving side: [`CatalogClient`] asks a catalog server for its
//! contents, downloads files, or streams them ([`CatalogClient::stream`]).
//!
//! A download writes verified chunks, in order, to `.OUT.natster-part` next
//! to OUT, with a sidecar `.OUT.natster-part.json` naming what the part
//! belongs to. Only when the last chunk is in, the part fsynced and its
//! SHA-256 equal to the catalog's, is it renamed to OUT. Anything else
//! leaves OUT untouched; the part stays for `resume` unless its hash was
//! wrong (then it is deleted: resuming it could never succeed).

mod client;
mod options;
mod session;
mod source;
mod stream;
mod to_file;

pub use client::CatalogClient;
pub use options::{ByteRange, DownloadOptions, DownloadProgress, DownloadReport};
pub use stream::{DownloadStream, STREAM_WINDOW, StreamInfo, StreamOptions};
pub use to_file::part_paths;
