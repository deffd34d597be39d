//! Subject access and disclosure as the store speaks of them: how a person or a selection
//! of records is named, and what the read found.

use kiosk_core::registration::Registration;

use super::access_log::AccessEntry;

/// How a subject-access request names the person, normalised by the caller.
#[derive(Clone, PartialEq, Eq)]
pub enum SubjectLookup {
    /// Lower-cased.
    Email(String),
    /// E.164, as registrations store it.
    Phone(String),
    /// As receipt codes are printed (`7J8D-AV6F`).
    ReceiptCode(String),
}

/// Says which kind of identifier, never its value.
impl std::fmt::Debug for SubjectLookup {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            SubjectLookup::Email(_) => "Email",
            SubjectLookup::Phone(_) => "Phone",
            SubjectLookup::ReceiptCode(_) => "ReceiptCode",
        })
    }
}

/// Why a registration was taken as the person's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum MatchedBy {
    /// The email address asked for, or that of the registration the receipt code names.
    Email,
    /// The phone number asked for, or that of the registration the receipt code names.
    Phone,
    ReceiptCode,
}

impl MatchedBy {
    pub fn as_str(self) -> &'static str {
        match self {
            MatchedBy::Email => "email",
            MatchedBy::Phone => "phone",
            MatchedBy::ReceiptCode => "receipt_code",
        }
    }
}

/// A registration as the relay holds it, read whole.
#[derive(Debug, Clone)]
pub struct HeldRecord {
    pub doc_id: String,
    pub event_id: String,
    /// The tablet that pushed the capture.
    pub device_key: [u8; 32],
    pub receipt_code: String,
    /// Relay time.
    pub received_at: i64,
    pub restricted: bool,
    /// The capture's change followed by every later change, as change chunks.
    pub changes: Vec<u8>,
    pub registration: Registration,
    /// The access-log entries about the record before this read, oldest first (subject
    /// access only; empty in a disclosure).
    pub access: Vec<(u64, AccessEntry)>,
}

/// What a subject-access request found.
#[derive(Debug, Clone, Default)]
pub struct SubjectAccessFound {
    /// The person's registrations the caller may read, oldest capture first, each with why
    /// it was taken as theirs.
    pub records: Vec<(HeldRecord, Vec<MatchedBy>)>,
}

/// A registration asked for in a disclosure request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AskedRecord {
    Id(String),
    /// Normalised as receipt codes are printed.
    ReceiptCode(String),
}

impl AskedRecord {
    /// The id or code as asked.
    pub fn text(&self) -> &str {
        match self {
            AskedRecord::Id(id) | AskedRecord::ReceiptCode(id) => id,
        }
    }
}

/// Which registrations a disclosure request names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DisclosureSelection {
    Records(Vec<AskedRecord>),
    /// An event's registrations captured in `[from, before)` (ms), up to `limit`.
    Event {
        event_id: String,
        from: i64,
        before: i64,
        limit: usize,
    },
}

/// One line of a disclosure export.
#[derive(Debug, Clone)]
pub enum DisclosureItem {
    Held {
        asked: String,
        record: Box<HeldRecord>,
    },
    /// Removed under a retention rule; its removal record remains.
    Removed {
        asked: String,
        removed_at: i64,
        reason: String,
    },
    /// Never received, or removed before removal records name it (a receipt code is not
    /// kept in a removal record).
    NotHeld { asked: String },
}

/// What a disclosure read found: its items in the order asked (by capture time for an
/// event), or `TooMany` when an event's range holds more than its limit (nothing read or
/// logged).
#[derive(Debug, Clone)]
pub enum DisclosureOutcome {
    Items(Vec<DisclosureItem>),
    TooMany,
}
