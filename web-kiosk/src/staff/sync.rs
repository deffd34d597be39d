//! "Sync now" and what staff see of syncing: the progress of a running sync (the page
//! reloads itself each second while it runs; no script), when a sync last succeeded, what
//! the last one did (with records the relay stored but did not prove in its log, which go
//! again), why the last attempt failed, and a refusal by the relay. The sync
//! itself runs in a task of its own, never in the request.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::response::Response;
use kiosk_ffi::types::{DeviceSetup, Language, SyncSummary};
use maud::{Markup, html};

use crate::staff::frame::{back_to, hidden};
use crate::staff::texts::staff_texts;
use crate::staff::time::utc_minutes;
use crate::staff::{Flash, session};
use crate::state::Shell;
use crate::sync_loop::{NotStarted, SyncState, start_in_background};
use crate::texts::{pick, pick_pair};

/// The sync section of staff mode's page.
pub fn panel(
    shell: &Shell,
    setup: &DeviceSetup,
    syncing: &SyncState,
    token: &str,
    lang: Language,
) -> Markup {
    let t = staff_texts(lang);
    // The store keeps the last success across restarts; this process may know a later one.
    let last_ok = setup.last_sync_ok_at_ms.max(syncing.last_ok_at_ms);
    html! {
        section #sync aria-labelledby="sync-heading" {
            h2 #sync-heading { (t.sync_heading) }
            @if syncing.running {
                div #sync-progress role="status" {
                    p { strong { (t.sync_running) } }
                    @if let Some((done, total)) = syncing.progress {
                        label for="sync-progress-bar" { (done) " " (t.sync_of) " " (total) " " (t.sync_answered) }
                        progress #sync-progress-bar value=(done) max=(total.max(1)) { (done) "/" (total) }
                    }
                }
            }
            dl.facts {
                dt { (t.last_ok) }
                dd #last-sync-ok { @match last_ok { Some(at) => (utc_minutes(at)), None => (t.never) } }
                @if let Some(summary) = &syncing.last_summary {
                    dt { (t.last_summary) }
                    dd #last-sync-summary {
                        (summary.received) " " (t.summary_received) ", "
                        (summary.pulled) " " (t.summary_pulled)
                    }
                }
            }
            (log_unproven(syncing.last_summary.as_ref(), lang))
            (resend_refused(syncing.last_summary.as_ref(), lang))
            @if syncing.failures_in_a_row > 0 && let Some(failure) = &syncing.last_failure {
                p #last-sync-failure .alert {
                    (t.last_failure) ": " (pick_pair(&failure.message_sv, &failure.message_en, lang))
                }
            }
            @if let Some(refusal) = &setup.relay_refusal {
                p #relay-refusal .alert {
                    (t.relay_refused) ": " (pick_pair(&refusal.message_sv, &refusal.message_en, lang))
                }
            }
            @if shell.relay_url().is_none() {
                p.alert { (t.no_relay) }
            }
            form method="post" action="/staff/sync" {
                (hidden(Some(token), lang))
                button.primary type="submit" disabled[syncing.running] { (t.sync_now) }
            }
        }
    }
}

/// What the last sync left unproven in the relay's log (stored there, not proven, sent
/// again next sync), in the core's words; nothing when it left none.
fn log_unproven(summary: Option<&SyncSummary>, lang: Language) -> Markup {
    let Some(text) = summary.and_then(|s| s.log_unproven_message.as_ref()) else {
        return html! {};
    };
    html! {
        p #log-unproven .alert role="status" { (pick(text, lang)) }
    }
}

/// Edits the last sync sent again after a restore of the relay's log and the relay
/// refused (dropped, to be made again if needed), in the core's words; nothing otherwise.
fn resend_refused(summary: Option<&SyncSummary>, lang: Language) -> Markup {
    let Some(text) = summary.and_then(|s| s.resend_refused_message.as_ref()) else {
        return html! {};
    };
    html! {
        p #resend-refused .alert role="status" { (pick(text, lang)) }
    }
}

/// `POST /staff/sync`: starts a sync and goes back to the page, which shows its progress.
pub async fn sync_now(State(shell): State<Arc<Shell>>, body: Bytes) -> Response {
    let lang = match session::read_in_session(&shell, &body, &["token", "lang"]).await {
        Ok((_, lang, _)) => lang,
        Err(answer) => return answer,
    };
    let flash = match start_in_background(&shell) {
        Ok(()) => texts_flash(false, |l| staff_texts(l).sync_started),
        Err(NotStarted::Running) => texts_flash(false, |l| staff_texts(l).sync_already),
        Err(NotStarted::NoRelay) => texts_flash(true, |l| staff_texts(l).no_relay),
    };
    shell.staff_flash(flash);
    back_to("/staff", lang)
}

/// A flash of one of staff mode's own texts.
pub fn texts_flash(is_error: bool, text: impl Fn(Language) -> &'static str) -> Flash {
    let (sv, en) = (text(Language::Swedish), text(Language::English));
    if is_error {
        Flash::error(None, sv, en)
    } else {
        Flash::done(sv, en)
    }
}

#[cfg(test)]
mod tests {
    use kiosk_ffi::types::LocalizedText;

    use super::*;

    /// A summary as the ffi gives it: the count and, when there is one, the core's words.
    fn summary(log_unproven: u64, message: Option<(&str, &str)>) -> SyncSummary {
        SyncSummary {
            requests: 1,
            received: 0,
            quarantined: 0,
            refused: Vec::new(),
            relay_journal: None,
            wipe_requested: false,
            erased: 0,
            resent: 0,
            edits_resent: 0,
            resend_refused: 0,
            resend_refused_message: None,
            event_updated: false,
            pulled: 0,
            edits_stored: 0,
            removed: 0,
            unlock_received: false,
            skipped: 0,
            log_unproven,
            log_unproven_message: message.map(|(sv, en)| LocalizedText {
                sv: sv.into(),
                en: en.into(),
            }),
        }
    }

    #[test]
    fn records_stored_but_not_proven_are_told_in_the_staff_language_and_nothing_otherwise() {
        let unproven = summary(3, Some(("tre skickas igen", "three sent again")));
        let sv = log_unproven(Some(&unproven), Language::Swedish).into_string();
        assert!(sv.contains("id=\"log-unproven\""), "{sv}");
        assert!(
            sv.contains("tre skickas igen") && !sv.contains("three"),
            "{sv}"
        );
        let en = log_unproven(Some(&unproven), Language::English).into_string();
        assert!(
            en.contains("three sent again") && !en.contains("tre"),
            "{en}"
        );
        for quiet in [Some(&summary(0, None)), None] {
            assert_eq!(log_unproven(quiet, Language::English).into_string(), "");
        }
    }

    #[test]
    fn edits_sent_again_and_refused_are_told_in_the_staff_language_and_nothing_otherwise() {
        let mut refused = summary(0, None);
        refused.resend_refused = 2;
        refused.resend_refused_message = Some(LocalizedText {
            sv: "två togs inte emot".into(),
            en: "two not accepted".into(),
        });
        let sv = resend_refused(Some(&refused), Language::Swedish).into_string();
        assert!(sv.contains("id=\"resend-refused\""), "{sv}");
        assert!(
            sv.contains("två togs inte emot") && !sv.contains("two"),
            "{sv}"
        );
        let en = resend_refused(Some(&refused), Language::English).into_string();
        assert!(
            en.contains("two not accepted") && !en.contains("två"),
            "{en}"
        );
        for quiet in [Some(&summary(0, None)), None] {
            assert_eq!(resend_refused(quiet, Language::English).into_string(), "");
        }
    }
}
