//! The console's access page of one HR user (admins): disable, remove a role or the
//! clearance with a reason, a new one-time password and token revocation, each a
//! CSRF-safe form confirmed on a page of its own, in Swedish and English; an admin's own
//! page offers none of it.

mod support {
    pub mod console_browser;
    pub mod hr_api;
}

use axum::http::StatusCode;
use kiosk_sync_server::AppState;
use kiosk_sync_server::hr::accounts::Role;
use support::console_browser::{Browser, PASSWORD, user_with};
use support::hr_api::{bearer, call_as};

#[tokio::test]
async fn an_admin_disables_a_user_after_confirming_and_their_token_stops_at_once() {
    let state = AppState::demo_in_memory().expect("relay");
    let anna = user_with(&state, "anna", vec![Role::Admin]);
    let arvid = user_with(&state, "arvid", vec![Role::Archivist]);
    let token = bearer(&state, &arvid);
    let mut browser = Browser::new(&state);
    browser.log_in("anna", PASSWORD).await;

    let list = browser.get("/console/users?lang=en").await;
    assert!(
        list.body
            .contains(&format!(r#"href="/console/users/{}""#, arvid.id))
    );
    let page = browser
        .get(&format!("/console/users/{}?lang=en", arvid.id))
        .await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(page.body.contains("Disable the user"));
    assert!(page.body.contains("New one-time password"));
    let swedish = browser
        .get(&format!("/console/users/{}?lang=sv", arvid.id))
        .await;
    assert!(swedish.body.contains("Stäng av användaren"));
    let csrf = page.csrf_field();
    let path = format!("/console/users/{}/access?lang=en", arvid.id);

    let forged = browser
        .post(&path, &[("action", "disable"), ("confirmed", "yes")])
        .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN, "no CSRF token");
    let asked = browser
        .post(
            &path,
            &[
                ("csrf_token", &csrf),
                ("action", "disable"),
                ("reason", "left"),
            ],
        )
        .await;
    assert_eq!(asked.status, StatusCode::OK);
    assert!(asked.body.contains("Confirm the change"), "{}", asked.body);
    assert!(asked.body.contains(r#"name="confirmed" value="yes""#));
    assert!(
        !state
            .store
            .hr_user(arvid.id)
            .expect("reads")
            .expect("kept")
            .0
            .disabled,
        "nothing changes before the confirmation"
    );
    let done = browser
        .post(
            &path,
            &[
                ("csrf_token", &csrf),
                ("action", "disable"),
                ("reason", "left"),
                ("confirmed", "yes"),
            ],
        )
        .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
    assert!(
        state
            .store
            .hr_user(arvid.id)
            .expect("reads")
            .expect("kept")
            .0
            .disabled
    );
    let refused = call_as(&state, "GET", "/api/v1/me", &token, None).await;
    assert_eq!(refused.status, StatusCode::UNAUTHORIZED);
    let mut arvids = Browser::new(&state);
    arvids.get("/console/login?lang=en").await;
    let login = arvids.log_in("arvid", PASSWORD).await;
    assert_eq!(login.status, StatusCode::FORBIDDEN);
    assert!(
        login.body.contains("The account is disabled"),
        "{}",
        login.body
    );
    let after = browser
        .get(&format!("/console/users/{}?lang=en", arvid.id))
        .await;
    assert!(after.body.contains("Enable the user again"));
    assert!(
        after.body.contains("Disable the user"),
        "the history names the change"
    );
    assert!(after.body.contains(">left<"), "{}", after.body);

    // Removing a role needs a reason; the error sits by its field.
    let refused = browser
        .post(
            &path,
            &[
                ("csrf_token", &csrf),
                ("action", "remove_role"),
                ("role", "archivist"),
                ("reason", " "),
            ],
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.body.contains(r##"href="#remove_role-reason""##));

    // A new one-time password is shown once, after the confirmation.
    let reset = browser
        .post(
            &path,
            &[
                ("csrf_token", &csrf),
                ("action", "reset_password"),
                ("confirmed", "yes"),
            ],
        )
        .await;
    assert_eq!(reset.status, StatusCode::OK, "{}", reset.body);
    assert!(reset.body.contains("New one-time password"));
    let (user, _) = state.store.hr_user(arvid.id).expect("reads").expect("kept");
    assert!(user.must_change_password);

    // An admin's own page offers nothing to take away, and a forged change is refused.
    let own = browser
        .get(&format!("/console/users/{}?lang=en", anna.id))
        .await;
    assert!(own.body.contains("This is your own account"));
    assert!(!own.body.contains("Disable the user"));
    let refused = browser
        .post(
            &format!("/console/users/{}/access?lang=en", anna.id),
            &[
                ("csrf_token", &csrf),
                ("action", "disable"),
                ("confirmed", "yes"),
            ],
        )
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert!(
        refused
            .body
            .contains("You cannot take away your own access")
    );
    assert!(
        !state
            .store
            .hr_user(anna.id)
            .expect("reads")
            .expect("kept")
            .0
            .disabled
    );
}

#[tokio::test]
async fn a_non_admin_gets_no_access_page() {
    let state = AppState::demo_in_memory().expect("relay");
    let arvid = user_with(&state, "arvid", vec![Role::Archivist]);
    user_with(&state, "rut", vec![Role::Recruiter]);
    let mut browser = Browser::new(&state);
    browser.log_in("rut", PASSWORD).await;
    let page = browser.get(&format!("/console/users/{}", arvid.id)).await;
    assert_eq!(page.status, StatusCode::FORBIDDEN);
}
