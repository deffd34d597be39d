-- Test fixture, never to be edited: the relay store's schema as the last build before schema
-- versions (e67fde6) left a new file, taken from its sqlite_master in creation order. The
-- upgrade tests build an unversioned store from it.
CREATE TABLE events (
    event_id TEXT PRIMARY KEY NOT NULL,
    document BLOB NOT NULL
) STRICT;
CREATE TABLE enrollment_codes (
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
CREATE TABLE devices (
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
, declared_journal INTEGER) STRICT;
CREATE TABLE device_journal (
    device_key    BLOB NOT NULL,
    seq           INTEGER NOT NULL,
    doc_id        TEXT NOT NULL,
    change_hashes BLOB NOT NULL,
    PRIMARY KEY (device_key, seq)
) STRICT;
CREATE TABLE registrations (
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
CREATE INDEX registrations_by_receipt_code ON registrations (receipt_code);
CREATE TABLE relay_state (
    id               INTEGER PRIMARY KEY CHECK (id = 1),
    epoch            BLOB NOT NULL,
    commit_seq       INTEGER NOT NULL,
    backup_watermark INTEGER
) STRICT;
CREATE TABLE registration_changes (
    doc_id     TEXT NOT NULL,
    hash       BLOB NOT NULL,
    event_id   TEXT NOT NULL,
    commit_seq INTEGER NOT NULL,
    actor      BLOB NOT NULL,
    restricted INTEGER NOT NULL,
    change     BLOB,
    PRIMARY KEY (doc_id, hash)
) STRICT;
CREATE INDEX registration_changes_by_event
    ON registration_changes (event_id, commit_seq);
CREATE TABLE removals (
    doc_id     TEXT PRIMARY KEY NOT NULL,
    event_id   TEXT NOT NULL,
    device_key BLOB NOT NULL,
    restricted INTEGER NOT NULL,
    removed_at INTEGER NOT NULL,
    commit_seq INTEGER NOT NULL,
    reason     TEXT NOT NULL
) STRICT;
CREATE INDEX removals_by_event ON removals (event_id, commit_seq);
CREATE INDEX removals_by_device ON removals (device_key, commit_seq);
CREATE TABLE quarantine (
    id          INTEGER PRIMARY KEY,
    doc_id      TEXT NOT NULL,
    device_key  BLOB NOT NULL,
    payload     BLOB NOT NULL,
    code        TEXT NOT NULL,
    received_at INTEGER NOT NULL
) STRICT;
CREATE INDEX quarantine_by_document ON quarantine (doc_id, device_key);
CREATE TABLE access_log (
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
CREATE TRIGGER access_log_only_grows BEFORE INSERT ON access_log
WHEN NEW.seq IS NOT (SELECT COALESCE(MAX(seq), 0) + 1 FROM access_log)
  OR NEW.previous IS NOT COALESCE(
         (SELECT hash FROM access_log ORDER BY seq DESC LIMIT 1), zeroblob(32))
BEGIN SELECT RAISE(ABORT, 'the access log only grows at its end'); END;
CREATE TRIGGER access_log_no_update BEFORE UPDATE ON access_log
BEGIN SELECT RAISE(ABORT, 'the access log is append-only'); END;
CREATE INDEX access_log_by_operator ON access_log (actor, seq)
    WHERE actor_kind = 'operator';
CREATE INDEX access_log_by_doc ON access_log (doc_id, seq);
CREATE TABLE access_log_horizon (
    id                INTEGER PRIMARY KEY NOT NULL CHECK (id = 1),
    first_kept_seq    INTEGER NOT NULL CHECK (first_kept_seq > 1),
    last_removed_hash BLOB NOT NULL,
    pruned_at         INTEGER NOT NULL,
    rule              TEXT NOT NULL
) STRICT;
CREATE TRIGGER access_log_horizon_is_set_once BEFORE INSERT ON access_log_horizon
WHEN EXISTS (SELECT 1 FROM access_log_horizon)
  OR NEW.last_removed_hash IS NOT
         (SELECT hash FROM access_log WHERE seq = NEW.first_kept_seq - 1)
  OR NOT EXISTS (SELECT 1 FROM access_log WHERE seq = NEW.first_kept_seq)
BEGIN SELECT RAISE(ABORT, 'the access log''s retention horizon must name entries the log holds'); END;
CREATE TRIGGER access_log_horizon_only_moves_forward
BEFORE UPDATE ON access_log_horizon
BEGIN
SELECT RAISE(ABORT, 'the access log''s retention horizon only moves forward')
WHERE NEW.id IS NOT OLD.id OR NEW.first_kept_seq <= OLD.first_kept_seq;
SELECT RAISE(ABORT, 'the access log''s retention horizon must name entries the log holds')
WHERE NEW.last_removed_hash IS NOT
          (SELECT hash FROM access_log WHERE seq = NEW.first_kept_seq - 1)
   OR NOT EXISTS (SELECT 1 FROM access_log WHERE seq = NEW.first_kept_seq);
END;
CREATE TRIGGER access_log_horizon_is_kept BEFORE DELETE ON access_log_horizon
BEGIN SELECT RAISE(ABORT, 'the access log''s retention horizon is kept'); END;
CREATE TRIGGER access_log_no_delete BEFORE DELETE ON access_log
WHEN OLD.seq >= COALESCE((SELECT first_kept_seq FROM access_log_horizon WHERE id = 1), 1)
BEGIN SELECT RAISE(ABORT, 'the access log is append-only: only entries before its retention horizon are removed'); END;
CREATE TABLE staff_unlocks (
    device_key BLOB PRIMARY KEY NOT NULL,
    counter    INTEGER NOT NULL,
    issued_at  INTEGER NOT NULL
) STRICT;
CREATE TABLE hr_users (
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
    created_at            INTEGER NOT NULL,
    -- The admin who created the user; NULL for the command line, the demo and users
    -- created before the relay recorded it. Added to older stores by `create_schema`.
    created_by            INTEGER REFERENCES hr_users (id),
    -- When the user was disabled (NULL: enabled). Added to older stores by `create_schema`.
    disabled_at           INTEGER
) STRICT;
CREATE TABLE hr_account_changes (
    seq      INTEGER PRIMARY KEY AUTOINCREMENT,
    at       INTEGER NOT NULL,
    by_user  INTEGER REFERENCES hr_users (id),
    by_name  TEXT NOT NULL,
    user     INTEGER NOT NULL REFERENCES hr_users (id),
    change   TEXT NOT NULL,
    reason   TEXT
) STRICT;
CREATE INDEX hr_account_changes_by_user ON hr_account_changes (user, seq);
CREATE TABLE hr_clearance_changes (
    seq      INTEGER PRIMARY KEY AUTOINCREMENT,
    at       INTEGER NOT NULL,
    by_user  INTEGER REFERENCES hr_users (id),
    user     INTEGER NOT NULL REFERENCES hr_users (id),
    granted  INTEGER NOT NULL CHECK (granted IN (0, 1))
) STRICT;
CREATE INDEX hr_clearance_changes_by_user ON hr_clearance_changes (user, seq);
CREATE TABLE hr_credentials (
    secret_hash  BLOB PRIMARY KEY NOT NULL,
    kind         TEXT NOT NULL CHECK (kind IN ('session', 'api_token')),
    user_id      INTEGER NOT NULL REFERENCES hr_users (id),
    csrf_hash    BLOB,
    label        TEXT,
    created_at   INTEGER NOT NULL,
    expires_at   INTEGER NOT NULL,
    last_used_at INTEGER NOT NULL
) STRICT;
CREATE INDEX hr_credentials_by_user ON hr_credentials (user_id);
CREATE TABLE hr_event_assignments (
    user_id  INTEGER NOT NULL REFERENCES hr_users (id),
    event_id TEXT NOT NULL,
    PRIMARY KEY (user_id, event_id)
) STRICT;
CREATE TABLE restricted_requests (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    at            INTEGER NOT NULL,
    kind          TEXT NOT NULL CHECK (kind IN ('subject_access', 'disclosure')),
    requested_by  TEXT NOT NULL,
    doc_ids       TEXT NOT NULL
) STRICT;
CREATE TABLE registration_index (
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
CREATE INDEX registration_index_list_by_time ON registration_index
    (captured_at DESC, doc_id DESC, restricted, talent_pool, status, interests, locations,
     search);
CREATE INDEX registration_index_list_by_event ON registration_index
    (event_id, captured_at DESC, doc_id DESC, restricted, talent_pool, status, interests,
     locations, search);
CREATE INDEX registration_index_by_receipt ON registration_index (receipt_code);
CREATE INDEX registration_changes_by_seq ON registration_changes (commit_seq);
CREATE INDEX removals_by_seq ON removals (commit_seq);
CREATE TABLE registration_index_state (
    id        INTEGER PRIMARY KEY CHECK (id = 1),
    watermark INTEGER NOT NULL
) STRICT;
CREATE TABLE quarantine_reviews (
    quarantine_id INTEGER PRIMARY KEY NOT NULL,
    doc_id        TEXT NOT NULL,
    decision      TEXT NOT NULL CHECK (decision IN ('accepted', 'kept_apart')),
    reason        TEXT NOT NULL,
    reviewer      TEXT NOT NULL,
    reviewed_at   INTEGER NOT NULL
) STRICT;
CREATE INDEX registrations_by_device ON registrations (device_key);
CREATE INDEX quarantine_by_device ON quarantine (device_key);
CREATE TABLE legal_holds (
    doc_id TEXT PRIMARY KEY NOT NULL,
    reason TEXT NOT NULL,
    set_by TEXT NOT NULL,
    set_at INTEGER NOT NULL
) STRICT;
CREATE TABLE legal_hold_history (
    id     INTEGER PRIMARY KEY,
    doc_id TEXT NOT NULL,
    action TEXT NOT NULL CHECK (action IN ('set', 'lift')),
    reason TEXT NOT NULL,
    by     TEXT NOT NULL,
    at     INTEGER NOT NULL
) STRICT;
CREATE INDEX legal_hold_history_by_doc ON legal_hold_history (doc_id, id);
CREATE TABLE talent_pool_withdrawals (
    doc_id       TEXT PRIMARY KEY NOT NULL,
    withdrawn_at INTEGER NOT NULL,
    recorded_by  TEXT NOT NULL
, commit_seq INTEGER) STRICT;
CREATE TABLE retention_runs (
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
CREATE TABLE retention_run_rules (
    run_id   INTEGER NOT NULL REFERENCES retention_runs (id),
    event_id TEXT NOT NULL,
    months   INTEGER NOT NULL,
    decision TEXT NOT NULL,
    PRIMARY KEY (run_id, event_id)
) STRICT;
CREATE INDEX registrations_by_event_received
    ON registrations (event_id, received_at);
CREATE INDEX talent_pool_withdrawals_by_commit
         ON talent_pool_withdrawals (commit_seq);
