//! Rate-limit counts on PostgreSQL, in `failure_counts`, shared by every relay instance of
//! the database: a client gets its attempts once, whichever instances it reaches.
//!
//! An attempt is one transaction: (only for a rule bounding its keys, a look at whether
//! the key is counted and how many keys its scope counts), then one upsert of every key,
//! in key order, that starts a new window for a key whose window ended and adds the
//! attempt, returning each key's count; if a key went past its maximum the transaction is
//! rolled back, so nothing was counted. The upsert's row locks are held to the end, so
//! concurrent attempts on one key (from any instance) are counted one after another and
//! cannot all slip under its maximum; taking them in key order keeps two attempts sharing
//! keys from deadlocking. Rows whose window ended are deleted by the periodic prune.

use postgres::Transaction;

use crate::storage::model::{AttemptOutcome, FailureKey};
use crate::storage::{FailureCountStore, StorageResult};

use super::PgStore;

/// Whether `key` has a row (a window running or not yet pruned).
fn counted(tx: &mut Transaction<'_>, key: &FailureKey) -> StorageResult<bool> {
    Ok(tx
        .query_opt(
            "SELECT 1 FROM failure_counts WHERE scope = $1 AND subject = $2",
            &[&key.rule.scope, &key.subject.as_slice()],
        )?
        .is_some())
}

/// The key `key`'s attempt is counted under: its own, or its scope's overflow key once the
/// scope has `max_tracked` keys in a running window. Instances adding keys at the same
/// moment may pass the bound by as many keys: it bounds the table, not a client.
fn counted_key(tx: &mut Transaction<'_>, key: &FailureKey, now: i64) -> StorageResult<FailureKey> {
    let Some(max) = key.rule.max_tracked else {
        return Ok(*key);
    };
    if counted(tx, key)? {
        return Ok(*key);
    }
    let running: i64 = tx
        .query_one(
            "SELECT count(*) FROM failure_counts WHERE window_ends > $2 AND scope = $1",
            &[&key.rule.scope, &now],
        )?
        .try_get(0)?;
    Ok(if running >= i64::from(max) {
        FailureKey::overflow(key.rule)
    } else {
        *key
    })
}

impl FailureCountStore for PgStore {
    fn begin_attempt(&self, keys: &[FailureKey], now: i64) -> StorageResult<AttemptOutcome> {
        let mut client = self.client()?;
        let mut tx = client.transaction()?;
        let mut counted_keys = Vec::with_capacity(keys.len());
        for key in keys {
            let key = counted_key(&mut tx, key, now)?;
            if !counted_keys.contains(&key) {
                counted_keys.push(key);
            }
        }
        let mut sorted = counted_keys.clone();
        sorted.sort_by(|a, b| (a.rule.scope, a.subject).cmp(&(b.rule.scope, b.subject)));
        let scopes: Vec<&str> = sorted.iter().map(|k| k.rule.scope).collect();
        let subjects: Vec<&[u8]> = sorted.iter().map(|k| k.subject.as_slice()).collect();
        let ends: Vec<i64> = sorted.iter().map(|k| now + k.rule.window_ms).collect();
        let rows = tx.query(
            "INSERT INTO failure_counts AS f (scope, subject, window_ends, failures)
             SELECT scope, subject, window_ends, 1
             FROM unnest($1::text[], $2::bytea[], $3::bigint[])
                  WITH ORDINALITY AS k(scope, subject, window_ends, n)
             ORDER BY n
             ON CONFLICT (scope, subject) DO UPDATE SET
                 window_ends = CASE WHEN f.window_ends <= $4 THEN EXCLUDED.window_ends
                                    ELSE f.window_ends END,
                 failures    = CASE WHEN f.window_ends <= $4 THEN 1
                                    ELSE f.failures + 1 END
             RETURNING scope, subject, window_ends, failures",
            &[&scopes, &subjects, &ends, &now],
        )?;
        let mut state = Vec::with_capacity(rows.len());
        for row in &rows {
            let scope: String = row.try_get(0)?;
            let subject: Vec<u8> = row.try_get(1)?;
            let window_ends: i64 = row.try_get(2)?;
            let failures: i64 = row.try_get(3)?;
            state.push((scope, subject, window_ends, failures));
        }
        // The first key, in the caller's order, that this attempt took past its maximum.
        for key in &counted_keys {
            let over = state.iter().find(|(scope, subject, _, failures)| {
                scope == key.rule.scope
                    && subject.as_slice() == key.subject
                    && *failures > i64::from(key.rule.max_failures)
            });
            if let Some((_, _, window_ends, _)) = over {
                let retry_after_ms = window_ends - now;
                tx.rollback()?;
                return Ok(AttemptOutcome::Refused { retry_after_ms });
            }
        }
        tx.commit()?;
        Ok(AttemptOutcome::Counted)
    }

    fn forgive_attempt(&self, keys: &[FailureKey]) -> StorageResult<()> {
        self.write(|tx| {
            for key in keys {
                let key = if key.rule.max_tracked.is_none() || counted(tx, key)? {
                    *key
                } else {
                    FailureKey::overflow(key.rule)
                };
                tx.execute(
                    "UPDATE failure_counts SET failures = failures - 1
                     WHERE scope = $1 AND subject = $2 AND failures > 0",
                    &[&key.rule.scope, &key.subject.as_slice()],
                )?;
            }
            Ok(())
        })
    }

    fn prune_failure_counts(&self, now: i64) -> StorageResult<u64> {
        self.write(|tx| {
            Ok(tx.execute(
                "DELETE FROM failure_counts WHERE window_ends <= $1",
                &[&now],
            )?)
        })
    }
}
