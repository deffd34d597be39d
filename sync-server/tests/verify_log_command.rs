//! The relay's `verify-log` command on a data directory: an intact log checked against a
//! signed checkpoint saved earlier prints what it checked and exits 0; a leaf byte flipped
//! in the SQLite file makes it name the stored subtree over that leaf (with its leaves'
//! range) and exit 1; so does a checkpoint of another log key.

use std::path::Path;
use std::process::{Command, Output};

use kiosk_sync_server::storage::prelude::*;
use kiosk_sync_server::storage::{SqliteStore, ingest_generated_for_tests};
use kiosk_sync_server::transparency::checkpoint::LogKey;

fn verify_log(data_dir: &Path, checkpoint: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_kiosk-sync-server"))
        .arg("--data-dir")
        .arg(data_dir)
        .args(["verify-log", "--checkpoint"])
        .arg(checkpoint)
        .env_remove("KIOSK_DATA_DIR")
        .env_remove("KIOSK_CONFIG")
        .env("RUST_LOG", "error")
        .output()
        .expect("runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn verify_log_passes_an_intact_log_and_names_the_leaves_around_a_flipped_one() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("data");
    std::fs::create_dir(&data).expect("mkdir");
    let store = SqliteStore::open(&data.join("relay.sqlite3")).expect("opens");
    // More than 16 leaves: leaf 3 is under the lowest stored subtree, 4/0.
    ingest_generated_for_tests(&store, 20);
    let key = LogKey::load_or_create(&data, None).expect("the log key");
    let checkpoint = dir.path().join("checkpoint.txt");
    std::fs::write(&checkpoint, key.sign(store.log_tip().expect("reads"))).expect("saved");
    let size = store.log_tip().expect("reads").size;
    drop(store);

    let ok = verify_log(&data, &checkpoint);
    assert!(ok.status.success(), "{}", text(&ok.stderr));
    let out = text(&ok.stdout);
    assert!(
        out.contains(&format!("transparency log: {size} leaves")),
        "{out}"
    );
    assert!(out.contains("checkpoint holds"), "{out}");
    assert!(out.contains("capture"), "{out}");

    // A checkpoint signed by another key is refused before the log is read.
    let stranger = dir.path().join("stranger.txt");
    let other = LogKey::from_secret(&[9; 32], Some(key.origin())).expect("a key");
    std::fs::write(
        &stranger,
        other.sign(kiosk_sync_server::storage::LogTip {
            size,
            root: [0; 32],
        }),
    )
    .expect("saved");
    let refused = verify_log(&data, &stranger);
    assert_eq!(refused.status.code(), Some(1));
    assert!(
        text(&refused.stderr).contains("signature"),
        "{}",
        text(&refused.stderr)
    );

    let conn = rusqlite::Connection::open(data.join("relay.sqlite3")).expect("opens");
    conn.execute_batch("DROP TRIGGER tlog_leaves_no_update;")
        .expect("the append-only trigger dropped, as someone with the file could");
    let mut leaf: Vec<u8> = conn
        .query_row("SELECT leaf FROM tlog_leaves WHERE idx = 3", [], |r| {
            r.get(0)
        })
        .expect("reads");
    leaf[100] ^= 0x01;
    conn.execute("UPDATE tlog_leaves SET leaf = ?1 WHERE idx = 3", [leaf])
        .expect("edited in place");
    drop(conn);
    let caught = verify_log(&data, &checkpoint);
    assert_eq!(caught.status.code(), Some(1), "{}", text(&caught.stdout));
    let err = text(&caught.stderr);
    assert!(
        err.contains("node 4/0 (leaves 0..16) disagrees with its leaves"),
        "{err}"
    );
}
