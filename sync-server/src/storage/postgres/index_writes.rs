//! The list index rows the writes of ingest and quarantine review keep current, in their own
//! transactions (as the SQLite store's `registration_index`): a stored capture's row and a
//! staff tablet's edit re-indexed. A capture's list fields are read from its document
//! before its transaction takes the sequencer
//! ([`crate::storage::RegistrationListing::read`], which reads no database).
//!
//! The index's watermark (`registration_index_state`) is not written: it serves the SQLite
//! store's catch-up at open for files an older build wrote, and a PostgreSQL store has
//! indexed at every write since its first version. Writing it would also make its one row
//! a second lock every ingest of every instance queues on.
//!
//! The names and the search text are sealed under the record's key
//! ([`super::record_keys`]); the email address is kept as its tag ([`super::email_tags`]);
//! the codes, times and flags lists filter by stay in clear.

use postgres::Transaction;
use postgres::types::Type;

use super::email_tags::EmailTags;
use super::record_keys::key_of;
use super::record_seal::{Field, RecordKey};
use super::stored_records::stored_registration;
use crate::storage::RegistrationListing as Listing;
use crate::storage::{StorageError, StorageResult};

/// Writes (or rewrites) the index row of `doc_id` from `listing`, inside the caller's write
/// transaction. A withdrawal recorded for the record wins over the listing's consent.
pub(super) fn write_listing(
    tx: &mut Transaction<'_>,
    tags: EmailTags,
    key: &RecordKey,
    doc_id: &str,
    receipt_code: &str,
    listing: &Listing,
) -> StorageResult<()> {
    write_listings(tx, tags, &[(doc_id, receipt_code, listing.clone(), key)])
}

/// [`write_listing`] for several records (document id, receipt code, listing, the record's
/// key; each record once) in one statement: a sync request's new captures.
pub(super) fn write_listings(
    tx: &mut Transaction<'_>,
    tags: EmailTags,
    listings: &[(&str, &str, Listing, &RecordKey)],
) -> StorageResult<()> {
    if listings.is_empty() {
        return Ok(());
    }
    let text = |f: for<'l> fn(&'l (&'l str, &'l str, Listing, &'l RecordKey)) -> &'l str| {
        listings.iter().map(f).collect::<Vec<_>>()
    };
    let sealed = |seal: fn(&(&str, &str, Listing, &RecordKey)) -> Vec<u8>| {
        listings.iter().map(seal).collect::<Vec<Vec<u8>>>()
    };
    let searches = sealed(|(doc_id, receipt_code, listing, key)| {
        let search = format!("{} {}", listing.search, receipt_code.to_lowercase());
        key.seal(doc_id, Field::Search, search.as_bytes())
    });
    let given_names = sealed(|(doc_id, _, listing, key)| {
        key.seal(doc_id, Field::GivenName, listing.given_name.as_bytes())
    });
    let family_names = sealed(|(doc_id, _, listing, key)| {
        key.seal(doc_id, Field::FamilyName, listing.family_name.as_bytes())
    });
    let email_tags: Vec<Option<Vec<u8>>> = listings
        .iter()
        .map(|(_, _, listing, _)| tags.tag(&listing.email))
        .collect();
    let captured_at: Vec<i64> = listings.iter().map(|(_, _, l, _)| l.captured_at).collect();
    let restricted: Vec<bool> = listings.iter().map(|(_, _, l, _)| l.restricted).collect();
    let consent: Vec<bool> = listings
        .iter()
        .map(|(_, _, l, _)| l.talent_pool_consent)
        .collect();
    tx.execute_typed(
        "INSERT INTO registration_index (doc_id, event_id, captured_at, restricted, talent_pool,
                                         status, interests, locations, receipt_code,
                                         given_name, family_name, search, email_tag)
         SELECT u.doc_id, u.event_id, u.captured_at, u.restricted,
                u.consent AND NOT EXISTS (SELECT 1 FROM talent_pool_withdrawals w
                                          WHERE w.doc_id = u.doc_id),
                u.status, u.interests, u.locations, u.receipt_code,
                u.given_name, u.family_name, u.search, u.email_tag
         FROM UNNEST($1::TEXT[], $2::TEXT[], $3::BIGINT[], $4::BOOLEAN[], $5::BOOLEAN[],
                     $6::TEXT[], $7::TEXT[], $8::TEXT[], $9::TEXT[], $10::BYTEA[],
                     $11::BYTEA[], $12::BYTEA[], $13::BYTEA[])
              AS u (doc_id, event_id, captured_at, restricted, consent, status, interests,
                    locations, receipt_code, given_name, family_name, search, email_tag)
         ON CONFLICT (doc_id) DO UPDATE SET
             status = excluded.status, restricted = excluded.restricted,
             talent_pool = excluded.talent_pool, search = excluded.search,
             email_tag = excluded.email_tag",
        &[
            (&text(|(doc_id, _, _, _)| doc_id), Type::TEXT_ARRAY),
            (&text(|(_, _, l, _)| &l.event_id), Type::TEXT_ARRAY),
            (&captured_at, Type::INT8_ARRAY),
            (&restricted, Type::BOOL_ARRAY),
            (&consent, Type::BOOL_ARRAY),
            (&text(|(_, _, l, _)| &l.status), Type::TEXT_ARRAY),
            (&text(|(_, _, l, _)| &l.interests), Type::TEXT_ARRAY),
            (&text(|(_, _, l, _)| &l.locations), Type::TEXT_ARRAY),
            (
                &text(|(_, receipt_code, _, _)| receipt_code),
                Type::TEXT_ARRAY,
            ),
            (&given_names, Type::BYTEA_ARRAY),
            (&family_names, Type::BYTEA_ARRAY),
            (&searches, Type::BYTEA_ARRAY),
            (&email_tags, Type::BYTEA_ARRAY),
        ],
    )?;
    Ok(())
}

/// Re-indexes `doc_id` from what the store holds of it now (its row goes if it holds
/// nothing), inside the caller's write transaction: for a staff tablet's edit.
pub(super) fn index_one(
    tx: &mut Transaction<'_>,
    tags: EmailTags,
    doc_id: &str,
) -> StorageResult<()> {
    let receipt_code: Option<String> = tx
        .query_typed_opt(
            "SELECT receipt_code FROM registrations WHERE doc_id = $1",
            &[(&doc_id, Type::TEXT)],
        )?
        .map(|row| row.try_get(0))
        .transpose()?;
    let (Some(receipt_code), Some(stored)) = (receipt_code, stored_registration(tx, doc_id)?)
    else {
        tx.execute_typed(
            "DELETE FROM registration_index WHERE doc_id = $1",
            &[(&doc_id, Type::TEXT)],
        )?;
        return Ok(());
    };
    let key = key_of(tx, doc_id)?.ok_or(StorageError::Undecodable("record key"))?;
    // The capture followed by every later change, in the order they were stored.
    if let Some(listing) = Listing::read(doc_id, &stored.changes) {
        write_listing(tx, tags, &key, doc_id, &receipt_code, &listing)?;
    }
    Ok(())
}
