//! The HR console's registration list through the router: filters chosen from lists of the
//! user's events and their labelled interest areas and locations, a location asked for by
//! its label, a phone number typed as people say it, the total in agreeing Swedish, page N
//! of M in either order, a record page that leads back to its page of the same list and
//! steps to its neighbours in it, and a recruiter with no event told why the list is empty.

mod support {
    pub mod console_browser;
    pub mod hr_api;
}

use axum::http::StatusCode;
use kiosk_core::demo::DEMO_EVENT_ID;
use kiosk_core::registration::Registration;
use kiosk_sync_server::AppState;
use kiosk_sync_server::hr::accounts::Role;
use kiosk_sync_server::storage::{ingest_generated_for_tests, receipt_code_for_tests};
use support::console_browser::{Browser, PASSWORD, user_with};
use support::hr_api::{ApiSession, call};

const LIST: &str = "/console/registrations";

/// A relay holding `count` generated registrations of the demo event, and an archivist
/// (who reads every event) logged in.
async fn relay_with(count: usize) -> (AppState, Vec<Registration>, Browser) {
    let state = AppState::demo_in_memory().expect("state");
    let registrations = ingest_generated_for_tests(state.store.as_ref(), count);
    user_with(&state, "arvid", vec![Role::Archivist]);
    let mut browser = Browser::new(&state);
    browser.log_in("arvid", PASSWORD).await;
    (state, registrations, browser)
}

fn open(registrations: &[Registration]) -> Vec<&Registration> {
    registrations.iter().filter(|r| !r.restricted).collect()
}

/// The `href`s of `body`, in page order, as a browser reads them.
fn hrefs(body: &str) -> Vec<String> {
    body.split("href=\"")
        .skip(1)
        .filter_map(|rest| rest.split('"').next())
        .map(|href| href.replace("&amp;", "&"))
        .collect()
}

/// The record links of a list page, in row order.
fn record_links(body: &str) -> Vec<String> {
    hrefs(body)
        .into_iter()
        .filter(|href| href.starts_with(&format!("{LIST}/")))
        .collect()
}

/// The record id a record link opens.
fn id_of(link: &str) -> &str {
    link.trim_start_matches(&format!("{LIST}/"))
        .split('?')
        .next()
        .expect("an id")
}

#[tokio::test]
async fn filters_are_lists_of_the_users_events_and_their_labelled_choices() {
    let (_state, _, mut browser) = relay_with(5).await;
    let page = browser.get(LIST).await;
    assert_eq!(page.status, StatusCode::OK);
    let body = &page.body;
    assert!(
        body.contains(r#"<select id="event" name="event""#),
        "{body}"
    );
    assert!(
        body.contains(&format!(r#"<option value="{DEMO_EVENT_ID}">"#)),
        "the event is offered by its name"
    );
    assert!(body.contains(r#"<select id="interest" name="interest""#));
    assert!(body.contains(r#"<option value="malmo">Malmö</option>"#));
    assert!(body.contains(r#"<option value="goteborg">Göteborg</option>"#));
    assert!(body.contains(r#"<option value="oldest">Äldst först</option>"#));
    // No text box asks for a code any more.
    assert!(!body.contains(r#"<input id="event""#));
    assert!(!body.contains(r#"<input id="location""#));
    let page = browser.get(&format!("{LIST}?lang=en")).await;
    assert!(
        page.body
            .contains(r#"<option value="goteborg">Gothenburg</option>"#)
    );
}

#[tokio::test]
async fn a_location_asked_for_by_its_label_finds_what_its_code_finds() {
    let (_state, registrations, mut browser) = relay_with(60).await;
    let in_malmo = open(&registrations)
        .into_iter()
        .filter(|r| r.locations.iter().any(|l| l == "malmo"))
        .count();
    assert!(in_malmo > 0, "the generator picks Malmö now and then");
    let total = format!("{in_malmo} registrering");
    for asked in ["malmo", "Malm%C3%B6", "malm%C3%B6"] {
        let page = browser.get(&format!("{LIST}?location={asked}")).await;
        assert_eq!(page.status, StatusCode::OK, "{asked}: {}", page.body);
        assert!(page.body.contains(&total), "{asked}: {in_malmo} rows");
        assert!(
            page.body
                .contains(r#"<option value="malmo" selected>Malmö</option>"#),
            "{asked}"
        );
    }
    // The event by its name, as typed by hand.
    let name = kiosk_core::demo::demo_event()
        .name
        .get(kiosk_core::language::Language::Swedish)
        .to_owned();
    let by_name = serde_urlencoded::to_string([("event", name.as_str())]).expect("query");
    let page = browser.get(&format!("{LIST}?{by_name}")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.body
            .contains(&format!(r#"<option value="{DEMO_EVENT_ID}" selected>"#))
    );
}

#[tokio::test]
async fn a_phone_number_typed_as_said_finds_its_e164_record() {
    let (_state, registrations, mut browser) = relay_with(40).await;
    let wanted = open(&registrations)
        .into_iter()
        .find(|r| {
            r.person
                .phone
                .as_deref()
                .is_some_and(|p| p.starts_with("+467") && p.len() == 12)
        })
        .expect("a Swedish mobile number");
    let code = receipt_code_for_tests(&wanted.id);
    let n = &wanted.person.phone.as_deref().expect("phone")[3..];
    for typed in [
        format!("0{}-{} {} {}", &n[..2], &n[2..5], &n[5..7], &n[7..]),
        format!("0{n}"),
        format!("+46 {} {} {} {}", &n[..2], &n[2..5], &n[5..7], &n[7..]),
        format!("46{n}"),
    ] {
        let query = serde_urlencoded::to_string([("q", typed.as_str())]).expect("query");
        let page = browser.get(&format!("{LIST}?{query}")).await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(page.body.contains(&code), "{typed:?} finds its record");
    }
}

#[tokio::test]
async fn the_total_agrees_in_number_and_pages_show_page_n_of_m_in_either_order() {
    let (_state, registrations, mut browser) = relay_with(140).await;
    let open = open(&registrations);
    let pages = open.len().div_ceil(50);
    assert!(pages >= 2, "{} open rows", open.len());
    let first = browser.get(LIST).await;
    assert!(
        first
            .body
            .contains(&format!("{} registreringar", open.len()))
    );
    assert!(first.body.contains(&format!("Sida 1 av {pages}")));
    assert_eq!(record_links(&first.body).len(), 50);
    let next = hrefs(&first.body)
        .into_iter()
        .find(|href| href.starts_with(LIST) && href.contains("page=2"))
        .expect("a link to page 2");
    let second = browser.get(&next).await;
    assert!(second.body.contains(&format!("Sida 2 av {pages}")));
    assert!(second.body.contains("Föregående sida"));
    let newest: Vec<String> = record_links(&first.body)
        .iter()
        .chain(record_links(&second.body).iter())
        .map(|link| id_of(link).to_owned())
        .collect();
    assert_eq!(newest.len(), 100, "two pages, no row twice");
    // Oldest first: the last rows of the newest-first list come first.
    let oldest = browser.get(&format!("{LIST}?sort=oldest")).await;
    assert!(oldest.body.contains("Registreringar, äldst först"));
    let last_page = browser.get(&format!("{LIST}?page={pages}")).await;
    let last_ids: Vec<String> = record_links(&last_page.body)
        .iter()
        .map(|link| id_of(link).to_owned())
        .collect();
    assert_eq!(
        id_of(&record_links(&oldest.body)[0]),
        last_ids.last().expect("rows").as_str()
    );
    // One record: "1 registrering", in agreement.
    let code = receipt_code_for_tests(&open[0].id);
    let one = browser.get(&format!("{LIST}?q={code}")).await;
    assert!(
        one.body.contains("<strong>1 registrering</strong>"),
        "{}",
        one.body
    );
    let en = browser.get(&format!("{LIST}?q={code}&lang=en")).await;
    assert!(en.body.contains("<strong>1 registration</strong>"));
    // A page that cannot be is refused on the page, not silently shown as the first.
    let bad = browser.get(&format!("{LIST}?page=0&lang=sv")).await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert!(
        bad.body
            .contains("Sidnumret ska vara ett heltal från 1 till 201."),
        "{}",
        bad.body
    );
}

#[tokio::test]
async fn a_record_opened_from_a_list_leads_back_to_its_page_and_steps_within_the_filter() {
    let (_state, _, mut browser) = relay_with(140).await;
    let filtered = format!("{LIST}?talent_pool=false&sort=oldest");
    let first = browser.get(&filtered).await;
    let total: usize = first
        .body
        .split(r#"id="total"><strong>"#)
        .nth(1)
        .and_then(|rest| rest.split(' ').next())
        .and_then(|n| n.parse().ok())
        .expect("a total");
    assert!(total > 50, "{total} rows out of the pool");
    let second = browser.get(&format!("{filtered}&page=2")).await;
    let rows = record_links(&second.body);
    assert!(rows.len() >= 2);
    let record = browser.get(&rows[0]).await;
    assert_eq!(record.status, StatusCode::OK);
    let links = hrefs(&record.body);
    let back = links
        .iter()
        .find(|href| href.starts_with(&format!("{LIST}?")))
        .expect("a way back");
    assert!(back.contains("talent_pool=false") && back.contains("sort=oldest"));
    assert!(back.contains("page=2"), "{back}");
    assert!(
        record
            .body
            .contains("Tillbaka till registreringarna, sida 2")
    );
    let back_page = browser.get(back).await;
    assert_eq!(record_links(&back_page.body), rows, "the same page again");
    // Next is the list's next row; previous is the last row of page 1.
    let next = links
        .iter()
        .find(|href| href.contains("pos=51"))
        .expect("a next record");
    assert_eq!(id_of(next), id_of(&rows[1]));
    let previous = links
        .iter()
        .find(|href| href.contains("pos=49"))
        .expect("a previous record");
    let page_one = record_links(&first.body);
    assert_eq!(id_of(previous), id_of(page_one.last().expect("rows")));
    let stepped = browser.get(next).await;
    assert!(stepped.body.contains("Föregående registrering"));
    // Without a list behind it, the page leads to the list's start.
    let plain = browser.get(&format!("{LIST}/{}", id_of(&rows[0]))).await;
    assert!(!plain.body.contains("Nästa registrering"));
    assert!(plain.body.contains(&format!(r#"href="{LIST}""#)));
}

#[tokio::test]
async fn a_recruiter_with_no_event_is_told_why_and_whom_to_ask() {
    let state = AppState::demo_in_memory().expect("state");
    ingest_generated_for_tests(state.store.as_ref(), 5);
    user_with(&state, "ada", vec![Role::Admin]);
    user_with(&state, "rut", vec![Role::Recruiter]);
    let mut browser = Browser::new(&state);
    browser.log_in("rut", PASSWORD).await;
    let page = browser.get(LIST).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("Du har inget evenemang ännu"));
    assert!(
        page.body
            .contains("Be en administratör att tilldela dig ett evenemang: Testa Testsson.")
    );
    assert!(!page.body.contains("Inga registreringar matchar filtret"));
    let page = browser.get(&format!("{LIST}?lang=en")).await;
    assert!(page.body.contains("You have no event yet"));
}

#[tokio::test]
async fn an_edit_saved_on_a_record_opened_from_a_list_returns_within_that_list() {
    let state = AppState::demo_in_memory().expect("state");
    ingest_generated_for_tests(state.store.as_ref(), 20);
    let rut = user_with(&state, "rut", vec![Role::Recruiter]);
    state
        .store
        .assign_hr_event(rut.id, DEMO_EVENT_ID)
        .expect("assigned");
    let mut browser = Browser::new(&state);
    browser.log_in("rut", PASSWORD).await;
    let list = browser.get(&format!("{LIST}?status=new&sort=oldest")).await;
    let link = record_links(&list.body)[1].clone();
    let record = browser.get(&link).await;
    let action = record
        .body
        .split("action=\"")
        .skip(1)
        .filter_map(|rest| rest.split('"').next())
        .map(|action| action.replace("&amp;", "&"))
        .find(|action| action.contains("/status"))
        .expect("the status form");
    assert!(
        action.contains("status=new") && action.contains("pos=1"),
        "{action}"
    );
    let csrf = record.csrf_field();
    let saved = browser
        .post(&action, &[("csrf_token", &csrf), ("status", "contacted")])
        .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER);
    let location = saved.location.expect("a redirect");
    assert!(location.starts_with(&format!("{LIST}/{}?saved=status&", id_of(&link))));
    assert!(
        location.contains("sort=oldest") && location.contains("pos=1"),
        "{location}"
    );
    let back = browser.get(&location).await;
    assert!(back.body.contains("Statusen är sparad."));
    assert!(back.body.contains("Tillbaka till registreringarna, sida 1"));
    // A refused input stays within the list too.
    let refused = browser
        .post(&action, &[("csrf_token", &csrf), ("status", "nonsense")])
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        refused
            .body
            .contains("Tillbaka till registreringarna, sida 1")
    );
}

#[tokio::test]
async fn the_api_keeps_its_codes_and_cursor_and_turns_its_order_on_request() {
    let state = AppState::demo_in_memory().expect("state");
    let registrations = ingest_generated_for_tests(state.store.as_ref(), 30);
    let session = ApiSession::log_in(&state, "arvid", vec![Role::Archivist]).await;
    let cookie = [("cookie", session.cookie.as_str())];
    let ids = |body: &serde_json::Value| -> Vec<String> {
        body["registrations"]
            .as_array()
            .expect("rows")
            .iter()
            .map(|row| row["id"].as_str().expect("an id").to_owned())
            .collect()
    };
    let newest = call(
        &state,
        "GET",
        "/api/v1/registrations?limit=100",
        &cookie,
        None,
    )
    .await;
    assert_eq!(newest.status, StatusCode::OK, "{}", newest.text);
    let mut expected = ids(&newest.body);
    assert_eq!(expected.len(), open(&registrations).len());
    expected.reverse();
    // Oldest first, two pages by the `next` cursor, which continues in that order.
    let first = call(
        &state,
        "GET",
        "/api/v1/registrations?order=oldest&limit=10",
        &cookie,
        None,
    )
    .await;
    let next = first.body["next"]
        .as_str()
        .expect("a next cursor")
        .to_owned();
    let second = call(
        &state,
        "GET",
        &format!("/api/v1/registrations?order=oldest&limit=10&after={next}"),
        &cookie,
        None,
    )
    .await;
    let mut paged = ids(&first.body);
    paged.extend(ids(&second.body));
    assert_eq!(paged, expected[..20]);
    // Codes work as before; a location in letters outside ASCII is asked for, not refused.
    let by_code = call(
        &state,
        "GET",
        "/api/v1/registrations?location=malmo",
        &cookie,
        None,
    )
    .await;
    assert_eq!(by_code.status, StatusCode::OK);
    let by_label = call(
        &state,
        "GET",
        "/api/v1/registrations?location=Malm%C3%B6",
        &cookie,
        None,
    )
    .await;
    assert_eq!(by_label.status, StatusCode::OK, "{}", by_label.text);
    let bad_order = call(
        &state,
        "GET",
        "/api/v1/registrations?order=sideways",
        &cookie,
        None,
    )
    .await;
    assert_eq!(bad_order.status, StatusCode::BAD_REQUEST);
    assert!(bad_order.text.contains("order"), "{}", bad_order.text);
}
