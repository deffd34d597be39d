//! The store's error: what a backend reports, and what callers ask of it (locked, full).

#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    #[error("relay database: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// A PostgreSQL error, described without the values a statement carried (see
    /// [`super::postgres::PgFailure`]).
    #[error("relay database (PostgreSQL): {0}")]
    Postgres(super::postgres::PgFailure),
    #[error("stored {0} cannot be decoded")]
    Undecodable(&'static str),
    /// A transparency-log leaf the store holds does not decode, and why.
    #[error("stored transparency log leaf cannot be decoded: {0}")]
    UndecodableLeaf(#[from] crate::transparency::leaf::LeafError),
    #[error("relay database file: {0}")]
    Io(#[from] std::io::Error),
    #[error("event document: {0}")]
    Document(#[from] kiosk_core::Error),
    /// A backup or restore could not be made; says which file and why.
    #[error("{0}")]
    Backup(String),
    /// The store (or a backup) was written by a newer relay: this build does not know its
    /// schema, so it writes nothing to it.
    #[error(
        "{path} was written by a newer relay (schema version {found}; this relay knows versions \
         up to {supported}); it was left untouched: use the newer relay"
    )]
    NewerSchema {
        path: String,
        found: u32,
        supported: u32,
    },
    /// A list's text search opened this many candidates (on PostgreSQL, where names are
    /// sealed and matched in the relay) without filling its page: narrowed by event, date
    /// or another filter, it can be answered.
    #[error(
        "Sökningen är för bred ({scanned} registreringar lästa utan en full sida): begränsa \
         den med evenemang, datum eller ett annat filter. / The search is too broad \
         ({scanned} registrations read without a full page): narrow it by event, date or \
         another filter."
    )]
    SearchTooBroad { scanned: u64 },
    /// The file is an SQLite database of another application (or of a device).
    #[error("{path} is not a Kiosk relay store; it was left untouched")]
    NotARelayStore { path: String },
    /// A job run by one instance at a time was to be recorded done, but this instance no
    /// longer held its turn (its lock's connection was lost): nothing was recorded.
    #[error("the {0}'s turn was not held any more; its run was not recorded")]
    TurnNotHeld(&'static str),
    /// What the relay does inside a store's transaction did not happen (a fault of the
    /// relay, not of its input or its data); says what.
    #[error("internal error: {0}")]
    Internal(&'static str),
}

impl StorageError {
    /// Whether the store was still locked by another connection when the busy timeout ran
    /// out (an operator's command holding it longer): nothing was stored, and trying again
    /// shortly can succeed.
    pub fn is_locked(&self) -> bool {
        if let StorageError::Postgres(failure) = self {
            return failure.is_contention();
        }
        matches!(
            self,
            StorageError::Sqlite(rusqlite::Error::SqliteFailure(e, _))
                if matches!(
                    e.code,
                    rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked
                )
        )
    }

    /// Whether the store could not be written for lack of space (SQLite's `SQLITE_FULL`, or
    /// the file system's `ENOSPC`): nothing was stored, and trying again later can succeed.
    pub fn is_disk_full(&self) -> bool {
        match self {
            StorageError::Sqlite(rusqlite::Error::SqliteFailure(e, _)) => {
                e.code == rusqlite::ErrorCode::DiskFull
            }
            StorageError::Io(e) => e.kind() == std::io::ErrorKind::StorageFull,
            StorageError::Postgres(failure) => failure.is_disk_full(),
            _ => false,
        }
    }
}

pub type StorageResult<T> = Result<T, StorageError>;
