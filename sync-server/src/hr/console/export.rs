//! `/console/export` (archivists): a GET form with the list's filters, the file format and
//! the file's language, and what an export is (CSV for Excel with Swedish settings, never
//! restricted records, every exported record logged). A submitted form is checked as the
//! export will check it ([`check_export_query`]): errors are shown by their fields, and a
//! good form sends the browser on to `GET /api/v1/registrations/export`, which streams the
//! file and logs it (the session cookie authenticates it there too).

use std::collections::HashMap;

use axum::extract::{RawQuery, State};
use axum::http::{StatusCode, Uri};
use axum::response::{IntoResponse, Redirect, Response};
use kiosk_core::language::Language;
use maud::{Markup, html};

use super::devices::event_choices;
use super::forms::{date_bound, form_values};
use super::layout::{Field, FieldError, Nav, error_of, error_summary, select};
use super::texts::status_options;
use super::{Console, html_page};
use crate::error::AppError;
use crate::hr::export_api::check_export_query;
use crate::state::AppState;

const EXPORT: &str = "/console/export";
const API_EXPORT: &str = "/api/v1/registrations/export";

/// The form's fields. The file's language is `file_lang`: `lang` is the page's own.
const FIELDS: [&str; 9] = [
    "event",
    "status",
    "talent_pool",
    "from",
    "to",
    "q",
    "format",
    "file_lang",
    "download",
];

/// This page's texts in one language.
#[derive(Debug)]
struct Texts {
    title: &'static str,
    intro: &'static str,
    csv_note: &'static str,
    restricted_note: &'static str,
    logged_note: &'static str,
    filter_heading: &'static str,
    event: &'static str,
    all_events: &'static str,
    status: &'static str,
    any: &'static str,
    talent_pool: &'static str,
    in_pool: &'static str,
    not_in_pool: &'static str,
    from: &'static str,
    to: &'static str,
    date_hint: &'static str,
    search: &'static str,
    search_hint: &'static str,
    file_heading: &'static str,
    format: &'static str,
    csv: &'static str,
    json: &'static str,
    file_lang: &'static str,
    swedish: &'static str,
    english: &'static str,
    download: &'static str,
    bad_date: &'static str,
    bad_search: &'static str,
    bad_choice: &'static str,
    bad_event: &'static str,
}

const SV: Texts = Texts {
    title: "Export",
    intro: "Hämta registreringar som en fil, för arkivering eller för arbete i ett kalkylprogram.",
    csv_note: "CSV-filen är UTF-8 med byte-order-markering och semikolon (;) mellan fälten, så att Excel med svenska inställningar öppnar den rätt, med å, ä och ö.",
    restricted_note: "Registreringar med skyddade personuppgifter exporteras aldrig, oavsett behörighet.",
    logged_note: "Varje exporterad registrering skrivs i åtkomstloggen med ditt namn.",
    filter_heading: "Vilka registreringar",
    event: "Evenemang",
    all_events: "Alla evenemang",
    status: "Status",
    any: "Alla",
    talent_pool: "Talangpool",
    in_pool: "Med i talangpoolen",
    not_in_pool: "Inte med i talangpoolen",
    from: "Registrerad från och med",
    to: "Registrerad till och med",
    date_hint: "ÅÅÅÅ-MM-DD, svensk tid.",
    search: "Sök",
    search_hint: "Del av namn, e-post, telefonnummer eller kvittokod.",
    file_heading: "Filen",
    format: "Format",
    csv: "CSV (Excel)",
    json: "JSON",
    file_lang: "Filens språk (rubrikraden och status i CSV-filen)",
    swedish: "Svenska",
    english: "Engelska",
    download: "Hämta filen",
    bad_date: "Skriv ett datum som ÅÅÅÅ-MM-DD.",
    bad_search: "Sökningen behöver 2–100 tecken.",
    bad_choice: "Välj ett av alternativen.",
    bad_event: "Välj ett evenemang i listan.",
};

const EN: Texts = Texts {
    title: "Export",
    intro: "Download registrations as a file, for archiving or for work in a spreadsheet.",
    csv_note: "The CSV file is UTF-8 with a byte-order mark and semicolons (;) between fields, so that Excel with Swedish settings opens it correctly, with å, ä and ö.",
    restricted_note: "Registrations with protected personal data are never exported, whatever your clearance.",
    logged_note: "Every exported registration is written to the access log under your name.",
    filter_heading: "Which registrations",
    event: "Event",
    all_events: "All events",
    status: "Status",
    any: "Any",
    talent_pool: "Talent pool",
    in_pool: "In the talent pool",
    not_in_pool: "Not in the talent pool",
    from: "Captured from",
    to: "Captured up to and including",
    date_hint: "YYYY-MM-DD, Swedish time.",
    search: "Search",
    search_hint: "Part of a name, email, phone number or receipt code.",
    file_heading: "The file",
    format: "Format",
    csv: "CSV (Excel)",
    json: "JSON",
    file_lang: "Language of the file (the CSV file's header row and status)",
    swedish: "Swedish",
    english: "English",
    download: "Download the file",
    bad_date: "Enter a date as YYYY-MM-DD.",
    bad_search: "The search needs 2–100 characters.",
    bad_choice: "Choose one of the options.",
    bad_event: "Choose an event from the list.",
};

fn texts(lang: Language) -> &'static Texts {
    match lang {
        Language::Swedish => &SV,
        Language::English => &EN,
    }
}

/// The export's query from the form: dates become the start of the day in Swedish time
/// (`to` is inclusive, so the export ends where the next day begins).
fn export_query(
    t: &Texts,
    values: &HashMap<&'static str, String>,
) -> Result<Vec<(&'static str, String)>, Vec<FieldError>> {
    let mut query = Vec::new();
    let mut errors = Vec::new();
    for field in FIELDS {
        let Some(value) = values.get(field) else {
            continue;
        };
        match field {
            "download" => {}
            "from" | "to" => match date_bound(field, value) {
                Some((name, ms)) => query.push((name, ms.to_string())),
                None => errors.push(FieldError::on(field, t.bad_date)),
            },
            "file_lang" => query.push(("lang", value.clone())),
            _ => query.push((field, value.clone())),
        }
    }
    if errors.is_empty() {
        Ok(query)
    } else {
        Err(errors)
    }
}

/// The form's error for the export's refusal of parameter `name` (`"name: …"`).
fn export_error(t: &Texts, message: &str) -> FieldError {
    match message.split(':').next().unwrap_or_default() {
        "event" => FieldError::on("event", t.bad_event),
        "q" => FieldError::on("q", t.bad_search),
        "from" => FieldError::on("from", t.bad_date),
        "before" => FieldError::on("to", t.bad_date),
        "lang" => FieldError::on("file_lang", t.bad_choice),
        "status" => FieldError::on("status", t.bad_choice),
        "talent_pool" => FieldError::on("talent_pool", t.bad_choice),
        "format" => FieldError::on("format", t.bad_choice),
        _ => FieldError::form(t.bad_choice),
    }
}

pub(crate) async fn page(
    State(state): State<AppState>,
    console: Console,
    uri: Uri,
    RawQuery(raw): RawQuery,
) -> Response {
    if let Err(refusal) = crate::hr::policy::require_exporter(&console.caller.user) {
        return console.refuse(refusal, &uri).into_response();
    }
    let t = texts(console.lang);
    let values = form_values(raw.as_deref(), &FIELDS);
    let mut errors = Vec::new();
    if values.contains_key("download") {
        match export_query(t, &values) {
            Err(field_errors) => errors = field_errors,
            Ok(query) => {
                let asked: HashMap<String, String> = query
                    .iter()
                    .map(|(name, value)| ((*name).to_owned(), value.clone()))
                    .collect();
                match check_export_query(asked) {
                    Ok(()) => {
                        let query = serde_urlencoded::to_string(&query).unwrap_or_default();
                        return Redirect::to(&format!("{API_EXPORT}?{query}")).into_response();
                    }
                    Err(AppError::BadFilter(message)) => {
                        errors.push(export_error(t, &message));
                    }
                    Err(other) => return console.refuse(other, &uri).into_response(),
                }
            }
        }
    }
    let events = match event_choices(&state, console.lang).await {
        Ok(events) => events,
        Err(error) => return console.refuse(error, &uri).into_response(),
    };
    let lang = console.lang;
    let page = console
        .page(t.title, &uri, Nav::Export, !errors.is_empty())
        .render(html! {
            (error_summary(lang, &errors))
            p { (t.intro) }
            ul {
                li { (t.csv_note) }
                li { (t.restricted_note) }
                li { (t.logged_note) }
            }
            (form(lang, &events, &values, &errors))
        });
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::BAD_REQUEST
    };
    html_page(status, page)
}

fn form(
    lang: Language,
    events: &[(String, String)],
    values: &HashMap<&'static str, String>,
    errors: &[FieldError],
) -> Markup {
    let t = texts(lang);
    let value = |name: &str| values.get(name).map_or("", String::as_str);
    let field = |id: &'static str, label: &'static str, kind: &'static str, hint| Field {
        value: value(id),
        hint,
        error: error_of(errors, id),
        ..Field::new(id, label, kind)
    };
    let mut event_options = vec![("", t.all_events)];
    event_options.extend(events.iter().map(|(id, name)| (id.as_str(), name.as_str())));
    let statuses = status_options(lang, t.any);
    let pools = [("", t.any), ("true", t.in_pool), ("false", t.not_in_pool)];
    let formats = [("csv", t.csv), ("json", t.json)];
    let languages = [("sv", t.swedish), ("en", t.english)];
    html! {
        form method="get" action=(EXPORT) novalidate {
            fieldset {
                legend { h2 { (t.filter_heading) } }
                (select(lang, "event", t.event, &event_options, value("event"), error_of(errors, "event")))
                (select(lang, "status", t.status, &statuses, value("status"), error_of(errors, "status")))
                (select(lang, "talent_pool", t.talent_pool, &pools, value("talent_pool"), error_of(errors, "talent_pool")))
                (field("from", t.from, "text", Some(t.date_hint)).render(lang))
                (field("to", t.to, "text", Some(t.date_hint)).render(lang))
                (field("q", t.search, "search", Some(t.search_hint)).render(lang))
            }
            fieldset {
                legend { h2 { (t.file_heading) } }
                (select(lang, "format", t.format, &formats, value("format"), error_of(errors, "format")))
                (select(lang, "file_lang", t.file_lang, &languages, match value("file_lang") { "" => lang.tag(), chosen => chosen }, error_of(errors, "file_lang")))
            }
            div.actions {
                button.button type="submit" name="download" value="1" { (t.download) }
            }
        }
    }
}
