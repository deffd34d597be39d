//! Where the relay keeps what it received: behind [`RelayStore`], so a PostgreSQL backend
//! can serve several relay instances later. [`SqliteStore`] is the embedded default.
//!
//! - [`model`]: every type the store speaks in, with no SQL.
//! - [`traits`]: one small trait per concern; [`RelayStore`] is all of them.
//! - `sqlite`: the SQLite backend, SQL and row mapping only.
//! - [`postgres`]: the PostgreSQL backend, for several relay instances on one database.
//!
//! Every method is blocking; async handlers call it on the blocking pool. `ingest` stores a
//! sync request whole or not at all, and returns only once it is durable; requests that
//! arrive together may share one transaction and its commit ([`SqliteStore`] does: group
//! commit).

mod error;
mod group_commit;
mod lifecycle_journal_file;
mod logged_reads;
pub mod model;
pub mod postgres;
mod record_tables;
mod sqlite;
#[cfg(test)]
pub(crate) mod suite;
mod test_support;
pub mod traits;

/// The store's traits, for `use crate::storage::prelude::*;` where store methods are called
/// (a trait's methods need the trait in scope).
pub mod prelude {
    pub use super::traits::{
        AccessLogStore, BlindIndexStore, CosignatureStore, DailyJobStore, DeviceStore, EventStore,
        FailureCountStore, HrAccountStore, LifecycleStore, QuarantineStore, RegistrationStore,
        RelayStore, SyncStore, TransparencyLogStore, VisitorReceiptStore,
    };
}

pub use crate::rules::access_chain::AccessLogVerdict;
pub use crate::rules::access_log_pruning::retention_rule;
pub use crate::rules::retention_dates::months_before;
pub use error::{StorageError, StorageResult};
pub use lifecycle_journal_file::LifecycleJournal;
pub use model::*;
pub use postgres::{PgStore, is_postgres_url};
#[cfg(feature = "test-support")]
#[doc(hidden)]
pub use sqlite::tlog::SKIP_APPENDS_FOR_BENCH;
pub use sqlite::{SqliteStore, reported_watermark, verify_backup_file, watermark_path};
#[doc(hidden)]
pub use test_support::{
    capture_for_tests, enroll_for_tests, ingest_for_tests, ingest_generated_for_tests,
    receipt_code_for_tests, signed_capture_for_tests,
};
pub use traits::*;
