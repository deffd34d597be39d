//! HR users: their roles, the *restricted* clearance, and their passwords (Argon2id), and
//! the rules of their input. Who may do what with them is [`crate::hr::policy`]'s (who may
//! grant the clearance: [`crate::hr::policy::may_set_clearance`]).

use kiosk_core::secret_check::constant_time_eq;

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

/// Why an account change or a login was refused. Names the rule, never the input.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum AccountError {
    #[error("a username is 3–64 characters: lower-case letters, digits, '.', '-' or '_'")]
    BadUsername,
    #[error("a display name is 1–100 characters without control characters")]
    BadDisplayName,
    #[error("a password is 12–256 characters")]
    BadPassword,
    #[error("a user needs at least one role")]
    NoRole,
    #[error("no user may grant or withdraw their own clearance")]
    SelfGrant,
    #[error(
        "the clearance must be granted or withdrawn by an admin other than the one who created \
         the account, and never by an account the holder created"
    )]
    CreatorGrant,
    #[error("the new password must differ from the one-time password")]
    SamePassword,
}

pub fn check_username(username: &str) -> Result<(), AccountError> {
    let ok = (3..=64).contains(&username.len())
        && username
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"._-".contains(&b));
    ok.then_some(()).ok_or(AccountError::BadUsername)
}

pub fn check_display_name(name: &str) -> Result<(), AccountError> {
    let chars = name.trim().chars().count();
    let ok = (1..=100).contains(&chars) && !name.chars().any(char::is_control);
    ok.then_some(()).ok_or(AccountError::BadDisplayName)
}

pub fn check_password(password: &str) -> Result<(), AccountError> {
    let chars = password.chars().count();
    (12..=256)
        .contains(&chars)
        .then_some(())
        .ok_or(AccountError::BadPassword)
}

/// A user and the admin who created them: `created_by` is `None` for an account made on
/// the command line (`create-admin`), by the demo, or before the relay recorded creators.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AccountOrigin {
    pub id: u64,
    pub created_by: Option<u64>,
}

/// Argon2id cost for HR passwords: 19 MiB, two passes (OWASP's minimum).
const MEMORY_KIB: u32 = 19 * 1024;
const PASSES: u32 = 2;

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

impl PasswordHash {
    /// Hashes `password` with a fresh salt.
    pub fn new(password: &str) -> PasswordHash {
        let salt: [u8; 16] = rand::random();
        let hash = argon2id(password, &salt, MEMORY_KIB, PASSES).unwrap_or([0; 32]);
        PasswordHash {
            salt,
            hash,
            memory_kib: MEMORY_KIB,
            passes: PASSES,
        }
    }

    /// Whether `password` is this one, compared in constant time.
    pub fn matches(&self, password: &str) -> bool {
        let Some(candidate) = argon2id(password, &self.salt, self.memory_kib, self.passes) else {
            return false;
        };
        constant_time_eq(&candidate, &self.hash)
    }

    /// Spends the time a real check takes, so an unknown username cannot be told apart
    /// from a wrong password by the answer's timing.
    pub fn waste_a_check(password: &str) {
        let _ = argon2id(password, &[0; 16], MEMORY_KIB, PASSES);
    }
}

#[cfg(test)]
thread_local! {
    static PASSWORD_HASHES: std::cell::Cell<u64> = const { std::cell::Cell::new(0) };
}

/// How many password hashes ran on this thread (for tests of what a login costs).
#[cfg(test)]
pub(crate) fn password_hashes_on_this_thread() -> u64 {
    PASSWORD_HASHES.with(std::cell::Cell::get)
}

fn argon2id(password: &str, salt: &[u8], memory_kib: u32, passes: u32) -> Option<[u8; 32]> {
    #[cfg(test)]
    PASSWORD_HASHES.with(|n| n.set(n.get() + 1));
    kiosk_core::secret_check::argon2id(password, salt, None, memory_kib, passes)
}

/// A one-time password to hand a new user: 20 characters from an alphabet without look-alike
/// characters, about 100 bits.
pub fn one_time_password() -> String {
    const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyz23456789";
    let bytes: [u8; 20] = rand::random();
    let chars: Vec<u8> = bytes
        .iter()
        .map(|b| ALPHABET[*b as usize % ALPHABET.len()])
        .collect();
    let text = String::from_utf8(chars).unwrap_or_default();
    format!(
        "{}-{}-{}-{}",
        &text[..5],
        &text[5..10],
        &text[10..15],
        &text[15..]
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_password_matches_only_itself() {
        let hash = PasswordHash::new("correct horse battery");
        assert!(hash.matches("correct horse battery"));
        assert!(!hash.matches("correct horse batterY"));
        assert!(!hash.matches(""));
    }

    #[test]
    fn usernames_and_passwords_follow_the_rules() {
        assert!(check_username("anna.berg").is_ok());
        assert_eq!(check_username("Anna"), Err(AccountError::BadUsername));
        assert_eq!(check_username("ab"), Err(AccountError::BadUsername));
        assert_eq!(check_password("short"), Err(AccountError::BadPassword));
        assert!(check_password("tolv tecken!").is_ok());
        assert_eq!(check_display_name(" "), Err(AccountError::BadDisplayName));
    }

    #[test]
    fn one_time_passwords_are_long_enough_to_be_passwords_and_differ() {
        let (a, b) = (one_time_password(), one_time_password());
        assert_ne!(a, b);
        assert!(check_password(&a).is_ok(), "{}", a.len());
    }

    #[test]
    fn roles_round_trip_through_their_stored_list() {
        let roles = [Role::Recruiter, Role::Admin, Role::Recruiter];
        assert_eq!(Role::list(&roles), "admin,recruiter");
        assert_eq!(
            Role::parse_list("admin,recruiter"),
            vec![Role::Admin, Role::Recruiter]
        );
    }
}
