//! Quarantine, not loss: what happens to a capture that reaches the store. A removal is
//! never taken back; the same capture again from the same tablet is a retry, merged
//! idempotently; any other capture under an id the relay already holds is a conflict, kept
//! in quarantine for HR review (not merged, not dropped); a new id is stored. A capture
//! ingest's checks already flagged is kept in quarantine unless its record was removed.
//! An archivist's acceptance of a quarantined capture follows the same order.
//!
//! Whether a quarantined copy is kept once per distinct payload is the store's to answer;
//! the decision here says only whether it is kept.

use kiosk_core::protocol::ErrorCode;

/// A capture as the decision compares it: the changes it holds and the tablet that sent it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Capture<'a> {
    pub change_hashes: &'a [[u8; 32]],
    pub device_key: &'a [u8],
}

/// What the store does with a pushed capture.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CaptureDecision {
    /// The record was removed: nothing is stored, and the tablet is told so.
    Removed,
    /// The relay holds this very capture from this tablet: nothing new, answered with what
    /// it holds.
    Retry,
    /// Kept apart for HR review under this code.
    Quarantine(ErrorCode),
    /// A new record.
    Store,
}

/// The decision for `incoming`, a capture that passed ingest's checks, given whether its
/// id was removed and the capture the relay holds under that id, if any.
pub fn decide_capture(
    removed: bool,
    held: Option<Capture<'_>>,
    incoming: Capture<'_>,
) -> CaptureDecision {
    if removed {
        return CaptureDecision::Removed;
    }
    match held {
        Some(held) if held == incoming => CaptureDecision::Retry,
        // The same id with other changes, or from another tablet: never merged over the
        // record the relay holds.
        Some(_) => CaptureDecision::Quarantine(ErrorCode::NotPermitted),
        None => CaptureDecision::Store,
    }
}

/// The decision for a capture ingest's checks flagged with `code` (authentic, but failing
/// a later check, or from a revoked tablet).
pub fn decide_flagged(removed: bool, code: ErrorCode) -> CaptureDecision {
    if removed {
        CaptureDecision::Removed
    } else {
        CaptureDecision::Quarantine(code)
    }
}

/// What accepting a quarantined capture into the records does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AcceptDecision {
    /// Its record was removed meanwhile: a removal stands.
    Removed,
    /// The relay holds a record under its id already: never overwritten.
    AlreadyStored,
    /// Stored as a new record.
    Store,
}

pub fn decide_acceptance(removed: bool, stored: bool) -> AcceptDecision {
    if removed {
        AcceptDecision::Removed
    } else if stored {
        AcceptDecision::AlreadyStored
    } else {
        AcceptDecision::Store
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HASHES: [[u8; 32]; 2] = [[1; 32], [2; 32]];
    const TABLET: [u8; 32] = [7; 32];

    fn capture<'a>(change_hashes: &'a [[u8; 32]], device_key: &'a [u8]) -> Capture<'a> {
        Capture {
            change_hashes,
            device_key,
        }
    }

    #[test]
    fn a_new_id_is_stored() {
        let incoming = capture(&HASHES, &TABLET);
        assert_eq!(
            decide_capture(false, None, incoming),
            CaptureDecision::Store
        );
    }

    #[test]
    fn the_same_capture_from_the_same_tablet_is_a_retry() {
        let incoming = capture(&HASHES, &TABLET);
        let held = capture(&HASHES, &TABLET);
        assert_eq!(
            decide_capture(false, Some(held), incoming),
            CaptureDecision::Retry
        );
    }

    #[test]
    fn other_changes_under_a_held_id_are_quarantined() {
        let incoming = capture(&HASHES, &TABLET);
        for held in [
            &HASHES[..1],
            &[[1; 32], [3; 32]][..],
            &[HASHES[1], HASHES[0]][..],
        ] {
            assert_eq!(
                decide_capture(false, Some(capture(held, &TABLET)), incoming),
                CaptureDecision::Quarantine(ErrorCode::NotPermitted)
            );
        }
    }

    #[test]
    fn the_same_changes_from_another_tablet_are_quarantined() {
        let incoming = capture(&HASHES, &TABLET);
        let held = capture(&HASHES, &[8; 32]);
        assert_eq!(
            decide_capture(false, Some(held), incoming),
            CaptureDecision::Quarantine(ErrorCode::NotPermitted)
        );
    }

    #[test]
    fn a_removal_is_never_taken_back() {
        let incoming = capture(&HASHES, &TABLET);
        assert_eq!(
            decide_capture(true, None, incoming),
            CaptureDecision::Removed
        );
        assert_eq!(
            decide_capture(true, Some(incoming), incoming),
            CaptureDecision::Removed
        );
        assert_eq!(
            decide_flagged(true, ErrorCode::Revoked),
            CaptureDecision::Removed
        );
        assert_eq!(decide_acceptance(true, false), AcceptDecision::Removed);
    }

    #[test]
    fn a_flagged_capture_is_quarantined_under_its_code() {
        for code in [
            ErrorCode::Revoked,
            ErrorCode::CertificateExpired,
            ErrorCode::ForeignActor,
            ErrorCode::WrongEvent,
            ErrorCode::InvalidRegistration,
        ] {
            assert_eq!(
                decide_flagged(false, code),
                CaptureDecision::Quarantine(code)
            );
        }
    }

    #[test]
    fn an_accepted_capture_never_overwrites_a_held_record() {
        assert_eq!(
            decide_acceptance(false, true),
            AcceptDecision::AlreadyStored
        );
        assert_eq!(decide_acceptance(false, false), AcceptDecision::Store);
    }
}
