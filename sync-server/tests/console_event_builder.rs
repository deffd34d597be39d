//! The console's event form builder through the router: lists edited row by row (add,
//! remove, move; the draft kept and nothing saved), every mistake reported in one answer
//! naming its field and row, dates only as YYYY-MM-DD, a preview of the visitor's form in
//! both languages, and publishing only from its confirmation page.

mod support {
    pub mod console_browser;
}

use axum::http::StatusCode;
use kiosk_core::event::Event;
use kiosk_core::ids::EventId;
use kiosk_sync_server::AppState;
use kiosk_sync_server::hr::accounts::Role;
use support::console_browser::{Browser, PASSWORD, Page, user_with};

const EVENT: &str = "host-fair-2027";

fn relay() -> AppState {
    AppState::demo_in_memory().expect("relay")
}

/// A whole, valid event form: a fair in Göteborg with two interest areas and one location.
fn valid_form(csrf: &str) -> Vec<(String, String)> {
    [
        ("csrf_token", csrf),
        ("id", EVENT),
        ("name_sv", "Höstmässan 2027"),
        ("name_en", "Autumn Fair 2027"),
        ("venue", "Göteborg, Svenska mässan"),
        ("starts_on", "2027-10-14"),
        ("ends_on", "2027-10-15"),
        ("lang_sv", "on"),
        ("lang_en", "on"),
        ("field_email", "optional"),
        ("field_phone", "optional"),
        ("field_locations", "required"),
        ("field_education_level", "off"),
        ("field_free_text", "off"),
        ("max_interests", "3"),
        ("interest_areas-1-sv", "IT-utveckling"),
        ("interest_areas-1-en", "IT development"),
        ("interest_areas-1-code", "it-utveckling"),
        ("interest_areas-2-sv", "Juridik"),
        ("interest_areas-2-en", "Law"),
        ("interest_areas-2-code", "juridik"),
        ("locations-1-sv", "Göteborg"),
        ("locations-1-en", "Gothenburg"),
        ("locations-1-code", "goteborg"),
        ("privacy_sv", "Din anmälan blir en allmän handling."),
        ("privacy_en", "Your registration becomes a public document."),
        ("talent_pool_sv", "Vi får kontakta dig om andra jobb."),
        ("talent_pool_en", "We may contact you about other jobs."),
        ("retention_months", "24"),
        ("retention_decision", "Dnr 1.2.3-2027-7"),
    ]
    .into_iter()
    .map(|(n, v)| (n.to_owned(), v.to_owned()))
    .collect()
}

/// `fields` with `changes` applied: a change to a field not there adds it.
fn with(mut fields: Vec<(String, String)>, changes: &[(&str, &str)]) -> Vec<(String, String)> {
    for (name, value) in changes {
        match fields.iter_mut().find(|(n, _)| n == name) {
            Some(field) => field.1 = (*value).to_owned(),
            None => fields.push(((*name).to_owned(), (*value).to_owned())),
        }
    }
    fields
}

async fn post(browser: &mut Browser, path: &str, fields: &[(String, String)]) -> Page {
    let pairs: Vec<(&str, &str)> = fields
        .iter()
        .map(|(n, v)| (n.as_str(), v.as_str()))
        .collect();
    browser.post(path, &pairs).await
}

/// An admin's browser on the event list, with its CSRF token.
async fn admin(state: &AppState, lang: &str) -> (Browser, String) {
    user_with(state, "anna.admin", vec![Role::Admin]);
    let mut browser = Browser::new(state);
    browser.log_in("anna.admin", PASSWORD).await;
    let csrf = browser
        .get(&format!("/console/events?lang={lang}"))
        .await
        .csrf_field();
    (browser, csrf)
}

fn stored(state: &AppState) -> Option<Event> {
    state
        .store
        .event(&EventId::parse(EVENT).expect("slug"))
        .expect("storage")
}

/// The value of the page's hidden `heads` field.
fn heads_field(body: &str) -> String {
    let marker = r#"name="heads" value=""#;
    let start = body.find(marker).expect("a heads field") + marker.len();
    let end = start + body[start..].find('"').expect("closing quote");
    body[start..end].to_owned()
}

/// The event created through the console, its edit page's heads.
async fn created(browser: &mut Browser, csrf: &str) -> String {
    let answer = post(browser, "/console/events", &valid_form(csrf)).await;
    assert_eq!(answer.status, StatusCode::SEE_OTHER, "{}", answer.body);
    heads_field(&browser.get(&format!("/console/events/{EVENT}")).await.body)
}

/// Where in `body` `text` first is.
fn at(body: &str, text: &str) -> usize {
    body.find(text)
        .unwrap_or_else(|| panic!("{text} not in {body}"))
}

#[tokio::test]
async fn one_submit_reports_every_mistake_each_naming_its_field_and_row() {
    let state = relay();
    let (mut browser, csrf) = admin(&state, "sv").await;
    let fields = with(
        valid_form(&csrf),
        &[
            ("interest_areas-1-code", "Juridik!"),
            ("interest_areas-2-en", ""),
            ("interest_areas-3-sv", "Juridik igen"),
            ("interest_areas-3-en", "Law again"),
            ("interest_areas-3-code", "juridik"),
            ("ends_on", "2027-10-13"),
            ("privacy_sv", " "),
            ("privacy_en", ""),
            ("max_interests", "tre"),
            ("retention_decision", ""),
        ],
    );
    let answer = post(&mut browser, "/console/events", &fields).await;
    assert_eq!(answer.status, StatusCode::UNPROCESSABLE_ENTITY);
    let body = &answer.body;
    assert!(body.contains("<title>Fel: "), "the title says so first");
    let expected = [
        ("Slutdatum: får inte vara före startdatumet.", "ends_on"),
        (
            "Högst antal intresseområden per besökare: skriv ett heltal.",
            "max_interests",
        ),
        (
            "Intresseområden, rad 1: koden får bara innehålla små bokstäver a–z, siffror och bindestreck, högst 48 tecken.",
            "interest_areas-1-code",
        ),
        (
            "Intresseområden, rad 2: engelsk etikett saknas.",
            "interest_areas-2-en",
        ),
        (
            "Intresseområden, rad 3: koden juridik finns redan på rad 2.",
            "interest_areas-3-code",
        ),
        ("Integritetsmeddelande på svenska saknas.", "privacy_sv"),
        ("Integritetsmeddelande på engelska saknas.", "privacy_en"),
        ("Gallringsbeslut saknas.", "retention_decision"),
    ];
    let summary = &body[at(body, "error-summary")..];
    let summary = &summary[..at(summary, "</ul>")];
    let mut last = 0;
    for (message, id) in expected {
        // In the summary, in the form's order, linked to the control ...
        let link = format!(r##"<a href="#{id}">{message}</a>"##);
        let position = at(summary, &link);
        assert!(position > last, "{message} comes in form order");
        last = position;
        // ... and beside the control, tied to it.
        assert!(body.contains(&format!(r#"id="{id}-error""#)), "{id}");
        assert!(
            body.contains(&format!(r#"id="{id}" name="{id}""#))
                || body.contains(&format!(r#"name="{id}""#)),
            "{id}"
        );
    }
    assert_eq!(
        summary.matches("<li>").count(),
        expected.len(),
        "nothing else: {summary}"
    );
    assert!(
        body.contains(r#"value="Juridik igen""#),
        "the rows are kept"
    );
    assert!(stored(&state).is_none(), "nothing was created");
}

#[tokio::test]
async fn an_empty_form_names_each_empty_field() {
    let state = relay();
    let (mut browser, csrf) = admin(&state, "sv").await;
    let fields: Vec<(String, String)> = valid_form(&csrf)
        .into_iter()
        .filter(|(n, _)| !n.starts_with("lang_") && !n.contains('-'))
        .map(|(n, v)| {
            let keep = n == "csrf_token" || n.starts_with("field_");
            let value = if keep { v } else { String::new() };
            (n, value)
        })
        .chain([
            ("interest_areas-1-sv".to_owned(), String::new()),
            ("interest_areas-1-en".to_owned(), String::new()),
            ("interest_areas-1-code".to_owned(), String::new()),
        ])
        .collect();
    let answer = post(&mut browser, "/console/events", &fields).await;
    assert_eq!(answer.status, StatusCode::UNPROCESSABLE_ENTITY);
    let body = &answer.body;
    assert!(!body.contains("Får inte vara tomt"), "{body}");
    for message in [
        "Kod för evenemanget saknas.",
        "Namn på svenska saknas.",
        "Namn på engelska saknas.",
        "Plats saknas.",
        "Startdatum saknas.",
        "Språk som kiosken erbjuder besökare: välj minst ett språk.",
        "Högst antal intresseområden per besökare: skriv ett heltal.",
        "Intresseområden: lägg till minst ett val.",
        "Orter: fältet finns med i formuläret, så listan behöver minst ett val.",
        "Integritetsmeddelande på svenska saknas.",
        "Integritetsmeddelande på engelska saknas.",
        "Text för talangpoolen på svenska saknas.",
        "Text för talangpoolen på engelska saknas.",
        "Antal månader som registreringar sparas: skriv ett heltal.",
        "Gallringsbeslut saknas.",
    ] {
        assert!(body.contains(message), "{message}: {body}");
    }
    assert!(body.contains(r##"href="#interest_areas""##));
    assert!(stored(&state).is_none());
}

#[tokio::test]
async fn dates_are_taken_only_as_yyyy_mm_dd_and_the_message_shows_that_form() {
    let state = relay();
    let (mut browser, csrf) = admin(&state, "sv").await;
    for (lang, message) in [
        (
            "sv",
            "Startdatum: skriv datumet som ÅÅÅÅ-MM-DD, till exempel 2027-10-14.",
        ),
        (
            "en",
            "Start date: write the date as YYYY-MM-DD, for example 2027-10-14.",
        ),
    ] {
        browser.get(&format!("/console/events?lang={lang}")).await;
        let fields = with(valid_form(&csrf), &[("starts_on", "14/10/2027")]);
        let answer = post(&mut browser, "/console/events", &fields).await;
        assert_eq!(answer.status, StatusCode::UNPROCESSABLE_ENTITY, "{lang}");
        assert!(answer.body.contains(message), "{}", answer.body);
        assert!(
            answer.body.contains(r#"value="14/10/2027""#),
            "kept as typed"
        );
    }
    let answer = post(&mut browser, "/console/events", &valid_form(&csrf)).await;
    assert_eq!(answer.status, StatusCode::SEE_OTHER, "2027-10-14 is taken");
    assert_eq!(
        stored(&state).expect("created").starts_on.to_string(),
        "2027-10-14"
    );
}

#[tokio::test]
async fn row_buttons_add_move_and_remove_rows_keeping_the_draft_and_saving_nothing() {
    let state = relay();
    let (mut browser, csrf) = admin(&state, "sv").await;
    let heads = created(&mut browser, &csrf).await;
    let before = stored(&state).expect("created");
    let path = format!("/console/events/{EVENT}");
    let typed = with(
        valid_form(&csrf),
        &[("heads", &heads), ("venue", "Göteborg, hall C")],
    );

    // Add: a new empty row, focused; everything typed is still there.
    let added = post(
        &mut browser,
        &path,
        &with(typed.clone(), &[("action", "add:interest_areas")]),
    )
    .await;
    assert_eq!(added.status, StatusCode::OK, "{}", added.body);
    let body = &added.body;
    assert!(
        body.contains(
            r#"id="interest_areas-3-sv" name="interest_areas-3-sv" type="text" value="" autofocus"#
        ),
        "{body}"
    );
    assert!(body.contains(r#"value="Göteborg, hall C""#));
    assert!(body.contains(r#"value="Juridik""#));

    // A label typed in the new row gives its code on the next button, Swedish letters
    // and all; the row moves up; the first row is removed.
    let with_row = with(
        typed.clone(),
        &[
            ("interest_areas-3-sv", "Ärendehandläggning på Östra Hamnen"),
            ("interest_areas-3-en", "Case handling"),
            ("interest_areas-3-code", ""),
            ("action", "up:interest_areas:3"),
        ],
    );
    let moved = post(&mut browser, &path, &with_row).await;
    assert_eq!(moved.status, StatusCode::OK);
    let body = &moved.body;
    assert!(
        body.contains(
            r#"name="interest_areas-2-code" type="text" value="arendehandlaggning-pa-ostra-hamnen""#
        ),
        "{body}"
    );
    assert!(
        at(body, r#"value="IT-utveckling""#)
            < at(body, r#"value="Ärendehandläggning på Östra Hamnen""#)
            && at(body, r#"value="Ärendehandläggning på Östra Hamnen""#)
                < at(body, r#"value="Juridik""#),
        "the new row is now second"
    );
    let removed = post(
        &mut browser,
        &path,
        &with(typed.clone(), &[("action", "remove:interest_areas:1")]),
    )
    .await;
    assert_eq!(removed.status, StatusCode::OK);
    assert!(!removed.body.contains(r#"value="IT-utveckling""#));
    assert!(
        removed
            .body
            .contains(r#"name="interest_areas-1-sv" type="text" value="Juridik""#)
    );
    assert!(removed.body.contains(r#"value="Göteborg, hall C""#));

    // None of it was saved.
    assert_eq!(stored(&state).expect("stored"), before);

    // Saving does save, and a row left empty is no error.
    let saved = post(
        &mut browser,
        &path,
        &with(
            with_row,
            &[
                ("action", "save"),
                ("interest_areas-4-sv", ""),
                ("interest_areas-4-en", ""),
                ("interest_areas-4-code", ""),
            ],
        ),
    )
    .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.body);
    let event = stored(&state).expect("stored");
    assert_eq!(event.venue, "Göteborg, hall C");
    let codes: Vec<&str> = event
        .draft_form
        .interest_areas
        .iter()
        .map(|c| c.code.as_str())
        .collect();
    assert_eq!(
        codes,
        [
            "it-utveckling",
            "juridik",
            "arendehandlaggning-pa-ostra-hamnen",
        ],
        "as posted, the empty row left out"
    );
}

#[tokio::test]
async fn the_preview_shows_the_visitors_form_in_both_languages_and_saves_nothing() {
    let state = relay();
    let (mut browser, csrf) = admin(&state, "sv").await;
    let heads = created(&mut browser, &csrf).await;
    let before = stored(&state).expect("created");
    let fields = with(
        valid_form(&csrf),
        &[
            ("heads", &heads),
            (
                "privacy_sv",
                "Vi sparar din anmälan.\n\nDu kan begära ett registerutdrag.",
            ),
            ("action", "preview"),
        ],
    );
    let answer = post(&mut browser, &format!("/console/events/{EVENT}"), &fields).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    let body = &answer.body;
    let preview = &body[at(body, r#"id="preview-heading""#)..at(body, r#"id="details-heading""#)];
    let swedish = &preview[at(preview, r#"lang="sv""#)..at(preview, r#"lang="en""#)];
    let english = &preview[at(preview, r#"lang="en""#)..];
    for text in [
        "Din intresseanmälan",
        "Höstmässan 2027, Göteborg, Svenska mässan",
        "Förnamn",
        "IT-utveckling",
        "Juridik",
        "Orter",
        "Göteborg",
        "<p>Vi sparar din anmälan.</p>",
        "<p>Du kan begära ett registerutdrag.</p>",
        "Uppgifterna sparas i 24 månader.",
        "Vi får kontakta dig om andra jobb.",
    ] {
        assert!(swedish.contains(text), "{text}: {swedish}");
    }
    for text in [
        "Your expression of interest",
        "Autumn Fair 2027",
        "First name",
        "IT development",
        "Law",
        "Gothenburg",
        "Your registration becomes a public document.",
        "Your details are kept for 24 months.",
        "We may contact you about other jobs.",
    ] {
        assert!(english.contains(text), "{text}: {english}");
    }
    assert!(body.contains("Det är inte sparat än."));
    assert_eq!(stored(&state).expect("stored"), before, "nothing saved");
}

#[tokio::test]
async fn publishing_without_the_confirmation_publishes_nothing() {
    let state = relay();
    let (mut browser, csrf) = admin(&state, "sv").await;
    let heads = created(&mut browser, &csrf).await;
    let publish = format!("/console/events/{EVENT}/publish");

    let edit = browser.get(&format!("/console/events/{EVENT}")).await;
    assert!(
        edit.body.contains(&format!(r#"href="{publish}""#)),
        "a link, not a button"
    );

    let unconfirmed = browser
        .post(&publish, &[("csrf_token", &csrf), ("heads", &heads)])
        .await;
    assert_eq!(unconfirmed.status, StatusCode::SEE_OTHER);
    assert_eq!(unconfirmed.location.as_deref(), Some(publish.as_str()));
    assert_eq!(stored(&state).expect("stored").current_version, None);

    let confirm = browser.get(&publish).await;
    assert_eq!(confirm.status, StatusCode::OK);
    let body = &confirm.body;
    let draft = stored(&state).expect("stored").draft_form.version();
    for text in [
        "<h1>Publicera formuläret för Höstmässan 2027?</h1>",
        draft.short(),
        "fryses den här versionen av formuläret och integritetsmeddelandet",
        "Surfplattorna får formuläret nästa gång de synkroniserar",
        "Det här publiceras",
        "Din intresseanmälan",
        "Your expression of interest",
        r#"name="confirm" value="yes""#,
        "Ja, publicera formuläret",
    ] {
        assert!(body.contains(text), "{text}: {body}");
    }
    assert_eq!(
        stored(&state).expect("stored").current_version,
        None,
        "a GET changes nothing"
    );

    let confirmed = browser
        .post(
            &publish,
            &[
                ("csrf_token", &csrf),
                ("heads", &heads_field(body)),
                ("confirm", "yes"),
            ],
        )
        .await;
    assert_eq!(
        confirmed.status,
        StatusCode::SEE_OTHER,
        "{}",
        confirmed.body
    );
    assert_eq!(stored(&state).expect("stored").current_version, Some(draft));
    let again = browser.get(&publish).await;
    assert!(again.body.contains("Det finns inget nytt att publicera."));
}
