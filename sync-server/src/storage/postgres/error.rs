//! PostgreSQL's errors as the store reports them: the SQLSTATE, the table and constraint,
//! and the server's primary message, never the values a statement carried.
//!
//! A server error's DETAIL (`Key (username)=(anna) already exists`), its WHERE and a
//! data exception's message (`invalid input syntax ...: "<value>"`) can quote personal
//! data; `postgres::Error`'s own Display includes them. So the raw error is not kept:
//! [`PgFailure`] keeps what identifies the cause for the log and nothing else.

use postgres::error::SqlState;

use crate::storage::StorageError;

/// A PostgreSQL error without the values of the statement it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PgFailure {
    /// The SQLSTATE, when the server answered with an error.
    code: Option<String>,
    description: String,
}

impl PgFailure {
    pub(crate) fn new(description: impl Into<String>) -> PgFailure {
        PgFailure {
            code: None,
            description: description.into(),
        }
    }

    /// Contention the store itself found (another instance holds what this call needs):
    /// reported as a lock that was not available.
    pub(crate) fn contention(description: impl Into<String>) -> PgFailure {
        PgFailure {
            code: Some(SqlState::LOCK_NOT_AVAILABLE.code().to_owned()),
            description: description.into(),
        }
    }

    /// The SQLSTATE the server answered with, if it did.
    pub fn code(&self) -> Option<&str> {
        self.code.as_deref()
    }

    /// Another transaction held what this one needed (a lock wait timed out, a deadlock,
    /// a serialization failure): nothing was stored, and trying again can succeed.
    pub(crate) fn is_contention(&self) -> bool {
        matches!(
            self.code(),
            Some(code) if code == SqlState::LOCK_NOT_AVAILABLE.code()
                || code == SqlState::T_R_DEADLOCK_DETECTED.code()
                || code == SqlState::T_R_SERIALIZATION_FAILURE.code()
        )
    }

    pub(crate) fn is_disk_full(&self) -> bool {
        self.code() == Some(SqlState::DISK_FULL.code())
    }

    /// Whether the server refused a row as a duplicate of a unique key.
    #[cfg_attr(not(test), allow(dead_code))]
    pub(crate) fn is_unique_violation(&self) -> bool {
        self.code() == Some(SqlState::UNIQUE_VIOLATION.code())
    }
}

impl std::fmt::Display for PgFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.description)
    }
}

impl From<&postgres::Error> for PgFailure {
    fn from(error: &postgres::Error) -> PgFailure {
        let Some(db) = error.as_db_error() else {
            // Connection, protocol and conversion errors: they name no stored values. The
            // cause (`Connection refused`, a TLS or authentication failure) is kept.
            let mut description = error.to_string();
            let mut source = std::error::Error::source(error);
            while let Some(cause) = source {
                description.push_str(&format!(": {cause}"));
                source = cause.source();
            }
            return PgFailure::new(description);
        };
        let code = db.code().code();
        let mut description = format!("{} {code}", db.severity());
        // Class 22 (data exception) messages quote the offending value.
        if !code.starts_with("22") {
            description.push_str(": ");
            description.push_str(db.message());
        }
        if let Some(table) = db.table() {
            description.push_str(&format!(" (table {table}"));
            if let Some(constraint) = db.constraint() {
                description.push_str(&format!(", constraint {constraint}"));
            }
            description.push(')');
        }
        PgFailure {
            code: Some(code.to_owned()),
            description,
        }
    }
}

impl From<postgres::Error> for StorageError {
    fn from(error: postgres::Error) -> StorageError {
        StorageError::Postgres(PgFailure::from(&error))
    }
}

impl From<r2d2::Error> for StorageError {
    fn from(error: r2d2::Error) -> StorageError {
        // r2d2 reports the last connection error's Display: no statement values.
        StorageError::Postgres(PgFailure::new(format!(
            "no database connection could be had: {error}"
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contention_and_full_disk_are_recognised_by_their_sqlstate() {
        let failure = |code: &SqlState| PgFailure {
            code: Some(code.code().to_owned()),
            description: String::new(),
        };
        assert!(failure(&SqlState::T_R_DEADLOCK_DETECTED).is_contention());
        assert!(failure(&SqlState::LOCK_NOT_AVAILABLE).is_contention());
        assert!(!failure(&SqlState::UNIQUE_VIOLATION).is_contention());
        assert!(failure(&SqlState::DISK_FULL).is_disk_full());
        assert!(failure(&SqlState::UNIQUE_VIOLATION).is_unique_violation());
        assert!(StorageError::Postgres(failure(&SqlState::DISK_FULL)).is_disk_full());
        assert!(StorageError::Postgres(failure(&SqlState::T_R_SERIALIZATION_FAILURE)).is_locked());
    }
}
