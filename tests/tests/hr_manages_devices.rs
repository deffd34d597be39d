//! HR administrators manage tablets through the relay's API: an enrollment code (text and a
//! QR code carrying the relay's key id) enrolls a real tablet, the device list shows its last
//! contact and what the relay received, an unlock code reopens a staff tablet's PIN, and a
//! revoked tablet is told to wipe itself. Bad requests and other roles change nothing.

use kiosk_core::protocol::enrollment::EnrollmentCode;
use kiosk_core::sync::HttpTransport;
use kiosk_sync_server::hr::accounts::Role;
use kiosk_sync_server::storage::RelayStore;
use kiosk_tests::hr::{Http, user};
use kiosk_tests::{file_relay, staff_tablet, sync_now, tablet};
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_admin_enrolls_lists_unlocks_and_revokes_tablets() {
    let relay = file_relay().await;
    let url = relay.server.url();
    let store = relay.store.clone();
    tokio::task::spawn_blocking(move || {
        let store: &dyn RelayStore = store.as_ref();
        user(store, "anna", Role::Admin);
        user(store, "rut", Role::Recruiter);
        let http = Http::new(url.clone());
        let admin = http.login("anna");
        let recruiter = http.login("rut");
        let event = kiosk_core::demo::DEMO_EVENT_ID;

        let kiosk_code =
            json!({ "event_id": event, "role": "kiosk", "uses": 1, "valid_hours": 24 });
        let (status, body) = recruiter.post("/api/v1/enrollment-codes", kiosk_code.clone());
        assert_eq!((status, body["code"].as_str()), (403, Some("missing_role")));
        for (bad, what) in [
            (
                json!({ "event_id": event, "role": "staff", "uses": 1, "valid_hours": 24 }),
                "recruiter",
            ),
            (
                json!({ "event_id": event, "role": "printer", "uses": 1, "valid_hours": 24 }),
                "role",
            ),
            (
                json!({ "event_id": event, "role": "kiosk", "uses": 0, "valid_hours": 24 }),
                "uses",
            ),
            (
                json!({ "event_id": event, "role": "kiosk", "uses": 1, "valid_hours": 9999 }),
                "valid_hours",
            ),
        ] {
            let (status, body) = admin.post("/api/v1/enrollment-codes", bad);
            assert_eq!(status, 400, "{what}: {body}");
            assert!(
                body["message"].as_str().is_some_and(|m| m.contains(what)),
                "{body}"
            );
        }
        let (status, body) = admin.post(
            "/api/v1/enrollment-codes",
            json!({ "event_id": "no-such-event", "role": "kiosk", "uses": 1, "valid_hours": 24 }),
        );
        assert_eq!(
            (status, body["code"].as_str()),
            (404, Some("unknown_event"))
        );

        let (status, body) = admin.post("/api/v1/enrollment-codes", kiosk_code);
        assert_eq!(status, 201, "{body}");
        let code_text = body["code"].as_str().expect("code").to_owned();
        let key_id = body["relay_key_id"].as_str().expect("key id").to_owned();
        let qr_text = body["qr_text"].as_str().expect("QR text");
        assert!(qr_text.contains(&code_text) && qr_text.ends_with(&format!("key={key_id}")));
        assert!(
            body["qr_svg"]
                .as_str()
                .is_some_and(|s| s.starts_with("<svg"))
        );

        // A real tablet enrolls with it, checking the key id the QR code carries.
        let kiosk = tablet();
        let transport = HttpTransport::new(&url);
        let code = EnrollmentCode::parse(&code_text).expect("a code");
        kiosk
            .device
            .enroll_expecting(&code, &transport, Some(&key_id))
            .expect("enrolls");
        kiosk_core::generator::capture_generated(&kiosk.device, 3, 5).expect("captured");
        sync_now(&kiosk.device, &transport).expect("syncs");
        let kiosk_id = kiosk.device.device_id().to_string();

        let (status, body) = admin.get(&format!("/api/v1/devices?event={event}"));
        assert_eq!(status, 200);
        let listed = body["devices"].as_array().expect("devices");
        let row = listed
            .iter()
            .find(|d| d["id"] == kiosk_id)
            .expect("the tablet is listed");
        assert_eq!(
            (row["role"].as_str(), row["received"].as_u64()),
            (Some("kiosk"), Some(3))
        );
        assert_eq!(row["journalled"].as_u64(), Some(3));
        assert!(row["last_contact"].as_i64().is_some());
        let (status, _) = recruiter.get("/api/v1/devices");
        assert_eq!(status, 403);

        // An unlock code for a staff tablet; a kiosk has no PIN to unlock.
        let staff = staff_tablet();
        let staff_code = kiosk_tests::staff_code(store, "rut");
        staff
            .device
            .enroll(&staff_code, &transport)
            .expect("staff enrolls");
        let staff_id = staff.device.device_id().to_string();
        let (status, body) = admin.post(
            &format!("/api/v1/devices/{staff_id}/unlock-code"),
            json!({}),
        );
        assert_eq!(status, 201, "{body}");
        let unlock = body["unlock_code"].as_str().expect("code text");
        assert!(kiosk_core::staff_unlock::parse_unlock_code(unlock).is_ok());
        let (status, body) = admin.post(
            &format!("/api/v1/devices/{kiosk_id}/unlock-code"),
            json!({}),
        );
        assert_eq!(
            (status, body["code"].as_str()),
            (409, Some("not_a_staff_tablet"))
        );

        // Revoked: its next sync is answered with a wipe order.
        let (status, body) = admin.post(&format!("/api/v1/devices/{kiosk_id}/revoke"), json!({}));
        assert_eq!((status, body["revoked"].as_bool()), (200, Some(true)));
        let report = sync_now(&kiosk.device, &transport).expect("syncs");
        assert!(report.wipe_requested);
        let (status, body) = admin.post(
            &format!("/api/v1/devices/{}/revoke", "ab".repeat(32)),
            json!({}),
        );
        assert_eq!(
            (status, body["code"].as_str()),
            (404, Some("unknown_device"))
        );
        let (status, _) = admin.post("/api/v1/devices/not-hex/revoke", json!({}));
        assert_eq!(status, 404);
    })
    .await
    .expect("ran");
}
