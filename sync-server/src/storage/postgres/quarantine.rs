//! [`QuarantineStore`] on PostgreSQL: HR's review of quarantined captures (as the SQLite
//! store's `quarantine_review.rs`): the list an archivist works through (no personal data:
//! ids, device, event, reason code, times), and one final decision per capture. Accepting
//! stores the capture as ingest stores one that passed every check, under a commit number
//! of its own, in the same transaction as the review and its access-log entry.
//!
//! Two reviewers deciding one capture at once, through any instances, decide one after the
//! other: the capture's row is locked (`FOR UPDATE`) before its review is looked for, so
//! the second finds the first's decision. Every review takes the sequencer first, keeping
//! apart too, though that numbers nothing: ingest adds quarantined captures and a removal
//! erases them under the sequencer, so a review that locked a capture's row without it
//! could deadlock with a removal over that row and the access log. A keep-apart's number
//! stays unused (pull cursors and the backup watermark do not need every number used).

use postgres::Transaction;
use postgres::types::ToSql;

use super::PgStore;
use super::access_log;
use super::ingest::{NewCapture, Numbered, insert_capture, is_removed};
use super::record_keys::stored_key;
use super::record_seal::Field;
use super::rows::{key32, signed, unsigned};
use crate::rules::quarantine::{self as quarantine_rule, AcceptDecision};
use crate::storage::model::{
    AccessAction, AccessEntry, Accessor, QuarantineReview, QuarantinedCapture, ReviewAction,
    ReviewDecision, ReviewOutcome,
};

use crate::storage::traits::QuarantineStore;
use crate::storage::{StorageError, StorageResult};

const COLUMNS: &str = "q.id, q.doc_id, q.device_key, d.event_id, q.code, q.received_at,
                       r.decision, r.reason, r.reviewer, r.reviewed_at";
const FROM: &str = "quarantine q
                    LEFT JOIN devices d ON d.device_key = q.device_key
                    LEFT JOIN quarantine_reviews r ON r.quarantine_id = q.id";

fn capture_row(row: &postgres::Row) -> StorageResult<QuarantinedCapture> {
    let decision: Option<String> = row.try_get(6)?;
    let reason: Option<String> = row.try_get(7)?;
    let reviewer: Option<String> = row.try_get(8)?;
    let reviewed_at: Option<i64> = row.try_get(9)?;
    let review = match (decision, reason, reviewer, reviewed_at) {
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
        id: unsigned(row.try_get(0)?, "quarantine id")?,
        doc_id: row.try_get(1)?,
        device_key: key32(row.try_get(2)?, "quarantine device key")?,
        event_id: row.try_get(3)?,
        code: row.try_get(4)?,
        received_at: row.try_get(5)?,
        review,
    })
}

impl QuarantineStore for PgStore {
    fn quarantined_captures(
        &self,
        before: Option<u64>,
        limit: u32,
    ) -> StorageResult<Vec<QuarantinedCapture>> {
        let before = before.map_or(i64::MAX, |b| i64::try_from(b).unwrap_or(i64::MAX));
        self.client()?
            .query(
                &format!(
                    "SELECT {COLUMNS} FROM {FROM} WHERE q.id < $1 ORDER BY q.id DESC LIMIT $2"
                ),
                &[&before, &i64::from(limit)],
            )?
            .iter()
            .map(capture_row)
            .collect()
    }

    fn quarantined_capture(&self, id: u64) -> StorageResult<Option<(QuarantinedCapture, Vec<u8>)>> {
        let Ok(id) = i64::try_from(id) else {
            return Ok(None);
        };
        self.client()?
            .query_opt(
                &format!(
                    "SELECT {COLUMNS}, q.payload, k.key FROM {FROM}
                     LEFT JOIN record_keys k ON k.doc_id = q.doc_id WHERE q.id = $1"
                ),
                &[&id],
            )?
            .map(|row| {
                let capture = capture_row(&row)?;
                let key = stored_key(row.try_get(11)?)?;
                let payload =
                    key.open(&capture.doc_id, Field::QuarantinePayload, row.try_get(10)?)?;
                Ok((capture, payload))
            })
            .transpose()
    }

    fn review_quarantined(
        &self,
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
        let review = Review {
            id,
            action,
            reason,
            reviewer,
            by,
            at,
        };
        let ReviewAction::Accept(capture) = action else {
            return self.write_numbered_or_nothing(|tx, _| match review.lock_unreviewed(tx)? {
                Err(outcome) => Ok(Numbered::Nothing(outcome)),
                Ok(capture) => review.record(tx, &capture.doc_id).map(Numbered::Commit),
            });
        };
        // The list fields are read before the sequencer is taken (a capture's id never
        // changes, so reading it first is safe); the document is the reviewer's, checked.
        let doc_id: Option<String> = self
            .client()?
            .query_opt("SELECT doc_id FROM quarantine WHERE id = $1", &[&id])?
            .map(|row| row.try_get(0))
            .transpose()?;
        let Some(doc_id) = doc_id else {
            return Ok(ReviewOutcome::Unknown);
        };
        let read_ahead = crate::storage::RegistrationListing::read(&doc_id, &capture.document);
        self.write_numbered_or_nothing(|tx, seq| {
            let Unreviewed {
                doc_id,
                device_key,
                received_at,
                certified_at,
            } = match review.lock_unreviewed(tx)? {
                Err(outcome) => return Ok(Numbered::Nothing(outcome)),
                Ok(row) => row,
            };
            let removed = is_removed(tx, &doc_id)?;
            let stored: bool = tx
                .query_one(
                    "SELECT EXISTS (SELECT 1 FROM registrations WHERE doc_id = $1)",
                    &[&doc_id],
                )?
                .try_get(0)?;
            match quarantine_rule::decide_acceptance(removed, stored) {
                AcceptDecision::Removed => return Ok(Numbered::Nothing(ReviewOutcome::Removed)),
                AcceptDecision::AlreadyStored => {
                    return Ok(Numbered::Nothing(ReviewOutcome::AlreadyStored));
                }
                AcceptDecision::Store => {}
            }
            let accepted = NewCapture {
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
                listing: Some(read_ahead),
            };
            insert_capture(
                tx,
                &accepted,
                signed(seq, "commit number")?,
                self.email_tags(),
            )?;
            // And who accepted it: the capture's leaves name only the tablet.
            let nonce = super::tlog::nonce_of_stored(tx, &doc_id)?;
            super::tlog::append(
                tx,
                &[crate::transparency::leaf::decision(
                    crate::transparency::leaf::LeafKind::QuarantineAccepted,
                    &nonce,
                    &doc_id,
                    reason,
                    crate::transparency::leaf::accessor_author(by),
                    at,
                )],
            )?;
            review.record(tx, &doc_id).map(Numbered::Commit)
        })
    }
}

/// A quarantined capture not reviewed yet, its row locked.
struct Unreviewed {
    doc_id: String,
    device_key: Vec<u8>,
    received_at: i64,
    certified_at: Option<i64>,
}

/// One review to record.
struct Review<'a> {
    id: i64,
    action: &'a ReviewAction,
    reason: &'a str,
    reviewer: &'a str,
    by: &'a Accessor,
    at: i64,
}

impl Review<'_> {
    /// Locks the capture's row and returns its document id, device and received-at, or the
    /// outcome when it is unknown or reviewed already.
    fn lock_unreviewed(
        &self,
        tx: &mut Transaction<'_>,
    ) -> StorageResult<Result<Unreviewed, ReviewOutcome>> {
        let Some(row) = tx.query_opt(
            "SELECT doc_id, device_key, received_at, certified_at FROM quarantine
             WHERE id = $1 FOR UPDATE",
            &[&self.id],
        )?
        else {
            return Ok(Err(ReviewOutcome::Unknown));
        };
        let reviewed: bool = tx
            .query_one(
                "SELECT EXISTS (SELECT 1 FROM quarantine_reviews WHERE quarantine_id = $1)",
                &[&self.id],
            )?
            .try_get(0)?;
        if reviewed {
            return Ok(Err(ReviewOutcome::AlreadyReviewed));
        }
        Ok(Ok(Unreviewed {
            doc_id: row.try_get(0)?,
            device_key: row.try_get(1)?,
            received_at: row.try_get(2)?,
            certified_at: row.try_get(3)?,
        }))
    }

    /// Records the decision and its access-log entry.
    fn record(&self, tx: &mut Transaction<'_>, doc_id: &str) -> StorageResult<ReviewOutcome> {
        let params: [&(dyn ToSql + Sync); 6] = [
            &self.id,
            &doc_id,
            &self.action.decision().as_str(),
            &self.reason,
            &self.reviewer,
            &self.at,
        ];
        tx.execute(
            "INSERT INTO quarantine_reviews
             (quarantine_id, doc_id, decision, reason, reviewer, reviewed_at)
             VALUES ($1, $2, $3, $4, $5, $6)",
            &params,
        )?;
        access_log::append(
            tx,
            &[AccessEntry {
                at: self.at,
                accessor: self.by.clone(),
                action: AccessAction::Change,
                doc_id: doc_id.to_owned(),
            }],
        )?;
        Ok(ReviewOutcome::Recorded)
    }
}
