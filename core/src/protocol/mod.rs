//! The sync protocol's messages, as they travel: CBOR, inside signed envelopes.
//!
//! A tablet POSTs one [`SignedEnvelope`] holding a [`SyncRequest`], signed by its device key
//! over `kiosk-push-v1 ‖ payload`; the relay answers with one [`SignedEnvelope`] holding a
//! [`SyncResponse`], signed by the relay key over `kiosk-receipt-v1 ‖ payload`. Each side
//! verifies the exact bytes it received before decoding the payload. `docs/protocol.md`
//! describes every field; the golden vectors in `protocol/tests.rs` pin the bytes.
//!
//! This module is sans-I/O: it encodes, signs, verifies and decodes. Which checks the relay
//! runs on the content, and what the client does with an answer, live with them.

mod codes;
pub mod enrollment;
mod envelope;
mod messages;

pub use codes::ErrorCode;
pub use envelope::{
    ProtocolError, SignedEnvelope, Signer, open_command, open_request, open_response, sign_command,
};
pub use messages::{
    Command, DeviceCommand, JournalState, LOG_FEATURE_EDIT_BEFORE_LOG, LogInclusion,
    MAX_LOG_FEATURE_BYTES, MAX_LOG_FEATURES, MAX_LOG_WITNESS_BYTES, MAX_LOG_WITNESSES, PullCursor,
    PullRequest, PulledDocument, Push, PushBody, PushOutcome, SignedCommand, SyncRequest,
    SyncResponse, witness_key_name,
};

/// The protocol version this build speaks. A relay refuses versions it does not support
/// rather than fall back to an older one. Version 4: the enrollment answer's sealing key in
/// byte strings, and talent-pool withdrawals in the pull. Version 5: the request names the
/// relay signing key the tablet pins, and the relay's key rotation command. The
/// transparency log's fields (`log_size`, `log_key`, `log_checkpoint`, `log_consistency`,
/// `log_inclusions`, `log_features`, `log_cosigned`, `log_cosigned_consistency`,
/// `log_witnesses`, and the enrollment answer's `log_key` and `witness_keys`) are optional CBOR map entries
/// added within version 5: left out when empty, so every earlier version-5 message keeps
/// its bytes and a peer that does not know them ignores them.
pub const PROTOCOL_VERSION: u16 = 5;

/// Domain tag of a tablet's signed request.
pub const PUSH_TAG: &[u8] = b"kiosk-push-v1";
/// Domain tag of the relay's signed response (its receipt).
pub const RECEIPT_TAG: &[u8] = b"kiosk-receipt-v1";
/// Domain tag of a command the relay signs for one device (a wipe).
pub const COMMAND_TAG: &[u8] = b"kiosk-command-v1";

#[cfg(test)]
mod tests;
