//! Reopening a staff PIN locked out after wrong attempts: HR has the relay sign an unlock
//! (`kiosk-command-v1`, [`Command::UnlockStaffPin`]) bound to this tablet and to a counter.
//! It reaches the tablet with its next sync (syncing goes on while staff mode is locked) or,
//! for a tablet that cannot sync, as code text HR reads out or shows as a QR code. Either
//! way the recruiter then chooses a new PIN.
//!
//! The tablet checks the relay's signature with the key pinned at enrollment and that the
//! unlock names this tablet; it takes each counter once and never one at or below a counter
//! it used, so an old code, or one seen over a shoulder, opens nothing.
//!
//! Why the out-of-band form is the whole signed unlock (shown by HR's console as a QR code
//! to scan, its text folded away) and not a short code to type: a tablet that cannot sync
//! can only trust what it can check offline, and the only thing it can check is the
//! relay's Ed25519 signature, about 380 base32 characters with the command. A short code
//! (8–10 characters, 40–50 bits) cannot carry a signature, so it could only be checked
//! (a) against a secret the tablet shares with the relay, or (b) against the signed unlock
//! once a sync has brought it. (a) would put a key on the tablet that mints unlocks: whoever
//! reads it from a lost tablet opens every later lockout, and only the relay should be able
//! to say "open". (b) adds nothing for the tablet that cannot sync, because it cannot open
//! until the sync, and after the sync the signed unlock opens it without a code (HR asked
//! for it, for this tablet and counter). So there is no short code: HR's page says plainly
//! that the unlock arrives with the next sync, and offers the QR code for a tablet that
//! cannot sync.

use std::sync::Arc;

use crate::device::{Device, Inner, META_STAFF_UNLOCK};
use crate::error::{Error, Result};
use crate::ids::Timestamp;
use crate::protocol::{Command, SignedCommand, open_command};
use crate::staff::{PinError, PinRecord, StaffSession, load_pin};

const BASE32: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/// How long after HR issued it an unlock opens a locked PIN: a week, as long as the relay
/// sends it.
pub const UNLOCK_VALID_MS: i64 = 7 * 24 * 3_600_000;

/// The signed unlock as text: RFC 4648 base32 without padding, in groups of four.
pub fn unlock_code_text(command: &SignedCommand) -> String {
    let mut text = String::new();
    let mut buffer: u32 = 0;
    let mut bits = 0;
    for &byte in &command.0 {
        buffer = (buffer << 8) | u32::from(byte);
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            text.push(BASE32[((buffer >> bits) & 31) as usize] as char);
        }
    }
    if bits > 0 {
        text.push(BASE32[((buffer << (5 - bits)) & 31) as usize] as char);
    }
    let groups: Vec<String> = text
        .as_bytes()
        .chunks(4)
        .map(|g| String::from_utf8_lossy(g).into_owned())
        .collect();
    groups.join("-")
}

/// Reads code text back; case, spaces and dashes do not matter.
pub fn parse_unlock_code(text: &str) -> Result<SignedCommand, PinError> {
    let mut bytes = Vec::new();
    let mut buffer: u32 = 0;
    let mut bits = 0;
    for c in text.chars().filter(|c| !c.is_whitespace() && *c != '-') {
        let upper = c.to_ascii_uppercase() as u8;
        let value = BASE32
            .iter()
            .position(|&b| b == upper)
            .ok_or(PinError::BadUnlockCode)?;
        buffer = (buffer << 5) | value as u32;
        bits += 5;
        if bits >= 8 {
            bits -= 8;
            bytes.push((buffer >> bits) as u8);
        }
    }
    if bytes.is_empty() {
        return Err(PinError::BadUnlockCode);
    }
    Ok(SignedCommand(bytes))
}

/// What an unlock is checked against: the relay key pinned at enrollment and this tablet.
#[derive(Clone)]
struct Verifier {
    relay_key: ed25519_dalek::VerifyingKey,
    /// The key pinned before the last relay key rotation: only the unlock kept before it
    /// still opens with it. A new unlock (from a sync or typed) must be signed by the key
    /// pinned now, so a key rotated away because it leaked unlocks nothing.
    previous_key: Option<ed25519_dalek::VerifyingKey>,
    device_key: [u8; 32],
}

impl Verifier {
    /// Taken before the device lock: reading the relay key takes that lock itself.
    fn of(device: &Device) -> Result<Verifier> {
        Ok(Verifier {
            relay_key: device.relay_signing_key()?.ok_or(Error::NotEnrolled)?,
            previous_key: device.kept_relay_signing_keys()?.get(1).copied(),
            device_key: device.identity_key().to_bytes(),
        })
    }

    /// The unlock counter `command` carries, if the relay signed it for this device.
    fn counter(&self, command: &SignedCommand) -> Result<u64, PinError> {
        self.open(command).map(|(counter, _)| counter)
    }

    /// This verifier for an unlock that is not the kept one: the current key only.
    fn current_only(self) -> Verifier {
        Verifier {
            previous_key: None,
            ..self
        }
    }

    /// The counter and the relay time HR issued the unlock, if the relay signed it for
    /// this device.
    fn open(&self, command: &SignedCommand) -> Result<(u64, i64), PinError> {
        let opened = open_command(command, &self.relay_key, &self.device_key).or_else(|e| {
            match &self.previous_key {
                Some(previous) => open_command(command, previous, &self.device_key),
                None => Err(e),
            }
        });
        match opened {
            Ok(opened) => match opened.command {
                Command::UnlockStaffPin { counter } => Ok((counter, opened.issued_at)),
                Command::Wipe | Command::AdoptRelayKeys { .. } => Err(PinError::BadUnlockCode),
            },
            Err(_) => Err(PinError::BadUnlockCode),
        }
    }
}

fn unlocks_used(inner: &Inner) -> Result<u64> {
    Ok(load_pin(inner)?.map_or(0, |pin| pin.unlocks_used))
}

/// The kept unlock's counter. Used orders are overwritten with nothing (the store has no
/// delete), and one that no longer verifies counts as none: it could open nothing.
fn kept_counter(inner: &Inner, verifier: &Verifier) -> Result<Option<u64>> {
    let Some(bytes) = inner.store.meta(META_STAFF_UNLOCK)? else {
        return Ok(None);
    };
    if bytes.is_empty() {
        return Ok(None);
    }
    Ok(verifier.counter(&SignedCommand(bytes)).ok())
}

/// Keeps an unlock the relay sent in a sync answer, if it is newer than any used or kept.
/// Returns whether it was kept. The relay repeats an unlock for a week, so most calls keep
/// nothing.
pub fn keep_unlock_order(device: &Device, command: &SignedCommand) -> Result<bool> {
    let verifier = Verifier::of(device)?;
    let counter = verifier.clone().current_only().counter(command)?;
    // Compared and written under one lock, so a PIN reset in between cannot be undone.
    let mut inner = device.lock()?;
    let newest = unlocks_used(&inner)?.max(kept_counter(&inner, &verifier)?.unwrap_or(0));
    if counter <= newest {
        return Ok(false);
    }
    inner.store.set_meta(META_STAFF_UNLOCK, &command.0)?;
    Ok(true)
}

/// The counter of a kept unlock not used yet.
pub fn pending_unlock(device: &Device) -> Result<Option<u64>> {
    let verifier = Verifier::of(device)?;
    let inner = device.lock()?;
    let used = unlocks_used(&inner)?;
    Ok(kept_counter(&inner, &verifier)?.filter(|&counter| counter > used))
}

/// Sets a new PIN with the unlock a sync brought, and opens staff mode.
pub fn reset_pin_with_unlock(
    device: &Arc<Device>,
    new_pin: &str,
    now: Timestamp,
) -> Result<StaffSession> {
    let bytes = device
        .lock()?
        .store
        .meta(META_STAFF_UNLOCK)?
        .filter(|b| !b.is_empty())
        .ok_or(PinError::NoUnlock)?;
    reset_pin(device, &SignedCommand(bytes), Kept::Yes, new_pin, now)
}

/// Sets a new PIN with an unlock code HR gave out of band, and opens staff mode.
pub fn unlock_with_code(
    device: &Arc<Device>,
    code: &str,
    new_pin: &str,
    now: Timestamp,
) -> Result<StaffSession> {
    reset_pin(device, &parse_unlock_code(code)?, Kept::No, new_pin, now)
}

/// Whether an unlock is the one a sync kept (checked when kept, perhaps with the key
/// pinned before a rotation) or a new one (the key pinned now only).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Kept {
    Yes,
    No,
}

fn reset_pin(
    device: &Arc<Device>,
    command: &SignedCommand,
    kept: Kept,
    new_pin: &str,
    now: Timestamp,
) -> Result<StaffSession> {
    let verifier = match kept {
        Kept::Yes => Verifier::of(device)?,
        Kept::No => Verifier::of(device)?.current_only(),
    };
    let (counter, issued_at) = verifier.open(command)?;
    // An unlock is good for a week after HR issued it, as the relay sends it: one found on
    // a tablet lost later opens nothing.
    if now.millis() > issued_at.saturating_add(UNLOCK_VALID_MS) {
        return Err(PinError::UnlockCodeExpired.into());
    }
    let fresh = |inner: &Inner| -> Result<()> {
        if counter <= unlocks_used(inner)? {
            return Err(PinError::UnlockCodeUsed.into());
        }
        Ok(())
    };
    // A used code is refused before the slow hash, and again under the lock that writes,
    // in case a parallel reset took the counter meanwhile.
    fresh(&*device.lock()?)?;
    let mut record = PinRecord::new(new_pin, device.pin_pepper())?;
    let mut inner = device.lock()?;
    fresh(&inner)?;
    record.unlocks_used = counter;
    // One commit: the new PIN with no failures, the counter used, and the kept order gone.
    let bytes = crate::cbor::to_vec(&record);
    inner.store.set_meta_all(&[
        (crate::device::META_STAFF_PIN, &bytes),
        (META_STAFF_UNLOCK, &[]),
    ])?;
    drop(inner);
    Ok(StaffSession {
        device: Arc::clone(device),
    })
}

/// After the PIN was entered right (or changed): an unlock kept from a sync is no longer
/// needed, so it is used up, and cannot reopen the tablet later for whoever holds it.
pub(crate) fn retire_kept_unlock(device: &Device) -> Result<()> {
    let verifier = match Verifier::of(device) {
        Ok(verifier) => verifier,
        // Not enrolled: no relay could have sent an unlock.
        Err(Error::NotEnrolled) => return Ok(()),
        Err(other) => return Err(other),
    };
    let mut inner = device.lock()?;
    let Some(kept) = kept_counter(&inner, &verifier)? else {
        return Ok(());
    };
    let Some(mut record) = load_pin(&inner)? else {
        return Ok(());
    };
    record.unlocks_used = record.unlocks_used.max(kept);
    let bytes = crate::cbor::to_vec(&record);
    inner.store.set_meta_all(&[
        (crate::device::META_STAFF_PIN, &bytes),
        (META_STAFF_UNLOCK, &[]),
    ])?;
    Ok(())
}

#[cfg(test)]
mod tests;
