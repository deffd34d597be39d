//! SIGHUP alone (the files are not watched within the test) gives new connections of a
//! running TLS relay the renewed certificate. Alone in its test binary: the signal reaches
//! the whole process, and would reload the other tests' certificates at moments they do
//! not expect.

mod support {
    pub mod tls_pki;
    pub mod tls_relay;
}

use std::time::Duration;

use kiosk_sync_server::tls_reload::ReloadingCertificate;
use support::tls_pki::{Pki, leaf_of};
use support::tls_relay::{relay, wait_for_leaf};

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
