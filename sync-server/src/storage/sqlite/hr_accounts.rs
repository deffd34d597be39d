//! Central HR's accounts: users with their roles, clearance, password hash and the admin
//! who created them; every change of a clearance, with who made it; and the credentials
//! that stand for a user (console sessions and API tokens), kept by the hash of their
//! secret only.

use rusqlite::{Connection, OptionalExtension, params};

use crate::storage::model::{
    AccessAction, Accessor, AccountAction, AccountChange, AccountChangeOutcome,
    AccountChangeRecord, AccountOrigin, ClearanceChange, Credential, CredentialKind, HrUser,
    JournalPassword, LifecycleEntry, NewHrUser, PasswordHash, Role, TokenInfo,
};
use crate::storage::{StorageError, StorageResult};

const USER_COLUMNS: &str = "id, username, display_name, roles, restricted_clearance, \
     password_salt, password_hash, password_memory_kib, password_passes, must_change_password, \
     disabled_at IS NOT NULL";

fn user_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<(HrUser, PasswordHash)> {
    let roles: String = row.get(3)?;
    let salt: Vec<u8> = row.get(5)?;
    let hash: Vec<u8> = row.get(6)?;
    let user = HrUser {
        id: row.get::<_, i64>(0)? as u64,
        username: row.get(1)?,
        display_name: row.get(2)?,
        roles: Role::parse_list(&roles),
        restricted_clearance: row.get(4)?,
        must_change_password: row.get(9)?,
        disabled: row.get(10)?,
    };
    let password = PasswordHash {
        salt: salt.try_into().unwrap_or([0; 16]),
        hash: hash.try_into().unwrap_or([0; 32]),
        memory_kib: row.get(7)?,
        passes: row.get(8)?,
    };
    Ok((user, password))
}

/// Creates a user; `None` if the username is taken.
pub(crate) fn create_user(
    conn: &Connection,
    user: &NewHrUser,
    at: i64,
) -> StorageResult<Option<u64>> {
    let inserted = conn.execute(
        "INSERT INTO hr_users (username, display_name, roles, password_salt, password_hash,
                               password_memory_kib, password_passes, must_change_password,
                               created_at, created_by)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)
         ON CONFLICT (username) DO NOTHING",
        params![
            user.username,
            user.display_name,
            Role::list(&user.roles),
            user.password.salt.as_slice(),
            user.password.hash.as_slice(),
            user.password.memory_kib,
            user.password.passes,
            user.must_change_password,
            at,
            user.created_by.map(|id| id as i64)
        ],
    )?;
    Ok((inserted == 1).then(|| conn.last_insert_rowid() as u64))
}

pub(crate) fn user_by_username(
    conn: &Connection,
    username: &str,
) -> StorageResult<Option<(HrUser, PasswordHash)>> {
    Ok(conn
        .query_row(
            &format!("SELECT {USER_COLUMNS} FROM hr_users WHERE username = ?1"),
            [username],
            user_row,
        )
        .optional()?)
}

pub(crate) fn user(conn: &Connection, id: u64) -> StorageResult<Option<(HrUser, PasswordHash)>> {
    Ok(conn
        .query_row(
            &format!("SELECT {USER_COLUMNS} FROM hr_users WHERE id = ?1"),
            [id as i64],
            user_row,
        )
        .optional()?)
}

/// The user `id` and the admin who created them; `None` if there is no such user.
pub(crate) fn origin(conn: &Connection, id: u64) -> StorageResult<Option<AccountOrigin>> {
    Ok(conn
        .query_row(
            "SELECT created_by FROM hr_users WHERE id = ?1",
            [id as i64],
            |r| {
                Ok(AccountOrigin {
                    id,
                    created_by: r.get::<_, Option<i64>>(0)?.map(|c| c as u64),
                })
            },
        )
        .optional()?)
}

/// Replaces a user's password and ends every session and token they had, in one
/// transaction. `false` if there is no such user.
pub(crate) fn set_password(
    conn: &mut Connection,
    journal: Option<&super::lifecycle_journal::LifecycleJournal>,
    id: u64,
    password: &PasswordHash,
    must_change: bool,
) -> StorageResult<bool> {
    let tx = conn.transaction()?;
    // A replaced password must stay replaced after a restore of an older backup (it may
    // have been changed because it leaked).
    if let Some(username) = tx
        .query_row(
            "SELECT username FROM hr_users WHERE id = ?1",
            [id as i64],
            |r| r.get::<_, String>(0),
        )
        .optional()?
    {
        super::lifecycle_journal::record(
            journal,
            &[LifecycleEntry::Access {
                user_id: id,
                username,
                change: "password".into(),
                at: crate::state::now_ms(),
                by: "relay".into(),
                reason: None,
                password: Some(JournalPassword::of(password, must_change)),
            }],
        )?;
    }
    let updated = tx.execute(
        "UPDATE hr_users SET password_salt = ?2, password_hash = ?3, password_memory_kib = ?4,
                             password_passes = ?5, must_change_password = ?6
         WHERE id = ?1",
        params![
            id as i64,
            password.salt.as_slice(),
            password.hash.as_slice(),
            password.memory_kib,
            password.passes,
            must_change
        ],
    )?;
    tx.execute("DELETE FROM hr_credentials WHERE user_id = ?1", [id as i64])?;
    tx.commit()?;
    Ok(updated == 1)
}

/// Sets user `id`'s restricted clearance and records the change, made by `by` at `at`, in
/// the same transaction. Setting it to what it is already changes and records nothing.
/// `false` if there is no such user.
pub(crate) fn set_clearance(
    conn: &mut Connection,
    journal: Option<&super::lifecycle_journal::LifecycleJournal>,
    id: u64,
    cleared: bool,
    by: Option<u64>,
    at: i64,
) -> StorageResult<bool> {
    let tx = conn.transaction()?;
    let changed = tx.execute(
        "UPDATE hr_users SET restricted_clearance = ?2
         WHERE id = ?1 AND restricted_clearance IS NOT ?2",
        params![id as i64, cleared],
    )?;
    let exists = if changed == 1 {
        tx.execute(
            "INSERT INTO hr_clearance_changes (at, by_user, user, granted)
             VALUES (?1, ?2, ?3, ?4)",
            params![at, by.map(|b| b as i64), id as i64, cleared],
        )?;
        if !cleared {
            // A withdrawal must survive a restore (see `lifecycle_journal`).
            journal_access_taken(&tx, journal, id, "remove_clearance", by, at)?;
        }
        true
    } else {
        tx.query_row(
            "SELECT EXISTS (SELECT 1 FROM hr_users WHERE id = ?1)",
            [id as i64],
            |r| r.get(0),
        )?
    };
    tx.commit()?;
    Ok(exists)
}

/// The changes of user `user_id`'s clearance, newest first.
pub(crate) fn clearance_history(
    conn: &Connection,
    user_id: u64,
) -> StorageResult<Vec<ClearanceChange>> {
    let mut statement = conn.prepare_cached(
        "SELECT c.seq, c.at, u.username, c.granted
         FROM hr_clearance_changes c LEFT JOIN hr_users u ON u.id = c.by_user
         WHERE c.user = ?1 ORDER BY c.seq DESC",
    )?;
    let changes = statement
        .query_map([user_id as i64], |r| {
            Ok(ClearanceChange {
                seq: r.get::<_, i64>(0)? as u64,
                at: r.get(1)?,
                by: r.get(2)?,
                granted: r.get(3)?,
            })
        })?
        .collect::<Result<_, _>>()?;
    Ok(changes)
}

pub(crate) fn put_credential(
    conn: &Connection,
    secret_hash: &[u8; 32],
    credential: &Credential,
    label: Option<&str>,
    at: i64,
) -> StorageResult<()> {
    // Only for an enabled user, in the one statement: a login or token request that
    // passed its checks before a disable, written after it, is not kept to open the
    // account again once it is enabled (the disable deleted what existed then).
    conn.execute(
        "INSERT INTO hr_credentials (secret_hash, kind, user_id, csrf_hash, label, created_at,
                                     expires_at, last_used_at)
         SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?6 FROM hr_users
         WHERE id = ?3 AND disabled_at IS NULL",
        params![
            secret_hash.as_slice(),
            credential.kind.as_str(),
            credential.user_id as i64,
            credential.csrf_hash.as_ref().map(|h| h.as_slice()),
            label,
            at,
            credential.expires_at
        ],
    )?;
    Ok(())
}

/// The credential with this secret hash and its user, if it has not expired at `now`;
/// an expired one is deleted.
/// What a credential's secret found, read without writing anything (on a reader).
pub(crate) enum CredentialRead {
    /// No such credential, or its user is disabled.
    Unknown,
    /// Past its expiry: the caller deletes it through the writer.
    Expired,
    Open(Credential, HrUser),
}

pub(crate) fn credential(
    conn: &Connection,
    secret_hash: &[u8; 32],
    now: i64,
) -> StorageResult<CredentialRead> {
    let found = conn
        .query_row(
            "SELECT kind, user_id, csrf_hash, expires_at, last_used_at FROM hr_credentials
             WHERE secret_hash = ?1",
            [secret_hash.as_slice()],
            |row| {
                let kind: String = row.get(0)?;
                let csrf: Option<Vec<u8>> = row.get(2)?;
                Ok(Credential {
                    kind: if kind == "session" {
                        CredentialKind::Session
                    } else {
                        CredentialKind::ApiToken
                    },
                    user_id: row.get::<_, i64>(1)? as u64,
                    csrf_hash: csrf.and_then(|c| c.try_into().ok()),
                    expires_at: row.get(3)?,
                    last_used_at: row.get(4)?,
                })
            },
        )
        .optional()?;
    let Some(credential) = found else {
        return Ok(CredentialRead::Unknown);
    };
    if credential.expires_at <= now {
        return Ok(CredentialRead::Expired);
    }
    let Some((user, _)) = user(conn, credential.user_id)? else {
        return Err(StorageError::Undecodable("a credential's user"));
    };
    // Disabling deletes a user's credentials in its transaction; this also holds for any
    // written after (a login racing the disable), so a disabled user's secret opens nothing.
    if user.disabled {
        return Ok(CredentialRead::Unknown);
    }
    Ok(CredentialRead::Open(credential, user))
}

/// Records a use (a session's idle time counts from the last one); `false` if the
/// credential is gone (a logout, a revocation or a disable since it was read).
pub(crate) fn touch_credential(
    conn: &Connection,
    secret_hash: &[u8; 32],
    now: i64,
) -> StorageResult<bool> {
    let changed = conn.execute(
        "UPDATE hr_credentials SET last_used_at = ?2 WHERE secret_hash = ?1",
        params![secret_hash.as_slice(), now],
    )?;
    Ok(changed > 0)
}

pub(crate) fn delete_credential(conn: &Connection, secret_hash: &[u8; 32]) -> StorageResult<()> {
    conn.execute(
        "DELETE FROM hr_credentials WHERE secret_hash = ?1",
        [secret_hash.as_slice()],
    )?;
    Ok(())
}

/// Assigns `event_id` to the user; `false` if there is no such user.
pub(crate) fn assign_event(conn: &Connection, user_id: u64, event_id: &str) -> StorageResult<bool> {
    if user(conn, user_id)?.is_none() {
        return Ok(false);
    }
    conn.execute(
        "INSERT INTO hr_event_assignments (user_id, event_id) VALUES (?1, ?2)
         ON CONFLICT DO NOTHING",
        params![user_id as i64, event_id],
    )?;
    Ok(true)
}

/// Takes `event_id` from the user's assignments; `false` if it was not assigned.
/// Journals access taken from user `id` (`change` as the change history names it), made by
/// HR user `by` at `at`, before the commit that takes it, so that a restore of an older
/// backup takes it again.
fn journal_access_taken(
    conn: &Connection,
    journal: Option<&super::lifecycle_journal::LifecycleJournal>,
    id: u64,
    change: &str,
    by: Option<u64>,
    at: i64,
) -> StorageResult<()> {
    let Some(username) = conn
        .query_row(
            "SELECT username FROM hr_users WHERE id = ?1",
            [id as i64],
            |r| r.get::<_, String>(0),
        )
        .optional()?
    else {
        return Ok(());
    };
    let by = match by {
        Some(by) => conn
            .query_row(
                "SELECT username FROM hr_users WHERE id = ?1",
                [by as i64],
                |r| r.get::<_, String>(0),
            )
            .optional()?
            .map_or_else(|| format!("hr-user:{by}"), |name| format!("hr:{name}")),
        None => "relay".to_owned(),
    };
    super::lifecycle_journal::record(
        journal,
        &[LifecycleEntry::Access {
            user_id: id,
            username,
            change: change.to_owned(),
            at,
            by,
            reason: None,
            password: None,
        }],
    )
}

pub(crate) fn unassign_event(
    conn: &Connection,
    journal: Option<&super::lifecycle_journal::LifecycleJournal>,
    user_id: u64,
    event_id: &str,
) -> StorageResult<bool> {
    let assigned: bool = conn.query_row(
        "SELECT EXISTS (SELECT 1 FROM hr_event_assignments WHERE user_id = ?1 AND event_id = ?2)",
        params![user_id as i64, event_id],
        |r| r.get(0),
    )?;
    if !assigned {
        return Ok(false);
    }
    // Taking an event back must survive a restore: a staff tablet acting for the user
    // would pull it again.
    journal_access_taken(
        conn,
        journal,
        user_id,
        &format!("unassign.{event_id}"),
        None,
        crate::state::now_ms(),
    )?;
    let removed = conn.execute(
        "DELETE FROM hr_event_assignments WHERE user_id = ?1 AND event_id = ?2",
        params![user_id as i64, event_id],
    )?;
    Ok(removed > 0)
}

pub(crate) fn assigned_events(conn: &Connection, user_id: u64) -> StorageResult<Vec<String>> {
    let mut statement = conn.prepare_cached(
        "SELECT event_id FROM hr_event_assignments WHERE user_id = ?1 ORDER BY event_id",
    )?;
    let events = statement
        .query_map([user_id as i64], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    Ok(events)
}

fn enabled_admins_besides(conn: &Connection, id: u64) -> StorageResult<u64> {
    let mut statement = conn
        .prepare_cached("SELECT roles FROM hr_users WHERE disabled_at IS NULL AND id IS NOT ?1")?;
    let roles = statement
        .query_map([id as i64], |r| r.get::<_, String>(0))?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(roles
        .iter()
        .filter(|r| Role::parse_list(r).contains(&Role::Admin))
        .count() as u64)
}

/// Makes `change` in one transaction with its record and its access-log entry; the guard
/// rail (never the last enabled admin) is checked inside it, so two admins disabling each
/// other at once cannot both succeed.
pub(crate) fn change_account(
    conn: &mut Connection,
    journal: Option<&super::lifecycle_journal::LifecycleJournal>,
    change: &AccountChange,
) -> StorageResult<AccountChangeOutcome> {
    let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    let Some((target, _)) = user(&tx, change.user_id)? else {
        return Ok(AccountChangeOutcome::NoSuchUser);
    };
    let id = change.user_id as i64;
    let takes_admin = match &change.action {
        AccountAction::Disable => !target.disabled && target.has(Role::Admin),
        AccountAction::RemoveRole(Role::Admin) => !target.disabled && target.has(Role::Admin),
        _ => false,
    };
    if takes_admin && enabled_admins_besides(&tx, change.user_id)? == 0 {
        return Ok(AccountChangeOutcome::LastAdmin);
    }
    let changed = match &change.action {
        AccountAction::Disable => {
            let n = tx.execute(
                "UPDATE hr_users SET disabled_at = ?2 WHERE id = ?1 AND disabled_at IS NULL",
                params![id, change.at],
            )?;
            tx.execute("DELETE FROM hr_credentials WHERE user_id = ?1", [id])?;
            n == 1
        }
        AccountAction::Enable => {
            tx.execute(
                "UPDATE hr_users SET disabled_at = NULL WHERE id = ?1 AND disabled_at IS NOT NULL",
                [id],
            )? == 1
        }
        AccountAction::RemoveRole(role) => {
            if !target.has(*role) {
                false
            } else {
                let left: Vec<Role> = target.roles.iter().copied().filter(|r| r != role).collect();
                tx.execute(
                    "UPDATE hr_users SET roles = ?2 WHERE id = ?1",
                    params![id, Role::list(&left)],
                )?;
                if *role == Role::Recruiter {
                    // The assignments were the recruiter's; a role given back starts afresh.
                    tx.execute("DELETE FROM hr_event_assignments WHERE user_id = ?1", [id])?;
                }
                true
            }
        }
        AccountAction::RemoveClearance => {
            let n = tx.execute(
                "UPDATE hr_users SET restricted_clearance = 0
                 WHERE id = ?1 AND restricted_clearance = 1",
                [id],
            )?;
            if n == 1 {
                tx.execute(
                    "INSERT INTO hr_clearance_changes (at, by_user, user, granted)
                     VALUES (?1, ?2, ?3, 0)",
                    params![change.at, change.by_user.map(|b| b as i64), id],
                )?;
            }
            n == 1
        }
        AccountAction::GrantClearance => {
            let n = tx.execute(
                "UPDATE hr_users SET restricted_clearance = 1
                 WHERE id = ?1 AND restricted_clearance = 0",
                [id],
            )?;
            if n == 1 {
                tx.execute(
                    "INSERT INTO hr_clearance_changes (at, by_user, user, granted)
                     VALUES (?1, ?2, ?3, 1)",
                    params![change.at, change.by_user.map(|b| b as i64), id],
                )?;
            }
            n == 1
        }
        AccountAction::ResetPassword(password) => {
            tx.execute(
                "UPDATE hr_users SET password_salt = ?2, password_hash = ?3,
                        password_memory_kib = ?4, password_passes = ?5, must_change_password = 1
                 WHERE id = ?1",
                params![
                    id,
                    password.salt.as_slice(),
                    password.hash.as_slice(),
                    password.memory_kib,
                    password.passes
                ],
            )?;
            tx.execute("DELETE FROM hr_credentials WHERE user_id = ?1", [id])?;
            true
        }
        AccountAction::RevokeToken(token) => {
            let n = tx.execute(
                "DELETE FROM hr_credentials
                 WHERE rowid = ?1 AND user_id = ?2 AND kind = 'api_token'",
                params![(*token).min(i64::MAX as u64) as i64, id],
            )?;
            if n == 0 {
                return Ok(AccountChangeOutcome::NoSuchToken);
            }
            true
        }
    };
    if !changed {
        return Ok(AccountChangeOutcome::Unchanged);
    }
    let name = change.action.name();
    tx.execute(
        "INSERT INTO hr_account_changes (at, by_user, by_name, user, change, reason)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![
            change.at,
            change.by_user.map(|b| b as i64),
            change.by_name,
            id,
            name,
            change.reason
        ],
    )?;
    super::access_log::append_one(
        &tx,
        change.at,
        &Accessor::Operator(change.by_name.clone()),
        AccessAction::AccountChange,
        &format!("{name}:{}", target.username),
    )?;
    // Journalled before the commit, so that a restore of an older backup cannot give the
    // access back (see `lifecycle_journal`). A grant is not journalled: the journal carries
    // access taken, and a grant a restore loses is granted again, never the other way.
    let journal = journal.filter(|_| !matches!(change.action, AccountAction::GrantClearance));
    super::lifecycle_journal::record(
        journal,
        &[LifecycleEntry::Access {
            user_id: change.user_id,
            username: target.username.clone(),
            change: name,
            at: change.at,
            by: change.by_name.clone(),
            reason: change.reason.clone(),
            password: match &change.action {
                AccountAction::ResetPassword(hash) => Some(JournalPassword::of(hash, true)),
                _ => None,
            },
        }],
    )?;
    tx.commit()?;
    Ok(AccountChangeOutcome::Done)
}

/// Carries out again, in a restored store, a recorded change of user `user_id`'s access
/// named `change` (as [`AccountAction::name`] names it) made at `at`: only if the store
/// has that user under `username`, created no later than the change, and does not record
/// the change already. `true` if it was carried out.
///
/// A password reset is carried out as an unknown password that must be changed (the
/// one-time password is not kept): the backup's password never opens the account again,
/// and an admin resets it anew.
#[allow(clippy::too_many_arguments)] // one journal entry's fields, as it holds them
pub(crate) fn replay_change(
    tx: &rusqlite::Transaction<'_>,
    user_id: u64,
    username: &str,
    change: &str,
    at: i64,
    by: &str,
    reason: Option<&str>,
    password: Option<&JournalPassword>,
) -> StorageResult<bool> {
    let id = user_id.min(i64::MAX as u64) as i64;
    let target: Option<String> = tx
        .query_row(
            "SELECT roles FROM hr_users WHERE id = ?1 AND username = ?2 AND created_at <= ?3",
            params![id, username, at],
            |r| r.get(0),
        )
        .optional()?;
    let Some(roles) = target else {
        return Ok(false);
    };
    let known: bool = tx.query_row(
        "SELECT EXISTS (SELECT 1 FROM hr_account_changes WHERE user = ?1 AND change = ?2 AND at = ?3)",
        params![id, change, at],
        |r| r.get(0),
    )?;
    // A password set is carried out again even when the store records its change: setting
    // every journalled password in time order ends with the one in force, where skipping a
    // known reset would leave an older password from before it.
    if let Some(password) = password.filter(|_| matches!(change, "password" | "reset_password")) {
        let (Ok(salt), Ok(hash)) = (hex::decode(&password.salt), hex::decode(&password.hash))
        else {
            return Ok(false);
        };
        tx.execute(
            "UPDATE hr_users SET password_salt = ?2, password_hash = ?3, password_memory_kib = ?4,
                                 password_passes = ?5, must_change_password = ?6
             WHERE id = ?1",
            params![
                id,
                salt,
                hash,
                password.memory_kib,
                password.passes,
                password.must_change
            ],
        )?;
        tx.execute(
            "DELETE FROM hr_credentials WHERE user_id = ?1 AND created_at <= ?2",
            params![id, at],
        )?;
        if known {
            return Ok(false);
        }
        tx.execute(
            "INSERT INTO hr_account_changes (at, by_user, by_name, user, change, reason)
             VALUES (?1, NULL, ?2, ?3, ?4, ?5)",
            params![at, by, id, change, reason],
        )?;
        return Ok(true);
    }
    if known {
        return Ok(false);
    }
    let end_credentials = |tx: &rusqlite::Transaction<'_>| {
        tx.execute(
            "DELETE FROM hr_credentials WHERE user_id = ?1 AND created_at <= ?2",
            params![id, at],
        )
    };
    match change {
        "disable" => {
            tx.execute(
                "UPDATE hr_users SET disabled_at = ?2 WHERE id = ?1 AND disabled_at IS NULL",
                params![id, at],
            )?;
            end_credentials(tx)?;
        }
        "enable" => {
            tx.execute("UPDATE hr_users SET disabled_at = NULL WHERE id = ?1", [id])?;
        }
        "remove_clearance" => {
            let n = tx.execute(
                "UPDATE hr_users SET restricted_clearance = 0
                 WHERE id = ?1 AND restricted_clearance = 1",
                [id],
            )?;
            if n == 1 {
                tx.execute(
                    "INSERT INTO hr_clearance_changes (at, by_user, user, granted)
                     VALUES (?1, NULL, ?2, 0)",
                    params![at, id],
                )?;
            }
        }
        // A reset known only from the replaced store (no journal): the one-time password
        // is not kept there.
        "reset_password" => {
            let unknown: [u8; 32] = rand::random();
            let salt: [u8; 16] = rand::random();
            tx.execute(
                "UPDATE hr_users SET password_salt = ?2, password_hash = ?3,
                        must_change_password = 1
                 WHERE id = ?1",
                params![id, salt.as_slice(), unknown.as_slice()],
            )?;
            end_credentials(tx)?;
        }
        other => {
            if let Some(role) = other.strip_prefix("remove_role.") {
                let Some(role) = Role::parse(role) else {
                    return Ok(false);
                };
                let left: Vec<Role> = Role::parse_list(&roles)
                    .into_iter()
                    .filter(|r| *r != role)
                    .collect();
                tx.execute(
                    "UPDATE hr_users SET roles = ?2 WHERE id = ?1",
                    params![id, Role::list(&left)],
                )?;
                if role == Role::Recruiter {
                    tx.execute("DELETE FROM hr_event_assignments WHERE user_id = ?1", [id])?;
                }
            } else if let Some(event) = other.strip_prefix("unassign.") {
                tx.execute(
                    "DELETE FROM hr_event_assignments WHERE user_id = ?1 AND event_id = ?2",
                    params![id, event],
                )?;
            } else if let Some(token) = other.strip_prefix("revoke_token.") {
                let Ok(token) = token.parse::<i64>() else {
                    return Ok(false);
                };
                tx.execute(
                    "DELETE FROM hr_credentials
                     WHERE rowid = ?1 AND user_id = ?2 AND kind = 'api_token'
                       AND created_at <= ?3",
                    params![token, id, at],
                )?;
            } else {
                return Ok(false);
            }
        }
    }
    tx.execute(
        "INSERT INTO hr_account_changes (at, by_user, by_name, user, change, reason)
         VALUES (?1, NULL, ?2, ?3, ?4, ?5)",
        params![at, by, id, change, reason],
    )?;
    Ok(true)
}

/// The recorded changes of user `user_id`'s access, newest first.
pub(crate) fn account_changes(
    conn: &Connection,
    user_id: u64,
) -> StorageResult<Vec<AccountChangeRecord>> {
    let mut statement = conn.prepare_cached(
        "SELECT seq, at, by_name, change, reason FROM hr_account_changes
         WHERE user = ?1 ORDER BY seq DESC",
    )?;
    let changes = statement
        .query_map([user_id as i64], |r| {
            Ok(AccountChangeRecord {
                seq: r.get::<_, i64>(0)? as u64,
                at: r.get(1)?,
                by: r.get(2)?,
                change: r.get(3)?,
                reason: r.get(4)?,
            })
        })?
        .collect::<Result<_, _>>()?;
    Ok(changes)
}

/// User `user_id`'s unexpired API tokens at `now`, newest first.
pub(crate) fn api_tokens(
    conn: &Connection,
    user_id: u64,
    now: i64,
) -> StorageResult<Vec<TokenInfo>> {
    let mut statement = conn.prepare_cached(
        "SELECT rowid, label, created_at, expires_at, last_used_at FROM hr_credentials
         WHERE user_id = ?1 AND kind = 'api_token' AND expires_at > ?2
         ORDER BY created_at DESC, rowid DESC",
    )?;
    let tokens = statement
        .query_map(params![user_id as i64, now], |r| {
            Ok(TokenInfo {
                id: r.get::<_, i64>(0)? as u64,
                label: r.get(1)?,
                created_at: r.get(2)?,
                expires_at: r.get(3)?,
                last_used_at: r.get(4)?,
            })
        })?
        .collect::<Result<_, _>>()?;
    Ok(tokens)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::storage::SqliteStore;
    use crate::storage::prelude::*;

    #[test]
    fn opening_a_store_made_before_creators_were_recorded_adds_the_column() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("relay.sqlite");
        {
            let conn = Connection::open(&path).expect("opens");
            // A relay store from before creators were recorded: its state and its users.
            conn.execute_batch(
                "CREATE TABLE relay_state (
                    id               INTEGER PRIMARY KEY CHECK (id = 1),
                    epoch            BLOB NOT NULL,
                    commit_seq       INTEGER NOT NULL,
                    backup_watermark INTEGER
                ) STRICT;
                CREATE TABLE hr_users (
                    id                    INTEGER PRIMARY KEY NOT NULL,
                    username              TEXT NOT NULL UNIQUE,
                    display_name          TEXT NOT NULL,
                    roles                 TEXT NOT NULL,
                    restricted_clearance  INTEGER NOT NULL DEFAULT 0,
                    password_salt         BLOB NOT NULL,
                    password_hash         BLOB NOT NULL,
                    password_memory_kib   INTEGER NOT NULL,
                    password_passes       INTEGER NOT NULL,
                    must_change_password  INTEGER NOT NULL,
                    created_at            INTEGER NOT NULL
                ) STRICT;
                INSERT INTO hr_users (username, display_name, roles, restricted_clearance,
                                      password_salt, password_hash, password_memory_kib,
                                      password_passes, must_change_password, created_at)
                VALUES ('anna', 'Anna', 'admin', 1, zeroblob(16), zeroblob(32), 8, 1, 0, 5);",
            )
            .expect("the old table");
        }

        let store = SqliteStore::open(&path).expect("opens and migrates");
        let (anna, _) = store
            .hr_user_by_username("anna")
            .expect("reads")
            .expect("kept");
        assert_eq!(
            (anna.display_name.as_str(), anna.restricted_clearance),
            ("Anna", true)
        );
        assert_eq!(
            store.hr_user_origin(anna.id).expect("reads"),
            Some(AccountOrigin {
                id: anna.id,
                created_by: None
            })
        );
        let listed = store.hr_directory().expect("lists");
        assert_eq!(
            (
                listed[0].created_by.as_deref(),
                listed[0].clearance_granted_by.as_deref()
            ),
            (None, None),
            "no creator and no grant were recorded"
        );
        drop(store);

        let conn = Connection::open(&path).expect("opens");
        let columns: Vec<String> = conn
            .prepare("SELECT name FROM pragma_table_info('hr_users')")
            .expect("prepares")
            .query_map([], |r| r.get(0))
            .expect("reads")
            .collect::<Result<_, _>>()
            .expect("names");
        assert_eq!(
            columns[columns.len() - 2..],
            ["created_by".to_owned(), "disabled_at".to_owned()]
        );
        let creator: Option<i64> = conn
            .query_row(
                "SELECT created_by FROM hr_users WHERE username = 'anna'",
                [],
                |r| r.get(0),
            )
            .expect("reads");
        assert_eq!(creator, None);
        drop(conn);

        // Opening it again finds the column and changes nothing.
        let store = SqliteStore::open(&path).expect("opens again");
        assert!(store.hr_user_by_username("anna").expect("reads").is_some());
    }
}
