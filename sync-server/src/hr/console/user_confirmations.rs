//! The confirmation pages of `/console/users` ([`super::confirmations`]): before the
//! clearance for protected personal data is granted or withdrawn (which also asks why; the
//! reason goes with the change into the access changes and the access log), and before an
//! event is taken from a recruiter. The users page's handlers ask for these pages when a
//! POST comes without `confirmed=yes`, and act only on the confirmed one.

use axum::http::{StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use kiosk_core::language::Language;
use serde::Deserialize;

use super::Console;
use super::confirmations::{self, Confirmation, ReasonField};
use super::devices::{event_choices, event_name, message_page};
use super::layout::Nav;
use crate::hr::error::{HrError, Missing};
use crate::hr::user_access::{check_reason, user_access_record};
use crate::state::AppState;

const USERS: &str = "/console/users";

#[derive(Debug)]
struct Texts {
    user: &'static str,
    event: &'static str,
    grant_title: &'static str,
    grant_intro: &'static str,
    grant_confirm: &'static str,
    withdraw_title: &'static str,
    withdraw_intro: &'static str,
    withdraw_confirm: &'static str,
    reason_label: &'static str,
    reason_hint: &'static str,
    reason_missing: &'static str,
    reason_bad: &'static str,
    unassign_title: &'static str,
    unassign_intro: &'static str,
    unassign_confirm: &'static str,
    not_found_title: &'static str,
    unknown_user: &'static str,
    back: &'static str,
}

const SV: Texts = Texts {
    user: "Användare",
    event: "Evenemang",
    grant_title: "Ge behörighet för skyddade personuppgifter?",
    grant_intro: "Användaren får läsa registreringar från personer med skyddade personuppgifter, till exempel skyddad identitet. Ge behörigheten bara till den som behöver den i sitt arbete. Skälet sparas med ändringen och i åtkomstloggen.",
    grant_confirm: "Ja, ge behörigheten",
    withdraw_title: "Ta bort behörigheten för skyddade personuppgifter?",
    withdraw_intro: "Användaren kan inte längre läsa registreringar med skyddade personuppgifter. Skälet sparas med ändringen och i åtkomstloggen.",
    withdraw_confirm: "Ja, ta bort behörigheten",
    reason_label: "Skäl",
    reason_hint: "1–500 tecken, till exempel ärendets diarienummer. Skriv inga uppgifter om besökare.",
    reason_missing: "Skriv ett skäl.",
    reason_bad: "Skälet får vara högst 500 tecken och inte innehålla styrtecken.",
    unassign_title: "Ta bort tilldelningen?",
    unassign_intro: "Användaren läser inte längre evenemangets registreringar, och en personalplatta som är kopplad till användaren för evenemanget får inga fler registreringar.",
    unassign_confirm: "Ja, ta bort tilldelningen",
    not_found_title: "Användaren finns inte",
    unknown_user: "Det finns ingen användare med det id:t.",
    back: "Tillbaka till användarna",
};

const EN: Texts = Texts {
    user: "User",
    event: "Event",
    grant_title: "Grant the clearance for protected personal data?",
    grant_intro: "The user may read registrations from people with protected personal data, such as a protected identity. Grant it only to someone whose work needs it. The reason is kept with the change and in the access log.",
    grant_confirm: "Yes, grant the clearance",
    withdraw_title: "Withdraw the clearance for protected personal data?",
    withdraw_intro: "The user can no longer read registrations with protected personal data. The reason is kept with the change and in the access log.",
    withdraw_confirm: "Yes, withdraw the clearance",
    reason_label: "Reason",
    reason_hint: "1–500 characters, for example the case number. Write nothing about visitors.",
    reason_missing: "Write a reason.",
    reason_bad: "The reason may be at most 500 characters, with no control characters.",
    unassign_title: "Remove the assignment?",
    unassign_intro: "The user no longer reads the event's registrations, and a staff tablet bound to the user for the event receives no more of them.",
    unassign_confirm: "Yes, remove the assignment",
    not_found_title: "No such user",
    unknown_user: "There is no user with that id.",
    back: "Back to the users",
};

fn texts(lang: Language) -> &'static Texts {
    match lang {
        Language::Swedish => &SV,
        Language::English => &EN,
    }
}

/// `POST /console/users/{id}/clearance`'s form: the clearance asked for, and from the
/// confirmation page the reason and `confirmed=yes`.
#[derive(Debug, Deserialize)]
pub(crate) struct ClearanceForm {
    #[serde(default)]
    pub restricted_clearance: String,
    #[serde(default)]
    pub reason: String,
    #[serde(default)]
    pub confirmed: String,
}

/// `POST /console/users/assignments/remove`'s form.
#[derive(Debug, Deserialize)]
pub(crate) struct UnassignForm {
    #[serde(default)]
    pub user_id: String,
    #[serde(default)]
    pub event_id: String,
    #[serde(default)]
    pub confirmed: String,
}

/// "Name (username)" of user `id`, or the page that says there is none (or the refusal of
/// a caller who may not manage users).
async fn user_named(
    state: &AppState,
    console: &Console,
    uri: &Uri,
    id: u64,
) -> Result<String, Response> {
    match user_access_record(state, &console.caller, id).await {
        Ok(record) => Ok(format!(
            "{} ({})",
            record.user.display_name, record.user.username
        )),
        Err(HrError::NotFound(Missing::User)) => {
            let t = texts(console.lang);
            Err(message_page(
                console,
                uri,
                Nav::Users,
                StatusCode::NOT_FOUND,
                (t.not_found_title, t.unknown_user),
                (USERS, t.back),
            ))
        }
        Err(error) => Err(console.refuse(error, uri).into_response()),
    }
}

/// The reason for a clearance change as the confirmed form gave it, or the message that
/// puts it back on the confirmation page.
pub(super) fn clearance_reason(
    lang: Language,
    form: &ClearanceForm,
) -> Result<String, &'static str> {
    let t = texts(lang);
    match check_reason(Some(&form.reason), true) {
        Ok(Some(reason)) => Ok(reason),
        _ if form.reason.trim().is_empty() => Err(t.reason_missing),
        _ => Err(t.reason_bad),
    }
}

/// The confirmation page of a clearance change (`error`: a refused reason, shown with it).
pub(super) async fn confirm_clearance(
    state: &AppState,
    console: &Console,
    uri: &Uri,
    id: u64,
    grant: bool,
    form: &ClearanceForm,
    error: Option<&str>,
) -> Response {
    let named = match user_named(state, console, uri, id).await {
        Ok(named) => named,
        Err(page) => return page,
    };
    let t = texts(console.lang);
    let (title, intro, confirm) = if grant {
        (t.grant_title, t.grant_intro, t.grant_confirm)
    } else {
        (t.withdraw_title, t.withdraw_intro, t.withdraw_confirm)
    };
    confirmations::page(
        console,
        uri,
        Nav::Users,
        if error.is_some() {
            StatusCode::UNPROCESSABLE_ENTITY
        } else {
            StatusCode::OK
        },
        Confirmation {
            title,
            details: vec![(t.user, named)],
            intro,
            action: format!("{USERS}/{id}/clearance"),
            hidden: vec![(
                "restricted_clearance",
                if grant { "true" } else { "false" }.to_owned(),
            )],
            reason: Some(ReasonField {
                label: t.reason_label,
                hint: t.reason_hint,
                value: &form.reason,
                error,
            }),
            confirm,
            cancel_href: USERS.to_owned(),
        },
    )
}

/// The confirmation page before event `form.event_id` is taken from user `user_id`.
pub(super) async fn confirm_unassign(
    state: &AppState,
    console: &Console,
    uri: &Uri,
    user_id: u64,
    form: &UnassignForm,
) -> Response {
    let named = match user_named(state, console, uri, user_id).await {
        Ok(named) => named,
        Err(page) => return page,
    };
    let t = texts(console.lang);
    let events = event_choices(state, console.lang).await.unwrap_or_default();
    confirmations::page(
        console,
        uri,
        Nav::Users,
        StatusCode::OK,
        Confirmation {
            title: t.unassign_title,
            details: vec![
                (t.user, named),
                (t.event, event_name(&events, &form.event_id).to_owned()),
            ],
            intro: t.unassign_intro,
            action: format!("{USERS}/assignments/remove"),
            hidden: vec![
                ("user_id", user_id.to_string()),
                ("event_id", form.event_id.clone()),
            ],
            reason: None,
            confirm: t.unassign_confirm,
            cancel_href: USERS.to_owned(),
        },
    )
}
