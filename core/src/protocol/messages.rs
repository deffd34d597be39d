//! The request and response a sync carries.

use serde::{Deserialize, Serialize};

use super::codes::ErrorCode;
use crate::journal::JournalHead;

/// A device's journal as one side computed it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct JournalState {
    pub count: u64,
    #[serde(with = "crate::cbor::array")]
    pub head: [u8; 32],
}

impl From<JournalHead> for JournalState {
    fn from(head: JournalHead) -> JournalState {
        JournalState {
            count: head.count,
            head: head.head,
        }
    }
}

impl From<JournalState> for JournalHead {
    fn from(state: JournalState) -> JournalHead {
        JournalHead {
            count: state.count,
            head: state.head,
        }
    }
}

/// What a pushed document is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DocumentKind {
    Registration,
}

/// A pushed document's content.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PushBody {
    /// A kiosk's capture: the document and its capture signature, sealed to the relay.
    Sealed(#[serde(with = "crate::cbor::bytes")] Vec<u8>),
    /// Automerge changes the relay lacks (staff edits).
    Changes(#[serde(with = "crate::cbor::bytes")] Vec<u8>),
}

/// One document in a request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Push {
    pub doc_id: String,
    pub kind: DocumentKind,
    /// For a capture: its entry in the device's journal, so the relay can recompute the
    /// chain from what it received.
    pub journal_seq: Option<u64>,
    pub body: PushBody,
}

/// What a tablet sends, signed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncRequest {
    pub version: u16,
    /// The sending device's Ed25519 public key; must equal the envelope's signer.
    #[serde(with = "crate::cbor::array")]
    pub device_id: [u8; 32],
    /// Strictly increasing per device, persisted before the request is sent.
    pub seq: u64,
    /// The device's clock, recorded and never trusted.
    pub sent_at: i64,
    /// The device's journal as it stands, so the relay can report what it lacks.
    pub journal: JournalState,
    pub pushes: Vec<Push>,
}

/// A document stored, with the change hashes the relay now holds for it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredReceipt {
    pub doc_id: String,
    #[serde(with = "crate::cbor::hashes")]
    pub stored_hashes: Vec<[u8; 32]>,
}

/// An authentic capture kept apart for HR review, not merged.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Quarantined {
    pub doc_id: String,
    pub code: ErrorCode,
    /// The change hashes of the capture the relay keeps, so the tablet can check it is its own.
    #[serde(with = "crate::cbor::hashes")]
    pub stored_hashes: Vec<[u8; 32]>,
}

/// A document refused and not stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rejected {
    pub doc_id: String,
    pub code: ErrorCode,
    pub message: String,
}

/// An instruction bound to one device.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Command {
    /// Erase everything once all of it is receipted and backed up (a revoked tablet).
    Wipe,
}

/// What the relay answers, signed after the durable commit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncResponse {
    pub version: u16,
    #[serde(with = "crate::cbor::array")]
    pub device_id: [u8; 32],
    /// SHA-256 of the request envelope's bytes: the receipt answers exactly that request.
    #[serde(with = "crate::cbor::array")]
    pub request_hash: [u8; 32],
    /// Set when the whole request was refused; the per-document lists are then empty.
    pub refused: Option<ErrorCode>,
    /// With `stale_seq`: the last sequence number accepted, so the tablet can move past it.
    pub last_accepted_seq: Option<u64>,
    pub receipts: Vec<StoredReceipt>,
    pub quarantined: Vec<Quarantined>,
    pub rejected: Vec<Rejected>,
    /// The journal the relay computed from what it holds of this device.
    pub journal_confirmed: JournalState,
    /// Everything stored at or before this relay time is in a backup.
    pub backup_watermark: Option<i64>,
    pub removed: Vec<String>,
    pub commands: Vec<Command>,
}
