//! The visitor's screens and how one visitor moves through them: welcome → form (ordinary
//! or protected path, corrected as often as needed) → thank-you → welcome. Every post is
//! answered with a redirect (post-redirect-get), so Back, reload and form restoration find
//! only pages that read the current screen, and a screen that has moved on shows nothing of
//! the visitor before. Showing a visitor's screen locks staff mode.

mod form_page;
pub mod form_post;
mod receipt_qr;
mod thanks;
mod welcome;

use std::sync::Arc;
use std::time::Instant;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use kiosk_ffi::KioskError;
use kiosk_ffi::types::Language;

use crate::layout::message_page;
use crate::state::{Notice, Screen, Shell, Thanks, Visit, new_token};
use crate::texts::{language_of, texts};
use form_post::{Intent, PostError};

pub use thanks::{SHOWN_FOR_SECS, SWEPT_AFTER_SECS};

pub fn routes() -> Router<Arc<Shell>> {
    Router::new()
        .route("/", get(welcome_screen))
        .route("/start", post(start))
        .route("/form", get(form_screen).post(post_form))
        .route("/thanks", get(thanks_screen))
        .route("/visit/activity", post(activity))
        .route("/visit/reset", post(reset))
}

#[derive(Debug, serde::Deserialize)]
struct LangQuery {
    lang: Option<String>,
}

/// The welcome screen. Reaching it ends whatever screen came before: a form left behind, or
/// a thank-you, is gone.
async fn welcome_screen(State(shell): State<Arc<Shell>>, query: Query<LangQuery>) -> Response {
    shell.lock_staff().await;
    let lang = language_of(query.lang.as_deref().unwrap_or("sv"));
    if let Some(answer) = not_ready_for_visitors(&shell, lang) {
        return answer;
    }
    let notice = {
        let mut screen = shell.screen.lock().await;
        let notice = match &*screen {
            Screen::Welcome { notice } => *notice,
            _ => None,
        };
        *screen = Screen::Welcome { notice: None };
        notice
    };
    let session = match Arc::clone(&shell.device).start_visitor_session() {
        Ok(session) => session,
        Err(error) => return not_ready(lang, &error),
    };
    match session.form() {
        Ok(form) => Html(welcome::render(&form, lang, notice).into_string()).into_response(),
        Err(error) => not_ready(lang, &error),
    }
}

#[derive(Debug, serde::Deserialize)]
struct StartForm {
    lang: String,
    path: Option<String>,
}

/// Starts a visit in the chosen language, on the ordinary or the protected path.
async fn start(State(shell): State<Arc<Shell>>, body: Bytes) -> Response {
    let Ok(form) = serde_urlencoded::from_bytes::<StartForm>(&body) else {
        return bad_post(Language::Swedish, PostError::NotAForm);
    };
    let lang = language_of(&form.lang);
    shell.lock_staff().await;
    if let Some(answer) = not_ready_for_visitors(&shell, lang) {
        return answer;
    }
    let session = match Arc::clone(&shell.device).start_visitor_session() {
        Ok(session) => session,
        Err(error) => return not_ready(lang, &error),
    };
    let form_view = match session.form() {
        Ok(form) => form,
        Err(error) => return not_ready(lang, &error),
    };
    let visit = Visit {
        token: new_token(),
        session,
        language: lang,
        protected: form.path.as_deref() == Some("protected"),
        form: form_view,
        draft: None,
        problems: Vec::new(),
        notice: None,
    };
    *shell.screen.lock().await = Screen::Visit(Box::new(visit));
    Redirect::to("/form").into_response()
}

/// The form of the visit in progress; with none, the welcome screen.
async fn form_screen(State(shell): State<Arc<Shell>>) -> Response {
    shell.lock_staff().await;
    let screen = shell.screen.lock().await;
    match &*screen {
        Screen::Visit(visit) => Html(form_page::render(visit).into_string()).into_response(),
        Screen::Thanks(_) => Redirect::to("/thanks").into_response(),
        Screen::Welcome { .. } => Redirect::to("/").into_response(),
    }
}

/// A posted form: sent, or a switch of path or language that keeps what was typed.
async fn post_form(State(shell): State<Arc<Shell>>, headers: HeaderMap, body: Bytes) -> Response {
    let mut screen = shell.screen.lock().await;
    let lang = screen_language(&screen);
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok());
    if !form_post::is_form_content_type(content_type) {
        return bad_post(lang, PostError::NotAForm);
    }
    let posted = match form_post::read(&body) {
        Ok(posted) => posted,
        Err(error) => return bad_post(lang, error),
    };
    let visit = match &mut *screen {
        Screen::Visit(visit) if visit.token == posted.token => visit,
        // The same form posted again (a double tap, a resent post): the first one's
        // thank-you, not a second registration.
        Screen::Thanks(thanks) if thanks.visit_token == posted.token => {
            return Redirect::to("/thanks").into_response();
        }
        _ => return page_expired(lang),
    };
    let mut posted = posted;
    let form_version = std::mem::take(&mut posted.form_version);
    let intent = posted.intent;
    // Taken out of the post (which wipes what is left of it when dropped).
    let mut draft = std::mem::take(&mut posted.draft);
    draft.language = Some(visit.language);
    draft.protected_personal_data = visit.protected;
    visit.problems.clear();
    visit.notice = None;
    match intent {
        Intent::Send => {}
        Intent::Protected | Intent::Ordinary | Intent::SwitchLanguage => {
            match intent {
                Intent::Protected => {
                    visit.protected = true;
                    // Not asked on the protected path: nothing of it is kept.
                    draft.education_level.clear();
                    draft.free_text.clear();
                    draft.talent_pool_opt_in = false;
                }
                Intent::Ordinary => visit.protected = false,
                _ => visit.language = crate::texts::other(visit.language),
            }
            draft.language = Some(visit.language);
            draft.protected_personal_data = visit.protected;
            // The switch is activity, and the core keeps the draft as the visitor left it.
            let kept = visit.session.update(draft.clone());
            replace_draft(visit, draft);
            return match kept {
                Err(KioskError::NotReady { code, .. }) if code == "session_expired" => {
                    *screen = Screen::Welcome {
                        notice: Some(Notice::ClearedAfterIdle),
                    };
                    Redirect::to("/").into_response()
                }
                _ => Redirect::to("/form#main").into_response(),
            };
        }
    }
    if form_version != visit.form.form_version {
        // A page of an earlier form version: show the current one with the answers kept.
        return form_changed(visit, draft);
    }
    let session = Arc::clone(&visit.session);
    let submitted = {
        let draft = draft.clone();
        tokio::task::spawn_blocking(move || session.submit(draft)).await
    };
    match submitted {
        Ok(Ok(receipt)) => {
            if let Some(pause) = shell.config.pause_after_capture {
                tokio::time::sleep(pause).await;
            }
            let thanks = Thanks {
                visit_token: visit.token.clone(),
                token: new_token(),
                receipt,
                language: visit.language,
                talent_pool: draft.talent_pool_opt_in && !visit.protected,
                since: Instant::now(),
            };
            crate::state::wipe(&mut draft);
            *screen = Screen::Thanks(thanks);
            drop(screen);
            shell.sync_nudge.notify_one();
            Redirect::to("/thanks").into_response()
        }
        Ok(Err(KioskError::InvalidRegistration { errors })) => {
            if errors.iter().any(|e| e.field == "form_version") {
                return form_changed(visit, draft);
            }
            visit.problems = errors;
            replace_draft(visit, draft);
            Redirect::to("/form").into_response()
        }
        Ok(Err(KioskError::NotReady { code, .. })) if code == "session_expired" => {
            crate::state::wipe(&mut draft);
            *screen = Screen::Welcome {
                notice: Some(Notice::ClearedAfterIdle),
            };
            Redirect::to("/").into_response()
        }
        Ok(Err(error)) => {
            tracing::error!(kind = %error, "a visitor's submit failed; the draft is kept");
            visit.notice = Some(Notice::CaptureFailed);
            replace_draft(visit, draft);
            Redirect::to("/form").into_response()
        }
        Err(_) => {
            tracing::error!("a visitor's submit stopped unexpectedly; the draft is kept");
            visit.notice = Some(Notice::CaptureFailed);
            replace_draft(visit, draft);
            Redirect::to("/form").into_response()
        }
    }
}

/// Keeps `draft` as what the form shows, overwriting the one it replaces.
fn replace_draft(visit: &mut Visit, draft: kiosk_ffi::types::RegistrationDraft) {
    if let Some(mut old) = visit.draft.replace(draft) {
        crate::state::wipe(&mut old);
    }
}

/// The form changed under the visitor: start the session over on the current form, keep the
/// answers, and say so.
fn form_changed(visit: &mut Visit, draft: kiosk_ffi::types::RegistrationDraft) -> Response {
    let _ = visit.session.reset();
    if let Ok(form) = visit.session.form() {
        visit.form = form;
    }
    let _ = visit.session.update(draft.clone());
    replace_draft(visit, draft);
    visit.notice = Some(Notice::FormUpdated);
    Redirect::to("/form").into_response()
}

/// The thank-you screen, while it is the screen.
async fn thanks_screen(State(shell): State<Arc<Shell>>) -> Response {
    shell.lock_staff().await;
    let screen = shell.screen.lock().await;
    match &*screen {
        // The receipt is on this page only: no cache or history may keep it (the guard says
        // no-store for every answer; this page must not depend on it).
        Screen::Thanks(thanks) => (
            [(header::CACHE_CONTROL, "no-store")],
            Html(thanks::render(thanks).into_string()),
        )
            .into_response(),
        _ => Redirect::to("/").into_response(),
    }
}

/// The visitor did something on the form (the idle script reports it, or answered "still
/// there?"): the session goes on.
async fn activity(State(shell): State<Arc<Shell>>, body: Bytes) -> Response {
    let token = form_post::read_token(&body);
    let mut screen = shell.screen.lock().await;
    let Screen::Visit(visit) = &mut *screen else {
        return StatusCode::CONFLICT.into_response();
    };
    if token.as_deref() != Some(visit.token.as_str()) {
        return StatusCode::CONFLICT.into_response();
    }
    match visit.session.still_here() {
        Ok(()) => StatusCode::NO_CONTENT.into_response(),
        Err(_) => {
            *screen = Screen::Welcome {
                notice: Some(Notice::ClearedAfterIdle),
            };
            StatusCode::CONFLICT.into_response()
        }
    }
}

/// "Start over", the idle reset, or "Done" on the thank-you screen: the screen goes back to
/// the welcome, and the visitor's draft (in the shell and in the core) is gone. A token of a
/// screen already gone changes nothing.
async fn reset(State(shell): State<Arc<Shell>>, body: Bytes) -> Response {
    let token = form_post::read_token(&body);
    let mut screen = shell.screen.lock().await;
    let current = match &*screen {
        Screen::Visit(visit) => Some(visit.token.as_str()),
        Screen::Thanks(thanks) => Some(thanks.token.as_str()),
        Screen::Welcome { .. } => None,
    };
    if current.is_some() && current == token.as_deref() {
        if let Screen::Visit(visit) = &*screen {
            let _ = visit.session.reset();
        }
        *screen = Screen::Welcome { notice: None };
    }
    Redirect::to("/").into_response()
}

/// Ends a screen nobody uses: a visit idle past the core's limit (even if no script told
/// the shell, say in a browser without scripts), a thank-you shown long enough.
pub async fn sweep(shell: &Shell) {
    let mut screen = shell.screen.lock().await;
    let ended = match &*screen {
        Screen::Visit(visit) => matches!(
            visit.session.idle_state(),
            Ok(kiosk_ffi::types::IdleState::Expired) | Err(_)
        ),
        Screen::Thanks(thanks) => thanks.since.elapsed().as_secs() > u64::from(SWEPT_AFTER_SECS),
        Screen::Welcome { .. } => false,
    };
    if ended {
        let notice = matches!(&*screen, Screen::Visit(_)).then_some(Notice::ClearedAfterIdle);
        if let Screen::Visit(visit) = &*screen {
            let _ = visit.session.reset();
        }
        *screen = Screen::Welcome { notice };
    }
}

/// The answer instead of a visitor's screen, if the screens may not take visitors. Only a
/// kiosk has them (a staff tablet's place is staff mode), and only once set up to the end:
/// until staff chose the PIN, whoever reached `/staff` first could choose it.
fn not_ready_for_visitors(shell: &Shell, lang: Language) -> Option<Response> {
    let setup = match shell.device.setup_state() {
        Ok(setup) => setup,
        Err(error) => return Some(not_ready(lang, &error)),
    };
    if setup.role == kiosk_ffi::types::DeviceRole::Staff {
        return Some(Redirect::to("/staff").into_response());
    }
    if !setup.enrolled || !setup.staff_pin_set {
        tracing::info!(
            enrolled = setup.enrolled,
            pin_set = setup.staff_pin_set,
            "the visitor's screen waits for staff to finish the setup"
        );
        return Some(not_ready_page(lang));
    }
    None
}

fn screen_language(screen: &Screen) -> Language {
    match screen {
        Screen::Visit(visit) => visit.language,
        Screen::Thanks(thanks) => thanks.language,
        Screen::Welcome { .. } => Language::Swedish,
    }
}

/// The kiosk cannot take visitors yet (not enrolled, no event) or any more (wiped).
fn not_ready(lang: Language, error: &KioskError) -> Response {
    tracing::info!(kind = %error, "the visitor's screen is not ready");
    not_ready_page(lang)
}

fn not_ready_page(lang: Language) -> Response {
    let t = texts(lang);
    let page = message_page(lang, t.not_ready_title, t.not_ready_body, false);
    (StatusCode::SERVICE_UNAVAILABLE, Html(page.into_string())).into_response()
}

/// A post the shell's own page could not have sent: refused whole, nothing echoed.
fn bad_post(lang: Language, error: PostError) -> Response {
    let t = texts(lang);
    tracing::warn!(%error, "refused a visitor post");
    let general = match error {
        PostError::TooLong | PostError::TooManyItems => t.too_large,
        _ => t.bad_post,
    };
    let (sv, en) = error.explanation();
    let message = format!("{} {general}", crate::texts::pick_pair(sv, en, lang));
    let page = message_page(lang, t.not_accepted_title, &message, true);
    (StatusCode::BAD_REQUEST, Html(page.into_string())).into_response()
}

/// A post of a screen that has moved on (Back, a resent post, a restart): refused, and
/// nothing of it shown.
fn page_expired(lang: Language) -> Response {
    let t = texts(lang);
    let page = message_page(lang, t.page_expired_title, t.page_expired, true);
    (StatusCode::CONFLICT, Html(page.into_string())).into_response()
}
