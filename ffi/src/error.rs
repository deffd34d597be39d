//! The one public error of the ffi: Kotlin sees `KioskException`, Swift an `Error`, Python
//! `KioskError`. Every variant carries what a shell shows, in Swedish and English, since
//! Kotlin's `message` and Swift's description show the variant's fields; none carries
//! personal data.

use kiosk_core::Error as CoreError;
use kiosk_core::language::{Language, Localized};
use kiosk_core::sync::TransportError;
use kiosk_core::user_messages::{pin_message, user_message};
use kiosk_core::validation::{Field, FieldError, Reason};

use crate::types::FieldProblem;

/// Errors a shell can act on.
#[derive(Debug, thiserror::Error, uniffi::Error)]
pub enum KioskError {
    /// One field the shell checked on its own (a phone number as it is typed, say).
    #[error("{field}: {reason}")]
    InvalidInput {
        /// The form field (`email`, `phone`, …).
        field: String,
        /// A stable reason code (`invalid_email`, …).
        reason: String,
        message_sv: String,
        message_en: String,
    },
    /// A submission with refused fields, in form order, so the shell marks them all at once.
    /// The draft stays for the visitor to correct.
    #[error("{} field(s) refused", errors.len())]
    InvalidRegistration { errors: Vec<FieldProblem> },
    /// Staff mode did not open, or a PIN was not accepted.
    #[error("staff PIN: {reason}")]
    Pin {
        /// `wrong`, `too_soon`, `locked_out`, `invalid_format`, …
        reason: String,
        attempts_left: Option<u32>,
        retry_after_secs: Option<u64>,
        message_sv: String,
        message_en: String,
    },
    /// The tablet cannot do this yet or any more: `no_event`, `not_enrolled`,
    /// `session_expired`, `wiped`, `not_staff`, `unknown_registration`, `invalid_annotation`.
    #[error("not possible now: {code}")]
    NotReady {
        code: String,
        message_sv: String,
        message_en: String,
    },
    /// The relay could not be reached or did not answer in time; nothing was lost.
    #[error("network: {detail}")]
    Network {
        /// What failed, for logs: never personal data.
        detail: String,
        message_sv: String,
        message_en: String,
    },
    /// The relay refused the request or enrollment, with its machine-readable code. An
    /// enrollment answer the tablet refuses (nothing is pinned) is `enrollment` (not
    /// authenticated by the code), `enrollment_relay_key` (not the QR code's relay key),
    /// `enrollment_role` (a certificate for another kind of tablet) or `enrollment_event`
    /// (for another event than the one installed).
    #[error("refused: {code}")]
    Rejected {
        code: String,
        message_sv: String,
        message_en: String,
    },
    /// The platform secret store failed (locked, or its callback threw).
    #[error("secret store: {detail}")]
    SecretStore {
        /// What failed, for logs: never personal data.
        detail: String,
        message_sv: String,
        message_en: String,
    },
    /// The device store or a document could not be read or written.
    #[error("storage: {detail}")]
    Storage {
        /// What failed, for logs: never personal data.
        detail: String,
        message_sv: String,
        message_en: String,
    },
    /// The sync was cancelled between requests; what earlier answers brought is kept.
    #[error("cancelled")]
    Cancelled {
        message_sv: String,
        message_en: String,
    },
    /// The device was closed; open it again.
    #[error("the device is closed")]
    Closed {
        message_sv: String,
        message_en: String,
    },
    /// A callback the shell implements (a listener, a secret store) threw, or the core failed
    /// unexpectedly. What earlier relay answers brought is kept; nothing is half-applied.
    #[error("callback failed: {detail}")]
    Callback {
        /// What failed, for logs.
        detail: String,
    },
}

impl KioskError {
    pub(crate) fn invalid(field: Field, reason: Reason) -> KioskError {
        KioskError::from(FieldError::new(field, reason))
    }

    pub(crate) fn closed() -> KioskError {
        KioskError::Closed {
            message_sv: "Surfplattans lagring är stängd; öppna den igen.".into(),
            message_en: "The tablet's store is closed; open it again.".into(),
        }
    }

    /// A short machine-readable kind, for a listener's `failed`.
    pub fn kind(&self) -> &'static str {
        match self {
            KioskError::InvalidInput { .. } => "invalid_input",
            KioskError::InvalidRegistration { .. } => "invalid_registration",
            KioskError::Pin { .. } => "pin",
            KioskError::NotReady { .. } => "not_ready",
            KioskError::Network { .. } => "network",
            KioskError::Rejected { .. } => "rejected",
            KioskError::SecretStore { .. } => "secret_store",
            KioskError::Storage { .. } => "storage",
            KioskError::Cancelled { .. } => "cancelled",
            KioskError::Closed { .. } => "closed",
            KioskError::Callback { .. } => "callback",
        }
    }

    /// This error as a sync listener's `failed` hears it.
    pub fn as_sync_failure(&self) -> crate::types::SyncFailure {
        let (message_sv, message_en) = self.texts();
        crate::types::SyncFailure {
            kind: self.kind().to_owned(),
            message_sv,
            message_en,
        }
    }

    /// The Swedish and English texts a shell shows.
    pub fn texts(&self) -> (String, String) {
        match self {
            KioskError::InvalidInput {
                message_sv,
                message_en,
                ..
            }
            | KioskError::Pin {
                message_sv,
                message_en,
                ..
            }
            | KioskError::NotReady {
                message_sv,
                message_en,
                ..
            }
            | KioskError::Network {
                message_sv,
                message_en,
                ..
            }
            | KioskError::Rejected {
                message_sv,
                message_en,
                ..
            }
            | KioskError::SecretStore {
                message_sv,
                message_en,
                ..
            }
            | KioskError::Storage {
                message_sv,
                message_en,
                ..
            }
            | KioskError::Cancelled {
                message_sv,
                message_en,
            }
            | KioskError::Closed {
                message_sv,
                message_en,
            } => (message_sv.clone(), message_en.clone()),
            KioskError::InvalidRegistration { .. } | KioskError::Callback { .. } => {
                let text = kiosk_core::user_messages::something_went_wrong();
                (text.sv, text.en)
            }
        }
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

/// A foreign callback threw something that is not a `KioskError`: an error, never a panic.
impl From<uniffi::UnexpectedUniFFICallbackError> for KioskError {
    fn from(error: uniffi::UnexpectedUniFFICallbackError) -> KioskError {
        KioskError::Callback {
            detail: error.reason,
        }
    }
}

impl From<CoreError> for KioskError {
    fn from(error: CoreError) -> KioskError {
        let Localized { sv, en } = user_message(&error);
        let not_ready = |code: &str| KioskError::NotReady {
            code: code.to_owned(),
            message_sv: sv.clone(),
            message_en: en.clone(),
        };
        match error {
            CoreError::Invalid(errors) => KioskError::InvalidRegistration {
                errors: errors.errors.into_iter().map(FieldProblem::from).collect(),
            },
            CoreError::Pin(pin) => {
                let Localized { sv, en } = pin_message(&pin);
                let (attempts_left, retry_after_secs) = match pin {
                    kiosk_core::staff::PinError::Wrong {
                        attempts_left,
                        retry_after_secs,
                    } => (Some(attempts_left), Some(retry_after_secs)),
                    kiosk_core::staff::PinError::TooSoon { retry_after_secs } => {
                        (None, Some(retry_after_secs))
                    }
                    _ => (None, None),
                };
                KioskError::Pin {
                    reason: pin_reason(&pin).to_owned(),
                    attempts_left,
                    retry_after_secs,
                    message_sv: sv,
                    message_en: en,
                }
            }
            CoreError::NoEvent => not_ready("no_event"),
            CoreError::NoRelayKey | CoreError::NotEnrolled => not_ready("not_enrolled"),
            CoreError::SessionExpired => not_ready("session_expired"),
            CoreError::Wiped => not_ready("wiped"),
            CoreError::NoWipeOrder => not_ready("no_wipe_order"),
            CoreError::NotStaff => not_ready("not_staff"),
            CoreError::UnknownRegistration { .. } => not_ready("unknown_registration"),
            CoreError::Annotation(_) => not_ready("invalid_annotation"),
            CoreError::Cancelled => KioskError::Cancelled {
                message_sv: sv,
                message_en: en,
            },
            CoreError::Transport(TransportError::Unreachable(detail)) => KioskError::Network {
                detail,
                message_sv: sv,
                message_en: en,
            },
            CoreError::Transport(TransportError::Refused { code, .. }) => KioskError::Rejected {
                code,
                message_sv: sv,
                message_en: en,
            },
            CoreError::RelayRefused { code } => KioskError::Rejected {
                code: code.as_str().to_owned(),
                message_sv: sv,
                message_en: en,
            },
            // What did not match, so a shell can say what to do: `enrollment_relay_key`,
            // `enrollment_role` or `enrollment_event`.
            CoreError::EnrollmentMismatch(what) => KioskError::Rejected {
                code: format!("enrollment_{}", what.replace(' ', "_")),
                message_sv: sv,
                message_en: en,
            },
            CoreError::InvalidRelayAddress => KioskError::invalid(
                kiosk_core::validation::Field::RelayAddress,
                kiosk_core::validation::Reason::Unreadable,
            ),
            // The relay's log forked: `log_fork`, whatever failed (the evidence says).
            CoreError::LogFork { .. } => KioskError::Rejected {
                code: "log_fork".to_owned(),
                message_sv: sv,
                message_en: en,
            },
            // An answer without the log's checkpoint, or a checkpoint stored meanwhile:
            // nothing of the answer was applied; syncing again is safe.
            CoreError::LogMissing => KioskError::Rejected {
                code: "log_missing".to_owned(),
                message_sv: sv,
                message_en: en,
            },
            CoreError::LogChanged => KioskError::Rejected {
                code: "log_changed".to_owned(),
                message_sv: sv,
                message_en: en,
            },
            // A restore of the relay's log the required witnesses have not confirmed:
            // nothing applied; syncing again later is safe.
            CoreError::LogRestoreUnconfirmed { .. } => KioskError::Rejected {
                code: "log_restore_unconfirmed".to_owned(),
                message_sv: sv,
                message_en: en,
            },
            CoreError::BadWitnessKeys { .. } => KioskError::Rejected {
                code: "bad_witness_keys".to_owned(),
                message_sv: sv,
                message_en: en,
            },
            CoreError::Enrollment(_) => KioskError::Rejected {
                code: "enrollment".to_owned(),
                message_sv: sv,
                message_en: en,
            },
            CoreError::SecretStore(_) | CoreError::DataKeyMissing | CoreError::WrongDataKey => {
                KioskError::SecretStore {
                    detail: error.to_string(),
                    message_sv: sv,
                    message_en: en,
                }
            }
            other => KioskError::Storage {
                detail: other.to_string(),
                message_sv: sv,
                message_en: en,
            },
        }
    }
}

fn pin_reason(error: &kiosk_core::staff::PinError) -> &'static str {
    use kiosk_core::staff::PinError;
    match error {
        PinError::InvalidFormat => "invalid_format",
        PinError::NotSet => "not_set",
        PinError::AlreadySet => "already_set",
        PinError::Wrong { .. } => "wrong",
        PinError::TooSoon { .. } => "too_soon",
        PinError::LockedOut => "locked_out",
        PinError::BadUnlockCode => "bad_unlock_code",
        PinError::UnlockCodeUsed => "unlock_code_used",
        PinError::NoUnlock => "no_unlock",
        PinError::UnlockCodeExpired => "unlock_code_expired",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_enrollment_mismatch_names_what_did_not_match_in_both_languages() {
        for (what, code) in [
            ("relay key", "enrollment_relay_key"),
            ("role", "enrollment_role"),
            ("event", "enrollment_event"),
        ] {
            match KioskError::from(CoreError::EnrollmentMismatch(what)) {
                KioskError::Rejected {
                    code: got,
                    message_sv,
                    message_en,
                } => {
                    assert_eq!(got, code);
                    assert!(!message_sv.is_empty() && !message_en.is_empty());
                    assert!(
                        !message_en.contains("Check the code"),
                        "{what}: the code was right, something else did not match"
                    );
                }
                other => panic!("{what}: {other:?}"),
            }
        }
    }
}
