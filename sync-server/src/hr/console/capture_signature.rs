//! What a record's page says of its capture signature, checked as the page is read
//! ([`crate::rules::capture_check`]): a line beside the capturing tablet, and, when the
//! signature does not verify, a warning at the top of the page that the record may have
//! been altered in the store.

use kiosk_core::language::Language;
use maud::{Markup, html};

use crate::rules::capture_check::CaptureCheck;

/// The texts, in one language.
#[derive(Debug)]
struct CaptureTexts {
    label: &'static str,
    verifies: &'static str,
    does_not_verify: &'static str,
    no_signature: &'static str,
    alert_heading: &'static str,
    alert_text: &'static str,
}

const SV: CaptureTexts = CaptureTexts {
    label: "Signatur från surfplattan",
    verifies: "Stämmer: registreringen är oförändrad sedan surfplattan signerade den.",
    does_not_verify: "Stämmer inte. Registreringen kan ha ändrats i databasen efter att den togs emot.",
    no_signature: "Ingen signatur finns sparad för den här registreringen (den togs emot innan signaturer sparades).",
    alert_heading: "Signaturen stämmer inte",
    alert_text: "Signaturen från surfplattan stämmer inte med det som finns sparat. Registreringen kan ha ändrats i databasen efter att den togs emot. Lita inte på uppgifterna och kontakta den som ansvarar för servern.",
};

const EN: CaptureTexts = CaptureTexts {
    label: "Tablet's signature",
    verifies: "Verifies: the registration is unchanged since the tablet signed it.",
    does_not_verify: "Does not verify. The registration may have been altered in the database after it was received.",
    no_signature: "No signature is stored for this registration (it was received before signatures were kept).",
    alert_heading: "The signature does not verify",
    alert_text: "The tablet's signature does not match what is stored. The registration may have been altered in the database after it was received. Do not rely on its details, and contact whoever runs the server.",
};

fn texts(lang: Language) -> &'static CaptureTexts {
    match lang {
        Language::Swedish => &SV,
        Language::English => &EN,
    }
}

/// The line of the receipt's details: a `dt` and its `dd`.
pub(super) fn line(lang: Language, check: CaptureCheck) -> Markup {
    let t = texts(lang);
    html! {
        dt { (t.label) }
        dd data-capture-signature=(check.as_str()) {
            @match check {
                CaptureCheck::Verifies => (t.verifies),
                CaptureCheck::DoesNotVerify => strong { (t.does_not_verify) },
                CaptureCheck::NoSignature => (t.no_signature),
            }
        }
    }
}

/// The warning at the top of the page, only when the signature does not verify.
pub(super) fn alert(lang: Language, check: CaptureCheck) -> Markup {
    let t = texts(lang);
    html! {
        @if check == CaptureCheck::DoesNotVerify {
            div.capture-alert role="alert" {
                h2 { (t.alert_heading) }
                p { (t.alert_text) }
            }
        }
    }
}
