//! Enrolling the kiosk with the relay: from the code a recruiter types, or from the text of
//! the enrollment QR code (`kiosk-enroll:v1?relay=…&code=…&key=…`), which also names the
//! relay and the id of its sealing key, checked against the key the relay hands over.

use std::sync::Arc;

use kiosk_ffi::KioskError;
use kiosk_ffi::types::Enrollment;

use crate::config;
use crate::state::Shell;

/// What staff entered: a bare code, or a QR code's text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnrollmentInput {
    pub code: String,
    pub relay_url: Option<String>,
    pub relay_key_id: Option<String>,
}

/// The longest text accepted (a QR text with a long relay address).
const MAX_INPUT_CHARS: usize = 2_048;

/// Why what staff entered is not a code or a QR text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum InputError {
    #[error("nothing was entered")]
    Empty,
    #[error("the text is too long")]
    TooLong,
    #[error("the enrollment QR text is not one this kiosk reads")]
    BadQrText,
    #[error("the relay address in the QR text is not an http(s) URL")]
    BadRelayUrl,
}

/// Reads a bare code or an enrollment QR text.
pub fn parse(text: &str) -> Result<EnrollmentInput, InputError> {
    let text = text.trim();
    if text.is_empty() {
        return Err(InputError::Empty);
    }
    if text.chars().count() > MAX_INPUT_CHARS {
        return Err(InputError::TooLong);
    }
    let Some(query) = text.strip_prefix("kiosk-enroll:") else {
        return Ok(EnrollmentInput {
            code: text.to_owned(),
            relay_url: None,
            relay_key_id: None,
        });
    };
    let query = query.strip_prefix("v1?").ok_or(InputError::BadQrText)?;
    let (mut relay, mut code, mut key) = (None, None, None);
    // Not percent-decoded: the relay writes the URL as is, and a URL holds no '&'.
    for pair in query.split('&') {
        let (name, value) = pair.split_once('=').ok_or(InputError::BadQrText)?;
        let slot = match name {
            "relay" => &mut relay,
            "code" => &mut code,
            "key" => &mut key,
            _ => return Err(InputError::BadQrText),
        };
        if slot.replace(value.to_owned()).is_some() {
            return Err(InputError::BadQrText);
        }
    }
    let (Some(relay), Some(code)) = (relay, code) else {
        return Err(InputError::BadQrText);
    };
    config::check_relay_url(&relay).map_err(|_| InputError::BadRelayUrl)?;
    Ok(EnrollmentInput {
        code,
        relay_url: Some(relay),
        relay_key_id: key,
    })
}

/// Why enrolling did not happen.
#[derive(Debug)]
pub enum EnrollError {
    /// No relay address: neither a flag nor the QR text gave one.
    NoRelay,
    Kiosk(KioskError),
}

/// Enrolls with `input` over the relay it names (or the known one), keeps the relay's
/// address, and asks background sync to fetch the event at once.
pub async fn enroll(shell: &Arc<Shell>, input: EnrollmentInput) -> Result<Enrollment, EnrollError> {
    let relay = input
        .relay_url
        .clone()
        .or_else(|| shell.relay_url())
        .ok_or(EnrollError::NoRelay)?;
    let enrollment = shell
        .device
        .enroll_over_http(
            relay.clone(),
            shell.config.relay_roots_pem.clone(),
            input.code,
            input.relay_key_id,
        )
        .await
        .map_err(EnrollError::Kiosk)?;
    if let Ok(mut known) = shell.relay_url.lock() {
        *known = Some(relay.clone());
    }
    if let Err(error) = config::save_relay_url(&shell.config, &relay) {
        tracing::warn!(%error, "the relay's address could not be saved for the next start");
    }
    shell.sync_nudge.notify_one();
    Ok(enrollment)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bare_code_is_taken_as_typed() {
        let input = parse("  JZFR-U5DV-AZWL-WF9V-D4G2 \n").expect("a code");
        assert_eq!(input.code, "JZFR-U5DV-AZWL-WF9V-D4G2");
        assert_eq!(input.relay_url, None);
    }

    #[test]
    fn a_qr_text_names_the_relay_code_and_key() {
        let input =
            parse("kiosk-enroll:v1?relay=http://127.0.0.1:8700&code=JZFR-U5DV&key=0011aabb")
                .expect("a QR text");
        assert_eq!(input.relay_url.as_deref(), Some("http://127.0.0.1:8700"));
        assert_eq!(input.code, "JZFR-U5DV");
        assert_eq!(input.relay_key_id.as_deref(), Some("0011aabb"));
    }

    #[test]
    fn broken_qr_texts_are_refused() {
        for text in [
            "kiosk-enroll:v2?relay=http://x&code=A",
            "kiosk-enroll:v1?code=A",
            "kiosk-enroll:v1?relay=http://x&code=A&code=B",
            "kiosk-enroll:v1?relay=http://x&code=A&admin=1",
            "kiosk-enroll:v1?relay=ftp://x&code=A",
        ] {
            assert!(parse(text).is_err(), "{text}");
        }
        assert_eq!(parse("   ").expect_err("refused"), InputError::Empty);
        assert_eq!(
            parse(&"A".repeat(3_000)).expect_err("refused"),
            InputError::TooLong
        );
    }
}
