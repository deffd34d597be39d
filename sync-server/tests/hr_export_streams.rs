//! An archivist's CSV export of a large store through the router: the answer is streamed
//! with bounded memory (a reader that stops after the first frame holds the export back
//! within the few pages its channel holds: no more records are read, written or logged),
//! holds every open registration once under one header, and each exported record is one
//! `export` access-log entry. Time and memory for 100,000 registrations are measured by the
//! `hr_registrations` bench, not here.

mod support {
    pub mod console_browser;
    pub mod hr_api;
}

use std::collections::HashSet;
use std::sync::Arc;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use futures_util::StreamExt;
use kiosk_core::generator::RegistrationGenerator;
use kiosk_core::protocol::enrollment::EnrolledRole;
use kiosk_sync_server::hr::accounts::Role;
use kiosk_sync_server::hr::export::{CHANNEL_PAGES, EXPORT_BATCH};
use kiosk_sync_server::keys::RelayKeys;
use kiosk_sync_server::storage::prelude::*;
use kiosk_sync_server::storage::{
    AccessAction, IngestOutcome, SqliteStore, capture_for_tests, enroll_for_tests, ingest_for_tests,
};
use kiosk_sync_server::{AppState, router};
use support::console_browser::user_with;
use support::hr_api::bearer;
use tower::ServiceExt;

/// 100,000 in the bench; here as many as a debug build streams in under a minute, well
/// past the few pages the export may hold at once.
const REGISTRATIONS: usize = 20_000;
const PER_REQUEST: usize = 2_000;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_large_export_is_streamed_with_bounded_memory_whole_and_every_record_is_logged() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = Arc::new(SqliteStore::open(&dir.path().join("relay.sqlite3")).expect("store"));
    kiosk_sync_server::store_demo_event(store.as_ref()).expect("demo event");
    let keys = RelayKeys::load_or_create(dir.path()).expect("keys");
    let state = AppState::new(store.clone(), keys);

    let filled = store.clone();
    let open = tokio::task::spawn_blocking(move || {
        let key = ed25519_dalek::SigningKey::from_bytes(&[7; 32]).verifying_key();
        enroll_for_tests(
            filled.as_ref(),
            key.to_bytes(),
            kiosk_core::demo::DEMO_EVENT_ID,
            EnrolledRole::Kiosk,
            None,
        );
        let mut generator = RegistrationGenerator::new(kiosk_core::demo::demo_event(), 100_000);
        let mut open = HashSet::new();
        for seq in 1..=(REGISTRATIONS / PER_REQUEST) as u64 {
            let items = (0..PER_REQUEST)
                .map(|_| {
                    let registration = generator.next_registration().expect("valid");
                    if !registration.restricted {
                        open.insert(registration.id.to_string());
                    }
                    capture_for_tests(&registration, &key)
                })
                .collect();
            let outcome = ingest_for_tests(filled.as_ref(), key.to_bytes(), seq, 0, items);
            assert!(matches!(outcome, IngestOutcome::Committed { .. }));
        }
        open
    })
    .await
    .expect("filled");
    assert!(open.len() > REGISTRATIONS * 9 / 10, "mostly open records");

    let arvid = user_with(&state, "arvid", vec![Role::Archivist]);
    let token = bearer(&state, &arvid);
    let request = Request::get("/api/v1/registrations/export?format=csv")
        .header(header::AUTHORIZATION, token)
        .body(Body::empty())
        .expect("request");
    let response = router(state.clone())
        .oneshot(request)
        .await
        .expect("answer");
    assert_eq!(response.status(), StatusCode::OK);
    assert!(
        response.headers().get(header::CONTENT_LENGTH).is_none(),
        "streamed, so its length is not known up front"
    );

    // Read frame by frame, as a client would, keeping only what is not yet a whole line.
    let mut body = response.into_body().into_data_stream();
    let (mut frames, mut partial, mut rows) = (0usize, Vec::new(), 0usize);
    let mut exported = HashSet::new();
    let mut header_line = None;
    while let Some(bytes) = body.next().await {
        let bytes = bytes.expect("a body frame");
        frames += 1;
        if frames == 1 {
            // Hold the first frame a while: the export may run ahead only as far as its
            // channel holds, whatever the timing, so the log shows no more than that.
            tokio::time::sleep(std::time::Duration::from_millis(1_500)).await;
            let ahead = exported_so_far(store.clone()).await;
            let bound = (CHANNEL_PAGES + 2) * EXPORT_BATCH as usize;
            assert!(
                ahead <= bound,
                "{ahead} records exported before the reader took a second frame (at most {bound})"
            );
        }
        partial.extend_from_slice(&bytes);
        while let Some(end) = partial.windows(2).position(|w| w == b"\r\n") {
            let line = String::from_utf8(partial[..end].to_vec()).expect("UTF-8");
            partial.drain(..end + 2);
            if header_line.is_none() {
                header_line = Some(line);
                continue;
            }
            rows += 1;
            let id = line.split(';').next().expect("an id cell").to_owned();
            assert!(exported.insert(id), "each record once");
        }
    }
    assert!(partial.is_empty(), "the file ends with a whole line");
    let header_line = header_line.expect("a header");
    assert!(
        header_line.starts_with("\u{feff}Id;Kvittokod;"),
        "{header_line}"
    );
    assert_eq!(
        rows,
        open.len(),
        "every open registration, no restricted one"
    );
    assert_eq!(exported, open);
    assert!(
        frames > 10,
        "streamed in pages, not built whole: {frames} frames"
    );

    assert_eq!(
        exported_so_far(store).await,
        open.len(),
        "one export entry per exported record"
    );
}

/// How many `export` entries the access log holds.
async fn exported_so_far(store: Arc<SqliteStore>) -> usize {
    tokio::task::spawn_blocking(move || {
        store
            .access_log_entries(0, REGISTRATIONS * 3)
            .expect("log")
            .into_iter()
            .filter(|(_, e)| e.action == AccessAction::Export)
            .count()
    })
    .await
    .expect("log read")
}
