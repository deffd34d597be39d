//! [`HrAccountStore`] on PostgreSQL: HR users, passwords, clearance, credentials, assignments, the directory and access changes.
//!
//! The SQL of `sqlite/hr_accounts.rs` and `sqlite/hr_directory.rs`, with what SQLite gets
//! from its single writer made explicit, since several relay instances write at once:
//!
//! - A credential is written only while its user's row is share-locked and enabled, so a
//!   login racing a disable either lands before it (and the disable deletes it) or finds
//!   the user disabled (and writes nothing).
//! - An account change locks every enabled user's row before it counts admins, so two
//!   admins disabling each other at once cannot both succeed.
//!
//! What differs: SQLite also journals withdrawn access and replaced passwords to a file
//! beside the database, for replay after a file restore; on PostgreSQL there is no such
//! file and the operator restores with the database's own recovery (see `postgres.rs`).

use std::collections::HashMap;

use postgres::types::Type;
use postgres::{GenericClient, Transaction};

use crate::storage::model::{
    AccessAction, Accessor, AccountAction, AccountChange, AccountChangeOutcome,
    AccountChangeRecord, AccountOrigin, ClearanceChange, Credential, CredentialKind,
    DirectoryEntry, HrUser, NewHrUser, PasswordHash, Role, TokenInfo,
};
use crate::storage::traits::HrAccountStore;
use crate::storage::{StorageError, StorageResult};

use super::PgStore;
use super::access_log;
use super::rows::{signed, unsigned};

/// A credential used again within this long is not marked again (a console page's burst
/// of requests), as on SQLite.
const CREDENTIAL_USE_GRAIN_MS: i64 = 1_000;

const USER_COLUMNS: &str = "id, username, display_name, roles, restricted_clearance, \
     password_salt, password_hash, password_memory_kib, password_passes, must_change_password, \
     disabled_at IS NOT NULL";

fn user_row(row: &postgres::Row) -> StorageResult<(HrUser, PasswordHash)> {
    let roles: String = row.try_get(3)?;
    let salt: Vec<u8> = row.try_get(5)?;
    let hash: Vec<u8> = row.try_get(6)?;
    let small = |value: i64| {
        u32::try_from(value).map_err(|_| crate::storage::StorageError::Undecodable("password cost"))
    };
    let user = HrUser {
        id: unsigned(row.try_get(0)?, "user id")?,
        username: row.try_get(1)?,
        display_name: row.try_get(2)?,
        roles: Role::parse_list(&roles),
        restricted_clearance: row.try_get(4)?,
        must_change_password: row.try_get(9)?,
        disabled: row.try_get(10)?,
    };
    let password = PasswordHash {
        salt: salt.try_into().unwrap_or([0; 16]),
        hash: hash.try_into().unwrap_or([0; 32]),
        memory_kib: small(row.try_get(7)?)?,
        passes: small(row.try_get(8)?)?,
    };
    Ok((user, password))
}

pub(super) fn read_user(
    client: &mut impl GenericClient,
    id: u64,
) -> StorageResult<Option<(HrUser, PasswordHash)>> {
    // Typed: one round trip (an untyped statement is prepared first); every HR request
    // reads its caller.
    client
        .query_typed_opt(
            &format!("SELECT {USER_COLUMNS} FROM hr_users WHERE id = $1"),
            &[(&signed(id, "user id")?, Type::INT8)],
        )?
        .map(|row| user_row(&row))
        .transpose()
}

/// What a credential's secret found, read without writing anything.
enum CredentialRead {
    /// No such credential, or its user is disabled.
    Unknown,
    /// Past its expiry: the caller deletes it.
    Expired,
    Open(Credential, HrUser),
}

fn read_credential(
    tx: &mut Transaction<'_>,
    secret_hash: &[u8; 32],
    now: i64,
) -> StorageResult<CredentialRead> {
    let Some(row) = tx.query_typed_opt(
        "SELECT kind, user_id, csrf_hash, expires_at, last_used_at FROM hr_credentials
         WHERE secret_hash = $1",
        &[(&secret_hash.as_slice(), Type::BYTEA)],
    )?
    else {
        return Ok(CredentialRead::Unknown);
    };
    let kind: &str = row.try_get(0)?;
    let csrf: Option<Vec<u8>> = row.try_get(2)?;
    let credential = Credential {
        kind: if kind == "session" {
            CredentialKind::Session
        } else {
            CredentialKind::ApiToken
        },
        user_id: unsigned(row.try_get(1)?, "user id")?,
        csrf_hash: csrf.and_then(|c| c.try_into().ok()),
        expires_at: row.try_get(3)?,
        last_used_at: row.try_get(4)?,
    };
    if credential.expires_at <= now {
        return Ok(CredentialRead::Expired);
    }
    let Some((user, _)) = read_user(tx, credential.user_id)? else {
        return Err(StorageError::Undecodable("a credential's user"));
    };
    // Disabling deletes a user's credentials; a disabled user's secret opens nothing even
    // if one outlived it.
    if user.disabled {
        return Ok(CredentialRead::Unknown);
    }
    Ok(CredentialRead::Open(credential, user))
}

/// How many enabled users besides `id` hold the admin role, as the caller's transaction
/// sees them.
fn enabled_admins_besides(tx: &mut Transaction<'_>, id: i64) -> StorageResult<u64> {
    let rows = tx.query(
        "SELECT roles FROM hr_users WHERE disabled_at IS NULL AND id <> $1",
        &[&id],
    )?;
    let mut admins = 0;
    for row in rows {
        if Role::parse_list(row.try_get(0)?).contains(&Role::Admin) {
            admins += 1;
        }
    }
    Ok(admins)
}

/// Makes `change` (of user `target`, read under the locks) and says whether it changed
/// anything, or why it was refused.
fn apply_change(
    tx: &mut Transaction<'_>,
    change: &AccountChange,
    target: &HrUser,
) -> StorageResult<Result<bool, AccountChangeOutcome>> {
    let id = signed(change.user_id, "user id")?;
    let changed = match &change.action {
        AccountAction::Disable => {
            let n = tx.execute(
                "UPDATE hr_users SET disabled_at = $2 WHERE id = $1 AND disabled_at IS NULL",
                &[&id, &change.at],
            )?;
            tx.execute("DELETE FROM hr_credentials WHERE user_id = $1", &[&id])?;
            n == 1
        }
        AccountAction::Enable => {
            tx.execute(
                "UPDATE hr_users SET disabled_at = NULL WHERE id = $1 AND disabled_at IS NOT NULL",
                &[&id],
            )? == 1
        }
        AccountAction::RemoveRole(role) => {
            if !target.has(*role) {
                false
            } else {
                let left: Vec<Role> = target.roles.iter().copied().filter(|r| r != role).collect();
                tx.execute(
                    "UPDATE hr_users SET roles = $2 WHERE id = $1",
                    &[&id, &Role::list(&left)],
                )?;
                if *role == Role::Recruiter {
                    // The assignments were the recruiter's; a role given back starts afresh.
                    tx.execute(
                        "DELETE FROM hr_event_assignments WHERE user_id = $1",
                        &[&id],
                    )?;
                }
                true
            }
        }
        AccountAction::RemoveClearance => {
            let n = tx.execute(
                "UPDATE hr_users SET restricted_clearance = FALSE
                 WHERE id = $1 AND restricted_clearance",
                &[&id],
            )?;
            if n == 1 {
                let by = change.by_user.map(|b| signed(b, "user id")).transpose()?;
                tx.execute(
                    "INSERT INTO hr_clearance_changes (at, by_user, user_id, granted)
                     VALUES ($1, $2, $3, FALSE)",
                    &[&change.at, &by, &id],
                )?;
            }
            n == 1
        }
        AccountAction::GrantClearance => {
            let n = tx.execute(
                "UPDATE hr_users SET restricted_clearance = TRUE
                 WHERE id = $1 AND NOT restricted_clearance",
                &[&id],
            )?;
            if n == 1 {
                let by = change.by_user.map(|b| signed(b, "user id")).transpose()?;
                tx.execute(
                    "INSERT INTO hr_clearance_changes (at, by_user, user_id, granted)
                     VALUES ($1, $2, $3, TRUE)",
                    &[&change.at, &by, &id],
                )?;
            }
            n == 1
        }
        AccountAction::ResetPassword(password) => {
            tx.execute(
                "UPDATE hr_users SET password_salt = $2, password_hash = $3,
                        password_memory_kib = $4, password_passes = $5,
                        must_change_password = TRUE
                 WHERE id = $1",
                &[
                    &id,
                    &password.salt.as_slice(),
                    &password.hash.as_slice(),
                    &i64::from(password.memory_kib),
                    &i64::from(password.passes),
                ],
            )?;
            tx.execute("DELETE FROM hr_credentials WHERE user_id = $1", &[&id])?;
            true
        }
        AccountAction::RevokeToken(token) => {
            let token = i64::try_from(*token).unwrap_or(i64::MAX);
            let n = tx.execute(
                "DELETE FROM hr_credentials
                 WHERE id = $1 AND user_id = $2 AND kind = 'api_token'",
                &[&token, &id],
            )?;
            if n == 0 {
                return Ok(Err(AccountChangeOutcome::NoSuchToken));
            }
            true
        }
    };
    Ok(Ok(changed))
}

impl HrAccountStore for PgStore {
    fn create_hr_user(&self, user: &NewHrUser, at: i64) -> StorageResult<Option<u64>> {
        self.write(|tx| {
            let id: Option<i64> = tx
                .query_opt(
                    "INSERT INTO hr_users (username, display_name, roles, password_salt,
                                           password_hash, password_memory_kib, password_passes,
                                           must_change_password, created_at, created_by)
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
                     ON CONFLICT (username) DO NOTHING RETURNING id",
                    &[
                        &user.username,
                        &user.display_name,
                        &Role::list(&user.roles),
                        &user.password.salt.as_slice(),
                        &user.password.hash.as_slice(),
                        &i64::from(user.password.memory_kib),
                        &i64::from(user.password.passes),
                        &user.must_change_password,
                        &at,
                        &user
                            .created_by
                            .map(|id| signed(id, "user id"))
                            .transpose()?,
                    ],
                )?
                .map(|row| row.try_get(0))
                .transpose()?;
            id.map(|id| unsigned(id, "user id")).transpose()
        })
    }

    fn hr_user_by_username(&self, username: &str) -> StorageResult<Option<(HrUser, PasswordHash)>> {
        self.client()?
            .query_opt(
                &*format!("SELECT {USER_COLUMNS} FROM hr_users WHERE username = $1"),
                &[&username],
            )?
            .map(|row| user_row(&row))
            .transpose()
    }

    fn hr_user(&self, id: u64) -> StorageResult<Option<(HrUser, PasswordHash)>> {
        read_user(&mut *self.client()?, id)
    }

    fn set_hr_password(
        &self,
        id: u64,
        password: &PasswordHash,
        must_change: bool,
    ) -> StorageResult<bool> {
        let id = signed(id, "user id")?;
        self.write(|tx| {
            let updated = tx.execute(
                "UPDATE hr_users SET password_salt = $2, password_hash = $3,
                                     password_memory_kib = $4, password_passes = $5,
                                     must_change_password = $6
                 WHERE id = $1",
                &[
                    &id,
                    &password.salt.as_slice(),
                    &password.hash.as_slice(),
                    &i64::from(password.memory_kib),
                    &i64::from(password.passes),
                    &must_change,
                ],
            )?;
            // The row lock the update took is held to the commit: a credential written
            // while it is held waits, and one written before is deleted here.
            tx.execute("DELETE FROM hr_credentials WHERE user_id = $1", &[&id])?;
            Ok(updated == 1)
        })
    }

    fn change_hr_clearance(
        &self,
        id: u64,
        cleared: bool,
        by: Option<u64>,
        at: i64,
    ) -> StorageResult<bool> {
        let id = signed(id, "user id")?;
        let by = by.map(|b| signed(b, "user id")).transpose()?;
        self.write(|tx| {
            // The update locks the row: a change at the same time waits and then finds the
            // clearance already set, so each change is recorded once.
            let changed = tx.execute(
                "UPDATE hr_users SET restricted_clearance = $2
                 WHERE id = $1 AND restricted_clearance IS DISTINCT FROM $2",
                &[&id, &cleared],
            )?;
            if changed == 1 {
                tx.execute(
                    "INSERT INTO hr_clearance_changes (at, by_user, user_id, granted)
                     VALUES ($1, $2, $3, $4)",
                    &[&at, &by, &id, &cleared],
                )?;
                return Ok(true);
            }
            Ok(tx
                .query_one(
                    "SELECT EXISTS (SELECT 1 FROM hr_users WHERE id = $1)",
                    &[&id],
                )?
                .try_get(0)?)
        })
    }

    fn hr_clearance_history(&self, id: u64) -> StorageResult<Vec<ClearanceChange>> {
        let id = signed(id, "user id")?;
        self.client()?
            .query(
                "SELECT c.seq, c.at, u.username, c.granted
                 FROM hr_clearance_changes c LEFT JOIN hr_users u ON u.id = c.by_user
                 WHERE c.user_id = $1 ORDER BY c.seq DESC",
                &[&id],
            )?
            .iter()
            .map(|row| {
                Ok(ClearanceChange {
                    seq: unsigned(row.try_get(0)?, "clearance change")?,
                    at: row.try_get(1)?,
                    by: row.try_get(2)?,
                    granted: row.try_get(3)?,
                })
            })
            .collect()
    }

    fn hr_user_origin(&self, id: u64) -> StorageResult<Option<AccountOrigin>> {
        self.client()?
            .query_opt(
                "SELECT created_by FROM hr_users WHERE id = $1",
                &[&signed(id, "user id")?],
            )?
            .map(|row| {
                Ok(AccountOrigin {
                    id,
                    created_by: row
                        .try_get::<_, Option<i64>>(0)?
                        .map(|c| unsigned(c, "user id"))
                        .transpose()?,
                })
            })
            .transpose()
    }

    fn put_hr_credential(
        &self,
        secret_hash: &[u8; 32],
        credential: &Credential,
        label: Option<&str>,
        at: i64,
    ) -> StorageResult<()> {
        let user_id = signed(credential.user_id, "user id")?;
        self.write(|tx| {
            // Only for an enabled user, whose row stays share-locked to the commit: a
            // login that passed its checks before a disable, written after it, finds the
            // user disabled and writes nothing; one written first makes the disable wait
            // and is then deleted by it. (The foreign key's lock would not: it does not
            // conflict with an update of `disabled_at`.)
            let enabled = tx
                .query_opt(
                    "SELECT 1 FROM hr_users WHERE id = $1 AND disabled_at IS NULL FOR SHARE",
                    &[&user_id],
                )?
                .is_some();
            if !enabled {
                return Ok(());
            }
            tx.execute(
                "INSERT INTO hr_credentials (secret_hash, kind, user_id, csrf_hash, label,
                                             created_at, expires_at, last_used_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $6)",
                &[
                    &secret_hash.as_slice(),
                    &credential.kind.as_str(),
                    &user_id,
                    &credential.csrf_hash.as_ref().map(|h| h.as_slice()),
                    &label,
                    &at,
                    &credential.expires_at,
                ],
            )?;
            Ok(())
        })
    }

    fn hr_credential(
        &self,
        secret_hash: &[u8; 32],
        now: i64,
    ) -> StorageResult<Option<(Credential, HrUser)>> {
        // Read without a write: an unknown token writes nothing, and one used within the
        // last second is not marked again.
        match self.read(|tx| read_credential(tx, secret_hash, now))? {
            CredentialRead::Unknown => Ok(None),
            CredentialRead::Expired => {
                self.delete_hr_credential(secret_hash)?;
                Ok(None)
            }
            CredentialRead::Open(credential, user) => {
                // A logout or revocation committed since the read leaves nothing to mark,
                // and the credential opens nothing.
                if now - credential.last_used_at >= CREDENTIAL_USE_GRAIN_MS {
                    let touched = self.write(|tx| {
                        Ok(tx.execute(
                            "UPDATE hr_credentials SET last_used_at = $2 WHERE secret_hash = $1",
                            &[&secret_hash.as_slice(), &now],
                        )?)
                    })?;
                    if touched == 0 {
                        return Ok(None);
                    }
                }
                Ok(Some((credential, user)))
            }
        }
    }

    fn delete_hr_credential(&self, secret_hash: &[u8; 32]) -> StorageResult<()> {
        self.client()?.execute(
            "DELETE FROM hr_credentials WHERE secret_hash = $1",
            &[&secret_hash.as_slice()],
        )?;
        Ok(())
    }

    fn assign_hr_event(&self, user_id: u64, event_id: &str) -> StorageResult<bool> {
        self.write(|tx| {
            if read_user(tx, user_id)?.is_none() {
                return Ok(false);
            }
            tx.execute(
                "INSERT INTO hr_event_assignments (user_id, event_id) VALUES ($1, $2)
                 ON CONFLICT DO NOTHING",
                &[&signed(user_id, "user id")?, &event_id],
            )?;
            Ok(true)
        })
    }

    fn unassign_hr_event(&self, user_id: u64, event_id: &str) -> StorageResult<bool> {
        let removed = self.client()?.execute(
            "DELETE FROM hr_event_assignments WHERE user_id = $1 AND event_id = $2",
            &[&signed(user_id, "user id")?, &event_id],
        )?;
        Ok(removed > 0)
    }

    fn hr_assigned_events(&self, user_id: u64) -> StorageResult<Vec<String>> {
        self.client()?
            .query(
                "SELECT event_id FROM hr_event_assignments WHERE user_id = $1 ORDER BY event_id",
                &[&signed(user_id, "user id")?],
            )?
            .iter()
            .map(|row| Ok(row.try_get(0)?))
            .collect()
    }

    fn hr_directory(&self) -> StorageResult<Vec<DirectoryEntry>> {
        self.read(|tx| {
            let mut assignments: HashMap<i64, Vec<String>> = HashMap::new();
            for row in tx.query(
                "SELECT user_id, event_id FROM hr_event_assignments ORDER BY user_id, event_id",
                &[],
            )? {
                assignments
                    .entry(row.try_get(0)?)
                    .or_default()
                    .push(row.try_get(1)?);
            }
            // The grant in force is the user's latest clearance change, if they are cleared.
            let rows = tx.query(
                "SELECT u.id, u.username, u.display_name, u.roles, u.restricted_clearance,
                        u.must_change_password, creator.username,
                        CASE WHEN u.restricted_clearance THEN (
                            SELECT grantor.username
                            FROM hr_clearance_changes c
                                 JOIN hr_users grantor ON grantor.id = c.by_user
                            WHERE c.seq = (SELECT MAX(seq) FROM hr_clearance_changes
                                           WHERE user_id = u.id)
                              AND c.granted
                        ) END,
                        u.disabled_at IS NOT NULL
                 FROM hr_users u LEFT JOIN hr_users creator ON creator.id = u.created_by
                 ORDER BY u.username",
                &[],
            )?;
            rows.iter()
                .map(|row| {
                    let id: i64 = row.try_get(0)?;
                    Ok(DirectoryEntry {
                        user: HrUser {
                            id: unsigned(id, "user id")?,
                            username: row.try_get(1)?,
                            display_name: row.try_get(2)?,
                            roles: Role::parse_list(row.try_get(3)?),
                            restricted_clearance: row.try_get(4)?,
                            must_change_password: row.try_get(5)?,
                            disabled: row.try_get(8)?,
                        },
                        assigned_events: assignments.remove(&id).unwrap_or_default(),
                        created_by: row.try_get(6)?,
                        clearance_granted_by: row.try_get(7)?,
                    })
                })
                .collect()
        })
    }

    fn change_hr_account(&self, change: &AccountChange) -> StorageResult<AccountChangeOutcome> {
        let id = signed(change.user_id, "user id")?;
        self.write(|tx| {
            // The change is access-logged below: the chain lock first (the lock order of
            // `access_log`). Then every enabled user's row, in id order: the guard rail
            // (never the last enabled admin) counts them, and a change at the same time
            // (another instance's) waits here and counts after this one committed. The
            // chain lock alone would serialize account changes too; the row locks keep the
            // guard rail from depending on where the log entry is written.
            access_log::lock_chain(tx)?;
            tx.execute(
                "SELECT id FROM hr_users WHERE disabled_at IS NULL OR id = $1
                 ORDER BY id FOR NO KEY UPDATE",
                &[&id],
            )?;
            let Some((target, _)) = read_user(tx, change.user_id)? else {
                return Ok(AccountChangeOutcome::NoSuchUser);
            };
            let takes_admin = match &change.action {
                AccountAction::Disable | AccountAction::RemoveRole(Role::Admin) => {
                    !target.disabled && target.has(Role::Admin)
                }
                _ => false,
            };
            if takes_admin && enabled_admins_besides(tx, id)? == 0 {
                return Ok(AccountChangeOutcome::LastAdmin);
            }
            match apply_change(tx, change, &target)? {
                Err(refused) => return Ok(refused),
                Ok(false) => return Ok(AccountChangeOutcome::Unchanged),
                Ok(true) => {}
            }
            let name = change.action.name();
            let by = change.by_user.map(|b| signed(b, "user id")).transpose()?;
            tx.execute(
                "INSERT INTO hr_account_changes (at, by_user, by_name, user_id, change, reason)
                 VALUES ($1, $2, $3, $4, $5, $6)",
                &[&change.at, &by, &change.by_name, &id, &name, &change.reason],
            )?;
            access_log::append_one(
                tx,
                change.at,
                &Accessor::Operator(change.by_name.clone()),
                AccessAction::AccountChange,
                &format!("{name}:{}", target.username),
            )?;
            Ok(AccountChangeOutcome::Done)
        })
    }

    fn hr_account_changes(&self, user_id: u64) -> StorageResult<Vec<AccountChangeRecord>> {
        self.client()?
            .query(
                "SELECT seq, at, by_name, change, reason FROM hr_account_changes
                 WHERE user_id = $1 ORDER BY seq DESC",
                &[&signed(user_id, "user id")?],
            )?
            .iter()
            .map(|row| {
                Ok(AccountChangeRecord {
                    seq: unsigned(row.try_get(0)?, "account change")?,
                    at: row.try_get(1)?,
                    by: row.try_get(2)?,
                    change: row.try_get(3)?,
                    reason: row.try_get(4)?,
                })
            })
            .collect()
    }

    fn hr_api_tokens(&self, user_id: u64, now: i64) -> StorageResult<Vec<TokenInfo>> {
        self.client()?
            .query(
                "SELECT id, label, created_at, expires_at, last_used_at FROM hr_credentials
                 WHERE user_id = $1 AND kind = 'api_token' AND expires_at > $2
                 ORDER BY created_at DESC, id DESC",
                &[&signed(user_id, "user id")?, &now],
            )?
            .iter()
            .map(|row| {
                Ok(TokenInfo {
                    id: unsigned(row.try_get(0)?, "token id")?,
                    label: row.try_get(1)?,
                    created_at: row.try_get(2)?,
                    expires_at: row.try_get(3)?,
                    last_used_at: row.try_get(4)?,
                })
            })
            .collect()
    }
}

#[cfg(test)]
#[path = "accounts_tests.rs"]
mod tests;
