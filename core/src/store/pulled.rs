//! A staff tablet's pulled registrations: each row one registration's whole document,
//! encrypted by the caller ([`crate::staff_records`]); the store never sees plaintext.

use rusqlite::{OptionalExtension, params};

use super::queries::{blob_to_hashes, hashes_to_blob};
use super::{DeviceStore, StoreError};

/// One pulled registration as stored: its encrypted document and the tablet's own changes
/// the relay has not stored yet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PulledRow {
    pub doc_id: String,
    pub document: Vec<u8>,
    pub unsent: Vec<[u8; 32]>,
    pub expires_at: i64,
    /// The relay said the visitor withdrew the talent-pool consent since the capture.
    pub talent_pool_withdrawn: bool,
}

type Columns = (String, Vec<u8>, Vec<u8>, i64, bool);

const COLUMNS: &str = "doc_id, document, unsent, expires_at, talent_pool_withdrawn";

fn row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Columns> {
    Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
}

fn decode(
    (doc_id, document, unsent, expires_at, talent_pool_withdrawn): Columns,
) -> Result<PulledRow, StoreError> {
    Ok(PulledRow {
        doc_id,
        document,
        unsent: blob_to_hashes(&unsent).ok_or(StoreError::Undecodable {
            what: "unsent change hashes",
        })?,
        expires_at,
        talent_pool_withdrawn,
    })
}

impl DeviceStore {
    pub fn pulled(&self, doc_id: &str) -> Result<Option<PulledRow>, StoreError> {
        self.conn
            .query_row(
                &format!("SELECT {COLUMNS} FROM pulled_registrations WHERE doc_id = ?1"),
                [doc_id],
                row,
            )
            .optional()?
            .map(decode)
            .transpose()
    }

    /// Every pulled registration, by id.
    pub fn all_pulled(&self) -> Result<Vec<PulledRow>, StoreError> {
        let mut statement = self.conn.prepare(&format!(
            "SELECT {COLUMNS} FROM pulled_registrations ORDER BY doc_id"
        ))?;
        let rows = statement.query_map([], row)?;
        rows.map(|r| decode(r?)).collect()
    }

    /// Pulled registrations with changes of this tablet the relay lacks, at most `limit`.
    pub fn pulled_with_unsent(&self, limit: usize) -> Result<Vec<PulledRow>, StoreError> {
        let mut statement = self.conn.prepare(&format!(
            "SELECT {COLUMNS} FROM pulled_registrations
             WHERE length(unsent) > 0 ORDER BY updated_at, doc_id LIMIT ?1"
        ))?;
        let rows = statement.query_map([limit as i64], row)?;
        rows.map(|r| decode(r?)).collect()
    }

    /// How many pulled registrations hold changes the relay lacks.
    pub fn unsent_edit_count(&self) -> Result<u64, StoreError> {
        Ok(self.conn.query_row(
            "SELECT COUNT(*) FROM pulled_registrations WHERE length(unsent) > 0",
            [],
            |r| r.get::<_, i64>(0),
        )? as u64)
    }

    /// Writes pulled registrations, marks `withdrawn` ones' talent-pool consent withdrawn,
    /// deletes `removed`, and writes the meta that goes with them (the pull cursor), in one
    /// commit, so a cursor never runs ahead of the documents it covers. Returns how many of
    /// `removed` the store held.
    pub fn put_pulled(
        &mut self,
        rows: &[PulledRow],
        withdrawn: &[String],
        removed: &[String],
        meta: &[(&str, &[u8])],
        at: i64,
    ) -> Result<u64, StoreError> {
        let tx = self.conn.transaction()?;
        let mut deleted = 0;
        {
            let mut upsert = tx.prepare(
                "INSERT INTO pulled_registrations
                   (doc_id, document, unsent, expires_at, updated_at, talent_pool_withdrawn)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)
                 ON CONFLICT (doc_id) DO UPDATE SET document = excluded.document,
                   unsent = excluded.unsent, expires_at = excluded.expires_at,
                   updated_at = excluded.updated_at,
                   talent_pool_withdrawn = max(talent_pool_withdrawn,
                                               excluded.talent_pool_withdrawn)",
            )?;
            for r in rows {
                upsert.execute(params![
                    r.doc_id,
                    r.document,
                    hashes_to_blob(&r.unsent),
                    r.expires_at,
                    at,
                    r.talent_pool_withdrawn
                ])?;
            }
            // A withdrawal is never taken back: the visitor gives a new consent, if ever,
            // with a new registration.
            let mut withdraw = tx.prepare(
                "UPDATE pulled_registrations SET talent_pool_withdrawn = 1 WHERE doc_id = ?1",
            )?;
            for doc_id in withdrawn {
                withdraw.execute([doc_id])?;
            }
            let mut delete = tx.prepare("DELETE FROM pulled_registrations WHERE doc_id = ?1")?;
            for doc_id in removed {
                deleted += delete.execute([doc_id])?;
            }
        }
        super::queries::put_meta(&tx, meta)?;
        tx.commit()?;
        if deleted > 0 {
            self.checkpoint()?;
        }
        Ok(deleted as u64)
    }

    /// Erases pulled registrations whose copy expired; keeps those holding changes the
    /// relay lacks until they are sent. Returns how many were erased.
    pub fn erase_expired_pulled(&mut self, now: i64) -> Result<u64, StoreError> {
        let erased = self.conn.execute(
            "DELETE FROM pulled_registrations WHERE expires_at <= ?1 AND length(unsent) = 0",
            [now],
        )?;
        if erased > 0 {
            self.checkpoint()?;
        }
        Ok(erased as u64)
    }

    /// Marks removed-at-the-relay captures erased on a kiosk: whatever their state, their
    /// sealed copy goes and they are never sent again.
    pub fn erase_removed_captures(
        &mut self,
        doc_ids: &[String],
        at: i64,
    ) -> Result<u64, StoreError> {
        let tx = self.conn.transaction()?;
        let mut erased = 0;
        for doc_id in doc_ids {
            erased += tx.execute(
                "UPDATE sealed_documents SET state = 'deleted', sealed = NULL, state_changed_at = ?2
                 WHERE doc_id = ?1 AND state != 'deleted'",
                params![doc_id, at],
            )?;
        }
        tx.commit()?;
        if erased > 0 {
            self.checkpoint()?;
        }
        Ok(erased as u64)
    }
}
