//! Staff mode: a PIN (Argon2id) guards what recruiters see on a tablet. After failures the
//! next try must wait longer and longer; after [`MAX_FAILURES`] the PIN is locked out until
//! a relay-signed unlock code reopens it (a later issue). Each attempt is counted durably
//! before the PIN is checked, so killing the app mid-check gains nothing.
//!
//! On a kiosk-role tablet staff see counts, the journal head and whether the tablet is safe
//! to hand back: never a visitor's data, which the tablet cannot read anyway.

use std::sync::Arc;

use argon2::{Algorithm, Argon2, Params, Version};
use serde::{Deserialize, Serialize};
use subtle_eq::constant_time_eq;

use crate::device::{Device, META_STAFF_PIN};
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
}

/// The stored PIN and its failure state.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct PinRecord {
    salt: [u8; 16],
    hash: [u8; 32],
    memory_kib: u32,
    passes: u32,
    failures: u32,
    /// No attempt is taken before this time (ms since the epoch).
    not_before: i64,
}

impl PinRecord {
    fn new(pin: &str) -> Result<PinRecord, PinError> {
        check_format(pin)?;
        let salt: [u8; 16] = rand::random();
        let hash = argon2id(pin, &salt, ARGON2_MEMORY_KIB, ARGON2_PASSES);
        Ok(PinRecord {
            salt,
            hash,
            memory_kib: ARGON2_MEMORY_KIB,
            passes: ARGON2_PASSES,
            failures: 0,
            not_before: 0,
        })
    }

    fn matches(&self, pin: &str) -> bool {
        let candidate = argon2id(pin, &self.salt, self.memory_kib, self.passes);
        constant_time_eq(&candidate, &self.hash)
    }
}

fn argon2id(pin: &str, salt: &[u8], memory_kib: u32, passes: u32) -> [u8; 32] {
    let params =
        Params::new(memory_kib, passes, 1, Some(32)).expect("fixed Argon2 parameters are valid");
    let mut out = [0u8; 32];
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
        .hash_password_into(pin.as_bytes(), salt, &mut out)
        .expect("a 16-byte salt and 32-byte output are valid");
    out
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

mod subtle_eq {
    /// Compares without an early exit, so timing does not tell how much of a hash matched.
    pub fn constant_time_eq(a: &[u8; 32], b: &[u8; 32]) -> bool {
        a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
    }
}

fn load_pin(device: &Device) -> Result<Option<PinRecord>> {
    let inner = device.lock()?;
    inner
        .store
        .meta(META_STAFF_PIN)?
        .map(|bytes| {
            ciborium::from_reader(bytes.as_slice())
                .map_err(|_| Error::Store(StoreError::Undecodable { what: "staff PIN" }))
        })
        .transpose()
}

fn save_pin(device: &Device, record: &PinRecord) -> Result<()> {
    let mut bytes = Vec::new();
    ciborium::into_writer(record, &mut bytes).expect("writing to a Vec cannot fail");
    device.lock()?.store.set_meta(META_STAFF_PIN, &bytes)?;
    Ok(())
}

/// Whether a staff PIN has been set on this tablet.
pub fn pin_is_set(device: &Device) -> Result<bool> {
    Ok(load_pin(device)?.is_some())
}

/// Sets the tablet's first staff PIN (at enrollment). Refuses if one is set.
pub fn set_initial_pin(device: &Device, pin: &str) -> Result<()> {
    if load_pin(device)?.is_some() {
        return Err(PinError::AlreadySet.into());
    }
    save_pin(device, &PinRecord::new(pin)?)
}

/// Opens staff mode with `pin`.
pub fn unlock(device: &Arc<Device>, pin: &str, now: Timestamp) -> Result<StaffSession> {
    let mut record = load_pin(device)?.ok_or(PinError::NotSet)?;
    if record.failures >= MAX_FAILURES {
        return Err(PinError::LockedOut.into());
    }
    if now.millis() < record.not_before {
        let wait_ms = record.not_before - now.millis();
        return Err(PinError::TooSoon {
            retry_after_secs: (wait_ms as u64).div_ceil(1000),
        }
        .into());
    }
    // Count the attempt before checking it.
    let mut counted = record.clone();
    counted.failures += 1;
    let delay = delay_after(counted.failures);
    counted.not_before = now.millis() + (delay as i64) * 1000;
    save_pin(device, &counted)?;
    if record.matches(pin) {
        record.failures = 0;
        record.not_before = 0;
        save_pin(device, &record)?;
        return Ok(StaffSession {
            device: Arc::clone(device),
        });
    }
    if counted.failures >= MAX_FAILURES {
        return Err(PinError::LockedOut.into());
    }
    Err(PinError::Wrong {
        attempts_left: MAX_FAILURES - counted.failures,
        retry_after_secs: delay,
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
    /// Nothing on the tablet lacks a receipt: handing it back loses nothing.
    pub safe_to_hand_back: bool,
}

/// Staff mode, opened by PIN.
#[derive(Debug)]
pub struct StaffSession {
    device: Arc<Device>,
}

impl StaffSession {
    pub fn overview(&self) -> Result<KioskOverview> {
        let counts = self.device.state_counts()?;
        let received = counts.received + counts.deleted;
        let sent = counts.sent + received;
        let captured = counts.captured + sent;
        Ok(KioskOverview {
            captured,
            sent,
            received,
            journal: self.device.journal_head()?,
            safe_to_hand_back: counts.captured == 0 && counts.sent == 0,
        })
    }

    /// Walks the journal and checks every link.
    pub fn verify_journal(&self) -> Result<JournalHead> {
        self.device.verify_journal()
    }

    /// Replaces the PIN; staff mode is open, so the old one was just proven.
    pub fn change_pin(&self, new_pin: &str) -> Result<()> {
        save_pin(&self.device, &PinRecord::new(new_pin)?)
    }
}
