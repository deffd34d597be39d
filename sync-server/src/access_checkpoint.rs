//! Relay-signed checkpoints of the access log, kept outside the database.
//!
//! The hash chain shows an entry edited, removed or reordered, but not entries cut off its
//! end: a shorter chain is still a valid chain. A checkpoint is the log's length and head
//! hash at a moment, signed by the relay (tag `kiosk-access-checkpoint-v1`) and written to
//! a file that can be copied anywhere (an archive, a mail to the data protection officer).
//! Checked later against the log, it proves the log still holds those entries unchanged.
//! `serve` writes one a day into the data directory's `access-checkpoints/` (of one
//! instance among several on a shared store: [`crate::daily_checkpoint`]), and archivists
//! check the log against every file there ([`check_folder`]). A checkpoint whose entries
//! the log's own retention has removed cannot be checked any more, and says so.
//!
//! Each checkpoint also carries the transparency log's signed checkpoint of the same moment
//! ([`crate::transparency`]), so the copies kept elsewhere pin that log too: checking a file
//! recomputes the log's root at that size from the store and refuses a log cut back or
//! rewritten since.

use std::path::{Path, PathBuf};

use ed25519_dalek::VerifyingKey;
use kiosk_core::ids::Timestamp;
use kiosk_core::protocol::SignedEnvelope;
use serde::{Deserialize, Serialize};

use crate::keys::RelayKeys;
use crate::storage::{AccessLogHorizon, AccessLogVerdict, RelayStore, StorageError};
use crate::transparency::checkpoint::LogKey;
use crate::transparency::source::StoreSubtrees;

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
    /// The transparency log's signed checkpoint (a C2SP signed note) at the same moment;
    /// absent from checkpoints made before the log.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transparency_log: Option<String>,
}

/// Why a checkpoint was not made or does not hold; each says where in the log.
#[derive(Debug, thiserror::Error)]
pub enum CheckpointError {
    #[error("the access log's chain is broken at entry {0}; no checkpoint is signed over it")]
    Broken(u64),
    #[error("the checkpoint file is not a checkpoint signed by this relay's key")]
    NotSigned,
    #[error(
        "the access log's chain is broken at entry {broken_at}, within the {entries} entries \
         the checkpoint of {at} names: the log was altered at entry {broken_at}"
    )]
    BrokenWithin {
        broken_at: u64,
        entries: u64,
        at: String,
    },
    #[error(
        "the access log holds {log} entries, fewer than the {checkpoint} the checkpoint of {at} \
         names: entries {first_missing} to {checkpoint} were cut off its end",
        first_missing = .log + 1
    )]
    Cut {
        checkpoint: u64,
        log: u64,
        at: String,
    },
    #[error(
        "entry {entries} of the access log has another hash than the checkpoint of {at} names: \
         the log was altered at or before entry {entries}"
    )]
    Rewritten { entries: u64, at: String },
    #[error(
        "the transparency log holds {log} leaves, fewer than the {checkpoint} the checkpoint          of {at} names: leaves were cut off its end"
    )]
    TransparencyLogCut {
        checkpoint: u64,
        log: u64,
        at: String,
    },
    #[error(
        "the transparency log's first {size} leaves no longer give the root the checkpoint of          {at} names: the log was rewritten"
    )]
    TransparencyLogRewritten { size: u64, at: String },
    #[error("the checkpoint's transparency log checkpoint does not read: {0}")]
    TransparencyLogUnreadable(String),
    #[error("{0}")]
    Storage(#[from] StorageError),
    #[error("checkpoint file {path}: {source}")]
    File {
        path: PathBuf,
        source: std::io::Error,
    },
}

impl CheckpointError {
    /// The same finding in Swedish, for the console and the API's `problem_sv`.
    pub fn in_swedish(&self) -> String {
        match self {
            CheckpointError::Broken(at) => format!(
                "åtkomstloggens kedja är bruten vid post {at}; ingen kontrollpunkt signeras över den"
            ),
            CheckpointError::NotSigned => {
                "filen är inte en kontrollpunkt signerad med det här reläets nyckel".to_owned()
            }
            CheckpointError::BrokenWithin {
                broken_at,
                entries,
                at,
            } => format!(
                "åtkomstloggens kedja är bruten vid post {broken_at}, inom de {entries} poster \
                 som kontrollpunkten från {at} omfattar: loggen har ändrats vid post {broken_at}"
            ),
            CheckpointError::Cut {
                checkpoint,
                log,
                at,
            } => format!(
                "åtkomstloggen har {log} poster, färre än de {checkpoint} som kontrollpunkten \
                 från {at} omfattar: post {} till {checkpoint} har tagits bort från slutet",
                log + 1
            ),
            CheckpointError::Rewritten { entries, at } => format!(
                "post {entries} i åtkomstloggen har en annan hash än kontrollpunkten från {at} \
                 anger: loggen har ändrats vid eller före post {entries}"
            ),
            CheckpointError::TransparencyLogCut {
                checkpoint,
                log,
                at,
            } => format!(
                "transparensloggen har {log} löv, färre än de {checkpoint} som kontrollpunkten                  från {at} omfattar: löv har tagits bort från slutet"
            ),
            CheckpointError::TransparencyLogRewritten { size, at } => format!(
                "transparensloggens första {size} löv ger inte längre den rot som                  kontrollpunkten från {at} anger: loggen har skrivits om"
            ),
            CheckpointError::TransparencyLogUnreadable(_) => {
                "kontrollpunktens del för transparensloggen går inte att läsa".to_owned()
            }
            CheckpointError::Storage(_) => "reläets databas kunde inte läsas".to_owned(),
            CheckpointError::File { path, .. } => {
                format!("kontrollpunktsfilen {} kunde inte läsas", path.display())
            }
        }
    }
}

/// What a checkpoint check found, when nothing is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CheckpointVerdict {
    /// The log still holds the checkpoint's entries, unchanged.
    Holds(AccessCheckpoint),
    /// Every entry the checkpoint names is before the log's retention horizon: removed by
    /// the log's own retention, so there is nothing left to check it against.
    BeforeHorizon {
        checkpoint: AccessCheckpoint,
        first_kept: u64,
    },
}

impl CheckpointVerdict {
    pub fn checkpoint(&self) -> &AccessCheckpoint {
        match self {
            CheckpointVerdict::Holds(checkpoint)
            | CheckpointVerdict::BeforeHorizon { checkpoint, .. } => checkpoint,
        }
    }
}

/// The text of [`CheckpointVerdict::BeforeHorizon`], in English and Swedish.
pub const BEFORE_HORIZON: (&str, &str) = (
    "before the log's retention horizon; cannot be checked",
    "före loggens gallringsgräns; kan inte kontrolleras",
);

/// Signs the log's current length and head, with the transparency log's checkpoint signed by
/// `log_key`; refuses over a broken chain.
pub fn sign(
    store: &dyn RelayStore,
    keys: &RelayKeys,
    log_key: Option<&LogKey>,
    now: i64,
) -> Result<(AccessCheckpoint, Vec<u8>), CheckpointError> {
    let verdict = store.verify_access_log()?;
    if let Some(broken) = verdict.broken_at {
        return Err(CheckpointError::Broken(broken));
    }
    let transparency_log = match log_key {
        Some(key) => Some(key.sign(store.log_tip()?)),
        None => None,
    };
    let checkpoint = AccessCheckpoint {
        version: 1,
        entries: verdict.entries,
        head: verdict.head,
        at: now,
        transparency_log,
    };
    let bytes = SignedEnvelope::sign(CHECKPOINT_TAG, &checkpoint, &keys.signing).to_bytes();
    Ok((checkpoint, bytes))
}

/// Writes a signed checkpoint to `path`, which must not exist yet.
pub fn write(
    store: &dyn RelayStore,
    keys: &RelayKeys,
    log_key: Option<&LogKey>,
    path: &Path,
    now: i64,
) -> Result<AccessCheckpoint, CheckpointError> {
    let (checkpoint, bytes) = sign(store, keys, log_key, now)?;
    let file_error = |source| CheckpointError::File {
        path: path.to_owned(),
        source,
    };
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        crate::private_files::create_dir(parent).map_err(file_error)?;
    }
    write_new_file(path, &bytes).map_err(file_error)?;
    Ok(checkpoint)
}

/// At most this many checkpoints taken in the same millisecond get a name of their own.
const MAX_SAME_NAME: u32 = 1000;

/// Writes a signed checkpoint into `folder` under a name no other file there has: the
/// time to the millisecond ([`file_name`]), and a counter if that is taken (a relay
/// restarted within the same moment, or an operator's command beside it). Returns the
/// checkpoint and the file it went to.
pub fn write_in_folder(
    store: &dyn RelayStore,
    keys: &RelayKeys,
    log_key: Option<&LogKey>,
    folder: &Path,
    now: i64,
) -> Result<(AccessCheckpoint, PathBuf), CheckpointError> {
    let (checkpoint, bytes) = sign(store, keys, log_key, now)?;
    let folder_error = |source| CheckpointError::File {
        path: folder.to_owned(),
        source,
    };
    crate::private_files::create_dir(folder).map_err(folder_error)?;
    let base = file_name(now);
    let stem = base.trim_end_matches(".checkpoint");
    for n in 1..=MAX_SAME_NAME {
        let name = if n == 1 {
            base.clone()
        } else {
            format!("{stem}-{n}.checkpoint")
        };
        let path = folder.join(name);
        match write_new_file(&path, &bytes) {
            Ok(()) => return Ok((checkpoint, path)),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(source) => return Err(CheckpointError::File { path, source }),
        }
    }
    Err(folder_error(std::io::Error::new(
        std::io::ErrorKind::AlreadyExists,
        format!("{MAX_SAME_NAME} checkpoints of the same millisecond exist already"),
    )))
}

/// Creates `path` (never overwriting) with `bytes`, durably, readable by the relay's user
/// only. The bytes go to a temporary file first, which is then linked under `path`: a
/// process stopped midway leaves no half-written checkpoint under a checkpoint's name.
fn write_new_file(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let temporary = path.with_extension(format!("partial-{}", std::process::id()));
    let written = (|| {
        let mut file = crate::private_files::new_file_options()
            .write(true)
            .create(true)
            .truncate(true)
            .open(&temporary)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        // A link never replaces an existing file: the name is taken as `create_new` would.
        std::fs::hard_link(&temporary, path)
    })();
    let _ = std::fs::remove_file(&temporary);
    written
}

/// The file name of the checkpoint taken at `now`: UTC to the millisecond, so names sort
/// by time and relays restarted within the same minute do not collide.
pub fn file_name(now: i64) -> String {
    let minutes = Timestamp(now)
        .utc_minutes()
        .trim_end_matches(" UTC")
        .replace([' ', ':'], "-");
    let millis = now.rem_euclid(60_000);
    format!(
        "access-log-{minutes}-{:02}-{:03}.checkpoint",
        millis / 1000,
        millis % 1000
    )
}

/// Checks a checkpoint file's signature with the relay's keys (any it signed with, before
/// and after key rotations), then that the log still holds the entries it names, unchanged.
pub fn check(
    store: &dyn RelayStore,
    relay_keys: &[VerifyingKey],
    bytes: &[u8],
) -> Result<CheckpointVerdict, CheckpointError> {
    let checkpoint = open(relay_keys, bytes)?;
    let log = LogState::read(store)?;
    check_against(store, &log, checkpoint)
}

/// The checkpoint a file holds, if one of the relay's keys signed it.
fn open(relay_keys: &[VerifyingKey], bytes: &[u8]) -> Result<AccessCheckpoint, CheckpointError> {
    let envelope = SignedEnvelope::from_bytes(bytes).map_err(|_| CheckpointError::NotSigned)?;
    if !relay_keys
        .iter()
        .any(|key| envelope.verify(CHECKPOINT_TAG, key).is_ok())
    {
        return Err(CheckpointError::NotSigned);
    }
    envelope.decode().map_err(|_| CheckpointError::NotSigned)
}

/// The log as checkpoints are checked against it: its chain walked once, and its horizon.
#[derive(Debug, Clone)]
pub struct LogState {
    pub chain: AccessLogVerdict,
    pub horizon: Option<AccessLogHorizon>,
}

impl LogState {
    pub fn read(store: &dyn RelayStore) -> Result<LogState, CheckpointError> {
        Ok(LogState {
            chain: store.verify_access_log()?,
            horizon: store.access_log_horizon()?,
        })
    }
}

/// Checks `checkpoint` against the log `log` describes. A break in the chain after the
/// checkpoint's last entry leaves it holding: the entries it names still verify.
fn check_against(
    store: &dyn RelayStore,
    log: &LogState,
    checkpoint: AccessCheckpoint,
) -> Result<CheckpointVerdict, CheckpointError> {
    let at = Timestamp(checkpoint.at).utc_minutes();
    if let Some(signed) = &checkpoint.transparency_log {
        transparency_log_holds(store, signed, &at)?;
    }
    if let Some(broken_at) = log.chain.broken_at
        && broken_at <= checkpoint.entries
    {
        return Err(CheckpointError::BrokenWithin {
            broken_at,
            entries: checkpoint.entries,
            at,
        });
    }
    if log.chain.entries < checkpoint.entries {
        return Err(CheckpointError::Cut {
            checkpoint: checkpoint.entries,
            log: log.chain.entries,
            at,
        });
    }
    let head = match &log.horizon {
        _ if checkpoint.entries == 0 => Some([0; 32]),
        // The entry before the horizon is gone, but the horizon kept its hash.
        Some(horizon) if checkpoint.entries + 1 == horizon.first_kept => {
            Some(horizon.last_removed_hash)
        }
        Some(horizon) if checkpoint.entries + 1 < horizon.first_kept => {
            let first_kept = horizon.first_kept;
            return Ok(CheckpointVerdict::BeforeHorizon {
                checkpoint,
                first_kept,
            });
        }
        _ => store.access_log_entry_hash(checkpoint.entries)?,
    };
    if head != Some(checkpoint.head) {
        return Err(CheckpointError::Rewritten {
            entries: checkpoint.entries,
            at,
        });
    }
    Ok(CheckpointVerdict::Holds(checkpoint))
}

/// Whether the transparency log still extends the tree `signed` names: not shorter, and its
/// first leaves still give that root (recomputed from the stored subtrees). The note was
/// signed by the relay with the whole checkpoint, so its own signature need not be checked
/// here (`verify-log` does, with the log key).
fn transparency_log_holds(
    store: &dyn RelayStore,
    signed: &str,
    at: &str,
) -> Result<(), CheckpointError> {
    let unreadable = |e: String| CheckpointError::TransparencyLogUnreadable(e);
    let (text, _) =
        kiosk_core::tlog::note::parse_note(signed).map_err(|e| unreadable(e.to_string()))?;
    let pinned = kiosk_core::tlog::checkpoint::Checkpoint::parse(text)
        .map_err(|e| unreadable(e.to_string()))?;
    let tip = store.log_tip()?;
    if tip.size < pinned.size {
        return Err(CheckpointError::TransparencyLogCut {
            checkpoint: pinned.size,
            log: tip.size,
            at: at.to_owned(),
        });
    }
    let rewritten = || CheckpointError::TransparencyLogRewritten {
        size: pinned.size,
        at: at.to_owned(),
    };
    if pinned.size == 0 {
        return Ok(());
    }
    // A subtree missing from the store is a damaged log as much as a changed one.
    let root = kiosk_core::tlog::tree::root(&StoreSubtrees(store), pinned.size)
        .map_err(|_| rewritten())?;
    if root != pinned.root {
        return Err(rewritten());
    }
    Ok(())
}

/// One checkpoint file's result.
#[derive(Debug)]
pub struct FileCheck {
    /// The file's name in the folder.
    pub file: String,
    /// What the file states, if the relay's key signed it.
    pub checkpoint: Option<AccessCheckpoint>,
    pub outcome: Result<CheckpointVerdict, CheckpointError>,
}

/// Checks every `*.checkpoint` file in `folder` (in name order, which is time order for the
/// daily ones) against the log, walking its chain once. A folder that does not exist yet
/// holds no checkpoints.
pub fn check_folder(
    store: &dyn RelayStore,
    relay_keys: &[VerifyingKey],
    folder: &Path,
) -> Result<(LogState, Vec<FileCheck>), CheckpointError> {
    let folder_error = |source| CheckpointError::File {
        path: folder.to_owned(),
        source,
    };
    let mut names: Vec<String> = match std::fs::read_dir(folder) {
        Ok(listing) => listing
            .filter_map(|entry| entry.ok())
            .filter_map(|entry| entry.file_name().into_string().ok())
            .filter(|name| name.ends_with(".checkpoint"))
            .collect(),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
        Err(e) => return Err(folder_error(e)),
    };
    names.sort();
    let log = LogState::read(store)?;
    let mut checks = Vec::with_capacity(names.len());
    for file in names {
        let path = folder.join(&file);
        let opened = std::fs::read(&path)
            .map_err(|source| CheckpointError::File { path, source })
            .and_then(|bytes| open(relay_keys, &bytes));
        let (checkpoint, outcome) = match opened {
            Ok(checkpoint) => (
                Some(checkpoint.clone()),
                check_against(store, &log, checkpoint),
            ),
            Err(error) => (None, Err(error)),
        };
        checks.push(FileCheck {
            file,
            checkpoint,
            outcome,
        });
    }
    Ok((log, checks))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::storage::prelude::*;
    use crate::storage::{AccessAction, AccessEntry, AccessLogPruning, Accessor, SqliteStore};

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
        let (checkpoint, bytes) = sign(&store, &keys(), None, 10).expect("signs");
        assert_eq!(checkpoint.entries, 3);
        store
            .append_access_for_tests(&[AccessEntry {
                at: 11,
                accessor: Accessor::Operator("hr".into()),
                action: AccessAction::Read,
                doc_id: "doc-4".into(),
            }])
            .expect("appends");
        let key = [keys().signing.verifying_key()];
        assert_eq!(
            check(&store, &key, &bytes).expect("holds"),
            CheckpointVerdict::Holds(checkpoint)
        );
        let empty = log_of(0).2;
        let (_, zero) = sign(&empty, &keys(), None, 1).expect("signs");
        assert!(
            check(&empty, &key, &zero).is_ok(),
            "an empty log's checkpoint holds"
        );
    }

    #[test]
    fn entries_cut_off_the_end_break_a_checkpoint() {
        let (_dir, path, store) = log_of(5);
        let (_, bytes) = sign(&store, &keys(), None, 10).expect("signs");
        cut_after(&path, 3);
        let key = [keys().signing.verifying_key()];
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
        let (_, bytes) = sign(&store, &keys(), None, 10).expect("signs");
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
        let error = check(&store, &[keys().signing.verifying_key()], &bytes).expect_err("caught");
        assert!(
            matches!(error, CheckpointError::Rewritten { entries: 5, .. }),
            "{error}"
        );
    }

    #[test]
    fn a_checkpoint_of_another_key_or_altered_is_not_taken() {
        let (_dir, _path, store) = log_of(2);
        let (_, mut bytes) = sign(&store, &keys(), None, 10).expect("signs");
        let other = RelayKeys::from_seeds([9; 32], [2; 32])
            .signing
            .verifying_key();
        assert!(matches!(
            check(&store, &[other], &bytes),
            Err(CheckpointError::NotSigned)
        ));
        let last = bytes.len() - 1;
        bytes[last] ^= 1;
        assert!(matches!(
            check(&store, &[keys().signing.verifying_key()], &bytes),
            Err(CheckpointError::NotSigned)
        ));
    }

    #[test]
    fn a_broken_chain_fails_the_checkpoints_that_cover_the_break_and_names_the_entry() {
        let (_dir, path, store) = log_of(6);
        let (_, early) = sign(&store, &keys(), None, 10).expect("signs");
        let conn = rusqlite::Connection::open(&path).expect("opens");
        conn.execute_batch("DROP TRIGGER access_log_no_update;")
            .expect("drops the trigger");
        conn.execute("UPDATE access_log SET action = 'list' WHERE seq = 4", [])
            .expect("tampers");
        let key = [keys().signing.verifying_key()];
        let error = check(&store, &key, &early).expect_err("covers the break");
        assert!(
            matches!(
                error,
                CheckpointError::BrokenWithin {
                    broken_at: 4,
                    entries: 6,
                    ..
                }
            ),
            "{error}"
        );
        assert!(error.to_string().contains("entry 4"), "{error}");
        assert!(
            error.in_swedish().contains("post 4"),
            "{}",
            error.in_swedish()
        );
        // A checkpoint of the first three entries (the same three, signed from a log of
        // them) does not cover entry 4: it still holds.
        let (_three_dir, _, three_store) = log_of(3);
        let (_, three) = sign(&three_store, &keys(), None, 10).expect("signs");
        assert!(matches!(
            check(&store, &key, &three),
            Ok(CheckpointVerdict::Holds(_))
        ));
    }

    #[test]
    fn checkpoints_before_the_retention_horizon_cannot_be_checked_and_later_ones_hold() {
        let (_dir, _path, store) = log_of(4);
        let (_, four) = sign(&store, &keys(), None, 10).expect("signs");
        let key = [keys().signing.verifying_key()];
        let later: Vec<AccessEntry> = (5..=8)
            .map(|i| AccessEntry {
                at: 100 + i,
                accessor: Accessor::Operator("hr".into()),
                action: AccessAction::Read,
                doc_id: format!("doc-{i}"),
            })
            .collect();
        store.append_access_for_tests(&later[..1]).expect("appends");
        let (_, five) = sign(&store, &keys(), None, 11).expect("signs");
        store.append_access_for_tests(&later[1..]).expect("appends");
        let (_, eight) = sign(&store, &keys(), None, 12).expect("signs");
        // Entries 1-5 are older than 106: they go, and the log starts at entry 6.
        let pruning = store
            .prune_access_log(106, "test rule", 200)
            .expect("prunes");
        assert!(
            matches!(&pruning, AccessLogPruning::Pruned { removed: 5, horizon } if horizon.first_kept == 6),
            "{pruning:?}"
        );
        assert!(matches!(
            check(&store, &key, &four),
            Ok(CheckpointVerdict::BeforeHorizon { first_kept: 6, .. })
        ));
        // The horizon kept the hash of entry 5, so the checkpoint ending there still checks.
        assert!(matches!(
            check(&store, &key, &five),
            Ok(CheckpointVerdict::Holds(_))
        ));
        assert!(matches!(
            check(&store, &key, &eight),
            Ok(CheckpointVerdict::Holds(_))
        ));
    }

    #[test]
    fn a_folder_check_reports_each_file_by_name() {
        let (dir, _path, store) = log_of(3);
        let folder = dir.path().join(CHECKPOINT_DIR);
        let key = [keys().signing.verifying_key()];
        let (log, checks) = check_folder(&store, &key, &folder).expect("no folder yet");
        assert!(checks.is_empty());
        assert_eq!(log.chain.entries, 3);
        write(&store, &keys(), None, &folder.join(file_name(0)), 0).expect("writes");
        std::fs::write(folder.join("stray.checkpoint"), b"not signed").expect("writes");
        std::fs::write(folder.join("notes.txt"), b"ignored").expect("writes");
        let (_, checks) = check_folder(&store, &key, &folder).expect("checks");
        let found: Vec<(&str, bool)> = checks
            .iter()
            .map(|c| (c.file.as_str(), c.outcome.is_ok()))
            .collect();
        assert_eq!(
            found,
            vec![
                ("access-log-1970-01-01-00-00-00-000.checkpoint", true),
                ("stray.checkpoint", false)
            ]
        );
        assert!(checks[1].checkpoint.is_none());
    }

    #[test]
    fn a_file_name_sorts_by_time() {
        assert_eq!(
            file_name(1_772_352_000_000),
            "access-log-2026-03-01-08-00-00-000.checkpoint"
        );
        assert!(file_name(1_772_352_000_999) < file_name(1_772_352_001_000));
    }

    #[test]
    fn checkpoints_of_the_same_millisecond_get_names_of_their_own_and_all_hold() {
        let (dir, _path, store) = log_of(3);
        let folder = dir.path().join(CHECKPOINT_DIR);
        let at = 1_772_352_000_000;
        // Three relay starts in the same millisecond, and one in the same minute.
        let mut names = Vec::new();
        for now in [at, at, at, at + 5_000] {
            let (checkpoint, path) =
                write_in_folder(&store, &keys(), None, &folder, now).expect("written");
            assert_eq!(checkpoint.entries, 3);
            names.push(path.file_name().expect("a name").to_owned());
        }
        names.sort();
        names.dedup();
        assert_eq!(names.len(), 4, "{names:?}");
        let (_, checks) =
            check_folder(&store, &[keys().signing.verifying_key()], &folder).expect("checks");
        assert_eq!(checks.len(), 4);
        assert!(
            checks
                .iter()
                .all(|c| matches!(c.outcome, Ok(CheckpointVerdict::Holds(_)))),
            "{checks:?}"
        );
    }

    #[test]
    fn the_transparency_log_a_checkpoint_pins_is_checked_with_it() {
        use kiosk_core::protocol::enrollment::EnrolledRole;

        let (_dir, _path, store) = log_of(3);
        // Captures give the transparency log its leaves.
        let kiosk = ed25519_dalek::SigningKey::from_bytes(&[7; 32]).verifying_key();
        crate::storage::enroll_for_tests(
            &store,
            kiosk.to_bytes(),
            kiosk_core::demo::DEMO_EVENT_ID,
            EnrolledRole::Kiosk,
            None,
        );
        let mut generator =
            kiosk_core::generator::RegistrationGenerator::new(kiosk_core::demo::demo_event(), 5);
        let items = (0..3)
            .map(|_| {
                let registration = generator.next_registration().expect("valid");
                crate::storage::capture_for_tests(&registration, &kiosk)
            })
            .collect();
        crate::storage::ingest_for_tests(&store, kiosk.to_bytes(), 1, 5, items);
        let tip = store.log_tip().expect("the log's tip");
        assert!(tip.size >= 3, "the captures appended leaves");

        let log_key = LogKey::from_secret(&[9; 32], None).expect("a log key");
        let (checkpoint, bytes) = sign(&store, &keys(), Some(&log_key), 10).expect("signs");
        let pinned = checkpoint
            .transparency_log
            .clone()
            .expect("the log's checkpoint rides along");
        assert_eq!(
            pinned,
            log_key.sign(tip),
            "the log's checkpoint of the same moment"
        );
        let key = [keys().signing.verifying_key()];
        assert_eq!(
            check(&store, &key, &bytes).expect("holds"),
            CheckpointVerdict::Holds(checkpoint.clone())
        );

        // A checkpoint pinning another root at that size, or a longer log, than the store
        // now holds: the log was rewritten, or cut back.
        let signed_with = |size, root| {
            let forged = AccessCheckpoint {
                transparency_log: Some(log_key.sign(crate::storage::LogTip { size, root })),
                ..checkpoint.clone()
            };
            SignedEnvelope::sign(CHECKPOINT_TAG, &forged, &keys().signing).to_bytes()
        };
        assert!(matches!(
            check(&store, &key, &signed_with(tip.size, [0xab; 32])),
            Err(CheckpointError::TransparencyLogRewritten { size, .. }) if size == tip.size
        ));
        assert!(matches!(
            check(&store, &key, &signed_with(tip.size + 5, tip.root)),
            Err(CheckpointError::TransparencyLogCut { log, .. }) if log == tip.size
        ));
        // An earlier size of the same log still holds.
        let earlier = kiosk_core::tlog::tree::root(&StoreSubtrees(&store), 2).expect("a root");
        assert!(matches!(
            check(&store, &key, &signed_with(2, earlier)),
            Ok(CheckpointVerdict::Holds(_))
        ));
    }
}
