//! Retention figures on a relay store of N registrations (100,000 by default) of which a
//! tenth are past their rule (received three years ago; the demo event keeps 24 months):
//! - the run's wall time, through the relay's own job ([`RetentionJob`]: batches of
//!   [`RUN_BATCH`] removals, each one transaction, WAL truncated at the end);
//! - the ingest rate of a kiosk pushing sync requests of 10 captures while the run goes,
//!   beside the same kiosk's rate with no run, and per-request latency p50 / p99 for both.
//!
//! The store is a file (WAL, `secure_delete`), filled through `RelayStore::ingest` with
//! generated registrations, 1,000 per request. The measured pushes also go through
//! `ingest` (group commit included), with captures made before timing starts; the seal and
//! signature checks of a real push are left out (the `sync` bench measures those).
//!
//! Run: `cargo bench -p kiosk-sync-server --bench retention` (optionally `-- 20000`).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use kiosk_core::generator::RegistrationGenerator;
use kiosk_core::protocol::enrollment::EnrolledRole;
use kiosk_sync_server::retention::{RUN_BATCH, RetentionJob, Started};
use kiosk_sync_server::storage::prelude::*;
use kiosk_sync_server::storage::{
    Accessor, IngestItem, RegistrationFilter, RelayStore, SqliteStore, capture_for_tests,
    enroll_for_tests, ingest_for_tests,
};
use kiosk_sync_server::{now_ms, store_demo_event};

const DAY_MS: i64 = 24 * 60 * 60 * 1000;
const FILL_PER_REQUEST: usize = 1_000;
/// A kiosk's push at a busy fair: a few captures at a time.
const PUSH_SIZE: usize = 10;
/// Pushes timed with no run going.
const BASELINE_PUSHES: usize = 600;

/// Captures for `count` generated registrations by kiosk `key`.
fn captures(
    generator: &mut RegistrationGenerator,
    key: &ed25519_dalek::VerifyingKey,
    count: usize,
) -> Vec<IngestItem> {
    (0..count)
        .map(|_| capture_for_tests(&generator.next_registration().expect("valid"), key))
        .collect()
}

fn enrolled(store: &SqliteStore, seed: u8) -> ed25519_dalek::VerifyingKey {
    let key = ed25519_dalek::SigningKey::from_bytes(&[seed; 32]).verifying_key();
    enroll_for_tests(
        store,
        key.to_bytes(),
        kiosk_core::demo::DEMO_EVENT_ID,
        EnrolledRole::Kiosk,
        None,
    );
    key
}

/// One kiosk pushing its prepared requests in turn.
struct Pusher {
    key: [u8; 32],
    seq: u64,
    requests: std::vec::IntoIter<Vec<IngestItem>>,
}

impl Pusher {
    /// Pushes until `stop` is set or `limit` requests went; returns each request's latency.
    fn push(&mut self, store: &dyn RelayStore, stop: &AtomicBool, limit: usize) -> Vec<Duration> {
        let mut latencies = Vec::new();
        while !stop.load(Ordering::Acquire) && latencies.len() < limit {
            let Some(items) = self.requests.next() else {
                break;
            };
            self.seq += 1;
            let start = Instant::now();
            ingest_for_tests(store, self.key, self.seq, now_ms(), items);
            latencies.push(start.elapsed());
        }
        latencies
    }
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[index]
}

/// Registrations per second, p50 and p99 of `latencies` over `wall`.
fn rate(latencies: &mut [Duration], wall: Duration) -> (f64, Duration, Duration) {
    latencies.sort();
    let stored = (latencies.len() * PUSH_SIZE) as f64;
    (
        stored / wall.as_secs_f64(),
        percentile(latencies, 0.5),
        percentile(latencies, 0.99),
    )
}

fn main() {
    let total: usize = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(100_000);
    let expiring = total / 10;
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("relay.sqlite3");
    let store = Arc::new(SqliteStore::open(&path).expect("store"));
    store_demo_event(store.as_ref()).expect("event");

    let fill_start = Instant::now();
    let filler = enrolled(&store, 3);
    let mut generator = RegistrationGenerator::new(kiosk_core::demo::demo_event(), 42);
    let now = now_ms();
    let mut seq = 0;
    let mut left = total;
    while left > 0 {
        let count = left.min(FILL_PER_REQUEST);
        // The first tenth was received three years ago: due under the 24-month rule.
        let received_at = if total - left < expiring {
            now - 3 * 365 * DAY_MS
        } else {
            now - 30 * DAY_MS
        };
        seq += 1;
        let items = captures(&mut generator, &filler, count);
        ingest_for_tests(store.as_ref(), filler.to_bytes(), seq, received_at, items);
        left -= count;
    }
    // Lists have indexed every record, as on a relay in use.
    store
        .list_registrations(
            &RegistrationFilter {
                limit: 1,
                ..RegistrationFilter::default()
            },
            &Accessor::Operator("bench".into()),
            now_ms(),
        )
        .expect("indexes");
    println!(
        "filled {total} registrations ({expiring} past their rule) in {:.1} s",
        fill_start.elapsed().as_secs_f64()
    );

    // Enough prepared pushes for the baseline and for the whole run.
    let kiosk = enrolled(&store, 4);
    let prepared: Vec<Vec<IngestItem>> = (0..BASELINE_PUSHES + 4_000)
        .map(|_| captures(&mut generator, &kiosk, PUSH_SIZE))
        .collect();
    let mut pusher = Pusher {
        key: kiosk.to_bytes(),
        seq: 0,
        requests: prepared.into_iter(),
    };

    let never = AtomicBool::new(false);
    let start = Instant::now();
    let mut baseline = pusher.push(store.as_ref(), &never, BASELINE_PUSHES);
    let (rate_without, p50_without, p99_without) = rate(&mut baseline, start.elapsed());

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let job = RetentionJob::new(store.clone());
    let finished = Arc::new(AtomicBool::new(false));
    let run_start = Instant::now();
    let run = runtime.block_on(async {
        let Started::Started(run) = job.start("bench".into()).await.expect("starts") else {
            panic!("a run was going");
        };
        run
    });
    let watcher = {
        let (store, finished) = (store.clone(), finished.clone());
        std::thread::spawn(move || {
            loop {
                let state = store.retention_run(run.id).expect("reads").expect("run");
                if state.finished_at.is_some() {
                    finished.store(true, Ordering::Release);
                    return (run_start.elapsed(), state);
                }
                std::thread::sleep(Duration::from_millis(5));
            }
        })
    };
    let during_start = Instant::now();
    let mut during = pusher.push(store.as_ref(), &finished, usize::MAX);
    let during_wall = during_start.elapsed();
    let (run_time, state) = watcher.join().expect("watched");
    assert_eq!(state.removed as usize, expiring, "every due record removed");
    let (rate_during, p50_during, p99_during) = rate(&mut during, during_wall);

    println!(
        "retention run: {} removed in {:.2} s ({:.0} removals/s, batches of {RUN_BATCH})",
        state.removed,
        run_time.as_secs_f64(),
        state.removed as f64 / run_time.as_secs_f64()
    );
    println!(
        "ingest without a run: {rate_without:.0} registrations/s over {} pushes of {PUSH_SIZE}; \
         per push p50 {:.2} ms, p99 {:.2} ms",
        baseline.len(),
        p50_without.as_secs_f64() * 1e3,
        p99_without.as_secs_f64() * 1e3
    );
    println!(
        "ingest during the run: {rate_during:.0} registrations/s over {} pushes; per push \
         p50 {:.2} ms, p99 {:.2} ms",
        during.len(),
        p50_during.as_secs_f64() * 1e3,
        p99_during.as_secs_f64() * 1e3
    );
    println!(
        "ratio during / without: {:.2} (rate), p99 latency {:.2}×",
        rate_during / rate_without,
        p99_during.as_secs_f64() / p99_without.as_secs_f64()
    );
    let database = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
    let wal = std::fs::metadata(dir.path().join("relay.sqlite3-wal"))
        .map(|m| m.len())
        .unwrap_or(0);
    println!(
        "after the run: database {:.1} MiB, WAL {:.1} MiB",
        database as f64 / 1048576.0,
        wal as f64 / 1048576.0
    );
}
