//! The HR user directory as administrators see it: every user with their roles, clearance
//! and assigned events (never a password hash).

use std::collections::HashMap;

use rusqlite::Connection;

use crate::hr::accounts::{HrUser, Role};
use crate::storage::StorageResult;

/// One user of the directory.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct DirectoryEntry {
    #[serde(flatten)]
    pub user: HrUser,
    /// The events whose registrations the user works with (recruiters), sorted.
    pub assigned_events: Vec<String>,
}

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
    let mut statement = conn.prepare_cached(
        "SELECT id, username, display_name, roles, restricted_clearance, must_change_password
         FROM hr_users ORDER BY username",
    )?;
    let rows = statement.query_map([], |r| {
        Ok(HrUser {
            id: r.get::<_, i64>(0)? as u64,
            username: r.get(1)?,
            display_name: r.get(2)?,
            roles: Role::parse_list(&r.get::<_, String>(3)?),
            restricted_clearance: r.get(4)?,
            must_change_password: r.get(5)?,
        })
    })?;
    let mut users = Vec::new();
    for user in rows {
        let user = user?;
        let assigned_events = assignments.remove(&user.id).unwrap_or_default();
        users.push(DirectoryEntry {
            user,
            assigned_events,
        });
    }
    Ok(users)
}

#[cfg(test)]
mod tests {
    use super::super::hr_accounts::{self, NewHrUser};
    use super::*;
    use crate::hr::accounts::PasswordHash;

    fn store() -> Connection {
        let conn = Connection::open_in_memory().expect("opens");
        conn.execute_batch(hr_accounts::SCHEMA).expect("schema");
        conn
    }

    fn add(conn: &Connection, username: &str, roles: Vec<Role>) -> u64 {
        let user = NewHrUser {
            username: username.into(),
            display_name: format!("User {username}"),
            roles,
            password: PasswordHash {
                salt: [0; 16],
                hash: [0; 32],
                memory_kib: 8,
                passes: 1,
            },
            must_change_password: true,
        };
        hr_accounts::create_user(conn, &user, 0)
            .expect("stored")
            .expect("new")
    }

    #[test]
    fn the_directory_lists_users_by_username_with_their_own_assignments() {
        let conn = store();
        let rut = add(&conn, "rut", vec![Role::Recruiter]);
        let anna = add(&conn, "anna", vec![Role::Admin, Role::Archivist]);
        hr_accounts::assign_event(&conn, rut, "event-b").expect("assigned");
        hr_accounts::assign_event(&conn, rut, "event-a").expect("assigned");
        hr_accounts::set_clearance(&conn, anna, true).expect("cleared");

        let listed = users(&conn).expect("lists");
        let names: Vec<&str> = listed.iter().map(|e| e.user.username.as_str()).collect();
        assert_eq!(names, ["anna", "rut"]);
        assert_eq!(listed[0].user.roles, [Role::Admin, Role::Archivist]);
        assert!(listed[0].user.restricted_clearance && listed[0].user.must_change_password);
        assert!(listed[0].assigned_events.is_empty());
        assert_eq!(listed[1].assigned_events, ["event-a", "event-b"]);
        assert!(!listed[1].user.restricted_clearance);
    }
}
