//! Removing one record on PostgreSQL: its row locked, its legal hold checked, every row
//! holding it erased and a removal record kept under the commit number the caller took
//! from the sequencer first. Removal by HR ([`super::lifecycle`]) and retention runs
//! ([`super::retention_runs`]) both go through here. The record's key goes in the same
//! transaction ([`super::record_keys`]); the callers then run
//! [`super::PgStore::vacuum_record_keys`] once their removals committed.

use postgres::Transaction;

use crate::storage::StorageResult;
use crate::storage::model::{AccessAction, AccessEntry, Accessor, LegalHold, RemovalOutcome};
use crate::storage::record_tables::RECORD_TABLES;

use super::access_log;
use super::rows::signed;

/// The record's row, locked until `tx` ends: its event, device and restricted flag, if
/// the relay holds it.
pub(super) fn lock_record(
    tx: &mut Transaction<'_>,
    doc_id: &str,
) -> StorageResult<Option<(String, Vec<u8>, bool)>> {
    tx.query_opt(
        "SELECT event_id, device_key, restricted FROM registrations WHERE doc_id = $1
         FOR UPDATE",
        &[&doc_id],
    )?
    .map(|row| Ok((row.try_get(0)?, row.try_get(1)?, row.try_get(2)?)))
    .transpose()
}

/// Removes registration `doc_id` inside `tx`, which took commit number `commit_seq` from
/// the sequencer first: erases its rows, keeps a removal record citing `reason` under that
/// number, and logs the removal. `NoRecord` or `OnLegalHold` write nothing.
pub(super) fn remove_in(
    tx: &mut Transaction<'_>,
    commit_seq: u64,
    doc_id: &str,
    reason: &str,
    by: &Accessor,
    at: i64,
) -> StorageResult<RemovalOutcome> {
    let mut leaves = Vec::with_capacity(1);
    let author = crate::transparency::leaf::accessor_author(by);
    let outcome = erase(tx, commit_seq, doc_id, reason, (author, &mut leaves), at)?;
    super::tlog::append(tx, &leaves)?;
    if outcome == RemovalOutcome::Removed {
        access_log::append(tx, &[removal_entry(doc_id, by, at)])?;
    }
    Ok(outcome)
}

/// The access-log entry of a removal.
pub(super) fn removal_entry(doc_id: &str, by: &Accessor, at: i64) -> AccessEntry {
    AccessEntry {
        at,
        accessor: by.clone(),
        action: AccessAction::Remove,
        doc_id: doc_id.to_owned(),
    }
}

/// [`remove_in`] without its log entry, for a caller removing several records: the
/// access log's chain lock comes after every row a write locks (`access_log.rs`), so such
/// a caller locks every record first, erases them, then logs them all. The removal's
/// transparency-log leaf (by `author`) joins `leaves`, which the caller appends after its
/// erasures and before the access log (the log's head is locked after every record's row).
pub(super) fn erase(
    tx: &mut Transaction<'_>,
    commit_seq: u64,
    doc_id: &str,
    reason: &str,
    (author, leaves): ([u8; 32], &mut Vec<crate::transparency::leaf::Leaf>),
    at: i64,
) -> StorageResult<RemovalOutcome> {
    let Some((event_id, device_key, restricted)) = lock_record(tx, doc_id)? else {
        return Ok(RemovalOutcome::NoRecord);
    };
    if legal_hold(tx, doc_id)?.is_some() {
        return Ok(RemovalOutcome::OnLegalHold);
    }
    let commit_seq = signed(commit_seq, "commit number")?;
    // Read before the key goes: the `removed` leaf cites the record's commitment.
    let nonce = super::tlog::nonce(tx, doc_id)?;
    // Last, the record's key: whatever of the record's sealed bytes is left anywhere
    // (dead tuples, WAL, replicas) cannot be opened once this commits.
    for table in RECORD_TABLES.into_iter().chain(["record_keys"]) {
        tx.execute(
            &format!("DELETE FROM {table} WHERE doc_id = $1"),
            &[&doc_id],
        )?;
    }
    tx.execute(
        "INSERT INTO removals
         (doc_id, event_id, device_key, restricted, removed_at, commit_seq, reason)
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
        &[
            &doc_id,
            &event_id,
            &device_key,
            &restricted,
            &at,
            &commit_seq,
            &reason,
        ],
    )?;
    if let Some(nonce) = nonce {
        leaves.push(crate::transparency::leaf::removal(
            &nonce, doc_id, reason, author, at,
        ));
    }
    Ok(RemovalOutcome::Removed)
}

pub(super) const HOLD_COLUMNS: &str = "h.doc_id, h.reason, h.set_by, h.set_at, r.restricted
     FROM legal_holds h JOIN registrations r ON r.doc_id = h.doc_id";

pub(super) fn hold_row(row: &postgres::Row) -> StorageResult<LegalHold> {
    Ok(LegalHold {
        doc_id: row.try_get(0)?,
        reason: row.try_get(1)?,
        set_by: row.try_get(2)?,
        set_at: row.try_get(3)?,
        restricted: row.try_get(4)?,
    })
}

pub(super) fn legal_hold(
    tx: &mut Transaction<'_>,
    doc_id: &str,
) -> StorageResult<Option<LegalHold>> {
    tx.query_opt(
        &format!("SELECT {HOLD_COLUMNS} WHERE h.doc_id = $1"),
        &[&doc_id],
    )?
    .map(|row| hold_row(&row))
    .transpose()
}
