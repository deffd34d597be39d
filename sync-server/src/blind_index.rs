//! The relay's keyed blind indexes at work ([`crate::rules::blind_index`] says what they
//! are): the background pass that indexes records after ingest (ingest writes nothing of
//! them), the index key file, and the do-not-contact list's additions, retention and
//! lookups. What HR is shown of them is [`crate::hr::duplicates`]'s.

use std::path::Path;
use std::sync::Arc;

use kiosk_core::documents::{ChunkLimits, RegistrationDocument};
use kiosk_core::registration::Registration;

use crate::rules::blind_index::{BlindIndexKeys, Field, normalized_contacts};
use crate::storage::{BlindIndexEntry, RelayStore, StorageResult};

/// The index key's file in the data directory: 32 random bytes, 0600, made on first start;
/// never in the database or its backups, and in the key export.
pub const INDEX_KEY_FILE: &str = "relay-index.key";

/// Records indexed per batch of the background pass.
const BATCH: u32 = 100;
/// Batches per pass at most: a pass over a large backlog yields to the next tick.
const MAX_BATCHES: u32 = 100;
/// How often the background pass runs.
pub const EVERY: std::time::Duration = std::time::Duration::from_secs(60);

/// Attempts at a record whose document does not read, before the pass gives up on it until
/// the relay starts again: a fault that a fix (a restored file, an imported key) clears is
/// picked up, and one that stays costs a bounded number of reads.
pub const MAX_INDEX_ATTEMPTS: u32 = 10;
/// The wait after the first failed attempt, doubled after each further one up to
/// [`MAX_INDEX_RETRY_WAIT_MS`]: ten attempts span about a day and a half.
pub const FIRST_INDEX_RETRY_WAIT_MS: i64 = 5 * 60 * 1000;
/// The longest wait between two attempts.
pub const MAX_INDEX_RETRY_WAIT_MS: i64 = 24 * 60 * 60 * 1000;

/// When a record that failed for the `attempts`th time at `at` is next tried: `None` once
/// [`MAX_INDEX_ATTEMPTS`] have failed.
pub fn next_index_attempt(attempts: u32, at: i64) -> Option<i64> {
    if attempts >= MAX_INDEX_ATTEMPTS {
        return None;
    }
    let doublings = attempts.saturating_sub(1).min(20);
    let wait = FIRST_INDEX_RETRY_WAIT_MS
        .saturating_mul(1 << doublings)
        .min(MAX_INDEX_RETRY_WAIT_MS);
    Some(at.saturating_add(wait))
}

/// How long a do-not-contact entry is kept after it is added (about three years), unless
/// the person asks again: long enough that later registrations at fairs are caught, short
/// enough not to keep a keyed hash of a person for ever.
pub const DO_NOT_CONTACT_KEEP_MS: i64 = 3 * 365 * 24 * 60 * 60 * 1000;

/// The legal basis recorded with an entry added because the visitor withdrew their
/// talent-pool consent.
pub const BASIS_WITHDRAWN: &str = "talent_pool_consent_withdrawn";
/// The legal basis recorded with an entry added because the visitor objected to contact.
pub const BASIS_OBJECTED: &str = "objected_to_contact";

/// Loads the index keys from `data_dir`, making the key file on first start.
pub fn load_or_create_keys(data_dir: &Path) -> std::io::Result<BlindIndexKeys> {
    crate::private_files::create_dir(data_dir)?;
    let secret = crate::keys::read_or_make_secret(&data_dir.join(INDEX_KEY_FILE))?;
    Ok(BlindIndexKeys::derive(&secret))
}

/// [`load_or_create_keys`], checked against the key the store's rows were written under
/// (recorded on first use). With another key every duplicate and do-not-contact entry would
/// be missed. A store `shared` by several relay instances (PostgreSQL) refuses such an
/// instance, saying which file to copy. A relay of its own (SQLite) started with another key
/// (a restore without the key export) re-indexes under it, with a warning that the
/// do-not-contact list recorded before no longer matches.
pub fn keys_for_store(
    data_dir: &Path,
    store: &dyn RelayStore,
    shared: bool,
) -> Result<BlindIndexKeys, Box<dyn std::error::Error>> {
    let keys = load_or_create_keys(data_dir)?;
    if store.bind_index_key(&keys.fingerprint())? {
        return Ok(keys);
    }
    if shared {
        return Err(format!(
            "{INDEX_KEY_FILE} in {} is not the index key this database's duplicate and \
             do-not-contact indexes were written under: copy {INDEX_KEY_FILE} (mode 0600) from \
             a relay instance that serves this database, or import it from the key export, \
             then start again. / {INDEX_KEY_FILE} i {} är inte den indexnyckel som databasens \
             index skrevs med: kopiera filen från en annan instans eller importera den från \
             nyckelexporten och starta igen.",
            data_dir.display(),
            data_dir.display()
        )
        .into());
    }
    tracing::warn!(
        "{INDEX_KEY_FILE} is not the key this store's indexes were written under (restored \
         without the key export?): duplicates are indexed again under it, and the \
         do-not-contact entries recorded before no longer match; import the exported keys \
         to keep them"
    );
    store.rebind_index_key(&keys.fingerprint())?;
    Ok(keys)
}

/// A record's email and phone, read from its captured document (person fields never change
/// after capture), normalised; those missing or malformed are left out.
fn contacts_of(registration: &Registration) -> Vec<(Field, String)> {
    normalized_contacts(
        registration.person.email.as_deref(),
        registration.person.phone.as_deref(),
    )
}

/// The registration in a stored capture's bytes, if they read.
pub(crate) fn registration_of(document: &[u8]) -> Option<Registration> {
    RegistrationDocument::load_unattributed_within(document, &ChunkLimits::DOCUMENT)
        .ok()
        .map(|(_, registration)| registration)
}

/// The duplicate-index entries of `registration`: none for a restricted record, which no
/// one is ever told has a match.
pub fn dedupe_entries(keys: &BlindIndexKeys, registration: &Registration) -> Vec<BlindIndexEntry> {
    if registration.restricted {
        return Vec::new();
    }
    contacts_of(registration)
        .into_iter()
        .map(|(field, value)| BlindIndexEntry {
            field: field.as_str().to_owned(),
            value: keys.dedupe(field, &value),
        })
        .collect()
}

/// The do-not-contact entries of `registration`.
pub fn do_not_contact_entries(
    keys: &BlindIndexKeys,
    registration: &Registration,
) -> Vec<BlindIndexEntry> {
    contacts_of(registration)
        .into_iter()
        .map(|(field, value)| BlindIndexEntry {
            field: field.as_str().to_owned(),
            value: keys.do_not_contact(field, &value),
        })
        .collect()
}

/// Indexes records ingest stored since the last pass, a batch per write, then those whose
/// earlier attempt failed and are due again, and prunes the do-not-contact rows past their
/// retention. Returns how many records were indexed. A record whose document does not read
/// (logged without its content) is tried again later, [`next_index_attempt`], and counted in
/// the monitoring ([`crate::storage::BlindIndexStore::blind_index_failures`]) while it waits or is given up on.
pub fn index_pending(store: &dyn RelayStore, keys: &BlindIndexKeys, at: i64) -> StorageResult<u64> {
    let mut indexed = 0;
    for _ in 0..MAX_BATCHES {
        let pending = store.unindexed_registrations(BATCH)?;
        if pending.is_empty() {
            break;
        }
        for doc_id in &pending {
            if index_one(store, keys, doc_id, 0, at)? {
                indexed += 1;
            }
        }
    }
    // A retry that fails again is due later than `at`, so each round takes new ones.
    for _ in 0..MAX_BATCHES {
        let due = store.due_blind_index_retries(at, BATCH)?;
        if due.is_empty() {
            break;
        }
        for (doc_id, attempts) in &due {
            if index_one(store, keys, doc_id, *attempts, at)? {
                indexed += 1;
            }
        }
    }
    store.prune_do_not_contact(at)?;
    Ok(indexed)
}

/// Indexes `doc_id`, after `failed` attempts that did not; `true` if it is indexed now. A
/// document that does not read is postponed instead.
fn index_one(
    store: &dyn RelayStore,
    keys: &BlindIndexKeys,
    doc_id: &str,
    failed: u32,
    at: i64,
) -> StorageResult<bool> {
    let read = match store.registration_document(doc_id) {
        Ok(Some(document)) => registration_of(&document).ok_or("does not read".to_owned()),
        // Removed since it was listed.
        Ok(None) => return Ok(false),
        Err(error) => Err(error.to_string()),
    };
    match read {
        Ok(registration) => {
            store.write_blind_index(doc_id, &dedupe_entries(keys, &registration), at)
        }
        Err(why) => {
            let attempts = failed.saturating_add(1);
            let retry_at = next_index_attempt(attempts, at);
            match retry_at {
                Some(retry_at) => {
                    tracing::warn!(%doc_id, attempts, retry_at, %why, "a stored registration's document could not be read to index it: tried again later")
                }
                None => {
                    tracing::error!(%doc_id, attempts, %why, "a stored registration's document could not be read to index it: given up until the relay starts again")
                }
            }
            store.postpone_blind_index(doc_id, attempts, retry_at, at)?;
            Ok(false)
        }
    }
}

/// Makes the records the pass gave up on due again (a start may follow a fix of what kept
/// them from reading); returns how many.
pub fn retry_given_up(store: &dyn RelayStore, at: i64) -> StorageResult<u64> {
    let again = store.retry_given_up_blind_index(at)?;
    if again > 0 {
        tracing::info!(
            again,
            "registrations the duplicate index gave up on are tried again"
        );
    }
    Ok(again)
}

/// Withdraws registration `doc_id`'s talent-pool consent on behalf of `by` (named `actor`
/// in the store) and, when it was given, puts its email and phone on the do-not-contact
/// list: the one path HR's withdrawal and the visitor's own share.
pub fn withdraw_talent_pool(
    store: &dyn RelayStore,
    keys: &BlindIndexKeys,
    doc_id: &str,
    by: &crate::storage::Accessor,
    actor: &str,
    at: i64,
) -> StorageResult<crate::storage::WithdrawalOutcome> {
    let outcome = store.withdraw_talent_pool(doc_id, by, actor, at)?;
    if let crate::storage::WithdrawalOutcome::Withdrawn { withdrawn_at, .. } = &outcome {
        add_to_do_not_contact(store, keys, doc_id, BASIS_WITHDRAWN, *withdrawn_at)?;
    }
    Ok(outcome)
}

/// Adds registration `doc_id`'s email and phone to the do-not-contact list on `basis`.
/// Nothing if the record is not held or has neither.
pub fn add_to_do_not_contact(
    store: &dyn RelayStore,
    keys: &BlindIndexKeys,
    doc_id: &str,
    basis: &str,
    at: i64,
) -> StorageResult<()> {
    let Some(document) = store.registration_document(doc_id)? else {
        return Ok(());
    };
    let Some(registration) = registration_of(&document) else {
        return Ok(());
    };
    let entries = do_not_contact_entries(keys, &registration);
    if entries.is_empty() {
        return Ok(());
    }
    store.add_do_not_contact(
        &entries,
        basis,
        at,
        at.saturating_add(DO_NOT_CONTACT_KEEP_MS),
    )
}

/// Puts every held record whose talent-pool consent was withdrawn on the do-not-contact
/// list (again): a relay restored from a backup replays withdrawals made after it, but not
/// the list's rows. Idempotent (an entry held keeps its basis and date). Returns how many
/// records were looked at.
pub fn list_withdrawals(store: &dyn RelayStore, keys: &BlindIndexKeys) -> StorageResult<u64> {
    let withdrawals = store.talent_pool_withdrawals()?;
    for (doc_id, withdrawn_at) in &withdrawals {
        add_to_do_not_contact(store, keys, doc_id, BASIS_WITHDRAWN, *withdrawn_at)?;
    }
    Ok(withdrawals.len() as u64)
}

/// Runs [`retry_given_up`] and [`list_withdrawals`] once, then [`index_pending`] now and
/// every [`EVERY`] after, off the async threads.
pub fn spawn_indexing(store: Arc<dyn RelayStore>, keys: Arc<BlindIndexKeys>) {
    tokio::spawn(async move {
        let (listing_store, listing_keys) = (store.clone(), keys.clone());
        match tokio::task::spawn_blocking(move || {
            retry_given_up(listing_store.as_ref(), crate::state::now_ms())?;
            list_withdrawals(listing_store.as_ref(), &listing_keys)
        })
        .await
        {
            Ok(Ok(_)) => {}
            Ok(Err(e)) => tracing::error!(
                "records given up on not made due again, or withdrawals not put on the \
                 do-not-contact list: {e}"
            ),
            Err(e) => tracing::error!("do-not-contact listing task failed: {e}"),
        }
        let mut ticks = tokio::time::interval(EVERY);
        loop {
            ticks.tick().await;
            let store = store.clone();
            let keys = keys.clone();
            match tokio::task::spawn_blocking(move || {
                index_pending(store.as_ref(), &keys, crate::state::now_ms())
            })
            .await
            {
                Ok(Ok(0)) => {}
                Ok(Ok(indexed)) => tracing::info!(indexed, "indexed registrations for duplicates"),
                Ok(Err(e)) => tracing::error!("registrations not indexed for duplicates: {e}"),
                Err(e) => tracing::error!("duplicate indexing task failed: {e}"),
            }
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retries_wait_longer_each_time_up_to_a_day_and_stop_at_the_bound() {
        let minute = 60 * 1000;
        assert_eq!(next_index_attempt(1, 0), Some(5 * minute));
        assert_eq!(next_index_attempt(2, 0), Some(10 * minute));
        assert_eq!(next_index_attempt(9, 100), Some(100 + 1280 * minute));
        assert_eq!(
            next_index_attempt(MAX_INDEX_ATTEMPTS - 1, 0),
            Some(1280 * minute)
        );
        assert_eq!(next_index_attempt(MAX_INDEX_ATTEMPTS, 0), None);
        assert_eq!(next_index_attempt(u32::MAX, 0), None);
        // Never past a day, whatever the constants become.
        for attempts in 1..MAX_INDEX_ATTEMPTS {
            let wait = next_index_attempt(attempts, 0).expect("a retry");
            assert!(wait <= MAX_INDEX_RETRY_WAIT_MS, "{attempts}: {wait}");
        }
        assert_eq!(next_index_attempt(1, i64::MAX), Some(i64::MAX));
    }
}
