//! A relay started with an open-file limit of 256 (`ulimit -n 256`) and 300 idle clients
//! connected still answers `/healthz` from a fresh connection: it serves no more
//! connections than the limit leaves room for (the rest wait in the listen queue), and
//! closes the idle ones after the header-read timeout (2 s here, set by flag). All waits are
//! bounded.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Command, Stdio};
use std::time::Duration;

const IDLE_CLIENTS: usize = 300;

#[test]
fn healthz_answers_a_fresh_client_beside_300_idle_ones_under_a_file_limit_of_256() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut relay = Command::new("sh")
        .arg("-c")
        .arg("ulimit -n 256 && exec \"$0\" \"$@\"")
        .arg(env!("CARGO_BIN_EXE_kiosk-sync-server"))
        .arg("--data-dir")
        .arg(dir.path().join("relay"))
        .args([
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--header-read-timeout-secs",
            "2",
            // All clients here share one address: the cap per client is lifted so that the
            // open-file limit is what is tested.
            "--max-connections-per-client",
            "65536",
        ])
        .env_remove("KIOSK_CONFIG")
        .env("RUST_LOG", "error")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("relay starts");
    let mut lines = BufReader::new(relay.stdout.take().expect("stdout")).lines();
    let address = lines
        .by_ref()
        .map(|line| line.expect("utf-8"))
        .find_map(|line| {
            line.split_whitespace()
                .find_map(|word| word.strip_prefix("http://"))
                .map(|a| a.trim_end_matches(',').to_owned())
        })
        .expect("the relay prints its address");
    std::thread::spawn(move || lines.for_each(drop));

    let idle: Vec<TcpStream> = (0..IDLE_CLIENTS)
        .map(|_| TcpStream::connect(&address).expect("connects"))
        .collect();
    let mut fresh = TcpStream::connect(&address).expect("connects");
    fresh
        .set_read_timeout(Some(Duration::from_secs(60)))
        .expect("a bound");
    fresh
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: relay\r\nConnection: close\r\n\r\n")
        .expect("writes");
    let mut answer = String::new();
    let read = fresh.read_to_string(&mut answer);
    relay.kill().expect("stops");
    relay.wait().expect("reaped");
    drop(idle);
    read.expect("answered within the bound");
    assert!(answer.starts_with("HTTP/1.1 200 OK"), "{answer}");
    assert!(answer.contains("\"status\":\"ok\""), "{answer}");
}
