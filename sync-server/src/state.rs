//! What the relay's handlers share.

use std::sync::Arc;

use crate::enrollment::FailureLimiter;
use crate::keys::RelayKeys;
use crate::storage::{RelayStore, SqliteStore, StorageResult};

/// Shared, cheaply cloned state.
#[derive(Debug, Clone)]
pub struct AppState {
    pub store: Arc<dyn RelayStore>,
    pub keys: Arc<RelayKeys>,
    /// Enrollment and login rate limits; the store counts, so they hold across instances.
    pub enroll_failures: Arc<FailureLimiter>,
    pub login_failures: Arc<crate::hr::sessions::LoginLimiter>,
    /// The visitor receipt page's limits on failed look-ups; the store counts, so they
    /// hold across instances.
    pub receipt_failures: Arc<crate::visitor_receipt::limiter::ReceiptLimiter>,
    /// Bounds the password checks (Argon2id) running at once, over all clients.
    pub password_checks: Arc<crate::hr::sessions::PasswordChecks>,
    /// The relay serves TLS: session cookies are marked Secure.
    pub secure_cookies: bool,
    /// Where `serve` writes the daily access-log checkpoints, which archivists check the log
    /// against; `None` for a relay without a data directory (in memory, tests).
    pub checkpoint_dir: Option<std::path::PathBuf>,
    /// Carries retention runs (*gallring*) the schedule or an archivist starts.
    pub retention: Arc<crate::retention::RetentionJob>,
    /// Where the accessibility statement asks people to report problems (the
    /// `accessibility_contact` setting); `None` shows a placeholder the operator must replace.
    pub accessibility_contact: Option<String>,
    /// Bounds concurrent sync work: one sync per device, a few at once in all.
    pub sync_gate: Arc<crate::sync_gate::SyncGate>,
    /// Whether the store last refused a write for lack of space (readiness reports it).
    pub store_health: Arc<StoreHealth>,
    /// Readiness and metrics (`observe`): their settings, counters and cached verdicts.
    pub observe: Arc<crate::observe::Observer>,
    /// The data directory whose backup record ([`crate::scheduled_backup`]) the console
    /// shows; `None` on PostgreSQL (the relay takes no backups there) and in memory.
    pub backup_record_dir: Option<std::path::PathBuf>,
    /// The reverse proxies whose forwarding headers name the client (`--trusted-proxy`).
    pub trusted_proxies: Arc<crate::client_address::TrustedProxies>,
    /// The keys of the email and phone blind indexes ([`crate::blind_index`]): from the
    /// data directory's `relay-index.key` when serving; random for a relay in memory.
    pub index_keys: Arc<crate::rules::blind_index::BlindIndexKeys>,
    /// Signs the transparency log's checkpoints ([`crate::transparency::checkpoint`]): from
    /// the data directory's `relay-log.key` when serving; derived from the relay keys for a
    /// relay in memory ([`in_memory_log_key`]).
    pub log_key: Arc<crate::transparency::checkpoint::LogKey>,
    /// The witnesses whose cosignatures of the log's checkpoints the relay takes
    /// (`witness_keys`; [`crate::witness::intake`]); none unless configured.
    /// Dereferences to their keys; keeps the cosigned-tree choices lately made for them.
    pub witness_keys: Arc<crate::witness::intake::Witnesses>,
}

/// What the relay last learnt of its store's room to write: set when a write fails for a
/// full disk, cleared when a sync commits again.
#[derive(Debug, Default)]
pub struct StoreHealth {
    full_since: std::sync::atomic::AtomicI64,
}

impl StoreHealth {
    /// Records that a write failed for lack of space at `now` (ms).
    pub fn full(&self, now: i64) {
        use std::sync::atomic::Ordering;
        // The first failure's time is kept until a write succeeds.
        let _ =
            self.full_since
                .compare_exchange(0, now.max(1), Ordering::Relaxed, Ordering::Relaxed);
    }

    /// Records that a write succeeded.
    pub fn written(&self) {
        self.full_since
            .store(0, std::sync::atomic::Ordering::Relaxed);
    }

    /// Since when (relay ms) writes have failed for lack of space, if they do.
    pub fn full_since(&self) -> Option<i64> {
        let since = self.full_since.load(std::sync::atomic::Ordering::Relaxed);
        (since != 0).then_some(since)
    }
}

/// The log key of a relay not started from a data directory (tests, the demo): derived
/// from its relay keys, so a relay restarted with the same keys, or a second instance
/// sharing them, signs with the same log key, as serving relays share `relay-log.key`.
/// Tablets pin the log key: a new one at every restart would look like another log.
fn in_memory_log_key(root: &[u8; 32]) -> crate::transparency::checkpoint::LogKey {
    use sha2::{Digest, Sha256};
    let secret: [u8; 32] = Sha256::new()
        .chain_update(b"kiosk-in-memory-log-key-v1")
        .chain_update(root)
        .finalize()
        .into();
    crate::transparency::checkpoint::LogKey::from_secret(&secret, None)
        .expect("the default origin is a key name")
}

impl AppState {
    pub fn new(store: Arc<dyn RelayStore>, keys: RelayKeys) -> AppState {
        let keys_for_log = keys.derivation_root().to_bytes();
        AppState {
            enroll_failures: Arc::new(FailureLimiter::new(&keys)),
            login_failures: Arc::new(crate::hr::sessions::LoginLimiter::new(&keys)),
            receipt_failures: Arc::new(crate::visitor_receipt::limiter::ReceiptLimiter::new(&keys)),
            retention: crate::retention::RetentionJob::new(store.clone()),
            store,
            keys: Arc::new(keys),
            password_checks: Arc::new(crate::hr::sessions::PasswordChecks::for_this_machine()),
            secure_cookies: false,
            checkpoint_dir: None,
            accessibility_contact: None,
            sync_gate: crate::sync_gate::SyncGate::for_this_machine(),
            store_health: Arc::default(),
            observe: Arc::default(),
            backup_record_dir: None,
            trusted_proxies: Arc::default(),
            index_keys: Arc::new(crate::rules::blind_index::BlindIndexKeys::derive(
                &rand::random(),
            )),
            log_key: Arc::new(in_memory_log_key(&keys_for_log)),
            witness_keys: Arc::default(),
        }
    }

    /// A relay in memory holding the demo event, with fixed keys: for tests.
    pub fn demo_in_memory() -> StorageResult<AppState> {
        let store = SqliteStore::in_memory()?;
        store_demo_event(&store)?;
        Ok(AppState::new(
            Arc::new(store),
            RelayKeys::from_seeds([11; 32], [12; 32]),
        ))
    }
}

/// Publishes the demo event into `store`.
pub fn store_demo_event(store: &dyn RelayStore) -> StorageResult<()> {
    store.put_event(&kiosk_core::demo::demo_event())
}

/// Milliseconds since the epoch on the relay's clock, which decides.
pub fn now_ms() -> i64 {
    kiosk_core::ids::Timestamp::now().millis()
}
