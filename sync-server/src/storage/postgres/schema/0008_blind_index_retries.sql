-- Version 8: a record the blind-index pass could not index (its document did not read) is
-- tried again later, a bounded number of times, as in the SQLite store's version 12.
-- `attempts`: failed attempts so far (0: indexed); `retry_at`: when it is next due (NULL
-- with attempts > 0: given up until the relay starts again).
ALTER TABLE blind_indexed ADD COLUMN attempts INTEGER NOT NULL DEFAULT 0;
ALTER TABLE blind_indexed ADD COLUMN retry_at BIGINT;
CREATE INDEX blind_indexed_retry ON blind_indexed (retry_at) WHERE retry_at IS NOT NULL;
