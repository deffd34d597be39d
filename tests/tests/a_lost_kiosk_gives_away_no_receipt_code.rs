//! A lost kiosk gives away no receipt code: HR's short receipt code comes out of the seal's
//! HPKE context, so nothing on the tablet's disk (its store, its WAL, its secrets folder)
//! holds it or derives it from the registration ids it keeps in plaintext; the relay, opening
//! the seal, files the record under the same code, and a desk finds it by it. The visitor's
//! own receipt (a 128-bit secret shown as a code and as the receipt page's address) is not on
//! the disk either: not its bytes, not its code in any spelling, not its hash.

mod support {
    pub mod device_cli;
}

use std::path::Path;

use kiosk_core::protocol::enrollment::EnrolledRole;
use kiosk_core::receipt::ReceiptSecret;
use kiosk_sync_server::now_ms;
use kiosk_sync_server::storage::{Accessor, RegistrationFilter};
use kiosk_tests::{FileRelay, file_relay};
use sha2::{Digest, Sha256};
use support::device_cli::{device_cli, stdout_of};

/// The derivation receipt codes had before: an unkeyed hash of the registration id.
fn code_from_id(id: &str) -> String {
    let digest = Sha256::new()
        .chain_update(b"kiosk-receipt-code-v1")
        .chain_update(id)
        .finalize();
    let mut secret = [0u8; kiosk_core::capture::receipt_code::SECRET_LEN];
    let len = secret.len();
    secret.copy_from_slice(&digest[..len]);
    kiosk_core::capture::receipt_code::from_secret(&secret)
}

/// Every file under `dir`, with its bytes.
fn files_under(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut files = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(folder) = pending.pop() {
        for entry in std::fs::read_dir(&folder).expect("readable folder") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                pending.push(path);
            } else {
                let bytes = std::fs::read(&path).expect("readable file");
                files.push((path.display().to_string(), bytes));
            }
        }
    }
    files
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// No file holds a receipt secret's bytes, its code (with or without hyphens, in either
/// case), its hash, or the hash in hex.
fn nothing_holds_a_receipt(disk: &[(String, Vec<u8>)], receipts: &[ReceiptSecret]) {
    assert!(!disk.is_empty(), "the tablet's files are read");
    for secret in receipts {
        let code = secret.code();
        let compact = secret.compact_code();
        let hash = secret.hash();
        let spellings: Vec<Vec<u8>> = vec![
            secret.as_bytes().to_vec(),
            hash.to_vec(),
            hex::encode(hash).into_bytes(),
            code.clone().into_bytes(),
            code.to_lowercase().into_bytes(),
            compact.clone().into_bytes(),
            compact.to_lowercase().into_bytes(),
        ];
        for (name, bytes) in disk {
            for spelling in &spellings {
                assert!(
                    !contains(bytes, spelling),
                    "{name} holds a visitor's receipt"
                );
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nothing_on_a_kiosks_disk_holds_or_derives_the_receipt_codes_it_showed() {
    let FileRelay {
        dir: relay_dir,
        store,
        server,
        ..
    } = file_relay().await;
    let url = server.url();
    let code = kiosk_tests::demo_code(store.as_ref(), EnrolledRole::Kiosk, 1, 3_600_000).display();
    let tablet_dir = tempfile::tempdir().expect("tempdir");
    let relay = store.clone();
    tokio::task::spawn_blocking(move || {
        let tablet = tablet_dir.path().join("kiosk.sqlite3");
        stdout_of(&device_cli(&tablet, &["init"]));
        stdout_of(&device_cli(
            &tablet,
            &["enroll", "--relay", &url, "--code", &code],
        ));
        let captured = stdout_of(&device_cli(&tablet, &["capture", "--demo", "6"]));
        // "captured K7QM-4XRT 019c…": HR's receipt code, and the id.
        let shown: Vec<(String, String)> = captured
            .lines()
            .filter_map(|line| line.strip_prefix("captured "))
            .map(|rest| {
                let (code, id) = rest.split_once(' ').expect("code and id");
                (code.to_owned(), id.trim().to_owned())
            })
            .collect();
        assert_eq!(shown.len(), 6, "{captured}");
        // "receipt 019c… 7ZQK-…-G2F* http://…/kvitto#7ZQK…": the visitor's receipt, shown once.
        let receipts: Vec<ReceiptSecret> = captured
            .lines()
            .filter_map(|line| line.strip_prefix("receipt "))
            .map(|rest| {
                let fields: Vec<&str> = rest.split_whitespace().collect();
                let [id, code, address] = fields[..] else {
                    panic!("id, code and address: {rest}");
                };
                assert!(shown.iter().any(|(_, shown_id)| shown_id == id), "{rest}");
                let secret = ReceiptSecret::parse(code).expect("a receipt code that reads back");
                assert_eq!(secret.code(), code, "shown in groups of four");
                // The page at the relay the tablet enrolled with, the code only in the fragment.
                assert_eq!(address, secret.page_address(&url), "{rest}");
                secret
            })
            .collect();
        assert_eq!(receipts.len(), 6, "a receipt per capture: {captured}");

        // The tablet is lost here: everything it holds, in the store and the secrets folder.
        let disk = files_under(tablet_dir.path());
        assert!(
            disk.iter().any(|(name, _)| name.contains(".secrets")),
            "the secrets folder is part of what a thief reads: {:?}",
            disk.iter().map(|f| &f.0).collect::<Vec<_>>()
        );
        let held_ids = disk
            .iter()
            .filter(|(_, bytes)| shown.iter().any(|(_, id)| contains(bytes, id.as_bytes())))
            .count();
        assert!(held_ids > 0, "the journal keeps the ids in plaintext");
        for (receipt, id) in &shown {
            let plain = receipt.replace('-', "");
            for (name, bytes) in &disk {
                for spelling in [receipt.as_str(), plain.as_str()] {
                    assert!(
                        !contains(bytes, spelling.as_bytes())
                            && !contains(bytes, spelling.to_lowercase().as_bytes()),
                        "{name} holds a receipt code"
                    );
                }
            }
            assert_ne!(
                &code_from_id(id),
                receipt,
                "the id derives the receipt code"
            );
        }
        nothing_holds_a_receipt(&files_under(tablet_dir.path()), &receipts);

        // The relay files each record under the code the visitor was shown.
        let synced = stdout_of(&device_cli(&tablet, &["sync", "--relay", &url]));
        assert!(synced.contains("6 received"), "{synced}");
        // Nor after a sync, whose answers the tablet keeps.
        nothing_holds_a_receipt(&files_under(tablet_dir.path()), &receipts);
        let operator = Accessor::Operator("desk".into());
        for (receipt, id) in &shown {
            assert_eq!(
                relay.receipt_code(id).expect("reads"),
                Some(receipt.clone())
            );
            let found = relay
                .list_registrations(
                    &RegistrationFilter {
                        include_restricted: true,
                        search: Some(receipt.to_lowercase().replace('-', " ")),
                        limit: 10,
                        ..RegistrationFilter::default()
                    },
                    &operator,
                    now_ms(),
                )
                .expect("lists");
            assert_eq!(
                found.iter().map(|r| r.id.as_str()).collect::<Vec<_>>(),
                [id.as_str()],
                "the desk finds the record by the code read out"
            );
        }
        drop(relay_dir);
    })
    .await
    .expect("the tablet's run");
}
