//! What a refused push costs the relay, beside what a refused signature costs: the outside
//! test's attack (30 sealed captures in one request, each a compressed change that
//! inflates to 60 MiB) from a revoked tablet, a valid kiosk and a staff tablet (as edits),
//! and 30 authentic captures from a revoked tablet (quarantined unread), each against the
//! same request signed with a key the relay does not know the device by (`bad_signature`).
//! Also what Automerge alone takes to load one such chunk, which the relay did 30 times
//! per request before the bounds.
//!
//! In process, through the router (`oneshot`), so the figures are the relay's work:
//! decoding, the signature check, every rule, the store. Run:
//! `cargo bench -p kiosk-sync-server --bench refusals` (optionally `-- 20`: requests per
//! case). Prints milliseconds per request and the ratio to a refused signature.

use std::time::Instant;

use axum::body::Body;
use axum::http::Request;
use ed25519_dalek::SigningKey;
use kiosk_core::capture::sign_and_seal;
use kiosk_core::documents::RegistrationDocument;
use kiosk_core::documents::bounds::inflating_change_for_tests;
use kiosk_core::generator::RegistrationGenerator;
use kiosk_core::identity::DeviceIdentity;
use kiosk_core::ids::DeviceId;
use kiosk_core::protocol::enrollment::EnrolledRole;
use kiosk_core::protocol::{
    JournalState, PROTOCOL_VERSION, PUSH_TAG, PullRequest, Push, PushBody, SignedEnvelope,
    SyncRequest,
};
use kiosk_sync_server::storage::EnrollmentGrant;
use kiosk_sync_server::{AppState, now_ms, router};
use tower::ServiceExt;

const DEMO: &str = kiosk_core::demo::DEMO_EVENT_ID;
const INFLATED: usize = 60 * 1024 * 1024;
const PUSHES: usize = 30;

fn enroll(state: &AppState, seed: u8, role: EnrolledRole) -> SigningKey {
    let key = SigningKey::from_bytes(&[seed; 32]);
    let device = key.verifying_key().to_bytes();
    let grant = EnrollmentGrant {
        lookup: device,
        answer_secret: [0; 32],
        event_id: DEMO.to_owned(),
        role,
        recruiter: (role == EnrolledRole::Staff).then(|| "anna".to_owned()),
        expires_at: i64::MAX,
        max_uses: 1,
        name: None,
    };
    let now = now_ms();
    state.store.add_enrollment_code(&grant, now).expect("code");
    state
        .store
        .redeem_enrollment_code(&device, &device, role, &|_| true, now, 86_400_000)
        .expect("store")
        .expect("enrolled");
    key
}

/// A push sealed by `key`: its authentic capture of registration `seed`, or, given
/// `document`, those bytes in its place (a bomb).
fn sealed_push(state: &AppState, key: &SigningKey, document: Option<&[u8]>, seed: u64) -> Push {
    let mut registration = RegistrationGenerator::new(kiosk_core::demo::demo_event(), seed)
        .next_registration()
        .expect("valid");
    registration.capturing_device = DeviceId::from_public_key(&key.verifying_key());
    let (document, hashes) = match document {
        None => {
            let mut doc = RegistrationDocument::create(
                &registration,
                &key.verifying_key(),
                registration.captured_at,
            )
            .expect("document");
            (doc.save_changes(), doc.change_hashes())
        }
        Some(bytes) => (bytes.to_vec(), vec![automerge::ChangeHash([7; 32])]),
    };
    let sealed = sign_and_seal(
        &DeviceIdentity::from_signing_key(key.clone()),
        state.keys.sealing.sealing_key(),
        &registration.id,
        document,
        &hashes,
    )
    .expect("seals");
    Push {
        doc_id: registration.id.to_string(),
        journal_seq: None,
        body: PushBody::Sealed(sealed),
    }
}

fn request(signer: &SigningKey, device: &SigningKey, seq: u64, pushes: Vec<Push>) -> Vec<u8> {
    let request = SyncRequest {
        version: PROTOCOL_VERSION,
        device_id: device.verifying_key().to_bytes(),
        seq,
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
    };
    SignedEnvelope::sign(PUSH_TAG, &request, signer).to_bytes()
}

/// Milliseconds per request over `bodies`, each posted once; checks every answer's status.
fn time(
    runtime: &tokio::runtime::Runtime,
    state: &AppState,
    bodies: Vec<Vec<u8>>,
    status: u16,
) -> f64 {
    let count = bodies.len();
    let started = Instant::now();
    for body in bodies {
        let response = runtime.block_on(
            router(state.clone()).oneshot(
                Request::post("/v1/sync")
                    .body(Body::from(body))
                    .expect("request"),
            ),
        );
        assert_eq!(response.expect("response").status().as_u16(), status);
    }
    started.elapsed().as_secs_f64() * 1000.0 / count as f64
}

fn main() {
    let requests: u64 = std::env::args()
        .skip(1)
        .find(|a| !a.starts_with('-'))
        .and_then(|a| a.parse().ok())
        .unwrap_or(20);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let state = AppState::demo_in_memory().expect("relay");
    let kiosk = enroll(&state, 1, EnrolledRole::Kiosk);
    let staff = enroll(&state, 2, EnrolledRole::Staff);
    let revoked = enroll(&state, 3, EnrolledRole::Kiosk);
    state
        .store
        .revoke_device(&revoked.verifying_key().to_bytes(), now_ms())
        .expect("revoked");
    let stranger = SigningKey::from_bytes(&[99; 32]);

    let started = Instant::now();
    let bomb = inflating_change_for_tests(&kiosk.verifying_key().to_bytes(), INFLATED);
    println!(
        "one change: {} bytes deflated, {} MiB inflated (built in {:.0} ms)",
        bomb.len(),
        INFLATED / (1024 * 1024),
        started.elapsed().as_secs_f64() * 1000.0
    );
    let started = Instant::now();
    let loaded = automerge::AutoCommit::load(&bomb);
    let automerge_ms = started.elapsed().as_secs_f64() * 1000.0;
    drop(loaded);

    // One bomb sealed once per tablet, pushed 30 times under different ids (as the outside
    // test did); the push's id is not the one signed, which the relay never gets to check.
    let bombs = |key: &SigningKey| -> Vec<Push> {
        let one = sealed_push(&state, key, Some(&bomb), 1);
        (0..PUSHES as u64)
            .map(|i| Push {
                doc_id: format!("{}-{i}", one.doc_id),
                ..one.clone()
            })
            .collect()
    };
    let edits: Vec<Push> = (0..PUSHES as u64)
        .map(|i| Push {
            doc_id: format!("edit-{i}"),
            journal_seq: None,
            body: PushBody::Changes(bomb.clone()),
        })
        .collect();
    let mut seq = 0;
    let mut bodies =
        |signer: &SigningKey, device: &SigningKey, pushes: &dyn Fn(u64) -> Vec<Push>| {
            (0..requests)
                .map(|r| {
                    seq += 1;
                    request(signer, device, seq, pushes(r))
                })
                .collect::<Vec<_>>()
        };
    let revoked_bombs = bombs(&revoked);
    let kiosk_bombs = bombs(&kiosk);
    let bad_signature = bodies(&stranger, &revoked, &|_| revoked_bombs.clone());
    let revoked_oversize = bodies(&revoked, &revoked, &|_| revoked_bombs.clone());
    let kiosk_oversize = bodies(&kiosk, &kiosk, &|_| kiosk_bombs.clone());
    let staff_oversize = bodies(&staff, &staff, &|_| edits.clone());
    let revoked_authentic = bodies(&revoked, &revoked, &|r| {
        (0..PUSHES as u64)
            .map(|i| sealed_push(&state, &revoked, None, 1000 * r + i))
            .collect()
    });
    println!(
        "request body: {} bytes ({PUSHES} pushes)",
        bad_signature[0].len()
    );

    // Where a refused revoked request's time goes: decoding and verifying the request
    // (proportional to its bytes, as a refused signature is), then the checks.
    let started = Instant::now();
    let mut opened = Vec::new();
    for body in &revoked_oversize {
        opened.push(
            kiosk_core::protocol::open_request(body, |_| Some(revoked.verifying_key()))
                .expect("authentic"),
        );
    }
    let open_ms = started.elapsed().as_secs_f64() * 1000.0 / opened.len() as f64;
    let device = state
        .store
        .device(&revoked.verifying_key().to_bytes())
        .expect("store")
        .expect("enrolled");
    let started = Instant::now();
    for request in &opened {
        let mut request = request.clone();
        request.seq += 1_000_000;
        kiosk_sync_server::ingest::handle_sync(
            state.store.as_ref(),
            &state.keys,
            &device,
            &request,
            [0; 32],
            now_ms(),
        )
        .expect("answered");
    }
    let checks_ms = started.elapsed().as_secs_f64() * 1000.0 / opened.len() as f64;

    let refused = time(&runtime, &state, bad_signature, 401);
    println!("bad signature (401):                      {refused:8.2} ms/request");
    for (what, bodies) in [
        (
            "revoked tablet, 60 MiB chunks (too_large)",
            revoked_oversize,
        ),
        ("valid kiosk, 60 MiB chunks (too_large)   ", kiosk_oversize),
        ("staff tablet, 60 MiB edits (too_large)   ", staff_oversize),
        (
            "revoked tablet, authentic (quarantined)  ",
            revoked_authentic,
        ),
    ] {
        let ms = time(&runtime, &state, bodies, 200);
        println!(
            "{what}: {ms:8.2} ms/request, {:5.1}× a refused signature",
            ms / refused
        );
    }
    println!(
        "  of which, revoked 60 MiB request: decode and verify {open_ms:.2} ms, checks and answer {checks_ms:.2} ms"
    );
    println!(
        "Automerge loading one 60 MiB chunk itself: {automerge_ms:8.2} ms ({:.0}× a refused signature; 30 per request before the bounds)",
        automerge_ms / refused
    );
}
