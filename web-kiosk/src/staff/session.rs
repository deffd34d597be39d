//! The open staff session: it is named by a random token that every staff post carries, it
//! locks itself after `config.staff_idle` without a request (checked on every request and
//! by the sweep), on "Lock", and when a visitor screen is shown. A post with a token of a
//! session that is gone gets a page that says staff mode is locked, and changes nothing.

use std::sync::Arc;
use std::time::Instant;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use kiosk_ffi::staff::StaffMode;
use kiosk_ffi::types::Language;
use maud::html;

use crate::staff::frame::{StaffPage, answer, back_to};
use crate::staff::post;
use crate::staff::texts::staff_texts;
use crate::staff::{StaffState, is_idle};
use crate::state::Shell;
use crate::texts::tag;

/// Staff mode as a request finds it open.
#[derive(Debug, Clone)]
pub struct Open {
    pub mode: Arc<StaffMode>,
    pub token: String,
}

/// The open staff session, if `token` names it; the request counts as activity.
pub async fn by_token(shell: &Shell, token: Option<&str>) -> Option<Open> {
    let mut staff = shell.staff.lock().await;
    lock_if_idle(shell, &mut staff);
    let state = staff.as_mut()?;
    if token != Some(state.token.as_str()) {
        return None;
    }
    state.last_activity = Instant::now();
    Some(Open {
        mode: Arc::clone(&state.mode),
        token: state.token.clone(),
    })
}

/// The open staff session for a page; `touch`: the request is staff's own (not the
/// page's automatic reload), so it counts as activity.
pub async fn for_page(shell: &Shell, touch: bool) -> Option<Open> {
    let mut staff = shell.staff.lock().await;
    lock_if_idle(shell, &mut staff);
    let state = staff.as_mut()?;
    if touch {
        state.last_activity = Instant::now();
    }
    Some(Open {
        mode: Arc::clone(&state.mode),
        token: state.token.clone(),
    })
}

/// Opens staff mode with `mode` under a new token, ending any session before it.
pub async fn open(shell: &Shell, mode: Arc<StaffMode>) {
    let state = StaffState {
        mode,
        token: crate::state::new_token(),
        last_activity: Instant::now(),
    };
    if let Some(before) = shell.staff.lock().await.replace(state) {
        before.mode.lock();
    }
}

/// Ends staff mode now (after a wipe, say).
pub async fn close(shell: &Shell) {
    shell.lock_staff().await;
}

fn lock_if_idle(shell: &Shell, staff: &mut Option<StaffState>) {
    if staff.as_ref().is_some_and(|s| is_idle(s, shell))
        && let Some(state) = staff.take()
    {
        state.mode.lock();
        tracing::info!("staff mode locked after idle time");
    }
}

/// Locks staff mode left idle past the limit.
pub async fn sweep(shell: &Shell) {
    let mut staff = shell.staff.lock().await;
    lock_if_idle(shell, &mut staff);
}

/// "Lock", or the idle script at its end: staff mode ends, back to the PIN.
pub async fn lock(State(shell): State<Arc<Shell>>, body: Bytes) -> Response {
    // Locking takes no authority: whatever is open is locked, whoever asks (a page of an
    // earlier session included).
    shell.lock_staff().await;
    let lang = post::read(&body, &["token", "lang"])
        .map(|posted| shell.staff_language(posted.get("lang")))
        .unwrap_or_else(|_| shell.staff_language(None));
    back_to("/staff", lang)
}

/// The idle script reports staff's activity: 204 while the session is open, 409 once it
/// is gone (the script then leaves the page).
pub async fn activity(State(shell): State<Arc<Shell>>, body: Bytes) -> Response {
    let token = crate::visitor::form_post::read_token(&body);
    match by_token(&shell, token.as_deref()).await {
        Some(_) => StatusCode::NO_CONTENT.into_response(),
        None => StatusCode::CONFLICT.into_response(),
    }
}

/// A staff post whose session is gone: staff mode is locked; nothing was changed.
pub fn locked(lang: Language) -> Response {
    let t = staff_texts(lang);
    let page = StaffPage::closed(lang, t.locked_title, None);
    answer(
        StatusCode::CONFLICT,
        page.render(html! {
            p.alert role="alert" { (t.locked_body) }
            p { a.button href={ "/staff?lang=" (tag(lang)) } { (t.enter_pin) } }
        }),
    )
}

/// Staff mode's idle limit in milliseconds, for the page's idle script.
pub fn idle_ms(shell: &Shell) -> i64 {
    i64::try_from(shell.config.staff_idle.as_millis()).unwrap_or(i64::MAX)
}

/// Reads a staff post and checks its session: the post, the staff language and the open
/// session, or the answer to give (a bad post, or "staff mode is locked").
pub async fn read_in_session(
    shell: &Shell,
    body: &Bytes,
    controls: &[&'static str],
) -> Result<(post::Posted, Language, Open), Response> {
    let posted = post::read(body, controls)
        .map_err(|error| crate::staff::frame::bad_post(shell.staff_language(None), error))?;
    let lang = shell.staff_language(posted.get("lang"));
    let open = by_token(shell, posted.get("token"))
        .await
        .ok_or_else(|| locked(lang))?;
    Ok((posted, lang, open))
}
