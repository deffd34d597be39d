//! Two relay processes serve one PostgreSQL database, each with its own data folder holding
//! the same keys (the first instance makes them, the second gets copies, as the README
//! says). Kiosk tablets enroll through the first, capture and sync through both in turn;
//! the first is killed with SIGKILL inside the transaction of a tablet's many-batch sync
//! through it, that tablet finishes through the second, and HR reads through the second. Every
//! registration is then stored exactly once, every receipt a visitor was shown finds its
//! record, each tablet's journal is the one the relay holds, the access log's chain (appended
//! to by both instances) verifies and holds every checkpoint the instances signed, and the
//! first instance, started again, serves again.
//! Both then stop cleanly on SIGTERM.
//!
//! PostgreSQL only, whatever `KIOSK_TEST_STORE` says: the test starts its own throw-away
//! cluster.

mod support {
    pub mod relay_instance;
}

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use kiosk_core::device::Receipt;
use kiosk_core::protocol::enrollment::EnrolledRole;
use kiosk_core::sync::{HttpTransport, Transport, TransportError};
use kiosk_sync_server::hr::accounts::Role;
use kiosk_sync_server::storage::PgStore;
use kiosk_sync_server::storage::postgres::test_cluster;
use kiosk_sync_server::storage::prelude::*;
use kiosk_tests::hr::{Hr, Http, user};
use kiosk_tests::{Tablet, demo_code, sync_now, tablet};
use serde_json::Value;
use support::relay_instance::RelayInstance;

/// Kiosk tablets at the fair.
const TABLETS: usize = 4;
/// Rounds of capture-and-sync before the kill, each tablet through the instances in turn.
const ROUNDS: usize = 3;
/// Visitors a tablet registers per round.
const PER_ROUND: usize = 12;
/// Visitors the tablet whose sync is cut registers before it: four batches of 100.
const CUT_SYNC: usize = 400;

/// Forwards to a relay, and tells the test when the `nth` request is about to be sent, so
/// the relay can be killed while that request is on its way or being stored.
struct AnnouncesRequest {
    inner: HttpTransport,
    sent: AtomicU32,
    nth: u32,
    announce: Mutex<Option<mpsc::Sender<()>>>,
}

impl Transport for AnnouncesRequest {
    fn post(&self, path: &str, body: Vec<u8>) -> Result<Vec<u8>, TransportError> {
        if self.sent.fetch_add(1, Ordering::SeqCst) + 1 == self.nth
            && let Some(announce) = self.announce.lock().expect("lock").take()
        {
            let _ = announce.send(());
        }
        self.inner.post(path, body)
    }
}

/// Whether the relay instance named `application` has a transaction open that has written
/// (it holds a transaction id: the first statement of a numbered write takes one).
fn writing(watcher: &mut postgres::Client, application: &str) -> bool {
    let row = watcher
        .query_one(
            "SELECT count(*) FROM pg_stat_activity
             WHERE application_name = $1 AND backend_xid IS NOT NULL",
            &[&application],
        )
        .expect("pg_stat_activity reads");
    row.get::<_, i64>(0) > 0
}

/// A tablet and every receipt it showed a visitor.
struct Kiosk {
    tablet: Tablet,
    receipts: Vec<Receipt>,
}

impl Kiosk {
    fn capture(&mut self, count: usize, seed: u64) {
        let receipts = kiosk_core::generator::capture_generated(&self.tablet.device, count, seed)
            .expect("captured");
        self.receipts.extend(receipts);
    }

    /// Syncs through `relay`; everything it captured is then receipted.
    fn sync_through(&self, relay: &RelayInstance) {
        let report = sync_now(&self.tablet.device, &HttpTransport::new(&relay.url()))
            .unwrap_or_else(|e| panic!("sync through {}: {e}", relay.url()));
        assert!(report.refused.is_empty(), "{:?}", report.refused);
        assert_eq!(
            report.relay_journal,
            Some(self.tablet.device.journal_head().expect("head")),
            "the relay confirms this tablet's journal"
        );
    }

    fn device_key(&self) -> [u8; 32] {
        self.tablet
            .device
            .device_id()
            .public_key()
            .expect("key")
            .to_bytes()
    }
}

/// Every registration an archivist with the clearance can read through `hr`: the lists'
/// pages and the restricted inbox, as (id, receipt code) in the order read (duplicates
/// kept, so that a record stored twice would show).
fn every_registration(hr: &Hr<'_>) -> Vec<(String, String)> {
    let rows = |body: &Value| -> Vec<(String, String)> {
        body["registrations"]
            .as_array()
            .expect("a list")
            .iter()
            .map(|r| {
                (
                    r["id"].as_str().expect("id").to_owned(),
                    r["receipt_code"].as_str().expect("receipt code").to_owned(),
                )
            })
            .collect()
    };
    let mut all = Vec::new();
    let mut path = "/api/v1/registrations?limit=500".to_owned();
    // Bounded: far more pages than the registrations could fill.
    for _ in 0..100 {
        let (status, body) = hr.get(&path);
        assert_eq!(status, 200, "{body}");
        all.extend(rows(&body));
        match body["next"].as_str() {
            Some(next) => path = format!("/api/v1/registrations?limit=500&after={next}"),
            None => break,
        }
    }
    let (status, body) = hr.get("/api/v1/registrations/restricted?limit=500");
    assert_eq!(status, 200, "{body}");
    let restricted = rows(&body);
    assert!(
        restricted.len() < 500,
        "the inbox shows every restricted record"
    );
    all.extend(restricted);
    all
}

#[test]
fn two_relays_on_one_database_survive_one_killed_mid_sync_and_lose_or_double_nothing() {
    let database_url = test_cluster::fresh_database_url();
    // The operator's side: the demo event published, an archivist with the clearance.
    let store = PgStore::open(&database_url).expect("the database opens");
    kiosk_sync_server::store_demo_event(&store).expect("event published");
    let archivist = user(&store, "arvid", Role::Archivist);
    assert!(store.set_hr_clearance(archivist, true).expect("cleared"));

    // The first instance makes the keys; the second gets copies before its first start.
    let (dir_a, dir_b) = (
        tempfile::tempdir().expect("dir"),
        tempfile::tempdir().expect("dir"),
    );
    // A names itself to the database, so the test can see when it is inside a transaction.
    let joiner = if database_url.contains('?') { '&' } else { '?' };
    let url_a = format!("{database_url}{joiner}application_name=relay-a");
    let a = RelayInstance::start(dir_a.path(), &url_a, "127.0.0.1:0");
    for file in [
        "relay-signing.key",
        "relay-sealing.seed",
        "relay-index.key",
        "relay-log.key",
        "relay-receipt.key",
    ] {
        std::fs::copy(dir_a.path().join(file), dir_b.path().join(file)).expect("key copied");
    }
    let b = RelayInstance::start(dir_b.path(), &database_url, "127.0.0.1:0");

    // Tablets enroll through A, then capture and sync through A and B in turn.
    let code = demo_code(&store, EnrolledRole::Kiosk, TABLETS as u32, 3_600_000);
    let mut kiosks: Vec<Kiosk> = (0..TABLETS)
        .map(|_| {
            let kiosk = Kiosk {
                tablet: tablet(),
                receipts: Vec::new(),
            };
            kiosk
                .tablet
                .device
                .enroll(&code, &HttpTransport::new(&a.url()))
                .expect("enrolls through A");
            kiosk
        })
        .collect();
    let mut seed = 0;
    for round in 0..ROUNDS {
        for (i, kiosk) in kiosks.iter_mut().enumerate() {
            seed += 1;
            kiosk.capture(PER_ROUND, seed);
            kiosk.sync_through(if (i + round) % 2 == 0 { &a } else { &b });
        }
    }
    // HR reads through A too, so both instances append to the access log.
    let http_a = Http::new(a.url());
    let through_a = every_registration(&http_a.login("arvid"));
    assert_eq!(through_a.len(), TABLETS * ROUNDS * PER_ROUND);

    // Tablet 0 registers a busy hour and syncs through A; once its second batch is sent, A
    // is killed with SIGKILL as soon as it is inside a writing transaction (it has taken a
    // commit number). Tablet 1 syncs through B meanwhile.
    let (cut, rest) = kiosks.split_at_mut(1);
    let (cut, beside) = (&mut cut[0], &mut rest[0]);
    cut.capture(CUT_SYNC, 1_000);
    beside.capture(PER_ROUND, 1_001);
    let mut watcher =
        postgres::Client::connect(&database_url, postgres::NoTls).expect("the watcher connects");
    let (announce, announced) = mpsc::channel();
    let cut_transport = AnnouncesRequest {
        inner: HttpTransport::new(&a.url()),
        sent: AtomicU32::new(0),
        nth: 2,
        announce: Mutex::new(Some(announce)),
    };
    let a_address = a.address;
    let cut_result = std::thread::scope(|scope| {
        let cut_sync = scope.spawn(|| sync_now(&cut.tablet.device, &cut_transport));
        let beside_sync = scope.spawn(|| beside.sync_through(&b));
        announced
            .recv_timeout(Duration::from_secs(120))
            .expect("the cut sync sends its second batch");
        let deadline = Instant::now() + Duration::from_secs(60);
        while !writing(&mut watcher, "relay-a") {
            assert!(
                !cut_sync.is_finished() && Instant::now() < deadline,
                "A was never seen inside a writing transaction during the cut sync"
            );
        }
        a.kill();
        beside_sync
            .join()
            .expect("B served the other tablet meanwhile");
        cut_sync.join().expect("the cut sync returns")
    });
    assert!(
        matches!(cut_result, Err(kiosk_core::Error::Transport(_))),
        "the sync through the killed instance fails: {cut_result:?}"
    );
    let held = cut.tablet.device.state_counts().expect("counts");
    assert!(
        held.captured + held.sent > 0,
        "the tablet still holds what A never receipted"
    );

    // The tablet's retry goes through B, and every tablet finishes there.
    cut.sync_through(&b);
    // The last three the cut sync carried, as (id, code), for a desk's search below.
    let cut_receipts: Vec<(String, String)> = cut
        .receipts
        .iter()
        .rev()
        .take(3)
        .map(|r| {
            (
                r.registration_id.as_str().to_owned(),
                r.hr_receipt_code.clone(),
            )
        })
        .collect();
    for kiosk in &kiosks {
        kiosk.sync_through(&b);
    }

    // A, started again on its data folder and address, serves again.
    let a = RelayInstance::start(dir_a.path(), &url_a, &a_address.to_string());
    for (i, kiosk) in kiosks.iter_mut().enumerate() {
        kiosk.capture(3, 2_000 + i as u64);
        kiosk.sync_through(&a);
    }

    // Every registration captured is stored once, under the receipt code its visitor was
    // shown: read by HR through B.
    let shown: BTreeMap<&str, &str> = kiosks
        .iter()
        .flat_map(|k| &k.receipts)
        .map(|r| (r.registration_id.as_str(), r.hr_receipt_code.as_str()))
        .collect();
    let captured: usize = kiosks.iter().map(|k| k.receipts.len()).sum();
    assert_eq!(shown.len(), captured, "every receipt names its own record");
    assert_eq!(
        store.counts().expect("counts").registrations,
        captured as u64,
        "stored exactly once"
    );
    let http_b = Http::new(b.url());
    let hr = http_b.login("arvid");
    let read = every_registration(&hr);
    assert_eq!(read.len(), captured, "HR reads each record once");
    let read: BTreeMap<&str, &str> = read
        .iter()
        .map(|(id, code)| (id.as_str(), code.as_str()))
        .collect();
    assert_eq!(
        read, shown,
        "every receipt finds its record, under its code"
    );
    // A desk finds the cut sync's records by the code a visitor reads out.
    for (id, code) in &cut_receipts {
        let (status, body) = hr.get(&format!("/api/v1/registrations?q={code}"));
        assert_eq!(status, 200, "{body}");
        let found: BTreeSet<&str> = body["registrations"]
            .as_array()
            .expect("a list")
            .iter()
            .filter_map(|r| r["id"].as_str())
            .collect();
        let restricted = found.is_empty();
        assert!(
            restricted || found == BTreeSet::from([id.as_str()]),
            "found by its receipt code: {found:?}"
        );
    }

    // Each tablet's journal is the one the relay holds, and its close report is complete.
    for kiosk in &kiosks {
        let report = store
            .device_report(&kiosk.device_key())
            .expect("reads")
            .expect("known device");
        assert_eq!(
            report.journal,
            kiosk.tablet.device.journal_head().expect("head"),
            "the relay's journal of the tablet is the tablet's"
        );
        assert_eq!(report.stored, kiosk.receipts.len() as u64);
        assert_eq!(report.quarantined, 0);
        let close = kiosk.tablet.device.close_report().expect("report");
        assert!(close.is_complete(), "{close:?}");
    }

    // The access log, appended to by both instances (and A's killed one), is one chain, and
    // still holds every signed checkpoint the instances wrote of it so far.
    let checkpoints: Vec<String> = [dir_a.path(), dir_b.path()]
        .iter()
        .flat_map(|dir| {
            std::fs::read_dir(dir.join(kiosk_sync_server::access_checkpoint::CHECKPOINT_DIR))
                .into_iter()
                .flatten()
                .map(|entry| entry.expect("entry").path().display().to_string())
        })
        .collect();
    let mut verify = vec!["verify-access-log"];
    for file in &checkpoints {
        verify.extend(["--checkpoint", file.as_str()]);
    }
    let verified = b.admin(&verify);
    let said = String::from_utf8_lossy(&verified.stdout);
    assert!(
        verified.status.success()
            && said.contains("chain intact")
            && said.matches(" holds: ").count() == checkpoints.len(),
        "{said}{}",
        String::from_utf8_lossy(&verified.stderr)
    );
    let verdict = store.verify_access_log().expect("verifies");
    assert_eq!(verdict.broken_at, None);
    assert!(
        verdict.entries >= (through_a.len() + captured) as u64,
        "both instances' listings are logged"
    );

    // Both stop cleanly when asked (SIGTERM), closing their connections.
    for instance in [a, b] {
        let stopped = instance.terminate();
        assert!(stopped.success(), "{stopped}");
    }
}
