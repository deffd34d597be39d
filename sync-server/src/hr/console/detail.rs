//! `GET /console/registrations/{id}`: one registration with its interests, locations,
//! consents, status, notes and ratings. Who may read it, and the access-log entry of the
//! read or the refused attempt, are the API's ([`read_logged`]); labels come from the
//! event's form.

use axum::extract::{Path, State};
use axum::http::{StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use kiosk_core::annotations::Annotations;
use kiosk_core::capture::receipt_code;
use kiosk_core::event::Event;
use kiosk_core::form::{Choice, FormDefinition};
use kiosk_core::language::Language;
use kiosk_core::registration::Registration;
use maud::{Markup, html};

use super::layout::{Nav, Page};
use super::texts::{Texts, fill, texts};
use super::{Console, LIST, html_page, time};
use crate::hr::registrations::{read_logged, require_reader};
use crate::routes::blocking;
use crate::state::AppState;

pub(crate) async fn page(
    State(state): State<AppState>,
    console: Console,
    uri: Uri,
    Path(id): Path<String>,
) -> Response {
    if let Err(refusal) = require_reader(&console.caller.user) {
        return console.refuse(refusal, &uri).into_response();
    }
    let store = state.store.clone();
    let user = console.caller.user.clone();
    let read = blocking(move || {
        let (registration, annotations) = read_logged(store.as_ref(), &user, id)?;
        // The event only labels codes; a missing or unreadable event leaves the codes.
        let event = store.event(&registration.event_id).ok().flatten();
        Ok((registration, annotations, event))
    })
    .await;
    let (registration, annotations, event) = match read.and_then(|r| r) {
        Ok(read) => read,
        Err(error) => return console.refuse(error, &uri).into_response(),
    };
    let lang = console.lang;
    let t = texts(lang);
    let code = receipt_code::for_registration(&registration.id);
    let title = fill(t.detail_title, &code);
    let form = event.as_ref().and_then(|e| {
        e.published_form(&registration.form_version)
            .map(|published| &published.form)
    });
    let page = Page {
        lang,
        title: &title,
        uri: &uri,
        signed: Some(&console.signed),
        nav: Nav::None,
        has_errors: false,
    }
    .render(content(
        lang,
        &registration,
        &annotations,
        event.as_ref(),
        form,
    ));
    html_page(StatusCode::OK, page)
}

fn language_name(t: &Texts, language: Language) -> &'static str {
    match language {
        Language::Swedish => t.swedish,
        Language::English => t.english,
    }
}

/// A code's label from `choices` in `lang`, or the code itself.
fn label<'a>(choices: Option<&'a [Choice]>, code: &'a str, lang: Language) -> &'a str {
    choices
        .and_then(|c| c.iter().find(|choice| choice.code == code))
        .map_or(code, |choice| choice.label.get(lang))
}

fn content(
    lang: Language,
    registration: &Registration,
    annotations: &Annotations,
    event: Option<&Event>,
    form: Option<&FormDefinition>,
) -> Markup {
    let t = texts(lang);
    let person = &registration.person;
    let given = |value: &Option<String>| {
        value
            .as_deref()
            .filter(|v| !v.is_empty())
            .map_or_else(|| t.not_given.to_owned(), str::to_owned)
    };
    let (status_sv, status_en) = annotations.status.label();
    let consents = &registration.consents;
    html! {
        p { a href=(LIST) { (t.back_to_list) } }
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
            @for code in &registration.interests {
                li { (label(form.map(|f| f.interest_areas.as_slice()), code, lang)) }
            }
        }
        @if !registration.locations.is_empty() {
            h2 { (t.locations_heading) }
            ul {
                @for code in &registration.locations {
                    li { (label(form.map(|f| f.locations.as_slice()), code, lang)) }
                }
            }
        }
        @if registration.education_level.is_some() || registration.free_text.is_some() {
            dl.details {
                @if let Some(level) = &registration.education_level {
                    dt { (t.education_level) }
                    dd { (label(form.map(|f| f.education_levels.as_slice()), level, lang)) }
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
                (fill(t.acknowledged, time::local_minutes(consents.privacy_notice.at.millis())))
                " (" (language_name(t, consents.privacy_notice.language)) ")"
            }
            dt { (t.col_talent_pool) }
            dd {
                @if let Some(opt_in) = &consents.talent_pool {
                    (fill(t.talent_pool_since, time::local_minutes(opt_in.at.millis())))
                    " (" (language_name(t, opt_in.language)) ")"
                } @else {
                    (t.no)
                }
            }
        }
        h2 { (t.status_heading) }
        p { (match lang { Language::Swedish => status_sv, Language::English => status_en }) }
        h2 { (t.notes_heading) }
        @if annotations.notes.is_empty() {
            p { (t.no_notes) }
        } @else {
            table {
                caption { (t.notes_caption) }
                thead {
                    tr {
                        th scope="col" { (t.col_written) }
                        th scope="col" { (t.col_author) }
                        th scope="col" { (t.col_note) }
                    }
                }
                tbody {
                    @for note in &annotations.notes {
                        tr {
                            td.code { (time::local_minutes(note.written_at.millis())) }
                            td { (note.author) }
                            td { (note.text) }
                        }
                    }
                }
            }
        }
        h2 { (t.ratings_heading) }
        @if annotations.ratings.is_empty() {
            p { (t.no_ratings) }
        } @else {
            table {
                caption { (t.ratings_caption) }
                thead {
                    tr {
                        th scope="col" { (t.col_recruiter) }
                        th scope="col" { (t.col_rating) }
                    }
                }
                tbody {
                    @for (recruiter, rating) in &annotations.ratings {
                        tr {
                            th scope="row" { (recruiter) }
                            td { (rating) }
                        }
                    }
                }
            }
        }
        h2 { (t.receipt_heading) }
        dl.details {
            dt { (t.col_event) }
            dd {
                @if let Some(event) = event {
                    (event.name.get(lang)) " (" (registration.event_id.as_str()) ")"
                } @else {
                    (registration.event_id.as_str())
                }
            }
            dt { (t.captured_at) } dd.code { (time::local_minutes(registration.captured_at.millis())) }
            dt { (t.col_receipt) } dd.code { (receipt_code::for_registration(&registration.id)) }
            dt { (t.device) } dd.code { (short(registration.capturing_device.as_str())) }
            dt { (t.form_version) } dd.code { (short(registration.form_version.as_str())) }
        }
    }
}

/// The first 16 characters of a long hex id: enough to tell devices and versions apart.
fn short(hex: &str) -> &str {
    hex.get(..16).unwrap_or(hex)
}
