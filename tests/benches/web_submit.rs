//! The web kiosk's figures (issue 16): from the submit button to the thank-you page over
//! HTTP, p50 and p99 over 1,000 submits (target p99 ≤ 50 ms on a 2-core machine), and the
//! shell's resident memory with 10,000 registrations in its store (target ≤ 64 MiB).
//!
//! `cargo bench -p kiosk-tests --bench web_submit`. A real relay in this process and a real
//! `kiosk-web` child process, talked to over loopback HTTP as a browser does: a kept-alive
//! connection, `POST /form` answered by a redirect, then `GET /thanks`. Each visit starts
//! fresh (`POST /start`, `GET /form`, untimed). The 10,000 registrations go into the store
//! through kiosk-ffi (the calls the shell makes for a submit) before the shell starts, which
//! is much faster than 10,000 visits over HTTP; the shell then shows its screens, syncs all
//! of them to the relay and takes the timed visitors, each followed by the background sync
//! it sets off between visitors, as at a fair; then as many again with the relay gone, where
//! no sync writes beside a visitor. The load average is printed with the figures: on a
//! machine shared with builds they are noisy.

#[path = "../tests/support/web_shell.rs"]
mod web_shell;

use std::sync::Arc;
use std::time::{Duration, Instant};

use kiosk_core::protocol::enrollment::EnrolledRole;
use kiosk_ffi::KioskDevice;
use kiosk_ffi::types::{DeviceRole, Language, RegistrationDraft};
use kiosk_sync_server::storage::RelayStore;
use web_shell::{Client, KioskWeb, form_body, registration, start_visit, submit};

/// Registrations in the store before the shell starts.
const IN_STORE: usize = 10_000;
/// Timed submits, after untimed ones.
const SUBMITS: usize = 1_000;
const WARM_UP: usize = 50;
const TARGET_P99_MS: f64 = 50.0;
const TARGET_RSS_MIB: f64 = 64.0;

/// A registration as the form page would send it, varied a little.
fn draft(i: usize) -> RegistrationDraft {
    RegistrationDraft {
        language: Some(Language::Swedish),
        given_name: "Besökare".into(),
        family_name: format!("Nummer{}", char::from(b'A' + (i % 26) as u8)),
        email: format!("besokare{i}@exempel.se"),
        interests: vec!["it-development".into(), "databases".into()],
        locations: vec!["stockholm".into()],
        education_level: "bachelor".into(),
        privacy_notice_acknowledged: true,
        talent_pool_opt_in: i.is_multiple_of(2),
        ..RegistrationDraft::default()
    }
}

/// `VmRSS` and `VmHWM` (the peak) of a process, in KiB.
fn memory_kib(pid: u32) -> (u64, u64) {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("/proc status");
    let field = |name: &str| -> u64 {
        status
            .lines()
            .find_map(|line| line.strip_prefix(name))
            .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
            .unwrap_or_else(|| panic!("no {name} in /proc/{pid}/status"))
    };
    (field("VmRSS:"), field("VmHWM:"))
}

/// The 1-minute load average, as the kernel gives it.
fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|text| text.split_whitespace().next().map(str::to_owned))
        .unwrap_or_else(|| "?".into())
}

fn mib(kib: u64) -> f64 {
    kib as f64 / 1024.0
}

/// Waits, at most `limit`, until the relay holds `count` registrations.
fn wait_for_relay(store: &dyn RelayStore, count: u64, limit: Duration) -> Option<Duration> {
    let started = Instant::now();
    while started.elapsed() < limit {
        if store.counts().expect("relay counts").registrations >= count {
            return Some(started.elapsed());
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    None
}

/// Latencies of one run of timed visitors, in ms.
struct Figures {
    p50: f64,
    p99: f64,
    max: f64,
    mean: f64,
}

/// `WARM_UP` untimed and `SUBMITS` timed visitors, each on a fresh visit; `first` numbers
/// their e-mail addresses.
fn timed_visitors(client: &Client, first: usize) -> Figures {
    let mut times = Vec::with_capacity(SUBMITS);
    for i in 0..WARM_UP + SUBMITS {
        let visit = start_visit(client, if i % 2 == 0 { "sv" } else { "en" });
        let email = format!("bench{}@exempel.se", first + i);
        let body = registration(&visit, "Besökare", &email);
        let started = Instant::now();
        submit(client, &body);
        if i >= WARM_UP {
            times.push(started.elapsed());
        }
    }
    times.sort_unstable();
    let ms = |d: Duration| d.as_secs_f64() * 1_000.0;
    Figures {
        p50: ms(times[SUBMITS / 2]),
        p99: ms(times[SUBMITS * 99 / 100]),
        max: ms(times[SUBMITS - 1]),
        mean: times.iter().map(|d| ms(*d)).sum::<f64>() / SUBMITS as f64,
    }
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let relay = runtime.block_on(kiosk_tests::file_relay());
    let url = relay.server.url();
    let dir = tempfile::tempdir().expect("tempdir");
    let data_dir = dir.path().join("kiosk");
    kiosk_web::config::create_data_dir(&data_dir).expect("data dir");

    // The store: enrolled, with the event, and 10,000 registrations, through kiosk-ffi.
    let filled = Instant::now();
    {
        let (store, secrets) = KioskWeb::store_paths(&data_dir);
        let device = KioskDevice::open_with_secrets_directory(store, secrets, DeviceRole::Kiosk)
            .expect("opens");
        device.install_demo_event().expect("event");
        let code = relay.code(EnrolledRole::Kiosk, 1, 3_600_000).display();
        runtime
            .block_on(device.enroll_over_http(url.clone(), None, code, None))
            .expect("enrolls");
        let session = Arc::clone(&device)
            .start_visitor_session()
            .expect("session");
        for i in 0..IN_STORE {
            session.submit(draft(i)).expect("captured");
        }
        device.close_store();
    }
    let fill_secs = filled.elapsed().as_secs_f64();

    // The shell on that store, syncing at its default interval.
    let shell = KioskWeb::start(&data_dir, &["--relay", &url, "--sync-every-secs", "30"]);
    let pid = shell.pid();
    shell.wait_until_ready();
    let (rss_started, _) = memory_kib(pid);

    // A few screens as visitors see them: both languages, a refused field, a submit (which
    // sets off the sync of everything in the store).
    let client = Client::new(shell.address, true);
    for path in ["/", "/?lang=en"] {
        assert_eq!(client.get(path).expect("welcome").status, 200);
    }
    let visit = start_visit(&client, "en");
    let mistaken = form_body(&[
        ("token", &visit.token),
        ("form_version", &visit.form_version),
        ("given_name", "Ada"),
        ("intent", "send"),
    ]);
    let refused = client
        .post_form("/form", mistaken.as_bytes())
        .expect("post");
    assert_eq!(refused.location(), Some("/form"), "a mistake goes back");
    assert_eq!(client.get("/form").expect("form").status, 200);
    submit(&client, &registration(&visit, "Ada", "ada@example.se"));
    let in_store = IN_STORE as u64 + 1;
    let synced_after = wait_for_relay(relay.store.as_ref(), in_store, Duration::from_secs(900));
    let (rss_synced, _) = memory_kib(pid);

    let load_before = load_average();
    // The timed visitors: with the relay reachable, each visitor's submit sets off a sync
    // that runs beside the next visitor; then with the relay gone, so that no sync writes.
    let reachable = timed_visitors(&client, 0);
    let total = in_store + (WARM_UP + SUBMITS) as u64;
    let all_synced = wait_for_relay(relay.store.as_ref(), total, Duration::from_secs(120));
    let (rss_end, _) = memory_kib(pid);
    let kiosk_tests::FileRelay {
        dir: _relay_dir,
        server,
        ..
    } = relay;
    runtime.block_on(server.stop()).expect("the relay stops");
    let unreachable = timed_visitors(&client, WARM_UP + SUBMITS);
    let (rss_after_offline, rss_peak) = memory_kib(pid);
    let final_count = total + (WARM_UP + SUBMITS) as u64;

    println!(
        "\nThe web kiosk (kiosk-web child process, release build), {} CPUs, load average \
         {load_before} before the timed visitors, {} after:",
        std::thread::available_parallelism().map_or(0, |n| n.get()),
        load_average()
    );
    println!(
        "- store filled with {IN_STORE} registrations through kiosk-ffi in {fill_secs:.1} s \
         (before the shell started)"
    );
    match synced_after {
        Some(took) => println!(
            "- the shell synced all {in_store} to the relay in {:.1} s after a visitor's submit",
            took.as_secs_f64()
        ),
        None => println!("- the shell did NOT sync all {in_store} to the relay within 900 s"),
    }
    println!(
        "\nSubmit button to thank-you page (POST /form → 303, GET /thanks → 200), \
         {SUBMITS} submits after {WARM_UP} untimed, a fresh visit before each:"
    );
    println!("| relay | p50 ms | p99 ms | max ms | mean ms | p99 / target (50 ms) |");
    println!("|---|---|---|---|---|---|");
    for (relay, figures) in [
        ("reachable (a sync after each visitor)", &reachable),
        ("unreachable (sync attempts fail at once)", &unreachable),
    ] {
        println!(
            "| {relay} | {:.2} | {:.2} | {:.2} | {:.2} | {:.2} |",
            figures.p50,
            figures.p99,
            figures.max,
            figures.mean,
            figures.p99 / TARGET_P99_MS
        );
    }
    println!(
        "- background sync after each visitor: {}",
        if all_synced.is_some() {
            format!("all {total} at the relay")
        } else {
            format!("NOT all {total} at the relay within 120 s")
        }
    );
    println!("\nThe shell's memory (VmRSS of the kiosk-web process):");
    println!("| when | registrations in the store | RSS MiB | RSS / target (64 MiB) |");
    println!("|---|---|---|---|");
    for (when, count, kib) in [
        ("started, welcome shown", IN_STORE as u64, rss_started),
        ("after syncing them all", in_store, rss_synced),
        ("after the timed visitors, relay reachable", total, rss_end),
        (
            "after as many, relay unreachable",
            final_count,
            rss_after_offline,
        ),
    ] {
        println!(
            "| {when} | {count} | {:.1} | {:.2} |",
            mib(kib),
            mib(kib) / TARGET_RSS_MIB
        );
    }
    println!(
        "- peak RSS over the whole run (VmHWM): {:.1} MiB, {:.2} of the target",
        mib(rss_peak),
        mib(rss_peak) / TARGET_RSS_MIB
    );
    drop(shell);
}
