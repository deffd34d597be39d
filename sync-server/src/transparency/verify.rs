//! `verify-log`: the whole log checked from its stored leaves. Every leaf is decoded and
//! hashed again, the tree rebuilt append by append, every stored perfect subtree (from
//! [`LOWEST_STORED_LEVEL`] up) compared with the rebuilt one, the stored head with the rebuilt root, and, given a saved signed
//! checkpoint, its signature (the log key's public half), its root at its size and the
//! current tree's consistency with it. The first disagreement is named (leaf or node, by
//! index); nothing is repaired. A leaf changed in place is caught at the lowest stored
//! subtree above it (named with its leaves' range) or, in the log's incomplete tail, at the
//! head.

use std::collections::VecDeque;

use kiosk_core::tlog::hash::{Hash, leaf_hash};
use kiosk_core::tlog::tree::{Frontier, consistency_proof, verify_consistency};

use super::append::LOWEST_STORED_LEVEL;
use super::leaf::{Leaf, LeafKind};
use super::source::StoreSubtrees;
use crate::storage::model::LOG_READ_LIMIT;
use crate::storage::{RelayStore, StorageError};

/// A checkpoint to check the log against: its size and root, already read from a signed
/// note whose signature verified (see [`super::checkpoint::open_checkpoint`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Saved {
    pub size: u64,
    pub root: Hash,
}

/// What was checked.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Checked {
    pub size: u64,
    pub root: Hash,
    pub nodes: u64,
    /// Leaves per kind, in [`LeafKind::ALL`]'s order.
    pub kinds: [u64; LeafKind::ALL.len()],
    /// The saved checkpoint's size, when one was checked.
    pub checkpoint: Option<u64>,
}

/// The first thing that disagrees.
#[derive(Debug, thiserror::Error)]
pub enum Disagreement {
    #[error("reading the log: {0}")]
    Storage(#[from] StorageError),
    #[error("leaf {index} is missing (the head says the log has {size} leaves)")]
    LeafMissing { index: u64, size: u64 },
    #[error("leaf {index} does not decode: {reason}")]
    LeafUndecodable { index: u64, reason: String },
    #[error("leaf {index} is stored past the log's size {size}")]
    LeafPastHead { index: u64, size: u64 },
    #[error("node {level}/{index} (leaves {first}..{end}) is missing")]
    NodeMissing {
        level: u8,
        index: u64,
        first: u64,
        end: u64,
    },
    #[error(
        "node {level}/{index} (leaves {first}..{end}) disagrees with its leaves: one of them or \
         the node was changed (stored {stored}, recomputed {recomputed})"
    )]
    NodeDiffers {
        level: u8,
        index: u64,
        first: u64,
        end: u64,
        stored: String,
        recomputed: String,
    },
    #[error("node {level}/{index} is stored past the log's size {size}")]
    NodePastHead { level: u8, index: u64, size: u64 },
    #[error("the stored head's root {stored} is not the root of the stored leaves {recomputed}")]
    HeadDiffers { stored: String, recomputed: String },
    #[error(
        "the log has {size} leaves, fewer than the saved checkpoint's {checkpoint}: leaves were \
         removed"
    )]
    ShorterThanCheckpoint { size: u64, checkpoint: u64 },
    #[error(
        "the saved checkpoint's root at size {size} is {saved}, the stored leaves give {recomputed}: \
         the first {size} leaves were changed since it was signed"
    )]
    CheckpointRootDiffers {
        size: u64,
        saved: String,
        recomputed: String,
    },
    #[error("the stored tree is not consistent with the saved checkpoint: {0}")]
    Inconsistent(String),
}

/// Stored subtrees of one level, read ahead in order.
struct LevelCursor {
    level: u8,
    next: u64,
    ahead: VecDeque<(u64, Vec<u8>)>,
}

impl LevelCursor {
    fn stored(
        &mut self,
        store: &dyn RelayStore,
        index: u64,
    ) -> Result<Option<Vec<u8>>, StorageError> {
        loop {
            while let Some((at, _)) = self.ahead.front() {
                if *at < index {
                    self.ahead.pop_front();
                } else {
                    break;
                }
            }
            match self.ahead.front() {
                Some((at, _)) if *at == index => {
                    return Ok(self.ahead.pop_front().map(|(_, hash)| hash));
                }
                Some(_) => return Ok(None),
                None if self.next > index => return Ok(None),
                None => {
                    let page = store.log_level(self.level, index, LOG_READ_LIMIT)?;
                    self.next = page.last().map_or(u64::MAX, |(at, _)| at + 1);
                    if page.is_empty() {
                        return Ok(None);
                    }
                    self.ahead.extend(page);
                }
            }
        }
    }
}

/// Checks the whole log in `store`, and against `saved` if given. `progress` is told the
/// leaves checked so far, every [`LOG_READ_LIMIT`] leaves.
pub fn verify_log(
    store: &dyn RelayStore,
    saved: Option<Saved>,
    mut progress: impl FnMut(u64),
) -> Result<Checked, Disagreement> {
    let tip = store.log_tip()?;
    let mut frontier = Frontier::new();
    let mut cursors: Vec<LevelCursor> = (0..64u8)
        .map(|level| LevelCursor {
            level,
            next: 0,
            ahead: VecDeque::new(),
        })
        .collect();
    let mut checked = Checked {
        size: tip.size,
        root: tip.root,
        checkpoint: saved.map(|s| s.size),
        ..Checked::default()
    };
    if let Some(saved) = saved
        && saved.size > tip.size
    {
        return Err(Disagreement::ShorterThanCheckpoint {
            size: tip.size,
            checkpoint: saved.size,
        });
    }
    let mut root_at_saved = None;
    while frontier.size() < tip.size {
        let from = frontier.size();
        let page = store.log_leaves(from, LOG_READ_LIMIT)?;
        if page.is_empty() {
            return Err(Disagreement::LeafMissing {
                index: from,
                size: tip.size,
            });
        }
        for bytes in page {
            let index = frontier.size();
            if index >= tip.size {
                return Err(Disagreement::LeafPastHead {
                    index,
                    size: tip.size,
                });
            }
            let leaf = Leaf::decode(&bytes).map_err(|e| Disagreement::LeafUndecodable {
                index,
                reason: e.to_string(),
            })?;
            let kind = LeafKind::ALL
                .iter()
                .position(|k| *k == leaf.kind)
                .expect("a known kind");
            checked.kinds[kind] += 1;
            for (level, node, hash) in frontier.append(leaf_hash(&bytes)) {
                if level < LOWEST_STORED_LEVEL {
                    continue;
                }
                let first = node << level;
                let end = (node + 1) << level;
                match cursors[usize::from(level)].stored(store, node)? {
                    None => {
                        return Err(Disagreement::NodeMissing {
                            level,
                            index: node,
                            first,
                            end,
                        });
                    }
                    Some(stored) if stored != hash => {
                        return Err(Disagreement::NodeDiffers {
                            level,
                            index: node,
                            first,
                            end,
                            stored: hex::encode(stored),
                            recomputed: hex::encode(hash),
                        });
                    }
                    Some(_) => checked.nodes += 1,
                }
            }
            if saved.is_some_and(|s| s.size == frontier.size()) {
                root_at_saved = Some(frontier.root());
            }
        }
        progress(frontier.size());
    }
    // Nothing stored past the head.
    if !store.log_leaves(tip.size, 1)?.is_empty() {
        return Err(Disagreement::LeafPastHead {
            index: tip.size,
            size: tip.size,
        });
    }
    for level in LOWEST_STORED_LEVEL..64u8 {
        let next = tip.size >> level;
        if let Some((index, _)) = store.log_level(level, next, 1)?.first() {
            return Err(Disagreement::NodePastHead {
                level,
                index: *index,
                size: tip.size,
            });
        }
        if next == 0 {
            break;
        }
    }
    if frontier.root() != tip.root {
        return Err(Disagreement::HeadDiffers {
            stored: hex::encode(tip.root),
            recomputed: hex::encode(frontier.root()),
        });
    }
    if let Some(saved) = saved {
        let recomputed = if saved.size == 0 {
            kiosk_core::tlog::hash::EMPTY_ROOT
        } else {
            root_at_saved.expect("the rebuild passed the checkpoint's size")
        };
        if recomputed != saved.root {
            return Err(Disagreement::CheckpointRootDiffers {
                size: saved.size,
                saved: hex::encode(saved.root),
                recomputed: hex::encode(recomputed),
            });
        }
        // The proof a tablet or witness would get, from the stored subtrees: checked too.
        if saved.size > 0 {
            let proof = consistency_proof(&StoreSubtrees(store), saved.size, tip.size)
                .map_err(|e| Disagreement::Inconsistent(format!("{e:?}")))?;
            verify_consistency(saved.size, tip.size, &saved.root, &tip.root, &proof)
                .map_err(|e| Disagreement::Inconsistent(e.to_string()))?;
        }
    }
    Ok(checked)
}

/// The default of `verify-log --max-cosignature-age`: a week, in seconds. A witness that
/// cosigned nothing newer has stopped watching, and a split view since then is not ruled out.
pub const DEFAULT_MAX_COSIGNATURE_AGE_SECS: u64 = 7 * 86_400;

/// The longest age `--max-cosignature-age` takes: ten years.
const MAX_COSIGNATURE_AGE_SECS: u64 = 10 * 365 * 86_400;

/// Reads a cosignature's greatest age: a whole number with a unit (`90s`, `30m`, `12h`,
/// `7d`), or `0` to accept any age.
pub fn cosignature_age_arg(text: &str) -> Result<u64, String> {
    let text = text.trim();
    if text == "0" {
        return Ok(0);
    }
    let expected = || {
        format!(
            "{text:?} is not an age: write a whole number with s, m, h or d (7d, 12h), or 0 to \
             accept any age"
        )
    };
    let Some(unit) = text.chars().last() else {
        return Err(expected());
    };
    let unit = match unit {
        's' => 1,
        'm' => 60,
        'h' => 3_600,
        'd' => 86_400,
        _ => return Err(expected()),
    };
    let number = &text[..text.len() - 1];
    if number.is_empty() || !number.bytes().all(|b| b.is_ascii_digit()) {
        return Err(expected());
    }
    number
        .parse::<u64>()
        .ok()
        .and_then(|n| n.checked_mul(unit))
        .filter(|secs| *secs <= MAX_COSIGNATURE_AGE_SECS)
        .ok_or_else(|| format!("{text:?} is longer than ten years"))
}

/// How far a cosignature's time may be ahead of this machine's clock (clocks drift): later
/// than that it is refused, else a cosignature dated in the future would pass the age check
/// for ever.
pub const COSIGNATURE_CLOCK_SKEW_SECS: u64 = 600;

/// Refuses a cosignature made at `time` (POSIX seconds) by witness `name` that is older than
/// `max_age` seconds at `now` (0 accepts any age), or dated more than
/// [`COSIGNATURE_CLOCK_SKEW_SECS`] after `now` (whatever `max_age`).
pub fn check_cosignature_age(name: &str, time: u64, now: u64, max_age: u64) -> Result<(), String> {
    if time > now.saturating_add(COSIGNATURE_CLOCK_SKEW_SECS) {
        return Err(format!(
            "witness {name}'s cosignature is dated {ahead} seconds in the future (made at \
             {time}, now {now}), more than the {COSIGNATURE_CLOCK_SKEW_SECS} seconds clocks may \
             differ: it would pass any age check for ever. Check this machine's clock and the \
             witness's",
            ahead = time - now,
        ));
    }
    if max_age == 0 {
        return Ok(());
    }
    let age = now.saturating_sub(time);
    if age > max_age {
        return Err(format!(
            "witness {name}'s cosignature is {age} seconds old (made at {time}), older than the \
             {max_age} seconds --max-cosignature-age allows: the witness may have stopped \
             watching the log, so a split view since then is not ruled out. Fetch a checkpoint \
             the witness cosigned recently, or pass a longer --max-cosignature-age (0 accepts \
             any age)"
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cosignature_age_is_read_with_its_unit_and_zero_accepts_any() {
        assert_eq!(cosignature_age_arg("7d"), Ok(7 * 86_400));
        assert_eq!(cosignature_age_arg("12h"), Ok(12 * 3_600));
        assert_eq!(cosignature_age_arg("30m"), Ok(1_800));
        assert_eq!(cosignature_age_arg("90s"), Ok(90));
        assert_eq!(cosignature_age_arg("0"), Ok(0));
        assert_eq!(
            DEFAULT_MAX_COSIGNATURE_AGE_SECS,
            cosignature_age_arg("7d").expect("reads")
        );
        for bad in ["", "7", "d", "7w", "-1d", "+1d", "1.5d", "7dä"] {
            assert!(cosignature_age_arg(bad).is_err(), "{bad:?}");
        }
        assert!(
            cosignature_age_arg("4000d").is_err(),
            "longer than ten years"
        );
        assert!(cosignature_age_arg("99999999999999999999d").is_err());
    }

    #[test]
    fn a_cosignature_older_than_the_greatest_age_is_refused_naming_its_witness() {
        let now = 1_700_000_000;
        assert!(check_cosignature_age("w", now - 60, now, 3_600).is_ok());
        assert!(check_cosignature_age("w", now - 3_600, now, 3_600).is_ok());
        let told =
            check_cosignature_age("arkiv/witness", now - 3_601, now, 3_600).expect_err("too old");
        assert!(told.contains("arkiv/witness") && told.contains("3601 seconds old"));
        assert!(
            check_cosignature_age("w", 0, now, 0).is_ok(),
            "0 accepts any age"
        );
        assert!(
            check_cosignature_age("w", now + 60, now, 3_600).is_ok(),
            "a clock a little ahead"
        );
        assert!(check_cosignature_age("w", now + 600, now, 3_600).is_ok());
        for max_age in [3_600, 0] {
            let told = check_cosignature_age("arkiv/witness", now + 601, now, max_age)
                .expect_err("dated in the future");
            assert!(
                told.contains("arkiv/witness") && told.contains("601 seconds in the future"),
                "{told}"
            );
        }
    }
}
