//! A staff tablet's pulled registrations: the list (newest first), one record with its
//! notes, ratings and status, and the posts that add a note, set or clear this recruiter's
//! rating, and set the status. Every edit goes to the relay with the next sync. Personal
//! data is shown only here, behind the PIN, and never logged; page titles and addresses
//! carry none (a browser's history keeps them).

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use kiosk_ffi::staff::StaffMode;
use kiosk_ffi::types::{Choice, FormView, Language, RecordStatus, StaffRecordView};
use maud::{Markup, html};

use crate::staff::frame::{
    StaffPage, StaffQuery, answer, back_to, bad_post, described_by, field_error, hidden, invalid,
};
use crate::staff::post;
use crate::staff::sync::texts_flash;
use crate::staff::texts::{StaffTexts, staff_texts, status_label, statuses};
use crate::staff::time::utc_minutes;
use crate::staff::{Flash, session};
use crate::state::Shell;
use crate::texts::{pick, pick_pair, tag};

/// The longest note, in characters (the core's limit).
const MAX_NOTE_CHARS: usize = 2_000;

/// The registrations section of a staff tablet's page.
pub fn list(mode: &StaffMode, lang: Language) -> Markup {
    let t = staff_texts(lang);
    let records = mode.registrations();
    html! {
        section #records aria-labelledby="records-heading" {
            h2 #records-heading { (t.records_heading) }
            @match &records {
                Ok(records) if records.is_empty() => p { (t.records_empty) },
                Ok(records) => {
                    div.table-scroll {
                        table {
                            thead { tr {
                                th scope="col" { (t.col_name) }
                                th scope="col" { (t.col_captured) }
                                th scope="col" { (t.col_status) }
                                th scope="col" { (t.col_unsent) }
                            } }
                            tbody {
                                @for record in records {
                                    tr {
                                        th scope="row" {
                                            a.row-link href={ "/staff/records/" (record.registration_id) "?lang=" (tag(lang)) } {
                                                (record.given_name) " " (record.family_name)
                                            }
                                        }
                                        td { (utc_minutes(record.captured_at_ms)) }
                                        td { (status_label(record.status, lang)) }
                                        td { (record.unsent_changes) }
                                    }
                                }
                            }
                        }
                    }
                }
                Err(error) => {
                    @let (sv, en) = error.texts();
                    p.alert role="alert" { (pick_pair(&sv, &en, lang)) }
                }
            }
        }
    }
}

/// Whether `id` can be a registration id (a UUID): checked before the core is asked.
fn plausible_id(id: &str) -> bool {
    (1..=64).contains(&id.len()) && id.bytes().all(|b| b.is_ascii_hexdigit() || b == b'-')
}

/// `GET /staff/records/{id}`.
pub async fn record_screen(
    State(shell): State<Arc<Shell>>,
    Path(id): Path<String>,
    Query(query): Query<StaffQuery>,
) -> Response {
    let lang = shell.staff_language(query.lang.as_deref());
    let Some(open) = session::for_page(&shell, query.auto.is_none()).await else {
        return back_to("/staff", lang);
    };
    let flash = shell.take_staff_flash();
    let t = staff_texts(lang);
    let here = format!("/staff/records/{id}");
    let record = if plausible_id(&id) {
        open.mode.registration(id.clone())
    } else {
        open.mode.registration(String::new())
    };
    // The event's labels for the record's codes, from the current form (a code it no
    // longer has is shown as the code).
    let form = Arc::clone(&shell.device)
        .start_visitor_session()
        .and_then(|session| session.form())
        .ok();
    let frame = StaffPage {
        lang,
        title: t.record_title,
        here: &here,
        token: Some(&open.token),
        idle_ms: session::idle_ms(&shell),
        flash: flash.as_ref(),
        reload_after_secs: None,
    };
    match record {
        Ok(record) => answer(
            StatusCode::OK,
            frame.render(record_page(
                t,
                &record,
                form.as_ref(),
                &open.token,
                lang,
                flash.as_ref(),
            )),
        ),
        Err(error) => {
            let (sv, en) = error.texts();
            answer(
                StatusCode::NOT_FOUND,
                frame.render(html! {
                    p.alert role="alert" { (pick_pair(&sv, &en, lang)) }
                    p { a.button href={ "/staff?lang=" (tag(lang)) } { (t.back_to_list) } }
                }),
            )
        }
    }
}

/// `codes` by their labels in `choices`, joined; a code without a label as itself.
fn labels(codes: &[String], choices: Option<&[Choice]>, lang: Language) -> String {
    codes
        .iter()
        .map(|code| {
            choices
                .and_then(|choices| choices.iter().find(|c| &c.code == code))
                .map_or(code.as_str(), |c| pick(&c.label, lang))
        })
        .collect::<Vec<_>>()
        .join(", ")
}

fn record_page(
    t: &StaffTexts,
    record: &StaffRecordView,
    form: Option<&FormView>,
    token: &str,
    lang: Language,
    flash: Option<&Flash>,
) -> Markup {
    let action = |what: &str| format!("/staff/records/{}/{what}", record.registration_id);
    let mut ratings: Vec<(&String, &i64)> = record.ratings.iter().collect();
    ratings.sort();
    html! {
        p { a.button.secondary href={ "/staff?lang=" (tag(lang)) } { (t.back_to_list) } }
        h2 #person { (record.given_name) " " (record.family_name) }
        dl.facts {
            dt { (t.col_captured) } dd { (utc_minutes(record.captured_at_ms)) }
            dt { (t.language) } dd { (match record.language { Language::Swedish => "Svenska", Language::English => "English" }) }
            @if let Some(email) = &record.email { dt { (t.email) } dd { (email) } }
            @if let Some(phone) = &record.phone { dt { (t.phone) } dd { (phone) } }
            dt { (t.interests) } dd { (labels(&record.interests, form.map(|f| f.interest_areas.as_slice()), lang)) }
            @if !record.locations.is_empty() {
                dt { (t.locations) } dd { (labels(&record.locations, form.map(|f| f.locations.as_slice()), lang)) }
            }
            @if let Some(level) = &record.education_level {
                dt { (t.education) }
                dd { (labels(std::slice::from_ref(level), form.map(|f| f.education_levels.as_slice()), lang)) }
            }
            @if let Some(text) = &record.free_text { dt { (t.free_text) } dd.free-text { (text) } }
            dt { (t.talent_pool) }
            dd {
                @if record.talent_pool_withdrawn { (t.talent_withdrawn) }
                @else if record.talent_pool_opt_in { (t.yes) }
                @else { (t.no) }
            }
            dt { (t.col_status) } dd #record-status { (status_label(record.status, lang)) }
        }
        @if record.unsent_changes > 0 {
            p.notice { (record.unsent_changes) " " (t.unsent_changes) }
        }

        section aria-labelledby="notes-heading" {
            h2 #notes-heading { (t.notes_heading) }
            @if record.notes.is_empty() {
                p { (t.no_notes) }
            } @else {
                ul.notes {
                    @for note in &record.notes {
                        li { p.note-meta { (note.author) ", " (utc_minutes(note.written_at_ms)) } p { (note.text) } }
                    }
                }
            }
            form method="post" action=(action("note")) autocomplete="off" novalidate {
                (hidden(Some(token), lang))
                div.field {
                    label for="note" { (t.note_label) }
                    p.hint #note-hint { (t.note_hint) }
                    (field_error(flash, "note", lang))
                    textarea #note name="note" rows="4" maxlength=(MAX_NOTE_CHARS)
                        autocomplete="off" spellcheck="false" autocorrect="off"
                        aria-invalid=[invalid(flash, "note")]
                        aria-describedby=[described_by(flash, "note", Some("note-hint"))] {}
                }
                button.primary type="submit" { (t.add_note) }
            }
        }

        section aria-labelledby="ratings-heading" {
            h2 #ratings-heading { (t.ratings_heading) }
            @if ratings.is_empty() {
                p { (t.no_ratings) }
            } @else {
                ul #ratings {
                    @for (recruiter, score) in &ratings { li { (recruiter) ": " (score) } }
                }
            }
            form method="post" action=(action("rating")) novalidate {
                (hidden(Some(token), lang))
                fieldset.group #score aria-invalid=[invalid(flash, "score")]
                    aria-describedby=[described_by(flash, "score", None)] {
                    legend { (t.rating_legend) }
                    (field_error(flash, "score", lang))
                    div.rating-choice {
                        @for score in 1..=5 {
                            div.choice {
                                input type="radio" id={ "score-" (score) } name="score" value=(score);
                                label for={ "score-" (score) } { (score) }
                            }
                        }
                    }
                }
                div.button-row {
                    button.primary type="submit" { (t.save_rating) }
                    button.secondary type="submit" name="clear" value="yes" { (t.clear_rating) }
                }
            }
        }

        section aria-labelledby="status-heading" {
            h2 #status-heading { (t.status_heading) }
            form method="post" action=(action("status")) novalidate {
                (hidden(Some(token), lang))
                div.field {
                    label for="status" { (t.status_label) }
                    select #status name="status" {
                        @for choice in statuses() {
                            option value=(choice.code) selected[choice.status == record.status] {
                                (pick(&choice.label, lang))
                            }
                        }
                    }
                }
                button.primary type="submit" { (t.save_status) }
            }
        }
    }
}

/// Reads an edit's post in its session and checks the record's id: the post, the staff
/// language, staff mode and the record page's address, or the answer to give. Only a
/// checked id goes into a redirect's `Location`.
async fn edit_post(
    shell: &Shell,
    id: &str,
    body: &Bytes,
    controls: &[&'static str],
) -> Result<(post::Posted, Language, Arc<StaffMode>, String), Response> {
    let (posted, lang, open) = session::read_in_session(shell, body, controls).await?;
    if !plausible_id(id) {
        return Err(back_to("/staff", lang));
    }
    Ok((posted, lang, open.mode, format!("/staff/records/{id}")))
}

/// Keeps the core's answer to an edit as the next page's flash.
fn edit_flash(
    shell: &Shell,
    result: Result<(), kiosk_ffi::KioskError>,
    field: &'static str,
    done: impl Fn(Language) -> &'static str,
) {
    let flash = match result {
        Ok(()) => texts_flash(false, done),
        Err(error) => {
            tracing::info!(kind = %error, "a staff edit was refused");
            let (sv, en) = error.texts();
            Flash::error(Some(field), sv, en)
        }
    };
    shell.staff_flash(flash);
}

/// `POST /staff/records/{id}/note`.
pub async fn add_note(
    State(shell): State<Arc<Shell>>,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    let (mut posted, lang, mode, here) =
        match edit_post(&shell, &id, &body, &["token", "lang", "note"]).await {
            Ok(read) => read,
            Err(answer) => return answer,
        };
    let note = posted.take("note").unwrap_or_default();
    if note.trim().is_empty() {
        shell.staff_flash(Flash::error(
            Some("note"),
            staff_texts(Language::Swedish).note_empty,
            staff_texts(Language::English).note_empty,
        ));
    } else if note.chars().count() > MAX_NOTE_CHARS {
        shell.staff_flash(Flash::error(
            Some("note"),
            staff_texts(Language::Swedish).note_too_long,
            staff_texts(Language::English).note_too_long,
        ));
    } else {
        edit_flash(&shell, mode.add_note(id, note), "note", |l| {
            staff_texts(l).note_added
        });
    }
    back_to(&here, lang)
}

/// `POST /staff/records/{id}/rating`: sets this recruiter's rating, or clears it.
pub async fn rate(
    State(shell): State<Arc<Shell>>,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    let (posted, lang, mode, here) =
        match edit_post(&shell, &id, &body, &["token", "lang", "score", "clear"]).await {
            Ok(read) => read,
            Err(answer) => return answer,
        };
    if posted.get("clear") == Some("yes") {
        edit_flash(&shell, mode.rate(id, None), "score", |l| {
            staff_texts(l).rating_cleared
        });
        return back_to(&here, lang);
    }
    match posted
        .get("score")
        .and_then(|s| s.parse::<i64>().ok())
        .filter(|s| (1..=5).contains(s))
    {
        Some(score) => edit_flash(&shell, mode.rate(id, Some(score)), "score", |l| {
            staff_texts(l).rating_saved
        }),
        None => shell.staff_flash(Flash::error(
            Some("score"),
            staff_texts(Language::Swedish).rating_missing,
            staff_texts(Language::English).rating_missing,
        )),
    }
    back_to(&here, lang)
}

/// `POST /staff/records/{id}/status`.
pub async fn set_status(
    State(shell): State<Arc<Shell>>,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    let (posted, lang, mode, here) =
        match edit_post(&shell, &id, &body, &["token", "lang", "status"]).await {
            Ok(read) => read,
            Err(answer) => return answer,
        };
    let status: Option<RecordStatus> = posted
        .get("status")
        .and_then(|code| statuses().into_iter().find(|s| s.code == code))
        .map(|choice| choice.status);
    let Some(status) = status else {
        return bad_post(lang, post::PostError::Unexpected);
    };
    edit_flash(&shell, mode.set_status(id, status), "status", |l| {
        staff_texts(l).status_saved
    });
    back_to(&here, lang)
}
