//! A kiosk enrolled with a real relay pins the relay's transparency-log key, and every sync
//! answer's checkpoint is checked against the one it holds: two syncs leave it holding a
//! checkpoint whose size grew. Then the relay's log is edited in place in its SQLite file
//! while the relay is stopped (a leaf rewritten and the tree recomputed around it, so the
//! log is self-consistent but another history; or the log cut back), and the next sync is
//! refused as a fork: the evidence is kept, later syncs are refused on the tablet, and it
//! is never safe to hand back.
//!
//! A staff tablet's edit counts stored only with proven leaves bound to its changes: when
//! the relay stored it but the answer was lost, the edit goes again and the relay answers
//! with the leaves it wrote the first time; when the relay is restored from a backup taken
//! before the edit, the edit goes again and the restored relay stores and proves it anew.

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use kiosk_core::device::HandBack;
use kiosk_core::protocol::enrollment::EnrolledRole;
use kiosk_core::sync::{HttpTransport, Transport, TransportError};
use kiosk_core::tlog::hash::leaf_hash;
use kiosk_core::tlog::tree::Frontier;
use kiosk_sync_server::AppState;
use kiosk_sync_server::transparency::append::LOWEST_STORED_LEVEL;
use kiosk_sync_server::transparency::checkpoint::LogKey;
use kiosk_tests::{
    Backend, TestRelay, demo_code, demo_store, file_relay, staff_code, staff_session, staff_tablet,
    sync_now, tablet,
};

/// The relay's state with its log key loaded from the data folder, so a restarted relay
/// signs with the same key.
fn state_with_log_key(store: kiosk_tests::DemoStore, dir: &Path) -> AppState {
    let mut state = AppState::new(store.store, store.keys);
    state.log_key = Arc::new(LogKey::load_or_create(dir, None).expect("log key"));
    state
}

/// The size line of a signed checkpoint.
fn size_of(note: &str) -> u64 {
    note.lines()
        .nth(1)
        .expect("a size line")
        .parse()
        .expect("a size")
}

/// How the operator edits the stopped relay's log.
#[derive(Clone, Copy)]
enum Edit {
    /// One leaf's bytes changed, and every node and the head recomputed from the leaves:
    /// a log as consistent in itself as the real one, with another history.
    RewriteLeaf,
    /// The log cut back to its first leaves, nodes and head to match.
    Truncate,
}

fn edit_log(database: &Path, edit: Edit) {
    let conn = rusqlite::Connection::open(database).expect("opens");
    // The operator has the file: the append-only triggers are no obstacle.
    for trigger in [
        "tlog_leaves_no_update",
        "tlog_leaves_no_delete",
        "tlog_nodes_no_update",
        "tlog_nodes_no_delete",
    ] {
        conn.execute(&format!("DROP TRIGGER IF EXISTS {trigger}"), [])
            .expect("drops");
    }
    let mut leaves: Vec<Vec<u8>> = conn
        .prepare("SELECT leaf FROM tlog_leaves ORDER BY idx")
        .expect("prepares")
        .query_map([], |row| row.get(0))
        .expect("reads")
        .collect::<Result<_, _>>()
        .expect("reads");
    assert!(leaves.len() >= 3, "a log to edit");
    match edit {
        Edit::RewriteLeaf => {
            // The first capture's acceptance time, moved by a millisecond.
            let last = leaves[0].len() - 1;
            leaves[0][last] ^= 1;
            conn.execute(
                "UPDATE tlog_leaves SET leaf = ?1 WHERE idx = 0",
                [&leaves[0]],
            )
            .expect("rewrites");
        }
        Edit::Truncate => {
            leaves.truncate(2);
            conn.execute("DELETE FROM tlog_leaves WHERE idx >= 2", [])
                .expect("cuts");
        }
    }
    conn.execute("DELETE FROM tlog_nodes", []).expect("clears");
    let mut frontier = Frontier::new();
    for leaf in &leaves {
        for (level, index, hash) in frontier.append(leaf_hash(leaf)) {
            if level < LOWEST_STORED_LEVEL {
                continue;
            }
            conn.execute(
                "INSERT INTO tlog_nodes (level, idx, hash) VALUES (?1, ?2, ?3)",
                rusqlite::params![level, index as i64, hash.as_slice()],
            )
            .expect("writes");
        }
    }
    let edge: Vec<u8> = frontier.subtrees().flat_map(|(_, _, hash)| hash).collect();
    conn.execute(
        "UPDATE tlog_head SET size = ?1, frontier = ?2 WHERE id = 1",
        rusqlite::params![frontier.size() as i64, edge],
    )
    .expect("writes the head");
}

async fn caught_after(edit: Edit, code: &'static str) {
    let dir = tempfile::tempdir().expect("tempdir");
    let demo = demo_store(Backend::Sqlite, dir.path()).await;
    let store = demo.store.clone();
    let state = state_with_log_key(demo, dir.path());
    let relay = TestRelay::start(state.clone()).await;
    let (url, kiosk_code) = (
        relay.url(),
        demo_code(store.as_ref(), EnrolledRole::Kiosk, 1, 3_600_000),
    );
    let checkpoint = String::from_utf8(relay.plain_get("/v1/log/checkpoint").await.expect("gets"))
        .expect("text");
    let (tablet, held) = tokio::task::spawn_blocking(move || {
        let tablet = tablet();
        let transport = HttpTransport::new(&url);
        tablet
            .device
            .enroll(&kiosk_code, &transport)
            .expect("enrolls");
        let pinned = tablet
            .device
            .log_key()
            .expect("reads")
            .expect("pinned at enrollment");
        assert!(
            checkpoint.contains(pinned.split('+').next().expect("a name")),
            "the key pinned is the relay's log's"
        );
        kiosk_core::generator::capture_generated(&tablet.device, 2, 1).expect("captures");
        let report = sync_now(&tablet.device, &transport).expect("syncs");
        assert_eq!(report.received, 2, "each capture proven in the log");
        let first = size_of(
            &tablet
                .device
                .log_checkpoint()
                .expect("reads")
                .expect("held"),
        );
        kiosk_core::generator::capture_generated(&tablet.device, 1, 2).expect("captures");
        let report = sync_now(&tablet.device, &transport).expect("syncs again");
        assert_eq!(report.received, 1);
        let second = size_of(
            &tablet
                .device
                .log_checkpoint()
                .expect("reads")
                .expect("held"),
        );
        assert!(
            second > first,
            "the checkpoint held grew: {first} → {second}"
        );
        assert_eq!(tablet.device.hand_back().expect("reads"), HandBack::Safe);
        (tablet, second)
    })
    .await
    .expect("tablet");

    relay.stop().await.expect("stops");
    let database = dir.path().join("relay.sqlite3");
    tokio::task::spawn_blocking(move || edit_log(&database, edit))
        .await
        .expect("edited");
    let relay = TestRelay::start(state).await;
    let url = relay.url();
    tokio::task::spawn_blocking(move || {
        let transport = HttpTransport::new(&url);
        let error = sync_now(&tablet.device, &transport).expect_err("a fork");
        assert!(
            matches!(&error, kiosk_core::Error::LogFork { code: c } if c == code),
            "{error}"
        );
        let evidence = tablet.device.log_fork().expect("reads").expect("kept");
        assert_eq!(evidence.code, code);
        let held_note = evidence
            .held_checkpoint
            .as_deref()
            .expect("the held checkpoint");
        assert_eq!(size_of(held_note), held);
        assert!(evidence.new_checkpoint.is_some() && evidence.answer.is_some());
        assert!(evidence.to_text().contains(&format!("reason: {code}")));
        assert!(matches!(
            tablet.device.hand_back().expect("reads"),
            HandBack::LogFork { .. }
        ));
        assert!(!tablet.device.close_report().expect("reads").is_complete());
        let again = sync_now(&tablet.device, &transport).expect_err("refused");
        assert!(
            matches!(again, kiosk_core::Error::LogFork { .. }),
            "{again}"
        );
    })
    .await
    .expect("tablet");
    relay.stop().await.expect("stops");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_log_rewritten_in_place_is_caught_by_the_next_tablet_sync() {
    caught_after(Edit::RewriteLeaf, "different_root").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_log_cut_back_is_caught_by_the_next_tablet_sync() {
    caught_after(Edit::Truncate, "smaller_tree").await;
}

/// A transport whose next answer, once armed, is lost on the way back: the relay got and
/// stored the request, the tablet sees no answer.
struct LosesOneAnswer {
    inner: HttpTransport,
    armed: AtomicBool,
}

impl Transport for LosesOneAnswer {
    fn post(&self, path: &str, body: Vec<u8>) -> Result<Vec<u8>, TransportError> {
        let answer = self.inner.post(path, body)?;
        if self.armed.swap(false, Ordering::SeqCst) {
            return Err(TransportError::Unreachable("the answer was lost".into()));
        }
        Ok(answer)
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_staff_edit_sent_again_after_a_lost_answer_is_proven_by_its_first_leaves_and_stored() {
    let relay = Arc::new(file_relay().await);
    let shared = relay.clone();
    tokio::task::spawn_blocking(move || {
        let relay = shared;
        let transport = LosesOneAnswer {
            inner: HttpTransport::new(&relay.server.url()),
            armed: AtomicBool::new(false),
        };
        let kiosk = tablet();
        kiosk
            .device
            .enroll(
                &demo_code(relay.store.as_ref(), EnrolledRole::Kiosk, 1, 3_600_000),
                &transport,
            )
            .expect("kiosk enrolls");
        kiosk_core::generator::capture_generated(&kiosk.device, 1, 4).expect("captures");
        assert_eq!(
            sync_now(&kiosk.device, &transport).expect("syncs").received,
            1
        );

        let staff = staff_tablet();
        staff
            .device
            .enroll(&staff_code(relay.store.as_ref(), "anna"), &transport)
            .expect("staff tablet enrolls");
        sync_now(&staff.device, &transport).expect("pulls");
        let id = staff_session(&staff).registrations().expect("lists")[0]
            .registration
            .id
            .clone();
        staff_session(&staff)
            .add_note(&id, "Ring på måndag", kiosk_core::ids::Timestamp::now())
            .expect("noted");
        assert_eq!(staff.device.unsent_edit_count().expect("counts"), 1);

        // The relay stores the edit and logs its changes; the answer never arrives.
        transport.armed.store(true, Ordering::SeqCst);
        sync_now(&staff.device, &transport).expect_err("the answer was lost");
        assert_eq!(staff.device.unsent_edit_count().expect("counts"), 1);
        let logged = relay.store.log_tip().expect("tip").size;

        // Sent again: nothing new to store, yet proven by the leaves of the first send.
        let report = sync_now(&staff.device, &transport).expect("syncs");
        assert_eq!(report.edits_stored, 1, "proven and counted stored");
        assert_eq!(staff.device.unsent_edit_count().expect("counts"), 0);
        assert_eq!(
            relay.store.log_tip().expect("tip").size,
            logged,
            "the second send appended no leaf"
        );
        assert_eq!(staff.device.log_fork().expect("reads"), None);
    })
    .await
    .expect("test body");
}

/// A relay (real, SQLite) restored from a backup taken before a staff tablet's edit: the
/// tablet counted the edit stored on its proven leaves, the restored relay lacks both the
/// edit and the leaves. A newer edit built on it waits, unsent. The next sync sees the log
/// went back in a new epoch, sends the lost edit again in the same sync with the newer one
/// (no refusal for the dependency the restore lost), and the restored relay stores and
/// proves both; staff still hear of the restore.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_staff_edit_the_relay_lost_in_a_restore_is_sent_again_and_proven_by_the_restored_relay() {
    use kiosk_sync_server::storage::SqliteStore;
    let dir = tempfile::tempdir().expect("tempdir");
    let demo = demo_store(Backend::Sqlite, dir.path()).await;
    let store = demo.store.clone();
    let sqlite = demo.sqlite.clone().expect("a SQLite store");
    let state = state_with_log_key(demo, dir.path());
    let relay = TestRelay::start(state).await;
    let url = relay.url();
    let backup = dir.path().join("before-the-edit.sqlite3");
    let (staff, before, id) = {
        let backup = backup.clone();
        tokio::task::spawn_blocking(move || {
            let transport = HttpTransport::new(&url);
            let kiosk = tablet();
            kiosk
                .device
                .enroll(
                    &demo_code(store.as_ref(), EnrolledRole::Kiosk, 1, 3_600_000),
                    &transport,
                )
                .expect("kiosk enrolls");
            kiosk_core::generator::capture_generated(&kiosk.device, 1, 4).expect("captures");
            assert_eq!(
                sync_now(&kiosk.device, &transport).expect("syncs").received,
                1
            );
            let staff = staff_tablet();
            staff
                .device
                .enroll(&staff_code(store.as_ref(), "anna"), &transport)
                .expect("staff tablet enrolls");
            sync_now(&staff.device, &transport).expect("pulls");
            let before = store.log_tip().expect("tip").size;
            sqlite.backup(&backup).expect("backs up");
            let id = staff_session(&staff).registrations().expect("lists")[0]
                .registration
                .id
                .clone();
            staff_session(&staff)
                .add_note(&id, "Ring på måndag", kiosk_core::ids::Timestamp::now())
                .expect("noted");
            let report = sync_now(&staff.device, &transport).expect("syncs");
            assert_eq!(report.edits_stored, 1, "stored and proven");
            assert!(store.log_tip().expect("tip").size > before);
            (staff, before, id)
        })
        .await
        .expect("before the restore")
    };
    relay.stop().await.expect("stops");
    let database = dir.path().join("relay.sqlite3");
    tokio::task::spawn_blocking(move || {
        SqliteStore::restore(&backup, &database, kiosk_sync_server::now_ms()).expect("restores")
    })
    .await
    .expect("restored");
    let restored: Arc<dyn kiosk_sync_server::storage::RelayStore> =
        Arc::new(SqliteStore::open(&dir.path().join("relay.sqlite3")).expect("opens"));
    let keys = kiosk_sync_server::keys::RelayKeys::load_or_create(dir.path()).expect("keys");
    let mut state = AppState::new(restored.clone(), keys);
    state.log_key = Arc::new(LogKey::load_or_create(dir.path(), None).expect("log key"));
    let relay = TestRelay::start(state).await;
    let url = relay.url();
    tokio::task::spawn_blocking(move || {
        assert_eq!(
            restored.log_tip().expect("tip").size,
            before,
            "the edit's leaves are gone"
        );
        // A newer edit, built on the one the restore lost: refused as missing its
        // dependency in the answer that shows the restore, it goes again with it.
        staff_session(&staff)
            .add_note(&id, "Ringde, återkommer", kiosk_core::ids::Timestamp::now())
            .expect("noted");
        let transport = HttpTransport::new(&url);
        let heard = Progress::default();
        let report = kiosk_core::sync::sync(
            &staff.device,
            &transport,
            &heard,
            kiosk_core::sync::BatchLimits::default(),
            kiosk_core::ids::Timestamp::now,
        )
        .expect("syncs");
        assert!(report.log_restored, "the log went back");
        assert!(report.refused.is_empty(), "{:?}", report.refused);
        assert_eq!(report.resend_refused, 0);
        assert_eq!(report.edits_resent, 1, "the edited registration goes again");
        // It had an unsent edit already: counted once in the total, never "1 of 2".
        assert_eq!(
            heard.0.lock().expect("heard").last(),
            Some(&(1, 1)),
            "the last progress"
        );
        assert_eq!(report.resent, 0, "no capture goes again");
        assert_eq!(
            report.edits_stored, 1,
            "stored and proven by the restored relay"
        );
        assert_eq!(staff.device.unsent_edit_count().expect("counts"), 0);
        assert!(
            restored.log_tip().expect("tip").size > before,
            "logged anew"
        );
        assert_eq!(staff.device.log_fork().expect("reads"), None);
        assert!(matches!(
            staff.device.hand_back().expect("reads"),
            HandBack::LogRestored { .. }
        ));
    })
    .await
    .expect("after the restore");
    relay.stop().await.expect("stops");
}

/// The progress a sync reports, in order.
#[derive(Default)]
struct Progress(std::sync::Mutex<Vec<(u64, u64)>>);

impl kiosk_core::sync::SyncListener for Progress {
    fn progress(&self, done: u64, total: u64) {
        self.0.lock().expect("heard").push((done, total));
    }
    fn record(&self, _doc_id: &str, _outcome: kiosk_core::sync::RecordOutcome) {}
}
