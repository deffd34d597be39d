//! Retention (*gallring*) at the relay: a run removes exactly the records past their
//! event's rule, citing the rule, unless a legal hold keeps them; holds are set and lifted
//! by archivists with a reason; a removed record stays removed whatever a tablet pushes;
//! after removal neither the database file nor its WAL holds the record's strings; and a
//! talent-pool withdrawal takes the visitor out of the pool at once.

mod support {
    pub mod console_browser;
    pub mod hr_api;
}

use std::sync::Arc;
use std::time::Duration;

use axum::http::StatusCode;
use kiosk_core::generator::RegistrationGenerator;
use kiosk_core::ids::DeviceId;
use kiosk_core::protocol::PushOutcome;
use kiosk_core::protocol::enrollment::EnrolledRole;
use kiosk_core::validation::validate;
use kiosk_sync_server::hr::accounts::Role;
use kiosk_sync_server::keys::RelayKeys;
use kiosk_sync_server::storage::{
    AccessAction, Accessor, IngestItem, IngestOutcome, RegistrationFilter, RelayStore,
    RemovalOutcome, RunStep, SqliteStore, capture_for_tests, enroll_for_tests, ingest_for_tests,
};
use kiosk_sync_server::{AppState, now_ms};
use serde_json::{Value, json};
use support::console_browser::user_with;
use support::hr_api::{Answer, bearer, call_as};

const DEMO: &str = kiosk_core::demo::DEMO_EVENT_ID;
const DEMO_DECISION: &str = "Gallringsbeslut HR 2026:3 (dnr 1.1.2-2026-00412)";
const DAY_MS: i64 = 24 * 60 * 60 * 1000;
/// Received three years ago: past the demo event's 24 months.
const LONG_AGO: i64 = 3 * 365 * DAY_MS;

/// A relay with the demo event and a kiosk, in memory or in a file.
struct Relay {
    state: AppState,
    kiosk: ed25519_dalek::SigningKey,
    generator: RegistrationGenerator,
    seq: u64,
}

/// What a capture is made of, besides what the generator picks.
struct Visitor<'a> {
    given: &'a str,
    email: &'a str,
    talent_pool: bool,
    received_days_ago: i64,
}

impl Relay {
    fn in_memory() -> Relay {
        Relay::with(AppState::demo_in_memory().expect("relay"))
    }

    fn in_file(path: &std::path::Path) -> Relay {
        let store = SqliteStore::open(path).expect("store");
        kiosk_sync_server::store_demo_event(&store).expect("demo event");
        Relay::with(AppState::new(
            Arc::new(store),
            RelayKeys::from_seeds([11; 32], [12; 32]),
        ))
    }

    fn with(state: AppState) -> Relay {
        let kiosk = ed25519_dalek::SigningKey::from_bytes(&[5; 32]);
        enroll_for_tests(
            state.store.as_ref(),
            kiosk.verifying_key().to_bytes(),
            DEMO,
            EnrolledRole::Kiosk,
            None,
        );
        Relay {
            state,
            kiosk,
            generator: RegistrationGenerator::new(kiosk_core::demo::demo_event(), 7),
            seq: 0,
        }
    }

    fn store(&self) -> &dyn RelayStore {
        self.state.store.as_ref()
    }

    /// The capture of `visitor`, as ingest stores a checked one.
    fn capture_item(&mut self, visitor: &Visitor<'_>) -> IngestItem {
        let (mut input, mut context) = self.generator.next_input();
        input.given_name = visitor.given.to_owned();
        input.email = visitor.email.to_owned();
        input.protected_personal_data = false;
        input.talent_pool_opt_in = visitor.talent_pool;
        context.device = DeviceId::from_public_key(&self.kiosk.verifying_key());
        let registration = validate(&input, self.generator.event(), &context).expect("valid");
        capture_for_tests(&registration, &self.kiosk.verifying_key())
    }

    /// A visitor with protected personal data (the minimal path), received long ago.
    fn restricted_old(&mut self) -> String {
        let (mut input, mut context) = self.generator.next_input();
        input.protected_personal_data = true;
        input.email = "skyddad@example.se".to_owned();
        input.phone.clear();
        input.education_level.clear();
        input.talent_pool_opt_in = false;
        context.device = DeviceId::from_public_key(&self.kiosk.verifying_key());
        let registration = validate(&input, self.generator.event(), &context).expect("valid");
        let item = capture_for_tests(&registration, &self.kiosk.verifying_key());
        assert!(matches!(
            self.push(item, LONG_AGO / DAY_MS),
            PushOutcome::Stored { .. }
        ));
        registration.id.to_string()
    }

    /// Stores `item` as the kiosk's next sync request, received `days_ago`.
    fn push(&mut self, item: IngestItem, days_ago: i64) -> PushOutcome {
        self.seq += 1;
        let outcome = ingest_for_tests(
            self.store(),
            self.kiosk.verifying_key().to_bytes(),
            self.seq,
            now_ms() - days_ago * DAY_MS,
            vec![item],
        );
        let IngestOutcome::Committed { mut outcomes, .. } = outcome else {
            panic!("not committed");
        };
        outcomes.remove(0)
    }

    /// Stores `visitor`'s registration; returns its id.
    fn capture(&mut self, visitor: &Visitor<'_>) -> String {
        let item = self.capture_item(visitor);
        let IngestItem::Store { doc_id, .. } = &item else {
            panic!("a capture");
        };
        let doc_id = doc_id.clone();
        assert!(matches!(
            self.push(item, visitor.received_days_ago),
            PushOutcome::Stored { .. }
        ));
        doc_id
    }

    fn old(&mut self, given: &str) -> String {
        self.capture(&Visitor {
            given,
            email: "besokare@example.se",
            talent_pool: false,
            received_days_ago: LONG_AGO / DAY_MS,
        })
    }

    fn recent(&mut self, given: &str) -> String {
        self.capture(&Visitor {
            given,
            email: "besokare@example.se",
            talent_pool: true,
            received_days_ago: 10,
        })
    }

    /// The `Authorization` value of a new user with `roles`, assigned the demo event.
    fn user(&self, username: &str, roles: Vec<Role>) -> String {
        let user = user_with(&self.state, username, roles);
        self.store()
            .assign_hr_event(user.id, DEMO)
            .expect("assigns");
        bearer(&self.state, &user)
    }

    async fn call(&self, method: &str, path: &str, who: &str, body: Option<Value>) -> Answer {
        call_as(&self.state, method, path, who, body).await
    }

    /// Starts a run through the API and waits for its end; returns the finished run.
    async fn run_retention(&self, archivist: &str) -> Value {
        let started = self
            .call("POST", "/api/v1/retention/runs", archivist, None)
            .await;
        assert_eq!(started.status, StatusCode::ACCEPTED, "{}", started.body);
        let id = started.body["run"]["id"].as_i64().expect("a run id");
        for _ in 0..600 {
            let run = self
                .call(
                    "GET",
                    &format!("/api/v1/retention/runs/{id}"),
                    archivist,
                    None,
                )
                .await;
            assert_eq!(run.status, StatusCode::OK, "{}", run.body);
            if !run.body["run"]["finished_at"].is_null() {
                return run.body["run"].clone();
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        panic!("the run did not finish");
    }

    /// Who the access log names as the remover of `doc_id`.
    fn removed_by(&self, doc_id: &str) -> Option<String> {
        self.store()
            .access_log_entries(0, 100_000)
            .expect("log")
            .into_iter()
            .find(|(_, e)| e.doc_id == doc_id && e.action == AccessAction::Remove)
            .map(|(_, e)| match e.accessor {
                Accessor::Operator(name) => name,
                Accessor::Device { .. } => "a device".into(),
                Accessor::Visitor => "the visitor".into(),
            })
    }
}

#[tokio::test]
async fn a_retention_run_removes_what_is_due_and_keeps_what_a_legal_hold_holds() {
    let mut relay = Relay::in_memory();
    let due: Vec<String> = ["Anna", "Bo", "Cecilia", "David", "Eva"]
        .iter()
        .map(|name| relay.old(name))
        .collect();
    let held = relay.old("Bevarad");
    let young = relay.recent("Ny");
    let archivist = relay.user("arkiv", vec![Role::Archivist]);

    let hold = relay
        .call(
            "PUT",
            &format!("/api/v1/registrations/{held}/legal-hold"),
            &archivist,
            Some(json!({ "reason": "Begäran från JO, dnr 42-2026" })),
        )
        .await;
    assert_eq!(hold.status, StatusCode::OK, "{}", hold.body);
    assert_eq!(hold.body["legal_hold"]["set_by"], "hr:arkiv");

    let overview = relay
        .call("GET", "/api/v1/retention", &archivist, None)
        .await;
    assert_eq!(overview.status, StatusCode::OK, "{}", overview.body);
    let event = &overview.body["events"][0];
    assert_eq!(event["event_id"], DEMO);
    assert_eq!(event["months_after_receipt"], 24);
    assert_eq!(event["decision"], DEMO_DECISION);
    assert_eq!(
        (event["due"].as_u64(), event["held"].as_u64()),
        (Some(6), Some(1))
    );

    let run = relay.run_retention(&archivist).await;
    assert_eq!(run["removed"], 5);
    assert_eq!(run["held"], 1);
    assert_eq!(run["started_by"], "hr:arkiv");
    let run_id = run["id"].as_i64().expect("id");

    for doc_id in &due {
        assert!(
            relay
                .store()
                .stored_registration(doc_id)
                .expect("reads")
                .is_none()
        );
        assert!(relay.store().removal(doc_id).expect("reads").is_some());
        assert_eq!(
            relay.removed_by(doc_id).as_deref(),
            Some(format!("retention-run:{run_id}").as_str()),
            "the removal is logged as the run's"
        );
        let gone = relay
            .call(
                "GET",
                &format!("/api/v1/registrations/{doc_id}"),
                &archivist,
                None,
            )
            .await;
        assert_eq!(gone.status, StatusCode::GONE, "{}", gone.body);
    }
    for kept in [&held, &young] {
        assert!(
            relay
                .store()
                .stored_registration(kept)
                .expect("reads")
                .is_some()
        );
    }
    // Lists no longer show the removed, at once.
    let listed = relay
        .store()
        .list_registrations(
            &RegistrationFilter {
                limit: 100,
                ..RegistrationFilter::default()
            },
            &Accessor::Operator("test".into()),
            now_ms(),
        )
        .expect("lists");
    let mut listed: Vec<String> = listed.into_iter().map(|r| r.id).collect();
    listed.sort();
    let mut expected = vec![held.clone(), young.clone()];
    expected.sort();
    assert_eq!(listed, expected);
    assert!(
        relay
            .store()
            .verify_access_log()
            .expect("verifies")
            .broken_at
            .is_none()
    );

    // The removal record cites the rule and its decision, and holds no personal data.
    let reasons = relay
        .store()
        .removal(&due[0])
        .expect("reads")
        .expect("removed")
        .reason;
    assert!(reasons.contains("24 months after receipt"), "{reasons}");
    assert!(reasons.contains(DEMO_DECISION), "{reasons}");
    assert!(!reasons.contains("Anna"), "{reasons}");

    // Once the hold is lifted (with a reason), the next run removes the record.
    let no_reason = relay
        .call(
            "POST",
            &format!("/api/v1/registrations/{held}/legal-hold/lift"),
            &archivist,
            Some(json!({ "reason": "  " })),
        )
        .await;
    assert_eq!(no_reason.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        no_reason.body["message"]
            .as_str()
            .unwrap_or("")
            .contains("reason")
    );
    let lifted = relay
        .call(
            "POST",
            &format!("/api/v1/registrations/{held}/legal-hold/lift"),
            &archivist,
            Some(json!({ "reason": "Ärendet avslutat" })),
        )
        .await;
    assert_eq!(lifted.status, StatusCode::OK, "{}", lifted.body);
    assert!(lifted.body["legal_hold"].is_null());
    let second = relay.run_retention(&archivist).await;
    assert_eq!(
        (second["removed"].as_u64(), second["held"].as_u64()),
        (Some(1), Some(0))
    );
    assert!(
        relay
            .store()
            .stored_registration(&young)
            .expect("reads")
            .is_some()
    );
}

#[tokio::test]
async fn a_removal_of_a_record_on_legal_hold_is_refused_and_holds_are_for_archivists() {
    let mut relay = Relay::in_memory();
    let doc_id = relay.old("Hållen");
    let archivist = relay.user("arkiv", vec![Role::Archivist]);
    let recruiter = relay.user("rekryterare", vec![Role::Recruiter]);
    let path = format!("/api/v1/registrations/{doc_id}/legal-hold");
    let reason = json!({ "reason": "Tvist, dnr 7-2026" });

    let refused = relay
        .call("PUT", &path, &recruiter, Some(reason.clone()))
        .await;
    assert_eq!(
        (refused.status, refused.code()),
        (StatusCode::FORBIDDEN, Some("missing_role"))
    );
    let empty = relay
        .call("PUT", &path, &archivist, Some(json!({ "reason": "" })))
        .await;
    assert_eq!(
        (empty.status, empty.code()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("invalid_field"))
    );
    let unknown = relay
        .call(
            "PUT",
            "/api/v1/registrations/0190f1c2-0000-7000-8000-000000000000/legal-hold",
            &archivist,
            Some(reason.clone()),
        )
        .await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
    let set = relay
        .call("PUT", &path, &archivist, Some(reason.clone()))
        .await;
    assert_eq!(set.status, StatusCode::OK, "{}", set.body);
    let again = relay.call("PUT", &path, &archivist, Some(reason)).await;
    assert_eq!(
        (again.status, again.code()),
        (StatusCode::CONFLICT, Some("already_on_hold"))
    );

    let outcome = relay
        .store()
        .remove_registration(
            &doc_id,
            "by hand",
            &Accessor::Operator("op".into()),
            now_ms(),
        )
        .expect("answers");
    assert_eq!(outcome, RemovalOutcome::OnLegalHold);
    assert!(
        relay
            .store()
            .stored_registration(&doc_id)
            .expect("reads")
            .is_some()
    );
    assert!(relay.store().removal(&doc_id).expect("reads").is_none());
    assert!(
        !relay
            .store()
            .access_log_entries(0, 1000)
            .expect("log")
            .iter()
            .any(|(_, e)| e.action == AccessAction::Remove),
        "a refused removal logs no removal"
    );

    let lift_twice = |answer: &Answer| (answer.status, answer.code().map(str::to_owned));
    let lift = format!("{path}/lift");
    let first = relay
        .call(
            "POST",
            &lift,
            &archivist,
            Some(json!({ "reason": "klart" })),
        )
        .await;
    assert_eq!(first.status, StatusCode::OK);
    let second = relay
        .call(
            "POST",
            &lift,
            &archivist,
            Some(json!({ "reason": "klart" })),
        )
        .await;
    assert_eq!(
        lift_twice(&second),
        (StatusCode::CONFLICT, Some("not_on_hold".to_owned()))
    );
    let history: Vec<(bool, String, String)> = relay
        .store()
        .legal_hold_history(&doc_id)
        .expect("reads")
        .into_iter()
        .map(|change| (change.hold, change.reason, change.by))
        .collect();
    assert_eq!(
        history,
        [
            (true, "Tvist, dnr 7-2026".to_owned(), "hr:arkiv".to_owned()),
            (false, "klart".to_owned(), "hr:arkiv".to_owned())
        ]
    );
}

#[tokio::test]
async fn a_push_to_a_removed_record_is_refused_and_does_not_bring_it_back() {
    let mut relay = Relay::in_memory();
    let item = relay.capture_item(&Visitor {
        given: "Återkommande",
        email: "retry@example.se",
        talent_pool: false,
        received_days_ago: LONG_AGO / DAY_MS,
    });
    assert!(matches!(
        relay.push(item.clone(), LONG_AGO / DAY_MS),
        PushOutcome::Stored { .. }
    ));
    let IngestItem::Store { doc_id, .. } = &item else {
        panic!("a capture");
    };
    let archivist = relay.user("arkiv", vec![Role::Archivist]);
    assert_eq!(relay.run_retention(&archivist).await["removed"], 1);

    // The tablet, offline during the removal, sends the capture again.
    let outcome = relay.push(item.clone(), 0);
    assert!(
        matches!(&outcome, PushOutcome::Rejected(code, _) if *code == kiosk_core::protocol::ErrorCode::Removed),
        "{outcome:?}"
    );
    assert!(
        relay
            .store()
            .stored_registration(doc_id)
            .expect("reads")
            .is_none()
    );
    assert_eq!(relay.store().counts().expect("counts").registrations, 0);
    assert_eq!(relay.store().counts().expect("counts").quarantined, 0);
}

/// Every place `needle` occurs in `bytes`.
fn occurrences(bytes: &[u8], needle: &str) -> usize {
    bytes
        .windows(needle.len())
        .filter(|w| *w == needle.as_bytes())
        .count()
}

fn file_bytes(path: &std::path::Path) -> Vec<u8> {
    std::fs::read(path).unwrap_or_default()
}

#[tokio::test]
async fn after_removal_neither_the_database_file_nor_its_wal_holds_the_records_strings() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("relay.sqlite3");
    let wal = dir.path().join("relay.sqlite3-wal");
    let mut relay = Relay::in_file(&path);
    // Distinctive strings: a name and an email no generated record has.
    let (name, email) = ("Zebulonqvist", "zebulon.unik@exempel-gallring.se");
    let (kept_name, kept_email) = ("Kvarvarandesson", "kvar.unik@exempel-gallring.se");
    let removed = relay.capture(&Visitor {
        given: name,
        email,
        talent_pool: true,
        received_days_ago: LONG_AGO / DAY_MS,
    });
    relay.capture(&Visitor {
        given: kept_name,
        email: kept_email,
        talent_pool: true,
        received_days_ago: 5,
    });
    let archivist = relay.user("arkiv", vec![Role::Archivist]);
    // Lists index the records (names and email are copied into the index), and an HR
    // note and status go into the change log: all of it must go.
    relay
        .store()
        .list_registrations(
            &RegistrationFilter {
                limit: 10,
                ..RegistrationFilter::default()
            },
            &Accessor::Operator("test".into()),
            now_ms(),
        )
        .expect("lists");
    let before: Vec<u8> = [file_bytes(&path), file_bytes(&wal)].concat();
    assert!(
        occurrences(&before, name) > 0 && occurrences(&before, email) > 0,
        "the test can see a record's strings in the files"
    );

    let run = relay.run_retention(&archivist).await;
    assert_eq!(run["removed"], 1);
    assert!(relay.store().removal(&removed).expect("reads").is_some());

    let after: Vec<u8> = [file_bytes(&path), file_bytes(&wal)].concat();
    for gone in [name, email, &email.to_lowercase(), &name.to_lowercase()] {
        assert_eq!(occurrences(&after, gone), 0, "{gone} is still in the files");
    }
    assert!(
        occurrences(&after, kept_name) > 0,
        "the record not due is still there"
    );
}

#[tokio::test]
async fn a_talent_pool_withdrawal_takes_effect_at_once_and_tells_the_earliest_removal_date() {
    let mut relay = Relay::in_memory();
    let in_pool = relay.recent("Pool");
    let never = relay.capture(&Visitor {
        given: "Utan",
        email: "utan@example.se",
        talent_pool: false,
        received_days_ago: 3,
    });
    let recruiter = relay.user("rekryterare", vec![Role::Recruiter]);
    let outsider = {
        let user = user_with(&relay.state, "annan", vec![Role::Recruiter]);
        bearer(&relay.state, &user)
    };
    let pool_list = "/api/v1/registrations?talent_pool=true";
    let listed = relay.call("GET", pool_list, &recruiter, None).await;
    assert_eq!(
        listed.body["registrations"].as_array().map(Vec::len),
        Some(1)
    );

    let archivist = relay.user("arkiv", vec![Role::Archivist]);
    let pool_export = "/api/v1/registrations/export?format=json&talent_pool=true";
    let exported = relay.call("GET", pool_export, &archivist, None).await;
    assert!(exported.text.contains(&in_pool), "{}", exported.text);

    let path = format!("/api/v1/registrations/{in_pool}/talent-pool-withdrawal");
    let refused = relay.call("POST", &path, &outsider, None).await;
    assert_eq!(
        (refused.status, refused.code()),
        (StatusCode::FORBIDDEN, Some("not_assigned"))
    );
    assert_eq!(
        support::hr_api::logged(relay.store(), &in_pool, "annan"),
        ["read_refused"]
    );

    let withdrawn = relay.call("POST", &path, &recruiter, None).await;
    assert_eq!(withdrawn.status, StatusCode::OK, "{}", withdrawn.body);
    assert_eq!(withdrawn.body["already_withdrawn"], false);
    let due = withdrawn.body["earliest_removal_at"]
        .as_i64()
        .expect("a date");
    let received = now_ms() - 10 * DAY_MS;
    assert!(
        (due - received - 730 * DAY_MS).abs() < 3 * DAY_MS,
        "24 months after receipt"
    );
    let date = withdrawn.body["earliest_removal_date"]
        .as_str()
        .expect("date");
    for told in ["sv", "en"] {
        let text = withdrawn.body["tell_the_visitor"][told]
            .as_str()
            .expect("text");
        assert!(text.contains(date), "{told}: {text}");
    }
    assert!(
        withdrawn.body["tell_the_visitor"]["sv"]
            .as_str()
            .unwrap_or("")
            .contains("allmän handling")
    );
    assert_eq!(
        support::hr_api::logged(relay.store(), &in_pool, "rekryterare").last(),
        Some(&"change"),
        "the withdrawal is logged as a change"
    );

    // At once: out of talent-pool lists and exports, and the record says so.
    let listed = relay.call("GET", pool_list, &recruiter, None).await;
    assert_eq!(
        listed.body["registrations"].as_array().map(Vec::len),
        Some(0)
    );
    let detail = relay
        .call(
            "GET",
            &format!("/api/v1/registrations/{in_pool}"),
            &recruiter,
            None,
        )
        .await;
    assert_eq!(detail.body["talent_pool"], false);
    assert!(detail.body["retention"]["talent_pool_withdrawn_at"].is_i64());
    let export = relay.call("GET", pool_export, &archivist, None).await;
    assert_eq!(export.status, StatusCode::OK, "{}", export.text);
    assert!(!export.text.contains(&in_pool), "{}", export.text);

    let twice = relay.call("POST", &path, &recruiter, None).await;
    assert_eq!(twice.body["already_withdrawn"], true);
    let none = relay
        .call(
            "POST",
            &format!("/api/v1/registrations/{never}/talent-pool-withdrawal"),
            &recruiter,
            None,
        )
        .await;
    assert_eq!(
        (none.status, none.code()),
        (StatusCode::CONFLICT, Some("no_talent_pool_consent"))
    );
    // The record itself stays: it follows its retention rule.
    assert!(
        relay
            .store()
            .stored_registration(&in_pool)
            .expect("reads")
            .is_some()
    );
}

#[tokio::test]
async fn only_one_retention_run_goes_at_a_time_and_runs_are_for_archivists() {
    let mut relay = Relay::in_memory();
    for name in ["Anna", "Bo", "Cecilia"] {
        relay.old(name);
    }
    let recruiter = relay.user("rekryterare", vec![Role::Recruiter]);
    let archivist = relay.user("arkiv", vec![Role::Archivist]);
    let refused = relay
        .call("POST", "/api/v1/retention/runs", &recruiter, None)
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    // A run left unfinished (a relay killed mid-run) is carried on, not doubled.
    let left = relay
        .store()
        .start_retention_run("schedule", now_ms())
        .expect("starts")
        .expect("none going");
    let second = relay
        .call("POST", "/api/v1/retention/runs", &archivist, None)
        .await;
    assert_eq!(
        (second.status, second.code()),
        (StatusCode::CONFLICT, Some("run_in_progress"))
    );
    for _ in 0..500 {
        if relay
            .store()
            .retention_run(left.id)
            .expect("reads")
            .expect("run")
            .finished_at
            .is_some()
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let finished = relay
        .store()
        .retention_run(left.id)
        .expect("reads")
        .expect("run");
    assert_eq!(finished.removed, 3);
    let unknown = relay
        .call("GET", "/api/v1/retention/runs/999", &archivist, None)
        .await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn the_console_runs_retention_after_confirmation_and_the_detail_page_holds_and_withdraws() {
    use support::console_browser::{Browser, PASSWORD};
    let mut relay = Relay::in_memory();
    let old = relay.old("Gunilla");
    let young = relay.recent("Hanna");
    user_with(
        &relay.state,
        "arkiv",
        vec![Role::Archivist, Role::Recruiter],
    );
    relay
        .store()
        .assign_hr_event(
            relay
                .store()
                .hr_user_by_username("arkiv")
                .expect("reads")
                .expect("user")
                .0
                .id,
            DEMO,
        )
        .expect("assigns");
    let mut browser = Browser::new(&relay.state);
    browser.log_in("arkiv", PASSWORD).await;

    // The record's page: when it falls due, under which decision, and the hold form.
    let detail = browser
        .get(&format!("/console/registrations/{young}"))
        .await;
    assert_eq!(detail.status, StatusCode::OK);
    assert!(detail.body.contains("<h2>Gallring och talangpool</h2>"));
    assert!(detail.body.contains(DEMO_DECISION));
    assert!(detail.body.contains("Sätt spärr mot gallring"));
    let csrf = detail.csrf_field();
    let hold = format!("/console/registrations/{young}/legal-hold");
    let refused = browser
        .post(
            &hold,
            &[("csrf_token", &csrf), ("action", "set"), ("reason", "")],
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.body.contains("Skriv ett skäl på 1–500 tecken."));
    assert!(
        refused
            .body
            .contains(r#"aria-describedby="reason-hint reason-error""#)
    );
    let held = browser
        .post(
            &hold,
            &[
                ("csrf_token", &csrf),
                ("action", "set"),
                ("reason", "Dnr 9-2026"),
            ],
        )
        .await;
    assert_eq!(held.status, StatusCode::SEE_OTHER, "{}", held.body);
    let page = browser.get(held.location.as_deref().expect("back")).await;
    assert!(page.body.contains("Spärren mot gallring är satt."));
    assert!(page.body.contains("Får inte gallras: Dnr 9-2026"));
    assert!(page.body.contains("Häv spärren mot gallring"));

    let withdrawn = browser
        .post(
            &format!("/console/registrations/{young}/talent-pool-withdrawal"),
            &[("csrf_token", &csrf), ("confirmed", "yes")],
        )
        .await;
    assert_eq!(
        withdrawn.status,
        StatusCode::SEE_OTHER,
        "{}",
        withdrawn.body
    );
    let page = browser
        .get(withdrawn.location.as_deref().expect("back"))
        .await;
    assert!(page.body.contains("Återkallelsen är registrerad."));
    assert!(page.body.contains("Det här säger du till besökaren"));
    assert!(page.body.contains("allmän handling"));
    assert!(
        page.body
            .contains("Your consent to our talent pool is withdrawn")
    );
    assert!(
        page.body.contains("eftersom den måste bevaras"),
        "the hold is told"
    );

    // The retention page: the rule, one due record, and a start that needs confirming.
    let page = browser.get("/console/retention").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("<h1>Gallring</h1>"));
    assert!(page.body.contains("24 månader efter mottagandet"));
    assert!(
        page.body
            .contains(&format!(r#"href="/console/registrations/{young}""#))
    );
    let csrf = page.csrf_field();
    let unconfirmed = browser
        .post("/console/retention/runs", &[("csrf_token", &csrf)])
        .await;
    assert_eq!(unconfirmed.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        unconfirmed
            .body
            .contains("Bekräfta att de förfallna registreringarna ska tas bort.")
    );
    assert!(
        relay
            .store()
            .stored_registration(&old)
            .expect("reads")
            .is_some()
    );
    let started = browser
        .post(
            "/console/retention/runs",
            &[("csrf_token", &csrf), ("confirm", "yes")],
        )
        .await;
    assert_eq!(started.status, StatusCode::SEE_OTHER, "{}", started.body);
    let page = browser
        .get(started.location.as_deref().expect("back"))
        .await;
    assert!(page.body.contains("Gallringskörning 1 har startats."));
    for _ in 0..500 {
        if relay.store().removal(&old).expect("reads").is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert!(relay.store().removal(&old).expect("reads").is_some());
    assert!(
        relay
            .store()
            .stored_registration(&young)
            .expect("reads")
            .is_some()
    );

    // A recruiter has no retention page.
    user_with(&relay.state, "rekryterare", vec![Role::Recruiter]);
    let mut recruiter = Browser::new(&relay.state);
    recruiter.log_in("rekryterare", PASSWORD).await;
    let refused = recruiter.get("/console/retention").await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn a_run_applies_the_rules_as_they_stood_when_it_started() {
    let mut relay = Relay::in_memory();
    let two_months_old = relay.capture(&Visitor {
        given: "Ingrid",
        email: "ingrid@example.se",
        talent_pool: false,
        received_days_ago: 61,
    });
    // A run starts under the 24-month rule (its batches have not run yet)...
    let run = relay
        .store()
        .start_retention_run("hr:arkiv", now_ms())
        .expect("starts")
        .expect("none going");
    // ...and HR publishes a one-month rule before it gets going (or before a killed run
    // resumes): the run still removes only what the 24-month rule made due.
    let mut event = kiosk_core::demo::demo_event();
    event.draft_form.retention.months_after_capture = 1;
    event.draft_form.retention.decision = "Beslut 2026:9".into();
    event
        .publish(kiosk_core::ids::Timestamp(now_ms()))
        .expect("publishes");
    relay.store().put_event(&event).expect("stores");
    let finished = loop {
        match relay
            .store()
            .retention_run_step(run.id, 100, now_ms())
            .expect("steps")
        {
            RunStep::Finished(run) => break run,
            RunStep::Removed(_) => {}
        }
    };
    assert_eq!(finished.removed, 0);
    assert!(
        relay
            .store()
            .stored_registration(&two_months_old)
            .expect("reads")
            .is_some()
    );
    // The next run is under the new rule, and cites it.
    let archivist = relay.user("arkiv", vec![Role::Archivist]);
    assert_eq!(relay.run_retention(&archivist).await["removed"], 1);
    let removal = relay
        .store()
        .removal(&two_months_old)
        .expect("reads")
        .expect("removed");
    assert!(
        removal.reason.contains("Beslut 2026:9"),
        "{}",
        removal.reason
    );
}

#[tokio::test]
async fn a_hold_on_a_restricted_record_needs_the_clearance() {
    let mut relay = Relay::in_memory();
    let restricted = relay.restricted_old();
    let archivist = relay.user("arkiv", vec![Role::Archivist]);
    let path = format!("/api/v1/registrations/{restricted}/legal-hold");
    let reason = json!({ "reason": "Dnr 3-2026" });
    let refused = relay
        .call("PUT", &path, &archivist, Some(reason.clone()))
        .await;
    // Answered as an id the relay never held: without the clearance, no telling.
    assert_eq!(
        (refused.status, refused.code()),
        (StatusCode::NOT_FOUND, Some("unknown_registration"))
    );
    let dates = relay
        .call(
            "GET",
            &format!("/api/v1/registrations/{restricted}/retention"),
            &archivist,
            None,
        )
        .await;
    assert_eq!(dates.status, StatusCode::NOT_FOUND);
    assert_eq!(
        support::hr_api::logged(relay.store(), &restricted, "arkiv"),
        ["read_refused", "read_refused"]
    );
    assert!(relay.store().legal_holds().expect("reads").is_empty());

    // Nor does an archivist without it see the hold in the overview.
    let cleared = user_with(&relay.state, "skyddsarkiv", vec![Role::Archivist]);
    relay
        .store()
        .set_hr_clearance(cleared.id, true)
        .expect("cleared");
    let cleared = bearer(&relay.state, &cleared);
    let held = relay.call("PUT", &path, &cleared, Some(reason)).await;
    assert_eq!(held.status, StatusCode::OK, "{}", held.body);
    let holds = |answer: &Answer| answer.body["legal_holds"].as_array().map(Vec::len);
    let seen = relay.call("GET", "/api/v1/retention", &cleared, None).await;
    assert_eq!(holds(&seen), Some(1));
    let unseen = relay
        .call("GET", "/api/v1/retention", &archivist, None)
        .await;
    assert_eq!(holds(&unseen), Some(0));
    assert_eq!(unseen.body["events"][0]["held"], 1, "counts only");
    assert_eq!(
        unseen.body["events"][0]["event_name"]["sv"],
        kiosk_core::demo::demo_event().name.sv
    );
    // Retention keeps it, held, whoever starts the run.
    assert_eq!(relay.run_retention(&archivist).await["held"], 1);
    assert!(
        relay
            .store()
            .stored_registration(&restricted)
            .expect("reads")
            .is_some()
    );
}

#[tokio::test]
async fn the_consoles_talent_pool_withdrawal_acts_only_after_its_confirmation_page() {
    use support::console_browser::{Browser, PASSWORD};
    let mut relay = Relay::in_memory();
    let in_pool = relay.recent("Pool");
    relay.user("rekryterare", vec![Role::Recruiter]);
    let mut browser = Browser::new(&relay.state);
    let login = browser.log_in("rekryterare", PASSWORD).await;
    assert_eq!(login.status, StatusCode::SEE_OTHER, "{}", login.body);
    let detail = format!("/console/registrations/{in_pool}");
    let page = browser.get(&detail).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    let csrf = page.csrf_field();
    let path = format!("{detail}/talent-pool-withdrawal");
    let withdrawn = |relay: &Relay| {
        relay
            .store()
            .record_retention(&in_pool)
            .expect("reads")
            .expect("held")
            .talent_pool_withdrawn_at
    };

    // The detail page's button posts without the confirmation: a page that asks, and
    // nothing withdrawn.
    let asked = browser.post(&path, &[("csrf_token", &csrf)]).await;
    assert_eq!(asked.status, StatusCode::OK, "{}", asked.body);
    assert!(
        asked
            .body
            .contains("<h1>Registrera återkallelsen av samtycket?</h1>")
    );
    assert!(asked.body.contains(r#"name="confirmed" value="yes""#));
    assert!(
        asked.body.contains(&format!(r#"href="{detail}""#)),
        "cancel leads back"
    );
    assert_eq!(withdrawn(&relay), None, "nothing before the confirmation");
    // Anything but `yes` is no confirmation either.
    let forged = browser
        .post(&path, &[("csrf_token", &csrf), ("confirmed", "true")])
        .await;
    assert_eq!(forged.status, StatusCode::OK);
    assert_eq!(withdrawn(&relay), None);

    let confirmed = browser
        .post(&path, &[("csrf_token", &csrf), ("confirmed", "yes")])
        .await;
    assert_eq!(
        confirmed.location.as_deref(),
        Some(format!("{detail}?saved=withdrawn").as_str())
    );
    assert!(withdrawn(&relay).is_some());
}
