//! The restricted inbox: registrations of visitors with protected personal data, which stay
//! out of every other list and export, gathered for the HR users cleared to contact them. Read
//! from the registration index (kept current by every write), uncontacted records first
//! (status `new`), oldest first within each; every row shown is a `list` entry in the access
//! log, written by the store before it answers.
//!
//! Beside it, the requests that need a cleared user: a subject access or a disclosure asked
//! by a user without the clearance that matched restricted records. That user is answered
//! as if nothing restricted matched (they cannot tell that such a record exists); the
//! request, with the ids of the records it matched, waits here for the cleared users.

use rusqlite::{Connection, params};

use super::registration_index::{SUMMARY_COLUMNS, summary_row};
use crate::storage::StorageResult;
use crate::storage::model::{RegistrationSummary, RestrictedRequest};

/// Up to `limit` restricted registrations of `events` (every event for `None`), in inbox
/// order. Each is owed a `list` entry in the access log (see `logged_reads::listed`).
pub(crate) fn list(
    conn: &Connection,
    events: Option<&[String]>,
    limit: u32,
) -> StorageResult<Vec<RegistrationSummary>> {
    if events.is_some_and(<[String]>::is_empty) {
        return Ok(Vec::new());
    }
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
    let mut statement = conn.prepare(&sql)?;
    let rows = statement
        .query_map(rusqlite::params_from_iter(values), summary_row)?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(rows)
}

/// Records a request for the cleared users, inside the caller's transaction.
pub(crate) fn route_to_cleared(
    conn: &Connection,
    at: i64,
    kind: &str,
    requested_by: &str,
    doc_ids: &[String],
) -> StorageResult<()> {
    if doc_ids.is_empty() {
        return Ok(());
    }
    conn.execute(
        "INSERT INTO restricted_requests (at, kind, requested_by, doc_ids)
         VALUES (?1, ?2, ?3, ?4)",
        params![at, kind, requested_by, doc_ids.join(",")],
    )?;
    Ok(())
}

/// The newest `limit` requests routed to cleared users.
pub(crate) fn requests(conn: &Connection, limit: u32) -> StorageResult<Vec<RestrictedRequest>> {
    let mut statement = conn.prepare_cached(
        "SELECT id, at, kind, requested_by, doc_ids FROM restricted_requests
         ORDER BY id DESC LIMIT ?1",
    )?;
    let rows = statement
        .query_map([i64::from(limit)], |r| {
            let ids: String = r.get(4)?;
            Ok(RestrictedRequest {
                id: r.get::<_, i64>(0)? as u64,
                at: r.get(1)?,
                kind: r.get(2)?,
                requested_by: r.get(3)?,
                doc_ids: ids.split(',').map(str::to_owned).collect(),
            })
        })?
        .collect::<Result<_, _>>()?;
    Ok(rows)
}
