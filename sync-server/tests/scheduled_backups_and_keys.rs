//! The operator's side of scheduled backups and the relay's keys, through the binary:
//! `serve` refuses scheduled backups of a PostgreSQL store and says what to use instead,
//! and `import-keys` reads its passphrase from standard input when it is not a terminal,
//! refusing a wrong one without writing anything.

use std::io::Write;
use std::process::{Command, Output, Stdio};

fn relay(data_dir: &std::path::Path, args: &[&str], stdin: Option<&str>) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_kiosk-sync-server"))
        .arg("--data-dir")
        .arg(data_dir)
        .args(args)
        .env("KIOSK_LOG", "error")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("runs");
    let mut input = child.stdin.take().expect("stdin");
    if let Some(text) = stdin {
        input.write_all(text.as_bytes()).expect("writes");
    }
    drop(input);
    child.wait_with_output().expect("exits")
}

#[test]
fn scheduled_backups_of_a_postgres_store_are_refused_pointing_to_backup_mark_and_confirm() {
    let data = tempfile::tempdir().expect("tempdir");
    let backups = tempfile::tempdir().expect("tempdir");
    let refused = relay(
        data.path(),
        &[
            "--database-url",
            "postgres://kiosk@127.0.0.1:1/kiosk",
            "serve",
            "--backup-dir",
            backups.path().to_str().expect("utf-8"),
        ],
        None,
    );
    let error = String::from_utf8_lossy(&refused.stderr);
    assert!(!refused.status.success());
    assert!(
        error.contains("backup-mark") && error.contains("backup-confirm"),
        "{error}"
    );
    assert!(
        std::fs::read_dir(data.path())
            .expect("lists")
            .next()
            .is_none(),
        "refused before the data directory is touched"
    );
}

#[test]
fn import_keys_reads_the_passphrase_from_standard_input_and_refuses_a_wrong_one() {
    let old = tempfile::tempdir().expect("tempdir");
    let offline = tempfile::tempdir().expect("tempdir");
    let made = relay(
        old.path(),
        &["device-report", "--device", &"0".repeat(64)],
        None,
    );
    assert!(
        !made.status.success(),
        "no such device, but the keys are made"
    );
    let export = offline.path().join("relay-keys.age");
    let export_arg = export.to_str().expect("utf-8");
    let exported = relay(
        old.path(),
        &["export-keys", "--to", export_arg],
        Some("rätt lösenfras för nycklarna\n"),
    );
    assert!(
        exported.status.success(),
        "{}",
        String::from_utf8_lossy(&exported.stderr)
    );

    let fresh = offline.path().join("new-data");
    let wrong = relay(
        &fresh,
        &["import-keys", "--from", export_arg],
        Some("fel lösenfras\n"),
    );
    let error = String::from_utf8_lossy(&wrong.stderr);
    assert!(!wrong.status.success());
    assert!(
        error.contains("wrong passphrase") && error.contains("fel lösenfras för"),
        "{error}"
    );
    assert!(!fresh.exists(), "nothing written");

    let imported = relay(
        &fresh,
        &["import-keys", "--from", export_arg],
        Some("rätt lösenfras för nycklarna\n"),
    );
    assert!(
        imported.status.success(),
        "{}",
        String::from_utf8_lossy(&imported.stderr)
    );
    for file in ["relay-signing.key", "relay-sealing.seed"] {
        assert_eq!(
            std::fs::read(old.path().join(file)).expect("old"),
            std::fs::read(fresh.join(file)).expect("imported"),
            "{file}"
        );
    }
}
