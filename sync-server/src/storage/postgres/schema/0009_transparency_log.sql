-- Version 9: the transparency log, as the SQLite store's version 13 (see `tlog.rs` and
-- `crate::transparency`): leaves by index, the perfect subtrees appends completed, and the
-- one-row head whose lock orders appends across instances. Leaves and subtrees are never
-- updated or deleted. A record's nonce is derived from its key (`record_keys`), so it has
-- no column. The records held before the log get `accepted-before-log` leaves in this
-- step's Rust part.
CREATE TABLE tlog_leaves (
    idx  BIGINT PRIMARY KEY CHECK (idx >= 0),
    leaf BYTEA NOT NULL
);
-- A record's leaves by their record commitment (sync answers, provenance bundles): it holds
-- nothing the leaves do not say, so it stays when a removal erases the record's key.
CREATE INDEX tlog_leaves_by_record ON tlog_leaves (substring(leaf FROM 3 FOR 32), idx);
CREATE TABLE tlog_nodes (
    level SMALLINT NOT NULL CHECK (level BETWEEN 0 AND 63),
    idx   BIGINT NOT NULL CHECK (idx >= 0),
    hash  BYTEA NOT NULL CHECK (length(hash) = 32),
    PRIMARY KEY (level, idx)
);
CREATE TABLE tlog_head (
    id       INTEGER PRIMARY KEY CHECK (id = 1),
    size     BIGINT NOT NULL CHECK (size >= 0),
    frontier BYTEA NOT NULL
);
INSERT INTO tlog_head (id, size, frontier) VALUES (1, 0, '\x');
CREATE FUNCTION tlog_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the transparency log is append-only';
END
$$;
CREATE TRIGGER tlog_leaves_append_only BEFORE UPDATE OR DELETE ON tlog_leaves
    FOR EACH ROW EXECUTE FUNCTION tlog_append_only();
CREATE TRIGGER tlog_nodes_append_only BEFORE UPDATE OR DELETE ON tlog_nodes
    FOR EACH ROW EXECUTE FUNCTION tlog_append_only();
CREATE TRIGGER tlog_head_kept BEFORE DELETE ON tlog_head
    FOR EACH ROW EXECUTE FUNCTION tlog_append_only();
