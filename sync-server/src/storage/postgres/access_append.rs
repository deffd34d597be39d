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
use postgres::types::Type;

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
    let last = tx.query_typed_opt(
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
    let chained = access_chain::link(last, entries);
    let seqs = chained
        .iter()
        .map(|e| signed(e.seq, "access log number"))
        .collect::<StorageResult<Vec<i64>>>()?;
    let ats: Vec<i64> = chained.iter().map(|e| e.at).collect();
    let kinds: Vec<&str> = chained.iter().map(|e| e.actor.kind).collect();
    let actors: Vec<&str> = chained.iter().map(|e| e.actor.actor.as_str()).collect();
    let recruiters: Vec<Option<&str>> = chained
        .iter()
        .map(|e| e.actor.recruiter.as_deref())
        .collect();
    let actions: Vec<&str> = chained.iter().map(|e| e.action).collect();
    let doc_ids: Vec<&str> = chained.iter().map(|e| e.doc_id.as_str()).collect();
    let previous: Vec<&[u8]> = chained.iter().map(|e| e.previous.as_slice()).collect();
    let hashes: Vec<&[u8]> = chained.iter().map(|e| e.hash.as_slice()).collect();
    // One statement for the whole run, in number order: each row's trigger sees the rows
    // inserted before it in the same statement.
    tx.execute_typed(
        "INSERT INTO access_log
         (seq, at, actor_kind, actor, recruiter, action, doc_id, previous, hash)
         SELECT * FROM unnest($1::BIGINT[], $2::BIGINT[], $3::TEXT[], $4::TEXT[], $5::TEXT[],
                              $6::TEXT[], $7::TEXT[], $8::BYTEA[], $9::BYTEA[])
         ORDER BY 1",
        &[
            (&seqs, Type::INT8_ARRAY),
            (&ats, Type::INT8_ARRAY),
            (&kinds, Type::TEXT_ARRAY),
            (&actors, Type::TEXT_ARRAY),
            (&recruiters, Type::TEXT_ARRAY),
            (&actions, Type::TEXT_ARRAY),
            (&doc_ids, Type::TEXT_ARRAY),
            (&previous, Type::BYTEA_ARRAY),
            (&hashes, Type::BYTEA_ARRAY),
        ],
    )?;
    Ok(())
}
