//! Staff tablets against a real relay: they pull their event's registrations (never
//! restricted ones, every pull access-logged), annotate them offline, and their edits merge
//! with each other's in whatever order they sync. Every tablet picks up a newly published
//! form, and learns of removals so nothing comes back.

use std::sync::Arc;

use kiosk_core::annotations::RecordStatus;
use kiosk_core::device::Device;
use kiosk_core::ids::Timestamp;
use kiosk_core::protocol::enrollment::EnrolledRole;
use kiosk_core::store::DocumentState;
use kiosk_core::sync::HttpTransport;
use kiosk_core::validation::RegistrationInput;
use kiosk_sync_server::now_ms;
use kiosk_sync_server::storage::{AccessAction, Accessor, RelayStore};
use kiosk_tests::{
    FileRelay, Tablet, demo_code, file_relay, staff_code, staff_session, staff_tablet, sync_now,
    tablet,
};

fn transport(relay: &FileRelay) -> HttpTransport {
    HttpTransport::new(&relay.server.url())
}

/// How many of the first `count` generated visitors (seed 7) have no protected personal
/// data: the registrations a staff tablet may pull.
fn open_registrations(count: usize) -> u64 {
    let mut generator =
        kiosk_core::generator::RegistrationGenerator::new(kiosk_core::demo::demo_event(), 7);
    (0..count)
        .filter(|_| !generator.next_input().0.protected_personal_data)
        .count() as u64
}

/// An enrolled kiosk that captured `count` generated visitors and one with protected
/// personal data, all synced.
fn kiosk_with_captures(relay: &FileRelay, count: usize) -> Tablet {
    let kiosk = tablet();
    let code = demo_code(relay.store.as_ref(), EnrolledRole::Kiosk, 1, 3_600_000);
    kiosk
        .device
        .enroll(&code, &transport(relay))
        .expect("enrolls");
    kiosk_core::generator::capture_generated(&kiosk.device, count, 7).expect("captured");
    capture_protected(&kiosk.device);
    let report = sync_now(&kiosk.device, &transport(relay)).expect("syncs");
    assert_eq!(report.received, count as u64 + 1);
    kiosk
}

fn capture_protected(device: &Arc<Device>) {
    let event = device.event().expect("event").expect("installed");
    let (mut input, _) = kiosk_core::generator::RegistrationGenerator::new(event, 99).next_input();
    input = RegistrationInput {
        email: "skyddad@example.se".into(),
        phone: String::new(),
        locations: Vec::new(),
        education_level: String::new(),
        free_text: String::new(),
        talent_pool_opt_in: false,
        protected_personal_data: true,
        ..input
    };
    let now = Timestamp::now();
    let mut session =
        kiosk_core::visitor::VisitorSession::start(Arc::clone(device), now).expect("session");
    session.update(input, now).expect("updates");
    session
        .submit(now)
        .expect("a protected visitor is captured");
}

fn enrolled_staff(relay: &FileRelay, recruiter: &str) -> Tablet {
    let staff = staff_tablet();
    staff
        .device
        .enroll(
            &staff_code(relay.store.as_ref(), recruiter),
            &transport(relay),
        )
        .expect("staff tablet enrolls");
    staff
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_staff_tablet_pulls_its_events_registrations_but_never_restricted_ones_and_each_pull_is_logged()
 {
    let relay = file_relay().await;
    let url = relay.server.url();
    let store = relay.store.clone();
    let relay = Arc::new(relay);
    let shared = relay.clone();
    tokio::task::spawn_blocking(move || {
        let relay = shared;
        let _kiosk = kiosk_with_captures(&relay, 12);
        let open = open_registrations(12);
        let staff = enrolled_staff(&relay, "anna");
        let report = sync_now(&staff.device, &HttpTransport::new(&url)).expect("pulls");
        assert_eq!(
            report.pulled, open,
            "restricted registrations are never sent"
        );
        let records = staff_session(&staff).registrations().expect("lists");
        assert_eq!(records.len() as u64, open);
        assert!(records.iter().all(|r| !r.registration.restricted));
        assert!(
            records
                .iter()
                .all(|r| r.annotations.status == RecordStatus::New)
        );

        // A second sync sends nothing again: the cursor moved past it.
        let again = sync_now(&staff.device, &HttpTransport::new(&url)).expect("syncs");
        assert_eq!(again.pulled, 0);

        let entries = store.access_log_entries(0, 1_000).expect("log");
        let pulls: Vec<_> = entries
            .iter()
            .filter(|(_, e)| e.action == AccessAction::Pull)
            .collect();
        assert_eq!(
            pulls.len() as u64,
            open,
            "one entry per registration pulled"
        );
        let staff_key = staff
            .device
            .device_id()
            .public_key()
            .expect("key")
            .to_bytes();
        assert!(pulls.iter().all(|(_, e)| e.accessor
            == Accessor::Device {
                device_key: staff_key,
                recruiter: Some("anna".into()),
            }));
        let verdict = store.verify_access_log().expect("verifies");
        assert_eq!(verdict.broken_at, None);
        assert_eq!(verdict.entries, open);
    })
    .await
    .expect("test body");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_staff_tablets_edit_the_same_registration_offline_and_both_keep_their_changes() {
    let relay = Arc::new(file_relay().await);
    let shared = relay.clone();
    tokio::task::spawn_blocking(move || {
        let relay = shared;
        let _kiosk = kiosk_with_captures(&relay, 3);
        let anna = enrolled_staff(&relay, "anna");
        let bertil = enrolled_staff(&relay, "bertil");
        for staff in [&anna, &bertil] {
            sync_now(&staff.device, &transport(&relay)).expect("pulls");
        }
        let id = staff_session(&anna).registrations().expect("lists")[0]
            .registration
            .id
            .clone();
        let now = Timestamp::now();
        // Offline, both annotate the same registration.
        let anna_mode = staff_session(&anna);
        anna_mode
            .add_note(&id, "Erfaren migrationshandläggare", now)
            .expect("note");
        anna_mode.rate(&id, Some(5), now).expect("rated");
        anna_mode
            .set_status(&id, RecordStatus::Shortlisted, now)
            .expect("status");
        let bertil_mode = staff_session(&bertil);
        bertil_mode
            .add_note(&id, "Talks about Go and Rust", now)
            .expect("note");
        bertil_mode.rate(&id, Some(3), now).expect("rated");
        assert_eq!(anna.device.unsent_edit_count().expect("count"), 1);

        // Bertil syncs first, then Anna, then Bertil again to pick up Anna's edits.
        let first = sync_now(&bertil.device, &transport(&relay)).expect("syncs");
        assert_eq!(first.edits_stored, 1);
        let second = sync_now(&anna.device, &transport(&relay)).expect("syncs");
        assert_eq!(second.edits_stored, 1);
        assert_eq!(second.pulled, 1, "Anna receives Bertil's edit");
        sync_now(&bertil.device, &transport(&relay)).expect("syncs");

        let anna_view = staff_session(&anna).registration(&id).expect("reads");
        let bertil_view = staff_session(&bertil).registration(&id).expect("reads");
        assert_eq!(anna_view, bertil_view, "both replicas converge");
        let annotations = &anna_view.annotations;
        assert_eq!(annotations.notes.len(), 2, "both notes survive");
        assert_eq!(annotations.ratings.get("anna"), Some(&5));
        assert_eq!(annotations.ratings.get("bertil"), Some(&3));
        assert_eq!(annotations.status, RecordStatus::Shortlisted);
        assert_eq!(anna_view.unsent_changes, 0);

        // The relay's record holds the same.
        let stored = relay
            .store
            .stored_registration(id.as_str())
            .expect("reads")
            .expect("held");
        let (document, _) =
            kiosk_core::documents::RegistrationDocument::load_unattributed(&stored.changes)
                .expect("loads");
        assert_eq!(&document.annotations().expect("reads"), annotations);
        let changes: Vec<_> = relay
            .store
            .access_log_entries(0, 1_000)
            .expect("log")
            .into_iter()
            .filter(|(_, e)| e.action == AccessAction::Change)
            .collect();
        assert_eq!(changes.len(), 2, "each tablet's edit is logged");
    })
    .await
    .expect("test body");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_newly_published_form_reaches_a_kiosk_on_its_next_sync() {
    let relay = Arc::new(file_relay().await);
    let shared = relay.clone();
    tokio::task::spawn_blocking(move || {
        let relay = shared;
        let kiosk = kiosk_with_captures(&relay, 2);
        let old_version = kiosk
            .device
            .event()
            .expect("event")
            .expect("installed")
            .current_version
            .expect("published");
        let mut event = relay
            .store
            .event(&kiosk_core::ids::EventId::parse(kiosk_core::demo::DEMO_EVENT_ID).expect("id"))
            .expect("reads")
            .expect("stored");
        event.venue = "Stockholmsmässan, hall C".into();
        event.draft_form.fields.free_text = kiosk_core::form::FieldRequirement::Optional;
        let new_version = event.publish(Timestamp::now()).expect("publishes");
        assert_ne!(new_version, old_version);
        relay.store.put_event(&event).expect("stored");

        let report = sync_now(&kiosk.device, &transport(&relay)).expect("syncs");
        assert!(report.event_updated);
        let installed = kiosk.device.event().expect("event").expect("installed");
        assert_eq!(installed.current_version, Some(new_version.clone()));
        assert_eq!(installed.venue, "Stockholmsmässan, hall C");
        assert!(
            installed.published_form(&old_version).is_some(),
            "captures keep citing the version they used"
        );
        // A capture on the new form is received; nothing more to fetch next time.
        kiosk_core::generator::capture_generated(&kiosk.device, 1, 3).expect("captured");
        let report = sync_now(&kiosk.device, &transport(&relay)).expect("syncs");
        assert_eq!(report.received, 1);
        assert!(
            !report.event_updated,
            "only changes the kiosk lacks are sent"
        );
    })
    .await
    .expect("test body");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_registration_removed_at_the_relay_is_erased_on_every_tablet_and_not_taken_back() {
    let relay = Arc::new(file_relay().await);
    let shared = relay.clone();
    tokio::task::spawn_blocking(move || {
        let relay = shared;
        let kiosk = kiosk_with_captures(&relay, 3);
        let staff = enrolled_staff(&relay, "anna");
        sync_now(&staff.device, &transport(&relay)).expect("pulls");
        let id = staff_session(&staff).registrations().expect("lists")[0]
            .registration
            .id
            .clone();
        let hr = Accessor::Operator("hr-archivist".into());
        assert_eq!(
            relay
                .store
                .remove_registration(id.as_str(), "withdrawn by the visitor", &hr, now_ms())
                .expect("removes"),
            kiosk_sync_server::storage::RemovalOutcome::Removed
        );

        let kiosk_report = sync_now(&kiosk.device, &transport(&relay)).expect("syncs");
        assert_eq!(kiosk_report.removed, 1);
        assert_eq!(
            kiosk.device.document_state(&id).expect("state"),
            Some(DocumentState::Deleted),
            "the kiosk's sealed copy is erased"
        );
        let staff_report = sync_now(&staff.device, &transport(&relay)).expect("syncs");
        assert_eq!(staff_report.removed, 1);
        assert_eq!(
            staff_session(&staff).registrations().expect("lists").len() as u64,
            open_registrations(3) - 1
        );

        // An edit of the removed registration is refused `removed`, not resurrected.
        assert!(relay.store.removal(id.as_str()).expect("reads").is_some());
        assert!(
            relay
                .store
                .stored_registration(id.as_str())
                .expect("reads")
                .is_none()
        );
        let verdict = relay.store.verify_access_log().expect("verifies");
        assert_eq!(verdict.broken_at, None);
    })
    .await
    .expect("test body");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_locked_out_staff_tablet_keeps_syncing_and_hr_reopens_it_with_a_signed_unlock() {
    let relay = Arc::new(file_relay().await);
    let shared = relay.clone();
    tokio::task::spawn_blocking(move || {
        let relay = shared;
        let kiosk = kiosk_with_captures(&relay, 2);
        let staff = enrolled_staff(&relay, "anna");
        let mut at = Timestamp::now();
        for _ in 0..kiosk_core::staff::MAX_FAILURES {
            let _ = kiosk_core::staff::unlock(&staff.device, "000111", at);
            at = Timestamp(at.millis() + 3_600_000);
        }
        assert!(matches!(
            kiosk_core::staff::unlock(&staff.device, kiosk_tests::STAFF_PIN, at),
            Err(kiosk_core::Error::Pin(
                kiosk_core::staff::PinError::LockedOut
            ))
        ));
        // Locked out, the tablet still syncs: it pulls, and holds no unlock yet.
        let report = sync_now(&staff.device, &transport(&relay)).expect("syncs while locked");
        assert_eq!(report.pulled, open_registrations(2));
        assert!(!report.unlock_received);

        let device_key = staff
            .device
            .device_id()
            .public_key()
            .expect("key")
            .to_bytes();
        let counter = relay
            .store
            .issue_staff_unlock(&device_key, now_ms())
            .expect("issues")
            .expect("a staff tablet");
        assert_eq!(counter, 1);
        let kiosk_key = kiosk
            .device
            .device_id()
            .public_key()
            .expect("key")
            .to_bytes();
        assert_eq!(
            relay
                .store
                .issue_staff_unlock(&kiosk_key, now_ms())
                .expect("reads"),
            None,
            "a kiosk has no staff PIN to unlock"
        );
        let report = sync_now(&staff.device, &transport(&relay)).expect("syncs");
        assert!(report.unlock_received);
        assert_eq!(
            kiosk_core::staff_unlock::pending_unlock(&staff.device).expect("reads"),
            Some(1)
        );
        kiosk_core::staff_unlock::reset_pin_with_unlock(&staff.device, "590317", Timestamp::now())
            .expect("reopens with a new PIN");
        assert!(kiosk_core::staff::unlock(&staff.device, "590317", Timestamp::now()).is_ok());
        // The relay repeats the unlock for a week; the tablet does not take it twice.
        let report = sync_now(&staff.device, &transport(&relay)).expect("syncs");
        assert!(!report.unlock_received);
    })
    .await
    .expect("test body");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_staff_tablet_whose_recruiter_loses_the_event_pulls_nothing_more_and_its_edits_are_refused()
 {
    let relay = Arc::new(file_relay().await);
    let shared = relay.clone();
    tokio::task::spawn_blocking(move || {
        let relay = shared;
        let kiosk = kiosk_with_captures(&relay, 3);
        let staff = enrolled_staff(&relay, "anna");
        let first = sync_now(&staff.device, &transport(&relay)).expect("pulls");
        assert_eq!(first.pulled, open_registrations(3));
        let (anna, _) = relay
            .store
            .hr_user_by_username("anna")
            .expect("reads")
            .expect("the tablet's recruiter is an HR user");
        let id = staff_session(&staff).registrations().expect("lists")[0]
            .registration
            .id
            .clone();

        // Every way the recruiter stops standing stops the tablet at its next sync.
        let operator = kiosk_sync_server::hr::user_access::ChangedBy::Operator("test".into());
        type Take = Box<dyn Fn(&dyn RelayStore, u64)>;
        type Give = Box<dyn Fn(&dyn RelayStore, u64)>;
        let ways: Vec<(&str, Take, Give)> = vec![
            (
                "unassigned",
                Box::new(|store, user| {
                    assert!(
                        store
                            .unassign_hr_event(user, kiosk_core::demo::DEMO_EVENT_ID)
                            .expect("unassigned")
                    );
                }),
                Box::new(|store, user| {
                    assert!(
                        store
                            .assign_hr_event(user, kiosk_core::demo::DEMO_EVENT_ID)
                            .expect("assigned")
                    );
                }),
            ),
            (
                "disabled",
                Box::new({
                    let operator = operator.clone();
                    move |store, user| {
                        kiosk_sync_server::hr::user_access::change_access(
                            store,
                            &operator,
                            user,
                            kiosk_sync_server::hr::user_access::AccessRequest::Disable,
                            None,
                        )
                        .expect("disabled");
                    }
                }),
                Box::new({
                    let operator = operator.clone();
                    move |store, user| {
                        kiosk_sync_server::hr::user_access::change_access(
                            store,
                            &operator,
                            user,
                            kiosk_sync_server::hr::user_access::AccessRequest::Enable,
                            None,
                        )
                        .expect("enabled");
                    }
                }),
            ),
        ];
        for (seed, (how, take, give)) in (20..).zip(ways) {
            take(relay.store.as_ref(), anna.id);
            // New captures arrive; the tablet's note is written offline.
            kiosk_core::generator::capture_generated(&kiosk.device, 2, seed).expect("captured");
            sync_now(&kiosk.device, &transport(&relay)).expect("kiosk syncs");
            staff_session(&staff)
                .add_note(&id, &format!("note while {how}"), Timestamp::now())
                .expect("noted offline");
            let pulls_before = relay
                .store
                .access_log_entries(0, 10_000)
                .expect("log")
                .iter()
                .filter(|(_, e)| e.action == AccessAction::Pull)
                .count();
            let report = sync_now(&staff.device, &transport(&relay)).expect("syncs");
            assert_eq!(report.pulled, 0, "{how}: no registration is sent");
            assert_eq!(report.edits_stored, 0, "{how}: the edit is not taken");
            assert_eq!(
                report.refused,
                [(
                    id.to_string(),
                    kiosk_core::protocol::ErrorCode::NotPermitted
                )],
                "{how}"
            );
            let pulls_after = relay
                .store
                .access_log_entries(0, 10_000)
                .expect("log")
                .iter()
                .filter(|(_, e)| e.action == AccessAction::Pull)
                .count();
            assert_eq!(
                pulls_before, pulls_after,
                "{how}: nothing pulled, nothing logged"
            );
            give(relay.store.as_ref(), anna.id);
        }

        // Standing again, the tablet catches up on what it missed.
        let report = sync_now(&staff.device, &transport(&relay)).expect("syncs");
        assert!(report.pulled > 0);
    })
    .await
    .expect("test body");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_talent_pool_withdrawal_reaches_every_staff_tablet_of_the_event() {
    let relay = Arc::new(file_relay().await);
    let shared = relay.clone();
    tokio::task::spawn_blocking(move || {
        let relay = shared;
        let _kiosk = kiosk_with_captures(&relay, 12);
        let early = enrolled_staff(&relay, "anna");
        sync_now(&early.device, &transport(&relay)).expect("pulls");
        let records = staff_session(&early).registrations().expect("lists");
        let opted_in: Vec<_> = records
            .iter()
            .filter(|r| r.registration.consents.talent_pool.is_some())
            .map(|r| r.registration.id.clone())
            .collect();
        assert!(
            opted_in.len() >= 2,
            "the generated visitors include opt-ins"
        );
        assert!(records.iter().all(|r| !r.talent_pool_withdrawn));
        let id = opted_in[0].clone();

        // The visitor withdraws at the desk; HR records it at once.
        let hr = Accessor::Operator("hr-archivist".into());
        let outcome = relay
            .store
            .withdraw_talent_pool(id.as_str(), &hr, "hr-archivist", now_ms())
            .expect("withdraws");
        assert!(matches!(
            outcome,
            kiosk_sync_server::storage::WithdrawalOutcome::Withdrawn { already: false, .. }
        ));

        // A tablet that holds the copy learns it on its next sync…
        sync_now(&early.device, &transport(&relay)).expect("syncs");
        let session = staff_session(&early);
        let withdrawn = session.registration(&id).expect("still held");
        assert!(
            withdrawn.talent_pool_withdrawn,
            "the copy shows the withdrawal"
        );
        assert!(
            withdrawn.registration.consents.talent_pool.is_some(),
            "the captured opt-in itself is kept as given"
        );
        let others = session.registrations().expect("lists");
        assert_eq!(
            others.iter().filter(|r| r.talent_pool_withdrawn).count(),
            1,
            "only the visitor who withdrew"
        );

        // …and so does one enrolled afterwards, pulling everything from the start.
        let late = enrolled_staff(&relay, "bertil");
        sync_now(&late.device, &transport(&relay)).expect("pulls");
        let late_copy = staff_session(&late).registration(&id).expect("pulled");
        assert!(late_copy.talent_pool_withdrawn);

        // An edit of the copy afterwards keeps the withdrawal.
        staff_session(&early)
            .add_note(
                &id,
                "Vill inte bli kontaktad om andra tjänster.",
                Timestamp::now(),
            )
            .expect("a note");
        sync_now(&early.device, &transport(&relay)).expect("pushes");
        assert!(
            staff_session(&early)
                .registration(&id)
                .expect("held")
                .talent_pool_withdrawn
        );
    })
    .await
    .expect("test body");
}
