//! The README's walk-through with the `kiosk-device` CLI, against a real relay: init,
//! enroll with the printed code, capture, sync, close with N captured / N received; then a
//! revoked tablet wipes itself once everything it holds has a receipt.

mod support {
    pub mod device_cli;
}

use kiosk_core::protocol::enrollment::EnrolledRole;
use kiosk_sync_server::now_ms;
use kiosk_tests::{Backend, FileRelay, demo_code, file_relay, file_relay_on};
use support::device_cli::{device_cli, stdout_of};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_newcomer_follows_the_readme_from_enrollment_to_a_closed_event_and_a_wipe() {
    // SQLite-only: the wipe waits for the relay's backup, and `backup` copies the SQLite
    // file (on PostgreSQL the operator's own tools back the database up).
    let relay = file_relay_on(Backend::Sqlite).await;
    let sqlite = relay.sqlite().clone();
    let FileRelay {
        dir, store, server, ..
    } = relay;
    let url = server.url();
    let code = demo_code(store.as_ref(), EnrolledRole::Kiosk, 1, 3_600_000).display();

    let relay = store.clone();
    let backup_dir = tempfile::tempdir().expect("tempdir");
    tokio::task::spawn_blocking(move || {
        let tablet = dir.path().join("kiosk-device.sqlite3");
        let init = stdout_of(&device_cli(&tablet, &["init"]));
        let device_id = init
            .lines()
            .find_map(|l| l.strip_prefix("device "))
            .expect("init prints the device id")
            .trim()
            .to_owned();
        stdout_of(&device_cli(
            &tablet,
            &["enroll", "--relay", &url, "--code", &code],
        ));
        stdout_of(&device_cli(&tablet, &["capture", "--demo", "5"]));

        let before_sync = device_cli(&tablet, &["close"]);
        assert!(!before_sync.status.success(), "not closed before a sync");
        assert!(String::from_utf8_lossy(&before_sync.stdout).contains("5 captured / 0 received"));

        let synced = stdout_of(&device_cli(&tablet, &["sync", "--relay", &url]));
        assert!(synced.contains("5 received"), "{synced}");
        let closed = stdout_of(&device_cli(&tablet, &["close"]));
        assert!(closed.contains("5 captured / 5 received"), "{closed}");
        assert!(
            closed.contains("complete: the relay holds everything"),
            "{closed}"
        );
        assert_eq!(relay.counts().expect("counts").registrations, 5);
        // The relay's log checkpoint is held, and there is no fork to show evidence of.
        let status = stdout_of(&device_cli(&tablet, &["status"]));
        assert!(status.contains("log       checkpoint of"), "{status}");
        let evidence = device_cli(&tablet, &["log-evidence"]);
        assert!(!evidence.status.success(), "no fork, no evidence");
        assert!(
            String::from_utf8_lossy(&evidence.stderr).contains("saw no fork"),
            "{}",
            String::from_utf8_lossy(&evidence.stderr)
        );

        // Provable from both sides: the relay received five and computed the same journal
        // head the tablet shows.
        let key: [u8; 32] = hex::decode(&device_id)
            .expect("hex")
            .try_into()
            .expect("32 bytes");
        let report = relay
            .device_report(&key)
            .expect("reads")
            .expect("known device");
        assert_eq!((report.received, report.journal.count), (5, 5));
        assert!(
            closed.contains(&format!(
                "this tablet: 5 entries, head {}",
                report.journal.short()
            )),
            "{closed}"
        );
        assert!(relay.revoke_device(&key, now_ms()).expect("revokes"));
        stdout_of(&device_cli(
            &tablet,
            &["capture", "--demo", "2", "--seed", "9"],
        ));
        let waiting = stdout_of(&device_cli(&tablet, &["sync", "--relay", &url]));
        assert!(waiting.contains("7 not yet backed up"), "{waiting}");
        assert!(
            tablet.exists(),
            "no wipe before a relay backup holds everything"
        );
        sqlite
            .backup(&backup_dir.path().join("relay-backup.sqlite3"))
            .expect("backs up");
        let wiped = stdout_of(&device_cli(&tablet, &["sync", "--relay", &url]));
        assert!(wiped.contains("7 sealed cop(ies) erased"), "{wiped}");
        assert!(wiped.contains("erased its store and data key"), "{wiped}");
        assert!(!tablet.exists(), "the store is gone");
        assert_eq!(
            relay.counts().expect("counts").quarantined,
            2,
            "the revoked tablet's last captures are kept apart at the relay, not lost"
        );
    })
    .await
    .expect("tablet thread");
    server.stop().await.expect("stops");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_recruiter_follows_the_readme_on_a_staff_tablet() {
    let FileRelay {
        dir, store, server, ..
    } = file_relay().await;
    let url = server.url();
    let kiosk_code = demo_code(store.as_ref(), EnrolledRole::Kiosk, 1, 3_600_000);
    let staff_code = kiosk_tests::staff_code(store.as_ref(), "anna").display();

    let relay = store.clone();
    tokio::task::spawn_blocking(move || {
        let kiosk = kiosk_tests::tablet();
        let transport = kiosk_core::sync::HttpTransport::new(&url);
        kiosk
            .device
            .enroll(&kiosk_code, &transport)
            .expect("kiosk enrolls");
        kiosk_core::generator::capture_generated(&kiosk.device, 4, 5).expect("captured");
        kiosk_tests::sync_now(&kiosk.device, &transport).expect("kiosk syncs");

        let tablet = dir.path().join("staff.sqlite3");
        let pin = "482913";
        stdout_of(&device_cli(&tablet, &["init", "--role", "staff"]));
        stdout_of(&device_cli(&tablet, &["set-pin", "--pin", pin]));
        stdout_of(&device_cli(
            &tablet,
            &["enroll", "--relay", &url, "--code", &staff_code],
        ));
        // The generator's visitors include one with protected personal data: never pulled.
        let mut generator =
            kiosk_core::generator::RegistrationGenerator::new(kiosk_core::demo::demo_event(), 5);
        let open = (0..4)
            .filter(|_| !generator.next_input().0.protected_personal_data)
            .count();
        assert!(open < 4, "the seed captures a restricted registration too");
        let pulled = stdout_of(&device_cli(&tablet, &["sync", "--relay", &url]));
        assert!(
            pulled.contains(&format!("{open} registration(s) pulled")),
            "{pulled}"
        );

        let staff = |args: &[&str]| {
            let mut all = vec!["staff", "--pin", pin];
            all.extend_from_slice(args);
            device_cli(&tablet, &all)
        };
        let list = stdout_of(&staff(&["list"]));
        assert!(list.contains(&format!("{open} registration(s)")), "{list}");
        let id = list
            .lines()
            .next()
            .and_then(|l| l.split_whitespace().next())
            .expect("list starts with an id")
            .to_owned();
        let shown = stdout_of(&staff(&["show", "--id", &id]));
        assert!(shown.contains("status    Ny / New"), "{shown}");
        stdout_of(&staff(&["note", "--id", &id, "--text", "Ring på måndag"]));
        stdout_of(&staff(&["rate", "--id", &id, "--score", "4"]));
        stdout_of(&staff(&["status", "--id", &id, "--set", "shortlisted"]));
        let refused = staff(&["rate", "--id", &id, "--score", "9"]);
        assert!(!refused.status.success(), "a rating of 9 is refused");
        let wrong_pin = device_cli(&tablet, &["staff", "--pin", "000111", "list"]);
        assert!(!wrong_pin.status.success(), "a wrong PIN opens nothing");

        let pushed = stdout_of(&device_cli(&tablet, &["sync", "--relay", &url]));
        assert!(pushed.contains("1 edited registration(s) sent"), "{pushed}");
        let shown = stdout_of(&staff(&["show", "--id", &id]));
        assert!(shown.contains("anna: 4"), "{shown}");
        assert!(shown.contains("anna: Ring på måndag"), "{shown}");
        assert!(!shown.contains("not yet sent"), "{shown}");

        let stored = relay
            .stored_registration(&id)
            .expect("reads")
            .expect("held");
        let (document, _) =
            kiosk_core::documents::RegistrationDocument::load_unattributed(&stored.changes)
                .expect("loads");
        let annotations = document.annotations().expect("reads");
        assert_eq!(annotations.ratings.get("anna"), Some(&4));
        assert_eq!(annotations.notes.len(), 1);
        assert_eq!(
            annotations.status,
            kiosk_core::annotations::RecordStatus::Shortlisted
        );
    })
    .await
    .expect("tablet thread");
    server.stop().await.expect("stops");
}
