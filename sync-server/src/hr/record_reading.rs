//! Reading one registration as HR sees it, for the JSON API and the console alike: the
//! record, its notes, ratings and status, and where it stands (due date, hold, a
//! talent-pool withdrawal, and whether its capture signature verifies, checked as it is
//! read: [`crate::rules::capture_check`]). The read is access-logged in the same commit as it is made;
//! a refused attempt is logged and shows nothing ([`crate::hr::record_access`]). Errors
//! are [`HrError`]s; the handlers answer them.

use kiosk_core::annotations::Annotations;
use kiosk_core::documents::RegistrationDocument;
use kiosk_core::event::Event;
use kiosk_core::registration::Registration;

use crate::hr::accounts::HrUser;
use crate::hr::error::{HrError, HrResult, Missing, StorageContext};
use crate::hr::policy::{may_edit, may_read, require_editor};
use crate::hr::record_access::reachable_record;
use crate::rules::capture_check::{CaptureCheck, check_capture};
use crate::state::now_ms;
use crate::storage::{Accessor, RecordRetention, RelayStore};

/// Registration `doc_id` with its notes, ratings and status, if `user` may read it; the
/// read, or the refused attempt, is access-logged. Blocking. The caller has asked
/// [`crate::hr::policy::require_reader`].
pub(crate) fn read_logged(
    store: &dyn RelayStore,
    user: &HrUser,
    doc_id: &str,
) -> HrResult<(Registration, Annotations)> {
    reachable_record(store, user, doc_id, may_read)?;
    let accessor = Accessor::Operator(user.accessor_name());
    // Read again through the logging read, so the read and its entry are one commit.
    let stored = store
        .read_registration(doc_id, &accessor, now_ms())
        .context("reading a registration with its access-log entry")?
        .ok_or(Missing::Registration)?;
    let (document, registration) = RegistrationDocument::load_unattributed(&stored.changes)
        .map_err(|source| HrError::Document {
            context: "reading a stored registration's document",
            source,
        })?;
    let annotations = document.annotations().map_err(|source| HrError::Document {
        context: "reading a stored registration's annotations",
        source,
    })?;
    Ok((registration, annotations))
}

/// A record as a reader sees it: [`read_logged`]'s record and where it stands.
#[derive(Debug)]
pub(crate) struct RecordView {
    pub registration: Registration,
    pub annotations: Annotations,
    /// Its due date, hold and talent-pool withdrawal, once the relay has set them.
    pub retention: Option<RecordRetention>,
    /// Whether its capture signature verifies over what the store holds now.
    pub capture: CaptureCheck,
}

impl RecordView {
    /// Whether the visitor is in the talent pool: they opted in and have not withdrawn,
    /// whatever the document's opt-in still says.
    pub fn in_talent_pool(&self) -> bool {
        self.registration.consents.talent_pool.is_some()
            && self
                .retention
                .as_ref()
                .is_none_or(|r| r.talent_pool_withdrawn_at.is_none())
    }
}

/// [`RecordView`] of registration `doc_id` for `user`, logged as [`read_logged`]. Blocking.
pub(crate) fn read_record(
    store: &dyn RelayStore,
    user: &HrUser,
    doc_id: &str,
) -> HrResult<RecordView> {
    let (registration, annotations) = read_logged(store, user, doc_id)?;
    let retention = store
        .record_retention(doc_id)
        .context("reading a record's retention")?;
    let capture = capture_of(store, doc_id)?;
    Ok(RecordView {
        registration,
        annotations,
        retention,
        capture,
    })
}

/// Whether registration `doc_id`'s capture signature verifies over what is stored now. A
/// record gone since it was read has nothing to check: its page says no signature is held.
fn capture_of(store: &dyn RelayStore, doc_id: &str) -> HrResult<CaptureCheck> {
    Ok(store
        .capture_evidence(doc_id)
        .context("reading a record's capture signature")?
        .map_or(CaptureCheck::NoSignature, |evidence| {
            check_capture(doc_id, &evidence)
        }))
}

/// What the console's record page shows besides the [`RecordView`]: the event that labels
/// its answers, whether the reader may edit it, and its receipt code.
#[derive(Debug)]
pub(crate) struct RecordPage {
    pub view: RecordView,
    /// `None` if missing or unreadable: it only labels codes.
    pub event: Option<Event>,
    pub editable: bool,
    pub receipt_code: String,
    /// The capturing tablet by the name HR gave it and its fingerprint.
    pub capturing_tablet: String,
    /// Seen before, and asked not to be contacted ([`crate::hr::duplicates`]).
    pub contact_flags: crate::hr::duplicates::ContactFlags,
}

/// [`RecordPage`] of registration `doc_id` for `user`. Blocking.
pub(crate) fn record_page(
    store: &dyn RelayStore,
    index_keys: &crate::rules::blind_index::BlindIndexKeys,
    user: &HrUser,
    doc_id: &str,
) -> HrResult<RecordPage> {
    let view = read_record(store, user, doc_id)?;
    let contact_flags = crate::hr::duplicates::flags(
        store,
        index_keys,
        user,
        doc_id,
        &view.registration,
        now_ms(),
        crate::hr::duplicates::SeenBefore::All,
    )?;
    let editable = can_edit(store, user, doc_id);
    let event = store.event(&view.registration.event_id).ok().flatten();
    let receipt_code = store
        .receipt_code(doc_id)
        .context("reading a receipt code")?
        .unwrap_or_default();
    let capturing_tablet = crate::hr::device_names::DeviceLabels::new(store)
        .label_hex(view.registration.capturing_device.as_str());
    Ok(RecordPage {
        view,
        event,
        editable,
        receipt_code,
        capturing_tablet,
        contact_flags,
    })
}

/// Whether `user` may edit registration `doc_id` (the console shows its forms only then);
/// nothing is logged, since nothing of the record is shown or changed by asking.
pub(crate) fn can_edit(store: &dyn RelayStore, user: &HrUser, doc_id: &str) -> bool {
    require_editor(user).is_ok()
        && matches!(
            store.stored_registration(doc_id),
            Ok(Some(stored)) if may_edit(store, user, &stored.event_id, stored.restricted).is_ok()
        )
}
