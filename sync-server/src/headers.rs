//! The headers every answer of the relay carries, set in one layer over the whole router:
//! the console, the HR API (JSON with personal data, printable HTML pages), the tablets'
//! routes. Kept by no cache unless the route says otherwise (stylesheets), never sniffed
//! into another type, never framed, no referrer (queries hold searches), and a content
//! policy that allows nothing but the relay's own stylesheets, forms and the printable
//! pages' own inline stylesheet. Over TLS, [`strict_transport_security`] is added too.

use std::sync::OnceLock;

use axum::extract::Request;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::middleware::Next;
use axum::response::Response;
use sha2::{Digest, Sha256};

/// HSTS for a relay serving TLS: a year, the usual figure; tablets and browsers then never
/// try plain HTTP to it.
pub const STRICT_TRANSPORT_SECURITY: &str = "max-age=31536000";

/// Sets the shared headers on every answer.
pub async fn security_headers(request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    apply(response.headers_mut());
    response
}

/// Adds `Strict-Transport-Security` to every answer: for a relay served over TLS only.
pub async fn strict_transport_security(request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    response.headers_mut().insert(
        header::STRICT_TRANSPORT_SECURITY,
        HeaderValue::from_static(STRICT_TRANSPORT_SECURITY),
    );
    response
}

/// The shared headers, on `headers`. A route's own `Cache-Control` stays (stylesheets may
/// be cached), and so does its own content policy (the visitor's receipt page sets its own,
/// as strict, allowing its one same-origin script); everything else is the relay's policy.
pub fn apply(headers: &mut HeaderMap) {
    headers
        .entry(header::CONTENT_SECURITY_POLICY)
        .or_insert_with(|| content_policy().clone());
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    headers
        .entry(header::CACHE_CONTROL)
        .or_insert(HeaderValue::from_static("no-store"));
}

/// The content policy: nothing but the relay's own stylesheets and forms, and the one
/// inline stylesheet of the printable pages (allowed by its hash, so a page saved from the
/// API still prints as it should).
fn content_policy() -> &'static HeaderValue {
    static POLICY: OnceLock<HeaderValue> = OnceLock::new();
    POLICY.get_or_init(|| {
        let print_css = base64(&Sha256::digest(crate::hr::printable::PRINT_CSS.as_bytes()));
        HeaderValue::from_str(&format!(
            "default-src 'none'; style-src 'self' 'sha256-{print_css}'; img-src 'self'; \
             form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
        ))
        .expect("a valid header value")
    })
}

/// Standard base64 with padding, as CSP hash sources are written.
fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_matches_the_rfc_4648_vectors() {
        for (input, expected) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ] {
            assert_eq!(base64(input.as_bytes()), expected);
        }
    }

    #[test]
    fn the_policy_allows_the_printable_pages_inline_stylesheet_by_its_hash_only() {
        let policy = content_policy().to_str().expect("ascii").to_owned();
        assert!(policy.contains("default-src 'none'"), "{policy}");
        assert!(!policy.contains("unsafe-inline"), "{policy}");
        let hash = base64(&Sha256::digest(crate::hr::printable::PRINT_CSS.as_bytes()));
        assert!(policy.contains(&format!("'sha256-{hash}'")), "{policy}");
    }
}
