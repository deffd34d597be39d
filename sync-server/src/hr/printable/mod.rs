//! The documents HR hands out, as a JSON file or a printable page: the subject-access report
//! ([`subject_access`]) and the disclosure export ([`disclosure`]). A printable page is a
//! standalone HTML page with no scripts, styled for paper ([`PRINT_CSS`], inline and also at
//! `/console/print.css`, since the console's content policy refuses inline styles). The
//! JSON API and the console both call these; neither renders a document itself.

use axum::Json;
use axum::http::{HeaderValue, header};
use axum::response::{Html, IntoResponse, Response};
use kiosk_core::ids::Timestamp;
use kiosk_core::language::Language;
use maud::{DOCTYPE, Markup, PreEscaped, html};
use serde_json::Value;

pub(crate) mod disclosure;
pub(crate) mod rights;
pub(crate) mod subject_access;

/// The printable pages' stylesheet: plain, black on white, each record from a new page.
pub(crate) const PRINT_CSS: &str = "\
body { font-family: Georgia, 'Times New Roman', serif; color: #000; background: #fff; \
max-width: 50rem; margin: 2rem auto; padding: 0 1rem; line-height: 1.4; }
h1 { font-size: 1.6rem; } h2 { font-size: 1.3rem; border-bottom: 1px solid #000; margin-top: 2rem; }
h3 { font-size: 1.05rem; margin-bottom: .25rem; }
table { border-collapse: collapse; width: 100%; margin: .25rem 0 1rem; }
th, td { border: 1px solid #444; padding: .25rem .4rem; text-align: left; vertical-align: top; }
dl.fields { display: grid; grid-template-columns: minmax(0, 15rem) minmax(0, 1fr); gap: .2rem .8rem; }
dl.fields dt { font-weight: bold; } dl.fields dd { margin: 0; white-space: pre-wrap; overflow-wrap: anywhere; }
td { overflow-wrap: anywhere; }
@media screen and (max-width: 40rem) {
  dl.fields { grid-template-columns: minmax(0, 1fr); gap: 0; } dl.fields dd { margin-bottom: .4rem; }
  th, td { overflow-wrap: anywhere; hyphens: auto; font-size: .875rem; padding: .2rem; }
}
.notice { border: 2px solid #000; padding: .5rem 1rem; margin: 1rem 0; }
.review { font-weight: bold; }
.box { display: inline-block; width: .9rem; height: .9rem; border: 1px solid #000; }
.code { font-family: 'Courier New', monospace; overflow-wrap: anywhere; }
@media print {
  body { margin: 0; max-width: none; font-size: 10.5pt; }
  section.record { break-before: page; }
  h2, h3 { break-after: avoid; } tr, dl.fields { break-inside: avoid; }
}
";

/// Serves [`PRINT_CSS`] for printable pages opened from the console.
pub(crate) async fn stylesheet() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "max-age=3600"),
        ],
        PRINT_CSS,
    )
        .into_response()
}

/// A standalone printable page in `lang` (no scripts): its head with both ways to its
/// stylesheet, and `content` under the `title` heading.
pub(crate) fn printable_page(lang: Language, title: &str, content: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang=(lang.tag()) {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                meta name="robots" content="noindex";
                title { (title) }
                style { (PreEscaped(PRINT_CSS)) }
                link rel="stylesheet" href="/console/print.css";
            }
            body {
                main {
                    h1 { (title) }
                    (content)
                }
            }
        }
    }
}

/// `value` as a JSON attachment named `<stem>-<date>.json`, kept by no cache.
pub(crate) fn json_attachment(stem: &str, value: &Value, at: i64) -> Response {
    let filename = format!(
        "attachment; filename=\"{stem}-{}.json\"",
        &Timestamp(at).utc_iso8601()[..10]
    );
    let mut response = Json(value).into_response();
    let headers = response.headers_mut();
    if let Ok(value) = HeaderValue::from_str(&filename) {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// A printable page, kept by no cache.
pub(crate) fn html_answer(markup: maud::Markup) -> Response {
    let mut response = Html(markup.into_string()).into_response();
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}
