-- Version 15, as the SQLite store's version 19. Each tablet's copies kept apart under an id
-- say which rule their nonce follows (`NonceRule`: `record`, the record's nonce from its key;
-- `copy`, one of that tablet's copies only), written when their leaves are appended, so they
-- are proven under that nonce whatever is stored under the id later (NULL: not logged yet).
-- Rows held before are given theirs from the log by the step's Rust part
-- (`super::tlog::rule_existing_copies`), which also marks logged the copies whose leaves the
-- log holds (version 13 marked every row not logged, so they were logged again).
ALTER TABLE quarantine ADD COLUMN nonce_rule TEXT CHECK (nonce_rule IN ('record', 'copy'));
-- Every certificate a tablet was issued is kept (the newest 16, `keep_certificate`), so the
-- provenance bundle names the one valid when a capture was accepted, not a later
-- enrollment's.
ALTER TABLE device_certificates DROP CONSTRAINT device_certificates_pkey;
ALTER TABLE device_certificates ADD PRIMARY KEY (device_key, issued_at);
-- The tablet whose copies' nonce a record's own follows when it is not the one its key gives
-- (`tlog::record_nonce_of`): a record stored from a copy kept apart under the `copy` rule,
-- or from a tablet whose id another tablet's copies hold the key's nonce of (NULL: the
-- key's). So no tablet learns the nonce of another tablet's record.
ALTER TABLE registrations ADD COLUMN nonce_device BYTEA;
-- The issue time of the certificate the sending tablet held (its device row's `certified_at`
-- read at ingest), so the bundle finds that certificate by it rather than by comparing times
-- of two clocks (NULL: stored before this version).
ALTER TABLE registrations ADD COLUMN certified_at BIGINT;
ALTER TABLE quarantine ADD COLUMN certified_at BIGINT;
