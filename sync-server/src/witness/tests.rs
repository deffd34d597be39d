//! The witness against in-memory logs built with the tlog library: consistent growth is
//! cosigned, and a split view, a rollback, a fork at one size and a log edited in place are
//! each refused for good with the evidence kept; plus the HTTP source against a small
//! server speaking the relay's endpoints.

use std::sync::{Arc, Mutex};

use ed25519_dalek::SigningKey;
use kiosk_core::cosigned_checkpoint::{CosignedError, open_cosigned};
use kiosk_core::tlog::checkpoint::Checkpoint;
use kiosk_core::tlog::cosignature::CosignatureSigner;
use kiosk_core::tlog::hash::Hash;
use kiosk_core::tlog::note::{NoteSigner, NoteVerifier, parse_note};
use kiosk_core::tlog::tree::MemoryTree;

use super::run::{EXIT_REFUSED, Outcome, load_signer, round_outcome};
use super::state::{self, STATE_FILE};
use super::*;

const ORIGIN: &str = "relay.example.se/kiosk-log";
const WITNESS: &str = "arkiv.example.se/kiosk-witness";

fn log_key() -> SigningKey {
    SigningKey::from_bytes(&[7; 32])
}

fn log_verifier() -> NoteVerifier {
    NoteSigner::new(ORIGIN, &log_key())
        .expect("name")
        .verifier()
}

/// One relay's log in memory, signing with `key`.
struct MemoryLog {
    entries: Vec<Vec<u8>>,
    key: SigningKey,
    /// Cosigned notes the relay took, newest last.
    received: Vec<String>,
    refuse_submissions: bool,
}

impl MemoryLog {
    fn new(entries: &[&str]) -> Self {
        MemoryLog {
            entries: entries.iter().map(|e| e.as_bytes().to_vec()).collect(),
            key: log_key(),
            received: Vec::new(),
            refuse_submissions: false,
        }
    }

    fn tree(&self) -> MemoryTree {
        MemoryTree::from_entries(self.entries.iter().map(Vec::as_slice))
    }

    fn body(&self) -> String {
        let tree = self.tree();
        Checkpoint::new(ORIGIN, tree.size(), tree.root()).to_body()
    }

    fn signed(&self) -> String {
        NoteSigner::new(ORIGIN, &self.key)
            .expect("name")
            .sign(&self.body())
            .expect("signs")
    }
}

/// The relays a witness may be shown, and which one it is shown now: two relays with one
/// log key are a split view.
#[derive(Default)]
struct Relays {
    logs: Vec<MemoryLog>,
    showing: usize,
    checkpoint_fetches: usize,
    /// When set, the checkpoint served is of the shown log's first so many entries (a
    /// relay serving an older tree of its log), proofs still from the whole log.
    serving_prefix: Option<usize>,
}

#[derive(Clone, Default)]
struct TestSource(Arc<Mutex<Relays>>);

impl TestSource {
    fn with(logs: Vec<MemoryLog>) -> Self {
        TestSource(Arc::new(Mutex::new(Relays {
            logs,
            ..Relays::default()
        })))
    }

    fn with_relays<T>(&self, f: impl FnOnce(&mut Relays) -> T) -> T {
        f(&mut self.0.lock().expect("not poisoned"))
    }

    fn log<T>(&self, index: usize, f: impl FnOnce(&mut MemoryLog) -> T) -> T {
        self.with_relays(|relays| f(&mut relays.logs[index]))
    }

    fn show(&self, index: usize) {
        self.with_relays(|relays| relays.showing = index);
    }
}

impl LogSource for TestSource {
    fn checkpoint(&self, _held: u64) -> Result<String, SourceError> {
        self.with_relays(|relays| {
            relays.checkpoint_fetches += 1;
            if let Some(prefix) = relays.serving_prefix {
                let log = &relays.logs[relays.showing];
                let older = MemoryLog {
                    entries: log.entries[..prefix].to_vec(),
                    key: log.key.clone(),
                    received: Vec::new(),
                    refuse_submissions: false,
                };
                return Ok(older.signed());
            }
            let log = &relays.logs[relays.showing];
            let body = log.body();
            // The relay serves its newest checkpoint with the cosignatures it holds for it.
            Ok(log
                .received
                .iter()
                .rev()
                .find(|note| parse_note(note).is_ok_and(|(text, _)| text == body))
                .cloned()
                .unwrap_or_else(|| log.signed()))
        })
    }

    fn consistency(&self, from: u64, to: u64) -> Result<Vec<Hash>, SourceError> {
        self.with_relays(|relays| {
            relays.logs[relays.showing]
                .tree()
                .consistency_proof(from, to)
                .map_err(|_| SourceError::Refused {
                    status: 400,
                    code: "bad_range".into(),
                })
        })
    }

    fn submit_cosignature(&self, note: &str) -> Result<(), SourceError> {
        self.with_relays(|relays| {
            let log = &mut relays.logs[relays.showing];
            if log.refuse_submissions {
                return Err(SourceError::Refused {
                    status: 503,
                    code: "unavailable".into(),
                });
            }
            log.received.push(note.to_owned());
            Ok(())
        })
    }
}

fn signer() -> CosignatureSigner {
    CosignatureSigner::new(WITNESS, &SigningKey::from_bytes(&[9; 32])).expect("name")
}

fn witness(source: &TestSource, dir: &std::path::Path) -> Witness<TestSource> {
    Witness::open(source.clone(), log_verifier(), signer(), dir).expect("opens")
}

fn entries(prefix: &str, count: usize) -> Vec<String> {
    (0..count).map(|i| format!("{prefix}{i}")).collect()
}

fn push(source: &TestSource, index: usize, new: &[String]) {
    source.log(index, |log| {
        log.entries
            .extend(new.iter().map(|e| e.as_bytes().to_vec()))
    });
}

fn refusal_of(result: Result<Round, WitnessError>) -> std::path::PathBuf {
    match result {
        Err(WitnessError::Refused { evidence, .. }) => evidence,
        other => panic!("expected a refusal, got {other:?}"),
    }
}

#[test]
fn the_first_checkpoint_is_trusted_then_only_consistent_growth_is_cosigned_and_delivered() {
    let dir = tempfile::tempdir().expect("tempdir");
    let source = TestSource::with(vec![MemoryLog::new(&["a", "b", "c"])]);
    let mut witness = witness(&source, dir.path());
    assert_eq!(
        witness.round(1000).expect("first"),
        Round::FirstCosigned { size: 3 }
    );
    push(&source, 0, &entries("d", 5));
    assert_eq!(
        witness.round(1001).expect("consistent"),
        Round::Cosigned { from: 3, size: 8 }
    );
    // Nothing new: the relay already shows this witness's cosignature.
    assert_eq!(
        witness.round(1002).expect("unchanged"),
        Round::Unchanged {
            size: 8,
            resubmitted: false
        }
    );
    let received = source.log(0, |log| log.received.clone());
    assert_eq!(received.len(), 2);
    // What the relay received opens for a verifier requiring this witness.
    let opened =
        open_cosigned(&received[1], &log_verifier(), &[signer().verifier()]).expect("opens");
    assert_eq!(opened.checkpoint.size, 8);
    assert_eq!(opened.cosigned, vec![(WITNESS.to_owned(), 1001)]);
    // The state on disk is the cosigned tree.
    let saved = state::load(dir.path()).expect("loads").expect("saved");
    assert_eq!(saved.size, 8);
    assert_eq!(saved.cosigned_at, 1001);
    assert!(saved.refused.is_none());
}

/// The time of the cosignature of `note` by this file's witness.
fn cosigned_time(note: &str) -> u64 {
    open_cosigned(note, &log_verifier(), &[signer().verifier()])
        .expect("opens")
        .cosigned[0]
        .1
}

/// A witness whose clock is set back (or ran ahead once) still signs increasing times, a
/// resent cosignature too, across restarts: a relay never holds a cosignature of it dated
/// after a later one, to replay to a tablet as "newer".
#[test]
fn cosignature_times_only_increase_when_the_clock_goes_back_even_when_resent() {
    let dir = tempfile::tempdir().expect("tempdir");
    let source = TestSource::with(vec![MemoryLog::new(&["a", "b"])]);
    let mut witness = witness(&source, dir.path());
    witness.round(1000).expect("first");
    push(&source, 0, &entries("x", 2));
    assert_eq!(
        witness.round(400).expect("consistent"),
        Round::Cosigned { from: 2, size: 4 }
    );
    let last = source.log(0, |log| log.received.last().cloned().expect("received"));
    assert_eq!(cosigned_time(&last), 1001);
    // The relay lost it; the witness restarts and resends, its clock still behind.
    source.log(0, |log| log.received.clear());
    drop(witness);
    let mut restarted = super::tests::witness(&source, dir.path());
    assert_eq!(
        restarted.round(400).expect("resent"),
        Round::Unchanged {
            size: 4,
            resubmitted: true
        }
    );
    let resent = source.log(0, |log| log.received.last().cloned().expect("received"));
    assert_eq!(cosigned_time(&resent), 1002);
    assert_eq!(
        state::load(dir.path())
            .expect("loads")
            .expect("saved")
            .last_signed,
        1002
    );
    // Once the clock passes the times signed, it is the clock's time again.
    push(&source, 0, &entries("y", 1));
    restarted.round(2000).expect("consistent");
    let last = source.log(0, |log| log.received.last().cloned().expect("received"));
    assert_eq!(cosigned_time(&last), 2000);
}

#[test]
fn the_state_is_saved_before_the_cosignature_leaves_and_a_lost_one_is_sent_again() {
    let dir = tempfile::tempdir().expect("tempdir");
    let source = TestSource::with(vec![MemoryLog::new(&["a", "b"])]);
    let mut witness = witness(&source, dir.path());
    witness.round(10).expect("first");
    push(&source, 0, &entries("x", 3));
    source.log(0, |log| log.refuse_submissions = true);
    assert!(matches!(
        witness.round(11),
        Err(WitnessError::Delivery { size: 5, .. })
    ));
    // The cosignature did not arrive, but the state already holds the tree it cosigned:
    // a crash here cannot make the witness cosign another tree of size 5 later.
    assert_eq!(
        state::load(dir.path()).expect("loads").expect("saved").size,
        5
    );
    source.log(0, |log| log.refuse_submissions = false);
    // The process stops (its lock goes with it) and starts again.
    drop(witness);
    let mut restarted = super::tests::witness(&source, dir.path());
    assert_eq!(
        restarted.round(12).expect("resent"),
        Round::Unchanged {
            size: 5,
            resubmitted: true
        }
    );
    let received = source.log(0, |log| log.received.clone());
    assert_eq!(received.len(), 2);
    assert!(open_cosigned(&received[1], &log_verifier(), &[signer().verifier()]).is_ok());
}

/// Two relays with the same log key and diverging logs (a split view): the witness cosigns
/// the first it is shown, refuses the second for good with both checkpoints and the proof
/// as evidence, and a verifier requiring its cosignature refuses the second tree.
#[test]
fn a_split_view_is_refused_for_good_with_evidence_and_the_unseen_tree_is_not_accepted() {
    let dir = tempfile::tempdir().expect("tempdir");
    let common = ["e0", "e1", "e2", "e3"];
    let source = TestSource::with(vec![MemoryLog::new(&common), MemoryLog::new(&common)]);
    push(&source, 0, &entries("shown-to-tablet-a-", 1));
    push(&source, 1, &entries("shown-to-tablet-b-", 2));
    let mut witness = witness(&source, dir.path());
    assert_eq!(
        witness.round(100).expect("first"),
        Round::FirstCosigned { size: 5 }
    );
    source.show(1);
    let evidence = refusal_of(witness.round(101));

    let read = |file: &str| std::fs::read_to_string(evidence.join(file)).expect(file);
    let cosigned_a = source.log(0, |log| log.received[0].clone());
    assert_eq!(
        read("previous-checkpoint.txt"),
        source.log(0, |log| log.signed())
    );
    assert_eq!(
        read("refused-checkpoint.txt"),
        source.log(1, |log| log.signed())
    );
    assert!(read("consistency-proof.txt").starts_with("from 5\nto 6\n"));
    assert!(read("README.txt").contains("does not extend"));
    // Nothing was delivered to the second relay.
    assert!(source.log(1, |log| log.received.is_empty()));
    // The refusal is for good: later rounds refuse without asking the relay, even once it
    // shows the first tree again, and so does a restarted witness.
    let fetches = source.with_relays(|relays| relays.checkpoint_fetches);
    source.show(0);
    refusal_of(witness.round(102));
    assert_eq!(
        source.with_relays(|relays| relays.checkpoint_fetches),
        fetches
    );
    assert!(matches!(
        Witness::open(source.clone(), log_verifier(), signer(), dir.path()),
        Err(WitnessError::Refused { .. })
    ));
    assert_eq!(round_outcome(&mut witness, 103).exit_code(), EXIT_REFUSED);

    // A tablet (or verify-log) requiring the witness: tablet A's tree opens, tablet B's not.
    let witnesses = [signer().verifier()];
    assert!(open_cosigned(&cosigned_a, &log_verifier(), &witnesses).is_ok());
    let tree_b = source.log(1, |log| log.signed());
    assert!(matches!(
        open_cosigned(&tree_b, &log_verifier(), &witnesses),
        Err(CosignedError::NotCosigned { .. })
    ));
}

/// Another root at the same size is refused without a proof; a smaller tree is refused
/// when the relay's proof from it to the held size does not reach the held root (it is
/// not a prefix of what was cosigned), with the proof kept.
#[test]
fn another_root_at_the_same_size_or_a_smaller_tree_not_a_prefix_is_refused() {
    for (name, other, prefix) in [
        ("fork at one size", vec!["a", "b", "c", "X"], None),
        ("smaller, not a prefix", vec!["a", "X", "c", "d"], Some(3)),
    ] {
        let dir = tempfile::tempdir().expect("tempdir");
        let source = TestSource::with(vec![
            MemoryLog::new(&["a", "b", "c", "d"]),
            MemoryLog::new(&other),
        ]);
        let mut witness = witness(&source, dir.path());
        witness.round(1).expect("first");
        source.show(1);
        source.with_relays(|relays| relays.serving_prefix = prefix);
        let evidence = refusal_of(witness.round(2));
        assert_eq!(
            evidence.join("consistency-proof.txt").exists(),
            prefix.is_some(),
            "{name}: the proof asked for is kept"
        );
        let saved = state::load(dir.path()).expect("loads").expect("saved");
        assert_eq!(saved.size, 4, "{name}: the cosigned tree stays the state");
        assert!(saved.refused.is_some(), "{name}");
    }
}

/// A smaller tree proven a prefix of the one held (the relay's record of this witness lags
/// its state, e.g. a delivery failed after the save) is stale, not a fork: skipped with
/// nothing cosigned, and the witness goes on once the relay serves a larger tree.
#[test]
fn a_smaller_tree_that_is_a_prefix_of_the_held_one_is_skipped_not_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    let source = TestSource::with(vec![MemoryLog::new(&["a", "b", "c", "d"])]);
    let mut witness = witness(&source, dir.path());
    witness.round(1).expect("first");
    let received = source.log(0, |log| log.received.len());
    source.with_relays(|relays| relays.serving_prefix = Some(3));
    assert_eq!(
        witness.round(2).expect("not refused"),
        Round::Stale { size: 3, held: 4 }
    );
    let saved = state::load(dir.path()).expect("loads").expect("saved");
    assert_eq!(saved.size, 4);
    assert!(saved.refused.is_none());
    assert_eq!(
        source.log(0, |log| log.received.len()),
        received,
        "nothing cosigned"
    );
    source.with_relays(|relays| relays.serving_prefix = None);
    push(&source, 0, &entries("e", 2));
    assert_eq!(
        witness.round(3).expect("goes on"),
        Round::Cosigned { from: 4, size: 6 }
    );
}

/// A relay whose log went back below the tree this witness cosigned (restored from a backup)
/// is told loudly each round, not taken as a stale tree; when it grows back with another
/// history, that is refused.
#[test]
fn a_log_that_went_back_below_the_held_tree_is_loud_and_a_new_history_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    let source = TestSource::with(vec![MemoryLog::new(&["a", "b", "c", "d"])]);
    let mut witness = witness(&source, dir.path());
    witness.round(1).expect("first");
    source.log(0, |log| log.entries.truncate(3));
    match witness.round(2) {
        Err(WitnessError::LogBehind { served: 3, held: 4 }) => {}
        other => panic!("expected the log to be told behind, got {other:?}"),
    }
    let saved = state::load(dir.path()).expect("loads").expect("saved");
    assert_eq!(saved.size, 4, "the held tree is kept");
    assert!(saved.refused.is_none(), "not a refusal by itself");
    push(&source, 0, &entries("x", 2));
    refusal_of(witness.round(3));
}

/// A relay whose stored log was edited in place (an old leaf changed) is caught at the
/// witness's next fetch, whether the log grew since or not.
#[test]
fn a_log_edited_in_place_is_caught_on_the_next_fetch() {
    for grows in [true, false] {
        let dir = tempfile::tempdir().expect("tempdir");
        let source = TestSource::with(vec![MemoryLog::new(&["a", "b", "c", "d", "e", "f"])]);
        let mut witness = witness(&source, dir.path());
        witness.round(1).expect("first");
        source.log(0, |log| log.entries[2] = b"c, edited".to_vec());
        if grows {
            push(&source, 0, &entries("g", 1));
        }
        let evidence = refusal_of(witness.round(2));
        assert_eq!(
            evidence.join("consistency-proof.txt").exists(),
            grows,
            "a proof is kept when one was fetched"
        );
        assert_eq!(source.log(0, |log| log.received.len()), 1, "only the first");
    }
}

#[test]
fn a_checkpoint_the_log_key_did_not_sign_is_not_cosigned_and_is_no_refusal() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut forged = MemoryLog::new(&["a", "b", "c"]);
    forged.key = SigningKey::from_bytes(&[8; 32]);
    let source = TestSource::with(vec![MemoryLog::new(&["a"]), forged]);
    let mut witness = witness(&source, dir.path());
    witness.round(1).expect("first");
    source.show(1);
    assert!(matches!(witness.round(2), Err(WitnessError::Checkpoint(_))));
    assert_eq!(round_outcome(&mut witness, 3), Outcome::Failed);
    // Anyone on the path could forge that; it proves nothing against the relay.
    source.show(0);
    push(&source, 0, &entries("b", 1));
    assert_eq!(
        witness.round(4).expect("still witnessing"),
        Round::Cosigned { from: 1, size: 2 }
    );
}

#[test]
fn a_state_made_for_another_log_key_is_not_used() {
    let dir = tempfile::tempdir().expect("tempdir");
    let source = TestSource::with(vec![MemoryLog::new(&["a"])]);
    witness(&source, dir.path()).round(1).expect("first");
    let other = NoteSigner::new(ORIGIN, &SigningKey::from_bytes(&[1; 32]))
        .expect("name")
        .verifier();
    assert!(matches!(
        Witness::open(source, other, signer(), dir.path()),
        Err(WitnessError::OtherLog)
    ));
}

#[test]
fn the_witness_key_is_made_once_owner_only_and_reloaded() {
    let dir = tempfile::tempdir().expect("tempdir");
    let wdir = dir.path().join("witness");
    let first = load_signer(&wdir, WITNESS).expect("made");
    let again = load_signer(&wdir, WITNESS).expect("loaded");
    assert_eq!(first.verifier(), again.verifier());
    assert!(
        first
            .verifier()
            .to_string()
            .starts_with(&format!("{WITNESS}+"))
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode =
            |p: &std::path::Path| std::fs::metadata(p).expect("meta").permissions().mode() & 0o777;
        assert_eq!(mode(&wdir.join(super::run::KEY_FILE)), 0o600);
        assert_eq!(mode(&wdir), 0o700);
    }
    assert!(load_signer(&wdir, "has space").is_err());
    assert!(!wdir.join(STATE_FILE).exists());
}

/// The HTTP source against a server speaking the relay's log endpoints
/// (`docs/protocol.md`): checkpoint, consistency proof as base64 lines, cosignature POST.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_http_source_reads_checkpoints_and_proofs_and_posts_cosignatures() {
    use axum::extract::{Query, State};
    use axum::routing::{get, post};
    use base64ct::{Base64, Encoding};

    #[derive(serde::Deserialize)]
    struct Range {
        from: u64,
        to: u64,
    }
    let shared = TestSource::with(vec![MemoryLog::new(&["a", "b", "c"])]);
    let app = axum::Router::new()
        .route(
            "/v1/log/checkpoint",
            get(|State(s): State<TestSource>| async move { s.checkpoint(0).expect("note") }),
        )
        .route(
            "/v1/log/consistency",
            get(
                |State(s): State<TestSource>, Query(r): Query<Range>| async move {
                    s.consistency(r.from, r.to)
                        .expect("proof")
                        .iter()
                        .map(|h| format!("{}\n", Base64::encode_string(h)))
                        .collect::<String>()
                },
            ),
        )
        .route(
            "/v1/log/cosignature",
            post(|State(s): State<TestSource>, body: String| async move {
                s.submit_cosignature(&body).expect("taken");
                axum::http::StatusCode::NO_CONTENT
            }),
        )
        .with_state(shared.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("binds");
    let url = format!("http://{}", listener.local_addr().expect("addr"));
    tokio::spawn(async move { axum::serve(listener, app).await });

    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().to_owned();
    let (first, second) = {
        let shared = shared.clone();
        tokio::task::spawn_blocking(move || {
            let source = HttpLogSource::new(&url, None).expect("source");
            let mut witness =
                Witness::open(source, log_verifier(), signer(), &path).expect("opens");
            let first = witness.round(50).expect("first");
            push(&shared, 0, &entries("n", 4));
            (first, witness.round(51).expect("second"))
        })
        .await
        .expect("joins")
    };
    assert_eq!(first, Round::FirstCosigned { size: 3 });
    assert_eq!(second, Round::Cosigned { from: 3, size: 7 });
    let received = shared.log(0, |log| log.received.clone());
    assert_eq!(received.len(), 2);
    let opened =
        open_cosigned(&received[1], &log_verifier(), &[signer().verifier()]).expect("opens");
    assert_eq!(opened.checkpoint.size, 7);
}

#[test]
fn a_second_witness_on_the_same_directory_does_not_start_while_the_first_runs() {
    let source = TestSource::with(vec![MemoryLog::new(&["a"])]);
    let dir = tempfile::tempdir().expect("tempdir");
    let first = witness(&source, dir.path());
    assert!(matches!(
        Witness::open(source.clone(), log_verifier(), signer(), dir.path()),
        Err(WitnessError::Busy(_))
    ));
    drop(first);
    Witness::open(source, log_verifier(), signer(), dir.path())
        .expect("opens once the first stopped");
}

/// One witness's view of an in-process relay (its store, log key and configured
/// witnesses), through the relay's own functions: the checkpoint it serves a witness naming
/// itself ([`intake::tree_for_witness`]), proofs from the store, and the intake.
struct InProcessRelay {
    store: Arc<crate::storage::SqliteStore>,
    log_key: Arc<crate::transparency::checkpoint::LogKey>,
    configured: Vec<kiosk_core::tlog::cosignature::CosignatureVerifier>,
    this: kiosk_core::tlog::cosignature::CosignatureVerifier,
    /// The relay's clock, POSIX seconds.
    now: Arc<Mutex<u64>>,
    /// While set, a posted cosignature is answered 503 and not kept.
    failing: Arc<std::sync::atomic::AtomicBool>,
}

impl LogSource for InProcessRelay {
    fn checkpoint(&self, held: u64) -> Result<String, SourceError> {
        use crate::storage::prelude::*;
        let tip = self.store.log_tip().expect("tip");
        let tip =
            intake::tree_for_witness(self.store.as_ref(), tip, &self.configured, &self.this, held)
                .expect("reads");
        Ok(intake::with_cosignatures(
            &self.log_key.sign(tip),
            tip.size,
            &tip.root,
            self.store.as_ref(),
        )
        .expect("reads"))
    }

    fn consistency(&self, from: u64, to: u64) -> Result<Vec<Hash>, SourceError> {
        Ok(kiosk_core::tlog::tree::consistency_proof(
            &crate::transparency::source::StoreSubtrees(self.store.as_ref()),
            from,
            to,
        )
        .expect("a proof"))
    }

    fn submit_cosignature(&self, note: &str) -> Result<(), SourceError> {
        if self.failing.load(std::sync::atomic::Ordering::SeqCst) {
            return Err(SourceError::Refused {
                status: 503,
                code: "store_unavailable".to_owned(),
            });
        }
        let now = *self.now.lock().expect("clock");
        intake::accept_at(
            note.as_bytes(),
            &self.log_key.verifier(),
            &self.configured,
            self.store.as_ref(),
            now,
        )
        .map(|_| ())
        .map_err(|e| SourceError::Refused {
            status: e.status_and_code().0,
            code: e.status_and_code().1.to_owned(),
        })
    }
}

/// Two witnesses polling a growing relay log at different moments converge: after each
/// pair of rounds (the log growing before each round) the tree both cosigned advances,
/// because the slower one is served the tree the other just cosigned. Served the tip
/// instead, they would never land on one size while the log grows.
#[test]
fn two_witnesses_polling_alternately_a_growing_log_converge_every_pair_of_rounds() {
    use crate::storage::prelude::*;
    let store = Arc::new(crate::storage::SqliteStore::in_memory().expect("store"));
    crate::storage::ingest_generated_for_tests(store.as_ref(), 2);
    let tablet = SigningKey::from_bytes(&[7; 32]).verifying_key();
    let mut generator =
        kiosk_core::generator::RegistrationGenerator::new(kiosk_core::demo::demo_event(), 77);
    let mut seq = 1;
    let mut grow = || {
        seq += 1;
        let capture = crate::storage::capture_for_tests(
            &generator.next_registration().expect("valid"),
            &tablet,
        );
        crate::storage::ingest_for_tests(store.as_ref(), tablet.to_bytes(), seq, 0, vec![capture]);
    };
    let log_key = Arc::new(crate::transparency::checkpoint::LogKey::random());
    let other = || {
        CosignatureSigner::new(
            "dso.example.se/kiosk-witness",
            &SigningKey::from_bytes(&[10; 32]),
        )
        .expect("name")
    };
    let configured = vec![signer().verifier(), other().verifier()];
    let now = Arc::new(Mutex::new(1_000_000u64));
    let source = |this: &CosignatureSigner| InProcessRelay {
        store: store.clone(),
        log_key: log_key.clone(),
        configured: configured.clone(),
        this: this.verifier(),
        now: now.clone(),
        failing: Arc::default(),
    };
    let (dir_a, dir_b) = (
        tempfile::tempdir().expect("tempdir"),
        tempfile::tempdir().expect("tempdir"),
    );
    let mut first = Witness::open(
        source(&signer()),
        log_key.verifier(),
        signer(),
        dir_a.path(),
    )
    .expect("opens");
    let mut second =
        Witness::open(source(&other()), log_key.verifier(), other(), dir_b.path()).expect("opens");
    let mut common = 0;
    for _ in 0..4 {
        grow();
        let at = {
            let mut clock = now.lock().expect("clock");
            *clock += 60;
            *clock
        };
        first.round(at).expect("cosigns");
        grow();
        let at = {
            let mut clock = now.lock().expect("clock");
            *clock += 60;
            *clock
        };
        second.round(at).expect("cosigns");
        let tip = store.log_tip().expect("tip");
        let both = intake::newest_cosigned_tree(store.as_ref(), tip.size, &configured)
            .expect("reads")
            .map(|(size, _)| size)
            .expect("a tree both cosigned");
        let by_both = store
            .cosigned_by_all(
                tip.size,
                &configured
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>(),
                1,
            )
            .expect("reads");
        assert_eq!(
            by_both.first().map(|(size, _)| *size),
            Some(both),
            "cosigned by both"
        );
        assert!(both > common, "advanced from {common} to {both}");
        common = both;
    }
}

/// A witness whose delivery failed after it saved holds a tree the relay does not know it
/// cosigned; another witness's smaller tree arriving then is not served to it (it sends the
/// size it holds), so it is not refused, resends its cosignature, and the two converge.
#[test]
fn a_failed_delivery_then_a_smaller_tree_by_another_is_no_refusal_and_they_converge() {
    use crate::storage::prelude::*;
    let store = Arc::new(crate::storage::SqliteStore::in_memory().expect("store"));
    crate::storage::ingest_generated_for_tests(store.as_ref(), 3);
    let log_key = Arc::new(crate::transparency::checkpoint::LogKey::random());
    let other = || {
        CosignatureSigner::new(
            "dso.example.se/kiosk-witness",
            &SigningKey::from_bytes(&[10; 32]),
        )
        .expect("name")
    };
    let configured = vec![signer().verifier(), other().verifier()];
    let now = Arc::new(Mutex::new(1_000_000u64));
    let source = |this: &CosignatureSigner| InProcessRelay {
        store: store.clone(),
        log_key: log_key.clone(),
        configured: configured.clone(),
        this: this.verifier(),
        now: now.clone(),
        failing: Arc::default(),
    };
    let (dir_a, dir_b) = (
        tempfile::tempdir().expect("tempdir"),
        tempfile::tempdir().expect("tempdir"),
    );
    let relay_a = source(&signer());
    let failing = relay_a.failing.clone();
    let mut first =
        Witness::open(relay_a, log_key.verifier(), signer(), dir_a.path()).expect("opens");
    let tip = store.log_tip().expect("tip");
    assert!(tip.size >= 2);
    failing.store(true, std::sync::atomic::Ordering::SeqCst);
    assert!(matches!(
        first.round(1_000_010),
        Err(WitnessError::Delivery { .. })
    ));
    failing.store(false, std::sync::atomic::Ordering::SeqCst);
    assert_eq!(first.state().expect("saved").size, tip.size);
    // The other witness's cosignature of a smaller tree arrives (it fetched it earlier).
    let smaller = crate::storage::LogTip {
        size: tip.size - 1,
        root: kiosk_core::tlog::tree::root(
            &crate::transparency::source::StoreSubtrees(store.as_ref()),
            tip.size - 1,
        )
        .expect("root"),
    };
    let note = log_key.sign(smaller);
    let (body, _) = parse_note(&note).expect("note");
    let line = other().cosign(body, 1_000_020).expect("cosigns");
    intake::accept_at(
        format!("{note}{line}").as_bytes(),
        &log_key.verifier(),
        &configured,
        store.as_ref(),
        1_000_020,
    )
    .expect("taken");
    assert_eq!(
        first.round(1_000_030).expect("not refused"),
        Round::Unchanged {
            size: tip.size,
            resubmitted: true
        },
        "served the tree it holds, not the other's smaller one"
    );
    let mut second =
        Witness::open(source(&other()), log_key.verifier(), other(), dir_b.path()).expect("opens");
    second.round(1_000_040).expect("cosigns");
    assert_eq!(
        intake::newest_cosigned_tree(store.as_ref(), tip.size, &configured)
            .expect("reads")
            .map(|(size, _)| size),
        Some(tip.size),
        "both cosigned the tip"
    );
    let by_both = store
        .cosigned_by_all(
            tip.size,
            &configured
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>(),
            1,
        )
        .expect("reads");
    assert_eq!(by_both.first().map(|(size, _)| *size), Some(tip.size));
}
