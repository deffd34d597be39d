//! A record page's way back into the registration list it was opened from: the list's
//! filter, order and the record's place in it come in the record page's address
//! ([`super::list::CARRIED`]), so the page leads back to the same page of the same list
//! and steps to the previous and next record of that list. Neighbours are found by the
//! record's own key (`captured_at`, id), so a list that changed meanwhile still steps to
//! the records next to this one; the place only picks the page to go back to.

use std::collections::HashMap;

use maud::{Markup, html};

use super::detail::detail_path;
use super::forms::form_values;
use super::list::{CARRIED, PAGE_SIZE, address, list_filter};
use super::list_texts::list_texts;
use super::texts::texts;
use super::{Console, LIST};
use crate::blocking::blocking;
use crate::hr::registration_lists::neighbours;
use crate::state::AppState;
use crate::storage::MAX_LIST_OFFSET;

/// The list a record page was opened from: the carried values and the record's place.
fn carried(query: Option<&str>) -> Option<(HashMap<&'static str, String>, u32)> {
    let mut values = form_values(query, &CARRIED);
    let pos = values
        .remove("pos")?
        .parse::<u32>()
        .ok()
        .filter(|pos| *pos < MAX_LIST_OFFSET + PAGE_SIZE)?;
    Some((values, pos))
}

/// The list a record page was opened from, as the query its own forms carry on (only the
/// list's fields, encoded anew), so a saved edit returns to a page that still steps within
/// that list; `None` when it was not opened from one.
pub(crate) fn carried_query(query: Option<&str>) -> Option<String> {
    let (values, pos) = carried(query)?;
    let with_pos = address("", &CARRIED, &values, &[("pos", pos.to_string())]);
    with_pos.strip_prefix('?').map(str::to_owned)
}

/// The links at the top of record `id`'s page (captured at `captured_at`): back to the
/// registrations (to the list's same page when the page was opened from one, with the
/// previous and next record of that list), else back to the list's start.
pub(crate) async fn steps(
    state: &AppState,
    console: &Console,
    query: Option<&str>,
    id: &str,
    captured_at: i64,
) -> Markup {
    let lang = console.lang;
    let plain = html! { p { a href=(LIST) { (texts(lang).back_to_list) } } };
    let Some((values, pos)) = carried(query) else {
        return plain;
    };
    let Ok(filter) = list_filter(lang, &values) else {
        return plain;
    };
    let store = state.store.clone();
    let user = console.caller.user.clone();
    let key = (captured_at, id.to_owned());
    let (previous, next) =
        match blocking(move || neighbours(store.as_ref(), &user, filter, key)).await {
            Ok(Ok(found)) => found,
            // The way back still works without the steps.
            Ok(Err(error)) => {
                tracing::warn!(%error, "a record's neighbours in its list could not be read");
                (None, None)
            }
            Err(error) => {
                tracing::warn!(%error, "a record's neighbours in its list could not be read");
                (None, None)
            }
        };
    let l = list_texts(lang);
    let page = pos / PAGE_SIZE + 1;
    let back = if page > 1 {
        vec![("page", page.to_string())]
    } else {
        Vec::new()
    };
    let step = |to: &str, pos: u32| {
        address(
            &detail_path(to),
            &CARRIED,
            &values,
            &[("pos", pos.to_string())],
        )
    };
    html! {
        nav.record-steps aria-label=(l.record_nav) {
            a href=(address(LIST, &CARRIED, &values, &back)) { (l.back_to_page.replacen("{}", &page.to_string(), 1)) }
            @if let Some(previous) = &previous {
                a href=(step(previous, pos.saturating_sub(1))) rel="prev" { (l.previous_record) }
            }
            @if let Some(next) = &next {
                a href=(step(next, pos + 1)) rel="next" { (l.next_record) }
            }
        }
    }
}
