//! What the suite's tests build stores from: enrolled tablets, synthetic captures (the
//! store does not read a capture's document, so plain bytes with made-up hashes do), pulls
//! through ingest, and HR users.

use std::cell::Cell;
use std::ops::RangeInclusive;

use kiosk_core::protocol::PushOutcome;
use kiosk_core::protocol::enrollment::EnrolledRole;

use crate::storage::{
    Accessor, EnrollmentGrant, IngestBatch, IngestItem, IngestOutcome, NewHrUser, PullPage,
    PullQuery, PullScope, RelayStore, StorageResult,
};
use crate::storage::{PasswordHash, Role};

/// The event synthetic captures belong to.
pub(crate) const EVENT: &str = "demo-event";

/// The key of the staff tablet [`staff_scope`] pulls for: it pushes nothing.
pub(crate) const STAFF_PULLER: [u8; 32] = [0x55; 32];

/// Enrolls kiosks `0..count` of [`EVENT`] through one code; kiosk `n`'s key is
/// `[n + 1; 32]`.
pub(crate) fn enroll(store: &dyn RelayStore, count: u8) -> Vec<[u8; 32]> {
    let grant = EnrollmentGrant {
        lookup: [0xee; 32],
        answer_secret: [0; 32],
        event_id: EVENT.to_owned(),
        role: EnrolledRole::Kiosk,
        recruiter: None,
        expires_at: i64::MAX,
        max_uses: 1000,
        name: None,
    };
    store.add_enrollment_code(&grant, 0).expect("code");
    (0..count)
        .map(|n| {
            let key = [n + 1; 32];
            store
                .redeem_enrollment_code(
                    &grant.lookup,
                    &key,
                    EnrolledRole::Kiosk,
                    &|_| true,
                    0,
                    1 << 40,
                )
                .expect("storage")
                .expect("enrolled");
            key
        })
        .collect()
}

/// Enrolls the staff tablet `key` of `event` through a code of its own, with no recruiter
/// (the store does not check one; the enrollment route does).
pub(crate) fn enroll_staff(store: &dyn RelayStore, key: [u8; 32], event: &str) {
    let grant = EnrollmentGrant {
        lookup: key,
        answer_secret: [0; 32],
        event_id: event.to_owned(),
        role: EnrolledRole::Staff,
        recruiter: None,
        expires_at: i64::MAX,
        max_uses: 1,
        name: None,
    };
    store.add_enrollment_code(&grant, 0).expect("code");
    store
        .redeem_enrollment_code(&key, &key, EnrolledRole::Staff, &|_| true, 0, 1 << 40)
        .expect("storage")
        .expect("enrolled");
}

pub(crate) fn doc_id(device: &[u8; 32], journal_seq: u64) -> String {
    format!("00000000-0000-4000-8000-{:04x}{journal_seq:08x}", device[0])
}

pub(crate) fn document(device: &[u8; 32], journal_seq: u64) -> Vec<u8> {
    format!("registration {} {journal_seq}", device[0]).into_bytes()
}

pub(crate) fn hashes(device: &[u8; 32], journal_seq: u64) -> Vec<[u8; 32]> {
    let mut hash = [device[0]; 32];
    hash[..8].copy_from_slice(&journal_seq.to_be_bytes());
    vec![hash]
}

/// A batch of `journal.len()` captures, each its own journal entry.
pub(crate) fn batch(device: &[u8; 32], seq: u64, journal: RangeInclusive<u64>) -> IngestBatch {
    IngestBatch {
        device_key: *device,
        seq,
        received_at: 1_000 + seq as i64,
        items: journal
            .map(|j| IngestItem::Store {
                doc_id: doc_id(device, j),
                event_id: EVENT.to_owned(),
                document: document(device, j),
                change_hashes: hashes(device, j),
                capture_signature: vec![7; 64],
                receipt_code: format!("R{}-{j}", device[0]),
                receipt_tag: None,
                restricted: false,
                journal_seq: Some(j),
                listing: None,
            })
            .collect(),
        accessor: Accessor::Device {
            device_key: *device,
            recruiter: None,
        },
        pull: None,
        declared_journal: None,
    }
}

/// What `batch(device, _, journal)` stores, as the outcomes list it.
pub(crate) fn stored(device: &[u8; 32], journal: RangeInclusive<u64>) -> Vec<PushOutcome> {
    journal
        .map(|j| PushOutcome::Stored(hashes(device, j)))
        .collect()
}

pub(crate) fn assert_committed(
    outcome: &StorageResult<IngestOutcome>,
    device: &[u8; 32],
    journal: RangeInclusive<u64>,
) {
    let Ok(IngestOutcome::Committed {
        outcomes: got,
        journal: head,
        ..
    }) = outcome
    else {
        panic!("expected a commit, got {outcome:?}");
    };
    assert_eq!(*got, stored(device, journal.clone()));
    assert_eq!(head.count, *journal.end(), "the chain covers the batch");
}

/// The commit number an ingest took.
pub(crate) fn commit_seq(outcome: &StorageResult<IngestOutcome>) -> u64 {
    match outcome {
        Ok(IngestOutcome::Committed { commit_seq, .. }) => *commit_seq,
        other => panic!("expected a commit, got {other:?}"),
    }
}

/// A staff tablet's scope of [`EVENT`], for [`STAFF_PULLER`], which pushed nothing.
pub(crate) fn staff_scope() -> PullScope {
    PullScope {
        device_key: STAFF_PULLER,
        event_id: EVENT.to_owned(),
        role: EnrolledRole::Staff,
    }
}

/// Device `device`'s first sync request as a staff tablet: no pushes, a pull of its event
/// from the start.
pub(crate) fn staff_pull(device: &[u8; 32]) -> IngestBatch {
    let mut pulling = batch(device, 1, 1..=1);
    pulling.items.clear();
    pulling.pull = Some(PullQuery {
        scope: PullScope {
            device_key: *device,
            ..staff_scope()
        },
        after_seq: 0,
        max_changes: 100,
    });
    pulling
}

pub(crate) fn pulled_ids(page: &PullPage) -> Vec<String> {
    page.documents.iter().map(|d| d.doc_id.clone()).collect()
}

/// Pulls as a tablet does: a sync request of tablet `device` with no pushes, numbered past
/// its last (kept here), the pull read in the request's own commit. Every pull takes a
/// commit number of its own, so a page that reaches the end has its own number as cursor.
pub(crate) struct Puller<'a> {
    store: &'a dyn RelayStore,
    device: [u8; 32],
    seq: Cell<u64>,
}

impl<'a> Puller<'a> {
    /// A puller for the enrolled tablet `device`, whose last accepted request was `last_seq`.
    pub(crate) fn new(store: &'a dyn RelayStore, device: [u8; 32], last_seq: u64) -> Self {
        Puller {
            store,
            device,
            seq: Cell::new(last_seq),
        }
    }

    /// The page `scope` gets after `after_seq`, and the pulling request's commit number.
    pub(crate) fn pull(
        &self,
        scope: &PullScope,
        after_seq: u64,
        max_changes: usize,
    ) -> (PullPage, u64) {
        self.seq.set(self.seq.get() + 1);
        let outcome = self.store.ingest(&IngestBatch {
            device_key: self.device,
            seq: self.seq.get(),
            received_at: 2_000,
            items: Vec::new(),
            accessor: Accessor::Device {
                device_key: self.device,
                recruiter: None,
            },
            pull: Some(PullQuery {
                scope: scope.clone(),
                after_seq,
                max_changes,
            }),
            declared_journal: None,
        });
        match outcome {
            Ok(IngestOutcome::Committed {
                page, commit_seq, ..
            }) => (page, commit_seq),
            other => panic!("expected a pull, got {other:?}"),
        }
    }

    /// The last request number this puller used.
    pub(crate) fn last_seq(&self) -> u64 {
        self.seq.get()
    }
}

/// A password hash no login matches (the store keeps what it is given).
pub(crate) fn password(fill: u8) -> PasswordHash {
    PasswordHash {
        salt: [fill; 16],
        hash: [fill; 32],
        memory_kib: 8,
        passes: 1,
    }
}

pub(crate) fn new_user(username: &str, roles: Vec<Role>, created_by: Option<u64>) -> NewHrUser {
    NewHrUser {
        username: username.into(),
        display_name: format!("User {username}"),
        roles,
        password: password(0),
        must_change_password: true,
        created_by,
    }
}

/// Creates `username` with `roles`, made by `created_by`; returns the new user's id.
pub(crate) fn add_user(
    store: &dyn RelayStore,
    username: &str,
    roles: Vec<Role>,
    created_by: Option<u64>,
) -> u64 {
    store
        .create_hr_user(&new_user(username, roles, created_by), 0)
        .expect("stored")
        .expect("new")
}

pub(crate) fn operator(name: &str) -> Accessor {
    Accessor::Operator(name.into())
}

/// The kiosk [`push_registrations`] captures with (the key `ingest_generated_for_tests`
/// uses too).
pub(crate) fn visitor_kiosk() -> ed25519_dalek::VerifyingKey {
    ed25519_dalek::SigningKey::from_bytes(&[7; 32]).verifying_key()
}

/// `count` generated registrations of the demo event from generator seed `seed`, in
/// capture order (some restricted, some in the talent pool).
pub(crate) fn generated(count: usize, seed: u64) -> Vec<kiosk_core::registration::Registration> {
    let mut generator =
        kiosk_core::generator::RegistrationGenerator::new(kiosk_core::demo::demo_event(), seed);
    (0..count)
        .map(|_| generator.next_registration().expect("valid"))
        .collect()
}

/// Stores `registrations` (real documents) as captures of [`visitor_kiosk`], enrolled on
/// first use, in one sync request numbered after its last.
pub(crate) fn push_registrations(
    store: &dyn RelayStore,
    registrations: &[kiosk_core::registration::Registration],
) {
    let key = visitor_kiosk();
    let last_seq = match store.device(&key.to_bytes()).expect("reads") {
        Some(record) => record.last_seq,
        None => {
            crate::storage::enroll_for_tests(
                store,
                key.to_bytes(),
                kiosk_core::demo::DEMO_EVENT_ID,
                EnrolledRole::Kiosk,
                None,
            );
            0
        }
    };
    let items = registrations
        .iter()
        .map(|registration| crate::storage::capture_for_tests(registration, &key))
        .collect();
    let outcome = crate::storage::ingest_for_tests(store, key.to_bytes(), last_seq + 1, 0, items);
    let IngestOutcome::Committed { outcomes, .. } = outcome else {
        panic!("expected a commit, got {outcome:?}");
    };
    assert!(
        outcomes.iter().all(|o| matches!(o, PushOutcome::Stored(_))),
        "{outcomes:?}"
    );
}
