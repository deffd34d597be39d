//! The restricted inbox on PostgreSQL (as the SQLite store's `restricted_inbox`): restricted
//! registrations, which stay out of every other list and export, gathered for the HR users
//! cleared to contact them, uncontacted (status `new`) first and oldest first within each;
//! and the requests by users without the clearance that matched restricted records.
//!
//! The inbox reads the partial index `registration_index_restricted`, whose key is the
//! inbox's order, so a page is read from its start and stops at its end however many open
//! records the index holds beside.

use postgres::GenericClient;
use postgres::types::ToSql;

use super::registration_index::{SUMMARY_COLUMNS, summary_row};
use super::rows::unsigned;
use crate::storage::StorageResult;
use crate::storage::model::{RegistrationSummary, RestrictedRequest};

/// Up to `limit` restricted registrations of `events` (every event for `None`), in inbox
/// order. Each is owed a `list` entry in the access log.
pub(crate) fn list(
    client: &mut impl GenericClient,
    events: Option<&[String]>,
    limit: u32,
) -> StorageResult<Vec<RegistrationSummary>> {
    let limit = i64::from(limit);
    let events = events.map(<[String]>::to_vec);
    if events.as_ref().is_some_and(Vec::is_empty) {
        return Ok(Vec::new());
    }
    let mut params: Vec<&(dyn ToSql + Sync)> = vec![&limit];
    let event_clause = match &events {
        Some(events) => {
            params.push(events);
            "AND event_id = ANY($2)"
        }
        None => "",
    };
    let rows = client.query(&query(event_clause), &params)?;
    rows.iter().map(summary_row).collect()
}

/// The inbox's query, `$1` its limit, narrowed by `event_clause`.
fn query(event_clause: &str) -> String {
    // The ORDER BY is `registration_index_restricted`'s key, word for word.
    format!(
        "SELECT {SUMMARY_COLUMNS}
         FROM registration_index
         WHERE restricted {event_clause}
         ORDER BY (status = 'new') DESC, captured_at, doc_id
         LIMIT $1"
    )
}

/// The plan PostgreSQL chooses for a page of the inbox of every event, as `EXPLAIN` prints it.
#[cfg(test)]
pub(super) fn explain(client: &mut impl GenericClient, limit: i64) -> StorageResult<String> {
    let rows = client.query(&format!("EXPLAIN {}", query("")), &[&limit])?;
    Ok(rows
        .iter()
        .map(|row| row.try_get::<_, String>(0))
        .collect::<Result<Vec<_>, _>>()?
        .join("\n"))
}

/// The newest `limit` requests routed to cleared users.
pub(crate) fn requests(
    client: &mut impl GenericClient,
    limit: u32,
) -> StorageResult<Vec<RestrictedRequest>> {
    let rows = client.query(
        "SELECT id, at, kind, requested_by, doc_ids FROM restricted_requests
         ORDER BY id DESC LIMIT $1",
        &[&i64::from(limit)],
    )?;
    rows.iter()
        .map(|row| {
            let ids: String = row.try_get(4)?;
            Ok(RestrictedRequest {
                id: unsigned(row.try_get(0)?, "restricted request id")?,
                at: row.try_get(1)?,
                kind: row.try_get(2)?,
                requested_by: row.try_get(3)?,
                doc_ids: ids.split(',').map(str::to_owned).collect(),
            })
        })
        .collect()
}
