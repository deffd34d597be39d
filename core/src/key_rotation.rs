//! A tablet's side of a relay key rotation: the relay announces new keys with an
//! [`Command::AdoptRelayKeys`] signed by the key the tablet pins and bound to this device;
//! the tablet checks it and pins the new keys, so new captures are sealed to the new sealing
//! key and later answers are verified with the new signing key.
//!
//! A replayed announcement of an earlier rotation does not verify: it is signed by a key the
//! tablet no longer pins. The key pinned before stays beside the new one only to re-check
//! what the tablet kept signed before (a receipt, a wipe, an unlock).

use ed25519_dalek::VerifyingKey;

use crate::capture::RelaySealingKey;
use crate::device::Device;
use crate::error::{Error, Result};
use crate::protocol::{Command, ProtocolError, SignedCommand, open_command};

/// Checks `command` with the signing key this tablet pins and, if it announces other relay
/// keys, pins them. Returns the signing key pinned afterwards, and whether it changed.
pub fn adopt_relay_keys(device: &Device, command: &SignedCommand) -> Result<(VerifyingKey, bool)> {
    let pinned = device.relay_signing_key()?.ok_or(Error::NotEnrolled)?;
    let device_key = device.identity_key().to_bytes();
    let opened = open_command(command, &pinned, &device_key)?;
    let Command::AdoptRelayKeys {
        signing_key,
        sealing_key,
    } = opened.command
    else {
        return Err(ProtocolError::Malformed.into());
    };
    let signing = VerifyingKey::from_bytes(&signing_key).map_err(|_| ProtocolError::Malformed)?;
    // The id must be the one derived from the key, or every seal would be unopenable.
    if RelaySealingKey::new(sealing_key.public_key).ok().as_ref() != Some(&sealing_key) {
        return Err(ProtocolError::Malformed.into());
    }
    if signing == pinned && device.relay_key()?.as_ref() == Some(&sealing_key) {
        return Ok((pinned, false));
    }
    device.pin_rotated_relay_keys(&pinned, &signing, sealing_key)?;
    Ok((signing, true))
}

#[cfg(test)]
mod tests;
