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
    /// Where `serve` writes the daily access-log checkpoints, which archivists check the log
    /// against; `None` for a relay without a data directory (in memory, tests).
    pub checkpoint_dir: Option<std::path::PathBuf>,
    /// Carries retention runs (*gallring*) the schedule or an archivist starts.
    pub retention: Arc<crate::retention::RetentionJob>,
    /// Where the accessibility statement asks people to report problems (the
    /// `accessibility_contact` setting); `None` shows a placeholder the operator must replace.
    pub accessibility_contact: Option<String>,
}

impl AppState {
    pub fn new(store: Arc<dyn RelayStore>, keys: RelayKeys) -> AppState {
        AppState {
            retention: crate::retention::RetentionJob::new(store.clone()),
            store,
            keys: Arc::new(keys),
            enroll_failures: Arc::new(FailureLimiter::default()),
            login_failures: Arc::default(),
            secure_cookies: false,
            checkpoint_dir: None,
            accessibility_contact: None,
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
