-- Version 2: what relay instances sharing the database must count and decide together.

-- Rate-limit counts (logins, enrollments), one row per key: a scope and a keyed digest of
-- its subject (a username, a client address), never the subject itself. A row's window
-- ends at `window_ends`; an attempt after that starts a new window in the same row, and
-- the relay's periodic prune deletes rows whose window has ended (on `window_ends`), so
-- the table holds at most the keys attempted within one window and one prune interval.
CREATE TABLE failure_counts (
    scope       TEXT NOT NULL,
    subject     BYTEA NOT NULL CHECK (length(subject) = 32),
    window_ends BIGINT NOT NULL,
    failures    BIGINT NOT NULL CHECK (failures >= 0),
    PRIMARY KEY (scope, subject)
);
CREATE INDEX failure_counts_by_window_end ON failure_counts (window_ends);

-- A daily job's run (the signed access-log checkpoint), recorded once per UTC day by the
-- instance that did it: the others skip that day. `done_by` names the instance (host and
-- data directory), `detail` what it made (the checkpoint's file, entries and head).
CREATE TABLE daily_job_runs (
    job     TEXT NOT NULL,
    day     BIGINT NOT NULL,
    done_at BIGINT NOT NULL,
    done_by TEXT NOT NULL,
    detail  TEXT NOT NULL,
    PRIMARY KEY (job, day)
);
