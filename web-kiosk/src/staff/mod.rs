//! Staff mode behind the PIN, at `/staff`: first setup (enroll, set the PIN), then the
//! kiosk's counts, journal, sync and wipe, or a staff tablet's pulled registrations with
//! notes, ratings and status. Server-rendered; the only script is the idle lock.
//!
//! - [`gate`]: what `/staff` shows: wiped, setup, the PIN, or staff mode itself.
//! - [`setup`]: enrolling with a code or QR text, and the first PIN.
//! - [`unlock`]: the PIN, with the core's lockout and delays.
//! - [`session`]: the open staff session: its token, idle lock, lock, activity, refusals.
//! - [`home`]: the kiosk's counts, journal verdict and "safe to hand back", the relay's
//!   log (a fork, a restore to acknowledge) and the witnesses the tablet requires.
//! - [`sync`]: "sync now" and its progress, the last success and failure.
//! - [`wipe`]: the wipe the relay ordered after a revocation.
//! - [`records`]: a staff tablet's registrations, one record, note, rating, status.
//! - [`post`]: reading staff posts, with bounds. [`frame`]: the staff page frame.
//! - [`texts`]: staff mode's texts in Swedish and English. [`time`]: dates as staff read them.

mod frame;
mod gate;
mod home;
mod post;
mod records;
mod session;
mod setup;
mod sync;
pub mod texts;
mod time;
mod unlock;
pub mod wipe;

use std::sync::Arc;

use axum::Router;
use axum::routing::{get, post};
use kiosk_ffi::types::Language;

use crate::state::Shell;
pub use crate::state::{Flash, StaffMemo, StaffState};

pub use session::sweep;

impl Shell {
    fn memo(&self) -> std::sync::MutexGuard<'_, StaffMemo> {
        self.staff_memo
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Keeps `flash` for the next staff page.
    pub fn staff_flash(&self, flash: Flash) {
        self.memo().flash = Some(flash);
    }

    /// Takes the flash kept for this page.
    fn take_staff_flash(&self) -> Option<Flash> {
        self.memo().flash.take()
    }

    /// The staff language: `asked` if given (and remembered), else the last one chosen.
    fn staff_language(&self, asked: Option<&str>) -> Language {
        let mut memo = self.memo();
        if let Some(tag) = asked {
            memo.language = Some(crate::texts::language_of(tag));
        }
        memo.language.unwrap_or(Language::Swedish)
    }
}

pub fn routes() -> Router<Arc<Shell>> {
    Router::new()
        .route("/staff", get(gate::staff_screen))
        .route("/staff/enroll", post(setup::enroll))
        .route("/staff/pin", post(setup::set_pin))
        .route("/staff/unlock", post(unlock::unlock))
        .route("/staff/unlock-code", post(unlock::unlock_with_hr))
        .route("/staff/change-pin", post(home::change_pin))
        .route("/staff/log-restore", post(home::acknowledge_log_restore))
        .route("/staff/witnesses", post(home::require_witnesses))
        .route("/staff/lock", post(session::lock))
        .route("/staff/activity", post(session::activity))
        .route("/staff/sync", post(sync::sync_now))
        .route("/staff/wipe", post(wipe::wipe_now))
        .route("/staff/records/{id}", get(records::record_screen))
        .route("/staff/records/{id}/note", post(records::add_note))
        .route("/staff/records/{id}/rating", post(records::rate))
        .route("/staff/records/{id}/status", post(records::set_status))
}

/// Whether staff mode has gone without a request for the idle limit.
fn is_idle(state: &StaffState, shell: &Shell) -> bool {
    state.last_activity.elapsed() >= shell.config.staff_idle
}

/// Whether the device is enrolled (it holds a relay certificate and key), asked without
/// the PIN.
pub fn is_enrolled(shell: &Shell) -> bool {
    shell.device.setup_state().is_ok_and(|setup| setup.enrolled)
}
