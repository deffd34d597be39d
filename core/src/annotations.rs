//! What recruiters and HR add to a registration after capture: notes, one rating per
//! recruiter, and the record's status. They live beside the captured fields at the root of
//! the registration's document, so concurrent edits from several staff tablets and HR merge.
//!
//! The containers (the notes list, the ratings map) are made by the capture itself: two
//! tablets that each made their own list would make two conflicting lists, and one
//! tablet's notes would vanish behind the other's. So every replica edits the same objects.
//!
//! Notes are append-only, for accountability: a note, once synced, is part of the record and
//! is neither edited nor removed by a tablet. Each recruiter has one rating, which only
//! their tablets may set or clear.

use std::collections::BTreeMap;

use autosurgeon::{Hydrate, HydrateError, Reconcile, Reconciler};

use crate::ids::{DeviceId, Timestamp};

/// The longest note, in characters: a few paragraphs, not a CV.
pub const MAX_NOTE_CHARS: usize = 2_000;
/// The longest recruiter name a rating is filed under.
pub const MAX_RECRUITER_CHARS: usize = 100;
/// Ratings run from 1 (no match) to 5 (strong match).
pub const RATING_RANGE: std::ops::RangeInclusive<i64> = 1..=5;

/// Where a registration stands in recruiting.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RecordStatus {
    /// Just captured; nobody has looked at it yet.
    New,
    Shortlisted,
    Contacted,
    Interviewing,
    /// Recruiting does not go on with this person for now.
    NotProceeding,
    Hired,
}

impl RecordStatus {
    pub const ALL: [RecordStatus; 6] = [
        RecordStatus::New,
        RecordStatus::Shortlisted,
        RecordStatus::Contacted,
        RecordStatus::Interviewing,
        RecordStatus::NotProceeding,
        RecordStatus::Hired,
    ];

    /// The status's form in documents and on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            RecordStatus::New => "new",
            RecordStatus::Shortlisted => "shortlisted",
            RecordStatus::Contacted => "contacted",
            RecordStatus::Interviewing => "interviewing",
            RecordStatus::NotProceeding => "not_proceeding",
            RecordStatus::Hired => "hired",
        }
    }

    pub fn parse(text: &str) -> Option<RecordStatus> {
        RecordStatus::ALL.into_iter().find(|s| s.as_str() == text)
    }

    /// The status as staff read it, in Swedish and English.
    pub fn label(self) -> (&'static str, &'static str) {
        match self {
            RecordStatus::New => ("Ny", "New"),
            RecordStatus::Shortlisted => ("Utvald", "Shortlisted"),
            RecordStatus::Contacted => ("Kontaktad", "Contacted"),
            RecordStatus::Interviewing => ("Intervju", "Interviewing"),
            RecordStatus::NotProceeding => ("Går inte vidare", "Not proceeding"),
            RecordStatus::Hired => ("Anställd", "Hired"),
        }
    }
}

impl Reconcile for RecordStatus {
    type Key<'a> = autosurgeon::reconcile::NoKey;

    fn reconcile<R: Reconciler>(&self, mut reconciler: R) -> Result<(), R::Error> {
        reconciler.str(self.as_str())
    }
}

impl Hydrate for RecordStatus {
    fn hydrate_string(text: &'_ str) -> Result<Self, HydrateError> {
        RecordStatus::parse(text)
            .ok_or_else(|| HydrateError::unexpected("a record status", "another string".into()))
    }
}

/// A recruiter's note on a registration.
#[derive(Clone, PartialEq, Eq, Reconcile, Hydrate)]
pub struct Note {
    /// Unique within the record (a UUIDv7), so a note is told apart from its neighbours.
    pub id: String,
    /// The recruiter the writing tablet is bound to.
    pub author: String,
    pub device: DeviceId,
    /// The writing tablet's clock: recorded, not trusted.
    pub written_at: Timestamp,
    pub text: String,
}

/// Leaves the text out, so a note in a log or panic message tells nothing about a visitor.
impl std::fmt::Debug for Note {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Note")
            .field("id", &self.id)
            .field("author", &self.author)
            .field("device", &self.device)
            .field("written_at", &self.written_at)
            .finish_non_exhaustive()
    }
}

/// The annotations of one registration.
#[derive(Debug, Clone, PartialEq, Eq, Reconcile, Hydrate)]
pub struct Annotations {
    /// In list order, which all replicas agree on after merging.
    pub notes: Vec<Note>,
    /// One score per recruiter, by recruiter name.
    pub ratings: BTreeMap<String, i64>,
    pub status: RecordStatus,
}

/// Why an annotation was not accepted. Names the rule, never the text.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AnnotationError {
    #[error("a note must have text / en anteckning får inte vara tom")]
    EmptyNote,
    #[error(
        "a note is at most {MAX_NOTE_CHARS} characters / en anteckning får vara högst {MAX_NOTE_CHARS} tecken"
    )]
    NoteTooLong,
    #[error("a rating is 1–5 / ett betyg är 1–5")]
    RatingOutOfRange,
    #[error("the recruiter name is empty or too long")]
    BadRecruiter,
    #[error("two notes share an id")]
    DuplicateNote,
}

impl Annotations {
    /// What a capture starts with: no notes, no ratings, status new.
    pub fn opened() -> Annotations {
        Annotations {
            notes: Vec::new(),
            ratings: BTreeMap::new(),
            status: RecordStatus::New,
        }
    }

    /// Checks what any replica must satisfy.
    pub fn check(&self) -> Result<(), AnnotationError> {
        let mut ids = std::collections::BTreeSet::new();
        for note in &self.notes {
            check_note(note)?;
            if !ids.insert(note.id.as_str()) {
                return Err(AnnotationError::DuplicateNote);
            }
        }
        for (recruiter, score) in &self.ratings {
            check_recruiter(recruiter)?;
            if !RATING_RANGE.contains(score) {
                return Err(AnnotationError::RatingOutOfRange);
            }
        }
        Ok(())
    }
}

/// Checks one note's shape and text.
pub fn check_note(note: &Note) -> Result<(), AnnotationError> {
    check_recruiter(&note.author)?;
    if note.text.trim().is_empty() {
        return Err(AnnotationError::EmptyNote);
    }
    if note.text.chars().count() > MAX_NOTE_CHARS {
        return Err(AnnotationError::NoteTooLong);
    }
    Ok(())
}

fn check_recruiter(recruiter: &str) -> Result<(), AnnotationError> {
    let length = recruiter.chars().count();
    if recruiter.trim().is_empty() || length > MAX_RECRUITER_CHARS {
        return Err(AnnotationError::BadRecruiter);
    }
    Ok(())
}
