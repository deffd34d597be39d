//! The log's leaf format: what one entry of the transparency log says, with no personal data
//! in it (the log outlives every record). Documented in `docs/provenance.md`, "Leaves".
//!
//! A leaf is 106 bytes, fixed: `version (1) ‖ kind (1) ‖ record commitment (32) ‖
//! subject (32) ‖ author (32) ‖ accepted-at (8, ms since the Unix epoch, big endian)`.
//! The record commitment and a change's subject are hashed with the record's **nonce**
//! (32 random bytes the relay keeps beside the record and erases with it at gallring):
//! without the nonce nobody can tell which document or change a leaf is about.

// The layout, the record commitment and the change subject are core's, which a tablet
// recomputes to check its leaves: one implementation for relay and tablet.
use kiosk_core::tlog::leaf::tagged_hash as tagged;
pub use kiosk_core::tlog::leaf::{
    LEAF_LEN, LEAF_VERSION, Nonce, change_subject, record_commitment,
};

/// What a leaf records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum LeafKind {
    /// One change of a capture the relay accepted (from ingest, or an archivist's
    /// acceptance of a quarantined capture).
    Capture = 1,
    /// One change a staff tablet made (notes, its recruiter's rating, status).
    StaffEdit = 2,
    /// One change an HR user made in the console or API, written by the relay as that user.
    HrEdit = 3,
    /// A record removed (gallring, erasure): its bytes and nonce are gone.
    Removed = 4,
    LegalHoldSet = 5,
    LegalHoldLifted = 6,
    /// A change the relay held before its log existed, appended when the store was upgraded,
    /// in the order the relay had stored them.
    AcceptedBeforeLog = 7,
    /// An archivist accepted a quarantined capture: who decided (the capture's own leaves
    /// name the tablet that captured it).
    QuarantineAccepted = 8,
    /// The visitor's talent-pool consent withdrawn, by HR or by the visitor.
    TalentPoolWithdrawn = 9,
    /// One change of a capture the relay kept apart for HR review, authored by the tablet
    /// and hashed under the nonce an acceptance later gives the record, so the tablet holds
    /// proof that the relay has it (and the record's leaves link).
    Quarantined = 10,
}

impl LeafKind {
    pub const ALL: [LeafKind; 10] = [
        LeafKind::Capture,
        LeafKind::StaffEdit,
        LeafKind::HrEdit,
        LeafKind::Removed,
        LeafKind::LegalHoldSet,
        LeafKind::LegalHoldLifted,
        LeafKind::AcceptedBeforeLog,
        LeafKind::QuarantineAccepted,
        LeafKind::TalentPoolWithdrawn,
        LeafKind::Quarantined,
    ];

    pub fn from_byte(byte: u8) -> Option<LeafKind> {
        LeafKind::ALL.into_iter().find(|kind| *kind as u8 == byte)
    }

    /// The name `verify-log` and the docs use.
    pub fn name(self) -> &'static str {
        match self {
            LeafKind::Capture => "capture",
            LeafKind::StaffEdit => "staff-edit",
            LeafKind::HrEdit => "hr-edit",
            LeafKind::Removed => "removed",
            LeafKind::LegalHoldSet => "legal-hold-set",
            LeafKind::LegalHoldLifted => "legal-hold-lifted",
            LeafKind::AcceptedBeforeLog => "accepted-before-log",
            LeafKind::QuarantineAccepted => "quarantine-accepted",
            LeafKind::TalentPoolWithdrawn => "talent-pool-withdrawn",
            LeafKind::Quarantined => "quarantined",
        }
    }
}

/// One leaf, decoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Leaf {
    pub kind: LeafKind,
    /// [`record_commitment`] of the record the leaf is about.
    pub record: [u8; 32],
    /// What about it: a change ([`change_subject`]), a removal's decision
    /// ([`removal_subject`]), a hold ([`hold_subject`]) or another decision
    /// ([`decision_subject`]).
    pub subject: [u8; 32],
    /// Who: the change's Automerge actor (a tablet's device key; an HR user's actor key,
    /// derived from the user's internal id), or [`accessor_author`] for removals, holds and
    /// decisions.
    pub author: [u8; 32],
    /// Relay time, ms.
    pub accepted_at: i64,
}

/// Why a stored leaf does not decode.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LeafError {
    #[error("a leaf is {LEAF_LEN} bytes, this one {0}")]
    Length(usize),
    #[error("leaf version {0} is not one this relay reads")]
    Version(u8),
    #[error("leaf kind {0} is not one this relay writes")]
    Kind(u8),
}

impl Leaf {
    pub fn encode(&self) -> [u8; LEAF_LEN] {
        let mut out = [0u8; LEAF_LEN];
        out[0] = LEAF_VERSION;
        out[1] = self.kind as u8;
        out[2..34].copy_from_slice(&self.record);
        out[34..66].copy_from_slice(&self.subject);
        out[66..98].copy_from_slice(&self.author);
        out[98..106].copy_from_slice(&self.accepted_at.to_be_bytes());
        out
    }

    pub fn decode(bytes: &[u8]) -> Result<Leaf, LeafError> {
        if bytes.len() != LEAF_LEN {
            return Err(LeafError::Length(bytes.len()));
        }
        if bytes[0] != LEAF_VERSION {
            return Err(LeafError::Version(bytes[0]));
        }
        let kind = LeafKind::from_byte(bytes[1]).ok_or(LeafError::Kind(bytes[1]))?;
        let take = |range: std::ops::Range<usize>| -> [u8; 32] {
            bytes[range].try_into().expect("32 bytes")
        };
        Ok(Leaf {
            kind,
            record: take(2..34),
            subject: take(34..66),
            author: take(66..98),
            accepted_at: i64::from_be_bytes(bytes[98..106].try_into().expect("8 bytes")),
        })
    }

    /// A change's leaf (`kind` one of the change kinds).
    pub fn change(
        kind: LeafKind,
        nonce: &Nonce,
        doc_id: &str,
        change_hash: &[u8; 32],
        actor: &[u8],
        accepted_at: i64,
    ) -> Leaf {
        Leaf {
            kind,
            record: record_commitment(nonce, doc_id),
            subject: change_subject(nonce, change_hash),
            author: author_of_actor(actor),
            accepted_at,
        }
    }
}

/// A fresh nonce for a new record.
pub fn new_nonce() -> Nonce {
    rand::random()
}

/// SHA-256("kiosk-tlog-removal-v1" ‖ removed-at (8, BE) ‖ reason): the removal record the
/// relay keeps (`removals`: time and the rule or decision cited) recomputes it, and no
/// nonce is needed (it is erased by the removal).
pub fn removal_subject(removed_at: i64, reason: &str) -> [u8; 32] {
    tagged(
        b"kiosk-tlog-removal-v1",
        &[&removed_at.to_be_bytes(), reason.as_bytes()],
    )
}

/// SHA-256("kiosk-tlog-hold-v1" ‖ nonce ‖ set (1) or lifted (0) ‖ at (8, BE) ‖ reason): the
/// reason an archivist typed is hashed with the nonce, so it cannot be guessed back once the
/// record is gone.
pub fn hold_subject(nonce: &Nonce, set: bool, at: i64, reason: &str) -> [u8; 32] {
    tagged(
        b"kiosk-tlog-hold-v1",
        &[
            nonce,
            &[u8::from(set)],
            &at.to_be_bytes(),
            reason.as_bytes(),
        ],
    )
}

/// SHA-256("kiosk-tlog-decision-v1" ‖ nonce ‖ kind (1) ‖ at (8, BE) ‖ reason): a decision
/// about a record (an acceptance from quarantine, a talent-pool withdrawal), hashed with the
/// nonce as a hold is, so its free-text reason cannot be guessed back once the record is
/// gone.
pub fn decision_subject(nonce: &Nonce, kind: LeafKind, at: i64, reason: &str) -> [u8; 32] {
    tagged(
        b"kiosk-tlog-decision-v1",
        &[nonce, &[kind as u8], &at.to_be_bytes(), reason.as_bytes()],
    )
}

/// A change's author: its Automerge actor when it is a 32-byte key (every tablet's and HR
/// user's is), else SHA-256("kiosk-tlog-actor-v1" ‖ actor).
pub fn author_of_actor(actor: &[u8]) -> [u8; 32] {
    match <[u8; 32]>::try_from(actor) {
        Ok(key) => key,
        Err(_) => tagged(b"kiosk-tlog-actor-v1", &[actor]),
    }
}

/// Who removed a record or set a hold, as the access log names them (`hr:<username>`, a
/// retention run's starter): SHA-256("kiosk-tlog-operator-v1" ‖ name).
pub fn operator_author(name: &str) -> [u8; 32] {
    tagged(b"kiosk-tlog-operator-v1", &[name.as_bytes()])
}

/// The author of a removal or hold as the access log names who did it: a tablet by its key,
/// a person at the relay by [`operator_author`].
pub fn accessor_author(by: &crate::storage::Accessor) -> [u8; 32] {
    match by {
        crate::storage::Accessor::Device { device_key, .. } => *device_key,
        crate::storage::Accessor::Operator(name) => operator_author(name),
        // The visitor with their receipt, under the name the access log keeps for them.
        crate::storage::Accessor::Visitor => {
            operator_author(crate::rules::access_chain::VISITOR_ACTOR)
        }
    }
}

/// Who a name the lifecycle journal keeps (the access log's name for them) stands for: the
/// visitor by [`crate::rules::access_chain::VISITOR_ACTOR`], anyone else as a person at the
/// relay. A restore's replay authors its leaves through this and [`accessor_author`], as the
/// live path does, so a replayed leaf names whom the lost one named.
pub fn accessor_named(name: &str) -> crate::storage::Accessor {
    if name == crate::rules::access_chain::VISITOR_ACTOR {
        crate::storage::Accessor::Visitor
    } else {
        crate::storage::Accessor::Operator(name.to_owned())
    }
}

/// A removal's leaf: the record's commitment (from the nonce read just before it is erased)
/// and the decision it cites.
pub fn removal(nonce: &Nonce, doc_id: &str, reason: &str, author: [u8; 32], at: i64) -> Leaf {
    Leaf {
        kind: LeafKind::Removed,
        record: record_commitment(nonce, doc_id),
        subject: removal_subject(at, reason),
        author,
        accepted_at: at,
    }
}

/// A legal hold's leaf, set or lifted.
pub fn hold(nonce: &Nonce, doc_id: &str, set: bool, reason: &str, by: &str, at: i64) -> Leaf {
    Leaf {
        kind: if set {
            LeafKind::LegalHoldSet
        } else {
            LeafKind::LegalHoldLifted
        },
        record: record_commitment(nonce, doc_id),
        subject: hold_subject(nonce, set, at, reason),
        author: operator_author(by),
        accepted_at: at,
    }
}

/// A decision's leaf (`kind` [`LeafKind::QuarantineAccepted`] or
/// [`LeafKind::TalentPoolWithdrawn`]): who decided (`author`, [`accessor_author`] of them as
/// the access log names them) and when; `reason` is what they gave ("" when none is asked
/// for).
pub fn decision(
    kind: LeafKind,
    nonce: &Nonce,
    doc_id: &str,
    reason: &str,
    author: [u8; 32],
    at: i64,
) -> Leaf {
    Leaf {
        kind,
        record: record_commitment(nonce, doc_id),
        subject: decision_subject(nonce, kind, at, reason),
        author,
        accepted_at: at,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Leaf {
        Leaf::change(
            LeafKind::Capture,
            &[7; 32],
            "0190b7e2-0000-7000-8000-000000000001",
            &[9; 32],
            &[3; 32],
            1_733_000_000_123,
        )
    }

    #[test]
    fn the_docs_name_the_visitors_author_by_the_name_hashed() {
        let docs = include_str!("../../../docs/provenance.md");
        let named = format!(
            "the visitor as `{}`",
            crate::rules::access_chain::VISITOR_ACTOR
        );
        assert!(docs.contains(&named), "docs/provenance.md: {named}");
        assert_eq!(
            accessor_author(&accessor_named(crate::rules::access_chain::VISITOR_ACTOR)),
            accessor_author(&crate::storage::Accessor::Visitor)
        );
    }

    #[test]
    fn a_leaf_round_trips_through_its_fixed_bytes() {
        let leaf = sample();
        let bytes = leaf.encode();
        assert_eq!(bytes.len(), LEAF_LEN);
        assert_eq!(bytes[0], LEAF_VERSION);
        assert_eq!(bytes[1], 1);
        assert_eq!(&bytes[66..98], &[3; 32]);
        assert_eq!(Leaf::decode(&bytes), Ok(leaf));
    }

    #[test]
    fn a_leaf_names_no_document_or_change_without_the_nonce() {
        let bytes = sample().encode();
        let doc = b"0190b7e2-0000-7000-8000-000000000001";
        assert!(!bytes.windows(doc.len()).any(|w| w == doc));
        assert!(!bytes.windows(32).any(|w| w == [9; 32]));
        // Another nonce gives another commitment for the same document.
        let other = Leaf::change(
            LeafKind::Capture,
            &[8; 32],
            "0190b7e2-0000-7000-8000-000000000001",
            &[9; 32],
            &[3; 32],
            1,
        );
        assert_ne!(other.record, sample().record);
        assert_ne!(other.subject, sample().subject);
    }

    #[test]
    fn undecodable_leaves_are_refused_by_what_is_wrong() {
        let bytes = sample().encode();
        assert_eq!(Leaf::decode(&bytes[..100]), Err(LeafError::Length(100)));
        let mut wrong = bytes;
        wrong[0] = 2;
        assert_eq!(Leaf::decode(&wrong), Err(LeafError::Version(2)));
        let mut wrong = bytes;
        wrong[1] = 0;
        assert_eq!(Leaf::decode(&wrong), Err(LeafError::Kind(0)));
    }
}
