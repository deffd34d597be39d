//! A private CA issuing the relay's certificate files, and a TLS client that trusts it, for
//! the tests that renew the certificate under a running relay.

#![allow(dead_code)]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    KeyUsagePurpose,
};
use rustls::pki_types::{CertificateDer, ServerName};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;
use tokio_rustls::client::TlsStream;

/// A private CA and the relay's certificate files, issued by it.
pub struct Pki {
    dir: tempfile::TempDir,
    ca_pem: String,
    issuer: Issuer<'static, KeyPair>,
}

impl Pki {
    pub fn new() -> Pki {
        let mut params = CertificateParams::new(Vec::new()).expect("params");
        params
            .distinguished_name
            .push(DnType::CommonName, "Test CA");
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        let key = KeyPair::generate().expect("CA key");
        let certificate = params.self_signed(&key).expect("CA certificate");
        Pki {
            dir: tempfile::tempdir().expect("tempdir"),
            ca_pem: certificate.pem(),
            issuer: Issuer::new(params, key),
        }
    }

    pub fn certificate_path(&self) -> PathBuf {
        self.dir.path().join("relay.crt")
    }

    pub fn key_path(&self) -> PathBuf {
        self.dir.path().join("relay.key")
    }

    /// Issues a new leaf for localhost with a new key, writes both files (as a renewal
    /// would) and returns the leaf's DER.
    pub fn issue(&self) -> Vec<u8> {
        let mut params = CertificateParams::new(vec!["localhost".to_owned()]).expect("params");
        params
            .distinguished_name
            .push(DnType::CommonName, "localhost");
        params.use_authority_key_identifier_extension = true;
        params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        let key = KeyPair::generate().expect("key");
        let leaf = params.signed_by(&key, &self.issuer).expect("leaf");
        replace(&self.key_path(), key.serialize_pem().as_bytes());
        replace(
            &self.certificate_path(),
            format!("{}{}", leaf.pem(), self.ca_pem).as_bytes(),
        );
        leaf.der().to_vec()
    }

    pub fn connector(&self) -> TlsConnector {
        let mut roots = rustls::RootCertStore::empty();
        let ca = rustls::pki_types::pem::PemObject::from_pem_slice(self.ca_pem.as_bytes())
            .expect("CA PEM");
        roots.add(ca).expect("CA");
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let config = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .expect("versions")
            .with_root_certificates(roots)
            .with_no_client_auth();
        TlsConnector::from(Arc::new(config))
    }
}

/// Writes `bytes` to `path` through a new file renamed over it, as certbot and similar do.
pub fn replace(path: &Path, bytes: &[u8]) {
    let next = path.with_extension("next");
    let mut file = std::fs::File::create(&next).expect("create");
    file.write_all(bytes).expect("write");
    file.sync_all().expect("sync");
    std::fs::rename(&next, path).expect("rename");
}

/// Opens a TLS connection to `address` trusting `pki`'s CA.
pub async fn connect(pki: &Pki, address: std::net::SocketAddr) -> TlsStream<TcpStream> {
    let tcp = TcpStream::connect(address).await.expect("connect");
    pki.connector()
        .connect(ServerName::try_from("localhost").expect("name"), tcp)
        .await
        .expect("handshake")
}

pub fn leaf_of(stream: &TlsStream<TcpStream>) -> Vec<u8> {
    let certificates: &[CertificateDer<'_>] = stream
        .get_ref()
        .1
        .peer_certificates()
        .expect("certificates");
    certificates[0].to_vec()
}

/// `GET /healthz` on an open keep-alive connection; the status line and body.
pub async fn health(stream: &mut TlsStream<TcpStream>) -> String {
    stream
        .write_all(b"GET /healthz HTTP/1.1\r\nhost: localhost\r\n\r\n")
        .await
        .expect("request");
    let mut answer = Vec::new();
    let mut buffer = [0u8; 4096];
    loop {
        let read = stream.read(&mut buffer).await.expect("read");
        assert!(read > 0, "the connection closed");
        answer.extend_from_slice(&buffer[..read]);
        let text = String::from_utf8_lossy(&answer).into_owned();
        if let Some(end) = text.find("\r\n\r\n") {
            let length = text[..end]
                .lines()
                .find_map(|line| {
                    let (name, value) = line.split_once(':')?;
                    name.eq_ignore_ascii_case("content-length")
                        .then(|| value.trim().parse::<usize>().ok())
                        .flatten()
                })
                .expect("content-length");
            if answer.len() >= end + 4 + length {
                return text;
            }
        }
    }
}
