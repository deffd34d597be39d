//! `/console/users/{id}` (admins): one HR user's access and how to take it away: disable
//! or enable, remove a role or the restricted clearance (with a reason), a new one-time
//! password, and their API tokens with revoke; below, every recorded change. Each change
//! is a CSRF-safe form that leads to a confirmation page first; the rules, the guard rails
//! and the records are [`crate::hr::user_access`]'s.

use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, Uri};
use axum::response::{IntoResponse, Redirect, Response};
use kiosk_core::language::Language;
use maud::{Markup, html};
use serde::Deserialize;

use super::layout::{FieldError, Nav, column_heads, error_of, error_summary, notice};
use super::texts::{fill, role_name};
use super::users::roles_text;
use super::{Console, ConsoleForm, html_page};
use crate::error::AppError;
use crate::hr::accounts::{HrUser, Role};
use crate::hr::dates;
use crate::hr::error::{Conflict, Denial, HrError, Missing};
use crate::hr::user_access::{
    AccessRecord, AccessRequest, change_access_as, check_reason, user_access_record,
};
use crate::state::AppState;
use crate::storage::{AccountChangeRecord, TokenInfo};

const USERS: &str = "/console/users";

#[derive(Debug)]
struct Texts {
    title: &'static str,
    intro: &'static str,
    col_username: &'static str,
    col_name: &'static str,
    col_roles: &'static str,
    col_status: &'static str,
    col_clearance: &'static str,
    enabled: &'static str,
    disabled: &'static str,
    yes: &'static str,
    no: &'static str,
    disable_heading: &'static str,
    disable_intro: &'static str,
    disable_button: &'static str,
    enable_heading: &'static str,
    enable_intro: &'static str,
    enable_button: &'static str,
    role_heading: &'static str,
    role_intro: &'static str,
    role_label: &'static str,
    role_button: &'static str,
    clearance_heading: &'static str,
    clearance_intro: &'static str,
    clearance_button: &'static str,
    reset_heading: &'static str,
    reset_intro: &'static str,
    reset_button: &'static str,
    tokens_heading: &'static str,
    tokens_caption: &'static str,
    col_label: &'static str,
    col_created: &'static str,
    col_expires: &'static str,
    col_last_used: &'static str,
    col_action: &'static str,
    no_tokens: &'static str,
    revoke_button: &'static str,
    history_heading: &'static str,
    history_caption: &'static str,
    col_when: &'static str,
    col_by: &'static str,
    col_change: &'static str,
    col_reason: &'static str,
    no_history: &'static str,
    reason_label: &'static str,
    reason_required: &'static str,
    reason_optional: &'static str,
    yourself: &'static str,
    confirm_title: &'static str,
    confirm_intro: &'static str,
    confirm_button: &'static str,
    cancel: &'static str,
    change_disable: &'static str,
    change_enable: &'static str,
    change_remove_role: &'static str,
    change_remove_clearance: &'static str,
    change_grant_clearance: &'static str,
    change_reset_password: &'static str,
    change_revoke_token: &'static str,
    reason_missing: &'static str,
    reason_bad: &'static str,
    self_change: &'static str,
    last_admin: &'static str,
    unchanged: &'static str,
    unknown_token: &'static str,
    done: &'static str,
    one_time_title: &'static str,
    one_time_intro: &'static str,
    back: &'static str,
}

const SV: Texts = Texts {
    title: "Åtkomst för {}",
    intro: "Här tar du bort en användares åtkomst, helt eller delvis. Varje ändring gäller direkt, sparas med vem som gjorde den och varför, och skrivs i åtkomstloggen.",
    col_username: "Användarnamn",
    col_name: "Namn",
    col_roles: "Roller",
    col_status: "Konto",
    col_clearance: "Behörighet för skyddade personuppgifter",
    enabled: "Aktivt",
    disabled: "Avstängt",
    yes: "Ja",
    no: "Nej",
    disable_heading: "Stäng av användaren",
    disable_intro: "Användaren loggas ut överallt, alla hens API-nycklar slutar gälla direkt och hen kan inte logga in förrän kontot aktiveras igen. Hens surfplattor för personal slutar hämta registreringar.",
    disable_button: "Stäng av",
    enable_heading: "Aktivera användaren igen",
    enable_intro: "Användaren kan logga in igen. Gamla sessioner och API-nycklar förblir avslutade.",
    enable_button: "Aktivera",
    role_heading: "Ta bort en roll",
    role_intro: "Gäller direkt för alla sessioner och nycklar. Tar du bort rollen rekryterare tas också hens evenemang bort, och hens surfplattor för personal slutar hämta registreringar.",
    role_label: "Roll",
    role_button: "Ta bort rollen",
    clearance_heading: "Ta bort behörigheten för skyddade personuppgifter",
    clearance_intro: "Användaren kan inte längre läsa registreringar med skyddade personuppgifter.",
    clearance_button: "Ta bort behörigheten",
    reset_heading: "Nytt engångslösenord",
    reset_intro: "Användarens sessioner och API-nycklar avslutas. Engångslösenordet visas en gång och räcker bara till att välja ett eget lösenord.",
    reset_button: "Skapa engångslösenord",
    tokens_heading: "API-nycklar",
    tokens_caption: "Användarens giltiga API-nycklar, nyaste först",
    col_label: "Etikett",
    col_created: "Skapad",
    col_expires: "Gäller till",
    col_last_used: "Senast använd",
    col_action: "Åtgärd",
    no_tokens: "Användaren har inga giltiga API-nycklar.",
    revoke_button: "Återkalla",
    history_heading: "Ändringar av åtkomsten",
    history_caption: "Ändringar av användarens åtkomst, nyaste först",
    col_when: "När",
    col_by: "Av",
    col_change: "Ändring",
    col_reason: "Skäl",
    no_history: "Användarens åtkomst har inte ändrats.",
    reason_label: "Skäl",
    reason_required: "Krävs, 1–500 tecken. Skälet sparas med ändringen.",
    reason_optional: "Frivilligt, högst 500 tecken. Skälet sparas med ändringen.",
    yourself: "Det här är ditt eget konto. Du kan inte ta bort din egen åtkomst; byt lösenord under Byt lösenord.",
    confirm_title: "Bekräfta ändringen",
    confirm_intro: "Du håller på att göra följande för {}:",
    confirm_button: "Ja, gör ändringen",
    cancel: "Avbryt",
    change_disable: "stänga av användaren",
    change_enable: "aktivera användaren igen",
    change_remove_role: "ta bort rollen {}",
    change_remove_clearance: "ta bort behörigheten för skyddade personuppgifter",
    change_grant_clearance: "ge behörighet för skyddade personuppgifter",
    change_reset_password: "ge ett nytt engångslösenord",
    change_revoke_token: "återkalla API-nyckeln {}",
    reason_missing: "Skriv ett skäl, 1–500 tecken.",
    reason_bad: "Skälet får vara högst 500 tecken, utan styrtecken.",
    self_change: "Du kan inte ta bort din egen åtkomst.",
    last_admin: "Det måste finnas minst en aktiv administratör kvar.",
    unchanged: "Inget att ändra: användaren är redan så.",
    unknown_token: "Den API-nyckeln finns inte längre.",
    done: "Ändringen är gjord och sparad.",
    one_time_title: "Nytt engångslösenord",
    one_time_intro: "Lösenordet visas bara nu. Ge det till {} på ett säkert sätt. Det räcker bara till att välja ett eget lösenord vid nästa inloggning.",
    back: "Tillbaka till användaren",
};

const EN: Texts = Texts {
    title: "Access of {}",
    intro: "Here you take a user's access away, wholly or in part. Each change takes effect at once, is kept with who made it and why, and is written to the access log.",
    col_username: "Username",
    col_name: "Name",
    col_roles: "Roles",
    col_status: "Account",
    col_clearance: "Clearance for protected personal data",
    enabled: "Enabled",
    disabled: "Disabled",
    yes: "Yes",
    no: "No",
    disable_heading: "Disable the user",
    disable_intro: "The user is logged out everywhere, all their API tokens stop working at once, and they cannot log in until the account is enabled again. Their staff tablets stop pulling registrations.",
    disable_button: "Disable",
    enable_heading: "Enable the user again",
    enable_intro: "The user can log in again. Old sessions and API tokens stay ended.",
    enable_button: "Enable",
    role_heading: "Remove a role",
    role_intro: "Takes effect at once for every session and token. Removing the recruiter role also removes their events, and their staff tablets stop pulling registrations.",
    role_label: "Role",
    role_button: "Remove the role",
    clearance_heading: "Withdraw the clearance for protected personal data",
    clearance_intro: "The user can no longer read registrations with protected personal data.",
    clearance_button: "Withdraw the clearance",
    reset_heading: "New one-time password",
    reset_intro: "The user's sessions and API tokens end. The one-time password is shown once and only lets them choose their own password.",
    reset_button: "Create a one-time password",
    tokens_heading: "API tokens",
    tokens_caption: "The user's valid API tokens, newest first",
    col_label: "Label",
    col_created: "Created",
    col_expires: "Expires",
    col_last_used: "Last used",
    col_action: "Action",
    no_tokens: "The user has no valid API tokens.",
    revoke_button: "Revoke",
    history_heading: "Changes of access",
    history_caption: "Changes of the user's access, newest first",
    col_when: "When",
    col_by: "By",
    col_change: "Change",
    col_reason: "Reason",
    no_history: "No access has been changed.",
    reason_label: "Reason",
    reason_required: "Required, 1–500 characters. The reason is kept with the change.",
    reason_optional: "Optional, at most 500 characters. The reason is kept with the change.",
    yourself: "This is your own account. You cannot take away your own access; change your password under Password.",
    confirm_title: "Confirm the change",
    confirm_intro: "You are about to do this for {}:",
    confirm_button: "Yes, make the change",
    cancel: "Cancel",
    change_disable: "disable the user",
    change_enable: "enable the user again",
    change_remove_role: "remove the role {}",
    change_remove_clearance: "withdraw the clearance for protected personal data",
    change_grant_clearance: "grant the clearance for protected personal data",
    change_reset_password: "give a new one-time password",
    change_revoke_token: "revoke the API token {}",
    reason_missing: "Enter a reason, 1–500 characters.",
    reason_bad: "The reason can be at most 500 characters, without control characters.",
    self_change: "You cannot take away your own access.",
    last_admin: "At least one enabled administrator must remain.",
    unchanged: "Nothing to change: the user already is so.",
    unknown_token: "That API token no longer exists.",
    done: "The change is made and recorded.",
    one_time_title: "New one-time password",
    one_time_intro: "The password is shown only now. Give it to {} safely. It only lets them choose their own password at the next login.",
    back: "Back to the user",
};

fn texts(lang: Language) -> &'static Texts {
    match lang {
        Language::Swedish => &SV,
        Language::English => &EN,
    }
}

/// A change as the forms send it. `confirmed=yes` comes from the confirmation page.
#[derive(Debug, Default, Clone, Deserialize)]
pub(crate) struct AccessForm {
    #[serde(default)]
    action: String,
    #[serde(default)]
    role: String,
    #[serde(default)]
    token: String,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    confirmed: String,
}

#[derive(Debug, Deserialize)]
pub(crate) struct Shown {
    done: Option<String>,
}

/// What the page shows of a user: the service's [`AccessRecord`].
type Loaded = AccessRecord;

async fn load(state: &AppState, console: &Console, id: u64) -> Result<Loaded, AppError> {
    Ok(user_access_record(state, &console.caller, id).await?)
}

pub(crate) async fn page(
    State(state): State<AppState>,
    console: Console,
    uri: Uri,
    Path(id): Path<u64>,
    Query(shown): Query<Shown>,
) -> Response {
    let t = texts(console.lang);
    let message = shown.done.is_some().then_some(t.done);
    render(&state, &console, &uri, id, StatusCode::OK, &[], message).await
}

async fn render(
    state: &AppState,
    console: &Console,
    uri: &Uri,
    id: u64,
    status: StatusCode,
    errors: &[FieldError],
    message: Option<&str>,
) -> Response {
    let loaded = match load(state, console, id).await {
        Ok(loaded) => loaded,
        Err(error) => return console.refuse(error, uri).into_response(),
    };
    let lang = console.lang;
    let t = texts(lang);
    let title = fill(t.title, &loaded.user.username);
    let page = console
        .page(&title, uri, Nav::Users, !errors.is_empty())
        .render(html! {
            (error_summary(lang, errors))
            @if let Some(message) = message {
                (notice(message))
            }
            p { (t.intro) }
            (summary(lang, &loaded.user))
            @if loaded.user.id == console.caller.user.id {
                p { (t.yourself) }
            } @else {
                (forms(console, &loaded, errors))
            }
            (token_table(console, &loaded))
            (history(lang, &loaded.changes))
            p { a href=(USERS) { "← " (super::texts::texts(lang).nav_users) } }
        });
    html_page(status, page)
}

fn summary(lang: Language, user: &HrUser) -> Markup {
    let t = texts(lang);
    html! {
        dl.details {
            dt { (t.col_username) } dd.code { (user.username) }
            dt { (t.col_name) } dd { (user.display_name) }
            dt { (t.col_roles) } dd { (roles_text(lang, &user.roles)) }
            dt { (t.col_status) } dd { (if user.disabled { t.disabled } else { t.enabled }) }
            dt { (t.col_clearance) } dd { (if user.restricted_clearance { t.yes } else { t.no }) }
        }
    }
}

/// A reason field, its id unique on the page (`<action>-reason`).
fn reason_field(lang: Language, action: &str, required: bool, error: Option<&str>) -> Markup {
    let t = texts(lang);
    let id = format!("{action}-reason");
    let hint_id = format!("{id}-hint");
    let error_id = format!("{id}-error");
    let described = match error {
        Some(_) => format!("{hint_id} {error_id}"),
        None => hint_id.clone(),
    };
    html! {
        div.field.field-error[error.is_some()] {
            label for=(id) { (t.reason_label) }
            p.hint #(hint_id) { (if required { t.reason_required } else { t.reason_optional }) }
            @if let Some(error) = error {
                p.error-message #(error_id) {
                    span.visually-hidden { (super::texts::texts(lang).error_label) " " }
                    (error)
                }
            }
            input #(id) name="reason" type="text" maxlength="500" autocomplete="off"
                required[required]
                aria-invalid=[error.map(|_| "true")]
                aria-describedby=(described);
        }
    }
}

fn action_form(
    console: &Console,
    user: &HrUser,
    action: &str,
    (heading, intro, button): (&str, &str, &str),
    extra: Markup,
) -> Markup {
    let heading_id = format!("{action}-heading");
    html! {
        section aria-labelledby=(heading_id) {
            h2 #(heading_id) { (heading) }
            p { (intro) }
            form method="post" action={ (USERS) "/" (user.id) "/access" } novalidate {
                input type="hidden" name="csrf_token" value=(console.signed.csrf);
                input type="hidden" name="action" value=(action);
                (extra)
                div.actions {
                    button.button type="submit" { (button) }
                }
            }
        }
    }
}

/// The error on `action`'s reason, if the last submission was that form's.
fn reason_error<'e>(errors: &'e [FieldError], action: &str) -> Option<&'e str> {
    error_of(errors, &format!("{action}-reason"))
}

fn forms(console: &Console, loaded: &Loaded, errors: &[FieldError]) -> Markup {
    let lang = console.lang;
    let t = texts(lang);
    let user = &loaded.user;
    html! {
        @if user.disabled {
            (action_form(console, user, "enable", (t.enable_heading, t.enable_intro, t.enable_button),
                reason_field(lang, "enable", false, reason_error(errors, "enable"))))
        } @else {
            (action_form(console, user, "disable", (t.disable_heading, t.disable_intro, t.disable_button),
                reason_field(lang, "disable", false, reason_error(errors, "disable"))))
        }
        @if !user.roles.is_empty() {
            (action_form(console, user, "remove_role", (t.role_heading, t.role_intro, t.role_button), html! {
                div.field {
                    label for="remove_role-role" { (t.role_label) }
                    select #remove_role-role name="role" {
                        @for role in &user.roles {
                            option value=(role.as_str()) { (role_name(lang, role.as_str())) }
                        }
                    }
                }
                (reason_field(lang, "remove_role", true, reason_error(errors, "remove_role")))
            }))
        }
        @if user.restricted_clearance {
            (action_form(console, user, "remove_clearance",
                (t.clearance_heading, t.clearance_intro, t.clearance_button),
                reason_field(lang, "remove_clearance", true, reason_error(errors, "remove_clearance"))))
        }
        (action_form(console, user, "reset_password", (t.reset_heading, t.reset_intro, t.reset_button),
            reason_field(lang, "reset_password", false, reason_error(errors, "reset_password"))))
    }
}

fn token_table(console: &Console, loaded: &Loaded) -> Markup {
    let lang = console.lang;
    let t = texts(lang);
    html! {
        section aria-labelledby="tokens-heading" {
            h2 #tokens-heading { (t.tokens_heading) }
            @if loaded.tokens.is_empty() {
                p { (t.no_tokens) }
            } @else {
                (super::layout::table_region(t.tokens_caption, html! { table {
                    caption { (t.tokens_caption) }
                    (column_heads(&[t.col_label, t.col_created, t.col_expires, t.col_last_used, t.col_action]))
                    tbody {
                        @for token in &loaded.tokens {
                            @let label = token.label.as_deref().unwrap_or("–");
                            tr {
                                th scope="row" { (label) }
                                td.code { (dates::local_minutes(token.created_at)) }
                                td.code { (dates::local_minutes(token.expires_at)) }
                                td.code { (dates::local_minutes(token.last_used_at)) }
                                td {
                                    // An admin may revoke their own tokens too: it takes no
                                    // access they need to undo it.
                                    form.inline method="post" action={ (USERS) "/" (loaded.user.id) "/access" } {
                                        input type="hidden" name="csrf_token" value=(console.signed.csrf);
                                        input type="hidden" name="action" value="revoke_token";
                                        input type="hidden" name="token" value=(token.id);
                                        button.link-button type="submit" {
                                            (t.revoke_button)
                                            span.visually-hidden { " " (label) }
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

fn history(lang: Language, changes: &[AccountChangeRecord]) -> Markup {
    let t = texts(lang);
    html! {
        section aria-labelledby="history-heading" {
            h2 #history-heading { (t.history_heading) }
            @if changes.is_empty() {
                p { (t.no_history) }
            } @else {
                (super::layout::table_region(t.history_caption, html! { table {
                    caption { (t.history_caption) }
                    (column_heads(&[t.col_when, t.col_by, t.col_change, t.col_reason]))
                    tbody {
                        @for change in changes {
                            tr {
                                th scope="row" .code { (dates::local_minutes(change.at)) }
                                td.code { (change.by.strip_prefix("hr:").unwrap_or(&change.by)) }
                                td { (change_text(lang, &change.change)) }
                                td { (change.reason.as_deref().unwrap_or("–")) }
                            }
                        }
                    }
                } }))
            }
        }
    }
}

/// A recorded change (`remove_role.admin`, `revoke_token.7`) in words.
fn change_text(lang: Language, change: &str) -> String {
    let t = texts(lang);
    let (kind, detail) = change.split_once('.').unwrap_or((change, ""));
    let text = match kind {
        "disable" => t.change_disable.to_owned(),
        "enable" => t.change_enable.to_owned(),
        "remove_role" => fill(t.change_remove_role, role_name(lang, detail)),
        "remove_clearance" => t.change_remove_clearance.to_owned(),
        "grant_clearance" => t.change_grant_clearance.to_owned(),
        "reset_password" => t.change_reset_password.to_owned(),
        "revoke_token" => fill(t.change_revoke_token, detail),
        other => other.to_owned(),
    };
    let mut chars = text.chars();
    chars
        .next()
        .map(|c| c.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

/// The request a form asks for, or `None` for an unknown action or value.
fn request_of(form: &AccessForm) -> Option<AccessRequest> {
    Some(match form.action.as_str() {
        "disable" => AccessRequest::Disable,
        "enable" => AccessRequest::Enable,
        "remove_role" => AccessRequest::RemoveRole(Role::parse(&form.role)?),
        "remove_clearance" => AccessRequest::RemoveClearance,
        "reset_password" => AccessRequest::ResetPassword,
        "revoke_token" => AccessRequest::RevokeToken(form.token.parse().ok()?),
        _ => return None,
    })
}

fn describe(lang: Language, request: &AccessRequest, tokens: &[TokenInfo]) -> String {
    let t = texts(lang);
    match request {
        AccessRequest::Disable => t.change_disable.to_owned(),
        AccessRequest::Enable => t.change_enable.to_owned(),
        AccessRequest::RemoveRole(role) => {
            fill(t.change_remove_role, role_name(lang, role.as_str()))
        }
        AccessRequest::RemoveClearance => t.change_remove_clearance.to_owned(),
        AccessRequest::ResetPassword => t.change_reset_password.to_owned(),
        AccessRequest::RevokeToken(id) => fill(
            t.change_revoke_token,
            tokens
                .iter()
                .find(|token| token.id == *id)
                .and_then(|token| token.label.clone())
                .unwrap_or_else(|| id.to_string()),
        ),
    }
}

/// A change from one of the page's forms: checked, then confirmed on a page of its own,
/// then made (a new one-time password is shown once; anything else returns to the page).
pub(crate) async fn change(
    State(state): State<AppState>,
    uri: Uri,
    Path(id): Path<u64>,
    ConsoleForm { console, form }: ConsoleForm<AccessForm>,
) -> Response {
    let lang = console.lang;
    let t = texts(lang);
    let page_uri: Uri = format!("{USERS}/{id}").parse().unwrap_or(uri.clone());
    if let Err(error) = crate::hr::policy::may_manage_users(&console.caller.user) {
        return console.refuse(error, &uri).into_response();
    }
    let Some(request) = request_of(&form) else {
        return console
            .refuse(AppError::BadBody("action".into()), &uri)
            .into_response();
    };
    let reason_id: &'static str = match form.action.as_str() {
        "disable" => "disable-reason",
        "enable" => "enable-reason",
        "remove_role" => "remove_role-reason",
        "remove_clearance" => "remove_clearance-reason",
        "reset_password" => "reset_password-reason",
        _ => "revoke_token-reason",
    };
    let required = matches!(
        request,
        AccessRequest::RemoveRole(_) | AccessRequest::RemoveClearance
    );
    if check_reason(Some(&form.reason), required).is_err() {
        let message = if form.reason.trim().is_empty() {
            t.reason_missing
        } else {
            t.reason_bad
        };
        let errors = [FieldError::on(reason_id, message)];
        return render(
            &state,
            &console,
            &page_uri,
            id,
            StatusCode::UNPROCESSABLE_ENTITY,
            &errors,
            None,
        )
        .await;
    }
    if form.confirmed != "yes" {
        return confirm(&state, &console, &uri, id, &form, &request).await;
    }
    let reason = Some(form.reason.clone()).filter(|r| !r.trim().is_empty());
    match change_access_as(&state, &console.caller, id, request, reason).await {
        Ok((user, Some(one_time))) => {
            let page = console
                .page(t.one_time_title, &uri, Nav::Users, false)
                .render(html! {
                    div.notice role="status" { p { strong { (t.done) } } }
                    p { (fill(t.one_time_intro, &user.username)) }
                    p.secret.code { (one_time) }
                    p { a href={ (USERS) "/" (id) } { (t.back) } }
                });
            html_page(StatusCode::OK, page)
        }
        Ok((_, None)) => {
            Redirect::to(&format!("{USERS}/{id}?done={}", form.action)).into_response()
        }
        Err(error) => {
            let (status, message) = match error {
                HrError::Denied(Denial::SelfChange) => (StatusCode::FORBIDDEN, t.self_change),
                HrError::Conflict(Conflict::LastAdmin) => (StatusCode::CONFLICT, t.last_admin),
                HrError::Conflict(Conflict::Unchanged) => (StatusCode::CONFLICT, t.unchanged),
                HrError::NotFound(Missing::Token) => (StatusCode::NOT_FOUND, t.unknown_token),
                error => return console.refuse(error, &uri).into_response(),
            };
            let errors = [FieldError::form(message)];
            render(&state, &console, &page_uri, id, status, &errors, None).await
        }
    }
}

/// The confirmation page: what will change, for whom, and the form again with
/// `confirmed=yes`.
async fn confirm(
    state: &AppState,
    console: &Console,
    uri: &Uri,
    id: u64,
    form: &AccessForm,
    request: &AccessRequest,
) -> Response {
    let loaded = match load(state, console, id).await {
        Ok(loaded) => loaded,
        Err(error) => return console.refuse(error, uri).into_response(),
    };
    let lang = console.lang;
    let t = texts(lang);
    let reason_label = t.reason_label;
    let page = console
        .page(t.confirm_title, uri, Nav::Users, false)
        .render(html! {
            p { (fill(t.confirm_intro, format!("{} ({})", loaded.user.display_name, loaded.user.username))) }
            p { strong { (describe(lang, request, &loaded.tokens)) } }
            @if !form.reason.trim().is_empty() {
                p { (reason_label) ": " (form.reason.trim()) }
            }
            form method="post" action={ (USERS) "/" (id) "/access" } {
                input type="hidden" name="csrf_token" value=(console.signed.csrf);
                input type="hidden" name="action" value=(form.action);
                input type="hidden" name="role" value=(form.role);
                input type="hidden" name="token" value=(form.token);
                input type="hidden" name="reason" value=(form.reason);
                input type="hidden" name="confirmed" value="yes";
                div.actions {
                    button.button type="submit" { (t.confirm_button) }
                    " "
                    a href={ (USERS) "/" (id) } { (t.cancel) }
                }
            }
        });
    html_page(StatusCode::OK, page)
}
