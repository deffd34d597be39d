//! Rotating the relay's keys on disk: `rotate-keys` makes new current keys and keeps the
//! ones before as the previous keys; `rotate-keys --retire-previous` forgets the previous
//! keys once every active tablet has adopted the new ones (the store knows which key each
//! tablet named in its last sync). Tablets learn the new keys from an announcement signed
//! by the key they pin ([`crate::keys::RelayKeys::announcement_for`]).
//!
//! Every step is a rename of a complete, synced file, so a rotation interrupted at any point
//! leaves a ring that works and is finished at the next load ([`finish_interrupted`]).

use std::path::Path;

use crate::keys::{
    DERIVATION_ROOT_FILE, PREVIOUS_SEALING_SEED_FILE, PREVIOUS_SIGNING_KEY_FILE, RETIRED_KEYS_FILE,
    RelayKeys, RetiredKeys, SEALING_SEED_FILE, SIGNING_KEY_FILE,
};

/// The new keys of a rotation, complete and synced, before they become current.
const NEXT_SIGNING_KEY_FILE: &str = "relay-signing.next.key";
const NEXT_SEALING_SEED_FILE: &str = "relay-sealing.next.seed";

/// Per kind of key: the current file, the previous one, the next one.
const KINDS: [(&str, &str, &str); 2] = [
    (
        SIGNING_KEY_FILE,
        PREVIOUS_SIGNING_KEY_FILE,
        NEXT_SIGNING_KEY_FILE,
    ),
    (
        SEALING_SEED_FILE,
        PREVIOUS_SEALING_SEED_FILE,
        NEXT_SEALING_SEED_FILE,
    ),
];

/// Why keys were not rotated or retired. The texts name files and remedies, never a key.
#[derive(Debug, thiserror::Error)]
pub enum RotationError {
    #[error(
        "{data_dir} holds no relay keys: there is nothing to rotate (a relay makes its keys \
         at its first start)"
    )]
    NoKeys { data_dir: String },
    #[error(
        "a key rotation is already under way in {data_dir}: once every tablet has adopted \
         the new keys, run `kiosk-sync-server rotate-keys --retire-previous` before rotating \
         again"
    )]
    UnderWay { data_dir: String },
    #[error("{data_dir} holds no previous relay keys: no rotation is under way")]
    NothingToRetire { data_dir: String },
    #[error(
        "{count} active {tablets} still {pin} the previous relay keys (not synced since the \
         rotation): retiring them now would leave {them} unable to check the relay's \
         answers and {their} captures sealed to the old key refused. Let {them} sync, or \
         revoke lost tablets in the console, then retire again; `--force` retires anyway \
         (such tablets must then be enrolled again)",
        tablets = if *count == 1 { "tablet" } else { "tablets" },
        pin = if *count == 1 { "pins" } else { "pin" },
        them = if *count == 1 { "it" } else { "them" },
        their = if *count == 1 { "its" } else { "their" },
    )]
    NotAdopted { count: u64 },
    #[error(
        "{count} quarantined {captures} sealed to the previous key {wait} for HR's review: \
         once the key is retired {they} could never be opened. Review {them} in the console \
         (Quarantine: accept or keep apart), then retire again",
        captures = if *count == 1 { "capture" } else { "captures" },
        wait = if *count == 1 { "waits" } else { "wait" },
        they = if *count == 1 { "it" } else { "they" },
        them = if *count == 1 { "it" } else { "them" },
    )]
    UnreviewedQuarantine { count: u64 },
    #[error("reading the store: {0}")]
    Storage(#[from] crate::storage::StorageError),
    #[error("reading or writing the relay keys: {0}")]
    Files(#[from] std::io::Error),
}

/// Makes new current keys in `data_dir` and keeps the current ones as the previous keys.
/// Secrets derived from the signing key stay derived from the first one (written to
/// [`DERIVATION_ROOT_FILE`] at the first rotation). A running relay takes the new ring when
/// it is restarted. Returns the ring as it is now.
pub fn rotate(data_dir: &Path) -> Result<RelayKeys, RotationError> {
    let dir = data_dir.display().to_string();
    if !data_dir.join(SIGNING_KEY_FILE).exists() || !data_dir.join(SEALING_SEED_FILE).exists() {
        return Err(RotationError::NoKeys { data_dir: dir });
    }
    let keys = RelayKeys::load_or_create(data_dir)?;
    if keys.rotating() {
        return Err(RotationError::UnderWay { data_dir: dir });
    }
    let root = data_dir.join(DERIVATION_ROOT_FILE);
    if !root.exists() {
        crate::keys::write_new_secret(&root, &keys.signing.to_bytes())?;
    }
    for (_, _, next) in KINDS {
        // Left by a rotation stopped before its renames: never announced, so made anew.
        let partial = data_dir.join(format!("{next}.partial"));
        remove_if_present(&partial)?;
        crate::keys::write_new_secret(&partial, &rand::random())?;
        std::fs::rename(&partial, data_dir.join(next))?;
    }
    sync_dir(data_dir)?;
    finish_interrupted(data_dir)?;
    Ok(RelayKeys::load_or_create(data_dir)?)
}

/// Completes a rotation whose new keys are written: per kind, the current key becomes the
/// previous one (unless that was done) and the next one becomes current.
pub(crate) fn finish_interrupted(data_dir: &Path) -> std::io::Result<()> {
    for (_, _, next) in KINDS {
        remove_if_present(&data_dir.join(format!("{next}.partial")))?;
    }
    // The renames start only once both new keys are written: a lone new key with nothing
    // moved aside yet is a rotation stopped before it began (never announced), so it goes.
    // Rotating one kind alone could leave tablets sealing to a key that is then retired.
    let exists = |file: &str| data_dir.join(file).exists();
    let started = KINDS.iter().any(|(_, previous, _)| exists(previous));
    let both_written = KINDS.iter().all(|(_, _, next)| exists(next));
    if !started && !both_written {
        for (_, _, next) in KINDS {
            remove_if_present(&data_dir.join(next))?;
        }
        return Ok(());
    }
    let mut renamed = false;
    for (current, previous, next) in KINDS {
        let next = data_dir.join(next);
        if !next.exists() {
            continue;
        }
        let previous = data_dir.join(previous);
        if !previous.exists() {
            std::fs::rename(data_dir.join(current), &previous)?;
        }
        std::fs::rename(&next, data_dir.join(current))?;
        renamed = true;
    }
    if renamed {
        sync_dir(data_dir)?;
    }
    Ok(())
}

/// What holds a retirement back, as the store tells it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RetireBlockers {
    /// Active tablets that still pin the previous keys; `force` retires despite them.
    pub not_adopted: u64,
    /// Quarantined captures sealed to the previous key without HR's review; nothing
    /// retires despite them (they would become unreadable).
    pub unreviewed_quarantine: u64,
}

impl RetireBlockers {
    /// Asks `store` what holds back retiring the previous keys of `keys`.
    pub fn of(
        store: &dyn crate::storage::RelayStore,
        keys: &RelayKeys,
        now: i64,
    ) -> crate::storage::StorageResult<RetireBlockers> {
        let not_adopted =
            store.devices_not_pinning(&keys.signing.verifying_key().to_bytes(), now)?;
        let mut unreviewed_quarantine = 0;
        if let Some(previous) = &keys.previous.sealing {
            let key_id = &previous.sealing_key().key_id;
            let mut before = None;
            // Bounded: each page moves `before` down, and ids are positive.
            loop {
                let page = store.quarantined_captures(before, 500)?;
                for capture in page.iter().filter(|c| c.review.is_none()) {
                    let sealed_to_previous = store
                        .quarantined_capture(capture.id)?
                        .and_then(|(_, kept)| kiosk_core::capture::sealed_key_id(&kept))
                        .is_some_and(|id| &id == key_id);
                    if sealed_to_previous {
                        unreviewed_quarantine += 1;
                    }
                }
                match page.last() {
                    Some(last) if page.len() == 500 => before = Some(last.id),
                    _ => break,
                }
            }
        }
        Ok(RetireBlockers {
            not_adopted,
            unreviewed_quarantine,
        })
    }
}

/// Forgets the previous keys of the rotation under way: their public halves go to
/// [`RETIRED_KEYS_FILE`], their secret files are removed. Refused while `blockers` (from the
/// store) name tablets that still pin them (unless `force`) or quarantined captures sealed
/// to them that HR has not reviewed (always).
pub fn retire_previous(
    data_dir: &Path,
    blockers: RetireBlockers,
    force: bool,
) -> Result<RetiredKeys, RotationError> {
    let keys = RelayKeys::load_or_create(data_dir)?;
    let Some(previous) = keys.previous_ids() else {
        return Err(RotationError::NothingToRetire {
            data_dir: data_dir.display().to_string(),
        });
    };
    if blockers.unreviewed_quarantine > 0 {
        return Err(RotationError::UnreviewedQuarantine {
            count: blockers.unreviewed_quarantine,
        });
    }
    if blockers.not_adopted > 0 && !force {
        return Err(RotationError::NotAdopted {
            count: blockers.not_adopted,
        });
    }
    let retired = RetiredKeys {
        signing_public: previous.signing_public,
        sealing_key_id: previous.sealing_key_id,
    };
    let mut all = read_retired(data_dir)?;
    if !all.contains(&retired) {
        all.push(retired.clone());
    }
    let text: String = all
        .iter()
        .map(|r| format!("{} {}\n", hex::encode(r.signing_public), r.sealing_key_id))
        .collect();
    let partial = data_dir.join(format!("{RETIRED_KEYS_FILE}.partial"));
    remove_if_present(&partial)?;
    {
        use std::io::Write;
        let mut file = crate::private_files::new_file_options()
            .write(true)
            .create_new(true)
            .open(&partial)?;
        file.write_all(text.as_bytes())?;
        file.sync_all()?;
    }
    std::fs::rename(&partial, data_dir.join(RETIRED_KEYS_FILE))?;
    for (_, previous, _) in KINDS {
        remove_if_present(&data_dir.join(previous))?;
    }
    sync_dir(data_dir)?;
    Ok(retired)
}

/// The retired keys recorded in `data_dir` (none before the first retirement).
pub(crate) fn read_retired(data_dir: &Path) -> std::io::Result<Vec<RetiredKeys>> {
    let path = data_dir.join(RETIRED_KEYS_FILE);
    let text = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(e),
    };
    parse_retired(&text).map_err(|()| {
        std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!(
                "{} has a line that is not `signing_public sealing_key_id` in hex",
                path.display()
            ),
        )
    })
}

/// The retired keys' list as [`RETIRED_KEYS_FILE`] spells it.
pub(crate) fn parse_retired(text: &str) -> Result<Vec<RetiredKeys>, ()> {
    text.lines()
        .filter(|line| !line.trim().is_empty())
        .map(|line| {
            let (signing, sealing) = line.split_once(' ').ok_or(())?;
            let signing: [u8; 32] = hex::decode(signing)
                .map_err(|_| ())?
                .try_into()
                .map_err(|_| ())?;
            let sealing = sealing.trim();
            if sealing.len() != 16 || hex::decode(sealing).is_err() {
                return Err(());
            }
            Ok(RetiredKeys {
                signing_public: signing,
                sealing_key_id: sealing.to_owned(),
            })
        })
        .collect()
}

fn remove_if_present(path: &Path) -> std::io::Result<()> {
    match std::fs::remove_file(path) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e),
        _ => Ok(()),
    }
}

/// Makes the renames in `dir` durable.
fn sync_dir(dir: &Path) -> std::io::Result<()> {
    #[cfg(unix)]
    std::fs::File::open(dir)?.sync_all()?;
    #[cfg(not(unix))]
    let _ = dir;
    Ok(())
}

#[cfg(test)]
mod tests;
