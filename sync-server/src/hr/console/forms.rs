//! The filter forms' query strings (registrations, export, access log): the values a form
//! sent, and the API's query they stand for, with dates typed as `ÅÅÅÅ-MM-DD` in Swedish
//! time turned into the milliseconds the API filters by; and the links to a list's pages.

use std::collections::HashMap;

use maud::{Markup, html};

use super::layout::FieldError;
use crate::hr::dates;

/// The form's non-empty values of `fields`, trimmed, by field; others are left out.
pub(crate) fn form_values(
    query: Option<&str>,
    fields: &[&'static str],
) -> HashMap<&'static str, String> {
    let pairs: Vec<(String, String)> = query
        .and_then(|q| serde_urlencoded::from_str(q).ok())
        .unwrap_or_default();
    let mut values = HashMap::new();
    for (name, value) in pairs {
        if let Some(field) = fields.iter().find(|f| **f == name) {
            let value = value.trim();
            if !value.is_empty() {
                values.insert(*field, value.to_owned());
            }
        }
    }
    values
}

/// The API's bound for date field `field` (`from` or `to`) typed as `value`: `from` is the
/// start of its day in Swedish time; `to` is inclusive, so its bound is `before`, the start
/// of the day after it. `None` if `value` is not a date.
pub(crate) fn date_bound(field: &str, value: &str) -> Option<(&'static str, i64)> {
    if field == "from" {
        dates::day_start_ms(value, 0).map(|ms| ("from", ms))
    } else {
        dates::day_start_ms(value, 1).map(|ms| ("before", ms))
    }
}

/// The API's query from a filter form's values: each value under its own name, but the
/// dates `from` and `to`, which become the bound `bound` gives them (in milliseconds), or
/// the error `bad_date` on their field.
pub(crate) fn filter_query(
    values: &HashMap<&'static str, String>,
    bad_date: &'static str,
    bound: fn(&str, &str) -> Option<(&'static str, i64)>,
) -> Result<HashMap<String, String>, Vec<FieldError>> {
    let mut query = HashMap::new();
    let mut errors = Vec::new();
    for (field, value) in values {
        match *field {
            "from" | "to" => match bound(field, value) {
                Some((name, ms)) => {
                    query.insert(name.to_owned(), ms.to_string());
                }
                None => errors.push(FieldError::on(field, bad_date)),
            },
            _ => {
                query.insert((*field).to_owned(), value.clone());
            }
        }
    }
    if errors.is_empty() {
        Ok(query)
    } else {
        Err(errors)
    }
}

/// The paging links of a filtered list at `path`: back to the first page from a later one,
/// and on to the next page if there may be one (the same filter, with `cursor` at `next`).
/// `labels` are the navigation's, the first page link's and the next page link's.
pub(crate) fn pages(
    path: &str,
    fields: &[&'static str],
    values: &HashMap<&'static str, String>,
    cursor: &str,
    next: Option<&str>,
    labels: [&str; 3],
) -> Markup {
    let [nav_label, first_label, next_label] = labels;
    let with = |at: Option<&str>| {
        let mut pairs: Vec<(&str, &str)> = fields
            .iter()
            .filter(|f| **f != cursor)
            .filter_map(|f| values.get(f).map(|v| (*f, v.as_str())))
            .collect();
        if let Some(at) = at {
            pairs.push((cursor, at));
        }
        let query = serde_urlencoded::to_string(&pairs).unwrap_or_default();
        if query.is_empty() {
            path.to_owned()
        } else {
            format!("{path}?{query}")
        }
    };
    let on_later_page = values.contains_key(cursor);
    html! {
        @if next.is_some() || on_later_page {
            nav.pages aria-label=(nav_label) {
                @if on_later_page {
                    a href=(with(None)) { (first_label) }
                }
                @if let Some(next) = next {
                    a href=(with(Some(next))) rel="next" { (next_label) }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_fields_asked_for_are_kept_trimmed_and_not_empty() {
        let values = form_values(
            Some("q=+Anna+&event=&other=x&from=2026-07-01"),
            &["q", "event", "from"],
        );
        assert_eq!(
            values,
            HashMap::from([("q", "Anna".to_owned()), ("from", "2026-07-01".to_owned())])
        );
        assert!(form_values(None, &["q"]).is_empty());
    }

    #[test]
    fn a_to_date_bounds_the_day_after_it() {
        let (from_name, from) = date_bound("from", "2026-07-01").expect("date");
        let (to_name, before) = date_bound("to", "2026-07-01").expect("date");
        assert_eq!((from_name, to_name), ("from", "before"));
        assert_eq!(dates::local_minutes(from), "2026-07-01 00:00");
        assert_eq!(before - from, 86_400_000);
        assert_eq!(date_bound("from", "2026-02-30"), None);
    }
}
