//! The store's side of reconciliation: for each device of an event, how far its journal
//! reaches as far as the relay saw it (the highest journal number its pushes carried), how
//! many of those journal entries the relay holds, and how many of its records were removed;
//! and for the event, the quarantine decisions made on its tablets' captures and its
//! removals. Counts and device keys only: nothing of any registration is read.
//!
//! What a tablet captured is known from its journal: the count it declares in every sync
//! request, and the journal numbers its pushes carry. What it captured after its last
//! contact is invisible until it syncs again.

use rusqlite::{Connection, params};

use super::key32;
use crate::storage::StorageResult;
use crate::storage::model::{EventTally, JournalTally};

/// The tally of event `event_id`, read in one transaction so the counts agree.
pub(crate) fn event_tally(conn: &mut Connection, event_id: &str) -> StorageResult<EventTally> {
    let tx = conn.transaction()?;
    let mut tally = EventTally::default();
    {
        let mut journals = tx.prepare(
            "SELECT d.device_key,
                    MAX(COALESCE(MAX(j.seq), 0), COALESCE(d.declared_journal, 0)),
                    COUNT(j.seq)
             FROM devices d LEFT JOIN device_journal j ON j.device_key = d.device_key
             WHERE d.event_id = ?1
             GROUP BY d.device_key",
        )?;
        let rows = journals.query_map([event_id], |r| {
            Ok((
                r.get::<_, Vec<u8>>(0)?,
                r.get::<_, i64>(1)?,
                r.get::<_, i64>(2)?,
            ))
        })?;
        for row in rows {
            let (key, highest, entries) = row?;
            tally.devices.insert(
                key32(key, "device key")?,
                JournalTally {
                    highest_seq: highest as u64,
                    entries: entries as u64,
                    removed: 0,
                },
            );
        }
        let mut removed = tx.prepare(
            "SELECT device_key, COUNT(*) FROM removals
             WHERE device_key IN (SELECT device_key FROM devices WHERE event_id = ?1)
             GROUP BY device_key",
        )?;
        let rows = removed.query_map([event_id], |r| {
            Ok((r.get::<_, Vec<u8>>(0)?, r.get::<_, i64>(1)?))
        })?;
        for row in rows {
            let (key, count) = row?;
            if let Some(device) = tally.devices.get_mut(&key32(key, "device key")?) {
                device.removed = count as u64;
            }
        }
        let mut decisions = tx.prepare(
            // A removal erases the quarantined copy but not its review: the review's tablet
            // is then the removal record's.
            "SELECT r.decision, COUNT(*) FROM quarantine_reviews r
             LEFT JOIN quarantine q ON q.id = r.quarantine_id
             LEFT JOIN removals m ON m.doc_id = r.doc_id
             JOIN devices d ON d.device_key = COALESCE(q.device_key, m.device_key)
             WHERE d.event_id = ?1
             GROUP BY r.decision",
        )?;
        let rows = decisions.query_map([event_id], |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?))
        })?;
        for row in rows {
            match row? {
                (decision, count) if decision == "accepted" => tally.accepted = count as u64,
                (_, count) => tally.kept_apart += count as u64,
            }
        }
    }
    tally.removals = tx.query_row(
        "SELECT COUNT(*) FROM removals WHERE event_id = ?1",
        params![event_id],
        |r| r.get::<_, i64>(0),
    )? as u64;
    tx.commit()?;
    Ok(tally)
}
