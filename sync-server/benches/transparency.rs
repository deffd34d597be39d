//! Transparency-log figures:
//! - the cost per accepted change: SQLite ingest of the same requests (100 real captures
//!   each, sealed documents, every store write, `synchronous=FULL` commits) with and without
//!   the log's appends, alternating runs on fresh stores;
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
use kiosk_core::protocol::enrollment::EnrolledRole;
use kiosk_core::tlog::hash::leaf_hash;
use kiosk_core::tlog::tree::{consistency_proof, inclusion_proof, verify_inclusion};
use kiosk_sync_server::storage::prelude::*;
use kiosk_sync_server::storage::{
    IngestItem, SKIP_APPENDS_FOR_BENCH, SqliteStore, capture_for_tests, enroll_for_tests,
    ingest_for_tests,
};
use kiosk_sync_server::transparency::checkpoint::LogKey;
use kiosk_sync_server::transparency::leaf::{Leaf, LeafKind};
use kiosk_sync_server::transparency::source::StoreSubtrees;

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

/// This process's CPU time (user and system) so far, from `/proc/self/stat` (in clock ticks
/// of 10 ms): what the machine's other load changes least.
fn cpu_time() -> Duration {
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

/// One run on a fresh store in a file: the ingest's wall and CPU time, and the changes
/// stored.
fn run(
    key: &ed25519_dalek::VerifyingKey,
    batches: &[Vec<IngestItem>],
    log: bool,
) -> ((Duration, Duration), u64) {
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
    SKIP_APPENDS_FOR_BENCH.store(!log, Ordering::Relaxed);
    let changes: u64 = batches
        .iter()
        .flatten()
        .map(|item| match item {
            IngestItem::Store { change_hashes, .. } => change_hashes.len() as u64,
            _ => 0,
        })
        .sum();
    let started = Instant::now();
    let cpu = cpu_time();
    for (n, batch) in batches.iter().enumerate() {
        ingest_for_tests(&store, key.to_bytes(), n as u64 + 1, 1, batch.clone());
    }
    let took = (started.elapsed(), cpu_time() - cpu);
    SKIP_APPENDS_FOR_BENCH.store(false, Ordering::Relaxed);
    let size = store.log_tip().expect("reads").size;
    assert_eq!(
        size,
        if log { changes } else { 0 },
        "the log holds what the run stored"
    );
    (took, changes)
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
    let mut changes = 0;
    for _ in 0..5 {
        let ((took, cpu), n) = run(&key, &batches, false);
        without.push(took);
        without_cpu.push(cpu);
        let ((took, cpu), n2) = run(&key, &batches, true);
        with.push(took);
        with_cpu.push(cpu);
        assert_eq!(n, n2);
        changes = n;
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
        "  CPU time of the process, median of 5: without {:.1} µs per change, with {:.1}; \
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
