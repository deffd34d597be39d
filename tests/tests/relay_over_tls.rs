//! The relay serves HTTPS with a certificate from a private CA made at test time. A tablet
//! that trusts that CA enrolls, captures and syncs over TLS and gets its receipts; one that
//! does not trust it reaches nothing and nothing is stored; plain HTTP to the TLS port gets
//! no HTTP answer, and the relay keeps serving TLS clients afterwards.

use std::path::Path;
use std::sync::Arc;

use kiosk_core::protocol::enrollment::{EnrolledRole, EnrollmentCode};
use kiosk_core::sync::{HttpTransport, TransportError};
use kiosk_sync_server::AppState;
use kiosk_sync_server::storage::prelude::*;
use kiosk_sync_server::tls::load_server_config;
use kiosk_tests::{Backend, DemoStore, TestRelay, demo_code, demo_store, sync_now, tablet};
use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    KeyUsagePurpose,
};

/// A private certificate authority, as an organisation running its own relay would have.
struct PrivateCa {
    certificate_pem: String,
    issuer: Issuer<'static, KeyPair>,
}

fn private_ca(name: &str) -> PrivateCa {
    let mut params = CertificateParams::new(Vec::new()).expect("params");
    params.distinguished_name.push(DnType::CommonName, name);
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    let key = KeyPair::generate().expect("CA key");
    let certificate = params.self_signed(&key).expect("CA certificate");
    PrivateCa {
        certificate_pem: certificate.pem(),
        issuer: Issuer::new(params, key),
    }
}

/// Writes the relay's certificate chain (leaf, then the CA) and key for `localhost` and
/// 127.0.0.1, issued by `ca`, into `dir`, and loads them as the relay would.
fn relay_tls(ca: &PrivateCa, dir: &Path) -> Arc<kiosk_sync_server::tls::ServerConfig> {
    let mut params = CertificateParams::new(vec!["localhost".to_owned(), "127.0.0.1".to_owned()])
        .expect("params");
    params
        .distinguished_name
        .push(DnType::CommonName, "localhost");
    params.use_authority_key_identifier_extension = true;
    params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    let key = KeyPair::generate().expect("relay key");
    let certificate = params
        .signed_by(&key, &ca.issuer)
        .expect("relay certificate");
    let chain = dir.join("relay-chain.pem");
    let key_file = dir.join("relay-key.pem");
    std::fs::write(
        &chain,
        format!("{}{}", certificate.pem(), ca.certificate_pem),
    )
    .expect("write chain");
    std::fs::write(&key_file, key.serialize_pem()).expect("write key");
    load_server_config(&chain, &key_file).expect("the relay loads its certificate")
}

struct Relay {
    _dir: tempfile::TempDir,
    store: Arc<dyn RelayStore>,
    ca: PrivateCa,
    server: TestRelay,
}

async fn relay_over_tls() -> Relay {
    let dir = tempfile::tempdir().expect("tempdir");
    let DemoStore { store, keys, .. } = demo_store(Backend::from_env(), dir.path()).await;
    let ca = private_ca("Kiosk test CA");
    let tls = relay_tls(&ca, dir.path());
    let server = TestRelay::start_tls(AppState::new(store.clone(), keys), tls).await;
    Relay {
        _dir: dir,
        store,
        ca,
        server,
    }
}

impl Relay {
    fn kiosk_code(&self) -> EnrollmentCode {
        demo_code(self.store.as_ref(), EnrolledRole::Kiosk, 5, 3_600_000)
    }

    /// A transport that trusts the relay's private CA.
    fn trusting_transport(&self) -> HttpTransport {
        HttpTransport::with_root_certificates(
            &self.server.url(),
            self.ca.certificate_pem.as_bytes(),
        )
        .expect("the CA certificate is usable")
    }
}

fn assert_unreachable<T: std::fmt::Debug>(result: kiosk_core::Result<T>) {
    match result {
        Err(kiosk_core::Error::Transport(TransportError::Unreachable(_))) => {}
        other => panic!("expected the relay to be unreachable, got {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tablet_trusting_the_relays_private_ca_enrolls_captures_and_syncs_over_https() {
    let relay = relay_over_tls().await;
    assert!(relay.server.url().starts_with("https://127.0.0.1:"));
    let code = relay.kiosk_code();
    let transport = relay.trusting_transport();
    let store = relay.store.clone();
    tokio::task::spawn_blocking(move || {
        let tablet = tablet();
        let certificate = tablet.device.enroll(&code, &transport).expect("enrolls");
        assert_eq!(certificate.event_id, kiosk_core::demo::DEMO_EVENT_ID);

        kiosk_core::generator::capture_generated(&tablet.device, 120, 7).expect("captured");
        let report = sync_now(&tablet.device, &transport).expect("syncs over TLS");
        assert_eq!((report.requests, report.received), (2, 120));
        assert!(report.refused.is_empty());
        assert_eq!(
            report.relay_journal,
            Some(tablet.device.journal_head().expect("head")),
            "the relay's signed receipt confirms the tablet's journal"
        );
        let counts = tablet.device.state_counts().expect("counts");
        assert_eq!((counts.captured, counts.sent, counts.received), (0, 0, 120));
        assert_eq!(store.counts().expect("counts").registrations, 120);
    })
    .await
    .expect("tablet thread");
    relay.server.stop().await.expect("stops");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tablet_that_does_not_trust_the_ca_reaches_nothing_and_nothing_is_stored() {
    let relay = relay_over_tls().await;
    let url = relay.server.url();
    let code = relay.kiosk_code();
    let trusting = relay.trusting_transport();
    let other_ca = private_ca("Some other CA");
    let store = relay.store.clone();
    tokio::task::spawn_blocking(move || {
        let public_roots = HttpTransport::new(&url);
        let other_roots =
            HttpTransport::with_root_certificates(&url, other_ca.certificate_pem.as_bytes())
                .expect("usable");
        let tablet = tablet();
        assert_unreachable(tablet.device.enroll(&code, &public_roots));
        assert_unreachable(tablet.device.enroll(&code, &other_roots));
        assert!(
            tablet.device.relay_signing_key().expect("reads").is_none(),
            "no relay key pinned"
        );

        tablet.device.enroll(&code, &trusting).expect("enrolls");
        kiosk_core::generator::capture_generated(&tablet.device, 5, 8).expect("captured");
        assert_unreachable(sync_now(&tablet.device, &public_roots));
        assert_unreachable(sync_now(&tablet.device, &other_roots));
        assert_eq!(
            store.counts().expect("counts").registrations,
            0,
            "nothing reached the relay"
        );
        assert_eq!(tablet.device.state_counts().expect("counts").received, 0);

        let report = sync_now(&tablet.device, &trusting).expect("syncs");
        assert_eq!(report.received, 5);
        assert_eq!(store.counts().expect("counts").registrations, 5);
    })
    .await
    .expect("tablet thread");
    relay.server.stop().await.expect("stops");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plain_http_to_the_tls_port_gets_no_http_answer_and_the_relay_keeps_serving() {
    let relay = relay_over_tls().await;
    for _ in 0..3 {
        // The relay drops the connection (perhaps after a TLS alert); either way no HTTP.
        if let Ok(answer) = relay.server.plain_get("/healthz").await {
            assert!(
                !answer.starts_with(b"HTTP/"),
                "plain HTTP answered: {:?}",
                String::from_utf8_lossy(&answer)
            );
        }
    }
    let url = relay.server.url();
    let ca_pem = relay.ca.certificate_pem.clone();
    let (status, body) = tokio::task::spawn_blocking(move || {
        let roots = ureq::tls::Certificate::from_pem(ca_pem.as_bytes()).expect("CA");
        let agent = ureq::Agent::config_builder()
            .tls_config(
                ureq::tls::TlsConfig::builder()
                    .root_certs(ureq::tls::RootCerts::new_with_certs(&[roots]))
                    .build(),
            )
            .build()
            .new_agent();
        let mut response = agent
            .get(&format!("{url}/healthz"))
            .call()
            .expect("answers");
        let status = response.status().as_u16();
        let body = response.body_mut().read_to_string().expect("body");
        (status, body)
    })
    .await
    .expect("client thread");
    assert_eq!(status, 200, "{body}");
    relay.server.stop().await.expect("stops");
}
