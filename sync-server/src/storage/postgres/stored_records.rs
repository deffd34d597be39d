//! A stored registration read whole: its capture followed by every later change, in the
//! order they were stored (commit, then the order within it). Every read that hands out or
//! re-reads a record's document goes through here.

use std::collections::HashMap;

use postgres::GenericClient;

use crate::storage::StorageResult;
use crate::storage::model::StoredRegistration;

/// A stored registration with all its changes in stored order (commit, then the order they
/// were stored in within it), read through `client`.
pub(super) fn stored_registration(
    client: &mut impl GenericClient,
    doc_id: &str,
) -> StorageResult<Option<StoredRegistration>> {
    let Some(record) = client.query_opt(
        "SELECT event_id, restricted, document FROM registrations WHERE doc_id = $1",
        &[&doc_id],
    )?
    else {
        return Ok(None);
    };
    let mut changes: Vec<u8> = record.try_get(2)?;
    for row in client.query(
        "SELECT change FROM registration_changes
         WHERE doc_id = $1 AND change IS NOT NULL ORDER BY commit_seq, id",
        &[&doc_id],
    )? {
        changes.extend_from_slice(row.try_get::<_, &[u8]>(0)?);
    }
    Ok(Some(StoredRegistration {
        event_id: record.try_get(0)?,
        restricted: record.try_get(1)?,
        changes,
    }))
}

/// [`stored_registration`] of each of `doc_ids` the store holds, in two queries whatever
/// their number (an export page's records).
pub(super) fn stored_registrations(
    client: &mut impl GenericClient,
    doc_ids: &[&str],
) -> StorageResult<HashMap<String, StoredRegistration>> {
    let mut records = HashMap::with_capacity(doc_ids.len());
    if doc_ids.is_empty() {
        return Ok(records);
    }
    for row in client.query(
        "SELECT doc_id, event_id, restricted, document FROM registrations
         WHERE doc_id = ANY($1)",
        &[&doc_ids],
    )? {
        records.insert(
            row.try_get(0)?,
            StoredRegistration {
                event_id: row.try_get(1)?,
                restricted: row.try_get(2)?,
                changes: row.try_get(3)?,
            },
        );
    }
    for row in client.query(
        "SELECT doc_id, change FROM registration_changes
         WHERE doc_id = ANY($1) AND change IS NOT NULL ORDER BY doc_id, commit_seq, id",
        &[&doc_ids],
    )? {
        let doc_id: &str = row.try_get(0)?;
        if let Some(record) = records.get_mut(doc_id) {
            record
                .changes
                .extend_from_slice(row.try_get::<_, &[u8]>(1)?);
        }
    }
    Ok(records)
}
