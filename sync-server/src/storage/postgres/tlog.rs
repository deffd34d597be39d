//! The transparency log's tables on PostgreSQL: leaves by index, the perfect subtrees
//! appends completed, and the one-row head (size and right edge). What a leaf says and how
//! appends extend the tree are [`crate::transparency`]'s; this file reads and writes the
//! rows inside the transaction of what the leaves record.
//!
//! **Several instances.** An append locks the head row (`FOR UPDATE`) until its transaction
//! ends, so appends from every instance form one sequence. Writes that number a commit hold
//! the sequencer already, so for them the head lock waits for nothing more; legal holds
//! (which take no number) wait for the writer holding the head, as they wait for the
//! record's row. Lock order: the sequencer, then records' rows, then the head, then the
//! access log's chain (every caller appends after it has locked the rows it erases or
//! changes). Cost: two round trips per transaction that appends, whatever its number of
//! leaves: the head read and locked, then one statement writing the leaves, the subtrees
//! they complete and the new head.
//!
//! **The nonce** of a record is not a column here: it is derived from the record's key
//! ([`nonce_from_key`]), which removal deletes (crypto-shredding, `record_keys.rs`), so the
//! nonce goes exactly when the record's sealed bytes become unreadable, dead tuples and WAL
//! included. A quarantined copy's nonce is derived from the same key by the rule written on
//! the copy when it was logged (`quarantine.nonce_rule`, [`NonceRule`]).

use kiosk_core::tlog::hash::Hash;
use postgres::GenericClient;
use postgres::types::Type;

use super::PgStore;
use super::record_keys::{key_of, stored_key};
use super::record_seal::RecordKey;
use super::rows::signed;
use crate::storage::model::{
    AppendedLeaves, LOG_READ_LIMIT, LogKeyBinding, LogTip, NewRecordNonce, NonceRule,
};
use crate::storage::{StorageError, StorageResult};
use crate::transparency::append::{self, LogHead};
use crate::transparency::leaf::record_commitment;
use crate::transparency::leaf::{Leaf, LeafKind, Nonce, author_of_actor, change_subject};

/// A record's nonce: SHA-256("kiosk-tlog-nonce-v1" ‖ the record's key).
pub(super) fn nonce_from_key(key: &RecordKey) -> Nonce {
    key.tlog_nonce()
}

/// The nonce of a record whose key is `key`: the key's, or, when the record's nonce follows
/// the copies of tablet `nonce_device` (`registrations.nonce_device`), that tablet's copy
/// nonce.
pub(super) fn record_nonce_of(key: &RecordKey, nonce_device: Option<&[u8]>) -> Nonce {
    match nonce_device {
        Some(device) => key.quarantine_copy_nonce(device),
        None => nonce_from_key(key),
    }
}

/// The nonce of record `doc_id`, while its key is held.
pub(super) fn nonce(client: &mut impl GenericClient, doc_id: &str) -> StorageResult<Option<Nonce>> {
    let Some(key) = key_of(client, doc_id)? else {
        return Ok(None);
    };
    let device = nonce_device(client, doc_id)?;
    Ok(Some(record_nonce_of(&key, device.as_deref())))
}

/// The tablet whose copies' nonce stored record `doc_id` follows (`None`: the key's, or no
/// record stored).
pub(super) fn nonce_device(
    client: &mut impl GenericClient,
    doc_id: &str,
) -> StorageResult<Option<Vec<u8>>> {
    Ok(client
        .query_typed_opt(
            "SELECT nonce_device FROM registrations WHERE doc_id = $1",
            &[(&doc_id, Type::TEXT)],
        )?
        .map(|row| row.try_get::<_, Option<Vec<u8>>>(0))
        .transpose()?
        .flatten())
}

/// For each of `captures` (document id, tablet) about to be stored as new records, the
/// tablet whose copies' nonce its record follows, by [`NonceRule::for_new_record`]: its own
/// when its copies kept apart follow the `copy` rule, or when it has none and another
/// tablet's follow the `record` rule (the key's nonce, which that tablet knows); else
/// `None`, the key's. So an accepted copy's `quarantined` leaves link to its record, and no
/// other tablet's do.
pub(super) fn nonce_devices<'c>(
    client: &mut impl GenericClient,
    captures: &[(&str, &'c [u8])],
) -> StorageResult<Vec<Option<&'c [u8]>>> {
    let doc_ids: Vec<&str> = captures.iter().map(|(doc_id, _)| *doc_id).collect();
    let rules = rules_of_copies(client, &doc_ids)?;
    Ok(captures
        .iter()
        .map(|&(doc_id, device)| {
            let of_doc = || rules.iter().filter(move |(d, ..)| d == doc_id);
            let own = of_doc().find(|(_, dev, _)| dev == device).map(|r| r.2);
            let record_taken = of_doc().any(|(.., rule)| *rule == NonceRule::Record);
            match NonceRule::for_new_record(own, record_taken) {
                NewRecordNonce::Key => None,
                // A tablet's copy nonce, which no other tablet holds; a fresh one when it
                // has no copies, as then none of its copies holds it either.
                NewRecordNonce::OwnCopy | NewRecordNonce::Fresh => Some(device),
            }
        })
        .collect())
}

/// The rule of each tablet's logged copies of `doc_ids`, one per (id, tablet): the rule
/// written on them, else, for copies an instance of a build before version 15 logged in a
/// rolling upgrade (logged, no rule written), the rule their leaves were hashed under
/// ([`rule_from_log`]); `record` when their key is gone, as their nonce may be the key's.
fn rules_of_copies(
    client: &mut impl GenericClient,
    doc_ids: &[&str],
) -> StorageResult<Vec<(String, Vec<u8>, NonceRule)>> {
    let mut rules: Vec<(String, Vec<u8>, NonceRule)> = Vec::new();
    let mut unwritten: Vec<(String, Vec<u8>)> = Vec::new();
    // Written rules sort first, so a tablet with both kinds of rows keeps its written one.
    for row in client.query_typed(
        "SELECT DISTINCT doc_id, device_key, nonce_rule, nonce_rule IS NULL FROM quarantine
         WHERE doc_id = ANY($1) AND (nonce_rule IS NOT NULL OR logged)
         ORDER BY nonce_rule IS NULL",
        &[(&doc_ids, Type::TEXT_ARRAY)],
    )? {
        let (doc_id, device): (String, Vec<u8>) = (row.try_get(0)?, row.try_get(1)?);
        match row.try_get::<_, Option<String>>(2)? {
            Some(rule) => {
                let rule = NonceRule::parse(&rule)
                    .ok_or(StorageError::Undecodable("quarantine nonce rule"))?;
                rules.push((doc_id, device, rule));
            }
            None => {
                if !rules
                    .iter()
                    .any(|(d, dev, _)| *d == doc_id && *dev == device)
                {
                    unwritten.push((doc_id, device));
                }
            }
        }
    }
    for (doc_id, device) in unwritten {
        let rule = rule_from_log(client, &doc_id, &device)?.unwrap_or(NonceRule::Record);
        rules.push((doc_id, device, rule));
    }
    Ok(rules)
}

/// The nonce `rule` gives the copies of a record (whose key is `key`) that `device_key`
/// sent and had kept apart: the record's (a quarantined copy is sealed under the record's
/// key), or one of that tablet's copies only ([`RecordKey::quarantine_copy_nonce`]).
pub(super) fn nonce_by_rule(key: &RecordKey, rule: NonceRule, device_key: &[u8]) -> Nonce {
    match rule {
        NonceRule::Record => nonce_from_key(key),
        NonceRule::Copy => key.quarantine_copy_nonce(device_key),
    }
}

/// The rule written on the logged copies of `doc_id` that `device_key` sent (`None` until
/// one of them is logged). A copy an instance of a build before version 15 logged while
/// this one ran (a rolling upgrade: logged, no rule written) gets its rule from the log,
/// as the upgrade gives one ([`rule_from_log`]).
pub(super) fn rule_of_copies(
    client: &mut impl GenericClient,
    doc_id: &str,
    device_key: &[u8],
) -> StorageResult<Option<NonceRule>> {
    // A written rule first, then a copy logged without one.
    let Some(row) = client.query_typed_opt(
        "SELECT nonce_rule FROM quarantine
         WHERE doc_id = $1 AND device_key = $2 AND (nonce_rule IS NOT NULL OR logged)
         ORDER BY nonce_rule IS NULL LIMIT 1",
        &[(&doc_id, Type::TEXT), (&device_key, Type::BYTEA)],
    )?
    else {
        return Ok(None);
    };
    match row.try_get::<_, Option<String>>(0)? {
        Some(rule) => NonceRule::parse(&rule)
            .map(Some)
            .ok_or(StorageError::Undecodable("quarantine nonce rule")),
        None => rule_from_log(client, doc_id, device_key),
    }
}

/// A record's `quarantined` leaves (`$1` commitment, `$2` kind, `$3` its first 8 bytes): by
/// the record index's prefix (`tlog_leaves_by_record_prefix`, 0014) so the index is used,
/// then the whole commitment, which leaves out another record with the same prefix.
const QUARANTINED_LEAVES_OF_RECORD: &str = "SELECT leaf FROM tlog_leaves
     WHERE substring(leaf FROM 3 FOR 8) = $3
       AND substring(leaf FROM 3 FOR 32) = $1 AND get_byte(leaf, 1) = $2";

/// [`QUARANTINED_LEAVES_OF_RECORD`] for several records at once (`$1`, `$3` arrays).
const QUARANTINED_LEAVES_OF_RECORDS: &str = "SELECT leaf FROM tlog_leaves
     WHERE substring(leaf FROM 3 FOR 8) = ANY($3)
       AND get_byte(leaf, 1) = $2 AND substring(leaf FROM 3 FOR 32) = ANY($1)";

/// The two commitments a tablet's copies of one record may have been logged under: its copy
/// nonce's and the record key's.
struct CopyCommitments {
    copy: [u8; 32],
    record: [u8; 32],
}

impl CopyCommitments {
    fn of(key: &RecordKey, doc_id: &str, device_key: &[u8]) -> Self {
        CopyCommitments {
            copy: record_commitment(&key.quarantine_copy_nonce(device_key), doc_id),
            record: record_commitment(&nonce_from_key(key), doc_id),
        }
    }

    /// The rule the tablet's `quarantined` leaves were hashed under, by `holds` (whether the
    /// log holds a leaf of that tablet under a commitment): its copy nonce's first, as a
    /// record's own tablet may also have leaves under the record's; `None`: neither found.
    fn rule_in_log(
        &self,
        mut holds: impl FnMut(&[u8; 32]) -> StorageResult<bool>,
    ) -> StorageResult<Option<NonceRule>> {
        if holds(&self.copy)? {
            Ok(Some(NonceRule::Copy))
        } else if holds(&self.record)? {
            Ok(Some(NonceRule::Record))
        } else {
            Ok(None)
        }
    }

    fn of_rule(&self, rule: NonceRule) -> [u8; 32] {
        match rule {
            NonceRule::Copy => self.copy,
            NonceRule::Record => self.record,
        }
    }
}

/// The rule the `quarantined` leaves of `device_key`'s copies of `doc_id` were hashed
/// under, read from the log (by the record index): its copy nonce, else the record key's;
/// with no leaf found, the rule a build before version 15 answered it under (the record's
/// unless another tablet's registration holds the id). `None` when the key is gone.
fn rule_from_log(
    client: &mut impl GenericClient,
    doc_id: &str,
    device_key: &[u8],
) -> StorageResult<Option<NonceRule>> {
    let Some(key) = key_of(client, doc_id)? else {
        return Ok(None);
    };
    let author = author_of_actor(device_key);
    let commitments = CopyCommitments::of(&key, doc_id, device_key);
    let by_log = commitments.rule_in_log(|commitment| {
        for row in client.query_typed(
            QUARANTINED_LEAVES_OF_RECORD,
            &[
                (&commitment.as_slice(), Type::BYTEA),
                (&i32::from(LeafKind::Quarantined as u8), Type::INT4),
                (&&commitment[..8], Type::BYTEA),
            ],
        )? {
            if Leaf::decode(&row.try_get::<_, Vec<u8>>(0)?)?.author == author {
                return Ok(true);
            }
        }
        Ok(false)
    })?;
    if by_log.is_some() {
        return Ok(by_log);
    }
    let capturer: Option<Vec<u8>> = client
        .query_typed_opt(
            "SELECT device_key FROM registrations WHERE doc_id = $1",
            &[(&doc_id, Type::TEXT)],
        )?
        .map(|row| row.try_get(0))
        .transpose()?;
    Ok(Some(NonceRule::for_first_copy(
        capturer.as_deref(),
        device_key,
        false,
    )))
}

/// The nonce the copies of `doc_id` that `device_key` sent and had kept apart were logged
/// under, by the rule written on them (`None`: none logged, or the record removed).
pub(super) fn quarantine_nonce(
    client: &mut impl GenericClient,
    doc_id: &str,
    device_key: &[u8],
) -> StorageResult<Option<Nonce>> {
    let Some(rule) = rule_of_copies(client, doc_id, device_key)? else {
        return Ok(None);
    };
    let Some(key) = key_of(client, doc_id)? else {
        return Ok(None);
    };
    Ok(Some(nonce_by_rule(&key, rule, device_key)))
}

/// The rule for a copy of `doc_id` that `device_key` sends to be kept apart: that of its
/// earlier logged copies, else [`NonceRule::for_first_copy`]'s.
pub(super) fn rule_for_quarantined_copy(
    client: &mut impl GenericClient,
    doc_id: &str,
    device_key: &[u8],
) -> StorageResult<NonceRule> {
    if let Some(rule) = rule_of_copies(client, doc_id, device_key)? {
        return Ok(rule);
    }
    let registration: Option<(Vec<u8>, Option<Vec<u8>>)> = client
        .query_typed_opt(
            "SELECT device_key, nonce_device FROM registrations WHERE doc_id = $1",
            &[(&doc_id, Type::TEXT)],
        )?
        .map(|row| Ok::<_, postgres::Error>((row.try_get(0)?, row.try_get(1)?)))
        .transpose()?;
    // The record's own tablet follows the record's nonce, which is its copy nonce when the
    // record follows its copies (`nonce_devices`).
    if let Some((capturer, Some(nonce_device))) = &registration
        && capturer == device_key
        && nonce_device == device_key
    {
        return Ok(NonceRule::Copy);
    }
    let capturer = registration.map(|(capturer, _)| capturer);
    // Copies an older instance logged without a rule count too (`rules_of_copies`).
    let record_taken = rules_of_copies(client, &[doc_id])?
        .iter()
        .any(|(.., rule)| *rule == NonceRule::Record);
    Ok(NonceRule::for_first_copy(
        capturer.as_deref(),
        device_key,
        record_taken,
    ))
}

/// Quarantined copies the upgrade gives a rule at once: bounded, so a large quarantine is
/// not held in memory whole.
const RULE_PIECE: i64 = 5_000;

/// The upgrade to [`super::schema::QUARANTINE_RULE_VERSION`]: each tablet's copies held
/// before get the rule their `quarantined` leaves were hashed under, read from the log (a
/// leaf of that tablet under its copy nonce, else under the record's), and each copy is
/// marked logged when the log holds its own leaves (that tablet's, under that nonce, dated
/// when the copy was received: a copy's leaves carried its `received_at` before version
/// 13), so no copy is logged twice and none kept before leaves existed is taken for logged.
/// Copies marked logged without leaves found get the rule they were answered under until
/// now; the others stay unlogged until their tablet sends them again.
pub(super) fn rule_existing_copies(client: &mut impl GenericClient) -> StorageResult<()> {
    use std::collections::hash_map::Entry;
    use std::collections::{HashMap, HashSet};
    let mut after = 0_i64;
    loop {
        // Keyset pages by copy id; a tablet's copies of one id may span two pages, so the
        // rule of its copies ruled on an earlier page is read back below.
        let rows = client.query_typed(
            "SELECT q.id, q.doc_id, q.device_key, q.received_at, q.logged, k.key, r.device_key
             FROM quarantine q
                  JOIN record_keys k ON k.doc_id = q.doc_id
                  LEFT JOIN registrations r ON r.doc_id = q.doc_id
             WHERE q.nonce_rule IS NULL AND q.id > $2
             ORDER BY q.id
             LIMIT $1",
            &[(&RULE_PIECE, Type::INT8), (&after, Type::INT8)],
        )?;
        let Some(last) = rows.last() else {
            return Ok(());
        };
        after = last.try_get(0)?;
        struct Held {
            id: i64,
            doc_id: String,
            device: Vec<u8>,
            received_at: i64,
            logged: bool,
            capturer: Option<Vec<u8>>,
            commitments: CopyCommitments,
        }
        let mut copies = Vec::with_capacity(rows.len());
        for row in &rows {
            let doc_id: String = row.try_get(1)?;
            let device: Vec<u8> = row.try_get(2)?;
            let key = super::record_keys::stored_key(row.try_get(5)?)?;
            copies.push(Held {
                id: row.try_get(0)?,
                commitments: CopyCommitments::of(&key, &doc_id, &device),
                doc_id,
                device,
                received_at: row.try_get(3)?,
                logged: row.try_get(4)?,
                capturer: row.try_get(6)?,
            });
        }
        let commitments: Vec<&[u8]> = copies
            .iter()
            .flat_map(|c| {
                [
                    c.commitments.record.as_slice(),
                    c.commitments.copy.as_slice(),
                ]
            })
            .collect();
        // (commitment, author) of each tablet's leaves, and the times they are dated.
        let mut found: HashMap<([u8; 32], [u8; 32]), HashSet<i64>> = HashMap::new();
        let prefixes: Vec<&[u8]> = commitments.iter().map(|c| &c[..8]).collect();
        for row in client.query_typed(
            QUARANTINED_LEAVES_OF_RECORDS,
            &[
                (&commitments, Type::BYTEA_ARRAY),
                (&i32::from(LeafKind::Quarantined as u8), Type::INT4),
                (&prefixes, Type::BYTEA_ARRAY),
            ],
        )? {
            let bytes: Vec<u8> = row.try_get(0)?;
            let leaf = Leaf::decode(&bytes)?;
            found
                .entry((leaf.record, leaf.author))
                .or_default()
                .insert(leaf.accepted_at);
        }
        // One rule per tablet and id: what the log or an earlier page shows, else (a copy
        // marked logged) the rule it was answered under until now.
        let mut rules: HashMap<(String, Vec<u8>), NonceRule> = HashMap::new();
        for c in &copies {
            let author = author_of_actor(&c.device);
            let by_log = c
                .commitments
                .rule_in_log(|commitment| Ok(found.contains_key(&(*commitment, author))))?;
            if let Some(rule) = by_log {
                rules.insert((c.doc_id.clone(), c.device.clone()), rule);
            }
        }
        for c in copies.iter().filter(|c| c.logged) {
            // Marked logged without leaves found (none such is expected): the rule of its
            // tablet's copies ruled on an earlier page, else the one it was answered under
            // until now.
            if let Entry::Vacant(vacant) = rules.entry((c.doc_id.clone(), c.device.clone())) {
                let rule = match rule_of_copies(client, &c.doc_id, &c.device)? {
                    Some(rule) => rule,
                    None => NonceRule::for_first_copy(c.capturer.as_deref(), &c.device, false),
                };
                vacant.insert(rule);
            }
        }
        let (mut ids, mut ruled) = (Vec::new(), Vec::new());
        for c in &copies {
            let Some(rule) = rules.get(&(c.doc_id.clone(), c.device.clone())) else {
                // Not logged, its tablet's rule unknown: chosen when it is sent again.
                continue;
            };
            let commitment = c.commitments.of_rule(*rule);
            let own_leaves = found
                .get(&(commitment, author_of_actor(&c.device)))
                .is_some_and(|times| times.contains(&c.received_at));
            if c.logged || own_leaves {
                ids.push(c.id);
                ruled.push(rule.as_str());
            }
            // Else it was kept before leaves existed: it stays unlogged (no rule) until its
            // tablet sends it again, when it takes its tablet's rule (`rule_of_copies`).
        }
        client.execute_typed(
            "UPDATE quarantine q SET nonce_rule = u.rule, logged = true
             FROM UNNEST($1::BIGINT[], $2::TEXT[]) AS u(id, rule)
             WHERE q.id = u.id",
            &[(&ids, Type::INT8_ARRAY), (&ruled, Type::TEXT_ARRAY)],
        )?;
    }
}

/// The nonce of a stored record, which has a key.
pub(super) fn nonce_of_stored(
    client: &mut impl GenericClient,
    doc_id: &str,
) -> StorageResult<Nonce> {
    nonce(client, doc_id)?.ok_or(StorageError::Undecodable("record key"))
}

/// Appends `leaves` inside the caller's transaction, after locking the head; returns them
/// as appended.
pub(super) fn append(
    client: &mut impl GenericClient,
    leaves: &[Leaf],
) -> StorageResult<AppendedLeaves> {
    if leaves.is_empty() {
        return Ok(AppendedLeaves::default());
    }
    let row = client.query_typed_one(
        "SELECT size, frontier FROM tlog_head WHERE id = 1 FOR UPDATE",
        &[],
    )?;
    let head = decode_head(row.try_get(0)?, row.try_get(1)?)?;
    let appended = append::append(&head, leaves)
        .map_err(|_| StorageError::Undecodable("transparency log right edge"))?;
    let indexes = (0..appended.leaves.len() as u64)
        .map(|offset| signed(appended.first_index + offset, "log index"))
        .collect::<StorageResult<Vec<i64>>>()?;
    let bytes: Vec<&[u8]> = appended.leaves.iter().map(|l| l.as_slice()).collect();
    let levels: Vec<i16> = appended.nodes.iter().map(|n| i16::from(n.0)).collect();
    let node_indexes = appended
        .nodes
        .iter()
        .map(|n| signed(n.1, "log node index"))
        .collect::<StorageResult<Vec<i64>>>()?;
    let hashes: Vec<&[u8]> = appended.nodes.iter().map(|n| n.2.as_slice()).collect();
    // One round trip for every write: the sub-statements touch different tables, so that
    // they do not see each other's rows does not matter; empty arrays insert nothing.
    client.execute_typed(
        "WITH leaves AS (
             INSERT INTO tlog_leaves (idx, leaf)
             SELECT * FROM UNNEST($1::BIGINT[], $2::BYTEA[])
         ), nodes AS (
             INSERT INTO tlog_nodes (level, idx, hash)
             SELECT * FROM UNNEST($3::SMALLINT[], $4::BIGINT[], $5::BYTEA[])
         )
         UPDATE tlog_head SET size = $6, frontier = $7 WHERE id = 1",
        &[
            (&indexes, Type::INT8_ARRAY),
            (&bytes, Type::BYTEA_ARRAY),
            (&levels, Type::INT2_ARRAY),
            (&node_indexes, Type::INT8_ARRAY),
            (&hashes, Type::BYTEA_ARRAY),
            (&signed(appended.head.size, "log size")?, Type::INT8),
            (&appended.head.encode_frontier(), Type::BYTEA),
        ],
    )?;
    Ok(AppendedLeaves {
        first_index: appended.first_index,
        leaves: appended.leaves,
    })
}

fn decode_head(size: i64, frontier: Vec<u8>) -> StorageResult<LogHead> {
    let size = u64::try_from(size).map_err(|_| StorageError::Undecodable("log size"))?;
    LogHead::decode(size, &frontier).map_err(|_| StorageError::Undecodable("transparency log head"))
}

/// The upgrade that made the log (version 9): every change held gets an
/// `accepted-before-log` leaf, in the order the relay stored them, dated when its record
/// was received. Records' nonces come from their keys, which every stored record has.
pub(super) fn backfill(client: &mut impl GenericClient) -> StorageResult<()> {
    let rows = client.query(
        "SELECT c.doc_id, c.hash, c.actor, r.received_at, k.key
         FROM registration_changes c
              JOIN registrations r ON r.doc_id = c.doc_id
              JOIN record_keys k ON k.doc_id = c.doc_id
         ORDER BY c.commit_seq, c.id",
        &[],
    )?;
    let mut leaves = Vec::with_capacity(rows.len().min(BACKFILL_PIECE));
    for row in rows {
        let doc_id: String = row.try_get(0)?;
        let hash: [u8; 32] = row
            .try_get::<_, Vec<u8>>(1)?
            .try_into()
            .map_err(|_| StorageError::Undecodable("change hash"))?;
        let actor: Vec<u8> = row.try_get(2)?;
        let key = super::record_keys::stored_key(row.try_get(4)?)?;
        let nonce = nonce_from_key(&key);
        leaves.push(Leaf {
            kind: LeafKind::AcceptedBeforeLog,
            record: record_commitment(&nonce, &doc_id),
            subject: change_subject(&nonce, &hash),
            author: author_of_actor(&actor),
            accepted_at: row.try_get(3)?,
        });
        if leaves.len() == BACKFILL_PIECE {
            append(client, &leaves)?;
            leaves.clear();
        }
    }
    append(client, &leaves)?;
    Ok(())
}

const BACKFILL_PIECE: usize = 10_000;

impl crate::storage::traits::TransparencyLogStore for PgStore {
    fn log_tip(&self) -> StorageResult<LogTip> {
        self.read(|tx| {
            let row =
                tx.query_typed_one("SELECT size, frontier FROM tlog_head WHERE id = 1", &[])?;
            let head = decode_head(row.try_get(0)?, row.try_get(1)?)?;
            Ok(LogTip {
                size: head.size,
                root: head.root(),
            })
        })
    }

    fn log_leaves(&self, from: u64, limit: usize) -> StorageResult<Vec<Vec<u8>>> {
        let limit = limit.min(LOG_READ_LIMIT) as i64;
        let from = signed(from, "log index")?;
        self.read(|tx| {
            tx.query_typed(
                "SELECT leaf FROM tlog_leaves WHERE idx >= $1 ORDER BY idx LIMIT $2",
                &[(&from, Type::INT8), (&limit, Type::INT8)],
            )?
            .iter()
            .map(|row| Ok(row.try_get(0)?))
            .collect()
        })
    }

    fn log_subtree(&self, level: u8, index: u64) -> StorageResult<Option<Hash>> {
        let index = signed(index, "log node index")?;
        self.read(|tx| {
            tx.query_typed_opt(
                "SELECT hash FROM tlog_nodes WHERE level = $1 AND idx = $2",
                &[(&i16::from(level), Type::INT2), (&index, Type::INT8)],
            )?
            .map(|row| {
                row.try_get::<_, Vec<u8>>(0)?
                    .try_into()
                    .map_err(|_| StorageError::Undecodable("log node hash"))
            })
            .transpose()
        })
    }

    fn log_level(&self, level: u8, from: u64, limit: usize) -> StorageResult<Vec<(u64, Vec<u8>)>> {
        let limit = limit.min(LOG_READ_LIMIT) as i64;
        let from = signed(from, "log node index")?;
        self.read(|tx| {
            tx.query_typed(
                "SELECT idx, hash FROM tlog_nodes WHERE level = $1 AND idx >= $2
                 ORDER BY idx LIMIT $3",
                &[
                    (&i16::from(level), Type::INT2),
                    (&from, Type::INT8),
                    (&limit, Type::INT8),
                ],
            )?
            .iter()
            .map(|row| {
                let index: i64 = row.try_get(0)?;
                Ok((
                    super::rows::unsigned(index, "log node index")?,
                    row.try_get(1)?,
                ))
            })
            .collect()
        })
    }

    fn log_leaves_of_record(
        &self,
        record: &[u8; 32],
        from: u64,
        limit: usize,
    ) -> StorageResult<Vec<(u64, Vec<u8>)>> {
        let limit = limit.min(LOG_READ_LIMIT) as i64;
        let from = signed(from, "log index")?;
        let record = record.as_slice();
        let prefix = &record[..8];
        // The prefix's expression is the index's (`tlog_leaves_by_record_prefix`, 0014), so
        // it is used; the whole commitment leaves out another record with the same prefix.
        self.read(|tx| {
            tx.query_typed(
                "SELECT idx, leaf FROM tlog_leaves
                 WHERE substring(leaf FROM 3 FOR 8) = $1 AND idx >= $2
                   AND substring(leaf FROM 3 FOR 32) = $4
                 ORDER BY idx LIMIT $3",
                &[
                    (&prefix, Type::BYTEA),
                    (&from, Type::INT8),
                    (&limit, Type::INT8),
                    (&record, Type::BYTEA),
                ],
            )?
            .iter()
            .map(|row| {
                let index: i64 = row.try_get(0)?;
                Ok((super::rows::unsigned(index, "log index")?, row.try_get(1)?))
            })
            .collect()
        })
    }

    fn record_nonce(&self, doc_id: &str) -> StorageResult<Option<Nonce>> {
        self.read(|tx| nonce(tx, doc_id))
    }

    fn record_nonces(&self, doc_ids: &[&str]) -> StorageResult<Vec<Option<Nonce>>> {
        if doc_ids.is_empty() {
            return Ok(Vec::new());
        }
        // One round trip for them all (one each cost as much as the rest of an answer's log
        // part), mapped back to the order asked: an id twice gets its nonce twice.
        let held: std::collections::HashMap<String, Nonce> = self.read(|tx| {
            // The nonce the record follows, as `nonce` reads one: the key's, or its tablet's
            // copy nonce (`registrations.nonce_device`).
            tx.query_typed(
                "SELECT k.doc_id, k.key, r.nonce_device
                 FROM record_keys k LEFT JOIN registrations r ON r.doc_id = k.doc_id
                 WHERE k.doc_id = ANY($1)",
                &[(&doc_ids, Type::TEXT_ARRAY)],
            )?
            .iter()
            .map(|row| {
                let key = stored_key(row.try_get(1)?)?;
                let device: Option<Vec<u8>> = row.try_get(2)?;
                Ok((row.try_get(0)?, record_nonce_of(&key, device.as_deref())))
            })
            .collect()
        })?;
        Ok(doc_ids.iter().map(|id| held.get(*id).copied()).collect())
    }

    fn quarantine_nonce(&self, doc_id: &str, device_key: &[u8]) -> StorageResult<Option<Nonce>> {
        self.read(|tx| quarantine_nonce(tx, doc_id, device_key))
    }

    fn recorded_log_key(&self) -> StorageResult<Option<LogKeyBinding>> {
        self.read(|tx| recorded_key(tx))
    }

    fn bind_log_key(
        &self,
        key: &LogKeyBinding,
        replacing: Option<&LogKeyBinding>,
    ) -> StorageResult<LogKeyBinding> {
        self.write(|tx| {
            // The head's lock orders this with appends and with other instances binding.
            let size: i64 = tx
                .query_one("SELECT size FROM tlog_head WHERE id = 1 FOR UPDATE", &[])?
                .try_get(0)?;
            let recorded = recorded_key(tx)?;
            let replace = recorded.is_some()
                && recorded.as_ref() == replacing
                && recorded.as_ref() != Some(key)
                && size == 0;
            if replace {
                tx.execute(
                    "UPDATE tlog_key SET public_key = $1, origin = $2 WHERE id = 1",
                    &[&&key.public_key[..], &key.origin],
                )?;
            } else {
                // First writer wins, also without the head's lock (an instance of an older
                // build binding meanwhile): the row is inserted only where none is, and
                // what is recorded is read back and returned, ours or not.
                tx.execute(
                    "INSERT INTO tlog_key (id, public_key, origin) VALUES (1, $1, $2)
                     ON CONFLICT (id) DO NOTHING",
                    &[&&key.public_key[..], &key.origin],
                )?;
            }
            recorded_key(tx)?.ok_or(StorageError::Undecodable("recorded log key"))
        })
    }
}

/// The log key recorded for the log.
fn recorded_key(client: &mut impl GenericClient) -> StorageResult<Option<LogKeyBinding>> {
    let Some(row) =
        client.query_opt("SELECT public_key, origin FROM tlog_key WHERE id = 1", &[])?
    else {
        return Ok(None);
    };
    let public_key: Vec<u8> = row.try_get(0)?;
    Ok(Some(LogKeyBinding {
        public_key: public_key
            .try_into()
            .map_err(|_| StorageError::Undecodable("recorded log key"))?,
        origin: row.try_get(1)?,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::storage::ingest_generated_for_tests;
    use crate::storage::postgres::test_cluster::fresh_database_url;
    use crate::storage::traits::TransparencyLogStore;
    use crate::transparency::verify::verify_log;

    #[test]
    fn records_held_before_the_log_get_their_leaves_at_the_upgrade() {
        let url = fresh_database_url();
        let registrations = {
            let store = PgStore::open(&url).expect("opens");
            ingest_generated_for_tests(&store, 5)
        };
        // The database as version 8 left it: no log, and none of the steps after it.
        let mut client = postgres::Client::connect(&url, postgres::NoTls).expect("connects");
        client
            .batch_execute(
                "DROP TABLE tlog_leaves, tlog_nodes, tlog_head, tlog_cosignatures;
                 DROP FUNCTION tlog_append_only();
                 DROP TABLE receipt_key, visitor_requests, receipt_withdrawals;
                 DROP TABLE tlog_key, device_certificates;
                 ALTER TABLE registrations DROP COLUMN receipt_tag;
                 ALTER TABLE quarantine DROP COLUMN logged, DROP COLUMN nonce_rule,
                     DROP COLUMN certified_at;
                 ALTER TABLE registrations DROP COLUMN nonce_device, DROP COLUMN certified_at;
                 UPDATE kiosk_relay_schema SET version = 8;",
            )
            .expect("set back");
        let changes: i64 = client
            .query_one("SELECT count(*) FROM registration_changes", &[])
            .expect("counts")
            .get(0);
        let store = PgStore::open(&url).expect("upgrades");
        let checked = verify_log(&store, None, |_| {}).expect("verifies");
        assert_eq!(checked.size, changes as u64, "a leaf per change held");
        assert_eq!(checked.kinds[6], checked.size, "all accepted-before-log");
        let leaves = store.log_leaves(0, 1_000).expect("reads");
        for registration in &registrations {
            let id = registration.id.to_string();
            let nonce = store
                .record_nonce(&id)
                .expect("reads")
                .expect("from its key");
            let commitment = record_commitment(&nonce, &id);
            assert!(
                leaves
                    .iter()
                    .any(|bytes| Leaf::decode(bytes).expect("decodes").record == commitment),
                "{id} has its leaves"
            );
            // Through the index on the commitment's prefix (0014), which replaced 0009's.
            let by_record = store
                .log_leaves_of_record(&commitment, 0, 100)
                .expect("reads");
            assert!(!by_record.is_empty(), "{id}'s leaves found by record");
            assert!(
                by_record
                    .iter()
                    .all(|(_, bytes)| Leaf::decode(bytes).expect("decodes").record == commitment)
            );
        }
        let indexes: Vec<String> = client
            .query(
                "SELECT indexname FROM pg_indexes WHERE tablename = 'tlog_leaves' ORDER BY 1",
                &[],
            )
            .expect("reads")
            .iter()
            .map(|row| row.get(0))
            .collect();
        assert_eq!(
            indexes,
            ["tlog_leaves_by_record_prefix", "tlog_leaves_pkey"]
        );
        // The upgrade's and a rolling upgrade's lookups of quarantined leaves go through that
        // index too: with sequential scans priced out, a plan not matching it still scans.
        client
            .batch_execute("SET enable_seqscan = off")
            .expect("sets");
        let commitment = [7u8; 32];
        let kind = i32::from(LeafKind::Quarantined as u8);
        for (sql, by_array) in [
            (QUARANTINED_LEAVES_OF_RECORD, false),
            (QUARANTINED_LEAVES_OF_RECORDS, true),
        ] {
            let explain = format!("EXPLAIN {sql}");
            let rows = if by_array {
                let one: Vec<&[u8]> = vec![&commitment[..]];
                let prefix: Vec<&[u8]> = vec![&commitment[..8]];
                client.query(&explain, &[&one, &kind, &prefix])
            } else {
                client.query(&explain, &[&&commitment[..], &kind, &&commitment[..8]])
            }
            .expect("explains");
            let plan: Vec<String> = rows.iter().map(|row| row.get(0)).collect();
            let plan = plan.join("\n");
            assert!(
                plan.contains("tlog_leaves_by_record_prefix") && !plan.contains("Seq Scan"),
                "{plan}"
            );
        }
    }
}
