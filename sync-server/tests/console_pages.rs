//! The HR console's pages through the router: the login form's pre-session token, a wrong
//! password and the rate limit shown on the page, a login that must first replace its
//! one-time password, redirects without a session, forged CSRF tokens on console forms,
//! the page a missing role gets, and the language switch.

use std::collections::HashMap;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use kiosk_sync_server::hr::accounts::{PasswordHash, Role};
use kiosk_sync_server::hr::provision_user;
use kiosk_sync_server::{AppState, router};
use tower::ServiceExt;

const PASSWORD: &str = "ett långt lösenord";

/// A browser in miniature: a cookie jar and the last answer.
struct Browser {
    state: AppState,
    cookies: HashMap<String, String>,
}

struct Page {
    status: StatusCode,
    location: Option<String>,
    set_cookies: Vec<String>,
    body: String,
}

impl Page {
    /// The value of the form's hidden `csrf_token` field.
    fn csrf_field(&self) -> String {
        let marker = r#"name="csrf_token" value=""#;
        let start = self.body.find(marker).expect("a csrf_token field") + marker.len();
        let end = start + self.body[start..].find('"').expect("closing quote");
        self.body[start..end].to_owned()
    }

    fn sets_cookie(&self, name: &str) -> Option<&String> {
        self.set_cookies
            .iter()
            .find(|c| c.starts_with(&format!("{name}=")) && !c.contains("Max-Age=0"))
    }
}

impl Browser {
    fn new(state: &AppState) -> Browser {
        Browser {
            state: state.clone(),
            cookies: HashMap::new(),
        }
    }

    async fn send(&mut self, method: &str, path: &str, form: Option<&[(&str, &str)]>) -> Page {
        let mut request = Request::builder().method(method).uri(path);
        if !self.cookies.is_empty() {
            let jar: Vec<String> = self
                .cookies
                .iter()
                .map(|(name, value)| format!("{name}={value}"))
                .collect();
            request = request.header(header::COOKIE, jar.join("; "));
        }
        let request = match form {
            Some(fields) => request
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .body(Body::from(
                    serde_urlencoded::to_string(fields).expect("encodes"),
                )),
            None => request.body(Body::empty()),
        }
        .expect("request");
        let response = router(self.state.clone())
            .oneshot(request)
            .await
            .expect("answer");
        let status = response.status();
        let location = response
            .headers()
            .get(header::LOCATION)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let set_cookies: Vec<String> = response
            .headers()
            .get_all(header::SET_COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .map(str::to_owned)
            .collect();
        for cookie in &set_cookies {
            let pair = cookie.split(';').next().unwrap_or_default();
            if let Some((name, value)) = pair.split_once('=') {
                if value.is_empty() || cookie.contains("Max-Age=0") {
                    self.cookies.remove(name);
                } else {
                    self.cookies.insert(name.to_owned(), value.to_owned());
                }
            }
        }
        let bytes = axum::body::to_bytes(response.into_body(), 1 << 20)
            .await
            .expect("body");
        Page {
            status,
            location,
            set_cookies,
            body: String::from_utf8(bytes.to_vec()).expect("utf-8"),
        }
    }

    async fn get(&mut self, path: &str) -> Page {
        self.send("GET", path, None).await
    }

    async fn post(&mut self, path: &str, form: &[(&str, &str)]) -> Page {
        self.send("POST", path, Some(form)).await
    }

    /// Opens the login page and logs in; returns the answer to the login.
    async fn log_in(&mut self, username: &str, password: &str) -> Page {
        let form = self.get("/console/login").await;
        let token = form.csrf_field();
        self.post(
            "/console/login",
            &[
                ("csrf_token", &token),
                ("username", username),
                ("password", password),
            ],
        )
        .await
    }
}

fn state() -> AppState {
    AppState::demo_in_memory().expect("state")
}

/// A user with `role` who has chosen [`PASSWORD`].
fn user(state: &AppState, username: &str, role: Role) {
    let (user, _) = provision_user(
        state.store.as_ref(),
        username,
        "Testa Testsson",
        vec![role],
        0,
    )
    .expect("provisioned");
    state
        .store
        .set_hr_password(user.id, &PasswordHash::new(PASSWORD), false)
        .expect("password");
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
    assert!(answer.body.contains("Försök igen om 9"), "{}", answer.body);
    browser.get("/console/login?lang=en").await;
    let answer = browser.log_in("arvid", PASSWORD).await;
    assert!(answer.body.contains("Try again in 9"), "{}", answer.body);
    assert!(answer.sets_cookie("kiosk_session").is_none());
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
    assert!(list.body.contains("Inga registreringar matchar filtret."));
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
