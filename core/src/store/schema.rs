//! The device store's schema and its upgrades.
//!
//! A new store runs every migration in order, so a fresh file and an upgraded one are built
//! by the same statements. The version lives in `PRAGMA user_version`; the file is marked as
//! ours with `PRAGMA application_id`, which is checked before a file is ever written.

use rusqlite::Transaction;

/// "KIOS" as a big-endian integer, at byte 68 of the SQLite header.
pub const APPLICATION_ID: u32 = 0x4B49_4F53;

/// The version this build writes.
pub const CURRENT_VERSION: u32 = 6;

/// One migration per version, index 0 making version 1.
const MIGRATIONS: [&str; CURRENT_VERSION as usize] = [
    // 1: meta, the capture journal, and the sealed documents it describes.
    "CREATE TABLE meta (
         key   TEXT PRIMARY KEY NOT NULL,
         value BLOB NOT NULL
     ) STRICT;
     CREATE TABLE journal (
         seq           INTEGER PRIMARY KEY NOT NULL,
         doc_id        TEXT NOT NULL UNIQUE,
         change_hashes BLOB NOT NULL,
         previous      BLOB NOT NULL,
         hash          BLOB NOT NULL
     ) STRICT;
     CREATE TABLE sealed_documents (
         doc_id      TEXT PRIMARY KEY NOT NULL REFERENCES journal (doc_id),
         sealed      BLOB,
         state       TEXT NOT NULL
                     CHECK (state IN ('captured', 'sent', 'received', 'deleted')),
         captured_at INTEGER NOT NULL,
         CHECK ((state = 'deleted') = (sealed IS NULL))
     ) STRICT;",
    // 2: when each document last changed state (for hand-back and erasure), and a state
    // index so counts stay cheap on a full tablet.
    "ALTER TABLE sealed_documents ADD COLUMN state_changed_at INTEGER;
     UPDATE sealed_documents SET state_changed_at = captured_at;
     CREATE INDEX sealed_documents_by_state ON sealed_documents (state);",
    // 3: which relay commit (in which relay epoch) stored a received document, so the
    // sealed copy is erased once a relay backup holds that commit.
    "ALTER TABLE sealed_documents ADD COLUMN receipt_epoch BLOB;
     ALTER TABLE sealed_documents ADD COLUMN receipt_seq INTEGER;",
    // 4: a staff tablet's pulled registrations, each its whole Automerge document encrypted
    // with a key from the data key (AEAD, the id as associated data); `unsent` lists the
    // tablet's own changes the relay has not stored yet.
    "CREATE TABLE pulled_registrations (
         doc_id     TEXT PRIMARY KEY NOT NULL,
         document   BLOB NOT NULL,
         unsent     BLOB NOT NULL,
         expires_at INTEGER NOT NULL,
         updated_at INTEGER NOT NULL
     ) STRICT;
     CREATE INDEX pulled_registrations_by_expiry ON pulled_registrations (expires_at);",
    // 5: the relay told a staff tablet that the visitor withdrew the talent-pool consent;
    // the document keeps the opt-in as given, so the copy carries the withdrawal beside it.
    "ALTER TABLE pulled_registrations
         ADD COLUMN talent_pool_withdrawn INTEGER NOT NULL DEFAULT 0;",
    // 6: a staff tablet's own changes the relay already stored, sent again because its log
    // was restored (it may have lost them); kept apart from `unsent`, so a refusal drops
    // them instead of keeping the copy (and hand-back) waiting for good.
    "ALTER TABLE pulled_registrations ADD COLUMN resend BLOB NOT NULL DEFAULT x'';",
];

/// Brings a store at `from` up to [`CURRENT_VERSION`] inside `tx`.
pub fn upgrade_from(tx: &Transaction<'_>, from: u32) -> rusqlite::Result<()> {
    upgrade_between(tx, from, CURRENT_VERSION)
}

/// Applies the migrations after `from` up to and including `to`.
pub(super) fn upgrade_between(tx: &Transaction<'_>, from: u32, to: u32) -> rusqlite::Result<()> {
    for version in from + 1..=to {
        tx.execute_batch(MIGRATIONS[version as usize - 1])?;
    }
    tx.pragma_update(None, "user_version", to)?;
    Ok(())
}
