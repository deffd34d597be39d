//! Staff mode behind the PIN, at `/staff`: first setup (enroll, set the PIN), then the
//! kiosk's counts, journal and sync, or a staff tablet's pulled registrations.

use std::sync::Arc;
use std::time::Instant;

use axum::Router;
use kiosk_ffi::staff::StaffMode;

use crate::state::Shell;

/// Staff mode while it is open.
#[derive(Debug)]
pub struct StaffState {
    pub mode: Arc<StaffMode>,
    /// Names this staff session in every post.
    pub token: String,
    pub last_activity: Instant,
}

pub fn routes() -> Router<Arc<Shell>> {
    Router::new()
}

/// Locks staff mode left idle past the limit.
pub async fn sweep(shell: &Shell) {
    let mut staff = shell.staff.lock().await;
    if staff
        .as_ref()
        .is_some_and(|s| s.last_activity.elapsed() >= shell.config.staff_idle)
        && let Some(state) = staff.take()
    {
        state.mode.lock();
    }
}

/// Whether the device is enrolled (it holds a relay key), asked without the PIN.
pub fn is_enrolled(shell: &Shell) -> bool {
    // Until the ffi answers this directly: a visitor session starts only once enrolled and
    // with an event, and enrollment without an event is followed by the event's first sync.
    Arc::clone(&shell.device).start_visitor_session().is_ok()
}
