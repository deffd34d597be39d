use ed25519_dalek::SigningKey;

use super::*;
use crate::device::META_RELAY_SIGNING_KEY;
use crate::ids::Timestamp;
use crate::protocol::sign_command;
use crate::staff::{MAX_FAILURES, set_initial_pin, unlock};

const OLD_PIN: &str = "482915";
const NEW_PIN: &str = "590317";

fn relay() -> SigningKey {
    SigningKey::from_bytes(&[5; 32])
}

/// A staff tablet whose relay signing key is pinned.
fn enrolled_tablet(dir: &tempfile::TempDir) -> Arc<Device> {
    let device =
        crate::generator::demo_staff(&dir.path().join("staff.sqlite3"), OLD_PIN).expect("opens");
    device
        .lock()
        .expect("lock")
        .store
        .set_meta(META_RELAY_SIGNING_KEY, relay().verifying_key().as_bytes())
        .expect("pins");
    device
}

/// A staff tablet whose relay signing key is pinned, with its PIN locked out.
fn locked_tablet(dir: &tempfile::TempDir) -> Arc<Device> {
    let device = enrolled_tablet(dir);
    let mut now = Timestamp(1_772_000_000_000);
    for _ in 0..MAX_FAILURES {
        let _ = unlock(&device, "000000", now);
        now = Timestamp(now.millis() + 3_600_000);
    }
    assert!(matches!(
        unlock(&device, OLD_PIN, now),
        Err(Error::Pin(PinError::LockedOut))
    ));
    device
}

fn unlock_for(device: &Device, counter: u64, signer: &SigningKey) -> SignedCommand {
    sign_command(
        Command::UnlockStaffPin { counter },
        device.identity_key().to_bytes(),
        1_772_000_000_000,
        signer,
    )
}

fn pin_error(result: Result<StaffSession>) -> PinError {
    match result {
        Err(Error::Pin(error)) => error,
        other => panic!("expected a PIN error, got {other:?}"),
    }
}

fn later() -> Timestamp {
    Timestamp(1_773_000_000_000)
}

#[test]
fn a_relay_signed_code_reopens_a_locked_pin_with_a_new_one_and_only_once() {
    let dir = tempfile::tempdir().expect("tempdir");
    let device = locked_tablet(&dir);
    let code = unlock_code_text(&unlock_for(&device, 1, &relay()));
    unlock_with_code(&device, &code, NEW_PIN, soon()).expect("reopens");
    assert!(
        unlock(&device, NEW_PIN, later()).is_ok(),
        "the new PIN works"
    );
    assert!(
        unlock(&device, OLD_PIN, later()).is_err(),
        "the old one does not"
    );
    assert_eq!(
        pin_error(unlock_with_code(&device, &code, "731946", soon())),
        PinError::UnlockCodeUsed
    );
    assert_eq!(
        pin_error(unlock_with_code(&device, &code, "1", soon())),
        PinError::UnlockCodeUsed,
        "a used code is refused before the new PIN is even looked at"
    );
}

#[test]
fn a_garbled_or_cut_code_is_a_bad_unlock_code_and_the_pin_stays_locked() {
    let dir = tempfile::tempdir().expect("tempdir");
    let device = locked_tablet(&dir);
    let code = unlock_code_text(&unlock_for(&device, 1, &relay()));
    let cut = &code[..code.len() / 2];
    let mut chars: Vec<char> = code.chars().collect();
    let middle = (chars.len() / 2..)
        .find(|&i| chars[i] != '-')
        .expect("a letter");
    chars[middle] = if chars[middle] == 'A' { 'B' } else { 'A' };
    let mistyped: String = chars.into_iter().collect();
    for garbled in [cut, mistyped.as_str(), "not a code at all!", ""] {
        assert_eq!(
            pin_error(unlock_with_code(&device, garbled, NEW_PIN, soon())),
            PinError::BadUnlockCode,
            "{garbled:?}"
        );
    }
    assert!(matches!(
        unlock(&device, OLD_PIN, later()),
        Err(Error::Pin(PinError::LockedOut))
    ));
    unlock_with_code(&device, &code, NEW_PIN, soon()).expect("the right code still works");
}

#[test]
fn a_code_typed_in_clears_an_older_unlock_kept_from_a_sync() {
    let dir = tempfile::tempdir().expect("tempdir");
    let device = locked_tablet(&dir);
    assert!(keep_unlock_order(&device, &unlock_for(&device, 1, &relay())).expect("checks"));
    let newer = unlock_code_text(&unlock_for(&device, 2, &relay()));
    unlock_with_code(&device, &newer, NEW_PIN, soon()).expect("reopens");
    assert_eq!(pending_unlock(&device).expect("reads"), None);
    assert_eq!(
        pin_error(reset_pin_with_unlock(&device, "731946", soon())),
        PinError::NoUnlock
    );
}

#[test]
fn an_older_counter_after_a_newer_one_is_refused_even_after_a_pin_change() {
    let dir = tempfile::tempdir().expect("tempdir");
    let device = locked_tablet(&dir);
    let older = unlock_code_text(&unlock_for(&device, 3, &relay()));
    let newer = unlock_code_text(&unlock_for(&device, 4, &relay()));
    let session = unlock_with_code(&device, &newer, NEW_PIN, soon()).expect("reopens");
    session.change_pin("731946").expect("changed");
    assert_eq!(
        pin_error(unlock_with_code(&device, &older, "864213", soon())),
        PinError::UnlockCodeUsed
    );
}

#[test]
fn codes_of_another_relay_key_another_tablet_or_a_wipe_are_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    let device = locked_tablet(&dir);
    let forged = unlock_code_text(&unlock_for(&device, 1, &SigningKey::from_bytes(&[6; 32])));
    assert_eq!(
        pin_error(unlock_with_code(&device, &forged, NEW_PIN, soon())),
        PinError::BadUnlockCode
    );
    let other_dir = tempfile::tempdir().expect("tempdir");
    let other = locked_tablet(&other_dir);
    let for_other = unlock_code_text(&unlock_for(&other, 1, &relay()));
    assert_eq!(
        pin_error(unlock_with_code(&device, &for_other, NEW_PIN, soon())),
        PinError::BadUnlockCode
    );
    let wipe = sign_command(
        Command::Wipe,
        device.identity_key().to_bytes(),
        1_772_000_000_000,
        &relay(),
    );
    assert_eq!(
        pin_error(unlock_with_code(
            &device,
            &unlock_code_text(&wipe),
            NEW_PIN,
            soon()
        )),
        PinError::BadUnlockCode
    );
    assert!(
        matches!(
            unlock(&device, OLD_PIN, later()),
            Err(Error::Pin(PinError::LockedOut))
        ),
        "still locked"
    );
}

#[test]
fn an_unlock_kept_from_a_sync_sets_a_new_pin_and_stale_ones_are_not_kept() {
    let dir = tempfile::tempdir().expect("tempdir");
    let device = locked_tablet(&dir);
    assert_eq!(
        pin_error(reset_pin_with_unlock(&device, NEW_PIN, soon())),
        PinError::NoUnlock
    );
    assert!(keep_unlock_order(&device, &unlock_for(&device, 2, &relay())).expect("checks"));
    assert!(
        !keep_unlock_order(&device, &unlock_for(&device, 1, &relay())).expect("checks"),
        "an older unlock does not replace a newer one"
    );
    assert_eq!(pending_unlock(&device).expect("reads"), Some(2));
    assert!(matches!(
        reset_pin_with_unlock(&device, "123456", soon()),
        Err(Error::Pin(PinError::InvalidFormat))
    ));
    reset_pin_with_unlock(&device, NEW_PIN, soon()).expect("reopens");
    assert_eq!(pending_unlock(&device).expect("reads"), None);
    assert!(
        !keep_unlock_order(&device, &unlock_for(&device, 2, &relay())).expect("checks"),
        "a used unlock sent again is not kept"
    );
    assert!(unlock(&device, NEW_PIN, later()).is_ok());
}

#[test]
fn code_text_reads_back_whatever_the_case_spacing_and_dashes() {
    let command = SignedCommand((0..=255u8).collect());
    let text = unlock_code_text(&command);
    assert!(text.split('-').all(|g| g.len() <= 4));
    assert_eq!(parse_unlock_code(&text), Ok(command.clone()));
    let sloppy = text.to_lowercase().replace('-', " ");
    assert_eq!(parse_unlock_code(&sloppy), Ok(command));
    assert_eq!(parse_unlock_code("ABCD-1890"), Err(PinError::BadUnlockCode));
    assert_eq!(parse_unlock_code(" - "), Err(PinError::BadUnlockCode));
}

#[test]
fn set_initial_pin_refuses_a_second_pin() {
    let dir = tempfile::tempdir().expect("tempdir");
    let device = locked_tablet(&dir);
    assert!(set_initial_pin(&device, NEW_PIN).is_err());
}

/// Within the week after the unlocks these tests sign (issued at 1_772_000_000_000).
fn soon() -> Timestamp {
    Timestamp(1_772_000_000_000 + 3_600_000)
}

#[test]
fn an_unlock_older_than_a_week_opens_nothing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let device = locked_tablet(&dir);
    let code = unlock_code_text(&unlock_for(&device, 1, &relay()));
    let week_later = Timestamp(1_772_000_000_000 + UNLOCK_VALID_MS + 1);
    assert_eq!(
        pin_error(unlock_with_code(&device, &code, NEW_PIN, week_later)),
        PinError::UnlockCodeExpired
    );
}

#[test]
fn the_right_pin_uses_up_an_unlock_kept_from_a_sync() {
    let dir = tempfile::tempdir().expect("tempdir");
    let device = enrolled_tablet(&dir);
    assert!(keep_unlock_order(&device, &unlock_for(&device, 1, &relay())).expect("kept"));
    // The recruiter remembers the PIN after all.
    unlock(&device, OLD_PIN, soon()).expect("opens");
    assert_eq!(pending_unlock(&device).expect("reads"), None);
    assert_eq!(
        pin_error(reset_pin_with_unlock(&device, NEW_PIN, soon())),
        PinError::NoUnlock,
        "whoever finds the tablet later cannot use the kept unlock"
    );
}
