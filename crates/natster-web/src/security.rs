//! Browser security in one place: response headers (CSP, nosniff, framing,
//! referrer), the Origin check on state-changing requests, the CSRF token
//! check, and the session cookie.
//!
//! Why each:
//! - CSP `default-src 'self'` with no inline script or style: an injected
//!   tag cannot run (and the pages render other people's names with
//!   `textContent` only, so nothing is injected in the first place).
//! - `frame-ancestors 'none'`: no clickjacking of the share buttons.
//! - `Referrer-Policy: no-referrer`: a link code in the URL never leaks.
//! - Origin / `Sec-Fetch-Site` check and a per-session CSRF token in a
//!   header on every state-changing request: `SameSite=Strict` already keeps
//!   the cookie off cross-site requests; the token also covers same-site
//!   attackers (another port on the same host).

use axum::extract::{Request, State};
use axum::http::Method;
use axum::http::header::{self, HeaderMap, HeaderName, HeaderValue};
use axum::middleware::Next;
use axum::response::Response;

use crate::error::WebError;
use crate::session::COOKIE;
use crate::state::AppState;

/// The header carrying the CSRF token.
pub(crate) const CSRF_HEADER: &str = "x-natster-csrf";

/// The page's CSP.
pub(crate) const PAGE_CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; \
     img-src 'self'; media-src 'self'; connect-src 'self'; frame-src 'self'; font-src 'self'; \
     object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/// The CSP of a file served for preview: the file cannot run anything in
/// our origin (`sandbox` gives it an opaque origin), and only our pages may
/// frame it.
pub(crate) const FILE_CSP: &str = "default-src 'none'; img-src 'self'; media-src 'self'; style-src 'unsafe-inline'; \
     sandbox; frame-ancestors 'self'";

/// Chromium's PDF viewer does not run under a `sandbox` CSP; a PDF still
/// gets no script and may only be framed by our pages.
pub(crate) const PDF_CSP: &str = "default-src 'none'; frame-ancestors 'self'";

fn set_default(h: &mut HeaderMap, name: HeaderName, value: &'static str) {
    if !h.contains_key(&name) {
        h.insert(name, HeaderValue::from_static(value));
    }
}

/// Adds the security headers to every response (a handler may set a
/// stricter or file-specific CSP / framing first).
pub(crate) async fn headers(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let is_api = req.uri().path().starts_with("/api/");
    let mut resp = next.run(req).await;
    let h = resp.headers_mut();
    set_default(h, header::CONTENT_SECURITY_POLICY, PAGE_CSP);
    set_default(h, header::X_CONTENT_TYPE_OPTIONS, "nosniff");
    set_default(h, header::X_FRAME_OPTIONS, "DENY");
    set_default(h, header::REFERRER_POLICY, "no-referrer");
    set_default(
        h,
        HeaderName::from_static("cross-origin-opener-policy"),
        "same-origin",
    );
    set_default(
        h,
        HeaderName::from_static("cross-origin-resource-policy"),
        "same-origin",
    );
    if is_api {
        set_default(h, header::CACHE_CONTROL, "no-store");
    }
    if state.config.secure() {
        set_default(
            h,
            header::STRICT_TRANSPORT_SECURITY,
            "max-age=31536000; includeSubDomains",
        );
    }
    resp
}

/// Refuses state-changing requests that a browser says come from another
/// site or origin. Requests without `Origin` (the CLI) pass; they carry no
/// cookie a browser would add by itself.
pub(crate) async fn origin_check(
    State(state): State<AppState>,
    req: Request,
    next: Next,
) -> Result<Response, WebError> {
    if !matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS) {
        let h = req.headers();
        if let Some(site) = h.get("sec-fetch-site").and_then(|v| v.to_str().ok()) {
            if site == "cross-site" || site == "same-site" {
                return Err(WebError::Forbidden("cross-site request refused".into()));
            }
        }
        // Every Origin header must be ours (a request may carry several).
        let foreign = h
            .get_all(header::ORIGIN)
            .iter()
            .any(|o| o.to_str().map_or(true, |o| o != state.config.origin()));
        if foreign {
            return Err(WebError::Forbidden(
                "request from another origin refused".into(),
            ));
        }
    }
    Ok(next.run(req).await)
}

/// The session cookie's value in `headers`, if any.
pub(crate) fn session_cookie(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == COOKIE)
        .map(|(_, v)| v.to_owned())
}

/// `Set-Cookie` for a new session.
pub(crate) fn set_cookie(token: &str, secure: bool) -> String {
    format!(
        "{COOKIE}={token}; Path=/; HttpOnly; SameSite=Strict{}",
        if secure { "; Secure" } else { "" }
    )
}

/// `Set-Cookie` that removes the session cookie.
pub(crate) fn clear_cookie(secure: bool) -> String {
    format!(
        "{COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0{}",
        if secure { "; Secure" } else { "" }
    )
}

/// Checks the CSRF header against the session's token in constant time.
pub(crate) fn check_csrf(headers: &HeaderMap, expected: &str) -> Result<(), WebError> {
    let got = headers
        .get(CSRF_HEADER)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let (a, b) = (got.as_bytes(), expected.as_bytes());
    let same = a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0;
    if same && !expected.is_empty() {
        Ok(())
    } else {
        Err(WebError::Forbidden("missing or wrong CSRF token".into()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cookies_and_csrf() {
        let mut h = HeaderMap::new();
        h.insert(
            header::COOKIE,
            HeaderValue::from_static("a=1; natster_session=tok; b=2"),
        );
        assert_eq!(session_cookie(&h).as_deref(), Some("tok"));
        assert!(set_cookie("t", true).contains("; Secure"));
        assert!(set_cookie("t", false).contains("HttpOnly; SameSite=Strict"));
        assert!(!set_cookie("t", false).contains("Secure"));
        assert!(check_csrf(&h, "abc").is_err());
        h.insert(CSRF_HEADER, HeaderValue::from_static("abc"));
        assert!(check_csrf(&h, "abc").is_ok());
        assert!(check_csrf(&h, "abd").is_err());
        assert!(check_csrf(&h, "").is_err());
    }
}
