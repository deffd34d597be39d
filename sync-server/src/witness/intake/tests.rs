//! The relay's intake against a real (in-memory SQLite) store with logged captures.

use ed25519_dalek::SigningKey;
use kiosk_core::cosigned_checkpoint::open_cosigned;
use kiosk_core::tlog::checkpoint::Checkpoint;
use kiosk_core::tlog::cosignature::CosignatureSigner;
use kiosk_core::tlog::note::NoteSigner;

use super::*;
use crate::storage::prelude::*;
use crate::storage::{SqliteStore, ingest_generated_for_tests};

const ORIGIN: &str = "relay.example.se/kiosk-log";

fn log_signer() -> NoteSigner {
    NoteSigner::new(ORIGIN, &SigningKey::from_bytes(&[7; 32])).expect("name")
}

fn archive() -> CosignatureSigner {
    CosignatureSigner::new(
        "arkiv.example.se/witness",
        &SigningKey::from_bytes(&[1; 32]),
    )
    .expect("name")
}

/// A store with a few logged captures, and its checkpoint signed by the log key.
fn logged_store() -> (SqliteStore, String, u64, Hash) {
    let store = SqliteStore::in_memory().expect("store");
    ingest_generated_for_tests(&store, 3);
    let tip = store.log_tip().expect("tip");
    assert!(tip.size >= 3, "captures appended leaves");
    let note = log_signer()
        .sign(&Checkpoint::new(ORIGIN, tip.size, tip.root).to_body())
        .expect("signs");
    (store, note, tip.size, tip.root)
}

fn cosigned(note: &str, witness: &CosignatureSigner, time: u64) -> String {
    let (body, _) = parse_note(note).expect("note");
    format!("{note}{}", witness.cosign(body, time).expect("cosigns"))
}

#[test]
fn a_trusted_witnesss_cosignature_of_this_relays_checkpoint_is_kept_and_served() {
    let (store, note, size, root) = logged_store();
    let witnesses = [archive().verifier()];
    let kept = accept(
        cosigned(&note, &archive(), 500).as_bytes(),
        &log_signer().verifier(),
        &witnesses,
        &store,
    )
    .expect("accepted");
    assert_eq!(kept.len(), 1);
    assert_eq!((kept[0].size, kept[0].time), (size, 500));
    assert_eq!(kept[0].witness, archive().verifier().to_string());
    // The same again is accepted but keeps nothing new.
    let again = accept(
        cosigned(&note, &archive(), 500).as_bytes(),
        &log_signer().verifier(),
        &witnesses,
        &store,
    )
    .expect("accepted");
    assert!(again.is_empty());
    // Served with the checkpoint, it opens for a tablet requiring the witness.
    let served = with_cosignatures(&note, size, &root, &store).expect("reads");
    let opened = open_cosigned(&served, &log_signer().verifier(), &witnesses).expect("opens");
    assert_eq!(
        opened.cosigned,
        vec![("arkiv.example.se/witness".to_owned(), 500)]
    );
    assert_eq!(
        newest_cosigned_tree(&store, size, &witnesses).expect("reads"),
        Some((size, root))
    );
}

#[test]
fn refusals_come_cheapest_first_and_keep_nothing() {
    let (store, note, size, _) = logged_store();
    let log = log_signer().verifier();
    let witnesses = [archive().verifier()];
    let code = |body: &[u8]| {
        accept(body, &log, &witnesses, &store)
            .expect_err("refused")
            .status_and_code()
    };
    assert_eq!(
        code(&vec![b'a'; MAX_COSIGNATURE_BODY + 1]),
        (413, "too_large")
    );
    assert_eq!(code(b"not a note"), (400, "malformed_note"));
    // An untrusted witness is refused before any signature is checked.
    let stranger =
        CosignatureSigner::new("someone/witness", &SigningKey::from_bytes(&[2; 32])).expect("name");
    assert_eq!(
        code(cosigned(&note, &stranger, 1).as_bytes()),
        (403, "unknown_witness")
    );
    // A checkpoint another key signed, cosigned by the trusted witness.
    let other_log = NoteSigner::new(ORIGIN, &SigningKey::from_bytes(&[8; 32])).expect("name");
    let tip = store.log_tip().expect("tip");
    let foreign = other_log
        .sign(&Checkpoint::new(ORIGIN, tip.size, tip.root).to_body())
        .expect("signs");
    assert_eq!(
        code(cosigned(&foreign, &archive(), 1).as_bytes()),
        (422, "not_our_checkpoint")
    );
    // The log key's signature over a tree this relay does not hold (a split view's other
    // half, or a larger size than stored).
    for (other_size, other_root) in [(size, [9u8; 32]), (size + 1, tip.root)] {
        let forked = log_signer()
            .sign(&Checkpoint::new(ORIGIN, other_size, other_root).to_body())
            .expect("signs");
        assert_eq!(
            code(cosigned(&forked, &archive(), 1).as_bytes()),
            (409, "not_our_tree")
        );
    }
    // The trusted witness's line with a damaged signature.
    let good = cosigned(&note, &archive(), 1);
    let (_, lines) = parse_note(&good).expect("note");
    let mut line = lines[1].clone();
    line.signature[20] ^= 1;
    let damaged = format!("{note}{}", line.to_line());
    assert_eq!(code(damaged.as_bytes()), (422, "bad_cosignature"));
    assert_eq!(
        newest_cosigned_tree(&store, size, &[archive().verifier()]).expect("reads"),
        None
    );
}

/// A cosignature dated more than a day ahead of the relay's clock is refused with a code
/// naming it, and nothing of the body is kept (with another witness's good line in it
/// too); a day ahead exactly is taken.
#[test]
fn a_cosignature_dated_more_than_a_day_ahead_is_refused_and_nothing_kept() {
    let (store, note, size, root) = logged_store();
    let log = log_signer().verifier();
    let witnesses = [dso().verifier(), archive().verifier()];
    let now = 1_000_000;
    let ahead = cosigned(
        &cosigned(&note, &dso(), now),
        &archive(),
        now + MAX_COSIGNATURE_FUTURE_SECS + 1,
    );
    let error = accept_at(ahead.as_bytes(), &log, &witnesses, &store, now).expect_err("refused");
    assert_eq!(error.status_and_code(), (422, "cosignature_time_ahead"));
    assert!(
        error.to_string().contains("arkiv.example.se/witness"),
        "{error}"
    );
    assert!(
        store
            .cosignatures_of(size, &root)
            .expect("reads")
            .is_empty()
    );
    let day = cosigned(&note, &archive(), now + MAX_COSIGNATURE_FUTURE_SECS);
    assert_eq!(
        accept_at(day.as_bytes(), &log, &witnesses, &store, now)
            .expect("taken")
            .len(),
        1
    );
}

fn dso() -> CosignatureSigner {
    CosignatureSigner::new("dso.example.se/witness", &SigningKey::from_bytes(&[2; 32]))
        .expect("name")
}

/// Keeps a row as the intake would have, without its checks (a row from before a restore,
/// or one that landed after the answer read the tip).
fn keep_row(store: &SqliteStore, witness: &CosignatureSigner, size: u64, root: Hash) {
    let row = StoredCosignature {
        witness: witness.verifier().to_string(),
        size,
        root,
        time: 100 + size,
        line: format!("— {} test", witness.verifier().name()),
    };
    assert!(store.store_cosignature(&row).expect("stores"));
}

fn root_at(store: &SqliteStore, size: u64) -> Hash {
    root(&StoreSubtrees(store), size).expect("root")
}

#[test]
fn the_answers_cosigned_tree_is_never_past_the_tip_read_nor_a_root_the_log_lacks() {
    let (store, _, size, tip_root) = logged_store();
    keep_row(&store, &archive(), size - 1, root_at(&store, size - 1));
    // Cosigned after the answer read its tip: larger than the tip it is answered against.
    keep_row(&store, &archive(), size + 5, [5; 32]);
    assert_eq!(
        newest_cosigned_tree(&store, size, &[archive().verifier()]).expect("reads"),
        Some((size - 1, root_at(&store, size - 1)))
    );
    // A row at the tip's size whose root the log no longer has (kept from before a restore).
    keep_row(&store, &dso(), size, [6; 32]);
    assert_eq!(
        newest_cosigned_tree(&store, size, &[archive().verifier(), dso().verifier()])
            .expect("reads"),
        Some((size - 1, root_at(&store, size - 1)))
    );
    keep_row(&store, &archive(), size, tip_root);
    assert_eq!(
        newest_cosigned_tree(&store, size, &[archive().verifier()]).expect("reads"),
        Some((size, tip_root))
    );
}

#[test]
fn the_answers_cosigned_tree_is_the_largest_every_configured_witness_cosigned() {
    let (store, _, size, _) = logged_store();
    let both = [archive().verifier(), dso().verifier()];
    keep_row(&store, &archive(), size, root_at(&store, size));
    assert_eq!(
        newest_cosigned_tree(&store, size, &both).expect("reads"),
        Some((size, root_at(&store, size))),
        "none cosigned by both: the newest any cosigned"
    );
    keep_row(&store, &archive(), size - 2, root_at(&store, size - 2));
    keep_row(&store, &dso(), size - 2, root_at(&store, size - 2));
    keep_row(&store, &dso(), size - 1, root_at(&store, size - 1));
    assert_eq!(
        newest_cosigned_tree(&store, size, &both).expect("reads"),
        Some((size - 2, root_at(&store, size - 2))),
        "the largest tree both cosigned, not the largest either did"
    );
}

/// With no tree cosigned by every configured witness, the tree named is the largest one of
/// *them* cosigned: a larger one cosigned only by a witness no longer configured is never
/// named.
#[test]
fn a_tree_only_a_witness_no_longer_configured_cosigned_is_never_named() {
    let (store, _, size, _) = logged_store();
    let gone = CosignatureSigner::new("gone.example.se/witness", &SigningKey::from_bytes(&[3; 32]))
        .expect("name");
    keep_row(&store, &gone, size, root_at(&store, size));
    keep_row(&store, &dso(), size - 2, root_at(&store, size - 2));
    keep_row(&store, &archive(), size - 1, root_at(&store, size - 1));
    let both = [archive().verifier(), dso().verifier()];
    assert_eq!(
        newest_cosigned_tree(&store, size, &both).expect("reads"),
        Some((size - 1, root_at(&store, size - 1)))
    );
    assert_eq!(
        newest_cosigned_tree(&store, size, &[]).expect("reads"),
        Some((size, root_at(&store, size))),
        "no witness given: any witness's"
    );
}

/// Keeps `witness`'s row for the log's own tree of `size` leaves, cosigned at `time`.
fn keep_at(store: &SqliteStore, witness: &CosignatureSigner, size: u64, time: u64) {
    let row = StoredCosignature {
        witness: witness.verifier().to_string(),
        size,
        root: root_at(store, size),
        time,
        line: format!("— {} test", witness.verifier().name()),
    };
    assert!(store.store_cosignature(&row).expect("stores"));
}

/// A witness naming itself is served the largest tree another configured witness cosigned
/// and it has not (so the two converge on one size), however old that cosignature: the tip
/// when there is none, when it is no larger than the tree both cosigned, or when this
/// witness already cosigned it or passed it; never a smaller tree.
#[test]
fn a_witness_catching_up_is_served_the_tree_another_cosigned_else_the_tip() {
    let (store, _, size, tip_root) = logged_store();
    let tip = LogTip {
        size,
        root: tip_root,
    };
    let both = [archive().verifier(), dso().verifier()];
    let now = 1_000_000;
    let served = |this: &CosignatureSigner| {
        tree_for_witness(&store, tip, &both, &this.verifier(), 0)
            .expect("reads")
            .size
    };
    assert_eq!(served(&dso()), size, "nothing cosigned: the tip");
    // No window: a cosignature from long ago (a slow `--every`, a clock behind) still
    // names the tree to meet on.
    keep_at(&store, &archive(), size - 2, now - 7 * 24 * 60 * 60);
    assert_eq!(served(&dso()), size - 2, "the other's tree, however old");
    keep_at(&store, &archive(), size - 1, now - 30);
    assert_eq!(
        served(&dso()),
        size - 1,
        "the larger tree the other cosigned"
    );
    // Only one witness configured: nothing to converge on.
    assert_eq!(
        tree_for_witness(&store, tip, &[dso().verifier()], &dso().verifier(), 0)
            .expect("reads")
            .size,
        size,
        "one witness configured: the tip"
    );
    assert_eq!(served(&archive()), size, "its own tree is not served back");
    // The slower witness catches up: both cosigned it, and each now gets the tip.
    keep_at(&store, &dso(), size - 1, now - 10);
    assert_eq!(served(&dso()), size);
    assert_eq!(served(&archive()), size);
    // A witness that already passed the other's newest tree is never served it.
    keep_at(&store, &archive(), size, now - 5);
    assert_eq!(served(&dso()), size, "the other's tree, at the tip");
    let (store2, _, size2, root2) = logged_store();
    keep_at(&store2, &archive(), size2 - 1, now - 30);
    keep_at(&store2, &dso(), size2, now - 60);
    assert_eq!(
        tree_for_witness(
            &store2,
            LogTip {
                size: size2,
                root: root2
            },
            &both,
            &dso().verifier(),
            0
        )
        .expect("reads")
        .size,
        size2,
        "never smaller than a tree it cosigned"
    );
}

/// The size a witness says it holds is a floor too: a witness whose state is ahead of the
/// store (its delivery failed after it saved) is not served the other's smaller tree, which
/// it would take for a shrunk log. A lie only gets the tip or a larger tree.
#[test]
fn a_witness_is_never_served_a_tree_smaller_than_the_size_it_holds() {
    let (store, _, size, tip_root) = logged_store();
    let tip = LogTip {
        size,
        root: tip_root,
    };
    let both = [archive().verifier(), dso().verifier()];
    keep_at(&store, &archive(), size - 2, 1_000);
    let served = |held: u64| {
        tree_for_witness(&store, tip, &both, &dso().verifier(), held)
            .expect("reads")
            .size
    };
    assert_eq!(served(0), size - 2, "holding nothing: the other's tree");
    assert_eq!(served(size - 3), size - 2, "holding less: the other's tree");
    assert_eq!(served(size - 2), size, "holding that size: the tip");
    assert_eq!(served(size - 1), size, "holding more: the tip");
    assert_eq!(served(u64::MAX), size, "a lie: only the tip");
}

/// The configured witnesses keep the cosigned-tree choice per tip and witness set: a row
/// landing without a cosignature taken here (another instance's) is not seen until the
/// choice is forgotten, and a cosignature taken forgets it at once.
#[test]
fn the_cosigned_tree_choice_is_kept_until_a_cosignature_arrives() {
    let (store, _, size, tip_root) = logged_store();
    let tip = LogTip {
        size,
        root: tip_root,
    };
    let witnesses: Witnesses = vec![archive().verifier(), dso().verifier()].into();
    keep_at(&store, &archive(), size - 1, 500);
    keep_at(&store, &dso(), size - 1, 500);
    let chosen = |witnesses: &Witnesses| {
        witnesses
            .newest_cosigned_tree(&store, tip, witnesses)
            .expect("reads")
            .map(|(size, _)| size)
    };
    assert_eq!(chosen(&witnesses), Some(size - 1));
    keep_at(&store, &archive(), size, 600);
    keep_at(&store, &dso(), size, 600);
    assert_eq!(chosen(&witnesses), Some(size - 1), "kept: no store read");
    // Another tip is another choice.
    assert_eq!(
        witnesses
            .newest_cosigned_tree(
                &store,
                LogTip {
                    size: size - 1,
                    root: root_at(&store, size - 1)
                },
                &witnesses
            )
            .expect("reads")
            .map(|(size, _)| size),
        Some(size - 1)
    );
    witnesses.cosignature_arrived();
    assert_eq!(chosen(&witnesses), Some(size));
}

/// The tree served a witness naming itself is kept per tip, witness and held size: a row
/// landing without a cosignature taken here is not seen until it is forgotten, a
/// cosignature taken forgets it at once, and another held size is another choice.
#[test]
fn the_tree_served_a_witness_is_kept_until_a_cosignature_arrives() {
    let (store, _, size, tip_root) = logged_store();
    let tip = LogTip {
        size,
        root: tip_root,
    };
    let witnesses: Witnesses = vec![archive().verifier(), dso().verifier()].into();
    let served = |held: u64| {
        witnesses
            .tree_for_witness(&store, tip, &dso().verifier(), held)
            .expect("reads")
            .size
    };
    assert_eq!(served(0), size, "nothing cosigned: the tip");
    keep_at(&store, &archive(), size - 1, 500);
    assert_eq!(served(0), size, "kept: no store read");
    assert_eq!(served(1), size - 1, "another held size is another choice");
    witnesses.cosignature_arrived();
    assert_eq!(served(0), size - 1);
    assert!(witnesses.lock().served.len() <= MAX_CHOICES);
}

/// A tablet requiring witnesses the relay does not know is warned of once an hour, not at
/// every sync; another tablet is warned of on its own.
#[test]
fn a_tablet_requiring_unknown_witnesses_is_warned_of_once_not_every_sync() {
    let witnesses = Witnesses::default();
    assert!(witnesses.unknown_warning_due(&[1; 32]));
    assert!(!witnesses.unknown_warning_due(&[1; 32]));
    assert!(witnesses.unknown_warning_due(&[2; 32]));
    // Bounded: a full map of recent warnings takes no more.
    for n in 0..MAX_WARNED_TABLETS as u32 {
        let mut device = [0u8; 32];
        device[..4].copy_from_slice(&n.to_be_bytes());
        device[31] = 9;
        witnesses.unknown_warning_due(&device);
    }
    assert!(!witnesses.unknown_warning_due(&[3; 32]));
    assert!(witnesses.warned.lock().expect("lock").len() <= MAX_WARNED_TABLETS);
}

/// A checkpoint fetch naming a witness not configured is logged once per process, not at
/// every round of a misconfigured witness.
#[test]
fn an_unknown_witness_name_is_told_once() {
    let witnesses = Witnesses::default();
    assert!(witnesses.unknown_name_first_seen());
    assert!(!witnesses.unknown_name_first_seen());
}
