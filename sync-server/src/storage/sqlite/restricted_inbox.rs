//! The restricted inbox: registrations of visitors with protected personal data, which stay
//! out of every other list and export, gathered for the HR users cleared to contact them. Read
//! from the registration index (refreshed first, so new captures and status changes show),
//! uncontacted records first (status `new`), oldest first within each; every row shown is a
//! `list` entry in the access log, in the same commit as the read.

use rusqlite::Connection;

use super::access_log::Accessor;
use super::registration_index::{self, RegistrationSummary, SUMMARY_COLUMNS, summary_row};
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
        "SELECT {SUMMARY_COLUMNS}
         FROM registration_index
         WHERE restricted = 1 {event_clause}
         ORDER BY status = 'new' DESC, captured_at, doc_id
         LIMIT ?1"
    );
    let rows = {
        let mut statement = tx.prepare(&sql)?;
        statement
            .query_map(rusqlite::params_from_iter(values), summary_row)?
            .collect::<Result<Vec<_>, _>>()?
    };
    registration_index::log_listed(&tx, &rows, reader, at)?;
    tx.commit()?;
    Ok(rows)
}
