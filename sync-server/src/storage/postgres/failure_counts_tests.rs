//! Rate limits on PostgreSQL across relay instances: two [`PgStore`]s of one database are
//! two instances, each with its own limiters, as each relay process has; a count made
//! through one limits the other. Also the schema step that brought the counts.

use std::net::{IpAddr, Ipv4Addr};

use super::PgStore;
use super::schema;
use super::test_cluster::fresh_database_url;
use crate::enrollment::{FailureLimiter, MAX_FAILURES_PER_WINDOW};
use crate::hr::sessions::LoginLimiter;
use crate::keys::RelayKeys;

/// Every instance of one store holds the same relay keys.
fn keys() -> RelayKeys {
    RelayKeys::from_seeds([21; 32], [22; 32])
}

fn two_instances() -> (PgStore, PgStore, String) {
    let url = fresh_database_url();
    let one = PgStore::open(&url).expect("opens");
    let other = PgStore::open(&url).expect("a second instance");
    (one, other, url)
}

#[test]
fn a_login_failure_counted_through_one_instance_limits_the_other() {
    let (one, other, _) = two_instances();
    let (on_one, on_other) = (LoginLimiter::new(&keys()), LoginLimiter::new(&keys()));
    let attempt = |limiter: &LoginLimiter, store: &PgStore, username: &str, address: &str| {
        limiter
            .begin_attempt(store, username, address, 1_000)
            .expect("counted")
    };
    // Five failures for one username, alternating instances (and addresses).
    for n in 0..5 {
        let (limiter, store) = if n % 2 == 0 {
            (&on_one, &one)
        } else {
            (&on_other, &other)
        };
        assert!(attempt(limiter, store, "anna", &format!("10.0.0.{n}")).is_ok());
    }
    assert_eq!(
        attempt(&on_one, &one, "anna", "10.0.1.1"),
        Err(900),
        "the sixth is refused through the first instance"
    );
    assert_eq!(
        attempt(&on_other, &other, "anna", "10.0.1.2"),
        Err(900),
        "and through the second"
    );
    // A success forgiven through one instance is forgiven for both.
    on_other
        .forgive(&other, "anna", "10.0.0.1")
        .expect("forgiven");
    assert!(attempt(&on_one, &one, "anna", "10.0.0.1").is_ok());
    assert!(attempt(&on_other, &other, "anna", "10.0.0.1").is_err());

    // Twenty failures from one address, under twenty usernames, split over the instances.
    for n in 0..20 {
        let (limiter, store) = if n < 10 {
            (&on_one, &one)
        } else {
            (&on_other, &other)
        };
        assert!(attempt(limiter, store, &format!("user{n}"), "2001:db8:5::1").is_ok());
    }
    assert!(
        attempt(&on_one, &one, "someone", "2001:db8:5::2").is_err(),
        "the address (its /64) is full on both instances"
    );
}

#[test]
fn an_enrollment_failure_counted_through_one_instance_limits_the_other() {
    let (one, other, _) = two_instances();
    let (on_one, on_other) = (FailureLimiter::new(&keys()), FailureLimiter::new(&keys()));
    let address = IpAddr::V4(Ipv4Addr::new(192, 0, 2, 7));
    for _ in 0..MAX_FAILURES_PER_WINDOW {
        assert!(on_one.begin_attempt(&one, address, 0).expect("counted"));
    }
    assert!(
        !on_other.begin_attempt(&other, address, 1).expect("asked"),
        "the other instance refuses the eleventh"
    );
    on_one.forgive(&one, address).expect("forgiven");
    assert!(on_other.begin_attempt(&other, address, 2).expect("counted"));
    assert!(!on_one.begin_attempt(&one, address, 3).expect("asked"));
}

#[test]
fn attempts_at_once_through_two_instances_are_counted_up_to_the_maximum_only() {
    let (one, other, _) = two_instances();
    let address = IpAddr::V4(Ipv4Addr::new(198, 51, 100, 9));
    let start = std::sync::Barrier::new(8);
    let counted: usize = std::thread::scope(|scope| {
        let threads: Vec<_> = (0..8)
            .map(|n| {
                let store = if n % 2 == 0 { &one } else { &other };
                let start = &start;
                scope.spawn(move || {
                    let limiter = FailureLimiter::new(&keys());
                    start.wait();
                    (0..5)
                        .filter(|_| limiter.begin_attempt(store, address, 0).expect("asked"))
                        .count()
                })
            })
            .collect();
        threads
            .into_iter()
            .map(|t| t.join().expect("no panic"))
            .sum()
    });
    assert_eq!(counted, MAX_FAILURES_PER_WINDOW as usize);
}

#[test]
fn stored_counts_name_no_username_or_address_and_expired_ones_are_pruned() {
    use crate::storage::FailureCountStore;
    let (one, _, url) = two_instances();
    let limiter = LoginLimiter::new(&keys());
    limiter
        .begin_attempt(&one, "anna.andersson", "192.0.2.77", 0)
        .expect("counted")
        .expect("under the limit");
    FailureLimiter::new(&keys())
        .begin_attempt(&one, IpAddr::V4(Ipv4Addr::new(192, 0, 2, 77)), 0)
        .expect("counted");
    let mut client = postgres::Client::connect(&url, postgres::NoTls).expect("connects");
    let rows = client
        .query(
            "SELECT scope, subject FROM failure_counts ORDER BY scope",
            &[],
        )
        .expect("reads");
    let scopes: Vec<String> = rows.iter().map(|r| r.get(0)).collect();
    assert_eq!(scopes, ["enrollment", "login-address", "login-user"]);
    for row in &rows {
        let subject: Vec<u8> = row.get(1);
        assert_eq!(subject.len(), 32);
        for clear in ["anna", "192.0.2.77"] {
            assert!(
                !subject.windows(clear.len()).any(|w| w == clear.as_bytes()),
                "{clear} stored"
            );
        }
    }
    // The login windows (15 minutes) outlast the enrollment one (a minute).
    assert_eq!(one.prune_failure_counts(60_000).expect("prunes"), 1);
    assert_eq!(one.prune_failure_counts(15 * 60_000).expect("prunes"), 2);
    let left: i64 = client
        .query_one("SELECT count(*) FROM failure_counts", &[])
        .expect("counts")
        .get(0);
    assert_eq!(left, 0);
}

/// A database a relay of schema version 1 made is brought to the current version with the
/// tables the shared limits and daily jobs need, the same as a new database gets.
#[test]
fn a_version_1_database_is_upgraded_to_hold_failure_counts_and_daily_runs_as_a_new_one_does() {
    let old = fresh_database_url();
    let mut client = postgres::Client::connect(&old, postgres::NoTls).expect("connects");
    schema::upgrade_to(&mut client, "test", 1).expect("version 1");
    let has = |client: &mut postgres::Client, table: &str| -> bool {
        client
            .query_one("SELECT to_regclass($1) IS NOT NULL", &[&table])
            .expect("asks")
            .get(0)
    };
    assert!(!has(&mut client, "failure_counts"));
    let upgraded = PgStore::open(&old).expect("upgrades");
    assert!(has(&mut client, "failure_counts"));
    assert!(has(&mut client, "daily_job_runs"));
    let version: i64 = client
        .query_one("SELECT version FROM kiosk_relay_schema", &[])
        .expect("reads")
        .get(0);
    assert_eq!(version, i64::from(schema::CURRENT_VERSION));

    let fresh = fresh_database_url();
    drop(PgStore::open(&fresh).expect("opens"));
    let layout = |url: &str| -> Vec<(String, String, String, String)> {
        postgres::Client::connect(url, postgres::NoTls)
            .expect("connects")
            .query(
                "SELECT c.relname, a.attname, format_type(a.atttypid, a.atttypmod),
                        a.attnotnull::text
                 FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
                 JOIN pg_namespace n ON n.oid = c.relnamespace
                 WHERE n.nspname = current_schema() AND a.attnum > 0 AND NOT a.attisdropped
                 ORDER BY 1, 2",
                &[],
            )
            .expect("reads")
            .iter()
            .map(|r| (r.get(0), r.get(1), r.get(2), r.get(3)))
            .collect()
    };
    assert_eq!(layout(&old), layout(&fresh));
    // And it counts.
    assert!(
        LoginLimiter::new(&keys())
            .begin_attempt(&upgraded, "anna", "10.0.0.1", 0)
            .expect("counted")
            .is_ok()
    );
}
