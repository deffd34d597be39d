//! The visitor's receipt: the key its tags are made under, finding a record by its tag,
//! HR withdrawing a receipt, and the visitor's requests in the archivists' queue. Access
//! logging is the caller's ([`crate::visitor_receipt`], [`crate::hr`]).

use crate::storage::StorageResult;
use crate::storage::model::{
    ReceiptRecord, VisitorRequest, VisitorRequestAdded, VisitorRequestKind,
};

/// Receipt tags and visitor requests.
pub trait VisitorReceiptStore {
    /// Records `fingerprint` as the receipt key's if none is recorded yet; `true` if the
    /// recorded one is `fingerprint` (the stored tags were made under this key).
    fn bind_receipt_key(&self, fingerprint: &[u8; 32]) -> StorageResult<bool>;

    /// Records `fingerprint` in place of the one recorded (a relay of its own restored
    /// without the key export): the tags made before no longer match anything.
    fn rebind_receipt_key(&self, fingerprint: &[u8; 32]) -> StorageResult<()>;

    /// The held record whose receipt tag is `tag`: one lookup, whatever it finds.
    fn record_by_receipt_tag(&self, tag: &[u8; 32]) -> StorageResult<Option<ReceiptRecord>>;

    /// Clears record `doc_id`'s receipt tag (HR user `by` withdrew the receipt at `at`),
    /// and records the withdrawal so that neither a capture sent again nor a restore brings
    /// it back; `true` if it had one.
    fn clear_receipt_tag(&self, doc_id: &str, by: &str, at: i64) -> StorageResult<bool>;

    /// Whether record `doc_id` holds a receipt tag (HR's record page offers to withdraw it).
    fn has_receipt_tag(&self, doc_id: &str) -> StorageResult<bool>;

    /// Adds a visitor's request about record `doc_id` to the queue, unless one of the same
    /// kind about it is open (then nothing is added), or the record is not held (removed
    /// meanwhile). One step: two at once add one request.
    fn add_visitor_request(
        &self,
        doc_id: &str,
        kind: VisitorRequestKind,
        text: Option<&str>,
        at: i64,
    ) -> StorageResult<VisitorRequestAdded>;

    /// Up to `limit` requests, oldest first: only those not handled yet when `open_only`.
    fn visitor_requests(&self, open_only: bool, limit: u32) -> StorageResult<Vec<VisitorRequest>>;

    /// Record `doc_id`'s requests, oldest first.
    fn visitor_requests_of(&self, doc_id: &str) -> StorageResult<Vec<VisitorRequest>>;

    /// Marks request `id` handled by `by` (`hr:<username>`) at `at`; the request as it was
    /// before, if it was held and open.
    fn mark_visitor_request_handled(
        &self,
        id: i64,
        by: &str,
        at: i64,
    ) -> StorageResult<Option<VisitorRequest>>;
}
