//! The wipe after a revocation. When HR revokes a tablet, the relay's signed order reaches
//! it with a sync; the core then erases the store and the data key once every record has a
//! receipt and is in a relay backup, and until then says what it waits for.
//!
//! The shell carries the order out by itself after every successful sync (background or
//! "sync now"), as the device CLI does: a revoked tablet is usually one nobody stands at
//! (lost or taken), the order is signed by the relay for this tablet only, and the core
//! refuses while anything could be lost, so waiting for staff would only keep data on a
//! tablet HR no longer trusts. Staff see the order, what it waits for, and can try at once.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use kiosk_ffi::KioskError;
use kiosk_ffi::types::{Language, WipeOutcome};
use maud::{Markup, html};

use crate::staff::frame::{StaffPage, answer, back_to, hidden};
use crate::staff::texts::staff_texts;
use crate::staff::{Flash, session};
use crate::state::Shell;

/// After a completed sync: carries out a wipe the relay ordered, if it did.
pub async fn after_sync(shell: &Arc<Shell>) {
    if shell
        .device
        .setup_state()
        .is_ok_and(|setup| setup.wipe_ordered)
    {
        let _ = carry_out(shell).await;
    }
}

/// Asks the core to wipe; keeps what it waits for, or ends staff mode once wiped.
async fn carry_out(shell: &Arc<Shell>) -> Result<WipeOutcome, KioskError> {
    let device = Arc::clone(&shell.device);
    let outcome = tokio::task::spawn_blocking(move || device.wipe())
        .await
        .map_err(|error| KioskError::Callback {
            detail: format!("the wipe stopped unexpectedly: {error}"),
        })?;
    match &outcome {
        Ok(WipeOutcome::Wiped) => {
            shell.memo().wipe_waiting = None;
            session::close(shell).await;
            tracing::warn!("the relay revoked this tablet: its store and data key are erased");
        }
        Ok(WipeOutcome::Waiting {
            unreceipted,
            not_backed_up,
        }) => {
            shell.memo().wipe_waiting = Some((*unreceipted, *not_backed_up));
            tracing::info!(unreceipted, not_backed_up, "the ordered wipe waits");
        }
        Err(error) => tracing::error!(kind = %error, "the ordered wipe failed"),
    }
    outcome
}

/// The wipe section of staff mode's page, while a wipe is ordered.
pub fn panel(shell: &Shell, token: &str, lang: Language) -> Markup {
    let t = staff_texts(lang);
    let waiting = shell.memo().wipe_waiting;
    html! {
        section #wipe .wipe-ordered aria-labelledby="wipe-heading" {
            h2 #wipe-heading { (t.wipe_heading) }
            p { (t.wipe_lead) }
            @if let Some((unreceipted, not_backed_up)) = waiting {
                p #wipe-waiting role="status" {
                    (t.wipe_waiting) ": " (unreceipted) " " (t.wipe_unreceipted) ", "
                    (not_backed_up) " " (t.wipe_not_backed_up) "."
                }
                p { (t.wipe_what_to_do) }
            }
            form method="post" action="/staff/wipe" {
                (hidden(Some(token), lang))
                button.danger type="submit" { (t.wipe_button) }
            }
        }
    }
}

/// `POST /staff/wipe`: tries the ordered wipe now.
pub async fn wipe_now(State(shell): State<Arc<Shell>>, body: Bytes) -> Response {
    let lang = match session::read_in_session(&shell, &body, &["token", "lang"]).await {
        Ok((_, lang, _)) => lang,
        Err(answer) => return answer,
    };
    if let Err(error) = carry_out(&shell).await {
        let (sv, en) = error.texts();
        shell.staff_flash(Flash::error(None, sv, en));
    }
    back_to("/staff", lang)
}

/// A wiped tablet's staff page.
pub fn wiped_page(lang: Language) -> Response {
    let t = staff_texts(lang);
    let page = StaffPage::closed(lang, t.wiped_title, None);
    answer(
        StatusCode::OK,
        page.render(html! { p #wiped { (t.wiped_body) } }),
    )
}
