//! The embedded relay store: one SQLite file in WAL mode, every commit durable
//! (`synchronous=FULL`: one fsync per commit). One writer connection behind a mutex makes
//! every write; reads go to a small pool of read-only connections ([`read_pool`]), which
//! WAL lets read the last commit while a write transaction is open, so HR's reads never
//! wait for ingest nor ingest for them. A read that the access log must record (a list, a
//! read by id, an export) reads on a reader, lets it go, then appends its entries through
//! the writer, re-checking there that no record it read was removed meanwhile (see
//! [`SqliteStore::log_reads`]). A store in memory has no file for other connections to
//! open: its reads use the writer.
//!
//! `ingest` uses group commit (see [`super::group_commit`]): sync requests that arrive while
//! a commit is under way wait, and the next one to go takes all of them into one
//! transaction and one fsync, instead of each paying its own fsync in turn. Each request
//! runs inside its own savepoint, in arrival order, with the same checks as alone (the
//! sequence check included), so one request's error undoes only that request and is
//! answered to its caller only. Results are handed out only after the shared commit
//! succeeded; if it fails, every request of the group gets the error and nothing of it is
//! stored.
//!
//! What a pushed capture becomes (stored, a retry, quarantined) and how a tablet's journal
//! head moves on are decided by [`crate::rules`]; this file loads the rows those rules need
//! and stores what they decide.

use std::any::Any;
use std::panic::{self, AssertUnwindSafe};
use std::path::Path;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use kiosk_core::documents::EventDocument;
use kiosk_core::event::Event;
use kiosk_core::ids::{EventId, Timestamp};
use kiosk_core::journal::JournalHead;
use kiosk_core::protocol::enrollment::EnrolledRole;
use kiosk_core::protocol::{ErrorCode, PulledDocument, PushOutcome};
use rusqlite::{Connection, OptionalExtension, Transaction, ffi, params};

use super::group_commit::{Budget, GroupCommit};
use super::*;
use crate::rules::event_edits::relay_event_actor;
use crate::rules::quarantine::{self as quarantine_rule, Capture, CaptureDecision};
use crate::rules::{journal_chain, retention_rules};
use ingest::*;
use pull::*;

pub mod access_log;
pub mod access_log_query;
pub mod access_log_retention;
mod backup;
mod blind_index;
mod cosignatures;
mod daily_jobs;
pub mod event_edits;
mod failure_counts;
pub mod hr_accounts;
pub mod hr_directory;
pub mod hr_edits;
mod ingest;
pub mod lifecycle_journal;
mod pull;
pub mod quarantine_review;
mod read_pool;
#[cfg(test)]
mod reader_tests;
pub mod reconciliation;
pub mod registration_index;
pub mod restricted_inbox;
pub(crate) mod retention;
pub(crate) mod schema;
mod staff_unlock;
#[cfg(test)]
mod store_suite;
pub mod subject_access;
#[cfg(test)]
mod tests;
pub(crate) mod tlog;
mod visitor_receipt;
mod writer_turn;

pub use backup::{reported_watermark, verify_backup_file, watermark_path};

/// A credential's last use is recorded to this grain (ms): far finer than the idle
/// timeout it serves, coarse enough that a burst of requests writes it once.
const CREDENTIAL_USE_GRAIN_MS: i64 = 1_000;

/// At most this many sync requests share a commit…
const MAX_GROUP_BATCHES: usize = 64;
/// …and at most about this many document bytes (a single larger request still runs alone)…
const MAX_GROUP_BYTES: usize = 32 << 20;
/// …and at most about this many items: a few tablets' batches, some 50 ms of inserts, so a
/// background batch or the next group waits for no more than that, while one commit still
/// serves hundreds of registrations. An HR officer's short write waits for less: a group
/// gives the writer up for it at its next request's end ([`writer_turn`]).
const MAX_GROUP_ITEMS: usize = 256;
const GROUP_BUDGET: Budget = Budget {
    batches: MAX_GROUP_BATCHES,
    bytes: MAX_GROUP_BYTES,
    items: MAX_GROUP_ITEMS,
};

#[derive(Debug)]
pub struct SqliteStore {
    /// The writer: every write, and the reads that must see one snapshot beside a write.
    conn: Mutex<Connection>,
    /// Read-only connections to the file; `None` in memory (see [`SqliteStore::reader`]).
    readers: Option<read_pool::ReadPool>,
    /// Lets an HR request's short write take the writer before the next ingest group.
    turn: writer_turn::WriterTurn,
    /// The database file; `None` in memory.
    path: Option<std::path::PathBuf>,
    group: GroupCommit<IngestBatch, Applied>,
    /// New captures' list fields, read before their ingest takes the writer.
    listings: registration_index::ListingsAhead,
    /// Ingest transactions committed, and the batches they carried.
    commits: AtomicU64,
    committed_batches: AtomicU64,
    /// Events as last read or written, with their document's heads: every sync request
    /// needs its tablet's event, and loading an Automerge document each time costs
    /// milliseconds. Only `put_event` writes events, and it refreshes the entry.
    events: Mutex<std::collections::HashMap<String, CachedEvent>>,
    /// Removals, withdrawals and holds, kept beside the database where a restore cannot
    /// undo them; `None` in memory.
    lifecycle: Option<lifecycle_journal::LifecycleJournal>,
    /// Rate-limit counts and daily jobs' turns: this process's, as the store is.
    failure_counts: failure_counts::FailureCounts,
    daily_jobs: daily_jobs::DailyJobs,
    #[cfg(test)]
    hooks: tests::Hooks,
    #[cfg(test)]
    read_hooks: reader_tests::ReadHooks,
}

/// A connection a read runs on: see [`SqliteStore::reader`].
enum ReadConn<'a> {
    Pooled(read_pool::Pooled<'a>),
    Writer(std::sync::MutexGuard<'a, Connection>),
}

impl std::ops::Deref for ReadConn<'_> {
    type Target = Connection;
    fn deref(&self) -> &Connection {
        match self {
            ReadConn::Pooled(conn) => conn,
            ReadConn::Writer(conn) => conn,
        }
    }
}

impl std::ops::DerefMut for ReadConn<'_> {
    fn deref_mut(&mut self) -> &mut Connection {
        match self {
            ReadConn::Pooled(conn) => conn,
            ReadConn::Writer(conn) => conn,
        }
    }
}

#[derive(Debug, Clone)]
struct CachedEvent {
    event: Event,
    /// Sorted.
    heads: Vec<[u8; 32]>,
}

/// One batch's result in a group: what `ingest` returns, or the panic to resume in its
/// caller's thread.
type Applied = Result<StorageResult<IngestOutcome>, Box<dyn Any + Send>>;

fn role_text(role: EnrolledRole) -> &'static str {
    match role {
        EnrolledRole::Kiosk => "kiosk",
        EnrolledRole::Staff => "staff",
    }
}

fn role_from(text: &str) -> StorageResult<EnrolledRole> {
    match text {
        "kiosk" => Ok(EnrolledRole::Kiosk),
        "staff" => Ok(EnrolledRole::Staff),
        _ => Err(StorageError::Undecodable("device role")),
    }
}

fn hashes_blob(hashes: &[[u8; 32]]) -> Vec<u8> {
    hashes.concat()
}

fn blob_hashes(blob: &[u8]) -> StorageResult<Vec<[u8; 32]>> {
    if !blob.len().is_multiple_of(32) {
        return Err(StorageError::Undecodable("change hashes"));
    }
    Ok(blob
        .chunks_exact(32)
        .map(|c| c.try_into().expect("32-byte chunk"))
        .collect())
}

/// How long a connection waits for another one holding the file (the serving relay, an
/// operator's command in another process) before giving up with "database is locked".
pub(crate) const BUSY_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

/// Makes every transaction on `conn` take the write lock when it begins (`BEGIN
/// IMMEDIATE`). A deferred transaction that reads and then writes cannot wait for a writer
/// that came in between: SQLite answers "database is locked" at once, whatever the busy
/// timeout, so a sync would fail because an operator ran `create-code` or `backup`.
/// Every transaction on the store's connection writes or must see one snapshot beside
/// writes, and the connection is used by one caller at a time, so nothing is lost by it.
fn write_lock_first(conn: &mut Connection) {
    conn.set_transaction_behavior(rusqlite::TransactionBehavior::Immediate);
}

fn key32(blob: Vec<u8>, what: &'static str) -> StorageResult<[u8; 32]> {
    blob.try_into().map_err(|_| StorageError::Undecodable(what))
}

impl SqliteStore {
    /// A store in memory, for tests of the HTTP layer.
    pub fn in_memory() -> StorageResult<SqliteStore> {
        let mut conn = Connection::open_in_memory()?;
        write_lock_first(&mut conn);
        schema::upgrade(&mut conn, ":memory:")?;
        Ok(SqliteStore::with_connection(conn, None))
    }

    fn with_connection(conn: Connection, path: Option<std::path::PathBuf>) -> SqliteStore {
        let lifecycle = path
            .as_deref()
            .map(lifecycle_journal::LifecycleJournal::for_database);
        // A shared-cache memory database would let other connections in, but it locks whole
        // tables and answers a reader "locked" at once (no busy wait, no WAL snapshot), so
        // a store in memory keeps reading through its one connection, as before.
        let readers = path.as_ref().map(|path| {
            read_pool::ReadPool::new(path.clone(), read_pool::READERS, read_pool::CHECKOUT_WAIT)
        });
        SqliteStore {
            conn: Mutex::new(conn),
            readers,
            turn: writer_turn::WriterTurn::default(),
            lifecycle,
            path,
            group: GroupCommit::new(GROUP_BUDGET, batch_weight, || {
                Ok(Err(group_failure("the ingest group was abandoned")))
            }),
            listings: registration_index::ListingsAhead::new(),
            commits: AtomicU64::new(0),
            committed_batches: AtomicU64::new(0),
            events: Mutex::new(std::collections::HashMap::new()),
            failure_counts: failure_counts::FailureCounts::default(),
            daily_jobs: daily_jobs::DailyJobs::default(),
            #[cfg(test)]
            hooks: tests::Hooks::default(),
            #[cfg(test)]
            read_hooks: reader_tests::ReadHooks::default(),
        }
    }

    /// Appends access-log entries directly, for tests of what reads the log.
    #[cfg(test)]
    pub(crate) fn append_access_for_tests(&self, entries: &[AccessEntry]) -> StorageResult<()> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        access_log::append(&tx, entries)?;
        tx.commit()?;
        Ok(())
    }

    /// Keeps one capture of `bytes` bytes from `device` in quarantine directly, for tests of
    /// what a device's quarantined share allows.
    #[cfg(test)]
    pub(crate) fn quarantine_for_tests(
        &self,
        device: &[u8; 32],
        bytes: usize,
    ) -> StorageResult<()> {
        self.conn().execute(
            "INSERT INTO quarantine (doc_id, device_key, payload, code, received_at)
             VALUES ('01J00000000000000000000001', ?1, zeroblob(?2), 'revoked', 0)",
            params![device.as_slice(), bytes as i64],
        )?;
        Ok(())
    }

    /// Lets the database grow by at most `pages` more pages (`None`: as SQLite allows), so
    /// a test sees the writes of a full disk fail with `SQLITE_FULL`.
    #[cfg(test)]
    pub(crate) fn limit_growth_for_tests(&self, pages: Option<i64>) -> StorageResult<()> {
        let conn = self.conn();
        let limit = match pages {
            Some(pages) => {
                let count: i64 = conn.query_row("PRAGMA page_count", [], |r| r.get(0))?;
                count + pages
            }
            None => 0xFFFF_FFFE,
        };
        let _: i64 = conn.query_row(&format!("PRAGMA max_page_count = {limit}"), [], |r| {
            r.get(0)
        })?;
        Ok(())
    }

    /// Ingest transactions committed so far, and the sync requests (batches) they carried,
    /// stale ones included. Fewer commits than batches means requests shared commits.
    pub fn commit_stats(&self) -> (u64, u64) {
        (
            self.commits.load(Ordering::Relaxed),
            self.committed_batches.load(Ordering::Relaxed),
        )
    }

    /// Opens (or creates) the store at `path`.
    pub fn open(path: &Path) -> StorageResult<SqliteStore> {
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            crate::private_files::create_dir(parent)?;
        }
        // SQLite creates a new database with the umask's mode, and its `-wal` and `-shm`
        // with the database's: an empty file made 0600 first is a new database to it.
        match crate::private_files::new_file_options()
            .write(true)
            .create_new(true)
            .open(path)
        {
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
            Err(e) => return Err(e.into()),
        }
        let mut conn = Connection::open(path)?;
        // First, so that even the pragmas and the schema check below wait for a relay or an
        // operator's command working on the same file instead of failing at once.
        conn.busy_timeout(BUSY_TIMEOUT)?;
        write_lock_first(&mut conn);
        // Before the journal mode (which writes the header): a file of another application,
        // or one a newer relay wrote, is left as it is.
        let name = path.display().to_string();
        schema::stored_version(&conn, &name)?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.pragma_update(None, "secure_delete", "ON")?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        schema::upgrade(&mut conn, &name)?;
        // A store an older build wrote indexed at the first list: its backlog is indexed now,
        // before the relay serves, in bounded transactions.
        let indexed = registration_index::catch_up(&mut conn, registration_index::CATCH_UP_BATCH)?;
        if indexed > 0 {
            tracing::info!(
                indexed,
                "the list index caught up with stored registrations"
            );
        }
        let store = SqliteStore::with_connection(conn, Some(path.to_owned()));
        if let Some(readers) = &store.readers {
            readers.warm()?;
        }
        Ok(store)
    }

    fn conn(&self) -> std::sync::MutexGuard<'_, Connection> {
        // A panic while holding the connection cannot leave a transaction half-applied
        // (SQLite rolls it back), so the connection is still usable.
        self.conn
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The writer for a short write an HR request waits on (its access-log entries, its
    /// token's last use): taken before the next ingest group (see [`writer_turn`]).
    fn conn_first(&self) -> std::sync::MutexGuard<'_, Connection> {
        self.turn.first(|| self.conn())
    }

    /// A connection for reads that need no write beside them: a pooled reader of the file
    /// (it sees the last commit and waits for no writer), or the writer in memory. Let it go
    /// before taking the writer: in memory they are the same connection.
    fn reader(&self) -> StorageResult<ReadConn<'_>> {
        match &self.readers {
            Some(pool) => pool.checkout().map(ReadConn::Pooled),
            None => Ok(ReadConn::Writer(self.conn())),
        }
    }

    /// Runs `read` on a reader (see [`Self::reader`]) in one read transaction, so all its
    /// statements see the same commit, as they did when the one connection was held
    /// throughout.
    fn read<T>(&self, read: impl FnOnce(&Connection) -> StorageResult<T>) -> StorageResult<T> {
        match self.reader()? {
            ReadConn::Pooled(mut conn) => {
                let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Deferred)?;
                let value = read(&tx)?;
                tx.commit()?;
                Ok(value)
            }
            ReadConn::Writer(conn) => read(&conn),
        }
    }

    /// Writes the access-log entries a read owes through the writer, with `also` (a request
    /// routed to cleared users, say) in the same commit, and returns the ids of the records
    /// among them removed since the read: their entries are left out, and the caller drops
    /// them from its answer. So what a read answers is exactly what the log holds, and a
    /// removal committed between the read and this commit never leaves the relay; one
    /// committed after it comes after the read in the log too, as it did in fact. If the
    /// commit fails, the caller answers nothing but the error.
    ///
    /// The caller holds no reader: in memory the reader is the writer.
    fn log_reads_with(
        &self,
        entries: &[AccessEntry],
        also: impl FnOnce(&Transaction<'_>) -> StorageResult<()>,
    ) -> StorageResult<std::collections::HashSet<String>> {
        #[cfg(test)]
        self.read_hooks.between_read_and_log(self);
        let mut conn = self.conn_first();
        let tx = conn.transaction()?;
        let mut removed = std::collections::HashSet::new();
        for entry in entries {
            if !removed.contains(&entry.doc_id) && is_removed(&tx, &entry.doc_id)? {
                removed.insert(entry.doc_id.clone());
            }
        }
        let kept: Vec<AccessEntry> = entries
            .iter()
            .filter(|entry| !removed.contains(&entry.doc_id))
            .cloned()
            .collect();
        access_log::append(&tx, &kept)?;
        also(&tx)?;
        tx.commit()?;
        Ok(removed)
    }

    /// [`Self::log_reads_with`] with nothing else to write; a read that owes nothing takes no
    /// writer.
    fn log_reads(
        &self,
        entries: &[AccessEntry],
    ) -> StorageResult<std::collections::HashSet<String>> {
        if entries.is_empty() {
            return Ok(std::collections::HashSet::new());
        }
        self.log_reads_with(entries, |_| Ok(()))
    }

    /// An event's stored document.
    fn event_document(&self, id: &EventId) -> StorageResult<Option<EventDocument>> {
        let bytes = self.read(|conn| event_bytes(conn, id.as_str()))?;
        Ok(bytes
            .map(|b| EventDocument::load(&b, &relay_event_actor()))
            .transpose()?)
    }

    /// The event with its heads, from the cache or else from the store.
    fn cached_event(&self, id: &EventId) -> StorageResult<Option<CachedEvent>> {
        if let Some(cached) = self.event_cache().get(id.as_str()) {
            return Ok(Some(cached.clone()));
        }
        let Some(mut document) = self.event_document(id)? else {
            return Ok(None);
        };
        // The connection was let go after the read: an edit stored and cached since then is
        // newer than this document, so a cold read only fills an empty place.
        let read = Self::cached_form(&mut document)?;
        Ok(Some(
            self.event_cache()
                .entry(read.event.id.to_string())
                .or_insert(read)
                .clone(),
        ))
    }

    /// Caches `document` as an event's newest: for writers, which hold the connection until
    /// it is cached, so no older copy can replace it.
    fn cache_event(&self, document: &mut EventDocument) -> StorageResult<CachedEvent> {
        let cached = Self::cached_form(document)?;
        self.event_cache()
            .insert(cached.event.id.to_string(), cached.clone());
        Ok(cached)
    }

    fn cached_form(document: &mut EventDocument) -> StorageResult<CachedEvent> {
        let mut heads = document.head_bytes();
        heads.sort_unstable();
        Ok(CachedEvent {
            event: document.read()?,
            heads,
        })
    }

    fn event_cache(
        &self,
    ) -> std::sync::MutexGuard<'_, std::collections::HashMap<String, CachedEvent>> {
        self.events
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

impl SqliteStore {
    /// The rule an event's records are kept under: its published form's, else its draft's
    /// (an event that never published has no records), else the default.
    fn retention_rule(&self, event_id: String) -> StorageResult<AppliedRule> {
        let cached = match EventId::parse(&event_id) {
            Some(id) => self.cached_event(&id)?,
            None => None,
        };
        Ok(retention_rules::rule_for(
            event_id,
            cached.as_ref().map(|cached| &cached.event),
        ))
    }
}

fn read_device(conn: &Connection, device_key: &[u8; 32]) -> StorageResult<Option<DeviceRecord>> {
    let row = conn
        .query_row(
            "SELECT event_id, role, recruiter, certified_at, expires_at, revoked_at, last_seq,
                    name, relay_key
             FROM devices WHERE device_key = ?1",
            [device_key.as_slice()],
            |r| {
                Ok((
                    (
                        r.get::<_, String>(0)?,
                        r.get::<_, String>(1)?,
                        r.get::<_, Option<String>>(2)?,
                    ),
                    r.get::<_, i64>(3)?,
                    r.get::<_, i64>(4)?,
                    r.get::<_, Option<i64>>(5)?,
                    r.get::<_, i64>(6)?,
                    (
                        r.get::<_, Option<String>>(7)?,
                        r.get::<_, Option<Vec<u8>>>(8)?,
                    ),
                ))
            },
        )
        .optional()?;
    row.map(
        |(
            (event_id, role, recruiter),
            certified_at,
            expires_at,
            revoked_at,
            last_seq,
            (name, key),
        )| {
            Ok(DeviceRecord {
                device_key: *device_key,
                event_id,
                role: role_from(&role)?,
                recruiter,
                certified_at,
                expires_at,
                revoked_at,
                last_seq: last_seq as u64,
                name,
                // A key of another length was not written by this relay: not known.
                relay_key: key.and_then(|k| <[u8; 32]>::try_from(k.as_slice()).ok()),
            })
        },
    )
    .transpose()
}

/// An event's stored document bytes.
fn event_bytes(conn: &Connection, event_id: &str) -> StorageResult<Option<Vec<u8>>> {
    Ok(conn
        .query_row(
            "SELECT document FROM events WHERE event_id = ?1",
            [event_id],
            |r| r.get(0),
        )
        .optional()?)
}

/// A registration's capture followed by every later change.
fn stored_registration(
    conn: &Connection,
    doc_id: &str,
) -> StorageResult<Option<StoredRegistration>> {
    let record: Option<(String, bool, Vec<u8>)> = conn
        .query_row(
            "SELECT event_id, restricted, document FROM registrations WHERE doc_id = ?1",
            [doc_id],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .optional()?;
    let Some((event_id, restricted, mut changes)) = record else {
        return Ok(None);
    };
    let mut statement = conn.prepare_cached(
        "SELECT change FROM registration_changes
         WHERE doc_id = ?1 AND change IS NOT NULL ORDER BY commit_seq, rowid",
    )?;
    for change in statement.query_map([doc_id], |r| r.get::<_, Vec<u8>>(0))? {
        changes.extend_from_slice(&change?);
    }
    Ok(Some(StoredRegistration {
        event_id,
        restricted,
        changes,
    }))
}

impl EventStore for SqliteStore {
    fn put_event(&self, event: &Event) -> StorageResult<()> {
        let conn = self.conn();
        let existing = event_bytes(&conn, event.id.as_str())?;
        // An existing event's document is changed, not replaced, so tablets get only the
        // changes past the heads they hold.
        let mut document = match existing {
            Some(bytes) => {
                let mut document = EventDocument::load(&bytes, &relay_event_actor())?;
                document.write(event, Timestamp::now())?;
                document
            }
            None => EventDocument::create(event, &relay_event_actor(), Timestamp::now())?,
        };
        conn.execute(
            "INSERT INTO events (event_id, document) VALUES (?1, ?2)
             ON CONFLICT (event_id) DO UPDATE SET document = excluded.document",
            params![event.id.as_str(), document.save()],
        )?;
        self.cache_event(&mut document)?;
        Ok(())
    }

    fn event(&self, id: &EventId) -> StorageResult<Option<Event>> {
        Ok(self.cached_event(id)?.map(|cached| cached.event))
    }

    fn create_event(
        &self,
        event: &Event,
        author: &ed25519_dalek::VerifyingKey,
        at: Timestamp,
    ) -> StorageResult<Option<Vec<[u8; 32]>>> {
        self.create_event_document(event, author, at)
    }

    fn edit_event(
        &self,
        id: &EventId,
        based_on: &[[u8; 32]],
        edit: &EventEdit,
        author: &ed25519_dalek::VerifyingKey,
        at: Timestamp,
    ) -> StorageResult<Result<EventEdited, EventEditRefusal>> {
        self.edit_event_document(id, based_on, edit, author, at)
    }

    fn event_with_heads(&self, id: &EventId) -> StorageResult<Option<(Event, Vec<[u8; 32]>)>> {
        self.event_and_heads(id)
    }

    fn event_summaries(&self) -> StorageResult<Vec<EventSummary>> {
        self.event_list()
    }

    fn event_changes_since(
        &self,
        id: &EventId,
        heads: &[[u8; 32]],
    ) -> StorageResult<Option<Vec<u8>>> {
        let Some(cached) = self.cached_event(id)? else {
            return Ok(None);
        };
        let mut known = heads.to_vec();
        known.sort_unstable();
        if cached.heads == known {
            return Ok(None);
        }
        let Some(mut document) = self.event_document(id)? else {
            return Ok(None);
        };
        Ok(Some(document.changes_since(heads)))
    }
}

impl DeviceStore for SqliteStore {
    fn add_enrollment_code(&self, grant: &EnrollmentGrant, created_at: i64) -> StorageResult<()> {
        self.conn().execute(
            "INSERT INTO enrollment_codes
             (lookup, answer_secret, event_id, role, recruiter, expires_at, max_uses, created_at,
              name)
             VALUES (?1, ?8, ?2, ?3, ?4, ?5, ?6, ?7, ?9)",
            params![
                grant.lookup.as_slice(),
                grant.event_id,
                role_text(grant.role),
                grant.recruiter,
                grant.expires_at,
                grant.max_uses,
                created_at,
                grant.answer_secret.as_slice(),
                grant.name
            ],
        )?;
        Ok(())
    }

    fn redeem_and_keep_certificate(
        &self,
        lookup: &[u8; 32],
        device_key: &[u8; 32],
        device_role: EnrolledRole,
        knows_code: &dyn Fn(&[u8; 32]) -> bool,
        now: i64,
        certificate_lifetime_ms: i64,
        certify: &dyn Fn(&DeviceRecord) -> Option<Vec<u8>>,
    ) -> StorageResult<Result<(DeviceRecord, [u8; 32]), CodeRefusal>> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        #[allow(clippy::type_complexity)]
        let code: Option<(
            (String, String, Option<String>),
            i64,
            i64,
            i64,
            Vec<u8>,
            Option<String>,
        )> = tx
            .query_row(
                "SELECT event_id, role, recruiter, expires_at, max_uses, uses, answer_secret, name
                 FROM enrollment_codes WHERE lookup = ?1",
                [lookup.as_slice()],
                |r| {
                    Ok((
                        (r.get(0)?, r.get(1)?, r.get(2)?),
                        r.get(3)?,
                        r.get(4)?,
                        r.get(5)?,
                        r.get(6)?,
                        r.get(7)?,
                    ))
                },
            )
            .optional()?;
        let Some(((event_id, role, recruiter), expires_at, max_uses, uses, answer_secret, name)) =
            code
        else {
            return Ok(Err(CodeRefusal::Unknown));
        };
        let answer_secret = key32(answer_secret, "answer secret")?;
        if !knows_code(&answer_secret) {
            return Ok(Err(CodeRefusal::Unknown));
        }
        // Checked before the code is used, so a tablet of the wrong kind costs it no use.
        if role_from(&role)? != device_role {
            return Ok(Err(CodeRefusal::WrongRole));
        }
        let known: Option<(Vec<u8>, Option<i64>)> = tx
            .query_row(
                "SELECT enrolled_with, revoked_at FROM devices WHERE device_key = ?1",
                [device_key.as_slice()],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?;
        if known.as_ref().is_some_and(|(_, revoked)| revoked.is_some()) {
            return Ok(Err(CodeRefusal::Revoked));
        }
        // A retry after a lost answer is answered again, even if the code expired meanwhile.
        let already = known.is_some_and(|(with, _)| with.as_slice() == lookup.as_slice());
        if !already && now >= expires_at {
            return Ok(Err(CodeRefusal::Expired));
        }
        if !already {
            if uses >= max_uses {
                return Ok(Err(CodeRefusal::Exhausted));
            }
            tx.execute(
                "UPDATE enrollment_codes SET uses = uses + 1 WHERE lookup = ?1",
                [lookup.as_slice()],
            )?;
            tx.execute(
                // A tablet enrolled again keeps its name unless the new code gives one.
                "INSERT INTO devices
                 (device_key, event_id, role, recruiter, enrolled_with, certified_at, expires_at,
                  chain_head, name)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)
                 ON CONFLICT (device_key) DO UPDATE SET
                   event_id = excluded.event_id, role = excluded.role,
                   recruiter = excluded.recruiter, enrolled_with = excluded.enrolled_with,
                   -- Strictly later than the previous enrollment's (`keep_certificate`).
                   certified_at = max(excluded.certified_at, devices.certified_at + 1),
                   expires_at = excluded.expires_at,
                   name = COALESCE(excluded.name, devices.name)",
                params![
                    device_key.as_slice(),
                    event_id,
                    role,
                    recruiter,
                    lookup.as_slice(),
                    now,
                    now + certificate_lifetime_ms,
                    kiosk_core::journal::GENESIS.as_slice(),
                    name
                ],
            )?;
        }
        let record = read_device(&tx, device_key)?.ok_or(StorageError::Undecodable("device"))?;
        if let Some(envelope) = certify(&record) {
            keep_certificate_in(&tx, device_key, record.certified_at, &envelope)?;
        }
        tx.commit()?;
        Ok(Ok((record, answer_secret)))
    }

    fn device(&self, device_key: &[u8; 32]) -> StorageResult<Option<DeviceRecord>> {
        self.read(|conn| read_device(conn, device_key))
    }

    fn rename_device(&self, device_key: &[u8; 32], name: Option<&str>) -> StorageResult<bool> {
        let changed = self.conn().execute(
            "UPDATE devices SET name = ?2 WHERE device_key = ?1",
            params![device_key.as_slice(), name],
        )?;
        Ok(changed > 0)
    }

    fn revoke_device(&self, device_key: &[u8; 32], at: i64) -> StorageResult<bool> {
        let conn = self.conn();
        let revocable: bool = conn.query_row(
            "SELECT EXISTS (SELECT 1 FROM devices WHERE device_key = ?1 AND revoked_at IS NULL)",
            [device_key.as_slice()],
            |r| r.get(0),
        )?;
        if !revocable {
            return Ok(false);
        }
        // Journalled before it is made, so a restore of an older backup revokes it again.
        lifecycle_journal::record(
            self.lifecycle.as_ref(),
            &[LifecycleEntry::Revocation {
                device_key: hex::encode(device_key),
                at,
            }],
        )?;
        let changed = conn.execute(
            "UPDATE devices SET revoked_at = ?2 WHERE device_key = ?1 AND revoked_at IS NULL",
            params![device_key.as_slice(), at],
        )?;
        Ok(changed > 0)
    }

    fn note_relay_key(&self, device_key: &[u8; 32], relay_key: &[u8; 32]) -> StorageResult<()> {
        self.conn().execute(
            "UPDATE devices SET relay_key = ?2 WHERE device_key = ?1",
            params![device_key.as_slice(), relay_key.as_slice()],
        )?;
        Ok(())
    }

    #[cfg(test)]
    fn keep_certificate(
        &self,
        device_key: &[u8; 32],
        issued_at: i64,
        envelope: &[u8],
    ) -> StorageResult<()> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        keep_certificate_in(&tx, device_key, issued_at, envelope)?;
        tx.commit()?;
        Ok(())
    }

    fn kept_certificate(
        &self,
        device_key: &[u8; 32],
        certified_at: Option<i64>,
        at: i64,
    ) -> StorageResult<Option<(i64, Vec<u8>)>> {
        self.read(|conn| {
            Ok(conn
                .query_row(
                    "SELECT issued_at, envelope FROM device_certificates
                     WHERE device_key = ?1
                       AND CASE WHEN ?3 IS NULL THEN issued_at <= ?2 ELSE issued_at = ?3 END
                     ORDER BY issued_at DESC LIMIT 1",
                    params![device_key.as_slice(), at, certified_at],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
                .optional()?)
        })
    }

    fn devices_not_pinning(&self, relay_key: &[u8; 32], now: i64) -> StorageResult<u64> {
        let count: i64 = self.conn().query_row(
            "SELECT count(*) FROM devices
             WHERE revoked_at IS NULL AND expires_at > ?2
               AND (relay_key IS NULL OR relay_key != ?1)",
            params![relay_key.as_slice(), now],
            |r| r.get(0),
        )?;
        Ok(count as u64)
    }

    fn device_keys(&self, event_id: Option<&str>) -> StorageResult<Vec<[u8; 32]>> {
        self.read(|conn| {
            let mut statement = conn.prepare(
                "SELECT device_key FROM devices WHERE ?1 IS NULL OR event_id = ?1
                 ORDER BY certified_at, device_key",
            )?;
            let keys = statement
                .query_map([event_id], |r| r.get::<_, Vec<u8>>(0))?
                .map(|key| key32(key?, "device key"))
                .collect::<StorageResult<Vec<_>>>()?;
            Ok(keys)
        })
    }

    fn device_report(&self, device_key: &[u8; 32]) -> StorageResult<Option<DeviceReport>> {
        self.read(|conn| {
            let Some(record) = read_device(conn, device_key)? else {
                return Ok(None);
            };
            let key = device_key.as_slice();
            let (count, head, last_contact): (i64, Vec<u8>, Option<i64>) = conn.query_row(
                "SELECT chain_count, chain_head, last_contact FROM devices WHERE device_key = ?1",
                [key],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )?;
            let stored: i64 = conn.query_row(
                "SELECT COUNT(*) FROM registrations WHERE device_key = ?1",
                [key],
                |r| r.get(0),
            )?;
            let quarantined: i64 = conn.query_row(
                "SELECT COUNT(DISTINCT doc_id) FROM quarantine WHERE device_key = ?1",
                [key],
                |r| r.get(0),
            )?;
            let received: i64 = conn.query_row(
                "SELECT COUNT(*) FROM (SELECT doc_id FROM registrations WHERE device_key = ?1
                                       UNION SELECT doc_id FROM quarantine WHERE device_key = ?1)",
                [key],
                |r| r.get(0),
            )?;
            Ok(Some(DeviceReport {
                record,
                received: received as u64,
                stored: stored as u64,
                quarantined: quarantined as u64,
                journal: JournalHead {
                    count: count as u64,
                    head: key32(head, "chain head")?,
                },
                last_contact,
            }))
        })
    }

    fn issue_staff_unlock(&self, device_key: &[u8; 32], at: i64) -> StorageResult<Option<u64>> {
        staff_unlock::issue(&mut self.conn(), device_key, at)
    }

    fn outstanding_staff_unlock(
        &self,
        device_key: &[u8; 32],
        now: i64,
    ) -> StorageResult<Option<(u64, i64)>> {
        self.read(|conn| staff_unlock::outstanding(conn, device_key, now))
    }
}

impl SyncStore for SqliteStore {
    fn ingest(&self, batch: &IngestBatch) -> StorageResult<IngestOutcome> {
        // New captures' list fields are read here, in the caller's thread, before the writer
        // is taken: loading a document is most of what indexing costs, and under the writer
        // it would hold up every tablet's commit. What the group does not take is dropped
        // when this request ends.
        let _ahead = self.listings.read_ahead(batch);
        let applied = self.group.submit(
            batch,
            || {
                self.turn.after_short_writes();
                self.turn.group(|| self.conn())
            },
            |conn, batches| self.commit_group(conn, batches),
        );
        applied.unwrap_or_else(|panic| panic::resume_unwind(panic))
    }

    fn quarantined_bytes(&self, device_key: &[u8; 32]) -> StorageResult<u64> {
        let bytes: i64 = self.read(|conn| {
            Ok(conn.query_row(
                "SELECT COALESCE(SUM(length(payload)), 0) FROM quarantine WHERE device_key = ?1",
                [device_key.as_slice()],
                |r| r.get(0),
            )?)
        })?;
        Ok(bytes.max(0) as u64)
    }

    fn backup_state(&self) -> StorageResult<BackupState> {
        let (epoch, watermark): (Vec<u8>, Option<i64>) = self.read(|conn| {
            Ok(conn.query_row(
                "SELECT epoch, backup_watermark FROM relay_state WHERE id = 1",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )?)
        })?;
        Ok(BackupState {
            epoch: epoch
                .try_into()
                .map_err(|_| StorageError::Undecodable("relay epoch"))?,
            watermark: watermark.map(|w| w as u64),
        })
    }

    fn counts(&self) -> StorageResult<RelayCounts> {
        self.read(|conn| {
            let count = |sql: &str| -> StorageResult<u64> {
                Ok(conn.query_row(sql, [], |r| r.get::<_, i64>(0))? as u64)
            };
            Ok(RelayCounts {
                registrations: count("SELECT COUNT(*) FROM registrations")?,
                quarantined: count("SELECT COUNT(*) FROM quarantine")?,
                devices: count("SELECT COUNT(*) FROM devices")?,
            })
        })
    }

    fn probe_write(&self) -> StorageResult<()> {
        // An update to the same value still writes its page: a real commit to the WAL.
        self.conn().execute(
            "UPDATE relay_state SET backup_watermark = backup_watermark WHERE id = 1",
            [],
        )?;
        Ok(())
    }

    fn monitoring_figures(&self, silent_before: i64) -> StorageResult<MonitoringFigures> {
        self.read(|conn| {
            let pages: i64 = conn.query_row(
                "SELECT page_count * page_size FROM pragma_page_count(), pragma_page_size()",
                [],
                |r| r.get(0),
            )?;
            let entries: i64 = conn.query_row(
                "SELECT coalesce(max(seq) - min(seq) + 1, 0) FROM access_log",
                [],
                |r| r.get(0),
            )?;
            let silent: i64 = conn.query_row(
                "SELECT COUNT(*) FROM devices
                 WHERE revoked_at IS NULL AND last_contact < ?1
                   AND declared_journal > chain_count",
                [silent_before],
                |r| r.get(0),
            )?;
            Ok(MonitoringFigures {
                store_bytes: Some(pages.max(0) as u64),
                access_log_entries: entries.max(0) as u64,
                silent_with_unsent: silent.max(0) as u64,
            })
        })
    }
}

impl HrAccountStore for SqliteStore {
    fn create_hr_user(&self, user: &NewHrUser, at: i64) -> StorageResult<Option<u64>> {
        hr_accounts::create_user(&self.conn(), user, at)
    }

    fn hr_user_by_username(
        &self,
        username: &str,
    ) -> StorageResult<
        Option<(
            crate::hr::accounts::HrUser,
            crate::hr::accounts::PasswordHash,
        )>,
    > {
        self.read(|conn| hr_accounts::user_by_username(conn, username))
    }

    fn hr_user(
        &self,
        id: u64,
    ) -> StorageResult<
        Option<(
            crate::hr::accounts::HrUser,
            crate::hr::accounts::PasswordHash,
        )>,
    > {
        self.read(|conn| hr_accounts::user(conn, id))
    }

    fn set_hr_password(
        &self,
        id: u64,
        password: &crate::hr::accounts::PasswordHash,
        must_change: bool,
    ) -> StorageResult<bool> {
        hr_accounts::set_password(
            &mut self.conn(),
            self.lifecycle.as_ref(),
            id,
            password,
            must_change,
        )
    }

    fn change_hr_clearance(
        &self,
        id: u64,
        cleared: bool,
        by: Option<u64>,
        at: i64,
    ) -> StorageResult<bool> {
        hr_accounts::set_clearance(
            &mut self.conn(),
            self.lifecycle.as_ref(),
            id,
            cleared,
            by,
            at,
        )
    }

    fn hr_clearance_history(&self, id: u64) -> StorageResult<Vec<ClearanceChange>> {
        self.read(|conn| hr_accounts::clearance_history(conn, id))
    }

    fn hr_user_origin(&self, id: u64) -> StorageResult<Option<crate::hr::accounts::AccountOrigin>> {
        self.read(|conn| hr_accounts::origin(conn, id))
    }

    fn put_hr_credential(
        &self,
        secret_hash: &[u8; 32],
        credential: &Credential,
        label: Option<&str>,
        at: i64,
    ) -> StorageResult<()> {
        hr_accounts::put_credential(&self.conn(), secret_hash, credential, label, at)
    }

    fn hr_credential(
        &self,
        secret_hash: &[u8; 32],
        now: i64,
    ) -> StorageResult<Option<(Credential, crate::hr::accounts::HrUser)>> {
        // Checked on a reader: an unknown or expired token takes no writer at all, and one
        // marked used within the last second is not marked again (a console page's burst
        // of requests, say), so HR requests rarely wait for the writer just for this.
        // An expired one is deleted through the writer (a reader writes nothing).
        match self.read(|conn| hr_accounts::credential(conn, secret_hash, now))? {
            hr_accounts::CredentialRead::Unknown => Ok(None),
            hr_accounts::CredentialRead::Expired => {
                hr_accounts::delete_credential(&self.conn_first(), secret_hash)?;
                Ok(None)
            }
            hr_accounts::CredentialRead::Open(credential, user) => {
                #[cfg(test)]
                self.read_hooks.between_read_and_log(self);
                // Read on a reader: a logout or revocation committed since then leaves
                // nothing to mark, and the credential opens nothing.
                if now - credential.last_used_at >= CREDENTIAL_USE_GRAIN_MS
                    && !hr_accounts::touch_credential(&self.conn_first(), secret_hash, now)?
                {
                    return Ok(None);
                }
                Ok(Some((credential, user)))
            }
        }
    }

    fn delete_hr_credential(&self, secret_hash: &[u8; 32]) -> StorageResult<()> {
        hr_accounts::delete_credential(&self.conn(), secret_hash)
    }

    fn assign_hr_event(&self, user_id: u64, event_id: &str) -> StorageResult<bool> {
        hr_accounts::assign_event(&self.conn(), user_id, event_id)
    }

    fn unassign_hr_event(&self, user_id: u64, event_id: &str) -> StorageResult<bool> {
        hr_accounts::unassign_event(&self.conn(), self.lifecycle.as_ref(), user_id, event_id)
    }

    fn hr_assigned_events(&self, user_id: u64) -> StorageResult<Vec<String>> {
        self.read(|conn| hr_accounts::assigned_events(conn, user_id))
    }

    fn hr_directory(&self) -> StorageResult<Vec<DirectoryEntry>> {
        self.read(hr_directory::users)
    }

    fn change_hr_account(&self, change: &AccountChange) -> StorageResult<AccountChangeOutcome> {
        hr_accounts::change_account(&mut self.conn(), self.lifecycle.as_ref(), change)
    }

    fn hr_account_changes(&self, user_id: u64) -> StorageResult<Vec<AccountChangeRecord>> {
        self.read(|conn| hr_accounts::account_changes(conn, user_id))
    }

    fn hr_api_tokens(&self, user_id: u64, now: i64) -> StorageResult<Vec<TokenInfo>> {
        self.read(|conn| hr_accounts::api_tokens(conn, user_id, now))
    }
}

impl RegistrationStore for SqliteStore {
    fn registration_document(&self, doc_id: &str) -> StorageResult<Option<Vec<u8>>> {
        self.read(|conn| {
            Ok(conn
                .query_row(
                    "SELECT document FROM registrations WHERE doc_id = ?1",
                    [doc_id],
                    |r| r.get(0),
                )
                .optional()?)
        })
    }

    fn receipt_code(&self, doc_id: &str) -> StorageResult<Option<String>> {
        self.read(|conn| {
            Ok(conn
                .query_row(
                    "SELECT receipt_code FROM registrations WHERE doc_id = ?1",
                    [doc_id],
                    |r| r.get(0),
                )
                .optional()?)
        })
    }

    fn stored_registration(&self, doc_id: &str) -> StorageResult<Option<StoredRegistration>> {
        self.read(|conn| stored_registration(conn, doc_id))
    }

    fn capture_evidence(&self, doc_id: &str) -> StorageResult<Option<CaptureEvidence>> {
        self.read(|conn| {
            Ok(conn
                .query_row(
                    "SELECT device_key, document, change_hashes, capture_signature, certified_at
                     FROM registrations WHERE doc_id = ?1",
                    [doc_id],
                    |r| {
                        Ok(CaptureEvidence {
                            device_key: r.get(0)?,
                            document: r.get(1)?,
                            change_hashes: r.get(2)?,
                            capture_signature: r.get(3)?,
                            certified_at: r.get(4)?,
                        })
                    },
                )
                .optional()?)
        })
    }

    fn restricted_requests(&self, limit: u32) -> StorageResult<Vec<RestrictedRequest>> {
        self.read(|conn| restricted_inbox::requests(conn, limit))
    }

    fn list_registrations(
        &self,
        filter: &RegistrationFilter,
        reader: &Accessor,
        at: i64,
    ) -> StorageResult<Vec<RegistrationSummary>> {
        crate::storage::logged_reads::list_page(
            filter,
            reader,
            at,
            |filter| self.read(|conn| registration_index::list(conn, filter)),
            |entries| self.log_reads(entries),
        )
    }

    fn count_registrations(&self, filter: &RegistrationFilter) -> StorageResult<u64> {
        self.read(|conn| registration_index::count(conn, filter))
    }

    fn registration_keys(&self, filter: &RegistrationFilter) -> StorageResult<Vec<(i64, String)>> {
        self.read(|conn| registration_index::keys(conn, filter))
    }

    fn export_registrations(
        &self,
        filter: &RegistrationFilter,
        reader: &Accessor,
        at: i64,
    ) -> StorageResult<ExportPage> {
        let page = self.read(|conn| registration_index::export_page(conn, filter))?;
        crate::storage::logged_reads::export_page(page, reader, at, |entries| {
            self.log_reads(entries)
        })
    }

    fn read_registration(
        &self,
        doc_id: &str,
        reader: &Accessor,
        at: i64,
    ) -> StorageResult<Option<StoredRegistration>> {
        let read = self.read(|conn| stored_registration(conn, doc_id))?;
        crate::storage::logged_reads::record(read, doc_id, reader, at, |entries| {
            self.log_reads(entries)
        })
    }

    fn apply_hr_edit(
        &self,
        doc_id: &str,
        edit: &HrEdit,
        editor: &HrEditor,
        at: i64,
    ) -> StorageResult<HrEditOutcome> {
        hr_edits::apply(&mut self.conn(), doc_id, edit, editor, at)
    }

    fn restricted_registrations(
        &self,
        events: Option<&[String]>,
        reader: &Accessor,
        at: i64,
        limit: u32,
    ) -> StorageResult<Vec<RegistrationSummary>> {
        let rows = self.read(|conn| restricted_inbox::list(conn, events, limit))?;
        let removed = self.log_reads(&super::logged_reads::listed(&rows, reader, at))?;
        Ok(rows
            .into_iter()
            .filter(|row| !removed.contains(&row.id))
            .collect())
    }
}

impl LifecycleStore for SqliteStore {
    fn removal(&self, doc_id: &str) -> StorageResult<Option<Removal>> {
        self.read(|conn| {
            Ok(conn
                .query_row(
                    "SELECT event_id, restricted, removed_at, reason FROM removals
                     WHERE doc_id = ?1",
                    [doc_id],
                    |r| {
                        Ok(Removal {
                            event_id: r.get(0)?,
                            restricted: r.get(1)?,
                            removed_at: r.get(2)?,
                            reason: r.get(3)?,
                        })
                    },
                )
                .optional()?)
        })
    }

    fn remove_registration(
        &self,
        doc_id: &str,
        reason: &str,
        by: &Accessor,
        at: i64,
    ) -> StorageResult<RemovalOutcome> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        let outcome = retention::remove_in(&tx, doc_id, reason, by, at)?;
        if outcome == RemovalOutcome::Removed {
            // Written ahead of the commit, so no restore can bring the record back.
            lifecycle_journal::record(
                self.lifecycle.as_ref(),
                &[lifecycle_journal::removal_entry(&tx, doc_id)?],
            )?;
            tx.commit()?;
            retention::truncate_wal(&conn)?;
        }
        Ok(outcome)
    }

    // ---- Records lifecycle: retention, legal hold, withdrawal.
    fn retention_rules(&self) -> StorageResult<Vec<AppliedRule>> {
        let events = self.read(retention::events_with_records)?;
        events
            .into_iter()
            .map(|event_id| self.retention_rule(event_id))
            .collect()
    }

    fn retention_due(&self, as_of: i64) -> StorageResult<Vec<RetentionDue>> {
        let rules = self.retention_rules()?;
        self.read(|conn| {
            rules
                .into_iter()
                .map(|rule| {
                    let (due, held) = retention::due_count(conn, &rule, as_of)?;
                    Ok(RetentionDue { rule, due, held })
                })
                .collect()
        })
    }

    fn record_retention(&self, doc_id: &str) -> StorageResult<Option<RecordRetention>> {
        let Some((event_id, received_at)) =
            self.read(|conn| retention::received_at(conn, doc_id))?
        else {
            return Ok(None);
        };
        let rule = self.retention_rule(event_id)?;
        self.read(|conn| {
            Ok(Some(RecordRetention {
                received_at,
                due_at: rule.due_at(received_at),
                rule,
                legal_hold: retention::legal_hold(conn, doc_id)?,
                talent_pool_withdrawn_at: retention::withdrawn_at(conn, doc_id)?,
            }))
        })
    }

    fn change_legal_hold(
        &self,
        doc_id: &str,
        hold: bool,
        reason: &str,
        by: &str,
        at: i64,
    ) -> StorageResult<HoldChange> {
        retention::change_legal_hold(
            &mut self.conn(),
            self.lifecycle.as_ref(),
            doc_id,
            hold,
            reason,
            by,
            at,
        )
    }

    fn legal_holds(&self) -> StorageResult<Vec<LegalHold>> {
        self.read(retention::legal_holds)
    }

    fn legal_hold_history(&self, doc_id: &str) -> StorageResult<Vec<HoldHistoryEntry>> {
        self.read(|conn| retention::legal_hold_history(conn, doc_id))
    }

    fn withdraw_talent_pool(
        &self,
        doc_id: &str,
        by: &Accessor,
        by_name: &str,
        at: i64,
    ) -> StorageResult<WithdrawalOutcome> {
        retention::withdraw_talent_pool(
            &mut self.conn(),
            self.lifecycle.as_ref(),
            doc_id,
            by,
            by_name,
            at,
        )
    }

    fn start_retention_run(
        &self,
        by: &str,
        at: i64,
    ) -> StorageResult<Result<RetentionRun, RetentionRun>> {
        // Rules are read before the store is taken: reading an event may take it too.
        let rules = self.retention_rules()?;
        retention::start_run(&mut self.conn(), by, at, &rules)
    }

    fn retention_run_step(&self, run_id: i64, batch: usize, at: i64) -> StorageResult<RunStep> {
        // Background work: a batch lets waiting pushes and HR writes have the writer first.
        self.turn.after_waiting_writes();
        retention::run_step(
            &mut self.conn(),
            self.lifecycle.as_ref(),
            run_id,
            batch,
            at,
            &|| self.turn.writes_wait(),
        )
    }

    fn retention_run(&self, run_id: i64) -> StorageResult<Option<RetentionRun>> {
        self.read(|conn| retention::run(conn, run_id))
    }

    fn retention_runs(&self, limit: u32) -> StorageResult<Vec<RetentionRun>> {
        self.read(|conn| retention::runs(conn, limit))
    }

    fn unfinished_retention_run(&self) -> StorageResult<Option<RetentionRun>> {
        self.read(retention::unfinished_run)
    }

    // ---- Records lifecycle: subject access and disclosure.
    fn subject_access(
        &self,
        lookup: &SubjectLookup,
        cleared: bool,
        reader: &Accessor,
        at: i64,
    ) -> StorageResult<SubjectAccessFound> {
        let owed =
            self.read(|conn| subject_access::subject_access(conn, lookup, cleared, reader, at))?;
        let removed = self.log_reads_with(&owed.entries, |tx| {
            subject_access::route_withheld(tx, at, "subject_access", reader, &owed.withheld)
        })?;
        let mut found = owed.found;
        // Removed since the read: left out, as a record removed before it would be.
        found
            .records
            .retain(|(record, _)| !removed.contains(&record.doc_id));
        Ok(found)
    }

    fn disclosure(
        &self,
        selection: &DisclosureSelection,
        cleared: bool,
        reader: &Accessor,
        at: i64,
    ) -> StorageResult<DisclosureOutcome> {
        let owed =
            self.read(|conn| subject_access::disclosure(conn, selection, cleared, reader, at))?;
        let removed = self.log_reads_with(&owed.entries, |tx| {
            subject_access::route_withheld(tx, at, "disclosure", reader, &owed.withheld)
        })?;
        let DisclosureOutcome::Items(items) = owed.found else {
            return Ok(owed.found);
        };
        // Removed since the read: answered as a record removed before it would be (by its
        // removal record when asked for by name; left out of an event's range).
        let mut answered = Vec::with_capacity(items.len());
        for item in items {
            match item {
                DisclosureItem::Held { asked, record } if removed.contains(&record.doc_id) => {
                    if let DisclosureSelection::Records(_) = selection {
                        answered.push(match self.removal(&record.doc_id)? {
                            Some(removal) => DisclosureItem::Removed {
                                asked,
                                removed_at: removal.removed_at,
                                reason: removal.reason,
                            },
                            None => DisclosureItem::NotHeld { asked },
                        });
                    }
                }
                other => answered.push(other),
            }
        }
        Ok(DisclosureOutcome::Items(answered))
    }

    // ---- Records lifecycle: reconciliation.
    fn reconciliation_tally(&self, event_id: &str) -> StorageResult<EventTally> {
        reconciliation::event_tally(&mut *self.reader()?, event_id)
    }
}

impl AccessLogStore for SqliteStore {
    fn log_access(&self, entry: &AccessEntry) -> StorageResult<()> {
        let mut conn = self.conn_first();
        let tx = conn.transaction()?;
        access_log::append(&tx, std::slice::from_ref(entry))?;
        tx.commit()?;
        Ok(())
    }

    fn verify_access_log(&self) -> StorageResult<AccessLogVerdict> {
        self.read(access_log::verify)
    }

    fn access_log_entry_hash(&self, seq: u64) -> StorageResult<Option<[u8; 32]>> {
        self.read(|conn| access_log::entry_hash_at(conn, seq))
    }

    fn access_log_entries(
        &self,
        after_seq: u64,
        limit: usize,
    ) -> StorageResult<Vec<(u64, AccessEntry)>> {
        self.read(|conn| access_log::entries(conn, after_seq, limit))
    }

    fn query_access_log(&self, query: &AccessLogQuery) -> StorageResult<Vec<(u64, AccessEntry)>> {
        self.read(|conn| access_log_query::query(conn, query))
    }

    // ---- Records lifecycle: access-log retention.
    fn access_log_horizon(&self) -> StorageResult<Option<AccessLogHorizon>> {
        self.read(access_log_retention::horizon)
    }

    fn prune_access_log(
        &self,
        older_than: i64,
        rule: &str,
        now: i64,
    ) -> StorageResult<AccessLogPruning> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        let pruning = access_log_retention::prune(&tx, older_than, rule, now)?;
        tx.commit()?;
        Ok(pruning)
    }
}

impl QuarantineStore for SqliteStore {
    fn quarantined_captures(
        &self,
        before: Option<u64>,
        limit: u32,
    ) -> StorageResult<Vec<QuarantinedCapture>> {
        self.read(|conn| quarantine_review::list(conn, before, limit))
    }

    fn quarantined_capture(&self, id: u64) -> StorageResult<Option<(QuarantinedCapture, Vec<u8>)>> {
        self.read(|conn| quarantine_review::one(conn, id))
    }

    fn review_quarantined(
        &self,
        id: u64,
        action: &ReviewAction,
        reason: &str,
        reviewer: &str,
        by: &Accessor,
        at: i64,
    ) -> StorageResult<ReviewOutcome> {
        quarantine_review::record(&mut self.conn(), id, action, reason, reviewer, by, at)
    }
}

/// Keeps a certificate envelope of `device_key` issued at `issued_at` inside `tx`
/// (the rules of [`DeviceStore::redeem_and_keep_certificate`]).
fn keep_certificate_in(
    tx: &rusqlite::Transaction<'_>,
    device_key: &[u8; 32],
    issued_at: i64,
    envelope: &[u8],
) -> StorageResult<()> {
    tx.execute(
        "INSERT INTO device_certificates (device_key, issued_at, envelope)
         VALUES (?1, ?2, ?3) ON CONFLICT (device_key, issued_at) DO NOTHING",
        params![device_key.as_slice(), issued_at, envelope],
    )?;
    // The oldest beyond the bound go (none while fewer are kept: the bound reads NULL).
    tx.execute(
        "DELETE FROM device_certificates WHERE device_key = ?1 AND issued_at <
             (SELECT issued_at FROM device_certificates WHERE device_key = ?1
              ORDER BY issued_at DESC LIMIT 1 OFFSET ?2)",
        params![
            device_key.as_slice(),
            crate::storage::model::CERTIFICATES_KEPT_PER_DEVICE as i64 - 1
        ],
    )?;
    Ok(())
}
