//! The log key and signed checkpoints. The log key (`relay-log.key`, Ed25519, 0600, made on
//! first start, in `export-keys`/`import-keys`) signs only checkpoints: not receipts, not
//! certificates. A checkpoint is a C2SP tlog-checkpoint body (origin, size, root) inside a
//! C2SP signed note whose key name is the origin ([`kiosk_core::tlog`]). The origin names
//! this log: the `log_origin` setting, else `kiosk-relay/<16 hex of SHA-256 of the log key's
//! public half>`, so two relays never share one by accident.
//!
//! The store records the key's public half and origin ([`load_for_store`]): once the log has
//! leaves, a relay started with another key (the file lost, or swapped) or another origin is
//! refused with what to do, instead of every tablet and witness seeing a fork.

use std::path::Path;

use ed25519_dalek::{SigningKey, VerifyingKey};
use kiosk_core::tlog::checkpoint::Checkpoint;
use kiosk_core::tlog::note::{self, NoteSigner, NoteVerifier};
use sha2::{Digest, Sha256};

use super::verify::Saved;
use crate::storage::{LogKeyBinding, LogTip, RelayStore};

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

/// Loads the log key from `data_dir` for the log in `store`, signing for `origin` (or the
/// default), and binds the store to it (see [`crate::storage::TransparencyLogStore::bind_log_key`]).
/// Once the log has leaves, a missing key file is refused before a new one is made, and a
/// key or origin other than the recorded one is refused: each names the file or setting and
/// what to do. Blocking.
pub fn load_for_store(
    data_dir: &Path,
    origin: Option<&str>,
    store: &dyn RelayStore,
) -> Result<LogKey, Box<dyn std::error::Error + Send + Sync>> {
    let path = data_dir.join(LOG_KEY_FILE);
    // Cheap checks first: a lost file is refused before a new key is written in its place.
    if !path.exists() && store.recorded_log_key()?.is_some() && store.log_tip()?.size > 0 {
        return Err(format!(
            "{LOG_KEY_FILE} is missing from {dir}, but this database's transparency log is \
             signed with a log key: a new key would make every tablet and witness see a \
             forked log. Restore {LOG_KEY_FILE} (mode 0600) from the backup of `export-keys` \
             (`import-keys`), or copy it from a relay instance that serves this database, then \
             start again. / {LOG_KEY_FILE} saknas i {dir}, men databasens transparenslogg är \
             signerad med en loggnyckel: återställ filen från säkerhetskopian av \
             `export-keys` (`import-keys`) och starta igen.",
            dir = data_dir.display()
        )
        .into());
    }
    let key = LogKey::load_or_create(data_dir, origin)?;
    let ours = LogKeyBinding {
        public_key: key.verifier().verifying_key().to_bytes(),
        origin: key.origin().to_owned(),
    };
    let bound = store.bind_log_key(&ours)?;
    if bound.public_key != ours.public_key {
        return Err(format!(
            "{LOG_KEY_FILE} in {dir} is not the log key this database's transparency log is \
             signed with (its key begins {recorded}, this file's {found}): signing on would make \
             every tablet and witness see a forked log. Move this file aside and restore the \
             log's {LOG_KEY_FILE} (mode 0600) from the backup of `export-keys` (`import-keys`), or copy it from a \
             relay instance that serves this database, then start again. / {LOG_KEY_FILE} i \
             {dir} är inte loggnyckeln som databasens transparenslogg är signerad med: \
             flytta undan filen, återställ den från säkerhetskopian av `export-keys` \
             (`import-keys`) och starta igen.",
            dir = data_dir.display(),
            recorded = hex::encode(&bound.public_key[..4]),
            found = hex::encode(&ours.public_key[..4]),
        )
        .into());
    }
    if bound.origin != ours.origin {
        return Err(format!(
            "the log origin is {found:?}, but this database's transparency log is signed for \
             {recorded:?}: tablets and witnesses know the log by its origin, so a new one would \
             read as another log. Set `log_origin` back to {recorded:?} (or remove the setting \
             if that is the default origin), then start again. / Loggens ursprung är {found:?} \
             men databasens transparenslogg är signerad för {recorded:?}: ställ tillbaka \
             `log_origin` och starta igen.",
            found = ours.origin,
            recorded = bound.origin,
        )
        .into());
    }
    Ok(key)
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

    fn refusal(result: Result<LogKey, Box<dyn std::error::Error + Send + Sync>>) -> String {
        match result {
            Ok(_) => panic!("expected a refusal"),
            Err(e) => e.to_string(),
        }
    }

    #[test]
    fn a_lost_swapped_or_renamed_log_key_is_refused_at_start_once_the_log_has_leaves() {
        let dir = tempfile::tempdir().expect("a directory");
        let store =
            crate::storage::SqliteStore::open(&dir.path().join("relay.sqlite3")).expect("a store");
        // An empty log takes a new key: nothing has been signed that anyone trusts.
        let first = load_for_store(dir.path(), None, &store).expect("first start");
        std::fs::remove_file(dir.path().join(LOG_KEY_FILE)).expect("removes");
        let first = {
            drop(first);
            load_for_store(dir.path(), None, &store).expect("a new key while empty")
        };
        crate::storage::ingest_generated_for_tests(&store, 1);
        let again = load_for_store(dir.path(), None, &store).expect("the same key again");
        assert_eq!(again.origin(), first.origin());

        let kept = std::fs::read(dir.path().join(LOG_KEY_FILE)).expect("reads");
        std::fs::remove_file(dir.path().join(LOG_KEY_FILE)).expect("removes");
        let told = refusal(load_for_store(dir.path(), None, &store));
        assert!(told.contains("relay-log.key is missing") && told.contains("export-keys"));
        assert!(
            !dir.path().join(LOG_KEY_FILE).exists(),
            "no new key is made in the lost one's place"
        );

        crate::keys::write_new_secret(&dir.path().join(LOG_KEY_FILE), &[9; 32])
            .expect("another key");
        let told = refusal(load_for_store(dir.path(), None, &store));
        assert!(told.contains("is not the log key") && told.contains("export-keys"));

        std::fs::remove_file(dir.path().join(LOG_KEY_FILE)).expect("removes");
        crate::keys::write_new_secret(
            &dir.path().join(LOG_KEY_FILE),
            &kept.try_into().expect("32 bytes"),
        )
        .expect("back");
        let told = refusal(load_for_store(
            dir.path(),
            Some("relay.example/renamed"),
            &store,
        ));
        assert!(told.contains("log_origin") && told.contains(first.origin()));
        load_for_store(dir.path(), None, &store).expect("the restored key and origin start");
    }
}
