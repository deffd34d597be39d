//! Online backup and restore of the relay's SQLite store.
//!
//! A backup copies the live database with SQLite's backup API from its own read connection,
//! so ingest goes on meanwhile (WAL readers do not block writers) and the copy is one
//! consistent snapshot. The copy's own commit counter is the watermark: every commit
//! numbered at or below it is in the file, whatever committed while it was taken. Once the
//! copy is durable under its final name, the live store records the watermark, and tablets
//! learn from their next sync which sealed copies they may erase.
//!
//! A restore puts a backup in place of the database (the relay stopped) under a new epoch,
//! so tablets send again whatever the restored store may lack: receipts of the old epoch
//! no longer count. The database it replaces is moved aside, not deleted. Tablets cannot
//! send again what they erased, so the newest watermark ever reported is kept in a file
//! beside the database that no restore replaces, and a backup older than it is refused
//! unless forced; the plan names the records only erased copies held and the tablets the
//! backup does not know. Removals, withdrawals and holds are replayed from the lifecycle
//! journal (and the replaced store) onto the restored file before it goes live.

use std::path::{Path, PathBuf};

use rusqlite::backup::{Backup, StepResult};
use rusqlite::{Connection, OpenFlags};

use super::{SqliteStore, StorageError, StorageResult};
use crate::storage::model::{
    BackupReport, DeviceLoss, ReportedWatermark, RestorePlan, RestoreReport, UnknownTablet,
};

/// The file beside the database that keeps the [`ReportedWatermark`].
pub fn watermark_path(database: &Path) -> PathBuf {
    database.with_extension("watermark")
}

/// Reads the newest watermark ever reported for the store at `database`.
pub fn reported_watermark(database: &Path) -> StorageResult<Option<ReportedWatermark>> {
    let path = watermark_path(database);
    match std::fs::read(&path) {
        Ok(bytes) => serde_json::from_slice(&bytes)
            .map(Some)
            .map_err(|e| failed(format!("{} is unreadable: {e}", path.display()))),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e.into()),
    }
}

/// Keeps `mark` as the newest watermark reported, durably, unless the file already holds a
/// higher one of the same epoch.
fn keep_reported_watermark(database: &Path, mark: &ReportedWatermark) -> StorageResult<()> {
    if let Some(held) = reported_watermark(database)?
        && held.epoch == mark.epoch
        && held.watermark >= mark.watermark
    {
        return Ok(());
    }
    let path = watermark_path(database);
    let partial = PathBuf::from(format!("{}.partial", path.display()));
    let _ = std::fs::remove_file(&partial);
    {
        let mut file = super::lifecycle_journal::open_private_append(&partial)?;
        let bytes = serde_json::to_vec(mark).map_err(|e| failed(e.to_string()))?;
        std::io::Write::write_all(&mut file, &bytes)?;
        file.sync_all()?;
    }
    std::fs::rename(&partial, &path)?;
    sync_directory(&path)?;
    Ok(())
}

fn failed(what: impl std::fmt::Display) -> StorageError {
    StorageError::Backup(what.to_string())
}

/// Syncs `path`'s directory, so a rename into it is durable.
fn sync_directory(path: &Path) -> StorageResult<()> {
    #[cfg(unix)]
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::File::open(parent)?.sync_all()?;
    }
    #[cfg(not(unix))]
    let _ = path;
    Ok(())
}

/// Checks that `conn` is a whole relay store of a schema this build knows (the same or
/// older) and returns its commit counter.
fn check_relay_store(conn: &Connection, path: &Path) -> StorageResult<u64> {
    let check: String = conn
        .query_row("PRAGMA quick_check", [], |r| r.get(0))
        .map_err(|e| failed(format!("{} cannot be checked: {e}", path.display())))?;
    if check != "ok" {
        return Err(failed(format!("{} is damaged: {check}", path.display())));
    }
    super::schema::stored_version(conn, &path.display().to_string())?;
    let commit_seq: i64 = conn
        .query_row("SELECT commit_seq FROM relay_state WHERE id = 1", [], |r| {
            r.get(0)
        })
        .map_err(|_| failed(format!("{} is not a Kiosk relay store", path.display())))?;
    Ok(commit_seq as u64)
}

/// The store's epoch and backup watermark.
fn relay_marks(conn: &Connection) -> StorageResult<(Vec<u8>, Option<u64>)> {
    let (epoch, watermark): (Vec<u8>, Option<i64>) = conn.query_row(
        "SELECT epoch, backup_watermark FROM relay_state WHERE id = 1",
        [],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    Ok((epoch, watermark.map(|w| w as u64)))
}

/// Why a backup of `epoch` up to `commit` is older than `mark`, if it is.
fn behind(epoch: &str, commit: u64, mark: &ReportedWatermark) -> Option<String> {
    if mark.watermark == 0 {
        return None;
    }
    if epoch != mark.epoch {
        return Some(format!(
            "the backup is of relay epoch {epoch}, but tablets were told that a backup of epoch \
             {} holds every commit up to {}, and erased their copies of those",
            mark.epoch, mark.watermark
        ));
    }
    (commit < mark.watermark).then(|| {
        format!(
            "the backup holds commits up to {commit}, but tablets were told that a backup holds \
             every commit up to {}, and erased their copies of those",
            mark.watermark
        )
    })
}

/// The replaced store's records and tablets the backup lacks, per device.
fn compare(
    replaced: &Connection,
    backup: &Connection,
    erased_through: Option<u64>,
) -> StorageResult<(Vec<DeviceLoss>, Vec<UnknownTablet>)> {
    let mut in_backup = backup.prepare(
        "SELECT EXISTS (SELECT 1 FROM registrations WHERE doc_id = ?1)
             OR EXISTS (SELECT 1 FROM removals WHERE doc_id = ?1)",
    )?;
    let mut rows = replaced.prepare(
        "SELECT r.doc_id, r.device_key,
                (SELECT MIN(c.commit_seq) FROM registration_changes c WHERE c.doc_id = r.doc_id)
         FROM registrations r ORDER BY r.device_key, r.doc_id",
    )?;
    let mut losses: Vec<DeviceLoss> = Vec::new();
    let mut records = rows.query([])?;
    while let Some(row) = records.next()? {
        let doc_id: String = row.get(0)?;
        if in_backup.query_row([&doc_id], |r| r.get::<_, bool>(0))? {
            continue;
        }
        let device_key = hex::encode(row.get::<_, Vec<u8>>(1)?);
        let commit: Option<i64> = row.get(2)?;
        if losses.last().is_none_or(|l| l.device_key != device_key) {
            losses.push(DeviceLoss {
                device_key,
                ..DeviceLoss::default()
            });
        }
        let loss = losses.last_mut().expect("pushed above");
        // A record with no known commit is taken as covered: better a warning too many.
        let covered =
            erased_through.is_some_and(|through| commit.is_none_or(|c| c as u64 <= through));
        if covered {
            loss.erased_on_tablet.push(doc_id);
        } else {
            loss.still_on_tablet += 1;
        }
    }
    let mut known =
        backup.prepare("SELECT EXISTS (SELECT 1 FROM devices WHERE device_key = ?1)")?;
    // A revoked tablet (lost, stolen, retired) is never one to enroll again.
    let mut devices = replaced.prepare(
        "SELECT device_key, event_id, role FROM devices WHERE revoked_at IS NULL
         ORDER BY certified_at",
    )?;
    let mut unknown = Vec::new();
    let mut rows = devices.query([])?;
    while let Some(row) = rows.next()? {
        let key: Vec<u8> = row.get(0)?;
        if !known.query_row([&key], |r| r.get::<_, bool>(0))? {
            unknown.push(UnknownTablet {
                device_key: hex::encode(key),
                event_id: row.get(1)?,
                role: row.get(2)?,
            });
        }
    }
    Ok((losses, unknown))
}

/// Opens the store a restore replaces, read-only, if there is a readable one. One a newer
/// relay wrote is refused: this build cannot tell what of it a restore must keep.
fn open_replaced(database: &Path) -> StorageResult<Option<Connection>> {
    if !database.exists() {
        return Ok(None);
    }
    let Ok(conn) = Connection::open_with_flags(database, OpenFlags::SQLITE_OPEN_READ_ONLY) else {
        return Ok(None);
    };
    match check_relay_store(&conn, database) {
        Ok(_) => Ok(Some(conn)),
        Err(newer @ StorageError::NewerSchema { .. }) => Err(newer),
        Err(_) => Ok(None),
    }
}

/// How many lines of `PRAGMA integrity_check` a refusal quotes: enough to say what is
/// damaged, bounded however damaged the file is.
const INTEGRITY_LINES: usize = 5;

/// Checks the backup file at `path` as a restore would take it: opened read-only, a whole
/// `PRAGMA integrity_check` (every page, index and constraint, not only the quick check),
/// then a relay store of a schema this build knows. Returns the commit counter it holds
/// (its watermark).
pub fn verify_backup_file(path: &Path) -> StorageResult<u64> {
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(|e| failed(format!("cannot open {}: {e}", path.display())))?;
    let mut check = conn
        .prepare("PRAGMA integrity_check")
        .map_err(|e| failed(format!("{} cannot be checked: {e}", path.display())))?;
    let lines: Vec<String> = check
        .query_map([], |r| r.get::<_, String>(0))
        .and_then(|rows| rows.take(INTEGRITY_LINES).collect())
        .map_err(|e| failed(format!("{} cannot be checked: {e}", path.display())))?;
    if lines != ["ok"] {
        return Err(failed(format!(
            "{} is damaged: {}",
            path.display(),
            lines.join("; ")
        )));
    }
    drop(check);
    check_relay_store(&conn, path)
}

impl SqliteStore {
    /// Copies the store to `target` while it keeps serving, and records the copy's
    /// watermark. `target` must not exist yet: a backup never overwrites another.
    pub fn backup(&self, target: &Path) -> StorageResult<BackupReport> {
        let report = self.backup_unrecorded(target)?;
        self.record_backup(report.watermark)?;
        Ok(report)
    }

    /// Copies the store to `target` while it keeps serving, without recording the copy's
    /// watermark (see [`SqliteStore::record_backup`]). The copy is written under a
    /// temporary name (mode 0600), reopened read-only and checked whole
    /// ([`verify_backup_file`]), and only then renamed to `target`; a failure leaves no
    /// file behind. `target` must not exist yet: a backup never overwrites another.
    pub fn backup_unrecorded(&self, target: &Path) -> StorageResult<BackupReport> {
        let partial = PathBuf::from(format!("{}.partial", target.display()));
        let copied = self.copy_verified(target, &partial);
        if copied.is_err() {
            let _ = std::fs::remove_file(&partial);
        }
        copied
    }

    fn copy_verified(&self, target: &Path, partial: &Path) -> StorageResult<BackupReport> {
        let source = self
            .path
            .as_deref()
            .ok_or_else(|| failed("a store in memory has no file to back up"))?;
        if target.exists() {
            return Err(failed(format!(
                "{} exists already; a backup never overwrites a file",
                target.display()
            )));
        }
        let _ = std::fs::remove_file(partial);
        // A backup holds everything the store does: readable by the relay's user only
        // (SQLite would create it with the umask's mode).
        crate::private_files::new_file_options()
            .write(true)
            .create_new(true)
            .open(partial)
            .map_err(|e| failed(format!("cannot create {}: {e}", partial.display())))?;
        let reader = Connection::open_with_flags(source, OpenFlags::SQLITE_OPEN_READ_ONLY)?;
        // A reader never takes the write lock, so a backup never stops a sync; it may still
        // wait a moment while the serving relay checkpoints the WAL.
        reader.busy_timeout(super::BUSY_TIMEOUT)?;
        let mut copy = Connection::open(partial)
            .map_err(|e| failed(format!("cannot create {}: {e}", partial.display())))?;
        {
            let backup = Backup::new(&reader, &mut copy)?;
            // All pages in one step: one read transaction, so one consistent snapshot.
            loop {
                match backup
                    .step(-1)
                    .map_err(|e| failed(format!("cannot write {}: {e}", partial.display())))?
                {
                    StepResult::Done => break,
                    StepResult::More => {}
                    StepResult::Busy | StepResult::Locked => {
                        std::thread::sleep(std::time::Duration::from_millis(20))
                    }
                    _ => {}
                }
            }
        }
        // A backup is one self-contained file.
        copy.pragma_update(None, "journal_mode", "DELETE")
            .map_err(|e| failed(format!("cannot write {}: {e}", partial.display())))?;
        drop(copy);
        drop(reader);
        std::fs::File::open(partial)?
            .sync_all()
            .map_err(|e| failed(format!("cannot write {}: {e}", partial.display())))?;
        // It counts only as read back: what a restore would open, checked whole.
        let watermark = verify_backup_file(partial)?;
        if target.exists() {
            return Err(failed(format!(
                "{} exists already; a backup never overwrites a file",
                target.display()
            )));
        }
        std::fs::rename(partial, target)?;
        sync_directory(target)?;
        Ok(BackupReport {
            path: target.to_owned(),
            watermark,
            bytes: std::fs::metadata(target)?.len(),
        })
    }

    /// Records that a verified backup holds every commit up to `watermark`: kept beside
    /// the database first (where no restore reaches, before any tablet can hear of it),
    /// then in the store, whose next sync answers tell tablets to erase what it covers.
    pub fn record_backup(&self, watermark: u64) -> StorageResult<()> {
        let source = self
            .path
            .as_deref()
            .ok_or_else(|| failed("a store in memory has no file to back up"))?;
        let (epoch, _) = relay_marks(&self.conn())?;
        keep_reported_watermark(
            source,
            &ReportedWatermark {
                epoch: hex::encode(epoch),
                watermark,
            },
        )?;
        self.conn().execute(
            "UPDATE relay_state
             SET backup_watermark = max(coalesce(backup_watermark, 0), ?1) WHERE id = 1",
            [watermark as i64],
        )?;
        Ok(())
    }

    /// Works out what putting `backup` in place of `database` would do, touching nothing:
    /// whether the backup is older than the newest watermark ever reported to tablets, which
    /// records only tablets' erased copies held, and which tablets the backup does not know.
    pub fn plan_restore(backup: &Path, database: &Path) -> StorageResult<RestorePlan> {
        // Checked whole, as a scheduled backup is before it counts: the quick check misses
        // damage inside a table's rows.
        let backup_commit = verify_backup_file(backup)?;
        let original = Connection::open_with_flags(backup, OpenFlags::SQLITE_OPEN_READ_ONLY)
            .map_err(|e| failed(format!("cannot open {}: {e}", backup.display())))?;
        let backup_epoch = hex::encode(relay_marks(&original)?.0);
        let replaced = open_replaced(database)?;
        // The file beside the database, and the replaced store's own mark (a store older
        // than the file, or a file lost with the disk): the backup must satisfy both.
        let mut marks: Vec<ReportedWatermark> = reported_watermark(database)?.into_iter().collect();
        if let Some(conn) = &replaced
            && let (epoch, Some(watermark)) = relay_marks(conn)?
        {
            marks.push(ReportedWatermark {
                epoch: hex::encode(epoch),
                watermark,
            });
        }
        let failing = marks
            .iter()
            .find_map(|mark| behind(&backup_epoch, backup_commit, mark).map(|why| (mark, why)));
        let (reported, behind) = match failing {
            Some((mark, why)) => (Some(mark.clone()), Some(why)),
            None => (marks.into_iter().max_by_key(|m| m.watermark), None),
        };
        let (losses, unknown_tablets) = match &replaced {
            Some(conn) => compare(conn, &original, reported.as_ref().map(|m| m.watermark))?,
            None => (Vec::new(), Vec::new()),
        };
        Ok(RestorePlan {
            backup: backup.to_owned(),
            database: database.to_owned(),
            backup_epoch,
            backup_commit,
            reported,
            behind,
            replaced_readable: replaced.is_some(),
            losses,
            unknown_tablets,
        })
    }

    /// Puts the backup at `backup` in place of the database at `database`, under a new
    /// epoch, refusing a backup older than the newest watermark reported to tablets (see
    /// [`SqliteStore::restore_planned`] to go ahead anyway).
    pub fn restore(backup: &Path, database: &Path, now_ms: i64) -> StorageResult<RestoreReport> {
        let plan = SqliteStore::plan_restore(backup, database)?;
        if let Some(why) = &plan.behind {
            return Err(failed(format!(
                "refused: {why}; restoring it loses {} record(s) that only those erased \
                 copies held (restore a newer backup, or force it)",
                plan.erased_records()
            )));
        }
        SqliteStore::restore_planned(plan, now_ms)
    }

    /// Puts the planned backup in place of the database, under a new epoch, whatever the
    /// plan found. The relay must be stopped; the caller makes sure of it. Removals,
    /// withdrawals and legal holds the lifecycle journal and the replaced store hold are
    /// replayed onto the restored file before it goes live. The replaced database (with its
    /// WAL) is moved into a folder beside it, named for the time of the restore.
    pub fn restore_planned(plan: RestorePlan, now_ms: i64) -> StorageResult<RestoreReport> {
        let (backup, database) = (plan.backup.as_path(), plan.database.as_path());
        {
            let original = Connection::open_with_flags(backup, OpenFlags::SQLITE_OPEN_READ_ONLY)
                .map_err(|e| failed(format!("cannot open {}: {e}", backup.display())))?;
            check_relay_store(&original, backup)?;
        }
        // What must survive, gathered before the replaced store is moved.
        let journal = super::lifecycle_journal::LifecycleJournal::for_database(database);
        let journal_found = journal.path().exists();
        let (mut entries, unreadable) = journal.read()?;
        if let Some(conn) = open_replaced(database)? {
            entries.extend(super::lifecycle_journal::entries_in_store(&conn)?);
        }
        let incoming = PathBuf::from(format!("{}.restoring", database.display()));
        // A restore killed part-way may have left the working copy with its WAL or a hot
        // rollback journal (of another backup, if the operator chose again): SQLite would
        // apply them to the fresh copy.
        for suffix in ["", "-wal", "-shm", "-journal"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", incoming.display()));
        }
        if let Some(parent) = database.parent().filter(|p| !p.as_os_str().is_empty()) {
            crate::private_files::create_dir(parent)?;
        }
        std::fs::copy(backup, &incoming)
            .map_err(|e| failed(format!("cannot copy {}: {e}", backup.display())))?;
        let (commit_seq, epoch, mut replayed) = {
            let mut conn = Connection::open(&incoming)?;
            // A backup is a whole store, but an older relay's: brought up to this build's
            // schema (a newer relay's was refused above) before anything is replayed onto it.
            super::schema::upgrade(&mut conn, &incoming.display().to_string())?;
            // Erased bytes are overwritten, not left in free pages.
            conn.pragma_update(None, "secure_delete", "ON")?;
            let tx = conn.transaction()?;
            // Nothing receipted before counts as backed up in the new epoch until a backup
            // of it says so.
            let epoch: Vec<u8> = tx.query_row(
                "UPDATE relay_state SET epoch = randomblob(16), backup_watermark = NULL
                 WHERE id = 1 RETURNING epoch",
                [],
                |r| r.get(0),
            )?;
            let replayed = super::lifecycle_journal::replay(&tx, entries)?;
            tx.commit()?;
            // Still in rollback-journal mode here: nothing erased lingers in a WAL.
            conn.pragma_update(None, "journal_mode", "WAL")?;
            let commit_seq = check_relay_store(&conn, &incoming)?;
            (commit_seq, hex::encode(epoch), replayed)
        };
        replayed.unreadable += unreadable;
        std::fs::File::open(&incoming)?.sync_all()?;
        // The old WAL must not be replayed onto the restored file: move the whole database
        // aside first. A WAL without its database (a restore killed between the two
        // renames, a database deleted by hand) goes too: SQLite would replay it onto
        // whatever file then has the name, bringing back what the backup lacks.
        let mut moved_aside = None;
        let present: Vec<PathBuf> = ["", "-wal", "-shm"]
            .iter()
            .map(|suffix| PathBuf::from(format!("{}{suffix}", database.display())))
            .filter(|file| file.exists())
            .collect();
        if !present.is_empty() {
            let aside = PathBuf::from(format!("{}.before-restore-{now_ms}", database.display()));
            // It holds the replaced store, visitors' names included: as private as the store.
            crate::private_files::create_dir(&aside)?;
            for file in present {
                let name = file.file_name().ok_or_else(|| failed("no file name"))?;
                std::fs::rename(&file, aside.join(name))?;
            }
            moved_aside = Some(aside);
        }
        std::fs::rename(&incoming, database)?;
        sync_directory(database)?;
        Ok(RestoreReport {
            commit_seq,
            epoch,
            moved_aside,
            plan,
            journal_found,
            replayed,
        })
    }
}

#[cfg(test)]
mod tests {
    use kiosk_core::protocol::enrollment::EnrolledRole;

    use super::*;
    use crate::storage::prelude::*;
    use crate::storage::{Accessor, EnrollmentGrant, IngestBatch, IngestItem, RemovalOutcome};

    fn enrolled(store: &SqliteStore) -> [u8; 32] {
        let grant = EnrollmentGrant {
            lookup: [0xee; 32],
            answer_secret: [0; 32],
            event_id: "demo-event".to_owned(),
            role: EnrolledRole::Kiosk,
            recruiter: None,
            expires_at: i64::MAX,
            max_uses: 10,
            name: None,
        };
        store.add_enrollment_code(&grant, 0).expect("code");
        let key = [1; 32];
        store
            .redeem_enrollment_code(
                &grant.lookup,
                &key,
                EnrolledRole::Kiosk,
                &|_| true,
                0,
                1 << 40,
            )
            .expect("storage")
            .expect("enrolled");
        key
    }

    /// Stores the tablet's `journal_seq`th capture in its own sync request; returns its id.
    fn capture(store: &SqliteStore, device: &[u8; 32], journal_seq: u64) -> String {
        let doc_id = format!("00000000-0000-4000-8000-0001{journal_seq:08x}");
        let mut hash = [1; 32];
        hash[..8].copy_from_slice(&journal_seq.to_be_bytes());
        store
            .ingest(&IngestBatch {
                device_key: *device,
                seq: journal_seq,
                received_at: 1_000,
                items: vec![IngestItem::Store {
                    doc_id: doc_id.clone(),
                    event_id: "demo-event".to_owned(),
                    document: b"registration".to_vec(),
                    change_hashes: vec![hash],
                    capture_signature: vec![7; 64],
                    receipt_code: format!("R{journal_seq}"),
                    receipt_tag: None,
                    restricted: false,
                    journal_seq: Some(journal_seq),
                    listing: None,
                }],
                accessor: Accessor::Device {
                    device_key: *device,
                    recruiter: None,
                },
                pull: None,
                declared_journal: None,
            })
            .expect("stored");
        doc_id
    }

    #[cfg(unix)]
    use crate::private_files::mode_for_tests as mode;

    #[test]
    fn a_backup_older_than_the_reported_watermark_is_refused_even_with_the_store_lost() {
        let dir = tempfile::tempdir().expect("tempdir");
        let database = dir.path().join("relay.sqlite3");
        let store = SqliteStore::open(&database).expect("opens");
        let device = enrolled(&store);
        capture(&store, &device, 1);
        let old = dir.path().join("old.backup");
        store.backup(&old).expect("backs up");
        capture(&store, &device, 2);
        let newer = dir.path().join("newer.backup");
        let newest = store.backup(&newer).expect("backs up").watermark;
        let kept = reported_watermark(&database).expect("reads").expect("kept");
        assert_eq!(kept.watermark, newest);
        #[cfg(unix)]
        assert_eq!(mode(&watermark_path(&database)), 0o600);
        drop(store);
        // The database is lost; the watermark beside it is what tablets were told.
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", database.display()));
        }
        let plan = SqliteStore::plan_restore(&old, &database).expect("plans");
        assert!(!plan.replaced_readable);
        assert!(plan.behind.is_some(), "{plan:?}");
        let refused = SqliteStore::restore(&old, &database, 1).expect_err("refused");
        assert!(refused.to_string().contains("refused"), "{refused}");
        assert!(!database.exists(), "nothing put in place");
        let restored = SqliteStore::restore(&newer, &database, 2).expect("restores");
        assert_eq!(restored.commit_seq, newest);
        let told = crate::restore::describe_report(&restored, &newer).join("\n");
        assert!(
            told.contains("WARNING: neither a lifecycle journal"),
            "{told}"
        );
    }

    #[test]
    fn a_removal_is_journalled_before_its_commit_and_replayed_past_a_torn_line() {
        let dir = tempfile::tempdir().expect("tempdir");
        let database = dir.path().join("relay.sqlite3");
        let store = SqliteStore::open(&database).expect("opens");
        let device = enrolled(&store);
        let removed = capture(&store, &device, 1);
        let kept = capture(&store, &device, 2);
        let backup = dir.path().join("before-removal.backup");
        store.backup(&backup).expect("backs up");
        let operator = Accessor::Operator("hr".into());
        assert_eq!(
            store
                .remove_registration(&removed, "withdrawn", &operator, 5)
                .expect("removes"),
            RemovalOutcome::Removed
        );
        let journal = super::super::lifecycle_journal::LifecycleJournal::for_database(&database);
        let (entries, torn) = journal.read().expect("reads");
        assert_eq!((entries.len(), torn), (1, 0));
        #[cfg(unix)]
        assert_eq!(mode(journal.path()), 0o600);
        // A crash mid-append leaves a torn last line.
        let mut file =
            super::super::lifecycle_journal::open_private_append(journal.path()).expect("opens");
        std::io::Write::write_all(&mut file, b"{\"kind\":\"remo").expect("writes");
        drop(file);
        // The next entry starts on a line of its own.
        assert_eq!(
            store
                .change_legal_hold(&kept, true, "dispute", "archivist", 6)
                .expect("holds"),
            crate::storage::HoldChange::Done
        );
        assert_eq!(journal.read().expect("reads").0.len(), 2);
        drop(store);

        let report = SqliteStore::restore(&backup, &database, 9).expect("restores");
        assert_eq!(
            (report.replayed.removals, report.replayed.unreadable),
            (1, 1)
        );
        assert_eq!(report.replayed.holds_set, 1);
        let store = SqliteStore::open(&database).expect("opens");
        assert!(
            store
                .registration_document(&removed)
                .expect("reads")
                .is_none()
        );
        assert!(store.removal(&removed).expect("reads").is_some());
        assert!(store.registration_document(&kept).expect("reads").is_some());
    }

    #[test]
    fn a_replayed_talent_pool_withdrawal_appends_the_leaf_the_live_one_did() {
        use crate::storage::traits::TransparencyLogStore;
        use crate::transparency::leaf::Leaf;
        let dir = tempfile::tempdir().expect("tempdir");
        let database = dir.path().join("relay.sqlite3");
        let store = SqliteStore::open(&database).expect("opens");
        let opted_in: Vec<String> = crate::storage::ingest_generated_for_tests(&store, 20)
            .iter()
            .filter(|r| r.consents.talent_pool.is_some())
            .map(|r| r.id.to_string())
            .take(2)
            .collect();
        let backup = dir.path().join("before-withdrawals.backup");
        store.backup(&backup).expect("backs up");
        let before = store.log_tip().expect("reads").size;
        let hr = Accessor::Operator("hr:rut".into());
        store
            .withdraw_talent_pool(&opted_in[0], &hr, "hr:rut", 5)
            .expect("withdraws");
        store
            .withdraw_talent_pool(
                &opted_in[1],
                &Accessor::Visitor,
                crate::rules::access_chain::VISITOR_ACTOR,
                6,
            )
            .expect("withdraws");
        let live = store.log_leaves(before, 10).expect("reads");
        assert_eq!(live.len(), 2);
        drop(store);

        let report = SqliteStore::restore(&backup, &database, 9).expect("restores");
        assert_eq!(report.replayed.withdrawals, 2);
        let store = SqliteStore::open(&database).expect("opens");
        let replayed = store.log_leaves(before, 10).expect("reads");
        assert_eq!(replayed.len(), 2, "a leaf per replayed withdrawal");
        for (live, replayed) in live.iter().zip(&replayed) {
            let (live, replayed) = (
                Leaf::decode(live).expect("decodes"),
                Leaf::decode(replayed).expect("decodes"),
            );
            assert_eq!(replayed.kind, live.kind);
            assert_eq!(replayed.record, live.record);
            assert_eq!(replayed.subject, live.subject);
            assert_eq!(replayed.author, live.author, "who withdrew it, as live");
        }
    }

    #[test]
    fn a_restore_killed_after_moving_the_database_never_puts_the_old_wal_under_the_backup() {
        let dir = tempfile::tempdir().expect("tempdir");
        let database = dir.path().join("relay.sqlite3");
        let store = SqliteStore::open(&database).expect("opens");
        let device = enrolled(&store);
        capture(&store, &device, 1);
        let backup = dir.path().join("one.backup");
        let backed_up = store.backup(&backup).expect("backs up").watermark;
        let later = capture(&store, &device, 2);
        let wal = PathBuf::from(format!("{}-wal", database.display()));
        let live_wal = std::fs::read(&wal).expect("the live store has a WAL");
        assert!(!live_wal.is_empty());
        drop(store);
        // A restore killed after it moved the database aside, before its WAL: the WAL is
        // left beside a database path that no longer holds a file.
        let killed_aside = dir.path().join("relay.sqlite3.before-restore-1");
        std::fs::create_dir(&killed_aside).expect("dir");
        std::fs::rename(&database, killed_aside.join("relay.sqlite3")).expect("moves");
        std::fs::write(&wal, &live_wal).expect("the old WAL stays");

        let report = SqliteStore::restore(&backup, &database, 2).expect("restores");
        assert_eq!(report.commit_seq, backed_up);
        let aside = report.moved_aside.expect("the stale WAL is moved aside");
        assert!(aside.join("relay.sqlite3-wal").exists());
        let store = SqliteStore::open(&database).expect("opens");
        let integrity: String = store
            .conn()
            .query_row("PRAGMA integrity_check", [], |r| r.get(0))
            .expect("checks");
        assert_eq!(integrity, "ok");
        assert!(
            store
                .registration_document(&later)
                .expect("reads")
                .is_none(),
            "a record newer than the backup came back from the old WAL"
        );
    }

    #[test]
    fn access_taken_from_hr_users_after_a_backup_is_not_given_back_by_its_restore() {
        use crate::storage::model::{PasswordHash, Role};
        use crate::storage::{
            AccountAction, AccountChange, AccountChangeOutcome, Credential, CredentialKind,
            NewHrUser,
        };
        let dir = tempfile::tempdir().expect("tempdir");
        let database = dir.path().join("relay.sqlite3");
        let store = SqliteStore::open(&database).expect("opens");
        let password = PasswordHash {
            salt: [1; 16],
            hash: [2; 32],
            memory_kib: 8,
            passes: 1,
        };
        let user = |name: &str, roles: Vec<Role>| {
            store
                .create_hr_user(
                    &NewHrUser {
                        username: name.into(),
                        display_name: name.into(),
                        roles,
                        password: password.clone(),
                        must_change_password: false,
                        created_by: None,
                    },
                    1,
                )
                .expect("creates")
                .expect("new")
        };
        let _admin = user("ada", vec![Role::Admin]);
        let leaver = user("arvid", vec![Role::Archivist]);
        let mover = user("rut", vec![Role::Recruiter, Role::Archivist]);
        assert!(store.set_hr_clearance(mover, true).expect("sets"));
        let token = |user_id: u64, secret: u8| {
            store
                .put_hr_credential(
                    &[secret; 32],
                    &Credential {
                        kind: CredentialKind::ApiToken,
                        user_id,
                        csrf_hash: None,
                        expires_at: i64::MAX,
                        last_used_at: 2,
                    },
                    Some("script"),
                    2,
                )
                .expect("token");
        };
        token(leaver, 1);
        token(mover, 2);
        let backup = dir.path().join("before.backup");
        store.backup(&backup).expect("backs up");
        let change = |user_id: u64, action: AccountAction| {
            let done = store
                .change_hr_account(&AccountChange {
                    user_id,
                    action,
                    reason: Some("leaves".into()),
                    by_user: None,
                    by_name: "operator".into(),
                    at: 10,
                })
                .expect("changes");
            assert_eq!(done, AccountChangeOutcome::Done);
        };
        change(leaver, AccountAction::Disable);
        change(mover, AccountAction::RemoveRole(Role::Archivist));
        change(mover, AccountAction::RemoveClearance);
        let mover_token = store.hr_api_tokens(mover, 20).expect("tokens")[0].id;
        change(mover, AccountAction::RevokeToken(mover_token));
        drop(store);

        let report = SqliteStore::restore(&backup, &database, 30).expect("restores");
        assert_eq!(report.replayed.access_changes, 4, "{:?}", report.replayed);
        let store = SqliteStore::open(&database).expect("opens");
        assert!(store.hr_credential(&[1; 32], 40).expect("reads").is_none());
        assert!(store.hr_credential(&[2; 32], 40).expect("reads").is_none());
        let (leaver, _) = store.hr_user(leaver).expect("reads").expect("user");
        assert!(leaver.disabled);
        let (mover, _) = store.hr_user(mover).expect("reads").expect("user");
        assert_eq!(mover.roles, vec![Role::Recruiter]);
        assert!(!mover.restricted_clearance);
        assert_eq!(store.hr_account_changes(mover.id).expect("reads").len(), 3);
        // A second restore of the same backup replays the same, once.
        drop(store);
        let again = SqliteStore::restore(&backup, &database, 31).expect("restores");
        assert_eq!(again.replayed.access_changes, 4);
    }

    #[test]
    fn a_clearance_withdrawn_or_an_event_unassigned_after_a_backup_stays_so_after_its_restore() {
        use crate::storage::NewHrUser;
        use crate::storage::model::{PasswordHash, Role};
        let dir = tempfile::tempdir().expect("tempdir");
        let database = dir.path().join("relay.sqlite3");
        let store = SqliteStore::open(&database).expect("opens");
        let rut = store
            .create_hr_user(
                &NewHrUser {
                    username: "rut".into(),
                    display_name: "Rut".into(),
                    roles: vec![Role::Recruiter],
                    password: PasswordHash {
                        salt: [1; 16],
                        hash: [2; 32],
                        memory_kib: 8,
                        passes: 1,
                    },
                    must_change_password: false,
                    created_by: None,
                },
                1,
            )
            .expect("creates")
            .expect("new");
        assert!(store.set_hr_clearance(rut, true).expect("sets"));
        assert!(store.assign_hr_event(rut, "demo-event").expect("assigns"));
        let backup = dir.path().join("before.backup");
        store.backup(&backup).expect("backs up");
        assert!(
            store
                .change_hr_clearance(rut, false, None, 10)
                .expect("withdraws")
        );
        assert!(
            store
                .unassign_hr_event(rut, "demo-event")
                .expect("unassigns")
        );
        drop(store);

        let report = SqliteStore::restore(&backup, &database, 30).expect("restores");
        assert_eq!(report.replayed.access_changes, 2, "{:?}", report.replayed);
        let store = SqliteStore::open(&database).expect("opens");
        let (user, _) = store.hr_user(rut).expect("reads").expect("user");
        assert!(!user.restricted_clearance);
        assert!(store.hr_assigned_events(rut).expect("reads").is_empty());
    }

    #[test]
    fn a_tablet_revoked_after_a_backup_stays_revoked_after_its_restore() {
        let dir = tempfile::tempdir().expect("tempdir");
        let database = dir.path().join("relay.sqlite3");
        let store = SqliteStore::open(&database).expect("opens");
        let device = enrolled(&store);
        capture(&store, &device, 1);
        let backup = dir.path().join("before.backup");
        store.backup(&backup).expect("backs up");
        assert!(store.revoke_device(&device, 10).expect("revokes"));
        drop(store);

        let report = SqliteStore::restore(&backup, &database, 30).expect("restores");
        assert_eq!(report.replayed.revocations, 1, "{:?}", report.replayed);
        let store = SqliteStore::open(&database).expect("opens");
        let record = store.device(&device).expect("reads").expect("known");
        assert_eq!(record.revoked_at, Some(10));
    }

    #[test]
    fn a_restore_never_asks_to_enroll_again_a_tablet_that_was_revoked() {
        let dir = tempfile::tempdir().expect("tempdir");
        let database = dir.path().join("relay.sqlite3");
        let store = SqliteStore::open(&database).expect("opens");
        let backup = dir.path().join("before.backup");
        store.backup(&backup).expect("backs up");
        // Enrolled after the backup, then lost and revoked.
        let device = enrolled(&store);
        assert!(store.revoke_device(&device, 10).expect("revokes"));
        drop(store);
        let plan = SqliteStore::plan_restore(&backup, &database).expect("plans");
        assert!(
            plan.unknown_tablets.is_empty(),
            "{:?}",
            plan.unknown_tablets
        );
        let told = crate::restore::describe_plan(&plan).join("\n");
        assert!(!told.contains("enroll again"), "{told}");
    }

    #[test]
    fn files_left_by_a_killed_restore_beside_its_working_copy_are_not_replayed_onto_the_next() {
        let dir = tempfile::tempdir().expect("tempdir");
        let database = dir.path().join("relay.sqlite3");
        let store = SqliteStore::open(&database).expect("opens");
        let device = enrolled(&store);
        capture(&store, &device, 1);
        let backup = dir.path().join("one.backup");
        store.backup(&backup).expect("backs up");
        let later = capture(&store, &device, 2);
        let wal = std::fs::read(format!("{}-wal", database.display())).expect("a WAL");
        drop(store);
        // A WAL beside the working copy, as a restore killed mid-way could leave one.
        std::fs::write(format!("{}.restoring-wal", database.display()), &wal).expect("left");

        SqliteStore::restore(&backup, &database, 2).expect("restores");
        let store = SqliteStore::open(&database).expect("opens");
        assert!(
            store
                .registration_document(&later)
                .expect("reads")
                .is_none(),
            "a record newer than the backup came in from a stale WAL"
        );
    }

    #[test]
    fn a_password_replaced_after_a_backup_is_not_brought_back_by_its_restore() {
        use crate::storage::NewHrUser;
        use crate::storage::model::{PasswordHash, Role};
        let dir = tempfile::tempdir().expect("tempdir");
        let database = dir.path().join("relay.sqlite3");
        let store = SqliteStore::open(&database).expect("opens");
        let hash = |byte: u8| PasswordHash {
            salt: [byte; 16],
            hash: [byte; 32],
            memory_kib: 8,
            passes: 1,
        };
        let anna = store
            .create_hr_user(
                &NewHrUser {
                    username: "anna".into(),
                    display_name: "Anna".into(),
                    roles: vec![Role::Archivist],
                    password: hash(1),
                    must_change_password: false,
                    created_by: None,
                },
                1,
            )
            .expect("creates")
            .expect("new");
        let backup = dir.path().join("before.backup");
        store.backup(&backup).expect("backs up");
        // The old password leaked; she chose a new one.
        assert!(store.set_hr_password(anna, &hash(2), false).expect("sets"));
        drop(store);

        SqliteStore::restore(&backup, &database, i64::MAX).expect("restores");
        let store = SqliteStore::open(&database).expect("opens");
        let (_, password) = store.hr_user(anna).expect("reads").expect("user");
        assert!(password == hash(2), "the leaked password is back");
    }
}
