//! The store suite ([`crate::storage::suite`]) run against the SQLite store twice: in
//! memory (which cannot be reopened), and as a file in a temporary directory (which is
//! reopened for the restart tests).

use super::SqliteStore;
use crate::storage::RelayStore;
use crate::storage::suite::{Reopening, TestStore};

/// A fresh store in a file of its own temporary directory.
fn file_store() -> TestStore {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = SqliteStore::open(&dir.path().join("relay.sqlite3")).expect("opens");
    TestStore::keeping(store, dir)
}

/// Opens the same file in a temporary directory on every call.
fn reopened_file_store() -> Reopening {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("relay.sqlite3");
    Reopening::new(
        move || Box::new(SqliteStore::open(&path).expect("opens")) as Box<dyn RelayStore>,
        dir,
    )
}

mod in_memory {
    use super::*;

    crate::storage::suite::store_suite! {
        fresh: TestStore::new(SqliteStore::in_memory().expect("store")),
        reopen: none,
    }
}

mod in_a_file {
    use super::*;

    crate::storage::suite::store_suite! {
        fresh: file_store(),
        reopen: reopened_file_store(),
    }
}
