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

use postgres::Transaction;
use postgres::types::Type;

use crate::storage::RegistrationListing as Listing;
use crate::storage::StorageResult;

/// Writes (or rewrites) the index row of `doc_id` from `listing`, inside the caller's write
/// transaction. A withdrawal recorded for the record wins over the listing's consent.
pub(super) fn write_listing(
    tx: &mut Transaction<'_>,
    doc_id: &str,
    receipt_code: &str,
    listing: &Listing,
) -> StorageResult<()> {
    let search = format!("{} {}", listing.search, receipt_code.to_lowercase());
    tx.execute_typed(
        "INSERT INTO registration_index (doc_id, event_id, captured_at, restricted, talent_pool,
                                         status, interests, locations, receipt_code,
                                         given_name, family_name, search)
         VALUES ($1, $2, $3, $4,
                 $5 AND NOT EXISTS (SELECT 1 FROM talent_pool_withdrawals WHERE doc_id = $1),
                 $6, $7, $8, $9, $10, $11, $12)
         ON CONFLICT (doc_id) DO UPDATE SET
             status = excluded.status, restricted = excluded.restricted,
             talent_pool = excluded.talent_pool, search = excluded.search",
        &[
            (&doc_id, Type::TEXT),
            (&listing.event_id, Type::TEXT),
            (&listing.captured_at, Type::INT8),
            (&listing.restricted, Type::BOOL),
            (&listing.talent_pool_consent, Type::BOOL),
            (&listing.status, Type::TEXT),
            (&listing.interests, Type::TEXT),
            (&listing.locations, Type::TEXT),
            (&receipt_code, Type::TEXT),
            (&listing.given_name, Type::TEXT),
            (&listing.family_name, Type::TEXT),
            (&search, Type::TEXT),
        ],
    )?;
    Ok(())
}

/// Re-indexes `doc_id` from what the store holds of it now (its row goes if it holds
/// nothing), inside the caller's write transaction: for a staff tablet's edit.
pub(super) fn index_one(tx: &mut Transaction<'_>, doc_id: &str) -> StorageResult<()> {
    let Some(record) = tx.query_typed_opt(
        "SELECT receipt_code, document FROM registrations WHERE doc_id = $1",
        &[(&doc_id, Type::TEXT)],
    )?
    else {
        tx.execute_typed(
            "DELETE FROM registration_index WHERE doc_id = $1",
            &[(&doc_id, Type::TEXT)],
        )?;
        return Ok(());
    };
    let receipt_code: String = record.try_get(0)?;
    // The capture followed by every later change, in the order they were stored.
    let mut changes: Vec<u8> = record.try_get(1)?;
    for row in tx.query_typed(
        "SELECT change FROM registration_changes
         WHERE doc_id = $1 AND change IS NOT NULL ORDER BY commit_seq, id",
        &[(&doc_id, Type::TEXT)],
    )? {
        changes.extend_from_slice(row.try_get::<_, &[u8]>(0)?);
    }
    if let Some(listing) = Listing::read(doc_id, &changes) {
        write_listing(tx, doc_id, &receipt_code, &listing)?;
    }
    Ok(())
}
