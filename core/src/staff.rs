//! Staff mode: a PIN (Argon2id) guards what recruiters see on a tablet. After failures the
//! next try must wait longer and longer; after [`MAX_FAILURES`] the PIN is locked out until
//! an unlock the relay signed for this tablet and a fresh counter sets a new one
//! ([`crate::staff_unlock`]); the record keeps the highest counter used. Each attempt is
//! counted durably before the PIN is checked, so killing the app mid-check gains nothing.
//!
//! The Argon2id hash is keyed with a secret derived from the device's data key, which the
//! platform key store holds: a copied store file alone does not allow guessing the PIN
//! offline. The wait after failures is re-anchored if the clock moves back, so a wrong
//! clock cannot make the wait longer than its step.
//!
//! On a kiosk-role tablet staff see counts, the journal head and whether the tablet is safe
//! to hand back: never a visitor's data, which the tablet cannot read anyway.

use std::sync::Arc;

use crate::secret_check::constant_time_eq;
use serde::{Deserialize, Serialize};

use crate::device::{Device, Inner, META_STAFF_PIN};
use crate::error::{Error, Result};
use crate::ids::Timestamp;
use crate::journal::JournalHead;
use crate::store::StoreError;

/// Failed attempts that lock the PIN out.
pub const MAX_FAILURES: u32 = 10;
const PIN_MIN_DIGITS: usize = 6;
const PIN_MAX_DIGITS: usize = 12;
/// Argon2id cost: 19 MiB, two passes, one lane (OWASP's minimum for Argon2id).
const ARGON2_MEMORY_KIB: u32 = 19 * 1024;
const ARGON2_PASSES: u32 = 2;

/// Seconds to wait before the next try, after `failures` failed attempts in a row.
pub fn delay_after(failures: u32) -> u64 {
    match failures {
        0..=2 => 0,
        3 => 5,
        4 => 15,
        5 => 30,
        6 => 60,
        7 => 120,
        8 => 300,
        _ => 600,
    }
}

/// Why staff mode did not open, or a PIN was not accepted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PinError {
    #[error(
        "a PIN is {PIN_MIN_DIGITS}–{PIN_MAX_DIGITS} digits, not all alike and not a run like 123456"
    )]
    InvalidFormat,
    #[error("no staff PIN is set on this tablet")]
    NotSet,
    #[error("a staff PIN is already set; change it from staff mode")]
    AlreadySet,
    #[error("wrong PIN; {attempts_left} attempts left, next try in {retry_after_secs} s")]
    Wrong {
        attempts_left: u32,
        retry_after_secs: u64,
    },
    #[error("too soon after a wrong PIN; try again in {retry_after_secs} s")]
    TooSoon { retry_after_secs: u64 },
    #[error("the PIN is locked after {MAX_FAILURES} wrong attempts; ask HR for an unlock code")]
    LockedOut,
    #[error("the unlock code is not one the relay signed for this tablet")]
    BadUnlockCode,
    #[error("this unlock code was already used; ask HR for a new one")]
    UnlockCodeUsed,
    #[error("no unlock from HR has reached this tablet; sync, or type the code HR gave")]
    NoUnlock,
    #[error("this unlock code is more than a week old; ask HR for a new one")]
    UnlockCodeExpired,
}

/// The stored PIN and its failure state.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct PinRecord {
    salt: [u8; 16],
    hash: [u8; 32],
    memory_kib: u32,
    passes: u32,
    failures: u32,
    /// No attempt is taken before this time (ms since the epoch).
    not_before: i64,
    /// The highest relay unlock counter this tablet has taken; an unlock at or below it is
    /// a replay.
    #[serde(default)]
    pub(crate) unlocks_used: u64,
}

impl PinRecord {
    pub(crate) fn new(pin: &str, pepper: &[u8; 32]) -> Result<PinRecord> {
        check_format(pin)?;
        let salt: [u8; 16] = rand::random();
        let hash = argon2id(pin, &salt, pepper, ARGON2_MEMORY_KIB, ARGON2_PASSES)?;
        Ok(PinRecord {
            salt,
            hash,
            memory_kib: ARGON2_MEMORY_KIB,
            passes: ARGON2_PASSES,
            failures: 0,
            not_before: 0,
            unlocks_used: 0,
        })
    }

    fn matches(&self, pin: &str, pepper: &[u8; 32]) -> Result<bool> {
        let candidate = argon2id(pin, &self.salt, pepper, self.memory_kib, self.passes)?;
        Ok(constant_time_eq(&candidate, &self.hash))
    }
}

/// Argon2id keyed with `pepper`; damaged parameters read from the store are an error.
fn argon2id(
    pin: &str,
    salt: &[u8],
    pepper: &[u8; 32],
    memory_kib: u32,
    passes: u32,
) -> Result<[u8; 32]> {
    crate::secret_check::argon2id(pin, salt, Some(pepper), memory_kib, passes)
        .ok_or(Error::Store(StoreError::Undecodable { what: "staff PIN" }))
}

fn check_format(pin: &str) -> Result<(), PinError> {
    let digits: Vec<u8> = pin.bytes().collect();
    let all_digits = digits.iter().all(u8::is_ascii_digit);
    let length_ok = (PIN_MIN_DIGITS..=PIN_MAX_DIGITS).contains(&digits.len());
    if !all_digits || !length_ok {
        return Err(PinError::InvalidFormat);
    }
    let steps: Vec<i16> = digits
        .windows(2)
        .map(|w| i16::from(w[1]) - i16::from(w[0]))
        .collect();
    let trivial = steps.iter().all(|&s| s == 0)
        || steps.iter().all(|&s| s == 1)
        || steps.iter().all(|&s| s == -1);
    if trivial {
        return Err(PinError::InvalidFormat);
    }
    Ok(())
}

pub(crate) fn load_pin(inner: &Inner) -> Result<Option<PinRecord>> {
    inner
        .store
        .meta(META_STAFF_PIN)?
        .map(|bytes| {
            ciborium::from_reader(bytes.as_slice())
                .map_err(|_| Error::Store(StoreError::Undecodable { what: "staff PIN" }))
        })
        .transpose()
}

pub(crate) fn save_pin(inner: &mut Inner, record: &PinRecord) -> Result<()> {
    let bytes = crate::cbor::to_vec(record);
    inner.store.set_meta(META_STAFF_PIN, &bytes)?;
    Ok(())
}

/// Whether a staff PIN has been set on this tablet.
pub fn pin_is_set(device: &Device) -> Result<bool> {
    let inner = device.lock()?;
    Ok(load_pin(&inner)?.is_some())
}

/// Sets the tablet's first staff PIN (at enrollment). Refuses if one is set.
pub fn set_initial_pin(device: &Device, pin: &str) -> Result<()> {
    let record = PinRecord::new(pin, device.pin_pepper())?;
    let mut inner = device.lock()?;
    if load_pin(&inner)?.is_some() {
        return Err(PinError::AlreadySet.into());
    }
    save_pin(&mut inner, &record)
}

/// Opens staff mode with `pin`.
pub fn unlock(device: &Arc<Device>, pin: &str, now: Timestamp) -> Result<StaffSession> {
    // Check and count the attempt under one lock, so parallel attempts each count, and
    // durably before the PIN is checked, so killing the app mid-check gains nothing.
    let record = {
        let mut inner = device.lock()?;
        let mut record = load_pin(&inner)?.ok_or(PinError::NotSet)?;
        if record.failures >= MAX_FAILURES {
            return Err(PinError::LockedOut.into());
        }
        let step_ms = delay_after(record.failures) as i64 * 1000;
        if record.not_before - now.millis() > step_ms {
            // The clock went back: wait one step from now, not until a far future.
            record.not_before = now.millis() + step_ms;
            save_pin(&mut inner, &record)?;
        }
        if now.millis() < record.not_before {
            let wait_ms = (record.not_before - now.millis()) as u64;
            return Err(PinError::TooSoon {
                retry_after_secs: wait_ms.div_ceil(1000),
            }
            .into());
        }
        let mut counted = record.clone();
        counted.failures += 1;
        counted.not_before = now.millis() + delay_after(counted.failures) as i64 * 1000;
        save_pin(&mut inner, &counted)?;
        record
    };
    if record.matches(pin, device.pin_pepper())? {
        let mut inner = device.lock()?;
        if let Some(mut current) = load_pin(&inner)? {
            current.failures = 0;
            current.not_before = 0;
            save_pin(&mut inner, &current)?;
        }
        drop(inner);
        crate::staff_unlock::retire_kept_unlock(device)?;
        return Ok(StaffSession {
            device: Arc::clone(device),
        });
    }
    let failures = record.failures + 1;
    if failures >= MAX_FAILURES {
        return Err(PinError::LockedOut.into());
    }
    Err(PinError::Wrong {
        attempts_left: MAX_FAILURES - failures,
        retry_after_secs: delay_after(failures),
    }
    .into())
}

/// What staff see of a kiosk: counts and the journal, never a visitor's data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KioskOverview {
    /// Every registration captured on this tablet.
    pub captured: u64,
    /// Of those, pushed to the relay (with or without a receipt yet).
    pub sent: u64,
    /// Of those, receipted by the relay.
    pub received: u64,
    pub journal: JournalHead,
    /// Nothing on the tablet lacks a receipt, the relay's signed journal is the tablet's
    /// and the relay does not refuse it: handing it back loses nothing.
    pub safe_to_hand_back: bool,
    /// Why it is safe or not ([`Device::hand_back`]); `safe_to_hand_back` is its `is_safe`.
    pub hand_back: crate::device::HandBack,
    /// A later enrollment named other witnesses than the ones this tablet requires
    /// ([`Device::witnesses_offered`]): staff should have IT decide, then require the
    /// right ones ([`Device::require_witnesses`]).
    pub other_witnesses_offered: bool,
    /// The last sync found the tablet clock more than ten minutes behind a required
    /// witness's ([`Device::clock_behind_witness`]): captures still count, but staff should
    /// have the clock set right.
    pub clock_behind_witness: bool,
}

/// Staff mode, opened by PIN.
#[derive(Debug)]
pub struct StaffSession {
    pub(crate) device: Arc<Device>,
}

impl StaffSession {
    pub fn overview(&self) -> Result<KioskOverview> {
        let counts = self.device.state_counts()?;
        let received = counts.received + counts.deleted;
        let sent = counts.sent + received;
        let captured = counts.captured + sent;
        // Read once, so the flag and its reason never disagree.
        let hand_back = self.device.hand_back()?;
        Ok(KioskOverview {
            captured,
            sent,
            received,
            journal: self.device.journal_head()?,
            // Not while the relay refuses the tablet or lacks what it erased.
            safe_to_hand_back: hand_back.is_safe(),
            hand_back,
            other_witnesses_offered: !self.device.witnesses_offered()?.is_empty(),
            clock_behind_witness: self.device.clock_behind_witness()?,
        })
    }

    /// Walks the journal and checks every link.
    pub fn verify_journal(&self) -> Result<JournalHead> {
        self.device.verify_journal()
    }

    /// The evidence of the relay's log fork as text for IT/security, `None` if the tablet
    /// saw none (staff mode only: the evidence names the relay's keys and sizes).
    pub fn log_fork_evidence(&self) -> Result<Option<String>> {
        Ok(self.device.log_fork()?.map(|e| e.to_text()))
    }

    /// Requires these witnesses' cosignatures from now on ([`Device::require_witnesses`]).
    pub fn require_witnesses(&self, vkeys: &[String]) -> Result<()> {
        self.device.require_witnesses(vkeys)
    }

    /// The witnesses' verifier keys this tablet requires ([`Device::witness_keys`]); empty:
    /// none.
    pub fn required_witnesses(&self) -> Result<Vec<String>> {
        self.device.witness_keys()
    }

    /// The restore of the relay's log staff have not acknowledged yet, if any
    /// ([`Device::log_restore`]).
    pub fn log_restore(&self) -> Result<Option<crate::sync::LogRestore>> {
        self.device.log_restore()
    }

    /// Staff saw the relay's restore seen at `shown_at` ([`crate::sync::LogRestore::at`])
    /// and told IT/security ([`Device::acknowledge_log_restore`]); whether it was cleared
    /// (not if none is held, or another is held now).
    pub fn acknowledge_log_restore(&self, shown_at: i64) -> Result<bool> {
        self.device.acknowledge_log_restore(shown_at)
    }

    /// Replaces the PIN; staff mode is open, so the old one was just proven.
    pub fn change_pin(&self, new_pin: &str) -> Result<()> {
        let mut record = PinRecord::new(new_pin, self.device.pin_pepper())?;
        let mut inner = self.device.lock()?;
        // Used unlock codes stay used whatever the PIN.
        record.unlocks_used = load_pin(&inner)?.map_or(0, |old| old.unlocks_used);
        save_pin(&mut inner, &record)?;
        drop(inner);
        crate::staff_unlock::retire_kept_unlock(&self.device)
    }
}
