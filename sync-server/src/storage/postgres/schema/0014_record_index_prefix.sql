-- Version 14: the index of leaves by record keyed by the first 8 bytes of the record
-- commitment, not all 32 (as the SQLite store's step 18): each leaf's entry lands at a
-- random place in it, so a smaller entry dirties fewer pages per append. A read checks the
-- whole commitment on the leaf (a collision among 2^64 is filtered there). It holds nothing
-- the leaves do not say, so it stays when a removal erases the record's key.
DROP INDEX IF EXISTS tlog_leaves_by_record;
CREATE INDEX tlog_leaves_by_record_prefix ON tlog_leaves (substring(leaf FROM 3 FOR 8), idx);
