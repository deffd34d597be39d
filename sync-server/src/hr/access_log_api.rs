//! The JSON API over the access log ([`crate::hr::access_log`], the services the console
//! calls too): `GET /api/v1/access-log?user=&record=&action=&from=&to=&before=&limit=`,
//! newest first, a page at a time (`before` is the `next_before` of the previous page),
//! and `GET /api/v1/access-log/verification`: the chain and every checkpoint file, each
//! result saying where the log fails. Handlers read the request, ask the service and
//! answer through [`crate::hr::answer`]; the query's filters are read here (the console's
//! form reads them with [`parse_access_query`] too).

use std::collections::HashMap;

use axum::extract::{Query, State};
use axum::routing::get;
use axum::{Json, Router};
use serde::Serialize;
use serde_json::{Value, json};

use crate::access_checkpoint::{BEFORE_HORIZON, CheckpointVerdict, FileCheck};
use crate::error::AppError;
use crate::hr::access_log::{NO_CHECKPOINT_FOLDER, PAGE, access_log_page, verify_with_checkpoints};
use crate::hr::accounts::{HrUser, check_username};
use crate::hr::caller::Caller;
use crate::hr::params::{self, bad_filter};
use crate::state::AppState;
use crate::storage::{AccessAction, AccessLogQuery, Accessor};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/access-log", get(list))
        .route("/api/v1/access-log/verification", get(verification))
}

/// The most entries a page may ask for.
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
        disabled: false,
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
        without_restricted: false,
    })
}

/// One checkpoint file's result as the API shows it: `outcome` is `holds`, `fails` or
/// `cannot_check` (its entries are all before the retention horizon).
fn file_json(check: &FileCheck) -> Value {
    let (outcome, problem, problem_sv) = match &check.outcome {
        Ok(CheckpointVerdict::Holds(_)) => ("holds", None, None),
        Ok(CheckpointVerdict::BeforeHorizon { .. }) => (
            "cannot_check",
            Some(BEFORE_HORIZON.0.to_owned()),
            Some(BEFORE_HORIZON.1.to_owned()),
        ),
        Err(error) => ("fails", Some(error.to_string()), Some(error.in_swedish())),
    };
    json!({
        "file": check.file,
        "entries": check.checkpoint.as_ref().map(|c| c.entries),
        "at": check.checkpoint.as_ref().map(|c| c.at),
        "holds": outcome == "holds",
        "outcome": outcome,
        "problem": problem,
        "problem_sv": problem_sv,
    })
}

async fn verification(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<Value>, AppError> {
    let checked = verify_with_checkpoints(&state, &caller).await?;
    let chain = &checked.log.chain;
    let horizon =
        checked.log.horizon.as_ref().map(
            |h| json!({ "first_kept": h.first_kept, "pruned_at": h.pruned_at, "rule": h.rule }),
        );
    let broken_entry = checked
        .broken_entry
        .as_ref()
        .map(|e| json!({ "at": e.at, "action": e.action.as_str() }));
    let mut body = json!({
        "chain": {
            "entries": chain.entries,
            "head": hex::encode(chain.head),
            "broken_at": chain.broken_at,
            "broken_entry": broken_entry,
            "horizon": horizon,
        },
        "checkpoints": checked.checkpoints.as_ref().map(|checks| {
            checks.iter().map(file_json).collect::<Vec<_>>()
        }),
    });
    if checked.checkpoints.is_none() {
        body["note"] = json!(NO_CHECKPOINT_FOLDER.0);
        body["note_sv"] = json!(NO_CHECKPOINT_FOLDER.1);
    }
    Ok(Json(body))
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
    crate::hr::policy::may_read_access_log(&caller.user)?;
    let query = parse_access_query(&query)?;
    let (entries, next_before) = access_log_page(&state, &caller, query).await?;
    let entries: Vec<EntryJson<'_>> = entries
        .iter()
        .map(|(seq, entry)| {
            let (accessor_kind, accessor, recruiter) = match &entry.accessor {
                Accessor::Operator(name) => ("operator", name.clone(), None),
                Accessor::Visitor => ("visitor", String::new(), None),
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
                without_restricted: false,
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
