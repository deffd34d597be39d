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

#[cfg(test)]
mod tests {
    use super::super::hr_accounts;
    use super::*;
    use crate::storage::model::NewHrUser;
    use crate::storage::model::PasswordHash;

    fn store() -> Connection {
        super::super::schema::in_memory()
    }

    fn add(conn: &Connection, username: &str, roles: Vec<Role>, created_by: Option<u64>) -> u64 {
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
            created_by,
        };
        hr_accounts::create_user(conn, &user, 0)
            .expect("stored")
            .expect("new")
    }

    #[test]
    fn the_directory_lists_users_by_username_with_their_own_assignments() {
        let mut conn = store();
        let rut = add(&conn, "rut", vec![Role::Recruiter], None);
        let anna = add(&conn, "anna", vec![Role::Admin, Role::Archivist], None);
        hr_accounts::assign_event(&conn, rut, "event-b").expect("assigned");
        hr_accounts::assign_event(&conn, rut, "event-a").expect("assigned");
        hr_accounts::set_clearance(&mut conn, None, anna, true, None, 1).expect("cleared");

        let listed = users(&conn).expect("lists");
        let names: Vec<&str> = listed.iter().map(|e| e.user.username.as_str()).collect();
        assert_eq!(names, ["anna", "rut"]);
        assert_eq!(listed[0].user.roles, [Role::Admin, Role::Archivist]);
        assert!(listed[0].user.restricted_clearance && listed[0].user.must_change_password);
        assert!(listed[0].assigned_events.is_empty());
        assert_eq!(listed[1].assigned_events, ["event-a", "event-b"]);
        assert!(!listed[1].user.restricted_clearance);
    }

    #[test]
    fn the_directory_names_each_creator_and_the_admin_whose_grant_is_in_force() {
        let mut conn = store();
        let anna = add(&conn, "anna", vec![Role::Admin], None);
        let bo = add(&conn, "bo", vec![Role::Admin], Some(anna));
        let cecilia = add(&conn, "cecilia", vec![Role::Admin], None);
        let rut = add(&conn, "rut", vec![Role::Recruiter], Some(bo));
        hr_accounts::set_clearance(&mut conn, None, bo, true, Some(cecilia), 1).expect("set");
        hr_accounts::set_clearance(&mut conn, None, rut, true, Some(anna), 2).expect("set");
        hr_accounts::set_clearance(&mut conn, None, rut, false, Some(cecilia), 3).expect("set");
        hr_accounts::set_clearance(&mut conn, None, anna, true, None, 4).expect("set");

        let listed = users(&conn).expect("lists");
        let seen: Vec<(&str, Option<&str>, Option<&str>)> = listed
            .iter()
            .map(|e| {
                (
                    e.user.username.as_str(),
                    e.created_by.as_deref(),
                    e.clearance_granted_by.as_deref(),
                )
            })
            .collect();
        assert_eq!(
            seen,
            [
                ("anna", None, None),
                ("bo", Some("anna"), Some("cecilia")),
                ("cecilia", None, None),
                ("rut", Some("bo"), None),
            ]
        );
    }
}
