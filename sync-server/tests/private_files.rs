//! Under a umask of 022 (files 0644, folders 0755 by default) the relay's data directory
//! and every folder in it are 0700 and every file it writes is 0600: the database and its
//! `-wal` and `-shm`, the keys, the lock file, access-log checkpoints (daily and by
//! command), backups and the store a restore sets aside. What an older version left open is made private at the next start
//! and the log says so.

use std::io::{BufRead, BufReader};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::Duration;

const RELAY: &str = env!("CARGO_BIN_EXE_kiosk-sync-server");

/// `kiosk-sync-server --data-dir DATA args…` started through `sh` with umask 022.
fn under_umask_022(data: &Path, args: &[&str]) -> Command {
    let mut command = Command::new("sh");
    command
        .arg("-c")
        .arg("umask 022; exec \"$0\" \"$@\"")
        .arg(RELAY)
        .arg("--data-dir")
        .arg(data)
        .args(args)
        .env_remove("KIOSK_CONFIG")
        .env("RUST_LOG", "warn");
    command
}

/// Starts `subcommand` (demo or serve) on a loopback port and waits for its first line.
fn start(data: &Path, subcommand: &str) -> Child {
    let mut child = under_umask_022(data, &[subcommand, "--listen", "127.0.0.1:0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("relay starts");
    let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
    // Log lines may come first.
    lines
        .by_ref()
        .map(|line| line.expect("utf-8"))
        .find(|line| line.contains("http://"))
        .expect("the relay prints its address");
    std::thread::spawn(move || lines.for_each(drop));
    child
}

fn stop(mut child: Child) {
    child.kill().expect("stops");
    child.wait().expect("reaped");
}

fn run(data: &Path, args: &[&str]) -> Output {
    let output = under_umask_022(data, args).output().expect("runs");
    assert!(
        output.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

fn mode(path: &Path) -> u32 {
    std::fs::symlink_metadata(path)
        .expect("stat")
        .permissions()
        .mode()
        & 0o777
}

/// Every path under `dir` (itself included) with its mode.
fn modes_under(dir: &Path) -> Vec<(PathBuf, bool, u32)> {
    let mut found = vec![(dir.to_owned(), true, mode(dir))];
    for entry in std::fs::read_dir(dir).expect("lists") {
        let path = entry.expect("entry").path();
        if path.is_dir() {
            found.extend(modes_under(&path));
        } else {
            found.push((path.clone(), false, mode(&path)));
        }
    }
    found
}

fn assert_private(dir: &Path) -> Vec<String> {
    let found = modes_under(dir);
    let open: Vec<String> = found
        .iter()
        .filter(|(_, is_dir, mode)| *mode != if *is_dir { 0o700 } else { 0o600 })
        .map(|(path, _, mode)| format!("{} {mode:o}", path.display()))
        .collect();
    assert!(open.is_empty(), "open to other users: {open:?}");
    found
        .iter()
        .filter_map(|(path, _, _)| path.strip_prefix(dir).ok())
        .map(|p| p.display().to_string())
        .collect()
}

/// Waits (bounded) until `done` holds.
fn wait_for(what: &str, done: impl Fn() -> bool) {
    for _ in 0..600 {
        if done() {
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("{what} did not happen");
}

#[test]
fn every_file_the_relay_writes_is_private_whatever_the_umask() {
    let root = tempfile::tempdir().expect("tempdir");
    let data = root.path().join("relay-data");
    stop(start(&data, "demo"));
    let relay = start(&data, "serve");
    let checkpoints = data.join("access-checkpoints");
    wait_for("the start checkpoint", || {
        std::fs::read_dir(&checkpoints).is_ok_and(|mut d| d.next().is_some())
    });
    let backups = root.path().join("backups");
    std::fs::create_dir(&backups).expect("creates");
    let backup = backups.join("relay-backup.sqlite3");
    run(&data, &["backup", "--to", backup.to_str().expect("utf-8")]);
    let manual = checkpoints.join("by-hand.checkpoint");
    run(
        &data,
        &[
            "access-log-checkpoint",
            "--to",
            manual.to_str().expect("utf-8"),
        ],
    );
    let names = assert_private(&data);
    for expected in [
        "relay.sqlite3",
        "relay.sqlite3-wal",
        "relay.sqlite3-shm",
        "relay.lock",
        "access-checkpoints",
        "access-checkpoints/by-hand.checkpoint",
    ] {
        assert!(
            names.iter().any(|n| n == expected),
            "{expected} not among {names:?}"
        );
    }
    assert!(
        names.len() >= 9,
        "the keys and the daily checkpoint too: {names:?}"
    );
    assert_eq!(mode(&backup), 0o600, "the backup");
    stop(relay);

    // A restore sets the replaced store aside beside the new one: as private as the store.
    run(
        &data,
        &["restore", "--from", backup.to_str().expect("utf-8")],
    );
    let names = assert_private(&data);
    assert!(
        names.iter().any(|n| n.contains(".before-restore-")),
        "the replaced store is kept: {names:?}"
    );
}

#[test]
fn files_an_older_relay_left_open_are_made_private_at_the_next_start_and_logged() {
    let root = tempfile::tempdir().expect("tempdir");
    let data = root.path().join("relay-data");
    stop(start(&data, "demo"));
    std::fs::create_dir_all(data.join("access-checkpoints")).expect("creates");
    std::fs::write(data.join("access-checkpoints/old.checkpoint"), b"x").expect("writes");
    for (path, bits) in [
        (data.clone(), 0o755),
        (data.join("relay.sqlite3"), 0o644),
        (data.join("access-checkpoints"), 0o755),
        (data.join("access-checkpoints/old.checkpoint"), 0o644),
    ] {
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(bits)).expect("chmod");
    }
    let output = run(&data, &["access-log", "--limit", "1"]);
    let log = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(log.contains("made private"), "{log}");
    assert!(log.contains("old.checkpoint"), "{log}");
    assert_private(&data);
}
