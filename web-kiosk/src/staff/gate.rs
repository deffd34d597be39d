//! What `/staff` shows, from where the tablet stands (asked without the PIN): a wiped
//! tablet says so; before enrollment or before a PIN exists, setup; after that the PIN,
//! and once the PIN opened staff mode, staff mode itself. Setup closes for good once the
//! tablet is enrolled and has a PIN.

use std::sync::Arc;

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use kiosk_ffi::KioskError;
use maud::html;

use crate::staff::frame::{StaffPage, StaffQuery, answer};
use crate::staff::texts::staff_texts;
use crate::staff::{home, session, setup, unlock, wipe};
use crate::state::Shell;
use crate::texts::pick_pair;

/// `GET /staff`.
pub async fn staff_screen(
    State(shell): State<Arc<Shell>>,
    Query(query): Query<StaffQuery>,
) -> Response {
    let lang = shell.staff_language(query.lang.as_deref());
    let flash = shell.take_staff_flash();
    let setup_state = match shell.device.setup_state() {
        Ok(setup_state) => setup_state,
        Err(KioskError::NotReady { code, .. }) if code == "wiped" => {
            session::close(&shell).await;
            return wipe::wiped_page(lang);
        }
        Err(error) => {
            tracing::error!(kind = %error, "the tablet's setup cannot be read");
            let (sv, en) = error.texts();
            let t = staff_texts(lang);
            let page = StaffPage::closed(lang, t.staff_title, None);
            return answer(
                StatusCode::INTERNAL_SERVER_ERROR,
                page.render(html! { p.alert role="alert" { (pick_pair(&sv, &en, lang)) } }),
            );
        }
    };
    if !setup_state.enrolled || !setup_state.staff_pin_set {
        return setup::page(&setup_state, lang, flash.as_ref());
    }
    match session::for_page(&shell, query.auto.is_none()).await {
        Some(open) => home::page(&shell, &open, &setup_state, lang, flash.as_ref()),
        None => unlock::page(lang, flash.as_ref(), setup_state.role),
    }
}
