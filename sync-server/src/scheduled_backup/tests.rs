use super::*;
use crate::storage::prelude::*;
use crate::storage::suite::fixtures;

/// A store with one enrolled kiosk; returns the store and its device key.
fn store_with_tablet(data_dir: &Path) -> (SqliteStore, [u8; 32]) {
    let store = SqliteStore::open(&data_dir.join("relay.sqlite3")).expect("opens");
    let device = fixtures::enroll(&store, 1)[0];
    (store, device)
}

/// Stores the tablet's `journal_seq`th capture: one more commit for a backup to hold.
fn capture(store: &SqliteStore, device: &[u8; 32], journal_seq: u64) {
    store
        .ingest(&fixtures::batch(
            device,
            journal_seq,
            journal_seq..=journal_seq,
        ))
        .expect("stored");
}

fn schedule(dir: &Path, keep: usize, offsite_only: bool) -> BackupSchedule {
    BackupSchedule {
        dir: dir.to_owned(),
        every: std::time::Duration::from_secs(3600),
        keep,
        offsite_only,
    }
}

fn backups_in(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .expect("lists")
        .map(|e| e.expect("entry").path())
        .collect();
    files.sort();
    files
}

fn watermark(store: &SqliteStore) -> Option<u64> {
    store.backup_state().expect("state").watermark
}

#[test]
fn scheduled_backups_are_verified_counted_and_rotated_to_the_number_kept() {
    let data = tempfile::tempdir().expect("tempdir");
    let backups = data.path().join("backups");
    let (store, device) = store_with_tablet(data.path());
    let mut written = Vec::new();
    for run in 1..=4u64 {
        capture(&store, &device, run);
        let at = 1_800_000_000_000 + run as i64 * 3_600_000;
        let done =
            run_once(&store, data.path(), &schedule(&backups, 2, false), at).expect("backs up");
        assert!(done.not_counted.is_none());
        assert_eq!(
            watermark(&store),
            Some(done.report.watermark),
            "a verified backup advances the watermark"
        );
        assert_eq!(
            verify_backup_file(&done.report.path).expect("verifies"),
            done.report.watermark
        );
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&done.report.path)
                .expect("exists")
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        assert_eq!(
            newest_verified_backup(data.path()),
            Some((at, done.report.path.clone()))
        );
        written.push(done.report.path);
    }
    assert_eq!(
        backups_in(&backups),
        written[2..].to_vec(),
        "the two newest are kept, nothing else is left"
    );

    // An operator's own file in the folder is never rotated away.
    let own = backups.join("before-upgrade.sqlite3");
    std::fs::copy(&written[3], &own).expect("copies");
    // Named like the README's manual backups, which share the prefix: kept too.
    let manual = backups.join("relay-2026-12-06.sqlite3");
    std::fs::copy(&written[3], &manual).expect("copies");
    capture(&store, &device, 5);
    run_once(
        &store,
        data.path(),
        &schedule(&backups, 2, false),
        1_900_000_000_000,
    )
    .expect("backs up");
    assert!(own.exists());
    assert!(manual.exists());
    assert_eq!(backups_in(&backups).len(), 4);
}

#[test]
fn with_offsite_only_a_backup_on_the_data_disk_is_kept_but_lets_no_tablet_erase() {
    let data = tempfile::tempdir().expect("tempdir");
    let (store, device) = store_with_tablet(data.path());
    capture(&store, &device, 1);
    let same_disk = data.path().join("backups");
    // A missing folder (its disk not mounted) is refused, never made on this disk.
    let refused = run_once(
        &store,
        data.path(),
        &schedule(&same_disk, 3, true),
        1_799_000_000_000,
    );
    assert!(refused.is_err(), "{refused:?}");
    assert!(!same_disk.exists(), "not created");
    std::fs::create_dir(&same_disk).expect("the operator makes it");
    let done = run_once(
        &store,
        data.path(),
        &schedule(&same_disk, 3, true),
        1_800_000_000_000,
    )
    .expect("backs up");
    let why = done.not_counted.expect("not counted");
    assert!(why.contains("same filesystem"), "{why}");
    assert!(done.report.path.exists(), "kept, and verified");
    assert_eq!(watermark(&store), None, "tablets keep their copies");
    assert_eq!(newest_verified_backup(data.path()), None);
    assert!(backup_status(data.path()).newest.is_some());

    // Another filesystem (a tmpfs here, where there is one): counted.
    let Some(elsewhere) = other_filesystem(data.path()) else {
        eprintln!("no second filesystem here; the counted half is not exercised");
        return;
    };
    let done = run_once(
        &store,
        data.path(),
        &schedule(elsewhere.path(), 3, true),
        1_800_000_100_000,
    )
    .expect("backs up");
    assert!(done.not_counted.is_none());
    assert_eq!(watermark(&store), Some(done.report.watermark));
}

/// A temporary folder on another filesystem than `than`, if this machine has one.
fn other_filesystem(than: &Path) -> Option<tempfile::TempDir> {
    use std::os::unix::fs::MetadataExt;
    let device = std::fs::metadata(than).ok()?.dev();
    let shm = tempfile::tempdir_in("/dev/shm").ok()?;
    (std::fs::metadata(shm.path()).ok()?.dev() != device).then_some(shm)
}

#[test]
fn a_failed_backup_keeps_the_earlier_ones_and_records_why() {
    let data = tempfile::tempdir().expect("tempdir");
    let backups = data.path().join("backups");
    let (store, device) = store_with_tablet(data.path());
    capture(&store, &device, 1);
    let first = run_once(
        &store,
        data.path(),
        &schedule(&backups, 1, false),
        1_800_000_000_000,
    )
    .expect("backs up");
    let counted = watermark(&store);

    // The next run cannot write its temporary file (a folder is in its way).
    capture(&store, &device, 2);
    let at = 1_800_003_600_000;
    let blocked = backups.join(format!("{}.partial", backup_name(at)));
    std::fs::create_dir(&blocked).expect("blocks");
    let error = run_once(&store, data.path(), &schedule(&backups, 1, false), at)
        .expect_err("fails")
        .to_string();
    assert!(error.contains("cannot create"), "{error}");
    assert!(first.report.path.exists(), "the earlier backup stays");
    assert_eq!(watermark(&store), counted, "nothing new counted");
    assert_eq!(
        newest_verified_backup(data.path()),
        Some((1_800_000_000_000, first.report.path.clone()))
    );
    let (failed_at, why) = last_backup_failure(data.path()).expect("recorded");
    assert_eq!((failed_at, why), (at, error));

    // The next good run clears the failure.
    std::fs::remove_dir(&blocked).expect("unblocks");
    run_once(
        &store,
        data.path(),
        &schedule(&backups, 1, false),
        at + 3_600_000,
    )
    .expect("backs up");
    assert_eq!(last_backup_failure(data.path()), None);
    assert_eq!(backups_in(&backups).len(), 1);
}

/// A tmpfs mounted for a test, unmounted when dropped.
struct Mounted(tempfile::TempDir);

impl Drop for Mounted {
    fn drop(&mut self) {
        let _ = std::process::Command::new("umount")
            .arg(self.0.path())
            .status();
    }
}

/// A tmpfs of `bytes` (rounded to pages), where this process may mount one (root).
fn small_tmpfs(bytes: u64) -> Option<Mounted> {
    let dir = tempfile::tempdir().ok()?;
    let mounted = std::process::Command::new("mount")
        .args(["-t", "tmpfs", "-o", &format!("size={bytes}")])
        .arg("tmpfs")
        .arg(dir.path())
        .stderr(std::process::Stdio::null())
        .status()
        .ok()?
        .success();
    mounted.then_some(Mounted(dir))
}

#[test]
fn a_full_disk_during_a_backup_keeps_the_earlier_one_and_records_why() {
    let data = tempfile::tempdir().expect("tempdir");
    let (store, device) = store_with_tablet(data.path());
    for seq in 1..=20 {
        capture(&store, &device, seq);
    }
    let size = store
        .backup_unrecorded(&data.path().join("measure.sqlite3"))
        .expect("measures")
        .bytes;
    // Room for one backup and a half: the second cannot be written whole.
    let Some(disk) = small_tmpfs(size * 3 / 2 + 8192) else {
        eprintln!("cannot mount a tmpfs here (not root); the full disk is not exercised");
        return;
    };
    let backups = disk.0.path().join("backups");
    let first = run_once(
        &store,
        data.path(),
        &schedule(&backups, 3, false),
        1_800_000_000_000,
    )
    .expect("the first fits");
    let counted = watermark(&store);
    capture(&store, &device, 21);
    let at = 1_800_003_600_000;
    let error = run_once(&store, data.path(), &schedule(&backups, 3, false), at)
        .expect_err("the disk is full")
        .to_string();
    assert!(
        error.to_lowercase().contains("full") || error.contains("No space"),
        "{error}"
    );
    assert_eq!(backups_in(&backups), vec![first.report.path.clone()]);
    verify_backup_file(&first.report.path).expect("the earlier backup is whole");
    assert_eq!(watermark(&store), counted);
    assert_eq!(
        last_backup_failure(data.path()).map(|(_, why)| why),
        Some(error)
    );
}
