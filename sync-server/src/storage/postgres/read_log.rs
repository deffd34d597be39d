//! Reads that log, on PostgreSQL: what a list, a read or an export showed is written to the
//! access log before it is answered, and a record removed before that entry is committed is
//! answered as removed (the contract of [`crate::storage::RegistrationStore`]).
//!
//! **Against a removal.** The log's transaction takes a key-share lock on each record's
//! `registrations` row first: a removal deletes that row, so one under way is waited for
//! (and its record then found gone), and one that has not started waits until the log entry
//! is committed, so it removes the record after the read, as the log says. Rows first, the
//! log after, as a removal does (it deletes, then logs its own entry), and rows in key
//! order, as a retention batch locks them: no cycle between the two. Should PostgreSQL
//! still end a read's transaction as deadlocked (a writer locking in another order), the
//! read is tried again ([`ATTEMPTS`]).
//!
//! **The chain across instances.** Two transactions appending at once would both continue
//! the same last entry; the schema's trigger and the primary key refuse the second, which
//! keeps the chain whole but fails that read. So an append first takes the access log's
//! chain lock, the transaction-level advisory lock every append and pruning holds
//! (the access log's own, see [`super::access_log`]), and reads the last entry after it is granted, in
//! a fresh READ COMMITTED statement. Lock order, as every writer keeps it: the sequencer
//! (if the write is numbered), then record rows, then the chain lock.

use std::collections::HashSet;

use postgres::Transaction;
use postgres::types::Type;

use super::PgStore;
use crate::storage::StorageResult;
use crate::storage::model::AccessEntry;

/// How many times a logging transaction is tried when PostgreSQL ends it for contention (a
/// deadlock with a batch removal, say).
const ATTEMPTS: usize = 3;

impl PgStore {
    /// Logs `entries` in one transaction, leaving out those whose record is gone (removed):
    /// returns their ids, which the caller must not answer with.
    pub(super) fn log_reads(&self, entries: &[AccessEntry]) -> StorageResult<HashSet<String>> {
        if entries.is_empty() {
            return Ok(HashSet::new());
        }
        let mut attempt = 1;
        loop {
            match self.write(|tx| log_reads_in(tx, entries)) {
                Err(error) if error.is_locked() && attempt < ATTEMPTS => attempt += 1,
                done => return done,
            }
        }
    }
}

/// [`PgStore::log_reads`] inside the caller's transaction.
fn log_reads_in(
    tx: &mut Transaction<'_>,
    entries: &[AccessEntry],
) -> StorageResult<HashSet<String>> {
    let mut ids: Vec<&str> = entries.iter().map(|entry| entry.doc_id.as_str()).collect();
    ids.sort_unstable();
    ids.dedup();
    // In key order, so two readers of overlapping pages lock alike.
    // Typed: one round trip (an untyped statement is prepared first).
    let held: HashSet<String> = tx
        .query_typed(
            "SELECT doc_id FROM registrations WHERE doc_id = ANY($1)
             ORDER BY doc_id FOR KEY SHARE",
            &[(&ids, Type::TEXT_ARRAY)],
        )?
        .iter()
        .map(|row| row.try_get(0))
        .collect::<Result<_, _>>()?;
    let removed: HashSet<String> = ids
        .into_iter()
        .filter(|id| !held.contains(*id))
        .map(str::to_owned)
        .collect();
    let kept: Vec<AccessEntry> = entries
        .iter()
        .filter(|entry| !removed.contains(&entry.doc_id))
        .cloned()
        .collect();
    super::access_log::append(tx, &kept)?;
    Ok(removed)
}
