//! TLS for the relay: loading the certificate chain and private key from PEM files into a
//! rustls server configuration for [`crate::serve_tls`] (whose connections, handshake
//! included, are bounded by [`crate::connections`]).
//!
//! rustls runs on the ring provider, the one the device's HTTP client already uses, so the
//! workspace builds one crypto backend.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustls::pki_types::pem::{self, PemObject};
use rustls::pki_types::{CertificateDer, PrivateKeyDer};

/// The rustls server configuration [`crate::serve_tls`] takes.
pub use rustls::ServerConfig;

/// Why the relay's certificate or key could not be loaded. Each names the file; none
/// carries key material.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    #[error("cannot read the TLS certificate file {}: {source}", path.display())]
    ReadCertificate {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(
        "the TLS certificate file {} holds no PEM certificate (\"-----BEGIN CERTIFICATE-----\")",
        path.display()
    )]
    NoCertificate { path: PathBuf },
    #[error("the TLS certificate file {} is not valid PEM: {reason}", path.display())]
    BadCertificatePem { path: PathBuf, reason: &'static str },
    #[error("cannot read the TLS private key file {}: {source}", path.display())]
    ReadKey {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(
        "the TLS private key file {} holds no PEM private key (PKCS#8, PKCS#1 or SEC1)",
        path.display()
    )]
    NoKey { path: PathBuf },
    #[error("the TLS private key file {} is not valid PEM: {reason}", path.display())]
    BadKeyPem { path: PathBuf, reason: &'static str },
    /// rustls refused the pair, e.g. the key does not belong to the certificate.
    #[error(
        "the TLS certificate {} and private key {} cannot be used together: {reason}",
        certificate.display(),
        key.display()
    )]
    Unusable {
        certificate: PathBuf,
        key: PathBuf,
        reason: rustls::Error,
    },
}

/// Reads the certificate chain (leaf first) from `certificate` and the private key from
/// `key`, both PEM, and builds the relay's TLS configuration.
pub fn load_server_config(certificate: &Path, key: &Path) -> Result<Arc<ServerConfig>, TlsError> {
    let chain = read_certificates(certificate)?;
    let private_key = read_private_key(key)?;
    server_config(chain, private_key).map_err(|reason| TlsError::Unusable {
        certificate: certificate.to_owned(),
        key: key.to_owned(),
        reason,
    })
}

pub(crate) fn read_certificates(path: &Path) -> Result<Vec<CertificateDer<'static>>, TlsError> {
    let bytes = std::fs::read(path).map_err(|source| TlsError::ReadCertificate {
        path: path.to_owned(),
        source,
    })?;
    let chain = CertificateDer::pem_slice_iter(&bytes)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| TlsError::BadCertificatePem {
            path: path.to_owned(),
            reason: pem_problem(&e),
        })?;
    if chain.is_empty() {
        return Err(TlsError::NoCertificate {
            path: path.to_owned(),
        });
    }
    Ok(chain)
}

pub(crate) fn read_private_key(path: &Path) -> Result<PrivateKeyDer<'static>, TlsError> {
    let bytes = std::fs::read(path).map_err(|source| TlsError::ReadKey {
        path: path.to_owned(),
        source,
    })?;
    PrivateKeyDer::from_pem_slice(&bytes).map_err(|e| match e {
        pem::Error::NoItemsFound => TlsError::NoKey {
            path: path.to_owned(),
        },
        other => TlsError::BadKeyPem {
            path: path.to_owned(),
            reason: pem_problem(&other),
        },
    })
}

/// A coarse description of a PEM error: some variants quote the offending line, which in a
/// key file could be key material.
fn pem_problem(error: &pem::Error) -> &'static str {
    match error {
        pem::Error::MissingSectionEnd { .. } => "a section has no END line",
        pem::Error::IllegalSectionStart { .. } => "a BEGIN line is malformed",
        pem::Error::Base64Decode(_) => "a section is not valid base64",
        pem::Error::NoItemsFound => "nothing found",
        pem::Error::SectionTooLarge => "a section is too large",
        _ => "unreadable",
    }
}

fn server_config(
    chain: Vec<CertificateDer<'static>>,
    key: PrivateKeyDer<'static>,
) -> Result<Arc<ServerConfig>, rustls::Error> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .with_no_client_auth()
        .with_single_cert(chain, key)?;
    // The relay's HTTP stack is built with HTTP/1.1 only (axum without `http2`), so h2 is
    // not offered: a client that negotiated it would get a connection that cannot work.
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Files {
        dir: tempfile::TempDir,
    }

    impl Files {
        fn new() -> Files {
            Files {
                dir: tempfile::tempdir().expect("tempdir"),
            }
        }

        fn write(&self, name: &str, contents: &str) -> PathBuf {
            let path = self.dir.path().join(name);
            std::fs::write(&path, contents).expect("write");
            path
        }
    }

    fn certificate_and_key() -> (String, String) {
        let key = rcgen::KeyPair::generate().expect("key");
        let certificate = rcgen::CertificateParams::new(vec!["localhost".to_owned()])
            .expect("params")
            .self_signed(&key)
            .expect("certificate");
        (certificate.pem(), key.serialize_pem())
    }

    fn error_text(result: Result<Arc<ServerConfig>, TlsError>) -> String {
        match result {
            Ok(_) => panic!("expected the files to be refused"),
            Err(error) => error.to_string(),
        }
    }

    #[test]
    fn a_matching_certificate_and_key_load_and_offer_http_1_1() {
        let files = Files::new();
        let (certificate, key) = certificate_and_key();
        let config = load_server_config(
            &files.write("relay.crt", &certificate),
            &files.write("relay.key", &key),
        )
        .expect("loads");
        assert_eq!(config.alpn_protocols, vec![b"http/1.1".to_vec()]);
    }

    #[test]
    fn a_missing_certificate_file_is_named() {
        let files = Files::new();
        let (_, key) = certificate_and_key();
        let missing = files.dir.path().join("nowhere.crt");
        let text = error_text(load_server_config(
            &missing,
            &files.write("relay.key", &key),
        ));
        assert!(text.contains("certificate file"), "{text}");
        assert!(text.contains(&missing.display().to_string()), "{text}");
    }

    #[test]
    fn a_certificate_file_without_a_certificate_is_named() {
        let files = Files::new();
        let (_, key) = certificate_and_key();
        // The key where the certificate should be: a common mix-up.
        let wrong = files.write("relay.crt", &key);
        let text = error_text(load_server_config(&wrong, &files.write("relay.key", &key)));
        assert!(text.contains("holds no PEM certificate"), "{text}");
        assert!(text.contains(&wrong.display().to_string()), "{text}");
        assert!(
            !text.contains("PRIVATE KEY-----"),
            "no key material: {text}"
        );
    }

    #[test]
    fn a_key_file_without_a_key_is_named() {
        let files = Files::new();
        let (certificate, _) = certificate_and_key();
        let wrong = files.write("relay.key", &certificate);
        let text = error_text(load_server_config(
            &files.write("relay.crt", &certificate),
            &wrong,
        ));
        assert!(text.contains("holds no PEM private key"), "{text}");
        assert!(text.contains(&wrong.display().to_string()), "{text}");
    }

    #[test]
    fn a_missing_key_file_is_named() {
        let files = Files::new();
        let (certificate, _) = certificate_and_key();
        let missing = files.dir.path().join("nowhere.key");
        let text = error_text(load_server_config(
            &files.write("relay.crt", &certificate),
            &missing,
        ));
        assert!(text.contains("private key file"), "{text}");
        assert!(text.contains(&missing.display().to_string()), "{text}");
    }

    #[test]
    fn a_broken_key_file_is_named_without_quoting_it() {
        let files = Files::new();
        let (certificate, key) = certificate_and_key();
        // Cut the END line off: the PEM parser would otherwise quote what it expected.
        let cut = key
            .lines()
            .filter(|line| !line.starts_with("-----END"))
            .collect::<Vec<_>>()
            .join("\n");
        let broken = files.write("relay.key", &cut);
        let text = error_text(load_server_config(
            &files.write("relay.crt", &certificate),
            &broken,
        ));
        assert!(text.contains("is not valid PEM"), "{text}");
        assert!(text.contains(&broken.display().to_string()), "{text}");
        let body = key.lines().nth(1).expect("a base64 line");
        assert!(!text.contains(body), "no key material: {text}");
    }

    #[test]
    fn a_key_that_does_not_belong_to_the_certificate_is_refused_naming_both_files() {
        let files = Files::new();
        let (certificate, _) = certificate_and_key();
        let (_, other_key) = certificate_and_key();
        let certificate_path = files.write("relay.crt", &certificate);
        let key_path = files.write("other.key", &other_key);
        let text = error_text(load_server_config(&certificate_path, &key_path));
        assert!(text.contains("cannot be used together"), "{text}");
        assert!(
            text.contains(&certificate_path.display().to_string())
                && text.contains(&key_path.display().to_string()),
            "{text}"
        );
    }
}
