//! Events as the store speaks of them: the edits HR makes to an event document, what an
//! edit did or why it was refused, and the list HR sees.

use kiosk_core::documents::EditAtHeadsError;
use kiosk_core::event::Event;
use kiosk_core::form::FormDefinition;
use kiosk_core::ids::{CalendarDate, EventId, FormVersion};
use kiosk_core::language::{Language, Localized};

/// What HR may set on an event: everything but its id and its published forms.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventDetails {
    pub name: Localized,
    pub venue: String,
    pub starts_on: CalendarDate,
    /// `None` for a standing service-centre desk.
    pub ends_on: Option<CalendarDate>,
    pub languages: Vec<Language>,
    pub draft_form: FormDefinition,
}

/// One edit of an event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EventEdit {
    /// Sets the details as the editor saw them change from the heads they read.
    Details(Box<EventDetails>),
    /// Publishes the draft as the document holds it now, and makes it current.
    Publish,
}

/// What an edit did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventEdited {
    /// The event as stored after the edit.
    pub event: Event,
    /// The document's heads after the edit, sorted.
    pub heads: Vec<[u8; 32]>,
    /// The document had changes the editor had not read; theirs were merged with them.
    pub merged_concurrent: bool,
    /// The version a publication froze (or found already frozen).
    pub published: Option<FormVersion>,
}

/// Why an edit was not stored.
#[derive(Debug, thiserror::Error)]
pub enum EventEditRefusal {
    #[error("no such event")]
    UnknownEvent,
    #[error("{0}")]
    Edit(EditAtHeadsError),
    /// Publish only freezes the draft its publisher saw: someone changed it since.
    #[error("the draft changed since it was read; reload the event and publish again")]
    DraftChangedSince,
}

/// An event as HR's list shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventSummary {
    pub id: EventId,
    pub name: Localized,
    pub venue: String,
    pub starts_on: CalendarDate,
    pub ends_on: Option<CalendarDate>,
    pub current_version: Option<FormVersion>,
    pub published_versions: usize,
    /// The draft is not the current version: HR changed it since publishing, or never
    /// published it.
    pub draft_unpublished: bool,
}

impl EventSummary {
    pub(crate) fn of(event: &Event) -> EventSummary {
        EventSummary {
            id: event.id.clone(),
            name: event.name.clone(),
            venue: event.venue.clone(),
            starts_on: event.starts_on.clone(),
            ends_on: event.ends_on.clone(),
            current_version: event.current_version.clone(),
            published_versions: event.published.len(),
            draft_unpublished: event.current_version.as_ref() != Some(&event.draft_form.version()),
        }
    }
}
