//! Counted attempts of the relay's rate limits (logins, enrollments): which rule a count
//! follows and the key it is kept under. The rules' values (windows, maximums) are set by
//! the limiters above the store (HR's login, enrollment); the store only counts,
//! atomically, so every relay instance sharing a store shares the counts.

/// How one kind of key is counted: attempts in a window that starts with a key's first
/// attempt, at most `max_failures` of them, and optionally at most `max_tracked` keys
/// counted apart (past them, new keys share one overflow key, limited like one key).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct FailureRule {
    /// What kind of key this is (`login-user`, `login-address`, `enrollment`): a store
    /// keeps each scope's keys apart.
    pub scope: &'static str,
    pub window_ms: i64,
    pub max_failures: u32,
    /// Past this many keys with a window still running, new keys of the scope are counted
    /// under its overflow key ([`FailureKey::overflow`]); `None`: no bound of its own.
    pub max_tracked: Option<u32>,
}

/// What attempts are counted under: a rule and a keyed digest of the subject (a username,
/// a client address), so no store holds the subject itself and every subject's key has
/// the same size, however long the subject.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct FailureKey {
    pub rule: FailureRule,
    pub subject: [u8; 32],
}

/// The subject of a scope's overflow key; no keyed digest is all zeros but with
/// negligible chance.
const OVERFLOW_SUBJECT: [u8; 32] = [0; 32];

impl FailureKey {
    /// The key of `subject` under `rule`: HMAC-SHA-256 under `secret` (which every relay
    /// instance of one store derives alike, see [`failure_key_secret`]) of the scope and
    /// the subject, so a store's rows name no username or address, and one cannot be found
    /// from its row by trying the few billion IPv4 addresses.
    pub fn new(rule: FailureRule, secret: &[u8; 32], subject: &str) -> FailureKey {
        FailureKey {
            rule,
            subject: crate::keyed_hash::hmac_sha256(
                secret,
                &[rule.scope.as_bytes(), &[0], subject.as_bytes()],
            ),
        }
    }

    /// The key new subjects of `rule`'s scope share once it has `max_tracked` keys.
    pub fn overflow(rule: FailureRule) -> FailureKey {
        FailureKey {
            rule,
            subject: OVERFLOW_SUBJECT,
        }
    }

    pub fn is_overflow(&self) -> bool {
        self.subject == OVERFLOW_SUBJECT
    }
}

/// The secret failure keys are made under, derived from the relay's signing key: every
/// instance of one store holds the same relay keys, so they name a subject alike.
pub fn failure_key_secret(signing: &ed25519_dalek::SigningKey) -> [u8; 32] {
    super::derived_secret(signing, b"kiosk-failure-keys-v1")
}

/// What beginning an attempt gave.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AttemptOutcome {
    /// Counted under every key.
    Counted,
    /// A key is at its maximum: nothing was counted, and that key's window ends in
    /// `retry_after_ms`.
    Refused { retry_after_ms: i64 },
}
