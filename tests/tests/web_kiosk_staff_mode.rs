//! Staff mode at `/staff`, driven through the shell's router in-process against a real
//! relay: first setup enrolls, sets the PIN and closes; wrong PINs count down to the core's
//! delay and lockout and the PIN is never sent back; the right PIN opens staff mode, which
//! a visitor screen, "Lock" and idle time lock again; a stale token changes nothing; sync
//! now shows its progress, a failure and the last success; a revoked kiosk wipes itself
//! once everything has a receipt and a backup; a staff tablet's list, record, note, rating
//! and status round-trip to the relay. Every answer is `no-store`.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use kiosk_core::protocol::enrollment::EnrolledRole;
use kiosk_ffi::types::DeviceRole;
use kiosk_tests::FileRelay;
use kiosk_web::config::Config;
use kiosk_web::state::Shell;
use tower::ServiceExt;

/// The `Host` the shell answers to (its default listening address).
const HOST: &str = "127.0.0.1:8710";
const PIN: &str = "482915";
/// How long a poll waits for a background sync at most.
const POLL_LIMIT: Duration = Duration::from_secs(60);

/// Everything the shell, the ffi and the core log while these tests run, at every level.
fn logs() -> &'static Arc<Mutex<Vec<u8>>> {
    static LOGS: std::sync::OnceLock<Arc<Mutex<Vec<u8>>>> = std::sync::OnceLock::new();
    LOGS.get_or_init(|| {
        let logs = Arc::new(Mutex::new(Vec::new()));
        let sink = Arc::clone(&logs);
        let _ = tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::new(
                "kiosk_web=trace,kiosk_ffi=trace,kiosk_core=trace",
            ))
            .with_ansi(false)
            .with_writer(move || LogWriter(Arc::clone(&sink)))
            .try_init();
        logs
    })
}

/// Appends log lines to the shared buffer.
struct LogWriter(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for LogWriter {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().expect("logs").extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// One answer of the shell.
#[derive(Debug)]
struct Answer {
    status: StatusCode,
    location: Option<String>,
    body: String,
}

/// A web kiosk on a fresh data directory, driven through its router.
struct Kiosk {
    shell: Arc<Shell>,
    dir: tempfile::TempDir,
    /// Every answer's headers and body, to check what was never sent back.
    seen: Mutex<Vec<String>>,
}

impl Kiosk {
    fn new(role: DeviceRole, relay: Option<String>, staff_idle: Duration) -> Kiosk {
        Kiosk::in_dir(
            tempfile::tempdir().expect("tempdir"),
            role,
            relay,
            staff_idle,
        )
    }

    fn in_dir(
        dir: tempfile::TempDir,
        role: DeviceRole,
        relay: Option<String>,
        staff_idle: Duration,
    ) -> Kiosk {
        logs();
        let mut config = Config::new(dir.path().join("data"));
        config.relay_url = relay;
        config.staff_idle = staff_idle;
        let device = kiosk_web::open_device(&config, role).expect("the store opens");
        Kiosk {
            shell: Arc::new(Shell::new(device, config)),
            dir,
            seen: Mutex::new(Vec::new()),
        }
    }

    async fn request(&self, method: Method, path: &str, body: Option<String>) -> Answer {
        let mut request = Request::builder()
            .method(method)
            .uri(path)
            .header(header::HOST, HOST);
        if body.is_some() {
            request = request.header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
        }
        let request = request
            .body(body.map_or_else(Body::empty, Body::from))
            .expect("a request");
        let response = kiosk_web::router(Arc::clone(&self.shell))
            .oneshot(request)
            .await
            .expect("an answer");
        let status = response.status();
        let headers = response.headers().clone();
        assert_eq!(
            headers
                .get(header::CACHE_CONTROL)
                .and_then(|v| v.to_str().ok()),
            Some("no-store"),
            "{path}: every answer is kept by no cache"
        );
        let location = headers
            .get(header::LOCATION)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let bytes = axum::body::to_bytes(response.into_body(), 1 << 22)
            .await
            .expect("a body");
        let body = String::from_utf8(bytes.to_vec()).expect("utf-8");
        self.seen
            .lock()
            .expect("seen")
            .push(format!("{headers:?}\n{body}"));
        Answer {
            status,
            location,
            body,
        }
    }

    async fn get(&self, path: &str) -> Answer {
        self.request(Method::GET, path, None).await
    }

    async fn post(&self, path: &str, form: &[(&str, &str)]) -> Answer {
        let body = serde_urlencoded::to_string(form).expect("a form");
        self.request(Method::POST, path, Some(body)).await
    }

    /// Posts, and follows the answer's redirect (post-redirect-get).
    async fn post_then_get(&self, path: &str, form: &[(&str, &str)]) -> Answer {
        let answer = self.post(path, form).await;
        assert_eq!(
            answer.status,
            StatusCode::SEE_OTHER,
            "{path}: {}",
            answer.body
        );
        let to = answer.location.expect("a redirect names where");
        self.get(&to).await
    }

    /// The open staff session's token, from the staff page.
    async fn staff_token(&self) -> String {
        let page = self.get("/staff").await;
        value_of(&page.body, "token").expect("staff mode is open")
    }

    /// Enrolls with `text` and sets the PIN, through the setup page.
    async fn set_up(&self, text: &str) {
        let page = self
            .post_then_get("/staff/enroll", &[("code", text), ("lang", "en")])
            .await;
        assert!(page.body.contains("The kiosk is enrolled"), "{}", page.body);
        let page = self
            .post_then_get(
                "/staff/pin",
                &[("pin", PIN), ("pin_again", PIN), ("lang", "en")],
            )
            .await;
        assert!(page.body.contains("The PIN is saved"), "{}", page.body);
    }

    /// Opens staff mode and syncs once, which brings the event: the kiosk takes visitors.
    async fn ready(&self) -> String {
        let token = self.unlock().await;
        let page = self.sync_now(&token).await;
        assert!(page.body.contains("Stockholm Career Fair"), "{}", page.body);
        token
    }

    async fn unlock(&self) -> String {
        let page = self
            .post_then_get("/staff/unlock", &[("unlock_pin", PIN), ("lang", "en")])
            .await;
        assert!(page.body.contains("name=\"token\""), "{}", page.body);
        self.staff_token().await
    }

    /// Waits (bounded) until no sync runs.
    async fn sync_settled(&self) {
        let start = std::time::Instant::now();
        while self.shell.sync.snapshot().running {
            assert!(start.elapsed() < POLL_LIMIT, "the sync never ended");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// "Sync now", then the staff page once the sync ended.
    async fn sync_now(&self, token: &str) -> Answer {
        let answer = self
            .post("/staff/sync", &[("token", token), ("lang", "en")])
            .await;
        assert_eq!(answer.status, StatusCode::SEE_OTHER, "{}", answer.body);
        self.sync_settled().await;
        self.get("/staff?lang=en&auto=1").await
    }

    /// Registers one visitor through the visitor's screens; returns the receipt page.
    async fn register_visitor(&self, given_name: &str) -> Answer {
        let answer = self.post("/start", &[("lang", "en")]).await;
        assert_eq!(answer.location.as_deref(), Some("/form"), "{}", answer.body);
        let form = self.get("/form").await;
        let token = value_of(&form.body, "token").expect("the visit's token");
        let version = value_of(&form.body, "form_version").expect("the form's version");
        let interest = value_of(&form.body, "interests").expect("an interest area");
        let answer = self
            .post(
                "/form",
                &[
                    ("token", &token),
                    ("form_version", &version),
                    ("intent", "send"),
                    ("given_name", given_name),
                    ("family_name", "Berg"),
                    ("email", "asa.berg@example.se"),
                    ("interests", &interest),
                    ("privacy_notice_acknowledged", "yes"),
                ],
            )
            .await;
        assert_eq!(
            answer.location.as_deref(),
            Some("/thanks"),
            "{}",
            answer.body
        );
        self.get("/thanks").await
    }

    fn seen_anywhere(&self, text: &str) -> bool {
        self.seen
            .lock()
            .expect("seen")
            .iter()
            .any(|answer| answer.contains(text))
    }
}

/// The value of the first control named `name` on a page.
fn value_of(page: &str, name: &str) -> Option<String> {
    let marker = format!("name=\"{name}\" value=\"");
    let start = page.find(&marker)? + marker.len();
    let end = page[start..].find('"')?;
    Some(page[start..start + end].to_owned())
}

/// The enrollment QR text for a kiosk code of `relay`.
fn kiosk_qr_text(relay: &FileRelay) -> String {
    let code = relay.code(EnrolledRole::Kiosk, 5, 3_600_000);
    format!(
        "kiosk-enroll:v1?relay={}&code={}",
        relay.server.url(),
        code.display()
    )
}

/// A store in `dir` (as the shell keeps it) with [`PIN`] set and `failures` wrong PINs,
/// one a day, three weeks ago.
fn failed_long_ago(dir: &tempfile::TempDir, role: kiosk_core::device::DeviceRole, failures: u32) {
    use kiosk_core::ids::Timestamp;
    let config = Config::new(dir.path().join("data"));
    kiosk_web::config::create_data_dir(&config.data_dir).expect("data dir");
    let secrets = kiosk_core::secrets::FileSecretStore::new(config.secrets_dir());
    let device =
        kiosk_core::device::Device::open(&config.store_path(), &secrets, role).expect("opens");
    kiosk_core::staff::set_initial_pin(&device, PIN).expect("PIN set");
    let day = 86_400_000;
    let mut at = Timestamp(Timestamp::now().millis() - 21 * day);
    for _ in 0..failures {
        assert!(kiosk_core::staff::unlock(&device, "000111", at).is_err());
        at = Timestamp(at.millis() + day);
    }
}

const IDLE: Duration = Duration::from_secs(120);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn setup_enrolls_with_the_qr_text_sets_the_pin_twice_and_then_closes() {
    let relay = kiosk_tests::file_relay().await;
    // No relay address given: the QR text names it.
    let kiosk = Kiosk::new(DeviceRole::Kiosk, None, IDLE);

    let page = kiosk.get("/staff").await;
    assert!(
        page.body.contains("action=\"/staff/enroll\""),
        "{}",
        page.body
    );
    assert!(!page.body.contains("action=\"/staff/pin\""), "enroll first");

    // A code the relay does not know: the core's message, in Swedish (the default), tied
    // to the field, and the code is never shown back.
    let wrong = "AAAA-BBBB-CCCC-DDDD-EEEE";
    let page = kiosk
        .post_then_get(
            "/staff/enroll",
            &[(
                "code",
                &format!("kiosk-enroll:v1?relay={}&code={wrong}", relay.server.url()),
            )],
        )
        .await;
    assert!(page.body.contains("lang=\"sv\""));
    assert!(
        page.body.contains("class=\"error-summary\""),
        "{}",
        page.body
    );
    assert!(page.body.contains("aria-invalid=\"true\""));
    assert!(page.body.contains("id=\"error-code\""));
    // A bare code with no relay known: says where the address comes from.
    let page = kiosk
        .post_then_get("/staff/enroll", &[("code", wrong), ("lang", "en")])
        .await;
    assert!(
        page.body.contains("does not know the relay's address"),
        "{}",
        page.body
    );
    let page = kiosk
        .post_then_get(
            "/staff/enroll",
            &[("code", "kiosk-enroll:v2?x"), ("lang", "en")],
        )
        .await;
    assert!(
        page.body.contains("The QR text cannot be read"),
        "{}",
        page.body
    );
    assert!(
        !kiosk.seen_anywhere(wrong),
        "an enrollment code is never sent back"
    );

    let text = kiosk_qr_text(&relay);
    let page = kiosk
        .post_then_get("/staff/enroll", &[("code", &text), ("lang", "en")])
        .await;
    assert!(page.body.contains("The kiosk is enrolled"), "{}", page.body);
    assert!(page.body.contains("action=\"/staff/pin\""), "now the PIN");
    assert_eq!(kiosk.shell.relay_url(), Some(relay.server.url()));

    // The PIN typed twice: different, then not a PIN the core takes, then right.
    let page = kiosk
        .post_then_get(
            "/staff/pin",
            &[("pin", PIN), ("pin_again", "482916"), ("lang", "en")],
        )
        .await;
    assert!(page.body.contains("The two PINs differ"), "{}", page.body);
    assert!(page.body.contains("id=\"error-pin_again\""));
    let page = kiosk
        .post_then_get(
            "/staff/pin",
            &[("pin", "123456"), ("pin_again", "123456"), ("lang", "en")],
        )
        .await;
    assert!(page.body.contains("not a run like 123456"), "{}", page.body);
    let page = kiosk
        .post_then_get(
            "/staff/pin",
            &[("pin", PIN), ("pin_again", PIN), ("lang", "en")],
        )
        .await;
    assert!(page.body.contains("The PIN is saved"), "{}", page.body);
    assert!(
        page.body.contains("action=\"/staff/unlock\""),
        "setup is closed"
    );

    // Setup stays closed: neither enrolling nor a new PIN is taken without staff mode.
    let page = kiosk
        .post_then_get("/staff/enroll", &[("code", &text), ("lang", "en")])
        .await;
    assert!(page.body.contains("Setup is done already"), "{}", page.body);
    let other_pin = "908172";
    let page = kiosk
        .post_then_get(
            "/staff/pin",
            &[("pin", other_pin), ("pin_again", other_pin), ("lang", "en")],
        )
        .await;
    assert!(page.body.contains("Setup is done already"), "{}", page.body);
    let setup = kiosk.shell.device.setup_state().expect("setup");
    assert!(setup.enrolled && setup.staff_pin_set);
    kiosk.unlock().await;

    for secret in [PIN, other_pin, "482916", text.as_str()] {
        assert!(
            !kiosk.seen_anywhere(secret),
            "never sent back: a PIN or a code"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_pins_count_down_to_the_cores_delay_and_lockout_and_the_pin_is_never_sent_back() {
    let relay = kiosk_tests::file_relay().await;
    let kiosk = Kiosk::new(DeviceRole::Kiosk, None, IDLE);
    kiosk.set_up(&kiosk_qr_text(&relay)).await;

    let wrong = "731904";
    let mut expected = [(9, "0"), (8, "0"), (7, "5")].into_iter();
    for _ in 0..3 {
        let (left, delay) = expected.next().expect("three tries");
        let page = kiosk
            .post_then_get("/staff/unlock", &[("unlock_pin", wrong), ("lang", "en")])
            .await;
        assert!(
            page.body.contains(&format!(
                "Wrong PIN. {left} attempts left; next try in {delay} s."
            )),
            "{}",
            page.body
        );
        assert!(
            page.body
                .contains(&format!("<dd id=\"attempts-left\">{left}</dd>"))
        );
        assert!(page.body.contains("aria-invalid=\"true\""));
        assert!(
            !page.body.contains("name=\"token\""),
            "staff mode stays shut"
        );
    }
    assert!(
        kiosk
            .get("/staff")
            .await
            .body
            .contains("action=\"/staff/unlock\"")
    );
    // Within the core's delay even the right PIN is not tried.
    let page = kiosk
        .post_then_get("/staff/unlock", &[("unlock_pin", PIN), ("lang", "sv")])
        .await;
    assert!(page.body.contains("Vänta "), "{}", page.body);
    assert!(page.body.contains("id=\"retry-after\""), "{}", page.body);
    assert!(!page.body.contains("name=\"token\""));
    // A post no staff page sends is refused whole, before the core is asked.
    let garbage = kiosk
        .post(
            "/staff/unlock",
            &[("unlock_pin", PIN), ("lang", "en"), ("admin", "1")],
        )
        .await;
    assert_eq!(garbage.status, StatusCode::BAD_REQUEST);
    // In the language staff chose last (Swedish, just above): the post itself is not read.
    assert!(garbage.body.contains("Inget ändrades"), "{}", garbage.body);
    for pin in [PIN, wrong] {
        assert!(!kiosk.seen_anywhere(pin), "a PIN is never sent back");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_locked_out_pin_refuses_even_the_right_pin_and_says_to_ask_hr() {
    let relay = kiosk_tests::file_relay().await;
    let dir = tempfile::tempdir().expect("tempdir");
    // Nine failures long ago (the ffi has no clock to move; the core takes one): the delays
    // are over, one more wrong PIN locks the PIN out.
    failed_long_ago(&dir, kiosk_core::device::DeviceRole::Kiosk, 9);
    let kiosk = Kiosk::in_dir(dir, DeviceRole::Kiosk, None, IDLE);
    let page = kiosk
        .post_then_get(
            "/staff/enroll",
            &[("code", &kiosk_qr_text(&relay)), ("lang", "en")],
        )
        .await;
    assert!(page.body.contains("The kiosk is enrolled"), "{}", page.body);
    let page = kiosk.get("/staff?lang=en").await;
    assert!(
        page.body.contains("action=\"/staff/unlock\""),
        "setup closed: PIN set and enrolled"
    );

    let page = kiosk
        .post_then_get("/staff/unlock", &[("unlock_pin", "000111"), ("lang", "en")])
        .await;
    assert!(page.body.contains("The PIN is locked"), "{}", page.body);
    let page = kiosk
        .post_then_get("/staff/unlock", &[("unlock_pin", PIN), ("lang", "en")])
        .await;
    assert!(
        page.body.contains("Ask HR for an unlock code"),
        "{}",
        page.body
    );
    assert!(
        !page.body.contains("name=\"token\""),
        "locked out: staff mode stays shut"
    );
    assert!(!kiosk.seen_anywhere(PIN) && !kiosk.seen_anywhere("000111"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_right_pin_opens_staff_mode_and_a_visitor_screen_lock_and_a_stale_token_shut_it() {
    let relay = kiosk_tests::file_relay().await;
    let kiosk = Kiosk::new(DeviceRole::Kiosk, None, IDLE);
    kiosk.set_up(&kiosk_qr_text(&relay)).await;

    let token = kiosk.ready().await;
    let page = kiosk.get("/staff?lang=en").await;
    assert!(page.body.contains("Captured"), "{}", page.body);
    assert!(
        page.body.contains("The journal verifies: 0 entries"),
        "{}",
        page.body
    );
    assert!(page.body.contains("/assets/idle.js"), "the idle lock runs");
    assert!(page.body.contains("data-end-url=\"/staff/lock\""));
    assert!(
        !page.body.contains("data-ask-after-ms"),
        "staff mode only locks, never asks"
    );
    assert!(
        page.body
            .contains("<noscript><meta http-equiv=\"refresh\" content=\"123;")
    );
    assert_eq!(
        kiosk
            .post("/staff/activity", &[("token", &token)])
            .await
            .status,
        StatusCode::NO_CONTENT
    );

    // A visitor screen locks staff mode: the page's token is stale from then on.
    let welcome = kiosk.get("/").await;
    assert_eq!(welcome.status, StatusCode::OK);
    let refused = kiosk
        .post("/staff/sync", &[("token", &token), ("lang", "en")])
        .await;
    assert_eq!(refused.status, StatusCode::CONFLICT);
    assert!(
        refused.body.contains("Staff mode is locked"),
        "{}",
        refused.body
    );
    assert!(refused.body.contains("Enter the PIN"));
    assert!(
        !kiosk.shell.sync.snapshot().running,
        "a stale token changed nothing"
    );
    assert_eq!(
        kiosk
            .post("/staff/activity", &[("token", &token)])
            .await
            .status,
        StatusCode::CONFLICT,
        "the idle script hears that the session is gone"
    );
    assert!(
        kiosk
            .get("/staff")
            .await
            .body
            .contains("action=\"/staff/unlock\"")
    );

    // "Lock" ends it too; a made-up token opens nothing.
    let token = kiosk.unlock().await;
    let bogus = kiosk
        .post(
            "/staff/wipe",
            &[("token", "0123456789abcdef0123456789abcdef")],
        )
        .await;
    assert_eq!(bogus.status, StatusCode::CONFLICT);
    let page = kiosk
        .post_then_get("/staff/lock", &[("token", &token), ("lang", "en")])
        .await;
    assert!(
        page.body.contains("action=\"/staff/unlock\""),
        "{}",
        page.body
    );
    assert_eq!(
        kiosk
            .post("/staff/sync", &[("token", &token), ("lang", "en")])
            .await
            .status,
        StatusCode::CONFLICT
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn staff_mode_left_idle_past_the_limit_is_locked() {
    let relay = kiosk_tests::file_relay().await;
    // A limit of zero: idle past it by the next request.
    let kiosk = Kiosk::new(DeviceRole::Kiosk, None, Duration::ZERO);
    kiosk.set_up(&kiosk_qr_text(&relay)).await;
    let page = kiosk
        .post_then_get("/staff/unlock", &[("unlock_pin", PIN), ("lang", "en")])
        .await;
    assert!(
        page.body.contains("action=\"/staff/unlock\""),
        "{}",
        page.body
    );
    assert!(
        kiosk.shell.staff.lock().await.is_none(),
        "locked by idle time"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sync_now_shows_its_progress_a_failure_and_then_the_last_success() {
    let relay = kiosk_tests::file_relay().await;
    let kiosk = Kiosk::new(DeviceRole::Kiosk, None, IDLE);
    kiosk.set_up(&kiosk_qr_text(&relay)).await;
    kiosk.ready().await;
    let receipt = kiosk.register_visitor("Åsa").await;
    assert!(receipt.body.contains("receipt-code"), "{}", receipt.body);

    let token = kiosk.unlock().await;
    let page = kiosk.get("/staff?lang=en").await;
    assert!(
        page.body.contains("<dd id=\"count-captured\">1</dd>"),
        "{}",
        page.body
    );
    assert!(page.body.contains("Not safe to hand back"), "{}", page.body);
    assert!(
        page.body.contains("1 unsent registration(s)"),
        "{}",
        page.body
    );
    assert!(
        !page.body.contains("Åsa"),
        "a kiosk's staff mode shows counts, never a visitor"
    );

    // A relay that takes the connection and never answers: the sync runs, and the page
    // shows it and reloads itself (no script) until it ends.
    let silent = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let silent_url = format!("http://{}", silent.local_addr().expect("address"));
    *kiosk.shell.relay_url.lock().expect("relay url") = Some(silent_url);
    let answer = kiosk
        .post("/staff/sync", &[("token", &token), ("lang", "en")])
        .await;
    assert_eq!(answer.status, StatusCode::SEE_OTHER);
    let (connection, _) = silent.accept().await.expect("the sync connects");
    let page = kiosk.get("/staff?lang=en&auto=1").await;
    assert!(page.body.contains("Syncing…"), "{}", page.body);
    // Reloaded each second: by the page's script, or without script by a refresh that
    // only a browser running no script sees (a timed refresh is a time limit otherwise).
    assert!(
        page.body.contains(
            "<noscript><meta http-equiv=\"refresh\" content=\"1;url=/staff?lang=en&amp;auto=1\"></noscript>"
        ),
        "{}",
        page.body
    );
    assert!(
        page.body
            .contains("data-reload-after-ms=\"1000\" data-reload-to=\"/staff?lang=en&amp;auto=1\""),
        "{}",
        page.body
    );
    assert!(page.body.contains("disabled"), "one sync at a time");
    drop(connection);
    drop(silent);
    kiosk.sync_settled().await;
    let page = kiosk.get("/staff?lang=en&auto=1").await;
    assert!(
        page.body.contains("The last attempt failed"),
        "{}",
        page.body
    );
    assert!(page.body.contains("Last succeeded"), "{}", page.body);

    *kiosk.shell.relay_url.lock().expect("relay url") = Some(relay.server.url());
    let page = kiosk.sync_now(&token).await;
    assert!(
        !page.body.contains("The last attempt failed"),
        "{}",
        page.body
    );
    assert!(
        page.body.contains("<dd id=\"count-received\">1</dd>"),
        "{}",
        page.body
    );
    assert!(page.body.contains("✓ Safe to hand back"), "{}", page.body);
    assert!(page.body.contains("1 receipted"), "{}", page.body);
    let last_ok = kiosk
        .shell
        .device
        .setup_state()
        .expect("setup")
        .last_sync_ok_at_ms
        .expect("a success kept");
    let shown = page
        .body
        .split("id=\"last-sync-ok\">")
        .nth(1)
        .and_then(|rest| rest.split('<').next())
        .expect("the last success is shown");
    assert!(
        shown.ends_with(" UTC") && shown.starts_with("20"),
        "{shown}"
    );
    assert!(last_ok > 0);
    assert!(
        page.body.contains("The journal verifies: 1 entries"),
        "{}",
        page.body
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_revoked_kiosk_shows_the_wipe_waits_for_a_backup_and_then_wipes_itself() {
    // SQLite-only: the wipe waits for the relay's backup, and `backup` copies the SQLite
    // file (on PostgreSQL the operator's own tools back the database up).
    let relay = kiosk_tests::file_relay_on(kiosk_tests::Backend::Sqlite).await;
    let kiosk = Kiosk::new(DeviceRole::Kiosk, None, IDLE);
    kiosk.set_up(&kiosk_qr_text(&relay)).await;
    kiosk.ready().await;
    kiosk.register_visitor("Åsa").await;
    let token = kiosk.unlock().await;
    kiosk.sync_now(&token).await;

    let key: [u8; 32] = hex::decode(kiosk.shell.device.device_id().expect("id"))
        .expect("hex")
        .try_into()
        .expect("32 bytes");
    assert!(
        relay
            .store
            .revoke_device(&key, kiosk_sync_server::now_ms())
            .expect("revokes")
    );
    let page = kiosk.sync_now(&token).await;
    assert!(page.body.contains("Wipe ordered"), "{}", page.body);
    assert!(
        page.body
            .contains("The wipe waits for: 0 without a receipt, 1 not yet in the relay's backup."),
        "{}",
        page.body
    );
    assert!(
        kiosk
            .shell
            .device
            .setup_state()
            .expect("not wiped yet")
            .wipe_ordered
    );
    // Pressed now, it still waits: nothing a backup lacks is erased.
    let page = kiosk
        .post_then_get("/staff/wipe", &[("token", &token), ("lang", "en")])
        .await;
    assert!(page.body.contains("The wipe waits for"), "{}", page.body);

    let backups = tempfile::tempdir().expect("tempdir");
    relay
        .sqlite()
        .backup(&backups.path().join("relay-backup.sqlite3"))
        .expect("backs up");
    // The sync that learns of the backup erases the sealed copy, and the wipe follows by
    // itself.
    let answer = kiosk
        .post("/staff/sync", &[("token", &token), ("lang", "en")])
        .await;
    assert_eq!(answer.status, StatusCode::SEE_OTHER);
    kiosk.sync_settled().await;
    let page = kiosk.get("/staff?lang=en").await;
    assert!(page.body.contains("This tablet is wiped"), "{}", page.body);
    assert!(
        kiosk.shell.staff.lock().await.is_none(),
        "staff mode ended with the wipe"
    );
    assert!(!kiosk.dir.path().join("data").join("kiosk.sqlite3").exists());
    let welcome = kiosk.get("/?lang=en").await;
    assert_eq!(welcome.status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(welcome.body.contains("not ready"), "{}", welcome.body);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_staff_tablet_lists_a_record_and_its_note_rating_and_status_reach_the_relay() {
    let relay = kiosk_tests::file_relay().await;
    let kiosk = Kiosk::new(DeviceRole::Kiosk, None, IDLE);
    kiosk.set_up(&kiosk_qr_text(&relay)).await;
    kiosk.ready().await;
    kiosk.register_visitor("Åsa").await;
    let kiosk_token = kiosk.unlock().await;
    kiosk.sync_now(&kiosk_token).await;

    let tablet = Kiosk::new(DeviceRole::Staff, Some(relay.server.url()), IDLE);
    let code = kiosk_tests::staff_code(relay.store.as_ref(), "anna");
    tablet.set_up(&code.display()).await;
    let token = tablet.unlock().await;
    let page = tablet.sync_now(&token).await;
    assert!(page.body.contains("Staff tablet"), "{}", page.body);
    assert!(page.body.contains("1 pulled"), "{}", page.body);
    assert!(page.body.contains("Åsa Berg"), "{}", page.body);
    let link_start = page
        .body
        .find("/staff/records/")
        .expect("a link to the record");
    let link = &page.body[link_start..];
    let path = &link[..link.find('?').expect("with the language")];

    let record = tablet.get(&format!("{path}?lang=en")).await;
    assert_eq!(record.status, StatusCode::OK);
    assert!(
        record.body.contains("asa.berg@example.se"),
        "{}",
        record.body
    );
    assert!(
        record.body.contains("<title>Registration"),
        "no name in the title"
    );
    assert!(
        record.body.contains("Migration officer (permit units)"),
        "interest areas by the event's labels: {}",
        record.body
    );
    assert!(record.body.contains("No notes."));

    let note = "Ring tillbaka på måndag";
    let page = tablet
        .post_then_get(
            &format!("{path}/note"),
            &[("token", &token), ("lang", "en"), ("note", note)],
        )
        .await;
    assert!(page.body.contains("The note is saved"), "{}", page.body);
    assert!(page.body.contains(note));
    assert!(
        page.body.contains("anna, "),
        "the note is in the recruiter's name"
    );
    let page = tablet
        .post_then_get(
            &format!("{path}/note"),
            &[("token", &token), ("lang", "en"), ("note", "  ")],
        )
        .await;
    assert!(
        page.body.contains("Write something in the note"),
        "{}",
        page.body
    );
    assert!(page.body.contains("id=\"error-note\""));

    let page = tablet
        .post_then_get(
            &format!("{path}/rating"),
            &[("token", &token), ("lang", "en"), ("score", "4")],
        )
        .await;
    assert!(page.body.contains("anna: 4"), "{}", page.body);
    let page = tablet
        .post_then_get(
            &format!("{path}/rating"),
            &[("token", &token), ("lang", "en"), ("score", "9")],
        )
        .await;
    assert!(
        page.body.contains("Choose a rating from 1 to 5"),
        "{}",
        page.body
    );
    let page = tablet
        .post_then_get(
            &format!("{path}/rating"),
            &[("token", &token), ("lang", "en"), ("clear", "yes")],
        )
        .await;
    assert!(page.body.contains("No ratings."), "{}", page.body);
    let page = tablet
        .post_then_get(
            &format!("{path}/rating"),
            &[("token", &token), ("lang", "en"), ("score", "5")],
        )
        .await;
    assert!(page.body.contains("anna: 5"), "{}", page.body);

    let page = tablet
        .post_then_get(
            &format!("{path}/status"),
            &[("token", &token), ("lang", "en"), ("status", "shortlisted")],
        )
        .await;
    assert!(
        page.body
            .contains("<dd id=\"record-status\">Shortlisted</dd>"),
        "{}",
        page.body
    );
    assert!(
        page.body.contains("have not reached the relay yet"),
        "{}",
        page.body
    );

    // A stale token edits nothing.
    let refused = tablet
        .post(
            &format!("{path}/note"),
            &[("token", "stale"), ("lang", "en"), ("note", "x")],
        )
        .await;
    assert_eq!(refused.status, StatusCode::CONFLICT);

    let page = tablet.sync_now(&token).await;
    assert!(
        !page.body.contains("The last attempt failed"),
        "{}",
        page.body
    );
    let summary = tablet.shell.sync.snapshot().last_summary.expect("synced");
    assert!(summary.edits_stored >= 1, "{summary:?}");
    let record = tablet.get(&format!("{path}?lang=en")).await;
    assert!(
        !record.body.contains("have not reached the relay yet"),
        "{}",
        record.body
    );
    assert!(record.body.contains(note));

    // An unknown record is a page that says so, not an error of the server.
    let missing = tablet
        .get("/staff/records/0190aaaa-0000-7000-8000-000000000000?lang=en")
        .await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    let garbage = tablet.get("/staff/records/%3Cscript%3E?lang=en").await;
    assert_eq!(garbage.status, StatusCode::NOT_FOUND);
    // An edit of a record id no registration can have (a line break, meant for the
    // redirect's `Location`) goes back to the list, changing nothing.
    for (path, control, value) in [
        ("/staff/records/%0Aevil/note", "note", "x"),
        ("/staff/records/%3Cscript%3E/rating", "score", "3"),
        ("/staff/records/x%0D%0AX-Evil:1/status", "status", "hired"),
    ] {
        let answer = tablet
            .post(path, &[("token", &token), ("lang", "en"), (control, value)])
            .await;
        assert_eq!(
            answer.status,
            StatusCode::SEE_OTHER,
            "{path}: {}",
            answer.body
        );
        assert_eq!(answer.location.as_deref(), Some("/staff?lang=en"), "{path}");
    }

    // Personal data is shown behind the PIN and nowhere else: not in any log line.
    let logged = String::from_utf8_lossy(&logs().lock().expect("logs")).into_owned();
    assert!(
        logged.contains("staff mode opened"),
        "the logs were captured"
    );
    for personal in ["Åsa", "asa.berg@example.se", note, PIN] {
        assert!(!logged.contains(personal), "{personal:?} was logged");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_locked_out_staff_tablet_reopens_with_hrs_unlock_and_a_new_pin() {
    let relay = kiosk_tests::file_relay().await;
    let dir = tempfile::tempdir().expect("tempdir");
    failed_long_ago(
        &dir,
        kiosk_core::device::DeviceRole::Staff,
        kiosk_core::staff::MAX_FAILURES,
    );
    let tablet = Kiosk::in_dir(dir, DeviceRole::Staff, Some(relay.server.url()), IDLE);
    let code = kiosk_tests::staff_code(relay.store.as_ref(), "anna");
    let page = tablet
        .post_then_get(
            "/staff/enroll",
            &[("code", &code.display()), ("lang", "en")],
        )
        .await;
    assert!(page.body.contains("The kiosk is enrolled"), "{}", page.body);
    let page = tablet
        .post_then_get("/staff/unlock", &[("unlock_pin", PIN), ("lang", "en")])
        .await;
    assert!(page.body.contains("The PIN is locked"), "{}", page.body);
    assert!(
        page.body.contains("<details id=\"hr-unlock\" open>"),
        "{}",
        page.body
    );

    // Nothing from HR yet: the core says so, tied to the code field.
    let new_pin = "640213";
    let page = tablet
        .post_then_get(
            "/staff/unlock-code",
            &[
                ("unlock_code", ""),
                ("new_pin", new_pin),
                ("new_pin_again", new_pin),
                ("lang", "en"),
            ],
        )
        .await;
    assert!(
        page.body.contains("id=\"error-unlock_code\""),
        "{}",
        page.body
    );
    assert!(!page.body.contains("name=\"token\""));

    // HR signs an unlock; background sync (locked out, the tablet still syncs) brings it.
    let key: [u8; 32] = hex::decode(tablet.shell.device.device_id().expect("id"))
        .expect("hex")
        .try_into()
        .expect("32 bytes");
    // Store calls block: off the async threads.
    kiosk_tests::off_runtime(|| {
        relay
            .store
            .issue_staff_unlock(&key, kiosk_sync_server::now_ms())
            .expect("issues")
            .expect("a staff tablet")
    });
    let summary = kiosk_web::sync_loop::sync_once(&tablet.shell)
        .await
        .expect("started")
        .expect("synced");
    assert!(summary.unlock_received);
    let page = tablet
        .post_then_get(
            "/staff/unlock-code",
            &[
                ("unlock_code", ""),
                ("new_pin", new_pin),
                ("new_pin_again", new_pin),
                ("lang", "en"),
            ],
        )
        .await;
    assert!(
        page.body.contains("name=\"token\""),
        "staff mode open: {}",
        page.body
    );

    // Inside staff mode the PIN can be changed; the new one opens staff mode next time.
    let token = tablet.staff_token().await;
    let changed = "573920";
    let page = tablet
        .post_then_get(
            "/staff/change-pin",
            &[
                ("token", &token),
                ("lang", "en"),
                ("pin", changed),
                ("pin_again", "573921"),
            ],
        )
        .await;
    assert!(page.body.contains("The two PINs differ"), "{}", page.body);
    let page = tablet
        .post_then_get(
            "/staff/change-pin",
            &[
                ("token", &token),
                ("lang", "en"),
                ("pin", changed),
                ("pin_again", changed),
            ],
        )
        .await;
    assert!(page.body.contains("The PIN is changed"), "{}", page.body);
    tablet
        .post_then_get("/staff/lock", &[("token", &token), ("lang", "en")])
        .await;
    let page = tablet
        .post_then_get("/staff/unlock", &[("unlock_pin", changed), ("lang", "en")])
        .await;
    assert!(page.body.contains("name=\"token\""), "{}", page.body);
    for secret in [PIN, new_pin, changed, "573921"] {
        assert!(!tablet.seen_anywhere(secret), "a PIN is never sent back");
    }
}

/// A tablet that found the relay's log forked says so first on the staff page, loudly and
/// in both languages, with the evidence to copy for IT/security; it is not safe to hand
/// back, and "Sync now" is refused on the tablet with the same words. (The fork itself is
/// found by the core's checks, tested in `tablet_checks_the_relays_log`; here the evidence
/// is written into the tablet's store as the core keeps it.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tablet_that_saw_the_relays_log_fork_says_so_loudly_and_shows_the_evidence() {
    let relay = kiosk_tests::file_relay().await;
    let kiosk = Kiosk::new(DeviceRole::Kiosk, None, IDLE);
    kiosk.set_up(&kiosk_qr_text(&relay)).await;
    let token = kiosk.ready().await;
    let page = kiosk.get("/staff?lang=en").await;
    assert!(!page.body.contains("id=\"log-fork\""), "{}", page.body);

    let evidence = kiosk_core::sync::ForkEvidence {
        detected_at: 1_773_310_000_000,
        code: "different_root".into(),
        detail: "another root for the same 7 leaves: the log was rewritten".into(),
        log_key: None,
        held_checkpoint: Some("relay.test/log\n7\nAAAA\n\n— relay.test/log AAAA\n".into()),
        new_checkpoint: Some("relay.test/log\n7\nBBBB\n\n— relay.test/log BBBB\n".into()),
        consistency: Vec::new(),
        inclusion: None,
        push_doc_id: None,
        push_changes: Vec::new(),
        cosigned_checkpoint: None,
        answer: None,
    };
    let store = kiosk.shell.config.store_path();
    let conn = rusqlite::Connection::open(&store).expect("opens");
    conn.execute(
        "INSERT INTO meta (key, value) VALUES ('log_fork', ?1)",
        [kiosk_core::cbor::to_vec(&evidence)],
    )
    .expect("kept");
    drop(conn);

    for (lang, alert, not_safe, evidence_label) in [
        (
            "sv",
            "Reläet visar en annan historik än tidigare",
            "Inte klar att lämnas tillbaka",
            "Bevis för IT/säkerhet",
        ),
        (
            "en",
            "The relay shows a different history than before",
            "Not safe to hand back",
            "Evidence for IT/security",
        ),
    ] {
        let page = kiosk.get(&format!("/staff?lang={lang}")).await;
        let body = &page.body;
        let panel = body.find("id=\"log-fork\"").expect("the fork panel");
        assert!(
            panel
                < body
                    .find("id=\"device-heading\"")
                    .expect("the device section"),
            "first on the page"
        );
        assert!(body.contains("role=\"alert\""), "{body}");
        assert!(body.contains(alert), "{body}");
        assert!(body.contains(not_safe), "{body}");
        assert!(body.contains(evidence_label), "{body}");
        assert!(body.contains("reason: different_root"), "{body}");
    }
    let page = kiosk.sync_now(&token).await;
    assert!(
        page.body.contains("The last attempt failed"),
        "{}",
        page.body
    );
    assert!(
        page.body
            .contains("the relay shows a different history than before"),
        "{}",
        page.body
    );
}

/// A tablet that saw the relay's log go back in a restore no witness confirmed says so on
/// the staff page in both languages (from how many entries to how many, records re-sent,
/// tell IT/security); it is not safe to hand back until staff press the acknowledge
/// button, after which the panel is gone. (The restore itself is found by the core's
/// checks, tested in `sync::log_tests`; here the record is written into the tablet's store
/// as the core keeps it.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_relay_restore_is_shown_to_staff_until_they_acknowledge_it() {
    let relay = kiosk_tests::file_relay().await;
    let kiosk = Kiosk::new(DeviceRole::Kiosk, None, IDLE);
    kiosk.set_up(&kiosk_qr_text(&relay)).await;
    let token = kiosk.ready().await;
    let page = kiosk.get("/staff?lang=en").await;
    assert!(!page.body.contains("id=\"log-restore\""), "{}", page.body);

    let restore = kiosk_core::sync::LogRestore {
        from: 40,
        to: 25,
        at: 1_773_310_000_000,
    };
    let store = kiosk.shell.config.store_path();
    let conn = rusqlite::Connection::open(&store).expect("opens");
    conn.execute(
        "INSERT INTO meta (key, value) VALUES ('log_restore', ?1)",
        [kiosk_core::cbor::to_vec(&restore)],
    )
    .expect("kept");
    drop(conn);

    for (lang, heading, words, not_safe) in [
        (
            "sv",
            "Reläet har återställts från en säkerhetskopia",
            "gick tillbaka från 40 till 25 poster",
            "Inte klar att lämnas tillbaka",
        ),
        (
            "en",
            "The relay was restored from a backup",
            "went back from 40 to 25 entries",
            "Not safe to hand back",
        ),
    ] {
        let page = kiosk.get(&format!("/staff?lang={lang}")).await;
        let body = &page.body;
        assert!(body.contains("id=\"log-restore\""), "{body}");
        assert!(body.contains(heading), "{body}");
        assert!(body.contains(words), "{body}");
        assert!(body.contains(not_safe), "{body}");
        assert!(body.contains("action=\"/staff/log-restore\""), "{body}");
    }
    let shown_at = restore.at.to_string();
    assert!(
        kiosk
            .get("/staff?lang=en")
            .await
            .body
            .contains(&format!("name=\"restore_at\" value=\"{shown_at}\"")),
        "the form names the restore it shows"
    );
    // Without the staff session's token nothing is acknowledged.
    let refused = kiosk
        .post(
            "/staff/log-restore",
            &[("lang", "en"), ("restore_at", &shown_at)],
        )
        .await;
    assert_eq!(refused.status, StatusCode::CONFLICT, "{}", refused.body);
    assert!(
        kiosk
            .get("/staff?lang=en")
            .await
            .body
            .contains("id=\"log-restore\""),
        "still shown"
    );
    let page = kiosk
        .post_then_get(
            "/staff/log-restore",
            &[("token", &token), ("lang", "en"), ("restore_at", &shown_at)],
        )
        .await;
    assert!(
        page.body.contains("The restore is acknowledged."),
        "{}",
        page.body
    );
    assert!(!page.body.contains("id=\"log-restore\""), "{}", page.body);
    assert!(
        !page.body.contains("went back from 40 to 25"),
        "{}",
        page.body
    );
}

/// A restore merged in after the staff page was drawn is not acknowledged by the button
/// pressed on the old page: the page shows the new one.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acknowledging_a_restore_clears_only_the_one_staff_were_shown() {
    let relay = kiosk_tests::file_relay().await;
    let kiosk = Kiosk::new(DeviceRole::Kiosk, None, IDLE);
    kiosk.set_up(&kiosk_qr_text(&relay)).await;
    let token = kiosk.ready().await;
    let store = kiosk.shell.config.store_path();
    let keep = |restore: kiosk_core::sync::LogRestore| {
        let conn = rusqlite::Connection::open(&store).expect("opens");
        conn.execute(
            "INSERT OR REPLACE INTO meta (key, value) VALUES ('log_restore', ?1)",
            [kiosk_core::cbor::to_vec(&restore)],
        )
        .expect("kept");
    };
    keep(kiosk_core::sync::LogRestore {
        from: 40,
        to: 25,
        at: 1_773_310_000_000,
    });
    let shown = kiosk.get("/staff?lang=en").await;
    assert!(
        shown.body.contains("went back from 40 to 25"),
        "{}",
        shown.body
    );
    // Another sync merged a further restore in before staff pressed the button.
    keep(kiosk_core::sync::LogRestore {
        from: 40,
        to: 12,
        at: 1_773_310_060_000,
    });
    let page = kiosk
        .post_then_get(
            "/staff/log-restore",
            &[
                ("token", &token),
                ("lang", "en"),
                ("restore_at", "1773310000000"),
            ],
        )
        .await;
    assert!(
        page.body.contains("Nothing was acknowledged"),
        "{}",
        page.body
    );
    assert!(page.body.contains("id=\"log-restore\""), "{}", page.body);
    assert!(
        page.body.contains("went back from 40 to 12"),
        "{}",
        page.body
    );
}

/// A witness's verifier key (C2SP vkey text), as IT hands it to staff.
fn witness_vkey(name: &str, seed: u8) -> String {
    kiosk_core::tlog::cosignature::CosignatureSigner::new(
        name,
        &ed25519_dalek::SigningKey::from_bytes(&[seed; 32]),
    )
    .expect("a witness")
    .verifier()
    .to_string()
}

/// Staff set the witnesses the tablet requires in a form of the staff home (as the CLI's
/// `require-witnesses` does): only in the open session; none, a key the core cannot read
/// (named by its line, blank lines counted) or more than 16 are refused in both languages,
/// marked on the field, and change nothing; keys pasted with blank lines and spaces are
/// taken, and the form then shows the ones required; sent back unchanged it keeps the
/// witnessed tree; witnesses the store cannot read show an error and no form.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn staff_set_the_required_witnesses_in_a_form_that_refuses_keys_it_cannot_read() {
    let relay = kiosk_tests::file_relay().await;
    let kiosk = Kiosk::new(DeviceRole::Kiosk, None, IDLE);
    kiosk.set_up(&kiosk_qr_text(&relay)).await;
    let token = kiosk.unlock().await;
    let page = kiosk.get("/staff?lang=en").await;
    assert!(
        page.body.contains("action=\"/staff/witnesses\""),
        "{}",
        page.body
    );
    assert!(
        page.body.contains("This tablet requires no witnesses now."),
        "{}",
        page.body
    );
    let (first, second) = (
        witness_vkey("witness.example/one", 5),
        witness_vkey("witness.example/two", 6),
    );
    let post = |lang: &'static str, keys: String, token: Option<String>| {
        let kiosk = &kiosk;
        async move {
            let mut form = vec![("lang", lang.to_owned()), ("witness_keys", keys)];
            if let Some(token) = token {
                form.push(("token", token));
            }
            let form: Vec<(&str, &str)> = form.iter().map(|(n, v)| (*n, v.as_str())).collect();
            kiosk.post("/staff/witnesses", &form).await
        }
    };
    // Without the session's token nothing is set.
    let refused = post("en", first.clone(), None).await;
    assert_eq!(refused.status, StatusCode::CONFLICT, "{}", refused.body);
    let many: Vec<String> = (0..17)
        .map(|n| witness_vkey(&format!("witness.example/w{n}"), n + 10))
        .collect();
    for (lang, keys, words) in [
        ("en", "  \n\n".to_owned(), "no key was given"),
        ("sv", String::new(), "ingen nyckel angavs"),
        (
            "en",
            format!("{first}\nwitness.example/two+0000"),
            "key 2 is not a witness verifier key",
        ),
        (
            "sv",
            format!("not a key\n{first}"),
            "nyckel 1 är inte ett vittnes verifieringsnyckel",
        ),
        (
            "en",
            many.join("\n"),
            "17 keys were given, at most 16 can be required",
        ),
    ] {
        let answer = post(lang, keys, Some(token.clone())).await;
        assert_eq!(answer.status, StatusCode::SEE_OTHER, "{}", answer.body);
        let to = answer.location.expect("a redirect");
        let page = kiosk.get(&to).await;
        assert!(page.body.contains(words), "{lang} {words}: {}", page.body);
        assert!(
            page.body.contains("id=\"error-witness_keys\""),
            "{}",
            page.body
        );
        assert!(page.body.contains("aria-invalid=\"true\""), "{}", page.body);
        let page = kiosk.get(&format!("/staff?lang={lang}")).await;
        assert!(
            page.body.contains("requires no witnesses now")
                || page.body.contains("kräver inga vittnen nu"),
            "nothing was set: {}",
            page.body
        );
    }
    let answer = post(
        "en",
        format!("\n  {first}  \n\n{second}\n"),
        Some(token.clone()),
    )
    .await;
    let page = kiosk.get(&answer.location.expect("a redirect")).await;
    assert!(
        page.body.contains("The witnesses are saved"),
        "{}",
        page.body
    );
    assert!(
        !page.body.contains("requires no witnesses now"),
        "{}",
        page.body
    );
    assert!(
        page.body.contains(&format!("{first}\n{second}</textarea>")),
        "the form shows the keys required, in order: {}",
        page.body
    );
    let sv = kiosk.get("/staff?lang=sv").await;
    assert!(
        sv.body
            .contains("<h2 id=\"witnesses-heading\">Vittnen</h2>"),
        "{}",
        sv.body
    );
    assert!(
        sv.body.contains(
            "<label for=\"witness_keys\">Vittnenas verifieringsnycklar, en per rad</label>"
        ),
        "{}",
        sv.body
    );
    // The form sent back unchanged (or reordered) keeps the witnessed tree: the next
    // restore still needs the witnesses' confirmation.
    let store = rusqlite::Connection::open(kiosk.dir.path().join("data/kiosk.sqlite3"))
        .expect("the store opens");
    let witnessed = "a witnessed checkpoint".as_bytes();
    store
        .execute(
            "INSERT OR REPLACE INTO meta (key, value) VALUES ('log_witnessed_checkpoint', ?1)",
            [witnessed],
        )
        .expect("written");
    let answer = post("en", format!("{second}\n{first}"), Some(token.clone())).await;
    let page = kiosk.get(&answer.location.expect("a redirect")).await;
    assert!(
        page.body.contains("The witnesses are saved"),
        "{}",
        page.body
    );
    let kept: Vec<u8> = store
        .query_row(
            "SELECT value FROM meta WHERE key = 'log_witnessed_checkpoint'",
            [],
            |row| row.get(0),
        )
        .expect("reads");
    assert_eq!(kept, witnessed, "the witnessed tree is kept");
    // A key that does not read is named by its line, blank lines counted.
    let answer = post("en", format!("{first}\n\nnot a key"), Some(token.clone())).await;
    let page = kiosk.get(&answer.location.expect("a redirect")).await;
    assert!(
        page.body.contains("key 3 is not a witness verifier key"),
        "{}",
        page.body
    );
    // The witnesses required cannot be read: an error, and no form that would replace
    // them as if none were required.
    store
        .execute(
            "UPDATE meta SET value = X'FF' WHERE key = 'log_witness_keys'",
            [],
        )
        .expect("written");
    for (lang, words) in [
        ("en", "The witnesses this tablet requires could not be read"),
        (
            "sv",
            "Det gick inte att läsa vilka vittnen surfplattan kräver",
        ),
    ] {
        let page = kiosk.get(&format!("/staff?lang={lang}")).await;
        assert!(page.body.contains(words), "{lang}: {}", page.body);
        assert!(
            page.body.contains("id=\"witnesses-unread\""),
            "{}",
            page.body
        );
        assert!(
            !page.body.contains("action=\"/staff/witnesses\"")
                && !page.body.contains("requires no witnesses now")
                && !page.body.contains("kräver inga vittnen nu"),
            "{}",
            page.body
        );
    }
}
