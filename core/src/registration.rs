//! A registration: one visitor's expression of interest (*intresseanmälan*), as it is after
//! validation and as it is stored in its Automerge document.
//!
//! Only what the design allows exists here: name, email and/or phone, interest areas and
//! locations from the event's lists, education level, free text where the event turns it on,
//! language and consents. There is no field for a personal identity number, an address, a
//! photo, citizenship or migration status, so none can be captured.

use autosurgeon::{Hydrate, Reconcile};
use serde::{Deserialize, Serialize};

use crate::ids::{DeviceId, EventId, FormVersion, RegistrationId, Timestamp};
use crate::language::Language;

/// The visitor's name and contact channels, normalised (NFC names, E.164 phone).
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize, Reconcile, Hydrate)]
pub struct Person {
    pub given_name: String,
    pub family_name: String,
    pub email: Option<String>,
    /// E.164, e.g. `+46701234567`.
    pub phone: Option<String>,
}

/// The visitor acknowledged the privacy notice of the form version they saw. The
/// registration itself is processed as a public task; this records what they were told.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Reconcile, Hydrate)]
pub struct NoticeAcknowledgement {
    pub notice_version: FormVersion,
    pub language: Language,
    pub at: Timestamp,
}

/// The separate, withdrawable opt-in to be kept in the talent pool and contacted about
/// other roles. Never ticked in advance; recorded with the notice version, language and time.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Reconcile, Hydrate)]
pub struct TalentPoolOptIn {
    pub notice_version: FormVersion,
    pub language: Language,
    pub at: Timestamp,
}

/// The two legal grounds, kept apart.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Reconcile, Hydrate)]
pub struct Consents {
    pub privacy_notice: NoticeAcknowledgement,
    pub talent_pool: Option<TalentPoolOptIn>,
}

/// A validated registration. Build one through [`crate::validation::validate`].
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize, Reconcile, Hydrate)]
pub struct Registration {
    pub id: RegistrationId,
    pub event_id: EventId,
    /// The published form (and privacy notice) the visitor answered.
    pub form_version: FormVersion,
    /// The capturing device's clock: recorded, never trusted for retention.
    pub captured_at: Timestamp,
    pub capturing_device: DeviceId,
    pub language: Language,
    pub person: Person,
    /// Interest-area codes from the cited form, in the visitor's order.
    pub interests: Vec<String>,
    /// Location codes from the cited form.
    pub locations: Vec<String>,
    pub education_level: Option<String>,
    pub free_text: Option<String>,
    pub consents: Consents,
    /// The visitor has protected personal data: only HR users with that clearance may read
    /// the record, and it stays out of lists, bulk exports and automatic emails.
    pub restricted: bool,
}

/// Never prints a name or contact detail, so `{:?}` in a log or panic cannot leak them.
impl std::fmt::Debug for Person {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Person")
            .field("email", &self.email.as_ref().map(|_| "given"))
            .field("phone", &self.phone.as_ref().map(|_| "given"))
            .finish_non_exhaustive()
    }
}

/// Shows ids and choices; personal details and free text stay out.
impl std::fmt::Debug for Registration {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Registration")
            .field("id", &self.id)
            .field("event_id", &self.event_id)
            .field("form_version", &self.form_version)
            .field("captured_at", &self.captured_at)
            .field("capturing_device", &self.capturing_device)
            .field("language", &self.language)
            .field("person", &self.person)
            .field("interests", &self.interests)
            .field("locations", &self.locations)
            .field("education_level", &self.education_level)
            .field("free_text", &self.free_text.as_ref().map(|_| "given"))
            .field("consents", &self.consents)
            .field("restricted", &self.restricted)
            .finish()
    }
}

impl Registration {
    /// Whether the visitor is in the talent pool (opted in, not withdrawn).
    pub fn in_talent_pool(&self) -> bool {
        self.consents.talent_pool.is_some()
    }
}
