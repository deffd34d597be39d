//! A kiosk enrolled with a real relay that trusts a witness pins the witness's key from the
//! enrollment answer, and counts a capture received only once the witness has cosigned a
//! checkpoint of the relay's log that holds it: before, the relay stores and logs the
//! capture, but the tablet keeps it unreceipted (and says it waits for the witness); after
//! the witness posted its cosignature, the next sync sends it again and it is received.

use std::path::Path;
use std::sync::Arc;

use kiosk_core::device::HandBack;
use kiosk_core::protocol::enrollment::EnrolledRole;
use kiosk_core::sync::HttpTransport;
use kiosk_core::tlog::cosignature::CosignatureSigner;
use kiosk_sync_server::AppState;
use kiosk_sync_server::transparency::checkpoint::LogKey;
use kiosk_tests::{Backend, TestRelay, demo_code, demo_store, sync_now, tablet};

fn state_with_witness(
    store: kiosk_tests::DemoStore,
    dir: &Path,
    witness: &CosignatureSigner,
) -> AppState {
    state_with_witnesses(store, dir, &[witness])
}

fn state_with_witnesses(
    store: kiosk_tests::DemoStore,
    dir: &Path,
    witnesses: &[&CosignatureSigner],
) -> AppState {
    let mut state = AppState::new(store.store, store.keys);
    state.log_key = Arc::new(LogKey::load_or_create(dir, None).expect("log key"));
    state.witness_keys = Arc::new(
        witnesses
            .iter()
            .map(|w| w.verifier())
            .collect::<Vec<_>>()
            .into(),
    );
    state
}

/// The witness's round: the relay's newest checkpoint, cosigned now, posted back.
fn witness_cosigns(url: &str, witness: &CosignatureSigner) {
    let note = ureq::get(&format!("{url}/v1/log/checkpoint"))
        .call()
        .expect("checkpoint")
        .body_mut()
        .read_to_string()
        .expect("text");
    let body = format!("{}\n", note.split("\n\n").next().expect("text"));
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_secs();
    let cosigned = format!("{note}{}", witness.cosign(&body, now).expect("cosigns"));
    let posted = ureq::post(&format!("{url}/v1/log/cosignature"))
        .send(cosigned.as_bytes())
        .expect("posted");
    assert_eq!(posted.status().as_u16(), 204);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_capture_is_received_only_once_the_pinned_witness_cosigned_the_log_holding_it() {
    let dir = tempfile::tempdir().expect("tempdir");
    let witness = CosignatureSigner::new(
        "arkiv.example.se/witness",
        &ed25519_dalek::SigningKey::from_bytes(&[31; 32]),
    )
    .expect("a witness");
    let demo = demo_store(Backend::Sqlite, dir.path()).await;
    let store = demo.store.clone();
    let state = state_with_witness(demo, dir.path(), &witness);
    let relay = TestRelay::start(state).await;
    let (url, code) = (
        relay.url(),
        demo_code(store.as_ref(), EnrolledRole::Kiosk, 1, 3_600_000),
    );
    let vkey = witness.verifier().to_string();
    tokio::task::spawn_blocking(move || {
        let tablet = tablet();
        let transport = HttpTransport::new(&url);
        tablet.device.enroll(&code, &transport).expect("enrolls");
        assert_eq!(
            tablet.device.witness_keys().expect("reads"),
            vec![vkey],
            "pinned from the enrollment answer"
        );
        kiosk_core::generator::capture_generated(&tablet.device, 2, 1).expect("captures");
        let report = sync_now(&tablet.device, &transport).expect("syncs");
        assert_eq!(
            (report.received, report.awaiting_witness),
            (0, 2),
            "stored and logged, but no witness cosigned the log holding them"
        );
        assert_eq!(
            tablet.device.hand_back().expect("reads"),
            HandBack::AwaitingWitness {
                captures: 2,
                unreceipted: 2
            }
        );
        witness_cosigns(&url, &witness);
        let report = sync_now(&tablet.device, &transport).expect("syncs again");
        assert_eq!((report.received, report.awaiting_witness), (2, 0));
        assert!(
            tablet
                .device
                .witnessed_checkpoint()
                .expect("reads")
                .is_some_and(|note| note.contains("arkiv.example.se/witness"))
        );
        assert_eq!(tablet.device.hand_back().expect("reads"), HandBack::Safe);
    })
    .await
    .expect("tablet");
    relay.stop().await.expect("stops");
}

/// A relay trusting two witnesses, one of which stalls after its first round, still lets a
/// tablet that requires only the other count its captures: the tablet names the witness it
/// requires in each request, and the relay answers with the tree that one cosigned, not the
/// older tree both did.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tablet_requiring_one_of_two_witnesses_is_not_held_back_by_the_other_stalling() {
    let dir = tempfile::tempdir().expect("tempdir");
    let witness = |name: &str, seed: u8| {
        CosignatureSigner::new(name, &ed25519_dalek::SigningKey::from_bytes(&[seed; 32]))
            .expect("a witness")
    };
    let (archive, dso) = (
        witness("arkiv.example.se/witness", 41),
        witness("dso.example.se/witness", 42),
    );
    let demo = demo_store(Backend::Sqlite, dir.path()).await;
    let store = demo.store.clone();
    let state = state_with_witnesses(demo, dir.path(), &[&archive, &dso]);
    let relay = TestRelay::start(state).await;
    let (url, code) = (
        relay.url(),
        demo_code(store.as_ref(), EnrolledRole::Kiosk, 1, 3_600_000),
    );
    tokio::task::spawn_blocking(move || {
        let tablet = tablet();
        let transport = HttpTransport::new(&url);
        tablet.device.enroll(&code, &transport).expect("enrolls");
        assert_eq!(tablet.device.witness_keys().expect("reads").len(), 2);
        tablet
            .device
            .require_witnesses(&[archive.verifier().to_string()])
            .expect("requires one");
        kiosk_core::generator::capture_generated(&tablet.device, 1, 1).expect("captures");
        let report = sync_now(&tablet.device, &transport).expect("syncs");
        assert_eq!((report.received, report.awaiting_witness), (0, 1));
        // Both witnesses cosign the log holding the first capture.
        witness_cosigns(&url, &archive);
        witness_cosigns(&url, &dso);
        let report = sync_now(&tablet.device, &transport).expect("syncs");
        assert_eq!((report.received, report.awaiting_witness), (1, 0));
        // A second capture; only the archive's witness keeps cosigning.
        kiosk_core::generator::capture_generated(&tablet.device, 1, 2).expect("captures");
        let report = sync_now(&tablet.device, &transport).expect("syncs");
        assert_eq!((report.received, report.awaiting_witness), (0, 1));
        witness_cosigns(&url, &archive);
        let report = sync_now(&tablet.device, &transport).expect("syncs again");
        assert_eq!(
            (report.received, report.awaiting_witness),
            (1, 0),
            "the tree the required witness cosigned, not the older one both did"
        );
        assert!(!report.clock_behind_witness);
        assert_eq!(tablet.device.hand_back().expect("reads"), HandBack::Safe);
    })
    .await
    .expect("tablet");
    relay.stop().await.expect("stops");
}

/// A tablet requiring two witnesses, with the log growing between their rounds, counts a
/// capture after one round of each: the witness program names itself, and the relay serves
/// the slower witness the tree the other just cosigned, so both cosign one size. (Served
/// the tip, the second would cosign a larger tree the first never saw, and nothing would
/// count until the log went quiet.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tablet_requiring_two_witnesses_counts_captures_while_the_log_grows() {
    use kiosk_sync_server::witness::{HttpLogSource, Witness};

    let dir = tempfile::tempdir().expect("tempdir");
    let witness = |name: &str, seed: u8| {
        CosignatureSigner::new(name, &ed25519_dalek::SigningKey::from_bytes(&[seed; 32]))
            .expect("a witness")
    };
    let demo = demo_store(Backend::Sqlite, dir.path()).await;
    let store = demo.store.clone();
    let state = state_with_witnesses(
        demo,
        dir.path(),
        &[
            &witness("arkiv.example.se/witness", 51),
            &witness("dso.example.se/witness", 52),
        ],
    );
    let log = state.log_key.verifier();
    let relay = TestRelay::start(state).await;
    let (url, code) = (
        relay.url(),
        demo_code(store.as_ref(), EnrolledRole::Kiosk, 1, 3_600_000),
    );
    let (dir_a, dir_b) = (
        tempfile::tempdir().expect("tempdir"),
        tempfile::tempdir().expect("tempdir"),
    );
    tokio::task::spawn_blocking(move || {
        let program = |name: &str, seed: u8, dir: &Path| {
            let signer = witness(name, seed);
            let source = HttpLogSource::new(&url, None).expect("source").naming(
                &kiosk_core::protocol::witness_key_name(signer.name(), signer.verifier().key_id()),
            );
            Witness::open(source, log.clone(), signer, dir).expect("opens")
        };
        let mut archive = program("arkiv.example.se/witness", 51, dir_a.path());
        let mut dso = program("dso.example.se/witness", 52, dir_b.path());
        let now = || {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .expect("clock")
                .as_secs()
        };
        let tablet = tablet();
        let transport = HttpTransport::new(&url);
        tablet.device.enroll(&code, &transport).expect("enrolls");
        assert_eq!(tablet.device.witness_keys().expect("reads").len(), 2);
        kiosk_core::generator::capture_generated(&tablet.device, 1, 1).expect("captures");
        sync_now(&tablet.device, &transport).expect("syncs");
        archive.round(now()).expect("cosigns");
        // The log grows before the other witness's round.
        kiosk_core::generator::capture_generated(&tablet.device, 1, 2).expect("captures");
        let report = sync_now(&tablet.device, &transport).expect("syncs");
        assert_eq!((report.received, report.awaiting_witness), (0, 2));
        dso.round(now()).expect("cosigns");
        let report = sync_now(&tablet.device, &transport).expect("syncs");
        assert_eq!(
            (report.received, report.awaiting_witness),
            (1, 1),
            "the first capture, in the tree both cosigned"
        );
        archive.round(now()).expect("cosigns");
        kiosk_core::generator::capture_generated(&tablet.device, 1, 3).expect("captures");
        sync_now(&tablet.device, &transport).expect("syncs");
        dso.round(now()).expect("cosigns");
        let report = sync_now(&tablet.device, &transport).expect("syncs");
        assert_eq!(
            (report.received, report.awaiting_witness),
            (1, 1),
            "the second, in the next tree both cosigned; the third waits"
        );
    })
    .await
    .expect("tablet");
    relay.stop().await.expect("stops");
}
