//! Where a relay's CPU goes per registration, stage by stage, on real tablets' requests:
//! D tablets (default 10) each capture N registrations (default 200) and sync them to an
//! in-process relay (no HTTP), timing the relay's and the tablet's sides; then every pushed
//! capture of those requests goes once more through each stage of the checks on its own
//! (seal opening, signature, document reading, the capture's rules, the form, the listing),
//! and the primitives those stages are made of, each timed over all captures. Prints
//! µs per registration.
//!
//! With `nolog` among the arguments the relay keeps no transparency log (no appends, no
//! checkpoint or proofs in its answers, tablets pin no log key): run both ways for what the
//! log costs per registration, on the relay's side and the tablet's. With the log, the
//! log's parts of an answer (nonce reads, the lookup of a record's leaves, inclusion proofs,
//! the checkpoint's signature) and of an append are timed on their own at the end.
//!
//! Times are this thread's CPU time, so a shared machine does not inflate them. Run on one
//! core for the relay's whole CPU figures (`check_sync` spreads a large batch over the cores it
//! sees): `taskset -c 0 cargo bench -p kiosk-sync-server --bench ingest_stages` (optionally
//! `-- D N`). The stage times are of single-threaded work, so per registration they are CPU
//! time; the relay's rate on C cores is at most C / (CPU seconds per registration).

use std::sync::{Arc, Mutex};
use std::time::Duration;

use kiosk_core::documents::{ChunkLimits, RegistrationDocument, actor_id, check_change_chunks};
use kiosk_core::ids::Timestamp;
use kiosk_core::protocol::{PushBody, SyncRequest};
use kiosk_core::sync::{BatchLimits, NoListener, Transport, TransportError, sync};
use kiosk_sync_server::keys::RelayKeys;
use kiosk_sync_server::storage::prelude::*;
use kiosk_sync_server::storage::{DeviceRecord, RegistrationListing, SqliteStore};

/// This thread's time on a CPU so far (`/proc/thread-self/schedstat`): the machine may be
/// shared, and time spent waiting for a core is not the relay's work.
fn cpu_now() -> Duration {
    let text = std::fs::read_to_string("/proc/thread-self/schedstat").expect("schedstat");
    let nanos: u64 = text
        .split_whitespace()
        .next()
        .and_then(|n| n.parse().ok())
        .expect("on-CPU nanoseconds");
    Duration::from_nanos(nanos)
}

fn main() {
    let words: Vec<String> = std::env::args().skip(1).collect();
    let with_log = !words.iter().any(|w| w == "nolog");
    let args: Vec<usize> = words.iter().filter_map(|a| a.parse().ok()).collect();
    kiosk_sync_server::storage::SKIP_APPENDS_FOR_BENCH
        .store(!with_log, std::sync::atomic::Ordering::Relaxed);
    let devices = args.first().copied().unwrap_or(10);
    let per_device = args.get(1).copied().unwrap_or(200);
    let dir = tempfile::tempdir().expect("tempdir");
    let store = Arc::new(SqliteStore::open(&dir.path().join("relay.sqlite3")).expect("store"));
    let keys = Arc::new(RelayKeys::load_or_create(dir.path()).expect("keys"));
    kiosk_sync_server::store_demo_event(store.as_ref()).expect("event");
    let code = kiosk_sync_server::enrollment::create_code(
        store.as_ref(),
        kiosk_core::demo::DEMO_EVENT_ID,
        kiosk_core::protocol::enrollment::EnrolledRole::Kiosk,
        None,
        devices as u32,
        i64::MAX,
        0,
    )
    .expect("code");
    let log: Option<Arc<kiosk_sync_server::transparency::checkpoint::LogKey>> =
        with_log.then(|| Arc::new(kiosk_sync_server::transparency::checkpoint::LogKey::random()));
    let relay = Staged {
        store: store.clone(),
        keys: keys.clone(),
        log: log.clone(),
        times: Mutex::new(RelayTimes::default()),
        requests: Mutex::new(Vec::new()),
    };
    let mut capture_time = Duration::ZERO;
    let mut sync_time = Duration::ZERO;
    let mut received = 0u64;
    for i in 0..devices {
        let device = kiosk_core::generator::demo_kiosk(&dir.path().join(format!("t{i}.sqlite3")))
            .expect("opens");
        device.enroll(&code, &relay).expect("enrolls");
        let started = cpu_now();
        kiosk_core::generator::capture_generated(&device, per_device, 100 + i as u64)
            .expect("captured");
        capture_time += cpu_now() - started;
        let started = cpu_now();
        received += sync(
            &device,
            &relay,
            &NoListener,
            BatchLimits::default(),
            Timestamp::now,
        )
        .expect("syncs")
        .received;
        sync_time += cpu_now() - started;
    }
    assert_eq!(
        received as usize,
        devices * per_device,
        "every one receipted"
    );
    let n = received as f64;
    let times = relay.times.into_inner().expect("lock");
    let relay_total = times.open + times.check + times.commit;
    let per = |d: Duration| d.as_secs_f64() * 1e6 / n;
    println!(
        "{devices} tablets × {per_device} registrations, in process, {} (µs per registration; CPU time of this thread; run under `taskset -c 0`)",
        if with_log {
            "with the transparency log"
        } else {
            "without a transparency log (nolog)"
        }
    );
    println!("tablet side:");
    println!(
        "  capture (form, document, signature, seal, store)  {:>8.1}",
        per(capture_time)
    );
    println!(
        "  sync, its own work (batches, receipts)            {:>8.1}",
        per(sync_time - relay_total)
    );
    println!("relay side (as the sync handler calls it):");
    println!(
        "  open the request (envelope signature, CBOR)        {:>8.1}",
        per(times.open)
    );
    println!(
        "  check_sync (every push's checks)                   {:>8.1}",
        per(times.check)
    );
    println!(
        "  commit (the store's transaction, the signed answer) {:>7.1}",
        per(times.commit)
    );
    println!(
        "  total                                              {:>8.1}  = {:.0}/s on one core",
        per(relay_total),
        n / relay_total.as_secs_f64()
    );

    let requests = relay.requests.into_inner().expect("lock");
    stages(&store, &keys, &requests, n);
    if let Some(log) = &log {
        log_parts(&store, log, &requests, n);
    }
}

/// Each stage of a capture's checks on its own, over every push of `requests`.
fn stages(store: &SqliteStore, keys: &RelayKeys, requests: &[(SyncRequest, DeviceRecord)], n: f64) {
    let event = store
        .event(&kiosk_core::ids::EventId::parse(kiosk_core::demo::DEMO_EVENT_ID).expect("id"))
        .expect("store")
        .expect("event");
    let pushes: Vec<(&kiosk_core::protocol::Push, &DeviceRecord)> = requests
        .iter()
        .flat_map(|(request, device)| request.pushes.iter().map(move |p| (p, device)))
        .collect();
    let mut table: Vec<(&str, Duration)> = Vec::new();
    let mut time = |name, run: &mut dyn FnMut()| {
        let started = cpu_now();
        run();
        table.push((name, cpu_now() - started));
    };
    let sealed = |push: &kiosk_core::protocol::Push| match &push.body {
        PushBody::Sealed(sealed) => sealed.clone(),
        PushBody::Changes(_) => panic!("a kiosk pushes captures"),
    };
    let device_key = |device: &DeviceRecord| {
        ed25519_dalek::VerifyingKey::from_bytes(&device.device_key).expect("a key")
    };
    time(
        "device key from bytes (Ed25519 point decompression)",
        &mut || {
            for (_, device) in &pushes {
                std::hint::black_box(device_key(device));
            }
        },
    );
    let mut unsealed = Vec::new();
    time(
        "unseal (CBOR, X25519, HKDF, ChaCha20-Poly1305, export)",
        &mut || {
            for (push, _) in &pushes {
                unsealed.push(keys.sealing.unseal(&sealed(push)).expect("opens"));
            }
        },
    );
    let documents: Vec<Vec<u8>> = pushes
        .iter()
        .map(|(push, _)| {
            keys.sealing
                .open(&sealed(push))
                .expect("opens")
                .payload
                .document
        })
        .collect();
    time(
        "  of which: check_change_chunks (inflate, SHA-256)",
        &mut || {
            for document in &documents {
                std::hint::black_box(check_change_chunks(document, &ChunkLimits::CAPTURE).ok());
            }
        },
    );
    let mut signed = Vec::new();
    time(
        "verify_unread (bounds, hashes, Ed25519 verify_strict)",
        &mut || {
            for ((push, device), unsealed) in pushes.iter().zip(unsealed.drain(..)) {
                signed.push(
                    unsealed
                        .verify_unread(&device_key(device), &push.doc_id)
                        .expect("verifies"),
                );
            }
        },
    );
    let mut opened = Vec::new();
    time("read (bounds again, Automerge load, hydrate)", &mut || {
        for signed in signed.drain(..) {
            opened.push(signed.read().expect("reads"));
        }
    });
    time("  of which: Automerge load + hydrate alone", &mut || {
        for document in &documents {
            std::hint::black_box(
                RegistrationDocument::load_unattributed_within(document, &ChunkLimits::CAPTURE)
                    .ok(),
            );
        }
    });
    time("  of which: hydrating the registration alone", &mut || {
        for opened in &opened {
            std::hint::black_box(opened.document.read().ok());
        }
    });
    time("capture change (authors, one change, no deps)", &mut || {
        for (opened, (_, device)) in opened.iter_mut().zip(&pushes) {
            let key = device_key(device);
            let document = &mut opened.document;
            let one = document.authors() == vec![actor_id(&key)] && {
                let changes = document.change_hashes();
                changes.len() == 1 && document.change_deps(&changes[0]).is_empty()
            };
            assert!(one);
        }
    });
    time("fields within a registration's", &mut || {
        for opened in &opened {
            assert!(
                opened
                    .document
                    .fields_within(kiosk_core::documents::registration_field_paths())
            );
        }
    });
    time("revalidate against the form", &mut || {
        for opened in &opened {
            assert!(kiosk_core::validation::revalidate(&opened.registration, &event).is_ok());
        }
    });
    time("opens the record (annotations hydrated)", &mut || {
        for opened in &opened {
            assert!(opened.document.opens_record());
        }
    });
    time("listing of the registration", &mut || {
        for opened in &opened {
            std::hint::black_box(RegistrationListing::of(&opened.registration, "new"));
        }
    });
    time(
        "copies into the stored item (document, hashes)",
        &mut || {
            for opened in &opened {
                std::hint::black_box((
                    opened.payload.document.clone(),
                    opened.payload.change_hashes.clone(),
                    opened.payload.capture_signature.clone(),
                ));
            }
        },
    );
    let now = kiosk_sync_server::now_ms();
    let check = |request: &SyncRequest, device: &DeviceRecord| {
        std::hint::black_box(
            kiosk_sync_server::ingest::check_sync(store, keys, device, request, [0; 32], now)
                .expect("checks"),
        );
    };
    time(
        "check_sync again, whole (all of the above and more)",
        &mut || {
            for (request, device) in requests {
                check(request, device);
            }
        },
    );
    time(
        "  of which: check_sync of the requests without pushes",
        &mut || {
            for (request, device) in requests {
                let mut empty = request.clone();
                empty.pushes.clear();
                check(&empty, device);
            }
        },
    );
    println!("each stage on its own, over {} captures:", pushes.len());
    let mut sum = Duration::ZERO;
    for (name, took) in &table {
        if !name.starts_with("  ") && !name.starts_with("check_sync") {
            sum += *took;
        }
        println!("  {name:<58} {:>8.1}", took.as_secs_f64() * 1e6 / n);
    }
    println!(
        "  {:<58} {:>8.1}",
        "sum of the stages (not check_sync, not the 'of which' lines)",
        sum.as_secs_f64() * 1e6 / n
    );
    primitives();
}

/// The cryptographic primitives the stages are made of, for scale.
fn primitives() {
    const N: u32 = 2000;
    let key = ed25519_dalek::SigningKey::from_bytes(&[7; 32]);
    let public = key.verifying_key();
    let message = [5u8; 150];
    let signature = ed25519_dalek::Signer::sign(&key, &message);
    let bytes = public.to_bytes();
    let time = |run: &mut dyn FnMut()| {
        let started = cpu_now();
        for _ in 0..N {
            run();
        }
        (cpu_now() - started).as_secs_f64() * 1e6 / f64::from(N)
    };
    println!("primitives (µs each):");
    println!(
        "  Ed25519 verify_strict                                      {:>8.1}",
        time(&mut || {
            std::hint::black_box(public.verify_strict(&message, &signature).is_ok());
        })
    );
    println!(
        "  Ed25519 key from bytes (decompression)                     {:>8.1}",
        time(&mut || {
            std::hint::black_box(ed25519_dalek::VerifyingKey::from_bytes(&bytes).is_ok());
        })
    );
    let opening = kiosk_core::capture::RelayOpeningKey::from_seed(&[9; 32]);
    let identity = kiosk_core::identity::DeviceIdentity::from_signing_key(key.clone());
    let id =
        kiosk_core::ids::RegistrationId::parse("019ce0a0-6a80-7000-8000-000000000001").expect("id");
    let sealed = kiosk_core::capture::sign_and_seal(
        &identity,
        opening.sealing_key(),
        &id,
        vec![0; 600],
        &[],
    )
    .expect("seals");
    {
        use hpke::Kem;
        use hpke::kem::X25519HkdfSha256;
        let (private, public) = X25519HkdfSha256::derive_keypair(&[9; 32]);
        let (_, encapped) = X25519HkdfSha256::encap(&public, None).expect("encapsulates");
        println!(
            "  HPKE decapsulation (X25519 DH, the relay's own public key, HKDF) {:>3.1}",
            time(&mut || {
                std::hint::black_box(X25519HkdfSha256::decap(&private, None, &encapped).is_ok());
            })
        );
        println!(
            "    of which: the relay's own public key, computed again each time {:>3.1}",
            time(&mut || {
                std::hint::black_box(X25519HkdfSha256::sk_to_pk(&private));
            })
        );
    }
    println!(
        "  unseal of 600 bytes (HPKE: X25519, HKDF, ChaCha20-Poly1305) {:>7.1}",
        time(&mut || {
            std::hint::black_box(opening.unseal(&sealed).is_ok());
        })
    );
}

/// Times spent on the relay's side.
#[derive(Default)]
struct RelayTimes {
    open: Duration,
    check: Duration,
    commit: Duration,
}

/// The relay's sync handler called in process, timing its parts and keeping every request.
struct Staged {
    store: Arc<SqliteStore>,
    keys: Arc<RelayKeys>,
    /// The transparency log's key, `None` for a relay without a log (`nolog`).
    log: Option<Arc<kiosk_sync_server::transparency::checkpoint::LogKey>>,
    times: Mutex<RelayTimes>,
    requests: Mutex<Vec<(SyncRequest, DeviceRecord)>>,
}

impl Transport for Staged {
    fn post(&self, path: &str, body: Vec<u8>) -> Result<Vec<u8>, TransportError> {
        let now = kiosk_sync_server::now_ms();
        if path == "/v1/enroll" {
            let vkey = self.log.as_ref().map(|log| log.verifier().to_string());
            return kiosk_sync_server::enrollment::enroll_with_log(
                self.store.as_ref(),
                &self.keys,
                vkey.as_deref(),
                &[],
                &body,
                now,
            )
            .expect("storage")
            .map_err(|e| TransportError::Refused {
                status: 403,
                code: e.code().into(),
            });
        }
        let started = cpu_now();
        let hash = kiosk_core::protocol::SignedEnvelope::hash(&body);
        let mut record = None;
        let request = kiosk_core::protocol::open_request(&body, |signer| {
            record = self.store.device(signer).expect("storage");
            record
                .as_ref()
                .and_then(|r| ed25519_dalek::VerifyingKey::from_bytes(&r.device_key).ok())
        })
        .expect("opens");
        let record = record.expect("known");
        let opened = cpu_now();
        let prepared = kiosk_sync_server::ingest::check_sync(
            self.store.as_ref(),
            &self.keys,
            &record,
            &request,
            hash,
            now,
        )
        .expect("checks");
        let checked = cpu_now();
        let answer = match prepared {
            kiosk_sync_server::ingest::Prepared::Answered(answer) => answer,
            kiosk_sync_server::ingest::Prepared::Checked(checked) => {
                let checked = match &self.log {
                    Some(log) => checked.with_log(log.clone()),
                    None => checked,
                };
                checked
                    .commit(self.store.as_ref(), &self.keys, &request)
                    .expect("stores")
            }
        };
        let committed = cpu_now();
        let mut times = self.times.lock().expect("lock");
        times.open += opened - started;
        times.check += checked - opened;
        times.commit += committed - checked;
        drop(times);
        if !request.pushes.is_empty() {
            self.requests.lock().expect("lock").push((request, record));
        }
        Ok(answer)
    }
}

/// The transparency log's parts of a sync answer, each on its own over every push of
/// `requests`, [`LOG_PART_ROUNDS`] times (the thread's CPU clock moves in steps of a few
/// milliseconds, so each part runs long enough to read), per registration: what an answer
/// reads and computes, and an append in a transaction of its own of as many leaves,
/// into a log that grows to that many times the registrations (a random key's index costs
/// more as it grows).
fn log_parts(
    store: &SqliteStore,
    log: &kiosk_sync_server::transparency::checkpoint::LogKey,
    requests: &[(SyncRequest, DeviceRecord)],
    n: f64,
) {
    use kiosk_core::tlog::tree::inclusion_proof;
    use kiosk_sync_server::transparency::leaf::{Leaf, LeafKind, record_commitment};
    use kiosk_sync_server::transparency::source::CachedSubtrees;

    let tip = store.log_tip().expect("tip");
    let pushes: Vec<Vec<&str>> = requests
        .iter()
        .map(|(request, _)| request.pushes.iter().map(|p| p.doc_id.as_str()).collect())
        .collect();
    let mut table: Vec<(&str, Duration)> = Vec::new();
    let mut time = |name, run: &mut dyn FnMut()| {
        let started = cpu_now();
        for _ in 0..LOG_PART_ROUNDS {
            run();
        }
        table.push((name, (cpu_now() - started) / LOG_PART_ROUNDS));
    };
    time("record nonce, one read per push", &mut || {
        for doc_id in pushes.iter().flatten() {
            std::hint::black_box(store.record_nonce(doc_id).expect("reads"));
        }
    });
    time("record nonces, one read per request", &mut || {
        for ids in &pushes {
            std::hint::black_box(store.record_nonces(ids).expect("reads"));
        }
    });
    let commitments: Vec<[u8; 32]> = pushes
        .iter()
        .flatten()
        .map(|doc_id| {
            let nonce = store.record_nonce(doc_id).expect("reads").expect("held");
            record_commitment(&nonce, doc_id)
        })
        .collect();
    time(
        "leaves of the record by its commitment (the index)",
        &mut || {
            for commitment in &commitments {
                std::hint::black_box(
                    store
                        .log_leaves_of_record(commitment, 0, 100)
                        .expect("reads"),
                );
            }
        },
    );
    time(
        "inclusion proofs, an answer's 100 leaves share subtrees",
        &mut || {
            for first in (0..tip.size).step_by(100) {
                let source = CachedSubtrees::new(store);
                for index in first..(first + 100).min(tip.size) {
                    std::hint::black_box(
                        inclusion_proof(&source, index, tip.size).expect("proves"),
                    );
                }
            }
        },
    );
    time("checkpoint signed, once per request", &mut || {
        for _ in requests {
            std::hint::black_box(log.sign(tip));
        }
    });
    let dir = tempfile::tempdir().expect("tempdir");
    let fresh = SqliteStore::open(&dir.path().join("appends.sqlite3")).expect("store");
    let mut next = 0u64;
    time(
        "append, 100 leaves per transaction (its own commit)",
        &mut || {
            let leaves: Vec<Leaf> = (next..next + n as u64)
                .map(|i| {
                    let nonce = spread(i);
                    Leaf::change(
                        LeafKind::Capture,
                        &nonce,
                        &format!("doc-{i}"),
                        &nonce,
                        &[1; 32],
                        5,
                    )
                })
                .collect();
            next += n as u64;
            for piece in leaves.chunks(100) {
                fresh.append_log_leaves_for_bench(piece).expect("appends");
            }
        },
    );
    println!(
        "the transparency log's parts, each on its own over {} pushes (µs per registration):",
        commitments.len()
    );
    for (name, took) in &table {
        println!("  {name:<58} {:>8.1}", took.as_secs_f64() * 1e6 / n);
    }
}

/// How many times each of the log's parts runs in [`log_parts`].
const LOG_PART_ROUNDS: u32 = 10;

/// 32 bytes that differ for each `i`, spread as a random nonce's are.
fn spread(i: u64) -> [u8; 32] {
    use sha2::Digest;
    sha2::Sha256::digest(i.to_be_bytes()).into()
}
