//! The visitor's receipt page (`/kvitto`) through the relay's router, with captures sealed
//! and synced as a kiosk does: a received registration shows when and as what it was
//! received, its event and the talent pool; a code that finds nothing (wrong, withdrawn by
//! HR, removed) gets one answer, byte for byte; a typo is told to check the code; the three
//! actions ask first and are logged as the visitor's; a restricted record's page says only
//! "received"; every answer carries the strict headers; failed look-ups are limited per
//! address and overall; and the relay keeps only the receipt's tag.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use axum::body::Body;
use axum::extract::connect_info::ConnectInfo;
use axum::http::{HeaderMap, Request, StatusCode, header};
use kiosk_core::capture::seal_capture_with_receipt;
use kiosk_core::documents::RegistrationDocument;
use kiosk_core::generator::RegistrationGenerator;
use kiosk_core::identity::DeviceIdentity;
use kiosk_core::protocol::enrollment::EnrolledRole;
use kiosk_core::protocol::{
    JournalState, PROTOCOL_VERSION, PullRequest, Push, PushBody, PushOutcome, SignedEnvelope,
    SyncRequest, SyncResponse,
};
use kiosk_core::receipt::ReceiptSecret;
use kiosk_core::validation::validate;
use kiosk_sync_server::ingest::handle_sync;
use kiosk_sync_server::keys::RelayKeys;
use kiosk_sync_server::storage::{
    AccessAction, Accessor, RegistrationFilter, RelayStore, SqliteStore, VisitorRequestKind,
    enroll_for_tests,
};
use kiosk_sync_server::visitor_receipt::limiter::ReceiptLimiter;
use kiosk_sync_server::{AppState, now_ms, router, store_demo_event};
use tower::ServiceExt;

const DEMO: &str = kiosk_core::demo::DEMO_EVENT_ID;
/// When the kiosk's captures reach the relay (relay time, ms).
const SYNCED_AT: i64 = 1_000_000_000;
const CONTENT_POLICY: &str = "default-src 'none'; script-src 'self'; style-src 'self'; \
    img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// What a visitor was given at the kiosk, and the record it names.
struct Visitor {
    doc_id: String,
    receipt: ReceiptSecret,
    given_name: String,
}

impl Visitor {
    fn code(&self) -> String {
        self.receipt.code()
    }
}

/// How a visitor registers.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Registers {
    InTalentPool,
    NotInTalentPool,
    WithProtectedData,
}

struct Relay {
    _dir: tempfile::TempDir,
    db: std::path::PathBuf,
    state: AppState,
    kiosk: DeviceIdentity,
    generator: RegistrationGenerator,
    seq: u64,
    receipts: u8,
}

struct Answer {
    status: StatusCode,
    headers: HeaderMap,
    body: String,
}

impl Relay {
    fn new() -> Relay {
        let dir = tempfile::tempdir().expect("tempdir");
        let db = dir.path().join("relay.db");
        let store = SqliteStore::open(&db).expect("store");
        store_demo_event(&store).expect("demo event");
        let state = AppState::new(Arc::new(store), RelayKeys::from_seeds([11; 32], [12; 32]));
        let kiosk =
            DeviceIdentity::from_signing_key(ed25519_dalek::SigningKey::from_bytes(&[5; 32]));
        enroll_for_tests(
            state.store.as_ref(),
            kiosk.public_key().to_bytes(),
            DEMO,
            EnrolledRole::Kiosk,
            None,
        );
        Relay {
            _dir: dir,
            db,
            state,
            kiosk,
            generator: RegistrationGenerator::new(kiosk_core::demo::demo_event(), 21),
            seq: 0,
            receipts: 0,
        }
    }

    fn store(&self) -> &dyn RelayStore {
        self.state.store.as_ref()
    }

    /// A new receipt secret, as a kiosk draws one (fixed here, so runs repeat).
    fn next_receipt(&mut self) -> ReceiptSecret {
        self.receipts += 1;
        ReceiptSecret::from_bytes([self.receipts; 16])
    }

    /// A visitor registers at the kiosk: their capture is sealed with a new receipt, and
    /// sent to the relay when `synced`.
    fn register(&mut self, how: Registers, synced: bool) -> Visitor {
        let (mut input, mut context) = self.generator.next_input();
        context.device = self.kiosk.device_id();
        input.talent_pool_opt_in = how == Registers::InTalentPool;
        input.protected_personal_data = how == Registers::WithProtectedData;
        if how == Registers::WithProtectedData {
            input.email = "skyddad@example.se".to_owned();
            input.phone.clear();
            input.education_level.clear();
        }
        let registration = validate(&input, self.generator.event(), &context).expect("valid");
        let receipt = self.next_receipt();
        let visitor = Visitor {
            doc_id: registration.id.to_string(),
            receipt: receipt.clone(),
            given_name: registration.person.given_name.clone(),
        };
        if synced {
            let mut document = RegistrationDocument::create(
                &registration,
                &self.kiosk.public_key(),
                registration.captured_at,
            )
            .expect("document");
            let hashes = document.change_hashes();
            let sealed = seal_capture_with_receipt(
                &self.kiosk,
                self.state.keys.sealing.sealing_key(),
                &registration.id,
                document.save_changes(),
                &hashes,
                receipt,
            )
            .expect("sealed");
            self.sync(Push {
                doc_id: registration.id.to_string(),
                journal_seq: None,
                body: PushBody::Sealed(sealed.sealed),
            });
        }
        visitor
    }

    fn sync(&mut self, push: Push) {
        self.seq += 1;
        let request = SyncRequest {
            version: PROTOCOL_VERSION,
            device_id: self.kiosk.public_key().to_bytes(),
            seq: self.seq,
            sent_at: now_ms(),
            journal: JournalState {
                count: 0,
                head: [0; 32],
            },
            pushes: vec![push],
            pull: PullRequest {
                event_id: DEMO.into(),
                event_heads: Vec::new(),
                registrations: false,
                cursor: None,
            },
            relay_key: [0; 32],
            log_size: 0,
            log_features: Vec::new(),
            log_witnesses: Vec::new(),
        };
        let device = self
            .store()
            .device(&self.kiosk.public_key().to_bytes())
            .expect("store")
            .expect("enrolled");
        let answer = handle_sync(
            self.store(),
            &self.state.keys,
            &device,
            &request,
            [0; 32],
            // Within the test enrollment's certificate.
            SYNCED_AT,
        )
        .expect("answered");
        let response: SyncResponse = SignedEnvelope::from_bytes(&answer)
            .expect("envelope")
            .decode()
            .expect("response");
        assert!(
            matches!(response.outcomes[..], [PushOutcome::Stored(_)]),
            "{:?}",
            response.outcomes
        );
    }

    async fn send(&self, method: &str, path: &str, form: &[(&str, &str)], from: IpAddr) -> Answer {
        let mut request = Request::builder().method(method).uri(path);
        if method == "POST" {
            request = request.header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
        }
        let mut request = request
            .body(Body::from(serde_urlencoded::to_string(form).expect("form")))
            .expect("request");
        request
            .extensions_mut()
            .insert(ConnectInfo(SocketAddr::new(from, 50_000)));
        let response = router(self.state.clone())
            .oneshot(request)
            .await
            .expect("answer");
        let status = response.status();
        let headers = response.headers().clone();
        let body = axum::body::to_bytes(response.into_body(), 1 << 20)
            .await
            .expect("body");
        Answer {
            status,
            headers,
            body: String::from_utf8(body.to_vec()).expect("utf-8"),
        }
    }

    async fn look_up(&self, code: &str, lang: &str) -> Answer {
        self.send("POST", "/kvitto", &[("code", code), ("lang", lang)], home())
            .await
    }

    async fn act(&self, code: &str, kind: &str, step: &str, text: Option<&str>) -> Answer {
        let mut form = vec![
            ("code", code),
            ("lang", "sv"),
            ("kind", kind),
            ("step", step),
        ];
        if let Some(text) = text {
            form.push(("text", text));
        }
        self.send("POST", "/kvitto/atgard", &form, home()).await
    }

    /// The visitor's own entries about `doc_id`, in order.
    fn visitors_entries(&self, doc_id: &str) -> Vec<AccessAction> {
        self.store()
            .access_log_entries(0, 10_000)
            .expect("log")
            .into_iter()
            .filter(|(_, e)| e.doc_id == doc_id && e.accessor == Accessor::Visitor)
            .map(|(_, e)| e.action)
            .collect()
    }

    fn in_talent_pool_list(&self, doc_id: &str) -> bool {
        let filter = RegistrationFilter {
            talent_pool: Some(true),
            limit: 1_000,
            ..RegistrationFilter::default()
        };
        let listed = self
            .store()
            .list_registrations(&filter, &Accessor::Operator("hr:test".into()), now_ms())
            .expect("lists")
            .iter()
            .any(|r| r.id == doc_id);
        let exported = self
            .store()
            .export_registrations(&filter, &Accessor::Operator("hr:test".into()), now_ms())
            .expect("exports")
            .records
            .iter()
            .any(|r| r.id == doc_id && r.talent_pool);
        listed || exported
    }
}

fn home() -> IpAddr {
    IpAddr::from([192, 0, 2, 10])
}

#[tokio::test]
async fn a_received_registration_shows_when_by_whom_its_event_and_the_talent_pool_and_nothing_else()
{
    let mut relay = Relay::new();
    let visitor = relay.register(Registers::InTalentPool, true);
    let page = relay.look_up(&visitor.code(), "sv").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(page.body.contains("<html lang=\"sv\""), "{}", page.body);
    assert!(page.body.contains("Mottagen "), "{}", page.body);
    assert!(page.body.contains("som allmän handling"), "{}", page.body);
    let event = kiosk_core::demo::demo_event();
    assert!(page.body.contains(&event.name.sv), "{}", page.body);
    assert!(page.body.contains("Du finns i vår talangbank."));
    assert!(
        !page.body.contains(&visitor.given_name),
        "no personal data on the page"
    );
    // Typed in lower case with spaces, as the QR code's compact form, in English.
    let typed = visitor.code().to_lowercase().replace('-', " ");
    let page = relay.look_up(&typed, "en").await;
    assert!(page.body.contains("<html lang=\"en\""), "{}", page.body);
    assert!(page.body.contains("Received on "), "{}", page.body);
    assert!(page.body.contains("as a public document"), "{}", page.body);
    assert!(page.body.contains(&event.name.en), "{}", page.body);
    assert_eq!(
        relay.visitors_entries(&visitor.doc_id),
        vec![AccessAction::Read, AccessAction::Read],
        "each view is the visitor's access-log entry"
    );
}

#[tokio::test]
async fn a_receipt_not_yet_received_is_on_its_way_and_then_received() {
    let mut relay = Relay::new();
    let waiting = relay.register(Registers::NotInTalentPool, false);
    let page = relay.look_up(&waiting.code(), "sv").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("Din anmälan är på väg"), "{}", page.body);
    // One answer for wrong, withdrawn and removed codes too: it claims nothing it cannot know.
    assert!(
        page.body
            .contains("Vi hittar ingen mottagen anmälan med den koden ännu."),
        "{}",
        page.body
    );
    assert!(
        page.body.contains("14 dagar efter evenemanget"),
        "{}",
        page.body
    );
    let arrived = relay.register(Registers::NotInTalentPool, true);
    let page = relay.look_up(&arrived.code(), "sv").await;
    assert!(
        page.body.contains("Vi har tagit emot din anmälan"),
        "{}",
        page.body
    );
    // The word the kiosk's consent used ("Ja, spara mina uppgifter i talangbanken").
    assert!(page.body.contains("Du finns inte i vår talangbank."));
    assert!(!page.body.contains("kandidatbank"), "{}", page.body);
    // A promise HR can keep: they go through a correction, not always make it.
    assert!(page.body.contains("så går vi igenom det"), "{}", page.body);
    assert!(
        !page.body.contains("name=\"kind\" value=\"withdraw\""),
        "nothing to withdraw"
    );
}

#[tokio::test]
async fn wrong_withdrawn_and_removed_receipts_answer_byte_for_byte_alike() {
    let mut relay = Relay::new();
    let withdrawn = relay.register(Registers::InTalentPool, true);
    let removed = relay.register(Registers::InTalentPool, true);
    let wrong = relay.next_receipt();
    assert!(
        relay
            .look_up(&withdrawn.code(), "sv")
            .await
            .body
            .contains("Mottagen ")
    );
    // HR withdraws one receipt on the record page (an archivist, confirmed) …
    let mut browser = support::console_browser::Browser::new(&relay.state);
    support::console_browser::user_with(
        &relay.state,
        "arkivarie",
        vec![kiosk_sync_server::hr::accounts::Role::Archivist],
    );
    browser
        .log_in("arkivarie", support::console_browser::PASSWORD)
        .await;
    let record = browser
        .get(&format!("/console/registrations/{}", withdrawn.doc_id))
        .await;
    assert!(record.body.contains("Kvittot fungerar"), "{}", record.body);
    let path = format!(
        "/console/registrations/{}/receipt-withdrawal",
        withdrawn.doc_id
    );
    let confirm = browser
        .post(&path, &[("csrf_token", &record.csrf_field())])
        .await;
    assert_eq!(confirm.status, StatusCode::OK);
    assert!(
        confirm.body.contains("Återkalla besökarens kvitto?"),
        "{}",
        confirm.body
    );
    let done = browser
        .post(
            &path,
            &[("csrf_token", &confirm.csrf_field()), ("confirmed", "yes")],
        )
        .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
    assert!(
        !relay
            .store()
            .has_receipt_tag(&withdrawn.doc_id)
            .expect("reads")
    );
    // … and another record is removed at gallring.
    relay
        .store()
        .remove_registration(
            &removed.doc_id,
            "gallring",
            &Accessor::Operator("retention-run:1".into()),
            now_ms(),
        )
        .expect("removes");

    let answers = [
        relay.look_up(&wrong.code(), "sv").await,
        relay.look_up(&withdrawn.code(), "sv").await,
        relay.look_up(&removed.code(), "sv").await,
    ];
    for answer in &answers[1..] {
        assert_eq!(answer.status, answers[0].status);
        assert_eq!(answer.body, answers[0].body, "the same bytes");
        // Every header alike but the request's own id.
        let mut headers = answer.headers.clone();
        let mut first = answers[0].headers.clone();
        headers.remove("x-request-id");
        first.remove("x-request-id");
        assert_eq!(headers, first);
    }
    assert!(answers[0].body.contains("Din anmälan är på väg"));
    // An action with a code that finds nothing is answered alike too.
    let acted = relay
        .act(&withdrawn.code(), "access", "confirm", None)
        .await;
    assert_eq!(acted.body, answers[0].body);
    assert!(
        relay
            .store()
            .visitor_requests(false, 10)
            .expect("lists")
            .is_empty()
    );
}

#[tokio::test]
async fn a_code_whose_check_symbol_fails_is_told_to_check_it_and_finds_nothing() {
    let mut relay = Relay::new();
    let visitor = relay.register(Registers::InTalentPool, true);
    let code = visitor.code();
    // Two neighbours swapped: the check symbol catches it.
    let mut symbols: Vec<char> = code.chars().collect();
    symbols.swap(0, 1);
    let swapped: String = symbols.into_iter().collect();
    assert!(
        ReceiptSecret::parse(&swapped).is_none(),
        "a typo the check catches"
    );
    let page = relay.look_up(&swapped, "sv").await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.body.contains("Kontrollera koden"), "{}", page.body);
    assert!(page.body.contains("aria-invalid=\"true\""), "{}", page.body);
    assert!(
        relay.visitors_entries(&visitor.doc_id).is_empty(),
        "nothing looked up"
    );
}

#[tokio::test]
async fn the_three_actions_ask_first_and_are_logged_as_the_visitors() {
    let mut relay = Relay::new();
    let visitor = relay.register(Registers::InTalentPool, true);
    let code = visitor.code();
    assert!(relay.in_talent_pool_list(&visitor.doc_id), "listed before");

    // (a) Withdraw the talent-pool consent: a confirmation, then the withdrawal.
    let ask = relay.act(&code, "withdraw", "ask", None).await;
    assert_eq!(ask.status, StatusCode::OK);
    assert!(
        ask.body.contains("Ja, ta tillbaka samtycket"),
        "{}",
        ask.body
    );
    assert!(
        relay.in_talent_pool_list(&visitor.doc_id),
        "asking changes nothing"
    );
    let done = relay.act(&code, "withdraw", "confirm", None).await;
    assert!(
        done.body
            .contains("Ditt samtycke till talangbanken är borttaget"),
        "{}",
        done.body
    );
    assert!(
        !relay.in_talent_pool_list(&visitor.doc_id),
        "gone from talent-pool lists and exports at once"
    );
    let page = relay.look_up(&code, "sv").await;
    assert!(page.body.contains("Du finns inte i vår talangbank."));

    // (b) A registerutdrag: queued for the archivists, delivered elsewhere.
    let ask = relay.act(&code, "access", "ask", None).await;
    assert!(
        ask.body.contains("Det visas aldrig på den här sidan"),
        "{}",
        ask.body
    );
    let done = relay.act(&code, "access", "confirm", None).await;
    assert!(
        done.body
            .contains("Din begäran om registerutdrag är skickad"),
        "{}",
        done.body
    );

    // (c) A correction: its text is bounded and required.
    let empty = relay.act(&code, "correction", "confirm", Some("  ")).await;
    assert_eq!(empty.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        empty.body.contains("Skriv vad som är fel."),
        "{}",
        empty.body
    );
    let long = "å".repeat(2_001);
    let too_long = relay.act(&code, "correction", "confirm", Some(&long)).await;
    assert_eq!(too_long.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        too_long.body.contains("högst 2 000 tecken"),
        "{}",
        too_long.body
    );
    let done = relay
        .act(
            &code,
            "correction",
            "confirm",
            Some("Mitt efternamn stavas med två t."),
        )
        .await;
    assert!(
        done.body.contains("Din begäran om rättelse är skickad"),
        "{}",
        done.body
    );

    let requests = relay.store().visitor_requests(true, 10).expect("lists");
    let kinds: Vec<VisitorRequestKind> = requests.iter().map(|r| r.kind).collect();
    assert_eq!(
        kinds,
        vec![
            VisitorRequestKind::SubjectAccess,
            VisitorRequestKind::Correction
        ]
    );
    assert_eq!(
        requests[1].text.as_deref(),
        Some("Mitt efternamn stavas med två t.")
    );
    assert_eq!(
        relay.visitors_entries(&visitor.doc_id),
        vec![
            AccessAction::Change,
            AccessAction::Read,
            AccessAction::AccessRequested,
            AccessAction::CorrectionRequested,
        ],
        "withdrew (a change), viewed, asked for a registerutdrag, asked for a correction"
    );

    // The archivists' queue lists them, with a link to the record, and marks one handled.
    let mut browser = support::console_browser::Browser::new(&relay.state);
    support::console_browser::user_with(
        &relay.state,
        "arkivarie",
        vec![kiosk_sync_server::hr::accounts::Role::Archivist],
    );
    browser
        .log_in("arkivarie", support::console_browser::PASSWORD)
        .await;
    let queue = browser.get("/console/visitor-requests").await;
    assert_eq!(queue.status, StatusCode::OK, "{}", queue.body);
    assert!(
        queue
            .body
            .contains(&format!("/console/registrations/{}", visitor.doc_id))
    );
    assert!(queue.body.contains("Registerutdrag") && queue.body.contains("Rättelse"));
    let handled = browser
        .post(
            &format!("/console/visitor-requests/{}/handled", requests[0].id),
            &[("csrf_token", &queue.csrf_field())],
        )
        .await;
    assert_eq!(handled.status, StatusCode::SEE_OTHER, "{}", handled.body);
    assert_eq!(
        relay
            .store()
            .visitor_requests(true, 10)
            .expect("lists")
            .len(),
        1
    );
    // The record page shows the correction's text to the archivist.
    let record = browser
        .get(&format!("/console/registrations/{}", visitor.doc_id))
        .await;
    assert!(record.body.contains("Mitt efternamn stavas med två t."));
    // The console's access log names the visitor's own entries.
    let log = browser
        .get(&format!("/console/access-log?doc_id={}", visitor.doc_id))
        .await;
    assert!(
        log.body.contains("Besökaren själv (med kvitto)"),
        "{}",
        log.body
    );
}

#[tokio::test]
async fn a_restricted_records_page_says_only_received_and_offers_nothing() {
    let mut relay = Relay::new();
    let visitor = relay.register(Registers::WithProtectedData, true);
    let page = relay.look_up(&visitor.code(), "sv").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.body.contains("Vi har tagit emot din anmälan"),
        "{}",
        page.body
    );
    assert!(
        page.body.contains("skyddade personuppgifter"),
        "{}",
        page.body
    );
    let event = kiosk_core::demo::demo_event();
    assert!(!page.body.contains(&event.name.sv), "no event name");
    assert!(!page.body.contains("talangbank"), "no talent pool");
    assert!(!page.body.contains("/kvitto/atgard"), "no actions");
    assert!(!page.body.contains("Mottagen "), "no date");
    assert_eq!(
        relay.visitors_entries(&visitor.doc_id),
        vec![AccessAction::Read]
    );
    let acted = relay.act(&visitor.code(), "access", "confirm", None).await;
    assert_eq!(acted.body, page.body, "an action gets the same page");
    assert_eq!(
        relay.visitors_entries(&visitor.doc_id),
        vec![AccessAction::Read, AccessAction::Read],
        "the action's look-up read the record: logged as the look-up is"
    );
    assert!(
        relay
            .store()
            .visitor_requests(false, 10)
            .expect("lists")
            .is_empty()
    );
}

#[tokio::test]
async fn every_visitor_answer_carries_the_strict_headers() {
    let mut relay = Relay::new();
    let visitor = relay.register(Registers::InTalentPool, true);
    let code = visitor.code();
    let mut answers = vec![
        relay.send("GET", "/kvitto", &[], home()).await,
        relay.send("GET", "/kvitto?lang=en", &[], home()).await,
        relay.send("GET", "/kvitto/kvitto.js", &[], home()).await,
        relay.look_up(&code, "sv").await,
        relay
            .look_up("0000-0000-0000-0000-0000-0000-000", "sv")
            .await,
        relay.act(&code, "correction", "ask", None).await,
        relay
            .send("POST", "/kvitto", &[("unknown", "field")], home())
            .await,
    ];
    let big = "x".repeat(4 * 1024);
    answers.push(
        relay
            .send("POST", "/kvitto", &[("code", &big)], home())
            .await,
    );
    for (i, answer) in answers.iter().enumerate() {
        let header = |name: &str| {
            answer
                .headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_owned()
        };
        assert_eq!(header("cache-control"), "no-store", "answer {i}");
        assert_eq!(header("referrer-policy"), "no-referrer", "answer {i}");
        assert_eq!(header("x-robots-tag"), "noindex, nofollow", "answer {i}");
        assert_eq!(
            header("content-security-policy"),
            CONTENT_POLICY,
            "answer {i}"
        );
    }
    assert_eq!(answers[6].status, StatusCode::BAD_REQUEST);
    assert_eq!(answers[7].status, StatusCode::PAYLOAD_TOO_LARGE);
    // The pages: the robots meta, the script from the relay's own origin, no inline script.
    let form = &answers[0].body;
    assert!(form.contains(r#"<meta name="robots" content="noindex, nofollow">"#));
    assert!(
        form.contains(r#"<script src="/kvitto/kvitto.js" defer>"#),
        "{form}"
    );
    assert!(
        form.contains(r#"<form id="kvitto-form" method="post" action="/kvitto""#),
        "{form}"
    );
    assert!(answers[1].body.contains("<html lang=\"en\""));
    assert!(answers[2].body.contains("history.replaceState"));
    assert!(answers[2].body.contains("location.hash"));
    assert!(answers[2].headers.get("content-type").is_some_and(|v| {
        v.to_str()
            .unwrap_or_default()
            .starts_with("text/javascript")
    }));
    // The console's own pages keep the console's policy.
    let console = relay.send("GET", "/console/login", &[], home()).await;
    let policy = console
        .headers
        .get("content-security-policy")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    assert!(!policy.contains("script-src"), "{policy}");
}

#[tokio::test]
async fn failed_look_ups_are_limited_per_address_and_overall_and_other_addresses_still_work() {
    let mut relay = Relay::new();
    // Small limits: 3 failed look-ups per address, 5 over all addresses.
    relay.state.receipt_failures = Arc::new(ReceiptLimiter::with_limits(&relay.state.keys, 3, 5));
    let visitor = relay.register(Registers::InTalentPool, true);
    let code = visitor.code();
    let guesser = IpAddr::from([203, 0, 113, 7]);
    let guess = |n: u8| ReceiptSecret::from_bytes([0xA0 + n; 16]).code();
    for n in 0..3 {
        let page = relay
            .send("POST", "/kvitto", &[("code", &guess(n))], guesser)
            .await;
        assert_eq!(page.status, StatusCode::OK, "guess {n} answered");
    }
    let limited = relay
        .send("POST", "/kvitto", &[("code", &guess(3))], guesser)
        .await;
    assert_eq!(limited.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(
        limited.body.contains("För många försök"),
        "{}",
        limited.body
    );
    assert!(
        limited.body.contains("Försök igen om 15 minuter."),
        "{}",
        limited.body
    );
    assert_eq!(
        limited
            .headers
            .get(header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok()),
        Some("900")
    );
    // The same answer for a valid code and a typo from that address.
    let valid = relay
        .send("POST", "/kvitto", &[("code", &code)], guesser)
        .await;
    assert_eq!(valid.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(valid.body, limited.body);
    assert!(
        limited
            .body
            .contains("för många uppslag från det här nätet"),
        "names the network, blames no one's code: {}",
        limited.body
    );
    assert!(!limited.body.contains("fel kod"), "{}", limited.body);
    // A typo is caught by its check symbol before the limiter: told to check it.
    let typo = relay
        .send("POST", "/kvitto", &[("code", "abc")], guesser)
        .await;
    assert_eq!(typo.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        relay.visitors_entries(&visitor.doc_id).is_empty(),
        "nothing read"
    );

    // The visitor from another address is not held up, and found look-ups are not counted.
    let other = IpAddr::from([198, 51, 100, 20]);
    for _ in 0..4 {
        let page = relay
            .send("POST", "/kvitto", &[("code", &code)], other)
            .await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(page.body.contains("Mottagen "), "{}", page.body);
    }
    // Two failures from a third address reach the overall limit (3 + 2 = 5) …
    let third = IpAddr::from([198, 51, 100, 30]);
    for n in 10..12 {
        let page = relay
            .send("POST", "/kvitto", &[("code", &guess(n))], third)
            .await;
        assert_eq!(page.status, StatusCode::OK);
    }
    // … after which every address waits, even with a code that would be found.
    let fourth = IpAddr::from([198, 51, 100, 40]);
    let page = relay
        .send("POST", "/kvitto", &[("code", &code)], fourth)
        .await;
    assert_eq!(page.status, StatusCode::TOO_MANY_REQUESTS);
}

#[tokio::test]
async fn a_request_sent_again_while_open_is_answered_already_sent_and_queues_nothing() {
    let mut relay = Relay::new();
    let visitor = relay.register(Registers::InTalentPool, true);
    let code = visitor.code();
    let first = relay.act(&code, "access", "confirm", None).await;
    assert!(first.body.contains("är skickad"), "{}", first.body);
    // A refreshed "done" page posts again; a photographed code posts a thousand times.
    for _ in 0..3 {
        let again = relay.act(&code, "access", "confirm", None).await;
        assert_eq!(again.status, StatusCode::OK);
        assert!(
            again
                .body
                .contains("Din begäran om registerutdrag är redan skickad"),
            "{}",
            again.body
        );
        let again = relay
            .act(&code, "correction", "confirm", Some("Fel efternamn."))
            .await;
        assert!(again.body.contains("skickad"), "{}", again.body);
    }
    let en = relay
        .send(
            "POST",
            "/kvitto/atgard",
            &[
                ("code", code.as_str()),
                ("lang", "en"),
                ("kind", "access"),
                ("step", "confirm"),
            ],
            home(),
        )
        .await;
    assert!(en.body.contains("has already been sent"), "{}", en.body);
    let requests = relay.store().visitor_requests(true, 100).expect("lists");
    let kinds: Vec<VisitorRequestKind> = requests.iter().map(|r| r.kind).collect();
    assert_eq!(
        kinds,
        vec![
            VisitorRequestKind::SubjectAccess,
            VisitorRequestKind::Correction
        ],
        "one of each kind"
    );
    assert_eq!(
        relay.visitors_entries(&visitor.doc_id),
        vec![
            AccessAction::AccessRequested,
            AccessAction::CorrectionRequested
        ],
        "only the requests queued are logged"
    );
}

#[tokio::test]
async fn withdrawing_a_consent_never_given_says_there_was_none_not_that_it_is_withdrawn() {
    let mut relay = Relay::new();
    let visitor = relay.register(Registers::NotInTalentPool, true);
    let done = relay
        .act(&visitor.code(), "withdraw", "confirm", None)
        .await;
    assert_eq!(done.status, StatusCode::OK);
    assert!(
        done.body.contains("Det finns inget samtycke"),
        "{}",
        done.body
    );
    assert!(!done.body.contains("är borttaget"), "{}", done.body);
}

#[tokio::test]
async fn typos_cost_no_limiter_slot_so_a_visitor_who_mistypes_is_not_locked_out() {
    let mut relay = Relay::new();
    relay.state.receipt_failures =
        Arc::new(ReceiptLimiter::with_limits(&relay.state.keys, 2, 1_000));
    let visitor = relay.register(Registers::InTalentPool, true);
    let code = visitor.code();
    let mut symbols: Vec<char> = code.chars().collect();
    symbols.swap(0, 1);
    let swapped: String = symbols.into_iter().collect();
    for n in 0..5 {
        let page = relay
            .send("POST", "/kvitto", &[("code", &swapped)], home())
            .await;
        assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY, "typo {n}");
    }
    // One look-up of a registration still on its way leaves the address under its limit.
    let on_its_way = ReceiptSecret::from_bytes([0xB0; 16]).code();
    let page = relay
        .send("POST", "/kvitto", &[("code", &on_its_way)], home())
        .await;
    assert_eq!(page.status, StatusCode::OK, "on its way");
    let page = relay
        .send("POST", "/kvitto", &[("code", &code)], home())
        .await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("Mottagen "), "{}", page.body);
}

#[tokio::test]
async fn the_relay_keeps_the_receipts_tag_and_never_its_hash_or_secret() {
    let mut relay = Relay::new();
    let visitor = relay.register(Registers::InTalentPool, true);
    assert!(
        relay
            .store()
            .has_receipt_tag(&visitor.doc_id)
            .expect("reads")
    );
    let tag = relay.state.keys.receipt.tag(&visitor.receipt.hash());
    assert_eq!(
        relay
            .store()
            .record_by_receipt_tag(&tag)
            .expect("reads")
            .map(|r| r.doc_id),
        Some(visitor.doc_id.clone())
    );
    // Every byte the store wrote: the database and its write-ahead log.
    let mut bytes = Vec::new();
    for suffix in ["", "-wal"] {
        let path = format!("{}{suffix}", relay.db.display());
        if let Ok(read) = std::fs::read(&path) {
            bytes.extend(read);
        }
    }
    let holds = |needle: &[u8]| bytes.windows(needle.len()).any(|w| w == needle);
    assert!(holds(&tag), "the tag is stored");
    assert!(!holds(&visitor.receipt.hash()), "never the receipt's hash");
    assert!(!holds(visitor.receipt.as_bytes()), "never the secret");
    assert!(!holds(visitor.code().as_bytes()), "never the code");
    assert!(
        !holds(visitor.receipt.compact_code().as_bytes()),
        "never the code"
    );
}

#[tokio::test]
async fn subject_access_and_disclosure_find_a_record_by_the_visitors_full_receipt_code() {
    let mut relay = Relay::new();
    let visitor = relay.register(Registers::InTalentPool, true);
    let reference = relay
        .store()
        .receipt_code(&visitor.doc_id)
        .expect("reads")
        .expect("held");
    let mut browser = support::console_browser::Browser::new(&relay.state);
    support::console_browser::user_with(
        &relay.state,
        "arkivarie",
        vec![kiosk_sync_server::hr::accounts::Role::Archivist],
    );
    browser
        .log_in("arkivarie", support::console_browser::PASSWORD)
        .await;
    let form = browser.get("/console/subject-access").await;
    let found = browser
        .post(
            "/console/subject-access",
            &[
                ("csrf_token", &form.csrf_field()),
                ("kind", "receipt_code"),
                ("value", &visitor.code().to_lowercase()),
            ],
        )
        .await;
    assert_eq!(found.status, StatusCode::OK, "{}", found.body);
    assert!(found.body.contains(&reference), "{}", found.body);
    let unknown = browser
        .post(
            "/console/subject-access",
            &[
                ("csrf_token", &form.csrf_field()),
                ("kind", "receipt_code"),
                ("value", &relay.next_receipt().code()),
            ],
        )
        .await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND, "{}", unknown.body);

    // A disclosure request takes the full code too; one that finds nothing is refused.
    let form = browser.get("/console/disclosure").await;
    let disclosed = browser
        .post(
            "/console/disclosure",
            &[
                ("csrf_token", &form.csrf_field()),
                ("records", &visitor.code()),
                ("format", "html"),
            ],
        )
        .await;
    assert_eq!(disclosed.status, StatusCode::OK, "{}", disclosed.body);
    assert!(disclosed.body.contains(&reference), "{}", disclosed.body);
    let stranger = relay.next_receipt().code();
    let refused = browser
        .post(
            "/console/disclosure",
            &[
                ("csrf_token", &form.csrf_field()),
                ("records", &stranger),
                ("format", "html"),
            ],
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    // The form comes back as typed, with the error on the records field.
    assert!(refused.body.contains("error-summary"), "{}", refused.body);
}

mod support {
    pub mod console_browser;
}
