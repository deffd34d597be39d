//! `/console/devices/{id}/name` (admins): the form that gives an enrolled tablet the name HR
//! chooses ("Kiosk 1, Göteborg"), and the texts the devices page uses for the name (its
//! field in the enrollment-code form, its error, the notice after a rename). The rule is
//! [`crate::hr::device_names`]'s, as the JSON API uses it; this module renders and puts a
//! refusal by its field.

use axum::extract::{Path, State};
use axum::http::{StatusCode, Uri};
use axum::response::{IntoResponse, Redirect, Response};
use kiosk_core::language::Language;
use maud::{Markup, html};
use serde::Deserialize;

use super::layout::{Field, FieldError, Nav, error_of, error_summary};
use super::{Console, ConsoleForm, html_page};
use crate::hr::device_names::rename_device;
use crate::hr::devices::{DeviceRow, device_rows};
use crate::hr::error::{HrError, Missing};
use crate::state::AppState;

const DEVICES: &str = "/console/devices";

/// The texts of a tablet's name, in one language.
#[derive(Debug)]
pub(super) struct Texts {
    pub(super) name: &'static str,
    pub(super) name_hint: &'static str,
    pub(super) bad_name: &'static str,
    pub(super) rename: &'static str,
    pub(super) renamed_notice: &'static str,
    pub(super) unnamed: &'static str,
    title: &'static str,
    intro: &'static str,
    tablet: &'static str,
    save: &'static str,
    cancel: &'static str,
    not_found_title: &'static str,
    unknown_device: &'static str,
    back: &'static str,
}

const SV: Texts = Texts {
    name: "Namn på surfplattan",
    name_hint: "Valfritt. Ett namn som gör plattan lätt att känna igen, till exempel ”Kiosk 1, Göteborg”. Högst 60 tecken.",
    bad_name: "Skriv ett namn på högst 60 tecken, utan radbrytningar.",
    rename: "Byt namn",
    renamed_notice: "Surfplattans namn är sparat.",
    unnamed: "(inget namn)",
    title: "Byt namn på surfplattan",
    intro: "Namnet visas överallt där surfplattan nämns: i listan över surfplattor, på registreringar, i åtkomstloggen, i avstämningen och i registerutdrag. Lämna fältet tomt för att ta bort namnet.",
    tablet: "Surfplatta",
    save: "Spara namnet",
    cancel: "Avbryt",
    not_found_title: "Surfplattan finns inte",
    unknown_device: "Det finns ingen surfplatta med den adressen.",
    back: "Tillbaka till surfplattorna",
};

const EN: Texts = Texts {
    name: "Name of the tablet",
    name_hint: "Optional. A name that makes the tablet easy to recognise, for example “Kiosk 1, Göteborg”. At most 60 characters.",
    bad_name: "Enter a name of at most 60 characters, without line breaks.",
    rename: "Rename",
    renamed_notice: "The tablet's name is saved.",
    unnamed: "(no name)",
    title: "Rename the tablet",
    intro: "The name is shown wherever the tablet is mentioned: the list of tablets, registrations, the access log, reconciliation and subject access reports. Leave the field empty to remove the name.",
    tablet: "Tablet",
    save: "Save the name",
    cancel: "Cancel",
    not_found_title: "No such tablet",
    unknown_device: "There is no tablet at that address.",
    back: "Back to the tablets",
};

pub(super) fn texts(lang: Language) -> &'static Texts {
    match lang {
        Language::Swedish => &SV,
        Language::English => &EN,
    }
}

/// The name's field, as typed, with its error.
pub(super) fn name_field(lang: Language, value: &str, errors: &[FieldError]) -> Markup {
    let t = texts(lang);
    Field {
        value,
        hint: Some(t.name_hint),
        error: error_of(errors, "name"),
        autocomplete: Some("off"),
        ..Field::new("name", t.name, "text")
    }
    .render(lang)
}

/// The form's error for a refused name, if `error` is one.
pub(super) fn name_error(lang: Language, error: &HrError) -> Option<FieldError> {
    matches!(error, HrError::InvalidField { field: "name", .. })
        .then(|| FieldError::on("name", texts(lang).bad_name))
}

/// How the devices page names a tablet in its table: the name, or that it has none.
pub(super) fn shown_name(lang: Language, device: &DeviceRow) -> String {
    device
        .name
        .clone()
        .unwrap_or_else(|| texts(lang).unnamed.to_owned())
}

#[derive(Debug, Default, Deserialize)]
pub(crate) struct NameForm {
    #[serde(default)]
    name: String,
}

/// The device `id` among the devices the caller may manage, or the answer to give instead.
async fn find_device(
    state: &AppState,
    console: &Console,
    uri: &Uri,
    id: &str,
) -> Result<DeviceRow, Response> {
    let devices = device_rows(state, &console.caller, None)
        .await
        .map_err(|error| console.refuse(error, uri).into_response())?;
    devices
        .into_iter()
        .find(|d| d.id == id)
        .ok_or_else(|| not_found(console, uri))
}

fn not_found(console: &Console, uri: &Uri) -> Response {
    let t = texts(console.lang);
    super::devices::message_page(
        console,
        uri,
        Nav::Devices,
        StatusCode::NOT_FOUND,
        (t.not_found_title, t.unknown_device),
        (DEVICES, t.back),
    )
}

fn render(
    console: &Console,
    uri: &Uri,
    device: &DeviceRow,
    value: &str,
    errors: &[FieldError],
) -> Response {
    let lang = console.lang;
    let t = texts(lang);
    let page = console
        .page(t.title, uri, Nav::Devices, !errors.is_empty())
        .render(html! {
            (error_summary(lang, errors))
            dl.details {
                dt { (t.tablet) }
                dd.code { (device.fingerprint) }
            }
            p { (t.intro) }
            form method="post" action={ (DEVICES) "/" (device.id) "/name" } novalidate {
                input type="hidden" name="csrf_token" value=(console.signed.csrf);
                (name_field(lang, value, errors))
                div.actions {
                    button.button type="submit" { (t.save) }
                    a href=(DEVICES) { (t.cancel) }
                }
            }
        });
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    html_page(status, page)
}

pub(crate) async fn form(
    State(state): State<AppState>,
    console: Console,
    uri: Uri,
    Path(id): Path<String>,
) -> Response {
    match find_device(&state, &console, &uri, &id).await {
        Ok(device) => {
            let value = device.name.clone().unwrap_or_default();
            render(&console, &uri, &device, &value, &[])
        }
        Err(answer) => answer,
    }
}

pub(crate) async fn submit(
    State(state): State<AppState>,
    uri: Uri,
    Path(id): Path<String>,
    ConsoleForm { console, form }: ConsoleForm<NameForm>,
) -> Response {
    match rename_device(&state, &console.caller, &id, &form.name).await {
        Ok(_) => Redirect::to(&format!("{DEVICES}?renamed=1")).into_response(),
        Err(HrError::NotFound(Missing::Device)) => not_found(&console, &uri),
        Err(error) => match name_error(console.lang, &error) {
            Some(field_error) => match find_device(&state, &console, &uri, &id).await {
                Ok(device) => render(&console, &uri, &device, &form.name, &[field_error]),
                Err(answer) => answer,
            },
            None => console.refuse(error, &uri).into_response(),
        },
    }
}
