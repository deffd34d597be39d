//! The Kiosk core exposed to Swift and Kotlin through uniffi.
//!
//! Every export is a delegation to `kiosk-core` plus a conversion; no logic lives here. This
//! first slice exposes the validators a shell uses to check a field as the visitor types;
//! devices, sessions and sync follow as the core grows them.

mod error;

pub use error::KioskError;

uniffi::setup_scaffolding!();

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phone_numbers_cross_the_boundary_normalised() {
        assert_eq!(
            normalize_phone_number("070-123 45 67".into()).expect("valid"),
            "+46701234567"
        );
    }

    #[test]
    fn a_refused_field_arrives_with_its_name_reason_and_both_languages() {
        let error = normalize_email_address("asa@".into()).expect_err("invalid");
        let KioskError::InvalidInput {
            field,
            reason,
            message_sv,
            message_en,
        } = error;
        assert_eq!(field, "email");
        assert_eq!(reason, "invalid_email");
        assert!(message_sv.starts_with("E-post: "));
        assert!(message_en.starts_with("Email: "));
        assert!(!message_sv.contains("asa@"), "errors never echo input");
    }

    #[test]
    fn the_demo_form_version_is_the_cores() {
        assert_eq!(demo_form_version().len(), 64);
    }
}
