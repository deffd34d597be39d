//! What HR does with visitors' receipts: the archivists' queue of requests visitors made
//! from their receipt page (a registerutdrag, a correction), marking one handled, and
//! withdrawing a record's receipt (a visitor who lost a photographed receipt). Archivists
//! only; a request about a restricted record is shown only to a cleared archivist. Every
//! change is access-logged. Blocking; the console ([`crate::hr::console::visitor_receipt`])
//! and the API ([`crate::hr::visitor_requests_api`]) call these.

use kiosk_core::receipt::ReceiptSecret;

use crate::hr::accounts::HrUser;
use crate::hr::error::{HrResult, StorageContext};
use crate::hr::policy::{may_read, require_holder, sees_restricted};
use crate::hr::record_access::reachable_record;
use crate::keys::RelayKeys;
use crate::state::now_ms;
use crate::storage::{AccessAction, AccessEntry, Accessor, RelayStore, VisitorRequest};

/// Requests a queue page shows at most.
pub const QUEUE_LIMIT: u32 = 500;

/// The open requests `user` may see, oldest first (archivists; restricted records' only
/// with the clearance). No personal data: record, reference, kind and date; a correction's
/// text is read on its record's page.
pub(crate) fn open_requests(
    store: &dyn RelayStore,
    user: &HrUser,
) -> HrResult<Vec<VisitorRequest>> {
    require_holder(user)?;
    let requests = store
        .visitor_requests(true, QUEUE_LIMIT)
        .context("reading the visitor requests")?;
    Ok(requests
        .into_iter()
        .filter(|r| !r.restricted || sees_restricted(user))
        .collect())
}

/// Marks request `id` handled by `user`, logged as a change of its record; `false` if it
/// was handled already (or is not one `user` may see).
pub(crate) fn mark_handled(store: &dyn RelayStore, user: &HrUser, id: i64) -> HrResult<bool> {
    require_holder(user)?;
    let visible = open_requests(store, user)?.into_iter().any(|r| r.id == id);
    if !visible {
        return Ok(false);
    }
    let at = now_ms();
    let Some(request) = store
        .mark_visitor_request_handled(id, &user.accessor_name(), at)
        .context("marking a visitor request handled")?
    else {
        return Ok(false);
    };
    store
        .log_access(&AccessEntry {
            at,
            accessor: Accessor::Operator(user.accessor_name()),
            action: AccessAction::Change,
            doc_id: request.doc_id,
        })
        .context("logging a visitor request handled")?;
    Ok(true)
}

/// Record `doc_id`'s receipt state for its page, if `user` (an archivist) may read it:
/// whether its receipt works, and the visitors' requests about it with their texts.
pub(crate) fn receipt_state(
    store: &dyn RelayStore,
    user: &HrUser,
    doc_id: &str,
) -> HrResult<Option<(bool, Vec<VisitorRequest>)>> {
    if require_holder(user).is_err() {
        return Ok(None);
    }
    let has_tag = store
        .has_receipt_tag(doc_id)
        .context("reading a record's receipt")?;
    let requests = store
        .visitor_requests_of(doc_id)
        .context("reading a record's visitor requests")?;
    Ok(Some((has_tag, requests)))
}

/// Withdraws record `doc_id`'s receipt (archivists who may read it): its tag is cleared,
/// so the receipt answers as a wrong one from then on; logged as a change. `false` if it
/// had none (withdrawn before, or captured before receipts).
pub(crate) fn withdraw_receipt(
    store: &dyn RelayStore,
    user: &HrUser,
    doc_id: &str,
) -> HrResult<bool> {
    require_holder(user)?;
    reachable_record(store, user, doc_id, may_read)?;
    let at = now_ms();
    let cleared = store
        .clear_receipt_tag(doc_id, &user.accessor_name(), at)
        .context("withdrawing a receipt")?;
    if cleared {
        store
            .log_access(&AccessEntry {
                at,
                accessor: Accessor::Operator(user.accessor_name()),
                action: AccessAction::Change,
                doc_id: doc_id.to_owned(),
            })
            .context("logging a receipt withdrawn")?;
    }
    Ok(cleared)
}

/// A visitor's full receipt code (27 symbols), typed where HR finds records by a receipt
/// code (subject access, disclosure): the short reference (the 8-character receipt code)
/// of the record its tag finds. `None` if `typed` is no full receipt code (the caller reads
/// it as a short one); `Some(None)` if it finds no record. Nothing is logged here: the
/// search it feeds logs what it shows.
pub(crate) fn reference_of_full_receipt(
    store: &dyn RelayStore,
    keys: &RelayKeys,
    typed: &str,
) -> HrResult<Option<Option<String>>> {
    let Some(secret) = ReceiptSecret::parse(typed.trim()) else {
        return Ok(None);
    };
    let tag = keys.receipt.tag(&secret.hash());
    let Some(record) = store
        .record_by_receipt_tag(&tag)
        .context("finding a record by its receipt")?
    else {
        return Ok(Some(None));
    };
    Ok(Some(
        store
            .receipt_code(&record.doc_id)
            .context("reading a record's reference")?,
    ))
}

/// The records of a disclosure request as typed, each visitor's full receipt code replaced
/// by the id of the record its tag finds (ids and short codes are left as typed). A full
/// code that finds no record, or a restricted one `user` may not know of, is refused alike,
/// naming the field only (never the code).
pub(crate) fn resolve_full_receipts(
    store: &dyn RelayStore,
    keys: &RelayKeys,
    user: &HrUser,
    records: &mut [String],
) -> HrResult<()> {
    for text in records.iter_mut() {
        let Some(secret) = ReceiptSecret::parse(text.trim()) else {
            continue;
        };
        let tag = keys.receipt.tag(&secret.hash());
        let found = store
            .record_by_receipt_tag(&tag)
            .context("finding a record by its receipt")?
            .filter(|record| !record.restricted || sees_restricted(user));
        match found {
            Some(record) => *text = record.doc_id,
            None => {
                return Err(crate::hr::error::HrError::InvalidField {
                    field: "records",
                    rule: "no registration holds this receipt code / ingen registrering har \
                           den här kvittokoden",
                });
            }
        }
    }
    Ok(())
}
