//! The relay's metrics in the Prometheus (OpenMetrics) text format, with `prometheus-client`.
//!
//! Counters are counted where things happen (requests by route pattern, method and status;
//! pushes by outcome and code; pulls; enrollments; logins); gauges of the store (its size,
//! the access log's length, tablets silent for a day with captures the relay lacks, the
//! last retention run, records the duplicate index could not read) and of readiness (each
//! reason's code) are read when scraped, at most once per
//! [`super::MonitorSettings::cache_for`]. Every label takes a bounded set of values: route
//! patterns (never raw paths), methods, status codes, protocol codes; never a device, user,
//! record or address.
//!
//! Served on the relay's listener only with `--metrics-token-file` (a bearer token), and
//! without a token on the separate `--metrics-listen` listener ([`metrics_router`]).

use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use kiosk_core::protocol::{PushOutcome, SyncResponse};
use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

use crate::state::{AppState, now_ms};

type Labels = Vec<(&'static str, String)>;

/// A tablet silent this long with captures the relay lacks is worth a look.
pub const SILENT_AFTER_MS: i64 = 24 * 3600 * 1000;

/// The relay's metrics.
#[derive(Debug)]
pub struct Metrics {
    registry: Registry,
    requests: Family<Labels, Counter>,
    latency: Family<Labels, Histogram, fn() -> Histogram>,
    pushes: Family<Labels, Counter>,
    pulls: Counter,
    pulled_documents: Counter,
    enrollments: Family<Labels, Counter>,
    logins: Family<Labels, Counter>,
    not_ready: Family<Labels, Gauge>,
    store: StoreGauges,
    /// When the store's gauges were last read; one scrape reads them at a time.
    store_read_at: tokio::sync::Mutex<Option<Instant>>,
}

#[derive(Debug, Default)]
struct StoreGauges {
    store_bytes: Gauge,
    registrations: Gauge,
    quarantined: Gauge,
    devices: Gauge,
    access_log_entries: Gauge,
    chain_verified_at: Gauge,
    chain_ok: Gauge,
    backup_age: Gauge,
    backup_watermark: Gauge,
    retention_removed: Gauge,
    retention_held: Gauge,
    retention_duration: Gauge<f64, std::sync::atomic::AtomicU64>,
    retention_finished_at: Gauge,
    silent_tablets: Gauge,
    index_retrying: Gauge,
    index_given_up: Gauge,
    store_read_ok: Gauge,
}

fn latency_histogram() -> Histogram {
    // 1 ms to about 16 s.
    Histogram::new(exponential_buckets(0.001, 2.0, 15))
}

impl Default for Metrics {
    fn default() -> Metrics {
        Metrics::new()
    }
}

impl Metrics {
    pub fn new() -> Metrics {
        let mut registry = Registry::with_prefix("kiosk");
        let requests = Family::<Labels, Counter>::default();
        let latency = Family::<Labels, Histogram, fn() -> Histogram>::new_with_constructor(
            latency_histogram as fn() -> Histogram,
        );
        let pushes = Family::<Labels, Counter>::default();
        let (pulls, pulled_documents) = (Counter::default(), Counter::default());
        let enrollments = Family::<Labels, Counter>::default();
        let logins = Family::<Labels, Counter>::default();
        let not_ready = Family::<Labels, Gauge>::default();
        registry.register(
            "http_requests",
            "HTTP requests answered, by route pattern, method and status",
            requests.clone(),
        );
        registry.register(
            "http_request_duration_seconds",
            "Time to answer an HTTP request, by route pattern and method",
            latency.clone(),
        );
        registry.register(
            "pushes",
            "Pushed documents, by outcome (stored, quarantined, rejected) and protocol code",
            pushes.clone(),
        );
        registry.register(
            "pulls",
            "Sync answers that carried a pull page",
            pulls.clone(),
        );
        registry.register(
            "pulled_documents",
            "Documents sent to tablets in pull pages",
            pulled_documents.clone(),
        );
        registry.register(
            "enrollments",
            "Enrollment attempts, by outcome (enrolled or the refusal's code)",
            enrollments.clone(),
        );
        registry.register(
            "logins",
            "HR logins, by outcome (ok, failed, locked, disabled, error)",
            logins.clone(),
        );
        registry.register(
            "not_ready",
            "1 for each reason /readyz answers not ready for at the scrape, by code (see /readyz on the metrics listener for the texts)",
            not_ready.clone(),
        );
        for code in super::readiness::REASON_CODES {
            drop(not_ready.get_or_create(&vec![("reason", code.to_owned())]));
        }
        // The outcomes every relay sees are there from the start, at zero, so a rate or an
        // alert on them has a series before the first event.
        for outcome in ["ok", "failed", "locked", "disabled", "error"] {
            drop(logins.get_or_create(&vec![("outcome", outcome.to_owned())]));
        }
        drop(enrollments.get_or_create(&vec![("outcome", "enrolled".to_owned())]));
        drop(pushes.get_or_create(&vec![
            ("outcome", "stored".to_owned()),
            ("code", "none".to_owned()),
        ]));
        let store = StoreGauges::default();
        let gauges: [(&str, &str, &Gauge); 15] = [
            (
                "store_size_bytes",
                "Bytes the store takes",
                &store.store_bytes,
            ),
            (
                "store_registrations",
                "Registrations the store holds",
                &store.registrations,
            ),
            (
                "store_quarantined",
                "Captures kept in quarantine",
                &store.quarantined,
            ),
            (
                "store_devices",
                "Tablets the store knows (revoked included)",
                &store.devices,
            ),
            (
                "access_log_entries",
                "Entries the access log holds",
                &store.access_log_entries,
            ),
            (
                "access_log_last_verification_timestamp_seconds",
                "When this relay last verified the access log's chain (0: not yet)",
                &store.chain_verified_at,
            ),
            (
                "access_log_last_verification_ok",
                "1 if the last verification of the access log's chain passed, 0 if it failed, -1 if none ran yet",
                &store.chain_ok,
            ),
            (
                "backup_newest_age_seconds",
                "Age of the newest verified backup (-1: none recorded)",
                &store.backup_age,
            ),
            (
                "backup_newest_watermark",
                "Commit number the newest verified backup holds up to (-1: none recorded)",
                &store.backup_watermark,
            ),
            (
                "retention_last_run_removed",
                "Records the last finished retention run removed",
                &store.retention_removed,
            ),
            (
                "retention_last_run_held",
                "Due records a legal hold kept in the last finished retention run",
                &store.retention_held,
            ),
            (
                "retention_last_run_finished_timestamp_seconds",
                "When the last retention run finished (0: none yet)",
                &store.retention_finished_at,
            ),
            (
                "tablets_silent_with_unsent",
                "Tablets not heard from for 24 h that declared captures the relay does not hold",
                &store.silent_tablets,
            ),
            (
                "blind_index_retrying",
                "Registrations the duplicate index could not read yet, waiting to be tried again",
                &store.index_retrying,
            ),
            (
                "blind_index_given_up",
                "Registrations the duplicate index gave up on until the relay starts again",
                &store.index_given_up,
            ),
        ];
        for (name, help, gauge) in gauges {
            registry.register(name, help, gauge.clone());
        }
        registry.register(
            "retention_last_run_duration_seconds",
            "How long the last finished retention run took",
            store.retention_duration.clone(),
        );
        registry.register(
            "store_read_ok",
            "1 if the store's figures were read at the last scrape, 0 if the read failed",
            store.store_read_ok.clone(),
        );
        Metrics {
            registry,
            requests,
            latency,
            pushes,
            pulls,
            pulled_documents,
            enrollments,
            logins,
            not_ready,
            store,
            store_read_at: tokio::sync::Mutex::new(None),
        }
    }

    /// Counts a sync answer's push outcomes and pull page.
    pub fn sync_answered(&self, response: &SyncResponse) {
        for outcome in &response.outcomes {
            let (kind, code) = match outcome {
                PushOutcome::Stored(_) => ("stored", "none"),
                PushOutcome::Quarantined(code, _) => ("quarantined", code.as_str()),
                PushOutcome::Rejected(code, _) => ("rejected", code.as_str()),
            };
            self.pushes
                .get_or_create(&vec![
                    ("outcome", kind.to_owned()),
                    ("code", code.to_owned()),
                ])
                .inc();
        }
        self.pulls.inc();
        self.pulled_documents.inc_by(response.pulled.len() as u64);
    }

    /// Counts an enrollment attempt: `enrolled`, or the refusal's protocol code.
    pub fn enrollment(&self, outcome: &'static str) {
        self.enrollments
            .get_or_create(&vec![("outcome", outcome.to_owned())])
            .inc();
    }

    /// Counts a login: `ok`, `failed`, `locked`, `disabled` or `error`.
    pub fn login(&self, outcome: &'static str) {
        self.logins
            .get_or_create(&vec![("outcome", outcome.to_owned())])
            .inc();
    }

    fn request(&self, route: String, method: &'static str, status: u16, took: Duration) {
        self.requests
            .get_or_create(&vec![
                ("route", route.clone()),
                ("method", method.to_owned()),
                ("status", status.to_string()),
            ])
            .inc();
        self.latency
            .get_or_create(&vec![("route", route), ("method", method.to_owned())])
            .observe(took.as_secs_f64());
    }

    /// The metrics as text, after reading the store's figures if they are older than
    /// `cache_for`.
    pub async fn render(&self, state: &AppState) -> String {
        {
            let mut read_at = self.store_read_at.lock().await;
            let fresh = read_at.is_some_and(|at| at.elapsed() < state.observe.settings.cache_for);
            if !fresh {
                self.read_store(state).await;
                *read_at = Some(Instant::now());
            }
        }
        let mut text = String::new();
        if encode(&mut text, &self.registry).is_err() {
            tracing::error!("metrics could not be encoded");
        }
        text
    }

    async fn read_store(&self, state: &AppState) {
        // Readiness shares its cached verdict: a scrape adds no check of its own.
        let holding = super::readiness::reasons(state).await;
        for code in super::readiness::REASON_CODES {
            let holds = holding.iter().any(|reason| reason.code == code);
            self.not_ready
                .get_or_create(&vec![("reason", code.to_owned())])
                .set(i64::from(holds));
        }
        let g = &self.store;
        let now = now_ms();
        let store = state.store.clone();
        let read = tokio::task::spawn_blocking(move || {
            let figures = store.monitoring_figures(now - SILENT_AFTER_MS)?;
            let counts = store.counts()?;
            let index_failures = store.blind_index_failures()?;
            let last_run = store
                .retention_runs(1)?
                .into_iter()
                .find(|r| r.finished_at.is_some());
            Ok::<_, crate::storage::StorageError>((figures, counts, index_failures, last_run))
        });
        match tokio::time::timeout(state.observe.settings.probe_timeout, read).await {
            Ok(Ok(Ok((figures, counts, index_failures, last_run)))) => {
                g.index_retrying.set(clamp(index_failures.retrying));
                g.index_given_up.set(clamp(index_failures.given_up));
                g.store_read_ok.set(1);
                g.store_bytes.set(figures.store_bytes.map_or(-1, clamp));
                g.access_log_entries.set(clamp(figures.access_log_entries));
                g.silent_tablets.set(clamp(figures.silent_with_unsent));
                g.registrations.set(clamp(counts.registrations));
                g.quarantined.set(clamp(counts.quarantined));
                g.devices.set(clamp(counts.devices));
                if let Some(run) = last_run {
                    let finished = run.finished_at.unwrap_or(run.started_at);
                    g.retention_removed.set(clamp(run.removed));
                    g.retention_held.set(clamp(run.held));
                    g.retention_finished_at.set(finished / 1000);
                    g.retention_duration
                        .set((finished - run.started_at).max(0) as f64 / 1000.0);
                }
            }
            Ok(Ok(Err(e))) => {
                tracing::warn!(error = %e, "metrics: the store's figures were not read");
                g.store_read_ok.set(0);
            }
            Ok(Err(_)) | Err(_) => {
                g.store_read_ok.set(0);
            }
        }
        match state.observe.chain.last() {
            Some(check) => {
                g.chain_verified_at.set(check.at / 1000);
                g.chain_ok.set(i64::from(check.broken_at.is_none()));
            }
            None => {
                g.chain_ok.set(-1);
            }
        }
        let backup = match state.observe.settings.data_dir.clone() {
            Some(dir) => tokio::task::spawn_blocking(move || super::backup_status::newest(&dir))
                .await
                .ok()
                .and_then(Result::ok)
                .flatten(),
            None => None,
        };
        match backup {
            Some(backup) => {
                g.backup_age.set((now - backup.verified_at).max(0) / 1000);
                g.backup_watermark.set(clamp(backup.watermark));
            }
            None => {
                g.backup_age.set(-1);
                g.backup_watermark.set(-1);
            }
        }
    }
}

fn clamp(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

/// Counts every request by its route pattern (`unmatched` when no route took it), method
/// and status, and times it.
pub async fn track(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |p| p.as_str().to_owned());
    let method = match request.method().as_str() {
        "GET" => "GET",
        "HEAD" => "HEAD",
        "POST" => "POST",
        "PUT" => "PUT",
        "PATCH" => "PATCH",
        "DELETE" => "DELETE",
        "OPTIONS" => "OPTIONS",
        _ => "other",
    };
    let started = Instant::now();
    let response = next.run(request).await;
    state
        .observe
        .metrics
        .request(route, method, response.status().as_u16(), started.elapsed());
    response
}

const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

async fn exposition(state: &AppState) -> Response {
    let text = state.observe.metrics.render(state).await;
    ([(header::CONTENT_TYPE, CONTENT_TYPE)], text).into_response()
}

/// Whether `headers` carry the metrics token as `Authorization: Bearer …` (never, when the
/// relay has none).
pub(crate) fn holds_metrics_token(state: &AppState, headers: &HeaderMap) -> bool {
    let Some(expected) = state.observe.settings.metrics_token else {
        return false;
    };
    crate::hr::sessions::bearer_token(headers)
        .is_some_and(|token| crate::hr::sessions::secret_matches(&token, &expected))
}

/// `/metrics` on the relay's own listener: only with `--metrics-token-file`, and only to a
/// caller sending that token as `Authorization: Bearer …`; otherwise it is not there (404).
pub async fn metrics_behind_token(State(state): State<AppState>, headers: HeaderMap) -> Response {
    if state.observe.settings.metrics_token.is_none() {
        return StatusCode::NOT_FOUND.into_response();
    }
    if !holds_metrics_token(&state, &headers) {
        return (
            StatusCode::UNAUTHORIZED,
            [(header::WWW_AUTHENTICATE, "Bearer")],
            "metrics need the bearer token of --metrics-token-file\n",
        )
            .into_response();
    }
    exposition(&state).await
}

/// The separate metrics listener's routes (`--metrics-listen`): `/metrics` without a token
/// (bind it where only the monitoring system reaches), `/healthz` and `/readyz`.
pub fn metrics_router(state: AppState) -> Router {
    Router::new()
        .route(
            "/metrics",
            get(|State(state): State<AppState>| async move { exposition(&state).await }),
        )
        .route("/readyz", get(super::readiness::ready_in_full))
        .with_state(state)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The metric families a render declares (`# TYPE name kind`).
    async fn declared() -> Vec<String> {
        let state = AppState::demo_in_memory().expect("state");
        // Requests are labelled by route: none is declared before the first one.
        state
            .observe
            .metrics
            .request("/healthz".into(), "GET", 200, Duration::from_millis(1));
        let text = state.observe.metrics.render(&state).await;
        text.lines()
            .filter_map(|line| line.strip_prefix("# TYPE "))
            .filter_map(|rest| rest.split_whitespace().next())
            .map(str::to_owned)
            .collect()
    }

    #[tokio::test]
    async fn every_metric_the_grafana_dashboard_queries_is_one_the_relay_declares() {
        let dashboard = include_str!("../../../ops/grafana/kiosk-relay.json");
        serde_json::from_str::<serde_json::Value>(dashboard).expect("valid JSON");
        let declared = declared().await;
        let mut queried: Vec<&str> = dashboard
            .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .filter(|word| word.starts_with("kiosk_"))
            .collect();
        queried.sort_unstable();
        queried.dedup();
        assert!(queried.len() >= 10, "{queried:?}");
        for name in queried {
            let family = ["_total", "_bucket", "_sum", "_count"]
                .iter()
                .find_map(|suffix| name.strip_suffix(suffix))
                .filter(|family| declared.iter().any(|d| d == family))
                .unwrap_or(name);
            assert!(
                declared.iter().any(|d| d == family),
                "the dashboard queries {name}, which the relay does not declare ({declared:?})"
            );
        }
    }

    #[tokio::test]
    async fn records_the_duplicate_index_cannot_read_and_readiness_codes_are_counted_naming_no_one()
    {
        let state = AppState::demo_in_memory().expect("state");
        let ids: Vec<String> = crate::storage::ingest_generated_for_tests(state.store.as_ref(), 3)
            .iter()
            .map(|r| r.id.to_string())
            .collect();
        let now = now_ms();
        assert!(
            state
                .store
                .postpone_blind_index(&ids[0], 1, Some(now + 60_000), now)
                .expect("postpones")
        );
        assert!(
            state
                .store
                .postpone_blind_index(&ids[1], 10, None, now)
                .expect("postpones")
        );
        state.store_health.full(now);
        let text = state.observe.metrics.render(&state).await;
        for line in [
            "kiosk_blind_index_retrying 1",
            "kiosk_blind_index_given_up 1",
            r#"kiosk_not_ready{reason="store_full"} 1"#,
            r#"kiosk_not_ready{reason="low_disk"} 0"#,
            r#"kiosk_not_ready{reason="access_log_chain_broken"} 0"#,
        ] {
            assert!(text.lines().any(|l| l == line), "{line} in {text}");
        }
        for id in &ids {
            assert!(!text.contains(id.as_str()), "no record is named");
        }
    }

    #[tokio::test]
    async fn a_store_in_memory_has_no_backup_and_no_chain_verification_yet() {
        let state = AppState::demo_in_memory().expect("state");
        let text = state.observe.metrics.render(&state).await;
        for line in [
            "kiosk_backup_newest_age_seconds -1",
            "kiosk_access_log_last_verification_ok -1",
            "kiosk_store_read_ok 1",
            "kiosk_store_devices 0",
            r#"kiosk_logins_total{outcome="locked"} 0"#,
        ] {
            assert!(text.lines().any(|l| l == line), "{line} in {text}");
        }
    }
}
