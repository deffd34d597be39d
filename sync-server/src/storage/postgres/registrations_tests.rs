//! The PostgreSQL [`RegistrationStore`]: what the store suite's `registrations` concern
//! checks, on records stored by a test-only insert (the PostgreSQL ingest is ported
//! elsewhere; [`seed`] writes the rows a stored capture leaves), plus what only this backend
//! can show: its plans read lists by key, a removal racing a read's log is waited for, and
//! two instances logging reads at once keep one chain.

use std::sync::mpsc;
use std::time::{Duration, Instant};

use kiosk_core::annotations::RecordStatus;
use kiosk_core::demo::DEMO_EVENT_ID;
use kiosk_core::registration::Registration;

use super::PgStore;
use super::ingest::{NewCapture, insert_capture};
use super::registration_index::{Explained, explain_list};
use super::rows::signed;
use super::test_cluster::fresh_database_url;
use crate::rules::access_chain::{ChainWalk, EntryFields, GENESIS};
use crate::storage::StorageError;
use crate::storage::model::{AccessAction, Accessor, HrEdit, HrEditOutcome, HrEditor};
use crate::storage::suite::fixtures::{generated, operator, visitor_kiosk};
use crate::storage::traits::RegistrationStore;
use crate::storage::{IngestItem, RegistrationFilter, capture_for_tests, receipt_code_for_tests};

fn connect(url: &str) -> postgres::Client {
    postgres::Client::connect(url, postgres::NoTls).expect("connects")
}

/// Stores `registrations` as one numbered commit of captures by [`visitor_kiosk`], writing
/// what the ingest of a capture writes: its record, its changes, its index row.
fn seed(store: &PgStore, registrations: &[Registration]) {
    let key = visitor_kiosk();
    store
        .write_numbered(|tx, seq| {
            let seq = signed(seq, "commit")?;
            for registration in registrations {
                let IngestItem::Store {
                    doc_id,
                    event_id,
                    document,
                    change_hashes,
                    capture_signature,
                    receipt_code,
                    restricted,
                    listing,
                    ..
                } = capture_for_tests(registration, &key)
                else {
                    unreachable!("a capture");
                };
                let capture = NewCapture {
                    doc_id: &doc_id,
                    event_id: &event_id,
                    device_key: key.as_bytes().as_slice(),
                    document: &document,
                    change_hashes: &change_hashes,
                    capture_signature: &capture_signature,
                    receipt_code: &receipt_code,
                    receipt_tag: None,
                    restricted,
                    received_at: 0,
                    certified_at: None,
                    listing: Some(Some(*listing.expect("a listing"))),
                };
                insert_capture(tx, &capture, seq, store.email_tags())?;
            }
            Ok(())
        })
        .expect("seeded");
}

/// A store with `count` generated registrations of the demo event (some restricted).
fn seeded(count: usize) -> (PgStore, String, Vec<Registration>) {
    let url = fresh_database_url();
    let store = PgStore::open(&url).expect("opens");
    let registrations = generated(count, 5);
    seed(&store, &registrations);
    (store, url, registrations)
}

/// Erases `doc_id` as a removal does (its record, changes and index row go; a removal
/// record stays), in `client`'s open transaction.
fn erase(client: &mut impl postgres::GenericClient, doc_id: &str) {
    for table in ["registration_changes", "registration_index"] {
        client
            .execute(
                &format!("DELETE FROM {table} WHERE doc_id = $1"),
                &[&doc_id],
            )
            .expect("erases");
    }
    client
        .execute(
            "INSERT INTO removals (doc_id, event_id, device_key, restricted, removed_at,
                                   commit_seq, reason)
             SELECT doc_id, event_id, device_key, restricted, 0, 0, 'test'
             FROM registrations WHERE doc_id = $1",
            &[&doc_id],
        )
        .expect("records the removal");
    client
        .execute("DELETE FROM registrations WHERE doc_id = $1", &[&doc_id])
        .expect("erases");
}

/// The access log as stored: (seq, at, actor, action, doc_id), in order, after checking
/// every number, link and hash of the chain.
fn access_log(url: &str) -> Vec<(i64, i64, String, String, String)> {
    let rows = connect(url)
        .query(
            "SELECT seq, at, actor_kind, actor, recruiter, action, doc_id, previous, hash
             FROM access_log ORDER BY seq",
            &[],
        )
        .expect("reads the log");
    let mut walk = ChainWalk::from(0, GENESIS);
    let mut entries = Vec::new();
    for row in rows {
        let seq: i64 = row.get(0);
        let (at, kind, actor): (i64, String, String) = (row.get(1), row.get(2), row.get(3));
        let recruiter: Option<String> = row.get(4);
        let (action, doc_id): (String, String) = (row.get(5), row.get(6));
        let (previous, hash): (Vec<u8>, Vec<u8>) = (row.get(7), row.get(8));
        walk.next(
            &EntryFields {
                seq: seq as u64,
                at,
                actor_kind: &kind,
                actor: &actor,
                recruiter: recruiter.as_deref(),
                action: &action,
                doc_id: &doc_id,
            },
            &previous,
            &hash,
        );
        entries.push((seq, at, actor, action, doc_id));
    }
    let verdict = walk.verdict();
    assert_eq!(verdict.broken_at, None, "the access log verifies");
    assert_eq!(verdict.entries, entries.len() as u64);
    entries
}

fn logged(url: &str, action: AccessAction) -> Vec<String> {
    access_log(url)
        .into_iter()
        .filter(|entry| entry.3 == action.as_str())
        .map(|entry| entry.4)
        .collect()
}

fn ids(rows: &[crate::storage::RegistrationSummary]) -> Vec<String> {
    rows.iter().map(|row| row.id.clone()).collect()
}

fn editor() -> HrEditor {
    HrEditor {
        actor_key: ed25519_dalek::SigningKey::from_bytes(&[0x42; 32]).verifying_key(),
        accessor: operator("hr:rut"),
    }
}

fn filter(limit: u32) -> RegistrationFilter {
    RegistrationFilter {
        limit,
        ..RegistrationFilter::default()
    }
}

fn search(store: &PgStore, text: &str) -> Vec<String> {
    let filter = RegistrationFilter {
        search: Some(text.to_owned()),
        ..filter(50)
    };
    ids(&store
        .list_registrations(&filter, &operator("test"), 0)
        .expect("lists"))
}

#[test]
fn a_list_pages_newest_first_by_key_showing_open_records_and_logs_each_row_once() {
    let (store, url, registrations) = seeded(30);
    let open = registrations.iter().filter(|r| !r.restricted).count();
    assert!(open > 10 && open < 30, "the generator mixes restricted in");
    let reader = operator("hr:rut");
    let mut page_filter = filter(10);
    let mut seen = Vec::new();
    let mut pages = 0;
    loop {
        let page = store
            .list_registrations(&page_filter, &reader, 77)
            .expect("lists");
        if page.is_empty() {
            break;
        }
        assert!(page.len() <= 10);
        pages += 1;
        assert!(page.iter().all(|row| !row.restricted));
        let last = page.last().expect("a row");
        page_filter.after = Some((last.captured_at, last.id.clone()));
        seen.extend(page);
    }
    assert_eq!((pages, seen.len()), (open.div_ceil(10), open));
    assert!(
        seen.windows(2)
            .all(|w| (w[0].captured_at, &w[0].id) > (w[1].captured_at, &w[1].id)),
        "newest first, no row twice"
    );
    let log = access_log(&url);
    assert!(log.iter().all(
        |(_, at, actor, action, _)| (*at, actor.as_str(), action.as_str())
            == (77, "hr:rut", "list")
    ));
    assert_eq!(logged(&url, AccessAction::List), ids(&seen));
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

#[test]
fn restricted_records_are_listed_only_when_asked_for_and_only_for_their_event() {
    let (store, _url, registrations) = seeded(30);
    let mut restricted: Vec<String> = registrations
        .iter()
        .filter(|r| r.restricted)
        .map(|r| r.id.to_string())
        .collect();
    restricted.sort();
    let all = RegistrationFilter {
        include_restricted: true,
        ..filter(100)
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
    assert_eq!(listed, restricted);
    for events in [vec!["other-event".to_owned()], vec![]] {
        let none = RegistrationFilter {
            events: Some(events),
            ..all.clone()
        };
        assert!(
            store
                .list_registrations(&none, &operator("hr:cleared"), 1)
                .expect("lists")
                .is_empty()
        );
    }
}

#[test]
fn a_read_answers_the_record_with_all_its_changes_and_is_logged_only_when_it_exists() {
    let (store, url, registrations) = seeded(3);
    let id = registrations[0].id.to_string();
    let read = store
        .read_registration(&id, &operator("hr:rut"), 9)
        .expect("reads")
        .expect("held");
    assert_eq!(
        Some(read.clone()),
        store.stored_registration(&id).expect("reads")
    );
    assert_eq!(
        store.registration_document(&id).expect("reads"),
        Some(read.changes),
        "a capture's changes are its document until edited"
    );
    assert_eq!(
        store.receipt_code(&id).expect("reads"),
        Some(receipt_code_for_tests(&registrations[0].id))
    );
    assert!(
        store
            .read_registration("no-such-record", &operator("hr:rut"), 10)
            .expect("reads")
            .is_none()
    );
    assert_eq!(
        access_log(&url),
        [(1, 9, "hr:rut".to_owned(), "read".to_owned(), id)]
    );
}

#[test]
fn an_export_pages_only_open_records_whole_newest_first_and_logs_each() {
    let (store, url, registrations) = seeded(25);
    let open = registrations.iter().filter(|r| !r.restricted).count();
    // Edited records too: an export carries every change after the capture.
    let edited: Vec<String> = registrations
        .iter()
        .filter(|r| !r.restricted)
        .take(2)
        .map(|r| r.id.to_string())
        .collect();
    for id in &edited {
        store
            .apply_hr_edit(
                id,
                &HrEdit::SetStatus(RecordStatus::Contacted),
                &editor(),
                4,
            )
            .expect("applies");
    }
    let mut page_filter = RegistrationFilter {
        // Asked for, and still left out.
        include_restricted: true,
        ..filter(4)
    };
    let mut exported = Vec::new();
    loop {
        let page = store
            .export_registrations(&page_filter, &operator("hr:arvid"), 5)
            .expect("exports");
        assert!(page.records.len() <= 4);
        exported.extend(page.records);
        match page.next {
            Some(next) => page_filter.after = Some(next),
            None => break,
        }
    }
    assert_eq!(exported.len(), open);
    for id in &edited {
        let record = exported.iter().find(|r| &r.id == id).expect("exported");
        let capture = store
            .registration_document(id)
            .expect("reads")
            .expect("held");
        assert!(
            record.changes.len() > capture.len() && record.changes.starts_with(&capture),
            "the capture and the edit after it"
        );
    }
    for record in &exported {
        let registration = registrations
            .iter()
            .find(|r| r.id.to_string() == record.id)
            .expect("generated");
        assert!(!registration.restricted);
        assert_eq!(
            record.receipt_code,
            receipt_code_for_tests(&registration.id)
        );
        assert_eq!(
            Some(record.changes.clone()),
            store
                .stored_registration(&record.id)
                .expect("reads")
                .map(|s| s.changes)
        );
        assert_eq!(
            record.talent_pool,
            registration.consents.talent_pool.is_some()
        );
    }
    assert!(
        exported
            .windows(2)
            .all(|w| (w[0].captured_at, &w[0].id) > (w[1].captured_at, &w[1].id))
    );
    let exported: Vec<String> = exported.into_iter().map(|r| r.id).collect();
    assert_eq!(logged(&url, AccessAction::Export), exported);
}

#[test]
fn an_hr_edit_is_stored_under_the_next_commit_number_logged_listed_and_a_repeat_writes_nothing() {
    let (store, url, registrations) = seeded(5);
    let record = registrations
        .iter()
        .find(|r| !r.restricted)
        .expect("an open record");
    let id = record.id.to_string();
    let before = store
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
    assert!(after.changes.len() > before.changes.len());
    assert!(after.changes.starts_with(&before.changes), "appended");
    // The change is numbered by the sequencer: past the seed's commit, and the newest.
    let mut client = connect(&url);
    let (numbered, newest): (i64, i64) = {
        let row = client
            .query_one(
                "SELECT c.commit_seq, s.commit_seq FROM registration_changes c, relay_state s
                 WHERE c.doc_id = $1 AND c.change IS NOT NULL",
                &[&id],
            )
            .expect("one stored edit");
        (row.get(0), row.get(1))
    };
    assert_eq!((numbered, newest), (2, 2));
    let actor: Vec<u8> = client
        .query_one(
            "SELECT actor FROM registration_changes WHERE doc_id = $1 AND change IS NOT NULL",
            &[&id],
        )
        .expect("the edit")
        .get(0);
    assert_eq!(actor, editor().actor_key.as_bytes());

    let again = store
        .apply_hr_edit(&id, &edit, &editor(), 21)
        .expect("applies");
    assert!(
        matches!(again, HrEditOutcome::Applied { changed: false, .. }),
        "{again:?}"
    );
    assert_eq!(store.stored_registration(&id).expect("reads"), Some(after));
    assert_eq!(
        access_log(&url),
        [(1, 20, "hr:rut".to_owned(), "change".to_owned(), id.clone())]
    );
    let listed = store
        .list_registrations(
            &RegistrationFilter {
                search: Some(receipt_code_for_tests(&record.id)),
                ..filter(5)
            },
            &operator("hr:rut"),
            22,
        )
        .expect("lists");
    assert_eq!(ids(&listed), [id]);
    assert_eq!(listed[0].status, RecordStatus::Contacted.as_str());
}

#[test]
fn an_hr_edit_of_a_removed_or_unknown_record_writes_nothing() {
    let (store, url, registrations) = seeded(2);
    let id = registrations[0].id.to_string();
    erase(&mut connect(&url), &id);
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
    assert!(access_log(&url).is_empty());
    let changes: i64 = connect(&url)
        .query_one(
            "SELECT count(*) FROM registration_changes WHERE doc_id = $1",
            &[&id],
        )
        .expect("counts")
        .get(0);
    assert_eq!(changes, 0);
    assert!(store.stored_registration(&id).expect("reads").is_none());
}

#[test]
fn the_restricted_inbox_comes_uncontacted_first_oldest_first_and_logs_each_row() {
    let (store, url, registrations) = seeded(40);
    let restricted: Vec<&Registration> = registrations.iter().filter(|r| r.restricted).collect();
    assert!(restricted.len() >= 2);
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
    let mut expected: Vec<&Registration> = restricted[1..].to_vec();
    expected.sort_by_key(|r| (r.captured_at, r.id.to_string()));
    let mut expected: Vec<String> = expected.iter().map(|r| r.id.to_string()).collect();
    expected.push(contacted);
    assert_eq!(ids(&inbox), expected, "uncontacted first, oldest first");
    assert!(inbox.iter().all(|row| row.restricted));
    assert_eq!(logged(&url, AccessAction::List), expected);

    let events = [DEMO_EVENT_ID.to_owned()];
    let limited = store
        .restricted_registrations(Some(&events), &reader, 10, 1)
        .expect("lists");
    assert_eq!(ids(&limited), &expected[..1]);
    for events in [&[][..], &["other-event".to_owned()][..]] {
        assert!(
            store
                .restricted_registrations(Some(events), &reader, 11, 100)
                .expect("lists")
                .is_empty()
        );
    }
}

#[test]
fn restricted_requests_come_newest_first_with_the_records_they_matched() {
    let url = fresh_database_url();
    let store = PgStore::open(&url).expect("opens");
    let mut client = connect(&url);
    for (at, ids) in [(1_i64, "a,b"), (2, "c")] {
        client
            .execute(
                "INSERT INTO restricted_requests (at, kind, requested_by, doc_ids)
                 VALUES ($1, 'disclosure', 'hr:arvid', $2)",
                &[&at, &ids],
            )
            .expect("routes");
    }
    let requests = store.restricted_requests(10).expect("reads");
    let seen: Vec<(i64, Vec<String>)> =
        requests.iter().map(|r| (r.at, r.doc_ids.clone())).collect();
    assert_eq!(
        seen,
        [
            (2, vec!["c".to_owned()]),
            (1, vec!["a".to_owned(), "b".to_owned()])
        ]
    );
    assert_eq!(store.restricted_requests(1).expect("reads").len(), 1);
}

#[test]
fn each_list_filter_and_search_narrows_to_the_rows_it_names() {
    let (store, _url, registrations) = seeded(40);
    let reader = operator("hr:rut");
    let list = |f: RegistrationFilter| -> Vec<String> {
        ids(&store
            .list_registrations(&RegistrationFilter { limit: 1_000, ..f }, &reader, 1)
            .expect("lists"))
    };
    let all = store
        .list_registrations(&filter(1_000), &reader, 1)
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
    assert_eq!(
        list(RegistrationFilter {
            status: Some(RecordStatus::Contacted.as_str().into()),
            ..RegistrationFilter::default()
        }),
        std::slice::from_ref(&contacted)
    );
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
    assert_eq!(
        list(RegistrationFilter {
            talent_pool: Some(false),
            ..RegistrationFilter::default()
        }),
        expect(&|row| !row.talent_pool)
    );
    let (middle, late) = (
        all[all.len() / 2].captured_at,
        all[all.len() / 4].captured_at,
    );
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
    assert_eq!(
        list(RegistrationFilter {
            events: Some(vec![DEMO_EVENT_ID.into(), "other-event".into()]),
            ..RegistrationFilter::default()
        })
        .len(),
        all.len()
    );

    // A receipt code as read out at the desk, in any case, with a space for the dash.
    let wanted = registrations.iter().find(|r| !r.restricted).expect("open");
    let code = receipt_code_for_tests(&wanted.id);
    assert_eq!(search(&store, &code), [wanted.id.to_string()]);
    assert_eq!(
        search(&store, &code.to_lowercase().replace('-', " ")),
        [wanted.id.to_string()]
    );
    // Shaped like a receipt code but naming none: parts match as usual.
    let mut hyphenated = generated(1, 9).remove(0);
    hyphenated.person.given_name = "Lena-Maja".into();
    hyphenated.restricted = false;
    seed(&store, std::slice::from_ref(&hyphenated));
    assert_eq!(search(&store, "lena-maja"), [hyphenated.id.to_string()]);
    assert!(search(&store, "ZZZZ-ZZZZ").is_empty());
}

/// Waits (boundedly) until some other session of `url`'s database waits for a lock.
fn wait_for_a_lock_wait(url: &str) {
    let mut client = connect(url);
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let waiting: i64 = client
            .query_one(
                "SELECT count(*) FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
                 WHERE NOT l.granted AND a.datname = current_database()",
                &[],
            )
            .expect("reads locks")
            .get(0);
        if waiting > 0 {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "no read came to wait for the removal"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
}

#[test]
fn a_record_removed_while_its_read_is_logged_is_answered_as_removed_and_not_logged() {
    let (store, url, registrations) = seeded(3);
    let id = registrations[0].id.to_string();
    // A removal under way: the record erased, not yet committed.
    let mut remover = connect(&url);
    let mut removal = remover.transaction().expect("begins");
    erase(&mut removal, &id);
    let store = std::sync::Arc::new(store);
    let (done, answer) = mpsc::channel();
    let reader = std::sync::Arc::clone(&store);
    let read_id = id.clone();
    std::thread::spawn(move || {
        let _ = done.send(reader.read_registration(&read_id, &operator("hr:rut"), 9));
    });
    // The read's snapshot still holds the record; its log waits for the removal.
    wait_for_a_lock_wait(&url);
    removal.commit().expect("removes");
    let read = answer
        .recv_timeout(Duration::from_secs(30))
        .expect("answers")
        .expect("reads");
    assert_eq!(read, None, "removed before its read was logged");
    assert!(access_log(&url).is_empty(), "nothing read, nothing logged");
}

#[test]
fn a_list_drops_a_row_removed_while_it_is_logged_and_fills_the_page_from_the_rows_after() {
    let (store, url, _) = seeded(30);
    let reader = operator("hr:rut");
    let open = store
        .list_registrations(&filter(100), &reader, 1)
        .expect("lists");
    let first = open[1].id.clone();
    let mut remover = connect(&url);
    let mut removal = remover.transaction().expect("begins");
    erase(&mut removal, &first);
    let store = std::sync::Arc::new(store);
    let (done, answer) = mpsc::channel();
    let lister = std::sync::Arc::clone(&store);
    std::thread::spawn(move || {
        let _ = done.send(lister.list_registrations(&filter(5), &operator("hr:rut"), 2));
    });
    wait_for_a_lock_wait(&url);
    removal.commit().expect("removes");
    let page = answer
        .recv_timeout(Duration::from_secs(30))
        .expect("answers")
        .expect("lists");
    let mut expected = ids(&open[..6]);
    expected.remove(1);
    assert_eq!(ids(&page), expected, "a full page, without the removed row");
    let listed_now: Vec<String> = access_log(&url)
        .into_iter()
        .filter(|entry| entry.1 == 2)
        .map(|entry| entry.4)
        .collect();
    assert_eq!(listed_now, expected, "the removed row is not logged");
}

#[test]
fn two_instances_logging_reads_at_once_keep_one_verifiable_chain() {
    let (first, url, registrations) = seeded(12);
    let second = PgStore::open(&url).expect("a second instance");
    let ids: Vec<String> = registrations.iter().map(|r| r.id.to_string()).collect();
    const ROUNDS: usize = 20;
    std::thread::scope(|scope| {
        for (n, store) in [&first, &second, &first, &second].into_iter().enumerate() {
            let ids = &ids;
            scope.spawn(move || {
                let reader = operator(&format!("hr:{n}"));
                for round in 0..ROUNDS {
                    let id = &ids[(n + round) % ids.len()];
                    store.read_registration(id, &reader, 1).expect("reads");
                    store
                        .list_registrations(&filter(3), &reader, 2)
                        .expect("lists");
                }
            });
        }
    });
    // Every read and every listed row is in the one chain (`access_log` verifies it).
    let log = access_log(&url);
    let reads = log.iter().filter(|entry| entry.3 == "read").count();
    let lists = log.iter().filter(|entry| entry.3 == "list").count();
    assert_eq!((reads, lists), (4 * ROUNDS, 4 * ROUNDS * 3));
}

#[test]
fn hr_lists_read_the_covering_indexes_by_key_without_sorting_the_table() {
    let (store, url, _) = seeded(3);
    // A few thousand rows beside the seeded ones, ten events, then fresh statistics.
    let mut client = connect(&url);
    client
        .batch_execute(
            "INSERT INTO registration_index (doc_id, event_id, captured_at, restricted,
                 talent_pool, status, interests, locations, receipt_code, given_name,
                 family_name, search, email_tag)
             SELECT 'r' || lpad(n::text, 6, '0'), 'event-' || (n % 10), n, n % 10 = 0,
                    n % 3 = 0, 'new', ',law,', ',sthlm,', 'RC' || n, 'A'::bytea, 'B'::bytea,
                    convert_to('a b ' || n, 'UTF8'), sha256(convert_to('tag' || n, 'UTF8'))
             FROM generate_series(1, 5000) AS n;",
        )
        .expect("fills the index");
    // As autovacuum leaves a table: its visibility map set, its statistics fresh.
    client
        .batch_execute("VACUUM ANALYZE registration_index")
        .expect("vacuums");
    drop(store);
    let mut plan = |f: RegistrationFilter, how: Explained| -> String {
        explain_list(&mut client, &f, how).expect("explains")
    };
    // A page's keys come from a covering index in list order (no sort, no table scan),
    // its rows by primary key.
    let by_key = |plan: &str, index: &str| {
        assert!(
            plan.contains(&format!("Index Only Scan using {index}"))
                && plan.contains("Index Scan using registration_index_pkey")
                && !plan.contains("Sort")
                && !plan.contains("Seq Scan"),
            "{plan}"
        );
    };
    by_key(
        &plan(filter(50), Explained::Parts),
        "registration_index_list_by_time",
    );
    let later = plan(
        RegistrationFilter {
            after: Some((2_500, "r002500".into())),
            ..filter(50)
        },
        Explained::Parts,
    );
    by_key(&later, "registration_index_list_by_time");
    assert!(
        later
            .lines()
            .any(|line| line.contains("Index Cond")
                && line.contains("ROW(captured_at, doc_id) < ROW(")),
        "a later page starts at its key: {later}"
    );
    let one_event = plan(
        RegistrationFilter {
            events: Some(vec!["event-1".into()]),
            after: Some((2_500, "r002500".into())),
            ..filter(50)
        },
        Explained::Parts,
    );
    by_key(&one_event, "registration_index_list_by_event");
    let searched = plan(
        RegistrationFilter {
            search: Some("a b 12".into()),
            status: Some("new".into()),
            talent_pool: Some(true),
            ..filter(50)
        },
        Explained::Parts,
    );
    // A search's candidates come from the covering index in list order too, each with its
    // record's key by primary key (their names are matched in the relay).
    assert!(
        searched.contains("Index Only Scan using registration_index_list_by_time")
            && searched.contains("record_keys_pkey")
            && !searched.contains("Sort")
            && !searched.contains("Seq Scan"),
        "{searched}"
    );
    let receipt = plan(
        RegistrationFilter {
            search: Some("RC77".into()),
            ..filter(50)
        },
        Explained::Receipt,
    );
    assert!(
        receipt.contains("registration_index_by_receipt"),
        "{receipt}"
    );
    // A rare status: its rows from the status index in list order, not a walk past every
    // row of another status.
    let shortlisted = plan(
        RegistrationFilter {
            status: Some("shortlisted".into()),
            ..filter(50)
        },
        Explained::Parts,
    );
    by_key(&shortlisted, "registration_index_list_by_status");
    // A whole address: its rows by its tag, in list order from the tags' index.
    let tag = <sha2::Sha256 as sha2::Digest>::digest(b"tag77").to_vec();
    let address = plan(
        RegistrationFilter {
            search: Some("anna@example.se".into()),
            ..filter(50)
        },
        Explained::EmailTag(tag),
    );
    assert!(
        address.contains("registration_index_by_email_tag")
            && !address.contains("Sort")
            && !address.contains("Seq Scan"),
        "{address}"
    );
    let inbox = super::restricted_inbox::explain(&mut client, 50).expect("explains");
    assert!(
        inbox.contains("registration_index_restricted") && !inbox.contains("Sort"),
        "{inbox}"
    );
}

#[test]
fn list_entries_name_the_reader_as_the_log_names_it() {
    // A device reader (a staff tablet's recruiter) is stored as the log stores devices.
    let (store, url, _) = seeded(2);
    let tablet = Accessor::Device {
        device_key: [0x55; 32],
        recruiter: Some("rut".into()),
    };
    let rows = store
        .list_registrations(&filter(10), &tablet, 3)
        .expect("lists");
    let log = access_log(&url);
    assert_eq!(log.len(), rows.len());
    assert!(log.iter().all(|entry| entry.2 == hex::encode([0x55; 32])));
}

#[test]
fn one_hr_user_editing_a_record_through_two_instances_at_once_keeps_every_edit() {
    // The same Automerge actor on both instances: were the edits not applied one onto the
    // other, two would take the same sequence number of that actor and one be lost (or the
    // record no longer load).
    let (first, url, registrations) = seeded(3);
    let second = PgStore::open(&url).expect("a second instance");
    let record = registrations
        .iter()
        .find(|r| !r.restricted)
        .expect("an open record");
    let id = record.id.to_string();
    const EDITS: usize = 8;
    std::thread::scope(|scope| {
        for (n, store) in [&first, &second].into_iter().enumerate() {
            let id = &id;
            scope.spawn(move || {
                for edit in 0..EDITS {
                    let at = 1_000 + (n * EDITS + edit) as i64;
                    let note = kiosk_core::annotations::Note {
                        id: kiosk_core::ids::RegistrationId::new(kiosk_core::ids::Timestamp(at))
                            .to_string(),
                        author: "rut".into(),
                        device: kiosk_core::ids::DeviceId::from_public_key(&editor().actor_key),
                        written_at: kiosk_core::ids::Timestamp(at),
                        text: format!("note {n}/{edit}"),
                    };
                    let outcome = store
                        .apply_hr_edit(id, &HrEdit::AddNote(note), &editor(), at)
                        .expect("applies");
                    assert!(
                        matches!(outcome, HrEditOutcome::Applied { changed: true, .. }),
                        "{outcome:?}"
                    );
                }
            });
        }
    });
    let stored = first
        .stored_registration(&id)
        .expect("reads")
        .expect("held");
    let (document, _) =
        kiosk_core::documents::RegistrationDocument::load_unattributed(&stored.changes)
            .expect("the record still loads");
    let notes = document.annotations().expect("annotations").notes;
    assert_eq!(notes.len(), 2 * EDITS, "every note kept");
    let numbers: Vec<i64> = connect(&url)
        .query(
            "SELECT commit_seq FROM registration_changes
             WHERE doc_id = $1 AND change IS NOT NULL ORDER BY commit_seq",
            &[&id],
        )
        .expect("reads")
        .iter()
        .map(|row| row.get(0))
        .collect();
    let mut distinct = numbers.clone();
    distinct.dedup();
    assert_eq!(
        (numbers.len(), distinct.len()),
        (2 * EDITS, 2 * EDITS),
        "each edit under a number of its own"
    );
    assert_eq!(logged(&url, AccessAction::Change).len(), 2 * EDITS);
}

#[test]
fn a_search_that_opens_its_bound_of_candidates_without_a_full_page_is_refused_as_too_broad() {
    use super::registration_index::{SearchBounds, list_searching};
    let (store, _, registrations) = seeded(12);
    let bounds = SearchBounds { chunk: 2, limit: 4 };
    let open = |part: &str, limit: u32| {
        store.read(|tx| {
            list_searching(
                tx,
                &RegistrationFilter {
                    include_restricted: true,
                    ..filter(limit)
                },
                part,
                bounds,
            )
        })
    };
    // Nothing matches: refused after four candidates, naming no value searched for.
    match open("no-such-visitor", 50) {
        Err(StorageError::SearchTooBroad { scanned: 4 }) => {}
        other => panic!("expected SearchTooBroad after 4, got {other:?}"),
    }
    let message = open("no-such-visitor", 50)
        .expect_err("refused")
        .to_string();
    assert!(
        message.contains("too broad") && message.contains("för bred"),
        "{message}"
    );
    assert!(!message.contains("no-such-visitor"), "{message}");
    // A page filled before the bound is answered: every record's search holds " ".
    assert_eq!(open(" ", 3).expect("answers").len(), 3);
    // The newest record found by its own name, whatever the bound, when it is among the
    // first candidates.
    let newest = registrations
        .iter()
        .max_by_key(|r| (r.captured_at.millis(), r.id.to_string()))
        .expect("records");
    let found = open(&newest.person.given_name.to_lowercase(), 1).expect("answers");
    assert_eq!(found[0].id, newest.id.to_string());
}

/// A searched list's count opens every candidate, so it is bounded on its own: within the
/// bound it counts every match, past it it is refused as too broad (and the console shows
/// the list without its total).
#[test]
fn a_searched_count_opens_every_candidate_within_its_bound_and_is_refused_past_it() {
    use super::registration_index::{SearchBounds, count_searching};
    let (store, _, registrations) = seeded(12);
    let count = |part: &str, limit: u64| {
        store.read(|tx| {
            count_searching(
                tx,
                &RegistrationFilter {
                    include_restricted: true,
                    ..filter(50)
                },
                part,
                SearchBounds { chunk: 2, limit },
            )
        })
    };
    // Every record's search holds " ": all twelve, read two at a time.
    assert_eq!(count(" ", 100).expect("counts"), registrations.len() as u64);
    match count(" ", 4) {
        Err(StorageError::SearchTooBroad { scanned: 4 }) => {}
        other => panic!("expected SearchTooBroad after 4, got {other:?}"),
    }
    assert_eq!(count("no-such-visitor", 100).expect("counts"), 0);
}
