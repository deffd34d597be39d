//! The transparency log as the store speaks of it: its committed tip and the log key it is
//! bound to. Leaves, their format
//! and the tree's rules are [`crate::transparency`]'s.

/// The log as committed: how many leaves, and the root over them (RFC 9162 MTH).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LogTip {
    pub size: u64,
    pub root: [u8; 32],
}

/// The most leaves or subtree hashes one read returns.
pub const LOG_READ_LIMIT: usize = 10_000;

/// The log key a log is signed under, as the store records it: its public half and the
/// origin it signs for. Public values both; a relay started with another is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogKeyBinding {
    pub public_key: [u8; 32],
    pub origin: String,
}
