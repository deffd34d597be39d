//! What HR's lists and searches read: one row per stored registration with the fields a
//! list filters and shows, kept up to date from the change log. A refresh before each
//! query indexes whatever the log has numbered since the last one (new captures, staff and
//! HR edits) and drops the rows of removed registrations, so the index never outlives the
//! record it copies.

use kiosk_core::documents::RegistrationDocument;
use rusqlite::{Connection, OptionalExtension, params};

use super::access_log;
use crate::storage::StorageResult;
use crate::storage::model::{
    AccessAction, AccessEntry, Accessor, ExportPage, ExportedRegistration, RegistrationFilter,
    RegistrationSummary,
};

fn codes(list: &[String]) -> String {
    format!(",{},", list.join(","))
}

/// Indexes what the change log numbered since the last refresh, in one transaction.
pub(crate) fn refresh(conn: &mut Connection) -> StorageResult<()> {
    let tx = conn.transaction()?;
    let watermark: i64 = tx
        .query_row(
            "SELECT watermark FROM registration_index_state WHERE id = 1",
            [],
            |r| r.get(0),
        )
        .optional()?
        .unwrap_or(-1);
    let newest: i64 = tx.query_row(
        "SELECT COALESCE(MAX(commit_seq), -1) FROM registration_changes",
        [],
        |r| r.get(0),
    )?;
    if newest > watermark {
        let changed: Vec<String> = tx
            .prepare("SELECT DISTINCT doc_id FROM registration_changes WHERE commit_seq > ?1")?
            .query_map([watermark], |r| r.get(0))?
            .collect::<Result<_, _>>()?;
        for doc_id in changed {
            index_one(&tx, &doc_id)?;
        }
    }
    // Removals take numbers from the same counter as commits, so those after the watermark
    // are all this refresh has not seen: each list does not read every removal ever made.
    tx.execute(
        "DELETE FROM registration_index
         WHERE doc_id IN (SELECT doc_id FROM removals WHERE commit_seq > ?1)",
        [watermark],
    )?;
    tx.execute(
        "INSERT INTO registration_index_state (id, watermark) VALUES (1, ?1)
         ON CONFLICT (id) DO UPDATE SET watermark = excluded.watermark",
        [newest.max(watermark)],
    )?;
    tx.commit()?;
    Ok(())
}

fn index_one(conn: &Connection, doc_id: &str) -> StorageResult<()> {
    let receipt_code: Option<String> = conn
        .query_row(
            "SELECT receipt_code FROM registrations WHERE doc_id = ?1",
            [doc_id],
            |r| r.get(0),
        )
        .optional()?;
    let stored = super::stored_registration(conn, doc_id)?;
    let (Some(receipt_code), Some(stored)) = (receipt_code, stored) else {
        conn.execute("DELETE FROM registration_index WHERE doc_id = ?1", [doc_id])?;
        return Ok(());
    };
    // A document the relay stored is one it could read; should one not read now, it is
    // left out of lists (and still readable by id) rather than stopping every list.
    let Ok((document, registration)) = RegistrationDocument::load_unattributed(&stored.changes)
    else {
        tracing::warn!(doc_id, "a stored registration could not be indexed");
        return Ok(());
    };
    let status = document
        .annotations()
        .map(|a| a.status.as_str())
        .unwrap_or("new");
    let person = &registration.person;
    let search = [
        person.given_name.as_str(),
        person.family_name.as_str(),
        person.email.as_deref().unwrap_or(""),
        person.phone.as_deref().unwrap_or(""),
        receipt_code.as_str(),
    ]
    .join(" ")
    .to_lowercase();
    conn.execute(
        "INSERT INTO registration_index (doc_id, event_id, captured_at, restricted, talent_pool,
                                         status, interests, locations, receipt_code,
                                         given_name, family_name, search)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)
         ON CONFLICT (doc_id) DO UPDATE SET
             status = excluded.status, restricted = excluded.restricted,
             talent_pool = excluded.talent_pool, search = excluded.search",
        params![
            doc_id,
            registration.event_id.as_str(),
            registration.captured_at.millis(),
            registration.restricted,
            registration.consents.talent_pool.is_some()
                && super::retention::withdrawn_at(conn, doc_id)?.is_none(),
            status,
            codes(&registration.interests),
            codes(&registration.locations),
            receipt_code,
            person.given_name,
            person.family_name,
            search
        ],
    )?;
    Ok(())
}

/// Adds `condition` with its one `?` numbered for `value`.
fn bind(
    conditions: &mut Vec<String>,
    values: &mut Vec<rusqlite::types::Value>,
    condition: &str,
    value: rusqlite::types::Value,
) {
    values.push(value);
    conditions.push(condition.replace('?', &format!("?{}", values.len())));
}

/// How a list's search text is matched.
enum Search<'a> {
    /// Part of a name, email, phone number or receipt code: a scan of the covering index.
    Part(&'a str),
    /// Exactly this receipt code, through its own index.
    Receipt(String),
}

/// The rows `filter` selects, newest first. A search typed like a receipt code (`7J8D-AV6F`,
/// read out at the desk) that names a registration finds it through the receipt index, in
/// about a millisecond; any other search, or one naming no receipt, matches parts as usual.
pub(crate) fn list(
    conn: &Connection,
    filter: &RegistrationFilter,
) -> StorageResult<Vec<RegistrationSummary>> {
    if let Some(typed) = &filter.search
        && typed.trim().contains(['-', ' '])
        && let Some(code) = kiosk_core::capture::receipt_code::normalize(typed)
    {
        let found = list_by(conn, filter, Some(Search::Receipt(code)))?;
        if !found.is_empty() {
            return Ok(found);
        }
    }
    list_by(conn, filter, filter.search.as_deref().map(Search::Part))
}

fn list_by(
    conn: &Connection,
    filter: &RegistrationFilter,
    search: Option<Search<'_>>,
) -> StorageResult<Vec<RegistrationSummary>> {
    let mut conditions: Vec<String> = Vec::new();
    let mut values: Vec<rusqlite::types::Value> = Vec::new();
    if let Some(events) = &filter.events {
        if events.is_empty() {
            return Ok(Vec::new());
        }
        // Each placeholder gets its own number as it is bound.
        let mut clause = String::from("event_id IN (");
        for (i, event) in events.iter().enumerate() {
            values.push(event.clone().into());
            if i > 0 {
                clause.push_str(", ");
            }
            clause.push_str(&format!("?{}", values.len()));
        }
        clause.push(')');
        conditions.push(clause);
    }
    if !filter.include_restricted {
        conditions.push("restricted = 0".into());
    }
    if let Some(interest) = &filter.interest {
        bind(
            &mut conditions,
            &mut values,
            "instr(interests, ?) > 0",
            format!(",{interest},").into(),
        );
    }
    if let Some(location) = &filter.location {
        bind(
            &mut conditions,
            &mut values,
            "instr(locations, ?) > 0",
            format!(",{location},").into(),
        );
    }
    if let Some(status) = &filter.status {
        bind(
            &mut conditions,
            &mut values,
            "status = ?",
            status.clone().into(),
        );
    }
    if let Some(from) = filter.captured_from {
        bind(
            &mut conditions,
            &mut values,
            "captured_at >= ?",
            from.into(),
        );
    }
    if let Some(before) = filter.captured_before {
        bind(
            &mut conditions,
            &mut values,
            "captured_at < ?",
            before.into(),
        );
    }
    if let Some(talent_pool) = filter.talent_pool {
        bind(
            &mut conditions,
            &mut values,
            "talent_pool = ?",
            i64::from(talent_pool).into(),
        );
    }
    let by_receipt = matches!(search, Some(Search::Receipt(_)));
    match search {
        Some(Search::Part(part)) => bind(
            &mut conditions,
            &mut values,
            "instr(search, ?) > 0",
            part.to_lowercase().into(),
        ),
        Some(Search::Receipt(code)) => bind(
            &mut conditions,
            &mut values,
            "receipt_code = ?",
            code.into(),
        ),
        None => {}
    }
    if let Some((at, doc_id)) = &filter.after {
        values.push((*at).into());
        let at_param = values.len();
        values.push(doc_id.clone().into());
        let id_param = values.len();
        // The first term bounds the index range, so a later page starts where the last
        // ended instead of scanning past every newer row.
        conditions.push(format!(
            "captured_at <= ?{at_param} \
             AND (captured_at < ?{at_param} OR (captured_at = ?{at_param} AND doc_id < ?{id_param}))"
        ));
    }
    // The page's keys from one index alone (see the covering indexes in `super::schema`), then its rows by key.
    // The planner would otherwise walk a list index newest first to spare the sort.
    let mut keys = String::from(if by_receipt {
        "SELECT doc_id FROM registration_index INDEXED BY registration_index_by_receipt"
    } else {
        "SELECT doc_id FROM registration_index"
    });
    if !conditions.is_empty() {
        keys.push_str(" WHERE ");
        keys.push_str(&conditions.join(" AND "));
    }
    keys.push_str(&format!(
        " ORDER BY captured_at DESC, doc_id DESC LIMIT {}",
        filter.limit
    ));
    let sql = format!(
        "SELECT {SUMMARY_COLUMNS}
         FROM registration_index WHERE doc_id IN ({keys})
         ORDER BY captured_at DESC, doc_id DESC"
    );
    let mut statement = conn.prepare(&sql)?;
    let rows = statement
        .query_map(rusqlite::params_from_iter(values), summary_row)?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(rows)
}

/// The index's columns a [`RegistrationSummary`] is read from, in [`summary_row`]'s order.
pub(crate) const SUMMARY_COLUMNS: &str = "doc_id, event_id, captured_at, given_name, \
    family_name, receipt_code, status, talent_pool, restricted, interests, locations";

/// A list's row from the index's [`SUMMARY_COLUMNS`].
pub(crate) fn summary_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<RegistrationSummary> {
    let codes = |text: String| -> Vec<String> {
        text.split(',')
            .filter(|c| !c.is_empty())
            .map(str::to_owned)
            .collect()
    };
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
}

/// Writes a `list` entry in the access log for each of `rows`, by `reader` at `at`: each
/// listed row shows a name, a read of personal data, logged with the list.
pub(crate) fn log_listed(
    conn: &Connection,
    rows: &[RegistrationSummary],
    reader: &Accessor,
    at: i64,
) -> StorageResult<()> {
    let entries: Vec<AccessEntry> = rows
        .iter()
        .map(|row| AccessEntry {
            at,
            accessor: reader.clone(),
            action: AccessAction::List,
            doc_id: row.id.clone(),
        })
        .collect();
    access_log::append(conn, &entries)
}

/// One page of an export: the rows `filter` selects (restricted ones never, whatever the
/// filter says), newest first, each with its stored document and changes.
pub(crate) fn export_page(
    conn: &Connection,
    filter: &RegistrationFilter,
) -> StorageResult<ExportPage> {
    let filter = RegistrationFilter {
        include_restricted: false,
        ..filter.clone()
    };
    let rows = list(conn, &filter)?;
    let next = (rows.len() == filter.limit as usize)
        .then(|| rows.last().map(|r| (r.captured_at, r.id.clone())))
        .flatten();
    let mut records = Vec::with_capacity(rows.len());
    for row in rows {
        // The record's own flag decides, read in the same transaction as the index row.
        match super::stored_registration(conn, &row.id)? {
            Some(stored) if !stored.restricted => records.push(ExportedRegistration {
                id: row.id,
                captured_at: row.captured_at,
                receipt_code: row.receipt_code,
                changes: stored.changes,
                talent_pool: row.talent_pool,
            }),
            _ => {}
        }
    }
    Ok(ExportPage { records, next })
}

#[cfg(test)]
mod tests {
    use crate::storage::SqliteStore;

    /// The SQLite side of the suite's `a_receipt_code_as_read_out_finds_its_registration`:
    /// a receipt code is looked up through its index, not by reading every row.
    #[test]
    fn a_receipt_code_search_reads_the_receipt_index() {
        let store = SqliteStore::in_memory().expect("store");
        let conn = store.conn();
        let plan: String = conn
            .query_row(
                "EXPLAIN QUERY PLAN SELECT doc_id FROM registration_index \
                 INDEXED BY registration_index_by_receipt WHERE receipt_code = 'X'",
                [],
                |r| r.get(3),
            )
            .expect("a plan");
        assert!(plan.contains("registration_index_by_receipt"), "{plan}");
    }
}
