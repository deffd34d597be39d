//! Renewing the relay's certificate under a running TLS relay: new connections get the new
//! certificate (after the files change, or on SIGHUP) while a connection opened before keeps
//! working with the old one; a certificate file replaced by garbage leaves the old
//! certificate in use and logs an error naming the file, without its contents.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use kiosk_sync_server::tls_reload::ReloadingCertificate;
use kiosk_sync_server::{AppState, DEFAULT_LIMITS, serve_tls_with};
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
struct Pki {
    dir: tempfile::TempDir,
    ca_pem: String,
    issuer: Issuer<'static, KeyPair>,
}

impl Pki {
    fn new() -> Pki {
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

    fn certificate_path(&self) -> PathBuf {
        self.dir.path().join("relay.crt")
    }

    fn key_path(&self) -> PathBuf {
        self.dir.path().join("relay.key")
    }

    /// Issues a new leaf for localhost with a new key, writes both files (as a renewal
    /// would) and returns the leaf's DER.
    fn issue(&self) -> Vec<u8> {
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

    fn connector(&self) -> TlsConnector {
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
fn replace(path: &Path, bytes: &[u8]) {
    let next = path.with_extension("next");
    let mut file = std::fs::File::create(&next).expect("create");
    file.write_all(bytes).expect("write");
    file.sync_all().expect("sync");
    std::fs::rename(&next, path).expect("rename");
}

struct Relay {
    address: std::net::SocketAddr,
    stop: tokio::sync::oneshot::Sender<()>,
    task: tokio::task::JoinHandle<std::io::Result<()>>,
}

async fn relay(certificate: &Arc<ReloadingCertificate>) -> Relay {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let address = listener.local_addr().expect("address");
    let (stop, stopped) = tokio::sync::oneshot::channel();
    let tls = certificate.server_config().expect("config");
    let state = AppState::demo_in_memory().expect("state");
    let task = tokio::spawn(serve_tls_with(
        listener,
        state,
        tls,
        DEFAULT_LIMITS,
        async {
            let _ = stopped.await;
        },
    ));
    Relay {
        address,
        stop,
        task,
    }
}

impl Relay {
    async fn connect(&self, pki: &Pki) -> TlsStream<TcpStream> {
        let tcp = TcpStream::connect(self.address).await.expect("connect");
        pki.connector()
            .connect(ServerName::try_from("localhost").expect("name"), tcp)
            .await
            .expect("handshake")
    }

    async fn stop(self) {
        let _ = self.stop.send(());
        self.task.await.expect("task").expect("served");
    }
}

fn leaf_of(stream: &TlsStream<TcpStream>) -> Vec<u8> {
    let certificates: &[CertificateDer<'_>] = stream
        .get_ref()
        .1
        .peer_certificates()
        .expect("certificates");
    certificates[0].to_vec()
}

/// `GET /healthz` on an open keep-alive connection; the status line and body.
async fn health(stream: &mut TlsStream<TcpStream>) -> String {
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

/// Connects until the relay serves `wanted`, within a bound.
async fn wait_for_leaf(relay: &Relay, pki: &Pki, wanted: &[u8]) -> TlsStream<TcpStream> {
    for _ in 0..400 {
        let stream = relay.connect(pki).await;
        if leaf_of(&stream) == wanted {
            return stream;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("the relay never served the renewed certificate");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_renewed_certificate_reaches_new_connections_while_an_open_one_keeps_working() {
    let pki = Pki::new();
    let old = pki.issue();
    let certificate =
        ReloadingCertificate::load(&pki.certificate_path(), &pki.key_path()).expect("loads");
    let _watch = certificate.spawn_watch(Duration::from_millis(50));
    let relay = relay(&certificate).await;

    let mut open = relay.connect(&pki).await;
    assert_eq!(leaf_of(&open), old);
    assert!(health(&mut open).await.starts_with("HTTP/1.1 200"));

    let new = pki.issue();
    assert_ne!(new, old);
    let mut renewed = wait_for_leaf(&relay, &pki, &new).await;
    assert!(health(&mut renewed).await.starts_with("HTTP/1.1 200"));

    // The connection opened before the renewal still answers, on the old certificate.
    assert!(health(&mut open).await.starts_with("HTTP/1.1 200"));
    assert_eq!(leaf_of(&open), old);
    drop((open, renewed));
    relay.stop().await;
}

#[cfg(unix)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sighup_loads_the_renewed_certificate() {
    let pki = Pki::new();
    let old = pki.issue();
    let certificate =
        ReloadingCertificate::load(&pki.certificate_path(), &pki.key_path()).expect("loads");
    // Files are not watched within this test: only the signal can bring the new one.
    let _watch = certificate.spawn_watch(Duration::from_secs(3600));
    let relay = relay(&certificate).await;
    assert_eq!(leaf_of(&relay.connect(&pki).await), old);

    let new = pki.issue();
    let status = std::process::Command::new("kill")
        .args(["-HUP", &std::process::id().to_string()])
        .status()
        .expect("kill runs");
    assert!(status.success());
    wait_for_leaf(&relay, &pki, &new).await;
    relay.stop().await;
}

/// Log lines written through the test's subscriber.
#[derive(Clone, Default)]
struct Lines(Arc<Mutex<Vec<u8>>>);

impl Write for Lines {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Lines {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }
}

// On one thread, so the test's log subscriber sees the watch task's lines.
#[tokio::test(flavor = "current_thread")]
async fn a_certificate_file_replaced_by_garbage_keeps_the_old_one_and_logs_the_file() {
    let lines = Lines::default();
    let writer = lines.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish();
    let _logging = tracing::subscriber::set_default(subscriber);

    let pki = Pki::new();
    let old = pki.issue();
    let certificate =
        ReloadingCertificate::load(&pki.certificate_path(), &pki.key_path()).expect("loads");
    let _watch = certificate.spawn_watch(Duration::from_millis(20));
    let relay = relay(&certificate).await;

    let garbage = "-----BEGIN CERTIFICATE-----\nnot base64 at all: S3CR3T-M4RK3R\n";
    replace(&pki.certificate_path(), garbage.as_bytes());
    let named = pki.certificate_path().display().to_string();
    let mut logged = false;
    for _ in 0..400 {
        let text = lines.text();
        if text.contains("ERROR") && text.contains(&named) {
            logged = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    let text = lines.text();
    assert!(logged, "an error naming the file is logged: {text}");
    assert!(
        !text.contains("S3CR3T-M4RK3R"),
        "the file is not quoted: {text}"
    );
    assert_eq!(
        text.matches("was not reloaded").count(),
        1,
        "logged once for one change: {text}"
    );

    // New connections still get the old certificate, and a direct reload says why not.
    let mut stream = relay.connect(&pki).await;
    assert_eq!(leaf_of(&stream), old);
    assert!(health(&mut stream).await.starts_with("HTTP/1.1 200"));
    let error = certificate
        .reload()
        .expect_err("garbage is refused")
        .to_string();
    assert!(error.contains(&named), "{error}");
    assert_eq!(certificate.current_leaf(), old);
    drop(stream);
    relay.stop().await;
}
