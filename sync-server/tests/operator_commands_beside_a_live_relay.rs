//! An operator's commands (`backup`, `device-report`, `create-code`, `access-log`) run from
//! another process beside a live relay never make a tablet's sync fail: every write
//! transaction takes the write lock when it begins and waits out the other process's,
//! instead of failing at once with "database is locked". Loop counts are bounded.

use kiosk_core::ids::Timestamp;
use kiosk_core::protocol::enrollment::EnrollmentCode;
use kiosk_core::sync::{BatchLimits, HttpTransport, NoListener, sync};

mod support {
    pub mod relay_process;
}
use support::relay_process::{admin, spawn_relay};

/// Rounds of operator commands (each runs four commands, one process each).
const OPERATOR_ROUNDS: usize = 25;
/// The tablet syncs at least this often, and at most `MAX_SYNCS` times.
const MIN_SYNCS: usize = 10;
const MAX_SYNCS: usize = 400;
/// Captures made before each sync.
const PER_SYNC: usize = 2;

#[test]
fn every_sync_succeeds_while_an_operator_runs_commands_from_another_process() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("relay");
    // The demo command publishes the demo event; stop it and serve the same data.
    let (mut demo, _) = spawn_relay(&data, "demo");
    demo.kill().expect("stops");
    demo.wait().expect("reaped");
    let event = kiosk_core::demo::DEMO_EVENT_ID;
    let code = EnrollmentCode::parse(&admin(
        &data,
        &["create-code", "--event", event, "--uses", "1"],
    ))
    .expect("a code");
    let (mut relay, url) = spawn_relay(&data, "serve");
    let device =
        kiosk_core::generator::demo_kiosk(&dir.path().join("kiosk.sqlite3")).expect("opens");
    device
        .enroll(&code, &HttpTransport::new(&url))
        .expect("enrolls");
    let device_id = device.device_id().to_string();

    let operator_done = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let tablet = {
        let (device, url, done) = (device.clone(), url.clone(), operator_done.clone());
        std::thread::spawn(move || {
            let mut syncs = 0;
            while syncs < MAX_SYNCS
                && (syncs < MIN_SYNCS || !done.load(std::sync::atomic::Ordering::Relaxed))
            {
                kiosk_core::generator::capture_generated(&device, PER_SYNC, syncs as u64 + 1)
                    .expect("captured");
                sync(
                    &device,
                    &HttpTransport::new(&url),
                    &NoListener,
                    BatchLimits::default(),
                    Timestamp::now,
                )
                .unwrap_or_else(|e| {
                    panic!("sync {syncs} failed beside an operator's command: {e}")
                });
                syncs += 1;
            }
            syncs
        })
    };
    for round in 0..OPERATOR_ROUNDS {
        let backup = dir.path().join(format!("backup-{round}.sqlite3"));
        admin(&data, &["backup", "--to", backup.to_str().expect("utf-8")]);
        admin(&data, &["device-report", "--device", &device_id]);
        admin(&data, &["create-code", "--event", event, "--uses", "1"]);
        admin(&data, &["access-log", "--limit", "5"]);
    }
    operator_done.store(true, std::sync::atomic::Ordering::Relaxed);
    let syncs = tablet.join().expect("every sync succeeded");
    relay.kill().expect("stops");
    relay.wait().expect("reaped");

    let counts = device.state_counts().expect("counts");
    let captured = (syncs * PER_SYNC) as u64;
    assert_eq!(
        counts.received + counts.deleted,
        captured,
        "every capture has its receipt ({syncs} syncs)"
    );
}
