//! A record's provenance bundle, fetched through the HR API from a real relay, is checked
//! with OpenSSL and Python (`hashlib` and `cryptography`) only, by running exactly the
//! commands `docs/provenance.md` gives: the capture signature, the checkpoint's signature,
//! the tablet's certificate (the one its enrollment answer carried), a leaf's and a change's
//! hash, and the script that checks the Merkle paths and everything else. A bundle with one
//! flipped byte (in a change, in a proof, in the checkpoint, in the capture signature) fails
//! the check that covers it, and so does one without the witness's cosignature when the
//! witness is required, one whose cosignature is older than the age asked for, and each
//! tampered certificate (another signer, a flipped signature, a payload naming another
//! tablet, another tag, an envelope holding another signature), by the script and, for the
//! signature, by OpenSSL; so does a leaf of an unknown kind. After
//! gallring the record's content and nonce are gone and the API answers 410 `removed`, while
//! its leaves still verify against a later checkpoint with proofs the relay serves by index.
//!
//! Needs `openssl` (3.x) and `python3` with the `cryptography` package (the README's test
//! command installs them; `apt-get install python3-cryptography` otherwise).

mod support {
    pub mod device_cli;
}

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use base64ct::{Base64, Encoding};
use kiosk_core::protocol::enrollment::EnrolledRole;
use kiosk_sync_server::AppState;
use kiosk_sync_server::hr::accounts::Role;
use kiosk_sync_server::storage::{RelayStore, RunStep};
use kiosk_tests::hr::{Http, user};
use kiosk_tests::{Backend, DemoStore, TestRelay, demo_code, demo_store};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use support::device_cli::{device_cli, stdout_of};

fn script() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/provenance/verify_bundle.py")
}

fn run(program: &str, args: &[&str]) -> Output {
    Command::new(program)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("{program} runs (is it installed?): {e}"))
}

fn text(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

/// `python3 verify_bundle.py <args>`.
fn verify(args: &[&str]) -> Output {
    let script = script();
    let mut all = vec![script.to_str().expect("utf-8 path")];
    all.extend_from_slice(args);
    run("python3", &all)
}

/// `openssl pkeyutl -verify -pubin -inkey <key> -rawin -in <message> -sigfile <sig>`, as the
/// docs write it.
fn openssl_verify(key: &Path, message: &Path, signature: &Path) -> Output {
    run(
        "openssl",
        &[
            "pkeyutl",
            "-verify",
            "-pubin",
            "-inkey",
            key.to_str().expect("path"),
            "-rawin",
            "-in",
            message.to_str().expect("path"),
            "-sigfile",
            signature.to_str().expect("path"),
        ],
    )
}

/// The docs' `… | openssl dgst -sha256` of `input`, as hex.
fn openssl_sha256(shell: &str) -> String {
    let output = run("sh", &["-c", &format!("{shell} | openssl dgst -sha256 -r")]);
    assert!(output.status.success(), "{}", text(&output));
    text(&output)
        .split_whitespace()
        .next()
        .expect("a digest")
        .to_owned()
}

fn tools_are_there() {
    let openssl = run("openssl", &["version"]);
    assert!(
        text(&openssl).starts_with("OpenSSL 3"),
        "OpenSSL 3 is needed for pkeyutl -rawin: {}",
        text(&openssl)
    );
    let python = run("python3", &["-c", "import cryptography, hashlib"]);
    assert!(
        python.status.success(),
        "python3 with the cryptography package is needed (apt-get install python3-cryptography): {}",
        text(&python)
    );
}

fn b64(value: &Value) -> Vec<u8> {
    Base64::decode_vec(value.as_str().expect("base64 text")).expect("base64")
}

/// `bundle` with `edit` applied, written to `path`.
fn tampered(bundle: &Value, path: &Path, edit: impl FnOnce(&mut Value)) -> PathBuf {
    let mut copy = bundle.clone();
    edit(&mut copy);
    std::fs::write(path, serde_json::to_vec_pretty(&copy).expect("json")).expect("written");
    path.to_owned()
}

/// Base64 `value` with one bit of byte `at` flipped.
fn flipped(value: &Value, at: usize) -> Value {
    let mut bytes = b64(value);
    bytes[at] ^= 1;
    json!(Base64::encode_string(&bytes))
}

fn path(p: &Path) -> &str {
    p.to_str().expect("utf-8 path")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bundle_verifies_with_openssl_and_python_only_and_a_removed_records_leaves_still_do() {
    tools_are_there();
    let dir = tempfile::tempdir().expect("tempdir");
    let DemoStore { store, keys, .. } = demo_store(Backend::from_env(), dir.path()).await;
    // What an auditor gets from the relay's operator, not from the bundle.
    let relay_key = Base64::encode_string(keys.signing.verifying_key().as_bytes());
    // Only to forge certificates the relay's key really signed, which the script must still
    // refuse when they say the wrong thing.
    let relay_signing = keys.signing.clone();
    let mut state = AppState::new(store.clone(), keys);
    // A witness the relay trusts (the archive's), which cosigns the log's checkpoints.
    let witness = kiosk_core::tlog::cosignature::CosignatureSigner::new(
        "arkiv.example.se/witness",
        &ed25519_dalek::SigningKey::from_bytes(&[9; 32]),
    )
    .expect("a witness");
    state.witness_keys = std::sync::Arc::new(vec![witness.verifier()].into());
    let vkey = state.log_key.verifier().to_string();
    let server = TestRelay::start(state).await;
    let url = server.url();
    let code = demo_code(store.as_ref(), EnrolledRole::Kiosk, 1, 3_600_000).display();
    let work = dir.path().to_owned();
    tokio::task::spawn_blocking(move || {
        check_bundle_and_removal(
            store.as_ref(),
            &url,
            &code,
            &work,
            &vkey,
            &Relay {
                key: &relay_key,
                signing: &relay_signing,
            },
            &witness,
        );
    })
    .await
    .expect("checks ran");
    server.stop().await.expect("stops");
}

/// The relay's signing key as an auditor gets it (base64), and its secret half, with which
/// the test forges certificates the relay's key really signed.
struct Relay<'a> {
    key: &'a str,
    signing: &'a ed25519_dalek::SigningKey,
}

fn check_bundle_and_removal(
    store: &dyn RelayStore,
    url: &str,
    code: &str,
    work: &Path,
    vkey: &str,
    relay: &Relay<'_>,
    witness: &kiosk_core::tlog::cosignature::CosignatureSigner,
) {
    let (relay_key, relay_signing) = (relay.key, relay.signing);
    // A kiosk (the kiosk-device CLI) captures three visitors and syncs.
    let tablet = work.join("kiosk-device.sqlite3");
    stdout_of(&device_cli(&tablet, &["init"]));
    stdout_of(&device_cli(
        &tablet,
        &["enroll", "--relay", url, "--code", code],
    ));
    stdout_of(&device_cli(&tablet, &["capture", "--demo", "3"]));
    let synced = stdout_of(&device_cli(&tablet, &["sync", "--relay", url]));
    // The enrollment named the archive's witness, so the tablet counts the captures
    // received only inside a tree it cosigned (none yet): stored at the relay either way.
    assert!(
        synced.contains("3 capture(s) stored at the relay wait for the witness"),
        "{synced}"
    );

    // An HR edit: recruiter Rut, assigned to the event, adds a note.
    let rut = user(store, "rut", Role::Recruiter);
    store
        .assign_hr_event(rut, kiosk_core::demo::DEMO_EVENT_ID)
        .expect("assigned");
    user(store, "arvid", Role::Archivist);
    let http = Http::new(url.to_owned());
    let archivist = http.login("arvid");
    let (status, list) = archivist.get("/api/v1/registrations");
    assert_eq!(status, 200, "{list}");
    let id = list["registrations"][0]["id"]
        .as_str()
        .expect("an open registration")
        .to_owned();
    let (status, body) = http.login("rut").post(
        &format!("/api/v1/registrations/{id}/notes"),
        json!({ "text": "Intervju bokad" }),
    );
    assert_eq!(status, 201, "{body}");

    // The witness cosigns the log as it is now (it holds every leaf of the record).
    let note = ureq::get(&format!("{url}/v1/log/checkpoint"))
        .call()
        .expect("checkpoint")
        .body_mut()
        .read_to_string()
        .expect("text");
    let body = format!("{}\n", note.split("\n\n").next().expect("text"));
    let cosigned = format!(
        "{note}{}",
        witness.cosign(&body, 1_700_000_000).expect("cosigns")
    );
    let posted = ureq::post(&format!("{url}/v1/log/cosignature"))
        .send(cosigned.as_bytes())
        .expect("posted");
    assert_eq!(posted.status().as_u16(), 204);
    let witness_vkey = witness.verifier().to_string();

    // The bundle, through the API, as the console's download fetches it.
    let answer = archivist.get_raw(&format!("/api/v1/registrations/{id}/provenance"));
    assert_eq!(
        answer.status,
        200,
        "{}",
        String::from_utf8_lossy(&answer.body)
    );
    assert!(
        answer
            .header("content-disposition")
            .starts_with(&format!("attachment; filename=\"provenance-{id}-")),
        "{}",
        answer.header("content-disposition")
    );
    let bundle_file = work.join("provenance.json");
    std::fs::write(&bundle_file, &answer.body).expect("saved");
    let bundle: Value = serde_json::from_slice(&answer.body).expect("json");
    let kinds: Vec<&str> = bundle["log"]["leaves"]
        .as_array()
        .expect("leaves")
        .iter()
        .map(|l| l["kind"].as_str().expect("kind"))
        .collect();
    assert!(
        kinds.contains(&"capture") && kinds.contains(&"hr-edit"),
        "{kinds:?}"
    );
    // The certificate the tablet's enrollment answer carried, not one re-issued.
    assert_eq!(bundle["device"]["certificate"]["reissued"], false);

    // The script: every check passes with the keys the operator gave.
    let checked = verify(&[
        path(&bundle_file),
        "--vkey",
        vkey,
        "--relay-key",
        relay_key,
        "--witness",
        &witness_vkey,
    ]);
    let report = text(&checked);
    assert!(checked.status.success(), "{report}");
    assert!(report.contains("VERIFIED: 0 check(s) failed"), "{report}");
    assert!(!report.contains("FAIL"), "{report}");
    for check in [
        "checkpoint signed by the log key",
        "is in the checkpoint's tree (RFC 9162 inclusion)",
        "its bytes hash to it",
        "recorded by one change leaf naming its author",
        "capture signature by the tablet's key",
        "certificate signed by the relay",
        "cosigned by witness arkiv.example.se/witness",
    ] {
        assert!(
            report.contains(&format!("OK   {check}")) || report.contains(check),
            "{check}: {report}"
        );
    }

    // OpenSSL alone, on the files the script extracts, as the docs show.
    let files = work.join("b");
    let extracted = verify(&[path(&bundle_file), "--extract", path(&files)]);
    assert!(extracted.status.success(), "{}", text(&extracted));
    for (key, message, signature) in [
        ("device.pem", "capture-message.bin", "capture.sig"),
        ("log.pem", "checkpoint-body.txt", "checkpoint.sig"),
        ("relay.pem", "certificate-message.bin", "certificate.sig"),
    ] {
        let output = openssl_verify(
            &files.join(key),
            &files.join(message),
            &files.join(signature),
        );
        assert!(output.status.success(), "{message}: {}", text(&output));
        assert!(
            text(&output).contains("Signature Verified Successfully"),
            "{}",
            text(&output)
        );
    }
    let leaf = &bundle["log"]["leaves"][0];
    let index = leaf["index"].as_u64().expect("index");
    let leaf_hash = openssl_sha256(&format!(
        "printf '\\000' | cat - {}",
        path(&files.join(format!("leaf-{index}.bin")))
    ));
    let expected: [u8; 32] = Sha256::new()
        .chain_update([0u8])
        .chain_update(b64(&leaf["bytes"]))
        .finalize()
        .into();
    assert_eq!(leaf_hash, hex::encode(expected), "the leaf hash command");
    for change in bundle["changes"].as_array().expect("changes") {
        let hash = change["hash"].as_str().expect("hash");
        let computed = openssl_sha256(&format!(
            "tail -c +9 {}",
            path(&files.join(format!("change-{hash}.bin")))
        ));
        assert_eq!(computed, hash, "the change hash command");
    }

    // One flipped byte: the check that covers it fails.
    let bad = |name: &str, edit: &dyn Fn(&mut Value), expected: &str| {
        let file = tampered(&bundle, &work.join(name), |b| edit(b));
        let output = verify(&[path(&file), "--vkey", vkey, "--relay-key", relay_key]);
        let report = text(&output);
        assert_eq!(output.status.code(), Some(1), "{name}: {report}");
        assert!(
            report.contains(&format!("FAIL {expected}")),
            "{name}: {report}"
        );
    };
    bad(
        "change.json",
        &|b| {
            let last = b64(&b["changes"][0]["bytes"]).len() - 1;
            b["changes"][0]["bytes"] = flipped(&b["changes"][0]["bytes"], last);
        },
        &format!(
            "change {}: its bytes hash to it",
            &bundle["changes"][0]["hash"].as_str().expect("hash")[..12]
        ),
    );
    let proven = bundle["log"]["leaves"]
        .as_array()
        .expect("leaves")
        .iter()
        .position(|l| !l["inclusion_proof"].as_array().expect("proof").is_empty())
        .expect("a leaf with a non-empty proof (the log holds three records)");
    let proven_index = bundle["log"]["leaves"][proven]["index"]
        .as_u64()
        .expect("index");
    bad(
        "proof.json",
        &|b| {
            let hash = &mut b["log"]["leaves"][proven]["inclusion_proof"][0];
            *hash = flipped(hash, 5);
        },
        &format!("leaf {proven_index} is in the checkpoint's tree"),
    );
    bad(
        "checkpoint.json",
        &|b| {
            let note = b["log"]["checkpoint"].as_str().expect("note").to_owned();
            // The size line, one more: the text the log key signed is not this one.
            let mut lines: Vec<String> = note.split('\n').map(str::to_owned).collect();
            let size: u64 = lines[1].parse().expect("size");
            lines[1] = (size + 1).to_string();
            b["log"]["checkpoint"] = json!(lines.join("\n"));
        },
        "checkpoint signed by the log key",
    );
    bad(
        "signature.json",
        &|b| b["capture"]["signature"] = flipped(&b["capture"]["signature"], 0),
        "capture signature by the tablet's key",
    );
    // Without the witness's cosignature line, a check that requires the witness fails.
    let uncosigned = tampered(&bundle, &work.join("uncosigned.json"), |b| {
        let note = b["log"]["checkpoint"].as_str().expect("note");
        let kept: Vec<&str> = note
            .split_inclusive('\n')
            .filter(|line| !line.starts_with("\u{2014} arkiv.example.se/witness "))
            .collect();
        b["log"]["checkpoint"] = json!(kept.concat());
    });
    let output = verify(&[
        path(&uncosigned),
        "--vkey",
        vkey,
        "--witness",
        &witness_vkey,
    ]);
    assert_eq!(output.status.code(), Some(1), "{}", text(&output));
    assert!(
        text(&output).contains("FAIL cosigned by witness arkiv.example.se/witness"),
        "{}",
        text(&output)
    );

    // A cosignature older than the age asked for fails (the witness cosigned at a fixed
    // time in 2023), one within it passes.
    let aged = |age: &str| {
        verify(&[
            path(&bundle_file),
            "--vkey",
            vkey,
            "--witness",
            &witness_vkey,
            "--max-cosignature-age",
            age,
        ])
    };
    let stale = aged("7d");
    assert_eq!(stale.status.code(), Some(1), "{}", text(&stale));
    assert!(
        text(&stale).contains(
            "FAIL witness arkiv.example.se/witness's cosignature is at most 604800 seconds old"
        ),
        "{}",
        text(&stale)
    );
    let within = aged("36500d");
    assert!(within.status.success(), "{}", text(&within));
    // `0` accepts any age, as verify-log's; a digit that is not ASCII is a usage error.
    let any = aged("0");
    assert!(any.status.success(), "0 is any age: {}", text(&any));
    let unreadable = aged("\u{b2}d");
    assert_eq!(unreadable.status.code(), Some(2), "{}", text(&unreadable));

    // The certificate, tampered four ways: each fails the check that covers it.
    let certificate = &bundle["device"]["certificate"];
    let payload = b64(&certificate["payload_cbor"]);
    let tablet_key = b64(&bundle["capture"]["device_key"]);
    let sign = |key: &ed25519_dalek::SigningKey, message: &[u8]| {
        use ed25519_dalek::Signer;
        json!(Base64::encode_string(&key.sign(message).to_bytes()))
    };
    // Another signer, whose own signature over the certificate is valid: not the relay's.
    let stranger = ed25519_dalek::SigningKey::from_bytes(&[77; 32]);
    let signed = b64(&certificate["signed_message"]);
    let stranger_signature = sign(&stranger, &signed);
    bad(
        "certificate-signer.json",
        &|b| {
            let c = &mut b["device"]["certificate"];
            c["signer"] = json!(Base64::encode_string(stranger.verifying_key().as_bytes()));
            c["signature"] = stranger_signature.clone();
        },
        "certificate signer is the relay's signing key",
    );
    bad(
        "certificate-signature.json",
        &|b| {
            let c = &mut b["device"]["certificate"];
            c["signature"] = flipped(&c["signature"], 3);
        },
        "certificate signed by the relay",
    );
    // A payload naming another tablet, really signed by the relay's key.
    let other_tablet = [0x42u8; 32];
    let at = payload
        .windows(32)
        .position(|w| w == tablet_key.as_slice())
        .expect("the payload names the tablet");
    let mut naming_other = payload.clone();
    naming_other[at..at + 32].copy_from_slice(&other_tablet);
    let other_message = [b"kiosk-cert-v1".as_slice(), &naming_other].concat();
    let other_signature = sign(relay_signing, &other_message);
    bad(
        "certificate-payload.json",
        &|b| {
            let c = &mut b["device"]["certificate"];
            c["payload_cbor"] = json!(Base64::encode_string(&naming_other));
            c["signed_message"] = json!(Base64::encode_string(&other_message));
            c["signature"] = other_signature.clone();
        },
        "the signed certificate names the capturing tablet",
    );
    // Another tag, with a message and a relay signature to match: what the relay signed
    // under another tag is not a certificate.
    let other_tag_message = [b"kiosk-receipt-v1".as_slice(), &payload].concat();
    let other_tag_signature = sign(relay_signing, &other_tag_message);
    bad(
        "certificate-tag.json",
        &|b| {
            let c = &mut b["device"]["certificate"];
            c["tag"] = json!("kiosk-receipt-v1");
            c["signed_message"] = json!(Base64::encode_string(&other_tag_message));
            c["signature"] = other_tag_signature.clone();
        },
        "certificate tag is kiosk-cert-v1",
    );

    // The whole envelope with another signature in it than the one checked: the bytes a
    // kept certificate was sent as must be the ones the other fields state.
    bad(
        "certificate-envelope.json",
        &|b| {
            let c = &mut b["device"]["certificate"];
            let last = b64(&c["envelope_cbor"]).len() - 1;
            c["envelope_cbor"] = flipped(&c["envelope_cbor"], last);
        },
        "certificate envelope_cbor holds the signer, payload and signature checked",
    );
    // A leaf of a kind no reader knows.
    let first_index = bundle["log"]["leaves"][0]["index"].as_u64().expect("index");
    bad(
        "leaf-kind.json",
        &|b| {
            let leaf = &mut b["log"]["leaves"][0]["bytes"];
            let mut bytes = b64(leaf);
            bytes[1] = 0x63;
            *leaf = json!(Base64::encode_string(&bytes));
        },
        &format!("leaf {first_index} is of a known kind"),
    );

    // And OpenSSL refuses the altered checkpoint text and capture signature too.
    let altered = work.join("altered");
    let checkpoint = tampered(&bundle, &work.join("checkpoint-alt.json"), |b| {
        let note = b["log"]["checkpoint"].as_str().expect("note");
        let (origin, rest) = note.split_once('\n').expect("lines");
        let (size, rest) = rest.split_once('\n').expect("lines");
        let size: u64 = size.parse().expect("size");
        b["log"]["checkpoint"] = json!(format!("{origin}\n{}\n{rest}", size + 1));
        b["capture"]["signature"] = flipped(&b["capture"]["signature"], 10);
        let c = &mut b["device"]["certificate"];
        c["signature"] = flipped(&c["signature"], 10);
    });
    assert!(
        verify(&[path(&checkpoint), "--extract", path(&altered)])
            .status
            .success()
    );
    for (key, message, signature) in [
        ("log.pem", "checkpoint-body.txt", "checkpoint.sig"),
        ("device.pem", "capture-message.bin", "capture.sig"),
        ("relay.pem", "certificate-message.bin", "certificate.sig"),
    ] {
        let output = openssl_verify(
            &altered.join(key),
            &altered.join(message),
            &altered.join(signature),
        );
        assert!(!output.status.success(), "{message}: {}", text(&output));
    }

    // Gallring: a retention run as of three years on removes every record.
    let as_of = kiosk_sync_server::now_ms() + 3 * 365 * 86_400_000;
    let run = store
        .start_retention_run("hr:arvid", as_of)
        .expect("starts")
        .expect("no run going");
    for _ in 0..100 {
        match store
            .retention_run_step(run.id, 100, kiosk_sync_server::now_ms())
            .expect("steps")
        {
            RunStep::Removed(_) => continue,
            RunStep::Finished(_) => break,
        }
    }
    assert!(store.removal(&id).expect("reads").is_some(), "removed");
    assert_eq!(
        store.record_nonce(&id).expect("reads"),
        None,
        "nonce erased"
    );
    assert_eq!(
        store.registration_document(&id).expect("reads"),
        None,
        "content erased"
    );
    let (status, body) = archivist.get(&format!("/api/v1/registrations/{id}/provenance"));
    assert_eq!(
        (status, body["code"].as_str()),
        (410, Some("removed")),
        "{body}"
    );

    // Its leaves, kept from the bundle, verify against a later checkpoint by index.
    let later = ureq::get(&format!("{url}/v1/log/checkpoint"))
        .call()
        .expect("checkpoint")
        .body_mut()
        .read_to_string()
        .expect("text");
    let later_size: u64 = later.lines().nth(1).expect("size").parse().expect("number");
    assert!(
        later_size > bundle["log"]["size"].as_u64().expect("size"),
        "the removal appended its leaf"
    );
    let later_file = work.join("later-checkpoint.txt");
    std::fs::write(&later_file, &later).expect("saved");
    for leaf in bundle["log"]["leaves"].as_array().expect("leaves") {
        let index = leaf["index"].as_u64().expect("index");
        let proof = ureq::get(&format!(
            "{url}/v1/log/inclusion?index={index}&size={later_size}"
        ))
        .call()
        .expect("proof")
        .body_mut()
        .read_to_string()
        .expect("text");
        let proof_file = work.join(format!("leaf-{index}.later.proof"));
        std::fs::write(&proof_file, proof).expect("saved");
        let output = verify(&[
            "leaf",
            "--leaf",
            path(&files.join(format!("leaf-{index}.bin"))),
            "--index",
            &index.to_string(),
            "--proof",
            path(&proof_file),
            "--checkpoint",
            path(&later_file),
            "--vkey",
            vkey,
        ]);
        assert!(output.status.success(), "leaf {index}: {}", text(&output));
        assert!(text(&output).contains("VERIFIED"), "{}", text(&output));
    }
}
