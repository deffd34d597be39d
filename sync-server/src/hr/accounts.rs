//! HR users: their roles, the *restricted* clearance, and their passwords (Argon2id), and
//! the rules of their input. Who may do what with them is [`crate::hr::policy`]'s (who may
//! grant the clearance: [`crate::hr::policy::may_set_clearance`]). The types as stored
//! ([`HrUser`], [`Role`], [`PasswordHash`], [`AccountOrigin`]) are the store model's;
//! hashing and checking a password are here.

use kiosk_core::secret_check::constant_time_eq;

pub use crate::storage::model::{AccountOrigin, HrUser, PasswordHash, Role};

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

/// Argon2id cost for HR passwords: 19 MiB, two passes (OWASP's minimum).
const MEMORY_KIB: u32 = 19 * 1024;
const PASSES: u32 = 2;

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
