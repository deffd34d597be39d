//! The log key and signed checkpoints. The log key (`relay-log.key`, Ed25519, 0600, made on
//! first start, in `export-keys`/`import-keys`) signs only checkpoints: not receipts, not
//! certificates. A checkpoint is a C2SP tlog-checkpoint body (origin, size, root) inside a
//! C2SP signed note whose key name is the origin ([`kiosk_core::tlog`]). The origin names
//! this log: the `log_origin` setting, else `kiosk-relay/<16 hex of SHA-256 of the log key's
//! public half>`, so two relays never share one by accident.

use std::path::Path;

use ed25519_dalek::{SigningKey, VerifyingKey};
use kiosk_core::tlog::checkpoint::Checkpoint;
use kiosk_core::tlog::note::{self, NoteSigner, NoteVerifier};
use sha2::{Digest, Sha256};

use super::verify::Saved;
use crate::storage::LogTip;

/// The log key's file in the data directory.
pub const LOG_KEY_FILE: &str = "relay-log.key";

/// The log key with the origin it signs for.
#[derive(Debug)]
pub struct LogKey {
    signer: NoteSigner,
}

/// The origin of a log whose key is `public`, when none is configured.
pub fn default_origin(public: &VerifyingKey) -> String {
    let digest = Sha256::digest(public.as_bytes());
    format!("kiosk-relay/{}", hex::encode(&digest[..8]))
}

/// Why an origin or a saved checkpoint was refused.
#[derive(Debug, thiserror::Error)]
pub enum CheckpointRefusal {
    #[error(
        "the log origin {0:?} is not usable as a key name: it must be non-empty, at most 256 \
         bytes, without spaces or '+'"
    )]
    BadOrigin(String),
    #[error("the checkpoint's signature does not verify with the log key: {0}")]
    Signature(String),
    #[error("the signed text is not a checkpoint: {0}")]
    NotACheckpoint(String),
    #[error("the checkpoint is of log {found:?}, not of this log ({expected:?})")]
    OtherLog { found: String, expected: String },
}

impl LogKey {
    /// The key from its 32-byte secret, signing for `origin` (or [`default_origin`]).
    pub fn from_secret(
        secret: &[u8; 32],
        origin: Option<&str>,
    ) -> Result<LogKey, CheckpointRefusal> {
        let key = SigningKey::from_bytes(secret);
        let origin = origin
            .map(str::to_owned)
            .unwrap_or_else(|| default_origin(&key.verifying_key()));
        let signer =
            NoteSigner::new(&origin, &key).map_err(|_| CheckpointRefusal::BadOrigin(origin))?;
        Ok(LogKey { signer })
    }

    /// Loads the key from `data_dir`, making it (0600) on first start.
    pub fn load_or_create(
        data_dir: &Path,
        origin: Option<&str>,
    ) -> Result<LogKey, Box<dyn std::error::Error + Send + Sync>> {
        crate::private_files::create_dir(data_dir)?;
        let secret = zeroize::Zeroizing::new(crate::keys::read_or_make_secret(
            &data_dir.join(LOG_KEY_FILE),
        )?);
        Ok(LogKey::from_secret(&secret, origin)?)
    }

    /// A random key, for a relay in memory (tests, the demo).
    pub fn random() -> LogKey {
        LogKey::from_secret(&rand::random(), None).expect("the default origin is a key name")
    }

    pub fn origin(&self) -> &str {
        self.signer.name()
    }

    /// The public half as a C2SP vkey (`<origin>+<key id>+<key>`), for tablets, witnesses and
    /// `verify-log`.
    pub fn verifier(&self) -> NoteVerifier {
        self.signer.verifier()
    }

    /// The signed checkpoint of `tip`.
    pub fn sign(&self, tip: LogTip) -> String {
        let body = Checkpoint::new(self.origin(), tip.size, tip.root).to_body();
        self.signer
            .sign(&body)
            .expect("a checkpoint body is a valid note text")
    }
}

/// Opens a saved signed checkpoint of the log `verifier` names: the signature by the log key
/// must verify (other signatures, a witness's, are kept but not needed), and the body must
/// be a checkpoint of this origin.
pub fn open_checkpoint(signed: &str, verifier: &NoteVerifier) -> Result<Saved, CheckpointRefusal> {
    let opened = note::open(signed, std::slice::from_ref(verifier))
        .map_err(|e| CheckpointRefusal::Signature(e.to_string()))?;
    let checkpoint = Checkpoint::parse(&opened.text)
        .map_err(|e| CheckpointRefusal::NotACheckpoint(e.to_string()))?;
    if checkpoint.origin != verifier.name() {
        return Err(CheckpointRefusal::OtherLog {
            found: checkpoint.origin,
            expected: verifier.name().to_owned(),
        });
    }
    Ok(Saved {
        size: checkpoint.size,
        root: checkpoint.root,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_signed_checkpoint_opens_with_the_log_keys_verifier_only() {
        let key = LogKey::from_secret(&[5; 32], None).expect("a key");
        assert!(key.origin().starts_with("kiosk-relay/"));
        let tip = LogTip {
            size: 7,
            root: [9; 32],
        };
        let signed = key.sign(tip);
        assert!(signed.starts_with(&format!("{}\n7\n", key.origin())));
        let saved = open_checkpoint(&signed, &key.verifier()).expect("opens");
        assert_eq!((saved.size, saved.root), (7, [9; 32]));
        // The printed vkey reads back as the same verifier.
        let vkey = NoteVerifier::parse(&key.verifier().to_string()).expect("parses");
        assert!(open_checkpoint(&signed, &vkey).is_ok());
        let other = LogKey::from_secret(&[6; 32], Some(key.origin())).expect("a key");
        assert!(matches!(
            open_checkpoint(&signed, &other.verifier()),
            Err(CheckpointRefusal::Signature(_))
        ));
        let altered = signed.replacen("\n7\n", "\n8\n", 1);
        assert!(open_checkpoint(&altered, &key.verifier()).is_err());
    }

    #[test]
    fn an_origin_that_cannot_name_a_key_is_refused() {
        assert!(matches!(
            LogKey::from_secret(&[5; 32], Some("two words")),
            Err(CheckpointRefusal::BadOrigin(_))
        ));
        let key = LogKey::from_secret(&[5; 32], Some("relay.myndighet.se/kiosk-log")).expect("ok");
        assert_eq!(key.origin(), "relay.myndighet.se/kiosk-log");
    }
}
