//! `KioskDevice`: a tablet's device opened on a path with the platform's secret store. It
//! starts visitor sessions and staff mode, enrolls, and syncs.

use std::path::Path;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use kiosk_core::device::Device;
use kiosk_core::ids::Timestamp;
use kiosk_core::protocol::enrollment::{EnrolledRole, EnrollmentCode};
use kiosk_core::sync::{BatchLimits, DeadlineTransport, Transport};

use crate::background::on_core_thread;
use crate::error::KioskError;
use crate::foreign::{
    ListenerAdapter, PlatformSecretStore, RelayTransport, SecretStoreAdapter, SyncListener,
    TransportAdapter,
};
use crate::staff::StaffMode;
use crate::types::{DeviceRole, DeviceSetup, Enrollment, SyncOptions, SyncSummary, WipeOutcome};
use crate::visitor::VisitorSession;

/// An opened tablet device. Safe to share between threads.
#[derive(uniffi::Object)]
pub struct KioskDevice {
    /// `None` once closed: every call then answers `KioskError.Closed`.
    device: RwLock<Option<Arc<Device>>>,
    secrets: Arc<dyn kiosk_core::secrets::SecretStore>,
}

impl std::fmt::Debug for KioskDevice {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KioskDevice").finish_non_exhaustive()
    }
}

impl KioskDevice {
    /// The open core device, or `Closed`.
    pub(crate) fn core(&self) -> Result<Arc<Device>, KioskError> {
        self.device
            .read()
            .ok()
            .and_then(|device| device.clone())
            .ok_or_else(KioskError::closed)
    }
}

#[uniffi::export]
impl KioskDevice {
    /// Opens the device store at `path` (a file in the app's private storage), creating the
    /// device (its key pair, and the data key in `secret_store`) if there is none yet. An
    /// existing store keeps the role it was created with.
    #[uniffi::constructor]
    pub fn open(
        path: String,
        secret_store: Arc<dyn PlatformSecretStore>,
        role_if_new: DeviceRole,
    ) -> Result<Arc<KioskDevice>, KioskError> {
        KioskDevice::open_with(
            path,
            Arc::new(SecretStoreAdapter(secret_store)),
            role_if_new,
        )
    }

    /// Opens the device store at `path` like [`KioskDevice::open`], keeping its secrets
    /// (the data key) as files readable only by the owner in `secrets_directory`. For a
    /// shell on a desk PC or a server, which has no platform key store to hand the core
    /// (the web kiosk); a tablet shell passes its Keychain or Keystore to `open` instead.
    #[uniffi::constructor]
    pub fn open_with_secrets_directory(
        path: String,
        secrets_directory: String,
        role_if_new: DeviceRole,
    ) -> Result<Arc<KioskDevice>, KioskError> {
        let secrets = kiosk_core::secrets::FileSecretStore::new(secrets_directory);
        KioskDevice::open_with(path, Arc::new(secrets), role_if_new)
    }

    /// The device's public key (hex): its id at the relay.
    pub fn device_id(&self) -> Result<String, KioskError> {
        Ok(self.core()?.device_id().to_string())
    }

    pub fn role(&self) -> Result<DeviceRole, KioskError> {
        Ok(self.core()?.role().into())
    }

    /// Where the tablet stands: enrolled, its event, a PIN set, a wipe ordered, the last
    /// sync and any refusal. Needs no PIN and holds no personal data, so a shell can ask it
    /// at start and after each sync to pick its screen. A wiped tablet answers `Wiped`.
    pub fn setup_state(&self) -> Result<DeviceSetup, KioskError> {
        let device = self.core()?;
        let certificate = device.certificate()?;
        Ok(DeviceSetup {
            role: device.role().into(),
            enrolled: certificate.is_some() && device.relay_key()?.is_some(),
            enrollment_expires_at_ms: certificate.map(|c| c.expires_at),
            event_name: device.event()?.map(|event| event.name.into()),
            staff_pin_set: kiosk_core::staff::pin_is_set(&device)?,
            wipe_ordered: device.wipe_order()?.is_some(),
            last_sync_ok_at_ms: device.last_sync_at()?.map(Timestamp::millis),
            relay_refusal: device.sync_refusal()?.map(Into::into),
        })
    }

    /// Installs the demo event (the one `kiosk-sync-server demo` publishes), the event a
    /// tablet enrolls for until HR's console publishes others.
    pub fn install_demo_event(&self) -> Result<(), KioskError> {
        let event = kiosk_core::demo::demo_event();
        Ok(self.core()?.install_event(&event, Timestamp::now())?)
    }

    /// Enrolls with the code HR gave, over the core's HTTPS client to `relay_url`. With
    /// `expected_relay_key_id` (from the enrollment QR code) the relay's key is checked too.
    /// `trusted_roots_pem` (PEM certificates) replaces the public roots for a relay whose
    /// certificate a private CA issued.
    pub async fn enroll_over_http(
        &self,
        relay_url: String,
        trusted_roots_pem: Option<Vec<u8>>,
        code: String,
        expected_relay_key_id: Option<String>,
    ) -> Result<Enrollment, KioskError> {
        let transport = http_transport(&relay_url, trusted_roots_pem)?;
        self.enroll_with(transport, code, expected_relay_key_id, Some(relay_url))
            .await
    }

    /// Enrolls with the code HR gave, over the shell's own networking.
    pub async fn enroll(
        &self,
        transport: Arc<dyn RelayTransport>,
        code: String,
        expected_relay_key_id: Option<String>,
    ) -> Result<Enrollment, KioskError> {
        self.enroll_with(
            Arc::new(TransportAdapter(transport)),
            code,
            expected_relay_key_id,
            None,
        )
        .await
    }

    /// Keeps the relay's public address (`https://relay.example.se`), which a visitor's
    /// receipt page address (the QR code on the thank-you screen) is made from.
    /// `enroll_over_http` keeps its `relay_url` itself; a shell that enrolls over its own
    /// transport calls this with the address its transport posts to.
    pub fn set_relay_address(&self, relay_url: String) -> Result<(), KioskError> {
        Ok(self.core()?.set_relay_address(&relay_url)?)
    }

    /// Sets the first staff PIN (6–12 digits). Refuses if one is set.
    pub fn set_staff_pin(&self, pin: String) -> Result<(), KioskError> {
        Ok(kiosk_core::staff::set_initial_pin(&*self.core()?, &pin)?)
    }

    /// A visitor session showing the current form. Needs an event and an enrollment.
    pub fn start_visitor_session(self: Arc<Self>) -> Result<Arc<VisitorSession>, KioskError> {
        let session = kiosk_core::visitor::VisitorSession::start(self.core()?, Timestamp::now())?;
        Ok(Arc::new(VisitorSession::new(self, session)))
    }

    /// Opens staff mode with the PIN. The PIN's key derivation takes a moment, so this runs
    /// off the calling thread.
    pub async fn unlock_staff(self: Arc<Self>, pin: String) -> Result<Arc<StaffMode>, KioskError> {
        self.open_staff_mode(move |device, now| kiosk_core::staff::unlock(device, &pin, now))
            .await
    }

    /// Sets a new PIN with the unlock HR sent (it arrives with a sync) and opens staff mode.
    pub async fn reset_staff_pin_with_unlock(
        self: Arc<Self>,
        new_pin: String,
    ) -> Result<Arc<StaffMode>, KioskError> {
        self.open_staff_mode(move |device, now| {
            kiosk_core::staff_unlock::reset_pin_with_unlock(device, &new_pin, now)
        })
        .await
    }

    /// Sets a new PIN with the unlock code HR read out or sent, and opens staff mode.
    pub async fn unlock_staff_with_code(
        self: Arc<Self>,
        code: String,
        new_pin: String,
    ) -> Result<Arc<StaffMode>, KioskError> {
        self.open_staff_mode(move |device, now| {
            kiosk_core::staff_unlock::unlock_with_code(device, &code, &new_pin, now)
        })
        .await
    }

    /// Syncs over the core's HTTPS client: pushes what lacks a receipt, pulls what the
    /// tablet lacks. To stop between requests, cancel the awaiting Kotlin coroutine or
    /// Python task, or throw `KioskError.Cancelled` from the listener (Swift).
    pub async fn sync_over_http(
        &self,
        relay_url: String,
        trusted_roots_pem: Option<Vec<u8>>,
        listener: Arc<dyn SyncListener>,
        options: SyncOptions,
    ) -> Result<SyncSummary, KioskError> {
        let transport = http_transport(&relay_url, trusted_roots_pem)?;
        self.sync_with(transport, listener, options).await
    }

    /// Syncs over the shell's own networking. A request the transport does not answer within
    /// `options.request_timeout_ms` ends the sync with `KioskError.Network`.
    pub async fn sync(
        &self,
        transport: Arc<dyn RelayTransport>,
        listener: Arc<dyn SyncListener>,
        options: SyncOptions,
    ) -> Result<SyncSummary, KioskError> {
        self.sync_with(Arc::new(TransportAdapter(transport)), listener, options)
            .await
    }

    /// Erases the store and the data key, once the relay ordered it and every record has a
    /// receipt and a relay backup; until then says what it waits for.
    pub fn wipe(&self) -> Result<WipeOutcome, KioskError> {
        let outcome = self.core()?.wipe(self.secrets.as_ref())?;
        Ok(outcome.into())
    }

    /// Closes the device: later calls on it, and on its sessions, answer `Closed`. A sync
    /// already running finishes its current request first. The store's file is released
    /// once the session objects are gone too (Kotlin `close()`, Swift and Python release).
    pub fn close_store(&self) {
        if let Ok(mut device) = self.device.write() {
            device.take();
        }
    }
}

impl KioskDevice {
    fn open_with(
        path: String,
        secrets: Arc<dyn kiosk_core::secrets::SecretStore>,
        role_if_new: DeviceRole,
    ) -> Result<Arc<KioskDevice>, KioskError> {
        let device = Device::open(Path::new(&path), secrets.as_ref(), role_if_new.into())?;
        Ok(Arc::new(KioskDevice {
            device: RwLock::new(Some(device)),
            secrets,
        }))
    }

    /// Runs one of the core's ways into staff mode (each derives a PIN key) off the calling
    /// thread.
    async fn open_staff_mode(
        self: Arc<Self>,
        open: impl FnOnce(
            &Arc<Device>,
            Timestamp,
        ) -> kiosk_core::Result<kiosk_core::staff::StaffSession>
        + Send
        + 'static,
    ) -> Result<Arc<StaffMode>, KioskError> {
        let device = self.core()?;
        let session = on_core_thread("pin", move |_| Ok(open(&device, Timestamp::now())?)).await?;
        Ok(Arc::new(StaffMode::new(self, session)))
    }

    async fn enroll_with(
        &self,
        transport: Arc<dyn Transport>,
        code: String,
        expected_relay_key_id: Option<String>,
        relay_address: Option<String>,
    ) -> Result<Enrollment, KioskError> {
        let device = self.core()?;
        let code = EnrollmentCode::parse(&code).ok_or_else(|| {
            KioskError::invalid(
                kiosk_core::validation::Field::EnrollmentCode,
                kiosk_core::validation::Reason::NotACode,
            )
        })?;
        on_core_thread("enroll", move |_| {
            let transport = DeadlineTransport::new(transport, Duration::from_secs(60));
            let certificate = device.enroll_at(
                &code,
                &transport,
                expected_relay_key_id.as_deref(),
                relay_address.as_deref(),
            )?;
            Ok(Enrollment {
                device_id: device.device_id().to_string(),
                event_id: certificate.event_id,
                role: match certificate.role {
                    EnrolledRole::Kiosk => DeviceRole::Kiosk,
                    EnrolledRole::Staff => DeviceRole::Staff,
                },
                recruiter: certificate.recruiter,
                expires_at_ms: certificate.expires_at,
            })
        })
        .await
    }

    async fn sync_with(
        &self,
        transport: Arc<dyn Transport>,
        listener: Arc<dyn SyncListener>,
        options: SyncOptions,
    ) -> Result<SyncSummary, KioskError> {
        let device = self.core()?;
        let limits = sync_limits(options)?;
        let deadline = Duration::from_millis(options.request_timeout_ms);
        on_core_thread("sync", move |cancelled| {
            let adapter = ListenerAdapter {
                listener: Arc::clone(&listener),
                cancelled,
                failure: std::sync::Mutex::new(None),
            };
            let transport = DeadlineTransport::new(transport, deadline);
            let result =
                kiosk_core::sync::sync(&device, &transport, &adapter, limits, Timestamp::now);
            // A listener that threw is why the sync stopped: say so, not "cancelled".
            let failure = adapter.take_failure();
            match (result, failure) {
                (Ok(report), None) => {
                    let summary = SyncSummary::from(report);
                    // A throw now changes nothing: the sync is complete and kept.
                    let _ = listener.finished(summary.clone());
                    Ok(summary)
                }
                (Ok(_), Some(error)) | (Err(_), Some(error)) => {
                    let _ = listener.failed(error.as_sync_failure());
                    Err(error)
                }
                (Err(error), None) => {
                    let error = KioskError::from(error);
                    let _ = listener.failed(error.as_sync_failure());
                    Err(error)
                }
            }
        })
        .await
    }
}

/// The core's HTTPS client, trusting `trusted_roots_pem` instead of the public roots if given.
#[cfg(feature = "http-transport")]
fn http_transport(
    relay_url: &str,
    trusted_roots_pem: Option<Vec<u8>>,
) -> Result<Arc<dyn Transport>, KioskError> {
    use kiosk_core::sync::HttpTransport;
    use kiosk_core::validation::{Field, Reason};
    Ok(match trusted_roots_pem {
        None => Arc::new(HttpTransport::new(relay_url)),
        Some(pem) => Arc::new(
            HttpTransport::with_root_certificates(relay_url, &pem)
                .map_err(|_| KioskError::invalid(Field::TrustedRoots, Reason::Unreadable))?,
        ),
    })
}

/// Built without the core's HTTP client (the default, for the smallest library; the
/// `http-transport` feature puts it in): the shell brings its own transport.
#[cfg(not(feature = "http-transport"))]
fn http_transport(
    _relay_url: &str,
    _trusted_roots_pem: Option<Vec<u8>>,
) -> Result<Arc<dyn Transport>, KioskError> {
    Err(KioskError::from(kiosk_core::Error::Transport(
        kiosk_core::sync::TransportError::Unreachable(
            "this library was built without the core's HTTP client; use sync() with a transport"
                .into(),
        ),
    )))
}

/// The core's batch limits from the shell's options, refusing values out of range.
fn sync_limits(options: SyncOptions) -> Result<BatchLimits, KioskError> {
    use kiosk_core::validation::{Field, Reason};
    if !(1..=1000).contains(&options.max_documents) {
        let range = Reason::OutOfRange { min: 1, max: 1000 };
        return Err(KioskError::invalid(Field::SyncSetting, range));
    }
    if !(1_000..=600_000).contains(&options.request_timeout_ms) {
        let range = Reason::OutOfRange {
            min: 1_000,
            max: 600_000,
        };
        return Err(KioskError::invalid(Field::SyncSetting, range));
    }
    Ok(BatchLimits {
        max_documents: options.max_documents as usize,
        ..BatchLimits::default()
    })
}
