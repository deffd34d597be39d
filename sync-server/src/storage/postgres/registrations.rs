//! [`RegistrationStore`] on PostgreSQL: registrations read, listed, exported and edited at the relay.
//!
//! PLACEHOLDERS: every method is `todo!` until its SQL is ported from the SQLite store.

use crate::storage::StorageResult;
use crate::storage::model::{
    Accessor, ExportPage, HrEdit, HrEditOutcome, HrEditor, RegistrationFilter, RegistrationSummary,
    RestrictedRequest, StoredRegistration,
};

use super::PgStore;
use crate::storage::traits::RegistrationStore;

#[allow(unused_variables, clippy::todo)]
impl RegistrationStore for PgStore {
    fn registration_document(&self, doc_id: &str) -> StorageResult<Option<Vec<u8>>> {
        todo!("postgres: RegistrationStore::registration_document")
    }

    fn receipt_code(&self, doc_id: &str) -> StorageResult<Option<String>> {
        todo!("postgres: RegistrationStore::receipt_code")
    }

    fn stored_registration(&self, doc_id: &str) -> StorageResult<Option<StoredRegistration>> {
        todo!("postgres: RegistrationStore::stored_registration")
    }

    fn read_registration(
        &self,
        doc_id: &str,
        reader: &Accessor,
        at: i64,
    ) -> StorageResult<Option<StoredRegistration>> {
        todo!("postgres: RegistrationStore::read_registration")
    }

    fn list_registrations(
        &self,
        filter: &RegistrationFilter,
        reader: &Accessor,
        at: i64,
    ) -> StorageResult<Vec<RegistrationSummary>> {
        todo!("postgres: RegistrationStore::list_registrations")
    }

    fn export_registrations(
        &self,
        filter: &RegistrationFilter,
        reader: &Accessor,
        at: i64,
    ) -> StorageResult<ExportPage> {
        todo!("postgres: RegistrationStore::export_registrations")
    }

    fn apply_hr_edit(
        &self,
        doc_id: &str,
        edit: &HrEdit,
        editor: &HrEditor,
        at: i64,
    ) -> StorageResult<HrEditOutcome> {
        todo!("postgres: RegistrationStore::apply_hr_edit")
    }

    fn restricted_registrations(
        &self,
        events: Option<&[String]>,
        reader: &Accessor,
        at: i64,
        limit: u32,
    ) -> StorageResult<Vec<RegistrationSummary>> {
        todo!("postgres: RegistrationStore::restricted_registrations")
    }

    fn restricted_requests(&self, limit: u32) -> StorageResult<Vec<RestrictedRequest>> {
        todo!("postgres: RegistrationStore::restricted_requests")
    }
}
