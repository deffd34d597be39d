//! Reconciliation: per event and per tablet, what the tablet captured against what the
//! relay received, stored, kept in quarantine and removed, so that a tablet gone silent with
//! unsent records stands out; and the closing report of an event, signed by the relay, that
//! an official can file. Admins and archivists. The JSON routes and the console pages call
//! [`event_reconciliation`], [`overview`] and [`closing_report`].
//!
//! *Captured* is what the relay knows of a tablet's journal: the count the tablet declared
//! in its last sync request (each capture takes the next number), or the highest journal
//! number its pushes carried, or what it received, whichever is most. What a tablet
//! captured after its last contact is unknown until it syncs again. *Unsent* is captured −
//! received: captures the tablet still holds (a request cut short, a push refused).
//!
//! Everything here is counts, device keys and event data: no visitor's personal data is
//! read, so nothing here is written to the access log.

use std::collections::HashMap;

use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use kiosk_core::ids::{CalendarDate, EventId};
use kiosk_core::language::Localized;
use kiosk_core::protocol::enrollment::EnrolledRole;
use serde::Serialize;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::blocking::blocking;
use crate::error::AppError;
use crate::hr::caller::Caller;
use crate::hr::error::{HrError, HrResult, Missing, StorageContext};
use crate::hr::policy::may_reconcile;
use crate::state::{AppState, now_ms};
use crate::storage::{RelayStore, StorageResult};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/reconciliation", get(list_overview))
        .route(
            "/api/v1/events/{id}/reconciliation",
            get(one_event_reconciliation),
        )
        .route(
            "/api/v1/events/{id}/closing-report",
            get(signed_closing_report),
        )
}

/// A tablet with unsent records that has not been in contact for this long (relay time)
/// is *silent*: someone should find it before its records are lost.
pub const SILENT_AFTER_MS: i64 = 24 * 3_600_000;

/// Domain tag of a closing report's signature: the relay signs `tag ‖ canonical JSON`.
pub const CLOSING_REPORT_TAG: &[u8] = b"kiosk-closing-report-v1";

/// The version of the closing report's JSON form.
const REPORT_VERSION: u16 = 1;

/// An event as reconciliation names it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct EventHeading {
    pub id: String,
    pub name: Localized,
    pub venue: String,
    pub starts_on: CalendarDate,
    /// `None` for a standing desk.
    pub ends_on: Option<CalendarDate>,
}

/// One tablet's counts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct DeviceLine {
    /// The device key in hex.
    pub id: String,
    /// The name HR gave the tablet, if any ([`crate::hr::device_names`]).
    pub name: Option<String>,
    /// `kiosk` or `staff`.
    pub role: &'static str,
    pub enrolled_at: i64,
    pub revoked_at: Option<i64>,
    pub last_contact: Option<i64>,
    /// Captures the relay knows the tablet made (see the module docs).
    pub captured: u64,
    /// Captures received from it, removed ones included…
    pub received: u64,
    /// …of which stored as registrations,
    pub stored: u64,
    /// …kept in quarantine,
    pub quarantined: u64,
    /// …and removed since.
    pub removed: u64,
    /// `captured − received`.
    pub unsent: u64,
    /// Unsent records, and no contact for [`SILENT_AFTER_MS`] (or ever).
    pub silent_with_unsent: bool,
}

/// Sums over an event's tablets.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub(crate) struct Totals {
    pub devices: u64,
    pub captured: u64,
    pub received: u64,
    pub stored: u64,
    pub quarantined: u64,
    pub removed: u64,
    pub unsent: u64,
    /// Tablets silent with unsent records.
    pub silent_with_unsent: u64,
}

impl Totals {
    fn add(&mut self, device: &DeviceLine) {
        self.devices += 1;
        self.captured += device.captured;
        self.received += device.received;
        self.stored += device.stored;
        self.quarantined += device.quarantined;
        self.removed += device.removed;
        self.unsent += device.unsent;
        self.silent_with_unsent += u64::from(device.silent_with_unsent);
    }
}

/// HR's final decisions on the event's quarantined captures.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub(crate) struct QuarantineDecisions {
    pub accepted: u64,
    pub kept_apart: u64,
}

/// One event's reconciliation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct EventReconciliation {
    pub event: EventHeading,
    pub generated_at: i64,
    /// Silent tablets first, then in enrollment order.
    pub devices: Vec<DeviceLine>,
    pub totals: Totals,
    pub quarantine_decisions: QuarantineDecisions,
    /// The event's registrations removed (retention, withdrawal).
    pub removals: u64,
}

/// Reconciles event `event` at relay time `now` (blocking).
fn reconcile(
    store: &dyn RelayStore,
    event: EventHeading,
    now: i64,
) -> StorageResult<EventReconciliation> {
    let tally = store.reconciliation_tally(&event.id)?;
    let mut devices = Vec::new();
    let mut totals = Totals::default();
    // The tablets page's own report per tablet, so both pages count alike.
    for key in store.device_keys(Some(&event.id))? {
        let Some(report) = store.device_report(&key)? else {
            continue;
        };
        let journal = tally.devices.get(&key).copied().unwrap_or_default();
        let received = journal.entries.max(report.received + journal.removed);
        let captured = journal.highest_seq.max(received);
        let unsent = captured - received;
        let silent = report
            .last_contact
            .is_none_or(|contact| now - contact >= SILENT_AFTER_MS);
        let line = DeviceLine {
            id: hex::encode(key),
            name: report.record.name.clone(),
            role: match report.record.role {
                EnrolledRole::Kiosk => "kiosk",
                EnrolledRole::Staff => "staff",
            },
            enrolled_at: report.record.certified_at,
            revoked_at: report.record.revoked_at,
            last_contact: report.last_contact,
            captured,
            received,
            stored: report.stored,
            quarantined: report.quarantined,
            removed: journal.removed,
            unsent,
            silent_with_unsent: unsent > 0 && silent,
        };
        totals.add(&line);
        devices.push(line);
    }
    // Stable: enrollment order within each group.
    devices.sort_by_key(|device| !device.silent_with_unsent);
    Ok(EventReconciliation {
        event,
        generated_at: now,
        devices,
        totals,
        quarantine_decisions: QuarantineDecisions {
            accepted: tally.accepted,
            kept_apart: tally.kept_apart,
        },
        removals: tally.removals,
    })
}

/// Event `id`'s heading, or `UnknownEvent`.
fn event_heading(store: &dyn RelayStore, id: &str) -> HrResult<EventHeading> {
    let event_id = EventId::parse(id).ok_or(Missing::Event)?;
    let event = store
        .event(&event_id)
        .context("reading an event")?
        .ok_or(Missing::Event)?;
    Ok(EventHeading {
        id: event.id.to_string(),
        name: event.name,
        venue: event.venue,
        starts_on: event.starts_on,
        ends_on: event.ends_on,
    })
}

/// Event `id`'s reconciliation now (admins and archivists).
pub(crate) async fn event_reconciliation(
    state: &AppState,
    caller: &Caller,
    id: String,
) -> HrResult<EventReconciliation> {
    may_reconcile(&caller.user)?;
    let store = state.store.clone();
    blocking(move || -> HrResult<EventReconciliation> {
        let event = event_heading(store.as_ref(), &id)?;
        reconcile(store.as_ref(), event, now_ms()).context("reconciling an event")
    })
    .await?
}

/// Every event's reconciliation now: events with silent tablets first, then latest start
/// first (admins and archivists).
pub(crate) async fn overview(
    state: &AppState,
    caller: &Caller,
) -> HrResult<Vec<EventReconciliation>> {
    may_reconcile(&caller.user)?;
    let store = state.store.clone();
    blocking(move || -> HrResult<Vec<EventReconciliation>> {
        let now = now_ms();
        let mut events = Vec::new();
        let summaries = store.event_summaries().context("listing events")?;
        for summary in summaries {
            let event = EventHeading {
                id: summary.id.to_string(),
                name: summary.name,
                venue: summary.venue,
                starts_on: summary.starts_on,
                ends_on: summary.ends_on,
            };
            events.push(reconcile(store.as_ref(), event, now).context("reconciling an event")?);
        }
        events.sort_by_key(|event| event.totals.silent_with_unsent == 0);
        Ok(events)
    })
    .await?
}

/// The closing report of an event: its reconciliation as the relay signs it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct ClosingReport {
    pub version: u16,
    #[serde(flatten)]
    pub reconciliation: EventReconciliation,
    /// The username of the HR user who had it made.
    pub generated_by: String,
    /// The silence threshold the flags were judged by.
    pub silent_after_ms: i64,
}

/// A closing report with the bytes the relay signed and its signature.
#[derive(Debug, Clone)]
pub(crate) struct SignedClosingReport {
    pub report: ClosingReport,
    /// The report's canonical JSON: keys sorted, no whitespace.
    pub canonical: Vec<u8>,
    /// SHA-256 of `canonical`.
    pub digest: [u8; 32],
    /// Ed25519 over [`CLOSING_REPORT_TAG`] ‖ `canonical`.
    pub signature: [u8; 64],
    pub relay_key: [u8; 32],
}

impl SignedClosingReport {
    /// The JSON answer: `{report, digest_hex, signature_hex, relay_key_hex}`, with `report`
    /// written as the very bytes that were signed.
    pub fn to_json(&self) -> Vec<u8> {
        let mut body = Vec::with_capacity(self.canonical.len() + 400);
        body.extend_from_slice(b"{\"digest_hex\":\"");
        body.extend_from_slice(hex::encode(self.digest).as_bytes());
        body.extend_from_slice(b"\",\"relay_key_hex\":\"");
        body.extend_from_slice(hex::encode(self.relay_key).as_bytes());
        body.extend_from_slice(b"\",\"report\":");
        body.extend_from_slice(&self.canonical);
        body.extend_from_slice(b",\"signature_hex\":\"");
        body.extend_from_slice(hex::encode(self.signature).as_bytes());
        body.extend_from_slice(b"\"}");
        body
    }
}

/// `value` as canonical JSON: object keys sorted by their UTF-8 bytes, no whitespace, and
/// serde_json's spelling of strings and numbers (the report holds integers only). Parsing
/// the bytes and writing them again this way gives the same bytes, so anyone can check the
/// signature from the JSON alone.
pub fn canonical_json(value: &Value) -> Vec<u8> {
    fn write(value: &Value, out: &mut Vec<u8>) {
        match value {
            Value::Object(map) => {
                let mut entries: Vec<(&String, &Value)> = map.iter().collect();
                entries.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
                out.push(b'{');
                for (i, (key, value)) in entries.into_iter().enumerate() {
                    if i > 0 {
                        out.push(b',');
                    }
                    out.extend_from_slice(&serde_json::to_vec(key).unwrap_or_default());
                    out.push(b':');
                    write(value, out);
                }
                out.push(b'}');
            }
            Value::Array(items) => {
                out.push(b'[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(b',');
                    }
                    write(item, out);
                }
                out.push(b']');
            }
            scalar => out.extend_from_slice(&serde_json::to_vec(scalar).unwrap_or_default()),
        }
    }
    let mut out = Vec::new();
    write(value, &mut out);
    out
}

/// Event `id`'s closing report, made now for `caller` and signed by the relay (admins and
/// archivists). Counts and device keys only, no personal data: it is not access-logged.
pub(crate) async fn closing_report(
    state: &AppState,
    caller: &Caller,
    id: String,
) -> HrResult<SignedClosingReport> {
    let user = may_reconcile(&caller.user)?;
    let username = user.username.clone();
    let user_id = user.id;
    let reconciliation = event_reconciliation(state, caller, id).await?;
    let report = ClosingReport {
        version: REPORT_VERSION,
        reconciliation,
        generated_by: username,
        silent_after_ms: SILENT_AFTER_MS,
    };
    let value = serde_json::to_value(&report).map_err(|source| HrError::Unexpected {
        context: "a closing report as JSON",
        source: Box::new(source),
    })?;
    let canonical = canonical_json(&value);
    let digest: [u8; 32] = Sha256::digest(&canonical).into();
    let message = [CLOSING_REPORT_TAG, canonical.as_slice()].concat();
    let signature = ed25519_dalek::Signer::sign(&state.keys.signing, &message).to_bytes();
    tracing::info!(
        user = user_id,
        event = report.reconciliation.event.id,
        "closing report signed"
    );
    Ok(SignedClosingReport {
        report,
        canonical,
        digest,
        signature,
        relay_key: state.keys.signing.verifying_key().to_bytes(),
    })
}

async fn one_event_reconciliation(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<EventReconciliation>, AppError> {
    Ok(Json(event_reconciliation(&state, &caller, id).await?))
}

/// A tablet silent with unsent records, with its event, as the overview lists it.
#[derive(Serialize)]
struct SilentDevice<'a> {
    event_id: &'a str,
    #[serde(flatten)]
    device: &'a DeviceLine,
}

async fn list_overview(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<Value>, AppError> {
    let events = overview(&state, &caller).await?;
    let mut silent: Vec<SilentDevice<'_>> = events
        .iter()
        .flat_map(|event| {
            event
                .devices
                .iter()
                .filter(|device| device.silent_with_unsent)
                .map(|device| SilentDevice {
                    event_id: &event.event.id,
                    device,
                })
        })
        .collect();
    // The longest silent first; never in contact counts as longest.
    silent.sort_by_key(|silent| silent.device.last_contact.unwrap_or(i64::MIN));
    let by_event: Vec<HashMap<&str, Value>> = events
        .iter()
        .map(|event| {
            HashMap::from([
                ("event", json!(event.event)),
                ("totals", json!(event.totals)),
                ("quarantine_decisions", json!(event.quarantine_decisions)),
                ("removals", json!(event.removals)),
            ])
        })
        .collect();
    Ok(Json(json!({
        "generated_at": events.first().map_or_else(now_ms, |event| event.generated_at),
        "silent_after_ms": SILENT_AFTER_MS,
        "silent_devices": silent,
        "events": by_event,
    })))
}

async fn signed_closing_report(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let signed = closing_report(&state, &caller, id).await?;
    Ok((
        StatusCode::OK,
        [(header::CONTENT_TYPE, "application/json")],
        signed.to_json(),
    )
        .into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonical_json_sorts_keys_and_survives_a_round_trip() {
        let value = json!({ "b": 1, "a": { "z": [1, "x\"y"], "y": null }, "å": true });
        let bytes = canonical_json(&value);
        assert_eq!(
            String::from_utf8(bytes.clone()).expect("utf-8"),
            r#"{"a":{"y":null,"z":[1,"x\"y"]},"b":1,"å":true}"#
        );
        let again: Value = serde_json::from_slice(&bytes).expect("json");
        assert_eq!(canonical_json(&again), bytes);
    }

    #[test]
    fn totals_sum_every_tablet_and_count_the_silent_ones() {
        let line = |unsent: u64, silent: bool| DeviceLine {
            id: String::new(),
            name: None,
            role: "kiosk",
            enrolled_at: 0,
            revoked_at: None,
            last_contact: None,
            captured: 3,
            received: 3 - unsent,
            stored: 3 - unsent,
            quarantined: 0,
            removed: 0,
            unsent,
            silent_with_unsent: silent,
        };
        let mut totals = Totals::default();
        totals.add(&line(2, true));
        totals.add(&line(0, false));
        assert_eq!(
            (
                totals.devices,
                totals.captured,
                totals.received,
                totals.unsent
            ),
            (2, 6, 4, 2)
        );
        assert_eq!(totals.silent_with_unsent, 1);
    }
}
