//! The generated bindings, run for real: a Kotlin (JVM) and a Python shell drive the core
//! through uniffi against a relay on loopback, and the committed generated code must be
//! exactly what the library generates.
//!
//! The foreign scripts live in `mobile-bindings/kotlin/` and `mobile-bindings/python/`;
//! each prints `PASS <check>` per check, and this harness requires every check by name, so
//! a script that skips one fails here. The tools come from
//! `scripts/install-foreign-test-tools.sh` (the README's test command runs it first):
//! `KOTLIN_HOME` and `JNA_JAR` override where they are looked for.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;
use std::time::Duration;

use kiosk_core::protocol::enrollment::EnrolledRole;
use kiosk_tests::file_relay;
use kiosk_tests::scripted::{assert_every_check_passed, run_with_limit};

/// Every check each foreign scenario must pass, in the order the scripts run them.
const CHECKS: &[&str] = &[
    "throwing_secret_store_is_a_typed_error",
    "device_opens_with_the_shell_secret_store",
    "enrolls_against_the_relay",
    "enrolls_for_an_hr_event_without_installing_one",
    "enrollment_mismatches_are_refused_and_pin_nothing",
    "reads_the_event_form",
    "valid_registration_gets_a_receipt",
    "invalid_registration_names_the_field",
    "oversized_and_unusual_unicode_input_is_refused_or_kept_exactly",
    "session_resets",
    "staff_pin_wrong_then_right",
    "sync_reports_progress_to_the_listener",
    "throwing_transport_is_a_typed_error_and_the_next_sync_completes",
    "silent_transport_times_out_and_the_next_sync_completes",
    "throwing_listener_is_a_typed_error_and_the_next_sync_completes",
    "cancelled_sync_stops_between_requests_and_the_next_sync_completes",
    "staff_tablet_pulls_and_annotates",
    "closed_device_refuses_calls",
];

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the tests crate sits in the workspace")
        .to_path_buf()
}

fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo_root().join("target"))
}

fn run(command: &mut Command, what: &str) -> Output {
    let output = command
        .output()
        .unwrap_or_else(|e| panic!("{what} could not start: {e}"));
    assert!(
        output.status.success(),
        "{what} failed ({}):\n{}\n{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

/// Generates the bindings into `out` from a fresh build of the library (once per run).
fn generate_into(out: &Path) -> PathBuf {
    run(
        Command::new(repo_root().join("mobile-bindings/scripts/generate.sh"))
            .arg("--out")
            .arg(out),
        "mobile-bindings/scripts/generate.sh",
    );
    target_dir().join("debug").join(format!(
        "{}kiosk_ffi{}",
        std::env::consts::DLL_PREFIX,
        std::env::consts::DLL_SUFFIX
    ))
}

/// The freshly built library and bindings generated from it, shared by every test here.
fn fresh_bindings() -> &'static (tempfile::TempDir, PathBuf) {
    static FRESH: OnceLock<(tempfile::TempDir, PathBuf)> = OnceLock::new();
    FRESH.get_or_init(|| {
        let dir = tempfile::tempdir().expect("tempdir");
        let library = generate_into(dir.path());
        (dir, library)
    })
}

fn files_under(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut files = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(folder) = pending.pop() {
        for entry in std::fs::read_dir(&folder).expect("readable folder") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                pending.push(path);
            } else {
                let relative = path.strip_prefix(dir).expect("inside").to_path_buf();
                files.push((relative, std::fs::read(&path).expect("readable file")));
            }
        }
    }
    files.sort();
    files
}

#[test]
fn committed_bindings_are_exactly_what_the_library_generates() {
    let (fresh, _) = fresh_bindings();
    let committed = files_under(&repo_root().join("mobile-bindings/generated"));
    let generated = files_under(fresh.path());
    let names =
        |files: &[(PathBuf, Vec<u8>)]| files.iter().map(|f| f.0.clone()).collect::<Vec<_>>();
    assert_eq!(
        names(&committed),
        names(&generated),
        "the generated files changed: run mobile-bindings/scripts/generate.sh and commit"
    );
    for ((path, committed), (_, generated)) in committed.iter().zip(&generated) {
        assert!(
            committed == generated,
            "mobile-bindings/generated/{} is stale: run mobile-bindings/scripts/generate.sh and commit",
            path.display()
        );
    }
}

/// Where the foreign-language tools are, from the environment or the install script's
/// defaults. Missing tools fail the test, naming the script that installs them.
struct Tools {
    kotlin_home: PathBuf,
    jna_jar: PathBuf,
}

fn tools() -> Tools {
    let kotlin_home = std::env::var_os("KOTLIN_HOME")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo_root().join(".tools/kotlin-compiler-2.4.20/package"));
    let jna_jar = std::env::var_os("JNA_JAR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/usr/share/java/jna.jar"));
    for needed in [kotlin_home.join("bin/kotlinc"), jna_jar.clone()] {
        assert!(
            needed.exists(),
            "{} is missing: run scripts/install-foreign-test-tools.sh (the README's test command does)",
            needed.display()
        );
    }
    Tools {
        kotlin_home,
        jna_jar,
    }
}

/// The event HR made for the scenario's `KIOSK_EVENT_CODE`: the demo form under another id
/// and name, so a tablet enrolled with that code shows which event it took from the relay.
const HR_EVENT_ID: &str = "goteborg-it-dagen-2027";

fn hr_event() -> kiosk_core::event::Event {
    use kiosk_core::ids::{CalendarDate, EventId, Timestamp};
    let mut event = kiosk_core::event::Event::new(
        EventId::parse(HR_EVENT_ID).expect("slug"),
        kiosk_core::language::Localized::new("IT-dagen Göteborg 2027", "IT Day Gothenburg 2027"),
        "Svenska Mässan",
        CalendarDate::parse("2027-03-10").expect("date"),
        Some(CalendarDate::parse("2027-03-11").expect("date")),
        kiosk_core::demo::demo_form(),
    )
    .expect("valid event");
    event.publish(Timestamp::now()).expect("publishes");
    event
}

/// The relay and codes a scenario uses: a kiosk code for several tablets (the scenario
/// opens more than one store), a staff code for one recruiter's tablet, and a kiosk code
/// for an event HR made, which tablets enroll for without installing any event.
fn scenario_environment(command: &mut Command, relay: &kiosk_tests::FileRelay, work: &Path) {
    let kiosk_code = relay.code(EnrolledRole::Kiosk, 10, 3_600_000);
    let staff_code = kiosk_tests::staff_code(relay.store.as_ref(), "rut");
    // Store calls block: off the async threads this is called from.
    let event_code = kiosk_tests::off_runtime(|| {
        relay
            .store
            .put_event(&hr_event())
            .expect("HR's event stored");
        let now = kiosk_sync_server::now_ms();
        kiosk_sync_server::enrollment::create_code(
            relay.store.as_ref(),
            HR_EVENT_ID,
            EnrolledRole::Kiosk,
            None,
            5,
            now + 3_600_000,
            now,
        )
        .expect("code")
    });
    command
        .env("KIOSK_RELAY_URL", relay.server.url())
        .env("KIOSK_CODE", kiosk_code.display())
        .env("KIOSK_STAFF_CODE", staff_code.display())
        .env("KIOSK_EVENT_CODE", event_code.display())
        .env("KIOSK_WORK_DIR", work);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kotlin_shell_runs_the_kiosk_scenario_against_a_real_relay() {
    let tools = tools();
    let (fresh, library) = fresh_bindings();
    let relay = file_relay().await;
    let work = tempfile::tempdir().expect("tempdir");
    let kotlinc = tools.kotlin_home.join("bin/kotlinc");
    let classpath = format!(
        "{}:{}",
        tools.jna_jar.display(),
        tools
            .kotlin_home
            .join("lib/kotlinx-coroutines-core-jvm.jar")
            .display()
    );
    let jar = work.path().join("bindings.jar");
    let mut compile = Command::new(&kotlinc);
    compile
        .arg(fresh.path().join("kotlin/uniffi/kiosk_ffi/kiosk_ffi.kt"))
        .args(["-nowarn", "-cp", &classpath, "-d"])
        .arg(&jar);
    tokio::task::spawn_blocking(move || run(&mut compile, "kotlinc (bindings)"))
        .await
        .expect("compiled");
    let mut script = Command::new(&kotlinc);
    script
        .arg("-J-ea")
        .arg(format!(
            "-J-Djna.library.path={}",
            library.parent().expect("folder").display()
        ))
        .arg("-cp")
        .arg(format!("{}:{classpath}", jar.display()))
        .arg("-script")
        .arg(repo_root().join("mobile-bindings/kotlin/KioskShellTest.kts"));
    scenario_environment(&mut script, &relay, work.path());
    let stdout = tokio::task::spawn_blocking(move || {
        run_with_limit(script, Duration::from_secs(600), "the Kotlin scenario")
    })
    .await
    .expect("ran");
    assert_every_check_passed(&stdout, CHECKS, "the Kotlin scenario");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn python_shell_runs_the_kiosk_scenario_against_a_real_relay() {
    let (fresh, library) = fresh_bindings();
    let relay = file_relay().await;
    let work = tempfile::tempdir().expect("tempdir");
    // Python loads the library from the generated module's own folder.
    let module = work.path().join("module");
    std::fs::create_dir_all(&module).expect("folder");
    std::fs::copy(
        fresh.path().join("python/kiosk_ffi.py"),
        module.join("kiosk_ffi.py"),
    )
    .expect("module copied");
    std::fs::copy(library, module.join(library.file_name().expect("a file")))
        .expect("library copied");
    let mut script = Command::new("python3");
    script
        .arg(repo_root().join("mobile-bindings/python/test_kiosk_shell.py"))
        .env("PYTHONPATH", &module);
    scenario_environment(&mut script, &relay, work.path());
    let stdout = tokio::task::spawn_blocking(move || {
        run_with_limit(script, Duration::from_secs(600), "the Python scenario")
    })
    .await
    .expect("ran");
    assert_every_check_passed(&stdout, CHECKS, "the Python scenario");
}
