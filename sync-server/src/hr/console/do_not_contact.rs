//! The detail page's "asked not to be contacted" form (`POST …/do-not-contact`), the console's
//! way to what `POST /api/v1/registrations/{id}/do-not-contact` records: the visitor's email
//! and phone go onto the do-not-contact list on the basis
//! [`crate::blind_index::BASIS_OBJECTED`], the act is access-logged as a change of the record,
//! and from then on this and later registrations with the same email or phone show
//! "Har bett att inte bli kontaktad" ([`super::contact_flags`]). It asks for a confirmation
//! on a page of its own first ([`super::confirmations`]); the handler calls the API's
//! function ([`record_objection_logged`]), so who may do it is the same in both.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use kiosk_core::language::Language;
use kiosk_core::registration::Registration;
use maud::{Markup, html};

use super::ConsoleForm;
use super::confirmations::{self, Confirmation};
use super::detail::{detail_path, detail_uri, saved_redirect};
use super::layout::Nav;
use crate::blocking::blocking;
use crate::hr::accounts::HrUser;
use crate::hr::duplicates::{ContactFlags, record_objection_logged};
use crate::hr::error::HrError;
use crate::hr::policy::{may_read, require_withdrawer};
use crate::hr::record_access::{reachable_record, require_for_record};
use crate::rules::blind_index::normalized_contacts;
use crate::state::AppState;

/// The `saved` value of the detail page's address after a recorded request.
const SAVED: &str = "do-not-contact";

#[derive(Debug)]
struct DoNotContactTexts {
    heading: &'static str,
    hint: &'static str,
    button: &'static str,
    confirm_title: &'static str,
    confirm_intro: &'static str,
    confirm: &'static str,
    record: &'static str,
    basis_label: &'static str,
    basis: &'static str,
    keep_label: &'static str,
    keep: &'static str,
    saved: &'static str,
}

const SV: DoNotContactTexts = DoNotContactTexts {
    heading: "Besökaren vill inte bli kontaktad",
    hint: "När besökaren ber att inte bli kontaktad om andra tjänster. Registreringen och senare registreringar med samma e-postadress eller telefonnummer märks då ”Har bett att inte bli kontaktad”.",
    button: "Registrera begäran",
    confirm_title: "Registrera att besökaren inte vill bli kontaktad?",
    confirm_intro: "Besökarens e-postadress och telefonnummer förs in i listan över personer som inte ska kontaktas, som nyckelade kontrollsummor (inte i klartext). Den här registreringen och senare registreringar med samma e-postadress eller telefonnummer märks ”Har bett att inte bli kontaktad”. Registreringen i sig ändras inte och finns kvar tills den gallras. Åtgärden loggas i åtkomstloggen under ditt namn.",
    confirm: "Ja, registrera begäran",
    record: "Registrering",
    basis_label: "Grund",
    basis: "Besökaren har själv bett att inte bli kontaktad (objected_to_contact)",
    keep_label: "Sparas",
    keep: "I tre år från i dag, sedan tas uppgiften bort ur listan",
    saved: "Begäran är registrerad: besökaren ska inte kontaktas.",
};

const EN: DoNotContactTexts = DoNotContactTexts {
    heading: "The visitor asks not to be contacted",
    hint: "When the visitor asks not to be contacted about other roles. This registration and later ones with the same email address or phone number are then marked “Asked not to be contacted”.",
    button: "Record the request",
    confirm_title: "Record that the visitor asked not to be contacted?",
    confirm_intro: "The visitor's email address and phone number go onto the list of people not to be contacted, as keyed checksums (not in plain text). This registration and later ones with the same email address or phone number are marked “Asked not to be contacted”. The registration itself does not change and stays until it is removed. The act is written to the access log under your name.",
    confirm: "Yes, record the request",
    record: "Registration",
    basis_label: "Basis",
    basis: "The visitor asked not to be contacted (objected_to_contact)",
    keep_label: "Kept",
    keep: "For three years from today, then it leaves the list",
    saved: "The request is recorded: the visitor is not to be contacted.",
};

fn dnc_texts(lang: Language) -> &'static DoNotContactTexts {
    match lang {
        Language::Swedish => &SV,
        Language::English => &EN,
    }
}

/// The notice after a recorded request (`?saved=do-not-contact`).
pub(super) fn saved_notice(lang: Language, saved: &str) -> Option<&'static str> {
    (saved == SAVED).then(|| dnc_texts(lang).saved)
}

/// Whether the form has anything to add: the record has an email or phone (normalised as the
/// list keeps them) that is not on the list yet. A record already flagged on every field it
/// has is shown flagged instead ([`super::contact_flags`]); adding again would change nothing.
fn something_to_add(registration: &Registration, flags: &ContactFlags) -> bool {
    normalized_contacts(
        registration.person.email.as_deref(),
        registration.person.phone.as_deref(),
    )
    .iter()
    .any(|(field, _)| {
        !flags
            .do_not_contact
            .iter()
            .any(|entry| entry.field == field.as_str())
    })
}

/// The form, for a user who may record the request, when there is something to add.
pub(super) fn section(
    lang: Language,
    user: &HrUser,
    registration: &Registration,
    flags: &ContactFlags,
    csrf: &str,
) -> Markup {
    if require_withdrawer(user).is_err() || !something_to_add(registration, flags) {
        return html! {};
    }
    let d = dnc_texts(lang);
    html! {
        (confirmations::StartForm {
            action: &format!("{}/do-not-contact", detail_path(registration.id.as_str())),
            heading_id: "do-not-contact-heading",
            heading: d.heading,
            in_section: false,
            hint: d.hint,
            button: d.button,
            csrf,
        }
        .render())
    }
}

/// `POST /console/registrations/{id}/do-not-contact`: first the confirmation page, then,
/// confirmed, the request recorded as the API records it.
pub(crate) async fn ask(
    State(state): State<AppState>,
    Path(id): Path<String>,
    ConsoleForm { console, form }: ConsoleForm<confirmations::ConfirmForm>,
) -> Response {
    let uri = detail_uri(&id);
    // Who may is asked before the page is offered, as the API asks it before recording.
    if let Err(refusal) =
        require_for_record(&state, &console.caller.user, &id, require_withdrawer).await
    {
        return console.refuse(refusal, &uri).into_response();
    }
    if !confirmations::is_confirmed(&form.confirmed) {
        // Only a record the user may read is offered (a refused attempt is logged, and a
        // restricted one refused as never held), as the request itself will check.
        let (store, user, doc_id) = (state.store.clone(), console.caller.user.clone(), id.clone());
        if let Err(refusal) =
            blocking(move || reachable_record(store.as_ref(), &user, &doc_id, may_read).map(drop))
                .await
                .map_err(HrError::from)
                .and_then(|r| r)
        {
            return console.refuse(refusal, &uri).into_response();
        }
        let d = dnc_texts(console.lang);
        return confirmations::page(
            &console,
            &uri,
            Nav::None,
            StatusCode::OK,
            Confirmation {
                title: d.confirm_title,
                details: vec![
                    (d.record, id.clone()),
                    (d.basis_label, d.basis.to_owned()),
                    (d.keep_label, d.keep.to_owned()),
                ],
                intro: d.confirm_intro,
                action: format!("{}/do-not-contact", detail_path(&id)),
                hidden: Vec::new(),
                reason: None,
                confirm: d.confirm,
                cancel_href: detail_path(&id),
            },
        );
    }
    let (store, user, doc_id) = (state.store.clone(), console.caller.user.clone(), id.clone());
    let keys = state.index_keys.clone();
    match blocking(move || record_objection_logged(store.as_ref(), &keys, &user, &doc_id))
        .await
        .map_err(HrError::from)
        .and_then(|r| r)
    {
        Ok(()) => saved_redirect(&id, SAVED),
        Err(error) => console.refuse(error, &uri).into_response(),
    }
}
