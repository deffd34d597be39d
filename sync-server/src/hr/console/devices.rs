//! `/console/devices` (admins): the tablets with their event, role, recruiter, last contact
//! and captured / received counts; a form that makes an enrollment code, shown once as
//! grouped text and as a QR code; revocation behind a confirmation page; and PIN unlock
//! codes for staff tablets. Every rule and change is [`crate::hr::devices`]'s, as the JSON
//! API uses it; this module renders and puts refusals by their fields.
//!
//! It also holds what the other admin and archivist pages share: the events to choose from
//! ([`event_choices`]) and a page that only says why something could not be done
//! ([`message_page`]).

use std::collections::HashMap;

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Redirect, Response};
use kiosk_core::language::Language;
use maud::{Markup, PreEscaped, html};
use serde::Deserialize;

use super::layout::{
    Field, FieldError, Nav, column_heads, error_of, error_summary, notice, select,
};
use super::{Console, ConsoleForm, html_page};
use crate::blocking::blocking;
use crate::error::AppError;
use crate::hr::dates;
use crate::hr::devices::{
    CodeRequest, DeviceRow, create_enrollment_code, device_rows, issue_unlock_code, qr_svg,
    revoke_device,
};
use crate::hr::error::RecruiterRefusal;
use crate::hr::error::{Conflict, HrError, Missing};
use crate::state::AppState;

const DEVICES: &str = "/console/devices";

/// This page's texts in one language.
#[derive(Debug)]
struct Texts {
    title: &'static str,
    code_heading: &'static str,
    code_intro: &'static str,
    event: &'static str,
    no_events: &'static str,
    role: &'static str,
    kiosk: &'static str,
    staff: &'static str,
    recruiter: &'static str,
    recruiter_hint: &'static str,
    uses: &'static str,
    uses_hint: &'static str,
    valid_hours: &'static str,
    valid_hours_hint: &'static str,
    create_code: &'static str,
    devices_heading: &'static str,
    caption: &'static str,
    no_devices: &'static str,
    col_tablet: &'static str,
    col_event: &'static str,
    col_role: &'static str,
    col_recruiter: &'static str,
    col_enrolled: &'static str,
    col_last_contact: &'static str,
    col_captured: &'static str,
    col_received: &'static str,
    col_state: &'static str,
    col_actions: &'static str,
    never: &'static str,
    active: &'static str,
    revoked_on: &'static str,
    revoke: &'static str,
    issue_unlock: &'static str,
    bad_event: &'static str,
    bad_role: &'static str,
    recruiter_missing: &'static str,
    recruiter_not_for_kiosk: &'static str,
    recruiter_unknown: &'static str,
    recruiter_disabled: &'static str,
    recruiter_not_recruiter: &'static str,
    recruiter_not_assigned: &'static str,
    recruiter_none: &'static str,
    recruiter_assigned_to: &'static str,
    bad_uses: &'static str,
    bad_valid_hours: &'static str,
    code_title: &'static str,
    code_shown_once: &'static str,
    code_label: &'static str,
    code_details: &'static str,
    code_for: &'static str,
    code_expires: &'static str,
    qr_heading: &'static str,
    qr_label: &'static str,
    qr_missing: &'static str,
    back: &'static str,
    revoke_title: &'static str,
    revoke_intro: &'static str,
    revoke_confirm: &'static str,
    cancel: &'static str,
    revoked_notice: &'static str,
    already_revoked_notice: &'static str,
    unlock_title: &'static str,
    unlock_intro: &'static str,
    unlock_label: &'static str,
    unlock_offline_heading: &'static str,
    unlock_offline: &'static str,
    unlock_qr_label: &'static str,
    unlock_text_summary: &'static str,
    not_found_title: &'static str,
    unknown_device: &'static str,
    not_staff_title: &'static str,
    not_staff: &'static str,
}

const SV: Texts = Texts {
    title: "Surfplattor",
    code_heading: "Ny registreringskod",
    code_intro: "En registreringskod kopplar surfplattor till ett evenemang. Koden visas bara en gång.",
    event: "Evenemang",
    no_events: "Reläet har inga evenemang än.",
    role: "Typ av surfplatta",
    kiosk: "Kiosk (besökare fyller i)",
    staff: "Personal (en rekryterares surfplatta)",
    recruiter: "Rekryterare",
    recruiter_hint: "Bara för personalens surfplattor: rekryteraren som surfplattan arbetar för. Hen måste vara tilldelad evenemanget; surfplattans anteckningar och betyg blir hens.",
    uses: "Antal surfplattor",
    uses_hint: "Hur många surfplattor koden kan registrera, 1–500.",
    valid_hours: "Giltig i timmar",
    valid_hours_hint: "1–720 timmar (30 dagar).",
    create_code: "Skapa kod",
    devices_heading: "Registrerade surfplattor",
    caption: "Surfplattor i registreringsordning",
    no_devices: "Inga surfplattor är registrerade än.",
    col_tablet: "Surfplatta",
    col_event: "Evenemang",
    col_role: "Typ",
    col_recruiter: "Rekryterare",
    col_enrolled: "Registrerad",
    col_last_contact: "Senaste kontakt",
    col_captured: "Inskickade på surfplattan",
    col_received: "Mottagna",
    col_state: "Läge",
    col_actions: "Åtgärder",
    never: "aldrig",
    active: "Aktiv",
    revoked_on: "Återkallad {}",
    revoke: "Återkalla",
    issue_unlock: "Skapa PIN-upplåsningskod",
    bad_event: "Välj ett evenemang som reläet har.",
    bad_role: "Välj kiosk eller personal.",
    recruiter_missing: "Välj rekryterare: personalens surfplattor hör till en rekryterare.",
    recruiter_not_for_kiosk: "Välj ingen rekryterare för en kiosk.",
    recruiter_unknown: "Det finns ingen sådan användare. Välj en rekryterare i listan.",
    recruiter_disabled: "Användaren är avstängd. Välj en annan rekryterare.",
    recruiter_not_recruiter: "Användaren har inte rollen rekryterare.",
    recruiter_not_assigned: "Rekryteraren är inte tilldelad det här evenemanget. Tilldela evenemanget under Användare först.",
    recruiter_none: "Ingen (kiosk)",
    recruiter_assigned_to: "tilldelad",
    bad_uses: "Skriv ett antal mellan 1 och 500.",
    bad_valid_hours: "Skriv ett antal timmar mellan 1 och 720.",
    code_title: "Registreringskod",
    code_shown_once: "Koden visas bara den här gången. Skriv in den eller skanna QR-koden på surfplattorna nu; den sparas inte och kan inte visas igen.",
    code_label: "Kod",
    code_details: "Om koden",
    code_for: "Gäller",
    code_expires: "Går ut",
    qr_heading: "QR-kod",
    qr_label: "QR-kod med registreringskoden och reläets adress",
    qr_missing: "Ingen QR-kod: begäran saknade en adress till reläet. Skriv in koden i stället.",
    back: "Tillbaka till surfplattorna",
    revoke_title: "Återkalla surfplattan?",
    revoke_intro: "En återkallad surfplatta kan inte skicka in något mer: det den skickar hålls i karantän för granskning, och den ombeds radera sig själv när allt den har är mottaget. Det går inte att ångra.",
    revoke_confirm: "Ja, återkalla surfplattan",
    cancel: "Avbryt",
    revoked_notice: "Surfplattan är återkallad.",
    already_revoked_notice: "Surfplattan var redan återkallad. Inget ändrades.",
    unlock_title: "PIN-upplåsningskod",
    unlock_intro: "Upplåsningen kommer till surfplattan med nästa synkning, som sker av sig själv när surfplattan har nätverk, även när personalläget är låst. Öppna sedan ”Spärrad PIN-kod? Lås upp med HR:s hjälp” på surfplattan, lämna kodfältet tomt och välj en ny PIN-kod. Upplåsningen gäller bara den här surfplattan, en gång, i en vecka.",
    unlock_label: "Upplåsningskod",
    unlock_offline_heading: "Kan surfplattan inte synka?",
    unlock_offline: "Skanna QR-koden med surfplattans kamera eller kodläsare och klistra in texten i fältet för upplåsningskod. Koden är för lång för att skriva av.",
    unlock_qr_label: "QR-kod med PIN-upplåsningen",
    unlock_text_summary: "Visa koden som text",
    not_found_title: "Surfplattan finns inte",
    unknown_device: "Det finns ingen surfplatta med den adressen.",
    not_staff_title: "Ingen PIN att låsa upp",
    not_staff: "Bara en aktiv surfplatta för personal har en PIN-kod att låsa upp.",
};

const EN: Texts = Texts {
    title: "Tablets",
    code_heading: "New enrollment code",
    code_intro: "An enrollment code binds tablets to an event. The code is shown only once.",
    event: "Event",
    no_events: "The relay holds no events yet.",
    role: "Kind of tablet",
    kiosk: "Kiosk (visitors fill in)",
    staff: "Staff (a recruiter's tablet)",
    recruiter: "Recruiter",
    recruiter_hint: "Staff tablets only: the recruiter the tablet works for. They must be assigned to the event; the tablet's notes and ratings are theirs.",
    uses: "Number of tablets",
    uses_hint: "How many tablets the code can enroll, 1–500.",
    valid_hours: "Valid for hours",
    valid_hours_hint: "1–720 hours (30 days).",
    create_code: "Create code",
    devices_heading: "Enrolled tablets",
    caption: "Tablets in enrollment order",
    no_devices: "No tablets are enrolled yet.",
    col_tablet: "Tablet",
    col_event: "Event",
    col_role: "Kind",
    col_recruiter: "Recruiter",
    col_enrolled: "Enrolled",
    col_last_contact: "Last contact",
    col_captured: "Captured on the tablet",
    col_received: "Received",
    col_state: "State",
    col_actions: "Actions",
    never: "never",
    active: "Active",
    revoked_on: "Revoked {}",
    revoke: "Revoke",
    issue_unlock: "Issue PIN unlock code",
    bad_event: "Choose an event the relay holds.",
    bad_role: "Choose kiosk or staff.",
    recruiter_missing: "Choose the recruiter: a staff tablet belongs to a recruiter.",
    recruiter_not_for_kiosk: "Choose no recruiter for a kiosk.",
    recruiter_unknown: "There is no such user. Choose a recruiter from the list.",
    recruiter_disabled: "This user is disabled. Choose another recruiter.",
    recruiter_not_recruiter: "This user does not have the recruiter role.",
    recruiter_not_assigned: "This recruiter is not assigned to the event. Assign the event under Users first.",
    recruiter_none: "None (kiosk)",
    recruiter_assigned_to: "assigned",
    bad_uses: "Enter a number from 1 to 500.",
    bad_valid_hours: "Enter a number of hours from 1 to 720.",
    code_title: "Enrollment code",
    code_shown_once: "The code is shown this once only. Type it or scan the QR code on the tablets now; it is not stored and cannot be shown again.",
    code_label: "Code",
    code_details: "About the code",
    code_for: "For",
    code_expires: "Expires",
    qr_heading: "QR code",
    qr_label: "QR code with the enrollment code and the relay's address",
    qr_missing: "No QR code: the request named no address of the relay. Type the code instead.",
    back: "Back to the tablets",
    revoke_title: "Revoke the tablet?",
    revoke_intro: "A revoked tablet can send nothing more: what it sends is held in quarantine for review, and it is told to erase itself once everything it holds is received. This cannot be undone.",
    revoke_confirm: "Yes, revoke the tablet",
    cancel: "Cancel",
    revoked_notice: "The tablet is revoked.",
    already_revoked_notice: "The tablet was already revoked. Nothing changed.",
    unlock_title: "PIN unlock code",
    unlock_intro: "The unlock reaches the tablet with its next sync, which happens by itself when the tablet has a network, also while staff mode is locked. Then open “PIN locked? Unlock it with HR's help” on the tablet, leave the code field empty and choose a new PIN. The unlock works on this tablet only, once, for a week.",
    unlock_label: "Unlock code",
    unlock_offline_heading: "The tablet cannot sync?",
    unlock_offline: "Scan the QR code with the tablet's camera or code reader and paste its text into the unlock code field. The code is too long to type.",
    unlock_qr_label: "QR code with the PIN unlock",
    unlock_text_summary: "Show the code as text",
    not_found_title: "No such tablet",
    unknown_device: "There is no tablet at that address.",
    not_staff_title: "No PIN to unlock",
    not_staff: "Only an active staff tablet has a PIN to unlock.",
};

fn texts(lang: Language) -> &'static Texts {
    match lang {
        Language::Swedish => &SV,
        Language::English => &EN,
    }
}

/// The events the relay holds as `(id, name in lang)`, latest start first: what a form
/// offers.
pub(super) async fn event_choices(
    state: &AppState,
    lang: Language,
) -> Result<Vec<(String, String)>, AppError> {
    let store = state.store.clone();
    let events = blocking(move || crate::hr::events::summaries(store.as_ref())).await??;
    Ok(events
        .into_iter()
        .map(|event| {
            (
                event.id.as_str().to_owned(),
                event.name.get(lang).to_owned(),
            )
        })
        .collect())
}

/// An event's name among `choices`, or its id.
pub(super) fn event_name<'a>(choices: &'a [(String, String)], id: &'a str) -> &'a str {
    choices
        .iter()
        .find(|(event, _)| event == id)
        .map_or(id, |(_, name)| name.as_str())
}

/// A page that says why something could not be done, with a link back.
pub(super) fn message_page(
    console: &Console,
    uri: &Uri,
    nav: Nav,
    status: StatusCode,
    (title, message): (&str, &str),
    (back_href, back_text): (&str, &str),
) -> Response {
    let page = console.page(title, uri, nav, false).render(html! {
        p { (message) }
        p { a href=(back_href) { (back_text) } }
    });
    html_page(status, page)
}

/// The first 8 characters of a device key: enough to tell a fair's tablets apart.
fn short(id: &str) -> &str {
    id.get(..8).unwrap_or(id)
}

#[derive(Debug, Default, Deserialize)]
pub(crate) struct CodeForm {
    #[serde(default)]
    event_id: String,
    #[serde(default)]
    role: String,
    #[serde(default)]
    recruiter: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    uses: String,
    #[serde(default)]
    valid_hours: String,
}

#[derive(Debug, Deserialize)]
pub(crate) struct Shown {
    revoked: Option<String>,
    renamed: Option<String>,
}

pub(crate) async fn page(
    State(state): State<AppState>,
    console: Console,
    uri: Uri,
    Query(shown): Query<Shown>,
) -> Response {
    let t = texts(console.lang);
    let message = match shown.revoked.as_deref() {
        Some("new") => Some(t.revoked_notice),
        Some("already") => Some(t.already_revoked_notice),
        _ => shown
            .renamed
            .is_some()
            .then(|| super::device_names::texts(console.lang).renamed_notice),
    };
    let form = CodeForm {
        role: "kiosk".into(),
        uses: "1".into(),
        valid_hours: "24".into(),
        ..CodeForm::default()
    };
    render_list(&state, &console, &uri, &form, &[], message).await
}

/// The devices page with the code form as typed and its `errors`.
async fn render_list(
    state: &AppState,
    console: &Console,
    uri: &Uri,
    form: &CodeForm,
    errors: &[FieldError],
    message: Option<&str>,
) -> Response {
    let devices = match device_rows(state, &console.caller, None).await {
        Ok(devices) => devices,
        Err(error) => return console.refuse(error, uri).into_response(),
    };
    let events = match event_choices(state, console.lang).await {
        Ok(events) => events,
        Err(error) => return console.refuse(error, uri).into_response(),
    };
    let lang = console.lang;
    let t = texts(lang);
    let recruiters = match recruiter_choices(state, console, &events).await {
        Ok(recruiters) => recruiters,
        Err(error) => return console.refuse(error, uri).into_response(),
    };
    let page = console
        .page(t.title, uri, Nav::Devices, !errors.is_empty())
        .render(html! {
            (error_summary(lang, errors))
            @if let Some(message) = message {
                (notice(message))
            }
            (code_form(console, &events, &recruiters, form, errors))
            (device_table(console, &events, &devices))
            @if let Some(dir) = &state.backup_record_dir {
                (super::backup_age::backup_section(dir, lang, crate::now_ms()))
            }
        });
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    html_page(status, page)
}

fn code_form(
    console: &Console,
    events: &[(String, String)],
    recruiters: &[(String, String)],
    form: &CodeForm,
    errors: &[FieldError],
) -> Markup {
    let lang = console.lang;
    let t = texts(lang);
    let event_options: Vec<(&str, &str)> = events
        .iter()
        .map(|(id, name)| (id.as_str(), name.as_str()))
        .collect();
    let roles = [("kiosk", t.kiosk), ("staff", t.staff)];
    // Chosen, not typed: only enabled recruiters are offered (the relay checks the
    // assignment to the chosen event when the code is made).
    let recruiter_options: Vec<(&str, &str)> = std::iter::once(("", t.recruiter_none))
        .chain(
            recruiters
                .iter()
                .map(|(u, label)| (u.as_str(), label.as_str())),
        )
        .collect();
    let uses = Field {
        value: &form.uses,
        hint: Some(t.uses_hint),
        error: error_of(errors, "uses"),
        required: true,
        ..Field::new("uses", t.uses, "number")
    };
    let hours = Field {
        value: &form.valid_hours,
        hint: Some(t.valid_hours_hint),
        error: error_of(errors, "valid_hours"),
        required: true,
        ..Field::new("valid_hours", t.valid_hours, "number")
    };
    html! {
        section aria-labelledby="code-heading" {
            h2 #code-heading { (t.code_heading) }
            p { (t.code_intro) }
            @if events.is_empty() {
                p { (t.no_events) }
            } @else {
                form method="post" action="/console/devices/enrollment-codes" novalidate {
                    input type="hidden" name="csrf_token" value=(console.signed.csrf);
                    (select(lang, "event_id", t.event, &event_options, &form.event_id, error_of(errors, "event_id")))
                    (select(lang, "role", t.role, &roles, &form.role, error_of(errors, "role")))
                    (recruiter_select(lang, &recruiter_options, form.recruiter.trim(), error_of(errors, "recruiter")))
                    (super::device_names::name_field(lang, &form.name, errors))
                    (uses.render(lang))
                    (hours.render(lang))
                    div.actions {
                        button.button type="submit" { (t.create_code) }
                    }
                }
            }
        }
    }
}

fn device_table(console: &Console, events: &[(String, String)], devices: &[DeviceRow]) -> Markup {
    let lang = console.lang;
    let t = texts(lang);
    let when = |at: Option<i64>| at.map_or_else(|| t.never.to_owned(), dates::local_minutes);
    html! {
        section aria-labelledby="devices-heading" {
            h2 #devices-heading { (t.devices_heading) }
            @if devices.is_empty() {
                p { (t.no_devices) }
            } @else {
                (super::layout::table_region(t.caption, html! { table {
                    caption { (t.caption) }
                    (column_heads(&[
                        t.col_tablet,
                        t.col_event,
                        t.col_role,
                        t.col_recruiter,
                        t.col_enrolled,
                        t.col_last_contact,
                        t.col_captured,
                        t.col_received,
                        t.col_state,
                        t.col_actions,
                    ]))
                    tbody {
                        @for device in devices {
                            @let tablet = short(&device.id);
                            tr {
                                th scope="row" {
                                    (super::device_names::shown_name(lang, device))
                                    " " span.code { (tablet) }
                                }
                                td { (event_name(events, &device.event_id)) }
                                td { (if device.role == "staff" { t.staff } else { t.kiosk }) }
                                td { (device.recruiter.as_deref().unwrap_or("–")) }
                                td.code { (dates::local_minutes(device.enrolled_at)) }
                                td.code { (when(device.last_contact)) }
                                td { (device.journalled) }
                                td { (device.received) }
                                td {
                                    @if let Some(revoked) = device.revoked_at {
                                        (super::texts::fill(t.revoked_on, dates::local_minutes(revoked)))
                                    } @else {
                                        (t.active)
                                    }
                                }
                                td {
                                    a href={ (DEVICES) "/" (device.id) "/name" } {
                                        (super::device_names::texts(lang).rename)
                                        span.visually-hidden { " " (tablet) }
                                    }
                                    @if device.revoked_at.is_none() {
                                        div.actions {
                                            a href={ (DEVICES) "/" (device.id) "/revoke" } {
                                                (t.revoke) span.visually-hidden { " " (tablet) }
                                            }
                                            @if device.role == "staff" {
                                                form method="post" action={ (DEVICES) "/" (device.id) "/unlock-code" } {
                                                    input type="hidden" name="csrf_token" value=(console.signed.csrf);
                                                    button.link-button type="submit" {
                                                        (t.issue_unlock) span.visually-hidden { " " (tablet) }
                                                    }
                                                }
                                            }
                                        }
                                    }
                                }
                            }
                        }
                    }
                } }))
            }
        }
    }
}

/// The recruiter's `<select>`, with its hint and error tied to it.
fn recruiter_select(
    lang: Language,
    options: &[(&str, &str)],
    chosen: &str,
    error: Option<&str>,
) -> Markup {
    let t = texts(lang);
    let described = if error.is_some() {
        "recruiter-hint recruiter-error"
    } else {
        "recruiter-hint"
    };
    html! {
        div.field.field-error[error.is_some()] {
            label for="recruiter" { (t.recruiter) }
            p.hint #recruiter-hint { (t.recruiter_hint) }
            @if let Some(error) = error {
                p.error-message #recruiter-error {
                    span.visually-hidden { (super::texts::texts(lang).error_label) " " }
                    (error)
                }
            }
            select #recruiter name="recruiter"
                aria-invalid=[error.map(|_| "true")]
                aria-describedby=(described) {
                @for (value, text) in options {
                    option value=(value) selected[*value == chosen] { (text) }
                }
            }
        }
    }
}

/// The enabled HR users with the recruiter role, as (username, label): the label names
/// them and the events they are assigned to.
async fn recruiter_choices(
    state: &AppState,
    console: &Console,
    events: &[(String, String)],
) -> Result<Vec<(String, String)>, AppError> {
    let t = texts(console.lang);
    let users = crate::hr::account_service::user_directory(state, &console.caller).await?;
    Ok(users
        .into_iter()
        .filter(|e| crate::hr::policy::may_have_a_tablet_act_for_them(&e.user))
        .map(|e| {
            let assigned: Vec<&str> = e
                .assigned_events
                .iter()
                .map(|id| event_name(events, id))
                .collect();
            let label = if assigned.is_empty() {
                format!("{} ({})", e.user.display_name, e.user.username)
            } else {
                format!(
                    "{} ({}) – {} {}",
                    e.user.display_name,
                    e.user.username,
                    t.recruiter_assigned_to,
                    assigned.join(", ")
                )
            };
            (e.user.username, label)
        })
        .collect())
}

/// The form's error for a refusal of the code request, by the field it names first.
fn code_error(t: &Texts, error: &HrError) -> Option<FieldError> {
    Some(match error {
        HrError::NotFound(Missing::Event) => FieldError::on("event_id", t.bad_event),
        HrError::Recruiter(refusal) => FieldError::on(
            "recruiter",
            match refusal {
                RecruiterRefusal::UnknownUser => t.recruiter_unknown,
                RecruiterRefusal::Disabled => t.recruiter_disabled,
                RecruiterRefusal::NotARecruiter => t.recruiter_not_recruiter,
                RecruiterRefusal::NotAssigned => t.recruiter_not_assigned,
            },
        ),
        HrError::BadBody(message) => match message.split(':').next().unwrap_or_default() {
            "role" => FieldError::on("role", t.bad_role),
            "recruiter" if message.contains("names its recruiter") => {
                FieldError::on("recruiter", t.recruiter_missing)
            }
            "recruiter" if message.contains("only a staff code") => {
                FieldError::on("recruiter", t.recruiter_not_for_kiosk)
            }
            "recruiter" => FieldError::on("recruiter", t.recruiter_unknown),
            "uses" => FieldError::on("uses", t.bad_uses),
            "valid_hours" => FieldError::on("valid_hours", t.bad_valid_hours),
            _ => return None,
        },
        _ => return None,
    })
}

/// A number typed in a form field, or the field's error.
fn typed_number(value: &str, field: &'static str, message: &str) -> Result<u32, FieldError> {
    value
        .trim()
        .parse()
        .map_err(|_| FieldError::on(field, message))
}

pub(crate) async fn create_code(
    State(state): State<AppState>,
    uri: Uri,
    headers: HeaderMap,
    ConsoleForm { console, form }: ConsoleForm<CodeForm>,
) -> Response {
    let t = texts(console.lang);
    if let Err(refusal) = crate::hr::policy::may_manage_devices(&console.caller.user) {
        return console.refuse(refusal, &uri).into_response();
    }
    let uses = typed_number(&form.uses, "uses", t.bad_uses);
    let hours = typed_number(&form.valid_hours, "valid_hours", t.bad_valid_hours);
    let (uses, valid_hours) = match (uses, hours) {
        (Ok(uses), Ok(hours)) => (uses, hours),
        (uses, hours) => {
            let errors: Vec<FieldError> = [uses.err(), hours.err()].into_iter().flatten().collect();
            return render_list(&state, &console, &uri, &form, &errors, None).await;
        }
    };
    let request = CodeRequest {
        event_id: form.event_id.clone(),
        role: form.role.clone(),
        recruiter: Some(form.recruiter.clone()),
        name: Some(form.name.clone()),
        uses,
        valid_hours,
    };
    let created = match create_enrollment_code(&state, &console.caller, &headers, request).await {
        Ok(created) => created,
        Err(error) => {
            let refused = super::device_names::name_error(console.lang, &error)
                .or_else(|| code_error(t, &error));
            return match refused {
                Some(field_error) => {
                    render_list(&state, &console, &uri, &form, &[field_error], None).await
                }
                None => console.refuse(error, &uri).into_response(),
            };
        }
    };
    let events = event_choices(&state, console.lang)
        .await
        .unwrap_or_default();
    let role = if form.role == "staff" {
        t.staff
    } else {
        t.kiosk
    };
    // The SVG is the relay's own markup (numbers and the escaped label only), so it goes
    // into the page as it is; the CSP forbids scripts, not inline SVG.
    let svg = created
        .qr_text
        .as_deref()
        .and_then(|text| qr_svg(text, t.qr_label));
    let page = console
        .page(t.code_title, &uri, Nav::Devices, false)
        .render(html! {
            div.notice role="status" { p { strong { (t.code_shown_once) } } }
            p { (t.code_label) ":" }
            p.secret.code { (created.code) }
            h2 { (t.code_details) }
            dl.details {
                dt { (t.code_for) }
                dd {
                    (event_name(&events, &form.event_id)) ", " (role)
                    @if form.role == "staff" { " (" (form.recruiter.trim()) ")" }
                }
                @if let Ok(Some(name)) = crate::hr::device_names::device_name(&form.name) {
                    dt { (super::device_names::texts(console.lang).name) } dd { (name) }
                }
                dt { (t.uses) } dd { (uses) }
                dt { (t.code_expires) } dd.code { (dates::local_minutes(created.expires_at)) }
            }
            h2 { (t.qr_heading) }
            @if let Some(svg) = svg {
                div.qr { (PreEscaped(svg)) }
            } @else {
                p { (t.qr_missing) }
            }
            p { a href=(DEVICES) { (t.back) } }
        });
    // Shown once: no cache keeps the page either (the console's headers say `no-store`).
    html_page(StatusCode::OK, page)
}

/// The confirmation page before a revocation.
pub(crate) async fn confirm_revoke(
    State(state): State<AppState>,
    console: Console,
    uri: Uri,
    Path(id): Path<String>,
) -> Response {
    let t = texts(console.lang);
    // The list says whether the device exists (and checks the role), as the revocation will.
    let devices = match device_rows(&state, &console.caller, None).await {
        Ok(devices) => devices,
        Err(error) => return console.refuse(error, &uri).into_response(),
    };
    let Some(device) = devices.iter().find(|d| d.id == id) else {
        return not_found(&console, &uri);
    };
    let events = event_choices(&state, console.lang)
        .await
        .unwrap_or_default();
    let page = console
        .page(t.revoke_title, &uri, Nav::Devices, false)
        .render(html! {
            dl.details {
                dt { (t.col_tablet) } dd {
                    @if let Some(name) = &device.name { (name) " " }
                    span.code { (short(&device.id)) }
                }
                dt { (t.col_event) } dd { (event_name(&events, &device.event_id)) }
                dt { (t.col_role) } dd { (if device.role == "staff" { t.staff } else { t.kiosk }) }
                @if let Some(recruiter) = &device.recruiter {
                    dt { (t.col_recruiter) } dd { (recruiter) }
                }
            }
            p { (t.revoke_intro) }
            form method="post" action={ (DEVICES) "/" (device.id) "/revoke" } {
                input type="hidden" name="csrf_token" value=(console.signed.csrf);
                div.actions {
                    button.button type="submit" { (t.revoke_confirm) }
                    a href=(DEVICES) { (t.cancel) }
                }
            }
        });
    html_page(StatusCode::OK, page)
}

fn not_found(console: &Console, uri: &Uri) -> Response {
    let t = texts(console.lang);
    message_page(
        console,
        uri,
        Nav::Devices,
        StatusCode::NOT_FOUND,
        (t.not_found_title, t.unknown_device),
        (DEVICES, t.back),
    )
}

pub(crate) async fn revoke(
    State(state): State<AppState>,
    uri: Uri,
    Path(id): Path<String>,
    ConsoleForm { console, .. }: ConsoleForm<HashMap<String, String>>,
) -> Response {
    match revoke_device(&state, &console.caller, &id).await {
        Ok(newly) => Redirect::to(&format!(
            "{DEVICES}?revoked={}",
            if newly { "new" } else { "already" }
        ))
        .into_response(),
        Err(HrError::NotFound(Missing::Device)) => not_found(&console, &uri),
        Err(error) => console.refuse(error, &uri).into_response(),
    }
}

pub(crate) async fn unlock_code(
    State(state): State<AppState>,
    uri: Uri,
    Path(id): Path<String>,
    ConsoleForm { console, .. }: ConsoleForm<HashMap<String, String>>,
) -> Response {
    let t = texts(console.lang);
    let unlock = match issue_unlock_code(&state, &console.caller, &id).await {
        Ok(unlock) => unlock,
        Err(HrError::NotFound(Missing::Device)) => return not_found(&console, &uri),
        Err(HrError::Conflict(Conflict::NotAStaffTablet)) => {
            return message_page(
                &console,
                &uri,
                Nav::Devices,
                StatusCode::CONFLICT,
                (t.not_staff_title, t.not_staff),
                (DEVICES, t.back),
            );
        }
        Err(error) => return console.refuse(error, &uri).into_response(),
    };
    // Without the dashes the code is pure QR alphanumeric data (a smaller symbol); the
    // tablet reads it either way. As with the enrollment QR, the SVG is the relay's own
    // markup.
    let svg = qr_svg(&unlock.unlock_code.replace('-', ""), t.unlock_qr_label);
    let page = console
        .page(t.unlock_title, &uri, Nav::Devices, false)
        .render(html! {
            dl.details {
                dt { (t.col_tablet) } dd.code { (short(&id)) }
            }
            p { (t.unlock_intro) }
            h2 { (t.unlock_offline_heading) }
            p { (t.unlock_offline) }
            // A signed unlock always fits a QR code; should one not, the text below stays.
            @if let Some(svg) = svg {
                div.qr { (PreEscaped(svg)) }
            }
            // The text stays for a scanner that types it, or a copy and paste; folded
            // away, since nobody should try to type about 380 characters.
            details {
                summary { (t.unlock_text_summary) }
                p { (t.unlock_label) ":" }
                p.secret.code { (unlock.unlock_code) }
            }
            p { a href=(DEVICES) { (t.back) } }
        });
    html_page(StatusCode::OK, page)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hr::devices::{MAX_USES, MAX_VALID_HOURS};

    #[test]
    fn each_refusal_of_a_code_request_lands_on_its_field_in_both_languages() {
        for t in [&SV, &EN] {
            for (error, field, message) in [
                (HrError::from(Missing::Event), "event_id", t.bad_event),
                (
                    HrError::BadBody("role: kiosk or staff".into()),
                    "role",
                    t.bad_role,
                ),
                (
                    HrError::BadBody("recruiter: a staff code names its recruiter".into()),
                    "recruiter",
                    t.recruiter_missing,
                ),
                (
                    HrError::BadBody("recruiter: only a staff code names one".into()),
                    "recruiter",
                    t.recruiter_not_for_kiosk,
                ),
                (
                    HrError::Recruiter(RecruiterRefusal::NotAssigned),
                    "recruiter",
                    t.recruiter_not_assigned,
                ),
                (
                    HrError::Recruiter(RecruiterRefusal::UnknownUser),
                    "recruiter",
                    t.recruiter_unknown,
                ),
                (
                    HrError::BadBody(format!("uses: 1–{MAX_USES}")),
                    "uses",
                    t.bad_uses,
                ),
                (
                    HrError::BadBody(format!("valid_hours: 1–{MAX_VALID_HOURS}")),
                    "valid_hours",
                    t.bad_valid_hours,
                ),
            ] {
                let shown = code_error(t, &error).expect("a field error");
                assert_eq!(
                    (shown.field, shown.message.as_str()),
                    (Some(field), message)
                );
            }
            assert!(code_error(t, &HrError::from(Missing::Device)).is_none());
        }
    }
}
