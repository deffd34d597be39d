//! A device played byte by byte sends the relay forged, garbage and over-permissive
//! requests. Each gets its documented code or quarantine, and the relay's store shows
//! nothing else changed.

use ed25519_dalek::SigningKey;
use kiosk_core::annotations::RecordStatus;
use kiosk_core::capture::{RelayOpeningKey, RelaySealingKey, sign_and_seal};
use kiosk_core::documents::RegistrationDocument;
use kiosk_core::generator::RegistrationGenerator;
use kiosk_core::identity::DeviceIdentity;
use kiosk_core::ids::{DeviceId, Timestamp};
use kiosk_core::protocol::enrollment::{EnrollRequest, EnrollResponse, EnrolledRole};
use kiosk_core::protocol::{
    ErrorCode, JournalState, PROTOCOL_VERSION, PUSH_TAG, PullRequest, Push, PushBody, PushOutcome,
    SignedEnvelope, SyncRequest, SyncResponse,
};
use kiosk_core::registration::Registration;
use kiosk_core::sync::{HttpTransport, Transport, TransportError};
use kiosk_sync_server::enrollment::create_code;
use kiosk_sync_server::now_ms;
use kiosk_sync_server::storage::{RelayCounts, RelayStore};
use kiosk_tests::{FileRelay, file_relay};

/// A device whose every byte the test controls.
struct RawDevice {
    identity: DeviceIdentity,
    key: SigningKey,
    sealing: RelaySealingKey,
    seq: u64,
}

impl RawDevice {
    fn id(&self) -> [u8; 32] {
        self.key.verifying_key().to_bytes()
    }

    /// A valid registration captured by this device, as a saved document.
    fn registration(&self, seed: u64) -> Registration {
        let mut registration = RegistrationGenerator::new(kiosk_core::demo::demo_event(), seed)
            .next_registration()
            .expect("valid");
        registration.capturing_device = DeviceId::from_public_key(&self.key.verifying_key());
        registration
    }

    fn seal(&self, registration: &Registration, author: &SigningKey) -> Vec<u8> {
        let mut document = RegistrationDocument::create(
            registration,
            &author.verifying_key(),
            registration.captured_at,
        )
        .expect("document");
        let hashes = document.change_hashes();
        sign_and_seal(
            &self.identity,
            &self.sealing,
            &registration.id,
            document.save_changes(),
            &hashes,
        )
        .expect("seals")
    }

    fn request(&mut self, pushes: Vec<Push>) -> SyncRequest {
        self.seq += 1;
        SyncRequest {
            version: PROTOCOL_VERSION,
            device_id: self.id(),
            seq: self.seq,
            sent_at: now_ms(),
            journal: JournalState {
                count: 0,
                head: [0; 32],
            },
            pushes,
            pull: PullRequest {
                event_id: kiosk_core::demo::DEMO_EVENT_ID.into(),
                event_heads: Vec::new(),
                registrations: false,
                cursor: None,
            },
            // A key this relay does not hold: answered with its current key.
            relay_key: [0; 32],
            log_size: 0,
            log_features: Vec::new(),
            log_witnesses: Vec::new(),
        }
    }

    fn signed(&self, request: &SyncRequest) -> Vec<u8> {
        SignedEnvelope::sign(PUSH_TAG, request, &self.key).to_bytes()
    }
}

fn push(registration: &Registration, sealed: Vec<u8>) -> Push {
    Push {
        doc_id: registration.id.to_string(),
        journal_seq: None,
        body: PushBody::Sealed(sealed),
    }
}

fn enroll_raw(transport: &HttpTransport, store: &dyn RelayStore, seed: u8) -> RawDevice {
    enroll_raw_as(transport, store, seed, EnrolledRole::Kiosk)
}

fn enroll_raw_as(
    transport: &HttpTransport,
    store: &dyn RelayStore,
    seed: u8,
    role: EnrolledRole,
) -> RawDevice {
    let now = now_ms();
    // A staff tablet is bound to a recruiter assigned to the event.
    let recruiter = (role == EnrolledRole::Staff).then(|| {
        kiosk_sync_server::hr::recruiter_for_tests(store, "anna", kiosk_core::demo::DEMO_EVENT_ID);
        "anna".to_owned()
    });
    let code = create_code(
        store,
        kiosk_core::demo::DEMO_EVENT_ID,
        role,
        recruiter,
        1,
        now + 60_000,
        now,
    )
    .expect("code");
    let key = SigningKey::from_bytes(&[seed; 32]);
    let request = EnrollRequest::new(&code, &key, role);
    let answer = transport
        .post("/v1/enroll", kiosk_core::cbor::to_vec(&request))
        .expect("enrolls");
    let response: EnrollResponse = ciborium::from_reader(answer.as_slice()).expect("response");
    let (answer, _) = response
        .open(&code, &key.verifying_key().to_bytes())
        .expect("authentic");
    RawDevice {
        identity: DeviceIdentity::from_signing_key(key.clone()),
        key,
        sealing: answer.relay_sealing_key,
        seq: 0,
    }
}

fn response(bytes: &[u8]) -> SyncResponse {
    SignedEnvelope::from_bytes(bytes)
        .expect("envelope")
        .decode()
        .expect("response")
}

/// Sends only the head of a POST declaring `length` body bytes and reads the status code.
fn status_for_declared_length(url: &str, length: usize) -> u16 {
    use std::io::{Read, Write};
    let address = url.trim_start_matches("http://");
    let mut stream = std::net::TcpStream::connect(address).expect("connects");
    write!(
        stream,
        "POST /v1/sync HTTP/1.1\r\nHost: {address}\r\nContent-Type: application/cbor\r\nContent-Length: {length}\r\n\r\n"
    )
    .expect("sends head");
    let mut head = [0u8; 12];
    stream.read_exact(&mut head).expect("reads status line");
    std::str::from_utf8(&head[9..12])
        .expect("ascii")
        .parse()
        .expect("status code")
}

fn refused(result: Result<Vec<u8>, TransportError>) -> (u16, String) {
    match result {
        Err(TransportError::Refused { status, code }) => (status, code),
        Err(other) => panic!("expected a refusal, got {other}"),
        Ok(_) => panic!("expected a refusal, got an answer"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forged_garbage_and_impermissible_requests_get_their_codes_and_change_nothing_else() {
    let FileRelay {
        dir: _dir,
        store,
        server,
        ..
    } = file_relay().await;
    let url = server.url();
    tokio::task::spawn_blocking(move || {
        let http = HttpTransport::new(&url);
        let mut device = enroll_raw(&http, store.as_ref(), 1);
        let other = enroll_raw(&http, store.as_ref(), 2);
        let nothing_changed =
            |expected: RelayCounts| assert_eq!(store.counts().expect("counts"), expected);
        let baseline = store.counts().expect("counts");

        // Garbage, truncated, wrong shape.
        assert_eq!(
            refused(http.post("/v1/sync", b"\xff\x00garbage".to_vec())),
            (400, "malformed".into())
        );
        let good = device.registration(1);
        let sealed = device.seal(&good, &device.key);
        let request = device.request(vec![push(&good, sealed.clone())]);
        let bytes = device.signed(&request);
        assert_eq!(
            refused(http.post("/v1/sync", bytes[..bytes.len() / 2].to_vec())),
            (400, "malformed".into())
        );
        nothing_changed(baseline);

        // A forged signature; a request signed by another enrolled device claiming this one;
        // an unknown device; an old protocol version.
        let mut forged = SignedEnvelope::from_bytes(&bytes).expect("envelope");
        forged.signature[5] ^= 1;
        assert_eq!(
            refused(http.post("/v1/sync", forged.to_bytes())),
            (401, "bad_signature".into())
        );
        let impersonation = SignedEnvelope::sign(PUSH_TAG, &request, &other.key).to_bytes();
        assert_eq!(
            refused(http.post("/v1/sync", impersonation)),
            (403, "device_mismatch".into())
        );
        let stranger = SigningKey::from_bytes(&[9; 32]);
        let mut strange = request.clone();
        strange.device_id = stranger.verifying_key().to_bytes();
        let unknown = SignedEnvelope::sign(PUSH_TAG, &strange, &stranger).to_bytes();
        assert_eq!(
            refused(http.post("/v1/sync", unknown)),
            (401, "unknown_device".into())
        );
        let mut old = request.clone();
        old.version = 0;
        assert_eq!(
            refused(http.post("/v1/sync", device.signed(&old))),
            (400, "unsupported_version".into())
        );
        // An oversized body is refused from its declared length, before it is read.
        assert_eq!(
            status_for_declared_length(&url, kiosk_sync_server::SYNC_BODY_LIMIT + 1),
            413
        );
        nothing_changed(baseline);

        // Per-document refusals inside a valid request: a seal for an unknown key id, a
        // capture signed by another device for this device's document, garbage Automerge
        // bytes inside a genuine seal.
        let unknown_key = RelayOpeningKey::generate();
        let to_stranger = RawDevice {
            identity: DeviceIdentity::from_signing_key(device.key.clone()),
            key: device.key.clone(),
            sealing: unknown_key.sealing_key().clone(),
            seq: 0,
        }
        .seal(&device.registration(2), &device.key);
        let second = device.registration(2);
        let forged_capture = other.seal(&device.registration(3), &device.key);
        let third = device.registration(3);
        let garbage_doc = sign_and_seal(
            &device.identity,
            &device.sealing,
            &device.registration(4).id,
            b"not automerge".to_vec(),
            &[],
        )
        .expect("seals");
        let fourth = device.registration(4);
        let oversized = vec![0; kiosk_sync_server::ingest::MAX_SEALED_CAPTURE + 1];
        let request = device.request(vec![
            push(&second, to_stranger),
            push(&third, forged_capture),
            push(&fourth, garbage_doc),
            push(&device.registration(8), oversized),
        ]);
        let answer = response(
            &http
                .post("/v1/sync", device.signed(&request))
                .expect("answers"),
        );
        let codes = answer.rejected_codes();
        assert_eq!(
            codes,
            [
                ErrorCode::SealUnreadable,
                ErrorCode::BadCaptureSignature,
                ErrorCode::BadCaptureSignature,
                ErrorCode::TooLarge
            ]
        );
        assert_eq!(answer.outcomes.len(), 4, "one outcome per push");
        nothing_changed(baseline);

        // Authentic captures that fail later checks go to quarantine: changes by another
        // actor, a registration off the form, a second change to an existing registration.
        let foreign = device.registration(5);
        let by_other_actor = device.seal(&foreign, &other.key);
        let mut off_form = device.registration(6);
        off_form.interests.push("astronaut".into());
        let off_form_sealed = device.seal(&off_form, &device.key);
        let request = device.request(vec![
            push(&good, sealed.clone()),
            push(&foreign, by_other_actor),
            push(&off_form, off_form_sealed),
        ]);
        let answer = response(
            &http
                .post("/v1/sync", device.signed(&request))
                .expect("answers"),
        );
        assert!(
            matches!(&answer.outcomes[0], PushOutcome::Stored(_)),
            "the good one is stored, and answered first"
        );
        let codes = answer.quarantined_codes();
        assert_eq!(
            codes,
            [ErrorCode::ForeignActor, ErrorCode::InvalidRegistration]
        );

        let mut edited = RegistrationDocument::load(
            &store
                .registration_document(good.id.as_str())
                .expect("reads")
                .expect("stored"),
            &device.key.verifying_key(),
        )
        .expect("loads");
        let mut changed = edited.read().expect("reads");
        changed.person.given_name = "Someone Else".into();
        edited.write(&changed, changed.captured_at).expect("writes");
        let hashes = edited.change_hashes();
        let resealed = sign_and_seal(
            &device.identity,
            &device.sealing,
            &good.id,
            edited.save_changes(),
            &hashes,
        )
        .expect("seals");
        let request = device.request(vec![push(&good, resealed)]);
        let answer = response(
            &http
                .post("/v1/sync", device.signed(&request))
                .expect("answers"),
        );
        assert_eq!(answer.quarantined_codes(), [ErrorCode::NotPermitted]);
        let counts = store.counts().expect("counts");
        assert_eq!(
            (counts.registrations, counts.quarantined),
            (baseline.registrations + 1, baseline.quarantined + 3)
        );
        // The same conflicting push again adds no second copy.
        let again = device.request(request.pushes.clone());
        let answer = response(
            &http
                .post("/v1/sync", device.signed(&again))
                .expect("answers"),
        );
        assert_eq!(answer.quarantined_codes().len(), 1);
        assert_eq!(
            store.counts().expect("counts").quarantined,
            baseline.quarantined + 3
        );
        let stored = RegistrationDocument::load(
            &store
                .registration_document(good.id.as_str())
                .expect("reads")
                .expect("stored"),
            &device.key.verifying_key(),
        )
        .expect("loads")
        .read()
        .expect("reads");
        assert_eq!(
            stored.person.given_name, good.person.given_name,
            "person fields never change"
        );

        // A staff tablet does not create registrations.
        let mut staff = enroll_raw_as(&http, store.as_ref(), 7, EnrolledRole::Staff);
        let by_staff = staff.registration(9);
        let sealed_by_staff = staff.seal(&by_staff, &staff.key);
        let request_by_staff = staff.request(vec![push(&by_staff, sealed_by_staff)]);
        let answer = response(
            &http
                .post("/v1/sync", staff.signed(&request_by_staff))
                .expect("answers"),
        );
        assert_eq!(answer.quarantined_codes(), [ErrorCode::NotPermitted]);
        assert_eq!(answer.stored_count(), 0);

        // A replayed (stale) request is answered with the last accepted sequence number.
        let replay = device.signed(&request);
        let answer = response(&http.post("/v1/sync", replay).expect("answers"));
        assert_eq!(answer.refused, Some(ErrorCode::StaleSeq));
        assert_eq!(answer.last_accepted_seq, Some(device.seq));
    })
    .await
    .expect("device thread");
    server.stop().await.expect("stops");
}

impl RawDevice {
    /// A request that pulls what a staff tablet may.
    fn staff_request(&mut self, pushes: Vec<Push>) -> SyncRequest {
        let mut request = self.request(pushes);
        request.pull.registrations = true;
        request
    }

    /// This device's changes of a stored registration, made by `edit` on its own copy.
    fn edit(
        &self,
        store: &dyn RelayStore,
        doc_id: &str,
        edit: impl FnOnce(&mut RegistrationDocument),
    ) -> Push {
        let stored = store
            .stored_registration(doc_id)
            .expect("reads")
            .expect("held");
        let mut copy =
            RegistrationDocument::load_chunks(&stored.changes, &self.key.verifying_key())
                .expect("loads");
        let before = copy.head_bytes();
        edit(&mut copy);
        let new = copy.changes_since(&before);
        assert!(!new.is_empty(), "the edit made a change");
        Push {
            doc_id: doc_id.to_owned(),
            journal_seq: None,
            body: PushBody::Changes(new),
        }
    }
}

fn outcome_codes(bytes: &[u8]) -> Vec<Option<ErrorCode>> {
    response(bytes)
        .outcomes
        .iter()
        .map(PushOutcome::code)
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn staff_edits_beyond_notes_own_rating_and_status_and_pulls_beyond_the_event_are_refused() {
    let FileRelay {
        dir: _dir,
        store,
        server,
        ..
    } = file_relay().await;
    let url = server.url();
    tokio::task::spawn_blocking(move || {
        let http = HttpTransport::new(&url);
        let mut kiosk = enroll_raw(&http, store.as_ref(), 1);
        let mut staff = enroll_raw_as(&http, store.as_ref(), 3, EnrolledRole::Staff);
        let mut open = kiosk.registration(1);
        open.restricted = false;
        let mut restricted = kiosk.registration(2);
        restricted.restricted = true;
        restricted.person.phone = None;
        restricted.locations.clear();
        restricted.education_level = None;
        restricted.free_text = None;
        restricted.consents.talent_pool = None;
        let pushes = [&open, &restricted]
            .into_iter()
            .map(|r| push(r, kiosk.seal(r, &kiosk.key)))
            .collect();
        let request = kiosk.request(pushes);
        let stored = response(
            &http
                .post("/v1/sync", kiosk.signed(&request))
                .expect("answer"),
        );
        assert_eq!(stored.stored_count(), 2, "{:?}", stored.outcomes);
        let at = Timestamp::now();

        // A kiosk asking for registrations is refused whole.
        let mut asking = kiosk.request(vec![]);
        asking.pull.registrations = true;
        let answer = response(
            &http
                .post("/v1/sync", kiosk.signed(&asking))
                .expect("answer"),
        );
        assert_eq!(answer.refused, Some(ErrorCode::NotPermitted));
        assert!(answer.pulled.is_empty());

        // A pull naming another event is refused whole.
        let mut elsewhere = staff.staff_request(vec![]);
        elsewhere.pull.event_id = "another-fair".into();
        let answer = response(
            &http
                .post("/v1/sync", staff.signed(&elsewhere))
                .expect("answer"),
        );
        assert_eq!(answer.refused, Some(ErrorCode::WrongEvent));
        assert!(answer.pulled.is_empty());

        // The first pull sends the open registration only, never the restricted one.
        let first = staff.staff_request(vec![]);
        let answer = response(&http.post("/v1/sync", staff.signed(&first)).expect("answer"));
        assert_eq!(answer.refused, None);
        let pulled: Vec<&str> = answer.pulled.iter().map(|d| d.doc_id.as_str()).collect();
        assert_eq!(pulled, vec![open.id.as_str()]);
        let cursor = answer.cursor.clone().expect("a cursor");

        // A cursor changed on the way is refused, whatever byte changed.
        for at_byte in [0, cursor.0.len() / 2, cursor.0.len() - 1] {
            let mut tampered = staff.staff_request(vec![]);
            let mut bytes = cursor.0.clone();
            bytes[at_byte] ^= 0x40;
            tampered.pull.cursor = Some(kiosk_core::protocol::PullCursor(bytes));
            let answer = response(
                &http
                    .post("/v1/sync", staff.signed(&tampered))
                    .expect("answer"),
            );
            assert_eq!(answer.refused, Some(ErrorCode::BadCursor), "byte {at_byte}");
        }
        // Another tablet's cursor is refused too.
        let mut borrowed = kiosk.request(vec![]);
        borrowed.pull.cursor = Some(cursor.clone());
        let answer = response(
            &http
                .post("/v1/sync", kiosk.signed(&borrowed))
                .expect("answer"),
        );
        assert_eq!(answer.refused, Some(ErrorCode::BadCursor));

        let doc_id = open.id.as_str();
        let person = staff.edit(store.as_ref(), doc_id, |copy| {
            let mut registration = copy.read().expect("reads");
            registration.person.email = Some("mallory@example.se".into());
            copy.write(&registration, at).expect("written");
        });
        let others_rating = staff.edit(store.as_ref(), doc_id, |copy| {
            copy.set_rating("bertil", Some(1), at).expect("rated");
        });
        let restricted_note = staff.edit(store.as_ref(), restricted.id.as_str(), |copy| {
            copy.set_status(RecordStatus::Contacted, at).expect("set");
        });
        let event_edit = Push {
            doc_id: kiosk_core::demo::DEMO_EVENT_ID.into(),
            journal_seq: None,
            body: PushBody::Changes(others_rating_bytes(&others_rating)),
        };
        let by_kiosk = kiosk.edit(store.as_ref(), doc_id, |copy| {
            copy.set_status(RecordStatus::Hired, at).expect("set");
        });
        let allowed = staff.edit(store.as_ref(), doc_id, |copy| {
            copy.set_rating("anna", Some(4), at).expect("rated");
        });
        let mut request = staff.staff_request(vec![
            person,
            others_rating,
            restricted_note,
            event_edit,
            allowed,
        ]);
        request.pull.cursor = Some(cursor);
        let answer = http
            .post("/v1/sync", staff.signed(&request))
            .expect("answer");
        assert_eq!(
            outcome_codes(&answer),
            vec![
                Some(ErrorCode::NotPermitted),
                Some(ErrorCode::NotPermitted),
                Some(ErrorCode::UnknownDocument),
                Some(ErrorCode::UnknownDocument),
                None,
            ],
            "person fields, another's rating, a restricted record and the event document \
             are refused; the tablet's own rating is merged"
        );
        let kiosk_request = kiosk.request(vec![by_kiosk]);
        let answer = http
            .post("/v1/sync", kiosk.signed(&kiosk_request))
            .expect("answer");
        assert_eq!(outcome_codes(&answer), vec![Some(ErrorCode::NotPermitted)]);

        let stored = store
            .stored_registration(doc_id)
            .expect("reads")
            .expect("held");
        let (document, registration) =
            RegistrationDocument::load_unattributed(&stored.changes).expect("loads");
        assert_eq!(registration.person, open.person, "person fields unchanged");
        let annotations = document.annotations().expect("reads");
        assert_eq!(annotations.ratings.len(), 1);
        assert_eq!(annotations.ratings.get("anna"), Some(&4));
        assert_eq!(annotations.status, RecordStatus::New);
    })
    .await
    .expect("test body");
    server.stop().await.expect("stops");
}

/// The changes of a push, to send them under another document's id.
fn others_rating_bytes(push: &Push) -> Vec<u8> {
    match &push.body {
        PushBody::Changes(bytes) => bytes.clone(),
        PushBody::Sealed(_) => unreachable!("an edit carries changes"),
    }
}
