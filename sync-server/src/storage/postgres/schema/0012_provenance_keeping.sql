-- Version 12: provenance the relay could not show before, as the SQLite store's version 16.
-- `tlog_key` records which log key and origin the transparency log is signed under (a relay
-- instance started with another is refused, see
-- `crate::transparency::checkpoint::load_for_store`); `device_certificates` keeps each
-- tablet's certificate envelope exactly as its enrollment answer carried it (the provenance
-- bundle hands out the original).
CREATE TABLE tlog_key (
    id         INTEGER PRIMARY KEY CHECK (id = 1),
    public_key BYTEA NOT NULL CHECK (length(public_key) = 32),
    origin     TEXT NOT NULL
);
CREATE TABLE device_certificates (
    device_key BYTEA PRIMARY KEY CHECK (length(device_key) = 32),
    issued_at  BIGINT NOT NULL,
    envelope   BYTEA NOT NULL
);
