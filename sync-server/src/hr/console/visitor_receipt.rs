//! The console's side of the visitor's receipt: the archivists' queue of visitor requests
//! (`/console/visitor-requests`, each with a link to its record and "mark handled"), and
//! the record page's *Besökarens kvitto* section (whether the receipt works, the visitors'
//! requests with a correction's text, and withdrawing the receipt after a confirmation).
//! The handlers call [`crate::hr::visitor_requests`].

use axum::extract::{Path, State};
use axum::http::{StatusCode, Uri};
use axum::response::{IntoResponse, Redirect, Response};
use kiosk_core::language::Language;
use maud::{Markup, html};
use serde::Deserialize;

use super::confirmations::{self, Confirmation};
use super::detail::{detail_path, detail_uri, saved_redirect};
use super::layout::{Nav, column_heads, table_region};
use super::{Console, ConsoleForm, html_page};
use crate::blocking::blocking;
use crate::hr::dates;
use crate::hr::error::HrError;
use crate::hr::visitor_requests::{mark_handled, open_requests, receipt_state, withdraw_receipt};
use crate::state::AppState;
use crate::storage::{VisitorRequest, VisitorRequestKind};

/// The queue's address.
pub(crate) const QUEUE: &str = "/console/visitor-requests";

struct Texts {
    title: &'static str,
    intro: &'static str,
    empty: &'static str,
    col_record: &'static str,
    col_kind: &'static str,
    col_date: &'static str,
    col_action: &'static str,
    access: &'static str,
    correction: &'static str,
    mark_handled: &'static str,
    handled_notice: &'static str,
    section: &'static str,
    works: &'static str,
    none: &'static str,
    withdraw_heading: &'static str,
    withdraw_hint: &'static str,
    withdraw_button: &'static str,
    withdraw_confirm_title: &'static str,
    withdraw_confirm_intro: &'static str,
    withdraw_confirm: &'static str,
    record: &'static str,
    requests: &'static str,
    open: &'static str,
    handled_by: &'static str,
    withdrawn_saved: &'static str,
}

const SV: Texts = Texts {
    title: "Besökarnas begäranden",
    intro: "Begäranden som besökare har gjort från sin kvittosida. Ett registerutdrag lämnas \
        ut via kontaktuppgiften i registreringen, aldrig på kvittosidan. Texten i en begäran \
        om rättelse läser du på registreringens sida.",
    empty: "Det finns inga öppna begäranden.",
    col_record: "Registrering",
    col_kind: "Begäran",
    col_date: "Datum",
    col_action: "Åtgärd",
    access: "Registerutdrag",
    correction: "Rättelse",
    mark_handled: "Markera som hanterad",
    handled_notice: "Begäran är markerad som hanterad.",
    section: "Besökarens kvitto",
    works: "Kvittot fungerar: den som har kvittokoden kan se att registreringen är mottagen.",
    none: "Inget kvitto fungerar för registreringen (återkallat, eller registrerad före kvitton).",
    withdraw_heading: "Återkalla kvittot",
    withdraw_hint: "Till exempel om besökaren har tappat ett fotograferat kvitto. Kvittot svarar \
        sedan som en felaktig kod. Det går inte att ångra.",
    withdraw_button: "Återkalla kvittot",
    withdraw_confirm_title: "Återkalla besökarens kvitto?",
    withdraw_confirm_intro: "Kvittokoden slutar fungera direkt och svarar som en felaktig kod. \
        Registreringen påverkas inte. Det går inte att ångra.",
    withdraw_confirm: "Återkalla kvittot",
    record: "Registrering",
    requests: "Besökarens begäranden",
    open: "öppen",
    handled_by: "hanterad av",
    withdrawn_saved: "Kvittot är återkallat.",
};

const EN: Texts = Texts {
    title: "Visitors' requests",
    intro: "Requests visitors made from their receipt page. A registerutdrag is delivered \
        through the contact details on the record, never on the receipt page. Read a \
        correction request's text on its record's page.",
    empty: "There are no open requests.",
    col_record: "Record",
    col_kind: "Request",
    col_date: "Date",
    col_action: "Action",
    access: "Registerutdrag (subject access)",
    correction: "Correction",
    mark_handled: "Mark handled",
    handled_notice: "The request is marked handled.",
    section: "The visitor's receipt",
    works: "The receipt works: whoever holds its code can see that the registration was \
        received.",
    none: "No receipt works for this record (withdrawn, or captured before receipts).",
    withdraw_heading: "Withdraw the receipt",
    withdraw_hint: "For example when the visitor lost a photographed receipt. The receipt then \
        answers as a wrong code. This cannot be undone.",
    withdraw_button: "Withdraw the receipt",
    withdraw_confirm_title: "Withdraw the visitor's receipt?",
    withdraw_confirm_intro: "The receipt code stops working at once and answers as a wrong \
        code. The record is not changed. This cannot be undone.",
    withdraw_confirm: "Withdraw the receipt",
    record: "Record",
    requests: "The visitor's requests",
    open: "open",
    handled_by: "handled by",
    withdrawn_saved: "The receipt is withdrawn.",
};

fn texts(lang: Language) -> &'static Texts {
    match lang {
        Language::Swedish => &SV,
        Language::English => &EN,
    }
}

fn kind_label(t: &Texts, kind: VisitorRequestKind) -> &'static str {
    match kind {
        VisitorRequestKind::SubjectAccess => t.access,
        VisitorRequestKind::Correction => t.correction,
    }
}

/// The notice after the record page's receipt withdrawal (`?saved=receipt`).
pub(crate) fn saved_notice(lang: Language, saved: &str) -> Option<&'static str> {
    (saved == "receipt").then(|| texts(lang).withdrawn_saved)
}

#[derive(Debug, Deserialize)]
pub(crate) struct Shown {
    handled: Option<String>,
}

/// `GET /console/visitor-requests`: the open requests (archivists).
pub(crate) async fn queue(
    State(state): State<AppState>,
    console: Console,
    uri: Uri,
    axum::extract::Query(shown): axum::extract::Query<Shown>,
) -> Response {
    let (store, user) = (state.store.clone(), console.caller.user.clone());
    let requests = match blocking(move || open_requests(store.as_ref(), &user))
        .await
        .map_err(HrError::from)
        .and_then(|r| r)
    {
        Ok(requests) => requests,
        Err(error) => return console.refuse(error, &uri).into_response(),
    };
    let lang = console.lang;
    let t = texts(lang);
    let page = console
        .page(t.title, &uri, Nav::VisitorRequests, false)
        .render(html! {
            @if shown.handled.is_some() {
                p.notice role="status" { (t.handled_notice) }
            }
            p { (t.intro) }
            @if requests.is_empty() {
                p { (t.empty) }
            } @else {
                (table_region(t.title, html! {
                    table {
                        caption.visually-hidden { (t.title) }
                        (column_heads(&[t.col_record, t.col_kind, t.col_date, t.col_action]))
                        tbody {
                            @for request in &requests {
                                tr {
                                    td.code { a href=(detail_path(&request.doc_id)) { (request.reference) } }
                                    td { (kind_label(t, request.kind)) }
                                    td.code { (dates::local_date(request.at)) }
                                    td {
                                        form method="post" action={ (QUEUE) "/" (request.id) "/handled" } {
                                            input type="hidden" name="csrf_token" value=(console.signed.csrf);
                                            button.button.secondary type="submit"
                                                aria-label={ (t.mark_handled) ": " (request.reference) ", " (kind_label(t, request.kind)) } {
                                                (t.mark_handled)
                                            }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }))
            }
        });
    html_page(StatusCode::OK, page)
}

#[derive(Debug, Deserialize)]
pub(crate) struct NoFields {}

/// `POST /console/visitor-requests/{id}/handled`: marks one handled, back to the queue.
pub(crate) async fn handled(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    ConsoleForm { console, .. }: ConsoleForm<NoFields>,
) -> Response {
    let (store, user) = (state.store.clone(), console.caller.user.clone());
    match blocking(move || mark_handled(store.as_ref(), &user, id))
        .await
        .map_err(HrError::from)
        .and_then(|r| r)
    {
        Ok(_) => Redirect::to(&format!("{QUEUE}?handled=1")).into_response(),
        Err(error) => console
            .refuse(error, &Uri::from_static(QUEUE))
            .into_response(),
    }
}

/// The record page's section for `doc_id`: nothing for a user who is not an archivist.
pub(crate) async fn section(state: &AppState, console: &Console, doc_id: &str) -> Markup {
    let (store, user, id) = (
        state.store.clone(),
        console.caller.user.clone(),
        doc_id.to_owned(),
    );
    let read = blocking(move || receipt_state(store.as_ref(), &user, &id))
        .await
        .map_err(HrError::from)
        .and_then(|r| r);
    let (has_tag, requests) = match read {
        Ok(Some(state)) => state,
        Ok(None) => return html! {},
        Err(error) => {
            tracing::error!(%error, "a record's receipt state was not read");
            return html! {};
        }
    };
    render_section(
        console.lang,
        doc_id,
        has_tag,
        &requests,
        &console.signed.csrf,
    )
}

fn render_section(
    lang: Language,
    doc_id: &str,
    has_tag: bool,
    requests: &[VisitorRequest],
    csrf: &str,
) -> Markup {
    let t = texts(lang);
    html! {
        section aria-labelledby="visitor-receipt" {
            h2 #visitor-receipt { (t.section) }
            p { @if has_tag { (t.works) } @else { (t.none) } }
            @if !requests.is_empty() {
                h3 { (t.requests) }
                ul {
                    @for request in requests {
                        li {
                            (kind_label(t, request.kind)) ", " (dates::local_minutes(request.at)) ", "
                            @match (&request.handled_at, &request.handled_by) {
                                (Some(at), by) => {
                                    (t.handled_by) " " (by.as_deref().unwrap_or("")) " " (dates::local_minutes(*at))
                                }
                                (None, _) => { (t.open) }
                            }
                            @if let Some(text) = &request.text {
                                blockquote { p { (text) } }
                            }
                        }
                    }
                }
            }
            @if has_tag {
                (confirmations::StartForm {
                    action: &format!("{}/receipt-withdrawal", detail_path(doc_id)),
                    heading_id: "receipt-withdraw-heading",
                    heading: t.withdraw_heading,
                    in_section: true,
                    hint: t.withdraw_hint,
                    button: t.withdraw_button,
                    csrf,
                }
                .render())
            }
        }
    }
}

/// `POST /console/registrations/{id}/receipt-withdrawal`: first the confirmation page, then,
/// confirmed, the withdrawal (archivists who may read the record).
pub(crate) async fn withdraw(
    State(state): State<AppState>,
    Path(id): Path<String>,
    ConsoleForm { console, form }: ConsoleForm<confirmations::ConfirmForm>,
) -> Response {
    let uri = detail_uri(&id);
    if let Err(refusal) = crate::hr::policy::require_holder(&console.caller.user) {
        return console.refuse(HrError::from(refusal), &uri).into_response();
    }
    if !confirmations::is_confirmed(&form.confirmed) {
        let t = texts(console.lang);
        return confirmations::page(
            &console,
            &uri,
            Nav::None,
            StatusCode::OK,
            Confirmation {
                title: t.withdraw_confirm_title,
                details: vec![(t.record, id.clone())],
                intro: t.withdraw_confirm_intro,
                action: format!("{}/receipt-withdrawal", detail_path(&id)),
                hidden: Vec::new(),
                reason: None,
                confirm: t.withdraw_confirm,
                cancel_href: detail_path(&id),
            },
        );
    }
    let (store, user, doc_id) = (state.store.clone(), console.caller.user.clone(), id.clone());
    match blocking(move || withdraw_receipt(store.as_ref(), &user, &doc_id))
        .await
        .map_err(HrError::from)
        .and_then(|r| r)
    {
        Ok(_) => saved_redirect(&id, "receipt"),
        Err(error) => console.refuse(error, &uri).into_response(),
    }
}
