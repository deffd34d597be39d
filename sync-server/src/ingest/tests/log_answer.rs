//! A sync answer's transparency-log fields, from a real store's log: the checkpoint, the
//! key for a tablet with none, consistency from the size the tablet names, and an inclusion
//! proof for every change of every capture the answer acknowledges, found again when the
//! capture is sent a second time, however many leaves later. Each inclusion gives the
//! record's nonce, from which the leaf's commitment and subject recompute.

use std::sync::Arc;

use kiosk_core::tlog::checkpoint::Checkpoint;
use kiosk_core::tlog::hash::leaf_hash;
use kiosk_core::tlog::note::{self, NoteSigner, NoteVerifier};
use kiosk_core::tlog::tree::{verify_consistency, verify_inclusion};

use super::*;
use crate::storage::model::LogTip;

#[derive(Debug)]
struct TestLog(NoteSigner);

impl LogSigner for TestLog {
    fn vkey(&self) -> String {
        self.0.verifier().to_string()
    }

    fn sign_tip(&self, tip: LogTip) -> String {
        self.0
            .sign(&Checkpoint::new(self.0.name(), tip.size, tip.root).to_body())
            .expect("signs")
    }
}

fn test_log() -> Arc<TestLog> {
    let key = ed25519_dalek::SigningKey::from_bytes(&[77; 32]);
    Arc::new(TestLog(
        NoteSigner::new("relay.test/log", &key).expect("signer"),
    ))
}

fn sync_logged(
    store: &SqliteStore,
    keys: &RelayKeys,
    key: &ed25519_dalek::SigningKey,
    request: &SyncRequest,
) -> SyncResponse {
    let device = store
        .device(&key.verifying_key().to_bytes())
        .expect("store")
        .expect("enrolled");
    let answer =
        match check_sync(store, keys, &device, request, [0; 32], 1_000_000_000).expect("checks") {
            Prepared::Checked(checked) => checked
                .with_log(test_log())
                .commit(store, keys, request)
                .expect("commits"),
            Prepared::Answered(_) => panic!("refused"),
        };
    SignedEnvelope::from_bytes(&answer)
        .expect("envelope")
        .decode()
        .expect("response")
}

/// The checkpoint as the tablet reads it.
fn opened(response: &SyncResponse, verifier: &NoteVerifier) -> Checkpoint {
    let note = response.log_checkpoint.as_deref().expect("a checkpoint");
    let opened = note::open(note, std::slice::from_ref(verifier)).expect("signed by the log key");
    Checkpoint::parse(&opened.text).expect("a checkpoint")
}

fn assert_proven(
    request: &SyncRequest,
    response: &SyncResponse,
    checkpoint: &Checkpoint,
    device: &[u8; 32],
    pushes: &[u32],
) {
    let mut proven: Vec<u32> = response.log_inclusions.iter().map(|i| i.push).collect();
    proven.sort_unstable();
    assert_eq!(proven, pushes, "one proven leaf per stored change");
    for inclusion in &response.log_inclusions {
        assert_eq!(inclusion.leaf.len(), 106);
        assert_eq!(&inclusion.leaf[66..98], device, "the tablet is the author");
        // Bound to the push's document and one of its changes under the nonce given.
        let nonce = inclusion.nonce.expect("the record's nonce");
        let doc_id = &request.pushes[inclusion.push as usize].doc_id;
        assert_eq!(
            inclusion.leaf[2..34],
            kiosk_core::tlog::leaf::record_commitment(&nonce, doc_id),
            "about the push's document"
        );
        let Some(PushOutcome::Stored(changes)) = response.outcomes.get(inclusion.push as usize)
        else {
            panic!("a stored push");
        };
        assert!(
            changes.iter().any(|change| inclusion.leaf[34..66]
                == kiosk_core::tlog::leaf::change_subject(&nonce, change)),
            "about one of its changes"
        );
        verify_inclusion(
            &leaf_hash(&inclusion.leaf),
            inclusion.index,
            checkpoint.size,
            &inclusion.proof,
            &checkpoint.root,
        )
        .expect("the inclusion proof verifies");
    }
}

#[test]
fn an_answer_carries_the_checkpoint_consistency_and_an_inclusion_proof_per_stored_change() {
    let store = SqliteStore::in_memory().expect("store");
    crate::state::store_demo_event(&store).expect("event");
    let keys = RelayKeys::from_seeds([51; 32], [52; 32]);
    let key = kiosk(&store, 53);
    let device = key.verifying_key().to_bytes();
    let first = vec![
        sealed_capture(&key, &keys, 8001),
        sealed_capture(&key, &keys, 8002),
    ];
    let request = demo_request(device, 1, first.clone());
    let answer = sync_logged(&store, &keys, &key, &request);
    assert_eq!(answer.stored_count(), 2);
    // The key named is the log's (compared as text: `NoteVerifier::parse` refuses vkeys
    // whose base64 holds a `+`, as this one's does).
    assert_eq!(answer.log_key, Some(test_log().vkey()));
    let verifier = test_log().0.verifier();
    let held = opened(&answer, &verifier);
    assert!(held.size >= 2);
    assert!(
        answer.log_consistency.is_empty(),
        "nothing held to be consistent with"
    );
    assert_proven(&request, &answer, &held, &device, &[0, 1]);

    // The next request names the size held: consistency from it, no key again.
    let mut request = demo_request(device, 2, vec![sealed_capture(&key, &keys, 8003)]);
    request.log_size = held.size;
    let answer = sync_logged(&store, &keys, &key, &request);
    assert_eq!(answer.log_key, None);
    let grown = opened(&answer, &verifier);
    assert!(grown.size > held.size);
    verify_consistency(
        held.size,
        grown.size,
        &held.root,
        &grown.root,
        &answer.log_consistency,
    )
    .expect("the consistency proof verifies");
    assert_proven(&request, &answer, &grown, &device, &[0]);

    // A capture sent again (its answer lost) is stored already: its leaf is found again.
    let mut request = demo_request(device, 3, vec![first[1].clone()]);
    request.log_size = grown.size;
    let again = sync_logged(&store, &keys, &key, &request);
    assert_eq!(again.stored_count(), 1);
    let same = opened(&again, &verifier);
    assert_eq!(same.size, grown.size, "a retry appends nothing");
    assert!(again.log_consistency.is_empty());
    assert_proven(&request, &again, &same, &device, &[0]);
}

#[test]
fn a_capture_sent_again_after_more_than_ten_thousand_later_leaves_still_gets_its_proof() {
    use crate::storage::TransparencyLogStore;
    use crate::transparency::leaf::{Leaf, LeafKind};

    let store = SqliteStore::in_memory().expect("store");
    crate::state::store_demo_event(&store).expect("event");
    let keys = RelayKeys::from_seeds([61; 32], [62; 32]);
    let key = kiosk(&store, 63);
    let device = key.verifying_key().to_bytes();
    let capture = sealed_capture(&key, &keys, 9001);
    let answer = sync_logged(
        &store,
        &keys,
        &key,
        &demo_request(device, 1, vec![capture.clone()]),
    );
    assert_eq!(answer.stored_count(), 1);
    let first_size = store.log_tip().expect("tip").size;

    // Other records' leaves, more than one read of the log returns, appended after it.
    let later = crate::storage::model::LOG_READ_LIMIT as u64 + 1_000;
    let others: Vec<Leaf> = (0..later)
        .map(|i| {
            let mut record = [0xA5; 32];
            record[..8].copy_from_slice(&i.to_be_bytes());
            Leaf {
                kind: LeafKind::Capture,
                record,
                subject: [0x5A; 32],
                author: [0x11; 32],
                accepted_at: 1_000 + i as i64,
            }
        })
        .collect();
    store.append_log_leaves_for_bench(&others).expect("appends");
    assert_eq!(store.log_tip().expect("tip").size, first_size + later);

    // The answer to the first send was lost: the tablet sends the capture again.
    let request = demo_request(device, 2, vec![capture]);
    let again = sync_logged(&store, &keys, &key, &request);
    assert_eq!(again.stored_count(), 1);
    let verifier = test_log().0.verifier();
    let checkpoint = opened(&again, &verifier);
    assert_eq!(
        checkpoint.size,
        first_size + later,
        "a retry appends nothing"
    );
    assert_proven(&request, &again, &checkpoint, &device, &[0]);
    assert!(
        again.log_inclusions[0].index < first_size,
        "the leaf proved is the one the first send appended"
    );
}

/// Once a witness cosigned a checkpoint, every answer carries the newest cosigned one with
/// the witness's line, and the proof that the answer's tree extends it.
#[test]
fn an_answer_carries_the_newest_cosigned_checkpoint_and_consistency_from_it() {
    use kiosk_core::cosigned_checkpoint::open_cosigned;
    use kiosk_core::tlog::cosignature::CosignatureSigner;

    let store = SqliteStore::in_memory().expect("store");
    crate::state::store_demo_event(&store).expect("event");
    let keys = RelayKeys::from_seeds([71; 32], [72; 32]);
    let key = kiosk(&store, 73);
    let device = key.verifying_key().to_bytes();
    let request = demo_request(device, 1, vec![sealed_capture(&key, &keys, 9101)]);
    let answer = sync_logged(&store, &keys, &key, &request);
    assert_eq!(answer.log_cosigned, None, "no witness has cosigned yet");
    assert!(answer.log_cosigned_consistency.is_empty());

    let verifier = test_log().0.verifier();
    let cosigned_tree = opened(&answer, &verifier);
    let witness = CosignatureSigner::new(
        "arkiv.example.se/witness",
        &ed25519_dalek::SigningKey::from_bytes(&[74; 32]),
    )
    .expect("a witness");
    let note = answer.log_checkpoint.clone().expect("a checkpoint");
    let (body, _) = note::parse_note(&note).expect("a note");
    let cosigned = format!("{note}{}", witness.cosign(body, 1_000).expect("cosigns"));
    crate::witness::intake::accept(
        cosigned.as_bytes(),
        &verifier,
        &[witness.verifier()],
        &store,
    )
    .expect("kept");

    let mut request = demo_request(device, 2, vec![sealed_capture(&key, &keys, 9102)]);
    request.log_size = cosigned_tree.size;
    let answer = sync_logged(&store, &keys, &key, &request);
    let grown = opened(&answer, &verifier);
    assert!(grown.size > cosigned_tree.size);
    let carried = answer
        .log_cosigned
        .as_deref()
        .expect("the cosigned checkpoint");
    let opened_cosigned =
        open_cosigned(carried, &verifier, &[witness.verifier()]).expect("cosigned");
    assert_eq!(opened_cosigned.checkpoint, cosigned_tree);
    assert_eq!(
        opened_cosigned.cosigned,
        vec![("arkiv.example.se/witness".to_owned(), 1_000)]
    );
    verify_consistency(
        cosigned_tree.size,
        grown.size,
        &cosigned_tree.root,
        &grown.root,
        &answer.log_cosigned_consistency,
    )
    .expect("the answer's tree extends the cosigned one");
}

/// A relay with two witnesses, one of which stalls, answers a tablet that names only the
/// other with the tree that one cosigned (the tablet does not wait for a witness it does not
/// require); a tablet naming none, or only a witness the relay does not know, is answered as
/// before: the tree all of the relay's witnesses cosigned (or, none such, the largest any
/// did), which the tablet naming an unknown witness cannot count (it waits).
#[test]
fn an_answer_names_the_tree_the_witnesses_the_tablet_requires_cosigned() {
    use kiosk_core::protocol::witness_key_name;
    use kiosk_core::tlog::cosignature::CosignatureSigner;

    let store = SqliteStore::in_memory().expect("store");
    crate::state::store_demo_event(&store).expect("event");
    let keys = RelayKeys::from_seeds([91; 32], [92; 32]);
    let key = kiosk(&store, 93);
    let device = key.verifying_key().to_bytes();
    let verifier = test_log().0.verifier();
    let witness = |name: &str, seed: u8| {
        CosignatureSigner::new(name, &ed25519_dalek::SigningKey::from_bytes(&[seed; 32]))
            .expect("a witness")
    };
    let (archive, dso) = (
        witness("arkiv.example.se/witness", 94),
        witness("dso.example.se/witness", 95),
    );
    let configured: Arc<crate::witness::intake::Witnesses> =
        Arc::new(vec![archive.verifier(), dso.verifier()].into());
    let cosign = |note: &str, by: &[&CosignatureSigner]| {
        let (body, _) = note::parse_note(note).expect("a note");
        let mut cosigned = note.to_owned();
        for witness in by {
            cosigned.push_str(&witness.cosign(body, 1_000).expect("cosigns"));
        }
        crate::witness::intake::accept(cosigned.as_bytes(), &verifier, &configured, &store)
            .expect("kept");
    };
    let answer_to = |seq: u64, named: Vec<String>| {
        let mut request = demo_request(device, seq, vec![sealed_capture(&key, &keys, 9300 + seq)]);
        request.log_witnesses = named;
        let device_record = store.device(&device).expect("store").expect("enrolled");
        let answer = match check_sync(
            &store,
            &keys,
            &device_record,
            &request,
            [0; 32],
            1_000_000_000,
        )
        .expect("checks")
        {
            Prepared::Checked(checked) => checked
                .with_log(test_log())
                .with_witnesses(configured.clone())
                .commit(&store, &keys, &request)
                .expect("commits"),
            Prepared::Answered(_) => panic!("refused"),
        };
        let response: SyncResponse = SignedEnvelope::from_bytes(&answer)
            .expect("envelope")
            .decode()
            .expect("response");
        response
    };
    let cosigned_size = |response: &SyncResponse| {
        let note = response.log_cosigned.as_deref().expect("a cosigned tree");
        let (text, _) = note::parse_note(note).expect("a note");
        Checkpoint::parse(text).expect("a checkpoint").size
    };
    // Both witnesses cosign the first tree; then only the archive keeps up.
    let first = answer_to(1, Vec::new());
    cosign(
        first.log_checkpoint.as_deref().expect("a checkpoint"),
        &[&archive, &dso],
    );
    let both_size = opened(&first, &verifier).size;
    let second = answer_to(2, Vec::new());
    cosign(
        second.log_checkpoint.as_deref().expect("a checkpoint"),
        &[&archive],
    );
    let archive_size = opened(&second, &verifier).size;
    assert!(archive_size > both_size);

    let archive_name = witness_key_name(archive.verifier().name(), archive.verifier().key_id());
    let named = answer_to(3, vec![archive_name.clone()]);
    assert_eq!(
        cosigned_size(&named),
        archive_size,
        "the tree the named witness cosigned"
    );
    let old_tablet = answer_to(4, Vec::new());
    assert_eq!(
        cosigned_size(&old_tablet),
        both_size,
        "all the relay's witnesses"
    );
    let unknown = witness_key_name("other.example.se/witness", [1, 2, 3, 4]);
    let unknown_only = answer_to(5, vec![unknown.clone()]);
    assert_eq!(
        cosigned_size(&unknown_only),
        both_size,
        "what the relay has"
    );
    let with_unknown = answer_to(6, vec![archive_name, unknown]);
    assert_eq!(
        cosigned_size(&with_unknown),
        archive_size,
        "the known named witness's tree; the tablet waits for the other"
    );
}

/// A capture kept apart for HR review gets a `quarantined` leaf per change, authored by the
/// tablet, and the answer proves each with the record's nonce; sent again (its answer lost),
/// the same leaves are proven and nothing is appended. Without them a relay could answer
/// "quarantined" to keep a capture out of its log while the tablet erases its copy.
#[test]
fn a_quarantined_capture_is_answered_with_a_proven_quarantined_leaf_per_change() {
    let store = SqliteStore::in_memory().expect("store");
    crate::state::store_demo_event(&store).expect("event");
    let keys = RelayKeys::from_seeds([81; 32], [82; 32]);
    let key = kiosk(&store, 83);
    let device = key.verifying_key().to_bytes();
    assert!(store.revoke_device(&device, 1).expect("revoked"));
    let capture = sealed_capture(&key, &keys, 9201);
    let request = demo_request(device, 1, vec![capture.clone()]);
    let answer = sync_logged(&store, &keys, &key, &request);
    let Some(PushOutcome::Quarantined(_, changes)) = answer.outcomes.first() else {
        panic!("kept apart: {:?}", answer.outcomes);
    };
    assert!(!changes.is_empty());
    let verifier = test_log().0.verifier();
    let checkpoint = opened(&answer, &verifier);
    let check = |answer: &SyncResponse, checkpoint: &Checkpoint| {
        assert_eq!(answer.log_inclusions.len(), changes.len(), "one per change");
        for inclusion in &answer.log_inclusions {
            assert_eq!(inclusion.push, 0);
            assert_eq!(inclusion.leaf[1], 10, "a `quarantined` leaf");
            assert_eq!(&inclusion.leaf[66..98], &device, "the tablet is the author");
            let nonce = inclusion.nonce.expect("the record's nonce");
            assert_eq!(
                inclusion.leaf[2..34],
                kiosk_core::tlog::leaf::record_commitment(&nonce, &request.pushes[0].doc_id)
            );
            assert!(changes.iter().any(|change| inclusion.leaf[34..66]
                == kiosk_core::tlog::leaf::change_subject(&nonce, change)));
            verify_inclusion(
                &leaf_hash(&inclusion.leaf),
                inclusion.index,
                checkpoint.size,
                &inclusion.proof,
                &checkpoint.root,
            )
            .expect("the inclusion proof verifies");
        }
    };
    check(&answer, &checkpoint);

    let mut again = demo_request(device, 2, vec![capture]);
    again.log_size = checkpoint.size;
    let answer = sync_logged(&store, &keys, &key, &again);
    assert!(matches!(
        answer.outcomes.first(),
        Some(PushOutcome::Quarantined(..))
    ));
    let same = opened(&answer, &verifier);
    assert_eq!(same.size, checkpoint.size, "a retry appends nothing");
    check(&answer, &same);
}
