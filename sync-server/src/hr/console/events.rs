//! `/console/events`: admins list events and create one; `/console/events/{id}` edits an
//! event's details and draft form and publishes it. The rules, the edit at the heads the
//! page was rendered from, and the publication are the JSON API's ([`crate::hr::events`]);
//! this module turns form fields into the API's input (lists are typed one choice per line,
//! `code | svensk etikett | English label`) and the API's problems into errors on fields.
//!
//! After a save the page says so, and says when the save merged with someone else's
//! concurrent change. A refused save shows the page again with the input kept.

use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, Uri};
use axum::response::{IntoResponse, Redirect, Response};
use kiosk_core::event::Event;
use kiosk_core::form::{Choice, FieldRequirement, FormDefinition, FormFields, RetentionRule};
use kiosk_core::language::{Language, Localized};
use maud::{Markup, html};
use serde::Deserialize;

use super::layout::{Field, FieldError, Nav, column_heads, error_summary, notice, select};
use super::texts::{fill, texts};
use super::{Console, ConsoleForm, EVENTS, html_page};
use crate::blocking::blocking;
use crate::hr::accounts::HrUser;
use crate::hr::dates;
use crate::hr::error::{Conflict, HrError, HrResult, Missing};
use crate::hr::events::{
    self, ChoicePart, EventField, EventInput, EventRefusal, Problem, Rule, check_details,
    heads_hex, parse_heads,
};
use crate::state::AppState;
use crate::storage::EventSummary;

/// The event pages' texts in one language.
#[derive(Debug)]
struct EventTexts {
    list_title: &'static str,
    table_caption: &'static str,
    col_name: &'static str,
    col_dates: &'static str,
    col_venue: &'static str,
    col_current: &'static str,
    col_draft: &'static str,
    standing_desk: &'static str,
    not_published: &'static str,
    draft_not_published: &'static str,
    draft_is_current: &'static str,
    no_events: &'static str,
    new_event: &'static str,
    new_event_intro: &'static str,
    create_button: &'static str,
    edit_title: &'static str,
    back_to_events: &'static str,
    details_heading: &'static str,
    save_button: &'static str,
    // Fields.
    id: &'static str,
    id_hint: &'static str,
    event_legend: &'static str,
    name_sv: &'static str,
    name_en: &'static str,
    venue: &'static str,
    starts_on: &'static str,
    ends_on: &'static str,
    ends_on_hint: &'static str,
    date_hint: &'static str,
    languages_legend: &'static str,
    swedish: &'static str,
    english: &'static str,
    fields_legend: &'static str,
    fields_hint: &'static str,
    email: &'static str,
    phone: &'static str,
    locations_field: &'static str,
    education_field: &'static str,
    free_text_field: &'static str,
    off: &'static str,
    optional: &'static str,
    required: &'static str,
    lists_legend: &'static str,
    list_hint: &'static str,
    max_interests: &'static str,
    max_interests_hint: &'static str,
    interest_areas: &'static str,
    locations: &'static str,
    education_levels: &'static str,
    notices_legend: &'static str,
    privacy_sv: &'static str,
    privacy_en: &'static str,
    talent_pool_sv: &'static str,
    talent_pool_en: &'static str,
    retention_legend: &'static str,
    retention_months: &'static str,
    retention_months_hint: &'static str,
    retention_decision: &'static str,
    retention_decision_hint: &'static str,
    // Publishing.
    publish_heading: &'static str,
    publish_explained: &'static str,
    publish_button: &'static str,
    versions_heading: &'static str,
    versions_caption: &'static str,
    col_version: &'static str,
    col_published_at: &'static str,
    no_versions: &'static str,
    yes: &'static str,
    // Notices.
    created: &'static str,
    saved: &'static str,
    merged: &'static str,
    published: &'static str,
    // Errors.
    not_found_title: &'static str,
    not_found: &'static str,
    event_exists: &'static str,
    unknown_heads: &'static str,
    stale_heads: &'static str,
    merge_invalid: &'static str,
    publish_refused: &'static str,
    publish_out_of_date: &'static str,
    bad_line: &'static str,
    whole_number: &'static str,
    bad_choice: &'static str,
    entry: &'static str,
    part_code: &'static str,
    part_label_sv: &'static str,
    part_label_en: &'static str,
    // Rules, as `crate::hr::events::Rule` names them.
    blank: &'static str,
    too_long: &'static str,
    control_characters: &'static str,
    not_event_slug: &'static str,
    not_choice_code: &'static str,
    not_date: &'static str,
    ends_before_start: &'static str,
    no_language: &'static str,
    unknown_language: &'static str,
    no_choices: &'static str,
    too_many_choices: &'static str,
    repeated_code: &'static str,
    out_of_range: &'static str,
    no_contact_channel: &'static str,
    list_needed: &'static str,
}

const SV: EventTexts = EventTexts {
    list_title: "Evenemang",
    table_caption: "Alla evenemang, senaste start först",
    col_name: "Namn",
    col_dates: "Datum",
    col_venue: "Plats",
    col_current: "Aktuell version",
    col_draft: "Utkast",
    standing_desk: "från {} (stående disk)",
    not_published: "Inte publicerat",
    draft_not_published: "Utkastet är inte publicerat än",
    draft_is_current: "Samma som aktuell version",
    no_events: "Det finns inga evenemang än.",
    new_event: "Nytt evenemang",
    new_event_intro: "Evenemanget skapas med ett utkast till formulär. Kiosker visar det först när du har publicerat det.",
    create_button: "Skapa evenemanget",
    edit_title: "Redigera evenemang: {}",
    back_to_events: "Tillbaka till alla evenemang",
    details_heading: "Uppgifter och formulär",
    save_button: "Spara",
    id: "Kod för evenemanget",
    id_hint: "3–64 tecken: små bokstäver a–z, siffror och bindestreck, till exempel host-massan-2026. Koden kan inte ändras senare.",
    event_legend: "Evenemanget",
    name_sv: "Namn på svenska",
    name_en: "Namn på engelska",
    venue: "Plats",
    starts_on: "Startdatum",
    ends_on: "Slutdatum",
    ends_on_hint: "Som ÅÅÅÅ-MM-DD. Lämna tomt för en stående disk på ett servicecenter.",
    date_hint: "Som ÅÅÅÅ-MM-DD.",
    languages_legend: "Språk som kiosken erbjuder besökare",
    swedish: "Svenska",
    english: "Engelska",
    fields_legend: "Fält i formuläret",
    fields_hint: "Namn och intresseområden finns alltid med. E-post eller telefon måste finnas med.",
    email: "E-post",
    phone: "Telefon",
    locations_field: "Orter",
    education_field: "Utbildningsnivå",
    free_text_field: "Fritext",
    off: "Finns inte med",
    optional: "Frivilligt",
    required: "Obligatoriskt",
    lists_legend: "Listor som besökaren väljer ur",
    list_hint: "Ett val per rad: kod | svensk etikett | English label. Koden är små bokstäver a–z, siffror och bindestreck och sparas i registreringarna; etiketterna kan formuleras om senare.",
    max_interests: "Högst antal intresseområden per besökare",
    max_interests_hint: "Ett heltal från 1 till 10.",
    interest_areas: "Intresseområden",
    locations: "Orter",
    education_levels: "Utbildningsnivåer",
    notices_legend: "Texter för besökaren",
    privacy_sv: "Integritetsmeddelande på svenska",
    privacy_en: "Integritetsmeddelande på engelska",
    talent_pool_sv: "Text för talangpoolen på svenska",
    talent_pool_en: "Text för talangpoolen på engelska",
    retention_legend: "Gallring",
    retention_months: "Antal månader som registreringar sparas",
    retention_months_hint: "Ett heltal från 1 till 120, räknat från det att registreringen togs emot.",
    retention_decision: "Gallringsbeslut",
    retention_decision_hint: "Beslutet som gallringen vilar på, till exempel dess diarienummer.",
    publish_heading: "Publicera",
    publish_explained: "När du publicerar fryses utkastet som det ser ut nu, med andras sparade ändringar, som en ny version. Kiosker visar den för nya besökare. Tidigare versioner finns kvar oförändrade.",
    publish_button: "Publicera utkastet",
    versions_heading: "Publicerade versioner",
    versions_caption: "Publicerade versioner, senaste först",
    col_version: "Version",
    col_published_at: "Publicerad",
    no_versions: "Inget är publicerat än.",
    yes: "Ja",
    created: "Evenemanget är skapat. Det är inte publicerat än.",
    saved: "Sparat.",
    merged: "Någon annan ändrade samtidigt; båda ändringarna är kvar.",
    published: "Formuläret är publicerat som version {}. Kiosker visar det för nya besökare.",
    not_found_title: "Evenemanget finns inte",
    not_found: "Det finns inget evenemang med den adressen.",
    event_exists: "Det finns redan ett evenemang med den koden.",
    unknown_heads: "Evenemanget har ändrats på ett sätt som den här sidan inte känner till. Öppna evenemanget igen; det du skrev nedan sparades inte.",
    stale_heads: "Du har ändrat evenemanget i ett annat fönster efter att den här sidan öppnades. Öppna evenemanget igen; det du skrev nedan sparades inte.",
    merge_invalid: "Någon annan sparade en ändring samtidigt, och tillsammans med den blir formuläret ogiltigt. Ingenting sparades.",
    publish_refused: "Utkastet kan inte publiceras förrän felen är rättade.",
    publish_out_of_date: "Sidan var inaktuell och ingenting publicerades. Här är evenemanget som det ser ut nu; kontrollera utkastet och publicera igen.",
    bad_line: "Rad {}: skriv kod | svensk etikett | English label.",
    whole_number: "Skriv ett heltal.",
    bad_choice: "Välj ett av alternativen.",
    entry: "Rad {}",
    part_code: "kod",
    part_label_sv: "svensk etikett",
    part_label_en: "engelsk etikett",
    blank: "Får inte vara tomt.",
    too_long: "Högst {} tecken.",
    control_characters: "Innehåller otillåtna styrtecken.",
    not_event_slug: "3–64 tecken: små bokstäver a–z, siffror och bindestreck (inte först eller sist).",
    not_choice_code: "1–48 tecken: små bokstäver a–z, siffror och bindestreck.",
    not_date: "Skriv ett datum som ÅÅÅÅ-MM-DD.",
    ends_before_start: "Slutdatumet får inte vara före startdatumet.",
    no_language: "Välj minst ett språk.",
    unknown_language: "Välj svenska, engelska eller båda.",
    no_choices: "Skriv minst ett val.",
    too_many_choices: "Högst {} val.",
    repeated_code: "Koden finns redan i listan.",
    out_of_range: "Ett heltal från 1 till {}.",
    no_contact_channel: "E-post eller telefon måste finnas med i formuläret.",
    list_needed: "Fältet finns med i formuläret, så listan behöver minst ett val.",
};

const EN: EventTexts = EventTexts {
    list_title: "Events",
    table_caption: "All events, latest start first",
    col_name: "Name",
    col_dates: "Dates",
    col_venue: "Venue",
    col_current: "Current version",
    col_draft: "Draft",
    standing_desk: "from {} (standing desk)",
    not_published: "Not published",
    draft_not_published: "Draft not yet published",
    draft_is_current: "Same as the current version",
    no_events: "There are no events yet.",
    new_event: "New event",
    new_event_intro: "The event is created with a draft form. Kiosks show it only once you have published it.",
    create_button: "Create the event",
    edit_title: "Edit event: {}",
    back_to_events: "Back to all events",
    details_heading: "Details and form",
    save_button: "Save",
    id: "Event id",
    id_hint: "3–64 characters: lowercase letters a–z, digits and hyphens, for example host-fair-2026. The id cannot be changed later.",
    event_legend: "The event",
    name_sv: "Name in Swedish",
    name_en: "Name in English",
    venue: "Venue",
    starts_on: "Start date",
    ends_on: "End date",
    ends_on_hint: "As YYYY-MM-DD. Leave empty for a standing desk at a service centre.",
    date_hint: "As YYYY-MM-DD.",
    languages_legend: "Languages the kiosk offers visitors",
    swedish: "Swedish",
    english: "English",
    fields_legend: "Fields on the form",
    fields_hint: "Name and interest areas are always on the form. Email or phone must be on it.",
    email: "Email",
    phone: "Phone",
    locations_field: "Locations",
    education_field: "Education level",
    free_text_field: "Free text",
    off: "Not on the form",
    optional: "Optional",
    required: "Required",
    lists_legend: "Lists the visitor chooses from",
    list_hint: "One choice per line: code | Swedish label | English label. The code is lowercase letters a–z, digits and hyphens and is stored in registrations; labels can be reworded later.",
    max_interests: "Most interest areas per visitor",
    max_interests_hint: "A whole number from 1 to 10.",
    interest_areas: "Interest areas",
    locations: "Locations",
    education_levels: "Education levels",
    notices_legend: "Texts for the visitor",
    privacy_sv: "Privacy notice in Swedish",
    privacy_en: "Privacy notice in English",
    talent_pool_sv: "Talent-pool text in Swedish",
    talent_pool_en: "Talent-pool text in English",
    retention_legend: "Retention",
    retention_months: "Months registrations are kept",
    retention_months_hint: "A whole number from 1 to 120, counted from when the registration was received.",
    retention_decision: "Retention decision",
    retention_decision_hint: "The decision the retention rests on, for example its registration number.",
    publish_heading: "Publish",
    publish_explained: "Publishing freezes the draft as it is now, with others' saved changes, as a new version. Kiosks show it to new visitors. Earlier versions stay as they were.",
    publish_button: "Publish the draft",
    versions_heading: "Published versions",
    versions_caption: "Published versions, latest first",
    col_version: "Version",
    col_published_at: "Published",
    no_versions: "Nothing is published yet.",
    yes: "Yes",
    created: "The event is created. It is not published yet.",
    saved: "Saved.",
    merged: "Someone else changed the event at the same time; both changes are kept.",
    published: "The form is published as version {}. Kiosks show it to new visitors.",
    not_found_title: "No such event",
    not_found: "There is no event at that address.",
    event_exists: "An event with this id exists already.",
    unknown_heads: "The event has changed in a way this page does not know. Open the event again; what you typed below was not saved.",
    stale_heads: "You changed the event in another window after this page was opened. Open the event again; what you typed below was not saved.",
    merge_invalid: "Someone else saved a change at the same time, and together with it the form would be invalid. Nothing was saved.",
    publish_refused: "The draft cannot be published until the errors are corrected.",
    publish_out_of_date: "This page was out of date and nothing was published. Here is the event as it is now; check the draft and publish again.",
    bad_line: "Line {}: write code | Swedish label | English label.",
    whole_number: "Write a whole number.",
    bad_choice: "Choose one of the options.",
    entry: "Line {}",
    part_code: "code",
    part_label_sv: "Swedish label",
    part_label_en: "English label",
    blank: "Must not be empty.",
    too_long: "At most {} characters.",
    control_characters: "Contains control characters that are not allowed.",
    not_event_slug: "3–64 characters: lowercase letters a–z, digits and hyphens (not first or last).",
    not_choice_code: "1–48 characters: lowercase letters a–z, digits and hyphens.",
    not_date: "Write a date as YYYY-MM-DD.",
    ends_before_start: "The end date must not be before the start date.",
    no_language: "Choose at least one language.",
    unknown_language: "Choose Swedish, English or both.",
    no_choices: "Write at least one choice.",
    too_many_choices: "At most {} choices.",
    repeated_code: "The code is already in the list.",
    out_of_range: "A whole number from 1 to {}.",
    no_contact_channel: "Email or phone must be on the form.",
    list_needed: "The field is on the form, so its list needs at least one choice.",
};

fn event_texts(lang: Language) -> &'static EventTexts {
    match lang {
        Language::Swedish => &SV,
        Language::English => &EN,
    }
}

/// The form's field names (and element ids).
const ID: &str = "id";
const HEADS: &str = "heads";
const NAME_SV: &str = "name_sv";
const NAME_EN: &str = "name_en";
const VENUE: &str = "venue";
const STARTS_ON: &str = "starts_on";
const ENDS_ON: &str = "ends_on";
const LANG_SV: &str = "lang_sv";
const LANG_EN: &str = "lang_en";
const FIELD_EMAIL: &str = "field_email";
const FIELD_PHONE: &str = "field_phone";
const FIELD_LOCATIONS: &str = "field_locations";
const FIELD_EDUCATION: &str = "field_education_level";
const FIELD_FREE_TEXT: &str = "field_free_text";
const MAX_INTERESTS: &str = "max_interests";
const INTEREST_AREAS: &str = "interest_areas";
const LOCATIONS: &str = "locations";
const EDUCATION_LEVELS: &str = "education_levels";
const PRIVACY_SV: &str = "privacy_sv";
const PRIVACY_EN: &str = "privacy_en";
const TALENT_POOL_SV: &str = "talent_pool_sv";
const TALENT_POOL_EN: &str = "talent_pool_en";
const RETENTION_MONTHS: &str = "retention_months";
const RETENTION_DECISION: &str = "retention_decision";

/// The console field an API field is typed in.
fn field_id(field: EventField) -> &'static str {
    match field {
        EventField::Id => ID,
        EventField::NameSv => NAME_SV,
        EventField::NameEn => NAME_EN,
        EventField::Venue => VENUE,
        EventField::StartsOn => STARTS_ON,
        EventField::EndsOn => ENDS_ON,
        EventField::Languages => LANG_SV,
        EventField::ContactFields => FIELD_EMAIL,
        EventField::MaxInterests => MAX_INTERESTS,
        EventField::InterestAreas => INTEREST_AREAS,
        EventField::Locations => LOCATIONS,
        EventField::EducationLevels => EDUCATION_LEVELS,
        EventField::PrivacySv => PRIVACY_SV,
        EventField::PrivacyEn => PRIVACY_EN,
        EventField::TalentPoolSv => TALENT_POOL_SV,
        EventField::TalentPoolEn => TALENT_POOL_EN,
        EventField::RetentionMonths => RETENTION_MONTHS,
        EventField::RetentionDecision => RETENTION_DECISION,
    }
}

/// The event form as typed: every field a string, so a refused form shows what was typed.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub(crate) struct EventForm {
    id: String,
    heads: String,
    name_sv: String,
    name_en: String,
    venue: String,
    starts_on: String,
    ends_on: String,
    lang_sv: Option<String>,
    lang_en: Option<String>,
    field_email: String,
    field_phone: String,
    field_locations: String,
    field_education_level: String,
    field_free_text: String,
    max_interests: String,
    interest_areas: String,
    locations: String,
    education_levels: String,
    privacy_sv: String,
    privacy_en: String,
    talent_pool_sv: String,
    talent_pool_en: String,
    retention_months: String,
    retention_decision: String,
}

fn requirement_value(requirement: FieldRequirement) -> &'static str {
    match requirement {
        FieldRequirement::Off => "off",
        FieldRequirement::Optional => "optional",
        FieldRequirement::Required => "required",
    }
}

fn requirement(value: &str) -> Option<FieldRequirement> {
    match value {
        "off" => Some(FieldRequirement::Off),
        "optional" => Some(FieldRequirement::Optional),
        "required" => Some(FieldRequirement::Required),
        _ => None,
    }
}

/// A list as the textarea shows it: one `code | sv | en` per line.
fn choice_lines(choices: &[Choice]) -> String {
    choices
        .iter()
        .map(|c| format!("{} | {} | {}", c.code, c.label.sv, c.label.en))
        .collect::<Vec<_>>()
        .join("\n")
}

/// A textarea's choices, each with its line number; the numbers of lines not of the form
/// `code | sv | en` are refused.
fn parse_choices(text: &str) -> (Vec<Choice>, Vec<usize>, Vec<usize>) {
    let (mut choices, mut lines, mut bad) = (Vec::new(), Vec::new(), Vec::new());
    for (index, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let parts: Vec<&str> = line.split('|').map(str::trim).collect();
        match parts.as_slice() {
            [code, sv, en] => {
                choices.push(Choice::new(code, sv, en));
                lines.push(index + 1);
            }
            _ => bad.push(index + 1),
        }
    }
    (choices, lines, bad)
}

impl EventForm {
    /// A new event's form: both languages, email and phone optional, 24 months' retention.
    fn blank() -> EventForm {
        EventForm {
            lang_sv: Some("on".into()),
            lang_en: Some("on".into()),
            field_email: "optional".into(),
            field_phone: "optional".into(),
            field_locations: "off".into(),
            field_education_level: "off".into(),
            field_free_text: "off".into(),
            max_interests: "3".into(),
            retention_months: "24".into(),
            ..EventForm::default()
        }
    }

    /// The form showing `event` as read at `heads`.
    fn of(event: &Event, heads: &[[u8; 32]]) -> EventForm {
        let form = &event.draft_form;
        let on = |language| event.languages.contains(&language).then(|| "on".to_owned());
        EventForm {
            id: event.id.to_string(),
            heads: heads_hex(heads).join(","),
            name_sv: event.name.sv.clone(),
            name_en: event.name.en.clone(),
            venue: event.venue.clone(),
            starts_on: event.starts_on.to_string(),
            ends_on: event
                .ends_on
                .as_ref()
                .map(ToString::to_string)
                .unwrap_or_default(),
            lang_sv: on(Language::Swedish),
            lang_en: on(Language::English),
            field_email: requirement_value(form.fields.email).into(),
            field_phone: requirement_value(form.fields.phone).into(),
            field_locations: requirement_value(form.fields.locations).into(),
            field_education_level: requirement_value(form.fields.education_level).into(),
            field_free_text: requirement_value(form.fields.free_text).into(),
            max_interests: form.max_interests.to_string(),
            interest_areas: choice_lines(&form.interest_areas),
            locations: choice_lines(&form.locations),
            education_levels: choice_lines(&form.education_levels),
            privacy_sv: form.privacy_notice.sv.clone(),
            privacy_en: form.privacy_notice.en.clone(),
            talent_pool_sv: form.talent_pool_notice.sv.clone(),
            talent_pool_en: form.talent_pool_notice.en.clone(),
            retention_months: form.retention.months_after_capture.to_string(),
            retention_decision: form.retention.decision.clone(),
        }
    }

    /// The API's input from the form, with each list's line numbers; or the errors of
    /// fields that are not even of the right kind (a number, an option, a line's shape).
    fn input(&self, t: &EventTexts) -> Result<(EventInput, LineNumbers), Vec<FieldError>> {
        let mut errors = Vec::new();
        let mut pick = |id: &'static str, value: &str| {
            requirement(value).unwrap_or_else(|| {
                errors.push(FieldError::on(id, t.bad_choice));
                FieldRequirement::Off
            })
        };
        let fields = FormFields {
            email: pick(FIELD_EMAIL, &self.field_email),
            phone: pick(FIELD_PHONE, &self.field_phone),
            locations: pick(FIELD_LOCATIONS, &self.field_locations),
            education_level: pick(FIELD_EDUCATION, &self.field_education_level),
            free_text: pick(FIELD_FREE_TEXT, &self.field_free_text),
        };
        let max_interests = self.max_interests.trim().parse::<u8>().unwrap_or_else(|_| {
            errors.push(FieldError::on(MAX_INTERESTS, t.whole_number));
            0
        });
        let months = self
            .retention_months
            .trim()
            .parse::<u16>()
            .unwrap_or_else(|_| {
                errors.push(FieldError::on(RETENTION_MONTHS, t.whole_number));
                0
            });
        let mut list = |id: &'static str, text: &str| {
            let (choices, lines, bad) = parse_choices(text);
            for line in bad {
                errors.push(FieldError::on(id, fill(t.bad_line, line)));
            }
            (choices, lines)
        };
        let (interest_areas, interest_lines) = list(INTEREST_AREAS, &self.interest_areas);
        let (locations, location_lines) = list(LOCATIONS, &self.locations);
        let (education_levels, education_lines) = list(EDUCATION_LEVELS, &self.education_levels);
        if !errors.is_empty() {
            return Err(errors);
        }
        let languages = [
            (self.lang_sv.is_some(), Language::Swedish),
            (self.lang_en.is_some(), Language::English),
        ]
        .into_iter()
        .filter(|(on, _)| *on)
        .map(|(_, language)| language.tag().to_owned())
        .collect();
        let input = EventInput {
            name: Localized::new(&self.name_sv, &self.name_en),
            venue: self.venue.clone(),
            starts_on: self.starts_on.clone(),
            ends_on: Some(self.ends_on.clone()),
            languages,
            draft_form: FormDefinition {
                fields,
                interest_areas,
                max_interests,
                locations,
                education_levels,
                privacy_notice: Localized::new(&self.privacy_sv, &self.privacy_en),
                talent_pool_notice: Localized::new(&self.talent_pool_sv, &self.talent_pool_en),
                retention: RetentionRule {
                    months_after_capture: months,
                    decision: self.retention_decision.clone(),
                },
            },
        };
        let lines = LineNumbers {
            interest_areas: interest_lines,
            locations: location_lines,
            education_levels: education_lines,
        };
        Ok((input, lines))
    }
}

/// Which textarea line each list entry came from.
#[derive(Debug, Default)]
struct LineNumbers {
    interest_areas: Vec<usize>,
    locations: Vec<usize>,
    education_levels: Vec<usize>,
}

impl LineNumbers {
    fn line(&self, field: EventField, index: usize) -> usize {
        let lines = match field {
            EventField::InterestAreas => &self.interest_areas,
            EventField::Locations => &self.locations,
            EventField::EducationLevels => &self.education_levels,
            _ => return index + 1,
        };
        lines.get(index).copied().unwrap_or(index + 1)
    }
}

fn rule_text(t: &EventTexts, rule: Rule) -> String {
    match rule {
        Rule::Blank => t.blank.into(),
        Rule::TooLong(max) => fill(t.too_long, max),
        Rule::ControlCharacters => t.control_characters.into(),
        Rule::NotEventSlug => t.not_event_slug.into(),
        Rule::NotChoiceCode => t.not_choice_code.into(),
        Rule::NotDate => t.not_date.into(),
        Rule::EndsBeforeStart => t.ends_before_start.into(),
        Rule::NoLanguage => t.no_language.into(),
        Rule::UnknownLanguage | Rule::RepeatedLanguage => t.unknown_language.into(),
        Rule::NoChoices => t.no_choices.into(),
        Rule::TooManyChoices(max) => fill(t.too_many_choices, max),
        Rule::RepeatedCode => t.repeated_code.into(),
        Rule::OutOfRange(_, max) => fill(t.out_of_range, max),
        Rule::NoContactChannel => t.no_contact_channel.into(),
        Rule::ListNeeded => t.list_needed.into(),
    }
}

/// A problem as an error on the field it was typed in (a list entry names its line).
fn problem_error(t: &EventTexts, problem: &Problem, lines: &LineNumbers) -> FieldError {
    let rule = rule_text(t, problem.rule);
    let message = match problem.entry {
        Some((index, part)) => {
            let part = match part {
                ChoicePart::Code => t.part_code,
                ChoicePart::LabelSv => t.part_label_sv,
                ChoicePart::LabelEn => t.part_label_en,
            };
            format!(
                "{}, {part}: {rule}",
                fill(t.entry, lines.line(problem.field, index))
            )
        }
        None => rule,
    };
    FieldError::on(field_id(problem.field), message)
}

/// Every error of `field`, in one text.
fn errors_of(errors: &[FieldError], field: &str) -> Option<String> {
    let messages: Vec<&str> = errors
        .iter()
        .filter(|e| e.field == Some(field))
        .map(|e| e.message.as_str())
        .collect();
    (!messages.is_empty()).then(|| messages.join(" "))
}

/// A labelled textarea with its hint and error tied to it, as [`Field`] does for inputs.
fn textarea(
    lang: Language,
    id: &'static str,
    label: &str,
    value: &str,
    hint: Option<&str>,
    error: Option<&str>,
    rows: u8,
) -> Markup {
    let hint_id = format!("{id}-hint");
    let error_id = format!("{id}-error");
    let described = [
        hint.map(|_| hint_id.as_str()),
        error.map(|_| error_id.as_str()),
    ]
    .into_iter()
    .flatten()
    .collect::<Vec<_>>()
    .join(" ");
    html! {
        div.field.field-error[error.is_some()] {
            label for=(id) { (label) }
            @if let Some(hint) = hint {
                p.hint #(hint_id) { (hint) }
            }
            @if let Some(error) = error {
                p.error-message #(error_id) {
                    span.visually-hidden { (texts(lang).error_label) " " }
                    (error)
                }
            }
            textarea #(id) name=(id) rows=(rows) cols="80"
                aria-invalid=[error.map(|_| "true")]
                aria-describedby=[(!described.is_empty()).then_some(described.as_str())] {
                (value)
            }
        }
    }
}

/// The details and draft-form fields, shared by the create and the edit form.
fn form_fields(lang: Language, form: &EventForm, errors: &[FieldError], new: bool) -> Markup {
    let t = event_texts(lang);
    let error = |id| errors_of(errors, id);
    let text_field = |id: &'static str, label: &'static str, value: &str, hint: Option<&str>| {
        let error = error(id);
        Field {
            value,
            hint,
            error: error.as_deref(),
            ..Field::new(id, label, "text")
        }
        .render(lang)
    };
    let requirements = [
        ("off", t.off),
        ("optional", t.optional),
        ("required", t.required),
    ];
    let requirement_select = |id: &'static str, label: &'static str, value: &str| {
        select(lang, id, label, &requirements, value, error(id).as_deref())
    };
    let languages_error = error(LANG_SV);
    let languages_error_id = "languages-error";
    html! {
        fieldset {
            legend { (t.event_legend) }
            @if new {
                (text_field(ID, t.id, &form.id, Some(t.id_hint)))
            }
            (text_field(NAME_SV, t.name_sv, &form.name_sv, None))
            (text_field(NAME_EN, t.name_en, &form.name_en, None))
            (text_field(VENUE, t.venue, &form.venue, None))
            (text_field(STARTS_ON, t.starts_on, &form.starts_on, Some(t.date_hint)))
            (text_field(ENDS_ON, t.ends_on, &form.ends_on, Some(t.ends_on_hint)))
        }
        fieldset.field.field-error[languages_error.is_some()]
            aria-describedby=[languages_error.as_ref().map(|_| languages_error_id)] {
            legend { (t.languages_legend) }
            @if let Some(message) = &languages_error {
                p.error-message #(languages_error_id) {
                    span.visually-hidden { (texts(lang).error_label) " " }
                    (message)
                }
            }
            div {
                input #(LANG_SV) type="checkbox" name=(LANG_SV) value="on" checked[form.lang_sv.is_some()];
                " "
                label for=(LANG_SV) { (t.swedish) }
            }
            div {
                input #(LANG_EN) type="checkbox" name=(LANG_EN) value="on" checked[form.lang_en.is_some()];
                " "
                label for=(LANG_EN) { (t.english) }
            }
        }
        fieldset {
            legend { (t.fields_legend) }
            p.hint { (t.fields_hint) }
            (requirement_select(FIELD_EMAIL, t.email, &form.field_email))
            (requirement_select(FIELD_PHONE, t.phone, &form.field_phone))
            (requirement_select(FIELD_LOCATIONS, t.locations_field, &form.field_locations))
            (requirement_select(FIELD_EDUCATION, t.education_field, &form.field_education_level))
            (requirement_select(FIELD_FREE_TEXT, t.free_text_field, &form.field_free_text))
        }
        fieldset {
            legend { (t.lists_legend) }
            (text_field(MAX_INTERESTS, t.max_interests, &form.max_interests, Some(t.max_interests_hint)))
            (textarea(lang, INTEREST_AREAS, t.interest_areas, &form.interest_areas, Some(t.list_hint), error(INTEREST_AREAS).as_deref(), 8))
            (textarea(lang, LOCATIONS, t.locations, &form.locations, Some(t.list_hint), error(LOCATIONS).as_deref(), 6))
            (textarea(lang, EDUCATION_LEVELS, t.education_levels, &form.education_levels, Some(t.list_hint), error(EDUCATION_LEVELS).as_deref(), 6))
        }
        fieldset {
            legend { (t.notices_legend) }
            (textarea(lang, PRIVACY_SV, t.privacy_sv, &form.privacy_sv, None, error(PRIVACY_SV).as_deref(), 8))
            (textarea(lang, PRIVACY_EN, t.privacy_en, &form.privacy_en, None, error(PRIVACY_EN).as_deref(), 8))
            (textarea(lang, TALENT_POOL_SV, t.talent_pool_sv, &form.talent_pool_sv, None, error(TALENT_POOL_SV).as_deref(), 4))
            (textarea(lang, TALENT_POOL_EN, t.talent_pool_en, &form.talent_pool_en, None, error(TALENT_POOL_EN).as_deref(), 4))
        }
        fieldset {
            legend { (t.retention_legend) }
            (text_field(RETENTION_MONTHS, t.retention_months, &form.retention_months, Some(t.retention_months_hint)))
            (text_field(RETENTION_DECISION, t.retention_decision, &form.retention_decision, Some(t.retention_decision_hint)))
        }
    }
}

/// The event pages' own page for an unknown event; other refusals are the console's.
fn refuse(console: &Console, uri: &Uri, error: HrError) -> Response {
    if !matches!(error, HrError::NotFound(Missing::Event)) {
        return console.refuse(error, uri).into_response();
    }
    let lang = console.lang;
    let t = event_texts(lang);
    let page = console
        .page(t.not_found_title, uri, Nav::Events, false)
        .render(html! {
            p { (t.not_found) }
            p { a href=(EVENTS) { (t.back_to_events) } }
        });
    html_page(StatusCode::NOT_FOUND, page)
}

/// `2026-03-12 – 2026-03-13`, one date for a one-day event, or a standing desk's start.
fn dates(t: &EventTexts, summary: &EventSummary) -> String {
    match &summary.ends_on {
        None => fill(t.standing_desk, &summary.starts_on),
        Some(end) if end == &summary.starts_on => end.to_string(),
        Some(end) => format!("{} – {end}", summary.starts_on),
    }
}

fn events_table(lang: Language, events: &[EventSummary]) -> Markup {
    let t = event_texts(lang);
    html! {
        @if events.is_empty() {
            p { (t.no_events) }
        } @else {
            (super::layout::table_region(t.table_caption, html! { table {
                caption { (t.table_caption) }
                (column_heads(&[t.col_name, t.col_dates, t.col_venue, t.col_current, t.col_draft]))
                tbody {
                    @for event in events {
                        tr {
                            th scope="row" {
                                a href={ (EVENTS) "/" (event.id) } { (event.name.get(lang)) }
                            }
                            td { (dates(t, event)) }
                            td { (event.venue) }
                            @if let Some(version) = &event.current_version {
                                td.code { (version.short()) }
                            } @else {
                                td { (t.not_published) }
                            }
                            td {
                                @if event.draft_unpublished {
                                    strong { (t.draft_not_published) }
                                } @else {
                                    (t.draft_is_current)
                                }
                            }
                        }
                    }
                }
            } }))
        }
    }
}

/// The list with the new-event form showing `form` and `errors`.
async fn list_page(
    state: &AppState,
    console: &Console,
    uri: &Uri,
    form: &EventForm,
    errors: &[FieldError],
    status: StatusCode,
) -> Response {
    let store = state.store.clone();
    let listed = blocking(move || events::summaries(store.as_ref())).await;
    let events = match listed.map_err(HrError::from).and_then(|r| r) {
        Ok(events) => events,
        Err(error) => return refuse(console, uri, error),
    };
    let lang = console.lang;
    let t = event_texts(lang);
    let page = console
        .page(t.list_title, uri, Nav::Events, !errors.is_empty())
        .render(html! {
            (error_summary(lang, errors))
            (events_table(lang, &events))
            h2 #new-event { (t.new_event) }
            p { (t.new_event_intro) }
            form method="post" action=(EVENTS) novalidate aria-labelledby="new-event" {
                input type="hidden" name="csrf_token" value=(console.signed.csrf);
                (form_fields(lang, form, errors, true))
                div.actions {
                    button.button type="submit" { (t.create_button) }
                }
            }
        });
    html_page(status, page)
}

/// `GET /console/events`.
pub(crate) async fn list(State(state): State<AppState>, console: Console, uri: Uri) -> Response {
    if let Err(error) = crate::hr::policy::may_manage_events(&console.caller.user) {
        return console.refuse(error, &uri).into_response();
    }
    list_page(
        &state,
        &console,
        &uri,
        &EventForm::blank(),
        &[],
        StatusCode::OK,
    )
    .await
}

/// `POST /console/events`: creates the event and opens it, or shows the form again.
pub(crate) async fn create(
    State(state): State<AppState>,
    uri: Uri,
    ConsoleForm { console, form }: ConsoleForm<EventForm>,
) -> Response {
    let admin = match crate::hr::policy::may_manage_events(&console.caller.user) {
        Ok(admin) => admin.clone(),
        Err(error) => return console.refuse(error, &uri).into_response(),
    };
    let t = event_texts(console.lang);
    let (input, lines) = match form.input(t) {
        Ok(parsed) => parsed,
        Err(errors) => {
            let status = StatusCode::UNPROCESSABLE_ENTITY;
            return list_page(&state, &console, &uri, &form, &errors, status).await;
        }
    };
    let store = state.store.clone();
    let id = form.id.clone();
    let created = blocking(move || events::create(store.as_ref(), &admin, &id, &input)).await;
    let (status, errors) = match created
        .map_err(|failed| EventRefusal::Refused(failed.into()))
        .and_then(|r| r)
    {
        Ok((event, _)) => {
            return Redirect::to(&format!("{EVENTS}/{}?created=1", event.id)).into_response();
        }
        Err(EventRefusal::Invalid(problems)) => (
            StatusCode::UNPROCESSABLE_ENTITY,
            problems
                .iter()
                .map(|p| problem_error(t, p, &lines))
                .collect(),
        ),
        Err(EventRefusal::Refused(HrError::Conflict(Conflict::EventExists))) => (
            StatusCode::CONFLICT,
            vec![FieldError::on(ID, t.event_exists)],
        ),
        Err(EventRefusal::Refused(error)) => return refuse(&console, &uri, error),
    };
    list_page(&state, &console, &uri, &form, &errors, status).await
}

/// What the page says after a redirect.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct Shown {
    created: Option<String>,
    saved: Option<String>,
    merged: Option<String>,
    published: Option<String>,
}

/// The edit page of `event`, its form showing `form` and `errors`.
fn edit_page(
    console: &Console,
    uri: &Uri,
    event: &Event,
    form: &EventForm,
    errors: &[FieldError],
    notices: &[String],
) -> Markup {
    let lang = console.lang;
    let t = event_texts(lang);
    let title = fill(t.edit_title, event.name.get(lang));
    let action = format!("{EVENTS}/{}", event.id);
    let draft_unpublished = event.current_version.as_ref() != Some(&event.draft_form.version());
    let mut versions: Vec<_> = event.published.values().collect();
    versions.sort_by_key(|p| std::cmp::Reverse(p.published_at));
    console.page(&title, uri, Nav::Events, !errors.is_empty())
    .render(html! {
        p { a href=(EVENTS) { (t.back_to_events) } }
        @for message in notices {
            (notice(message))
        }
        (error_summary(lang, errors))
        h2 #details-heading { (t.details_heading) }
        form method="post" action=(action) novalidate aria-labelledby="details-heading" {
            input type="hidden" name="csrf_token" value=(console.signed.csrf);
            input type="hidden" name=(HEADS) value=(form.heads);
            (form_fields(lang, form, errors, false))
            div.actions {
                button.button type="submit" { (t.save_button) }
            }
        }
        h2 #publish-heading { (t.publish_heading) }
        @if draft_unpublished {
            p { (t.publish_explained) }
            form method="post" action={ (action) "/publish" } aria-labelledby="publish-heading" {
                input type="hidden" name="csrf_token" value=(console.signed.csrf);
                input type="hidden" name=(HEADS) value=(form.heads);
                div.actions {
                    button.button type="submit" { (t.publish_button) }
                }
            }
        } @else {
            p { (t.draft_is_current) }
        }
        h2 { (t.versions_heading) }
        @if versions.is_empty() {
            p { (t.no_versions) }
        } @else {
            (super::layout::table_region(t.versions_caption, html! { table {
                caption { (t.versions_caption) }
                (column_heads(&[t.col_version, t.col_published_at, t.col_current]))
                tbody {
                    @for published in &versions {
                        tr {
                            th.code scope="row" { (published.version.short()) }
                            td.code { (dates::local_minutes(published.published_at.millis())) }
                            td {
                                @if event.current_version.as_ref() == Some(&published.version) {
                                    (t.yes)
                                }
                            }
                        }
                    }
                }
            } }))
        }
    })
}

/// Event `id` with its heads, or the response refusing it.
async fn read_event(
    state: &AppState,
    console: &Console,
    uri: &Uri,
    id: String,
) -> Result<(Event, Vec<[u8; 32]>), Response> {
    let store = state.store.clone();
    let read = blocking(move || events::read(store.as_ref(), &id)).await;
    read.map_err(HrError::from)
        .and_then(|r| r)
        .map_err(|error| refuse(console, uri, error))
}

/// `GET /console/events/{id}`.
pub(crate) async fn page(
    State(state): State<AppState>,
    console: Console,
    uri: Uri,
    Path(id): Path<String>,
    shown: Result<Query<Shown>, axum::extract::rejection::QueryRejection>,
) -> Response {
    if let Err(error) = crate::hr::policy::may_manage_events(&console.caller.user) {
        return console.refuse(error, &uri).into_response();
    }
    let (event, heads) = match read_event(&state, &console, &uri, id).await {
        Ok(read) => read,
        Err(response) => return response,
    };
    let t = event_texts(console.lang);
    // The notices are only a courtesy: an odd query shows none.
    let shown = shown.map(|Query(shown)| shown).unwrap_or_default();
    let mut notices = Vec::new();
    if shown.created.is_some() {
        notices.push(t.created.to_owned());
    }
    if shown.saved.is_some() {
        notices.push(t.saved.to_owned());
    }
    if shown.published.is_some()
        && let Some(version) = &event.current_version
    {
        notices.push(fill(t.published, version.short()));
    }
    if shown.merged.is_some() {
        notices.push(t.merged.to_owned());
    }
    let form = EventForm::of(&event, &heads);
    html_page(
        StatusCode::OK,
        edit_page(&console, &uri, &event, &form, &[], &notices),
    )
}

/// The heads a form carries, comma-separated.
fn form_heads(text: &str) -> HrResult<Vec<[u8; 32]>> {
    let heads: Vec<&str> = text.split(',').filter(|h| !h.trim().is_empty()).collect();
    parse_heads(&heads)
}

/// The admin posting an edit form and the heads it carries.
fn admin_and_heads(console: &Console, heads: &str) -> HrResult<(HrUser, Vec<[u8; 32]>)> {
    let admin = crate::hr::policy::may_manage_events(&console.caller.user)?.clone();
    Ok((admin, form_heads(heads)?))
}

/// Back to event `id`'s page after an edit, whose notice says it was `done` (`saved`,
/// `published`) and whether a concurrent change was merged into it.
fn edited(id: &str, done: &str, merged_concurrent: bool) -> Response {
    let merged = if merged_concurrent { "&merged=1" } else { "" };
    Redirect::to(&format!("{EVENTS}/{id}?{done}=1{merged}")).into_response()
}

/// `POST /console/events/{id}`: saves the form as the user's edit at the heads the page
/// was rendered from, or shows it again with its errors and the input kept.
pub(crate) async fn save(
    State(state): State<AppState>,
    uri: Uri,
    Path(id): Path<String>,
    ConsoleForm { console, form }: ConsoleForm<EventForm>,
) -> Response {
    let (admin, heads) = match admin_and_heads(&console, &form.heads) {
        Ok(checked) => checked,
        Err(error) => return console.refuse(error, &uri).into_response(),
    };
    let t = event_texts(console.lang);
    let (status, errors) = match form.input(t) {
        Err(errors) => (StatusCode::UNPROCESSABLE_ENTITY, errors),
        Ok((input, lines)) => {
            // Input the rules accept can still be refused merged with a concurrent change.
            let input_valid = check_details(&input).is_ok();
            let store = state.store.clone();
            let event_id = id.clone();
            let saved =
                blocking(move || events::save(store.as_ref(), &admin, &event_id, &heads, &input))
                    .await;
            match saved
                .map_err(|failed| EventRefusal::Refused(failed.into()))
                .and_then(|r| r)
            {
                Ok(saved) => return edited(&id, "saved", saved.merged_concurrent),
                Err(EventRefusal::Invalid(problems)) => {
                    let mut errors: Vec<FieldError> = problems
                        .iter()
                        .map(|p| problem_error(t, p, &lines))
                        .collect();
                    if input_valid {
                        errors.insert(0, FieldError::form(t.merge_invalid));
                    }
                    (StatusCode::UNPROCESSABLE_ENTITY, errors)
                }
                Err(EventRefusal::Refused(HrError::Conflict(Conflict::UnknownHeads))) => (
                    StatusCode::CONFLICT,
                    vec![FieldError::form(t.unknown_heads)],
                ),
                Err(EventRefusal::Refused(HrError::Conflict(Conflict::StaleHeads))) => {
                    (StatusCode::CONFLICT, vec![FieldError::form(t.stale_heads)])
                }
                Err(EventRefusal::Refused(error)) => return refuse(&console, &uri, error),
            }
        }
    };
    let (event, _) = match read_event(&state, &console, &uri, id).await {
        Ok(read) => read,
        Err(response) => return response,
    };
    html_page(
        status,
        edit_page(&console, &uri, &event, &form, &errors, &[]),
    )
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct PublishForm {
    heads: String,
}

/// `POST /console/events/{id}/publish`: publishes the draft as the event holds it now.
pub(crate) async fn publish(
    State(state): State<AppState>,
    uri: Uri,
    Path(id): Path<String>,
    ConsoleForm { console, form }: ConsoleForm<PublishForm>,
) -> Response {
    let (admin, heads) = match admin_and_heads(&console, &form.heads) {
        Ok(checked) => checked,
        Err(error) => return console.refuse(error, &uri).into_response(),
    };
    let t = event_texts(console.lang);
    let store = state.store.clone();
    let event_id = id.clone();
    let published =
        blocking(move || events::publish(store.as_ref(), &admin, &event_id, &heads)).await;
    let (status, mut errors) = match published
        .map_err(|failed| EventRefusal::Refused(failed.into()))
        .and_then(|r| r)
    {
        Ok(published) => return edited(&id, "published", published.merged_concurrent),
        Err(EventRefusal::Invalid(problems)) => (
            StatusCode::UNPROCESSABLE_ENTITY,
            problems
                .iter()
                .map(|p| problem_error(t, p, &LineNumbers::default()))
                .collect::<Vec<_>>(),
        ),
        Err(EventRefusal::Refused(HrError::Conflict(
            Conflict::UnknownHeads | Conflict::StaleHeads | Conflict::DraftChangedSince,
        ))) => (StatusCode::CONFLICT, Vec::new()),
        Err(EventRefusal::Refused(error)) => return refuse(&console, &uri, error),
    };
    errors.insert(
        0,
        FieldError::form(if status == StatusCode::CONFLICT {
            t.publish_out_of_date
        } else {
            t.publish_refused
        }),
    );
    // The page shows the event as it is now, so the draft can be checked and published.
    let (event, heads) = match read_event(&state, &console, &uri, id).await {
        Ok(read) => read,
        Err(response) => return response,
    };
    let form = EventForm::of(&event, &heads);
    html_page(
        status,
        edit_page(&console, &uri, &event, &form, &errors, &[]),
    )
}
