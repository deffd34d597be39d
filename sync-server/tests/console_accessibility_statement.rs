//! The accessibility statement the law on accessible public digital services asks for: a
//! public page, read without logging in, in Swedish by default and in English on request,
//! with the parts of DIGG's model (compliance status with the known problems, how to report
//! a problem to the configured address, DIGG's complaint page, how it was tested, the
//! date), proper headings and landmarks; and every console page's footer links it.

mod support {
    pub mod console_browser;
}

use axum::http::StatusCode;
use kiosk_sync_server::AppState;
use kiosk_sync_server::hr::accounts::Role;
use support::console_browser::{Browser, PASSWORD, user_with};

const DEMO: &str = kiosk_core::demo::DEMO_EVENT_ID;

/// The console's source, whose routes every page test walks.
const CONSOLE_ROUTES: &str = include_str!("../src/hr/console/mod.rs");

fn state() -> AppState {
    AppState::demo_in_memory().expect("state")
}

/// How many times `needle` occurs in `body`.
fn count(body: &str, needle: &str) -> usize {
    body.matches(needle).count()
}

#[tokio::test]
async fn the_statement_is_public_in_swedish_by_default_with_the_model_parts() {
    let state = state();
    let mut browser = Browser::new(&state);
    let page = browser.get("/console/accessibility").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    let body = &page.body;
    assert!(body.contains(r#"<html lang="sv">"#));
    assert_eq!(count(body, "<h1"), 1);
    assert!(body.contains("<h1>Tillgänglighetsredogörelse</h1>"));
    for landmark in ["<header", "<main", "<footer", "<nav"] {
        assert!(body.contains(landmark), "{landmark}");
    }
    for part in [
        "Hur tillgänglig är konsolen?",
        "delvis förenlig med lagen om tillgänglighet till digital offentlig service",
        "Innehåll som inte är tillgängligt",
        "QR-koden",
        "PDF",
        "Rapportera brister",
        "Tillsyn",
        r#"href="https://www.digg.se/tdosanmalan""#,
        "Hur vi testat konsolen",
        "axe-core",
        "Tangentbordskontroller",
        "Redogörelsen uppdaterades senast den 20",
    ] {
        assert!(body.contains(part), "{part}");
    }
    // No address set: the operator is told to set one, and no mail link points nowhere.
    assert!(body.contains("accessibility_contact"));
    assert!(!body.contains("mailto:"));
    // Not a login page, and no menu of a logged-in user.
    assert!(!body.contains(r#"action="/console/logout""#));
}

#[tokio::test]
async fn the_statement_speaks_english_on_request_and_names_the_configured_contact() {
    let mut state = state();
    state.accessibility_contact = Some("tillganglighet@myndighet.se".to_owned());
    let mut browser = Browser::new(&state);
    let page = browser.get("/console/accessibility?lang=en").await;
    assert_eq!(page.status, StatusCode::OK);
    let body = &page.body;
    assert!(body.contains(r#"<html lang="en">"#));
    assert!(body.contains("<h1>Accessibility statement</h1>"));
    assert!(body.contains("partially compliant"));
    assert!(body.contains(r#"href="mailto:tillganglighet@myndighet.se""#));
    assert!(body.contains(r#"href="https://www.digg.se/tdosanmalan""#));
    // The switch back to Swedish keeps the page.
    assert!(body.contains(r#"href="/console/accessibility?lang=sv""#));

    let swedish = browser.get("/console/accessibility?lang=sv").await;
    assert!(swedish.body.contains(r#"<html lang="sv">"#));
}

#[tokio::test]
async fn a_logged_in_user_reads_it_with_their_menu() {
    let state = state();
    user_with(&state, "admin.ida", vec![Role::Admin]);
    let mut browser = Browser::new(&state);
    browser.log_in("admin.ida", PASSWORD).await;
    let page = browser.get("/console/accessibility").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains(r#"action="/console/logout""#));
    assert!(page.body.contains("<h1>Tillgänglighetsredogörelse</h1>"));
}

/// The paths of every `GET` route of the console, `{id}` filled with the demo event's id
/// (which names no registration or tablet: those pages say so, in the frame).
fn console_pages() -> Vec<String> {
    let mut pages = Vec::new();
    for part in CONSOLE_ROUTES.split(".route(").skip(1) {
        let Some(path) = part.trim_start().strip_prefix('"') else {
            continue;
        };
        let Some((path, rest)) = path.split_once('"') else {
            continue;
        };
        let call = rest.split("\n        .").next().unwrap_or_default();
        if call.contains("get(") && !path.ends_with(".css") {
            pages.push(path.replace("{id}", DEMO));
        }
    }
    pages
}

#[tokio::test]
async fn every_console_page_links_the_statement_in_its_footer() {
    let state = state();
    let user = user_with(
        &state,
        "alla.roller",
        vec![Role::Admin, Role::Recruiter, Role::Archivist],
    );
    state
        .store
        .set_hr_clearance(user.id, true)
        .expect("clearance");
    let pages = console_pages();
    assert!(pages.len() >= 15, "the route scan found {pages:?}");
    assert!(pages.contains(&"/console/reconciliation".to_owned()));

    let mut anonymous = Browser::new(&state);
    let login = anonymous.get("/console/login?lang=en").await;
    assert!(
        login
            .body
            .contains(r#"href="/console/accessibility?lang=en""#)
    );

    let mut browser = Browser::new(&state);
    browser.log_in("alla.roller", PASSWORD).await;
    let mut checked = 0;
    for path in &pages {
        let page = browser.get(path).await;
        // The console's address only redirects to the first page; a download is no page.
        if page.status.is_redirection() || !page.body.starts_with("<!DOCTYPE html>") {
            continue;
        }
        assert!(
            page.body.contains("<footer")
                && page.body.contains(
                    r#"href="/console/accessibility?lang=sv">Tillgänglighetsredogörelse</a>"#
                ),
            "{path} ({}) has no footer link to the statement",
            page.status
        );
        checked += 1;
    }
    assert!(checked >= 15, "{checked} pages checked");
}
