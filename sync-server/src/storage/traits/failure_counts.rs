//! Counted attempts of the relay's rate limits, shared by every relay instance of a store.

use crate::storage::StorageResult;
use crate::storage::model::{AttemptOutcome, FailureKey};

/// Attempts counted per key in windows (see [`FailureKey`] and its rule). Every relay
/// instance of one store counts in the same place, so a client gets its attempts once,
/// whichever instances it reaches.
pub trait FailureCountStore {
    /// Counts one attempt at `now` under every key of `keys`, all or none, if each is under
    /// its rule's maximum in its current window (a key whose window has ended starts a new
    /// one); otherwise counts nothing and tells when the window of the first key (in
    /// `keys`' order) at its maximum ends. Atomic over every instance: concurrent attempts
    /// cannot all slip under a maximum. A key of a rule with `max_tracked`, not counted yet
    /// while its scope has that many keys in a running window, is counted under the
    /// scope's overflow key instead.
    fn begin_attempt(&self, keys: &[FailureKey], now: i64) -> StorageResult<AttemptOutcome>;

    /// Takes back one attempt under every key of `keys` (the attempt succeeded). A key of a
    /// rule with `max_tracked` that is not counted takes it back from its overflow key.
    fn forgive_attempt(&self, keys: &[FailureKey]) -> StorageResult<()>;

    /// Forgets every key whose window ended at or before `now`; how many were forgotten.
    fn prune_failure_counts(&self, now: i64) -> StorageResult<u64>;
}
