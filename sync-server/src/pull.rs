//! The pull cursor: where a tablet's pull stands, written by the relay and authenticated
//! with an HMAC under a key derived from the relay's signing key, so a tablet sends it back
//! unchanged or has it refused (`bad_cursor`).
//!
//! A cursor names the device and event it was written for and the relay epoch: a cursor of
//! another epoch (the store was restored from a backup since) starts the pull over, since
//! the numbers it holds may not mean the same changes any more.

use kiosk_core::protocol::PullCursor;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// Bytes of the HMAC kept in a cursor: 128 bits.
const TAG_LEN: usize = 16;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct CursorBody {
    #[serde(with = "kiosk_core::cbor::array")]
    epoch: [u8; 16],
    #[serde(with = "kiosk_core::cbor::array")]
    device: [u8; 32],
    event_id: String,
    /// Every change and removal in the tablet's scope numbered at or below this was sent.
    seq: u64,
}

/// The key that authenticates cursors.
#[derive(Clone)]
pub struct CursorKey([u8; 32]);

impl std::fmt::Debug for CursorKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CursorKey(…)")
    }
}

/// A cursor that is not this relay's for this device and event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BadCursor;

/// Where a pull starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PullStart {
    pub device: [u8; 32],
    pub event_id: String,
    pub epoch: [u8; 16],
}

impl CursorKey {
    /// Derived from the relay's signing key, so it needs no file of its own and changes
    /// when that key does.
    pub fn derive(signing: &ed25519_dalek::SigningKey) -> CursorKey {
        CursorKey(
            Sha256::new()
                .chain_update(b"kiosk-pull-cursor-v1")
                .chain_update(signing.to_bytes())
                .finalize()
                .into(),
        )
    }

    fn tag(&self, body: &[u8]) -> [u8; 32] {
        crate::keyed_hash::hmac_sha256(&self.0, &[body])
    }

    pub fn write(&self, start: &PullStart, seq: u64) -> PullCursor {
        let body = kiosk_core::cbor::to_vec(&CursorBody {
            epoch: start.epoch,
            device: start.device,
            event_id: start.event_id.clone(),
            seq,
        });
        let tag = self.tag(&body);
        PullCursor([body.as_slice(), &tag[..TAG_LEN]].concat())
    }

    /// The sequence number to pull after: 0 for no cursor or one of another epoch.
    pub fn read(&self, cursor: Option<&PullCursor>, start: &PullStart) -> Result<u64, BadCursor> {
        let Some(cursor) = cursor else {
            return Ok(0);
        };
        let bytes = &cursor.0;
        if bytes.len() <= TAG_LEN {
            return Err(BadCursor);
        }
        let (body, tag) = bytes.split_at(bytes.len() - TAG_LEN);
        let expected = self.tag(body);
        if !kiosk_core::secret_check::constant_time_eq(&expected[..TAG_LEN], tag) {
            return Err(BadCursor);
        }
        let body: CursorBody = ciborium::from_reader(body).map_err(|_| BadCursor)?;
        if body.device != start.device || body.event_id != start.event_id {
            return Err(BadCursor);
        }
        if body.epoch != start.epoch {
            return Ok(0);
        }
        Ok(body.seq)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn start() -> PullStart {
        PullStart {
            device: [7; 32],
            event_id: "demo-fair".into(),
            epoch: [1; 16],
        }
    }

    fn key() -> CursorKey {
        CursorKey::derive(&ed25519_dalek::SigningKey::from_bytes(&[3; 32]))
    }

    #[test]
    fn a_cursor_reads_back_for_its_device_event_and_epoch() {
        let cursor = key().write(&start(), 42);
        assert_eq!(key().read(Some(&cursor), &start()), Ok(42));
        assert_eq!(key().read(None, &start()), Ok(0));
    }

    #[test]
    fn any_changed_byte_of_a_cursor_is_refused() {
        let cursor = key().write(&start(), 42);
        for at in 0..cursor.0.len() {
            let mut tampered = cursor.clone();
            tampered.0[at] ^= 0x01;
            assert_eq!(
                key().read(Some(&tampered), &start()),
                Err(BadCursor),
                "byte {at}"
            );
        }
        assert_eq!(
            key().read(Some(&PullCursor(vec![1, 2])), &start()),
            Err(BadCursor)
        );
    }

    #[test]
    fn a_cursor_of_another_device_event_or_relay_key_is_refused() {
        let cursor = key().write(&start(), 42);
        let other_device = PullStart {
            device: [8; 32],
            ..start()
        };
        let other_event = PullStart {
            event_id: "other-fair".into(),
            ..start()
        };
        assert_eq!(key().read(Some(&cursor), &other_device), Err(BadCursor));
        assert_eq!(key().read(Some(&cursor), &other_event), Err(BadCursor));
        let other_relay = CursorKey::derive(&ed25519_dalek::SigningKey::from_bytes(&[4; 32]));
        assert_eq!(other_relay.read(Some(&cursor), &start()), Err(BadCursor));
    }

    #[test]
    fn a_cursor_of_another_epoch_starts_over() {
        let cursor = key().write(&start(), 42);
        let restored = PullStart {
            epoch: [2; 16],
            ..start()
        };
        assert_eq!(key().read(Some(&cursor), &restored), Ok(0));
    }
}
