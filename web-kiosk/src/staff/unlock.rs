//! The PIN: `unlock_staff` (its key derivation runs on a core thread), and what the core
//! says when it refuses: wrong with attempts left and the delay before the next try, too
//! soon, locked out. Nothing here counts or delays on its own: the core does, durably.
//! Opening staff mode ends a visitor's screen left open, so staff never see a draft.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use kiosk_ffi::KioskError;
use kiosk_ffi::types::{DeviceRole, Language};
use maud::html;

use crate::staff::frame::{
    StaffPage, answer, back_to, bad_post, described_by, field_error, hidden, invalid,
};
use crate::staff::setup::{pin_input, pin_refused, two_pins};
use crate::staff::texts::staff_texts;
use crate::staff::{Flash, post, session};
use crate::state::{Screen, Shell};

/// The PIN page, with the core's answer to the last try. A staff tablet's page also offers
/// HR's unlock (the one a sync brought, or a code HR gave) with a new PIN.
pub fn page(lang: Language, flash: Option<&Flash>, role: DeviceRole) -> Response {
    let t = staff_texts(lang);
    let frame = StaffPage::closed(lang, t.unlock_title, flash);
    answer(
        StatusCode::OK,
        frame.render(html! {
            p { (t.unlock_lead) }
            @if let Some(flash) = flash.filter(|f| f.attempts_left.is_some() || f.retry_after_secs.is_some()) {
                dl.pin-state {
                    @if let Some(left) = flash.attempts_left {
                        dt { (t.attempts_left) }
                        dd #attempts-left { (left) }
                    }
                    @if let Some(seconds) = flash.retry_after_secs.filter(|s| *s > 0) {
                        dt { (t.retry_in) }
                        dd #retry-after { (seconds) " " (t.seconds) }
                    }
                }
            }
            form method="post" action="/staff/unlock" autocomplete="off" novalidate {
                (hidden(None, lang))
                (pin_input("unlock_pin", t.pin_label, flash, lang))
                div.actions { button.primary type="submit" { (t.unlock_button) } }
            }
            @if role == DeviceRole::Staff {
                @let about_unlock = flash.is_some_and(|f| {
                    f.field.is_some_and(|field| UNLOCK_FIELDS.contains(&field))
                        || (f.attempts_left.is_none() && f.retry_after_secs.is_none() && f.is_error)
                });
                details #hr-unlock open[about_unlock] {
                    summary { (t.unlock_code_heading) }
                    form method="post" action="/staff/unlock-code" autocomplete="off" novalidate {
                        (hidden(None, lang))
                        p #pin-rule { (t.unlock_code_lead) " " (t.pin_lead) }
                        div.field {
                            label for="unlock_code" { (t.unlock_code_label) }
                            (field_error(flash, "unlock_code", lang))
                            input #unlock_code name="unlock_code" type="text" maxlength="4096"
                                autocomplete="off" spellcheck="false" autocorrect="off" autocapitalize="off"
                                aria-invalid=[invalid(flash, "unlock_code")]
                                aria-describedby=[described_by(flash, "unlock_code", None)];
                        }
                        (pin_input("new_pin", t.new_pin_label, flash, lang))
                        (pin_input("new_pin_again", t.new_pin_again_label, flash, lang))
                        div.actions { button.secondary type="submit" { (t.unlock_code_button) } }
                    }
                }
            }
        }),
    )
}

/// The controls of HR's unlock form.
const UNLOCK_FIELDS: [&str; 3] = ["unlock_code", "new_pin", "new_pin_again"];

/// `POST /staff/unlock-code`: HR's unlock (typed, or the one a sync brought) with a new
/// PIN, for a staff tablet whose PIN is locked out or forgotten.
pub async fn unlock_with_hr(State(shell): State<Arc<Shell>>, body: Bytes) -> Response {
    let mut posted = match post::read(&body, &["unlock_code", "new_pin", "new_pin_again", "lang"]) {
        Ok(posted) => posted,
        Err(error) => return bad_post(shell.staff_language(None), error),
    };
    let lang = shell.staff_language(posted.get("lang"));
    let new_pin = match two_pins(&mut posted, "new_pin", "new_pin_again") {
        Ok(pin) => pin,
        Err(flash) => {
            shell.staff_flash(flash);
            return back_to("/staff", lang);
        }
    };
    let code = posted.take("unlock_code").unwrap_or_default();
    let device = Arc::clone(&shell.device);
    let opened = if code.trim().is_empty() {
        device.reset_staff_pin_with_unlock(new_pin).await
    } else {
        device
            .unlock_staff_with_code(code.trim().to_owned(), new_pin)
            .await
    };
    match opened {
        Ok(mode) => opened_staff_mode(&shell, mode).await,
        Err(error @ KioskError::Pin { .. }) => {
            let field = match &error {
                KioskError::Pin { reason, .. } if reason == "invalid_format" => "new_pin",
                _ => "unlock_code",
            };
            tracing::info!(kind = %error, "HR's unlock was refused");
            shell.staff_flash(pin_refused(&error, field));
        }
        Err(error) => shell.staff_flash(pin_refused(&error, "unlock_code")),
    }
    back_to("/staff", lang)
}

/// Staff mode opened: a visitor's screen left open is dropped first, then the session
/// starts under a new token.
async fn opened_staff_mode(shell: &Arc<Shell>, mode: Arc<kiosk_ffi::staff::StaffMode>) {
    {
        let mut screen = shell.screen.lock().await;
        if let Screen::Visit(visit) = &*screen {
            let _ = visit.session.reset();
        }
        if !matches!(&*screen, Screen::Welcome { .. }) {
            *screen = Screen::Welcome { notice: None };
        }
    }
    session::open(shell, mode).await;
    tracing::info!("staff mode opened");
}

/// `POST /staff/unlock`.
pub async fn unlock(State(shell): State<Arc<Shell>>, body: Bytes) -> Response {
    let mut posted = match post::read(&body, &["unlock_pin", "lang"]) {
        Ok(posted) => posted,
        Err(error) => return bad_post(shell.staff_language(None), error),
    };
    let lang = shell.staff_language(posted.get("lang"));
    let pin = posted.take("unlock_pin").unwrap_or_default();
    match Arc::clone(&shell.device).unlock_staff(pin).await {
        Ok(mode) => opened_staff_mode(&shell, mode).await,
        Err(KioskError::Pin {
            reason,
            attempts_left,
            retry_after_secs,
            message_sv,
            message_en,
        }) => {
            tracing::info!(%reason, ?attempts_left, ?retry_after_secs, "staff PIN refused");
            shell.staff_flash(Flash {
                attempts_left,
                retry_after_secs,
                ..Flash::error(Some("unlock_pin"), message_sv, message_en)
            });
        }
        Err(error) => {
            tracing::error!(kind = %error, "staff mode did not open");
            let (sv, en) = error.texts();
            shell.staff_flash(Flash::error(None, sv, en));
        }
    }
    back_to("/staff", lang)
}
