//! The shared core of Kiosk, the offline-first recruiting kiosk.
//!
//! This crate owns the domain model and its validation, the Automerge documents (one per
//! registration, one per event), and, in later modules, the device store, keys, sealing and
//! the sync client. It knows nothing of uniffi, HTTP frameworks or UI: the `ffi` crate and the
//! relay (`sync-server`) build on it.
//!
//! Module map:
//! - [`language`]: the visitor's language and bilingual texts.
//! - [`ids`]: identifiers and timestamps.
//! - [`form`]: an event's form definition and its content-addressed version.
//! - [`event`]: events, publishing form versions.
//! - [`registration`]: a validated registration (expression of interest) and its consents;
//!   [`annotations`]: the notes, ratings and status recruiters and HR add to it.
//! - [`validation`]: raw form input → [`registration::Registration`], or field errors in
//!   Swedish and English.
//! - [`documents`]: registrations and events as Automerge documents, actor ids from keys.
//! - [`demo`]: the demo event; [`generator`]: realistic test registrations.
//! - [`secrets`]: the platform secret store holding the data key; [`secret_check`]: Argon2id
//!   and constant-time comparison for PINs, passwords and tags; [`identity`]: the device's
//!   Ed25519 key, encrypted at rest.
//! - [`capture`]: capture signatures, sealing to the relay, receipt codes.
//! - [`journal`]: the hash-chained capture journal.
//! - [`store`]: the device's SQLite store; [`device`]: a tablet's device.
//! - [`visitor`]: the visitor-facing session; [`staff`]: the staff PIN and staff session;
//!   [`staff_records`]: a staff tablet's pulled registrations and its edits of them;
//!   [`staff_unlock`]: reopening a locked-out staff PIN with a relay-signed unlock.
//! - [`tlog`]: the transparency log's pure library (Merkle tree, proofs, checkpoints, signed
//!   notes, cosignatures) the relay, tablets and witnesses share.
//! - [`user_messages`]: what a shell shows for an error, in Swedish and English.

pub mod annotations;
pub mod capture;
pub mod cbor;
pub mod cosigned_checkpoint;
pub mod demo;
pub mod device;
pub mod documents;
pub mod error;
pub mod event;
pub mod form;
pub mod generator;
pub mod identity;
pub mod ids;
pub mod journal;
pub mod key_rotation;
pub mod language;
pub mod protocol;
pub mod receipt;
pub mod registration;
pub mod secret_check;
pub mod secrets;
pub mod staff;
pub mod staff_records;
pub mod staff_unlock;
pub mod store;
pub mod sync;
pub mod tlog;
pub mod user_messages;
pub mod validation;
pub mod visitor;

pub use error::{Error, Result};
