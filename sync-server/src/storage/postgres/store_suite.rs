//! The store suite ([`crate::storage::suite`]) run against the PostgreSQL store, each test
//! on a new database of this test process's cluster ([`super::test_cluster`]); the
//! reopening tests open the same database again, as a restarted relay (or a second
//! instance) would.

use super::PgStore;
use super::test_cluster::fresh_database_url;
use crate::storage::RelayStore;
use crate::storage::suite::{Reopening, TestStore};

/// The store at `url`, tagging addresses as a relay instance with its keys does.
fn open_with_keys(url: &str) -> PgStore {
    let store = PgStore::open(url).expect("opens");
    store
        .use_email_tags(crate::storage::email_tag_secret(
            &ed25519_dalek::SigningKey::from_bytes(&[0x5A; 32]),
        ))
        .expect("tags addresses");
    store
}

/// A store on a new, empty database.
fn fresh_store() -> TestStore {
    TestStore::new(open_with_keys(&fresh_database_url()))
}

/// Opens the same new database on every call.
fn reopened_store() -> Reopening {
    let url = fresh_database_url();
    Reopening::new(
        move || Box::new(open_with_keys(&url)) as Box<dyn RelayStore>,
        (),
    )
}

crate::storage::suite::store_suite! {
    fresh: fresh_store(),
    reopen: reopened_store(),
}
