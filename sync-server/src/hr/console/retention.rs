//! `GET /console/retention` (*Gallring*), for archivists: each event's retention rule with
//! the decision it cites and how many records are due now (and held), the legal holds, and
//! the runs; `POST /console/retention/runs` starts a run after the archivist confirms it.
//! The figures and the start are the API's ([`overview_of`], [`start_run_as`]).

use axum::extract::{RawQuery, State};
use axum::http::{StatusCode, Uri};
use axum::response::{IntoResponse, Redirect, Response};
use kiosk_core::language::Language;
use maud::html;
use serde::Deserialize;

use super::layout::{FieldError, Nav, column_heads, error_of, error_summary, notice};
use super::texts::{Plural, texts};
use super::{Console, ConsoleForm, LIST, html_page};
use crate::blocking::blocking;
use crate::error::AppError;
use crate::hr::dates;
use crate::hr::error::{Conflict, HrError};
use crate::hr::retention::{overview_of, start_run_as};
use crate::state::AppState;

const RETENTION: &str = "/console/retention";

#[derive(Debug)]
struct RetentionTexts {
    title: &'static str,
    intro: &'static str,
    rules_caption: &'static str,
    col_event: &'static str,
    col_rule: &'static str,
    col_decision: &'static str,
    col_due: &'static str,
    col_held: &'static str,
    months: &'static str,
    no_records: &'static str,
    start_heading: &'static str,
    confirm_label: &'static str,
    confirm_missing: &'static str,
    start_button: &'static str,
    nothing_due: &'static str,
    running: &'static str,
    /// How many a running run has removed so far, in agreement with the count.
    removed_so_far: Plural,
    refresh: &'static str,
    resume_hint: &'static str,
    resume_button: &'static str,
    started: &'static str,
    already_running: &'static str,
    runs_caption: &'static str,
    col_run: &'static str,
    col_started: &'static str,
    col_by: &'static str,
    col_finished: &'static str,
    col_removed: &'static str,
    col_kept: &'static str,
    not_finished: &'static str,
    no_runs: &'static str,
    holds_caption: &'static str,
    col_record: &'static str,
    col_reason: &'static str,
    col_since: &'static str,
    no_holds: &'static str,
}

const SV: RetentionTexts = RetentionTexts {
    title: "Gallring",
    intro: "Registreringar gallras enligt evenemangets gallringsregel, som hänvisar till sitt gallringsbeslut: de tas bort när reglens antal månader har gått sedan reläet tog emot dem. Gallringen körs varje natt och kan startas här. En registrering med spärr mot gallring (legal hold) gallras inte. Det som tas bort raderas helt; kvar blir en gallringsuppgift (id, regel, tid) utan personuppgifter, och surfplattorna raderar sina kopior vid nästa synkronisering.",
    rules_caption: "Gallringsregler och vad som har förfallit nu",
    col_event: "Evenemang",
    col_rule: "Regel",
    col_decision: "Beslut",
    col_due: "Förfallna nu",
    col_held: "Varav med spärr mot gallring",
    months: "{months} efter mottagandet",
    no_records: "Reläet har inga registreringar.",
    start_heading: "Starta gallring nu",
    confirm_label: "Jag har kontrollerat reglerna ovan och förstår att de förfallna registreringarna utan spärr mot gallring tas bort för gott.",
    confirm_missing: "Bekräfta att de förfallna registreringarna ska tas bort.",
    start_button: "Starta gallring",
    nothing_due: "Inget har förfallit just nu.",
    running: "Gallringskörning {run} pågår: {removed} hittills.",
    removed_so_far: Plural {
        one: "1 registrering borttagen",
        other: "{} registreringar borttagna",
    },
    refresh: "Uppdatera sidan",
    resume_hint: "Står siffran still fast sidan uppdateras? Då kan du låta körningen fortsätta. Den tar bara bort det som var förfallet när den startade.",
    resume_button: "Fortsätt gallringskörningen",
    started: "Gallringskörning {run} har startats.",
    already_running: "En gallringskörning pågår redan och körs nu klart; ingen ny startades.",
    runs_caption: "Gallringskörningar, senaste först",
    col_run: "Körning",
    col_started: "Startad",
    col_by: "Av",
    col_finished: "Klar",
    col_removed: "Borttagna",
    col_kept: "Kvar på grund av spärr mot gallring",
    not_finished: "pågår",
    no_runs: "Ingen gallring har körts.",
    holds_caption: "Registreringar med spärr mot gallring",
    col_record: "Registrering",
    col_reason: "Skäl",
    col_since: "Sedan",
    no_holds: "Ingen registrering har spärr mot gallring.",
};

const EN: RetentionTexts = RetentionTexts {
    title: "Retention",
    intro: "Registrations are removed under their event's retention rule, which cites its retention decision: once the rule's months have passed since the relay received them. Retention runs every night and can be started here. A registration on legal hold is not removed. What is removed is erased entirely; a removal record (id, rule, time) without personal data remains, and tablets erase their copies at their next sync.",
    rules_caption: "Retention rules and what is due now",
    col_event: "Event",
    col_rule: "Rule",
    col_decision: "Decision",
    col_due: "Due now",
    col_held: "Of which on legal hold",
    months: "{months} after receipt",
    no_records: "The relay holds no registrations.",
    start_heading: "Start retention now",
    confirm_label: "I have checked the rules above and understand that the due registrations not on legal hold are removed for good.",
    confirm_missing: "Confirm that the due registrations are to be removed.",
    start_button: "Start retention",
    nothing_due: "Nothing is due now.",
    running: "Retention run {run} is going: {removed} so far.",
    removed_so_far: Plural {
        one: "1 registration removed",
        other: "{} registrations removed",
    },
    refresh: "Refresh the page",
    resume_hint: "Does the figure stay the same when the page is refreshed? Then let the run go on. It removes only what was due when it started.",
    resume_button: "Continue the retention run",
    started: "Retention run {run} has started.",
    already_running: "A retention run is going already and is now carried to its end; no new one was started.",
    runs_caption: "Retention runs, newest first",
    col_run: "Run",
    col_started: "Started",
    col_by: "By",
    col_finished: "Finished",
    col_removed: "Removed",
    col_kept: "Kept by a legal hold",
    not_finished: "going",
    no_runs: "No retention has run.",
    holds_caption: "Registrations on legal hold",
    col_record: "Registration",
    col_reason: "Reason",
    col_since: "Since",
    no_holds: "No registration is on legal hold.",
};

fn retention_texts(lang: Language) -> &'static RetentionTexts {
    match lang {
        Language::Swedish => &SV,
        Language::English => &EN,
    }
}

pub(crate) async fn page(
    State(state): State<AppState>,
    console: Console,
    uri: Uri,
    RawQuery(query): RawQuery,
) -> Response {
    let pairs: Vec<(String, String)> = query
        .as_deref()
        .and_then(|q| serde_urlencoded::from_str(q).ok())
        .unwrap_or_default();
    let started = pairs
        .iter()
        .find(|(name, _)| name == "started")
        .and_then(|(_, value)| value.parse::<i64>().ok());
    let message = started.map(|run| {
        retention_texts(console.lang)
            .started
            .replacen("{run}", &run.to_string(), 1)
    });
    render(&state, &console, &uri, message, Vec::new(), StatusCode::OK).await
}

async fn render(
    state: &AppState,
    console: &Console,
    uri: &Uri,
    message: Option<String>,
    errors: Vec<FieldError>,
    status: StatusCode,
) -> Response {
    // Who may see it is overview_of's question (the policy), asked first.
    let (store, user) = (state.store.clone(), console.caller.user.clone());
    let overview = match blocking(move || overview_of(store.as_ref(), &user))
        .await
        .map_err(AppError::from)
        .and_then(|r| r.map_err(AppError::from))
    {
        Ok(overview) => overview,
        Err(error) => return console.refuse(error, uri).into_response(),
    };
    let lang = console.lang;
    let r = retention_texts(lang);
    let due_now: u64 = overview.events.iter().map(|e| e.due - e.held).sum();
    let going = overview.runs.iter().find(|run| run.finished_at.is_none());
    let confirm_error = error_of(&errors, "confirm");
    let page = console
        .page(r.title, uri, Nav::Retention, !errors.is_empty())
        .render(html! {
            (error_summary(lang, &errors))
            @if let Some(message) = &message {
                (notice(message))
            }
            p { (r.intro) }
            @if overview.events.is_empty() {
                p { (r.no_records) }
            } @else {
                (super::layout::table_region(r.rules_caption, html! { table {
                    caption { (r.rules_caption) }
                    (column_heads(&[r.col_event, r.col_rule, r.col_decision, r.col_due, r.col_held]))
                    tbody {
                        @for (event, name) in overview.events.iter().zip(&overview.event_names) {
                            tr {
                                th scope="row" {
                                    @if let Some(name) = name {
                                        (name.get(lang)) " "
                                    }
                                    span.code { "(" (event.rule.event_id) ")" }
                                }
                                td { (r.months.replacen("{months}", &crate::hr::plural::amount(lang, u64::from(event.rule.months), crate::hr::plural::Unit::Months), 1)) }
                                td { (event.rule.decision) }
                                td.number { (event.due) }
                                td.number { (event.held) }
                            }
                        }
                    }
                } }))
            }
            h2 { (r.start_heading) }
            @if let Some(run) = going {
                p role="status" {
                    (r.running
                        .replacen("{run}", &run.id.to_string(), 1)
                        .replacen("{removed}", &r.removed_so_far.of(run.removed), 1))
                    " "
                    a href=(RETENTION) { (r.refresh) }
                }
                // A run the relay is not carrying on (stopped on an error) goes on from here.
                form method="post" action={ (RETENTION) "/runs" } {
                    input type="hidden" name="csrf_token" value=(console.signed.csrf);
                    input type="hidden" name="confirm" value="yes";
                    p.hint { (r.resume_hint) }
                    div.actions { button.button type="submit" { (r.resume_button) } }
                }
            } @else if due_now == 0 {
                p { (r.nothing_due) }
            } @else {
                form method="post" action={ (RETENTION) "/runs" } novalidate {
                    input type="hidden" name="csrf_token" value=(console.signed.csrf);
                    div.field.field-error[confirm_error.is_some()] {
                        @if let Some(error) = confirm_error {
                            p.error-message #confirm-error {
                                span.visually-hidden { (texts(lang).error_label) " " }
                                (error)
                            }
                        }
                        input #confirm type="checkbox" name="confirm" value="yes"
                            aria-invalid=[confirm_error.map(|_| "true")]
                            aria-describedby=[confirm_error.map(|_| "confirm-error")];
                        " "
                        label for="confirm" { (r.confirm_label) }
                    }
                    div.actions { button.button type="submit" { (r.start_button) } }
                }
            }
            h2 { (r.runs_caption) }
            @if overview.runs.is_empty() {
                p { (r.no_runs) }
            } @else {
                (super::layout::table_region(r.runs_caption, html! { table {
                    caption.visually-hidden { (r.runs_caption) }
                    (column_heads(&[r.col_run, r.col_started, r.col_by, r.col_finished, r.col_removed, r.col_kept]))
                    tbody {
                        @for run in &overview.runs {
                            tr {
                                th scope="row" .number { (run.id) }
                                td.code { (dates::local_minutes(run.started_at)) }
                                td { (run.started_by) }
                                td.code {
                                    @if let Some(at) = run.finished_at { (dates::local_minutes(at)) }
                                    @else { (r.not_finished) }
                                }
                                td.number { (run.removed) }
                                td.number { (run.held) }
                            }
                        }
                    }
                } }))
            }
            h2 { (r.holds_caption) }
            @if overview.holds.is_empty() {
                p { (r.no_holds) }
            } @else {
                (super::layout::table_region(r.holds_caption, html! { table {
                    caption.visually-hidden { (r.holds_caption) }
                    (column_heads(&[r.col_record, r.col_reason, r.col_by, r.col_since]))
                    tbody {
                        @for hold in &overview.holds {
                            tr {
                                th scope="row" .code {
                                    a href={ (LIST) "/" (hold.doc_id) } { (hold.doc_id) }
                                }
                                td { (hold.reason) }
                                td { (hold.set_by) }
                                td.code { (dates::local_minutes(hold.set_at)) }
                            }
                        }
                    }
                } }))
            }
        });
    html_page(status, page)
}

#[derive(Debug, Deserialize)]
pub(crate) struct StartForm {
    #[serde(default)]
    confirm: String,
}

/// `POST /console/retention/runs`: starts a run once the archivist has confirmed.
pub(crate) async fn start(
    State(state): State<AppState>,
    ConsoleForm { console, form }: ConsoleForm<StartForm>,
) -> Response {
    let uri = Uri::from_static(RETENTION);
    let user = match crate::hr::policy::require_holder(&console.caller.user) {
        Ok(user) => user.clone(),
        Err(error) => return console.refuse(error, &uri).into_response(),
    };
    let r = retention_texts(console.lang);
    if form.confirm != "yes" {
        let errors = vec![FieldError::on("confirm", r.confirm_missing)];
        return render(
            &state,
            &console,
            &uri,
            None,
            errors,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    }
    match start_run_as(&state, &user).await {
        Ok(run) => Redirect::to(&format!("{RETENTION}?started={}", run.id)).into_response(),
        Err(HrError::Conflict(Conflict::RetentionRunning(_))) => {
            let message = Some(r.already_running.to_owned());
            render(
                &state,
                &console,
                &uri,
                message,
                Vec::new(),
                StatusCode::CONFLICT,
            )
            .await
        }
        Err(error) => console.refuse(error, &uri).into_response(),
    }
}
