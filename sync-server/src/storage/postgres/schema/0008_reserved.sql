-- Version 8: reserved for the receipts branch (s22/receipt-relay), which takes this number;
-- the lead renumbers at the merge. Nothing here.
SELECT 1;
