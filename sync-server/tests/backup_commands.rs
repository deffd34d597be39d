//! The relay's `backup` and `restore` commands on a running relay's data directory: a
//! backup is taken while the relay serves; a restore refuses to replace the store under a
//! running relay, and puts the backup in place once it is stopped.

mod support {
    pub mod relay_process;
}

use std::process::Command;

use support::relay_process::{admin, spawn_relay};

#[test]
fn a_backup_runs_beside_the_relay_and_a_restore_waits_for_it_to_stop() {
    let data = tempfile::tempdir().expect("tempdir");
    let backups = tempfile::tempdir().expect("tempdir");
    let (mut relay, _url) = spawn_relay(data.path(), "demo");
    let target = backups.path().join("relay-backup.sqlite3");
    let printed = admin(
        data.path(),
        &["backup", "--to", target.to_str().expect("utf-8 path")],
    );
    assert!(printed.contains("backed up to"), "{printed}");
    assert!(target.exists());

    let refused = Command::new(env!("CARGO_BIN_EXE_kiosk-sync-server"))
        .arg("--data-dir")
        .arg(data.path())
        .args(["restore", "--from"])
        .arg(&target)
        .output()
        .expect("runs");
    assert!(!refused.status.success());
    assert!(
        String::from_utf8_lossy(&refused.stderr).contains("stop it first"),
        "{}",
        String::from_utf8_lossy(&refused.stderr)
    );

    relay.kill().expect("stops");
    relay.wait().expect("exits");
    let printed = admin(
        data.path(),
        &["restore", "--from", target.to_str().expect("utf-8 path")],
    );
    assert!(printed.contains("as epoch"), "{printed}");
    assert!(printed.contains("moved to"), "{printed}");
    let (mut relay, _url) = spawn_relay(data.path(), "demo");
    relay.kill().expect("stops");
    relay.wait().expect("exits");
}
