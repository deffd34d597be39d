//! The ingest transaction on PostgreSQL: one sync request's writes, its pull and its access
//! log entries in one transaction numbered by the sequencer (as the SQLite store's
//! `ingest.rs`, without group commit: see [`super::sync`]). What a pushed capture becomes
//! (stored, a retry, quarantined) is decided by [`crate::rules::quarantine`] and how a
//! tablet's journal head moves on by [`crate::rules::journal_chain`]; this file loads the
//! rows they need and stores what they decide.
//!
//! **Round trips.** What the captures decide on (held records, removals) is read in one
//! statement for the whole request, and new captures' rows are written in one statement per
//! table ([`super::capture_rows`]), written before anything else the request does reads
//! those tables: a request of 100 captures makes a handful of round trips under the
//! sequencer, not five per capture.
//!
//! **Concurrency.** Lock order, the same in every write here: the sequencer row (first
//! statement), then the rows the write decides on (the device's, a quarantined capture's),
//! then the access log. Two requests of one tablet through two instances therefore run one
//! after the other, and the second's sequence check (under `FOR UPDATE`, which in READ
//! COMMITTED reads the newest committed row) sees the first's number.

use std::collections::{HashMap, VecDeque};

use kiosk_core::journal::JournalHead;
use kiosk_core::protocol::{ErrorCode, PushOutcome};
use postgres::Transaction;
use postgres::types::Type;

use super::access_log;
use super::capture_rows::CaptureRows;
use super::email_tags::EmailTags;
use super::index_writes::index_one;
use super::pull::pull_page;
use super::record_keys::{key_for_write, key_of};
use super::record_seal::{Field, RecordKey};
use super::rows::{blob_hashes, key32, signed, unsigned};
use super::{PgStore, take_commit_number};
use crate::rules::journal_chain;
use crate::rules::quarantine::{self as quarantine_rule, Capture, CaptureDecision};
use crate::storage::RegistrationListing as Listing;
use crate::storage::model::{
    AccessAction, AccessEntry, IngestBatch, IngestItem, IngestOutcome, NonceRule, PullPage,
};
use crate::storage::{StorageError, StorageResult};
use crate::transparency::leaf::{Leaf, LeafKind};

/// What a numbered write leaves: its work committed, or nothing worth a number (rolled
/// back, the number with it, so commit numbers stay one per commit that stored something).
pub(super) enum Numbered<T> {
    Commit(T),
    Nothing(T),
}

impl PgStore {
    /// [`PgStore::write_numbered`] for writes that may find they have nothing to do once
    /// they hold the sequencer (a stale request, a capture reviewed already): `write` says
    /// whether to commit.
    pub(super) fn write_numbered_or_nothing<T>(
        &self,
        write: impl FnOnce(&mut Transaction<'_>, u64) -> StorageResult<Numbered<T>>,
    ) -> StorageResult<T> {
        let _turn = self.numbering_turn();
        let mut client = self.client()?;
        let mut tx = client.transaction()?;
        let seq = take_commit_number(&mut tx)?;
        // An error drops `tx`, which rolls back.
        match write(&mut tx, seq)? {
            Numbered::Commit(value) => {
                tx.commit()?;
                Ok(value)
            }
            Numbered::Nothing(value) => {
                tx.rollback()?;
                Ok(value)
            }
        }
    }
}

/// New captures' list fields by document id (`None` for a document that does not read),
/// with the change hashes of the bytes they were read from (two tablets may push different
/// bytes under one id).
pub(super) type ListingsAhead = HashMap<String, (Vec<[u8; 32]>, Option<Listing>)>;

/// Reads the list fields of every capture `batch` may store, before its transaction takes
/// the sequencer: loading a document is most of what indexing costs, and under the
/// sequencer it would hold up every instance's commits.
pub(super) fn read_listings_ahead(batch: &IngestBatch) -> ListingsAhead {
    let mut ahead = ListingsAhead::new();
    for item in &batch.items {
        if let IngestItem::Store {
            doc_id,
            document,
            change_hashes,
            listing: None,
            ..
        } = item
        {
            let listing = Listing::read(doc_id, document);
            ahead.insert(doc_id.clone(), (change_hashes.clone(), listing));
        }
    }
    ahead
}

/// One sync request's writes, its pull and its log entries, under commit number `seq`.
pub(super) fn apply_batch(
    tx: &mut Transaction<'_>,
    batch: &IngestBatch,
    seq: u64,
    listings: &mut ListingsAhead,
    tags: EmailTags,
) -> StorageResult<Numbered<IngestOutcome>> {
    let device = batch.device_key.as_slice();
    let row = tx.query_typed_one(
        "SELECT last_seq, revoked_at, chain_count, chain_head FROM devices
         WHERE device_key = $1 FOR UPDATE",
        &[(&device, Type::BYTEA)],
    )?;
    let last = unsigned(row.try_get(0)?, "device sequence")?;
    let revoked_at: Option<i64> = row.try_get(1)?;
    // The device's row is locked: its chain moves on only in this transaction.
    let chain = JournalHead {
        count: unsigned(row.try_get(2)?, "chain count")?,
        head: key32(row.try_get(3)?, "chain head")?,
    };
    let Ok(request_seq) = i64::try_from(batch.seq) else {
        return Ok(Numbered::Nothing(IngestOutcome::StaleSeq {
            last_accepted: last,
        }));
    };
    if batch.seq <= last {
        return Ok(Numbered::Nothing(IngestOutcome::StaleSeq {
            last_accepted: last,
        }));
    }
    let commit_seq = signed(seq, "commit number")?;
    let mut outcomes = Vec::with_capacity(batch.items.len());
    let mut access = Vec::new();
    let mut known = known_records(tx, batch)?;
    let mut rows = CaptureRows::new(tags);
    for item in &batch.items {
        outcomes.push(apply_item(
            tx,
            batch,
            item,
            commit_seq,
            listings,
            &mut access,
            &mut known,
            &mut rows,
        )?);
    }
    // Before the pull and the chain read what the captures wrote.
    rows.write(tx, commit_seq)?;
    // The leaves of everything this request stored, in its transaction.
    let appended = super::tlog::append(tx, &rows.take_leaves())?;
    // Whether the tablet may pull was checked before its request came here; a revocation
    // committed meanwhile (a stolen tablet) still stops what it would be sent.
    let page = match &batch.pull {
        Some(query) if revoked_at.is_none() => pull_page(
            tx,
            &query.scope,
            query.after_seq,
            query.max_changes,
            commit_seq,
        )?,
        _ => PullPage::default(),
    };
    access.extend(page.documents.iter().map(|d| AccessEntry {
        at: batch.received_at,
        accessor: batch.accessor.clone(),
        action: AccessAction::Pull,
        doc_id: d.doc_id.clone(),
    }));
    access_log::append(tx, &access)?;
    let declared = batch
        .declared_journal
        .map(|count| signed(count, "declared journal"))
        .transpose()?;
    let journal = extend_chain(tx, &batch.device_key, chain)?;
    tx.execute_typed(
        "UPDATE devices SET last_seq = $2, last_contact = $3,
                            declared_journal = COALESCE($4, declared_journal),
                            chain_count = $5, chain_head = $6
         WHERE device_key = $1",
        &[
            (&device, Type::BYTEA),
            (&request_seq, Type::INT8),
            (&batch.received_at, Type::INT8),
            (&declared, Type::INT8),
            (&signed(journal.count, "chain count")?, Type::INT8),
            (&journal.head.as_slice(), Type::BYTEA),
        ],
    )?;
    Ok(Numbered::Commit(IngestOutcome::Committed {
        outcomes,
        journal,
        commit_seq: seq,
        page,
        appended,
    }))
}

/// What the relay holds of a document a capture names: whether it was removed, and the
/// held record's change hashes and sending tablet.
#[derive(Default)]
struct Known {
    removed: bool,
    held: Option<(Vec<[u8; 32]>, Vec<u8>)>,
}

/// [`Known`] of every document the request's captures name, in one statement.
fn known_records(
    tx: &mut Transaction<'_>,
    batch: &IngestBatch,
) -> StorageResult<HashMap<String, Known>> {
    let mut doc_ids: Vec<&str> = batch
        .items
        .iter()
        .filter_map(|item| match item {
            IngestItem::Store { doc_id, .. } => Some(doc_id.as_str()),
            _ => None,
        })
        .collect();
    doc_ids.sort_unstable();
    doc_ids.dedup();
    if doc_ids.is_empty() {
        return Ok(HashMap::new());
    }
    let mut known = HashMap::with_capacity(doc_ids.len());
    for row in tx.query_typed(
        "SELECT d.doc_id, r.change_hashes, r.device_key,
                EXISTS (SELECT 1 FROM removals m WHERE m.doc_id = d.doc_id)
         FROM UNNEST($1::TEXT[]) AS d (doc_id)
              LEFT JOIN registrations r ON r.doc_id = d.doc_id",
        &[(&doc_ids, Type::TEXT_ARRAY)],
    )? {
        let removed: bool = row.try_get(3)?;
        let hashes: Option<&[u8]> = row.try_get(1)?;
        // Read only when it decides something (a removal decides first).
        let held = match hashes {
            Some(hashes) if !removed => Some((blob_hashes(hashes)?, row.try_get(2)?)),
            _ => None,
        };
        known.insert(row.try_get(0)?, Known { removed, held });
    }
    Ok(known)
}

/// One item's writes and its outcome. A new capture's rows join `rows`; any other write
/// first writes what `rows` holds, so the statements run in the items' order as far as any
/// of them can tell.
#[allow(clippy::too_many_arguments)]
fn apply_item<'a>(
    tx: &mut Transaction<'_>,
    batch: &'a IngestBatch,
    item: &'a IngestItem,
    commit_seq: i64,
    listings: &mut ListingsAhead,
    access: &mut Vec<AccessEntry>,
    known: &mut HashMap<String, Known>,
    rows: &mut CaptureRows<'a>,
) -> StorageResult<PushOutcome> {
    if !matches!(item, IngestItem::Store { .. }) {
        rows.write(tx, commit_seq)?;
    }
    match item {
        IngestItem::Store {
            doc_id,
            event_id,
            document,
            change_hashes,
            capture_signature,
            receipt_code,
            receipt_tag,
            restricted,
            journal_seq,
            listing,
        } => {
            // Read for the whole request ahead ([`known_records`]), and kept current below.
            let record = known.entry(doc_id.clone()).or_default();
            let decision = quarantine_rule::decide_capture(
                record.removed,
                record.held.as_ref().map(|(hashes, device)| Capture {
                    change_hashes: hashes,
                    device_key: device,
                }),
                Capture {
                    change_hashes,
                    device_key: batch.device_key.as_slice(),
                },
            );
            if !matches!(decision, CaptureDecision::Store) {
                rows.write(tx, commit_seq)?;
            }
            let outcome = match decision {
                CaptureDecision::Removed => return Ok(removed_outcome()),
                // Merging is idempotent: answered with what the relay holds.
                CaptureDecision::Retry => PushOutcome::Stored(all_change_hashes(tx, doc_id)?),
                CaptureDecision::Quarantine(code) => {
                    quarantine(tx, batch, doc_id, (document, change_hashes), code, rows)?;
                    PushOutcome::Quarantined(code, change_hashes.clone())
                }
                CaptureDecision::Store => {
                    let read_ahead = match listings.remove(doc_id.as_str()) {
                        Some((hashes, listing)) if hashes == *change_hashes => Some(listing),
                        _ => None,
                    };
                    let given = listing.as_deref().cloned().map(Some);
                    record.held = Some((change_hashes.clone(), batch.device_key.to_vec()));
                    rows.capture(NewCapture {
                        doc_id,
                        event_id,
                        device_key: batch.device_key.as_slice(),
                        document,
                        change_hashes,
                        capture_signature,
                        receipt_code,
                        receipt_tag: receipt_tag.as_ref(),
                        restricted: *restricted,
                        received_at: batch.received_at,
                        certified_at: None,
                        listing: given.or(read_ahead),
                    });
                    PushOutcome::Stored(change_hashes.clone())
                }
            };
            rows.journal(&batch.device_key, *journal_seq, doc_id, change_hashes)?;
            Ok(outcome)
        }
        IngestItem::Annotate { doc_id, changes } => {
            let record = tx.query_typed_opt(
                "SELECT event_id, restricted, nonce_device FROM registrations WHERE doc_id = $1",
                &[(doc_id, Type::TEXT)],
            )?;
            // Removed while the edit was being checked.
            let Some(record) = record else {
                return Ok(removed_outcome());
            };
            let event_id: String = record.try_get(0)?;
            let key = key_of(tx, doc_id)?.ok_or(StorageError::Undecodable("record key"))?;
            let logged = LoggedChange {
                doc_id,
                event_id: &event_id,
                commit_seq,
                actor: batch.device_key.as_slice(),
                restricted: record.try_get(1)?,
            };
            let nonce_device: Option<Vec<u8>> = record.try_get(2)?;
            let nonce = super::tlog::record_nonce_of(&key, nonce_device.as_deref());
            let mut inserted = 0;
            for (hash, bytes) in changes {
                let sealed = key.seal(doc_id, Field::Change(hash), bytes);
                let added = insert_change(tx, &logged, hash, Some(&sealed))?;
                if added > 0 {
                    rows.leaf(Leaf::change(
                        LeafKind::StaffEdit,
                        &nonce,
                        doc_id,
                        hash,
                        &batch.device_key,
                        batch.received_at,
                    ));
                }
                inserted += added;
            }
            // A retry of changes already held changes nothing and is not logged again.
            if inserted > 0 {
                // Read under the sequencer: a staff tablet's edit is rare beside captures.
                index_one(tx, rows.tags(), doc_id)?;
                access.push(AccessEntry {
                    at: batch.received_at,
                    accessor: batch.accessor.clone(),
                    action: AccessAction::Change,
                    doc_id: doc_id.clone(),
                });
            }
            // What the relay now holds, read back rather than assumed.
            Ok(PushOutcome::Stored(all_change_hashes(tx, doc_id)?))
        }
        IngestItem::Quarantine {
            doc_id,
            sealed,
            change_hashes,
            code,
            journal_seq,
        } => {
            let CaptureDecision::Quarantine(code) =
                quarantine_rule::decide_flagged(is_removed(tx, doc_id)?, *code)
            else {
                return Ok(removed_outcome());
            };
            quarantine(tx, batch, doc_id, (sealed, change_hashes), code, rows)?;
            rows.journal(&batch.device_key, *journal_seq, doc_id, change_hashes)?;
            Ok(PushOutcome::Quarantined(code, change_hashes.clone()))
        }
    }
}

/// Journal entries read per round trip while a chain is extended: a request's captures
/// usually all follow the head at once.
const CHAIN_READ: i64 = 256;

/// Extends the device's confirmed chain `head` over any journal entries that now follow
/// it; the caller stores the head it returns.
fn extend_chain(
    tx: &mut Transaction<'_>,
    device_key: &[u8; 32],
    head: JournalHead,
) -> StorageResult<JournalHead> {
    let device = device_key.as_slice();
    // Entries from the number asked for on, in order, up to [`CHAIN_READ`] at a time.
    let mut window: VecDeque<(i64, String, Vec<u8>)> = VecDeque::new();
    journal_chain::extend(head, |seq| -> StorageResult<_> {
        let seq = signed(seq, "journal number")?;
        if window.is_empty() {
            for row in tx.query_typed(
                "SELECT seq, doc_id, change_hashes FROM device_journal
                 WHERE device_key = $1 AND seq >= $2 ORDER BY seq LIMIT $3",
                &[
                    (&device, Type::BYTEA),
                    (&seq, Type::INT8),
                    (&CHAIN_READ, Type::INT8),
                ],
            )? {
                window.push_back((row.try_get(0)?, row.try_get(1)?, row.try_get(2)?));
            }
        }
        // A gap (or nothing past the head) ends the chain.
        if window.front().is_none_or(|(next, _, _)| *next != seq) {
            return Ok(None);
        }
        let Some((_, doc_id, hashes)) = window.pop_front() else {
            return Ok(None);
        };
        Ok(Some(journal_chain::HeldEntry {
            doc_id: kiosk_core::ids::RegistrationId::parse(&doc_id)
                .ok_or(StorageError::Undecodable("journal document id"))?,
            change_hashes: blob_hashes(&hashes)?,
        }))
    })
}

/// Keeps a capture apart for HR review, once: a retried push of the same bytes does not add
/// a second copy (nor leaves, unless the copy was kept before the relay wrote them:
/// `quarantine.logged` false); different bytes under the same id are kept too. The payload is sealed
/// under the record's key, so copies are compared opened (few: one document, one tablet,
/// one reason; ingest holds the sequencer, so no other write adds one meanwhile). A new
/// copy's changes get `quarantined` leaves (in `rows`) under the nonce its tablet's copies
/// of the id follow ([`super::tlog::rule_for_quarantined_copy`]): the record's (from its
/// key, which an acceptance keeps, so the record's leaves link) or one of their own.
fn quarantine(
    tx: &mut Transaction<'_>,
    batch: &IngestBatch,
    doc_id: &str,
    (payload, change_hashes): (&[u8], &[[u8; 32]]),
    code: ErrorCode,
    rows: &mut CaptureRows<'_>,
) -> StorageResult<()> {
    let device = batch.device_key.as_slice();
    let key = key_for_write(tx, doc_id)?;
    let mut unlogged = None;
    for row in tx.query_typed(
        "SELECT payload, logged, id FROM quarantine
         WHERE doc_id = $1 AND device_key = $2 AND code = $3",
        &[
            (&doc_id, Type::TEXT),
            (&device, Type::BYTEA),
            (&code.as_str(), Type::TEXT),
        ],
    )? {
        if key.open(doc_id, Field::QuarantinePayload, row.try_get(0)?)? == payload {
            if row.try_get::<_, bool>(1)? {
                return Ok(());
            }
            unlogged = Some(row.try_get::<_, i64>(2)?);
            break;
        }
    }
    // The tablet's copies keep one rule; its first gets the record's nonce or one of its
    // own (`NonceRule`), written on the row so its proofs are found under it for good.
    let rule = super::tlog::rule_for_quarantined_copy(tx, doc_id, device)?;
    if let Some(id) = unlogged {
        // A copy kept apart before the relay wrote `quarantined` leaves: its leaves are
        // written now, once, so its tablet gets their proofs and can count it received.
        tx.execute_typed(
            "UPDATE quarantine SET logged = true, nonce_rule = $2 WHERE id = $1",
            &[(&id, Type::INT8), (&rule.as_str(), Type::TEXT)],
        )?;
    } else {
        insert_quarantined(tx, batch, doc_id, payload, code, &key, rule)?;
    }
    let nonce = super::tlog::nonce_by_rule(&key, rule, device);
    for hash in change_hashes {
        rows.leaf(Leaf::change(
            LeafKind::Quarantined,
            &nonce,
            doc_id,
            hash,
            device,
            batch.received_at,
        ));
    }
    Ok(())
}

/// Stores a new quarantined copy, sealed under the record's `key`, marked as logged (the
/// caller writes its leaves in the same transaction).
fn insert_quarantined(
    tx: &mut Transaction<'_>,
    batch: &IngestBatch,
    doc_id: &str,
    payload: &[u8],
    code: ErrorCode,
    key: &RecordKey,
    rule: NonceRule,
) -> StorageResult<()> {
    let device = batch.device_key.as_slice();
    tx.execute_typed(
        "INSERT INTO quarantine
             (doc_id, device_key, payload, code, received_at, logged, nonce_rule, certified_at)
         VALUES ($1, $2, $3, $4, $5, true, $6,
                 (SELECT certified_at FROM devices WHERE device_key = $2))",
        &[
            (&doc_id, Type::TEXT),
            (&device, Type::BYTEA),
            (
                &key.seal(doc_id, Field::QuarantinePayload, payload),
                Type::BYTEA,
            ),
            (&code.as_str(), Type::TEXT),
            (&batch.received_at, Type::INT8),
            (&rule.as_str(), Type::TEXT),
        ],
    )?;
    Ok(())
}

/// A capture to store as a new record: one that passed ingest's checks, or a quarantined
/// one an archivist accepted.
#[derive(Clone)]
pub(super) struct NewCapture<'a> {
    pub(super) doc_id: &'a str,
    pub(super) event_id: &'a str,
    /// The tablet that sent it, the author of its changes.
    pub(super) device_key: &'a [u8],
    pub(super) document: &'a [u8],
    pub(super) change_hashes: &'a [[u8; 32]],
    pub(super) capture_signature: &'a [u8],
    pub(super) receipt_code: &'a str,
    pub(super) receipt_tag: Option<&'a [u8; 32]>,
    pub(super) restricted: bool,
    pub(super) received_at: i64,
    /// The issue time of the certificate its tablet held when it was received: `None`
    /// reads the tablet's current one (ingest, whose transaction locks its row); an
    /// acceptance gives the quarantined copy's (itself `None` for a copy kept before it
    /// was written).
    pub(super) certified_at: Option<Option<i64>>,
    /// Its list fields if read already (before the transaction; `Some(None)` for a
    /// document that did not read); `None` and they are read here.
    pub(super) listing: Option<Option<Listing>>,
}

/// Stores `capture` as a new record, with its changes numbered by commit `commit_seq` so
/// staff tablets pull it, and its index row, so lists show it from this commit on.
pub(super) fn insert_capture(
    tx: &mut Transaction<'_>,
    capture: &NewCapture<'_>,
    commit_seq: i64,
    tags: EmailTags,
) -> StorageResult<()> {
    let mut rows = CaptureRows::new(tags);
    rows.capture(capture.clone());
    rows.write(tx, commit_seq)?;
    super::tlog::append(tx, &rows.take_leaves())?;
    Ok(())
}

/// Where changes of one registration join the change log: its record, the commit that
/// numbers them, and their author.
struct LoggedChange<'a> {
    doc_id: &'a str,
    event_id: &'a str,
    commit_seq: i64,
    actor: &'a [u8],
    restricted: bool,
}

/// Adds one change to the change log (`bytes` `None` for a capture's, whose bytes are the
/// registration's document); a change already held is left as it is. Returns the rows
/// added (0 or 1).
fn insert_change(
    tx: &mut Transaction<'_>,
    logged: &LoggedChange<'_>,
    hash: &[u8; 32],
    bytes: Option<&[u8]>,
) -> StorageResult<u64> {
    Ok(tx.execute_typed(
        "INSERT INTO registration_changes
         (hash, doc_id, event_id, commit_seq, actor, restricted, change)
         VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING",
        &[
            (&hash.as_slice(), Type::BYTEA),
            (&logged.doc_id, Type::TEXT),
            (&logged.event_id, Type::TEXT),
            (&logged.commit_seq, Type::INT8),
            (&logged.actor, Type::BYTEA),
            (&logged.restricted, Type::BOOL),
            (&bytes, Type::BYTEA),
        ],
    )?)
}

/// Whether `doc_id` was removed.
pub(super) fn is_removed(tx: &mut Transaction<'_>, doc_id: &str) -> StorageResult<bool> {
    Ok(tx
        .query_typed_one(
            "SELECT EXISTS (SELECT 1 FROM removals WHERE doc_id = $1)",
            &[(&doc_id, Type::TEXT)],
        )?
        .try_get(0)?)
}

fn removed_outcome() -> PushOutcome {
    PushOutcome::Rejected(
        ErrorCode::Removed,
        "the registration was removed at the relay".to_owned(),
    )
}

/// Every change hash the relay holds for a registration, in the order they were stored.
fn all_change_hashes(tx: &mut Transaction<'_>, doc_id: &str) -> StorageResult<Vec<[u8; 32]>> {
    tx.query_typed(
        "SELECT hash FROM registration_changes WHERE doc_id = $1 ORDER BY commit_seq, id",
        &[(&doc_id, Type::TEXT)],
    )?
    .into_iter()
    .map(|row| key32(row.try_get(0)?, "change hash"))
    .collect()
}
