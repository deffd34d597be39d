//! Appending to the access log inside a caller's write transaction (ingest's pulls and
//! changes, a quarantine review), for every relay instance sharing the database.
//!
//! Two instances appending at once would both read the same last entry and link onto it;
//! the table's trigger refuses the second, so the chain cannot fork, but the second write
//! would fail. So an append first takes `SHARE ROW EXCLUSIVE` on the table, which conflicts
//! with itself and with every INSERT and DELETE but not with reads: appends (from any
//! instance, through this function or any plain INSERT) queue in turn, and each reads the
//! last entry only once the one before it has committed (READ COMMITTED: every statement
//! sees the latest commit). The lock is held to the commit; it is taken after the
//! sequencer and any row a write locks, never before them.

use postgres::Transaction;

use crate::rules::access_chain;
use crate::storage::model::AccessEntry;
use crate::storage::{StorageError, StorageResult};

use super::rows::{key32, signed, unsigned};

/// Appends `entries` after the log's last entry, inside the caller's transaction.
pub(super) fn append(tx: &mut Transaction<'_>, entries: &[AccessEntry]) -> StorageResult<()> {
    if entries.is_empty() {
        return Ok(());
    }
    tx.batch_execute("LOCK TABLE access_log IN SHARE ROW EXCLUSIVE MODE")?;
    let last = tx.query_opt(
        "SELECT seq, hash FROM access_log ORDER BY seq DESC LIMIT 1",
        &[],
    )?;
    // A last hash that is not 32 bytes means the log was tampered with: extending it would
    // hide that, so the access (and the transaction that needs it) fails instead.
    let last = match last {
        Some(row) => Some((
            unsigned(row.try_get(0)?, "access log")?,
            key32(row.try_get(1)?, "access log")
                .map_err(|_| StorageError::Undecodable("access log"))?,
        )),
        None => None,
    };
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
