use std::sync::Arc;

use ed25519_dalek::SigningKey;

use super::*;
use crate::capture::{RelayOpeningKey, sealed_key_id};
use crate::device::META_RELAY_SIGNING_KEY;
use crate::protocol::{Command, sign_command};

fn signing(seed: u8) -> SigningKey {
    SigningKey::from_bytes(&[seed; 32])
}

fn sealing(seed: u8) -> RelaySealingKey {
    RelayOpeningKey::from_seed(&[seed; 32])
        .sealing_key()
        .clone()
}

/// A kiosk that pins the relay keys made from seeds 1 (signing) and 2 (sealing).
fn enrolled_kiosk(dir: &tempfile::TempDir) -> Arc<Device> {
    let device = crate::generator::demo_kiosk(&dir.path().join("kiosk.sqlite3")).expect("opens");
    device
        .lock()
        .expect("lock")
        .store
        .set_meta(
            META_RELAY_SIGNING_KEY,
            signing(1).verifying_key().as_bytes(),
        )
        .expect("pins");
    device.pin_relay_key(sealing(2)).expect("pins");
    device
}

/// An announcement of the keys from seeds `to`, `to + 1`, signed by `by` for `device`.
fn announcement(device: [u8; 32], to: u8, by: &SigningKey) -> SignedCommand {
    sign_command(
        Command::AdoptRelayKeys {
            signing_key: signing(to).verifying_key().to_bytes(),
            sealing_key: sealing(to + 1),
        },
        device,
        1_780_000_000_000,
        by,
    )
}

fn pinned(device: &Device) -> (VerifyingKey, RelaySealingKey) {
    (
        device.relay_signing_key().expect("reads").expect("pinned"),
        device.relay_key().expect("reads").expect("pinned"),
    )
}

#[test]
fn announced_keys_are_pinned_and_new_captures_are_sealed_to_the_new_key() {
    let dir = tempfile::tempdir().expect("tempdir");
    let device = enrolled_kiosk(&dir);
    crate::generator::capture_generated(&device, 1, 1).expect("captures before");
    let me = device.identity_key().to_bytes();

    let (key, changed) =
        adopt_relay_keys(&device, &announcement(me, 11, &signing(1))).expect("adopts");
    assert!(changed);
    assert_eq!(key, signing(11).verifying_key());
    assert_eq!(pinned(&device), (signing(11).verifying_key(), sealing(12)));

    crate::generator::capture_generated(&device, 1, 2).expect("captures after");
    let seals: Vec<Option<String>> = device
        .pending_captures(10)
        .expect("reads")
        .iter()
        .map(|c| sealed_key_id(&c.sealed))
        .collect();
    assert_eq!(
        seals,
        vec![Some(sealing(2).key_id), Some(sealing(12).key_id)],
        "the capture before the rotation keeps its seal to the old key; the one after is sealed to the new"
    );

    // The same announcement again (a relay repeating it, or a retried answer) changes nothing.
    let again = adopt_relay_keys(&device, &announcement(me, 11, &signing(11)));
    assert_eq!(
        again.expect("the pinned keys again"),
        (signing(11).verifying_key(), false)
    );
}

#[test]
fn an_announcement_signed_by_a_key_the_tablet_does_not_pin_is_refused_and_nothing_changes() {
    let dir = tempfile::tempdir().expect("tempdir");
    let device = enrolled_kiosk(&dir);
    let me = device.identity_key().to_bytes();
    let before = pinned(&device);
    let refused = adopt_relay_keys(&device, &announcement(me, 11, &signing(66)));
    assert!(
        matches!(refused, Err(Error::Protocol(ProtocolError::BadSignature))),
        "{refused:?}"
    );
    assert_eq!(pinned(&device), before);
}

#[test]
fn an_announcement_for_another_device_is_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    let device = enrolled_kiosk(&dir);
    let before = pinned(&device);
    let refused = adopt_relay_keys(&device, &announcement([9; 32], 11, &signing(1)));
    assert!(
        matches!(refused, Err(Error::Protocol(ProtocolError::DeviceMismatch))),
        "{refused:?}"
    );
    assert_eq!(pinned(&device), before);
}

#[test]
fn a_replayed_announcement_of_an_earlier_rotation_is_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    let device = enrolled_kiosk(&dir);
    let me = device.identity_key().to_bytes();
    let first = announcement(me, 11, &signing(1));
    adopt_relay_keys(&device, &first).expect("first rotation");
    adopt_relay_keys(&device, &announcement(me, 21, &signing(11))).expect("second rotation");

    // The first rotation's command, sent again, would move the tablet back to keys the
    // relay has retired: it is signed by a key the tablet no longer pins.
    let replayed = adopt_relay_keys(&device, &first);
    assert!(
        matches!(replayed, Err(Error::Protocol(ProtocolError::BadSignature))),
        "{replayed:?}"
    );
    assert_eq!(pinned(&device), (signing(21).verifying_key(), sealing(22)));
}

#[test]
fn an_announcement_whose_key_id_is_not_its_keys_is_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    let device = enrolled_kiosk(&dir);
    let me = device.identity_key().to_bytes();
    let mut wrong_id = sealing(12);
    wrong_id.key_id = sealing(2).key_id;
    let command = sign_command(
        Command::AdoptRelayKeys {
            signing_key: signing(11).verifying_key().to_bytes(),
            sealing_key: wrong_id,
        },
        me,
        1_780_000_000_000,
        &signing(1),
    );
    let refused = adopt_relay_keys(&device, &command);
    assert!(
        matches!(refused, Err(Error::Protocol(ProtocolError::Malformed))),
        "{refused:?}"
    );
    assert_eq!(pinned(&device).1, sealing(2));
}

#[test]
fn a_wipe_order_kept_before_the_rotation_is_still_carried_out_after_it() {
    let dir = tempfile::tempdir().expect("tempdir");
    let device = enrolled_kiosk(&dir);
    let me = device.identity_key().to_bytes();
    device
        .keep_wipe_order(&sign_command(
            Command::Wipe,
            me,
            1_780_000_000_000,
            &signing(1),
        ))
        .expect("kept");
    adopt_relay_keys(&device, &announcement(me, 11, &signing(1))).expect("adopts");
    let order = device.wipe_order().expect("still verifies").expect("kept");
    assert_eq!(order.command, Command::Wipe);
}

#[test]
fn after_adopting_new_keys_a_new_unlock_must_be_signed_by_them_and_the_kept_one_still_counts() {
    let dir = tempfile::tempdir().expect("tempdir");
    let device = enrolled_kiosk(&dir);
    let me = device.identity_key().to_bytes();
    let unlock = |counter, by: &SigningKey| {
        sign_command(
            Command::UnlockStaffPin { counter },
            me,
            1_780_000_000_000,
            by,
        )
    };
    assert!(
        crate::staff_unlock::keep_unlock_order(&device, &unlock(1, &signing(1)))
            .expect("kept before the rotation")
    );
    adopt_relay_keys(&device, &announcement(me, 11, &signing(1))).expect("adopts");
    // The unlock kept before still counts.
    assert_eq!(
        crate::staff_unlock::pending_unlock(&device).expect("reads"),
        Some(1)
    );
    // A new one signed by the key rotated away (it may have leaked) is refused, whatever
    // its counter, and the kept one stays.
    assert!(
        crate::staff_unlock::keep_unlock_order(&device, &unlock(u64::MAX, &signing(1))).is_err()
    );
    assert_eq!(
        crate::staff_unlock::pending_unlock(&device).expect("reads"),
        Some(1)
    );
    // The key pinned now signs the next one.
    assert!(
        crate::staff_unlock::keep_unlock_order(&device, &unlock(2, &signing(11)))
            .expect("kept after the rotation")
    );
}
