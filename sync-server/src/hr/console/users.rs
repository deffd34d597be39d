//! `/console/users` (admins): every HR user with roles, clearance (and the admin who
//! granted it), assigned events and the admin who created them; a form that creates a user
//! and shows the one-time password once; the restricted clearance granted or withdrawn
//! (never by a user for themselves, nor by an admin for an account they created or that
//! created theirs: [`crate::hr::policy::may_set_clearance`]); and an event assigned to a
//! recruiter; each user links to their access page ([`super::user_access`]: disable, remove
//! a role or the clearance, reset the password, revoke tokens). Rules, changes and
//! refusals are the account service's, which the JSON API calls too
//! ([`crate::hr::account_service`]); this module renders and puts refusals by their fields.

use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, Uri};
use axum::response::{IntoResponse, Redirect, Response};
use kiosk_core::language::Language;
use maud::{Markup, html};
use serde::Deserialize;

use super::confirmations::is_confirmed;
use super::devices::{event_choices, event_name, message_page};
use super::layout::{
    Field, FieldError, Nav, column_heads, error_of, error_summary, notice, select,
};
use super::texts::role_name;
use super::user_confirmations::{
    ClearanceForm, UnassignForm, clearance_reason, confirm_clearance, confirm_unassign,
};
use super::{Console, ConsoleForm, html_page};
use crate::error::AppError;
use crate::hr::account_service::{
    assign_event_to_recruiter, create_hr_user, set_user_clearance, unassign_event_from_recruiter,
    user_directory,
};
use crate::hr::accounts::{AccountError, AccountOrigin, Role};
use crate::hr::error::{Conflict, HrError, Missing};
use crate::hr::policy::{self, ClearanceBlock};
use crate::state::AppState;
use crate::storage::DirectoryEntry;

const USERS: &str = "/console/users";

/// This page's texts in one language.
#[derive(Debug)]
struct Texts {
    title: &'static str,
    users_heading: &'static str,
    caption: &'static str,
    col_username: &'static str,
    col_name: &'static str,
    col_roles: &'static str,
    col_password: &'static str,
    col_clearance: &'static str,
    col_events: &'static str,
    col_created_by: &'static str,
    col_change: &'static str,
    one_time: &'static str,
    own: &'static str,
    disabled: &'static str,
    manage: &'static str,
    yes: &'static str,
    no: &'static str,
    yes_granted_by: &'static str,
    not_recorded: &'static str,
    none: &'static str,
    grant: &'static str,
    withdraw: &'static str,
    yourself: &'static str,
    created_by_you: &'static str,
    your_creator: &'static str,
    new_heading: &'static str,
    username: &'static str,
    username_hint: &'static str,
    display_name: &'static str,
    roles: &'static str,
    create: &'static str,
    assign_heading: &'static str,
    assign_intro: &'static str,
    recruiter: &'static str,
    event: &'static str,
    choose: &'static str,
    assign: &'static str,
    no_recruiters: &'static str,
    bad_username: &'static str,
    username_taken: &'static str,
    bad_display_name: &'static str,
    no_role: &'static str,
    self_grant: &'static str,
    creator_grant: &'static str,
    bad_recruiter: &'static str,
    not_a_recruiter: &'static str,
    bad_event: &'static str,
    created_title: &'static str,
    created_intro: &'static str,
    one_time_label: &'static str,
    shown_once: &'static str,
    granted: &'static str,
    withdrawn: &'static str,
    assigned: &'static str,
    unassign: &'static str,
    unassign_short: &'static str,
    unassigned: &'static str,
    back: &'static str,
    not_found_title: &'static str,
    unknown_user: &'static str,
}

const SV: Texts = Texts {
    title: "Användare",
    users_heading: "Alla användare",
    caption: "Användare efter användarnamn",
    col_username: "Användarnamn",
    col_name: "Namn",
    col_roles: "Roller",
    col_password: "Lösenord",
    col_clearance: "Behörighet för skyddade personuppgifter",
    col_events: "Tilldelade evenemang",
    col_created_by: "Skapad av",
    col_change: "Ändra behörighet",
    one_time: "Engångslösenord, ännu inte bytt",
    own: "Eget",
    disabled: "Avstängd: kan inte logga in",
    manage: "Hantera åtkomst",
    yes: "Ja",
    no: "Nej",
    yes_granted_by: "Ja, given av {}",
    not_recorded: "Ingen uppgift",
    none: "Inga",
    grant: "Ge behörighet",
    withdraw: "Ta bort behörighet",
    yourself: "Din egen: en annan administratör ändrar behörigheten.",
    created_by_you: "Du skapade kontot: en annan administratör ändrar behörigheten.",
    your_creator: "Kontot skapade ditt konto: en annan administratör ändrar behörigheten.",
    new_heading: "Ny användare",
    username: "Användarnamn",
    username_hint: "3–64 tecken: små bokstäver a–z, siffror, punkt, bindestreck eller understreck.",
    display_name: "Namn som visas",
    roles: "Roller",
    create: "Skapa användare",
    assign_heading: "Tilldela ett evenemang",
    assign_intro: "En rekryterare läser registreringarna från de evenemang som hen är tilldelad.",
    recruiter: "Rekryterare",
    event: "Evenemang",
    choose: "Välj",
    assign: "Tilldela",
    no_recruiters: "Det finns inga rekryterare än.",
    bad_username: "Användarnamnet ska vara 3–64 tecken: små bokstäver a–z, siffror, punkt, bindestreck eller understreck.",
    username_taken: "Användarnamnet är upptaget. Välj ett annat.",
    bad_display_name: "Skriv ett namn på 1–100 tecken.",
    no_role: "Välj minst en roll.",
    self_grant: "Du kan inte ge eller ta bort din egen behörighet för skyddade personuppgifter. Be en annan administratör.",
    creator_grant: "Du kan inte ge eller ta bort behörigheten för ett konto som du skapade eller som skapade ditt. Behörigheten ges av en annan administratör än den som skapade kontot.",
    bad_recruiter: "Välj en rekryterare.",
    not_a_recruiter: "Användaren är inte rekryterare. Evenemang tilldelas bara rekryterare.",
    bad_event: "Välj ett evenemang som reläet har.",
    created_title: "Användaren är skapad",
    created_intro: "Ge användaren engångslösenordet på ett säkert sätt. Vid första inloggningen väljer hen ett eget lösenord.",
    one_time_label: "Engångslösenord för {}:",
    shown_once: "Lösenordet visas bara den här gången och kan inte visas igen.",
    granted: "Behörigheten för skyddade personuppgifter är given.",
    withdrawn: "Behörigheten för skyddade personuppgifter är borttagen.",
    assigned: "Evenemanget är tilldelat.",
    unassign: "Ta bort tilldelningen: {}",
    unassign_short: "Ta bort",
    unassigned: "Tilldelningen är borttagen. Användaren läser inte längre evenemangets registreringar.",
    back: "Tillbaka till användarna",
    not_found_title: "Användaren finns inte",
    unknown_user: "Det finns ingen användare med den adressen.",
};

const EN: Texts = Texts {
    title: "Users",
    users_heading: "All users",
    caption: "Users by username",
    col_username: "Username",
    col_name: "Name",
    col_roles: "Roles",
    col_password: "Password",
    col_clearance: "Clearance for protected records",
    col_events: "Assigned events",
    col_created_by: "Created by",
    col_change: "Change clearance",
    one_time: "One-time password, not yet replaced",
    own: "Their own",
    disabled: "Disabled: cannot log in",
    manage: "Manage access",
    yes: "Yes",
    no: "No",
    yes_granted_by: "Yes, granted by {}",
    not_recorded: "Not recorded",
    none: "None",
    grant: "Grant clearance",
    withdraw: "Withdraw clearance",
    yourself: "Your own: another administrator changes it.",
    created_by_you: "You created this account: another administrator changes it.",
    your_creator: "This account created yours: another administrator changes it.",
    new_heading: "New user",
    username: "Username",
    username_hint: "3–64 characters: lower-case letters a–z, digits, full stop, hyphen or underscore.",
    display_name: "Display name",
    roles: "Roles",
    create: "Create user",
    assign_heading: "Assign an event",
    assign_intro: "A recruiter reads the registrations of the events assigned to them.",
    recruiter: "Recruiter",
    event: "Event",
    choose: "Choose",
    assign: "Assign",
    no_recruiters: "There are no recruiters yet.",
    bad_username: "A username is 3–64 characters: lower-case letters a–z, digits, full stop, hyphen or underscore.",
    username_taken: "That username is taken. Choose another.",
    bad_display_name: "Enter a name of 1–100 characters.",
    no_role: "Choose at least one role.",
    self_grant: "You cannot grant or withdraw your own clearance for protected records. Ask another administrator.",
    creator_grant: "You cannot grant or withdraw the clearance of an account you created or that created yours. The clearance is granted by an administrator other than the one who created the account.",
    bad_recruiter: "Choose a recruiter.",
    not_a_recruiter: "The user is not a recruiter. Events are assigned to recruiters only.",
    bad_event: "Choose an event the relay holds.",
    created_title: "The user is created",
    created_intro: "Give the user the one-time password securely. At their first login they choose their own password.",
    one_time_label: "One-time password for {}:",
    shown_once: "The password is shown this once only and cannot be shown again.",
    granted: "The clearance for protected records is granted.",
    withdrawn: "The clearance for protected records is withdrawn.",
    assigned: "The event is assigned.",
    unassign: "Remove the assignment: {}",
    unassign_short: "Remove",
    unassigned: "The assignment is removed. The user no longer reads the event's registrations.",
    back: "Back to the users",
    not_found_title: "No such user",
    unknown_user: "There is no user at that address.",
};

fn texts(lang: Language) -> &'static Texts {
    match lang {
        Language::Swedish => &SV,
        Language::English => &EN,
    }
}

/// The new-user form as typed (never a password: there is none to type).
#[derive(Debug, Default)]
struct NewUserForm {
    username: String,
    display_name: String,
    roles: Vec<String>,
}

/// The assignment form as chosen.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct AssignForm {
    #[serde(default)]
    user_id: String,
    #[serde(default)]
    event_id: String,
}

#[derive(Debug, Deserialize)]
pub(crate) struct Shown {
    done: Option<String>,
}

/// What the users page shows besides the directory.
#[derive(Debug, Default)]
struct Shows<'a> {
    new_user: NewUserForm,
    assign: AssignForm,
    errors: Vec<FieldError>,
    message: Option<&'a str>,
}

pub(crate) async fn page(
    State(state): State<AppState>,
    console: Console,
    uri: Uri,
    Query(shown): Query<Shown>,
) -> Response {
    let t = texts(console.lang);
    let message = match shown.done.as_deref() {
        Some("granted") => Some(t.granted),
        Some("withdrawn") => Some(t.withdrawn),
        Some("assigned") => Some(t.assigned),
        Some("unassigned") => Some(t.unassigned),
        _ => None,
    };
    let shows = Shows {
        message,
        ..Shows::default()
    };
    render(&state, &console, &uri, StatusCode::OK, shows).await
}

async fn render(
    state: &AppState,
    console: &Console,
    uri: &Uri,
    status: StatusCode,
    shows: Shows<'_>,
) -> Response {
    let users = match user_directory(state, &console.caller).await {
        Ok(users) => users,
        Err(error) => return console.refuse(error, uri).into_response(),
    };
    let events = match event_choices(state, console.lang).await {
        Ok(events) => events,
        Err(error) => return console.refuse(error, uri).into_response(),
    };
    let lang = console.lang;
    let t = texts(lang);
    let page = console
        .page(t.title, uri, Nav::Users, !shows.errors.is_empty())
        .render(html! {
            (error_summary(lang, &shows.errors))
            @if let Some(message) = shows.message {
                (notice(message))
            }
            (user_table(console, &users, &events))
            (new_user_form(console, &shows.new_user, &shows.errors))
            (assign_form(console, &users, &events, &shows.assign, &shows.errors))
        });
    html_page(status, page)
}

/// A user's roles by their names in `lang`, as the users list and a user's page show them.
pub(super) fn roles_text(lang: Language, roles: &[Role]) -> String {
    roles
        .iter()
        .map(|role| role_name(lang, role.as_str()))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Why the caller may not change `entry`'s clearance, if they may not, as the policy
/// decides ([`policy::clearance_block`]); `users` is the whole directory, which names each
/// account's creator.
fn not_yours_to_change(
    t: &Texts,
    me: u64,
    users: &[DirectoryEntry],
    entry: &DirectoryEntry,
) -> Option<&'static str> {
    let origin = |entry: &DirectoryEntry| AccountOrigin {
        id: entry.user.id,
        // The directory names creators by username, which is unique.
        created_by: entry.created_by.as_deref().and_then(|creator| {
            users
                .iter()
                .find(|e| e.user.username == creator)
                .map(|e| e.user.id)
        }),
    };
    let actor = users.iter().find(|e| e.user.id == me).map(origin)?;
    Some(match policy::clearance_block(actor, origin(entry))? {
        ClearanceBlock::Own => t.yourself,
        ClearanceBlock::CreatedByThem => t.created_by_you,
        ClearanceBlock::TheirCreator => t.your_creator,
    })
}

fn user_table(console: &Console, users: &[DirectoryEntry], events: &[(String, String)]) -> Markup {
    let lang = console.lang;
    let t = texts(lang);
    let me = console.caller.user.id;
    html! {
        section aria-labelledby="users-heading" {
            h2 #users-heading { (t.users_heading) }
            (super::layout::table_region(t.caption, html! { table {
                caption { (t.caption) }
                (column_heads(&[
                    t.col_username,
                    t.col_name,
                    t.col_roles,
                    t.col_password,
                    t.col_clearance,
                    t.col_events,
                    t.col_created_by,
                    t.col_change,
                ]))
                tbody {
                    @for entry in users {
                        @let user = &entry.user;
                        tr {
                            th scope="row" .code { (user.username) }
                            td { (user.display_name) }
                            td { (roles_text(lang, &user.roles)) }
                            td {
                                @if user.disabled {
                                    strong { (t.disabled) }
                                } @else {
                                    (if user.must_change_password { t.one_time } else { t.own })
                                }
                            }
                            td {
                                @if !user.restricted_clearance {
                                    (t.no)
                                } @else if let Some(grantor) = &entry.clearance_granted_by {
                                    (super::texts::fill(t.yes_granted_by, grantor))
                                } @else {
                                    (t.yes)
                                }
                            }
                            td {
                                @if entry.assigned_events.is_empty() {
                                    (t.none)
                                } @else {
                                    ul.assigned-events {
                                        @for event_id in &entry.assigned_events {
                                            @let name = event_name(events, event_id);
                                            li {
                                                (name) " "
                                                form.inline method="post" action={ (USERS) "/assignments/remove" } {
                                                    input type="hidden" name="csrf_token" value=(console.signed.csrf);
                                                    input type="hidden" name="user_id" value=(user.id);
                                                    input type="hidden" name="event_id" value=(event_id);
                                                    // The visible word starts the accessible name
                                                    // (WCAG 2.5.3), which says what is taken.
                                                    button.link-button type="submit"
                                                        aria-label=(super::texts::fill(t.unassign, format!("{name} ({})", user.username))) {
                                                        (t.unassign_short)
                                                    }
                                                }
                                            }
                                        }
                                    }
                                }
                            }
                            @if let Some(creator) = &entry.created_by {
                                td.code { (creator) }
                            } @else {
                                td { (t.not_recorded) }
                            }
                            td {
                                p {
                                    a href={ (USERS) "/" (user.id) } {
                                        (t.manage)
                                        span.visually-hidden { " " (user.username) }
                                    }
                                }
                                @if let Some(why) = not_yours_to_change(t, me, users, entry) {
                                    (why)
                                } @else {
                                    form method="post" action={ (USERS) "/" (user.id) "/clearance" } {
                                        input type="hidden" name="csrf_token" value=(console.signed.csrf);
                                        input type="hidden" name="restricted_clearance"
                                            value=(if user.restricted_clearance { "false" } else { "true" });
                                        button.link-button type="submit" {
                                            (if user.restricted_clearance { t.withdraw } else { t.grant })
                                            span.visually-hidden { " " (user.username) }
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

fn new_user_form(console: &Console, form: &NewUserForm, errors: &[FieldError]) -> Markup {
    let lang = console.lang;
    let t = texts(lang);
    let username = Field {
        value: &form.username,
        hint: Some(t.username_hint),
        error: error_of(errors, "username"),
        autocomplete: Some("off"),
        required: true,
        ..Field::new("username", t.username, "text")
    };
    let display_name = Field {
        value: &form.display_name,
        error: error_of(errors, "display_name"),
        autocomplete: Some("off"),
        required: true,
        ..Field::new("display_name", t.display_name, "text")
    };
    let roles_error = error_of(errors, "roles");
    html! {
        section aria-labelledby="new-user-heading" {
            h2 #new-user-heading { (t.new_heading) }
            form method="post" action=(USERS) novalidate {
                input type="hidden" name="csrf_token" value=(console.signed.csrf);
                (username.render(lang))
                (display_name.render(lang))
                fieldset #roles .field.field-error[roles_error.is_some()]
                    aria-describedby=[roles_error.map(|_| "roles-error")] {
                    legend { (t.roles) }
                    @if let Some(error) = roles_error {
                        p.error-message #roles-error {
                            span.visually-hidden { (super::texts::texts(lang).error_label) " " }
                            (error)
                        }
                    }
                    @for role in Role::ALL {
                        @let id = format!("roles-{}", role.as_str());
                        div {
                            input #(id) type="checkbox" name="roles" value=(role.as_str())
                                checked[form.roles.iter().any(|r| r == role.as_str())];
                            " "
                            label for=(id) { (role_name(lang, role.as_str())) }
                        }
                    }
                }
                div.actions {
                    button.button type="submit" { (t.create) }
                }
            }
        }
    }
}

fn assign_form(
    console: &Console,
    users: &[DirectoryEntry],
    events: &[(String, String)],
    form: &AssignForm,
    errors: &[FieldError],
) -> Markup {
    let lang = console.lang;
    let t = texts(lang);
    let labels: Vec<(String, String)> = users
        .iter()
        .filter(|e| crate::hr::policy::may_be_assigned_events(&e.user))
        .map(|e| {
            (
                e.user.id.to_string(),
                format!("{} ({})", e.user.display_name, e.user.username),
            )
        })
        .collect();
    let mut recruiters = vec![("", t.choose)];
    recruiters.extend(
        labels
            .iter()
            .map(|(id, label)| (id.as_str(), label.as_str())),
    );
    let mut event_options = vec![("", t.choose)];
    event_options.extend(events.iter().map(|(id, name)| (id.as_str(), name.as_str())));
    html! {
        section aria-labelledby="assign-heading" {
            h2 #assign-heading { (t.assign_heading) }
            p { (t.assign_intro) }
            @if labels.is_empty() {
                p { (t.no_recruiters) }
            } @else {
                form method="post" action={ (USERS) "/assignments" } novalidate {
                    input type="hidden" name="csrf_token" value=(console.signed.csrf);
                    (select(lang, "user_id", t.recruiter, &recruiters, &form.user_id, error_of(errors, "user_id")))
                    (select(lang, "event_id", t.event, &event_options, &form.event_id, error_of(errors, "event_id")))
                    div.actions {
                        button.button type="submit" { (t.assign) }
                    }
                }
            }
        }
    }
}

/// The new-user form's error for a refusal, by its field; `None` for what no field causes.
fn create_error(t: &Texts, error: &HrError) -> Option<(StatusCode, FieldError)> {
    let invalid = StatusCode::UNPROCESSABLE_ENTITY;
    if let HrError::Account(refusal) = error {
        return match refusal {
            AccountError::BadUsername => {
                Some((invalid, FieldError::on("username", t.bad_username)))
            }
            AccountError::BadDisplayName => {
                Some((invalid, FieldError::on("display_name", t.bad_display_name)))
            }
            AccountError::NoRole => Some((invalid, FieldError::on("roles", t.no_role))),
            _ => None,
        };
    }
    Some(match error {
        HrError::UnknownRole(_) => (invalid, FieldError::on("roles", t.no_role)),
        HrError::Conflict(Conflict::UsernameTaken) => (
            StatusCode::CONFLICT,
            FieldError::on("username", t.username_taken),
        ),
        _ => return None,
    })
}

pub(crate) async fn create(
    State(state): State<AppState>,
    uri: Uri,
    ConsoleForm { console, form }: ConsoleForm<Vec<(String, String)>>,
) -> Response {
    let t = texts(console.lang);
    let mut typed = NewUserForm::default();
    for (name, value) in form {
        match name.as_str() {
            "username" => typed.username = value.trim().to_owned(),
            "display_name" => typed.display_name = value,
            "roles" => typed.roles.push(value),
            _ => {}
        }
    }
    let created = create_hr_user(
        &state,
        &console.caller,
        typed.username.clone(),
        typed.display_name.clone(),
        &typed.roles,
    )
    .await;
    let (user, one_time) = match created {
        Ok(created) => created,
        Err(error) => {
            return match create_error(t, &error) {
                Some((status, field_error)) => {
                    let shows = Shows {
                        new_user: typed,
                        errors: vec![field_error],
                        ..Shows::default()
                    };
                    render(&state, &console, &uri, status, shows).await
                }
                None => console.refuse(error, &uri).into_response(),
            };
        }
    };
    let lang = console.lang;
    let page = console
        .page(t.created_title, &uri, Nav::Users, false)
        .render(html! {
            div.notice role="status" { p { strong { (t.shown_once) } } }
            dl.details {
                dt { (t.col_username) } dd.code { (user.username) }
                dt { (t.col_name) } dd { (user.display_name) }
                dt { (t.col_roles) } dd { (roles_text(lang, &user.roles)) }
            }
            p { (t.created_intro) }
            p { (super::texts::fill(t.one_time_label, &user.username)) }
            p.secret.code { (one_time) }
            p { a href=(USERS) { (t.back) } }
        });
    html_page(StatusCode::OK, page)
}

/// `POST /console/users/{id}/clearance`: first the confirmation page, which asks why;
/// then, confirmed with a reason, the change.
pub(crate) async fn clearance(
    State(state): State<AppState>,
    uri: Uri,
    Path(id): Path<u64>,
    ConsoleForm { console, form }: ConsoleForm<ClearanceForm>,
) -> Response {
    let t = texts(console.lang);
    let cleared = match form.restricted_clearance.as_str() {
        "true" => true,
        "false" => false,
        _ => {
            return console
                .refuse(
                    AppError::BadBody("restricted_clearance: true or false".into()),
                    &uri,
                )
                .into_response();
        }
    };
    if !is_confirmed(&form.confirmed) {
        return confirm_clearance(&state, &console, &uri, id, cleared, &form, None).await;
    }
    let reason = match clearance_reason(console.lang, &form) {
        Ok(reason) => reason,
        Err(message) => {
            return confirm_clearance(&state, &console, &uri, id, cleared, &form, Some(message))
                .await;
        }
    };
    match set_user_clearance(&state, &console.caller, id, cleared, Some(reason)).await {
        Ok(_) => Redirect::to(&format!(
            "{USERS}?done={}",
            if cleared { "granted" } else { "withdrawn" }
        ))
        .into_response(),
        Err(HrError::Account(refusal @ (AccountError::SelfGrant | AccountError::CreatorGrant))) => {
            let message = if refusal == AccountError::SelfGrant {
                t.self_grant
            } else {
                t.creator_grant
            };
            let shows = Shows {
                errors: vec![FieldError::form(message)],
                ..Shows::default()
            };
            render(&state, &console, &uri, StatusCode::FORBIDDEN, shows).await
        }
        Err(HrError::NotFound(Missing::User)) => message_page(
            &console,
            &uri,
            Nav::Users,
            StatusCode::NOT_FOUND,
            (t.not_found_title, t.unknown_user),
            (USERS, t.back),
        ),
        Err(error) => console.refuse(error, &uri).into_response(),
    }
}

pub(crate) async fn assign(
    State(state): State<AppState>,
    uri: Uri,
    ConsoleForm { console, form }: ConsoleForm<AssignForm>,
) -> Response {
    let t = texts(console.lang);
    let refused = |field_error: FieldError| Shows {
        errors: vec![field_error],
        assign: AssignForm {
            user_id: form.user_id.clone(),
            event_id: form.event_id.clone(),
        },
        ..Shows::default()
    };
    let Ok(user_id) = form.user_id.parse::<u64>() else {
        let shows = refused(FieldError::on("user_id", t.bad_recruiter));
        return render(
            &state,
            &console,
            &uri,
            StatusCode::UNPROCESSABLE_ENTITY,
            shows,
        )
        .await;
    };
    let assigned =
        assign_event_to_recruiter(&state, &console.caller, user_id, form.event_id.clone()).await;
    let field_error = match assigned {
        Ok(_) => return Redirect::to(&format!("{USERS}?done=assigned")).into_response(),
        Err(HrError::NotFound(Missing::User)) => FieldError::on("user_id", t.bad_recruiter),
        Err(HrError::Conflict(Conflict::NotARecruiter)) => {
            FieldError::on("user_id", t.not_a_recruiter)
        }
        Err(HrError::NotFound(Missing::Event)) => FieldError::on("event_id", t.bad_event),
        Err(error) => return console.refuse(error, &uri).into_response(),
    };
    let shows = refused(field_error);
    render(
        &state,
        &console,
        &uri,
        StatusCode::UNPROCESSABLE_ENTITY,
        shows,
    )
    .await
}

/// Takes an event from a user's assignments after its confirmation page, then shows the
/// users again.
pub(crate) async fn unassign(
    State(state): State<AppState>,
    uri: Uri,
    ConsoleForm { console, form }: ConsoleForm<UnassignForm>,
) -> Response {
    let Ok(user_id) = form.user_id.parse::<u64>() else {
        return console
            .refuse(AppError::BadBody("user_id".into()), &uri)
            .into_response();
    };
    if !is_confirmed(&form.confirmed) {
        return confirm_unassign(&state, &console, &uri, user_id, &form).await;
    }
    match unassign_event_from_recruiter(&state, &console.caller, user_id, form.event_id).await {
        Ok(_) => Redirect::to(&format!("{USERS}?done=unassigned")).into_response(),
        Err(error) => console.refuse(error, &uri).into_response(),
    }
}
