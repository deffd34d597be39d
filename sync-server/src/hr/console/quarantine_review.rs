//! One quarantined capture, for the archivist who decides on it:
//! `GET /console/quarantine/{id}` shows why it was kept apart, in words, and what it holds
//! (person, interests, locations, consents, with the labels of the form it cites) under a
//! record's rules ([`capture_for_review`]: restricted content needs the clearance, and
//! every view is access-logged); `GET /console/quarantine/{id}/review` is the decision on
//! a page of its own (accept, or keep apart for good, with a reason); and
//! `POST /console/quarantine/{id}/review` checks the decision, asks for its confirmation
//! ([`super::confirmations`]: a decision is final), and only the confirmed POST records it
//! ([`review_capture`]).

use axum::extract::{Path, State};
use axum::http::{StatusCode, Uri};
use axum::response::{IntoResponse, Redirect, Response};
use kiosk_core::event::Event;
use kiosk_core::language::Language;
use kiosk_core::registration::Registration;
use maud::{Markup, html};
use serde::Deserialize;

use super::confirmations::{self, Confirmation};
use super::devices::message_page;
use super::layout::{FieldError, Nav, error_of, error_summary};
use super::quarantine::{QUARANTINE, code_label, refusal_text};
use super::texts::texts;
use super::{Console, ConsoleForm, html_page};
use crate::blocking::blocking;
use crate::error::AppError;
use crate::hr::dates;
use crate::hr::error::{Conflict, HrError, HrResult, Missing, StorageContext};
use crate::hr::quarantine::{Decision, checked_reason, review_capture};
use crate::hr::quarantine_content::{CaptureContent, CaptureForReview, capture_for_review};
use crate::state::AppState;
use crate::storage::{QuarantinedCapture, ReviewDecision};

#[derive(Debug)]
struct ReviewTexts {
    capture_title: &'static str,
    back_to_list: &'static str,
    why_heading: &'static str,
    facts_heading: &'static str,
    registration_id: &'static str,
    received: &'static str,
    tablet: &'static str,
    event: &'static str,
    content_heading: &'static str,
    content_logged: &'static str,
    withheld: &'static str,
    unreadable: &'static str,
    decision_heading: &'static str,
    decide_link: &'static str,
    decision_title: &'static str,
    decision_intro: &'static str,
    decision_legend: &'static str,
    accept: &'static str,
    keep_apart: &'static str,
    reason_label: &'static str,
    reason_hint: &'static str,
    go_on: &'static str,
    back_to_capture: &'static str,
    no_decision: &'static str,
    bad_reason: &'static str,
    cannot_accept: &'static str,
    already_reviewed: &'static str,
    not_found_title: &'static str,
    unknown_capture: &'static str,
    accept_title: &'static str,
    accept_intro: &'static str,
    accept_confirm: &'static str,
    keep_title: &'static str,
    keep_intro: &'static str,
    keep_confirm: &'static str,
    accepted: &'static str,
    kept_apart: &'static str,
    reviewed_by: &'static str,
    decision_label: &'static str,
}

const SV: ReviewTexts = ReviewTexts {
    capture_title: "Insändning i karantän",
    back_to_list: "Tillbaka till karantänen",
    why_heading: "Varför insändningen hölls åtskild",
    facts_heading: "Uppgifter om insändningen",
    registration_id: "Registrerings-id",
    received: "Mottagen",
    tablet: "Surfplatta",
    event: "Evenemang",
    content_heading: "Innehåll",
    content_logged: "Att du ser innehållet skrivs i åtkomstloggen, som när du öppnar en registrering.",
    withheld: "Innehållet visas inte: insändningen gäller en person med skyddade personuppgifter, och du har inte behörighet för sådana. Försöket skrevs i åtkomstloggen. Be en arkivarie med behörigheten att granska insändningen.",
    unreadable: "Innehållet kan inte visas: {why}",
    decision_heading: "Beslut",
    decide_link: "Fatta beslut om insändningen",
    decision_title: "Beslut om insändningen",
    decision_intro: "Godta insändningen om den är en äkta registrering som ska finnas bland de andra, eller håll den åtskild för gott. Beslutet är slutgiltigt och sparas med skälet och ditt namn.",
    decision_legend: "Beslut",
    accept: "Godta: gör den till en registrering",
    keep_apart: "Håll åtskild för gott",
    reason_label: "Skäl",
    reason_hint: "1–500 tecken. Skriv inga personuppgifter.",
    go_on: "Fortsätt",
    back_to_capture: "Tillbaka till insändningen",
    no_decision: "Välj om insändningen ska godtas eller hållas åtskild.",
    bad_reason: "Skriv ett skäl på 1–500 tecken.",
    cannot_accept: "Insändningen kan inte godtas: {why} Du kan hålla den åtskild.",
    already_reviewed: "Insändningen har redan granskats. Ett beslut är slutgiltigt.",
    not_found_title: "Insändningen finns inte",
    unknown_capture: "Det finns ingen sådan insändning i karantän.",
    accept_title: "Godta insändningen?",
    accept_intro: "Insändningen blir en registrering bland de andra, som om den hade klarat kontrollerna när den kom in. Beslutet är slutgiltigt.",
    accept_confirm: "Ja, godta insändningen",
    keep_title: "Hålla insändningen åtskild för gott?",
    keep_intro: "Insändningen blir aldrig en registrering. Den finns kvar i karantänen som allmän handling. Beslutet är slutgiltigt.",
    keep_confirm: "Ja, håll den åtskild",
    accepted: "Godtagen",
    kept_apart: "Hålls åtskild",
    reviewed_by: "av {user}, {time}",
    decision_label: "Beslut",
};

const EN: ReviewTexts = ReviewTexts {
    capture_title: "Quarantined capture",
    back_to_list: "Back to the quarantine",
    why_heading: "Why the capture was kept apart",
    facts_heading: "About the capture",
    registration_id: "Registration id",
    received: "Received",
    tablet: "Tablet",
    event: "Event",
    content_heading: "Content",
    content_logged: "That you see the content is written to the access log, as when you open a registration.",
    withheld: "The content is not shown: the capture concerns a person with protected personal data, and you do not have the clearance for that. The attempt was written to the access log. Ask an archivist with the clearance to review the capture.",
    unreadable: "The content cannot be shown: {why}",
    decision_heading: "Decision",
    decide_link: "Decide on the capture",
    decision_title: "Decision on the capture",
    decision_intro: "Accept the capture if it is an authentic registration that belongs with the others, or keep it apart for good. The decision is final and kept with its reason and your name.",
    decision_legend: "Decision",
    accept: "Accept: make it a registration",
    keep_apart: "Keep it apart for good",
    reason_label: "Reason",
    reason_hint: "1–500 characters. Write no personal data.",
    go_on: "Continue",
    back_to_capture: "Back to the capture",
    no_decision: "Choose whether to accept the capture or keep it apart.",
    bad_reason: "Write a reason of 1–500 characters.",
    cannot_accept: "The capture cannot be accepted: {why} You can keep it apart.",
    already_reviewed: "The capture was reviewed already. A decision is final.",
    not_found_title: "No such capture",
    unknown_capture: "There is no such quarantined capture.",
    accept_title: "Accept the capture?",
    accept_intro: "The capture becomes a registration like the others, as if it had passed the checks when it arrived. The decision is final.",
    accept_confirm: "Yes, accept the capture",
    keep_title: "Keep the capture apart for good?",
    keep_intro: "The capture never becomes a registration. It stays in the quarantine as a public record. The decision is final.",
    keep_confirm: "Yes, keep it apart",
    accepted: "Accepted",
    kept_apart: "Kept apart",
    reviewed_by: "by {user}, {time}",
    decision_label: "Decision",
};

fn review_texts(lang: Language) -> &'static ReviewTexts {
    match lang {
        Language::Swedish => &SV,
        Language::English => &EN,
    }
}

/// Why a capture with quarantine code `code` was kept apart, and what the reviewer weighs,
/// in words (`None` for a code this relay does not write).
pub(super) fn reason_text(lang: Language, code: &str) -> Option<&'static str> {
    let (sv, en) = match code {
        "revoked" => (
            "HR hade återkallat surfplattan när den skickade insändningen, till exempel för att den var borttappad. Insändningen är äkta (surfplattans signatur stämmer), men den kan ha gjorts av någon annan än personalen. Godta den om den gjordes innan surfplattan försvann eller om du på annat sätt vet att den är riktig.",
            "HR had revoked the tablet when it sent the capture, for example because it was lost. The capture is authentic (the tablet's signature verifies), but someone other than the staff may have made it. Accept it if it was made before the tablet went missing, or if you know otherwise that it is genuine.",
        ),
        "certificate_expired" => (
            "Surfplattans certifikat hade gått ut när insändningen kom in, ofta för att surfplattan inte synkade i tid efter mässan. Insändningen är äkta. Godta den om den gjordes medan evenemanget pågick.",
            "The tablet's certificate had expired when the capture arrived, often because the tablet did not sync in time after the fair. The capture is authentic. Accept it if it was made while the event was on.",
        ),
        "wrong_event" => (
            "Insändningen gäller ett annat evenemang än det surfplattan var registrerad för, eller ett evenemang som reläet inte känner till. Den kan inte godtas som den är; håll den åtskild och ta reda på varför surfplattan visade fel formulär.",
            "The capture is for another event than the one the tablet was enrolled for, or for an event the relay does not know. It cannot be accepted as it is; keep it apart, and find out why the tablet showed the wrong form.",
        ),
        "invalid_registration" => (
            "Insändningen stämmer inte med evenemangets publicerade formulär, till exempel ett val som inte finns i listan eller ett obligatoriskt fält som saknas. Den kan inte godtas; håll den åtskild.",
            "The capture does not match the event's published form, for example a choice not in its list or a required field missing. It cannot be accepted; keep it apart.",
        ),
        "foreign_actor" => (
            "Insändningen innehåller ändringar som en annan enhet än surfplattan har gjort. Den kan inte godtas; håll den åtskild.",
            "The capture holds changes made by another device than the tablet. It cannot be accepted; keep it apart.",
        ),
        "not_permitted" => (
            "Surfplattan fick inte skicka det här: en personalplatta kan inte ta emot nya registreringar, eller så ändrade insändningen mer än en ny registrering får. Den kan inte godtas; håll den åtskild.",
            "The tablet was not permitted to send this: a staff tablet cannot take new registrations, or the capture changed more than a new registration may. It cannot be accepted; keep it apart.",
        ),
        _ => return None,
    };
    Some(match lang {
        Language::Swedish => sv,
        Language::English => en,
    })
}

fn capture_path(id: u64) -> String {
    format!("{QUARANTINE}/{id}")
}

/// The registration as the visitor gave it, with the labels of the form it cites.
fn content(lang: Language, registration: &Registration, event: Option<&Event>) -> Markup {
    let t = texts(lang);
    let answers = crate::hr::labels::answer_labels(event, registration, lang);
    let person = &registration.person;
    let given = |value: &Option<String>| {
        value
            .as_deref()
            .filter(|v| !v.is_empty())
            .map_or_else(|| t.not_given.to_owned(), str::to_owned)
    };
    let language = match registration.language {
        Language::Swedish => t.swedish,
        Language::English => t.english,
    };
    html! {
        @if registration.restricted {
            div.restricted-notice { p { strong { (t.restricted_badge) ". " } (t.restricted_notice) } }
        }
        h3 { (t.person_heading) }
        dl.details {
            dt { (t.given_name) } dd { (person.given_name) }
            dt { (t.family_name) } dd { (person.family_name) }
            dt { (t.email) } dd { (given(&person.email)) }
            dt { (t.phone) } dd { (given(&person.phone)) }
            dt { (t.visitor_language) } dd { (language) }
        }
        h3 { (t.interests_heading) }
        ul {
            @for interest in &answers.interests {
                li { (interest) }
            }
        }
        @if !answers.locations.is_empty() {
            h3 { (t.locations_heading) }
            ul {
                @for location in &answers.locations {
                    li { (location) }
                }
            }
        }
        dl.details {
            @if let Some(level) = &answers.education_level {
                dt { (t.education_level) }
                dd { (level) }
            }
            @if let Some(text) = &registration.free_text {
                dt { (t.free_text) } dd { (text) }
            }
            dt { (t.col_talent_pool) }
            dd { (if registration.consents.talent_pool.is_some() { t.yes } else { t.no }) }
        }
    }
}

fn not_found(console: &Console, uri: &Uri) -> Response {
    let r = review_texts(console.lang);
    message_page(
        console,
        uri,
        Nav::Quarantine,
        StatusCode::NOT_FOUND,
        (r.not_found_title, r.unknown_capture),
        (QUARANTINE, r.back_to_list),
    )
}

/// Capture `id` for the caller's review (its view logged), or the page that refuses it.
async fn load(
    state: &AppState,
    console: &Console,
    uri: &Uri,
    id: &str,
) -> Result<CaptureForReview, Response> {
    // Who may is the service's first question; an id that is no number is no capture.
    if let Err(error) = crate::hr::policy::may_review_quarantine(&console.caller.user) {
        return Err(console.refuse(error, uri).into_response());
    }
    let Ok(id) = id.parse::<u64>() else {
        return Err(not_found(console, uri));
    };
    let (store, keys, user) = (
        state.store.clone(),
        state.keys.clone(),
        console.caller.user.clone(),
    );
    match blocking(move || capture_for_review(store.as_ref(), &keys, &user, id))
        .await
        .map_err(HrError::from)
        .and_then(|r| r)
    {
        Ok(loaded) => Ok(loaded),
        Err(HrError::NotFound(Missing::Quarantine)) => Err(not_found(console, uri)),
        Err(error) => Err(console.refuse(AppError::from(error), uri).into_response()),
    }
}

/// `GET /console/quarantine/{id}`.
pub(crate) async fn capture_page(
    State(state): State<AppState>,
    console: Console,
    uri: Uri,
    Path(id): Path<String>,
) -> Response {
    let CaptureForReview {
        capture,
        content: shown,
    } = match load(&state, &console, &uri, &id).await {
        Ok(loaded) => loaded,
        Err(page) => return page,
    };
    // The tablet by the name HR gave it.
    let tablet = crate::hr::device_names::tablet_labels(&state, vec![capture.device_key])
        .await
        .remove(&capture.device_key)
        .unwrap_or_else(|| crate::hr::device_names::fingerprint(&capture.device_key));
    let lang = console.lang;
    let r = review_texts(lang);
    let page = console
        .page(r.capture_title, &uri, Nav::Quarantine, false)
        .render(html! {
            p { a href=(QUARANTINE) { (r.back_to_list) } }
            h2 { (r.why_heading) }
            p { strong { (code_label(lang, &capture.code)) } }
            @if let Some(why) = reason_text(lang, &capture.code) {
                p { (why) }
            }
            h2 { (r.facts_heading) }
            dl.details {
                dt { (r.registration_id) } dd.code { (capture.doc_id) }
                dt { (r.received) } dd.code { (dates::local_minutes(capture.received_at)) }
                dt { (r.tablet) } dd { (tablet) }
                dt { (r.event) } dd {
                    @match (&shown, capture.event_id.as_deref()) {
                        (CaptureContent::Shown { event: Some(event), .. }, Some(id)) => {
                            (event.name.get(lang)) " (" (id) ")"
                        }
                        (_, id) => (id.unwrap_or("–")),
                    }
                }
            }
            h2 { (r.content_heading) }
            @match &shown {
                CaptureContent::Shown { registration, event } => {
                    p.hint { (r.content_logged) }
                    (content(lang, registration, event.as_deref()))
                }
                CaptureContent::Withheld => p { (r.withheld) },
                CaptureContent::Unreadable(why) => {
                    p { (r.unreadable.replacen("{why}", refusal_text(lang, *why), 1)) }
                }
            }
            h2 { (r.decision_heading) }
            @if let Some(review) = &capture.review {
                p {
                    strong {
                        (match review.decision {
                            ReviewDecision::Accepted => r.accepted,
                            ReviewDecision::KeptApart => r.kept_apart,
                        })
                    }
                    " "
                    (r.reviewed_by
                        .replacen("{user}", &review.reviewer, 1)
                        .replacen("{time}", &dates::local_minutes(review.reviewed_at), 1))
                }
                p { (review.reason) }
            } @else {
                p { a.button href={ (capture_path(capture.id)) "/review" } { (r.decide_link) } }
            }
        });
    html_page(StatusCode::OK, page)
}

/// The decision form as typed, and its errors.
#[derive(Debug, Default)]
struct Typed<'a> {
    decision: &'a str,
    reason: &'a str,
    errors: Vec<FieldError>,
}

/// The decision page: the form, with `typed` and its errors, answered with `status`.
fn decision_page(
    console: &Console,
    uri: &Uri,
    id: u64,
    doc_id: &str,
    typed: &Typed<'_>,
    status: StatusCode,
) -> Response {
    let lang = console.lang;
    let r = review_texts(lang);
    let t = texts(lang);
    let decision_error = error_of(&typed.errors, "decision-accept");
    let reason_error = error_of(&typed.errors, "reason");
    let page = console
        .page(r.decision_title, uri, Nav::Quarantine, !typed.errors.is_empty())
        .render(html! {
            (error_summary(lang, &typed.errors))
            p { a href=(capture_path(id)) { (r.back_to_capture) } }
            dl.details {
                dt { (r.registration_id) } dd.code { (doc_id) }
            }
            p { (r.decision_intro) }
            form method="post" action={ (capture_path(id)) "/review" } novalidate {
                input type="hidden" name="csrf_token" value=(console.signed.csrf);
                fieldset.field-error[decision_error.is_some()]
                    aria-describedby=[decision_error.map(|_| "decision-error")] {
                    legend { (r.decision_legend) }
                    @if let Some(error) = decision_error {
                        p.error-message #decision-error {
                            span.visually-hidden { (t.error_label) " " }
                            (error)
                        }
                    }
                    div {
                        input #decision-accept type="radio" name="decision" value="accept"
                            checked[typed.decision == "accept"];
                        " "
                        label for="decision-accept" { (r.accept) }
                    }
                    div {
                        input #decision-keep_apart type="radio" name="decision" value="keep_apart"
                            checked[typed.decision == "keep_apart"];
                        " "
                        label for="decision-keep_apart" { (r.keep_apart) }
                    }
                }
                div.field.field-error[reason_error.is_some()] {
                    label for="reason" { (r.reason_label) }
                    p.hint #reason-hint { (r.reason_hint) }
                    @if let Some(error) = reason_error {
                        p.error-message #reason-error {
                            span.visually-hidden { (t.error_label) " " }
                            (error)
                        }
                    }
                    textarea #reason name="reason" rows="3" cols="40" maxlength="500"
                        aria-invalid=[reason_error.map(|_| "true")]
                        aria-describedby=(if reason_error.is_some() { "reason-hint reason-error" } else { "reason-hint" }) {
                        (typed.reason)
                    }
                }
                div.actions { button.button type="submit" { (r.go_on) } }
            }
        });
    html_page(status, page)
}

/// `GET /console/quarantine/{id}/review`: the decision on a page of its own. It shows no
/// content (the capture's page does, logged), so opening it is not a read.
pub(crate) async fn decision_form(
    State(state): State<AppState>,
    console: Console,
    uri: Uri,
    Path(id): Path<String>,
) -> Response {
    let (capture, id) = match unreviewed(&state, &console, &uri, &id).await {
        Ok(found) => found,
        Err(page) => return page,
    };
    decision_page(
        &console,
        &uri,
        id,
        &capture,
        &Typed::default(),
        StatusCode::OK,
    )
}

/// Capture `id`'s registration id, if it waits for a decision; otherwise the page that
/// says why not.
async fn unreviewed(
    state: &AppState,
    console: &Console,
    uri: &Uri,
    id: &str,
) -> Result<(String, u64), Response> {
    let user = match crate::hr::policy::may_review_quarantine(&console.caller.user) {
        Ok(user) => user.clone(),
        Err(error) => return Err(console.refuse(error, uri).into_response()),
    };
    let Ok(id) = id.parse::<u64>() else {
        return Err(not_found(console, uri));
    };
    let store = state.store.clone();
    let found = blocking(move || -> HrResult<Option<QuarantinedCapture>> {
        crate::hr::policy::may_review_quarantine(&user)?;
        Ok(store
            .quarantined_capture(id)
            .context("reading a quarantined capture")?
            .map(|(capture, _)| capture))
    })
    .await
    .map_err(HrError::from)
    .and_then(|r| r);
    match found {
        Ok(Some(capture)) if capture.review.is_none() => Ok((capture.doc_id, id)),
        // Decided already: its page shows the decision.
        Ok(Some(_)) => Err(Redirect::to(&capture_path(id)).into_response()),
        Ok(None) => Err(not_found(console, uri)),
        Err(error) => Err(console.refuse(error, uri).into_response()),
    }
}

#[derive(Debug, Deserialize)]
pub(crate) struct DecisionForm {
    #[serde(default)]
    decision: String,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    confirmed: String,
}

/// `POST /console/quarantine/{id}/review`: the decision checked (every error at once), then
/// its confirmation page, then, confirmed, recorded.
pub(crate) async fn decide(
    State(state): State<AppState>,
    uri: Uri,
    Path(id): Path<String>,
    ConsoleForm { console, form }: ConsoleForm<DecisionForm>,
) -> Response {
    let (doc_id, id) = match unreviewed(&state, &console, &uri, &id).await {
        Ok(found) => found,
        Err(page) => return page,
    };
    let lang = console.lang;
    let r = review_texts(lang);
    let decision = Decision::parse(&form.decision);
    let reason = checked_reason(&form.reason);
    let mut typed = Typed {
        decision: &form.decision,
        reason: &form.reason,
        errors: Vec::new(),
    };
    if decision.is_err() {
        typed
            .errors
            .push(FieldError::on("decision-accept", r.no_decision));
    }
    if reason.is_err() {
        typed.errors.push(FieldError::on("reason", r.bad_reason));
    }
    let (Ok(decision), Ok(reason)) = (decision, reason) else {
        return decision_page(
            &console,
            &uri,
            id,
            &doc_id,
            &typed,
            StatusCode::UNPROCESSABLE_ENTITY,
        );
    };
    if !confirmations::is_confirmed(&form.confirmed) {
        let (title, intro, confirm, chosen) = match decision {
            Decision::Accept => (r.accept_title, r.accept_intro, r.accept_confirm, r.accept),
            Decision::KeepApart => (r.keep_title, r.keep_intro, r.keep_confirm, r.keep_apart),
        };
        return confirmations::page(
            &console,
            &uri,
            Nav::Quarantine,
            StatusCode::OK,
            Confirmation {
                title,
                details: vec![
                    (r.registration_id, doc_id),
                    (r.decision_label, chosen.to_owned()),
                    (r.reason_label, reason),
                ],
                intro,
                action: format!("{}/review", capture_path(id)),
                hidden: vec![
                    ("decision", form.decision.clone()),
                    ("reason", form.reason.clone()),
                ],
                reason: None,
                confirm,
                cancel_href: capture_path(id),
            },
        );
    }
    let (store, keys, user) = (
        state.store.clone(),
        state.keys.clone(),
        console.caller.user.clone(),
    );
    let typed_reason = form.reason.clone();
    let result =
        blocking(move || review_capture(store.as_ref(), &keys, &user, id, decision, &typed_reason))
            .await
            .map_err(HrError::from)
            .and_then(|r| r);
    let (field, message, status) = match result {
        Ok(_) => return Redirect::to(&format!("{QUARANTINE}?reviewed={id}")).into_response(),
        Err(HrError::CannotAccept(why)) => (
            Some("decision-accept"),
            r.cannot_accept
                .replacen("{why}", refusal_text(lang, why), 1),
            StatusCode::CONFLICT,
        ),
        Err(HrError::Conflict(Conflict::AlreadyReviewed)) => {
            (None, r.already_reviewed.to_owned(), StatusCode::CONFLICT)
        }
        Err(HrError::NotFound(Missing::Quarantine)) => return not_found(&console, &uri),
        Err(error) => return console.refuse(AppError::from(error), &uri).into_response(),
    };
    typed.errors.push(match field {
        Some(field) => FieldError::on(field, message),
        None => FieldError::form(message),
    });
    decision_page(&console, &uri, id, &doc_id, &typed, status)
}

#[cfg(test)]
mod tests {
    use super::*;
    use kiosk_core::protocol::ErrorCode;

    #[test]
    fn every_code_ingest_quarantines_with_has_its_reason_in_words_in_both_languages() {
        let codes = [
            ErrorCode::Revoked,
            ErrorCode::CertificateExpired,
            ErrorCode::WrongEvent,
            ErrorCode::InvalidRegistration,
            ErrorCode::ForeignActor,
            ErrorCode::NotPermitted,
        ];
        for code in codes {
            let sv = reason_text(Language::Swedish, code.as_str()).expect("Swedish");
            let en = reason_text(Language::English, code.as_str()).expect("English");
            assert_ne!(sv, en, "{}", code.as_str());
            assert!(!sv.contains('_') && !en.contains('_'), "words, not codes");
        }
        assert_eq!(reason_text(Language::Swedish, "no_such_code"), None);
    }
}
