//! `GET /console/registrations/{id}`: one registration with its interests, locations,
//! consents, status, notes and ratings (answers named by [`answer_labels`], as the CSV, the
//! registerutdrag and the quarantine page name them); and, for a recruiter who may edit it,
//! the forms that add a note, set their own rating and set the status
//! (`POST /console/registrations/{id}/notes|rating|status`), and the "asked not to be
//! contacted" form of [`super::do_not_contact`]. Who may read or edit it, the edits
//! themselves and their access-log entries are the API's
//! ([`crate::hr::record_reading::read_logged`], [`edit_logged`]); a saved edit returns here
//! with a notice, a refused input re-renders the page with the error tied to its field.

use axum::extract::{Path, Query, RawQuery, State};
use axum::http::{StatusCode, Uri};
use axum::response::{IntoResponse, Redirect, Response};
use kiosk_core::annotations::{Annotations, RecordStatus};
use kiosk_core::event::Event;
use kiosk_core::ids::RegistrationId;
use kiosk_core::language::Language;
use kiosk_core::registration::Registration;
use maud::{Markup, html};
use serde::Deserialize;

use super::layout::{FieldError, Nav, column_heads, error_of, error_summary, notice, select};
use super::record_lifecycle;
use super::texts::{Texts, fill, status_name, texts};
use super::{Console, ConsoleForm, LIST, html_page};
use crate::blocking::blocking;
use crate::error::AppError;
use crate::hr::dates;
use crate::hr::error::{HrError, HrResult, Missing};
use crate::hr::labels::answer_labels;
use crate::hr::policy::{record_actions, require_editor, require_reader};
use crate::hr::record_access::require_for_record;
use crate::hr::record_edits::{checked_score, edit_logged, note_by, parse_status};
use crate::hr::record_reading::{RecordPage, RecordView, record_page};
use crate::state::{AppState, now_ms};
use crate::storage::HrEdit;

/// The texts of the edit forms, in one language.
#[derive(Debug)]
struct EditTexts {
    add_note_heading: &'static str,
    note_label: &'static str,
    note_hint: &'static str,
    add_note_button: &'static str,
    rating_heading: &'static str,
    rating_label: &'static str,
    rating_hint: &'static str,
    no_rating: &'static str,
    save_rating_button: &'static str,
    status_form_heading: &'static str,
    status_label: &'static str,
    save_status_button: &'static str,
    note_saved: &'static str,
    rating_saved: &'static str,
    status_saved: &'static str,
    bad_note: &'static str,
    bad_score: &'static str,
    bad_status: &'static str,
}

const SV: EditTexts = EditTexts {
    add_note_heading: "Lägg till en anteckning",
    note_label: "Anteckning",
    note_hint: "1–2 000 tecken. Anteckningen blir en del av den allmänna handlingen: den kan inte ändras eller tas bort, och rekryterare på evenemangets surfplattor ser den.",
    add_note_button: "Lägg till anteckningen",
    rating_heading: "Ditt betyg",
    rating_label: "Betyg",
    rating_hint: "1 (matchar inte) till 5 (matchar mycket väl). Betyget sparas under ditt användarnamn.",
    no_rating: "Inget betyg",
    save_rating_button: "Spara betyget",
    status_form_heading: "Ändra status",
    status_label: "Ny status",
    save_status_button: "Spara statusen",
    note_saved: "Anteckningen är sparad.",
    rating_saved: "Ditt betyg är sparat.",
    status_saved: "Statusen är sparad.",
    bad_note: "Skriv en anteckning på 1–2 000 tecken.",
    bad_score: "Välj ett betyg 1–5 eller Inget betyg.",
    bad_status: "Välj en av statusarna.",
};

const EN: EditTexts = EditTexts {
    add_note_heading: "Add a note",
    note_label: "Note",
    note_hint: "1–2,000 characters. The note becomes part of the public record: it cannot be changed or removed, and recruiters on the event's tablets see it.",
    add_note_button: "Add the note",
    rating_heading: "Your rating",
    rating_label: "Rating",
    rating_hint: "1 (no match) to 5 (strong match). The rating is filed under your username.",
    no_rating: "No rating",
    save_rating_button: "Save the rating",
    status_form_heading: "Change the status",
    status_label: "New status",
    save_status_button: "Save the status",
    note_saved: "The note is saved.",
    rating_saved: "Your rating is saved.",
    status_saved: "The status is saved.",
    bad_note: "Write a note of 1–2,000 characters.",
    bad_score: "Choose a rating 1–5 or No rating.",
    bad_status: "Choose one of the statuses.",
};

fn edit_texts(lang: Language) -> &'static EditTexts {
    match lang {
        Language::Swedish => &SV,
        Language::English => &EN,
    }
}

/// The detail page's own address.
pub(crate) fn detail_path(id: &str) -> String {
    format!("{LIST}/{id}")
}

/// The detail page's address, where refusals and re-renders of its forms show (not the
/// form's own address).
pub(crate) fn detail_uri(id: &str) -> Uri {
    detail_path(id)
        .parse()
        .unwrap_or_else(|_| Uri::from_static(LIST))
}

/// Back to the detail page after a form was saved, with `saved`'s notice.
pub(crate) fn saved_redirect(id: &str, saved: &str) -> Response {
    saved_redirect_in(id, saved, None)
}

/// Back to the detail page after a form was saved, with `saved`'s notice, still within the
/// list it was opened from (`list`, from [`super::list_steps::carried_query`]).
fn saved_redirect_in(id: &str, saved: &str, list: Option<&str>) -> Response {
    let list = list.map(|query| format!("&{query}")).unwrap_or_default();
    Redirect::to(&format!("{}?saved={saved}{list}", detail_path(id))).into_response()
}

/// The detail page again with a refused input's errors and what was typed (422).
pub(crate) async fn refused_input(
    state: &AppState,
    console: &Console,
    id: String,
    typed: Typed,
) -> Response {
    let uri = detail_uri(&id);
    render(
        state,
        console,
        &uri,
        id,
        None,
        typed,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await
}

/// `id` if it is a registration id as the relay stores them (so it is safe in a redirect).
fn registration_id(id: &str) -> HrResult<()> {
    match RegistrationId::parse(id) {
        Some(parsed) if parsed.as_str() == id => Ok(()),
        _ => Err(Missing::Registration.into()),
    }
}

#[derive(Debug, Deserialize)]
pub(crate) struct Shown {
    saved: Option<String>,
}

/// What the edit forms show after a refused input: the errors and what was typed.
#[derive(Debug, Default)]
pub(crate) struct Typed {
    pub errors: Vec<FieldError>,
    pub note: String,
    /// The legal hold's reason typed.
    pub hold_reason: String,
}

pub(crate) async fn page(
    State(state): State<AppState>,
    console: Console,
    uri: Uri,
    Path(id): Path<String>,
    Query(shown): Query<Shown>,
) -> Response {
    let lang = console.lang;
    let e = edit_texts(lang);
    let saved = match shown.saved.as_deref() {
        Some("note") => Some(e.note_saved),
        Some("rating") => Some(e.rating_saved),
        Some("status") => Some(e.status_saved),
        Some(other) => super::record_lifecycle::saved_notice(lang, other)
            .or_else(|| super::do_not_contact::saved_notice(lang, other))
            .or_else(|| super::visitor_receipt::saved_notice(lang, other)),
        None => None,
    };
    render(
        &state,
        &console,
        &uri,
        id,
        saved,
        Typed::default(),
        StatusCode::OK,
    )
    .await
}

/// Reads the record (access-logged) and renders its page with `status`.
pub(crate) async fn render(
    state: &AppState,
    console: &Console,
    uri: &Uri,
    id: String,
    saved: Option<&str>,
    typed: Typed,
    status: StatusCode,
) -> Response {
    if let Err(refusal) = require_for_record(state, &console.caller.user, &id, require_reader).await
    {
        return console.refuse(refusal, uri).into_response();
    }
    let store = state.store.clone();
    let user = console.caller.user.clone();
    let index_keys = state.index_keys.clone();
    let read = blocking(move || record_page(store.as_ref(), &index_keys, &user, &id)).await;
    let RecordPage {
        view:
            RecordView {
                registration,
                annotations,
                retention,
                capture,
            },
        event,
        editable,
        receipt_code: code,
        capturing_tablet,
        contact_flags,
    } = match read
        .map_err(AppError::from)
        .and_then(|r| r.map_err(AppError::from))
    {
        Ok(read) => read,
        Err(error) => return console.refuse(error, uri).into_response(),
    };
    let lang = console.lang;
    let t = texts(lang);
    // Back to the list it was opened from, and its previous and next record.
    let steps = super::list_steps::steps(
        state,
        console,
        uri.query(),
        registration.id.as_str(),
        registration.captured_at.millis(),
    )
    .await;
    // Archivists see the visitor's receipt and requests (read apart, after the record).
    let receipt = super::visitor_receipt::section(state, console, registration.id.as_str()).await;
    let title = fill(t.detail_title, &code);
    let list = super::list_steps::carried_query(uri.query());
    let edit = editable.then(|| EditView {
        list: list.as_deref(),
        csrf: &console.signed.csrf,
        username: &console.caller.user.username,
        typed: &typed,
    });
    let page = console
        .page(&title, uri, Nav::None, !typed.errors.is_empty())
        .render(html! {
            (error_summary(lang, &typed.errors))
            (super::capture_signature::alert(lang, capture))
            (super::contact_flags::section(lang, &contact_flags))
            @if let Some(saved) = saved {
                (notice(saved))
            }
            (steps)
            (content(
                lang,
                &registration,
                &annotations,
                event.as_ref(),
                edit.as_ref(),
                retention.as_ref().and_then(|r| r.talent_pool_withdrawn_at),
                &code,
                &capturing_tablet,
                capture,
            ))
            @if let Some(retention) = &retention {
                (record_lifecycle::section(
                    lang,
                    registration.id.as_str(),
                    retention,
                    record_actions(
                        &console.caller.user,
                        registration.consents.talent_pool.is_some(),
                    ),
                    &console.signed.csrf,
                    &typed,
                ))
            }
            (super::do_not_contact::section(
                lang,
                &console.caller.user,
                &registration,
                &contact_flags,
                &console.signed.csrf,
            ))
            (super::provenance::section(lang, registration.id.as_str(), &console.caller.user))
            (receipt)
        });
    html_page(status, page)
}

fn language_name(t: &Texts, language: Language) -> &'static str {
    match language {
        Language::Swedish => t.swedish,
        Language::English => t.english,
    }
}

/// What the edit forms need: present only for a user who may edit the record.
#[derive(Debug)]
struct EditView<'a> {
    /// The list the page was opened from, carried on by the forms.
    list: Option<&'a str>,
    csrf: &'a str,
    username: &'a str,
    typed: &'a Typed,
}

#[allow(clippy::too_many_arguments)] // one page's parts, each read once
fn content(
    lang: Language,
    registration: &Registration,
    annotations: &Annotations,
    event: Option<&Event>,
    edit: Option<&EditView<'_>>,
    // A withdrawal since the capture: the visitor is no longer in the pool.
    withdrawn_at: Option<i64>,
    // As the relay filed it when the seal opened.
    receipt_code: &str,
    // By the name HR gave it, with its fingerprint.
    capturing_tablet: &str,
    // Whether its capture signature verifies over what is stored now.
    capture: crate::rules::capture_check::CaptureCheck,
) -> Markup {
    let t = texts(lang);
    // Labels come from the form version the registration cites, in the same words as the
    // CSV, the registerutdrag and the quarantine page.
    let answers = answer_labels(event, registration, lang);
    let person = &registration.person;
    let given = |value: &Option<String>| {
        value
            .as_deref()
            .filter(|v| !v.is_empty())
            .map_or_else(|| t.not_given.to_owned(), str::to_owned)
    };
    let consents = &registration.consents;
    let id = registration.id.as_str();
    html! {
        @if registration.restricted {
            div.restricted-notice { p { strong { (t.restricted_badge) ". " } (t.restricted_notice) } }
        }
        h2 { (t.person_heading) }
        dl.details {
            dt { (t.given_name) } dd { (person.given_name) }
            dt { (t.family_name) } dd { (person.family_name) }
            dt { (t.email) } dd { (given(&person.email)) }
            dt { (t.phone) } dd { (given(&person.phone)) }
            dt { (t.visitor_language) } dd { (language_name(t, registration.language)) }
        }
        h2 { (t.interests_heading) }
        ul {
            @for interest in &answers.interests {
                li { (interest) }
            }
        }
        @if !answers.locations.is_empty() {
            h2 { (t.locations_heading) }
            ul {
                @for location in &answers.locations {
                    li { (location) }
                }
            }
        }
        @if answers.education_level.is_some() || registration.free_text.is_some() {
            dl.details {
                @if let Some(level) = &answers.education_level {
                    dt { (t.education_level) }
                    dd { (level) }
                }
                @if let Some(text) = &registration.free_text {
                    dt { (t.free_text) } dd { (text) }
                }
            }
        }
        h2 { (t.consents_heading) }
        dl.details {
            dt { (t.privacy_notice) }
            dd {
                (fill(t.acknowledged, dates::local_minutes(consents.privacy_notice.at.millis())))
                " (" (language_name(t, consents.privacy_notice.language)) ")"
            }
            dt { (t.col_talent_pool) }
            dd {
                @if let Some(at) = withdrawn_at {
                    (record_lifecycle::withdrawn_line(lang, at))
                } @else if let Some(opt_in) = &consents.talent_pool {
                    (fill(t.talent_pool_since, dates::local_minutes(opt_in.at.millis())))
                    " (" (language_name(t, opt_in.language)) ")"
                } @else {
                    (t.no)
                }
            }
        }
        h2 { (t.status_heading) }
        p { (status_name(lang, annotations.status)) }
        @if let Some(edit) = edit {
            (status_form(lang, id, annotations.status, edit))
        }
        h2 { (t.notes_heading) }
        @if annotations.notes.is_empty() {
            p { (t.no_notes) }
        } @else {
            (super::layout::table_region(t.notes_caption, html! { table {
                caption { (t.notes_caption) }
                (column_heads(&[t.col_written, t.col_author, t.col_note]))
                tbody {
                    @for note in &annotations.notes {
                        tr {
                            td.code { (dates::local_minutes(note.written_at.millis())) }
                            td { (note.author) }
                            td { (note.text) }
                        }
                    }
                }
            } }))
        }
        @if let Some(edit) = edit {
            (note_form(lang, id, edit))
        }
        h2 { (t.ratings_heading) }
        @if annotations.ratings.is_empty() {
            p { (t.no_ratings) }
        } @else {
            (super::layout::table_region(t.ratings_caption, html! { table {
                caption { (t.ratings_caption) }
                (column_heads(&[t.col_recruiter, t.col_rating]))
                tbody {
                    @for (recruiter, rating) in &annotations.ratings {
                        tr {
                            th scope="row" { (recruiter) }
                            td { (rating) }
                        }
                    }
                }
            } }))
        }
        @if let Some(edit) = edit {
            (rating_form(lang, id, annotations.ratings.get(edit.username).copied(), edit))
        }
        h2 { (t.receipt_heading) }
        dl.details {
            dt { (t.col_event) }
            dd {
                @if event.is_some() {
                    (answers.event) " (" (registration.event_id.as_str()) ")"
                } @else {
                    (registration.event_id.as_str())
                }
            }
            dt { (t.captured_at) } dd.code { (dates::local_minutes(registration.captured_at.millis())) }
            dt { (t.col_receipt) } dd.code { (receipt_code) }
            dt { (t.device) } dd { (capturing_tablet) }
            (super::capture_signature::line(lang, capture))
            dt { (t.form_version) } dd.code { (short(registration.form_version.as_str())) }
        }
    }
}

/// A form posting to `/console/registrations/{id}/{action}`, headed by `heading` (its
/// accessible name).
fn edit_form(id: &str, action: &str, heading: &str, edit: &EditView<'_>, fields: Markup) -> Markup {
    let heading_id = format!("{action}-form-heading");
    let list = edit
        .list
        .map(|query| format!("?{query}"))
        .unwrap_or_default();
    let csrf = edit.csrf;
    html! {
        form method="post" action={ (detail_path(id)) "/" (action) (list) } aria-labelledby=(heading_id) novalidate {
            h3 #(heading_id) { (heading) }
            input type="hidden" name="csrf_token" value=(csrf);
            (fields)
        }
    }
}

fn status_form(lang: Language, id: &str, current: RecordStatus, edit: &EditView<'_>) -> Markup {
    let e = edit_texts(lang);
    let options: Vec<(&str, &str)> = RecordStatus::ALL
        .iter()
        .map(|s| (s.as_str(), status_name(lang, *s)))
        .collect();
    let errors = &edit.typed.errors;
    edit_form(
        id,
        "status",
        e.status_form_heading,
        edit,
        html! {
            (select(lang, "status", e.status_label, &options, current.as_str(), error_of(errors, "status")))
            div.actions { button.button type="submit" { (e.save_status_button) } }
        },
    )
}

fn note_form(lang: Language, id: &str, edit: &EditView<'_>) -> Markup {
    let e = edit_texts(lang);
    let error = error_of(&edit.typed.errors, "text");
    let described = if error.is_some() {
        "text-hint text-error"
    } else {
        "text-hint"
    };
    edit_form(
        id,
        "notes",
        e.add_note_heading,
        edit,
        html! {
            div.field.field-error[error.is_some()] {
                label for="text" { (e.note_label) }
                p.hint #text-hint { (e.note_hint) }
                @if let Some(error) = error {
                    p.error-message #text-error {
                        span.visually-hidden { (texts(lang).error_label) " " }
                        (error)
                    }
                }
                textarea #text name="text" rows="5" cols="60" maxlength="2000"
                    aria-invalid=[error.map(|_| "true")]
                    aria-describedby=(described) { (edit.typed.note) }
            }
            div.actions { button.button type="submit" { (e.add_note_button) } }
        },
    )
}

fn rating_form(lang: Language, id: &str, mine: Option<i64>, edit: &EditView<'_>) -> Markup {
    let e = edit_texts(lang);
    let scores: Vec<String> = (1..=5).map(|s: i64| s.to_string()).collect();
    let mut options: Vec<(&str, &str)> = vec![("", e.no_rating)];
    options.extend(scores.iter().map(|s| (s.as_str(), s.as_str())));
    let chosen = mine.map(|s| s.to_string()).unwrap_or_default();
    edit_form(
        id,
        "rating",
        e.rating_heading,
        edit,
        html! {
            p.hint { (e.rating_hint) }
            (select(lang, "score", e.rating_label, &options, &chosen, error_of(&edit.typed.errors, "score")))
            div.actions { button.button type="submit" { (e.save_rating_button) } }
        },
    )
}

/// The first 16 characters of a long hex id: enough to tell devices and versions apart.
fn short(hex: &str) -> &str {
    hex.get(..16).unwrap_or(hex)
}

#[derive(Debug, Deserialize)]
pub(crate) struct NoteForm {
    #[serde(default)]
    text: String,
}

#[derive(Debug, Deserialize)]
pub(crate) struct RatingForm {
    #[serde(default)]
    score: String,
}

#[derive(Debug, Deserialize)]
pub(crate) struct StatusForm {
    #[serde(default)]
    status: String,
}

/// The form field a refused input belongs to, with its message; `None` for refusals that
/// are not about the input (they get the refusal page).
fn field_error(lang: Language, error: &HrError) -> Option<FieldError> {
    let e = edit_texts(lang);
    match error {
        HrError::InvalidField { field: "text", .. } => Some(FieldError::on("text", e.bad_note)),
        HrError::InvalidField { field: "score", .. } => Some(FieldError::on("score", e.bad_score)),
        HrError::InvalidField {
            field: "status", ..
        } => Some(FieldError::on("status", e.bad_status)),
        _ => None,
    }
}

/// Checks the input (`make_edit`), applies the edit as the API does, and returns to the
/// detail page with `saved`'s notice; a refused input re-renders the page with its error.
async fn submit(
    state: AppState,
    console: Console,
    // The query the form was posted with: the list the page was opened from.
    list: Option<String>,
    id: String,
    note: String,
    saved: &'static str,
    make_edit: impl FnOnce(&crate::hr::accounts::HrUser) -> HrResult<HrEdit>,
) -> Response {
    let uri = detail_uri(&id);
    // Only the list's own fields go on into the answer.
    let list = super::list_steps::carried_query(list.as_deref());
    let checked = require_for_record(&state, &console.caller.user, &id, require_editor)
        .await
        .and_then(|()| registration_id(&id))
        .and_then(|()| make_edit(&console.caller.user));
    let result = match checked {
        Ok(edit) => {
            let store = state.store.clone();
            let user = console.caller.user.clone();
            let doc_id = id.clone();
            blocking(move || edit_logged(store.as_ref(), &user, &doc_id, &edit))
                .await
                .map_err(HrError::from)
                .and_then(|r| r)
        }
        Err(error) => Err(error),
    };
    match result {
        Ok(_) => saved_redirect_in(&id, saved, list.as_deref()),
        Err(error) => match field_error(console.lang, &error) {
            Some(field) => {
                let typed = Typed {
                    errors: vec![field],
                    note,
                    ..Typed::default()
                };
                let page = list
                    .map(|query| format!("{}?{query}", detail_path(&id)))
                    .and_then(|page| page.parse().ok())
                    .unwrap_or_else(|| detail_uri(&id));
                render(
                    &state,
                    &console,
                    &page,
                    id,
                    None,
                    typed,
                    StatusCode::UNPROCESSABLE_ENTITY,
                )
                .await
            }
            None => console.refuse(error, &uri).into_response(),
        },
    }
}

pub(crate) async fn add_note(
    State(state): State<AppState>,
    Path(id): Path<String>,
    RawQuery(list): RawQuery,
    ConsoleForm { console, form }: ConsoleForm<NoteForm>,
) -> Response {
    let text = form.text;
    let typed = text.clone();
    submit(state, console, list, id, typed, "note", move |user| {
        Ok(HrEdit::AddNote(note_by(user, &text, now_ms())?))
    })
    .await
}

pub(crate) async fn set_rating(
    State(state): State<AppState>,
    Path(id): Path<String>,
    RawQuery(list): RawQuery,
    ConsoleForm { console, form }: ConsoleForm<RatingForm>,
) -> Response {
    submit(
        state,
        console,
        list,
        id,
        String::new(),
        "rating",
        move |user| {
            let score = match form.score.trim() {
                "" => None,
                text => Some(text.parse::<i64>().map_err(|_| HrError::InvalidField {
                    field: "score",
                    rule: "a score is 1–5, or empty to clear the rating",
                })?),
            };
            Ok(HrEdit::SetRating {
                rater: user.username.clone(),
                score: checked_score(score)?,
            })
        },
    )
    .await
}

pub(crate) async fn set_status(
    State(state): State<AppState>,
    Path(id): Path<String>,
    RawQuery(list): RawQuery,
    ConsoleForm { console, form }: ConsoleForm<StatusForm>,
) -> Response {
    submit(
        state,
        console,
        list,
        id,
        String::new(),
        "status",
        move |_| Ok(HrEdit::SetStatus(parse_status(&form.status)?)),
    )
    .await
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hr::labels::answer_labels;
    use crate::rules::capture_check::CaptureCheck;

    /// The page's content of `registration` in `lang`, labelled by `event`.
    fn shown(lang: Language, registration: &Registration, event: Option<&Event>) -> String {
        content(
            lang,
            registration,
            &Annotations::opened(),
            event,
            None,
            None,
            "ABCD1234",
            "Surfplatta 1",
            CaptureCheck::Verifies,
        )
        .into_string()
    }

    #[test]
    fn answers_are_named_in_the_words_the_csv_and_registerutdrag_use() {
        let event = kiosk_core::demo::demo_event();
        let mut registration = kiosk_core::generator::RegistrationGenerator::new(event.clone(), 11)
            .next_registration()
            .expect("valid");
        let form = &event
            .published_form(&registration.form_version)
            .expect("the form it cites")
            .form;
        registration.education_level = Some(form.education_levels[0].code.clone());
        registration.locations = vec![form.locations[0].code.clone()];
        // A code the form does not label (a list changed since) shows as it is.
        registration.interests.push("retired-area".to_owned());
        for lang in [Language::Swedish, Language::English] {
            let page = shown(lang, &registration, Some(&event));
            let answers = answer_labels(Some(&event), &registration, lang);
            assert_eq!(answers.interests.len(), registration.interests.len());
            for word in answers.interests.iter().chain(&answers.locations) {
                assert!(
                    page.contains(&format!("<li>{word}</li>")),
                    "{word} in {page}"
                );
            }
            let level = answers.education_level.expect("labelled");
            assert_ne!(Some(&level), registration.education_level.as_ref());
            assert!(page.contains(&format!("<dd>{level}</dd>")), "{page}");
            assert!(page.contains("<li>retired-area</li>"));
            assert!(page.contains(&format!(
                "{} ({})",
                answers.event,
                registration.event_id.as_str()
            )));
        }
        // Without the event the codes are shown, nothing left out.
        let page = shown(Language::Swedish, &registration, None);
        for code in &registration.interests {
            assert!(
                page.contains(&format!("<li>{code}</li>")),
                "{code} in {page}"
            );
        }
    }
}
