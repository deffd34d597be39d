//! The access log as archivists review it:
//! `GET /api/v1/access-log?user=&record=&action=&from=&to=&before=&limit=`, newest first,
//! a page at a time (`before` is the `next_before` of the previous page), and the check of
//! its hash chain. Archivists only; the console's review page calls the same functions.
//!
//! Reviewing the log is not itself logged: entries name records by id and people by
//! username, never a visitor's name or contact details, so a look at them reads no
//! personal data (and logging it would grow the log with every look).

use std::collections::HashMap;

use axum::extract::{Query, State};
use axum::routing::get;
use axum::{Json, Router};
use serde::Serialize;
use serde_json::{Value, json};

use crate::error::AppError;
use crate::hr::accounts::{HrUser, Role, check_username};
use crate::hr::api::Caller;
use crate::hr::params::{self, bad_filter};
use crate::routes::blocking;
use crate::state::AppState;
use crate::storage::{AccessAction, AccessEntry, AccessLogQuery, AccessLogVerdict, Accessor};

pub fn routes() -> Router<AppState> {
    Router::new().route("/api/v1/access-log", get(list))
}

/// Entries per page unless `limit` asks otherwise, and the most it may ask.
pub(crate) const PAGE: usize = 100;
const MAX_PAGE: usize = 500;

/// How the log names the HR user `username`: asked of [`HrUser::accessor_name`] itself, so
/// the name a filter looks for is the name the log writes.
fn operator_name(username: &str) -> String {
    HrUser {
        id: 0,
        username: username.to_owned(),
        display_name: String::new(),
        roles: Vec::new(),
        restricted_clearance: false,
        must_change_password: false,
    }
    .accessor_name()
}

/// A review's filters from the query string; an unknown parameter or a bad value is a
/// `BadFilter` that names it first (`"action: …"`).
pub(crate) fn parse_access_query(
    query: &HashMap<String, String>,
) -> Result<AccessLogQuery, AppError> {
    const KNOWN: [&str; 7] = ["user", "record", "action", "from", "to", "before", "limit"];
    params::only_known(query, &KNOWN, "not a filter of the access log")?;
    let operator = match query.get("user") {
        None => None,
        Some(user) => {
            check_username(user).map_err(|_| bad_filter("user", "a username"))?;
            Some(operator_name(user))
        }
    };
    let doc_id = match query.get("record") {
        None => None,
        Some(id)
            if (1..=64).contains(&id.len())
                && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') =>
        {
            Some(id.to_ascii_lowercase())
        }
        Some(_) => return Err(bad_filter("record", "a registration id")),
    };
    let action = match query.get("action") {
        None => None,
        Some(action) => Some(
            AccessAction::parse(action)
                .ok_or_else(|| bad_filter("action", "not an access action"))?,
        ),
    };
    let before_seq = query
        .get("before")
        .map(|v| {
            v.parse::<u64>()
                .ok()
                .filter(|n| *n > 0)
                .ok_or_else(|| bad_filter("before", "an entry number from a page"))
        })
        .transpose()?;
    let limit = params::limit(query, PAGE, MAX_PAGE)?;
    Ok(AccessLogQuery {
        operator,
        doc_id,
        action,
        from: params::millis(query, "from")?,
        until: params::millis(query, "to")?,
        before_seq,
        limit,
    })
}

/// One page of entries `query` selects, newest first, with the number to continue below
/// if there may be more (archivists only).
pub(crate) async fn access_log_page(
    state: &AppState,
    caller: &Caller,
    query: AccessLogQuery,
) -> Result<(Vec<(u64, AccessEntry)>, Option<u64>), AppError> {
    caller.require(Role::Archivist)?;
    let store = state.store.clone();
    let limit = query.limit;
    let entries = blocking(move || store.query_access_log(&query)).await??;
    let next_before = (entries.len() == limit)
        .then(|| entries.last().map(|(seq, _)| *seq))
        .flatten();
    Ok((entries, next_before))
}

/// Walks the whole hash chain (archivists only).
pub(crate) async fn verify_chain(
    state: &AppState,
    caller: &Caller,
) -> Result<AccessLogVerdict, AppError> {
    caller.require(Role::Archivist)?;
    let store = state.store.clone();
    Ok(blocking(move || store.verify_access_log()).await??)
}

/// An entry as the API shows it.
#[derive(Serialize)]
struct EntryJson<'a> {
    seq: u64,
    at: i64,
    /// `operator` (a person at the relay) or `device` (a tablet's pull).
    accessor_kind: &'static str,
    /// The person's name as logged, or the tablet's key in hex.
    accessor: String,
    /// A staff tablet's recruiter.
    recruiter: Option<&'a str>,
    action: &'static str,
    record: &'a str,
}

async fn list(
    State(state): State<AppState>,
    caller: Caller,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Json<Value>, AppError> {
    caller.require(Role::Archivist)?;
    let query = parse_access_query(&query)?;
    let (entries, next_before) = access_log_page(&state, &caller, query).await?;
    let entries: Vec<EntryJson<'_>> = entries
        .iter()
        .map(|(seq, entry)| {
            let (accessor_kind, accessor, recruiter) = match &entry.accessor {
                Accessor::Operator(name) => ("operator", name.clone(), None),
                Accessor::Device {
                    device_key,
                    recruiter,
                } => ("device", hex::encode(device_key), recruiter.as_deref()),
            };
            EntryJson {
                seq: *seq,
                at: entry.at,
                accessor_kind,
                accessor,
                recruiter,
                action: entry.action.as_str(),
                record: &entry.doc_id,
            }
        })
        .collect();
    Ok(Json(
        json!({ "entries": entries, "next_before": next_before }),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parsed(pairs: &[(&str, &str)]) -> Result<AccessLogQuery, AppError> {
        let query = pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        parse_access_query(&query)
    }

    fn refused_parameter(pairs: &[(&str, &str)]) -> String {
        match parsed(pairs) {
            Err(AppError::BadFilter(message)) => {
                message.split(':').next().unwrap_or_default().to_owned()
            }
            other => panic!("not refused: {other:?}"),
        }
    }

    #[test]
    fn filters_become_the_query_with_the_users_logged_name() {
        let query = parsed(&[
            ("user", "anna.berg"),
            ("record", "019CE0A0-6A80-7000-8000-000000000001"),
            ("action", "read_refused"),
            ("from", "10"),
            ("to", "20"),
            ("before", "7"),
            ("limit", "3"),
        ])
        .expect("parses");
        assert_eq!(
            query,
            AccessLogQuery {
                operator: Some("hr:anna.berg".into()),
                doc_id: Some("019ce0a0-6a80-7000-8000-000000000001".into()),
                action: Some(AccessAction::ReadRefused),
                from: Some(10),
                until: Some(20),
                before_seq: Some(7),
                limit: 3,
            }
        );
        assert_eq!(parsed(&[]).expect("parses").limit, PAGE);
    }

    #[test]
    fn each_malformed_filter_is_refused_by_its_name() {
        for (name, value) in [
            ("user", "Anna Berg"),
            ("record", "doc id"),
            ("action", "peek"),
            ("from", "yesterday"),
            ("to", "1.5"),
            ("before", "0"),
            ("limit", "501"),
            ("sort", "asc"),
        ] {
            assert_eq!(refused_parameter(&[(name, value)]), name);
        }
    }
}
