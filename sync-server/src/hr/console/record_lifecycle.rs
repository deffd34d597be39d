//! The detail page's *Gallring och talangpool* section: when the record falls due under its
//! event's rule, a legal hold and its forms (archivists set and lift one, with a reason),
//! and the talent-pool withdrawal (`POST …/talent-pool-withdrawal`), after which the page
//! shows what to tell the visitor; the withdrawal asks for a confirmation on a page of its
//! own first ([`super::confirmations`]). The handlers call the API's functions
//! ([`change_hold`], [`withdraw_logged`]).

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use kiosk_core::language::Language;
use maud::{Markup, html};
use serde::Deserialize;

use super::ConsoleForm;
use super::confirmations::{self, Confirmation};
use super::detail::{Typed, detail_path, detail_uri, refused_input, saved_redirect};
use super::layout::{FieldError, Nav, error_of};
use super::texts::{Unit, amount, texts};
use crate::blocking::blocking;
use crate::hr::dates;
use crate::hr::error::HrError;
use crate::hr::policy::{RecordActions, require_withdrawer};
use crate::hr::record_access::require_for_record;
use crate::hr::retention::{change_hold, told_to_visitor, withdraw_logged};
use crate::state::AppState;
use crate::storage::RecordRetention;

#[derive(Debug)]
struct LifecycleTexts {
    heading: &'static str,
    received: &'static str,
    rule: &'static str,
    rule_text: &'static str,
    due: &'static str,
    hold: &'static str,
    /// What a legal hold is, in one line, where it is set or lifted.
    hold_means: &'static str,
    no_hold: &'static str,
    hold_text: &'static str,
    talent_pool: &'static str,
    withdrawn_text: &'static str,
    tell_heading: &'static str,
    set_hold_heading: &'static str,
    lift_hold_heading: &'static str,
    reason_label: &'static str,
    reason_hint: &'static str,
    set_hold_button: &'static str,
    lift_hold_button: &'static str,
    withdraw_heading: &'static str,
    withdraw_hint: &'static str,
    withdraw_button: &'static str,
    withdraw_confirm_title: &'static str,
    withdraw_confirm_intro: &'static str,
    withdraw_confirm: &'static str,
    withdraw_record: &'static str,
    bad_reason: &'static str,
    pub hold_saved: &'static str,
    pub hold_lifted: &'static str,
    pub withdrawn_saved: &'static str,
}

const SV: LifecycleTexts = LifecycleTexts {
    heading: "Gallring och talangpool",
    received: "Mottagen av reläet",
    rule: "Gallringsregel",
    rule_text: "{months} efter mottagandet, enligt {decision}",
    due: "Gallras tidigast",
    hold: "Spärr mot gallring",
    hold_means: "En spärr mot gallring hindrar att registreringen tas bort när den förfaller, till exempel medan den behövs i ett ärende eller en begäran om utlämnande. Den gäller tills någon häver den.",
    no_hold: "Inget: registreringen gallras när den förfallit.",
    hold_text: "Får inte gallras: {reason} (av {user}, {time})",
    talent_pool: "Talangpool",
    withdrawn_text: "Samtycket återkallades {time}. Besökaren finns inte längre i talangpoolen.",
    tell_heading: "Det här säger du till besökaren",
    set_hold_heading: "Sätt spärr mot gallring (legal hold)",
    lift_hold_heading: "Häv spärren mot gallring",
    reason_label: "Skäl",
    reason_hint: "1–500 tecken, till exempel ärendets diarienummer. Skriv inga personuppgifter.",
    set_hold_button: "Sätt spärr mot gallring",
    lift_hold_button: "Häv spärren mot gallring",
    withdraw_heading: "Återkalla samtycke till talangpoolen",
    withdraw_hint: "När besökaren ber om det. Gäller direkt: hen försvinner ur talangpoolens listor och exporter. Registreringen finns kvar tills den gallras.",
    withdraw_button: "Registrera återkallelsen",
    withdraw_confirm_title: "Registrera återkallelsen av samtycket?",
    withdraw_confirm_intro: "Besökaren tas bort ur talangpoolen direkt: hen försvinner ur talangpoolens listor och exporter och kontaktas inte om andra tjänster. Det går inte att ångra; vill besökaren tillbaka får hen lämna en ny intresseanmälan. Registreringen finns kvar tills den gallras.",
    withdraw_confirm: "Ja, registrera återkallelsen",
    withdraw_record: "Registrering",
    bad_reason: "Skriv ett skäl på 1–500 tecken.",
    hold_saved: "Spärren mot gallring är satt.",
    hold_lifted: "Spärren mot gallring är hävd.",
    withdrawn_saved: "Återkallelsen är registrerad.",
};

const EN: LifecycleTexts = LifecycleTexts {
    heading: "Retention and removal",
    received: "Received by the relay",
    rule: "Retention rule",
    rule_text: "{months} after receipt, under {decision}",
    due: "Removed no earlier than",
    hold: "Legal hold",
    hold_means: "A legal hold stops the registration from being removed when it falls due, for example while a case or a request for disclosure needs it. It lasts until someone lifts it.",
    no_hold: "None: the record is removed when it falls due.",
    hold_text: "Must not be removed: {reason} (by {user}, {time})",
    talent_pool: "Talent pool",
    withdrawn_text: "Consent withdrawn {time}. The visitor is no longer in the talent pool.",
    tell_heading: "What to tell the visitor",
    set_hold_heading: "Set a legal hold",
    lift_hold_heading: "Lift the legal hold",
    reason_label: "Reason",
    reason_hint: "1–500 characters, for example the case number. Write no personal data.",
    set_hold_button: "Set legal hold",
    lift_hold_button: "Lift legal hold",
    withdraw_heading: "Withdraw talent-pool consent",
    withdraw_hint: "When the visitor asks. Takes effect at once: they leave talent-pool lists and exports. The registration stays until it is removed.",
    withdraw_button: "Record the withdrawal",
    withdraw_confirm_title: "Record the withdrawal of consent?",
    withdraw_confirm_intro: "The visitor leaves the talent pool at once: they leave its lists and exports and are not contacted about other roles. This cannot be undone; a visitor who wants back in makes a new registration. The registration stays until it is removed.",
    withdraw_confirm: "Yes, record the withdrawal",
    withdraw_record: "Registration",
    bad_reason: "Write a reason of 1–500 characters.",
    hold_saved: "The legal hold is set.",
    hold_lifted: "The legal hold is lifted.",
    withdrawn_saved: "The withdrawal is recorded.",
};

fn lifecycle_texts(lang: Language) -> &'static LifecycleTexts {
    match lang {
        Language::Swedish => &SV,
        Language::English => &EN,
    }
}

/// The notice after a saved hold, lift or withdrawal (`?saved=`).
pub(crate) fn saved_notice(lang: Language, saved: &str) -> Option<&'static str> {
    let l = lifecycle_texts(lang);
    match saved {
        "hold" => Some(l.hold_saved),
        "lift" => Some(l.hold_lifted),
        "withdrawn" => Some(l.withdrawn_saved),
        _ => None,
    }
}

/// "Consent withdrawn {time}…": the talent-pool line of a record whose visitor withdrew.
pub(crate) fn withdrawn_line(lang: Language, at: i64) -> String {
    lifecycle_texts(lang)
        .withdrawn_text
        .replacen("{time}", &dates::local_minutes(at), 1)
}

/// The section, with the forms `allowed` lets the viewer use.
pub(crate) fn section(
    lang: Language,
    id: &str,
    retention: &RecordRetention,
    allowed: RecordActions,
    csrf: &str,
    typed: &Typed,
) -> Markup {
    let l = lifecycle_texts(lang);
    let t = texts(lang);
    let rule = l
        .rule_text
        .replacen(
            "{months}",
            &amount(lang, u64::from(retention.rule.months), Unit::Months),
            1,
        )
        .replacen("{decision}", &retention.rule.decision, 1);
    let reason_error = error_of(&typed.errors, "reason");
    html! {
        h2 { (l.heading) }
        dl.details {
            dt { (l.received) } dd.code { (dates::local_minutes(retention.received_at)) }
            dt { (l.rule) } dd { (rule) }
            dt { (l.due) } dd.code { (dates::local_date(retention.due_at)) }
            dt { (l.hold) }
            dd {
                @if let Some(hold) = &retention.legal_hold {
                    (l.hold_text
                        .replacen("{reason}", &hold.reason, 1)
                        .replacen("{user}", &hold.set_by, 1)
                        .replacen("{time}", &dates::local_minutes(hold.set_at), 1))
                } @else {
                    (l.no_hold)
                }
            }
            @if let Some(withdrawn_at) = retention.talent_pool_withdrawn_at {
                dt { (l.talent_pool) }
                dd { (withdrawn_line(lang, withdrawn_at)) }
            }
        }
        @if let Some(withdrawn_at) = retention.talent_pool_withdrawn_at {
            @let (sv, en) = told_to_visitor(retention, withdrawn_at);
            section aria-labelledby="tell-visitor" {
                h3 #tell-visitor { (l.tell_heading) }
                p lang="sv" { (sv) }
                p lang="en" { (en) }
            }
        }
        @if allowed.hold {
            @let lifting = retention.legal_hold.is_some();
            form method="post" action={ (detail_path(id)) "/legal-hold" } aria-labelledby="hold-form-heading" novalidate {
                h3 #hold-form-heading { (if lifting { l.lift_hold_heading } else { l.set_hold_heading }) }
                p { (l.hold_means) }
                input type="hidden" name="csrf_token" value=(csrf);
                input type="hidden" name="action" value=(if lifting { "lift" } else { "set" });
                div.field.field-error[reason_error.is_some()] {
                    label for="reason" { (l.reason_label) }
                    p.hint #reason-hint { (l.reason_hint) }
                    @if let Some(error) = reason_error {
                        p.error-message #reason-error {
                            span.visually-hidden { (t.error_label) " " }
                            (error)
                        }
                    }
                    input #reason name="reason" type="text" maxlength="500" value=(typed.hold_reason)
                        aria-invalid=[reason_error.map(|_| "true")]
                        aria-describedby=(if reason_error.is_some() { "reason-hint reason-error" } else { "reason-hint" });
                }
                div.actions {
                    button.button type="submit" { (if lifting { l.lift_hold_button } else { l.set_hold_button }) }
                }
            }
        }
        @if allowed.withdraw && retention.talent_pool_withdrawn_at.is_none() {
            (confirmations::StartForm {
                action: &format!("{}/talent-pool-withdrawal", detail_path(id)),
                heading_id: "withdraw-form-heading",
                heading: l.withdraw_heading,
                in_section: true,
                hint: l.withdraw_hint,
                button: l.withdraw_button,
                csrf,
            }
            .render())
        }
    }
}

#[derive(Debug, Deserialize)]
pub(crate) struct HoldForm {
    #[serde(default)]
    action: String,
    #[serde(default)]
    reason: String,
}

/// `POST /console/registrations/{id}/legal-hold`: sets or lifts the hold (archivists).
pub(crate) async fn hold(
    State(state): State<AppState>,
    Path(id): Path<String>,
    ConsoleForm { console, form }: ConsoleForm<HoldForm>,
) -> Response {
    let uri = detail_uri(&id);
    // Who may hold is change_hold's question (the record-access policy), asked first.
    let user = console.caller.user.clone();
    let hold = form.action != "lift";
    let (store, doc_id, reason) = (state.store.clone(), id.clone(), form.reason.clone());
    let result = blocking(move || change_hold(store.as_ref(), &user, &doc_id, hold, &reason))
        .await
        .map_err(HrError::from)
        .and_then(|r| r);
    match result {
        Ok(_) => saved_redirect(&id, if hold { "hold" } else { "lift" }),
        Err(HrError::InvalidField {
            field: "reason", ..
        }) => {
            let typed = Typed {
                errors: vec![FieldError::on(
                    "reason",
                    lifecycle_texts(console.lang).bad_reason,
                )],
                hold_reason: form.reason,
                ..Typed::default()
            };
            refused_input(&state, &console, id, typed).await
        }
        Err(error) => console.refuse(error, &uri).into_response(),
    }
}

/// `POST /console/registrations/{id}/talent-pool-withdrawal`: first the confirmation page
/// (a withdrawal cannot be undone), then, confirmed, the withdrawal.
pub(crate) async fn withdraw(
    State(state): State<AppState>,
    Path(id): Path<String>,
    ConsoleForm { console, form }: ConsoleForm<confirmations::ConfirmForm>,
) -> Response {
    let uri = detail_uri(&id);
    if !confirmations::is_confirmed(&form.confirmed) {
        // The role is asked before the page is offered, as the withdrawal will ask it.
        if let Err(refusal) =
            require_for_record(&state, &console.caller.user, &id, require_withdrawer).await
        {
            return console.refuse(refusal, &uri).into_response();
        }
        let l = lifecycle_texts(console.lang);
        return confirmations::page(
            &console,
            &uri,
            Nav::None,
            StatusCode::OK,
            Confirmation {
                title: l.withdraw_confirm_title,
                details: vec![(l.withdraw_record, id.clone())],
                intro: l.withdraw_confirm_intro,
                action: format!("{}/talent-pool-withdrawal", detail_path(&id)),
                hidden: Vec::new(),
                reason: None,
                confirm: l.withdraw_confirm,
                cancel_href: detail_path(&id),
            },
        );
    }
    let (store, user, doc_id) = (state.store.clone(), console.caller.user.clone(), id.clone());
    let keys = state.index_keys.clone();
    match blocking(move || withdraw_logged(store.as_ref(), &keys, &user, &doc_id))
        .await
        .map_err(HrError::from)
        .and_then(|r| r)
    {
        Ok(_) => saved_redirect(&id, "withdrawn"),
        Err(error) => console.refuse(error, &uri).into_response(),
    }
}
