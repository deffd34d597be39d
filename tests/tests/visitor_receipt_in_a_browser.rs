//! The visitor's receipt page (`/kvitto`) in a real browser: Debian's headless Chromium,
//! driven by playwright-core from `tests/browser/visitor_receipt.mjs`, opens the QR code's
//! address and a typed code, withdraws the talent-pool consent, meets a correction's error,
//! switches to English, and sees "on its way", "check the code" and a restricted record's
//! page; every page is checked with axe-core (no serious or critical violations).
//!
//! The relay is real (loopback, its keys in a data folder); the records are stored as
//! ingest stores a kiosk's captures, each with the tag of a known receipt (the kiosk's side
//! of receipts is tested from its thank-you screen).

use std::time::Duration;

use kiosk_core::protocol::enrollment::EnrolledRole;
use kiosk_core::receipt::ReceiptSecret;
use kiosk_sync_server::keys::RelayKeys;
use kiosk_sync_server::storage::{
    IngestItem, capture_for_tests, enroll_for_tests, ingest_for_tests,
};
use kiosk_tests::browser::run_script;
use kiosk_tests::file_relay;

const CHECKS: &[&str] = &[
    "qr_address_opens_the_received_page_and_the_code_leaves_the_address_bar",
    "typed_code_opens_the_received_page_and_the_form_passes_axe",
    "withdrawal_is_confirmed_then_done_and_passes_axe",
    "correction_page_with_its_error_passes_axe",
    "english_switch_sets_html_lang_and_passes_axe",
    "unknown_code_is_on_its_way_and_passes_axe",
    "mistyped_code_is_told_to_check_it_and_passes_axe",
    "restricted_record_says_only_received_and_passes_axe",
];

const LIMIT: Duration = Duration::from_secs(120);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_visitor_uses_the_receipt_page_in_a_real_browser_and_every_page_passes_axe() {
    let relay = file_relay().await;
    let keys = RelayKeys::load_or_create(relay.dir.path()).expect("the relay's keys");
    let store = relay.store.clone();
    let (open, restricted) = kiosk_tests::off_runtime(move || {
        let kiosk = ed25519_dalek::SigningKey::from_bytes(&[31; 32]).verifying_key();
        enroll_for_tests(
            store.as_ref(),
            kiosk.to_bytes(),
            kiosk_core::demo::DEMO_EVENT_ID,
            EnrolledRole::Kiosk,
            None,
        );
        let mut generator =
            kiosk_core::generator::RegistrationGenerator::new(kiosk_core::demo::demo_event(), 4);
        let mut open = None;
        let mut restricted = None;
        let mut items = Vec::new();
        let mut n = 0u8;
        while open.is_none() || restricted.is_none() {
            let registration = generator.next_registration().expect("valid");
            let wanted = if registration.restricted {
                &mut restricted
            } else if registration.in_talent_pool() {
                &mut open
            } else {
                continue;
            };
            if wanted.is_some() {
                continue;
            }
            n += 1;
            let receipt = ReceiptSecret::from_bytes([n; 16]);
            let mut item = capture_for_tests(&registration, &kiosk);
            if let IngestItem::Store { receipt_tag, .. } = &mut item {
                *receipt_tag = Some(keys.receipt.tag(&receipt.hash()));
            }
            items.push(item);
            *wanted = Some(receipt.code());
        }
        ingest_for_tests(
            store.as_ref(),
            kiosk.to_bytes(),
            1,
            kiosk_sync_server::now_ms(),
            items,
        );
        (open.expect("open"), restricted.expect("restricted"))
    });
    let unknown = ReceiptSecret::from_bytes([0xEE; 16]).code();
    let url = relay.server.url();
    tokio::task::spawn_blocking(move || {
        run_script(
            "visitor_receipt.mjs",
            &[
                ("KIOSK_RELAY_URL", url),
                ("KIOSK_RECEIPT_CODE", open),
                ("KIOSK_RESTRICTED_CODE", restricted),
                ("KIOSK_UNKNOWN_CODE", unknown),
            ],
            CHECKS,
            LIMIT,
        )
    })
    .await
    .expect("the browser run");
}
