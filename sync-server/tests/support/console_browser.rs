//! A browser in miniature for console tests through the router: a cookie jar, forms
//! posted as `application/x-www-form-urlencoded`, and the answer's status, redirect,
//! cookies and body; plus a user who has chosen their own password.

#![allow(dead_code)]

use std::collections::HashMap;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use kiosk_sync_server::hr::accounts::{HrUser, PasswordHash, Role};
use kiosk_sync_server::hr::provision_user;
use kiosk_sync_server::{AppState, router};
use tower::ServiceExt;

/// The password [`user`] gives every test user.
pub const PASSWORD: &str = "ett långt lösenord";

/// A browser in miniature: a cookie jar and the last answer.
pub struct Browser {
    pub state: AppState,
    pub cookies: HashMap<String, String>,
}

pub struct Page {
    pub status: StatusCode,
    pub location: Option<String>,
    pub set_cookies: Vec<String>,
    pub body: String,
}

impl Page {
    /// The value of the form's hidden `csrf_token` field.
    pub fn csrf_field(&self) -> String {
        let marker = r#"name="csrf_token" value=""#;
        let start = self.body.find(marker).expect("a csrf_token field") + marker.len();
        let end = start + self.body[start..].find('"').expect("closing quote");
        self.body[start..end].to_owned()
    }

    pub fn sets_cookie(&self, name: &str) -> Option<&String> {
        self.set_cookies
            .iter()
            .find(|c| c.starts_with(&format!("{name}=")) && !c.contains("Max-Age=0"))
    }
}

impl Browser {
    pub fn new(state: &AppState) -> Browser {
        Browser {
            state: state.clone(),
            cookies: HashMap::new(),
        }
    }

    pub async fn send(&mut self, method: &str, path: &str, form: Option<&[(&str, &str)]>) -> Page {
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

    pub async fn get(&mut self, path: &str) -> Page {
        self.send("GET", path, None).await
    }

    pub async fn post(&mut self, path: &str, form: &[(&str, &str)]) -> Page {
        self.send("POST", path, Some(form)).await
    }

    /// Opens the login page and logs in; returns the answer to the login.
    pub async fn log_in(&mut self, username: &str, password: &str) -> Page {
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

/// A user with `roles` who has chosen [`PASSWORD`].
pub fn user_with(state: &AppState, username: &str, roles: Vec<Role>) -> HrUser {
    let (user, _) = provision_user(state.store.as_ref(), username, "Testa Testsson", roles, 0)
        .expect("provisioned");
    state
        .store
        .set_hr_password(user.id, &PasswordHash::new(PASSWORD), false)
        .expect("password");
    user
}
