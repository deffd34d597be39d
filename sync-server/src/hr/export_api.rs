//! The JSON API's bulk export, `GET /api/v1/registrations/export?format=csv|json&lang=sv|en`
//! with the list's filters: the handler reads the query, asks the policy, starts the
//! export's reader ([`crate::hr::export::produce`]) and streams its pages, answering an
//! error before the first page through [`crate::hr::answer`]. The query's rules are here
//! ([`check_export_query`] lets the console's form check them the same way).

use std::collections::HashMap;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Query, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use kiosk_core::ids::Timestamp;
use kiosk_core::language::Language;
use tokio::sync::mpsc;

use crate::error::AppError;
use crate::hr::caller::Caller;
use crate::hr::error::HrError;
use crate::hr::export::{CHANNEL_PAGES, EXPORT_BATCH, Format, produce};
use crate::hr::params::bad_filter;
use crate::hr::policy::require_exporter;
use crate::hr::registrations_api::parse_filter;
use crate::state::{AppState, now_ms};
use crate::storage::{Accessor, RegistrationFilter};

pub fn routes() -> Router<AppState> {
    Router::new().route("/api/v1/registrations/export", get(export))
}

/// The export's parameters from the query string: its format, language and the list's
/// filters, or the list's `invalid_filter` error naming the bad parameter.
pub(crate) fn parse_export_query(
    mut query: HashMap<String, String>,
) -> Result<(Format, Language, RegistrationFilter), AppError> {
    let format = match query.remove("format").as_deref() {
        None | Some("csv") => Format::Csv,
        Some("json") => Format::Json,
        Some(_) => return Err(bad_filter("format", "csv or json")),
    };
    let language = match query.remove("lang").as_deref() {
        None | Some("sv") => Language::Swedish,
        Some("en") => Language::English,
        Some(_) => return Err(bad_filter("lang", "sv or en")),
    };
    for paging in ["limit", "after"] {
        if query.contains_key(paging) {
            return Err(bad_filter(
                paging,
                "not a filter of an export, which takes every record",
            ));
        }
    }
    let filter = RegistrationFilter {
        include_restricted: false,
        after: None,
        limit: EXPORT_BATCH,
        ..parse_filter(&query)?
    };
    Ok((format, language, filter))
}

/// Checks an export's query as the export will: the console checks its form with it
/// before it sends the browser to the export.
pub(crate) fn check_export_query(query: HashMap<String, String>) -> Result<(), AppError> {
    parse_export_query(query).map(|_| ())
}

/// Streams every registration `filter` selects, restricted ones never, as CSV or JSON.
async fn export(
    State(state): State<AppState>,
    caller: Caller,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Response, AppError> {
    let user = require_exporter(&caller.user)?;
    let (format, language, filter) = parse_export_query(query)?;
    let accessor = Accessor::Operator(user.accessor_name());
    let (sender, mut receiver) = mpsc::channel::<Result<Bytes, HrError>>(CHANNEL_PAGES);
    let store = state.store.clone();
    tokio::task::spawn_blocking(move || {
        produce(store, &caller, filter, &accessor, format, language, &sender);
    });
    // The first page decides between an export and an error answer.
    let first = receiver.recv().await.ok_or_else(|| {
        tracing::error!("an export's producer ended before its first page");
        AppError::Internal
    })??;
    let rest = futures_util::stream::unfold(receiver, |mut receiver| async move {
        let next = receiver.recv().await?;
        Some((next.map_err(std::io::Error::other), receiver))
    });
    let body = futures_util::stream::StreamExt::boxed(futures_util::stream::StreamExt::chain(
        futures_util::stream::once(std::future::ready(Ok::<_, std::io::Error>(first))),
        rest,
    ));
    let filename = format!(
        "attachment; filename=\"registrations-{}.{}\"",
        &Timestamp(now_ms()).utc_iso8601()[..10],
        format.extension()
    );
    let mut response = Body::from_stream(body).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(format.content_type()),
    );
    headers.insert(
        header::CONTENT_DISPOSITION,
        HeaderValue::from_str(&filename)
            .map_err(AppError::internal("an export file name as a header"))?,
    );
    // Personal data: no cache keeps a copy.
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn export_parameters_are_checked_like_the_lists_filters() {
        let query = |pairs: &[(&str, &str)]| {
            pairs
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect::<HashMap<_, _>>()
        };
        let (format, language, filter) =
            parse_export_query(query(&[("event", "fair-1"), ("format", "json")])).expect("ok");
        assert_eq!((format, language), (Format::Json, Language::Swedish));
        assert_eq!(filter.events, Some(vec!["fair-1".to_owned()]));
        assert!(!filter.include_restricted);
        assert_eq!(filter.limit, EXPORT_BATCH);
        for (bad, name) in [
            (query(&[("format", "xml")]), "format"),
            (query(&[("lang", "fi")]), "lang"),
            (query(&[("limit", "10")]), "limit"),
            (query(&[("after", "1~x")]), "after"),
            (query(&[("status", "lost")]), "status"),
            (query(&[("colour", "red")]), "colour"),
        ] {
            match parse_export_query(bad) {
                Err(AppError::BadFilter(message)) => {
                    assert!(message.starts_with(name), "{message}")
                }
                other => panic!("{name}: {other:?}"),
            }
        }
    }
}
