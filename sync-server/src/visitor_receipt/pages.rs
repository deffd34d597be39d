//! The visitor's pages, server-rendered: the code form, the received page (with the three
//! actions), the restricted record's page, "on its way", each action's confirmation and
//! answer, the rate limit's page and a page for a form that does not read. They use the
//! console's stylesheet; the one script is [`SCRIPT`], served from the relay's own origin.
//!
//! A page shows nothing of the visitor but what [`super::service::Found`] holds, and the
//! "on its way" page holds nothing of the code at all: every code that finds no record
//! gets the same bytes.

use kiosk_core::language::Language;
use maud::{DOCTYPE, Markup, html};

use super::service::{Found, TextRefusal, Withdrawal};
use super::texts::{Texts, WAIT_DAYS, texts};
use crate::hr::console::layout::{Field, error_summary_of};
use crate::hr::plural::{Unit, amount, wait_minutes};

/// The visitor page's path (also the form's action).
pub(crate) const PAGE: &str = kiosk_core::receipt::RECEIPT_PAGE_PATH;
/// Where the action forms post.
pub(crate) const ACTION: &str = "/kvitto/atgard";
/// The script that moves a code from the address's fragment into the form.
pub(crate) const SCRIPT_PATH: &str = "/kvitto/kvitto.js";

/// Reads the code from the address's fragment (the QR code's address is the page with the
/// code after `#`, which no browser sends to a server), puts it in the form, removes it
/// from the address bar and the history with `history.replaceState`, and sends the form:
/// the code leaves the browser only in the form's POST body. Without JavaScript the visitor
/// types the code.
pub(crate) const SCRIPT: &str = r#""use strict";
(function () {
  var fragment = window.location.hash.slice(1);
  if (!fragment) { return; }
  window.history.replaceState(null, "", window.location.pathname + window.location.search);
  var form = document.getElementById("kvitto-form");
  var input = document.getElementById("code");
  if (!form || !input) { return; }
  var code;
  try { code = decodeURIComponent(fragment); } catch (e) { code = fragment; }
  input.value = code.slice(0, 64);
  form.submit();
})();
"#;

/// How a page offers the other language: a link to the empty form, or (where the page was
/// the answer to a code) the same code sent again in the other language.
pub(crate) enum Switch<'a> {
    Link,
    Repost(&'a str),
}

/// The frame of every visitor page.
fn frame(
    t: &Texts,
    heading: &str,
    errors: bool,
    switch: Switch<'_>,
    script: bool,
    content: Markup,
) -> Markup {
    let other = t.other_lang;
    html! {
        (DOCTYPE)
        html lang=(t.lang.tag()) {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                meta name="robots" content="noindex, nofollow";
                meta name="referrer" content="no-referrer";
                title {
                    @if errors { (t.error_heading) ": " }
                    (heading) " – " (t.page_title)
                }
                link rel="stylesheet" href="/console/console.css";
                @if script {
                    script src=(SCRIPT_PATH) defer {}
                }
            }
            body {
                a.skip-link href="#main" { (t.skip) }
                header.site-header {
                    div.header-row {
                        p.app-name { (t.page_title) }
                        @match switch {
                            Switch::Link => {
                                nav aria-label=(other_language_label(t.lang)) {
                                    a href={ (PAGE) "?lang=" (other.tag()) } lang=(other.tag()) hreflang=(other.tag()) {
                                        (t.other_lang_name)
                                    }
                                }
                            }
                            Switch::Repost(code) => {
                                form method="post" action=(PAGE) aria-label=(other_language_label(t.lang)) {
                                    input type="hidden" name="code" value=(code);
                                    input type="hidden" name="lang" value=(other.tag());
                                    button.button.secondary type="submit" lang=(other.tag()) {
                                        (t.other_lang_name)
                                    }
                                }
                            }
                        }
                    }
                }
                main #main tabindex="-1" {
                    h1 { (heading) }
                    (content)
                }
            }
        }
    }
}

fn other_language_label(lang: Language) -> &'static str {
    match lang {
        Language::Swedish => "Språk",
        Language::English => "Language",
    }
}

/// The code and the language, carried by every form of a received page.
fn carried(code: &str, lang: Language) -> Markup {
    html! {
        input type="hidden" name="code" value=(code);
        input type="hidden" name="lang" value=(lang.tag());
    }
}

/// The form to type a code in; `mistyped` with what was typed when its check symbol failed.
pub(crate) fn code_form(lang: Language, mistyped: Option<&str>) -> Markup {
    let t = texts(lang);
    let errors: Vec<(Option<&str>, &str)> = match mistyped {
        Some(_) => vec![(Some("code"), t.mistyped)],
        None => Vec::new(),
    };
    let field = Field {
        value: mistyped.unwrap_or(""),
        hint: Some(t.code_hint),
        error: mistyped.map(|_| t.mistyped),
        autocomplete: Some("off"),
        required: true,
        ..Field::new("code", t.code_label, "text")
    };
    frame(
        t,
        t.form_heading,
        mistyped.is_some(),
        Switch::Link,
        true,
        html! {
            (error_summary_of(lang, &errors))
            p { (t.form_intro) }
            form #kvitto-form method="post" action=(PAGE) novalidate {
                input type="hidden" name="lang" value=(lang.tag());
                (field.render(lang))
                button.button type="submit" { (t.show) }
            }
            p { (t.holder_warning) }
        },
    )
}

/// A received registration: when, by whom and as what, the event, the talent pool, and
/// what the visitor can do.
pub(crate) fn received(lang: Language, code: &str, found: &Found) -> Markup {
    let t = texts(lang);
    let record = &found.record;
    let date = crate::hr::dates::local_date(record.received_at);
    let action = |kind: &str, label: &str, hint: &str| {
        html! {
            form.visitor-action method="post" action=(ACTION) {
                (carried(code, lang))
                input type="hidden" name="kind" value=(kind);
                input type="hidden" name="step" value="ask";
                p.hint { (hint) }
                button.button.secondary type="submit" { (label) }
            }
        }
    };
    frame(
        t,
        t.received_heading,
        false,
        Switch::Repost(code),
        false,
        html! {
            p { (t.received_on.0) (date) (t.received_on.1) }
            dl.details {
                dt { (t.event) }
                dd { (found.event_name.as_ref().map_or("", |name| name.get(lang))) }
                dt { (t.talent_pool) }
                dd { @if record.talent_pool { (t.in_pool) } @else { (t.not_in_pool) } }
            }
            h2 { (t.actions_heading) }
            @if record.talent_pool {
                (action("withdraw", t.withdraw, t.withdraw_hint))
            }
            (action("access", t.ask_access, t.ask_access_hint))
            (action("correction", t.ask_correction, t.ask_correction_hint))
            p { (t.holder_warning) }
            p { a href={ (PAGE) "?lang=" (lang.tag()) } { (t.another_code) } }
        },
    )
}

/// A restricted record's page: received, and how to reach a cleared officer; nothing else.
pub(crate) fn restricted(lang: Language) -> Markup {
    let t = texts(lang);
    frame(
        t,
        t.received_heading,
        false,
        Switch::Link,
        false,
        html! {
            p { (t.restricted_text) }
        },
    )
}

/// The one answer for every code that finds no registration.
pub(crate) fn on_its_way(lang: Language) -> Markup {
    let t = texts(lang);
    frame(
        t,
        t.on_its_way_heading,
        false,
        Switch::Link,
        false,
        html! {
            p { (t.on_its_way) }
            p { (t.on_its_way_wait.0) (WAIT_DAYS) (t.on_its_way_wait.1) " " (t.contact_hr) }
            p { a href={ (PAGE) "?lang=" (lang.tag()) } { (t.another_code) } }
        },
    )
}

/// What the visitor can ask for from a received page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Action {
    Withdraw,
    Access,
    Correction,
}

impl Action {
    pub(crate) fn parse(text: &str) -> Option<Action> {
        match text {
            "withdraw" => Some(Action::Withdraw),
            "access" => Some(Action::Access),
            "correction" => Some(Action::Correction),
            _ => None,
        }
    }

    fn as_str(self) -> &'static str {
        match self {
            Action::Withdraw => "withdraw",
            Action::Access => "access",
            Action::Correction => "correction",
        }
    }
}

/// A button back to the received page (the code sent again).
fn back(t: &Texts, code: &str) -> Markup {
    html! {
        form method="post" action=(PAGE) {
            (carried(code, t.lang))
            button.button.secondary type="submit" { (t.back) }
        }
    }
}

/// The confirmation step of `action`; for a correction, the text typed so far and why it
/// was refused.
pub(crate) fn confirm(
    lang: Language,
    code: &str,
    action: Action,
    text: &str,
    refused: Option<TextRefusal>,
) -> Markup {
    let t = texts(lang);
    let (heading, intro, button) = match action {
        Action::Withdraw => (
            t.confirm_withdraw_heading,
            t.confirm_withdraw,
            t.confirm_withdraw_button,
        ),
        Action::Access => (
            t.confirm_access_heading,
            t.confirm_access,
            t.confirm_access_button,
        ),
        Action::Correction => (
            t.confirm_correction_heading,
            t.confirm_correction,
            t.confirm_correction_button,
        ),
    };
    let error = refused.map(|refusal| match refusal {
        TextRefusal::Empty => t.correction_empty,
        TextRefusal::TooLong => t.correction_too_long,
    });
    let errors: Vec<(Option<&str>, &str)> = error.map(|e| (Some("text"), e)).into_iter().collect();
    let described = if error.is_some() {
        "text-hint text-error"
    } else {
        "text-hint"
    };
    frame(
        t,
        heading,
        error.is_some(),
        Switch::Link,
        false,
        html! {
            (error_summary_of(lang, &errors))
            p { (intro) }
            form method="post" action=(ACTION) novalidate {
                (carried(code, lang))
                input type="hidden" name="kind" value=(action.as_str());
                input type="hidden" name="step" value="confirm";
                @if action == Action::Correction {
                    div.field.field-error[error.is_some()] {
                        label for="text" { (t.correction_label) }
                        p.hint #text-hint { (t.correction_hint) }
                        @if let Some(error) = error {
                            p.error-message #text-error { (error) }
                        }
                        textarea #text name="text" rows="8" maxlength="2000" required
                            aria-invalid=[error.map(|_| "true")]
                            aria-describedby=(described) { (text) }
                    }
                }
                button.button type="submit" { (button) }
            }
            (back(t, code))
        },
    )
}

/// What the visitor is told once an action is done.
pub(crate) enum Done {
    Withdrawn(Withdrawal),
    /// `already`: one was open, nothing was added.
    AccessRequested {
        already: bool,
    },
    CorrectionRequested {
        already: bool,
    },
}

pub(crate) fn done(lang: Language, code: &str, done: Done) -> Markup {
    let t = texts(lang);
    let message = match done {
        Done::Withdrawn(Withdrawal::Already) => t.withdrawn_already,
        Done::Withdrawn(Withdrawal::Nothing) => t.withdrawn_nothing,
        Done::Withdrawn(Withdrawal::Withdrawn) => t.withdrawn_done,
        Done::AccessRequested { already: false } => t.access_done,
        Done::AccessRequested { already: true } => t.access_already,
        Done::CorrectionRequested { already: false } => t.correction_done,
        Done::CorrectionRequested { already: true } => t.correction_already,
    };
    frame(
        t,
        t.done_heading,
        false,
        Switch::Link,
        false,
        html! {
            p role="status" { (message) }
            (back(t, code))
        },
    )
}

/// Too many failed look-ups: when to try again, the same for every code.
pub(crate) fn rate_limited(lang: Language, retry_after_secs: u64) -> Markup {
    let t = texts(lang);
    let wait = amount(lang, wait_minutes(retry_after_secs), Unit::Minutes);
    frame(
        t,
        t.limited_heading,
        false,
        Switch::Link,
        false,
        html! {
            p { (t.limited.0) (wait) (t.limited.1) }
        },
    )
}

/// A form that does not read (a field missing, too long, or unknown).
pub(crate) fn bad_form(lang: Language) -> Markup {
    let t = texts(lang);
    frame(
        t,
        t.bad_form_heading,
        false,
        Switch::Link,
        false,
        html! {
            p { (t.bad_form) }
            p { a href={ (PAGE) "?lang=" (lang.tag()) } { (t.start_over) } }
        },
    )
}
