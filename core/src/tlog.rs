//! The pure library of the transparency log: everything a tablet needs to verify the log,
//! the relay needs to build it and a witness needs to cosign it, with no I/O and no storage.
//!
//! - [`hash`]: RFC 9162 leaf and node hashing (SHA-256 with the 0x00 / 0x01 prefixes).
//! - [`tree`]: tree heads, inclusion and consistency proofs computed from perfect subtrees a
//!   store serves, their verification (RFC 9162 §2.1.3.2 / §2.1.4.2), the right-edge
//!   [`tree::Frontier`] the relay appends to, and an in-memory [`tree::MemoryTree`].
//! - [`leaf`]: the leaf layout, and the record commitment and change subject every party
//!   recomputes from a record's nonce.
//! - [`checkpoint`]: the signed tree head's text (C2SP tlog-checkpoint).
//! - [`note`]: Ed25519 signed notes and verifier keys (C2SP signed-note).
//! - [`cosignature`]: witnesses' timestamped cosignatures (C2SP tlog-cosignature v1).
//! - [`client`]: what every client decides alike: opening a checkpoint with the pinned log
//!   key, and whether a newer checkpoint extends the held one (or shows a fork).
//!
//! Specifications: RFC 9162 (Certificate Transparency v2, §2.1 Merkle trees), which keeps
//! RFC 6962's hashing and proof shapes; <https://c2sp.org/tlog-checkpoint>,
//! <https://c2sp.org/signed-note>, <https://c2sp.org/tlog-cosignature>.
//!
//! Every decoder here reads bytes from the network, so each refuses oversized input before
//! parsing it and malformed input before verifying any signature or hashing any proof.

pub mod checkpoint;
pub mod client;
pub mod cosignature;
pub mod hash;
pub mod leaf;
pub mod note;
pub mod tree;

#[cfg(test)]
mod properties;
