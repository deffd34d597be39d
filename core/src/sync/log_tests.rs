//! The tablet's checks of the relay's transparency log, against a fake relay that keeps a
//! real Merkle tree ([`MemoryTree`]), signs real checkpoints and can be told to lie in each
//! way a forked or edited log shows itself.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use ed25519_dalek::SigningKey;

use super::*;
use crate::device::HandBack;
use crate::protocol::{LogInclusion, SyncResponse};
use crate::tlog::checkpoint::Checkpoint;
use crate::tlog::cosignature::CosignatureSigner;
use crate::tlog::note::{self, NoteSigner};
use crate::tlog::tree::MemoryTree;

const ORIGIN: &str = "relay.test/kiosk-log";

fn log_signer(seed: u8) -> NoteSigner {
    NoteSigner::new(ORIGIN, &SigningKey::from_bytes(&[seed; 32])).expect("a signer")
}

/// How the fake relay lies in its next answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Lie {
    None,
    /// A checkpoint of the tree as it was `n` leaves ago.
    Shrink(u64),
    /// The same size as the tablet holds, over other leaves.
    OtherRoot,
    /// A consistency proof with one hash flipped.
    BadConsistency,
    /// An inclusion proof with one hash flipped.
    BadInclusion,
    /// The checkpoint signed by another key under the log's name.
    OtherKey,
    /// An answer naming another log key.
    NamesOtherKey,
    /// No checkpoint at all.
    NoCheckpoint,
    /// Stored, but no inclusion proofs.
    NoInclusions,
    /// Restored from a backup: a new epoch, and the log as it was `n` leaves ago.
    Restored(u64),
    /// The first push's first leaf is about another document (in the log, properly proven).
    OtherDocument,
    /// The first push's first leaf is about a change the push did not send.
    OtherChange,
    /// The first push's first change proven twice, by two leaves in the log.
    SameChangeTwice,
    /// Inclusions without the record's nonce (a relay that does not give it).
    NoNonce,
    /// Stores, then the answer is lost on the way (the tablet sees a transport error).
    LoseAnswer,
    /// A new epoch (a restore from a backup as new as the tablet's view), the log honest.
    NewEpoch,
    /// A split view: the witness cosigned another tree than the one shown to the tablet.
    SplitView,
    /// The cosigned checkpoint carries a cosignature under the witness's name made with
    /// another key.
    ForgedCosignature,
}

/// What the relay's witness has cosigned, carried in every answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Cosign {
    /// The tree of `size` leaves, at `time` (POSIX seconds).
    At { size: u64, time: u64 },
    /// Whatever tree the answer shows, at `time`.
    Shown { time: u64 },
    /// A tree two leaves larger than the answer shows, at `time`: cosigned after the relay
    /// read the tip it answers with.
    Ahead { time: u64 },
}

/// The tablet clock of [`sync_once`], in POSIX seconds.
const NOW_SECS: u64 = 1_773_310_000;

fn witness_signer(seed: u8) -> CosignatureSigner {
    witness_named("witness.test/w", seed)
}

fn witness_named(name: &str, seed: u8) -> CosignatureSigner {
    CosignatureSigner::new(name, &SigningKey::from_bytes(&[seed; 32])).expect("name")
}

/// The fake relay's witness of [`witness_signer`] with seed 5: the one tests pin by default.
const FIRST_WITNESS: (&str, u8) = ("witness.test/w", 5);
/// A second witness, under a name of its own.
const SECOND_WITNESS: (&str, u8) = ("witness.test/second", 8);

/// A relay with a log: every capture pushed gets one leaf per change, attributed to the
/// tablet, and every answer carries the checkpoint, the consistency proof from the size
/// the tablet names, and inclusion proofs.
struct LoggingRelay {
    signing: SigningKey,
    log: NoteSigner,
    device: [u8; 32],
    /// The change hashes of each capture, from the tablet's journal.
    hashes: HashMap<String, Vec<[u8; 32]>>,
    state: Mutex<RelayState>,
}

struct RelayState {
    tree: MemoryTree,
    /// Every entry of the tree, in order: what a restore from a backup keeps a prefix of.
    leaves: Vec<Vec<u8>>,
    lie: Lie,
    /// Leaves others append between answers, so the tree grows.
    others_per_answer: u64,
    /// Run while the relay answers, after it read the request (a concurrent writer).
    during: Option<Box<dyn FnOnce() + Send>>,
    /// The sizes the tablet named, in order.
    sizes_asked: Vec<u64>,
    /// The witnesses the last request named (`log_witnesses`).
    witnesses_named: Vec<String>,
    /// The relay's epoch, in every answer.
    epoch: [u8; 16],
    /// What the witness cosigned, if anything.
    cosign: Option<Cosign>,
    /// The witnesses whose cosignatures the cosigned checkpoint carries (name, seed).
    cosigners: Vec<(&'static str, u8)>,
    /// The leaf index of each change already logged, by document and change hash: a change
    /// sent again is answered with the leaf written when it was first stored.
    logged: HashMap<(String, [u8; 32]), u64>,
    /// The bytes of the tablet's leaves, by index.
    entries: HashMap<u64, Vec<u8>>,
    /// Captures are kept apart for HR review (`quarantined` leaves), not stored.
    quarantine: bool,
    /// An edit's changes are logged with this kind (`accepted-before-log` for changes the
    /// relay held before its log existed).
    edit_kind: u8,
    /// Captures kept apart are logged with this kind (a lying relay's `capture`).
    quarantine_kind: u8,
    /// Every edit is refused with this code (as the relay refuses a tablet whose recruiter
    /// is no longer assigned, say), before anything else is checked.
    refuse_edits: Option<crate::protocol::ErrorCode>,
    /// Changes the relay lacks (lost in a restore): an edit depending on one it is not
    /// sent with is refused as `missing-dependencies`. Stored again, held again.
    lacks: std::collections::HashSet<[u8; 32]>,
    /// Every answer shows a restore: a new epoch, and the log one leaf smaller than the
    /// tablet holds (a relay that keeps going back). Answers past 20 fail the test: the
    /// tablet must not send for ever.
    restore_every_answer: bool,
}

/// The fake relay's nonce of a record.
fn nonce_of(doc_id: &str) -> [u8; 32] {
    crate::tlog::leaf::tagged_hash(b"test-nonce", &[doc_id.as_bytes()])
}

/// A change's leaf as the relay writes it (`sync-server`'s `Leaf::change`).
fn change_leaf(kind: u8, doc_id: &str, change: &[u8; 32], author: &[u8; 32], at: u64) -> Vec<u8> {
    let nonce = nonce_of(doc_id);
    let mut leaf = vec![1, kind];
    leaf.extend_from_slice(&crate::tlog::leaf::record_commitment(&nonce, doc_id));
    leaf.extend_from_slice(&crate::tlog::leaf::change_subject(&nonce, change));
    leaf.extend_from_slice(author);
    leaf.extend_from_slice(&(at as i64).to_be_bytes());
    leaf
}

fn leaf(kind: u8, author: &[u8; 32], n: u64) -> Vec<u8> {
    // version ‖ kind ‖ record commitment ‖ subject ‖ author ‖ accepted-at
    let mut leaf = vec![1, kind];
    leaf.extend_from_slice(&crate::tlog::hash::leaf_hash(&n.to_be_bytes()));
    leaf.extend_from_slice(&crate::tlog::hash::leaf_hash(&(n + 1).to_be_bytes()));
    leaf.extend_from_slice(author);
    leaf.extend_from_slice(&(n as i64).to_be_bytes());
    leaf
}

impl LoggingRelay {
    fn new(device: &Device) -> LoggingRelay {
        let hashes = device
            .journal_entries()
            .expect("journal")
            .into_iter()
            .map(|e| (e.doc_id.to_string(), e.change_hashes))
            .collect();
        LoggingRelay {
            signing: SigningKey::from_bytes(&[7; 32]),
            log: log_signer(9),
            device: device.device_id().public_key().expect("key").to_bytes(),
            hashes,
            state: Mutex::new(RelayState {
                tree: MemoryTree::new(),
                leaves: Vec::new(),
                lie: Lie::None,
                others_per_answer: 3,
                during: None,
                sizes_asked: Vec::new(),
                witnesses_named: Vec::new(),
                epoch: [2; 16],
                logged: HashMap::new(),
                entries: HashMap::new(),
                cosign: None,
                cosigners: vec![FIRST_WITNESS],
                quarantine: false,
                quarantine_kind: 10,
                edit_kind: 2,
                refuse_edits: None,
                lacks: std::collections::HashSet::new(),
                restore_every_answer: false,
            }),
        }
    }

    fn cosign(&self, cosign: Option<Cosign>) {
        self.state.lock().expect("state").cosign = cosign;
    }

    /// `note` with a cosignature line of `witness` at `time`.
    fn cosigned(note: &str, witness: &CosignatureSigner, time: u64) -> String {
        let (body, _) = note::parse_note(note).expect("note");
        format!("{note}{}", witness.cosign(body, time).expect("cosigns"))
    }

    fn lie(&self, lie: Lie) {
        self.state.lock().expect("state").lie = lie;
    }

    /// The witnesses that cosign from now on (name, seed), each on the same tree.
    fn cosigners(&self, cosigners: &[(&'static str, u8)]) {
        self.state.lock().expect("state").cosigners = cosigners.to_vec();
    }

    /// Restored from a backup that holds the first `size` leaves: a new epoch, and every
    /// leaf after them gone for good (a change sent again is logged anew), unlike
    /// [`Lie::Restored`], which only shows an older tree once.
    fn restore_to(&self, size: u64) {
        let mut state = self.state.lock().expect("state");
        state.leaves.truncate(size as usize);
        state.tree = MemoryTree::from_entries(state.leaves.iter().map(Vec::as_slice));
        let lost: Vec<[u8; 32]> = state
            .logged
            .iter()
            .filter(|(_, index)| **index >= size)
            .map(|((_, hash), _)| *hash)
            .collect();
        state.lacks.extend(lost);
        state.logged.retain(|_, index| *index < size);
        state.entries.retain(|index, _| *index < size);
        state.epoch = [state.epoch[0].wrapping_add(1); 16];
    }

    /// Restored in a new epoch with another history of `size` leaves, none of them this
    /// tablet's: a log no proof links to the one the tablet holds, however large.
    fn replace_history(&self, size: u64) {
        let mut state = self.state.lock().expect("state");
        state.leaves = (0..size).map(|n| leaf(1, &[0xCC; 32], 5000 + n)).collect();
        state.tree = MemoryTree::from_entries(state.leaves.iter().map(Vec::as_slice));
        state.logged.clear();
        state.entries.clear();
        state.epoch = [state.epoch[0].wrapping_add(1); 16];
    }

    fn checkpoint_of(&self, signer: &NoteSigner, size: u64, root: [u8; 32]) -> String {
        signer
            .sign(&Checkpoint::new(ORIGIN, size, root).to_body())
            .expect("signs")
    }
}

impl RelayState {
    /// Why an edit's changes are refused, if they are: every edit refused, or a change
    /// depending on one the relay lacks and the push does not carry. What it stores it
    /// holds from then on.
    fn edit_refusal(&mut self, bytes: &[u8]) -> Option<crate::protocol::ErrorCode> {
        if let Some(code) = self.refuse_edits {
            return Some(code);
        }
        let chunks = crate::documents::bounds::split_checked_chunks(bytes).expect("chunks");
        let changes: Vec<automerge::Change> = chunks
            .iter()
            .map(|c| automerge::Change::from_bytes(c.to_vec()).expect("a change"))
            .collect();
        let pushed: Vec<[u8; 32]> = changes.iter().map(|c| c.hash().0).collect();
        let missing = changes.iter().any(|c| {
            c.deps()
                .iter()
                .any(|d| self.lacks.contains(&d.0) && !pushed.contains(&d.0))
        });
        if missing {
            return Some(crate::protocol::ErrorCode::MissingDependencies);
        }
        for hash in &pushed {
            self.lacks.remove(hash);
        }
        None
    }

    /// Appends an entry to the log.
    fn append(&mut self, entry: Vec<u8>) {
        self.tree.push_entry(&entry);
        self.leaves.push(entry);
    }
}

impl Transport for LoggingRelay {
    fn post(&self, path: &str, body: Vec<u8>) -> std::result::Result<Vec<u8>, TransportError> {
        assert_eq!(path, "/v1/sync");
        let request: SyncRequest = SignedEnvelope::from_bytes(&body)
            .expect("envelope")
            .decode()
            .expect("request");
        // Every request says this tablet takes an edit's `accepted-before-log` leaf.
        assert_eq!(
            request.log_features,
            vec![crate::protocol::LOG_FEATURE_EDIT_BEFORE_LOG.to_owned()]
        );
        let mut state = self.state.lock().expect("state");
        state.sizes_asked.push(request.log_size);
        if state.restore_every_answer {
            assert!(state.sizes_asked.len() <= 20, "the tablet sends for ever");
            state.lie = Lie::Restored(0);
        }
        state.witnesses_named = request.log_witnesses.clone();
        if let Some(during) = state.during.take() {
            during();
        }
        let lie = state.lie;
        for n in 0..state.others_per_answer {
            let other = leaf(1, &[0xEE; 32], 1000 + state.tree.size() + n);
            state.append(other);
        }
        let mut outcomes = Vec::new();
        let mut appended = Vec::new();
        for (position, push) in request.pushes.iter().enumerate() {
            if let PushBody::Changes(bytes) = &push.body
                && let Some(code) = state.edit_refusal(bytes)
            {
                outcomes.push(PushOutcome::Rejected(code, "refused".into()));
                continue;
            }
            // A capture's changes from the tablet's journal; an edit's read from its chunks.
            let (kind, hashes) = match &push.body {
                PushBody::Sealed(_) => (
                    if state.quarantine {
                        state.quarantine_kind
                    } else {
                        1
                    },
                    self.hashes.get(&push.doc_id).cloned().unwrap_or_default(),
                ),
                PushBody::Changes(bytes) => (
                    state.edit_kind,
                    crate::documents::check_change_chunks(
                        bytes,
                        &crate::documents::ChunkLimits::STAFF_EDIT,
                    )
                    .expect("edit chunks")
                    .hashes,
                ),
            };
            for hash in &hashes {
                let key = (push.doc_id.clone(), *hash);
                let index = match state.logged.get(&key) {
                    Some(index) => *index,
                    None => {
                        let index = state.tree.size();
                        let bytes = change_leaf(kind, &push.doc_id, hash, &self.device, index);
                        state.append(bytes.clone());
                        state.entries.insert(index, bytes);
                        state.logged.insert(key, index);
                        index
                    }
                };
                appended.push((position as u32, index, push.doc_id.clone()));
            }
            outcomes.push(match &push.body {
                PushBody::Sealed(_) if state.quarantine => {
                    PushOutcome::Quarantined(crate::protocol::ErrorCode::Revoked, hashes)
                }
                _ => PushOutcome::Stored(hashes),
            });
        }
        // A lying relay's leaf, really in its log: only what it is about is wrong.
        let first = appended.first().cloned();
        if let (Some((push, _, doc_id)), true) = (
            first,
            matches!(
                lie,
                Lie::OtherDocument | Lie::OtherChange | Lie::SameChangeTwice
            ),
        ) {
            let kind = match &request.pushes[push as usize].body {
                PushBody::Sealed(_) => 1,
                PushBody::Changes(_) => 2,
            };
            let Some(PushOutcome::Stored(hashes)) = outcomes.get(push as usize) else {
                unreachable!("stored above")
            };
            let index = state.tree.size();
            let mut bytes = change_leaf(kind, &doc_id, &hashes[0], &self.device, index);
            match lie {
                Lie::OtherDocument => bytes[2..34].copy_from_slice(
                    &crate::tlog::leaf::record_commitment(&nonce_of(&doc_id), "another-document"),
                ),
                Lie::OtherChange => bytes[34..66].copy_from_slice(
                    &crate::tlog::leaf::change_subject(&nonce_of(&doc_id), &[0x77; 32]),
                ),
                _ => {}
            }
            state.append(bytes.clone());
            state.entries.insert(index, bytes);
            if lie == Lie::SameChangeTwice {
                appended.push((push, index, doc_id));
            } else {
                appended[0] = (push, index, doc_id);
            }
        }
        let size = state.tree.size();
        let mut checkpoint = self.checkpoint_of(&self.log, size, state.tree.root());
        // None for a tablet holding a larger tree than a restored relay's.
        let mut consistency = if request.log_size == 0 || request.log_size > size {
            Vec::new()
        } else {
            state
                .tree
                .consistency_proof(request.log_size, size)
                .expect("proof")
        };
        let mut inclusions: Vec<LogInclusion> = appended
            .into_iter()
            .map(|(push, index, doc_id)| LogInclusion {
                push,
                index,
                leaf: state.entries[&index].clone(),
                proof: state.tree.inclusion_proof(index, size).expect("proof"),
                nonce: Some(nonce_of(&doc_id)),
            })
            .collect();
        let mut log_key = (request.log_size == 0).then(|| self.log.verifier().to_string());
        let mut shown = size;
        match lie {
            Lie::None => {}
            Lie::Shrink(by) => {
                let smaller = size - by;
                let root = state.tree.root_at(smaller).expect("root");
                checkpoint = self.checkpoint_of(&self.log, smaller, root);
                consistency.clear();
                inclusions.clear();
                shown = smaller;
            }
            Lie::OtherRoot => {
                let other = MemoryTree::from_entries(
                    (0..request.log_size)
                        .map(|n| leaf(1, &[0xDD; 32], n))
                        .collect::<Vec<_>>()
                        .iter()
                        .map(Vec::as_slice),
                );
                checkpoint = self.checkpoint_of(&self.log, request.log_size, other.root());
                consistency.clear();
                inclusions.clear();
            }
            Lie::BadConsistency => consistency[0][0] ^= 1,
            Lie::BadInclusion => inclusions[0].proof[0][0] ^= 1,
            Lie::OtherKey => {
                let other = log_signer(10);
                checkpoint = self.checkpoint_of(&other, size, state.tree.root());
            }
            Lie::NamesOtherKey => log_key = Some(log_signer(10).verifier().to_string()),
            Lie::NoCheckpoint => {
                return Ok(self.answer(
                    &body,
                    request.journal,
                    state.epoch,
                    outcomes,
                    LogPart::default(),
                ));
            }
            Lie::NoInclusions => inclusions.clear(),
            Lie::OtherDocument | Lie::OtherChange | Lie::SameChangeTwice => {}
            Lie::NoNonce => inclusions.iter_mut().for_each(|i| i.nonce = None),
            Lie::LoseAnswer => {
                // Once: the tablet sends again.
                state.lie = Lie::None;
                return Err(TransportError::Unreachable("the answer was lost".into()));
            }
            Lie::Restored(by) => {
                // Once: the records sent again after it are answered by the restored relay.
                state.lie = Lie::None;
                // A new epoch for every restore.
                state.epoch = [state.epoch[0].wrapping_add(1); 16];
                let smaller = if state.restore_every_answer {
                    request.log_size.saturating_sub(1)
                } else {
                    size - by
                };
                let root = state.tree.root_at(smaller).expect("root");
                checkpoint = self.checkpoint_of(&self.log, smaller, root);
                consistency.clear();
                inclusions.clear();
                shown = smaller;
            }
            Lie::NewEpoch => state.epoch = [4; 16],
            Lie::SplitView | Lie::ForgedCosignature => {}
        }
        let (mut cosigned, mut cosigned_consistency) = (None, Vec::new());
        if let Some(cosign) = state.cosign {
            let (at, time) = match cosign {
                Cosign::At { size, time } => (size, time),
                Cosign::Shown { time } | Cosign::Ahead { time } => (shown, time),
            };
            let mut root = state.tree.root_at(at).expect("root");
            let at = if let Cosign::Ahead { .. } = cosign {
                let mut later = state.tree.clone();
                for n in 0..2 {
                    later.push_entry(&leaf(1, &[0xEE; 32], 9000 + n));
                }
                root = later.root();
                later.size()
            } else {
                at
            };
            let mut witnesses: Vec<CosignatureSigner> = state
                .cosigners
                .iter()
                .map(|(name, seed)| witness_named(name, *seed))
                .collect();
            match lie {
                // The witness saw other leaves at that size.
                Lie::SplitView => root[0] ^= 1,
                Lie::ForgedCosignature => witnesses[0] = witness_signer(6),
                _ => {}
            }
            let mut note = self.checkpoint_of(&self.log, at, root);
            for witness in &witnesses {
                note = Self::cosigned(&note, witness, time);
            }
            cosigned = Some(note);
            if at < shown {
                cosigned_consistency = state.tree.consistency_proof(at, shown).expect("proof");
            }
        }
        let epoch = state.epoch;
        Ok(self.answer(
            &body,
            request.journal,
            epoch,
            outcomes,
            LogPart {
                key: log_key,
                checkpoint: Some(checkpoint),
                consistency,
                inclusions,
                cosigned,
                cosigned_consistency,
            },
        ))
    }
}

/// The log's fields of one answer.
#[derive(Default)]
struct LogPart {
    key: Option<String>,
    checkpoint: Option<String>,
    consistency: Vec<[u8; 32]>,
    inclusions: Vec<LogInclusion>,
    cosigned: Option<String>,
    cosigned_consistency: Vec<[u8; 32]>,
}

impl LoggingRelay {
    fn answer(
        &self,
        request: &[u8],
        journal: crate::protocol::JournalState,
        relay_epoch: [u8; 16],
        outcomes: Vec<PushOutcome>,
        log: LogPart,
    ) -> Vec<u8> {
        let response = SyncResponse {
            outcomes,
            // The relay holds all the tablet journalled: confirmed as sent.
            journal_confirmed: journal,
            commit_seq: Some(1),
            log_key: log.key,
            log_checkpoint: log.checkpoint,
            log_consistency: log.consistency,
            log_inclusions: log.inclusions,
            log_cosigned: log.cosigned,
            log_cosigned_consistency: log.cosigned_consistency,
            ..SyncResponse::empty(self.device, SignedEnvelope::hash(request), relay_epoch)
        };
        SignedEnvelope::sign(crate::protocol::RECEIPT_TAG, &response, &self.signing).to_bytes()
    }
}

fn sync_once(device: &Device, relay: &LoggingRelay) -> Result<SyncReport> {
    sync_at(device, relay, NOW_SECS)
}

fn sync_at(device: &Device, relay: &LoggingRelay, secs: u64) -> Result<SyncReport> {
    sync(device, relay, &NoListener, BatchLimits::default(), || {
        Timestamp(secs as i64 * 1000)
    })
}

/// A kiosk that pins the fake relay's signing key and has `captures` registrations waiting.
fn kiosk(dir: &tempfile::TempDir, captures: usize) -> Arc<Device> {
    let device = crate::generator::demo_kiosk(&dir.path().join("kiosk.sqlite3")).expect("opens");
    device
        .lock()
        .expect("lock")
        .store
        .set_meta(
            crate::device::META_RELAY_SIGNING_KEY,
            SigningKey::from_bytes(&[7; 32]).verifying_key().as_bytes(),
        )
        .expect("pins");
    device
        .pin_relay_key(
            crate::capture::RelayOpeningKey::from_seed(&[2; 32])
                .sealing_key()
                .clone(),
        )
        .expect("pins");
    if captures > 0 {
        crate::generator::capture_generated(&device, captures, 1).expect("captures");
    }
    device
}

fn held_size(device: &Device) -> u64 {
    let checkpoint = device.log_checkpoint().expect("reads").expect("held");
    log_check::checkpoint_of(&checkpoint).expect("reads").size
}

/// A tablet that synced with an honest relay once and holds its checkpoint and key.
fn synced(dir: &tempfile::TempDir, captures: usize) -> (Arc<Device>, LoggingRelay) {
    let device = kiosk(dir, captures);
    let relay = LoggingRelay::new(&device);
    sync_once(&device, &relay).expect("an honest relay's answer is accepted");
    (device, relay)
}

/// The fork is kept with both checkpoints, later syncs are refused locally without asking
/// the relay, and the tablet is never safe to hand back, even after a restart.
fn assert_fork(device: &Device, relay: &LoggingRelay, error: Error, code: &str) {
    assert!(
        matches!(&error, Error::LogFork { code: c } if c == code),
        "{error}"
    );
    let evidence = device.log_fork().expect("reads").expect("kept");
    assert_eq!(evidence.code, code);
    assert!(
        evidence.held_checkpoint.is_some(),
        "the held checkpoint is kept"
    );
    assert!(
        evidence.new_checkpoint.is_some(),
        "the answer's checkpoint is kept"
    );
    assert!(evidence.answer.is_some(), "the relay-signed answer is kept");
    let text = evidence.to_text();
    assert!(text.contains(&format!("reason: {code}")), "{text}");
    assert!(text.contains(ORIGIN), "both notes verbatim: {text}");
    assert_eq!(
        device.hand_back().expect("reads"),
        HandBack::LogFork { code: code.into() }
    );
    assert!(!device.close_report().expect("reads").is_complete());
    let asked = relay.state.lock().expect("state").sizes_asked.len();
    relay.lie(Lie::None);
    let again = sync_once(device, relay).expect_err("refused after a fork");
    assert!(matches!(again, Error::LogFork { .. }), "{again}");
    assert_eq!(
        relay.state.lock().expect("state").sizes_asked.len(),
        asked,
        "a tablet that saw a fork does not even ask the relay"
    );
}

#[test]
fn a_good_sequence_of_checkpoints_is_accepted_stored_and_named_in_the_next_request() {
    let dir = tempfile::tempdir().expect("tempdir");
    let device = kiosk(&dir, 2);
    let relay = LoggingRelay::new(&device);
    assert_eq!(device.log_key().expect("reads"), None);
    let report = sync_once(&device, &relay).expect("accepted");
    assert_eq!(report.received, 2, "each capture proven in the log");
    // Pinned from the relay-signed answer, since this tablet was enrolled without one.
    assert_eq!(
        device.log_key().expect("reads"),
        Some(relay.log.verifier().to_string())
    );
    let first = held_size(&device);
    let changes: usize = relay.hashes.values().map(Vec::len).sum();
    assert_eq!(
        first,
        3 + changes as u64,
        "others' leaves and one per change"
    );
    crate::generator::capture_generated(&device, 1, 2).expect("captures");
    let relay = LoggingRelay {
        hashes: LoggingRelay::new(&device).hashes,
        ..relay
    };
    let report = sync_once(&device, &relay).expect("a consistent checkpoint is accepted");
    assert_eq!(report.received, 1);
    assert!(held_size(&device) > first, "the held checkpoint grew");
    sync_once(&device, &relay).expect("and again");
    let asked = relay.state.lock().expect("state").sizes_asked.clone();
    assert_eq!(asked[0], 0, "the first request names no log");
    assert_eq!(asked[1], first, "the next names the checkpoint held");
    assert!(asked[2] > asked[1]);
    assert_eq!(device.hand_back().expect("reads"), HandBack::Safe);
    assert_eq!(device.log_fork().expect("reads"), None);
}

#[test]
fn a_smaller_tree_is_a_fork() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (device, relay) = synced(&dir, 1);
    relay.lie(Lie::Shrink(5));
    let error = sync_once(&device, &relay).expect_err("a fork");
    assert_fork(&device, &relay, error, "smaller_tree");
}

/// A relay restored from a backup (a new epoch) rolled its log back with its store: not a
/// fork, but the checkpoint held is kept aside; within the new epoch the checks go on.
#[test]
fn a_smaller_tree_in_a_new_epoch_is_a_restore_and_the_checkpoint_held_is_kept_aside() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (device, relay) = synced(&dir, 1);
    let held = device.log_checkpoint().expect("reads");
    relay.lie(Lie::Restored(5));
    let report = sync_once(&device, &relay).expect("a restore is not a fork");
    assert!(report.log_restored);
    assert_eq!(device.log_checkpoint_before_restore().expect("reads"), held);
    assert_eq!(
        report.resent, 1,
        "the record received in the old epoch is sent again"
    );
    assert_eq!(device.log_fork().expect("reads"), None);
    // Not silent: staff see it until they acknowledge it.
    let from = log_check::checkpoint_of(held.as_deref().expect("held"))
        .expect("reads")
        .size;
    let restore = device.log_restore().expect("reads").expect("kept");
    assert_eq!(restore.from, from);
    assert!(restore.to < restore.from, "the log went back");
    assert_eq!(
        device.hand_back().expect("reads"),
        HandBack::LogRestored {
            from: restore.from,
            to: restore.to
        }
    );
    assert!(
        !device
            .acknowledge_log_restore(restore.at - 1)
            .expect("reads"),
        "not the restore staff were shown: it stays"
    );
    assert_eq!(device.log_restore().expect("reads"), Some(restore));
    assert!(
        device
            .acknowledge_log_restore(restore.at)
            .expect("acknowledges")
    );
    assert_eq!(device.log_restore().expect("reads"), None);
    assert!(!matches!(
        device.hand_back().expect("reads"),
        HandBack::LogRestored { .. }
    ));
    assert!(
        !device
            .acknowledge_log_restore(restore.at)
            .expect("nothing left")
    );
    // The same epoch from now on: a smaller tree again is a fork.
    relay.lie(Lie::Shrink(8));
    let error = sync_once(&device, &relay).expect_err("a fork");
    assert_fork(&device, &relay, error, "smaller_tree");
}

/// A relay restored from a backup as new as the tablet's view proves its log extends the
/// held one across the new epoch: nothing to see; and the checks go on in the new epoch.
#[test]
fn a_new_epoch_whose_log_extends_the_held_one_passes_as_usual() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (device, relay) = synced(&dir, 1);
    relay.lie(Lie::NewEpoch);
    let report = sync_once(&device, &relay).expect("a consistent log is accepted");
    assert!(!report.log_restored, "nothing went back");
    assert_eq!(device.log_restore().expect("reads"), None);
    assert_eq!(device.log_checkpoint_before_restore().expect("reads"), None);
    relay.lie(Lie::BadConsistency);
    let error = sync_once(&device, &relay).expect_err("a fork");
    assert_fork(&device, &relay, error, "bad_consistency_proof");
}

/// A tablet that requires the relay's witness, synced once with an honest relay whose
/// witness cosigned what it showed a minute before.
fn witnessed(dir: &tempfile::TempDir, captures: usize) -> (Arc<Device>, LoggingRelay) {
    let device = kiosk(dir, captures);
    device
        .require_witnesses(&[witness_signer(5).verifier().to_string()])
        .expect("pins");
    let relay = LoggingRelay::new(&device);
    relay.cosign(Some(Cosign::Shown {
        time: NOW_SECS - 60,
    }));
    let report = sync_once(&device, &relay).expect("accepted");
    assert_eq!(report.received, captures as u64);
    (device, relay)
}

#[test]
fn with_a_pinned_witness_a_capture_is_received_only_once_the_witness_cosigned_a_tree_holding_it() {
    let dir = tempfile::tempdir().expect("tempdir");
    let device = kiosk(&dir, 2);
    device
        .require_witnesses(&[witness_signer(5).verifier().to_string()])
        .expect("pins");
    let relay = LoggingRelay::new(&device);
    // No witness has cosigned yet: stored and proven, but not received.
    let report = sync_once(&device, &relay).expect("answered");
    assert_eq!((report.received, report.awaiting_witness), (0, 2));
    assert_eq!(
        device.hand_back().expect("reads"),
        HandBack::AwaitingWitness {
            captures: 2,
            unreceipted: 2
        }
    );
    assert_eq!(device.witnessed_checkpoint().expect("reads"), None);
    // The witness cosigned a tree holding the first capture's leaf but not the second's
    // (sent again, each capture is proven by the leaf written when it was first stored):
    // the first is received, the second still waits.
    let before = held_size(&device) - 1;
    relay.cosign(Some(Cosign::At {
        size: before,
        time: NOW_SECS - 60,
    }));
    let report = sync_once(&device, &relay).expect("answered");
    assert_eq!((report.received, report.awaiting_witness), (1, 1));
    let witnessed = device.witnessed_checkpoint().expect("reads").expect("kept");
    assert_eq!(
        log_check::checkpoint_of(&witnessed).expect("reads").size,
        before
    );
    // The witness cosigned a tree holding both: the second is received too.
    relay.cosign(Some(Cosign::Shown {
        time: NOW_SECS - 60,
    }));
    let report = sync_once(&device, &relay).expect("answered");
    assert_eq!((report.received, report.awaiting_witness), (1, 0));
    assert_eq!(device.hand_back().expect("reads"), HandBack::Safe);
    // An older cosigned tree later does not move the witnessed one back.
    let held = device.witnessed_checkpoint().expect("reads");
    relay.cosign(Some(Cosign::At {
        size: before,
        time: NOW_SECS - 30,
    }));
    sync_once(&device, &relay).expect("answered");
    assert_eq!(device.witnessed_checkpoint().expect("reads"), held);
}

#[test]
fn a_stale_or_forged_cosignature_does_not_count() {
    let dir = tempfile::tempdir().expect("tempdir");
    let device = kiosk(&dir, 1);
    device
        .require_witnesses(&[witness_signer(5).verifier().to_string()])
        .expect("pins");
    let relay = LoggingRelay::new(&device);
    relay.cosign(Some(Cosign::Shown {
        time: NOW_SECS - log_check::MAX_COSIGNATURE_AGE_SECS - 1,
    }));
    let report = sync_once(&device, &relay).expect("answered");
    assert_eq!((report.received, report.awaiting_witness), (0, 1));
    relay.cosign(Some(Cosign::Shown {
        time: NOW_SECS - 60,
    }));
    relay.lie(Lie::ForgedCosignature);
    let report = sync_once(&device, &relay).expect("answered");
    assert_eq!((report.received, report.awaiting_witness), (0, 1));
    assert_eq!(device.log_fork().expect("reads"), None, "no claim, no fork");
    relay.lie(Lie::None);
    let report = sync_once(&device, &relay).expect("answered");
    assert_eq!(report.received, 1, "fresh and genuine: counted");
}

/// The relay shows this tablet a tree that does not extend the one the witness cosigned:
/// the split view is caught and kept as a fork, with the cosigned checkpoint.
#[test]
fn a_split_view_the_witness_did_not_cosign_is_a_fork() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (device, relay) = witnessed(&dir, 1);
    relay.lie(Lie::SplitView);
    let error = sync_once(&device, &relay).expect_err("a fork");
    let evidence = device.log_fork().expect("reads").expect("kept");
    assert!(evidence.cosigned_checkpoint.is_some(), "{evidence:?}");
    assert!(evidence.to_text().contains("witnesses cosigned"));
    assert_fork(&device, &relay, error, "cosigned_not_prefix");
}

/// A tablet requiring no witness ignores the cosigned checkpoint: behaviour unchanged.
#[test]
fn without_a_pinned_witness_the_cosigned_checkpoint_changes_nothing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let device = kiosk(&dir, 1);
    let relay = LoggingRelay::new(&device);
    relay.cosign(Some(Cosign::Shown {
        time: NOW_SECS - 60,
    }));
    relay.lie(Lie::SplitView);
    let report = sync_once(&device, &relay).expect("accepted");
    assert_eq!((report.received, report.awaiting_witness), (1, 0));
    assert_eq!(device.witnessed_checkpoint().expect("reads"), None);
}

/// With a pinned witness, a log that went back in a new epoch is refused (not a fork)
/// until the witness cosigned the restored log after the tablet stored its checkpoint;
/// then it is taken without a staff acknowledgement.
#[test]
fn with_a_pinned_witness_a_restore_is_refused_until_the_witness_cosigned_the_restored_log() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (device, relay) = witnessed(&dir, 1);
    let held = device.log_checkpoint().expect("reads");
    // The hostile (or unconfirmed) restore: the witness's cosignature is not later than
    // its cosignature of the tree the tablet holds (at NOW_SECS - 60), or is stale.
    let stale_at = NOW_SECS - 30 + log_check::MAX_COSIGNATURE_AGE_SECS + 10;
    for (cosign, now) in [
        (None, NOW_SECS + 60),
        (
            Some(Cosign::At {
                size: 1,
                time: NOW_SECS - 60,
            }),
            NOW_SECS + 60,
        ),
        (
            Some(Cosign::Shown {
                time: NOW_SECS - 60,
            }),
            NOW_SECS + 60,
        ),
        // Fresh, but older than the witness's cosignature the tablet holds (a replay).
        (
            Some(Cosign::Shown {
                time: NOW_SECS - 61,
            }),
            NOW_SECS + 60,
        ),
        // Later than the held cosignature, but stale by the tablet clock.
        (
            Some(Cosign::Shown {
                time: NOW_SECS - 30,
            }),
            stale_at,
        ),
        // The tree the witness cosigned before the restore, larger than the restored
        // log: no claim about it, refused as well, and no fork.
        (
            Some(Cosign::At {
                size: held_size(&device),
                time: NOW_SECS + 30,
            }),
            NOW_SECS + 60,
        ),
    ] {
        relay.cosign(cosign);
        relay.lie(Lie::Restored(back_to_two(&relay)));
        let error = sync_at(&device, &relay, now).expect_err("refused");
        assert!(
            matches!(error, Error::LogRestoreUnconfirmed { from, to } if to < from),
            "{cosign:?}: {error}"
        );
        assert_eq!(device.log_fork().expect("reads"), None, "not a fork");
        assert_eq!(device.log_checkpoint().expect("reads"), held);
        let text = crate::user_messages::user_message(&error);
        assert!(text.en.contains("restored from a backup") && text.sv.contains("återställts"));
    }
    // The witness's operator accepted the restored log, and the witness cosigned it.
    relay.cosign(Some(Cosign::Shown {
        time: NOW_SECS + 30,
    }));
    relay.lie(Lie::Restored(back_to_two(&relay)));
    let report = sync_at(&device, &relay, NOW_SECS + 60).expect("confirmed by the witness");
    assert!(report.log_restored);
    assert_eq!(device.log_checkpoint_before_restore().expect("reads"), held);
    // It went back past leaves this tablet had proven: staff still hear of it, since staff
    // edits counted stored on a proof alone may be among what it lost.
    let kept = device
        .log_restore()
        .expect("reads")
        .expect("kept for staff");
    assert!(kept.to < kept.from, "{kept:?}");
    let witnessed = device.witnessed_checkpoint().expect("reads").expect("kept");
    assert_eq!(
        log_check::checkpoint_of(&witnessed).expect("reads").size,
        held_size(&device),
        "the witnessed tree starts anew from the restored one"
    );
}

/// A tablet that requires witnesses but holds no tree they cosigned yet (just enrolled, or
/// its witnesses replaced) takes a restore as a tablet without witnesses does: kept for staff
/// to acknowledge, never refused for good (no cosignature could ever be "later" than one it
/// does not hold).
#[test]
fn a_restore_before_any_witnessed_tree_is_kept_for_staff_not_refused_for_good() {
    let dir = tempfile::tempdir().expect("tempdir");
    let device = kiosk(&dir, 1);
    device
        .require_witnesses(&[witness_signer(5).verifier().to_string()])
        .expect("pins");
    let relay = LoggingRelay::new(&device);
    let report = sync_once(&device, &relay).expect("answered");
    assert_eq!(report.awaiting_witness, 1);
    assert_eq!(device.witnessed_checkpoint().expect("reads"), None);
    relay.cosign(Some(Cosign::Shown {
        time: NOW_SECS - 60,
    }));
    relay.lie(Lie::Restored(back_to_two(&relay)));
    let report = sync_once(&device, &relay).expect("taken, not refused");
    assert!(report.log_restored);
    let kept = device
        .log_restore()
        .expect("reads")
        .expect("kept for staff");
    assert!(kept.to < kept.from, "{kept:?}");
    assert_eq!(device.unconfirmed_log_restore().expect("reads"), None);
}

/// How far back [`Lie::Restored`] must go for the next answer to show 2 leaves.
fn back_to_two(relay: &LoggingRelay) -> u64 {
    let state = relay.state.lock().expect("state");
    state.tree.size() + state.others_per_answer - 2
}

#[test]
fn witness_keys_are_required_only_when_they_read_and_are_few() {
    let dir = tempfile::tempdir().expect("tempdir");
    let device = kiosk(&dir, 0);
    let good = witness_signer(5).verifier().to_string();
    for bad in [
        vec![],
        vec!["not a key".to_owned()],
        vec![log_signer(9).verifier().to_string()],
        (0..=16u8)
            .map(|seed| witness_signer(seed).verifier().to_string())
            .collect(),
    ] {
        let error = device.require_witnesses(&bad).expect_err("refused");
        assert!(matches!(error, Error::BadWitnessKeys { .. }), "{error}");
    }
    assert!(device.witness_keys().expect("reads").is_empty());
    device
        .require_witnesses(&[good.clone(), format!(" {good}")])
        .expect("pins");
    assert_eq!(device.witness_keys().expect("reads"), vec![good]);
    let other = witness_signer(6).verifier().to_string();
    device
        .require_witnesses(std::slice::from_ref(&other))
        .expect("replaced explicitly");
    assert_eq!(device.witness_keys().expect("reads"), vec![other]);
}

/// Blank entries (a form's empty lines) are passed over but keep their place: a key that
/// does not read is named by its line, and only blank ones are none.
#[test]
fn blank_witness_keys_are_passed_over_and_a_bad_key_is_named_by_its_line() {
    use crate::error::WitnessKeysRefused;
    let dir = tempfile::tempdir().expect("tempdir");
    let device = kiosk(&dir, 0);
    let good = witness_signer(5).verifier().to_string();
    let lines = |text: &[&str]| -> Vec<String> { text.iter().map(|l| (*l).to_owned()).collect() };
    let error = device
        .require_witnesses(&lines(&["", &good, " ", "not a key"]))
        .expect_err("refused");
    assert!(
        matches!(
            error,
            Error::BadWitnessKeys {
                reason: WitnessKeysRefused::NotAWitnessKey { position: 4 }
            }
        ),
        "{error}"
    );
    let error = device
        .require_witnesses(&lines(&["", "  "]))
        .expect_err("refused");
    assert!(
        matches!(
            error,
            Error::BadWitnessKeys {
                reason: WitnessKeysRefused::None
            }
        ),
        "{error}"
    );
    device
        .require_witnesses(&lines(&["", &good, ""]))
        .expect("pins");
    assert_eq!(device.witness_keys().expect("reads"), vec![good]);
}

#[test]
fn a_different_root_at_the_same_size_is_a_fork() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (device, relay) = synced(&dir, 1);
    relay.state.lock().expect("state").others_per_answer = 0;
    relay.lie(Lie::OtherRoot);
    let error = sync_once(&device, &relay).expect_err("a fork");
    assert_fork(&device, &relay, error, "different_root");
}

#[test]
fn a_bad_consistency_proof_is_a_fork() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (device, relay) = synced(&dir, 1);
    relay.lie(Lie::BadConsistency);
    let error = sync_once(&device, &relay).expect_err("a fork");
    assert_fork(&device, &relay, error, "bad_consistency_proof");
    let evidence = device.log_fork().expect("reads").expect("kept");
    assert!(!evidence.consistency.is_empty(), "the failed proof is kept");
}

#[test]
fn a_bad_inclusion_proof_is_a_fork_and_nothing_of_the_answer_is_applied() {
    let dir = tempfile::tempdir().expect("tempdir");
    let device = kiosk(&dir, 0);
    let relay = LoggingRelay::new(&device);
    sync_once(&device, &relay).expect("accepted");
    crate::generator::capture_generated(&device, 1, 3).expect("captures");
    let relay = LoggingRelay {
        hashes: LoggingRelay::new(&device).hashes,
        ..relay
    };
    let held = device.log_checkpoint().expect("reads");
    relay.lie(Lie::BadInclusion);
    let error = sync_once(&device, &relay).expect_err("a fork");
    assert_eq!(
        device.log_checkpoint().expect("reads"),
        held,
        "the forked checkpoint is not stored as the held one"
    );
    assert_eq!(device.close_report().expect("reads").received, 0);
    let evidence = device.log_fork().expect("reads").expect("kept");
    assert!(evidence.inclusion.is_some(), "the failed inclusion is kept");
    assert_fork(&device, &relay, error, "bad_inclusion_proof");
}

#[test]
fn a_checkpoint_signed_by_another_key_is_a_fork() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (device, relay) = synced(&dir, 1);
    relay.lie(Lie::OtherKey);
    let error = sync_once(&device, &relay).expect_err("a fork");
    assert_fork(&device, &relay, error, "bad_checkpoint_signature");
}

#[test]
fn an_answer_naming_another_log_key_is_a_fork_and_the_pinned_key_stays() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (device, relay) = synced(&dir, 1);
    let pinned = device.log_key().expect("reads");
    relay.lie(Lie::NamesOtherKey);
    let error = sync_once(&device, &relay).expect_err("a fork");
    assert_eq!(device.log_key().expect("reads"), pinned, "never replaced");
    assert_fork(&device, &relay, error, "other_log_key");
}

#[test]
fn an_answer_without_a_checkpoint_is_not_applied_once_a_log_key_is_pinned() {
    let dir = tempfile::tempdir().expect("tempdir");
    let device = kiosk(&dir, 0);
    let relay = LoggingRelay::new(&device);
    sync_once(&device, &relay).expect("accepted");
    crate::generator::capture_generated(&device, 1, 4).expect("captures");
    let relay = LoggingRelay {
        hashes: LoggingRelay::new(&device).hashes,
        ..relay
    };
    relay.lie(Lie::NoCheckpoint);
    let error = sync_once(&device, &relay).expect_err("refused");
    assert!(matches!(error, Error::LogMissing), "{error}");
    assert_eq!(device.close_report().expect("reads").received, 0);
    assert_eq!(
        device.log_fork().expect("reads"),
        None,
        "not a fork: no claim"
    );
    // Stored without a proof that the log holds it: not received, sent again.
    relay.lie(Lie::NoInclusions);
    let report = sync_once(&device, &relay).expect("answered");
    assert_eq!(report.received, 0);
    assert!(!device.hand_back().expect("reads").is_safe());
    relay.lie(Lie::None);
    let report = sync_once(&device, &relay).expect("answered");
    assert_eq!(report.received, 1, "proven this time");
}

#[test]
fn a_checkpoint_stored_concurrently_is_not_overwritten() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (device, relay) = synced(&dir, 1);
    // While the relay answers, another writer stores another (valid) checkpoint.
    let concurrent = relay.checkpoint_of(&relay.log, 1, [0x42; 32]);
    let path = dir.path().join("kiosk.sqlite3");
    let written = concurrent.clone();
    relay.state.lock().expect("state").during = Some(Box::new(move || {
        let conn = rusqlite::Connection::open(&path).expect("opens");
        conn.execute(
            "UPDATE meta SET value = ?1 WHERE key = 'log_checkpoint'",
            [written.as_bytes()],
        )
        .expect("writes");
    }));
    let error = sync_once(&device, &relay).expect_err("the swap fails");
    assert!(matches!(error, Error::LogChanged), "{error}");
    assert_eq!(
        device.log_checkpoint().expect("reads"),
        Some(concurrent),
        "the concurrent checkpoint stays"
    );
    assert_eq!(device.log_fork().expect("reads"), None);
}

#[test]
fn a_tablet_enrolled_with_a_log_key_refuses_a_checkpoint_of_another_log_from_the_first_sync() {
    let dir = tempfile::tempdir().expect("tempdir");
    let device = kiosk(&dir, 1);
    device
        .lock()
        .expect("lock")
        .store
        .set_meta(
            META_LOG_KEY,
            log_signer(10).verifier().to_string().as_bytes(),
        )
        .expect("pins");
    let relay = LoggingRelay::new(&device);
    let error = sync_once(&device, &relay).expect_err("a fork");
    assert!(
        matches!(&error, Error::LogFork { code } if code == "other_log_key"),
        "{error}"
    );
    assert!(matches!(
        device.hand_back().expect("reads"),
        HandBack::LogFork { .. }
    ));
}

/// Any subtree of any tree: proofs of the right shape at any size, without hashing a
/// million leaves (sizes, not values, are measured here).
struct AnyTree;

impl crate::tlog::tree::SubtreeSource for AnyTree {
    type Error = std::convert::Infallible;

    fn perfect_subtree(&self, level: u8, index: u64) -> std::result::Result<[u8; 32], Self::Error> {
        let mut hash = [level; 32];
        hash[..8].copy_from_slice(&index.to_be_bytes());
        Ok(hash)
    }
}

/// The extra bytes the log adds to a signed answer at a million leaves: a checkpoint note,
/// the consistency proof from the size the tablet held, and one inclusion per stored
/// change (a capture is one change); and the newest cosigned checkpoint with its proof.
/// Printed for the issue's figures; bounded so a change of the encoding that bloats
/// answers fails.
#[test]
fn the_log_adds_a_bounded_number_of_bytes_to_an_answer_at_a_million_leaves() {
    use crate::tlog::tree::{consistency_proof, inclusion_proof};
    let (held, size): (u64, u64) = (1_000_000, 1_000_100);
    let signer = log_signer(9);
    let note = signer
        .sign(&Checkpoint::new(ORIGIN, size, [7; 32]).to_body())
        .expect("signs");
    let base = |captures: usize| SyncResponse {
        outcomes: vec![PushOutcome::Stored(vec![[3; 32]]); captures],
        commit_seq: Some(5),
        ..SyncResponse::empty([1; 32], [2; 32], [4; 16])
    };
    let signing = SigningKey::from_bytes(&[7; 32]);
    let signed = |r: &SyncResponse| {
        SignedEnvelope::sign(crate::protocol::RECEIPT_TAG, r, &signing)
            .to_bytes()
            .len()
    };
    let mut figures = Vec::new();
    for captures in [0usize, 1, 100] {
        let without = base(captures);
        let with = SyncResponse {
            log_checkpoint: Some(note.clone()),
            log_consistency: consistency_proof(&AnyTree, held, size).expect("proof"),
            log_inclusions: (0..captures as u64)
                .map(|i| {
                    let index = held + i;
                    LogInclusion {
                        push: i as u32,
                        index,
                        leaf: leaf(1, &[1; 32], index),
                        proof: inclusion_proof(&AnyTree, index, size).expect("proof"),
                        nonce: Some([5; 32]),
                    }
                })
                .collect(),
            ..base(captures)
        };
        let extra = signed(&with) - signed(&without);
        println!(
            "log bytes in an answer at {size} leaves, {captures} capture(s): +{extra} \
             (consistency proof {} hashes, inclusion proof {} hashes)",
            with.log_consistency.len(),
            with.log_inclusions.first().map_or(0, |i| i.proof.len())
        );
        figures.push(extra);
    }
    // Measured: checkpoint and consistency proof 533 bytes; each capture about 640 more
    // (its inclusion with the record's 32-byte nonce; 670 for the first, with the field's
    // name): +1,203 with one capture, +64,396 with 100.
    assert!(figures[0] < 1_200, "{figures:?}");
    assert!(figures[1] - figures[0] < 900, "{figures:?}");
    assert!(figures[2] < 1_200 + 100 * 900, "{figures:?}");
    // The newest cosigned checkpoint (one witness) and the consistency proof from it, a
    // witness round (say 1,000 leaves) behind the answer's. Measured: 971 bytes.
    let cosigned_size = size - 1_000;
    let cosigned_note = LoggingRelay::cosigned(
        &signer
            .sign(&Checkpoint::new(ORIGIN, cosigned_size, [8; 32]).to_body())
            .expect("signs"),
        &witness_signer(5),
        NOW_SECS,
    );
    let without = base(0);
    let with = SyncResponse {
        log_cosigned: Some(cosigned_note),
        log_cosigned_consistency: consistency_proof(&AnyTree, cosigned_size, size).expect("proof"),
        ..base(0)
    };
    let extra = signed(&with) - signed(&without);
    println!(
        "cosigned checkpoint in an answer at {size} leaves: +{extra} (consistency proof {} \
         hashes)",
        with.log_cosigned_consistency.len()
    );
    assert!(extra < 1_400, "{extra}");
}

/// A vkey's base64 may hold `+` (most do): the tablet reads it whole, and refuses one
/// whose id does not match its name and key.
#[test]
fn a_log_key_whose_base64_holds_a_plus_is_read_and_a_wrong_key_id_is_refused() {
    let vkey = (0u8..=255)
        .map(|seed| log_signer(seed).verifier().to_string())
        .find(|vkey| {
            vkey.splitn(3, '+')
                .nth(2)
                .is_some_and(|b64| b64.contains('+'))
        })
        .expect("some key's base64 holds a +");
    let verifier = log_check::parse_vkey(&vkey).expect("read whole");
    assert_eq!(verifier.to_string(), vkey);
    let other_id = {
        let mut parts: Vec<&str> = vkey.splitn(3, '+').collect();
        parts[1] = "00000000";
        parts.join("+")
    };
    assert!(log_check::parse_vkey(&other_id).is_err());
    assert!(log_check::parse_vkey("name+only").is_err());
}

/// A kiosk that synced once, with one more capture waiting and a relay that knows its
/// changes: the next answer is where a lie goes.
fn one_waiting(dir: &tempfile::TempDir) -> (Arc<Device>, LoggingRelay) {
    let device = kiosk(dir, 0);
    let relay = LoggingRelay::new(&device);
    sync_once(&device, &relay).expect("accepted");
    crate::generator::capture_generated(&device, 1, 5).expect("captures");
    let relay = LoggingRelay {
        hashes: LoggingRelay::new(&device).hashes,
        ..relay
    };
    (device, relay)
}

#[test]
fn a_proven_leaf_about_another_document_is_a_fork() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (device, relay) = one_waiting(&dir);
    relay.lie(Lie::OtherDocument);
    let error = sync_once(&device, &relay).expect_err("a fork");
    assert_eq!(device.close_report().expect("reads").received, 0);
    let evidence = device.log_fork().expect("reads").expect("kept");
    assert!(evidence.detail.contains("another document"), "{evidence:?}");
    assert!(evidence.inclusion.is_some(), "the failed inclusion is kept");
    // With what IT needs to see the leaf is about another document: this tablet's own
    // record's id, changes and nonce (recomputing the commitment of "another-document").
    let inclusion = evidence.inclusion.as_ref().expect("kept");
    let nonce = inclusion.nonce.expect("the nonce is kept");
    let doc_id = evidence.push_doc_id.clone().expect("the push's document");
    assert_eq!(relay.hashes[&doc_id], evidence.push_changes);
    assert_eq!(
        inclusion.leaf[2..34],
        crate::tlog::leaf::record_commitment(&nonce, "another-document")
    );
    let text = evidence.to_text();
    assert!(text.contains(&format!("push-document: {doc_id}")), "{text}");
    assert!(
        text.contains(&format!("nonce: {}", hex::encode(nonce))),
        "{text}"
    );
    assert_fork(&device, &relay, error, "bad_inclusion_proof");
}

#[test]
fn a_proven_leaf_about_a_change_the_push_did_not_send_is_a_fork() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (device, relay) = one_waiting(&dir);
    relay.lie(Lie::OtherChange);
    let error = sync_once(&device, &relay).expect_err("a fork");
    assert_eq!(device.close_report().expect("reads").received, 0);
    let evidence = device.log_fork().expect("reads").expect("kept");
    assert!(
        evidence.detail.contains("no change this push sent"),
        "{evidence:?}"
    );
    assert_fork(&device, &relay, error, "bad_inclusion_proof");
}

/// A capture of one change proven by two leaves: more inclusions than changes pushed,
/// refused before any is hashed (a push of more changes proving one twice is a fork too:
/// `log_check`'s own tests).
#[test]
fn one_change_proven_by_two_leaves_is_a_fork() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (device, relay) = one_waiting(&dir);
    relay.lie(Lie::SameChangeTwice);
    let error = sync_once(&device, &relay).expect_err("a fork");
    assert_eq!(device.close_report().expect("reads").received, 0);
    let evidence = device.log_fork().expect("reads").expect("kept");
    assert!(
        evidence.detail.contains("more than the 1 changes"),
        "{evidence:?}"
    );
    assert_fork(&device, &relay, error, "too_many_inclusions");
}

/// A relay that gives no nonce proves nothing exact: not a fork, the capture is not
/// received and goes again; proven once the nonce comes.
#[test]
fn inclusions_without_the_nonce_leave_the_capture_unreceived_and_it_goes_again() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (device, relay) = one_waiting(&dir);
    relay.lie(Lie::NoNonce);
    let report = sync_once(&device, &relay).expect("answered, not a fork");
    assert_eq!(report.received, 0);
    assert_eq!(
        report.log_unproven, 1,
        "said, not silent: the relay needs updating"
    );
    assert_eq!(device.log_fork().expect("reads"), None);
    assert!(!device.hand_back().expect("reads").is_safe());
    relay.lie(Lie::None);
    let report = sync_once(&device, &relay).expect("answered");
    assert_eq!(report.received, 1, "sent again and proven this time");
    assert_eq!(report.log_unproven, 0);
    assert_eq!(device.hand_back().expect("reads"), HandBack::Safe);
}

/// A staff tablet bound to recruiter "anna", pinning the fake relay's signing key, holding
/// one pulled registration with a note added on it (unsent).
fn staff_with_an_edit(dir: &tempfile::TempDir) -> Arc<Device> {
    let (device, id) = staff_with_a_registration(dir, false);
    staff_note(&device, &id, "Ring på måndag");
    assert_eq!(device.unsent_edit_count().expect("counts"), 1);
    device
}

const STAFF_PIN: &str = "482915";

/// A staff tablet holding one pulled registration (with `hr_change`, one HR made after the
/// capture, which the tablet's edits then depend on), nothing edited yet.
fn staff_with_a_registration(
    dir: &tempfile::TempDir,
    hr_change: bool,
) -> (Arc<Device>, RegistrationId) {
    let (device, mut ids) = staff_with_registrations(dir, 1, hr_change);
    (device, ids.remove(0))
}

/// A staff tablet holding `count` pulled registrations, as [`staff_with_a_registration`].
fn staff_with_registrations(
    dir: &tempfile::TempDir,
    count: usize,
    hr_change: bool,
) -> (Arc<Device>, Vec<RegistrationId>) {
    use crate::documents::RegistrationDocument;
    use crate::protocol::PulledDocument;
    use crate::protocol::enrollment::{DeviceCertificate, EnrolledRole};
    let device =
        crate::generator::demo_staff(&dir.path().join("staff.sqlite3"), STAFF_PIN).expect("opens");
    let certificate = DeviceCertificate {
        version: PROTOCOL_VERSION,
        device_key: device.identity_key().to_bytes(),
        event_id: crate::demo::DEMO_EVENT_ID.into(),
        role: EnrolledRole::Staff,
        recruiter: Some("anna".into()),
        issued_at: 0,
        expires_at: i64::MAX,
    };
    let envelope = SignedEnvelope::sign(
        b"kiosk-cert-v1",
        &certificate,
        &SigningKey::from_bytes(&[5; 32]),
    );
    {
        let mut inner = device.lock().expect("lock");
        inner
            .store
            .set_meta("certificate", &crate::cbor::to_vec(&envelope))
            .expect("stores");
        inner
            .store
            .set_meta(
                crate::device::META_RELAY_SIGNING_KEY,
                SigningKey::from_bytes(&[7; 32]).verifying_key().as_bytes(),
            )
            .expect("pins");
    }
    let mut generator = crate::generator::RegistrationGenerator::new(crate::demo::demo_event(), 3);
    let kiosk = SigningKey::from_bytes(&[9; 32]).verifying_key();
    let mut pulled = Vec::new();
    let mut ids = Vec::new();
    for _ in 0..count {
        let registration = generator.next_registration().expect("valid");
        let mut document =
            RegistrationDocument::create(&registration, &kiosk, registration.captured_at)
                .expect("created");
        if hr_change {
            let hr = SigningKey::from_bytes(&[11; 32]).verifying_key();
            let mut by_hr = document.fork_for(&hr);
            by_hr
                .set_status(
                    crate::annotations::RecordStatus::Shortlisted,
                    registration.captured_at,
                )
                .expect("set")
                .expect("a change");
            document = by_hr;
        }
        pulled.push(PulledDocument {
            doc_id: registration.id.to_string(),
            received_at: 1_772_000_000_000,
            changes: document.save_changes(),
        });
        ids.push(registration.id);
    }
    device
        .apply_pull(None, &pulled, &[], &[], None, Timestamp::now())
        .expect("applies");
    (device, ids)
}

/// A staff tablet whose note ("Ring på måndag") the relay stored, then lost in a restore
/// to the 3 leaves before it, with no other tablets' leaves logged since.
fn a_stored_note_lost_in_a_restore(
    dir: &tempfile::TempDir,
    hr_change: bool,
) -> (Arc<Device>, RegistrationId, LoggingRelay) {
    let (device, id) = staff_with_a_registration(dir, hr_change);
    staff_note(&device, &id, "Ring på måndag");
    let relay = LoggingRelay::new(&device);
    assert_eq!(
        sync_once(&device, &relay).expect("answered").edits_stored,
        1
    );
    relay.state.lock().expect("state").others_per_answer = 0;
    relay.restore_to(3);
    (device, id, relay)
}

/// A note staff add to the registration `id`.
fn staff_note(device: &Arc<Device>, id: &RegistrationId, text: &str) {
    crate::staff::unlock(device, STAFF_PIN, Timestamp::now())
        .expect("opens")
        .add_note(id, text, Timestamp::now())
        .expect("noted");
}

/// The tablet's own changes of `id`, in causal order.
fn own_changes(device: &Device, id: &RegistrationId) -> Vec<[u8; 32]> {
    let inner = device.lock().expect("lock");
    let (mut doc, _) = device.load_record(&inner, id).expect("held");
    doc.change_hashes_by(&device.identity_key())
}

/// The HR changes of `id` the tablet holds (by neither the kiosk nor the tablet).
fn hr_changes(device: &Device, id: &RegistrationId) -> Vec<[u8; 32]> {
    let inner = device.lock().expect("lock");
    let (mut doc, _) = device.load_record(&inner, id).expect("held");
    let hr = SigningKey::from_bytes(&[11; 32]).verifying_key();
    doc.change_hashes_by(&hr)
}

/// What a listener heard: each progress and each record's outcome.
#[derive(Default)]
struct Heard {
    progress: Mutex<Vec<(u64, u64)>>,
    records: Mutex<Vec<(String, RecordOutcome)>>,
}

impl SyncListener for Heard {
    fn progress(&self, done: u64, total: u64) {
        self.progress.lock().expect("heard").push((done, total));
    }
    fn record(&self, doc_id: &str, outcome: RecordOutcome) {
        self.records
            .lock()
            .expect("heard")
            .push((doc_id.to_owned(), outcome));
    }
}

fn sync_heard(device: &Device, relay: &LoggingRelay, heard: &Heard) -> Result<SyncReport> {
    sync(device, relay, heard, BatchLimits::default(), || {
        Timestamp(NOW_SECS as i64 * 1000)
    })
}

/// With a log, a staff edit counts stored only with a proven leaf of its own for each of
/// its changes: stored without proofs (or without the nonce), it stays unsent and goes
/// again; proven, it is stored.
#[test]
fn a_staff_edit_counts_stored_only_with_a_proven_leaf_for_each_change() {
    let dir = tempfile::tempdir().expect("tempdir");
    let device = staff_with_an_edit(&dir);
    let relay = LoggingRelay::new(&device);
    relay.lie(Lie::NoInclusions);
    let report = sync_once(&device, &relay).expect("answered");
    assert_eq!(report.edits_stored, 0, "stored, but not proven");
    assert_eq!(device.unsent_edit_count().expect("counts"), 1);
    relay.lie(Lie::NoNonce);
    let report = sync_once(&device, &relay).expect("answered, not a fork");
    assert_eq!(
        report.edits_stored, 0,
        "proven in the log, but about what unknown"
    );
    assert_eq!(report.log_unproven, 1);
    assert_eq!(device.unsent_edit_count().expect("counts"), 1);
    relay.lie(Lie::None);
    let report = sync_once(&device, &relay).expect("answered");
    assert_eq!(report.edits_stored, 1, "proven");
    assert_eq!(device.unsent_edit_count().expect("counts"), 0);
    assert_eq!(device.log_fork().expect("reads"), None);
}

/// An edit stored by the relay whose answer was lost goes again; the relay answers with the
/// leaves it wrote the first time, and the edit counts stored.
#[test]
fn a_staff_edit_sent_again_after_a_lost_answer_is_proven_by_its_first_leaves() {
    let dir = tempfile::tempdir().expect("tempdir");
    let device = staff_with_an_edit(&dir);
    let relay = LoggingRelay::new(&device);
    relay.state.lock().expect("state").others_per_answer = 0;
    relay.lie(Lie::LoseAnswer);
    sync_once(&device, &relay).expect_err("the answer was lost");
    assert_eq!(device.unsent_edit_count().expect("counts"), 1);
    let logged = relay.state.lock().expect("state").tree.size();
    assert!(logged > 0, "the relay logged the edit's changes");
    let report = sync_once(&device, &relay).expect("answered");
    assert_eq!(report.edits_stored, 1);
    assert_eq!(device.unsent_edit_count().expect("counts"), 0);
    assert_eq!(
        relay.state.lock().expect("state").tree.size(),
        logged,
        "no new leaf: proven by the first ones"
    );
}

/// An edit's leaf about another change is a fork, as a capture's is.
#[test]
fn a_staff_edit_proven_by_a_leaf_about_another_change_is_a_fork() {
    let dir = tempfile::tempdir().expect("tempdir");
    let device = staff_with_an_edit(&dir);
    let relay = LoggingRelay::new(&device);
    relay.lie(Lie::OtherChange);
    let error = sync_once(&device, &relay).expect_err("a fork");
    assert!(
        matches!(&error, Error::LogFork { code } if code == "bad_inclusion_proof"),
        "{error}"
    );
    assert_eq!(device.unsent_edit_count().expect("counts"), 1);
}

/// A cosigned tree larger than the answer's (a cosignature that landed after the relay read
/// its tip) is no claim about the answer: not counted, and no fork.
#[test]
fn a_cosigned_tree_larger_than_the_answers_is_ignored_not_a_fork() {
    let dir = tempfile::tempdir().expect("tempdir");
    let device = kiosk(&dir, 1);
    device
        .require_witnesses(&[witness_signer(5).verifier().to_string()])
        .expect("pins");
    let relay = LoggingRelay::new(&device);
    relay.cosign(Some(Cosign::Ahead {
        time: NOW_SECS - 60,
    }));
    let report = sync_once(&device, &relay).expect("not a fork");
    assert_eq!((report.received, report.awaiting_witness), (0, 1));
    assert_eq!(device.log_fork().expect("reads"), None);
    assert_eq!(device.witnessed_checkpoint().expect("reads"), None);
    relay.cosign(Some(Cosign::Shown {
        time: NOW_SECS - 60,
    }));
    let report = sync_once(&device, &relay).expect("answered");
    assert_eq!(
        report.received, 1,
        "counted once the tree is the answer's or older"
    );
}

/// A tablet clock an hour behind its witness's counts every fresh cosignature (their times
/// lie "in the future" by the tablet clock: the clocks disagree, the tree is not stale),
/// tells staff the clock is behind, and still takes a restore the witness confirmed later
/// (witness time against witness time, the far-ahead time held changing nothing). Once
/// the clock is right, the notice goes.
#[test]
fn a_tablet_clock_an_hour_behind_counts_fresh_cosignatures_tells_staff_and_confirms_a_restore() {
    let dir = tempfile::tempdir().expect("tempdir");
    let device = kiosk(&dir, 2);
    device
        .require_witnesses(&[witness_signer(5).verifier().to_string()])
        .expect("pins");
    let relay = LoggingRelay::new(&device);
    let behind = NOW_SECS - 60 * 60;
    relay.cosign(Some(Cosign::Shown {
        time: NOW_SECS - 60,
    }));
    let report = sync_at(&device, &relay, behind).expect("accepted");
    assert_eq!((report.received, report.awaiting_witness), (2, 0));
    assert!(report.clock_behind_witness);
    assert!(device.clock_behind_witness().expect("reads"));
    assert_eq!(device.hand_back().expect("reads"), HandBack::Safe);
    let staff = crate::user_messages::clock_behind_witness_message();
    assert!(staff.en.contains("clock") && staff.sv.contains("klocka"));
    // Within ten minutes ahead: counted, and no notice.
    relay.cosign(Some(Cosign::Shown {
        time: behind + log_check::MAX_COSIGNATURE_AHEAD_SECS,
    }));
    let report = sync_at(&device, &relay, behind).expect("accepted");
    assert!(!report.clock_behind_witness);
    assert!(!device.clock_behind_witness().expect("reads"));
    // Ahead again, then the relay is restored and the witness confirms it (its clock is
    // right): taken although the tablet clock is still an hour behind both cosignatures.
    relay.cosign(Some(Cosign::Shown {
        time: NOW_SECS - 30,
    }));
    sync_at(&device, &relay, behind).expect("accepted");
    let held = device.witnessed_checkpoint().expect("reads").expect("kept");
    assert!(held.contains('\u{2014}'), "{held}");
    relay.cosign(Some(Cosign::Shown { time: NOW_SECS }));
    relay.lie(Lie::Restored(back_to_two(&relay)));
    let report = sync_at(&device, &relay, behind + 60).expect("confirmed by the witness");
    assert!(report.log_restored);
    assert!(report.clock_behind_witness);
    assert_eq!(device.unconfirmed_log_restore().expect("reads"), None);
    // The clock set right: the notice goes with the next sync.
    relay.lie(Lie::None);
    let report = sync_at(&device, &relay, NOW_SECS + 60).expect("accepted");
    assert!(!report.clock_behind_witness);
    assert!(!device.clock_behind_witness().expect("reads"));
}

/// A tablet names the witnesses it requires in every request, by key name and key ID (so
/// the relay answers with the tree they cosigned, not all of its own); one requiring none
/// names none.
#[test]
fn a_tablet_names_the_witnesses_it_requires_in_its_request() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (device, relay) = synced(&dir, 1);
    assert!(
        relay
            .state
            .lock()
            .expect("state")
            .witnesses_named
            .is_empty()
    );
    let (first, second) = (witness_signer(5).verifier(), witness_signer(6).verifier());
    device
        .require_witnesses(&[first.to_string(), second.to_string()])
        .expect("pins");
    sync_once(&device, &relay).expect("answered");
    assert_eq!(
        relay.state.lock().expect("state").witnesses_named,
        vec![
            crate::protocol::witness_key_name(first.name(), first.key_id()),
            crate::protocol::witness_key_name(second.name(), second.key_id()),
        ]
    );
}

/// A tablet whose clock runs days ahead still takes a restore the witness cosigned after
/// it cosigned the held tree: witness time is compared with witness time.
#[test]
fn a_tablet_clock_ahead_does_not_refuse_a_restore_the_witness_confirmed() {
    let dir = tempfile::tempdir().expect("tempdir");
    let device = kiosk(&dir, 1);
    device
        .require_witnesses(&[witness_signer(5).verifier().to_string()])
        .expect("pins");
    let relay = LoggingRelay::new(&device);
    let ahead = NOW_SECS + 2 * 24 * 60 * 60;
    relay.cosign(Some(Cosign::Shown {
        time: NOW_SECS - 60,
    }));
    assert_eq!(
        sync_at(&device, &relay, ahead).expect("accepted").received,
        1
    );
    relay.cosign(Some(Cosign::Shown {
        time: NOW_SECS + 30,
    }));
    relay.lie(Lie::Restored(back_to_two(&relay)));
    let report = sync_at(&device, &relay, ahead + 60).expect("confirmed by the witness");
    assert!(report.log_restored);
}

/// A tablet whose clock runs behind (within the ten minutes a cosignature may be ahead)
/// does not take a replayed cosignature older than the one it holds as confirming a
/// restore, though it is newer than the tablet's own time of storing the checkpoint.
#[test]
fn a_tablet_clock_behind_does_not_let_a_replayed_cosignature_confirm_a_restore() {
    let dir = tempfile::tempdir().expect("tempdir");
    let device = kiosk(&dir, 1);
    device
        .require_witnesses(&[witness_signer(5).verifier().to_string()])
        .expect("pins");
    let relay = LoggingRelay::new(&device);
    let behind = NOW_SECS - 300;
    relay.cosign(Some(Cosign::Shown {
        time: NOW_SECS - 60,
    }));
    assert_eq!(
        sync_at(&device, &relay, behind).expect("accepted").received,
        1
    );
    let held = device.log_checkpoint().expect("reads");
    relay.cosign(Some(Cosign::Shown {
        time: NOW_SECS - 200,
    }));
    relay.lie(Lie::Restored(back_to_two(&relay)));
    let error = sync_at(&device, &relay, behind + 60).expect_err("refused");
    assert!(
        matches!(error, Error::LogRestoreUnconfirmed { .. }),
        "{error}"
    );
    assert_eq!(device.log_checkpoint().expect("reads"), held);
}

/// A cosignature dated more than a day ahead of the tablet clock is not counted: a
/// witness whose clock once ran far ahead signed it, and a relay replaying it after a
/// rollback would otherwise have it "confirm" the rollback (its time is after every held
/// one). A capture waits, staff are told the clocks disagree; a restore shown with it is
/// refused as unconfirmed.
#[test]
fn a_cosignature_more_than_a_day_ahead_neither_counts_nor_confirms_a_restore() {
    let dir = tempfile::tempdir().expect("tempdir");
    let device = kiosk(&dir, 1);
    device
        .require_witnesses(&[witness_signer(5).verifier().to_string()])
        .expect("pins");
    let relay = LoggingRelay::new(&device);
    let too_far = NOW_SECS + log_check::MAX_COSIGNATURE_FUTURE_SECS + 1;
    relay.cosign(Some(Cosign::Shown { time: too_far }));
    let report = sync_once(&device, &relay).expect("answered");
    assert_eq!((report.received, report.awaiting_witness), (0, 1));
    assert_eq!(device.witnessed_checkpoint().expect("reads"), None);
    // Not counted, yet staff hear of the clocks: a tablet clock over a day behind would
    // otherwise show only captures waiting, never why.
    assert!(
        report.clock_behind_witness,
        "a dropped time ahead tells staff"
    );
    assert!(device.clock_behind_witness().expect("reads"));
    // A day ahead exactly still counts (and tells staff of the clocks).
    relay.cosign(Some(Cosign::Shown {
        time: NOW_SECS + log_check::MAX_COSIGNATURE_FUTURE_SECS,
    }));
    let report = sync_once(&device, &relay).expect("answered");
    assert_eq!(report.received, 1);
    assert!(report.clock_behind_witness);
    // The relay rolls back and shows a cosignature dated further ahead still: after the
    // held time, but past the day, so it confirms nothing.
    relay.cosign(Some(Cosign::Shown { time: too_far + 60 }));
    relay.lie(Lie::Restored(back_to_two(&relay)));
    let error = sync_at(&device, &relay, NOW_SECS + 60).expect_err("refused");
    assert!(
        matches!(error, Error::LogRestoreUnconfirmed { .. }),
        "{error}"
    );
}

/// A sync that stops (a restore the witnesses have not confirmed) measured nothing it
/// keeps: the clock notice and the count awaiting the witnesses stay as the last sync that
/// ended left them, until one ends again.
#[test]
fn a_sync_that_stops_keeps_the_last_clock_notice_until_one_ends() {
    let dir = tempfile::tempdir().expect("tempdir");
    let device = kiosk(&dir, 1);
    device
        .require_witnesses(&[witness_signer(5).verifier().to_string()])
        .expect("pins");
    let relay = LoggingRelay::new(&device);
    relay.cosign(Some(Cosign::Shown {
        time: NOW_SECS + 60 * 60,
    }));
    assert!(
        sync_once(&device, &relay)
            .expect("taken")
            .clock_behind_witness
    );
    relay.cosign(None);
    relay.lie(Lie::Restored(back_to_two(&relay)));
    sync_at(&device, &relay, NOW_SECS + 60).expect_err("refused");
    assert!(device.clock_behind_witness().expect("reads"), "kept");
    relay.lie(Lie::None);
    relay.cosign(Some(Cosign::Shown {
        time: NOW_SECS + 2 * 60 * 60,
    }));
    relay.state.lock().expect("state").epoch = [2; 16];
    let report = sync_at(&device, &relay, NOW_SECS + 2 * 60 * 60).expect("taken");
    assert!(!report.clock_behind_witness);
    assert!(!device.clock_behind_witness().expect("reads"), "cleared");
}

/// A restore merged into one staff have not acknowledged yet keeps the size the log first
/// went back from, and an acknowledgement of the earlier one does not clear the merged one.
#[test]
fn a_second_restore_before_staff_acknowledged_the_first_is_merged_and_stays_until_seen() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (device, relay) = synced(&dir, 1);
    relay.lie(Lie::Restored(5));
    sync_once(&device, &relay).expect("a restore");
    let first = device.log_restore().expect("reads").expect("kept");
    relay.lie(Lie::Restored(back_to_two(&relay)));
    sync_at(&device, &relay, NOW_SECS + 60).expect("a second restore");
    let merged = device.log_restore().expect("reads").expect("kept");
    assert_eq!(merged.from, first.from, "the whole loss");
    assert!(!device.acknowledge_log_restore(first.at).expect("reads"));
    assert_eq!(device.log_restore().expect("reads"), Some(merged));
}

/// A restore the witness has not confirmed is told at hand-back until an answer is taken
/// again; and requiring other witnesses forgets the count of captures awaiting the old.
#[test]
fn an_unconfirmed_restore_is_told_at_hand_back_until_an_answer_is_taken() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (device, relay) = witnessed(&dir, 1);
    relay.cosign(None);
    relay.lie(Lie::Restored(back_to_two(&relay)));
    let error = sync_at(&device, &relay, NOW_SECS + 60).expect_err("refused");
    let Error::LogRestoreUnconfirmed { from, to } = error else {
        panic!("{error}")
    };
    assert_eq!(
        device.hand_back().expect("reads"),
        HandBack::LogRestoreUnconfirmed { from, to }
    );
    // The relay's operator put the newer history back: the next answer extends the held
    // checkpoint, is taken, and nothing is pending.
    relay.lie(Lie::None);
    relay.cosign(Some(Cosign::Shown {
        time: NOW_SECS + 30,
    }));
    relay.state.lock().expect("state").epoch = [2; 16];
    sync_at(&device, &relay, NOW_SECS + 60).expect("taken");
    assert_eq!(device.unconfirmed_log_restore().expect("reads"), None);
    assert_eq!(device.hand_back().expect("reads"), HandBack::Safe);
}

#[test]
fn requiring_other_witnesses_forgets_the_count_awaiting_the_old_ones() {
    let dir = tempfile::tempdir().expect("tempdir");
    let device = kiosk(&dir, 1);
    device
        .require_witnesses(&[witness_signer(5).verifier().to_string()])
        .expect("pins");
    let relay = LoggingRelay::new(&device);
    sync_once(&device, &relay).expect("answered");
    assert_eq!(device.awaiting_witness().expect("reads"), 1);
    device
        .require_witnesses(&[witness_signer(6).verifier().to_string()])
        .expect("pins");
    assert_eq!(device.awaiting_witness().expect("reads"), 0);
}

/// Requiring the witnesses already pinned (in another order: a form sent back unchanged)
/// keeps the witnessed tree and the count awaiting them, so the next restore still needs
/// their confirmation; other witnesses forget both.
#[test]
fn requiring_the_same_witnesses_again_keeps_the_witnessed_tree() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (first, second) = (FIRST_WITNESS, SECOND_WITNESS);
    let keys = [
        witness_named(first.0, first.1).verifier().to_string(),
        witness_named(second.0, second.1).verifier().to_string(),
    ];
    let device = kiosk(&dir, 2);
    device.require_witnesses(&keys).expect("pins");
    let relay = LoggingRelay::new(&device);
    relay.cosigners(&[first, second]);
    relay.cosign(Some(Cosign::At {
        size: 3,
        time: NOW_SECS - 60,
    }));
    sync_once(&device, &relay).expect("answered");
    let witnessed = device.witnessed_checkpoint().expect("reads");
    assert!(witnessed.is_some());
    assert_eq!(device.awaiting_witness().expect("reads"), 2);
    device
        .require_witnesses(&[keys[1].clone(), keys[0].clone()])
        .expect("the same witnesses");
    assert_eq!(device.witnessed_checkpoint().expect("reads"), witnessed);
    assert_eq!(device.awaiting_witness().expect("reads"), 2);
    assert_eq!(device.witness_keys().expect("reads"), keys.to_vec());
    // A restore is still refused until the witnesses cosign it.
    relay.lie(Lie::Restored(2));
    assert!(matches!(
        sync_once(&device, &relay),
        Err(Error::LogRestoreUnconfirmed { .. })
    ));
    device
        .require_witnesses(&keys[..1])
        .expect("other witnesses");
    assert_eq!(device.witnessed_checkpoint().expect("reads"), None);
    assert_eq!(device.awaiting_witness().expect("reads"), 0);
}

/// A capture the relay keeps apart for HR review counts received only with a proven
/// `quarantined` leaf for each journalled change: a relay answering "quarantined" without
/// them (keeping the capture out of its log) leaves it on the tablet, unerasable, sent
/// again; proven, it is received as quarantined.
#[test]
fn a_quarantined_capture_counts_received_only_with_proven_quarantined_leaves() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (device, relay) = one_waiting(&dir);
    relay.state.lock().expect("state").quarantine = true;
    relay.lie(Lie::NoInclusions);
    let report = sync_once(&device, &relay).expect("answered");
    assert_eq!(report.quarantined, 0, "kept apart, but not proven");
    assert!(!device.hand_back().expect("reads").is_safe());
    relay.lie(Lie::None);
    let report = sync_once(&device, &relay).expect("answered");
    assert_eq!(report.quarantined, 1, "sent again and proven this time");
    assert_eq!(device.hand_back().expect("reads"), HandBack::Safe);
    assert_eq!(device.log_fork().expect("reads"), None);
}

/// A quarantined capture's leaves must be `quarantined`: a `capture` leaf would say the
/// relay stored what it told the tablet it kept apart, a history that cannot be both.
#[test]
fn a_quarantined_capture_proven_by_a_leaf_of_another_kind_is_a_fork() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (device, relay) = one_waiting(&dir);
    {
        let mut state = relay.state.lock().expect("state");
        state.quarantine = true;
        state.quarantine_kind = 1;
    }
    let error = sync_once(&device, &relay).expect_err("a fork");
    assert_eq!(device.close_report().expect("reads").received, 0);
    let evidence = device.log_fork().expect("reads").expect("kept");
    assert!(
        evidence.detail.contains("of this push's kind"),
        "{evidence:?}"
    );
    assert_fork(&device, &relay, error, "bad_inclusion_proof");
}

/// A staff edit's change the relay held before its log existed is proven by the upgrade's
/// `accepted-before-log` leaf (kind 7), which this tablet takes (it says so in its request).
#[test]
fn a_staff_edit_proven_by_accepted_before_log_leaves_counts_stored() {
    let dir = tempfile::tempdir().expect("tempdir");
    let device = staff_with_an_edit(&dir);
    let relay = LoggingRelay::new(&device);
    relay.state.lock().expect("state").edit_kind = 7;
    let report = sync_once(&device, &relay).expect("answered");
    assert_eq!(report.edits_stored, 1);
    assert_eq!(device.unsent_edit_count().expect("counts"), 0);
    assert_eq!(device.log_fork().expect("reads"), None);
}

/// A staff edit's leaf of a capture's kind is a fork: an edit is logged as `staff-edit` or
/// `accepted-before-log`, nothing else.
#[test]
fn a_staff_edit_proven_by_a_capture_leaf_is_a_fork() {
    let dir = tempfile::tempdir().expect("tempdir");
    let device = staff_with_an_edit(&dir);
    let relay = LoggingRelay::new(&device);
    relay.state.lock().expect("state").edit_kind = 1;
    let error = sync_once(&device, &relay).expect_err("a fork");
    assert!(
        matches!(&error, Error::LogFork { code } if code == "bad_inclusion_proof"),
        "{error}"
    );
    assert_eq!(device.unsent_edit_count().expect("counts"), 1);
}

/// With two pinned witnesses, a capture counts received only once both cosigned one tree
/// holding its leaf: one witness alone (either), or both on a tree from before the leaf,
/// leave it waiting, sent again each sync.
#[test]
fn with_two_pinned_witnesses_a_capture_is_received_only_once_both_cosigned_a_tree_holding_it() {
    let dir = tempfile::tempdir().expect("tempdir");
    let device = kiosk(&dir, 1);
    let (first, second) = (FIRST_WITNESS, SECOND_WITNESS);
    device
        .require_witnesses(&[
            witness_named(first.0, first.1).verifier().to_string(),
            witness_named(second.0, second.1).verifier().to_string(),
        ])
        .expect("pins");
    let relay = LoggingRelay::new(&device);
    relay.cosign(Some(Cosign::Shown {
        time: NOW_SECS - 60,
    }));
    for alone in [first, second] {
        relay.cosigners(&[alone]);
        let report = sync_once(&device, &relay).expect("answered");
        assert_eq!(
            (report.received, report.awaiting_witness),
            (0, 1),
            "{alone:?} alone"
        );
        assert_eq!(device.witnessed_checkpoint().expect("reads"), None);
    }
    // Both, on a tree from before the capture's leaf (the relay logged 3 others first).
    relay.cosigners(&[first, second]);
    relay.cosign(Some(Cosign::At {
        size: 3,
        time: NOW_SECS - 60,
    }));
    let report = sync_once(&device, &relay).expect("answered");
    assert_eq!((report.received, report.awaiting_witness), (0, 1));
    let witnessed = device.witnessed_checkpoint().expect("reads").expect("kept");
    assert_eq!(log_check::checkpoint_of(&witnessed).expect("reads").size, 3);
    assert_eq!(
        device.hand_back().expect("reads"),
        HandBack::AwaitingWitness {
            captures: 1,
            unreceipted: 1
        }
    );
    // Both, on a tree holding it: received.
    relay.cosign(Some(Cosign::Shown {
        time: NOW_SECS - 60,
    }));
    let report = sync_once(&device, &relay).expect("answered");
    assert_eq!((report.received, report.awaiting_witness), (1, 0));
    assert_eq!(device.hand_back().expect("reads"), HandBack::Safe);
}

/// A relay restored in a new epoch with another, larger history, which the witness
/// cosigned after the tree the tablet holds: taken (the witness confirms it), the capture
/// received in the old epoch sent again, and the restore kept for staff (hand-back says so,
/// in words saying the log was replaced) until they acknowledge it, syncs between or not.
#[test]
fn a_witnessed_restore_to_a_larger_other_history_is_kept_for_staff_until_acknowledged() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (device, relay) = witnessed(&dir, 1);
    let held = device.log_checkpoint().expect("reads");
    let from = held_size(&device);
    relay.replace_history(from + 5);
    relay.cosign(Some(Cosign::Shown {
        time: NOW_SECS + 30,
    }));
    let report = sync_at(&device, &relay, NOW_SECS + 60).expect("confirmed by the witness");
    assert!(report.log_restored);
    assert_eq!(
        report.resent, 1,
        "the capture received before is sent again"
    );
    assert_eq!(report.received, 1, "and received in the other history");
    assert_eq!(device.log_fork().expect("reads"), None, "not a fork");
    assert_eq!(device.log_checkpoint_before_restore().expect("reads"), held);
    let kept = device
        .log_restore()
        .expect("reads")
        .expect("kept for staff");
    assert_eq!(kept.from, from);
    assert!(kept.to > kept.from, "a larger log: {kept:?}");
    let restored = HandBack::LogRestored {
        from: kept.from,
        to: kept.to,
    };
    assert_eq!(device.hand_back().expect("reads"), restored);
    let advice = crate::user_messages::hand_back_message(&restored);
    assert!(advice.en.contains("replaced"), "{}", advice.en);
    assert!(advice.sv.contains("ersatte"), "{}", advice.sv);
    // Another sync changes nothing of it: staff must see it.
    sync_at(&device, &relay, NOW_SECS + 90).expect("answered");
    assert_eq!(device.log_restore().expect("reads"), Some(kept));
    assert_eq!(device.hand_back().expect("reads"), restored);
    assert!(
        device
            .acknowledge_log_restore(kept.at)
            .expect("acknowledges")
    );
    assert_eq!(device.hand_back().expect("reads"), HandBack::Safe);
}

/// A staff edit counted stored, whose leaf a restore of the relay took away with the log
/// (restored to a backup from before it), is sent again in the same sync and proven anew,
/// as a capture received in the old epoch is; a new epoch whose log extends the held one
/// sends nothing again.
#[test]
fn a_staff_edit_counted_stored_is_sent_again_and_proven_after_the_relay_restored_to_before_it() {
    let dir = tempfile::tempdir().expect("tempdir");
    let device = staff_with_an_edit(&dir);
    let relay = LoggingRelay::new(&device);
    let report = sync_once(&device, &relay).expect("answered");
    assert_eq!(report.edits_stored, 1);
    assert_eq!(device.unsent_edit_count().expect("counts"), 0);
    let edit_leaves: Vec<u64> = {
        let mut state = relay.state.lock().expect("state");
        state.others_per_answer = 0;
        state.logged.values().copied().collect()
    };
    assert_eq!(edit_leaves, vec![3], "logged after the 3 others");
    // Restored from a backup as new as the tablet's view: nothing goes again.
    relay.lie(Lie::NewEpoch);
    let report = sync_once(&device, &relay).expect("answered");
    assert_eq!((report.edits_resent, report.edits_stored), (0, 0));
    assert!(!report.log_restored);
    // Restored from a backup holding only the 3 leaves before the edit.
    relay.lie(Lie::None);
    relay.restore_to(3);
    assert_eq!(relay.state.lock().expect("state").leaves.len(), 3);
    let heard = Heard::default();
    let report = sync_heard(&device, &relay, &heard).expect("answered");
    assert!(report.log_restored);
    assert_eq!(report.edits_resent, 1, "the registration's edit goes again");
    assert_eq!(report.resent, 0, "no capture goes again");
    assert_eq!(
        (report.requests, report.edits_stored),
        (2, 1),
        "pushed again in the same sync and proven"
    );
    assert_eq!(device.unsent_edit_count().expect("counts"), 0);
    // Counted in the total it is done of: never "1 of 0".
    let progress = heard.progress.lock().expect("heard").clone();
    assert_eq!(progress.last(), Some(&(1, 1)), "{progress:?}");
    assert!(
        progress.iter().all(|(done, total)| done <= total),
        "{progress:?}"
    );
    let state = relay.state.lock().expect("state");
    let logged: Vec<(&(String, [u8; 32]), &u64)> = state.logged.iter().collect();
    let [((doc_id, hash), index)] = logged[..] else {
        panic!("one change logged: {logged:?}")
    };
    // The restored log's fourth leaf is the edit's, written again.
    assert_eq!(*index, 3);
    assert_eq!(state.tree.size(), 4, "logged anew in the restored log");
    assert_eq!(
        state.leaves[3],
        change_leaf(2, doc_id, hash, &relay.device, 3)
    );
    drop(state);
    let restore = device
        .log_restore()
        .expect("reads")
        .expect("kept for staff");
    assert_eq!((restore.from, restore.to), (4, 3));
    assert_eq!(device.log_fork().expect("reads"), None);
}

/// Edits sent again after a restore that the relay now refuses (its recruiter no longer
/// assigned) are dropped, not kept unsent: told once, never sent again, and hand-back is
/// not held by them.
#[test]
fn edits_sent_again_after_a_restore_and_refused_are_dropped_and_told_once() {
    let dir = tempfile::tempdir().expect("tempdir");
    let device = staff_with_an_edit(&dir);
    let relay = LoggingRelay::new(&device);
    assert_eq!(
        sync_once(&device, &relay).expect("answered").edits_stored,
        1
    );
    relay.state.lock().expect("state").others_per_answer = 0;
    relay.restore_to(3);
    relay.state.lock().expect("state").refuse_edits =
        Some(crate::protocol::ErrorCode::NotPermitted);
    let heard = Heard::default();
    let report = sync_heard(&device, &relay, &heard).expect("answered");
    assert!(report.log_restored);
    assert_eq!((report.edits_resent, report.requests), (1, 2));
    assert_eq!(report.resend_refused, 1, "told");
    assert!(report.refused.is_empty(), "{:?}", report.refused);
    assert!(heard.records.lock().expect("heard").is_empty());
    assert_eq!(heard.progress.lock().expect("heard").last(), Some(&(1, 1)));
    assert_eq!(device.unsent_edit_count().expect("counts"), 0);
    assert!(!matches!(
        device.hand_back().expect("reads"),
        HandBack::UnsentEdits { .. }
    ));
    let report = sync_once(&device, &relay).expect("answered");
    assert_eq!(
        (report.requests, report.resend_refused, report.edits_resent),
        (1, 0, 0),
        "nothing sent again, nothing told again"
    );
    let words = crate::user_messages::resend_refused_message(1);
    assert!(words.en.contains("1 registration(s)"), "{}", words.en);
    assert!(words.sv.contains("1 anmälning(ar)"), "{}", words.sv);
}

/// An own edit depending on an HR change the restore lost is refused as
/// `missing-dependencies` when sent again: dropped and told once, not sent every sync.
#[test]
fn an_edit_sent_again_whose_hr_dependency_the_restore_lost_is_dropped_not_sent_every_sync() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (device, id, relay) = a_stored_note_lost_in_a_restore(&dir, true);
    let hr = hr_changes(&device, &id);
    assert_eq!(hr.len(), 1);
    relay.state.lock().expect("state").lacks.extend(hr);
    let report = sync_once(&device, &relay).expect("answered");
    assert_eq!((report.edits_resent, report.requests), (1, 2));
    assert_eq!((report.resend_refused, report.edits_stored), (1, 0));
    assert!(report.refused.is_empty(), "{:?}", report.refused);
    assert_eq!(device.unsent_edit_count().expect("counts"), 0);
    for _ in 0..2 {
        let report = sync_once(&device, &relay).expect("answered");
        assert_eq!((report.requests, report.resend_refused), (1, 0));
    }
}

/// A copy expired when the restore is seen is not sent again (the relay would refuse an
/// edit after the event, and the copy must go): it is erased at the end of that sync.
#[test]
fn an_expired_copy_is_not_sent_again_after_a_restore_and_is_still_erased() {
    let dir = tempfile::tempdir().expect("tempdir");
    let device = staff_with_an_edit(&dir);
    let relay = LoggingRelay::new(&device);
    assert_eq!(
        sync_once(&device, &relay).expect("answered").edits_stored,
        1
    );
    {
        let mut inner = device.lock().expect("lock");
        let mut row = inner.store.all_pulled().expect("reads").remove(0);
        row.expires_at = (NOW_SECS as i64 + 30) * 1000;
        inner
            .store
            .put_pulled(&[row], &[], &[], &[], 0)
            .expect("writes");
    }
    relay.state.lock().expect("state").others_per_answer = 0;
    relay.restore_to(3);
    // After the event: the relay refuses the tablet's edits.
    relay.state.lock().expect("state").refuse_edits =
        Some(crate::protocol::ErrorCode::CertificateExpired);
    let report = sync_at(&device, &relay, NOW_SECS + 60).expect("answered");
    assert!(report.log_restored);
    assert_eq!(
        (report.edits_resent, report.requests, report.resend_refused),
        (0, 1, 0),
        "not sent again"
    );
    assert_eq!(report.erased, 1, "erased at the end of the sync");
    assert!(
        device
            .lock()
            .expect("lock")
            .store
            .all_pulled()
            .expect("reads")
            .is_empty()
    );
    assert_eq!(device.unsent_edit_count().expect("counts"), 0);
}

/// In the sync whose answer shows the restore, an unsent edit built on an own edit the
/// restore lost is refused as `missing-dependencies`: not a refusal, it goes again in the
/// next request of the same sync with the lost one before it, and both are stored.
#[test]
fn an_unsent_edit_depending_on_one_the_restore_lost_goes_again_in_the_same_sync() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (device, id, relay) = a_stored_note_lost_in_a_restore(&dir, false);
    staff_note(&device, &id, "Ringde, återkommer");
    let own = own_changes(&device, &id);
    assert_eq!(own.len(), 2, "the older edit, then the newer");
    let heard = Heard::default();
    let report = sync_heard(&device, &relay, &heard).expect("answered");
    assert!(report.log_restored);
    assert!(report.refused.is_empty(), "{:?}", report.refused);
    assert_eq!(report.resend_refused, 0);
    assert_eq!((report.requests, report.edits_stored), (2, 1));
    // Already to send before the restore: counted once in the total.
    assert_eq!(heard.progress.lock().expect("heard").last(), Some(&(1, 1)));
    assert!(
        heard
            .records
            .lock()
            .expect("heard")
            .iter()
            .all(|(_, outcome)| *outcome == RecordOutcome::EditsStored)
    );
    assert_eq!(device.unsent_edit_count().expect("counts"), 0);
    let state = relay.state.lock().expect("state");
    for hash in &own {
        assert!(
            state.logged.contains_key(&(id.to_string(), *hash)),
            "both logged in the restored log"
        );
    }
}

/// A restore sends again the edits of more registrations than the re-queue reads in one
/// batch: every one of them, each once, all stored again in that sync.
#[test]
fn a_restore_sends_again_the_edits_of_registrations_past_one_batch() {
    const COUNT: usize = 70;
    let dir = tempfile::tempdir().expect("tempdir");
    let (device, ids) = staff_with_registrations(&dir, COUNT, false);
    let session = crate::staff::unlock(&device, STAFF_PIN, Timestamp::now()).expect("opens");
    for id in &ids {
        session
            .add_note(id, "Ring på måndag", Timestamp::now())
            .expect("noted");
    }
    let relay = LoggingRelay::new(&device);
    let report = sync_once(&device, &relay).expect("answered");
    assert_eq!(report.edits_stored, COUNT as u64);
    relay.state.lock().expect("state").others_per_answer = 0;
    relay.restore_to(3);
    let report = sync_once(&device, &relay).expect("answered");
    assert!(report.log_restored);
    assert_eq!(
        (report.edits_resent, report.edits_stored),
        (COUNT as u64, COUNT as u64)
    );
    assert_eq!(device.unsent_edit_count().expect("counts"), 0);
    assert_eq!(
        relay.state.lock().expect("state").tree.size(),
        3 + COUNT as u64,
        "each logged anew once"
    );
}

/// Forty notes of 2,000 letters that do not compress on `id`: about 80 KB of changes, more
/// than one push carries.
fn big_notes(device: &Arc<Device>, id: &RegistrationId) {
    let mut state: u64 = 7;
    for _ in 0..40 {
        let text: String = (0..crate::annotations::MAX_NOTE_CHARS)
            .map(|_| {
                state = state
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                char::from(b'a' + (state >> 59) as u8 % 26)
            })
            .collect();
        staff_note(device, id, &text);
    }
}

/// What staff see of `id`'s changes not at the relay yet.
fn changes_staff_see(device: &Arc<Device>, id: &RegistrationId) -> usize {
    crate::staff::unlock(device, STAFF_PIN, Timestamp::now())
        .expect("opens")
        .registration(id)
        .expect("held")
        .unsent_changes
}

/// An unsent edit built on one the restore lost keeps it through a passing refusal (the
/// recruiter unassigned for a while): both stay, told as refused, not also as sent again
/// and dropped; once the relay takes them again both are stored, where the unsent one alone
/// would be refused as `missing-dependencies` every sync.
#[test]
fn an_edit_sent_again_stays_with_the_unsent_edit_on_it_through_a_refusal_and_both_are_stored() {
    use crate::protocol::ErrorCode;
    let dir = tempfile::tempdir().expect("tempdir");
    let (device, id, relay) = a_stored_note_lost_in_a_restore(&dir, false);
    staff_note(&device, &id, "Ringde, återkommer");
    relay.state.lock().expect("state").refuse_edits = Some(ErrorCode::NotPermitted);
    let report = sync_once(&device, &relay).expect("answered");
    assert!(report.log_restored);
    assert_eq!(report.edits_resent, 1);
    for _ in 0..2 {
        // The one sent again goes with the unsent one: refused together, kept together.
        let report = sync_once(&device, &relay).expect("answered");
        assert_eq!(
            report.refused,
            vec![(id.to_string(), ErrorCode::NotPermitted)]
        );
        assert_eq!(report.resend_refused, 0, "told once, as refused");
        assert_eq!(device.unsent_edit_count().expect("counts"), 1);
        assert_eq!(changes_staff_see(&device, &id), 2, "both not at the relay");
    }
    relay.state.lock().expect("state").refuse_edits = None;
    let report = sync_once(&device, &relay).expect("answered");
    assert!(report.refused.is_empty(), "{:?}", report.refused);
    assert_eq!(report.edits_stored, 1);
    assert_eq!(device.unsent_edit_count().expect("counts"), 0);
    assert_eq!(changes_staff_see(&device, &id), 0);
    let state = relay.state.lock().expect("state");
    for hash in own_changes(&device, &id) {
        assert!(state.logged.contains_key(&(id.to_string(), hash)));
    }
}

/// Edits sent again after a restore, more than one push carries, refused: all of them are
/// dropped at the first refusal and told once, not the rest sent and told in the next sync.
#[test]
fn edits_sent_again_over_two_pushes_and_refused_are_all_dropped_and_told_once() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (device, id) = staff_with_a_registration(&dir, false);
    big_notes(&device, &id);
    let relay = LoggingRelay::new(&device);
    sync_once(&device, &relay).expect("answered");
    assert_eq!(device.unsent_edit_count().expect("counts"), 0);
    relay.state.lock().expect("state").others_per_answer = 0;
    relay.restore_to(3);
    relay.state.lock().expect("state").refuse_edits =
        Some(crate::protocol::ErrorCode::NotPermitted);
    let report = sync_once(&device, &relay).expect("answered");
    assert!(report.log_restored);
    assert_eq!((report.edits_resent, report.resend_refused), (1, 1));
    let report = sync_once(&device, &relay).expect("answered");
    assert_eq!(
        (report.requests, report.resend_refused),
        (1, 0),
        "nothing left to send, nothing told again"
    );
}

/// An unsent edit built on edits sent again over two pushes: a refusal of the first push
/// drops none of them, so once the relay takes them again all are stored, oldest first.
#[test]
fn edits_sent_again_over_two_pushes_stay_while_an_unsent_edit_depends_on_them() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (device, id) = staff_with_a_registration(&dir, false);
    big_notes(&device, &id);
    let relay = LoggingRelay::new(&device);
    sync_once(&device, &relay).expect("answered");
    relay.state.lock().expect("state").others_per_answer = 0;
    relay.restore_to(3);
    staff_note(&device, &id, "Ringde, återkommer");
    relay.state.lock().expect("state").refuse_edits =
        Some(crate::protocol::ErrorCode::NotPermitted);
    for _ in 0..2 {
        let report = sync_once(&device, &relay).expect("answered");
        assert_eq!(report.refused.len(), 1, "{:?}", report.refused);
        assert_eq!(report.resend_refused, 0);
    }
    assert_eq!(changes_staff_see(&device, &id), 41);
    relay.state.lock().expect("state").refuse_edits = None;
    let report = sync_once(&device, &relay).expect("answered");
    assert!(report.refused.is_empty(), "{:?}", report.refused);
    assert_eq!(device.unsent_edit_count().expect("counts"), 0);
    assert_eq!(
        relay.state.lock().expect("state").tree.size(),
        3 + 41,
        "each logged anew once"
    );
}

/// A copy past its expiry still holding an unsent edit (kept until sent) has its own edits
/// the restore lost sent again too: the unsent one depends on them.
#[test]
fn an_expired_copy_with_an_unsent_edit_sends_again_the_edits_it_depends_on() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (device, id, relay) = a_stored_note_lost_in_a_restore(&dir, false);
    staff_note(&device, &id, "Ringde, återkommer");
    {
        let mut inner = device.lock().expect("lock");
        let mut row = inner.store.all_pulled().expect("reads").remove(0);
        row.expires_at = (NOW_SECS as i64 + 30) * 1000;
        inner
            .store
            .put_pulled(&[row], &[], &[], &[], 0)
            .expect("writes");
    }
    let report = sync_at(&device, &relay, NOW_SECS + 60).expect("answered");
    assert!(report.log_restored);
    assert!(report.refused.is_empty(), "{:?}", report.refused);
    assert_eq!((report.edits_resent, report.edits_stored), (1, 1));
    assert_eq!(report.erased, 1, "sent, then erased at the end of the sync");
    assert_eq!(device.unsent_edit_count().expect("counts"), 0);
}

/// Changes only sent again are counted to send, and shown to staff, while the copy has not
/// expired; once it has, they are neither sent nor counted (hand-back is not held by them)
/// and the copy is erased.
#[test]
fn changes_only_sent_again_are_neither_sent_nor_counted_once_the_copy_expired() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (device, id) = staff_with_a_registration(&dir, false);
    staff_note(&device, &id, "Ring på måndag");
    let relay = LoggingRelay::new(&device);
    assert_eq!(
        sync_once(&device, &relay).expect("answered").edits_stored,
        1
    );
    let own = own_changes(&device, &id);
    let set = |expires_at: i64| {
        let mut inner = device.lock().expect("lock");
        let mut row = inner.store.all_pulled().expect("reads").remove(0);
        row.resend = own.clone();
        row.expires_at = expires_at;
        inner
            .store
            .put_pulled(&[row], &[], &[], &[], 0)
            .expect("writes");
    };
    set(Timestamp::now().millis() + 3_600_000);
    assert_eq!(device.unsent_edit_count().expect("counts"), 1);
    assert_eq!(changes_staff_see(&device, &id), 1);
    set((NOW_SECS as i64 + 30) * 1000);
    assert_eq!(device.unsent_edit_count().expect("counts"), 0);
    assert_eq!(changes_staff_see(&device, &id), 0);
    assert!(!matches!(
        device.hand_back().expect("reads"),
        HandBack::UnsentEdits { .. }
    ));
    let report = sync_at(&device, &relay, NOW_SECS + 60).expect("answered");
    assert_eq!(
        (report.requests, report.edits_stored, report.erased),
        (1, 0, 1),
        "not sent, erased"
    );
}

/// A relay whose every answer shows a restore explains an edit's `missing-dependencies`
/// once per sync: the second is a refusal, and the sync ends.
#[test]
fn missing_dependencies_are_explained_by_a_restore_once_per_sync() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (device, id, relay) = a_stored_note_lost_in_a_restore(&dir, true);
    let hr = hr_changes(&device, &id);
    {
        let mut state = relay.state.lock().expect("state");
        state.lacks.extend(hr);
        state.restore_every_answer = true;
    }
    staff_note(&device, &id, "Ringde, återkommer");
    let report = sync_once(&device, &relay).expect("answered");
    assert!(report.log_restored);
    assert_eq!(report.requests, 2, "once explained, then refused");
    assert_eq!(
        report.refused,
        vec![(
            id.to_string(),
            crate::protocol::ErrorCode::MissingDependencies
        )]
    );
    assert_eq!(report.resend_refused, 0);
}
