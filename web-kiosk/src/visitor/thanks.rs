//! The thank-you screen: the visitor's receipt (a QR code of the receipt page's address and
//! the typed code, shown only now), what happens next, how to ask about the registration,
//! and the way back to the start (by "Done", or by itself after two minutes without a touch
//! so the next visitor finds the welcome screen). The return is the idle script's, not a
//! timed refresh: a refresh cannot be stopped or extended (WCAG 2.2.1), while any touch
//! restarts the script's two minutes. Without script the shell's sweep still ends the
//! screen (later, see [`SWEPT_AFTER_SECS`]), so a reload shows the welcome.
//!
//! The receipt lives only in the shell's memory while this screen is the screen; the page is
//! `no-store`, and the receipt element names the code and the address in
//! `data-receipt-code` and `data-receipt-address` for tests that read them off the page.

use maud::{Markup, html};

use crate::layout::{IdleWatch, Page};
use crate::state::Thanks;
use crate::texts::texts;

use super::receipt_qr;

/// How long the thank-you screen stays without a touch before it returns to the start: time
/// to take out a phone and photograph the receipt, or write the code down.
pub const SHOWN_FOR_SECS: u32 = 120;

/// When the shell's sweep ends the thank-you screen whatever happened: the bound for a
/// browser without script. Later than [`SHOWN_FOR_SECS`], so touches that keep the script's
/// timer going are not cut short by the server.
pub const SWEPT_AFTER_SECS: u32 = 600;

pub fn render(thanks: &Thanks) -> Markup {
    let lang = thanks.language;
    let t = texts(lang);
    let receipt = &thanks.receipt;
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
    let address = receipt.receipt_page_address.as_deref();
    // The page's address as typed: without the fragment that carries the code.
    let page_only = address.and_then(|a| a.split('#').next());
    let qr = address.and_then(|a| receipt_qr::svg(a, t.receipt_qr_label));
    page.render(html! {
        p.lead { (t.thanks_lead) }
        section.receipt aria-labelledby="receipt-heading"
            data-receipt-code=(receipt.receipt_code)
            data-receipt-address=[address] {
            h2 #receipt-heading { (t.receipt_heading) }
            p.receipt-once { (t.receipt_once) }
            @if let Some(qr) = qr {
                (qr)
            }
            p.receipt-code-label { (t.receipt_code_label) }
            // A paragraph cannot be named (ARIA prohibits it); the label before it is read first.
            p.receipt-code { (receipt.receipt_code) }
            div.receipt-uses {
                p { (t.receipt_uses_intro) }
                ul {
                    li { (t.receipt_use_arrived) }
                    @if thanks.talent_pool {
                        li { (t.receipt_use_withdraw) }
                    }
                    li { (t.receipt_use_extract) }
                    li { (t.receipt_use_correct) }
                }
                @if let Some(page_only) = page_only {
                    p {
                        (t.receipt_page_at) " "
                        span.receipt-page { (page_only) }
                    }
                    p { (t.receipt_page_how) }
                }
                p.receipt-key { strong { (t.receipt_key) } }
            }
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
