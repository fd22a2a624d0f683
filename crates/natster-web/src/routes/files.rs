//! `GET /api/catalogs/<owner>/<catalog>/files/<hash>`: a file's bytes, for
//! preview, the media player (HTTP Range mapped onto a ranged transfer, so
//! seeking works without transcoding) and downloads (`?download=1`).
//!
//! Files come from other people, so what a browser may do with them is
//! narrowed: only known-harmless types are served inline (images, audio,
//! video, PDF, and text as `text/plain`); anything else — HTML, SVG, scripts
//! — is an attachment of type `application/octet-stream`. Inline files get a
//! sandboxing CSP and `nosniff`.

use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::http::header::{self, HeaderMap, HeaderValue};
use axum::response::Response;
use natster_catalog::ByteRange;
use serde::Deserialize;

use crate::error::WebError;
use crate::range::{self, RangeRequest};
use crate::routes::authed::Authed;
use crate::routes::catalogs::{client_for, summary};
use crate::security::{FILE_CSP, PDF_CSP};
use crate::state::AppState;

#[derive(Debug, Deserialize)]
pub(crate) struct FileQuery {
    #[serde(default)]
    download: Option<String>,
}

fn check_hash(h: &str) -> Result<(), WebError> {
    if h.len() == 64 && h.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) {
        Ok(())
    } else {
        Err(WebError::BadRequest(
            "a file is named by its SHA-256 (64 lowercase hex)".into(),
        ))
    }
}

/// The type to send and whether it may be shown inline.
pub(crate) fn served_type(mime: &str) -> (&'static str, bool) {
    let m = mime
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    let inline: Option<&'static str> = match m.as_str() {
        "image/png" => Some("image/png"),
        "image/jpeg" => Some("image/jpeg"),
        "image/gif" => Some("image/gif"),
        "image/webp" => Some("image/webp"),
        "image/avif" => Some("image/avif"),
        "application/pdf" => Some("application/pdf"),
        "video/webm" => Some("video/webm"),
        "video/mp4" => Some("video/mp4"),
        "video/ogg" => Some("video/ogg"),
        "audio/mpeg" => Some("audio/mpeg"),
        "audio/ogg" => Some("audio/ogg"),
        "audio/webm" => Some("audio/webm"),
        "audio/wav" | "audio/x-wav" => Some("audio/wav"),
        "audio/flac" => Some("audio/flac"),
        "audio/mp4" => Some("audio/mp4"),
        "application/json" => Some("text/plain; charset=utf-8"),
        t if t.starts_with("text/") => Some("text/plain; charset=utf-8"),
        _ => None,
    };
    match inline {
        Some(t) => (t, true),
        None => ("application/octet-stream", false),
    }
}

/// `Content-Disposition` with the file's own name, safely encoded.
fn disposition(kind: &str, path: &str) -> String {
    let name = path.rsplit('/').next().unwrap_or("download");
    let ascii: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "._- ".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    let mut pct = String::new();
    for b in name.bytes() {
        if b.is_ascii_alphanumeric() || b"._-".contains(&b) {
            pct.push(char::from(b));
        } else {
            pct.push_str(&format!("%{b:02X}"));
        }
    }
    format!("{kind}; filename=\"{ascii}\"; filename*=UTF-8''{pct}")
}

pub(crate) async fn file(
    State(state): State<AppState>,
    Authed(s): Authed,
    Path((owner, catalog, hash)): Path<(String, String, String)>,
    Query(q): Query<FileQuery>,
    headers: HeaderMap,
) -> Result<Response, WebError> {
    check_hash(&hash)?;
    let (client, _) = s.client()?;
    let contents = summary(&state, client.clone(), &s.account, &owner, &catalog, false).await?;
    let entry = contents
        .entries
        .iter()
        .find(|e| e.hash == hash)
        .ok_or_else(|| WebError::NotFound("no such file in this catalog".into()))?;
    let size = entry.byte_size;
    let want_download = q.download.is_some();
    let (ctype, inline_ok) = served_type(&entry.mime_type);
    let (ctype, inline) = if want_download || !inline_ok {
        ("application/octet-stream", false)
    } else {
        (ctype, true)
    };
    let range_header = headers.get(header::RANGE).and_then(|v| v.to_str().ok());
    let req = range::parse(range_header, size);
    let (status, byte_range) = match req {
        RangeRequest::Unsatisfiable => return Err(WebError::RangeNotSatisfiable { size }),
        RangeRequest::Full => (StatusCode::OK, None),
        RangeRequest::Partial { start, end } => (
            StatusCode::PARTIAL_CONTENT,
            Some(ByteRange {
                offset: start,
                length: Some(end - start + 1),
            }),
        ),
    };
    let len = req.len(size);
    let body = if len == 0 {
        Body::empty()
    } else {
        let cat = client_for(&state, client, &s.account, &owner, &catalog).await?;
        Body::from_stream(crate::body::stream(
            cat,
            hash.clone(),
            byte_range,
            len,
            s.watch(),
        ))
    };
    let mut resp = Response::new(body);
    *resp.status_mut() = status;
    let h = resp.headers_mut();
    let mut set = |name: header::HeaderName, value: String| {
        if let Ok(v) = HeaderValue::from_str(&value) {
            h.insert(name, v);
        }
    };
    set(header::CONTENT_TYPE, ctype.to_owned());
    set(header::CONTENT_LENGTH, len.to_string());
    set(header::ACCEPT_RANGES, "bytes".to_owned());
    if let RangeRequest::Partial { start, end } = req {
        set(header::CONTENT_RANGE, format!("bytes {start}-{end}/{size}"));
    }
    set(
        header::CONTENT_DISPOSITION,
        disposition(if inline { "inline" } else { "attachment" }, &entry.path),
    );
    set(header::CACHE_CONTROL, "private, no-store".to_owned());
    set(header::ETAG, format!("\"{hash}\""));
    let csp = if ctype == "application/pdf" {
        PDF_CSP
    } else {
        FILE_CSP
    };
    set(header::CONTENT_SECURITY_POLICY, csp.to_owned());
    set(header::X_FRAME_OPTIONS, "SAMEORIGIN".to_owned());
    Ok(resp)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_harmless_types_are_inline() {
        assert_eq!(served_type("video/webm"), ("video/webm", true));
        assert_eq!(
            served_type("text/html"),
            ("text/plain; charset=utf-8", true)
        );
        assert_eq!(
            served_type("image/svg+xml"),
            ("application/octet-stream", false)
        );
        assert_eq!(
            served_type("application/xhtml+xml"),
            ("application/octet-stream", false)
        );
        assert_eq!(
            served_type("application/javascript"),
            ("application/octet-stream", false)
        );
        assert_eq!(served_type("IMAGE/PNG; x=y"), ("image/png", true));
    }

    #[test]
    fn dispositions_are_header_safe() {
        let d = disposition("attachment", "a/<img src=x onerror=alert(1)>\"\r\n.webm");
        assert!(d.is_ascii() && !d.contains('\n') && !d.contains("<img"));
        assert!(HeaderValue::from_str(&d).is_ok());
        assert!(
            d.starts_with("attachment; filename=\"_img src_x onerror_alert_1_____.webm\""),
            "{d}"
        );
    }
}
