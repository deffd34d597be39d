//! Who is calling: a console session (a cookie, with a CSRF token for anything that
//! changes state) or an API bearer token. Secrets are random, shown once, and stored only
//! by their SHA-256.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use axum::http::{HeaderMap, HeaderValue, Method, header};
use sha2::{Digest, Sha256};
use tokio::sync::Semaphore;

use crate::blocking::TaskFailed;
use crate::keys::RelayKeys;
use crate::storage::{
    AttemptOutcome, FailureCountStore, FailureKey, FailureRule, StorageResult, failure_key_secret,
};

/// The session cookie's name.
pub const SESSION_COOKIE: &str = "kiosk_session";
/// The header that carries a session's CSRF token on requests that change state (console
/// forms carry it as the `csrf_token` field instead).
pub const CSRF_HEADER: &str = "x-csrf-token";
/// A session ends 8 hours after login, or after 30 minutes without use.
pub const SESSION_LIFETIME_MS: i64 = 8 * 3_600_000;
pub const SESSION_IDLE_MS: i64 = 30 * 60_000;
/// An API token lives at most a year.
pub const MAX_TOKEN_DAYS: u32 = 365;

/// A new secret: 32 random bytes as URL-safe text.
pub fn new_secret() -> String {
    hex::encode(rand::random::<[u8; 32]>())
}

/// A session's CSRF token, derived from its secret so every console page can put it in its
/// forms without the relay keeping it: knowing the token tells nothing of the secret.
pub fn csrf_token_for(session_secret: &str) -> String {
    hex::encode(
        Sha256::new()
            .chain_update(b"kiosk-csrf-v1")
            .chain_update(session_secret.as_bytes())
            .finalize(),
    )
}

pub fn secret_hash(secret: &str) -> [u8; 32] {
    Sha256::digest(secret.as_bytes()).into()
}

/// Whether `given` is the secret whose hash is `expected`, compared in constant time.
pub fn secret_matches(given: &str, expected: &[u8; 32]) -> bool {
    kiosk_core::secret_check::constant_time_eq(&secret_hash(given), expected)
}

/// The session cookie: HttpOnly, SameSite=Strict, and Secure when the relay serves TLS.
pub fn session_cookie(secret: &str, secure: bool) -> HeaderValue {
    let secure = if secure { "; Secure" } else { "" };
    HeaderValue::from_str(&format!(
        "{SESSION_COOKIE}={secret}; Path=/; HttpOnly; SameSite=Strict; Max-Age={}{secure}",
        SESSION_LIFETIME_MS / 1000
    ))
    .unwrap_or_else(|_| HeaderValue::from_static(""))
}

/// A cookie that removes the session cookie.
pub fn cleared_cookie() -> HeaderValue {
    HeaderValue::from_static("kiosk_session=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0")
}

/// The value of cookie `name` in the request's `Cookie` headers.
pub fn cookie<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(n, _)| *n == name)
        .map(|(_, value)| value)
}

/// The session secret from the request's cookies.
pub fn session_from_cookies(headers: &HeaderMap) -> Option<String> {
    cookie(headers, SESSION_COOKIE)
        .filter(|v| !v.is_empty())
        .map(str::to_owned)
}

/// The bearer token from the `Authorization` header.
pub fn bearer_token(headers: &HeaderMap) -> Option<String> {
    headers
        .get(header::AUTHORIZATION)?
        .to_str()
        .ok()?
        .strip_prefix("Bearer ")
        .map(|t| t.trim().to_owned())
}

/// Requests that change state need a CSRF token when made with a session cookie.
pub fn changes_state(method: &Method) -> bool {
    !matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

/// Failed logins per username and per client address in a 15-minute window: five for one
/// username, twenty from one address. An attempt is counted when it starts and forgiven
/// when it succeeds, so parallel guesses cannot slip under the limit. The store counts
/// ([`FailureCountStore`]), so every relay instance of one store shares the counts; it is
/// asked before any password is checked.
#[derive(Debug)]
pub struct LoginLimiter {
    /// What usernames and addresses are keyed under (see [`FailureKey::new`]).
    secret: [u8; 32],
}

const LOGIN_WINDOW_MS: i64 = 15 * 60_000;
const MAX_FAILURES_PER_USERNAME: u32 = 5;
const MAX_FAILURES_PER_ADDRESS: u32 = 20;

/// Logins counted per username.
pub const USERNAME_RULE: FailureRule = FailureRule {
    scope: "login-user",
    window_ms: LOGIN_WINDOW_MS,
    max_failures: MAX_FAILURES_PER_USERNAME,
    max_tracked: None,
};

/// Logins counted per client address.
pub const ADDRESS_RULE: FailureRule = FailureRule {
    scope: "login-address",
    window_ms: LOGIN_WINDOW_MS,
    max_failures: MAX_FAILURES_PER_ADDRESS,
    max_tracked: None,
};

impl LoginLimiter {
    /// A limiter keying usernames and addresses under a secret derived from the relay's
    /// signing key, which every instance of one store holds.
    pub fn new(keys: &RelayKeys) -> LoginLimiter {
        LoginLimiter {
            secret: failure_key_secret(keys.derivation_root()),
        }
    }

    /// The username's key first: its window is the one a refusal names when both are full.
    fn keys(&self, username: &str, address: &str) -> [FailureKey; 2] {
        [
            FailureKey::new(USERNAME_RULE, &self.secret, &username_key(username)),
            FailureKey::new(ADDRESS_RULE, &self.secret, &address_key(address)),
        ]
    }

    /// Counts an attempt for `username` from `address`; `Err(retry_after_secs)` if either
    /// is over its limit.
    pub fn begin_attempt(
        &self,
        store: &dyn FailureCountStore,
        username: &str,
        address: &str,
        now: i64,
    ) -> StorageResult<Result<(), u64>> {
        Ok(
            match store.begin_attempt(&self.keys(username, address), now)? {
                AttemptOutcome::Counted => Ok(()),
                AttemptOutcome::Refused { retry_after_ms } => {
                    Err((retry_after_ms.max(0) as u64).div_ceil(1000))
                }
            },
        )
    }

    /// Takes back the attempt of a successful login.
    pub fn forgive(
        &self,
        store: &dyn FailureCountStore,
        username: &str,
        address: &str,
    ) -> StorageResult<()> {
        store.forgive_attempt(&self.keys(username, address))
    }
}

/// Bounds how many password checks (Argon2id, 19 MiB each) run at once over all clients.
/// The login limiter counts per username and address, but clients with many addresses would
/// otherwise each get a check at once, up to the blocking pool's 512 threads (gigabytes);
/// past the bound a login waits its turn (the connection cap bounds the waiting).
#[derive(Debug)]
pub struct PasswordChecks {
    turns: Arc<Semaphore>,
    running: AtomicUsize,
    peak: AtomicUsize,
    started: AtomicUsize,
}

impl PasswordChecks {
    /// At most `max` checks at once.
    pub fn new(max: usize) -> PasswordChecks {
        PasswordChecks {
            turns: Arc::new(Semaphore::new(max.clamp(1, Semaphore::MAX_PERMITS))),
            running: AtomicUsize::new(0),
            peak: AtomicUsize::new(0),
            started: AtomicUsize::new(0),
        }
    }

    /// One check per core: Argon2id is CPU and memory work, more at once gains nothing.
    pub fn for_this_machine() -> PasswordChecks {
        PasswordChecks::new(std::thread::available_parallelism().map_or(1, |n| n.get()))
    }

    /// Runs `work` (which checks or hashes a password) off the async threads once a turn
    /// is free.
    pub async fn run<T: Send + 'static>(
        self: &Arc<Self>,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, TaskFailed> {
        let turn = self.turns.clone().acquire_owned().await.map_err(|error| {
            tracing::error!(error = %error, "waiting for a password check's turn failed");
            TaskFailed
        })?;
        let this = self.clone();
        crate::blocking::blocking(move || {
            let _turn = turn;
            this.started.fetch_add(1, Ordering::Relaxed);
            let running = this.running.fetch_add(1, Ordering::SeqCst) + 1;
            this.peak.fetch_max(running, Ordering::SeqCst);
            let result = work();
            this.running.fetch_sub(1, Ordering::SeqCst);
            result
        })
        .await
    }

    /// The most checks that ran at once so far.
    pub fn peak(&self) -> usize {
        self.peak.load(Ordering::SeqCst)
    }

    /// How many checks started so far.
    pub fn started(&self) -> usize {
        self.started.load(Ordering::Relaxed)
    }
}

/// The subject `username` is counted as. One no account can have (see
/// [`crate::hr::accounts::check_username`]) is counted under one shared key rather than kept
/// whole: a body may carry a username of hundreds of KiB.
fn username_key(username: &str) -> String {
    if crate::hr::accounts::check_username(username).is_ok() {
        format!("user:{username}")
    } else {
        "user:(no account can have this name)".to_owned()
    }
}

/// The subject a client address is counted as: an IPv6 client by its /64 (what one client can
/// get, as enrollment counts it), so changing the interface id is no way round the limit.
fn address_key(address: &str) -> String {
    match address.parse::<std::net::IpAddr>() {
        Ok(ip) => format!("addr:{}", crate::enrollment::address_bucket(ip)),
        Err(_) => format!("addr:{address}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::storage::SqliteStore;

    fn limiter() -> (LoginLimiter, SqliteStore) {
        (
            LoginLimiter::new(&RelayKeys::from_seeds([1; 32], [2; 32])),
            SqliteStore::in_memory().expect("store"),
        )
    }

    fn attempt(
        (limiter, store): &(LoginLimiter, SqliteStore),
        username: &str,
        address: &str,
        now: i64,
    ) -> Result<(), u64> {
        limiter
            .begin_attempt(store, username, address, now)
            .expect("counted")
    }

    #[test]
    fn a_username_is_locked_after_five_failures_and_others_are_not() {
        let limiter = limiter();
        for _ in 0..5 {
            assert!(attempt(&limiter, "anna", "10.0.0.1", 0).is_ok());
        }
        let wait = attempt(&limiter, "anna", "10.0.0.2", 1_000).expect_err("locked");
        assert_eq!(wait, 899);
        assert!(attempt(&limiter, "bert", "10.0.0.1", 1_000).is_ok());
        assert!(attempt(&limiter, "anna", "10.0.0.1", LOGIN_WINDOW_MS).is_ok());
    }

    #[test]
    fn an_ipv6_client_cannot_escape_the_login_limit_by_changing_its_interface_id() {
        let limiter = limiter();
        for host in 1..=MAX_FAILURES_PER_ADDRESS {
            // A new username each time, so only the address limit can refuse.
            let address = format!("2001:db8:1:2::{host:x}");
            assert!(attempt(&limiter, &format!("user{host}"), &address, 0).is_ok());
        }
        assert!(
            attempt(&limiter, "another", "2001:db8:1:2:ffff::1", 1_000).is_err(),
            "the same /64 is one client"
        );
        assert!(
            attempt(&limiter, "another", "2001:db8:1:3::1", 1_000).is_ok(),
            "another /64 is another client"
        );
    }

    #[test]
    fn usernames_no_account_can_have_share_one_key_and_none_is_kept_whole() {
        let limiter = limiter();
        let huge = "x".repeat(200_000);
        for n in 0..MAX_FAILURES_PER_USERNAME as u8 {
            assert!(attempt(&limiter, &format!("{huge}{n}"), &format!("10.0.0.{n}"), 0).is_ok());
        }
        assert!(
            attempt(&limiter, &format!("{huge}z"), "10.0.1.1", 0).is_err(),
            "every such name is counted as one username"
        );
        assert_eq!(limiter.1.failure_keys_tracked_for_tests("login-user"), 1);
        let key = limiter.0.keys(&huge, "10.0.0.1")[0];
        assert_eq!(key, limiter.0.keys("(another such name)", "10.0.0.1")[0]);
    }

    #[test]
    fn keys_carry_no_username_or_address_in_clear() {
        let (limiter, _) = limiter();
        let [user, address] = limiter.keys("anna", "10.0.0.1");
        let stored = [user.subject, address.subject].concat();
        for clear in ["anna", "10.0.0.1"] {
            assert!(
                !stored.windows(clear.len()).any(|w| w == clear.as_bytes()),
                "{clear} is in a key"
            );
        }
        assert_ne!(
            user.subject,
            <[u8; 32]>::from(sha2::Sha256::digest(b"user:anna")),
            "keyed, not a plain digest anyone can compute"
        );
        let other_relay = LoginLimiter::new(&RelayKeys::from_seeds([3; 32], [2; 32]));
        assert_ne!(
            other_relay.keys("anna", "10.0.0.1")[0].subject,
            user.subject
        );
    }

    #[test]
    fn a_successful_login_is_forgiven() {
        let limiter = limiter();
        for _ in 0..20 {
            assert!(attempt(&limiter, "anna", "10.0.0.1", 0).is_ok());
            limiter
                .0
                .forgive(&limiter.1, "anna", "10.0.0.1")
                .expect("forgiven");
        }
    }

    #[test]
    fn the_session_cookie_is_http_only_strict_and_secure_behind_tls() {
        let cookie = session_cookie("abc", true);
        let text = cookie.to_str().expect("ascii");
        assert!(text.contains("HttpOnly") && text.contains("SameSite=Strict"));
        assert!(text.ends_with("; Secure"));
        assert!(
            !session_cookie("abc", false)
                .to_str()
                .expect("ascii")
                .contains("Secure")
        );
        let mut headers = HeaderMap::new();
        headers.insert(
            header::COOKIE,
            HeaderValue::from_static("a=1; kiosk_session=abc"),
        );
        assert_eq!(session_from_cookies(&headers).as_deref(), Some("abc"));
    }
}
