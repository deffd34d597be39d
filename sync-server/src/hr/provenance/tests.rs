use ed25519_dalek::{Signature, SigningKey, Verifier};
use kiosk_core::protocol::enrollment::EnrolledRole;
use kiosk_core::tlog::hash::leaf_hash;
use kiosk_core::tlog::tree::verify_inclusion;
use sha2::{Digest, Sha256};

use super::*;
use crate::hr::accounts::Role;
use crate::hr::error::Denial;
use crate::storage::prelude::*;
use crate::storage::{
    AccessAction, RemovalOutcome, SqliteStore, enroll_for_tests, ingest_for_tests,
    signed_capture_for_tests,
};
use crate::transparency::checkpoint::open_checkpoint;

fn user(roles: &[Role], cleared: bool) -> HrUser {
    HrUser {
        id: 1,
        username: "arvid".into(),
        display_name: "Arvid".into(),
        roles: roles.to_vec(),
        restricted_clearance: cleared,
        must_change_password: false,
        disabled: false,
    }
}

fn archivist() -> HrUser {
    user(&[Role::Archivist], false)
}

struct Relay {
    store: SqliteStore,
    keys: RelayKeys,
    log_key: LogKey,
    tablet: SigningKey,
}

/// A relay holding `count` signed captures of the demo generator by one kiosk; their ids.
/// The kiosk is enrolled as the store records one, with no certificate kept.
fn relay_with_captures(count: usize) -> (Relay, Vec<kiosk_core::registration::Registration>) {
    let store = SqliteStore::in_memory().expect("store");
    let tablet = SigningKey::from_bytes(&[3; 32]);
    enroll_for_tests(
        &store,
        tablet.verifying_key().to_bytes(),
        kiosk_core::demo::DEMO_EVENT_ID,
        EnrolledRole::Kiosk,
        None,
    );
    with_captures(store, tablet, count)
}

/// `count` signed captures of the demo generator by `tablet`, enrolled in `store`.
fn with_captures(
    store: SqliteStore,
    tablet: SigningKey,
    count: usize,
) -> (Relay, Vec<kiosk_core::registration::Registration>) {
    let mut generator =
        kiosk_core::generator::RegistrationGenerator::new(kiosk_core::demo::demo_event(), 5);
    let mut registrations = Vec::new();
    let mut items = Vec::new();
    for _ in 0..count {
        let mut registration = generator.next_registration().expect("valid");
        registration.capturing_device =
            kiosk_core::ids::DeviceId::from_public_key(&tablet.verifying_key());
        items.push(signed_capture_for_tests(&registration, &tablet));
        registrations.push(registration);
    }
    // Received now: after the tablet's enrollment, as a capture always is.
    ingest_for_tests(
        &store,
        tablet.verifying_key().to_bytes(),
        1,
        now_ms(),
        items,
    );
    let relay = Relay {
        store,
        keys: RelayKeys::from_seeds([1; 32], [2; 32]),
        log_key: LogKey::from_secret(&[5; 32], None).expect("log key"),
        tablet,
    };
    (relay, registrations)
}

/// The witness the relay of these tests is configured with.
fn witness() -> kiosk_core::tlog::cosignature::CosignatureSigner {
    kiosk_core::tlog::cosignature::CosignatureSigner::new(
        "arkiv.example.se/witness",
        &SigningKey::from_bytes(&[9; 32]),
    )
    .expect("a witness")
}

fn bundle_of(relay: &Relay, user: &HrUser, id: &str) -> HrResult<Value> {
    let witnesses = [witness().verifier()];
    bundle(
        &relay.store,
        &relay.keys,
        &relay.log_key,
        &witnesses,
        user,
        id,
    )
}

fn bytes(value: &Value) -> Vec<u8> {
    Base64::decode_vec(value.as_str().expect("base64 text")).expect("base64")
}

fn open(registrations: &[kiosk_core::registration::Registration]) -> String {
    registrations
        .iter()
        .find(|r| !r.restricted)
        .expect("an open record")
        .id
        .to_string()
}

#[test]
fn a_bundle_carries_each_change_with_its_leaf_and_proof_under_the_signed_checkpoint() {
    let (relay, registrations) = relay_with_captures(5);
    let id = open(&registrations);
    let bundle = bundle_of(&relay, &archivist(), &id).expect("a bundle");
    assert_eq!(bundle["format"], BUNDLE_FORMAT);

    // The checkpoint verbatim, signed by the log key, as big as the log.
    let log = &bundle["log"];
    let saved = open_checkpoint(
        log["checkpoint"].as_str().expect("text"),
        &relay.log_key.verifier(),
    )
    .expect("signed by the log key");
    let tip = relay.store.log_tip().expect("tip");
    assert_eq!((saved.size, saved.root), (tip.size, tip.root));
    assert!(tip.size >= 5, "every capture has its leaf");
    assert_eq!(log["vkey"], relay.log_key.verifier().to_string());

    // Every change: its bytes hash to its hash, and one leaf of the bundle records it.
    let nonce: Nonce = relay.store.record_nonce(&id).expect("reads").expect("held");
    assert_eq!(bytes(&bundle["record"]["nonce"]), nonce);
    let changes = bundle["changes"].as_array().expect("changes");
    assert!(!changes.is_empty());
    let leaves = log["leaves"].as_array().expect("leaves");
    assert_eq!(
        leaves.len(),
        changes.len(),
        "a capture: one leaf per change"
    );
    for change in changes {
        let chunk = bytes(&change["bytes"]);
        let hash: [u8; 32] = Sha256::digest(&chunk[8..]).into();
        assert_eq!(hex::encode(hash), change["hash"]);
        let index = change["leaf_index"].as_u64().expect("a leaf");
        let leaf = leaves
            .iter()
            .find(|l| l["index"] == index)
            .expect("the leaf is in the bundle");
        let decoded = Leaf::decode(&bytes(&leaf["bytes"])).expect("a leaf");
        assert_eq!(decoded.subject, change_subject(&nonce, &hash));
        assert_eq!(decoded.record, record_commitment(&nonce, &id));
        assert_eq!(decoded.author, relay.tablet.verifying_key().to_bytes());
        assert_eq!(leaf["kind"], "capture");
    }
    for leaf in leaves {
        let proof: Vec<Hash> = leaf["inclusion_proof"]
            .as_array()
            .expect("proof")
            .iter()
            .map(|h| bytes(h).try_into().expect("32 bytes"))
            .collect();
        verify_inclusion(
            &leaf_hash(&bytes(&leaf["bytes"])),
            leaf["index"].as_u64().expect("index"),
            saved.size,
            &proof,
            &saved.root,
        )
        .expect("the leaf is in the checkpoint's tree");
    }

    // The capture signature covers the message the bundle gives, by the tablet's key.
    let capture = &bundle["capture"];
    let message = bytes(&capture["message"]);
    let signature = Signature::from_slice(&bytes(&capture["signature"])).expect("64 bytes");
    relay
        .tablet
        .verifying_key()
        .verify(&message, &signature)
        .expect("the tablet signed it");
    assert!(message.starts_with(b"kiosk-capture-v1"));

    // The re-issued certificate (no enrollment answer was kept): tag ‖ payload, signed by
    // the relay's signing key, and the bundle says it is re-issued.
    let certificate = &bundle["device"]["certificate"];
    assert_eq!(certificate["reissued"], true);
    assert!(
        bundle["device"]["missing"]
            .as_str()
            .is_some_and(|note| note.contains("re-issued") && note.contains("was not kept"))
    );
    let signed = bytes(&certificate["signed_message"]);
    assert_eq!(
        signed,
        [
            CERTIFICATE_TAG,
            bytes(&certificate["payload_cbor"]).as_slice()
        ]
        .concat()
    );
    relay
        .keys
        .signing
        .verifying_key()
        .verify(
            &signed,
            &Signature::from_slice(&bytes(&certificate["signature"])).expect("64"),
        )
        .expect("the relay signed it");
    assert_eq!(
        bytes(&bundle["relay"]["signing_key"]),
        relay.keys.signing.verifying_key().to_bytes()
    );

    // One `disclosure` entry in the access log, by the archivist, for this record.
    let entries: Vec<_> = relay
        .store
        .access_log_entries(0, 1_000)
        .expect("log")
        .into_iter()
        .filter(|(_, e)| e.doc_id == id)
        .map(|(_, e)| (e.action, e.accessor))
        .collect();
    assert!(entries.contains(&(
        AccessAction::Disclosure,
        Accessor::Operator("hr:arvid".into())
    )));
}

#[test]
fn only_archivists_get_a_bundle_and_a_restricted_record_needs_the_clearance() {
    let (relay, registrations) = relay_with_captures(6);
    let open = open(&registrations);
    let restricted = registrations
        .iter()
        .find(|r| r.restricted)
        .expect("the seed captures a restricted record")
        .id
        .to_string();
    let recruiter = user(&[Role::Recruiter], true);
    assert!(matches!(
        bundle_of(&relay, &recruiter, &open),
        Err(HrError::Denied(Denial::MissingRole(_)))
    ));
    assert!(matches!(
        bundle_of(&relay, &archivist(), &restricted),
        Err(HrError::NotFound(Missing::Registration))
    ));
    let cleared = user(&[Role::Archivist], true);
    let bundle = bundle_of(&relay, &cleared, &restricted).expect("cleared");
    assert_eq!(bundle["restricted"], true);
    assert!(matches!(
        bundle_of(&relay, &archivist(), "not-an-id"),
        Err(HrError::NotFound(Missing::Registration))
    ));
}

#[test]
fn a_removed_record_has_no_bundle_while_its_leaves_stay_in_the_log() {
    let (relay, registrations) = relay_with_captures(3);
    let id = open(&registrations);
    let before = bundle_of(&relay, &archivist(), &id).expect("a bundle");
    let size = relay.store.log_tip().expect("tip").size;
    let outcome = relay
        .store
        .remove_registration(
            &id,
            "Gallring enligt beslut 2026:1",
            &Accessor::Operator("hr:arvid".into()),
            2_000,
        )
        .expect("removes");
    assert!(matches!(outcome, RemovalOutcome::Removed), "{outcome:?}");
    assert!(matches!(
        bundle_of(&relay, &archivist(), &id),
        Err(HrError::NotFound(Missing::RemovedRegistration))
    ));
    assert_eq!(relay.store.record_nonce(&id).expect("reads"), None);
    // The earlier leaves are unchanged and the log grew by the `removed` leaf.
    let after = relay.store.log_tip().expect("tip");
    assert_eq!(after.size, size + 1);
    for leaf in before["log"]["leaves"].as_array().expect("leaves") {
        let index = leaf["index"].as_u64().expect("index");
        let stored = relay.store.log_leaves(index, 1).expect("reads");
        assert_eq!(stored, vec![bytes(&leaf["bytes"])]);
    }
    let last = relay.store.log_leaves(size, 1).expect("reads");
    let removed = Leaf::decode(&last[0]).expect("a leaf");
    assert_eq!(removed.kind.name(), "removed");
    assert_eq!(
        removed.record,
        bytes(&before["record"]["commitment"]).as_slice()
    );
}

#[test]
fn public_keys_are_pem_as_rfc8410_writes_them() {
    // RFC 8410, section 10.1.
    let key: [u8; 32] =
        hex::decode("19bf44096984cdfe8541bac167dc3b96c85086aa30b6b6cb0c5c38ad703166e1")
            .expect("hex")
            .try_into()
            .expect("32");
    assert_eq!(
        public_key_pem(&key),
        "-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEAGb9ECWmEzf6FQbrBZ9w7lshQhqowtrbLDFw4rXAxZuE=\n-----END PUBLIC KEY-----\n"
    );
}

#[test]
fn the_bundle_proves_its_leaves_in_the_newest_cosigned_tree_that_holds_them_with_its_cosignatures()
{
    let (relay, registrations) = relay_with_captures(3);
    let id = open(&registrations);
    // A witness cosigns the tree as it is now.
    let witness = witness();
    let cosigned = relay.store.log_tip().expect("tip");
    let note = relay.log_key.sign(cosigned);
    let body = note.split("\n\n").next().expect("text").to_owned() + "\n";
    let posted = format!("{note}{}", witness.cosign(&body, 1_000).expect("cosigns"));
    crate::witness::intake::accept(
        posted.as_bytes(),
        &relay.log_key.verifier(),
        &[witness.verifier()],
        &relay.store,
    )
    .expect("kept");
    // The log grows past it: a later capture.
    let mut generator =
        kiosk_core::generator::RegistrationGenerator::new(kiosk_core::demo::demo_event(), 11);
    // An open record, so an archivist without the clearance reads it.
    let mut later = std::iter::repeat_with(|| generator.next_registration().expect("valid"))
        .find(|r| !r.restricted)
        .expect("an open record");
    later.capturing_device =
        kiosk_core::ids::DeviceId::from_public_key(&relay.tablet.verifying_key());
    ingest_for_tests(
        &relay.store,
        relay.tablet.verifying_key().to_bytes(),
        2,
        2_000,
        vec![signed_capture_for_tests(&later, &relay.tablet)],
    );
    let current = relay.store.log_tip().expect("tip");
    assert!(current.size > cosigned.size);

    // The earlier record: proved in the cosigned tree, whose note carries the cosignature.
    let bundle = bundle_of(&relay, &archivist(), &id).expect("a bundle");
    let log = &bundle["log"];
    assert_eq!(log["size"], cosigned.size);
    let checkpoint = log["checkpoint"].as_str().expect("note");
    assert!(
        checkpoint.contains("\n\u{2014} arkiv.example.se/witness "),
        "{checkpoint}"
    );
    let saved = open_checkpoint(checkpoint, &relay.log_key.verifier()).expect("signed");
    assert_eq!((saved.size, saved.root), (cosigned.size, cosigned.root));
    for leaf in log["leaves"].as_array().expect("leaves") {
        let proof: Vec<Hash> = leaf["inclusion_proof"]
            .as_array()
            .expect("proof")
            .iter()
            .map(|h| bytes(h).try_into().expect("32 bytes"))
            .collect();
        verify_inclusion(
            &leaf_hash(&bytes(&leaf["bytes"])),
            leaf["index"].as_u64().expect("index"),
            cosigned.size,
            &proof,
            &cosigned.root,
        )
        .expect("in the cosigned tree");
    }

    // The later record is not in the cosigned tree: proved in the current one.
    let bundle = bundle_of(&relay, &archivist(), later.id.as_str()).expect("a bundle");
    assert_eq!(bundle["log"]["size"], current.size);
    assert!(
        !bundle["log"]["checkpoint"]
            .as_str()
            .expect("note")
            .contains("arkiv.example.se/witness")
    );
}

/// The bundle's cosigned tree is chosen as a sync answer's is: a cosignature kept for a
/// root the log no longer has (from before a restore), though of the largest size, is never
/// the tree the bundle proves in; the witness's genuine tree is.
#[test]
fn a_cosignature_kept_for_a_root_the_log_no_longer_has_is_never_the_bundles_tree() {
    let (relay, registrations) = relay_with_captures(3);
    let id = open(&registrations);
    let cosigned = relay.store.log_tip().expect("tip");
    let note = relay.log_key.sign(cosigned);
    let body = note.split("\n\n").next().expect("text").to_owned() + "\n";
    let posted = format!("{note}{}", witness().cosign(&body, 1_000).expect("cosigns"));
    crate::witness::intake::accept(
        posted.as_bytes(),
        &relay.log_key.verifier(),
        &[witness().verifier()],
        &relay.store,
    )
    .expect("kept");
    let tablet = relay.tablet.verifying_key();
    let mut generator =
        kiosk_core::generator::RegistrationGenerator::new(kiosk_core::demo::demo_event(), 13);
    let mut later = generator.next_registration().expect("valid");
    later.capturing_device = kiosk_core::ids::DeviceId::from_public_key(&tablet);
    ingest_for_tests(
        &relay.store,
        tablet.to_bytes(),
        2,
        2_000,
        vec![signed_capture_for_tests(&later, &relay.tablet)],
    );
    let current = relay.store.log_tip().expect("tip");
    let stale = crate::storage::model::StoredCosignature {
        witness: witness().verifier().to_string(),
        size: current.size,
        root: [0xAB; 32],
        time: 2_000,
        line: "\u{2014} arkiv.example.se/witness stale".to_owned(),
    };
    assert!(relay.store.store_cosignature(&stale).expect("stores"));

    let bundle = bundle_of(&relay, &archivist(), &id).expect("a bundle");
    let checkpoint = bundle["log"]["checkpoint"].as_str().expect("note");
    assert!(!checkpoint.contains("stale"), "{checkpoint}");
    let saved = open_checkpoint(checkpoint, &relay.log_key.verifier()).expect("signed");
    assert_eq!((saved.size, saved.root), (cosigned.size, cosigned.root));
}

#[test]
fn the_bundles_certificate_is_byte_for_byte_the_one_the_enrollment_answer_carried() {
    let store = SqliteStore::in_memory().expect("store");
    // Enrolled under other relay keys than the bundle is made with: a re-issued certificate
    // would be signed by the bundle's key, the original by the enrolling one.
    let enrolling = RelayKeys::from_seeds([8; 32], [9; 32]);
    let tablet = SigningKey::from_bytes(&[3; 32]);
    let (answer, sent) = enroll_tablet(&store, &enrolling, &tablet, now_ms());

    let (relay, registrations) = with_captures(store, tablet, 2);
    let bundle = bundle_of(&relay, &archivist(), &open(&registrations)).expect("a bundle");
    let certificate = &bundle["device"]["certificate"];
    assert_eq!(
        bytes(&certificate["envelope_cbor"]),
        sent,
        "the envelope sent"
    );
    assert_eq!(
        bytes(&certificate["payload_cbor"]),
        answer.certificate.payload
    );
    assert_eq!(
        bytes(&certificate["signature"]),
        answer.certificate.signature
    );
    assert_eq!(
        bytes(&certificate["signer"]),
        enrolling.signing.verifying_key().to_bytes(),
        "signed by the key that enrolled the tablet, not re-signed now"
    );
    assert_eq!(certificate["reissued"], false);
    assert!(bundle["device"].get("missing").is_none());
}

/// Enrolls `tablet` through a new code at `at`, under `keys`; returns the certificate its
/// enrollment answer carried, and its bytes.
fn enroll_tablet(
    store: &SqliteStore,
    keys: &RelayKeys,
    tablet: &SigningKey,
    at: i64,
) -> (kiosk_core::protocol::enrollment::EnrollAnswer, Vec<u8>) {
    use kiosk_core::protocol::enrollment::{EnrollRequest, EnrollResponse};
    let code = crate::enrollment::create_code(
        store,
        kiosk_core::demo::DEMO_EVENT_ID,
        EnrolledRole::Kiosk,
        None,
        1,
        i64::MAX,
        at,
    )
    .expect("a code");
    let request = EnrollRequest::new(&code, tablet, EnrolledRole::Kiosk);
    let answered = crate::enrollment::enroll(store, keys, &kiosk_core::cbor::to_vec(&request), at)
        .expect("storage")
        .expect("enrolled");
    let response: EnrollResponse = ciborium::from_reader(answered.as_slice()).expect("decodes");
    let (answer, _) = response
        .open(&code, &tablet.verifying_key().to_bytes())
        .expect("authentic");
    let sent = kiosk_core::cbor::to_vec(&answer.certificate);
    (answer, sent)
}

#[test]
fn a_re_enrolled_tablets_older_record_carries_the_certificate_it_was_captured_under() {
    let store = SqliteStore::in_memory().expect("store");
    let keys = RelayKeys::from_seeds([1; 32], [2; 32]);
    let tablet = SigningKey::from_bytes(&[3; 32]);
    let enrolled = now_ms();
    let (_, first) = enroll_tablet(&store, &keys, &tablet, enrolled);
    let mut generator =
        kiosk_core::generator::RegistrationGenerator::new(kiosk_core::demo::demo_event(), 5);
    let mut capture = |seq: u64, at: i64| {
        let mut registration = generator.next_registration().expect("valid");
        registration.restricted = false;
        registration.capturing_device =
            kiosk_core::ids::DeviceId::from_public_key(&tablet.verifying_key());
        let item = signed_capture_for_tests(&registration, &tablet);
        ingest_for_tests(
            &store,
            tablet.verifying_key().to_bytes(),
            seq,
            at,
            vec![item],
        );
        registration.id.to_string()
    };
    let older = capture(1, enrolled + 1_000);
    // The tablet is enrolled again later (a new event, a reset): a new certificate.
    let (_, second) = enroll_tablet(&store, &keys, &tablet, enrolled + 10_000);
    assert_ne!(first, second);
    let newer = capture(2, enrolled + 20_000);
    let relay = Relay {
        store,
        keys,
        log_key: LogKey::from_secret(&[5; 32], None).expect("log key"),
        tablet,
    };
    let certificate_of = |id: &str| {
        let bundle = bundle_of(&relay, &archivist(), id).expect("a bundle");
        let certificate = bundle["device"]["certificate"].clone();
        assert_eq!(certificate["reissued"], false, "a kept certificate");
        bytes(&certificate["envelope_cbor"])
    };
    assert_eq!(
        certificate_of(&older),
        first,
        "the record captured before the re-enrollment names the certificate it was made under"
    );
    assert_eq!(certificate_of(&newer), second);
}

/// Enrolled again by an instance whose clock is ahead of the receiving one's, a tablet's
/// next capture is received at a time before the new certificate's issue time: the bundle
/// still names the certificate the tablet held (the one the record keeps the issue time
/// of), not the previous enrollment's, which comparing the two clocks picked.
#[test]
fn a_capture_received_by_an_instance_whose_clock_is_behind_names_the_certificate_the_tablet_held() {
    let store = SqliteStore::in_memory().expect("store");
    let keys = RelayKeys::from_seeds([1; 32], [2; 32]);
    let tablet = SigningKey::from_bytes(&[3; 32]);
    let enrolled = now_ms();
    let (_, first) = enroll_tablet(&store, &keys, &tablet, enrolled);
    // Enrolled again through an instance whose clock is ahead.
    let (_, second) = enroll_tablet(&store, &keys, &tablet, enrolled + 100_000);
    assert_ne!(first, second);
    let mut generator =
        kiosk_core::generator::RegistrationGenerator::new(kiosk_core::demo::demo_event(), 5);
    let mut registration = generator.next_registration().expect("valid");
    registration.restricted = false;
    registration.capturing_device =
        kiosk_core::ids::DeviceId::from_public_key(&tablet.verifying_key());
    let item = signed_capture_for_tests(&registration, &tablet);
    // Received by an instance whose clock reads before the second enrollment.
    ingest_for_tests(
        &store,
        tablet.verifying_key().to_bytes(),
        1,
        enrolled + 40_000,
        vec![item],
    );
    let relay = Relay {
        store,
        keys,
        log_key: LogKey::from_secret(&[5; 32], None).expect("log key"),
        tablet,
    };
    let bundle = bundle_of(&relay, &archivist(), &registration.id.to_string()).expect("a bundle");
    let certificate = &bundle["device"]["certificate"];
    assert_eq!(certificate["reissued"], false, "a kept certificate");
    assert_eq!(
        bytes(&certificate["envelope_cbor"]),
        second,
        "the certificate the tablet held when it sent the capture"
    );
}

/// Cosigns the log's current tree as `witness` at `time`, through the relay's intake.
fn cosign_current(
    relay: &Relay,
    witness: &kiosk_core::tlog::cosignature::CosignatureSigner,
    time: u64,
) -> LogTip {
    let tip = relay.store.log_tip().expect("tip");
    let note = relay.log_key.sign(tip);
    let body = note.split("\n\n").next().expect("text").to_owned() + "\n";
    let posted = format!("{note}{}", witness.cosign(&body, time).expect("cosigns"));
    crate::witness::intake::accept(
        posted.as_bytes(),
        &relay.log_key.verifier(),
        &[witness.verifier()],
        &relay.store,
    )
    .expect("kept");
    tip
}

/// One open capture more from the relay's tablet, as sync `seq`; its record id.
fn capture_more(relay: &Relay, seed: u64, seq: u64) -> String {
    let tablet = relay.tablet.verifying_key();
    let mut generator =
        kiosk_core::generator::RegistrationGenerator::new(kiosk_core::demo::demo_event(), seed);
    let mut later = std::iter::repeat_with(|| generator.next_registration().expect("valid"))
        .find(|r| !r.restricted)
        .expect("an open record");
    later.capturing_device = kiosk_core::ids::DeviceId::from_public_key(&tablet);
    ingest_for_tests(
        &relay.store,
        tablet.to_bytes(),
        seq,
        2_000,
        vec![signed_capture_for_tests(&later, &relay.tablet)],
    );
    later.id.as_str().to_owned()
}

/// With two witnesses configured and one lagging, a record newer than the tree both
/// cosigned is proved in the tree the other witness cosigned (its checkpoint carrying that
/// witness's line only, saying honestly who cosigned), not in the uncosigned current tree.
#[test]
fn with_one_witness_lagging_a_newer_record_is_proved_in_the_tree_the_other_cosigned() {
    let (relay, _) = relay_with_captures(3);
    let dso = kiosk_core::tlog::cosignature::CosignatureSigner::new(
        "dso.example.se/witness",
        &SigningKey::from_bytes(&[10; 32]),
    )
    .expect("a witness");
    cosign_current(&relay, &witness(), 1_000);
    cosign_current(&relay, &dso, 1_000);
    let newer = capture_more(&relay, 11, 2);
    // Only the archive's witness keeps up; the log grows on past it.
    let by_one = cosign_current(&relay, &witness(), 1_100);
    capture_more(&relay, 12, 3);
    let current = relay.store.log_tip().expect("tip");
    assert!(current.size > by_one.size);
    let both = [witness().verifier(), dso.verifier()];
    let bundle = bundle(
        &relay.store,
        &relay.keys,
        &relay.log_key,
        &both,
        &archivist(),
        &newer,
    )
    .expect("a bundle");
    assert_eq!(bundle["log"]["size"], by_one.size);
    let checkpoint = bundle["log"]["checkpoint"].as_str().expect("note");
    assert!(
        checkpoint.contains("\n\u{2014} arkiv.example.se/witness "),
        "{checkpoint}"
    );
    assert!(!checkpoint.contains("dso.example.se"), "{checkpoint}");
}

/// Enrolled again more times than the relay keeps certificates of, a tablet's older record
/// names a certificate that was pruned: the bundle re-issues one and says that the one the
/// record names (by its issue time) was pruned, not only that some certificate was not kept.
#[test]
fn a_record_whose_certificate_was_pruned_says_so_in_its_bundle() {
    use crate::storage::model::CERTIFICATES_KEPT_PER_DEVICE;
    let store = SqliteStore::in_memory().expect("store");
    let keys = RelayKeys::from_seeds([1; 32], [2; 32]);
    let tablet = SigningKey::from_bytes(&[3; 32]);
    let enrolled = now_ms();
    enroll_tablet(&store, &keys, &tablet, enrolled);
    let mut generator =
        kiosk_core::generator::RegistrationGenerator::new(kiosk_core::demo::demo_event(), 5);
    let mut registration = generator.next_registration().expect("valid");
    registration.restricted = false;
    registration.capturing_device =
        kiosk_core::ids::DeviceId::from_public_key(&tablet.verifying_key());
    let item = signed_capture_for_tests(&registration, &tablet);
    ingest_for_tests(
        &store,
        tablet.verifying_key().to_bytes(),
        1,
        enrolled + 1_000,
        vec![item],
    );
    let named = store
        .capture_evidence(&registration.id.to_string())
        .expect("reads")
        .expect("stored")
        .certified_at
        .expect("the record names its certificate");
    for again in 1..=CERTIFICATES_KEPT_PER_DEVICE as i64 {
        enroll_tablet(&store, &keys, &tablet, enrolled + 10_000 * again);
    }
    let relay = Relay {
        store,
        keys,
        log_key: LogKey::from_secret(&[5; 32], None).expect("log key"),
        tablet,
    };
    let bundle = bundle_of(&relay, &archivist(), &registration.id.to_string()).expect("a bundle");
    assert_eq!(bundle["device"]["certificate"]["reissued"], true);
    let note = bundle["device"]["missing"].as_str().expect("a note");
    assert!(
        note.contains("pruned") && note.contains(&named.to_string()) && note.contains("re-issued"),
        "{note}"
    );
}
