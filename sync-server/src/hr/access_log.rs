//! The access log as archivists review it: a page of entries at a time, newest first,
//! the check of its hash chain, and the chain checked against every checkpoint file in the
//! data directory's checkpoint folder. Archivists only; the JSON API
//! ([`crate::hr::access_log_api`]) and the console's review page call these services,
//! which return [`HrError`]s.
//!
//! Reviewing the log is not itself logged: entries name records by id and people by
//! username, never a visitor's name or contact details, so a look at them reads no
//! personal data (and logging it would grow the log with every look).

use crate::access_checkpoint::{self, CheckpointError, FileCheck, LogState};
use crate::blocking::blocking;
use crate::hr::caller::Caller;
use crate::hr::error::{HrError, HrResult, StorageContext};
use crate::state::{AppState, now_ms};
use crate::storage::{AccessEntry, AccessLogQuery, AccessLogVerdict};

/// Entries per page unless `limit` asks otherwise.
pub(crate) const PAGE: usize = 100;

/// One page of entries `query` selects, newest first, with the number to continue below
/// if there may be more (archivists only).
pub(crate) async fn access_log_page(
    state: &AppState,
    caller: &Caller,
    mut query: AccessLogQuery,
) -> HrResult<(Vec<(u64, AccessEntry)>, Option<u64>)> {
    let user = crate::hr::policy::may_read_access_log(&caller.user)?;
    // A cleared user's read of a restricted record names it: not to a reviewer without
    // the clearance.
    query.without_restricted = !crate::hr::policy::sees_restricted(user);
    let store = state.store.clone();
    let limit = query.limit;
    let entries = blocking(move || store.query_access_log(&query))
        .await?
        .context("reading a page of the access log")?;
    let next_before = (entries.len() == limit)
        .then(|| entries.last().map(|(seq, _)| *seq))
        .flatten();
    Ok((entries, next_before))
}

/// Walks the whole hash chain (archivists only).
pub(crate) async fn verify_chain(state: &AppState, caller: &Caller) -> HrResult<AccessLogVerdict> {
    crate::hr::policy::may_read_access_log(&caller.user)?;
    let store = state.store.clone();
    let verdict = blocking(move || store.verify_access_log())
        .await?
        .context("verifying the access log's chain")?;
    // Readiness and the metrics report the last verification, whoever ran it.
    match verdict.broken_at {
        None => state.observe.chain.verified(now_ms(), verdict.entries),
        Some(at) => state.observe.chain.broken(now_ms(), at),
    }
    Ok(verdict)
}

/// The log checked against every checkpoint file: the chain, the broken entry if one is
/// readable, and each file's result (`None`: the relay has no checkpoint folder).
#[derive(Debug)]
pub(crate) struct Verification {
    pub log: LogState,
    pub broken_entry: Option<AccessEntry>,
    pub checkpoints: Option<Vec<FileCheck>>,
}

/// Walks the chain once and checks every checkpoint file in the relay's checkpoint folder
/// against it (archivists only).
pub(crate) async fn verify_with_checkpoints(
    state: &AppState,
    caller: &Caller,
) -> HrResult<Verification> {
    crate::hr::policy::may_read_access_log(&caller.user)?;
    let store = state.store.clone();
    let folder = state.checkpoint_dir.clone();
    let relay_keys = state.keys.signing_publics();
    let checked = blocking(move || {
        let (log, checkpoints) = match &folder {
            Some(folder) => {
                let (log, checks) =
                    access_checkpoint::check_folder(store.as_ref(), &relay_keys, folder)?;
                (log, Some(checks))
            }
            None => (LogState::read(store.as_ref())?, None),
        };
        // Read for its time and action; a row too damaged to decode is simply not shown.
        let broken_entry = log.chain.broken_at.and_then(|seq| {
            store
                .access_log_entries(seq - 1, 1)
                .ok()
                .and_then(|entries| entries.into_iter().next())
                .filter(|(found, _)| *found == seq)
                .map(|(_, entry)| entry)
        });
        Ok::<_, CheckpointError>(Verification {
            log,
            broken_entry,
            checkpoints,
        })
    })
    .await?;
    if let Ok(checked) = &checked {
        let chain = &checked.log.chain;
        match chain.broken_at {
            None => state.observe.chain.verified(now_ms(), chain.entries),
            Some(at) => state.observe.chain.broken(now_ms(), at),
        }
    }
    checked.map_err(|error| match error {
        CheckpointError::Storage(source) => HrError::Storage {
            context: "checking the access log against its checkpoints",
            source,
        },
        other => HrError::Checkpoints(other),
    })
}

/// What the API says when the relay has no checkpoint folder, in English and Swedish.
pub(crate) const NO_CHECKPOINT_FOLDER: (&str, &str) = (
    "This relay has no checkpoint folder (it runs without a data directory): only the chain \
     was checked.",
    "Reläet har ingen mapp för kontrollpunkter (det körs utan datakatalog): bara kedjan \
     kontrollerades.",
);
