//! Machine-readable codes for refusals and quarantines: stable strings a shell or an HR
//! officer can look up in `docs/protocol.md`.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// The bytes are not a CBOR message of the expected shape.
    Malformed,
    /// The body is larger than the relay accepts.
    TooLarge,
    /// The protocol version is not one the relay speaks.
    UnsupportedVersion,
    /// The envelope's signature does not verify for the device it names.
    BadSignature,
    /// The relay knows no enrolled device with this key.
    UnknownDevice,
    /// The device's certificate has expired.
    CertificateExpired,
    /// The device was revoked: its captures are kept in quarantine.
    Revoked,
    /// The sequence number is not above the last one accepted.
    StaleSeq,
    /// The payload names another device than the envelope.
    DeviceMismatch,
    /// A seal does not open, or names a relay key the relay does not hold.
    SealUnreadable,
    /// A seal names a relay key the relay retired after a key rotation (a tablet that had
    /// not adopted the new keys when the old ones were retired): enroll it again.
    RetiredRelayKey,
    /// A capture signature does not verify.
    BadCaptureSignature,
    /// A change is authored by another actor than the signing device.
    ForeignActor,
    /// The device may not make this change (a kiosk changing an existing registration).
    NotPermitted,
    /// The registration fails the form version it cites, or has unknown keys.
    InvalidRegistration,
    /// The registration belongs to another event than the device's certificate.
    WrongEvent,
    /// The document was removed at the relay and is not taken back.
    Removed,
    /// The pull cursor was not written by this relay for this device and event.
    BadCursor,
    /// The changes depend on changes the relay does not hold.
    MissingDependencies,
    /// The relay holds no such document (a staff edit of a registration it does not have).
    UnknownDocument,
    /// The relay's disk is full: nothing was stored; the tablet keeps its copies and sends
    /// them again later. An HTTP error (507), never in a signed answer.
    StoreFull,
    /// Another sync of this tablet is under way, or the relay is checking as many requests
    /// as it takes: nothing was stored; try again shortly. An HTTP error (503).
    Busy,
}

impl ErrorCode {
    /// The code's wire string (`stale_seq`).
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::Malformed => "malformed",
            ErrorCode::TooLarge => "too_large",
            ErrorCode::UnsupportedVersion => "unsupported_version",
            ErrorCode::BadSignature => "bad_signature",
            ErrorCode::UnknownDevice => "unknown_device",
            ErrorCode::CertificateExpired => "certificate_expired",
            ErrorCode::Revoked => "revoked",
            ErrorCode::StaleSeq => "stale_seq",
            ErrorCode::DeviceMismatch => "device_mismatch",
            ErrorCode::SealUnreadable => "seal_unreadable",
            ErrorCode::RetiredRelayKey => "retired_relay_key",
            ErrorCode::BadCaptureSignature => "bad_capture_signature",
            ErrorCode::ForeignActor => "foreign_actor",
            ErrorCode::NotPermitted => "not_permitted",
            ErrorCode::InvalidRegistration => "invalid_registration",
            ErrorCode::WrongEvent => "wrong_event",
            ErrorCode::Removed => "removed",
            ErrorCode::BadCursor => "bad_cursor",
            ErrorCode::MissingDependencies => "missing_dependencies",
            ErrorCode::UnknownDocument => "unknown_document",
            ErrorCode::StoreFull => "store_full",
            ErrorCode::Busy => "busy",
        }
    }
}
