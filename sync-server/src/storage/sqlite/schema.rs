//! The relay store's schema and its upgrades: every table, index and trigger of the SQLite
//! backend, the version number in `PRAGMA user_version`, and the ordered steps from each
//! version to the next. No other module creates or alters a table.
//!
//! A new store runs every step in order, so a fresh file and an upgraded one are built by the
//! same statements. Each step runs in its own transaction, which re-reads the version under
//! the write lock (another process may have upgraded the file meanwhile) and sets the new
//! version with the step's changes. The file is marked as the relay's with `PRAGMA
//! application_id`; a file of another application, or one a newer relay wrote, is refused
//! before anything is written to it.
//!
//! Version 1 is every store written before the schema had a number (user_version 0 with the
//! relay's tables present). Those builds created tables with `IF NOT EXISTS` and, at every
//! open, added the columns, triggers and indexes they found missing: steps 1 to 7 are those
//! changes, numbered, and an unversioned file may have had any of them already. So they are
//! written to be correct on any such file (`IF NOT EXISTS`, a column added only where it is
//! missing, rows numbered only where they have no number), and step 1 completes an
//! unversioned file with the tables an older build lacked. Steps after 7 run on files that
//! record their version, and are plain statements.

use rusqlite::{Connection, Transaction, TransactionBehavior};

use crate::storage::{StorageError, StorageResult};

/// "KRLY" as a big-endian integer, at byte 68 of the SQLite header (the device store's is
/// "KIOS").
pub(crate) const APPLICATION_ID: u32 = 0x4B52_4C59;

/// The version this build writes.
pub const CURRENT_VERSION: u32 = 19;

/// The version whose step writes on each quarantined copy the nonce rule it was logged under
/// (upgrade tests set a store back to the version before it).
#[cfg(test)]
pub(crate) const QUARANTINE_RULE_VERSION: u32 = 19;

/// One change of a step.
enum Change {
    Sql(&'static str),
    /// A column that builds before schema versions added when it was missing: an unversioned
    /// store may hold it already, so it is added only where it is not.
    AddColumn {
        table: &'static str,
        column: &'static str,
        definition: &'static str,
    },
    /// Work SQL alone cannot do (the transparency log's backfill hashes with Rust).
    Rust(fn(&Transaction<'_>) -> StorageResult<()>),
}

/// One step per version, index 0 making version 1.
const STEPS: [&[Change]; CURRENT_VERSION as usize] = [
    // 1: the relay's tables as the builds before schema versions first created them. On an
    // unversioned store (which is version 1) they add only what an older build lacked.
    &[Change::Sql(BASE)],
    // 2: registrations stored before the change log existed get their capture's row, so
    // retries are answered with their hashes and staff tablets pull them.
    &[Change::Sql(
        "INSERT INTO registration_changes
             (doc_id, hash, event_id, commit_seq, actor, restricted, change)
         SELECT doc_id, substr(change_hashes, 1, 32), event_id, 0, device_key, restricted, NULL
         FROM registrations r
         WHERE length(change_hashes) >= 32
           AND NOT EXISTS (SELECT 1 FROM registration_changes c WHERE c.doc_id = r.doc_id);",
    )],
    // 3: HR users record the admin who created them (NULL for the command line, the demo and
    // users created before) and when they were disabled (NULL: enabled).
    &[
        Change::AddColumn {
            table: "hr_users",
            column: "created_by",
            definition: "INTEGER REFERENCES hr_users (id)",
        },
        Change::AddColumn {
            table: "hr_users",
            column: "disabled_at",
            definition: "INTEGER",
        },
    ],
    // 4: a device's journal count as it declared it in its last sync request (how many it
    // had captured then), for reconciliation.
    &[Change::AddColumn {
        table: "devices",
        column: "declared_journal",
        definition: "INTEGER",
    }],
    // 5: talent-pool withdrawals are numbered from the commit counter, so a staff tablet's
    // pull carries them past its cursor; withdrawals recorded before get one new number
    // together, so every staff tablet learns of them on its next pull.
    &[
        Change::AddColumn {
            table: "talent_pool_withdrawals",
            column: "commit_seq",
            definition: "INTEGER",
        },
        Change::Sql(
            "CREATE INDEX IF NOT EXISTS talent_pool_withdrawals_by_commit
                 ON talent_pool_withdrawals (commit_seq);
             UPDATE relay_state SET commit_seq = commit_seq + 1
             WHERE id = 1
               AND EXISTS (SELECT 1 FROM talent_pool_withdrawals WHERE commit_seq IS NULL);
             UPDATE talent_pool_withdrawals
                SET commit_seq = (SELECT commit_seq FROM relay_state WHERE id = 1)
              WHERE commit_seq IS NULL;",
        ),
    ],
    // 6: the access log's own retention: the horizon where the log now starts, and a DELETE
    // trigger that lets only entries before it go, in place of the one that refused every
    // DELETE (replaced in this step's transaction, so the log is never without one).
    &[Change::Sql(ACCESS_LOG_HORIZON)],
    // 7: indexes that replace narrower ones: the access log's by-person index covers only
    // people at the relay (a tablet's pull logs every record it receives, and is spared the
    // index), and the list index's two covering indexes serve a page from the index alone.
    &[Change::Sql(COVERING_INDEXES)],
    // 8: a list filtered by a status few rows have (contacted, hired) reads those rows from
    // their own index, newest first, instead of scanning every row for them (25 ms at
    // 100,000 registrations, the slowest filter after a search); a search typed as a whole
    // email address finds it through its own index (rows indexed before are indexed again
    // at the open that upgrades, to fill it).
    &[
        Change::AddColumn {
            table: "registration_index",
            column: "email",
            definition: "TEXT NOT NULL DEFAULT ''",
        },
        Change::Sql(
            "CREATE INDEX IF NOT EXISTS registration_index_list_by_status ON registration_index
                 (status, captured_at DESC, doc_id DESC, event_id, restricted);
             CREATE INDEX IF NOT EXISTS registration_index_by_email ON registration_index (email)
                 WHERE email != '';
             -- Every row indexed again at this open (the catch-up from the start of the
             -- change log), so rows indexed before have their address too: a search that
             -- finds an address in the index must find every row that has it.
             UPDATE registration_index_state SET watermark = -1;",
        ),
    ],
    // 9: tablets get the name HR chooses ("Kiosk 1, Göteborg"): given with the enrollment
    // code, copied to the tablets it enrolls, editable later. NULL: no name (the key's
    // fingerprint names it, as before).
    &[
        Change::AddColumn {
            table: "enrollment_codes",
            column: "name",
            definition: "TEXT",
        },
        Change::AddColumn {
            table: "devices",
            column: "name",
            definition: "TEXT",
        },
    ],
    // 10: the relay signing key each tablet named in its last sync, so retiring the previous
    // keys of a key rotation knows how many active tablets have not adopted the new ones
    // (NULL: not known yet; counted as not adopted).
    &[Change::AddColumn {
        table: "devices",
        column: "relay_key",
        definition: "BLOB",
    }],
    // 11: keyed blind indexes of a registration's email and phone (see
    // `crate::rules::blind_index`): truncated duplicate-index values per record, and the
    // records the background pass has indexed (both go with their record at removal); and
    // full-length do-not-contact values with their legal basis and their own retention.
    // `IF NOT EXISTS`: a file set back to an earlier version (as tests of older upgrades do)
    // runs this step again.
    &[Change::Sql(
        "CREATE TABLE IF NOT EXISTS blind_index (
             doc_id TEXT NOT NULL,
             field  TEXT NOT NULL,
             value  BLOB NOT NULL,
             PRIMARY KEY (doc_id, field)
         ) STRICT;
         CREATE INDEX IF NOT EXISTS blind_index_by_value ON blind_index (field, value);
         CREATE TABLE IF NOT EXISTS blind_indexed (
             doc_id     TEXT PRIMARY KEY NOT NULL,
             indexed_at INTEGER NOT NULL
         ) STRICT;
         CREATE TABLE IF NOT EXISTS do_not_contact (
             field      TEXT NOT NULL,
             value      BLOB NOT NULL,
             basis      TEXT NOT NULL,
             added_at   INTEGER NOT NULL,
             keep_until INTEGER NOT NULL,
             PRIMARY KEY (field, value)
         ) STRICT;
         CREATE INDEX IF NOT EXISTS do_not_contact_by_keep_until ON do_not_contact (keep_until);
         -- Which index key the rows were written under (a keyed hash of it, naming nothing):
         -- a relay started with another key is refused instead of missing every match.
         CREATE TABLE IF NOT EXISTS blind_index_key (
             id          INTEGER PRIMARY KEY CHECK (id = 1),
             fingerprint BLOB NOT NULL
         ) STRICT;",
    )],
    // 12: a record the blind-index pass could not index (its document did not read) is
    // tried again later, a bounded number of times (`crate::blind_index`): `attempts` failed
    // so far (0: indexed), `retry_at` when it is next due (NULL with attempts > 0: given up
    // until the relay starts again).
    &[
        Change::AddColumn {
            table: "blind_indexed",
            column: "attempts",
            definition: "INTEGER NOT NULL DEFAULT 0",
        },
        Change::AddColumn {
            table: "blind_indexed",
            column: "retry_at",
            definition: "INTEGER",
        },
        Change::Sql(
            "CREATE INDEX IF NOT EXISTS blind_indexed_retry ON blind_indexed (retry_at)
             WHERE retry_at IS NOT NULL;",
        ),
    ],
    // 13: the transparency log (see `super::tlog` and `crate::transparency`): leaves by
    // index, the perfect subtrees appends completed, the one-row head, and each record's
    // nonce; records held before the log get a nonce and their changes `accepted-before-log`
    // leaves. Leaves and subtrees are never updated or deleted.
    &[
        Change::AddColumn {
            table: "registrations",
            column: "tlog_nonce",
            definition: "BLOB",
        },
        Change::Sql(TRANSPARENCY_LOG),
        Change::Rust(super::tlog::backfill_step),
    ],
    // 14: witnesses' cosignatures of the log's checkpoints (see `super::cosignatures` and
    // `crate::witness::intake`), the newest per witness and tree size.
    &[Change::Sql(WITNESS_COSIGNATURES)],
    // 15: the visitor's receipt (see `crate::visitor_receipt`): a registration's receipt tag
    // (a keyed hash of the receipt's hash; NULL for captures from before receipts and for
    // receipts HR withdrew), which receipt key the tags were made under, and the requests
    // visitors make from their receipt page (they go with their record at removal).
    &[
        Change::AddColumn {
            table: "registrations",
            column: "receipt_tag",
            definition: "BLOB",
        },
        Change::Sql(
            "CREATE UNIQUE INDEX IF NOT EXISTS registrations_by_receipt_tag
                 ON registrations (receipt_tag);
             CREATE TABLE IF NOT EXISTS receipt_key (
                 id          INTEGER PRIMARY KEY CHECK (id = 1),
                 fingerprint BLOB NOT NULL
             ) STRICT;
             CREATE TABLE IF NOT EXISTS visitor_requests (
                 id         INTEGER PRIMARY KEY AUTOINCREMENT,
                 doc_id     TEXT NOT NULL,
                 kind       TEXT NOT NULL CHECK (kind IN ('subject_access', 'correction')),
                 at         INTEGER NOT NULL,
                 text       TEXT,
                 handled_at INTEGER,
                 handled_by TEXT
             ) STRICT;
             CREATE INDEX IF NOT EXISTS visitor_requests_open
                 ON visitor_requests (handled_at, at);
             CREATE INDEX IF NOT EXISTS visitor_requests_by_doc ON visitor_requests (doc_id);
             -- Receipts HR withdrew: a capture sent again stores no tag, and a restore
             -- withdraws them again (see `lifecycle_journal`).
             CREATE TABLE IF NOT EXISTS receipt_withdrawals (
                 doc_id TEXT PRIMARY KEY NOT NULL,
                 at     INTEGER NOT NULL,
                 by     TEXT NOT NULL
             ) STRICT;",
        ),
    ],
    // 16: provenance the relay could not show before: which log key and origin the
    // transparency log is signed under (a relay started with another is refused, see
    // `crate::transparency::checkpoint::load_for_store`), and each tablet's certificate as
    // the enrollment answer carried it (the provenance bundle hands out the original).
    &[Change::Sql(PROVENANCE_KEEPING)],
    // 17: a quarantined capture's transparency-log nonce (see `super::ingest::quarantine`):
    // its changes get `quarantined` leaves under it, and an acceptance stores the record
    // under the same nonce, so the record's leaves link. Rows kept apart before have none
    // until their tablet sends them again.
    &[Change::AddColumn {
        table: "quarantine",
        column: "tlog_nonce",
        definition: "BLOB",
    }],
    // 18: the index of leaves by record keyed by the commitment's first 8 bytes, not all 32:
    // each leaf's entry lands at a random place in it, so a smaller entry dirties fewer
    // pages per append; a read checks the whole commitment on the leaf.
    &[Change::Sql(RECORD_INDEX_PREFIX)],
    // 19: each tablet's copies kept apart say which rule their nonce follows (see
    // `super::ingest::quarantine`): rows logged before are `copy` where a registration holds
    // the id under another nonce, else `record` (every tablet's copy shared one nonce then);
    // and every certificate a tablet was issued is kept (the newest 16), so the provenance
    // bundle names the one valid when the capture was accepted, not a later enrollment's.
    &[
        Change::AddColumn {
            table: "quarantine",
            column: "nonce_rule",
            definition: "TEXT CHECK (nonce_rule IN ('record', 'copy'))",
        },
        Change::Sql(NONCE_RULES_AND_CERTIFICATE_HISTORY),
        // The issue time of the certificate the sending tablet held (its device row's
        // `certified_at` read at ingest), so the bundle finds that certificate by it rather
        // than by comparing times of two clocks (NULL: stored before this step).
        Change::AddColumn {
            table: "registrations",
            column: "certified_at",
            definition: "INTEGER",
        },
        Change::AddColumn {
            table: "quarantine",
            column: "certified_at",
            definition: "INTEGER",
        },
    ],
];

/// Step 18.
const RECORD_INDEX_PREFIX: &str = "
DROP INDEX IF EXISTS tlog_leaves_by_record;
-- A record's leaves by the first 8 bytes of their record commitment (a collision among
-- 2^64 is filtered by the whole commitment on the leaf): sync answers, provenance bundles.
-- It holds nothing the leaves do not say, so it stays when a removal erases the nonce.
CREATE INDEX IF NOT EXISTS tlog_leaves_by_record_prefix ON tlog_leaves (substr(leaf, 3, 8), idx);
";

/// Step 19, after the `nonce_rule` column. Written to run again on a file a test set back.
const NONCE_RULES_AND_CERTIFICATE_HISTORY: &str = "
UPDATE quarantine SET nonce_rule = CASE
        WHEN EXISTS (SELECT 1 FROM registrations r
                     WHERE r.doc_id = quarantine.doc_id AND r.tlog_nonce IS NOT quarantine.tlog_nonce)
        THEN 'copy' ELSE 'record' END
    WHERE tlog_nonce IS NOT NULL AND nonce_rule IS NULL;
CREATE TABLE device_certificate_history (
    device_key BLOB NOT NULL CHECK (length(device_key) = 32),
    issued_at  INTEGER NOT NULL,
    envelope   BLOB NOT NULL,
    PRIMARY KEY (device_key, issued_at)
) STRICT;
INSERT INTO device_certificate_history (device_key, issued_at, envelope)
    SELECT device_key, issued_at, envelope FROM device_certificates;
DROP TABLE device_certificates;
ALTER TABLE device_certificate_history RENAME TO device_certificates;
";

/// Step 16.
const PROVENANCE_KEEPING: &str = "
CREATE TABLE IF NOT EXISTS tlog_key (
    id         INTEGER PRIMARY KEY CHECK (id = 1),
    public_key BLOB NOT NULL CHECK (length(public_key) = 32),
    origin     TEXT NOT NULL
) STRICT;
CREATE TABLE IF NOT EXISTS device_certificates (
    device_key BLOB PRIMARY KEY NOT NULL CHECK (length(device_key) = 32),
    issued_at  INTEGER NOT NULL,
    envelope   BLOB NOT NULL
) STRICT;
";

/// Step 14.
const WITNESS_COSIGNATURES: &str = "
CREATE TABLE IF NOT EXISTS tlog_cosignatures (
    witness TEXT NOT NULL,
    size    INTEGER NOT NULL CHECK (size >= 0),
    root    BLOB NOT NULL CHECK (length(root) = 32),
    time    INTEGER NOT NULL CHECK (time >= 0),
    line    TEXT NOT NULL,
    PRIMARY KEY (witness, size)
) STRICT;
CREATE INDEX IF NOT EXISTS tlog_cosignatures_by_size ON tlog_cosignatures (size);
";

const BASE: &str = "
CREATE TABLE IF NOT EXISTS events (
    event_id TEXT PRIMARY KEY NOT NULL,
    document BLOB NOT NULL
) STRICT;
CREATE TABLE IF NOT EXISTS enrollment_codes (
    lookup        BLOB PRIMARY KEY NOT NULL,
    answer_secret BLOB NOT NULL,
    event_id   TEXT NOT NULL,
    role       TEXT NOT NULL,
    recruiter  TEXT,
    expires_at INTEGER NOT NULL,
    max_uses   INTEGER NOT NULL,
    uses       INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL
) STRICT;
CREATE TABLE IF NOT EXISTS devices (
    device_key    BLOB PRIMARY KEY NOT NULL,
    event_id      TEXT NOT NULL,
    role          TEXT NOT NULL,
    recruiter     TEXT,
    enrolled_with BLOB NOT NULL,
    certified_at  INTEGER NOT NULL,
    expires_at    INTEGER NOT NULL,
    revoked_at    INTEGER,
    last_seq      INTEGER NOT NULL DEFAULT 0,
    last_contact  INTEGER,
    chain_count   INTEGER NOT NULL DEFAULT 0,
    chain_head    BLOB NOT NULL
) STRICT;
CREATE TABLE IF NOT EXISTS device_journal (
    device_key    BLOB NOT NULL,
    seq           INTEGER NOT NULL,
    doc_id        TEXT NOT NULL,
    change_hashes BLOB NOT NULL,
    PRIMARY KEY (device_key, seq)
) STRICT;
CREATE TABLE IF NOT EXISTS registrations (
    doc_id            TEXT PRIMARY KEY NOT NULL,
    event_id          TEXT NOT NULL,
    device_key        BLOB NOT NULL,
    document          BLOB NOT NULL,
    change_hashes     BLOB NOT NULL,
    capture_signature BLOB NOT NULL,
    receipt_code      TEXT NOT NULL,
    restricted        INTEGER NOT NULL,
    received_at       INTEGER NOT NULL
) STRICT;
CREATE INDEX IF NOT EXISTS registrations_by_receipt_code ON registrations (receipt_code);
-- Reconciliation counts per device: without it, every count would scan the whole table once
-- per tablet.
CREATE INDEX IF NOT EXISTS registrations_by_device ON registrations (device_key);
-- Retention finds what is due per event by when it was received.
CREATE INDEX IF NOT EXISTS registrations_by_event_received
    ON registrations (event_id, received_at);
-- One row: the store's epoch (new after every restore, so tablets know receipts from before
-- may name data the store no longer holds), a counter every ingest commit takes a number
-- from, and the highest number a completed backup is known to hold.
CREATE TABLE IF NOT EXISTS relay_state (
    id               INTEGER PRIMARY KEY CHECK (id = 1),
    epoch            BLOB NOT NULL,
    commit_seq       INTEGER NOT NULL,
    backup_watermark INTEGER
) STRICT;
INSERT OR IGNORE INTO relay_state (id, epoch, commit_seq) VALUES (1, randomblob(16), 0);
-- Every change of every registration, numbered by the commit that stored it, so a staff
-- tablet's pull sends exactly the changes past its cursor. The capture's own row has no
-- bytes: they are the registration's `document`. `restricted` is the registration's, so
-- pulls skip restricted records without a join.
CREATE TABLE IF NOT EXISTS registration_changes (
    doc_id     TEXT NOT NULL,
    hash       BLOB NOT NULL,
    event_id   TEXT NOT NULL,
    commit_seq INTEGER NOT NULL,
    actor      BLOB NOT NULL,
    restricted INTEGER NOT NULL,
    change     BLOB,
    PRIMARY KEY (doc_id, hash)
) STRICT;
CREATE INDEX IF NOT EXISTS registration_changes_by_event
    ON registration_changes (event_id, commit_seq);
CREATE INDEX IF NOT EXISTS registration_changes_by_seq ON registration_changes (commit_seq);
-- A removed registration leaves this record (its bytes are erased), numbered like a commit
-- so tablets learn of the removal on their next pull and never send it again.
CREATE TABLE IF NOT EXISTS removals (
    doc_id     TEXT PRIMARY KEY NOT NULL,
    event_id   TEXT NOT NULL,
    device_key BLOB NOT NULL,
    restricted INTEGER NOT NULL,
    removed_at INTEGER NOT NULL,
    commit_seq INTEGER NOT NULL,
    reason     TEXT NOT NULL
) STRICT;
CREATE INDEX IF NOT EXISTS removals_by_event ON removals (event_id, commit_seq);
CREATE INDEX IF NOT EXISTS removals_by_device ON removals (device_key, commit_seq);
CREATE INDEX IF NOT EXISTS removals_by_seq ON removals (commit_seq);
-- payload: the sealed capture as received, or the opened document when the conflict is
-- only found at merge time.
CREATE TABLE IF NOT EXISTS quarantine (
    id          INTEGER PRIMARY KEY,
    doc_id      TEXT NOT NULL,
    device_key  BLOB NOT NULL,
    payload     BLOB NOT NULL,
    code        TEXT NOT NULL,
    received_at INTEGER NOT NULL
) STRICT;
-- Whether a push was quarantined already is asked per push: by the tablet alone it would read
-- every capture the tablet ever had quarantined (a revoked tablet's grow without end).
CREATE INDEX IF NOT EXISTS quarantine_by_document ON quarantine (doc_id, device_key);
CREATE INDEX IF NOT EXISTS quarantine_by_device ON quarantine (device_key);
-- One row per reviewed quarantined capture: a decision is final.
CREATE TABLE IF NOT EXISTS quarantine_reviews (
    quarantine_id INTEGER PRIMARY KEY NOT NULL,
    doc_id        TEXT NOT NULL,
    decision      TEXT NOT NULL CHECK (decision IN ('accepted', 'kept_apart')),
    reason        TEXT NOT NULL,
    reviewer      TEXT NOT NULL,
    reviewed_at   INTEGER NOT NULL
) STRICT;

-- The access log: append-only and hash-chained (see `access_log`).
CREATE TABLE IF NOT EXISTS access_log (
    seq        INTEGER PRIMARY KEY NOT NULL,
    at         INTEGER NOT NULL,
    actor_kind TEXT NOT NULL CHECK (actor_kind IN ('device', 'operator')),
    actor      TEXT NOT NULL,
    recruiter  TEXT,
    action     TEXT NOT NULL,
    doc_id     TEXT NOT NULL,
    previous   BLOB NOT NULL,
    hash       BLOB NOT NULL
) STRICT;
-- Rows only continue the chain: the next number, linked to the last hash. Besides gaps,
-- this refuses INSERT OR REPLACE, which would rewrite an entry without firing the DELETE
-- trigger (SQLite fires delete triggers for REPLACE only under recursive_triggers).
CREATE TRIGGER IF NOT EXISTS access_log_only_grows BEFORE INSERT ON access_log
WHEN NEW.seq IS NOT (SELECT COALESCE(MAX(seq), 0) + 1 FROM access_log)
  OR NEW.previous IS NOT COALESCE(
         (SELECT hash FROM access_log ORDER BY seq DESC LIMIT 1), zeroblob(32))
BEGIN SELECT RAISE(ABORT, 'the access log only grows at its end'); END;
CREATE TRIGGER IF NOT EXISTS access_log_no_update BEFORE UPDATE ON access_log
BEGIN SELECT RAISE(ABORT, 'the access log is append-only'); END;
-- The DELETE trigger is step 6's: it lets only entries before the log's retention horizon go.
-- A record's entries, for the review filtered by record.
CREATE INDEX IF NOT EXISTS access_log_by_doc ON access_log (doc_id, seq);

-- Unlocks of staff PINs HR asked for: per staff tablet, a counter each unlock raises.
CREATE TABLE IF NOT EXISTS staff_unlocks (
    device_key BLOB PRIMARY KEY NOT NULL,
    counter    INTEGER NOT NULL,
    issued_at  INTEGER NOT NULL
) STRICT;

-- Central HR's users (roles, clearance, password hash); step 3 adds who created them and
-- when they were disabled.
CREATE TABLE IF NOT EXISTS hr_users (
    id                    INTEGER PRIMARY KEY NOT NULL,
    username              TEXT NOT NULL UNIQUE,
    display_name          TEXT NOT NULL,
    roles                 TEXT NOT NULL,
    restricted_clearance  INTEGER NOT NULL DEFAULT 0,
    password_salt         BLOB NOT NULL,
    password_hash         BLOB NOT NULL,
    password_memory_kib   INTEGER NOT NULL,
    password_passes       INTEGER NOT NULL,
    must_change_password  INTEGER NOT NULL,
    created_at            INTEGER NOT NULL
) STRICT;
-- Every change that took access from a user (or gave it back), written with the change:
-- what, the reason the admin gave, who and when. `by_user` is NULL for the command line.
CREATE TABLE IF NOT EXISTS hr_account_changes (
    seq      INTEGER PRIMARY KEY AUTOINCREMENT,
    at       INTEGER NOT NULL,
    by_user  INTEGER REFERENCES hr_users (id),
    by_name  TEXT NOT NULL,
    user     INTEGER NOT NULL REFERENCES hr_users (id),
    change   TEXT NOT NULL,
    reason   TEXT
) STRICT;
CREATE INDEX IF NOT EXISTS hr_account_changes_by_user ON hr_account_changes (user, seq);
-- Every change of a user's restricted clearance, written with the change. `by_user` is
-- NULL for a change made by no HR user (set-up, tests).
CREATE TABLE IF NOT EXISTS hr_clearance_changes (
    seq      INTEGER PRIMARY KEY AUTOINCREMENT,
    at       INTEGER NOT NULL,
    by_user  INTEGER REFERENCES hr_users (id),
    user     INTEGER NOT NULL REFERENCES hr_users (id),
    granted  INTEGER NOT NULL CHECK (granted IN (0, 1))
) STRICT;
CREATE INDEX IF NOT EXISTS hr_clearance_changes_by_user ON hr_clearance_changes (user, seq);
-- Console sessions and API tokens, kept by the hash of their secret only.
CREATE TABLE IF NOT EXISTS hr_credentials (
    secret_hash  BLOB PRIMARY KEY NOT NULL,
    kind         TEXT NOT NULL CHECK (kind IN ('session', 'api_token')),
    user_id      INTEGER NOT NULL REFERENCES hr_users (id),
    csrf_hash    BLOB,
    label        TEXT,
    created_at   INTEGER NOT NULL,
    expires_at   INTEGER NOT NULL,
    last_used_at INTEGER NOT NULL
) STRICT;
CREATE INDEX IF NOT EXISTS hr_credentials_by_user ON hr_credentials (user_id);
-- The events whose registrations a recruiter works with.
CREATE TABLE IF NOT EXISTS hr_event_assignments (
    user_id  INTEGER NOT NULL REFERENCES hr_users (id),
    event_id TEXT NOT NULL,
    PRIMARY KEY (user_id, event_id)
) STRICT;
-- Requests routed to cleared users. `doc_ids` are the matched restricted records' ids,
-- comma-separated (ids are not personal data; the identifier asked with is not kept).
CREATE TABLE IF NOT EXISTS restricted_requests (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    at            INTEGER NOT NULL,
    kind          TEXT NOT NULL CHECK (kind IN ('subject_access', 'disclosure')),
    requested_by  TEXT NOT NULL,
    doc_ids       TEXT NOT NULL
) STRICT;

-- What HR's lists and searches read: one row per stored registration, kept up to date from
-- the change log (see `registration_index`).
CREATE TABLE IF NOT EXISTS registration_index (
    doc_id       TEXT PRIMARY KEY NOT NULL,
    event_id     TEXT NOT NULL,
    captured_at  INTEGER NOT NULL,
    restricted   INTEGER NOT NULL,
    talent_pool  INTEGER NOT NULL,
    status       TEXT NOT NULL,
    -- Codes between commas (',law,it-development,'), so one LIKE finds one code.
    interests    TEXT NOT NULL,
    locations    TEXT NOT NULL,
    receipt_code TEXT NOT NULL,
    given_name   TEXT NOT NULL,
    family_name  TEXT NOT NULL,
    -- Lower-case names, email, phone and receipt code: what a search matches.
    search       TEXT NOT NULL
) STRICT;
-- A receipt code read out at the desk finds its registration without a scan.
CREATE INDEX IF NOT EXISTS registration_index_by_receipt ON registration_index (receipt_code);
CREATE TABLE IF NOT EXISTS registration_index_state (
    id        INTEGER PRIMARY KEY CHECK (id = 1),
    watermark INTEGER NOT NULL
) STRICT;

-- The records lifecycle (see `retention`).
CREATE TABLE IF NOT EXISTS legal_holds (
    doc_id TEXT PRIMARY KEY NOT NULL,
    reason TEXT NOT NULL,
    set_by TEXT NOT NULL,
    set_at INTEGER NOT NULL
) STRICT;
-- Every hold set or lifted, kept after the hold ends: who answers for it, and why.
CREATE TABLE IF NOT EXISTS legal_hold_history (
    id     INTEGER PRIMARY KEY,
    doc_id TEXT NOT NULL,
    action TEXT NOT NULL CHECK (action IN ('set', 'lift')),
    reason TEXT NOT NULL,
    by     TEXT NOT NULL,
    at     INTEGER NOT NULL
) STRICT;
CREATE INDEX IF NOT EXISTS legal_hold_history_by_doc ON legal_hold_history (doc_id, id);
-- The document keeps the visitor's opt-in as given; this row says it was withdrawn since.
CREATE TABLE IF NOT EXISTS talent_pool_withdrawals (
    doc_id       TEXT PRIMARY KEY NOT NULL,
    withdrawn_at INTEGER NOT NULL,
    recorded_by  TEXT NOT NULL
) STRICT;
CREATE TABLE IF NOT EXISTS retention_runs (
    id          INTEGER PRIMARY KEY,
    started_at  INTEGER NOT NULL,
    started_by  TEXT NOT NULL,
    -- What is due is decided once, at this time, so a resumed run removes what the run
    -- set out to remove and no more.
    as_of       INTEGER NOT NULL,
    finished_at INTEGER,
    removed     INTEGER NOT NULL DEFAULT 0,
    held        INTEGER NOT NULL DEFAULT 0
) STRICT;
-- The rules a run applies, as they stood when it started: a rule published mid-run (or
-- before a killed run resumes) does not widen what the run removes.
CREATE TABLE IF NOT EXISTS retention_run_rules (
    run_id   INTEGER NOT NULL REFERENCES retention_runs (id),
    event_id TEXT NOT NULL,
    months   INTEGER NOT NULL,
    decision TEXT NOT NULL,
    PRIMARY KEY (run_id, event_id)
) STRICT;
";

/// Step 6: the horizon is one row: the first entry kept, the hash of the last entry removed
/// (where the chain check starts), when and under which rule. Triggers hold pruning to that.
const ACCESS_LOG_HORIZON: &str = "
CREATE TABLE IF NOT EXISTS access_log_horizon (
    id                INTEGER PRIMARY KEY NOT NULL CHECK (id = 1),
    first_kept_seq    INTEGER NOT NULL CHECK (first_kept_seq > 1),
    last_removed_hash BLOB NOT NULL,
    pruned_at         INTEGER NOT NULL,
    rule              TEXT NOT NULL
) STRICT;
-- One row, set while the entries it names are still in the log: the entry before the first
-- kept one must be there with the hash the horizon keeps, and the first kept one too (the
-- newest entry always stays, so the chain continues from a stored entry). A second row
-- (or INSERT OR REPLACE, which would move the horizon without the UPDATE trigger) is refused.
CREATE TRIGGER IF NOT EXISTS access_log_horizon_is_set_once BEFORE INSERT ON access_log_horizon
WHEN EXISTS (SELECT 1 FROM access_log_horizon)
  OR NEW.last_removed_hash IS NOT
         (SELECT hash FROM access_log WHERE seq = NEW.first_kept_seq - 1)
  OR NOT EXISTS (SELECT 1 FROM access_log WHERE seq = NEW.first_kept_seq)
BEGIN SELECT RAISE(ABORT, 'the access log''s retention horizon must name entries the log holds'); END;
-- Forward only, and again onto entries the log holds; the first refusal that applies says why.
CREATE TRIGGER IF NOT EXISTS access_log_horizon_only_moves_forward
BEFORE UPDATE ON access_log_horizon
BEGIN
SELECT RAISE(ABORT, 'the access log''s retention horizon only moves forward')
WHERE NEW.id IS NOT OLD.id OR NEW.first_kept_seq <= OLD.first_kept_seq;
SELECT RAISE(ABORT, 'the access log''s retention horizon must name entries the log holds')
WHERE NEW.last_removed_hash IS NOT
          (SELECT hash FROM access_log WHERE seq = NEW.first_kept_seq - 1)
   OR NOT EXISTS (SELECT 1 FROM access_log WHERE seq = NEW.first_kept_seq);
END;
CREATE TRIGGER IF NOT EXISTS access_log_horizon_is_kept BEFORE DELETE ON access_log_horizon
BEGIN SELECT RAISE(ABORT, 'the access log''s retention horizon is kept'); END;
DROP TRIGGER IF EXISTS access_log_no_delete;
CREATE TRIGGER access_log_no_delete BEFORE DELETE ON access_log
WHEN OLD.seq >= COALESCE((SELECT first_kept_seq FROM access_log_horizon WHERE id = 1), 1)
BEGIN SELECT RAISE(ABORT, 'the access log is append-only: only entries before its retention horizon are removed'); END;
";

/// Step 13.
const TRANSPARENCY_LOG: &str = "
CREATE TABLE IF NOT EXISTS tlog_leaves (
    idx  INTEGER PRIMARY KEY NOT NULL CHECK (idx >= 0),
    leaf BLOB NOT NULL
) STRICT;
CREATE TABLE IF NOT EXISTS tlog_nodes (
    level INTEGER NOT NULL CHECK (level BETWEEN 0 AND 63),
    idx   INTEGER NOT NULL CHECK (idx >= 0),
    hash  BLOB NOT NULL CHECK (length(hash) = 32),
    PRIMARY KEY (level, idx)
) STRICT, WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS tlog_head (
    id       INTEGER PRIMARY KEY NOT NULL CHECK (id = 1),
    size     INTEGER NOT NULL CHECK (size >= 0),
    frontier BLOB NOT NULL
) STRICT;
INSERT OR IGNORE INTO tlog_head (id, size, frontier) VALUES (1, 0, x'');
CREATE TRIGGER IF NOT EXISTS tlog_leaves_no_update BEFORE UPDATE ON tlog_leaves
BEGIN SELECT RAISE(ABORT, 'the transparency log is append-only'); END;
CREATE TRIGGER IF NOT EXISTS tlog_leaves_no_delete BEFORE DELETE ON tlog_leaves
BEGIN SELECT RAISE(ABORT, 'the transparency log is append-only'); END;
CREATE TRIGGER IF NOT EXISTS tlog_nodes_no_update BEFORE UPDATE ON tlog_nodes
BEGIN SELECT RAISE(ABORT, 'the transparency log is append-only'); END;
CREATE TRIGGER IF NOT EXISTS tlog_nodes_no_delete BEFORE DELETE ON tlog_nodes
BEGIN SELECT RAISE(ABORT, 'the transparency log is append-only'); END;
CREATE TRIGGER IF NOT EXISTS tlog_head_no_delete BEFORE DELETE ON tlog_head
BEGIN SELECT RAISE(ABORT, 'the transparency log keeps its head'); END;
-- A record's leaves by their record commitment (sync answers, provenance bundles): it holds
-- nothing the leaves do not say, so it stays when a removal erases the record's nonce.
CREATE INDEX IF NOT EXISTS tlog_leaves_by_record ON tlog_leaves (substr(leaf, 3, 32), idx);
";

/// Step 7.
const COVERING_INDEXES: &str = "
DROP INDEX IF EXISTS access_log_by_actor;
CREATE INDEX IF NOT EXISTS access_log_by_operator ON access_log (actor, seq)
    WHERE actor_kind = 'operator';
-- A page's keys are read from one of these two indexes alone: each holds every column a
-- filter reads, so rows a filter skips cost no table lookup. A search that matches few
-- rows scans one index, newest first (about 25 ms for 100,000 rows, where a lookup per
-- row took 50-90 ms); one that matches many stops at the page's end.
DROP INDEX IF EXISTS registration_index_by_event;
DROP INDEX IF EXISTS registration_index_by_time;
CREATE INDEX IF NOT EXISTS registration_index_list_by_time ON registration_index
    (captured_at DESC, doc_id DESC, restricted, talent_pool, status, interests, locations,
     search);
CREATE INDEX IF NOT EXISTS registration_index_list_by_event ON registration_index
    (event_id, captured_at DESC, doc_id DESC, restricted, talent_pool, status, interests,
     locations, search);
";

/// Reads which version the store on `conn` is at, refusing (with nothing written) a file of
/// another application or one a newer relay wrote. 0 is a new, empty file; an unversioned
/// relay store also reads 0, and step 1 completes it to version 1.
pub(crate) fn stored_version(conn: &Connection, path: &str) -> StorageResult<u32> {
    // Read as i64: SQLite reports both as signed 32-bit integers.
    let application_id =
        conn.pragma_query_value(None, "application_id", |r| r.get::<_, i64>(0))? as u32;
    let version = conn.pragma_query_value(None, "user_version", |r| r.get::<_, i64>(0))? as u32;
    let foreign = || StorageError::NotARelayStore {
        path: path.to_owned(),
    };
    if application_id != APPLICATION_ID && application_id != 0 {
        return Err(foreign());
    }
    if version == 0 {
        let (tables, relay): (i64, bool) = conn.query_row(
            "SELECT count(*), coalesce(sum(name IN ('devices', 'registrations', 'relay_state')), 0) > 0
             FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\'",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?;
        if tables > 0 && !relay {
            return Err(foreign());
        }
        return Ok(0);
    }
    if application_id != APPLICATION_ID {
        return Err(foreign());
    }
    if version > CURRENT_VERSION {
        return Err(StorageError::NewerSchema {
            path: path.to_owned(),
            found: version,
            supported: CURRENT_VERSION,
        });
    }
    Ok(version)
}

/// Brings the store on `conn` up to [`CURRENT_VERSION`], one transaction per step, after
/// refusing a foreign or newer file.
pub(crate) fn upgrade(conn: &mut Connection, path: &str) -> StorageResult<()> {
    let found = stored_version(conn, path)?;
    upgrade_from(conn, path, found, CURRENT_VERSION)
}

/// Runs the steps after `found` (the version as read before) up to and including `to`.
fn upgrade_from(conn: &mut Connection, path: &str, found: u32, to: u32) -> StorageResult<()> {
    for version in found + 1..=to {
        // The write lock first, then the version again: another process opening the same
        // store (the relay, an operator's command) may have taken this step since.
        let tx = Transaction::new(conn, TransactionBehavior::Immediate)?;
        if stored_version(&tx, path)? >= version {
            continue;
        }
        for change in STEPS[version as usize - 1] {
            apply(&tx, change)?;
        }
        tx.pragma_update(None, "application_id", APPLICATION_ID)?;
        tx.pragma_update(None, "user_version", version)?;
        tx.commit()?;
    }
    Ok(())
}

/// A connection to a new store in memory with the whole schema, for tests of one module's SQL.
#[cfg(test)]
pub(crate) fn in_memory() -> Connection {
    let mut conn = Connection::open_in_memory().expect("opens");
    upgrade(&mut conn, ":memory:").expect("the schema");
    conn
}

fn apply(tx: &Transaction<'_>, change: &Change) -> StorageResult<()> {
    match change {
        Change::Sql(sql) => tx.execute_batch(sql)?,
        Change::Rust(step) => step(tx)?,
        Change::AddColumn {
            table,
            column,
            definition,
        } => {
            let present: bool = tx.query_row(
                "SELECT EXISTS (SELECT 1 FROM pragma_table_info(?1) WHERE name = ?2)",
                [table, column],
                |r| r.get(0),
            )?;
            if !present {
                tx.execute_batch(&format!(
                    "ALTER TABLE {table} ADD COLUMN {column} {definition}"
                ))?;
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests;
