-- Version 7: keyed blind indexes of a registration's email and phone, as the SQLite store's
-- version 11 (see `crate::rules::blind_index`). `blind_index` holds truncated duplicate-index
-- values per record and `blind_indexed` the records the background pass has indexed; both
-- go with their record at removal. `do_not_contact` holds full-length values with the legal
-- basis they were added on and when they are kept until: its own retention.
CREATE TABLE blind_index (
    doc_id TEXT NOT NULL,
    field  TEXT NOT NULL,
    value  BYTEA NOT NULL,
    PRIMARY KEY (doc_id, field)
);
CREATE INDEX blind_index_by_value ON blind_index (field, value);
CREATE TABLE blind_indexed (
    doc_id     TEXT PRIMARY KEY,
    indexed_at BIGINT NOT NULL
);
CREATE TABLE do_not_contact (
    field      TEXT NOT NULL,
    value      BYTEA NOT NULL,
    basis      TEXT NOT NULL,
    added_at   BIGINT NOT NULL,
    keep_until BIGINT NOT NULL,
    PRIMARY KEY (field, value)
);
CREATE INDEX do_not_contact_by_keep_until ON do_not_contact (keep_until);
-- Which index key the rows were written under (a keyed hash of it, naming nothing): an
-- instance started with another key is refused instead of missing every match.
CREATE TABLE blind_index_key (
    id          INTEGER PRIMARY KEY CHECK (id = 1),
    fingerprint BYTEA NOT NULL
);
