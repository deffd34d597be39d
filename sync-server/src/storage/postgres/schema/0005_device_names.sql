-- Version 5: tablets get the name HR chooses ("Kiosk 1, Göteborg"), as the SQLite store's
-- version 9: given with the enrollment code, copied to the tablets it enrolls, editable
-- later. NULL: no name (the key's fingerprint names the tablet, as before).
ALTER TABLE enrollment_codes ADD COLUMN name TEXT;
ALTER TABLE devices ADD COLUMN name TEXT;
