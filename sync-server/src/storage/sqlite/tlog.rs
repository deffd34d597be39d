//! The transparency log's tables on SQLite: leaves by index, the perfect subtrees appends
//! completed (from `LOWEST_STORED_LEVEL` up), the one-row head (size and right edge), and the record nonce beside each
//! registration. What a leaf says and how appends extend the tree are
//! [`crate::transparency`]'s; this file reads and writes the rows, always inside the
//! transaction of what the leaves record (the single writer connection orders appends).

use kiosk_core::tlog::hash::Hash;
use rusqlite::{Connection, OptionalExtension, params};

use crate::storage::model::{AppendedLeaves, LogKeyBinding, LogTip, NonceRule};
use crate::storage::{StorageError, StorageResult};
use crate::transparency::append::{self, LogHead};
use crate::transparency::leaf::{Leaf, LeafKind, Nonce, author_of_actor, record_commitment};

/// Appends `leaves` to the log inside the caller's transaction; returns them as appended.
pub(crate) fn append(conn: &Connection, leaves: &[Leaf]) -> StorageResult<AppendedLeaves> {
    if leaves.is_empty() {
        return Ok(AppendedLeaves::default());
    }
    #[cfg(feature = "test-support")]
    if SKIP_APPENDS_FOR_BENCH.load(std::sync::atomic::Ordering::Relaxed) {
        return Ok(AppendedLeaves::default());
    }
    let head = head(conn)?;
    let appended = append::append(&head, leaves)
        .map_err(|_| StorageError::Undecodable("transparency log right edge"))?;
    let mut insert_leaf =
        conn.prepare_cached("INSERT INTO tlog_leaves (idx, leaf) VALUES (?1, ?2)")?;
    for (offset, bytes) in appended.leaves.iter().enumerate() {
        insert_leaf.execute(params![
            index(appended.first_index + offset as u64)?,
            bytes.as_slice()
        ])?;
    }
    let mut insert_node =
        conn.prepare_cached("INSERT INTO tlog_nodes (level, idx, hash) VALUES (?1, ?2, ?3)")?;
    for (level, idx, hash) in &appended.nodes {
        insert_node.execute(params![*level, index(*idx)?, hash.as_slice()])?;
    }
    conn.prepare_cached("UPDATE tlog_head SET size = ?1, frontier = ?2 WHERE id = 1")?
        .execute(params![
            index(appended.head.size)?,
            appended.head.encode_frontier()
        ])?;
    Ok(AppendedLeaves {
        first_index: appended.first_index,
        leaves: appended.leaves,
    })
}

/// The bench's switch for the cost of an ingest without its appends (`benches/transparency.rs`):
/// only in builds with `test-support`, never in the relay's.
#[cfg(feature = "test-support")]
#[doc(hidden)]
pub static SKIP_APPENDS_FOR_BENCH: std::sync::atomic::AtomicBool =
    std::sync::atomic::AtomicBool::new(false);

impl super::SqliteStore {
    /// Appends `leaves` in one transaction of their own, for the bench's log of a million
    /// leaves and tests that need a long log cheaply.
    #[cfg(any(test, feature = "test-support"))]
    #[doc(hidden)]
    pub fn append_log_leaves_for_bench(&self, leaves: &[Leaf]) -> StorageResult<()> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        append(&tx, leaves)?;
        tx.commit()?;
        Ok(())
    }
}

fn index(value: u64) -> StorageResult<i64> {
    i64::try_from(value).map_err(|_| StorageError::Undecodable("transparency log index"))
}

/// The log's head as committed (or as the caller's transaction left it).
pub(crate) fn head(conn: &Connection) -> StorageResult<LogHead> {
    let (size, frontier): (i64, Vec<u8>) = conn
        .prepare_cached("SELECT size, frontier FROM tlog_head WHERE id = 1")?
        .query_row([], |r| Ok((r.get(0)?, r.get(1)?)))?;
    let size = u64::try_from(size).map_err(|_| StorageError::Undecodable("log size"))?;
    LogHead::decode(size, &frontier).map_err(|_| StorageError::Undecodable("transparency log head"))
}

pub(crate) fn tip(conn: &Connection) -> StorageResult<LogTip> {
    let head = head(conn)?;
    Ok(LogTip {
        size: head.size,
        root: head.root(),
    })
}

/// Leaves from index `from` on, at most `limit`.
pub(crate) fn leaves(conn: &Connection, from: u64, limit: usize) -> StorageResult<Vec<Vec<u8>>> {
    let mut statement =
        conn.prepare_cached("SELECT leaf FROM tlog_leaves WHERE idx >= ?1 ORDER BY idx LIMIT ?2")?;
    let rows = statement
        .query_map(params![index(from)?, limit as i64], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    Ok(rows)
}

/// Leaves whose record commitment is `record`, from index `from` on, at most `limit`: found
/// by the commitment's first 8 bytes, whose expression must be the index's
/// (`tlog_leaves_by_record_prefix`, step 18) for SQLite to use it, then the whole of it.
pub(crate) fn leaves_of_record(
    conn: &Connection,
    record: &[u8; 32],
    from: u64,
    limit: usize,
) -> StorageResult<Vec<(u64, Vec<u8>)>> {
    let mut statement = conn.prepare_cached(LEAVES_OF_RECORD)?;
    let rows = statement
        .query_map(
            params![&record[..8], index(from)?, record.as_slice(), limit as i64],
            |r| Ok((r.get::<_, i64>(0)? as u64, r.get(1)?)),
        )?
        .collect::<Result<_, _>>()?;
    Ok(rows)
}

/// [`leaves_of_record`]'s query.
const LEAVES_OF_RECORD: &str = "SELECT idx, leaf FROM tlog_leaves
     WHERE substr(leaf, 3, 8) = ?1 AND idx >= ?2 AND substr(leaf, 3, 32) = ?3
     ORDER BY idx LIMIT ?4";

/// Stored subtrees of `level` from index `from` on, at most `limit`, as `(index, hash)`.
pub(crate) fn nodes(
    conn: &Connection,
    level: u8,
    from: u64,
    limit: usize,
) -> StorageResult<Vec<(u64, Vec<u8>)>> {
    let mut statement = conn.prepare_cached(
        "SELECT idx, hash FROM tlog_nodes WHERE level = ?1 AND idx >= ?2 ORDER BY idx LIMIT ?3",
    )?;
    let rows = statement
        .query_map(params![level, index(from)?, limit as i64], |r| {
            Ok((r.get::<_, i64>(0)? as u64, r.get(1)?))
        })?
        .collect::<Result<_, _>>()?;
    Ok(rows)
}

pub(crate) fn subtree(conn: &Connection, level: u8, idx: u64) -> StorageResult<Option<Hash>> {
    let hash: Option<Vec<u8>> = conn
        .prepare_cached("SELECT hash FROM tlog_nodes WHERE level = ?1 AND idx = ?2")?
        .query_row(params![level, index(idx)?], |r| r.get(0))
        .optional()?;
    hash.map(|h| {
        h.try_into()
            .map_err(|_| StorageError::Undecodable("log node hash"))
    })
    .transpose()
}

/// The nonce kept beside registration `doc_id` (none once it is removed).
pub(crate) fn nonce(conn: &Connection, doc_id: &str) -> StorageResult<Option<Nonce>> {
    let nonce: Option<Option<Vec<u8>>> = conn
        .prepare_cached("SELECT tlog_nonce FROM registrations WHERE doc_id = ?1")?
        .query_row([doc_id], |r| r.get(0))
        .optional()?;
    nonce_bytes(nonce.flatten(), "record nonce")
}

/// The most ids one statement of [`nonces`] names: far below SQLite's parameter limit
/// (32,766; 999 before 3.32), and above a sync request's pushes, so an answer's nonces are
/// one statement.
const NONCES_PER_STATEMENT: usize = 500;

/// [`nonce`] of each of `doc_ids`, in order (an id twice gets its nonce twice), one
/// statement per [`NONCES_PER_STATEMENT`] ids.
pub(crate) fn nonces(conn: &Connection, doc_ids: &[&str]) -> StorageResult<Vec<Option<Nonce>>> {
    let mut held: std::collections::HashMap<String, Option<Vec<u8>>> =
        std::collections::HashMap::with_capacity(doc_ids.len());
    for chunk in doc_ids.chunks(NONCES_PER_STATEMENT) {
        let placeholders = vec!["?"; chunk.len()].join(", ");
        // Not cached: the text differs with the chunk's length.
        let mut statement = conn.prepare(&format!(
            "SELECT doc_id, tlog_nonce FROM registrations WHERE doc_id IN ({placeholders})"
        ))?;
        let rows = statement.query_map(rusqlite::params_from_iter(chunk), |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, Option<Vec<u8>>>(1)?))
        })?;
        for row in rows {
            let (doc_id, nonce) = row?;
            held.insert(doc_id, nonce);
        }
    }
    doc_ids
        .iter()
        .map(|id| nonce_bytes(held.get(*id).cloned().flatten(), "record nonce"))
        .collect()
}

/// A stored nonce's bytes as a nonce; `what` names it when they are not 32.
fn nonce_bytes(bytes: Option<Vec<u8>>, what: &'static str) -> StorageResult<Option<Nonce>> {
    bytes
        .map(|n| n.try_into().map_err(|_| StorageError::Undecodable(what)))
        .transpose()
}

/// The record's nonce of `doc_id`: the registration's when it is stored, else the one the
/// copies kept apart under the `record` rule were given (`None`: neither, or removed). A
/// removal's leaf cites it. (A record stored later takes the nonce of its own tablet's
/// copies, [`quarantine_nonce_of_device`], so its leaves link to those copies' only.)
pub(crate) fn quarantine_nonce(conn: &Connection, doc_id: &str) -> StorageResult<Option<Nonce>> {
    if let Some(nonce) = nonce(conn, doc_id)? {
        return Ok(Some(nonce));
    }
    let nonce: Option<Vec<u8>> = conn
        .prepare_cached(
            "SELECT tlog_nonce FROM quarantine
             WHERE doc_id = ?1 AND tlog_nonce IS NOT NULL AND nonce_rule = 'record' LIMIT 1",
        )?
        .query_row([doc_id], |r| r.get(0))
        .optional()?;
    nonce_bytes(nonce, "quarantine nonce")
}

/// The nonce and rule the copies of `doc_id` that `device_key` sent and had kept apart were
/// logged under, as written on them (`None` until one of them is logged).
pub(crate) fn quarantine_nonce_of_device(
    conn: &Connection,
    doc_id: &str,
    device_key: &[u8],
) -> StorageResult<Option<(Nonce, NonceRule)>> {
    let row: Option<(Vec<u8>, Option<String>)> = conn
        .prepare_cached(
            "SELECT tlog_nonce, nonce_rule FROM quarantine
             WHERE doc_id = ?1 AND device_key = ?2 AND tlog_nonce IS NOT NULL LIMIT 1",
        )?
        .query_row(params![doc_id, device_key], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?;
    let Some((bytes, rule)) = row else {
        return Ok(None);
    };
    let nonce = nonce_bytes(Some(bytes), "quarantine nonce")?
        .ok_or(StorageError::Undecodable("quarantine nonce"))?;
    let rule = rule
        .as_deref()
        .and_then(NonceRule::parse)
        .ok_or(StorageError::Undecodable("quarantine nonce rule"))?;
    Ok(Some((nonce, rule)))
}

/// The nonce and rule for a copy of `doc_id` that `device_key` sends to be kept apart: those
/// of its earlier logged copies, else by [`NonceRule::for_first_copy`]: the record's nonce
/// (made now when nothing holds one yet) or a new one of this tablet's copies only.
pub(crate) fn nonce_for_quarantined_copy(
    conn: &Connection,
    doc_id: &str,
    device_key: &[u8],
) -> StorageResult<(Nonce, NonceRule)> {
    if let Some(held) = quarantine_nonce_of_device(conn, doc_id, device_key)? {
        return Ok(held);
    }
    let capturer: Option<Vec<u8>> = conn
        .prepare_cached("SELECT device_key FROM registrations WHERE doc_id = ?1")?
        .query_row([doc_id], |r| r.get(0))
        .optional()?;
    let record = quarantine_nonce(conn, doc_id)?;
    let rule = NonceRule::for_first_copy(capturer.as_deref(), device_key, record.is_some());
    let nonce = match (rule, record) {
        (NonceRule::Record, Some(record)) => record,
        _ => crate::transparency::leaf::new_nonce(),
    };
    Ok((nonce, rule))
}

/// The nonce of a stored registration, which every stored one has (new ones from their
/// insert, older ones from the upgrade that made the log).
pub(crate) fn nonce_of_stored(conn: &Connection, doc_id: &str) -> StorageResult<Nonce> {
    nonce(conn, doc_id)?.ok_or(StorageError::Undecodable("record nonce"))
}

/// The upgrade that made the log: every registration held gets a nonce, and every change
/// held gets an `accepted-before-log` leaf, in the order the relay stored them (commit
/// number, then row), dated when its record was received (the change's own time was not
/// kept before the log).
/// The schema step that runs [`backfill`].
pub(crate) fn backfill_step(tx: &rusqlite::Transaction<'_>) -> StorageResult<()> {
    backfill(tx)
}

const BACKFILL_PIECE: usize = 10_000;

pub(crate) fn backfill(conn: &Connection) -> StorageResult<()> {
    let doc_ids: Vec<String> = conn
        .prepare("SELECT doc_id FROM registrations WHERE tlog_nonce IS NULL ORDER BY received_at, doc_id")?
        .query_map([], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    {
        let mut set = conn.prepare("UPDATE registrations SET tlog_nonce = ?2 WHERE doc_id = ?1")?;
        for doc_id in &doc_ids {
            set.execute(params![
                doc_id,
                crate::transparency::leaf::new_nonce().as_slice()
            ])?;
        }
    }
    let mut statement = conn.prepare(
        "SELECT c.doc_id, c.hash, c.actor, r.received_at, r.tlog_nonce
         FROM registration_changes c JOIN registrations r ON r.doc_id = c.doc_id
         ORDER BY c.commit_seq, c.rowid",
    )?;
    let mut leaves = Vec::new();
    let mut rows = statement.query([])?;
    while let Some(row) = rows.next()? {
        let doc_id: String = row.get(0)?;
        let hash: [u8; 32] = row
            .get::<_, Vec<u8>>(1)?
            .try_into()
            .map_err(|_| StorageError::Undecodable("change hash"))?;
        let actor: Vec<u8> = row.get(2)?;
        let nonce: Nonce = row
            .get::<_, Vec<u8>>(4)?
            .try_into()
            .map_err(|_| StorageError::Undecodable("record nonce"))?;
        leaves.push(Leaf {
            kind: LeafKind::AcceptedBeforeLog,
            record: record_commitment(&nonce, &doc_id),
            subject: crate::transparency::leaf::change_subject(&nonce, &hash),
            author: author_of_actor(&actor),
            accepted_at: row.get(3)?,
        });
        // In pieces: a large store's changes need not all be in memory at once.
        if leaves.len() == BACKFILL_PIECE {
            append(conn, &leaves)?;
            leaves.clear();
        }
    }
    drop(rows);
    append(conn, &leaves)?;
    Ok(())
}

impl crate::storage::traits::TransparencyLogStore for super::SqliteStore {
    fn log_tip(&self) -> StorageResult<LogTip> {
        self.read(tip)
    }

    fn log_leaves(&self, from: u64, limit: usize) -> StorageResult<Vec<Vec<u8>>> {
        let limit = limit.min(crate::storage::model::LOG_READ_LIMIT);
        self.read(|conn| leaves(conn, from, limit))
    }

    fn log_subtree(&self, level: u8, index: u64) -> StorageResult<Option<Hash>> {
        self.read(|conn| subtree(conn, level, index))
    }

    fn log_level(&self, level: u8, from: u64, limit: usize) -> StorageResult<Vec<(u64, Vec<u8>)>> {
        let limit = limit.min(crate::storage::model::LOG_READ_LIMIT);
        self.read(|conn| nodes(conn, level, from, limit))
    }

    fn log_leaves_of_record(
        &self,
        record: &[u8; 32],
        from: u64,
        limit: usize,
    ) -> StorageResult<Vec<(u64, Vec<u8>)>> {
        let limit = limit.min(crate::storage::model::LOG_READ_LIMIT);
        self.read(|conn| leaves_of_record(conn, record, from, limit))
    }

    fn record_nonce(&self, doc_id: &str) -> StorageResult<Option<Nonce>> {
        self.read(|conn| nonce(conn, doc_id))
    }

    fn record_nonces(&self, doc_ids: &[&str]) -> StorageResult<Vec<Option<Nonce>>> {
        self.read(|conn| nonces(conn, doc_ids))
    }

    fn quarantine_nonce(&self, doc_id: &str, device_key: &[u8]) -> StorageResult<Option<Nonce>> {
        self.read(|conn| {
            Ok(quarantine_nonce_of_device(conn, doc_id, device_key)?.map(|(nonce, _)| nonce))
        })
    }

    fn recorded_log_key(&self) -> StorageResult<Option<LogKeyBinding>> {
        self.read(recorded_key)
    }

    fn bind_log_key(
        &self,
        key: &LogKeyBinding,
        replacing: Option<&LogKeyBinding>,
    ) -> StorageResult<LogKeyBinding> {
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let recorded = recorded_key(&tx)?;
        let replace = recorded.is_some()
            && recorded.as_ref() == replacing
            && recorded.as_ref() != Some(key)
            && head(&tx)?.size == 0;
        if replace {
            tx.execute(
                "UPDATE tlog_key SET public_key = ?1, origin = ?2 WHERE id = 1",
                params![&key.public_key[..], key.origin],
            )?;
        } else {
            // First writer wins: an instance that recorded its key before this one keeps it.
            tx.execute(
                "INSERT INTO tlog_key (id, public_key, origin) VALUES (1, ?1, ?2)
                 ON CONFLICT (id) DO NOTHING",
                params![&key.public_key[..], key.origin],
            )?;
        }
        let bound = recorded_key(&tx)?.ok_or(StorageError::Undecodable("recorded log key"))?;
        tx.commit()?;
        Ok(bound)
    }
}

/// The log key recorded for the log.
fn recorded_key(conn: &Connection) -> StorageResult<Option<LogKeyBinding>> {
    let row: Option<(Vec<u8>, String)> = conn
        .query_row(
            "SELECT public_key, origin FROM tlog_key WHERE id = 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?;
    row.map(|(public_key, origin)| {
        Ok(LogKeyBinding {
            public_key: public_key
                .try_into()
                .map_err(|_| StorageError::Undecodable("recorded log key"))?,
            origin,
        })
    })
    .transpose()
}

#[cfg(test)]
mod tests {
    use rusqlite::Connection;

    use super::*;
    use crate::storage::traits::TransparencyLogStore;
    use crate::storage::{SqliteStore, ingest_generated_for_tests};
    use crate::transparency::verify::{Disagreement, Saved, verify_log};

    /// A store in a file with `count` generated captures, and a second connection to edit
    /// the file in place as someone with access to it could (the append-only triggers
    /// dropped first).
    fn store_with(count: usize) -> (tempfile::TempDir, SqliteStore, Connection) {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("relay.sqlite3");
        let store = SqliteStore::open(&path).expect("opens");
        ingest_generated_for_tests(&store, count);
        let editor = Connection::open(&path).expect("opens");
        editor
            .execute_batch(
                "DROP TRIGGER tlog_leaves_no_update; DROP TRIGGER tlog_nodes_no_update;
                 DROP TRIGGER tlog_leaves_no_delete; DROP TRIGGER tlog_nodes_no_delete;",
            )
            .expect("drops the triggers");
        (dir, store, editor)
    }

    /// `count` more captures of the kiosk `ingest_generated_for_tests` enrolled, in request
    /// `seq` (above 1), from another generator seed.
    fn more(store: &SqliteStore, count: usize, seq: u64) {
        let key = ed25519_dalek::SigningKey::from_bytes(&[7; 32]).verifying_key();
        let mut generator =
            kiosk_core::generator::RegistrationGenerator::new(kiosk_core::demo::demo_event(), seq);
        let items = (0..count)
            .map(|_| {
                let registration = generator.next_registration().expect("valid");
                crate::storage::capture_for_tests(&registration, &key)
            })
            .collect();
        crate::storage::ingest_for_tests(store, key.to_bytes(), seq, 0, items);
    }

    fn saved(store: &SqliteStore) -> Saved {
        let tip = store.log_tip().expect("reads");
        Saved {
            size: tip.size,
            root: tip.root,
        }
    }

    /// A record's leaves are read through the index on the commitment's first 8 bytes
    /// (not by scanning the log), and a leaf of another record whose commitment starts with
    /// the same 8 bytes is not among them.
    #[test]
    fn a_records_leaves_are_found_by_the_prefix_index_and_a_prefix_twin_is_left_out() {
        let store = SqliteStore::in_memory().expect("store");
        let leaf = |record: [u8; 32], at| Leaf {
            kind: LeafKind::Capture,
            record,
            subject: [3; 32],
            author: [4; 32],
            accepted_at: at,
        };
        let mut twin = [1u8; 32];
        twin[8..].fill(2);
        store
            .append_log_leaves_for_bench(&[leaf([1; 32], 1), leaf(twin, 2), leaf([1; 32], 3)])
            .expect("appends");
        let found = store.log_leaves_of_record(&[1; 32], 0, 10).expect("reads");
        let indexes: Vec<u64> = found.iter().map(|(index, _)| *index).collect();
        assert_eq!(
            indexes,
            [0, 2],
            "the record's own leaves, not its prefix twin's"
        );
        let twins = store.log_leaves_of_record(&twin, 0, 10).expect("reads");
        assert_eq!(twins.len(), 1);
        assert_eq!(
            store
                .log_leaves_of_record(&[1; 32], 1, 10)
                .expect("reads")
                .len(),
            1
        );
        let plan: Vec<String> = store
            .read(|conn| {
                let mut plan = conn.prepare(&format!("EXPLAIN QUERY PLAN {LEAVES_OF_RECORD}"))?;
                let rows = plan
                    .query_map(params![&[1u8; 8][..], 0, &[1u8; 32][..], 10], |r| {
                        r.get::<_, String>(3)
                    })?
                    .collect::<Result<_, _>>()?;
                Ok(rows)
            })
            .expect("explains");
        assert!(
            plan.iter()
                .any(|step| step.contains("USING INDEX tlog_leaves_by_record_prefix")),
            "{plan:?}"
        );
    }

    #[test]
    fn an_intact_log_verifies_alone_and_against_an_earlier_checkpoint() {
        let (_dir, store, _) = store_with(4);
        let earlier = saved(&store);
        more(&store, 3, 2);
        let checked = verify_log(&store, Some(earlier), |_| {}).expect("verifies");
        assert_eq!(checked.size, store.log_tip().expect("reads").size);
        assert!(checked.size > earlier.size);
        assert_eq!(checked.checkpoint, Some(earlier.size));
        assert_eq!(checked.kinds[0], checked.size, "all captures");
        let stored: u64 = (crate::transparency::append::LOWEST_STORED_LEVEL..64)
            .map(|level| checked.size >> level)
            .sum();
        assert_eq!(checked.nodes, stored, "every stored subtree, none below");
    }

    fn flip_leaf(editor: &Connection, index: i64) {
        let mut leaf: Vec<u8> = editor
            .query_row(
                "SELECT leaf FROM tlog_leaves WHERE idx = ?1",
                [index],
                |r| r.get(0),
            )
            .expect("reads");
        leaf[40] ^= 1;
        editor
            .execute(
                "UPDATE tlog_leaves SET leaf = ?1 WHERE idx = ?2",
                rusqlite::params![leaf, index],
            )
            .expect("edits");
    }

    #[test]
    fn a_leaf_byte_flipped_in_the_file_is_caught_at_the_stored_subtree_over_it() {
        let (_dir, store, editor) = store_with(20);
        assert!(store.log_tip().expect("reads").size >= 16);
        flip_leaf(&editor, 2);
        let error = verify_log(&store, None, |_| {}).expect_err("caught");
        assert!(
            matches!(
                error,
                Disagreement::NodeDiffers {
                    level: 4,
                    index: 0,
                    first: 0,
                    end: 16,
                    ..
                }
            ),
            "{error}"
        );
        assert!(
            error
                .to_string()
                .starts_with("node 4/0 (leaves 0..16) disagrees with its leaves"),
            "{error}"
        );
    }

    #[test]
    fn a_leaf_byte_flipped_in_the_logs_incomplete_tail_is_caught_at_the_head() {
        let (_dir, store, editor) = store_with(4);
        assert!(
            store.log_tip().expect("reads").size < 16,
            "no stored subtree"
        );
        flip_leaf(&editor, 2);
        let error = verify_log(&store, None, |_| {}).expect_err("caught");
        assert!(matches!(error, Disagreement::HeadDiffers { .. }), "{error}");
    }

    #[test]
    fn an_edited_node_is_caught_and_named() {
        let (_dir, store, editor) = store_with(20);
        editor
            .execute(
                "UPDATE tlog_nodes SET hash = zeroblob(32) WHERE level = 4 AND idx = 0",
                [],
            )
            .expect("edits");
        let error = verify_log(&store, None, |_| {}).expect_err("caught");
        assert!(
            matches!(
                error,
                Disagreement::NodeDiffers {
                    level: 4,
                    index: 0,
                    first: 0,
                    end: 16,
                    ..
                }
            ),
            "{error}"
        );
    }

    #[test]
    fn a_log_rewritten_whole_is_caught_by_the_saved_checkpoint_and_a_cut_one_too() {
        let (_dir, store, editor) = store_with(4);
        let checkpoint = saved(&store);
        // Every row rewritten consistently: one leaf changed, the tree recomputed from it.
        let mut rewritten: Vec<Leaf> = store
            .log_leaves(0, 1_000)
            .expect("reads")
            .iter()
            .map(|bytes| Leaf::decode(bytes).expect("decodes"))
            .collect();
        rewritten[1].accepted_at += 1;
        editor
            .execute_batch(
                "DELETE FROM tlog_leaves; DELETE FROM tlog_nodes;
                 UPDATE tlog_head SET size = 0, frontier = x''",
            )
            .expect("empties");
        append(&editor, &rewritten).expect("rewrites");
        verify_log(&store, None, |_| {}).expect("consistent in itself");
        let error = verify_log(&store, Some(checkpoint), |_| {}).expect_err("caught");
        assert!(
            matches!(error, Disagreement::CheckpointRootDiffers { size, .. } if size == checkpoint.size),
            "{error}"
        );
        // Cut back to fewer leaves than the checkpoint.
        editor
            .execute_batch(
                "DELETE FROM tlog_leaves; DELETE FROM tlog_nodes;
                 UPDATE tlog_head SET size = 0, frontier = x''",
            )
            .expect("empties");
        append(&editor, &rewritten[..2]).expect("rewrites");
        let error = verify_log(&store, Some(checkpoint), |_| {}).expect_err("caught");
        assert!(
            matches!(error, Disagreement::ShorterThanCheckpoint { .. }),
            "{error}"
        );
    }

    #[test]
    fn records_held_before_the_log_get_their_leaves_at_the_upgrade() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("relay.sqlite3");
        let registrations = {
            let store = SqliteStore::open(&path).expect("opens");
            ingest_generated_for_tests(&store, 5)
        };
        // The file as version 11 left it: no log, no nonces.
        {
            let conn = Connection::open(&path).expect("opens");
            conn.execute_batch(
                "DROP TABLE tlog_leaves; DROP TABLE tlog_nodes; DROP TABLE tlog_head;
                 ALTER TABLE registrations DROP COLUMN tlog_nonce;
                 PRAGMA user_version = 11;",
            )
            .expect("set back");
        }
        let store = SqliteStore::open(&path).expect("upgrades");
        let checked = verify_log(&store, None, |_| {}).expect("verifies");
        let changes: i64 = Connection::open(&path)
            .expect("opens")
            .query_row("SELECT count(*) FROM registration_changes", [], |r| {
                r.get(0)
            })
            .expect("counts");
        assert_eq!(checked.size, changes as u64, "a leaf per change held");
        assert_eq!(checked.kinds[6], checked.size, "all accepted-before-log");
        for registration in &registrations {
            let id = registration.id.to_string();
            let nonce = store
                .record_nonce(&id)
                .expect("reads")
                .expect("given a nonce");
            let commitment = record_commitment(&nonce, &id);
            let leaves = store.log_leaves(0, 1_000).expect("reads");
            assert!(
                leaves
                    .iter()
                    .any(|bytes| Leaf::decode(bytes).expect("decodes").record == commitment),
                "{id} has its leaves"
            );
        }
        // New captures append after them.
        more(&store, 1, 2);
        let after = verify_log(&store, None, |_| {}).expect("verifies");
        assert_eq!(after.kinds[0], after.size - checked.size);
        assert!(after.size > checked.size);
    }
}
