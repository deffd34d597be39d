//! Sync figures against a real relay process on loopback:
//! - one tablet with N captured registrations syncing to an empty relay: wall time, and bytes
//!   on the wire per registration in both directions beside gzip-compressed JSON of the
//!   same records;
//! - ingest from D concurrent tablets pushing batches of 100, beside the bound measured in
//!   the same run: the relay's own per-registration work (open the seal, every check, the
//!   SQLite commit) in one process in a plain loop, no HTTP, no async;
//! - the relay's peak RSS over the run;
//! - the same D concurrent tablets on PostgreSQL: one relay process on a database, then two
//!   relay processes on one database (`serve --database-url`, the keys copied from the first
//!   instance's data directory to the second's), the tablets split between them: the rate,
//!   p50 / p99 per push, each relay process's peak RSS, the database server's memory, and the
//!   same plain loop (the bound) on a `PgStore`. The bench starts a throw-away cluster that
//!   keeps PostgreSQL's durability (fsync and `synchronous_commit` on, as SQLite's
//!   `synchronous=FULL`: every acknowledged push is flushed), each run on a new database.
//!
//! Run: `cargo bench -p kiosk-sync-server --bench sync` (optionally `-- 10000 50 200`: tablet
//! registrations, concurrent devices, registrations per device; and `--only sqlite`,
//! `--only pg1` or `--only pg2`, repeatable, for some of the runs). Prints figures and ratios,
//! with the machine's load average before and after each run (the machine may be shared).

use std::io::Write;
use std::process::Child;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use flate2::Compression;
use flate2::write::GzEncoder;
use kiosk_core::device::Device;
use kiosk_core::generator::RegistrationGenerator;
use kiosk_core::ids::Timestamp;
use kiosk_core::protocol::enrollment::EnrollmentCode;
use kiosk_core::sync::{BatchLimits, HttpTransport, NoListener, Transport, TransportError, sync};
use kiosk_sync_server::keys::RelayKeys;
use kiosk_sync_server::storage::postgres::test_cluster::{TestCluster, durable_cluster};
use kiosk_sync_server::storage::prelude::*;
use kiosk_sync_server::storage::{PgStore, SqliteStore};

#[path = "support/counting.rs"]
mod counting;
use counting::Counting;

#[path = "support/push_latency.rs"]
mod push_latency;
use push_latency::{Timed, quantile_ms};

#[path = "../tests/support/relay_process.rs"]
mod relay_process;
use relay_process::{admin, spawn_relay, spawn_relay_with};

struct RelayProcess {
    child: Child,
    url: String,
    data_dir: std::path::PathBuf,
}

impl RelayProcess {
    fn start(data_dir: &std::path::Path) -> RelayProcess {
        let (child, url) = spawn_relay(data_dir, "demo");
        RelayProcess {
            child,
            url,
            data_dir: data_dir.to_owned(),
        }
    }

    fn code(&self, uses: u32) -> EnrollmentCode {
        let printed = admin(
            &self.data_dir,
            &[
                "create-code",
                "--event",
                kiosk_core::demo::DEMO_EVENT_ID,
                "--uses",
                &uses.to_string(),
            ],
        );
        EnrollmentCode::parse(&printed).expect("a code")
    }

    /// `serve --database-url url` with its keys in `data_dir`, on a free loopback port.
    fn serve_on(data_dir: &std::path::Path, url: &str) -> RelayProcess {
        let (child, url) = spawn_relay_with(
            data_dir,
            &["--database-url", url],
            "serve",
            std::process::Stdio::inherit(),
        );
        RelayProcess {
            child,
            url,
            data_dir: data_dir.to_owned(),
        }
    }

    /// The relay process's peak RSS (VmHWM), its own: the tablets run in the bench's process.
    fn peak_rss_mib(&self) -> f64 {
        status_mib(self.child.id(), "VmHWM:")
    }
}

/// A figure of /proc/<pid>/status in MiB (NaN if the process or the field is gone).
fn status_mib(pid: u32, field: &str) -> f64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix(field))
        .and_then(|v| v.trim().trim_end_matches(" kB").trim().parse::<f64>().ok())
        .map_or(f64::NAN, |kib| kib / 1024.0)
}

/// The load average (1, 5, 15 min) as /proc/loadavg says it.
fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "unknown".into())
}

/// The database server's memory now: its processes (the postmaster and its children, one
/// backend per pooled connection) and the sum of their private resident memory (RssAnon),
/// beside the largest resident share of shared memory (RssShmem: the buffer cache as far as
/// touched), which every backend maps and which is counted once.
fn server_memory(cluster: &TestCluster) -> (usize, f64, f64) {
    let Some(postmaster) = cluster.server_pid() else {
        return (0, f64::NAN, f64::NAN);
    };
    let mut pids = vec![postmaster];
    for entry in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|p| p.parse::<u32>().ok())
        else {
            continue;
        };
        let parent = std::fs::read_to_string(entry.path().join("stat"))
            .ok()
            .and_then(|stat| {
                // The fields after the command's closing parenthesis: state, then the parent.
                let rest = &stat[stat.rfind(')')? + 1..];
                rest.split_whitespace().nth(1)?.parse::<u32>().ok()
            });
        if parent == Some(postmaster) {
            pids.push(pid);
        }
    }
    let private: f64 = pids
        .iter()
        .map(|&p| status_mib(p, "RssAnon:"))
        .filter(|m| m.is_finite())
        .sum();
    let shared = pids
        .iter()
        .map(|&p| status_mib(p, "RssShmem:"))
        .filter(|m| m.is_finite())
        .fold(0.0, f64::max);
    (pids.len(), private, shared)
}

impl Drop for RelayProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A kiosk tablet with the demo event installed, not yet enrolled.
fn tablet(dir: &std::path::Path, name: &str) -> Arc<Device> {
    kiosk_core::generator::demo_kiosk(&dir.join(name)).expect("opens")
}

fn capture(device: &Arc<Device>, count: usize, seed: u64) {
    kiosk_core::generator::capture_generated(device, count, seed).expect("captured");
}

fn gzip_json_bytes(count: usize, seed: u64) -> f64 {
    let mut generator = RegistrationGenerator::new(kiosk_core::demo::demo_event(), seed);
    let mut total = 0usize;
    for _ in 0..count {
        let registration = generator.next_registration().expect("valid");
        let json = serde_json::to_vec(&registration).expect("json");
        let mut gz = GzEncoder::new(Vec::new(), Compression::default());
        gz.write_all(&json).expect("gzip");
        total += gz.finish().expect("gzip").len();
    }
    total as f64 / count as f64
}

fn main() {
    if let Ok(sizes) = std::env::var(ONE_CORE_BOUND) {
        let sizes: Vec<usize> = sizes.split(' ').filter_map(|n| n.parse().ok()).collect();
        let dir = tempfile::tempdir().expect("tempdir");
        let store = SqliteStore::open(&dir.path().join("bound.sqlite3")).expect("store");
        let bound = bound(dir.path(), Arc::new(store), sizes[0], sizes[1]);
        println!("one-core bound: {}", bound.rate);
        return;
    }
    let all_args: Vec<String> = std::env::args().skip(1).collect();
    let args: Vec<usize> = all_args.iter().filter_map(|a| a.parse().ok()).collect();
    let only: Vec<&str> = all_args
        .windows(2)
        .filter(|pair| pair[0] == "--only")
        .map(|pair| pair[1].as_str())
        .collect();
    let runs = |name: &str| only.is_empty() || only.contains(&name);
    let tablet_count = args.first().copied().unwrap_or(10_000);
    let devices = args.get(1).copied().unwrap_or(50);
    let per_device = args.get(2).copied().unwrap_or(200);
    let dir = tempfile::tempdir().expect("tempdir");
    let mut summary = Vec::new();
    if runs("sqlite") {
        summary.push(sqlite_runs(dir.path(), tablet_count, devices, per_device));
    }
    if runs("pg1") {
        summary.push(postgres_run(dir.path(), 1, devices, per_device));
    }
    if runs("pg2") {
        summary.push(postgres_run(dir.path(), 2, devices, per_device));
    }
    println!(
        "{devices} tablets × {per_device} registrations, each backend (registrations/s, per push p50 / p99, relay peak RSS):"
    );
    for line in &summary {
        println!(
            "  {:<34} {:>6.0}/s  p50 {:>7.1} ms  p99 {:>7.1} ms  RSS {}",
            line.name, line.rate, line.p50_ms, line.p99_ms, line.rss
        );
    }
    let sqlite = summary.iter().find(|l| l.name.starts_with("SQLite"));
    let two = summary.iter().find(|l| l.name.contains("two"));
    if let (Some(sqlite), Some(two)) = (sqlite, two) {
        println!(
            "  two PostgreSQL instances / one SQLite relay = {:.2} (target ≥ 1.00)",
            two.rate / sqlite.rate
        );
    }
}

/// One backend's line of the closing table.
struct Summary {
    name: String,
    rate: f64,
    p50_ms: f64,
    p99_ms: f64,
    rss: String,
}

/// What the concurrent tablets did.
struct Concurrent {
    total: u64,
    wall: Duration,
    busy: u64,
    pushes: Vec<Duration>,
}

impl Concurrent {
    fn rate(&self) -> f64 {
        self.total as f64 / self.wall.as_secs_f64()
    }
}

/// `devices` new tablets, each with `per_device` captures, enrolled with `code` through
/// `relays` in turn (tablet i through relay i mod n), then syncing all at once, each
/// through the relay it enrolled with.
fn concurrent(
    dir: &std::path::Path,
    name: &str,
    relays: &[&RelayProcess],
    code: &EnrollmentCode,
    devices: usize,
    per_device: usize,
) -> Concurrent {
    let tablets: Vec<(Arc<Device>, &str)> = (0..devices)
        .map(|i| {
            let url = relays[i % relays.len()].url.as_str();
            let device = tablet(dir, &format!("{name}-device-{i}.sqlite3"));
            device
                .enroll(code, &HttpTransport::new(url))
                .expect("enrolls");
            capture(&device, per_device, 100 + i as u64);
            (device, url)
        })
        .collect();
    let pushes = Mutex::new(Vec::new());
    let started = Instant::now();
    let done = Arc::new(Mutex::new(0u64));
    let busy = Arc::new(AtomicU64::new(0));
    std::thread::scope(|scope| {
        for (index, (device, url)) in tablets.iter().enumerate() {
            let done = Arc::clone(&done);
            let busy = Arc::clone(&busy);
            let pushes = &pushes;
            scope.spawn(move || {
                // As a tablet does: a `busy` answer (the relay's gate is full; nothing of
                // that request was stored) is tried again later. A tablet waits the
                // answer's Retry-After (5 s); the bench waits 100 ms, spread over the tablets,
                // so the run measures the relay rather than the wait.
                let report = loop {
                    match sync(
                        device,
                        &Timed::new(url, pushes),
                        &NoListener,
                        BatchLimits::default(),
                        Timestamp::now,
                    ) {
                        Ok(report) => break report,
                        Err(kiosk_core::Error::Transport(TransportError::Refused {
                            code, ..
                        })) if code == "busy" => {
                            busy.fetch_add(1, Ordering::Relaxed);
                            std::thread::sleep(Duration::from_millis(100 + index as u64));
                        }
                        Err(other) => panic!("sync failed: {other}"),
                    }
                };
                // A sync refused part-way stored what it pushed before: the count is what
                // the tablets captured, every one acknowledged once the last sync returns.
                assert!(report.refused.is_empty(), "no capture refused");
                *done.lock().expect("lock") += per_device as u64;
            });
        }
    });
    let wall = started.elapsed();
    let total = *done.lock().expect("lock");
    Concurrent {
        total,
        wall,
        busy: busy.load(Ordering::Relaxed),
        pushes: pushes.into_inner().expect("lock"),
    }
}

/// The SQLite figures, as this bench has always printed them: one tablet to an empty relay,
/// the concurrent tablets, the bounds, the relay's peak RSS.
fn sqlite_runs(
    dir: &std::path::Path,
    tablet_count: usize,
    devices: usize,
    per_device: usize,
) -> Summary {
    let load_before = load_average();
    let relay = RelayProcess::start(&dir.join("relay"));
    let code = relay.code((devices + 2) as u32);

    // One tablet, many registrations, an empty relay.
    let single = tablet(dir, "single.sqlite3");
    single
        .enroll(&code, &HttpTransport::new(&relay.url))
        .expect("enrolls");
    capture(&single, tablet_count, 1);
    let transport = Counting::new(&relay.url);
    let started = Instant::now();
    let report = sync(
        &single,
        &transport,
        &NoListener,
        BatchLimits::default(),
        Timestamp::now,
    )
    .expect("syncs");
    let wall = started.elapsed();
    let waiting = transport.waiting();
    assert_eq!(
        report.received as usize, tablet_count,
        "every registration receipted"
    );
    let up = transport.sent.load(Ordering::Relaxed) as f64 / tablet_count as f64;
    let down = transport.received.load(Ordering::Relaxed) as f64 / tablet_count as f64;
    let gzip = gzip_json_bytes(tablet_count, 1);

    // Many tablets at once.
    let mut run = concurrent(dir, "sqlite", &[&relay], &code, devices, per_device);
    let concurrent_total = run.total;
    let concurrent_rate = run.rate();
    let rss = relay.peak_rss_mib();
    let load_after = load_average();

    // The bound: the relay's own work on the same kind of batches, in one plain loop (its
    // checks spread a large batch over every core), and the same loop held to one core.
    let bound_dir = dir.join("bound");
    std::fs::create_dir_all(&bound_dir).expect("bound dir");
    let bound_store = SqliteStore::open(&bound_dir.join("relay.sqlite3")).expect("store");
    let bound = bound(&bound_dir, Arc::new(bound_store), devices, per_device);
    let one_core_rate = one_core_bound(devices, per_device);

    println!("sync to a relay process on loopback (release build, 2 cores)");
    println!("  load average before / after the runs: {load_before} / {load_after}");
    println!(
        "  one tablet, {tablet_count} registrations to an empty relay: {:.2} s wall ({} requests; target ≤ 5 s: {:.2} of it)",
        wall.as_secs_f64(),
        report.requests,
        wall.as_secs_f64() / 5.0
    );
    println!(
        "    of which waiting for answers (HTTP and the relay's work) {:.2} s, the tablet's own work {:.2} s",
        waiting.as_secs_f64(),
        (wall - waiting).as_secs_f64()
    );
    println!(
        "  bytes per registration: {up:.0} up + {down:.0} down = {:.0}; gzip JSON of the same record {gzip:.0}; ratio {:.2} (target ≤ 2)",
        up + down,
        (up + down) / gzip
    );
    println!(
        "  {devices} concurrent tablets × {per_device}: {concurrent_total} registrations in {:.2} s = {concurrent_rate:.0}/s (target ≥ 5,000/s: {:.2} of it)",
        run.wall.as_secs_f64(),
        concurrent_rate / 5000.0
    );
    let (p50, p99) = (
        quantile_ms(&mut run.pushes, 0.5),
        quantile_ms(&mut run.pushes, 0.99),
    );
    println!(
        "    per push ({} sync requests answered): p50 {p50:.1} ms, p99 {p99:.1} ms",
        run.pushes.len()
    );
    println!("    `busy` answers tried again: {}", run.busy);
    println!(
        "  bound (relay work only, one plain loop, no HTTP; its checks use every core): {:.0}/s; concurrent / bound = {:.2}",
        bound.rate,
        concurrent_rate / bound.rate
    );
    println!(
        "    its time in the checks (seal, signature, document, form) {:.0} %, in the store's transaction and the answer {:.0} %",
        100.0 * bound.checks_share,
        100.0 * (1.0 - bound.checks_share)
    );
    match one_core_rate {
        Some(rate) => println!(
            "  the same loop held to one core: {rate:.0}/s; concurrent / one-core bound = {:.2} (target ≥ 1.6)",
            concurrent_rate / rate
        ),
        None => println!("  the same loop held to one core: not measured (no `taskset`)"),
    }
    println!(
        "  relay peak RSS over the run: {rss:.1} MiB (target ≤ 256 MiB: {:.2} of it)",
        rss / 256.0
    );
    Summary {
        name: "SQLite, one relay".into(),
        rate: concurrent_rate,
        p50_ms: p50,
        p99_ms: p99,
        rss: format!("{rss:.1} MiB"),
    }
}

/// The concurrent tablets on PostgreSQL through `instances` relay processes sharing one new
/// database of the durable cluster, and the bound on a `PgStore` of another.
fn postgres_run(
    dir: &std::path::Path,
    instances: usize,
    devices: usize,
    per_device: usize,
) -> Summary {
    let cluster = durable_cluster();
    let url = cluster.fresh_database_url();
    let store = PgStore::open(&url).expect("opens the database");
    kiosk_sync_server::store_demo_event(&store).expect("event");
    let now = kiosk_sync_server::now_ms();
    let code = kiosk_sync_server::enrollment::create_code(
        &store,
        kiosk_core::demo::DEMO_EVENT_ID,
        kiosk_core::protocol::enrollment::EnrolledRole::Kiosk,
        None,
        devices as u32,
        now + 3_600_000,
        now,
    )
    .expect("code");
    // Every instance signs and seals with the same keys: the first instance's data
    // directory gets them, and the others a copy of its files (as the README says to
    // provision them).
    let data_dirs: Vec<std::path::PathBuf> = (0..instances)
        .map(|i| dir.join(format!("pg{instances}-instance-{i}")))
        .collect();
    RelayKeys::load_or_create(&data_dirs[0]).expect("keys");
    for other in &data_dirs[1..] {
        kiosk_sync_server::private_files::create_dir(other).expect("data dir");
        for file in std::fs::read_dir(&data_dirs[0]).expect("keys").flatten() {
            std::fs::copy(file.path(), other.join(file.file_name())).expect("key copied");
        }
    }
    let load_before = load_average();
    let relays: Vec<RelayProcess> = data_dirs
        .iter()
        .map(|data_dir| RelayProcess::serve_on(data_dir, &url))
        .collect();
    let rss_started: Vec<f64> = relays
        .iter()
        .map(|r| status_mib(r.child.id(), "VmRSS:"))
        .collect();
    let name = format!("pg{instances}");
    let mut run = concurrent(
        dir,
        &name,
        &relays.iter().collect::<Vec<_>>(),
        &code,
        devices,
        per_device,
    );
    let load_after = load_average();
    let rate = run.rate();
    let peaks: Vec<f64> = relays.iter().map(RelayProcess::peak_rss_mib).collect();
    let (server_processes, server_private, server_shared) = server_memory(cluster);
    let stored = store.counts().expect("counts").registrations;
    assert_eq!(
        stored, run.total,
        "every registration stored once in the shared database"
    );
    drop(relays);

    let bound_dir = dir.join(format!("{name}-bound"));
    std::fs::create_dir_all(&bound_dir).expect("bound dir");
    let bound_store = PgStore::open(&cluster.fresh_database_url()).expect("opens");
    let bound = bound(&bound_dir, Arc::new(bound_store), devices, per_device);

    let (p50, p99) = (
        quantile_ms(&mut run.pushes, 0.5),
        quantile_ms(&mut run.pushes, 0.99),
    );
    let label = if instances == 1 {
        "PostgreSQL, one instance".to_owned()
    } else {
        format!(
            "PostgreSQL, {} instances",
            if instances == 2 {
                "two".into()
            } else {
                instances.to_string()
            }
        )
    };
    println!(
        "sync to {instances} relay process(es) on one PostgreSQL database (durable: fsync, synchronous_commit on), loopback"
    );
    println!("  load average before / after the run: {load_before} / {load_after}");
    println!(
        "  {devices} concurrent tablets × {per_device} (tablet i through instance i mod {instances}): {} registrations in {:.2} s = {rate:.0}/s",
        run.total,
        run.wall.as_secs_f64()
    );
    println!(
        "    per push ({} sync requests answered): p50 {p50:.1} ms, p99 {p99:.1} ms",
        run.pushes.len()
    );
    println!("    `busy` answers tried again: {}", run.busy);
    for (i, (peak, started)) in peaks.iter().zip(&rss_started).enumerate() {
        println!(
            "  relay instance {i}: peak RSS {peak:.1} MiB (RSS {started:.1} MiB once serving, before the tablets)"
        );
    }
    println!(
        "  database server after the run: {server_processes} processes, private RSS {server_private:.1} MiB in all + shared buffers touched {server_shared:.1} MiB"
    );
    println!(
        "  bound on PostgreSQL (relay work only, one plain loop, no HTTP): {:.0}/s; concurrent / bound = {:.2}",
        bound.rate,
        rate / bound.rate
    );
    println!(
        "    its time in the checks {:.0} %, in the store's transaction and the answer {:.0} %",
        100.0 * bound.checks_share,
        100.0 * (1.0 - bound.checks_share)
    );
    let rss = peaks
        .iter()
        .map(|p| format!("{p:.1}"))
        .collect::<Vec<_>>()
        .join(" + ");
    Summary {
        name: label,
        rate,
        p50_ms: p50,
        p99_ms: p99,
        rss: format!(
            "{rss} MiB (+ database server {:.0} MiB)",
            server_private + server_shared
        ),
    }
}

/// The bound's rate, and the share of its time spent in the checks (seal, signature,
/// document, form), the rest being the store's transaction and the signed answer.
struct Bound {
    rate: f64,
    checks_share: f64,
}

/// The relay's own work (open the seal, every check, the store's commit) on `devices`
/// tablets' batches, in one process in a plain loop, no HTTP, no async: registrations per
/// second of relay time.
fn bound(
    dir: &std::path::Path,
    store: Arc<dyn RelayStore>,
    devices: usize,
    per_device: usize,
) -> Bound {
    let keys = Arc::new(RelayKeys::load_or_create(dir).expect("keys"));
    kiosk_sync_server::store_demo_event(store.as_ref()).expect("event");
    let bound_code = kiosk_sync_server::enrollment::create_code(
        store.as_ref(),
        kiosk_core::demo::DEMO_EVENT_ID,
        kiosk_core::protocol::enrollment::EnrolledRole::Kiosk,
        None,
        devices as u32,
        i64::MAX,
        0,
    )
    .expect("code");
    let direct = Direct {
        store,
        keys,
        relay_nanos: AtomicU64::new(0),
        check_nanos: AtomicU64::new(0),
    };
    let mut bound_total = 0u64;
    for i in 0..devices {
        let device = tablet(dir, &format!("bound-{i}.sqlite3"));
        device.enroll(&bound_code, &direct).expect("enrolls");
        capture(&device, per_device, 100 + i as u64);
        bound_total += sync(
            &device,
            &direct,
            &NoListener,
            BatchLimits::default(),
            Timestamp::now,
        )
        .expect("syncs")
        .received;
    }
    let total = direct.relay_nanos.load(Ordering::Relaxed) as f64;
    Bound {
        rate: bound_total as f64 / (total / 1e9),
        checks_share: direct.check_nanos.load(Ordering::Relaxed) as f64 / total,
    }
}

/// The bound with the relay's work held to one core: this bench run again as a child under
/// `taskset -c 0`, which the relay's checks see as a machine of one core. `None` without
/// `taskset`.
fn one_core_bound(devices: usize, per_device: usize) -> Option<f64> {
    let exe = std::env::current_exe().expect("the bench's own path");
    let output = std::process::Command::new("taskset")
        .args(["-c", "0"])
        .arg(exe)
        .env(ONE_CORE_BOUND, format!("{devices} {per_device}"))
        .output()
        .ok()?;
    let text = String::from_utf8_lossy(&output.stdout);
    text.lines()
        .find_map(|line| line.strip_prefix("one-core bound: "))
        .and_then(|rate| rate.trim().parse().ok())
}

/// Set in the child [`one_core_bound`] starts: it measures the bound alone and prints it.
const ONE_CORE_BOUND: &str = "KIOSK_BENCH_ONE_CORE_BOUND";

/// The relay's handlers called in-process, timing only the relay's side.
struct Direct {
    store: Arc<dyn RelayStore>,
    keys: Arc<RelayKeys>,
    /// Time in sync requests (not enrollment).
    relay_nanos: AtomicU64,
    /// The part of it spent in the checks (seal, signature, document, form).
    check_nanos: AtomicU64,
}

impl Transport for Direct {
    fn post(&self, path: &str, body: Vec<u8>) -> Result<Vec<u8>, TransportError> {
        let started = Instant::now();
        let now = kiosk_sync_server::now_ms();
        let answer = match path {
            "/v1/enroll" => {
                kiosk_sync_server::enrollment::enroll(self.store.as_ref(), &self.keys, &body, now)
                    .expect("storage")
                    .map_err(|e| TransportError::Refused {
                        status: 403,
                        code: e.code().into(),
                    })
            }
            _ => {
                let hash = kiosk_core::protocol::SignedEnvelope::hash(&body);
                let mut record = None;
                let request = kiosk_core::protocol::open_request(&body, |signer| {
                    record = self.store.device(signer).expect("storage");
                    record
                        .as_ref()
                        .and_then(|r| ed25519_dalek::VerifyingKey::from_bytes(&r.device_key).ok())
                })
                .expect("opens");
                let checking = Instant::now();
                let prepared = kiosk_sync_server::ingest::check_sync(
                    self.store.as_ref(),
                    &self.keys,
                    record.as_ref().expect("known"),
                    &request,
                    hash,
                    now,
                )
                .expect("checks");
                self.check_nanos
                    .fetch_add(checking.elapsed().as_nanos() as u64, Ordering::Relaxed);
                Ok(match prepared {
                    kiosk_sync_server::ingest::Prepared::Answered(answer) => answer,
                    kiosk_sync_server::ingest::Prepared::Checked(checked) => checked
                        .commit(self.store.as_ref(), &self.keys, &request)
                        .expect("stores"),
                })
            }
        };
        if path == "/v1/sync" {
            self.relay_nanos
                .fetch_add(started.elapsed().as_nanos() as u64, Ordering::Relaxed);
        }
        answer
    }
}
