//! Renewing the relay's certificate under a running TLS relay: new connections get the new
//! certificate once the files change (on SIGHUP: `certificate_reload_on_sighup.rs`) while a
//! connection opened before keeps working with the old one; a certificate file replaced by
//! garbage leaves the old certificate in use and logs an error naming the file, without its
//! contents.

mod support {
    pub mod tls_pki;
    pub mod tls_relay;
}

use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use kiosk_sync_server::tls_reload::ReloadingCertificate;
use support::tls_pki::{Pki, health, leaf_of, replace};
use support::tls_relay::{relay, wait_for_leaf};

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

/// Log lines written through the test's subscriber.
#[derive(Clone, Default)]
struct Lines(Arc<Mutex<Vec<u8>>>);

impl Write for Lines {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().expect("lines").extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Lines {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().expect("lines")).into_owned()
    }
}

// The process's one global subscriber (this test binary's only one): a thread-local one
// (`set_default`) raced with the other test's threads over which log call sites are
// enabled, and under load the watch task's error was sometimes never delivered.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_certificate_file_replaced_by_garbage_keeps_the_old_one_and_logs_the_file() {
    let lines = Lines::default();
    let writer = lines.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish();
    tracing::subscriber::set_global_default(subscriber).expect("the binary's only subscriber");

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
    // Up to 30 s: a loaded machine can be slow to run the watch.
    for _ in 0..1200 {
        let text = lines.text();
        if text
            .lines()
            .any(|line| line.contains("ERROR") && line.contains(&named))
        {
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
    // Lines about this test's file only: the other test's watch logs to the same place.
    assert_eq!(
        text.lines()
            .filter(|line| line.contains("was not reloaded") && line.contains(&named))
            .count(),
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
