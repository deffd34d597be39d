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
    pub enroll_failures: Arc<FailureLimiter>,
    pub login_failures: Arc<crate::hr::sessions::LoginLimiter>,
    /// The relay serves TLS: session cookies are marked Secure.
    pub secure_cookies: bool,
}

impl AppState {
    pub fn new(store: Arc<dyn RelayStore>, keys: RelayKeys) -> AppState {
        AppState {
            store,
            keys: Arc::new(keys),
            enroll_failures: Arc::new(FailureLimiter::default()),
            login_failures: Arc::default(),
            secure_cookies: false,
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
