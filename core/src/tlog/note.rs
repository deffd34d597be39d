//! C2SP signed notes (<https://c2sp.org/signed-note>, v1.0.0) with Ed25519: signing a text,
//! opening a note against the keys a client trusts, and verifier keys (vkeys).
//!
//! This module owns the note syntax and its bounds; [`super::checkpoint`] owns what a
//! checkpoint's text says and [`super::cosignature`] the witnesses' timestamped signature
//! lines, which reuse [`parse_note`] and the key ID and vkey encodings here.
//!
//! A note is `text` (ending in a newline), an empty line, and one or more signature lines
//! `— <key name> base64(key ID ‖ signature)`. Unknown signatures are kept but never trusted;
//! a known key whose signature fails rejects the whole note; at least one known key must
//! sign. Checked against the vectors of Go's `golang.org/x/mod/sumdb/note`.

use std::fmt;
use std::str::FromStr;

use base64ct::{Base64, Encoding};
use ed25519_dalek::{Signature, Signer, SigningKey, VerifyingKey};
use sha2::{Digest, Sha256};

/// The largest note accepted: a checkpoint and its cosignatures are well under a kilobyte
/// each; 100 signature lines of a long name stay below this.
pub const MAX_NOTE_LEN: usize = 32 * 1024;
/// The most signature lines in a note (the spec asks verifiers to accept at least 16; Go's
/// `sumdb/note` stops at 100).
pub const MAX_SIGNATURES: usize = 100;
/// The longest key name (the spec sets none; ours are short host-like names).
pub const MAX_KEY_NAME_LEN: usize = 256;

/// Signature type 0x01: Ed25519 signatures over the note text.
pub const SIGNATURE_TYPE_ED25519: u8 = 0x01;

/// The em dash and space that open every signature line.
const SIGNATURE_PREFIX: &str = "\u{2014} ";

/// Why a note, a text to sign or a verifier key was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NoteError {
    #[error("the note is {len} bytes, more than the {MAX_NOTE_LEN} accepted")]
    TooLarge { len: usize },
    #[error("the note holds a control character other than newline")]
    ControlCharacter,
    #[error("the note text does not end in a newline")]
    NoFinalNewline,
    #[error("the note has no empty line before its signatures, or no signatures")]
    NoSignatures,
    #[error("signature line {line} is not `— <name> <base64>`")]
    BadSignatureLine { line: usize },
    #[error("the note has {count} signature lines, more than the {MAX_SIGNATURES} accepted")]
    TooManySignatures { count: usize },
    #[error(
        "key names must be non-empty, at most {MAX_KEY_NAME_LEN} bytes, without spaces, plus signs or control characters"
    )]
    BadKeyName,
    #[error("the verifier key is not `<name>+<8 hex digits>+<base64 key>` of this signature type")]
    BadVerifierKey,
    #[error("the verifier key's ID does not match its name and key")]
    VerifierKeyIdMismatch,
    #[error("two trusted keys are named {name} with the same key ID")]
    AmbiguousKey { name: String },
    #[error("the signature of trusted key {name} does not verify")]
    InvalidSignature { name: String },
    #[error("no trusted key signed the note")]
    NoVerifiedSignature,
}

/// The key ID of a signed-note key: the first four bytes of
/// SHA-256(key name ‖ "\n" ‖ signature type ‖ public key).
pub fn key_id(name: &str, signature_type: u8, public_key: &[u8]) -> [u8; 4] {
    let digest = Sha256::new()
        .chain_update(name.as_bytes())
        .chain_update(b"\n")
        .chain_update([signature_type])
        .chain_update(public_key)
        .finalize();
    [digest[0], digest[1], digest[2], digest[3]]
}

/// Whether `name` may name a key: non-empty, bounded, no Unicode spaces, no `+` (the vkey
/// separator) and no control characters.
pub fn is_valid_key_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= MAX_KEY_NAME_LEN
        && !name
            .chars()
            .any(|c| c.is_whitespace() || c == '+' || c.is_control())
}

/// One signature line of a note, decoded but not verified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignatureLine {
    pub name: String,
    pub key_id: [u8; 4],
    /// The signature bytes after the key ID (their meaning depends on the key's type).
    pub signature: Vec<u8>,
}

impl SignatureLine {
    /// The line as it appears in a note, newline included.
    pub fn to_line(&self) -> String {
        let mut payload = Vec::with_capacity(4 + self.signature.len());
        payload.extend_from_slice(&self.key_id);
        payload.extend_from_slice(&self.signature);
        format!(
            "{SIGNATURE_PREFIX}{} {}\n",
            self.name,
            Base64::encode_string(&payload)
        )
    }
}

/// Splits a note into its text (final newline included) and its signature lines, checking
/// the syntax and every bound before anything is verified.
pub fn parse_note(note: &str) -> Result<(&str, Vec<SignatureLine>), NoteError> {
    if note.len() > MAX_NOTE_LEN {
        return Err(NoteError::TooLarge { len: note.len() });
    }
    check_characters(note)?;
    if !note.ends_with('\n') {
        return Err(NoteError::NoFinalNewline);
    }
    // The text ends at the last empty line; signature lines are never empty.
    let Some(blank) = note.rfind("\n\n") else {
        return Err(NoteError::NoSignatures);
    };
    let (text, signatures) = (&note[..=blank], &note[blank + 2..]);
    if signatures.is_empty() {
        return Err(NoteError::NoSignatures);
    }
    let count = signatures.matches('\n').count();
    if count > MAX_SIGNATURES {
        return Err(NoteError::TooManySignatures { count });
    }
    let lines = signatures
        .split_terminator('\n')
        .enumerate()
        .map(|(i, line)| {
            parse_signature_line(line).ok_or(NoteError::BadSignatureLine { line: i + 1 })
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok((text, lines))
}

fn parse_signature_line(line: &str) -> Option<SignatureLine> {
    let rest = line.strip_prefix(SIGNATURE_PREFIX)?;
    let (name, encoded) = rest.split_once(' ')?;
    if !is_valid_key_name(name) {
        return None;
    }
    let payload = Base64::decode_vec(encoded).ok()?;
    if payload.len() < 5 {
        return None;
    }
    let (id, signature) = payload.split_at(4);
    Some(SignatureLine {
        name: name.to_owned(),
        key_id: [id[0], id[1], id[2], id[3]],
        signature: signature.to_vec(),
    })
}

/// Notes are UTF-8 (a `&str` already is) without control characters but newline.
fn check_characters(text: &str) -> Result<(), NoteError> {
    if text.bytes().any(|b| b < 0x20 && b != b'\n') {
        return Err(NoteError::ControlCharacter);
    }
    Ok(())
}

/// Checks a text before it is signed: bounded, ending in a newline, no control characters.
fn check_text(text: &str) -> Result<(), NoteError> {
    if text.len() > MAX_NOTE_LEN {
        return Err(NoteError::TooLarge { len: text.len() });
    }
    check_characters(text)?;
    if !text.ends_with('\n') {
        return Err(NoteError::NoFinalNewline);
    }
    Ok(())
}

/// Signs note texts with an Ed25519 key under a key name.
pub struct NoteSigner {
    name: String,
    key_id: [u8; 4],
    key: SigningKey,
}

impl fmt::Debug for NoteSigner {
    /// Never prints the private key.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NoteSigner")
            .field("name", &self.name)
            .field("key_id", &hex::encode(self.key_id))
            .finish_non_exhaustive()
    }
}

impl NoteSigner {
    pub fn new(name: &str, key: &SigningKey) -> Result<Self, NoteError> {
        if !is_valid_key_name(name) {
            return Err(NoteError::BadKeyName);
        }
        let public = key.verifying_key();
        Ok(NoteSigner {
            name: name.to_owned(),
            key_id: key_id(name, SIGNATURE_TYPE_ED25519, public.as_bytes()),
            key: key.clone(),
        })
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn key_id(&self) -> [u8; 4] {
        self.key_id
    }

    /// The verifier of this signer's signatures (print it as a vkey with `to_string`).
    pub fn verifier(&self) -> NoteVerifier {
        NoteVerifier {
            name: self.name.clone(),
            key_id: self.key_id,
            key: self.key.verifying_key(),
        }
    }

    /// This key's signature line for `text`, to add to a note (newline included).
    pub fn signature_line(&self, text: &str) -> Result<String, NoteError> {
        check_text(text)?;
        let signature = self.key.sign(text.as_bytes());
        Ok(SignatureLine {
            name: self.name.clone(),
            key_id: self.key_id,
            signature: signature.to_bytes().to_vec(),
        }
        .to_line())
    }

    /// The signed note: `text`, an empty line and this key's signature line.
    pub fn sign(&self, text: &str) -> Result<String, NoteError> {
        let line = self.signature_line(text)?;
        Ok(format!("{text}\n{line}"))
    }
}

/// A trusted Ed25519 note key: its name, key ID and public key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoteVerifier {
    name: String,
    key_id: [u8; 4],
    key: VerifyingKey,
}

impl NoteVerifier {
    pub fn new(name: &str, key: &VerifyingKey) -> Result<Self, NoteError> {
        if !is_valid_key_name(name) {
            return Err(NoteError::BadKeyName);
        }
        Ok(NoteVerifier {
            name: name.to_owned(),
            key_id: key_id(name, SIGNATURE_TYPE_ED25519, key.as_bytes()),
            key: *key,
        })
    }

    /// Reads a vkey `<name>+<8 hex key ID>+<base64(0x01 ‖ public key)>`.
    pub fn parse(vkey: &str) -> Result<Self, NoteError> {
        let (name, key_id, key) = parse_vkey(vkey, SIGNATURE_TYPE_ED25519)?;
        Ok(NoteVerifier { name, key_id, key })
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn key_id(&self) -> [u8; 4] {
        self.key_id
    }

    pub fn verifying_key(&self) -> &VerifyingKey {
        &self.key
    }

    fn matches(&self, line: &SignatureLine) -> bool {
        self.name == line.name && self.key_id == line.key_id
    }
}

impl fmt::Display for NoteVerifier {
    /// The vkey text.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&format_vkey(
            &self.name,
            self.key_id,
            SIGNATURE_TYPE_ED25519,
            &self.key,
        ))
    }
}

impl FromStr for NoteVerifier {
    type Err = NoteError;

    fn from_str(vkey: &str) -> Result<Self, NoteError> {
        Self::parse(vkey)
    }
}

/// Reads a vkey of the given signature type with an Ed25519 public key, checking its key ID.
pub(super) fn parse_vkey(
    vkey: &str,
    signature_type: u8,
) -> Result<(String, [u8; 4], VerifyingKey), NoteError> {
    // Split at the first two `+` only: standard base64 holds `+` too (as Go's note does).
    let mut parts = vkey.splitn(3, '+');
    let (Some(name), Some(id_hex), Some(encoded)) = (parts.next(), parts.next(), parts.next())
    else {
        return Err(NoteError::BadVerifierKey);
    };
    if !is_valid_key_name(name) {
        return Err(NoteError::BadKeyName);
    }
    // Lowercase hex only, as the spec writes it, so one key has one spelling.
    if id_hex.len() != 8
        || !id_hex
            .bytes()
            .all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
    {
        return Err(NoteError::BadVerifierKey);
    }
    let mut id = [0u8; 4];
    hex::decode_to_slice(id_hex, &mut id).map_err(|_invalid| NoteError::BadVerifierKey)?;
    let material = Base64::decode_vec(encoded).map_err(|_invalid| NoteError::BadVerifierKey)?;
    let Some((&kind, public)) = material.split_first() else {
        return Err(NoteError::BadVerifierKey);
    };
    let public: [u8; 32] = public
        .try_into()
        .map_err(|_wrong_length| NoteError::BadVerifierKey)?;
    if kind != signature_type {
        return Err(NoteError::BadVerifierKey);
    }
    let key =
        VerifyingKey::from_bytes(&public).map_err(|_not_a_point| NoteError::BadVerifierKey)?;
    if key_id(name, signature_type, &public) != id {
        return Err(NoteError::VerifierKeyIdMismatch);
    }
    Ok((name.to_owned(), id, key))
}

/// Prints a vkey of the given signature type.
pub(super) fn format_vkey(
    name: &str,
    key_id: [u8; 4],
    signature_type: u8,
    key: &VerifyingKey,
) -> String {
    let mut material = Vec::with_capacity(33);
    material.push(signature_type);
    material.extend_from_slice(key.as_bytes());
    format!(
        "{name}+{}+{}",
        hex::encode(key_id),
        Base64::encode_string(&material)
    )
}

/// A note whose signature by at least one trusted key verified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenedNote {
    /// The signed text, final newline included.
    pub text: String,
    /// The names of the trusted keys whose signatures verified, in note order, once each.
    pub verified_by: Vec<String>,
    /// How many distinct signature lines came from keys not trusted here (kept in the note,
    /// never believed).
    pub unverified_lines: usize,
}

/// Opens a signed note: checks its syntax and bounds, verifies every signature by a trusted
/// key (one that fails rejects the note), and requires at least one.
pub fn open(note: &str, verifiers: &[NoteVerifier]) -> Result<OpenedNote, NoteError> {
    let (text, lines) = parse_note(note)?;
    let mut verified_by: Vec<String> = Vec::new();
    let mut verified_lines: Vec<&SignatureLine> = Vec::new();
    let mut unverified: Vec<&SignatureLine> = Vec::new();
    for line in &lines {
        let mut known = verifiers.iter().filter(|v| v.matches(line));
        let Some(verifier) = known.next() else {
            if !unverified.contains(&line) {
                unverified.push(line);
            }
            continue;
        };
        if known.any(|other| other.key != verifier.key) {
            return Err(NoteError::AmbiguousKey {
                name: line.name.clone(),
            });
        }
        if verified_lines.contains(&line) {
            continue;
        }
        let valid = Signature::from_slice(&line.signature).is_ok_and(|signature| {
            verifier
                .key
                .verify_strict(text.as_bytes(), &signature)
                .is_ok()
        });
        if !valid {
            return Err(NoteError::InvalidSignature {
                name: line.name.clone(),
            });
        }
        verified_lines.push(line);
        if !verified_by.contains(&line.name) {
            verified_by.push(line.name.clone());
        }
    }
    if verified_by.is_empty() {
        return Err(NoteError::NoVerifiedSignature);
    }
    Ok(OpenedNote {
        text: text.to_owned(),
        verified_by,
        unverified_lines: unverified.len(),
    })
}

#[cfg(test)]
mod tests;
