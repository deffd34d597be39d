//! [`VisitorReceiptStore`] on PostgreSQL, as on SQLite: receipt tags on the `registrations`
//! rows, the receipt key's fingerprint, and the visitor requests' queue. Removal erases a
//! record's requests with the record ([`crate::storage::record_tables`]), and its tag with
//! its row.

use postgres::Row;

use super::PgStore;
use super::record_keys::{key_of, stored_key};
use super::record_seal::Field;
use crate::storage::model::{
    ReceiptRecord, VisitorRequest, VisitorRequestAdded, VisitorRequestKind,
};
use crate::storage::traits::VisitorReceiptStore;
use crate::storage::{StorageError, StorageResult};

const REQUEST_COLUMNS: &str = "v.id, v.doc_id, v.kind, v.at, v.text, v.handled_at, v.handled_by, \
     r.receipt_code, r.restricted, k.key";
/// Requests with their record (a request goes with its record, so the join finds it).
const REQUESTS: &str = "visitor_requests v JOIN registrations r ON r.doc_id = v.doc_id \
     LEFT JOIN record_keys k ON k.doc_id = v.doc_id";

/// A request of a row, its text opened under its record's key.
fn request(row: &Row) -> StorageResult<VisitorRequest> {
    let kind: String = row.try_get(2)?;
    let doc_id: String = row.try_get(1)?;
    let sealed: Option<Vec<u8>> = row.try_get(4)?;
    let text = match sealed {
        Some(sealed) => Some(stored_key(row.try_get(9)?)?.open_text(
            &doc_id,
            Field::VisitorRequestText,
            &sealed,
        )?),
        None => None,
    };
    Ok(VisitorRequest {
        id: row.try_get(0)?,
        doc_id,
        kind: VisitorRequestKind::parse(&kind)
            .ok_or(StorageError::Undecodable("visitor request kind"))?,
        at: row.try_get(3)?,
        text,
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

    fn clear_receipt_tag(&self, doc_id: &str, by: &str, at: i64) -> StorageResult<bool> {
        self.write(|tx| {
            let cleared = tx.execute(
                "UPDATE registrations SET receipt_tag = NULL
                 WHERE doc_id = $1 AND receipt_tag IS NOT NULL",
                &[&doc_id],
            )? > 0;
            if cleared {
                tx.execute(
                    "INSERT INTO receipt_withdrawals (doc_id, at, by) VALUES ($1, $2, $3)
                     ON CONFLICT (doc_id) DO NOTHING",
                    &[&doc_id, &at, &by],
                )?;
            }
            Ok(cleared)
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
    ) -> StorageResult<VisitorRequestAdded> {
        self.write(|tx| {
            // Locks the record's row: a removal racing this waits, or has gone first, and
            // two requests about one record take turns (the lock conflicts with itself, not
            // with the key-share locks other writers take), so the check below holds.
            let held = tx
                .query_opt(
                    "SELECT 1 FROM registrations WHERE doc_id = $1 FOR NO KEY UPDATE",
                    &[&doc_id],
                )?
                .is_some();
            if !held {
                return Ok(VisitorRequestAdded::NoRecord);
            }
            let open = tx.query_opt(
                "SELECT id FROM visitor_requests
                 WHERE doc_id = $1 AND kind = $2 AND handled_at IS NULL
                 ORDER BY id LIMIT 1",
                &[&doc_id, &kind.as_str()],
            )?;
            if let Some(row) = open {
                return Ok(VisitorRequestAdded::AlreadyOpen(row.try_get(0)?));
            }
            // A correction's text is sealed under the record's key (every held record has one).
            let sealed = match text {
                Some(text) => {
                    let key = key_of(tx, doc_id)?.ok_or(StorageError::Undecodable("record key"))?;
                    Some(key.seal(doc_id, Field::VisitorRequestText, text.as_bytes()))
                }
                None => None,
            };
            let row = tx.query_one(
                "INSERT INTO visitor_requests (doc_id, kind, at, text)
                 VALUES ($1, $2, $3, $4) RETURNING id",
                &[&doc_id, &kind.as_str(), &at, &sealed],
            )?;
            Ok(VisitorRequestAdded::Added(row.try_get(0)?))
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::storage::ingest_generated_for_tests;
    use crate::storage::postgres::test_cluster::fresh_database_url;
    use crate::storage::traits::LifecycleStore;

    /// A correction's text is personal data: stored sealed under its record's key (so the
    /// key's destruction at removal erases it), and read back in the clear.
    #[test]
    fn a_corrections_text_is_stored_sealed_under_its_records_key() {
        let store = PgStore::open(&fresh_database_url()).expect("opens");
        let registrations = ingest_generated_for_tests(&store, 1);
        let doc_id = registrations[0].id.to_string();
        let text = "Mitt efternamn stavas Öberg";
        store
            .add_visitor_request(&doc_id, VisitorRequestKind::Correction, Some(text), 10)
            .expect("adds")
            .added()
            .expect("held");
        let stored: Vec<u8> = store
            .read(|tx| {
                Ok(tx
                    .query_one("SELECT text FROM visitor_requests", &[])?
                    .try_get(0)?)
            })
            .expect("reads");
        assert!(
            !stored.windows(9).any(|w| w == b"efternamn"),
            "not in the clear"
        );
        let read = store.visitor_requests_of(&doc_id).expect("reads");
        assert_eq!(read[0].text.as_deref(), Some(text));
        store
            .remove_registration(
                &doc_id,
                "test",
                &crate::storage::Accessor::Operator("hr:arkiv".into()),
                20,
            )
            .expect("removes");
        assert!(store.visitor_requests(false, 10).expect("reads").is_empty());
    }
}
