//! `/readyz`: whether the relay should be sent traffic, with every reason it should not.
//!
//! Each check is cheap and bounded: one small write to the store that changes nothing (abandoned after
//! [`super::MonitorSettings::probe_timeout`], and never two at once), one `statvfs`, two
//! 32-byte key files, one small status file, and what the relay already knows (the store's
//! last full-disk refusal, the access log's last chain verification). A verdict is reused for
//! [`super::MonitorSettings::cache_for`], and concurrent probes share one check, so a probe
//! storm costs nothing. Reasons carry a code for machines and an English text for people;
//! neither names a person. The relay's own listener, which anyone who reaches the relay can
//! ask, answers with the codes only ([`ready`]); the texts are for operators: on the metrics
//! listener ([`ready_in_full`]), to a caller with the metrics token, and per code as
//! `kiosk_not_ready{reason}` in the metrics.

use std::time::{Duration, Instant};

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::json;
use tokio::task::JoinHandle;

use super::backup_status;
use crate::state::{AppState, now_ms};
use crate::storage::RelayStore;

/// Every code a [`Reason`] has, for the metrics' `kiosk_not_ready{reason}` series.
pub const REASON_CODES: [&str; 9] = [
    "store_full",
    "store_unwritable",
    "low_disk",
    "disk_unknown",
    "key_file_unreadable",
    "access_log_chain_broken",
    "no_backup",
    "backup_stale",
    "backup_status_unreadable",
];

/// Why the relay is not ready.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Reason {
    /// Stable, for machines: `store_full`, `store_unwritable`, `low_disk`, `disk_unknown`,
    /// `key_file_unreadable`, `access_log_chain_broken`, `no_backup`, `backup_stale`,
    /// `backup_status_unreadable`.
    pub code: &'static str,
    /// For people, in English; never personal data.
    pub message: String,
}

impl Reason {
    fn new(code: &'static str, message: impl Into<String>) -> Reason {
        Reason {
            code,
            message: message.into(),
        }
    }
}

/// The last verdict and the write probe still running, if one outlived its wait.
#[derive(Debug, Default)]
pub(crate) struct ReadinessCache {
    last: tokio::sync::Mutex<Option<(Instant, Vec<Reason>)>>,
    pending_probe: std::sync::Mutex<Option<JoinHandle<Result<(), String>>>>,
}

/// Runs the store's write probe ([`crate::storage::SyncStore::probe_write`]).
fn write_probe(store: &dyn RelayStore) -> Result<(), String> {
    store.probe_write().map_err(|e| {
        tracing::warn!(error = %e, "readiness: the store refused a test write");
        if e.is_disk_full() {
            "the store refused a test write: its disk is full".to_owned()
        } else {
            "the store refused a test write (the relay's log says why)".to_owned()
        }
    })
}

/// The reasons the relay is not ready now; empty when it is. What the relay already knows
/// (a full store, a broken chain) is read fresh; the write probe and the data directory's
/// checks are reused for the cache time, and a caller waits for a check under way rather
/// than starting another.
pub async fn reasons(state: &AppState) -> Vec<Reason> {
    let mut reasons = known_reasons(state);
    let observe = &state.observe;
    let mut last = observe.readiness.last.lock().await;
    match last.as_ref() {
        Some((at, checked)) if at.elapsed() < observe.settings.cache_for => {
            reasons.extend(checked.iter().cloned());
        }
        _ => {
            let checked = check(state).await;
            reasons.extend(checked.iter().cloned());
            *last = Some((Instant::now(), checked));
        }
    }
    reasons
}

/// What the relay knows without looking: the store's last full-disk refusal and the last
/// verification of the access log's chain.
fn known_reasons(state: &AppState) -> Vec<Reason> {
    let mut reasons = Vec::new();
    if let Some(since) = state.store_health.full_since() {
        reasons.push(Reason::new(
            "store_full",
            format!(
                "the store refused a sync for lack of space at {since} (ms since the epoch); \
                 syncs are refused with store_full until one is stored again"
            ),
        ));
    }
    if let Some(check) = state.observe.chain.last()
        && let Some(at) = check.broken_at
    {
        reasons.push(Reason::new(
            "access_log_chain_broken",
            format!(
                "the access log's hash chain failed to verify at entry {at} (checked at {} ms \
                 since the epoch); see verify-access-log in the README",
                check.at
            ),
        ));
    }
    reasons
}

/// The checks that cost something: the write probe and the data directory's.
async fn check(state: &AppState) -> Vec<Reason> {
    let settings = &state.observe.settings;
    let mut reasons = Vec::new();
    if let Err(why) = probe_store(state, settings.probe_timeout).await {
        reasons.push(Reason::new("store_unwritable", why));
    }
    if let Some(dir) = settings.data_dir.clone() {
        let (min_free, max_age) = (settings.min_free_disk, settings.max_backup_age);
        // A few small file-system calls; a hung network file system must not hold an
        // async thread.
        let files = tokio::task::spawn_blocking(move || file_reasons(&dir, min_free, max_age));
        match tokio::time::timeout(settings.probe_timeout, files).await {
            Ok(Ok(found)) => reasons.extend(found),
            Ok(Err(_)) | Err(_) => reasons.push(Reason::new(
                "disk_unknown",
                "the data directory did not answer in time",
            )),
        }
    }
    reasons
}

/// Runs the write probe, or waits again for one still running from an earlier check, for
/// at most `timeout`.
async fn probe_store(state: &AppState, timeout: Duration) -> Result<(), String> {
    let pending = state
        .observe
        .readiness
        .pending_probe
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .take();
    let mut probe = pending.unwrap_or_else(|| {
        let store = state.store.clone();
        tokio::task::spawn_blocking(move || write_probe(store.as_ref()))
    });
    match tokio::time::timeout(timeout, &mut probe).await {
        Ok(Ok(result)) => result,
        Ok(Err(_)) => Err("the store's test write failed".to_owned()),
        Err(_) => {
            // Still waiting (a lock held elsewhere, a slow disk): the next check waits for
            // this same write instead of queueing another.
            *state
                .observe
                .readiness
                .pending_probe
                .lock()
                .unwrap_or_else(|e| e.into_inner()) = Some(probe);
            Err(format!(
                "the store did not take a test write within {} ms",
                timeout.as_millis()
            ))
        }
    }
}

/// The checks of the data directory: free space, key files, the newest backup.
fn file_reasons(
    dir: &std::path::Path,
    min_free: u64,
    max_backup_age: Option<Duration>,
) -> Vec<Reason> {
    let mut reasons = Vec::new();
    match super::free_disk::available_bytes(dir) {
        Ok(free) if free < min_free => reasons.push(Reason::new(
            "low_disk",
            format!(
                "{} MiB free in the data directory's file system, under the {} MiB required \
                 (--min-free-disk)",
                free >> 20,
                min_free >> 20
            ),
        )),
        Ok(_) => {}
        Err(e) => reasons.push(Reason::new(
            "disk_unknown",
            format!("the free space of the data directory cannot be read: {e}"),
        )),
    }
    for name in crate::keys::KEY_FILES {
        if let Err(why) = key_file_readable(&dir.join(name)) {
            reasons.push(Reason::new(
                "key_file_unreadable",
                format!("the relay key file {name} {why}"),
            ));
        }
    }
    if let Some(max_age) = max_backup_age {
        match backup_status::newest(dir) {
            Ok(None) => reasons.push(Reason::new(
                "no_backup",
                "no verified backup is recorded, and --max-backup-age asks for one",
            )),
            Ok(Some(backup)) => {
                let age_ms = now_ms().saturating_sub(backup.verified_at).max(0);
                let age = Duration::from_millis(age_ms as u64);
                if age > max_age {
                    reasons.push(Reason::new(
                        "backup_stale",
                        format!(
                            "the newest verified backup is {} minutes old, older than the {} \
                             minutes allowed (--max-backup-age)",
                            age.as_secs() / 60,
                            max_age.as_secs() / 60
                        ),
                    ));
                }
            }
            Err(e) => reasons.push(Reason::new(
                "backup_status_unreadable",
                format!("the backup status cannot be read: {e}"),
            )),
        }
    }
    reasons
}

/// Whether `path` opens and holds a key of the right length.
fn key_file_readable(path: &std::path::Path) -> Result<(), &'static str> {
    use std::io::Read;
    let mut file = std::fs::File::open(path).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => "is missing",
        std::io::ErrorKind::PermissionDenied => "cannot be opened (permission denied)",
        _ => "cannot be opened",
    })?;
    let mut bytes = Vec::with_capacity(crate::keys::KEY_FILE_LEN as usize + 1);
    (&mut file)
        .take(crate::keys::KEY_FILE_LEN + 1)
        .read_to_end(&mut bytes)
        .map_err(|_| "cannot be read")?;
    if bytes.len() as u64 != crate::keys::KEY_FILE_LEN {
        return Err("does not hold a 32-byte key");
    }
    Ok(())
}

/// How much a `/readyz` answer says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Detail {
    /// The status and the reasons' codes: what a load balancer needs, and all that anyone
    /// who reaches the relay's own listener is told (the texts name files, flags, sizes and
    /// times, which are the operator's business).
    Codes,
    /// The reasons with their texts too: where only monitoring reaches (the metrics
    /// listener), or to a caller holding the metrics token.
    Full,
}

/// `/readyz` on the relay's own listener: 200 with `status: ready`, or 503 with
/// `status: not_ready` and the reasons' codes; with the texts only to a caller sending the
/// metrics token (`--metrics-token-file`) as `Authorization: Bearer …`.
pub async fn ready(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let detail = if super::metrics::holds_metrics_token(&state, &headers) {
        Detail::Full
    } else {
        Detail::Codes
    };
    answer(&state, detail).await
}

/// `/readyz` on the metrics listener (`--metrics-listen`), which only monitoring reaches:
/// the reasons with their texts.
pub async fn ready_in_full(State(state): State<AppState>) -> Response {
    answer(&state, Detail::Full).await
}

async fn answer(state: &AppState, detail: Detail) -> Response {
    let reasons = reasons(state).await;
    let store = if state.store_health.full_since().is_some() {
        "full"
    } else {
        "ok"
    };
    if reasons.is_empty() {
        return Json(json!({ "status": "ready", "store": store, "reasons": [] })).into_response();
    }
    let body = match detail {
        Detail::Codes => json!({
            "status": "not_ready",
            "store": store,
            "reasons": reasons.iter().map(|r| json!({ "code": r.code })).collect::<Vec<_>>(),
        }),
        Detail::Full => {
            let mut body = json!({
                "status": "not_ready",
                "store": store,
                "reasons": reasons,
                "message": reasons.iter().map(|r| r.message.as_str()).collect::<Vec<_>>().join("; "),
            });
            if let Some(since) = state.store_health.full_since() {
                body["store_full_since"] = json!(since);
            }
            body
        }
    };
    (StatusCode::SERVICE_UNAVAILABLE, Json(body)).into_response()
}
