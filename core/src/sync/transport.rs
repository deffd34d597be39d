//! How sync bytes travel. The core builds requests and applies responses; a [`Transport`]
//! carries them. The default is [`HttpTransport`]; a shell may use the platform's own
//! networking through the ffi instead.

/// A transport failure. Carries no request or response content.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TransportError {
    /// No answer (offline, refused, timed out, cut mid-response): try again later.
    #[error("the relay could not be reached: {0}")]
    Unreachable(String),
    /// The relay answered with an error status; `code` is its machine-readable code.
    #[error("the relay refused the request ({status} {code})")]
    Refused { status: u16, code: String },
}

/// The PEM given as the relay's trusted root certificates holds none that can be used.
/// Carries no certificate bytes.
#[cfg(feature = "http-transport")]
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the trusted root certificates are not usable: {0}")]
pub struct RootCertificatesError(&'static str);

/// Carries one request to the relay and returns its answer.
pub trait Transport: Send + Sync {
    /// POSTs `body` (CBOR) to `path` (`/v1/sync`) and returns the response body.
    fn post(&self, path: &str, body: Vec<u8>) -> Result<Vec<u8>, TransportError>;
}

/// HTTP with `ureq` (rustls for TLS).
#[cfg(feature = "http-transport")]
#[derive(Debug)]
pub struct HttpTransport {
    base_url: String,
    agent: ureq::Agent,
}

#[cfg(feature = "http-transport")]
impl HttpTransport {
    /// A transport to the relay at `base_url` (`https://relay.example.se`, or
    /// `http://127.0.0.1:8700` in development). The relay's certificate is checked against
    /// the bundled Mozilla (webpki) roots.
    pub fn new(base_url: &str) -> HttpTransport {
        HttpTransport::with_tls(base_url, ureq::tls::TlsConfig::default())
    }

    /// A transport that trusts only the root certificates in `pem` (one or more PEM
    /// `CERTIFICATE` blocks), for a relay whose certificate a private CA issued. Public roots
    /// are not trusted as well, so a certificate from any other CA is refused.
    pub fn with_root_certificates(
        base_url: &str,
        pem: &[u8],
    ) -> Result<HttpTransport, RootCertificatesError> {
        let mut roots = Vec::new();
        for item in ureq::tls::parse_pem(pem) {
            match item {
                Ok(ureq::tls::PemItem::Certificate(certificate)) => roots.push(certificate),
                // A bundle may carry other sections (a key by mistake); they are not roots.
                Ok(_) => {}
                Err(_) => return Err(RootCertificatesError("the PEM is malformed")),
            }
        }
        if roots.is_empty() {
            return Err(RootCertificatesError("no PEM certificate found"));
        }
        let tls = ureq::tls::TlsConfig::builder()
            .root_certs(ureq::tls::RootCerts::new_with_certs(&roots))
            .build();
        Ok(HttpTransport::with_tls(base_url, tls))
    }

    fn with_tls(base_url: &str, tls: ureq::tls::TlsConfig) -> HttpTransport {
        let agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(std::time::Duration::from_secs(60)))
            .tls_config(tls)
            .build()
            .new_agent();
        HttpTransport {
            base_url: base_url.trim_end_matches('/').to_owned(),
            agent,
        }
    }
}

#[cfg(feature = "http-transport")]
impl Transport for HttpTransport {
    fn post(&self, path: &str, body: Vec<u8>) -> Result<Vec<u8>, TransportError> {
        let unreachable = |e: ureq::Error| TransportError::Unreachable(e.to_string());
        let mut response = self
            .agent
            .post(&format!("{}{path}", self.base_url))
            .header("Content-Type", "application/cbor")
            .send(&body[..])
            .map_err(unreachable)?;
        let status = response.status().as_u16();
        let bytes = response
            .body_mut()
            .with_config()
            .limit(64 * 1024 * 1024)
            .read_to_vec()
            .map_err(unreachable)?;
        answer_from_status(status, bytes)
    }
}

/// The relay's answer from an HTTP status and body: the body on 2xx, else the refusal with
/// the machine-readable code of its JSON error body. For a shell's own networking as well.
pub fn answer_from_status(status: u16, body: Vec<u8>) -> Result<Vec<u8>, TransportError> {
    if (200..300).contains(&status) {
        return Ok(body);
    }
    let code = serde_json::from_slice::<serde_json::Value>(&body)
        .ok()
        .and_then(|v| v["code"].as_str().map(str::to_owned))
        .unwrap_or_else(|| "unknown".to_owned());
    Err(TransportError::Refused { status, code })
}

#[cfg(all(test, feature = "http-transport"))]
mod tests {
    use super::*;

    #[test]
    fn root_certificates_must_hold_a_certificate() {
        assert_eq!(
            HttpTransport::with_root_certificates("https://relay.example", b"").err(),
            Some(RootCertificatesError("no PEM certificate found"))
        );
        let key_only =
            b"-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIA==\n-----END PRIVATE KEY-----\n";
        assert_eq!(
            HttpTransport::with_root_certificates("https://relay.example", key_only).err(),
            Some(RootCertificatesError("no PEM certificate found"))
        );
        let unterminated = b"-----BEGIN CERTIFICATE-----\nMIIB\n";
        assert_eq!(
            HttpTransport::with_root_certificates("https://relay.example", unterminated).err(),
            Some(RootCertificatesError("the PEM is malformed"))
        );
    }

    #[test]
    fn a_pem_certificate_is_taken_as_a_root() {
        // Any DER inside the block is accepted here; rustls checks it when connecting.
        let pem = b"-----BEGIN CERTIFICATE-----\nMIIBAA==\n-----END CERTIFICATE-----\n";
        assert!(HttpTransport::with_root_certificates("https://relay.example", pem).is_ok());
    }
}
