//! An event's closing count as the store speaks of it: per device, how far its journal
//! reaches as the relay saw it, and the event's quarantine decisions and removals.

use std::collections::HashMap;

/// One device's journal as the relay saw it, and its removed records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct JournalTally {
    /// How many the tablet captured as far as the relay knows: the journal count it declared
    /// in its last sync request, or the highest journal number its pushes carried if more.
    pub highest_seq: u64,
    /// Journal entries the relay holds from the device (each received once, kept after a
    /// removal).
    pub entries: u64,
    /// Registrations from the device removed since (retention, withdrawal).
    pub removed: u64,
}

impl JournalTally {
    /// Journal numbers below the highest the relay saw that it never received: captures the
    /// tablet still holds unsent (or lost).
    pub fn missing(&self) -> u64 {
        self.highest_seq.saturating_sub(self.entries)
    }
}

/// What the relay holds of one event's records, by device.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct EventTally {
    /// Every device enrolled for the event, with its journal tally.
    pub devices: HashMap<[u8; 32], JournalTally>,
    /// Quarantined captures of the event's tablets that HR accepted…
    pub accepted: u64,
    /// …and kept apart for good.
    pub kept_apart: u64,
    /// The event's registrations removed (their removal records).
    pub removals: u64,
}
