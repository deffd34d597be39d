//! Cost before trust: a push that is refused or quarantined for a cheap rule (revoked,
//! expired, role, size) or for Automerge bytes past their bounds is decided without the
//! relay ever handing its bytes to Automerge. Proven structurally: the refusal names the
//! bound, and the core's count of Automerge reads on the checking thread does not move.

use axum::body::Body;
use axum::http::{Request, StatusCode};
use ed25519_dalek::SigningKey;
use kiosk_core::capture::sign_and_seal;
use kiosk_core::documents::bounds::inflating_change_for_tests;
use kiosk_core::documents::{RegistrationDocument, automerge_reads_on_this_thread};
use kiosk_core::generator::RegistrationGenerator;
use kiosk_core::identity::DeviceIdentity;
use kiosk_core::ids::{DeviceId, RegistrationId};
use kiosk_core::protocol::enrollment::EnrolledRole;
use kiosk_core::protocol::{
    ErrorCode, JournalState, PROTOCOL_VERSION, PUSH_TAG, PullRequest, Push, PushBody, PushOutcome,
    SignedEnvelope, SyncRequest, SyncResponse,
};
use kiosk_core::registration::Registration;
use kiosk_sync_server::ingest::{MAX_PUSHES_PER_REQUEST, handle_sync};
use kiosk_sync_server::storage::enroll_for_tests;
use kiosk_sync_server::{AppState, now_ms, router};
use tower::ServiceExt;

const DEMO: &str = kiosk_core::demo::DEMO_EVENT_ID;
/// The relay's clock in the tests that call the checks directly: within the certificates
/// `enroll_for_tests` issues.
const NOW: i64 = 1_000_000_000;
/// The outside test sent chunks that inflate to 60 MiB each; the refusal does not depend on
/// how far past the bound they go (the benchmark sends 60 MiB), so tests build less.
const INFLATED: usize = 16 * 1024 * 1024;

/// One inflating change, built once: refused before its actor or checksum matter.
fn bomb() -> Vec<u8> {
    static BOMB: std::sync::OnceLock<Vec<u8>> = std::sync::OnceLock::new();
    BOMB.get_or_init(|| inflating_change_for_tests(&[9; 32], INFLATED))
        .clone()
}

struct Tablet {
    key: SigningKey,
    seq: u64,
}

impl Tablet {
    fn enrolled(state: &AppState, seed: u8, role: EnrolledRole) -> Tablet {
        let key = SigningKey::from_bytes(&[seed; 32]);
        let recruiter = (role == EnrolledRole::Staff).then_some("anna");
        enroll_for_tests(
            state.store.as_ref(),
            key.verifying_key().to_bytes(),
            DEMO,
            role,
            recruiter,
        );
        Tablet { key, seq: 0 }
    }

    fn id(&self) -> [u8; 32] {
        self.key.verifying_key().to_bytes()
    }

    fn identity(&self) -> DeviceIdentity {
        DeviceIdentity::from_signing_key(self.key.clone())
    }

    fn registration(&self, seed: u64) -> Registration {
        let mut registration = RegistrationGenerator::new(kiosk_core::demo::demo_event(), seed)
            .next_registration()
            .expect("valid");
        registration.capturing_device = DeviceId::from_public_key(&self.key.verifying_key());
        registration
    }

    /// An authentic capture, sealed.
    fn capture(&self, state: &AppState, seed: u64) -> Push {
        let registration = self.registration(seed);
        let mut document = RegistrationDocument::create(
            &registration,
            &self.key.verifying_key(),
            registration.captured_at,
        )
        .expect("document");
        let hashes = document.change_hashes();
        let sealed = sign_and_seal(
            &self.identity(),
            state.keys.sealing.sealing_key(),
            &registration.id,
            document.save_changes(),
            &hashes,
        )
        .expect("seals");
        push(&registration.id, PushBody::Sealed(sealed))
    }

    /// A capture whose one compressed change inflates to `inflated` bytes, signed and sealed
    /// by this tablet as any capture.
    fn inflating_capture(&self, state: &AppState, seed: u64) -> Push {
        let registration = self.registration(seed);
        let sealed = sign_and_seal(
            &self.identity(),
            state.keys.sealing.sealing_key(),
            &registration.id,
            bomb(),
            &[automerge::ChangeHash([7; 32])],
        )
        .expect("seals");
        push(&registration.id, PushBody::Sealed(sealed))
    }

    /// The same bytes as a staff tablet's edit of a registration.
    fn inflating_edit(&self, seed: u64) -> Push {
        let registration = self.registration(seed);
        push(&registration.id, PushBody::Changes(bomb()))
    }

    fn request(&mut self, pushes: Vec<Push>) -> SyncRequest {
        self.seq += 1;
        SyncRequest {
            version: PROTOCOL_VERSION,
            device_id: self.id(),
            seq: self.seq,
            sent_at: now_ms(),
            journal: JournalState {
                count: 0,
                head: [0; 32],
            },
            pushes,
            pull: PullRequest {
                event_id: DEMO.into(),
                event_heads: Vec::new(),
                registrations: false,
                cursor: None,
            },
            // A key this relay does not hold: answered with its current key.
            relay_key: [0; 32],
            log_size: 0,
            log_features: Vec::new(),
            log_witnesses: Vec::new(),
        }
    }
}

fn push(id: &RegistrationId, body: PushBody) -> Push {
    Push {
        doc_id: id.to_string(),
        journal_seq: None,
        body,
    }
}

/// Runs the relay's checks on this thread (fewer than 16 pushes are checked on the calling
/// thread), returning the answer and how many times Automerge read bytes for the pushes:
/// the reads beyond those of the same sync without pushes (the relay's own event document).
fn sync_here(
    state: &AppState,
    tablet: &mut Tablet,
    pushes: Vec<Push>,
    now: i64,
) -> (SyncResponse, u64) {
    let (_, baseline) = sync_counting(state, tablet, Vec::new(), now);
    let (response, reads) = sync_counting(state, tablet, pushes, now);
    (response, reads - baseline)
}

fn sync_counting(
    state: &AppState,
    tablet: &mut Tablet,
    pushes: Vec<Push>,
    now: i64,
) -> (SyncResponse, u64) {
    assert!(pushes.len() < 16);
    let request = tablet.request(pushes);
    let device = state
        .store
        .device(&tablet.id())
        .expect("store")
        .expect("enrolled");
    let before = automerge_reads_on_this_thread();
    let answer = handle_sync(
        state.store.as_ref(),
        &state.keys,
        &device,
        &request,
        [0; 32],
        now,
    )
    .expect("answered");
    let reads = automerge_reads_on_this_thread() - before;
    let response = SignedEnvelope::from_bytes(&answer)
        .expect("envelope")
        .decode()
        .expect("response");
    (response, reads)
}

fn rejected(outcome: &PushOutcome) -> (ErrorCode, &str) {
    match outcome {
        PushOutcome::Rejected(code, message) => (*code, message.as_str()),
        other => panic!("expected a rejection, got {other:?}"),
    }
}

fn quarantined(outcome: &PushOutcome) -> ErrorCode {
    match outcome {
        PushOutcome::Quarantined(code, _) => *code,
        other => panic!("expected quarantine, got {other:?}"),
    }
}

#[test]
fn inflating_captures_and_edits_are_refused_unread_from_every_kind_of_tablet() {
    let state = AppState::demo_in_memory().expect("relay");
    let mut kiosk = Tablet::enrolled(&state, 1, EnrolledRole::Kiosk);
    let mut staff = Tablet::enrolled(&state, 2, EnrolledRole::Staff);
    let mut revoked = Tablet::enrolled(&state, 3, EnrolledRole::Kiosk);
    assert!(
        state
            .store
            .revoke_device(&revoked.id(), now_ms())
            .expect("revoked")
    );
    let now = NOW;
    for (tablet, is_staff) in [
        (&mut kiosk, false),
        (&mut revoked, false),
        (&mut staff, true),
    ] {
        let pushes = (0..4)
            .map(|i| tablet.inflating_capture(&state, i))
            .chain((4..8).map(|i| tablet.inflating_edit(i)))
            .collect();
        let (response, reads) = sync_here(&state, tablet, pushes, now);
        assert_eq!(reads, 0, "Automerge read nothing");
        assert_eq!(response.refused, None);
        assert_eq!(response.outcomes.len(), 8);
        for outcome in &response.outcomes[..4] {
            let (code, message) = rejected(outcome);
            assert_eq!(code, ErrorCode::TooLarge);
            assert!(message.contains("inflates past"), "{message}");
        }
        for outcome in &response.outcomes[4..] {
            let (code, message) = rejected(outcome);
            // A kiosk or a revoked tablet is refused by role or revocation, before any
            // bytes are looked at; a staff tablet's edit by its bound.
            if is_staff {
                assert_eq!(code, ErrorCode::TooLarge);
                assert!(message.contains("inflates past"), "{message}");
            } else {
                assert!(
                    matches!(code, ErrorCode::NotPermitted | ErrorCode::Revoked),
                    "{code:?}"
                );
            }
        }
    }
    let counts = state.store.counts().expect("counts");
    assert_eq!((counts.registrations, counts.quarantined), (0, 0));
}

#[test]
fn a_revoked_expired_or_staff_tablets_authentic_capture_is_quarantined_unread() {
    let state = AppState::demo_in_memory().expect("relay");
    let mut revoked = Tablet::enrolled(&state, 3, EnrolledRole::Kiosk);
    let mut expired = Tablet::enrolled(&state, 4, EnrolledRole::Kiosk);
    let mut staff = Tablet::enrolled(&state, 5, EnrolledRole::Staff);
    assert!(
        state
            .store
            .revoke_device(&revoked.id(), now_ms())
            .expect("revoked")
    );
    let now = NOW;
    let expires_at = state
        .store
        .device(&expired.id())
        .expect("store")
        .expect("enrolled")
        .expires_at;
    for (tablet, now, code) in [
        (&mut revoked, now, ErrorCode::Revoked),
        (&mut expired, expires_at, ErrorCode::CertificateExpired),
        (&mut staff, now, ErrorCode::NotPermitted),
    ] {
        let pushes = vec![tablet.capture(&state, 1), tablet.capture(&state, 2)];
        let (response, reads) = sync_here(&state, tablet, pushes, now);
        assert_eq!(reads, 0, "{code:?}: Automerge read nothing");
        assert_eq!(response.outcomes.len(), 2);
        for outcome in &response.outcomes {
            assert_eq!(quarantined(outcome), code);
        }
    }
    assert_eq!(state.store.counts().expect("counts").quarantined, 6);
}

#[test]
fn a_valid_kiosks_capture_is_read_once_and_stored() {
    let state = AppState::demo_in_memory().expect("relay");
    let mut kiosk = Tablet::enrolled(&state, 1, EnrolledRole::Kiosk);
    let pushes = vec![kiosk.capture(&state, 1)];
    let (response, reads) = sync_here(&state, &mut kiosk, pushes, NOW);
    assert!(matches!(response.outcomes[0], PushOutcome::Stored(_)));
    assert!(reads >= 1, "the counter sees reads");
}

async fn post_sync(state: &AppState, body: Vec<u8>) -> (StatusCode, Vec<u8>) {
    let response = router(state.clone())
        .oneshot(
            Request::post("/v1/sync")
                .header("content-type", "application/cbor")
                .body(Body::from(body))
                .expect("request"),
        )
        .await
        .expect("response");
    let status = response.status();
    let bytes = axum::body::to_bytes(response.into_body(), 16 << 20)
        .await
        .expect("body");
    (status, bytes.to_vec())
}

#[tokio::test]
async fn thirty_inflating_captures_from_a_revoked_tablet_over_http_are_refused_too_large() {
    let state = AppState::demo_in_memory().expect("relay");
    let mut revoked = Tablet::enrolled(&state, 3, EnrolledRole::Kiosk);
    assert!(
        state
            .store
            .revoke_device(&revoked.id(), now_ms())
            .expect("revoked")
    );
    // One bomb, sent 30 times (each push its own id), as in the outside test.
    let bomb = revoked.inflating_capture(&state, 1);
    let pushes: Vec<Push> = (0..30)
        .map(|i| Push {
            doc_id: revoked.registration(i).id.to_string(),
            ..bomb.clone()
        })
        .collect();
    let request = revoked.request(pushes);
    let body = SignedEnvelope::sign(PUSH_TAG, &request, &revoked.key).to_bytes();
    let (status, answer) = post_sync(&state, body).await;
    assert_eq!(status, StatusCode::OK);
    let response: SyncResponse = SignedEnvelope::from_bytes(&answer)
        .expect("envelope")
        .decode()
        .expect("response");
    assert_eq!(response.outcomes.len(), 30);
    for outcome in &response.outcomes {
        assert_eq!(rejected(outcome).0, ErrorCode::TooLarge);
    }
    let counts = state.store.counts().expect("counts");
    assert_eq!((counts.registrations, counts.quarantined), (0, 0));
}

#[tokio::test]
async fn a_request_with_more_pushes_than_any_tablet_sends_is_refused_whole() {
    let state = AppState::demo_in_memory().expect("relay");
    let mut kiosk = Tablet::enrolled(&state, 1, EnrolledRole::Kiosk);
    let tiny = push(
        &kiosk.registration(1).id,
        PushBody::Sealed(vec![0x80]), // an empty CBOR array: no seal
    );
    let request = kiosk.request(vec![tiny; MAX_PUSHES_PER_REQUEST + 1]);
    let body = SignedEnvelope::sign(PUSH_TAG, &request, &kiosk.key).to_bytes();
    let (status, answer) = post_sync(&state, body).await;
    assert_eq!(status, StatusCode::OK);
    let response: SyncResponse = SignedEnvelope::from_bytes(&answer)
        .expect("envelope")
        .decode()
        .expect("response");
    assert_eq!(response.refused, Some(ErrorCode::TooLarge));
    assert!(response.outcomes.is_empty());
}

#[tokio::test]
async fn a_second_sync_of_a_tablet_while_one_runs_is_told_busy_and_so_is_one_past_the_relays_bound()
{
    let mut state = AppState::demo_in_memory().expect("relay");
    let mut kiosk = Tablet::enrolled(&state, 1, EnrolledRole::Kiosk);
    let turn = state.sync_gate.try_device(kiosk.id()).expect("free");
    let request = kiosk.request(Vec::new());
    let body = SignedEnvelope::sign(PUSH_TAG, &request, &kiosk.key).to_bytes();
    let (status, answer) = post_sync(&state, body.clone()).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    let json: serde_json::Value = serde_json::from_slice(&answer).expect("json");
    assert_eq!(json["code"], "busy");
    drop(turn);
    let (status, _) = post_sync(&state, body).await;
    assert_eq!(status, StatusCode::OK, "the tablet's turn came back");

    // A relay checking as many requests as it takes refuses the next once no turn came
    // back within its wait.
    state.sync_gate = kiosk_sync_server::sync_gate::SyncGate::new(1)
        .with_work_wait(std::time::Duration::from_millis(20));
    let _work = state.sync_gate.work().await.expect("free");
    let request = kiosk.request(Vec::new());
    let body = SignedEnvelope::sign(PUSH_TAG, &request, &kiosk.key).to_bytes();
    let (status, answer) = post_sync(&state, body).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    let json: serde_json::Value = serde_json::from_slice(&answer).expect("json");
    assert_eq!(json["code"], "busy");
}
