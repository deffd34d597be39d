//! HR exports registrations over the relay's API: only archivists, never restricted
//! records (whatever the clearance), CSV that Excel with Swedish settings opens as it should
//! (BOM, `;`, CRLF, formula-looking cells neutralised, labels in the chosen language where
//! people read and the codes in columns of their own) or JSON with the same records, and
//! one `export` access-log entry per exported record.

use kiosk_core::ids::Timestamp;
use kiosk_core::language::Language;
use kiosk_core::protocol::enrollment::EnrolledRole;
use kiosk_core::sync::HttpTransport;
use kiosk_core::validation::RegistrationInput;
use kiosk_core::visitor::VisitorSession;
use kiosk_sync_server::hr::accounts::Role;
use kiosk_sync_server::hr::provision_user;
use kiosk_sync_server::storage::{AccessAction, Accessor, RelayStore};
use kiosk_tests::hr::{Hr, Http, PASSWORD, user};
use kiosk_tests::{file_relay, sync_now, tablet};
use serde_json::{Value, json};

const SWEDISH_HEADER: &str = "Id;Kvittokod;Evenemang;Registrerad (UTC);Förnamn;Efternamn;E-post;\
                              Telefon;Intresseområden;Orter;Utbildningsnivå;Talangpool;Status;Språk;\
                              evenemang_id;intresseomraden_koder;orter_koder;utbildningsniva_kod;\
                              status_kod;sprak_kod";
const ENGLISH_HEADER: &str = "Id;Receipt code;Event;Captured at (UTC);Given name;Family name;\
                              Email;Phone;Interests;Locations;Education level;Talent pool;Status;\
                              Language;event_id;interest_codes;location_codes;\
                              education_level_code;status_code;language_code";

/// An answer: status, the headers an export sets, and the body's bytes.
struct Answer {
    status: u16,
    content_type: String,
    disposition: String,
    cache_control: String,
    body: Vec<u8>,
}

impl Answer {
    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or(Value::Null)
    }

    fn code(&self) -> Option<String> {
        self.json()["code"].as_str().map(str::to_owned)
    }
}

/// Exports with `query` as `hr`.
fn export(hr: &Hr<'_>, query: &str) -> Answer {
    let raw = hr.get_raw(&format!("/api/v1/registrations/export{query}"));
    Answer {
        status: raw.status,
        content_type: raw.header("content-type").to_owned(),
        disposition: raw.header("content-disposition").to_owned(),
        cache_control: raw.header("cache-control").to_owned(),
        body: raw.body,
    }
}

/// The `export` entries of the access log, as (doc id, username), sorted.
fn exports(store: &dyn RelayStore) -> Vec<(String, String)> {
    let mut entries: Vec<(String, String)> = store
        .access_log_entries(0, 100_000)
        .expect("log")
        .into_iter()
        .filter(|(_, e)| e.action == AccessAction::Export)
        .map(|(_, e)| {
            let Accessor::Operator(name) = e.accessor else {
                panic!("an export by a device");
            };
            (e.doc_id, name)
        })
        .collect();
    entries.sort();
    entries
}

/// The CSV's rows after its byte-order mark, each split into cells. The test's cells hold no
/// `;` or `"`, so no cell is quoted.
fn csv_rows(body: &[u8]) -> Vec<Vec<String>> {
    let text = std::str::from_utf8(body).expect("UTF-8");
    let text = text.strip_prefix('\u{feff}').expect("a byte-order mark");
    assert!(text.ends_with("\r\n"), "the last row ends with CRLF");
    assert!(
        !text.replace("\r\n", "").contains(['\n', '\r']),
        "every line ends with CRLF"
    );
    text.split_terminator("\r\n")
        .map(|line| line.split(';').map(str::to_owned).collect())
        .collect()
}

/// The three visitors: an open record with å, ä and ö who joins the talent pool, an open
/// record whose name and email look like formulas to a spreadsheet, and a restricted one.
struct Captured {
    marta: String,
    anna: String,
    tove: String,
}

fn capture_three(url: &str, code: &kiosk_core::protocol::enrollment::EnrollmentCode) -> Captured {
    let tablet = tablet();
    let transport = HttpTransport::new(url);
    tablet.device.enroll(code, &transport).expect("enrolls");
    let mut session =
        VisitorSession::start(tablet.device.clone(), Timestamp::now()).expect("session");
    let mut submit = |input: RegistrationInput| {
        session.update(input, Timestamp::now()).expect("draft");
        session
            .submit(Timestamp::now())
            .expect("captured")
            .registration_id
            .to_string()
    };
    let marta = submit(RegistrationInput {
        language: Some(Language::Swedish),
        given_name: "Märta Åsa".into(),
        family_name: "Öberg".into(),
        email: "marta.oberg@exempel.se".into(),
        phone: "070-123 45 67".into(),
        interests: vec!["law".into(), "it-development".into()],
        locations: vec!["stockholm".into(), "malmo".into()],
        education_level: "master".into(),
        privacy_notice_acknowledged: true,
        talent_pool_opt_in: true,
        ..RegistrationInput::default()
    });
    let anna = submit(RegistrationInput {
        language: Some(Language::English),
        given_name: "-Anna".into(),
        family_name: "Lind".into(),
        email: "=1+2@exempel.se".into(),
        interests: vec!["hr".into()],
        privacy_notice_acknowledged: true,
        ..RegistrationInput::default()
    });
    let tove = submit(RegistrationInput {
        language: Some(Language::Swedish),
        given_name: "Tove".into(),
        family_name: "Lindqvist".into(),
        email: "tove@exempel.se".into(),
        interests: vec!["law".into()],
        privacy_notice_acknowledged: true,
        protected_personal_data: true,
        ..RegistrationInput::default()
    });
    assert_eq!(
        sync_now(&tablet.device, &transport)
            .expect("syncs")
            .received,
        3
    );
    Captured { marta, anna, tove }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn archivists_export_open_records_as_csv_and_json_and_every_exported_record_is_logged() {
    let relay = file_relay().await;
    let url = relay.server.url();
    let code = relay.code(EnrolledRole::Kiosk, 1, 3_600_000);
    let store = relay.store.clone();
    tokio::task::spawn_blocking(move || {
        let Captured { marta, anna, tove } = capture_three(&url, &code);
        let store: &dyn RelayStore = store.as_ref();
        let arvid = user(store, "arvid", Role::Archivist);
        // The clearance lets arvid read restricted records one by one, never export them.
        store.set_hr_clearance(arvid, true).expect("cleared");
        let http = Http::new(url.clone());
        let archivist = http.login("arvid");

        let csv = export(&archivist, "");
        assert_eq!(csv.status, 200, "{}", String::from_utf8_lossy(&csv.body));
        assert_eq!(csv.content_type, "text/csv; charset=utf-8");
        let today = &Timestamp::now().utc_iso8601()[..10];
        assert_eq!(
            csv.disposition,
            format!("attachment; filename=\"registrations-{today}.csv\"")
        );
        assert_eq!(csv.cache_control, "no-store");
        assert!(csv.body.starts_with(&[0xEF, 0xBB, 0xBF]), "UTF-8 BOM");
        let rows = csv_rows(&csv.body);
        assert_eq!(rows[0].join(";"), SWEDISH_HEADER);
        assert_eq!(rows.len(), 3, "a header and the two open records");
        assert!(rows.iter().all(|r| r.len() == 20), "20 cells in every row");
        let row = |id: &str| rows.iter().find(|r| r[0] == id).expect("a row").clone();
        let (anna_row, marta_row) = (row(&anna), row(&marta));
        let receipt = marta_row[1].clone();
        assert_eq!(receipt.len(), 9, "a receipt code: {receipt}");
        assert_eq!(
            marta_row[2], "Karriärmässa Stockholm 2026",
            "the event by its name"
        );
        let captured_at = &marta_row[3];
        assert!(
            captured_at.len() == 20 && captured_at.ends_with('Z') && &captured_at[10..11] == "T",
            "ISO 8601 UTC: {captured_at}"
        );
        assert_eq!(
            marta_row[4..].to_vec(),
            [
                "Märta Åsa",
                "Öberg",
                "marta.oberg@exempel.se",
                // E.164 begins with `+`, so it is shown as text too.
                "'+46701234567",
                // Labels in Swedish where people read…
                "Juridik, IT-utveckling",
                "Stockholm, Malmö",
                "Magister- eller masterexamen",
                "ja",
                "Ny",
                "svenska",
                // …and the codes for machines.
                kiosk_core::demo::DEMO_EVENT_ID,
                "law,it-development",
                "stockholm,malmo",
                "master",
                "new",
                "sv",
            ]
        );
        assert_eq!(
            anna_row[4], "'-Anna",
            "a name like a formula is neutralised"
        );
        assert_eq!(anna_row[6], "'=1+2@exempel.se", "so is an email");
        assert_eq!(anna_row[7], "", "no phone");
        assert_eq!(
            (&anna_row[11][..], &anna_row[13][..], &anna_row[19][..]),
            ("nej", "engelska", "en")
        );
        let text = String::from_utf8_lossy(&csv.body);
        assert!(
            !text.contains(&tove) && !text.contains("Tove"),
            "restricted"
        );
        let mut expected = vec![
            (anna.clone(), "hr:arvid".to_owned()),
            (marta.clone(), "hr:arvid".to_owned()),
        ];
        expected.sort();
        assert_eq!(
            exports(store),
            expected,
            "one export entry per exported record, none for the restricted one"
        );

        let english = export(&archivist, "?lang=en&format=csv");
        assert_eq!(english.status, 200);
        let rows = csv_rows(&english.body);
        assert_eq!(rows[0].join(";"), ENGLISH_HEADER);
        let row = |id: &str| rows.iter().find(|r| r[0] == id).expect("a row").clone();
        assert_eq!(
            row(&marta)[8..14].to_vec(),
            [
                "Law, IT development",
                "Stockholm, Malmö",
                "Master's degree",
                "yes",
                "New",
                "Swedish",
            ],
            "labels in English"
        );
        assert_eq!(row(&marta)[2], "Stockholm Career Fair 2026");
        assert_eq!(
            row(&marta)[14..].to_vec(),
            [
                kiosk_core::demo::DEMO_EVENT_ID,
                "law,it-development",
                "stockholm,malmo",
                "master",
                "new",
                "sv",
            ],
            "the same codes whatever the language"
        );
        assert_eq!(
            (&row(&anna)[11][..], &row(&anna)[13][..]),
            ("no", "English")
        );

        let json_answer = export(&archivist, "?format=json");
        assert_eq!(json_answer.status, 200);
        assert_eq!(json_answer.content_type, "application/json");
        assert_eq!(
            json_answer.disposition,
            format!("attachment; filename=\"registrations-{today}.json\"")
        );
        assert!(!json_answer.body.starts_with(&[0xEF, 0xBB, 0xBF]), "no BOM");
        let records = json_answer.json();
        let records = records.as_array().expect("one JSON array");
        assert_eq!(records.len(), 2);
        let record = |id: &str| {
            records
                .iter()
                .find(|r| r["id"] == id)
                .expect("a record")
                .clone()
        };
        assert_eq!(
            record(&marta),
            json!({
                "id": marta,
                "receipt_code": receipt,
                "event_id": kiosk_core::demo::DEMO_EVENT_ID,
                "captured_at": captured_at,
                "given_name": "Märta Åsa",
                "family_name": "Öberg",
                "email": "marta.oberg@exempel.se",
                "phone": "+46701234567",
                "interests": ["law", "it-development"],
                "locations": ["stockholm", "malmo"],
                "education_level": "master",
                "talent_pool": true,
                "status": "new",
                "language": "sv",
            })
        );
        let anna_record = record(&anna);
        assert_eq!(
            anna_record["given_name"], "-Anna",
            "JSON keeps the name as is"
        );
        assert_eq!(anna_record["email"], "=1+2@exempel.se");
        assert_eq!(anna_record["phone"], Value::Null);
        assert_eq!(anna_record["talent_pool"], false);

        // The list's filters narrow an export.
        let found = export(&archivist, "?format=json&q=ANNA");
        let found = found.json();
        let ids: Vec<&str> = found
            .as_array()
            .expect("array")
            .iter()
            .map(|r| r["id"].as_str().expect("id"))
            .collect();
        assert_eq!(ids, [anna.as_str()]);
        let lawyers = export(
            &archivist,
            &format!(
                "?format=json&interest=law&event={}",
                kiosk_core::demo::DEMO_EVENT_ID
            ),
        );
        assert_eq!(
            lawyers.json().as_array().map(Vec::len),
            Some(1),
            "Tove never"
        );
        let none = export(&archivist, "?status=hired");
        assert_eq!(csv_rows(&none.body).len(), 1, "only the header");

        let logged = exports(store);
        let count = |id: &str| logged.iter().filter(|(d, _)| d == id).count();
        assert_eq!((count(&marta), count(&anna), count(&tove)), (4, 4, 0));
        assert!(
            store
                .verify_access_log()
                .expect("verified")
                .broken_at
                .is_none()
        );
    })
    .await
    .expect("ran");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_archivists_with_their_own_password_export_and_bad_filters_are_named() {
    let relay = file_relay().await;
    let url = relay.server.url();
    let code = relay.code(EnrolledRole::Kiosk, 1, 3_600_000);
    let store = relay.store.clone();
    tokio::task::spawn_blocking(move || {
        capture_three(&url, &code);
        let store: &dyn RelayStore = store.as_ref();
        let rut = user(store, "rut", Role::Recruiter);
        store.set_hr_clearance(rut, true).expect("cleared");
        store
            .assign_hr_event(rut, kiosk_core::demo::DEMO_EVENT_ID)
            .expect("assigned");
        user(store, "anna", Role::Admin);
        user(store, "arvid", Role::Archivist);
        let (_, one_time) = provision_user(store, "nils", "Ny arkivarie", vec![Role::Archivist], 0)
            .expect("provisioned");

        let http = Http::new(url.clone());
        for (who, password, code) in [
            ("rut", PASSWORD, "missing_role"),
            ("anna", PASSWORD, "missing_role"),
            ("nils", one_time.as_str(), "password_change_required"),
        ] {
            let answer = export(&http.login_with(who, password), "?format=json");
            assert_eq!(
                (answer.status, answer.code().as_deref()),
                (403, Some(code)),
                "{who}"
            );
            assert!(!String::from_utf8_lossy(&answer.body).contains("Märta"));
        }
        let anonymous = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .build()
            .new_agent()
            .get(&format!("{url}/api/v1/registrations/export"))
            .call()
            .expect("answer");
        assert_eq!(anonymous.status().as_u16(), 401);
        assert!(exports(store).is_empty(), "nothing was exported");

        let http = Http::new(url.clone());
        let archivist = http.login("arvid");
        for (query, parameter) in [
            ("?status=lost", "status"),
            ("?talent_pool=maybe", "talent_pool"),
            ("?q=a", "q"),
            ("?from=yesterday", "from"),
            ("?colour=red", "colour"),
            ("?limit=10", "limit"),
            ("?after=1~x", "after"),
            ("?format=xlsx", "format"),
            ("?lang=fi", "lang"),
        ] {
            let answer = export(&archivist, query);
            let body = answer.json();
            assert_eq!(
                (answer.status, body["code"].as_str()),
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
        assert!(exports(store).is_empty());
    })
    .await
    .expect("ran");
}
