//! `/console/reconciliation` (admins and archivists): per event, a table of its tablets with
//! what each captured against what the relay received, stored, kept in quarantine and
//! removed; tablets silent with unsent records come first and say so in words, with a
//! badge. Each event links its closing report, `/console/events/{id}/closing-report`: a
//! standalone page meant for paper, with the relay's signature of its JSON form. The
//! counts, the flags and the signature are [`crate::hr::reconciliation`]'s, as the JSON API
//! answers them; this module renders.

use axum::extract::{Path, State};
use axum::http::{StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use kiosk_core::ids::CalendarDate;
use kiosk_core::language::Language;
use maud::{DOCTYPE, Markup, html};

use super::devices::message_page;
use super::layout::{Nav, column_heads, footer};
use super::texts::fill;
use super::{Console, html_page};
use crate::hr::dates;
use crate::hr::error::{Denial, HrError, Missing};
use crate::hr::reconciliation::{
    CLOSING_REPORT_TAG, DeviceLine, EventReconciliation, SILENT_AFTER_MS, Totals, closing_report,
    overview,
};
use crate::state::AppState;

const RECONCILIATION: &str = "/console/reconciliation";

/// This page's texts in one language.
#[derive(Debug)]
struct Texts {
    title: &'static str,
    intro: &'static str,
    captured_means: &'static str,
    silent_means: &'static str,
    silent_summary: &'static str,
    none_silent: &'static str,
    no_events: &'static str,
    period: &'static str,
    standing: &'static str,
    closing_report_link: &'static str,
    caption: &'static str,
    no_devices: &'static str,
    col_tablet: &'static str,
    col_role: &'static str,
    col_last_contact: &'static str,
    col_captured: &'static str,
    col_received: &'static str,
    col_stored: &'static str,
    col_quarantined: &'static str,
    col_removed: &'static str,
    col_unsent: &'static str,
    col_state: &'static str,
    kiosk: &'static str,
    staff: &'static str,
    never: &'static str,
    silent: &'static str,
    silent_badge: &'static str,
    unsent_waiting: &'static str,
    in_order: &'static str,
    revoked: &'static str,
    total: &'static str,
    forbidden_title: &'static str,
    forbidden: &'static str,
    unknown_event_title: &'static str,
    unknown_event: &'static str,
    back: &'static str,
    // The closing report.
    report_title: &'static str,
    report_about: &'static str,
    event: &'static str,
    venue: &'static str,
    generated: &'static str,
    generated_by: &'static str,
    counts_heading: &'static str,
    counts_caption: &'static str,
    devices_count: &'static str,
    silent_count: &'static str,
    decisions_heading: &'static str,
    accepted: &'static str,
    kept_apart: &'static str,
    removals: &'static str,
    devices_heading: &'static str,
    devices_caption: &'static str,
    signature_heading: &'static str,
    signature_intro: &'static str,
    digest: &'static str,
    signature: &'static str,
    relay_key: &'static str,
    json_form: &'static str,
    back_to_reconciliation: &'static str,
}

const SV: Texts = Texts {
    title: "Avstämning",
    intro: "Per evenemang och surfplatta: hur många registreringar surfplattan tog emot från besökare och vad reläet har fått av dem. Siffrorna gäller nu.",
    captured_means: "”Inskickade på surfplattan” är det reläet vet: så många registreringar som surfplattan sade att den hade tagit emot när den senast synkroniserade (eller det högsta löpnumret den har skickat, om det är fler). Det surfplattan har tagit emot efter sin senaste kontakt vet reläet inte om förrän den synkroniserar igen.",
    silent_means: "En surfplatta är tyst om den har registreringar som inte har kommit fram och inte har hört av sig på {}. Leta upp den innan registreringarna går förlorade.",
    silent_summary: "Tysta surfplattor med registreringar som inte har kommit fram: {}.",
    none_silent: "Ingen surfplatta är tyst med registreringar som inte har kommit fram.",
    no_events: "Reläet har inga evenemang än.",
    period: "Period",
    standing: "från {} (stående)",
    closing_report_link: "Slutrapport för {}",
    caption: "Surfplattor för {}, tysta först",
    no_devices: "Inga surfplattor är registrerade för evenemanget.",
    col_tablet: "Surfplatta",
    col_role: "Typ",
    col_last_contact: "Senaste kontakt",
    col_captured: "Inskickade på surfplattan",
    col_received: "Mottagna",
    col_stored: "Lagrade",
    col_quarantined: "I karantän",
    col_removed: "Gallrade",
    col_unsent: "Inte mottagna",
    col_state: "Läge",
    kiosk: "Kiosk",
    staff: "Personal",
    never: "aldrig",
    silent: "Tyst med registreringar som inte har kommit fram",
    silent_badge: "Tyst",
    unsent_waiting: "Registreringar väntar på att skickas",
    in_order: "Allt mottaget",
    revoked: "återkallad",
    total: "Summa",
    forbidden_title: "Ingen åtkomst",
    forbidden: "Avstämningen är för administratörer och arkivarier.",
    unknown_event_title: "Evenemanget finns inte",
    unknown_event: "Det finns inget evenemang med den adressen.",
    back: "Tillbaka till avstämningen",
    report_title: "Slutrapport",
    report_about: "Slutrapport över registreringar som tagits emot vid ett evenemang. Den innehåller bara antal och surfplattornas nycklar, inga personuppgifter.",
    event: "Evenemang",
    venue: "Plats",
    generated: "Framtagen",
    generated_by: "av",
    counts_heading: "Antal",
    counts_caption: "Antal för hela evenemanget",
    devices_count: "Surfplattor",
    silent_count: "Tysta surfplattor med registreringar som inte har kommit fram",
    decisions_heading: "Karantänbeslut och gallring",
    accepted: "Godtagna ur karantän",
    kept_apart: "Hålls åtskilda för gott",
    removals: "Gallrade registreringar",
    devices_heading: "Surfplattor",
    devices_caption: "Varje surfplatta för evenemanget",
    signature_heading: "Reläets underskrift",
    signature_intro: "Rapportens JSON-form (nycklar i bokstavsordning, utan blanktecken) har SHA-256-summan nedan, och reläet har skrivit under den med sin nyckel (domän {}). Spara JSON-formen tillsammans med den här sidan för att kunna kontrollera underskriften.",
    digest: "SHA-256-summa",
    signature: "Underskrift (Ed25519)",
    relay_key: "Reläets nyckel",
    json_form: "JSON-form",
    back_to_reconciliation: "Tillbaka till avstämningen",
};

const EN: Texts = Texts {
    title: "Reconciliation",
    intro: "Per event and tablet: how many registrations the tablet took from visitors and what the relay received of them. The figures are as of now.",
    captured_means: "“Captured on the tablet” is what the relay knows: as many registrations as the tablet said it had captured when it last synced (or the highest journal number it sent, if more). What the tablet captured after its last contact is unknown to the relay until it syncs again.",
    silent_means: "A tablet is silent if it has registrations that have not arrived and has not been in contact for {}. Find it before the registrations are lost.",
    silent_summary: "Silent tablets with registrations that have not arrived: {}.",
    none_silent: "No tablet is silent with registrations that have not arrived.",
    no_events: "The relay holds no events yet.",
    period: "Period",
    standing: "from {} (standing)",
    closing_report_link: "Closing report for {}",
    caption: "Tablets of {}, silent ones first",
    no_devices: "No tablets are enrolled for the event.",
    col_tablet: "Tablet",
    col_role: "Kind",
    col_last_contact: "Last contact",
    col_captured: "Captured on the tablet",
    col_received: "Received",
    col_stored: "Stored",
    col_quarantined: "In quarantine",
    col_removed: "Removed",
    col_unsent: "Not received",
    col_state: "State",
    kiosk: "Kiosk",
    staff: "Staff",
    never: "never",
    silent: "Silent with registrations that have not arrived",
    silent_badge: "Silent",
    unsent_waiting: "Registrations wait to be sent",
    in_order: "All received",
    revoked: "revoked",
    total: "Total",
    forbidden_title: "No access",
    forbidden: "Reconciliation is for admins and archivists.",
    unknown_event_title: "No such event",
    unknown_event: "There is no event at that address.",
    back: "Back to reconciliation",
    report_title: "Closing report",
    report_about: "Closing report of the registrations received at an event. It holds counts and the tablets' keys only, no personal data.",
    event: "Event",
    venue: "Venue",
    generated: "Generated",
    generated_by: "by",
    counts_heading: "Counts",
    counts_caption: "Counts for the whole event",
    devices_count: "Tablets",
    silent_count: "Silent tablets with registrations that have not arrived",
    decisions_heading: "Quarantine decisions and removals",
    accepted: "Accepted from quarantine",
    kept_apart: "Kept apart for good",
    removals: "Registrations removed",
    devices_heading: "Tablets",
    devices_caption: "Every tablet of the event",
    signature_heading: "The relay's signature",
    signature_intro: "The report's JSON form (keys in sorted order, no whitespace) has the SHA-256 digest below, and the relay signed it with its key (domain {}). Keep the JSON form with this page to be able to check the signature.",
    digest: "SHA-256 digest",
    signature: "Signature (Ed25519)",
    relay_key: "Relay key",
    json_form: "JSON form",
    back_to_reconciliation: "Back to reconciliation",
};

fn texts(lang: Language) -> &'static Texts {
    match lang {
        Language::Swedish => &SV,
        Language::English => &EN,
    }
}

/// A refusal as this page's own message (the role it needs is two roles, which the
/// console's refusal page cannot name), or the console's refusal.
fn refuse(console: &Console, uri: &Uri, error: HrError) -> Response {
    let t = texts(console.lang);
    match error {
        HrError::Denied(Denial::MissingRole(_)) => message_page(
            console,
            uri,
            Nav::Reconciliation,
            StatusCode::FORBIDDEN,
            (t.forbidden_title, t.forbidden),
            ("/console", t.back),
        ),
        HrError::NotFound(Missing::Event) => message_page(
            console,
            uri,
            Nav::Reconciliation,
            StatusCode::NOT_FOUND,
            (t.unknown_event_title, t.unknown_event),
            (RECONCILIATION, t.back),
        ),
        other => console.refuse(other, uri).into_response(),
    }
}

/// An event's period as people read it.
fn period(t: &Texts, starts_on: &CalendarDate, ends_on: Option<&CalendarDate>) -> String {
    match ends_on {
        Some(ends_on) if ends_on == starts_on => starts_on.as_str().to_owned(),
        Some(ends_on) => format!("{} – {}", starts_on.as_str(), ends_on.as_str()),
        None => fill(t.standing, starts_on.as_str()),
    }
}

fn when(t: &Texts, at: Option<i64>) -> String {
    at.map_or_else(|| t.never.to_owned(), dates::local_minutes)
}

fn role(t: &Texts, device: &DeviceLine) -> &'static str {
    if device.role == "staff" {
        t.staff
    } else {
        t.kiosk
    }
}

/// The first 8 characters of a device key: enough to tell a fair's tablets apart.
fn short(id: &str) -> &str {
    id.get(..8).unwrap_or(id)
}

/// A tablet's state in words: silent ones say so, not by colour alone.
/// One tablet's row: its id as `shown`, counts and state; `mark_silent` sets the row's
/// highlight (the text in its state cell says it in words either way).
fn device_row(t: &Texts, device: &DeviceLine, shown: &str, mark_silent: bool) -> Markup {
    html! {
        tr.silent[mark_silent] {
            th scope="row" {
                // The name HR gave, with the key beside it for the operator.
                @if let Some(name) = &device.name { (name) " " }
                span.code { (shown) }
            }
            td { (role(t, device)) }
            td.code { (when(t, device.last_contact)) }
            td { (device.captured) }
            td { (device.received) }
            td { (device.stored) }
            td { (device.quarantined) }
            td { (device.removed) }
            td { (device.unsent) }
            td { (state_cell(t, device)) }
        }
    }
}

fn state_cell(t: &Texts, device: &DeviceLine) -> Markup {
    html! {
        @if device.silent_with_unsent {
            span.badge { (t.silent_badge) } " " strong { (t.silent) }
        } @else if device.unsent > 0 {
            (t.unsent_waiting)
        } @else {
            (t.in_order)
        }
        @if device.revoked_at.is_some() {
            " (" (t.revoked) ")"
        }
    }
}

pub(crate) async fn page(State(state): State<AppState>, console: Console, uri: Uri) -> Response {
    let events = match overview(&state, &console.caller).await {
        Ok(events) => events,
        Err(error) => return refuse(&console, &uri, error),
    };
    let lang = console.lang;
    let t = texts(lang);
    let silent: u64 = events.iter().map(|e| e.totals.silent_with_unsent).sum();
    let page = console
        .page(t.title, &uri, Nav::Reconciliation, false)
        .render(html! {
            p { (t.intro) }
            p { (t.captured_means) }
            p { (fill(t.silent_means, crate::hr::plural::amount(lang, (SILENT_AFTER_MS / 3_600_000).unsigned_abs(), crate::hr::plural::Unit::Hours))) }
            @if silent > 0 {
                div.error-summary role="status" {
                    p { strong { (fill(t.silent_summary, silent)) } }
                }
            } @else {
                p { (t.none_silent) }
            }
            @if events.is_empty() {
                p { (t.no_events) }
            }
            @for event in &events {
                (event_section(lang, event))
            }
        });
    html_page(StatusCode::OK, page)
}

fn event_section(lang: Language, reconciliation: &EventReconciliation) -> Markup {
    let t = texts(lang);
    let event = &reconciliation.event;
    let name = event.name.get(lang);
    let heading_id = format!("event-{}", event.id);
    html! {
        section aria-labelledby=(heading_id) {
            h2 #(heading_id) { (name) }
            p {
                (t.period) ": " (period(t, &event.starts_on, event.ends_on.as_ref()))
                " · " (event.venue)
            }
            p {
                a href={ "/console/events/" (event.id) "/closing-report" } {
                    (fill(t.closing_report_link, name))
                }
            }
            @if reconciliation.devices.is_empty() {
                p { (t.no_devices) }
            } @else {
                (super::layout::table_region(&fill(t.caption, name), html! { table {
                    caption { (fill(t.caption, name)) }
                    (column_heads(&[
                        t.col_tablet, t.col_role, t.col_last_contact, t.col_captured,
                        t.col_received, t.col_stored, t.col_quarantined, t.col_removed,
                        t.col_unsent, t.col_state,
                    ]))
                    tbody {
                        @for device in &reconciliation.devices {
                            (device_row(t, device, short(&device.id), device.silent_with_unsent))
                        }
                    }
                    (totals_row(t, &reconciliation.totals))
                } }))
            }
        }
    }
}

fn totals_row(t: &Texts, totals: &Totals) -> Markup {
    html! {
        tfoot {
            tr {
                th scope="row" colspan="3" { (t.total) }
                td { (totals.captured) }
                td { (totals.received) }
                td { (totals.stored) }
                td { (totals.quarantined) }
                td { (totals.removed) }
                td { (totals.unsent) }
                td {
                    @if totals.silent_with_unsent > 0 {
                        (fill(t.silent_summary, totals.silent_with_unsent))
                    }
                }
            }
        }
    }
}

/// `GET /console/events/{id}/closing-report`: the report on a page of its own, without the
/// console's menu, to print and file.
pub(crate) async fn closing_report_page(
    State(state): State<AppState>,
    console: Console,
    uri: Uri,
    Path(id): Path<String>,
) -> Response {
    let signed = match closing_report(&state, &console.caller, id).await {
        Ok(signed) => signed,
        Err(error) => return refuse(&console, &uri, error),
    };
    let lang = console.lang;
    let t = texts(lang);
    let report = &signed.report;
    let reconciliation = &report.reconciliation;
    let event = &reconciliation.event;
    let name = event.name.get(lang);
    let totals = &reconciliation.totals;
    let title = format!("{}: {name}", t.report_title);
    let json_href = format!("/api/v1/events/{}/closing-report", event.id);
    let page = html! {
        (DOCTYPE)
        html lang=(lang.tag()) {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) }
                link rel="stylesheet" href="/console/console.css";
            }
            body {
                main #main {
                    h1 { (title) }
                    p { (t.report_about) }
                    dl.details {
                        dt { (t.event) } dd { (name) " (" span.code { (event.id) } ")" }
                        dt { (t.venue) } dd { (event.venue) }
                        dt { (t.period) } dd { (period(t, &event.starts_on, event.ends_on.as_ref())) }
                        dt { (t.generated) }
                        dd {
                            span.code { (dates::local_minutes(reconciliation.generated_at)) }
                            " " (t.generated_by) " " strong { (report.generated_by) }
                        }
                    }
                    h2 { (t.counts_heading) }
                    (super::layout::table_region(t.counts_caption, html! { table {
                        caption { (t.counts_caption) }
                        tbody {
                            tr { th scope="row" { (t.devices_count) } td { (totals.devices) } }
                            tr { th scope="row" { (t.col_captured) } td { (totals.captured) } }
                            tr { th scope="row" { (t.col_received) } td { (totals.received) } }
                            tr { th scope="row" { (t.col_stored) } td { (totals.stored) } }
                            tr { th scope="row" { (t.col_quarantined) } td { (totals.quarantined) } }
                            tr { th scope="row" { (t.col_removed) } td { (totals.removed) } }
                            tr { th scope="row" { (t.col_unsent) } td { (totals.unsent) } }
                            tr { th scope="row" { (t.silent_count) } td { (totals.silent_with_unsent) } }
                        }
                    } }))
                    h2 { (t.decisions_heading) }
                    dl.details {
                        dt { (t.accepted) } dd { (reconciliation.quarantine_decisions.accepted) }
                        dt { (t.kept_apart) } dd { (reconciliation.quarantine_decisions.kept_apart) }
                        dt { (t.removals) } dd { (reconciliation.removals) }
                    }
                    h2 { (t.devices_heading) }
                    @if reconciliation.devices.is_empty() {
                        p { (t.no_devices) }
                    } @else {
                        (super::layout::table_region(t.devices_caption, html! { table {
                            caption { (t.devices_caption) }
                            (column_heads(&[
                                t.col_tablet, t.col_role, t.col_last_contact, t.col_captured,
                                t.col_received, t.col_stored, t.col_quarantined, t.col_removed,
                                t.col_unsent, t.col_state,
                            ]))
                            tbody {
                                @for device in &reconciliation.devices {
                                    // On paper every row reads alike, with the whole key.
                                    (device_row(t, device, &device.id, false))
                                }
                            }
                        } }))
                    }
                    h2 { (t.signature_heading) }
                    p { (fill(t.signature_intro, String::from_utf8_lossy(CLOSING_REPORT_TAG))) }
                    dl.details {
                        dt { (t.digest) } dd.code { (hex::encode(signed.digest)) }
                        dt { (t.signature) } dd.code { (hex::encode(signed.signature)) }
                        dt { (t.relay_key) } dd.code { (hex::encode(signed.relay_key)) }
                    }
                    p { (t.json_form) ": " span.code { (json_href) } }
                    p { a href=(RECONCILIATION) { (t.back_to_reconciliation) } }
                }
                (footer(lang))
            }
        }
    };
    html_page(StatusCode::OK, page)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_period_names_one_day_a_span_or_a_standing_desk() {
        let date = |text| CalendarDate::parse(text).expect("a date");
        let (start, end) = (date("2026-03-12"), date("2026-03-13"));
        assert_eq!(period(&EN, &start, Some(&start)), "2026-03-12");
        assert_eq!(period(&EN, &start, Some(&end)), "2026-03-12 – 2026-03-13");
        assert_eq!(period(&SV, &start, None), "från 2026-03-12 (stående)");
    }
}
