//! The event form's controls, shared by the create and the edit page: the event's details,
//! the fields on the visitor's form, each list of choices row by row (Swedish label,
//! English label, code; move up, move down, remove; add a row — every button a submit, so
//! it works without JavaScript), the visitor's texts and the retention rule. Each error
//! sits beside its control, tied to it by `aria-describedby`.

use kiosk_core::language::Language;
use maud::{Markup, html};

use super::draft::{self, Action, Draft, List, Part, add_id, button_id, row_id};
use super::problems::{DraftError, errors_of};
use super::texts::{EventTexts, event_texts, fill_in};
use crate::hr::console::layout::{Field, select};
use crate::hr::console::texts::texts;

/// What the builder shows besides the draft: its errors and the control to focus after a
/// row button (the page comes back at its top otherwise).
#[derive(Debug, Default)]
pub(super) struct Shown<'a> {
    pub errors: &'a [DraftError],
    pub focus: Option<&'a str>,
}

/// An error message beside a control.
fn error_message(lang: Language, id: &str, error: Option<&str>) -> Markup {
    html! {
        @if let Some(error) = error {
            p.error-message #(id) {
                span.visually-hidden { (texts(lang).error_label) " " }
                (error)
            }
        }
    }
}

/// `aria-describedby` from the ids that are there.
fn described(ids: &[Option<&str>]) -> Option<String> {
    let ids: Vec<&str> = ids.iter().flatten().copied().collect();
    (!ids.is_empty()).then(|| ids.join(" "))
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
    let describedby = described(&[
        hint.map(|_| hint_id.as_str()),
        error.map(|_| error_id.as_str()),
    ]);
    html! {
        div.field.field-error[error.is_some()] {
            label for=(id) { (label) }
            @if let Some(hint) = hint {
                p.hint #(hint_id) { (hint) }
            }
            (error_message(lang, &error_id, error))
            textarea #(id) name=(id) rows=(rows) cols="80"
                aria-invalid=[error.map(|_| "true")]
                aria-describedby=[describedby] {
                (value)
            }
        }
    }
}

/// A row button: a submit that names its row for screen readers.
fn row_button(id: &str, action: Action, text: &str, row_name: &str, focus: bool) -> Markup {
    html! {
        button.button.secondary #(id) type="submit" name=(draft::ACTION) value=(action.value())
            autofocus[focus] {
            (text) span.visually-hidden { " " (row_name) }
        }
    }
}

/// One list of choices, row by row, with its add button.
fn list_rows(
    lang: Language,
    t: &EventTexts,
    list: List,
    draft: &Draft,
    shown: &Shown<'_>,
) -> Markup {
    let rows = draft.rows(list);
    let list_error = errors_of(shown.errors, list.name());
    let error_id = format!("{}-error", list.name());
    let focus = |id: &str| shown.focus == Some(id);
    let add = add_id(list);
    html! {
        fieldset.choice-list.field-error[list_error.is_some()] #(list.name())
            aria-describedby=[described(&[Some("lists-hint"), list_error.as_ref().map(|_| error_id.as_str())])] {
            legend { (list.label(t)) }
            (error_message(lang, &error_id, list_error.as_deref()))
            @if rows.is_empty() {
                p { (t.empty_list) }
            }
            @for (index, row) in rows.iter().enumerate() {
                @let number = index + 1;
                @let row_name = fill_in(t.row, &[&number]).to_lowercase();
                fieldset.choice-row {
                    legend {
                        span.visually-hidden { (list.label(t)) ", " }
                        (fill_in(t.row, &[&number]))
                    }
                    div.row-fields {
                        @for (part, label) in [(Part::LabelSv, t.label_sv), (Part::LabelEn, t.label_en), (Part::Code, t.code)] {
                            @let id = row_id(list, number, part);
                            @let error = errors_of(shown.errors, &id);
                            @let error_id = format!("{id}-error");
                            div.field.field-error[error.is_some()] {
                                label for=(id) { (label) }
                                (error_message(lang, &error_id, error.as_deref()))
                                input.code-input[part == Part::Code] #(id) name=(id) type="text"
                                    value=(row.part(part))
                                    spellcheck=[(part == Part::Code).then_some("false")]
                                    autocapitalize=[(part == Part::Code).then_some("off")]
                                    autofocus[focus(&id)]
                                    aria-invalid=[error.as_ref().map(|_| "true")]
                                    aria-describedby=[error.as_ref().map(|_| error_id.as_str())];
                            }
                        }
                    }
                    div.row-actions {
                        @if number > 1 {
                            @let id = button_id(list, number, "up");
                            (row_button(&id, Action::Up(list, number), t.move_up, &row_name, focus(&id)))
                        }
                        @if number < rows.len() {
                            @let id = button_id(list, number, "down");
                            (row_button(&id, Action::Down(list, number), t.move_down, &row_name, focus(&id)))
                        }
                        @let id = button_id(list, number, "remove");
                        (row_button(&id, Action::Remove(list, number), t.remove_row, &row_name, focus(&id)))
                    }
                }
            }
            div.actions {
                button.button.secondary #(add) type="submit" name=(draft::ACTION)
                    value=(Action::Add(list).value()) autofocus[focus(&add)] {
                    (t.add_row) span.visually-hidden { ": " (list.label(t)) }
                }
            }
        }
    }
}

/// The details and draft-form controls, shared by the create and the edit form.
pub(super) fn form_fields(lang: Language, draft: &Draft, shown: &Shown<'_>, new: bool) -> Markup {
    let t = event_texts(lang);
    let error = |id: &str| errors_of(shown.errors, id);
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
    let languages_error = error(draft::LANG_SV);
    let languages_error_id = "languages-error";
    html! {
        fieldset {
            legend { (t.event_legend) }
            @if new {
                (text_field(draft::ID, t.id, &draft.id, Some(t.id_hint)))
            }
            (text_field(draft::NAME_SV, t.name_sv, &draft.name_sv, None))
            (text_field(draft::NAME_EN, t.name_en, &draft.name_en, None))
            (text_field(draft::VENUE, t.venue, &draft.venue, None))
            (text_field(draft::STARTS_ON, t.starts_on, &draft.starts_on, Some(t.date_hint)))
            (text_field(draft::ENDS_ON, t.ends_on, &draft.ends_on, Some(t.ends_on_hint)))
        }
        fieldset.field.field-error[languages_error.is_some()]
            aria-describedby=[languages_error.as_ref().map(|_| languages_error_id)] {
            legend { (t.languages_legend) }
            (error_message(lang, languages_error_id, languages_error.as_deref()))
            div {
                input #(draft::LANG_SV) type="checkbox" name=(draft::LANG_SV) value="on" checked[draft.lang_sv];
                " "
                label for=(draft::LANG_SV) { (t.swedish) }
            }
            div {
                input #(draft::LANG_EN) type="checkbox" name=(draft::LANG_EN) value="on" checked[draft.lang_en];
                " "
                label for=(draft::LANG_EN) { (t.english) }
            }
        }
        fieldset {
            legend { (t.fields_legend) }
            p.hint { (t.fields_hint) }
            (requirement_select(draft::FIELD_EMAIL, t.email, &draft.field_email))
            (requirement_select(draft::FIELD_PHONE, t.phone, &draft.field_phone))
            (requirement_select(draft::FIELD_LOCATIONS, t.locations_field, &draft.field_locations))
            (requirement_select(draft::FIELD_EDUCATION, t.education_field, &draft.field_education_level))
            (requirement_select(draft::FIELD_FREE_TEXT, t.free_text_field, &draft.field_free_text))
        }
        fieldset {
            legend { (t.lists_legend) }
            p.hint #lists-hint { (t.list_hint) }
            (text_field(draft::MAX_INTERESTS, t.max_interests, &draft.max_interests, Some(t.max_interests_hint)))
            @for list in List::ALL {
                (list_rows(lang, t, list, draft, shown))
            }
        }
        fieldset {
            legend { (t.notices_legend) }
            (textarea(lang, draft::PRIVACY_SV, t.privacy_sv, &draft.privacy_sv, None, error(draft::PRIVACY_SV).as_deref(), 8))
            (textarea(lang, draft::PRIVACY_EN, t.privacy_en, &draft.privacy_en, None, error(draft::PRIVACY_EN).as_deref(), 8))
            (textarea(lang, draft::TALENT_POOL_SV, t.talent_pool_sv, &draft.talent_pool_sv, None, error(draft::TALENT_POOL_SV).as_deref(), 4))
            (textarea(lang, draft::TALENT_POOL_EN, t.talent_pool_en, &draft.talent_pool_en, None, error(draft::TALENT_POOL_EN).as_deref(), 4))
        }
        fieldset {
            legend { (t.retention_legend) }
            (text_field(draft::RETENTION_MONTHS, t.retention_months, &draft.retention_months, Some(t.retention_months_hint)))
            (text_field(draft::RETENTION_DECISION, t.retention_decision, &draft.retention_decision, Some(t.retention_decision_hint)))
        }
    }
}

/// The form's buttons at its end, and the hidden default one at its start: Enter in a
/// field presses the first submit button of the form, which must save, not move a row.
pub(super) fn default_button(label: &str) -> Markup {
    html! {
        button type="submit" name=(draft::ACTION) value=(Action::Save.value()) hidden tabindex="-1" {
            (label)
        }
    }
}

pub(super) fn form_buttons(t: &EventTexts, save_label: &str) -> Markup {
    html! {
        div.actions {
            button.button type="submit" name=(draft::ACTION) value=(Action::Save.value()) { (save_label) }
            button.button.secondary type="submit" name=(draft::ACTION) value=(Action::Preview.value()) {
                (t.preview_button)
            }
        }
    }
}
