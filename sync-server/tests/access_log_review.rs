//! Archivists check the access log against every checkpoint file in the relay's checkpoint
//! folder, through the API, the console and the `verify-access-log` command, and every
//! failure says where: a row edited in the database file breaks the chain at that entry
//! and fails the checkpoint that covers it; a row rewritten with every later hash
//! recomputed still fails the checkpoint, which names its entry. The log's own retention
//! removes its old start without breaking the check: a checkpoint before the horizon
//! cannot be checked (and is no failure), a later one still holds.

mod support {
    pub mod console_browser;
    pub mod hr_api;
}

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::Arc;

use axum::http::StatusCode;
use kiosk_sync_server::access_checkpoint::{self, CHECKPOINT_DIR};
use kiosk_sync_server::hr::accounts::Role;
use kiosk_sync_server::keys::RelayKeys;
use kiosk_sync_server::storage::prelude::*;
use kiosk_sync_server::storage::{AccessAction, AccessEntry, Accessor, SqliteStore};
use kiosk_sync_server::{AppState, now_ms};
use serde_json::Value;
use sha2::{Digest, Sha256};
use support::console_browser::{Browser, PASSWORD, user_with};
use support::hr_api::{self, ApiSession};

/// 2023-11-14 22:13:20 UTC: old enough for any retention.
const LONG_AGO: i64 = 1_700_000_000_000;
const VERIFICATION: &str = "/api/v1/access-log/verification";

/// A relay on a data directory of its own, as `serve` runs it: a file-backed store, the
/// directory's keys, and its checkpoint folder in the state.
struct Relay {
    dir: tempfile::TempDir,
    state: AppState,
    keys: RelayKeys,
}

impl Relay {
    fn new() -> Relay {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = SqliteStore::open(&dir.path().join("relay.sqlite3")).expect("store");
        let keys = RelayKeys::load_or_create(dir.path()).expect("keys");
        let mut state = AppState::new(
            Arc::new(store),
            RelayKeys::load_or_create(dir.path()).expect("keys"),
        );
        state.checkpoint_dir = Some(dir.path().join(CHECKPOINT_DIR));
        Relay { dir, state, keys }
    }

    fn database(&self) -> PathBuf {
        self.dir.path().join("relay.sqlite3")
    }

    /// `n` reads by an HR user, the first made at `from`, a minute apart.
    fn log_reads(&self, n: u64, from: i64) {
        for i in 0..n {
            self.state
                .store
                .log_access(&AccessEntry {
                    at: from + i as i64 * 60_000,
                    accessor: Accessor::Operator("hr:rut".into()),
                    action: AccessAction::Read,
                    doc_id: format!("019ce0a0-6a80-7000-8000-{i:012x}"),
                })
                .expect("logs");
        }
    }

    /// Writes a checkpoint of the log as it is now, named as `serve` names them, and returns
    /// its path.
    fn checkpoint(&self, at: i64) -> PathBuf {
        let path = self
            .dir
            .path()
            .join(CHECKPOINT_DIR)
            .join(access_checkpoint::file_name(at));
        access_checkpoint::write(self.state.store.as_ref(), &self.keys, None, &path, at)
            .expect("writes");
        path
    }

    /// Runs the relay binary on this data directory.
    fn command(&self, args: &[&str]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_kiosk-sync-server"))
            .arg("--data-dir")
            .arg(self.dir.path())
            .args(args)
            .env_remove("KIOSK_CONFIG")
            .env_remove("KIOSK_ACCESS_LOG_RETENTION_MONTHS")
            .env("RUST_LOG", "error")
            .output()
            .expect("runs")
    }

    async fn verification(&self, archivist: &ApiSession) -> Value {
        let answer = hr_api::call(
            &self.state,
            "GET",
            VERIFICATION,
            &[("cookie", archivist.cookie.as_str())],
            None,
        )
        .await;
        assert_eq!(answer.status, StatusCode::OK, "{}", answer.text);
        answer.body
    }
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .and_then(|n| n.to_str())
        .expect("a name")
        .to_owned()
}

/// The access log's entry hash, computed as the relay computes it: what a hand that knows
/// the (public) format could redo after editing a row.
#[allow(clippy::too_many_arguments)]
fn entry_hash(
    seq: i64,
    at: i64,
    actor_kind: &str,
    actor: &str,
    recruiter: Option<&str>,
    action: &str,
    doc_id: &str,
    previous: &[u8],
) -> Vec<u8> {
    let mut hasher = Sha256::new();
    hasher.update(b"kiosk-access-v1");
    hasher.update((seq as u64).to_be_bytes());
    hasher.update(at.to_be_bytes());
    for field in [actor_kind, actor, action, doc_id] {
        hasher.update((field.len() as u64).to_be_bytes());
        hasher.update(field.as_bytes());
    }
    match recruiter {
        Some(recruiter) => {
            hasher.update([1]);
            hasher.update((recruiter.len() as u64).to_be_bytes());
            hasher.update(recruiter.as_bytes());
        }
        None => hasher.update([0]),
    }
    hasher.update(previous);
    hasher.finalize().to_vec()
}

/// Opens the store's file directly with the UPDATE trigger dropped, as someone with write
/// access to the file could.
fn unlocked(database: &Path) -> rusqlite::Connection {
    let conn = rusqlite::Connection::open(database).expect("opens");
    conn.execute_batch("DROP TRIGGER access_log_no_update;")
        .expect("drops the trigger");
    conn
}

#[tokio::test]
async fn a_tampered_row_fails_the_chain_and_the_checkpoint_and_both_say_where() {
    let relay = Relay::new();
    relay.log_reads(12, LONG_AGO);
    let checkpoint = relay.checkpoint(LONG_AGO + 3_600_000);
    relay.log_reads(3, LONG_AGO + 7_200_000);
    let archivist = ApiSession::log_in(&relay.state, "arvid", vec![Role::Archivist]).await;

    let intact = relay.verification(&archivist).await;
    assert_eq!(intact["chain"]["entries"], 15);
    assert_eq!(intact["chain"]["broken_at"], Value::Null);
    assert_eq!(intact["checkpoints"][0]["file"], file_name(&checkpoint));
    assert_eq!(intact["checkpoints"][0]["entries"], 12);
    assert_eq!(intact["checkpoints"][0]["holds"], true);

    // Entry 7, in the middle of what the checkpoint covers, now says another action.
    unlocked(&relay.database())
        .execute("UPDATE access_log SET action = 'list' WHERE seq = 7", [])
        .expect("tampers");

    let found = relay.verification(&archivist).await;
    assert_eq!(found["chain"]["broken_at"], 7, "{found}");
    assert_eq!(found["chain"]["broken_entry"]["action"], "list");
    assert_eq!(
        found["chain"]["broken_entry"]["at"],
        LONG_AGO + 6 * 60_000,
        "the broken entry's time"
    );
    let checked = &found["checkpoints"][0];
    assert_eq!(checked["file"], file_name(&checkpoint));
    assert_eq!(
        (&checked["holds"], &checked["outcome"]),
        (&false.into(), &"fails".into())
    );
    let problem = checked["problem"].as_str().expect("a problem");
    assert!(
        problem.contains("broken at entry 7") && problem.contains("within the 12 entries"),
        "{problem}"
    );
    assert!(
        checked["problem_sv"]
            .as_str()
            .is_some_and(|p| p.contains("post 7")),
        "{checked}"
    );

    // The console's table names the file, and where the log fails, in the session's
    // language.
    user_with(&relay.state, "arkiv", vec![Role::Archivist]);
    let mut browser = Browser::new(&relay.state);
    browser.log_in("arkiv", PASSWORD).await;
    let offer = browser.get("/console/access-log").await;
    assert!(
        offer.body.contains("Kontrollera mot alla kontrollpunkter"),
        "the button is offered"
    );
    let page = browser.get("/console/access-log?verify=checkpoints").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("Loggens kedja är bruten vid post 7."));
    assert!(page.body.contains("Den första brutna posten, nr 7,"));
    assert!(page.body.contains(&file_name(&checkpoint)));
    assert!(page.body.contains("Stämmer inte"), "{}", page.body);
    assert!(page.body.contains("loggen har ändrats vid post 7"));

    // The command exits non-zero and names the entry.
    let cli = relay.command(&[
        "verify-access-log",
        "--checkpoint",
        checkpoint.to_str().expect("utf-8"),
    ]);
    assert!(!cli.status.success());
    let said = String::from_utf8_lossy(&cli.stderr);
    assert!(said.contains("chain broken at entry 7"), "{said}");

    // Only archivists check the log.
    let recruiter = ApiSession::log_in(&relay.state, "rut", vec![Role::Recruiter]).await;
    let refused = hr_api::call(
        &relay.state,
        "GET",
        VERIFICATION,
        &[("cookie", recruiter.cookie.as_str())],
        None,
    )
    .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn a_row_rewritten_with_every_later_hash_recomputed_still_fails_the_checkpoint() {
    let relay = Relay::new();
    relay.log_reads(10, LONG_AGO);
    let checkpoint = relay.checkpoint(LONG_AGO + 3_600_000);
    let archivist = ApiSession::log_in(&relay.state, "arvid", vec![Role::Archivist]).await;

    // Entry 4 rewritten to name another record, and the chain rebuilt from there on.
    let conn = unlocked(&relay.database());
    conn.execute(
        "UPDATE access_log SET doc_id = 'someone-else' WHERE seq = 4",
        [],
    )
    .expect("tampers");
    let mut previous: Vec<u8> = conn
        .query_row("SELECT hash FROM access_log WHERE seq = 3", [], |r| {
            r.get(0)
        })
        .expect("reads");
    for seq in 4..=10_i64 {
        let (at, kind, actor, recruiter, action, doc_id): (
            i64,
            String,
            String,
            Option<String>,
            String,
            String,
        ) = conn
            .query_row(
                "SELECT at, actor_kind, actor, recruiter, action, doc_id FROM access_log
                 WHERE seq = ?1",
                [seq],
                |r| {
                    Ok((
                        r.get(0)?,
                        r.get(1)?,
                        r.get(2)?,
                        r.get(3)?,
                        r.get(4)?,
                        r.get(5)?,
                    ))
                },
            )
            .expect("reads");
        let hash = entry_hash(
            seq,
            at,
            &kind,
            &actor,
            recruiter.as_deref(),
            &action,
            &doc_id,
            &previous,
        );
        conn.execute(
            "UPDATE access_log SET previous = ?1, hash = ?2 WHERE seq = ?3",
            rusqlite::params![previous, hash, seq],
        )
        .expect("rebuilds");
        previous = hash;
    }

    let found = relay.verification(&archivist).await;
    assert_eq!(
        found["chain"]["broken_at"],
        Value::Null,
        "the rebuilt chain verifies"
    );
    let checked = &found["checkpoints"][0];
    assert_eq!(checked["outcome"], "fails", "{found}");
    let problem = checked["problem"].as_str().expect("a problem");
    assert!(
        problem.contains("entry 10") && problem.contains("altered at or before entry 10"),
        "{problem}"
    );

    let cli = relay.command(&[
        "verify-access-log",
        "--checkpoint",
        checkpoint.to_str().expect("utf-8"),
    ]);
    assert!(!cli.status.success());
    let said = String::from_utf8_lossy(&cli.stderr);
    assert!(
        said.contains(&file_name(&checkpoint)) && said.contains("entry 10"),
        "{said}"
    );
}

#[tokio::test]
async fn pruning_by_age_keeps_later_checkpoints_checkable_and_marks_earlier_ones() {
    let relay = Relay::new();
    let now = now_ms();
    relay.log_reads(5, LONG_AGO);
    let old = relay.checkpoint(LONG_AGO + 3_600_000);
    relay.log_reads(4, now - 60 * 60_000);
    let recent = relay.checkpoint(now - 60_000);

    let pruned = relay.command(&["prune-access-log", "--retention-months", "12"]);
    assert!(
        pruned.status.success(),
        "{}",
        String::from_utf8_lossy(&pruned.stderr)
    );
    let said = String::from_utf8_lossy(&pruned.stdout);
    assert!(
        said.contains("removed 5 access-log entries") && said.contains("starts at entry 6"),
        "{said}"
    );

    let archivist = ApiSession::log_in(&relay.state, "arvid", vec![Role::Archivist]).await;
    let found = relay.verification(&archivist).await;
    assert_eq!(found["chain"]["broken_at"], Value::Null, "{found}");
    assert_eq!(found["chain"]["horizon"]["first_kept"], 6);
    let outcomes: Vec<(&str, &str)> = found["checkpoints"]
        .as_array()
        .expect("checkpoints")
        .iter()
        .map(|c| {
            (
                c["file"].as_str().unwrap_or_default(),
                c["outcome"].as_str().unwrap_or_default(),
            )
        })
        .collect();
    let (old_name, recent_name) = (file_name(&old), file_name(&recent));
    // Entry 5, the old checkpoint's head, was the last removed: the horizon kept its hash.
    assert_eq!(
        outcomes,
        vec![
            (old_name.as_str(), "holds"),
            (recent_name.as_str(), "holds")
        ]
    );

    // A checkpoint of fewer entries than that is before the horizon: not checkable, not a
    // failure, for the command either.
    let earlier = relay.dir.path().join("earlier.checkpoint");
    {
        let other = tempfile::tempdir().expect("tempdir");
        let store = SqliteStore::open(&other.path().join("relay.sqlite3")).expect("store");
        for i in 0..3 {
            store
                .log_access(&AccessEntry {
                    at: LONG_AGO + i * 60_000,
                    accessor: Accessor::Operator("hr:rut".into()),
                    action: AccessAction::Read,
                    doc_id: format!("019ce0a0-6a80-7000-8000-{i:012x}"),
                })
                .expect("logs");
        }
        access_checkpoint::write(&store, &relay.keys, None, &earlier, LONG_AGO).expect("writes");
    }
    let checked = relay.command(&[
        "verify-access-log",
        "--checkpoint",
        earlier.to_str().expect("utf-8"),
    ]);
    assert!(
        checked.status.success(),
        "{}",
        String::from_utf8_lossy(&checked.stderr)
    );
    let said = String::from_utf8_lossy(&checked.stdout);
    assert!(
        said.contains("before the log's retention horizon; cannot be checked"),
        "{said}"
    );
}
