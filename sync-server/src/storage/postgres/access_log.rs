//! [`AccessLogStore`] on PostgreSQL: the access log: append, chain, review and pruning.
//!
//! The table and its triggers (append-only; rows only continue the chain; DELETE only
//! before the retention horizon, which only moves forward) are `schema/0001_base.sql`'s;
//! the hash format, the linking, the walk and which entries a pruning removes are
//! [`crate::rules::access_chain`]'s and [`crate::rules::access_log_pruning`]'s. This file
//! loads and stores the rows, and keeps the chain one chain across relay instances.
//!
//! **One chain across instances.** An append reads the head (last number and hash) and
//! links its entries onto it; two transactions doing that at once (two instances, or two
//! requests of one) would both link onto the same head, and one would fail at the trigger
//! or its key. So every transaction that appends first takes the chain lock
//! ([`lock_chain`]): a transaction-scoped advisory lock, held to the commit or rollback.
//! Appends are serialized across all instances, and the head an append reads (in a READ
//! COMMITTED statement after the lock was granted) is the last one committed. Since
//! PostgreSQL releases the lock only after the commit is visible, entries also become
//! visible in number order: a reader that sees entry n+1 sees n (what a reviewer paging
//! with `after_seq`, or a checkpoint of the head, relies on). Pruning takes the same lock.
//!
//! **Lock order.** The chain lock comes after the commit-number sequencer (which a
//! numbered write takes as its first statement) and before any row the transaction
//! writes: [`lock_chain`] is called at the start of the transaction, or right after
//! [`super::take_commit_number`]. Appending needs a READ COMMITTED transaction (what
//! [`PgStore::write`] starts): under REPEATABLE READ the snapshot would predate the lock.

use postgres::Transaction;
use postgres::fallible_iterator::FallibleIterator;
use postgres::types::{ToSql, Type};

use crate::rules::access_chain::{
    self, AccessLogVerdict, ActorColumns, ChainWalk, EntryFields, GENESIS,
};
use crate::rules::access_log_pruning;
use crate::storage::model::{
    AccessAction, AccessEntry, AccessLogHorizon, AccessLogPruning, AccessLogQuery,
};
use crate::storage::traits::AccessLogStore;
use crate::storage::{StorageError, StorageResult};

use super::PgStore;
use super::rows::{key32, signed, unsigned};

/// The advisory lock every appending (or pruning) transaction holds: `"kioskacl"` as one
/// big-endian 64-bit key, so that it does not meet another application's lock on the
/// same database by chance.
pub(crate) const CHAIN_LOCK: i64 = i64::from_be_bytes(*b"kioskacl");

/// Rows per INSERT statement of an append: a first pull's thousands of entries go in a
/// few round trips, each statement's arrays bounded.
const APPEND_CHUNK: usize = 1_000;

/// The columns an entry is read from, after its number: what [`numbered_entry`] reads.
const ENTRY_COLUMNS: &str = "seq, at, actor_kind, actor, recruiter, action, doc_id";

/// Takes the chain lock for the rest of `tx` (see the module doc); taking it again in the
/// same transaction is harmless.
pub(crate) fn lock_chain(tx: &mut Transaction<'_>) -> StorageResult<()> {
    // Typed statements here and in [`append`]: one round trip each (an untyped one is
    // prepared first), and every HR read and every pull appends.
    tx.execute_typed(
        "SELECT pg_advisory_xact_lock($1)",
        &[(&CHAIN_LOCK, Type::INT8)],
    )?;
    Ok(())
}

/// Appends the one entry of `accessor`'s `action` on record `doc_id` at `at`, inside the
/// caller's transaction.
pub(crate) fn append_one(
    tx: &mut Transaction<'_>,
    at: i64,
    accessor: &crate::storage::model::Accessor,
    action: AccessAction,
    doc_id: &str,
) -> StorageResult<()> {
    append(
        tx,
        &[AccessEntry {
            at,
            accessor: accessor.clone(),
            action,
            doc_id: doc_id.to_owned(),
        }],
    )
}

/// Appends `entries` after the log's last entry, inside the caller's (READ COMMITTED)
/// transaction, taking the chain lock first if the caller has not.
pub(crate) fn append(tx: &mut Transaction<'_>, entries: &[AccessEntry]) -> StorageResult<()> {
    if entries.is_empty() {
        return Ok(());
    }
    lock_chain(tx)?;
    let last = tx
        .query_typed_opt(
            "SELECT seq, hash FROM access_log ORDER BY seq DESC LIMIT 1",
            &[],
        )?
        .map(|row| -> StorageResult<(u64, [u8; 32])> {
            // A last hash that is not 32 bytes means the log was tampered with: extending
            // it would hide that, so the access (and the transaction that needs it) fails.
            Ok((
                unsigned(row.try_get(0)?, "access log")?,
                key32(row.try_get(1)?, "access log")?,
            ))
        })
        .transpose()?;
    let chained = access_chain::link(last, entries);
    for chunk in chained.chunks(APPEND_CHUNK) {
        let mut seq = Vec::with_capacity(chunk.len());
        let mut at = Vec::with_capacity(chunk.len());
        let mut kind = Vec::with_capacity(chunk.len());
        let mut actor = Vec::with_capacity(chunk.len());
        let mut recruiter = Vec::with_capacity(chunk.len());
        let mut action = Vec::with_capacity(chunk.len());
        let mut doc_id = Vec::with_capacity(chunk.len());
        let mut previous = Vec::with_capacity(chunk.len());
        let mut hash = Vec::with_capacity(chunk.len());
        for entry in chunk {
            seq.push(signed(entry.seq, "access log")?);
            at.push(entry.at);
            kind.push(entry.actor.kind);
            actor.push(entry.actor.actor.as_str());
            recruiter.push(entry.actor.recruiter.as_deref());
            action.push(entry.action);
            doc_id.push(entry.doc_id.as_str());
            previous.push(entry.previous.as_slice());
            hash.push(entry.hash.as_slice());
        }
        // In number order: the trigger checks each row against the one inserted before it
        // (a row trigger sees the rows its statement inserted so far).
        tx.execute_typed(
            "INSERT INTO access_log
             (seq, at, actor_kind, actor, recruiter, action, doc_id, previous, hash)
             SELECT * FROM unnest($1::BIGINT[], $2::BIGINT[], $3::TEXT[], $4::TEXT[],
                                  $5::TEXT[], $6::TEXT[], $7::TEXT[], $8::BYTEA[], $9::BYTEA[])
             ORDER BY 1",
            &[
                (&seq, Type::INT8_ARRAY),
                (&at, Type::INT8_ARRAY),
                (&kind, Type::TEXT_ARRAY),
                (&actor, Type::TEXT_ARRAY),
                (&recruiter, Type::TEXT_ARRAY),
                (&action, Type::TEXT_ARRAY),
                (&doc_id, Type::TEXT_ARRAY),
                (&previous, Type::BYTEA_ARRAY),
                (&hash, Type::BYTEA_ARRAY),
            ],
        )?;
    }
    Ok(())
}

/// The stored hash of entry `seq`, if the log holds it and it is 32 bytes.
fn entry_hash_at(tx: &mut Transaction<'_>, seq: u64) -> StorageResult<Option<[u8; 32]>> {
    let Ok(seq) = i64::try_from(seq) else {
        return Ok(None);
    };
    let hash: Option<Vec<u8>> = tx
        .query_opt("SELECT hash FROM access_log WHERE seq = $1", &[&seq])?
        .map(|row| row.try_get(0))
        .transpose()?;
    Ok(hash.and_then(|h| h.try_into().ok()))
}

/// The log's horizon, if it was ever pruned.
fn horizon(tx: &mut Transaction<'_>) -> StorageResult<Option<AccessLogHorizon>> {
    tx.query_opt(
        "SELECT first_kept_seq, last_removed_hash, pruned_at, rule
         FROM access_log_horizon WHERE id = 1",
        &[],
    )?
    .map(|row| {
        Ok(AccessLogHorizon {
            first_kept: unsigned(row.try_get(0)?, "access log horizon")?,
            last_removed_hash: key32(row.try_get(1)?, "access log horizon")?,
            pruned_at: row.try_get(2)?,
            rule: row.try_get(3)?,
        })
    })
    .transpose()
}

/// Walks the whole log in order and checks every number, link and hash, from the genesis
/// or, once retention removed the log's start, from the horizon's last removed hash. The
/// rows stream (the log can be long); the caller's transaction gives horizon and rows one
/// state (a read-only snapshot, or the chain lock).
fn verify(tx: &mut Transaction<'_>) -> StorageResult<AccessLogVerdict> {
    let (removed, start) = match horizon(tx)? {
        Some(horizon) => (horizon.first_kept - 1, horizon.last_removed_hash),
        None => (0, GENESIS),
    };
    let mut rows = tx.query_raw(
        "SELECT seq, at, actor_kind, actor, recruiter, action, doc_id, previous, hash
         FROM access_log ORDER BY seq",
        std::iter::empty::<&(dyn ToSql + Sync)>(),
    )?;
    let mut walk = ChainWalk::from(removed, start);
    while let Some(row) = rows.next()? {
        let seq: i64 = row.try_get(0)?;
        let actor_kind: &str = row.try_get(2)?;
        let actor: &str = row.try_get(3)?;
        let recruiter: Option<&str> = row.try_get(4)?;
        let action: &str = row.try_get(5)?;
        let doc_id: &str = row.try_get(6)?;
        let fields = EntryFields {
            // A negative number cannot follow; it breaks the chain where it stands.
            seq: u64::try_from(seq).unwrap_or(u64::MAX),
            at: row.try_get(1)?,
            actor_kind,
            actor,
            recruiter,
            action,
            doc_id,
        };
        let previous: &[u8] = row.try_get(7)?;
        let hash: &[u8] = row.try_get(8)?;
        walk.next(&fields, previous, hash);
    }
    Ok(walk.verdict())
}

/// An entry with its number from a row of [`ENTRY_COLUMNS`].
fn numbered_entry(row: &postgres::Row) -> StorageResult<(u64, AccessEntry)> {
    let accessor = ActorColumns::accessor(row.try_get(2)?, row.try_get(3)?, row.try_get(4)?)
        .ok_or(StorageError::Undecodable("access log device"))?;
    let action = AccessAction::parse(row.try_get(5)?)
        .ok_or(StorageError::Undecodable("access log action"))?;
    Ok((
        unsigned(row.try_get(0)?, "access log")?,
        AccessEntry {
            at: row.try_get(1)?,
            accessor,
            action,
            doc_id: row.try_get(6)?,
        },
    ))
}

/// Up to `query.limit` entries `query` selects, newest first. Only the filters asked for
/// are in the statement, so the planner can pick the index of the one that narrows (the
/// person's or the record's, each ending in `seq`).
fn query(
    tx: &mut Transaction<'_>,
    query: &AccessLogQuery,
) -> StorageResult<Vec<(u64, AccessEntry)>> {
    let mut conditions: Vec<String> = Vec::new();
    let mut values: Vec<Box<dyn ToSql + Sync>> = Vec::new();
    let mut bind = |condition: &str, value: Box<dyn ToSql + Sync>| {
        values.push(value);
        conditions.push(condition.replace('?', &format!("${}", values.len())));
    };
    if let Some(operator) = &query.operator {
        bind(
            "actor_kind = 'operator' AND actor = ?",
            Box::new(operator.clone()),
        );
    }
    if let Some(doc_id) = &query.doc_id {
        bind("doc_id = ?", Box::new(doc_id.clone()));
    }
    if let Some(action) = query.action {
        bind("action = ?", Box::new(action.as_str()));
    }
    if let Some(from) = query.from {
        bind("at >= ?", Box::new(from));
    }
    if let Some(until) = query.until {
        bind("at <= ?", Box::new(until));
    }
    if let Some(before) = query.before_seq {
        bind(
            "seq < ?",
            Box::new(i64::try_from(before).unwrap_or(i64::MAX)),
        );
    }
    if query.without_restricted {
        conditions.push(
            "NOT EXISTS (SELECT 1 FROM registrations r
                         WHERE r.doc_id = access_log.doc_id AND r.restricted)
             AND NOT EXISTS (SELECT 1 FROM removals m
                             WHERE m.doc_id = access_log.doc_id AND m.restricted)"
                .to_owned(),
        );
    }
    values.push(Box::new(i64::try_from(query.limit).unwrap_or(i64::MAX)));
    let filter = if conditions.is_empty() {
        String::new()
    } else {
        format!("WHERE {}", conditions.join(" AND "))
    };
    let sql = format!(
        "SELECT {ENTRY_COLUMNS} FROM access_log {filter} ORDER BY seq DESC LIMIT ${}",
        values.len()
    );
    let params: Vec<&(dyn ToSql + Sync)> = values.iter().map(|v| &**v).collect();
    tx.query(&*sql, &params)?
        .iter()
        .map(numbered_entry)
        .collect()
}

/// Removes, inside the caller's transaction (which holds the chain lock), the entries at
/// the start of the log made before `older_than`, keeping at least the newest entry; the
/// horizon is moved first, so the DELETE trigger lets exactly those entries go.
fn prune(
    tx: &mut Transaction<'_>,
    older_than: i64,
    rule: &str,
    now: i64,
) -> StorageResult<AccessLogPruning> {
    if let Some(at) = verify(tx)?.broken_at {
        return Ok(AccessLogPruning::ChainBroken { at });
    }
    let current = horizon(tx)?;
    let bounds = tx.query_one(
        "SELECT MIN(seq), MAX(seq), (SELECT MIN(seq) FROM access_log WHERE at >= $1)
         FROM access_log",
        &[&older_than],
    )?;
    let seq = |i: usize| -> StorageResult<Option<u64>> {
        bounds
            .try_get::<_, Option<i64>>(i)?
            .map(|s| unsigned(s, "access log"))
            .transpose()
    };
    let (Some(first), Some(last)) = (seq(0)?, seq(1)?) else {
        return Ok(AccessLogPruning::NothingDue { horizon: current });
    };
    let Some(first_kept) = access_log_pruning::first_kept(first, last, seq(2)?) else {
        return Ok(AccessLogPruning::NothingDue { horizon: current });
    };
    let last_removed_hash =
        entry_hash_at(tx, first_kept - 1)?.ok_or(StorageError::Undecodable("access log"))?;
    let statement = if current.is_some() {
        "UPDATE access_log_horizon
         SET first_kept_seq = $1, last_removed_hash = $2, pruned_at = $3, rule = $4
         WHERE id = 1"
    } else {
        "INSERT INTO access_log_horizon (id, first_kept_seq, last_removed_hash, pruned_at, rule)
         VALUES (1, $1, $2, $3, $4)"
    };
    let first_kept_column = signed(first_kept, "access log")?;
    tx.execute(
        statement,
        &[
            &first_kept_column,
            &last_removed_hash.as_slice(),
            &now,
            &rule,
        ],
    )?;
    let removed = tx.execute(
        "DELETE FROM access_log WHERE seq < $1",
        &[&first_kept_column],
    )?;
    Ok(AccessLogPruning::Pruned {
        removed,
        horizon: AccessLogHorizon {
            first_kept,
            last_removed_hash,
            pruned_at: now,
            rule: rule.to_owned(),
        },
    })
}

impl AccessLogStore for PgStore {
    fn log_access(&self, entry: &AccessEntry) -> StorageResult<()> {
        self.write(|tx| append(tx, std::slice::from_ref(entry)))
    }

    fn verify_access_log(&self) -> StorageResult<AccessLogVerdict> {
        self.read(verify)
    }

    fn access_log_entry_hash(&self, seq: u64) -> StorageResult<Option<[u8; 32]>> {
        self.read(|tx| entry_hash_at(tx, seq))
    }

    fn access_log_entries(
        &self,
        after_seq: u64,
        limit: usize,
    ) -> StorageResult<Vec<(u64, AccessEntry)>> {
        let after = i64::try_from(after_seq).unwrap_or(i64::MAX);
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        self.read(|tx| {
            tx.query(
                &*format!(
                    "SELECT {ENTRY_COLUMNS} FROM access_log WHERE seq > $1 ORDER BY seq LIMIT $2"
                ),
                &[&after, &limit],
            )?
            .iter()
            .map(numbered_entry)
            .collect()
        })
    }

    fn query_access_log(&self, asked: &AccessLogQuery) -> StorageResult<Vec<(u64, AccessEntry)>> {
        self.read(|tx| query(tx, asked))
    }

    fn access_log_horizon(&self) -> StorageResult<Option<AccessLogHorizon>> {
        self.read(horizon)
    }

    fn prune_access_log(
        &self,
        older_than: i64,
        rule: &str,
        now: i64,
    ) -> StorageResult<AccessLogPruning> {
        self.write(|tx| {
            // No append or other pruning between the verification and the delete.
            lock_chain(tx)?;
            prune(tx, older_than, rule, now)
        })
    }
}

#[cfg(test)]
#[path = "access_log_tests.rs"]
mod tests;

/// Every entry about record `doc_id`, oldest first, up to `limit`, with their numbers.
pub(crate) fn entries_about(
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
