//! Transparency-log figures:
//! - the cost per accepted change: SQLite ingest of the same requests (100 real captures
//!   each, sealed documents, every store write, `synchronous=FULL` commits) with and without
//!   the log's appends, alternating runs on fresh stores; and what the sync answers then
//!   read (the leaves `log_answer::fill` finds, by its own code: those the ingest reported
//!   appended, the record index only for the rest; an inclusion proof per leaf), timed apart;
//! - proof sizes at 1,000,000 leaves (inclusion and consistency, bytes), from a store
//!   holding that many leaves, with the time a proof takes to read from it;
//! - the bytes a sync answer would grow by with a checkpoint and a consistency proof.
//!
//! Run: `cargo bench -p kiosk-sync-server --bench transparency` (optionally `-- 30 1000000`:
//! requests of 100 captures per run, leaves of the big log). Prints figures and ratios, and
//! the load average before and after (the machine may be shared).

use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use kiosk_core::generator::RegistrationGenerator;
use kiosk_core::protocol::PushOutcome;
use kiosk_core::protocol::enrollment::EnrolledRole;
use kiosk_core::tlog::hash::leaf_hash;
use kiosk_core::tlog::tree::{consistency_proof, inclusion_proof, verify_inclusion};
use kiosk_sync_server::ingest::answer_leaves_for_bench;
use kiosk_sync_server::storage::LOG_READ_LIMIT;
use kiosk_sync_server::storage::prelude::*;
use kiosk_sync_server::storage::{
    AppendedLeaves, IngestItem, IngestOutcome, SKIP_APPENDS_FOR_BENCH, SqliteStore,
    capture_for_tests, enroll_for_tests, ingest_for_tests,
};
use kiosk_sync_server::transparency::append::{LogHead, append};
use kiosk_sync_server::transparency::checkpoint::LogKey;
use kiosk_sync_server::transparency::leaf::{Leaf, LeafKind};
use kiosk_sync_server::transparency::source::{CachedSubtrees, StoreSubtrees};

const PER_REQUEST: usize = 100;

fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "?".into())
}

/// `requests` requests of [`PER_REQUEST`] captures, made before any timing.
fn requests(requests: usize) -> (ed25519_dalek::VerifyingKey, Vec<Vec<IngestItem>>) {
    let key = ed25519_dalek::SigningKey::from_bytes(&[7; 32]).verifying_key();
    let mut generator = RegistrationGenerator::new(kiosk_core::demo::demo_event(), 11);
    let batches = (0..requests)
        .map(|_| {
            (0..PER_REQUEST)
                .map(|_| capture_for_tests(&generator.next_registration().expect("valid"), &key))
                .collect()
        })
        .collect();
    (key, batches)
}

/// The calling thread's CPU time so far, in nanoseconds from `/proc/thread-self/schedstat`
/// (the SQLite store does its work on the caller's thread): what the machine's other load
/// changes least. Falls back to the process's user and system time from `/proc/self/stat`,
/// in clock ticks of 10 ms.
fn cpu_time() -> Duration {
    if let Some(nanos) = std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()
        .and_then(|s| s.split_whitespace().next()?.parse::<u64>().ok())
    {
        return Duration::from_nanos(nanos);
    }
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .map(|(_, rest)| rest.split_whitespace().collect())
        .unwrap_or_default();
    let ticks = |n: usize| {
        fields
            .get(n)
            .and_then(|f| f.parse::<u64>().ok())
            .unwrap_or(0)
    };
    // utime and stime are fields 14 and 15 of the line, 12 and 13 after the name.
    Duration::from_millis((ticks(11) + ticks(12)) * 10)
}

/// What a sync answer reads for one request's stored captures, by the code `log_answer::fill`
/// runs (the leaves its ingest appended first, the record index only for the rest, the
/// nonces in one read), then an inclusion proof per leaf at the tip, from the store's
/// subtrees read once each (`cached`, as `fill` reads them) or once per proof. Returns the
/// leaves proved.
fn answer(
    store: &SqliteStore,
    key: &[u8; 32],
    batch: &[IngestItem],
    stored: (&[PushOutcome], &AppendedLeaves),
    cached: bool,
) -> u64 {
    let size = store.log_tip().expect("reads").size;
    let (uncached, cache) = (StoreSubtrees(store), CachedSubtrees::new(store));
    let indexes = answer_leaves_for_bench(store, batch, stored, key).expect("reads");
    for &index in &indexes {
        if cached {
            inclusion_proof(&cache, index, size).expect("a proof");
        } else {
            inclusion_proof(&uncached, index, size).expect("a proof");
        }
    }
    indexes.len() as u64
}

/// Wall and CPU time.
type Took = (Duration, Duration);

/// What a run does besides ingesting.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Variant {
    /// Without the log's appends.
    NoLog,
    /// With the log.
    Log,
    /// With the log, its index of leaves by record dropped from the store.
    LogUnindexed,
    /// With the log, and after each request the lookups and proofs its answer reads. Kept
    /// out of the ingest comparison: the reads between requests slow the next ingest down
    /// (caches), which would be charged to the appends.
    LogAnswered,
}

/// One run on a fresh store in a file: the ingest's wall and CPU time, the changes stored,
/// and (answered) the time the answers' lookups and proofs took, measured apart, with
/// subtrees read once per proof and once per answer.
fn run(
    key: &ed25519_dalek::VerifyingKey,
    batches: &[Vec<IngestItem>],
    variant: Variant,
) -> (Took, u64, [Took; 2]) {
    let log = variant != Variant::NoLog;
    let record_index = variant != Variant::LogUnindexed;
    let dir = tempfile::tempdir().expect("tempdir");
    let store = SqliteStore::open(&dir.path().join("relay.sqlite3")).expect("opens");
    if !record_index {
        // What the index of leaves by record costs the appends: gone from this store.
        rusqlite::Connection::open(dir.path().join("relay.sqlite3"))
            .and_then(|c| c.execute_batch("DROP INDEX tlog_leaves_by_record_prefix"))
            .expect("drops the index");
    }
    kiosk_sync_server::store_demo_event(&store).expect("event");
    enroll_for_tests(
        &store,
        key.to_bytes(),
        kiosk_core::demo::DEMO_EVENT_ID,
        EnrolledRole::Kiosk,
        None,
    );
    SKIP_APPENDS_FOR_BENCH.store(!log, Ordering::Relaxed);
    let changes: u64 = batches
        .iter()
        .flatten()
        .map(|item| match item {
            IngestItem::Store { change_hashes, .. } => change_hashes.len() as u64,
            _ => 0,
        })
        .sum();
    let mut took = (Duration::ZERO, Duration::ZERO);
    let mut answers = [(Duration::ZERO, Duration::ZERO); 2];
    let mut proved = 0;
    for (n, batch) in batches.iter().enumerate() {
        let batch = batch.clone();
        let (started, cpu) = (Instant::now(), cpu_time());
        let outcome = ingest_for_tests(&store, key.to_bytes(), n as u64 + 1, 1, batch);
        took.0 += started.elapsed();
        took.1 += cpu_time() - cpu;
        if variant == Variant::LogAnswered {
            let IngestOutcome::Committed {
                outcomes, appended, ..
            } = &outcome
            else {
                panic!("a fresh request is committed");
            };
            for (cached, answers) in [false, true].into_iter().zip(&mut answers) {
                let (started, cpu) = (Instant::now(), cpu_time());
                proved += answer(
                    &store,
                    &key.to_bytes(),
                    &batches[n],
                    (outcomes, appended),
                    cached,
                );
                answers.0 += started.elapsed();
                answers.1 += cpu_time() - cpu;
            }
        }
    }
    SKIP_APPENDS_FOR_BENCH.store(false, Ordering::Relaxed);
    let size = store.log_tip().expect("reads").size;
    assert_eq!(
        size,
        if log { changes } else { 0 },
        "the log holds what the run stored"
    );
    let answered = variant == Variant::LogAnswered;
    assert_eq!(
        proved,
        if answered { 2 * changes } else { 0 },
        "every leaf proved"
    );
    (took, changes, answers)
}

/// The leaves a run with the log appended, read back from a store it fills.
fn with_log_leaves(key: &ed25519_dalek::VerifyingKey, batches: &[Vec<IngestItem>]) -> Vec<Leaf> {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = SqliteStore::open(&dir.path().join("relay.sqlite3")).expect("opens");
    kiosk_sync_server::store_demo_event(&store).expect("event");
    enroll_for_tests(
        &store,
        key.to_bytes(),
        kiosk_core::demo::DEMO_EVENT_ID,
        EnrolledRole::Kiosk,
        None,
    );
    for (n, batch) in batches.iter().enumerate() {
        ingest_for_tests(&store, key.to_bytes(), n as u64 + 1, 1, batch.clone());
    }
    let size = store.log_tip().expect("reads").size;
    let mut leaves = Vec::new();
    while (leaves.len() as u64) < size {
        let page = store
            .log_leaves(leaves.len() as u64, LOG_READ_LIMIT)
            .expect("reads");
        leaves.extend(
            page.iter()
                .map(|bytes| Leaf::decode(bytes).expect("decodes")),
        );
    }
    leaves
}

fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with('-'))
        .collect();
    let request_count: usize = args.first().and_then(|a| a.parse().ok()).unwrap_or(30);
    let big: u64 = args
        .get(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(1_000_000);
    println!("load average before: {}", load_average());

    // 1. Cost per accepted change.
    let (key, batches) = requests(request_count);
    let mut with = Vec::new();
    let mut without = Vec::new();
    let mut with_cpu = Vec::new();
    let mut without_cpu = Vec::new();
    let mut unindexed_cpu = Vec::new();
    let mut answer_wall = [Vec::new(), Vec::new()];
    let mut answer_cpu = [Vec::new(), Vec::new()];
    let mut changes = 0;
    for _ in 0..5 {
        let ((took, cpu), n, _) = run(&key, &batches, Variant::NoLog);
        without.push(took);
        without_cpu.push(cpu);
        let ((took, cpu), n2, _) = run(&key, &batches, Variant::Log);
        with.push(took);
        with_cpu.push(cpu);
        let (_, _, answers) = run(&key, &batches, Variant::LogAnswered);
        for (n, (wall, cpu)) in answers.into_iter().enumerate() {
            answer_wall[n].push(wall);
            answer_cpu[n].push(cpu);
        }
        assert_eq!(n, n2);
        changes = n;
        let ((_, cpu), _, _) = run(&key, &batches, Variant::LogUnindexed);
        unindexed_cpu.push(cpu);
    }
    let best = |runs: &[Duration]| runs.iter().min().copied().expect("runs");
    let median = |runs: &[Duration]| {
        let mut sorted = runs.to_vec();
        sorted.sort();
        sorted[sorted.len() / 2]
    };
    let per_change = |d: Duration| d.as_secs_f64() * 1e6 / changes as f64;
    let (w, wo) = (best(&with), best(&without));
    println!(
        "ingest, SQLite, {request_count} requests of {PER_REQUEST} captures ({changes} changes), best of 5 (wall):"
    );
    println!(
        "  without the log: {:.1} µs per change; with it: {:.1} µs per change; \
         the log adds {:.1} µs per change, {:.1} % of ingest (target ≤ 5 %)",
        per_change(wo),
        per_change(w),
        per_change(w) - per_change(wo),
        (w.as_secs_f64() / wo.as_secs_f64() - 1.0) * 100.0
    );
    println!(
        "  all runs (ms), without: {:?}; with: {:?}",
        without.iter().map(|d| d.as_millis()).collect::<Vec<_>>(),
        with.iter().map(|d| d.as_millis()).collect::<Vec<_>>()
    );
    let (wc, woc) = (median(&with_cpu), median(&without_cpu));
    println!(
        "  CPU time of the ingesting thread, median of 5: without {:.1} µs per change, with {:.1}; \
         the log adds {:.1} % (runs in ms, without: {:?}; with: {:?})",
        per_change(woc),
        per_change(wc),
        (wc.as_secs_f64() / woc.as_secs_f64() - 1.0) * 100.0,
        without_cpu
            .iter()
            .map(|d| d.as_millis())
            .collect::<Vec<_>>(),
        with_cpu.iter().map(|d| d.as_millis()).collect::<Vec<_>>()
    );
    println!(
        "  with the log but without its index of leaves by record: {:.1} µs CPU per change, \
         median of 5; the log adds {:.1} % (runs in ms: {:?})",
        per_change(median(&unindexed_cpu)),
        (median(&unindexed_cpu).as_secs_f64() / woc.as_secs_f64() - 1.0) * 100.0,
        unindexed_cpu
            .iter()
            .map(|d| d.as_millis())
            .collect::<Vec<_>>()
    );
    // The pure computation of the appends, timed alone, in the request's pieces.
    let leaves: Vec<Leaf> = with_log_leaves(&key, &batches);
    let started = Instant::now();
    let mut head = LogHead::empty();
    for piece in leaves.chunks(changes as usize / batches.len().max(1)) {
        head = append(&head, piece).expect("appends").head;
    }
    println!(
        "  of which the appends' computation (leaf encoding, hashes, frontier), timed alone: \
         {:.2} µs per change",
        per_change(started.elapsed())
    );
    for (n, how) in ["once per proof", "once per answer (as fill reads them)"]
        .into_iter()
        .enumerate()
    {
        println!(
            "  the answers' lookups and inclusion proofs (as fill finds the leaves: nonces in one \
             read, the ingest's appended leaves; a proof per leaf), after each request, \
             subtrees read {how}: best {:.1} µs per change (wall), median {:.1} µs CPU; {:.1} % \
             of ingest without the log (CPU: {:.1} %); runs in ms: {:?}",
            per_change(best(&answer_wall[n])),
            per_change(median(&answer_cpu[n])),
            best(&answer_wall[n]).as_secs_f64() / wo.as_secs_f64() * 100.0,
            median(&answer_cpu[n]).as_secs_f64() / woc.as_secs_f64() * 100.0,
            answer_wall[n]
                .iter()
                .map(|d| d.as_millis())
                .collect::<Vec<_>>()
        );
    }

    // 2. Proof sizes at `big` leaves, served from a store holding them.
    let dir = tempfile::tempdir().expect("tempdir");
    let store = SqliteStore::open(&dir.path().join("relay.sqlite3")).expect("opens");
    let started = Instant::now();
    let mut appended = 0u64;
    while appended < big {
        let piece = (big - appended).min(50_000);
        let leaves: Vec<Leaf> = (appended..appended + piece)
            .map(|i| Leaf {
                kind: LeafKind::Capture,
                record: leaf_hash(&i.to_be_bytes()),
                subject: leaf_hash(&(!i).to_be_bytes()),
                author: [7; 32],
                accepted_at: i as i64,
            })
            .collect();
        store.append_log_leaves_for_bench(&leaves).expect("appends");
        appended += piece;
    }
    let fill = started.elapsed();
    let file = std::fs::metadata(dir.path().join("relay.sqlite3"))
        .map(|m| m.len())
        .unwrap_or(0);
    let tip = store.log_tip().expect("reads");
    println!(
        "a log of {big} leaves: appended in {:.1} s ({:.1} µs per leaf in pieces of 50,000), \
         store file {:.0} MiB ({:.0} bytes per leaf with its subtrees)",
        fill.as_secs_f64(),
        fill.as_secs_f64() * 1e6 / big as f64,
        file as f64 / (1 << 20) as f64,
        file as f64 / big as f64
    );
    let source = StoreSubtrees(&store);
    for index in [0, big / 2, big - 1] {
        let started = Instant::now();
        let proof = inclusion_proof(&source, index, big).expect("a proof");
        let took = started.elapsed();
        let leaf = store.log_leaves(index, 1).expect("reads").remove(0);
        verify_inclusion(&leaf_hash(&leaf), index, big, &proof, &tip.root).expect("verifies");
        println!(
            "  inclusion of leaf {index}: {} hashes, {} bytes, read from the store in {:.0} µs",
            proof.len(),
            proof.len() * 32,
            took.as_secs_f64() * 1e6
        );
    }
    for old in [
        1,
        big / 2 + 1,
        big.saturating_sub(1_000),
        big.saturating_sub(100),
        big - 1,
    ]
    .into_iter()
    .filter(|&old| old >= 1 && old < big)
    {
        let started = Instant::now();
        let proof = consistency_proof(&source, old, big).expect("a proof");
        let took = started.elapsed();
        println!(
            "  consistency {old} → {big}: {} hashes, {} bytes, read in {:.0} µs",
            proof.len(),
            proof.len() * 32,
            took.as_secs_f64() * 1e6
        );
    }

    // 3. What a sync answer would carry: the signed checkpoint and a consistency proof from
    // the size the tablet last saw, each hash as a CBOR byte string (2 bytes of head).
    let key = LogKey::random();
    let checkpoint = key.sign(tip);
    // Only as far back as the log reaches (a short run's log may hold fewer leaves).
    for behind in [100u64, 1_000, 100_000]
        .into_iter()
        .filter(|&behind| behind < big)
    {
        let proof = consistency_proof(&source, big - behind, big).expect("a proof");
        let cbor = checkpoint.len() + 3 + proof.len() * (32 + 2) + 3 + 9;
        println!(
            "  sync answer with a checkpoint ({} bytes, origin {}) and a proof from {behind} \
             leaves back ({} hashes): about {cbor} bytes more",
            checkpoint.len(),
            key.origin(),
            proof.len()
        );
    }
    println!("load average after: {}", load_average());
}
