//! The device store: one SQLite file in WAL mode holding meta (the encrypted device key,
//! pinned relay keys, the event, the staff PIN), the capture journal and the sealed documents.
//!
//! Nothing readable about a visitor is ever written here: documents arrive sealed to the
//! relay. Every commit is durable (`synchronous=FULL`), so a submission acknowledged to a
//! visitor survives a crash or a flat battery. A file that is not ours, is truncated or
//! damaged is reported and left exactly as it was.

mod pulled;
mod queries;
pub mod schema;

use std::io::Read;
use std::path::{Path, PathBuf};

use rusqlite::{Connection, OpenFlags};

pub use pulled::PulledRow;
pub use queries::{DocumentState, PendingCapture, ReceiptEffects, ReceiptStamp, StateCounts};

const SQLITE_MAGIC: &[u8; 16] = b"SQLite format 3\0";
const HEADER_LEN: usize = 100;
/// How long a connection waits for another one (a sync or a capture running at the same
/// time, in this process or another) before giving up with "database is locked".
const BUSY_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

/// Why a device store cannot be opened or written. Never carries personal data.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("{path} is not an SQLite file, so it is not a device store; it was left untouched")]
    NotSqlite { path: PathBuf },
    #[error("{path} is an SQLite database of another application; it was left untouched")]
    Foreign { path: PathBuf },
    #[error("{path} is truncated ({actual} of {expected} bytes); it was left untouched")]
    Truncated {
        path: PathBuf,
        actual: u64,
        expected: u64,
    },
    #[error("{path} is damaged ({detail}); it was left untouched")]
    Corrupt { path: PathBuf, detail: String },
    #[error("{path} was written by a newer version (schema {found}, this build knows {supported})")]
    NewerSchema {
        path: PathBuf,
        found: u32,
        supported: u32,
    },
    #[error("the store holds no device identity")]
    NoIdentity,
    #[error("stored {what} cannot be decoded")]
    Undecodable { what: &'static str },
    #[error("document {doc_id} cannot move from {from} to {to}")]
    InvalidTransition {
        doc_id: String,
        from: &'static str,
        to: &'static str,
    },
    #[error("the WAL could not be fully checkpointed (another connection is reading); try again")]
    CheckpointIncomplete,
    #[error("journal entry {seq} does not follow the stored journal head")]
    JournalOutOfOrder { seq: u64 },
    #[error("no document {doc_id} in the store")]
    UnknownDocument { doc_id: String },
    #[error("database: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("file: {0}")]
    Io(#[from] std::io::Error),
}

/// An open device store.
#[derive(Debug)]
pub struct DeviceStore {
    conn: Connection,
    path: PathBuf,
}

impl DeviceStore {
    /// Opens the store at `path`, creating it when there is no file (or an empty one with no
    /// WAL, which holds nothing). `true` with the store when it was created.
    pub fn open_or_create(path: &Path) -> Result<(DeviceStore, bool), StoreError> {
        let is_new = match std::fs::metadata(path) {
            Ok(metadata) => metadata.len() == 0 && !wal_has_content(path),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => true,
            Err(e) => return Err(e.into()),
        };
        if is_new {
            return Ok((Self::create(path)?, true));
        }
        Ok((Self::open_existing(path)?, false))
    }

    /// Opens an existing store. The file is checked, first from its header and then through
    /// a read-only connection, before any connection that could write to it is opened.
    pub fn open_existing(path: &Path) -> Result<DeviceStore, StoreError> {
        inspect_header(path)?;
        let reader = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        // A sync or capture in another process may hold the file for a moment.
        reader.busy_timeout(BUSY_TIMEOUT)?;
        check_readable_store(&reader, path)?;
        drop(reader);
        let conn = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        let mut store = DeviceStore {
            conn,
            path: path.to_owned(),
        };
        store.configure()?;
        store.upgrade()?;
        Ok(store)
    }

    /// Builds a complete, empty store beside `path` and renames it into place, so `path`
    /// never holds a half-made store whatever moment the process dies at.
    fn create(path: &Path) -> Result<DeviceStore, StoreError> {
        let mut building = path.as_os_str().to_owned();
        building.push(".creating");
        let building = PathBuf::from(building);
        // A leftover from a creation that died is ours by its name, and held nothing.
        for suffix in ["", "-wal", "-shm", "-journal"] {
            let mut leftover = building.as_os_str().to_owned();
            leftover.push(suffix);
            match std::fs::remove_file(PathBuf::from(leftover)) {
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(e.into()),
                _ => {}
            }
        }
        let conn = Connection::open_with_flags(
            &building,
            OpenFlags::SQLITE_OPEN_READ_WRITE
                | OpenFlags::SQLITE_OPEN_CREATE
                | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        let mut store = DeviceStore {
            conn,
            path: building.clone(),
        };
        store.configure()?;
        let tx = store.conn.transaction()?;
        tx.pragma_update(None, "application_id", schema::APPLICATION_ID)?;
        schema::upgrade_from(&tx, 0)?;
        tx.commit()?;
        store.checkpoint()?;
        drop(store);
        std::fs::File::open(&building)?.sync_all()?;
        std::fs::rename(&building, path)?;
        sync_parent_directory(path)?;
        Self::open_existing(path)
    }

    /// A store at an older schema version, for upgrade tests.
    #[cfg(test)]
    pub(crate) fn create_at_version(path: &Path, version: u32) -> Result<DeviceStore, StoreError> {
        let mut store = DeviceStore {
            conn: Connection::open(path)?,
            path: path.to_owned(),
        };
        store.configure()?;
        let tx = store.conn.transaction()?;
        tx.pragma_update(None, "application_id", schema::APPLICATION_ID)?;
        schema::upgrade_between(&tx, 0, version)?;
        tx.commit()?;
        Ok(store)
    }

    fn configure(&mut self) -> Result<(), StoreError> {
        // First, so that even the pragmas below wait for another connection (a sync in
        // another process, a capture in another thread) instead of failing at once.
        self.conn.busy_timeout(BUSY_TIMEOUT)?;
        // Every transaction takes the write lock when it begins. A deferred one that reads
        // and then writes cannot wait for a writer that came in between (SQLite answers
        // "database is locked" at once, whatever the busy timeout), so a capture beside a
        // sync would refuse the visitor.
        self.conn
            .set_transaction_behavior(rusqlite::TransactionBehavior::Immediate);
        let mode: String =
            self.conn
                .pragma_update_and_check(None, "journal_mode", "WAL", |row| row.get(0))?;
        if !mode.eq_ignore_ascii_case("wal") {
            return Err(StoreError::Corrupt {
                path: self.path.clone(),
                detail: format!("journal mode {mode} instead of WAL"),
            });
        }
        // Every commit acknowledges something to someone: make each one durable.
        self.conn.pragma_update(None, "synchronous", "FULL")?;
        // Erased documents are overwritten, not just unlinked.
        self.conn.pragma_update(None, "secure_delete", "ON")?;
        self.conn.pragma_update(None, "foreign_keys", "ON")?;
        Ok(())
    }

    fn upgrade(&mut self) -> Result<(), StoreError> {
        let found = self.user_version()?;
        refuse_newer(&self.path, found)?;
        if found < schema::CURRENT_VERSION {
            // Read again under the write lock the transaction takes at its start: another
            // process opening the same store may have upgraded it since we looked, and running
            // its migrations again fails ("duplicate column name"). A current store is opened
            // without taking that lock.
            let tx = self.conn.transaction()?;
            let found: u32 = tx.pragma_query_value(None, "user_version", |row| row.get(0))?;
            refuse_newer(&self.path, found)?;
            if found < schema::CURRENT_VERSION {
                schema::upgrade_from(&tx, found)?;
                tx.commit()?;
            }
        }
        Ok(())
    }

    fn user_version(&self) -> Result<u32, StoreError> {
        Ok(self
            .conn
            .pragma_query_value(None, "user_version", |row| row.get(0))?)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The schema version of the open file.
    pub fn schema_version(&self) -> Result<u32, StoreError> {
        Ok(self
            .conn
            .pragma_query_value(None, "user_version", |row| row.get(0))?)
    }

    /// Erases everything the store holds and removes its files: deleted rows are overwritten
    /// (`secure_delete`), the WAL is emptied, then the database, WAL and shared-memory files
    /// are unlinked (the connection stays open on the emptied file until dropped). For a
    /// revoked tablet's wipe.
    pub fn erase(&self) -> Result<(), StoreError> {
        self.conn.execute_batch(
            "BEGIN IMMEDIATE;
             DELETE FROM sealed_documents;
             DELETE FROM pulled_registrations;
             DELETE FROM journal;
             DELETE FROM meta;
             COMMIT;",
        )?;
        self.checkpoint()?;
        self.conn.execute_batch("VACUUM")?;
        let path = &self.path;
        for suffix in ["", "-wal", "-shm", "-journal"] {
            let file = PathBuf::from(format!("{}{suffix}", path.display()));
            match std::fs::remove_file(&file) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(e.into()),
            }
        }
        Ok(())
    }

    /// Moves the WAL's contents into the main file and empties the WAL, so erased bytes
    /// do not linger there.
    pub fn checkpoint(&self) -> Result<(), StoreError> {
        let (busy, log, checkpointed): (i64, i64, i64) =
            self.conn
                .query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |row| {
                    Ok((row.get(0)?, row.get(1)?, row.get(2)?))
                })?;
        if busy != 0 || log != checkpointed {
            return Err(StoreError::CheckpointIncomplete);
        }
        Ok(())
    }
}

/// Refuses a store written by a newer build: this one cannot know what it holds.
fn refuse_newer(path: &Path, found: u32) -> Result<(), StoreError> {
    if found > schema::CURRENT_VERSION {
        return Err(StoreError::NewerSchema {
            path: path.to_owned(),
            found,
            supported: schema::CURRENT_VERSION,
        });
    }
    Ok(())
}

/// Checks, read-only, that the database is ours and whole. Runs after SQLite has replayed
/// any WAL in memory, so it also covers what the header check had to leave to SQLite.
fn check_readable_store(reader: &Connection, path: &Path) -> Result<(), StoreError> {
    let corrupt = |detail: String| StoreError::Corrupt {
        path: path.to_owned(),
        detail,
    };
    let application_id: u32 = reader
        .pragma_query_value(None, "application_id", |row| row.get(0))
        .map_err(|e| corrupt(e.to_string()))?;
    if application_id != schema::APPLICATION_ID {
        return Err(StoreError::Foreign {
            path: path.to_owned(),
        });
    }
    let verdict: String = reader
        .query_row("PRAGMA quick_check(1)", [], |row| row.get(0))
        .map_err(|e| corrupt(e.to_string()))?;
    if verdict != "ok" {
        return Err(corrupt("integrity check failed".into()));
    }
    Ok(())
}

/// Makes a rename durable: on Linux the new name lives in the directory's metadata.
fn sync_parent_directory(path: &Path) -> std::io::Result<()> {
    #[cfg(unix)]
    if let Some(parent) = path.parent() {
        let parent = if parent.as_os_str().is_empty() {
            Path::new(".")
        } else {
            parent
        };
        std::fs::File::open(parent)?.sync_all()?;
    }
    #[cfg(not(unix))]
    let _ = path;
    Ok(())
}

fn wal_has_content(path: &Path) -> bool {
    let mut wal = path.as_os_str().to_owned();
    wal.push("-wal");
    std::fs::metadata(PathBuf::from(wal)).is_ok_and(|m| m.len() > 0)
}

/// Reads the SQLite header and refuses files that are not ours or not whole. While a WAL
/// with content lies beside the file, the main file may legitimately lag behind it (a
/// crash before or during a checkpoint); those checks are then left to SQLite's own.
fn inspect_header(path: &Path) -> Result<(), StoreError> {
    let wal = wal_has_content(path);
    let mut file = std::fs::File::open(path)?;
    let actual = file.metadata()?.len();
    if actual == 0 && wal {
        return Ok(());
    }
    let mut header = [0u8; HEADER_LEN];
    let read = file.read(&mut header)?;
    if read < SQLITE_MAGIC.len() || &header[..16] != SQLITE_MAGIC {
        return Err(StoreError::NotSqlite {
            path: path.to_owned(),
        });
    }
    if read < HEADER_LEN {
        return Err(StoreError::Truncated {
            path: path.to_owned(),
            actual,
            expected: HEADER_LEN as u64,
        });
    }
    let be32 = |at: usize| {
        u32::from_be_bytes([header[at], header[at + 1], header[at + 2], header[at + 3]])
    };
    let application_id = be32(68);
    if application_id != schema::APPLICATION_ID && !(wal && application_id == 0) {
        return Err(StoreError::Foreign {
            path: path.to_owned(),
        });
    }
    if wal {
        return Ok(());
    }
    let page_size = match u16::from_be_bytes([header[16], header[17]]) {
        1 => 65_536,
        size => u64::from(size),
    };
    let expected = page_size * u64::from(be32(28));
    if actual < expected || actual % page_size != 0 {
        return Err(StoreError::Truncated {
            path: path.to_owned(),
            actual,
            expected: expected.max(actual.next_multiple_of(page_size)),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests;
