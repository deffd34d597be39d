//! `/console/access-log` (archivists): the verdict of the log's hash chain on request
//! (`?verify=1`), or of the chain and every checkpoint file in the relay's checkpoint folder
//! (`?verify=checkpoints`, a table of files, each saying where the log fails), then a
//! filter form (user, record id, action, from/to dates), the entries newest first with a
//! link to each record, and paging to older entries. The filters are the API's own
//! ([`parse_access_query`]) and so are the page and the check ([`access_log_page`],
//! [`verify_chain`], [`verify_with_checkpoints`]). Reviewing the log is not logged; see
//! [`crate::hr::access_log`].

use std::collections::HashMap;

use axum::extract::{RawQuery, State};
use axum::http::{StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use kiosk_core::language::Language;
use maud::{Markup, html};

use super::forms::{self, date_bound, filter_query, form_values};
use super::layout::{
    Field, FieldError, Nav, column_heads, error_of, error_summary, notice, select,
};
use super::texts::{Plural, fill};
use super::{Console, html_page};
use crate::access_checkpoint::{BEFORE_HORIZON, CheckpointVerdict, FileCheck};
use crate::error::AppError;
use crate::hr::access_log::{
    NO_CHECKPOINT_FOLDER, Verification, access_log_page, verify_chain, verify_with_checkpoints,
};
use crate::hr::access_log_api::parse_access_query;
use crate::hr::dates;
use crate::state::AppState;
use crate::storage::{AccessAction, AccessEntry, AccessLogVerdict, Accessor};

const ACCESS_LOG: &str = "/console/access-log";

/// The filter form's fields, and `before`, the paging cursor.
const FIELDS: [&str; 6] = ["user", "record", "action", "from", "to", "before"];

/// This page's texts in one language.
#[derive(Debug)]
struct Texts {
    title: &'static str,
    chain_intact: Plural,
    chain_broken: &'static str,
    chain_check_intro: &'static str,
    chain_check_button: &'static str,
    checkpoints_check_button: &'static str,
    broken_entry: &'static str,
    horizon: &'static str,
    checkpoints_heading: &'static str,
    checkpoints_caption: &'static str,
    col_file: &'static str,
    col_entries: &'static str,
    col_taken: &'static str,
    col_result: &'static str,
    holds: &'static str,
    fails: &'static str,
    cannot_check: &'static str,
    no_checkpoint_files: &'static str,
    checkpoints_all_hold: Plural,
    checkpoints_some_fail: &'static str,
    filter_heading: &'static str,
    user: &'static str,
    user_hint: &'static str,
    record: &'static str,
    record_hint: &'static str,
    action: &'static str,
    any: &'static str,
    from: &'static str,
    to: &'static str,
    date_hint: &'static str,
    show: &'static str,
    clear: &'static str,
    results_heading: &'static str,
    caption: &'static str,
    col_seq: &'static str,
    col_time: &'static str,
    col_who: &'static str,
    col_action: &'static str,
    col_record: &'static str,
    tablet: &'static str,
    no_entries: &'static str,
    pages_nav: &'static str,
    newest: &'static str,
    older: &'static str,
    bad_user: &'static str,
    bad_record: &'static str,
    bad_date: &'static str,
    bad_choice: &'static str,
    bad_cursor: &'static str,
}

const SV: Texts = Texts {
    title: "Åtkomstlogg",
    chain_intact: Plural {
        one: "Loggens kedja är hel: den enda posten stämmer.",
        other: "Loggens kedja är hel: alla {} poster stämmer.",
    },
    chain_broken: "Loggens kedja är bruten vid post {}. Loggen kan ha ändrats utanför reläet; kontakta den som ansvarar för reläet och spara den senaste kontrollpunkten.",
    chain_check_intro: "Reläet kan gå igenom hela loggens kedja och visa om någon post har ändrats eller tagits bort. Med en lång logg tar det en stund.",
    chain_check_button: "Kontrollera kedjan",
    checkpoints_check_button: "Kontrollera mot alla kontrollpunkter",
    broken_entry: "Den första brutna posten, nr {}, är från {} och gäller åtgärden ”{}”.",
    horizon: "Loggen börjar vid post {} sedan äldre poster gallrades {} enligt regeln: {}",
    checkpoints_heading: "Kontrollpunkter",
    checkpoints_caption: "Kontrollpunktsfiler i reläets mapp, äldsta först",
    col_file: "Fil",
    col_entries: "Poster",
    col_taken: "Skapad",
    col_result: "Resultat",
    holds: "Stämmer",
    fails: "Stämmer inte",
    cannot_check: "Kan inte kontrolleras",
    no_checkpoint_files: "Mappen för kontrollpunkter innehåller inga filer ännu.",
    checkpoints_all_hold: Plural {
        one: "Loggen stämmer med den enda kontrollpunkten som kan kontrolleras.",
        other: "Loggen stämmer med alla {} kontrollpunkter som kan kontrolleras.",
    },
    checkpoints_some_fail: "Loggen stämmer inte med {} av kontrollpunkterna. Loggen kan ha ändrats utanför reläet; kontakta den som ansvarar för reläet och spara kontrollpunktsfilerna.",
    filter_heading: "Filtrera",
    user: "Användare",
    user_hint: "Användarnamnet, till exempel anna.berg.",
    record: "Registrering",
    record_hint: "Registreringens id.",
    action: "Åtgärd",
    any: "Alla",
    from: "Från och med",
    to: "Till och med",
    date_hint: "ÅÅÅÅ-MM-DD, svensk tid.",
    show: "Visa",
    clear: "Rensa filtret",
    results_heading: "Poster",
    caption: "Åtkomster, nyaste först",
    col_seq: "Nr",
    col_time: "Tid",
    col_who: "Vem",
    col_action: "Åtgärd",
    col_record: "Registrering",
    tablet: "Surfplatta",
    no_entries: "Inga poster matchar filtret.",
    pages_nav: "Sidor",
    newest: "Nyaste posterna",
    older: "Äldre poster",
    bad_user: "Skriv ett användarnamn: små bokstäver a–z, siffror, punkt, bindestreck eller understreck.",
    bad_record: "Skriv en registrerings id: bokstäver, siffror och bindestreck.",
    bad_date: "Skriv ett datum som ÅÅÅÅ-MM-DD.",
    bad_choice: "Välj ett av alternativen.",
    bad_cursor: "Sidan finns inte längre. Börja om från de nyaste posterna.",
};

const EN: Texts = Texts {
    title: "Access log",
    chain_intact: Plural {
        one: "The log's chain is intact: its one entry verifies.",
        other: "The log's chain is intact: all {} entries verify.",
    },
    chain_broken: "The log's chain is broken at entry {}. The log may have been changed outside the relay; contact whoever runs the relay and keep the latest checkpoint.",
    chain_check_intro: "The relay can go through the log's whole chain and show whether any entry was changed or removed. With a long log this takes a while.",
    chain_check_button: "Check the chain",
    checkpoints_check_button: "Check against every checkpoint",
    broken_entry: "The first broken entry, no. {}, is from {} and records the action “{}”.",
    horizon: "The log starts at entry {} since older entries were removed on {} under the rule: {}",
    checkpoints_heading: "Checkpoints",
    checkpoints_caption: "Checkpoint files in the relay's folder, oldest first",
    col_file: "File",
    col_entries: "Entries",
    col_taken: "Taken",
    col_result: "Result",
    holds: "Holds",
    fails: "Fails",
    cannot_check: "Cannot be checked",
    no_checkpoint_files: "The checkpoint folder holds no files yet.",
    checkpoints_all_hold: Plural {
        one: "The log agrees with the one checkpoint that can be checked.",
        other: "The log agrees with all {} checkpoints that can be checked.",
    },
    checkpoints_some_fail: "The log does not agree with {} of the checkpoints. The log may have been changed outside the relay; contact whoever runs the relay and keep the checkpoint files.",
    filter_heading: "Filter",
    user: "User",
    user_hint: "The username, for example anna.berg.",
    record: "Registration",
    record_hint: "The registration's id.",
    action: "Action",
    any: "Any",
    from: "From",
    to: "Up to and including",
    date_hint: "YYYY-MM-DD, Swedish time.",
    show: "Show",
    clear: "Clear the filter",
    results_heading: "Entries",
    caption: "Accesses, newest first",
    col_seq: "No.",
    col_time: "Time",
    col_who: "Who",
    col_action: "Action",
    col_record: "Registration",
    tablet: "Tablet",
    no_entries: "No entries match the filter.",
    pages_nav: "Pages",
    newest: "Newest entries",
    older: "Older entries",
    bad_user: "Enter a username: lower-case letters a–z, digits, full stop, hyphen or underscore.",
    bad_record: "Enter a registration's id: letters, digits and hyphens.",
    bad_date: "Enter a date as YYYY-MM-DD.",
    bad_choice: "Choose one of the options.",
    bad_cursor: "That page no longer exists. Start again from the newest entries.",
};

fn texts(lang: Language) -> &'static Texts {
    match lang {
        Language::Swedish => &SV,
        Language::English => &EN,
    }
}

/// What an action is called on this page.
fn action_label(lang: Language, action: AccessAction) -> &'static str {
    let (sv, en) = match action {
        AccessAction::Pull => ("Hämtad till surfplatta", "Pulled to a tablet"),
        AccessAction::Read => ("Läst", "Read"),
        AccessAction::Change => ("Ändrad", "Changed"),
        AccessAction::Remove => ("Gallrad", "Removed"),
        AccessAction::Export => ("Exporterad", "Exported"),
        AccessAction::ReadRefused => ("Läsning nekad", "Read refused"),
        AccessAction::List => ("Visad i lista", "Shown in a list"),
        AccessAction::SubjectAccess => ("Utlämnad till den registrerade", "Given to its subject"),
        AccessAction::Disclosure => (
            "Utlämnad för sekretessprövning",
            "Disclosed for secrecy review",
        ),
        AccessAction::AccountChange => ("Användares behörighet ändrad", "A user's access changed"),
        AccessAction::AccessRequested => ("Registerutdrag begärt", "Subject access requested"),
        AccessAction::CorrectionRequested => ("Rättelse begärd", "Correction requested"),
    };
    match lang {
        Language::Swedish => sv,
        Language::English => en,
    }
}

/// The log's bound for date field `field`: `from` is the start of its day in Swedish time,
/// `to` the last millisecond of its day.
fn day_bound(field: &str, value: &str) -> Option<(&'static str, i64)> {
    date_bound(field, value).map(|(bound, ms)| match bound {
        "before" => ("to", ms - 1),
        _ => (bound, ms),
    })
}

/// The API's query from the form's values, dates by [`day_bound`].
fn api_query(
    t: &Texts,
    values: &HashMap<&'static str, String>,
) -> Result<HashMap<String, String>, Vec<FieldError>> {
    filter_query(values, t.bad_date, day_bound)
}

/// The form's error for the API's refusal of filter `name` (`"name: …"`).
fn filter_error(t: &Texts, message: &str) -> FieldError {
    match message.split(':').next().unwrap_or_default() {
        "user" => FieldError::on("user", t.bad_user),
        "record" => FieldError::on("record", t.bad_record),
        "action" => FieldError::on("action", t.bad_choice),
        "from" => FieldError::on("from", t.bad_date),
        "to" => FieldError::on("to", t.bad_date),
        _ => FieldError::form(t.bad_cursor),
    }
}

pub(crate) async fn page(
    State(state): State<AppState>,
    console: Console,
    uri: Uri,
    RawQuery(raw): RawQuery,
) -> Response {
    if let Err(refusal) = crate::hr::policy::may_read_access_log(&console.caller.user) {
        return console.refuse(refusal, &uri).into_response();
    }
    let lang = console.lang;
    let t = texts(lang);
    let values = form_values(raw.as_deref(), &FIELDS);
    let query = api_query(t, &values).and_then(|query| {
        parse_access_query(&query).map_err(|error| match error {
            AppError::BadFilter(message) => vec![filter_error(t, &message)],
            other => vec![FieldError::form(other.to_string())],
        })
    });
    // The check reads the whole log while holding the store, so it runs when asked, not on
    // every page of a review.
    let asked_to_verify = raw
        .as_deref()
        .and_then(|q| serde_urlencoded::from_str::<Vec<(String, String)>>(q).ok())
        .and_then(|pairs| {
            pairs
                .into_iter()
                .find(|(k, _)| k == "verify")
                .map(|(_, v)| v)
        });
    let verdict = match asked_to_verify.as_deref() {
        Some("1") => match verify_chain(&state, &console.caller).await {
            Ok(verdict) => Some(Checked::Chain(verdict)),
            Err(error) => return console.refuse(error, &uri).into_response(),
        },
        Some("checkpoints") => match verify_with_checkpoints(&state, &console.caller).await {
            Ok(verification) => Some(Checked::WithCheckpoints(verification)),
            Err(error) => return console.refuse(error, &uri).into_response(),
        },
        _ => None,
    };
    let (status, results, errors) = match query {
        Err(errors) => (StatusCode::BAD_REQUEST, None, errors),
        Ok(query) => match access_log_page(&state, &console.caller, query).await {
            Ok(page) => (StatusCode::OK, Some(page), Vec::new()),
            Err(error) => return console.refuse(error, &uri).into_response(),
        },
    };
    // Tablets by the names HR gave them.
    let tablets: Vec<[u8; 32]> = results
        .iter()
        .flat_map(|(entries, _)| entries)
        .filter_map(|(_, entry)| match &entry.accessor {
            Accessor::Device { device_key, .. } => Some(*device_key),
            Accessor::Operator(_) | Accessor::Visitor => None,
        })
        .collect();
    let tablets = crate::hr::device_names::tablet_labels(&state, tablets).await;
    let page = console
        .page(t.title, &uri, Nav::AccessLog, !errors.is_empty())
        .render(html! {
            @match &verdict {
                Some(Checked::Chain(verdict)) => (chain_verdict(t, verdict)),
                Some(Checked::WithCheckpoints(verification)) => (full_verdict(lang, verification)),
                None => (chain_check(t)),
            }
            (error_summary(lang, &errors))
            (filter_form(lang, &values, &errors))
            @if let Some((entries, next_before)) = &results {
                (entry_table(lang, entries, &tablets))
                (pages(t, &values, *next_before))
            }
        });
    html_page(status, page)
}

/// What the reviewer asked to check.
enum Checked {
    Chain(AccessLogVerdict),
    WithCheckpoints(Verification),
}

/// The offer to check the chain, alone or with every checkpoint, as a form of its own.
fn chain_check(t: &Texts) -> Markup {
    html! {
        form.chain-check method="get" action=(ACCESS_LOG) {
            p { (t.chain_check_intro) }
            div.actions {
                button.button type="submit" name="verify" value="1" { (t.chain_check_button) }
                button.button type="submit" name="verify" value="checkpoints" {
                    (t.checkpoints_check_button)
                }
            }
        }
    }
}

/// The chain's verdict with where it starts and where it breaks, then a table of every
/// checkpoint file's result.
fn full_verdict(lang: Language, verification: &Verification) -> Markup {
    let t = texts(lang);
    let chain = &verification.log.chain;
    let failing = verification
        .checkpoints
        .iter()
        .flatten()
        .filter(|check| check.outcome.is_err())
        .count();
    let holding = verification
        .checkpoints
        .iter()
        .flatten()
        .filter(|check| matches!(check.outcome, Ok(CheckpointVerdict::Holds(_))))
        .count();
    html! {
        (chain_verdict(t, chain))
        @if let (Some(seq), Some(entry)) = (chain.broken_at, &verification.broken_entry) {
            p { (fill(&fill(&fill(t.broken_entry, seq), dates::local_minutes(entry.at)), action_label(lang, entry.action))) }
        }
        @if let Some(horizon) = &verification.log.horizon {
            p { (fill(&fill(&fill(t.horizon, horizon.first_kept), dates::local_minutes(horizon.pruned_at)), &horizon.rule)) }
        }
        h2 { (t.checkpoints_heading) }
        @match &verification.checkpoints {
            None => p { (match lang { Language::Swedish => NO_CHECKPOINT_FOLDER.1, Language::English => NO_CHECKPOINT_FOLDER.0 }) },
            Some(checks) if checks.is_empty() => p { (t.no_checkpoint_files) },
            Some(checks) => {
                @if failing > 0 {
                    div.error-summary role="alert" {
                        p { strong { (fill(t.checkpoints_some_fail, failing)) } }
                    }
                } @else {
                    (notice(&t.checkpoints_all_hold.of(holding)))
                }
                (checkpoint_table(lang, checks))
            }
        }
    }
}

fn checkpoint_table(lang: Language, checks: &[FileCheck]) -> Markup {
    let t = texts(lang);
    html! {
        (super::layout::table_region(t.checkpoints_caption, html! { table.checkpoints {
            caption { (t.checkpoints_caption) }
            (column_heads(&[t.col_file, t.col_entries, t.col_taken, t.col_result]))
            tbody {
                @for check in checks {
                    tr {
                        th scope="row" .code { (check.file) }
                        td.code { @if let Some(c) = &check.checkpoint { (c.entries) } }
                        td.code { @if let Some(c) = &check.checkpoint { (dates::local_minutes(c.at)) } }
                        td {
                            @match &check.outcome {
                                Ok(CheckpointVerdict::Holds(_)) => (t.holds),
                                Ok(CheckpointVerdict::BeforeHorizon { .. }) => {
                                    strong { (t.cannot_check) } ": "
                                    (match lang { Language::Swedish => BEFORE_HORIZON.1, Language::English => BEFORE_HORIZON.0 })
                                }
                                Err(error) => {
                                    strong { (t.fails) } ": "
                                    (match lang { Language::Swedish => error.in_swedish(), Language::English => error.to_string() })
                                }
                            }
                        }
                    }
                }
            }
        } }))
    }
}

fn chain_verdict(t: &Texts, verdict: &AccessLogVerdict) -> Markup {
    match verdict.broken_at {
        None => notice(&t.chain_intact.of(verdict.entries)),
        Some(seq) => html! {
            div.error-summary role="alert" {
                p { strong { (fill(t.chain_broken, seq)) } }
            }
        },
    }
}

fn filter_form(
    lang: Language,
    values: &HashMap<&'static str, String>,
    errors: &[FieldError],
) -> Markup {
    let t = texts(lang);
    let value = |name: &str| values.get(name).map_or("", String::as_str);
    let field = |id: &'static str, label: &'static str, hint| Field {
        value: value(id),
        hint: Some(hint),
        error: error_of(errors, id),
        ..Field::new(id, label, "text")
    };
    let mut actions = vec![("", t.any)];
    actions.extend(
        AccessAction::ALL
            .iter()
            .map(|a| (a.as_str(), action_label(lang, *a))),
    );
    html! {
        form.filters method="get" action=(ACCESS_LOG) role="search" aria-labelledby="filter-heading" {
            h2 #filter-heading { (t.filter_heading) }
            div.filter-grid {
                (field("user", t.user, t.user_hint).render(lang))
                (field("record", t.record, t.record_hint).render(lang))
                (select(lang, "action", t.action, &actions, value("action"), error_of(errors, "action")))
                (field("from", t.from, t.date_hint).render(lang))
                (field("to", t.to, t.date_hint).render(lang))
            }
            div.actions {
                button.button type="submit" { (t.show) }
                a href=(ACCESS_LOG) { (t.clear) }
            }
        }
    }
}

/// Who an entry names, as a reviewer reads it.
fn who(
    lang: Language,
    t: &Texts,
    accessor: &Accessor,
    tablets: &HashMap<[u8; 32], String>,
) -> String {
    match accessor {
        Accessor::Operator(name) => name.clone(),
        Accessor::Visitor => crate::visitor_receipt::texts::visitor_accessor(lang).to_owned(),
        Accessor::Device {
            device_key,
            recruiter,
        } => {
            let label = tablets
                .get(device_key)
                .cloned()
                .unwrap_or_else(|| crate::hr::device_names::fingerprint(device_key));
            let tablet = format!("{} {label}", t.tablet);
            match recruiter {
                Some(recruiter) => format!("{tablet} ({recruiter})"),
                None => tablet,
            }
        }
    }
}

fn entry_table(
    lang: Language,
    entries: &[(u64, AccessEntry)],
    tablets: &HashMap<[u8; 32], String>,
) -> Markup {
    let t = texts(lang);
    html! {
        h2 { (t.results_heading) }
        @if entries.is_empty() {
            p { (t.no_entries) }
        } @else {
            (super::layout::table_region(t.caption, html! { table {
                caption { (t.caption) }
                (column_heads(&[t.col_seq, t.col_time, t.col_who, t.col_action, t.col_record]))
                tbody {
                    @for (seq, entry) in entries {
                        tr {
                            th scope="row" .code { (seq) }
                            td.code { (dates::local_minutes(entry.at)) }
                            td { (who(lang, t, &entry.accessor, tablets)) }
                            td { (action_label(lang, entry.action)) }
                            td.code {
                                a href={ "/console/registrations/" (entry.doc_id) } { (entry.doc_id) }
                            }
                        }
                    }
                }
            } }))
        }
    }
}

/// Links to older entries (the same filter below the last entry shown) and back to the
/// newest.
fn pages(t: &Texts, values: &HashMap<&'static str, String>, next_before: Option<u64>) -> Markup {
    let next_before = next_before.map(|seq| seq.to_string());
    let labels = [t.pages_nav, t.newest, t.older];
    forms::pages(
        ACCESS_LOG,
        &FIELDS,
        values,
        "before",
        next_before.as_deref(),
        labels,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_to_date_reaches_the_last_millisecond_of_its_day() {
        let values = HashMap::from([
            ("from", "2026-07-01".to_owned()),
            ("to", "2026-07-01".to_owned()),
        ]);
        let query = api_query(&SV, &values).expect("dates");
        let from: i64 = query["from"].parse().expect("ms");
        let to: i64 = query["to"].parse().expect("ms");
        assert_eq!(dates::local_minutes(from), "2026-07-01 00:00");
        assert_eq!(dates::local_minutes(to), "2026-07-01 23:59");
        assert_eq!(to - from, 86_400_000 - 1);
    }

    #[test]
    fn each_refused_filter_lands_on_its_field() {
        for (name, field) in [
            ("user", Some("user")),
            ("record", Some("record")),
            ("action", Some("action")),
            ("from", Some("from")),
            ("to", Some("to")),
            ("before", None),
        ] {
            assert_eq!(filter_error(&EN, &format!("{name}: bad")).field, field);
        }
    }
}
