//! `GET /console/quarantine`: the quarantined captures for archivists, newest first, a page
//! at a time: when each arrived, from which tablet and event, why it was kept apart, and
//! its review; a capture not yet reviewed has a form for the final decision
//! (`POST /console/quarantine/{id}/review`: accept or keep apart, with a reason). The list
//! and the review are the API's ([`list_page`], [`review_capture`]); a refused decision
//! re-renders the page with the error tied to that capture's field.

use axum::extract::{Path, RawQuery, State};
use axum::http::{StatusCode, Uri};
use axum::response::{IntoResponse, Redirect, Response};
use kiosk_core::language::Language;
use maud::{Markup, html};
use serde::Deserialize;

use super::layout::{Nav, column_heads, notice};
use super::texts::texts;
use super::{Console, ConsoleForm, html_page};
use crate::blocking::blocking;
use crate::error::AppError;
use crate::hr::dates;
use crate::hr::error::{Conflict, HrError, Missing};
use crate::hr::quarantine::{AcceptRefusal, Decision, list_page, review_capture};
use crate::state::AppState;
use crate::storage::{QuarantinedCapture, ReviewDecision};

const QUARANTINE: &str = "/console/quarantine";

/// The page's texts, in one language.
#[derive(Debug)]
struct QuarantineTexts {
    title: &'static str,
    intro: &'static str,
    caption: &'static str,
    col_received: &'static str,
    col_capture: &'static str,
    col_device: &'static str,
    col_event: &'static str,
    col_code: &'static str,
    col_review: &'static str,
    empty: &'static str,
    unknown_event: &'static str,
    decision_legend: &'static str,
    accept: &'static str,
    keep_apart: &'static str,
    reason_label: &'static str,
    reason_hint: &'static str,
    save: &'static str,
    accepted: &'static str,
    kept_apart: &'static str,
    reviewed_by: &'static str,
    saved: &'static str,
    older: &'static str,
    newest: &'static str,
    pages_nav: &'static str,
    no_decision: &'static str,
    bad_reason: &'static str,
    cannot_accept: &'static str,
    already_reviewed: &'static str,
    unknown_capture: &'static str,
}

const SV: QuarantineTexts = QuarantineTexts {
    title: "Karantän",
    intro: "Här finns insändningar som reläet har tagit emot men hållit åtskilda: de är äkta (surfplattans signatur stämmer) men kom från en återkallad eller utgången surfplatta eller klarade inte en senare kontroll. De är allmänna handlingar och tas inte bort. Granska var och en en gång: godta den så att den blir en registrering bland de andra, eller håll den åtskild för gott. Beslutet och skälet sparas och loggas.",
    caption: "Insändningar i karantän, nyast först",
    col_received: "Mottagen",
    col_capture: "Registrerings-id",
    col_device: "Surfplatta",
    col_event: "Evenemang",
    col_code: "Orsak",
    col_review: "Granskning",
    empty: "Det finns inga insändningar i karantän.",
    unknown_event: "okänt",
    decision_legend: "Beslut",
    accept: "Godta: gör den till en registrering",
    keep_apart: "Håll åtskild för gott",
    reason_label: "Skäl",
    reason_hint: "1–500 tecken. Skriv inga personuppgifter.",
    save: "Spara beslutet",
    accepted: "Godtagen",
    kept_apart: "Hålls åtskild",
    reviewed_by: "av {user}, {time}",
    saved: "Beslutet är sparat.",
    older: "Äldre",
    newest: "Nyaste",
    pages_nav: "Sidor",
    no_decision: "Välj om insändningen ska godtas eller hållas åtskild.",
    bad_reason: "Skriv ett skäl på 1–500 tecken.",
    cannot_accept: "Insändningen kan inte godtas: {why} Du kan hålla den åtskild.",
    already_reviewed: "Insändningen har redan granskats. Ett beslut är slutgiltigt.",
    unknown_capture: "Det finns ingen sådan insändning i karantän.",
};

const EN: QuarantineTexts = QuarantineTexts {
    title: "Quarantine",
    intro: "These are captures the relay received but kept apart: they are authentic (the tablet's signature verifies) but came from a revoked or expired tablet, or failed a later check. They are public records and are not removed. Review each once: accept it, so it becomes a registration like the others, or keep it apart for good. The decision and its reason are kept and logged.",
    caption: "Quarantined captures, newest first",
    col_received: "Received",
    col_capture: "Registration id",
    col_device: "Tablet",
    col_event: "Event",
    col_code: "Reason",
    col_review: "Review",
    empty: "There are no quarantined captures.",
    unknown_event: "unknown",
    decision_legend: "Decision",
    accept: "Accept: make it a registration",
    keep_apart: "Keep it apart for good",
    reason_label: "Reason",
    reason_hint: "1–500 characters. Write no personal data.",
    save: "Save the decision",
    accepted: "Accepted",
    kept_apart: "Kept apart",
    reviewed_by: "by {user}, {time}",
    saved: "The decision is saved.",
    older: "Older",
    newest: "Newest",
    pages_nav: "Pages",
    no_decision: "Choose whether to accept the capture or keep it apart.",
    bad_reason: "Write a reason of 1–500 characters.",
    cannot_accept: "The capture cannot be accepted: {why} You can keep it apart.",
    already_reviewed: "The capture was reviewed already. A decision is final.",
    unknown_capture: "There is no such quarantined capture.",
};

fn quarantine_texts(lang: Language) -> &'static QuarantineTexts {
    match lang {
        Language::Swedish => &SV,
        Language::English => &EN,
    }
}

/// Why the tablet's capture was kept apart, as people read it.
fn code_label(lang: Language, code: &str) -> &str {
    let (sv, en) = match code {
        "revoked" => ("Surfplattan var återkallad", "The tablet was revoked"),
        "certificate_expired" => (
            "Surfplattans certifikat hade gått ut",
            "The tablet's certificate had expired",
        ),
        "wrong_event" => (
            "Gäller ett annat evenemang än surfplattans",
            "For another event than the tablet's",
        ),
        "invalid_registration" => ("Stämde inte med formuläret", "Did not match the form"),
        "foreign_actor" => ("Skriven av en annan enhet", "Written by another device"),
        "not_permitted" => (
            "Inte tillåten för surfplattan, eller krockar med en lagrad registrering",
            "Not permitted for the tablet, or conflicts with a stored registration",
        ),
        _ => return code,
    };
    match lang {
        Language::Swedish => sv,
        Language::English => en,
    }
}

/// Why accepting was refused, as people read it.
fn refusal_text(lang: Language, refusal: AcceptRefusal) -> &'static str {
    let (sv, en) = match refusal {
        AcceptRefusal::NotASealedCapture => (
            "det som sparades är inte en förseglad insändning som reläet kan öppna.",
            "what was kept is not a sealed capture the relay can open.",
        ),
        AcceptRefusal::BadSignature => (
            "insändningens signatur stämmer inte.",
            "the capture signature does not verify.",
        ),
        AcceptRefusal::OtherDevice => (
            "den gjordes av en annan enhet än surfplattan som skickade den.",
            "it was made by another device than the tablet that sent it.",
        ),
        AcceptRefusal::NotAKiosk => (
            "surfplattan som skickade den är inte en kiosk, och bara kiosker tar emot registreringar.",
            "the tablet that sent it is not a kiosk, and only kiosks take registrations.",
        ),
        AcceptRefusal::NotACapture => (
            "den är inte en ny registrering skriven av surfplattan.",
            "it is not a new registration written by the tablet.",
        ),
        AcceptRefusal::OtherEvent => (
            "den gäller ett annat evenemang än surfplattans.",
            "it is for another event than the tablet's.",
        ),
        AcceptRefusal::UnknownEvent => (
            "reläet känner inte till evenemanget.",
            "the relay does not know its event.",
        ),
        AcceptRefusal::InvalidRegistration => (
            "den stämmer inte med evenemangets formulär.",
            "it does not match the event's form.",
        ),
        AcceptRefusal::AlreadyStored => (
            "en registrering med samma id finns redan.",
            "a registration with the same id is stored already.",
        ),
        AcceptRefusal::Removed => (
            "registreringen har gallrats och förblir gallrad.",
            "the registration was removed and stays removed.",
        ),
    };
    match lang {
        Language::Swedish => sv,
        Language::English => en,
    }
}

/// A refused decision: which capture, and the message of its decision or reason field (or
/// of the page, for a capture that is gone).
#[derive(Debug, Default)]
struct Refused {
    capture: u64,
    decision: Option<String>,
    reason: Option<String>,
    page: Option<String>,
    typed_reason: String,
}

impl Refused {
    fn messages(&self) -> Vec<(String, &str)> {
        let id = self.capture;
        [
            (format!("decision-{id}-accept"), self.decision.as_deref()),
            (format!("reason-{id}"), self.reason.as_deref()),
        ]
        .into_iter()
        .filter_map(|(anchor, message)| Some((anchor, message?)))
        .collect()
    }
}

/// The query the page takes: a page cursor, and the capture just reviewed.
#[derive(Debug, Default)]
struct Shown {
    before: Option<u64>,
    reviewed: bool,
}

fn shown(query: Option<&str>) -> Shown {
    let pairs: Vec<(String, String)> = query
        .and_then(|q| serde_urlencoded::from_str(q).ok())
        .unwrap_or_default();
    let mut shown = Shown::default();
    for (name, value) in pairs {
        match name.as_str() {
            "before" => shown.before = value.parse().ok(),
            "reviewed" => shown.reviewed = true,
            _ => {}
        }
    }
    shown
}

pub(crate) async fn page(
    State(state): State<AppState>,
    console: Console,
    uri: Uri,
    RawQuery(query): RawQuery,
) -> Response {
    let shown = shown(query.as_deref());
    render(&state, &console, &uri, &shown, None, StatusCode::OK).await
}

async fn render(
    state: &AppState,
    console: &Console,
    uri: &Uri,
    shown: &Shown,
    refused: Option<&Refused>,
    status: StatusCode,
) -> Response {
    // Who may see it is list_page's question (the policy).
    let (store, user) = (state.store.clone(), console.caller.user.clone());
    let before = shown.before;
    let (captures, next) = match blocking(move || list_page(store.as_ref(), &user, before))
        .await
        .map_err(AppError::from)
        .and_then(|r| r.map_err(AppError::from))
    {
        Ok(page) => page,
        Err(error) => return console.refuse(error, uri).into_response(),
    };
    let lang = console.lang;
    let q = quarantine_texts(lang);
    let messages = refused.map(Refused::messages).unwrap_or_default();
    let page_error = refused.and_then(|r| r.page.as_deref());
    let page = console
        .page(q.title, uri, Nav::Quarantine, refused.is_some())
        .render(html! {
            (super::layout::error_summary_of(lang, &messages
                .iter()
                .map(|(anchor, message)| (Some(anchor.as_str()), *message))
                .chain(page_error.map(|message| (None, message)))
                .collect::<Vec<_>>()))
            @if shown.reviewed && refused.is_none() {
                (notice(q.saved))
            }
            p { (q.intro) }
            @if captures.is_empty() {
                p { (q.empty) }
            } @else {
                (super::layout::table_region(q.caption, html! { table {
                    caption { (q.caption) }
                    (column_heads(&[
                        q.col_capture,
                        q.col_received,
                        q.col_device,
                        q.col_event,
                        q.col_code,
                        q.col_review,
                    ]))
                    tbody {
                        @for capture in &captures {
                            tr {
                                th scope="row" .code { (capture.doc_id) }
                                td.code { (dates::local_minutes(capture.received_at)) }
                                td.code { (hex::encode(&capture.device_key[..8])) }
                                td { (capture.event_id.as_deref().unwrap_or(q.unknown_event)) }
                                td { (code_label(lang, &capture.code)) }
                                td {
                                    (review_cell(
                                        lang,
                                        &console.signed.csrf,
                                        capture,
                                        refused.filter(|r| r.capture == capture.id),
                                    ))
                                }
                            }
                        }
                    }
                } }))
                @if shown.before.is_some() || next.is_some() {
                    nav.pages aria-label=(q.pages_nav) {
                        @if shown.before.is_some() {
                            a href=(QUARANTINE) { (q.newest) }
                        }
                        @if let Some(next) = next {
                            a href={ (QUARANTINE) "?before=" (next) } rel="next" { (q.older) }
                        }
                    }
                }
            }
        });
    html_page(status, page)
}

/// A reviewed capture's decision, or the form that makes it.
fn review_cell(
    lang: Language,
    csrf: &str,
    capture: &QuarantinedCapture,
    refused: Option<&Refused>,
) -> Markup {
    let q = quarantine_texts(lang);
    let t = texts(lang);
    if let Some(review) = &capture.review {
        let decision = match review.decision {
            ReviewDecision::Accepted => q.accepted,
            ReviewDecision::KeptApart => q.kept_apart,
        };
        let by = q
            .reviewed_by
            .replacen("{user}", &review.reviewer, 1)
            .replacen("{time}", &dates::local_minutes(review.reviewed_at), 1);
        return html! {
            p { strong { (decision) } " " (by) }
            p { (review.reason) }
        };
    }
    let id = capture.id;
    let legend_id = format!("decision-{id}-legend");
    let decision_error_id = format!("decision-{id}-error");
    let reason_id = format!("reason-{id}");
    let reason_hint_id = format!("reason-{id}-hint");
    let reason_error_id = format!("reason-{id}-error");
    let decision_error = refused.and_then(|r| r.decision.as_deref());
    let reason_error = refused.and_then(|r| r.reason.as_deref());
    let typed = refused.map_or("", |r| r.typed_reason.as_str());
    let reason_described = if reason_error.is_some() {
        format!("{reason_hint_id} {reason_error_id}")
    } else {
        reason_hint_id.clone()
    };
    html! {
        form method="post" action={ (QUARANTINE) "/" (id) "/review" } novalidate {
            input type="hidden" name="csrf_token" value=(csrf);
            fieldset.field-error[decision_error.is_some()]
                aria-describedby=[decision_error.map(|_| decision_error_id.as_str())] {
                legend #(legend_id) { (q.decision_legend) " " span.visually-hidden { (capture.doc_id) } }
                @if let Some(error) = decision_error {
                    p.error-message #(decision_error_id) {
                        span.visually-hidden { (t.error_label) " " }
                        (error)
                    }
                }
                div {
                    input type="radio" name="decision" value="accept" #{ "decision-" (id) "-accept" };
                    " "
                    label for={ "decision-" (id) "-accept" } { (q.accept) }
                }
                div {
                    input type="radio" name="decision" value="keep_apart" #{ "decision-" (id) "-keep_apart" };
                    " "
                    label for={ "decision-" (id) "-keep_apart" } { (q.keep_apart) }
                }
            }
            div.field.field-error[reason_error.is_some()] {
                label for=(reason_id) { (q.reason_label) }
                p.hint #(reason_hint_id) { (q.reason_hint) }
                @if let Some(error) = reason_error {
                    p.error-message #(reason_error_id) {
                        span.visually-hidden { (t.error_label) " " }
                        (error)
                    }
                }
                textarea #(reason_id) name="reason" rows="3" cols="40" maxlength="500"
                    aria-invalid=[reason_error.map(|_| "true")]
                    aria-describedby=(reason_described) { (typed) }
            }
            div.actions { button.button type="submit" { (q.save) } }
        }
    }
}

#[derive(Debug, Deserialize)]
pub(crate) struct ReviewForm {
    #[serde(default)]
    decision: String,
    #[serde(default)]
    reason: String,
}

pub(crate) async fn review(
    State(state): State<AppState>,
    Path(id): Path<String>,
    ConsoleForm { console, form }: ConsoleForm<ReviewForm>,
) -> Response {
    // Refusals and re-renders show the list's address, not the form's.
    let uri = Uri::from_static(QUARANTINE);
    let user = match crate::hr::policy::may_review_quarantine(&console.caller.user) {
        Ok(user) => user.clone(),
        Err(error) => return console.refuse(error, &uri).into_response(),
    };
    let lang = console.lang;
    let q = quarantine_texts(lang);
    let Ok(id) = id.parse::<u64>() else {
        let refused = Refused {
            page: Some(q.unknown_capture.to_owned()),
            ..Refused::default()
        };
        let shown = Shown::default();
        return render(
            &state,
            &console,
            &uri,
            &shown,
            Some(&refused),
            StatusCode::NOT_FOUND,
        )
        .await;
    };
    let typed_reason = form.reason.clone();
    let result = match Decision::parse(&form.decision) {
        Ok(decision) => {
            let (store, keys) = (state.store.clone(), state.keys.clone());
            let reason = form.reason;
            blocking(move || review_capture(store.as_ref(), &keys, &user, id, decision, &reason))
                .await
                .map_err(HrError::from)
                .and_then(|r| r)
        }
        Err(error) => Err(error),
    };
    let mut refused = Refused {
        capture: id,
        typed_reason,
        ..Refused::default()
    };
    let status = match result {
        Ok(_) => return Redirect::to(&format!("{QUARANTINE}?reviewed={id}")).into_response(),
        Err(HrError::InvalidField {
            field: "decision", ..
        }) => {
            refused.decision = Some(q.no_decision.to_owned());
            // The reason is checked too, so both errors show at once.
            if crate::hr::quarantine::checked_reason(&refused.typed_reason).is_err() {
                refused.reason = Some(q.bad_reason.to_owned());
            }
            StatusCode::UNPROCESSABLE_ENTITY
        }
        Err(HrError::InvalidField { .. }) => {
            refused.reason = Some(q.bad_reason.to_owned());
            StatusCode::UNPROCESSABLE_ENTITY
        }
        Err(HrError::CannotAccept(why)) => {
            refused.decision = Some(
                q.cannot_accept
                    .replacen("{why}", refusal_text(lang, why), 1),
            );
            StatusCode::CONFLICT
        }
        Err(HrError::Conflict(Conflict::AlreadyReviewed)) => {
            refused.page = Some(q.already_reviewed.to_owned());
            StatusCode::CONFLICT
        }
        Err(HrError::NotFound(Missing::Quarantine)) => {
            refused.page = Some(q.unknown_capture.to_owned());
            StatusCode::NOT_FOUND
        }
        Err(error) => return console.refuse(error, &uri).into_response(),
    };
    render(
        &state,
        &console,
        &uri,
        &Shown::default(),
        Some(&refused),
        status,
    )
    .await
}
