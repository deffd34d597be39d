//! The core's error type.

use crate::event::EventError;
use crate::validation::ValidationErrors;

/// Everything that can go wrong in the core. Messages never contain personal data.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("invalid registration: {0}")]
    Invalid(#[from] ValidationErrors),
    #[error("event: {0}")]
    Event(#[from] EventError),
    #[error("document could not be read or written: {0}")]
    Automerge(#[from] automerge::AutomergeError),
    #[error("document does not have the expected shape: {0}")]
    Hydrate(#[from] autosurgeon::HydrateError),
    #[error("document could not be updated: {0}")]
    Reconcile(#[from] autosurgeon::ReconcileError),
    #[error("document has no changes")]
    EmptyDocument,
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
