//! Witnesses' cosignatures of the log's checkpoints as the store keeps them (see
//! [`crate::witness::intake`]): one row per witness and tree size, the newest kept.

/// One witness's cosignature of the checkpoint of `size` leaves with `root`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredCosignature {
    /// The witness's verifier key (vkey text) as the relay's configuration names it.
    pub witness: String,
    pub size: u64,
    pub root: [u8; 32],
    /// When the witness cosigned (POSIX seconds, from the cosignature itself).
    pub time: u64,
    /// The signature line verbatim (`— <name> <base64>`), without its newline.
    pub line: String,
}
