//! The HR user directory as administrators see it: every user with their roles, clearance
//! and assigned events, who created them and who granted the clearance they hold (never a
//! password hash).

use std::collections::HashMap;

use rusqlite::Connection;

use crate::storage::StorageResult;
use crate::storage::model::{DirectoryEntry, HrUser, Role};

/// Every HR user, by username, with their assigned events.
pub(crate) fn users(conn: &Connection) -> StorageResult<Vec<DirectoryEntry>> {
    let mut assignments: HashMap<u64, Vec<String>> = HashMap::new();
    let mut statement = conn.prepare_cached(
        "SELECT user_id, event_id FROM hr_event_assignments ORDER BY user_id, event_id",
    )?;
    for row in statement.query_map([], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?)))? {
        let (user_id, event_id) = row?;
        assignments
            .entry(user_id as u64)
            .or_default()
            .push(event_id);
    }
    // The grant in force is the user's latest clearance change, if they are cleared.
    let mut statement = conn.prepare_cached(
        "SELECT u.id, u.username, u.display_name, u.roles, u.restricted_clearance,
                u.must_change_password, creator.username,
                CASE WHEN u.restricted_clearance THEN (
                    SELECT grantor.username
                    FROM hr_clearance_changes c JOIN hr_users grantor ON grantor.id = c.by_user
                    WHERE c.seq = (SELECT MAX(seq) FROM hr_clearance_changes WHERE user = u.id)
                      AND c.granted
                ) END,
                u.disabled_at IS NOT NULL
         FROM hr_users u LEFT JOIN hr_users creator ON creator.id = u.created_by
         ORDER BY u.username",
    )?;
    let rows = statement.query_map([], |r| {
        let user = HrUser {
            id: r.get::<_, i64>(0)? as u64,
            username: r.get(1)?,
            display_name: r.get(2)?,
            roles: Role::parse_list(&r.get::<_, String>(3)?),
            restricted_clearance: r.get(4)?,
            must_change_password: r.get(5)?,
            disabled: r.get(8)?,
        };
        Ok((user, r.get(6)?, r.get(7)?))
    })?;
    let mut users = Vec::new();
    for row in rows {
        let (user, created_by, clearance_granted_by) = row?;
        let assigned_events = assignments.remove(&user.id).unwrap_or_default();
        users.push(DirectoryEntry {
            user,
            assigned_events,
            created_by,
            clearance_granted_by,
        });
    }
    Ok(users)
}
