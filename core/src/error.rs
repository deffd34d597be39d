//! The core's error type.

use crate::capture::SealError;
use crate::event::EventError;
use crate::identity::WrongDataKey;
use crate::journal::ChainError;
use crate::secrets::SecretStoreError;
use crate::staff::PinError;
use crate::store::StoreError;
use crate::validation::ValidationErrors;

/// Everything that can go wrong in the core. Messages never contain personal data.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("invalid registration: {0}")]
    Invalid(#[from] ValidationErrors),
    #[error("event: {0}")]
    Event(#[from] EventError),
    // Boxed: these three are large, and would make every `Result` in the core large.
    #[error("document could not be read or written: {0}")]
    Automerge(Box<automerge::AutomergeError>),
    #[error("document does not have the expected shape: {0}")]
    Hydrate(Box<autosurgeon::HydrateError>),
    #[error("document could not be updated: {0}")]
    Reconcile(Box<autosurgeon::ReconcileError>),
    #[error("document has no changes")]
    EmptyDocument,
    /// The Automerge library panicked reading the bytes (a bug of its own, found by
    /// fuzzing); the bytes are refused like any other unreadable document.
    #[error("the document bytes could not be read")]
    UnreadableDocument,
    /// Bytes from elsewhere refused before Automerge read them (see
    /// [`crate::documents::bounds`]).
    #[error("document bytes refused: {0}")]
    OutOfBounds(#[from] crate::documents::BoundError),
    #[error("device store: {0}")]
    Store(#[from] StoreError),
    #[error("{0}")]
    SecretStore(#[from] SecretStoreError),
    #[error("the data key from the secret store does not open this device store")]
    WrongDataKey,
    #[error("the secret store has no data key for this existing device store")]
    DataKeyMissing,
    #[error("seal: {0}")]
    Seal(#[from] SealError),
    #[error("journal: {0}")]
    Journal(#[from] ChainError),
    #[error("no relay key is pinned: enroll the tablet before capturing")]
    NoRelayKey,
    #[error("no event is installed on this tablet")]
    NoEvent,
    #[error("staff PIN: {0}")]
    Pin(#[from] PinError),
    #[error("the visitor session has expired; start a new one")]
    SessionExpired,
    #[error("a thread panicked while holding the device; reopen it")]
    Poisoned,
    #[error("{0}")]
    Transport(#[from] crate::sync::TransportError),
    #[error("the relay's answer was not accepted: {0}")]
    Protocol(#[from] crate::protocol::ProtocolError),
    #[error("enrollment: {0}")]
    Enrollment(#[from] crate::protocol::enrollment::EnrollAnswerError),
    #[error("the relay refused the request: {}", .code.as_str())]
    RelayRefused { code: crate::protocol::ErrorCode },
    #[error("the tablet is not enrolled with a relay")]
    NotEnrolled,
    #[error("this tablet was wiped on the relay's command; enroll it again to use it")]
    Wiped,
    #[error("the relay has not ordered this tablet wiped")]
    NoWipeOrder,
    #[error("{0}")]
    Annotation(#[from] crate::annotations::AnnotationError),
    #[error("only a staff tablet holds registrations to annotate")]
    NotStaff,
    #[error("this tablet holds no registration {doc_id}")]
    UnknownRegistration { doc_id: String },
    #[error("the enrollment is for another {0} than this tablet's")]
    EnrollmentMismatch(&'static str),
    #[error("the sync was cancelled; what earlier answers brought is kept")]
    Cancelled,
    /// Not an `https://` or `http://` address a visitor's phone could open.
    #[error("the relay address is not a usable http(s) address")]
    InvalidRelayAddress,
    /// The relay showed a transparency log that contradicts the one this tablet saw before
    /// (`code` says how); the evidence is kept and the tablet syncs no more.
    #[error(
        "the relay's log contradicts the history this tablet saw before ({code}): syncing \
         is stopped and the evidence kept; do not hand the tablet out, contact IT/security"
    )]
    LogFork { code: String },
    /// The tablet pins a log key and the answer carries no checkpoint: it proves nothing.
    #[error("the relay's answer carries no log checkpoint; nothing in it was applied")]
    LogMissing,
    /// The stored checkpoint changed while this sync checked an answer against it.
    #[error("the tablet's log checkpoint changed during the sync; sync again")]
    LogChanged,
    /// The relay shows a log that went back from `from` to `to` entries (restored from a
    /// backup, or lying), and the witnesses this tablet requires have not cosigned the
    /// restored log since: nothing of the answer was applied; tried again later.
    #[error(
        "the relay was restored from a backup (its log went back from {from} to {to} \
         entries) and the required witnesses have not confirmed it; nothing was applied"
    )]
    LogRestoreUnconfirmed { from: u64, to: u64 },
    /// The witness keys given to require are not usable (`reason` says which and why).
    #[error("witness keys refused: {reason}")]
    BadWitnessKeys { reason: WitnessKeysRefused },
}

/// Why witness keys to require were refused, said in both languages by
/// [`crate::user_messages`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WitnessKeysRefused {
    /// No key was given.
    None,
    /// More keys than a tablet requires were given.
    TooMany { given: usize, most: usize },
    /// Key `position` (from 1) is not a C2SP tlog-cosignature verifier key.
    NotAWitnessKey { position: usize },
}

impl std::fmt::Display for WitnessKeysRefused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            WitnessKeysRefused::None => write!(f, "no witness key given"),
            WitnessKeysRefused::TooMany { given, most } => {
                write!(f, "{given} keys given, at most {most} are required")
            }
            WitnessKeysRefused::NotAWitnessKey { position } => {
                write!(f, "key {position} is not a witness verifier key")
            }
        }
    }
}

impl From<automerge::AutomergeError> for Error {
    fn from(error: automerge::AutomergeError) -> Error {
        Error::Automerge(Box::new(error))
    }
}

impl From<autosurgeon::HydrateError> for Error {
    fn from(error: autosurgeon::HydrateError) -> Error {
        Error::Hydrate(Box::new(error))
    }
}

impl From<autosurgeon::ReconcileError> for Error {
    fn from(error: autosurgeon::ReconcileError) -> Error {
        Error::Reconcile(Box::new(error))
    }
}

impl From<WrongDataKey> for Error {
    fn from(_: WrongDataKey) -> Error {
        Error::WrongDataKey
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
