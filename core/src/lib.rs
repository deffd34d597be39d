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
//! - [`registration`]: a validated registration (expression of interest) and its consents.
//! - [`validation`]: raw form input → [`registration::Registration`], or field errors in
//!   Swedish and English.
//! - [`documents`]: registrations and events as Automerge documents, actor ids from keys.
//! - [`demo`]: the demo event; [`generator`]: realistic test registrations.

pub mod demo;
pub mod documents;
pub mod error;
pub mod event;
pub mod form;
pub mod generator;
pub mod ids;
pub mod language;
pub mod registration;
pub mod validation;

pub use error::{Error, Result};
