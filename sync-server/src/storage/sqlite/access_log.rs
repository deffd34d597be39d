//! The relay's access log: every read, change, removal and export of a registration (by a
//! staff tablet's pull, or by people at the relay), one entry each, appended in the same
//! transaction as what it records.
//!
//! Append-only and hash-chained: each entry's hash covers its fields and the previous
//! entry's hash, so an edited, removed or reordered entry breaks the chain at that entry,
//! and triggers refuse UPDATE outright and DELETE of all but the entries the log's own
//! retention removes from its start ([`super::access_log_retention`]). `verify` walks the
//! chain from where the log starts: its first entry, or the retention horizon.
//!
//! The hash format, the linking and the walk are [`crate::rules::access_chain`]'s; this
//! file loads and stores the rows.

use rusqlite::{Connection, OptionalExtension, params};

use crate::rules::access_chain::{
    self, AccessLogVerdict, ActorColumns, ChainWalk, EntryFields, GENESIS,
};
use crate::storage::model::{AccessAction, AccessEntry, Accessor};
use crate::storage::{StorageError, StorageResult};

// The table and its triggers (append-only, DELETE only before the retention horizon) are
// `super::schema`'s.

/// Appends the one entry of `accessor`'s `action` on record `doc_id` at `at`, inside the
/// caller's transaction.
pub(crate) fn append_one(
    conn: &Connection,
    at: i64,
    accessor: &Accessor,
    action: AccessAction,
    doc_id: &str,
) -> StorageResult<()> {
    append(
        conn,
        &[AccessEntry {
            at,
            accessor: accessor.clone(),
            action,
            doc_id: doc_id.to_owned(),
        }],
    )
}

/// Appends `entries` after the log's last entry, inside the caller's transaction.
pub(crate) fn append(conn: &Connection, entries: &[AccessEntry]) -> StorageResult<()> {
    if entries.is_empty() {
        return Ok(());
    }
    let last: Option<(i64, Vec<u8>)> = conn
        .query_row(
            "SELECT seq, hash FROM access_log ORDER BY seq DESC LIMIT 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?;
    // A last hash that is not 32 bytes means the log was tampered with: extending it would
    // hide that, so the access (and the transaction that needs it) fails instead.
    let last = match last {
        Some((seq, hash)) => Some((
            seq as u64,
            <[u8; 32]>::try_from(hash).map_err(|_| StorageError::Undecodable("access log"))?,
        )),
        None => None,
    };
    let mut insert = conn.prepare_cached(
        "INSERT INTO access_log
         (seq, at, actor_kind, actor, recruiter, action, doc_id, previous, hash)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
    )?;
    for entry in access_chain::link(last, entries) {
        insert.execute(params![
            entry.seq as i64,
            entry.at,
            entry.actor.kind,
            entry.actor.actor,
            entry.actor.recruiter,
            entry.action,
            entry.doc_id,
            entry.previous.as_slice(),
            entry.hash.as_slice()
        ])?;
    }
    Ok(())
}

/// The stored hash of entry `seq`, if the log holds it and it is 32 bytes.
pub(crate) fn entry_hash_at(conn: &Connection, seq: u64) -> StorageResult<Option<[u8; 32]>> {
    let hash: Option<Vec<u8>> = conn
        .query_row(
            "SELECT hash FROM access_log WHERE seq = ?1",
            [seq.min(i64::MAX as u64) as i64],
            |r| r.get(0),
        )
        .optional()?;
    Ok(hash.and_then(|h| h.try_into().ok()))
}

/// Walks the whole log in order and checks every number, link and hash, from the genesis
/// or, once retention removed the log's start, from the horizon's last removed hash.
pub(crate) fn verify(conn: &Connection) -> StorageResult<AccessLogVerdict> {
    let (removed, start) = match super::access_log_retention::horizon(conn)? {
        Some(horizon) => (horizon.first_kept - 1, horizon.last_removed_hash),
        None => (0, GENESIS),
    };
    let mut statement = conn.prepare(
        "SELECT seq, at, actor_kind, actor, recruiter, action, doc_id, previous, hash
         FROM access_log ORDER BY seq",
    )?;
    let mut rows = statement.query([])?;
    let mut walk = ChainWalk::from(removed, start);
    while let Some(r) = rows.next()? {
        let (actor_kind, actor, recruiter, action, doc_id): (
            String,
            String,
            Option<String>,
            String,
            String,
        ) = (r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?, r.get(6)?);
        let fields = EntryFields {
            seq: r.get::<_, i64>(0)? as u64,
            at: r.get(1)?,
            actor_kind: &actor_kind,
            actor: &actor,
            recruiter: recruiter.as_deref(),
            action: &action,
            doc_id: &doc_id,
        };
        walk.next(&fields, &r.get::<_, Vec<u8>>(7)?, &r.get::<_, Vec<u8>>(8)?);
    }
    Ok(walk.verdict())
}

/// Up to `limit` entries after `after_seq`, in order, for review.
pub(crate) fn entries(
    conn: &Connection,
    after_seq: u64,
    limit: usize,
) -> StorageResult<Vec<(u64, AccessEntry)>> {
    let mut statement = conn.prepare_cached(&format!(
        "SELECT {ENTRY_COLUMNS} FROM access_log WHERE seq > ?1 ORDER BY seq LIMIT ?2"
    ))?;
    numbered_entries(
        &mut statement,
        params![after_seq.min(i64::MAX as u64) as i64, limit as i64],
    )
}

/// The columns an entry is read from, after its number: what [`numbered_entries`] reads.
pub(crate) const ENTRY_COLUMNS: &str = "seq, at, actor_kind, actor, recruiter, action, doc_id";

/// The entries `statement` selects with `params` (rows of [`ENTRY_COLUMNS`]), in its order,
/// with their numbers.
pub(crate) fn numbered_entries(
    statement: &mut rusqlite::Statement<'_>,
    params: impl rusqlite::Params,
) -> StorageResult<Vec<(u64, AccessEntry)>> {
    let rows = statement.query_map(params, |r| {
        Ok((
            r.get::<_, i64>(0)?,
            r.get::<_, i64>(1)?,
            r.get::<_, String>(2)?,
            r.get::<_, String>(3)?,
            r.get::<_, Option<String>>(4)?,
            r.get::<_, String>(5)?,
            r.get::<_, String>(6)?,
        ))
    })?;
    let mut out = Vec::new();
    for row in rows {
        let (seq, at, kind, actor, recruiter, action, doc_id) = row?;
        out.push((
            seq as u64,
            decode_entry(at, &kind, actor, recruiter, &action, doc_id)?,
        ));
    }
    Ok(out)
}

/// An entry from its stored columns.
fn decode_entry(
    at: i64,
    actor_kind: &str,
    actor: String,
    recruiter: Option<String>,
    action: &str,
    doc_id: String,
) -> StorageResult<AccessEntry> {
    let accessor = ActorColumns::accessor(actor_kind, actor, recruiter)
        .ok_or(StorageError::Undecodable("access log device"))?;
    let action =
        AccessAction::parse(action).ok_or(StorageError::Undecodable("access log action"))?;
    Ok(AccessEntry {
        at,
        accessor,
        action,
        doc_id,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn log() -> Connection {
        super::super::schema::in_memory()
    }

    fn entry(n: u8, action: AccessAction) -> AccessEntry {
        AccessEntry {
            at: 1_000 + i64::from(n),
            accessor: Accessor::Device {
                device_key: [n; 32],
                recruiter: Some("anna".into()),
            },
            action,
            doc_id: format!("doc-{n}"),
        }
    }

    /// A log of four pulls with its UPDATE and DELETE triggers dropped, as a tampering hand
    /// with the file could.
    fn unlocked_log_of_four() -> Connection {
        let conn = log();
        let batch: Vec<_> = (1..=4).map(|n| entry(n, AccessAction::Pull)).collect();
        append(&conn, &batch).expect("appends");
        conn.execute_batch("DROP TRIGGER access_log_no_update; DROP TRIGGER access_log_no_delete;")
            .expect("drops");
        conn
    }

    fn broken_at(conn: &Connection) -> Option<u64> {
        verify(conn).expect("verifies").broken_at
    }

    fn refusal(result: rusqlite::Result<usize>) -> String {
        result.expect_err("refused").to_string()
    }

    /// The SQLite side of the suite's
    /// `entries_appended_in_several_calls_form_one_chain_that_verifies`: the stored link of
    /// a second append's first entry is the first append's last hash, not the genesis.
    #[test]
    fn a_second_append_links_its_first_entry_to_the_last_stored_hash() {
        let conn = log();
        append(
            &conn,
            &[entry(1, AccessAction::Pull), entry(2, AccessAction::Pull)],
        )
        .expect("appends");
        append(&conn, &[entry(3, AccessAction::Remove)]).expect("appends");
        let column = |column: &str, seq: i64| -> Vec<u8> {
            conn.query_row(
                &format!("SELECT {column} FROM access_log WHERE seq = ?1"),
                [seq],
                |r| r.get(0),
            )
            .expect("reads")
        };
        assert_eq!(column("previous", 3), column("hash", 2));
        assert_ne!(column("previous", 3).as_slice(), GENESIS.as_slice());
        assert_eq!(column("previous", 1).as_slice(), GENESIS.as_slice());
        let verdict = verify(&conn).expect("verifies");
        assert_eq!(verdict.head.as_slice(), column("hash", 3).as_slice());
    }

    /// The SQLite side of the suite's
    /// `stored_entries_carry_the_hash_format_logs_were_always_written_in`: the row names a
    /// device by its hex key and holds the pinned hash.
    #[test]
    fn a_stored_row_names_a_device_by_its_hex_key_and_holds_the_pinned_hash() {
        // The vector `rules::access_chain` pins, stored and read back through SQLite.
        let conn = log();
        append(
            &conn,
            &[AccessEntry {
                at: 1_767_225_600_000,
                accessor: Accessor::Device {
                    device_key: [7; 32],
                    recruiter: Some("anna".into()),
                },
                action: AccessAction::Pull,
                doc_id: "019ce0a0-6a80-7000-8000-000000000001".into(),
            }],
        )
        .expect("appends");
        let (actor, hash): (String, Vec<u8>) = conn
            .query_row(
                "SELECT actor, hash FROM access_log WHERE seq = 1",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .expect("reads");
        assert_eq!(actor, "07".repeat(32));
        assert_eq!(
            hex::encode(hash),
            "2da710f0db664e40571dded532e766df6b31050e607f721d12dc996e9f4c7727"
        );
    }

    #[test]
    fn updates_deletes_and_out_of_chain_inserts_are_refused() {
        let conn = log();
        append(
            &conn,
            &[entry(1, AccessAction::Pull), entry(2, AccessAction::Pull)],
        )
        .expect("appends");
        let update = refusal(conn.execute("UPDATE access_log SET doc_id = 'other'", []));
        assert!(update.contains("append-only"), "{update}");
        let delete = refusal(conn.execute("DELETE FROM access_log WHERE seq = 2", []));
        assert!(delete.contains("append-only"), "{delete}");

        let head: Vec<u8> = conn
            .query_row("SELECT hash FROM access_log WHERE seq = 2", [], |r| {
                r.get(0)
            })
            .expect("reads");
        let insert = |seq: i64, previous: &[u8]| {
            conn.execute(
                "INSERT OR REPLACE INTO access_log
                 (seq, at, actor_kind, actor, recruiter, action, doc_id, previous, hash)
                 VALUES (?1, 0, 'operator', 'x', NULL, 'read', 'doc', ?2, zeroblob(32))",
                params![seq, previous],
            )
        };
        // REPLACE would rewrite entry 2 without firing the DELETE trigger.
        let replace = refusal(insert(2, &GENESIS));
        assert!(replace.contains("only grows at its end"), "{replace}");
        let gap = refusal(insert(4, &head));
        assert!(gap.contains("only grows at its end"), "{gap}");
        let unlinked = refusal(insert(3, &GENESIS));
        assert!(unlinked.contains("only grows at its end"), "{unlinked}");

        assert_eq!(entries(&conn, 0, 10).expect("reads").len(), 2);
        assert_eq!(broken_at(&conn), None);
    }

    #[test]
    fn any_altered_column_breaks_the_chain_at_that_entry() {
        for (column, value) in [
            ("seq", "7"),
            ("at", "9"),
            ("actor_kind", "'operator'"),
            ("actor", "'someone else'"),
            ("recruiter", "'bertil'"),
            ("recruiter", "NULL"),
            ("action", "'read'"),
            ("doc_id", "'doc-9'"),
            ("previous", "zeroblob(32)"),
            ("hash", "zeroblob(32)"),
        ] {
            let conn = unlocked_log_of_four();
            assert_eq!(broken_at(&conn), None);
            conn.execute(
                &format!("UPDATE access_log SET {column} = {value} WHERE seq = 3"),
                [],
            )
            .expect("tampers");
            assert_eq!(broken_at(&conn), Some(3), "{column} changed");
        }
    }

    #[test]
    fn a_removed_middle_entry_breaks_the_chain_where_it_was() {
        let conn = unlocked_log_of_four();
        conn.execute("DELETE FROM access_log WHERE seq = 2", [])
            .expect("deletes");
        let verdict = verify(&conn).expect("verifies");
        assert_eq!((verdict.entries, verdict.broken_at), (3, Some(2)));
    }

    #[test]
    fn an_entry_rewritten_with_its_own_hash_breaks_the_next_link() {
        let conn = unlocked_log_of_four();
        let previous: Vec<u8> = conn
            .query_row("SELECT previous FROM access_log WHERE seq = 2", [], |r| {
                r.get(0)
            })
            .expect("reads");
        let forged = access_chain::entry_hash(
            &EntryFields {
                seq: 2,
                at: 1_002,
                actor_kind: "device",
                actor: "x",
                recruiter: None,
                action: "pull",
                doc_id: "doc-2",
            },
            &previous,
        );
        conn.execute(
            "UPDATE access_log SET actor = 'x', recruiter = NULL, hash = ?1 WHERE seq = 2",
            [forged.as_slice()],
        )
        .expect("tampers");
        assert_eq!(broken_at(&conn), Some(3));
    }

    #[test]
    fn blobs_of_the_wrong_length_count_as_broken() {
        for (column, seq) in [("hash", 2_u32), ("previous", 3), ("hash", 4)] {
            let conn = unlocked_log_of_four();
            conn.execute(
                &format!("UPDATE access_log SET {column} = x'0102' WHERE seq = ?1"),
                [seq],
            )
            .expect("tampers");
            assert_eq!(broken_at(&conn), Some(u64::from(seq)), "{column} of {seq}");
        }
        // Nothing is appended after a head that cannot be a hash.
        let conn = unlocked_log_of_four();
        conn.execute("UPDATE access_log SET hash = x'01' WHERE seq = 4", [])
            .expect("tampers");
        assert!(append(&conn, &[entry(5, AccessAction::Pull)]).is_err());
    }
}
