//! The transparency log's part of a sync answer (`docs/protocol.md`, "Transparency log"):
//! the signed checkpoint of the log as committed, the log key for a tablet that holds no
//! checkpoint yet, the consistency proof from the size the tablet names, and, for every
//! push the answer acknowledges as stored or kept apart for HR review, the leaves that
//! record it with their inclusion proofs; and the newest checkpoint the witnesses the tablet
//! requires (`log_witnesses`) cosigned, with its cosignatures and the consistency proof from
//! it to the answer's checkpoint. Read after the ingest transaction committed: stored
//! subtrees never change, so proofs for the tip read then are consistent without a snapshot.
//!
//! An answer's leaves are known by everything but their time: the record's commitment, the
//! change's subject (both under the record's nonce) and the author. Those the request's own
//! ingest transaction appended are taken from what it reports ([`AppendedLeaves`]); the
//! others (a capture or a staff edit sent again however long after the relay stored it,
//! its answer lost; a push the relay held already) are looked up through the store's index
//! of leaves by record commitment, never by reading the log, so they are answered with
//! their proofs all the same. Each inclusion carries the record's nonce, so the tablet can
//! recompute the commitment and subject from what it sent and know the leaf is about
//! exactly that change; the nonce is never logged. Each leaf read is looked up by its
//! identity (a hash map), and an answer proves at most [`MAX_ANSWER_LEAVES`] leaves; an
//! edit's `accepted-before-log` leaves go only to a tablet whose request says it takes
//! them (`log_features`).

use std::collections::{HashMap, HashSet};

use kiosk_core::documents::ChunkLimits;
use kiosk_core::protocol::{
    LOG_FEATURE_EDIT_BEFORE_LOG, LogInclusion, PushOutcome, SyncRequest, SyncResponse,
};
use kiosk_core::tlog::tree::{TreeError, consistency_proof, inclusion_proof};

use super::Checked;
use crate::storage::model::{AppendedLeaves, IngestItem, LOG_READ_LIMIT, LogTip};
use crate::storage::{RelayStore, StorageResult};
use crate::transparency::leaf::{LEAF_LEN, LeafKind, Nonce, change_subject, record_commitment};
use crate::transparency::source::{CachedSubtrees, SourceError};
use crate::witness::intake::{Witnesses, required_witnesses, with_cosignatures};

/// The most leaves of one record read while looking for an answer's leaves: far more than
/// a record can have (a capture, staff and HR edits within their size limits, holds).
const MAX_RECORD_LEAVES: u64 = 100_000;

/// What signs the log's checkpoints: the relay's log key.
pub trait LogSigner: Send + Sync + std::fmt::Debug {
    /// The verifier key as C2SP vkey text (`<origin>+<key id>+<base64>`).
    fn vkey(&self) -> String;
    /// The signed note of a checkpoint of `tip`.
    fn sign_tip(&self, tip: LogTip) -> String;
}

impl LogSigner for crate::transparency::checkpoint::LogKey {
    fn vkey(&self) -> String {
        self.verifier().to_string()
    }

    fn sign_tip(&self, tip: LogTip) -> String {
        self.sign(tip)
    }
}

/// One leaf an acknowledged push must have: its push, the kinds it may be logged as,
/// bytes 2..98 of the leaf (record commitment, subject, author) and the record's nonce,
/// which the answer gives the tablet with the leaf.
struct Wanted {
    push: u32,
    kinds: &'static [LeafKind],
    identity: [u8; 96],
    nonce: Nonce,
}

/// Fills `response`'s log fields for `request`, from the log as committed now.
pub(super) fn fill(
    store: &dyn RelayStore,
    log: &dyn LogSigner,
    witnesses: &Witnesses,
    request: &SyncRequest,
    (checked, appended): (&[Checked], &AppendedLeaves),
    device_key: &[u8; 32],
    response: &mut SyncResponse,
) -> StorageResult<()> {
    let tip = store.log_tip()?;
    response.log_checkpoint = Some(log.sign_tip(tip));
    if request.log_size == 0 {
        response.log_key = Some(log.vkey());
    }
    // The proofs of one answer share most of their subtrees: each is read once.
    let source = CachedSubtrees::new(store);
    // A size past the tip gets no proof: the tablet sees the log shrink, which is a fork.
    if request.log_size > 0 && request.log_size < tip.size {
        response.log_consistency = proof(consistency_proof(&source, request.log_size, tip.size))?;
    }
    // The newest tree the witnesses the tablet requires cosigned (all the relay's when it
    // names none), with the proof that the answer's tree extends it: a tablet requiring
    // witnesses counts only leaves inside it. Chosen against the tip read above, so a
    // cosignature landing meanwhile (or one kept for a root the log no longer has) is never
    // sent for a tree this answer's does not extend.
    let (required, unknown) = required_witnesses(witnesses, &request.log_witnesses);
    if unknown > 0 && witnesses.unknown_warning_due(device_key) {
        // Counts only: which witnesses a tablet pins is its operator's business. At most
        // once an hour per tablet: it syncs every few minutes, and nothing changes.
        tracing::warn!(
            unknown,
            "a tablet requires witnesses this relay takes no cosignatures from: it waits for them"
        );
    }
    if let Some((size, root)) = witnesses.newest_cosigned_tree(store, tip, &required)? {
        let signed = log.sign_tip(LogTip { size, root });
        response.log_cosigned = Some(with_cosignatures(&signed, size, &root, store)?);
        if size < tip.size {
            response.log_cosigned_consistency = proof(consistency_proof(&source, size, tip.size))?;
        }
    }
    // An edit's `accepted-before-log` leaf only to a tablet that takes it: to an older
    // one it is a fork, which stops it for good. (Decoding bounded the list.)
    let edit_before_log = request
        .log_features
        .iter()
        .any(|feature| feature == LOG_FEATURE_EDIT_BEFORE_LOG);
    let asked = Asked {
        device_key,
        edit_before_log,
        cap: MAX_ANSWER_LEAVES,
    };
    let wanted = wanted_leaves(store, checked, &response.outcomes, &asked)?;
    for (index, leaf, want) in find_leaves(store, tip.size, &wanted, appended)? {
        response.log_inclusions.push(LogInclusion {
            push: want.push,
            index,
            leaf,
            proof: proof(inclusion_proof(&source, index, tip.size))?,
            nonce: Some(want.nonce),
        });
    }
    Ok(())
}

/// The log index of each leaf an answer to a request of captures (`items`, as stored with
/// `outcomes` and `appended`) by `device_key` proves, as [`fill`] finds them: the
/// benchmark's answer reads what a real one does.
#[cfg(feature = "test-support")]
#[doc(hidden)]
pub fn answer_leaves_for_bench(
    store: &dyn RelayStore,
    items: &[IngestItem],
    (outcomes, appended): (&[PushOutcome], &AppendedLeaves),
    device_key: &[u8; 32],
) -> StorageResult<Vec<u64>> {
    let size = store.log_tip()?.size;
    let checked: Vec<Checked> = items.iter().cloned().map(Checked::Item).collect();
    let asked = Asked {
        device_key,
        edit_before_log: true,
        cap: MAX_ANSWER_LEAVES,
    };
    let wanted = wanted_leaves(store, &checked, outcomes, &asked)?;
    Ok(find_leaves(store, size, &wanted, appended)?
        .into_iter()
        .map(|(index, ..)| index)
        .collect())
}

/// A proof, or none when the stored log lacks a subtree it needs: a damaged log is for the
/// tablet to find (its check fails and it keeps the evidence), not for the relay to hide
/// behind an error.
fn proof(result: Result<Vec<[u8; 32]>, TreeError<SourceError>>) -> StorageResult<Vec<[u8; 32]>> {
    match result {
        Ok(proof) => Ok(proof),
        Err(TreeError::Source(SourceError::Storage(error))) => Err(error),
        Err(error) => {
            tracing::error!(%error, "the transparency log cannot prove what a sync answer needs");
            Ok(Vec::new())
        }
    }
}

/// The most leaves one answer proves: a tablet's whole batch (100 documents) of staff edit
/// pushes, each of as many changes as one may carry; far above what any honest request
/// needs (a capture has one change), and the tablet never needs more than one per change it
/// pushed. A request wanting more is not refused: the pushes whose leaves fit whole, in
/// order, are proven, the rest are answered without proofs (and a warning), and the tablet
/// sends those again.
pub(crate) const MAX_ANSWER_LEAVES: usize = 100 * ChunkLimits::STAFF_EDIT.max_chunks;

/// Who asks for an answer's leaves and what they take.
#[derive(Clone, Copy)]
struct Asked<'a> {
    device_key: &'a [u8; 32],
    /// The tablet takes an edit's `accepted-before-log` leaf.
    edit_before_log: bool,
    /// The most leaves to look up ([`MAX_ANSWER_LEAVES`]).
    cap: usize,
}

/// The leaves each stored push must have: one per change of a stored capture, one per
/// change of a capture kept apart for HR review, and one per change of a staff edit push
/// that the relay holds, new or stored before. An edit sent again after a lost answer
/// brings no new change, yet the tablet counts its changes stored only with their proofs,
/// so the leaves written when they were first stored are looked up. At most `cap`
/// ([`MAX_ANSWER_LEAVES`]): the pushes in order while all of each one's leaves fit, none
/// from the first that does not.
fn wanted_leaves(
    store: &dyn RelayStore,
    checked: &[Checked],
    outcomes: &[PushOutcome],
    asked: &Asked<'_>,
) -> StorageResult<Vec<Wanted>> {
    let Asked {
        device_key,
        edit_before_log,
        cap,
    } = *asked;
    const CAPTURE: &[LeafKind] = &[LeafKind::Capture, LeafKind::AcceptedBeforeLog];
    // A change held before the log existed has its upgrade's leaf, by the same author;
    // only a tablet that says it takes one is sent it.
    let edit: &'static [LeafKind] = if edit_before_log {
        &[LeafKind::StaffEdit, LeafKind::AcceptedBeforeLog]
    } else {
        &[LeafKind::StaffEdit]
    };
    // A capture kept apart for HR review: a leaf per change, under the record's nonce, or
    // its copy's own when another tablet's registration holds the id.
    const QUARANTINED: &[LeafKind] = &[LeafKind::Quarantined];
    // The record nonce of every stored push, in one read (a read each cost about as much as
    // the rest of the answer's log part); pushes are bounded (`MAX_PUSHES_PER_REQUEST`).
    let mut stored_ids: Vec<&str> = checked
        .iter()
        .zip(outcomes)
        .filter_map(|(check, outcome)| match proven_push(check, outcome)? {
            ProvenPush::Capture { doc_id, .. } | ProvenPush::Edit { doc_id, .. } => Some(doc_id),
            ProvenPush::Quarantined { .. } => None,
        })
        .collect();
    stored_ids.sort_unstable();
    stored_ids.dedup();
    let nonces: HashMap<&str, Option<Nonce>> = stored_ids
        .iter()
        .copied()
        .zip(store.record_nonces(&stored_ids)?)
        .collect();
    let mut wanted = Vec::new();
    // What the relay holds of each record edited, as a set, built again only when a later
    // push's outcome holds more (the same record pushed many times in one request).
    let mut held_sets: HashMap<&str, HashSet<[u8; 32]>> = HashMap::new();
    for (push, (check, outcome)) in checked.iter().zip(outcomes).enumerate() {
        // Cheap first: the count of what is wanted before any hash is made.
        let (doc_id, hashes, kinds): (&str, Vec<[u8; 32]>, _) = match proven_push(check, outcome) {
            Some(ProvenPush::Capture { doc_id, hashes }) => (doc_id, hashes.to_vec(), CAPTURE),
            Some(ProvenPush::Quarantined { doc_id, hashes }) => {
                (doc_id, hashes.to_vec(), QUARANTINED)
            }
            Some(ProvenPush::Edit {
                doc_id,
                pushed,
                held,
            }) => {
                let set = held_sets.entry(doc_id).or_default();
                if set.len() != held.len() {
                    *set = held.iter().copied().collect();
                }
                // Only what the relay holds (the outcome lists it): a change refused or
                // removed meanwhile has no leaf to find.
                let hashes = pushed
                    .iter()
                    .filter(|h| set.contains(*h))
                    .copied()
                    .collect();
                (doc_id, hashes, edit)
            }
            None => continue,
        };
        if wanted.len() + hashes.len() > cap {
            // The pushes that fit whole are proven, so the tablet counts them received and
            // sends only the rest again: without them it would resend the same batch forever.
            tracing::warn!(
                limit = cap,
                "a sync request's pushes want more leaves than an answer proves: the rest answered without proofs"
            );
            break;
        }
        // Every other push's id was read above.
        let nonce = if kinds == QUARANTINED {
            store.quarantine_nonce(doc_id, device_key)?
        } else {
            nonces.get(doc_id).copied().flatten()
        };
        let Some(nonce) = nonce else {
            continue;
        };
        let record = record_commitment(&nonce, doc_id);
        for hash in &hashes {
            let mut identity = [0u8; 96];
            identity[..32].copy_from_slice(&record);
            identity[32..64].copy_from_slice(&change_subject(&nonce, hash));
            identity[64..].copy_from_slice(device_key);
            wanted.push(Wanted {
                push: push as u32,
                kinds,
                identity,
                nonce,
            });
        }
    }
    Ok(wanted)
}

/// A push whose answer proves its leaves, as its check and outcome say: a capture stored,
/// a capture kept apart for HR review, or a staff edit the relay holds (new or stored
/// before). The one reading of a push for both the nonces an answer reads and the leaves
/// it wants.
enum ProvenPush<'a> {
    /// A capture stored: a leaf per change, under the record's nonce.
    Capture {
        doc_id: &'a str,
        hashes: &'a [[u8; 32]],
    },
    /// A capture kept apart for HR review: a leaf per change, under the record's nonce or
    /// its copy's own.
    Quarantined {
        doc_id: &'a str,
        hashes: &'a [[u8; 32]],
    },
    /// A staff edit push the relay holds: a leaf per change pushed that it holds (`held`).
    Edit {
        doc_id: &'a str,
        pushed: &'a [[u8; 32]],
        held: &'a [[u8; 32]],
    },
}

/// What `check` with `outcome` has proven, if anything.
fn proven_push<'a>(check: &'a Checked, outcome: &'a PushOutcome) -> Option<ProvenPush<'a>> {
    match (check, outcome) {
        (
            Checked::Item(IngestItem::Store {
                doc_id,
                change_hashes,
                ..
            }),
            PushOutcome::Stored(_),
        ) => Some(ProvenPush::Capture {
            doc_id,
            hashes: change_hashes,
        }),
        (
            Checked::Item(
                IngestItem::Store {
                    doc_id,
                    change_hashes,
                    ..
                }
                | IngestItem::Quarantine {
                    doc_id,
                    change_hashes,
                    ..
                },
            ),
            PushOutcome::Quarantined(..),
        ) => Some(ProvenPush::Quarantined {
            doc_id,
            hashes: change_hashes,
        }),
        (
            Checked::Edit {
                item: IngestItem::Annotate { doc_id, .. },
                pushed,
            },
            PushOutcome::Stored(held),
        ) => Some(ProvenPush::Edit {
            doc_id,
            pushed,
            held,
        }),
        _ => None,
    }
}

/// Finds each wanted leaf in the first `size` (the latest match wins): `(index, leaf bytes,
/// what was wanted)`. First among the leaves the request appended, which are later than any
/// other of theirs; then, only for the records some wanted leaf is still missing of, among
/// the record's leaves through the store's index. Each leaf read is looked up by its
/// identity (bytes 2..98), not compared with every wanted leaf.
fn find_leaves<'w>(
    store: &dyn RelayStore,
    size: u64,
    wanted: &'w [Wanted],
    appended: &AppendedLeaves,
) -> StorageResult<Vec<(u64, Vec<u8>, &'w Wanted)>> {
    let mut slots: HashMap<&[u8; 96], Vec<usize>> = HashMap::with_capacity(wanted.len());
    for (slot, want) in wanted.iter().enumerate() {
        slots.entry(&want.identity).or_default().push(slot);
    }
    let mut fresh: Vec<Option<(u64, &[u8])>> = vec![None; wanted.len()];
    for (index, leaf) in appended.indexed() {
        if index < size
            && let Some(slot) = slot_of(&slots, wanted, leaf)
        {
            fresh[slot] = Some((index, leaf));
        }
    }
    let mut records: Vec<[u8; 32]> = wanted
        .iter()
        .zip(&fresh)
        .filter(|(_, fresh)| fresh.is_none())
        .map(|(want, _)| want.identity[..32].try_into().expect("32 bytes"))
        .collect();
    records.sort_unstable();
    records.dedup();
    let old = find_by_record(store, size, &records, &slots, wanted)?;
    let found: Vec<Option<Found>> = fresh
        .into_iter()
        .zip(old)
        .map(|(fresh, old)| fresh.map(|(index, leaf)| (index, leaf.to_vec())).or(old))
        .collect();
    let missing = found.iter().filter(|f| f.is_none()).count();
    if missing > 0 {
        tracing::warn!(
            missing,
            "leaves of a sync answer's pushes are not in the log: answered without their proofs"
        );
    }
    Ok(found
        .into_iter()
        .zip(wanted)
        .filter_map(|(slot, want)| slot.map(|(index, leaf)| (index, leaf, want)))
        .collect())
}

/// The wanted slot `leaf` proves: the first one of its identity that takes its kind, as one
/// leaf proves one push's change (the tablet refuses a leaf claimed twice).
fn slot_of(
    slots: &HashMap<&[u8; 96], Vec<usize>>,
    wanted: &[Wanted],
    leaf: &[u8],
) -> Option<usize> {
    if leaf.len() != LEAF_LEN {
        return None;
    }
    let identity: &[u8; 96] = leaf[2..98].try_into().expect("96 bytes");
    slots.get(identity).and_then(|candidates| {
        candidates
            .iter()
            .find(|&&slot| wanted[slot].kinds.iter().any(|k| *k as u8 == leaf[1]))
            .copied()
    })
}

/// A leaf found for a wanted slot: its index and bytes.
type Found = (u64, Vec<u8>);

/// The leaf each wanted slot gets among the leaves of `records` in the first `size`, by
/// the store's index of leaves by record (the latest match wins).
fn find_by_record(
    store: &dyn RelayStore,
    size: u64,
    records: &[[u8; 32]],
    slots: &HashMap<&[u8; 96], Vec<usize>>,
    wanted: &[Wanted],
) -> StorageResult<Vec<Option<Found>>> {
    let mut found: Vec<Option<Found>> = vec![None; wanted.len()];
    for record in records {
        let (mut from, mut read) = (0u64, 0u64);
        while from < size && read < MAX_RECORD_LEAVES {
            let page = store.log_leaves_of_record(record, from, LOG_READ_LIMIT)?;
            let short = page.len() < LOG_READ_LIMIT;
            read += page.len() as u64;
            for (index, leaf) in page {
                from = index + 1;
                if index >= size {
                    continue;
                }
                if let Some(slot) = slot_of(slots, wanted, &leaf) {
                    found[slot] = Some((index, leaf));
                }
            }
            if short {
                break;
            }
        }
    }
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::storage::SqliteStore;
    use crate::storage::prelude::*;
    use crate::storage::suite::fixtures::{batch, enroll};

    /// Past the cap an answer proves the pushes that fit whole, in order, and none after
    /// (and is still given), so a request cannot make the relay look up leaves without end
    /// and the tablet still makes progress; within it, every stored change is wanted.
    #[test]
    fn a_request_wanting_more_leaves_than_the_cap_proves_the_pushes_that_fit_whole() {
        let store = SqliteStore::in_memory().expect("store");
        let device = enroll(&store, 1)[0];
        let request = batch(&device, 1, 1..=3);
        let outcome = store.ingest(&request).expect("stored");
        let crate::storage::model::IngestOutcome::Committed {
            outcomes, appended, ..
        } = outcome
        else {
            panic!("applied: {outcome:?}");
        };
        let checked: Vec<Checked> = request.items.into_iter().map(Checked::Item).collect();
        let changes: usize = outcomes
            .iter()
            .map(|o| match o {
                PushOutcome::Stored(hashes) => hashes.len(),
                _ => 0,
            })
            .sum();
        assert!(changes > 1);
        let asked = |cap| Asked {
            device_key: &device,
            edit_before_log: true,
            cap,
        };
        let within = wanted_leaves(&store, &checked, &outcomes, &asked(changes)).expect("reads");
        assert_eq!(within.len(), changes, "one leaf per stored change");
        let size = store.log_tip().expect("tip").size;
        let found = find_leaves(&store, size, &within, &appended).expect("reads");
        assert_eq!(found.len(), changes, "each found in the log");
        let last = outcomes.len() - 1;
        let PushOutcome::Stored(last_changes) = &outcomes[last] else {
            panic!("stored: {:?}", outcomes[last]);
        };
        let past = wanted_leaves(&store, &checked, &outcomes, &asked(changes - 1)).expect("reads");
        assert_eq!(
            past.len(),
            changes - last_changes.len(),
            "past the cap: every leaf of the pushes that fit, no error"
        );
        assert!(
            past.iter().all(|want| (want.push as usize) < last),
            "none of the push that does not fit whole"
        );
        let found = find_leaves(&store, size, &past, &appended).expect("reads");
        assert_eq!(found.len(), past.len(), "the pushes that fit are proven");
    }

    /// The leaves a request's transaction appended prove its fresh captures at the index and
    /// with the bytes the lookup by record finds, without the store (an empty one gives them
    /// all the same); a capture sent again in the same request, whose leaf is older, is
    /// found by record, as before.
    #[test]
    fn a_requests_appended_leaves_prove_its_fresh_pushes_and_older_ones_are_found_by_record() {
        let store = SqliteStore::in_memory().expect("store");
        let device = enroll(&store, 1)[0];
        let first = batch(&device, 1, 1..=2);
        store.ingest(&first).expect("stored");
        let mut again = batch(&device, 2, 3..=4);
        again.items.push(first.items[0].clone());
        let crate::storage::model::IngestOutcome::Committed {
            outcomes, appended, ..
        } = store.ingest(&again).expect("stored")
        else {
            panic!("applied");
        };
        let fresh_changes = crate::storage::suite::fixtures::hashes(&device, 3).len()
            + crate::storage::suite::fixtures::hashes(&device, 4).len();
        assert_eq!(
            appended.leaves.len(),
            fresh_changes,
            "the new captures' leaves"
        );
        let checked: Vec<Checked> = again.items.into_iter().map(Checked::Item).collect();
        let asked = Asked {
            device_key: &device,
            edit_before_log: true,
            cap: MAX_ANSWER_LEAVES,
        };
        let wanted = wanted_leaves(&store, &checked, &outcomes, &asked).expect("reads");
        let size = store.log_tip().expect("tip").size;
        let found = find_leaves(&store, size, &wanted, &appended).expect("reads");
        let looked_up =
            find_leaves(&store, size, &wanted, &AppendedLeaves::default()).expect("reads");
        assert_eq!(found.len(), wanted.len(), "every change proven");
        let plain = |found: &[(u64, Vec<u8>, &Wanted)]| -> Vec<(u64, Vec<u8>, u32)> {
            found
                .iter()
                .map(|(index, leaf, want)| (*index, leaf.clone(), want.push))
                .collect()
        };
        assert_eq!(
            plain(&found),
            plain(&looked_up),
            "the same leaves either way"
        );
        let resent = found
            .iter()
            .find(|(_, _, want)| want.push == 2)
            .expect("proven");
        assert!(
            resent.0 < appended.first_index,
            "the re-sent capture's first leaf"
        );
        let empty = SqliteStore::in_memory().expect("store");
        let fresh_only = find_leaves(&empty, size, &wanted, &appended).expect("reads");
        assert_eq!(
            plain(&fresh_only),
            plain(&found)[..fresh_changes],
            "fresh pushes proven from what the transaction appended"
        );
    }

    /// An edit's `accepted-before-log` leaf is looked for only for a tablet that says it
    /// takes one: to an older tablet it is a leaf of another kind, a fork that stops it.
    #[test]
    fn an_edits_accepted_before_log_leaf_is_wanted_only_for_a_tablet_that_takes_it() {
        let store = SqliteStore::in_memory().expect("store");
        let device = enroll(&store, 1)[0];
        let request = batch(&device, 1, 1..=1);
        store.ingest(&request).expect("stored");
        let IngestItem::Store {
            doc_id,
            change_hashes,
            ..
        } = &request.items[0]
        else {
            unreachable!("a capture")
        };
        let checked = vec![Checked::Edit {
            item: IngestItem::Annotate {
                doc_id: doc_id.clone(),
                changes: Vec::new(),
            },
            pushed: change_hashes.clone(),
        }];
        let outcomes = vec![PushOutcome::Stored(change_hashes.clone())];
        for (edit_before_log, kinds) in [
            (
                true,
                &[LeafKind::StaffEdit, LeafKind::AcceptedBeforeLog][..],
            ),
            (false, &[LeafKind::StaffEdit][..]),
        ] {
            let asked = Asked {
                device_key: &device,
                edit_before_log,
                cap: MAX_ANSWER_LEAVES,
            };
            let wanted = wanted_leaves(&store, &checked, &outcomes, &asked).expect("reads");
            assert_eq!(
                wanted.len(),
                change_hashes.len(),
                "each change held is wanted"
            );
            assert!(
                wanted.iter().all(|want| want.kinds == kinds),
                "{edit_before_log}"
            );
        }
    }

    /// A staff tablet's edit sent again after its answer was lost brings nothing new, yet
    /// each change it pushed is proven by the leaf written when it was first stored; a
    /// change the relay held before its log existed is proven by the upgrade's
    /// `accepted-before-log` leaf, only for a tablet that takes one (else no proof, never a
    /// leaf the tablet would take for a fork).
    #[test]
    fn an_edit_sent_again_and_a_change_held_before_the_log_are_proven_by_their_first_leaves() {
        use crate::storage::suite::fixtures::{STAFF_PULLER, enroll_staff};
        use crate::transparency::leaf::Leaf;

        let store = SqliteStore::in_memory().expect("store");
        let device = enroll(&store, 1)[0];
        enroll_staff(&store, STAFF_PULLER, crate::storage::suite::fixtures::EVENT);
        let request = batch(&device, 1, 1..=1);
        store.ingest(&request).expect("stored");
        let IngestItem::Store { doc_id, .. } = &request.items[0] else {
            unreachable!("a capture")
        };
        let (edited, before_log) = ([0xa1; 32], [0xa2; 32]);
        let mut edit = batch(&STAFF_PULLER, 1, 1..=1);
        edit.items = vec![IngestItem::Annotate {
            doc_id: doc_id.clone(),
            changes: vec![(edited, b"a note".to_vec())],
        }];
        edit.accessor = crate::storage::Accessor::Device {
            device_key: STAFF_PULLER,
            recruiter: Some("rut".into()),
        };
        store.ingest(&edit).expect("stored");
        let first_edit_leaf = store.log_tip().expect("tip").size - 1;
        // A change held before the log: the upgrade's leaf, by the staff tablet.
        let nonce = store.record_nonce(doc_id).expect("reads").expect("held");
        store
            .append_log_leaves_for_bench(&[Leaf::change(
                LeafKind::AcceptedBeforeLog,
                &nonce,
                doc_id,
                &before_log,
                &STAFF_PULLER,
                5,
            )])
            .expect("appends");
        // Others' leaves after them: the re-send is answered from the record's index.
        store
            .ingest(&batch(&device, 2, 2..=3))
            .expect("more stored");
        let size = store.log_tip().expect("tip").size;
        // The re-send: nothing new to store (`changes` empty), both pushed, both held.
        let checked = vec![Checked::Edit {
            item: IngestItem::Annotate {
                doc_id: doc_id.clone(),
                changes: Vec::new(),
            },
            pushed: vec![edited, before_log],
        }];
        let mut held = vec![edited, before_log];
        held.extend(crate::storage::suite::fixtures::hashes(&device, 1));
        let outcomes = vec![PushOutcome::Stored(held)];
        for edit_before_log in [true, false] {
            let asked = Asked {
                device_key: &STAFF_PULLER,
                edit_before_log,
                cap: MAX_ANSWER_LEAVES,
            };
            let wanted = wanted_leaves(&store, &checked, &outcomes, &asked).expect("reads");
            let found =
                find_leaves(&store, size, &wanted, &AppendedLeaves::default()).expect("reads");
            let indexes: Vec<u64> = found.iter().map(|(index, _, _)| *index).collect();
            if edit_before_log {
                assert_eq!(indexes, [first_edit_leaf, first_edit_leaf + 1]);
                assert_eq!(found[1].1[1], LeafKind::AcceptedBeforeLog as u8);
            } else {
                assert_eq!(
                    indexes,
                    [first_edit_leaf],
                    "no kind-7 leaf for an older tablet"
                );
            }
        }
    }
}
