-- Version 2: crypto-shredding (see `record_keys.rs`). Every personal field of a record is
-- sealed under a random key of that record alone, held here; a removal deletes the key
-- with the record, so whatever of the record's sealed bytes is left (dead tuples, free
-- space, WAL, replicas, backups) cannot be opened from the live database any more.
CREATE TABLE record_keys (
    doc_id TEXT PRIMARY KEY NOT NULL,
    key    BYTEA NOT NULL CHECK (length(key) = 32)
);

-- The list index's names and search text become sealed bytes. Here they become the bytes
-- of their text; the step's Rust part, in the same transaction, seals them (and the
-- documents, changes and quarantined payloads stored before) under new record keys. The
-- covering indexes keep `search` (sealed now): a searched list reads its candidates' sealed
-- text and key from the index, in list order.
ALTER TABLE registration_index
    ALTER COLUMN given_name TYPE BYTEA USING convert_to(given_name, 'UTF8'),
    ALTER COLUMN family_name TYPE BYTEA USING convert_to(family_name, 'UTF8'),
    ALTER COLUMN search TYPE BYTEA USING convert_to(search, 'UTF8');

-- ANALYZE keeps sample values of a column in `pg_statistic` (most common values, histogram
-- bounds), which would keep copies of keys past their removal: none are sampled.
ALTER TABLE record_keys ALTER COLUMN key SET STATISTICS 0;
