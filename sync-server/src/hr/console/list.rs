//! `GET /console/registrations`: the registrations the user may read, newest first, with a
//! filter form whose fields become the API's own filter ([`parse_filter`]) and the same
//! listing, narrowing and access logging ([`list_readable`]). Pages follow the `next`
//! cursor; each row links to the detail page.

use std::collections::HashMap;

use axum::extract::{RawQuery, State};
use axum::http::{StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use kiosk_core::event::Event;
use kiosk_core::language::Language;
use maud::{Markup, html};

use super::forms::{self, date_bound, filter_query, form_values};
use super::layout::{Field, FieldError, Nav, column_heads, error_of, error_summary, select};
use super::texts::{Texts, status_label, status_options, texts};
use super::{Console, LIST, html_page};
use crate::blocking::blocking;
use crate::error::AppError;
use crate::hr::dates;
use crate::hr::error::HrError;
use crate::hr::policy::require_reader;
use crate::hr::registration_lists::{event_labels, list_readable};
use crate::hr::registrations_api::parse_filter;
use crate::storage::RegistrationSummary;

/// The filter form's fields, as typed.
const FIELDS: [&str; 9] = [
    "q",
    "event",
    "interest",
    "location",
    "status",
    "talent_pool",
    "from",
    "to",
    "after",
];

/// The form's error for the API's refusal of filter `name` (`BadFilter("name: …")`).
fn filter_error(t: &Texts, message: &str) -> FieldError {
    let name = message.split(':').next().unwrap_or_default();
    match name {
        "q" => FieldError::on("q", t.bad_search),
        "event" => FieldError::on("event", t.bad_code),
        "interest" => FieldError::on("interest", t.bad_code),
        "location" => FieldError::on("location", t.bad_code),
        "status" => FieldError::on("status", t.bad_choice),
        "talent_pool" => FieldError::on("talent_pool", t.bad_choice),
        "from" => FieldError::on("from", t.bad_date),
        "before" => FieldError::on("to", t.bad_date),
        _ => FieldError::form(t.bad_cursor),
    }
}

pub(crate) async fn page(
    State(state): State<crate::state::AppState>,
    console: Console,
    uri: Uri,
    RawQuery(raw): RawQuery,
) -> Response {
    let t = texts(console.lang);
    // Asked before the filter is read, so a caller who may not is told so first.
    if let Err(refusal) = require_reader(&console.caller.user) {
        return console.refuse(refusal, &uri).into_response();
    }
    let values = form_values(raw.as_deref(), &FIELDS);
    let filter = filter_query(&values, t.bad_date, date_bound).and_then(|query| {
        parse_filter(&query).map_err(|e| match e {
            AppError::BadFilter(message) => vec![filter_error(t, &message)],
            other => vec![FieldError::form(other.to_string())],
        })
    });
    let (status, results, errors) = match filter {
        Err(errors) => (StatusCode::BAD_REQUEST, None, errors),
        Ok(filter) => {
            let store = state.store.clone();
            let user = console.caller.user.clone();
            let listed = blocking(move || {
                let (rows, next) = list_readable(store.as_ref(), &user, filter)?;
                let events = event_labels(store.as_ref(), &rows);
                Ok::<_, HrError>((rows, next, events))
            })
            .await;
            match listed.map_err(HrError::from).and_then(|r| r) {
                Ok(page) => (StatusCode::OK, Some(page), Vec::new()),
                Err(error) => return console.refuse(error, &uri).into_response(),
            }
        }
    };
    let lang = console.lang;
    let page = console
        .page(t.list_title, &uri, Nav::Registrations, !errors.is_empty())
        .render(html! {
            (error_summary(lang, &errors))
            (filter_form(lang, &values, &errors))
            @if let Some((rows, next, events)) = &results {
                (results_table(lang, rows, events))
                (pages(t, &values, next.as_deref()))
            }
        });
    html_page(status, page)
}

fn filter_form(
    lang: Language,
    values: &HashMap<&'static str, String>,
    errors: &[FieldError],
) -> Markup {
    let t = texts(lang);
    let value = |name: &str| values.get(name).map_or("", String::as_str);
    let field = |id: &'static str, label: &'static str, kind: &'static str, hint| Field {
        value: value(id),
        hint,
        error: error_of(errors, id),
        ..Field::new(id, label, kind)
    };
    let statuses = status_options(lang, t.any);
    let pools = [
        ("", t.any),
        ("true", t.in_talent_pool),
        ("false", t.not_in_talent_pool),
    ];
    html! {
        form.filters method="get" action=(LIST) role="search" aria-labelledby="filter-heading" {
            h2 #filter-heading { (t.filter_heading) }
            div.filter-grid {
                (field("q", t.search_label, "search", Some(t.search_hint)).render(lang))
                (field("event", t.event_label, "text", Some(t.code_hint)).render(lang))
                (field("interest", t.interest_label, "text", None).render(lang))
                (field("location", t.location_label, "text", None).render(lang))
                (select(lang, "status", t.status_label, &statuses, value("status"), error_of(errors, "status")))
                (select(lang, "talent_pool", t.talent_pool_label, &pools, value("talent_pool"), error_of(errors, "talent_pool")))
                (field("from", t.from_label, "text", Some(t.date_hint)).render(lang))
                (field("to", t.to_label, "text", Some(t.date_hint)).render(lang))
            }
            div.actions {
                button.button type="submit" { (t.show_button) }
                a href=(LIST) { (t.clear_filter) }
            }
        }
    }
}

/// An interest area's label in `lang` from any of the event's forms, newest first, or the
/// code itself.
fn interest_label<'a>(event: Option<&'a Event>, code: &'a str, lang: Language) -> &'a str {
    let Some(event) = event else { return code };
    let mut forms: Vec<_> = event.published.values().collect();
    forms.sort_by_key(|published| std::cmp::Reverse(published.published_at));
    forms
        .iter()
        .map(|published| &published.form)
        .chain(std::iter::once(&event.draft_form))
        .find_map(|form| form.interest_area(code))
        .map_or(code, |choice| choice.label.get(lang))
}

fn results_table(
    lang: Language,
    rows: &[RegistrationSummary],
    events: &HashMap<String, Event>,
) -> Markup {
    let t = texts(lang);
    html! {
        h2 { (t.results_heading) }
        @if rows.is_empty() {
            p { (t.no_rows) }
        } @else {
            p { (t.rows_shown.of(rows.len())) }
            (super::layout::table_region(t.table_caption, html! { table {
                caption { (t.table_caption) }
                (column_heads(&[
                    t.col_captured,
                    t.col_name,
                    t.col_receipt,
                    t.col_event,
                    t.col_interests,
                    t.col_status,
                    t.col_talent_pool,
                ]))
                tbody {
                    @for row in rows {
                        tr {
                            td.code { (dates::local_minutes(row.captured_at)) }
                            th scope="row" {
                                a href={ (LIST) "/" (row.id) } {
                                    (row.given_name) " " (row.family_name)
                                }
                                @if row.restricted {
                                    " " span.badge { (t.restricted_badge) }
                                }
                            }
                            td.code { (row.receipt_code) }
                            @let event = events.get(&row.event_id);
                            td { (event.map_or(row.event_id.as_str(), |e| e.name.get(lang))) }
                            td {
                                (row.interests
                                    .iter()
                                    .map(|code| interest_label(event, code, lang))
                                    .collect::<Vec<_>>()
                                    .join(", "))
                            }
                            td { (status_label(lang, &row.status)) }
                            td { (if row.talent_pool { t.yes } else { t.no }) }
                        }
                    }
                }
            } }))
        }
    }
}

/// Links to the next page (the same filter after the last row) and back to the first.
fn pages(t: &Texts, values: &HashMap<&'static str, String>, next: Option<&str>) -> Markup {
    let labels = [t.pages_nav, t.first_page, t.next_page];
    forms::pages(LIST, &FIELDS, values, "after", next, labels)
}
