//! Unlocks of staff PINs HR asked for: per staff tablet, a counter that each unlock raises,
//! and when the latest was issued. Every sync answer to that tablet carries the latest
//! unlock, signed, for a week; the tablet takes each counter once.

use rusqlite::{Connection, OptionalExtension, params};

use crate::storage::StorageResult;

/// How long the relay keeps sending an unlock: a week.
pub(crate) const UNLOCK_VALID_MS: i64 = 7 * 24 * 3_600_000;

/// Raises the device's unlock counter, if it is an enrolled, unrevoked staff tablet.
pub(crate) fn issue(
    conn: &mut Connection,
    device_key: &[u8; 32],
    at: i64,
) -> StorageResult<Option<u64>> {
    let tx = conn.transaction()?;
    let staff: bool = tx.query_row(
        "SELECT EXISTS (SELECT 1 FROM devices
                        WHERE device_key = ?1 AND role = 'staff' AND revoked_at IS NULL)",
        [device_key.as_slice()],
        |r| r.get(0),
    )?;
    if !staff {
        return Ok(None);
    }
    let counter: i64 = tx.query_row(
        "INSERT INTO staff_unlocks (device_key, counter, issued_at) VALUES (?1, 1, ?2)
         ON CONFLICT (device_key) DO UPDATE SET counter = counter + 1, issued_at = excluded.issued_at
         RETURNING counter",
        params![device_key.as_slice(), at],
        |r| r.get(0),
    )?;
    tx.commit()?;
    Ok(Some(counter as u64))
}

/// The latest unlock's counter and the time it was issued, if that is within
/// [`UNLOCK_VALID_MS`] of `now`.
pub(crate) fn outstanding(
    conn: &Connection,
    device_key: &[u8; 32],
    now: i64,
) -> StorageResult<Option<(u64, i64)>> {
    Ok(conn
        .query_row(
            "SELECT counter, issued_at FROM staff_unlocks
             WHERE device_key = ?1 AND issued_at > ?2",
            params![device_key.as_slice(), now - UNLOCK_VALID_MS],
            |r| Ok((r.get::<_, i64>(0)? as u64, r.get::<_, i64>(1)?)),
        )
        .optional()?)
}
