//! The device store under a fair's load: submit latency including the durable commit, bytes
//! on disk per registration, and the peak memory of a process holding a full store open.
//!
//! Run: `cargo bench -p kiosk-core --bench device_store` (optionally `-- 20000` for the
//! number of submits). Prints figures and ratios against the targets; asserts nothing.

use std::sync::Arc;
use std::time::{Duration, Instant};

use kiosk_core::capture::RelayOpeningKey;
use kiosk_core::demo::demo_event;
use kiosk_core::device::{Device, DeviceRole};
use kiosk_core::generator::RegistrationGenerator;
use kiosk_core::ids::Timestamp;
use kiosk_core::secrets::FileSecretStore;
use kiosk_core::visitor::VisitorSession;

const CHILD_ENV: &str = "KIOSK_BENCH_OPEN_STORE";
const TARGET_P50_MS: f64 = 1.0;
const TARGET_P99_MS: f64 = 5.0;
const TARGET_RSS_MIB: f64 = 64.0;

fn main() {
    if let Ok(path) = std::env::var(CHILD_ENV) {
        hold_store_open(std::path::Path::new(&path));
        return;
    }
    let count: usize = std::env::args()
        .skip(1)
        .find_map(|arg| arg.parse().ok())
        .unwrap_or(10_000);
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("kiosk.sqlite3");
    let secrets = FileSecretStore::new(dir.path().join("secrets"));
    let device = Device::open(&path, &secrets, DeviceRole::Kiosk).expect("opens");
    device
        .pin_relay_key(RelayOpeningKey::generate().sealing_key().clone())
        .expect("pins");
    device
        .install_event(&demo_event(), Timestamp::now())
        .expect("installs");

    let mut generator = RegistrationGenerator::new(demo_event(), 2026);
    let inputs: Vec<_> = (0..count).map(|_| generator.next_input().0).collect();
    let mut session = VisitorSession::start(Arc::clone(&device), Timestamp::now()).expect("starts");
    let mut latencies = Vec::with_capacity(count);
    let started = Instant::now();
    for input in inputs {
        let now = Timestamp::now();
        session.update(input, now).expect("updates");
        let start = Instant::now();
        session.submit(now).expect("captured");
        latencies.push(start.elapsed());
    }
    let total = started.elapsed();
    drop(session);
    drop(device);

    latencies.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    let percentile = |p: f64| ms(latencies[((latencies.len() - 1) as f64 * p).round() as usize]);
    let (p50, p99) = (percentile(0.50), percentile(0.99));
    let file_bytes: u64 = ["kiosk.sqlite3", "kiosk.sqlite3-wal"]
        .iter()
        .filter_map(|name| std::fs::metadata(dir.path().join(name)).ok())
        .map(|m| m.len())
        .sum();

    let child = std::process::Command::new(std::env::current_exe().expect("own path"))
        .env(CHILD_ENV, &path)
        .env("KIOSK_BENCH_SECRETS", dir.path().join("secrets"))
        .output()
        .expect("child runs");
    let child_report = String::from_utf8_lossy(&child.stdout);
    let rss_kib: f64 = child_report
        .lines()
        .find_map(|l| l.strip_prefix("peak_rss_kib "))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(f64::NAN);
    let rss_mib = rss_kib / 1024.0;

    println!(
        "device store: {count} submits into one store (validate, document, sign, seal, durable commit)"
    );
    println!(
        "  submit latency  p50 {p50:6.3} ms ({:.2} of the {TARGET_P50_MS} ms target)   p99 {p99:6.3} ms ({:.2} of {TARGET_P99_MS} ms)   max {:6.3} ms",
        p50 / TARGET_P50_MS,
        p99 / TARGET_P99_MS,
        ms(*latencies.last().expect("non-empty")),
    );
    println!(
        "  throughput      {:6.0} submits/s",
        count as f64 / total.as_secs_f64()
    );
    println!(
        "  on disk         {:.1} MiB, {:.0} bytes per registration",
        file_bytes as f64 / 1_048_576.0,
        file_bytes as f64 / count as f64
    );
    println!(
        "  peak RSS        {rss_mib:.1} MiB for a process holding the {count}-registration store open ({:.2} of the {TARGET_RSS_MIB} MiB target)",
        rss_mib / TARGET_RSS_MIB
    );
    println!(
        "  (child: {})",
        child_report
            .lines()
            .find(|l| l.starts_with("opened"))
            .unwrap_or("?")
    );
}

/// Opens the store as a tablet app would after a restart, reads what staff see, and reports
/// the process's peak resident memory.
fn hold_store_open(path: &std::path::Path) {
    let secrets = FileSecretStore::new(std::env::var("KIOSK_BENCH_SECRETS").expect("secrets dir"));
    let device = Device::open(path, &secrets, DeviceRole::Kiosk).expect("opens");
    let counts = device.state_counts().expect("counts");
    let head = device.verify_journal().expect("verifies");
    let session = VisitorSession::start(Arc::clone(&device), Timestamp::now()).expect("starts");
    println!(
        "opened: {} captured, journal {} entries verified, form {}",
        counts.captured,
        head.count,
        session.form().version.short()
    );
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let peak = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .map(|v| v.trim().trim_end_matches(" kB").trim().to_owned())
        .unwrap_or_else(|| "NaN".into());
    println!("peak_rss_kib {peak}");
}
