use super::*;
use crate::demo::demo_event;
use crate::generator::RegistrationGenerator;
use crate::ids::Timestamp;

fn key(seed: u8) -> VerifyingKey {
    ed25519_dalek::SigningKey::from_bytes(&[seed; 32]).verifying_key()
}

#[test]
fn a_registration_round_trips_through_its_saved_document() {
    let mut generator = RegistrationGenerator::new(demo_event(), 3);
    for _ in 0..50 {
        let registration = generator.next_registration().expect("valid");
        let device = key(1);
        let mut document =
            RegistrationDocument::create(&registration, &device, registration.captured_at)
                .expect("created");
        let bytes = document.save();
        let loaded = RegistrationDocument::load(&bytes, &key(2)).expect("loads");
        assert_eq!(loaded.read().expect("reads"), registration);
    }
}

#[test]
fn every_change_is_authored_by_the_key_passed_in() {
    let mut generator = RegistrationGenerator::new(demo_event(), 4);
    let registration = generator.next_registration().expect("valid");
    let device = key(9);
    let mut document =
        RegistrationDocument::create(&registration, &device, registration.captured_at)
            .expect("created");
    let authors = document.authors();
    assert_eq!(authors, vec![actor_id(&device)]);
    assert_eq!(actor_key(&authors[0]), Some(device));
    assert_eq!(document.change_hashes().len(), 1);
    assert_eq!(document.heads(), document.change_hashes());
}

#[test]
fn the_same_capture_gives_the_same_document_bytes() {
    let registration = RegistrationGenerator::new(demo_event(), 5)
        .next_registration()
        .expect("valid");
    let save = || {
        RegistrationDocument::create(&registration, &key(1), registration.captured_at)
            .expect("created")
            .save()
    };
    assert_eq!(save(), save());
}

#[test]
fn concurrent_event_edits_by_two_hr_users_both_survive_a_merge() {
    let event = demo_event();
    let created = Timestamp(1_772_000_000_000);
    let mut first = EventDocument::create(&event, &key(1), created).expect("created");
    let mut second = first.fork_for(&key(2));

    let mut venue_edit = first.read().expect("reads");
    venue_edit.venue = "Stockholmsmässan, hall C".into();
    first.write(&venue_edit, created).expect("writes");

    let mut retention_edit = second.read().expect("reads");
    retention_edit.draft_form.retention.months_after_capture = 12;
    second.write(&retention_edit, created).expect("writes");

    first.merge(&mut second).expect("merges");
    let merged = first.read().expect("reads");
    assert_eq!(merged.venue, "Stockholmsmässan, hall C");
    assert_eq!(merged.draft_form.retention.months_after_capture, 12);
    assert_eq!(
        merged.published, event.published,
        "published versions are untouched"
    );
    assert_eq!(first.authors(), {
        let mut both = vec![actor_id(&key(1)), actor_id(&key(2))];
        both.sort();
        both
    });
}

#[test]
fn an_event_document_with_a_tampered_published_form_is_refused() {
    let event = demo_event();
    let mut document =
        EventDocument::create(&event, &key(1), Timestamp(1_772_000_000_000)).expect("created");
    let version = event.current_version.clone().expect("published");
    let mut tampered = event;
    let entry = tampered
        .published
        .get_mut(version.as_str())
        .expect("present");
    entry.form.retention.months_after_capture = 120;
    // Write it behind the checks, as a hostile or buggy peer could.
    autosurgeon::reconcile(&mut document.doc, &tampered).expect("reconciles");
    document.doc.commit();
    let bytes = document.save();
    let error = EventDocument::load(&bytes, &key(2)).expect_err("tampered");
    assert!(matches!(
        error,
        Error::Event(crate::event::EventError::TamperedForm { .. })
    ));
}

#[test]
fn garbage_and_empty_documents_are_refused() {
    assert!(matches!(
        RegistrationDocument::load(b"not an automerge document", &key(1)),
        Err(Error::Automerge(_))
    ));
    let empty = AutoCommit::new().save();
    assert!(matches!(
        RegistrationDocument::load(&empty, &key(1)),
        Err(Error::EmptyDocument)
    ));
    let event_bytes = EventDocument::create(&demo_event(), &key(1), Timestamp(0))
        .expect("created")
        .save();
    assert!(matches!(
        RegistrationDocument::load(&event_bytes, &key(1)),
        Err(Error::Hydrate(_))
    ));
}

#[test]
fn a_document_with_an_extra_field_anywhere_is_noticed() {
    let registration = RegistrationGenerator::new(demo_event(), 8)
        .next_registration()
        .expect("valid");
    let mut document =
        RegistrationDocument::create(&registration, &key(1), registration.captured_at)
            .expect("created");
    assert!(document.has_only_known_fields().expect("reads"));
    assert!(document.fields_within(registration_field_paths()));
    use automerge::transaction::Transactable;
    let person = match automerge::ReadDoc::get(&document.doc, automerge::ROOT, "person") {
        Ok(Some((_, id))) => id,
        other => panic!("person map expected, got {other:?}"),
    };
    document
        .doc
        .put(&person, "personal_identity_number", "19900101-1234")
        .expect("puts");
    document.doc.commit();
    assert_eq!(document.read().expect("still hydrates"), registration);
    assert!(!document.has_only_known_fields().expect("reads"));
    assert!(!document.fields_within(registration_field_paths()));
}

#[test]
fn an_extra_field_at_the_root_or_inside_a_list_is_noticed_too() {
    use automerge::transaction::Transactable;
    let registration = RegistrationGenerator::new(demo_event(), 9)
        .next_registration()
        .expect("valid");
    let fresh = || {
        RegistrationDocument::create(&registration, &key(1), registration.captured_at)
            .expect("created")
    };
    let mut at_root = fresh();
    at_root
        .doc
        .put(automerge::ROOT, "photo", "data:image/png;base64,AAAA")
        .expect("puts");
    assert!(!at_root.fields_within(registration_field_paths()));

    let mut in_list = fresh();
    let interests = match automerge::ReadDoc::get(&in_list.doc, automerge::ROOT, "interests") {
        Ok(Some((_, id))) => id,
        other => panic!("interests list expected, got {other:?}"),
    };
    let hidden = in_list
        .doc
        .insert_object(&interests, 0, automerge::ObjType::Map)
        .expect("inserts");
    in_list
        .doc
        .put(&hidden, "citizenship", "somewhere")
        .expect("puts");
    assert!(!in_list.fields_within(registration_field_paths()));
}

/// Found by `fuzz/` (captured_document): these bytes make Automerge 0.12 panic while
/// decoding a column. They must be refused as unreadable, not take the thread down.
const AUTOMERGE_PANIC: &str = "856f4a836f4a834a036400013f3f3f3f3f0d00000000002700006e4a003a0d0000852b2b2b2b2b2b2b2bff2b2b2b856f4a834a0004190005000039390009090909856f4a834a00000d000000000400000006000123010000006f4a000000004a0000012300ffff856fffd9d9ffffffffd9d9ff4a4a03010dff82000000856f";

#[test]
fn bytes_that_make_automerge_panic_are_refused_as_unreadable() {
    let bytes = hex::decode(AUTOMERGE_PANIC).expect("hex");
    assert!(matches!(
        RegistrationDocument::load_unattributed(&bytes),
        Err(Error::UnreadableDocument)
    ));
    assert!(RegistrationDocument::load(&bytes, &key(1)).is_err());
}

/// Found by `fuzz/` (captured_document): 110 bytes of another chunk type on which automerge
/// 0.12 tries to allocate gigabytes, which aborts the process. Refused before Automerge
/// reads them.
const AUTOMERGE_OUT_OF_MEMORY: &str = "856f4a83efde2cd2036400013f3f0100007a00000001323f3f0d0000000000270000c1c11ec1c1c185fffffffffdc1c1c1c1c1c5c1c1020202c1c1c1c1c1c5c1c102020200000004000000060001230d3a00a9c1c1c1c136c1c11ec1c1c185ffffffffc1c1c1c1c1c5c1c1020202";

#[test]
fn only_change_chunks_are_read_from_elsewhere() {
    let bytes = hex::decode(AUTOMERGE_OUT_OF_MEMORY).expect("hex");
    assert!(matches!(
        RegistrationDocument::load_unattributed(&bytes),
        Err(Error::UnreadableDocument)
    ));
    let registration = RegistrationGenerator::new(demo_event(), 12)
        .next_registration()
        .expect("valid");
    let mut document =
        RegistrationDocument::create(&registration, &key(1), registration.captured_at)
            .expect("created");
    let changes = document.save_changes();
    assert!(RegistrationDocument::load_unattributed(&changes).is_ok());
    assert!(
        RegistrationDocument::load_unattributed(&document.save()).is_err(),
        "a saved document is another chunk type"
    );
    assert!(RegistrationDocument::load_unattributed(&changes[..changes.len() - 1]).is_err());
    let mut twice = changes.clone();
    twice.extend_from_slice(&changes);
    assert!(
        RegistrationDocument::load_unattributed(&twice).is_ok(),
        "several change chunks"
    );
}
