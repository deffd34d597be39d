//! What only the PostgreSQL backend can show: its migrations, the sequencer's commit order,
//! and errors that name no stored values.

use std::sync::mpsc;

use super::schema::{self, CURRENT_VERSION};
use super::test_cluster::fresh_database_url;
use super::{PgStore, take_commit_number};
use crate::storage::StorageError;

fn connect(url: &str) -> postgres::Client {
    postgres::Client::connect(url, postgres::NoTls).expect("connects")
}

fn stored_version(url: &str) -> i64 {
    connect(url)
        .query_one("SELECT version FROM kiosk_relay_schema WHERE id = 1", &[])
        .expect("version row")
        .get(0)
}

#[test]
fn a_new_database_gets_the_current_version_and_opening_it_again_changes_nothing() {
    let url = fresh_database_url();
    let store = PgStore::open(&url).expect("opens");
    assert_eq!(stored_version(&url), i64::from(CURRENT_VERSION));
    let epoch: Vec<u8> = connect(&url)
        .query_one("SELECT epoch FROM relay_state WHERE id = 1", &[])
        .expect("state row")
        .get(0);
    drop(store);
    // Migrating twice is a no-op: the same version, the same epoch, no step run again (a
    // second CREATE TABLE would fail).
    PgStore::open(&url).expect("opens again");
    let mut client = connect(&url);
    schema::upgrade(&mut client, "test").expect("a second upgrade does nothing");
    assert_eq!(stored_version(&url), i64::from(CURRENT_VERSION));
    let again: Vec<u8> = client
        .query_one("SELECT epoch FROM relay_state WHERE id = 1", &[])
        .expect("state row")
        .get(0);
    assert_eq!(again, epoch);
    assert_eq!(epoch.len(), 16);
}

#[test]
fn a_database_a_newer_relay_wrote_is_refused_naming_both_versions_and_left_untouched() {
    let url = fresh_database_url();
    drop(PgStore::open(&url).expect("opens"));
    let newer = i64::from(CURRENT_VERSION) + 1;
    connect(&url)
        .execute("UPDATE kiosk_relay_schema SET version = $1", &[&newer])
        .expect("fakes a newer relay");
    let error = PgStore::open(&url).expect_err("refused");
    match &error {
        StorageError::NewerSchema {
            path,
            found,
            supported,
        } => {
            assert_eq!(i64::from(*found), newer);
            assert_eq!(*supported, CURRENT_VERSION);
            assert!(path.starts_with("postgres://postgres@127.0.0.1:"), "{path}");
        }
        other => panic!("expected NewerSchema, got {other:?}"),
    }
    let message = error.to_string();
    assert!(
        message.contains(&format!("schema version {newer}")),
        "{message}"
    );
    assert!(
        message.contains(&format!("up to {CURRENT_VERSION}")),
        "{message}"
    );
    assert_eq!(stored_version(&url), newer);
}

#[test]
fn a_database_holding_another_applications_tables_is_refused() {
    let url = fresh_database_url();
    connect(&url)
        .batch_execute("CREATE TABLE invoices (id BIGINT PRIMARY KEY)")
        .expect("a foreign table");
    match PgStore::open(&url) {
        Err(StorageError::NotARelayStore { .. }) => {}
        other => panic!("expected NotARelayStore, got {other:?}"),
    }
    let relay_tables: i64 = connect(&url)
        .query_one(
            "SELECT count(*) FROM pg_tables WHERE tablename IN ('relay_state', 'kiosk_relay_schema')",
            &[],
        )
        .expect("counts")
        .get(0);
    assert_eq!(relay_tables, 0);
}

#[test]
fn instances_opening_one_new_database_at_once_migrate_it_once() {
    let url = fresh_database_url();
    let stores: Vec<_> = std::thread::scope(|scope| {
        let opening: Vec<_> = (0..4)
            .map(|_| scope.spawn(|| PgStore::open(&url)))
            .collect();
        opening
            .into_iter()
            .map(|handle| handle.join().expect("no panic"))
            .collect()
    });
    for store in stores {
        store.expect("every instance opens");
    }
    assert_eq!(stored_version(&url), i64::from(CURRENT_VERSION));
}

#[test]
fn the_schema_has_every_sqlite_table() {
    let url = fresh_database_url();
    drop(PgStore::open(&url).expect("opens"));
    let sqlite = crate::storage::sqlite::schema::in_memory();
    let mut statement = sqlite
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")
        .expect("prepares");
    let sqlite_tables: Vec<String> = statement
        .query_map([], |r| r.get(0))
        .expect("queries")
        .collect::<Result<_, _>>()
        .expect("reads");
    let mut client = connect(&url);
    for table in sqlite_tables {
        let present: bool = client
            .query_one("SELECT to_regclass($1) IS NOT NULL", &[&table])
            .expect("asks")
            .get(0);
        assert!(present, "table {table} is missing on PostgreSQL");
    }
}

/// A numbered commit that has taken its number holds the sequencer: another one waits for
/// it and takes the next number only after the first is visible, so a reader never sees
/// a higher number before a lower one.
#[test]
fn a_numbered_commit_waits_for_the_one_before_it_to_be_visible() {
    let url = fresh_database_url();
    let store = PgStore::open(&url).expect("opens");
    let second_store = PgStore::open(&url).expect("a second instance");
    let (took, took_rx) = mpsc::channel();
    let (release, release_rx) = mpsc::channel::<()>();
    std::thread::scope(|scope| {
        let store = &store;
        let first = scope.spawn(move || {
            store.write(|tx| {
                let seq = take_commit_number(tx)?;
                tx.execute(
                    "INSERT INTO talent_pool_withdrawals (doc_id, withdrawn_at, recorded_by, commit_seq)
                     VALUES ('first', 0, 'test', $1)",
                    &[&(seq as i64)],
                )?;
                took.send(seq).expect("sends");
                release_rx.recv().expect("released");
                Ok(seq)
            })
        });
        let first_seq = took_rx.recv().expect("the first took a number");
        let second = scope.spawn(|| {
            second_store.write_numbered(|tx, seq| {
                // What this transaction can see once it has its number: the first's row.
                let seen: i64 = tx
                    .query_one(
                        "SELECT count(*) FROM talent_pool_withdrawals WHERE doc_id = 'first'",
                        &[],
                    )?
                    .get(0);
                Ok((seq, seen))
            })
        });
        // Bounded poll: the second waits on the sequencer's row lock.
        let mut observer = connect(&url);
        let mut waiting = false;
        for _ in 0..2_000 {
            let locked: i64 = observer
                .query_one(
                    "SELECT count(*) FROM pg_stat_activity
                     WHERE datname = current_database() AND wait_event_type = 'Lock'",
                    &[],
                )
                .expect("asks")
                .get(0);
            if locked > 0 {
                waiting = true;
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
        assert!(
            waiting,
            "the second numbered write did not wait for the first"
        );
        let visible: i64 = observer
            .query_one("SELECT commit_seq FROM relay_state WHERE id = 1", &[])
            .expect("reads")
            .get(0);
        assert_eq!(
            visible,
            first_seq as i64 - 1,
            "no number is visible before its commit"
        );
        release.send(()).expect("releases");
        let first_seq = first.join().expect("no panic").expect("commits");
        let (second_seq, seen) = second.join().expect("no panic").expect("commits");
        assert_eq!(second_seq, first_seq + 1);
        assert_eq!(
            seen, 1,
            "the higher number's transaction sees the lower one's rows"
        );
    });
}

#[test]
fn a_refused_statement_names_its_constraint_but_not_the_values_it_carried() {
    let url = fresh_database_url();
    let store = PgStore::open(&url).expect("opens");
    let insert = |tx: &mut postgres::Transaction<'_>| -> crate::storage::StorageResult<()> {
        tx.execute(
            "INSERT INTO legal_holds (doc_id, reason, set_by, set_at)
             VALUES ('doc', 'Anna Andersson asked', 'hr', 0)",
            &[],
        )?;
        Ok(())
    };
    store.write(insert).expect("the first is stored");
    let error = store.write(insert).expect_err("a duplicate is refused");
    let message = error.to_string();
    assert!(message.contains("23505"), "{message}");
    assert!(message.contains("legal_holds"), "{message}");
    assert!(!message.contains("doc)"), "{message}");
    assert!(!message.contains("Anna"), "{message}");
    match &error {
        StorageError::Postgres(failure) => assert!(failure.is_unique_violation()),
        other => panic!("expected a PostgreSQL error, got {other:?}"),
    }
}

#[test]
fn an_event_written_through_one_instance_is_read_through_another_with_a_cached_copy() {
    use crate::storage::traits::EventStore;
    let url = fresh_database_url();
    let one = PgStore::open(&url).expect("opens");
    let other = PgStore::open(&url).expect("a second instance");
    let mut event = kiosk_core::demo::demo_event();
    one.put_event(&event).expect("stored");
    // The other instance reads it, and caches it.
    assert_eq!(
        other.event(&event.id).expect("reads").expect("there").venue,
        event.venue
    );
    event.venue = "Another hall".into();
    one.put_event(&event).expect("changed");
    assert_eq!(
        other.event(&event.id).expect("reads").expect("there").venue,
        "Another hall"
    );
}

/// The relay's sessions read committed and give up on stuck locks and idle transactions,
/// whatever defaults the database was given: an access-log append and a numbered write
/// rely on reading after their lock, which a snapshot isolation would break.
#[test]
fn sessions_keep_the_relays_settings_over_the_databases_defaults() {
    let url = fresh_database_url();
    let name = url.rsplit('/').next().expect("a database name").to_owned();
    connect(&url)
        .batch_execute(&format!(
            "ALTER DATABASE {name} SET default_transaction_isolation = 'serializable';
             ALTER DATABASE {name} SET lock_timeout = 0;
             ALTER DATABASE {name} SET idle_in_transaction_session_timeout = 0"
        ))
        .expect("defaults set");
    let store = PgStore::open(&url).expect("opens");
    let mut client = store.client().expect("a connection");
    let setting = |client: &mut postgres::Client, name: &str| -> String {
        client
            .query_one(&format!("SHOW {name}"), &[])
            .expect("shows")
            .get(0)
    };
    assert_eq!(
        setting(&mut client, "default_transaction_isolation"),
        "read committed"
    );
    assert_eq!(setting(&mut client, "lock_timeout"), "15s");
    assert_eq!(
        setting(&mut client, "idle_in_transaction_session_timeout"),
        "30s"
    );
    // Appends from two threads at once still chain under the database's serializable
    // default.
    std::thread::scope(|scope| {
        for thread in 0..2 {
            let store = &store;
            scope.spawn(move || {
                for n in 0..20 {
                    crate::storage::AccessLogStore::log_access(
                        store,
                        &crate::storage::AccessEntry {
                            at: n,
                            accessor: crate::storage::Accessor::Operator(format!("reader{thread}")),
                            action: crate::storage::AccessAction::Read,
                            doc_id: format!("doc-{thread}-{n}"),
                        },
                    )
                    .expect("appended");
                }
            });
        }
    });
    let verdict = crate::storage::AccessLogStore::verify_access_log(&store).expect("verifies");
    assert_eq!(verdict.broken_at, None);
    assert_eq!(verdict.entries, 40);
}

/// `url` asking for TLS checked against the CA certificate in `ca`.
fn over_tls(url: &str, ca: &std::path::Path) -> String {
    format!("{url}?sslmode=verify-full&sslrootcert={}", ca.display())
}

#[test]
fn a_url_asking_for_tls_gets_every_connection_encrypted_and_the_certificate_checked() {
    let cluster = super::test_cluster::cluster();
    let url = over_tls(&fresh_database_url(), &cluster.ca_certificate());
    let store = PgStore::open(&url).expect("opens over TLS");
    assert!(store.target().ends_with("(TLS)"), "{}", store.target());
    // A pooled connection: the server sees it encrypted.
    let encrypted: bool = store
        .client()
        .expect("a pooled connection")
        .query_one(
            "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()",
            &[],
        )
        .expect("ssl state")
        .get(0);
    assert!(encrypted);
    // By name too: the certificate is for localhost as well as 127.0.0.1.
    let by_name = url.replace("127.0.0.1", "localhost");
    PgStore::open(&by_name).expect("opens over TLS by host name");
}

#[test]
fn a_database_whose_certificate_the_relay_cannot_verify_is_refused_naming_the_certificate() {
    let url = fresh_database_url();
    // Checked against the public web roots (no sslrootcert): the test CA is not one of them.
    let unverified = format!("{url}?sslmode=require");
    let error = PgStore::open(&unverified).expect_err("an unknown issuer is refused");
    let said = error.to_string();
    assert!(said.contains("cannot connect to"), "{said}");
    assert!(said.to_lowercase().contains("certificate"), "{said}");
    // Against another CA: refused the same way.
    let dir = tempfile::tempdir().expect("tempdir");
    let other_ca = dir.path().join("other-ca.pem");
    let key = rcgen::KeyPair::generate().expect("key");
    let mut params = rcgen::CertificateParams::new(Vec::new()).expect("params");
    params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    std::fs::write(&other_ca, params.self_signed(&key).expect("CA").pem()).expect("written");
    let error = PgStore::open(&over_tls(&url, &other_ca)).expect_err("another CA is refused");
    assert!(
        error.to_string().to_lowercase().contains("certificate"),
        "{error}"
    );
}

/// A database the previous version (4) made, with an enrolled tablet and an unused code, is
/// brought to the current version: both keep their rows without a name, and the tablet can
/// then be named.
#[test]
fn a_version_4_database_is_upgraded_to_name_its_tablets_and_keeps_them() {
    use crate::storage::prelude::*;
    let url = fresh_database_url();
    let mut client = connect(&url);
    schema::upgrade_to(&mut client, "test", 4).expect("version 4");
    client
        .batch_execute(
            "INSERT INTO devices (device_key, event_id, role, recruiter, enrolled_with,
                                  certified_at, expires_at, last_seq, chain_count, chain_head)
             VALUES ('\\x0202020202020202020202020202020202020202020202020202020202020202',
                     'demo-event', 'kiosk', NULL, '\\x00', 10, 99999, 4, 0, '\\x00');
             INSERT INTO enrollment_codes (lookup, answer_secret, event_id, role, recruiter,
                                           expires_at, max_uses, created_at)
             VALUES ('\\x01', '\\x01', 'demo-event', 'kiosk', NULL, 99999, 1, 5);",
        )
        .expect("rows in the version 4 schema");
    assert_eq!(stored_version(&url), 4);

    let store = PgStore::open(&url).expect("upgrades");

    assert_eq!(stored_version(&url), i64::from(CURRENT_VERSION));
    let device = store.device(&[2; 32]).expect("reads").expect("kept");
    assert_eq!((device.last_seq, device.name), (4, None));
    assert!(
        store
            .rename_device(&[2; 32], Some("Kiosk 1, Göteborg"))
            .expect("renames")
    );
    let device = store.device(&[2; 32]).expect("reads").expect("kept");
    assert_eq!(device.name.as_deref(), Some("Kiosk 1, Göteborg"));
    let code_name: Option<String> = client
        .query_one("SELECT name FROM enrollment_codes", &[])
        .expect("the code is kept")
        .get(0);
    assert_eq!(code_name, None);
}
