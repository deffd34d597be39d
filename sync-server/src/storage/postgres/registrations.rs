//! [`RegistrationStore`] on PostgreSQL: registrations read, listed, exported and edited at the
//! relay. The SQL of lists lives in [`super::registration_index`], the restricted inbox's in
//! [`super::restricted_inbox`], HR edits in [`super::hr_edits`], and how a read is logged
//! (and kept from answering with a record removed meanwhile) in [`super::read_log`].
//!
//! A read runs in one read-only snapshot, then its log entries in a write transaction of
//! their own, as on SQLite: the rows a removal took between the two are dropped from the
//! answer.

use super::PgStore;
use super::record_keys::stored_key;
use super::record_seal::Field;
use super::stored_records::stored_registration;
use super::{registration_index, restricted_inbox};
use crate::storage::logged_reads::listed;
use crate::storage::model::{
    Accessor, CaptureEvidence, ExportPage, HrEdit, HrEditOutcome, HrEditor, RegistrationFilter,
    RegistrationSummary, RestrictedRequest, StoredRegistration,
};
use crate::storage::traits::RegistrationStore;
use crate::storage::{StorageError, StorageResult};

impl RegistrationStore for PgStore {
    fn registration_document(&self, doc_id: &str) -> StorageResult<Option<Vec<u8>>> {
        self.read(|tx| {
            tx.query_opt(
                "SELECT r.document, k.key
                 FROM registrations r LEFT JOIN record_keys k ON k.doc_id = r.doc_id
                 WHERE r.doc_id = $1",
                &[&doc_id],
            )?
            .map(|row| stored_key(row.try_get(1)?)?.open(doc_id, Field::Document, row.try_get(0)?))
            .transpose()
        })
    }

    fn receipt_code(&self, doc_id: &str) -> StorageResult<Option<String>> {
        self.read(|tx| {
            Ok(tx
                .query_opt(
                    "SELECT receipt_code FROM registrations WHERE doc_id = $1",
                    &[&doc_id],
                )?
                .map(|row| row.try_get(0))
                .transpose()?)
        })
    }

    fn stored_registration(&self, doc_id: &str) -> StorageResult<Option<StoredRegistration>> {
        self.read(|tx| stored_registration(tx, doc_id))
    }

    fn capture_evidence(&self, doc_id: &str) -> StorageResult<Option<CaptureEvidence>> {
        self.read(|tx| {
            let Some(row) = tx.query_opt(
                "SELECT r.device_key, r.document, r.change_hashes, r.capture_signature, k.key,
                        r.certified_at
                 FROM registrations r LEFT JOIN record_keys k ON k.doc_id = r.doc_id
                 WHERE r.doc_id = $1",
                &[&doc_id],
            )?
            else {
                return Ok(None);
            };
            // A document that no longer opens under its record's key was altered (or its key
            // was): it is answered empty, which no signature covers, so the check says the
            // record does not verify instead of the page failing.
            let document =
                match stored_key(row.try_get(4)?)?.open(doc_id, Field::Document, row.try_get(1)?) {
                    Ok(document) => document,
                    Err(StorageError::Undecodable(_)) => Vec::new(),
                    Err(other) => return Err(other),
                };
            Ok(Some(CaptureEvidence {
                device_key: row.try_get(0)?,
                document,
                change_hashes: row.try_get(2)?,
                capture_signature: row.try_get(3)?,
                certified_at: row.try_get(5)?,
            }))
        })
    }

    fn read_registration(
        &self,
        doc_id: &str,
        reader: &Accessor,
        at: i64,
    ) -> StorageResult<Option<StoredRegistration>> {
        let read = self.read(|tx| stored_registration(tx, doc_id))?;
        crate::storage::logged_reads::record(read, doc_id, reader, at, |entries| {
            self.log_reads(entries)
        })
    }

    fn list_registrations(
        &self,
        filter: &RegistrationFilter,
        reader: &Accessor,
        at: i64,
    ) -> StorageResult<Vec<RegistrationSummary>> {
        crate::storage::logged_reads::list_page(
            filter,
            reader,
            at,
            |filter| self.read(|tx| registration_index::list(tx, filter, self.email_tags())),
            |entries| self.log_reads(entries),
        )
    }

    fn count_registrations(&self, filter: &RegistrationFilter) -> StorageResult<u64> {
        self.read(|tx| registration_index::count(tx, filter, self.email_tags()))
    }

    fn registration_keys(&self, filter: &RegistrationFilter) -> StorageResult<Vec<(i64, String)>> {
        self.read(|tx| registration_index::keys(tx, filter, self.email_tags()))
    }

    fn export_registrations(
        &self,
        filter: &RegistrationFilter,
        reader: &Accessor,
        at: i64,
    ) -> StorageResult<ExportPage> {
        let page =
            self.read(|tx| registration_index::export_page(tx, filter, self.email_tags()))?;
        crate::storage::logged_reads::export_page(page, reader, at, |entries| {
            self.log_reads(entries)
        })
    }

    fn apply_hr_edit(
        &self,
        doc_id: &str,
        edit: &HrEdit,
        editor: &HrEditor,
        at: i64,
    ) -> StorageResult<HrEditOutcome> {
        self.apply_edit(doc_id, edit, editor, at)
    }

    fn restricted_registrations(
        &self,
        events: Option<&[String]>,
        reader: &Accessor,
        at: i64,
        limit: u32,
    ) -> StorageResult<Vec<RegistrationSummary>> {
        let rows = self.read(|tx| restricted_inbox::list(tx, events, limit))?;
        let removed = self.log_reads(&listed(&rows, reader, at))?;
        Ok(rows
            .into_iter()
            .filter(|row| !removed.contains(&row.id))
            .collect())
    }

    fn restricted_requests(&self, limit: u32) -> StorageResult<Vec<RestrictedRequest>> {
        self.read(|tx| restricted_inbox::requests(tx, limit))
    }
}
