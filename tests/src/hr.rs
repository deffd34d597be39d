//! HR users for end-to-end tests: provisioned straight into a relay's store, logged in over
//! HTTP with a session cookie and CSRF token.

use kiosk_sync_server::hr::accounts::{PasswordHash, Role};
use kiosk_sync_server::hr::provision_user;
use kiosk_sync_server::storage::RelayStore;
use serde_json::{Value, json};

/// The password every test HR user has.
pub const PASSWORD: &str = "ett långt lösenord";

#[derive(Debug)]
pub struct Http {
    agent: ureq::Agent,
    base: String,
}

/// A logged-in HR user: the session cookie and CSRF token.
#[derive(Debug)]
pub struct Hr<'a> {
    http: &'a Http,
    cookie: String,
    csrf: String,
}

impl Http {
    pub fn new(base: String) -> Http {
        let agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .build()
            .new_agent();
        Http { agent, base }
    }

    /// Logs in a user who has chosen [`PASSWORD`].
    pub fn login(&self, username: &str) -> Hr<'_> {
        self.login_with(username, PASSWORD)
    }

    pub fn login_with(&self, username: &str, password: &str) -> Hr<'_> {
        let mut response = self
            .agent
            .post(&format!("{}/api/v1/login", self.base))
            .header("content-type", "application/json")
            .send(json!({ "username": username, "password": password }).to_string())
            .expect("answer");
        assert_eq!(response.status().as_u16(), 200, "login of {username}");
        let cookie = response
            .headers()
            .get("set-cookie")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .expect("cookie")
            .to_owned();
        let body: Value = json_of(&mut response);
        Hr {
            http: self,
            cookie,
            csrf: body["csrf_token"].as_str().expect("csrf").to_owned(),
        }
    }
}

/// An answer as bytes, with its headers.
#[derive(Debug)]
pub struct RawAnswer {
    pub status: u16,
    headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl RawAnswer {
    /// The header's value, or "" if there is none.
    pub fn header(&self, name: &str) -> &str {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map_or("", |(_, v)| v.as_str())
    }
}

impl Hr<'_> {
    /// A GET whose answer is kept as bytes (an export, say).
    pub fn get_raw(&self, path: &str) -> RawAnswer {
        let mut response = self
            .http
            .agent
            .get(&format!("{}{path}", self.http.base))
            .header("cookie", &self.cookie)
            .call()
            .expect("answer");
        let headers = response
            .headers()
            .iter()
            .filter_map(|(n, v)| Some((n.as_str().to_owned(), v.to_str().ok()?.to_owned())))
            .collect();
        RawAnswer {
            status: response.status().as_u16(),
            headers,
            body: response.body_mut().read_to_vec().expect("body"),
        }
    }

    pub fn get(&self, path: &str) -> (u16, Value) {
        let mut response = self
            .http
            .agent
            .get(&format!("{}{path}", self.http.base))
            .header("cookie", &self.cookie)
            .call()
            .expect("answer");
        let status = response.status().as_u16();
        (status, json_of(&mut response))
    }

    pub fn post(&self, path: &str, body: Value) -> (u16, Value) {
        let mut response = self
            .http
            .agent
            .post(&format!("{}{path}", self.http.base))
            .header("cookie", &self.cookie)
            .header("x-csrf-token", &self.csrf)
            .header("content-type", "application/json")
            .send(body.to_string())
            .expect("answer");
        let status = response.status().as_u16();
        (status, json_of(&mut response))
    }
}

pub fn json_of(response: &mut ureq::http::Response<ureq::Body>) -> Value {
    let text = response.body_mut().read_to_string().unwrap_or_default();
    serde_json::from_str(&text).unwrap_or(Value::Null)
}

/// An HR user with `role` who has chosen [`PASSWORD`]; returns their id.
pub fn user(store: &dyn RelayStore, username: &str, role: Role) -> u64 {
    // Store calls block: off the async threads a test may call this from.
    crate::off_runtime(|| {
        let (user, _) =
            provision_user(store, username, "Test", vec![role], 0).expect("provisioned");
        store
            .set_hr_password(user.id, &PasswordHash::new(PASSWORD), false)
            .expect("password");
        user.id
    })
}

/// What a visitor enters: `given` Lindqvist, interested in law in Stockholm; with
/// `restricted`, protected personal data and the email as the one contact channel.
pub fn visitor(given: &str, restricted: bool) -> kiosk_core::validation::RegistrationInput {
    kiosk_core::validation::RegistrationInput {
        language: Some(kiosk_core::language::Language::Swedish),
        given_name: given.into(),
        family_name: "Lindqvist".into(),
        email: format!("{}@exempel.se", given.to_lowercase()),
        phone: if restricted {
            String::new()
        } else {
            "070-123 45 67".into()
        },
        interests: vec!["law".into()],
        locations: vec!["stockholm".into()],
        privacy_notice_acknowledged: true,
        protected_personal_data: restricted,
        ..kiosk_core::validation::RegistrationInput::default()
    }
}
