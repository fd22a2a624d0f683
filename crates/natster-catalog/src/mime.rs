//! MIME types by content, then by extension. A small own table: the media
//! kinds people share, without a heavy sniffing crate. Magic bytes win over
//! the extension because names lie more often than headers do; the
//! extension decides among container formats whose headers are shared
//! (ISO BMFF: mp4/m4v/m4a/mov; Matroska: mkv/webm; Ogg: ogg/opus/ogv).

/// How many bytes of a file [`sniff`] looks at.
pub const SNIFF_LEN: usize = 512;

/// The generic type when neither content nor extension tells.
pub const OCTET_STREAM: &str = "application/octet-stream";

/// The MIME type of a file named `name` whose first bytes are `head`
/// (at most [`SNIFF_LEN`] are read).
pub fn detect(name: &str, head: &[u8]) -> &'static str {
    let ext = extension(name);
    match sniff(head) {
        Some(Magic::IsoBmff { brand }) => match ext.as_deref() {
            Some("mov") => "video/quicktime",
            Some("m4a") => "audio/mp4",
            Some("m4v") => "video/x-m4v",
            _ if brand == *b"qt  " => "video/quicktime",
            _ if brand.starts_with(b"M4A") => "audio/mp4",
            _ => "video/mp4",
        },
        Some(Magic::Matroska) => match ext.as_deref() {
            Some("webm") => "video/webm",
            _ => "video/x-matroska",
        },
        Some(Magic::Ogg) => match ext.as_deref() {
            Some("opus") => "audio/opus",
            Some("ogv") => "video/ogg",
            _ => "audio/ogg",
        },
        Some(Magic::Exact(t)) => t,
        Some(Magic::Text) => ext
            .as_deref()
            .and_then(by_extension)
            .unwrap_or("text/plain"),
        None => ext
            .as_deref()
            .and_then(by_extension)
            .unwrap_or(OCTET_STREAM),
    }
}

enum Magic {
    IsoBmff {
        brand: [u8; 4],
    },
    Matroska,
    Ogg,
    Exact(&'static str),
    /// Valid UTF-8 without control bytes: the extension picks the text kind.
    Text,
}

fn sniff(head: &[u8]) -> Option<Magic> {
    let h = &head[..head.len().min(SNIFF_LEN)];
    let starts = |m: &[u8]| h.starts_with(m);
    if h.len() >= 12 && &h[4..8] == b"ftyp" {
        let mut brand = [0u8; 4];
        brand.copy_from_slice(&h[8..12]);
        return Some(Magic::IsoBmff { brand });
    }
    if starts(&[0x1A, 0x45, 0xDF, 0xA3]) {
        return Some(Magic::Matroska);
    }
    if starts(b"OggS") {
        return Some(Magic::Ogg);
    }
    let exact = if starts(b"fLaC") {
        "audio/flac"
    } else if starts(b"ID3")
        || (h.len() >= 2 && h[0] == 0xFF && h[1] & 0xE0 == 0xE0 && h[1] & 0x06 != 0)
    {
        // An MPEG audio frame sync with a valid layer; ADTS AAC has layer 0.
        "audio/mpeg"
    } else if h.len() >= 12 && starts(b"RIFF") && &h[8..12] == b"WAVE" {
        "audio/wav"
    } else if h.len() >= 12 && starts(b"RIFF") && &h[8..12] == b"WEBP" {
        "image/webp"
    } else if h.len() >= 12 && starts(b"RIFF") && &h[8..12] == b"AVI " {
        "video/x-msvideo"
    } else if starts(b"\x89PNG\r\n\x1a\n") {
        "image/png"
    } else if starts(&[0xFF, 0xD8, 0xFF]) {
        "image/jpeg"
    } else if starts(b"GIF87a") || starts(b"GIF89a") {
        "image/gif"
    } else if starts(b"%PDF-") {
        "application/pdf"
    } else if starts(b"PK\x03\x04") {
        "application/zip"
    } else if !h.is_empty() && looks_like_text(h) {
        return Some(Magic::Text);
    } else {
        return None;
    };
    Some(Magic::Exact(exact))
}

fn looks_like_text(h: &[u8]) -> bool {
    // The head may end inside a multi-byte character: accept an incomplete tail.
    let valid = match std::str::from_utf8(h) {
        Ok(_) => true,
        Err(e) => e.error_len().is_none(),
    };
    valid
        && !h
            .iter()
            .any(|&b| b < 0x20 && !matches!(b, b'\n' | b'\r' | b'\t' | 0x0C))
}

fn extension(name: &str) -> Option<String> {
    let base = name.rsplit('/').next().unwrap_or(name);
    let (stem, ext) = base.rsplit_once('.')?;
    (!stem.is_empty() && !ext.is_empty()).then(|| ext.to_ascii_lowercase())
}

/// The MIME type for a lowercase extension, if it is one we know.
pub fn by_extension(ext: &str) -> Option<&'static str> {
    Some(match ext {
        "mp4" => "video/mp4",
        "m4v" => "video/x-m4v",
        "m4a" => "audio/mp4",
        "mov" => "video/quicktime",
        "webm" => "video/webm",
        "mkv" => "video/x-matroska",
        "avi" => "video/x-msvideo",
        "ogv" => "video/ogg",
        "mp3" => "audio/mpeg",
        "flac" => "audio/flac",
        "ogg" | "oga" => "audio/ogg",
        "opus" => "audio/opus",
        "wav" => "audio/wav",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "gif" => "image/gif",
        "webp" => "image/webp",
        "svg" => "image/svg+xml",
        "pdf" => "application/pdf",
        "zip" => "application/zip",
        "txt" | "text" | "log" => "text/plain",
        "md" | "markdown" => "text/markdown",
        "json" => "application/json",
        "html" | "htm" => "text/html",
        "csv" => "text/csv",
        "srt" => "application/x-subrip",
        "vtt" => "text/vtt",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_and_extension_table() {
        let mut mp4 = vec![0, 0, 0, 0x20];
        mp4.extend_from_slice(b"ftypisom");
        let mut qt = vec![0, 0, 0, 0x14];
        qt.extend_from_slice(b"ftypqt  ");
        let cases: &[(&str, &[u8], &str)] = &[
            ("a.mp4", &mp4, "video/mp4"),
            ("a.m4v", &mp4, "video/x-m4v"),
            ("a.bin", &mp4, "video/mp4"),
            ("a.mov", &mp4, "video/quicktime"),
            ("clip", &qt, "video/quicktime"),
            ("a.webm", &[0x1A, 0x45, 0xDF, 0xA3, 1], "video/webm"),
            ("a.mkv", &[0x1A, 0x45, 0xDF, 0xA3, 1], "video/x-matroska"),
            ("a.mp3", b"ID3\x04\0", "audio/mpeg"),
            ("noid3", &[0xFF, 0xFB, 0x90, 0x00], "audio/mpeg"),
            ("a.flac", b"fLaC\0\0", "audio/flac"),
            ("a.ogg", b"OggS\0\x02", "audio/ogg"),
            ("a.opus", b"OggS\0\x02", "audio/opus"),
            ("a.wav", b"RIFF\0\0\0\0WAVEfmt ", "audio/wav"),
            ("a.webp", b"RIFF\0\0\0\0WEBPVP8 ", "image/webp"),
            ("x.jpg", b"\x89PNG\r\n\x1a\n\0", "image/png"),
            ("x", &[0xFF, 0xD8, 0xFF, 0xE0], "image/jpeg"),
            ("x.gif", b"GIF89a..", "image/gif"),
            ("doc", b"%PDF-1.7\n", "application/pdf"),
            ("notes.md", b"# Title\n", "text/markdown"),
            ("data.json", b"{\"a\": 1}", "application/json"),
            ("readme", b"hello\n", "text/plain"),
            ("a.txt", "é".as_bytes(), "text/plain"),
            ("a.mp3", b"", "audio/mpeg"),
            ("blob", &[0, 1, 2, 3], OCTET_STREAM),
            ("blob.xyz", &[0, 1, 2, 3], OCTET_STREAM),
            (".hidden", b"\0\0", OCTET_STREAM),
        ];
        for (name, head, want) in cases {
            assert_eq!(detect(name, head), *want, "{name}");
        }
    }

    #[test]
    fn text_cut_inside_a_character_is_still_text() {
        let s = "aé".as_bytes();
        assert_eq!(detect("x.txt", &s[..2]), "text/plain");
    }
}
