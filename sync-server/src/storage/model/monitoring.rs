//! What the relay's metrics read from the store, in one cheap call.

/// Figures for monitoring; every one is read by an index or a table's header, never a scan
/// of records.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MonitoringFigures {
    /// Bytes the store takes (SQLite: the database file's pages; PostgreSQL: the database).
    pub store_bytes: Option<u64>,
    /// Entries the access log holds (from the first kept to the newest).
    pub access_log_entries: u64,
    /// Tablets not revoked, silent since the time asked about, that declared more captures
    /// than the relay holds from them.
    pub silent_with_unsent: u64,
}
