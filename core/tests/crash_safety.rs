//! A kiosk process killed with SIGKILL mid-capture loses nothing it acknowledged and leaves
//! nothing half-written: the device CLI submits in a loop and is killed at random points.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};

use kiosk_core::capture::RelayOpeningKey;
use kiosk_core::device::{Device, DeviceRole};
use kiosk_core::ids::RegistrationId;
use kiosk_core::secrets::FileSecretStore;
use kiosk_core::store::DocumentState;
use rand::{RngExt, SeedableRng};

const KILLS: usize = 24;

fn kiosk_device(store: &Path, args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_kiosk-device"));
    command.args(args).arg("--store").arg(store);
    command
}

#[test]
fn every_acknowledged_submit_survives_sigkill_and_the_journal_stays_whole() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = dir.path().join("kiosk.sqlite3");
    let relay = RelayOpeningKey::generate();
    let relay_hex = hex::encode(relay.sealing_key().public_key);
    let init = kiosk_device(&store, &["init", "--relay-public-key", &relay_hex])
        .output()
        .expect("runs init");
    assert!(
        init.status.success(),
        "{}",
        String::from_utf8_lossy(&init.stderr)
    );

    let mut rng = rand::rngs::StdRng::seed_from_u64(20_261_122);
    let mut acknowledged: Vec<RegistrationId> = Vec::new();
    for round in 0..KILLS {
        let kill_after = rng.random_range(0..25);
        let mut child = kiosk_device(&store, &["capture", "--demo", "1000000"])
            .arg("--seed")
            .arg(round.to_string())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawns");
        let stdout = child.stdout.take().expect("piped");
        let mut lines = BufReader::new(stdout).lines();
        // Each capture prints `captured CODE ID`, then the visitor's `receipt …` line.
        let mut seen = 0;
        while seen < kill_after {
            let line = lines
                .next()
                .expect("the child is still capturing")
                .expect("utf-8");
            if let Some(rest) = line.strip_prefix("captured ") {
                let id = rest.split_whitespace().nth(1).expect("captured CODE ID");
                acknowledged.push(RegistrationId::parse(id).expect("an id"));
                seen += 1;
            }
        }
        child.kill().expect("SIGKILL");
        child.wait().expect("reaped");
        // Lines already written before the kill were acknowledged too.
        for line in lines.map_while(Result::ok) {
            if let Some(id) = line
                .strip_prefix("captured ")
                .and_then(|l| l.split_whitespace().nth(1))
            {
                acknowledged.push(RegistrationId::parse(id).expect("an id"));
            }
        }

        let secrets = FileSecretStore::new(dir.path().join("kiosk.sqlite3.secrets"));
        let device =
            Device::open(&store, &secrets, DeviceRole::Kiosk).expect("reopens after SIGKILL");
        let head = device.verify_journal().expect("the journal chain verifies");
        let counts = device.state_counts().expect("counts");
        assert_eq!(
            counts.captured, head.count,
            "every journal entry has its sealed document and no more"
        );
        let stored: Vec<RegistrationId> = device
            .unreceipted(usize::MAX >> 1)
            .expect("lists")
            .into_iter()
            .map(|(id, sealed)| {
                relay
                    .open(&sealed)
                    .expect("every stored seal opens and verifies");
                id
            })
            .collect();
        for id in &acknowledged {
            assert_eq!(
                device.document_state(id).expect("state"),
                Some(DocumentState::Captured),
                "round {round}: an acknowledged submit was lost"
            );
        }
        assert_eq!(stored.len() as u64, head.count);
    }
    assert!(acknowledged.len() > KILLS, "the rounds captured something");
}
