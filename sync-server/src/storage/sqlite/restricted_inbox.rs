//! The restricted inbox: registrations of visitors with protected personal data, which stay
//! out of every list and export, gathered for the HR users cleared to contact them. Read
//! from the registration index (refreshed first, so new captures and status changes show),
//! uncontacted records first (status `new`), oldest first within each; every row shown is a
//! `list` entry in the access log, in the same commit as the read.

use rusqlite::Connection;

use super::access_log::{self, AccessAction, AccessEntry, Accessor};
use super::registration_index::{self, RegistrationSummary};
use crate::storage::StorageResult;

/// Up to `limit` restricted registrations of `events` (every event for `None`), in inbox
/// order, each logged as listed by `reader` at `at`.
pub(crate) fn list_logged(
    conn: &mut Connection,
    events: Option<&[String]>,
    reader: &Accessor,
    at: i64,
    limit: u32,
) -> StorageResult<Vec<RegistrationSummary>> {
    if events.is_some_and(<[String]>::is_empty) {
        return Ok(Vec::new());
    }
    registration_index::refresh(conn)?;
    let tx = conn.transaction()?;
    let mut values: Vec<rusqlite::types::Value> = vec![i64::from(limit).into()];
    let mut event_clause = String::new();
    if let Some(events) = events {
        let placeholders: Vec<String> = events
            .iter()
            .map(|event| {
                values.push(event.clone().into());
                format!("?{}", values.len())
            })
            .collect();
        event_clause = format!("AND event_id IN ({})", placeholders.join(", "));
    }
    let sql = format!(
        "SELECT doc_id, event_id, captured_at, given_name, family_name, receipt_code, status,
                talent_pool, restricted, interests, locations
         FROM registration_index
         WHERE restricted = 1 {event_clause}
         ORDER BY status = 'new' DESC, captured_at, doc_id
         LIMIT ?1"
    );
    let codes = |text: String| -> Vec<String> {
        text.split(',')
            .filter(|c| !c.is_empty())
            .map(str::to_owned)
            .collect()
    };
    let rows = {
        let mut statement = tx.prepare(&sql)?;
        statement
            .query_map(rusqlite::params_from_iter(values), |r| {
                Ok(RegistrationSummary {
                    id: r.get(0)?,
                    event_id: r.get(1)?,
                    captured_at: r.get(2)?,
                    given_name: r.get(3)?,
                    family_name: r.get(4)?,
                    receipt_code: r.get(5)?,
                    status: r.get(6)?,
                    talent_pool: r.get(7)?,
                    restricted: r.get(8)?,
                    interests: codes(r.get(9)?),
                    locations: codes(r.get(10)?),
                })
            })?
            .collect::<Result<Vec<_>, _>>()?
    };
    let entries: Vec<AccessEntry> = rows
        .iter()
        .map(|row| AccessEntry {
            at,
            accessor: reader.clone(),
            action: AccessAction::List,
            doc_id: row.id.clone(),
        })
        .collect();
    access_log::append(&tx, &entries)?;
    tx.commit()?;
    Ok(rows)
}
