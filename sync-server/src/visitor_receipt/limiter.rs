//! Rate limits on the visitor page's failed look-ups: per client address and over all
//! clients, counted in the store's failure counts ([`crate::storage::FailureCountStore`], as
//! logins and enrollments are), so every relay instance of one store shares them. An
//! in-memory limiter would give a client its attempts once per instance behind a load
//! balancer; the store's count is one statement, cheap beside a page.
//!
//! A code whose check symbol fails is refused before the limiter (it costs no slot: a typo
//! is not a guess). Every other look-up is counted before its hash is computed; one that
//! finds a received registration is taken back. So an unknown code and a withdrawn or
//! removed receipt count as failed (as does a registration still on its way: at a fair,
//! many phones share one address, hence the generous per-address limit), and a refused
//! look-up costs one statement, no keyed hash and no lookup.
//!
//! A 128-bit code cannot be guessed, so the overall limit is no defence against guessing:
//! it only caps what many addresses together cost the relay, and is high enough that a few
//! addresses cannot fill it and lock every visitor out.

use std::net::IpAddr;

use crate::keys::RelayKeys;
use crate::storage::{
    AttemptOutcome, FailureCountStore, FailureKey, FailureRule, StorageResult, failure_key_secret,
};

/// How long a count runs.
const WINDOW_MS: i64 = 15 * 60_000;
/// Failed look-ups one address (an IPv4 address, an IPv6 /56) may make in a window: room
/// for a fair's visitors behind one venue Wi-Fi or carrier NAT checking registrations still
/// on their way, nothing for guessing 128 random bits.
pub const PER_ADDRESS: u32 = 100;
/// Failed look-ups over all addresses in a window: a cost cap only (a look-up is one
/// statement, one keyed hash and one lookup), far above what a few hundred addresses at
/// their own limit reach.
pub const OVERALL: u32 = 20_000;
/// IPv6 prefix bits one client is counted by: a site or subscriber is often given a /56,
/// so a /64 each would hand one client 256 address limits.
const IPV6_PREFIX_BITS: u32 = 56;
/// Addresses counted apart at most; past them new ones share one overflow key.
const MAX_TRACKED_ADDRESSES: u32 = 10_000;

/// The address a look-up is counted under: an IPv4 address (IPv4-mapped IPv6 read as
/// IPv4), or the IPv6 /56 holding it.
pub(crate) fn receipt_bucket(address: IpAddr) -> IpAddr {
    match address {
        IpAddr::V4(_) => address,
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => {
                let mask = !((1u128 << (128 - IPV6_PREFIX_BITS)) - 1);
                IpAddr::V6((u128::from(v6) & mask).into())
            }
        },
    }
}

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
                &receipt_bucket(address).to_string(),
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ipv6_addresses_of_one_slash_56_share_a_count_and_other_56s_do_not() {
        let a: IpAddr = "2001:db8:aa:bb01::1".parse().expect("address");
        // Another /64 of the same /56.
        let b: IpAddr = "2001:db8:aa:bbff:1234::9".parse().expect("address");
        let other: IpAddr = "2001:db8:aa:bc00::1".parse().expect("address");
        assert_eq!(receipt_bucket(a), receipt_bucket(b));
        assert_ne!(receipt_bucket(a), receipt_bucket(other));
        assert_eq!(
            receipt_bucket(a),
            "2001:db8:aa:bb00::".parse::<IpAddr>().expect("address")
        );
        let mapped: IpAddr = "::ffff:192.0.2.10".parse().expect("address");
        assert_eq!(receipt_bucket(mapped), IpAddr::from([192, 0, 2, 10]));
    }

    #[test]
    fn fifty_addresses_at_their_limit_leave_other_visitors_unlimited() {
        // 50 addresses once filled the overall limit (50 × 10 = 500) and locked everyone out.
        let store = crate::storage::SqliteStore::in_memory().expect("store");
        let limiter = ReceiptLimiter::new(&RelayKeys::from_seeds([1; 32], [2; 32]));
        for n in 0..50u8 {
            let address = IpAddr::from([203, 0, 113, n]);
            for _ in 0..PER_ADDRESS {
                assert_eq!(limiter.begin(&store, address, 0).expect("counts"), Ok(()));
            }
            assert!(
                limiter.begin(&store, address, 0).expect("counts").is_err(),
                "address {n} at its own limit"
            );
        }
        let visitor = IpAddr::from([198, 51, 100, 1]);
        assert_eq!(limiter.begin(&store, visitor, 0).expect("counts"), Ok(()));
    }
}
