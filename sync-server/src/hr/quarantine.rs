//! Quarantine review for archivists: the captures kept apart at ingest (authentic, but from
//! a revoked or expired tablet, or failing a later check), listed without personal data,
//! and one final decision on each: *accept* merges the capture into the registrations as
//! if it had passed ingest, *keep apart* leaves it in quarantine for good. Both record the
//! reason, the reviewer and the time, and are access-logged. The JSON routes
//! ([`crate::hr::quarantine_api`]) and the console's quarantine page both call
//! [`review_capture`]; it asks the policy itself and returns [`HrError`]s.
//!
//! A capture is accepted only if it is one: a seal this relay opens, whose capture
//! signature verifies against the tablet that sent it, holding one change by that tablet
//! that opens a registration of the event the tablet was enrolled for, valid against that
//! event's form (the capture checks of `crate::ingest`, less the tablet's standing, which
//! is what the reviewer judges). Otherwise the answer is 409 `cannot_accept` naming why,
//! and the capture can still be kept apart.

use kiosk_core::capture::SealError;
use kiosk_core::protocol::enrollment::EnrolledRole;

use crate::hr::accounts::HrUser;
use crate::hr::error::{Conflict, Denial, HrError, HrResult, Missing, StorageContext};
use crate::hr::policy::may_review_quarantine;
use crate::ingest::{check_capture_change, stored_capture, valid_capture};
use crate::keys::RelayKeys;
use crate::state::now_ms;
use crate::storage::{
    AcceptedCapture, AccessAction, AccessEntry, Accessor, QuarantinedCapture, RelayStore,
    ReviewAction, ReviewOutcome,
};

/// Why a quarantined capture cannot be accepted (defined with HR's errors, which carry it).
pub use crate::hr::error::AcceptRefusal;

/// Captures per page of the list.
pub(crate) const PAGE: u32 = 100;
/// The longest reason a reviewer gives, in characters.
pub const MAX_REASON_CHARS: usize = 500;

/// A reviewer's decision as the API and the console's form name it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Decision {
    Accept,
    KeepApart,
}

impl Decision {
    pub(crate) fn parse(text: &str) -> HrResult<Decision> {
        match text {
            "accept" => Ok(Decision::Accept),
            "keep_apart" => Ok(Decision::KeepApart),
            _ => Err(HrError::InvalidField {
                field: "decision",
                rule: "accept or keep_apart",
            }),
        }
    }
}

/// `reason` trimmed, if it is 1–500 characters with no control characters but line breaks
/// and tabs; a 422 naming `reason` if not.
pub(crate) fn checked_reason(reason: &str) -> HrResult<String> {
    let reason = reason.trim();
    let chars = reason.chars().count();
    let clean = !reason
        .chars()
        .any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'));
    if (1..=MAX_REASON_CHARS).contains(&chars) && clean {
        Ok(reason.to_owned())
    } else {
        Err(HrError::InvalidField {
            field: "reason",
            rule: "a reason is 1–500 characters",
        })
    }
}

/// What accepting capture `capture` would store, if the kept bytes are an acceptable
/// capture (see the module docs).
fn acceptable(
    store: &dyn RelayStore,
    keys: &RelayKeys,
    capture: &QuarantinedCapture,
    kept: &[u8],
) -> HrResult<AcceptedCapture> {
    let refuse = |why: AcceptRefusal| Err(HrError::from(why));
    let opened = match keys.open(kept) {
        Ok(opened) => opened,
        Err(SealError::BadCaptureSignature | SealError::DocumentMismatch) => {
            return refuse(AcceptRefusal::BadSignature);
        }
        Err(_) => return refuse(AcceptRefusal::NotASealedCapture),
    };
    let payload = &opened.payload;
    let device = payload.device_id.public_key();
    let Some(device) = device.filter(|key| key.to_bytes() == capture.device_key) else {
        return refuse(AcceptRefusal::OtherDevice);
    };
    // What a kiosk could not have sent stays apart, whoever reviews it: a staff tablet
    // never creates registrations.
    let sender = store
        .device(&capture.device_key)
        .context("reading the tablet that sent a capture")?;
    if sender.is_none_or(|record| record.role != EnrolledRole::Kiosk) {
        return refuse(AcceptRefusal::NotAKiosk);
    }
    let mut document = opened.document;
    let registration = opened.registration;
    if registration.capturing_device != payload.device_id {
        return refuse(AcceptRefusal::OtherDevice);
    }
    if payload.doc_id.as_str() != capture.doc_id
        || check_capture_change(&mut document, &device).is_err()
    {
        return refuse(AcceptRefusal::NotACapture);
    }
    if capture.event_id.as_deref() != Some(registration.event_id.as_str()) {
        return refuse(AcceptRefusal::OtherEvent);
    }
    let Some(event) = store
        .event(&registration.event_id)
        .context("reading a capture's event")?
    else {
        return refuse(AcceptRefusal::UnknownEvent);
    };
    if !valid_capture(&document, &registration, &event) {
        return refuse(AcceptRefusal::InvalidRegistration);
    }
    Ok(stored_capture(keys, payload, &registration))
}

/// Records `user`'s final decision on quarantined capture `id` with `reason` (as typed)
/// and returns the capture as reviewed, if `user` may review quarantine. Blocking.
pub(crate) fn review_capture(
    store: &dyn RelayStore,
    keys: &RelayKeys,
    user: &HrUser,
    id: u64,
    decision: Decision,
    reason: &str,
) -> HrResult<QuarantinedCapture> {
    may_review_quarantine(user)?;
    let reason = checked_reason(reason)?;
    let (capture, kept) = store
        .quarantined_capture(id)
        .context("reading a quarantined capture")?
        .ok_or(Missing::Quarantine)?;
    if capture.review.is_some() {
        return Err(Conflict::AlreadyReviewed.into());
    }
    // A restricted capture is decided only by someone who may see it, so no decision is
    // taken blind; the refusal is logged as a refused read would be.
    if !user.restricted_clearance
        && keys
            .open(&kept)
            .is_ok_and(|opened| opened.registration.restricted)
    {
        store
            .log_access(&AccessEntry {
                at: now_ms(),
                accessor: Accessor::Operator(user.accessor_name()),
                action: AccessAction::ReadRefused,
                doc_id: capture.doc_id.clone(),
            })
            .context("logging a refused review")?;
        return Err(Denial::Restricted.into());
    }
    let action = match decision {
        Decision::Accept => ReviewAction::Accept(acceptable(store, keys, &capture, &kept)?),
        Decision::KeepApart => ReviewAction::KeepApart,
    };
    let by = Accessor::Operator(user.accessor_name());
    let outcome = store
        .review_quarantined(id, &action, &reason, &user.username, &by, now_ms())
        .context("recording a quarantine review")?;
    match outcome {
        ReviewOutcome::Recorded => {}
        ReviewOutcome::Unknown => return Err(Missing::Quarantine.into()),
        ReviewOutcome::AlreadyReviewed => return Err(Conflict::AlreadyReviewed.into()),
        ReviewOutcome::AlreadyStored => {
            return Err(AcceptRefusal::AlreadyStored.into());
        }
        ReviewOutcome::Removed => return Err(AcceptRefusal::Removed.into()),
    }
    Ok(store
        .quarantined_capture(id)
        .context("reading a quarantined capture")?
        .ok_or(Missing::Quarantine)?
        .0)
}

/// The page of the list before capture `before` (from the newest without it), and the
/// cursor of the next page if there may be one, if `user` may review quarantine. Blocking.
pub(crate) fn list_page(
    store: &dyn RelayStore,
    user: &HrUser,
    before: Option<u64>,
) -> HrResult<(Vec<QuarantinedCapture>, Option<u64>)> {
    may_review_quarantine(user)?;
    let captures = store
        .quarantined_captures(before, PAGE)
        .context("listing quarantined captures")?;
    let next = (captures.len() == PAGE as usize)
        .then(|| captures.last().map(|c| c.id))
        .flatten();
    Ok((captures, next))
}
