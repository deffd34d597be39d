//! The access log's hash chain: how an entry is written for hashing (its fields and the
//! accessor's columns), the entry hash (`kiosk-access-v1`), how new entries link onto the
//! log's last one, and the walk that finds the first entry whose number, link or hash does
//! not verify.
//!
//! Every backend stores entries as the columns [`ChainedEntry`] names and verifies with
//! [`ChainWalk`], so a hash written by one backend verifies in another, and hashes already
//! stored keep verifying: the format here is the one the log was always written in.

use sha2::{Digest, Sha256};

use crate::storage::{AccessEntry, Accessor};

/// The domain tag every entry hash starts with.
const TAG: &[u8] = b"kiosk-access-v1";

/// The link the first entry of a log carries.
pub const GENESIS: [u8; 32] = [0; 32];

/// What walking the chain found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AccessLogVerdict {
    /// The number of the last entry: entries ever written, those removed by retention
    /// included.
    pub entries: u64,
    /// The last entry's hash (zeros for an empty log).
    pub head: [u8; 32],
    /// The first entry whose number, link or hash does not verify.
    pub broken_at: Option<u64>,
}

/// The actor column of an entry made by the visitor with their receipt.
pub const VISITOR_ACTOR: &str = "visitor:receipt";

/// How an accessor is written in an entry: a kind, a name (a device by its key in hex), and
/// a staff tablet's recruiter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActorColumns {
    pub kind: &'static str,
    pub actor: String,
    pub recruiter: Option<String>,
}

impl ActorColumns {
    pub fn of(accessor: &Accessor) -> ActorColumns {
        match accessor {
            Accessor::Device {
                device_key,
                recruiter,
            } => ActorColumns {
                kind: "device",
                actor: hex::encode(device_key),
                recruiter: recruiter.clone(),
            },
            Accessor::Operator(name) => ActorColumns {
                kind: "operator",
                actor: name.clone(),
                recruiter: None,
            },
            // Written as a person at the relay of a name no HR user or job can have (theirs
            // start `hr:` or name the job), so the log's columns and their checks stay as
            // they always were, and every backend's chain verifies alike.
            Accessor::Visitor => ActorColumns {
                kind: "operator",
                actor: VISITOR_ACTOR.to_owned(),
                recruiter: None,
            },
        }
    }

    /// The accessor stored columns name; `None` for a device key that is not 32 bytes of
    /// hex. Any kind but `device` is a person at the relay, as the log always read it.
    pub fn accessor(kind: &str, actor: String, recruiter: Option<String>) -> Option<Accessor> {
        Some(match kind {
            "device" => Accessor::Device {
                device_key: hex::decode(&actor).ok()?.try_into().ok()?,
                recruiter,
            },
            _ if actor == VISITOR_ACTOR => Accessor::Visitor,
            _ => Accessor::Operator(actor),
        })
    }
}

/// One entry's hashed fields, as stored (a tampered store may hold any text in them).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EntryFields<'a> {
    pub seq: u64,
    /// Relay time, ms since the Unix epoch.
    pub at: i64,
    pub actor_kind: &'a str,
    pub actor: &'a str,
    pub recruiter: Option<&'a str>,
    pub action: &'a str,
    pub doc_id: &'a str,
}

/// The entry hash: the tag, the number and time, every text field length-prefixed (the
/// recruiter behind a presence byte), then the previous entry's hash as stored.
pub fn entry_hash(fields: &EntryFields<'_>, previous: &[u8]) -> [u8; 32] {
    let mut hasher = Sha256::new();
    hasher.update(TAG);
    hasher.update(fields.seq.to_be_bytes());
    hasher.update(fields.at.to_be_bytes());
    for field in [
        fields.actor_kind,
        fields.actor,
        fields.action,
        fields.doc_id,
    ] {
        hasher.update((field.len() as u64).to_be_bytes());
        hasher.update(field.as_bytes());
    }
    match fields.recruiter {
        Some(recruiter) => {
            hasher.update([1]);
            hasher.update((recruiter.len() as u64).to_be_bytes());
            hasher.update(recruiter.as_bytes());
        }
        None => hasher.update([0]),
    }
    hasher.update(previous);
    hasher.finalize().into()
}

/// An entry ready to store: its columns, its number, its link and its hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainedEntry {
    pub seq: u64,
    pub at: i64,
    pub actor: ActorColumns,
    pub action: &'static str,
    pub doc_id: String,
    pub previous: [u8; 32],
    pub hash: [u8; 32],
}

impl ChainedEntry {
    fn fields(&self) -> EntryFields<'_> {
        EntryFields {
            seq: self.seq,
            at: self.at,
            actor_kind: self.actor.kind,
            actor: &self.actor.actor,
            recruiter: self.actor.recruiter.as_deref(),
            action: self.action,
            doc_id: &self.doc_id,
        }
    }
}

/// Numbers and links `entries` after the log's last entry (`None` for an empty log), in
/// order, each onto the one before.
pub fn link(last: Option<(u64, [u8; 32])>, entries: &[AccessEntry]) -> Vec<ChainedEntry> {
    let (mut seq, mut previous) = last.unwrap_or((0, GENESIS));
    entries
        .iter()
        .map(|entry| {
            seq += 1;
            let mut chained = ChainedEntry {
                seq,
                at: entry.at,
                actor: ActorColumns::of(&entry.accessor),
                action: entry.action.as_str(),
                doc_id: entry.doc_id.clone(),
                previous,
                hash: GENESIS,
            };
            chained.hash = entry_hash(&chained.fields(), &previous);
            previous = chained.hash;
            chained
        })
        .collect()
}

/// A walk over a stored log, entry by entry in number order, from where the log starts:
/// its genesis, or once retention removed its start, the last removed entry's hash.
#[derive(Debug, Clone)]
pub struct ChainWalk {
    verdict: AccessLogVerdict,
}

impl ChainWalk {
    /// A walk of a log whose first `removed` entries went, the last of them with hash
    /// `last_removed` (`0` and [`GENESIS`] for a log never pruned).
    pub fn from(removed: u64, last_removed: [u8; 32]) -> ChainWalk {
        ChainWalk {
            verdict: AccessLogVerdict {
                entries: removed,
                head: last_removed,
                broken_at: None,
            },
        }
    }

    /// Checks the next stored entry (its fields, and its link and hash as stored, of any
    /// length): its number follows, its link is the head so far, and its hash recomputes.
    /// The first that does not is where the chain breaks; the walk goes on to the end, so
    /// the verdict still counts every entry and names the stored head.
    pub fn next(&mut self, fields: &EntryFields<'_>, previous: &[u8], hash: &[u8]) {
        let expected_seq = self.verdict.entries + 1;
        let intact = fields.seq == expected_seq
            && previous == self.verdict.head.as_slice()
            && hash == entry_hash(fields, previous).as_slice();
        self.verdict.entries += 1;
        if !intact && self.verdict.broken_at.is_none() {
            self.verdict.broken_at = Some(expected_seq);
        }
        // A head that is not a hash cannot be continued: nothing after it can link to it.
        self.verdict.head = hash.try_into().unwrap_or([0xFF; 32]);
    }

    pub fn verdict(&self) -> AccessLogVerdict {
        self.verdict
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::storage::AccessAction;

    const DOC: &str = "019ce0a0-6a80-7000-8000-000000000001";

    fn pull(n: u8) -> AccessEntry {
        AccessEntry {
            at: 1_000 + i64::from(n),
            accessor: Accessor::Device {
                device_key: [n; 32],
                recruiter: Some("anna".into()),
            },
            action: AccessAction::Pull,
            doc_id: format!("doc-{n}"),
        }
    }

    /// Walks `entries` as a store would read them back, from the genesis.
    fn walk(entries: &[ChainedEntry]) -> AccessLogVerdict {
        let mut walk = ChainWalk::from(0, GENESIS);
        for entry in entries {
            walk.next(&entry.fields(), &entry.previous, &entry.hash);
        }
        walk.verdict()
    }

    #[test]
    fn the_entry_hash_is_pinned_by_a_known_vector() {
        // Computed outside Rust (Python's hashlib) from the format the log was always
        // written in: a change here would leave every stored log unverifiable.
        let first = link(
            None,
            &[
                AccessEntry {
                    at: 1_767_225_600_000,
                    accessor: Accessor::Device {
                        device_key: [7; 32],
                        recruiter: Some("anna".into()),
                    },
                    action: AccessAction::Pull,
                    doc_id: DOC.into(),
                },
                AccessEntry {
                    at: 1_767_225_600_001,
                    accessor: Accessor::Operator("hr:arvid".into()),
                    action: AccessAction::Read,
                    doc_id: DOC.into(),
                },
            ],
        );
        assert_eq!(
            hex::encode(first[0].hash),
            "2da710f0db664e40571dded532e766df6b31050e607f721d12dc996e9f4c7727"
        );
        assert_eq!(
            hex::encode(first[1].hash),
            "83d293bccdebc567d51e33c0c6cdd9ebdf3b55a670bfd3992a3331591e9f4ba0"
        );
        assert_eq!(
            (first[0].previous, first[1].previous),
            (GENESIS, first[0].hash)
        );
    }

    #[test]
    fn accessors_are_written_as_their_columns_and_read_back() {
        let device = Accessor::Device {
            device_key: [0xAB; 32],
            recruiter: Some("anna".into()),
        };
        let columns = ActorColumns::of(&device);
        assert_eq!(
            (columns.kind, columns.actor.as_str()),
            ("device", "ab".repeat(32).as_str())
        );
        assert_eq!(
            ActorColumns::accessor(columns.kind, columns.actor, columns.recruiter),
            Some(device)
        );
        let operator = ActorColumns::of(&Accessor::Operator("hr:arvid".into()));
        assert_eq!((operator.kind, operator.recruiter), ("operator", None));
        assert_eq!(ActorColumns::accessor("device", "abcd".into(), None), None);
    }

    #[test]
    fn a_chain_linked_in_several_parts_verifies_as_one() {
        let first = link(None, &[pull(1), pull(2)]);
        let last = first.last().map(|e| (e.seq, e.hash));
        let second = link(last, &[pull(3)]);
        assert_eq!((second[0].seq, second[0].previous), (3, first[1].hash));
        let all: Vec<_> = first.into_iter().chain(second).collect();
        assert_eq!(
            walk(&all),
            AccessLogVerdict {
                entries: 3,
                head: all[2].hash,
                broken_at: None
            }
        );
        assert_eq!(
            walk(&[]),
            AccessLogVerdict {
                entries: 0,
                head: GENESIS,
                broken_at: None
            }
        );
    }

    #[test]
    fn a_changed_entry_breaks_the_chain_at_that_entry() {
        let intact = link(None, &(1..=4).map(pull).collect::<Vec<_>>());
        let changes: [fn(&mut ChainedEntry); 6] = [
            |e| e.at += 1,
            |e| e.actor.actor.push('x'),
            |e| e.actor.recruiter = None,
            |e| e.action = "read",
            |e| e.doc_id.push('x'),
            |e| e.hash[0] ^= 1,
        ];
        for change in changes {
            let mut entries = intact.clone();
            change(&mut entries[2]);
            assert_eq!(walk(&entries).broken_at, Some(3));
        }
    }

    #[test]
    fn an_entry_rehashed_after_a_change_breaks_the_next_link() {
        let mut entries = link(None, &(1..=4).map(pull).collect::<Vec<_>>());
        entries[1].doc_id = "doc-9".into();
        entries[1].hash = entry_hash(&entries[1].fields(), &entries[1].previous);
        assert_eq!(walk(&entries).broken_at, Some(3));
    }

    #[test]
    fn a_removed_entry_breaks_the_chain_where_it_was() {
        let mut entries = link(None, &(1..=4).map(pull).collect::<Vec<_>>());
        entries.remove(1);
        let verdict = walk(&entries);
        assert_eq!((verdict.entries, verdict.broken_at), (3, Some(2)));
    }

    #[test]
    fn reordered_entries_break_the_chain_at_the_first_moved() {
        let mut entries = link(None, &(1..=4).map(pull).collect::<Vec<_>>());
        entries.swap(1, 2);
        assert_eq!(walk(&entries).broken_at, Some(2));
    }

    #[test]
    fn links_and_hashes_of_the_wrong_length_break_the_chain() {
        let entries = link(None, &(1..=3).map(pull).collect::<Vec<_>>());
        let mut walk = ChainWalk::from(0, GENESIS);
        walk.next(&entries[0].fields(), &entries[0].previous, &[1, 2]);
        walk.next(&entries[1].fields(), &entries[1].previous, &entries[1].hash);
        let verdict = walk.verdict();
        assert_eq!((verdict.entries, verdict.broken_at), (2, Some(1)));
    }

    #[test]
    fn a_pruned_log_verifies_from_its_horizon() {
        let all = link(None, &(1..=5).map(pull).collect::<Vec<_>>());
        let mut walk = ChainWalk::from(2, all[1].hash);
        for entry in &all[2..] {
            walk.next(&entry.fields(), &entry.previous, &entry.hash);
        }
        let verdict = walk.verdict();
        assert_eq!(
            (verdict.entries, verdict.head, verdict.broken_at),
            (5, all[4].hash, None)
        );
        // The same entries from the wrong horizon do not.
        let mut wrong = ChainWalk::from(2, GENESIS);
        wrong.next(&all[2].fields(), &all[2].previous, &all[2].hash);
        assert_eq!(wrong.verdict().broken_at, Some(3));
    }
}
