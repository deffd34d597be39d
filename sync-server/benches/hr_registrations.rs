//! HR figures on a relay store of N registrations (100,000 by default), through the relay's
//! router (`oneshot`, with an archivist's API token), so each figure covers the token check,
//! the query, the access-log entries and the JSON answer:
//! - list and search latency over 200 queries of mixed filters and searches (name part,
//!   email, receipt code; event, interest, location, status, talent pool, time window, a
//!   deep page), p50 / p99 overall and per kind, with the first query apart (the index is
//!   written at ingest, so it indexes nothing);
//! - the same queries, cycled, while 50 kiosks push (50 threads calling `RelayStore::ingest`
//!   at once, each its own sync requests of 10 captures, 200 captures per kiosk): list p50 /
//!   p99 then, and the ingest rate with the lists running against the rate without them
//!   (measured before and after, averaged), as a ratio;
//! - a CSV export of every open registration: wall time, and the peak RSS growth while it
//!   streams, in a fresh process on the same file (so memory the fill left behind does not
//!   hide it; peak reset through /proc/self/clear_refs, VmRSS also sampled per chunk).
//!
//! The store is filled through `RelayStore::ingest`, the relay's real storage path, with
//! generated registrations as Automerge documents, 1,000 per sync request; the seal and
//! signature checks a kiosk's push goes through first are skipped (the `sync` bench measures
//! those), which takes the fill from about half an hour to well under a minute.
//!
//! With `--postgres` the same on PostgreSQL: a new database of a throw-away cluster the bench
//! starts (durable, as a deployment runs it), the export child on a `PgStore` of the same
//! database.
//!
//! Run: `cargo bench -p kiosk-sync-server --bench hr_registrations` (optionally `-- 20000`,
//! and `--postgres`).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::http::Request;
use futures_util::StreamExt;
use kiosk_core::generator::RegistrationGenerator;
use kiosk_core::protocol::enrollment::EnrolledRole;
use kiosk_core::registration::Registration;
use kiosk_sync_server::hr::accounts::{PasswordHash, Role};
use kiosk_sync_server::keys::RelayKeys;
use kiosk_sync_server::storage::postgres::test_cluster::durable_cluster;
use kiosk_sync_server::storage::{
    IngestItem, IngestOutcome, PgStore, RelayStore, SqliteStore, capture_for_tests,
    email_tag_secret, ingest_for_tests, is_postgres_url, receipt_code_for_tests,
};
use kiosk_sync_server::{AppState, now_ms, router};
use tower::ServiceExt;

const PER_REQUEST: usize = 1_000;
/// Kiosks pushing at once while HR lists, and what each pushes per round…
const TABLETS: usize = 50;
const PER_TABLET: usize = 200;
/// …in sync requests of this many captures (a kiosk at a busy fair).
const PUSH_SIZE: usize = 10;

/// One round of pushes: `TABLETS` kiosks, each with its requests made ahead.
struct Round {
    tablets: Vec<([u8; 32], Vec<Vec<IngestItem>>)>,
}

/// Enrolls the kiosks (once) and makes every round's captures before anything is timed.
fn rounds(store: &dyn RelayStore, count: usize) -> Vec<Round> {
    let keys: Vec<ed25519_dalek::VerifyingKey> = (0..TABLETS)
        .map(|n| {
            let key = ed25519_dalek::SigningKey::from_bytes(&[100 + n as u8; 32]).verifying_key();
            kiosk_sync_server::storage::enroll_for_tests(
                store,
                key.to_bytes(),
                kiosk_core::demo::DEMO_EVENT_ID,
                EnrolledRole::Kiosk,
                None,
            );
            key
        })
        .collect();
    let mut generator = RegistrationGenerator::new(kiosk_core::demo::demo_event(), 77);
    (0..count)
        .map(|_| Round {
            tablets: keys
                .iter()
                .map(|key| {
                    let requests = (0..PER_TABLET / PUSH_SIZE)
                        .map(|_| {
                            (0..PUSH_SIZE)
                                .map(|_| {
                                    capture_for_tests(
                                        &generator.next_registration().expect("valid"),
                                        key,
                                    )
                                })
                                .collect()
                        })
                        .collect();
                    (key.to_bytes(), requests)
                })
                .collect(),
        })
        .collect()
}

/// Pushes `round` from one thread per kiosk, all at once; `seqs` holds each kiosk's last
/// request number. Returns registrations per second over the round's wall time.
fn push_round(store: &dyn RelayStore, round: Round, seqs: &mut [u64]) -> f64 {
    let started = Instant::now();
    std::thread::scope(|scope| {
        for ((key, requests), seq) in round.tablets.into_iter().zip(seqs.iter_mut()) {
            scope.spawn(move || {
                for items in requests {
                    *seq += 1;
                    let outcome = ingest_for_tests(store, key, *seq, now_ms(), items);
                    assert!(matches!(outcome, IngestOutcome::Committed { .. }));
                }
            });
        }
    });
    (TABLETS * PER_TABLET) as f64 / started.elapsed().as_secs_f64()
}

/// What a fill leaves for the queries to look for: every 1,000th registration.
struct Sample {
    registrations: Vec<Registration>,
    receipt_codes: Vec<String>,
    open: usize,
}

/// Stores `count` generated registrations as one kiosk's sync requests.
fn fill(store: &dyn RelayStore, count: usize) -> Sample {
    let signing = ed25519_dalek::SigningKey::from_bytes(&[3; 32]);
    let key = signing.verifying_key();
    kiosk_sync_server::storage::enroll_for_tests(
        store,
        key.to_bytes(),
        kiosk_core::demo::DEMO_EVENT_ID,
        EnrolledRole::Kiosk,
        None,
    );
    let mut generator = RegistrationGenerator::new(kiosk_core::demo::demo_event(), 42);
    let mut sample = Sample {
        registrations: Vec::new(),
        receipt_codes: Vec::new(),
        open: 0,
    };
    let mut seq = 0;
    let mut made = 0;
    while made < count {
        let items: Vec<IngestItem> = (made..count.min(made + PER_REQUEST))
            .map(|i| {
                let registration = generator.next_registration().expect("valid");
                if !registration.restricted {
                    sample.open += 1;
                    if i % 1_000 == 500 {
                        sample.registrations.push(registration.clone());
                        sample
                            .receipt_codes
                            .push(receipt_code_for_tests(&registration.id));
                    }
                }
                capture_for_tests(&registration, &key)
            })
            .collect();
        made += items.len();
        seq += 1;
        let outcome = ingest_for_tests(store, key.to_bytes(), seq, now_ms(), items);
        assert!(matches!(outcome, IngestOutcome::Committed { .. }));
    }
    sample
}

/// An archivist with an API token; returns the token.
fn archivist_token(store: &dyn RelayStore) -> String {
    let (user, _) = kiosk_sync_server::hr::provision_user(
        store,
        "arkivarie",
        "Bench Archivist",
        vec![Role::Archivist],
        0,
    )
    .expect("user");
    store
        .set_hr_password(user.id, &PasswordHash::new("ett långt lösenord"), false)
        .expect("password");
    let now = now_ms();
    kiosk_sync_server::hr::issue_api_token(store, user.id, "bench", now, now + 86_400_000)
        .expect("token")
}

/// The 200 queries: (kind, query string), mixed.
fn queries(sample: &Sample) -> Vec<(&'static str, String)> {
    let event = kiosk_core::demo::DEMO_EVENT_ID;
    let interests = [
        "law",
        "it-development",
        "hr",
        "analysis",
        "information-security",
    ];
    let locations = ["stockholm", "malmo", "umea", "remote"];
    let statuses = ["new", "shortlisted", "hired"];
    let first = sample.registrations[0].captured_at.millis();
    let last = sample
        .registrations
        .last()
        .expect("a sample")
        .captured_at
        .millis();
    let mut out = Vec::new();
    let mut i = 0;
    while out.len() < 200 {
        let r = &sample.registrations[i % sample.registrations.len()];
        let person = &r.person;
        let name_part: String = person.family_name.chars().take(4).collect();
        let query = match i % 14 {
            0 => ("no filter", String::new()),
            1 => ("q=name part", format!("?q={}", encode(&name_part))),
            2 => ("q=given name", format!("?q={}", encode(&person.given_name))),
            3 => (
                "q=email",
                format!(
                    "?q={}",
                    encode(person.email.as_deref().unwrap_or(&person.family_name))
                ),
            ),
            4 => (
                "q=receipt code",
                format!(
                    "?q={}",
                    sample.receipt_codes[i % sample.receipt_codes.len()]
                ),
            ),
            5 => ("event", format!("?event={event}")),
            6 => ("interest", format!("?interest={}", interests[i % 5])),
            7 => ("location", format!("?location={}", locations[i % 4])),
            8 => ("status", format!("?status={}", statuses[i % 3])),
            9 => ("talent_pool", format!("?talent_pool={}", i % 2 == 0)),
            10 => (
                "interest+talent_pool+location",
                format!(
                    "?interest={}&talent_pool=true&location={}",
                    interests[i % 5],
                    locations[i % 4]
                ),
            ),
            11 => (
                "event+status+q",
                format!("?event={event}&status=new&q={}", encode(&person.given_name)),
            ),
            12 => {
                let from = first + (last - first) * (i as i64 % 10) / 10;
                (
                    "from/before window",
                    format!("?from={from}&before={}", from + 86_400_000),
                )
            }
            _ => (
                "deep page (after)",
                format!("?after={}~{}", r.captured_at.millis(), r.id),
            ),
        };
        out.push(query);
        i += 1;
    }
    out
}

/// Percent-encodes everything but unreserved ASCII.
fn encode(text: &str) -> String {
    text.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

fn request(path: &str, token: &str) -> Request<Body> {
    Request::get(path)
        .header("authorization", format!("Bearer {token}"))
        .body(Body::empty())
        .expect("request")
}

/// A figure from /proc/self/status, in MiB.
fn status_mib(field: &str) -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix(field))
        .and_then(|v| v.trim().trim_end_matches(" kB").trim().parse::<f64>().ok())
        .map_or(f64::NAN, |kib| kib / 1024.0)
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    let rank = ((p * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    sorted[rank - 1].as_secs_f64() * 1000.0
}

/// The relay's keys in every run of this bench.
fn bench_keys() -> RelayKeys {
    RelayKeys::from_seeds([1; 32], [2; 32])
}

/// The store at `at`: a PostgreSQL database's URL, else an SQLite file's path.
fn open_store(at: &str) -> Arc<dyn RelayStore> {
    if is_postgres_url(at) {
        let store = PgStore::open(at).expect("store");
        // As a relay instance does with its keys: addresses are tagged.
        store
            .use_email_tags(email_tag_secret(&bench_keys().signing))
            .expect("tags addresses");
        Arc::new(store)
    } else {
        Arc::new(SqliteStore::open(std::path::Path::new(at)).expect("store"))
    }
}

/// The export child: streams a CSV export of the store at `at` (a file's path or a
/// database's URL) and prints its seconds, bytes, records, RSS before (MiB) and peak RSS
/// growth (MiB).
fn export_child(at: &str, token: &str) {
    let store = open_store(at);
    let app = router(AppState::new(store, bench_keys()));
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    // Linux: "5" resets the peak (VmHWM) to the current RSS.
    let _ = std::fs::write("/proc/self/clear_refs", "5");
    let rss_before = status_mib("VmRSS:");
    let export_request = request("/api/v1/registrations/export?format=csv", token);
    let (export_time, bytes, lines, sampled_peak) = runtime.block_on(async {
        let started = Instant::now();
        let response = app.oneshot(export_request).await.expect("answer");
        assert!(response.status().is_success(), "{}", response.status());
        let mut stream = response.into_body().into_data_stream();
        let (mut bytes, mut lines, mut peak) = (0usize, 0usize, rss_before);
        while let Some(chunk) = stream.next().await {
            let chunk = chunk.expect("a chunk");
            bytes += chunk.len();
            // Every chunk holds whole rows.
            lines += chunk.windows(2).filter(|w| w == b"\r\n").count();
            peak = peak.max(status_mib("VmRSS:"));
        }
        (started.elapsed(), bytes, lines, peak)
    });
    let peak_growth = status_mib("VmHWM:").max(sampled_peak) - rss_before;
    println!(
        "{} {bytes} {} {rss_before} {peak_growth}",
        export_time.as_secs_f64(),
        lines.saturating_sub(1)
    );
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let [_, mode, path, token] = &args[..]
        && mode == "export-child"
    {
        export_child(path, token);
        return;
    }
    let count: usize = std::env::args()
        .skip(1)
        .find(|a| !a.starts_with('-'))
        .and_then(|a| a.parse().ok())
        .unwrap_or(100_000);
    let postgres = std::env::args().any(|a| a == "--postgres");
    let load_before = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("relay.sqlite3");
    // Where the export child finds the same store.
    let at = if postgres {
        durable_cluster().fresh_database_url()
    } else {
        path.display().to_string()
    };
    let store = open_store(&at);
    kiosk_sync_server::store_demo_event(store.as_ref()).expect("event");

    let started = Instant::now();
    let sample = fill(store.as_ref(), count);
    let fill_time = started.elapsed();
    let token = archivist_token(store.as_ref());
    let app = router(AppState::new(store.clone(), bench_keys()));
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");

    let list = |query: &str| {
        let app = app.clone();
        let request = request(&format!("/api/v1/registrations{query}"), &token);
        runtime.block_on(async move {
            let started = Instant::now();
            let response = app.oneshot(request).await.expect("answer");
            let status = response.status();
            let body = axum::body::to_bytes(response.into_body(), usize::MAX)
                .await
                .expect("body");
            let elapsed = started.elapsed();
            assert!(
                status.is_success(),
                "{query}: {status} {}",
                String::from_utf8_lossy(&body)
            );
            let value: serde_json::Value = serde_json::from_slice(&body).expect("json");
            let rows = value["registrations"].as_array().map_or(0, Vec::len);
            (elapsed, rows)
        })
    };

    // Every registration was indexed by its own ingest: the first query indexes nothing.
    let (first_query, _) = list("?limit=1");
    let queries = queries(&sample);
    let mut all = Vec::new();
    let mut by_kind: Vec<(&str, Vec<Duration>, usize)> = Vec::new();
    for (kind, query) in &queries {
        let (elapsed, rows) = list(query);
        all.push(elapsed);
        match by_kind.iter_mut().find(|(k, _, _)| k == kind) {
            Some((_, times, total)) => {
                times.push(elapsed);
                *total += rows;
            }
            None => by_kind.push((kind, vec![elapsed], rows)),
        }
    }
    all.sort();

    // The export runs in a fresh process on the same file (its index now built), so its
    // RSS growth is the export's own and not memory the fill left behind.
    let child = std::process::Command::new(std::env::current_exe().expect("own path"))
        .args(["export-child", &at, &token])
        .output()
        .expect("export process");
    let answer = String::from_utf8_lossy(&child.stdout);
    assert!(
        child.status.success(),
        "{answer}{}",
        String::from_utf8_lossy(&child.stderr)
    );
    let figures: Vec<f64> = answer
        .split_whitespace()
        .filter_map(|f| f.parse().ok())
        .collect();
    let [export_secs, bytes, exported, rss_before, peak_growth] = figures[..] else {
        panic!("the export process said {answer}");
    };
    assert_eq!(
        exported as usize, sample.open,
        "every open registration exported"
    );

    let store_size = if postgres {
        let mut client = postgres::Client::connect(&at, postgres::NoTls).expect("connects");
        let bytes: i64 = client
            .query_one("SELECT pg_database_size(current_database())", &[])
            .expect("size")
            .get(0);
        format!("database {:.0} MiB", bytes as f64 / (1 << 20) as f64)
    } else {
        let mib = |p: &std::path::Path| {
            std::fs::metadata(p).map_or(0, |m| m.len()) as f64 / (1 << 20) as f64
        };
        format!(
            "store {:.0} MiB + WAL {:.0} MiB",
            mib(&path),
            mib(std::path::Path::new(&format!("{}-wal", path.display())))
        )
    };

    // Last, as it adds registrations the figures above do not count: lists while 50 kiosks
    // push. A round without lists, one with them (cycling through the same queries until
    // the round ends), and one more without, so the rate without is taken on either side
    // of the one with.
    let store = store.as_ref();
    let mut round = rounds(store, 3).into_iter();
    let mut seqs = vec![0u64; TABLETS];
    let alone_before = push_round(store, round.next().expect("a round"), &mut seqs);
    let pushing = AtomicBool::new(true);
    let (with_lists, during) = std::thread::scope(|scope| {
        let pusher = scope.spawn(|| {
            let rate = push_round(store, round.next().expect("a round"), &mut seqs);
            pushing.store(false, Ordering::Release);
            rate
        });
        let mut during = Vec::new();
        for (_, query) in queries.iter().cycle() {
            if !pushing.load(Ordering::Acquire) {
                break;
            }
            during.push(list(query).0);
        }
        (pusher.join().expect("pushes"), during)
    });
    let alone_after = push_round(store, round.next().expect("a round"), &mut seqs);
    let alone = (alone_before + alone_after) / 2.0;
    let mut during = during;
    during.sort();

    println!(
        "HR lists and exports over {count} registrations ({} open; {}; release build, 2 cores)",
        sample.open,
        if postgres {
            "PostgreSQL, durable"
        } else {
            "SQLite"
        }
    );
    println!(
        "  load average before / after: {} / {}",
        load_before
            .split_whitespace()
            .take(3)
            .collect::<Vec<_>>()
            .join(" "),
        std::fs::read_to_string("/proc/loadavg")
            .unwrap_or_default()
            .split_whitespace()
            .take(3)
            .collect::<Vec<_>>()
            .join(" ")
    );
    println!(
        "  fill through RelayStore::ingest, {PER_REQUEST} per request: {:.1} s ({:.0}/s); {store_size}",
        fill_time.as_secs_f64(),
        count as f64 / fill_time.as_secs_f64()
    );
    println!(
        "  first query (the index written at ingest): {:.2} ms",
        first_query.as_secs_f64() * 1000.0
    );
    println!(
        "  {} list/search queries: p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms (target p99 ≤ 50 ms: {:.2} of it)",
        all.len(),
        percentile(&all, 0.5),
        percentile(&all, 0.99),
        percentile(&all, 1.0),
        percentile(&all, 0.99) / 50.0
    );
    if !during.is_empty() {
        println!(
            "  {} list/search queries while {TABLETS} kiosks push ({PUSH_SIZE} per request): p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms (target p99 ≤ 50 ms: {:.2} of it)",
            during.len(),
            percentile(&during, 0.5),
            percentile(&during, 0.99),
            percentile(&during, 1.0),
            percentile(&during, 0.99) / 50.0
        );
    }
    println!(
        "  ingest of {TABLETS} kiosks × {PER_TABLET}: {alone:.0}/s without lists ({alone_before:.0} before, {alone_after:.0} after), {with_lists:.0}/s with lists running: {:.2}× (target ≥ 0.80×)",
        with_lists / alone
    );
    for (kind, mut times, rows) in by_kind {
        times.sort();
        println!(
            "    {kind:<30} n={:>3} p50 {:>6.2} ms  max {:>6.2} ms  rows/query {:>5.1}",
            times.len(),
            percentile(&times, 0.5),
            percentile(&times, 1.0),
            rows as f64 / times.len() as f64
        );
    }
    println!(
        "  CSV export of {exported} registrations: {export_secs:.2} s ({:.0}/s), {:.1} MiB",
        exported / export_secs,
        bytes / (1 << 20) as f64
    );
    println!(
        "  peak RSS growth while exporting: {peak_growth:.1} MiB over {rss_before:.1} MiB (target ≤ 64 MiB: {:.2} of it)",
        peak_growth / 64.0
    );
}
