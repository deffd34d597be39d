//! A stored registration read whole: its capture followed by every later change, in the
//! order they were stored (commit, then the order within it), opened under the record's key
//! ([`super::record_keys`]). Every read that hands out or re-reads a record's document goes
//! through here.

use std::collections::HashMap;

use postgres::GenericClient;

use super::record_keys::stored_key;
use super::record_seal::{Field, RecordKey};
use crate::storage::StorageResult;
use crate::storage::model::StoredRegistration;

/// A stored registration with all its changes in stored order (commit, then the order they
/// were stored in within it), read through `client`.
pub(super) fn stored_registration(
    client: &mut impl GenericClient,
    doc_id: &str,
) -> StorageResult<Option<StoredRegistration>> {
    let Some(record) = client.query_opt(
        "SELECT r.event_id, r.restricted, r.document, k.key
         FROM registrations r LEFT JOIN record_keys k ON k.doc_id = r.doc_id
         WHERE r.doc_id = $1",
        &[&doc_id],
    )?
    else {
        return Ok(None);
    };
    let key = stored_key(record.try_get(3)?)?;
    let mut changes = key.open(doc_id, Field::Document, record.try_get(2)?)?;
    for row in client.query(
        "SELECT hash, change FROM registration_changes
         WHERE doc_id = $1 AND change IS NOT NULL ORDER BY commit_seq, id",
        &[&doc_id],
    )? {
        changes.extend(open_change(&key, doc_id, &row)?);
    }
    Ok(Some(StoredRegistration {
        event_id: record.try_get(0)?,
        restricted: record.try_get(1)?,
        changes,
    }))
}

/// A change's bytes from a row of `hash, change` (first and second column, after
/// `skip` columns), opened.
fn open_change_at(
    key: &RecordKey,
    doc_id: &str,
    row: &postgres::Row,
    skip: usize,
) -> StorageResult<Vec<u8>> {
    let hash: &[u8] = row.try_get(skip)?;
    key.open(doc_id, Field::Change(hash), row.try_get(skip + 1)?)
}

fn open_change(key: &RecordKey, doc_id: &str, row: &postgres::Row) -> StorageResult<Vec<u8>> {
    open_change_at(key, doc_id, row, 0)
}

/// [`stored_registration`] of each of `doc_ids` the store holds, in two queries whatever
/// their number (an export page's records).
pub(super) fn stored_registrations(
    client: &mut impl GenericClient,
    doc_ids: &[&str],
) -> StorageResult<HashMap<String, StoredRegistration>> {
    let mut records = HashMap::with_capacity(doc_ids.len());
    let mut keys = HashMap::with_capacity(doc_ids.len());
    if doc_ids.is_empty() {
        return Ok(records);
    }
    for row in client.query(
        "SELECT r.doc_id, r.event_id, r.restricted, r.document, k.key
         FROM registrations r LEFT JOIN record_keys k ON k.doc_id = r.doc_id
         WHERE r.doc_id = ANY($1)",
        &[&doc_ids],
    )? {
        let doc_id: String = row.try_get(0)?;
        let key = stored_key(row.try_get(4)?)?;
        let document = key.open(&doc_id, Field::Document, row.try_get(3)?)?;
        records.insert(
            doc_id.clone(),
            StoredRegistration {
                event_id: row.try_get(1)?,
                restricted: row.try_get(2)?,
                changes: document,
            },
        );
        keys.insert(doc_id, key);
    }
    for row in client.query(
        "SELECT doc_id, hash, change FROM registration_changes
         WHERE doc_id = ANY($1) AND change IS NOT NULL ORDER BY doc_id, commit_seq, id",
        &[&doc_ids],
    )? {
        let doc_id: &str = row.try_get(0)?;
        if let (Some(record), Some(key)) = (records.get_mut(doc_id), keys.get(doc_id)) {
            record.changes.extend(open_change_at(key, doc_id, &row, 1)?);
        }
    }
    Ok(records)
}
