//! Renewing the relay's certificate without a restart: [`ReloadingCertificate`] answers
//! every TLS handshake with the certificate and key it holds now, and takes new ones from
//! the same files on SIGHUP or when the files change (their modification time or size,
//! looked at every [`WATCH_EVERY`]). Connections already open keep the certificate they
//! shook hands with; only new ones see the new one.
//!
//! A file that cannot be used (garbage, half-written, a key that does not match) leaves the
//! certificate in use as it is, and the error, which names the files and never quotes
//! their contents, is logged once per change of the files.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, SystemTime};

use rustls::crypto::CryptoProvider;
use rustls::server::{ClientHello, ResolvesServerCert};
use rustls::sign::CertifiedKey;

use crate::tls::{ServerConfig, TlsError, read_certificates, read_private_key};

/// How often the files are looked at for a change.
pub const WATCH_EVERY: Duration = Duration::from_secs(5);

/// What the files looked like when last read: modification time and length of each.
type Stamp = Option<[(SystemTime, u64); 2]>;

/// The relay's certificate and key, as loaded from two PEM files, swappable while serving.
#[derive(Debug)]
pub struct ReloadingCertificate {
    certificate: PathBuf,
    key: PathBuf,
    provider: Arc<CryptoProvider>,
    current: RwLock<Arc<CertifiedKey>>,
    /// The files' stamp at the last attempt to read them, successful or not: a failed
    /// reload is not tried (and logged) again until the files change again.
    seen: Mutex<Stamp>,
}

impl ReloadingCertificate {
    /// Loads the certificate chain (leaf first) and key from the PEM files; an error names
    /// the file at fault, as [`crate::tls::load_server_config`]'s do.
    pub fn load(certificate: &Path, key: &Path) -> Result<Arc<ReloadingCertificate>, TlsError> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let seen = stamp(certificate, key);
        let loaded = certified_key(certificate, key, &provider)?;
        Ok(Arc::new(ReloadingCertificate {
            certificate: certificate.to_owned(),
            key: key.to_owned(),
            provider,
            current: RwLock::new(Arc::new(loaded)),
            seen: Mutex::new(seen),
        }))
    }

    /// The relay's TLS configuration, answering each handshake with the certificate held at
    /// that moment (HTTP/1.1 only, as [`crate::tls::load_server_config`]).
    pub fn server_config(self: &Arc<Self>) -> Result<Arc<ServerConfig>, TlsError> {
        let unusable = |reason| TlsError::Unusable {
            certificate: self.certificate.clone(),
            key: self.key.clone(),
            reason,
        };
        let mut config = ServerConfig::builder_with_provider(self.provider.clone())
            .with_safe_default_protocol_versions()
            .map_err(unusable)?
            .with_no_client_auth()
            .with_cert_resolver(self.clone());
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        Ok(Arc::new(config))
    }

    /// Reads both files again and, if they make a usable pair, serves them to new
    /// connections from now on. On an error the certificate in use stays.
    pub fn reload(&self) -> Result<(), TlsError> {
        *self.seen.lock().unwrap_or_else(|p| p.into_inner()) = stamp(&self.certificate, &self.key);
        let loaded = certified_key(&self.certificate, &self.key, &self.provider)?;
        *self.current.write().unwrap_or_else(|p| p.into_inner()) = Arc::new(loaded);
        Ok(())
    }

    /// Reloads if the files changed since they were last read; `None` if they did not.
    pub fn reload_if_changed(&self) -> Option<Result<(), TlsError>> {
        let now = stamp(&self.certificate, &self.key);
        let seen = *self.seen.lock().unwrap_or_else(|p| p.into_inner());
        (now != seen).then(|| self.reload())
    }

    /// The leaf certificate served now (DER).
    pub fn current_leaf(&self) -> Vec<u8> {
        let current = self
            .current
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone();
        current.cert.first().map(|c| c.to_vec()).unwrap_or_default()
    }

    /// Reloads on SIGHUP and whenever the files change, logging the outcome, for as long
    /// as the runtime runs.
    pub fn spawn_watch(self: &Arc<Self>, every: Duration) -> tokio::task::JoinHandle<()> {
        let this = self.clone();
        // Registered before returning: a SIGHUP sent once this returns is caught, never the
        // default action (ending the process).
        #[cfg(unix)]
        let mut hangup =
            tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup()).ok();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(every);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                #[cfg(unix)]
                let signalled = async {
                    match hangup.as_mut() {
                        Some(signal) => signal.recv().await.is_some(),
                        None => std::future::pending().await,
                    }
                };
                #[cfg(not(unix))]
                let signalled = std::future::pending::<bool>();
                let outcome = tokio::select! {
                    _ = tick.tick() => {
                        let watched = this.clone();
                        tokio::task::spawn_blocking(move || watched.reload_if_changed())
                            .await
                            .ok()
                            .flatten()
                    }
                    true = signalled => {
                        let watched = this.clone();
                        tokio::task::spawn_blocking(move || watched.reload()).await.ok()
                    }
                };
                match outcome {
                    Some(Ok(())) => tracing::info!(
                        certificate = %this.certificate.display(),
                        "loaded the TLS certificate and key again; new connections use them"
                    ),
                    Some(Err(error)) => tracing::error!(
                        %error,
                        "the TLS certificate was not reloaded; the one in use stays"
                    ),
                    None => {}
                }
            }
        })
    }
}

impl ResolvesServerCert for ReloadingCertificate {
    fn resolve(&self, _client_hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        Some(
            self.current
                .read()
                .unwrap_or_else(|p| p.into_inner())
                .clone(),
        )
    }
}

fn certified_key(
    certificate: &Path,
    key: &Path,
    provider: &CryptoProvider,
) -> Result<CertifiedKey, TlsError> {
    let chain = read_certificates(certificate)?;
    let private_key = read_private_key(key)?;
    CertifiedKey::from_der(chain, private_key, provider).map_err(|reason| TlsError::Unusable {
        certificate: certificate.to_owned(),
        key: key.to_owned(),
        reason,
    })
}

fn stamp(certificate: &Path, key: &Path) -> Stamp {
    let one = |path: &Path| {
        let meta = std::fs::metadata(path).ok()?;
        Some((meta.modified().ok()?, meta.len()))
    };
    Some([one(certificate)?, one(key)?])
}
