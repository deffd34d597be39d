//! Every request's log span and id: the relay gives each request an id, sends it back in
//! `X-Request-Id`, and logs everything done for the request inside a span carrying that id,
//! the method, the route's pattern (never the path itself or its query, which may hold a
//! search term or a record id) and the client's address (after [`crate::client_address`]).
//!
//! An id that a trusted proxy sends along is kept when it is short plain ASCII, so a
//! request can be followed from the proxy's log into the relay's; any other is replaced.

use std::net::SocketAddr;

use axum::extract::connect_info::ConnectInfo;
use axum::extract::{MatchedPath, Request};
use axum::http::{HeaderName, HeaderValue};
use axum::middleware::Next;
use axum::response::Response;

use crate::client_address::FromTrustedProxy;

/// The header carrying the request id, both ways.
pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");
/// The longest id taken from a proxy.
pub const MAX_FORWARDED_ID: usize = 64;

/// The request's id, in its extensions for the span.
#[derive(Debug, Clone)]
pub struct RequestId(pub HeaderValue);

/// Gives the request its id (a trusted proxy's, if plain, else a new random one) and puts
/// it on the answer.
pub async fn assign(mut request: Request, next: Next) -> Response {
    let from_proxy = request
        .extensions()
        .get::<FromTrustedProxy>()
        .is_some_and(|trusted| trusted.0);
    let forwarded = request
        .headers()
        .get(&REQUEST_ID)
        .filter(|_| from_proxy)
        .filter(|value| plain_id(value.as_bytes()))
        .cloned();
    let id = forwarded.unwrap_or_else(new_id);
    request.extensions_mut().insert(RequestId(id.clone()));
    let mut response = next.run(request).await;
    response.headers_mut().insert(REQUEST_ID, id);
    response
}

/// 1 to [`MAX_FORWARDED_ID`] letters, digits, `-`, `_`, `.` or `:`: nothing that could
/// forge a log line or carry much.
fn plain_id(id: &[u8]) -> bool {
    (1..=MAX_FORWARDED_ID).contains(&id.len())
        && id
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b':'))
}

fn new_id() -> HeaderValue {
    HeaderValue::from_str(&hex::encode(rand::random::<[u8; 8]>())).expect("hex is a header value")
}

/// The span everything logged for `request` is inside (tower-http's trace layer makes it).
pub fn span<B>(request: &axum::http::Request<B>) -> tracing::Span {
    let extensions = request.extensions();
    let id = extensions
        .get::<RequestId>()
        .and_then(|id| id.0.to_str().ok())
        .unwrap_or("-");
    let route = extensions
        .get::<MatchedPath>()
        .map_or("-", MatchedPath::as_str);
    let client = extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|info| info.0.ip().to_string());
    tracing::info_span!(
        "request",
        request_id = %id,
        method = %request.method(),
        route = %route,
        client = client.as_deref().unwrap_or("-"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_short_plain_ids_are_taken() {
        assert!(plain_id(b"abc-123_x.y:z"));
        assert!(plain_id(&[b'a'; MAX_FORWARDED_ID]));
        assert!(!plain_id(&[b'a'; MAX_FORWARDED_ID + 1]));
        assert!(!plain_id(b""));
        assert!(!plain_id(b"has space"));
        assert!(!plain_id(b"quote\"d"));
        assert!(!plain_id("åäö".as_bytes()));
    }

    #[test]
    fn new_ids_are_sixteen_hex_digits_and_differ() {
        let (a, b) = (new_id(), new_id());
        assert_eq!(a.len(), 16);
        assert!(a.as_bytes().iter().all(u8::is_ascii_hexdigit));
        assert_ne!(a, b);
    }
}
