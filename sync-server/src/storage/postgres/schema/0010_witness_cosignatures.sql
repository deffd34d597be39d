-- Version 10: witnesses' cosignatures of the transparency log's checkpoints, as the SQLite
-- store's version 14 (see `cosignatures.rs` and `crate::witness::intake`): the newest per
-- witness (its vkey) and tree size, served with the checkpoint they cosign. The number is
-- provisional; the lead renumbers at the merge.
CREATE TABLE tlog_cosignatures (
    witness TEXT NOT NULL,
    size    BIGINT NOT NULL CHECK (size >= 0),
    root    BYTEA NOT NULL CHECK (length(root) = 32),
    time    BIGINT NOT NULL CHECK (time >= 0),
    line    TEXT NOT NULL,
    PRIMARY KEY (witness, size)
);
CREATE INDEX tlog_cosignatures_by_size ON tlog_cosignatures (size);
