//! The witness endpoints through the relay's router: a trusted witness's cosignature is
//! taken and then served with the checkpoint (and by `?cosigned=1`), an untrusted one is
//! refused, and a relay with no witness configured takes none.

use std::sync::Arc;

use axum::body::Body;
use axum::http::Request;
use ed25519_dalek::SigningKey;
use kiosk_core::cosigned_checkpoint::open_cosigned;
use kiosk_core::tlog::cosignature::CosignatureSigner;
use kiosk_core::tlog::note::parse_note;
use tower::ServiceExt;

use super::*;

fn archive() -> CosignatureSigner {
    CosignatureSigner::new(
        "arkiv.example.se/witness",
        &SigningKey::from_bytes(&[1; 32]),
    )
    .expect("name")
}

async fn call(state: &AppState, request: Request<Body>) -> (StatusCode, String) {
    let response = crate::router(state.clone())
        .oneshot(request)
        .await
        .expect("response");
    let status = response.status();
    let bytes = axum::body::to_bytes(response.into_body(), 1 << 20)
        .await
        .expect("body");
    (status, String::from_utf8(bytes.to_vec()).expect("text"))
}

async fn get(state: &AppState, uri: &str) -> (StatusCode, String) {
    call(
        state,
        Request::get(uri).body(Body::empty()).expect("request"),
    )
    .await
}

async fn post_note(state: &AppState, note: String) -> (StatusCode, String) {
    call(
        state,
        Request::post("/v1/log/cosignature")
            .header("content-type", "text/plain; charset=utf-8")
            .body(Body::from(note))
            .expect("request"),
    )
    .await
}

fn cosigned(note: &str, witness: &CosignatureSigner, time: u64) -> String {
    let (body, _) = parse_note(note).expect("note");
    format!("{note}{}", witness.cosign(body, time).expect("cosigns"))
}

/// More captures from the kiosk `ingest_generated_for_tests` enrolled, as its next sync.
fn grow(state: &AppState, count: usize) {
    let key = SigningKey::from_bytes(&[7; 32]).verifying_key();
    let mut generator =
        kiosk_core::generator::RegistrationGenerator::new(kiosk_core::demo::demo_event(), 99);
    let items = (0..count)
        .map(|_| {
            let registration = generator.next_registration().expect("valid");
            crate::storage::capture_for_tests(&registration, &key)
        })
        .collect();
    crate::storage::ingest_for_tests(state.store.as_ref(), key.to_bytes(), 2, 0, items);
}

fn code(body: &str) -> String {
    serde_json::from_str::<serde_json::Value>(body).expect("json")["code"]
        .as_str()
        .expect("code")
        .to_owned()
}

#[tokio::test]
async fn a_trusted_witnesss_cosignature_is_taken_and_served_with_its_checkpoint() {
    let mut state = AppState::demo_in_memory().expect("state");
    state.witness_keys = Arc::new(vec![archive().verifier()].into());
    crate::storage::ingest_generated_for_tests(state.store.as_ref(), 3);
    let log = state.log_key.verifier();
    let witnesses = [archive().verifier()];

    let (status, body) = get(&state, "/v1/log/checkpoint?cosigned=1").await;
    assert_eq!(
        (status, code(&body).as_str()),
        (StatusCode::NOT_FOUND, "not_cosigned")
    );
    let (status, plain) = get(&state, "/v1/log/checkpoint").await;
    assert_eq!(status, StatusCode::OK);
    assert!(open_cosigned(&plain, &log, &witnesses).is_err(), "not yet");

    let (status, body) = post_note(&state, cosigned(&plain, &archive(), 700)).await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    let (_, served) = get(&state, "/v1/log/checkpoint").await;
    let opened = open_cosigned(&served, &log, &witnesses).expect("cosigned now");
    let (_, newest) = get(&state, "/v1/log/checkpoint?cosigned=1").await;
    assert_eq!(newest, served);

    // The log grows: the plain checkpoint is the new tree, uncosigned; `?cosigned=1` still
    // the tree the witness saw.
    grow(&state, 2);
    let (_, grown) = get(&state, "/v1/log/checkpoint").await;
    assert!(open_cosigned(&grown, &log, &witnesses).is_err());
    let (_, newest) = get(&state, "/v1/log/checkpoint?cosigned=1").await;
    let still = open_cosigned(&newest, &log, &witnesses).expect("cosigned");
    assert_eq!(still.checkpoint, opened.checkpoint);

    let (status, _) = get(&state, "/v1/log/checkpoint?cosigned=2").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn untrusted_witnesses_and_relays_trusting_none_take_nothing() {
    let mut state = AppState::demo_in_memory().expect("state");
    crate::storage::ingest_generated_for_tests(state.store.as_ref(), 2);
    let (_, plain) = get(&state, "/v1/log/checkpoint").await;
    let (status, body) = post_note(&state, cosigned(&plain, &archive(), 1)).await;
    assert_eq!(
        (status, code(&body).as_str()),
        (StatusCode::FORBIDDEN, "unknown_witness")
    );
    state.witness_keys = Arc::new(vec![archive().verifier()].into());
    let stranger =
        CosignatureSigner::new("someone/witness", &SigningKey::from_bytes(&[2; 32])).expect("name");
    let (status, body) = post_note(&state, cosigned(&plain, &stranger, 1)).await;
    assert_eq!(
        (status, code(&body).as_str()),
        (StatusCode::FORBIDDEN, "unknown_witness")
    );
    let (status, _) = post_note(&state, "x".repeat(9000)).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    assert!(
        state
            .store
            .cosigned_by_all(u64::MAX, &[], 1)
            .expect("reads")
            .is_empty()
    );
}

/// `?cosigned=1` makes the choice a sync answer makes: a row kept for a root the log no
/// longer has (from before a restore), however large, is never served, nor a tree only one
/// of two configured witnesses cosigned while both cosigned an older one.
#[tokio::test]
async fn the_cosigned_checkpoint_served_is_every_witnesss_tree_with_the_logs_root() {
    use crate::storage::model::StoredCosignature;

    let dso = || {
        CosignatureSigner::new("dso.example.se/witness", &SigningKey::from_bytes(&[2; 32]))
            .expect("name")
    };
    let mut state = AppState::demo_in_memory().expect("state");
    state.witness_keys = Arc::new(vec![archive().verifier(), dso().verifier()].into());
    crate::storage::ingest_generated_for_tests(state.store.as_ref(), 3);
    let log = state.log_key.verifier();
    let both = [archive().verifier(), dso().verifier()];
    let (_, plain) = get(&state, "/v1/log/checkpoint").await;
    let with_both = cosigned(&cosigned(&plain, &archive(), 700), &dso(), 701);
    let (status, body) = post_note(&state, with_both).await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    let (_, first) = get(&state, "/v1/log/checkpoint?cosigned=1").await;
    let first = open_cosigned(&first, &log, &both)
        .expect("cosigned by both")
        .checkpoint;
    // The log grows; only the archive cosigns the new tree.
    grow(&state, 2);
    let (_, grown) = get(&state, "/v1/log/checkpoint").await;
    let (status, body) = post_note(&state, cosigned(&grown, &archive(), 800)).await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    // Rows kept for roots the log does not have, past the tip by both witnesses and at it
    // by the one that did not cosign it (as a restore leaves them).
    let tip = state.store.log_tip().expect("tip");
    for (witness, sizes) in [
        (archive(), vec![tip.size + 3]),
        (dso(), vec![tip.size, tip.size + 3]),
    ] {
        for size in sizes {
            let row = StoredCosignature {
                witness: witness.verifier().to_string(),
                size,
                root: [0xAB; 32],
                time: 900,
                line: format!("\u{2014} {} stale", witness.verifier().name()),
            };
            assert!(state.store.store_cosignature(&row).expect("stores"));
        }
    }
    let (status, served) = get(&state, "/v1/log/checkpoint?cosigned=1").await;
    assert_eq!(status, StatusCode::OK);
    let opened = open_cosigned(&served, &log, &both).expect("cosigned by both");
    assert_eq!(opened.checkpoint, first);
    assert!(!served.contains("stale"), "{served}");
}

/// A witness naming itself (`?witness=<name>+<key ID>`, percent-encoded) is served the tree
/// the other configured witness just cosigned, not the tip; a name the relay does not know
/// gets the tip, and `witness` with `cosigned` is refused.
#[tokio::test]
async fn a_witness_naming_itself_is_served_the_tree_the_other_just_cosigned() {
    let dso = || {
        CosignatureSigner::new("dso.example.se/witness", &SigningKey::from_bytes(&[2; 32]))
            .expect("name")
    };
    let mut state = AppState::demo_in_memory().expect("state");
    state.witness_keys = Arc::new(vec![archive().verifier(), dso().verifier()].into());
    crate::storage::ingest_generated_for_tests(state.store.as_ref(), 3);
    let now = u64::try_from(crate::state::now_ms() / 1000).expect("after 1970");
    let (_, first) = get(&state, "/v1/log/checkpoint").await;
    let (status, body) = post_note(&state, cosigned(&first, &archive(), now)).await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    grow(&state, 2);
    let size = |note: &str| -> u64 {
        note.lines()
            .nth(1)
            .expect("size")
            .parse()
            .expect("a number")
    };
    let tip = state.store.log_tip().expect("tip").size;
    assert!(tip > size(&first));
    let name = |signer: &CosignatureSigner| {
        let verifier = signer.verifier();
        kiosk_core::protocol::witness_key_name(verifier.name(), verifier.key_id())
            .replace('/', "%2F")
            .replace('+', "%2B")
    };
    let (status, served) = get(
        &state,
        &format!("/v1/log/checkpoint?witness={}", name(&dso())),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(size(&served), size(&first), "{served}");
    assert!(
        served.contains("\u{2014} arkiv.example.se/witness "),
        "{served}"
    );
    // Holding a tree at least that large (its delivery failed), it gets the tip.
    let (status, served) = get(
        &state,
        &format!(
            "/v1/log/checkpoint?witness={}&size={}",
            name(&dso()),
            size(&first)
        ),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(size(&served), tip, "never smaller than the size it holds");
    let (status, _) = get(&state, "/v1/log/checkpoint?size=1").await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "size only with witness");
    for bad in ["-1", "18446744073709551616", "x", ""] {
        let (status, _) = get(
            &state,
            &format!("/v1/log/checkpoint?witness={}&size={bad}", name(&dso())),
        )
        .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "size {bad:?}");
    }
    let (_, served) = get(
        &state,
        &format!("/v1/log/checkpoint?witness={}", name(&archive())),
    )
    .await;
    assert_eq!(size(&served), tip, "its own tree is not served back");
    let (_, served) = get(&state, "/v1/log/checkpoint?witness=someone%2B01020304").await;
    assert_eq!(size(&served), tip);
    let (status, _) = get(
        &state,
        &format!("/v1/log/checkpoint?cosigned=1&witness={}", name(&dso())),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}
