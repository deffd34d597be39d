//! Registrations as the store speaks of them: a stored record, HR's lists, search and
//! export pages, HR's edits, the restricted inbox and the relay's counts.

use ed25519_dalek::VerifyingKey;
use kiosk_core::annotations::{Annotations, Note, RecordStatus};

use super::access_log::Accessor;

/// A stored registration as the relay checks edits against it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredRegistration {
    pub event_id: String,
    pub restricted: bool,
    /// The capture's change followed by every later change, as change chunks.
    pub changes: Vec<u8>,
}

/// What a registration's capture signature is checked against, as stored: the capturing
/// tablet's key, the capture's own changes (the document as the seal held it), their change
/// hashes as one blob of 32-byte hashes, and the signature. Raw bytes, so a row altered in
/// the store reads back as it is and the check (`crate::hr::capture_check`) says so,
/// rather than the read failing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaptureEvidence {
    pub device_key: Vec<u8>,
    pub document: Vec<u8>,
    pub change_hashes: Vec<u8>,
    /// Empty if none was kept.
    pub capture_signature: Vec<u8>,
    /// The issue time of the certificate the capturing tablet held when the relay received
    /// the capture (`None` for a record stored before the relay kept it).
    pub certified_at: Option<i64>,
}

/// Counts for tests, reconciliation and the console.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct RelayCounts {
    pub registrations: u64,
    pub quarantined: u64,
    pub devices: u64,
}

/// The order a list reads its rows in. Both are by `(captured_at, doc_id)`, the one order
/// every backend keeps indexed: on PostgreSQL names are sealed under each record's key, so
/// an order by name would open every row the filter selects.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum ListOrder {
    #[default]
    NewestFirst,
    OldestFirst,
}

/// The most rows a list skips to reach a page ([`RegistrationFilter::offset`]): each
/// skipped row is read again for every page, so deep pages are reached by narrowing the
/// filter or turning the order instead.
pub const MAX_LIST_OFFSET: u32 = 10_000;

/// What a list may be narrowed to. `events: None` is every event.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RegistrationFilter {
    pub events: Option<Vec<String>>,
    pub include_restricted: bool,
    pub interest: Option<String>,
    pub location: Option<String>,
    pub status: Option<String>,
    pub captured_from: Option<i64>,
    pub captured_before: Option<i64>,
    pub talent_pool: Option<bool>,
    /// Part of a name, email, phone number or receipt code, any case.
    pub search: Option<String>,
    /// Rows past this `(captured_at, doc_id)` in `order` (older, newest first): the last
    /// row of the previous page.
    pub after: Option<(i64, String)>,
    pub limit: u32,
    pub order: ListOrder,
    /// Rows skipped before the page (past `after`, if given); callers keep it at most
    /// [`MAX_LIST_OFFSET`].
    pub offset: u32,
}

/// One row of a list.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct RegistrationSummary {
    pub id: String,
    pub event_id: String,
    pub captured_at: i64,
    pub given_name: String,
    pub family_name: String,
    pub receipt_code: String,
    pub status: String,
    pub talent_pool: bool,
    pub restricted: bool,
    pub interests: Vec<String>,
    pub locations: Vec<String>,
}

/// One record of a bulk export: what the index knows of it, and the whole document to read
/// the rest from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExportedRegistration {
    pub id: String,
    pub captured_at: i64,
    pub receipt_code: String,
    /// The capture's change followed by every later change, as change chunks.
    pub changes: Vec<u8>,
    /// In the talent pool now: opted in and not withdrawn since.
    pub talent_pool: bool,
}

/// One page of a bulk export.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ExportPage {
    pub records: Vec<ExportedRegistration>,
    /// Where the next page starts (`after`); `None` on the last page.
    pub next: Option<(i64, String)>,
}

/// One edit an HR user makes to a registration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HrEdit {
    /// Appends a note (notes are never edited or removed once written).
    AddNote(Note),
    /// Sets (`Some`) or clears (`None`) the rating filed under `rater`.
    SetRating {
        rater: String,
        score: Option<i64>,
    },
    SetStatus(RecordStatus),
}

/// Who makes an edit: the Automerge actor the change is authored by, and how the access log
/// names them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HrEditor {
    pub actor_key: VerifyingKey,
    pub accessor: Accessor,
}

/// What an edit did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HrEditOutcome {
    /// The record's notes, ratings and status after the edit; `changed` is false when the
    /// record already was so (then nothing was written, not even a log entry).
    Applied {
        annotations: Annotations,
        changed: bool,
    },
    /// The relay holds no such registration (never did, or it was removed): nothing written.
    NoRecord,
}

/// A request by a user without the clearance that matched restricted records.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct RestrictedRequest {
    pub id: u64,
    /// Relay time, ms.
    pub at: i64,
    /// `subject_access` or `disclosure`.
    pub kind: String,
    /// Who asked, as the access log names them (`hr:arvid`).
    pub requested_by: String,
    /// The restricted registrations it matched.
    pub doc_ids: Vec<String>,
}

/// A registration's list fields, as HR's lists filter and search them. Reading them from a
/// document (loading it) is most of what indexing costs, so ingest hands over those its
/// checks already read ([`super::IngestItem::Store`]'s `listing`).
#[derive(Clone, PartialEq, Eq)]
pub struct RegistrationListing {
    pub event_id: String,
    pub captured_at: i64,
    pub restricted: bool,
    /// The visitor opted in (a withdrawal since is read at write time).
    pub talent_pool_consent: bool,
    pub status: String,
    /// Interest codes between commas (`,a,b,`), so a code matches as `%,code,%`.
    pub interests: String,
    /// Location codes, as `interests`.
    pub locations: String,
    pub given_name: String,
    pub family_name: String,
    /// Name, email and phone, lower-cased, between single spaces (the receipt code is
    /// added at write time).
    pub search: String,
    /// The email address, lower-cased (empty if none): a search typed as a whole address
    /// finds its registration through an index.
    pub email: String,
}

/// Says nothing of the person.
impl std::fmt::Debug for RegistrationListing {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RegistrationListing")
            .finish_non_exhaustive()
    }
}

impl RegistrationListing {
    /// The list fields of the registration whose capture and changes are `changes`, with
    /// the HR status they hold; `None` (with a warning naming only `doc_id`) for a document
    /// that does not read.
    pub fn read(doc_id: &str, changes: &[u8]) -> Option<Self> {
        // A document the relay stored is one it could read; should one not read now, it is
        // left out of lists (and still readable by id) rather than stopping every write.
        let Ok((document, registration)) =
            kiosk_core::documents::RegistrationDocument::load_unattributed(changes)
        else {
            tracing::warn!(doc_id, "a stored registration could not be indexed");
            return None;
        };
        let status = document
            .annotations()
            .map(|a| a.status.as_str())
            .unwrap_or("new");
        Some(Self::of(&registration, status))
    }

    /// The list fields of `registration` with HR status `status`.
    pub fn of(registration: &kiosk_core::registration::Registration, status: &str) -> Self {
        let codes = |list: &[String]| format!(",{},", list.join(","));
        let person = &registration.person;
        let search = [
            person.given_name.as_str(),
            person.family_name.as_str(),
            person.email.as_deref().unwrap_or(""),
            person.phone.as_deref().unwrap_or(""),
        ]
        .join(" ")
        .to_lowercase();
        RegistrationListing {
            event_id: registration.event_id.to_string(),
            captured_at: registration.captured_at.millis(),
            restricted: registration.restricted,
            talent_pool_consent: registration.consents.talent_pool.is_some(),
            status: status.to_owned(),
            interests: codes(&registration.interests),
            locations: codes(&registration.locations),
            given_name: person.given_name.clone(),
            family_name: person.family_name.clone(),
            search,
            email: person.email.as_deref().unwrap_or("").trim().to_lowercase(),
        }
    }
}

/// The codes of a listing's `interests` or `locations` column (`,a,b,`), as a list.
pub fn listed_codes(text: &str) -> Vec<String> {
    text.split(',')
        .filter(|c| !c.is_empty())
        .map(str::to_owned)
        .collect()
}
