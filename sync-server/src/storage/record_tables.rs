//! Which tables hold a copy of a registration: the same names in every backend's schema,
//! each with the record's `doc_id`. Removal (by HR, by a retention run, by a restore's
//! replay) erases the record from every one of them, so a table added here is erased by
//! every backend and no copy is missed.

/// The tables holding a copy of a record, in the order removal erases them.
pub(crate) const RECORD_TABLES: [&str; 9] = [
    "registration_changes",
    "registrations",
    // Copies kept for review (a retry from a revoked tablet, say) go too.
    "quarantine",
    // The list index copies names, email and phone: it must not outlive the record.
    "registration_index",
    "talent_pool_withdrawals",
    // Keyed hashes of its email and phone are personal data too; the do-not-contact list
    // is not a copy of a record and keeps its own retention.
    "blind_index",
    "blind_indexed",
    // A visitor's requests from their receipt page: a correction's text is personal data.
    "visitor_requests",
    "receipt_withdrawals",
];
