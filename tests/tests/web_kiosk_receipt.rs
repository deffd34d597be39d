//! The visitor's receipt on the web kiosk's thank-you screen, over plain HTTP to a real
//! `kiosk-web` process enrolled at a real relay: the screen shows a receipt code that reads
//! back, and a QR code that draws the receipt page's address at the relay the kiosk enrolled
//! with (the code only in its fragment); the page is kept by no cache; a reload shows the
//! same receipt while the screen is shown, and once the visitor presses Done the receipt is
//! gone from the shell, and nothing on the kiosk's disk ever held it.

mod support {
    pub mod web_shell;
}

use std::path::Path;

use kiosk_core::protocol::enrollment::EnrolledRole;
use kiosk_core::receipt::ReceiptSecret;
use kiosk_ffi::types::Language;
use kiosk_tests::file_relay;
use kiosk_web::texts::texts;
use support::web_shell::{
    KioskWeb, attribute, form_body, hidden_value, receipt_code, registration, start_visit,
};

/// Every file under `dir`, with its bytes.
fn files_under(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut files = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(folder) = pending.pop() {
        for entry in std::fs::read_dir(&folder).expect("readable folder") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                pending.push(path);
            } else if let Ok(bytes) = std::fs::read(&path) {
                files.push((path.display().to_string(), bytes));
            }
        }
    }
    files
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// The dark modules an SVG from the thank-you screen draws (`M{x} {y}h1v1h-1z` each).
fn drawn_modules(svg_path: &str) -> Vec<(usize, usize)> {
    svg_path
        .split('M')
        .filter(|part| !part.is_empty())
        .map(|part| {
            let (x, rest) = part.split_once(' ').expect("x y");
            let y = rest.split('h').next().expect("y");
            (x.parse().expect("x"), y.parse().expect("y"))
        })
        .collect()
}

/// The dark modules of `content`'s QR code (level M), offset by a 4-module quiet zone.
fn expected_modules(content: &str) -> Vec<(usize, usize)> {
    let code = qrcode::QrCode::with_error_correction_level(content.as_bytes(), qrcode::EcLevel::M)
        .expect("fits");
    let width = code.width();
    code.to_colors()
        .iter()
        .enumerate()
        .filter(|(_, color)| **color == qrcode::Color::Dark)
        .map(|(i, _)| (i % width + 4, i / width + 4))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_thank_you_screen_shows_the_receipt_once_and_keeps_it_nowhere() {
    let relay = file_relay().await;
    let code = relay.code(EnrolledRole::Kiosk, 1, 3_600_000).display();
    let url = relay.server.url();
    let dir = tempfile::tempdir().expect("tempdir");
    let data_dir = dir.path().join("kiosk");
    tokio::task::spawn_blocking(move || {
        let shell = KioskWeb::start(&data_dir, &["--relay", &url, "--enroll", &code]);
        shell.wait_until_ready();
        let client = shell.client();
        let t = texts(Language::Swedish);

        let visit = start_visit(&client, "sv");
        let posted = client
            .post_form(
                "/form",
                registration(&visit, "Åsa", "asa@example.se").as_bytes(),
            )
            .expect("POST /form");
        assert_eq!(posted.location(), Some("/thanks"), "{}", posted.body);
        let thanks = client.get("/thanks").expect("GET /thanks");
        assert_eq!(thanks.status, 200);
        assert_eq!(
            thanks.header("cache-control"),
            Some("no-store"),
            "no cache or history keeps the receipt"
        );
        let page = &thanks.body;

        // The typed code: 27 symbols in groups of four that read back, the same on the
        // receipt element as in its text.
        let shown = receipt_code(page).expect("a receipt code on the page");
        let secret = ReceiptSecret::parse(&shown).expect("a code that reads back");
        assert_eq!(secret.code(), shown, "shown in groups of four, upper case");
        assert_eq!(
            attribute(page, "data-receipt-code").as_deref(),
            Some(shown.as_str())
        );
        // The address: the receipt page at the relay the kiosk enrolled with.
        let address = attribute(page, "data-receipt-address").expect("the page's address");
        assert_eq!(address, secret.page_address(&url));
        assert!(page.contains(&format!("{url}/kvitto</span>")), "{page}");

        // The QR code: a named image whose modules are the QR code of that address.
        let svg_start = page.find("<svg class=\"receipt-qr\"").expect("a QR code");
        let svg = &page[svg_start..svg_start + page[svg_start..].find("</svg>").expect("end")];
        assert!(svg.contains("role=\"img\""), "{svg}");
        let label = attribute(svg, "aria-label").expect("a label");
        assert_eq!(label, t.receipt_qr_label);
        assert!(!label.contains(&secret.compact_code()));
        let path = attribute(svg, "d").expect("the modules");
        assert_eq!(drawn_modules(&path), expected_modules(&address));

        // What the receipt is, that it is shown only now, what it does, and to keep it safe.
        for text in [
            t.receipt_heading,
            t.receipt_once,
            t.receipt_use_arrived,
            t.receipt_use_extract,
            t.receipt_use_correct,
            t.receipt_key,
        ] {
            assert!(page.contains(text), "the page says {text:?}");
        }
        // Not in the talent pool: no withdrawal to offer.
        assert!(!page.contains(t.receipt_use_withdraw));

        // A reload while the screen is shown: the same receipt.
        let again = client.get("/thanks").expect("GET /thanks");
        assert_eq!(receipt_code(&again.body).as_deref(), Some(shown.as_str()));

        // Nothing on the kiosk's disk holds the receipt, while it is shown or after.
        let nothing_on_disk = |when: &str| {
            let compact = secret.compact_code();
            let hash = secret.hash();
            let spellings: [Vec<u8>; 7] = [
                secret.as_bytes().to_vec(),
                hash.to_vec(),
                hex::encode(hash).into_bytes(),
                shown.clone().into_bytes(),
                shown.to_lowercase().into_bytes(),
                compact.clone().into_bytes(),
                compact.to_lowercase().into_bytes(),
            ];
            let disk = files_under(&shell.data_dir);
            assert!(disk.iter().any(|(name, _)| name.ends_with("kiosk.sqlite3")));
            for (name, bytes) in &disk {
                for spelling in &spellings {
                    assert!(
                        !contains(bytes, spelling),
                        "{when}: {name} holds the receipt"
                    );
                }
            }
        };
        nothing_on_disk("while the thank-you is shown");

        // "Done": the screen is gone, and with it the receipt.
        let token = hidden_value(page, "token").expect("the screen's token");
        let done = client
            .post_form("/visit/reset", form_body(&[("token", &token)]).as_bytes())
            .expect("POST /visit/reset");
        assert_eq!(done.location(), Some("/"));
        let after = client.get("/thanks").expect("GET /thanks");
        assert_eq!(after.location(), Some("/"), "the thank-you is gone");
        let welcome = client.get("/").expect("GET /");
        assert!(!welcome.body.contains(&shown));
        assert!(!welcome.body.contains(&secret.compact_code()));
        nothing_on_disk("after Done");
    })
    .await
    .expect("the visit");
}
