//! Relay-signed checkpoints of the access log, kept outside the database.
//!
//! The hash chain shows an entry edited, removed or reordered, but not entries cut off its
//! end: a shorter chain is still a valid chain. A checkpoint is the log's length and head
//! hash at a moment, signed by the relay (tag `kiosk-access-checkpoint-v1`) and written to
//! a file that can be copied anywhere (an archive, a mail to the data protection officer).
//! Checked later against the log, it proves the log still holds those entries unchanged.
//! `serve` writes one a day into the data directory's `access-checkpoints/`.

use std::path::{Path, PathBuf};

use ed25519_dalek::VerifyingKey;
use kiosk_core::ids::Timestamp;
use kiosk_core::protocol::SignedEnvelope;
use serde::{Deserialize, Serialize};

use crate::keys::RelayKeys;
use crate::storage::{RelayStore, StorageError};

/// Domain tag of a checkpoint's signature.
pub const CHECKPOINT_TAG: &[u8] = b"kiosk-access-checkpoint-v1";

/// The folder under the data directory `serve` writes daily checkpoints to.
pub const CHECKPOINT_DIR: &str = "access-checkpoints";

/// What a checkpoint states.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessCheckpoint {
    pub version: u16,
    /// Entries in the log when it was taken.
    pub entries: u64,
    /// The hash of the last of them.
    #[serde(with = "kiosk_core::cbor::array")]
    pub head: [u8; 32],
    /// Relay time it was taken.
    pub at: i64,
}

/// Why a checkpoint was not made or does not hold.
#[derive(Debug, thiserror::Error)]
pub enum CheckpointError {
    #[error("the access log's chain is broken at entry {0}; no checkpoint is signed over it")]
    Broken(u64),
    #[error("the checkpoint file is not a checkpoint signed by this relay's key")]
    NotSigned,
    #[error(
        "the access log holds {log} entries, fewer than the {checkpoint} the checkpoint of {at} \
         names: entries were cut off its end"
    )]
    Cut {
        checkpoint: u64,
        log: u64,
        at: String,
    },
    #[error("entry {entries} of the access log is not the one the checkpoint of {at} names")]
    Rewritten { entries: u64, at: String },
    #[error("{0}")]
    Storage(#[from] StorageError),
    #[error("checkpoint file {path}: {source}")]
    File {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// Signs the log's current length and head; refuses over a broken chain.
pub fn sign(
    store: &dyn RelayStore,
    keys: &RelayKeys,
    now: i64,
) -> Result<(AccessCheckpoint, Vec<u8>), CheckpointError> {
    let verdict = store.verify_access_log()?;
    if let Some(broken) = verdict.broken_at {
        return Err(CheckpointError::Broken(broken));
    }
    let checkpoint = AccessCheckpoint {
        version: 1,
        entries: verdict.entries,
        head: verdict.head,
        at: now,
    };
    let bytes = SignedEnvelope::sign(CHECKPOINT_TAG, &checkpoint, &keys.signing).to_bytes();
    Ok((checkpoint, bytes))
}

/// Writes a signed checkpoint to `path`, which must not exist yet.
pub fn write(
    store: &dyn RelayStore,
    keys: &RelayKeys,
    path: &Path,
    now: i64,
) -> Result<AccessCheckpoint, CheckpointError> {
    let (checkpoint, bytes) = sign(store, keys, now)?;
    let file_error = |source| CheckpointError::File {
        path: path.to_owned(),
        source,
    };
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).map_err(file_error)?;
    }
    use std::io::Write;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
        .map_err(file_error)?;
    file.write_all(&bytes).map_err(file_error)?;
    file.sync_all().map_err(file_error)?;
    Ok(checkpoint)
}

/// The file name of the checkpoint taken at `now` (UTC, to the minute).
pub fn file_name(now: i64) -> String {
    let minutes = Timestamp(now)
        .utc_minutes()
        .trim_end_matches(" UTC")
        .replace([' ', ':'], "-");
    format!("access-log-{minutes}.checkpoint")
}

/// Checks a checkpoint file's signature with the relay's key, then that the log still holds
/// the entries it names, unchanged.
pub fn check(
    store: &dyn RelayStore,
    relay_key: &VerifyingKey,
    bytes: &[u8],
) -> Result<AccessCheckpoint, CheckpointError> {
    let envelope = SignedEnvelope::from_bytes(bytes).map_err(|_| CheckpointError::NotSigned)?;
    envelope
        .verify(CHECKPOINT_TAG, relay_key)
        .map_err(|_| CheckpointError::NotSigned)?;
    let checkpoint: AccessCheckpoint = envelope.decode().map_err(|_| CheckpointError::NotSigned)?;
    let at = Timestamp(checkpoint.at).utc_minutes();
    let verdict = store.verify_access_log()?;
    if let Some(broken) = verdict.broken_at {
        return Err(CheckpointError::Broken(broken));
    }
    if verdict.entries < checkpoint.entries {
        return Err(CheckpointError::Cut {
            checkpoint: checkpoint.entries,
            log: verdict.entries,
            at,
        });
    }
    let head = if checkpoint.entries == 0 {
        Some([0; 32])
    } else {
        store.access_log_entry_hash(checkpoint.entries)?
    };
    if head != Some(checkpoint.head) {
        return Err(CheckpointError::Rewritten {
            entries: checkpoint.entries,
            at,
        });
    }
    Ok(checkpoint)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::storage::{AccessAction, AccessEntry, Accessor, SqliteStore};

    fn keys() -> RelayKeys {
        RelayKeys::from_seeds([1; 32], [2; 32])
    }

    /// A store in a file (so a test can tamper with it) whose log holds `n` entries,
    /// appended through the store's own append.
    fn log_of(n: u64) -> (tempfile::TempDir, std::path::PathBuf, SqliteStore) {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("relay.sqlite3");
        let store = SqliteStore::open(&path).expect("store");
        let entries: Vec<AccessEntry> = (1..=n)
            .map(|i| AccessEntry {
                at: i as i64,
                accessor: Accessor::Operator("hr".into()),
                action: AccessAction::Read,
                doc_id: format!("doc-{i}"),
            })
            .collect();
        store.append_access_for_tests(&entries).expect("appends");
        (dir, path, store)
    }

    /// Cuts the log in the file after entry `seq`, as a hand with write access could.
    fn cut_after(path: &std::path::Path, seq: u64) {
        let conn = rusqlite::Connection::open(path).expect("opens");
        conn.execute_batch("DROP TRIGGER access_log_no_delete;")
            .expect("drops the trigger");
        conn.execute("DELETE FROM access_log WHERE seq > ?1", [seq as i64])
            .expect("cuts");
    }

    #[test]
    fn a_checkpoint_holds_while_the_log_only_grows() {
        let (_dir, _path, store) = log_of(3);
        let (checkpoint, bytes) = sign(&store, &keys(), 10).expect("signs");
        assert_eq!(checkpoint.entries, 3);
        store
            .append_access_for_tests(&[AccessEntry {
                at: 11,
                accessor: Accessor::Operator("hr".into()),
                action: AccessAction::Read,
                doc_id: "doc-4".into(),
            }])
            .expect("appends");
        let key = keys().signing.verifying_key();
        assert_eq!(check(&store, &key, &bytes).expect("holds"), checkpoint);
        let empty = log_of(0).2;
        let (_, zero) = sign(&empty, &keys(), 1).expect("signs");
        assert!(
            check(&empty, &key, &zero).is_ok(),
            "an empty log's checkpoint holds"
        );
    }

    #[test]
    fn entries_cut_off_the_end_break_a_checkpoint() {
        let (_dir, path, store) = log_of(5);
        let (_, bytes) = sign(&store, &keys(), 10).expect("signs");
        cut_after(&path, 3);
        let key = keys().signing.verifying_key();
        let error = check(&store, &key, &bytes).expect_err("cut");
        assert!(
            matches!(
                error,
                CheckpointError::Cut {
                    checkpoint: 5,
                    log: 3,
                    ..
                }
            ),
            "{error}"
        );
    }

    #[test]
    fn a_chain_rebuilt_after_its_end_was_replaced_breaks_a_checkpoint() {
        let (_dir, path, store) = log_of(5);
        let (_, bytes) = sign(&store, &keys(), 10).expect("signs");
        cut_after(&path, 3);
        // Two other entries in their place: the chain is whole again, five long.
        let other: Vec<AccessEntry> = (4..=5)
            .map(|i| AccessEntry {
                at: i,
                accessor: Accessor::Operator("someone else".into()),
                action: AccessAction::Read,
                doc_id: format!("doc-{i}"),
            })
            .collect();
        store.append_access_for_tests(&other).expect("appends");
        assert_eq!(store.verify_access_log().expect("verifies").broken_at, None);
        let error = check(&store, &keys().signing.verifying_key(), &bytes).expect_err("caught");
        assert!(
            matches!(error, CheckpointError::Rewritten { entries: 5, .. }),
            "{error}"
        );
    }

    #[test]
    fn a_checkpoint_of_another_key_or_altered_is_not_taken() {
        let (_dir, _path, store) = log_of(2);
        let (_, mut bytes) = sign(&store, &keys(), 10).expect("signs");
        let other = RelayKeys::from_seeds([9; 32], [2; 32])
            .signing
            .verifying_key();
        assert!(matches!(
            check(&store, &other, &bytes),
            Err(CheckpointError::NotSigned)
        ));
        let last = bytes.len() - 1;
        bytes[last] ^= 1;
        assert!(matches!(
            check(&store, &keys().signing.verifying_key(), &bytes),
            Err(CheckpointError::NotSigned)
        ));
    }

    #[test]
    fn a_file_name_sorts_by_time() {
        assert_eq!(
            file_name(1_772_352_000_000),
            "access-log-2026-03-01-08-00.checkpoint"
        );
    }
}
