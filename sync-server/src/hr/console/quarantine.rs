//! `GET /console/quarantine`: the quarantined captures for archivists, newest first, a page
//! at a time: when each arrived, from which tablet and event, why it was kept apart, and
//! its review, without personal data. Each capture links to its own page
//! ([`super::quarantine_review`]: its content, the reason in words, and the decision on a
//! page of its own, confirmed before it is recorded).

use axum::extract::{RawQuery, State};
use axum::http::{StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use kiosk_core::language::Language;
use maud::{Markup, html};

use super::layout::{Nav, column_heads, notice};
use super::{Console, html_page};
use crate::blocking::blocking;
use crate::error::AppError;
use crate::hr::dates;
use crate::hr::quarantine::{AcceptRefusal, list_page};
use crate::state::AppState;
use crate::storage::{QuarantinedCapture, ReviewDecision};

pub(super) const QUARANTINE: &str = "/console/quarantine";

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
    accepted: &'static str,
    kept_apart: &'static str,
    reviewed_by: &'static str,
    review: &'static str,
    open: &'static str,
    saved: &'static str,
    older: &'static str,
    newest: &'static str,
    pages_nav: &'static str,
}

const SV: QuarantineTexts = QuarantineTexts {
    title: "Karantän",
    intro: "Här finns insändningar som reläet har tagit emot men hållit åtskilda: de är äkta (surfplattans signatur stämmer) men kom från en återkallad eller utgången surfplatta eller klarade inte en senare kontroll. De är allmänna handlingar och tas inte bort. Öppna var och en, se vad den innehåller och varför den hölls åtskild, och fatta ett beslut en gång: godta den så att den blir en registrering bland de andra, eller håll den åtskild för gott. Beslutet och skälet sparas och loggas.",
    caption: "Insändningar i karantän, nyast först",
    col_received: "Mottagen",
    col_capture: "Registrerings-id",
    col_device: "Surfplatta",
    col_event: "Evenemang",
    col_code: "Orsak",
    col_review: "Granskning",
    empty: "Det finns inga insändningar i karantän.",
    unknown_event: "okänt",
    accepted: "Godtagen",
    kept_apart: "Hålls åtskild",
    reviewed_by: "av {user}, {time}",
    review: "Granska",
    open: "Visa",
    saved: "Beslutet är sparat.",
    older: "Äldre",
    newest: "Nyaste",
    pages_nav: "Sidor",
};

const EN: QuarantineTexts = QuarantineTexts {
    title: "Quarantine",
    intro: "These are captures the relay received but kept apart: they are authentic (the tablet's signature verifies) but came from a revoked or expired tablet, or failed a later check. They are public records and are not removed. Open each, see what it holds and why it was kept apart, and decide once: accept it, so it becomes a registration like the others, or keep it apart for good. The decision and its reason are kept and logged.",
    caption: "Quarantined captures, newest first",
    col_received: "Received",
    col_capture: "Registration id",
    col_device: "Tablet",
    col_event: "Event",
    col_code: "Reason",
    col_review: "Review",
    empty: "There are no quarantined captures.",
    unknown_event: "unknown",
    accepted: "Accepted",
    kept_apart: "Kept apart",
    reviewed_by: "by {user}, {time}",
    review: "Review",
    open: "Show",
    saved: "The decision is saved.",
    older: "Older",
    newest: "Newest",
    pages_nav: "Pages",
};

fn quarantine_texts(lang: Language) -> &'static QuarantineTexts {
    match lang {
        Language::Swedish => &SV,
        Language::English => &EN,
    }
}

/// Why the tablet's capture was kept apart, as people read it.
pub(super) fn code_label(lang: Language, code: &str) -> &str {
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
pub(super) fn refusal_text(lang: Language, refusal: AcceptRefusal) -> &'static str {
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
    render(&state, &console, &uri, &shown).await
}

async fn render(state: &AppState, console: &Console, uri: &Uri, shown: &Shown) -> Response {
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
    // Tablets by the names HR gave them.
    let tablets = crate::hr::device_names::tablet_labels(
        state,
        captures.iter().map(|capture| capture.device_key).collect(),
    )
    .await;
    let lang = console.lang;
    let q = quarantine_texts(lang);
    let page = console
        .page(q.title, uri, Nav::Quarantine, false)
        .render(html! {
            @if shown.reviewed {
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
                                td.code { (tablets.get(&capture.device_key).cloned().unwrap_or_else(|| crate::hr::device_names::fingerprint(&capture.device_key))) }
                                td { (capture.event_id.as_deref().unwrap_or(q.unknown_event)) }
                                td { (code_label(lang, &capture.code)) }
                                td { (review_cell(lang, capture)) }
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
    html_page(StatusCode::OK, page)
}

/// A reviewed capture's decision, or the link to the capture's page, where it is made.
fn review_cell(lang: Language, capture: &QuarantinedCapture) -> Markup {
    let q = quarantine_texts(lang);
    let link = html! {
        a href={ (QUARANTINE) "/" (capture.id) } {
            @if capture.review.is_some() { (q.open) } @else { (q.review) }
            span.visually-hidden { " " (capture.doc_id) }
        }
    };
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
            p { (link) }
        };
    }
    html! { p { (link) } }
}
