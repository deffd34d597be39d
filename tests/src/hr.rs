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

    pub fn login(&self, username: &str) -> Hr<'_> {
        let mut response = self
            .agent
            .post(&format!("{}/api/v1/login", self.base))
            .header("content-type", "application/json")
            .send(json!({ "username": username, "password": PASSWORD }).to_string())
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

impl Hr<'_> {
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
    let (user, _) = provision_user(store, username, "Test", vec![role], 0).expect("provisioned");
    store
        .set_hr_password(user.id, &PasswordHash::new(PASSWORD), false)
        .expect("password");
    user.id
}
