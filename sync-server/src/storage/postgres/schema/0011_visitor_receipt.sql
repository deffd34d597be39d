-- Version 11: the visitor's receipt, as the SQLite store's version 15 (see
-- `crate::visitor_receipt`). A registration's receipt tag is a keyed hash of the receipt's
-- hash (NULL for captures from before receipts and for receipts HR withdrew); `receipt_key`
-- records which key the tags were made under; `visitor_requests` holds what visitors ask
-- for from their receipt page, and goes with its record at removal; a correction's text is
-- personal data, sealed under the record's key as the other personal fields are (see
-- `record_keys`), so destroying the key at removal erases it too.
ALTER TABLE registrations ADD COLUMN receipt_tag BYTEA;
CREATE UNIQUE INDEX registrations_by_receipt_tag ON registrations (receipt_tag);
CREATE TABLE receipt_key (
    id          INTEGER PRIMARY KEY CHECK (id = 1),
    fingerprint BYTEA NOT NULL
);
CREATE TABLE visitor_requests (
    id         BIGSERIAL PRIMARY KEY,
    doc_id     TEXT NOT NULL,
    kind       TEXT NOT NULL CHECK (kind IN ('subject_access', 'correction')),
    at         BIGINT NOT NULL,
    text       BYTEA,
    handled_at BIGINT,
    handled_by TEXT
);
CREATE INDEX visitor_requests_open ON visitor_requests (at) WHERE handled_at IS NULL;
CREATE INDEX visitor_requests_by_doc ON visitor_requests (doc_id);
-- Receipts HR withdrew: a capture sent again stores no tag.
CREATE TABLE receipt_withdrawals (
    doc_id TEXT PRIMARY KEY NOT NULL,
    at     BIGINT NOT NULL,
    by     TEXT NOT NULL
);
