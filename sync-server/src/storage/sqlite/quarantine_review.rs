//! HR's review of quarantined captures: the list an archivist works through (no personal
//! data: ids, device, event, reason code, times), and one final decision per capture,
//! recorded in `quarantine_reviews` with its reason, reviewer and time. Accepting merges the
//! capture into the registrations as ingest stores a capture that passed every check (the
//! record, its change-log row under the next commit number, the original received-at), in
//! the same transaction as the review and its access-log entry. The checks that make a
//! capture acceptable (seal, signature, form) are the caller's (`crate::hr::quarantine`).
//!
//! The quarantined bytes stay after a review, accepted or not: they are what the tablet
//! handed over, and a removal of the registration erases them with it.

use rusqlite::{Connection, OptionalExtension, params};

use super::access_log;
use crate::rules::quarantine::{self, AcceptDecision};
use crate::storage::model::{
    AccessAction, Accessor, QuarantineReview, QuarantinedCapture, ReviewAction, ReviewDecision,
    ReviewOutcome,
};
use crate::storage::{StorageError, StorageResult};

const COLUMNS: &str = "q.id, q.doc_id, q.device_key, d.event_id, q.code, q.received_at,
                       r.decision, r.reason, r.reviewer, r.reviewed_at";
const FROM: &str = "quarantine q
                    LEFT JOIN devices d ON d.device_key = q.device_key
                    LEFT JOIN quarantine_reviews r ON r.quarantine_id = q.id";

fn capture_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<RawCapture> {
    Ok(RawCapture {
        id: r.get(0)?,
        doc_id: r.get(1)?,
        device_key: r.get(2)?,
        event_id: r.get(3)?,
        code: r.get(4)?,
        received_at: r.get(5)?,
        decision: r.get(6)?,
        reason: r.get(7)?,
        reviewer: r.get(8)?,
        reviewed_at: r.get(9)?,
    })
}

/// A row as SQLite gives it, before its blobs and texts are checked.
struct RawCapture {
    id: i64,
    doc_id: String,
    device_key: Vec<u8>,
    event_id: Option<String>,
    code: String,
    received_at: i64,
    decision: Option<String>,
    reason: Option<String>,
    reviewer: Option<String>,
    reviewed_at: Option<i64>,
}

impl RawCapture {
    fn decode(self) -> StorageResult<QuarantinedCapture> {
        let review = match (self.decision, self.reason, self.reviewer, self.reviewed_at) {
            (Some(decision), Some(reason), Some(reviewer), Some(reviewed_at)) => {
                Some(QuarantineReview {
                    decision: ReviewDecision::parse(&decision)
                        .ok_or(StorageError::Undecodable("review decision"))?,
                    reason,
                    reviewer,
                    reviewed_at,
                })
            }
            _ => None,
        };
        Ok(QuarantinedCapture {
            id: self.id as u64,
            doc_id: self.doc_id,
            device_key: super::key32(self.device_key, "quarantine device key")?,
            event_id: self.event_id,
            code: self.code,
            received_at: self.received_at,
            review,
        })
    }
}

/// Up to `limit` quarantined captures numbered below `before` (all, without it), newest
/// first, with their reviews.
pub(crate) fn list(
    conn: &Connection,
    before: Option<u64>,
    limit: u32,
) -> StorageResult<Vec<QuarantinedCapture>> {
    let before = before.map_or(i64::MAX, |b| b.min(i64::MAX as u64) as i64);
    let mut statement = conn.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM {FROM} WHERE q.id < ?1 ORDER BY q.id DESC LIMIT ?2"
    ))?;
    let rows = statement.query_map(params![before, limit], capture_row)?;
    rows.map(|row| row?.decode()).collect()
}

/// Quarantined capture `id` with the bytes that were kept (the sealed capture, or the
/// opened document when the conflict was found at merge time).
pub(crate) fn one(
    conn: &Connection,
    id: u64,
) -> StorageResult<Option<(QuarantinedCapture, Vec<u8>)>> {
    let Ok(id) = i64::try_from(id) else {
        return Ok(None);
    };
    let found = conn
        .query_row(
            &format!("SELECT {COLUMNS}, q.payload FROM {FROM} WHERE q.id = ?1"),
            [id],
            |r| Ok((capture_row(r)?, r.get::<_, Vec<u8>>(10)?)),
        )
        .optional()?;
    found
        .map(|(raw, payload)| Ok((raw.decode()?, payload)))
        .transpose()
}

/// Records the review of capture `id` (`action`, `reason`, by user `reviewer`, whom the
/// access log names `by`, at relay time `at`) and, on accepting, merges the capture into
/// the registrations; one transaction, with a `change` entry in the access log.
pub(crate) fn record(
    conn: &mut Connection,
    id: u64,
    action: &ReviewAction,
    reason: &str,
    reviewer: &str,
    by: &Accessor,
    at: i64,
) -> StorageResult<ReviewOutcome> {
    let Ok(id) = i64::try_from(id) else {
        return Ok(ReviewOutcome::Unknown);
    };
    let tx = conn.transaction()?;
    let row: Option<(String, Vec<u8>, i64, Option<i64>)> = tx
        .query_row(
            "SELECT doc_id, device_key, received_at, certified_at FROM quarantine WHERE id = ?1",
            [id],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
        )
        .optional()?;
    let Some((doc_id, device_key, received_at, certified_at)) = row else {
        return Ok(ReviewOutcome::Unknown);
    };
    let reviewed: bool = tx.query_row(
        "SELECT EXISTS (SELECT 1 FROM quarantine_reviews WHERE quarantine_id = ?1)",
        [id],
        |r| r.get(0),
    )?;
    if reviewed {
        return Ok(ReviewOutcome::AlreadyReviewed);
    }
    if let ReviewAction::Accept(capture) = action {
        let removed = super::is_removed(&tx, &doc_id)?;
        let stored: bool = tx.query_row(
            "SELECT EXISTS (SELECT 1 FROM registrations WHERE doc_id = ?1)",
            [&doc_id],
            |r| r.get(0),
        )?;
        match quarantine::decide_acceptance(removed, stored) {
            AcceptDecision::Removed => return Ok(ReviewOutcome::Removed),
            AcceptDecision::AlreadyStored => return Ok(ReviewOutcome::AlreadyStored),
            AcceptDecision::Store => {}
        }
        // As ingest stores a capture, in a commit of its own.
        let commit_seq = super::next_commit_seq(&tx)?;
        let accepted = super::NewCapture {
            doc_id: &doc_id,
            event_id: &capture.event_id,
            device_key: &device_key,
            document: &capture.document,
            change_hashes: &capture.change_hashes,
            capture_signature: &capture.capture_signature,
            receipt_code: &capture.receipt_code,
            receipt_tag: capture.receipt_tag.as_ref(),
            restricted: capture.restricted,
            received_at,
            // The certificate the tablet held when it sent the copy, not its current one.
            certified_at: Some(certified_at),
            listing: None,
        };
        // Its leaves say when it was received, as a capture stored by ingest does.
        let mut leaves = Vec::new();
        super::insert_capture(&tx, &accepted, commit_seq, &mut leaves)?;
        // And who accepted it: the capture's leaves name only the tablet.
        let nonce = super::tlog::nonce_of_stored(&tx, &doc_id)?;
        leaves.push(crate::transparency::leaf::decision(
            crate::transparency::leaf::LeafKind::QuarantineAccepted,
            &nonce,
            &doc_id,
            reason,
            crate::transparency::leaf::accessor_author(by),
            at,
        ));
        super::tlog::append(&tx, &leaves)?;
    }
    tx.execute(
        "INSERT INTO quarantine_reviews
         (quarantine_id, doc_id, decision, reason, reviewer, reviewed_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![id, doc_id, action.decision().as_str(), reason, reviewer, at],
    )?;
    access_log::append_one(&tx, at, by, AccessAction::Change, &doc_id)?;
    tx.commit()?;
    Ok(ReviewOutcome::Recorded)
}
