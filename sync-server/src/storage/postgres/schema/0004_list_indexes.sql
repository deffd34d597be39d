-- Version 4: two list indexes.
--
-- A whole email address found by its tag (see `email_tags.rs`). The tag is an HMAC of the
-- lower-case address under a secret derived from the relay's signing key, which the relay
-- instances hold and the database does not: the column names no address, and
-- what is left of a removed record's tag (dead tuples, WAL) cannot be tried against a
-- guessed address with anything the database holds.
--
-- NULL: not tagged yet (a row written before this version, or by a process without the
-- relay's keys); the relay's instances tag those rows. An empty tag: the registration gives
-- no address. One zero byte: its record could not be read to tag it (tags are then not
-- used until it is gone).
ALTER TABLE registration_index ADD COLUMN email_tag BYTEA;

-- An address's rows in list order, and the rows that keep tags from being used.
CREATE INDEX registration_index_by_email_tag ON registration_index
    (email_tag, captured_at DESC, doc_id DESC) WHERE email_tag IS NOT NULL;
CREATE INDEX registration_index_untagged ON registration_index (doc_id)
    WHERE email_tag IS NULL OR email_tag = '\x00'::BYTEA;

-- A status's rows in list order (as the SQLite store's version 8): "shortlisted" or
-- "hired" are a few rows among 100,000, which the time index would walk past by the
-- thousand. Covering the other conditions a status list most often carries.
CREATE INDEX registration_index_list_by_status ON registration_index
    (status, captured_at DESC, doc_id DESC, event_id, restricted, talent_pool, interests,
     locations, search);
