//! Conversions between the store's types and PostgreSQL's columns, shared by every trait's
//! impl: fixed-size keys from BYTEA, roles from TEXT, counts and numbers from BIGINT.

use kiosk_core::protocol::enrollment::EnrolledRole;

use crate::storage::{StorageError, StorageResult};

pub(crate) fn role_text(role: EnrolledRole) -> &'static str {
    match role {
        EnrolledRole::Kiosk => "kiosk",
        EnrolledRole::Staff => "staff",
    }
}

pub(crate) fn role_from(text: &str) -> StorageResult<EnrolledRole> {
    match text {
        "kiosk" => Ok(EnrolledRole::Kiosk),
        "staff" => Ok(EnrolledRole::Staff),
        _ => Err(StorageError::Undecodable("device role")),
    }
}

/// A 32-byte key or hash from a BYTEA column.
pub(crate) fn key32(blob: Vec<u8>, what: &'static str) -> StorageResult<[u8; 32]> {
    blob.try_into().map_err(|_| StorageError::Undecodable(what))
}

/// A count or number the store never writes negative, from a BIGINT column.
pub(crate) fn unsigned(value: i64, what: &'static str) -> StorageResult<u64> {
    u64::try_from(value).map_err(|_| StorageError::Undecodable(what))
}

/// A number for a BIGINT column; the store's numbers stay far below `i64::MAX`.
pub(crate) fn signed(value: u64, what: &'static str) -> StorageResult<i64> {
    i64::try_from(value).map_err(|_| StorageError::Undecodable(what))
}

/// Change hashes stored one after another in one BYTEA.
pub(crate) fn hashes_blob(hashes: &[[u8; 32]]) -> Vec<u8> {
    hashes.concat()
}

pub(crate) fn blob_hashes(blob: &[u8]) -> StorageResult<Vec<[u8; 32]>> {
    if !blob.len().is_multiple_of(32) {
        return Err(StorageError::Undecodable("change hashes"));
    }
    Ok(blob
        .chunks_exact(32)
        .map(|c| {
            let mut hash = [0; 32];
            hash.copy_from_slice(c);
            hash
        })
        .collect())
}

/// A count from a BIGINT column.
pub(super) fn count(row: &postgres::Row, column: usize) -> StorageResult<u64> {
    unsigned(row.try_get(column)?, "count")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_round_trip_and_a_torn_blob_is_refused() {
        let hashes = [[1; 32], [2; 32]];
        assert_eq!(blob_hashes(&hashes_blob(&hashes)).expect("decodes"), hashes);
        assert!(blob_hashes(&[0; 33]).is_err());
        assert!(key32(vec![0; 31], "key").is_err());
        assert!(unsigned(-1, "count").is_err());
        assert_eq!(
            role_from(role_text(EnrolledRole::Staff)).expect("role"),
            EnrolledRole::Staff
        );
    }
}
