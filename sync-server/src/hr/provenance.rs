//! A record's provenance bundle: one self-contained JSON document (in the spirit of C2SP
//! tlog-proof) with which an archivist, the disclosure flow or an auditor checks, without
//! our code and without trusting the relay's operator, that a record is exactly what a
//! tablet captured, what changed it and that the relay's transparency log holds every
//! change. Documented field by field in `docs/provenance.md` ("The bundle"), with the
//! `openssl` commands and the Python script (`docs/provenance/verify_bundle.py`) that check
//! it.
//!
//! It holds: every change of the record's Automerge document (its uncompressed change
//! chunk, whose SHA-256 after the 8-byte magic and checksum is the change hash), the
//! capture signature with the exact message it signs, the enrolled tablet as the relay
//! holds it with the certificate its enrollment answer carried (kept verbatim since SQLite
//! schema 16 / PostgreSQL 12; for a tablet enrolled before, one re-issued from the
//! enrollment record, saying so: see [`device_json`]), the record's nonce, every leaf of
//! the record with its index and inclusion proof, the log's checkpoint verbatim (a signed
//! note, with the cosignatures the relay keeps for that tree: the newest tree every
//! configured witness cosigned when it holds every leaf of the record, else the largest one
//! any of them cosigned that does, else the current one) with the log's verifier key, and
//! the relay's signing key.
//!
//! Who: archivists (as disclosure and subject access); a restricted record only with the
//! clearance, and to anyone else it is answered as one the relay does not hold. The record
//! is read through the disclosure read, so the bundle is one `disclosure` entry in the
//! access log, written in the read's transaction. A removed record has no bundle: its
//! content and nonce are gone (410 `removed`); its leaves stay in the log and are proved by
//! index (`GET /v1/log/inclusion`).

use automerge::Automerge;
use base64ct::{Base64, Encoding};
use ed25519_dalek::VerifyingKey;
use kiosk_core::capture::capture_message;
use kiosk_core::ids::{DeviceId, RegistrationId};
use kiosk_core::protocol::SignedEnvelope;
use kiosk_core::protocol::enrollment::{CERTIFICATE_TAG, EnrolledRole};
use kiosk_core::tlog::cosignature::CosignatureVerifier;
use kiosk_core::tlog::hash::Hash;
use kiosk_core::tlog::tree::inclusion_proof;
use serde_json::{Value, json};

use crate::hr::accounts::HrUser;
use crate::hr::error::{HrError, HrResult, Missing, StorageContext};
use crate::hr::policy::{require_exporter, sees_restricted};
use crate::keys::RelayKeys;
use crate::state::now_ms;
use crate::storage::{
    Accessor, AskedRecord, DeviceRecord, DisclosureItem, DisclosureOutcome, DisclosureSelection,
    HeldRecord, LogTip, RelayStore,
};
use crate::transparency::checkpoint::LogKey;
use crate::transparency::leaf::{Leaf, LeafKind, Nonce, change_subject, record_commitment};
use crate::transparency::source::CachedSubtrees;

/// The bundle format this relay writes.
pub const BUNDLE_FORMAT: &str = "kiosk-provenance-bundle-v1";

/// A record's leaves read from the store per page.
const LEAF_PAGE: usize = crate::storage::model::LOG_READ_LIMIT;

/// The most leaves one record's bundle carries: far more than the changes a record can
/// have (a capture, staff and HR edits within their size limits, holds).
pub const MAX_RECORD_LEAVES: usize = 10_000;

/// The layout of the message a capture signature covers, as the bundle states it.
const CAPTURE_MESSAGE_LAYOUT: &str = "\"kiosk-capture-v1\" ‖ device key (32) ‖ length of the \
     registration id (4, big endian) ‖ registration id (UTF-8) ‖ number of change hashes (4, \
     big endian) ‖ change hashes (32 each, in the order of capture.change_hashes)";

/// What the relay did not keep of an enrollment whose certificate is not kept (from before
/// certificates were kept, or another enrollment's kept in its place), said in the bundle.
const CERTIFICATE_NOTE: &str = "The certificate the relay sent this tablet at the enrollment \
     the capture was made under was not kept (the tablet enrolled before the relay kept them, \
     or it was enrolled again more times since than the relay keeps certificates of).";

/// How the bundle's certificate was made when it is not the one sent ([`CERTIFICATE_NOTE`],
/// [`pruned_note`]).
const REISSUED_NOTE: &str = "This certificate is re-issued from the relay's enrollment record \
     (the same fields, of the tablet's current enrollment) and signed now with the relay's \
     current signing key; its version is this relay's protocol version, which may differ from the one the tablet received. It proves what the \
     relay states about the enrollment when the bundle was made, not what it said then.";

/// The note of a record that names the certificate its tablet held (its issue time) when
/// that one is no longer kept and the tablet was enrolled again since: only the newest
/// [`CERTIFICATES_KEPT_PER_DEVICE`] of a tablet are kept, so it was pruned.
///
/// [`CERTIFICATES_KEPT_PER_DEVICE`]: crate::storage::model::CERTIFICATES_KEPT_PER_DEVICE
fn pruned_note(issued_at: i64) -> String {
    format!(
        "The record names the certificate the relay sent this tablet at its enrollment issued \
         at {issued_at} (relay time, milliseconds since 1970), which the relay no longer \
         keeps: the tablet was enrolled again since, and the relay keeps only its newest {} \
         certificates, so that one was pruned. {REISSUED_NOTE}",
        crate::storage::model::CERTIFICATES_KEPT_PER_DEVICE
    )
}

/// An Ed25519 public key as PEM (SubjectPublicKeyInfo), for `openssl pkeyutl -pubin`.
pub fn public_key_pem(key: &[u8; 32]) -> String {
    // RFC 8410: SEQUENCE { SEQUENCE { OID 1.3.101.112 } BIT STRING key }.
    const PREFIX: [u8; 12] = [
        0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00,
    ];
    let der = [PREFIX.as_slice(), key].concat();
    format!(
        "-----BEGIN PUBLIC KEY-----\n{}\n-----END PUBLIC KEY-----\n",
        Base64::encode_string(&der)
    )
}

fn b64(bytes: &[u8]) -> String {
    Base64::encode_string(bytes)
}

fn unexpected(
    context: &'static str,
    source: impl std::error::Error + Send + Sync + 'static,
) -> HrError {
    HrError::Unexpected {
        context,
        source: Box::new(source),
    }
}

/// Record `doc_id`'s bundle for archivist `user`, logged as a disclosure of the record.
/// Blocking.
pub(crate) fn bundle(
    store: &dyn RelayStore,
    keys: &RelayKeys,
    log_key: &LogKey,
    witnesses: &[CosignatureVerifier],
    user: &HrUser,
    doc_id: &str,
) -> HrResult<Value> {
    require_exporter(user)?;
    let id = RegistrationId::parse(doc_id).ok_or(Missing::Registration)?;
    let at = now_ms();
    let accessor = Accessor::Operator(user.accessor_name());
    // The disclosure read: roles and the clearance as a disclosure export applies them, and
    // the record's access-log entry in the read's own transaction.
    let selection = DisclosureSelection::Records(vec![AskedRecord::Id(id.as_str().to_owned())]);
    let outcome = store
        .disclosure(&selection, sees_restricted(user), &accessor, at)
        .context("reading and logging a record for its provenance bundle")?;
    let record = match outcome {
        DisclosureOutcome::Items(items) => match items.into_iter().next() {
            Some(DisclosureItem::Held { record, .. }) => *record,
            Some(DisclosureItem::Removed { .. }) => return Err(Missing::RemovedRegistration.into()),
            _ => return Err(Missing::Registration.into()),
        },
        DisclosureOutcome::TooMany => return Err(Missing::Registration.into()),
    };
    // Removed since the read: nothing of it is to be handed out any more.
    let gone = || HrError::from(Missing::RemovedRegistration);
    let evidence = store
        .capture_evidence(doc_id)
        .context("reading a record's capture signature")?
        .ok_or_else(gone)?;
    let nonce = store
        .record_nonce(doc_id)
        .context("reading a record's nonce")?
        .ok_or_else(gone)?;
    let device = store
        .device(&record.device_key)
        .context("reading the capturing tablet")?;
    // The certificate the tablet held when the capture was received (its issue time kept
    // with the record, read from the tablet's row by the same relay): after a re-enrollment
    // the current one was issued later, and would not be what vouched for the capture.
    let kept_certificate = store
        .kept_certificate(
            &record.device_key,
            evidence.certified_at,
            record.received_at,
        )
        .context("reading the capturing tablet's certificate")?;
    // Taken after the record was read: every leaf of what was read is inside this tree.
    let current = store.log_tip().context("reading the log's size")?;
    let leaves = record_leaves(store, &nonce, doc_id, current.size)?;
    let tip = proving_tree(store, current, witnesses, &leaves)?;
    let checkpoint =
        crate::witness::intake::with_cosignatures(&log_key.sign(tip), tip.size, &tip.root, store)
            .context("reading the witnesses' cosignatures")?;
    let changes = changes_of(&record)?;
    Ok(assemble(&Parts {
        doc_id,
        at,
        record: &record,
        capture_hashes: &evidence.change_hashes,
        capture_signature: &evidence.capture_signature,
        nonce: &nonce,
        device: device.as_ref(),
        kept_certificate: kept_certificate.as_ref(),
        certified_at: evidence.certified_at,
        keys,
        log_key,
        tip,
        checkpoint: &checkpoint,
        changes: &changes,
        leaves: &leaves,
        proofs: &proofs(store, &leaves, tip.size)?,
    }))
}

/// The tree the bundle proves its leaves in: the one all configured `witnesses` cosigned
/// ([`crate::witness::intake::largest_cosigned_by_every`], the first choice of
/// [`crate::witness::intake::newest_cosigned_tree`]: never a root the log no longer has)
/// when it holds every leaf of the record; else, when one witness lags, the largest tree
/// any one configured witness cosigned that holds them
/// ([`crate::witness::intake::largest_cosigned_by_any`]); only then the current one. The
/// checkpoint carries the cosignature lines kept for the tree chosen, so it says itself
/// which witnesses cosigned it.
fn proving_tree(
    store: &dyn RelayStore,
    current: LogTip,
    witnesses: &[CosignatureVerifier],
    leaves: &[(u64, Vec<u8>)],
) -> HrResult<LogTip> {
    use crate::witness::intake::{largest_cosigned_by_any, largest_cosigned_by_every};
    let holds = |tree: &Option<(u64, [u8; 32])>| {
        tree.filter(|(size, _)| {
            *size <= current.size && leaves.iter().all(|(index, _)| *index < *size)
        })
    };
    // The two steps of `newest_cosigned_tree`, each read once: the tree all of them
    // cosigned, then (it lacking or not holding the leaves) the largest any one did.
    let all = largest_cosigned_by_every(store, current.size, witnesses)
        .context("reading the newest cosigned tree")?;
    if let Some((size, root)) = holds(&all) {
        return Ok(LogTip { size, root });
    }
    if witnesses.len() < 2 {
        // With one witness or none, "any one" is "all": nothing more to read.
        return Ok(current);
    }
    let any = largest_cosigned_by_any(store, current.size, witnesses)
        .context("reading the newest tree a witness cosigned")?;
    Ok(holds(&any).map_or(current, |(size, root)| LogTip { size, root }))
}

/// One change of the record's document, as the bundle shows it.
#[derive(Debug, Clone)]
pub(crate) struct ChangeView {
    pub hash: [u8; 32],
    pub actor: Vec<u8>,
    pub seq: u64,
    /// The uncompressed change chunk: its SHA-256 from byte 8 on is `hash`.
    pub bytes: Vec<u8>,
}

/// The record's changes, in the document's order (causal, as Automerge lists them).
pub(crate) fn changes_of(record: &HeldRecord) -> HrResult<Vec<ChangeView>> {
    let document = Automerge::load(&record.changes)
        .map_err(|e| unexpected("loading a record's changes for its provenance bundle", e))?;
    Ok(document
        .get_changes(&[])
        .into_iter()
        .map(|change| ChangeView {
            hash: change.hash().0,
            actor: change.actor_id().to_bytes().to_vec(),
            seq: change.seq(),
            bytes: change.raw_bytes().to_vec(),
        })
        .collect())
}

/// Every leaf of record `doc_id` in the first `size` leaves of the log, as `(index,
/// bytes)`, found through the store's index of leaves by record commitment (the log is not
/// read: a bundle costs the same in a log of a million leaves as in one of ten).
pub(crate) fn record_leaves(
    store: &dyn RelayStore,
    nonce: &Nonce,
    doc_id: &str,
    size: u64,
) -> HrResult<Vec<(u64, Vec<u8>)>> {
    let commitment = record_commitment(nonce, doc_id);
    let mut found = Vec::new();
    let mut from = 0u64;
    while from < size {
        let page = store
            .log_leaves_of_record(&commitment, from, LEAF_PAGE)
            .context("reading a record's leaves in the transparency log")?;
        let short = page.len() < LEAF_PAGE;
        for (index, leaf) in page {
            from = index + 1;
            // Appended after the tip was read: not in the tree the bundle proves.
            if index >= size {
                break;
            }
            if found.len() == MAX_RECORD_LEAVES {
                return Err(unexpected(
                    "collecting a record's leaves",
                    std::io::Error::other("more leaves than a record can have"),
                ));
            }
            found.push((index, leaf));
        }
        if short {
            break;
        }
    }
    Ok(found)
}

fn proofs(
    store: &dyn RelayStore,
    leaves: &[(u64, Vec<u8>)],
    size: u64,
) -> HrResult<Vec<Vec<Hash>>> {
    // A record's proofs share the subtrees toward the tip: each is read once.
    let source = CachedSubtrees::new(store);
    leaves
        .iter()
        .map(|(index, _)| {
            inclusion_proof(&source, *index, size)
                .map_err(|e| unexpected("proving a leaf's inclusion in the log", e))
        })
        .collect()
}

/// Everything [`assemble`] writes out.
pub(crate) struct Parts<'a> {
    pub doc_id: &'a str,
    pub at: i64,
    pub record: &'a HeldRecord,
    /// As stored: 32 bytes per hash.
    pub capture_hashes: &'a [u8],
    pub capture_signature: &'a [u8],
    pub nonce: &'a Nonce,
    pub device: Option<&'a DeviceRecord>,
    /// The certificate envelope kept at enrollment, with when it was issued.
    pub kept_certificate: Option<&'a (i64, Vec<u8>)>,
    /// The issue time of the certificate the record names (its tablet held it when the
    /// capture was received; `None` for records from before that was kept).
    pub certified_at: Option<i64>,
    pub keys: &'a RelayKeys,
    pub log_key: &'a LogKey,
    pub tip: LogTip,
    pub checkpoint: &'a str,
    pub changes: &'a [ChangeView],
    pub leaves: &'a [(u64, Vec<u8>)],
    pub proofs: &'a [Vec<Hash>],
}

/// The bundle's JSON (documented in `docs/provenance.md`).
pub(crate) fn assemble(parts: &Parts<'_>) -> Value {
    let hashes: Vec<automerge::ChangeHash> = parts
        .capture_hashes
        .chunks_exact(32)
        .map(|h| automerge::ChangeHash(h.try_into().expect("chunks of 32")))
        .collect();
    let device_key = parts.record.device_key;
    let message = RegistrationId::parse(parts.doc_id).and_then(|id| {
        let key = VerifyingKey::from_bytes(&device_key).ok()?;
        Some(capture_message(
            &DeviceId::from_public_key(&key),
            &id,
            &hashes,
        ))
    });
    // Which leaf records which change: a change's leaf subject commits to its hash (a
    // `quarantined` leaf of the same change records the copy kept apart, not the change).
    let leaf_of = |hash: &[u8; 32]| {
        let subject = change_subject(parts.nonce, hash);
        parts
            .leaves
            .iter()
            .find(|(_, bytes)| {
                bytes.get(34..66) == Some(subject.as_slice())
                    && bytes.get(1) != Some(&(LeafKind::Quarantined as u8))
            })
            .map(|(index, _)| *index)
    };
    let changes: Vec<Value> = parts
        .changes
        .iter()
        .map(|change| {
            json!({
                "hash": hex::encode(change.hash),
                "actor": hex::encode(&change.actor),
                "seq": change.seq,
                "bytes": b64(&change.bytes),
                "leaf_index": leaf_of(&change.hash),
            })
        })
        .collect();
    let leaves: Vec<Value> = parts
        .leaves
        .iter()
        .zip(parts.proofs)
        .map(|((index, bytes), proof)| {
            let decoded = Leaf::decode(bytes).ok();
            json!({
                "index": index,
                "bytes": b64(bytes),
                "kind": decoded.map(|leaf| leaf.kind.name()),
                "accepted_at": decoded.map(|leaf| leaf.accepted_at),
                "inclusion_proof": proof.iter().map(|hash| b64(hash)).collect::<Vec<_>>(),
            })
        })
        .collect();
    let relay_key = parts.keys.signing.verifying_key().to_bytes();
    let log_public = log_public_key(parts.log_key);
    json!({
        "format": BUNDLE_FORMAT,
        "generated_at": parts.at,
        "registration_id": parts.doc_id,
        "received_at": parts.record.received_at,
        "restricted": parts.record.restricted,
        "record": {
            "nonce": b64(parts.nonce),
            "commitment": b64(&record_commitment(parts.nonce, parts.doc_id)),
        },
        "changes": changes,
        "capture": {
            "device_key": b64(&device_key),
            "device_key_pem": public_key_pem(&device_key),
            "change_hashes": hashes.iter().map(|h| hex::encode(h.0)).collect::<Vec<_>>(),
            "signature": b64(parts.capture_signature),
            "message": message.as_deref().map(b64),
            "message_layout": CAPTURE_MESSAGE_LAYOUT,
        },
        "device": device_json(
            parts.device,
            parts.kept_certificate,
            parts.certified_at,
            &device_key,
            parts.keys,
        ),
        "relay": {
            "signing_key": b64(&relay_key),
            "signing_key_pem": public_key_pem(&relay_key),
        },
        "log": {
            "origin": parts.log_key.origin(),
            "vkey": parts.log_key.verifier().to_string(),
            "public_key": b64(&log_public),
            "public_key_pem": public_key_pem(&log_public),
            "size": parts.tip.size,
            "root": b64(&parts.tip.root),
            "checkpoint": parts.checkpoint,
            "leaves": leaves,
        },
    })
}

/// The log key's public half.
fn log_public_key(log_key: &LogKey) -> [u8; 32] {
    log_key.verifier().verifying_key().to_bytes()
}

/// The capturing tablet as the relay holds it, with the certificate the enrollment answer
/// carried that was valid when the capture was accepted (`kept`, when the relay kept it),
/// else one re-issued from the current enrollment record (see [`CERTIFICATE_NOTE`] and, when
/// the record names (`named`, its issue time) one of an earlier enrollment, [`pruned_note`]).
/// A tablet the relay no longer knows gets its key only.
fn device_json(
    device: Option<&DeviceRecord>,
    kept: Option<&(i64, Vec<u8>)>,
    named: Option<i64>,
    device_key: &[u8; 32],
    keys: &RelayKeys,
) -> Value {
    let Some(device) = device else {
        return json!({
            "device_key": b64(device_key),
            "enrolled": false,
            "missing": "The relay holds no enrollment record of this tablet, so the bundle has no certificate.",
        });
    };
    // The kept envelope valid when the capture was accepted (the store chose it by time).
    let original = kept.and_then(|(issued_at, bytes)| {
        let envelope = ciborium::from_reader::<SignedEnvelope, _>(bytes.as_slice()).ok()?;
        Some((envelope, bytes.as_slice(), *issued_at))
    });
    let reissued = original.is_none();
    let (envelope, envelope_cbor, issued_at) = match original {
        Some((envelope, bytes, issued_at)) => (envelope, bytes.to_vec(), issued_at),
        None => {
            let envelope = reissue(device, keys);
            let bytes = kiosk_core::cbor::to_vec(&envelope);
            (envelope, bytes, device.certified_at)
        }
    };
    let mut value = json!({
        "device_key": b64(device_key),
        "enrolled": true,
        "event_id": device.event_id,
        "role": match device.role {
            EnrolledRole::Kiosk => "kiosk",
            EnrolledRole::Staff => "staff",
        },
        "certified_at": device.certified_at,
        "expires_at": device.expires_at,
        "revoked_at": device.revoked_at,
        "pinned_relay_key": device.relay_key.map(|key| b64(&key)),
        "certificate": {
            "reissued": reissued,
            "issued_at": issued_at,
            "tag": String::from_utf8_lossy(CERTIFICATE_TAG),
            "signer": b64(&envelope.signer),
            "payload_cbor": b64(&envelope.payload),
            "signed_message": b64(&[CERTIFICATE_TAG, envelope.payload.as_slice()].concat()),
            "signature": b64(&envelope.signature),
            "envelope_cbor": b64(&envelope_cbor),
        },
    });
    if reissued {
        // A record naming a certificate of an earlier enrollment that is gone: pruned.
        let note = match named {
            Some(named) if named != device.certified_at => pruned_note(named),
            _ => format!("{CERTIFICATE_NOTE} {REISSUED_NOTE}"),
        };
        value["missing"] = json!(note);
    }
    value
}

/// A certificate re-issued from the enrollment record, signed now with the key the tablet
/// pins (while the relay holds it) or the current one.
fn reissue(device: &DeviceRecord, keys: &RelayKeys) -> SignedEnvelope {
    let certificate = crate::enrollment::certificate_of(device);
    let signer = match &device.relay_key {
        Some(pinned) => keys.signing_for(pinned),
        None => &keys.signing,
    };
    SignedEnvelope::sign(CERTIFICATE_TAG, &certificate, signer)
}

#[cfg(test)]
mod tests;
