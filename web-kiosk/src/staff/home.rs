//! Staff mode's main page: the tablet (event, role, enrollment), what the relay ordered
//! (a wipe), sync, and the counts staff check before handing a kiosk back: captured /
//! sent / received, the journal's verdict, and whether handing back is safe and why. A
//! staff tablet's page lists its pulled registrations as well. Counts only on a kiosk:
//! never a visitor's data. Also the relay's log as staff must hear of it (a fork, a restore
//! to acknowledge) and the form that sets the witnesses the tablet requires.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use kiosk_ffi::types::{DeviceRole, DeviceSetup, HandBackState, Language};
use maud::{Markup, html};

use crate::staff::frame::{StaffPage, answer, back_to, described_by, field_error, hidden, invalid};
use crate::staff::session::Open;
use crate::staff::setup::{enroll_form, pin_input, pin_refused, two_pins};
use crate::staff::sync::texts_flash;
use crate::staff::texts::{StaffTexts, staff_texts};
use crate::staff::time::utc_minutes;
use crate::staff::{Flash, records, session, sync, wipe};
use crate::state::Shell;
use crate::texts::{pick, pick_pair};

/// How many hex digits of the journal's head are shown: enough to compare with the relay.
const HEAD_DIGITS: usize = 16;

pub fn page(
    shell: &Shell,
    open: &Open,
    setup: &DeviceSetup,
    lang: Language,
    flash: Option<&Flash>,
) -> Response {
    let t = staff_texts(lang);
    let syncing = shell.sync.snapshot();
    let frame = StaffPage {
        lang,
        title: t.staff_title,
        here: "/staff",
        token: Some(&open.token),
        idle_ms: session::idle_ms(shell),
        flash,
        reload_after_secs: syncing.running.then_some(1),
    };
    answer(
        StatusCode::OK,
        frame.render(html! {
            (log_fork(t, open, lang))
            (log_restore(t, open, lang))
            (device(t, setup, lang))
            @if setup.wipe_ordered {
                (wipe::panel(shell, &open.token, lang))
            }
            (sync::panel(shell, setup, &syncing, &open.token, lang))
            @if setup.role == DeviceRole::Staff {
                (records::list(&open.mode, lang))
            }
            (counts(t, open, setup.role, lang))
            (witnesses(t, open, flash, lang))
            section aria-labelledby="change-pin-heading" {
                h2 #change-pin-heading { (t.change_pin_heading) }
                form method="post" action="/staff/change-pin" autocomplete="off" novalidate {
                    (hidden(Some(&open.token), lang))
                    p.hint #pin-rule { (t.pin_lead) }
                    (pin_input("pin", t.new_pin_label, flash, lang))
                    (pin_input("pin_again", t.new_pin_again_label, flash, lang))
                    button.secondary type="submit" { (t.change_pin_button) }
                }
            }
            @if setup.relay_refusal.is_some() {
                section aria-labelledby="reenroll-heading" {
                    h2 #reenroll-heading { (t.reenroll_heading) }
                    p { (t.reenroll_lead) }
                    (enroll_form(t, lang, Some(&open.token), flash))
                }
            }
        }),
    )
}

/// `POST /staff/change-pin`: a new PIN, typed twice, inside staff mode.
pub async fn change_pin(State(shell): State<Arc<Shell>>, body: Bytes) -> Response {
    let (mut posted, lang, open) =
        match session::read_in_session(&shell, &body, &["token", "lang", "pin", "pin_again"]).await
        {
            Ok(read) => read,
            Err(answer) => return answer,
        };
    let flash = match two_pins(&mut posted, "pin", "pin_again") {
        Err(flash) => flash,
        Ok(pin) => {
            let mode = Arc::clone(&open.mode);
            // The PIN's key derivation takes a moment: off the server's threads.
            match tokio::task::spawn_blocking(move || mode.change_pin(pin)).await {
                Ok(Ok(())) => {
                    tracing::info!("the staff PIN was changed");
                    texts_flash(false, |l| staff_texts(l).pin_changed)
                }
                Ok(Err(error)) => pin_refused(&error, "pin"),
                Err(_) => texts_flash(true, |l| staff_texts(l).bad_post),
            }
        }
    };
    shell.staff_flash(flash);
    back_to("/staff", lang)
}

fn device(t: &StaffTexts, setup: &DeviceSetup, lang: Language) -> Markup {
    html! {
        section aria-labelledby="device-heading" {
            h2 #device-heading { (t.device_heading) }
            dl.facts {
                dt { (t.event_label) }
                dd {
                    @match &setup.event_name {
                        Some(name) => (pick(name, lang)),
                        None => (t.no_event),
                    }
                }
                dt { (t.role_label) }
                dd {
                    @match setup.role {
                        DeviceRole::Kiosk => (t.role_kiosk),
                        DeviceRole::Staff => (t.role_staff),
                    }
                }
                @if let Some(until) = setup.enrollment_expires_at_ms {
                    dt { (t.enrolled_until) }
                    dd { (utc_minutes(until)) }
                }
            }
        }
    }
}

/// The loud panel of a tablet that saw the relay's transparency log fork, first on the
/// page: what to do (the core's words) and the evidence to copy for IT/security. Nothing
/// when there was no fork.
fn log_fork(t: &StaffTexts, open: &Open, lang: Language) -> Markup {
    let Ok(overview) = open.mode.overview() else {
        return html! {};
    };
    if !matches!(overview.hand_back, HandBackState::LogFork { .. }) {
        return html! {};
    }
    let evidence = open.mode.log_fork_evidence().ok().flatten();
    html! {
        section.alert #log-fork role="alert" aria-labelledby="log-fork-heading" {
            h2 #log-fork-heading { (t.log_fork_heading) }
            p #log-fork-advice { (pick(&overview.hand_back_advice, lang)) }
            @if let Some(evidence) = evidence {
                details {
                    summary { (t.log_fork_evidence) }
                    pre #log-fork-evidence tabindex="0" { (evidence) }
                }
            }
        }
    }
}

/// The panel of a tablet that saw the relay's log go back (a restore from a backup no
/// witness confirmed): the core's words (from N to M entries, records re-sent, tell
/// IT/security) and the button staff press once they did, whatever else the hand-back
/// verdict says. Nothing otherwise.
fn log_restore(t: &StaffTexts, open: &Open, lang: Language) -> Markup {
    let Ok(Some(restore)) = open.mode.log_restore() else {
        return html! {};
    };
    html! {
        section.alert #log-restore role="alert" aria-labelledby="log-restore-heading" {
            h2 #log-restore-heading { (t.log_restore_heading) }
            p #log-restore-advice { (pick(&restore.message, lang)) }
            form method="post" action="/staff/log-restore" {
                (hidden(Some(&open.token), lang))
                // What staff were shown: a restore merged in after this page was drawn is
                // not acknowledged unseen.
                input type="hidden" name="restore_at" value=(restore.at_ms);
                button.secondary type="submit" { (t.log_restore_button) }
            }
        }
    }
}

/// `POST /staff/log-restore`: staff acknowledge the relay's restore they were shown.
pub async fn acknowledge_log_restore(State(shell): State<Arc<Shell>>, body: Bytes) -> Response {
    let (posted, lang, open) =
        match session::read_in_session(&shell, &body, &["token", "lang", "restore_at"]).await {
            Ok(read) => read,
            Err(answer) => return answer,
        };
    let Some(shown_at) = posted
        .get("restore_at")
        .and_then(|at| at.trim().parse::<i64>().ok())
    else {
        shell.staff_flash(texts_flash(true, |l| staff_texts(l).log_restore_none));
        return back_to("/staff", lang);
    };
    let flash = match open.mode.acknowledge_log_restore(shown_at) {
        Ok(true) => {
            tracing::info!("staff acknowledged a restore of the relay's log");
            texts_flash(false, |l| staff_texts(l).log_restore_acknowledged)
        }
        Ok(false) => texts_flash(true, |l| staff_texts(l).log_restore_none),
        Err(error) => {
            let (sv, en) = error.texts();
            Flash::error(None, sv, en)
        }
    };
    shell.staff_flash(flash);
    back_to("/staff", lang)
}

/// The witnesses the tablet requires, and the form that replaces them (as the CLI's
/// `require-witnesses` and the ffi's `StaffMode.require_witnesses` do): their verifier
/// keys, one a line, the current ones filled in.
fn witnesses(t: &StaffTexts, open: &Open, flash: Option<&Flash>, lang: Language) -> Markup {
    // Unread, the form is left out: an empty one would read as "none required", and
    // sending it would replace witnesses the tablet may well require.
    let Ok(required) = open.mode.required_witnesses() else {
        return html! {
            section #witnesses aria-labelledby="witnesses-heading" {
                h2 #witnesses-heading { (t.witnesses_heading) }
                p #witnesses-unread .alert role="alert" { (t.witnesses_unread) }
            }
        };
    };
    html! {
        section #witnesses aria-labelledby="witnesses-heading" {
            h2 #witnesses-heading { (t.witnesses_heading) }
            p.hint #witness-keys-hint { (t.witnesses_lead) }
            @if required.is_empty() {
                p #witnesses-required { (t.witnesses_none) }
            }
            form method="post" action="/staff/witnesses" autocomplete="off" novalidate {
                (hidden(Some(&open.token), lang))
                div.field {
                    label for="witness_keys" { (t.witness_keys_label) }
                    (field_error(flash, "witness_keys", lang))
                    textarea #witness_keys name="witness_keys" rows="4"
                        autocomplete="off" spellcheck="false" autocorrect="off"
                        autocapitalize="off"
                        aria-invalid=[invalid(flash, "witness_keys")]
                        aria-describedby=[described_by(flash, "witness_keys", Some("witness-keys-hint"))] {
                        (required.join("\n"))
                    }
                }
                button.secondary type="submit" { (t.witnesses_button) }
            }
        }
    }
}

/// `POST /staff/witnesses`: requires the witnesses whose keys staff pasted, one a line.
/// Every line goes to the core, which passes over blank ones but counts them, so a key it
/// cannot read is named by its line. It refuses none, more than 16, or such a key, in both
/// languages; nothing changes then.
pub async fn require_witnesses(State(shell): State<Arc<Shell>>, body: Bytes) -> Response {
    let (posted, lang, open) =
        match session::read_in_session(&shell, &body, &["token", "lang", "witness_keys"]).await {
            Ok(read) => read,
            Err(answer) => return answer,
        };
    let keys: Vec<String> = posted
        .get("witness_keys")
        .unwrap_or_default()
        .lines()
        .map(str::to_owned)
        .collect();
    let flash = match open.mode.require_witnesses(keys) {
        Ok(()) => {
            tracing::info!("staff set the witnesses the tablet requires");
            texts_flash(false, |l| staff_texts(l).witnesses_saved)
        }
        Err(error) => {
            let (sv, en) = error.texts();
            Flash::error(Some("witness_keys"), sv, en)
        }
    };
    shell.staff_flash(flash);
    back_to("/staff", lang)
}

/// Captured / sent / received, "safe to hand back" with the core's reason, the journal.
/// A staff tablet captures nothing: it shows only whether handing back is safe and the
/// journal.
fn counts(t: &StaffTexts, open: &Open, role: DeviceRole, lang: Language) -> Markup {
    let overview = open.mode.overview();
    let journal = open.mode.verify_journal();
    html! {
        section aria-labelledby="hand-back-heading" {
            @if role == DeviceRole::Kiosk {
                h2 #counts-heading { (t.counts_heading) }
            }
            @match &overview {
                Ok(overview) => {
                    @if role == DeviceRole::Kiosk {
                        dl.counts {
                            div { dt { (t.captured) } dd #count-captured { (overview.captured) } }
                            div { dt { (t.sent) } dd #count-sent { (overview.sent) } }
                            div { dt { (t.received) } dd #count-received { (overview.received) } }
                        }
                    }
                    h2 #hand-back-heading { (t.hand_back_heading) }
                    @if overview.safe_to_hand_back {
                        p #hand-back .verdict-ok { "✓ " (t.safe_yes) }
                    } @else {
                        p #hand-back .verdict-bad { "✗ " (t.safe_no) }
                    }
                    p #hand-back-advice { (pick(&overview.hand_back_advice, lang)) }
                    @if let Some(warning) = &overview.witness_warning {
                        p #witness-warning .alert role="alert" { (pick(warning, lang)) }
                    }
                    // A notice, not an alert: captures count; the clock wants setting right.
                    @if let Some(notice) = &overview.clock_warning {
                        p #clock-warning .notice { (pick(notice, lang)) }
                    }
                }
                Err(error) => {
                    @let (sv, en) = error.texts();
                    p.alert role="alert" { (pick_pair(&sv, &en, lang)) }
                }
            }
            h2 #journal-heading { (t.journal_heading) }
            @match &journal {
                Ok(summary) => {
                    p #journal .verdict-ok {
                        "✓ " (t.journal_ok) ": " (summary.count) " " (t.journal_entries) ", "
                        (t.journal_head) " " code { (summary.head.get(..HEAD_DIGITS).unwrap_or(&summary.head)) }
                    }
                }
                Err(error) => {
                    @let (sv, en) = error.texts();
                    p #journal .verdict-bad role="alert" { "✗ " (t.journal_bad) ": " (pick_pair(&sv, &en, lang)) }
                }
            }
        }
    }
}
