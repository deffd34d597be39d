//! `serve` as an operator runs it: with `--log-format json` every line it logs is JSON and
//! a request's lines carry its id and, from a `--trusted-proxy`, the forwarded client; with
//! a certificate, new connections get the renewed certificate after `kill -HUP` (the file
//! watch could bring it too, within its 5 s; `certificate_reload.rs` tests the signal alone)
//! while a connection opened before keeps working.

mod support {
    pub mod tls_pki;
}

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use support::tls_pki::{Pki, connect, health, leaf_of};

/// A relay process and the lines it prints, as they come.
struct Relay {
    child: Child,
    address: SocketAddr,
    lines: mpsc::Receiver<String>,
}

impl Drop for Relay {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn serve(data_dir: &Path, args: &[&str]) -> Relay {
    let mut child = Command::new(env!("CARGO_BIN_EXE_kiosk-sync-server"))
        .arg("--data-dir")
        .arg(data_dir)
        .args(["serve", "--listen", "127.0.0.1:0"])
        .args(args)
        .env_remove("RUST_LOG")
        .env_remove("KIOSK_LOG")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("relay starts");
    let stdout = child.stdout.take().expect("stdout");
    let (send, lines) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if send.send(line).is_err() {
                break;
            }
        }
    });
    let mut address = None;
    while address.is_none() {
        let line = lines
            .recv_timeout(Duration::from_secs(60))
            .expect("the relay prints its address");
        if let Some(rest) = line.strip_prefix("Kiosk relay on ") {
            let url = rest
                .split_whitespace()
                .next()
                .expect("url")
                .trim_end_matches(',');
            let host = url.split("://").nth(1).expect("scheme");
            address = Some(host.parse().expect("address"));
        }
    }
    Relay {
        child,
        address: address.expect("address"),
        lines,
    }
}

#[test]
fn json_logs_carry_the_request_id_and_the_client_a_trusted_proxy_names() {
    let dir = tempfile::tempdir().expect("tempdir");
    let relay = serve(
        dir.path(),
        &[
            "--log-format",
            "json",
            "--log",
            "info,tower_http=debug",
            "--trusted-proxy",
            "127.0.0.1/32",
        ],
    );
    let mut stream = TcpStream::connect(relay.address).expect("connect");
    stream
        .write_all(
            b"GET /healthz HTTP/1.1\r\nhost: relay\r\nx-forwarded-for: 198.51.100.4\r\n\
              x-request-id: proxy-77\r\nconnection: close\r\n\r\n",
        )
        .expect("request");
    let mut answer = String::new();
    stream.read_to_string(&mut answer).expect("answer");
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(
        answer
            .to_ascii_lowercase()
            .contains("x-request-id: proxy-77"),
        "the trusted proxy's id is kept: {answer}"
    );

    // Every line is JSON; the request's lines carry its id and the forwarded client.
    let mut seen = Vec::new();
    let finished = loop {
        let line = relay
            .lines
            .recv_timeout(Duration::from_secs(60))
            .unwrap_or_else(|_| panic!("no line for the request among {seen:#?}"));
        let value: serde_json::Value = serde_json::from_str(&line)
            .unwrap_or_else(|_| panic!("a log line that is not JSON: {line}"));
        if value["fields"]["message"] == "finished processing request" {
            break value;
        }
        seen.push(line);
    };
    assert_eq!(finished["span"]["request_id"], "proxy-77", "{finished}");
    assert_eq!(finished["span"]["client"], "198.51.100.4", "{finished}");
    assert_eq!(finished["span"]["route"], "/healthz", "{finished}");
}

#[cfg(unix)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_hup_gives_new_connections_the_renewed_certificate() {
    let dir = tempfile::tempdir().expect("tempdir");
    let pki = Pki::new();
    let old = pki.issue();
    let certificate = pki.certificate_path().display().to_string();
    let key = pki.key_path().display().to_string();
    let relay = serve(dir.path(), &["--tls-cert", &certificate, "--tls-key", &key]);
    let mut open = connect(&pki, relay.address).await;
    assert_eq!(leaf_of(&open), old);

    let new = pki.issue();
    let status = Command::new("kill")
        .args(["-HUP", &relay.child.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(status.success());
    let mut renewed = None;
    for _ in 0..400 {
        let stream = connect(&pki, relay.address).await;
        if leaf_of(&stream) == new {
            renewed = Some(stream);
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    let mut renewed = renewed.expect("a new connection gets the renewed certificate");
    assert!(health(&mut renewed).await.starts_with("HTTP/1.1 200"));
    assert!(
        health(&mut open).await.starts_with("HTTP/1.1 200"),
        "the connection opened before still works"
    );
}
