//! A relay restored from a backup keeps what tablets and HR were promised: a backup older
//! than the watermark tablets were told of (they erased their copies) is refused, naming
//! what only those erased copies held; tablets the relay no longer knows, or whose journal
//! it no longer holds, say so instead of "safe to hand back"; and removals, talent-pool
//! withdrawals and legal holds made after the backup survive the restore. A real relay
//! process and the `kiosk-device` CLI, as an operator and a recruiter would run them.
//!
//! SQLite-only, whatever `KIOSK_TEST_STORE` says: `backup` and `restore` copy the SQLite
//! file, and the demo relay keeps its store there.

mod support {
    pub mod device_cli;
    pub mod relay_cli;
}

use std::path::{Path, PathBuf};
use std::process::Output;

use kiosk_sync_server::now_ms;
use kiosk_sync_server::storage::prelude::*;
use kiosk_sync_server::storage::{Accessor, HoldChange, SqliteStore, WithdrawalOutcome};
use support::device_cli::{device_cli, stdout_of};
use support::relay_cli::{RelayProcess, admin_ok, relay_admin};

fn text(output: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

/// A kiosk tablet set up with the demo event and enrolled; returns its store and id.
fn enrolled_tablet(dir: &Path, name: &str, relay: &RelayProcess) -> (PathBuf, String) {
    let store = dir.join(name);
    let init = stdout_of(&device_cli(&store, &["init"]));
    let id = init
        .lines()
        .find_map(|l| l.strip_prefix("device "))
        .expect("init prints the device id")
        .trim()
        .to_owned();
    enroll(&store, relay);
    (store, id)
}

fn enroll(store: &Path, relay: &RelayProcess) {
    stdout_of(&device_cli(
        store,
        &["enroll", "--relay", &relay.url, "--code", &relay.kiosk_code],
    ));
}

/// Captures `count` generated visitors and returns their registration ids.
fn capture(store: &Path, count: u32, seed: u32) -> Vec<String> {
    let printed = stdout_of(&device_cli(
        store,
        &[
            "capture",
            "--demo",
            &count.to_string(),
            "--seed",
            &seed.to_string(),
        ],
    ));
    let ids: Vec<String> = printed
        .lines()
        .filter_map(|l| l.strip_prefix("captured "))
        .filter_map(|l| l.split_whitespace().nth(1))
        .map(str::to_owned)
        .collect();
    assert_eq!(ids.len(), count as usize, "{printed}");
    ids
}

fn sync(store: &Path, relay: &RelayProcess) -> String {
    stdout_of(&device_cli(store, &["sync", "--relay", &relay.url]))
}

fn path_arg(path: &Path) -> &str {
    path.to_str().expect("utf-8 path")
}

#[test]
fn an_older_backup_is_refused_and_tablets_the_restored_relay_lacks_or_refuses_say_so() {
    let data = tempfile::tempdir().expect("tempdir");
    let backups = tempfile::tempdir().expect("tempdir");
    let tablets = tempfile::tempdir().expect("tempdir");
    let relay = RelayProcess::start(data.path());
    let (a, a_id) = enrolled_tablet(tablets.path(), "a.sqlite3", &relay);
    let (b, b_id) = enrolled_tablet(tablets.path(), "b.sqlite3", &relay);
    capture(&a, 3, 1);
    capture(&b, 3, 2);
    sync(&a, &relay);
    sync(&b, &relay);
    let old = backups.path().join("old.sqlite3");
    admin_ok(data.path(), &["backup", "--to", path_arg(&old)]);

    let a_late = capture(&a, 3, 3);
    let b_late = capture(&b, 3, 4);
    sync(&a, &relay);
    sync(&b, &relay);
    let newer = backups.path().join("newer.sqlite3");
    admin_ok(data.path(), &["backup", "--to", path_arg(&newer)]);
    // The newer backup holds everything: the tablets erase all their copies.
    assert!(sync(&a, &relay).contains("erased"));
    assert!(sync(&b, &relay).contains("erased"));
    assert!(stdout_of(&device_cli(&a, &["status"])).contains("kan lämnas tillbaka"));
    // A tablet enrolled after the newer backup; its records are on it still.
    let (c, c_id) = enrolled_tablet(tablets.path(), "c.sqlite3", &relay);
    capture(&c, 2, 5);
    sync(&c, &relay);
    relay.stop();

    // The older backup lacks what the tablets erased: refused, and every such record named.
    let refused = relay_admin(data.path(), &["restore", "--from", path_arg(&old)]);
    let (said, error) = text(&refused);
    assert!(!refused.status.success(), "{said}");
    assert!(
        error.contains("refused") && error.contains("--force"),
        "{error}"
    );
    for (id, late) in [(&a_id, &a_late), (&b_id, &b_late)] {
        assert!(
            said.contains(&format!(
                "device {id}: 3 record(s) the backup lacks were erased on the tablet"
            )),
            "{said}"
        );
        for doc_id in late {
            assert!(said.contains(doc_id), "{doc_id} is named: {said}");
        }
    }
    assert!(
        said.contains(&format!("enroll again: kiosk tablet {c_id}")),
        "{said}"
    );
    assert!(
        std::fs::read_dir(data.path()).expect("lists").all(|e| !e
            .expect("entry")
            .file_name()
            .to_string_lossy()
            .contains("before-restore")),
        "a refused restore replaces nothing"
    );

    let forced = admin_ok(
        data.path(),
        &["restore", "--from", path_arg(&old), "--force"],
    );
    assert!(forced.contains("FORCED"), "{forced}");
    let relay = RelayProcess::start(data.path());

    // Tablet a: 6 journalled, 3 at the relay, nothing it can send: loud, never "safe".
    let synced = device_cli(&a, &["sync", "--relay", &relay.url]);
    let (said, error) = text(&synced);
    assert!(!synced.status.success(), "sync must fail: {said}");
    assert!(
        said.contains("relay confirms 3 of this tablet's 6"),
        "{said}"
    );
    assert!(said.contains("VARNING"), "{said}");
    assert!(error.contains("reläet saknar"), "{error}");
    let status = stdout_of(&device_cli(&a, &["status"]));
    assert!(status.contains("NOT safe to hand back"), "{status}");
    assert!(!status.contains("kan lämnas tillbaka"), "{status}");
    let close = device_cli(&a, &["close"]);
    let (said, error) = text(&close);
    assert!(!close.status.success());
    assert!(!said.contains("complete: the relay holds"), "{said}");
    assert!(error.contains("the relay lacks 3 record(s)"), "{error}");

    // Tablet c: unknown to the restored relay. Refused, kept so, never complete.
    let synced = device_cli(&c, &["sync", "--relay", &relay.url]);
    let (said, error) = text(&synced);
    assert!(!synced.status.success());
    assert!(error.contains("unknown_device"), "{error}");
    assert!(said.contains("enroll it again"), "{said}");
    let status = stdout_of(&device_cli(&c, &["status"]));
    assert!(status.contains("NOT safe to hand back"), "{status}");
    assert!(status.contains("unknown_device"), "{status}");
    let close = device_cli(&c, &["close"]);
    assert!(!close.status.success());
    assert!(!text(&close).0.contains("complete: the relay holds"));

    // Enrolled again, it has not synced yet: its old receipt speaks for an enrollment the
    // restored relay does not know, so nothing is confirmed and it is not safe.
    enroll(&c, &relay);
    let status = stdout_of(&device_cli(&c, &["status"]));
    assert!(status.contains("NOT safe to hand back"), "{status}");
    let close = device_cli(&c, &["close"]);
    assert!(!close.status.success());
    assert!(!text(&close).0.contains("complete: the relay holds"));
    // After a sync, it sends what it holds and is complete; the relay's log went back
    // from what it saw, which it says until staff acknowledge it.
    let synced = sync(&c, &relay);
    assert!(synced.contains("2 record(s) sent again"), "{synced}");
    assert!(
        synced.contains("restored from a backup: its log went back from"),
        "{synced}"
    );
    let close = device_cli(&c, &["close"]);
    assert!(
        !close.status.success(),
        "not complete before the acknowledgement"
    );
    assert!(
        text(&close).1.contains("acknowledge-log-restore"),
        "{}",
        text(&close).1
    );
    let acknowledged = stdout_of(&device_cli(&c, &["acknowledge-log-restore"]));
    assert!(acknowledged.contains("acknowledged"), "{acknowledged}");
    let close = stdout_of(&device_cli(&c, &["close"]));
    assert!(
        close.contains("complete: the relay holds everything"),
        "{close}"
    );
    assert!(stdout_of(&device_cli(&c, &["status"])).contains("kan lämnas tillbaka"));
    relay.stop();
}

#[test]
fn removals_withdrawals_and_holds_made_after_a_backup_survive_its_restore() {
    let data = tempfile::tempdir().expect("tempdir");
    let backups = tempfile::tempdir().expect("tempdir");
    let tablets = tempfile::tempdir().expect("tempdir");
    let database = data.path().join("relay.sqlite3");
    let relay = RelayProcess::start(data.path());
    let (a, _) = enrolled_tablet(tablets.path(), "a.sqlite3", &relay);
    let (b, _) = enrolled_tablet(tablets.path(), "b.sqlite3", &relay);
    let ids = capture(&a, 6, 11);
    sync(&a, &relay);
    // HR's side, beside the running relay: the same store calls the HR API makes.
    let store = SqliteStore::open(&database).expect("opens");
    let hr = Accessor::Operator("arkivarie".into());
    let lifted = &ids[5];
    assert_eq!(
        store
            .change_legal_hold(lifted, true, "tvist / dispute", "arkivarie", now_ms())
            .expect("holds"),
        HoldChange::Done
    );
    let old = backups.path().join("old.sqlite3");
    admin_ok(data.path(), &["backup", "--to", path_arg(&old)]);

    // After the backup: one record captured, received and removed; one removed of those the
    // backup holds; a withdrawal; a hold set and one lifted. Tablet a does not sync, so it
    // keeps its copies and sends them again after the restore.
    let absent = capture(&b, 1, 12).remove(0);
    sync(&b, &relay);
    let removed = &ids[0];
    for doc_id in [removed, &absent] {
        admin_ok(
            data.path(),
            &[
                "remove",
                "--registration",
                doc_id,
                "--reason",
                "withdrawn by the visitor",
            ],
        );
    }
    let withdrawn = ids[1..5]
        .iter()
        .find(|id| {
            matches!(
                store.withdraw_talent_pool(id, &hr, "arkivarie", now_ms()),
                Ok(WithdrawalOutcome::Withdrawn { already: false, .. })
            )
        })
        .expect("one of four visitors joined the talent pool")
        .clone();
    let held = ids[1..5]
        .iter()
        .find(|id| **id != withdrawn)
        .expect("another")
        .clone();
    assert_eq!(
        store
            .change_legal_hold(&held, true, "begäran / request", "arkivarie", now_ms())
            .expect("holds"),
        HoldChange::Done
    );
    assert_eq!(
        store
            .change_legal_hold(
                lifted,
                false,
                "tvisten avgjord / settled",
                "arkivarie",
                now_ms()
            )
            .expect("lifts"),
        HoldChange::Done
    );
    drop(store);
    relay.stop();

    let restored = admin_ok(data.path(), &["restore", "--from", path_arg(&old)]);
    assert!(
        restored.contains(
            "replayed: 2 removal(s) (1 of records the backup lacked), 1 talent-pool \
             withdrawal(s), 0 receipt withdrawal(s), 1 legal hold(s) set, 1 lifted"
        ),
        "{restored}"
    );
    {
        let store = SqliteStore::open(&database).expect("opens");
        for doc_id in [removed, &absent] {
            assert!(store.removal(doc_id).expect("reads").is_some(), "{doc_id}");
            assert!(
                store
                    .registration_document(doc_id)
                    .expect("reads")
                    .is_none()
            );
        }
        let retention = store
            .record_retention(&withdrawn)
            .expect("reads")
            .expect("held");
        assert!(retention.talent_pool_withdrawn_at.is_some());
        let holds: Vec<String> = store
            .legal_holds()
            .expect("reads")
            .into_iter()
            .map(|h| h.doc_id)
            .collect();
        assert_eq!(holds, vec![held.clone()]);
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(data.path().join("relay.lifecycle"))
            .expect("the lifecycle journal")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }

    // The tablets send again what they hold from before the restore, but the removal
    // records came back with it: the first answer tells them to erase the removed ones, so
    // they are never sent (a push of one is refused `removed` by its removal record).
    let relay = RelayProcess::start(data.path());
    let synced = sync(&a, &relay);
    assert!(
        synced.contains("1 registration(s) removed at the relay were erased here"),
        "{synced}"
    );
    assert!(synced.contains("5 record(s) sent again"), "{synced}");
    assert!(!synced.contains("refused "), "{synced}");
    let synced = sync(&b, &relay);
    assert!(
        synced.contains("1 registration(s) removed at the relay were erased here"),
        "{synced}"
    );
    assert!(!synced.contains("sent again"), "{synced}");
    let mut went_back = 0;
    for tablet in [&a, &b] {
        // A tablet that saw the log larger than the backup's sees it go back (or, once
        // the restored relay appended past it, replaced by another history) with the
        // restore: never silent, staff acknowledge it. (One that saw no more than the
        // backup holds gets a log that extends its view: nothing to acknowledge.)
        let status = stdout_of(&device_cli(tablet, &["status"]));
        if status.contains("restored from a backup: its log went back from")
            || status.contains("restored from a backup: it replaced its log of")
        {
            went_back += 1;
            assert!(status.contains("NOT safe to hand back"), "{status}");
            let acknowledged = stdout_of(&device_cli(tablet, &["acknowledge-log-restore"]));
            assert!(acknowledged.contains("acknowledged"), "{acknowledged}");
        }
        let status = stdout_of(&device_cli(tablet, &["status"]));
        assert!(status.contains("kan lämnas tillbaka"), "{status}");
    }
    assert!(
        went_back > 0,
        "the restore rolled the log back for a tablet"
    );
    relay.stop();

    let store = SqliteStore::open(&database).expect("opens");
    assert!(
        store
            .registration_document(removed)
            .expect("reads")
            .is_none()
    );
    assert!(
        store
            .registration_document(&absent)
            .expect("reads")
            .is_none()
    );
    assert!(
        store
            .record_retention(&withdrawn)
            .expect("reads")
            .expect("held")
            .talent_pool_withdrawn_at
            .is_some(),
        "the withdrawal holds after the tablet sent the record again"
    );
}
