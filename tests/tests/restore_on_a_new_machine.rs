//! The README's runbook "Restore the relay on a new machine", as an operator runs it: a
//! relay with an enrolled tablet and its registrations takes a scheduled, verified backup
//! (`serve --backup-dir`), its keys are exported (`export-keys`); a fresh data directory
//! gets `import-keys` and `restore`, and the relay started on it serves the same tablet:
//! the tablet's sync is answered and signed by the key it enrolled with, and its close
//! report is complete. A damaged backup is refused at `restore`, and a relay restored
//! without the exported keys refuses to start, before it makes any key, naming the log key
//! to restore from the key export (a relay with new keys would be refused by every tablet
//! and read as a fork by every witness; the database records its log key, and a database
//! from before that record is refused once its log holds more than the upgrade's
//! `accepted-before-log` leaves); `import-keys` then restores the keys and the relay starts.
//! A real relay process and the `kiosk-device` CLI.
//!
//! SQLite-only, whatever `KIOSK_TEST_STORE` says: scheduled backups and `restore` copy the
//! SQLite file.

mod support {
    pub mod device_cli;
    pub mod relay_cli;
}

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use kiosk_sync_server::scheduled_backup::newest_verified_backup;
use support::device_cli::{device_cli, stdout_of};
use support::relay_cli::{RelayProcess, admin_ok, relay_admin};

/// How long the first scheduled backup may take to appear after `serve` starts.
const BACKUP_TIMEOUT: Duration = Duration::from_secs(60);

fn path_arg(path: &Path) -> &str {
    path.to_str().expect("utf-8 path")
}

fn text(output: &std::process::Output) -> (String, String) {
    (
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

/// `serve` on `data_dir` with scheduled backups into `backups`; killed when dropped.
struct Serving {
    child: Child,
    url: String,
}

impl Serving {
    fn start(data_dir: &Path, backups: &Path) -> Serving {
        let mut child = Command::new(env!("CARGO_BIN_EXE_kiosk-sync-server-e2e"))
            .arg("--data-dir")
            .arg(data_dir)
            .args(["serve", "--listen", "127.0.0.1:0", "--backup-dir"])
            .arg(backups)
            .args(["--backup-every", "1h", "--backup-keep", "2"])
            .env("KIOSK_LOG", "error")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("the relay starts");
        let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
        let mut url = None;
        // Bounded: it is the first line `serve` prints; the loop ends when the process does.
        for _ in 0..50 {
            let Some(Ok(line)) = lines.next() else { break };
            if let Some(rest) = line.strip_prefix("Kiosk relay on ") {
                url = rest.split(',').next().map(str::to_owned);
                break;
            }
        }
        std::thread::spawn(move || lines.for_each(drop));
        Serving {
            child,
            url: url.expect("serve prints its address"),
        }
    }
}

impl Drop for Serving {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// How long a relay refused at start may take to exit.
const REFUSAL_TIMEOUT: Duration = Duration::from_secs(60);

/// `serve` on `data_dir`, which must exit refused within [`REFUSAL_TIMEOUT`]: what it said.
fn refused_start(data_dir: &Path) -> String {
    let mut child = Command::new(env!("CARGO_BIN_EXE_kiosk-sync-server-e2e"))
        .arg("--data-dir")
        .arg(data_dir)
        .args(["serve", "--listen", "127.0.0.1:0"])
        .env("KIOSK_LOG", "error")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the relay starts");
    let deadline = Instant::now() + REFUSAL_TIMEOUT;
    let status = loop {
        if let Some(status) = child.try_wait().expect("waits") {
            break status;
        }
        if Instant::now() >= deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("the relay was not refused within {REFUSAL_TIMEOUT:?}");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let mut said = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().expect("stderr"), &mut said)
        .expect("reads");
    assert!(!status.success(), "refused: {said}");
    said
}

/// Polls the data directory's backup record until a verified backup counts, for at most
/// [`BACKUP_TIMEOUT`].
fn wait_for_backup(data_dir: &Path) -> PathBuf {
    let deadline = Instant::now() + BACKUP_TIMEOUT;
    loop {
        if let Some((_, path)) = newest_verified_backup(data_dir) {
            return path;
        }
        assert!(
            Instant::now() < deadline,
            "no verified backup within {BACKUP_TIMEOUT:?}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn capture(store: &Path, count: u32, seed: u32) {
    stdout_of(&device_cli(
        store,
        &[
            "capture",
            "--demo",
            &count.to_string(),
            "--seed",
            &seed.to_string(),
        ],
    ));
}

fn sync(store: &Path, url: &str) -> String {
    stdout_of(&device_cli(store, &["sync", "--relay", url]))
}

#[test]
fn a_relay_restored_on_a_new_machine_from_a_backup_and_its_exported_keys_serves_the_same_tablets() {
    let old_machine = tempfile::tempdir().expect("tempdir");
    let new_machine = tempfile::tempdir().expect("tempdir");
    let offline = tempfile::tempdir().expect("tempdir");
    let tablets = tempfile::tempdir().expect("tempdir");
    let data = old_machine.path().join("kiosk-data");
    let backups = old_machine.path().join("backups");

    // A relay with an enrolled kiosk and its registrations.
    let relay = RelayProcess::start(&data);
    let tablet = tablets.path().join("kiosk.sqlite3");
    stdout_of(&device_cli(&tablet, &["init"]));
    stdout_of(&device_cli(
        &tablet,
        &["enroll", "--relay", &relay.url, "--code", &relay.kiosk_code],
    ));
    capture(&tablet, 5, 1);
    assert!(sync(&tablet, &relay.url).contains("5 received"));
    relay.stop();

    // Served with scheduled backups: the first is taken at start, verified, and counts,
    // so the tablet erases its sealed copies at its next sync.
    let serving = Serving::start(&data, &backups);
    let backup = wait_for_backup(&data);
    assert!(backup.starts_with(&backups), "{}", backup.display());
    let synced = sync(&tablet, &serving.url);
    assert!(
        synced.contains("5 sealed cop(ies) erased: a relay backup holds them"),
        "{synced}"
    );
    drop(serving);

    // The keys, exported under a passphrase and kept apart from the backups.
    let passphrase = offline.path().join("passphrase");
    std::fs::write(&passphrase, "hästen batteri häftklammer rätt\n").expect("writes");
    let exported = offline.path().join("relay-keys.age");
    let said = admin_ok(
        &data,
        &[
            "export-keys",
            "--to",
            path_arg(&exported),
            "--passphrase-file",
            path_arg(&passphrase),
        ],
    );
    assert!(said.contains("relay keys written"), "{said}");

    // The old machine is gone; the backup and the exported keys are what is left.
    let kept_backup = new_machine.path().join("relay-backup.sqlite3");
    std::fs::copy(&backup, &kept_backup).expect("copies");
    drop(old_machine);
    let fresh = new_machine.path().join("kiosk-data");

    // A damaged copy of the backup is refused, with what is wrong, and nothing replaced.
    let damaged = new_machine.path().join("damaged.sqlite3");
    let mut bytes = std::fs::read(&kept_backup).expect("reads");
    let page = 4096;
    assert!(bytes.len() > 3 * page, "a backup of several pages");
    // Two whole pages overwritten, as a failing disk returns them.
    let middle = bytes.len() / page / 2;
    for index in [1, middle] {
        bytes[index * page..(index + 1) * page].fill(0xff);
    }
    std::fs::write(&damaged, &bytes).expect("writes");
    let refused = relay_admin(&fresh, &["restore", "--from", path_arg(&damaged)]);
    let (said, error) = text(&refused);
    assert!(!refused.status.success(), "{said}");
    assert!(
        error.contains(path_arg(&damaged))
            && (error.contains("damaged") || error.contains("malformed")),
        "{error}"
    );
    assert!(
        !fresh.join("relay.sqlite3").exists(),
        "nothing put in place"
    );

    // A wrong passphrase imports nothing.
    let wrong = new_machine.path().join("wrong");
    std::fs::write(&wrong, "fel lösenfras, helt fel\n").expect("writes");
    let refused = relay_admin(
        &fresh,
        &[
            "import-keys",
            "--from",
            path_arg(&exported),
            "--passphrase-file",
            path_arg(&wrong),
        ],
    );
    let (said, error) = text(&refused);
    assert!(!refused.status.success(), "{said}");
    assert!(error.contains("wrong passphrase"), "{error}");
    assert!(!fresh.join("relay-signing.key").exists());

    // The runbook: import the keys, restore the backup, start the relay.
    let said = admin_ok(
        &fresh,
        &[
            "import-keys",
            "--from",
            path_arg(&exported),
            "--passphrase-file",
            path_arg(&passphrase),
        ],
    );
    assert!(said.contains("relay keys imported"), "{said}");
    admin_ok(&fresh, &["restore", "--from", path_arg(&kept_backup)]);
    let relay = RelayProcess::start(&fresh);

    // The tablet enrolled on the old machine syncs with the new one: its answers verify
    // against the relay key it enrolled with, and the relay holds its whole journal.
    capture(&tablet, 2, 2);
    let synced = sync(&tablet, &relay.url);
    assert!(synced.contains("2 received"), "{synced}");
    let close = stdout_of(&device_cli(&tablet, &["close"]));
    assert!(
        close.contains("complete: the relay holds everything"),
        "{close}"
    );
    relay.stop();

    // Without the exported keys, the same backup on yet another machine would make a relay
    // with new keys, which every tablet refuses and every witness reads as a fork: it is
    // refused at start, naming the log key and where to restore it from.
    let keyless = new_machine.path().join("keyless-data");
    admin_ok(&keyless, &["restore", "--from", path_arg(&kept_backup)]);
    let said = refused_start(&keyless);
    assert!(
        said.contains("relay-log.key is missing") && said.contains("export-keys"),
        "{said}"
    );
    for made in [
        "relay-log.key",
        "relay-signing.key",
        "relay-sealing.seed",
        "relay-receipt.key",
    ] {
        assert!(
            !keyless.join(made).exists(),
            "no {made} is made before the refusal"
        );
    }
    // The recovery the refusal names works: the key export imports into the refused data
    // directory (it holds no keys of its own), and the relay then starts and serves the
    // tablet enrolled on the first machine.
    let said = admin_ok(
        &keyless,
        &[
            "import-keys",
            "--from",
            path_arg(&exported),
            "--passphrase-file",
            path_arg(&passphrase),
        ],
    );
    assert!(said.contains("relay keys imported"), "{said}");
    let relay = RelayProcess::start(&keyless);
    let synced = sync(&tablet, &relay.url);
    assert!(synced.contains("received"), "{synced}");
    relay.stop();
}
