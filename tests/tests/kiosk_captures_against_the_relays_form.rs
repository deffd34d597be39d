//! A kiosk fetches the form from a real relay on a loopback port and captures against the
//! version it was served; the relay then shuts down gracefully.

use kiosk_core::demo::demo_event;
use kiosk_core::documents::RegistrationDocument;
use kiosk_core::generator::RegistrationGenerator;
use kiosk_core::ids::FormVersion;
use kiosk_sync_server::AppState;
use kiosk_tests::TestRelay;

#[tokio::test]
async fn registrations_captured_against_the_served_form_version_validate_and_round_trip() {
    let relay = TestRelay::start(AppState::demo_in_memory().expect("state")).await;

    let (status, health) = relay.get_json("/healthz").await;
    assert_eq!((status, health["status"].as_str()), (200, Some("ok")));

    let (status, served) = relay
        .get_json("/v1/events/sthlm-career-fair-2026/form")
        .await;
    assert_eq!(status, 200);
    let served_version =
        FormVersion::parse(served["version"].as_str().expect("version")).expect("hex version");

    let event = demo_event();
    let frozen = event
        .published_form(&served_version)
        .expect("the kiosk knows it");
    let served_form: kiosk_core::form::FormDefinition =
        serde_json::from_value(served["form"].clone()).expect("form json");
    assert_eq!(served_form, frozen.form);
    assert_eq!(
        served_form.version(),
        served_version,
        "the served form hashes to its version"
    );

    let device = ed25519_dalek_key();
    let mut generator = RegistrationGenerator::new(event, 11);
    for _ in 0..20 {
        let registration = generator.next_registration().expect("valid");
        assert_eq!(registration.form_version, served_version);
        let mut document =
            RegistrationDocument::create(&registration, &device, registration.captured_at)
                .expect("document");
        let bytes = document.save();
        let loaded = RegistrationDocument::load(&bytes, &device).expect("loads");
        assert_eq!(loaded.read().expect("reads"), registration);
    }

    let (status, error) = relay.get_json("/v1/events/no-such-fair/form").await;
    assert_eq!(
        (status, error["code"].as_str()),
        (404, Some("unknown_event"))
    );

    relay.stop().await.expect("graceful shutdown");
}

fn ed25519_dalek_key() -> ed25519_dalek::VerifyingKey {
    ed25519_dalek::SigningKey::from_bytes(&[5; 32]).verifying_key()
}
