//! `/console/subject-access` (archivists): a subject-access request (*registerutdrag*) from
//! the console. The form asks for the kind of identifier and its value; posting it shows a
//! summary of what matched (each record given is logged, as through the API), with buttons
//! that post the same identifier again for the JSON file or the printable page
//! (`POST /console/subject-access/download`). Every step is a POST, because the identifier
//! is personal data and must not end up in an address, a browser history or a server log.
//!
//! The printable page itself is [`crate::hr::printable::subject_access`]'s, which the API's
//! `?format=html` answers with too.

use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use kiosk_core::language::Language;
use maud::{Markup, html};
use serde::Deserialize;

use super::layout::{Field, FieldError, Nav, error_of, error_summary, notice, select};
use super::texts::{fill, status_name};
use super::{Console, ConsoleForm, html_page};
use crate::blocking::blocking;
use crate::hr::dates;
use crate::hr::error::HrError;
use crate::hr::printable::subject_access::{self as printed, found_text, kind_label};
use crate::hr::subject_access::{
    Format, SubjectAccessError, SubjectAccessReport, find_for_subject, lookup_of,
};
use crate::state::AppState;

const SUBJECT_ACCESS: &str = "/console/subject-access";
const DOWNLOAD: &str = "/console/subject-access/download";
/// The texts of the form page, in one language (the printable page's are
/// [`crate::hr::printable::subject_access`]'s).
#[derive(Debug)]
pub(crate) struct Texts {
    pub title: &'static str,
    intro: &'static str,
    logged_note: &'static str,
    kind: &'static str,
    value: &'static str,
    value_hint: &'static str,
    search: &'static str,
    no_match: &'static str,
    download_json: &'static str,
    open_printable: &'static str,
    caption: &'static str,
    bad_value: &'static str,
    bad_kind: &'static str,
}

const SV: Texts = Texts {
    title: "Registerutdrag",
    intro: "Sök fram allt som reläet har om en person, för ett registerutdrag. Ange en uppgift: e-postadress, telefonnummer eller kvittokod. Uppgiften skickas bara i formulär och hamnar aldrig i en adress eller logg.",
    logged_note: "Varje registrering som lämnas i utdraget skrivs i åtkomstloggen.",
    kind: "Uppgift",
    value: "Värde",
    value_hint: "Exakt som personen uppgav den; stora och små bokstäver spelar ingen roll.",
    search: "Sök",
    no_match: "Inget som reläet har matchar uppgiften. Registreringar som har gallrats går inte längre att hitta.",
    download_json: "Hämta JSON-fil",
    open_printable: "Öppna utskriftsvänlig sida",
    caption: "Registreringar som matchade",
    bad_value: "Uppgiften har inte rätt form: {}",
    bad_kind: "Välj ett av alternativen.",
};

const EN: Texts = Texts {
    title: "Subject access",
    intro: "Find everything the relay holds about a person, for a subject-access request. Give one identifier: email address, phone number or receipt code. It is only ever sent in forms, never in an address or a log.",
    logged_note: "Every registration given in the answer is written to the access log.",
    kind: "Identifier",
    value: "Value",
    value_hint: "As the person gave it; upper and lower case do not matter.",
    search: "Search",
    no_match: "Nothing the relay holds matches this identifier. Records removed under a retention rule can no longer be found.",
    download_json: "Download JSON file",
    open_printable: "Open printable page",
    caption: "Registrations that matched",
    bad_value: "The value does not have the form of its kind: {}",
    bad_kind: "Choose one of the options.",
};

pub(crate) fn texts(lang: Language) -> &'static Texts {
    match lang {
        Language::Swedish => &SV,
        Language::English => &EN,
    }
}

/// The form's fields: the identifier's kind and value, and for a download the format.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct SubjectForm {
    #[serde(default)]
    kind: String,
    #[serde(default)]
    value: String,
    #[serde(default)]
    format: String,
}

fn form(console: &Console, chosen: &SubjectForm, errors: &[FieldError]) -> Markup {
    let lang = console.lang;
    let t = texts(lang);
    let p = printed::texts(lang);
    let kinds = [
        ("email", p.kind_email),
        ("phone", p.kind_phone),
        ("receipt_code", p.kind_receipt),
    ];
    html! {
        form method="post" action=(SUBJECT_ACCESS) {
            input type="hidden" name="csrf_token" value=(console.signed.csrf);
            (select(lang, "kind", t.kind, &kinds, &chosen.kind, error_of(errors, "kind")))
            (Field {
                value: &chosen.value,
                hint: Some(t.value_hint),
                error: error_of(errors, "value"),
                autocomplete: Some("off"),
                required: true,
                ..Field::new("value", t.value, "text")
            }.render(lang))
            div.actions { button.button type="submit" { (t.search) } }
        }
    }
}

fn render(
    console: &Console,
    uri: &Uri,
    status: StatusCode,
    chosen: &SubjectForm,
    errors: &[FieldError],
    outcome: Markup,
) -> Response {
    let t = texts(console.lang);
    let page = console
        .page(t.title, uri, Nav::SubjectAccess, !errors.is_empty())
        .render(html! {
            (error_summary(console.lang, errors))
            p { (t.intro) }
            p { (t.logged_note) }
            (form(console, chosen, errors))
            (outcome)
        });
    html_page(status, page)
}

/// The empty form.
pub(crate) async fn page(console: Console, uri: Uri) -> Response {
    if let Err(error) = crate::hr::policy::require_exporter(&console.caller.user) {
        return console.refuse(error, &uri).into_response();
    }
    render(
        &console,
        &uri,
        StatusCode::OK,
        &SubjectForm::default(),
        &[],
        html! {},
    )
}

/// The request's report, or the page to answer with instead (the form with its error, or
/// the notice that nothing matched).
async fn run(
    state: &AppState,
    console: &Console,
    uri: &Uri,
    chosen: &SubjectForm,
) -> Result<SubjectAccessReport, Response> {
    if let Err(error) = crate::hr::policy::require_exporter(&console.caller.user) {
        return Err(console.refuse(error, uri).into_response());
    }
    let t = texts(console.lang);
    let p = printed::texts(console.lang);
    // A visitor's full receipt code finds its record by the receipt's tag, as its short
    // reference.
    let mut value = chosen.value.clone();
    if chosen.kind == "receipt_code" {
        let (store, keys, typed) = (state.store.clone(), state.keys.clone(), value.clone());
        let found = blocking(move || {
            crate::hr::visitor_requests::reference_of_full_receipt(store.as_ref(), &keys, &typed)
        })
        .await;
        match found {
            Ok(Ok(None)) => {}
            Ok(Ok(Some(Some(reference)))) => value = reference,
            Ok(Ok(Some(None))) => {
                return Err(render(
                    console,
                    uri,
                    StatusCode::NOT_FOUND,
                    chosen,
                    &[],
                    notice(t.no_match),
                ));
            }
            Ok(Err(error)) => return Err(console.refuse(error, uri).into_response()),
            Err(failed) => return Err(console.refuse(failed, uri).into_response()),
        }
    }
    let lookup = match lookup_of(&chosen.kind, &value) {
        Ok(lookup) => lookup,
        Err(HrError::InvalidField { field: "kind", .. }) => {
            let errors = [FieldError::on("kind", t.bad_kind)];
            return Err(render(
                console,
                uri,
                StatusCode::UNPROCESSABLE_ENTITY,
                chosen,
                &errors,
                html! {},
            ));
        }
        Err(_) => {
            let errors = [FieldError::on(
                "value",
                fill(t.bad_value, kind_label(p, &chosen.kind)),
            )];
            return Err(render(
                console,
                uri,
                StatusCode::UNPROCESSABLE_ENTITY,
                chosen,
                &errors,
                html! {},
            ));
        }
    };
    let store = state.store.clone();
    let user = console.caller.user.clone();
    let found = blocking(move || find_for_subject(store.as_ref(), &user, &lookup)).await;
    match found {
        Ok(Ok(report)) => Ok(report),
        Ok(Err(SubjectAccessError::NoMatch)) => Err(render(
            console,
            uri,
            StatusCode::NOT_FOUND,
            chosen,
            &[],
            notice(t.no_match),
        )),
        Ok(Err(SubjectAccessError::Hr(error))) => Err(console.refuse(error, uri).into_response()),
        Err(failed) => Err(console.refuse(failed, uri).into_response()),
    }
}

/// The summary of what matched, with the buttons for the file and the printable page.
pub(crate) async fn submit(
    State(state): State<AppState>,
    uri: Uri,
    ConsoleForm { console, form }: ConsoleForm<SubjectForm>,
) -> Response {
    let report = match run(&state, &console, &uri, &form).await {
        Ok(report) => report,
        Err(page) => return page,
    };
    let lang = console.lang;
    let t = texts(lang);
    let p = printed::texts(lang);
    let download = |format: &str, label: &str| {
        html! {
            form.inline method="post" action=(DOWNLOAD) {
                input type="hidden" name="csrf_token" value=(console.signed.csrf);
                input type="hidden" name="kind" value=(form.kind);
                input type="hidden" name="value" value=(form.value);
                input type="hidden" name="format" value=(format);
                button.button type="submit" { (label) }
            }
        }
    };
    let outcome = html! {
        h2 { (t.caption) }
        (notice(&found_text(p, report.records.len())))
        @if report.uncleared {
            p.notice { (p.withheld) }
        }
        @if !report.records.is_empty() {
            (super::layout::table_region(t.caption, html! { table {
                caption { (t.caption) }
                thead { tr {
                    th scope="col" { (p.event) }
                    th scope="col" { (p.captured_at) }
                    th scope="col" { (p.receipt_code) }
                    th scope="col" { (p.status_now) }
                    th scope="col" { (p.matched_by) }
                } }
                tbody {
                    @for r in &report.records {
                        tr {
                            td { (r.event_name.as_ref().map_or(r.record.event_id.as_str(), |n| n.get(lang))) }
                            td { (dates::local_minutes(r.record.registration.captured_at.millis())) }
                            td.code { (r.record.receipt_code) }
                            td { (status_name(lang, r.annotations.status)) }
                            td { (r.matched_by.iter().map(|m| kind_label(p, m.as_str())).collect::<Vec<_>>().join(", ")) }
                        }
                    }
                }
            } }))
            div.actions {
                (download("json", t.download_json))
                (download("html", t.open_printable))
            }
        }
    };
    render(&console, &uri, StatusCode::OK, &form, &[], outcome)
}

/// The JSON file or the printable page for the identifier posted again.
pub(crate) async fn download(
    State(state): State<AppState>,
    uri: Uri,
    ConsoleForm { console, form }: ConsoleForm<SubjectForm>,
) -> Response {
    let format = match form.format.as_str() {
        "html" => Format::Html,
        _ => Format::Json,
    };
    match run(&state, &console, &uri, &form).await {
        Ok(report) => {
            let mut response = printed::answer(&report, format, console.lang);
            // The page is opened from the console: keep it out of frames like every page.
            response
                .headers_mut()
                .insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
            response
        }
        Err(page) => page,
    }
}
