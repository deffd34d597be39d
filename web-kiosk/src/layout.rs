//! The frame every screen shares: `<html lang>`, a skip link, one `<main>` with the page's
//! single `h1`, the "start over" control on visitor screens and the discreet staff control;
//! and the two static assets (the stylesheet and the idle script), served by the shell itself
//! so that the content policy can forbid everything else.

use kiosk_ffi::types::Language;
use maud::{DOCTYPE, Markup, html};

use crate::texts::{tag, texts};

/// The stylesheet, served from `/assets/kiosk.css`.
pub const STYLESHEET: &str = include_str!("../assets/kiosk.css");
/// The idle prompt and reset, served from `/assets/idle.js`: the only script, and no page
/// needs it to work.
pub const IDLE_SCRIPT: &str = include_str!("../assets/idle.js");

/// What the idle script does on a page: ask "still there?" and reset (a visitor's form), or
/// only lock (staff mode).
#[derive(Debug, Clone)]
pub struct IdleWatch {
    /// Ask after this long without activity (ms); `None`: never ask, only end.
    pub ask_after_ms: Option<i64>,
    /// End the page after this long without activity (ms).
    pub end_after_ms: i64,
    /// Where activity is reported (POST), if the server tracks it.
    pub activity_url: Option<&'static str>,
    /// Where the end is posted before leaving.
    pub end_url: &'static str,
    /// Where the browser goes after the end.
    pub leave_to: &'static str,
    /// The page's one-time token, sent with every post.
    pub token: String,
    /// The dialog's texts: title, question, button.
    pub dialog: Option<(String, String, String)>,
}

/// What the frame needs to know about a screen.
#[derive(Debug)]
pub struct Page<'a> {
    pub lang: Language,
    /// The `h1` and the `<title>`.
    pub title: &'a str,
    /// The page shows errors: its title says so first, as screen readers read it first.
    pub has_errors: bool,
    /// Load another address after a while, for a browser that runs no script (staff mode:
    /// sync progress, and the lock), where the idle script does it otherwise.
    pub refresh: Option<Refresh>,
    /// A visitor's screen: shows "start over" and the discreet staff control.
    pub visitor: bool,
    /// Show "start over" (a form in progress).
    pub start_over: Option<String>,
    pub idle: Option<IdleWatch>,
}

impl<'a> Page<'a> {
    pub fn new(lang: Language, title: &'a str) -> Page<'a> {
        Page {
            lang,
            title,
            has_errors: false,
            refresh: None,
            visitor: true,
            start_over: None,
            idle: None,
        }
    }

    pub fn render(&self, content: Markup) -> Markup {
        let t = texts(self.lang);
        let prefix = if self.has_errors { t.error_prefix } else { "" };
        html! {
            (DOCTYPE)
            html lang=(tag(self.lang)) {
                head {
                    meta charset="utf-8";
                    meta name="viewport" content="width=device-width, initial-scale=1";
                    // No page of the kiosk may be translated, remembered or read back.
                    meta name="google" content="notranslate";
                    meta name="robots" content="noindex, nofollow";
                    title { (prefix) (self.title) " – " (t.app_name) }
                    link rel="stylesheet" href="/assets/kiosk.css";
                    @if let Some(refresh) = &self.refresh {
                        noscript {
                            meta http-equiv="refresh" content={ (refresh.after_secs) ";url=" (refresh.to) };
                        }
                    }
                    @if self.idle.is_some() {
                        script src="/assets/idle.js" defer {}
                    }
                }
                body {
                    a.skip-link href="#main" { (t.skip_link) }
                    @if let Some(idle) = &self.idle {
                        (idle_data(idle))
                    }
                    main #main tabindex="-1" {
                        h1 { (self.title) }
                        (content)
                    }
                    @if self.visitor {
                        footer.kiosk-footer {
                            @if let Some(token) = &self.start_over {
                                form method="post" action="/visit/reset" {
                                    input type="hidden" name="token" value=(token);
                                    p.start-over-hint { (t.start_over_hint) }
                                    button.secondary type="submit" { (t.start_over) }
                                }
                            }
                            // Staff reach their mode from here; visitors have no reason to.
                            a.staff-control href="/staff" { (t.staff_control) }
                        }
                    }
                }
            }
        }
    }
}

/// The idle watch's settings for the script, and the dialog it opens.
fn idle_data(idle: &IdleWatch) -> Markup {
    html! {
        div #idle-watch hidden
            data-ask-after-ms=[idle.ask_after_ms]
            data-end-after-ms=(idle.end_after_ms)
            data-activity-url=[idle.activity_url]
            data-end-url=(idle.end_url)
            data-leave-to=(idle.leave_to)
            data-token=(idle.token) {}
        @if let Some((title, question, button)) = &idle.dialog {
            dialog #idle-dialog aria-labelledby="idle-title" aria-describedby="idle-question" {
                h2 #idle-title { (title) }
                p #idle-question { (question) }
                p #idle-countdown aria-hidden="true" {}
                button #idle-continue type="button" autofocus { (button) }
            }
        }
    }
}

/// A screen with only a message: errors that belong to no form, and the "not ready" screen.
pub fn message_page(lang: Language, title: &str, message: &str, is_error: bool) -> Markup {
    let t = texts(lang);
    let page = Page {
        has_errors: is_error,
        ..Page::new(lang, title)
    };
    page.render(html! {
        @if is_error {
            p.alert role="alert" { (message) }
        } @else {
            p { (message) }
        }
        p { a.button href="/" { (t.start_over) } }
    })
}

/// A `<meta http-equiv=refresh>` inside `<noscript>`: to `to` after `after_secs`. Only
/// there: a timed refresh a script-running browser sees is a time limit nobody can extend
/// (WCAG 2.2.1), so with script the idle script does it.
#[derive(Debug, Clone)]
pub struct Refresh {
    pub after_secs: u32,
    pub to: String,
}
