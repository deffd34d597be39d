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
use kiosk_ffi::types::Language;
use maud::html;

use crate::staff::frame::{StaffPage, answer, back_to, bad_post, hidden};
use crate::staff::setup::pin_input;
use crate::staff::texts::staff_texts;
use crate::staff::{Flash, post, session};
use crate::state::{Screen, Shell};

/// The PIN page, with the core's answer to the last try.
pub fn page(lang: Language, flash: Option<&Flash>) -> Response {
    let t = staff_texts(lang);
    let frame = StaffPage {
        lang,
        title: t.unlock_title,
        here: "/staff",
        token: None,
        idle_ms: 0,
        flash,
        reload_after_secs: None,
    };
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
        }),
    )
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
        Ok(mode) => {
            // Staff take over the screen: a visitor's form left open is dropped first.
            {
                let mut screen = shell.screen.lock().await;
                if let Screen::Visit(visit) = &*screen {
                    let _ = visit.session.reset();
                }
                if !matches!(&*screen, Screen::Welcome { .. }) {
                    *screen = Screen::Welcome { notice: None };
                }
            }
            session::open(&shell, mode).await;
            tracing::info!("staff mode opened");
        }
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
