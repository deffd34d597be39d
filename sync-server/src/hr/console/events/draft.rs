//! The event form as an HR officer typed it (every field a string, each list a vector of
//! rows), read from the posted fields, changed by the row buttons (add, remove, move up or
//! down: each a submit that comes back with the draft kept), and turned into the API's
//! [`EventInput`]. Nothing here saves: only "Save draft" and "Create" call the service.
//!
//! Row fields are named `{list}-{row}-{part}` (`interest_areas-2-en`), rows counted from 1
//! as the page and its errors count them; the pressed button is `action`.

use std::collections::{BTreeMap, BTreeSet};

use kiosk_core::event::Event;
use kiosk_core::form::{Choice, FieldRequirement, FormDefinition, FormFields, RetentionRule};
use kiosk_core::language::{Language, Localized};

use super::problems::DraftError;
use super::texts::EventTexts;
use crate::hr::events::choice_code::derive_unique;
use crate::hr::events::{EventField, EventInput, MAX_CHOICES, heads_hex};

/// The form's field names (and element ids).
pub(super) const ID: &str = "id";
pub(super) const HEADS: &str = "heads";
pub(super) const NAME_SV: &str = "name_sv";
pub(super) const NAME_EN: &str = "name_en";
pub(super) const VENUE: &str = "venue";
pub(super) const STARTS_ON: &str = "starts_on";
pub(super) const ENDS_ON: &str = "ends_on";
pub(super) const LANG_SV: &str = "lang_sv";
pub(super) const LANG_EN: &str = "lang_en";
pub(super) const FIELD_EMAIL: &str = "field_email";
pub(super) const FIELD_PHONE: &str = "field_phone";
pub(super) const FIELD_LOCATIONS: &str = "field_locations";
pub(super) const FIELD_EDUCATION: &str = "field_education_level";
pub(super) const FIELD_FREE_TEXT: &str = "field_free_text";
pub(super) const MAX_INTERESTS: &str = "max_interests";
pub(super) const PRIVACY_SV: &str = "privacy_sv";
pub(super) const PRIVACY_EN: &str = "privacy_en";
pub(super) const TALENT_POOL_SV: &str = "talent_pool_sv";
pub(super) const TALENT_POOL_EN: &str = "talent_pool_en";
pub(super) const RETENTION_MONTHS: &str = "retention_months";
pub(super) const RETENTION_DECISION: &str = "retention_decision";
/// The name of the pressed submit button.
pub(super) const ACTION: &str = "action";

/// One of the form's lists of choices.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(super) enum List {
    InterestAreas,
    Locations,
    EducationLevels,
}

impl List {
    pub const ALL: [List; 3] = [List::InterestAreas, List::Locations, List::EducationLevels];

    /// The list's field name, and the id of its fieldset.
    pub fn name(self) -> &'static str {
        match self {
            List::InterestAreas => "interest_areas",
            List::Locations => "locations",
            List::EducationLevels => "education_levels",
        }
    }

    pub fn field(self) -> EventField {
        match self {
            List::InterestAreas => EventField::InterestAreas,
            List::Locations => EventField::Locations,
            List::EducationLevels => EventField::EducationLevels,
        }
    }

    pub fn of_field(field: EventField) -> Option<List> {
        List::ALL.into_iter().find(|list| list.field() == field)
    }

    pub fn label(self, t: &EventTexts) -> &'static str {
        match self {
            List::InterestAreas => t.interest_areas,
            List::Locations => t.locations,
            List::EducationLevels => t.education_levels,
        }
    }

    fn of_name(name: &str) -> Option<List> {
        List::ALL.into_iter().find(|list| list.name() == name)
    }
}

/// A part of a row.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(super) enum Part {
    LabelSv,
    LabelEn,
    Code,
}

impl Part {
    pub const ALL: [Part; 3] = [Part::LabelSv, Part::LabelEn, Part::Code];

    fn name(self) -> &'static str {
        match self {
            Part::LabelSv => "sv",
            Part::LabelEn => "en",
            Part::Code => "code",
        }
    }
}

/// The id (and field name) of `part` of row `row` (from 1) of `list`.
pub(super) fn row_id(list: List, row: usize, part: Part) -> String {
    format!("{}-{row}-{}", list.name(), part.name())
}

/// The id of a row's button.
pub(super) fn button_id(list: List, row: usize, button: &str) -> String {
    format!("{}-{row}-{button}", list.name())
}

/// The id of a list's add button.
pub(super) fn add_id(list: List) -> String {
    format!("{}-add", list.name())
}

/// One choice as typed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(super) struct Row {
    pub code: String,
    pub sv: String,
    pub en: String,
}

impl Row {
    fn is_blank(&self) -> bool {
        [&self.code, &self.sv, &self.en]
            .iter()
            .all(|part| part.trim().is_empty())
    }

    pub fn part(&self, part: Part) -> &str {
        match part {
            Part::LabelSv => &self.sv,
            Part::LabelEn => &self.en,
            Part::Code => &self.code,
        }
    }
}

/// What the pressed button asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Action {
    /// Save (or create): the default, also for Enter in a field.
    Save,
    Preview,
    Add(List),
    /// Row numbers count from 1.
    Remove(List, usize),
    Up(List, usize),
    Down(List, usize),
}

impl Action {
    pub fn value(self) -> String {
        match self {
            Action::Save => "save".into(),
            Action::Preview => "preview".into(),
            Action::Add(list) => format!("add:{}", list.name()),
            Action::Remove(list, row) => format!("remove:{}:{row}", list.name()),
            Action::Up(list, row) => format!("up:{}:{row}", list.name()),
            Action::Down(list, row) => format!("down:{}:{row}", list.name()),
        }
    }

    fn parse(value: &str) -> Action {
        let mut parts = value.split(':');
        let (verb, list, row) = (parts.next(), parts.next(), parts.next());
        let list = list.and_then(List::of_name);
        let row = row.and_then(|r| r.parse::<usize>().ok());
        match (verb, list, row) {
            (Some("preview"), None, None) => Action::Preview,
            (Some("add"), Some(list), None) => Action::Add(list),
            (Some("remove"), Some(list), Some(row)) => Action::Remove(list, row),
            (Some("up"), Some(list), Some(row)) => Action::Up(list, row),
            (Some("down"), Some(list), Some(row)) => Action::Down(list, row),
            // Anything else, as Enter in a field, saves: the rules still check it all.
            _ => Action::Save,
        }
    }
}

/// The event form as typed.
#[derive(Debug, Clone, Default)]
pub(super) struct Draft {
    pub id: String,
    pub heads: String,
    pub name_sv: String,
    pub name_en: String,
    pub venue: String,
    pub starts_on: String,
    pub ends_on: String,
    pub lang_sv: bool,
    pub lang_en: bool,
    pub field_email: String,
    pub field_phone: String,
    pub field_locations: String,
    pub field_education_level: String,
    pub field_free_text: String,
    pub max_interests: String,
    pub lists: BTreeMap<List, Vec<Row>>,
    pub privacy_sv: String,
    pub privacy_en: String,
    pub talent_pool_sv: String,
    pub talent_pool_en: String,
    pub retention_months: String,
    pub retention_decision: String,
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

fn rows(choices: &[Choice]) -> Vec<Row> {
    choices
        .iter()
        .map(|c| Row {
            code: c.code.clone(),
            sv: c.label.sv.clone(),
            en: c.label.en.clone(),
        })
        .collect()
}

impl Draft {
    /// A new event's form: both languages, email and phone optional, 24 months' retention,
    /// one empty row of interest areas to start from.
    pub fn blank() -> Draft {
        let mut draft = Draft {
            lang_sv: true,
            lang_en: true,
            field_email: "optional".into(),
            field_phone: "optional".into(),
            field_locations: "off".into(),
            field_education_level: "off".into(),
            field_free_text: "off".into(),
            max_interests: "3".into(),
            retention_months: "24".into(),
            ..Draft::default()
        };
        draft
            .lists
            .insert(List::InterestAreas, vec![Row::default()]);
        draft
    }

    /// The form showing `event` as read at `heads`.
    pub fn of(event: &Event, heads: &[[u8; 32]]) -> Draft {
        let form = &event.draft_form;
        let mut lists = BTreeMap::new();
        lists.insert(List::InterestAreas, rows(&form.interest_areas));
        lists.insert(List::Locations, rows(&form.locations));
        lists.insert(List::EducationLevels, rows(&form.education_levels));
        Draft {
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
            lang_sv: event.languages.contains(&Language::Swedish),
            lang_en: event.languages.contains(&Language::English),
            field_email: requirement_value(form.fields.email).into(),
            field_phone: requirement_value(form.fields.phone).into(),
            field_locations: requirement_value(form.fields.locations).into(),
            field_education_level: requirement_value(form.fields.education_level).into(),
            field_free_text: requirement_value(form.fields.free_text).into(),
            max_interests: form.max_interests.to_string(),
            lists,
            privacy_sv: form.privacy_notice.sv.clone(),
            privacy_en: form.privacy_notice.en.clone(),
            talent_pool_sv: form.talent_pool_notice.sv.clone(),
            talent_pool_en: form.talent_pool_notice.en.clone(),
            retention_months: form.retention.months_after_capture.to_string(),
            retention_decision: form.retention.decision.clone(),
        }
    }

    /// The draft and the pressed button from the posted fields. Unknown fields are
    /// ignored, and so are rows numbered beyond a list's limit.
    pub fn from_fields(fields: &[(String, String)]) -> (Draft, Action) {
        let mut draft = Draft::default();
        let mut action = Action::Save;
        let mut rows: BTreeMap<List, BTreeMap<usize, Row>> = BTreeMap::new();
        for (name, value) in fields {
            let value = value.clone();
            match name.as_str() {
                ID => draft.id = value,
                HEADS => draft.heads = value,
                NAME_SV => draft.name_sv = value,
                NAME_EN => draft.name_en = value,
                VENUE => draft.venue = value,
                STARTS_ON => draft.starts_on = value,
                ENDS_ON => draft.ends_on = value,
                LANG_SV => draft.lang_sv = true,
                LANG_EN => draft.lang_en = true,
                FIELD_EMAIL => draft.field_email = value,
                FIELD_PHONE => draft.field_phone = value,
                FIELD_LOCATIONS => draft.field_locations = value,
                FIELD_EDUCATION => draft.field_education_level = value,
                FIELD_FREE_TEXT => draft.field_free_text = value,
                MAX_INTERESTS => draft.max_interests = value,
                PRIVACY_SV => draft.privacy_sv = value,
                PRIVACY_EN => draft.privacy_en = value,
                TALENT_POOL_SV => draft.talent_pool_sv = value,
                TALENT_POOL_EN => draft.talent_pool_en = value,
                RETENTION_MONTHS => draft.retention_months = value,
                RETENTION_DECISION => draft.retention_decision = value,
                ACTION => action = Action::parse(&value),
                other => {
                    let Some((list, row, part)) = row_field(other) else {
                        continue;
                    };
                    let row = rows.entry(list).or_default().entry(row).or_default();
                    match part {
                        Part::LabelSv => row.sv = value,
                        Part::LabelEn => row.en = value,
                        Part::Code => row.code = value,
                    }
                }
            }
        }
        for list in List::ALL {
            let typed = rows.remove(&list).unwrap_or_default();
            draft.lists.insert(list, typed.into_values().collect());
        }
        (draft, action)
    }

    pub fn rows(&self, list: List) -> &[Row] {
        self.lists.get(&list).map_or(&[], Vec::as_slice)
    }

    fn rows_mut(&mut self, list: List) -> &mut Vec<Row> {
        self.lists.entry(list).or_default()
    }

    /// Gives each row with a label and no code the code its label makes (the Swedish one,
    /// else the English), unique in its list. Typed codes are kept as typed.
    pub fn fill_codes(&mut self) {
        for list in List::ALL {
            let rows = self.rows_mut(list);
            let mut taken: BTreeSet<String> = rows
                .iter()
                .map(|row| row.code.trim().to_owned())
                .filter(|code| !code.is_empty())
                .collect();
            for row in rows.iter_mut().filter(|row| row.code.trim().is_empty()) {
                let label = if row.sv.trim().is_empty() {
                    &row.en
                } else {
                    &row.sv
                };
                let code = derive_unique(label, &taken);
                if !code.is_empty() {
                    taken.insert(code.clone());
                    row.code = code;
                }
            }
        }
    }

    /// Leaves out rows with nothing typed in them, so an added row left empty is no error.
    pub fn drop_blank_rows(&mut self) {
        for list in List::ALL {
            self.rows_mut(list).retain(|row| !row.is_blank());
        }
    }

    /// Does what a row button asks; returns the id of the control to focus next, or None
    /// for an action that is not a row button. A row beyond the list or an add beyond
    /// [`MAX_CHOICES`] changes nothing.
    pub fn apply(&mut self, action: Action) -> Option<String> {
        match action {
            Action::Save | Action::Preview => None,
            Action::Add(list) => {
                let rows = self.rows_mut(list);
                if rows.len() >= MAX_CHOICES {
                    return Some(add_id(list));
                }
                rows.push(Row::default());
                Some(row_id(list, rows.len(), Part::LabelSv))
            }
            Action::Remove(list, row) => {
                let rows = self.rows_mut(list);
                if (1..=rows.len()).contains(&row) {
                    rows.remove(row - 1);
                }
                Some(if rows.is_empty() {
                    add_id(list)
                } else {
                    row_id(list, row.min(rows.len()), Part::LabelSv)
                })
            }
            Action::Up(list, row) => {
                let rows = self.rows_mut(list);
                if row < 2 || row > rows.len() {
                    return Some(add_id(list));
                }
                rows.swap(row - 2, row - 1);
                let moved = row - 1;
                Some(if moved > 1 {
                    button_id(list, moved, "up")
                } else {
                    row_id(list, moved, Part::LabelSv)
                })
            }
            Action::Down(list, row) => {
                let rows = self.rows_mut(list);
                if row < 1 || row >= rows.len() {
                    return Some(add_id(list));
                }
                rows.swap(row - 1, row);
                let moved = row + 1;
                Some(if moved < rows.len() {
                    button_id(list, moved, "down")
                } else {
                    row_id(list, moved, Part::LabelSv)
                })
            }
        }
    }

    /// The API's input from the draft, and the errors of fields that are not even of the
    /// right kind (a whole number, one of the options). The input is whole either way,
    /// with a harmless stand-in for each such field, so the service's rules can name every
    /// other mistake in the same answer.
    pub fn input(&self, t: &EventTexts) -> (EventInput, Vec<DraftError>) {
        let mut errors = Vec::new();
        let mut pick = |id: &'static str, label: &'static str, value: &str| {
            requirement(value).unwrap_or_else(|| {
                errors.push(DraftError::field(t, id, label, t.bad_choice));
                FieldRequirement::Optional
            })
        };
        let fields = FormFields {
            email: pick(FIELD_EMAIL, t.email, &self.field_email),
            phone: pick(FIELD_PHONE, t.phone, &self.field_phone),
            locations: pick(FIELD_LOCATIONS, t.locations_field, &self.field_locations),
            education_level: pick(
                FIELD_EDUCATION,
                t.education_field,
                &self.field_education_level,
            ),
            free_text: pick(FIELD_FREE_TEXT, t.free_text_field, &self.field_free_text),
        };
        let mut number = |id: &'static str, label: &'static str, value: &str, stand_in| {
            value.trim().parse::<u16>().unwrap_or_else(|_| {
                errors.push(DraftError::field(t, id, label, t.whole_number));
                stand_in
            })
        };
        let max_interests = number(MAX_INTERESTS, t.max_interests, &self.max_interests, 1);
        let months = number(
            RETENTION_MONTHS,
            t.retention_months,
            &self.retention_months,
            24,
        );
        let choices = |list| {
            self.rows(list)
                .iter()
                .map(|row| Choice::new(&row.code, &row.sv, &row.en))
                .collect::<Vec<_>>()
        };
        let languages = [
            (self.lang_sv, Language::Swedish),
            (self.lang_en, Language::English),
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
                interest_areas: choices(List::InterestAreas),
                // A number above the form's range is the rules' to name, not a parse error.
                max_interests: u8::try_from(max_interests).unwrap_or(u8::MAX),
                locations: choices(List::Locations),
                education_levels: choices(List::EducationLevels),
                privacy_notice: Localized::new(&self.privacy_sv, &self.privacy_en),
                talent_pool_notice: Localized::new(&self.talent_pool_sv, &self.talent_pool_en),
                retention: RetentionRule {
                    months_after_capture: months,
                    decision: self.retention_decision.clone(),
                },
            },
        };
        (input, errors)
    }
}

/// `interest_areas-2-en` as its list, row (from 1, within the list's limit) and part.
fn row_field(name: &str) -> Option<(List, usize, Part)> {
    let (rest, part) = name.rsplit_once('-')?;
    let (list, row) = rest.rsplit_once('-')?;
    let list = List::of_name(list)?;
    let part = Part::ALL.into_iter().find(|p| p.name() == part)?;
    let row = row.parse::<usize>().ok()?;
    (1..=MAX_CHOICES)
        .contains(&row)
        .then_some((list, row, part))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(n, v)| ((*n).to_owned(), (*v).to_owned()))
            .collect()
    }

    fn labels(draft: &Draft, list: List) -> Vec<String> {
        draft.rows(list).iter().map(|r| r.sv.clone()).collect()
    }

    fn three_rows(action: &str) -> (Draft, Action) {
        Draft::from_fields(&fields(&[
            ("name_sv", "Höstmässan"),
            ("interest_areas-1-sv", "Juridik"),
            ("interest_areas-1-en", "Law"),
            ("interest_areas-1-code", "juridik"),
            ("interest_areas-2-sv", "Ekonomi"),
            ("interest_areas-2-en", "Finance"),
            ("interest_areas-2-code", ""),
            ("interest_areas-3-sv", "Skåne län"),
            ("interest_areas-3-en", ""),
            ("interest_areas-3-code", ""),
            ("locations-1-sv", "Malmö"),
            ("action", action),
        ]))
    }

    #[test]
    fn rows_are_read_in_order_and_the_pressed_button_is_known() {
        let (draft, action) = three_rows("up:interest_areas:3");
        assert_eq!(action, Action::Up(List::InterestAreas, 3));
        assert_eq!(
            labels(&draft, List::InterestAreas),
            ["Juridik", "Ekonomi", "Skåne län"]
        );
        assert_eq!(labels(&draft, List::Locations), ["Malmö"]);
        assert!(draft.rows(List::EducationLevels).is_empty());
        assert_eq!(draft.name_sv, "Höstmässan");
        for odd in [
            "",
            "nonsense",
            "remove:interest_areas",
            "up:nothing:1",
            "save",
        ] {
            assert_eq!(Action::parse(odd), Action::Save, "{odd}");
        }
        assert_eq!(row_field("interest_areas-101-sv"), None, "beyond the limit");
        assert_eq!(row_field("interest_areas-0-sv"), None);
        assert_eq!(
            row_field("locations-7-code"),
            Some((List::Locations, 7, Part::Code))
        );
    }

    #[test]
    fn empty_codes_are_made_from_the_label_and_typed_ones_are_kept() {
        let (mut draft, _) = three_rows("save");
        draft.rows_mut(List::InterestAreas)[1].sv = "Juridik".into();
        draft.fill_codes();
        let codes: Vec<&str> = draft
            .rows(List::InterestAreas)
            .iter()
            .map(|r| r.code.as_str())
            .collect();
        assert_eq!(codes, ["juridik", "juridik-2", "skane-lan"]);
        assert_eq!(draft.rows(List::Locations)[0].code, "malmo");
    }

    #[test]
    fn adding_removing_and_moving_rows_keep_everything_else_typed() {
        let (mut draft, _) = three_rows("save");
        let before = draft.clone();
        assert_eq!(
            draft.apply(Action::Add(List::InterestAreas)),
            Some("interest_areas-4-sv".into())
        );
        assert_eq!(draft.rows(List::InterestAreas).len(), 4);
        assert_eq!(
            draft.apply(Action::Up(List::InterestAreas, 3)),
            Some("interest_areas-2-up".into())
        );
        assert_eq!(
            labels(&draft, List::InterestAreas),
            ["Juridik", "Skåne län", "Ekonomi", ""]
        );
        draft.apply(Action::Down(List::InterestAreas, 1));
        assert_eq!(
            labels(&draft, List::InterestAreas),
            ["Skåne län", "Juridik", "Ekonomi", ""]
        );
        draft.apply(Action::Remove(List::InterestAreas, 1));
        assert_eq!(
            labels(&draft, List::InterestAreas),
            ["Juridik", "Ekonomi", ""]
        );
        // Out of range changes nothing.
        draft.apply(Action::Up(List::InterestAreas, 1));
        draft.apply(Action::Down(List::InterestAreas, 3));
        draft.apply(Action::Remove(List::InterestAreas, 9));
        assert_eq!(
            labels(&draft, List::InterestAreas),
            ["Juridik", "Ekonomi", ""]
        );
        assert_eq!(draft.rows(List::Locations), before.rows(List::Locations));
        assert_eq!(draft.name_sv, before.name_sv);
        draft.drop_blank_rows();
        assert_eq!(labels(&draft, List::InterestAreas), ["Juridik", "Ekonomi"]);
    }

    #[test]
    fn a_list_stops_growing_at_its_limit() {
        let mut draft = Draft::blank();
        for _ in 0..MAX_CHOICES + 5 {
            draft.apply(Action::Add(List::Locations));
        }
        assert_eq!(draft.rows(List::Locations).len(), MAX_CHOICES);
    }
}
