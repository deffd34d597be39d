//! A staff tablet's pulled registrations: each row one registration's whole document,
//! encrypted by the caller ([`crate::staff_records`]); the store never sees plaintext.

use rusqlite::{OptionalExtension, params};

use super::queries::{blob_to_hashes, hashes_to_blob};
use super::{DeviceStore, StoreError};

/// One pulled registration as stored: its encrypted document, the tablet's own changes the
/// relay has not stored yet, and those it stored but may have lost in a restore.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PulledRow {
    pub doc_id: String,
    pub document: Vec<u8>,
    pub unsent: Vec<[u8; 32]>,
    /// Own changes the relay had stored, sent again after a restore of its log: unlike
    /// `unsent`, dropped when the relay refuses them, and never keeping an expired copy.
    pub resend: Vec<[u8; 32]>,
    pub expires_at: i64,
    /// The relay said the visitor withdrew the talent-pool consent since the capture.
    pub talent_pool_withdrawn: bool,
}

impl PulledRow {
    /// How many of this tablet's changes the relay may lack and the tablet still sends at
    /// `now`, as [`DeviceStore::unsent_edit_count`] counts the row: unsent ones, and those
    /// sent again after a restore unless the copy expired with nothing unsent.
    pub fn changes_to_send(&self, now: i64) -> usize {
        if self.unsent.is_empty() && self.expires_at <= now {
            0
        } else {
            self.unsent.len() + self.resend.len()
        }
    }
}

type Columns = (String, Vec<u8>, Vec<u8>, Vec<u8>, i64, bool);

const COLUMNS: &str = "doc_id, document, unsent, resend, expires_at, talent_pool_withdrawn";

/// A row with changes to send at `?1`: unsent, or sent again after a restore while the
/// copy has not expired (an expired copy keeps nothing for them: it is erased, not sent).
/// Unsent changes go with the ones sent again they depend on, expired or not.
const TO_SEND: &str = "(length(unsent) > 0 OR (length(resend) > 0 AND expires_at > ?1))";

fn row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Columns> {
    Ok((
        r.get(0)?,
        r.get(1)?,
        r.get(2)?,
        r.get(3)?,
        r.get(4)?,
        r.get(5)?,
    ))
}

fn decode(
    (doc_id, document, unsent, resend, expires_at, talent_pool_withdrawn): Columns,
) -> Result<PulledRow, StoreError> {
    Ok(PulledRow {
        doc_id,
        document,
        unsent: blob_to_hashes(&unsent).ok_or(StoreError::Undecodable {
            what: "unsent change hashes",
        })?,
        resend: blob_to_hashes(&resend).ok_or(StoreError::Undecodable {
            what: "change hashes to send again",
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

    /// The ids of pulled registrations whose copy has not expired at `now`, or that still
    /// hold unsent changes (kept past expiry until sent), by id: ids only, so a caller
    /// reads the documents a batch at a time.
    pub fn unexpired_pulled_ids(&self, now: i64) -> Result<Vec<String>, StoreError> {
        let mut statement = self.conn.prepare(
            "SELECT doc_id FROM pulled_registrations
             WHERE expires_at > ?1 OR length(unsent) > 0 ORDER BY doc_id",
        )?;
        let ids = statement.query_map([now], |r| r.get(0))?;
        Ok(ids.collect::<rusqlite::Result<_>>()?)
    }

    /// Pulled registrations with changes of this tablet to send at `now` (unsent, or sent
    /// again after a restore from an unexpired copy), at most `limit`.
    pub fn pulled_with_unsent(&self, limit: usize, now: i64) -> Result<Vec<PulledRow>, StoreError> {
        let mut statement = self.conn.prepare(&format!(
            "SELECT {COLUMNS} FROM pulled_registrations
             WHERE {TO_SEND} ORDER BY updated_at, doc_id LIMIT ?2"
        ))?;
        let rows = statement.query_map([now, limit as i64], row)?;
        rows.map(|r| decode(r?)).collect()
    }

    /// How many pulled registrations hold changes to send at `now`: changes the relay
    /// lacks, or changes it may have lost in a restore, not yet sent again, of a copy not
    /// expired.
    pub fn unsent_edit_count(&self, now: i64) -> Result<u64, StoreError> {
        Ok(self.conn.query_row(
            &format!("SELECT COUNT(*) FROM pulled_registrations WHERE {TO_SEND}"),
            [now],
            |r| r.get::<_, i64>(0),
        )? as u64)
    }

    /// Sets the changes each named registration sends again (`resend`), in one commit;
    /// nothing else of a row changes, so an edit written meanwhile is kept. A registration
    /// no longer held is passed over. Returns how many rows changed.
    pub fn set_resend(&mut self, resend: &[(String, Vec<[u8; 32]>)]) -> Result<u64, StoreError> {
        let tx = self.conn.transaction()?;
        let mut changed = 0;
        {
            let mut update =
                tx.prepare("UPDATE pulled_registrations SET resend = ?2 WHERE doc_id = ?1")?;
            for (doc_id, hashes) in resend {
                changed += update.execute(params![doc_id, hashes_to_blob(hashes)])?;
            }
        }
        tx.commit()?;
        Ok(changed as u64)
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
                   (doc_id, document, unsent, resend, expires_at, updated_at,
                    talent_pool_withdrawn)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
                 ON CONFLICT (doc_id) DO UPDATE SET document = excluded.document,
                   unsent = excluded.unsent, resend = excluded.resend,
                   expires_at = excluded.expires_at,
                   updated_at = excluded.updated_at,
                   talent_pool_withdrawn = max(talent_pool_withdrawn,
                                               excluded.talent_pool_withdrawn)",
            )?;
            for r in rows {
                upsert.execute(params![
                    r.doc_id,
                    r.document,
                    hashes_to_blob(&r.unsent),
                    hashes_to_blob(&r.resend),
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
    /// relay lacks until they are sent. Changes only sent again after a restore (`resend`)
    /// keep nothing: the relay stored them once, and the copy's personal data goes on time.
    /// Returns how many were erased.
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
