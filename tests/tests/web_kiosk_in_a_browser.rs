//! The visitor's kiosk in a real browser, end to end to the HR API: a web kiosk (kiosk-web,
//! served in-process on a loopback port) enrolls at a real relay with a relay code and
//! syncs the event; Debian's headless Chromium, driven by playwright-core from
//! `tests/browser/web_kiosk.mjs`, visits every visitor screen on a portrait tablet and a desk
//! PC in Swedish and English (axe-core on each, touch targets, screenshots), registers the
//! visitors of [`VISITORS`] through the screens (every field, mistakes corrected, the
//! protected path, the talent-pool opt-in, keyboard only), and checks that one visitor never
//! sees the previous one (DOM, Back, HTTP cache, form restoration, the idle prompt and reset,
//! "start over"). Then the kiosk's own background sync carries the registrations to the
//! relay, and the relay's HR API must hold exactly these, with the fields, consents,
//! protection and language each visitor gave.
//!
//! The script prints `PASS <check>` per check and this test requires every one by name; it
//! prints `RECEIPT <key> <code> <address>` per registration: the visitor's receipt code, which
//! must read back, and the receipt page's address its QR code draws, which must be the page at
//! the relay the kiosk enrolled with. The relay never learns the code, so each record is found
//! by its visitor's email.
//! Chromium and the npm packages come from `scripts/install-browser-test-tools.sh` (the
//! README's test command runs it first).

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use kiosk_core::protocol::enrollment::EnrolledRole;
use kiosk_core::receipt::ReceiptSecret;
use kiosk_ffi::types::DeviceRole;
use kiosk_sync_server::hr::accounts::Role;
use kiosk_tests::browser::run_script;
use kiosk_tests::file_relay;
use kiosk_tests::hr::{Http, user};
use kiosk_web::config::Config;
use kiosk_web::state::Shell;
use serde_json::{Value, json};

/// One visitor the browser registers, and what the relay must then hold of them.
struct Visitor {
    /// Names the visitor in the script's output and its checks.
    key: &'static str,
    /// "sv" or "en": the language chosen on the welcome screen.
    language: &'static str,
    /// "portrait" (768×1024, touch) or "desk" (1280×800).
    size: &'static str,
    given_name: &'static str,
    family_name: &'static str,
    email: &'static str,
    phone: &'static str,
    /// The phone number as the core keeps it (E.164).
    phone_stored: &'static str,
    interests: &'static [&'static str],
    locations: &'static [&'static str],
    education_level: &'static str,
    talent_pool: bool,
    /// Starts on the protected-personal-data path.
    protected: bool,
    /// Sends with mistakes first, then corrects them.
    mistakes: bool,
    /// Registers with Tab, Space and Enter only.
    keyboard: bool,
}

/// Every visitor, in the order the script registers them (by size and language).
const VISITORS: &[Visitor] = &[
    Visitor {
        key: "every_field",
        language: "sv",
        size: "portrait",
        given_name: "Saga",
        family_name: "Ekström-Vinter",
        email: "saga.ekstrom@exempel.se",
        phone: "070-111 22 33",
        phone_stored: "+46701112233",
        interests: &["it-development", "databases"],
        locations: &["stockholm", "uppsala"],
        education_level: "bachelor",
        talent_pool: false,
        protected: false,
        mistakes: false,
        keyboard: false,
    },
    Visitor {
        key: "mistakes_corrected",
        language: "en",
        size: "portrait",
        given_name: "Noah",
        family_name: "Whitfield-Berg",
        email: "noah.whitfield@example.com",
        phone: "+46 70 222 33 44",
        phone_stored: "+46702223344",
        interests: &["law"],
        locations: &[],
        education_level: "",
        talent_pool: false,
        protected: false,
        mistakes: true,
        keyboard: false,
    },
    Visitor {
        key: "protected_path",
        language: "sv",
        size: "desk",
        given_name: "Tove",
        family_name: "Skyddadsdotter",
        email: "tove.s@exempel.se",
        phone: "",
        phone_stored: "",
        interests: &["hr"],
        locations: &[],
        education_level: "",
        talent_pool: false,
        protected: true,
        mistakes: false,
        keyboard: false,
    },
    Visitor {
        key: "keyboard_only",
        language: "sv",
        size: "desk",
        given_name: "Kalle",
        family_name: "Tangentsson",
        email: "kalle.t@exempel.se",
        phone: "073-444 55 66",
        phone_stored: "+46734445566",
        interests: &["analysis"],
        locations: &["malmo"],
        education_level: "",
        talent_pool: false,
        protected: false,
        mistakes: false,
        keyboard: true,
    },
    Visitor {
        key: "talent_pool",
        language: "en",
        size: "desk",
        given_name: "Amira",
        family_name: "Poolhaven",
        email: "amira.p@example.com",
        phone: "",
        phone_stored: "",
        interests: &["architecture", "information-security"],
        locations: &["goteborg"],
        education_level: "master",
        talent_pool: true,
        protected: false,
        mistakes: false,
        keyboard: false,
    },
];

/// The sizes and languages every screen is checked in.
const COMBOS: &[(&str, &str)] = &[
    ("sv", "portrait"),
    ("en", "portrait"),
    ("sv", "desk"),
    ("en", "desk"),
];

/// The checks the script passes once per size and language (suffixed `_<lang>_<size>`).
const PER_SIZE_AND_LANGUAGE: &[&str] = &[
    "welcome_passes_axe",
    "form_passes_axe",
    "form_with_errors_passes_axe",
    "idle_prompt_at_60_s_is_a_named_modal_answered_by_keyboard",
    "idle_reset_at_90_s_leaves_nothing_behind_back_or_reload",
    "protected_form_passes_axe",
    "start_over_empties_the_form",
    "thanks_passes_axe",
    "after_each_submit_nothing_is_left_in_dom_back_or_reload",
];

/// Every check the script must pass.
fn checks() -> Vec<String> {
    let mut checks = Vec::new();
    for (lang, size) in COMBOS {
        checks.extend(
            PER_SIZE_AND_LANGUAGE
                .iter()
                .map(|check| format!("{check}_{lang}_{size}")),
        );
    }
    checks.extend(VISITORS.iter().map(|v| format!("registered_{}", v.key)));
    checks.push("mistakes_are_tied_to_their_fields_and_typed_values_kept".into());
    checks.push("every_answer_is_no_store_and_none_came_from_a_cache".into());
    checks.extend(STAFF_CHECKS.iter().map(|check| (*check).to_owned()));
    checks
}

/// Staff mode, after the visitors: the first PIN, a wrong PIN, the right one, a witness key
/// refused, sync now, and the lock that a visitor screen brings.
const STAFF_CHECKS: &[&str] = &[
    "staff_setup_sets_the_pin_and_passes_axe",
    "staff_wrong_pin_is_refused_with_attempts_left_never_echoed",
    "staff_right_pin_shows_counts_journal_and_hand_back",
    "staff_witness_form_refuses_a_key_it_cannot_read_on_the_field",
    "staff_sync_now_reports_the_last_success",
    "staff_mode_locks_when_a_visitor_screen_is_shown",
];

/// The whole browser run must finish within this, so a hung browser cannot hang CI.
const LIMIT: Duration = Duration::from_secs(120);
/// How long the kiosk's background sync may take to bring the registrations to the relay.
const SYNC_BOUND: Duration = Duration::from_secs(60);

fn visitors_json() -> String {
    Value::Array(
        VISITORS
            .iter()
            .map(|v| {
                json!({
                    "key": v.key,
                    "language": v.language,
                    "size": v.size,
                    "given_name": v.given_name,
                    "family_name": v.family_name,
                    "email": v.email,
                    "phone": v.phone,
                    "interests": v.interests,
                    "locations": v.locations,
                    "education_level": v.education_level,
                    "talent_pool": v.talent_pool,
                    "protected": v.protected,
                    "mistakes": v.mistakes,
                    "keyboard": v.keyboard,
                })
            })
            .collect(),
    )
    .to_string()
}

/// The receipt of each visitor, from the script's `RECEIPT <key> <code> <address>` lines:
/// the secret the code reads back as, and the address the QR code draws.
fn receipts(stdout: &str) -> BTreeMap<String, (ReceiptSecret, String)> {
    stdout
        .lines()
        .filter_map(|line| line.strip_prefix("RECEIPT "))
        .map(|rest| {
            let fields: Vec<&str> = rest.split_whitespace().collect();
            let [key, code, address] = fields[..] else {
                panic!("RECEIPT key code address: {rest}");
            };
            let secret = ReceiptSecret::parse(code)
                .unwrap_or_else(|| panic!("{key}: the code shown does not read back: {code}"));
            assert_eq!(secret.code(), code, "{key}: shown in groups of four");
            (key.to_owned(), (secret, address.to_owned()))
        })
        .collect()
}

fn rows(body: &Value) -> Vec<Value> {
    body["registrations"]
        .as_array()
        .unwrap_or_else(|| panic!("a list of registrations: {body}"))
        .clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn visitors_register_in_a_real_browser_and_exactly_their_registrations_reach_hr() {
    let relay = file_relay().await;
    let relay_url = relay.server.url();
    let code = relay.code(EnrolledRole::Kiosk, 1, 3_600_000).display();

    // The web kiosk, enrolled with the relay's code, on a loopback port of its own.
    let data = tempfile::tempdir().expect("tempdir");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("a loopback port");
    let address = listener.local_addr().expect("its address");
    let mut config = Config::new(data.path().join("kiosk-web"));
    config.listen = address;
    config.relay_url = Some(relay_url.clone());
    config.sync_every = Duration::from_secs(1);
    config.check().expect("a loopback configuration");
    let device = kiosk_web::open_device(&config, DeviceRole::Kiosk).expect("the device opens");
    let shell = Arc::new(Shell::new(device, config));
    let input = kiosk_web::enrollment::parse(&code).expect("a relay code");
    kiosk_web::enrollment::enroll(&shell, input)
        .await
        .expect("the web kiosk enrolls");
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let served = tokio::spawn(kiosk_web::serve(listener, Arc::clone(&shell), async {
        let _ = stopped.await;
    }));
    // The event's form arrives with the first sync, which enrollment asks for.
    let ready_by = Instant::now() + SYNC_BOUND;
    while !shell
        .device
        .setup_state()
        .is_ok_and(|setup| setup.event_name.is_some())
    {
        assert!(
            Instant::now() < ready_by,
            "the kiosk has no event after enrolling"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    // A recruiter assigned to the event, with the clearance for protected records.
    let store = relay.store.clone();
    let hr_url = relay_url.clone();
    tokio::task::spawn_blocking(move || {
        let rut = user(store.as_ref(), "rut", Role::Recruiter);
        let arvid = user(store.as_ref(), "arvid", Role::Archivist);
        user(store.as_ref(), "anna", Role::Admin);
        let http = Http::new(hr_url);
        let admin = http.login("anna");
        let (status, body) = admin.post(
            &format!("/api/v1/users/{rut}/events"),
            json!({ "event_id": kiosk_core::demo::DEMO_EVENT_ID }),
        );
        assert_eq!(status, 200, "{body}");
        for cleared in [rut, arvid] {
            let (status, body) = admin.post(
                &format!("/api/v1/users/{cleared}/clearance"),
                json!({ "restricted_clearance": true, "reason": "Handlägger ärenden med skyddade personuppgifter." }),
            );
            assert_eq!(status, 200, "{body}");
        }
    })
    .await
    .expect("HR users");

    let web_url = format!("http://{address}");
    let stdout = tokio::task::spawn_blocking(move || {
        let checks = checks();
        let checks: Vec<&str> = checks.iter().map(String::as_str).collect();
        run_script(
            "web_kiosk.mjs",
            &[
                ("KIOSK_WEB_URL", web_url),
                ("KIOSK_VISITORS", visitors_json()),
            ],
            &checks,
            LIMIT,
        )
    })
    .await
    .expect("the browser run");
    let receipts = receipts(&stdout);
    assert_eq!(
        receipts.len(),
        VISITORS.len(),
        "a receipt per visitor: {receipts:?}"
    );
    for (key, (secret, address)) in &receipts {
        assert_eq!(
            address,
            &secret.page_address(&relay_url),
            "{key}: the QR code opens the receipt page at the relay the kiosk enrolled with"
        );
    }
    let distinct: std::collections::BTreeSet<_> =
        receipts.values().map(|(secret, _)| secret.code()).collect();
    assert_eq!(
        distinct.len(),
        receipts.len(),
        "every visitor's receipt is their own"
    );

    // The kiosk's background sync (nudged by each submit, every second otherwise) brings
    // them to the relay; HR then reads exactly these.
    tokio::task::spawn_blocking(move || {
        let http = Http::new(relay_url);
        let recruiter = http.login("rut");
        let archivist = http.login("arvid");
        let deadline = Instant::now() + SYNC_BOUND;
        let (general, restricted) = loop {
            let (status, general) = recruiter.get("/api/v1/registrations?limit=100");
            assert_eq!(status, 200, "{general}");
            let (status, restricted) = recruiter.get("/api/v1/registrations/restricted");
            assert_eq!(status, 200, "{restricted}");
            let (general, restricted) = (rows(&general), rows(&restricted));
            if general.len() + restricted.len() >= VISITORS.len() {
                break (general, restricted);
            }
            assert!(
                Instant::now() < deadline,
                "the kiosk's background sync did not bring {} registrations within {SYNC_BOUND:?} ({} arrived)",
                VISITORS.len(),
                general.len() + restricted.len()
            );
            std::thread::sleep(Duration::from_millis(250));
        };
        let protected = VISITORS.iter().filter(|v| v.protected).count();
        assert_eq!(
            (general.len(), restricted.len()),
            (VISITORS.len() - protected, protected),
            "exactly the registrations made in the browser: none lost, none twice, \
             none from a corrected or abandoned form"
        );
        for visitor in VISITORS {
            let listed = if visitor.protected {
                &restricted
            } else {
                &general
            };
            let row = listed
                .iter()
                .find(|r| {
                    let id = r["id"].as_str().expect("an id");
                    let (_, record) = recruiter.get(&format!("/api/v1/registrations/{id}"));
                    record["email"] == visitor.email
                })
                .unwrap_or_else(|| panic!("{}: its registration is listed", visitor.key));
            let id = row["id"].as_str().expect("an id");
            let (status, record) = recruiter.get(&format!("/api/v1/registrations/{id}"));
            assert_eq!(status, 200, "{}: {record}", visitor.key);
            let key = visitor.key;
            assert_eq!(record["given_name"], visitor.given_name, "{key}");
            assert_eq!(record["family_name"], visitor.family_name, "{key}");
            assert_eq!(record["email"], visitor.email, "{key}");
            // A channel not given is null.
            assert_eq!(
                record["phone"].as_str().unwrap_or(""),
                visitor.phone_stored,
                "{key}"
            );
            assert_eq!(record["language"], visitor.language, "{key}");
            assert_eq!(record["interests"], json!(visitor.interests), "{key}");
            assert_eq!(record["locations"], json!(visitor.locations), "{key}");
            assert_eq!(
                record["education_level"].as_str().unwrap_or(""),
                visitor.education_level,
                "{key}"
            );
            assert_eq!(record["talent_pool"], visitor.talent_pool, "{key}");
            assert_eq!(record["restricted"], visitor.protected, "{key}");
            assert_eq!(record["event_id"], kiosk_core::demo::DEMO_EVENT_ID, "{key}");

            // The consents as captured: the privacy notice read, and the talent-pool opt-in
            // only for the one who gave it, each in the visitor's language (what a
            // subject-access answer shows).
            let (status, answer) = archivist.post(
                "/api/v1/subject-access",
                json!({ "receipt_code": row["receipt_code"] }),
            );
            assert_eq!(status, 200, "{key}: {answer}");
            assert_eq!(
                answer["registrations"].as_array().map(Vec::len),
                Some(1),
                "{key}: one record per receipt code"
            );
            let held = &answer["registrations"][0];
            assert_eq!(held["id"], id, "{key}: {answer}");
            let consents = &held["consents"];
            assert_eq!(
                consents["privacy_notice"]["language"], visitor.language,
                "{key}: {consents}"
            );
            if visitor.talent_pool {
                assert_eq!(
                    consents["talent_pool"]["language"], visitor.language,
                    "{key}: {consents}"
                );
            } else {
                assert!(consents["talent_pool"].is_null(), "{key}: {consents}");
            }
        }
    })
    .await
    .expect("HR reads what the browser registered");
    let synced = shell.sync.snapshot();
    assert!(
        synced.last_ok_at_ms.is_some() && synced.last_failure.is_none(),
        "the kiosk's own sync succeeded: {synced:?}"
    );

    let _ = stop.send(());
    served
        .await
        .expect("the shell's task")
        .expect("the shell stops cleanly");
}
