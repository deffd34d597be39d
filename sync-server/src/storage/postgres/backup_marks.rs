//! The backup watermark and the epoch on PostgreSQL, moved by the operator.
//!
//! On SQLite the relay makes its own backups, so it knows what they hold. On PostgreSQL the
//! agency's routines back the database up (base backups, WAL archiving, replicas), so the
//! relay learns of a backup from the operator, in two steps around it:
//! 1. [`PgStore::backup_mark`] before the backup starts: the epoch and the highest commit
//!    number committed so far. Numbered commits become visible in number order (the
//!    sequencer, see `postgres.rs`), so every commit up to that number is in any backup
//!    that starts afterwards.
//! 2. [`PgStore::confirm_backup`] once the backup has completed (and the WAL it needs is
//!    archived): the watermark moves up to the mark, and tablets learn from their next sync
//!    that they may erase their sealed copies of those commits.
//!
//! After the database was restored to a point in time or a replica promoted, commits the
//! tablets hold receipts for may be missing: [`PgStore::start_new_epoch`] gives the store a
//! new epoch with no watermark, so tablets send again whatever they still hold, as a
//! restore does on SQLite.

use crate::storage::model::ReportedWatermark;
use crate::storage::{StorageError, StorageResult};

use super::PgStore;
use super::rows::{signed, unsigned};

/// Why a confirmation was refused: it would report a backup the store cannot vouch for.
fn refused(why: String) -> StorageError {
    StorageError::Backup(why)
}

impl PgStore {
    /// The epoch and the highest commit number committed so far (see the module doc).
    pub fn backup_mark(&self) -> StorageResult<ReportedWatermark> {
        let row = self.client()?.query_one(
            "SELECT epoch, commit_seq FROM relay_state WHERE id = 1",
            &[],
        )?;
        let epoch: Vec<u8> = row.try_get(0)?;
        Ok(ReportedWatermark {
            epoch: hex::encode(epoch),
            watermark: unsigned(row.try_get(1)?, "commit number")?,
        })
    }

    /// Records that a completed backup holds every commit up to `mark` (taken by
    /// [`PgStore::backup_mark`] before it started), and returns the watermark now reported.
    /// Refused, changing nothing, for a mark of another epoch (the store was restored or
    /// given a new epoch since) or one beyond the store's last commit (not a mark of this
    /// database). A mark below the watermark already reported leaves it as it is.
    pub fn confirm_backup(&self, mark: &ReportedWatermark) -> StorageResult<u64> {
        self.write(|tx| {
            // Under the sequencer's row lock: no new epoch can slip in between the check
            // and the update.
            let row = tx.query_one(
                "SELECT epoch, commit_seq, backup_watermark FROM relay_state WHERE id = 1
                 FOR UPDATE",
                &[],
            )?;
            let epoch = hex::encode(row.try_get::<_, Vec<u8>>(0)?);
            let last = unsigned(row.try_get(1)?, "commit number")?;
            let held = row
                .try_get::<_, Option<i64>>(2)?
                .map(|w| unsigned(w, "backup watermark"))
                .transpose()?;
            if epoch != mark.epoch {
                return Err(refused(format!(
                    "refused: the mark is of epoch {}, but the store is in epoch {epoch} now \
                     (it was restored or given a new epoch since the mark was taken); take a \
                     new mark and a new backup",
                    mark.epoch
                )));
            }
            if mark.watermark > last {
                return Err(refused(format!(
                    "refused: the mark names commit {}, but this database's last commit is \
                     {last}; the mark is not of this database",
                    mark.watermark
                )));
            }
            let watermark = held.unwrap_or(0).max(mark.watermark);
            tx.execute(
                "UPDATE relay_state SET backup_watermark = $1 WHERE id = 1",
                &[&signed(watermark, "backup watermark")?],
            )?;
            Ok(watermark)
        })
    }

    /// Gives the store a new epoch with no backup watermark (see the module doc), and
    /// returns it as hex.
    pub fn start_new_epoch(&self) -> StorageResult<String> {
        self.write(|tx| {
            let epoch: Vec<u8> = tx
                .query_one(
                    "UPDATE relay_state
                     SET epoch = decode(replace(gen_random_uuid()::text, '-', ''), 'hex'),
                         backup_watermark = NULL
                     WHERE id = 1 RETURNING epoch",
                    &[],
                )?
                .try_get(0)?;
            Ok(hex::encode(epoch))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_cluster::fresh_database_url;
    use super::*;
    use crate::storage::traits::SyncStore;

    fn numbered_commits(store: &PgStore, how_many: usize) {
        for _ in 0..how_many {
            store
                .write_numbered(|_, _| Ok(()))
                .expect("a numbered commit");
        }
    }

    #[test]
    fn a_confirmed_mark_becomes_the_watermark_every_instance_reports() {
        let url = fresh_database_url();
        let one = PgStore::open(&url).expect("opens");
        let other = PgStore::open(&url).expect("a second instance opens");
        numbered_commits(&one, 3);
        let mark = one.backup_mark().expect("mark");
        assert_eq!(mark.watermark, 3);
        // Commits made while the backup runs are not covered by it.
        numbered_commits(&other, 2);
        assert_eq!(other.confirm_backup(&mark).expect("confirmed"), 3);
        for store in [&one, &other] {
            let state = store.backup_state().expect("state");
            assert_eq!(state.watermark, Some(3));
            assert_eq!(hex::encode(state.epoch), mark.epoch);
        }
    }

    #[test]
    fn an_older_mark_never_lowers_the_watermark() {
        let store = PgStore::open(&fresh_database_url()).expect("opens");
        numbered_commits(&store, 1);
        let older = store.backup_mark().expect("mark");
        numbered_commits(&store, 4);
        let newer = store.backup_mark().expect("mark");
        assert_eq!(store.confirm_backup(&newer).expect("confirmed"), 5);
        assert_eq!(store.confirm_backup(&older).expect("confirmed"), 5);
        assert_eq!(store.backup_state().expect("state").watermark, Some(5));
    }

    #[test]
    fn a_mark_of_another_epoch_or_beyond_the_last_commit_is_refused_and_changes_nothing() {
        let store = PgStore::open(&fresh_database_url()).expect("opens");
        numbered_commits(&store, 2);
        let mark = store.backup_mark().expect("mark");
        let beyond = ReportedWatermark {
            epoch: mark.epoch.clone(),
            watermark: 3,
        };
        let error = store
            .confirm_backup(&beyond)
            .expect_err("beyond the last commit");
        assert!(
            error.to_string().contains("not of this database"),
            "{error}"
        );
        let new_epoch = store.start_new_epoch().expect("new epoch");
        assert_ne!(new_epoch, mark.epoch);
        let error = store.confirm_backup(&mark).expect_err("another epoch");
        assert!(error.to_string().contains(&new_epoch), "{error}");
        assert_eq!(store.backup_state().expect("state").watermark, None);
    }

    #[test]
    fn a_new_epoch_clears_the_watermark_and_keeps_the_commit_numbers() {
        let store = PgStore::open(&fresh_database_url()).expect("opens");
        numbered_commits(&store, 2);
        let mark = store.backup_mark().expect("mark");
        store.confirm_backup(&mark).expect("confirmed");
        let epoch = store.start_new_epoch().expect("new epoch");
        let state = store.backup_state().expect("state");
        assert_eq!(hex::encode(state.epoch), epoch);
        assert_eq!(state.watermark, None);
        // Numbering goes on: pull cursors of the old epoch stay below new commits.
        assert_eq!(store.backup_mark().expect("mark").watermark, 2);
    }
}
