//! The web kiosk under bad input and faults, end to end: a real relay, a real `kiosk-web`
//! process, plain HTTP. Each fault gets a clear page in the visitor's language that echoes
//! nothing posted, and nothing accepted is lost or taken twice:
//!
//! - garbage and oversized posts, missing, extra and repeated fields: refused by name, the
//!   visit in progress unharmed;
//! - a page of a form version the tablet no longer has: the current form, answers kept;
//! - the same form posted twice (a double tap): one thank-you, one registration;
//! - a submit with the relay unreachable: captured, thanked, synced later by itself;
//! - a sync cut off mid-way: the next sync completes, every count right;
//! - the shell killed with SIGKILL between capture and thank-you: captured once, the
//!   browser's resent post answered "page expired", the journal verifies;
//! - another origin, a foreign `Host` (DNS rebinding): refused, nothing captured.
//!
//! The shell's store is read beside it through kiosk-ffi (staff mode's counts), as a second
//! process on the same store would.

mod support {
    pub mod fault_proxy;
    pub mod web_shell;
}

use std::sync::Arc;
use std::time::Duration;

use kiosk_core::protocol::enrollment::EnrolledRole;
use kiosk_ffi::KioskDevice;
use kiosk_ffi::KioskError;
use kiosk_ffi::foreign::SyncListener;
use kiosk_ffi::staff::StaffMode;
use kiosk_ffi::types::{
    DeviceRole, KioskOverview, Language, RecordOutcome, RegistrationDraft, SyncFailure,
    SyncOptions, SyncSummary,
};
use kiosk_tests::{FileRelay, STAFF_PIN, file_relay};
use kiosk_web::texts::texts;
use kiosk_web::visitor::form_post::PostError;
use support::fault_proxy::{FaultProxy, Mode};
use support::web_shell::{
    Answer, KioskWeb, form_body, hidden_value, receipt_code, registration, start_visit, submit,
};

/// Posted in every bad request; no answer may contain it.
const MARKER: &str = "Zqxmarkörvy";

/// Polls `done` every 50 ms, at most `seconds`; false if it never held.
async fn poll(seconds: u64, mut done: impl FnMut() -> bool) -> bool {
    for _ in 0..seconds * 20 {
        if done() {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    done()
}

/// The kiosk's store opened beside the shell through kiosk-ffi, in staff mode.
struct StoreView {
    _device: Arc<KioskDevice>,
    staff: Arc<StaffMode>,
}

impl StoreView {
    /// Opens the store in `data_dir`; sets [`STAFF_PIN`] if no PIN is set yet.
    async fn open(data_dir: &std::path::Path) -> StoreView {
        let (store, secrets) = KioskWeb::store_paths(data_dir);
        let device = KioskDevice::open_with_secrets_directory(store, secrets, DeviceRole::Kiosk)
            .expect("the kiosk's store opens beside the shell");
        // Refused once a PIN is set: then the one set here before.
        let _ = device.set_staff_pin(STAFF_PIN.into());
        let staff = Arc::clone(&device)
            .unlock_staff(STAFF_PIN.into())
            .await
            .expect("staff mode opens");
        StoreView {
            _device: device,
            staff,
        }
    }

    fn overview(&self) -> KioskOverview {
        self.staff.overview().expect("overview")
    }

    fn captured(&self) -> u64 {
        self.overview().captured
    }
}

/// A relay and a kiosk-web process enrolled with it (through its `--enroll` flag), its
/// welcome screen ready.
async fn enrolled_kiosk(extra: &[&str]) -> (FileRelay, tempfile::TempDir, KioskWeb) {
    let relay = file_relay().await;
    let code = relay.code(EnrolledRole::Kiosk, 1, 3_600_000).display();
    let url = relay.server.url();
    let dir = tempfile::tempdir().expect("tempdir");
    let data_dir = dir.path().join("kiosk");
    let mut args = vec!["--relay", &url, "--enroll", &code];
    args.extend_from_slice(extra);
    let shell = KioskWeb::start(&data_dir, &args);
    shell.wait_until_ready();
    (relay, dir, shell)
}

fn registrations_at(relay: &FileRelay) -> u64 {
    // Called from async code, and store calls block: off the async threads.
    kiosk_tests::off_runtime(|| relay.store.counts().expect("relay counts").registrations)
}

/// An answer that refused a post: its status, the visitor's language, and nothing posted.
fn assert_refused(case: &str, answer: &Answer, status: u16, texts: &[&str]) {
    assert_eq!(answer.status, status, "{case}: {}", answer.body);
    for text in texts {
        assert!(
            answer.body.contains(text),
            "{case}: the answer does not say {text:?}:\n{}",
            answer.body
        );
    }
    assert!(
        !answer.body.contains(MARKER) && !answer.body.contains("Zqxmark"),
        "{case}: the answer echoes what was posted"
    );
    assert_eq!(
        answer.header("cache-control"),
        Some("no-store"),
        "{case}: a refusal is kept by no cache"
    );
}

/// The refusal of a bad post, as the visitor reads it in `lang`.
fn bad_post_texts(lang: Language, error: PostError) -> Vec<&'static str> {
    let t = texts(lang);
    let (sv, en) = error.explanation();
    let general = match error {
        PostError::TooLong | PostError::TooManyItems => t.too_large,
        _ => t.bad_post,
    };
    let named = match lang {
        Language::Swedish => sv,
        Language::English => en,
    };
    vec![named, general]
}

/// How a bad post is refused: by the visitor's screen, naming the problem, or by the router
/// before any screen reads it (too large).
#[derive(Debug, Clone, Copy)]
enum Refusal {
    Named(PostError),
    TooLarge,
}

/// A bad post: what it is, its content type, its body, how it is refused.
type BadPost = (&'static str, &'static str, Vec<u8>, Refusal);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn garbage_and_oversized_posts_are_refused_by_name_echo_nothing_and_leave_the_visit_intact() {
    let (_relay, _dir, shell) = enrolled_kiosk(&[]).await;
    let view = StoreView::open(&shell.data_dir).await;
    let client = shell.client();

    for (before, lang) in [Language::Swedish, Language::English]
        .into_iter()
        .enumerate()
    {
        let before = before as u64;
        let visit = start_visit(&client, kiosk_web::texts::tag(lang));
        let (token, version) = (visit.token.as_str(), visit.form_version.as_str());
        let valid_rest = format!(
            "&family_name=Berg&email=a%40example.se&interests=it-development\
             &privacy_notice_acknowledged=yes&given_name={MARKER}"
        );
        let mut not_utf8 = format!("token={token}&form_version={version}&given_name=").into_bytes();
        not_utf8.extend_from_slice(MARKER.as_bytes());
        not_utf8.extend_from_slice(&[0xff, 0xfe, 0x80]);
        let huge_body = format!(
            "token={token}&form_version={version}&given_name={MARKER}&free_text={}",
            "a".repeat(70 * 1024)
        );
        let huge_value = format!(
            "token={token}&form_version={version}&family_name={MARKER}{}",
            "b".repeat(9 * 1024)
        );
        let many_items: String = (0..65).map(|i| format!("&interests={MARKER}{i}")).collect();
        let form = "application/x-www-form-urlencoded";
        let cases: Vec<BadPost> =
            vec![
            ("a body that is not UTF-8", form, not_utf8, Refusal::Named(PostError::NotAForm)),
            (
                "percent-encoded bytes that are not UTF-8",
                form,
                format!("token={token}&form_version={version}&given_name={MARKER}%FF%FE")
                    .into_bytes(),
                Refusal::Named(PostError::NotAForm),
            ),
            (
                "JSON instead of a form",
                "application/json",
                format!(
                    r#"{{"token":"{token}","form_version":"{version}","given_name":"{MARKER}"}}"#
                )
                .into_bytes(),
                Refusal::Named(PostError::NotAForm),
            ),
            (
                "a multipart body",
                "multipart/form-data; boundary=xyz",
                format!(
                    "--xyz\r\nContent-Disposition: form-data; name=\"given_name\"\r\n\r\n\
                     {MARKER}\r\n--xyz--\r\n"
                )
                .into_bytes(),
                Refusal::Named(PostError::NotAForm),
            ),
            ("a body over 64 KiB", form, huge_body.into_bytes(), Refusal::TooLarge),
            (
                "one value far over any field's length",
                form,
                huge_value.into_bytes(),
                Refusal::Named(PostError::TooLong),
            ),
            (
                "too many ticked boxes",
                form,
                format!("token={token}&form_version={version}{many_items}").into_bytes(),
                Refusal::Named(PostError::TooManyItems),
            ),
            (
                "no token",
                form,
                format!("form_version={version}{valid_rest}").into_bytes(),
                Refusal::Named(PostError::Missing),
            ),
            (
                "no form version",
                form,
                format!("token={token}{valid_rest}").into_bytes(),
                Refusal::Named(PostError::Missing),
            ),
            (
                "a field the form does not have",
                form,
                format!("token={token}&form_version={version}{valid_rest}&is_admin={MARKER}")
                    .into_bytes(),
                Refusal::Named(PostError::Unexpected),
            ),
            (
                "a field sent twice",
                form,
                format!("token={token}&form_version={version}{valid_rest}&given_name=Other")
                    .into_bytes(),
                Refusal::Named(PostError::Repeated),
            ),
            (
                "the token sent twice",
                form,
                format!("token={token}&form_version={version}&token=other{valid_rest}")
                    .into_bytes(),
                Refusal::Named(PostError::Repeated),
            ),
        ];
        for (case, content_type, body, expected) in cases {
            let origin = format!("http://{}", shell.address);
            let answer = client
                .send(
                    "POST",
                    "/form",
                    &[
                        ("Content-Type", content_type),
                        ("Origin", &origin),
                        ("Sec-Fetch-Site", "same-origin"),
                    ],
                    &body,
                )
                .unwrap_or_else(|e| panic!("{case}: {e}"));
            match expected {
                Refusal::Named(error) => {
                    assert_refused(case, &answer, 400, &bad_post_texts(lang, error));
                }
                // The router refuses an oversized body before any screen reads it, so the
                // page says it in both languages.
                Refusal::TooLarge => assert_refused(
                    case,
                    &answer,
                    413,
                    &[
                        texts(Language::Swedish).too_large,
                        texts(Language::English).too_large,
                    ],
                ),
            }
            // The visit goes on as it was: the same form, the same token, nothing of the
            // refused post in it.
            let form_page = client.get("/form").expect("GET /form");
            assert_eq!(form_page.status, 200, "{case}: the visit is gone");
            assert_eq!(
                hidden_value(&form_page.body, "token").as_deref(),
                Some(token),
                "{case}: the visit was replaced"
            );
            assert!(
                !form_page.body.contains("Zqxmark"),
                "{case}: the refused post reached the form"
            );
        }
        assert_eq!(view.captured(), before, "a refused post captured something");

        // The visitor finishes: their own post is taken.
        let receipt = submit(&client, &registration(&visit, "Åsa", "asa@example.se"));
        assert!(!receipt.is_empty());
    }
    assert_eq!(view.captured(), 2, "exactly the two visitors' own posts");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_page_of_a_form_version_the_tablet_no_longer_has_shows_the_current_form_with_the_answers_kept()
 {
    let (_relay, _dir, shell) = enrolled_kiosk(&[]).await;
    let view = StoreView::open(&shell.data_dir).await;
    let client = shell.client();

    for (before, lang) in [Language::Swedish, Language::English]
        .into_iter()
        .enumerate()
    {
        let before = before as u64;
        let visit = start_visit(&client, kiosk_web::texts::tag(lang));
        let mut stale = visit.clone();
        stale.form_version = "0000000000000000-an-earlier-version".into();
        let posted = client
            .post_form(
                "/form",
                registration(&stale, "Märta-Formversion", "marta@example.se").as_bytes(),
            )
            .expect("POST /form");
        assert_eq!(posted.status, 303, "{}", posted.body);
        assert_eq!(
            posted.location(),
            Some("/form"),
            "back to the form, not thanked"
        );
        assert_eq!(view.captured(), before, "a stale form's post was captured");

        let page = client.get("/form").expect("GET /form");
        assert_eq!(page.status, 200);
        assert!(
            page.body.contains(texts(lang).form_updated),
            "the page does not say the form was updated:\n{}",
            page.body
        );
        assert!(
            page.body.contains("value=\"Märta-Formversion\"")
                && page.body.contains("value=\"marta@example.se\"")
                && page.body.contains("value=\"it-development\" checked"),
            "the typed answers are not kept:\n{}",
            page.body
        );
        let current = hidden_value(&page.body, "form_version").expect("form version");
        assert_eq!(
            current, visit.form_version,
            "the page shows the current form"
        );

        // Checked and sent again on the current form: taken once.
        submit(
            &client,
            &registration(&visit, "Märta-Formversion", "marta@example.se"),
        );
    }
    assert_eq!(view.captured(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_submit_with_the_relay_unreachable_is_captured_thanked_and_synced_later() {
    let relay = file_relay().await;
    let proxy = FaultProxy::start(relay.server.address).await;
    let code = relay.code(EnrolledRole::Kiosk, 1, 3_600_000).display();
    let dir = tempfile::tempdir().expect("tempdir");
    let data_dir = dir.path().join("kiosk");
    let proxy_url = proxy.url();
    let shell = KioskWeb::start(&data_dir, &["--relay", &proxy_url, "--enroll", &code]);
    shell.wait_until_ready();
    let view = StoreView::open(&data_dir).await;

    proxy.set(Mode::Down);
    let client = shell.client();
    let visit = start_visit(&client, "sv");
    let receipt = submit(
        &client,
        &registration(&visit, "Offline", "offline@example.se"),
    );
    assert!(!receipt.is_empty(), "the thank-you shows a receipt code");
    assert_eq!(view.captured(), 1, "captured on the tablet");
    // The submit asks for a sync between visitors; it cannot reach the relay.
    assert!(
        poll(30, || proxy.refused() > 0).await,
        "the shell never tried to sync after the submit"
    );
    assert_eq!(registrations_at(&relay), 0);
    assert_eq!(view.overview().received, 0);

    // The relay comes back: the shell syncs by itself (its back-off), no visitor waits.
    proxy.set(Mode::Pass);
    assert!(
        poll(90, || registrations_at(&relay) == 1).await,
        "the registration never reached the relay after it came back"
    );
    assert!(
        poll(30, || view.overview().received == 1).await,
        "the tablet never kept the relay's receipt"
    );
    let overview = view.overview();
    assert_eq!((overview.captured, overview.received), (1, 1));
    assert_eq!(registrations_at(&relay), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_double_post_of_the_same_form_lands_on_the_same_thank_you_and_captures_once() {
    let (_relay, _dir, shell) = enrolled_kiosk(&[]).await;
    let view = StoreView::open(&shell.data_dir).await;
    let client = shell.client();
    let visit = start_visit(&client, "sv");
    let body = registration(&visit, "Dubbel", "dubbel@example.se");
    let first = submit(&client, &body);
    // A double tap, or Back and send again while the thank-you is shown.
    let second = submit(&client, &body);
    assert_eq!(
        first, second,
        "the second post shows the first one's receipt"
    );
    assert_eq!(view.captured(), 1, "the second post was captured too");

    // A page of the visit still open (its idle script's reset, a late "start over") does
    // not take the thank-you away before the visitor has read the receipt code.
    let late_reset = form_body(&[("token", &visit.token)]);
    client
        .post_form("/visit/reset", late_reset.as_bytes())
        .expect("answered");
    let thanks = client.get("/thanks").expect("answered");
    assert_eq!(thanks.status, 200, "the thank-you is still the screen");
    assert_eq!(
        receipt_code(&thanks.body).as_deref(),
        Some(first.as_str()),
        "the same receipt code is still shown"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_site_cannot_read_or_reset_the_visitors_screen() {
    let (_relay, _dir, shell) = enrolled_kiosk(&[]).await;
    let client = shell.client();
    let visit = start_visit(&client, "sv");
    // An image or a link on another site reaching the kiosk's loopback port.
    for path in ["/", "/form", "/thanks", "/staff"] {
        let answer = client
            .send("GET", path, &[("Sec-Fetch-Site", "cross-site")], b"")
            .expect("answered");
        assert_eq!(answer.status, 403, "GET {path} from another site");
    }
    let form = client.get("/form").expect("answered");
    assert_eq!(form.status, 200, "the visit is still on screen");
    assert_eq!(hidden_value(&form.body, "token"), Some(visit.token.clone()));
}

/// A visitor's registration as a shell's form would submit it.
fn draft(i: usize) -> RegistrationDraft {
    RegistrationDraft {
        language: Some(Language::Swedish),
        given_name: "Besökare".into(),
        family_name: format!("Nummer{}", char::from(b'A' + (i % 26) as u8)),
        email: format!("besokare{i}@exempel.se"),
        interests: vec!["it-development".into()],
        privacy_notice_acknowledged: true,
        ..RegistrationDraft::default()
    }
}

/// Captures before the shell starts: more than one sync request's worth (100 a request).
const CAPTURED_BEFORE: usize = 130;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sync_cut_off_mid_way_loses_nothing_and_the_next_sync_completes() {
    let relay = file_relay().await;
    let proxy = FaultProxy::start(relay.server.address).await;
    let dir = tempfile::tempdir().expect("tempdir");
    let data_dir = dir.path().join("kiosk");
    kiosk_web::config::create_data_dir(&data_dir).expect("data dir");

    // The kiosk's store, enrolled and holding a fair morning's registrations, made through
    // kiosk-ffi as the shell makes it; then the shell serves it.
    let view = StoreView::open(&data_dir).await;
    {
        let (store, secrets) = KioskWeb::store_paths(&data_dir);
        let device = KioskDevice::open_with_secrets_directory(store, secrets, DeviceRole::Kiosk)
            .expect("opens");
        device.install_demo_event().expect("event");
        let code = relay.code(EnrolledRole::Kiosk, 1, 3_600_000).display();
        device
            .enroll_over_http(relay.server.url(), None, code, None)
            .await
            .expect("enrolls");
        let session = Arc::clone(&device)
            .start_visitor_session()
            .expect("session");
        for i in 0..CAPTURED_BEFORE {
            session.submit(draft(i)).expect("captured");
        }
        device.close_store();
    }
    let captured = CAPTURED_BEFORE as u64;
    assert_eq!(view.captured(), captured);

    // The first answer passes, the second is cut after the relay handled its request.
    proxy.set(Mode::CutAfter(1));
    let proxy_url = proxy.url();
    let shell = KioskWeb::start(&data_dir, &["--relay", &proxy_url]);
    assert!(
        poll(60, || proxy.cut() > 0).await,
        "the shell's sync was never cut"
    );
    proxy.set(Mode::Pass);
    assert_eq!(proxy.passed(), 1, "one answer passed before the cut");
    let mid_way = view.overview();
    assert_eq!(mid_way.captured, captured);
    assert_eq!(
        mid_way.received, 100,
        "the first request's receipts are kept, the cut one's are not"
    );
    assert_eq!(
        registrations_at(&relay),
        captured,
        "the relay holds the cut request's registrations too"
    );

    // The next visitor's submit sets off the next sync, which completes.
    let client = shell.client();
    let visit = start_visit(&client, "en");
    submit(&client, &registration(&visit, "Next", "next@example.se"));
    let total = captured + 1;
    assert!(
        poll(60, || view.overview().received == total).await,
        "the next sync never completed: {:?}",
        view.overview()
    );
    let overview = view.overview();
    assert_eq!((overview.captured, overview.sent), (total, total));
    assert_eq!(
        registrations_at(&relay),
        total,
        "the relay counts every registration once"
    );
    let journal = view.staff.verify_journal().expect("the journal verifies");
    assert_eq!(journal, overview.journal);
}

#[derive(Debug)]
struct Quiet;

impl SyncListener for Quiet {
    fn progress(&self, _done: u64, _total: u64) -> Result<(), KioskError> {
        Ok(())
    }
    fn record_state(&self, _id: String, _outcome: RecordOutcome) -> Result<(), KioskError> {
        Ok(())
    }
    fn finished(&self, _summary: SyncSummary) -> Result<(), KioskError> {
        Ok(())
    }
    fn failed(&self, _failure: SyncFailure) -> Result<(), KioskError> {
        Ok(())
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_shell_killed_between_capture_and_thank_you_captured_once_and_the_resent_post_expires() {
    let pause = ["--test-pause-after-capture-ms", "5000"];
    let (relay, _dir, mut shell) = enrolled_kiosk(&pause).await;
    let data_dir = shell.data_dir.clone();
    let address = shell.address;
    let view = StoreView::open(&data_dir).await;
    let client = shell.client();
    let visit = start_visit(&client, "sv");
    let body = registration(&visit, "Kalle-Krasch", "kalle@example.se");

    // The browser posts; the shell captures, then pauses before answering.
    let posting = std::thread::spawn({
        let body = body.clone();
        let client = shell.client();
        move || client.post_form("/form", body.as_bytes())
    });
    assert!(
        poll(20, || view.captured() == 1).await,
        "the post was never captured"
    );
    assert!(
        !posting.is_finished(),
        "the shell answered before it was killed: the pause is too short"
    );
    shell.kill();
    let answer = posting.join().expect("the posting thread");
    assert!(
        answer.is_err(),
        "a killed shell gave an answer: {:?}",
        answer.map(|a| a.status)
    );

    // Restarted on the same address; the browser resends the post it got no answer to.
    let listen = address.to_string();
    let mut restarted = KioskWeb::start(&data_dir, &["--listen", &listen, pause[0], pause[1]]);
    let client = restarted.client();
    let resent = client.post_form("/form", body.as_bytes()).expect("resent");
    assert_eq!(
        resent.status, 409,
        "the resent post was not refused: {}",
        resent.body
    );
    assert!(
        resent.body.contains(texts(Language::Swedish).page_expired),
        "the resent post does not say the page expired:\n{}",
        resent.body
    );
    assert!(!resent.body.contains("Kalle-Krasch"));
    assert_eq!(view.captured(), 1, "the resent post was captured again");
    assert_eq!(
        client.get("/").expect("GET /").status,
        200,
        "the kiosk takes the next visitor"
    );

    restarted.kill();
    drop(view);
    // The store as a shell opening it afresh finds it: one registration, a sound journal.
    let view = StoreView::open(&data_dir).await;
    let overview = view.overview();
    assert_eq!(overview.captured, 1, "captured once, not twice");
    let journal = view.staff.verify_journal().expect("the journal verifies");
    assert_eq!(journal, overview.journal);

    // And it syncs whole: the relay counts one registration.
    let (store, secrets) = KioskWeb::store_paths(&data_dir);
    let device =
        KioskDevice::open_with_secrets_directory(store, secrets, DeviceRole::Kiosk).expect("opens");
    let summary = device
        .sync_over_http(
            relay.server.url(),
            None,
            Arc::new(Quiet),
            SyncOptions::default(),
        )
        .await
        .expect("syncs");
    assert!(summary.refused.is_empty(), "{summary:?}");
    assert_eq!(registrations_at(&relay), 1);
    assert_eq!(view.overview().received, 1);
}

/// A request from elsewhere: what it is, its path, its headers, the status and the texts
/// of its refusal.
type ForeignRequest<'a> = (
    &'static str,
    &'static str,
    Vec<(&'a str, &'a str)>,
    u16,
    &'a [&'static str],
);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn posts_from_another_origin_and_requests_for_a_foreign_host_are_refused_and_capture_nothing()
{
    let (_relay, _dir, shell) = enrolled_kiosk(&[]).await;
    let view = StoreView::open(&shell.data_dir).await;
    let client = shell.client();
    let visit = start_visit(&client, "sv");
    let body = registration(&visit, MARKER, "cross@example.se");
    let port = shell.address.port();
    let form = ("Content-Type", "application/x-www-form-urlencoded");
    let ours = format!("http://{}", shell.address);
    let rebinding_host = format!("kiosk.attacker.example:{port}");
    let rebinding_origin = format!("http://{rebinding_host}");

    let cross_origin = [
        texts(Language::Swedish).cross_origin,
        texts(Language::English).cross_origin,
    ];
    let wrong_host = [
        texts(Language::Swedish).wrong_host,
        texts(Language::English).wrong_host,
    ];
    let cases: Vec<ForeignRequest<'_>> = vec![
        (
            "a post from another site's page",
            "/form",
            vec![form, ("Origin", "http://evil.example")],
            403,
            &cross_origin,
        ),
        (
            "a post from another port of this host",
            "/form",
            vec![form, ("Origin", "http://127.0.0.1:1")],
            403,
            &cross_origin,
        ),
        (
            "a post from a sandboxed frame",
            "/form",
            vec![form, ("Origin", "null")],
            403,
            &cross_origin,
        ),
        (
            "a cross-site post without an Origin",
            "/form",
            vec![form, ("Sec-Fetch-Site", "cross-site")],
            403,
            &cross_origin,
        ),
        (
            "a same-site (not same-origin) post",
            "/form",
            vec![form, ("Sec-Fetch-Site", "same-site")],
            403,
            &cross_origin,
        ),
        (
            "a cross-site start of a new visit",
            "/start",
            vec![form, ("Origin", "http://evil.example")],
            403,
            &cross_origin,
        ),
        (
            "a cross-site reset",
            "/visit/reset",
            vec![form, ("Origin", "http://evil.example")],
            403,
            &cross_origin,
        ),
        (
            "a post through a rebound name",
            "/form",
            vec![
                form,
                ("Host", &rebinding_host),
                ("Origin", &rebinding_origin),
            ],
            421,
            &wrong_host,
        ),
        (
            "a post for another host with our origin",
            "/form",
            vec![form, ("Host", "evil.example"), ("Origin", &ours)],
            421,
            &wrong_host,
        ),
    ];
    for (case, path, headers, status, says) in &cases {
        let sent_body = match *path {
            "/start" => b"lang=en".to_vec(),
            "/visit/reset" => format!("token={}", visit.token).into_bytes(),
            _ => body.clone().into_bytes(),
        };
        let answer = client
            .send("POST", path, headers, &sent_body)
            .unwrap_or_else(|e| panic!("{case}: {e}"));
        assert_refused(case, &answer, *status, says);
    }
    // Reading the visitor's screen through a rebound name: refused as well.
    for path in ["/", "/form", "/thanks"] {
        let answer = client
            .send("GET", path, &[("Host", &rebinding_host)], b"")
            .expect("GET");
        assert_refused(
            &format!("GET {path} through a rebound name"),
            &answer,
            421,
            &wrong_host,
        );
        assert!(!answer.body.contains(&visit.token));
    }

    assert_eq!(view.captured(), 0, "a refused request captured something");
    let page = client.get("/form").expect("GET /form");
    assert_eq!(
        hidden_value(&page.body, "token").as_deref(),
        Some(visit.token.as_str()),
        "a refused request changed the visit"
    );
    // The kiosk's own page sends the same form: taken.
    submit(&client, &body);
    assert_eq!(view.captured(), 1);
}
