//! No visitor's name, email, phone or note reaches the log at any level: every line the
//! process logs at TRACE (relay, tablets and HTTP stack alike) is captured across a full
//! sync (a kiosk enrolls, captures visitors with distinctive marker values and pushes them;
//! a staff tablet enrolls, pulls them, writes a note and pushes it) and an HR session (log
//! in, list, search by the marker email, read, write a note, export), and searched for the
//! markers. Alone in its test binary: it installs the process's log subscriber. Run with
//! KIOSK_TEST_STORE=postgres, the PostgreSQL driver's lines are searched too.

use std::io::Write;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use kiosk_core::ids::{RegistrationId, Timestamp};
use kiosk_core::protocol::enrollment::EnrolledRole;
use kiosk_core::sync::HttpTransport;
use kiosk_core::validation::RegistrationInput;
use kiosk_core::visitor::VisitorSession;
use kiosk_sync_server::hr::accounts::Role;
use kiosk_tests::hr::{Http, user, visitor};
use kiosk_tests::{Backend, file_relay, staff_code, staff_session, staff_tablet, sync_now, tablet};
use serde_json::json;
use tracing_subscriber::Layer;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;

/// Markers no log line may hold, in any case.
const GIVEN: &str = "Zyxwulfina";
const FAMILY: &str = "Quorrbeckström";
const EMAIL: &str = "zyxwulfina.quorrbeck@markor-exempel.se";
const EMAIL_LOCAL: &str = "zyxwulfina.quorrbeck";
const PHONE: &str = "070-987 65 43";
/// The phone's digits as the relay may normalise them (+46 70 987 65 43).
const PHONE_DIGITS: &str = "709876543";
const STAFF_NOTE: &str = "Xylofonlapp från montern";
const HR_NOTE: &str = "Blomkrukemarkör i HR-konsolen";
const SECOND_GIVEN: &str = "Wrenfaldine";

/// Set while the test's HTTP client plays HR's browser.
static BROWSER_STAND_IN: AtomicBool = AtomicBool::new(false);

#[derive(Clone, Default)]
struct Lines(Arc<Mutex<Vec<u8>>>);

impl Write for Lines {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn marker_visitor() -> RegistrationInput {
    RegistrationInput {
        given_name: GIVEN.into(),
        family_name: FAMILY.into(),
        email: EMAIL.into(),
        phone: PHONE.into(),
        ..visitor(GIVEN, false)
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_visitor_name_email_phone_or_note_reaches_any_log_line_across_a_sync_and_an_hr_session()
{
    let lines = Lines::default();
    let writer = lines.clone();
    // Every level of every target, but the HTTP client's lines while it stands in for HR's
    // browser: it logs its own requests and answers (the console's pages, an export), which
    // a browser holds anyway. The tablets' HTTP traffic is captured whole.
    let layer = tracing_subscriber::fmt::layer()
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .with_filter(tracing_subscriber::filter::filter_fn(|meta| {
            !(BROWSER_STAND_IN.load(Ordering::Relaxed) && meta.target().starts_with("ureq"))
        }));
    // As `serve` installs it: the `log` crate's records (the PostgreSQL driver's, the HTTP
    // client's) come through too.
    tracing_subscriber::registry()
        .with(layer)
        .try_init()
        .expect("the only subscriber");

    let relay = file_relay().await;
    let url = relay.server.url();
    let kiosk_code = relay.code(EnrolledRole::Kiosk, 1, 3_600_000);
    let store = relay.store.clone();
    tokio::task::spawn_blocking(move || {
        let store = store.as_ref();
        let rut = user(store, "rut", Role::Recruiter);
        store
            .assign_hr_event(rut, kiosk_core::demo::DEMO_EVENT_ID)
            .expect("assigned");
        user(store, "arvid", Role::Archivist);

        // The kiosk enrolls, captures two visitors and pushes them.
        let kiosk = tablet();
        let transport = HttpTransport::new(&url);
        kiosk
            .device
            .enroll(&kiosk_code, &transport)
            .expect("enrolls");
        let mut session =
            VisitorSession::start(kiosk.device.clone(), Timestamp::now()).expect("session");
        session
            .update(marker_visitor(), Timestamp::now())
            .expect("draft");
        let id = session
            .submit(Timestamp::now())
            .expect("captured")
            .registration_id
            .to_string();
        session
            .update(visitor(SECOND_GIVEN, false), Timestamp::now())
            .expect("draft");
        session.submit(Timestamp::now()).expect("captured");
        let pushed = sync_now(&kiosk.device, &transport).expect("pushes");
        assert_eq!(pushed.received, 2);

        // A staff tablet of rut's enrolls, pulls both, writes a note and pushes it.
        let staff = staff_tablet();
        staff
            .device
            .enroll(&staff_code(store, "rut"), &transport)
            .expect("staff tablet enrolls");
        let pulled = sync_now(&staff.device, &transport).expect("pulls");
        assert_eq!(pulled.pulled, 2);
        let doc = RegistrationId::parse(&id).expect("an id");
        staff_session(&staff)
            .add_note(&doc, STAFF_NOTE, Timestamp::now())
            .expect("note");
        let pushed = sync_now(&staff.device, &transport).expect("pushes the note");
        assert_eq!(pushed.edits_stored, 1);

        // HR: log in, list, search by the email, read, write a note, export.
        BROWSER_STAND_IN.store(true, Ordering::Relaxed);
        let http = Http::new(url.clone());
        let recruiter = http.login("rut");
        let (status, list) = recruiter.get("/api/v1/registrations");
        assert_eq!(status, 200, "{list}");
        assert!(
            list.to_string().contains(GIVEN),
            "the list shows the visitor"
        );
        let (status, found) = recruiter.get(&format!("/api/v1/registrations?q={EMAIL}"));
        assert_eq!(status, 200, "{found}");
        assert_eq!(
            found["registrations"].as_array().map(Vec::len),
            Some(1),
            "{found}"
        );
        let (status, read) = recruiter.get(&format!("/api/v1/registrations/{id}"));
        assert_eq!(status, 200, "{read}");
        assert_eq!(read["email"], EMAIL);
        let (status, note) = recruiter.post(
            &format!("/api/v1/registrations/{id}/notes"),
            json!({ "text": HR_NOTE }),
        );
        assert_eq!(status, 201, "{note}");
        let archivist = http.login("arvid");
        let export = archivist.get_raw("/api/v1/registrations/export");
        assert_eq!(export.status, 200);
        assert!(String::from_utf8_lossy(&export.body).contains(EMAIL));
        let export = archivist.get_raw(&format!(
            "/api/v1/registrations/export?format=json&q={GIVEN}"
        ));
        assert_eq!(export.status, 200);
    })
    .await
    .expect("the sync and the HR session ran");

    let text =
        String::from_utf8_lossy(&lines.0.lock().unwrap_or_else(|p| p.into_inner())).into_owned();
    // The capture saw the whole run, at the lowest levels, inside requests' spans.
    assert!(text.contains("TRACE"), "TRACE lines are captured");
    assert!(
        text.contains("ureq"),
        "the tablets' HTTP client's lines are captured"
    );
    if Backend::from_env() == Backend::Postgres {
        assert!(
            text.contains("tokio_postgres"),
            "the PostgreSQL driver's lines (its statements' parameters) are captured"
        );
    }
    for route in [
        "/v1/enroll",
        "/v1/sync",
        "/api/v1/registrations",
        "/api/v1/registrations/{id}/notes",
        "/api/v1/registrations/export",
    ] {
        assert!(
            text.contains(&format!("route={route}")),
            "a request to {route} was logged"
        );
    }
    let lower = text.to_lowercase();
    let mut leaks = Vec::new();
    for marker in [
        GIVEN,
        FAMILY,
        EMAIL,
        EMAIL_LOCAL,
        PHONE,
        PHONE_DIGITS,
        STAFF_NOTE,
        HR_NOTE,
        SECOND_GIVEN,
        // What the second visitor's email and the HTTP query hold.
        "wrenfaldine@",
        "markor-exempel",
    ] {
        for line in lower.lines() {
            if line.contains(&marker.to_lowercase()) {
                leaks.push(format!("{marker}: {line}"));
            }
        }
    }
    assert!(
        leaks.is_empty(),
        "{} log lines hold personal data:\n{}",
        leaks.len(),
        leaks.join("\n")
    );
}
