//! What a registration's codes are called where people read them: the labels of its
//! interest areas, locations and education level in the reader's language, taken from the
//! form version the registration cites, its event's name, and its language as a word
//! ("svenska", not `sv`). The CSV export, the *registerutdrag* and the disclosure document
//! all name answers through here. A code the event does not label (an event the relay no
//! longer holds) is shown as it is, so nothing held is left out.

use std::collections::HashMap;

use kiosk_core::event::Event;
use kiosk_core::form::{Choice, FormDefinition};
use kiosk_core::ids::EventId;
use kiosk_core::language::Language;
use kiosk_core::registration::Registration;

use crate::storage::RelayStore;

/// A language as a word in `lang`: "svenska" / "engelska", or "Swedish" / "English".
pub(crate) fn language_word(language: Language, lang: Language) -> &'static str {
    match (lang, language) {
        (Language::Swedish, Language::Swedish) => "svenska",
        (Language::Swedish, Language::English) => "engelska",
        (Language::English, Language::Swedish) => "Swedish",
        (Language::English, Language::English) => "English",
    }
}

/// A registration's answers in words, in one language.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct AnswerLabels {
    /// The event's name, or its id when the relay does not hold the event.
    pub event: String,
    pub interests: Vec<String>,
    pub locations: Vec<String>,
    pub education_level: Option<String>,
}

/// `code`'s label among `choices` in `lang`, or the code itself.
fn label(choices: Option<&[Choice]>, code: &str, lang: Language) -> String {
    choices
        .and_then(|c| c.iter().find(|choice| choice.code == code))
        .map_or(code, |choice| choice.label.get(lang))
        .to_owned()
}

/// `registration`'s answers labelled in `lang` by `event` (the form version it cites).
pub(crate) fn answer_labels(
    event: Option<&Event>,
    registration: &Registration,
    lang: Language,
) -> AnswerLabels {
    let form: Option<&FormDefinition> = event.and_then(|e| {
        e.published_form(&registration.form_version)
            .map(|published| &published.form)
    });
    let labels = |choices: Option<&[Choice]>, codes: &[String]| -> Vec<String> {
        codes
            .iter()
            .map(|code| label(choices, code, lang))
            .collect()
    };
    AnswerLabels {
        event: event.map_or_else(
            || registration.event_id.as_str().to_owned(),
            |e| e.name.get(lang).to_owned(),
        ),
        interests: labels(
            form.map(|f| f.interest_areas.as_slice()),
            &registration.interests,
        ),
        locations: labels(
            form.map(|f| f.locations.as_slice()),
            &registration.locations,
        ),
        education_level: registration
            .education_level
            .as_deref()
            .map(|level| label(form.map(|f| f.education_levels.as_slice()), level, lang)),
    }
}

/// Events by id, each read from the store once per export or document. An event that is
/// missing or cannot be read labels nothing (the codes show as they are); a read fault is
/// logged, not fatal, since the codes still say everything held.
pub(crate) struct EventCache<'a> {
    store: &'a dyn RelayStore,
    events: HashMap<String, Option<Event>>,
}

impl<'a> EventCache<'a> {
    pub(crate) fn new(store: &'a dyn RelayStore) -> EventCache<'a> {
        EventCache {
            store,
            events: HashMap::new(),
        }
    }

    pub(crate) fn event(&mut self, event_id: &str) -> Option<&Event> {
        let store = self.store;
        self.events
            .entry(event_id.to_owned())
            .or_insert_with(|| {
                let id = EventId::parse(event_id)?;
                match store.event(&id) {
                    Ok(event) => event,
                    Err(error) => {
                        tracing::warn!(%error, event = event_id, "an event could not be read to label answers");
                        None
                    }
                }
            })
            .as_ref()
    }

    /// [`answer_labels`] of `registration` in `lang`.
    pub(crate) fn labels(&mut self, registration: &Registration, lang: Language) -> AnswerLabels {
        let event = self.event(registration.event_id.as_str());
        answer_labels(event, registration, lang)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_language_is_a_word_in_the_readers_language() {
        assert_eq!(
            language_word(Language::English, Language::Swedish),
            "engelska"
        );
        assert_eq!(
            language_word(Language::Swedish, Language::Swedish),
            "svenska"
        );
        assert_eq!(
            language_word(Language::Swedish, Language::English),
            "Swedish"
        );
    }
}
