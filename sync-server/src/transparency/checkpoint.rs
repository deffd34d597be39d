//! The log key and signed checkpoints. The log key (`relay-log.key`, Ed25519, 0600, made on
//! first start, in `export-keys`/`import-keys`) signs only checkpoints: not receipts, not
//! certificates. A checkpoint is a C2SP tlog-checkpoint body (origin, size, root) inside a
//! C2SP signed note whose key name is the origin ([`kiosk_core::tlog`]). The origin names
//! this log: the `log_origin` setting, else `kiosk-relay/<16 hex of SHA-256 of the log key's
//! public half>`, so two relays never share one by accident.
//!
//! The store records the key's public half and origin ([`load_for_store`]) at first start:
//! tablets enroll with it, so a relay started later with another key (the file lost, or
//! swapped) or another origin is refused with what to do, instead of every tablet and
//! witness seeing a fork. The first instance to record a key wins: one started at the same
//! time with another key is refused at once. Only `serve --new-log-key` replaces it, only
//! while the log is empty, and only the key recorded when that instance started.

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

/// The refusal of a start whose log key file is gone while the store shows a log signed
/// with one.
fn missing_key(data_dir: &Path, why: &str) -> Box<dyn std::error::Error + Send + Sync> {
    format!(
        "{LOG_KEY_FILE} is missing from {dir}, but {why}: a new key would make every tablet \
         and witness see a forked log. Restore {LOG_KEY_FILE} (mode 0600) from the backup of \
         `export-keys` (`import-keys`), or copy it from a relay instance that serves this \
         database, then start again. / {LOG_KEY_FILE} saknas i {dir}, men databasens \
         transparenslogg har redan en loggnyckel: återställ filen från säkerhetskopian av \
         `export-keys` (`import-keys`) och starta igen.",
        dir = data_dir.display()
    )
    .into()
}

/// Refuses to go on when `data_dir` has no log key file but the log in `store` already has
/// one: a key is recorded (unless `new_log_key` and the log is still empty), or, in a store
/// from before keys were recorded, the log holds a leaf other than the upgrade's
/// `accepted-before-log` ones or a witness's cosignature. Called before any key is made, so
/// the refused data directory still takes `import-keys`. Blocking.
pub fn refuse_lost_log_key(
    data_dir: &Path,
    store: &dyn RelayStore,
    new_log_key: bool,
) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    if data_dir.join(LOG_KEY_FILE).exists() {
        return Ok(());
    }
    if store.recorded_log_key()?.is_some() {
        if !new_log_key {
            return Err(missing_key(
                data_dir,
                "this database records the log key its transparency log is signed with \
                 (tablets enrolled since carry it)",
            ));
        }
        if store.log_tip()?.size > 0 {
            return Err(missing_key(
                data_dir,
                "this database's transparency log has leaves signed with a log key \
                 (--new-log-key only replaces the key of an empty log)",
            ));
        }
        return Ok(());
    }
    if signed_beyond_backfill(store)? {
        return Err(missing_key(
            data_dir,
            "this database's transparency log has leaves or cosignatures made under a log key",
        ));
    }
    Ok(())
}

/// Whether the log holds anything a log key vouched for to others: a witness's cosignature,
/// or a leaf other than `accepted-before-log` (those are appended once, first, when the
/// store is upgraded to a log, so the newest leaf tells).
fn signed_beyond_backfill(store: &dyn RelayStore) -> Result<bool, crate::storage::StorageError> {
    if !store.cosigned_by_all(u64::MAX, &[], 1)?.is_empty() {
        return Ok(true);
    }
    let size = store.log_tip()?.size;
    if size == 0 {
        return Ok(false);
    }
    let newest = store.log_leaves(size - 1, 1)?;
    let kind = newest.first().and_then(|leaf| leaf.get(1)).copied();
    Ok(kind != Some(super::leaf::LeafKind::AcceptedBeforeLog as u8))
}

/// Loads the log key from `data_dir` for the log in `store`, signing for `origin` (or the
/// default), and binds the store to it (see [`crate::storage::TransparencyLogStore::bind_log_key`]).
/// A missing key file is refused before a new one is made ([`refuse_lost_log_key`]), and a
/// key or origin other than the recorded one is refused: each names the file or setting and
/// what to do. `new_log_key` (`serve --new-log-key`) lets this key replace the recorded one
/// while the log is empty. Blocking.
pub fn load_for_store(
    data_dir: &Path,
    origin: Option<&str>,
    store: &dyn RelayStore,
    new_log_key: bool,
) -> Result<LogKey, Box<dyn std::error::Error + Send + Sync>> {
    // Cheap checks first: a lost file is refused before a new key is written in its place.
    refuse_lost_log_key(data_dir, store, new_log_key)?;
    // What `--new-log-key` replaces: the key recorded now, not one another instance records
    // while this one starts (that one is kept, and this instance refused).
    let replacing = if new_log_key {
        store.recorded_log_key()?
    } else {
        None
    };
    let key = LogKey::load_or_create(data_dir, origin)?;
    let bound = store.bind_log_key(&binding_of(&key), replacing.as_ref())?;
    check_binding(data_dir, &key, &bound, new_log_key)?;
    Ok(key)
}

/// The log key in `data_dir` for an admin command: never made nor bound, only compared with
/// the one `store` records (a store whose relay never started records none). Blocking.
pub fn check_for_store(
    data_dir: &Path,
    origin: Option<&str>,
    store: &dyn RelayStore,
) -> Result<LogKey, Box<dyn std::error::Error + Send + Sync>> {
    if !data_dir.join(LOG_KEY_FILE).exists() {
        return Err(format!(
            "no {LOG_KEY_FILE} in {dir}: start the relay (`serve`) once, or restore the file \
             from the backup of `export-keys` (`import-keys`). / Ingen {LOG_KEY_FILE} i {dir}.",
            dir = data_dir.display()
        )
        .into());
    }
    let key = LogKey::load_or_create(data_dir, origin)?;
    if let Some(recorded) = store.recorded_log_key()? {
        check_binding(data_dir, &key, &recorded, false)?;
    }
    Ok(key)
}

fn binding_of(key: &LogKey) -> LogKeyBinding {
    LogKeyBinding {
        public_key: key.verifier().verifying_key().to_bytes(),
        origin: key.origin().to_owned(),
    }
}

/// Refuses `key` unless it is the recorded key and origin (`bound`).
fn check_binding(
    data_dir: &Path,
    key: &LogKey,
    bound: &LogKeyBinding,
    new_log_key: bool,
) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    let ours = binding_of(key);
    // What an operator who wanted a new key may do, and only while nothing is signed.
    let replacement = if new_log_key {
        "--new-log-key replaces the key only while the log is empty, and never one another \
         relay instance recorded while this one started: this log has leaves, or another \
         instance recorded its key first"
    } else {
        "if another relay instance started at the same time recorded its key first, copy its \
         file here; while the log is still empty, `serve --new-log-key` records this key and \
         origin instead, and every tablet enrolled since must enroll again"
    };
    if bound.public_key != ours.public_key {
        return Err(format!(
            "{LOG_KEY_FILE} in {dir} is not the log key this database's transparency log is \
             signed with (its key begins {recorded}, this file's {found}): signing on would make \
             every tablet and witness see a forked log. Move this file aside and restore the \
             log's {LOG_KEY_FILE} (mode 0600) from the backup of `export-keys` (`import-keys`), \
             or copy it from a relay instance that serves this database, then start again \
             ({replacement}). / {LOG_KEY_FILE} i {dir} är inte loggnyckeln som databasens \
             transparenslogg är signerad med: flytta undan filen, återställ den från \
             säkerhetskopian av `export-keys` (`import-keys`) och starta igen.",
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
             if that is the default origin), then start again ({replacement}). / Loggens \
             ursprung är {found:?} men databasens transparenslogg är signerad för \
             {recorded:?}: ställ tillbaka `log_origin` och starta igen.",
            found = ours.origin,
            recorded = bound.origin,
        )
        .into());
    }
    Ok(())
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
    use crate::storage::SqliteStore;
    use crate::storage::traits::{CosignatureStore, TransparencyLogStore};

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
    fn a_lost_swapped_or_renamed_log_key_is_refused_at_start_even_while_the_log_is_empty() {
        let dir = tempfile::tempdir().expect("a directory");
        let store =
            crate::storage::SqliteStore::open(&dir.path().join("relay.sqlite3")).expect("a store");
        let first = load_for_store(dir.path(), None, &store, false).expect("first start");
        let kept = std::fs::read(dir.path().join(LOG_KEY_FILE)).expect("reads");

        // Empty, but tablets enrolled since the first start carry its key.
        std::fs::remove_file(dir.path().join(LOG_KEY_FILE)).expect("removes");
        let told = refusal(load_for_store(dir.path(), None, &store, false));
        assert!(told.contains("relay-log.key is missing") && told.contains("export-keys"));
        assert!(
            !dir.path().join(LOG_KEY_FILE).exists(),
            "no new key is made in the lost one's place"
        );
        crate::keys::write_new_secret(&dir.path().join(LOG_KEY_FILE), &[9; 32])
            .expect("another key");
        let told = refusal(load_for_store(dir.path(), None, &store, false));
        assert!(told.contains("is not the log key") && told.contains("--new-log-key"));
        let told = refusal(load_for_store(
            dir.path(),
            Some("relay.example/renamed"),
            &store,
            false,
        ));
        assert!(told.contains("is not the log key"), "{told}");
        // An admin command compares and binds nothing.
        let told = refusal(check_for_store(dir.path(), None, &store));
        assert!(told.contains("is not the log key"), "{told}");
        assert_eq!(
            store
                .recorded_log_key()
                .expect("reads")
                .map(|k| k.public_key),
            Some(first.verifier().verifying_key().to_bytes())
        );

        // The operator's explicit choice, while the log is empty.
        let replaced = load_for_store(dir.path(), None, &store, true).expect("replaced");
        assert_ne!(replaced.origin(), first.origin());
        std::fs::remove_file(dir.path().join(LOG_KEY_FILE)).expect("removes");
        crate::keys::write_new_secret(
            &dir.path().join(LOG_KEY_FILE),
            &kept.clone().try_into().expect("32 bytes"),
        )
        .expect("back");
        let first = load_for_store(dir.path(), None, &store, true).expect("back while empty");

        crate::storage::ingest_generated_for_tests(&store, 1);
        let again = load_for_store(dir.path(), None, &store, false).expect("the same key again");
        assert_eq!(again.origin(), first.origin());
        std::fs::remove_file(dir.path().join(LOG_KEY_FILE)).expect("removes");
        let told = refusal(load_for_store(dir.path(), None, &store, true));
        assert!(told.contains("relay-log.key is missing") && told.contains("empty log"));
        crate::keys::write_new_secret(&dir.path().join(LOG_KEY_FILE), &[9; 32])
            .expect("another key");
        let told = refusal(load_for_store(dir.path(), None, &store, true));
        assert!(told.contains("is not the log key") && told.contains("has leaves"));

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
            false,
        ));
        assert!(told.contains("log_origin") && told.contains(first.origin()));
        check_for_store(dir.path(), None, &store).expect("an admin command takes the same key");
        load_for_store(dir.path(), None, &store, false).expect("the restored key and origin start");
    }

    /// A store from before the key was recorded (schema 16) with `count` captures, whose
    /// leaves are then all marked `accepted-before-log` when `backfill_only`: as a relay
    /// upgraded from before the log holds them.
    fn unbound_store(count: usize, backfill_only: bool) -> (tempfile::TempDir, SqliteStore) {
        let dir = tempfile::tempdir().expect("a directory");
        let path = dir.path().join("relay.sqlite3");
        let store = SqliteStore::open(&path).expect("a store");
        crate::storage::ingest_generated_for_tests(&store, count);
        if backfill_only {
            let editor = rusqlite::Connection::open(&path).expect("opens");
            editor
                .execute_batch("DROP TRIGGER tlog_leaves_no_update;")
                .expect("drops the trigger");
            let leaves: Vec<(i64, Vec<u8>)> = editor
                .prepare("SELECT idx, leaf FROM tlog_leaves")
                .expect("prepares")
                .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
                .expect("reads")
                .collect::<Result<_, _>>()
                .expect("reads");
            for (idx, mut leaf) in leaves {
                leaf[1] = crate::transparency::leaf::LeafKind::AcceptedBeforeLog as u8;
                editor
                    .execute(
                        "UPDATE tlog_leaves SET leaf = ?1 WHERE idx = ?2",
                        rusqlite::params![leaf, idx],
                    )
                    .expect("writes");
            }
        }
        assert_eq!(store.recorded_log_key().expect("reads"), None);
        (dir, store)
    }

    #[test]
    fn a_store_from_before_keys_were_recorded_is_refused_without_its_key_file_once_its_log_signed_more_than_the_upgrade()
     {
        let (dir, store) = unbound_store(1, false);
        let told = refusal(load_for_store(dir.path(), None, &store, true));
        assert!(told.contains("relay-log.key is missing"), "{told}");
        assert!(!dir.path().join(LOG_KEY_FILE).exists());
        assert_eq!(store.recorded_log_key().expect("reads"), None);

        let (dir, store) = unbound_store(0, false);
        store
            .store_cosignature(&crate::storage::StoredCosignature {
                witness: "witness.example".to_owned(),
                size: 0,
                root: [0; 32],
                time: 1,
                line: "— witness.example AAAA".to_owned(),
            })
            .expect("kept");
        let told = refusal(load_for_store(dir.path(), None, &store, false));
        assert!(told.contains("cosignatures"), "{told}");

        // Upgraded from before the log: its leaves are the upgrade's only, signed by no key
        // anyone has seen yet.
        let (dir, store) = unbound_store(2, true);
        load_for_store(dir.path(), None, &store, false).expect("starts with a new key");
        assert!(store.recorded_log_key().expect("reads").is_some());
    }
}
