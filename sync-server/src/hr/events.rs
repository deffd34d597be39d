//! Events and their forms as admins create, edit and publish them: the rules and steps
//! the JSON API ([`crate::hr::events_api`]) and the console's event pages both call
//! ([`check_details`], [`create`], [`save`], [`publish`]), so a rule holds in both or
//! neither. Those steps return [`HrError`]s (in an [`EventRefusal`]), answered at the
//! edge by [`crate::hr::answer`].
//!
//! Each admin edits as their own Automerge actor ([`HrUser::actor_key`]), based on the heads
//! they read: an edit changes only what they changed since then, so two admins editing at
//! once both keep their changes (see [`kiosk_core::documents::EditAtHeadsError`]). Events
//! hold no personal data, so reading them is not access-logged; who changed what is in the
//! document's history, and each change is traced.

pub(crate) mod choice_code;

use kiosk_core::documents::EditAtHeadsError;
use kiosk_core::event::{Event, EventError};
use kiosk_core::form::{Choice, FormDefinition, FormDefinitionError, limits};
use kiosk_core::ids::{CalendarDate, EventId, Timestamp};
use kiosk_core::language::{Language, Localized};

use crate::hr::accounts::HrUser;
use crate::hr::error::{Conflict, HrError, HrResult, Missing, StorageContext};
use crate::storage::{
    EventDetails, EventEdit, EventEditRefusal, EventEdited, EventSummary, RelayStore,
};

/// Longest event name, in each language, and longest venue.
pub(crate) const NAME_MAX_CHARS: usize = 200;
/// Longest choice label and retention decision reference.
pub(crate) const LABEL_MAX_CHARS: usize = 200;
/// Longest privacy or talent-pool notice, in each language.
pub(crate) const NOTICE_MAX_CHARS: usize = 5000;
/// Most choices in one list (interest areas, locations, education levels).
pub(crate) const MAX_CHOICES: usize = 100;
/// Longest choice code (the form's own rule).
pub(crate) const CODE_MAX_CHARS: usize = 48;

/// A part of an event that input can be wrong in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum EventField {
    Id,
    NameSv,
    NameEn,
    Venue,
    StartsOn,
    EndsOn,
    Languages,
    /// Email and phone, the contact channels.
    ContactFields,
    MaxInterests,
    InterestAreas,
    Locations,
    EducationLevels,
    PrivacySv,
    PrivacyEn,
    TalentPoolSv,
    TalentPoolEn,
    RetentionMonths,
    RetentionDecision,
}

impl EventField {
    /// The field's path in the API's JSON.
    pub(crate) fn path(self) -> &'static str {
        match self {
            EventField::Id => "id",
            EventField::NameSv => "name.sv",
            EventField::NameEn => "name.en",
            EventField::Venue => "venue",
            EventField::StartsOn => "starts_on",
            EventField::EndsOn => "ends_on",
            EventField::Languages => "languages",
            EventField::ContactFields => "draft_form.fields",
            EventField::MaxInterests => "draft_form.max_interests",
            EventField::InterestAreas => "draft_form.interest_areas",
            EventField::Locations => "draft_form.locations",
            EventField::EducationLevels => "draft_form.education_levels",
            EventField::PrivacySv => "draft_form.privacy_notice.sv",
            EventField::PrivacyEn => "draft_form.privacy_notice.en",
            EventField::TalentPoolSv => "draft_form.talent_pool_notice.sv",
            EventField::TalentPoolEn => "draft_form.talent_pool_notice.en",
            EventField::RetentionMonths => "draft_form.retention.months_after_capture",
            EventField::RetentionDecision => "draft_form.retention.decision",
        }
    }
}

/// Which part of a choice is wrong.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ChoicePart {
    Code,
    LabelSv,
    LabelEn,
}

impl ChoicePart {
    fn path(self) -> &'static str {
        match self {
            ChoicePart::Code => "code",
            ChoicePart::LabelSv => "label.sv",
            ChoicePart::LabelEn => "label.en",
        }
    }
}

/// The rule a value broke.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Rule {
    Blank,
    TooLong(usize),
    ControlCharacters,
    NotEventSlug,
    NotChoiceCode,
    NotDate,
    EndsBeforeStart,
    NoLanguage,
    UnknownLanguage,
    RepeatedLanguage,
    NoChoices,
    TooManyChoices(usize),
    RepeatedCode,
    OutOfRange(u32, u32),
    NoContactChannel,
    /// The field is on the form, so its list needs choices.
    ListNeeded,
}

impl Rule {
    /// The rule in English, for the API.
    pub(crate) fn english(self) -> String {
        match self {
            Rule::Blank => "must not be empty".into(),
            Rule::TooLong(max) => format!("at most {max} characters"),
            Rule::ControlCharacters => "must not contain control characters".into(),
            Rule::NotEventSlug => "3–64 lowercase letters, digits and inner hyphens".into(),
            Rule::NotChoiceCode => {
                format!("1–{CODE_MAX_CHARS} lowercase letters, digits and hyphens")
            }
            Rule::NotDate => "a date as YYYY-MM-DD".into(),
            Rule::EndsBeforeStart => "must not be before starts_on".into(),
            Rule::NoLanguage => "at least one language".into(),
            Rule::UnknownLanguage => "each language is \"sv\" or \"en\"".into(),
            Rule::RepeatedLanguage => "each language at most once".into(),
            Rule::NoChoices => "at least one choice".into(),
            Rule::TooManyChoices(max) => format!("at most {max} choices"),
            Rule::RepeatedCode => "each code at most once in a list".into(),
            Rule::OutOfRange(min, max) => format!("between {min} and {max}"),
            Rule::NoContactChannel => "email or phone must be on the form".into(),
            Rule::ListNeeded => "the field is on the form, so its list needs a choice".into(),
        }
    }
}

/// One thing wrong with an event: the field, the list entry if in a list (its index and
/// part), and the rule. Never the value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Problem {
    pub field: EventField,
    pub entry: Option<(usize, ChoicePart)>,
    pub rule: Rule,
}

impl Problem {
    fn on(field: EventField, rule: Rule) -> Problem {
        Problem {
            field,
            entry: None,
            rule,
        }
    }

    /// `draft_form.interest_areas[2].label.en: must not be empty`.
    pub(crate) fn english(&self) -> String {
        match self.entry {
            Some((index, part)) => format!(
                "{}[{index}].{}: {}",
                self.field.path(),
                part.path(),
                self.rule.english()
            ),
            None => format!("{}: {}", self.field.path(), self.rule.english()),
        }
    }
}

/// Why a create, save or publish was not done: what was wrong with the input, field by
/// field, or another refusal.
#[derive(Debug)]
pub(crate) enum EventRefusal {
    Invalid(Vec<Problem>),
    Refused(HrError),
}

impl<E: Into<HrError>> From<E> for EventRefusal {
    fn from(error: E) -> EventRefusal {
        EventRefusal::Refused(error.into())
    }
}

/// An event's details as typed, before any check.
#[derive(Debug, Clone)]
pub(crate) struct EventInput {
    pub name: Localized,
    pub venue: String,
    pub starts_on: String,
    pub ends_on: Option<String>,
    pub languages: Vec<String>,
    pub draft_form: FormDefinition,
}

/// A one-line text, trimmed: not blank, at most `max` characters, no control characters.
fn line(text: &str, max: usize) -> Result<String, Rule> {
    let text = text.trim();
    if text.is_empty() {
        Err(Rule::Blank)
    } else if text.chars().count() > max {
        Err(Rule::TooLong(max))
    } else if text.chars().any(char::is_control) {
        Err(Rule::ControlCharacters)
    } else {
        Ok(text.to_owned())
    }
}

/// A notice, trimmed at its ends, with line breaks as `\n` (a browser posts a textarea's
/// as `\r\n`, and the kiosks split paragraphs at `\n\n`): not blank, at most
/// [`NOTICE_MAX_CHARS`], and no control characters but line breaks and tabs.
fn notice(text: &str) -> Result<String, Rule> {
    let text = text.replace("\r\n", "\n").replace('\r', "\n");
    let text = text.trim();
    if text.is_empty() {
        Err(Rule::Blank)
    } else if text.chars().count() > NOTICE_MAX_CHARS {
        Err(Rule::TooLong(NOTICE_MAX_CHARS))
    } else if text
        .chars()
        .any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
    {
        Err(Rule::ControlCharacters)
    } else {
        Ok(text.to_owned())
    }
}

fn is_choice_code(code: &str) -> bool {
    (1..=CODE_MAX_CHARS).contains(&code.len())
        && code
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

/// A checked list: codes unique slugs, both labels present; entries trimmed.
fn choices(field: EventField, list: &[Choice], problems: &mut Vec<Problem>) -> Vec<Choice> {
    if list.len() > MAX_CHOICES {
        problems.push(Problem::on(field, Rule::TooManyChoices(MAX_CHOICES)));
        return list.to_vec();
    }
    let mut seen = std::collections::BTreeSet::new();
    let mut checked = Vec::with_capacity(list.len());
    for (index, choice) in list.iter().enumerate() {
        let mut wrong = |part, rule| {
            problems.push(Problem {
                field,
                entry: Some((index, part)),
                rule,
            })
        };
        let code = choice.code.trim();
        if !is_choice_code(code) {
            wrong(ChoicePart::Code, Rule::NotChoiceCode);
        } else if !seen.insert(code.to_owned()) {
            wrong(ChoicePart::Code, Rule::RepeatedCode);
        }
        let sv = line(&choice.label.sv, LABEL_MAX_CHARS)
            .inspect_err(|rule| wrong(ChoicePart::LabelSv, *rule))
            .unwrap_or_default();
        let en = line(&choice.label.en, LABEL_MAX_CHARS)
            .inspect_err(|rule| wrong(ChoicePart::LabelEn, *rule))
            .unwrap_or_default();
        checked.push(Choice {
            code: code.to_owned(),
            label: Localized::new(sv, en),
        });
    }
    checked
}

/// The event id, if it is a slug.
pub(crate) fn check_id(id: &str) -> Result<EventId, Problem> {
    EventId::parse(id.trim()).ok_or(Problem::on(EventField::Id, Rule::NotEventSlug))
}

/// The details as stored, or every problem with them. The same rules as
/// [`FormDefinition::check`] and [`Event::publish`], named field by field, plus limits on
/// sizes.
pub(crate) fn check_details(input: &EventInput) -> Result<EventDetails, Vec<Problem>> {
    let mut problems = Vec::new();
    let mut text = |field, checked: Result<String, Rule>| {
        checked
            .inspect_err(|rule| problems.push(Problem::on(field, *rule)))
            .unwrap_or_default()
    };
    let name = Localized::new(
        text(EventField::NameSv, line(&input.name.sv, NAME_MAX_CHARS)),
        text(EventField::NameEn, line(&input.name.en, NAME_MAX_CHARS)),
    );
    let venue = text(EventField::Venue, line(&input.venue, NAME_MAX_CHARS));
    let form = &input.draft_form;
    let privacy_notice = Localized::new(
        text(EventField::PrivacySv, notice(&form.privacy_notice.sv)),
        text(EventField::PrivacyEn, notice(&form.privacy_notice.en)),
    );
    let talent_pool_notice = Localized::new(
        text(
            EventField::TalentPoolSv,
            notice(&form.talent_pool_notice.sv),
        ),
        text(
            EventField::TalentPoolEn,
            notice(&form.talent_pool_notice.en),
        ),
    );
    let decision = text(
        EventField::RetentionDecision,
        line(&form.retention.decision, LABEL_MAX_CHARS),
    );

    let starts_on = CalendarDate::parse(input.starts_on.trim());
    if starts_on.is_none() {
        problems.push(Problem::on(EventField::StartsOn, Rule::NotDate));
    }
    let ends_on = match input.ends_on.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(text) => {
            let date = CalendarDate::parse(text);
            match (&date, &starts_on) {
                (None, _) => problems.push(Problem::on(EventField::EndsOn, Rule::NotDate)),
                (Some(end), Some(start)) if end < start => {
                    problems.push(Problem::on(EventField::EndsOn, Rule::EndsBeforeStart))
                }
                _ => {}
            }
            date
        }
    };

    let mut languages = Vec::new();
    for tag in &input.languages {
        match Language::ALL.into_iter().find(|l| l.tag() == tag.trim()) {
            None => problems.push(Problem::on(EventField::Languages, Rule::UnknownLanguage)),
            Some(language) if languages.contains(&language) => {
                problems.push(Problem::on(EventField::Languages, Rule::RepeatedLanguage))
            }
            Some(language) => languages.push(language),
        }
    }
    if input.languages.is_empty() {
        problems.push(Problem::on(EventField::Languages, Rule::NoLanguage));
    }

    let interest_areas = choices(
        EventField::InterestAreas,
        &form.interest_areas,
        &mut problems,
    );
    let locations = choices(EventField::Locations, &form.locations, &mut problems);
    let education_levels = choices(
        EventField::EducationLevels,
        &form.education_levels,
        &mut problems,
    );
    if interest_areas.is_empty() {
        problems.push(Problem::on(EventField::InterestAreas, Rule::NoChoices));
    }
    if form.fields.locations.is_on() && locations.is_empty() {
        problems.push(Problem::on(EventField::Locations, Rule::ListNeeded));
    }
    if form.fields.education_level.is_on() && education_levels.is_empty() {
        problems.push(Problem::on(EventField::EducationLevels, Rule::ListNeeded));
    }
    if !form.fields.email.is_on() && !form.fields.phone.is_on() {
        problems.push(Problem::on(
            EventField::ContactFields,
            Rule::NoContactChannel,
        ));
    }
    if !(1..=limits::MAX_INTERESTS_CEILING).contains(&form.max_interests) {
        problems.push(Problem::on(
            EventField::MaxInterests,
            Rule::OutOfRange(1, limits::MAX_INTERESTS_CEILING.into()),
        ));
    }
    if !(1..=limits::RETENTION_MAX_MONTHS).contains(&form.retention.months_after_capture) {
        problems.push(Problem::on(
            EventField::RetentionMonths,
            Rule::OutOfRange(1, limits::RETENTION_MAX_MONTHS.into()),
        ));
    }

    let (Some(starts_on), true) = (starts_on, problems.is_empty()) else {
        return Err(problems);
    };
    let draft_form = FormDefinition {
        fields: form.fields.clone(),
        interest_areas,
        max_interests: form.max_interests,
        locations,
        education_levels,
        privacy_notice,
        talent_pool_notice,
        retention: kiosk_core::form::RetentionRule {
            months_after_capture: form.retention.months_after_capture,
            decision,
        },
    };
    // The form's own check is the authority; the checks above name the field first.
    draft_form.check().map_err(|e| vec![form_problem(&e)])?;
    Ok(EventDetails {
        name,
        venue,
        starts_on,
        ends_on,
        languages,
        draft_form,
    })
}

/// The field a form's own refusal is about.
pub(crate) fn form_problem(error: &FormDefinitionError) -> Problem {
    use FormDefinitionError as E;
    let (field, rule) = match error {
        E::NoInterestAreas => (EventField::InterestAreas, Rule::NoChoices),
        E::MaxInterestsOutOfRange => (
            EventField::MaxInterests,
            Rule::OutOfRange(1, limits::MAX_INTERESTS_CEILING.into()),
        ),
        E::NoContactChannel => (EventField::ContactFields, Rule::NoContactChannel),
        E::LocationsOnWithoutList => (EventField::Locations, Rule::ListNeeded),
        E::EducationOnWithoutList => (EventField::EducationLevels, Rule::ListNeeded),
        // Which list is not said; interest areas are the list every form has.
        E::InvalidChoiceCode { .. } => (EventField::InterestAreas, Rule::NotChoiceCode),
        E::DuplicateChoiceCode { .. } => (EventField::InterestAreas, Rule::RepeatedCode),
        E::MissingChoiceLabel { .. } => (EventField::InterestAreas, Rule::Blank),
        E::MissingNoticeText { notice } if notice.starts_with("talent") => {
            (EventField::TalentPoolSv, Rule::Blank)
        }
        E::MissingNoticeText { .. } => (EventField::PrivacySv, Rule::Blank),
        E::InvalidRetentionRule => (
            EventField::RetentionMonths,
            Rule::OutOfRange(1, limits::RETENTION_MAX_MONTHS.into()),
        ),
    };
    Problem::on(field, rule)
}

/// A refused edit as the caller's error.
fn edit_refusal(refusal: EventEditRefusal) -> EventRefusal {
    match refusal {
        EventEditRefusal::UnknownEvent => Missing::Event.into(),
        EventEditRefusal::DraftChangedSince => Conflict::DraftChangedSince.into(),
        EventEditRefusal::Edit(EditAtHeadsError::UnknownHeads) => Conflict::UnknownHeads.into(),
        EventEditRefusal::Edit(EditAtHeadsError::AuthorChangedSince) => Conflict::StaleHeads.into(),
        EventEditRefusal::Edit(EditAtHeadsError::Event(error)) => event_problem(error),
        // An edit of details never touches published forms: this is a fault.
        EventEditRefusal::Edit(other) => unbreakable(other),
    }
}

/// A refusal by a rule an edit of details cannot break: a fault, logged at the edge.
fn unbreakable(error: impl std::error::Error + Send + Sync + 'static) -> EventRefusal {
    HrError::Unexpected {
        context: "an event edit refused by a rule it cannot break",
        source: Box::new(error),
    }
    .into()
}

fn event_problem(error: EventError) -> EventRefusal {
    let problem = match &error {
        EventError::EndsBeforeStart => Problem::on(EventField::EndsOn, Rule::EndsBeforeStart),
        EventError::NoLanguage => Problem::on(EventField::Languages, Rule::NoLanguage),
        EventError::InvalidForm(form) => form_problem(form),
        EventError::TamperedForm { .. } | EventError::NotPublished => return unbreakable(error),
    };
    EventRefusal::Invalid(vec![problem])
}

/// Heads as the API and the console carry them: lowercase hex.
pub(crate) fn heads_hex(heads: &[[u8; 32]]) -> Vec<String> {
    heads.iter().map(hex::encode).collect()
}

/// Heads from their hex form.
pub(crate) fn parse_heads<S: AsRef<str>>(heads: &[S]) -> HrResult<Vec<[u8; 32]>> {
    let bad = || HrError::BadBody("heads: one or more hashes of 64 hex digits".into());
    if heads.is_empty() || heads.len() > 64 {
        return Err(bad());
    }
    heads
        .iter()
        .map(|head| {
            hex::decode(head.as_ref().trim())
                .ok()
                .and_then(|bytes| <[u8; 32]>::try_from(bytes).ok())
                .ok_or_else(bad)
        })
        .collect()
}

/// The event `id` names, if there is one.
fn event_id(id: &str) -> HrResult<EventId> {
    Ok(EventId::parse(id).ok_or(Missing::Event)?)
}

/// Every event, latest start first. Events hold no personal data. Blocking.
pub(crate) fn summaries(store: &dyn RelayStore) -> HrResult<Vec<EventSummary>> {
    store.event_summaries().context("listing events")
}

/// Event `id` with its heads. Blocking.
pub(crate) fn read(store: &dyn RelayStore, id: &str) -> HrResult<(Event, Vec<[u8; 32]>)> {
    Ok(store
        .event_with_heads(&event_id(id)?)
        .context("reading an event")?
        .ok_or(Missing::Event)?)
}

/// Creates event `id` with `input` as `admin`'s first change. Blocking.
pub(crate) fn create(
    store: &dyn RelayStore,
    admin: &HrUser,
    id: &str,
    input: &EventInput,
) -> Result<(Event, Vec<[u8; 32]>), EventRefusal> {
    let checked_id = check_id(id);
    let details = check_details(input);
    let (id, details) = match (checked_id, details) {
        (Ok(id), Ok(details)) => (id, details),
        (id, details) => {
            let mut problems: Vec<Problem> = id.err().into_iter().collect();
            problems.extend(details.err().unwrap_or_default());
            return Err(EventRefusal::Invalid(problems));
        }
    };
    let mut event = Event::new(
        id,
        details.name,
        details.venue,
        details.starts_on,
        details.ends_on,
        details.draft_form,
    )
    .map_err(event_problem)?;
    event.languages = details.languages;
    let heads = store
        .create_event(&event, &admin.actor_key(), Timestamp::now())
        .context("creating an event")?
        .ok_or(Conflict::EventExists)?;
    tracing::info!(admin = admin.id, event = %event.id, "event created");
    Ok((event, heads))
}

/// Saves `input` over event `id` as `admin`, based on `heads` they read. Blocking.
pub(crate) fn save(
    store: &dyn RelayStore,
    admin: &HrUser,
    id: &str,
    heads: &[[u8; 32]],
    input: &EventInput,
) -> Result<EventEdited, EventRefusal> {
    let id = event_id(id)?;
    let details = check_details(input).map_err(EventRefusal::Invalid)?;
    let edited = store
        .edit_event(
            &id,
            heads,
            &EventEdit::Details(Box::new(details)),
            &admin.actor_key(),
            Timestamp::now(),
        )
        .context("saving an event")?
        .map_err(edit_refusal)?;
    tracing::info!(
        admin = admin.id,
        event = %id,
        merged = edited.merged_concurrent,
        "event edited"
    );
    Ok(edited)
}

/// Publishes event `id`'s draft as `admin`, who read it at `heads`. Blocking.
pub(crate) fn publish(
    store: &dyn RelayStore,
    admin: &HrUser,
    id: &str,
    heads: &[[u8; 32]],
) -> Result<EventEdited, EventRefusal> {
    let id = event_id(id)?;
    let edited = store
        .edit_event(
            &id,
            heads,
            &EventEdit::Publish,
            &admin.actor_key(),
            Timestamp::now(),
        )
        .context("publishing an event's form")?
        .map_err(edit_refusal)?;
    tracing::info!(
        admin = admin.id,
        event = %id,
        version = edited.published.as_ref().map(|v| v.as_str()),
        "event form published"
    );
    Ok(edited)
}

#[cfg(test)]
mod tests {
    use super::*;
    use kiosk_core::demo::demo_event;

    fn input() -> EventInput {
        let event = demo_event();
        EventInput {
            name: event.name,
            venue: event.venue,
            starts_on: "2026-09-10".into(),
            ends_on: Some("2026-09-11".into()),
            languages: vec!["sv".into(), "en".into()],
            draft_form: event.draft_form,
        }
    }

    fn problems(input: &EventInput) -> Vec<String> {
        check_details(input)
            .expect_err("refused")
            .iter()
            .map(Problem::english)
            .collect()
    }

    #[test]
    fn valid_details_pass_and_are_trimmed() {
        let mut typed = input();
        typed.venue = "  Stockholmsmässan ".into();
        typed.ends_on = Some(" ".into());
        let details = check_details(&typed).expect("valid");
        assert_eq!(details.venue, "Stockholmsmässan");
        assert_eq!(details.ends_on, None, "a blank end date is a standing desk");
        assert_eq!(details.draft_form, demo_event().draft_form);
    }

    #[test]
    fn every_problem_names_its_field_and_entry_but_not_the_value() {
        let mut typed = input();
        typed.name.en = "x".repeat(NAME_MAX_CHARS + 1);
        typed.ends_on = Some("2026-09-09".into());
        typed.languages = vec!["de".into()];
        typed.draft_form.interest_areas[2].code = "IT Development".into();
        typed.draft_form.interest_areas[3].label.sv = " ".into();
        typed
            .draft_form
            .locations
            .push(typed.draft_form.locations[0].clone());
        typed.draft_form.retention.months_after_capture = 500;
        assert_eq!(
            problems(&typed),
            vec![
                "name.en: at most 200 characters",
                "ends_on: must not be before starts_on",
                "languages: each language is \"sv\" or \"en\"",
                "draft_form.interest_areas[2].code: 1–48 lowercase letters, digits and hyphens",
                "draft_form.interest_areas[3].label.sv: must not be empty",
                "draft_form.locations[7].code: each code at most once in a list",
                "draft_form.retention.months_after_capture: between 1 and 120",
            ]
        );
    }

    #[test]
    fn a_form_nobody_could_answer_is_refused_by_field() {
        let mut typed = input();
        typed.draft_form.interest_areas.clear();
        typed.draft_form.fields.email = kiosk_core::form::FieldRequirement::Off;
        typed.draft_form.fields.phone = kiosk_core::form::FieldRequirement::Off;
        typed.draft_form.privacy_notice.en = "\u{7}".into();
        typed.draft_form.talent_pool_notice.sv = "å".repeat(NOTICE_MAX_CHARS + 1);
        assert_eq!(
            problems(&typed),
            vec![
                "draft_form.privacy_notice.en: must not contain control characters",
                "draft_form.talent_pool_notice.sv: at most 5000 characters",
                "draft_form.interest_areas: at least one choice",
                "draft_form.fields: email or phone must be on the form",
            ]
        );
    }

    #[test]
    fn notices_keep_their_paragraphs_as_the_kiosks_split_them() {
        let mut typed = input();
        typed.draft_form.privacy_notice.sv = "Första stycket.\r\n\r\nAndra stycket.\r\n".into();
        let details = check_details(&typed).expect("valid");
        assert_eq!(
            details.draft_form.privacy_notice.sv,
            "Första stycket.\n\nAndra stycket."
        );
    }

    #[test]
    fn a_store_failure_reading_an_event_names_what_was_being_done() {
        let dir = tempfile::tempdir().expect("dir");
        let path = dir.path().join("relay.db");
        let store = crate::storage::SqliteStore::open(&path).expect("store");
        assert!(matches!(
            read(&store, "host-fair-2026"),
            Err(HrError::NotFound(Missing::Event))
        ));
        assert!(matches!(
            read(&store, "Not An Id"),
            Err(HrError::NotFound(Missing::Event))
        ));
        rusqlite::Connection::open(&path)
            .expect("opened")
            .execute_batch("DROP TABLE events")
            .expect("dropped");
        match read(&store, "host-fair-2026") {
            Err(HrError::Storage { context, .. }) => assert_eq!(context, "reading an event"),
            other => panic!("not a storage failure: {other:?}"),
        }
    }

    #[test]
    fn event_ids_and_heads_must_have_their_shape() {
        assert!(check_id("host-fair-2026").is_ok());
        for bad in ["Host Fair", "-fair", "ab", ""] {
            assert_eq!(
                check_id(bad),
                Err(Problem::on(EventField::Id, Rule::NotEventSlug))
            );
        }
        let head = "ab".repeat(32);
        assert_eq!(
            parse_heads(&[head.as_str()]).expect("hex"),
            vec![[0xab; 32]]
        );
        assert!(parse_heads(&["abc"]).is_err());
        assert!(parse_heads::<&str>(&[]).is_err());
    }
}
