//! The thank-you screen: the receipt code, what happens next, how to ask about the
//! registration, and the way back to the start (by the button, or by itself after a
//! minute without use so the next visitor finds the welcome screen). The return is the idle
//! script's, not a timed refresh: a refresh cannot be stopped or extended (WCAG 2.2.1), while
//! any touch restarts the script's minute. Without script the shell's sweep still ends the
//! screen, so a reload shows the welcome.

use maud::{Markup, html};

use crate::layout::{IdleWatch, Page};
use crate::state::Thanks;
use crate::texts::texts;

/// How long the thank-you screen stays before it returns to the start on its own.
pub const SHOWN_FOR_SECS: u32 = 60;

pub fn render(thanks: &Thanks) -> Markup {
    let lang = thanks.language;
    let t = texts(lang);
    let page = Page {
        idle: Some(IdleWatch {
            ask_after_ms: None,
            end_after_ms: i64::from(SHOWN_FOR_SECS) * 1_000,
            activity_url: None,
            end_url: "/visit/reset",
            leave_to: "/",
            token: thanks.token.clone(),
            dialog: None,
        }),
        ..Page::new(lang, t.thanks_title)
    };
    page.render(html! {
        p.lead { (t.thanks_lead) }
        div.receipt {
            p { (t.receipt_code_label) }
            // A paragraph cannot be named (ARIA prohibits it); the label before it is read first.
            p.receipt-code { (thanks.receipt.receipt_code) }
            p.hint { (t.receipt_code_hint) }
        }
        section aria-labelledby="next-heading" {
            h2 #next-heading { (t.next_heading) }
            p { (t.next_body) }
            @if thanks.talent_pool {
                p { (t.next_talent_pool) }
            }
        }
        section aria-labelledby="ask-heading" {
            h2 #ask-heading { (t.ask_heading) }
            p { (t.ask_body) }
        }
        form method="post" action="/visit/reset" {
            input type="hidden" name="token" value=(thanks.token);
            button.primary.large type="submit" { (t.done) }
        }
        p.hint { (t.thanks_auto_return) }
    })
}
