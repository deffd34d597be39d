//! Quarantined captures as the store speaks of them: what the review list shows, and HR's
//! decision with what accepting stores. The decision rules are
//! [`crate::rules::quarantine`]'s.

/// What HR decided about a quarantined capture.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ReviewDecision {
    /// Merged into the registrations.
    Accepted,
    /// Kept in quarantine for good, not merged.
    KeptApart,
}

impl ReviewDecision {
    pub fn as_str(self) -> &'static str {
        match self {
            ReviewDecision::Accepted => "accepted",
            ReviewDecision::KeptApart => "kept_apart",
        }
    }

    pub(crate) fn parse(text: &str) -> Option<ReviewDecision> {
        [ReviewDecision::Accepted, ReviewDecision::KeptApart]
            .into_iter()
            .find(|d| d.as_str() == text)
    }
}

/// A recorded review.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct QuarantineReview {
    pub decision: ReviewDecision,
    /// Why, in the reviewer's words (1–500 characters).
    pub reason: String,
    /// The reviewer's username.
    pub reviewer: String,
    pub reviewed_at: i64,
}

/// One quarantined capture as the review list shows it: nothing of the document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuarantinedCapture {
    pub id: u64,
    pub doc_id: String,
    /// The tablet that sent it.
    pub device_key: [u8; 32],
    /// The event that tablet is enrolled for (`None` if the relay no longer knows it).
    pub event_id: Option<String>,
    /// Why it was kept apart (a protocol error code: `revoked`, `wrong_event`, …).
    pub code: String,
    pub received_at: i64,
    pub review: Option<QuarantineReview>,
}

/// A quarantined capture found acceptable, as the registrations store it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AcceptedCapture {
    pub event_id: String,
    /// The capture's document, as change chunks.
    pub document: Vec<u8>,
    pub change_hashes: Vec<[u8; 32]>,
    pub capture_signature: Vec<u8>,
    pub receipt_code: String,
    /// The keyed hash of the visitor's receipt; `None` for a capture sealed before receipts.
    pub receipt_tag: Option<[u8; 32]>,
    pub restricted: bool,
}

/// The decision to record, with what accepting stores.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReviewAction {
    Accept(AcceptedCapture),
    KeepApart,
}

impl ReviewAction {
    pub fn decision(&self) -> ReviewDecision {
        match self {
            ReviewAction::Accept(_) => ReviewDecision::Accepted,
            ReviewAction::KeepApart => ReviewDecision::KeptApart,
        }
    }
}

/// What recording a review did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReviewOutcome {
    Recorded,
    /// No quarantined capture has that id: nothing written.
    Unknown,
    /// The capture was reviewed before: nothing written.
    AlreadyReviewed,
    /// Accepting it would overwrite a registration the relay holds, or bring back a removed
    /// one: nothing written.
    AlreadyStored,
    Removed,
}

/// Which nonce a tablet's copies kept apart under one document id are logged under, written
/// on each copy when its `quarantined` leaves are appended, so its proofs are found under
/// that nonce whatever is stored under the id later.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NonceRule {
    /// The record's nonce: the copies of the registration's own tablet, or of the first
    /// tablet to have one kept apart under an id no registration holds (a record stored
    /// later from another tablet takes that tablet's copies' nonce, or a new one, never
    /// this one).
    Record,
    /// A nonce of this tablet's copies only: any other tablet's, so that it never learns a
    /// nonce another tablet's leaves are hashed under.
    Copy,
}

impl NonceRule {
    pub fn as_str(self) -> &'static str {
        match self {
            NonceRule::Record => "record",
            NonceRule::Copy => "copy",
        }
    }

    pub(crate) fn parse(text: &str) -> Option<NonceRule> {
        [NonceRule::Record, NonceRule::Copy]
            .into_iter()
            .find(|rule| rule.as_str() == text)
    }

    /// The rule of a tablet's first logged copy under an id: `capturer` is the tablet of the
    /// registration holding the id (if one does), `record_taken` whether another tablet's
    /// copy holds the record's nonce already. Later copies of the same tablet keep its rule.
    pub fn for_first_copy(capturer: Option<&[u8]>, device: &[u8], record_taken: bool) -> Self {
        match capturer {
            Some(capturer) if capturer == device => NonceRule::Record,
            Some(_) => NonceRule::Copy,
            None if record_taken => NonceRule::Copy,
            None => NonceRule::Record,
        }
    }

    /// The nonce a record stored now takes, from the rule of its own tablet's copies kept
    /// apart under its id (`own`, `None` when none is logged) and whether another tablet's
    /// copy holds the record's nonce already (`record_taken`): so the record's leaves link
    /// to its own tablet's `quarantined` leaves and to no other tablet's.
    pub fn for_new_record(own: Option<NonceRule>, record_taken: bool) -> NewRecordNonce {
        match own {
            Some(NonceRule::Record) => NewRecordNonce::Key,
            Some(NonceRule::Copy) => NewRecordNonce::OwnCopy,
            None if record_taken => NewRecordNonce::Fresh,
            None => NewRecordNonce::Key,
        }
    }
}

/// Which nonce a new record takes ([`NonceRule::for_new_record`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NewRecordNonce {
    /// The record's own nonce: the one its tablet's copies under the `record` rule hold, or,
    /// when no copy holds it, one no tablet knows yet.
    Key,
    /// The nonce of its tablet's copies under the `copy` rule.
    OwnCopy,
    /// One no tablet holds: another tablet's copies hold the record's, and its own tablet
    /// has none.
    Fresh,
}

#[cfg(test)]
mod nonce_rule_tests {
    use super::{NewRecordNonce, NonceRule};

    #[test]
    fn a_new_record_takes_its_own_tablets_copy_nonce_and_never_another_tablets() {
        for taken in [false, true] {
            assert_eq!(
                NonceRule::for_new_record(Some(NonceRule::Record), taken),
                NewRecordNonce::Key
            );
            assert_eq!(
                NonceRule::for_new_record(Some(NonceRule::Copy), taken),
                NewRecordNonce::OwnCopy
            );
        }
        assert_eq!(
            NonceRule::for_new_record(None, true),
            NewRecordNonce::Fresh,
            "another tablet holds the record's nonce"
        );
        assert_eq!(NonceRule::for_new_record(None, false), NewRecordNonce::Key);
    }
}
