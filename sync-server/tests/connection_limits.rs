//! The relay closes connections that would otherwise stay open for nothing, and serves at
//! most `max_connections` at once, over plain HTTP and TLS: a half-sent request head, a
//! body sent too slowly, an idle keep-alive connection and a silent TLS client are each
//! dropped after their (short, test-set) timeout; beyond the cap a new connection waits
//! until another closes, then `/healthz` answers it. Every wait is bounded; nothing
//! measures time.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use kiosk_sync_server::{AppState, ConnectionLimits, DEFAULT_LIMITS, serve_tls_with, serve_with};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::oneshot;

/// Far longer than any timeout set here: a connection still open after it was never going
/// to be closed.
const BOUND: Duration = Duration::from_secs(30);

const HEALTH: &[u8] = b"GET /healthz HTTP/1.1\r\nHost: relay\r\n\r\n";

struct Relay {
    address: std::net::SocketAddr,
    stop: oneshot::Sender<()>,
    task: tokio::task::JoinHandle<std::io::Result<()>>,
}

impl Relay {
    async fn start(limits: ConnectionLimits, tls: Option<Arc<rustls::ServerConfig>>) -> Relay {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("binds");
        let address = listener.local_addr().expect("address");
        let state = AppState::demo_in_memory().expect("state");
        let (stop, stopped) = oneshot::channel::<()>();
        let shutdown = async {
            let _ = stopped.await;
        };
        let task = match tls {
            None => tokio::spawn(serve_with(listener, state, limits, shutdown)),
            Some(tls) => tokio::spawn(serve_tls_with(listener, state, tls, limits, shutdown)),
        };
        Relay {
            address,
            stop,
            task,
        }
    }

    async fn connect(&self) -> TcpStream {
        TcpStream::connect(self.address).await.expect("connects")
    }

    async fn stop(self) {
        let _ = self.stop.send(());
        tokio::time::timeout(BOUND, self.task)
            .await
            .expect("the relay stops once its connections closed")
            .expect("task")
            .expect("served");
    }
}

fn limits(change: impl FnOnce(&mut ConnectionLimits)) -> ConnectionLimits {
    let mut limits = DEFAULT_LIMITS;
    change(&mut limits);
    limits
}

/// Everything the relay sends until it closes the connection; fails the test if it is
/// still open after [`BOUND`].
async fn read_until_closed(stream: &mut (impl AsyncRead + Unpin)) -> String {
    let mut seen = Vec::new();
    let mut buffer = [0u8; 4096];
    let closed = tokio::time::timeout(BOUND, async {
        loop {
            match stream.read(&mut buffer).await {
                Ok(0) | Err(_) => break,
                Ok(n) => seen.extend_from_slice(&buffer[..n]),
            }
        }
    })
    .await;
    assert!(
        closed.is_ok(),
        "the relay left the connection open; it sent {:?}",
        String::from_utf8_lossy(&seen)
    );
    String::from_utf8_lossy(&seen).into_owned()
}

/// Reads one answer to `/healthz` (its status line and JSON body), bounded.
async fn read_health(stream: &mut (impl AsyncRead + Unpin)) -> String {
    let mut seen = Vec::new();
    let mut buffer = [0u8; 4096];
    tokio::time::timeout(BOUND, async {
        while !String::from_utf8_lossy(&seen).contains("\"status\":\"ok\"") {
            let n = stream.read(&mut buffer).await.expect("reads");
            assert!(n > 0, "closed before answering");
            seen.extend_from_slice(&buffer[..n]);
        }
    })
    .await
    .expect("answered");
    String::from_utf8_lossy(&seen).into_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_half_sent_request_head_is_disconnected_after_the_header_timeout() {
    let relay = Relay::start(
        limits(|l| l.header_read_timeout = Duration::from_secs(1)),
        None,
    )
    .await;
    let mut slow = relay.connect().await;
    slow.write_all(b"GET /healthz HTTP/1.1\r\nHost: relay\r\nX-Slow: ")
        .await
        .expect("writes");
    let said = read_until_closed(&mut slow).await;
    assert!(!said.contains("200 OK"), "{said}");
    relay.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_idle_keep_alive_connection_is_closed_after_its_answer() {
    let relay = Relay::start(
        limits(|l| l.header_read_timeout = Duration::from_secs(1)),
        None,
    )
    .await;
    let mut idle = relay.connect().await;
    idle.write_all(HEALTH).await.expect("writes");
    let said = read_until_closed(&mut idle).await;
    assert!(said.starts_with("HTTP/1.1 200 OK"), "{said}");
    assert!(
        !said
            .to_ascii_lowercase()
            .contains("strict-transport-security"),
        "no HSTS over plain HTTP: {said}"
    );
    relay.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_body_sent_too_slowly_is_cut_off_after_the_body_timeout() {
    let relay = Relay::start(
        limits(|l| l.body_read_timeout = Duration::from_secs(1)),
        None,
    )
    .await;
    let mut slow = relay.connect().await;
    slow.write_all(
        b"POST /v1/sync HTTP/1.1\r\nHost: relay\r\nContent-Type: application/cbor\r\n\
          Content-Length: 100000\r\n\r\nten bytes.",
    )
    .await
    .expect("writes");
    let said = read_until_closed(&mut slow).await;
    assert!(!said.contains("200 OK"), "{said}");
    relay.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn beyond_the_cap_a_new_connection_waits_until_another_closes() {
    let relay = Relay::start(
        limits(|l| {
            l.max_connections = 2;
            l.header_read_timeout = Duration::from_secs(600);
        }),
        None,
    )
    .await;
    // Two clients hold the relay's two places with requests they never finish.
    let mut held = Vec::new();
    for _ in 0..2 {
        let mut stream = relay.connect().await;
        stream
            .write_all(b"GET /healthz HTTP/1.1\r\nHost: relay\r\n")
            .await
            .expect("writes");
        held.push(stream);
    }
    // Both are being served: the relay answers neither, and a third client waits.
    let mut fresh = relay.connect().await;
    fresh.write_all(HEALTH).await.expect("writes");
    let mut byte = [0u8; 1];
    let early = tokio::time::timeout(Duration::from_millis(500), fresh.read(&mut byte)).await;
    assert!(
        early.is_err(),
        "a third connection was served beyond the cap of two"
    );
    // One of the two goes away: the waiting client is served.
    drop(held.pop());
    let said = read_health(&mut fresh).await;
    assert!(said.starts_with("HTTP/1.1 200 OK"), "{said}");
    drop(held);
    drop(fresh);
    relay.stop().await;
}

/// A connection to the relay from the loopback address `from` (127.0.0.0/8 is all the
/// machine's own), so a test can be two clients.
async fn connect_from(relay: &Relay, from: [u8; 4]) -> TcpStream {
    let socket = tokio::net::TcpSocket::new_v4().expect("socket");
    socket
        .bind(std::net::SocketAddr::from((from, 0)))
        .expect("binds");
    socket.connect(relay.address).await.expect("connects")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_client_address_cannot_hold_every_connection() {
    // Timeouts far past the test: only the cap per client lets another client in.
    let relay = Relay::start(
        limits(|l| {
            l.max_connections = 8;
            l.max_connections_per_client = 3;
            l.header_read_timeout = Duration::from_secs(3600);
            l.idle_timeout = Duration::from_secs(3600);
        }),
        None,
    )
    .await;
    // One client opens every connection there is and sends nothing on them.
    let mut hogs = Vec::new();
    for _ in 0..8 {
        hogs.push(connect_from(&relay, [127, 0, 0, 1]).await);
    }
    // Accepted in the order they connected: beyond its three, each is closed unanswered.
    for hog in &mut hogs[3..] {
        let said = read_until_closed(hog).await;
        assert!(said.is_empty(), "answered unasked: {said}");
    }
    // Another client is served at once.
    let mut other = connect_from(&relay, [127, 0, 0, 2]).await;
    other.write_all(HEALTH).await.expect("writes");
    let said = read_health(&mut other).await;
    assert!(said.starts_with("HTTP/1.1 200 OK"), "{said}");
    drop(hogs);
    drop(other);
    relay.stop().await;
}

struct Tls {
    server: Arc<rustls::ServerConfig>,
    client: tokio_rustls::TlsConnector,
    _dir: tempfile::TempDir,
}

fn tls() -> Tls {
    let key = rcgen::KeyPair::generate().expect("key");
    let certificate = rcgen::CertificateParams::new(vec!["localhost".to_owned()])
        .expect("params")
        .self_signed(&key)
        .expect("certificate");
    let dir = tempfile::tempdir().expect("tempdir");
    let write = |name: &str, text: String| {
        let path = dir.path().join(name);
        std::fs::write(&path, text).expect("writes");
        path
    };
    let server = kiosk_sync_server::tls::load_server_config(
        Path::new(&write("relay.crt", certificate.pem())),
        Path::new(&write("relay.key", key.serialize_pem())),
    )
    .expect("loads");
    let mut roots = rustls::RootCertStore::empty();
    roots.add(certificate.der().clone()).expect("a root");
    let client = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .expect("versions")
    .with_root_certificates(roots)
    .with_no_client_auth();
    Tls {
        server,
        client: tokio_rustls::TlsConnector::from(Arc::new(client)),
        _dir: dir,
    }
}

impl Tls {
    async fn connect(&self, relay: &Relay) -> impl AsyncRead + AsyncWrite + Unpin + use<> {
        let name = rustls::pki_types::ServerName::try_from("localhost").expect("name");
        self.client
            .connect(name, relay.connect().await)
            .await
            .expect("handshake")
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn over_tls_silent_half_sent_and_idle_clients_are_dropped_and_answers_carry_hsts() {
    let tls = tls();
    let relay = Relay::start(
        limits(|l| {
            l.tls_handshake_timeout = Duration::from_secs(1);
            l.header_read_timeout = Duration::from_secs(1);
        }),
        Some(tls.server.clone()),
    )
    .await;
    // A client that connects and never starts the handshake.
    let mut silent = relay.connect().await;
    read_until_closed(&mut silent).await;

    // A client that completes the handshake and then sends half a request.
    let mut half = tls.connect(&relay).await;
    half.write_all(b"GET /healthz HTTP/1.1\r\nHost: relay\r\n")
        .await
        .expect("writes");
    let said = read_until_closed(&mut half).await;
    assert!(!said.contains("200 OK"), "{said}");

    // A client that gets its answer and then stays idle.
    let mut idle = tls.connect(&relay).await;
    idle.write_all(HEALTH).await.expect("writes");
    let said = read_until_closed(&mut idle).await;
    assert!(said.starts_with("HTTP/1.1 200 OK"), "{said}");
    assert!(
        said.to_ascii_lowercase()
            .contains("strict-transport-security: max-age=31536000"),
        "{said}"
    );
    relay.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn over_tls_beyond_the_cap_a_new_connection_waits_until_another_closes() {
    let tls = tls();
    let relay = Relay::start(
        limits(|l| {
            l.max_connections = 1;
            l.tls_handshake_timeout = Duration::from_secs(600);
        }),
        Some(tls.server.clone()),
    )
    .await;
    // One client holds the only place without ever starting its handshake.
    let holder = relay.connect().await;
    let waiting = {
        let (tls, address) = (tls.client.clone(), relay.address);
        tokio::spawn(async move {
            let name = rustls::pki_types::ServerName::try_from("localhost").expect("name");
            let stream = TcpStream::connect(address).await.expect("connects");
            let mut stream = tls.connect(name, stream).await.expect("handshake");
            stream.write_all(HEALTH).await.expect("writes");
            read_health(&mut stream).await
        })
    };
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(
        !waiting.is_finished(),
        "a second connection was served beyond the cap of one"
    );
    drop(holder);
    let said = tokio::time::timeout(BOUND, waiting)
        .await
        .expect("served once the place is free")
        .expect("task");
    assert!(said.starts_with("HTTP/1.1 200 OK"), "{said}");
    relay.stop().await;
}
