//! The HR console's pages through the router: the login form's pre-session token, a wrong
//! password and the rate limit shown on the page, a login that must first replace its
//! one-time password, redirects without a session, forged CSRF tokens on console forms,
//! the page a missing role gets, and the language switch.

mod support {
    pub mod console_browser;
}

use axum::http::StatusCode;
use kiosk_sync_server::AppState;
use kiosk_sync_server::hr::accounts::Role;
use kiosk_sync_server::hr::provision_user;
use support::console_browser::{Browser, PASSWORD, user_with};

fn state() -> AppState {
    AppState::demo_in_memory().expect("state")
}

/// A user with `role` who has chosen [`PASSWORD`].
fn user(state: &AppState, username: &str, role: Role) {
    user_with(state, username, vec![role]);
}

#[tokio::test]
async fn the_login_form_refuses_a_missing_or_forged_pre_session_token() {
    let state = state();
    user(&state, "arvid", Role::Archivist);
    let mut browser = Browser::new(&state);
    let form = browser.get("/console/login").await;
    assert_eq!(form.status, StatusCode::OK);
    let cookie = form
        .sets_cookie("kiosk_login")
        .expect("a pre-session cookie");
    assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"));
    let token = form.csrf_field();
    assert_eq!(browser.cookies.get("kiosk_login"), Some(&token));

    let forged = "0".repeat(64);
    let answer = browser
        .post(
            "/console/login",
            &[
                ("csrf_token", &forged),
                ("username", "arvid"),
                ("password", PASSWORD),
            ],
        )
        .await;
    assert_eq!(answer.status, StatusCode::FORBIDDEN);
    assert!(answer.body.contains("Inloggningsformuläret har gått ut"));
    assert!(answer.sets_cookie("kiosk_session").is_none());

    let answer = browser
        .post(
            "/console/login",
            &[("username", "arvid"), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(answer.status, StatusCode::FORBIDDEN, "no token in the form");

    // Another site's form: the field, but no cookie (SameSite=Strict keeps it home).
    let mut elsewhere = Browser::new(&state);
    let answer = elsewhere
        .post(
            "/console/login",
            &[
                ("csrf_token", &token),
                ("username", "arvid"),
                ("password", PASSWORD),
            ],
        )
        .await;
    assert_eq!(answer.status, StatusCode::FORBIDDEN, "no cookie");
    assert!(answer.sets_cookie("kiosk_session").is_none());

    let answer = browser
        .post(
            "/console/login",
            &[
                ("csrf_token", &token),
                ("username", "arvid"),
                ("password", PASSWORD),
            ],
        )
        .await;
    assert_eq!(answer.status, StatusCode::SEE_OTHER, "{}", answer.body);
}

#[tokio::test]
async fn a_wrong_password_is_shown_on_the_page_without_a_session_and_so_is_the_rate_limit() {
    let state = state();
    user(&state, "arvid", Role::Archivist);
    let mut browser = Browser::new(&state);
    let wrong = "inte mitt lösenord";
    let answer = browser.log_in("arvid", wrong).await;
    assert_eq!(answer.status, StatusCode::UNAUTHORIZED);
    assert!(answer.body.contains("Fel användarnamn eller lösenord."));
    assert!(answer.body.contains(r#"role="alert""#), "announced");
    assert!(
        answer.body.contains(r#"aria-describedby="password-error""#),
        "tied to the field"
    );
    assert!(answer.body.contains(r#"value="arvid""#), "username kept");
    assert!(!answer.body.contains(wrong), "the password is never echoed");
    assert!(answer.sets_cookie("kiosk_session").is_none());
    assert!(!browser.cookies.contains_key("kiosk_session"));

    // Four more failures lock the username; the page says how long, in English too.
    for _ in 0..4 {
        browser.log_in("arvid", wrong).await;
    }
    let answer = browser.log_in("arvid", PASSWORD).await;
    assert_eq!(answer.status, StatusCode::TOO_MANY_REQUESTS);
    assert_lockout_minutes(&answer.body, "Försök igen om ", " minuter");
    browser.get("/console/login?lang=en").await;
    let answer = browser.log_in("arvid", PASSWORD).await;
    assert_lockout_minutes(&answer.body, "Try again in ", " minutes");
    assert!(answer.sets_cookie("kiosk_session").is_none());
}

/// The page names the lock-out's remaining time in whole minutes, rounded up: at most its
/// 15 minutes, and (however slowly the test ran) most of them still.
fn assert_lockout_minutes(body: &str, before: &str, after: &str) {
    let minutes: u64 = body
        .split(before)
        .nth(1)
        .and_then(|rest| rest.split(after).next())
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or_else(|| panic!("no «{before}N{after}» in {body}"));
    assert!((10..=15).contains(&minutes), "{minutes} min in {body}");
}

#[tokio::test]
async fn a_one_time_password_leads_to_the_password_page_and_a_new_password_to_the_list() {
    let state = state();
    let (_, one_time) = provision_user(
        state.store.as_ref(),
        "rut",
        "Rut Rekryterare",
        vec![Role::Recruiter],
        0,
    )
    .expect("provisioned");
    let mut browser = Browser::new(&state);
    let answer = browser.log_in("rut", &one_time).await;
    assert_eq!(answer.status, StatusCode::SEE_OTHER);
    assert_eq!(answer.location.as_deref(), Some("/console/password"));
    let session = answer.sets_cookie("kiosk_session").expect("a session");
    assert!(
        session.contains("Path=/")
            && session.contains("HttpOnly")
            && session.contains("SameSite=Strict"),
        "as the JSON login sets it: {session}"
    );

    let list = browser.get("/console/registrations").await;
    assert_eq!(
        list.status,
        StatusCode::SEE_OTHER,
        "the password comes first"
    );
    assert_eq!(list.location.as_deref(), Some("/console/password"));

    let page = browser.get("/console/password").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("Engångslösenord"));
    let csrf = page.csrf_field();
    let new = "ett eget långt lösenord";
    let answer = browser
        .post(
            "/console/password",
            &[
                ("csrf_token", &csrf),
                ("current_password", &one_time),
                ("new_password", new),
                ("confirm_password", "något annat"),
            ],
        )
        .await;
    assert_eq!(answer.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(answer.body.contains("Lösenorden är inte likadana."));
    assert!(
        answer
            .body
            .contains(r#"aria-describedby="confirm_password-error""#)
    );
    assert!(!answer.body.contains(new) && !answer.body.contains(&one_time));

    let answer = browser
        .post(
            "/console/password",
            &[
                ("csrf_token", &csrf),
                ("current_password", &one_time),
                ("new_password", new),
                ("confirm_password", new),
            ],
        )
        .await;
    assert_eq!(answer.status, StatusCode::SEE_OTHER, "{}", answer.body);
    assert_eq!(answer.location.as_deref(), Some("/console/registrations"));
    assert!(
        answer.sets_cookie("kiosk_session").is_some(),
        "a new session"
    );
    let list = browser.get("/console/registrations").await;
    assert_eq!(list.status, StatusCode::OK);
    assert!(list.body.contains("<h1>Registreringar</h1>"));
    // A recruiter with no event yet is told why the list is empty.
    assert!(list.body.contains("Du har inget evenemang ännu"));
}

#[tokio::test]
async fn pages_without_a_session_redirect_to_the_login() {
    let state = state();
    let mut browser = Browser::new(&state);
    for path in [
        "/console/registrations",
        "/console/registrations/0190f1c2-0000-7000-8000-000000000000",
        "/console/password",
    ] {
        let answer = browser.get(path).await;
        assert_eq!(answer.status, StatusCode::SEE_OTHER, "{path}");
        assert_eq!(answer.location.as_deref(), Some("/console/login"), "{path}");
    }
    // An ended or expired session says so on the login page.
    browser
        .cookies
        .insert("kiosk_session".into(), "ab".repeat(32));
    let answer = browser.get("/console/registrations").await;
    assert_eq!(answer.location.as_deref(), Some("/console/login?expired=1"));
    let login = browser.get("/console/login?expired=1").await;
    assert!(login.body.contains("Din session har gått ut."));
}

#[tokio::test]
async fn a_forged_or_missing_csrf_token_on_a_console_form_is_refused_with_403() {
    let state = state();
    user(&state, "arvid", Role::Archivist);
    let mut browser = Browser::new(&state);
    assert_eq!(
        browser.log_in("arvid", PASSWORD).await.status,
        StatusCode::SEE_OTHER
    );
    let list = browser.get("/console/registrations").await;
    let csrf = list.csrf_field();

    let forged = "f".repeat(64);
    for form in [vec![("csrf_token", forged.as_str())], vec![]] {
        let answer = browser.post("/console/logout", &form).await;
        assert_eq!(answer.status, StatusCode::FORBIDDEN);
        assert!(answer.body.contains("Formuläret kunde inte skickas"));
        let answer = browser
            .post(
                "/console/password",
                &[
                    form.first().copied().unwrap_or(("x", "y")),
                    ("current_password", PASSWORD),
                    ("new_password", "ett helt annat lösenord"),
                    ("confirm_password", "ett helt annat lösenord"),
                ],
            )
            .await;
        assert_eq!(answer.status, StatusCode::FORBIDDEN);
    }
    // Nothing changed: the session still works, the password is the old one.
    assert_eq!(
        browser.get("/console/registrations").await.status,
        StatusCode::OK
    );

    let answer = browser
        .post("/console/logout", &[("csrf_token", &csrf)])
        .await;
    assert_eq!(answer.status, StatusCode::SEE_OTHER);
    assert_eq!(
        answer.location.as_deref(),
        Some("/console/login?logged_out=1")
    );
    assert!(!browser.cookies.contains_key("kiosk_session"));
    let mut again = Browser::new(&state);
    assert_eq!(
        again.log_in("arvid", PASSWORD).await.status,
        StatusCode::SEE_OTHER,
        "the old password still holds"
    );
}

#[tokio::test]
async fn a_missing_role_gets_a_403_page_that_names_the_role_needed() {
    let state = state();
    user(&state, "anna", Role::Admin);
    let mut browser = Browser::new(&state);
    browser.log_in("anna", PASSWORD).await;
    let answer = browser.get("/console/registrations").await;
    assert_eq!(answer.status, StatusCode::FORBIDDEN);
    assert!(answer.body.contains("<h1>Åtkomst nekad</h1>"));
    assert!(
        answer.body.contains("kräver rollen rekryterare"),
        "{}",
        answer.body
    );
    browser.get("/console/password?lang=en").await;
    let answer = browser.get("/console/registrations").await;
    assert!(answer.body.contains("needs the recruiter role"));
}

#[tokio::test]
async fn filters_are_checked_and_an_unknown_registration_is_404() {
    let state = state();
    user(&state, "arvid", Role::Archivist);
    let mut browser = Browser::new(&state);
    browser.log_in("arvid", PASSWORD).await;
    let answer = browser
        .get("/console/registrations?q=a&from=2026-02-30&event=&status=")
        .await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST);
    assert!(answer.body.contains("Skriv ett datum som ÅÅÅÅ-MM-DD."));
    assert!(
        answer
            .body
            .contains(r#"aria-describedby="from-hint from-error""#)
    );
    assert!(answer.body.contains("<title>Fel: Registreringar"));
    let answer = browser.get("/console/registrations?q=a").await;
    assert!(answer.body.contains("Sökningen behöver 2–100 tecken."));
    let answer = browser
        .get("/console/registrations?event=sthlm-career-fair-2026&status=new&talent_pool=false&from=2026-01-01&to=2026-12-31")
        .await;
    assert_eq!(answer.status, StatusCode::OK);
    assert!(
        answer
            .body
            .contains(r#"<option value="new" selected>Ny</option>"#)
    );
    let answer = browser
        .get("/console/registrations/0190f1c2-0000-7000-8000-000000000000")
        .await;
    assert_eq!(answer.status, StatusCode::NOT_FOUND);
    assert!(answer.body.contains("Registreringen finns inte"));
}

#[tokio::test]
async fn lang_en_switches_the_texts_and_html_lang_and_is_remembered() {
    let state = state();
    let mut browser = Browser::new(&state);
    let swedish = browser.get("/console/login").await;
    assert!(swedish.body.contains(r#"<html lang="sv">"#));
    assert!(swedish.body.contains("<h1>Logga in</h1>"));
    assert!(
        swedish
            .body
            .contains(r#"href="/console/login?lang=en" lang="en" hreflang="en">English</a>"#)
    );

    let english = browser.get("/console/login?lang=en").await;
    assert!(english.body.contains(r#"<html lang="en">"#));
    assert!(english.body.contains("<h1>Log in</h1>"));
    assert!(english.body.contains("Skip to main content"));
    assert!(
        english
            .body
            .contains(r#"lang="sv" hreflang="sv">Svenska</a>"#)
    );
    let cookie = english.sets_cookie("kiosk_lang").expect("remembered");
    assert!(cookie.starts_with("kiosk_lang=en;"));

    let remembered = browser.get("/console/login").await;
    assert!(remembered.body.contains(r#"<html lang="en">"#));
    let back = browser.get("/console/login?lang=sv").await;
    assert!(back.body.contains(r#"<html lang="sv">"#));
}
