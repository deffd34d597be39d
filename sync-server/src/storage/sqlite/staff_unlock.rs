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

#[cfg(test)]
mod tests {
    use kiosk_core::protocol::enrollment::EnrolledRole;

    use super::UNLOCK_VALID_MS;
    use crate::storage::prelude::*;
    use crate::storage::{SqliteStore, enroll_for_tests};

    const STAFF: [u8; 32] = [1; 32];
    const KIOSK: [u8; 32] = [2; 32];
    const UNKNOWN: [u8; 32] = [3; 32];
    const DAY_MS: i64 = 24 * 3_600_000;

    /// A store with one staff tablet (`STAFF`) and one kiosk (`KIOSK`), enrolled at 0.
    fn store() -> SqliteStore {
        let store = SqliteStore::in_memory().expect("store");
        let event = "demo-event";
        enroll_for_tests(
            &store,
            STAFF,
            event,
            EnrolledRole::Staff,
            Some("recruiter-1"),
        );
        enroll_for_tests(&store, KIOSK, event, EnrolledRole::Kiosk, None);
        store
    }

    #[test]
    fn each_unlock_of_a_staff_tablet_raises_its_counter_from_one() {
        let store = store();
        assert_eq!(
            store
                .outstanding_staff_unlock(&STAFF, 10)
                .expect("reads")
                .map(|(counter, _)| counter),
            None
        );
        assert_eq!(
            store.issue_staff_unlock(&STAFF, 10).expect("issues"),
            Some(1)
        );
        assert_eq!(
            store.issue_staff_unlock(&STAFF, 20).expect("issues"),
            Some(2)
        );
        assert_eq!(
            store
                .outstanding_staff_unlock(&STAFF, 30)
                .expect("reads")
                .map(|(counter, _)| counter),
            Some(2)
        );
    }

    #[test]
    fn kiosks_unknown_and_revoked_devices_get_no_unlock() {
        let store = store();
        assert_eq!(store.issue_staff_unlock(&KIOSK, 10).expect("reads"), None);
        assert_eq!(store.issue_staff_unlock(&UNKNOWN, 10).expect("reads"), None);
        assert_eq!(
            store.issue_staff_unlock(&STAFF, 10).expect("issues"),
            Some(1)
        );
        assert!(store.revoke_device(&STAFF, 20).expect("revokes"));
        assert_eq!(store.issue_staff_unlock(&STAFF, 30).expect("reads"), None);
        for key in [KIOSK, UNKNOWN] {
            assert_eq!(
                store
                    .outstanding_staff_unlock(&key, 30)
                    .expect("reads")
                    .map(|(counter, _)| counter),
                None
            );
        }
    }

    #[test]
    fn an_unlock_is_outstanding_for_seven_days_from_its_latest_issue() {
        let store = store();
        let issued = 100 * DAY_MS;
        store.issue_staff_unlock(&STAFF, issued).expect("issues");
        let last_moment = issued + UNLOCK_VALID_MS - 1;
        assert_eq!(
            store
                .outstanding_staff_unlock(&STAFF, last_moment)
                .expect("reads")
                .map(|(counter, _)| counter),
            Some(1)
        );
        let week_later = issued + 7 * DAY_MS;
        assert_eq!(
            store
                .outstanding_staff_unlock(&STAFF, week_later)
                .expect("reads")
                .map(|(counter, _)| counter),
            None
        );
        // Issuing again starts a new week, with the next counter.
        assert_eq!(
            store
                .issue_staff_unlock(&STAFF, week_later)
                .expect("issues"),
            Some(2)
        );
        assert_eq!(
            store
                .outstanding_staff_unlock(&STAFF, week_later + DAY_MS)
                .expect("reads")
                .map(|(counter, _)| counter),
            Some(2)
        );
    }
}
