use super::*;
use crate::private_files::mode_for_tests;

fn sealed_to(keys: &RelayKeys, seed: u8) -> Vec<u8> {
    let device = ed25519_dalek::SigningKey::from_bytes(&[seed; 32]);
    kiosk_core::capture::sign_and_seal(
        &kiosk_core::identity::DeviceIdentity::from_signing_key(device),
        keys.sealing.sealing_key(),
        &kiosk_core::ids::RegistrationId::new(kiosk_core::ids::Timestamp::now()),
        b"not a document".to_vec(),
        &[],
    )
    .expect("seals")
}

fn adopted_but(not_adopted: u64) -> RetireBlockers {
    RetireBlockers {
        not_adopted,
        unreviewed_quarantine: 0,
    }
}

#[test]
fn a_rotation_keeps_the_old_keys_beside_the_new_and_the_derived_secrets_unchanged() {
    let dir = tempfile::tempdir().expect("tempdir");
    let before = RelayKeys::load_or_create(dir.path()).expect("first keys");
    let old_seal = sealed_to(&before, 1);

    let after = rotate(dir.path()).expect("rotates");
    assert_ne!(after.ids(), before.ids(), "new current keys");
    assert_eq!(after.previous_ids(), Some(before.ids()));
    assert_eq!(
        after.derivation_root().to_bytes(),
        before.signing.to_bytes(),
        "derived secrets (email tags, cursors) stay derived from the first key"
    );
    // Old seals open with the previous key, new ones with the current.
    assert!(after.unseal(&old_seal).is_ok());
    assert!(after.unseal(&sealed_to(&after, 2)).is_ok());
    // A tablet that pins the old key is answered with it and told of the new one.
    let old_public = before.signing.verifying_key().to_bytes();
    assert_eq!(
        after.signing_for(&old_public).verifying_key(),
        before.signing.verifying_key()
    );
    assert!(after.announcement_for(&old_public).is_some());
    let new_public = after.signing.verifying_key().to_bytes();
    assert!(after.announcement_for(&new_public).is_none());
    #[cfg(unix)]
    for file in [
        SIGNING_KEY_FILE,
        SEALING_SEED_FILE,
        PREVIOUS_SIGNING_KEY_FILE,
        PREVIOUS_SEALING_SEED_FILE,
        DERIVATION_ROOT_FILE,
    ] {
        assert_eq!(mode_for_tests(&dir.path().join(file)), 0o600, "{file}");
    }
    // Loaded again, the ring is the same.
    let reloaded = RelayKeys::load_or_create(dir.path()).expect("reloads");
    assert_eq!(reloaded.ids(), after.ids());
    assert_eq!(reloaded.previous_ids(), Some(before.ids()));

    // A second rotation waits for the first to be retired.
    assert!(matches!(
        rotate(dir.path()),
        Err(RotationError::UnderWay { .. })
    ));
}

#[test]
fn retiring_is_refused_while_tablets_have_not_adopted_and_then_forgets_the_old_keys() {
    let dir = tempfile::tempdir().expect("tempdir");
    let before = RelayKeys::load_or_create(dir.path()).expect("first keys");
    let old_seal = sealed_to(&before, 1);
    rotate(dir.path()).expect("rotates");

    let refused = retire_previous(dir.path(), adopted_but(2), false)
        .expect_err("two tablets pin the old keys");
    assert!(
        refused.to_string().contains("2 active tablets still pin"),
        "{refused}"
    );
    assert!(dir.path().join(PREVIOUS_SIGNING_KEY_FILE).exists());

    let retired = retire_previous(dir.path(), adopted_but(0), false).expect("retires");
    assert_eq!(retired.sealing_key_id, before.sealing.sealing_key().key_id);
    assert!(!dir.path().join(PREVIOUS_SIGNING_KEY_FILE).exists());
    assert!(!dir.path().join(PREVIOUS_SEALING_SEED_FILE).exists());
    let after = RelayKeys::load_or_create(dir.path()).expect("reloads");
    assert!(!after.rotating());
    assert!(after.retired_sealing_key(&before.sealing.sealing_key().key_id));
    assert!(matches!(
        after.unseal(&old_seal),
        Err(kiosk_core::capture::SealError::UnknownKeyId(_))
    ));
    assert!(
        after
            .signing_publics()
            .contains(&before.signing.verifying_key()),
        "checkpoints the old key signed still verify"
    );
    assert_eq!(
        after.derivation_root().to_bytes(),
        before.signing.to_bytes()
    );
    assert!(matches!(
        retire_previous(dir.path(), adopted_but(0), false),
        Err(RotationError::NothingToRetire { .. })
    ));

    // Unreviewed quarantined captures sealed to the old key hold it back, even forced.
    rotate(dir.path()).expect("rotates again");
    let blocked = RetireBlockers {
        not_adopted: 0,
        unreviewed_quarantine: 1,
    };
    let refused = retire_previous(dir.path(), blocked, true).expect_err("would lose them");
    assert!(
        refused.to_string().contains("1 quarantined capture sealed"),
        "{refused}"
    );
    retire_previous(dir.path(), adopted_but(0), false).expect("retires");

    // `--force` retires despite tablets that have not adopted.
    rotate(dir.path()).expect("rotates again");
    retire_previous(dir.path(), adopted_but(3), true).expect("forced");
    assert_eq!(read_retired(dir.path()).expect("reads").len(), 3);
}

#[test]
fn a_rotation_interrupted_between_its_renames_is_finished_at_the_next_load() {
    let dir = tempfile::tempdir().expect("tempdir");
    let before = RelayKeys::load_or_create(dir.path()).expect("first keys");
    // As if the rotation stopped after writing the new keys and moving only the signing
    // key aside.
    crate::keys::write_new_secret(&dir.path().join(NEXT_SIGNING_KEY_FILE), &[7; 32])
        .expect("writes");
    crate::keys::write_new_secret(&dir.path().join(NEXT_SEALING_SEED_FILE), &[8; 32])
        .expect("writes");
    std::fs::rename(
        dir.path().join(SIGNING_KEY_FILE),
        dir.path().join(PREVIOUS_SIGNING_KEY_FILE),
    )
    .expect("moves");
    let keys = RelayKeys::load_or_create(dir.path()).expect("finishes");
    let expected = RelayKeys::from_seeds([7; 32], [8; 32]);
    assert_eq!(keys.ids(), expected.ids());
    assert_eq!(keys.previous_ids(), Some(before.ids()));
}

#[test]
fn a_rotation_stopped_after_writing_only_one_new_key_is_dropped_not_half_done() {
    let dir = tempfile::tempdir().expect("tempdir");
    let before = RelayKeys::load_or_create(dir.path()).expect("first keys");
    crate::keys::write_new_secret(&dir.path().join(NEXT_SEALING_SEED_FILE), &[8; 32])
        .expect("writes");
    let keys = RelayKeys::load_or_create(dir.path()).expect("loads");
    assert_eq!(keys.ids(), before.ids());
    assert!(!keys.rotating());
    assert!(!dir.path().join(NEXT_SEALING_SEED_FILE).exists());
    // And a rotation run again makes both keys new.
    let after = rotate(dir.path()).expect("rotates");
    assert_ne!(after.ids().signing_public, before.ids().signing_public);
    assert_ne!(after.ids().sealing_key_id, before.ids().sealing_key_id);
}

#[test]
fn rotating_a_directory_without_keys_is_refused_and_makes_none() {
    let dir = tempfile::tempdir().expect("tempdir");
    assert!(matches!(
        rotate(dir.path()),
        Err(RotationError::NoKeys { .. })
    ));
    assert!(!dir.path().join(SIGNING_KEY_FILE).exists());
}
