//! The Kiosk core exposed to Swift, Kotlin and Python through uniffi.
//!
//! Every export is a delegation to `kiosk-core` plus a conversion; no logic lives here.
//! - [`device`]: `KioskDevice`, opened on a path with the platform's secret store; enrolls,
//!   syncs, and opens the two sessions: [`visitor`] (form, submit, reset) and [`staff`]
//!   (staff mode behind the PIN).
//! - [`foreign`]: the traits a shell implements: secret store, transport, sync listener.
//! - [`background`]: slow calls run on a core-owned thread behind an async export.
//! - [`types`]: records and enums mirroring core types; [`error`]: the one public error.
//! - [`validators`]: field checks a shell runs as the visitor types.

mod background;
pub mod device;
mod error;
pub mod foreign;
pub mod staff;
pub mod types;
mod validators;
pub mod visitor;

pub use device::KioskDevice;
pub use error::KioskError;
pub use validators::{
    IdleLimits, demo_form_version, idle_limits, normalize_email_address, normalize_phone_number,
};

uniffi::setup_scaffolding!();

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
        } = error
        else {
            panic!("a field error, not {error:?}");
        };
        assert_eq!(field, "email");
        assert_eq!(reason, "invalid_email");
        assert!(message_sv.starts_with("E-post: "));
        assert!(message_en.starts_with("Email: "));
        assert!(!message_sv.contains("asa@"), "errors never echo input");
    }

    #[test]
    fn statuses_come_in_order_with_the_cores_codes_and_both_labels() {
        let statuses = types::record_statuses();
        let codes: Vec<&str> = statuses.iter().map(|s| s.code.as_str()).collect();
        assert_eq!(
            codes,
            [
                "new",
                "shortlisted",
                "contacted",
                "interviewing",
                "not_proceeding",
                "hired"
            ]
        );
        assert_eq!(statuses[0].status, types::RecordStatus::New);
        assert_eq!(statuses[4].label.sv, "Går inte vidare");
        assert_eq!(statuses[4].label.en, "Not proceeding");
    }

    #[test]
    fn the_demo_form_version_is_the_cores() {
        assert_eq!(demo_form_version().len(), 64);
    }
}
