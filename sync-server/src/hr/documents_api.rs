//! The JSON API's two document routes: a subject-access request (`/api/v1/subject-access`)
//! and a disclosure export (`/api/v1/disclosure`). Each finds what it hands out through its
//! service ([`crate::hr::subject_access`], [`crate::hr::disclosure`]) and answers with the
//! document as a JSON file or its printable page ([`crate::hr::printable`]), in the
//! language asked for.

use std::collections::HashMap;

use axum::extract::rejection::JsonRejection;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};

use crate::blocking::blocking;
use crate::error::AppError;
use crate::hr::caller::Caller;
use crate::hr::disclosure::{DisclosureBody, disclose, parse_selection};
use crate::hr::language::Lang;
use crate::hr::params::body;
use crate::hr::policy::require_exporter;
use crate::hr::printable;
use crate::hr::subject_access::{Format, IdentifierBody, find_for_subject, parse_lookup};
use crate::state::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/subject-access", post(subject_access))
        .route("/api/v1/disclosure", post(disclosure))
}

/// The format a query asks for; unknown parameters are named.
fn parse_format(query: &HashMap<String, String>) -> Result<Format, AppError> {
    crate::hr::params::only_known(query, &["format", "lang"], "not a parameter of this route")?;
    match query.get("format").map(String::as_str) {
        None | Some("json") => Ok(Format::Json),
        Some("html") => Ok(Format::Html),
        Some(_) => Err(crate::hr::params::bad_filter("format", "json or html")),
    }
}

async fn subject_access(
    State(state): State<AppState>,
    caller: Caller,
    Lang(lang): Lang,
    Query(query): Query<HashMap<String, String>>,
    request: Result<Json<IdentifierBody>, JsonRejection>,
) -> Result<Response, AppError> {
    let user = require_exporter(&caller.user)?.clone();
    let format = parse_format(&query)?;
    let mut identifier = body(request)?;
    // A visitor's full receipt code finds its record by the receipt's tag.
    if let Some(typed) = identifier.receipt_code.clone() {
        let (store, keys) = (state.store.clone(), state.keys.clone());
        let found = blocking(move || {
            crate::hr::visitor_requests::reference_of_full_receipt(store.as_ref(), &keys, &typed)
        })
        .await??;
        match found {
            None => {}
            Some(Some(reference)) => identifier.receipt_code = Some(reference),
            Some(None) => {
                return Ok(crate::hr::subject_access::SubjectAccessError::NoMatch.into_response());
            }
        }
    }
    let lookup = parse_lookup(&identifier)?;
    let store = state.store.clone();
    let found = blocking(move || find_for_subject(store.as_ref(), &user, &lookup)).await?;
    // No match is an answer of its own (404 `no_match`), made by `hr::answer`.
    let report = match found {
        Ok(report) => report,
        Err(refusal) => return Ok(refusal.into_response()),
    };
    Ok(printable::subject_access::answer(&report, format, lang))
}

async fn disclosure(
    State(state): State<AppState>,
    caller: Caller,
    Lang(lang): Lang,
    Query(query): Query<HashMap<String, String>>,
    request: Result<Json<DisclosureBody>, JsonRejection>,
) -> Result<Response, AppError> {
    let user = require_exporter(&caller.user)?.clone();
    let format = parse_format(&query)?;
    let mut asked = body(request)?;
    // A visitor's full receipt code finds its record by the receipt's tag.
    if let Some(mut records) = asked.records.take() {
        let (store, keys, user) = (state.store.clone(), state.keys.clone(), user.clone());
        asked.records = Some(
            blocking(move || {
                crate::hr::visitor_requests::resolve_full_receipts(
                    store.as_ref(),
                    &keys,
                    &user,
                    &mut records,
                )
                .map(|()| records)
            })
            .await??,
        );
    }
    let selection = parse_selection(asked)?;
    let store = state.store.clone();
    let report = blocking(move || disclose(store.as_ref(), &user, &selection)).await??;
    Ok(printable::disclosure::answer(&report, format, lang))
}
