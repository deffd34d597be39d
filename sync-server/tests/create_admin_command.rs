//! The relay's `create-admin` command: the first HR administrator gets a one-time password,
//! printed once, that opens only a password change; there is no default password, and a
//! taken username is refused without touching the first account.

use std::path::Path;
use std::process::{Command, Output};

use kiosk_sync_server::hr::accounts::Role;
use kiosk_sync_server::storage::SqliteStore;
use kiosk_sync_server::storage::prelude::*;

fn create_admin(data_dir: &Path, username: &str) -> Output {
    Command::new(env!("CARGO_BIN_EXE_kiosk-sync-server"))
        .arg("--data-dir")
        .arg(data_dir)
        .args([
            "create-admin",
            "--username",
            username,
            "--name",
            "Första Admin",
        ])
        .env("RUST_LOG", "error")
        .output()
        .expect("runs")
}

#[test]
fn the_first_admin_gets_a_one_time_password_and_a_taken_name_is_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    let first = create_admin(dir.path(), "forsta.admin");
    assert!(first.status.success(), "{first:?}");
    let stdout = String::from_utf8_lossy(&first.stdout);
    let one_time = stdout
        .lines()
        .nth(1)
        .map(str::trim)
        .expect("the password on its own line");
    assert_eq!(one_time.len(), 23, "{stdout}");

    let store = SqliteStore::open(&dir.path().join("relay.sqlite3")).expect("store");
    let (user, password) = store
        .hr_user_by_username("forsta.admin")
        .expect("read")
        .expect("created");
    assert_eq!(user.roles, vec![Role::Admin]);
    assert!(user.must_change_password, "the password is one-time");
    assert!(password.matches(one_time));
    drop(store);

    let again = create_admin(dir.path(), "forsta.admin");
    assert!(!again.status.success());
    let stderr = String::from_utf8_lossy(&again.stderr);
    assert!(stderr.contains("username is taken"), "{stderr}");
    let store = SqliteStore::open(&dir.path().join("relay.sqlite3")).expect("store");
    let (_, password) = store
        .hr_user_by_username("forsta.admin")
        .expect("read")
        .expect("kept");
    assert!(password.matches(one_time), "the first account is untouched");

    let bad = create_admin(dir.path(), "Not Valid");
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("username"));
}
