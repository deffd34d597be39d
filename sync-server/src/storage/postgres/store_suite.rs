//! The store suite ([`crate::storage::suite`]) run against the PostgreSQL store, each test
//! on a new database of this test process's cluster ([`super::test_cluster`]); the
//! reopening tests open the same database again, as a restarted relay (or a second
//! instance) would.

use super::PgStore;
use super::test_cluster::fresh_database_url;
use crate::storage::RelayStore;
use crate::storage::suite::{Reopening, TestStore};

/// A store on a new, empty database.
fn fresh_store() -> TestStore {
    TestStore::new(PgStore::open(&fresh_database_url()).expect("opens"))
}

/// Opens the same new database on every call.
fn reopened_store() -> Reopening {
    let url = fresh_database_url();
    Reopening::new(
        move || Box::new(PgStore::open(&url).expect("opens")) as Box<dyn RelayStore>,
        (),
    )
}

crate::storage::suite::store_suite! {
    fresh: fresh_store(),
    reopen: reopened_store(),
}
