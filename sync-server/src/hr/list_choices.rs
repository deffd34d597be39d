//! What the registration list's filter offers to choose from: the events a user may read
//! (by name), their interest areas and locations (labelled in the reader's language, one
//! entry per code), and, for a recruiter who has no event yet, the admins who can assign
//! one. Which events a user may read is [`crate::hr::policy`]'s question, asked here the
//! same way [`crate::hr::policy::narrow_to_readable`] asks it for a list.

use kiosk_core::event::Event;
use kiosk_core::form::{Choice, FormDefinition};
use kiosk_core::ids::EventId;
use kiosk_core::language::Language;

use crate::hr::accounts::{HrUser, Role};
use crate::hr::error::{HrResult, StorageContext};
use crate::hr::policy::require_reader;
use crate::storage::RelayStore;

/// The most events the filter offers (an archivist reads every event): each is loaded to
/// read its forms' labels.
pub(crate) const MAX_EVENTS: usize = 200;

/// The most admins named to a recruiter who has no event yet.
const MAX_ADMINS_NAMED: usize = 5;

/// What the filter's lists are made of, for one user.
#[derive(Debug, Default)]
pub(crate) struct ListChoices {
    /// The events the user may read, latest start first (at most [`MAX_EVENTS`]).
    pub events: Vec<Event>,
    /// The user reads only the events assigned to them and has none.
    pub unassigned: bool,
    /// For an unassigned user: the display names of enabled admins, who assign events.
    pub admins: Vec<String>,
}

/// The events `user` may read and, if they have none assigned, whom to ask. Blocking.
pub(crate) fn list_choices(store: &dyn RelayStore, user: &HrUser) -> HrResult<ListChoices> {
    require_reader(user)?;
    let archivist = user.has(Role::Archivist);
    let ids: Vec<String> = if archivist {
        let mut summaries = store.event_summaries().context("listing events")?;
        summaries.sort_by(|a, b| b.starts_on.cmp(&a.starts_on));
        summaries
            .into_iter()
            .take(MAX_EVENTS)
            .map(|summary| summary.id.to_string())
            .collect()
    } else {
        store
            .hr_assigned_events(user.id)
            .context("reading a user's assigned events")?
    };
    let mut events: Vec<Event> = ids
        .iter()
        .take(MAX_EVENTS)
        .filter_map(|id| EventId::parse(id))
        .filter_map(|id| store.event(&id).ok().flatten())
        .collect();
    events.sort_by(|a, b| b.starts_on.cmp(&a.starts_on));
    let unassigned = !archivist && ids.is_empty();
    let admins = if unassigned {
        store
            .hr_directory()
            .context("reading the HR directory")?
            .into_iter()
            .filter(|entry| entry.user.has(Role::Admin) && !entry.user.disabled)
            .map(|entry| entry.user.display_name)
            .take(MAX_ADMINS_NAMED)
            .collect()
    } else {
        Vec::new()
    };
    Ok(ListChoices {
        events,
        unassigned,
        admins,
    })
}

/// Which of a form's lists a filter offers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ChoiceList {
    InterestAreas,
    Locations,
}

impl ChoiceList {
    fn of(self, form: &FormDefinition) -> &[Choice] {
        match self {
            ChoiceList::InterestAreas => &form.interest_areas,
            ChoiceList::Locations => &form.locations,
        }
    }
}

/// `event`'s forms, the newest published first, then the draft: where a code's label is
/// looked up (a code dropped from the draft still labels the records captured with it).
fn forms(event: &Event) -> impl Iterator<Item = &FormDefinition> {
    let mut published: Vec<_> = event.published.values().collect();
    published.sort_by_key(|p| std::cmp::Reverse(p.published_at));
    published
        .into_iter()
        .map(|p| &p.form)
        .chain(std::iter::once(&event.draft_form))
}

/// The codes and labels (in `lang`) of `list` in `events`' forms, one per code (its first
/// label found), in the forms' own order: the order HR gave them.
pub(crate) fn choices<'a>(
    events: impl IntoIterator<Item = &'a Event>,
    list: ChoiceList,
    lang: Language,
) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    for event in events {
        for form in forms(event) {
            for choice in list.of(form) {
                if !out.iter().any(|(code, _)| *code == choice.code) {
                    out.push((choice.code.clone(), choice.label.get(lang).to_owned()));
                }
            }
        }
    }
    out
}

/// The code of the choice `typed` names in `events`' forms: a code as it is, or a label
/// in either language, any case ("Malmö" for `malmo`); `None` if it names none.
pub(crate) fn code_named<'a>(
    events: impl IntoIterator<Item = &'a Event> + Clone,
    list: ChoiceList,
    typed: &str,
) -> Option<String> {
    let all = |lang| choices(events.clone(), list, lang);
    let wanted = typed.trim().to_lowercase();
    let sv = all(Language::Swedish);
    if let Some((code, _)) = sv.iter().find(|(code, _)| *code == typed.trim()) {
        return Some(code.clone());
    }
    sv.into_iter()
        .chain(all(Language::English))
        .find(|(_, label)| label.to_lowercase() == wanted)
        .map(|(code, _)| code)
}

/// The id of the event `typed` names among `events`: its id, or its name in either
/// language, any case.
pub(crate) fn event_named(events: &[Event], typed: &str) -> Option<String> {
    let typed = typed.trim();
    let wanted = typed.to_lowercase();
    events
        .iter()
        .find(|e| e.id.as_str() == typed)
        .or_else(|| {
            events.iter().find(|e| {
                Language::ALL
                    .iter()
                    .any(|lang| e.name.get(*lang).to_lowercase() == wanted)
            })
        })
        .map(|e| e.id.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_label_in_either_language_or_the_code_names_its_choice_and_codes_come_once() {
        let event = kiosk_core::demo::demo_event();
        let locations = choices([&event, &event], ChoiceList::Locations, Language::Swedish);
        assert!(!locations.is_empty());
        let mut codes: Vec<_> = locations.iter().map(|(code, _)| code.clone()).collect();
        codes.dedup();
        assert_eq!(codes.len(), locations.len(), "one entry per code");
        let first = &event.draft_form.locations[0];
        for typed in [
            first.code.clone(),
            first.label.get(Language::Swedish).to_uppercase(),
            first.label.get(Language::English).to_owned(),
        ] {
            assert_eq!(
                code_named([&event], ChoiceList::Locations, &typed).as_deref(),
                Some(first.code.as_str()),
                "{typed:?}"
            );
        }
        assert_eq!(
            code_named([&event], ChoiceList::Locations, "Atlantis"),
            None
        );
        assert_eq!(
            event_named(
                std::slice::from_ref(&event),
                event.name.get(Language::English)
            )
            .as_deref(),
            Some(event.id.as_str())
        );
    }
}
