//! Blind-index rows as the store speaks of them (the values are computed by
//! [`crate::rules::blind_index`]; the store only keeps and matches bytes).

/// One keyed hash of a person's field: `field` is `email` or `phone`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct BlindIndexEntry {
    pub field: String,
    pub value: Vec<u8>,
}

/// A do-not-contact row: the legal basis it was added on, when, and how long it is kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DoNotContactEntry {
    pub field: String,
    pub basis: String,
    pub added_at: i64,
    pub keep_until: i64,
}

/// The most duplicate candidates one lookup returns: a truncated value collides now and
/// then, never thousands of times, and a page asks once per record.
pub const MAX_BLIND_CANDIDATES: u32 = 50;

/// Held records the background pass could not index (their document did not read): how
/// many wait for a retry, and how many it gave up on until the relay starts again. Counts
/// only, for monitoring.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct BlindIndexFailures {
    pub retrying: u64,
    pub given_up: u64,
}
