//! The relay serves an OpenAPI document of its HR API, and the document and the routes
//! agree: every documented operation exists (never 404 or 405 for want of a route), and
//! every `/api/v1` route in the source is documented with its method.

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use kiosk_sync_server::{AppState, router};
use serde_json::Value;
use tower::ServiceExt;

/// The sources that declare HR API routes.
const ROUTE_SOURCES: &[&str] = &[
    include_str!("../src/hr/api.rs"),
    include_str!("../src/hr/access_log_api.rs"),
    include_str!("../src/hr/registrations_api.rs"),
    include_str!("../src/hr/record_edits.rs"),
    include_str!("../src/hr/quarantine_api.rs"),
    include_str!("../src/hr/devices_api.rs"),
    include_str!("../src/hr/events_api.rs"),
    include_str!("../src/hr/export_api.rs"),
    include_str!("../src/hr/retention_api.rs"),
    include_str!("../src/hr/documents_api.rs"),
    include_str!("../src/hr/provenance_api.rs"),
    include_str!("../src/hr/reconciliation.rs"),
    include_str!("../src/hr/user_access_api.rs"),
    include_str!("../src/hr/visitor_requests_api.rs"),
];

async fn send(state: &AppState, method: &str, path: &str) -> (StatusCode, Vec<u8>) {
    let request = Request::builder()
        .method(method)
        .uri(path)
        .header(header::CONTENT_TYPE, "application/json")
        .body(if method == "POST" {
            Body::from("{}")
        } else {
            Body::empty()
        })
        .expect("request");
    let response = router(state.clone())
        .oneshot(request)
        .await
        .expect("answer");
    let status = response.status();
    let body = axum::body::to_bytes(response.into_body(), 1 << 20)
        .await
        .expect("body");
    (status, body.to_vec())
}

fn documented(document: &Value) -> Vec<(String, String)> {
    let mut operations = Vec::new();
    for (path, item) in document["paths"].as_object().expect("paths") {
        for method in item.as_object().expect("operations").keys() {
            operations.push((method.to_uppercase(), path.clone()));
        }
    }
    operations
}

/// `(METHOD, path)` of every `.route("/api/v1/…", get(…).post(…))` in the sources.
fn routed() -> Vec<(String, String)> {
    let mut routes = Vec::new();
    for source in ROUTE_SOURCES {
        for part in source.split(".route(\"").skip(1) {
            let Some((path, rest)) = part.split_once('"') else {
                continue;
            };
            if !path.starts_with("/api/v1/") {
                continue;
            }
            let call = rest.split(")\n").next().unwrap_or_default();
            for method in ["get", "post", "put", "delete", "patch"] {
                if call.contains(&format!("{method}(")) {
                    routes.push((method.to_uppercase(), path.to_owned()));
                }
            }
        }
    }
    routes
}

#[tokio::test]
async fn the_openapi_document_and_the_routes_agree() {
    let state = AppState::demo_in_memory().expect("relay");
    let (status, body) = send(&state, "GET", "/api/v1/openapi.json").await;
    assert_eq!(status, StatusCode::OK);
    let document: Value = serde_json::from_slice(&body).expect("JSON");
    assert_eq!(document["openapi"], "3.1.0");
    let operations = documented(&document);
    assert!(operations.len() >= 15, "{operations:?}");

    for (method, path) in &operations {
        let concrete = path.replace("{id}", &"ab".repeat(32));
        let (status, _) = send(&state, method, &concrete).await;
        assert!(
            status != StatusCode::NOT_FOUND && status != StatusCode::METHOD_NOT_ALLOWED,
            "{method} {path} is documented but not routed ({status})"
        );
    }

    let routes = routed();
    assert!(routes.len() >= 15, "the route scan found {routes:?}");
    for route in &routes {
        assert!(
            route.1 == "/api/v1/openapi.json" || operations.contains(route),
            "{} {} is routed but not in src/hr/openapi.json",
            route.0,
            route.1
        );
    }
}
