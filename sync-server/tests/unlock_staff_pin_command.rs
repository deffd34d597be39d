//! The relay's `unlock-staff-pin` command on a relay's data directory: a staff tablet gets an
//! unlock the relay signed for it, with a counter that rises each time, as code text the
//! tablet reads back; a kiosk or a revoked tablet gets none, and the command fails.
//! (An unknown device and a garbled id: see `access_log_and_unlock_commands.rs`.)

use std::path::Path;
use std::process::{Command, Output};

use kiosk_core::protocol::enrollment::EnrolledRole;
use kiosk_core::protocol::{Command as DeviceCommand, open_command};
use kiosk_core::staff_unlock::parse_unlock_code;
use kiosk_sync_server::keys::RelayKeys;
use kiosk_sync_server::storage::prelude::*;
use kiosk_sync_server::storage::{SqliteStore, enroll_for_tests};

const STAFF: [u8; 32] = [1; 32];
const KIOSK: [u8; 32] = [2; 32];

fn unlock_staff_pin(data_dir: &Path, device: &[u8; 32]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_kiosk-sync-server"))
        .arg("--data-dir")
        .arg(data_dir)
        .args(["unlock-staff-pin", "--device", &hex::encode(device)])
        .env("RUST_LOG", "error")
        .output()
        .expect("runs")
}

/// Enrolls `STAFF` as a staff tablet and `KIOSK` as a kiosk in the relay's store.
fn enroll(data_dir: &Path) -> SqliteStore {
    let store = SqliteStore::open(&data_dir.join("relay.sqlite3")).expect("store");
    let event = "demo-event";
    enroll_for_tests(
        &store,
        STAFF,
        event,
        EnrolledRole::Staff,
        Some("recruiter-1"),
    );
    enroll_for_tests(&store, KIOSK, event, EnrolledRole::Kiosk, None);
    store
}

/// The counter of the unlock whose code text the command printed last, checked against the
/// relay's key and the staff tablet's id.
fn printed_counter(output: &Output, keys: &RelayKeys) -> u64 {
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        stdout.contains("next sync") && stdout.contains("new PIN"),
        "{stdout}"
    );
    let code = stdout.lines().last().expect("the code text");
    let command = parse_unlock_code(code).expect("code text");
    let opened =
        open_command(&command, &keys.signing.verifying_key(), &STAFF).expect("relay-signed");
    match opened.command {
        DeviceCommand::UnlockStaffPin { counter } => counter,
        other => panic!("not an unlock: {other:?}"),
    }
}

#[test]
fn a_staff_tablet_gets_a_signed_code_with_a_rising_counter_and_a_kiosk_none() {
    let data = tempfile::tempdir().expect("tempdir");
    let store = enroll(data.path());
    let keys = RelayKeys::load_or_create(data.path()).expect("keys");

    for expected in 1..=2 {
        let output = unlock_staff_pin(data.path(), &STAFF);
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        assert_eq!(printed_counter(&output, &keys), expected);
    }

    let kiosk = unlock_staff_pin(data.path(), &KIOSK);
    assert!(!kiosk.status.success());
    assert!(kiosk.stdout.is_empty(), "no code for a kiosk");
    assert!(
        String::from_utf8_lossy(&kiosk.stderr).contains("no enrolled, unrevoked staff tablet"),
        "{}",
        String::from_utf8_lossy(&kiosk.stderr)
    );

    assert!(store.revoke_device(&STAFF, 1).expect("revokes"));
    let revoked = unlock_staff_pin(data.path(), &STAFF);
    assert!(!revoked.status.success());
    assert!(revoked.stdout.is_empty(), "no code for a revoked tablet");
}
