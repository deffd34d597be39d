//! [`VisitorReceiptStore`] on PostgreSQL, as on SQLite: receipt tags on the `registrations`
//! rows, the receipt key's fingerprint, and the visitor requests' queue. Removal erases a
//! record's requests with the record ([`crate::storage::record_tables`]), and its tag with
//! its row.

use postgres::Row;

use super::PgStore;
use crate::storage::model::{ReceiptRecord, VisitorRequest, VisitorRequestKind};
use crate::storage::traits::VisitorReceiptStore;
use crate::storage::{StorageError, StorageResult};

const REQUEST_COLUMNS: &str = "v.id, v.doc_id, v.kind, v.at, v.text, v.handled_at, v.handled_by, \
     r.receipt_code, r.restricted";
/// Requests with their record (a request goes with its record, so the join finds it).
const REQUESTS: &str = "visitor_requests v JOIN registrations r ON r.doc_id = v.doc_id";

fn request(row: &Row) -> StorageResult<VisitorRequest> {
    let kind: String = row.try_get(2)?;
    Ok(VisitorRequest {
        id: row.try_get(0)?,
        doc_id: row.try_get(1)?,
        kind: VisitorRequestKind::parse(&kind)
            .ok_or(StorageError::Undecodable("visitor request kind"))?,
        at: row.try_get(3)?,
        text: row.try_get(4)?,
        handled_at: row.try_get(5)?,
        handled_by: row.try_get(6)?,
        reference: row.try_get(7)?,
        restricted: row.try_get(8)?,
    })
}

impl VisitorReceiptStore for PgStore {
    fn bind_receipt_key(&self, fingerprint: &[u8; 32]) -> StorageResult<bool> {
        self.write(|tx| {
            tx.execute(
                "INSERT INTO receipt_key (id, fingerprint) VALUES (1, $1)
                 ON CONFLICT (id) DO NOTHING",
                &[&&fingerprint[..]],
            )?;
            let recorded: Vec<u8> = tx
                .query_one("SELECT fingerprint FROM receipt_key WHERE id = 1", &[])?
                .try_get(0)?;
            Ok(recorded == fingerprint)
        })
    }

    fn rebind_receipt_key(&self, fingerprint: &[u8; 32]) -> StorageResult<()> {
        self.write(|tx| {
            tx.execute(
                "INSERT INTO receipt_key (id, fingerprint) VALUES (1, $1)
                 ON CONFLICT (id) DO UPDATE SET fingerprint = excluded.fingerprint",
                &[&&fingerprint[..]],
            )?;
            Ok(())
        })
    }

    fn record_by_receipt_tag(&self, tag: &[u8; 32]) -> StorageResult<Option<ReceiptRecord>> {
        self.read(|tx| {
            let row = tx.query_opt(
                "SELECT r.doc_id, r.event_id, r.received_at, r.restricted,
                        COALESCE(i.talent_pool, false)
                           AND NOT EXISTS (SELECT 1 FROM talent_pool_withdrawals w
                                           WHERE w.doc_id = r.doc_id)
                 FROM registrations r LEFT JOIN registration_index i ON i.doc_id = r.doc_id
                 WHERE r.receipt_tag = $1",
                &[&&tag[..]],
            )?;
            row.map(|row| {
                Ok(ReceiptRecord {
                    doc_id: row.try_get(0)?,
                    event_id: row.try_get(1)?,
                    received_at: row.try_get(2)?,
                    restricted: row.try_get(3)?,
                    talent_pool: row.try_get(4)?,
                })
            })
            .transpose()
        })
    }

    fn clear_receipt_tag(&self, doc_id: &str) -> StorageResult<bool> {
        self.write(|tx| {
            Ok(tx.execute(
                "UPDATE registrations SET receipt_tag = NULL
                 WHERE doc_id = $1 AND receipt_tag IS NOT NULL",
                &[&doc_id],
            )? > 0)
        })
    }

    fn has_receipt_tag(&self, doc_id: &str) -> StorageResult<bool> {
        self.read(|tx| {
            Ok(tx
                .query_opt(
                    "SELECT 1 FROM registrations WHERE doc_id = $1 AND receipt_tag IS NOT NULL",
                    &[&doc_id],
                )?
                .is_some())
        })
    }

    fn add_visitor_request(
        &self,
        doc_id: &str,
        kind: VisitorRequestKind,
        text: Option<&str>,
        at: i64,
    ) -> StorageResult<Option<i64>> {
        self.write(|tx| {
            // Locks the record's row: a removal racing this waits, or has gone first.
            let row = tx.query_opt(
                "INSERT INTO visitor_requests (doc_id, kind, at, text)
                 SELECT doc_id, $2, $3, $4 FROM registrations WHERE doc_id = $1 FOR KEY SHARE
                 RETURNING id",
                &[&doc_id, &kind.as_str(), &at, &text],
            )?;
            row.map(|row| row.try_get(0))
                .transpose()
                .map_err(Into::into)
        })
    }

    fn visitor_requests(&self, open_only: bool, limit: u32) -> StorageResult<Vec<VisitorRequest>> {
        self.read(|tx| {
            let filter = if open_only {
                "WHERE v.handled_at IS NULL"
            } else {
                ""
            };
            tx.query(
                &format!(
                    "SELECT {REQUEST_COLUMNS} FROM {REQUESTS} {filter}
                     ORDER BY v.at, v.id LIMIT $1"
                ),
                &[&i64::from(limit)],
            )?
            .iter()
            .map(request)
            .collect()
        })
    }

    fn visitor_requests_of(&self, doc_id: &str) -> StorageResult<Vec<VisitorRequest>> {
        self.read(|tx| {
            tx.query(
                &format!(
                    "SELECT {REQUEST_COLUMNS} FROM {REQUESTS} WHERE v.doc_id = $1
                     ORDER BY v.at, v.id"
                ),
                &[&doc_id],
            )?
            .iter()
            .map(request)
            .collect()
        })
    }

    fn mark_visitor_request_handled(
        &self,
        id: i64,
        by: &str,
        at: i64,
    ) -> StorageResult<Option<VisitorRequest>> {
        self.write(|tx| {
            let row = tx.query_opt(
                &format!(
                    "SELECT {REQUEST_COLUMNS} FROM {REQUESTS}
                     WHERE v.id = $1 AND v.handled_at IS NULL FOR UPDATE OF v"
                ),
                &[&id],
            )?;
            let Some(row) = row else {
                return Ok(None);
            };
            let before = request(&row)?;
            tx.execute(
                "UPDATE visitor_requests SET handled_at = $2, handled_by = $3 WHERE id = $1",
                &[&id, &at, &by],
            )?;
            Ok(Some(before))
        })
    }
}
