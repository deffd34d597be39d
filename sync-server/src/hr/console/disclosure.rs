//! `/console/disclosure` (archivists): a disclosure export for a request for public
//! documents. The form takes registration ids or receipt codes (one a line), or an event
//! and a date range, and the file's form; posting it answers with the printable page or
//! the JSON file straight away ([`crate::hr::disclosure::disclose`], which logs each record
//! included). A refused form is shown again with its errors by their fields.
//!
//! The printable page is [`crate::hr::printable::disclosure`]'s, which the API's
//! `?format=html` answers with too.

use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use kiosk_core::language::Language;
use maud::html;
use serde::Deserialize;

use super::devices::event_choices;
use super::forms::date_bound;
use super::layout::{Field, FieldError, Nav, error_of, error_summary, select};
use super::{Console, ConsoleForm, html_page};
use crate::blocking::blocking;
use crate::hr::disclosure::{DisclosureBody, disclose, parse_selection};
use crate::hr::error::{HrError, Missing};
use crate::hr::subject_access::Format;
use crate::state::AppState;

const DISCLOSURE: &str = "/console/disclosure";

#[derive(Debug)]
struct Texts {
    title: &'static str,
    intro: &'static str,
    logged_note: &'static str,
    records: &'static str,
    records_hint: &'static str,
    or_event: &'static str,
    event: &'static str,
    choose_event: &'static str,
    from: &'static str,
    to: &'static str,
    date_hint: &'static str,
    format: &'static str,
    printable: &'static str,
    json: &'static str,
    make: &'static str,
    bad_records: &'static str,
    bad_selection: &'static str,
    bad_date: &'static str,
    bad_range: &'static str,
    too_many: &'static str,
    bad_event: &'static str,
}

const SV: Texts = Texts {
    title: "Utlämnande",
    intro: "Ta fram ett underlag för en begäran om allmän handling. Underlaget visar varje begärd registrering med alla uppgifter och markerar de uppgifter som behöver sekretessprövas; en handläggare beslutar vad som lämnas ut.",
    logged_note: "Varje registrering som tas med skrivs i åtkomstloggen.",
    records: "Registreringar",
    records_hint: "Id:n eller kvittokoder, en per rad (högst 500).",
    or_event: "Eller alla registreringar från ett evenemang under en period",
    event: "Evenemang",
    choose_event: "Välj evenemang",
    from: "Från och med",
    to: "Till och med",
    date_hint: "ÅÅÅÅ-MM-DD, svensk tid.",
    format: "Format",
    printable: "Utskriftsvänlig sida",
    json: "JSON-fil",
    make: "Ta fram underlaget",
    bad_records: "Skriv id:n eller kvittokoder (XXXX-XXXX), en per rad, högst 500.",
    bad_selection: "Ange antingen registreringar eller ett evenemang med period.",
    bad_date: "Skriv ett datum som ÅÅÅÅ-MM-DD.",
    bad_range: "Slutdatumet får inte vara före startdatumet.",
    too_many: "Perioden har fler än 500 registreringar. Välj en kortare period.",
    bad_event: "Välj ett evenemang som finns.",
};

const EN: Texts = Texts {
    title: "Disclosure",
    intro: "Prepare the material for a request for public documents. It lists each requested registration with every field and marks those that need a secrecy review; an official decides what is released.",
    logged_note: "Every registration included is written to the access log.",
    records: "Registrations",
    records_hint: "Ids or receipt codes, one a line (at most 500).",
    or_event: "Or every registration of an event over a period",
    event: "Event",
    choose_event: "Choose an event",
    from: "From",
    to: "Up to and including",
    date_hint: "YYYY-MM-DD, Swedish time.",
    format: "Format",
    printable: "Printable page",
    json: "JSON file",
    make: "Prepare the material",
    bad_records: "Enter ids or receipt codes (XXXX-XXXX), one a line, at most 500.",
    bad_selection: "Give either registrations or an event with a period.",
    bad_date: "Enter a date as YYYY-MM-DD.",
    bad_range: "The end date must not be before the start date.",
    too_many: "The period holds more than 500 registrations. Choose a shorter one.",
    bad_event: "Choose an event that exists.",
};

fn texts(lang: Language) -> &'static Texts {
    match lang {
        Language::Swedish => &SV,
        Language::English => &EN,
    }
}

/// The form's fields.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct DisclosureForm {
    #[serde(default)]
    records: String,
    #[serde(default)]
    event: String,
    #[serde(default)]
    from: String,
    #[serde(default)]
    to: String,
    #[serde(default)]
    format: String,
}

async fn render(
    state: &AppState,
    console: &Console,
    uri: &Uri,
    status: StatusCode,
    chosen: &DisclosureForm,
    errors: &[FieldError],
) -> Response {
    let lang = console.lang;
    let t = texts(lang);
    let events = match event_choices(state, lang).await {
        Ok(events) => events,
        Err(error) => return console.refuse(error, uri).into_response(),
    };
    let mut event_options = vec![("", t.choose_event)];
    event_options.extend(events.iter().map(|(id, name)| (id.as_str(), name.as_str())));
    let formats = [("html", t.printable), ("json", t.json)];
    let page = console
        .page(t.title, uri, Nav::Disclosure, !errors.is_empty())
        .render(html! {
            (error_summary(lang, errors))
            p { (t.intro) }
            p { (t.logged_note) }
            form method="post" action=(DISCLOSURE) {
                input type="hidden" name="csrf_token" value=(console.signed.csrf);
                div.field.field-error[error_of(errors, "records").is_some()] {
                    label for="records" { (t.records) }
                    p.hint #records-hint { (t.records_hint) }
                    @if let Some(error) = error_of(errors, "records") {
                        p.error-message #records-error { (error) }
                    }
                    textarea #records name="records" rows="8" cols="50"
                        aria-describedby="records-hint" { (chosen.records) }
                }
                fieldset {
                    legend { (t.or_event) }
                    (select(lang, "event", t.event, &event_options, &chosen.event, error_of(errors, "event")))
                    (Field { value: &chosen.from, hint: Some(t.date_hint), error: error_of(errors, "from"), ..Field::new("from", t.from, "text") }.render(lang))
                    (Field { value: &chosen.to, hint: Some(t.date_hint), error: error_of(errors, "to"), ..Field::new("to", t.to, "text") }.render(lang))
                }
                (select(lang, "format", t.format, &formats, &chosen.format, None))
                div.actions { button.button type="submit" { (t.make) } }
            }
        });
    html_page(status, page)
}

/// The empty form.
pub(crate) async fn page(State(state): State<AppState>, console: Console, uri: Uri) -> Response {
    if let Err(error) = crate::hr::policy::require_exporter(&console.caller.user) {
        return console.refuse(error, &uri).into_response();
    }
    render(
        &state,
        &console,
        &uri,
        StatusCode::OK,
        &DisclosureForm::default(),
        &[],
    )
    .await
}

/// The API's body from the form, or the form's errors.
fn body_of(t: &Texts, form: &DisclosureForm) -> Result<DisclosureBody, Vec<FieldError>> {
    let records: Vec<String> = form
        .records
        .split(['\n', '\r', ',', ';'])
        .map(str::trim)
        .filter(|r| !r.is_empty())
        .map(str::to_owned)
        .collect();
    let event = form.event.trim();
    match (records.is_empty(), event.is_empty()) {
        (false, true) => Ok(DisclosureBody {
            records: Some(records),
            ..DisclosureBody::default()
        }),
        (true, false) => {
            let from = date_bound("from", form.from.trim()).map(|(_, ms)| ms);
            let before = date_bound("to", form.to.trim()).map(|(_, ms)| ms);
            let mut errors = Vec::new();
            if from.is_none() {
                errors.push(FieldError::on("from", t.bad_date));
            }
            if before.is_none() {
                errors.push(FieldError::on("to", t.bad_date));
            }
            if !errors.is_empty() {
                return Err(errors);
            }
            Ok(DisclosureBody {
                event_id: Some(event.to_owned()),
                from,
                before,
                ..DisclosureBody::default()
            })
        }
        _ => Err(vec![FieldError::form(t.bad_selection)]),
    }
}

/// The form's error for the API's refusal.
fn form_error(t: &Texts, error: &HrError) -> Option<FieldError> {
    match error {
        HrError::InvalidField { field, rule } => Some(match *field {
            "records" => FieldError::on("records", t.bad_records),
            "event_id" => FieldError::on("event", t.bad_event),
            "before" if rule.contains("500") => FieldError::on("to", t.too_many),
            "before" => FieldError::on("to", t.bad_range),
            "from" => FieldError::on("from", t.bad_date),
            _ => FieldError::form(t.bad_selection),
        }),
        HrError::NotFound(Missing::Event) => Some(FieldError::on("event", t.bad_event)),
        _ => None,
    }
}

/// Makes the export, or shows the form again with its errors.
pub(crate) async fn submit(
    State(state): State<AppState>,
    uri: Uri,
    ConsoleForm { console, form }: ConsoleForm<DisclosureForm>,
) -> Response {
    if let Err(error) = crate::hr::policy::require_exporter(&console.caller.user) {
        return console.refuse(error, &uri).into_response();
    }
    let t = texts(console.lang);
    let refused = |errors: Vec<FieldError>| {
        let (state, console, uri, form) = (&state, &console, &uri, &form);
        async move {
            render(
                state,
                console,
                uri,
                StatusCode::UNPROCESSABLE_ENTITY,
                form,
                &errors,
            )
            .await
        }
    };
    let mut body = match body_of(t, &form) {
        Ok(body) => body,
        Err(errors) => return refused(errors).await,
    };
    // A visitor's full receipt code finds its record by the receipt's tag.
    if let Some(records) = body.records.take() {
        let (store, keys, user) = (
            state.store.clone(),
            state.keys.clone(),
            console.caller.user.clone(),
        );
        let resolved = blocking(move || {
            let mut records = records;
            crate::hr::visitor_requests::resolve_full_receipts(
                store.as_ref(),
                &keys,
                &user,
                &mut records,
            )
            .map(|()| records)
        })
        .await
        .map_err(HrError::from)
        .and_then(|r| r);
        match resolved {
            Ok(records) => body.records = Some(records),
            Err(error) => match form_error(t, &error) {
                Some(field_error) => return refused(vec![field_error]).await,
                None => return console.refuse(error, &uri).into_response(),
            },
        }
    }
    let selection = match parse_selection(body) {
        Ok(selection) => selection,
        Err(error) => return refused(form_error(t, &error).into_iter().collect()).await,
    };
    let store = state.store.clone();
    let user = console.caller.user.clone();
    let report = match blocking(move || disclose(store.as_ref(), &user, &selection))
        .await
        .map_err(HrError::from)
        .and_then(|r| r)
    {
        Ok(report) => report,
        Err(error) => match form_error(t, &error) {
            Some(field_error) => return refused(vec![field_error]).await,
            None => return console.refuse(error, &uri).into_response(),
        },
    };
    let format = if form.format == "json" {
        Format::Json
    } else {
        Format::Html
    };
    let mut response = crate::hr::printable::disclosure::answer(&report, format, console.lang);
    response
        .headers_mut()
        .insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    response
}
