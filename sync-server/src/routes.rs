//! The relay's routes.

use std::net::SocketAddr;

use axum::body::Bytes;
use axum::extract::connect_info::ConnectInfo;
use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::{HeaderMap, header};
use axum::response::IntoResponse;
use axum::routing::{get, post};
use axum::{Extension, Json, Router};
use serde_json::{Value, json};
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::trace::TraceLayer;

use crate::blocking::blocking;
use crate::enrollment::{self, EnrollRefusal};
use crate::error::AppError;
use crate::ingest;
use crate::state::{AppState, now_ms};

/// Routes without a body.
const DEFAULT_BODY_LIMIT: usize = 16 * 1024;
/// HR's API and console forms.
use crate::hr::params::HR_BODY_LIMIT;
/// An enrollment request is a few hundred bytes.
const ENROLL_BODY_LIMIT: usize = 4 * 1024;
/// A sync request: a batch of sealed captures (about 1.5 KiB each).
pub const SYNC_BODY_LIMIT: usize = 8 * 1024 * 1024;

pub fn router(state: AppState) -> Router {
    let enroll = limited(
        Router::new().route("/v1/enroll", post(enroll)),
        ENROLL_BODY_LIMIT,
    );
    let sync = limited(
        Router::new().route("/v1/sync", post(sync)).route_layer(
            axum::middleware::from_fn_with_state(state.clone(), sync_body_room),
        ),
        SYNC_BODY_LIMIT,
    );
    let reads = limited(
        Router::new()
            .route("/healthz", get(health))
            .route("/readyz", get(crate::observe::readiness::ready))
            .route(
                "/metrics",
                get(crate::observe::metrics::metrics_behind_token),
            )
            .route("/v1/events/{event_id}/form", get(current_form))
            .merge(crate::transparency::routes::routes())
            .merge(crate::witness::routes::routes()),
        DEFAULT_BODY_LIMIT,
    );
    let hr = limited(crate::hr::routes::api(), HR_BODY_LIMIT);
    let console = limited(crate::hr::console::routes(), HR_BODY_LIMIT);
    // Its own body limits per route (a few KiB).
    let visitor = crate::visitor_receipt::routes::routes();
    Router::new()
        .merge(enroll)
        .merge(sync)
        .merge(reads)
        .merge(hr)
        .merge(console)
        .merge(visitor)
        .layer(axum::middleware::from_fn(crate::headers::security_headers))
        .layer(axum::middleware::from_fn(
            crate::unread_body::close_if_body_unread,
        ))
        .layer(
            TraceLayer::new_for_http().make_span_with(crate::request_log::span::<axum::body::Body>),
        )
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            crate::observe::metrics::track,
        ))
        .layer(axum::middleware::from_fn(crate::request_log::assign))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            crate::client_address::resolve,
        ))
        .with_state(state)
}

/// `routes` taking bodies of up to `limit` bytes, exactly: tower-http's layer refuses a
/// larger declared or streamed body with 413, and axum's own extractor limit (2 MiB unless
/// set) is set to the same value, so neither cuts below or above the documented one.
fn limited(routes: Router<AppState>, limit: usize) -> Router<AppState> {
    routes
        .layer(DefaultBodyLimit::max(limit))
        .layer(RequestBodyLimitLayer::new(limit))
}

fn cbor(bytes: Vec<u8>) -> impl IntoResponse {
    let mut headers = HeaderMap::new();
    headers.insert(
        header::CONTENT_TYPE,
        "application/cbor".parse().expect("valid header"),
    );
    (headers, bytes)
}

async fn enroll(
    State(state): State<AppState>,
    peer: Option<Extension<ConnectInfo<SocketAddr>>>,
    body: Bytes,
) -> Result<impl IntoResponse, AppError> {
    let address = peer.map_or(std::net::IpAddr::from([127, 0, 0, 1]), |p| p.0.0.ip());
    let now = now_ms();
    let (store, keys, limiter) = (
        state.store.clone(),
        state.keys.clone(),
        state.enroll_failures.clone(),
    );
    let log_key = state.log_key.verifier().to_string();
    let witness_keys: Vec<String> = state.witness_keys.iter().map(|w| w.to_string()).collect();
    let enrolled = blocking(move || {
        // Counted first: a refused address costs one statement, no proof or code check.
        if !limiter.begin_attempt(store.as_ref(), address, now)? {
            return Ok(Err(EnrollRefusal::RateLimited));
        }
        let enrolled = enrollment::enroll_with_log(
            store.as_ref(),
            &keys,
            Some(&log_key),
            &witness_keys,
            &body,
            now,
        )?;
        if enrolled.is_ok() {
            // The tablet is enrolled whether or not this is recorded: its attempt stays
            // counted, nothing worse.
            if let Err(error) = limiter.forgive(store.as_ref(), address) {
                tracing::warn!(error = %error, "a successful enrollment was not forgiven");
            }
        }
        Ok::<_, crate::storage::StorageError>(enrolled)
    })
    .await??;
    let counted = match &enrolled {
        Ok(_) => "enrolled",
        Err(EnrollRefusal::RateLimited) => "rate_limited",
        Err(refusal) => refusal.code(),
    };
    state.observe.metrics.enrollment(counted);
    match enrolled {
        Ok(answer) => Ok(cbor(answer)),
        Err(EnrollRefusal::RateLimited) => Err(EnrollRefusal::RateLimited.into()),
        Err(refusal) => {
            tracing::warn!(code = refusal.code(), "enrollment refused");
            Err(refusal.into())
        }
    }
}

/// Holds room in the sync gate's byte budget for the body (its declared length, or the
/// limit when none is declared) before it is read, until the request is answered: bodies
/// are read whole before their signature says whose they are, so their sum is bounded
/// whoever sends them. The body limit outside this refuses a larger declared length first.
async fn sync_body_room(
    State(state): State<AppState>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    let declared = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    let _room = state
        .sync_gate
        .reserve_body(declared.unwrap_or(SYNC_BODY_LIMIT).min(SYNC_BODY_LIMIT))
        .await;
    next.run(request).await
}

async fn sync(State(state): State<AppState>, body: Bytes) -> Result<impl IntoResponse, AppError> {
    // At most a few requests are checked at once; past that a request waits a short,
    // bounded time for a turn, then the tablet is told `busy` (it keeps its copies and
    // tries again).
    let work = state.sync_gate.work().await.ok_or(AppError::Busy)?;
    let (store, keys, gate, observe) = (
        state.store.clone(),
        state.keys.clone(),
        state.sync_gate.clone(),
        state.observe.clone(),
    );
    let log_key = state.log_key.clone();
    let witness_keys = state.witness_keys.clone();
    let result = blocking(move || -> Result<Vec<u8>, AppError> {
        let request_hash = kiosk_core::protocol::SignedEnvelope::hash(&body);
        let mut device = None;
        let mut lookup_failed = None;
        let request =
            kiosk_core::protocol::open_request(&body, |signer| match store.device(signer) {
                Ok(Some(record)) => {
                    let key = ed25519_dalek::VerifyingKey::from_bytes(&record.device_key).ok();
                    device = Some(record);
                    key
                }
                Ok(None) => None,
                Err(e) => {
                    lookup_failed = Some(e);
                    None
                }
            });
        if let Some(e) = lookup_failed {
            return Err(e.into());
        }
        let request = request?;
        let device = device.ok_or(AppError::Internal)?;
        // One sync at a time per device (the design): a second one while the first runs
        // would only race it for the same sequence number.
        let _turn = gate.try_device(device.device_key).ok_or(AppError::Busy)?;
        let prepared = ingest::check_sync(
            store.as_ref(),
            &keys,
            &device,
            &request,
            request_hash,
            now_ms(),
        )?;
        // The turn to check is given back once the checks are done: waiting for the
        // store's shared commit costs no CPU, and meanwhile other requests are checked.
        // Its body's room is still held, so the requests waiting here stay bounded.
        drop(work);
        Ok(match prepared {
            ingest::Prepared::Answered(answer) => answer,
            ingest::Prepared::Checked(checked) => {
                let log: std::sync::Arc<dyn ingest::LogSigner> = log_key;
                checked
                    .with_log(log)
                    .with_witnesses(witness_keys)
                    .commit_with(store.as_ref(), &keys, &request, |answer| {
                        observe.metrics.sync_answered(answer)
                    })?
            }
        })
    })
    .await?;
    match &result {
        Ok(_) => state.store_health.written(),
        Err(AppError::StoreFull) => state.store_health.full(now_ms()),
        Err(_) => {}
    }
    Ok(cbor(result?))
}

/// Liveness: the process answers. Says too whether the store last refused a write for lack
/// of space, which `/readyz` turns into "not ready".
async fn health(State(state): State<AppState>) -> Json<Value> {
    let store = if state.store_health.full_since().is_some() {
        "full"
    } else {
        "ok"
    };
    Json(json!({ "status": "ok", "version": env!("CARGO_PKG_VERSION"), "store": store }))
}

/// The form and privacy notice new visitors get at an event: public, no personal data.
async fn current_form(
    State(state): State<AppState>,
    Path(event_id): Path<String>,
) -> Result<Json<Value>, AppError> {
    let id = kiosk_core::ids::EventId::parse(&event_id).ok_or(AppError::UnknownEvent)?;
    let store = state.store.clone();
    let event = blocking(move || store.event(&id))
        .await??
        .ok_or(AppError::UnknownEvent)?;
    let published = event.current_form().map_err(|_| AppError::NotPublished)?;
    Ok(Json(json!({
        "event_id": event.id,
        "name": event.name,
        "version": published.version,
        "published_at": published.published_at,
        "form": published.form,
    })))
}

#[cfg(test)]
mod tests {
    use axum::body::Body;
    use axum::http::{Request, StatusCode};
    use tower::ServiceExt;

    use super::*;

    async fn get_json(uri: &str) -> (StatusCode, Value) {
        let state = AppState::demo_in_memory().expect("state");
        let (status, body) = call(
            &state,
            Request::get(uri).body(Body::empty()).expect("request"),
        )
        .await;
        assert!(!body.is_null(), "{uri} answers JSON");
        (status, body)
    }

    async fn status_of(
        state: &AppState,
        uri: &str,
        body: Body,
        length: Option<usize>,
    ) -> StatusCode {
        let mut request = Request::post(uri).header(header::CONTENT_TYPE, "application/cbor");
        if let Some(length) = length {
            request = request.header(header::CONTENT_LENGTH, length);
        }
        router(state.clone())
            .oneshot(request.body(body).expect("request"))
            .await
            .expect("response")
            .status()
    }

    /// A body of `length` bytes sent in 64 KiB pieces with no declared length, so only
    /// the limit on what is read can refuse it.
    fn streamed(length: usize) -> Body {
        let pieces = (0..length.div_ceil(65536)).map(move |i| {
            let size = 65536.min(length - i * 65536);
            Ok::<_, std::io::Error>(Bytes::from(vec![0u8; size]))
        });
        Body::from_stream(futures_util::stream::iter(pieces))
    }

    #[tokio::test]
    async fn every_route_takes_exactly_its_documented_body_limit() {
        let state = AppState::demo_in_memory().expect("state");
        for (uri, limit) in [
            ("/v1/sync", SYNC_BODY_LIMIT),
            ("/v1/enroll", ENROLL_BODY_LIMIT),
            ("/api/v1/login", HR_BODY_LIMIT),
            ("/console/login", HR_BODY_LIMIT),
            ("/v1/events/sthlm-career-fair-2026/form", DEFAULT_BODY_LIMIT),
        ] {
            for declared in [true, false] {
                let at_limit = if declared {
                    status_of(&state, uri, Body::from(vec![0u8; limit]), Some(limit)).await
                } else {
                    status_of(&state, uri, streamed(limit), None).await
                };
                assert_ne!(
                    at_limit,
                    StatusCode::PAYLOAD_TOO_LARGE,
                    "{uri} refused exactly {limit} bytes (declared: {declared})"
                );
                let over = if declared {
                    status_of(
                        &state,
                        uri,
                        Body::from(vec![0u8; limit + 1]),
                        Some(limit + 1),
                    )
                    .await
                } else {
                    status_of(&state, uri, streamed(limit + 1), None).await
                };
                // A route that reads no body (a GET) answers 405 to a POST before reading.
                if uri.starts_with("/v1/events") {
                    continue;
                }
                // HR's API and console name a body they could not read as malformed
                // (400), one over the limit included, when no length was declared.
                let expected = if limit == HR_BODY_LIMIT && !declared {
                    StatusCode::BAD_REQUEST
                } else {
                    StatusCode::PAYLOAD_TOO_LARGE
                };
                assert_eq!(
                    over,
                    expected,
                    "{uri} took {} bytes (declared: {declared})",
                    limit + 1
                );
            }
        }
        // The documented 8 MiB, not axum's 2 MiB default: a garbage body of exactly the
        // limit is read and refused as malformed.
        assert_eq!(SYNC_BODY_LIMIT, 8 * 1024 * 1024);
        assert_eq!(
            status_of(
                &state,
                "/v1/sync",
                Body::from(vec![0u8; SYNC_BODY_LIMIT]),
                Some(SYNC_BODY_LIMIT)
            )
            .await,
            StatusCode::BAD_REQUEST
        );
    }

    /// A kiosk's signed sync request carrying ten sealed captures (more than the free
    /// room of any page), sequence `seq`.
    fn capture_request(state: &AppState, key: &ed25519_dalek::SigningKey, seq: u64) -> Vec<u8> {
        use kiosk_core::protocol::{PUSH_TAG, SignedEnvelope};
        let mut generator =
            kiosk_core::generator::RegistrationGenerator::new(kiosk_core::demo::demo_event(), seq);
        let pushes = (0..10)
            .map(|_| capture_push(state, key, generator.next_registration().expect("valid")))
            .collect();
        let request = crate::ingest::demo_request(key.verifying_key().to_bytes(), seq, pushes);
        SignedEnvelope::sign(PUSH_TAG, &request, key).to_bytes()
    }

    fn capture_push(
        state: &AppState,
        key: &ed25519_dalek::SigningKey,
        mut registration: kiosk_core::registration::Registration,
    ) -> kiosk_core::protocol::Push {
        registration.capturing_device =
            kiosk_core::ids::DeviceId::from_public_key(&key.verifying_key());
        let mut document = kiosk_core::documents::RegistrationDocument::create(
            &registration,
            &key.verifying_key(),
            registration.captured_at,
        )
        .expect("document");
        let hashes = document.change_hashes();
        let sealed = kiosk_core::capture::sign_and_seal(
            &kiosk_core::identity::DeviceIdentity::from_signing_key(key.clone()),
            state.keys.sealing.sealing_key(),
            &registration.id,
            document.save_changes(),
            &hashes,
        )
        .expect("seals");
        kiosk_core::protocol::Push {
            doc_id: registration.id.to_string(),
            journal_seq: None,
            body: kiosk_core::protocol::PushBody::Sealed(sealed),
        }
    }

    async fn call(state: &AppState, request: Request<Body>) -> (StatusCode, Value) {
        let response = router(state.clone())
            .oneshot(request)
            .await
            .expect("response");
        let status = response.status();
        let bytes = axum::body::to_bytes(response.into_body(), 1 << 20)
            .await
            .expect("body");
        (
            status,
            serde_json::from_slice(&bytes).unwrap_or(Value::Null),
        )
    }

    #[tokio::test]
    async fn a_full_disk_is_store_full_to_the_tablet_and_not_ready_until_a_sync_is_stored() {
        let store = std::sync::Arc::new(crate::storage::SqliteStore::in_memory().expect("store"));
        crate::state::store_demo_event(store.as_ref()).expect("event");
        let state = AppState::new(
            store.clone(),
            crate::keys::RelayKeys::from_seeds([11; 32], [12; 32]),
        );
        let key = ed25519_dalek::SigningKey::from_bytes(&[3; 32]);
        crate::storage::enroll_for_tests(
            store.as_ref(),
            key.verifying_key().to_bytes(),
            kiosk_core::demo::DEMO_EVENT_ID,
            kiosk_core::protocol::enrollment::EnrolledRole::Kiosk,
            None,
        );
        let sync = |seq| {
            Request::post("/v1/sync")
                .body(Body::from(capture_request(&state, &key, seq)))
                .expect("request")
        };
        let get = |uri| Request::get(uri).body(Body::empty()).expect("request");
        assert_eq!(call(&state, get("/readyz")).await.0, StatusCode::OK);

        store.limit_growth_for_tests(Some(0)).expect("limited");
        let (status, body) = call(&state, sync(1)).await;
        assert_eq!(status, StatusCode::INSUFFICIENT_STORAGE);
        assert_eq!(body["code"], "store_full");
        assert!(
            body["message"]
                .as_str()
                .is_some_and(|m| m.contains("keeps its copies")),
            "{body}"
        );
        let (status, ready) = call(&state, get("/readyz")).await;
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(ready["store"], "full");
        let (status, health) = call(&state, get("/healthz")).await;
        assert_eq!((status, &health["store"]), (StatusCode::OK, &json!("full")));

        store.limit_growth_for_tests(None).expect("lifted");
        let (status, _) = call(&state, sync(2)).await;
        assert_eq!(
            status,
            StatusCode::OK,
            "the tablet sends again and is stored"
        );
        assert_eq!(call(&state, get("/readyz")).await.0, StatusCode::OK);
        assert_eq!(call(&state, get("/healthz")).await.1["store"], "ok");
    }

    #[test]
    fn sqlite_full_and_enospc_are_a_full_disk_and_other_failures_are_not() {
        use crate::storage::StorageError;
        let full = StorageError::Sqlite(rusqlite::Error::SqliteFailure(
            rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_FULL),
            None,
        ));
        let enospc = StorageError::Io(std::io::Error::from(std::io::ErrorKind::StorageFull));
        let locked = StorageError::Sqlite(rusqlite::Error::SqliteFailure(
            rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_BUSY),
            None,
        ));
        assert!(full.is_disk_full() && enospc.is_disk_full());
        assert!(!locked.is_disk_full());
        assert!(matches!(AppError::from(full), AppError::StoreFull));
        // The store stayed locked past the busy timeout (an operator's long command): a
        // tablet is told `busy` and tries again, as for any other wait, not `internal`.
        assert!(matches!(AppError::from(locked), AppError::Busy));
        let other = StorageError::Sqlite(rusqlite::Error::SqliteFailure(
            rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_CORRUPT),
            None,
        ));
        assert!(matches!(AppError::from(other), AppError::Storage(_)));
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn sync_bodies_are_buffered_within_a_byte_budget_whoever_sends_them() {
        let mut state = AppState::demo_in_memory().expect("state");
        // Room for two of the largest bodies; no device is needed to send one.
        state.sync_gate = crate::sync_gate::SyncGate::with_body_budget(4, 2 * SYNC_BODY_LIMIT);
        let senders: Vec<_> = (0..6)
            .map(|_| {
                let state = state.clone();
                tokio::spawn(async move {
                    status_of(
                        &state,
                        "/v1/sync",
                        streamed(SYNC_BODY_LIMIT),
                        Some(SYNC_BODY_LIMIT),
                    )
                    .await
                })
            })
            .collect();
        for sender in senders {
            assert_eq!(sender.await.expect("joins"), StatusCode::BAD_REQUEST);
        }
        let peak = state.sync_gate.peak_body_bytes();
        assert!(
            (SYNC_BODY_LIMIT..=2 * SYNC_BODY_LIMIT).contains(&peak),
            "{peak} bytes of bodies held at once"
        );
        assert_eq!(state.sync_gate.body_bytes(), 0, "all given back");
    }

    #[tokio::test]
    async fn health_answers_ok() {
        let (status, body) = get_json("/healthz").await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(body["status"], "ok");
    }

    #[tokio::test]
    async fn the_demo_events_form_is_served_with_its_version() {
        let (status, body) = get_json("/v1/events/sthlm-career-fair-2026/form").await;
        assert_eq!(status, StatusCode::OK);
        let expected = kiosk_core::demo::demo_form().version();
        assert_eq!(body["version"], expected.as_str());
        assert_eq!(
            body["form"]["interest_areas"][0]["code"],
            "migration-officer"
        );
    }

    #[tokio::test]
    async fn an_unknown_event_gets_a_json_error_naming_what_was_wrong() {
        for uri in [
            "/v1/events/no-such-fair/form",
            "/v1/events/NOT%20A%20SLUG/form",
        ] {
            let (status, body) = get_json(uri).await;
            assert_eq!(status, StatusCode::NOT_FOUND);
            assert_eq!(body["code"], "unknown_event");
        }
    }
}
