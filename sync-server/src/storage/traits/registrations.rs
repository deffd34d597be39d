//! Registrations as people at the relay reach them: reading one, lists and search, export
//! pages, HR's edits and the restricted inbox; each read logged in its own transaction.

use crate::storage::StorageResult;
use crate::storage::model::{
    Accessor, CaptureEvidence, ExportPage, HrEdit, HrEditOutcome, HrEditor, RegistrationFilter,
    RegistrationSummary, RestrictedRequest, StoredRegistration,
};

/// Registrations read, listed, exported and edited at the relay.
pub trait RegistrationStore {
    /// A stored registration's captured document bytes, for internal checks and tests;
    /// reads on behalf of people go through [`RegistrationStore::read_registration`], which logs.
    fn registration_document(&self, doc_id: &str) -> StorageResult<Option<Vec<u8>>>;

    /// The receipt code a stored registration was filed under (it came out of the seal;
    /// nothing recomputes it from the record).
    fn receipt_code(&self, doc_id: &str) -> StorageResult<Option<String>>;

    /// What registration `doc_id`'s capture signature is checked against, as stored (not
    /// logged: it shows nothing of the person; the record's read is logged by its reader).
    fn capture_evidence(&self, doc_id: &str) -> StorageResult<Option<CaptureEvidence>>;

    /// A stored registration with all its changes, for checking edits (not logged: nothing
    /// leaves the relay).
    fn stored_registration(&self, doc_id: &str) -> StorageResult<Option<StoredRegistration>>;

    /// A registration with all its changes, read on behalf of `reader` and written to the
    /// access log (only when it exists) before it is answered. For this and every other read
    /// that logs: the answer holds exactly what the log holds, and a record removed before
    /// the log entry is committed is answered as removed.
    fn read_registration(
        &self,
        doc_id: &str,
        reader: &Accessor,
        at: i64,
    ) -> StorageResult<Option<StoredRegistration>>;

    /// The registrations `filter` selects, in its order, each listed row logged as read by
    /// `reader` before it is answered.
    fn list_registrations(
        &self,
        filter: &RegistrationFilter,
        reader: &Accessor,
        at: i64,
    ) -> StorageResult<Vec<RegistrationSummary>>;

    /// How many registrations `filter` selects, its `after`, `offset` and `limit` aside.
    /// Not logged: a count names no one. A text search that would open more rows than a
    /// list may is refused as [`crate::storage::StorageError::SearchTooBroad`].
    fn count_registrations(&self, filter: &RegistrationFilter) -> StorageResult<u64>;

    /// The keys `(captured_at, doc_id)` of the page `filter` selects, in its order. Not
    /// logged: keys name no one, and they serve only to step from one record to the next
    /// within a list (the record stepped to is logged when it is read).
    fn registration_keys(&self, filter: &RegistrationFilter) -> StorageResult<Vec<(i64, String)>>;

    /// One page of a bulk export: up to `filter.limit` registrations `filter` selects after
    /// `filter.after`, newest first, never restricted ones (whatever `filter` says), each
    /// with its whole document, and each logged as exported by `reader` before it is
    /// answered.
    fn export_registrations(
        &self,
        filter: &RegistrationFilter,
        reader: &Accessor,
        at: i64,
    ) -> StorageResult<ExportPage>;

    /// Applies an HR user's edit (a note, their rating, the status) to a registration as
    /// `editor`'s own Automerge actor: the change joins the change log under the next commit
    /// number, so staff tablets pull it and lists show it, with a `change` entry in the
    /// access log, in one transaction. Nothing is written for a registration the relay does
    /// not hold, nor for an edit that changes nothing.
    fn apply_hr_edit(
        &self,
        doc_id: &str,
        edit: &HrEdit,
        editor: &HrEditor,
        at: i64,
    ) -> StorageResult<HrEditOutcome>;

    /// Up to `limit` restricted registrations of `events` (every event for `None`),
    /// uncontacted (status new) first, oldest first, each logged as listed by `reader`
    /// before it is answered.
    fn restricted_registrations(
        &self,
        events: Option<&[String]>,
        reader: &Accessor,
        at: i64,
        limit: u32,
    ) -> StorageResult<Vec<RegistrationSummary>>;

    /// Requests by users without the clearance that matched restricted records, for the
    /// users who hold it, newest first.
    fn restricted_requests(&self, limit: u32) -> StorageResult<Vec<RestrictedRequest>>;
}
