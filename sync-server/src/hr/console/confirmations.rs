//! The confirmation step before an action that cannot be undone or that opens protected
//! data (a talent-pool withdrawal, the clearance for protected personal data, taking an
//! event from a recruiter), as revoking a tablet has it: the action's form posts without
//! `confirmed=yes`, and the handler answers with this page instead of acting; the page
//! says what will happen to whom and posts the same fields again with `confirmed=yes`.
//! Only that second POST acts, so a forged or mistaken single POST changes nothing. (CSRF
//! is checked on both, as on every console form.)
//!
//! A confirmation may ask for a reason (the clearance does), bounded as every reason is
//! ([`crate::hr::user_access::check_reason`]); a refused reason shows this page again with
//! the error.

use axum::http::{StatusCode, Uri};
use axum::response::Response;
use kiosk_core::language::Language;
use maud::{Markup, html};
use serde::Deserialize;

use super::layout::{Field, FieldError, Nav, error_summary};
use super::{Console, html_page};

/// The value of the `confirmed` field that the confirmation page posts.
pub(super) const CONFIRMED: &str = "yes";

/// Whether a form's `confirmed` field says it came from the confirmation page.
pub(super) fn is_confirmed(value: &str) -> bool {
    value == CONFIRMED
}

/// The body of an action that has no fields of its own besides the confirmation.
#[derive(Debug, Deserialize)]
pub(crate) struct ConfirmForm {
    /// `yes` from the confirmation page; anything else asks for the confirmation.
    #[serde(default)]
    pub confirmed: String,
}

/// The form on a page that starts such an action: a heading (`h2`, or `h3` within a
/// section), what it does, and one button; posting it answers with the confirmation page.
#[derive(Debug)]
pub(super) struct StartForm<'a> {
    pub action: &'a str,
    /// The heading's id, which names the form.
    pub heading_id: &'a str,
    pub heading: &'a str,
    pub in_section: bool,
    pub hint: &'a str,
    pub button: &'a str,
    pub csrf: &'a str,
}

impl StartForm<'_> {
    pub(super) fn render(&self) -> Markup {
        html! {
            form method="post" action=(self.action) aria-labelledby=(self.heading_id) novalidate {
                @if self.in_section {
                    h3 id=(self.heading_id) { (self.heading) }
                } @else {
                    h2 id=(self.heading_id) { (self.heading) }
                }
                input type="hidden" name="csrf_token" value=(self.csrf);
                p.hint { (self.hint) }
                div.actions { button.button type="submit" { (self.button) } }
            }
        }
    }
}

/// A reason the confirmation asks for, as typed so far and with its error, if any.
#[derive(Debug)]
pub(super) struct ReasonField<'a> {
    pub label: &'a str,
    pub hint: &'a str,
    pub value: &'a str,
    pub error: Option<&'a str>,
}

/// What one confirmation page says and posts.
#[derive(Debug)]
pub(super) struct Confirmation<'a> {
    pub title: &'a str,
    /// What is acted on, as label and value rows.
    pub details: Vec<(&'a str, String)>,
    /// What will happen, in words.
    pub intro: &'a str,
    /// Where the confirmed form posts.
    pub action: String,
    /// The action's own fields, posted again as they came.
    pub hidden: Vec<(&'static str, String)>,
    pub reason: Option<ReasonField<'a>>,
    pub confirm: &'a str,
    /// Where "cancel" leads: the page the action was offered on.
    pub cancel_href: String,
}

fn cancel_text(lang: Language) -> &'static str {
    match lang {
        Language::Swedish => "Avbryt",
        Language::English => "Cancel",
    }
}

/// The confirmation page, answered with `status` (200, or 422 with a refused reason).
pub(super) fn page(
    console: &Console,
    uri: &Uri,
    nav: Nav,
    status: StatusCode,
    confirmation: Confirmation<'_>,
) -> Response {
    let lang = console.lang;
    let errors: Vec<FieldError> = confirmation
        .reason
        .as_ref()
        .and_then(|reason| reason.error)
        .map(|error| vec![FieldError::on("reason", error)])
        .unwrap_or_default();
    let page = console
        .page(confirmation.title, uri, nav, !errors.is_empty())
        .render(html! {
            (error_summary(lang, &errors))
            @if !confirmation.details.is_empty() {
                dl.details {
                    @for (label, value) in &confirmation.details {
                        dt { (label) } dd { (value) }
                    }
                }
            }
            p { (confirmation.intro) }
            form method="post" action=(confirmation.action) novalidate {
                input type="hidden" name="csrf_token" value=(console.signed.csrf);
                @for (name, value) in &confirmation.hidden {
                    input type="hidden" name=(name) value=(value);
                }
                input type="hidden" name="confirmed" value=(CONFIRMED);
                @if let Some(reason) = &confirmation.reason {
                    (Field {
                        value: reason.value,
                        hint: Some(reason.hint),
                        error: reason.error,
                        required: true,
                        ..Field::new("reason", reason.label, "text")
                    }
                    .render(lang))
                }
                div.actions {
                    button.button type="submit" { (confirmation.confirm) }
                    " "
                    a href=(confirmation.cancel_href) { (cancel_text(lang)) }
                }
            }
        });
    html_page(status, page)
}
