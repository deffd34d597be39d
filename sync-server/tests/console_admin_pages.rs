//! The console's pages for admins and archivists through the router: enrollment codes shown
//! once with their QR code, revocation behind a confirmation, staff PIN unlock codes, users
//! with one-time passwords and who created them, the clearance no one grants themselves (nor
//! to or from an account of their making) and who granted it, event assignment, the
//! export form that leads to the CSV download, and the access-log review with its filters,
//! paging and chain verdict. Each page refuses the wrong role and speaks both languages.

mod support {
    pub mod console_browser;
}

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use kiosk_core::protocol::enrollment::{EnrolledRole, EnrollmentCode};
use kiosk_sync_server::hr::accounts::{HrUser, Role};
use kiosk_sync_server::storage::{
    AccessAction, RelayStore, enroll_for_tests, ingest_generated_for_tests,
};
use kiosk_sync_server::{AppState, router};
use support::console_browser::{Browser, PASSWORD, user_with};
use tower::ServiceExt;

const EVENT: &str = kiosk_core::demo::DEMO_EVENT_ID;
const KIOSK: [u8; 32] = [21; 32];
const STAFF: [u8; 32] = [22; 32];

fn state() -> AppState {
    AppState::demo_in_memory().expect("state")
}

/// A relay with the kiosk `KIOSK` enrolled for the demo event.
fn state_with_kiosk() -> AppState {
    let state = state();
    enroll_for_tests(
        state.store.as_ref(),
        KIOSK,
        EVENT,
        EnrolledRole::Kiosk,
        None,
    );
    state
}

/// A browser logged in as a new user with `roles`.
async fn logged_in(state: &AppState, username: &str, roles: Vec<Role>) -> (Browser, HrUser) {
    let user = user_with(state, username, roles);
    let mut browser = Browser::new(state);
    let answer = browser.log_in(username, PASSWORD).await;
    assert_eq!(answer.status, StatusCode::SEE_OTHER, "{}", answer.body);
    (browser, user)
}

/// The text of the first element with class `secret` (a code or password shown once).
fn secret(body: &str) -> String {
    let start = body.find(r#"class="secret code">"#).expect("a secret") + 20;
    let end = start + body[start..].find('<').expect("its end");
    body[start..end].to_owned()
}

/// Registrations of the demo event as a kiosk's captures; returns the open ones' ids and
/// given names.
fn ingest_registrations(store: &dyn RelayStore, count: usize) -> Vec<(String, String)> {
    ingest_generated_for_tests(store, count)
        .into_iter()
        .filter(|registration| !registration.restricted)
        .map(|registration| (registration.id.to_string(), registration.person.given_name))
        .collect()
}

/// The address of a page's `rel="next"` link.
fn next_link(body: &str) -> String {
    assert!(body.contains(r#"rel="next""#), "a next page");
    let before = body.split(r#"rel="next""#).next().expect("a page");
    let start = before.rfind("href=\"").expect("a next link") + 6;
    let end = start + before[start..].find('"').expect("its end");
    before[start..end].replace("&amp;", "&")
}

/// Posts `form` as `browser` would, with a `Host` header (a browser always sends one; the
/// QR code carries the address the admin reached the relay at).
async fn post_with_host(
    browser: &Browser,
    path: &str,
    form: &[(&str, &str)],
) -> (StatusCode, String) {
    let jar: Vec<String> = browser
        .cookies
        .iter()
        .map(|(name, value)| format!("{name}={value}"))
        .collect();
    let request = Request::builder()
        .method("POST")
        .uri(path)
        .header(header::HOST, "relay.example.se:8443")
        .header(header::COOKIE, jar.join("; "))
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from(
            serde_urlencoded::to_string(form).expect("encodes"),
        ))
        .expect("request");
    let response = router(browser.state.clone())
        .oneshot(request)
        .await
        .expect("answer");
    let status = response.status();
    let bytes = axum::body::to_bytes(response.into_body(), 1 << 20)
        .await
        .expect("body");
    (status, String::from_utf8(bytes.to_vec()).expect("utf-8"))
}

/// Posts the enrollment-code form to `path` as `admin`: a code for the demo event with the
/// `role`, `recruiter`, `uses` and `valid_hours` typed.
async fn post_code(
    admin: &Browser,
    path: &str,
    csrf: &str,
    [role, recruiter, uses, valid_hours]: [&str; 4],
) -> (StatusCode, String) {
    let form = [
        ("csrf_token", csrf),
        ("event_id", EVENT),
        ("role", role),
        ("recruiter", recruiter),
        ("uses", uses),
        ("valid_hours", valid_hours),
    ];
    post_with_host(admin, path, &form).await
}

#[tokio::test]
async fn an_admin_creates_an_enrollment_code_and_sees_it_once_as_text_and_qr_code() {
    let state = state();
    let (mut admin, _) = logged_in(&state, "anna", vec![Role::Admin]).await;
    let page = admin.get("/console/devices").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("<h1>Surfplattor</h1>"));
    assert!(page.body.contains(&format!(r#"<option value="{EVENT}""#)));
    assert!(page.body.contains("Inga surfplattor är registrerade än."));
    let csrf = page.csrf_field();

    let (status, body) = post_code(
        &admin,
        "/console/devices/enrollment-codes",
        &csrf,
        ["kiosk", "", "2", "24"],
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(body.contains("<h1>Registreringskod</h1>"));
    assert!(body.contains("Koden visas bara den här gången"));
    let code = secret(&body);
    assert!(EnrollmentCode::parse(&code).is_some(), "{code}");
    assert!(
        code.split('-').all(|group| (1..=4).contains(&group.len())),
        "in groups of four: {code}"
    );
    assert!(body.contains(r#"<svg xmlns="http://www.w3.org/2000/svg""#));
    assert!(
        body.contains(
            r#"role="img" aria-label="QR-kod med registreringskoden och reläets adress""#
        )
    );
    // The code is stored hashed only: the list page never shows it again.
    let page = admin.get("/console/devices").await;
    assert!(!page.body.contains(&code));

    // A staff code without its recruiter is refused at the field, and nothing is made.
    let (status, body) = post_code(
        &admin,
        "/console/devices/enrollment-codes?lang=en",
        &csrf,
        ["staff", " ", "many", "24"],
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(body.contains(r#"aria-describedby="uses-hint uses-error""#));
    assert!(body.contains("Enter a number from 1 to 500."));
    let (status, body) = post_code(
        &admin,
        "/console/devices/enrollment-codes?lang=en",
        &csrf,
        ["staff", "", "1", "24"],
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        body.contains(r##"href="#recruiter""##),
        "in the error summary"
    );
    assert!(body.contains(r#"aria-describedby="recruiter-hint recruiter-error""#));
    assert!(body.contains("a staff tablet belongs to a recruiter"));
    assert!(!body.contains(r#"class="secret code""#));
}

#[tokio::test]
async fn a_staff_code_names_a_recruiter_chosen_from_the_list_who_is_assigned_to_the_event() {
    let state = state();
    let (mut admin, _) = logged_in(&state, "anna", vec![Role::Admin]).await;
    let rut = user_with(&state, "rut", vec![Role::Recruiter]);
    user_with(&state, "arvid", vec![Role::Archivist]);
    let page = admin.get("/console/devices?lang=en").await;
    assert!(
        page.body
            .contains(r#"<select id="recruiter" name="recruiter""#)
    );
    assert!(
        page.body.contains(r#"<option value="rut">"#),
        "recruiters are offered"
    );
    assert!(
        !page.body.contains(r#"<option value="arvid">"#),
        "an archivist is not a recruiter"
    );
    let csrf = page.csrf_field();
    let path = "/console/devices/enrollment-codes?lang=en";

    let (status, body) = post_code(&admin, path, &csrf, ["staff", "rut", "1", "24"]).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(body.contains(r#"aria-describedby="recruiter-hint recruiter-error""#));
    assert!(
        body.contains("This recruiter is not assigned to the event"),
        "{body}"
    );
    let (status, body) = post_code(&admin, path, &csrf, ["staff", "Ingen Alls", "1", "24"]).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(body.contains("There is no such user"), "{body}");
    assert!(!body.contains(r#"class="secret code""#));

    assert!(
        state
            .store
            .assign_hr_event(rut.id, EVENT)
            .expect("assigned")
    );
    let (status, body) = post_code(&admin, path, &csrf, ["staff", "rut", "1", "24"]).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(body.contains(r#"class="secret code""#));
}

#[tokio::test]
async fn revoking_a_tablet_asks_first_and_revoking_it_twice_is_harmless() {
    let state = state_with_kiosk();
    let id = hex::encode(KIOSK);
    let (mut admin, _) = logged_in(&state, "anna", vec![Role::Admin]).await;
    let list = admin.get("/console/devices").await;
    assert!(list.body.contains(&id[..8]) && list.body.contains("Aktiv"));
    let revoke_link = format!("/console/devices/{id}/revoke");
    assert!(list.body.contains(&format!(r#"href="{revoke_link}""#)));

    let confirm = admin.get(&revoke_link).await;
    assert_eq!(confirm.status, StatusCode::OK);
    assert!(confirm.body.contains("<h1>Återkalla surfplattan?</h1>"));
    assert!(confirm.body.contains(&format!(r#"action="{revoke_link}""#)));
    let device = state.store.device(&KIOSK).expect("reads").expect("device");
    assert!(device.revoked_at.is_none(), "asking revokes nothing");

    let csrf = confirm.csrf_field();
    let answer = admin.post(&revoke_link, &[("csrf_token", &csrf)]).await;
    assert_eq!(answer.status, StatusCode::SEE_OTHER);
    assert_eq!(
        answer.location.as_deref(),
        Some("/console/devices?revoked=new")
    );
    let device = state.store.device(&KIOSK).expect("reads").expect("device");
    let revoked_at = device.revoked_at.expect("revoked");
    let list = admin.get("/console/devices?revoked=new").await;
    assert!(list.body.contains("Surfplattan är återkallad."));
    assert!(list.body.contains("Återkallad 2"), "with its date");
    assert!(!list.body.contains(&format!(r#"href="{revoke_link}""#)));

    let answer = admin.post(&revoke_link, &[("csrf_token", &csrf)]).await;
    assert_eq!(
        answer.location.as_deref(),
        Some("/console/devices?revoked=already")
    );
    let device = state.store.device(&KIOSK).expect("reads").expect("device");
    assert_eq!(
        device.revoked_at,
        Some(revoked_at),
        "the first revocation stands"
    );

    let unknown = format!("/console/devices/{}/revoke", "ab".repeat(32));
    assert_eq!(admin.get(&unknown).await.status, StatusCode::NOT_FOUND);
    let answer = admin.post(&unknown, &[("csrf_token", &csrf)]).await;
    assert_eq!(answer.status, StatusCode::NOT_FOUND);
    assert!(
        answer
            .body
            .contains("Det finns ingen surfplatta med den adressen.")
    );
    // Without the form's token nothing is revoked.
    let forged = admin.post(&unknown, &[("csrf_token", "f")]).await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn a_staff_tablet_gets_a_pin_unlock_code_and_a_kiosk_does_not() {
    let state = state();
    let store = state.store.as_ref();
    enroll_for_tests(store, STAFF, EVENT, EnrolledRole::Staff, Some("rut"));
    enroll_for_tests(store, KIOSK, EVENT, EnrolledRole::Kiosk, None);
    let (mut admin, _) = logged_in(&state, "anna", vec![Role::Admin]).await;
    let list = admin.get("/console/devices?lang=en").await;
    let staff = hex::encode(STAFF);
    let kiosk = hex::encode(KIOSK);
    let unlock = format!("/console/devices/{staff}/unlock-code");
    assert!(list.body.contains(&format!(r#"action="{unlock}""#)));
    assert!(
        !list
            .body
            .contains(&format!(r#"action="/console/devices/{kiosk}/unlock-code""#)),
        "only staff tablets have a PIN"
    );
    assert!(list.body.contains("<td>rut</td>"));

    let csrf = list.csrf_field();
    let page = admin.post(&unlock, &[("csrf_token", &csrf)]).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(page.body.contains("<h1>PIN unlock code</h1>"));
    // Plain words: the unlock comes with the next sync; for a tablet that cannot sync, a
    // QR code to scan, and the text folded away, never a code to type.
    assert!(
        page.body
            .contains("The unlock reaches the tablet with its next sync, which happens by itself")
    );
    assert!(
        page.body
            .contains(r#"aria-label="QR code with the PIN unlock""#)
    );
    assert!(
        page.body
            .contains("<details><summary>Show the code as text</summary>")
    );
    assert!(!page.body.contains("type the code"));
    let code = secret(&page.body);
    let command = kiosk_core::staff_unlock::parse_unlock_code(&code).expect("an unlock code");
    assert!(!command.0.is_empty());
    // The QR code carries the code without its dashes: the same unlock.
    assert_eq!(
        kiosk_core::staff_unlock::parse_unlock_code(&code.replace('-', ""))
            .expect("the QR text")
            .0,
        command.0
    );
    assert_eq!(
        state
            .store
            .outstanding_staff_unlock(&STAFF, kiosk_sync_server::now_ms())
            .expect("reads")
            .map(|(counter, _)| counter),
        Some(1)
    );

    let page = admin
        .post(
            &format!("/console/devices/{kiosk}/unlock-code"),
            &[("csrf_token", &csrf)],
        )
        .await;
    assert_eq!(page.status, StatusCode::CONFLICT);
    assert!(
        page.body
            .contains("Only an active staff tablet has a PIN to unlock.")
    );
}

#[tokio::test]
async fn each_admin_and_archivist_page_refuses_the_wrong_role_with_403() {
    let state = state_with_kiosk();
    let revoke = format!("/console/devices/{}/revoke", hex::encode(KIOSK));
    let admin_pages = ["/console/devices", "/console/users", revoke.as_str()];
    let archivist_pages = ["/console/export", "/console/access-log"];
    let (mut recruiter, _) = logged_in(&state, "rut", vec![Role::Recruiter]).await;
    let (mut archivist, _) = logged_in(&state, "arvid", vec![Role::Archivist]).await;
    let (mut admin, _) = logged_in(&state, "anna", vec![Role::Admin]).await;
    for path in admin_pages.iter().chain(&archivist_pages) {
        let page = recruiter.get(path).await;
        assert_eq!(page.status, StatusCode::FORBIDDEN, "{path}");
        assert!(page.body.contains("<h1>Åtkomst nekad</h1>"), "{path}");
    }
    for path in admin_pages {
        let page = archivist.get(path).await;
        assert_eq!(page.status, StatusCode::FORBIDDEN, "{path}");
        assert!(page.body.contains("kräver rollen administratör"), "{path}");
    }
    for path in archivist_pages {
        let page = admin.get(path).await;
        assert_eq!(page.status, StatusCode::FORBIDDEN, "{path}");
        assert!(page.body.contains("kräver rollen arkivarie"), "{path}");
    }

    // Forms too: a recruiter's valid form changes nothing.
    let csrf = recruiter.get("/console/password").await.csrf_field();
    let forms: [(&str, Vec<(&str, &str)>); 4] = [
        (
            "/console/devices/enrollment-codes",
            vec![
                ("event_id", EVENT),
                ("role", "kiosk"),
                ("uses", "1"),
                ("valid_hours", "1"),
            ],
        ),
        (revoke.as_str(), vec![]),
        (
            "/console/users",
            vec![
                ("username", "mallory"),
                ("display_name", "M"),
                ("roles", "admin"),
            ],
        ),
        (
            "/console/users/1/clearance",
            vec![("restricted_clearance", "true")],
        ),
    ];
    for (path, mut form) in forms {
        form.push(("csrf_token", &csrf));
        let answer = recruiter.post(path, &form).await;
        assert_eq!(answer.status, StatusCode::FORBIDDEN, "{path}");
    }
    let store = state.store.as_ref();
    assert!(
        store
            .device(&KIOSK)
            .expect("reads")
            .expect("device")
            .revoked_at
            .is_none()
    );
    assert!(
        store
            .hr_user_by_username("mallory")
            .expect("reads")
            .is_none()
    );
    assert!(
        store
            .hr_directory()
            .expect("reads")
            .iter()
            .all(|e| !e.user.restricted_clearance)
    );
}

#[tokio::test]
async fn creating_a_user_shows_the_one_time_password_once_and_it_opens_a_first_login() {
    let state = state();
    let (mut admin, _) = logged_in(&state, "anna", vec![Role::Admin]).await;
    let page = admin.get("/console/users").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains(r#"<legend>Roller</legend>"#));
    assert!(
        page.body
            .contains(r#"<label for="roles-recruiter">rekryterare</label>"#)
    );
    let csrf = page.csrf_field();

    let created = admin
        .post(
            "/console/users",
            &[
                ("csrf_token", &csrf),
                ("username", "rut.rekryterare"),
                ("display_name", "Rut Rekryterare"),
                ("roles", "recruiter"),
                ("roles", "archivist"),
            ],
        )
        .await;
    assert_eq!(created.status, StatusCode::OK, "{}", created.body);
    assert!(created.body.contains("<h1>Användaren är skapad</h1>"));
    assert!(
        created
            .body
            .contains("Lösenordet visas bara den här gången")
    );
    let one_time = secret(&created.body);
    let (user, _) = state
        .store
        .hr_user_by_username("rut.rekryterare")
        .expect("reads")
        .expect("created");
    assert_eq!(user.roles, [Role::Recruiter, Role::Archivist]);
    assert!(user.must_change_password);

    let list = admin.get("/console/users").await;
    assert!(!list.body.contains(&one_time), "shown once");
    assert!(list.body.contains("rut.rekryterare"));
    assert!(list.body.contains("Engångslösenord, ännu inte bytt"));

    let mut rut = Browser::new(&state);
    let login = rut.log_in("rut.rekryterare", &one_time).await;
    assert_eq!(login.location.as_deref(), Some("/console/password"));

    // Refusals stay on the form, by their fields; the username typed is kept.
    for (username, roles, status, field, message) in [
        (
            "Rut",
            vec![("roles", "admin")],
            StatusCode::UNPROCESSABLE_ENTITY,
            "username",
            "Användarnamnet ska vara 3–64 tecken",
        ),
        (
            "rut.rekryterare",
            vec![("roles", "admin")],
            StatusCode::CONFLICT,
            "username",
            "Användarnamnet är upptaget.",
        ),
        (
            "ny.person",
            vec![],
            StatusCode::UNPROCESSABLE_ENTITY,
            "roles",
            "Välj minst en roll.",
        ),
        (
            "ny.person",
            vec![("roles", "owner")],
            StatusCode::UNPROCESSABLE_ENTITY,
            "roles",
            "Välj minst en roll.",
        ),
    ] {
        let mut form = vec![
            ("csrf_token", csrf.as_str()),
            ("username", username),
            ("display_name", "Ny Person"),
        ];
        form.extend(roles);
        let answer = admin.post("/console/users", &form).await;
        assert_eq!(answer.status, status, "{username}");
        assert!(answer.body.contains(message), "{username}: {}", answer.body);
        assert!(
            answer.body.contains(&format!(r##"href="#{field}""##)),
            "{field}"
        );
        assert!(answer.body.contains(&format!(r#"value="{username}""#)));
        assert!(!answer.body.contains(r#"class="secret code""#));
    }
    assert!(
        state
            .store
            .hr_user_by_username("ny.person")
            .expect("reads")
            .is_none()
    );
}

#[tokio::test]
async fn no_admin_grants_themselves_the_clearance_on_the_page_but_may_grant_another() {
    let state = state();
    let (mut admin, anna) = logged_in(&state, "anna", vec![Role::Admin]).await;
    let rut = user_with(&state, "rut", vec![Role::Recruiter]);
    let page = admin.get("/console/users").await;
    assert!(
        page.body
            .contains("Din egen: en annan administratör ändrar behörigheten.")
    );
    assert!(
        !page
            .body
            .contains(&format!(r#"action="/console/users/{}/clearance""#, anna.id)),
        "no button for oneself"
    );
    let csrf = page.csrf_field();

    let answer = admin
        .post(
            &format!("/console/users/{}/clearance", anna.id),
            &[
                ("csrf_token", &csrf),
                ("restricted_clearance", "true"),
                ("reason", "my own"),
                ("confirmed", "yes"),
            ],
        )
        .await;
    assert_eq!(answer.status, StatusCode::FORBIDDEN);
    assert!(answer.body.contains(r#"role="alert""#));
    assert!(
        answer
            .body
            .contains("Du kan inte ge eller ta bort din egen behörighet")
    );
    let (anna, _) = state.store.hr_user(anna.id).expect("reads").expect("user");
    assert!(!anna.restricted_clearance);

    // The button leads to a confirmation that asks why; nothing changes before it.
    let path = format!("/console/users/{}/clearance", rut.id);
    let asked = admin
        .post(
            &path,
            &[("csrf_token", &csrf), ("restricted_clearance", "true")],
        )
        .await;
    assert_eq!(asked.status, StatusCode::OK, "{}", asked.body);
    assert!(
        asked
            .body
            .contains("<h1>Ge behörighet för skyddade personuppgifter?</h1>")
    );
    assert!(asked.body.contains(r#"name="confirmed" value="yes""#));
    assert!(asked.body.contains(r#"name="reason""#));
    let no_reason = admin
        .post(
            &path,
            &[
                ("csrf_token", &csrf),
                ("restricted_clearance", "true"),
                ("confirmed", "yes"),
            ],
        )
        .await;
    assert_eq!(no_reason.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(no_reason.body.contains("Skriv ett skäl."));
    let (rut_now, _) = state.store.hr_user(rut.id).expect("reads").expect("user");
    assert!(
        !rut_now.restricted_clearance,
        "not before the confirmation with a reason"
    );
    let answer = admin
        .post(
            &path,
            &[
                ("csrf_token", &csrf),
                ("restricted_clearance", "true"),
                ("reason", "Handläggare av skyddade ärenden, dnr 2027/14"),
                ("confirmed", "yes"),
            ],
        )
        .await;
    assert_eq!(
        answer.location.as_deref(),
        Some("/console/users?done=granted")
    );
    let (rut_now, _) = state.store.hr_user(rut.id).expect("reads").expect("user");
    assert!(rut_now.restricted_clearance);
    let changes = state.store.hr_account_changes(rut.id).expect("reads");
    assert_eq!(changes.len(), 1);
    assert_eq!(changes[0].change, "grant_clearance");
    assert_eq!(
        changes[0].reason.as_deref(),
        Some("Handläggare av skyddade ärenden, dnr 2027/14")
    );
    assert_eq!(changes[0].by, "hr:anna");
    assert!(
        state
            .store
            .access_log_entries(0, 1000)
            .expect("log")
            .iter()
            .any(|(_, e)| e.doc_id == "grant_clearance:rut"),
        "the grant is access-logged"
    );
    let page = admin.get("/console/users?done=granted&lang=en").await;
    assert!(
        page.body
            .contains("The clearance for protected records is granted.")
    );
    assert!(page.body.contains("Withdraw clearance"));
}

/// The row of user `username` in the users table.
fn user_row<'a>(body: &'a str, username: &str) -> &'a str {
    let start = body
        .find(&format!(r#"<th class="code" scope="row">{username}</th>"#))
        .expect("the user's row");
    let end = start + body[start..].find("</tr>").expect("the row's end");
    &body[start..end]
}

#[tokio::test]
async fn the_users_page_shows_who_created_each_user_and_who_granted_the_clearance() {
    let state = state();
    let (mut anna, _) = logged_in(&state, "anna", vec![Role::Admin]).await;
    let page = anna.get("/console/users").await;
    assert!(page.body.contains(r#"<th scope="col">Skapad av</th>"#));
    let csrf = page.csrf_field();
    let created = anna
        .post(
            "/console/users",
            &[
                ("csrf_token", &csrf),
                ("username", "bo.admin"),
                ("display_name", "Bo Admin"),
                ("roles", "admin"),
            ],
        )
        .await;
    assert_eq!(created.status, StatusCode::OK, "{}", created.body);
    let (bo, _) = state
        .store
        .hr_user_by_username("bo.admin")
        .expect("reads")
        .expect("created");

    // Anna created bo: the page offers her no button, and a forged post is refused.
    let page = anna.get("/console/users").await;
    let row = user_row(&page.body, "bo.admin");
    assert!(row.contains(r#"<td class="code">anna</td>"#), "{row}");
    assert!(row.contains("Du skapade kontot: en annan administratör ändrar behörigheten."));
    assert!(!row.contains("<form"), "{row}");
    assert!(user_row(&page.body, "anna").contains("<td>Ingen uppgift</td>"));
    let refused = anna
        .post(
            &format!("/console/users/{}/clearance", bo.id),
            &[
                ("csrf_token", &csrf),
                ("restricted_clearance", "true"),
                ("reason", "forged"),
                ("confirmed", "yes"),
            ],
        )
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert!(refused.body.contains(r#"role="alert""#));
    assert!(
        refused
            .body
            .contains("Behörigheten ges av en annan administratör än den som skapade kontot.")
    );
    let (bo_now, _) = state.store.hr_user(bo.id).expect("reads").expect("user");
    assert!(!bo_now.restricted_clearance);
    assert!(
        state
            .store
            .hr_clearance_history(bo.id)
            .expect("reads")
            .is_empty()
    );

    // Another admin grants it, and the page names both.
    let (mut cecilia, _) = logged_in(&state, "cecilia", vec![Role::Admin]).await;
    let page = cecilia.get("/console/users").await;
    let csrf = page.csrf_field();
    assert!(
        user_row(&page.body, "bo.admin")
            .contains(&format!(r#"action="/console/users/{}/clearance""#, bo.id))
    );
    let granted = cecilia
        .post(
            &format!("/console/users/{}/clearance", bo.id),
            &[
                ("csrf_token", &csrf),
                ("restricted_clearance", "true"),
                ("reason", "archivist for protected records"),
                ("confirmed", "yes"),
            ],
        )
        .await;
    assert_eq!(
        granted.location.as_deref(),
        Some("/console/users?done=granted")
    );
    let page = cecilia.get("/console/users?lang=en").await;
    assert!(page.body.contains(r#"<th scope="col">Created by</th>"#));
    let row = user_row(&page.body, "bo.admin");
    assert!(row.contains("<td>Yes, granted by cecilia</td>"), "{row}");
    assert!(row.contains(r#"<td class="code">anna</td>"#), "{row}");
    assert!(row.contains("Withdraw clearance"));
    let page = anna.get("/console/users?lang=en").await;
    assert!(
        user_row(&page.body, "bo.admin")
            .contains("You created this account: another administrator changes it.")
    );

    // Bo's page offers no button for anna, who created bo.
    let mut bo_browser = Browser::new(&state);
    state
        .store
        .set_hr_password(
            bo.id,
            &kiosk_sync_server::hr::accounts::PasswordHash::new(PASSWORD),
            false,
        )
        .expect("password");
    let login = bo_browser.log_in("bo.admin", PASSWORD).await;
    assert_eq!(login.status, StatusCode::SEE_OTHER, "{}", login.body);
    let page = bo_browser.get("/console/users?lang=en").await;
    let row = user_row(&page.body, "anna");
    assert!(
        row.contains("This account created yours: another administrator changes it."),
        "{row}"
    );
    assert!(!row.contains("<form"), "{row}");
}

#[tokio::test]
async fn assigning_an_event_makes_its_registration_readable_by_the_recruiter() {
    let state = state();
    let open = ingest_registrations(state.store.as_ref(), 6);
    let (id, given_name) = open.first().expect("an open registration").clone();
    let (mut admin, _) = logged_in(&state, "anna", vec![Role::Admin]).await;
    let (mut recruiter, rut) = logged_in(&state, "rut", vec![Role::Recruiter]).await;
    let archivist = user_with(&state, "arvid", vec![Role::Archivist]);
    let detail = format!("/console/registrations/{id}");
    assert_eq!(recruiter.get(&detail).await.status, StatusCode::FORBIDDEN);

    let page = admin.get("/console/users").await;
    assert!(page.body.contains(&format!(
        r#"<option value="{}">Testa Testsson (rut)</option>"#,
        rut.id
    )));
    assert!(
        !page
            .body
            .contains(&format!(r#"<option value="{}">"#, archivist.id)),
        "only recruiters are offered"
    );
    let csrf = page.csrf_field();
    let archivist_id = archivist.id.to_string();
    let answer = admin
        .post(
            "/console/users/assignments",
            &[
                ("csrf_token", &csrf),
                ("user_id", &archivist_id),
                ("event_id", EVENT),
            ],
        )
        .await;
    assert_eq!(answer.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(answer.body.contains("Användaren är inte rekryterare."));
    assert!(answer.body.contains(r#"aria-describedby="user_id-error""#));
    let answer = admin
        .post(
            "/console/users/assignments",
            &[
                ("csrf_token", &csrf),
                ("user_id", &rut.id.to_string()),
                ("event_id", ""),
            ],
        )
        .await;
    assert_eq!(answer.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(answer.body.contains(r#"aria-describedby="event_id-error""#));
    assert!(
        state
            .store
            .hr_assigned_events(archivist.id)
            .expect("reads")
            .is_empty()
    );

    let answer = admin
        .post(
            "/console/users/assignments",
            &[
                ("csrf_token", &csrf),
                ("user_id", &rut.id.to_string()),
                ("event_id", EVENT),
            ],
        )
        .await;
    assert_eq!(
        answer.location.as_deref(),
        Some("/console/users?done=assigned")
    );
    let page = admin.get("/console/users?done=assigned").await;
    assert!(page.body.contains("Evenemanget är tilldelat."));

    let read = recruiter.get(&detail).await;
    assert_eq!(read.status, StatusCode::OK);
    assert!(read.body.contains(&given_name));

    // Taken away again (a recruiter leaves the team): the record is refused once more.
    let page = admin.get("/console/users").await;
    assert!(page.body.contains("Ta bort tilldelningen:"));
    // The button asks for a confirmation first, and takes nothing yet.
    let asked = admin
        .post(
            "/console/users/assignments/remove",
            &[
                ("csrf_token", &page.csrf_field()),
                ("user_id", &rut.id.to_string()),
                ("event_id", EVENT),
            ],
        )
        .await;
    assert_eq!(asked.status, StatusCode::OK, "{}", asked.body);
    assert!(asked.body.contains("<h1>Ta bort tilldelningen?</h1>"));
    assert!(asked.body.contains(r#"name="confirmed" value="yes""#));
    assert_eq!(
        state.store.hr_assigned_events(rut.id).expect("reads"),
        [EVENT],
        "nothing is taken before the confirmation"
    );
    let answer = admin
        .post(
            "/console/users/assignments/remove",
            &[
                ("csrf_token", &page.csrf_field()),
                ("user_id", &rut.id.to_string()),
                ("event_id", EVENT),
                ("confirmed", "yes"),
            ],
        )
        .await;
    assert_eq!(
        answer.location.as_deref(),
        Some("/console/users?done=unassigned")
    );
    assert!(
        state
            .store
            .hr_assigned_events(rut.id)
            .expect("reads")
            .is_empty()
    );
    assert_eq!(recruiter.get(&detail).await.status, StatusCode::FORBIDDEN);
    // Without the session's CSRF token nothing is taken.
    state
        .store
        .assign_hr_event(rut.id, EVENT)
        .expect("assigned");
    let forged = admin
        .post(
            "/console/users/assignments/remove",
            &[
                ("csrf_token", &"0".repeat(64)),
                ("user_id", &rut.id.to_string()),
                ("event_id", EVENT),
                ("confirmed", "yes"),
            ],
        )
        .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    assert_eq!(
        state.store.hr_assigned_events(rut.id).expect("reads"),
        [EVENT]
    );
}

#[tokio::test]
async fn the_export_form_leads_to_a_csv_download_with_a_byte_order_mark() {
    let state = state();
    let open = ingest_registrations(state.store.as_ref(), 6);
    let (mut archivist, _) = logged_in(&state, "arvid", vec![Role::Archivist]).await;
    let page = archivist.get("/console/export").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("<h1>Export</h1>"));
    assert!(page.body.contains("byte-order-markering och semikolon"));
    assert!(
        page.body
            .contains("skyddade personuppgifter exporteras aldrig")
    );
    assert!(page.body.contains("skrivs i åtkomstloggen"));
    assert!(
        page.body
            .contains(r#"<form method="get" action="/console/export""#)
    );

    // What the browser sends for the form with every filter left empty.
    let answer = archivist
        .get("/console/export?event=&status=&talent_pool=&from=&to=&q=&format=csv&file_lang=sv&download=1")
        .await;
    assert_eq!(answer.status, StatusCode::SEE_OTHER);
    let location = answer.location.expect("to the export");
    assert_eq!(location, "/api/v1/registrations/export?format=csv&lang=sv");
    let file = archivist.get(&location).await;
    assert_eq!(file.status, StatusCode::OK);
    assert!(
        file.body.starts_with('\u{feff}'),
        "a byte-order mark for Excel"
    );
    let header = file.body.lines().next().expect("a header row");
    assert!(header.contains(';'), "{header}");
    for (id, _) in &open {
        assert!(file.body.contains(id.as_str()), "{id} is exported");
    }
    for (id, _) in &open {
        let logged = state
            .store
            .query_access_log(&kiosk_sync_server::storage::AccessLogQuery {
                doc_id: Some(id.clone()),
                action: Some(AccessAction::Export),
                limit: 10,
                ..Default::default()
            })
            .expect("reads");
        assert_eq!(logged.len(), 1, "each exported record is logged");
    }

    // Dates become the export's times; a bad one stays on the form.
    let answer = archivist
        .get("/console/export?event=&from=2026-01-01&to=2026-01-31&format=json&file_lang=en&download=1")
        .await;
    let location = answer.location.expect("to the export");
    assert!(
        location.contains("from=1767222000000") && location.contains("before=1769900400000"),
        "{location}"
    );
    let answer = archivist
        .get("/console/export?from=2026-02-30&q=a&format=csv&download=1&lang=en")
        .await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST);
    assert!(answer.body.contains("Enter a date as YYYY-MM-DD."));
    assert!(
        answer
            .body
            .contains(r#"aria-describedby="from-hint from-error""#)
    );
    let answer = archivist
        .get("/console/export?q=a&download=1&lang=sv")
        .await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST);
    assert!(answer.body.contains("Sökningen behöver 2–100 tecken."));
}

#[tokio::test]
async fn the_access_log_page_filters_by_user_and_action_and_shows_what_others_did() {
    let state = state();
    let open = ingest_registrations(state.store.as_ref(), 200);
    assert!(open.len() > 150, "three full list pages");
    let (id, _) = open.first().expect("an open registration").clone();
    let (mut archivist, _) = logged_in(&state, "arvid", vec![Role::Archivist]).await;
    let (mut recruiter, _) = logged_in(&state, "rut", vec![Role::Recruiter]).await;
    // Steps that write the log: a refused read, three list pages, a read.
    let detail = format!("/console/registrations/{id}");
    assert_eq!(recruiter.get(&detail).await.status, StatusCode::FORBIDDEN);
    let mut list = archivist.get("/console/registrations").await;
    for _ in 0..2 {
        list = archivist.get(&next_link(&list.body)).await;
    }
    assert_eq!(archivist.get(&detail).await.status, StatusCode::OK);

    let page = archivist.get("/console/access-log").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("<h1>Åtkomstlogg</h1>"));
    // The chain is checked when asked, not on every page of a review.
    assert!(page.body.contains("Kontrollera kedjan"));
    assert!(!page.body.contains("Loggens kedja är hel"));
    let checked = archivist.get("/console/access-log?verify=1").await;
    let verdict = state.store.verify_access_log().expect("verifies");
    assert!(checked.body.contains(&format!(
        "Loggens kedja är hel: alla {} poster stämmer.",
        verdict.entries
    )));
    assert!(
        verdict.entries > 100,
        "more than one page: {}",
        verdict.entries
    );
    assert!(
        page.body
            .contains("<caption>Åtkomster, nyaste först</caption>")
    );
    assert!(page.body.contains("Äldre poster"));

    let refused = archivist
        .get("/console/access-log?user=rut&action=read_refused&record=&from=&to=")
        .await;
    assert_eq!(refused.status, StatusCode::OK);
    let rows = refused.body.matches(r#"scope="row""#).count();
    assert_eq!(rows, 1, "{}", refused.body);
    assert!(refused.body.contains("hr:rut") && refused.body.contains("Läsning nekad"));
    assert!(refused.body.contains(&format!(r#"href="{detail}""#)));
    assert!(!refused.body.contains("hr:arvid"));
    let read = archivist
        .get("/console/access-log?user=arvid&action=read")
        .await;
    assert_eq!(read.body.matches(r#"scope="row""#).count(), 1);
    assert!(
        read.body
            .contains(r#"<option value="read" selected>Läst</option>"#)
    );

    // Paging: the next page continues below the last entry and links back to the newest.
    let listed = archivist
        .get("/console/access-log?user=arvid&action=list")
        .await;
    assert_eq!(listed.body.matches(r#"scope="row""#).count(), 100);
    let older = next_link(&listed.body);
    assert!(older.contains("before="), "{older}");
    let older_page = archivist.get(&older).await;
    let listed_total = state
        .store
        .query_access_log(&kiosk_sync_server::storage::AccessLogQuery {
            operator: Some("hr:arvid".into()),
            action: Some(AccessAction::List),
            limit: 500,
            ..Default::default()
        })
        .expect("reads")
        .len();
    assert_eq!(listed_total, 150);
    assert_eq!(older_page.body.matches(r#"scope="row""#).count(), 50);
    assert!(older_page.body.contains("Nyaste posterna"));

    // Reviewing the log wrote nothing to it.
    assert_eq!(
        state.store.verify_access_log().expect("verifies").entries,
        verdict.entries
    );

    for (query, field, message) in [
        ("from=2026-02-30", "from", "Skriv ett datum som ÅÅÅÅ-MM-DD."),
        ("user=Anna+Berg", "user", "Skriv ett användarnamn"),
        ("action=peek", "action", "Välj ett av alternativen."),
        ("record=no+such+id", "record", "Skriv en registrerings id"),
    ] {
        let answer = archivist.get(&format!("/console/access-log?{query}")).await;
        assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{query}");
        assert!(answer.body.contains(message), "{query}");
        assert!(
            answer.body.contains(&format!(r##"href="#{field}""##)),
            "{query}"
        );
    }
}

#[tokio::test]
async fn the_pages_render_in_swedish_and_in_english() {
    let state = state();
    let (mut browser, _) = logged_in(&state, "anna", vec![Role::Admin, Role::Archivist]).await;
    for (path, swedish, english) in [
        ("/console/devices", "Surfplattor", "Tablets"),
        ("/console/users", "Användare", "Users"),
        ("/console/export", "Export", "Export"),
        ("/console/access-log", "Åtkomstlogg", "Access log"),
    ] {
        let page = browser.get(&format!("{path}?lang=sv")).await;
        assert_eq!(page.status, StatusCode::OK, "{path}");
        assert!(page.body.contains(r#"<html lang="sv">"#), "{path}");
        assert!(page.body.contains(&format!("<h1>{swedish}</h1>")), "{path}");
        assert_eq!(page.body.matches("<h1").count(), 1, "{path}: one h1");
        let page = browser.get(&format!("{path}?lang=en")).await;
        assert!(page.body.contains(r#"<html lang="en">"#), "{path}");
        assert!(page.body.contains(&format!("<h1>{english}</h1>")), "{path}");
        assert!(
            page.body.contains(r#"aria-current="page""#),
            "{path}: the menu marks it"
        );
    }
    let page = browser.get("/console/export?lang=en").await;
    assert!(page.body.contains("semicolons (;) between fields"));
    let page = browser.get("/console/users?lang=en").await;
    assert!(page.body.contains("<caption>Users by username</caption>"));
}
