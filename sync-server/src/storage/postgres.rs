//! The relay store on PostgreSQL, for several relay instances sharing one database. Chosen
//! with a `postgres://` database URL; SQLite stays the default.
//!
//! **Connections.** The store traits are blocking and called on the blocking pool, so the
//! synchronous `postgres` client fits; connections come from a bounded `r2d2` pool
//! ([`POOL_SIZE`], waiting at most [`CONNECTION_WAIT`] for one). Every write is one
//! transaction ([`PgStore::write`]); reads that must agree with each other run in one
//! read-only REPEATABLE READ transaction ([`PgStore::read`]).
//!
//! **Commit order.** A staff tablet's pull cursor and the backup watermark are commit
//! numbers, and both assume that once a number is visible every lower one is too. With
//! concurrent transactions that does not hold by itself: a transaction can take number 7,
//! then commit after one that took 8, and a pull that saw 8 moves its cursor past 7 for
//! good. So numbers come from one sequencer: the single `relay_state` row.
//! [`PgStore::write_numbered`] takes the next number with `UPDATE relay_state SET
//! commit_seq = commit_seq + 1 ... RETURNING` as the transaction's first statement; the
//! row lock is held to the commit, so the next numbering transaction (of any instance)
//! waits there until this one has committed, and PostgreSQL releases the lock only after
//! the commit is visible. Numbered commits are thus serialized in number order; writes that
//! number nothing (accounts, credentials, events) do not take the sequencer and run
//! concurrently. Taking it first also fixes the lock order (no deadlock between a numbered
//! write and another over the sequencer). What this costs is one numbered commit at a time
//! across all instances (an instance's own queue up in the process first, see
//! [`PgStore::numbering_turn`]); group commit within an instance (several sync requests in
//! one transaction) would amortise it. It is the simple design that is correct, where
//! bounding cursors by the snapshot horizon (`pg_snapshot_xmin`) would allow parallel
//! commits.
//!
//! **Caches.** An instance keeps events it read with their `revision` (raised by every
//! write of the document) and uses a cached copy only while the stored revision is the one
//! it read, so an event written through one instance is what the others serve next.
//!
//! **Jobs and limits.** The retention run and the daily access-log checkpoint run on one
//! instance at a time under session advisory locks ([`job_lock`]); rate-limit counts are
//! rows every instance counts in (`failure_counts.rs`).
//!
//! **What differs from SQLite.** There is no file: backup, restore, the backup watermark
//! file and the lifecycle journal beside the database are the SQLite store's; on
//! PostgreSQL the operator's own backup and replication routines cover the database, and
//! the operator moves the backup watermark and the epoch around them ([`backup_marks`]).
//!
//! One file per store trait (`events.rs`, `devices.rs`, ...), SQL and row mapping only;
//! [`schema`] owns every table.

mod access_log;
mod accounts;
mod backup_marks;
mod blind_index;
#[cfg(test)]
mod capture_check_tests;
mod capture_rows;
mod cosignatures;
mod daily_jobs;
#[cfg(test)]
mod daily_jobs_tests;
mod devices;
mod email_tags;
#[cfg(test)]
mod email_tags_tests;
mod erasure;
#[cfg(test)]
mod erasure_tests;
mod error;
mod events;
mod failure_counts;
#[cfg(test)]
mod failure_counts_tests;
mod hr_edits;
mod index_writes;
mod ingest;
mod job_lock;
mod lifecycle;
#[cfg(test)]
mod lifecycle_tests;
mod off_runtime;
mod pull;
mod quarantine;
mod read_log;
mod reconciliation;
mod record_keys;
mod record_seal;
mod registration_index;
mod registrations;
#[cfg(test)]
mod registrations_tests;
mod relay_keys;
mod restricted_inbox;
mod retention_runs;
mod rows;
pub(crate) mod schema;
mod seal_existing;
#[cfg(test)]
mod store_suite;
mod stored_records;
mod subject_access;
mod sync;
#[cfg(test)]
mod sync_tests;
#[cfg(any(test, feature = "test-support"))]
pub mod test_cluster;
#[cfg(test)]
mod tests;
mod tlog;
mod transport;
mod visitor_receipt;

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use postgres::{IsolationLevel, Transaction};
use r2d2_postgres::PostgresConnectionManager;

use crate::storage::{StorageError, StorageResult};

pub use error::PgFailure;

/// At most this many connections per relay instance: the database's `max_connections`
/// must cover this times the instances, plus the operator's own.
pub const POOL_SIZE: u32 = 16;

/// How long a store call waits for a free connection (and a new connection for the
/// server) before it fails; the same bound as SQLite's busy timeout.
pub const CONNECTION_WAIT: Duration = Duration::from_secs(10);

type Pool = r2d2::Pool<PostgresConnectionManager<transport::Connector>>;
type Pooled = r2d2::PooledConnection<PostgresConnectionManager<transport::Connector>>;

/// The relay store on a PostgreSQL database.
pub struct PgStore {
    /// Closed off the async runtime when the store is dropped ([`off_runtime`]).
    pool: off_runtime::DropOffRuntime<Pool>,
    /// The database as errors name it: the URL without its password.
    target: String,
    /// Events as last read or written, with the revision they were read at.
    events: Mutex<HashMap<String, events::CachedEvent>>,
    /// This instance's numbered writes queue here, one at a time, before they take a
    /// connection: they run one at a time at the sequencer anyway, and a queue of them
    /// waiting on its row lock would hold pooled connections idle and have the database
    /// hand the lock on from waiter to waiter.
    numbering: Mutex<()>,
    /// How to connect, for a job's own connection (see [`job_lock`]).
    config: postgres::Config,
    connector: transport::Connector,
    /// The retention run, carried by one instance at a time.
    retention_job: job_lock::JobLock,
    /// The daily access-log checkpoint, written by one instance a day.
    checkpoint_job: job_lock::JobLock,
    /// What addresses are tagged under, once an instance has its relay keys
    /// ([`email_tags`]).
    email_tag_secret: std::sync::OnceLock<[u8; 32]>,
}

impl std::fmt::Debug for PgStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgStore")
            .field("target", &self.target)
            .finish_non_exhaustive()
    }
}

/// Whether `url` names a PostgreSQL database (rather than an SQLite file).
pub fn is_postgres_url(url: &str) -> bool {
    url.starts_with("postgres://") || url.starts_with("postgresql://")
}

/// Settings of every session, whatever the database's or role's defaults say:
/// - READ COMMITTED for writes: an append reads the access log's head after taking the chain
///   lock, and a numbered write reads after taking the sequencer; a snapshot taken before
///   those would be stale (reads ask for REPEATABLE READ themselves);
/// - a session that stays idle inside a transaction for 30 s (a relay frozen or cut off
///   mid-write) is ended by the server, so the sequencer and the locks it holds come free
///   for the other instances;
/// - a lock waited for longer than 15 s gives up with an error the caller answers as busy;
/// - the server probes a silent client every 10 s after 30 s, and gives up after 3 misses.
const SESSION_SETTINGS: &str = "-c default_transaction_isolation=read\\ committed \
     -c idle_in_transaction_session_timeout=30000 -c lock_timeout=15000 \
     -c tcp_keepalives_idle=30 -c tcp_keepalives_interval=10 -c tcp_keepalives_count=3";

/// How long the relay's side lets a connection stay silent before it probes the server.
const KEEPALIVE_IDLE: Duration = Duration::from_secs(30);

impl PgStore {
    /// Connects to the database at `url` and brings its schema to this build's version,
    /// refusing a database a newer relay wrote or one of another application.
    pub fn open(url: &str) -> StorageResult<PgStore> {
        let transport::Transport {
            mut config,
            connector,
            tls,
        } = transport::from_url(url).map_err(|why| StorageError::Postgres(PgFailure::new(why)))?;
        let target = match tls {
            true => format!("{} (TLS)", describe(&config)),
            false => describe(&config),
        };
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(CONNECTION_WAIT);
        }
        if config.get_application_name().is_none() {
            config.application_name("kiosk-relay");
        }
        let options = match config.get_options() {
            Some(theirs) => format!("{theirs} {SESSION_SETTINGS}"),
            None => SESSION_SETTINGS.to_owned(),
        };
        config.options(&options);
        config.keepalives(true);
        config.keepalives_idle(KEEPALIVE_IDLE);
        // One connection of its own first: its error says why the server could not be
        // reached (the pool's would only say that it timed out), and it migrates.
        let mut first = config.connect(connector.clone()).map_err(|e| {
            StorageError::Postgres(PgFailure::new(format!(
                "cannot connect to {target}: {}",
                PgFailure::from(&e)
            )))
        })?;
        schema::upgrade(&mut first, &target)?;
        drop(first);
        let manager = PostgresConnectionManager::new(config.clone(), connector.clone());
        let pool = r2d2::Pool::builder()
            .max_size(POOL_SIZE)
            .min_idle(Some(1))
            .connection_timeout(CONNECTION_WAIT)
            .build(manager)
            .map_err(|e| {
                StorageError::Postgres(PgFailure::new(format!("cannot connect to {target}: {e}")))
            })?;
        Ok(PgStore {
            pool: off_runtime::DropOffRuntime::new(pool),
            target,
            events: Mutex::new(HashMap::new()),
            numbering: Mutex::new(()),
            config,
            connector,
            retention_job: job_lock::JobLock::new(
                retention_runs::RETENTION_RUN_LOCK,
                "retention run",
            ),
            checkpoint_job: job_lock::JobLock::new(
                daily_jobs::ACCESS_CHECKPOINT_LOCK,
                "daily access-log checkpoint",
            ),
            email_tag_secret: std::sync::OnceLock::new(),
        })
    }

    /// The database as errors and logs name it (no password).
    pub fn target(&self) -> &str {
        &self.target
    }

    /// A connection from the pool.
    pub(crate) fn client(&self) -> StorageResult<Pooled> {
        Ok(self.pool.get()?)
    }

    /// Runs `read` in one read-only transaction: every query in it sees one snapshot.
    pub(crate) fn read<T>(
        &self,
        read: impl FnOnce(&mut Transaction<'_>) -> StorageResult<T>,
    ) -> StorageResult<T> {
        let mut client = self.client()?;
        let mut tx = client
            .build_transaction()
            .isolation_level(IsolationLevel::RepeatableRead)
            .read_only(true)
            .start()?;
        let value = read(&mut tx)?;
        tx.commit()?;
        Ok(value)
    }

    /// Runs `write` in one transaction, committed when it returns `Ok` and rolled back
    /// when it returns an error. For writes that number nothing; a write that stores
    /// numbered records (changes, removals, withdrawals) uses [`PgStore::write_numbered`].
    pub(crate) fn write<T>(
        &self,
        write: impl FnOnce(&mut Transaction<'_>) -> StorageResult<T>,
    ) -> StorageResult<T> {
        let mut client = self.client()?;
        let mut tx = client.transaction()?;
        let value = write(&mut tx)?;
        tx.commit()?;
        Ok(value)
    }

    /// Runs `write` in one transaction that first takes the next commit number from the
    /// sequencer (see the module doc), holding it until the commit: `write` gets the number
    /// to store its records under.
    // Ingest, removals and withdrawals (still placeholders) number their records.
    #[cfg_attr(not(test), allow(dead_code))]
    pub(crate) fn write_numbered<T>(
        &self,
        write: impl FnOnce(&mut Transaction<'_>, u64) -> StorageResult<T>,
    ) -> StorageResult<T> {
        let _turn = self.numbering_turn();
        self.write(|tx| {
            let seq = take_commit_number(tx)?;
            write(tx, seq)
        })
    }

    /// This instance's turn to take the sequencer, held until the numbered commit ends
    /// (see [`PgStore::numbering`]); taken before a connection.
    pub(crate) fn numbering_turn(&self) -> std::sync::MutexGuard<'_, ()> {
        self.numbering
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// Takes the next commit number; the sequencer row stays locked until `tx` ends.
pub(crate) fn take_commit_number(tx: &mut Transaction<'_>) -> StorageResult<u64> {
    let seq: i64 = tx
        .query_typed_one(
            "UPDATE relay_state SET commit_seq = commit_seq + 1 WHERE id = 1
             RETURNING commit_seq",
            &[],
        )?
        .try_get(0)?;
    rows::unsigned(seq, "commit number")
}

/// `postgres://user@host:port/dbname`, without a password, for errors and logs.
fn describe(config: &postgres::Config) -> String {
    let host = config
        .get_hosts()
        .first()
        .map(|host| match host {
            postgres::config::Host::Tcp(name) => name.clone(),
            postgres::config::Host::Unix(path) => path.display().to_string(),
        })
        .unwrap_or_else(|| "localhost".to_owned());
    let port = config.get_ports().first().copied().unwrap_or(5432);
    format!(
        "postgres://{}@{host}:{port}/{}",
        config.get_user().unwrap_or(""),
        config.get_dbname().unwrap_or("")
    )
}
