//! [`BlindIndexStore`] on PostgreSQL, as on SQLite: the duplicate index the background pass
//! writes (any instance; a record indexed twice gets the same rows), and the do-not-contact
//! list. Removal erases a record's rows with the record ([`crate::storage::record_tables`]).

use super::PgStore;
use crate::storage::StorageResult;
use crate::storage::model::{
    BlindIndexEntry, BlindIndexFailures, DoNotContactEntry, MAX_BLIND_CANDIDATES,
};
use crate::storage::traits::BlindIndexStore;

impl BlindIndexStore for PgStore {
    fn unindexed_registrations(&self, limit: u32) -> StorageResult<Vec<String>> {
        self.read(|tx| {
            let rows = tx.query(
                "SELECT doc_id FROM registrations r
                 WHERE NOT EXISTS (SELECT 1 FROM blind_indexed i WHERE i.doc_id = r.doc_id)
                 ORDER BY received_at, doc_id LIMIT $1",
                &[&i64::from(limit)],
            )?;
            Ok(rows
                .iter()
                .map(|row| row.try_get(0))
                .collect::<Result<_, _>>()?)
        })
    }

    fn write_blind_index(
        &self,
        doc_id: &str,
        entries: &[BlindIndexEntry],
        at: i64,
    ) -> StorageResult<bool> {
        self.write(|tx| {
            // Locks the record's row: a removal racing this write waits, or has gone first.
            let held = tx
                .query_opt(
                    "SELECT 1 FROM registrations WHERE doc_id = $1 FOR SHARE",
                    &[&doc_id],
                )?
                .is_some();
            if !held {
                return Ok(false);
            }
            tx.execute("DELETE FROM blind_index WHERE doc_id = $1", &[&doc_id])?;
            for entry in entries {
                tx.execute(
                    "INSERT INTO blind_index (doc_id, field, value) VALUES ($1, $2, $3)",
                    &[&doc_id, &entry.field, &entry.value],
                )?;
            }
            tx.execute(
                "INSERT INTO blind_indexed (doc_id, indexed_at) VALUES ($1, $2)
                 ON CONFLICT (doc_id) DO UPDATE
                 SET indexed_at = excluded.indexed_at, attempts = 0, retry_at = NULL",
                &[&doc_id, &at],
            )?;
            Ok(true)
        })
    }

    fn due_blind_index_retries(&self, at: i64, limit: u32) -> StorageResult<Vec<(String, u32)>> {
        self.read(|tx| {
            let rows = tx.query(
                "SELECT i.doc_id, i.attempts FROM blind_indexed i
                 JOIN registrations r ON r.doc_id = i.doc_id
                 WHERE i.retry_at IS NOT NULL AND i.retry_at <= $1
                 ORDER BY i.retry_at, i.doc_id LIMIT $2",
                &[&at, &i64::from(limit)],
            )?;
            rows.iter()
                .map(|row| {
                    let attempts: i32 = row.try_get(1)?;
                    Ok((row.try_get(0)?, u32::try_from(attempts).unwrap_or(0)))
                })
                .collect()
        })
    }

    fn postpone_blind_index(
        &self,
        doc_id: &str,
        attempts: u32,
        retry_at: Option<i64>,
        at: i64,
    ) -> StorageResult<bool> {
        let attempts = i32::try_from(attempts).unwrap_or(i32::MAX);
        self.write(|tx| {
            // Locks the record's row, as an index write does.
            let held = tx
                .query_opt(
                    "SELECT 1 FROM registrations WHERE doc_id = $1 FOR SHARE",
                    &[&doc_id],
                )?
                .is_some();
            if !held {
                return Ok(false);
            }
            tx.execute("DELETE FROM blind_index WHERE doc_id = $1", &[&doc_id])?;
            tx.execute(
                "INSERT INTO blind_indexed (doc_id, indexed_at, attempts, retry_at)
                 VALUES ($1, $2, $3, $4)
                 ON CONFLICT (doc_id) DO UPDATE SET indexed_at = excluded.indexed_at,
                     attempts = excluded.attempts, retry_at = excluded.retry_at",
                &[&doc_id, &at, &attempts, &retry_at],
            )?;
            Ok(true)
        })
    }

    fn blind_index_failures(&self) -> StorageResult<BlindIndexFailures> {
        self.read(|tx| {
            let row = tx.query_one(
                "SELECT count(i.retry_at), count(*) - count(i.retry_at)
                 FROM blind_indexed i JOIN registrations r ON r.doc_id = i.doc_id
                 WHERE i.attempts > 0",
                &[],
            )?;
            let (retrying, given_up): (i64, i64) = (row.try_get(0)?, row.try_get(1)?);
            Ok(BlindIndexFailures {
                retrying: u64::try_from(retrying).unwrap_or(0),
                given_up: u64::try_from(given_up).unwrap_or(0),
            })
        })
    }

    fn retry_given_up_blind_index(&self, at: i64) -> StorageResult<u64> {
        self.write(|tx| {
            Ok(tx.execute(
                "UPDATE blind_indexed SET attempts = 0, retry_at = $1
                 WHERE attempts > 0 AND retry_at IS NULL",
                &[&at],
            )?)
        })
    }

    fn blind_index_of(&self, doc_id: &str) -> StorageResult<Vec<BlindIndexEntry>> {
        self.read(|tx| {
            let rows = tx.query(
                "SELECT field, value FROM blind_index WHERE doc_id = $1 ORDER BY field",
                &[&doc_id],
            )?;
            rows.iter()
                .map(|row| {
                    Ok(BlindIndexEntry {
                        field: row.try_get(0)?,
                        value: row.try_get(1)?,
                    })
                })
                .collect()
        })
    }

    fn blind_index_candidates(
        &self,
        doc_id: &str,
        entries: &[BlindIndexEntry],
    ) -> StorageResult<Vec<String>> {
        self.read(|tx| {
            let mut found: Vec<String> = Vec::new();
            for entry in entries {
                for row in tx.query(
                    "SELECT DISTINCT doc_id FROM blind_index
                     WHERE field = $1 AND value = $2 AND doc_id != $3
                     ORDER BY doc_id LIMIT $4",
                    &[
                        &entry.field,
                        &entry.value,
                        &doc_id,
                        &i64::from(MAX_BLIND_CANDIDATES),
                    ],
                )? {
                    let id: String = row.try_get(0)?;
                    if !found.contains(&id) && found.len() < MAX_BLIND_CANDIDATES as usize {
                        found.push(id);
                    }
                }
            }
            Ok(found)
        })
    }

    fn add_do_not_contact(
        &self,
        entries: &[BlindIndexEntry],
        basis: &str,
        at: i64,
        keep_until: i64,
    ) -> StorageResult<()> {
        self.write(|tx| {
            for entry in entries {
                tx.execute(
                    "INSERT INTO do_not_contact (field, value, basis, added_at, keep_until)
                     VALUES ($1, $2, $3, $4, $5)
                     ON CONFLICT (field, value)
                     DO UPDATE SET keep_until =
                         GREATEST(do_not_contact.keep_until, excluded.keep_until)",
                    &[&entry.field, &entry.value, &basis, &at, &keep_until],
                )?;
            }
            Ok(())
        })
    }

    fn do_not_contact_matches(
        &self,
        entries: &[BlindIndexEntry],
        at: i64,
    ) -> StorageResult<Vec<DoNotContactEntry>> {
        self.read(|tx| {
            let mut found = Vec::new();
            for entry in entries {
                if let Some(row) = tx.query_opt(
                    "SELECT field, basis, added_at, keep_until FROM do_not_contact
                     WHERE field = $1 AND value = $2 AND keep_until >= $3",
                    &[&entry.field, &entry.value, &at],
                )? {
                    found.push(DoNotContactEntry {
                        field: row.try_get(0)?,
                        basis: row.try_get(1)?,
                        added_at: row.try_get(2)?,
                        keep_until: row.try_get(3)?,
                    });
                }
            }
            Ok(found)
        })
    }

    fn prune_do_not_contact(&self, at: i64) -> StorageResult<u64> {
        self.write(|tx| Ok(tx.execute("DELETE FROM do_not_contact WHERE keep_until < $1", &[&at])?))
    }

    fn bind_index_key(&self, fingerprint: &[u8; 32]) -> StorageResult<bool> {
        self.write(|tx| {
            tx.execute(
                "INSERT INTO blind_index_key (id, fingerprint) VALUES (1, $1)
                 ON CONFLICT (id) DO NOTHING",
                &[&&fingerprint[..]],
            )?;
            let recorded: Vec<u8> = tx
                .query_one("SELECT fingerprint FROM blind_index_key WHERE id = 1", &[])?
                .try_get(0)?;
            Ok(recorded == fingerprint)
        })
    }

    fn rebind_index_key(&self, fingerprint: &[u8; 32]) -> StorageResult<()> {
        self.write(|tx| {
            tx.execute("DELETE FROM blind_index", &[])?;
            tx.execute("DELETE FROM blind_indexed", &[])?;
            tx.execute(
                "INSERT INTO blind_index_key (id, fingerprint) VALUES (1, $1)
                 ON CONFLICT (id) DO UPDATE SET fingerprint = excluded.fingerprint",
                &[&&fingerprint[..]],
            )?;
            Ok(())
        })
    }

    fn talent_pool_withdrawals(&self) -> StorageResult<Vec<(String, i64)>> {
        self.read(|tx| {
            let rows = tx.query(
                "SELECT w.doc_id, w.withdrawn_at FROM talent_pool_withdrawals w
                 JOIN registrations r ON r.doc_id = w.doc_id ORDER BY w.doc_id",
                &[],
            )?;
            rows.iter()
                .map(|row| Ok((row.try_get(0)?, row.try_get(1)?)))
                .collect()
        })
    }
}
