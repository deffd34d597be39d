//! [`VisitorReceiptStore`] on SQLite: receipt tags on the `registrations` rows, the receipt
//! key's fingerprint, and the visitor requests' queue. Removal erases a record's requests
//! with the record ([`crate::storage::record_tables`]), and its tag with its row.

use rusqlite::{OptionalExtension, params};

use super::SqliteStore;
use crate::storage::model::{
    LifecycleEntry, ReceiptRecord, VisitorRequest, VisitorRequestAdded, VisitorRequestKind,
};
use crate::storage::traits::VisitorReceiptStore;
use crate::storage::{StorageError, StorageResult};

const REQUEST_COLUMNS: &str = "v.id, v.doc_id, v.kind, v.at, v.text, v.handled_at, v.handled_by, \
     r.receipt_code, r.restricted";
/// Requests with their record (a request goes with its record, so the join finds it).
const REQUESTS: &str = "visitor_requests v JOIN registrations r ON r.doc_id = v.doc_id";

fn request_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<(VisitorRequest, String)> {
    let kind: String = r.get(2)?;
    Ok((
        VisitorRequest {
            id: r.get(0)?,
            doc_id: r.get(1)?,
            kind: VisitorRequestKind::SubjectAccess,
            at: r.get(3)?,
            text: r.get(4)?,
            handled_at: r.get(5)?,
            handled_by: r.get(6)?,
            reference: r.get(7)?,
            restricted: r.get(8)?,
        },
        kind,
    ))
}

/// The request of a row, its kind read (the schema allows only the known ones).
fn with_kind((mut request, kind): (VisitorRequest, String)) -> StorageResult<VisitorRequest> {
    request.kind = VisitorRequestKind::parse(&kind)
        .ok_or(StorageError::Undecodable("visitor request kind"))?;
    Ok(request)
}

impl VisitorReceiptStore for SqliteStore {
    fn bind_receipt_key(&self, fingerprint: &[u8; 32]) -> StorageResult<bool> {
        let conn = self.conn();
        conn.execute(
            "INSERT OR IGNORE INTO receipt_key (id, fingerprint) VALUES (1, ?1)",
            [&fingerprint[..]],
        )?;
        let recorded: Vec<u8> = conn.query_row(
            "SELECT fingerprint FROM receipt_key WHERE id = 1",
            [],
            |r| r.get(0),
        )?;
        Ok(recorded == fingerprint)
    }

    fn rebind_receipt_key(&self, fingerprint: &[u8; 32]) -> StorageResult<()> {
        let conn = self.conn();
        conn.execute(
            "INSERT INTO receipt_key (id, fingerprint) VALUES (1, ?1)
             ON CONFLICT (id) DO UPDATE SET fingerprint = excluded.fingerprint",
            [&fingerprint[..]],
        )?;
        Ok(())
    }

    fn record_by_receipt_tag(&self, tag: &[u8; 32]) -> StorageResult<Option<ReceiptRecord>> {
        self.read(|conn| {
            Ok(conn
                .prepare_cached(
                    "SELECT r.doc_id, r.event_id, r.received_at, r.restricted,
                            COALESCE(i.talent_pool, 0)
                               AND NOT EXISTS (SELECT 1 FROM talent_pool_withdrawals w
                                               WHERE w.doc_id = r.doc_id)
                     FROM registrations r LEFT JOIN registration_index i ON i.doc_id = r.doc_id
                     WHERE r.receipt_tag = ?1",
                )?
                .query_row([&tag[..]], |r| {
                    Ok(ReceiptRecord {
                        doc_id: r.get(0)?,
                        event_id: r.get(1)?,
                        received_at: r.get(2)?,
                        restricted: r.get(3)?,
                        talent_pool: r.get(4)?,
                    })
                })
                .optional()?)
        })
    }

    fn clear_receipt_tag(&self, doc_id: &str, by: &str, at: i64) -> StorageResult<bool> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        let cleared = tx.execute(
            "UPDATE registrations SET receipt_tag = NULL
             WHERE doc_id = ?1 AND receipt_tag IS NOT NULL",
            [doc_id],
        )? > 0;
        if cleared {
            tx.execute(
                "INSERT OR IGNORE INTO receipt_withdrawals (doc_id, at, by) VALUES (?1, ?2, ?3)",
                params![doc_id, at, by],
            )?;
            // Ahead of the commit: a restore replays it (see `lifecycle_journal`).
            super::lifecycle_journal::record(
                self.lifecycle.as_ref(),
                &[LifecycleEntry::ReceiptWithdrawal {
                    doc_id: doc_id.to_owned(),
                    at,
                    by: by.to_owned(),
                }],
            )?;
        }
        tx.commit()?;
        Ok(cleared)
    }

    fn has_receipt_tag(&self, doc_id: &str) -> StorageResult<bool> {
        self.read(|conn| {
            Ok(conn
                .prepare_cached(
                    "SELECT 1 FROM registrations WHERE doc_id = ?1 AND receipt_tag IS NOT NULL",
                )?
                .exists([doc_id])?)
        })
    }

    fn add_visitor_request(
        &self,
        doc_id: &str,
        kind: VisitorRequestKind,
        text: Option<&str>,
        at: i64,
    ) -> StorageResult<VisitorRequestAdded> {
        let mut conn = self.conn();
        // The writer connection is held throughout: the check and the insert are one step.
        let tx = conn.transaction()?;
        if !tx
            .prepare_cached("SELECT 1 FROM registrations WHERE doc_id = ?1")?
            .exists([doc_id])?
        {
            return Ok(VisitorRequestAdded::NoRecord);
        }
        let open: Option<i64> = tx
            .query_row(
                "SELECT id FROM visitor_requests
                 WHERE doc_id = ?1 AND kind = ?2 AND handled_at IS NULL
                 ORDER BY id LIMIT 1",
                params![doc_id, kind.as_str()],
                |row| row.get(0),
            )
            .optional()?;
        if let Some(id) = open {
            return Ok(VisitorRequestAdded::AlreadyOpen(id));
        }
        tx.execute(
            "INSERT INTO visitor_requests (doc_id, kind, at, text) VALUES (?1, ?2, ?3, ?4)",
            params![doc_id, kind.as_str(), at, text],
        )?;
        let id = tx.last_insert_rowid();
        tx.commit()?;
        Ok(VisitorRequestAdded::Added(id))
    }

    fn visitor_requests(&self, open_only: bool, limit: u32) -> StorageResult<Vec<VisitorRequest>> {
        self.read(|conn| {
            let filter = if open_only {
                "WHERE v.handled_at IS NULL"
            } else {
                ""
            };
            let mut statement = conn.prepare_cached(&format!(
                "SELECT {REQUEST_COLUMNS} FROM {REQUESTS} {filter}
                 ORDER BY v.at, v.id LIMIT ?1"
            ))?;
            let rows = statement
                .query_map([limit], request_row)?
                .collect::<Result<Vec<_>, _>>()?;
            rows.into_iter().map(with_kind).collect()
        })
    }

    fn visitor_requests_of(&self, doc_id: &str) -> StorageResult<Vec<VisitorRequest>> {
        self.read(|conn| {
            let mut statement = conn.prepare_cached(&format!(
                "SELECT {REQUEST_COLUMNS} FROM {REQUESTS} WHERE v.doc_id = ?1
                 ORDER BY v.at, v.id"
            ))?;
            let rows = statement
                .query_map([doc_id], request_row)?
                .collect::<Result<Vec<_>, _>>()?;
            rows.into_iter().map(with_kind).collect()
        })
    }

    fn mark_visitor_request_handled(
        &self,
        id: i64,
        by: &str,
        at: i64,
    ) -> StorageResult<Option<VisitorRequest>> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        let request = tx
            .query_row(
                &format!(
                    "SELECT {REQUEST_COLUMNS} FROM {REQUESTS}
                     WHERE v.id = ?1 AND v.handled_at IS NULL"
                ),
                [id],
                request_row,
            )
            .optional()?
            .map(with_kind)
            .transpose()?;
        if request.is_some() {
            tx.execute(
                "UPDATE visitor_requests SET handled_at = ?2, handled_by = ?3 WHERE id = ?1",
                params![id, at, by],
            )?;
        }
        tx.commit()?;
        Ok(request)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::storage::prelude::*;
    use crate::storage::{IngestItem, capture_for_tests, enroll_for_tests, ingest_for_tests};

    /// A receipt HR withdrew after the newest backup stays withdrawn after a restore: the
    /// lifecycle journal replays it, and the capture a tablet sends again (the backup never
    /// held the record) is stored without its tag.
    #[test]
    fn a_restore_never_brings_back_a_receipt_hr_withdrew() {
        let dir = tempfile::tempdir().expect("tempdir");
        let database = dir.path().join("relay.sqlite3");
        let store = SqliteStore::open(&database).expect("opens");
        crate::state::store_demo_event(&store).expect("event");
        let backup = dir.path().join("before.backup");
        store.backup(&backup).expect("backs up");
        let key = ed25519_dalek::SigningKey::from_bytes(&[8; 32]).verifying_key();
        enroll_for_tests(
            &store,
            key.to_bytes(),
            kiosk_core::demo::DEMO_EVENT_ID,
            kiosk_core::protocol::enrollment::EnrolledRole::Kiosk,
            None,
        );
        let registration =
            kiosk_core::generator::RegistrationGenerator::new(kiosk_core::demo::demo_event(), 9)
                .next_registration()
                .expect("valid");
        let doc_id = registration.id.to_string();
        let mut item = capture_for_tests(&registration, &key);
        if let IngestItem::Store { receipt_tag, .. } = &mut item {
            *receipt_tag = Some([0x77; 32]);
        }
        ingest_for_tests(&store, key.to_bytes(), 1, 100, vec![item.clone()]);
        assert!(
            store
                .clear_receipt_tag(&doc_id, "hr:arkiv", 200)
                .expect("clears")
        );
        drop(store);

        let report = SqliteStore::restore(&backup, &database, 300).expect("restores");
        assert_eq!(report.replayed.receipt_withdrawals, 1);
        let store = SqliteStore::open(&database).expect("opens");
        enroll_for_tests(
            &store,
            key.to_bytes(),
            kiosk_core::demo::DEMO_EVENT_ID,
            kiosk_core::protocol::enrollment::EnrolledRole::Kiosk,
            None,
        );
        // The tablet sends its copy again: the record is back, its receipt is not.
        ingest_for_tests(&store, key.to_bytes(), 1, 400, vec![item]);
        assert!(
            store
                .registration_document(&doc_id)
                .expect("reads")
                .is_some()
        );
        assert!(!store.has_receipt_tag(&doc_id).expect("reads"));
        assert_eq!(
            store.record_by_receipt_tag(&[0x77; 32]).expect("reads"),
            None
        );
    }
}
