//! The README's runbook "Rotating the relay's keys", as an operator runs it: `rotate-keys`
//! beside a live relay, a restart, every tablet adopting the new keys at its next sync
//! (one of them offline during the rotation, with captures sealed to the old key),
//! `rotate-keys --retire-previous` refused while an active tablet still pins the old keys and
//! allowed once none does, a fresh enrollment code whose QR text names the new key, and
//! `export-keys`/`import-keys` carrying the whole key ring. A real relay process and the
//! `kiosk-device` CLI.
//!
//! SQLite-only, whatever `KIOSK_TEST_STORE` says: the relay runs on its data directory.

mod support {
    pub mod device_cli;
    pub mod relay_cli;
}

use std::path::Path;

use support::device_cli::{device_cli, stdout_of};
use support::relay_cli::{RelayProcess, admin_ok, relay_admin};

fn path_arg(path: &Path) -> &str {
    path.to_str().expect("utf-8 path")
}

fn text(output: &std::process::Output) -> (String, String) {
    (
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

/// A kiosk at `store`, set up and enrolled with `relay`'s kiosk code.
fn enrolled_kiosk(store: &Path, relay: &RelayProcess) {
    stdout_of(&device_cli(store, &["init"]));
    stdout_of(&device_cli(
        store,
        &["enroll", "--relay", &relay.url, "--code", &relay.kiosk_code],
    ));
}

fn capture(store: &Path, count: u32, seed: u32) {
    stdout_of(&device_cli(
        store,
        &[
            "capture",
            "--demo",
            &count.to_string(),
            "--seed",
            &seed.to_string(),
        ],
    ));
}

fn sync(store: &Path, url: &str) -> String {
    stdout_of(&device_cli(store, &["sync", "--relay", url]))
}

/// The value after `label` on the line of `output` that has it.
fn value_after(output: &str, label: &str) -> String {
    output
        .lines()
        .find_map(|line| line.split(label).nth(1))
        .unwrap_or_else(|| panic!("no `{label}` in {output}"))
        .split_whitespace()
        .next()
        .expect("a value")
        .to_owned()
}

/// The relay sealing key id the tablet at `store` pins, as `status` shows it.
fn pinned_key_id(store: &Path) -> String {
    value_after(&stdout_of(&device_cli(store, &["status"])), "relay key ")
}

/// The key ids the tablet's sealed copies name, oldest capture first, read from its store
/// file as a lost tablet's finder could.
fn sealed_key_ids(store: &Path) -> Vec<String> {
    let db =
        rusqlite::Connection::open_with_flags(store, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
            .expect("opens the tablet's store");
    let mut query = db
        .prepare(
            "SELECT s.sealed FROM sealed_documents s JOIN journal j USING (doc_id)
             WHERE s.sealed IS NOT NULL ORDER BY j.seq",
        )
        .expect("prepares");
    query
        .query_map([], |row| row.get::<_, Vec<u8>>(0))
        .expect("reads")
        .map(|sealed| {
            kiosk_core::capture::sealed_key_id(&sealed.expect("a seal")).expect("names a key")
        })
        .collect()
}

#[test]
fn the_relay_rotates_its_keys_and_every_tablet_adopts_them_including_one_offline_during_the_rotation()
 {
    let operator = tempfile::tempdir().expect("tempdir");
    let tablets = tempfile::tempdir().expect("tempdir");
    let data = operator.path().join("kiosk-data");
    let (a, b, lost) = (
        tablets.path().join("a.sqlite3"),
        tablets.path().join("b.sqlite3"),
        tablets.path().join("lost.sqlite3"),
    );

    // Three kiosks enrolled before the rotation. A captures and goes offline; the lost one
    // captures and is never seen again; B syncs.
    let relay = RelayProcess::start(&data);
    for tablet in [&a, &b, &lost] {
        enrolled_kiosk(tablet, &relay);
    }
    capture(&a, 2, 1);
    capture(&lost, 1, 2);
    capture(&b, 1, 3);
    assert!(sync(&b, &relay.url).contains("1 received"));
    let old_key = pinned_key_id(&b);

    // The runbook: rotate beside the live relay, then restart it.
    let said = admin_ok(&data, &["rotate-keys"]);
    assert!(said.contains("relay keys rotated"), "{said}");
    let new_key = value_after(&said, "new sealing key id");
    assert_ne!(new_key, old_key);
    assert_eq!(value_after(&said, "previous sealing key id"), old_key);
    let again = relay_admin(&data, &["rotate-keys"]);
    let (said, error) = text(&again);
    assert!(!again.status.success(), "{said}");
    assert!(error.contains("already under way"), "{error}");
    relay.stop();
    let relay = RelayProcess::start(&data);

    // B adopts at its next sync and seals its next capture to the new key.
    let synced = sync(&b, &relay.url);
    assert!(
        synced.contains(&format!("relay key {new_key} pinned now")),
        "{synced}"
    );
    assert_eq!(pinned_key_id(&b), new_key);
    capture(&b, 1, 4);
    assert_eq!(
        sealed_key_ids(&b),
        vec![old_key.clone(), new_key.clone()],
        "the copy received before the rotation keeps its seal; the new capture is sealed to the new key"
    );
    assert!(sync(&b, &relay.url).contains("1 received"));

    // The whole ring goes into an export, and comes back from it.
    let passphrase = operator.path().join("passphrase");
    std::fs::write(&passphrase, "hästen batteri häftklammer rätt\n").expect("writes");
    let exported = operator.path().join("relay-keys.age");
    admin_ok(
        &data,
        &[
            "export-keys",
            "--to",
            path_arg(&exported),
            "--passphrase-file",
            path_arg(&passphrase),
        ],
    );
    let elsewhere = operator.path().join("elsewhere");
    let said = admin_ok(
        &elsewhere,
        &[
            "import-keys",
            "--from",
            path_arg(&exported),
            "--passphrase-file",
            path_arg(&passphrase),
        ],
    );
    assert!(said.contains("relay keys imported"), "{said}");
    for file in [
        "relay-signing.key",
        "relay-sealing.seed",
        "relay-signing.previous.key",
        "relay-sealing.previous.seed",
        "relay-derivation.key",
    ] {
        assert_eq!(
            std::fs::read(elsewhere.join(file)).expect("imported"),
            std::fs::read(data.join(file)).expect("exported"),
            "{file}"
        );
    }

    // Retiring is refused while tablets still pin the old keys: A (offline) and the lost one.
    let refused = relay_admin(&data, &["rotate-keys", "--retire-previous"]);
    let (said, error) = text(&refused);
    assert!(!refused.status.success(), "{said}");
    assert!(error.contains("2 active tablets still pin"), "{error}");
    assert!(data.join("relay-signing.previous.key").exists());

    // A comes back: its captures sealed to the old key are received, and it adopts.
    let synced = sync(&a, &relay.url);
    assert!(synced.contains("2 received"), "{synced}");
    assert!(
        synced.contains(&format!("relay key {new_key} pinned now")),
        "{synced}"
    );
    capture(&a, 1, 5);
    assert_eq!(
        sealed_key_ids(&a),
        vec![old_key.clone(), old_key.clone(), new_key.clone()]
    );
    assert!(sync(&a, &relay.url).contains("1 received"));
    let close = stdout_of(&device_cli(&a, &["close"]));
    assert!(
        close.contains("complete: the relay holds everything"),
        "{close}"
    );

    // Only the lost tablet is left; HR revokes it, and the previous keys can go.
    let refused = relay_admin(&data, &["rotate-keys", "--retire-previous"]);
    assert!(
        text(&refused).1.contains("1 active tablet still pins"),
        "{refused:?}"
    );
    let lost_id = value_after(&stdout_of(&device_cli(&lost, &["status"])), "device    ");
    admin_ok(&data, &["revoke", "--device", &lost_id]);
    let said = admin_ok(&data, &["rotate-keys", "--retire-previous"]);
    assert!(said.contains("previous relay keys retired"), "{said}");
    assert!(said.contains(&old_key), "{said}");
    assert!(!data.join("relay-signing.previous.key").exists());
    assert!(!data.join("relay-sealing.previous.seed").exists());
    relay.stop();
    let relay = RelayProcess::start(&data);

    // The tablets that adopted keep syncing with the new keys alone.
    capture(&b, 1, 6);
    assert!(sync(&b, &relay.url).contains("1 received"));
    // The lost tablet, had it come back, could check nothing the relay signs now.
    let late = device_cli(&lost, &["sync", "--relay", &relay.url]);
    let (said, error) = text(&late);
    assert!(!late.status.success(), "{said}");
    assert!(
        error.contains("signature does not verify"),
        "{said} // {error}"
    );

    // A new enrollment code's QR text names the new key, and a fresh tablet pins it.
    let said = admin_ok(
        &data,
        &[
            "create-code",
            "--event",
            kiosk_core::demo::DEMO_EVENT_ID,
            "--relay",
            &relay.url,
        ],
    );
    let code = said.lines().next().expect("the code").trim().to_owned();
    let qr_text = said
        .lines()
        .find(|line| line.starts_with("kiosk-enroll:v1?"))
        .unwrap_or_else(|| panic!("no QR text in {said}"));
    assert!(qr_text.ends_with(&format!("&key={new_key}")), "{qr_text}");
    let fresh = tablets.path().join("fresh.sqlite3");
    stdout_of(&device_cli(&fresh, &["init"]));
    stdout_of(&device_cli(
        &fresh,
        &[
            "enroll",
            "--relay",
            &relay.url,
            "--code",
            &code,
            "--relay-key-id",
            &new_key,
        ],
    ));
    assert_eq!(pinned_key_id(&fresh), new_key);
    capture(&fresh, 1, 7);
    assert_eq!(sealed_key_ids(&fresh), vec![new_key.clone()]);
    assert!(sync(&fresh, &relay.url).contains("1 received"));
    relay.stop();
}
