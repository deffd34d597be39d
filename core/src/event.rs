//! Events: a job fair, or a service-centre information desk (an event with no end date), with
//! the draft form HR edits and the form versions it has published.
//!
//! Publishing freezes the draft as a [`PublishedForm`] addressed by its hash. Versions are
//! never changed or removed, so every registration can be validated, and read, against the
//! exact form and privacy notice the visitor saw.

use std::collections::BTreeMap;

use autosurgeon::{Hydrate, Reconcile};
use serde::{Deserialize, Serialize};

use crate::form::{FormDefinition, FormDefinitionError};
use crate::ids::{CalendarDate, EventId, FormVersion, Timestamp};
use crate::language::{Language, Localized};

/// A frozen form and privacy notice.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Reconcile, Hydrate)]
pub struct PublishedForm {
    pub version: FormVersion,
    pub published_at: Timestamp,
    pub form: FormDefinition,
}

/// A recruiting event and its forms.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Reconcile, Hydrate)]
pub struct Event {
    pub id: EventId,
    pub name: Localized,
    pub venue: String,
    pub starts_on: CalendarDate,
    /// `None` for a standing service-centre desk.
    pub ends_on: Option<CalendarDate>,
    /// Languages the kiosk offers visitors at this event.
    pub languages: Vec<Language>,
    /// The form HR is editing; visitors never see it until it is published.
    pub draft_form: FormDefinition,
    /// Every published version, by its hex hash.
    pub published: BTreeMap<String, PublishedForm>,
    /// The version kiosks show new visitors.
    pub current_version: Option<FormVersion>,
}

/// Why an event or one of its forms is not usable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EventError {
    #[error("the event ends before it starts")]
    EndsBeforeStart,
    #[error("the event offers no language")]
    NoLanguage,
    #[error("the draft form cannot be published: {0}")]
    InvalidForm(#[from] FormDefinitionError),
    #[error("published form {version} does not hash to its version")]
    TamperedForm { version: FormVersion },
    #[error("the event has no published form yet")]
    NotPublished,
}

impl Event {
    /// A new event with `draft_form` not yet published.
    pub fn new(
        id: EventId,
        name: Localized,
        venue: impl Into<String>,
        starts_on: CalendarDate,
        ends_on: Option<CalendarDate>,
        draft_form: FormDefinition,
    ) -> Result<Event, EventError> {
        let event = Event {
            id,
            name,
            venue: venue.into(),
            starts_on,
            ends_on,
            languages: Language::ALL.to_vec(),
            draft_form,
            published: BTreeMap::new(),
            current_version: None,
        };
        event.check_dates()?;
        Ok(event)
    }

    /// A standing desk has no end date.
    pub fn is_standing_desk(&self) -> bool {
        self.ends_on.is_none()
    }

    /// Freezes the draft form as a version and makes it current. Publishing an unchanged
    /// draft again returns the existing version and keeps its first publication time.
    pub fn publish(&mut self, at: Timestamp) -> Result<FormVersion, EventError> {
        self.check_dates()?;
        self.draft_form.check()?;
        let version = self.draft_form.version();
        self.published
            .entry(version.as_str().to_owned())
            .or_insert_with(|| PublishedForm {
                version: version.clone(),
                published_at: at,
                form: self.draft_form.clone(),
            });
        self.current_version = Some(version.clone());
        Ok(version)
    }

    /// The published form a registration cites, if this event published it.
    pub fn published_form(&self, version: &FormVersion) -> Option<&PublishedForm> {
        self.published.get(version.as_str())
    }

    /// The form new visitors get.
    pub fn current_form(&self) -> Result<&PublishedForm, EventError> {
        self.current_version
            .as_ref()
            .and_then(|v| self.published_form(v))
            .ok_or(EventError::NotPublished)
    }

    /// Checks what a document read from elsewhere must satisfy: sane dates, and every
    /// published form hashing to the version it is filed under.
    pub fn check_integrity(&self) -> Result<(), EventError> {
        self.check_dates()?;
        for (key, published) in &self.published {
            let actual = published.form.version();
            if actual.as_str() != key || actual != published.version {
                return Err(EventError::TamperedForm {
                    version: published.version.clone(),
                });
            }
        }
        Ok(())
    }

    fn check_dates(&self) -> Result<(), EventError> {
        if self.languages.is_empty() {
            return Err(EventError::NoLanguage);
        }
        match &self.ends_on {
            Some(end) if end < &self.starts_on => Err(EventError::EndsBeforeStart),
            _ => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::demo;

    #[test]
    fn publishing_freezes_the_form_and_later_edits_make_a_new_version() {
        let mut event = demo::demo_event();
        let first = event
            .current_version
            .clone()
            .expect("demo event is published");
        event.draft_form.max_interests = 3;
        let second = event
            .publish(Timestamp(1_800_000_000_000))
            .expect("publishes");
        assert_ne!(first, second);
        assert_eq!(event.current_version, Some(second.clone()));
        let frozen = event.published_form(&first).expect("first version kept");
        assert_eq!(frozen.form.max_interests, 5);
        assert_eq!(
            event.published_form(&second).map(|p| p.form.max_interests),
            Some(3)
        );
        assert_eq!(event.check_integrity(), Ok(()));
    }

    #[test]
    fn republishing_an_unchanged_form_keeps_its_first_publication() {
        let mut event = demo::demo_event();
        let before = event.current_form().expect("published").clone();
        let again = event
            .publish(Timestamp(1_900_000_000_000))
            .expect("publishes");
        assert_eq!(again, before.version);
        assert_eq!(event.published.len(), 1);
        assert_eq!(event.current_form().expect("published"), &before);
    }

    #[test]
    fn a_published_form_edited_in_place_fails_the_integrity_check() {
        let mut event = demo::demo_event();
        let version = event.current_version.clone().expect("published");
        let entry = event.published.get_mut(version.as_str()).expect("present");
        entry.form.privacy_notice.sv = "Vi sparar allt för alltid.".into();
        assert_eq!(
            event.check_integrity(),
            Err(EventError::TamperedForm { version })
        );
    }

    #[test]
    fn an_event_cannot_end_before_it_starts_and_a_desk_has_no_end() {
        let form = demo::demo_form();
        let id = EventId::parse("desk-norrkoping").expect("slug");
        let start = CalendarDate::parse("2026-05-01").expect("date");
        let earlier = CalendarDate::parse("2026-04-30").expect("date");
        let name = Localized::new("Servicecenter", "Service centre");
        let ends_before = Event::new(
            id.clone(),
            name.clone(),
            "Norrköping",
            start.clone(),
            Some(earlier),
            form.clone(),
        );
        assert_eq!(ends_before, Err(EventError::EndsBeforeStart));
        let desk = Event::new(id, name, "Norrköping", start, None, form).expect("valid");
        assert!(desk.is_standing_desk());
        assert_eq!(desk.current_form(), Err(EventError::NotPublished));
    }
}
