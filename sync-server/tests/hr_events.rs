//! Events and their forms as admins create, edit and publish them, through the JSON API and
//! the console: each admin edits as their own Automerge actor from the heads they read, so
//! concurrent edits merge; published versions never change; tablets are served the newly
//! published form. Every refusal has its status and code, and changes nothing.

mod support {
    pub mod console_browser;
    pub mod hr_api;
}

use axum::http::StatusCode;
use kiosk_core::documents::{EventDocument, actor_id};
use kiosk_core::ids::EventId;
use kiosk_sync_server::AppState;
use kiosk_sync_server::hr::accounts::Role;
use serde_json::{Value, json};
use support::console_browser::{Browser, PASSWORD, user_with};
use support::hr_api::{self, Answer, ApiSession as Session};

fn relay() -> AppState {
    AppState::demo_in_memory().expect("relay")
}

/// Sends a request through the router, as `session`'s user if given.
async fn call(
    state: &AppState,
    method: &str,
    path: &str,
    session: Option<&Session>,
    body: Option<Value>,
) -> Answer {
    let headers = session.map(Session::headers);
    let headers: &[(&str, &str)] = headers.as_ref().map_or(&[], |h| h);
    hr_api::call(state, method, path, headers, body).await
}

/// A user with `roles` and their own password, logged in through the API.
async fn session(state: &AppState, username: &str, roles: Vec<Role>) -> Session {
    Session::log_in(state, username, roles).await
}

/// A new event's body: a two-day fair with the demo form's lists and notices.
fn new_event(id: &str) -> Value {
    let form = kiosk_core::demo::demo_form();
    json!({
        "id": id,
        "name": { "sv": "Höstmässan 2026", "en": "Autumn Fair 2026" },
        "venue": "Norrköping, Louis De Geer",
        "starts_on": "2026-10-14",
        "ends_on": "2026-10-15",
        "languages": ["sv", "en"],
        "draft_form": form,
    })
}

/// The body of a PUT that sends `event` (as GET answered it) back from its heads.
fn update_of(event: &Value) -> Value {
    json!({
        "heads": event["heads"],
        "name": event["name"],
        "venue": event["venue"],
        "starts_on": event["starts_on"],
        "ends_on": event["ends_on"],
        "languages": event["languages"],
        "draft_form": event["draft_form"],
    })
}

/// Creates an event from `body` as `admin`.
async fn create(state: &AppState, admin: &Session, body: Value) -> Answer {
    call(state, "POST", "/api/v1/events", Some(admin), Some(body)).await
}

/// Saves `body` to the event `host-fair-2026` as `admin`.
async fn save(state: &AppState, admin: &Session, body: Value) -> Answer {
    let path = "/api/v1/events/host-fair-2026";
    call(state, "PUT", path, Some(admin), Some(body)).await
}

/// Publishes the event `host-fair-2026` from the heads in `body` as `admin`.
async fn publish(state: &AppState, admin: &Session, body: Value) -> Answer {
    let path = "/api/v1/events/host-fair-2026/publish";
    call(state, "POST", path, Some(admin), Some(body)).await
}

async fn created(state: &AppState, admin: &Session, id: &str) -> Value {
    let answer = create(state, admin, new_event(id)).await;
    assert_eq!(answer.status, StatusCode::CREATED, "{}", answer.body);
    answer.body
}

async fn read(state: &AppState, admin: &Session, id: &str) -> Value {
    let answer = call(
        state,
        "GET",
        &format!("/api/v1/events/{id}"),
        Some(admin),
        None,
    )
    .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    answer.body
}

/// An admin, Anna, logged in, and the event `host-fair-2026` as she created it.
async fn admin_with_event(state: &AppState) -> (Session, Value) {
    let admin = session(state, "anna.admin", vec![Role::Admin]).await;
    let event = created(state, &admin, "host-fair-2026").await;
    (admin, event)
}

/// Two admins, Anna and Bo, logged in; Anna has created the event `host-fair-2026`.
async fn two_admins(state: &AppState) -> (Session, Session) {
    let anna = session(state, "anna.admin", vec![Role::Admin]).await;
    let bo = session(state, "bo.admin", vec![Role::Admin]).await;
    created(state, &anna, "host-fair-2026").await;
    (anna, bo)
}

/// The event's Automerge document as the relay holds it.
fn document(state: &AppState, id: &str) -> EventDocument {
    let id = EventId::parse(id).expect("slug");
    let changes = state
        .store
        .event_changes_since(&id, &[])
        .expect("storage")
        .expect("an event");
    EventDocument::load_unattributed(&changes)
        .expect("a valid event document")
        .0
}

fn refusal(answer: &Answer) -> (StatusCode, &str) {
    (answer.status, answer.body["code"].as_str().unwrap_or(""))
}

#[tokio::test]
async fn an_event_created_edited_and_published_is_served_to_tablets_in_its_new_version() {
    let state = relay();
    let (admin, event) = admin_with_event(&state).await;
    assert_eq!(event["current_version"], Value::Null);
    assert_eq!(event["published"], json!([]));
    let tablet_form = call(&state, "GET", "/v1/events/host-fair-2026/form", None, None).await;
    assert_eq!(
        refusal(&tablet_form),
        (StatusCode::NOT_FOUND, "not_published")
    );

    // A tablet already holding the event, as a pull left it.
    let mut tablet = document(&state, "host-fair-2026");
    let tablet_heads = tablet.head_bytes();

    let mut update = update_of(&event);
    update["venue"] = json!("Norrköping, Arbetets museum");
    update["draft_form"]["max_interests"] = json!(2);
    let saved = save(&state, &admin, update).await;
    assert_eq!(saved.status, StatusCode::OK, "{}", saved.body);
    assert_eq!(saved.body["venue"], "Norrköping, Arbetets museum");
    assert_eq!(saved.body["merged_concurrent"], false);
    assert_ne!(saved.body["heads"], event["heads"]);

    let published = publish(&state, &admin, json!({ "heads": saved.body["heads"] })).await;
    assert_eq!(published.status, StatusCode::OK, "{}", published.body);
    let version = published.body["version"].as_str().expect("a version");
    assert_eq!(published.body["form"]["max_interests"], 2);
    assert_eq!(published.body["current_version"], version);

    let id = EventId::parse("host-fair-2026").expect("slug");
    let pulled = state
        .store
        .event_changes_since(&id, &tablet_heads)
        .expect("storage")
        .expect("changes past the tablet's heads");
    tablet
        .apply_change_chunks(&pulled)
        .expect("the tablet merges them");
    assert_eq!(
        Some(tablet.read().expect("valid")),
        state.store.event(&id).expect("storage")
    );
    let served = call(&state, "GET", "/v1/events/host-fair-2026/form", None, None).await;
    assert_eq!(served.status, StatusCode::OK);
    assert_eq!(served.body["version"], version);
    assert_eq!(served.body["form"], published.body["form"]);

    let listed = call(&state, "GET", "/api/v1/events", Some(&admin), None).await;
    let row = listed.body["events"]
        .as_array()
        .expect("events")
        .iter()
        .find(|e| e["id"] == "host-fair-2026")
        .expect("listed");
    assert_eq!(row["current_version"], version);
    assert_eq!(row["published_versions"], 1);
    assert_eq!(row["draft_unpublished"], false);
    assert_eq!(
        document(&state, "host-fair-2026").authors(),
        vec![actor_id(&admin.user.actor_key())],
        "every change is the admin's own"
    );
}

#[tokio::test]
async fn two_admins_editing_from_the_same_heads_both_keep_their_changes() {
    let state = relay();
    let (anna, bo) = two_admins(&state).await;
    // Both read the event at the same heads.
    let seen_by_anna = read(&state, &anna, "host-fair-2026").await;
    let seen_by_bo = read(&state, &bo, "host-fair-2026").await;
    assert_eq!(seen_by_anna["heads"], seen_by_bo["heads"]);

    let mut venue = update_of(&seen_by_anna);
    venue["venue"] = json!("Linköping, Konsert & Kongress");
    let first = save(&state, &anna, venue).await;
    assert_eq!(first.status, StatusCode::OK, "{}", first.body);
    assert_eq!(first.body["merged_concurrent"], false);

    let mut name_and_area = update_of(&seen_by_bo);
    name_and_area["name"]["en"] = json!("Autumn Careers Fair 2026");
    name_and_area["draft_form"]["interest_areas"][1]["label"]["en"] = json!("Asylum case officer");
    let second = save(&state, &bo, name_and_area).await;
    assert_eq!(second.status, StatusCode::OK, "{}", second.body);
    assert_eq!(second.body["merged_concurrent"], true);

    let merged = read(&state, &anna, "host-fair-2026").await;
    assert_eq!(merged["venue"], "Linköping, Konsert & Kongress");
    assert_eq!(merged["name"]["en"], "Autumn Careers Fair 2026");
    assert_eq!(merged["name"]["sv"], "Höstmässan 2026");
    assert_eq!(
        merged["draft_form"]["interest_areas"][1]["label"]["en"],
        "Asylum case officer"
    );
    assert_eq!(merged["heads"].as_array().map(Vec::len), Some(2));
    let mut actors = vec![
        actor_id(&anna.user.actor_key()),
        actor_id(&bo.user.actor_key()),
    ];
    actors.sort();
    assert_ne!(actors[0], actors[1]);
    assert_eq!(document(&state, "host-fair-2026").authors(), actors);
}

#[tokio::test]
async fn edits_after_publishing_make_a_new_version_and_the_old_one_stays_byte_identical() {
    let state = relay();
    let (admin, event) = admin_with_event(&state).await;
    let first = publish(&state, &admin, json!({ "heads": event["heads"] })).await;
    assert_eq!(first.status, StatusCode::OK, "{}", first.body);
    let old_version = first.body["version"].as_str().expect("version").to_owned();
    let id = EventId::parse("host-fair-2026").expect("slug");
    let frozen = |state: &AppState| {
        let event = state.store.event(&id).expect("storage").expect("event");
        let published = event.published.get(&old_version).expect("kept").clone();
        (serde_json::to_vec(&published).expect("JSON"), published)
    };
    let (old_bytes, _) = frozen(&state);

    let mut update = update_of(&read(&state, &admin, "host-fair-2026").await);
    update["draft_form"]["privacy_notice"]["en"] = json!("A reworded privacy notice.");
    let saved = save(&state, &admin, update).await;
    assert_eq!(saved.status, StatusCode::OK, "{}", saved.body);
    assert_eq!(saved.body["current_version"], old_version.as_str());
    assert_ne!(saved.body["draft_version"], old_version.as_str());
    let second = publish(&state, &admin, json!({ "heads": saved.body["heads"] })).await;
    assert_eq!(second.status, StatusCode::OK, "{}", second.body);
    assert_ne!(second.body["version"], old_version.as_str());

    let (bytes_after, published_after) = frozen(&state);
    assert_eq!(bytes_after, old_bytes, "the old version is unchanged");
    assert_eq!(published_after.form.version().as_str(), old_version);
    let event = read(&state, &admin, "host-fair-2026").await;
    assert_eq!(event["published"].as_array().map(Vec::len), Some(2));
    assert_eq!(event["current_version"], second.body["version"]);
}

#[tokio::test]
async fn unknown_or_stale_heads_are_refused_with_409_and_nothing_changes() {
    let state = relay();
    let (admin, event) = admin_with_event(&state).await;

    let mut unknown = update_of(&event);
    unknown["heads"] = json!(["00".repeat(32)]);
    unknown["venue"] = json!("Elsewhere");
    let answer = save(&state, &admin, unknown).await;
    assert_eq!(refusal(&answer), (StatusCode::CONFLICT, "unknown_heads"));
    assert!(
        answer.body["message"]
            .as_str()
            .unwrap_or("")
            .contains("reload")
    );
    let published = publish(&state, &admin, json!({ "heads": ["11".repeat(32)] })).await;
    assert_eq!(refusal(&published), (StatusCode::CONFLICT, "unknown_heads"));
    assert_eq!(read(&state, &admin, "host-fair-2026").await, event);
    let elsewhere = call(
        &state,
        "PUT",
        "/api/v1/events/no-such-fair",
        Some(&admin),
        Some(update_of(&event)),
    )
    .await;
    assert_eq!(
        refusal(&elsewhere),
        (StatusCode::NOT_FOUND, "unknown_event")
    );

    // The same admin saving again from a page older than their own last save.
    let mut first = update_of(&event);
    first["venue"] = json!("Hall A");
    let saved = save(&state, &admin, first).await;
    assert_eq!(saved.status, StatusCode::OK);
    let after_save = read(&state, &admin, "host-fair-2026").await;
    let mut stale = update_of(&event);
    stale["venue"] = json!("Hall B");
    let answer = save(&state, &admin, stale).await;
    assert_eq!(refusal(&answer), (StatusCode::CONFLICT, "stale_heads"));
    assert_eq!(read(&state, &admin, "host-fair-2026").await, after_save);
}

#[tokio::test]
async fn invalid_input_is_refused_with_422_naming_the_field_and_nothing_changes() {
    let state = relay();
    let (admin, event) = admin_with_event(&state).await;
    let listed_before = call(&state, "GET", "/api/v1/events", Some(&admin), None).await;

    let edit = |change: &dyn Fn(&mut Value)| {
        let mut body = update_of(&event);
        change(&mut body);
        body
    };
    let cases: Vec<(Value, &str)> = vec![
        (edit(&|b| b["ends_on"] = json!("2026-10-13")), "ends_on"),
        (
            edit(&|b| b["draft_form"]["interest_areas"] = json!([])),
            "draft_form.interest_areas",
        ),
        (
            edit(&|b| b["name"]["sv"] = json!("x".repeat(201))),
            "name.sv",
        ),
        (
            edit(&|b| b["draft_form"]["locations"][0]["code"] = json!("Not A Slug")),
            "draft_form.locations[0].code",
        ),
        (
            edit(&|b| b["draft_form"]["retention"]["months_after_capture"] = json!(0)),
            "draft_form.retention.months_after_capture",
        ),
    ];
    for (body, field) in cases {
        let answer = save(&state, &admin, body).await;
        assert_eq!(
            refusal(&answer),
            (StatusCode::UNPROCESSABLE_ENTITY, "invalid_event"),
            "{field}"
        );
        let message = answer.body["message"].as_str().unwrap_or("");
        assert!(message.contains(&format!("{field}:")), "{message}");
        assert!(!message.contains("xxxx"), "no value is repeated back");
    }
    assert_eq!(read(&state, &admin, "host-fair-2026").await, event);

    let mut bad_slug = new_event("Bad Slug");
    bad_slug["id"] = json!("Bad Slug");
    let answer = create(&state, &admin, bad_slug).await;
    assert_eq!(
        refusal(&answer),
        (StatusCode::UNPROCESSABLE_ENTITY, "invalid_event")
    );
    assert!(
        answer.body["message"]
            .as_str()
            .unwrap_or("")
            .starts_with("invalid event: id:")
    );
    let taken = create(&state, &admin, new_event("host-fair-2026")).await;
    assert_eq!(refusal(&taken), (StatusCode::CONFLICT, "event_exists"));
    let mut published_sent = update_of(&event);
    published_sent["current_version"] = json!("ab".repeat(32));
    let answer = save(&state, &admin, published_sent).await;
    assert_eq!(
        refusal(&answer),
        (StatusCode::BAD_REQUEST, "malformed_body")
    );
    let listed_after = call(&state, "GET", "/api/v1/events", Some(&admin), None).await;
    assert_eq!(listed_after.body, listed_before.body);
    assert_eq!(read(&state, &admin, "host-fair-2026").await, event);
}

#[tokio::test]
async fn recruiters_and_archivists_are_refused_with_missing_role() {
    let state = relay();
    let (admin, event) = admin_with_event(&state).await;
    for (username, role) in [
        ("rut.rekryterare", Role::Recruiter),
        ("arvid", Role::Archivist),
    ] {
        let other = session(&state, username, vec![role]).await;
        let attempts = [
            ("GET", "/api/v1/events", None),
            ("POST", "/api/v1/events", Some(new_event("their-fair"))),
            ("GET", "/api/v1/events/host-fair-2026", None),
            (
                "PUT",
                "/api/v1/events/host-fair-2026",
                Some(update_of(&event)),
            ),
            (
                "POST",
                "/api/v1/events/host-fair-2026/publish",
                Some(json!({ "heads": event["heads"] })),
            ),
        ];
        for (method, path, body) in attempts {
            let answer = call(&state, method, path, Some(&other), body).await;
            assert_eq!(
                refusal(&answer),
                (StatusCode::FORBIDDEN, "missing_role"),
                "{method} {path} as {username}"
            );
        }
    }
    assert_eq!(read(&state, &admin, "host-fair-2026").await, event);
    let their = EventId::parse("their-fair").expect("slug");
    assert!(state.store.event(&their).expect("storage").is_none());
}

/// The edit form's fields for an event typed as a fair in Norrköping.
fn console_form(csrf: &str, heads: Option<&str>, venue: &str) -> Vec<(String, String)> {
    let mut fields = vec![
        ("csrf_token", csrf.to_owned()),
        ("id", "host-fair-2026".into()),
        ("name_sv", "Höstmässan 2026".into()),
        ("name_en", "Autumn Fair 2026".into()),
        ("venue", venue.into()),
        ("starts_on", "2026-10-14".into()),
        ("ends_on", "2026-10-15".into()),
        ("lang_sv", "on".into()),
        ("lang_en", "on".into()),
        ("field_email", "optional".into()),
        ("field_phone", "optional".into()),
        ("field_locations", "required".into()),
        ("field_education_level", "off".into()),
        ("field_free_text", "off".into()),
        ("max_interests", "3".into()),
        (
            "interest_areas",
            "it-development | IT-utveckling | IT development\nlaw | Juridik | Law".into(),
        ),
        ("locations", "norrkoping | Norrköping | Norrköping".into()),
        ("education_levels", String::new()),
        ("privacy_sv", "Din anmälan blir en allmän handling.".into()),
        (
            "privacy_en",
            "Your registration becomes a public document.".into(),
        ),
        (
            "talent_pool_sv",
            "Vi får kontakta dig om andra jobb.".into(),
        ),
        (
            "talent_pool_en",
            "We may contact you about other jobs.".into(),
        ),
        ("retention_months", "24".into()),
        ("retention_decision", "Dnr 1.2.3-2026-42".into()),
    ];
    if let Some(heads) = heads {
        fields.push(("heads", heads.to_owned()));
    }
    fields
        .into_iter()
        .map(|(name, value)| (name.to_owned(), value))
        .collect()
}

async fn post_form(
    browser: &mut Browser,
    path: &str,
    fields: &[(String, String)],
) -> support::console_browser::Page {
    let pairs: Vec<(&str, &str)> = fields
        .iter()
        .map(|(n, v)| (n.as_str(), v.as_str()))
        .collect();
    browser.post(path, &pairs).await
}

/// The value of the page's hidden `heads` field.
fn heads_field(body: &str) -> String {
    let marker = r#"name="heads" value=""#;
    let start = body.find(marker).expect("a heads field") + marker.len();
    let end = start + body[start..].find('"').expect("closing quote");
    body[start..end].to_owned()
}

/// Creates, edits and publishes an event in the console in `lang`, checking the page texts.
async fn console_flow(lang: &str, texts: [&str; 5]) {
    let [
        list_heading,
        created_notice,
        saved_notice,
        published_notice,
        draft_pending,
    ] = texts;
    let state = relay();
    user_with(&state, "anna.admin", vec![Role::Admin]);
    let mut browser = Browser::new(&state);
    browser.log_in("anna.admin", PASSWORD).await;
    let list = browser.get(&format!("/console/events?lang={lang}")).await;
    assert_eq!(list.status, StatusCode::OK);
    assert!(
        list.body.contains(&format!("<h1>{list_heading}</h1>")),
        "{}",
        list.body
    );
    assert_eq!(list.body.matches("<h1>").count(), 1);
    let csrf = list.csrf_field();

    let created = post_form(
        &mut browser,
        "/console/events",
        &console_form(&csrf, None, "Norrköping"),
    )
    .await;
    assert_eq!(created.status, StatusCode::SEE_OTHER, "{}", created.body);
    let location = created.location.expect("a redirect");
    assert_eq!(location, "/console/events/host-fair-2026?created=1");
    let page = browser.get(&location).await;
    assert!(page.body.contains(created_notice), "{}", page.body);
    assert!(page.body.contains(draft_pending));
    let heads = heads_field(&page.body);

    let saved = post_form(
        &mut browser,
        "/console/events/host-fair-2026",
        &console_form(&csrf, Some(&heads), "Norrköping, Arbetets museum"),
    )
    .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.body);
    let page = browser.get(&saved.location.expect("a redirect")).await;
    assert!(page.body.contains(saved_notice), "{}", page.body);
    assert!(page.body.contains("Norrköping, Arbetets museum"));
    let heads = heads_field(&page.body);

    let published = browser
        .post(
            "/console/events/host-fair-2026/publish",
            &[("csrf_token", &csrf), ("heads", &heads)],
        )
        .await;
    assert_eq!(
        published.status,
        StatusCode::SEE_OTHER,
        "{}",
        published.body
    );
    let page = browser.get(&published.location.expect("a redirect")).await;
    assert!(page.body.contains(published_notice), "{}", page.body);
    assert!(!page.body.contains(draft_pending));
    let event = state
        .store
        .event(&EventId::parse("host-fair-2026").expect("slug"))
        .expect("storage")
        .expect("created");
    let version = event.current_version.expect("published");
    assert!(page.body.contains(version.short()));
    assert_eq!(event.venue, "Norrköping, Arbetets museum");
    let list = browser.get("/console/events").await;
    assert!(
        list.body
            .contains(r#"href="/console/events/host-fair-2026""#)
    );
    assert!(list.body.contains(version.short()));
}

#[tokio::test]
async fn the_console_creates_edits_and_publishes_an_event_in_swedish() {
    console_flow(
        "sv",
        [
            "Evenemang",
            "Evenemanget är skapat. Det är inte publicerat än.",
            "Sparat.",
            "Formuläret är publicerat som version",
            "Publicera utkastet",
        ],
    )
    .await;
}

#[tokio::test]
async fn the_console_creates_edits_and_publishes_an_event_in_english() {
    console_flow(
        "en",
        [
            "Events",
            "The event is created. It is not published yet.",
            "Saved.",
            "The form is published as version",
            "Publish the draft",
        ],
    )
    .await;
}

#[tokio::test]
async fn a_console_save_merged_with_someone_elses_change_says_both_are_kept() {
    let state = relay();
    user_with(&state, "anna.admin", vec![Role::Admin]);
    let mut browser = Browser::new(&state);
    browser.log_in("anna.admin", PASSWORD).await;
    let csrf = browser.get("/console/events").await.csrf_field();
    let created = post_form(
        &mut browser,
        "/console/events",
        &console_form(&csrf, None, "Norrköping"),
    )
    .await;
    assert_eq!(created.status, StatusCode::SEE_OTHER, "{}", created.body);
    let heads = heads_field(&browser.get("/console/events/host-fair-2026").await.body);

    // Bo renames the event in English after Anna opened the page.
    let bo = session(&state, "bo.admin", vec![Role::Admin]).await;
    let mut rename = update_of(&read(&state, &bo, "host-fair-2026").await);
    rename["name"]["en"] = json!("Autumn Careers Fair");
    let answer = save(&state, &bo, rename).await;
    assert_eq!(answer.status, StatusCode::OK);

    // Anna's page still shows the old English name; she changes only the venue.
    let fields = console_form(&csrf, Some(&heads), "Norrköping, Arbetets museum");
    let saved = post_form(&mut browser, "/console/events/host-fair-2026", &fields).await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.body);
    let location = saved.location.expect("a redirect");
    assert!(location.contains("merged=1"), "{location}");
    let page = browser.get(&location).await;
    assert!(
        page.body
            .contains("Någon annan ändrade samtidigt; båda ändringarna är kvar.")
    );
    let merged = read(&state, &bo, "host-fair-2026").await;
    assert_eq!(merged["name"]["en"], "Autumn Careers Fair");
    assert_eq!(merged["venue"], "Norrköping, Arbetets museum");

    // Saved from the page the merge led to, nothing is said of anyone else.
    let heads = heads_field(&page.body);
    let fields = console_form(&csrf, Some(&heads), "Norrköping, Hall B");
    let saved = post_form(&mut browser, "/console/events/host-fair-2026", &fields).await;
    assert_eq!(
        saved.location.as_deref(),
        Some("/console/events/host-fair-2026?saved=1")
    );
}

#[tokio::test]
async fn console_errors_are_tied_to_their_fields_and_the_input_is_kept() {
    let state = relay();
    user_with(&state, "anna.admin", vec![Role::Admin]);
    let mut browser = Browser::new(&state);
    browser.log_in("anna.admin", PASSWORD).await;
    let csrf = browser.get("/console/events?lang=en").await.csrf_field();
    let mut fields = console_form(&csrf, None, "A venue typed by hand");
    for (name, value) in &mut fields {
        match name.as_str() {
            "ends_on" => *value = "2026-10-01".into(),
            "interest_areas" => *value = "law | Juridik | Law\nnot a proper line".into(),
            "name_en" => *value = "x".repeat(201),
            _ => {}
        }
    }
    let answer = post_form(&mut browser, "/console/events", &fields).await;
    assert_eq!(answer.status, StatusCode::UNPROCESSABLE_ENTITY);
    let body = &answer.body;
    assert!(body.contains("<title>Error: "), "the title says so first");
    assert!(
        body.contains("Line 2: write code | Swedish label | English label."),
        "{body}"
    );
    assert!(body.contains(r##"href="#interest_areas""##));
    assert!(body.contains(r#"id="interest_areas-error""#));
    assert!(
        body.contains("not a proper line"),
        "the typed lines are kept"
    );
    assert!(body.contains("A venue typed by hand"));
    // The line error comes first; the other fields are checked once every line parses.
    for (name, value) in &mut fields {
        if name == "interest_areas" {
            *value = "law | Juridik | Law".into();
        }
    }
    let answer = post_form(&mut browser, "/console/events", &fields).await;
    assert_eq!(answer.status, StatusCode::UNPROCESSABLE_ENTITY);
    let body = &answer.body;
    assert!(
        body.contains("The end date must not be before the start date."),
        "{body}"
    );
    assert!(body.contains(r#"id="ends_on-error""#));
    assert!(body.contains(r#"aria-describedby="ends_on-hint ends_on-error""#));
    assert!(body.contains("At most 200 characters."));
    assert!(body.contains(r##"href="#name_en""##));
    assert!(
        state
            .store
            .event(&EventId::parse("host-fair-2026").expect("slug"))
            .expect("storage")
            .is_none()
    );
}

#[tokio::test]
async fn console_event_forms_without_their_csrf_token_are_refused_with_403() {
    let state = relay();
    let api_admin = session(&state, "bo.admin", vec![Role::Admin]).await;
    let event = created(&state, &api_admin, "host-fair-2026").await;
    user_with(&state, "anna.admin", vec![Role::Admin]);
    let mut browser = Browser::new(&state);
    browser.log_in("anna.admin", PASSWORD).await;
    let heads = heads_field(&browser.get("/console/events/host-fair-2026").await.body);
    let strip = |fields: Vec<(String, String)>| -> Vec<(String, String)> {
        fields
            .into_iter()
            .filter(|(n, _)| n != "csrf_token")
            .collect()
    };
    let mut new = strip(console_form("", None, "Norrköping"));
    for (name, value) in &mut new {
        if name == "id" {
            *value = "another-fair".into();
        }
    }
    let refused = post_form(&mut browser, "/console/events", &new).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    let edit = strip(console_form("", Some(&heads), "Elsewhere"));
    let refused = post_form(&mut browser, "/console/events/host-fair-2026", &edit).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    let refused = browser
        .post(
            "/console/events/host-fair-2026/publish",
            &[("heads", &heads), ("csrf_token", "forged")],
        )
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert_eq!(read(&state, &api_admin, "host-fair-2026").await, event);
    let another = EventId::parse("another-fair").expect("slug");
    assert!(state.store.event(&another).expect("storage").is_none());
}

#[tokio::test]
async fn the_console_event_pages_need_the_admin_role() {
    let state = relay();
    user_with(&state, "rut", vec![Role::Recruiter, Role::Archivist]);
    let mut browser = Browser::new(&state);
    browser.log_in("rut", PASSWORD).await;
    for path in ["/console/events", "/console/events/sthlm-career-fair-2026"] {
        let page = browser.get(path).await;
        assert_eq!(page.status, StatusCode::FORBIDDEN, "{path}");
    }
    user_with(&state, "anna.admin", vec![Role::Admin]);
    let mut admin = Browser::new(&state);
    admin.log_in("anna.admin", PASSWORD).await;
    let missing = admin.get("/console/events/no-such-fair").await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert!(missing.body.contains("Evenemanget finns inte"));
}

/// Four notices of 5,000 characters, each a Swedish letter that a form posts as six bytes,
/// and a hundred interest areas: the largest event the rules allow.
fn largest_notices_and_lists() -> (String, String) {
    let notice = "å".repeat(5_000);
    let interests: Vec<String> = (0..100)
        .map(|i| format!("omrade-{i:03} | Område nummer {i} för åäö | Area number {i}"))
        .collect();
    (notice, interests.join("\n"))
}

#[tokio::test]
async fn the_largest_valid_event_fits_through_the_api_and_the_console_form() {
    let state = relay();
    let admin = session(&state, "anna.admin", vec![Role::Admin]).await;
    let (notice, interests) = largest_notices_and_lists();

    let mut body = new_event("storsta-massan-2027");
    for field in ["privacy_notice", "talent_pool_notice"] {
        body["draft_form"][field] = json!({ "sv": notice, "en": notice });
    }
    body["draft_form"]["interest_areas"] = json!(
        (0..100)
            .map(|i| json!({ "code": format!("omrade-{i:03}"), "label": { "sv": format!("Område {i} åäö"), "en": format!("Area {i}") } }))
            .collect::<Vec<_>>()
    );
    let answer = create(&state, &admin, body).await;
    assert_eq!(answer.status, StatusCode::CREATED, "{}", answer.body);

    user_with(&state, "bo.admin", vec![Role::Admin]);
    let mut browser = Browser::new(&state);
    browser.log_in("bo.admin", PASSWORD).await;
    let page = browser.get("/console/events").await;
    let mut fields = console_form(&page.csrf_field(), None, "Älvsjömässan");
    for (name, value) in fields.iter_mut() {
        match name.as_str() {
            "id" => *value = "storsta-formularet-2027".into(),
            "privacy_sv" | "privacy_en" | "talent_pool_sv" | "talent_pool_en" => {
                *value = notice.clone()
            }
            "interest_areas" => *value = interests.clone(),
            _ => {}
        }
    }
    let encoded = serde_urlencoded::to_string(
        fields
            .iter()
            .map(|(n, v)| (n.as_str(), v.as_str()))
            .collect::<Vec<_>>(),
    )
    .expect("encodes");
    assert!(encoded.len() > 120_000, "the form is as large as it gets");
    let created = post_form(&mut browser, "/console/events", &fields).await;
    assert_eq!(created.status, StatusCode::SEE_OTHER, "{}", created.body);
    let stored = state
        .store
        .event(&EventId::parse("storsta-formularet-2027").expect("slug"))
        .expect("storage")
        .expect("created");
    assert_eq!(stored.draft_form.interest_areas.len(), 100);
    assert_eq!(stored.draft_form.privacy_notice.sv.chars().count(), 5_000);
}

#[tokio::test]
async fn publishing_refuses_a_draft_changed_since_it_was_read_but_not_other_changes() {
    let state = relay();
    let (anna, bo) = two_admins(&state).await;
    let seen_by_anna = read(&state, &anna, "host-fair-2026").await;

    // Bo rewords the privacy notice after Anna read the event: Anna's publish would freeze
    // a notice she never saw, so it is refused and nothing is published.
    let mut notice = update_of(&read(&state, &bo, "host-fair-2026").await);
    notice["draft_form"]["privacy_notice"]["sv"] = json!("Vi sparar din anmälan i två år.");
    let saved = save(&state, &bo, notice).await;
    assert_eq!(saved.status, StatusCode::OK, "{}", saved.body);
    let heads = json!({ "heads": seen_by_anna["heads"] });
    let refused = publish(&state, &anna, heads).await;
    assert_eq!(refusal(&refused), (StatusCode::CONFLICT, "draft_changed"));
    let after = read(&state, &anna, "host-fair-2026").await;
    assert_eq!(after["published"].as_array().map(Vec::len), Some(0));
    assert_eq!(after["current_version"], Value::Null);

    // Read again, and a venue change by Bo in between does not stop the publish.
    let seen_again = read(&state, &anna, "host-fair-2026").await;
    let mut venue = update_of(&seen_again);
    venue["venue"] = json!("Norrköping, Arbetets museum");
    let saved = save(&state, &bo, venue).await;
    assert_eq!(saved.status, StatusCode::OK, "{}", saved.body);
    let published = publish(&state, &anna, json!({ "heads": seen_again["heads"] })).await;
    assert_eq!(published.status, StatusCode::OK, "{}", published.body);
    assert_eq!(published.body["merged_concurrent"], true);
    assert_eq!(
        published.body["form"]["privacy_notice"]["sv"],
        "Vi sparar din anmälan i två år."
    );
}
