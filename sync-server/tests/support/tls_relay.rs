//! A TLS relay in the test's process serving a reloading certificate, and what the
//! certificate-reload tests ask of it.

use std::sync::Arc;
use std::time::Duration;

use kiosk_sync_server::tls_reload::ReloadingCertificate;
use kiosk_sync_server::{AppState, DEFAULT_LIMITS, serve_tls_with};
use tokio::net::TcpStream;
use tokio_rustls::client::TlsStream;

use super::tls_pki::{Pki, connect, leaf_of};

pub struct Relay {
    address: std::net::SocketAddr,
    stop: tokio::sync::oneshot::Sender<()>,
    task: tokio::task::JoinHandle<std::io::Result<()>>,
}

pub async fn relay(certificate: &Arc<ReloadingCertificate>) -> Relay {
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
    pub async fn connect(&self, pki: &Pki) -> TlsStream<TcpStream> {
        connect(pki, self.address).await
    }

    pub async fn stop(self) {
        let _ = self.stop.send(());
        self.task.await.expect("task").expect("served");
    }
}

/// Connects until the relay serves `wanted`, within a bound.
pub async fn wait_for_leaf(relay: &Relay, pki: &Pki, wanted: &[u8]) -> TlsStream<TcpStream> {
    for _ in 0..400 {
        let stream = relay.connect(pki).await;
        if leaf_of(&stream) == wanted {
            return stream;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("the relay never served the renewed certificate");
}
