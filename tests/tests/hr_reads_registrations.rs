//! HR reads captured registrations through the relay's API: a recruiter only those of
//! events assigned to them, restricted records only with the clearance, an archivist any;
//! every read and every refused attempt is in the access log, and a refusal shows nothing
//! of the record.

use kiosk_core::ids::Timestamp;
use kiosk_core::protocol::enrollment::EnrolledRole;
use kiosk_core::sync::HttpTransport;
use kiosk_core::visitor::VisitorSession;
use kiosk_sync_server::hr::accounts::Role;
use kiosk_sync_server::storage::{Accessor, RelayStore};
use kiosk_tests::hr::{Hr, Http, user, visitor};
use kiosk_tests::{file_relay, sync_now, tablet};
use serde_json::{Value, json};

/// The access-log entries about `doc_id` by `username`, as action names.
fn logged(store: &dyn RelayStore, doc_id: &str, username: &str) -> Vec<&'static str> {
    store
        .access_log_entries(0, 10_000)
        .expect("log")
        .into_iter()
        .filter(|(_, e)| {
            e.doc_id == doc_id && e.accessor == Accessor::Operator(format!("hr:{username}"))
        })
        .map(|(_, e)| e.action.as_str())
        .collect()
}

/// A kiosk enrolled at `url` captures "Signe" (open) and "Tove" (protected personal data)
/// and syncs them; returns the tablet and the two registration ids.
fn capture_open_and_protected(
    url: &str,
    code: &kiosk_core::protocol::enrollment::EnrollmentCode,
) -> (kiosk_tests::Tablet, String, String) {
    let tablet = tablet();
    let transport = HttpTransport::new(url);
    tablet.device.enroll(code, &transport).expect("enrolls");
    let mut session =
        VisitorSession::start(tablet.device.clone(), Timestamp::now()).expect("session");
    let mut submit = |given: &str, restricted: bool| {
        session
            .update(visitor(given, restricted), Timestamp::now())
            .expect("draft");
        session
            .submit(Timestamp::now())
            .expect("captured")
            .registration_id
            .to_string()
    };
    let open = submit("Signe", false);
    let protected = submit("Tove", true);
    assert_eq!(
        sync_now(&tablet.device, &transport)
            .expect("syncs")
            .received,
        2
    );
    (tablet, open, protected)
}

/// A recruiter `rut` (whose id is returned), an archivist `arvid` and an admin `anna`.
fn three_users(store: &dyn RelayStore) -> u64 {
    let rut = user(store, "rut", Role::Recruiter);
    user(store, "arvid", Role::Archivist);
    user(store, "anna", Role::Admin);
    rut
}

/// Starts a relay where a kiosk captured "Signe" and "Tove" (see
/// [`capture_open_and_protected`]) and [`three_users`] exist, and runs `check` off the async
/// threads with the relay's URL and store, the two ids and the recruiter's id.
async fn with_two_registrations_and_three_users(
    check: impl FnOnce(&str, &dyn RelayStore, String, String, u64) + Send + 'static,
) {
    let relay = file_relay().await;
    let url = relay.server.url();
    let code = relay.code(EnrolledRole::Kiosk, 1, 3_600_000);
    let store = relay.store.clone();
    tokio::task::spawn_blocking(move || {
        let (_tablet, open, protected) = capture_open_and_protected(&url, &code);
        let rut = three_users(store.as_ref());
        check(&url, store.as_ref(), open, protected, rut);
    })
    .await
    .expect("ran");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hr_reads_only_what_role_assignment_and_clearance_allow_and_every_attempt_is_logged() {
    with_two_registrations_and_three_users(|url, store, open, protected, rut| {
        let http = Http::new(url.to_owned());
        let recruiter = http.login("rut");
        let admin = http.login("anna");
        let archivist = http.login("arvid");
        let read = |who: &Hr<'_>, id: &str| who.get(&format!("/api/v1/registrations/{id}"));

        // Not assigned to the event: refused, logged, nothing shown.
        let (status, body) = read(&recruiter, &open);
        assert_eq!((status, body["code"].as_str()), (403, Some("not_assigned")));
        assert!(!body.to_string().contains("Signe"));
        assert_eq!(logged(store, &open, "rut"), ["read_refused"]);

        let (status, body) = admin.post(
            &format!("/api/v1/users/{rut}/events"),
            json!({ "event_id": kiosk_core::demo::DEMO_EVENT_ID }),
        );
        assert_eq!(status, 200, "{body}");
        let (status, body) = admin.post(
            &format!("/api/v1/users/{rut}/events"),
            json!({ "event_id": "no-such-event" }),
        );
        assert_eq!(
            (status, body["code"].as_str()),
            (404, Some("unknown_event"))
        );

        let (status, body) = read(&recruiter, &open);
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["given_name"], "Signe");
        assert_eq!(body["status"], "new");
        assert_eq!(logged(store, &open, "rut"), ["read_refused", "read"]);

        // Restricted: needs the clearance, which an admin grants; without it the record is
        // answered as one the relay never held.
        let (status, body) = read(&recruiter, &protected);
        assert_eq!(
            (status, body["code"].as_str()),
            (404, Some("unknown_registration"))
        );
        assert!(!body.to_string().contains("Tove"));
        assert_eq!(logged(store, &protected, "rut"), ["read_refused"]);
        let (status, _) = admin.post(
            &format!("/api/v1/users/{rut}/clearance"),
            json!({ "restricted_clearance": true, "reason": "Handlägger ärenden med skyddade personuppgifter." }),
        );
        assert_eq!(status, 200);
        let (status, body) = read(&recruiter, &protected);
        assert_eq!((status, body["restricted"].as_bool()), (200, Some(true)));
        assert_eq!(logged(store, &protected, "rut"), ["read_refused", "read"]);

        // An archivist reads any event's records; an admin reads none, and the attempt is
        // logged like any other refused one.
        let (status, _) = read(&archivist, &open);
        assert_eq!(status, 200);
        assert_eq!(logged(store, &open, "arvid"), ["read"]);
        let (status, body) = read(&admin, &open);
        assert_eq!((status, body["code"].as_str()), (403, Some("missing_role")));
        assert_eq!(logged(store, &open, "anna"), ["read_refused"]);

        let (status, body) = read(&recruiter, "0190f1c2-0000-7000-8000-000000000000");
        assert_eq!(
            (status, body["code"].as_str()),
            (404, Some("unknown_registration"))
        );
        assert!(
            store
                .verify_access_log()
                .expect("verified")
                .broken_at
                .is_none()
        );
    })
    .await;
}

/// The names a list answer shows.
fn names(body: &Value) -> Vec<String> {
    body["registrations"]
        .as_array()
        .expect("a list")
        .iter()
        .map(|r| r["given_name"].as_str().expect("name").to_owned())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lists_and_searches_show_only_readable_records_filtered_and_logged() {
    with_two_registrations_and_three_users(|url, store, open, protected, rut| {
        let http = Http::new(url.to_owned());
        let recruiter = http.login("rut");
        let archivist = http.login("arvid");
        let admin = http.login("anna");
        let list = |who: &Hr<'_>, query: &str| who.get(&format!("/api/v1/registrations{query}"));

        let (status, body) = list(&recruiter, "");
        assert_eq!(status, 200);
        assert!(names(&body).is_empty(), "no event assigned: nothing listed");
        let (status, body) = list(&admin, "");
        assert_eq!((status, body["code"].as_str()), (403, Some("missing_role")));

        admin.post(
            &format!("/api/v1/users/{rut}/events"),
            json!({ "event_id": kiosk_core::demo::DEMO_EVENT_ID }),
        );
        let (_, body) = list(&recruiter, "");
        assert_eq!(
            names(&body),
            ["Signe"],
            "the restricted record is not listed"
        );
        assert_eq!(logged(store, &open, "rut"), ["list"]);
        assert!(
            logged(store, &protected, "rut").is_empty(),
            "not shown, not logged"
        );
        let (_, body) = list(&archivist, "?event=sthlm-career-fair-2026&interest=law");
        assert_eq!(names(&body), ["Signe"]);
        let (_, body) = list(&archivist, "?q=SIGN");
        assert_eq!(names(&body), ["Signe"]);
        let receipt = body["registrations"][0]["receipt_code"]
            .as_str()
            .expect("a receipt code")
            .to_owned();
        let (_, body) = list(&archivist, &format!("?q={receipt}"));
        assert_eq!(names(&body), ["Signe"], "found by receipt code");
        let (_, body) = list(&archivist, "?status=shortlisted");
        assert!(names(&body).is_empty());
        let (_, body) = list(&archivist, "?location=goteborg");
        assert!(names(&body).is_empty());
        let (_, body) = list(&archivist, "?talent_pool=false&limit=1");
        assert_eq!(names(&body), ["Signe"]);

        admin.post(
            &format!("/api/v1/users/{rut}/clearance"),
            json!({ "restricted_clearance": true, "reason": "Handlägger ärenden med skyddade personuppgifter." }),
        );
        // Even with the clearance, the protected record stays out of the general list and
        // search; the restricted inbox lists it.
        let (_, body) = list(&recruiter, "");
        assert_eq!(
            names(&body),
            ["Signe"],
            "the general list, with the clearance"
        );
        let (_, body) = list(&recruiter, "?q=Tove");
        assert!(names(&body).is_empty(), "no search finds it");
        let (status, body) = recruiter.get("/api/v1/registrations/restricted");
        assert_eq!(status, 200, "{body}");
        assert_eq!(names(&body), ["Tove"], "the restricted inbox");

        for (query, parameter) in [
            ("?talent_pool=maybe", "talent_pool"),
            ("?limit=0", "limit"),
            ("?status=lost", "status"),
            ("?q=a", "q"),
            ("?from=yesterday", "from"),
            ("?colour=red", "colour"),
            ("?event=%27%3B%20DROP", "event"),
        ] {
            let (status, body) = list(&archivist, query);
            assert_eq!(
                (status, body["code"].as_str()),
                (400, Some("invalid_filter")),
                "{query}"
            );
            assert!(
                body["message"]
                    .as_str()
                    .is_some_and(|m| m.contains(parameter)),
                "{query}: {body}"
            );
        }
        assert!(
            store
                .verify_access_log()
                .expect("verified")
                .broken_at
                .is_none()
        );
    })
    .await;
}
