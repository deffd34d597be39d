//! [`HrAccountStore`] on PostgreSQL: HR users, passwords, clearance, credentials, assignments, the directory and access changes.
//!
//! Ported: creating and reading users, their origin, and event assignments (what enrolling
//! a staff tablet needs). PLACEHOLDERS: every other method is `todo!` until its SQL is
//! ported from the SQLite store (`sqlite/hr_accounts.rs`, `sqlite/hr_directory.rs`).

use crate::storage::StorageResult;
use crate::storage::model::{
    AccountChange, AccountChangeOutcome, AccountChangeRecord, AccountOrigin, ClearanceChange,
    Credential, DirectoryEntry, HrUser, NewHrUser, PasswordHash, TokenInfo,
};

use postgres::GenericClient;

use super::PgStore;
use super::rows::{signed, unsigned};
use crate::storage::model::Role;
use crate::storage::traits::HrAccountStore;

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
    client
        .query_opt(
            &*format!("SELECT {USER_COLUMNS} FROM hr_users WHERE id = $1"),
            &[&signed(id, "user id")?],
        )?
        .map(|row| user_row(&row))
        .transpose()
}

#[allow(unused_variables, clippy::todo)]
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
        todo!("postgres: HrAccountStore::set_hr_password")
    }

    fn change_hr_clearance(
        &self,
        id: u64,
        cleared: bool,
        by: Option<u64>,
        at: i64,
    ) -> StorageResult<bool> {
        todo!("postgres: HrAccountStore::change_hr_clearance")
    }

    fn hr_clearance_history(&self, id: u64) -> StorageResult<Vec<ClearanceChange>> {
        todo!("postgres: HrAccountStore::hr_clearance_history")
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
        todo!("postgres: HrAccountStore::put_hr_credential")
    }

    fn hr_credential(
        &self,
        secret_hash: &[u8; 32],
        now: i64,
    ) -> StorageResult<Option<(Credential, HrUser)>> {
        todo!("postgres: HrAccountStore::hr_credential")
    }

    fn delete_hr_credential(&self, secret_hash: &[u8; 32]) -> StorageResult<()> {
        todo!("postgres: HrAccountStore::delete_hr_credential")
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
        todo!("postgres: HrAccountStore::unassign_hr_event")
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
        todo!("postgres: HrAccountStore::hr_directory")
    }

    fn change_hr_account(&self, change: &AccountChange) -> StorageResult<AccountChangeOutcome> {
        todo!("postgres: HrAccountStore::change_hr_account")
    }

    fn hr_account_changes(&self, user_id: u64) -> StorageResult<Vec<AccountChangeRecord>> {
        todo!("postgres: HrAccountStore::hr_account_changes")
    }

    fn hr_api_tokens(&self, user_id: u64, now: i64) -> StorageResult<Vec<TokenInfo>> {
        todo!("postgres: HrAccountStore::hr_api_tokens")
    }
}
