//! The relay's transparency log: an append-only Merkle log (RFC 9162 hashing, the tree
//! itself from [`kiosk_core::tlog`]) of everything the relay accepted and removed. This
//! module owns what a leaf says ([`leaf`]), how a transaction's appends extend the stored
//! tree ([`append`]), proofs served from the store ([`source`]), the log key and signed
//! checkpoints ([`checkpoint`]) and the whole-log check ([`verify`]). The backends store
//! the rows (`storage::sqlite::tlog`, `storage::postgres::tlog`), each append in the
//! transaction of what it records. `docs/provenance.md` documents the leaves.

pub mod append;
pub mod checkpoint;
pub mod leaf;
pub mod routes;
pub mod source;
pub mod verify;
