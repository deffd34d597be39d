//! A relay restarted within the same minute (or second) still writes its start checkpoint:
//! each start leaves a file of its own in `access-checkpoints/`, and every one of them
//! verifies against the log.

use std::time::Duration;

mod support {
    pub mod relay_process;
}
use support::relay_process::{admin, spawn_relay};

fn checkpoints(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut found: Vec<_> = std::fs::read_dir(dir)
        .map(|listing| {
            listing
                .filter_map(|entry| entry.ok().map(|e| e.path()))
                .filter(|path| path.extension().is_some_and(|e| e == "checkpoint"))
                .collect()
        })
        .unwrap_or_default();
    found.sort();
    found
}

#[test]
fn three_quick_restarts_write_three_start_checkpoints_that_all_verify() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("relay");
    let folder = data.join("access-checkpoints");
    for start in 1..=3 {
        let (mut relay, _) = spawn_relay(&data, "serve");
        // Poll, bounded, for this start's checkpoint.
        let mut written = false;
        for _ in 0..600 {
            if checkpoints(&folder).len() == start {
                written = true;
                break;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        relay.kill().expect("stops");
        relay.wait().expect("reaped");
        assert!(
            written,
            "start {start} wrote no checkpoint: {:?}",
            checkpoints(&folder)
        );
    }
    let files = checkpoints(&folder);
    assert_eq!(files.len(), 3, "{files:?}");
    let mut args = vec!["verify-access-log".to_owned()];
    for file in &files {
        args.push("--checkpoint".to_owned());
        args.push(file.to_str().expect("utf-8").to_owned());
    }
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let said = admin(&data, &args);
    assert_eq!(said.matches(" holds:").count(), 3, "{said}");
}
