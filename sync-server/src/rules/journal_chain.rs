//! The relay's copy of each tablet's capture journal: which pushed items are journal
//! entries, and how the relay's confirmed head moves on. The relay recomputes the chain
//! from what it received and confirms a head only over entries it holds without a gap, so
//! a receipt never signs a head the relay did not compute itself.
//!
//! The entry hash is the core's ([`kiosk_core::journal`]), the one the tablet chains with:
//! the relay does not have a hash format of its own.

use kiosk_core::ids::RegistrationId;
use kiosk_core::journal::JournalHead;

/// The journal number a pushed item is recorded under, if it is a journal entry: numbers
/// start at 1, and an item without one (or with 0) is not in the tablet's journal.
pub fn journal_seq(seq: Option<u64>) -> Option<u64> {
    seq.filter(|seq| *seq > 0)
}

/// One journal entry as the relay holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeldEntry {
    pub doc_id: RegistrationId,
    pub change_hashes: Vec<[u8; 32]>,
}

/// Extends the confirmed `head` over the entries that now follow it, in order, as long as
/// `entry_at` finds the next number (it stops at the first gap); returns the new head.
/// `entry_at` loads the held entry numbered so, and its error stops the extension.
pub fn extend<E>(
    mut head: JournalHead,
    mut entry_at: impl FnMut(u64) -> Result<Option<HeldEntry>, E>,
) -> Result<JournalHead, E> {
    while let Some(held) = entry_at(head.count + 1)? {
        let entry = head.next(&held.doc_id, held.change_hashes);
        head = JournalHead {
            count: entry.seq,
            head: entry.hash,
        };
    }
    Ok(head)
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;
    use std::convert::Infallible;

    use kiosk_core::ids::Timestamp;
    use kiosk_core::journal::{JournalEntry, verify_chain};

    use super::*;

    /// A tablet's journal of `length` captures, chained as the tablet chains it.
    fn tablet_journal(length: u64) -> Vec<JournalEntry> {
        let mut head = JournalHead::EMPTY;
        (1..=length)
            .map(|i| {
                let id = RegistrationId::from_parts(Timestamp(i as i64), [i as u8; 10]);
                let entry = head.next(&id, vec![[i as u8; 32], [0xEE; 32]]);
                head = JournalHead {
                    count: entry.seq,
                    head: entry.hash,
                };
                entry
            })
            .collect()
    }

    /// What the relay holds of `journal`: the entries numbered in `held`.
    fn held(journal: &[JournalEntry], held: &[u64]) -> BTreeMap<u64, HeldEntry> {
        journal
            .iter()
            .filter(|e| held.contains(&e.seq))
            .map(|e| {
                (
                    e.seq,
                    HeldEntry {
                        doc_id: e.doc_id.clone(),
                        change_hashes: e.change_hashes.clone(),
                    },
                )
            })
            .collect()
    }

    fn extended(head: JournalHead, held: &BTreeMap<u64, HeldEntry>) -> JournalHead {
        extend(head, |seq| Ok::<_, Infallible>(held.get(&seq).cloned())).expect("no error")
    }

    #[test]
    fn the_relay_confirms_the_head_the_tablet_computed() {
        let journal = tablet_journal(5);
        let tablet_head = verify_chain(&journal).expect("intact");
        let relay = extended(JournalHead::EMPTY, &held(&journal, &[1, 2, 3, 4, 5]));
        assert_eq!(relay, tablet_head);
    }

    #[test]
    fn a_gap_stops_the_head_until_the_missing_entry_arrives() {
        let journal = tablet_journal(4);
        let partial = extended(JournalHead::EMPTY, &held(&journal, &[1, 2, 4]));
        assert_eq!(partial.count, 2);
        assert_eq!(partial.head, journal[1].hash);
        // Entry 3 arrives later: the head moves on over 3 and the 4 already held.
        let whole = extended(partial, &held(&journal, &[1, 2, 3, 4]));
        assert_eq!(whole, verify_chain(&journal).expect("intact"));
    }

    #[test]
    fn an_entry_held_with_other_changes_leads_to_another_head() {
        let journal = tablet_journal(3);
        let mut relay = held(&journal, &[1, 2, 3]);
        relay.get_mut(&2).expect("held").change_hashes[0][0] ^= 1;
        let head = extended(JournalHead::EMPTY, &relay);
        assert_eq!(head.count, 3);
        assert_ne!(head.head, journal[2].hash);
    }

    #[test]
    fn nothing_held_leaves_the_head_where_it_was() {
        let journal = tablet_journal(2);
        let head = verify_chain(&journal).expect("intact");
        assert_eq!(extended(head, &BTreeMap::new()), head);
        assert_eq!(
            extended(JournalHead::EMPTY, &BTreeMap::new()),
            JournalHead::EMPTY
        );
    }

    #[test]
    fn a_load_error_stops_the_extension() {
        let result = extend(JournalHead::EMPTY, |_| {
            Err::<Option<HeldEntry>, _>("unreadable")
        });
        assert_eq!(result, Err("unreadable"));
    }

    #[test]
    fn only_numbered_items_are_journal_entries() {
        assert_eq!(journal_seq(None), None);
        assert_eq!(journal_seq(Some(0)), None);
        assert_eq!(journal_seq(Some(1)), Some(1));
        assert_eq!(journal_seq(Some(u64::MAX)), Some(u64::MAX));
    }
}
