//! `GET /console/registrations`: the registrations the user may read, with a filter form of
//! lists to choose from (the user's events by name; their interest areas and locations by
//! label; statuses), the total that matches, an order (newest or oldest first) and pages
//! ("Sida 2 av 7", bounded by [`MAX_PAGE`]). The form's fields become the API's own filter
//! ([`parse_filter`]) and the same listing, narrowing and access logging
//! ([`list_readable`]). Each row links to the record's page, carrying the list's filter,
//! order and the row's place in it ([`CARRIED`]), so the record page can step to the
//! previous and next record and lead back to the same page ([`super::list_steps`]). A
//! recruiter who has no event yet is told why the list is empty and whom to ask.

use std::collections::HashMap;

use axum::extract::{RawQuery, State};
use axum::http::{StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use kiosk_core::event::Event;
use kiosk_core::language::Language;
use maud::{Markup, html};

use super::detail::detail_path;
use super::forms::{date_bound, filter_query, form_values};
use super::layout::{Field, FieldError, Nav, column_heads, error_of, error_summary, select};
use super::list_texts::{ListTexts, list_texts};
use super::texts::{Texts, status_label, status_options, texts};
use super::{Console, LIST, html_page};
use crate::blocking::blocking;
use crate::error::AppError;
use crate::hr::dates;
use crate::hr::error::HrError;
use crate::hr::list_choices::{
    ChoiceList, ListChoices, choices, code_named, event_named, list_choices,
};
use crate::hr::policy::require_reader;
use crate::hr::registration_lists::{count_readable, event_labels, list_readable};
use crate::hr::registrations_api::parse_filter;
use crate::storage::{ListOrder, MAX_LIST_OFFSET, RegistrationFilter, RegistrationSummary};

/// The filter form's fields, as sent.
const FILTER_FIELDS: [&str; 8] = [
    "q",
    "event",
    "interest",
    "location",
    "status",
    "talent_pool",
    "from",
    "to",
];

/// The list's address: the filter, the order and the page.
const FIELDS: [&str; 10] = [
    "q",
    "event",
    "interest",
    "location",
    "status",
    "talent_pool",
    "from",
    "to",
    "sort",
    "page",
];

/// What a record's page carries from the list: the filter, the order, and the record's
/// place in the list (0 for the first row of page 1).
pub(crate) const CARRIED: [&str; 10] = [
    "q",
    "event",
    "interest",
    "location",
    "status",
    "talent_pool",
    "from",
    "to",
    "sort",
    "pos",
];

/// Rows on one page.
pub(crate) const PAGE_SIZE: u32 = 50;

/// The deepest page a list reaches by number: past it, the order is turned or the filter
/// narrowed ([`MAX_LIST_OFFSET`] bounds the rows skipped).
pub(crate) const MAX_PAGE: u32 = MAX_LIST_OFFSET / PAGE_SIZE + 1;

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

/// The list's filter and order that `values` (the list's or a record page's address) ask
/// for, one page of [`PAGE_SIZE`] from the start; the form's errors if they cannot be.
pub(crate) fn list_filter(
    lang: Language,
    values: &HashMap<&'static str, String>,
) -> Result<RegistrationFilter, Vec<FieldError>> {
    let t = texts(lang);
    let filter_values: HashMap<&'static str, String> = values
        .iter()
        .filter(|(name, _)| FILTER_FIELDS.contains(name))
        .map(|(name, value)| (*name, value.clone()))
        .collect();
    let order = match values.get("sort").map(String::as_str) {
        None | Some("newest") => Ok(ListOrder::NewestFirst),
        Some("oldest") => Ok(ListOrder::OldestFirst),
        Some(_) => Err(FieldError::on("sort", list_texts(lang).bad_sort)),
    };
    let filter = filter_query(&filter_values, t.bad_date, date_bound).and_then(|query| {
        parse_filter(&query).map_err(|e| match e {
            AppError::BadFilter(message) => vec![filter_error(t, &message)],
            other => vec![FieldError::form(other.to_string())],
        })
    });
    match (filter, order) {
        (Ok(filter), Ok(order)) => Ok(RegistrationFilter {
            order,
            limit: PAGE_SIZE,
            ..filter
        }),
        (Err(mut errors), Err(error)) => {
            errors.push(error);
            Err(errors)
        }
        (Err(errors), _) => Err(errors),
        (_, Err(error)) => Err(vec![error]),
    }
}

/// `path` with `values` of `fields` (and `extra`) as its query, in the fields' order.
pub(crate) fn address(
    path: &str,
    fields: &[&'static str],
    values: &HashMap<&'static str, String>,
    extra: &[(&str, String)],
) -> String {
    let pairs: Vec<(&str, &str)> = fields
        .iter()
        .filter_map(|f| values.get(f).map(|v| (*f, v.as_str())))
        .chain(extra.iter().map(|(name, value)| (*name, value.as_str())))
        .collect();
    let query = serde_urlencoded::to_string(&pairs).unwrap_or_default();
    if query.is_empty() {
        path.to_owned()
    } else {
        format!("{path}?{query}")
    }
}

/// Replaces what was typed for the event, interest area and location with the codes it
/// names among `events` (a name or label, in either language, any case): an address
/// written by hand ("Malmö") finds what the lists would. What names nothing stays as typed.
fn resolve_names(values: &mut HashMap<&'static str, String>, events: &[Event]) {
    if let Some(typed) = values.get("event")
        && let Some(id) = event_named(events, typed)
    {
        values.insert("event", id);
    }
    let chosen: Vec<&Event> = match values.get("event") {
        Some(id) => events.iter().filter(|e| e.id.as_str() == id).collect(),
        None => events.iter().collect(),
    };
    for (field, list) in [
        ("interest", ChoiceList::InterestAreas),
        ("location", ChoiceList::Locations),
    ] {
        if let Some(typed) = values.get(field)
            && let Some(code) = code_named(chosen.iter().copied(), list, typed)
        {
            values.insert(field, code);
        }
    }
}

/// The page number asked for: 1 to [`MAX_PAGE`], 1 when none is.
fn page_number(lang: Language, values: &HashMap<&'static str, String>) -> Result<u32, FieldError> {
    match values.get("page") {
        None => Ok(1),
        Some(page) => page
            .parse::<u32>()
            .ok()
            .filter(|n| (1..=MAX_PAGE).contains(n))
            .ok_or_else(|| {
                FieldError::form(
                    list_texts(lang)
                        .bad_page
                        .replacen("{}", &MAX_PAGE.to_string(), 1),
                )
            }),
    }
}

/// What one page shows: its rows, the events that label them, and the total (`None`
/// when it could not be counted).
type Listed = (
    Vec<RegistrationSummary>,
    HashMap<String, Event>,
    Option<u64>,
    // Seen before and do-not-contact, per flagged row.
    HashMap<String, crate::hr::duplicates::ContactFlags>,
);

pub(crate) async fn page(
    State(state): State<crate::state::AppState>,
    console: Console,
    uri: Uri,
    RawQuery(raw): RawQuery,
) -> Response {
    let lang = console.lang;
    let t = texts(lang);
    // Asked before the filter is read, so a caller who may not is told so first.
    if let Err(refusal) = require_reader(&console.caller.user) {
        return console.refuse(refusal, &uri).into_response();
    }
    let store = state.store.clone();
    let user = console.caller.user.clone();
    let choices = match blocking(move || list_choices(store.as_ref(), &user))
        .await
        .map_err(HrError::from)
        .and_then(|r| r)
    {
        Ok(choices) => choices,
        Err(error) => return console.refuse(error, &uri).into_response(),
    };
    if choices.unassigned {
        let page = console
            .page(t.list_title, &uri, Nav::Registrations, false)
            .render(unassigned(lang, &choices));
        return html_page(StatusCode::OK, page);
    }
    let mut values = form_values(raw.as_deref(), &FIELDS);
    resolve_names(&mut values, &choices.events);
    let asked = page_number(lang, &values);
    let filter = list_filter(lang, &values);
    let (status, results, errors) = match (filter, asked) {
        (Err(mut errors), asked) => {
            errors.extend(asked.err());
            (StatusCode::BAD_REQUEST, None, errors)
        }
        (Ok(_), Err(error)) => (StatusCode::BAD_REQUEST, None, vec![error]),
        (Ok(filter), Ok(number)) => {
            let filter = RegistrationFilter {
                offset: (number - 1) * PAGE_SIZE,
                ..filter
            };
            let store = state.store.clone();
            let user = console.caller.user.clone();
            let index_keys = state.index_keys.clone();
            let listed = blocking(move || {
                let total = count_readable(store.as_ref(), &user, filter.clone())?;
                let (rows, _) = list_readable(store.as_ref(), &user, filter)?;
                let events = event_labels(store.as_ref(), &rows);
                let flags = crate::hr::duplicates::flags_of_rows(
                    store.as_ref(),
                    &index_keys,
                    &user,
                    &rows,
                    crate::state::now_ms(),
                )?;
                Ok::<Listed, HrError>((rows, events, total, flags))
            })
            .await;
            match listed.map_err(HrError::from).and_then(|r| r) {
                Ok(listed) => (StatusCode::OK, Some((number, listed)), Vec::new()),
                Err(error) => return console.refuse(error, &uri).into_response(),
            }
        }
    };
    let order = match values.get("sort").map(String::as_str) {
        Some("oldest") => ListOrder::OldestFirst,
        _ => ListOrder::NewestFirst,
    };
    let page = console
        .page(t.list_title, &uri, Nav::Registrations, !errors.is_empty())
        .render(html! {
            (error_summary(lang, &errors))
            (filter_form(lang, &values, &errors, &choices))
            @if let Some((number, (rows, events, total, flags))) = &results {
                (results_table(lang, rows, events, *total, order, &values, *number, flags))
            }
        });
    html_page(status, page)
}

/// Why a recruiter with no event sees nothing, and whom to ask.
fn unassigned(lang: Language, choices: &ListChoices) -> Markup {
    let l = list_texts(lang);
    html! {
        div.notice #unassigned {
            h2 { (l.unassigned_heading) }
            p { (l.unassigned_why) }
            p {
                @if choices.admins.is_empty() {
                    (l.ask_an_admin)
                } @else {
                    (l.ask_admins.replacen("{}", &choices.admins.join(", "), 1))
                }
            }
        }
    }
}

/// `options` with `chosen` added (labelled as typed) when it is none of them, so the form
/// shows what the address asked for.
fn with_chosen<'a>(
    mut options: Vec<(&'a str, &'a str)>,
    chosen: &'a str,
) -> Vec<(&'a str, &'a str)> {
    if !chosen.is_empty() && !options.iter().any(|(value, _)| *value == chosen) {
        options.push((chosen, chosen));
    }
    options
}

fn filter_form(
    lang: Language,
    values: &HashMap<&'static str, String>,
    errors: &[FieldError],
    choices: &ListChoices,
) -> Markup {
    let t = texts(lang);
    let l = list_texts(lang);
    let value = |name: &str| values.get(name).map_or("", String::as_str);
    let field = |id: &'static str, label: &'static str, kind: &'static str, hint| Field {
        value: value(id),
        hint,
        error: error_of(errors, id),
        ..Field::new(id, label, kind)
    };
    let events: Vec<(&str, &str)> = std::iter::once(("", l.all_events))
        .chain(
            choices
                .events
                .iter()
                .map(|e| (e.id.as_str(), e.name.get(lang))),
        )
        .collect();
    let chosen_event: Vec<&Event> = match values.get("event") {
        Some(id) => choices
            .events
            .iter()
            .filter(|e| e.id.as_str() == id)
            .collect(),
        None => choices.events.iter().collect(),
    };
    let interests = choices_of(&chosen_event, ChoiceList::InterestAreas, lang);
    let locations = choices_of(&chosen_event, ChoiceList::Locations, lang);
    let interest_options = with_chosen(
        std::iter::once(("", l.all_choices))
            .chain(
                interests
                    .iter()
                    .map(|(c, label)| (c.as_str(), label.as_str())),
            )
            .collect(),
        value("interest"),
    );
    let location_options = with_chosen(
        std::iter::once(("", l.all_choices))
            .chain(
                locations
                    .iter()
                    .map(|(c, label)| (c.as_str(), label.as_str())),
            )
            .collect(),
        value("location"),
    );
    let statuses = status_options(lang, t.any);
    let pools = [
        ("", t.any),
        ("true", t.in_talent_pool),
        ("false", t.not_in_talent_pool),
    ];
    let orders = [("newest", l.newest_first), ("oldest", l.oldest_first)];
    html! {
        form.filters method="get" action=(LIST) role="search" aria-labelledby="filter-heading" {
            h2 #filter-heading { (t.filter_heading) }
            @if values.get("event").is_none() && choices.events.len() > 1 {
                p.hint { (l.choices_of_all_events) }
            }
            div.filter-grid {
                (field("q", t.search_label, "search", Some(t.search_hint)).render(lang))
                (select(lang, "event", t.event_label, &with_chosen(events, value("event")), value("event"), error_of(errors, "event")))
                (select(lang, "interest", t.interest_label, &interest_options, value("interest"), error_of(errors, "interest")))
                (select(lang, "location", t.location_label, &location_options, value("location"), error_of(errors, "location")))
                (select(lang, "status", t.status_label, &statuses, value("status"), error_of(errors, "status")))
                (select(lang, "talent_pool", t.talent_pool_label, &pools, value("talent_pool"), error_of(errors, "talent_pool")))
                (field("from", t.from_label, "text", Some(t.date_hint)).render(lang))
                (field("to", t.to_label, "text", Some(t.date_hint)).render(lang))
                (select(lang, "sort", l.sort_label, &orders, value("sort"), error_of(errors, "sort")))
            }
            div.actions {
                button.button type="submit" { (t.show_button) }
                a href=(LIST) { (t.clear_filter) }
            }
        }
    }
}

/// The labelled choices of `list` in `events`' forms, in `lang`.
fn choices_of(events: &[&Event], list: ChoiceList, lang: Language) -> Vec<(String, String)> {
    choices(events.iter().copied(), list, lang)
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

#[allow(clippy::too_many_arguments)] // one page's parts, each read once
fn results_table(
    lang: Language,
    rows: &[RegistrationSummary],
    events: &HashMap<String, Event>,
    total: Option<u64>,
    order: ListOrder,
    values: &HashMap<&'static str, String>,
    number: u32,
    flags: &HashMap<String, crate::hr::duplicates::ContactFlags>,
) -> Markup {
    let t = texts(lang);
    let l = list_texts(lang);
    let first = (number - 1) * PAGE_SIZE;
    html! {
        h2 #results { (t.results_heading) }
        @match total {
            Some(total) => p.total #total { strong { (l.total.of(total)) } },
            None => p.total #total { (l.total_unknown) },
        }
        @if rows.is_empty() {
            @if number == 1 {
                p { (t.no_rows) }
            } @else {
                p { (l.past_the_end) " " a href=(address(LIST, &FIELDS, &without_page(values), &[])) { (t.first_page) } }
            }
        } @else {
            @let caption = match order { ListOrder::NewestFirst => t.table_caption, ListOrder::OldestFirst => l.caption_oldest };
            (super::layout::table_region(caption, html! { table {
                caption { (caption) }
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
                    @for (i, row) in rows.iter().enumerate() {
                        tr {
                            td.code { (dates::local_minutes(row.captured_at)) }
                            th scope="row" {
                                a href=(address(&detail_path(&row.id), &CARRIED, values, &[("pos", (first + i as u32).to_string())])) {
                                    (row.given_name) " " (row.family_name)
                                }
                                @if row.restricted {
                                    " " span.badge { (t.restricted_badge) }
                                }
                                @if let Some(flags) = flags.get(&row.id) {
                                    (super::contact_flags::badges(lang, flags))
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
        (pages(t, l, values, number, total, rows.len()))
    }
}

/// `values` without the page number (the first page of the same list).
fn without_page(values: &HashMap<&'static str, String>) -> HashMap<&'static str, String> {
    let mut values = values.clone();
    values.remove("page");
    values
}

/// Previous and next page, "Sida N av M", and the first page from a later one. Pages past
/// [`MAX_PAGE`] are not linked: the list says how to reach the rest.
fn pages(
    t: &Texts,
    l: &ListTexts,
    values: &HashMap<&'static str, String>,
    number: u32,
    total: Option<u64>,
    shown: usize,
) -> Markup {
    let base = without_page(values);
    let link = |page: u32| {
        let extra = if page > 1 {
            vec![("page", page.to_string())]
        } else {
            Vec::new()
        };
        address(LIST, &FIELDS, &base, &extra)
    };
    let count = total.map(|total| total.div_ceil(u64::from(PAGE_SIZE)).max(1));
    let reachable = count.map_or(MAX_PAGE, |c| c.min(u64::from(MAX_PAGE)) as u32);
    let has_next = match count {
        Some(_) => number < reachable,
        None => shown == PAGE_SIZE as usize && number < MAX_PAGE,
    };
    html! {
        @if number > 1 || has_next {
            nav.pages aria-label=(t.pages_nav) {
                @if number > 2 {
                    a href=(link(1)) { (t.first_page) }
                }
                @if number > 1 {
                    // Past the end, "previous" is the last page there is.
                    a href=(link((number - 1).min(reachable))) rel="prev" { (l.previous_page) }
                }
                @if let Some(count) = count {
                    span aria-current="page" { (l.page_of(number, count.min(u64::from(u32::MAX)) as u32)) }
                }
                @if has_next {
                    a href=(link(number + 1)) rel="next" { (t.next_page) }
                }
            }
        }
        @if count.is_some_and(|c| c > u64::from(MAX_PAGE)) {
            p { (l.deeper_pages.replacen("{}", &MAX_PAGE.to_string(), 1)) }
        }
    }
}
