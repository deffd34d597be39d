-- Version 1 of the PostgreSQL relay store: the SQLite store's version 7, translated.
-- BIGINT for integers (times are milliseconds since the epoch), BYTEA for blobs, BOOLEAN
-- for SQLite's 0/1 flags, and a BIGSERIAL where SQLite orders by rowid or AUTOINCREMENT.

-- `revision` rises with every write of the document: an instance's cached copy of an
-- event is used only while the stored revision is the one it read, so an event written
-- through one relay instance is what tablets syncing through another get.
CREATE TABLE events (
    event_id TEXT PRIMARY KEY NOT NULL,
    document BYTEA NOT NULL,
    revision BIGINT NOT NULL DEFAULT 1
);
CREATE TABLE enrollment_codes (
    lookup        BYTEA PRIMARY KEY NOT NULL,
    answer_secret BYTEA NOT NULL,
    event_id   TEXT NOT NULL,
    role       TEXT NOT NULL CHECK (role IN ('kiosk', 'staff')),
    recruiter  TEXT,
    expires_at BIGINT NOT NULL,
    max_uses   BIGINT NOT NULL,
    uses       BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL
);
CREATE TABLE devices (
    device_key       BYTEA PRIMARY KEY NOT NULL,
    event_id         TEXT NOT NULL,
    role             TEXT NOT NULL CHECK (role IN ('kiosk', 'staff')),
    recruiter        TEXT,
    enrolled_with    BYTEA NOT NULL,
    certified_at     BIGINT NOT NULL,
    expires_at       BIGINT NOT NULL,
    revoked_at       BIGINT,
    last_seq         BIGINT NOT NULL DEFAULT 0,
    last_contact     BIGINT,
    chain_count      BIGINT NOT NULL DEFAULT 0,
    chain_head       BYTEA NOT NULL,
    -- The journal count the device declared in its last sync request, for reconciliation.
    declared_journal BIGINT
);
-- device_keys lists devices in enrollment order.
CREATE INDEX devices_by_certified ON devices (certified_at, device_key);
CREATE TABLE device_journal (
    device_key    BYTEA NOT NULL,
    seq           BIGINT NOT NULL,
    doc_id        TEXT NOT NULL,
    change_hashes BYTEA NOT NULL,
    PRIMARY KEY (device_key, seq)
);
CREATE TABLE registrations (
    doc_id            TEXT PRIMARY KEY NOT NULL,
    event_id          TEXT NOT NULL,
    device_key        BYTEA NOT NULL,
    document          BYTEA NOT NULL,
    change_hashes     BYTEA NOT NULL,
    capture_signature BYTEA NOT NULL,
    receipt_code      TEXT NOT NULL,
    restricted        BOOLEAN NOT NULL,
    received_at       BIGINT NOT NULL
);
CREATE INDEX registrations_by_receipt_code ON registrations (receipt_code);
-- Reconciliation counts per device.
CREATE INDEX registrations_by_device ON registrations (device_key);
-- Retention finds what is due per event by when it was received.
CREATE INDEX registrations_by_event_received ON registrations (event_id, received_at);

-- One row: the store's epoch, the commit counter, and the highest number a completed backup
-- is known to hold. The row is also the sequencer: every transaction that numbers records
-- takes the next number with `UPDATE relay_state SET commit_seq = commit_seq + 1`, first,
-- and holds the row lock until it commits, so commits become visible in number order (see
-- `postgres.rs`).
CREATE TABLE relay_state (
    id               BIGINT PRIMARY KEY CHECK (id = 1),
    epoch            BYTEA NOT NULL,
    commit_seq       BIGINT NOT NULL,
    backup_watermark BIGINT
);
INSERT INTO relay_state (id, epoch, commit_seq)
VALUES (1, decode(replace(gen_random_uuid()::text, '-', ''), 'hex'), 0);

-- The public halves of the keys every relay instance on this database signs and seals
-- with, written by the first instance that opens it: an instance holding other keys is
-- refused, since tablets trust only the keys they enrolled with.
CREATE TABLE relay_keys (
    id             BIGINT PRIMARY KEY CHECK (id = 1),
    signing_public BYTEA NOT NULL CHECK (length(signing_public) = 32),
    sealing_key_id TEXT NOT NULL
);

-- Every change of every registration, numbered by the commit that stored it. `id` keeps
-- the order changes were stored in within a commit (SQLite's rowid).
CREATE TABLE registration_changes (
    id         BIGSERIAL NOT NULL UNIQUE,
    doc_id     TEXT NOT NULL,
    hash       BYTEA NOT NULL,
    event_id   TEXT NOT NULL,
    commit_seq BIGINT NOT NULL,
    actor      BYTEA NOT NULL,
    restricted BOOLEAN NOT NULL,
    change     BYTEA,
    PRIMARY KEY (doc_id, hash)
);
CREATE INDEX registration_changes_by_event ON registration_changes (event_id, commit_seq);
CREATE INDEX registration_changes_by_seq ON registration_changes (commit_seq);
CREATE INDEX registration_changes_by_doc ON registration_changes (doc_id, commit_seq, id);
-- A removed registration leaves this record (its bytes are erased), numbered like a commit.
CREATE TABLE removals (
    doc_id     TEXT PRIMARY KEY NOT NULL,
    event_id   TEXT NOT NULL,
    device_key BYTEA NOT NULL,
    restricted BOOLEAN NOT NULL,
    removed_at BIGINT NOT NULL,
    commit_seq BIGINT NOT NULL,
    reason     TEXT NOT NULL
);
CREATE INDEX removals_by_event ON removals (event_id, commit_seq);
CREATE INDEX removals_by_device ON removals (device_key, commit_seq);
CREATE INDEX removals_by_seq ON removals (commit_seq);
-- payload: the sealed capture as received, or the opened document when the conflict is
-- only found at merge time.
CREATE TABLE quarantine (
    id          BIGSERIAL PRIMARY KEY,
    doc_id      TEXT NOT NULL,
    device_key  BYTEA NOT NULL,
    payload     BYTEA NOT NULL,
    code        TEXT NOT NULL,
    received_at BIGINT NOT NULL
);
CREATE INDEX quarantine_by_document ON quarantine (doc_id, device_key);
CREATE INDEX quarantine_by_device ON quarantine (device_key);
-- One row per reviewed quarantined capture: a decision is final.
CREATE TABLE quarantine_reviews (
    quarantine_id BIGINT PRIMARY KEY NOT NULL,
    doc_id        TEXT NOT NULL,
    decision      TEXT NOT NULL CHECK (decision IN ('accepted', 'kept_apart')),
    reason        TEXT NOT NULL,
    reviewer      TEXT NOT NULL,
    reviewed_at   BIGINT NOT NULL
);

-- The access log: append-only and hash-chained. Rows only continue the chain (the next
-- number, linked to the last hash), are never updated, and go only from before the
-- retention horizon; the triggers below hold that whatever SQL runs.
CREATE TABLE access_log (
    seq        BIGINT PRIMARY KEY NOT NULL,
    at         BIGINT NOT NULL,
    actor_kind TEXT NOT NULL CHECK (actor_kind IN ('device', 'operator')),
    actor      TEXT NOT NULL,
    recruiter  TEXT,
    action     TEXT NOT NULL,
    doc_id     TEXT NOT NULL,
    previous   BYTEA NOT NULL,
    hash       BYTEA NOT NULL
);
CREATE INDEX access_log_by_doc ON access_log (doc_id, seq);
CREATE INDEX access_log_by_operator ON access_log (actor, seq) WHERE actor_kind = 'operator';

-- Where the log starts once its own retention removed its oldest entries: one row.
CREATE TABLE access_log_horizon (
    id                BIGINT PRIMARY KEY NOT NULL CHECK (id = 1),
    first_kept_seq    BIGINT NOT NULL CHECK (first_kept_seq > 1),
    last_removed_hash BYTEA NOT NULL,
    pruned_at         BIGINT NOT NULL,
    rule              TEXT NOT NULL
);

CREATE FUNCTION access_log_only_grows() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    last_seq  BIGINT;
    last_hash BYTEA;
BEGIN
    SELECT seq, hash INTO last_seq, last_hash FROM access_log ORDER BY seq DESC LIMIT 1;
    IF NEW.seq IS DISTINCT FROM COALESCE(last_seq, 0) + 1
       OR NEW.previous IS DISTINCT FROM COALESCE(last_hash, decode(repeat('00', 32), 'hex')) THEN
        RAISE EXCEPTION 'the access log only grows at its end' USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER access_log_only_grows BEFORE INSERT ON access_log
    FOR EACH ROW EXECUTE FUNCTION access_log_only_grows();

CREATE FUNCTION access_log_no_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the access log is append-only' USING ERRCODE = 'check_violation';
END $$;
CREATE TRIGGER access_log_no_update BEFORE UPDATE ON access_log
    FOR EACH ROW EXECUTE FUNCTION access_log_no_update();
-- TRUNCATE fires no row trigger: refused on its own.
CREATE TRIGGER access_log_no_truncate BEFORE TRUNCATE ON access_log
    FOR EACH STATEMENT EXECUTE FUNCTION access_log_no_update();

CREATE FUNCTION access_log_no_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF OLD.seq >= COALESCE((SELECT first_kept_seq FROM access_log_horizon WHERE id = 1), 1) THEN
        RAISE EXCEPTION 'the access log is append-only: only entries before its retention horizon are removed'
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN OLD;
END $$;
CREATE TRIGGER access_log_no_delete BEFORE DELETE ON access_log
    FOR EACH ROW EXECUTE FUNCTION access_log_no_delete();

-- The horizon is set once, while the entries it names are in the log; it only moves
-- forward, again onto entries the log holds; it is never removed.
CREATE FUNCTION access_log_horizon_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'the access log''s retention horizon is kept' USING ERRCODE = 'check_violation';
    END IF;
    IF TG_OP = 'INSERT' AND EXISTS (SELECT 1 FROM access_log_horizon) THEN
        RAISE EXCEPTION 'the access log''s retention horizon must name entries the log holds'
            USING ERRCODE = 'check_violation';
    END IF;
    IF TG_OP = 'UPDATE' AND (NEW.id IS DISTINCT FROM OLD.id OR NEW.first_kept_seq <= OLD.first_kept_seq) THEN
        RAISE EXCEPTION 'the access log''s retention horizon only moves forward'
            USING ERRCODE = 'check_violation';
    END IF;
    IF NEW.last_removed_hash IS DISTINCT FROM
           (SELECT hash FROM access_log WHERE seq = NEW.first_kept_seq - 1)
       OR NOT EXISTS (SELECT 1 FROM access_log WHERE seq = NEW.first_kept_seq) THEN
        RAISE EXCEPTION 'the access log''s retention horizon must name entries the log holds'
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER access_log_horizon_guard BEFORE INSERT OR UPDATE OR DELETE ON access_log_horizon
    FOR EACH ROW EXECUTE FUNCTION access_log_horizon_guard();
CREATE TRIGGER access_log_horizon_no_truncate BEFORE TRUNCATE ON access_log_horizon
    FOR EACH STATEMENT EXECUTE FUNCTION access_log_no_update();

-- Unlocks of staff PINs HR asked for: per staff tablet, a counter each unlock raises.
CREATE TABLE staff_unlocks (
    device_key BYTEA PRIMARY KEY NOT NULL,
    counter    BIGINT NOT NULL,
    issued_at  BIGINT NOT NULL
);

-- Central HR's users. `created_by` is NULL for the command line, the demo and tests;
-- `disabled_at` NULL means enabled.
CREATE TABLE hr_users (
    id                    BIGSERIAL PRIMARY KEY,
    username              TEXT NOT NULL UNIQUE,
    display_name          TEXT NOT NULL,
    roles                 TEXT NOT NULL,
    restricted_clearance  BOOLEAN NOT NULL DEFAULT FALSE,
    password_salt         BYTEA NOT NULL,
    password_hash         BYTEA NOT NULL,
    password_memory_kib   BIGINT NOT NULL,
    password_passes       BIGINT NOT NULL,
    must_change_password  BOOLEAN NOT NULL,
    created_at            BIGINT NOT NULL,
    created_by            BIGINT REFERENCES hr_users (id),
    disabled_at           BIGINT
);
-- Every change that took access from a user (or gave it back). `user` is a reserved word
-- in PostgreSQL: the column is `user_id`.
CREATE TABLE hr_account_changes (
    seq      BIGSERIAL PRIMARY KEY,
    at       BIGINT NOT NULL,
    by_user  BIGINT REFERENCES hr_users (id),
    by_name  TEXT NOT NULL,
    user_id  BIGINT NOT NULL REFERENCES hr_users (id),
    change   TEXT NOT NULL,
    reason   TEXT
);
CREATE INDEX hr_account_changes_by_user ON hr_account_changes (user_id, seq);
CREATE TABLE hr_clearance_changes (
    seq      BIGSERIAL PRIMARY KEY,
    at       BIGINT NOT NULL,
    by_user  BIGINT REFERENCES hr_users (id),
    user_id  BIGINT NOT NULL REFERENCES hr_users (id),
    granted  BOOLEAN NOT NULL
);
CREATE INDEX hr_clearance_changes_by_user ON hr_clearance_changes (user_id, seq);
-- Console sessions and API tokens, kept by the hash of their secret only. `id` names an
-- API token for listing and revocation (SQLite's rowid).
CREATE TABLE hr_credentials (
    secret_hash  BYTEA PRIMARY KEY NOT NULL,
    id           BIGSERIAL UNIQUE NOT NULL,
    kind         TEXT NOT NULL CHECK (kind IN ('session', 'api_token')),
    user_id      BIGINT NOT NULL REFERENCES hr_users (id),
    csrf_hash    BYTEA,
    label        TEXT,
    created_at   BIGINT NOT NULL,
    expires_at   BIGINT NOT NULL,
    last_used_at BIGINT NOT NULL
);
CREATE INDEX hr_credentials_by_user ON hr_credentials (user_id);
CREATE TABLE hr_event_assignments (
    user_id  BIGINT NOT NULL REFERENCES hr_users (id),
    event_id TEXT NOT NULL,
    PRIMARY KEY (user_id, event_id)
);
-- Requests routed to cleared users; `doc_ids` comma-separated (ids are not personal data).
CREATE TABLE restricted_requests (
    id            BIGSERIAL PRIMARY KEY,
    at            BIGINT NOT NULL,
    kind          TEXT NOT NULL CHECK (kind IN ('subject_access', 'disclosure')),
    requested_by  TEXT NOT NULL,
    doc_ids       TEXT NOT NULL
);

-- What HR's lists and searches read: one row per stored registration.
CREATE TABLE registration_index (
    doc_id       TEXT PRIMARY KEY NOT NULL,
    event_id     TEXT NOT NULL,
    captured_at  BIGINT NOT NULL,
    restricted   BOOLEAN NOT NULL,
    talent_pool  BOOLEAN NOT NULL,
    status       TEXT NOT NULL,
    -- Codes between commas (',law,it-development,'), so one LIKE finds one code.
    interests    TEXT NOT NULL,
    locations    TEXT NOT NULL,
    receipt_code TEXT NOT NULL,
    given_name   TEXT NOT NULL,
    family_name  TEXT NOT NULL,
    -- Lower-case names, email, phone and receipt code: what a search matches.
    search       TEXT NOT NULL
);
CREATE INDEX registration_index_by_receipt ON registration_index (receipt_code);
CREATE INDEX registration_index_list_by_time ON registration_index
    (captured_at DESC, doc_id DESC, restricted, talent_pool, status, interests, locations, search);
CREATE INDEX registration_index_list_by_event ON registration_index
    (event_id, captured_at DESC, doc_id DESC, restricted, talent_pool, status, interests,
     locations, search);
-- The restricted inbox in its order (uncontacted first, oldest first): few rows, read from
-- the start of this index however many open records the table holds.
CREATE INDEX registration_index_restricted ON registration_index
    ((status = 'new') DESC, captured_at, doc_id) WHERE restricted;
CREATE TABLE registration_index_state (
    id        BIGINT PRIMARY KEY CHECK (id = 1),
    watermark BIGINT NOT NULL
);

-- The records lifecycle.
CREATE TABLE legal_holds (
    doc_id TEXT PRIMARY KEY NOT NULL,
    reason TEXT NOT NULL,
    set_by TEXT NOT NULL,
    set_at BIGINT NOT NULL
);
CREATE TABLE legal_hold_history (
    id     BIGSERIAL PRIMARY KEY,
    doc_id TEXT NOT NULL,
    action TEXT NOT NULL CHECK (action IN ('set', 'lift')),
    reason TEXT NOT NULL,
    -- SQLite's `by`, a reserved word in PostgreSQL.
    acted_by TEXT NOT NULL,
    at     BIGINT NOT NULL
);
CREATE INDEX legal_hold_history_by_doc ON legal_hold_history (doc_id, id);
-- Withdrawals are numbered from the commit counter, so a staff tablet's pull carries them.
CREATE TABLE talent_pool_withdrawals (
    doc_id       TEXT PRIMARY KEY NOT NULL,
    withdrawn_at BIGINT NOT NULL,
    recorded_by  TEXT NOT NULL,
    commit_seq   BIGINT
);
CREATE INDEX talent_pool_withdrawals_by_commit ON talent_pool_withdrawals (commit_seq);
CREATE TABLE retention_runs (
    id          BIGSERIAL PRIMARY KEY,
    started_at  BIGINT NOT NULL,
    started_by  TEXT NOT NULL,
    -- What is due is decided once, at this time, so a resumed run removes no more.
    as_of       BIGINT NOT NULL,
    finished_at BIGINT,
    removed     BIGINT NOT NULL DEFAULT 0,
    held        BIGINT NOT NULL DEFAULT 0
);
-- At most one run is unfinished, whichever instance started it.
CREATE UNIQUE INDEX retention_runs_one_unfinished ON retention_runs ((finished_at IS NULL))
    WHERE finished_at IS NULL;
CREATE TABLE retention_run_rules (
    run_id   BIGINT NOT NULL REFERENCES retention_runs (id),
    event_id TEXT NOT NULL,
    months   BIGINT NOT NULL,
    decision TEXT NOT NULL,
    PRIMARY KEY (run_id, event_id)
);
