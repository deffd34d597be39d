//! Where the witness reads the log from and hands its cosignatures to: the [`LogSource`]
//! trait, and [`HttpLogSource`] over the relay's public log endpoints (`docs/protocol.md`,
//! "Transparency log" and "Witnesses").
//!
//! The witness pulls (the archive's machine can reach the relay, not the other way round),
//! so this is the client half of C2SP tlog-witness turned around: the relay serves the
//! checkpoint and the proof, the witness posts back its cosignature.

use base64ct::{Base64, Encoding};
use kiosk_core::tlog::hash::Hash;
use kiosk_core::tlog::note::MAX_NOTE_LEN;
use kiosk_core::tlog::tree::MAX_PROOF_LEN;

/// The largest consistency-proof answer read: 128 base64 hashes of 45 bytes, with room for
/// JSON framing.
const MAX_PROOF_BODY: u64 = 16 * 1024;
/// The largest error answer read from the relay.
const MAX_ERROR_BODY: u64 = 4 * 1024;

/// Why the log could not be read or the cosignature not delivered. Transient: the witness
/// tries again at its next round. Carries no response content beyond the relay's error code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SourceError {
    #[error("the relay could not be reached: {0}")]
    Unreachable(String),
    #[error("the relay answered {status} ({code})")]
    Refused { status: u16, code: String },
    #[error("the relay's answer is malformed: {0}")]
    Malformed(&'static str),
}

/// A log as the witness sees it.
pub trait LogSource {
    /// The log's signed checkpoint note to cosign, as served (it may carry cosignatures);
    /// `held` is the size of the tree this witness holds (0 before its first), so a relay
    /// serving witnesses a common tree never serves it a smaller one.
    fn checkpoint(&self, held: u64) -> Result<String, SourceError>;

    /// The consistency proof from the tree of `from` leaves to the tree of `to` leaves.
    fn consistency(&self, from: u64, to: u64) -> Result<Vec<Hash>, SourceError>;

    /// Hands the relay a checkpoint note carrying this witness's cosignature line.
    fn submit_cosignature(&self, note: &str) -> Result<(), SourceError>;
}

/// The relay's log endpoints over HTTPS (or plain HTTP on loopback, for tests).
#[derive(Debug)]
pub struct HttpLogSource {
    base_url: String,
    agent: ureq::Agent,
    /// How the checkpoint is fetched: `?witness=<name>+<key ID>` when the witness names
    /// itself (percent-encoded), so the relay serves it the tree the other witnesses
    /// cosigned ("Witnesses" in `docs/protocol.md`), followed by `&size=<held>`; empty
    /// otherwise. A relay before that ignores the parameters and serves its tip.
    checkpoint_query: String,
}

impl HttpLogSource {
    /// A source for the relay at `base_url`, trusting the bundled Mozilla roots, or only
    /// the certificates of `ca_pem` when given (a relay with a private CA).
    pub fn new(base_url: &str, ca_pem: Option<&[u8]>) -> Result<HttpLogSource, String> {
        let tls = match ca_pem {
            None => ureq::tls::TlsConfig::default(),
            Some(pem) => {
                let mut roots = Vec::new();
                for item in ureq::tls::parse_pem(pem) {
                    match item {
                        Ok(ureq::tls::PemItem::Certificate(certificate)) => roots.push(certificate),
                        Ok(_) => {}
                        Err(_) => return Err("the CA file's PEM is malformed".to_owned()),
                    }
                }
                if roots.is_empty() {
                    return Err("the CA file holds no PEM certificate".to_owned());
                }
                ureq::tls::TlsConfig::builder()
                    .root_certs(ureq::tls::RootCerts::new_with_certs(&roots))
                    .build()
            }
        };
        let agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(std::time::Duration::from_secs(60)))
            .tls_config(tls)
            .build()
            .new_agent();
        Ok(HttpLogSource {
            base_url: base_url.trim_end_matches('/').to_owned(),
            agent,
            checkpoint_query: String::new(),
        })
    }

    /// This source, naming the witness as `name` ([`kiosk_core::protocol::witness_key_name`])
    /// when it fetches the checkpoint.
    pub fn naming(mut self, name: &str) -> HttpLogSource {
        self.checkpoint_query = format!("?witness={}", percent_encode(name));
        self
    }

    fn read(
        mut response: ureq::http::Response<ureq::Body>,
        limit: u64,
    ) -> Result<String, SourceError> {
        let status = response.status().as_u16();
        let limit = if (200..300).contains(&status) {
            limit
        } else {
            MAX_ERROR_BODY
        };
        let body = response
            .body_mut()
            .with_config()
            .limit(limit)
            .read_to_string()
            .map_err(unreachable)?;
        if (200..300).contains(&status) {
            return Ok(body);
        }
        let code = serde_json::from_str::<serde_json::Value>(&body)
            .ok()
            .and_then(|v| v["code"].as_str().map(str::to_owned))
            .filter(|code| code.len() <= 64 && code.bytes().all(|b| b.is_ascii_graphic()))
            .unwrap_or_else(|| "unknown".to_owned());
        Err(SourceError::Refused { status, code })
    }
}

/// `text` with every byte but RFC 3986's unreserved ones percent-encoded (a key name's `+`
/// would otherwise read as a space).
fn percent_encode(text: &str) -> String {
    text.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                char::from(b).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

fn unreachable(e: ureq::Error) -> SourceError {
    SourceError::Unreachable(e.to_string())
}

impl LogSource for HttpLogSource {
    fn checkpoint(&self, held: u64) -> Result<String, SourceError> {
        let url = if self.checkpoint_query.is_empty() {
            format!("{}/v1/log/checkpoint", self.base_url)
        } else {
            format!(
                "{}/v1/log/checkpoint{}&size={held}",
                self.base_url, self.checkpoint_query
            )
        };
        let response = self.agent.get(&url).call().map_err(unreachable)?;
        Self::read(response, MAX_NOTE_LEN as u64)
    }

    fn consistency(&self, from: u64, to: u64) -> Result<Vec<Hash>, SourceError> {
        let response = self
            .agent
            .get(&format!(
                "{}/v1/log/consistency?from={from}&to={to}",
                self.base_url
            ))
            .call()
            .map_err(unreachable)?;
        parse_proof(&Self::read(response, MAX_PROOF_BODY)?)
    }

    fn submit_cosignature(&self, note: &str) -> Result<(), SourceError> {
        let response = self
            .agent
            .post(&format!("{}/v1/log/cosignature", self.base_url))
            .header("Content-Type", "text/plain; charset=utf-8")
            .send(note.as_bytes())
            .map_err(unreachable)?;
        Self::read(response, MAX_ERROR_BODY).map(|_| ())
    }
}

/// Reads a consistency proof: one standard base64 hash per line (the form C2SP
/// tlog-witness sends proofs in), or a JSON object whose `proof` is an array of them.
pub fn parse_proof(body: &str) -> Result<Vec<Hash>, SourceError> {
    let decode = |text: &str| -> Result<Hash, SourceError> {
        Base64::decode_vec(text)
            .ok()
            .and_then(|bytes| bytes.try_into().ok())
            .ok_or(SourceError::Malformed(
                "a proof hash is not base64 of 32 bytes",
            ))
    };
    let too_long = SourceError::Malformed("the proof has more hashes than any tree needs");
    if body.trim_start().starts_with('{') {
        let value: serde_json::Value = serde_json::from_str(body)
            .map_err(|_| SourceError::Malformed("the proof is not JSON"))?;
        let items = value["proof"].as_array().ok_or(SourceError::Malformed(
            "the JSON proof has no `proof` array",
        ))?;
        if items.len() > MAX_PROOF_LEN {
            return Err(too_long);
        }
        return items
            .iter()
            .map(|item| {
                item.as_str()
                    .ok_or(SourceError::Malformed("a proof hash is not a string"))
                    .and_then(decode)
            })
            .collect();
    }
    let lines: Vec<&str> = body.lines().filter(|line| !line.is_empty()).collect();
    if lines.len() > MAX_PROOF_LEN {
        return Err(too_long);
    }
    lines.into_iter().map(decode).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_witness_name_is_percent_encoded_so_its_plus_survives() {
        assert_eq!(
            percent_encode("arkiv.example.se/witness+0a1b2c3d"),
            "arkiv.example.se%2Fwitness%2B0a1b2c3d"
        );
    }

    #[test]
    fn proofs_are_read_as_base64_lines_or_a_json_array_and_bounded() {
        let a = Base64::encode_string(&[1u8; 32]);
        let b = Base64::encode_string(&[2u8; 32]);
        assert_eq!(
            parse_proof(&format!("{a}\n{b}\n")),
            Ok(vec![[1; 32], [2; 32]])
        );
        assert_eq!(parse_proof(""), Ok(vec![]));
        assert_eq!(
            parse_proof(&format!("{{\"proof\":[\"{a}\",\"{b}\"]}}")),
            Ok(vec![[1; 32], [2; 32]])
        );
        assert!(parse_proof("AAAA\n").is_err());
        assert!(parse_proof("{\"proof\":[1]}").is_err());
        assert!(parse_proof(&format!("{a}\n").repeat(MAX_PROOF_LEN + 1)).is_err());
    }
}
