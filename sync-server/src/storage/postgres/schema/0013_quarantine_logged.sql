-- Version 13: whether a quarantined copy's changes have their `quarantined` leaves, as the
-- SQLite store's `quarantine.tlog_nonce` tells. A copy stored from here on is written with
-- its leaves (true); one kept apart before the relay wrote these leaves stays false until
-- its tablet sends it again, when its leaves are written once (`super::ingest::quarantine`).
ALTER TABLE quarantine ADD COLUMN logged BOOLEAN NOT NULL DEFAULT false;
