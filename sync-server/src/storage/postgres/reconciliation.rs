//! The store's side of reconciliation on PostgreSQL: per device of an event, how far its
//! journal reaches as far as the relay saw it, how many of its entries the relay holds and
//! how many of its records were removed; for the event, the quarantine decisions on its
//! tablets' captures and its removals. Counts and device keys only: nothing of any
//! registration is read. (What the counts mean is the SQLite store's `reconciliation.rs`'s
//! module doc; this is its SQL.)

use postgres::Transaction;

use crate::storage::StorageResult;
use crate::storage::model::{EventTally, JournalTally};

use super::rows::count;
use super::rows::key32;

/// The tally of event `event_id`, read in the caller's one read transaction so the counts
/// agree.
pub(super) fn event_tally(tx: &mut Transaction<'_>, event_id: &str) -> StorageResult<EventTally> {
    let mut tally = EventTally::default();
    for row in tx.query(
        "SELECT d.device_key,
                GREATEST(COALESCE(MAX(j.seq), 0), COALESCE(d.declared_journal, 0)),
                COUNT(j.seq)
         FROM devices d LEFT JOIN device_journal j ON j.device_key = d.device_key
         WHERE d.event_id = $1
         GROUP BY d.device_key",
        &[&event_id],
    )? {
        tally.devices.insert(
            key32(row.try_get(0)?, "device key")?,
            JournalTally {
                highest_seq: count(&row, 1)?,
                entries: count(&row, 2)?,
                removed: 0,
            },
        );
    }
    for row in tx.query(
        "SELECT device_key, COUNT(*) FROM removals
         WHERE device_key IN (SELECT device_key FROM devices WHERE event_id = $1)
         GROUP BY device_key",
        &[&event_id],
    )? {
        if let Some(device) = tally
            .devices
            .get_mut(&key32(row.try_get(0)?, "device key")?)
        {
            device.removed = count(&row, 1)?;
        }
    }
    for row in tx.query(
        // A removal erases the quarantined copy but not its review: the review's tablet is
        // then the removal record's.
        "SELECT r.decision, COUNT(*) FROM quarantine_reviews r
         LEFT JOIN quarantine q ON q.id = r.quarantine_id
         LEFT JOIN removals m ON m.doc_id = r.doc_id
         JOIN devices d ON d.device_key = COALESCE(q.device_key, m.device_key)
         WHERE d.event_id = $1
         GROUP BY r.decision",
        &[&event_id],
    )? {
        let decision: &str = row.try_get(0)?;
        if decision == "accepted" {
            tally.accepted = count(&row, 1)?;
        } else {
            tally.kept_apart += count(&row, 1)?;
        }
    }
    tally.removals = count(
        &tx.query_one(
            "SELECT COUNT(*) FROM removals WHERE event_id = $1",
            &[&event_id],
        )?,
        0,
    )?;
    Ok(tally)
}
