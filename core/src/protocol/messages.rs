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

/// A pushed document's content; it also says what the document is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PushBody {
    /// A kiosk's capture of a new registration: its change and capture signature, sealed
    /// to the relay.
    Sealed(#[serde(with = "crate::cbor::bytes")] Vec<u8>),
    /// Automerge changes the relay lacks (staff edits).
    Changes(#[serde(with = "crate::cbor::bytes")] Vec<u8>),
}

/// One document in a request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Push {
    pub doc_id: String,
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
    /// What the tablet asks to receive in the answer.
    pub pull: PullRequest,
    /// The relay signing key the tablet verifies answers with (the one it pinned): during a
    /// key rotation the relay signs its answer with this key while it still holds it, and
    /// learns which tablets have adopted the new keys.
    #[serde(with = "crate::cbor::array")]
    pub relay_key: [u8; 32],
    /// The size of the transparency log's checkpoint the tablet holds (0 before its first):
    /// the relay answers with a consistency proof from it. Left out when 0, so a tablet
    /// with no log yet sends the bytes it always sent.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub log_size: u64,
    /// What of the log this tablet's check takes beyond what every tablet takes (see
    /// [`LOG_FEATURE_EDIT_BEFORE_LOG`]): the relay sends only what the tablet can check, as
    /// a leaf it cannot take would be a fork to it. Left out when empty. Decoding refuses
    /// more than [`MAX_LOG_FEATURES`] names or a name longer than
    /// [`MAX_LOG_FEATURE_BYTES`] as it reads them, before the list is built; a relay
    /// ignores names it does not know.
    #[serde(
        default,
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "bounded_log_features"
    )]
    pub log_features: Vec<String>,
    /// The witnesses this tablet requires, each as its key name and key ID
    /// (`<name>+<8 hex digits>`, a C2SP vkey's first two fields; see [`witness_key_name`]):
    /// the relay answers with the largest tree every one of them cosigned, not every one it
    /// takes cosignatures from (one of those stalling would leave this tablet waiting).
    /// Left out when empty (no witness required, or a tablet before it: the relay then names
    /// the tree all of its witnesses cosigned). Decoding refuses more than
    /// [`MAX_LOG_WITNESSES`] entries or one longer than [`MAX_LOG_WITNESS_BYTES`] as it reads
    /// them; a relay ignores a name it does not know.
    #[serde(
        default,
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "bounded_log_witnesses"
    )]
    pub log_witnesses: Vec<String>,
}

/// The most witnesses one request may name: as many as a tablet may require.
pub const MAX_LOG_WITNESSES: usize = 16;

/// The longest witness one request may name, in bytes: a key name of the longest a signed
/// note allows, `+` and 8 hex digits.
pub const MAX_LOG_WITNESS_BYTES: usize = crate::tlog::note::MAX_KEY_NAME_LEN + 9;

/// How a sync request names a witness: its key name and key ID as a vkey spells them,
/// `<name>+<8 lower-case hex digits>`, without the key (the relay knows its witnesses' keys,
/// and the tablet checks every cosignature with its own pinned ones).
pub fn witness_key_name(name: &str, key_id: [u8; 4]) -> String {
    format!("{name}+{}", hex::encode(key_id))
}

/// The tablet takes an `accepted-before-log` leaf (kind 7) as proof of a staff edit's
/// change (one held before the relay's log existed); tablets before it take only
/// `staff-edit` leaves for edits, and any other is a fork to them.
pub const LOG_FEATURE_EDIT_BEFORE_LOG: &str = "edit-before-log";

/// The most log features one request may name.
pub const MAX_LOG_FEATURES: usize = 16;

/// The longest log feature name one request may carry, in bytes.
pub const MAX_LOG_FEATURE_BYTES: usize = 64;

/// Decodes `log_features`, refusing a list past [`MAX_LOG_FEATURES`] names or a name past
/// [`MAX_LOG_FEATURE_BYTES`] while reading it: serde's own `Vec<String>` would build a list
/// of any length (within the body's size) before anything could bound it.
fn bounded_log_features<'de, D>(deserializer: D) -> Result<Vec<String>, D::Error>
where
    D: serde::Deserializer<'de>,
{
    bounded_names(
        deserializer,
        "log_features",
        MAX_LOG_FEATURES,
        MAX_LOG_FEATURE_BYTES,
    )
}

/// Decodes `log_witnesses`, bounded as [`bounded_log_features`] bounds its list.
fn bounded_log_witnesses<'de, D>(deserializer: D) -> Result<Vec<String>, D::Error>
where
    D: serde::Deserializer<'de>,
{
    bounded_names(
        deserializer,
        "log_witnesses",
        MAX_LOG_WITNESSES,
        MAX_LOG_WITNESS_BYTES,
    )
}

/// Decodes a list of at most `most` texts of at most `longest` bytes each, refusing the
/// first past either bound as it reads it (the error names `field`).
fn bounded_names<'de, D>(
    deserializer: D,
    field: &'static str,
    most: usize,
    longest: usize,
) -> Result<Vec<String>, D::Error>
where
    D: serde::Deserializer<'de>,
{
    use serde::de::{DeserializeSeed, Error, SeqAccess, Visitor};
    use std::fmt;

    /// One name, refused past `longest` bytes before it is copied.
    #[derive(Clone, Copy)]
    struct Name {
        field: &'static str,
        longest: usize,
    }

    impl<'de> DeserializeSeed<'de> for Name {
        type Value = String;
        fn deserialize<D: serde::Deserializer<'de>>(
            self,
            deserializer: D,
        ) -> Result<String, D::Error> {
            deserializer.deserialize_str(self)
        }
    }

    impl Visitor<'_> for Name {
        type Value = String;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            write!(f, "a name of at most {} bytes", self.longest)
        }
        fn visit_str<E: Error>(self, name: &str) -> Result<String, E> {
            if name.len() > self.longest {
                return Err(E::custom(format_args!(
                    "{}: a name longer than {} bytes",
                    self.field, self.longest
                )));
            }
            Ok(name.to_owned())
        }
    }

    struct Names {
        name: Name,
        most: usize,
    }

    impl<'de> Visitor<'de> for Names {
        type Value = Vec<String>;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            write!(f, "at most {} names", self.most)
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Vec<String>, A::Error> {
            let mut names = Vec::new();
            while let Some(name) = seq.next_element_seed(self.name)? {
                if names.len() == self.most {
                    return Err(A::Error::custom(format_args!(
                        "{}: more than {} names",
                        self.name.field, self.most
                    )));
                }
                names.push(name);
            }
            Ok(names)
        }
    }

    deserializer.deserialize_seq(Names {
        name: Name { field, longest },
        most,
    })
}

fn is_zero(value: &u64) -> bool {
    *value == 0
}

/// What a tablet asks for: its event document, always; on a staff tablet also the event's
/// registrations changed since its cursor; and which of its documents were removed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PullRequest {
    /// The event the tablet serves; must be the one its certificate names.
    pub event_id: String,
    /// Heads of the relay's event document as the tablet last received it (empty before
    /// the first pull): the relay sends only changes past them.
    #[serde(with = "crate::cbor::hashes")]
    pub event_heads: Vec<[u8; 32]>,
    /// Staff tablets: also send the event's registrations (never restricted ones).
    pub registrations: bool,
    /// The cursor of the last answer, as the relay wrote it; `None` for a first pull.
    pub cursor: Option<PullCursor>,
}

/// Where a tablet's pull stands, as the relay wrote and authenticated it: opaque to the
/// tablet, which sends it back unchanged. A cursor changed on the way is refused.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PullCursor(#[serde(with = "crate::cbor::bytes")] pub Vec<u8>);

/// A registration's Automerge changes a staff tablet lacks, as change chunks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PulledDocument {
    pub doc_id: String,
    /// Relay time the registration was received (a standing desk's copies expire from it).
    pub received_at: i64,
    #[serde(with = "crate::cbor::bytes")]
    pub changes: Vec<u8>,
}

/// What became of one push: the response lists one per push, in the request's order, so
/// a receipt names its document by position in the very request it answers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PushOutcome {
    /// Stored and merged; every change hash the relay now holds for the document.
    Stored(#[serde(with = "crate::cbor::hashes")] Vec<[u8; 32]>),
    /// An authentic capture kept apart for HR review, not merged, with the change hashes of
    /// the capture kept, so the tablet can check it is its own.
    Quarantined(
        ErrorCode,
        #[serde(with = "crate::cbor::hashes")] Vec<[u8; 32]>,
    ),
    /// Refused and not stored, with a message for people.
    Rejected(ErrorCode, String),
}

impl PushOutcome {
    /// The refusal or quarantine code, if any.
    pub fn code(&self) -> Option<ErrorCode> {
        match self {
            PushOutcome::Stored(_) => None,
            PushOutcome::Quarantined(code, _) | PushOutcome::Rejected(code, _) => Some(*code),
        }
    }
}

/// An instruction bound to one device.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Command {
    /// Erase everything once all of it is receipted (a revoked tablet).
    Wipe,
    /// Reopen staff mode locked out after wrong PINs, letting the recruiter choose a new
    /// PIN. `counter` is the relay's count of unlocks for this device: a tablet takes each
    /// number once and never an older one, so a used code cannot be replayed.
    UnlockStaffPin { counter: u64 },
    /// The relay rotates its keys: from now on verify its answers and commands with
    /// `signing_key` and seal new captures to `sealing_key`. Signed by the key the tablet
    /// pins, so only the relay it enrolled with can move it to other keys.
    AdoptRelayKeys {
        #[serde(with = "crate::cbor::array")]
        signing_key: [u8; 32],
        sealing_key: crate::capture::RelaySealingKey,
    },
}

/// A command as the relay signs it (tag `kiosk-command-v1`): bound to one device, so a
/// tablet can keep it and check it again before it acts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeviceCommand {
    pub version: u16,
    #[serde(with = "crate::cbor::array")]
    pub device_id: [u8; 32],
    pub command: Command,
    /// Relay time the command was issued.
    pub issued_at: i64,
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
    /// One per push, in order; empty when the request was refused.
    pub outcomes: Vec<PushOutcome>,
    /// The journal the relay computed from what it holds of this device.
    pub journal_confirmed: JournalState,
    /// The relay store's epoch: new after every restore from a backup, so a tablet knows
    /// receipts of another epoch may name records the relay lost, and sends them again.
    #[serde(with = "crate::cbor::array")]
    pub relay_epoch: [u8; 16],
    /// The number of the commit that stored this request's documents.
    pub commit_seq: Option<u64>,
    /// Every commit numbered at or below this, in this epoch, is in a completed backup:
    /// a tablet may erase its sealed copies of what those commits stored.
    pub backup_watermark: Option<u64>,
    /// Documents of this tablet (a kiosk's captures; a staff tablet's pulled registrations)
    /// removed at the relay: erase them, never send them again.
    pub removed: Vec<String>,
    /// Signed [`DeviceCommand`] envelopes for this device.
    pub commands: Vec<SignedCommand>,
    /// Changes of the event document past the request's `event_heads`, as change chunks;
    /// `None` when the tablet is current.
    #[serde(with = "crate::cbor::optional_bytes")]
    pub event: Option<Vec<u8>>,
    /// Staff tablets: registrations changed since the cursor, oldest change first.
    pub pulled: Vec<PulledDocument>,
    /// Staff tablets: registrations of the page whose visitor withdrew the talent-pool
    /// consent since the cursor; the tablet's copy shows the consent withdrawn from then on
    /// (the document keeps the opt-in as given, as the relay's does).
    pub withdrawn: Vec<String>,
    /// The cursor to send next time; `None` when the request was refused.
    pub cursor: Option<PullCursor>,
    /// More registrations wait: pull again at once.
    pub more: bool,
    /// The log's verifier key (C2SP signed-note vkey, `<origin>+<key id>+<base64>`), sent
    /// while the request's `log_size` is 0: a tablet enrolled before the log existed pins it
    /// from this answer, which the relay key it pins already signs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub log_key: Option<String>,
    /// The log's current checkpoint: a C2SP signed note (tlog-checkpoint text and the log
    /// key's signature), verbatim. Absent only from a relay without a log, and from
    /// refusals.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub log_checkpoint: Option<String>,
    /// RFC 9162 consistency proof from the request's `log_size` to the checkpoint's size;
    /// empty when `log_size` is 0 or equals it.
    #[serde(
        default,
        skip_serializing_if = "Vec::is_empty",
        with = "crate::cbor::hashes"
    )]
    pub log_consistency: Vec<[u8; 32]>,
    /// For every push stored in this answer, the log leaves that record it (each change of
    /// a capture, each change of a staff tablet's edit push that the relay holds, whether
    /// new or stored before), each with an inclusion proof against `log_checkpoint` and the
    /// record's nonce.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub log_inclusions: Vec<LogInclusion>,
    /// The newest checkpoint a witness cosigned (C2SP tlog-cosignature): the log's signed
    /// note with the cosignature lines the relay holds for it, verbatim. Absent before any
    /// witness cosigned; older tablets ignore it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub log_cosigned: Option<String>,
    /// RFC 9162 consistency proof from `log_cosigned`'s size to `log_checkpoint`'s; empty
    /// when the sizes are equal or `log_cosigned` is absent.
    #[serde(
        default,
        skip_serializing_if = "Vec::is_empty",
        with = "crate::cbor::hashes"
    )]
    pub log_cosigned_consistency: Vec<[u8; 32]>,
}

/// One log leaf that records a push the answer acknowledges, and its inclusion proof.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogInclusion {
    /// The push's position in the request (and in `outcomes`).
    pub push: u32,
    /// The leaf's index in the log.
    pub index: u64,
    /// The leaf's bytes, as the log holds them (`docs/provenance.md`, "Leaves").
    #[serde(with = "crate::cbor::bytes")]
    pub leaf: Vec<u8>,
    /// RFC 9162 inclusion proof of the leaf at `index` in the checkpoint's tree.
    #[serde(with = "crate::cbor::hashes")]
    pub proof: Vec<[u8; 32]>,
    /// The record's nonce, under which the leaf's record commitment and subject were
    /// hashed: the tablet recomputes both from the document and change it sent, so it knows
    /// the leaf is about exactly that change. It tells the tablet nothing it does not hold
    /// (it sent the record); never logged. An inclusion without it proves nothing exact
    /// and counts nothing as stored.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "crate::cbor::optional_array"
    )]
    pub nonce: Option<[u8; 32]>,
}

/// The bytes of a signed envelope holding a [`DeviceCommand`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignedCommand(#[serde(with = "crate::cbor::bytes")] pub Vec<u8>);

impl SyncResponse {
    /// An answer of this protocol version to `device_id`'s request `request_hash`, in relay
    /// epoch `relay_epoch`, that says nothing yet: not refused, no outcome, an empty
    /// confirmed journal, no commit, watermark, command, pull or log. The relay starts every
    /// answer from it; tests build theirs from it with struct update syntax
    /// (`SyncResponse { commit_seq: Some(1), ..SyncResponse::empty(…) }`), so a new answer
    /// field is one edit here.
    pub fn empty(device_id: [u8; 32], request_hash: [u8; 32], relay_epoch: [u8; 16]) -> Self {
        SyncResponse {
            version: super::PROTOCOL_VERSION,
            device_id,
            request_hash,
            refused: None,
            last_accepted_seq: None,
            outcomes: Vec::new(),
            journal_confirmed: JournalState {
                count: 0,
                head: crate::journal::GENESIS,
            },
            relay_epoch,
            commit_seq: None,
            backup_watermark: None,
            removed: Vec::new(),
            commands: Vec::new(),
            event: None,
            pulled: Vec::new(),
            withdrawn: Vec::new(),
            cursor: None,
            more: false,
            log_key: None,
            log_checkpoint: None,
            log_consistency: Vec::new(),
            log_inclusions: Vec::new(),
            log_cosigned: None,
            log_cosigned_consistency: Vec::new(),
        }
    }

    /// How many pushes were stored.
    pub fn stored_count(&self) -> usize {
        self.outcomes
            .iter()
            .filter(|o| matches!(o, PushOutcome::Stored(_)))
            .count()
    }

    /// The codes of quarantined pushes, in order.
    pub fn quarantined_codes(&self) -> Vec<ErrorCode> {
        self.outcomes
            .iter()
            .filter_map(|o| match o {
                PushOutcome::Quarantined(code, _) => Some(*code),
                _ => None,
            })
            .collect()
    }

    /// The codes of rejected pushes, in order.
    pub fn rejected_codes(&self) -> Vec<ErrorCode> {
        self.outcomes
            .iter()
            .filter_map(|o| match o {
                PushOutcome::Rejected(code, _) => Some(*code),
                _ => None,
            })
            .collect()
    }
}
