//! The witness (`kiosk-sync-server witness`, as its own process) against real relays with
//! tablets syncing captures: two relays holding the same log key with diverging logs (a
//! split view: tablet A and tablet B each shown their own history) — the witness cosigns
//! the first, refuses the second for good (exit 3, evidence kept), and a verifier requiring
//! its cosignature (`verify-log --witness`, or a tablet through
//! `kiosk_core::cosigned_checkpoint`) refuses the tree it never saw. And a relay whose log
//! was edited in place is caught at the witness's next fetch.

use std::path::Path;
use std::process::{Command, Output};
use std::sync::Arc;

use kiosk_core::cosigned_checkpoint::{CosignedError, open_cosigned};
use kiosk_core::protocol::enrollment::EnrolledRole;
use kiosk_core::sync::HttpTransport;
use kiosk_core::tlog::cosignature::CosignatureVerifier;
use kiosk_core::tlog::note::NoteVerifier;
use kiosk_sync_server::AppState;
use kiosk_sync_server::transparency::checkpoint::LogKey;
use kiosk_tests::{Backend, DemoStore, TestRelay, demo_code, demo_store, sync_now, tablet};

const ORIGIN: &str = "relay.test/kiosk-log";
const WITNESS_NAME: &str = "arkiv.test/kiosk-witness";
/// The log key both relays of the split view hold.
const LOG_SECRET: [u8; 32] = [42; 32];

/// A relay trusting `witness`, signing its log with [`LOG_SECRET`] (also written to its
/// data folder as `relay-log.key`, so `verify-log` there checks the same key).
struct SplitRelay {
    dir: tempfile::TempDir,
    relay: TestRelay,
    store: Arc<dyn kiosk_sync_server::storage::RelayStore>,
    database_url: Option<String>,
}

async fn relay(backend: Backend, witness: &CosignatureVerifier) -> SplitRelay {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("relay-log.key"), LOG_SECRET).expect("log key");
    let DemoStore {
        store,
        database_url,
        keys,
        ..
    } = demo_store(backend, dir.path()).await;
    let mut state = AppState::new(store.clone(), keys);
    state.log_key = Arc::new(
        LogKey::load_or_create(dir.path(), Some(ORIGIN)).expect("the same log key on both"),
    );
    state.witness_keys = Arc::new(vec![witness.clone()].into());
    SplitRelay {
        dir,
        relay: TestRelay::start(state).await,
        store,
        database_url,
    }
}

fn log_verifier() -> NoteVerifier {
    LogKey::from_secret(&LOG_SECRET, Some(ORIGIN))
        .expect("key")
        .verifier()
}

/// A kiosk enrolled at `relay` captures `count` registrations and syncs them.
async fn tablet_syncs(relay: &SplitRelay, count: usize, seed: u64) {
    let code = demo_code(relay.store.as_ref(), EnrolledRole::Kiosk, 1, 3_600_000);
    let url = relay.relay.url();
    tokio::task::spawn_blocking(move || {
        let tablet = tablet();
        let transport = HttpTransport::new(&url);
        tablet.device.enroll(&code, &transport).expect("enrolls");
        kiosk_core::generator::capture_generated(&tablet.device, count, seed).expect("captured");
        let report = sync_now(&tablet.device, &transport).expect("syncs");
        // The relay names its witness at enrollment, so the tablet requires it: stored and
        // proven, each capture waits for a tree the witness cosigned before it is received.
        assert_eq!(
            report.received + report.awaiting_witness,
            count as u64,
            "{report:?}"
        );
    })
    .await
    .expect("joins");
}

fn relay_command(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_kiosk-sync-server-e2e"))
        .args(args)
        .env("KIOSK_LOG", "info")
        .output()
        .expect("the command runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// The witness's verifier key (made with its key on first run).
fn witness_key(dir: &Path) -> CosignatureVerifier {
    let out = relay_command(&[
        "witness",
        "--show-key",
        "--name",
        WITNESS_NAME,
        "--dir",
        dir.to_str().expect("utf-8"),
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    kiosk_core::cosigned_checkpoint::parse_witness_vkey(text(&out.stdout).trim())
        .expect("a witness vkey")
}

/// One witness round against `url`, off the async threads.
async fn witness_once(dir: &Path, url: String) -> Output {
    let dir = dir.to_str().expect("utf-8").to_owned();
    let log_key = log_verifier().to_string();
    tokio::task::spawn_blocking(move || {
        relay_command(&[
            "witness",
            "--once",
            "--relay",
            &url,
            "--log-key",
            &log_key,
            "--name",
            WITNESS_NAME,
            "--dir",
            &dir,
        ])
    })
    .await
    .expect("joins")
}

fn get(url: &str) -> (u16, String) {
    let agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .new_agent();
    let mut response = agent.get(url).call().expect("answers");
    let status = response.status().as_u16();
    (
        status,
        response.body_mut().read_to_string().expect("text body"),
    )
}

async fn checkpoint(relay: &SplitRelay, query: &str) -> (u16, String) {
    let url = format!("{}/v1/log/checkpoint{query}", relay.relay.url());
    tokio::task::spawn_blocking(move || get(&url))
        .await
        .expect("joins")
}

fn evidence_dirs(dir: &Path) -> Vec<std::path::PathBuf> {
    std::fs::read_dir(dir)
        .expect("reads")
        .map(|entry| entry.expect("entry").path())
        .filter(|path| {
            path.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("evidence-"))
        })
        .collect()
}

/// `verify-log` on `relay`'s data with a saved checkpoint, requiring the witness.
fn verify_log(relay: &SplitRelay, saved: &str, witness: &CosignatureVerifier) -> Output {
    let file = relay.dir.path().join("saved-checkpoint.txt");
    std::fs::write(&file, saved).expect("saved");
    let mut args = vec![
        "--data-dir".to_owned(),
        relay.dir.path().to_str().expect("utf-8").to_owned(),
    ];
    if let Some(url) = &relay.database_url {
        args.extend(["--database-url".to_owned(), url.clone()]);
    }
    args.extend([
        "verify-log".to_owned(),
        "--checkpoint".to_owned(),
        file.to_str().expect("utf-8").to_owned(),
        "--witness".to_owned(),
        witness.to_string(),
    ]);
    let env_args: Vec<&str> = args.iter().map(String::as_str).collect();
    let mut command = Command::new(env!("CARGO_BIN_EXE_kiosk-sync-server-e2e"));
    command.args(&env_args).env("KIOSK_LOG_ORIGIN", ORIGIN);
    command.output().expect("verify-log runs")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_split_view_is_refused_by_the_witness_and_by_verifiers_requiring_its_cosignature() {
    let witness_dir = tempfile::tempdir().expect("tempdir");
    let witness = witness_key(witness_dir.path());
    let backend = Backend::from_env();
    // One log key, two histories: tablet A sees relay A's, tablet B relay B's.
    let relay_a = relay(backend, &witness).await;
    let relay_b = relay(backend, &witness).await;
    tablet_syncs(&relay_a, 3, 1).await;
    tablet_syncs(&relay_b, 5, 2).await;
    let witnesses = [witness.clone()];

    let first = witness_once(witness_dir.path(), relay_a.relay.url()).await;
    assert_eq!(first.status.code(), Some(0), "{}", text(&first.stderr));
    let (status, cosigned_a) = checkpoint(&relay_a, "?cosigned=1").await;
    assert_eq!(status, 200, "{cosigned_a}");
    let opened = open_cosigned(&cosigned_a, &log_verifier(), &witnesses).expect("cosigned");
    assert!(opened.checkpoint.size >= 3);

    // The relay shows the witness the other history: refused for good, loudly.
    let second = witness_once(witness_dir.path(), relay_b.relay.url()).await;
    assert_eq!(second.status.code(), Some(3), "{}", text(&second.stderr));
    let said = text(&second.stderr);
    assert!(said.contains("WITNESS REFUSED"), "{said}");
    assert!(said.contains("VITTNET VÄGRAR"), "{said}");
    let evidence = evidence_dirs(witness_dir.path());
    assert_eq!(evidence.len(), 1);
    let kept = |file: &str| std::fs::read_to_string(evidence[0].join(file)).expect(file);
    let (_, plain_b) = checkpoint(&relay_b, "").await;
    assert_eq!(kept("refused-checkpoint.txt"), plain_b);
    assert!(kept("previous-checkpoint.txt").starts_with(&format!("{ORIGIN}\n")));
    // Relay B never got a cosignature, and its tree opens for nobody requiring the witness.
    let (status, _) = checkpoint(&relay_b, "?cosigned=1").await;
    assert_eq!(status, 404);
    assert!(matches!(
        open_cosigned(&plain_b, &log_verifier(), &witnesses),
        Err(CosignedError::NotCosigned { .. })
    ));
    // Back at relay A, the witness still refuses: the refusal is for good.
    let again = witness_once(witness_dir.path(), relay_a.relay.url()).await;
    assert_eq!(again.status.code(), Some(3));

    // verify-log requiring the witness: relay A's cosigned checkpoint passes on relay A's
    // data; relay B's uncosigned one is refused on relay B's.
    let passes = verify_log(&relay_a, &cosigned_a, &witness);
    assert!(
        passes.status.success(),
        "{}{}",
        text(&passes.stdout),
        text(&passes.stderr)
    );
    assert!(text(&passes.stdout).contains("cosigned by witness arkiv.test/kiosk-witness"));
    let refused = verify_log(&relay_b, &plain_b, &witness);
    assert_eq!(refused.status.code(), Some(1), "{}", text(&refused.stdout));
    assert!(
        text(&refused.stderr).contains("has not cosigned"),
        "{}",
        text(&refused.stderr)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_relay_whose_log_was_edited_in_place_is_caught_at_the_witnesss_next_fetch() {
    let witness_dir = tempfile::tempdir().expect("tempdir");
    let witness = witness_key(witness_dir.path());
    // SQLite: the test edits the file as someone with access to it could.
    let relay = relay(Backend::Sqlite, &witness).await;
    tablet_syncs(&relay, 4, 3).await;
    let first = witness_once(witness_dir.path(), relay.relay.url()).await;
    assert_eq!(first.status.code(), Some(0), "{}", text(&first.stderr));

    // The stored right edge of the tree changed in place: the relay now signs another root
    // for the same size.
    let conn = rusqlite::Connection::open(relay.dir.path().join("relay.sqlite3")).expect("opens");
    let mut frontier: Vec<u8> = conn
        .query_row("SELECT frontier FROM tlog_head WHERE id = 1", [], |r| {
            r.get(0)
        })
        .expect("reads");
    assert!(!frontier.is_empty());
    frontier[0] ^= 0x01;
    conn.execute(
        "UPDATE tlog_head SET frontier = ?1 WHERE id = 1",
        [frontier],
    )
    .expect("edited in place");
    drop(conn);

    let caught = witness_once(witness_dir.path(), relay.relay.url()).await;
    assert_eq!(caught.status.code(), Some(3), "{}", text(&caught.stderr));
    assert!(
        text(&caught.stderr).contains("same size"),
        "{}",
        text(&caught.stderr)
    );
    assert_eq!(evidence_dirs(witness_dir.path()).len(), 1);
}
