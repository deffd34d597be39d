//! HR accounts: users, passwords, clearance, credentials (sessions and API tokens), event
//! assignments, the directory and changes of a user's access.

use crate::storage::StorageResult;
use crate::storage::model::{
    AccountChange, AccountChangeOutcome, AccountChangeRecord, AccountOrigin, ClearanceChange,
    Credential, DirectoryEntry, HrUser, NewHrUser, PasswordHash, TokenInfo,
};

/// HR users, their credentials, assignments and access changes.
pub trait HrAccountStore {
    /// Creates an HR user; `None` if the username is taken.
    fn create_hr_user(&self, user: &NewHrUser, at: i64) -> StorageResult<Option<u64>>;

    fn hr_user_by_username(&self, username: &str) -> StorageResult<Option<(HrUser, PasswordHash)>>;

    fn hr_user(&self, id: u64) -> StorageResult<Option<(HrUser, PasswordHash)>>;

    /// Replaces a password and ends all the user's sessions and tokens; `false` if there is
    /// no such user.
    fn set_hr_password(
        &self,
        id: u64,
        password: &PasswordHash,
        must_change: bool,
    ) -> StorageResult<bool>;

    /// Sets a clearance as no HR user (set-up and tests; admins use
    /// [`HrAccountStore::change_hr_clearance`]): recorded with no author. `false` if there is no
    /// such user.
    fn set_hr_clearance(&self, id: u64, cleared: bool) -> StorageResult<bool> {
        self.change_hr_clearance(
            id,
            cleared,
            None,
            kiosk_core::ids::Timestamp::now().millis(),
        )
    }

    /// Grants or withdraws user `id`'s restricted clearance, made by HR user `by` at `at`,
    /// and records the change in the same transaction; setting it to what it is changes
    /// and records nothing. `false` if there is no such user.
    fn change_hr_clearance(
        &self,
        id: u64,
        cleared: bool,
        by: Option<u64>,
        at: i64,
    ) -> StorageResult<bool>;

    /// The changes of user `id`'s clearance, newest first.
    fn hr_clearance_history(&self, id: u64) -> StorageResult<Vec<ClearanceChange>>;

    /// User `id` and the admin who created them; `None` if there is no such user.
    fn hr_user_origin(&self, id: u64) -> StorageResult<Option<AccountOrigin>>;

    fn put_hr_credential(
        &self,
        secret_hash: &[u8; 32],
        credential: &Credential,
        label: Option<&str>,
        at: i64,
    ) -> StorageResult<()>;

    /// The unexpired credential with this secret hash, and its user, marked used at `now`
    /// (unless it was marked within the last second: the mark serves an idle timeout of
    /// minutes).
    fn hr_credential(
        &self,
        secret_hash: &[u8; 32],
        now: i64,
    ) -> StorageResult<Option<(Credential, HrUser)>>;

    fn delete_hr_credential(&self, secret_hash: &[u8; 32]) -> StorageResult<()>;

    /// Assigns an event to an HR user; `false` if there is no such user.
    fn assign_hr_event(&self, user_id: u64, event_id: &str) -> StorageResult<bool>;

    /// Takes an event from a user's assignments; `false` if it was not assigned.
    fn unassign_hr_event(&self, user_id: u64, event_id: &str) -> StorageResult<bool>;

    fn hr_assigned_events(&self, user_id: u64) -> StorageResult<Vec<String>>;

    /// Every HR user, by username, with roles, clearance, assigned events, creator and the
    /// admin whose clearance grant is in force.
    fn hr_directory(&self) -> StorageResult<Vec<DirectoryEntry>>;

    /// Makes a change of a user's access (disable, enable, remove a role or the clearance,
    /// reset the password, revoke a token) with its record and access-log entry, in one
    /// transaction that also keeps at least one enabled admin.
    fn change_hr_account(&self, change: &AccountChange) -> StorageResult<AccountChangeOutcome>;

    /// The recorded changes of user `user_id`'s access, newest first.
    fn hr_account_changes(&self, user_id: u64) -> StorageResult<Vec<AccountChangeRecord>>;

    /// User `user_id`'s unexpired API tokens, newest first (never their secrets).
    fn hr_api_tokens(&self, user_id: u64, now: i64) -> StorageResult<Vec<TokenInfo>>;
}
