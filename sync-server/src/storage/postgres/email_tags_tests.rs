//! Email tags on PostgreSQL ([`super::email_tags`]): rows written without the relay's keys
//! are tagged when an instance starts with them, a list finds a whole address by its tag
//! only while every row is tagged (and by its parts meanwhile), and no tag is the address.

use super::PgStore;
use super::email_tags::{EmailTags, usable};
use super::test_cluster::fresh_database_url;
use crate::storage::suite::fixtures::{generated, push_registrations};
use crate::storage::suite::registrations::search;
use crate::storage::traits::LifecycleStore;
use crate::storage::{Accessor, SubjectLookup, email_tag_secret, ingest_generated_for_tests};

fn connect(url: &str) -> postgres::Client {
    postgres::Client::connect(url, postgres::NoTls).expect("connects")
}

fn secret(seed: u8) -> [u8; 32] {
    email_tag_secret(&ed25519_dalek::SigningKey::from_bytes(&[seed; 32]))
}

fn untagged(url: &str) -> i64 {
    connect(url)
        .query_one(
            "SELECT count(*) FROM registration_index WHERE email_tag IS NULL",
            &[],
        )
        .expect("counts")
        .get(0)
}

#[test]
fn rows_written_without_the_relay_keys_are_tagged_once_an_instance_has_them() {
    let url = fresh_database_url();
    // An admin command or an older relay: no keys, so nothing is tagged.
    let keyless = PgStore::open(&url).expect("opens");
    let registrations = ingest_generated_for_tests(&keyless, 30);
    assert_eq!(untagged(&url), 30);
    let visitor = registrations
        .iter()
        .find(|r| r.person.email.is_some() && !r.restricted)
        .expect("an open record's visitor with an address");
    let address = visitor.person.email.clone().expect("an address");
    let id = visitor.id.to_string();
    // Found by its parts meanwhile: the tags are not used while any row lacks one.
    assert!(!usable(&mut connect(&url), keyless.email_tags()).expect("asks"));
    assert_eq!(search(&keyless, &address), std::slice::from_ref(&id));

    let instance = PgStore::open(&url).expect("an instance opens");
    assert_eq!(instance.use_email_tags(secret(7)).expect("tags"), 30);
    assert_eq!(untagged(&url), 0);
    assert_eq!(instance.use_email_tags(secret(7)).expect("again"), 0);
    assert!(
        instance.use_email_tags(secret(8)).is_err(),
        "one store tags under one secret"
    );
    assert!(usable(&mut connect(&url), instance.email_tags()).expect("asks"));
    assert_eq!(
        search(&instance, &address.to_uppercase()),
        std::slice::from_ref(&id)
    );

    // Each row's tag is its address's under the secret (empty without one), and no tag
    // holds the address.
    let tags = EmailTags::with_secret(secret(7));
    for registration in &registrations {
        let stored: Vec<u8> = connect(&url)
            .query_one(
                "SELECT email_tag FROM registration_index WHERE doc_id = $1",
                &[&registration.id.to_string()],
            )
            .expect("a row")
            .get(0);
        let address = registration
            .person
            .email
            .as_deref()
            .unwrap_or("")
            .trim()
            .to_lowercase();
        assert_eq!(Some(stored.clone()), tags.tag(&address));
        assert_eq!(stored.len(), if address.is_empty() { 0 } else { 32 });
        if !address.is_empty() {
            assert!(!stored.windows(3).any(|w| address.as_bytes().starts_with(w)));
        }
    }
}

/// Two registrations of one address, one of them untagged (written by an older instance)
/// or unknown (its record unreadable to tag): lists and subject access find both, by
/// opening rows, rather than the tagged one alone.
#[test]
fn an_untagged_or_unknown_row_keeps_address_searches_from_the_tags_until_it_is_tagged() {
    for left_as in ["NULL", "'\\x00'::BYTEA"] {
        let url = fresh_database_url();
        let store = PgStore::open(&url).expect("opens");
        store.use_email_tags(secret(7)).expect("tags");
        ingest_generated_for_tests(&store, 10);
        let mut twins = generated(2, 41);
        for twin in &mut twins {
            twin.restricted = false;
            twin.person.email = Some("twin@example.se".into());
        }
        push_registrations(&store, &twins);
        let mut both: Vec<String> = twins.iter().map(|t| t.id.to_string()).collect();
        both.sort();
        connect(&url)
            .execute(
                &format!("UPDATE registration_index SET email_tag = {left_as} WHERE doc_id = $1"),
                &[&both[0]],
            )
            .expect("leaves one untagged");
        assert!(!usable(&mut connect(&url), store.email_tags()).expect("asks"));
        let mut listed = search(&store, "twin@example.se");
        listed.sort();
        assert_eq!(listed, both, "{left_as}");
        let mut found: Vec<String> = store
            .subject_access(
                &SubjectLookup::Email("twin@example.se".into()),
                true,
                &Accessor::Operator("hr:arvid".into()),
                10,
            )
            .expect("finds")
            .records
            .iter()
            .map(|(r, _)| r.doc_id.clone())
            .collect();
        found.sort();
        assert_eq!(found, both, "{left_as}");
        // Tagged again (an unknown row only once it can be read; this one can): by tag.
        if left_as == "NULL" {
            assert_eq!(store.use_email_tags(secret(7)).expect("tags"), 1);
            assert!(usable(&mut connect(&url), store.email_tags()).expect("asks"));
            let mut listed = search(&store, "twin@example.se");
            listed.sort();
            assert_eq!(listed, both);
        }
    }
}

/// A subject-access request by email proposes its candidates by tag, never opening any
/// row's sealed search text (here made unreadable, which a scan would fail on).
#[test]
fn a_subject_access_by_email_finds_its_records_by_tag_without_opening_every_row() {
    let url = fresh_database_url();
    let store = PgStore::open(&url).expect("opens");
    store.use_email_tags(secret(7)).expect("tags");
    let registrations = ingest_generated_for_tests(&store, 20);
    let visitor = registrations
        .iter()
        .find(|r| r.person.email.is_some() && !r.restricted)
        .expect("an open record's visitor with an address");
    let address = visitor.person.email.clone().expect("an address");
    connect(&url)
        .execute("UPDATE registration_index SET search = '\\x00'::BYTEA", &[])
        .expect("spoils the search text");
    let found = store
        .subject_access(
            &SubjectLookup::Email(address.to_lowercase()),
            true,
            &Accessor::Operator("hr:arvid".into()),
            10,
        )
        .expect("finds by tag");
    let ids: Vec<String> = found
        .records
        .iter()
        .map(|(r, _)| r.doc_id.clone())
        .collect();
    assert!(ids.contains(&visitor.id.to_string()), "{ids:?}");
}
