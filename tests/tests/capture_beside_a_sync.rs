//! A tablet's store shared by two processes, as a kiosk shell and a background sync share
//! it: `kiosk-device capture` runs beside `kiosk-device sync` on the same store, and no
//! capture (a visitor's submission) and no sync fails with "database is locked". At the end
//! every capture has its receipt. Loop counts are bounded.

mod support {
    pub mod device_cli;
}

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use kiosk_core::protocol::enrollment::EnrolledRole;
use kiosk_tests::{FileRelay, demo_code, file_relay};
use support::device_cli::{device_cli, stdout_of};

/// Capture runs, each of `PER_CAPTURE` visitors.
const CAPTURES: usize = 12;
const PER_CAPTURE: usize = 20;
/// Syncs run beside them: at least one, at most this many.
const MAX_SYNCS: usize = 200;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn captures_and_syncs_from_two_processes_on_one_store_all_succeed() {
    let FileRelay {
        dir, store, server, ..
    } = file_relay().await;
    let url = server.url();
    let code = demo_code(store.as_ref(), EnrolledRole::Kiosk, 1, 3_600_000).display();
    let relay = store.clone();
    tokio::task::spawn_blocking(move || {
        let tablet = dir.path().join("kiosk-device.sqlite3");
        stdout_of(&device_cli(&tablet, &["init"]));
        stdout_of(&device_cli(
            &tablet,
            &["enroll", "--relay", &url, "--code", &code],
        ));
        let capturing_done = Arc::new(AtomicBool::new(false));
        let syncing = {
            let (tablet, url, done) = (tablet.clone(), url.clone(), capturing_done.clone());
            std::thread::spawn(move || {
                let mut syncs = 0;
                while syncs == 0 || (!done.load(Ordering::Relaxed) && syncs < MAX_SYNCS) {
                    let output = device_cli(&tablet, &["sync", "--relay", &url]);
                    assert!(
                        output.status.success(),
                        "sync {syncs} failed beside a capture: {}",
                        String::from_utf8_lossy(&output.stderr)
                    );
                    syncs += 1;
                }
                syncs
            })
        };
        for run in 0..CAPTURES {
            let seed = (run + 1).to_string();
            let per = PER_CAPTURE.to_string();
            let output = device_cli(&tablet, &["capture", "--demo", &per, "--seed", &seed]);
            assert!(
                output.status.success(),
                "capture run {run} failed beside a sync: {}",
                String::from_utf8_lossy(&output.stderr)
            );
        }
        capturing_done.store(true, Ordering::Relaxed);
        let syncs = syncing.join().expect("every sync succeeded");
        assert!(syncs > 0);
        stdout_of(&device_cli(&tablet, &["sync", "--relay", &url]));
        let total = CAPTURES * PER_CAPTURE;
        let closed = stdout_of(&device_cli(&tablet, &["close"]));
        assert!(
            closed.contains(&format!("{total} captured / {total} received")),
            "{closed}"
        );
        assert_eq!(relay.counts().expect("counts").registrations, total as u64);
    })
    .await
    .expect("tablet thread");
    server.stop().await.expect("stops");
}
