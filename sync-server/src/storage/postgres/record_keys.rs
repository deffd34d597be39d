//! Crypto-shredding on PostgreSQL: every personal byte of a record the relay keeps is sealed
//! ([`super::record_seal`]) under a random key of that record alone, held in `record_keys`
//! (one row per record id), and removing the record deletes that row in the removal's own
//! transaction. PostgreSQL has no `secure_delete`: a deleted row stays in its table file as
//! a dead tuple until VACUUM (and its space is not wiped even then), and its bytes are in
//! the WAL, its archive, streaming replicas and base backups. What is there of a removed
//! record is sealed, and its key is gone from the live database; see the README's "What
//! removal means on PostgreSQL" for what still holds the key.
//!
//! **The map**: where a record's personal data lives, and how.
//!
//! | table.column | holds | kept as |
//! |---|---|---|
//! | `registrations.document` | the capture (everything the visitor typed) | sealed |
//! | `registration_changes.change` | staff tablets' and HR's notes, ratings, status | sealed (bound to the change's hash) |
//! | `quarantine.payload` | a capture kept apart for review | sealed |
//! | `registration_index.given_name`, `family_name` | names a list shows | sealed |
//! | `registration_index.search` | lower-case names, email, phone, receipt code | sealed; searched in the relay |
//! | `record_keys.key` | the record's key | deleted with the record |
//!
//! Not personal data by itself, kept in clear: record ids, event ids, device keys, change
//! hashes, the capture's signature (over sealed bytes, it tells nothing of them), times,
//! flags and status, the list index's interest and location codes (codes an event's form
//! offers, the same for many visitors), and the receipt code (a random code the visitor
//! holds; it names nobody without the record, and is looked up by equality). The access
//! log, removal records, legal holds, retention runs and quarantine reviews hold ids and
//! operators' reasons, not the visitor's data; subject access and the restricted inbox read
//! the sealed columns above and store nothing of their own (`restricted_requests` keeps
//! record ids only). Events' documents describe events, not visitors; the `hr_*` tables
//! hold HR's own users, not records.
//!
//! A record's key is made when anything of it is first stored (a capture stored, or
//! quarantined), read with the rows it opens (joined by id), and never logged or shown. A
//! removal ([`super::erasure`]) deletes it with the record's rows, in one transaction;
//! then the key table is rewritten ([`PgStore::rewrite_record_keys`]) so the deleted key
//! leaves the table's file as well, and its column is never sampled into `pg_statistic`.

use postgres::GenericClient;
use postgres::types::Type;

use std::collections::HashMap;

use super::PgStore;
use super::record_seal::RecordKey;
use crate::storage::{StorageError, StorageResult};

/// A new random key made by the server: 32 bytes from two `gen_random_uuid()`s (244 random
/// bits, from the server's strong random source). Made there, not sent: a key sent as a
/// statement's parameter could be written to the server's log (`log_min_duration_statement`,
/// `auto_explain`) and outlive the record it was to shred.
pub(super) const NEW_KEY_SQL: &str = "decode(replace(gen_random_uuid()::text, '-', '') \
     || replace(gen_random_uuid()::text, '-', ''), 'hex')";

/// The key of record `doc_id` for a write that stores something of it: made (random, by
/// the server, see [`NEW_KEY_SQL`]) when the record has none yet.
pub(super) fn key_for_write(
    client: &mut impl GenericClient,
    doc_id: &str,
) -> StorageResult<RecordKey> {
    keys_for_write(client, &[doc_id])?
        .remove(doc_id)
        .ok_or(StorageError::Undecodable("record key"))
}

/// The keys of records `doc_ids` for a write that stores something of them (a sync
/// request's new captures): two round trips whatever their number, keys made by the server
/// for those that have none.
pub(super) fn keys_for_write(
    client: &mut impl GenericClient,
    doc_ids: &[&str],
) -> StorageResult<HashMap<String, RecordKey>> {
    client.execute_typed(
        &format!(
            "INSERT INTO record_keys (doc_id, key)
             SELECT d, {NEW_KEY_SQL} FROM UNNEST($1::TEXT[]) AS d
             ON CONFLICT (doc_id) DO NOTHING"
        ),
        &[(&doc_ids, Type::TEXT_ARRAY)],
    )?;
    // A statement of its own: it sees keys another transaction committed meanwhile.
    let mut keys = HashMap::with_capacity(doc_ids.len());
    for row in client.query_typed(
        "SELECT doc_id, key FROM record_keys WHERE doc_id = ANY($1)",
        &[(&doc_ids, Type::TEXT_ARRAY)],
    )? {
        keys.insert(row.try_get(0)?, stored_key(row.try_get(1)?)?);
    }
    if keys.len()
        < doc_ids
            .iter()
            .collect::<std::collections::HashSet<_>>()
            .len()
    {
        return Err(StorageError::Undecodable("record key"));
    }
    Ok(keys)
}

/// The key of record `doc_id`, if the relay holds one.
pub(super) fn key_of(
    client: &mut impl GenericClient,
    doc_id: &str,
) -> StorageResult<Option<RecordKey>> {
    client
        .query_typed_opt(
            "SELECT key FROM record_keys WHERE doc_id = $1",
            &[(&doc_id, Type::TEXT)],
        )?
        .map(|row| stored_key(row.try_get(0)?))
        .transpose()
}

/// A key read from the table (or joined to a row); a missing or malformed one is reported
/// as undecodable, naming no value.
pub(super) fn stored_key(bytes: Option<&[u8]>) -> StorageResult<RecordKey> {
    bytes
        .and_then(RecordKey::from_stored)
        .ok_or(StorageError::Undecodable("record key"))
}

/// How long [`PgStore::rewrite_record_keys`] waits for the table's lock: meanwhile every
/// statement reading or writing a key queues behind it.
const REWRITE_LOCK_WAIT: &str = "3s";

impl PgStore {
    /// `VACUUM record_keys` after removals committed: the deleted keys' dead tuples leave
    /// the table (no snapshot can reach them any more), and their pages are compacted,
    /// which writes the live rows over most of them. VACUUM cannot run in a transaction, so
    /// it runs on its own connection after the removal; it is cheap (it reads only pages
    /// with dead tuples, and the primary key's index). PostgreSQL does not wipe the space
    /// it frees: a key that was the last row written to its page stays in the page's free
    /// space until a later row lands there. [`PgStore::rewrite_record_keys`] removes those.
    /// A VACUUM that fails changes nothing the removal did: it is logged, and autovacuum
    /// does it later.
    pub(super) fn vacuum_record_keys(&self) {
        let result = self
            .client()
            .and_then(|mut client| Ok(client.batch_execute("VACUUM record_keys")?));
        if let Err(error) = result {
            tracing::warn!(%error, "VACUUM record_keys after a removal failed; autovacuum will do it");
        }
    }

    /// `VACUUM FULL record_keys` after a removal by HR, or at the end of a retention run
    /// that removed records: the table is written anew with its live keys only and its old
    /// file truncated and unlinked, so no removed key is left in the database's files (as
    /// SQLite's `secure_delete` leaves none). It locks the table for the rewrite (about
    /// 0.1 s at 100,000 records, see the README), and waits at most
    /// [`REWRITE_LOCK_WAIT`] for that lock; a rewrite that cannot have it (a long export
    /// reading keys) is left to the next removal, with a plain VACUUM meanwhile. No VACUUM
    /// removes a row deleted after a transaction still open began (a backup's snapshot, a
    /// long export): such a key stays in the file until the first rewrite after that
    /// transaction ended, at the latest the one ending the next nightly retention run.
    pub(super) fn rewrite_record_keys(&self) {
        let result = self.client().and_then(|mut client| {
            client.batch_execute(&format!("SET lock_timeout = '{REWRITE_LOCK_WAIT}'"))?;
            let rewritten = client.batch_execute("VACUUM FULL record_keys");
            // Back to the session's own setting, whatever the rewrite did.
            client.batch_execute("RESET lock_timeout")?;
            Ok(rewritten?)
        });
        if let Err(error) = result {
            tracing::warn!(
                %error,
                "VACUUM FULL record_keys after a removal failed; removed keys may stay in free \
                 space until the next removal's rewrite"
            );
            self.vacuum_record_keys();
        }
    }
}
