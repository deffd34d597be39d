//! What a tablet pulls: the changes, removals and withdrawals of its scope past its cursor,
//! whole commits at a time. A sync reads its page inside its ingest transaction.

use super::*;

impl SqliteStore {
    /// A pull read on its own, for tests of paging and scope (a sync reads it inside its
    /// ingest transaction).
    #[cfg(test)]
    pub(crate) fn pull(
        &self,
        scope: &PullScope,
        after_seq: u64,
        max_changes: usize,
    ) -> StorageResult<PullPage> {
        pull_page(&self.conn(), scope, after_seq, max_changes)
    }
}

/// What `scope` lacks after `after_seq`: at most about `max_changes` changes, whole commits
/// at a time, and the removals in the same range.
pub(super) fn pull_page(
    conn: &Connection,
    scope: &PullScope,
    after_seq: u64,
    max_changes: usize,
) -> StorageResult<PullPage> {
    let after = after_seq.min(i64::MAX as u64) as i64;
    let current: i64 =
        conn.query_row("SELECT commit_seq FROM relay_state WHERE id = 1", [], |r| {
            r.get(0)
        })?;
    let device = scope.device_key.as_slice();
    let mut page = PullPage::default();
    let mut through = current;
    if scope.role == EnrolledRole::Staff {
        // The page ends with a whole commit, so the cursor never splits one.
        let last: Option<i64> = conn
            .query_row(
                "SELECT commit_seq FROM registration_changes
                 WHERE event_id = ?1 AND commit_seq > ?2 AND restricted = 0 AND actor != ?3
                 ORDER BY commit_seq LIMIT 1 OFFSET ?4",
                params![scope.event_id, after, device, max_changes.max(1) as i64 - 1],
                |r| r.get(0),
            )
            .optional()?;
        if let Some(last) = last {
            through = last;
            page.more = conn.query_row(
                "SELECT EXISTS (SELECT 1 FROM registration_changes
                 WHERE event_id = ?1 AND commit_seq > ?2 AND restricted = 0 AND actor != ?3)",
                params![scope.event_id, last, device],
                |r| r.get(0),
            )?;
        }
        let mut statement = conn.prepare_cached(
            "SELECT c.doc_id, COALESCE(c.change, r.document), r.received_at
             FROM registration_changes c JOIN registrations r ON r.doc_id = c.doc_id
             WHERE c.event_id = ?1 AND c.commit_seq > ?2 AND c.commit_seq <= ?3
               AND c.restricted = 0 AND c.actor != ?4
             ORDER BY c.commit_seq, c.rowid",
        )?;
        let rows = statement.query_map(params![scope.event_id, after, through, device], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, Vec<u8>>(1)?,
                r.get::<_, i64>(2)?,
            ))
        })?;
        let mut by_doc: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
        for row in rows {
            let (doc_id, change, received_at) = row?;
            match by_doc.get(&doc_id) {
                Some(&at) => page.documents[at].changes.extend_from_slice(&change),
                None => {
                    by_doc.insert(doc_id.clone(), page.documents.len());
                    page.documents.push(PulledDocument {
                        doc_id,
                        received_at,
                        changes: change,
                    });
                }
            }
        }
    }
    let (filter, key): (&str, &dyn rusqlite::ToSql) = match scope.role {
        // A restricted record was never sent to a staff tablet; neither is its removal.
        EnrolledRole::Staff => ("event_id = ?1 AND restricted = 0", &scope.event_id),
        EnrolledRole::Kiosk => ("device_key = ?1", &device),
    };
    let mut statement = conn.prepare_cached(&format!(
        "SELECT doc_id FROM removals WHERE {filter} AND commit_seq > ?2 AND commit_seq <= ?3
         ORDER BY commit_seq"
    ))?;
    page.removed = statement
        .query_map(params![key, after, through], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    if scope.role == EnrolledRole::Staff {
        // Withdrawals of the talent-pool consent, numbered like commits; restricted records
        // never reach a staff tablet, nor does anything about them.
        let mut statement = conn.prepare_cached(
            "SELECT w.doc_id FROM talent_pool_withdrawals w
             JOIN registrations r ON r.doc_id = w.doc_id
             WHERE r.event_id = ?1 AND r.restricted = 0
               AND w.commit_seq > ?2 AND w.commit_seq <= ?3
             ORDER BY w.commit_seq",
        )?;
        page.withdrawn = statement
            .query_map(params![scope.event_id, after, through], |r| r.get(0))?
            .collect::<Result<_, _>>()?;
    }
    page.through_seq = through.max(after) as u64;
    Ok(page)
}
