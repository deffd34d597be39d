//! The store's read connections: a small, bounded pool of connections to the same file that
//! only read (`PRAGMA query_only`). In WAL mode a reader sees the last commit made before
//! its read began and never waits for the writer, so HR's lists, searches and reads go on
//! while an ingest transaction is open, and ingest never waits for them.
//!
//! Connections are opened when first needed, up to [`READERS`], and kept. A caller that
//! finds every one taken waits for one to come back, at most [`CHECKOUT_WAIT`]; then it
//! gets a "busy" error (as SQLite's own busy timeout gives), so a stuck reader cannot hang
//! every request behind it.

use std::path::PathBuf;
use std::sync::{Condvar, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use rusqlite::{Connection, OpenFlags, ffi};

use crate::storage::{StorageError, StorageResult};

/// At most this many read connections per store: enough for the HR requests that run at
/// once on a 2-core relay, few enough that each keeps a warm page cache.
pub(super) const READERS: usize = 4;

/// How much of the file a reader maps into memory.
const READER_MMAP_BYTES: i64 = 1 << 30;

/// How long a read waits for a free connection before it is answered "busy".
pub(super) const CHECKOUT_WAIT: Duration = super::BUSY_TIMEOUT;

#[derive(Debug)]
pub(super) struct ReadPool {
    path: PathBuf,
    state: Mutex<PoolState>,
    /// Signalled when a connection comes back (or a slot frees up).
    returned: Condvar,
    size: usize,
    wait: Duration,
}

#[derive(Debug)]
struct PoolState {
    idle: Vec<Connection>,
    /// Connections open, idle or checked out.
    open: usize,
}

/// A read connection, given back to its pool when dropped.
pub(super) struct Pooled<'a> {
    pool: &'a ReadPool,
    conn: Option<Connection>,
}

impl ReadPool {
    pub(super) fn new(path: PathBuf, size: usize, wait: Duration) -> ReadPool {
        ReadPool {
            path,
            state: Mutex::new(PoolState {
                idle: Vec::new(),
                open: 0,
            }),
            returned: Condvar::new(),
            size: size.max(1),
            wait,
        }
    }

    fn lock(&self) -> MutexGuard<'_, PoolState> {
        // Every change of the state is whole before the lock is let go.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// A free read connection: an idle one, a new one while fewer than the bound are open,
    /// or else the first one given back within the wait.
    pub(super) fn checkout(&self) -> StorageResult<Pooled<'_>> {
        let deadline = Instant::now() + self.wait;
        let mut state = self.lock();
        loop {
            if let Some(conn) = state.idle.pop() {
                return Ok(Pooled {
                    pool: self,
                    conn: Some(conn),
                });
            }
            if state.open < self.size {
                state.open += 1;
                drop(state);
                // Opened outside the lock: others may take idle connections meanwhile.
                return match self.open_reader() {
                    Ok(conn) => Ok(Pooled {
                        pool: self,
                        conn: Some(conn),
                    }),
                    Err(e) => {
                        self.lock().open -= 1;
                        self.returned.notify_one();
                        Err(e)
                    }
                };
            }
            let now = Instant::now();
            if now >= deadline {
                return Err(StorageError::Sqlite(rusqlite::Error::SqliteFailure(
                    ffi::Error::new(ffi::SQLITE_BUSY),
                    Some("no read connection came free in time".to_owned()),
                )));
            }
            state = self
                .returned
                .wait_timeout(state, deadline - now)
                .unwrap_or_else(PoisonError::into_inner)
                .0;
        }
    }

    /// Opens the first connection now and reads the schema through it (which opens the WAL
    /// and its index), so a file that readers cannot read fails the store's open rather
    /// than the first read.
    pub(super) fn warm(&self) -> StorageResult<()> {
        let reader = self.checkout()?;
        let _: i64 = reader.query_row("SELECT COUNT(*) FROM sqlite_schema", [], |r| r.get(0))?;
        Ok(())
    }

    fn open_reader(&self) -> StorageResult<Connection> {
        // Read-write at the file level (a WAL reader writes its marks in the `-shm`), but
        // refusing every write: the writer connection is the only one that writes.
        let conn = Connection::open_with_flags(
            &self.path,
            OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        // A reader waits only while the WAL is recovered or truncated.
        conn.busy_timeout(super::BUSY_TIMEOUT)?;
        conn.pragma_update(None, "query_only", "ON")?;
        // Every commit by the writer empties a reader's page cache at its next read; mapped
        // pages are read again without a copy.
        conn.pragma_update(None, "mmap_size", READER_MMAP_BYTES)?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        Ok(conn)
    }

    fn give_back(&self, conn: Connection) {
        let mut state = self.lock();
        // A read that ended inside a transaction (a panic mid-read) leaves the connection
        // holding a snapshot; it is closed rather than handed to the next caller.
        if conn.is_autocommit() {
            state.idle.push(conn);
        } else {
            state.open -= 1;
            drop(state);
            drop(conn);
        }
        self.returned.notify_one();
    }

    /// Connections open now (idle or checked out), for tests of the bound.
    #[cfg(test)]
    pub(super) fn open_count(&self) -> usize {
        self.lock().open
    }
}

impl std::ops::Deref for Pooled<'_> {
    type Target = Connection;
    fn deref(&self) -> &Connection {
        self.conn.as_ref().expect("held until dropped")
    }
}

impl std::ops::DerefMut for Pooled<'_> {
    fn deref_mut(&mut self) -> &mut Connection {
        self.conn.as_mut().expect("held until dropped")
    }
}

impl Drop for Pooled<'_> {
    fn drop(&mut self) {
        if let Some(conn) = self.conn.take() {
            self.pool.give_back(conn);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pool(size: usize, wait: Duration) -> (tempfile::TempDir, ReadPool) {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("relay.sqlite3");
        let store = crate::storage::SqliteStore::open(&path).expect("store");
        drop(store);
        (dir, ReadPool::new(path, size, wait))
    }

    #[test]
    fn a_reader_refuses_to_write() {
        let (_dir, pool) = pool(1, Duration::from_secs(1));
        let reader = pool.checkout().expect("a reader");
        let written = reader.execute("DELETE FROM devices", []);
        assert!(written.is_err(), "a reader wrote");
    }

    #[test]
    fn the_pool_opens_no_more_than_its_bound_and_a_checkout_past_it_is_answered_busy() {
        let (_dir, pool) = pool(2, Duration::from_millis(1));
        let first = pool.checkout().expect("first");
        let second = pool.checkout().expect("second");
        let third = pool.checkout().err().expect("no third connection");
        assert!(third.is_locked(), "{third}");
        assert_eq!(pool.open_count(), 2);
        drop(first);
        // The one given back is reused, not a new one opened.
        let again = pool.checkout().expect("the first again");
        assert_eq!(pool.open_count(), 2);
        drop((second, again));
    }

    #[test]
    fn a_waiting_checkout_gets_the_connection_given_back() {
        let (_dir, pool) = pool(1, Duration::from_secs(60));
        let held = pool.checkout().expect("held");
        std::thread::scope(|scope| {
            let waiter = scope.spawn(|| pool.checkout().map(|_| ()));
            // Given back while the other thread waits (or before it asks: then it finds the
            // connection idle); either way it gets this one, and no second is opened.
            drop(held);
            waiter.join().expect("joins").expect("a reader");
        });
        assert_eq!(pool.open_count(), 1);
    }
}
