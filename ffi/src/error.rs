//! The one public error of the ffi: Kotlin sees `KioskException`, Swift an `Error`.

use kiosk_core::language::Language;
use kiosk_core::validation::{Field, FieldError, Reason};

/// Errors a shell can act on. Field errors carry what to show in both languages, since
/// Kotlin's `message` and Swift's description show the variant's fields.
#[derive(Debug, thiserror::Error, uniffi::Error)]
pub enum KioskError {
    #[error("{field}: {reason}")]
    InvalidInput {
        /// The form field (`email`, `phone`, …).
        field: String,
        /// A stable reason code (`invalid_email`, …).
        reason: String,
        message_sv: String,
        message_en: String,
    },
}

impl KioskError {
    pub(crate) fn invalid(field: Field, reason: Reason) -> KioskError {
        KioskError::from(FieldError::new(field, reason))
    }
}

impl From<FieldError> for KioskError {
    fn from(error: FieldError) -> KioskError {
        KioskError::InvalidInput {
            field: error.field.code().to_owned(),
            reason: error.reason.code().to_owned(),
            message_sv: error.message(Language::Swedish),
            message_en: error.message(Language::English),
        }
    }
}
