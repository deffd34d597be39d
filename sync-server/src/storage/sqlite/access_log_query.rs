//! Reviewing the access log: entries filtered by who made them, which record, what action
//! and when, newest first, one page at a time (a page ends at a `seq`; the next starts
//! below it). Reading only: the log itself is [`super::access_log`]'s.
//!
//! Two indexes serve the filters a reviewer starts from, a person and a record; each ends
//! in `seq`, so a page walks the index newest first and stops at its limit. Filters by
//! action or time alone walk the log itself from the newest entry.

use rusqlite::Connection;
use rusqlite::types::Value;

use super::access_log::{ENTRY_COLUMNS, numbered_entries};
use crate::storage::StorageResult;
use crate::storage::model::{AccessEntry, AccessLogQuery};

/// Up to `query.limit` entries `query` selects, newest first, with their numbers.
pub(crate) fn query(
    conn: &Connection,
    query: &AccessLogQuery,
) -> StorageResult<Vec<(u64, AccessEntry)>> {
    // Only the filters asked for are in the statement, so the planner can pick the index
    // of the one that narrows (a `?1 IS NULL OR …` would hide it).
    let mut conditions: Vec<&str> = Vec::new();
    let mut values: Vec<Value> = Vec::new();
    if let Some(operator) = &query.operator {
        conditions.push("actor_kind = 'operator' AND actor = ?");
        values.push(Value::Text(operator.clone()));
    }
    if let Some(doc_id) = &query.doc_id {
        conditions.push("doc_id = ?");
        values.push(Value::Text(doc_id.clone()));
    }
    if let Some(action) = query.action {
        conditions.push("action = ?");
        values.push(Value::Text(action.as_str().to_owned()));
    }
    if let Some(from) = query.from {
        conditions.push("at >= ?");
        values.push(Value::Integer(from));
    }
    if let Some(until) = query.until {
        conditions.push("at <= ?");
        values.push(Value::Integer(until));
    }
    if let Some(before) = query.before_seq {
        conditions.push("seq < ?");
        values.push(Value::Integer(before.min(i64::MAX as u64) as i64));
    }
    if query.without_restricted {
        conditions.push(
            "NOT EXISTS (SELECT 1 FROM registrations r
                         WHERE r.doc_id = access_log.doc_id AND r.restricted)
             AND NOT EXISTS (SELECT 1 FROM removals m
                             WHERE m.doc_id = access_log.doc_id AND m.restricted)",
        );
    }
    values.push(Value::Integer(query.limit.min(i64::MAX as usize) as i64));
    let filter = if conditions.is_empty() {
        String::new()
    } else {
        format!("WHERE {}", conditions.join(" AND "))
    };
    let mut statement = conn.prepare_cached(&format!(
        "SELECT {ENTRY_COLUMNS} FROM access_log
         {filter} ORDER BY seq DESC LIMIT ?"
    ))?;
    numbered_entries(&mut statement, rusqlite::params_from_iter(values))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::storage::AccessAction;
    use crate::storage::Accessor;
    use crate::storage::sqlite::access_log;

    fn log() -> Connection {
        crate::storage::sqlite::schema::in_memory()
    }

    fn by(name: &str, action: AccessAction, doc: &str, at: i64) -> AccessEntry {
        AccessEntry {
            at,
            accessor: Accessor::Operator(name.into()),
            action,
            doc_id: doc.into(),
        }
    }

    /// Seven entries, numbered 1–7.
    fn seven() -> Connection {
        let conn = log();
        let tablet = AccessEntry {
            at: 50,
            accessor: Accessor::Device {
                device_key: [1; 32],
                recruiter: Some("hr:anna".into()),
            },
            action: AccessAction::Pull,
            doc_id: "doc-a".into(),
        };
        access_log::append(
            &conn,
            &[
                by("hr:anna", AccessAction::List, "doc-a", 10),
                by("hr:anna", AccessAction::Read, "doc-a", 20),
                by("hr:bertil", AccessAction::Read, "doc-b", 30),
                by("hr:anna", AccessAction::ReadRefused, "doc-b", 40),
                tablet,
                by("hr:anna", AccessAction::Export, "doc-b", 60),
                by("hr:bertil", AccessAction::Read, "doc-a", 70),
            ],
        )
        .expect("appends");
        conn
    }

    #[test]
    fn a_person_or_record_filter_reads_its_index_not_the_whole_log() {
        let conn = seven();
        // As `query` filters: a person by `actor_kind = 'operator' AND actor = ?`.
        for (filter, index) in [
            (
                "actor_kind = 'operator' AND actor = 'x'",
                "access_log_by_operator",
            ),
            ("doc_id = 'x'", "access_log_by_doc"),
        ] {
            let plan: String = conn
                .query_row(
                    &format!(
                        "EXPLAIN QUERY PLAN SELECT seq FROM access_log WHERE {filter}
                         AND action = 'read' ORDER BY seq DESC LIMIT 5"
                    ),
                    [],
                    |r| r.get(3),
                )
                .expect("plans");
            assert!(plan.contains(index), "{filter}: {plan}");
        }
    }
}
