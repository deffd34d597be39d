//! Email tags: how HR's search for a whole email address finds its rows on PostgreSQL
//! through an index, where a search for parts must open every candidate's sealed text (about
//! 0.8 s at 100,000 records).
//!
//! A row's `email_tag` is an HMAC-SHA256 of its lower-case address under a secret derived
//! from the relay's signing key ([`crate::storage::model::email_tag_secret`]): the instances
//! hold it, the database does not. So the column names no address, and what a removal leaves
//! of a tag (dead tuples, WAL, backups) cannot be tried against a guessed address with
//! anything the database holds; with the relay's key as well, one could test a guess against
//! a leftover tag (in dead tuples until they are vacuumed, in WAL archives and backups as
//! long as those are kept), never read an address from it. That is weaker than the sealed
//! fields, whose key a removal destroys: the price of finding an address by index.
//!
//! A store learns the secret when an instance starts with the relay's keys
//! ([`PgStore::use_email_tags`]); a row written without it (before schema version 4, by an
//! instance of an older release still running, or by a store in a test) has the tag NULL,
//! "not tagged". Instances tag such rows when they start and every few minutes after; a
//! row whose record cannot be read to tag it gets [`UNKNOWN_TAG`]. Lists and subject
//! access use the tags only while no row is untagged or unknown, so a tag lookup never
//! misses a row that has the address: meanwhile they open rows as before.

use postgres::GenericClient;
use postgres::types::Type;

use super::PgStore;
use super::index_writes::index_one;
use crate::storage::{StorageError, StorageResult};

/// Rows tagged per transaction when an instance tags what was written without the secret.
const TAGGING_BATCH: i64 = 200;

/// The tag of a row whose record could not be read to tag it: one byte, never a tag (32
/// bytes) nor "no address" (none). While any row has it, tags are not used.
const UNKNOWN_TAG: &[u8] = &[0];

/// Tagged rows between two progress lines in the log.
const PROGRESS_EVERY: u64 = 10_000;

/// What a write tags addresses with: the secret, or none (rows left untagged).
#[derive(Clone, Copy)]
pub(super) struct EmailTags(Option<[u8; 32]>);

impl EmailTags {
    /// Tags nothing: every row written is left for tagging.
    #[cfg(test)]
    pub(super) const NONE: EmailTags = EmailTags(None);

    /// Tags under `secret`.
    #[cfg(test)]
    pub(super) fn with_secret(secret: [u8; 32]) -> EmailTags {
        EmailTags(Some(secret))
    }

    /// The tag of `address` (lower-case, as the listing holds it; empty for none), or
    /// `None` without the secret.
    pub(super) fn tag(&self, address: &str) -> Option<Vec<u8>> {
        let secret = self.0?;
        if address.is_empty() {
            return Some(Vec::new());
        }
        Some(crate::keyed_hash::hmac_sha256(&secret, &[address.as_bytes()]).to_vec())
    }
}

impl PgStore {
    /// What this instance's writes tag addresses with.
    pub(super) fn email_tags(&self) -> EmailTags {
        EmailTags(self.email_tag_secret.get().copied())
    }

    /// Tags addresses under `secret` from now on, and tags every row written without it, a
    /// batch per transaction, alongside other instances doing the same. Returns how many
    /// rows this call tagged. Refused if this store was given another secret before. Called
    /// when an instance starts and again every few minutes (rows an older instance wrote
    /// meanwhile).
    pub fn use_email_tags(&self, secret: [u8; 32]) -> StorageResult<u64> {
        if *self.email_tag_secret.get_or_init(|| secret) != secret {
            return Err(StorageError::Postgres(super::PgFailure::new(
                "this store already tags addresses under other relay keys",
            )));
        }
        let tags = self.email_tags();
        let mut tagged = 0;
        loop {
            let batch = self.write(|tx| {
                // SKIP LOCKED: instances starting together share the rows out; a row an
                // ingest is rewriting is tagged by that write itself.
                let rows = tx.query_typed(
                    "SELECT doc_id FROM registration_index WHERE email_tag IS NULL
                     LIMIT $1 FOR UPDATE SKIP LOCKED",
                    &[(&TAGGING_BATCH, Type::INT8)],
                )?;
                for row in &rows {
                    let doc_id: &str = row.try_get(0)?;
                    // Each row in a savepoint: one that cannot be read is marked and the
                    // others are tagged (an error would otherwise stop every instance's start).
                    let mut one = tx.transaction()?;
                    let indexed = index_one(&mut one, tags, doc_id);
                    match indexed {
                        Ok(()) => one.commit()?,
                        Err(_) => one.rollback()?,
                    }
                    let unknown = tx.execute_typed(
                        "UPDATE registration_index SET email_tag = $2
                         WHERE doc_id = $1 AND email_tag IS NULL",
                        &[(&doc_id, Type::TEXT), (&UNKNOWN_TAG, Type::BYTEA)],
                    )?;
                    if unknown > 0 {
                        tracing::warn!(
                            doc_id,
                            "a registration's list fields could not be read from its stored \
                             changes to tag its address: address searches and subject \
                             access open every row until it is removed or tagged"
                        );
                    }
                }
                Ok(rows.len() as u64)
            })?;
            if batch == 0 {
                return Ok(tagged);
            }
            if (tagged + batch) / PROGRESS_EVERY > tagged / PROGRESS_EVERY {
                tracing::info!(tagged = tagged + batch, "tagging registrations' addresses");
            }
            tagged += batch;
        }
    }
}

/// Whether a list or a subject access may find an address by its tag: this instance has
/// the secret and every row is tagged, none unknown (read in the caller's snapshot, from
/// the small index of such rows).
pub(super) fn usable(client: &mut impl GenericClient, tags: EmailTags) -> StorageResult<bool> {
    if tags.0.is_none() {
        return Ok(false);
    }
    // [`UNKNOWN_TAG`] as a literal, word for word the predicate of the partial index
    // `registration_index_untagged`: a parameter there would keep the planner off it.
    let untagged: bool = client
        .query_one(
            "SELECT EXISTS (SELECT 1 FROM registration_index
                            WHERE email_tag IS NULL OR email_tag = '\\x00'::BYTEA)",
            &[],
        )?
        .try_get(0)?;
    Ok(!untagged)
}
