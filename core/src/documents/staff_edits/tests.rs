use ed25519_dalek::SigningKey;
use proptest::prelude::*;

use super::*;
use crate::demo::demo_event;
use crate::documents::RegistrationDocument;
use crate::generator::RegistrationGenerator;

const AT: Timestamp = Timestamp(1_772_000_000_000);

fn key(seed: u8) -> VerifyingKey {
    SigningKey::from_bytes(&[seed; 32]).verifying_key()
}

/// A captured registration: the relay's copy, and a staff tablet's copy written as `staff`.
fn captured(seed: u64) -> (RegistrationDocument, Vec<u8>) {
    let registration = RegistrationGenerator::new(demo_event(), seed)
        .next_registration()
        .expect("valid");
    let mut capture = RegistrationDocument::create(&registration, &key(1), AT).expect("created");
    let bytes = capture.save_changes();
    let (relay, _) = RegistrationDocument::load_unattributed(&bytes).expect("loads");
    (relay, bytes)
}

fn tablet(capture: &[u8], seed: u8) -> RegistrationDocument {
    RegistrationDocument::load_chunks(capture, &key(seed)).expect("loads")
}

fn note(text: &str, recruiter: &str, seed: u8, n: u64) -> Note {
    Note {
        id: format!("note-{seed}-{n}"),
        author: recruiter.into(),
        device: DeviceId::from_public_key(&key(seed)),
        written_at: AT,
        text: text.into(),
    }
}

fn staff(seed: u8, recruiter: &'static str) -> (VerifyingKey, &'static str) {
    (key(seed), recruiter)
}

fn push(
    relay: &mut RegistrationDocument,
    tablet: &mut RegistrationDocument,
    since: &[[u8; 32]],
    who: (VerifyingKey, &str),
) -> std::result::Result<Vec<ChangeHash>, StaffEditRefusal> {
    let changes = tablet.changes_since(since);
    relay.apply_staff_changes(
        &changes,
        StaffAuthor {
            device: &who.0,
            recruiter: who.1,
        },
    )
}

#[test]
fn a_capture_starts_with_empty_annotations() {
    let (relay, _) = captured(1);
    assert_eq!(relay.annotations().expect("reads"), Annotations::opened());
}

#[test]
fn only_a_document_with_empty_annotations_opens_a_record() {
    let (relay, capture) = captured(12);
    assert!(relay.opens_record());
    let mut rated = tablet(&capture, 7);
    rated.set_rating("anna", Some(5), AT).expect("rated");
    assert!(!rated.opens_record());
    let mut hired = tablet(&capture, 7);
    hired.set_status(RecordStatus::Hired, AT).expect("set");
    assert!(!hired.opens_record());
    let mut bare = tablet(&capture, 7);
    automerge::transaction::Transactable::delete(&mut bare.doc, automerge::ROOT, "notes")
        .expect("deleted");
    bare.doc.commit();
    assert!(
        !bare.opens_record(),
        "no notes list: staff could not annotate it"
    );
}

#[test]
fn notes_own_rating_and_status_from_a_staff_tablet_are_merged() {
    let (mut relay, capture) = captured(2);
    let mut anna = tablet(&capture, 7);
    let base = anna.head_bytes();
    anna.add_note(note("Stark kandidat", "anna", 7, 1), AT)
        .expect("noted");
    anna.set_rating("anna", Some(4), AT).expect("rated");
    anna.set_status(RecordStatus::Shortlisted, AT).expect("set");
    let added = push(&mut relay, &mut anna, &base, staff(7, "anna")).expect("accepted");
    assert_eq!(added.len(), 3);
    let merged = relay.annotations().expect("reads");
    assert_eq!(merged.notes.len(), 1);
    assert_eq!(merged.ratings.get("anna"), Some(&4));
    assert_eq!(merged.status, RecordStatus::Shortlisted);
    // A retry adds nothing and is not refused.
    assert_eq!(
        push(&mut relay, &mut anna, &base, staff(7, "anna")),
        Ok(vec![])
    );
}

#[test]
fn a_staff_tablet_changing_a_person_field_is_refused_and_nothing_is_merged() {
    let (mut relay, capture) = captured(3);
    let mut anna = tablet(&capture, 7);
    let base = anna.head_bytes();
    let mut registration = anna.read().expect("reads");
    registration.person.given_name = "Mallory".into();
    anna.write(&registration, AT).expect("written");
    let heads = relay.head_bytes();
    assert_eq!(
        push(&mut relay, &mut anna, &base, staff(7, "anna")),
        Err(StaffEditRefusal::NotPermitted("the captured fields"))
    );
    assert_eq!(relay.head_bytes(), heads);
}

#[test]
fn another_recruiters_rating_is_refused() {
    let (mut relay, capture) = captured(4);
    let mut anna = tablet(&capture, 7);
    let base = anna.head_bytes();
    anna.set_rating("bertil", Some(1), AT).expect("rated");
    assert_eq!(
        push(&mut relay, &mut anna, &base, staff(7, "anna")),
        Err(StaffEditRefusal::NotPermitted("another recruiter's rating"))
    );
}

#[test]
fn a_note_in_another_recruiters_name_is_refused() {
    let (mut relay, capture) = captured(5);
    let mut anna = tablet(&capture, 7);
    let base = anna.head_bytes();
    anna.add_note(note("text", "bertil", 7, 1), AT)
        .expect("noted");
    assert_eq!(
        push(&mut relay, &mut anna, &base, staff(7, "anna")),
        Err(StaffEditRefusal::NotPermitted(
            "notes in another recruiter's or tablet's name"
        ))
    );
}

#[test]
fn removing_or_editing_a_synced_note_is_refused() {
    let (mut relay, capture) = captured(6);
    let mut anna = tablet(&capture, 7);
    let base = anna.head_bytes();
    anna.add_note(note("first", "anna", 7, 1), AT)
        .expect("noted");
    push(&mut relay, &mut anna, &base, staff(7, "anna")).expect("accepted");
    let synced = anna.head_bytes();
    let mut annotations = anna.annotations().expect("reads");
    annotations.notes[0].text = "rewritten".into();
    anna.write_annotations(&annotations, AT).expect("written");
    assert_eq!(
        push(&mut relay, &mut anna, &synced, staff(7, "anna")),
        Err(StaffEditRefusal::NotPermitted("existing notes"))
    );
    let mut bertil = tablet(&relay.save_changes(), 8);
    let synced = bertil.head_bytes();
    let mut annotations = bertil.annotations().expect("reads");
    annotations.notes.clear();
    bertil.write_annotations(&annotations, AT).expect("written");
    assert_eq!(
        push(&mut relay, &mut bertil, &synced, staff(8, "bertil")),
        Err(StaffEditRefusal::NotPermitted("existing notes"))
    );
}

#[test]
fn changes_signed_by_another_tablets_actor_are_refused() {
    let (mut relay, capture) = captured(7);
    let mut bertil = tablet(&capture, 8);
    let base = bertil.head_bytes();
    bertil.set_status(RecordStatus::Contacted, AT).expect("set");
    assert_eq!(
        push(&mut relay, &mut bertil, &base, staff(7, "anna")),
        Err(StaffEditRefusal::ForeignActor)
    );
}

#[test]
fn changes_on_top_of_changes_the_relay_lacks_are_refused() {
    let (mut relay, capture) = captured(8);
    let mut anna = tablet(&capture, 7);
    anna.set_status(RecordStatus::Contacted, AT).expect("set");
    let after_first = anna.head_bytes();
    anna.set_status(RecordStatus::Interviewing, AT)
        .expect("set");
    assert_eq!(
        push(&mut relay, &mut anna, &after_first, staff(7, "anna")),
        Err(StaffEditRefusal::MissingDependencies)
    );
}

#[test]
fn a_rating_out_of_range_is_refused() {
    let (mut relay, capture) = captured(9);
    let mut anna = tablet(&capture, 7);
    let base = anna.head_bytes();
    // Written past the API's own check, as a modified client would.
    autosurgeon::reconcile_prop(&mut anna.doc, automerge::ROOT, "status", "new").expect("ok");
    let ratings = match anna.doc.get(automerge::ROOT, "ratings") {
        Ok(Some((_, id))) => id,
        other => panic!("no ratings map: {other:?}"),
    };
    automerge::transaction::Transactable::put(&mut anna.doc, &ratings, "anna", 9_i64).expect("put");
    anna.doc.commit();
    assert_eq!(
        push(&mut relay, &mut anna, &base, staff(7, "anna")),
        Err(StaffEditRefusal::Invalid("notes, ratings or status"))
    );
}

#[test]
fn garbage_is_unreadable() {
    let (mut relay, _) = captured(10);
    let who = key(7);
    let author = StaffAuthor {
        device: &who,
        recruiter: "anna",
    };
    assert_eq!(
        relay.apply_staff_changes(b"not automerge", author),
        Err(StaffEditRefusal::Unreadable)
    );
    assert_eq!(
        relay.apply_staff_changes(&[], author),
        Err(StaffEditRefusal::Unreadable)
    );
}

/// One step of the convergence property: a tablet edits offline, or syncs with the relay.
#[derive(Debug, Clone)]
enum Step {
    Note(usize),
    Rate(usize, i64),
    Status(usize, usize),
    Sync(usize),
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        (0..3usize).prop_map(Step::Note),
        (0..3usize, 1..=5i64).prop_map(|(t, s)| Step::Rate(t, s)),
        (0..3usize, 0..RecordStatus::ALL.len()).prop_map(|(t, s)| Step::Status(t, s)),
        (0..3usize).prop_map(Step::Sync),
    ]
}

/// A tablet syncs: pushes its own changes the relay lacks, then takes everything it lacks.
fn sync(
    relay: &mut RegistrationDocument,
    tablet: &mut RegistrationDocument,
    who: (VerifyingKey, &str),
) {
    let held = relay.change_hashes();
    let unsent: Vec<[u8; 32]> = tablet
        .change_hashes()
        .into_iter()
        .filter(|h| !held.contains(h))
        .map(|h| h.0)
        .collect();
    if !unsent.is_empty() {
        let own = tablet.change_chunks(&unsent);
        relay
            .apply_staff_changes(
                &own,
                StaffAuthor {
                    device: &who.0,
                    recruiter: who.1,
                },
            )
            .expect("a tablet's own edits are accepted");
    }
    let missing = relay.changes_since(&tablet.head_bytes());
    if !missing.is_empty() {
        tablet.apply_change_chunks(&missing).expect("merges");
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn any_interleaving_of_edits_and_syncs_converges_on_every_replica(
        steps in prop::collection::vec(step(), 1..40)
    ) {
        let (mut relay, capture) = captured(11);
        let recruiters = ["anna", "bertil", "cecilia"];
        let mut tablets: Vec<RegistrationDocument> =
            (0..3).map(|i| tablet(&capture, 20 + i as u8)).collect();
        let who = |i: usize| staff(20 + i as u8, recruiters[i]);
        let mut notes_written = 0;
        for (n, step) in steps.iter().enumerate() {
            match *step {
                Step::Note(t) => {
                    tablets[t]
                        .add_note(note("anteckning", recruiters[t], 20 + t as u8, n as u64), AT)
                        .expect("noted");
                    notes_written += 1;
                }
                Step::Rate(t, score) => {
                    tablets[t].set_rating(recruiters[t], Some(score), AT).expect("rated");
                }
                Step::Status(t, s) => {
                    tablets[t].set_status(RecordStatus::ALL[s], AT).expect("set");
                }
                Step::Sync(t) => sync(&mut relay, &mut tablets[t], who(t)),
            }
        }
        // Everyone syncs twice: the first round carries every edit to the relay.
        for _ in 0..2 {
            for (t, tablet) in tablets.iter_mut().enumerate() {
                sync(&mut relay, tablet, who(t));
            }
        }
        let expected = relay.annotations().expect("reads");
        prop_assert_eq!(expected.notes.len(), notes_written);
        for tablet in &tablets {
            prop_assert_eq!(&tablet.annotations().expect("reads"), &expected);
            prop_assert_eq!(tablet.read().expect("reads"), relay.read().expect("reads"));
        }
    }
}

#[test]
fn a_change_that_made_automerge_panic_when_expanded_is_refused_and_changes_nothing() {
    // Found by `fuzz/` (staff_changes): a person edit with bytes shuffled.
    let bytes: Vec<u8> = vec![
        133, 111, 74, 131, 207, 12, 106, 81, 1, 163, 1, 1, 104, 76, 201, 29, 71, 119, 72, 136, 16,
        200, 17, 183, 201, 93, 102, 195, 187, 193, 50, 223, 223, 94, 122, 234, 238, 10, 184, 2,
        244, 46, 244, 152, 32, 129, 57, 119, 14, 168, 125, 23, 95, 86, 163, 84, 102, 195, 76, 126,
        204, 203, 141, 138, 145, 180, 238, 55, 162, 93, 246, 15, 91, 143, 201, 179, 148, 1, 28,
        155, 229, 201, 205, 6, 0, 1, 32, 138, 136, 227, 221, 116, 9, 241, 149, 253, 82, 219, 45,
        60, 186, 93, 114, 202, 103, 9, 191, 29, 148, 18, 27, 243, 116, 136, 1, 180, 15, 111, 92,
        10, 1, 2, 2, 2, 21, 12, 52, 1, 66, 2, 86, 2, 87, 7, 112, 2, 113, 2, 115, 2, 127, 1, 127,
        12, 127, 10, 103, 105, 118, 101, 110, 95, 110, 97, 109, 101, 1, 127, 1, 127, 118, 77, 97,
        108, 108, 111, 114, 121, 127, 1, 127, 127, 1, 20,
    ];
    let (mut relay, _) = captured(1);
    let heads = relay.head_bytes();
    let who = key(2);
    let author = StaffAuthor {
        device: &who,
        recruiter: "anna",
    };
    // Refused (its dependencies are now checked before Automerge expands it), and the
    // document is as it was.
    assert!(relay.apply_staff_changes(&bytes, author).is_err());
    assert_eq!(relay.head_bytes(), heads);
}

/// The op id of the value at `key` of `obj`.
fn value_op(doc: &RegistrationDocument, obj: &automerge::ObjId, key: &str) -> OpId {
    match doc.doc.get(obj, key) {
        Ok(Some((_, ExId::Id(counter, actor, _)))) => OpId(counter, actor),
        other => panic!("no value at {key}: {other:?}"),
    }
}

/// `tablet`'s last change, with `pred` added to its first operation: what a modified client
/// could send.
fn last_change_with_pred(tablet: &mut RegistrationDocument, pred: OpId) -> Vec<u8> {
    let heads = tablet.doc.get_heads();
    let change = tablet
        .doc
        .get_change_by_hash(&heads[0])
        .expect("the last change");
    let mut expanded = change.decode();
    let mut preds: Vec<OpId> = expanded.operations[0].pred.iter().cloned().collect();
    preds.push(pred);
    expanded.operations[0].pred = preds.into();
    expanded.hash = None;
    let mut forged = automerge::Change::from(expanded);
    forged.bytes().to_vec()
}

#[test]
fn an_operation_naming_another_keys_operation_as_predecessor_is_refused() {
    // Bertil's rating and note are on the relay, and on Anna's tablet.
    let (mut relay, capture) = captured(13);
    let mut bertil = tablet(&capture, 8);
    let base = bertil.head_bytes();
    bertil.set_rating("bertil", Some(2), AT).expect("rated");
    bertil
        .add_note(note("Bertil's note", "bertil", 8, 1), AT)
        .expect("noted");
    push(&mut relay, &mut bertil, &base, staff(8, "bertil")).expect("accepted");
    let mut anna = tablet(&relay.save_changes(), 7);
    let ratings = match anna.doc.get(automerge::ROOT, "ratings") {
        Ok(Some((_, id))) => id,
        other => panic!("no ratings: {other:?}"),
    };
    let bertils_rating = value_op(&anna, &ratings, "bertil");
    let who = key(7);
    let author = StaffAuthor {
        device: &who,
        recruiter: "anna",
    };

    // Anna's own rating, superseding Bertil's too: Automerge would delete his.
    anna.set_rating("anna", Some(5), AT).expect("rated");
    let forged = last_change_with_pred(&mut anna, bertils_rating);
    assert_eq!(
        relay.apply_staff_changes(&forged, author),
        Err(StaffEditRefusal::NotPermitted(
            "what other operations wrote (a predecessor on another key)"
        ))
    );

    // A new note superseding Bertil's note (the list element he inserted).
    let mut anna = tablet(&relay.save_changes(), 7);
    let notes = match anna.doc.get(automerge::ROOT, "notes") {
        Ok(Some((_, id))) => id,
        other => panic!("no notes: {other:?}"),
    };
    let bertils_note = match anna.doc.get(&notes, 0) {
        Ok(Some((_, ExId::Id(counter, actor, _)))) => OpId(counter, actor),
        other => panic!("no note: {other:?}"),
    };
    anna.add_note(note("Anna's note", "anna", 7, 2), AT)
        .expect("noted");
    let forged = last_change_with_pred(&mut anna, bertils_note);
    assert_eq!(
        relay.apply_staff_changes(&forged, author),
        Err(StaffEditRefusal::NotPermitted(
            "what other operations wrote (a predecessor on another key)"
        ))
    );
    let kept = relay.annotations().expect("reads");
    assert_eq!(kept.ratings.get("bertil"), Some(&2));
    assert_eq!(kept.notes.len(), 1);
}

#[test]
fn a_change_with_no_dependencies_is_refused() {
    let (mut relay, _) = captured(14);
    // A fresh document by the staff key: its first change depends on nothing.
    let mut loose = automerge::AutoCommit::new().with_actor(actor_id(&key(7)));
    automerge::transaction::Transactable::put(&mut loose, automerge::ROOT, "status", "hired")
        .expect("put");
    loose.commit();
    let bytes = loose.get_changes(&[])[0].clone().bytes().to_vec();
    let who = key(7);
    assert_eq!(
        relay.apply_staff_changes(
            &bytes,
            StaffAuthor {
                device: &who,
                recruiter: "anna"
            }
        ),
        Err(StaffEditRefusal::NotPermitted(
            "a record it does not build on"
        ))
    );
}
