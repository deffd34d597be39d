//! A request's log lines, in the JSON format, carry its request id, its route and the client
//! a trusted proxy named. Alone in its test binary: it installs the process's log subscriber.

use std::io::Write;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::body::Body;
use axum::extract::connect_info::ConnectInfo;
use axum::http::Request;
use kiosk_sync_server::client_address::TrustedProxies;
use kiosk_sync_server::{AppState, router};
use tower::ServiceExt;

#[derive(Clone, Default)]
struct Lines(Arc<Mutex<Vec<u8>>>);

impl Write for Lines {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().expect("lines").extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn a_requests_log_lines_carry_its_id_and_the_forwarded_client() {
    let lines = Lines::default();
    let writer = lines.clone();
    let subscriber = tracing_subscriber::fmt()
        .json()
        .with_current_span(true)
        .with_span_list(true)
        .with_max_level(tracing::Level::TRACE)
        .with_writer(move || writer.clone())
        .finish();
    tracing::subscriber::set_global_default(subscriber).expect("the only subscriber");

    let mut state = AppState::demo_in_memory().expect("relay");
    state.trusted_proxies =
        Arc::new(TrustedProxies::parse_list("10.0.0.0/8").expect("trusted range"));
    let mut request = Request::post("/v1/enroll")
        .header("x-forwarded-for", "198.51.100.77")
        .header("x-request-id", "proxy-id-1");
    request = request.header("content-type", "application/cbor");
    let mut request = request.body(Body::from(&b"junk"[..])).expect("request");
    let proxy: SocketAddr = "10.0.0.2:40000".parse().expect("peer");
    request.extensions_mut().insert(ConnectInfo(proxy));
    let response = router(state).oneshot(request).await.expect("answer");
    assert_eq!(
        response.headers().get("x-request-id").map(|v| v.as_bytes()),
        Some(&b"proxy-id-1"[..])
    );

    let text = String::from_utf8(lines.0.lock().expect("lines").clone()).expect("utf-8");
    let parsed: Vec<serde_json::Value> = text
        .lines()
        .map(|line| serde_json::from_str(line).expect("each line is JSON"))
        .collect();
    let in_request: Vec<&serde_json::Value> = parsed
        .iter()
        .filter(|line| line["span"]["name"] == "request")
        .collect();
    assert!(!in_request.is_empty(), "{text}");
    for line in in_request {
        assert_eq!(line["span"]["request_id"], "proxy-id-1", "{line}");
        assert_eq!(line["span"]["client"], "198.51.100.77", "{line}");
        assert_eq!(line["span"]["route"], "/v1/enroll", "{line}");
    }
    assert!(
        parsed
            .iter()
            .any(|line| line["fields"]["message"] == "enrollment refused"),
        "the refusal is logged inside the request: {text}"
    );
}
