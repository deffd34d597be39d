//! [`RegistrationStore`] on PostgreSQL: registrations read, listed, exported and edited at the
//! relay. The SQL of lists lives in [`super::registration_index`], the restricted inbox's in
//! [`super::restricted_inbox`], HR edits in [`super::hr_edits`], and how a read is logged
//! (and kept from answering with a record removed meanwhile) in [`super::read_log`].
//!
//! A read runs in one read-only snapshot, then its log entries in a write transaction of
//! their own, as on SQLite: the rows a removal took between the two are dropped from the
//! answer.

use std::collections::HashMap;

use postgres::GenericClient;

use super::PgStore;
use super::{registration_index, restricted_inbox};
use crate::storage::StorageResult;
use crate::storage::model::{
    AccessAction, AccessEntry, Accessor, ExportPage, HrEdit, HrEditOutcome, HrEditor,
    RegistrationFilter, RegistrationSummary, RestrictedRequest, StoredRegistration,
};
use crate::storage::sqlite::registration_index::listed;
use crate::storage::traits::RegistrationStore;

/// A stored registration with all its changes in stored order (commit, then the order they
/// were stored in within it), read through `client`.
pub(super) fn stored_registration(
    client: &mut impl GenericClient,
    doc_id: &str,
) -> StorageResult<Option<StoredRegistration>> {
    let Some(record) = client.query_opt(
        "SELECT event_id, restricted, document FROM registrations WHERE doc_id = $1",
        &[&doc_id],
    )?
    else {
        return Ok(None);
    };
    let mut changes: Vec<u8> = record.try_get(2)?;
    for row in client.query(
        "SELECT change FROM registration_changes
         WHERE doc_id = $1 AND change IS NOT NULL ORDER BY commit_seq, id",
        &[&doc_id],
    )? {
        changes.extend_from_slice(row.try_get::<_, &[u8]>(0)?);
    }
    Ok(Some(StoredRegistration {
        event_id: record.try_get(0)?,
        restricted: record.try_get(1)?,
        changes,
    }))
}

/// [`stored_registration`] of each of `doc_ids` the store holds, in two queries whatever
/// their number (an export page's records).
pub(super) fn stored_registrations(
    client: &mut impl GenericClient,
    doc_ids: &[&str],
) -> StorageResult<HashMap<String, StoredRegistration>> {
    let mut records = HashMap::with_capacity(doc_ids.len());
    if doc_ids.is_empty() {
        return Ok(records);
    }
    for row in client.query(
        "SELECT doc_id, event_id, restricted, document FROM registrations
         WHERE doc_id = ANY($1)",
        &[&doc_ids],
    )? {
        records.insert(
            row.try_get(0)?,
            StoredRegistration {
                event_id: row.try_get(1)?,
                restricted: row.try_get(2)?,
                changes: row.try_get(3)?,
            },
        );
    }
    for row in client.query(
        "SELECT doc_id, change FROM registration_changes
         WHERE doc_id = ANY($1) AND change IS NOT NULL ORDER BY doc_id, commit_seq, id",
        &[&doc_ids],
    )? {
        let doc_id: &str = row.try_get(0)?;
        if let Some(record) = records.get_mut(doc_id) {
            record
                .changes
                .extend_from_slice(row.try_get::<_, &[u8]>(1)?);
        }
    }
    Ok(records)
}

impl RegistrationStore for PgStore {
    fn registration_document(&self, doc_id: &str) -> StorageResult<Option<Vec<u8>>> {
        self.read(|tx| {
            Ok(tx
                .query_opt(
                    "SELECT document FROM registrations WHERE doc_id = $1",
                    &[&doc_id],
                )?
                .map(|row| row.try_get(0))
                .transpose()?)
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

    fn read_registration(
        &self,
        doc_id: &str,
        reader: &Accessor,
        at: i64,
    ) -> StorageResult<Option<StoredRegistration>> {
        let Some(record) = self.read(|tx| stored_registration(tx, doc_id))? else {
            return Ok(None);
        };
        let entry = AccessEntry {
            at,
            accessor: reader.clone(),
            action: AccessAction::Read,
            doc_id: doc_id.to_owned(),
        };
        // Removed since the read: answered as a removed record is, with nothing.
        let removed = self.log_reads(std::slice::from_ref(&entry))?;
        Ok((!removed.contains(doc_id)).then_some(record))
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
            |filter| self.read(|tx| registration_index::list(tx, filter)),
            |entries| self.log_reads(entries),
        )
    }

    fn export_registrations(
        &self,
        filter: &RegistrationFilter,
        reader: &Accessor,
        at: i64,
    ) -> StorageResult<ExportPage> {
        let page = self.read(|tx| registration_index::export_page(tx, filter))?;
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
