//! The visitor's receipt as the store speaks of it: the record a receipt tag finds (only
//! what the visitor's page may show), and the requests a visitor makes from that page for
//! the archivists' queue. The tag itself ([`crate::visitor_receipt::key`]) is a keyed hash
//! of the receipt's hash; nothing else of the receipt is stored.

/// Most characters of a correction request's text.
pub const MAX_CORRECTION_CHARS: usize = 2_000;

/// What a receipt tag finds: the record's id and what the visitor's page shows of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReceiptRecord {
    pub doc_id: String,
    pub event_id: String,
    /// Relay time, ms since the Unix epoch.
    pub received_at: i64,
    pub restricted: bool,
    /// Whether the visitor is in the talent pool now: they opted in and have not withdrawn.
    pub talent_pool: bool,
}

/// What a visitor asked for from their receipt page.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum VisitorRequestKind {
    /// A registerutdrag (GDPR Art. 15), delivered through the record's contact channel.
    SubjectAccess,
    /// An error to be corrected, described in a bounded free text.
    Correction,
}

impl VisitorRequestKind {
    pub fn as_str(self) -> &'static str {
        match self {
            VisitorRequestKind::SubjectAccess => "subject_access",
            VisitorRequestKind::Correction => "correction",
        }
    }

    pub fn parse(text: &str) -> Option<VisitorRequestKind> {
        [
            VisitorRequestKind::SubjectAccess,
            VisitorRequestKind::Correction,
        ]
        .into_iter()
        .find(|kind| kind.as_str() == text)
    }
}

/// What adding a visitor's request did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VisitorRequestAdded {
    /// Queued, with this id.
    Added(i64),
    /// An open request of the same kind about the record is queued already (this id):
    /// nothing was added, so a page refreshed or a photographed code cannot flood the queue.
    AlreadyOpen(i64),
    /// The record is not held (removed meanwhile).
    NoRecord,
}

impl VisitorRequestAdded {
    /// The new request's id, if one was added.
    pub fn added(self) -> Option<i64> {
        match self {
            VisitorRequestAdded::Added(id) => Some(id),
            _ => None,
        }
    }
}

/// One visitor request in the archivists' queue. Its text is personal data: it goes with
/// its record at removal ([`crate::storage::record_tables`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VisitorRequest {
    pub id: i64,
    pub doc_id: String,
    pub kind: VisitorRequestKind,
    /// Relay time, ms since the Unix epoch.
    pub at: i64,
    /// A correction's text; `None` for a registerutdrag.
    pub text: Option<String>,
    pub handled_at: Option<i64>,
    /// The HR user who marked it handled (`hr:<username>`).
    pub handled_by: Option<String>,
    /// The record's short reference (its 8-character receipt code), as HR finds it.
    pub reference: String,
    /// Whether the record is restricted: only cleared users see such a request.
    pub restricted: bool,
}
