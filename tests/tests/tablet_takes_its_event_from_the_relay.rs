//! A tablet set up without an event (`kiosk-device init --event-from-relay`) serves the event
//! HR made its enrollment code for: it enrolls, refuses to capture until its first sync has
//! delivered the event's form, then captures against that form; a tablet set up for another
//! event is refused the code.

mod support {
    pub mod device_cli;
}

use kiosk_core::demo::demo_form;
use kiosk_core::event::Event;
use kiosk_core::form::Choice;
use kiosk_core::ids::{CalendarDate, EventId, Timestamp};
use kiosk_core::language::Localized;
use kiosk_core::protocol::enrollment::EnrolledRole;
use kiosk_sync_server::now_ms;
use kiosk_sync_server::storage::{Accessor, RegistrationFilter};
use kiosk_tests::{FileRelay, file_relay};
use support::device_cli::{device_cli, stdout_of};

const EVENT_ID: &str = "goteborg-it-dagen-2027";

/// An event of HR's other than the demo, with its own interest areas, published.
fn gothenburg_event() -> Event {
    let mut form = demo_form();
    form.interest_areas = vec![
        Choice::new("it-security", "IT-säkerhet", "IT security"),
        Choice::new("data-engineering", "Datateknik", "Data engineering"),
    ];
    let mut event = Event::new(
        EventId::parse(EVENT_ID).expect("slug"),
        Localized::new("IT-dagen Göteborg 2027", "IT Day Gothenburg 2027"),
        "Svenska Mässan",
        CalendarDate::parse("2027-03-10").expect("date"),
        Some(CalendarDate::parse("2027-03-11").expect("date")),
        form,
    )
    .expect("valid event");
    event.publish(Timestamp::now()).expect("publishes");
    event
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tablet_without_an_event_enrolls_and_captures_with_the_form_its_first_sync_brings() {
    let FileRelay {
        dir, store, server, ..
    } = file_relay().await;
    let url = server.url();
    let event = gothenburg_event();
    // Store calls block: off the async threads.
    let code = kiosk_tests::off_runtime(|| {
        store.put_event(&event).expect("event stored");
        kiosk_sync_server::enrollment::create_code(
            store.as_ref(),
            EVENT_ID,
            EnrolledRole::Kiosk,
            None,
            2,
            now_ms() + 3_600_000,
            now_ms(),
        )
        .expect("code")
        .display()
    });

    let relay = store.clone();
    tokio::task::spawn_blocking(move || {
        // A tablet set up for the demo event is not enrolled for another event's code.
        let demo_tablet = dir.path().join("demo.sqlite3");
        stdout_of(&device_cli(&demo_tablet, &["init"]));
        let refused = device_cli(&demo_tablet, &["enroll", "--relay", &url, "--code", &code]);
        assert!(
            !refused.status.success(),
            "a tablet of another event enrolled"
        );

        let tablet = dir.path().join("kiosk.sqlite3");
        let init = stdout_of(&device_cli(&tablet, &["init", "--event-from-relay"]));
        assert!(init.contains("from the relay"), "{init}");
        stdout_of(&device_cli(
            &tablet,
            &["enroll", "--relay", &url, "--code", &code],
        ));
        let too_early = device_cli(&tablet, &["capture", "--demo", "1"]);
        assert!(!too_early.status.success(), "captured without a form");
        assert!(
            String::from_utf8_lossy(&too_early.stderr).contains("sync after enrolling"),
            "{}",
            String::from_utf8_lossy(&too_early.stderr)
        );

        stdout_of(&device_cli(&tablet, &["sync", "--relay", &url]));
        stdout_of(&device_cli(&tablet, &["capture", "--demo", "3"]));
        let synced = stdout_of(&device_cli(&tablet, &["sync", "--relay", &url]));
        assert!(synced.contains("3 received"), "{synced}");

        // Stored for the Gothenburg event, each with an interest area only its form has.
        let rows = relay
            .list_registrations(
                &RegistrationFilter {
                    events: Some(vec![EVENT_ID.into()]),
                    limit: 50,
                    ..RegistrationFilter::default()
                },
                &Accessor::Operator("test".into()),
                now_ms(),
            )
            .expect("lists");
        assert_eq!(rows.len(), 3);
        for row in rows {
            let bytes = relay
                .registration_document(&row.id)
                .expect("reads")
                .expect("stored");
            let reader = ed25519_dalek::SigningKey::from_bytes(&[7; 32]).verifying_key();
            let (_, registration) =
                kiosk_core::documents::RegistrationDocument::load_with_content(&bytes, &reader)
                    .expect("a registration");
            assert_eq!(registration.event_id.as_str(), EVENT_ID);
            assert!(
                registration
                    .interests
                    .iter()
                    .all(|code| { ["it-security", "data-engineering"].contains(&code.as_str()) })
            );
        }
    })
    .await
    .expect("the tablet's run");
}
