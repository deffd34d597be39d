-- Version 6: the relay signing key each tablet named in its last sync, so retiring the
-- previous keys of a key rotation knows how many active tablets have not adopted the new
-- ones. NULL: not known (no sync since this version); such a tablet counts as not adopted.
ALTER TABLE devices ADD COLUMN relay_key BYTEA;
