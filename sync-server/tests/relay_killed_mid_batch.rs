//! A relay process killed with SIGKILL while it takes a batch loses nothing it receipted,
//! stores nothing twice, and the tablet erases nothing without a receipt: after restarts and
//! retries, every registration is stored exactly once.

use std::time::Duration;

use kiosk_core::ids::Timestamp;
use kiosk_core::protocol::enrollment::EnrollmentCode;
use kiosk_core::sync::{BatchLimits, HttpTransport, NoListener, sync};
use kiosk_sync_server::storage::SqliteStore;
use kiosk_sync_server::storage::prelude::*;

mod support {
    pub mod relay_process;
}
use support::relay_process::{admin, spawn_relay};

fn start_relay(data_dir: &std::path::Path) -> (std::process::Child, String) {
    spawn_relay(data_dir, "serve")
}

#[test]
fn sigkill_mid_batch_then_retries_store_every_registration_exactly_once() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("relay");
    // The demo command publishes the demo event; stop it and serve the same data.
    let (mut demo, _) = spawn_relay(&data, "demo");
    demo.kill().expect("stops");
    demo.wait().expect("reaped");
    let code = EnrollmentCode::parse(&admin(
        &data,
        &[
            "create-code",
            "--event",
            kiosk_core::demo::DEMO_EVENT_ID,
            "--uses",
            "1",
        ],
    ))
    .expect("a code");

    let (mut relay, mut url) = start_relay(&data);
    let device =
        kiosk_core::generator::demo_kiosk(&dir.path().join("kiosk.sqlite3")).expect("opens");
    device
        .enroll(&code, &HttpTransport::new(&url))
        .expect("enrolls");
    const TOTAL: u64 = 300;
    kiosk_core::generator::capture_generated(&device, TOTAL as usize, 5).expect("captured");

    let limits = BatchLimits {
        max_documents: 25,
        max_bytes: 1 << 20,
    };
    let mut kills = 0;
    let mut interrupted = 0;
    for round in 0..5u64 {
        // Kill the relay while a sync is under way, a little later each round.
        let pid = relay.id();
        let delay = Duration::from_millis(5 + round * 17);
        let killer = std::thread::spawn(move || {
            std::thread::sleep(delay);
            let _ = std::process::Command::new("kill")
                .args(["-KILL", &pid.to_string()])
                .status();
        });
        let _ = sync(
            &device,
            &HttpTransport::new(&url),
            &NoListener,
            limits,
            Timestamp::now,
        );
        killer.join().expect("killer");
        relay.wait().expect("reaped");
        kills += 1;
        let counts = device.state_counts().expect("counts");
        assert_eq!(counts.deleted, 0, "nothing erased without a receipt");
        if counts.received < TOTAL {
            interrupted += 1;
        }
        (relay, url) = start_relay(&data);
    }
    let report = sync(
        &device,
        &HttpTransport::new(&url),
        &NoListener,
        limits,
        Timestamp::now,
    )
    .expect("final sync");
    relay.kill().expect("stops");
    relay.wait().expect("reaped");

    let counts = device.state_counts().expect("counts");
    assert_eq!(
        (counts.captured, counts.sent, counts.received),
        (0, 0, TOTAL),
        "all receipted"
    );
    let store = SqliteStore::open(&data.join("relay.sqlite3")).expect("opens");
    let relay_counts = store.counts().expect("counts");
    assert_eq!(
        relay_counts.registrations, TOTAL,
        "each stored exactly once"
    );
    assert_eq!(relay_counts.quarantined, 0);
    assert_eq!(
        report.relay_journal,
        Some(device.journal_head().expect("head")),
        "the relay's chain matches"
    );
    assert_eq!(kills, 5);
    assert!(
        interrupted > 0,
        "at least one kill landed before the sync finished"
    );
}
