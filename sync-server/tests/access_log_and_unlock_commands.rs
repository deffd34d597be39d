//! The relay's `verify-access-log`, `access-log`, `remove` and `unlock-staff-pin` commands
//! on a relay's data directory: the chain check passes on an intact log and names the first
//! broken entry of a tampered one; bad arguments get errors that say what was wrong; `serve`
//! writes a signed access-log checkpoint when it starts.

mod support {
    // Shared by several test binaries, each using part of it.
    #[allow(dead_code)]
    pub mod relay_process;
}

use std::path::Path;
use std::process::{Command, Output};

use kiosk_sync_server::storage::{Accessor, SqliteStore};

use kiosk_sync_server::storage::prelude::*;
use support::relay_process::admin;

fn run(data_dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_kiosk-sync-server"))
        .arg("--data-dir")
        .arg(data_dir)
        .args(args)
        .env("RUST_LOG", "error")
        .output()
        .expect("runs")
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[test]
fn an_intact_access_log_verifies_and_a_tampered_one_names_the_broken_entry() {
    let data = tempfile::tempdir().expect("tempdir");
    let database = data.path().join("relay.sqlite3");
    {
        let store = SqliteStore::open(&database).expect("store");
        let reader = Accessor::Operator("hr-officer".into());
        // Reads of registrations the relay does not hold log nothing.
        assert!(
            store
                .read_registration("019ce0a0-6a80-7000-8000-000000000001", &reader, 1)
                .expect("reads")
                .is_none()
        );
    }
    let printed = admin(data.path(), &["verify-access-log"]);
    assert!(
        printed.contains("access log: 0 entries") && printed.contains("chain intact"),
        "{printed}"
    );

    // Entries written straight into the file, as a tampering hand would: hashes that do not
    // chain.
    let conn = rusqlite::Connection::open(&database).expect("opens");
    for seq in 1..=3 {
        conn.execute(
            "INSERT INTO access_log
             (seq, at, actor_kind, actor, recruiter, action, doc_id, previous, hash)
             VALUES (?1, 0, 'operator', 'x', NULL, 'read', 'doc', zeroblob(32), zeroblob(32))",
            [seq],
        )
        .expect("inserts");
    }
    drop(conn);
    let broken = run(data.path(), &["verify-access-log"]);
    assert!(!broken.status.success());
    assert!(
        stderr(&broken).contains("chain broken at entry 1 of 3"),
        "{}",
        stderr(&broken)
    );
    let listed = admin(data.path(), &["access-log", "--after", "1"]);
    assert_eq!(listed.lines().count(), 2, "{listed}");
    assert!(listed.contains("operator x"), "{listed}");
}

#[test]
fn unlock_and_remove_refuse_what_they_cannot_act_on() {
    let data = tempfile::tempdir().expect("tempdir");
    let unknown = run(
        data.path(),
        &["unlock-staff-pin", "--device", &"ab".repeat(32)],
    );
    assert!(!unknown.status.success());
    assert!(
        stderr(&unknown).contains("no enrolled, unrevoked staff tablet"),
        "{}",
        stderr(&unknown)
    );
    let garbled = run(data.path(), &["unlock-staff-pin", "--device", "xyz"]);
    assert!(stderr(&garbled).contains("--device must be 64 hex digits"));

    let not_an_id = run(
        data.path(),
        &["remove", "--registration", "nope", "--reason", "test"],
    );
    assert!(stderr(&not_an_id).contains("not a registration id"));
    let no_reason = run(
        data.path(),
        &[
            "remove",
            "--registration",
            "019ce0a0-6a80-7000-8000-000000000001",
            "--reason",
            " ",
        ],
    );
    assert!(stderr(&no_reason).contains("--reason must say why"));
    let absent = run(
        data.path(),
        &[
            "remove",
            "--registration",
            "019ce0a0-6a80-7000-8000-000000000001",
            "--reason",
            "withdrawn",
        ],
    );
    assert!(!absent.status.success());
    assert!(stderr(&absent).contains("no such registration"));
}

#[test]
fn serve_writes_a_signed_checkpoint_when_it_starts() {
    let data = tempfile::tempdir().expect("tempdir");
    let (mut relay, _url) = support::relay_process::spawn_relay(data.path(), "serve");
    let folder = data.path().join("access-checkpoints");
    // Written just after the relay printed its address: wait for it, up to 30 s (a loaded
    // machine can be slow to get there).
    let mut files = Vec::new();
    for _ in 0..600 {
        files = std::fs::read_dir(&folder)
            .map(|entries| entries.filter_map(Result::ok).map(|e| e.path()).collect())
            .unwrap_or_default();
        if !files.is_empty() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    relay.kill().expect("stops");
    relay.wait().expect("exits");
    assert_eq!(files.len(), 1, "one checkpoint in {}", folder.display());
    let checked = run(
        data.path(),
        &[
            "verify-access-log",
            "--checkpoint",
            files[0].to_str().expect("utf-8"),
        ],
    );
    assert!(checked.status.success(), "{}", stderr(&checked));
}
