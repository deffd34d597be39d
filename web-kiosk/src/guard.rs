//! What every request passes before a screen sees it, and what every answer carries.
//!
//! - The `Host` must be the shell's own address: a web page elsewhere cannot reach the
//!   kiosk's loopback port through a name it controls (DNS rebinding) and read a visitor's
//!   form.
//! - A post must come from the kiosk's own pages: an `Origin` or `Sec-Fetch-Site` naming
//!   another site is refused (cross-site request forgery). Clients that send neither are
//!   not browsers and cannot be used by another site.
//! - Every answer is kept by no cache and no history (`no-store`), never sniffed, never
//!   framed, sends no referrer, and runs under a content policy that allows only the
//!   shell's own stylesheet, its one script file, and posts to itself.

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use maud::{DOCTYPE, html};

use crate::state::Shell;
use crate::texts::texts;
use kiosk_ffi::types::Language;

/// The content policy: nothing inline, nothing from elsewhere.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; \
     style-src 'self'; img-src 'self'; connect-src 'self'; form-action 'self'; \
     frame-ancestors 'none'; base-uri 'none'";

/// Refuses requests for another host and posts from another origin.
pub async fn same_site_only(
    State(shell): State<Arc<Shell>>,
    request: Request,
    next: Next,
) -> Response {
    let headers = request.headers();
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("");
    if !host_is_ours(host, &shell) {
        return refusal(StatusCode::MISDIRECTED_REQUEST, |t| t.wrong_host);
    }
    let reads_only = request.method() == Method::GET || request.method() == Method::HEAD;
    // A page elsewhere may not even read or navigate the kiosk's screens: a GET of `/` ends
    // the visit on screen, so an image tag on another site must not reach it.
    if (reads_only && from_another_site(headers)) || (!reads_only && !from_our_pages(headers, host))
    {
        tracing::warn!("refused a request from another site");
        return refusal(StatusCode::FORBIDDEN, |t| t.cross_origin);
    }
    next.run(request).await
}

/// Sets the shared headers on every answer.
pub async fn security_headers(request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CONTENT_SECURITY_POLICY),
    );
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    headers.insert(
        header::HeaderName::from_static("permissions-policy"),
        HeaderValue::from_static("camera=(), microphone=(), geolocation=(), payment=()"),
    );
    // Every screen may hold a visitor's data: nothing is kept for Back or a later visitor.
    // The two static assets say otherwise themselves.
    headers
        .entry(header::CACHE_CONTROL)
        .or_insert(HeaderValue::from_static("no-store"));
    response
}

/// Whether `host` (a `Host` header) names the address the shell serves.
fn host_is_ours(host: &str, shell: &Shell) -> bool {
    let listen = shell.config.listen;
    let port = listen.port();
    let allowed = [
        format!("127.0.0.1:{port}"),
        format!("localhost:{port}"),
        format!("[::1]:{port}"),
        listen.to_string(),
    ];
    allowed.iter().any(|a| a.eq_ignore_ascii_case(host))
        || shell
            .config
            .public_host
            .as_deref()
            .is_some_and(|public| public.eq_ignore_ascii_case(host))
}

/// Whether a browser says the request comes from another site (a page there, not the
/// address bar or the kiosk's own pages).
fn from_another_site(headers: &HeaderMap) -> bool {
    headers
        .get("sec-fetch-site")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|site| site == "cross-site" || site == "same-site")
}

/// Whether a post comes from the shell's own pages (or from no browser at all).
fn from_our_pages(headers: &HeaderMap, host: &str) -> bool {
    let site = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok());
    if let Some(origin) = headers.get(header::ORIGIN) {
        // Under `Referrer-Policy: no-referrer` a browser posts the shell's own forms with
        // `Origin: null`; then only its `Sec-Fetch-Site` can tell, and without one it is
        // refused.
        if origin.as_bytes() == b"null" {
            return site.is_some_and(|s| s == "same-origin");
        }
        // Plain HTTP on loopback; HTTPS when a TLS front serves a public host.
        return origin.to_str().is_ok_and(|o| {
            ["http://", "https://"].iter().any(|scheme| {
                o.strip_prefix(scheme)
                    .is_some_and(|authority| authority.eq_ignore_ascii_case(host))
            })
        });
    }
    match site {
        Some(site) => site == "same-origin" || site == "none",
        None => true,
    }
}

/// A refusal before any screen knows the visitor's language: both languages.
pub fn refusal(
    status: StatusCode,
    message: impl Fn(&'static crate::texts::Texts) -> &'static str,
) -> Response {
    let sv = message(texts(Language::Swedish));
    let en = message(texts(Language::English));
    let page = html! {
        (DOCTYPE)
        html lang="sv" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { "Fel: " (sv) }
                link rel="stylesheet" href="/assets/kiosk.css";
            }
            body {
                main #main {
                    h1 { "Det gick inte / It did not work" }
                    p.alert role="alert" { (sv) }
                    p lang="en" { (en) }
                    p { a.button href="/" { "Till början" } " " a.button lang="en" href="/" { "To the start" } }
                }
            }
        }
    };
    (status, axum::response::Html(page.into_string())).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_post_with_another_origin_is_not_ours() {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::ORIGIN,
            HeaderValue::from_static("http://evil.example"),
        );
        assert!(!from_our_pages(&headers, "127.0.0.1:8710"));
        headers.insert(
            header::ORIGIN,
            HeaderValue::from_static("http://127.0.0.1:8710"),
        );
        assert!(from_our_pages(&headers, "127.0.0.1:8710"));
    }

    #[test]
    fn a_null_origin_is_ours_only_when_the_browser_says_same_origin() {
        let mut headers = HeaderMap::new();
        headers.insert(header::ORIGIN, HeaderValue::from_static("null"));
        assert!(!from_our_pages(&headers, "127.0.0.1:8710"));
        headers.insert("sec-fetch-site", HeaderValue::from_static("cross-site"));
        assert!(!from_our_pages(&headers, "127.0.0.1:8710"));
        headers.insert("sec-fetch-site", HeaderValue::from_static("same-origin"));
        assert!(from_our_pages(&headers, "127.0.0.1:8710"));
    }

    #[test]
    fn a_tls_front_s_own_origin_is_ours() {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::ORIGIN,
            HeaderValue::from_static("https://kiosk.example"),
        );
        assert!(from_our_pages(&headers, "kiosk.example"));
        assert!(!from_our_pages(&headers, "other.example"));
    }

    #[test]
    fn a_read_from_another_site_is_refused_and_the_address_bar_is_not() {
        let mut headers = HeaderMap::new();
        assert!(!from_another_site(&headers));
        headers.insert("sec-fetch-site", HeaderValue::from_static("none"));
        assert!(!from_another_site(&headers));
        headers.insert("sec-fetch-site", HeaderValue::from_static("cross-site"));
        assert!(from_another_site(&headers));
    }

    #[test]
    fn a_cross_site_fetch_without_origin_is_not_ours() {
        let mut headers = HeaderMap::new();
        headers.insert("sec-fetch-site", HeaderValue::from_static("cross-site"));
        assert!(!from_our_pages(&headers, "127.0.0.1:8710"));
        headers.insert("sec-fetch-site", HeaderValue::from_static("same-site"));
        assert!(!from_our_pages(&headers, "127.0.0.1:8710"));
        headers.insert("sec-fetch-site", HeaderValue::from_static("same-origin"));
        assert!(from_our_pages(&headers, "127.0.0.1:8710"));
    }
}
