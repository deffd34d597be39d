use super::*;

/// A low work factor: these tests are about files and refusals, not scrypt's cost (the
/// end-to-end test exports at [`EXPORT_WORK_FACTOR`]).
const QUICK: u8 = 10;

fn secret(text: &str) -> SecretString {
    SecretString::from(text.to_owned())
}

fn relay_with_keys() -> (tempfile::TempDir, RelayKeys) {
    let dir = tempfile::tempdir().expect("tempdir");
    let keys = RelayKeys::load_or_create(dir.path()).expect("keys");
    (dir, keys)
}

#[cfg(unix)]
use crate::private_files::mode_for_tests as mode;

#[test]
fn exported_keys_import_into_an_empty_data_directory_as_the_same_keys() {
    let (relay, keys) = relay_with_keys();
    let out = tempfile::tempdir().expect("tempdir");
    let export = out.path().join("relay-keys.age");
    let pass = secret("correct horse battery staple");
    let ids = export_keys_with_work(relay.path(), &export, &pass, QUICK).expect("exports");
    assert_eq!(ids.signing_public, hex::encode(keys.ids().signing_public));
    #[cfg(unix)]
    assert_eq!(mode(&export), 0o600);
    let text = std::fs::read_to_string(&export).expect("armored text");
    assert!(
        text.starts_with("-----BEGIN AGE ENCRYPTED FILE-----"),
        "{text}"
    );
    let signing = std::fs::read(relay.path().join(SIGNING_KEY_FILE)).expect("key");
    assert!(
        !text.contains(&hex::encode(&signing)),
        "the key is not in the clear"
    );
    let again = export_keys_with_work(relay.path(), &export, &pass, QUICK).expect_err("exists");
    assert!(matches!(again, KeyExportError::TargetExists(_)), "{again}");

    let fresh = tempfile::tempdir().expect("tempdir");
    let data = fresh.path().join("kiosk-data");
    let imported = import_keys(&data, &export, &pass).expect("imports");
    assert_eq!(imported.ids, ids);
    // The receipt key, made with the others on first start, travels too: without it no
    // receipt handed out would open its page after a restore.
    assert_eq!(
        imported.written,
        vec![SIGNING_KEY_FILE, SEALING_SEED_FILE, RECEIPT_KEY_FILE]
    );
    assert_eq!(
        std::fs::read(data.join(RECEIPT_KEY_FILE)).expect("imported"),
        std::fs::read(relay.path().join(RECEIPT_KEY_FILE)).expect("made on first start")
    );
    assert!(
        !text.contains(&hex::encode(
            std::fs::read(relay.path().join(RECEIPT_KEY_FILE)).expect("key")
        )),
        "the receipt key is not in the clear"
    );
    let loaded = RelayKeys::load_or_create(&data).expect("loads");
    assert_eq!(loaded.ids(), keys.ids());
    #[cfg(unix)]
    for file in [SIGNING_KEY_FILE, SEALING_SEED_FILE, RECEIPT_KEY_FILE] {
        assert_eq!(mode(&data.join(file)), 0o600, "{file}");
    }
    assert_eq!(
        std::fs::read_dir(&data).expect("lists").count(),
        3,
        "no temporary file left"
    );

    // Again into the same directory: nothing to write, nothing refused.
    let twice = import_keys(&data, &export, &pass).expect("the same keys");
    assert!(twice.written.is_empty());
}

#[test]
fn a_wrong_passphrase_or_a_damaged_export_is_refused_and_writes_nothing() {
    let (relay, _) = relay_with_keys();
    let out = tempfile::tempdir().expect("tempdir");
    let export = out.path().join("relay-keys.age");
    export_keys_with_work(
        relay.path(),
        &export,
        &secret("correct horse battery"),
        QUICK,
    )
    .expect("exports");
    let data = out.path().join("new-data");

    let wrong = import_keys(&data, &export, &secret("wrong horse battery")).expect_err("wrong");
    assert!(
        matches!(wrong, KeyExportError::WrongPassphrase(_)),
        "{wrong}"
    );
    let text = wrong.to_string();
    assert!(
        text.contains("wrong passphrase") && text.contains("fel lösenfras"),
        "{text}"
    );
    assert!(!data.exists(), "nothing written");

    // A byte of the ciphertext changed.
    let armored = std::fs::read_to_string(&export).expect("reads");
    let mut lines: Vec<String> = armored.lines().map(str::to_owned).collect();
    let middle = lines.len() / 2;
    // The first base64 letter becomes another one (ciphertext is random: any line has one).
    let mut done = false;
    let flipped: String = lines[middle]
        .chars()
        .map(|c| {
            if done || !c.is_ascii_alphanumeric() {
                c
            } else {
                done = true;
                if c == 'A' { 'B' } else { 'A' }
            }
        })
        .collect();
    assert_ne!(flipped, lines[middle], "a line to damage");
    lines[middle] = flipped;
    let damaged = out.path().join("damaged.age");
    std::fs::write(&damaged, lines.join("\n") + "\n").expect("writes");
    let error =
        import_keys(&data, &damaged, &secret("correct horse battery")).expect_err("damaged");
    assert!(
        matches!(
            error,
            KeyExportError::NotAnExport { .. } | KeyExportError::WrongPassphrase(_)
        ),
        "{error}"
    );
    assert!(!data.exists(), "nothing written");

    let garbage = out.path().join("garbage.age");
    std::fs::write(&garbage, b"relay keys, honest").expect("writes");
    let error =
        import_keys(&data, &garbage, &secret("correct horse battery")).expect_err("garbage");
    assert!(
        matches!(error, KeyExportError::NotAnExport { .. }),
        "{error}"
    );
    assert!(!data.exists(), "nothing written");
}

#[test]
fn an_import_never_replaces_other_keys_and_an_export_needs_a_real_passphrase_and_keys() {
    let (relay, _) = relay_with_keys();
    let out = tempfile::tempdir().expect("tempdir");
    let export = out.path().join("relay-keys.age");
    let pass = secret("correct horse battery");
    export_keys_with_work(relay.path(), &export, &pass, QUICK).expect("exports");

    let (other, other_keys) = relay_with_keys();
    let error = import_keys(other.path(), &export, &pass).expect_err("other keys");
    assert!(matches!(error, KeyExportError::OtherKeys { .. }), "{error}");
    assert_eq!(
        RelayKeys::load_or_create(other.path())
            .expect("loads")
            .ids(),
        other_keys.ids(),
        "left as they were"
    );

    // Only the sealing seed there, another one: refused before the signing key is written.
    let half = tempfile::tempdir().expect("tempdir");
    std::fs::write(half.path().join(SEALING_SEED_FILE), [9u8; 32]).expect("writes");
    import_keys(half.path(), &export, &pass).expect_err("another seed");
    assert!(!half.path().join(SIGNING_KEY_FILE).exists());

    let short = export_keys_with_work(relay.path(), &out.path().join("b"), &secret("short"), QUICK)
        .expect_err("short");
    assert!(matches!(short, KeyExportError::ShortPassphrase), "{short}");
    let empty = tempfile::tempdir().expect("tempdir");
    let none = export_keys_with_work(empty.path(), &out.path().join("c"), &pass, QUICK)
        .expect_err("no keys");
    assert!(matches!(none, KeyExportError::NoKeys(_)), "{none}");
    assert!(
        !empty.path().join(SIGNING_KEY_FILE).exists(),
        "an export never makes keys"
    );
}

#[test]
fn a_passphrase_file_gives_its_first_line() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("pass");
    std::fs::write(&file, "correct horse battery\r\n").expect("writes");
    let pass = read_passphrase(Some(&file), true).expect("reads");
    assert_eq!(pass.expose_secret(), "correct horse battery");
    std::fs::write(&file, "\n").expect("writes");
    assert!(matches!(
        read_passphrase(Some(&file), false),
        Err(KeyExportError::EmptyPassphrase)
    ));
    std::fs::write(&file, vec![b'a'; 2000]).expect("writes");
    assert!(matches!(
        read_passphrase(Some(&file), false),
        Err(KeyExportError::PassphraseFileTooLong(_))
    ));
}

#[test]
fn an_export_during_a_key_rotation_carries_the_whole_ring_and_imports_it() {
    let (relay, first) = relay_with_keys();
    crate::key_rotation::rotate(relay.path()).expect("rotates");
    crate::key_rotation::retire_previous(
        relay.path(),
        crate::key_rotation::RetireBlockers::default(),
        false,
    )
    .expect("retires");
    let rotating = crate::key_rotation::rotate(relay.path()).expect("rotates again");
    let out = tempfile::tempdir().expect("tempdir");
    let export = out.path().join("relay-keys.age");
    let pass = secret("correct horse battery staple");
    export_keys_with_work(relay.path(), &export, &pass, QUICK).expect("exports");

    let fresh = tempfile::tempdir().expect("tempdir");
    let data = fresh.path().join("kiosk-data");
    let imported = import_keys(&data, &export, &pass).expect("imports");
    assert_eq!(
        imported.written,
        vec![
            SIGNING_KEY_FILE,
            SEALING_SEED_FILE,
            PREVIOUS_SIGNING_KEY_FILE,
            PREVIOUS_SEALING_SEED_FILE,
            DERIVATION_ROOT_FILE,
            RETIRED_KEYS_FILE,
            RECEIPT_KEY_FILE,
        ]
    );
    let loaded = RelayKeys::load_or_create(&data).expect("loads");
    assert_eq!(loaded.ids(), rotating.ids());
    assert_eq!(loaded.previous_ids(), rotating.previous_ids());
    assert_eq!(loaded.retired, rotating.retired);
    assert_eq!(
        loaded.derivation_root().to_bytes(),
        first.signing.to_bytes(),
        "derived secrets (email tags, cursors) survive a restore after rotations"
    );
    #[cfg(unix)]
    for file in &imported.written {
        assert_eq!(mode(&data.join(file)), 0o600, "{file}");
    }
}

#[test]
fn the_blind_index_key_travels_with_the_export_and_is_never_overwritten() {
    let (relay, _keys) = relay_with_keys();
    crate::blind_index::load_or_create_keys(relay.path()).expect("index key");
    let index = std::fs::read(relay.path().join(INDEX_KEY_FILE)).expect("made on first start");
    #[cfg(unix)]
    assert_eq!(mode(&relay.path().join(INDEX_KEY_FILE)), 0o600);
    let out = tempfile::tempdir().expect("tempdir");
    let export = out.path().join("relay-keys.age");
    let pass = secret("correct horse battery staple");
    export_keys_with_work(relay.path(), &export, &pass, QUICK).expect("exports");
    let text = std::fs::read_to_string(&export).expect("armored text");
    assert!(!text.contains(&hex::encode(&index)), "not in the clear");

    let fresh = tempfile::tempdir().expect("tempdir");
    let imported = import_keys(fresh.path(), &export, &pass).expect("imports");
    assert!(
        imported.written.contains(&INDEX_KEY_FILE),
        "{:?}",
        imported.written
    );
    assert_eq!(
        std::fs::read(fresh.path().join(INDEX_KEY_FILE)).expect("imported"),
        index
    );

    // A data directory with another index key is refused, and nothing is written.
    let other = tempfile::tempdir().expect("tempdir");
    std::fs::write(other.path().join(INDEX_KEY_FILE), [9u8; 32]).expect("writes");
    let refused = import_keys(other.path(), &export, &pass).expect_err("other keys");
    assert!(
        matches!(refused, KeyExportError::OtherIndexKey { .. }),
        "{refused}"
    );
    assert!(!other.path().join(SIGNING_KEY_FILE).exists());
}

#[test]
fn a_stray_index_key_is_accepted_when_the_same_and_named_with_the_remedy_when_not() {
    let (relay, _keys) = relay_with_keys();
    crate::blind_index::load_or_create_keys(relay.path()).expect("index key");
    let index = std::fs::read(relay.path().join(INDEX_KEY_FILE)).expect("made");
    let out = tempfile::tempdir().expect("tempdir");
    let export = out.path().join("relay-keys.age");
    let pass = secret("correct horse battery staple");
    export_keys_with_work(relay.path(), &export, &pass, QUICK).expect("exports");

    // The same index key left in an otherwise empty data directory (copied there by hand
    // first, say): the import goes through, writing the rest and leaving it as it was.
    let same = tempfile::tempdir().expect("tempdir");
    std::fs::write(same.path().join(INDEX_KEY_FILE), &index).expect("writes");
    let imported = import_keys(same.path(), &export, &pass).expect("imports");
    assert!(!imported.written.contains(&INDEX_KEY_FILE), "{imported:?}");
    assert!(imported.written.contains(&SIGNING_KEY_FILE), "{imported:?}");
    assert_eq!(
        std::fs::read(same.path().join(INDEX_KEY_FILE)).expect("reads"),
        index
    );

    // Another one, as a relay started before the import makes for itself: refused, naming
    // the file and what to do, in English and Swedish; nothing written.
    let stray = tempfile::tempdir().expect("tempdir");
    crate::blind_index::load_or_create_keys(stray.path()).expect("a key of its own");
    let refused = import_keys(stray.path(), &export, &pass).expect_err("another index key");
    let text = refused.to_string();
    let path = stray.path().join(INDEX_KEY_FILE);
    for words in [
        path.display().to_string(),
        "another blind-index key".to_owned(),
        "nothing was written".to_owned(),
        format!("{INDEX_KEY_FILE}.unused"),
        "import-keys again".to_owned(),
        "Flytta undan filen".to_owned(),
    ] {
        assert!(text.contains(&words), "{words:?} in {text}");
    }
    assert!(
        !text.contains(SIGNING_KEY_FILE),
        "the signing key is not the trouble: {text}"
    );
    assert!(!stray.path().join(SIGNING_KEY_FILE).exists());
    // Moved aside as told: the import goes through with the exported key.
    std::fs::rename(&path, stray.path().join(format!("{INDEX_KEY_FILE}.unused"))).expect("moved");
    let imported = import_keys(stray.path(), &export, &pass).expect("imports");
    assert!(imported.written.contains(&INDEX_KEY_FILE));
    assert_eq!(std::fs::read(&path).expect("reads"), index);
}
