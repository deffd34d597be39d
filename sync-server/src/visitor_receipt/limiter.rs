//! Rate limits on the visitor page's failed look-ups: per client address and over all
//! clients, counted in the store's failure counts ([`crate::storage::FailureCountStore`], as
//! logins and enrollments are), so every relay instance of one store shares them. An
//! in-memory limiter would give a client its attempts once per instance behind a load
//! balancer; the store's count is one statement, cheap beside a page.
//!
//! Every look-up is counted before its code is read; one that finds a received
//! registration is taken back. So an unknown code, a withdrawn or removed receipt and a code
//! whose check symbol fails all count as failed, and a refused look-up costs one statement,
//! no keyed hash and no lookup.

use std::net::IpAddr;

use crate::enrollment::address_bucket;
use crate::keys::RelayKeys;
use crate::storage::{
    AttemptOutcome, FailureCountStore, FailureKey, FailureRule, StorageResult, failure_key_secret,
};

/// How long a count runs.
const WINDOW_MS: i64 = 15 * 60_000;
/// Failed look-ups one address may make in a window: more than a visitor mistyping their
/// code ever needs, nothing for guessing 128 random bits.
pub const PER_ADDRESS: u32 = 10;
/// Failed look-ups over all addresses in a window: bounds what many addresses together
/// cost the relay; legitimate look-ups are taken back, so they do not fill it.
pub const OVERALL: u32 = 500;
/// Addresses counted apart at most; past them new ones share one overflow key.
const MAX_TRACKED_ADDRESSES: u32 = 10_000;

/// Counts the visitor page's look-ups.
#[derive(Debug)]
pub struct ReceiptLimiter {
    secret: [u8; 32],
    per_address: FailureRule,
    overall: FailureRule,
}

impl ReceiptLimiter {
    /// The relay's limits, keying addresses under a secret derived from the relay's keys.
    pub fn new(keys: &RelayKeys) -> ReceiptLimiter {
        ReceiptLimiter::with_limits(keys, PER_ADDRESS, OVERALL)
    }

    /// Other maximums (tests trip the overall limit without hundreds of requests).
    pub fn with_limits(keys: &RelayKeys, per_address: u32, overall: u32) -> ReceiptLimiter {
        ReceiptLimiter {
            secret: failure_key_secret(keys.derivation_root()),
            per_address: FailureRule {
                scope: "receipt-address",
                window_ms: WINDOW_MS,
                max_failures: per_address,
                max_tracked: Some(MAX_TRACKED_ADDRESSES),
            },
            overall: FailureRule {
                scope: "receipt-all",
                window_ms: WINDOW_MS,
                max_failures: overall,
                max_tracked: None,
            },
        }
    }

    /// The address's key first: when both are full, the answer names its window.
    fn keys(&self, address: IpAddr) -> [FailureKey; 2] {
        [
            FailureKey::new(
                self.per_address,
                &self.secret,
                &address_bucket(address).to_string(),
            ),
            FailureKey::new(self.overall, &self.secret, "all"),
        ]
    }

    /// Counts a look-up from `address`; `Err(retry_after_secs)` if the address or all
    /// addresses together are at their limit (nothing is counted then).
    pub fn begin(
        &self,
        store: &dyn FailureCountStore,
        address: IpAddr,
        now: i64,
    ) -> StorageResult<Result<(), u64>> {
        Ok(match store.begin_attempt(&self.keys(address), now)? {
            AttemptOutcome::Counted => Ok(()),
            AttemptOutcome::Refused { retry_after_ms } => {
                Err((retry_after_ms.max(0) as u64).div_ceil(1000).max(1))
            }
        })
    }

    /// Takes back the look-up of a received registration.
    pub fn forgive(&self, store: &dyn FailureCountStore, address: IpAddr) -> StorageResult<()> {
        store.forgive_attempt(&self.keys(address))
    }
}
