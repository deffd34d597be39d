//! Field checks a shell runs as the visitor types, before submitting.

use crate::error::KioskError;

/// Normalises a phone number to E.164 (`070-123 45 67` → `+46701234567`).
#[uniffi::export]
pub fn normalize_phone_number(raw: String) -> Result<String, KioskError> {
    kiosk_core::validation::normalize_phone(&raw)
        .map_err(|reason| KioskError::invalid(kiosk_core::validation::Field::Phone, reason))
}

/// Normalises an email address (trimmed, domain lower-cased).
#[uniffi::export]
pub fn normalize_email_address(raw: String) -> Result<String, KioskError> {
    kiosk_core::validation::normalize_email(&raw)
        .map_err(|reason| KioskError::invalid(kiosk_core::validation::Field::Email, reason))
}

/// The demo event's current form version, for shells' smoke tests.
#[uniffi::export]
pub fn demo_form_version() -> String {
    kiosk_core::demo::demo_form().version().to_string()
}

/// How long a visitor may be idle before the shell asks "still there?", and before the
/// draft is wiped (milliseconds), so the shell's timers match the core's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Record)]
pub struct IdleLimits {
    pub ask_still_there_after_ms: i64,
    pub reset_after_ms: i64,
}

#[uniffi::export]
pub fn idle_limits() -> IdleLimits {
    IdleLimits {
        ask_still_there_after_ms: kiosk_core::visitor::ASK_STILL_THERE_AFTER_MS,
        reset_after_ms: kiosk_core::visitor::RESET_AFTER_MS,
    }
}
