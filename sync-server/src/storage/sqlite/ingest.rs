//! The ingest transaction: what one group of sync requests writes (see
//! [`super::super::group_commit`]), each request in its own savepoint, and the journal chain
//! each request moves on. What a pushed capture becomes (stored, a retry, quarantined) is
//! decided by [`crate::rules::quarantine`]; this file loads the rows it needs and stores what
//! it decides.

use super::*;
use crate::storage::group_commit::Weight;
use crate::transparency::leaf::{Leaf, LeafKind, Nonce};

/// An ingest group gives the writer up to a waiting short write only after this many items
/// (some 6 ms of inserts): a stream of HR writes cannot shrink every group to one small
/// request and its fsync, and the short write waits for a few milliseconds, not the group.
const ITEMS_BEFORE_YIELDING: usize = 32;

impl SqliteStore {
    /// Runs one group of sync requests: one transaction, each request inside its own
    /// savepoint in queue order, one commit. Returns a result per request it ran, in order:
    /// when an HR officer's short write waits for the writer, the group commits at the end
    /// of the request under way once it has written [`ITEMS_BEFORE_YIELDING`] items, and
    /// leaves the rest for the next group (see [`super::writer_turn`]).
    pub(super) fn commit_group(
        &self,
        conn: &mut Connection,
        batches: &[&IngestBatch],
    ) -> Vec<Applied> {
        let tx = match conn.transaction() {
            Ok(tx) => tx,
            Err(e) => {
                let e = StorageError::from(e);
                return batches.iter().map(|_| Ok(Err(copy_error(&e)))).collect();
            }
        };
        // Set once the shared transaction can no longer be committed.
        let mut failure: Option<StorageError> = None;
        let mut results: Vec<Applied> = Vec::with_capacity(batches.len());
        let mut items_written = 0;
        for batch in batches {
            if items_written >= ITEMS_BEFORE_YIELDING
                && failure.is_none()
                && self.turn.short_write_waits()
            {
                break;
            }
            items_written += batch.items.len().max(1);
            if let Some(failure) = &failure {
                results.push(Ok(Err(copy_error(failure))));
                continue;
            }
            if let Err(e) = tx.execute_batch("SAVEPOINT ingest_batch") {
                let e = StorageError::from(e);
                results.push(Ok(Err(copy_error(&e))));
                failure = Some(e);
                continue;
            }
            // A panic undoes its own request only; the caller gets it back in its thread.
            let applied = panic::catch_unwind(AssertUnwindSafe(|| {
                #[cfg(test)]
                self.hooks.before_apply(batch);
                apply_batch(&tx, batch, &self.listings)
            }));
            let end = match applied {
                Ok(Ok(_)) => "RELEASE ingest_batch",
                _ => "ROLLBACK TO ingest_batch; RELEASE ingest_batch",
            };
            // Some errors (a full disk, I/O) make SQLite roll back the whole transaction:
            // then the requests before this one are gone too.
            if let Err(e) = tx.execute_batch(end) {
                failure = Some(e.into());
            } else if tx.is_autocommit() {
                failure = Some(group_failure(
                    "the shared ingest transaction was rolled back",
                ));
            }
            results.push(applied);
        }
        let committed = match failure {
            // Dropping the transaction rolls back whatever is left of it.
            Some(failure) => Err(failure),
            None => {
                #[cfg(test)]
                let ready = self.hooks.before_commit(&tx);
                #[cfg(not(test))]
                let ready = Ok(());
                // A failed COMMIT leaves the transaction open; dropping it rolls back.
                ready.and_then(|()| tx.commit()).map_err(StorageError::from)
            }
        };
        match committed {
            Ok(()) => {
                self.commits.fetch_add(1, Ordering::Relaxed);
                self.committed_batches
                    .fetch_add(results.len() as u64, Ordering::Relaxed);
                results
            }
            // Nothing of the group is durable: no caller may sign a receipt.
            Err(failure) => results
                .into_iter()
                .map(|result| match result {
                    Ok(Ok(_)) => Ok(Err(copy_error(&failure))),
                    failed => failed,
                })
                .collect(),
        }
    }
}

/// A batch's weight against the group's budgets: the bytes it writes, and its items (each
/// a row and its index entries), plus one for the batch's own device and journal rows.
pub(super) fn batch_weight(batch: &IngestBatch) -> Weight {
    Weight {
        bytes: batch_bytes(batch),
        items: batch.items.len() + 1,
    }
}

fn batch_bytes(batch: &IngestBatch) -> usize {
    batch
        .items
        .iter()
        .map(|item| match item {
            IngestItem::Store {
                document,
                change_hashes,
                capture_signature,
                ..
            } => document.len() + change_hashes.len() * 32 + capture_signature.len(),
            IngestItem::Quarantine {
                sealed,
                change_hashes,
                ..
            } => sealed.len() + change_hashes.len() * 32,
            IngestItem::Annotate { changes, .. } => {
                changes.iter().map(|(_, bytes)| bytes.len() + 32).sum()
            }
        })
        .sum()
}

/// An error about the group as a whole, for each of its callers.
pub(super) fn group_failure(what: &str) -> StorageError {
    StorageError::Sqlite(rusqlite::Error::SqliteFailure(
        ffi::Error::new(ffi::SQLITE_ABORT),
        Some(what.to_owned()),
    ))
}

/// The same error once more, for another caller of the group (errors are not `Clone`).
pub(super) fn copy_error(error: &StorageError) -> StorageError {
    match error {
        StorageError::Sqlite(rusqlite::Error::SqliteFailure(code, message)) => {
            StorageError::Sqlite(rusqlite::Error::SqliteFailure(*code, message.clone()))
        }
        StorageError::Undecodable(what) => StorageError::Undecodable(what),
        StorageError::Io(e) => StorageError::Io(std::io::Error::new(e.kind(), e.to_string())),
        other => StorageError::Sqlite(rusqlite::Error::SqliteFailure(
            ffi::Error::new(ffi::SQLITE_ERROR),
            Some(other.to_string()),
        )),
    }
}

/// Extends the device's confirmed chain over any journal entries that now follow it.
pub(super) fn extend_chain(
    tx: &Transaction<'_>,
    device_key: &[u8; 32],
) -> StorageResult<JournalHead> {
    let (count, head): (i64, Vec<u8>) = tx.query_row(
        "SELECT chain_count, chain_head FROM devices WHERE device_key = ?1",
        [device_key.as_slice()],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    let head = JournalHead {
        count: count as u64,
        head: key32(head, "chain head")?,
    };
    let mut next = tx.prepare(
        "SELECT doc_id, change_hashes FROM device_journal WHERE device_key = ?1 AND seq = ?2",
    )?;
    let head = journal_chain::extend(head, |seq| -> StorageResult<_> {
        let entry: Option<(String, Vec<u8>)> = next
            .query_row(params![device_key.as_slice(), seq as i64], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .optional()?;
        entry
            .map(|(doc_id, hashes)| {
                Ok(journal_chain::HeldEntry {
                    doc_id: kiosk_core::ids::RegistrationId::parse(&doc_id)
                        .ok_or(StorageError::Undecodable("journal document id"))?,
                    change_hashes: blob_hashes(&hashes)?,
                })
            })
            .transpose()
    })?;
    tx.execute(
        "UPDATE devices SET chain_count = ?2, chain_head = ?3 WHERE device_key = ?1",
        params![
            device_key.as_slice(),
            head.count as i64,
            head.head.as_slice()
        ],
    )?;
    Ok(head)
}

pub(super) fn record_journal_entry(
    tx: &Transaction<'_>,
    device_key: &[u8; 32],
    seq: Option<u64>,
    doc_id: &str,
    hashes: &[[u8; 32]],
) -> StorageResult<()> {
    if let Some(seq) = journal_chain::journal_seq(seq) {
        tx.prepare_cached(
            "INSERT INTO device_journal (device_key, seq, doc_id, change_hashes)
             VALUES (?1, ?2, ?3, ?4) ON CONFLICT DO NOTHING",
        )?
        .execute(params![
            device_key.as_slice(),
            seq as i64,
            doc_id,
            hashes_blob(hashes)
        ])?;
    }
    Ok(())
}

/// The nonce of a push quarantined already (`Some(None)` for a row kept apart before
/// quarantined captures had nonces), asked once per quarantined push inside the ingest
/// transaction.
pub(super) const QUARANTINED_ALREADY: &str = "SELECT tlog_nonce FROM quarantine
     WHERE doc_id = ?1 AND device_key = ?2 AND code = ?3 AND payload = ?4
     ORDER BY tlog_nonce IS NULL LIMIT 1";

/// Keeps a capture apart for HR review, once: a retried push of the same bytes does not add
/// a second copy; different bytes under the same id are kept too. Each change gets a
/// `quarantined` leaf (in `leaves`) under the nonce of the tablet's copies of the id, so the
/// tablet holds proof that the relay has them; a retry appends none, unless its row predates
/// the leaves.
pub(super) fn quarantine(
    tx: &Transaction<'_>,
    batch: &IngestBatch,
    doc_id: &str,
    (payload, change_hashes): (&[u8], &[[u8; 32]]),
    code: ErrorCode,
    leaves: &mut Vec<Leaf>,
) -> StorageResult<()> {
    let device = batch.device_key.as_slice();
    let already: Option<Option<Vec<u8>>> = tx
        .prepare_cached(QUARANTINED_ALREADY)?
        .query_row(params![doc_id, device, code.as_str(), payload], |r| {
            r.get(0)
        })
        .optional()?;
    if let Some(Some(_)) = already {
        return Ok(());
    }
    // The tablet's copies keep one nonce; its first gets the record's or one of its own
    // (`NonceRule`), written on the row so its proofs are found under it for good.
    let (nonce, rule) = super::tlog::nonce_for_quarantined_copy(tx, doc_id, device)?;
    if already.is_some() {
        tx.execute(
            "UPDATE quarantine SET tlog_nonce = ?5, nonce_rule = ?6
             WHERE doc_id = ?1 AND device_key = ?2 AND code = ?3 AND payload = ?4",
            params![
                doc_id,
                device,
                code.as_str(),
                payload,
                nonce.as_slice(),
                rule.as_str()
            ],
        )?;
    } else {
        tx.execute(
            "INSERT INTO quarantine
                 (doc_id, device_key, payload, code, received_at, tlog_nonce, nonce_rule,
                  certified_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7,
                     (SELECT certified_at FROM devices WHERE device_key = ?2))",
            params![
                doc_id,
                device,
                payload,
                code.as_str(),
                batch.received_at,
                nonce.as_slice(),
                rule.as_str()
            ],
        )?;
    }
    leaves.extend(change_hashes.iter().map(|hash| {
        Leaf::change(
            LeafKind::Quarantined,
            &nonce,
            doc_id,
            hash,
            device,
            batch.received_at,
        )
    }));
    Ok(())
}

/// One sync request's writes, inside the group's transaction; not committed here.
/// `listings` holds the list fields of its captures, read before the writer was taken.
pub(super) fn apply_batch(
    tx: &Transaction<'_>,
    batch: &IngestBatch,
    listings: &registration_index::ListingsAhead,
) -> StorageResult<IngestOutcome> {
    let (last, revoked_at): (i64, Option<i64>) = tx.query_row(
        "SELECT last_seq, revoked_at FROM devices WHERE device_key = ?1",
        [batch.device_key.as_slice()],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    if batch.seq <= last as u64 || batch.seq > i64::MAX as u64 {
        return Ok(IngestOutcome::StaleSeq {
            last_accepted: last as u64,
        });
    }
    let commit_seq = next_commit_seq(tx)?;
    let mut outcomes = Vec::with_capacity(batch.items.len());
    let mut access = Vec::new();
    let mut leaves = Vec::new();
    for item in &batch.items {
        outcomes.push(apply_item(
            tx,
            batch,
            item,
            commit_seq,
            listings,
            (&mut access, &mut leaves),
        )?);
    }
    // In the request's savepoint: a request rolled back takes its leaves with it.
    let appended = super::tlog::append(tx, &leaves)?;
    // Whatever the items stored or changed, the index now lists as it is.
    registration_index::indexed_through(tx, commit_seq)?;
    // Whether the tablet may pull was checked before its request waited for the writer; a
    // revocation committed meanwhile (a stolen tablet) still stops what it would be sent.
    let page = match &batch.pull {
        Some(query) if revoked_at.is_none() => {
            pull_page(tx, &query.scope, query.after_seq, query.max_changes)?
        }
        _ => PullPage::default(),
    };
    access.extend(page.documents.iter().map(|d| AccessEntry {
        at: batch.received_at,
        accessor: batch.accessor.clone(),
        action: AccessAction::Pull,
        doc_id: d.doc_id.clone(),
    }));
    access_log::append(tx, &access)?;
    tx.execute(
        "UPDATE devices SET last_seq = ?2, last_contact = ?3,
                            declared_journal = COALESCE(?4, declared_journal)
         WHERE device_key = ?1",
        params![
            batch.device_key.as_slice(),
            batch.seq as i64,
            batch.received_at,
            batch.declared_journal.map(|count| count as i64)
        ],
    )?;
    let journal = extend_chain(tx, &batch.device_key)?;
    Ok(IngestOutcome::Committed {
        outcomes,
        journal,
        commit_seq: commit_seq as u64,
        page,
        appended,
    })
}

/// Takes the next number from the store's commit counter: every ingest and every removal
/// takes one, so backups and pull cursors can name how far they reach.
pub(super) fn next_commit_seq(tx: &Transaction<'_>) -> StorageResult<i64> {
    Ok(tx.query_row(
        "UPDATE relay_state SET commit_seq = commit_seq + 1 WHERE id = 1 RETURNING commit_seq",
        [],
        |r| r.get(0),
    )?)
}

/// One item's writes and its outcome.
pub(super) fn apply_item(
    tx: &Transaction<'_>,
    batch: &IngestBatch,
    item: &IngestItem,
    commit_seq: i64,
    listings: &registration_index::ListingsAhead,
    (access, leaves): (&mut Vec<AccessEntry>, &mut Vec<Leaf>),
) -> StorageResult<PushOutcome> {
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
            // Cached, as every statement run once per capture: parsing the SQL again for
            // each one was a measurable part of the writer's turn.
            let existing: Option<(Vec<u8>, Vec<u8>)> = tx
                .prepare_cached(
                    "SELECT change_hashes, device_key FROM registrations WHERE doc_id = ?1",
                )?
                .query_row([doc_id], |r| Ok((r.get(0)?, r.get(1)?)))
                .optional()?;
            let removed = is_removed(tx, doc_id)?;
            // Read only when it decides something (a removal decides first).
            let held = match existing {
                Some((hashes, device)) if !removed => Some((blob_hashes(&hashes)?, device)),
                _ => None,
            };
            let decision = quarantine_rule::decide_capture(
                removed,
                held.as_ref().map(|(hashes, device)| Capture {
                    change_hashes: hashes,
                    device_key: device,
                }),
                Capture {
                    change_hashes,
                    device_key: batch.device_key.as_slice(),
                },
            );
            let outcome = match decision {
                CaptureDecision::Removed => return Ok(removed_outcome()),
                // Merging is idempotent: answered with what the relay holds.
                CaptureDecision::Retry => PushOutcome::Stored(all_change_hashes(tx, doc_id)?),
                CaptureDecision::Quarantine(code) => {
                    quarantine(tx, batch, doc_id, (document, change_hashes), code, leaves)?;
                    PushOutcome::Quarantined(code, change_hashes.clone())
                }
                CaptureDecision::Store => {
                    let capture = NewCapture {
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
                        listing: listing
                            .as_deref()
                            .cloned()
                            .or_else(|| listings.take(doc_id, change_hashes)),
                    };
                    insert_capture(tx, &capture, commit_seq, leaves)?;
                    PushOutcome::Stored(change_hashes.clone())
                }
            };
            record_journal_entry(tx, &batch.device_key, *journal_seq, doc_id, change_hashes)?;
            Ok(outcome)
        }
        IngestItem::Annotate { doc_id, changes } => {
            let record: Option<(String, bool)> = tx
                .query_row(
                    "SELECT event_id, restricted FROM registrations WHERE doc_id = ?1",
                    [doc_id],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
                .optional()?;
            // Removed while the edit was being checked.
            let Some((event_id, restricted)) = record else {
                return Ok(removed_outcome());
            };
            let nonce = super::tlog::nonce_of_stored(tx, doc_id)?;
            let logged = LoggedChange {
                doc_id,
                event_id: &event_id,
                commit_seq,
                actor: batch.device_key.as_slice(),
                restricted,
                leaf: LeafOf {
                    kind: LeafKind::StaffEdit,
                    nonce: &nonce,
                    at: batch.received_at,
                },
            };
            let mut inserted = 0;
            for (hash, bytes) in changes {
                inserted += insert_change(tx, &logged, hash, Some(bytes), leaves)?;
            }
            // A retry of changes already held changes nothing and is not logged again.
            if inserted > 0 {
                // Read under the writer: a staff tablet's edit is rare beside captures.
                registration_index::index_one(tx, doc_id)?;
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
            quarantine(tx, batch, doc_id, (sealed, change_hashes), code, leaves)?;
            record_journal_entry(tx, &batch.device_key, *journal_seq, doc_id, change_hashes)?;
            Ok(PushOutcome::Quarantined(code, change_hashes.clone()))
        }
    }
}

/// A capture to store as a new record: one that passed ingest's checks, or a quarantined
/// one an archivist accepted.
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
    /// reads the tablet's current one (ingest, in the transaction that reads its row);
    /// an acceptance gives the quarantined copy's (itself `None` for a copy kept before
    /// it was written).
    pub(super) certified_at: Option<Option<i64>>,
    /// Its list fields if read already (ingest reads them before taking the writer); else
    /// they are read here.
    pub(super) listing: Option<registration_index::Listing>,
}

/// Stores `capture` as a new record, with its changes numbered by commit `commit_seq` so
/// staff tablets pull it, and its index row, so lists show it from this commit on. The
/// record gets its transparency-log nonce, and each change a `capture` leaf in `leaves`,
/// which the caller appends in the same transaction.
pub(super) fn insert_capture(
    tx: &Transaction<'_>,
    capture: &NewCapture<'_>,
    commit_seq: i64,
    leaves: &mut Vec<Leaf>,
) -> StorageResult<()> {
    // A record whose tablet had copies kept apart before (an archivist's acceptance, or a
    // flagged copy) keeps the nonce that tablet's `quarantined` leaves were hashed under, so
    // the record's leaves link; never another tablet's, which would let that tablet link
    // every leaf of this record (`NonceRule::for_new_record`). Nonces here are random, so
    // with no copy of its own the record takes a new one, which no tablet holds whether or
    // not another tablet's copies hold the id (no read of them needed).
    let nonce =
        match super::tlog::quarantine_nonce_of_device(tx, capture.doc_id, capture.device_key)? {
            Some((nonce, _)) => nonce,
            None => crate::transparency::leaf::new_nonce(),
        };
    tx.prepare_cached(
        "INSERT INTO registrations
         (doc_id, event_id, device_key, document, change_hashes,
          capture_signature, receipt_code, restricted, received_at, tlog_nonce, certified_at,
          receipt_tag)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10,
                 CASE WHEN ?12 THEN ?13
                      ELSE (SELECT certified_at FROM devices WHERE device_key = ?3) END,
                 -- A tag held already (a tablet sending one receipt hash twice) is not
                 -- stored again: the first record keeps it, and this one stores none.
                 -- Nor is the tag of a receipt HR withdrew, when its capture comes again.
                 CASE WHEN EXISTS (SELECT 1 FROM registrations WHERE receipt_tag = ?11)
                        OR EXISTS (SELECT 1 FROM receipt_withdrawals WHERE doc_id = ?1)
                      THEN NULL ELSE ?11 END)",
    )?
    .execute(params![
        capture.doc_id,
        capture.event_id,
        capture.device_key,
        capture.document,
        hashes_blob(capture.change_hashes),
        capture.capture_signature,
        capture.receipt_code,
        capture.restricted,
        capture.received_at,
        nonce.as_slice(),
        capture.receipt_tag.map(|tag| &tag[..]),
        capture.certified_at.is_some(),
        capture.certified_at.flatten(),
    ])?;
    let logged = LoggedChange {
        doc_id: capture.doc_id,
        event_id: capture.event_id,
        commit_seq,
        actor: capture.device_key,
        restricted: capture.restricted,
        leaf: LeafOf {
            kind: LeafKind::Capture,
            nonce: &nonce,
            at: capture.received_at,
        },
    };
    for hash in capture.change_hashes {
        // The capture's own bytes are the registration's `document`.
        insert_change(tx, &logged, hash, None, leaves)?;
    }
    let listing = match &capture.listing {
        Some(listing) => Some(listing.clone()),
        None => registration_index::Listing::read(capture.doc_id, capture.document),
    };
    if let Some(listing) = listing {
        registration_index::write_listing(tx, capture.doc_id, capture.receipt_code, &listing)?;
    }
    registration_index::indexed_through(tx, commit_seq)
}

/// Where changes of one registration join the change log: its record, the commit that
/// numbers them, and their author.
pub(super) struct LoggedChange<'a> {
    pub(super) doc_id: &'a str,
    pub(super) event_id: &'a str,
    pub(super) commit_seq: i64,
    pub(super) actor: &'a [u8],
    pub(super) restricted: bool,
    /// The transparency-log leaf each new change gets.
    pub(super) leaf: LeafOf<'a>,
}

/// What a new change's leaf says besides the change: its kind, the record's nonce and the
/// relay time it was accepted.
pub(super) struct LeafOf<'a> {
    pub(super) kind: LeafKind,
    pub(super) nonce: &'a Nonce,
    pub(super) at: i64,
}

/// Adds one change to the change log (`bytes` `None` for a capture's, whose bytes are the
/// registration's document), and its leaf to `leaves`; a change already held is left as it
/// is (and gets no second leaf). Returns the rows added (0 or 1).
pub(super) fn insert_change(
    tx: &Transaction<'_>,
    logged: &LoggedChange<'_>,
    hash: &[u8; 32],
    bytes: Option<&[u8]>,
    leaves: &mut Vec<Leaf>,
) -> StorageResult<usize> {
    let added = tx
        .prepare_cached(
            "INSERT INTO registration_changes
             (hash, doc_id, event_id, commit_seq, actor, restricted, change)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT DO NOTHING",
        )?
        .execute(params![
            hash.as_slice(),
            logged.doc_id,
            logged.event_id,
            logged.commit_seq,
            logged.actor,
            logged.restricted,
            bytes
        ])?;
    if added > 0 {
        leaves.push(Leaf::change(
            logged.leaf.kind,
            logged.leaf.nonce,
            logged.doc_id,
            hash,
            logged.actor,
            logged.leaf.at,
        ));
    }
    Ok(added)
}

/// Whether `doc_id` was removed (it is asked once per record in a page or a request, so the
/// statement is cached).
pub(super) fn is_removed(conn: &Connection, doc_id: &str) -> StorageResult<bool> {
    Ok(conn
        .prepare_cached("SELECT EXISTS (SELECT 1 FROM removals WHERE doc_id = ?1)")?
        .query_row([doc_id], |r| r.get(0))?)
}

pub(super) fn removed_outcome() -> PushOutcome {
    PushOutcome::Rejected(
        ErrorCode::Removed,
        "the registration was removed at the relay".to_owned(),
    )
}

/// Every change hash the relay holds for a registration.
pub(super) fn all_change_hashes(conn: &Connection, doc_id: &str) -> StorageResult<Vec<[u8; 32]>> {
    let mut statement = conn.prepare_cached(
        "SELECT hash FROM registration_changes WHERE doc_id = ?1 ORDER BY commit_seq, rowid",
    )?;
    let hashes = statement
        .query_map([doc_id], |r| r.get::<_, Vec<u8>>(0))?
        .map(|h| key32(h?, "change hash"))
        .collect::<StorageResult<Vec<_>>>()?;
    Ok(hashes)
}
