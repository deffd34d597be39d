//! Pull figures against a real relay process on loopback: an empty staff tablet pulls an
//! event's N registrations (captured and synced by a kiosk beforehand):
//! - wall time of the staff tablet's sync, and per registration;
//! - bytes on the wire per registration, both directions;
//! - the relay's CPU time (user + system, from /proc) per pulled registration, which covers
//!   reading, the access log entries and the signed answer;
//! - the staff tablet's store size per registration (each document encrypted at rest).
//!
//! Run: `cargo bench -p kiosk-sync-server --bench pull` (optionally `-- 5000`).

use std::process::Child;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Instant;

use kiosk_core::device::Device;
use kiosk_core::ids::Timestamp;
use kiosk_core::protocol::enrollment::EnrollmentCode;
use kiosk_core::sync::{BatchLimits, HttpTransport, NoListener, sync};

#[path = "support/counting.rs"]
mod counting;
use counting::Counting;

#[path = "../tests/support/relay_process.rs"]
mod relay_process;
use relay_process::{admin, spawn_relay};

/// User + system CPU time of a process, in milliseconds.
fn cpu_ms(child: &Child) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{}/stat", child.id())).unwrap_or_default();
    // Fields after the command name, which is in parentheses and may hold spaces.
    let after = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
    let fields: Vec<&str> = after.split_whitespace().collect();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|v| v.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    // utime and stime are fields 14 and 15 of the whole line: 11 and 12 after the name.
    let clock_ticks = 100.0;
    (ticks(11) + ticks(12)) * 1000.0 / clock_ticks
}

fn code(data_dir: &std::path::Path, role: &str, recruiter: Option<&str>) -> EnrollmentCode {
    let mut args = vec![
        "create-code",
        "--event",
        kiosk_core::demo::DEMO_EVENT_ID,
        "--role",
        role,
        "--uses",
        "1",
    ];
    if let Some(recruiter) = recruiter {
        args.extend(["--recruiter", recruiter]);
    }
    EnrollmentCode::parse(&admin(data_dir, &args)).expect("a code")
}

fn main() {
    let count: usize = std::env::args()
        .skip(1)
        .find(|a| !a.starts_with('-'))
        .and_then(|a| a.parse().ok())
        .unwrap_or(5_000);
    let data = tempfile::tempdir().expect("tempdir");
    let tablets = tempfile::tempdir().expect("tempdir");
    let (mut child, url) = spawn_relay(data.path(), "demo");

    let kiosk: Arc<Device> =
        kiosk_core::generator::demo_kiosk(&tablets.path().join("kiosk.sqlite3")).expect("opens");
    kiosk
        .enroll(&code(data.path(), "kiosk", None), &HttpTransport::new(&url))
        .expect("kiosk enrolls");
    kiosk_core::generator::capture_generated(&kiosk, count, 11).expect("captured");
    let pushed = sync(
        &kiosk,
        &HttpTransport::new(&url),
        &NoListener,
        BatchLimits::default(),
        Timestamp::now,
    )
    .expect("kiosk syncs");
    let staff_path = tablets.path().join("staff.sqlite3");
    let staff =
        kiosk_core::generator::demo_staff(&staff_path, "482915").expect("staff tablet opens");
    staff
        .enroll(
            // The demo recruiter, whom the demo assigns to the demo event.
            &code(data.path(), "staff", Some("rekryterare")),
            &HttpTransport::new(&url),
        )
        .expect("staff tablet enrolls");

    let counting = Counting::new(&url);
    let cpu_before = cpu_ms(&child);
    let started = Instant::now();
    let report = sync(
        &staff,
        &counting,
        &NoListener,
        BatchLimits::default(),
        Timestamp::now,
    )
    .expect("staff tablet pulls");
    let wall = started.elapsed();
    let cpu = cpu_ms(&child) - cpu_before;
    let pulled = report.pulled.max(1) as f64;
    let restricted = pushed.received.saturating_sub(report.pulled);
    let store_bytes = std::fs::metadata(&staff_path).map_or(0, |m| m.len())
        + std::fs::metadata(format!("{}-wal", staff_path.display())).map_or(0, |m| m.len());

    println!("pull of {count} registrations to an empty staff tablet");
    println!(
        "  pulled {} ({} restricted never sent) in {} requests",
        report.pulled, restricted, report.requests
    );
    println!(
        "  wall time {:.2} s, {:.3} ms per registration",
        wall.as_secs_f64(),
        wall.as_secs_f64() * 1000.0 / pulled
    );
    println!(
        "    of which waiting for answers (HTTP and the relay's work) {:.2} s, the tablet's own work {:.2} s",
        counting.waiting().as_secs_f64(),
        (wall - counting.waiting()).as_secs_f64()
    );
    println!(
        "  bytes per registration: {:.0} received, {:.1} sent",
        counting.received.load(Ordering::Relaxed) as f64 / pulled,
        counting.sent.load(Ordering::Relaxed) as f64 / pulled
    );
    println!(
        "  relay CPU {:.0} ms, {:.1} µs per pulled registration",
        cpu,
        cpu * 1000.0 / pulled
    );
    println!(
        "  staff store {:.0} bytes per registration (encrypted at rest)",
        store_bytes as f64 / pulled
    );
    let _ = child.kill();
    let _ = child.wait();
}
