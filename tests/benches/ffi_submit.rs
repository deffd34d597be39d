//! One submit through the Kotlin bindings against the same submit in Rust, over 10,000
//! submits each, on one relay-enrolled kiosk store per side (issue 6's figure: Kotlin ≤ 1.5×).
//!
//! `cargo bench -p kiosk-tests --bench ffi_submit` (needs the tools from
//! `scripts/install-foreign-test-tools.sh`). The Rust side calls the `kiosk_ffi` API itself
//! (the same objects Kotlin reaches through JNA), so the difference is the crossing: JNA,
//! lowering the draft, lifting the receipt. Each submit includes the store's fsync.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use kiosk_core::protocol::enrollment::EnrolledRole;
use kiosk_ffi::foreign::PlatformSecretStore;
use kiosk_ffi::types::{DeviceRole, Language, RegistrationDraft};
use kiosk_ffi::{KioskDevice, KioskError};

const SUBMITS: usize = 10_000;
const WARM_UP: usize = 500;

#[derive(Default)]
struct MemorySecrets(Mutex<std::collections::HashMap<String, Vec<u8>>>);

impl PlatformSecretStore for MemorySecrets {
    fn load(&self, name: String) -> Result<Option<Vec<u8>>, KioskError> {
        Ok(self.0.lock().expect("lock").get(&name).cloned())
    }
    fn store(&self, name: String, secret: Vec<u8>) -> Result<(), KioskError> {
        self.0.lock().expect("lock").insert(name, secret);
        Ok(())
    }
    fn delete(&self, name: String) -> Result<(), KioskError> {
        self.0.lock().expect("lock").remove(&name);
        Ok(())
    }
}

/// The same draft the Kotlin bench builds (`mobile-bindings/kotlin/SubmitBench.kts`).
fn draft(i: usize) -> RegistrationDraft {
    RegistrationDraft {
        language: Some(Language::Swedish),
        given_name: "Besökare".into(),
        family_name: format!("Nummer{}", (b'A' + (i % 26) as u8) as char),
        email: format!("besokare{i}@exempel.se"),
        interests: vec!["it-development".into(), "databases".into()],
        locations: vec!["stockholm".into()],
        education_level: "bachelor".into(),
        privacy_notice_acknowledged: true,
        talent_pool_opt_in: i.is_multiple_of(2),
        ..RegistrationDraft::default()
    }
}

struct Figures {
    total_ns: u128,
    p50_ns: u128,
    p99_ns: u128,
}

fn rust_submits(runtime: &tokio::runtime::Runtime, url: &str, code: &str, dir: &Path) -> Figures {
    let device = KioskDevice::open(
        dir.join("rust-bench.sqlite3").display().to_string(),
        Arc::new(MemorySecrets::default()),
        DeviceRole::Kiosk,
    )
    .expect("opens");
    device.install_demo_event().expect("event");
    runtime
        .block_on(device.enroll_over_http(url.into(), None, code.into(), None))
        .expect("enrolls");
    let session = Arc::clone(&device)
        .start_visitor_session()
        .expect("session");
    for i in 0..WARM_UP {
        session.submit(draft(i)).expect("submits");
    }
    let mut times = Vec::with_capacity(SUBMITS);
    let started = Instant::now();
    for i in 0..SUBMITS {
        let t = Instant::now();
        session.submit(draft(i)).expect("submits");
        times.push(t.elapsed().as_nanos());
    }
    let total_ns = started.elapsed().as_nanos();
    times.sort_unstable();
    Figures {
        total_ns,
        p50_ns: times[SUBMITS / 2],
        p99_ns: times[SUBMITS * 99 / 100],
    }
}

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("workspace")
        .to_path_buf()
}

fn checked(command: &mut Command, what: &str) -> String {
    let output = command.output().unwrap_or_else(|e| panic!("{what}: {e}"));
    assert!(
        output.status.success(),
        "{what} failed:\n{}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn kotlin_submits(url: &str, code: &str, dir: &Path) -> Figures {
    let root = repo_root();
    let kotlin_home = std::env::var_os("KOTLIN_HOME")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join(".tools/kotlin-compiler-2.4.20/package"));
    let jna = std::env::var("JNA_JAR").unwrap_or_else(|_| "/usr/share/java/jna.jar".into());
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("target"));
    checked(
        Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
            .current_dir(&root)
            .args(["build", "--locked", "-q", "--release", "-p", "kiosk-ffi"]),
        "cargo build --release -p kiosk-ffi",
    );
    let kotlinc = kotlin_home.join("bin/kotlinc");
    let classpath = format!(
        "{jna}:{}",
        kotlin_home
            .join("lib/kotlinx-coroutines-core-jvm.jar")
            .display()
    );
    let jar = dir.join("bindings.jar");
    checked(
        Command::new(&kotlinc)
            .arg(root.join("mobile-bindings/generated/kotlin/uniffi/kiosk_ffi/kiosk_ffi.kt"))
            .args(["-nowarn", "-cp", &classpath, "-d"])
            .arg(&jar),
        "kotlinc (bindings)",
    );
    let stdout = checked(
        Command::new(&kotlinc)
            .arg(format!(
                "-J-Djna.library.path={}",
                target.join("release").display()
            ))
            .arg("-cp")
            .arg(format!("{}:{classpath}", jar.display()))
            .arg("-script")
            .arg(root.join("mobile-bindings/kotlin/SubmitBench.kts"))
            .env("KIOSK_RELAY_URL", url)
            .env("KIOSK_CODE", code)
            .env("KIOSK_WORK_DIR", dir)
            .env("KIOSK_SUBMITS", SUBMITS.to_string()),
        "the Kotlin submit bench",
    );
    let figure = |name: &str| -> u128 {
        stdout
            .lines()
            .find_map(|line| line.strip_prefix(&format!("{name}=")))
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or_else(|| panic!("the Kotlin bench printed no {name}:\n{stdout}"))
    };
    Figures {
        total_ns: figure("kotlin_total_ns"),
        p50_ns: figure("kotlin_p50_ns"),
        p99_ns: figure("kotlin_p99_ns"),
    }
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let relay = runtime.block_on(kiosk_tests::file_relay());
    let code = relay.code(EnrolledRole::Kiosk, 2, 3_600_000).display();
    let url = relay.server.url();
    let dir = tempfile::tempdir().expect("tempdir");

    let rust = rust_submits(&runtime, &url, &code, dir.path());
    let kotlin = kotlin_submits(&url, &code, dir.path());

    let per = |f: &Figures| f.total_ns as f64 / SUBMITS as f64 / 1_000.0;
    println!("\n{SUBMITS} submits each (after {WARM_UP} untimed), one kiosk store per side:");
    println!("| side | mean µs/submit | p50 µs | p99 µs | total s |");
    println!("|---|---|---|---|---|");
    for (name, f) in [("Rust (kiosk_ffi API)", &rust), ("Kotlin (JNA)", &kotlin)] {
        println!(
            "| {name} | {:.1} | {:.1} | {:.1} | {:.2} |",
            per(f),
            f.p50_ns as f64 / 1_000.0,
            f.p99_ns as f64 / 1_000.0,
            f.total_ns as f64 / 1e9
        );
    }
    println!(
        "Kotlin / Rust: mean {:.2}×, p50 {:.2}× (target ≤ 1.5×)",
        per(&kotlin) / per(&rust),
        kotlin.p50_ns as f64 / rust.p50_ns as f64
    );
}
