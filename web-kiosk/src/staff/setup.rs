//! First setup: enroll the tablet with the code a recruiter types or pastes (a bare code or
//! the enrollment QR text), then set the staff PIN, typed twice. Open only while the tablet
//! is not enrolled or has no PIN; enrolling again later (the relay no longer knows the
//! tablet) is done from inside staff mode. Neither the code nor the PIN is ever shown back,
//! logged or kept.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use kiosk_ffi::KioskError;
use kiosk_ffi::types::{DeviceSetup, Language};
use maud::{Markup, html};
use zeroize::Zeroize;

use crate::enrollment::{EnrollError, InputError, enroll as enroll_with, parse};
use crate::staff::frame::{
    StaffPage, answer, back_to, bad_post, described_by, field_error, hidden, invalid,
};
use crate::staff::texts::{StaffTexts, staff_texts};
use crate::staff::{Flash, post, session};
use crate::state::Shell;

/// The setup page: the step the tablet is at.
pub fn page(setup: &DeviceSetup, lang: Language, flash: Option<&Flash>) -> Response {
    let t = staff_texts(lang);
    let frame = StaffPage::closed(lang, t.setup_title, flash);
    answer(
        StatusCode::OK,
        frame.render(html! {
            p.lead { (t.setup_lead) }
            section aria-labelledby="enroll-heading" {
                h2 #enroll-heading { (t.enroll_heading) }
                @if setup.enrolled {
                    p.verdict-ok { "✓ " (t.enrolled_done) }
                } @else {
                    (enroll_form(t, lang, None, flash))
                }
            }
            section aria-labelledby="pin-heading" {
                h2 #pin-heading { (t.pin_heading) }
                @if setup.enrolled {
                    (pin_form(t, lang, flash))
                } @else {
                    p.hint { (t.pin_lead) }
                }
            }
        }),
    )
}

/// The enrollment form; `token` inside staff mode (enrolling again).
pub fn enroll_form(
    t: &StaffTexts,
    lang: Language,
    token: Option<&str>,
    flash: Option<&Flash>,
) -> Markup {
    html! {
        form method="post" action="/staff/enroll" autocomplete="off" novalidate {
            (hidden(token, lang))
            p { (t.enroll_lead) }
            div.field {
                label for="code" { (t.code_label) }
                p.hint #code-hint { (t.code_hint) }
                (field_error(flash, "code", lang))
                // Never filled in again: a code is not shown back.
                input #code name="code" type="text" maxlength="2048"
                    autocomplete="off" spellcheck="false" autocorrect="off" autocapitalize="characters"
                    aria-required="true"
                    aria-invalid=[invalid(flash, "code")]
                    aria-describedby=[described_by(flash, "code", Some("code-hint"))];
            }
            div.actions { button.primary type="submit" { (t.enroll_button) } }
        }
    }
}

fn pin_form(t: &StaffTexts, lang: Language, flash: Option<&Flash>) -> Markup {
    html! {
        form method="post" action="/staff/pin" autocomplete="off" novalidate {
            (hidden(None, lang))
            p.hint #pin-rule { (t.pin_lead) }
            (pin_input("pin", t.new_pin_label, flash, lang))
            (pin_input("pin_again", t.new_pin_again_label, flash, lang))
            div.actions { button.primary type="submit" { (t.set_pin_button) } }
        }
    }
}

/// A PIN field: digits, hidden as typed, never filled in again.
pub fn pin_input(field: &str, label: &str, flash: Option<&Flash>, lang: Language) -> Markup {
    let hint = (field != "unlock_pin").then_some("pin-rule");
    html! {
        div.field {
            label for=(field) { (label) }
            (field_error(flash, field, lang))
            input id=(field) name=(field) type="password" inputmode="numeric" maxlength="12"
                autocomplete="off" spellcheck="false" autocorrect="off" autocapitalize="off"
                aria-required="true"
                aria-invalid=[invalid(flash, field)]
                aria-describedby=[described_by(flash, field, hint)];
        }
    }
}

/// `POST /staff/enroll`: enrolls with the typed code or QR text. Before setup is done
/// anyone at the tablet may (the code is the permission); afterwards only open staff mode.
pub async fn enroll(State(shell): State<Arc<Shell>>, body: Bytes) -> Response {
    let mut posted = match post::read(&body, &["code", "lang", "token"]) {
        Ok(posted) => posted,
        Err(error) => return bad_post(shell.staff_language(None), error),
    };
    let lang = shell.staff_language(posted.get("lang"));
    let enrolled = crate::staff::is_enrolled(&shell);
    let token = posted.take("token");
    if enrolled && session::by_token(&shell, token.as_deref()).await.is_none() {
        if token.is_some() {
            return session::locked(lang);
        }
        let t = |l| staff_texts(l).setup_closed;
        shell.staff_flash(Flash::done(t(Language::Swedish), t(Language::English)));
        return back_to("/staff", lang);
    }
    let mut text = posted.take("code").unwrap_or_default();
    let parsed = parse(&text);
    text.zeroize();
    let flash = match parsed {
        Err(error) => input_flash(error),
        Ok(input) => match enroll_with(&shell, input).await {
            Ok(enrollment) => {
                tracing::info!(event = %enrollment.event_id, again = enrolled, "enrolled");
                let t = |l: Language| {
                    let t = staff_texts(l);
                    if enrolled {
                        t.reenrolled_done
                    } else {
                        t.enrolled_done
                    }
                };
                Flash::done(t(Language::Swedish), t(Language::English))
            }
            Err(EnrollError::NoRelay) => {
                let t = |l| staff_texts(l).code_no_relay;
                Flash::error(Some("code"), t(Language::Swedish), t(Language::English))
            }
            Err(EnrollError::Kiosk(error)) => {
                tracing::info!(kind = %error, "enrollment refused");
                let (sv, en) = error.texts();
                Flash::error(Some("code"), sv, en)
            }
        },
    };
    shell.staff_flash(flash);
    back_to("/staff", lang)
}

fn input_flash(error: InputError) -> Flash {
    let pick = |l| {
        let t = staff_texts(l);
        match error {
            InputError::Empty => t.code_empty,
            InputError::TooLong => t.code_too_long,
            InputError::BadQrText => t.code_bad_qr,
            InputError::BadRelayUrl => t.code_bad_relay,
        }
    };
    Flash::error(
        Some("code"),
        pick(Language::Swedish),
        pick(Language::English),
    )
}

/// `POST /staff/pin`: sets the first PIN, once enrolled, if none is set.
pub async fn set_pin(State(shell): State<Arc<Shell>>, body: Bytes) -> Response {
    let mut posted = match post::read(&body, &["pin", "pin_again", "lang"]) {
        Ok(posted) => posted,
        Err(error) => return bad_post(shell.staff_language(None), error),
    };
    let lang = shell.staff_language(posted.get("lang"));
    let setup = match shell.device.setup_state() {
        Ok(setup) => setup,
        Err(_) => return back_to("/staff", lang),
    };
    if !setup.enrolled {
        return back_to("/staff", lang);
    }
    if setup.staff_pin_set {
        let t = |l| staff_texts(l).setup_closed;
        shell.staff_flash(Flash::done(t(Language::Swedish), t(Language::English)));
        return back_to("/staff", lang);
    }
    let flash = match two_pins(&mut posted, "pin", "pin_again") {
        Err(flash) => Some(flash),
        Ok(pin) => {
            let device = Arc::clone(&shell.device);
            // The PIN's key derivation takes a moment: off the server's threads.
            match tokio::task::spawn_blocking(move || device.set_staff_pin(pin)).await {
                Ok(Ok(())) => {
                    tracing::info!("the staff PIN was set; setup is closed");
                    let t = |l| staff_texts(l).pin_set_done;
                    Some(Flash::done(t(Language::Swedish), t(Language::English)))
                }
                Ok(Err(error)) => Some(pin_refused(&error, "pin")),
                Err(_) => None,
            }
        }
    };
    if let Some(flash) = flash {
        shell.staff_flash(flash);
    }
    back_to("/staff", lang)
}

/// A new PIN typed twice: the PIN, or why not (nothing typed, or two different PINs).
pub fn two_pins(
    posted: &mut post::Posted,
    first: &'static str,
    second: &'static str,
) -> Result<String, Flash> {
    let mut pin = posted.take(first).unwrap_or_default();
    let mut again = posted.take(second).unwrap_or_default();
    let same = pin == again;
    again.zeroize();
    let refusal = if pin.is_empty() {
        Some((
            first,
            staff_texts(Language::Swedish).pin_missing,
            staff_texts(Language::English).pin_missing,
        ))
    } else if !same {
        Some((
            second,
            staff_texts(Language::Swedish).pin_mismatch,
            staff_texts(Language::English).pin_mismatch,
        ))
    } else {
        None
    };
    match refusal {
        Some((field, sv, en)) => {
            pin.zeroize();
            Err(Flash::error(Some(field), sv, en))
        }
        None => Ok(pin),
    }
}

/// The core's refusal of a PIN (its format, say) as a flash on `field`; other errors are
/// logged by kind and shown without a field.
pub fn pin_refused(error: &KioskError, field: &'static str) -> Flash {
    let (sv, en) = error.texts();
    if matches!(error, KioskError::Pin { .. }) {
        Flash::error(Some(field), sv, en)
    } else {
        tracing::error!(kind = %error, "a staff PIN could not be set");
        Flash::error(None, sv, en)
    }
}
