//! HR accounts as the store speaks of them: users and their roles, password hashes as
//! stored, credentials (sessions and API tokens), clearance and access changes, and the
//! directory. The rules of who may do what are `crate::hr`'s; hashing a password is
//! `crate::hr::accounts`'s.

/// What an HR user may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Users, events and devices.
    Admin,
    /// Registrations of the events assigned to them: read, notes, ratings, status.
    Recruiter,
    /// Exports, retention, legal hold and the access log.
    Archivist,
}

impl Role {
    pub const ALL: [Role; 3] = [Role::Admin, Role::Recruiter, Role::Archivist];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Recruiter => "recruiter",
            Role::Archivist => "archivist",
        }
    }

    pub fn parse(text: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == text)
    }

    /// Roles as stored: comma-separated names, sorted.
    pub(crate) fn list(roles: &[Role]) -> String {
        let mut roles = roles.to_vec();
        roles.sort();
        roles.dedup();
        roles
            .iter()
            .map(|r| r.as_str())
            .collect::<Vec<_>>()
            .join(",")
    }

    pub(crate) fn parse_list(text: &str) -> Vec<Role> {
        text.split(',').filter_map(Role::parse).collect()
    }
}

/// An HR user as the relay knows them (never the password).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct HrUser {
    pub id: u64,
    pub username: String,
    pub display_name: String,
    pub roles: Vec<Role>,
    /// May read records of visitors with protected personal data.
    pub restricted_clearance: bool,
    /// Logged in with a one-time password: must choose their own before anything else.
    pub must_change_password: bool,
    /// Disabled by an admin: cannot log in, and every session and token has ended.
    pub disabled: bool,
}

impl HrUser {
    pub fn has(&self, role: Role) -> bool {
        self.roles.contains(&role)
    }

    /// How the access log names this user.
    pub fn accessor_name(&self) -> String {
        format!("hr:{}", self.username)
    }

    /// The key whose bytes are this user's Automerge actor id: every change they make to an
    /// event or a registration names them, as a tablet's changes name the tablet. Derived
    /// from the user's id (stable, never reused), so it needs no storage; the relay writes
    /// HR changes itself, so no one signs with the matching secret.
    pub fn actor_key(&self) -> ed25519_dalek::VerifyingKey {
        use sha2::{Digest, Sha256};
        let seed: [u8; 32] = Sha256::new()
            .chain_update(b"kiosk-hr-actor-v1\n")
            .chain_update(self.id.to_be_bytes())
            .finalize()
            .into();
        ed25519_dalek::SigningKey::from_bytes(&seed).verifying_key()
    }
}

/// A user and the admin who created them: `created_by` is `None` for an account made on
/// the command line (`create-admin`), by the demo, or before the relay recorded creators.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AccountOrigin {
    pub id: u64,
    pub created_by: Option<u64>,
}

/// A password as stored: Argon2id with its salt and cost.
#[derive(Clone, PartialEq, Eq)]
pub struct PasswordHash {
    pub salt: [u8; 16],
    pub hash: [u8; 32],
    pub memory_kib: u32,
    pub passes: u32,
}

impl std::fmt::Debug for PasswordHash {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PasswordHash(…)")
    }
}

/// What a credential is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CredentialKind {
    /// A console session, sent as a cookie, with a CSRF token for forms.
    Session,
    /// A bearer token for the JSON API.
    ApiToken,
}

impl CredentialKind {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            CredentialKind::Session => "session",
            CredentialKind::ApiToken => "api_token",
        }
    }
}

/// A stored credential, by the hash of its secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Credential {
    pub kind: CredentialKind,
    pub user_id: u64,
    /// A session's CSRF token, hashed.
    pub csrf_hash: Option<[u8; 32]>,
    pub expires_at: i64,
    pub last_used_at: i64,
}

/// A user to create.
#[derive(Debug, Clone)]
pub struct NewHrUser {
    pub username: String,
    pub display_name: String,
    pub roles: Vec<Role>,
    pub password: PasswordHash,
    pub must_change_password: bool,
    /// The admin who creates the user; `None` on the command line and in the demo.
    pub created_by: Option<u64>,
}

/// One change of a user's restricted clearance.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ClearanceChange {
    /// Numbers the changes in the order they were made.
    pub seq: u64,
    /// When, in milliseconds since the epoch (relay time).
    pub at: i64,
    /// The username of the admin who made the change; `None` if no HR user made it.
    pub by: Option<String>,
    /// Granted (`true`) or withdrawn.
    pub granted: bool,
}

/// A change that takes access from a user, or gives it back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AccountAction {
    /// Disables the user: they cannot log in, and their sessions and tokens end.
    Disable,
    /// Enables a disabled user again (their old sessions and tokens stay ended).
    Enable,
    /// Takes a role from the user.
    RemoveRole(Role),
    /// Withdraws the restricted clearance (recorded in the clearance history too).
    RemoveClearance,
    /// Grants the restricted clearance (recorded in the clearance history too), with the
    /// reason the granting admin gave. Who may grant is the policy's question, asked
    /// before the change is made.
    GrantClearance,
    /// Replaces the password with a one-time password (its hash), which opens nothing but a
    /// password change, and ends the user's sessions and tokens.
    ResetPassword(PasswordHash),
    /// Revokes one of the user's API tokens, by its id.
    RevokeToken(u64),
}

impl AccountAction {
    /// How the change is named in the access log and the change history (no secret, no
    /// reason).
    pub fn name(&self) -> String {
        match self {
            AccountAction::Disable => "disable".into(),
            AccountAction::Enable => "enable".into(),
            AccountAction::RemoveRole(role) => format!("remove_role.{}", role.as_str()),
            AccountAction::RemoveClearance => "remove_clearance".into(),
            AccountAction::GrantClearance => "grant_clearance".into(),
            AccountAction::ResetPassword(_) => "reset_password".into(),
            AccountAction::RevokeToken(id) => format!("revoke_token.{id}"),
        }
    }
}

/// A change of a user's access, by whom and why.
#[derive(Debug, Clone)]
pub struct AccountChange {
    pub user_id: u64,
    pub action: AccountAction,
    /// Why (required for removing a role or the clearance; optional otherwise).
    pub reason: Option<String>,
    /// The admin who makes the change; `None` on the command line.
    pub by_user: Option<u64>,
    /// How the access log names who made it (`hr:anna`, or the operator's name).
    pub by_name: String,
    pub at: i64,
}

/// What became of an [`AccountChange`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AccountChangeOutcome {
    /// Made, recorded and access-logged.
    Done,
    /// There is no such user.
    NoSuchUser,
    /// There is no such token of this user.
    NoSuchToken,
    /// Nothing to change (already disabled or enabled, no such role, no clearance).
    Unchanged,
    /// It would leave no enabled admin.
    LastAdmin,
}

/// One of a user's API tokens (never its secret).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct TokenInfo {
    /// Names the token for revocation.
    pub id: u64,
    pub label: Option<String>,
    pub created_at: i64,
    pub expires_at: i64,
    pub last_used_at: i64,
}

/// One recorded change of a user's access.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct AccountChangeRecord {
    pub seq: u64,
    pub at: i64,
    /// Who made it, as the access log names them.
    pub by: String,
    pub change: String,
    pub reason: Option<String>,
}

/// One user of the directory.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct DirectoryEntry {
    #[serde(flatten)]
    pub user: HrUser,
    /// The events whose registrations the user works with (recruiters), sorted.
    pub assigned_events: Vec<String>,
    /// The username of the admin who created the user; `None` for the command line, the
    /// demo and users created before the relay recorded it.
    pub created_by: Option<String>,
    /// The username of the admin whose grant of the clearance is in force; `None` if the
    /// user has no clearance, or holds it by no recorded admin's grant.
    pub clearance_granted_by: Option<String>,
}
