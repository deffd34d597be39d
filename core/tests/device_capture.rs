//! A kiosk captures offline: what is stored, what is refused, and what a visitor or a
//! recruiter can and cannot see.

use std::path::Path;
use std::sync::Arc;

use kiosk_core::Error;
use kiosk_core::capture::{RelayOpeningKey, receipt_code};
use kiosk_core::demo::{demo_event, demo_form_with_three_interests};
use kiosk_core::device::{DATA_KEY_NAME, Device, DeviceRole};
use kiosk_core::documents::RegistrationDocument;
use kiosk_core::ids::Timestamp;
use kiosk_core::language::Language;
use kiosk_core::secrets::{MemorySecretStore, SecretStore};
use kiosk_core::staff::{self, MAX_FAILURES, PinError};
use kiosk_core::store::{DocumentState, StoreError};
use kiosk_core::validation::{Field, Reason, RegistrationInput};
use kiosk_core::visitor::{IdleState, RESET_AFTER_MS, VisitorSession};

const T0: Timestamp = Timestamp(1_773_310_000_000);

fn at(seconds: i64) -> Timestamp {
    Timestamp(T0.millis() + seconds * 1000)
}

struct Kiosk {
    _dir: tempfile::TempDir,
    device: Arc<Device>,
    relay: RelayOpeningKey,
    secrets: MemorySecretStore,
}

impl Kiosk {
    fn new() -> Kiosk {
        let dir = tempfile::tempdir().expect("tempdir");
        let secrets = MemorySecretStore::default();
        let device = Device::open(
            &dir.path().join("device.sqlite3"),
            &secrets,
            DeviceRole::Kiosk,
        )
        .expect("opens");
        let relay = RelayOpeningKey::generate();
        device
            .pin_relay_key(relay.sealing_key().clone())
            .expect("pins");
        device.install_event(&demo_event(), T0).expect("installs");
        Kiosk {
            _dir: dir,
            device,
            relay,
            secrets,
        }
    }

    fn path(&self) -> &Path {
        self._dir.path()
    }

    fn session(&self) -> VisitorSession {
        VisitorSession::start(Arc::clone(&self.device), T0).expect("starts")
    }
}

fn visitor(given: &str, family: &str, email: &str, phone: &str) -> RegistrationInput {
    RegistrationInput {
        language: Some(Language::Swedish),
        given_name: given.into(),
        family_name: family.into(),
        email: email.into(),
        phone: phone.into(),
        interests: vec!["migration-officer".into(), "databases".into()],
        locations: vec!["norrkoping".into()],
        privacy_notice_acknowledged: true,
        ..RegistrationInput::default()
    }
}

#[test]
fn a_submission_is_sealed_for_the_relay_signed_and_journalled() {
    let kiosk = Kiosk::new();
    let mut session = kiosk.session();
    session
        .update(
            visitor("Åsa", "Lindqvist", "asa@example.se", "070-123 45 67"),
            at(1),
        )
        .expect("updates");
    let receipt = session.submit(at(2)).expect("captured");
    assert!(receipt_code::normalize(&receipt.hr_receipt_code).is_some());
    // Pinned without enrolling: the tablet knows no relay address to make a page address of.
    assert_eq!(receipt.page_address, None);

    let stored = kiosk.device.unreceipted(10).expect("lists");
    assert_eq!(stored.len(), 1);
    let (doc_id, sealed) = &stored[0];
    assert_eq!(doc_id, &receipt.registration_id);
    let payload = kiosk
        .relay
        .open(sealed)
        .expect("the relay opens it and the signature verifies")
        .payload;
    // The relay learns HR's code by opening the seal, and the receipt secret's hash only.
    assert_eq!(payload.receipt_code, receipt.hr_receipt_code);
    assert_eq!(payload.receipt_hash, Some(receipt.secret.hash()));
    assert_eq!(payload.device_id, kiosk.device.device_id());
    let document = RegistrationDocument::load(
        &payload.document,
        &kiosk.device.device_id().public_key().expect("key"),
    )
    .expect("loads");
    let registration = document.read().expect("reads");
    assert_eq!(registration.person.phone.as_deref(), Some("+46701234567"));
    assert_eq!(
        registration.form_version,
        demo_event().current_version.expect("published")
    );

    let head = kiosk.device.verify_journal().expect("chain verifies");
    assert_eq!(head.count, 1);
    assert_eq!(
        kiosk.device.journal_entries().expect("entries")[0].change_hashes,
        payload.change_hashes
    );
    assert!(
        RelayOpeningKey::generate().open(sealed).is_err(),
        "no other key opens it"
    );
}

/// Every file under `dir` (the store, its WAL and journal files), with its bytes.
fn files_under(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut files = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(folder) = pending.pop() {
        for entry in std::fs::read_dir(&folder).expect("readable folder") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                pending.push(path);
            } else {
                files.push((
                    path.display().to_string(),
                    std::fs::read(&path).expect("readable"),
                ));
            }
        }
    }
    files
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

#[test]
fn a_receipt_carries_its_page_address_and_is_never_stored() {
    let kiosk = Kiosk::new();
    kiosk
        .device
        .set_relay_address("https://relay.example.se/")
        .expect("a usable address");
    let mut receipts = Vec::new();
    for (i, name) in ["Åsa", "Bo", "Cecilia"].iter().enumerate() {
        let mut session = kiosk.session();
        let email = format!("v{i}@example.se");
        session
            .update(visitor(name, "Lindqvist", &email, ""), at(1))
            .expect("updates");
        receipts.push(session.submit(at(2)).expect("captured"));
    }
    for receipt in &receipts {
        let code = receipt.code();
        assert_eq!(
            kiosk_core::receipt::ReceiptSecret::parse(&code).as_ref(),
            Some(&receipt.secret)
        );
        assert_eq!(
            receipt.page_address.as_deref(),
            Some(
                receipt
                    .secret
                    .page_address("https://relay.example.se")
                    .as_str()
            )
        );
        // Printed into a log, a receipt shows nothing of its code.
        let printed = format!("{receipt:?}");
        assert!(
            !printed.contains(&receipt.secret.compact_code()),
            "{printed}"
        );
    }
    // Nothing on the tablet's disk holds a secret, its code in any spelling, or its hash.
    let disk = files_under(kiosk.path());
    assert!(
        disk.iter().any(|(name, _)| name.ends_with("-wal")),
        "the WAL is read too"
    );
    for receipt in &receipts {
        let code = receipt.code();
        let compact = receipt.secret.compact_code();
        let needles: [&[u8]; 6] = [
            receipt.secret.as_bytes(),
            &receipt.secret.hash(),
            code.as_bytes(),
            compact.as_bytes(),
            &compact.to_lowercase().into_bytes(),
            &code.to_lowercase().into_bytes(),
        ];
        for (name, bytes) in &disk {
            for needle in needles {
                assert!(!contains(bytes, needle), "{name} holds a receipt");
            }
        }
    }
}

#[test]
fn an_unusable_relay_address_is_refused_and_the_kept_one_stays() {
    let kiosk = Kiosk::new();
    kiosk
        .device
        .set_relay_address("https://relay.example.se")
        .expect("usable");
    for bad in [
        "relay.example.se",
        "ftp://relay.example.se",
        "https://",
        "https:///kvitto",
        "https://relay.example.se/?next=1",
        "https://relay.example.se/#x",
        "https://relay example.se",
        "https://relay.example.se/\u{0}",
        &format!("https://{}", "a".repeat(2_048)),
    ] {
        assert!(
            matches!(
                kiosk.device.set_relay_address(bad),
                Err(Error::InvalidRelayAddress)
            ),
            "{bad:?}"
        );
    }
    assert_eq!(
        kiosk.device.relay_address().expect("reads").as_deref(),
        Some("https://relay.example.se")
    );
    kiosk
        .device
        .set_relay_address("http://127.0.0.1:8700/relay")
        .expect("a loopback address with a path");

    // The address is kept in the store: the next receipt after a restart carries it.
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("device.sqlite3");
    let secrets = MemorySecretStore::default();
    let device = Device::open(&path, &secrets, DeviceRole::Kiosk).expect("opens");
    device
        .set_relay_address("https://relay.example.se")
        .expect("usable");
    drop(device);
    let device = Device::open(&path, &secrets, DeviceRole::Kiosk).expect("reopens");
    assert_eq!(
        device.relay_address().expect("reads").as_deref(),
        Some("https://relay.example.se")
    );
}

#[test]
fn an_invalid_field_is_named_and_nothing_is_stored() {
    let kiosk = Kiosk::new();
    let mut session = kiosk.session();
    let before = kiosk.device.journal_head().expect("head");
    let mut input = visitor("Åsa", "Lindqvist", "asa@", "070-123 45 67");
    input.interests = vec!["astronaut".into()];
    session.update(input.clone(), at(1)).expect("updates");
    let Err(Error::Invalid(errors)) = session.submit(at(2)) else {
        panic!("the submission must be refused");
    };
    assert_eq!(errors.fields(), [Field::Email, Field::Interests]);
    assert_eq!(
        errors.for_field(Field::Email).map(|e| e.reason),
        Some(Reason::InvalidEmail)
    );
    assert_eq!(kiosk.device.journal_head().expect("head"), before);
    assert_eq!(kiosk.device.state_counts().expect("counts").captured, 0);

    // The visitor corrects the form and submits again.
    input.email = "asa@example.se".into();
    input.interests = vec!["law".into()];
    session.update(input, at(3)).expect("updates");
    session.submit(at(4)).expect("captured");
    assert_eq!(kiosk.device.journal_head().expect("head").count, 1);
}

#[test]
fn capture_is_refused_until_a_relay_key_is_pinned_and_an_event_installed() {
    let dir = tempfile::tempdir().expect("tempdir");
    let secrets = MemorySecretStore::default();
    let device =
        Device::open(&dir.path().join("d.sqlite3"), &secrets, DeviceRole::Kiosk).expect("opens");
    assert!(matches!(
        VisitorSession::start(Arc::clone(&device), T0),
        Err(Error::NoRelayKey)
    ));
    device
        .pin_relay_key(RelayOpeningKey::generate().sealing_key().clone())
        .expect("pins");
    assert!(matches!(
        VisitorSession::start(Arc::clone(&device), T0),
        Err(Error::NoEvent)
    ));
    device.install_event(&demo_event(), T0).expect("installs");
    assert!(VisitorSession::start(device, T0).is_ok());
}

#[test]
fn the_store_and_its_wal_hold_none_of_the_visitors_strings() {
    let kiosk = Kiosk::new();
    let visitors = [
        (
            "Xylofonia",
            "Quackenbush-Åberg",
            "xylofonia.q@example.se",
            "070-987 65 43",
        ),
        (
            "Øyvindur",
            "Zwirnmeister",
            "zwirn@mail.example.com",
            "+47 412 34 567",
        ),
        (
            "محمدرضا",
            "Farahzadi",
            "farahzadi77@example.org",
            "0046 73 555 12 34",
        ),
    ];
    let mut session = kiosk.session();
    for (i, (given, family, email, phone)) in visitors.iter().enumerate() {
        session
            .update(visitor(given, family, email, phone), at(i as i64))
            .expect("updates");
        session.submit(at(i as i64)).expect("captured");
    }
    let mut needles: Vec<String> = Vec::new();
    for (given, family, email, phone) in visitors {
        needles.extend([given.into(), family.into(), email.into(), phone.into()]);
    }
    needles.extend([
        "+46739876543".into(),
        "+4741234567".into(),
        "+46735551234".into(),
        "739876543".into(),
    ]);
    let files: Vec<Vec<u8>> = ["device.sqlite3", "device.sqlite3-wal"]
        .iter()
        .map(|name| std::fs::read(kiosk.path().join(name)).unwrap_or_default())
        .collect();
    assert!(files[1].len() > 4096, "the WAL holds the recent commits");
    for needle in &needles {
        for file in &files {
            assert!(
                !file.windows(needle.len()).any(|w| w == needle.as_bytes()),
                "a visitor's string reached the store"
            );
        }
    }
}

#[test]
fn the_data_key_guards_the_store_and_damaged_files_get_their_own_errors() {
    let kiosk = Kiosk::new();
    let dir = kiosk.path().to_owned();
    let path = dir.join("device.sqlite3");
    let device_id = kiosk.device.device_id();
    drop(kiosk.device);

    let reopened = Device::open(&path, &kiosk.secrets, DeviceRole::Kiosk).expect("reopens");
    assert_eq!(
        reopened.device_id(),
        device_id,
        "the identity survives a restart"
    );
    drop(reopened);

    let wrong = MemorySecretStore::default();
    wrong.store(DATA_KEY_NAME, &[9; 32]).expect("stores");
    assert!(matches!(
        Device::open(&path, &wrong, DeviceRole::Kiosk),
        Err(Error::WrongDataKey)
    ));
    let empty = MemorySecretStore::default();
    assert!(matches!(
        Device::open(&path, &empty, DeviceRole::Kiosk),
        Err(Error::DataKeyMissing)
    ));

    let junk = dir.join("junk.sqlite3");
    std::fs::write(&junk, b"PK\x03\x04 this is a zip file, not a device store").expect("writes");
    assert!(matches!(
        Device::open(&junk, &kiosk.secrets, DeviceRole::Kiosk),
        Err(Error::Store(StoreError::NotSqlite { .. }))
    ));
    let bytes = std::fs::read(&path).expect("readable");
    let truncated = dir.join("truncated.sqlite3");
    std::fs::write(&truncated, &bytes[..bytes.len() - 100]).expect("writes");
    assert!(matches!(
        Device::open(&truncated, &kiosk.secrets, DeviceRole::Kiosk),
        Err(Error::Store(StoreError::Truncated { .. }))
    ));
}

#[test]
fn a_session_captures_against_the_form_it_showed_and_the_next_gets_the_new_one() {
    let kiosk = Kiosk::new();
    let mut session = kiosk.session();
    let shown = session.form().version.clone();

    let mut revised = demo_event();
    revised.draft_form = demo_form_with_three_interests();
    let new_version = revised.publish(at(5)).expect("publishes");
    kiosk
        .device
        .install_event(&revised, at(5))
        .expect("installs");

    let mut four_interests = visitor("Lars", "Ek", "lars@example.se", "");
    four_interests.interests = ["hr", "law", "analysis", "databases"]
        .map(String::from)
        .to_vec();
    session
        .update(four_interests.clone(), at(6))
        .expect("updates");
    session.submit(at(7)).expect("the form shown allowed five");
    let cited = kiosk.device.unreceipted(1).expect("lists");
    let payload = kiosk.relay.open(&cited[0].1).expect("opens").payload;
    let key = kiosk.device.device_id().public_key().expect("key");
    let registration = RegistrationDocument::load(&payload.document, &key)
        .expect("loads")
        .read()
        .expect("reads");
    assert_eq!(registration.form_version, shown);

    assert_eq!(
        session.form().version,
        new_version,
        "after submit the next visitor gets the new form"
    );
    session.update(four_interests, at(8)).expect("updates");
    let Err(Error::Invalid(errors)) = session.submit(at(9)) else {
        panic!("the new form allows three");
    };
    assert_eq!(
        errors.for_field(Field::Interests).map(|e| e.reason),
        Some(Reason::TooManyChoices { max: 3 })
    );
}

#[test]
fn an_idle_session_asks_then_expires_and_wipes_the_draft() {
    let kiosk = Kiosk::new();
    let mut session = kiosk.session();
    session
        .update(visitor("Karin", "Berg", "karin@example.se", ""), at(0))
        .expect("updates");
    assert_eq!(session.idle_state(at(30)), IdleState::Active);
    assert_eq!(session.idle_state(at(60)), IdleState::AskStillThere);
    session.still_here(at(70)).expect("still here");
    assert_eq!(session.idle_state(at(100)), IdleState::Active);
    let expired = Timestamp(at(70).millis() + RESET_AFTER_MS);
    assert_eq!(session.idle_state(expired), IdleState::Expired);
    assert!(matches!(
        session.submit(expired),
        Err(Error::SessionExpired)
    ));
    // The expired draft is gone: submitting now submits an empty form.
    let Err(Error::Invalid(errors)) = session.submit(expired) else {
        panic!("an empty form is refused");
    };
    assert!(errors.fields().contains(&Field::GivenName));
    assert_eq!(kiosk.device.state_counts().expect("counts").captured, 0);
}

#[test]
fn staff_mode_needs_the_pin_slows_down_after_failures_and_locks_out_after_ten() {
    let kiosk = Kiosk::new();
    assert!(matches!(
        staff::set_initial_pin(&kiosk.device, "123456"),
        Err(Error::Pin(PinError::InvalidFormat))
    ));
    assert!(matches!(
        staff::set_initial_pin(&kiosk.device, "1234"),
        Err(Error::Pin(PinError::InvalidFormat))
    ));
    staff::set_initial_pin(&kiosk.device, "482913").expect("sets");
    assert!(matches!(
        staff::set_initial_pin(&kiosk.device, "552913"),
        Err(Error::Pin(PinError::AlreadySet))
    ));
    staff::unlock(&kiosk.device, "482913", at(0)).expect("right PIN opens");

    let mut now = at(1);
    for failure in 1..MAX_FAILURES {
        let result = staff::unlock(&kiosk.device, "000111", now);
        let Err(Error::Pin(PinError::Wrong {
            attempts_left,
            retry_after_secs,
        })) = result
        else {
            panic!("wrong PIN {failure} must be refused");
        };
        assert_eq!(attempts_left, MAX_FAILURES - failure);
        assert_eq!(retry_after_secs, staff::delay_after(failure));
        if retry_after_secs > 0 {
            let too_soon = staff::unlock(&kiosk.device, "482913", now);
            assert!(
                matches!(too_soon, Err(Error::Pin(PinError::TooSoon { .. }))),
                "even the right PIN waits"
            );
        }
        now = Timestamp(now.millis() + retry_after_secs as i64 * 1000);
    }
    // Reopening the app does not reset the count.
    let path = kiosk.path().join("device.sqlite3");
    let reopened = Device::open(&path, &kiosk.secrets, DeviceRole::Kiosk).expect("reopens");
    assert!(matches!(
        staff::unlock(&reopened, "000111", now),
        Err(Error::Pin(PinError::LockedOut))
    ));
    let far_later = Timestamp(now.millis() + 86_400_000);
    assert!(matches!(
        staff::unlock(&reopened, "482913", far_later),
        Err(Error::Pin(PinError::LockedOut))
    ));
}

#[test]
fn staff_see_counts_and_the_journal_and_when_the_tablet_is_safe_to_hand_back() {
    let kiosk = Kiosk::new();
    staff::set_initial_pin(&kiosk.device, "482913").expect("sets");
    let staff_session = staff::unlock(&kiosk.device, "482913", T0).expect("opens");
    assert!(
        staff_session
            .overview()
            .expect("overview")
            .safe_to_hand_back,
        "an empty tablet is safe"
    );

    let mut session = kiosk.session();
    let mut ids = Vec::new();
    for i in 0..3 {
        session
            .update(visitor("Erik", "Strand", "erik@example.se", ""), at(i))
            .expect("updates");
        ids.push(session.submit(at(i)).expect("captured").registration_id);
    }
    let overview = staff_session.overview().expect("overview");
    assert_eq!(
        (overview.captured, overview.sent, overview.received),
        (3, 0, 0)
    );
    assert!(!overview.safe_to_hand_back);
    assert_eq!(overview.journal, kiosk.device.journal_head().expect("head"));

    kiosk
        .device
        .set_document_states(&ids, DocumentState::Sent, at(10))
        .expect("sent");
    kiosk
        .device
        .set_document_states(&ids[..2], DocumentState::Received, at(11))
        .expect("received");
    let overview = staff_session.overview().expect("overview");
    assert_eq!(
        (overview.captured, overview.sent, overview.received),
        (3, 3, 2)
    );
    assert!(!overview.safe_to_hand_back);
    kiosk
        .device
        .set_document_states(&ids[2..], DocumentState::Received, at(12))
        .expect("received");
    kiosk
        .device
        .set_document_states(&ids[..1], DocumentState::Deleted, at(13))
        .expect("erased");
    let overview = staff_session.overview().expect("overview");
    assert_eq!(
        (overview.captured, overview.sent, overview.received),
        (3, 3, 3)
    );
    assert!(overview.safe_to_hand_back);
    assert_eq!(staff_session.verify_journal().expect("verifies").count, 3);
}

#[test]
fn parallel_wrong_pins_each_count_and_a_clock_set_back_waits_one_step_at_most() {
    let kiosk = Kiosk::new();
    staff::set_initial_pin(&kiosk.device, "482913").expect("sets");
    let threads: Vec<_> = (0..4)
        .map(|_| {
            let device = Arc::clone(&kiosk.device);
            std::thread::spawn(move || staff::unlock(&device, "000111", at(0)).is_err())
        })
        .collect();
    for thread in threads {
        assert!(thread.join().expect("joins"));
    }
    // Four attempts at the same instant: the first three count, the fourth must wait.
    let Err(Error::Pin(PinError::TooSoon { retry_after_secs })) =
        staff::unlock(&kiosk.device, "482913", at(0))
    else {
        panic!("the attempts must have counted");
    };
    assert_eq!(retry_after_secs, staff::delay_after(3));

    // The clock jumps a day back: the wait is one step, not a day.
    let yesterday = at(-86_400);
    let Err(Error::Pin(PinError::TooSoon { retry_after_secs })) =
        staff::unlock(&kiosk.device, "482913", yesterday)
    else {
        panic!("still waiting");
    };
    assert!(retry_after_secs <= staff::delay_after(3));
    let later = Timestamp(yesterday.millis() + retry_after_secs as i64 * 1000);
    staff::unlock(&kiosk.device, "482913", later).expect("the right PIN opens after one step");
    staff::unlock(&kiosk.device, "482913", later).expect("and the count was cleared");
}

#[test]
fn received_copies_no_backup_covers_are_erased_only_after_the_event_and_its_grace_period() {
    let kiosk = Kiosk::new();
    let receipts =
        kiosk_core::generator::capture_generated(&kiosk.device, 3, 11).expect("captures");
    let ids: Vec<_> = receipts.iter().map(|r| r.registration_id.clone()).collect();
    let end = demo_event().ends_on.expect("the demo fair ends").end();
    assert_eq!(
        kiosk.device.erase_copies_after_event(end).expect("checks"),
        0,
        "nothing received yet"
    );
    kiosk
        .device
        .set_document_states(&ids[..2], DocumentState::Received, end)
        .expect("received");
    let grace_over = Timestamp(end.millis() + kiosk_core::device::SEALED_COPY_GRACE_MS);
    assert_eq!(
        kiosk
            .device
            .erase_copies_after_event(Timestamp(grace_over.millis() - 1))
            .expect("checks"),
        0,
        "kept through the grace period"
    );
    assert_eq!(
        kiosk
            .device
            .erase_copies_after_event(grace_over)
            .expect("erases"),
        2,
        "received copies erased; the unreceived one is kept"
    );
    let counts = kiosk.device.state_counts().expect("counts");
    assert_eq!((counts.deleted, counts.captured), (2, 1));
}
