//! The access-log writes and reads the records lifecycle needs inside its own transactions:
//! appending the entries a removal, a withdrawal or a subject-access read owes, and reading
//! one record's entries for a subject-access answer.
//!
//! INTERIM: the access log on PostgreSQL (its chain across instances, review, pruning) is
//! `access_log.rs`'s, ported in parallel. When both are merged, these two functions give way
//! to that file's append and query (same arguments: the caller's transaction and the
//! entries), and this file goes. Until then they keep the log's contract: entries continue
//! the chain (the schema's trigger refuses anything else), and appends from several
//! instances are serialised by one transaction-level advisory lock, so two never link onto
//! the same last entry.

use postgres::Transaction;

use crate::rules::access_chain::{self, ActorColumns};
use crate::storage::model::{AccessAction, AccessEntry};
use crate::storage::{StorageError, StorageResult};

use super::rows::{signed, unsigned};

/// Held by every append until its transaction ends: the access log's own chain lock
/// (`access_log.rs`, "kioskacl"), so these appends queue with every other.
const APPEND_LOCK: i64 = i64::from_be_bytes(*b"kioskacl");

/// Appends `entries` after the log's last entry, inside the caller's transaction.
pub(super) fn append(tx: &mut Transaction<'_>, entries: &[AccessEntry]) -> StorageResult<()> {
    if entries.is_empty() {
        return Ok(());
    }
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&APPEND_LOCK])?;
    let last = tx
        .query_opt(
            "SELECT seq, hash FROM access_log ORDER BY seq DESC LIMIT 1",
            &[],
        )?
        .map(|row| -> StorageResult<(u64, [u8; 32])> {
            // A last hash that is not 32 bytes means the log was tampered with: extending
            // it would hide that, so the transaction that needs the entry fails instead.
            Ok((
                unsigned(row.try_get(0)?, "access log")?,
                super::rows::key32(row.try_get(1)?, "access log")?,
            ))
        })
        .transpose()?;
    let insert = tx.prepare(
        "INSERT INTO access_log
         (seq, at, actor_kind, actor, recruiter, action, doc_id, previous, hash)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )?;
    for entry in access_chain::link(last, entries) {
        tx.execute(
            &insert,
            &[
                &signed(entry.seq, "access log number")?,
                &entry.at,
                &entry.actor.kind,
                &entry.actor.actor,
                &entry.actor.recruiter,
                &entry.action,
                &entry.doc_id,
                &entry.previous.as_slice(),
                &entry.hash.as_slice(),
            ],
        )?;
    }
    Ok(())
}

/// Every entry about record `doc_id`, oldest first, up to `limit`, with their numbers.
pub(super) fn entries_about(
    tx: &mut Transaction<'_>,
    doc_id: &str,
    limit: i64,
) -> StorageResult<Vec<(u64, AccessEntry)>> {
    // The newest `limit`, as the SQLite store's query gives them, then oldest first.
    let rows = tx.query(
        "SELECT seq, at, actor_kind, actor, recruiter, action FROM access_log
         WHERE doc_id = $1 ORDER BY seq DESC LIMIT $2",
        &[&doc_id, &limit],
    )?;
    let mut entries = rows
        .iter()
        .map(|row| {
            let kind: String = row.try_get(2)?;
            let action: String = row.try_get(5)?;
            let accessor = ActorColumns::accessor(&kind, row.try_get(3)?, row.try_get(4)?)
                .ok_or(StorageError::Undecodable("access log device"))?;
            Ok((
                unsigned(row.try_get(0)?, "access log number")?,
                AccessEntry {
                    at: row.try_get(1)?,
                    accessor,
                    action: AccessAction::parse(&action)
                        .ok_or(StorageError::Undecodable("access log action"))?,
                    doc_id: doc_id.to_owned(),
                },
            ))
        })
        .collect::<StorageResult<Vec<_>>>()?;
    entries.reverse();
    Ok(entries)
}
