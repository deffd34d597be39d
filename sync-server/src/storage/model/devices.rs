//! Tablets as the store speaks of them: enrollment codes, enrolled devices and what the
//! relay holds from each.

use kiosk_core::journal::JournalHead;
use kiosk_core::protocol::enrollment::EnrolledRole;

/// An enrollment code as stored: only its lookup hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnrollmentGrant {
    pub lookup: [u8; 32],
    /// Authenticates the relay's answers; derived from the code, which is not stored.
    pub answer_secret: [u8; 32],
    pub event_id: String,
    pub role: EnrolledRole,
    pub recruiter: Option<String>,
    pub expires_at: i64,
    pub max_uses: u32,
    /// The name HR gives the tablets it enrolls ("Kiosk 1, Göteborg"), checked by the HR
    /// service ([`crate::hr::device_names::device_name`]); none to leave them unnamed.
    pub name: Option<String>,
}

/// Why a code did not enroll a device.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CodeRefusal {
    /// No such code, or the request does not prove knowing it.
    Unknown,
    /// The device was revoked; a code does not bring it back.
    Revoked,
    Expired,
    Exhausted,
    /// The code is for another kind of tablet (kiosk or staff); it was not used.
    WrongRole,
}

/// An enrolled device.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceRecord {
    pub device_key: [u8; 32],
    pub event_id: String,
    pub role: EnrolledRole,
    pub recruiter: Option<String>,
    pub certified_at: i64,
    pub expires_at: i64,
    pub revoked_at: Option<i64>,
    pub last_seq: u64,
    /// The name HR chose for the tablet, from its enrollment code or set later; none if
    /// HR gave none (people then see its key's fingerprint).
    pub name: Option<String>,
    /// The relay signing key the tablet named in its last sync (the one it pins); `None`
    /// before its first sync under protocol version 5.
    pub relay_key: Option<[u8; 32]>,
}

/// What the relay holds from one device: its side of the event's closing count.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceReport {
    pub record: DeviceRecord,
    /// Distinct documents received from this device, merged or kept in quarantine.
    pub received: u64,
    /// Registrations stored (merged) from this device.
    pub stored: u64,
    /// Distinct documents from this device kept in quarantine.
    pub quarantined: u64,
    /// The device's journal as far as the relay holds it without a gap, computed by the
    /// relay; the same head the tablet holds when nothing is missing.
    pub journal: JournalHead,
    pub last_contact: Option<i64>,
}

/// How many certificates of one tablet the relay keeps (its newest enrollments'): enough for
/// every re-enrollment a tablet sees in its records' retention, bounded against a tablet
/// enrolled again and again.
pub const CERTIFICATES_KEPT_PER_DEVICE: usize = 16;
