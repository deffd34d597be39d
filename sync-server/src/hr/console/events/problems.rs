//! Every mistake in an event form as one error that names its field ("Intresseområden,
//! rad 2: engelsk etikett saknas."), with the id of the control it is about: the error
//! summary at the top links there, and the same text sits beside the control. Errors are
//! put in the order of the form, so the summary reads top to bottom.

use kiosk_core::language::Language;
use maud::Markup;

use super::draft::{self, Draft, List, Part};
use super::texts::{EventTexts, fill_in};
use crate::hr::events::{ChoicePart, EventField, Problem, Rule};

/// One error: the id of the control it is about (None: the whole form), its text, and
/// where it comes in the form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct DraftError {
    pub field: Option<String>,
    pub message: String,
    rank: (usize, usize, usize),
}

/// The form's fields in the order the page shows them.
const ORDER: [&str; 22] = [
    draft::ID,
    draft::NAME_SV,
    draft::NAME_EN,
    draft::VENUE,
    draft::STARTS_ON,
    draft::ENDS_ON,
    draft::LANG_SV,
    draft::FIELD_EMAIL,
    draft::FIELD_PHONE,
    draft::FIELD_LOCATIONS,
    draft::FIELD_EDUCATION,
    draft::FIELD_FREE_TEXT,
    draft::MAX_INTERESTS,
    "interest_areas",
    "locations",
    "education_levels",
    draft::PRIVACY_SV,
    draft::PRIVACY_EN,
    draft::TALENT_POOL_SV,
    draft::TALENT_POOL_EN,
    draft::RETENTION_MONTHS,
    draft::RETENTION_DECISION,
];

fn rank_of(id: &str) -> usize {
    ORDER.iter().position(|f| *f == id).unwrap_or(ORDER.len())
}

impl DraftError {
    /// `{label}: {what}` on field `id`.
    pub fn field(t: &EventTexts, id: &'static str, label: &str, what: &str) -> DraftError {
        DraftError {
            field: Some(id.to_owned()),
            message: fill_in(t.field_wrong, &[&label, &what]),
            rank: (rank_of(id), 0, 0),
        }
    }

    /// `{label} saknas.` on field `id`.
    fn missing(t: &EventTexts, id: &'static str, label: &str) -> DraftError {
        DraftError {
            field: Some(id.to_owned()),
            message: fill_in(t.missing, &[&label]),
            rank: (rank_of(id), 0, 0),
        }
    }

    /// An error of the whole form, shown first.
    pub fn form(message: impl Into<String>) -> DraftError {
        DraftError {
            field: None,
            message: message.into(),
            rank: (0, 0, 0),
        }
    }

    fn row(t: &EventTexts, list: List, row: usize, part: Part, what: &str) -> DraftError {
        DraftError {
            field: Some(draft::row_id(list, row, part)),
            message: fill_in(t.row_wrong, &[&list.label(t), &row, &what]),
            rank: (rank_of(list.name()), row, part as usize + 1),
        }
    }
}

/// The errors in the order of the form (errors of the whole form first).
pub(super) fn in_form_order(mut errors: Vec<DraftError>) -> Vec<DraftError> {
    errors.sort_by_key(|e| (e.field.is_some(), e.rank));
    errors.dedup();
    errors
}

/// The console field an API field is typed in, and its label.
fn field_of(t: &EventTexts, field: EventField) -> (&'static str, &'static str) {
    match field {
        EventField::Id => (draft::ID, t.id),
        EventField::NameSv => (draft::NAME_SV, t.name_sv),
        EventField::NameEn => (draft::NAME_EN, t.name_en),
        EventField::Venue => (draft::VENUE, t.venue),
        EventField::StartsOn => (draft::STARTS_ON, t.starts_on),
        EventField::EndsOn => (draft::ENDS_ON, t.ends_on),
        EventField::Languages => (draft::LANG_SV, t.languages_legend),
        EventField::ContactFields => (draft::FIELD_EMAIL, t.fields_legend),
        EventField::MaxInterests => (draft::MAX_INTERESTS, t.max_interests),
        EventField::InterestAreas => ("interest_areas", t.interest_areas),
        EventField::Locations => ("locations", t.locations),
        EventField::EducationLevels => ("education_levels", t.education_levels),
        EventField::PrivacySv => (draft::PRIVACY_SV, t.privacy_sv),
        EventField::PrivacyEn => (draft::PRIVACY_EN, t.privacy_en),
        EventField::TalentPoolSv => (draft::TALENT_POOL_SV, t.talent_pool_sv),
        EventField::TalentPoolEn => (draft::TALENT_POOL_EN, t.talent_pool_en),
        EventField::RetentionMonths => (draft::RETENTION_MONTHS, t.retention_months),
        EventField::RetentionDecision => (draft::RETENTION_DECISION, t.retention_decision),
    }
}

/// What `rule` says, after the field's name.
fn rule_text(t: &EventTexts, rule: Rule) -> String {
    match rule {
        Rule::Blank => String::new(),
        Rule::TooLong(max) => fill_in(t.too_long, &[&max]),
        Rule::ControlCharacters => t.control_characters.into(),
        Rule::NotEventSlug => t.not_event_slug.into(),
        Rule::NotChoiceCode => t.not_choice_code.into(),
        Rule::NotDate => t.not_date.into(),
        Rule::EndsBeforeStart => t.ends_before_start.into(),
        Rule::NoLanguage => t.no_language.into(),
        Rule::UnknownLanguage | Rule::RepeatedLanguage => t.unknown_language.into(),
        Rule::NoChoices => t.no_choices.into(),
        Rule::TooManyChoices(max) => fill_in(t.too_many_choices, &[&max]),
        Rule::RepeatedCode => t.repeated_code.into(),
        Rule::OutOfRange(_, max) => fill_in(t.out_of_range, &[&max]),
        Rule::NoContactChannel => t.no_contact_channel.into(),
        Rule::ListNeeded => t.list_needed.into(),
    }
}

/// A problem the service found as an error naming its field (and row) in `draft`.
pub(super) fn problem_error(t: &EventTexts, problem: &Problem, draft: &Draft) -> DraftError {
    if let (Some((index, part)), Some(list)) = (problem.entry, List::of_field(problem.field)) {
        let row = index + 1;
        let part = match part {
            ChoicePart::Code => Part::Code,
            ChoicePart::LabelSv => Part::LabelSv,
            ChoicePart::LabelEn => Part::LabelEn,
        };
        let typed = draft.rows(list).get(index);
        let blank = typed.is_none_or(|r| r.part(part).trim().is_empty());
        let what = match (problem.rule, part) {
            (Rule::Blank, Part::LabelSv) => t.row_missing_sv.to_owned(),
            (Rule::Blank, Part::LabelEn) => t.row_missing_en.to_owned(),
            (Rule::NotChoiceCode, Part::Code) if blank => t.row_missing_code.to_owned(),
            (Rule::NotChoiceCode, Part::Code) => t.not_choice_code.to_owned(),
            (Rule::RepeatedCode, _) => {
                let code = typed.map(|r| r.code.trim()).unwrap_or_default();
                let first = draft
                    .rows(list)
                    .iter()
                    .position(|r| r.code.trim() == code)
                    .map_or(row, |i| i + 1);
                fill_in(t.row_repeated_code, &[&code, &first])
            }
            (rule, part) => {
                let name = match part {
                    Part::Code => t.row_part_code,
                    Part::LabelSv => t.row_part_sv,
                    Part::LabelEn => t.row_part_en,
                };
                fill_in(t.field_wrong, &[&name, &rule_text(t, rule)])
            }
        };
        return DraftError::row(t, list, row, part, &what);
    }
    let (id, label) = field_of(t, problem.field);
    let typed_blank = match problem.field {
        EventField::StartsOn => draft.starts_on.trim().is_empty(),
        EventField::Id => draft.id.trim().is_empty(),
        _ => false,
    };
    match problem.rule {
        Rule::Blank => DraftError::missing(t, id, label),
        Rule::NotDate | Rule::NotEventSlug if typed_blank => DraftError::missing(t, id, label),
        Rule::NoContactChannel => DraftError {
            field: Some(id.to_owned()),
            message: t.no_contact_channel.to_owned(),
            rank: (rank_of(id), 0, 0),
        },
        rule => DraftError::field(t, id, label, &rule_text(t, rule)),
    }
}

/// The errors of control `id`, in one text.
pub(super) fn errors_of(errors: &[DraftError], id: &str) -> Option<String> {
    let messages: Vec<&str> = errors
        .iter()
        .filter(|e| e.field.as_deref() == Some(id))
        .map(|e| e.message.as_str())
        .collect();
    (!messages.is_empty()).then(|| messages.join(" "))
}

/// The form's error summary (`layout::error_summary_of`), each error linked
/// to its control, whose id may be made at run time (a list row's control).
pub(super) fn error_summary(lang: Language, errors: &[DraftError]) -> Markup {
    let items: Vec<(Option<&str>, &str)> = errors
        .iter()
        .map(|e| (e.field.as_deref(), e.message.as_str()))
        .collect();
    super::super::layout::error_summary_of(lang, &items)
}
