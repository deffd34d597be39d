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
    /// `http://127.0.0.1:8700` in development).
    pub fn new(base_url: &str) -> HttpTransport {
        let agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(std::time::Duration::from_secs(60)))
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
        if (200..300).contains(&status) {
            return Ok(bytes);
        }
        let code = serde_json::from_slice::<serde_json::Value>(&bytes)
            .ok()
            .and_then(|v| v["code"].as_str().map(str::to_owned))
            .unwrap_or_else(|| "unknown".to_owned());
        Err(TransportError::Refused { status, code })
    }
}
