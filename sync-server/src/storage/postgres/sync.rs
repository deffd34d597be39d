//! [`SyncStore`] on PostgreSQL: ingest (with the pull read in the same transaction) and what
//! every sync answer reads beside it.
//!
//! Each sync request is one transaction numbered by the sequencer ([`super::ingest`]); there
//! is no group commit as on SQLite yet. Numbered commits run one at a time across every
//! instance, so each pays its own round trips and its own WAL flush while it holds the
//! sequencer: that is the rate's ceiling. A capture's list fields are read before the
//! sequencer is taken, statements are one round trip each, and an instance's requests
//! queue in the process ([`PgStore::numbering_turn`]) rather than on the sequencer's row.
//! Group commit (several requests of one instance in one transaction, a savepoint each,
//! one flush) would slot in at that queue, as [`super::super::group_commit`] does for
//! SQLite; it is the next step if the figures ask for it.

use crate::storage::model::{
    BackupState, IngestBatch, IngestOutcome, MonitoringFigures, RelayCounts,
};
use crate::storage::{StorageError, StorageResult};

use super::rows::unsigned;
use super::{PgStore, ingest};
use crate::storage::traits::SyncStore;

impl SyncStore for PgStore {
    fn ingest(&self, batch: &IngestBatch) -> StorageResult<IngestOutcome> {
        let mut listings = ingest::read_listings_ahead(batch);
        self.write_numbered_or_nothing(|tx, seq| {
            ingest::apply_batch(tx, batch, seq, &mut listings, self.email_tags())
        })
    }

    fn backup_state(&self) -> StorageResult<BackupState> {
        let row = self.client()?.query_one(
            "SELECT epoch, backup_watermark FROM relay_state WHERE id = 1",
            &[],
        )?;
        let epoch: Vec<u8> = row.try_get(0)?;
        Ok(BackupState {
            epoch: epoch
                .try_into()
                .map_err(|_| StorageError::Undecodable("relay epoch"))?,
            watermark: row
                .try_get::<_, Option<i64>>(1)?
                .map(|w| unsigned(w, "backup watermark"))
                .transpose()?,
        })
    }

    fn quarantined_bytes(&self, device_key: &[u8; 32]) -> StorageResult<u64> {
        let bytes: i64 = self
            .client()?
            .query_one(
                // Counted as received: less what sealing added.
                "SELECT COALESCE(SUM(length(payload) - $2), 0)::BIGINT FROM quarantine
                 WHERE device_key = $1",
                &[
                    &device_key.as_slice(),
                    &(super::record_seal::SEAL_OVERHEAD as i32),
                ],
            )?
            .try_get(0)?;
        unsigned(bytes, "quarantined bytes")
    }

    fn counts(&self) -> StorageResult<RelayCounts> {
        // One statement: one snapshot for the three counts.
        let row = self.client()?.query_one(
            "SELECT (SELECT COUNT(*) FROM registrations), (SELECT COUNT(*) FROM quarantine),
                    (SELECT COUNT(*) FROM devices)",
            &[],
        )?;
        Ok(RelayCounts {
            registrations: unsigned(row.try_get(0)?, "count")?,
            quarantined: unsigned(row.try_get(1)?, "count")?,
            devices: unsigned(row.try_get(2)?, "count")?,
        })
    }

    fn probe_write(&self) -> StorageResult<()> {
        // A row of a table no ingest touches, added and taken away in one transaction:
        // a real commit, waiting on no lock a sync holds.
        self.write(|tx| {
            tx.batch_execute(
                "SET LOCAL statement_timeout = 5000;
                 INSERT INTO failure_counts (scope, subject, window_ends, failures)
                 VALUES ('readiness-probe', decode(repeat('a5', 32), 'hex'), 0, 0)
                 ON CONFLICT DO NOTHING;
                 DELETE FROM failure_counts WHERE scope = 'readiness-probe';",
            )?;
            Ok(())
        })
    }

    fn monitoring_figures(&self, silent_before: i64) -> StorageResult<MonitoringFigures> {
        let row = self.client()?.query_one(
            "SELECT pg_database_size(current_database()),
                    (SELECT coalesce(max(seq) - min(seq) + 1, 0) FROM access_log),
                    (SELECT COUNT(*) FROM devices
                     WHERE revoked_at IS NULL AND last_contact < $1
                       AND declared_journal > chain_count)",
            &[&silent_before],
        )?;
        Ok(MonitoringFigures {
            store_bytes: Some(unsigned(row.try_get(0)?, "database size")?),
            access_log_entries: unsigned(row.try_get(1)?, "count")?,
            silent_with_unsent: unsigned(row.try_get(2)?, "count")?,
        })
    }
}
