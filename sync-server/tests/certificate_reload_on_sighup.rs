//! SIGHUP alone (the files are not watched within the test) gives new connections of a
//! running TLS relay the renewed certificate. Alone in its test binary: the signal reaches
//! the whole process, and would reload the other tests' certificates at moments they do
//! not expect.

mod support {
    pub mod tls_pki;
}

use std::sync::Arc;
use std::time::Duration;

use kiosk_sync_server::tls_reload::ReloadingCertificate;
use kiosk_sync_server::{AppState, DEFAULT_LIMITS, serve_tls_with};
use support::tls_pki::{Pki, connect, leaf_of};
use tokio::net::TcpStream;
use tokio_rustls::client::TlsStream;

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
        connect(pki, self.address).await
    }

    async fn stop(self) {
        let _ = self.stop.send(());
        self.task.await.expect("task").expect("served");
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
