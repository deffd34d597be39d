//! `/console/events`: admins list events and create one; `/console/events/{id}` edits an
//! event's details and draft form; `/console/events/{id}/publish` asks for a confirmation
//! and publishes. The rules, the edit at the heads the page was rendered from, and the
//! publication are the JSON API's ([`crate::hr::events`]); this module and its parts turn
//! the typed form into the API's input ([`draft`]), render it row by row
//! ([`form_builder`]), name every problem by its field ([`problems`]), show what visitors
//! will see ([`preview`]) and confirm publishing ([`publish`]).
//!
//! Every row button re-renders the form with the draft kept; nothing is saved until "Save
//! draft" (or "Create the event"). After a save the page says so, and says when the save
//! merged with someone else's concurrent change. A refused save shows the page again with
//! the input kept and every error at once.

mod draft;
mod form_builder;
mod preview;
mod problems;
mod publish;
mod texts;

pub(crate) use publish::{confirm_publish, publish};

use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, Uri};
use axum::response::{IntoResponse, Redirect, Response};
use kiosk_core::event::Event;
use kiosk_core::language::Language;
use maud::{Markup, html};
use serde::Deserialize;

use super::layout::{Nav, column_heads, notice};
use super::{Console, ConsoleForm, EVENTS, html_page};
use crate::blocking::blocking;
use crate::hr::accounts::HrUser;
use crate::hr::dates;
use crate::hr::error::{Conflict, HrError, HrResult, Missing};
use crate::hr::events::{self, EventRefusal, check_details, check_id, parse_heads};
use crate::state::AppState;
use crate::storage::EventSummary;
use draft::{Action, Draft};
use form_builder::{default_button, form_buttons, form_fields};
use problems::{DraftError, error_summary, in_form_order, problem_error};
use texts::{EventTexts, event_texts, fill_in};

/// What a page shows besides the draft.
#[derive(Debug, Default)]
struct View {
    errors: Vec<DraftError>,
    notices: Vec<String>,
    /// The control a row button leaves focus on.
    focus: Option<String>,
    /// Show the preview of the draft as typed.
    preview: bool,
}

impl View {
    fn errors(errors: Vec<DraftError>) -> View {
        View {
            errors,
            ..View::default()
        }
    }

    fn builder(&self) -> form_builder::Shown<'_> {
        form_builder::Shown {
            errors: &self.errors,
            focus: self.focus.as_deref(),
        }
    }
}

/// The preview of `draft` as typed, under its own heading, which takes focus.
fn draft_preview(t: &EventTexts, draft: &Draft) -> Markup {
    let (input, _) = draft.input(t);
    let languages: Vec<Language> = [
        (draft.lang_sv, Language::Swedish),
        (draft.lang_en, Language::English),
    ]
    .into_iter()
    .filter_map(|(on, language)| on.then_some(language))
    .collect();
    let shown = preview::Shown {
        name: &input.name,
        venue: &input.venue,
        languages: &languages,
        form: &input.draft_form,
    };
    html! {
        section #preview aria-labelledby="preview-heading" {
            h2 #preview-heading tabindex="-1" autofocus { (t.preview_heading) }
            p { (t.preview_unsaved) }
            (preview::preview(t, "preview", &shown))
        }
    }
}

/// What a posted event form asks: the draft with codes made for labelled rows, and what to
/// do. A row button is done here (and `Some` is returned as the page to show); a preview
/// or a save drops rows left empty first.
fn read_draft(fields: &[(String, String)]) -> (Draft, Option<View>) {
    let (mut draft, action) = Draft::from_fields(fields);
    draft.fill_codes();
    match action {
        Action::Save => {
            draft.drop_blank_rows();
            (draft, None)
        }
        Action::Preview => {
            draft.drop_blank_rows();
            let view = View {
                preview: true,
                ..View::default()
            };
            (draft, Some(view))
        }
        row_button => {
            let view = View {
                focus: draft.apply(row_button),
                ..View::default()
            };
            (draft, Some(view))
        }
    }
}

/// `2026-03-12 – 2026-03-13`, one date for a one-day event, or a standing desk's start.
fn dates(t: &EventTexts, summary: &EventSummary) -> String {
    match &summary.ends_on {
        None => fill_in(t.standing_desk, &[&summary.starts_on]),
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

/// The list with the new-event form showing `draft` and `view`.
async fn list_page(
    state: &AppState,
    console: &Console,
    uri: &Uri,
    draft: &Draft,
    view: &View,
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
        .page(t.list_title, uri, Nav::Events, !view.errors.is_empty())
        .render(html! {
            (error_summary(lang, &view.errors))
            (events_table(lang, &events))
            @if view.preview {
                (draft_preview(t, draft))
            }
            h2 #new-event { (t.new_event) }
            p { (t.new_event_intro) }
            form method="post" action=(EVENTS) novalidate aria-labelledby="new-event" {
                input type="hidden" name="csrf_token" value=(console.signed.csrf);
                (default_button(t.create_button))
                (form_fields(lang, draft, &view.builder(), true))
                (form_buttons(t, t.create_button))
            }
        });
    html_page(status, page)
}

/// `GET /console/events`.
pub(crate) async fn list(State(state): State<AppState>, console: Console, uri: Uri) -> Response {
    if let Err(error) = crate::hr::policy::may_manage_events(&console.caller.user) {
        return console.refuse(error, &uri).into_response();
    }
    let view = View::default();
    list_page(
        &state,
        &console,
        &uri,
        &Draft::blank(),
        &view,
        StatusCode::OK,
    )
    .await
}

/// The errors of a draft whose fields are not all of the right kind (`parsed`), with
/// every problem the service's rules find in the rest, so one answer names them all.
fn all_errors(
    t: &EventTexts,
    draft: &Draft,
    input: &events::EventInput,
    parsed: Vec<DraftError>,
    new: bool,
) -> Vec<DraftError> {
    let mut errors = parsed;
    if new && let Err(problem) = check_id(&draft.id) {
        errors.push(problem_error(t, &problem, draft));
    }
    if let Err(problems) = check_details(input) {
        errors.extend(problems.iter().map(|p| problem_error(t, p, draft)));
    }
    in_form_order(errors)
}

/// `POST /console/events`: creates the event and opens it, or shows the form again (after a
/// row button, a preview or with its errors).
pub(crate) async fn create(
    State(state): State<AppState>,
    uri: Uri,
    ConsoleForm { console, form }: ConsoleForm<Vec<(String, String)>>,
) -> Response {
    let admin = match crate::hr::policy::may_manage_events(&console.caller.user) {
        Ok(admin) => admin.clone(),
        Err(error) => return console.refuse(error, &uri).into_response(),
    };
    let t = event_texts(console.lang);
    let (draft, shown) = read_draft(&form);
    if let Some(view) = shown {
        return list_page(&state, &console, &uri, &draft, &view, StatusCode::OK).await;
    }
    let (input, parsed) = draft.input(t);
    if !parsed.is_empty() {
        let view = View::errors(all_errors(t, &draft, &input, parsed, true));
        let status = StatusCode::UNPROCESSABLE_ENTITY;
        return list_page(&state, &console, &uri, &draft, &view, status).await;
    }
    let store = state.store.clone();
    let id = draft.id.clone();
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
            in_form_order(
                problems
                    .iter()
                    .map(|p| problem_error(t, p, &draft))
                    .collect(),
            ),
        ),
        Err(EventRefusal::Refused(HrError::Conflict(Conflict::EventExists))) => (
            StatusCode::CONFLICT,
            vec![DraftError::field(t, draft::ID, t.id, t.event_exists)],
        ),
        Err(EventRefusal::Refused(error)) => return refuse(&console, &uri, error),
    };
    let view = View::errors(errors);
    list_page(&state, &console, &uri, &draft, &view, status).await
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

/// The edit page of `event`, its form showing `draft` and `view`.
fn edit_page(console: &Console, uri: &Uri, event: &Event, draft: &Draft, view: &View) -> Markup {
    let lang = console.lang;
    let t = event_texts(lang);
    let title = fill_in(t.edit_title, &[&event.name.get(lang)]);
    let action = format!("{EVENTS}/{}", event.id);
    let draft_unpublished = event.current_version.as_ref() != Some(&event.draft_form.version());
    let mut versions: Vec<_> = event.published.values().collect();
    versions.sort_by_key(|p| std::cmp::Reverse(p.published_at));
    console
        .page(&title, uri, Nav::Events, !view.errors.is_empty())
        .render(html! {
            p { a href=(EVENTS) { (t.back_to_events) } }
            @for message in &view.notices {
                (notice(message))
            }
            (error_summary(lang, &view.errors))
            @if view.preview {
                (draft_preview(t, draft))
            }
            h2 #details-heading { (t.details_heading) }
            form method="post" action=(action) novalidate aria-labelledby="details-heading" {
                input type="hidden" name="csrf_token" value=(console.signed.csrf);
                input type="hidden" name=(draft::HEADS) value=(draft.heads);
                (default_button(t.save_button))
                (form_fields(lang, draft, &view.builder(), false))
                (form_buttons(t, t.save_button))
            }
            h2 #publish-heading { (t.publish_heading) }
            @if draft_unpublished {
                p { (t.publish_explained) }
                p { a.button href={ (action) "/publish" } { (t.publish_button) } }
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
                                td { (dates::local_minutes(published.published_at.millis())) }
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
        notices.push(fill_in(t.published, &[&version.short()]));
    }
    if shown.merged.is_some() {
        notices.push(t.merged.to_owned());
    }
    let draft = Draft::of(&event, &heads);
    let view = View {
        notices,
        ..View::default()
    };
    html_page(
        StatusCode::OK,
        edit_page(&console, &uri, &event, &draft, &view),
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

/// `POST /console/events/{id}`: a row button or a preview shows the form again with the
/// draft kept; a save stores it as the user's edit at the heads the page was rendered
/// from, or shows it again with every error and the input kept.
pub(crate) async fn save(
    State(state): State<AppState>,
    uri: Uri,
    Path(id): Path<String>,
    ConsoleForm { console, form }: ConsoleForm<Vec<(String, String)>>,
) -> Response {
    let (draft, shown) = read_draft(&form);
    let (admin, heads) = match admin_and_heads(&console, &draft.heads) {
        Ok(checked) => checked,
        Err(error) => return console.refuse(error, &uri).into_response(),
    };
    let t = event_texts(console.lang);
    let (status, view) = match shown {
        Some(view) => (StatusCode::OK, view),
        None => match save_draft(&state, &admin, &id, &heads, &draft, t).await {
            Ok(merged) => return edited(&id, "saved", merged),
            Err(Ok(answer)) => answer,
            Err(Err(error)) => return refuse(&console, &uri, error),
        },
    };
    let (event, _) = match read_event(&state, &console, &uri, id).await {
        Ok(read) => read,
        Err(response) => return response,
    };
    html_page(status, edit_page(&console, &uri, &event, &draft, &view))
}

/// Saves `draft` over event `id`: whether a concurrent change was merged, or the page's
/// status and errors, or a refusal that is not about the form.
async fn save_draft(
    state: &AppState,
    admin: &HrUser,
    id: &str,
    heads: &[[u8; 32]],
    draft: &Draft,
    t: &EventTexts,
) -> Result<bool, Result<(StatusCode, View), HrError>> {
    let (input, parsed) = draft.input(t);
    if !parsed.is_empty() {
        let errors = all_errors(t, draft, &input, parsed, false);
        return Err(Ok((StatusCode::UNPROCESSABLE_ENTITY, View::errors(errors))));
    }
    // Input the rules accept can still be refused merged with a concurrent change.
    let input_valid = check_details(&input).is_ok();
    let store = state.store.clone();
    let (admin, event_id, heads) = (admin.clone(), id.to_owned(), heads.to_vec());
    let saved =
        blocking(move || events::save(store.as_ref(), &admin, &event_id, &heads, &input)).await;
    let refused = match saved
        .map_err(|failed| EventRefusal::Refused(failed.into()))
        .and_then(|r| r)
    {
        Ok(saved) => return Ok(saved.merged_concurrent),
        Err(refused) => refused,
    };
    let (status, errors) = match refused {
        EventRefusal::Invalid(problems) => {
            let mut errors: Vec<DraftError> = problems
                .iter()
                .map(|p| problem_error(t, p, draft))
                .collect();
            if input_valid {
                errors.push(DraftError::form(t.merge_invalid));
            }
            (StatusCode::UNPROCESSABLE_ENTITY, in_form_order(errors))
        }
        EventRefusal::Refused(HrError::Conflict(Conflict::UnknownHeads)) => (
            StatusCode::CONFLICT,
            vec![DraftError::form(t.unknown_heads)],
        ),
        EventRefusal::Refused(HrError::Conflict(Conflict::StaleHeads)) => {
            (StatusCode::CONFLICT, vec![DraftError::form(t.stale_heads)])
        }
        EventRefusal::Refused(error) => return Err(Err(error)),
    };
    Err(Ok((status, View::errors(errors))))
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
