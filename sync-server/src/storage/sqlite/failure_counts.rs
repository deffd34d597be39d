//! Rate-limit counts of the SQLite store, kept in the process: an SQLite relay is one
//! process (it holds its data directory's run lock), so its memory is where every one of
//! its attempts is counted, and counts need not outlive it (a restart forgets at most one
//! window's attempts, as before the store counted them).

use std::collections::HashMap;
use std::sync::Mutex;

use crate::storage::model::{AttemptOutcome, FailureKey};

/// Past this many keys in a scope, keys whose window has ended are dropped before a new
/// one is added.
const MAX_KEPT_PER_SCOPE: usize = 10_000;

/// Each scope's keys, with their window's end and attempts in it.
#[derive(Debug, Default)]
pub(super) struct FailureCounts {
    scopes: Mutex<HashMap<&'static str, HashMap<[u8; 32], Window>>>,
}

#[derive(Debug, Clone, Copy)]
struct Window {
    ends: i64,
    failures: u32,
}

type Scopes = HashMap<&'static str, HashMap<[u8; 32], Window>>;

impl FailureCounts {
    fn scopes(&self) -> std::sync::MutexGuard<'_, Scopes> {
        self.scopes
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// See [`crate::storage::FailureCountStore::begin_attempt`]; under one lock, so the
    /// check and the count are one step.
    pub(super) fn begin_attempt(&self, keys: &[FailureKey], now: i64) -> AttemptOutcome {
        let mut scopes = self.scopes();
        let keys: Vec<FailureKey> = keys
            .iter()
            .map(|key| counted_key(&mut scopes, key, now))
            .collect();
        for key in &keys {
            if let Some(window) = scopes.get(key.rule.scope).and_then(|s| s.get(&key.subject))
                && now < window.ends
                && window.failures >= key.rule.max_failures
            {
                return AttemptOutcome::Refused {
                    retry_after_ms: window.ends - now,
                };
            }
        }
        for key in keys {
            let window = scopes
                .entry(key.rule.scope)
                .or_default()
                .entry(key.subject)
                .or_insert(Window {
                    ends: now + key.rule.window_ms,
                    failures: 0,
                });
            if now >= window.ends {
                *window = Window {
                    ends: now + key.rule.window_ms,
                    failures: 0,
                };
            }
            window.failures += 1;
        }
        AttemptOutcome::Counted
    }

    /// See [`crate::storage::FailureCountStore::forgive_attempt`].
    pub(super) fn forgive_attempt(&self, keys: &[FailureKey]) {
        let mut scopes = self.scopes();
        for key in keys {
            let Some(scope) = scopes.get_mut(key.rule.scope) else {
                continue;
            };
            let subject = if scope.contains_key(&key.subject) || key.rule.max_tracked.is_none() {
                key.subject
            } else {
                FailureKey::overflow(key.rule).subject
            };
            if let Some(window) = scope.get_mut(&subject) {
                window.failures = window.failures.saturating_sub(1);
            }
        }
    }

    /// See [`crate::storage::FailureCountStore::prune_failure_counts`].
    pub(super) fn prune(&self, now: i64) -> u64 {
        let mut scopes = self.scopes();
        let mut pruned = 0;
        for scope in scopes.values_mut() {
            let before = scope.len();
            scope.retain(|_, window| now < window.ends);
            pruned += (before - scope.len()) as u64;
        }
        scopes.retain(|_, scope| !scope.is_empty());
        pruned
    }
}

/// The key `key`'s attempt is counted under: its own, or its scope's overflow key when the
/// scope counts `max_tracked` keys apart already.
fn counted_key(scopes: &mut Scopes, key: &FailureKey, now: i64) -> FailureKey {
    let scope = scopes.entry(key.rule.scope).or_default();
    if scope.contains_key(&key.subject) {
        return *key;
    }
    let limit = key
        .rule
        .max_tracked
        .map_or(MAX_KEPT_PER_SCOPE, |max| max as usize);
    if scope.len() >= limit.min(MAX_KEPT_PER_SCOPE) {
        scope.retain(|_, window| now < window.ends);
    }
    match key.rule.max_tracked {
        Some(max) if scope.len() >= max as usize => FailureKey::overflow(key.rule),
        _ => *key,
    }
}

#[cfg(test)]
impl FailureCounts {
    /// How many keys `scope` counts.
    fn tracked(&self, scope: &str) -> usize {
        self.scopes().get(scope).map_or(0, HashMap::len)
    }
}

impl crate::storage::FailureCountStore for super::SqliteStore {
    fn begin_attempt(
        &self,
        keys: &[FailureKey],
        now: i64,
    ) -> crate::storage::StorageResult<AttemptOutcome> {
        Ok(self.failure_counts.begin_attempt(keys, now))
    }

    fn forgive_attempt(&self, keys: &[FailureKey]) -> crate::storage::StorageResult<()> {
        self.failure_counts.forgive_attempt(keys);
        Ok(())
    }

    fn prune_failure_counts(&self, now: i64) -> crate::storage::StorageResult<u64> {
        Ok(self.failure_counts.prune(now))
    }
}

#[cfg(test)]
impl super::SqliteStore {
    /// How many keys of `scope` the store counts (for tests of the memory bound).
    pub(crate) fn failure_keys_tracked_for_tests(&self, scope: &str) -> usize {
        self.failure_counts.tracked(scope)
    }
}
