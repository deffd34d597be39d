//! Every statement the device store runs.

use rusqlite::{OptionalExtension, params};

use super::{DeviceStore, StoreError};
use crate::ids::{RegistrationId, Timestamp};
use crate::journal::{JournalEntry, JournalHead};

/// Where a sealed document is on its way to the relay.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DocumentState {
    /// Stored on the tablet, not yet pushed.
    Captured,
    /// Pushed, no receipt yet.
    Sent,
    /// The relay signed a receipt for it.
    Received,
    /// Erased from the tablet after the relay held it receipted and backed up.
    Deleted,
}

impl DocumentState {
    pub fn as_str(self) -> &'static str {
        match self {
            DocumentState::Captured => "captured",
            DocumentState::Sent => "sent",
            DocumentState::Received => "received",
            DocumentState::Deleted => "deleted",
        }
    }

    fn parse(text: &str) -> Option<DocumentState> {
        Some(match text {
            "captured" => DocumentState::Captured,
            "sent" => DocumentState::Sent,
            "received" => DocumentState::Received,
            "deleted" => DocumentState::Deleted,
            _ => return None,
        })
    }

    /// States a document may move to from this one. Only forward; a push that failed is
    /// simply sent again from `Sent`.
    fn may_become(self, next: DocumentState) -> bool {
        use DocumentState::*;
        matches!(
            (self, next),
            (Captured, Sent) | (Captured, Received) | (Sent, Received) | (Received, Deleted)
        )
    }
}

/// A capture still waiting for its receipt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingCapture {
    pub doc_id: RegistrationId,
    pub journal_seq: u64,
    pub change_hashes: Vec<[u8; 32]>,
    pub sealed: Vec<u8>,
}

/// How many documents are in each state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct StateCounts {
    pub captured: u64,
    pub sent: u64,
    pub received: u64,
    pub deleted: u64,
}

pub(super) fn hashes_to_blob(hashes: &[[u8; 32]]) -> Vec<u8> {
    hashes.concat()
}

pub(super) fn blob_to_hashes(blob: &[u8]) -> Option<Vec<[u8; 32]>> {
    if !blob.len().is_multiple_of(32) {
        return None;
    }
    Some(
        blob.chunks_exact(32)
            .map(|c| c.try_into().expect("32-byte chunk"))
            .collect(),
    )
}

fn hash32(blob: &[u8], what: &'static str) -> Result<[u8; 32], StoreError> {
    blob.try_into()
        .map_err(|_| StoreError::Undecodable { what })
}

impl DeviceStore {
    pub fn meta(&self, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        Ok(self
            .conn
            .query_row("SELECT value FROM meta WHERE key = ?1", [key], |row| {
                row.get(0)
            })
            .optional()?)
    }

    pub fn set_meta(&mut self, key: &str, value: &[u8]) -> Result<(), StoreError> {
        self.conn.execute(
            "INSERT INTO meta (key, value) VALUES (?1, ?2)
             ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            params![key, value],
        )?;
        Ok(())
    }

    /// Sets several meta values in one commit.
    pub fn set_meta_all(&mut self, values: &[(&str, &[u8])]) -> Result<(), StoreError> {
        let tx = self.conn.transaction()?;
        for (key, value) in values {
            tx.execute(
                "INSERT INTO meta (key, value) VALUES (?1, ?2)
                 ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                params![key, value],
            )?;
        }
        tx.commit()?;
        Ok(())
    }

    /// Sets `values` in one commit only if every key in `expected` still holds the value
    /// given (`None`: absent or empty), as read in the same transaction: a compare-and-swap,
    /// so a value checked against is never overwritten by one checked against another.
    /// Returns whether it swapped.
    pub fn swap_meta(
        &mut self,
        expected: &[(&str, Option<&[u8]>)],
        values: &[(&str, &[u8])],
    ) -> Result<bool, StoreError> {
        // IMMEDIATE: the read and the write are one step for every other connection.
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        for (key, want) in expected {
            let held: Option<Vec<u8>> = tx
                .query_row("SELECT value FROM meta WHERE key = ?1", [key], |row| {
                    row.get(0)
                })
                .optional()?;
            let held = held.filter(|value| !value.is_empty());
            if held.as_deref() != *want {
                return Ok(false);
            }
        }
        put_meta(&tx, values)?;
        tx.commit()?;
        Ok(true)
    }

    /// The journal's count and head hash.
    pub fn journal_head(&self) -> Result<JournalHead, StoreError> {
        let last: Option<(i64, Vec<u8>)> = self
            .conn
            .query_row(
                "SELECT seq, hash FROM journal ORDER BY seq DESC LIMIT 1",
                [],
                |row| Ok((row.get(0)?, row.get(1)?)),
            )
            .optional()?;
        Ok(match last {
            None => JournalHead::EMPTY,
            Some((seq, hash)) => JournalHead {
                count: seq as u64,
                head: hash32(&hash, "journal hash")?,
            },
        })
    }

    /// Records a capture: its journal entry and its sealed document, in one durable commit.
    /// The entry must follow the current head; the commit is what acknowledges the visitor.
    pub fn insert_capture(
        &mut self,
        entry: &JournalEntry,
        sealed: &[u8],
        captured_at: Timestamp,
    ) -> Result<(), StoreError> {
        let tx = self.conn.transaction()?;
        let head: Option<(i64, Vec<u8>)> = tx
            .query_row(
                "SELECT seq, hash FROM journal ORDER BY seq DESC LIMIT 1",
                [],
                |row| Ok((row.get(0)?, row.get(1)?)),
            )
            .optional()?;
        let follows = match &head {
            None => entry.seq == 1 && entry.previous == crate::journal::GENESIS,
            Some((seq, hash)) => entry.seq == *seq as u64 + 1 && entry.previous.as_slice() == hash,
        };
        if !follows {
            return Err(StoreError::JournalOutOfOrder { seq: entry.seq });
        }
        tx.execute(
            "INSERT INTO journal (seq, doc_id, change_hashes, previous, hash)
             VALUES (?1, ?2, ?3, ?4, ?5)",
            params![
                entry.seq as i64,
                entry.doc_id.as_str(),
                hashes_to_blob(&entry.change_hashes),
                entry.previous.as_slice(),
                entry.hash.as_slice(),
            ],
        )?;
        tx.execute(
            "INSERT INTO sealed_documents (doc_id, sealed, state, captured_at, state_changed_at)
             VALUES (?1, ?2, 'captured', ?3, ?3)",
            params![entry.doc_id.as_str(), sealed, captured_at.millis()],
        )?;
        tx.commit()?;
        Ok(())
    }

    /// The whole journal, oldest first.
    pub fn journal_entries(&self) -> Result<Vec<JournalEntry>, StoreError> {
        let mut statement = self.conn.prepare(
            "SELECT seq, doc_id, change_hashes, previous, hash FROM journal ORDER BY seq",
        )?;
        let rows = statement.query_map([], |row| {
            Ok((
                row.get::<_, i64>(0)?,
                row.get::<_, String>(1)?,
                row.get::<_, Vec<u8>>(2)?,
                row.get::<_, Vec<u8>>(3)?,
                row.get::<_, Vec<u8>>(4)?,
            ))
        })?;
        let mut entries = Vec::new();
        for row in rows {
            let (seq, doc_id, hashes, previous, hash) = row?;
            entries.push(JournalEntry {
                seq: seq as u64,
                doc_id: RegistrationId::parse(&doc_id).ok_or(StoreError::Undecodable {
                    what: "document id",
                })?,
                change_hashes: blob_to_hashes(&hashes).ok_or(StoreError::Undecodable {
                    what: "change hashes",
                })?,
                previous: hash32(&previous, "journal hash")?,
                hash: hash32(&hash, "journal hash")?,
            });
        }
        Ok(entries)
    }

    pub fn state_counts(&self) -> Result<StateCounts, StoreError> {
        let mut statement = self
            .conn
            .prepare("SELECT state, COUNT(*) FROM sealed_documents GROUP BY state")?;
        let mut counts = StateCounts::default();
        let rows = statement.query_map([], |row| {
            Ok((row.get::<_, String>(0)?, row.get::<_, i64>(1)?))
        })?;
        for row in rows {
            let (state, count) = row?;
            let count = count as u64;
            match DocumentState::parse(&state) {
                Some(DocumentState::Captured) => counts.captured = count,
                Some(DocumentState::Sent) => counts.sent = count,
                Some(DocumentState::Received) => counts.received = count,
                Some(DocumentState::Deleted) => counts.deleted = count,
                None => {
                    return Err(StoreError::Undecodable {
                        what: "document state",
                    });
                }
            }
        }
        Ok(counts)
    }

    pub fn document_state(
        &self,
        doc_id: &RegistrationId,
    ) -> Result<Option<DocumentState>, StoreError> {
        let state: Option<String> = self
            .conn
            .query_row(
                "SELECT state FROM sealed_documents WHERE doc_id = ?1",
                [doc_id.as_str()],
                |row| row.get(0),
            )
            .optional()?;
        state
            .map(|s| {
                DocumentState::parse(&s).ok_or(StoreError::Undecodable {
                    what: "document state",
                })
            })
            .transpose()
    }

    /// Sealed documents in `state`, oldest first, at most `limit`.
    pub fn sealed_documents(
        &self,
        state: DocumentState,
        limit: usize,
    ) -> Result<Vec<(RegistrationId, Vec<u8>)>, StoreError> {
        let mut statement = self.conn.prepare(
            "SELECT d.doc_id, d.sealed FROM sealed_documents d JOIN journal j USING (doc_id)
             WHERE d.state = ?1 AND d.sealed IS NOT NULL ORDER BY j.seq LIMIT ?2",
        )?;
        let rows = statement.query_map(params![state.as_str(), limit as i64], |row| {
            Ok((row.get::<_, String>(0)?, row.get::<_, Vec<u8>>(1)?))
        })?;
        let mut documents = Vec::new();
        for row in rows {
            let (id, sealed) = row?;
            let id = RegistrationId::parse(&id).ok_or(StoreError::Undecodable {
                what: "document id",
            })?;
            documents.push((id, sealed));
        }
        Ok(documents)
    }

    /// Captures without a receipt (captured or sent), oldest first, with their journal entry.
    pub fn pending_captures(&self, limit: usize) -> Result<Vec<PendingCapture>, StoreError> {
        let mut statement = self.conn.prepare(
            "SELECT d.doc_id, j.seq, j.change_hashes, d.sealed
             FROM sealed_documents d JOIN journal j USING (doc_id)
             WHERE d.state IN ('captured', 'sent') ORDER BY j.seq LIMIT ?1",
        )?;
        let rows = statement.query_map([limit.min(i64::MAX as usize) as i64], |row| {
            Ok((
                row.get::<_, String>(0)?,
                row.get::<_, i64>(1)?,
                row.get::<_, Vec<u8>>(2)?,
                row.get::<_, Vec<u8>>(3)?,
            ))
        })?;
        let mut captures = Vec::new();
        for row in rows {
            let (doc_id, seq, hashes, sealed) = row?;
            captures.push(PendingCapture {
                doc_id: RegistrationId::parse(&doc_id).ok_or(StoreError::Undecodable {
                    what: "document id",
                })?,
                journal_seq: seq as u64,
                change_hashes: blob_to_hashes(&hashes).ok_or(StoreError::Undecodable {
                    what: "change hashes",
                })?,
                sealed,
            });
        }
        Ok(captures)
    }

    /// Moves documents to `next` in one commit; refuses (changing nothing) if any of them
    /// cannot make that move. Moving to `Deleted` erases the sealed bytes.
    pub fn set_states(
        &mut self,
        doc_ids: &[RegistrationId],
        next: DocumentState,
        at: Timestamp,
    ) -> Result<(), StoreError> {
        self.set_states_and_meta(doc_ids, next, at, &[])
    }

    /// [`DeviceStore::set_states`] and meta values in the same commit: a sync step costs
    /// one fsync, not two.
    pub fn set_states_and_meta(
        &mut self,
        doc_ids: &[RegistrationId],
        next: DocumentState,
        at: Timestamp,
        meta: &[(&str, &[u8])],
    ) -> Result<(), StoreError> {
        let tx = self.conn.transaction()?;
        put_meta(&tx, meta)?;
        move_states(&tx, doc_ids, next, at)?;
        tx.commit()?;
        Ok(())
    }

    /// Applies a relay receipt in one commit: `received` become received, stamped with the
    /// relay's epoch and commit number; received documents stamped with another epoch go
    /// back to be sent again (the relay was restored and may lack them); and received
    /// documents of this epoch that the relay's backup holds are erased.
    pub fn apply_receipt(
        &mut self,
        receipt: &ReceiptStamp<'_>,
        at: Timestamp,
        meta: &[(&str, &[u8])],
    ) -> Result<ReceiptEffects, StoreError> {
        let tx = self.conn.transaction()?;
        put_meta(&tx, meta)?;
        move_states(&tx, receipt.received, DocumentState::Received, at)?;
        let epoch = receipt.epoch.as_slice();
        let commit_seq = receipt.commit_seq.map(|s| s as i64);
        for doc_id in receipt.received {
            tx.execute(
                "UPDATE sealed_documents SET receipt_epoch = ?2, receipt_seq = ?3
                 WHERE doc_id = ?1 AND state = 'received'",
                params![doc_id.as_str(), epoch, commit_seq],
            )?;
        }
        let resend = tx.execute(
            "UPDATE sealed_documents
             SET state = 'captured', state_changed_at = ?2, receipt_epoch = NULL,
                 receipt_seq = NULL
             WHERE state = 'received' AND (receipt_epoch IS NULL OR receipt_epoch != ?1)",
            params![epoch, at.millis()],
        )?;
        let erased = match receipt.backup_watermark {
            Some(watermark) => tx.execute(
                "UPDATE sealed_documents
                 SET state = 'deleted', sealed = NULL, state_changed_at = ?3
                 WHERE state = 'received' AND receipt_epoch = ?1 AND receipt_seq <= ?2",
                params![epoch, watermark as i64, at.millis()],
            )?,
            None => 0,
        };
        tx.commit()?;
        if erased > 0 {
            // Erased bytes must not linger in the WAL either.
            self.checkpoint()?;
        }
        Ok(ReceiptEffects {
            resend: resend as u64,
            erased: erased as u64,
        })
    }

    /// Erases every received document's sealed copy, whatever the relay's backups hold:
    /// for when the event ended long enough ago.
    pub fn erase_all_received(&mut self, at: Timestamp) -> Result<u64, StoreError> {
        let erased = self.conn.execute(
            "UPDATE sealed_documents SET state = 'deleted', sealed = NULL, state_changed_at = ?1
             WHERE state = 'received'",
            [at.millis()],
        )?;
        if erased > 0 {
            self.checkpoint()?;
        }
        Ok(erased as u64)
    }
}

/// What a relay receipt says about the documents a tablet holds.
#[derive(Debug, Clone, Copy)]
pub struct ReceiptStamp<'a> {
    pub received: &'a [RegistrationId],
    pub epoch: &'a [u8; 16],
    pub commit_seq: Option<u64>,
    pub backup_watermark: Option<u64>,
}

/// What applying a receipt did beyond marking documents received.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ReceiptEffects {
    /// Received documents of another relay epoch, to be sent again.
    pub resend: u64,
    /// Sealed copies erased because a relay backup holds them.
    pub erased: u64,
}

pub(super) fn put_meta(
    tx: &rusqlite::Transaction<'_>,
    meta: &[(&str, &[u8])],
) -> Result<(), StoreError> {
    for (key, value) in meta {
        tx.execute(
            "INSERT INTO meta (key, value) VALUES (?1, ?2)
             ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            params![key, value],
        )?;
    }
    Ok(())
}

/// Moves documents to `next`; refuses (the caller's transaction then rolls back) if any of
/// them cannot make that move.
fn move_states(
    tx: &rusqlite::Transaction<'_>,
    doc_ids: &[RegistrationId],
    next: DocumentState,
    at: Timestamp,
) -> Result<(), StoreError> {
    for doc_id in doc_ids {
        let current: Option<String> = tx
            .query_row(
                "SELECT state FROM sealed_documents WHERE doc_id = ?1",
                [doc_id.as_str()],
                |row| row.get(0),
            )
            .optional()?;
        let current = current
            .and_then(|s| DocumentState::parse(&s))
            .ok_or_else(|| StoreError::UnknownDocument {
                doc_id: doc_id.to_string(),
            })?;
        if current == next {
            continue;
        }
        if !current.may_become(next) {
            return Err(StoreError::InvalidTransition {
                doc_id: doc_id.to_string(),
                from: current.as_str(),
                to: next.as_str(),
            });
        }
        tx.execute(
            "UPDATE sealed_documents
             SET state = ?2, state_changed_at = ?3,
                 sealed = CASE WHEN ?2 = 'deleted' THEN NULL ELSE sealed END
             WHERE doc_id = ?1",
            params![doc_id.as_str(), next.as_str(), at.millis()],
        )?;
    }
    Ok(())
}
