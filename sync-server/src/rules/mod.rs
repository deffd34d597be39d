//! The relay's domain rules: pure functions and types that decide, with no storage in
//! them, so every store backend applies the same rule by calling them (a backend loads
//! rows, calls the rule, and stores what it returns).
//!
//! - [`access_chain`]: the access log's entry hash format, linking and chain verification.
//! - [`retention_dates`]: calendar-month arithmetic for retention (month ends, leap years).
//! - [`retention_rules`]: which retention rule an event's records are kept under (the
//!   default included), when a record falls due, and what a removal cites.
//! - [`access_log_pruning`]: the access log's own retention: its rule text and which
//!   prefix of the log a pruning removes.
//! - [`quarantine`]: whether a pushed capture is stored, is a retry, or is kept in
//!   quarantine; and whether a quarantined capture can still be accepted.
//! - [`blind_index`]: the keyed blind indexes of email and phone (duplicates and
//!   do-not-contact) and how values are normalised before they are hashed.
//! - [`capture_check`]: whether a stored record's capture signature still verifies.
//! - [`event_edits`]: an HR user's edit of an event applied to its document at the heads
//!   they read, and the actor the relay writes events as.
//! - [`journal_chain`]: the relay's copy of each tablet's capture journal, extended with
//!   the core's own journal hash.
//! - [`exact_search`]: when HR's search text names a whole receipt code or email address,
//!   and how a list decides between that value's index and matching parts.
//! - [`subject_match`]: which held records a subject-access request's email or phone
//!   matches, the backend's index proposing and the documents deciding.

pub mod access_chain;
pub mod access_log_pruning;
pub mod blind_index;
pub mod capture_check;
pub mod event_edits;
pub mod exact_search;
pub mod journal_chain;
pub mod phone_search;
pub mod quarantine;
pub mod retention_dates;
pub mod retention_rules;
pub mod subject_match;
