//! [`BlindIndexStore`] on SQLite: the duplicate index written by the background pass through
//! the writer, and the do-not-contact list. Removal erases a record's rows with the record
//! ([`crate::storage::record_tables`]).

use rusqlite::{OptionalExtension, params};

use super::SqliteStore;
use crate::storage::StorageResult;
use crate::storage::model::{
    BlindIndexEntry, BlindIndexFailures, DoNotContactEntry, MAX_BLIND_CANDIDATES,
};
use crate::storage::traits::BlindIndexStore;

impl BlindIndexStore for SqliteStore {
    fn unindexed_registrations(&self, limit: u32) -> StorageResult<Vec<String>> {
        self.read(|conn| {
            let mut statement = conn.prepare_cached(
                "SELECT doc_id FROM registrations r
                 WHERE NOT EXISTS (SELECT 1 FROM blind_indexed i WHERE i.doc_id = r.doc_id)
                 ORDER BY received_at, doc_id LIMIT ?1",
            )?;
            let ids = statement
                .query_map([limit], |r| r.get(0))?
                .collect::<Result<Vec<String>, _>>()?;
            Ok(ids)
        })
    }

    fn write_blind_index(
        &self,
        doc_id: &str,
        entries: &[BlindIndexEntry],
        at: i64,
    ) -> StorageResult<bool> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        let held = tx
            .query_row(
                "SELECT 1 FROM registrations WHERE doc_id = ?1",
                [doc_id],
                |_| Ok(()),
            )
            .optional()?
            .is_some();
        if !held {
            return Ok(false);
        }
        tx.execute("DELETE FROM blind_index WHERE doc_id = ?1", [doc_id])?;
        for entry in entries {
            tx.execute(
                "INSERT INTO blind_index (doc_id, field, value) VALUES (?1, ?2, ?3)",
                params![doc_id, entry.field, entry.value],
            )?;
        }
        tx.execute(
            "INSERT OR REPLACE INTO blind_indexed (doc_id, indexed_at) VALUES (?1, ?2)",
            params![doc_id, at],
        )?;
        tx.commit()?;
        Ok(true)
    }

    fn due_blind_index_retries(&self, at: i64, limit: u32) -> StorageResult<Vec<(String, u32)>> {
        self.read(|conn| {
            let mut statement = conn.prepare_cached(
                "SELECT i.doc_id, i.attempts FROM blind_indexed i
                 JOIN registrations r ON r.doc_id = i.doc_id
                 WHERE i.retry_at IS NOT NULL AND i.retry_at <= ?1
                 ORDER BY i.retry_at, i.doc_id LIMIT ?2",
            )?;
            let due = statement
                .query_map(params![at, limit], |r| Ok((r.get(0)?, r.get(1)?)))?
                .collect::<Result<Vec<(String, u32)>, _>>()?;
            Ok(due)
        })
    }

    fn postpone_blind_index(
        &self,
        doc_id: &str,
        attempts: u32,
        retry_at: Option<i64>,
        at: i64,
    ) -> StorageResult<bool> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        let held = tx
            .query_row(
                "SELECT 1 FROM registrations WHERE doc_id = ?1",
                [doc_id],
                |_| Ok(()),
            )
            .optional()?
            .is_some();
        if !held {
            return Ok(false);
        }
        tx.execute("DELETE FROM blind_index WHERE doc_id = ?1", [doc_id])?;
        tx.execute(
            "INSERT OR REPLACE INTO blind_indexed (doc_id, indexed_at, attempts, retry_at)
             VALUES (?1, ?2, ?3, ?4)",
            params![doc_id, at, attempts, retry_at],
        )?;
        tx.commit()?;
        Ok(true)
    }

    fn blind_index_failures(&self) -> StorageResult<BlindIndexFailures> {
        self.read(|conn| {
            let (retrying, given_up): (i64, i64) = conn.query_row(
                "SELECT count(i.retry_at), count(*) - count(i.retry_at)
                 FROM blind_indexed i JOIN registrations r ON r.doc_id = i.doc_id
                 WHERE i.attempts > 0",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )?;
            Ok(BlindIndexFailures {
                retrying: u64::try_from(retrying).unwrap_or(0),
                given_up: u64::try_from(given_up).unwrap_or(0),
            })
        })
    }

    fn retry_given_up_blind_index(&self, at: i64) -> StorageResult<u64> {
        let conn = self.conn();
        Ok(conn.execute(
            "UPDATE blind_indexed SET attempts = 0, retry_at = ?1
             WHERE attempts > 0 AND retry_at IS NULL",
            [at],
        )? as u64)
    }

    fn blind_index_of(&self, doc_id: &str) -> StorageResult<Vec<BlindIndexEntry>> {
        self.read(|conn| {
            let mut statement = conn.prepare_cached(
                "SELECT field, value FROM blind_index WHERE doc_id = ?1 ORDER BY field",
            )?;
            let entries = statement
                .query_map([doc_id], |r| {
                    Ok(BlindIndexEntry {
                        field: r.get(0)?,
                        value: r.get(1)?,
                    })
                })?
                .collect::<Result<Vec<_>, _>>()?;
            Ok(entries)
        })
    }

    fn blind_index_candidates(
        &self,
        doc_id: &str,
        entries: &[BlindIndexEntry],
    ) -> StorageResult<Vec<String>> {
        self.read(|conn| {
            let mut statement = conn.prepare_cached(
                "SELECT DISTINCT doc_id FROM blind_index
                 WHERE field = ?1 AND value = ?2 AND doc_id != ?3
                 ORDER BY doc_id LIMIT ?4",
            )?;
            let mut found: Vec<String> = Vec::new();
            for entry in entries {
                for id in statement.query_map(
                    params![entry.field, entry.value, doc_id, MAX_BLIND_CANDIDATES],
                    |r| r.get::<_, String>(0),
                )? {
                    let id = id?;
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
        let mut conn = self.conn_first();
        let tx = conn.transaction()?;
        for entry in entries {
            tx.execute(
                "INSERT INTO do_not_contact (field, value, basis, added_at, keep_until)
                 VALUES (?1, ?2, ?3, ?4, ?5)
                 ON CONFLICT (field, value)
                 DO UPDATE SET keep_until = max(keep_until, excluded.keep_until)",
                params![entry.field, entry.value, basis, at, keep_until],
            )?;
        }
        tx.commit()?;
        Ok(())
    }

    fn do_not_contact_matches(
        &self,
        entries: &[BlindIndexEntry],
        at: i64,
    ) -> StorageResult<Vec<DoNotContactEntry>> {
        self.read(|conn| {
            let mut statement = conn.prepare_cached(
                "SELECT field, basis, added_at, keep_until FROM do_not_contact
                 WHERE field = ?1 AND value = ?2 AND keep_until >= ?3",
            )?;
            let mut found = Vec::new();
            for entry in entries {
                if let Some(row) = statement
                    .query_row(params![entry.field, entry.value, at], |r| {
                        Ok(DoNotContactEntry {
                            field: r.get(0)?,
                            basis: r.get(1)?,
                            added_at: r.get(2)?,
                            keep_until: r.get(3)?,
                        })
                    })
                    .optional()?
                {
                    found.push(row);
                }
            }
            Ok(found)
        })
    }

    fn prune_do_not_contact(&self, at: i64) -> StorageResult<u64> {
        let conn = self.conn();
        Ok(conn.execute("DELETE FROM do_not_contact WHERE keep_until < ?1", [at])? as u64)
    }

    fn bind_index_key(&self, fingerprint: &[u8; 32]) -> StorageResult<bool> {
        let conn = self.conn();
        conn.execute(
            "INSERT OR IGNORE INTO blind_index_key (id, fingerprint) VALUES (1, ?1)",
            [&fingerprint[..]],
        )?;
        let recorded: Vec<u8> = conn.query_row(
            "SELECT fingerprint FROM blind_index_key WHERE id = 1",
            [],
            |r| r.get(0),
        )?;
        Ok(recorded == fingerprint)
    }

    fn rebind_index_key(&self, fingerprint: &[u8; 32]) -> StorageResult<()> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        tx.execute("DELETE FROM blind_index", [])?;
        tx.execute("DELETE FROM blind_indexed", [])?;
        tx.execute(
            "INSERT OR REPLACE INTO blind_index_key (id, fingerprint) VALUES (1, ?1)",
            [&fingerprint[..]],
        )?;
        tx.commit()?;
        Ok(())
    }

    fn talent_pool_withdrawals(&self) -> StorageResult<Vec<(String, i64)>> {
        self.read(|conn| {
            let mut statement = conn.prepare_cached(
                "SELECT w.doc_id, w.withdrawn_at FROM talent_pool_withdrawals w
                 JOIN registrations r ON r.doc_id = w.doc_id ORDER BY w.doc_id",
            )?;
            let rows = statement
                .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
                .collect::<Result<Vec<_>, _>>()?;
            Ok(rows)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::blind_index::{
        MAX_INDEX_ATTEMPTS, index_pending, next_index_attempt, retry_given_up,
    };
    use crate::rules::blind_index::BlindIndexKeys;
    use crate::storage::ingest_generated_for_tests;

    fn failures(store: &SqliteStore) -> (u64, u64) {
        let found = store.blind_index_failures().expect("counts");
        (found.retrying, found.given_up)
    }

    /// A document that does not read (damaged here; on PostgreSQL a seal that does not
    /// open) is not marked indexed for good: it waits for its retries, is given up on after
    /// the bound, and is indexed once a start finds it readable again.
    #[test]
    fn a_record_whose_document_does_not_read_is_tried_again_and_indexed_once_it_reads() {
        let store = SqliteStore::in_memory().expect("store");
        let keys = BlindIndexKeys::derive(&[0x1D; 32]);
        let registrations = ingest_generated_for_tests(&store, 4);
        let open = registrations
            .iter()
            .find(|r| !r.restricted && r.person.email.is_some())
            .expect("an open record with an email");
        let id = open.id.to_string();
        let document: Vec<u8> = store
            .conn()
            .query_row(
                "SELECT document FROM registrations WHERE doc_id = ?1",
                [&id],
                |r| r.get(0),
            )
            .expect("reads");
        store
            .conn()
            .execute(
                "UPDATE registrations SET document = x'00' WHERE doc_id = ?1",
                [&id],
            )
            .expect("damaged");

        assert_eq!(index_pending(&store, &keys, 1_000).expect("indexes"), 3);
        assert_eq!(failures(&store), (1, 0), "counted as waiting");
        let mut at = next_index_attempt(1, 1_000).expect("a retry");
        assert_eq!(
            index_pending(&store, &keys, at - 1).expect("indexes"),
            0,
            "not tried before it is due"
        );
        assert_eq!(
            store.due_blind_index_retries(i64::MAX, 10).expect("lists"),
            vec![(id.clone(), 1)]
        );
        // Failing on: one attempt per due time, until the last gives up.
        for attempt in 2..=MAX_INDEX_ATTEMPTS {
            assert_eq!(index_pending(&store, &keys, at).expect("indexes"), 0);
            let due = store.due_blind_index_retries(i64::MAX, 10).expect("lists");
            match next_index_attempt(attempt, at) {
                Some(next) => {
                    assert_eq!(due, vec![(id.clone(), attempt)]);
                    at = next;
                }
                None => assert!(due.is_empty(), "given up after {attempt}: {due:?}"),
            }
        }
        assert_eq!(failures(&store), (0, 1), "counted as given up");
        assert_eq!(
            index_pending(&store, &keys, i64::MAX / 2).expect("indexes"),
            0,
            "not read again"
        );
        assert!(store.blind_index_of(&id).expect("reads").is_empty());

        // The cause fixed, the relay starts: tried again, and indexed.
        store
            .conn()
            .execute(
                "UPDATE registrations SET document = ?1 WHERE doc_id = ?2",
                params![document, id],
            )
            .expect("repaired");
        assert_eq!(retry_given_up(&store, at).expect("retries"), 1);
        assert_eq!(index_pending(&store, &keys, at).expect("indexes"), 1);
        assert!(
            store
                .blind_index_of(&id)
                .expect("reads")
                .iter()
                .any(|e| e.field == "email")
        );
        assert_eq!(failures(&store), (0, 0));
    }
}
