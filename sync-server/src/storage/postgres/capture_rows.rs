//! The rows of a sync request's new captures, written in one statement per table for the
//! whole request (registrations, their change-log entries, the list index, the tablet's
//! journal) instead of five statements per capture.
//!
//! Why: ingest holds the sequencer while it writes, so its round trips bound every
//! instance's rate, and each round trip waits for the database's process and then the
//! relay's to be scheduled again, which on a busy machine costs far more than the statement.
//! A request of 100 captures made about 500 of them; it now makes a handful (the records'
//! keys, [`super::record_keys`], are made and read in two for the whole request). The rows keep
//! the order the captures came in (a change's `id` is its order within the commit).
//!
//! The caller decides every capture first ([`super::ingest`]) and writes what this holds
//! ([`CaptureRows::write`]) before any statement that could read those tables, so a
//! request reads what it wrote exactly as when each row went in at once.

use postgres::Transaction;
use postgres::types::Type;

use std::collections::HashMap;

use super::email_tags::EmailTags;
use super::index_writes::write_listings;
use super::ingest::NewCapture;
use super::record_keys::keys_for_write;
use super::record_seal::{Field, RecordKey};
use super::rows::{hashes_blob, signed};
use crate::rules::journal_chain;
use crate::storage::RegistrationListing as Listing;
use crate::storage::StorageResult;
use crate::transparency::leaf::{Leaf, LeafKind};

/// New captures and journal entries waiting for one write.
pub(super) struct CaptureRows<'a> {
    captures: Vec<NewCapture<'a>>,
    journal: Vec<JournalRow<'a>>,
    tags: EmailTags,
    /// Transparency-log leaves of what was written, in order, for the caller to append in
    /// the same transaction ([`CaptureRows::take_leaves`]).
    leaves: Vec<Leaf>,
}

/// A tablet's journal entry: what the tablet numbered `seq`.
struct JournalRow<'a> {
    device_key: &'a [u8],
    seq: i64,
    doc_id: &'a str,
    change_hashes: Vec<u8>,
}

impl<'a> CaptureRows<'a> {
    /// No rows yet; the captures' addresses will be tagged with `tags`.
    pub(super) fn new(tags: EmailTags) -> CaptureRows<'a> {
        CaptureRows {
            captures: Vec::new(),
            journal: Vec::new(),
            tags,
            leaves: Vec::new(),
        }
    }

    /// What the rows' addresses are tagged with, for the request's other index writes.
    pub(super) fn tags(&self) -> EmailTags {
        self.tags
    }

    /// Adds the leaf of a change written outside these rows (a staff tablet's), after the
    /// leaves of what was written before it.
    pub(super) fn leaf(&mut self, leaf: Leaf) {
        self.leaves.push(leaf);
    }

    /// The leaves of everything written so far, in order; the caller appends them.
    pub(super) fn take_leaves(&mut self) -> Vec<Leaf> {
        std::mem::take(&mut self.leaves)
    }

    /// Adds `capture`, to store as a new record.
    pub(super) fn capture(&mut self, capture: NewCapture<'a>) {
        self.captures.push(capture);
    }

    /// Adds the tablet's journal entry `seq` (none for a capture the tablet did not
    /// number); an entry held already is left as it is.
    pub(super) fn journal(
        &mut self,
        device_key: &'a [u8; 32],
        seq: Option<u64>,
        doc_id: &'a str,
        hashes: &[[u8; 32]],
    ) -> StorageResult<()> {
        if let Some(seq) = journal_chain::journal_seq(seq) {
            self.journal.push(JournalRow {
                device_key: device_key.as_slice(),
                seq: signed(seq, "journal number")?,
                doc_id,
                change_hashes: hashes_blob(hashes),
            });
        }
        Ok(())
    }

    /// Writes what was added, the captures' changes numbered by commit `commit_seq`, and
    /// empties the rows: at most one statement per table.
    pub(super) fn write(&mut self, tx: &mut Transaction<'_>, commit_seq: i64) -> StorageResult<()> {
        let captures = std::mem::take(&mut self.captures);
        if !captures.is_empty() {
            // Every record's key first: its document and list fields are sealed under it.
            let doc_ids: Vec<&str> = captures.iter().map(|c| c.doc_id).collect();
            let keys = keys_for_write(tx, &doc_ids)?;
            let pairs: Vec<(&str, &[u8])> =
                captures.iter().map(|c| (c.doc_id, c.device_key)).collect();
            let nonce_devices = super::tlog::nonce_devices(tx, &pairs)?;
            insert_registrations(tx, &captures, &keys, &nonce_devices)?;
            let added = insert_capture_changes(tx, &captures, commit_seq)?;
            // A leaf per change stored, in capture order; the nonce comes from the key.
            for (capture, nonce_device) in captures.iter().zip(&nonce_devices) {
                let nonce = super::tlog::record_nonce_of(&keys[capture.doc_id], *nonce_device);
                for hash in capture.change_hashes {
                    if added.contains(&(capture.doc_id, hash.as_slice())) {
                        self.leaves.push(Leaf::change(
                            LeafKind::Capture,
                            &nonce,
                            capture.doc_id,
                            hash,
                            capture.device_key,
                            capture.received_at,
                        ));
                    }
                }
            }
            let listings: Vec<(&str, &str, Listing, &RecordKey)> = captures
                .iter()
                .filter_map(|capture| {
                    let listing = match &capture.listing {
                        Some(read) => read.clone(),
                        None => Listing::read(capture.doc_id, capture.document),
                    };
                    listing.map(|listing| {
                        (
                            capture.doc_id,
                            capture.receipt_code,
                            listing,
                            &keys[capture.doc_id],
                        )
                    })
                })
                .collect();
            write_listings(tx, self.tags, &listings)?;
        }
        let journal = std::mem::take(&mut self.journal);
        if !journal.is_empty() {
            insert_journal(tx, &journal)?;
        }
        Ok(())
    }
}

fn insert_registrations(
    tx: &mut Transaction<'_>,
    captures: &[NewCapture<'_>],
    keys: &HashMap<String, RecordKey>,
    nonce_devices: &[Option<&[u8]>],
) -> StorageResult<()> {
    let doc_ids: Vec<&str> = captures.iter().map(|c| c.doc_id).collect();
    let event_ids: Vec<&str> = captures.iter().map(|c| c.event_id).collect();
    let devices: Vec<&[u8]> = captures.iter().map(|c| c.device_key).collect();
    let documents: Vec<Vec<u8>> = captures
        .iter()
        .map(|c| keys[c.doc_id].seal(c.doc_id, Field::Document, c.document))
        .collect();
    let signatures: Vec<&[u8]> = captures.iter().map(|c| c.capture_signature).collect();
    let receipt_codes: Vec<&str> = captures.iter().map(|c| c.receipt_code).collect();
    let hashes: Vec<Vec<u8>> = captures
        .iter()
        .map(|c| hashes_blob(c.change_hashes))
        .collect();
    let restricted: Vec<bool> = captures.iter().map(|c| c.restricted).collect();
    let received_at: Vec<i64> = captures.iter().map(|c| c.received_at).collect();
    let receipt_tags = unique_receipt_tags(tx, captures)?;
    let certified_given: Vec<bool> = captures.iter().map(|c| c.certified_at.is_some()).collect();
    let certified_at: Vec<Option<i64>> =
        captures.iter().map(|c| c.certified_at.flatten()).collect();
    tx.execute_typed(
        "INSERT INTO registrations
         (doc_id, event_id, device_key, document, change_hashes,
          capture_signature, receipt_code, restricted, received_at, receipt_tag, nonce_device,
          certified_at)
         SELECT u.d, u.e, u.k, u.doc, u.h, u.s, u.rc, u.r, u.at, u.t, u.n,
                CASE WHEN u.given THEN u.c
                     ELSE (SELECT certified_at FROM devices WHERE device_key = u.k) END
         FROM UNNEST($1::TEXT[], $2::TEXT[], $3::BYTEA[], $4::BYTEA[], $5::BYTEA[],
                     $6::BYTEA[], $7::TEXT[], $8::BOOLEAN[], $9::BIGINT[],
                     $10::BYTEA[], $11::BYTEA[], $12::BOOLEAN[], $13::BIGINT[])
              AS u(d, e, k, doc, h, s, rc, r, at, t, n, given, c)",
        &[
            (&doc_ids, Type::TEXT_ARRAY),
            (&event_ids, Type::TEXT_ARRAY),
            (&devices, Type::BYTEA_ARRAY),
            (&documents, Type::BYTEA_ARRAY),
            (&hashes, Type::BYTEA_ARRAY),
            (&signatures, Type::BYTEA_ARRAY),
            (&receipt_codes, Type::TEXT_ARRAY),
            (&restricted, Type::BOOL_ARRAY),
            (&received_at, Type::INT8_ARRAY),
            (&receipt_tags, Type::BYTEA_ARRAY),
            (&nonce_devices, Type::BYTEA_ARRAY),
            (&certified_given, Type::BOOL_ARRAY),
            (&certified_at, Type::INT8_ARRAY),
        ],
    )?;
    Ok(())
}

/// The captures' receipt tags to store, in their order: a tag held already, or twice in
/// this batch (a tablet sending one receipt hash twice), is stored only the first time,
/// and the later record gets none, rather than the unique index failing the whole batch.
fn unique_receipt_tags<'c>(
    tx: &mut Transaction<'_>,
    captures: &'c [NewCapture<'_>],
) -> StorageResult<Vec<Option<&'c [u8]>>> {
    let tags: Vec<&[u8]> = captures
        .iter()
        .filter_map(|c| c.receipt_tag.map(|tag| &tag[..]))
        .collect();
    if tags.is_empty() {
        return Ok(vec![None; captures.len()]);
    }
    let mut seen: std::collections::HashSet<Vec<u8>> = tx
        .query_typed(
            "SELECT receipt_tag FROM registrations WHERE receipt_tag = ANY($1)",
            &[(&tags, Type::BYTEA_ARRAY)],
        )?
        .iter()
        .map(|row| row.try_get(0))
        .collect::<Result<_, _>>()?;
    // A receipt HR withdrew stays withdrawn when its capture comes again.
    let doc_ids: Vec<&str> = captures.iter().map(|c| c.doc_id).collect();
    let withdrawn: std::collections::HashSet<String> = tx
        .query_typed(
            "SELECT doc_id FROM receipt_withdrawals WHERE doc_id = ANY($1)",
            &[(&doc_ids, Type::TEXT_ARRAY)],
        )?
        .iter()
        .map(|row| row.try_get(0))
        .collect::<Result<_, _>>()?;
    Ok(captures
        .iter()
        .map(|c| {
            c.receipt_tag
                .filter(|_| !withdrawn.contains(c.doc_id))
                .filter(|tag| seen.insert(tag.to_vec()))
                .map(|tag| &tag[..])
        })
        .collect())
}

/// The captures' own changes in the change log, in capture order (their bytes are the
/// registration's `document`, so `change` stays NULL); a change held already is left.
/// Returns the `(doc id, hash)` of those added.
fn insert_capture_changes<'c>(
    tx: &mut Transaction<'_>,
    captures: &[NewCapture<'c>],
    commit_seq: i64,
) -> StorageResult<std::collections::HashSet<(&'c str, &'c [u8])>> {
    let changes = captures
        .iter()
        .flat_map(|c| c.change_hashes.iter().map(move |hash| (c, hash)));
    let mut hashes: Vec<&[u8]> = Vec::new();
    let mut doc_ids: Vec<&str> = Vec::new();
    let mut event_ids: Vec<&str> = Vec::new();
    let mut actors: Vec<&[u8]> = Vec::new();
    let mut restricted: Vec<bool> = Vec::new();
    for (capture, hash) in changes {
        hashes.push(hash.as_slice());
        doc_ids.push(capture.doc_id);
        event_ids.push(capture.event_id);
        actors.push(capture.device_key);
        restricted.push(capture.restricted);
    }
    if hashes.is_empty() {
        return Ok(Default::default());
    }
    let added = tx.query_typed(
        "INSERT INTO registration_changes (hash, doc_id, event_id, commit_seq, actor, restricted)
         SELECT hash, doc_id, event_id, $6, actor, restricted
         FROM UNNEST($1::BYTEA[], $2::TEXT[], $3::TEXT[], $4::BYTEA[], $5::BOOLEAN[])
              WITH ORDINALITY AS c (hash, doc_id, event_id, actor, restricted, n)
         ORDER BY n
         ON CONFLICT DO NOTHING
         RETURNING doc_id, hash",
        &[
            (&hashes, Type::BYTEA_ARRAY),
            (&doc_ids, Type::TEXT_ARRAY),
            (&event_ids, Type::TEXT_ARRAY),
            (&actors, Type::BYTEA_ARRAY),
            (&restricted, Type::BOOL_ARRAY),
            (&commit_seq, Type::INT8),
        ],
    )?;
    let mut set = std::collections::HashSet::with_capacity(added.len());
    for row in added {
        let doc_id: &str = row.try_get(0)?;
        let hash: &[u8] = row.try_get(1)?;
        // Named by the request's own strings, which outlive the returned rows.
        if let Some((capture, held)) = captures.iter().find_map(|c| {
            (c.doc_id == doc_id)
                .then(|| c.change_hashes.iter().find(|h| h.as_slice() == hash))
                .flatten()
                .map(|h| (c, h))
        }) {
            set.insert((capture.doc_id, held.as_slice()));
        }
    }
    Ok(set)
}

fn insert_journal(tx: &mut Transaction<'_>, journal: &[JournalRow<'_>]) -> StorageResult<()> {
    let devices: Vec<&[u8]> = journal.iter().map(|j| j.device_key).collect();
    let seqs: Vec<i64> = journal.iter().map(|j| j.seq).collect();
    let doc_ids: Vec<&str> = journal.iter().map(|j| j.doc_id).collect();
    let hashes: Vec<&[u8]> = journal.iter().map(|j| j.change_hashes.as_slice()).collect();
    tx.execute_typed(
        "INSERT INTO device_journal (device_key, seq, doc_id, change_hashes)
         SELECT * FROM UNNEST($1::BYTEA[], $2::BIGINT[], $3::TEXT[], $4::BYTEA[])
         ON CONFLICT DO NOTHING",
        &[
            (&devices, Type::BYTEA_ARRAY),
            (&seqs, Type::INT8_ARRAY),
            (&doc_ids, Type::TEXT_ARRAY),
            (&hashes, Type::BYTEA_ARRAY),
        ],
    )?;
    Ok(())
}
