//! Staff mode's main page: the tablet (event, role, enrollment), what the relay ordered
//! (a wipe), sync, and the counts staff check before handing a kiosk back: captured /
//! sent / received, the journal's verdict, and whether handing back is safe and why. A
//! staff tablet's page lists its pulled registrations as well. Counts only on a kiosk:
//! never a visitor's data.

use axum::http::StatusCode;
use axum::response::Response;
use kiosk_ffi::types::{DeviceRole, DeviceSetup, Language};
use maud::{Markup, html};

use crate::staff::frame::{StaffPage, answer};
use crate::staff::session::Open;
use crate::staff::setup::enroll_form;
use crate::staff::texts::{StaffTexts, staff_texts};
use crate::staff::time::utc_minutes;
use crate::staff::{Flash, records, sync, wipe};
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
        idle_ms: idle_ms(shell),
        flash,
        reload_after_secs: syncing.running.then_some(1),
    };
    answer(
        StatusCode::OK,
        frame.render(html! {
            (device(t, setup, lang))
            @if setup.wipe_ordered {
                (wipe::panel(shell, &open.token, lang))
            }
            (sync::panel(shell, setup, &syncing, &open.token, lang))
            (counts(t, open, lang))
            @if setup.role == DeviceRole::Staff {
                (records::list(&open.mode, lang))
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

/// Staff mode's idle limit in milliseconds, for the idle script.
pub fn idle_ms(shell: &Shell) -> i64 {
    i64::try_from(shell.config.staff_idle.as_millis()).unwrap_or(i64::MAX)
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

/// Captured / sent / received, "safe to hand back" with the core's reason, the journal.
fn counts(t: &StaffTexts, open: &Open, lang: Language) -> Markup {
    let overview = open.mode.overview();
    let journal = open.mode.verify_journal();
    html! {
        section aria-labelledby="counts-heading" {
            h2 #counts-heading { (t.counts_heading) }
            @match &overview {
                Ok(overview) => {
                    dl.counts {
                        div { dt { (t.captured) } dd #count-captured { (overview.captured) } }
                        div { dt { (t.sent) } dd #count-sent { (overview.sent) } }
                        div { dt { (t.received) } dd #count-received { (overview.received) } }
                    }
                    h2 #hand-back-heading { (t.hand_back_heading) }
                    @if overview.safe_to_hand_back {
                        p #hand-back .verdict-ok { "✓ " (t.safe_yes) }
                    } @else {
                        p #hand-back .verdict-bad { "✗ " (t.safe_no) }
                    }
                    p #hand-back-advice { (pick(&overview.hand_back_advice, lang)) }
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
