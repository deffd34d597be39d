//! The visitor page's routes: `GET /kvitto` (the form), `POST /kvitto` (a look-up, the code
//! in the body), `POST /kvitto/atgard` (an action's confirmation and the action), and
//! `GET /kvitto/kvitto.js`. Every answer carries [`visitor_headers`]. Cheap checks come
//! first: the body limit (a few KiB), the form's shape, then the service's limiter and check
//! symbol, and only then the keyed hash and the lookup.
//!
//! The code is never in a path or a query, and no log line names it: the request log
//! records the method and path only ([`crate::request_log`]), and the service logs at most a
//! truncated keyed hash of an unknown tag.

use std::net::{IpAddr, SocketAddr};

use axum::body::Bytes;
use axum::extract::connect_info::ConnectInfo;
use axum::extract::{DefaultBodyLimit, RawQuery, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use axum::{Extension, Router};
use kiosk_core::language::Language;
use maud::Markup;
use tower_http::limit::RequestBodyLimitLayer;

use super::pages::{self, ACTION, Action, Done, PAGE, SCRIPT, SCRIPT_PATH};
use super::service::{self, Found, Lookup, Requested};
use crate::blocking::blocking;
use crate::state::{AppState, now_ms};
use crate::storage::{StorageError, VisitorRequestKind};

/// A look-up's body: a code of at most [`MAX_CODE_CHARS`] and a language.
const LOOKUP_BODY_LIMIT: usize = 2 * 1024;
/// An action's body: a correction's 2,000 characters, percent-encoded (up to 6 bytes for a
/// character like "å"), besides the code.
const ACTION_BODY_LIMIT: usize = 16 * 1024;
/// Characters of a typed code at most: 27 symbols with separators, and room for spaces.
const MAX_CODE_CHARS: usize = 64;
/// Characters of a correction's text as sent, before it is checked (2,000 at most are kept).
const MAX_TEXT_CHARS: usize = 4_000;

/// The content policy of every visitor page: nothing but the relay's own stylesheet, forms
/// and one script.
pub const VISITOR_CONTENT_POLICY: &str = "default-src 'none'; script-src 'self'; \
    style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; \
    base-uri 'none'";

pub(crate) fn routes() -> Router<AppState> {
    let lookup = Router::new()
        .route(PAGE, get(form_page).post(look_up_page))
        .route(SCRIPT_PATH, get(script))
        .layer(DefaultBodyLimit::max(LOOKUP_BODY_LIMIT))
        .layer(RequestBodyLimitLayer::new(LOOKUP_BODY_LIMIT));
    let action = Router::new()
        .route(ACTION, axum::routing::post(action_page))
        .layer(DefaultBodyLimit::max(ACTION_BODY_LIMIT))
        .layer(RequestBodyLimitLayer::new(ACTION_BODY_LIMIT));
    lookup
        .merge(action)
        .layer(middleware::from_fn(visitor_headers))
}

/// What every visitor page's answer carries: kept by no cache, sent with no referrer,
/// indexed by no search engine, and the strict content policy. Set here over whatever the
/// handler set, the relay's own headers ([`crate::headers`]) are added after.
pub async fn visitor_headers(request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    headers.insert(
        "x-robots-tag",
        HeaderValue::from_static("noindex, nofollow"),
    );
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(VISITOR_CONTENT_POLICY),
    );
    response
}

fn page(status: StatusCode, markup: Markup) -> Response {
    (status, Html(markup.into_string())).into_response()
}

fn language(tag: Option<&str>) -> Language {
    match tag {
        Some("en") => Language::English,
        _ => Language::Swedish,
    }
}

async fn form_page(RawQuery(query): RawQuery) -> Response {
    // Only `?lang=en` is read; anything else in a query is ignored.
    let pairs: Vec<(String, String)> = query
        .as_deref()
        .and_then(|q| serde_urlencoded::from_str(q).ok())
        .unwrap_or_default();
    let asked = pairs.iter().find(|(name, _)| name == "lang");
    let lang = language(asked.map(|(_, value)| value.as_str()));
    page(StatusCode::OK, pages::code_form(lang, None))
}

async fn script() -> Response {
    (
        [(header::CONTENT_TYPE, "text/javascript; charset=utf-8")],
        SCRIPT,
    )
        .into_response()
}

/// The fields of a visitor form, each at most once, none unknown, each within its bound.
#[derive(Debug)]
struct VisitorForm {
    code: Option<String>,
    lang: Language,
    kind: Option<String>,
    step: Option<String>,
    text: Option<String>,
}

/// Reads a form body; `Err` with the language asked for (if it was read) when it does not
/// read as a visitor form.
fn read_form(body: &[u8]) -> Result<VisitorForm, Language> {
    let pairs: Vec<(String, String)> =
        serde_urlencoded::from_bytes(body).map_err(|_| Language::Swedish)?;
    let mut form = VisitorForm {
        code: None,
        lang: Language::Swedish,
        kind: None,
        step: None,
        text: None,
    };
    let mut lang = None;
    for (name, value) in pairs {
        let slot = match name.as_str() {
            "code" if value.chars().count() <= MAX_CODE_CHARS => &mut form.code,
            "lang" if lang.is_none() && matches!(value.as_str(), "sv" | "en") => {
                lang = Some(language(Some(&value)));
                continue;
            }
            "kind" if value.len() <= 16 => &mut form.kind,
            "step" if value.len() <= 16 => &mut form.step,
            "text" if value.chars().count() <= MAX_TEXT_CHARS => &mut form.text,
            _ => return Err(lang.unwrap_or(Language::Swedish)),
        };
        if slot.replace(value).is_some() {
            return Err(lang.unwrap_or(Language::Swedish));
        }
    }
    form.lang = lang.unwrap_or(Language::Swedish);
    Ok(form)
}

fn client(peer: Option<Extension<ConnectInfo<SocketAddr>>>) -> IpAddr {
    // The client address the `client_address` layer resolved (a trusted proxy's client).
    peer.map_or(IpAddr::from([127, 0, 0, 1]), |p| p.0.0.ip())
}

/// Something the store could not do: the visitor gets the relay's error answer.
fn failed(error: impl std::fmt::Display) -> Response {
    tracing::error!(%error, "the visitor's receipt page failed");
    StatusCode::INTERNAL_SERVER_ERROR.into_response()
}

/// Runs the look-up of `code` on the blocking pool; `Err` is the answer when there is no
/// received, readable record to go on with.
async fn look_up(
    state: &AppState,
    address: IpAddr,
    code: String,
    lang: Language,
) -> Result<Found, Response> {
    let (store, keys, limiter) = (
        state.store.clone(),
        state.keys.clone(),
        state.receipt_failures.clone(),
    );
    let typed = code.clone();
    let lookup = blocking(move || {
        service::look_up(store.as_ref(), &keys, &limiter, address, &typed, now_ms())
    })
    .await
    .map_err(failed)?
    .map_err(failed)?;
    match lookup {
        Lookup::RateLimited { retry_after_secs } => {
            let mut response = page(
                StatusCode::TOO_MANY_REQUESTS,
                pages::rate_limited(lang, retry_after_secs),
            );
            if let Ok(value) = HeaderValue::from_str(&retry_after_secs.to_string()) {
                response.headers_mut().insert(header::RETRY_AFTER, value);
            }
            Err(response)
        }
        Lookup::Mistyped => Err(page(
            StatusCode::UNPROCESSABLE_ENTITY,
            pages::code_form(lang, Some(&code)),
        )),
        Lookup::NotFound => Err(page(StatusCode::OK, pages::on_its_way(lang))),
        Lookup::Found(found) => Ok(found),
    }
}

/// Logs that the visitor saw `found` (restricted or not).
async fn log_view(state: &AppState, found: &Found) -> Result<(), Response> {
    let (store, found) = (state.store.clone(), found.clone());
    blocking(move || service::viewed(store.as_ref(), &found, now_ms()))
        .await
        .map_err(failed)?
        .map_err(failed)
}

async fn look_up_page(
    State(state): State<AppState>,
    peer: Option<Extension<ConnectInfo<SocketAddr>>>,
    body: Bytes,
) -> Response {
    let form = match read_form(&body) {
        Ok(form) if form.kind.is_none() && form.step.is_none() && form.text.is_none() => form,
        Ok(form) => return page(StatusCode::BAD_REQUEST, pages::bad_form(form.lang)),
        Err(lang) => return page(StatusCode::BAD_REQUEST, pages::bad_form(lang)),
    };
    let lang = form.lang;
    let Some(code) = form.code else {
        return page(
            StatusCode::UNPROCESSABLE_ENTITY,
            pages::code_form(lang, Some("")),
        );
    };
    let found = match look_up(&state, client(peer), code.clone(), lang).await {
        Ok(found) => found,
        Err(answer) => return answer,
    };
    if let Err(answer) = log_view(&state, &found).await {
        return answer;
    }
    if found.record.restricted {
        return page(StatusCode::OK, pages::restricted(lang));
    }
    page(StatusCode::OK, pages::received(lang, &code, &found))
}

async fn action_page(
    State(state): State<AppState>,
    peer: Option<Extension<ConnectInfo<SocketAddr>>>,
    body: Bytes,
) -> Response {
    let form = match read_form(&body) {
        Ok(form) => form,
        Err(lang) => return page(StatusCode::BAD_REQUEST, pages::bad_form(lang)),
    };
    let lang = form.lang;
    let (Some(code), Some(action), Some(step)) = (
        form.code,
        form.kind.as_deref().and_then(Action::parse),
        form.step.as_deref(),
    ) else {
        return page(StatusCode::BAD_REQUEST, pages::bad_form(lang));
    };
    let confirmed = match step {
        "ask" => false,
        "confirm" => true,
        _ => return page(StatusCode::BAD_REQUEST, pages::bad_form(lang)),
    };
    let found = match look_up(&state, client(peer), code.clone(), lang).await {
        Ok(found) => found,
        Err(answer) => return answer,
    };
    // A restricted record's page offers nothing: whoever holds its receipt is sent to a
    // cleared officer. The look-up read the record all the same: logged as a look-up is.
    if found.record.restricted {
        if let Err(answer) = log_view(&state, &found).await {
            return answer;
        }
        return page(StatusCode::OK, pages::restricted(lang));
    }
    let text = form.text.unwrap_or_default();
    if !confirmed {
        return page(
            StatusCode::OK,
            pages::confirm(lang, &code, action, &text, None),
        );
    }
    let checked = match action {
        Action::Correction => match service::checked_text(&text) {
            Ok(text) => Some(text),
            Err(refusal) => {
                return page(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    pages::confirm(lang, &code, action, &text, Some(refusal)),
                );
            }
        },
        _ => None,
    };
    let (store, index_keys) = (state.store.clone(), state.index_keys.clone());
    let done = blocking(move || -> Result<Option<Done>, StorageError> {
        let at = now_ms();
        let store = store.as_ref();
        Ok(match action {
            Action::Withdraw => Some(Done::Withdrawn(service::withdraw_consent(
                store,
                &index_keys,
                &found,
                at,
            )?)),
            Action::Access => {
                match service::request(store, &found, VisitorRequestKind::SubjectAccess, None, at)?
                {
                    Requested::Sent => Some(Done::AccessRequested { already: false }),
                    Requested::AlreadySent => Some(Done::AccessRequested { already: true }),
                    Requested::NoRecord => None,
                }
            }
            Action::Correction => match service::request(
                store,
                &found,
                VisitorRequestKind::Correction,
                checked.as_deref(),
                at,
            )? {
                Requested::Sent => Some(Done::CorrectionRequested { already: false }),
                Requested::AlreadySent => Some(Done::CorrectionRequested { already: true }),
                Requested::NoRecord => None,
            },
        })
    })
    .await;
    match done {
        Ok(Ok(Some(done))) => page(StatusCode::OK, pages::done(lang, &code, done)),
        // Removed between the look-up and the request: as any code finding nothing.
        Ok(Ok(None)) => page(StatusCode::OK, pages::on_its_way(lang)),
        Ok(Err(error)) => failed(error),
        Err(error) => failed(error),
    }
}
