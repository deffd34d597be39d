//! The traits a shell implements (the platform secret store, its own networking, a sync
//! listener) and their adapters to the core's traits. Every method returns a `Result`, so
//! a Kotlin or Swift or Python exception arrives as an error, never a panic.

use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};

use kiosk_core::secrets::SecretStoreError;
use kiosk_core::sync::TransportError;

use crate::error::KioskError;
use crate::types::{RecordOutcome, SyncFailure, SyncSummary};

/// Named secrets kept by the platform: the iOS Keychain or the Android Keystore (which holds
/// the data key, itself protected by the device passcode or biometrics). Called from any
/// thread.
#[uniffi::export(foreign)]
pub trait PlatformSecretStore: Send + Sync {
    /// The secret stored under `name`, or nothing.
    fn load(&self, name: String) -> Result<Option<Vec<u8>>, KioskError>;
    /// Stores `secret` under `name`, replacing any earlier one.
    fn store(&self, name: String, secret: Vec<u8>) -> Result<(), KioskError>;
    /// Removes the secret; removing one that is not there is not an error.
    fn delete(&self, name: String) -> Result<(), KioskError>;
}

/// An HTTP answer from the shell's own networking.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct RelayAnswer {
    pub status: u16,
    pub body: Vec<u8>,
}

/// Carries one request to the relay: a shell may use URLSession or OkHttp instead of the
/// core's client. Return any HTTP status the relay gave; when there is no answer, throw
/// (`KioskError.Network` with a detail for logs, or any exception: both end the sync as
/// `KioskError.Network`). Called on a core-owned background thread, never the UI thread.
#[uniffi::export(foreign)]
pub trait RelayTransport: Send + Sync {
    /// POSTs `body` (`application/cbor`) to the relay's `path` (e.g. `/v1/sync`).
    fn post(&self, path: String, body: Vec<u8>) -> Result<RelayAnswer, KioskError>;
}

/// What a shell hears while a sync runs, on a core-owned background thread: hop to the UI
/// thread before touching views. Throwing `KioskError.Cancelled` from `progress` or
/// `record_state` stops the sync before its next request, as cancelling the awaiting call
/// does (Swift needs this: a cancelled `Task` does not reach the core); throwing anything
/// else stops it with `KioskError.Callback`.
#[uniffi::export(foreign)]
pub trait SyncListener: Send + Sync {
    /// `done` of `total` records have an answer so far.
    fn progress(&self, done: u64, total: u64) -> Result<(), KioskError>;
    /// What became of one record, once its answer is kept.
    fn record_state(
        &self,
        registration_id: String,
        outcome: RecordOutcome,
    ) -> Result<(), KioskError>;
    /// The sync ended; the same summary is what the call returns.
    fn finished(&self, summary: SyncSummary) -> Result<(), KioskError>;
    /// The sync failed; the same error is what the call throws.
    fn failed(&self, failure: SyncFailure) -> Result<(), KioskError>;
}

/// The shell's secret store as the core's.
pub(crate) struct SecretStoreAdapter(pub(crate) Arc<dyn PlatformSecretStore>);

fn secret_store_error(error: KioskError) -> SecretStoreError {
    SecretStoreError(format!(
        "the platform secret store failed ({})",
        error.kind()
    ))
}

impl kiosk_core::secrets::SecretStore for SecretStoreAdapter {
    fn load(&self, name: &str) -> Result<Option<Vec<u8>>, SecretStoreError> {
        self.0.load(name.to_owned()).map_err(secret_store_error)
    }

    fn store(&self, name: &str, secret: &[u8]) -> Result<(), SecretStoreError> {
        self.0
            .store(name.to_owned(), secret.to_vec())
            .map_err(secret_store_error)
    }

    fn delete(&self, name: &str) -> Result<(), SecretStoreError> {
        self.0.delete(name.to_owned()).map_err(secret_store_error)
    }
}

/// The shell's networking as the core's transport.
pub(crate) struct TransportAdapter(pub(crate) Arc<dyn RelayTransport>);

impl kiosk_core::sync::Transport for TransportAdapter {
    fn post(&self, path: &str, body: Vec<u8>) -> Result<Vec<u8>, TransportError> {
        match self.0.post(path.to_owned(), body) {
            Ok(answer) => kiosk_core::sync::answer_from_status(answer.status, answer.body),
            Err(KioskError::Network { detail, .. }) => Err(TransportError::Unreachable(detail)),
            Err(other) => Err(TransportError::Unreachable(format!(
                "the shell's transport failed ({})",
                other.kind()
            ))),
        }
    }
}

/// The shell's listener as the core's, plus the cancellation of the awaiting call. A
/// listener that throws stops the sync before its next request.
pub(crate) struct ListenerAdapter {
    pub(crate) listener: Arc<dyn SyncListener>,
    pub(crate) cancelled: Arc<AtomicBool>,
    /// The first failure of the shell's listener.
    pub(crate) failure: Mutex<Option<KioskError>>,
}

impl ListenerAdapter {
    fn heard(&self, result: Result<(), KioskError>) {
        // Throwing `Cancelled` is how a shell without cancellable calls stops a sync (uniffi's
        // Swift async does not pass a task's cancellation on).
        if let Err(KioskError::Cancelled { .. }) = result {
            self.cancelled.store(true, Ordering::SeqCst);
            return;
        }
        if let Err(error) = result
            && let Ok(mut failure) = self.failure.lock()
        {
            failure.get_or_insert(KioskError::Callback {
                detail: format!("the sync listener failed ({})", error.kind()),
            });
        }
    }

    /// The listener's failure, if it threw.
    pub(crate) fn take_failure(&self) -> Option<KioskError> {
        self.failure.lock().ok().and_then(|mut f| f.take())
    }
}

impl kiosk_core::sync::SyncListener for ListenerAdapter {
    fn progress(&self, done: u64, total: u64) {
        self.heard(self.listener.progress(done, total));
    }

    fn record(&self, doc_id: &str, outcome: kiosk_core::sync::RecordOutcome) {
        self.heard(
            self.listener
                .record_state(doc_id.to_owned(), RecordOutcome::from(outcome)),
        );
    }

    fn cancelled(&self) -> bool {
        self.cancelled.load(Ordering::SeqCst) || self.failure.lock().map_or(true, |f| f.is_some())
    }
}
