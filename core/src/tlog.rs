//! The pure library of the transparency log: everything a tablet needs to verify the log,
//! the relay needs to build it and a witness needs to cosign it, with no I/O and no storage.
//!
//! - [`hash`]: RFC 9162 leaf and node hashing (SHA-256 with the 0x00 / 0x01 prefixes).
//! - [`tree`]: tree heads, inclusion and consistency proofs computed from perfect subtrees a
//!   store serves, their verification (RFC 9162 §2.1.3.2 / §2.1.4.2), the right-edge
//!   [`tree::Frontier`] the relay appends to, and an in-memory [`tree::MemoryTree`].
//!
//! Specifications: RFC 9162 (Certificate Transparency v2, §2.1 Merkle trees), which keeps
//! RFC 6962's hashing and proof shapes.

pub mod hash;
pub mod tree;
