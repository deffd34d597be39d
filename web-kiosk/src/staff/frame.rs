//! The frame of every staff page: the shared layout without the visitor's footer, a bar
//! with the language switch, the way back to the visitor screen and "Lock", the outcome
//! of the last post (an error summary that takes focus when it belongs to a field), and
//! the idle lock (the idle script, and a refresh for a browser that runs no script).

use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use kiosk_ffi::types::Language;
use maud::{Markup, html};

use crate::layout::{IdleWatch, Page, Refresh};
use crate::staff::Flash;
use crate::staff::texts::{StaffTexts, staff_texts};
use crate::texts::{other, tag};

/// A staff page being drawn.
#[derive(Debug)]
pub struct StaffPage<'a> {
    pub lang: Language,
    pub title: &'a str,
    /// This page's address without the language, for the language switch.
    pub here: &'a str,
    /// The open staff session's token: the page then has "Lock" and the idle lock.
    pub token: Option<&'a str>,
    /// Lock after this long idle (staff mode only).
    pub idle_ms: i64,
    pub flash: Option<&'a Flash>,
    /// Reload after this many seconds (a sync in progress).
    pub reload_after_secs: Option<u32>,
}

impl<'a> StaffPage<'a> {
    /// A page without an open staff session: setup, the PIN, locked, wiped, refusals.
    pub fn closed(lang: Language, title: &'a str, flash: Option<&'a Flash>) -> StaffPage<'a> {
        StaffPage {
            lang,
            title,
            here: "/staff",
            token: None,
            idle_ms: 0,
            flash,
            reload_after_secs: None,
        }
    }

    pub fn render(&self, content: Markup) -> Markup {
        let t = staff_texts(self.lang);
        let has_errors = self.flash.is_some_and(|f| f.is_error);
        let idle = self.token.map(|token| IdleWatch {
            ask_after_ms: None,
            end_after_ms: self.idle_ms,
            activity_url: Some("/staff/activity"),
            end_url: "/staff/lock",
            leave_to: "/staff",
            token: token.to_owned(),
            dialog: None,
        });
        let here_again = format!("{}?lang={}&auto=1", self.here, tag(self.lang));
        let refresh = match (self.reload_after_secs, self.token) {
            (Some(seconds), _) => Some(Refresh {
                after_secs: seconds,
                to: here_again.clone(),
            }),
            // Without script nothing tells the page it was locked: reload it a moment
            // after the lock, so it shows the PIN instead of what it held.
            (None, Some(_)) => Some(Refresh {
                after_secs: u32::try_from(self.idle_ms / 1000)
                    .unwrap_or(u32::MAX)
                    .saturating_add(3),
                to: here_again.clone(),
            }),
            (None, None) => None,
        };
        let page = Page {
            has_errors,
            visitor: false,
            idle,
            refresh,
            ..Page::new(self.lang, self.title)
        };
        page.render(html! {
            @if let Some(seconds) = self.reload_after_secs {
                div #reload-watch hidden data-reload-after-ms=(u64::from(seconds) * 1000)
                    data-reload-to=(here_again) {}
            }
            nav.staff-bar aria-label=(t.staff_title) {
                a.button.secondary href={ (self.here) "?lang=" (tag(other(self.lang))) }
                    lang=(tag(other(self.lang))) hreflang=(tag(other(self.lang))) { (t.switch_language) }
                a.button.secondary href="/" { (t.to_visitors) }
                @if let Some(token) = self.token {
                    form method="post" action="/staff/lock" {
                        input type="hidden" name="token" value=(token);
                        input type="hidden" name="lang" value=(tag(self.lang));
                        button.secondary type="submit" { (t.lock) }
                    }
                }
            }
            @if let Some(flash) = self.flash {
                (flash_box(flash, self.lang, t))
            }
            div.staff { (content) }
        })
    }
}

/// The last post's outcome: a summary linking to its field, an alert, or a status line.
fn flash_box(flash: &Flash, lang: Language, t: &StaffTexts) -> Markup {
    html! {
        @if flash.is_error {
            @if let Some(field) = flash.field {
                div.error-summary role="alert" tabindex="-1" autofocus aria-labelledby="error-summary-title" {
                    h2 #error-summary-title { (t.error_summary_title) }
                    ul { li { a href={ "#" (anchor_of(field)) } { (flash.text(lang)) } } }
                }
            } @else {
                p.alert role="alert" { (flash.text(lang)) }
            }
        } @else {
            p.notice role="status" { (flash.text(lang)) }
        }
    }
}

/// The control a field's error links to: a group's first choice.
fn anchor_of(field: &str) -> &str {
    match field {
        "score" => "score-1",
        other => other,
    }
}

/// The error beside a field, when the flash belongs to it.
pub fn field_error(flash: Option<&Flash>, field: &str, lang: Language) -> Markup {
    html! {
        @if let Some(flash) = flash.filter(|f| f.is_error && f.field == Some(field)) {
            p.field-error id={ "error-" (field) } {
                span.visually-hidden { (crate::texts::texts(lang).error_prefix) }
                (flash.text(lang))
            }
        }
    }
}

/// Whether the flash is an error of `field` (for `aria-invalid`).
pub fn invalid(flash: Option<&Flash>, field: &str) -> Option<&'static str> {
    flash
        .is_some_and(|f| f.is_error && f.field == Some(field))
        .then_some("true")
}

/// `aria-describedby` for a field with an optional hint and its error.
pub fn described_by(flash: Option<&Flash>, field: &str, hint: Option<&str>) -> Option<String> {
    let error = invalid(flash, field).map(|_| format!("error-{field}"));
    match (hint, error) {
        (Some(h), Some(e)) => Some(format!("{h} {e}")),
        (Some(h), None) => Some(h.to_owned()),
        (None, e) => e,
    }
}

/// The hidden controls every staff form carries.
pub fn hidden(token: Option<&str>, lang: Language) -> Markup {
    html! {
        @if let Some(token) = token {
            input type="hidden" name="token" value=(token);
        }
        input type="hidden" name="lang" value=(tag(lang));
    }
}

/// An HTML answer.
pub fn answer(status: StatusCode, page: Markup) -> Response {
    (status, Html(page.into_string())).into_response()
}

/// After a post: back to `path` in `lang` (post-redirect-get).
pub fn back_to(path: &str, lang: Language) -> Response {
    Redirect::to(&format!("{path}?lang={}", tag(lang))).into_response()
}

/// A post no staff page sends: refused whole, nothing echoed.
pub fn bad_post(lang: Language, error: crate::staff::post::PostError) -> Response {
    tracing::warn!(%error, "refused a staff post");
    let t = staff_texts(lang);
    let flash = Flash::error(
        None,
        staff_texts(Language::Swedish).bad_post,
        staff_texts(Language::English).bad_post,
    );
    let page = StaffPage::closed(lang, t.staff_title, Some(&flash));
    answer(
        StatusCode::BAD_REQUEST,
        page.render(html! { p { a.button href="/staff" { (t.staff_title) } } }),
    )
}

/// The query of a staff page: a language chosen, and whether the page reloaded itself.
#[derive(Debug, serde::Deserialize)]
pub struct StaffQuery {
    pub lang: Option<String>,
    /// Set by the page's own reload (sync progress): not staff's activity.
    pub auto: Option<String>,
}
