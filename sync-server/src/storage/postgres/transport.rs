//! How the relay reaches its PostgreSQL database: over TLS whenever it leaves the machine.
//!
//! The store holds visitors' personal data, so a database reached over the network must be
//! reached over TLS with its certificate checked: a URL naming another host is refused
//! unless it asks for TLS (`sslmode=require`, or libpq's `verify-ca`/`verify-full`, which
//! mean the same here). The relay always verifies the server's certificate and host name
//! when it uses TLS (stricter than libpq's `require`), against the CA certificates in
//! `sslrootcert=FILE` (PEM) if the URL names one, else against the public web roots. A
//! database on loopback or a Unix socket is reached without TLS unless the URL asks for it.
//!
//! The `postgres` crate's URL parser knows neither `sslrootcert` nor the `verify-*` modes,
//! so they are read and taken out here before it parses the rest.

use std::net::IpAddr;
use std::path::Path;
use std::sync::Arc;

use postgres::config::{Host, SslMode};
use rustls::RootCertStore;
use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject;
use tokio_postgres_rustls::MakeRustlsConnect;

/// The connector every connection of the store is made with. With `sslmode=disable` (set
/// for a loopback database unless the URL asks for TLS) it never starts TLS.
pub(crate) type Connector = MakeRustlsConnect;

/// What a database URL asks for, ready to connect.
pub(crate) struct Transport {
    pub(crate) config: postgres::Config,
    pub(crate) connector: Connector,
    /// Whether connections use TLS.
    pub(crate) tls: bool,
}

/// Reads `url` (a `postgres://` URL): its settings, and the TLS it asks for or needs. Errors
/// name the setting that is wrong and never the password.
pub(crate) fn from_url(url: &str) -> Result<Transport, String> {
    let (url, asked) = take_tls_parameters(url)?;
    let mut config: postgres::Config = url
        .parse()
        .map_err(|e| format!("the database URL is not valid: {e}"))?;
    let local = is_local(&config);
    let tls = match asked.mode {
        Asked::Verify => true,
        Asked::Plain if local => false,
        Asked::Plain => {
            return Err(
                "the database URL names a host beyond this machine without TLS: add \
                 sslmode=require (and sslrootcert=FILE with the CA certificate if the \
                 database's certificate is not from a public CA), since the store holds \
                 personal data"
                    .to_owned(),
            );
        }
    };
    config.ssl_mode(if tls {
        SslMode::Require
    } else {
        SslMode::Disable
    });
    let roots = match &asked.root_certificate {
        Some(path) => roots_from(Path::new(path))?,
        None => RootCertStore {
            roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
        },
    };
    let client = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .map_err(|e| format!("TLS to the database cannot be set up: {e}"))?
    .with_root_certificates(roots)
    .with_no_client_auth();
    Ok(Transport {
        config,
        connector: MakeRustlsConnect::new(client),
        tls,
    })
}

enum Asked {
    /// TLS with the certificate checked.
    Verify,
    /// No TLS asked for (none, `disable` or `prefer`).
    Plain,
}

struct TlsParameters {
    mode: Asked,
    root_certificate: Option<String>,
}

/// `url` without `sslrootcert` and with any `sslmode` the parser would refuse or misread
/// taken out, and what they asked for.
fn take_tls_parameters(url: &str) -> Result<(String, TlsParameters), String> {
    let mut asked = TlsParameters {
        mode: Asked::Plain,
        root_certificate: None,
    };
    let Some((base, query)) = url.split_once('?') else {
        return Ok((url.to_owned(), asked));
    };
    let mut kept = Vec::new();
    for pair in query.split('&').filter(|pair| !pair.is_empty()) {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        match key {
            "sslmode" => {
                asked.mode = match value {
                    "require" | "verify-ca" | "verify-full" => Asked::Verify,
                    "disable" | "prefer" | "allow" => Asked::Plain,
                    _ => {
                        return Err(format!(
                            "the database URL's sslmode must be disable, prefer, require, \
                             verify-ca or verify-full, not {value:?}"
                        ));
                    }
                }
            }
            "sslrootcert" => {
                let path = percent_decoded(value)
                    .ok_or("the database URL's sslrootcert is not a valid path")?;
                asked.root_certificate = Some(path);
            }
            _ => kept.push(pair),
        }
    }
    let url = if kept.is_empty() {
        base.to_owned()
    } else {
        format!("{base}?{}", kept.join("&"))
    };
    Ok((url, asked))
}

/// `%XX` escapes of a URL parameter decoded; `None` if malformed or not UTF-8.
fn percent_decoded(value: &str) -> Option<String> {
    let bytes = value.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut at = 0;
    while at < bytes.len() {
        if bytes[at] == b'%' {
            let hex = value.get(at + 1..at + 3)?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            at += 3;
        } else {
            out.push(bytes[at]);
            at += 1;
        }
    }
    String::from_utf8(out).ok()
}

/// Whether every host the URL names is this machine (loopback or a Unix socket). A
/// `hostaddr` is where the driver connects in place of a host's name, so it must be
/// loopback too.
fn is_local(config: &postgres::Config) -> bool {
    let hosts = config.get_hosts();
    if !config.get_hostaddrs().iter().all(IpAddr::is_loopback) {
        return false;
    }
    // No host: libpq's default, the local Unix socket.
    hosts.iter().all(|host| match host {
        Host::Unix(_) => true,
        Host::Tcp(name) => {
            name.eq_ignore_ascii_case("localhost")
                || name
                    .trim_start_matches('[')
                    .trim_end_matches(']')
                    .parse::<IpAddr>()
                    .is_ok_and(|ip| ip.is_loopback())
        }
    })
}

/// The CA certificates in the PEM file at `path`.
fn roots_from(path: &Path) -> Result<RootCertStore, String> {
    let bytes = std::fs::read(path)
        .map_err(|e| format!("sslrootcert {} cannot be read: {e}", path.display()))?;
    let mut roots = RootCertStore::empty();
    for certificate in CertificateDer::pem_slice_iter(&bytes) {
        let certificate = certificate.map_err(|_| {
            format!(
                "sslrootcert {} is not a PEM file of certificates",
                path.display()
            )
        })?;
        roots.add(certificate).map_err(|e| {
            format!(
                "sslrootcert {} holds a certificate that cannot be used: {e}",
                path.display()
            )
        })?;
    }
    if roots.is_empty() {
        return Err(format!(
            "sslrootcert {} holds no certificate",
            path.display()
        ));
    }
    Ok(roots)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refusal(url: &str) -> String {
        match from_url(url) {
            Ok(_) => panic!("{url} was taken"),
            Err(why) => why,
        }
    }

    #[test]
    fn a_database_beyond_this_machine_without_tls_is_refused_naming_the_setting() {
        for url in [
            "postgres://kiosk:secret@db.example.se/kiosk",
            "postgres://kiosk@db.example.se/kiosk?sslmode=disable",
            "postgres://kiosk@db.example.se/kiosk?sslmode=prefer",
            "postgres://kiosk@10.0.0.5:5432/kiosk",
            "postgres://kiosk@localhost,db.example.se/kiosk",
            "postgres://kiosk@localhost/kiosk?hostaddr=10.0.0.5",
            "postgres://kiosk@localhost/kiosk?host=db.example.se",
        ] {
            let why = refusal(url);
            assert!(why.contains("sslmode=require"), "{url}: {why}");
            assert!(!why.contains("secret"), "{why}");
        }
    }

    #[test]
    fn a_database_beyond_this_machine_with_tls_asked_for_is_taken_and_verified() {
        for url in [
            "postgres://kiosk@db.example.se/kiosk?sslmode=require",
            "postgres://kiosk@db.example.se/kiosk?sslmode=verify-full&application_name=x",
            "postgresql://kiosk@10.0.0.5/kiosk?sslmode=verify-ca",
        ] {
            let transport = from_url(url).expect(url);
            assert!(transport.tls, "{url}");
            assert_eq!(transport.config.get_ssl_mode(), SslMode::Require);
        }
    }

    #[test]
    fn a_local_database_goes_without_tls_unless_the_url_asks_for_it() {
        for url in [
            "postgres://kiosk@localhost/kiosk",
            "postgres://kiosk@127.0.0.1:5433/kiosk?sslmode=prefer",
            "postgres://kiosk@[::1]/kiosk",
            "postgres:///kiosk?host=/run/postgresql",
        ] {
            let transport = from_url(url).expect(url);
            assert!(!transport.tls, "{url}");
            assert_eq!(transport.config.get_ssl_mode(), SslMode::Disable);
        }
        let asked = from_url("postgres://kiosk@127.0.0.1/kiosk?sslmode=require").expect("taken");
        assert!(asked.tls);
    }

    #[test]
    fn an_unknown_sslmode_or_an_unreadable_root_certificate_is_refused_by_name() {
        let why = refusal("postgres://kiosk@db.example.se/kiosk?sslmode=sometimes");
        assert!(
            why.contains("sslmode") && why.contains("sometimes"),
            "{why}"
        );
        let why = refusal(
            "postgres://kiosk@db.example.se/kiosk?sslmode=require&sslrootcert=/nonexistent/ca.pem",
        );
        assert!(why.contains("sslrootcert /nonexistent/ca.pem"), "{why}");
        let dir = tempfile::tempdir().expect("tempdir");
        let garbage = dir.path().join("ca.pem");
        std::fs::write(&garbage, "not a certificate").expect("written");
        let url = format!(
            "postgres://kiosk@db.example.se/kiosk?sslmode=require&sslrootcert={}",
            garbage.display()
        );
        let why = refusal(&url);
        assert!(why.contains("holds no certificate"), "{why}");
    }

    #[test]
    fn tls_parameters_are_taken_out_before_the_driver_parses_the_url() {
        let (url, asked) = take_tls_parameters(
            "postgres://k@h/db?sslrootcert=%2Fetc%2Fca.pem&connect_timeout=5&sslmode=verify-full",
        )
        .expect("read");
        assert_eq!(url, "postgres://k@h/db?connect_timeout=5");
        assert_eq!(asked.root_certificate.as_deref(), Some("/etc/ca.pem"));
        assert!(matches!(asked.mode, Asked::Verify));
    }
}
