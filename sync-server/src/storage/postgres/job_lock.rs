//! One relay instance at a time for a job (the retention run): a PostgreSQL session-level
//! advisory lock, held on a connection of the instance's own that also does the job's
//! writes.
//!
//! Why a session lock: it ends with its connection. An instance that dies (killed, its
//! machine gone, its network cut) loses its connection and with it the lock, and nothing
//! is left to expire or clean up: the next instance that asks gets it and carries the job
//! on from the state the job keeps in its rows. Why the job's writes go through the same
//! connection: a write can then commit only while its session, and so the lock, is alive; a
//! connection that died between two steps cannot commit a third behind another instance's
//! back. The connection is not from the pool (a pooled one would carry the lock on to
//! whatever borrowed it next): it is opened on the first step and closed when the job ends,
//! which also releases the lock.
//!
//! A dead machine's connection is noticed by the server through TCP keepalives: the lock's
//! session asks for probes after [`KEEPALIVE_IDLE_S`] seconds, so another instance can take
//! the job over within about a minute rather than the operating system's default two hours.

use std::sync::{Mutex, MutexGuard};

use postgres::Client;

use crate::storage::StorageResult;

use super::PgFailure;

/// Idle seconds before the server probes the lock's connection, the probe interval and
/// count, and how long unacknowledged data may wait (ms): a dead holder's lock goes
/// within about a minute.
const KEEPALIVE_IDLE_S: u32 = 20;
const KEEPALIVE_INTERVAL_S: u32 = 10;
const KEEPALIVE_COUNT: u32 = 3;
const USER_TIMEOUT_MS: u32 = 60_000;

/// A job that runs on one instance at a time, named by its advisory-lock key.
pub(crate) struct JobLock {
    key: i64,
    /// What the job is called in the error another instance gets.
    name: &'static str,
    /// The connection holding the lock, while this instance carries the job; the mutex
    /// also keeps this instance's own calls one at a time.
    held: Mutex<Option<Client>>,
}

impl Drop for JobLock {
    /// The lock's connection, if still held, is closed off the async runtime.
    fn drop(&mut self) {
        let held = self
            .held
            .get_mut()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .take();
        drop(held.map(super::off_runtime::DropOffRuntime::new));
    }
}

impl std::fmt::Debug for JobLock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JobLock")
            .field("name", &self.name)
            // Not waited for: a step may be holding the mutex.
            .field(
                "held",
                &self.held.try_lock().map(|held| held.is_some()).ok(),
            )
            .finish()
    }
}

/// What asking for the job's lock gave.
pub(crate) enum Turn<'a> {
    /// This instance holds the lock: the job's work goes through this connection.
    Mine(Holding<'a>),
    /// Another instance carries the job.
    Elsewhere,
}

/// The lock held, with its connection.
pub(crate) struct Holding<'a> {
    guard: MutexGuard<'a, Option<Client>>,
}

impl Holding<'_> {
    /// The connection that holds the lock.
    pub(crate) fn client(&mut self) -> &mut Client {
        self.guard
            .as_mut()
            .unwrap_or_else(|| unreachable!("a holding always has its connection"))
    }

    /// Ends this instance's turn: the connection closes and the lock with it.
    pub(crate) fn release(mut self) {
        self.guard.take();
    }
}

impl JobLock {
    pub(crate) fn new(key: i64, name: &'static str) -> JobLock {
        JobLock {
            key,
            name,
            held: Mutex::new(None),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Option<Client>> {
        self.held
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Whether this instance holds the lock now (as far as it knows: a connection cut a
    /// moment ago is found out by the next step).
    #[cfg(test)]
    pub(crate) fn is_held(&self) -> bool {
        self.lock()
            .as_ref()
            .is_some_and(|client| !client.is_closed())
    }

    /// The lock as this instance holds it now, without asking for it: `None` if it does not
    /// hold it, or its connection is known to be closed (the lock went with it).
    pub(crate) fn holding(&self) -> Option<Holding<'_>> {
        let mut guard = self.lock();
        if guard.as_ref().is_some_and(Client::is_closed) {
            guard.take();
        }
        guard.is_some().then_some(Holding { guard })
    }

    /// This instance's turn at the job: the lock it holds already, or taken now if no
    /// other instance holds it (never waited for: the caller tries again later).
    pub(crate) fn turn(
        &self,
        config: &postgres::Config,
        connector: &super::transport::Connector,
    ) -> StorageResult<Turn<'_>> {
        let mut guard = self.lock();
        // A connection the server ended (its session killed, the server restarted) may not
        // know it yet: one round trip finds out, so the step asks for the lock again rather
        // than failing on a connection that no longer holds it.
        if let Some(client) = guard.as_mut()
            && (client.is_closed() || client.is_valid(super::CONNECTION_WAIT).is_err())
        {
            guard.take();
        }
        if guard.is_none() {
            let mut client = config.connect(connector.clone())?;
            client.batch_execute(&format!(
                "SET tcp_keepalives_idle = {KEEPALIVE_IDLE_S};
                 SET tcp_keepalives_interval = {KEEPALIVE_INTERVAL_S};
                 SET tcp_keepalives_count = {KEEPALIVE_COUNT};
                 SET tcp_user_timeout = {USER_TIMEOUT_MS}"
            ))?;
            let taken: bool = client
                .query_one("SELECT pg_try_advisory_lock($1)", &[&self.key])?
                .try_get(0)?;
            if !taken {
                // Closing the connection here: it holds nothing.
                return Ok(Turn::Elsewhere);
            }
            *guard = Some(client);
        }
        Ok(Turn::Mine(Holding { guard }))
    }

    /// The error a step gets while another instance carries the job: contention, so
    /// nothing was done and trying again later can succeed (the other instance may be
    /// finished, or gone, by then).
    pub(crate) fn elsewhere_error(&self) -> crate::storage::StorageError {
        crate::storage::StorageError::Postgres(PgFailure::contention(format!(
            "another relay instance is carrying the {} on; this one takes it over if that \
             one stops",
            self.name
        )))
    }
}
