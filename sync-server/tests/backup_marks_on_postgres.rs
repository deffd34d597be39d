//! The operator's commands that move the backup watermark and the epoch of a store in
//! PostgreSQL (`backup-mark`, `backup-confirm`, `new-epoch`): what they print, what they
//! refuse, and that the SQLite store refuses them.

use std::process::{Command, Output};

use kiosk_sync_server::storage::PgStore;
use kiosk_sync_server::storage::postgres::test_cluster::fresh_database_url;
use kiosk_sync_server::storage::traits::SyncStore;

fn relay(data_dir: &std::path::Path, database_url: Option<&str>, args: &[&str]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_kiosk-sync-server"));
    command.arg("--data-dir").arg(data_dir).args(args);
    command
        .env("RUST_LOG", "error")
        .env_remove("KIOSK_DATABASE_URL");
    if let Some(url) = database_url {
        command.env("KIOSK_DATABASE_URL", url);
    }
    command.output().expect("runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).trim().to_owned()
}

#[test]
fn a_mark_taken_before_a_backup_and_confirmed_after_it_becomes_the_watermark() {
    let url = fresh_database_url();
    let data = tempfile::tempdir().expect("tempdir");
    let store = PgStore::open(&url).expect("opens");

    let marked = relay(data.path(), Some(&url), &["backup-mark"]);
    assert!(marked.status.success(), "{}", text(&marked.stderr));
    let mark = text(&marked.stdout);
    assert!(text(&marked.stderr).contains("backup-confirm --mark"));
    assert_eq!(store.backup_state().expect("state").watermark, None);

    let confirmed = relay(
        data.path(),
        Some(&url),
        &["backup-confirm", "--mark", &mark],
    );
    assert!(confirmed.status.success(), "{}", text(&confirmed.stderr));
    assert!(text(&confirmed.stdout).contains("backup watermark is now 0"));
    assert_eq!(store.backup_state().expect("state").watermark, Some(0));

    // After a point-in-time restore: a new epoch, and the old mark no longer counts.
    let renewed = relay(data.path(), Some(&url), &["new-epoch"]);
    assert!(renewed.status.success(), "{}", text(&renewed.stderr));
    let state = store.backup_state().expect("state");
    assert_eq!(state.watermark, None);
    assert!(text(&renewed.stdout).contains(&hex::encode(state.epoch)));
    let stale = relay(
        data.path(),
        Some(&url),
        &["backup-confirm", "--mark", &mark],
    );
    assert!(!stale.status.success());
    assert!(
        text(&stale.stderr).contains("take a new mark"),
        "{}",
        text(&stale.stderr)
    );
    assert_eq!(store.backup_state().expect("state").watermark, None);
}

#[test]
fn a_garbled_mark_is_refused_naming_the_expected_form_before_the_database_is_opened() {
    let data = tempfile::tempdir().expect("tempdir");
    // No server listens there: the mark is refused before any connection is tried.
    let nowhere = "postgres://kiosk@127.0.0.1:1/kiosk";
    for garbled in ["12", "zz:1", "0123456789abcdef0123456789abcdef:-1", ""] {
        let refused = relay(
            data.path(),
            Some(nowhere),
            &["backup-confirm", "--mark", garbled],
        );
        assert!(!refused.status.success());
        let said = text(&refused.stderr);
        assert!(said.contains("EPOCH:COMMIT"), "{garbled:?}: {said}");
    }
}

#[test]
fn the_sqlite_store_refuses_the_postgres_backup_commands_and_names_its_own() {
    let data = tempfile::tempdir().expect("tempdir");
    for args in [
        vec!["backup-mark"],
        vec![
            "backup-confirm",
            "--mark",
            "0123456789abcdef0123456789abcdef:1",
        ],
        vec!["new-epoch"],
    ] {
        let refused = relay(data.path(), None, &args);
        assert!(!refused.status.success(), "{args:?}");
        let said = text(&refused.stderr);
        assert!(said.contains("SQLite file"), "{args:?}: {said}");
        assert!(
            said.contains("backup and restore commands"),
            "{args:?}: {said}"
        );
    }
    // Nothing was made in the data directory: the command stopped at its settings.
    assert!(!data.path().join("relay.sqlite3").exists());
}
