//! What a tablet pulls, on PostgreSQL: the changes, removals and withdrawals of its scope
//! past its cursor, whole commits at a time (as the SQLite store's `pull.rs`). A sync reads
//! its page inside its ingest transaction, which holds the sequencer: every lower number
//! has committed and is visible to the page's statements, and no higher one exists yet, so
//! the page's end (`through_seq`) never passes a commit that becomes visible later.

use kiosk_core::protocol::PulledDocument;
use kiosk_core::protocol::enrollment::EnrolledRole;
use postgres::Transaction;
use postgres::types::Type;

use crate::storage::StorageResult;
use crate::storage::model::{PullPage, PullScope};

use super::record_keys::stored_key;
use super::record_seal::Field;
use super::rows::unsigned;

/// What `scope` lacks after `after_seq`: at most about `max_changes` changes, whole commits
/// at a time, and the removals and withdrawals in the same range. `current` is the number
/// the caller's transaction took from the sequencer, which it holds.
pub(super) fn pull_page(
    tx: &mut Transaction<'_>,
    scope: &PullScope,
    after_seq: u64,
    max_changes: usize,
    current: i64,
) -> StorageResult<PullPage> {
    let after = i64::try_from(after_seq).unwrap_or(i64::MAX);
    let device = scope.device_key.as_slice();
    let mut page = PullPage::default();
    let mut through = current;
    if scope.role == EnrolledRole::Staff {
        let offset = i64::try_from(max_changes.max(1) - 1).unwrap_or(i64::MAX);
        // The page ends with a whole commit, so the cursor never splits one.
        // And whether changes past that commit wait, in the same round trip.
        let last = tx.query_typed_opt(
            "WITH last AS (
                 SELECT commit_seq FROM registration_changes
                 WHERE event_id = $1 AND commit_seq > $2 AND NOT restricted AND actor <> $3
                 ORDER BY commit_seq LIMIT 1 OFFSET $4)
             SELECT last.commit_seq,
                    EXISTS (SELECT 1 FROM registration_changes
                            WHERE event_id = $1 AND commit_seq > last.commit_seq
                              AND NOT restricted AND actor <> $3)
             FROM last",
            &[
                (&scope.event_id, Type::TEXT),
                (&after, Type::INT8),
                (&device, Type::BYTEA),
                (&offset, Type::INT8),
            ],
        )?;
        if let Some(last) = last {
            through = last.try_get(0)?;
            page.more = last.try_get(1)?;
        }
        // A capture's own changes have no bytes of their own: theirs is the registration's
        // document, sent (as before) for each of them. Both sealed: opened here.
        let rows = tx.query_typed(
            "SELECT c.doc_id, c.hash, c.change,
                    CASE WHEN c.change IS NULL THEN r.document END, r.received_at, k.key
             FROM registration_changes c JOIN registrations r ON r.doc_id = c.doc_id
             LEFT JOIN record_keys k ON k.doc_id = c.doc_id
             WHERE c.event_id = $1 AND c.commit_seq > $2 AND c.commit_seq <= $3
               AND NOT c.restricted AND c.actor <> $4
             ORDER BY c.commit_seq, c.id",
            &[
                (&scope.event_id, Type::TEXT),
                (&after, Type::INT8),
                (&through, Type::INT8),
                (&device, Type::BYTEA),
            ],
        )?;
        let mut by_doc: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
        for row in rows {
            let doc_id: String = row.try_get(0)?;
            let key = stored_key(row.try_get(5)?)?;
            let change = match row.try_get::<_, Option<&[u8]>>(2)? {
                Some(sealed) => key.open(&doc_id, Field::Change(row.try_get(1)?), sealed)?,
                None => key.open(&doc_id, Field::Document, row.try_get(3)?)?,
            };
            match by_doc.get(&doc_id) {
                Some(&at) => page.documents[at].changes.extend_from_slice(&change),
                None => {
                    by_doc.insert(doc_id.clone(), page.documents.len());
                    page.documents.push(PulledDocument {
                        doc_id,
                        received_at: row.try_get(4)?,
                        changes: change,
                    });
                }
            }
        }
    }
    let removed = match scope.role {
        // A restricted record was never sent to a staff tablet; neither is its removal.
        EnrolledRole::Staff => tx.query_typed(
            "SELECT doc_id FROM removals
             WHERE event_id = $1 AND NOT restricted AND commit_seq > $2 AND commit_seq <= $3
             ORDER BY commit_seq",
            &[
                (&scope.event_id, Type::TEXT),
                (&after, Type::INT8),
                (&through, Type::INT8),
            ],
        )?,
        EnrolledRole::Kiosk => tx.query_typed(
            "SELECT doc_id FROM removals
             WHERE device_key = $1 AND commit_seq > $2 AND commit_seq <= $3
             ORDER BY commit_seq",
            &[
                (&device, Type::BYTEA),
                (&after, Type::INT8),
                (&through, Type::INT8),
            ],
        )?,
    };
    page.removed = removed
        .iter()
        .map(|row| row.try_get(0))
        .collect::<Result<_, _>>()?;
    if scope.role == EnrolledRole::Staff {
        // Withdrawals of the talent-pool consent, numbered like commits; restricted records
        // never reach a staff tablet, nor does anything about them.
        page.withdrawn = tx
            .query_typed(
                "SELECT w.doc_id FROM talent_pool_withdrawals w
                 JOIN registrations r ON r.doc_id = w.doc_id
                 WHERE r.event_id = $1 AND NOT r.restricted
                   AND w.commit_seq > $2 AND w.commit_seq <= $3
                 ORDER BY w.commit_seq",
                &[
                    (&scope.event_id, Type::TEXT),
                    (&after, Type::INT8),
                    (&through, Type::INT8),
                ],
            )?
            .iter()
            .map(|row| row.try_get(0))
            .collect::<Result<_, _>>()?;
    }
    page.through_seq = unsigned(through.max(after), "pull cursor")?;
    Ok(page)
}
