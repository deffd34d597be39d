//! Devices: enrollment codes (single use per device, retries answered again), revocation,
//! and staff tablets' PIN unlock counters.

use kiosk_core::protocol::enrollment::EnrolledRole;

use super::fixtures::*;
use crate::storage::{CodeRefusal, DeviceRecord, EnrollmentGrant, RelayStore, enroll_for_tests};

const LIFETIME: i64 = 1 << 40;

fn grant(lookup: u8, role: EnrolledRole, expires_at: i64, max_uses: u32) -> EnrollmentGrant {
    EnrollmentGrant {
        lookup: [lookup; 32],
        answer_secret: [lookup ^ 0xff; 32],
        event_id: EVENT.to_owned(),
        role,
        recruiter: (role == EnrolledRole::Staff).then(|| "rut".to_owned()),
        expires_at,
        max_uses,
        name: None,
    }
}

fn redeem(
    store: &dyn RelayStore,
    grant: &EnrollmentGrant,
    device: [u8; 32],
    role: EnrolledRole,
    now: i64,
) -> Result<DeviceRecord, CodeRefusal> {
    store
        .redeem_enrollment_code(&grant.lookup, &device, role, &|_| true, now, LIFETIME)
        .expect("storage")
        .map(|(record, secret)| {
            assert_eq!(secret, grant.answer_secret, "the code's answer secret");
            record
        })
}

pub(crate) fn a_code_enrolls_a_device_and_the_record_reads_back(store: &dyn RelayStore) {
    let code = grant(1, EnrolledRole::Staff, 1_000, 1);
    store.add_enrollment_code(&code, 0).expect("stored");
    assert_eq!(store.device(&[9; 32]).expect("reads"), None);
    let record = redeem(store, &code, [9; 32], EnrolledRole::Staff, 100).expect("enrolled");
    assert_eq!(
        record,
        DeviceRecord {
            device_key: [9; 32],
            event_id: EVENT.to_owned(),
            role: EnrolledRole::Staff,
            recruiter: Some("rut".to_owned()),
            certified_at: 100,
            expires_at: 100 + LIFETIME,
            revoked_at: None,
            last_seq: 0,
            name: None,
            relay_key: None,
        }
    );
    assert_eq!(store.device(&[9; 32]).expect("reads"), Some(record));
    assert_eq!(store.counts().expect("counts").devices, 1);
}

pub(crate) fn the_relay_key_a_tablet_pins_is_recorded_and_tablets_not_pinning_one_are_counted(
    store: &dyn RelayStore,
) {
    let code = grant(1, EnrolledRole::Kiosk, 1_000, 4);
    store.add_enrollment_code(&code, 0).expect("stored");
    for device in [[1; 32], [2; 32], [3; 32], [4; 32]] {
        redeem(store, &code, device, EnrolledRole::Kiosk, 10).expect("enrolled");
    }
    let (old, new) = ([0xA0; 32], [0xB0; 32]);
    // Not known yet: every active tablet counts as not pinning the new key.
    assert_eq!(store.devices_not_pinning(&new, 20).expect("counts"), 4);
    store.note_relay_key(&[1; 32], &old).expect("noted");
    store.note_relay_key(&[2; 32], &new).expect("noted");
    store.note_relay_key(&[3; 32], &old).expect("noted");
    store.note_relay_key(&[3; 32], &new).expect("adopted later");
    assert_eq!(
        store
            .device(&[1; 32])
            .expect("reads")
            .expect("enrolled")
            .relay_key,
        Some(old)
    );
    assert_eq!(
        store
            .device(&[3; 32])
            .expect("reads")
            .expect("enrolled")
            .relay_key,
        Some(new)
    );
    assert_eq!(store.devices_not_pinning(&new, 20).expect("counts"), 2);
    // A revoked tablet, or one whose certificate expired, is not waited for.
    assert!(store.revoke_device(&[4; 32], 30).expect("revokes"));
    assert_eq!(store.devices_not_pinning(&new, 40).expect("counts"), 1);
    assert_eq!(
        store
            .devices_not_pinning(&new, 10 + LIFETIME)
            .expect("counts"),
        0
    );
}

pub(crate) fn redeeming_the_same_code_for_the_same_device_again_uses_it_once(
    store: &dyn RelayStore,
) {
    let code = grant(1, EnrolledRole::Kiosk, 1_000, 2);
    store.add_enrollment_code(&code, 0).expect("stored");
    let first = redeem(store, &code, [1; 32], EnrolledRole::Kiosk, 10).expect("enrolled");
    // The answer was lost; the tablet asks again, even after the code expired.
    for now in [20, 5_000] {
        let again = redeem(store, &code, [1; 32], EnrolledRole::Kiosk, now).expect("answered");
        assert_eq!(again, first, "the same record, not a new enrollment");
    }
    // One use is left for another device, then none.
    redeem(store, &code, [2; 32], EnrolledRole::Kiosk, 30).expect("the second use");
    assert_eq!(
        redeem(store, &code, [3; 32], EnrolledRole::Kiosk, 40),
        Err(CodeRefusal::Exhausted)
    );
    assert_eq!(store.device(&[3; 32]).expect("reads"), None);
}

pub(crate) fn a_code_is_refused_when_unknown_expired_exhausted_or_for_another_role(
    store: &dyn RelayStore,
) {
    let code = grant(1, EnrolledRole::Kiosk, 1_000, 1);
    store.add_enrollment_code(&code, 0).expect("stored");
    let unknown = grant(2, EnrolledRole::Kiosk, 1_000, 1);
    assert_eq!(
        redeem(store, &unknown, [1; 32], EnrolledRole::Kiosk, 10),
        Err(CodeRefusal::Unknown)
    );
    // A request that does not prove knowing the code is told no more than an unknown one.
    let proof = store
        .redeem_enrollment_code(
            &code.lookup,
            &[1; 32],
            EnrolledRole::Kiosk,
            &|secret| *secret != code.answer_secret,
            10,
            LIFETIME,
        )
        .expect("storage");
    assert_eq!(proof, Err(CodeRefusal::Unknown));
    assert_eq!(
        redeem(store, &code, [1; 32], EnrolledRole::Kiosk, 1_000),
        Err(CodeRefusal::Expired)
    );
    // A tablet of the wrong kind costs the code no use.
    assert_eq!(
        redeem(store, &code, [1; 32], EnrolledRole::Staff, 10),
        Err(CodeRefusal::WrongRole)
    );
    redeem(store, &code, [1; 32], EnrolledRole::Kiosk, 10).expect("its one use");
    assert_eq!(
        redeem(store, &code, [2; 32], EnrolledRole::Kiosk, 10),
        Err(CodeRefusal::Exhausted)
    );
    assert_eq!(store.device_keys(None).expect("lists"), [[1; 32]]);
}

pub(crate) fn a_revoked_device_stays_revoked_and_a_code_does_not_bring_it_back(
    store: &dyn RelayStore,
) {
    let device = enroll(store, 1)[0];
    assert!(
        !store
            .revoke_device(&[0x77; 32], 5)
            .expect("nothing to revoke")
    );
    assert!(store.revoke_device(&device, 5).expect("revokes"));
    assert!(!store.revoke_device(&device, 6).expect("already revoked"));
    let record = store.device(&device).expect("reads").expect("kept");
    assert_eq!(
        record.revoked_at,
        Some(5),
        "the first revocation's time stays"
    );
    let code = grant(3, EnrolledRole::Kiosk, 1_000, 5);
    store.add_enrollment_code(&code, 0).expect("stored");
    assert_eq!(
        redeem(store, &code, device, EnrolledRole::Kiosk, 10),
        Err(CodeRefusal::Revoked)
    );
    assert_eq!(
        store
            .device(&device)
            .expect("reads")
            .expect("kept")
            .revoked_at,
        Some(5)
    );
}

pub(crate) fn device_keys_come_in_enrollment_order_per_event(store: &dyn RelayStore) {
    let here = grant(1, EnrolledRole::Kiosk, i64::MAX, 10);
    let there = EnrollmentGrant {
        lookup: [2; 32],
        event_id: "other-event".to_owned(),
        ..here.clone()
    };
    store.add_enrollment_code(&here, 0).expect("stored");
    store.add_enrollment_code(&there, 0).expect("stored");
    redeem(store, &here, [5; 32], EnrolledRole::Kiosk, 10).expect("enrolled");
    redeem(store, &there, [4; 32], EnrolledRole::Kiosk, 20).expect("enrolled");
    redeem(store, &here, [3; 32], EnrolledRole::Kiosk, 30).expect("enrolled");
    assert_eq!(
        store.device_keys(None).expect("lists"),
        [[5; 32], [4; 32], [3; 32]]
    );
    assert_eq!(
        store.device_keys(Some(EVENT)).expect("lists"),
        [[5; 32], [3; 32]]
    );
    assert_eq!(
        store.device_keys(Some("other-event")).expect("lists"),
        [[4; 32]]
    );
    assert!(
        store
            .device_keys(Some("no-event"))
            .expect("lists")
            .is_empty()
    );
}

const STAFF: [u8; 32] = [1; 32];
const KIOSK: [u8; 32] = [2; 32];
const UNKNOWN: [u8; 32] = [3; 32];
const DAY_MS: i64 = 24 * 3_600_000;

/// One staff tablet (`STAFF`) and one kiosk (`KIOSK`), enrolled at 0.
fn staff_and_kiosk(store: &dyn RelayStore) {
    let event = "demo-event";
    enroll_for_tests(
        store,
        STAFF,
        event,
        EnrolledRole::Staff,
        Some("recruiter-1"),
    );
    enroll_for_tests(store, KIOSK, event, EnrolledRole::Kiosk, None);
}

fn outstanding(store: &dyn RelayStore, key: &[u8; 32], now: i64) -> Option<u64> {
    store
        .outstanding_staff_unlock(key, now)
        .expect("reads")
        .map(|(counter, _)| counter)
}

/// Moved from the SQLite store's `staff_unlock` tests.
pub(crate) fn each_unlock_of_a_staff_tablet_raises_its_counter_from_one(store: &dyn RelayStore) {
    staff_and_kiosk(store);
    assert_eq!(outstanding(store, &STAFF, 10), None);
    assert_eq!(
        store.issue_staff_unlock(&STAFF, 10).expect("issues"),
        Some(1)
    );
    assert_eq!(
        store.issue_staff_unlock(&STAFF, 20).expect("issues"),
        Some(2)
    );
    assert_eq!(outstanding(store, &STAFF, 30), Some(2));
    assert_eq!(
        store.outstanding_staff_unlock(&STAFF, 30).expect("reads"),
        Some((2, 20)),
        "with the latest issue's time"
    );
}

/// Moved from the SQLite store's `staff_unlock` tests.
pub(crate) fn kiosks_unknown_and_revoked_devices_get_no_unlock(store: &dyn RelayStore) {
    staff_and_kiosk(store);
    assert_eq!(store.issue_staff_unlock(&KIOSK, 10).expect("reads"), None);
    assert_eq!(store.issue_staff_unlock(&UNKNOWN, 10).expect("reads"), None);
    assert_eq!(
        store.issue_staff_unlock(&STAFF, 10).expect("issues"),
        Some(1)
    );
    assert!(store.revoke_device(&STAFF, 20).expect("revokes"));
    assert_eq!(store.issue_staff_unlock(&STAFF, 30).expect("reads"), None);
    for key in [KIOSK, UNKNOWN] {
        assert_eq!(outstanding(store, &key, 30), None);
    }
}

/// Moved from the SQLite store's `staff_unlock` tests; the week is the trait's promise.
pub(crate) fn an_unlock_is_outstanding_for_seven_days_from_its_latest_issue(
    store: &dyn RelayStore,
) {
    staff_and_kiosk(store);
    let issued = 100 * DAY_MS;
    store.issue_staff_unlock(&STAFF, issued).expect("issues");
    let week_later = issued + 7 * DAY_MS;
    assert_eq!(outstanding(store, &STAFF, week_later - 1), Some(1));
    assert_eq!(outstanding(store, &STAFF, week_later), None);
    // Issuing again starts a new week, with the next counter.
    assert_eq!(
        store
            .issue_staff_unlock(&STAFF, week_later)
            .expect("issues"),
        Some(2)
    );
    assert_eq!(outstanding(store, &STAFF, week_later + DAY_MS), Some(2));
}

/// Using a code and recording the device are one transaction: eight tablets redeeming a
/// single-use code at once enroll exactly one.
pub(crate) fn a_single_use_code_redeemed_by_many_tablets_at_once_enrolls_one(
    store: &dyn RelayStore,
) {
    let code = grant(1, EnrolledRole::Kiosk, i64::MAX, 1);
    store.add_enrollment_code(&code, 0).expect("stored");
    let start = std::sync::Barrier::new(8);
    let results: Vec<Result<DeviceRecord, CodeRefusal>> = std::thread::scope(|scope| {
        let handles: Vec<_> = (1..=8u8)
            .map(|n| {
                let (code, start) = (&code, &start);
                scope.spawn(move || {
                    start.wait();
                    redeem(store, code, [n; 32], EnrolledRole::Kiosk, 10)
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("no panic"))
            .collect()
    });
    let enrolled: Vec<&DeviceRecord> = results.iter().filter_map(|r| r.as_ref().ok()).collect();
    assert_eq!(enrolled.len(), 1, "{results:?}");
    assert!(
        results
            .iter()
            .all(|r| matches!(r, Ok(_) | Err(CodeRefusal::Exhausted)))
    );
    assert_eq!(
        store.device_keys(None).expect("lists"),
        [enrolled[0].device_key]
    );
}

pub(crate) fn a_code_names_the_tablets_it_enrolls_and_hr_can_rename_them(store: &dyn RelayStore) {
    let named = EnrollmentGrant {
        name: Some("Kiosk 1, Göteborg".to_owned()),
        ..grant(1, EnrolledRole::Kiosk, i64::MAX, 2)
    };
    store.add_enrollment_code(&named, 0).expect("stored");
    let record = redeem(store, &named, [7; 32], EnrolledRole::Kiosk, 10).expect("enrolled");
    assert_eq!(record.name.as_deref(), Some("Kiosk 1, Göteborg"));
    let name = |key: [u8; 32]| store.device(&key).expect("reads").expect("known").name;
    assert_eq!(name([7; 32]).as_deref(), Some("Kiosk 1, Göteborg"));

    assert!(
        store
            .rename_device(&[7; 32], Some("Kiosk 2, Malmö"))
            .expect("renames")
    );
    assert_eq!(name([7; 32]).as_deref(), Some("Kiosk 2, Malmö"));
    // Enrolled again with a code that gives no name: the tablet keeps the one it has.
    let unnamed = grant(2, EnrolledRole::Kiosk, i64::MAX, 1);
    store.add_enrollment_code(&unnamed, 0).expect("stored");
    redeem(store, &unnamed, [7; 32], EnrolledRole::Kiosk, 20).expect("enrolled again");
    assert_eq!(name([7; 32]).as_deref(), Some("Kiosk 2, Malmö"));

    assert!(store.rename_device(&[7; 32], None).expect("unnames"));
    assert_eq!(name([7; 32]), None);
    // Other tablets are untouched, and an unknown one is not created.
    redeem(store, &named, [8; 32], EnrolledRole::Kiosk, 30).expect("enrolled");
    assert_eq!(name([8; 32]).as_deref(), Some("Kiosk 1, Göteborg"));
    assert!(!store.rename_device(&[6; 32], Some("Ghost")).expect("asks"));
    assert_eq!(store.device(&[6; 32]).expect("reads"), None);
}

/// The certificate an enrollment answer carried is kept byte for byte beside those of the
/// tablet's earlier enrollments, and the one valid at a time is the newest issued by then;
/// a tablet enrolled without one kept has none.
pub(crate) fn a_tablets_certificates_are_kept_verbatim_and_the_one_valid_at_a_time_is_found(
    store: &dyn RelayStore,
) {
    let keys = enroll(store, 2);
    assert_eq!(
        store
            .kept_certificate(&keys[0], None, i64::MAX)
            .expect("reads"),
        None
    );
    let sent = vec![0xa3, 0x00, 0xff, 0x7f];
    store.keep_certificate(&keys[0], 10, &sent).expect("keeps");
    assert_eq!(
        store.kept_certificate(&keys[0], None, 10).expect("reads"),
        Some((10, sent.clone()))
    );
    assert_eq!(
        store.kept_certificate(&keys[0], None, 9).expect("reads"),
        None,
        "none was issued by then"
    );
    store
        .keep_certificate(&keys[0], 20, &[1, 2, 3])
        .expect("keeps");
    assert_eq!(
        store.kept_certificate(&keys[0], None, 25).expect("reads"),
        Some((20, vec![1, 2, 3]))
    );
    assert_eq!(
        store.kept_certificate(&keys[0], None, 19).expect("reads"),
        Some((10, sent.clone())),
        "a record captured before the re-enrollment finds the certificate it was made under"
    );
    // A racing re-enrollment's certificate, written last, takes its place in time.
    store
        .keep_certificate(&keys[0], 15, &[4, 5, 6])
        .expect("keeps");
    assert_eq!(
        store.kept_certificate(&keys[0], None, 17).expect("reads"),
        Some((15, vec![4, 5, 6]))
    );
    assert_eq!(
        store.kept_certificate(&keys[0], None, 25).expect("reads"),
        Some((20, vec![1, 2, 3]))
    );
    // A second envelope of the same time keeps the first.
    store.keep_certificate(&keys[0], 20, &[9]).expect("answers");
    assert_eq!(
        store.kept_certificate(&keys[0], None, 20).expect("reads"),
        Some((20, vec![1, 2, 3]))
    );
    assert_eq!(
        store
            .kept_certificate(&keys[1], None, i64::MAX)
            .expect("reads"),
        None
    );
}

/// A tablet enrolled again and again keeps its newest certificates only, up to the bound.
pub(crate) fn only_a_tablets_newest_certificates_are_kept(store: &dyn RelayStore) {
    use crate::storage::model::CERTIFICATES_KEPT_PER_DEVICE;
    let keys = enroll(store, 1);
    let issued = CERTIFICATES_KEPT_PER_DEVICE as i64 + 4;
    for at in 1..=issued {
        store
            .keep_certificate(&keys[0], at, &[at as u8])
            .expect("keeps");
    }
    let oldest_kept = issued - CERTIFICATES_KEPT_PER_DEVICE as i64 + 1;
    assert_eq!(
        store
            .kept_certificate(&keys[0], None, oldest_kept - 1)
            .expect("reads"),
        None,
        "those beyond the bound are gone"
    );
    assert_eq!(
        store
            .kept_certificate(&keys[0], None, oldest_kept)
            .expect("reads"),
        Some((oldest_kept, vec![oldest_kept as u8]))
    );
    assert_eq!(
        store
            .kept_certificate(&keys[0], None, i64::MAX)
            .expect("reads"),
        Some((issued, vec![issued as u8]))
    );
}

/// Two enrollments of one tablet in the same millisecond (or with the second instance's
/// clock behind) get strictly increasing issue times, and each keeps its own envelope in
/// its redeem's transaction: the certificate kept at the device row's issue time is the
/// last enrollment's, never the first's.
pub(crate) fn enrollments_of_one_tablet_in_one_millisecond_keep_the_last_ones_certificate(
    store: &dyn RelayStore,
) {
    let device = [0x44; 32];
    let (first, second, behind) = (
        grant(61, EnrolledRole::Kiosk, 1_000, 1),
        grant(62, EnrolledRole::Kiosk, 1_000, 1),
        grant(63, EnrolledRole::Kiosk, 1_000, 1),
    );
    let enroll = |grant: &EnrollmentGrant, now: i64| -> DeviceRecord {
        store.add_enrollment_code(grant, 0).expect("stored");
        // The envelope names its code, so which enrollment it came from shows.
        let envelope = |record: &DeviceRecord| {
            let mut bytes = grant.lookup[..1].to_vec();
            bytes.extend_from_slice(&record.certified_at.to_be_bytes());
            Some(bytes)
        };
        let (record, _) = store
            .redeem_and_keep_certificate(
                &grant.lookup,
                &device,
                EnrolledRole::Kiosk,
                &|_| true,
                now,
                LIFETIME,
                &envelope,
            )
            .expect("storage")
            .expect("enrolled");
        record
    };
    let one = enroll(&first, 100);
    let two = enroll(&second, 100);
    assert_eq!(one.certified_at, 100);
    assert_eq!(
        two.certified_at, 101,
        "one ms after the previous enrollment"
    );
    let three = enroll(&behind, 50);
    assert_eq!(three.certified_at, 102, "an instance whose clock is behind");
    assert_eq!(
        store
            .device(&device)
            .expect("reads")
            .expect("enrolled")
            .certified_at,
        102
    );
    for (record, code) in [(&one, 61u8), (&two, 62), (&three, 63)] {
        let mut expected = vec![code];
        expected.extend_from_slice(&record.certified_at.to_be_bytes());
        assert_eq!(
            store
                .kept_certificate(&device, Some(record.certified_at), 0)
                .expect("reads"),
            Some((record.certified_at, expected)),
            "each enrollment's own envelope"
        );
    }
}
