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
//! ([`CHAIN_LOCK`], the access log's own), and reads the last entry after it is granted, in
//! a fresh READ COMMITTED statement. Lock order, as every writer keeps it: the sequencer
//! (if the write is numbered), then record rows, then the chain lock.
//!
//! INTERIM: [`append_access`] gives way to the access log's own `append` once both are
//! merged (same arguments, same rows, same lock).

use std::collections::HashSet;

use postgres::Transaction;

use super::PgStore;
use crate::rules::access_chain;
use crate::storage::model::AccessEntry;
use crate::storage::{StorageError, StorageResult};

/// The access log's chain lock (`access_log.rs`): `"kioskacl"` as one big-endian key.
const CHAIN_LOCK: i64 = i64::from_be_bytes(*b"kioskacl");

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
    let held: HashSet<String> = tx
        .query(
            "SELECT doc_id FROM registrations WHERE doc_id = ANY($1)
             ORDER BY doc_id FOR KEY SHARE",
            &[&ids],
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
    append_access(tx, &kept)?;
    Ok(removed)
}

/// Appends `entries` after the access log's last entry, inside the caller's transaction
/// (which must run at READ COMMITTED, the pool's default, so the last entry is read after
/// the chain lock is held). Writes the rows `AccessLogStore::log_access` writes.
pub(super) fn append_access(
    tx: &mut Transaction<'_>,
    entries: &[AccessEntry],
) -> StorageResult<()> {
    if entries.is_empty() {
        return Ok(());
    }
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&CHAIN_LOCK])?;
    let last = tx.query_opt(
        "SELECT seq, hash FROM access_log ORDER BY seq DESC LIMIT 1",
        &[],
    )?;
    // A last hash that is not 32 bytes means the log was tampered with: extending it would
    // hide that, so the access (and the transaction that needs it) fails instead.
    let last = match last {
        Some(row) => Some((
            super::rows::unsigned(row.try_get(0)?, "access log number")?,
            super::rows::key32(row.try_get(1)?, "access log")
                .map_err(|_| StorageError::Undecodable("access log"))?,
        )),
        None => None,
    };
    let chained = access_chain::link(last, entries);
    let mut seqs = Vec::with_capacity(chained.len());
    for entry in &chained {
        seqs.push(super::rows::signed(entry.seq, "access log number")?);
    }
    // One statement for the whole batch (a page of 50 rows is one round trip, not 50); the
    // rows go in in order, each checked by the schema's trigger against the one before.
    tx.execute(
        "INSERT INTO access_log
         (seq, at, actor_kind, actor, recruiter, action, doc_id, previous, hash)
         SELECT seq, at, actor_kind, actor, recruiter, action, doc_id, previous, hash
         FROM unnest($1::bigint[], $2::bigint[], $3::text[], $4::text[], $5::text[],
                              $6::text[], $7::text[], $8::bytea[], $9::bytea[])
         WITH ORDINALITY AS entry(seq, at, actor_kind, actor, recruiter, action, doc_id,
                                  previous, hash, n)
         ORDER BY n",
        &[
            &seqs,
            &chained.iter().map(|e| e.at).collect::<Vec<_>>(),
            &chained.iter().map(|e| e.actor.kind).collect::<Vec<_>>(),
            &chained
                .iter()
                .map(|e| e.actor.actor.as_str())
                .collect::<Vec<_>>(),
            &chained
                .iter()
                .map(|e| e.actor.recruiter.as_deref())
                .collect::<Vec<_>>(),
            &chained.iter().map(|e| e.action).collect::<Vec<_>>(),
            &chained
                .iter()
                .map(|e| e.doc_id.as_str())
                .collect::<Vec<_>>(),
            &chained
                .iter()
                .map(|e| e.previous.as_slice())
                .collect::<Vec<_>>(),
            &chained
                .iter()
                .map(|e| e.hash.as_slice())
                .collect::<Vec<_>>(),
        ],
    )?;
    Ok(())
}
