//! The witness's memory, in its directory: the last checkpoint it cosigned (`state.json`),
//! written atomically (temporary file, fsync, rename, fsync of the directory) *before* a
//! cosignature leaves, so a crash at any point never lets it cosign two inconsistent trees;
//! and, after a refusal, the evidence (`evidence-*/`) and the refusal itself, which is for
//! good: a refused witness never cosigns again from this directory.

use std::io::Write;
use std::path::{Path, PathBuf};

use base64ct::{Base64, Encoding};
use kiosk_core::tlog::hash::Hash;
use serde::{Deserialize, Serialize};

use crate::private_files;

/// The state file in the witness's directory.
pub const STATE_FILE: &str = "state.json";
/// Where a new state is written before it is renamed over [`STATE_FILE`].
const STATE_TMP: &str = "state.json.tmp";
/// The largest state file read (a checkpoint note and a few numbers).
const MAX_STATE_LEN: u64 = 256 * 1024;
/// The state format written here.
const STATE_VERSION: u32 = 1;

/// What the witness has cosigned, and whether it refused for good.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WitnessState {
    pub version: u32,
    /// The log's verifier key (vkey text) this state belongs to: a witness started with
    /// another log key refuses to use it.
    pub log_key: String,
    /// The size and base64 root of the newest checkpoint cosigned.
    pub size: u64,
    pub root: String,
    /// That checkpoint's signed note as the relay served it.
    pub checkpoint: String,
    /// When it was cosigned (POSIX seconds, the time in its cosignature).
    pub cosigned_at: u64,
    /// The latest time this witness put in any cosignature, a resent one too (POSIX
    /// seconds): the next is signed no earlier than one second after it, so its times only
    /// increase, whatever its clock does. 0 in a state written before it was kept
    /// (`cosigned_at` then stands for it).
    #[serde(default)]
    pub last_signed: u64,
    /// Set once the witness saw a tree inconsistent with this one; never cleared here.
    pub refused: Option<Refusal>,
}

/// A refusal: why, when, and the evidence directory (relative to the witness's directory).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Refusal {
    pub reason: String,
    pub at: u64,
    pub evidence: String,
}

/// Why the state could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum StateError {
    #[error("cannot read or write the witness's state in {}: {source}", dir.display())]
    Io {
        dir: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// Never replaced by a fresh state: starting over would let the witness cosign a tree
    /// inconsistent with one it already cosigned.
    #[error(
        "the witness's state file {} is damaged ({what}); it was left as it is — restore it from a backup, do not delete it",
        path.display()
    )]
    Damaged { path: PathBuf, what: String },
}

impl WitnessState {
    pub fn new(log_key: &str, size: u64, root: &Hash, checkpoint: &str, now: u64) -> Self {
        WitnessState {
            version: STATE_VERSION,
            log_key: log_key.to_owned(),
            size,
            root: Base64::encode_string(root),
            checkpoint: checkpoint.to_owned(),
            cosigned_at: now,
            last_signed: now,
            refused: None,
        }
    }

    /// The time for a cosignature made at `now` after this state: `now`, or one second
    /// after the latest time signed when the clock reads earlier (set back, or it ran
    /// ahead once). A relay can then never hold a cosignature by this witness dated after
    /// a later one, which a tablet confirming a restore would take for the newer.
    pub fn next_time(&self, now: u64) -> u64 {
        now.max(self.cosigned_at.max(self.last_signed).saturating_add(1))
    }

    /// The stored root as bytes.
    pub fn root_hash(&self) -> Option<Hash> {
        Base64::decode_vec(&self.root).ok()?.try_into().ok()
    }
}

/// Reads the state in `dir`: `None` for a witness that has cosigned nothing yet.
pub fn load(dir: &Path) -> Result<Option<WitnessState>, StateError> {
    use std::io::Read;
    let path = dir.join(STATE_FILE);
    let io = |source| StateError::Io {
        dir: dir.to_owned(),
        source,
    };
    let file = match std::fs::File::open(&path) {
        Ok(file) => file,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(io(e)),
    };
    let mut text = String::new();
    file.take(MAX_STATE_LEN + 1)
        .read_to_string(&mut text)
        .map_err(|e| damaged(&path, &format!("not UTF-8 text: {e}")))?;
    if text.len() as u64 > MAX_STATE_LEN {
        return Err(damaged(&path, "too large"));
    }
    let state: WitnessState = serde_json::from_str(&text)
        .map_err(|e| damaged(&path, &format!("not the witness's JSON: {e}")))?;
    if state.version != STATE_VERSION {
        return Err(damaged(&path, "an unknown version"));
    }
    if state.root_hash().is_none() {
        return Err(damaged(&path, "its root is not base64 of 32 bytes"));
    }
    Ok(Some(state))
}

fn damaged(path: &Path, what: &str) -> StateError {
    StateError::Damaged {
        path: path.to_owned(),
        what: what.to_owned(),
    }
}

/// Replaces the state in `dir` atomically and durably: once this returns, a crash leaves
/// the new state; before, the old one.
pub fn save(dir: &Path, state: &WitnessState) -> Result<(), StateError> {
    let io = |source| StateError::Io {
        dir: dir.to_owned(),
        source,
    };
    let json = serde_json::to_vec_pretty(state).map_err(|e| io(std::io::Error::other(e)))?;
    let tmp = dir.join(STATE_TMP);
    let mut file = private_files::new_file_options()
        .write(true)
        .create(true)
        .truncate(true)
        .open(&tmp)
        .map_err(io)?;
    file.write_all(&json).map_err(io)?;
    file.sync_all().map_err(io)?;
    drop(file);
    std::fs::rename(&tmp, dir.join(STATE_FILE)).map_err(io)?;
    sync_dir(dir).map_err(io)
}

/// Makes a rename or a new file in `dir` durable.
fn sync_dir(dir: &Path) -> std::io::Result<()> {
    std::fs::File::open(dir)?.sync_all()
}

/// What a refusal keeps: the checkpoint cosigned before, the one refused, and the proof
/// that failed (if one was fetched), each verbatim.
#[derive(Debug)]
pub struct Evidence<'a> {
    pub reason: &'a str,
    pub previous_checkpoint: &'a str,
    pub refused_checkpoint: &'a str,
    /// `(from, to, proof as base64 lines)`.
    pub proof: Option<(u64, u64, String)>,
}

/// Writes the evidence into a new `evidence-<time>-<n>/` directory (0700, files 0600,
/// never overwriting earlier evidence), durably, and returns its name.
pub fn write_evidence(dir: &Path, now: u64, evidence: &Evidence<'_>) -> std::io::Result<String> {
    let (name, path) = (0..1000)
        .map(|n| {
            let name = format!("evidence-{now}-{n}");
            let path = dir.join(&name);
            (name, path)
        })
        .find(|(_, path)| !path.exists())
        .ok_or_else(|| std::io::Error::other("too many evidence directories"))?;
    private_files::create_dir(&path)?;
    let mut files: Vec<(&str, String)> = vec![
        ("README.txt", readme(evidence)),
        (
            "previous-checkpoint.txt",
            evidence.previous_checkpoint.to_owned(),
        ),
        (
            "refused-checkpoint.txt",
            evidence.refused_checkpoint.to_owned(),
        ),
    ];
    if let Some((from, to, proof)) = &evidence.proof {
        files.push((
            "consistency-proof.txt",
            format!("from {from}\nto {to}\n{proof}"),
        ));
    }
    for (file, text) in files {
        let mut out = private_files::new_file_options()
            .write(true)
            .create_new(true)
            .open(path.join(file))?;
        out.write_all(text.as_bytes())?;
        out.sync_all()?;
    }
    sync_dir(&path)?;
    sync_dir(dir)?;
    Ok(name)
}

fn readme(evidence: &Evidence<'_>) -> String {
    format!(
        "Vittnet vägrade att kontrasignera reläets transparenslogg.\n\
         The witness refused to cosign the relay's transparency log.\n\n\
         Reason / Orsak: {}\n\n\
         previous-checkpoint.txt: the checkpoint this witness cosigned last (signed by the log key).\n\
         refused-checkpoint.txt:  the checkpoint the relay served next, also signed by the log key.\n\
         consistency-proof.txt:   the proof the relay gave between them (if any), one base64 hash a line.\n\n\
         Two checkpoints signed by the same log key that no proof connects show that the relay\n\
         showed two different histories. Keep this folder unchanged; give a copy to the\n\
         security officer (informationssäkerhetsansvarig) and the data-protection officer.\n",
        evidence.reason
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_state_round_trips_and_a_damaged_file_is_refused_not_replaced() {
        let dir = tempfile::tempdir().expect("tempdir");
        assert!(load(dir.path()).expect("no state").is_none());
        let state = WitnessState::new("log+12345678+AQ", 3, &[5; 32], "note\n", 99);
        save(dir.path(), &state).expect("saves");
        assert_eq!(load(dir.path()).expect("loads"), Some(state));
        assert!(!dir.path().join(STATE_TMP).exists());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.path().join(STATE_FILE))
                .expect("meta")
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        std::fs::write(dir.path().join(STATE_FILE), b"{not json").expect("writes");
        assert!(matches!(load(dir.path()), Err(StateError::Damaged { .. })));
        assert_eq!(
            std::fs::read(dir.path().join(STATE_FILE)).expect("kept"),
            b"{not json"
        );
    }

    /// A state file from before `last_signed` was kept still loads, and its
    /// `cosigned_at` is what the next time must pass.
    #[test]
    fn a_state_without_the_last_signed_time_loads_and_times_still_increase() {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut old = serde_json::to_value(WitnessState::new(
            "log+12345678+AQ",
            3,
            &[5; 32],
            "note\n",
            500,
        ))
        .expect("json");
        old.as_object_mut().expect("object").remove("last_signed");
        std::fs::write(dir.path().join(STATE_FILE), old.to_string()).expect("writes");
        let state = load(dir.path()).expect("loads").expect("a state");
        assert_eq!(state.last_signed, 0);
        assert_eq!(state.next_time(100), 501, "never before a time signed");
        assert_eq!(state.next_time(900), 900);
    }

    #[test]
    fn evidence_never_overwrites_earlier_evidence() {
        let dir = tempfile::tempdir().expect("tempdir");
        let evidence = Evidence {
            reason: "fork",
            previous_checkpoint: "a\n",
            refused_checkpoint: "b\n",
            proof: Some((1, 2, "AAAA\n".to_owned())),
        };
        let first = write_evidence(dir.path(), 7, &evidence).expect("writes");
        let second = write_evidence(dir.path(), 7, &evidence).expect("writes");
        assert_ne!(first, second);
        let proof = std::fs::read_to_string(dir.path().join(&first).join("consistency-proof.txt"))
            .expect("proof");
        assert_eq!(proof, "from 1\nto 2\nAAAA\n");
    }
}
