//! The visitor's receipt from the kiosk to the relay's page and to HR, end to end in a real
//! browser (`tests/browser/visitor_receipt_from_the_kiosk.mjs`): a web kiosk enrolls through
//! a proxy this test can cut; a visitor registers with the talent-pool opt-in and reads the
//! receipt off the thank-you screen; with the kiosk cut off, the relay's `/kvitto` page says
//! "on its way", from the QR address and from the typed code; the test then lets the kiosk
//! sync and checks the record is in HR's talent-pool list and export; the page then says
//! "received"; the visitor withdraws the consent; and HR's talent-pool list and export no
//! longer hold the record, while the access log holds the visitor's own entries.

mod support {
    // This test cuts the relay off and lets it back; the proxy's other faults are others'.
    #[allow(dead_code)]
    pub mod fault_proxy;
}

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use kiosk_core::protocol::enrollment::EnrolledRole;
use kiosk_ffi::types::DeviceRole;
use kiosk_sync_server::hr::accounts::Role;
use kiosk_tests::browser::run_script;
use kiosk_tests::file_relay;
use kiosk_tests::hr::{Http, user};
use kiosk_web::config::Config;
use kiosk_web::state::Shell;
use serde_json::{Value, json};
use support::fault_proxy::{FaultProxy, Mode};

const CHECKS: &[&str] = &[
    "the_thank_you_screen_gives_the_receipt_as_a_code_and_a_qr_address",
    "the_qr_address_says_on_its_way_before_the_kiosk_syncs",
    "the_typed_code_says_on_its_way_too",
    "after_the_kiosk_syncs_the_page_says_received_with_the_event_and_no_personal_data",
    "the_visitor_withdraws_the_talent_pool_consent_after_a_confirmation",
];

/// The whole browser run, so a hung browser cannot hang CI.
const LIMIT: Duration = Duration::from_secs(180);
/// How long a step may take to come about (a sync, a signal).
const BOUND: Duration = Duration::from_secs(60);
const EMAIL: &str = "vilja.kvittosdotter@exempel.se";

/// Polls `done` every 200 ms until it holds, or fails naming `what` after [`BOUND`].
async fn within_bound(what: &str, mut done: impl FnMut() -> bool) {
    let until = Instant::now() + BOUND;
    while !done() {
        assert!(
            Instant::now() < until,
            "{what} did not happen within {BOUND:?}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

fn rows(body: &Value) -> Vec<Value> {
    body["registrations"]
        .as_array()
        .unwrap_or_else(|| panic!("a list of registrations: {body}"))
        .clone()
}

/// The ids HR's talent-pool list holds, and whether the talent-pool export names `EMAIL`.
fn talent_pool_as_hr_sees_it(relay_url: &str) -> (Vec<String>, bool) {
    let http = Http::new(relay_url.to_owned());
    let recruiter = http.login("rut");
    let (status, listed) = recruiter.get("/api/v1/registrations?talent_pool=true&limit=100");
    assert_eq!(status, 200, "{listed}");
    let ids = rows(&listed)
        .iter()
        .filter_map(|r| r["id"].as_str().map(str::to_owned))
        .collect();
    let archivist = http.login("arvid");
    let export = archivist.get_raw("/api/v1/registrations/export?format=csv&talent_pool=true");
    assert_eq!(export.status, 200, "the talent-pool export");
    (ids, String::from_utf8_lossy(&export.body).contains(EMAIL))
}

/// The id of the record registered with `EMAIL`, once the relay holds it.
fn record_id(relay_url: &str) -> Option<String> {
    let http = Http::new(relay_url.to_owned());
    let recruiter = http.login("rut");
    let (status, listed) = recruiter.get("/api/v1/registrations?limit=100");
    assert_eq!(status, 200, "{listed}");
    rows(&listed).iter().find_map(|r| {
        let id = r["id"].as_str()?;
        let (_, record) = recruiter.get(&format!("/api/v1/registrations/{id}"));
        (record["email"] == EMAIL).then(|| id.to_owned())
    })
}

fn signal(dir: &Path, name: &str) -> PathBuf {
    dir.join(name)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_visitors_receipt_goes_from_the_kiosks_thank_you_screen_to_received_and_a_withdrawal_hr_sees()
 {
    let relay = file_relay().await;
    let relay_url = relay.server.url();
    let proxy = Arc::new(FaultProxy::start(relay.server.address).await);
    let code = relay.code(EnrolledRole::Kiosk, 1, 3_600_000).display();

    // The web kiosk, enrolled through the proxy, on a loopback port of its own.
    let data = tempfile::tempdir().expect("tempdir");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("a loopback port");
    let address = listener.local_addr().expect("its address");
    let mut config = Config::new(data.path().join("kiosk-web"));
    config.listen = address;
    config.relay_url = Some(proxy.url());
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
    within_bound("the kiosk's first sync bringing its event", || {
        shell
            .device
            .setup_state()
            .is_ok_and(|setup| setup.event_name.is_some())
    })
    .await;
    // Staff finish the setup (the visitor's screens wait for the staff PIN).
    shell
        .device
        .set_staff_pin("583014".into())
        .expect("staff choose the PIN");
    // From here the kiosk cannot reach the relay: what the visitor registers stays on it.
    proxy.set(Mode::Down);

    let store = relay.store.clone();
    let hr_url = relay_url.clone();
    tokio::task::spawn_blocking(move || {
        let rut = user(store.as_ref(), "rut", Role::Recruiter);
        user(store.as_ref(), "arvid", Role::Archivist);
        user(store.as_ref(), "anna", Role::Admin);
        let admin = Http::new(hr_url);
        let admin = admin.login("anna");
        let (status, body) = admin.post(
            &format!("/api/v1/users/{rut}/events"),
            json!({ "event_id": kiosk_core::demo::DEMO_EVENT_ID }),
        );
        assert_eq!(status, 200, "{body}");
    })
    .await
    .expect("HR users");

    // Between the script's "on its way" and its "received": let the kiosk sync, and check
    // HR sees the record in the talent pool (so the withdrawal's effect below can fail).
    let signals = tempfile::tempdir().expect("a folder for signals");
    let signal_dir = signals.path().to_path_buf();
    let between = {
        let (shell, proxy, relay_url, signal_dir) = (
            Arc::clone(&shell),
            Arc::clone(&proxy),
            relay_url.clone(),
            signal_dir.clone(),
        );
        tokio::spawn(async move {
            let seen = signal(&signal_dir, "seen-on-its-way");
            let until = Instant::now() + LIMIT;
            while !seen.exists() {
                assert!(
                    Instant::now() < until,
                    "the script never saw \"on its way\""
                );
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
            assert!(
                proxy.refused() > 0,
                "the kiosk tried to sync while cut off, so \"on its way\" was true"
            );
            proxy.set(Mode::Pass);
            let until = Instant::now() + BOUND;
            loop {
                let synced = kiosk_web::sync_loop::sync_once(&shell).await;
                if matches!(synced, Ok(Ok(_))) {
                    break;
                }
                assert!(
                    Instant::now() < until,
                    "the kiosk could not sync: {synced:?}"
                );
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
            let url = relay_url.clone();
            let id = tokio::task::spawn_blocking(move || record_id(&url))
                .await
                .expect("HR reads")
                .expect("the visitor's record reached the relay with the sync");
            let url = relay_url.clone();
            let (pool, exported) =
                tokio::task::spawn_blocking(move || talent_pool_as_hr_sees_it(&url))
                    .await
                    .expect("HR reads");
            assert!(
                pool.contains(&id),
                "the record is in the talent-pool list before the withdrawal"
            );
            assert!(
                exported,
                "the talent-pool export holds the record before the withdrawal"
            );
            std::fs::write(signal(&signal_dir, "synced"), b"").expect("the signal");
            id
        })
    };

    let web_url = format!("http://{address}");
    let (kiosk_relay, phone_relay) = (proxy.url(), relay_url.clone());
    let signal_env = signal_dir.display().to_string();
    tokio::task::spawn_blocking(move || {
        run_script(
            "visitor_receipt_from_the_kiosk.mjs",
            &[
                ("KIOSK_WEB_URL", web_url),
                ("KIOSK_RELAY_URL", phone_relay),
                ("KIOSK_ENROLLED_RELAY_URL", kiosk_relay),
                ("KIOSK_EVENT_NAME", "Karriärmässa Stockholm 2026".to_owned()),
                ("KIOSK_VISITOR_EMAIL", EMAIL.to_owned()),
                ("KIOSK_SIGNAL_DIR", signal_env),
            ],
            CHECKS,
            LIMIT,
        )
    })
    .await
    .expect("the browser run");
    let id = between.await.expect("the sync between the script's steps");

    // After the withdrawal: gone from the talent pool as HR sees it, and the access log
    // holds the visitor's own entries (look-ups and the withdrawal).
    let url = relay_url.clone();
    tokio::task::spawn_blocking(move || {
        let (pool, exported) = talent_pool_as_hr_sees_it(&url);
        assert!(!pool.contains(&id), "the record left the talent-pool list");
        assert!(!exported, "the record left the talent-pool export");
        let http = Http::new(url);
        let archivist = http.login("arvid");
        let (status, log) = archivist.get(&format!("/api/v1/access-log?record={id}"));
        assert_eq!(status, 200, "{log}");
        let visitors: Vec<&Value> = log["entries"]
            .as_array()
            .unwrap_or_else(|| panic!("entries: {log}"))
            .iter()
            .filter(|e| e["accessor_kind"] == "visitor")
            .collect();
        assert!(
            visitors.iter().any(|e| e["action"] == "read"),
            "the visitor's look-up is logged as theirs: {log}"
        );
        assert!(
            visitors.iter().any(|e| e["action"] == "change"),
            "the visitor's withdrawal is logged as theirs: {log}"
        );
    })
    .await
    .expect("HR checks the withdrawal");

    let _ = stop.send(());
    served
        .await
        .expect("the shell's task")
        .expect("the shell stops cleanly");
}
