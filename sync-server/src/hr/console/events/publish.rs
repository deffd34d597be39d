//! Publishing behind a confirmation, as revoking a tablet is: `GET
//! /console/events/{id}/publish` shows what will be published (the saved draft as visitors
//! will see it, in both languages, and its version), that publishing freezes this version,
//! and that tablets get it on their next sync; only its form, which says `confirm=yes`,
//! publishes. A POST without it publishes nothing and leads to the confirmation.

use axum::extract::{Path, State};
use axum::http::{StatusCode, Uri};
use axum::response::{IntoResponse, Redirect, Response};
use maud::html;
use serde::Deserialize;

use super::draft::Draft;
use super::problems::{DraftError, in_form_order, problem_error};
use super::texts::{event_texts, fill_in};
use super::{View, admin_and_heads, edit_page, edited, read_event, refuse};
use crate::blocking::blocking;
use crate::hr::console::layout::Nav;
use crate::hr::console::{Console, ConsoleForm, EVENTS, html_page};
use crate::hr::error::{Conflict, HrError};
use crate::hr::events::{self, EventRefusal, heads_hex};
use crate::state::AppState;

/// The field the confirmation's form carries.
const CONFIRM: &str = "confirm";

/// `GET /console/events/{id}/publish`: the confirmation page.
pub(crate) async fn confirm_publish(
    State(state): State<AppState>,
    console: Console,
    uri: Uri,
    Path(id): Path<String>,
) -> Response {
    if let Err(error) = crate::hr::policy::may_manage_events(&console.caller.user) {
        return console.refuse(error, &uri).into_response();
    }
    let (event, heads) = match read_event(&state, &console, &uri, id).await {
        Ok(read) => read,
        Err(response) => return response,
    };
    let lang = console.lang;
    let t = event_texts(lang);
    let back = format!("{EVENTS}/{}", event.id);
    let draft_version = event.draft_form.version();
    let title = fill_in(t.confirm_title, &[&event.name.get(lang)]);
    if event.current_version.as_ref() == Some(&draft_version) {
        let page = console
            .page(&title, &uri, Nav::Events, false)
            .render(html! {
                p { (t.nothing_to_publish) }
                p { a href=(back) { (t.confirm_cancel) } }
            });
        return html_page(StatusCode::OK, page);
    }
    let shown = super::preview::Shown {
        name: &event.name,
        venue: &event.venue,
        languages: &event.languages,
        form: &event.draft_form,
    };
    let page = console
        .page(&title, &uri, Nav::Events, false)
        .render(html! {
            dl.details {
                dt { (t.confirm_event) } dd { (event.name.get(lang)) }
                dt { (t.confirm_version) } dd.code { (draft_version.short()) }
                @if let Some(current) = &event.current_version {
                    dt { (t.confirm_replaces) } dd.code { (current.short()) }
                }
            }
            p { (t.confirm_freezes) }
            p { (t.confirm_sync) }
            form method="post" action={ (back) "/publish" } {
                input type="hidden" name="csrf_token" value=(console.signed.csrf);
                input type="hidden" name="heads" value=(heads_hex(&heads).join(","));
                input type="hidden" name=(CONFIRM) value="yes";
                div.actions {
                    button.button type="submit" { (t.confirm_button) }
                    a href=(back) { (t.confirm_cancel) }
                }
            }
            section aria-labelledby="published-preview" {
                h2 #published-preview { (t.confirm_what) }
                (super::preview::preview(t, "published", &shown))
            }
        });
    html_page(StatusCode::OK, page)
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct PublishForm {
    heads: String,
    confirm: Option<String>,
}

/// `POST /console/events/{id}/publish`: publishes the draft as the event holds it now, if
/// the confirmation's form sent it; anything else leads to the confirmation.
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
    if form.confirm.as_deref() != Some("yes") {
        // Not confirmed: nothing is published. The id goes back only as a valid one.
        return match events::check_id(&id) {
            Ok(id) => Redirect::to(&format!("{EVENTS}/{id}/publish")).into_response(),
            Err(_) => refuse(&console, &uri, crate::hr::error::Missing::Event.into()),
        };
    }
    let t = event_texts(console.lang);
    let store = state.store.clone();
    let event_id = id.clone();
    let published =
        blocking(move || events::publish(store.as_ref(), &admin, &event_id, &heads)).await;
    let (status, problems) = match published
        .map_err(|failed| EventRefusal::Refused(failed.into()))
        .and_then(|r| r)
    {
        Ok(published) => return edited(&id, "published", published.merged_concurrent),
        Err(EventRefusal::Invalid(problems)) => (StatusCode::UNPROCESSABLE_ENTITY, problems),
        Err(EventRefusal::Refused(HrError::Conflict(
            Conflict::UnknownHeads | Conflict::StaleHeads | Conflict::DraftChangedSince,
        ))) => (StatusCode::CONFLICT, Vec::new()),
        Err(EventRefusal::Refused(error)) => return refuse(&console, &uri, error),
    };
    // The page shows the event as it is now, so the draft can be checked and published.
    let (event, heads) = match read_event(&state, &console, &uri, id).await {
        Ok(read) => read,
        Err(response) => return response,
    };
    let draft = Draft::of(&event, &heads);
    let mut errors: Vec<DraftError> = problems
        .iter()
        .map(|p| problem_error(t, p, &draft))
        .collect();
    errors.push(DraftError::form(if status == StatusCode::CONFLICT {
        t.publish_out_of_date
    } else {
        t.publish_refused
    }));
    let view = View::errors(in_form_order(errors));
    html_page(status, edit_page(&console, &uri, &event, &draft, &view))
}
