//! The access log's own retention: entries older than the configured age are removed from
//! the start of the log (never from its middle or end), and a horizon records where the log
//! now starts, so the chain still verifies from there.
//!
//! The log names records by id and people by username and holds no visitor data; how long
//! it is kept is the agency's own decision (e.g. in its *informationshanteringsplan*),
//! given to the relay as `access_log_retention_months`.
//!
//! The horizon is one row: the first entry kept, the hash of the last entry removed (where
//! [`super::access_log::verify`] starts the chain), when and under which rule. Triggers
//! hold the pruning to that: the horizon names an entry the log holds when it is set (so it
//! is written before the deletes, in the same transaction), it only moves forward, and the
//! log refuses any DELETE of an entry at or after it.
//!
//! Which entries a pruning removes, and the rule text it records, are
//! [`crate::rules::access_log_pruning`]'s; this file loads and stores the rows.

use rusqlite::{Connection, OptionalExtension, params};

use super::access_log;
use crate::rules::access_log_pruning;
use crate::storage::model::{AccessLogHorizon, AccessLogPruning};
use crate::storage::{StorageError, StorageResult};

/// The log's horizon, if it was ever pruned.
pub(crate) fn horizon(conn: &Connection) -> StorageResult<Option<AccessLogHorizon>> {
    let row: Option<(i64, Vec<u8>, i64, String)> = conn
        .query_row(
            "SELECT first_kept_seq, last_removed_hash, pruned_at, rule
             FROM access_log_horizon WHERE id = 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
        )
        .optional()?;
    row.map(|(first_kept, hash, pruned_at, rule)| {
        Ok(AccessLogHorizon {
            first_kept: first_kept as u64,
            last_removed_hash: hash
                .try_into()
                .map_err(|_| StorageError::Undecodable("access log horizon"))?,
            pruned_at,
            rule,
        })
    })
    .transpose()
}

/// Removes, inside the caller's transaction, the entries at the start of the log made
/// before `older_than` (ms since the Unix epoch), keeping at least the newest entry; the
/// horizon is moved first, so the DELETE trigger lets exactly those entries go.
pub(crate) fn prune(
    conn: &Connection,
    older_than: i64,
    rule: &str,
    now: i64,
) -> StorageResult<AccessLogPruning> {
    if let Some(at) = access_log::verify(conn)?.broken_at {
        return Ok(AccessLogPruning::ChainBroken { at });
    }
    let current = horizon(conn)?;
    let bounds: (Option<i64>, Option<i64>, Option<i64>) = conn.query_row(
        "SELECT MIN(seq), MAX(seq), (SELECT MIN(seq) FROM access_log WHERE at >= ?1)
         FROM access_log",
        [older_than],
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
    )?;
    let (Some(first), Some(last)) = (bounds.0, bounds.1) else {
        return Ok(AccessLogPruning::NothingDue { horizon: current });
    };
    let Some(first_kept) =
        access_log_pruning::first_kept(first as u64, last as u64, bounds.2.map(|s| s as u64))
    else {
        return Ok(AccessLogPruning::NothingDue { horizon: current });
    };
    let last_removed_hash = access_log::entry_hash_at(conn, first_kept - 1)?
        .ok_or(StorageError::Undecodable("access log"))?;
    let statement = if current.is_some() {
        "UPDATE access_log_horizon
         SET first_kept_seq = ?1, last_removed_hash = ?2, pruned_at = ?3, rule = ?4
         WHERE id = 1"
    } else {
        "INSERT INTO access_log_horizon (id, first_kept_seq, last_removed_hash, pruned_at, rule)
         VALUES (1, ?1, ?2, ?3, ?4)"
    };
    conn.execute(
        statement,
        params![first_kept as i64, last_removed_hash.as_slice(), now, rule],
    )?;
    let removed = conn.execute("DELETE FROM access_log WHERE seq < ?1", [first_kept as i64])?;
    Ok(AccessLogPruning::Pruned {
        removed: removed as u64,
        horizon: AccessLogHorizon {
            first_kept,
            last_removed_hash,
            pruned_at: now,
            rule: rule.to_owned(),
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::storage::{AccessAction, AccessEntry, Accessor};

    /// A log of `n` entries, entry `i` made at time `i`.
    fn log_of(n: i64) -> Connection {
        let conn = super::super::schema::in_memory();
        let entries: Vec<AccessEntry> = (1..=n)
            .map(|i| AccessEntry {
                at: i,
                accessor: Accessor::Operator("hr:arvid".into()),
                action: AccessAction::Read,
                doc_id: format!("doc-{i}"),
            })
            .collect();
        access_log::append(&conn, &entries).expect("appends");
        conn
    }

    fn pruned(conn: &Connection, older_than: i64) -> AccessLogPruning {
        prune(conn, older_than, "test rule", 100).expect("prunes")
    }

    fn refusal(result: rusqlite::Result<usize>) -> String {
        result.expect_err("refused").to_string()
    }

    #[test]
    fn a_delete_at_or_past_the_horizon_is_refused() {
        let conn = log_of(6);
        let refused = refusal(conn.execute("DELETE FROM access_log WHERE seq = 1", []));
        assert!(refused.contains("append-only"), "{refused}");
        pruned(&conn, 3);
        for seq in [3, 4, 6] {
            let refused = refusal(conn.execute("DELETE FROM access_log WHERE seq = ?1", [seq]));
            assert!(refused.contains("append-only"), "{seq}: {refused}");
        }
        assert_eq!(access_log::verify(&conn).expect("verifies").broken_at, None);
    }

    #[test]
    fn moving_the_horizon_back_or_off_the_log_is_refused() {
        let conn = log_of(6);
        pruned(&conn, 4);
        let back = refusal(conn.execute(
            "UPDATE access_log_horizon SET first_kept_seq = 2 WHERE id = 1",
            [],
        ));
        assert!(back.contains("only moves forward"), "{back}");
        let replaced = refusal(conn.execute(
            "INSERT OR REPLACE INTO access_log_horizon
             (id, first_kept_seq, last_removed_hash, pruned_at, rule)
             VALUES (1, 2, zeroblob(32), 0, 'x')",
            [],
        ));
        assert!(replaced.contains("must name entries"), "{replaced}");
        // Forward, but with a hash that is not the log's: a deletion in disguise.
        let forged = refusal(conn.execute(
            "UPDATE access_log_horizon SET first_kept_seq = 6, last_removed_hash = zeroblob(32)",
            [],
        ));
        assert!(forged.contains("must name entries"), "{forged}");
        let removed = refusal(conn.execute("DELETE FROM access_log_horizon", []));
        assert!(removed.contains("is kept"), "{removed}");
        assert_eq!(horizon(&conn).expect("reads").expect("set").first_kept, 4);
    }

    #[test]
    fn a_broken_chain_is_not_pruned() {
        let conn = log_of(5);
        conn.execute_batch("DROP TRIGGER access_log_no_update;")
            .expect("drops");
        conn.execute("UPDATE access_log SET doc_id = 'other' WHERE seq = 2", [])
            .expect("tampers");
        assert_eq!(
            pruned(&conn, 1_000),
            AccessLogPruning::ChainBroken { at: 2 }
        );
        assert_eq!(access_log::entries(&conn, 0, 100).expect("reads").len(), 5);
    }
}
