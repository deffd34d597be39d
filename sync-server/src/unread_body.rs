//! Answers to requests whose body was never read close their connection, and say so.
//!
//! A handler may answer before reading the body it was sent: a refusal decided from the
//! path, the session or the role alone (cheap checks come before reading bytes), or a POST
//! whose body carries nothing the handler needs. The HTTP server then cannot reuse the
//! connection (the unread bytes are still on it) and closes it after the answer, but without
//! telling the client; a client that pools connections may send its next request down the
//! closing one and see it cut ("peer disconnected"), which it must not retry for a POST.
//! So such an answer carries `Connection: close`: the client opens a new connection for
//! its next request. The body is still never read for that.

use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll};

use axum::body::{Body, Bytes};
use axum::extract::Request;
use axum::http::{HeaderValue, header};
use axum::middleware::Next;
use axum::response::Response;
use http_body::{Body as _, Frame, SizeHint};

/// The middleware: marks the answer `Connection: close` when the request had a body that
/// was not read to its end.
pub async fn close_if_body_unread(request: Request, next: Next) -> Response {
    if request.body().is_end_stream() {
        return next.run(request).await;
    }
    let ended = Arc::new(AtomicBool::new(false));
    let (parts, body) = request.into_parts();
    let watched = Body::new(WatchedBody {
        inner: body,
        ended: ended.clone(),
    });
    let mut response = next.run(Request::from_parts(parts, watched)).await;
    if !ended.load(Ordering::Acquire) {
        response
            .headers_mut()
            .insert(header::CONNECTION, HeaderValue::from_static("close"));
    }
    response
}

/// A request body that records when it has been read to its end.
struct WatchedBody {
    inner: Body,
    ended: Arc<AtomicBool>,
}

impl http_body::Body for WatchedBody {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        let this = self.get_mut();
        let polled = Pin::new(&mut this.inner).poll_frame(cx);
        if matches!(polled, Poll::Ready(None)) || this.inner.is_end_stream() {
            this.ended.store(true, Ordering::Release);
        }
        polled
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::Router;
    use axum::routing::post;
    use tower::ServiceExt;

    fn app() -> Router {
        Router::new()
            .route("/ignores", post(|| async { "answered unread" }))
            .route(
                "/reads",
                post(|body: Bytes| async move { body.len().to_string() }),
            )
            .layer(axum::middleware::from_fn(close_if_body_unread))
    }

    async fn connection_header(path: &str, body: &'static str) -> Option<String> {
        let response = app()
            .oneshot(
                Request::post(path)
                    .header(header::CONTENT_LENGTH, body.len())
                    .body(Body::from(body))
                    .expect("request"),
            )
            .await
            .expect("answer");
        response
            .headers()
            .get(header::CONNECTION)
            .map(|v| v.to_str().expect("ascii").to_owned())
    }

    #[tokio::test]
    async fn an_answer_that_left_the_body_unread_closes_the_connection() {
        assert_eq!(
            connection_header("/ignores", "{\"a\":1}").await.as_deref(),
            Some("close")
        );
    }

    #[tokio::test]
    async fn an_answer_that_read_the_body_or_had_none_keeps_the_connection() {
        assert_eq!(connection_header("/reads", "{\"a\":1}").await, None);
        assert_eq!(connection_header("/ignores", "").await, None);
    }
}
