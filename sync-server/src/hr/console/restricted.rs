//! `GET /console/restricted`: the restricted inbox for users with the clearance: the
//! registrations of visitors with protected personal data, which no other list shows,
//! uncontacted first and oldest first, each linking to its detail page. Who sees which,
//! the order and the access-log entries are the API's ([`restricted_readable`]). The rows
//! show no names: the detail page, read and logged on its own, is where a cleared person
//! sees who to contact.

use axum::extract::State;
use axum::http::{StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use kiosk_core::language::Language;
use maud::html;

use super::layout::{Nav, column_heads};
use super::texts::{Plural, status_label, texts};
use super::{Console, LIST, html_page};
use crate::blocking::blocking;
use crate::hr::dates;
use crate::hr::error::{Denial, HrError};
use crate::hr::registration_lists::{event_labels, restricted_inbox_of};
use crate::state::AppState;

/// The page's texts, in one language.
#[derive(Debug)]
struct InboxTexts {
    title: &'static str,
    why: &'static str,
    order: &'static str,
    caption: &'static str,
    col_registration: &'static str,
    empty: &'static str,
    shown: Plural,
    needs_clearance: &'static str,
    requests_title: &'static str,
    requests_why: &'static str,
    requests_caption: &'static str,
    col_asked_at: &'static str,
    col_kind: &'static str,
    col_asked_by: &'static str,
    kind_subject_access: &'static str,
    kind_disclosure: &'static str,
}

const SV: InboxTexts = InboxTexts {
    title: "Skyddade personuppgifter",
    why: "Här samlas registreringar från personer som har skyddade personuppgifter. De visas inte i andra listor, exporter eller automatiska utskick, eftersom uppgifterna om personen inte får spridas. Bara den som har behörighet för skyddade personuppgifter får öppna dem och kontakta personen, och då bara via den kontaktväg som personen själv har valt.",
    order: "Registreringar som ingen har kontaktat än (status Ny) kommer först, de äldsta först.",
    caption: "Registreringar med skyddade personuppgifter, okontaktade och äldsta först",
    col_registration: "Registrering",
    empty: "Det finns inga registreringar med skyddade personuppgifter för dig.",
    shown: Plural {
        one: "1 skyddad registrering visas.",
        other: "{} skyddade registreringar visas.",
    },
    needs_clearance: "Den här sidan kräver behörighet för skyddade personuppgifter. En administratör kan ge dig den om du behöver den.",
    requests_title: "Begäranden som väntar på någon med behörighet",
    requests_why: "En användare utan behörighet begärde ett registerutdrag eller ett utlämnande som matchade registreringar med skyddade personuppgifter. Hen fick samma svar som om inget skyddat matchat. Slutför begäran för de här registreringarna.",
    requests_caption: "Begäranden som matchade skyddade registreringar, nyaste först",
    col_asked_at: "Begärd",
    col_kind: "Slag",
    col_asked_by: "Begärd av",
    kind_subject_access: "Registerutdrag",
    kind_disclosure: "Utlämnande",
};

const EN: InboxTexts = InboxTexts {
    title: "Protected records",
    why: "These are registrations from people with protected personal data. They are kept out of other lists, exports and automatic emails, because details about the person must not spread. Only people cleared for protected personal data may open them and contact the person, and only through the channel the person chose.",
    order: "Registrations nobody has contacted yet (status New) come first, oldest first.",
    caption: "Registrations with protected personal data, uncontacted and oldest first",
    col_registration: "Registration",
    empty: "There are no registrations with protected personal data for you.",
    shown: Plural {
        one: "1 protected registration shown.",
        other: "{} protected registrations shown.",
    },
    needs_clearance: "This page needs the clearance for protected personal data. An administrator can grant it if you need it.",
    requests_title: "Requests waiting for a cleared user",
    requests_why: "A user without the clearance asked for a subject access or a disclosure that matched registrations with protected personal data. They got the answer they would have got had nothing protected matched. Complete the request for these registrations.",
    requests_caption: "Requests that matched protected registrations, newest first",
    col_asked_at: "Asked",
    col_kind: "Kind",
    col_asked_by: "Asked by",
    kind_subject_access: "Subject access",
    kind_disclosure: "Disclosure",
};

fn inbox_texts(lang: Language) -> &'static InboxTexts {
    match lang {
        Language::Swedish => &SV,
        Language::English => &EN,
    }
}

/// The most rows the page shows.
const ROWS: u32 = 500;

pub(crate) async fn page(State(state): State<AppState>, console: Console, uri: Uri) -> Response {
    let lang = console.lang;
    let t = texts(lang);
    let i = inbox_texts(lang);
    let store = state.store.clone();
    let user = console.caller.user.clone();
    let listed = blocking(move || {
        let inbox = restricted_inbox_of(store.as_ref(), &user, ROWS)?;
        let events = event_labels(store.as_ref(), &inbox.rows);
        Ok::<_, HrError>((inbox.rows, events, inbox.requests))
    })
    .await
    .map_err(HrError::from)
    .and_then(|r| r);
    let (rows, events, requests) = match listed {
        Ok(listed) => listed,
        // Nothing was asked of any one record, so this refusal is the page's own, not the
        // detail page's "the attempt was logged".
        Err(HrError::Denied(Denial::Restricted)) => {
            let page = console
                .page(t.forbidden_title, &uri, Nav::Restricted, false)
                .render(html! { p { (i.needs_clearance) } });
            return html_page(StatusCode::FORBIDDEN, page);
        }
        Err(error) => return console.refuse(error, &uri).into_response(),
    };
    let page = console.page(i.title, &uri, Nav::Restricted, false)
    .render(html! {
        p { (i.why) }
        p { (i.order) }
        @if rows.is_empty() {
            p { (i.empty) }
        } @else {
            p { (i.shown.of(rows.len())) }
            (super::layout::table_region(i.caption, html! { table {
                caption { (i.caption) }
                (column_heads(&[i.col_registration, t.col_captured, t.col_event, t.col_status]))
                tbody {
                    @for row in &rows {
                        tr {
                            th scope="row" {
                                a.code href={ (LIST) "/" (row.id) } { (row.receipt_code) }
                            }
                            td.code { (dates::local_minutes(row.captured_at)) }
                            td {
                                (events.get(&row.event_id).map_or(row.event_id.as_str(), |e| e.name.get(lang)))
                            }
                            td { (status_label(lang, &row.status)) }
                        }
                    }
                }
            } }))
        }
        @if !requests.is_empty() {
            h2 { (i.requests_title) }
            p { (i.requests_why) }
            (super::layout::table_region(i.requests_caption, html! { table {
                caption { (i.requests_caption) }
                (column_heads(&[i.col_asked_at, i.col_kind, i.col_asked_by, i.col_registration]))
                tbody {
                    @for request in &requests {
                        tr {
                            th scope="row" .code { (dates::local_minutes(request.at)) }
                            td {
                                @if request.kind == "disclosure" { (i.kind_disclosure) }
                                @else { (i.kind_subject_access) }
                            }
                            td.code { (request.requested_by.strip_prefix("hr:").unwrap_or(&request.requested_by)) }
                            td {
                                @for (n, id) in request.doc_ids.iter().enumerate() {
                                    @if n > 0 { ", " }
                                    a.code href={ (LIST) "/" (id) } { (id) }
                                }
                            }
                        }
                    }
                }
            } }))
        }
    });
    html_page(StatusCode::OK, page)
}
