//! What a quarantined capture holds, for the archivist who decides on it: the seal opened
//! with the relay's key and the registration read from it, under the rules of a stored
//! record. Only quarantine reviewers see it ([`may_review_quarantine`]); a capture of a
//! visitor with protected personal data opens only for a reviewer with that clearance; and
//! every view is access-logged under the capture's registration id (`read`, or
//! `read_refused` when the clearance is missing), before anything is shown.
//!
//! Opening here checks nothing of the capture's standing: that is the decision's work
//! ([`crate::hr::quarantine::review_capture`]). What does not open says why, in the terms
//! of a refused acceptance.

use kiosk_core::capture::SealError;
use kiosk_core::event::Event;
use kiosk_core::registration::Registration;

use crate::hr::accounts::HrUser;
use crate::hr::error::{AcceptRefusal, HrResult, Missing, StorageContext};
use crate::hr::policy::may_review_quarantine;
use crate::keys::RelayKeys;
use crate::state::now_ms;
use crate::storage::{AccessAction, AccessEntry, Accessor, QuarantinedCapture, RelayStore};

/// What the reviewer is shown of a capture's content.
#[derive(Debug)]
pub(crate) enum CaptureContent {
    /// The registration as the visitor gave it, and its event (for the labels), if the
    /// relay knows it.
    Shown {
        registration: Box<Registration>,
        event: Option<Box<Event>>,
    },
    /// A visitor with protected personal data, and a reviewer without the clearance.
    Withheld,
    /// The kept bytes do not open as a capture of this relay.
    Unreadable(AcceptRefusal),
}

/// A quarantined capture with what its reviewer may see of it.
#[derive(Debug)]
pub(crate) struct CaptureForReview {
    pub capture: QuarantinedCapture,
    pub content: CaptureContent,
}

/// Capture `id` for `user`'s review, its view access-logged. Blocking (opens a seal).
pub(crate) fn capture_for_review(
    store: &dyn RelayStore,
    keys: &RelayKeys,
    user: &HrUser,
    id: u64,
) -> HrResult<CaptureForReview> {
    may_review_quarantine(user)?;
    let (capture, kept) = store
        .quarantined_capture(id)
        .context("reading a quarantined capture")?
        .ok_or(Missing::Quarantine)?;
    // The ring: a capture sealed to the keys before a rotation still opens.
    let opened = match keys.open(&kept) {
        Ok(opened) => opened,
        Err(SealError::BadCaptureSignature | SealError::DocumentMismatch) => {
            return Ok(CaptureForReview {
                capture,
                content: CaptureContent::Unreadable(AcceptRefusal::BadSignature),
            });
        }
        Err(_) => {
            return Ok(CaptureForReview {
                capture,
                content: CaptureContent::Unreadable(AcceptRefusal::NotASealedCapture),
            });
        }
    };
    let registration = opened.registration;
    let cleared = !registration.restricted || user.restricted_clearance;
    // Logged before anything is shown: a view that cannot be logged shows nothing.
    store
        .log_access(&AccessEntry {
            at: now_ms(),
            accessor: Accessor::Operator(user.accessor_name()),
            action: if cleared {
                AccessAction::Read
            } else {
                AccessAction::ReadRefused
            },
            doc_id: capture.doc_id.clone(),
        })
        .context("logging a view of a quarantined capture")?;
    if !cleared {
        return Ok(CaptureForReview {
            capture,
            content: CaptureContent::Withheld,
        });
    }
    let event = store
        .event(&registration.event_id)
        .context("reading a capture's event")?;
    Ok(CaptureForReview {
        capture,
        content: CaptureContent::Shown {
            registration: Box::new(registration),
            event: event.map(Box::new),
        },
    })
}
