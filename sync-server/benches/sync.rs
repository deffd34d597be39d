//! Sync figures against a real relay process on loopback:
//! - one tablet with N captured registrations syncing to an empty relay: wall time, and bytes
//!   on the wire per registration in both directions beside gzip-compressed JSON of the
//!   same records;
//! - ingest from D concurrent tablets pushing batches of 100, beside the bound measured in
//!   the same run: the relay's own per-registration work (open the seal, every check, the
//!   SQLite commit) in one process in a plain loop, no HTTP, no async;
//! - the relay's peak RSS over the run.
//!
//! Run: `cargo bench -p kiosk-sync-server --bench sync` (optionally `-- 10000 50 200`: tablet
//! registrations, concurrent devices, registrations per device). Prints figures and ratios.

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
use kiosk_sync_server::storage::SqliteStore;
use kiosk_sync_server::storage::prelude::*;

#[path = "support/counting.rs"]
mod counting;
use counting::Counting;

#[path = "../tests/support/relay_process.rs"]
mod relay_process;
use relay_process::{admin, spawn_relay};

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

    fn peak_rss_mib(&self) -> f64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))
            .unwrap_or_default();
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmHWM:"))
            .and_then(|v| v.trim().trim_end_matches(" kB").trim().parse::<f64>().ok())
            .map_or(f64::NAN, |kib| kib / 1024.0)
    }
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
        println!("one-core bound: {}", bound(dir.path(), sizes[0], sizes[1]));
        return;
    }
    let args: Vec<usize> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    let tablet_count = args.first().copied().unwrap_or(10_000);
    let devices = args.get(1).copied().unwrap_or(50);
    let per_device = args.get(2).copied().unwrap_or(200);
    let dir = tempfile::tempdir().expect("tempdir");
    let relay = RelayProcess::start(&dir.path().join("relay"));
    let code = relay.code((devices + 2) as u32);

    // One tablet, many registrations, an empty relay.
    let single = tablet(dir.path(), "single.sqlite3");
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
    let tablets: Vec<Arc<Device>> = (0..devices)
        .map(|i| {
            let device = tablet(dir.path(), &format!("device-{i}.sqlite3"));
            device
                .enroll(&code, &HttpTransport::new(&relay.url))
                .expect("enrolls");
            capture(&device, per_device, 100 + i as u64);
            device
        })
        .collect();
    let started = Instant::now();
    let done = Arc::new(Mutex::new(0u64));
    let busy = Arc::new(AtomicU64::new(0));
    std::thread::scope(|scope| {
        for (index, device) in tablets.iter().enumerate() {
            let url = relay.url.clone();
            let done = Arc::clone(&done);
            let busy = Arc::clone(&busy);
            scope.spawn(move || {
                // As a tablet does: a `busy` answer (the relay's gate is full; nothing of
                // that request was stored) is tried again later. A tablet waits the
                // answer's Retry-After (5 s); the bench waits 100 ms, spread over the tablets,
                // so the run measures the relay rather than the wait.
                let report = loop {
                    match sync(
                        device,
                        &HttpTransport::new(&url),
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
    let concurrent_wall = started.elapsed();
    let concurrent_total = *done.lock().expect("lock");
    let concurrent_rate = concurrent_total as f64 / concurrent_wall.as_secs_f64();
    let rss = relay.peak_rss_mib();

    // The bound: the relay's own work on the same kind of batches, in one plain loop (its
    // checks spread a large batch over every core), and the same loop held to one core.
    let bound_rate = bound(dir.path(), devices, per_device);
    let one_core_rate = one_core_bound(devices, per_device);

    println!("sync to a relay process on loopback (release build, 2 cores)");
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
        concurrent_wall.as_secs_f64(),
        concurrent_rate / 5000.0
    );
    println!(
        "    `busy` answers tried again: {}",
        busy.load(Ordering::Relaxed)
    );
    println!(
        "  bound (relay work only, one plain loop, no HTTP; its checks use every core): {bound_rate:.0}/s; concurrent / bound = {:.2}",
        concurrent_rate / bound_rate
    );
    let total = TOTAL_NANOS.load(Ordering::Relaxed) as f64;
    println!(
        "    its time in the checks (seal, signature, document, form) {:.0} %, in the store's transaction and the answer {:.0} %",
        100.0 * CHECK_NANOS.load(Ordering::Relaxed) as f64 / total,
        100.0 * (1.0 - CHECK_NANOS.load(Ordering::Relaxed) as f64 / total)
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
}

/// The relay's own work (open the seal, every check, the SQLite commit) on `devices`
/// tablets' batches, in one process in a plain loop, no HTTP, no async: registrations per
/// second of relay time.
fn bound(dir: &std::path::Path, devices: usize, per_device: usize) -> f64 {
    let bound_dir = dir.join("bound");
    let keys = Arc::new(RelayKeys::load_or_create(&bound_dir).expect("keys"));
    let store = Arc::new(SqliteStore::open(&bound_dir.join("relay.sqlite3")).expect("store"));
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
    let relay_time = Arc::new(Mutex::new(Duration::ZERO));
    let direct = Direct {
        store: store.clone(),
        keys: keys.clone(),
        relay_time: relay_time.clone(),
    };
    let mut bound_total = 0u64;
    for i in 0..devices {
        let device = tablet(dir, &format!("bound-{i}.sqlite3"));
        device.enroll(&bound_code, &direct).expect("enrolls");
        capture(&device, per_device, 100 + i as u64);
        *relay_time.lock().expect("lock") = Duration::ZERO;
        bound_total += sync(
            &device,
            &direct,
            &NoListener,
            BatchLimits::default(),
            Timestamp::now,
        )
        .expect("syncs")
        .received;
        let spent = *relay_time.lock().expect("lock");
        direct.accumulate(spent);
    }
    bound_total as f64 / direct.total().as_secs_f64()
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
    store: Arc<SqliteStore>,
    keys: Arc<RelayKeys>,
    relay_time: Arc<Mutex<Duration>>,
}

static TOTAL_NANOS: AtomicU64 = AtomicU64::new(0);
/// The part of [`TOTAL_NANOS`] spent in the checks (seal, signature, document, form), the
/// rest being the store's transaction and the signed answer.
static CHECK_NANOS: AtomicU64 = AtomicU64::new(0);

impl Direct {
    fn accumulate(&self, spent: Duration) {
        TOTAL_NANOS.fetch_add(spent.as_nanos() as u64, Ordering::Relaxed);
    }

    fn total(&self) -> Duration {
        Duration::from_nanos(TOTAL_NANOS.load(Ordering::Relaxed))
    }
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
                CHECK_NANOS.fetch_add(checking.elapsed().as_nanos() as u64, Ordering::Relaxed);
                Ok(match prepared {
                    kiosk_sync_server::ingest::Prepared::Answered(answer) => answer,
                    kiosk_sync_server::ingest::Prepared::Checked(checked) => checked
                        .commit(self.store.as_ref(), &self.keys, &request)
                        .expect("stores"),
                })
            }
        };
        if path == "/v1/sync" {
            *self.relay_time.lock().expect("lock") += started.elapsed();
        }
        answer
    }
}
