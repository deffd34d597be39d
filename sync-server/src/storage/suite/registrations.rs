//! Registrations as HR reads them: lists and searches (each row shown logged), reads,
//! exports (never restricted records), HR users' edits, and the restricted inbox.

use kiosk_core::annotations::RecordStatus;
use kiosk_core::demo::DEMO_EVENT_ID;

use super::fixtures::*;
use crate::storage::{
    AccessAction, AccessEntry, HrEdit, HrEditOutcome, HrEditor, ListOrder, PullScope,
    RegistrationFilter, RelayStore, ingest_generated_for_tests, receipt_code_for_tests,
};

/// The ids of the first page of open records a search for `text` lists.
pub(crate) fn search(store: &dyn RelayStore, text: &str) -> Vec<String> {
    let filter = RegistrationFilter {
        search: Some(text.to_owned()),
        limit: 50,
        ..RegistrationFilter::default()
    };
    store
        .list_registrations(&filter, &operator("test"), 0)
        .expect("lists")
        .into_iter()
        .map(|row| row.id)
        .collect()
}

fn log_of(store: &dyn RelayStore, action: AccessAction) -> Vec<AccessEntry> {
    store
        .access_log_entries(0, 100_000)
        .expect("log")
        .into_iter()
        .map(|(_, entry)| entry)
        .filter(|entry| entry.action == action)
        .collect()
}

fn editor() -> HrEditor {
    HrEditor {
        actor_key: ed25519_dalek::SigningKey::from_bytes(&[0x42; 32]).verifying_key(),
        accessor: operator("hr:rut"),
    }
}

/// Moved from the SQLite store's `registration_index` tests (its query-plan check stays
/// there).
pub(crate) fn a_receipt_code_as_read_out_finds_its_registration(store: &dyn RelayStore) {
    let registrations = ingest_generated_for_tests(store, 40);
    let wanted = registrations
        .iter()
        .find(|r| !r.restricted)
        .expect("an open registration");
    let code = receipt_code_for_tests(&wanted.id);
    let id = wanted.id.to_string();
    assert_eq!(search(store, &code), std::slice::from_ref(&id));
    // Typed in lower case with a space, as heard at the desk.
    assert_eq!(search(store, &code.to_lowercase().replace('-', " ")), [id]);
}

/// Moved from the SQLite store's `registration_index` tests.
pub(crate) fn a_search_shaped_like_a_receipt_that_names_none_matches_parts_as_usual(
    store: &dyn RelayStore,
) {
    ingest_generated_for_tests(store, 10);
    // "Lena-Maja" is shaped like a receipt code (LENA-MAJA) but names none.
    let mut registration = generated(1, 9).remove(0);
    registration.person.given_name = "Lena-Maja".into();
    registration.restricted = false;
    push_registrations(store, std::slice::from_ref(&registration));
    assert_eq!(search(store, "lena-maja"), [registration.id.to_string()]);
    assert!(search(store, "ZZZZ-ZZZZ").is_empty());
}

/// A whole address finds every registration that gives it (in any case), page after page,
/// and never one whose address merely holds it; part of an address still matches parts.
pub(crate) fn a_whole_email_address_finds_each_registration_with_it_on_every_page(
    store: &dyn RelayStore,
) {
    ingest_generated_for_tests(store, 20);
    let mut mine = generated(4, 31);
    for (n, registration) in mine.iter_mut().enumerate() {
        registration.restricted = false;
        registration.person.email = Some(match n {
            0 => "Anna.Berg@Example.se".into(),
            1 | 2 => "anna.berg@example.se".into(),
            _ => "hanna.berg@example.se".into(),
        });
    }
    push_registrations(store, &mine);
    let newest_first = |ids: &[usize]| -> Vec<String> {
        let mut rows: Vec<_> = ids.iter().map(|&n| &mine[n]).collect();
        rows.sort_by_key(|r| std::cmp::Reverse((r.captured_at.millis(), r.id.to_string())));
        rows.iter().map(|r| r.id.to_string()).collect()
    };
    let reader = operator("hr:rut");
    let mut filter = RegistrationFilter {
        search: Some(" ANNA.BERG@example.SE ".into()),
        limit: 2,
        ..RegistrationFilter::default()
    };
    let mut pages = Vec::new();
    loop {
        let page = store
            .list_registrations(&filter, &reader, 0)
            .expect("lists");
        let Some(last) = page.last() else { break };
        filter.after = Some((last.captured_at, last.id.clone()));
        pages.push(page.into_iter().map(|row| row.id).collect::<Vec<_>>());
        assert!(pages.len() < 5, "the pages end");
    }
    let wanted = newest_first(&[0, 1, 2]);
    assert_eq!(pages, [wanted[..2].to_vec(), wanted[2..].to_vec()]);
    // Part of the address: every address holding it.
    let mut parts = search(store, "anna.berg@exam");
    parts.sort();
    let mut all = newest_first(&[0, 1, 2, 3]);
    all.sort();
    assert_eq!(parts, all);
    // An address no registration gives: matched as parts (none here).
    assert!(search(store, "nobody@example.se").is_empty());
}

pub(crate) fn a_list_logs_each_row_it_shows_and_pages_newest_first(store: &dyn RelayStore) {
    let registrations = ingest_generated_for_tests(store, 30);
    let open = registrations.iter().filter(|r| !r.restricted).count();
    assert!(
        open > 10 && open < 30,
        "the generator mixes restricted records in"
    );
    let reader = operator("hr:rut");
    let mut filter = RegistrationFilter {
        limit: 10,
        ..RegistrationFilter::default()
    };
    let mut seen = Vec::new();
    let mut pages = 0;
    loop {
        let page = store
            .list_registrations(&filter, &reader, 77)
            .expect("lists");
        assert!(page.len() <= 10);
        if page.is_empty() {
            break;
        }
        pages += 1;
        assert!(
            page.iter()
                .all(|row| !row.restricted && row.event_id == DEMO_EVENT_ID)
        );
        let last = page.last().expect("a row");
        filter.after = Some((last.captured_at, last.id.clone()));
        seen.extend(page);
    }
    assert_eq!(pages, open.div_ceil(10));
    assert_eq!(seen.len(), open);
    assert!(
        seen.windows(2)
            .all(|w| (w[0].captured_at, &w[0].id) > (w[1].captured_at, &w[1].id)),
        "newest first, no row twice"
    );
    let logged: Vec<String> = log_of(store, AccessAction::List)
        .into_iter()
        .map(|entry| {
            assert_eq!((entry.at, &entry.accessor), (77, &reader));
            entry.doc_id
        })
        .collect();
    let shown: Vec<String> = seen.iter().map(|row| row.id.clone()).collect();
    assert_eq!(logged, shown, "each row shown is logged, once");
    let wanted = &seen[3];
    let registration = registrations
        .iter()
        .find(|r| r.id.to_string() == wanted.id)
        .expect("generated");
    assert_eq!(
        (wanted.given_name.as_str(), wanted.receipt_code.as_str()),
        (
            registration.person.given_name.as_str(),
            receipt_code_for_tests(&registration.id).as_str()
        )
    );
    assert_eq!(wanted.status, "new");
}

pub(crate) fn restricted_records_are_listed_only_when_asked_for(store: &dyn RelayStore) {
    let registrations = ingest_generated_for_tests(store, 30);
    let restricted: Vec<String> = registrations
        .iter()
        .filter(|r| r.restricted)
        .map(|r| r.id.to_string())
        .collect();
    assert!(!restricted.is_empty());
    let all = RegistrationFilter {
        include_restricted: true,
        limit: 100,
        ..RegistrationFilter::default()
    };
    let rows = store
        .list_registrations(&all, &operator("hr:cleared"), 1)
        .expect("lists");
    assert_eq!(rows.len(), 30);
    let mut listed: Vec<String> = rows
        .iter()
        .filter(|row| row.restricted)
        .map(|row| row.id.clone())
        .collect();
    listed.sort();
    let mut expected = restricted.clone();
    expected.sort();
    assert_eq!(listed, expected);
    let other_event = RegistrationFilter {
        events: Some(vec!["other-event".into()]),
        ..all
    };
    assert!(
        store
            .list_registrations(&other_event, &operator("hr:cleared"), 1)
            .expect("lists")
            .is_empty()
    );
}

pub(crate) fn a_read_is_logged_only_when_the_record_exists(store: &dyn RelayStore) {
    let registrations = ingest_generated_for_tests(store, 3);
    let id = registrations[0].id.to_string();
    let reader = operator("hr:rut");
    let read = store
        .read_registration(&id, &reader, 9)
        .expect("reads")
        .expect("held");
    assert_eq!(
        Some(read),
        store.stored_registration(&id).expect("reads"),
        "the record with all its changes"
    );
    assert!(
        store
            .read_registration("no-such-record", &reader, 10)
            .expect("reads")
            .is_none()
    );
    let log = store.access_log_entries(0, 10).expect("log");
    assert_eq!(log.len(), 1);
    assert_eq!(
        log[0].1,
        AccessEntry {
            at: 9,
            accessor: reader,
            action: AccessAction::Read,
            doc_id: id,
        }
    );
}

pub(crate) fn an_export_never_holds_restricted_records_and_logs_each_one(store: &dyn RelayStore) {
    let registrations = ingest_generated_for_tests(store, 25);
    let open = registrations.iter().filter(|r| !r.restricted).count();
    let reader = operator("hr:arvid");
    let mut filter = RegistrationFilter {
        // Asked for, and still left out.
        include_restricted: true,
        limit: 4,
        ..RegistrationFilter::default()
    };
    let mut exported = Vec::new();
    loop {
        let page = store
            .export_registrations(&filter, &reader, 5)
            .expect("exports");
        assert!(page.records.len() <= 4);
        exported.extend(page.records);
        match page.next {
            Some(next) => filter.after = Some(next),
            None => break,
        }
    }
    assert_eq!(exported.len(), open);
    for record in &exported {
        let registration = registrations
            .iter()
            .find(|r| r.id.to_string() == record.id)
            .expect("generated");
        assert!(!registration.restricted, "{} is restricted", record.id);
        assert_eq!(
            record.receipt_code,
            receipt_code_for_tests(&registration.id)
        );
        assert_eq!(
            Some(record.changes.clone()),
            store
                .stored_registration(&record.id)
                .expect("reads")
                .map(|s| s.changes),
            "the whole document"
        );
        assert_eq!(
            record.talent_pool,
            registration.consents.talent_pool.is_some()
        );
    }
    assert!(
        exported
            .windows(2)
            .all(|w| (w[0].captured_at, &w[0].id) > (w[1].captured_at, &w[1].id)),
        "newest first"
    );
    let logged: Vec<String> = log_of(store, AccessAction::Export)
        .into_iter()
        .map(|entry| entry.doc_id)
        .collect();
    let ids: Vec<String> = exported.iter().map(|r| r.id.clone()).collect();
    assert_eq!(logged, ids);
}

pub(crate) fn an_hr_edit_is_pulled_by_staff_logged_and_a_repeat_writes_nothing(
    store: &dyn RelayStore,
) {
    let registrations = ingest_generated_for_tests(store, 5);
    let record = registrations
        .iter()
        .find(|r| !r.restricted)
        .expect("an open record");
    let id = record.id.to_string();
    enroll_staff(store, STAFF_PULLER, DEMO_EVENT_ID);
    let puller = Puller::new(store, STAFF_PULLER, 0);
    let scope = PullScope {
        event_id: DEMO_EVENT_ID.to_owned(),
        ..staff_scope()
    };
    let (before, _) = puller.pull(&scope, 0, 1_000);
    let before_changes = store
        .stored_registration(&id)
        .expect("reads")
        .expect("held");

    let edit = HrEdit::SetStatus(RecordStatus::Contacted);
    let outcome = store
        .apply_hr_edit(&id, &edit, &editor(), 20)
        .expect("applies");
    let HrEditOutcome::Applied {
        annotations,
        changed: true,
    } = outcome
    else {
        panic!("expected a change, got {outcome:?}");
    };
    assert_eq!(annotations.status, RecordStatus::Contacted);
    let after = store
        .stored_registration(&id)
        .expect("reads")
        .expect("held");
    assert!(after.changes.len() > before_changes.changes.len());
    assert!(
        after.changes.starts_with(&before_changes.changes),
        "appended"
    );

    let (page, _) = puller.pull(&scope, before.through_seq, 1_000);
    assert_eq!(
        pulled_ids(&page),
        std::slice::from_ref(&id),
        "staff tablets pull the edit"
    );
    assert!(!page.documents[0].changes.is_empty());

    let again = store
        .apply_hr_edit(&id, &edit, &editor(), 21)
        .expect("applies");
    assert!(
        matches!(again, HrEditOutcome::Applied { changed: false, .. }),
        "{again:?}"
    );
    assert_eq!(
        store.stored_registration(&id).expect("reads"),
        Some(after),
        "nothing written"
    );
    let changes = log_of(store, AccessAction::Change);
    assert_eq!(changes.len(), 1);
    assert_eq!(
        (
            changes[0].doc_id.as_str(),
            &changes[0].accessor,
            changes[0].at
        ),
        (id.as_str(), &editor().accessor, 20)
    );
    let listed = store
        .list_registrations(
            &RegistrationFilter {
                search: Some(receipt_code_for_tests(&record.id)),
                limit: 5,
                ..RegistrationFilter::default()
            },
            &operator("hr:rut"),
            22,
        )
        .expect("lists");
    assert_eq!(
        listed[0].status,
        RecordStatus::Contacted.as_str(),
        "lists show it"
    );
}

pub(crate) fn an_hr_edit_of_a_record_not_held_writes_nothing(store: &dyn RelayStore) {
    let registrations = ingest_generated_for_tests(store, 2);
    let id = registrations[0].id.to_string();
    store
        .remove_registration(&id, "test", &operator("hr"), 3)
        .expect("removes");
    let before = store.access_log_entries(0, 100).expect("log");
    for doc_id in [id.as_str(), "no-such-record"] {
        let outcome = store
            .apply_hr_edit(
                doc_id,
                &HrEdit::SetRating {
                    rater: "rut".into(),
                    score: Some(4),
                },
                &editor(),
                5,
            )
            .expect("answers");
        assert_eq!(outcome, HrEditOutcome::NoRecord);
    }
    assert_eq!(store.access_log_entries(0, 100).expect("log"), before);
    assert!(store.stored_registration(&id).expect("reads").is_none());
}

pub(crate) fn restricted_registrations_come_uncontacted_first_and_are_logged(
    store: &dyn RelayStore,
) {
    let registrations = ingest_generated_for_tests(store, 40);
    let restricted: Vec<&kiosk_core::registration::Registration> =
        registrations.iter().filter(|r| r.restricted).collect();
    assert!(
        restricted.len() >= 2,
        "the generator makes restricted records"
    );
    let contacted = restricted[0].id.to_string();
    store
        .apply_hr_edit(
            &contacted,
            &HrEdit::SetStatus(RecordStatus::Contacted),
            &editor(),
            5,
        )
        .expect("applies");
    let reader = operator("hr:cleared");
    let inbox = store
        .restricted_registrations(None, &reader, 9, 100)
        .expect("lists");
    let ids: Vec<String> = inbox.iter().map(|row| row.id.clone()).collect();
    let mut expected: Vec<&kiosk_core::registration::Registration> = restricted[1..].to_vec();
    expected.sort_by_key(|r| (r.captured_at, r.id.to_string()));
    let mut expected: Vec<String> = expected.iter().map(|r| r.id.to_string()).collect();
    expected.push(contacted.clone());
    assert_eq!(ids, expected, "uncontacted first, oldest first");
    assert!(inbox.iter().all(|row| row.restricted));
    let logged: Vec<String> = log_of(store, AccessAction::List)
        .into_iter()
        .map(|entry| entry.doc_id)
        .collect();
    assert_eq!(logged, ids);

    let events = [DEMO_EVENT_ID.to_owned()];
    let limited = store
        .restricted_registrations(Some(&events), &reader, 10, 1)
        .expect("lists");
    assert_eq!(limited.len(), 1);
    assert!(
        store
            .restricted_registrations(Some(&[]), &reader, 11, 100)
            .expect("lists")
            .is_empty()
    );
    assert!(
        store
            .restricted_registrations(Some(&["other-event".to_owned()]), &reader, 12, 100)
            .expect("lists")
            .is_empty()
    );
}

pub(crate) fn each_list_filter_narrows_to_the_rows_it_names(store: &dyn RelayStore) {
    let registrations = ingest_generated_for_tests(store, 40);
    let reader = operator("hr:rut");
    let list = |filter: RegistrationFilter| -> Vec<String> {
        store
            .list_registrations(
                &RegistrationFilter {
                    limit: 1_000,
                    ..filter
                },
                &reader,
                1,
            )
            .expect("lists")
            .into_iter()
            .map(|row| row.id)
            .collect()
    };
    let all = store
        .list_registrations(
            &RegistrationFilter {
                limit: 1_000,
                ..RegistrationFilter::default()
            },
            &reader,
            1,
        )
        .expect("lists");
    let expect = |keep: &dyn Fn(&crate::storage::RegistrationSummary) -> bool| -> Vec<String> {
        all.iter()
            .filter(|row| keep(row))
            .map(|row| row.id.clone())
            .collect()
    };

    let contacted = all[5].id.clone();
    store
        .apply_hr_edit(
            &contacted,
            &HrEdit::SetStatus(RecordStatus::Contacted),
            &editor(),
            2,
        )
        .expect("applies");
    let by_status = list(RegistrationFilter {
        status: Some(RecordStatus::Contacted.as_str().into()),
        ..RegistrationFilter::default()
    });
    assert_eq!(by_status, std::slice::from_ref(&contacted));

    let in_pool = list(RegistrationFilter {
        talent_pool: Some(true),
        ..RegistrationFilter::default()
    });
    let opted_in = registrations
        .iter()
        .filter(|r| !r.restricted && r.consents.talent_pool.is_some())
        .count();
    assert_eq!(in_pool, expect(&|row| row.talent_pool));
    assert_eq!(in_pool.len(), opted_in);
    let out_of_pool = list(RegistrationFilter {
        talent_pool: Some(false),
        ..RegistrationFilter::default()
    });
    assert_eq!(out_of_pool, expect(&|row| !row.talent_pool));

    let middle = all[all.len() / 2].captured_at;
    let late = all[all.len() / 4].captured_at;
    let window = list(RegistrationFilter {
        captured_from: Some(middle),
        captured_before: Some(late),
        ..RegistrationFilter::default()
    });
    assert!(!window.is_empty());
    assert_eq!(
        window,
        expect(&|row| row.captured_at >= middle && row.captured_at < late)
    );

    let interest = all
        .iter()
        .find_map(|row| row.interests.first().cloned())
        .expect("visitors name interests");
    let by_interest = list(RegistrationFilter {
        interest: Some(interest.clone()),
        ..RegistrationFilter::default()
    });
    assert!(!by_interest.is_empty());
    assert_eq!(
        by_interest,
        expect(&|row| row.interests.contains(&interest))
    );
    let location = all
        .iter()
        .find_map(|row| row.locations.first().cloned())
        .expect("visitors name locations");
    let by_location = list(RegistrationFilter {
        location: Some(location.clone()),
        ..RegistrationFilter::default()
    });
    assert!(!by_location.is_empty());
    assert_eq!(
        by_location,
        expect(&|row| row.locations.contains(&location))
    );

    let this_event = list(RegistrationFilter {
        events: Some(vec![DEMO_EVENT_ID.into(), "other-event".into()]),
        ..RegistrationFilter::default()
    });
    assert_eq!(this_event.len(), all.len());
}

/// The total a list shows is the number of rows its pages hold, and the pages (skipped to
/// by offset or continued by key) hold each row once, in either order; the keys of a page
/// are its rows'.
pub(crate) fn a_count_and_pages_in_either_order_hold_each_row_once(store: &dyn RelayStore) {
    ingest_generated_for_tests(store, 30);
    let reader = operator("hr:rut");
    let list = |filter: &RegistrationFilter| -> Vec<String> {
        store
            .list_registrations(filter, &reader, 1)
            .expect("lists")
            .into_iter()
            .map(|row| row.id)
            .collect()
    };
    let everything = RegistrationFilter {
        limit: 1_000,
        ..RegistrationFilter::default()
    };
    let newest_first = list(&everything);
    assert!(newest_first.len() > 10, "open rows: {}", newest_first.len());
    assert_eq!(
        store.count_registrations(&everything).expect("counts"),
        newest_first.len() as u64
    );
    let mut oldest_first = newest_first.clone();
    oldest_first.reverse();
    for (order, expected) in [
        (ListOrder::NewestFirst, &newest_first),
        (ListOrder::OldestFirst, &oldest_first),
    ] {
        assert_eq!(
            &list(&RegistrationFilter {
                order,
                ..everything.clone()
            }),
            expected,
            "{order:?}"
        );
        // Page N by offset, and the same pages continued by key: each row once, in order.
        let mut by_offset = Vec::new();
        let mut by_key = Vec::new();
        let mut after = None;
        for page in 0..expected.len().div_ceil(7) {
            let filter = RegistrationFilter {
                order,
                limit: 7,
                offset: (page * 7) as u32,
                // A page skipped to keeps the count of the whole list.
                after: None,
                ..RegistrationFilter::default()
            };
            assert_eq!(
                store.count_registrations(&filter).expect("counts"),
                expected.len() as u64
            );
            let rows = list(&filter);
            let keys = store.registration_keys(&filter).expect("keys");
            assert_eq!(
                keys.iter().map(|(_, id)| id.clone()).collect::<Vec<_>>(),
                rows,
                "a page's keys are its rows'"
            );
            by_offset.extend(rows);
            let continued = list(&RegistrationFilter {
                order,
                limit: 7,
                after: after.clone(),
                ..RegistrationFilter::default()
            });
            after = keys.last().cloned();
            by_key.extend(continued);
        }
        assert_eq!(&by_offset, expected, "{order:?} by offset");
        assert_eq!(&by_key, expected, "{order:?} by key");
    }
    // A narrowed list counts only its own rows; a list of no event counts none.
    let hired = newest_first[2].clone();
    store
        .apply_hr_edit(
            &hired,
            &HrEdit::SetStatus(RecordStatus::Hired),
            &editor(),
            2,
        )
        .expect("applies");
    let by_status = RegistrationFilter {
        status: Some(RecordStatus::Hired.as_str().into()),
        limit: 1,
        ..RegistrationFilter::default()
    };
    assert_eq!(store.count_registrations(&by_status).expect("counts"), 1);
    let no_event = RegistrationFilter {
        events: Some(Vec::new()),
        limit: 1,
        ..RegistrationFilter::default()
    };
    assert_eq!(store.count_registrations(&no_event).expect("counts"), 0);
    assert!(store.registration_keys(&no_event).expect("keys").is_empty());
}

/// A phone number typed as people say it (`070-123 45 67`, `0701234567`, `+46 70 123 45
/// 67`, `46701234567`) finds the record that holds it in E.164 (`+46701234567`), in the
/// list and in its count.
pub(crate) fn a_phone_number_typed_as_said_finds_its_record(store: &dyn RelayStore) {
    let registrations = ingest_generated_for_tests(store, 40);
    let wanted = registrations
        .iter()
        .find(|r| {
            !r.restricted
                && r.person
                    .phone
                    .as_deref()
                    .is_some_and(|p| p.starts_with("+467") && p.len() == 12)
        })
        .expect("an open registration with a Swedish mobile number");
    let id = wanted.id.to_string();
    let phone = wanted.person.phone.as_deref().expect("a phone");
    let n = &phone[3..];
    for typed in [
        format!("0{}-{} {} {}", &n[..2], &n[2..5], &n[5..7], &n[7..]),
        format!("0{n}"),
        format!("+46 {} {} {} {}", &n[..2], &n[2..5], &n[5..7], &n[7..]),
        format!("46{n}"),
        format!("{} {}", &n[2..5], &n[5..7]),
    ] {
        assert!(search(store, &typed).contains(&id), "{typed:?}");
        let filter = RegistrationFilter {
            search: Some(typed.clone()),
            limit: 50,
            ..RegistrationFilter::default()
        };
        assert!(
            store.count_registrations(&filter).expect("counts") >= 1,
            "{typed:?}"
        );
    }
}

/// The capture signature is checked at read time against what the store holds: the store
/// answers the capturing tablet, the capture's own changes, their hashes and the signature
/// exactly as ingest stored them, and nothing once the record is removed.
pub(crate) fn a_records_capture_evidence_is_what_ingest_stored_until_removal(
    store: &dyn RelayStore,
) {
    let kiosk = enroll(store, 1)[0];
    let outcome = store.ingest(&batch(&kiosk, 1, 1..=1));
    assert_committed(&outcome, &kiosk, 1..=1);
    let id = doc_id(&kiosk, 1);
    let evidence = store.capture_evidence(&id).expect("reads").expect("held");
    assert_eq!(
        evidence,
        crate::storage::CaptureEvidence {
            device_key: kiosk.to_vec(),
            document: document(&kiosk, 1),
            change_hashes: hashes(&kiosk, 1).concat(),
            capture_signature: vec![7; 64],
            // The issue time of the certificate the tablet held, read from its row.
            certified_at: Some(0),
        }
    );
    assert_eq!(
        store.capture_evidence("no-such-record").expect("reads"),
        None
    );
    store
        .remove_registration(&id, "test", &operator("hr"), 3)
        .expect("removes");
    assert_eq!(store.capture_evidence(&id).expect("reads"), None);
}
