//! Registration documents: build-and-save time, and size beside the same record as JSON.
//!
//! Run: `cargo bench -p kiosk-core --bench documents` (optionally `-- 5000` for the corpus
//! size). Prints figures and ratios; asserts nothing about time.

use std::hint::black_box;
use std::io::Write;
use std::time::{Duration, Instant};

use flate2::Compression;
use flate2::write::DeflateEncoder;
use kiosk_core::demo::demo_event;
use kiosk_core::documents::RegistrationDocument;
use kiosk_core::generator::RegistrationGenerator;

fn main() {
    let count: usize = std::env::args()
        .skip(1)
        .find_map(|arg| arg.parse().ok())
        .unwrap_or(2_000);
    let mut generator = RegistrationGenerator::new(demo_event(), 2026);
    let corpus: Vec<_> = (0..count)
        .map(|_| {
            generator
                .next_registration()
                .expect("generated input validates")
        })
        .collect();
    let device = ed25519_dalek::SigningKey::from_bytes(&[1; 32]).verifying_key();

    // Warm caches and the allocator before measuring.
    for registration in corpus.iter().take(200) {
        let mut document =
            RegistrationDocument::create(registration, &device, registration.captured_at)
                .expect("document");
        black_box(document.save());
    }

    let mut times = Vec::with_capacity(count);
    let mut automerge_sizes = Vec::with_capacity(count);
    let mut json_sizes = Vec::with_capacity(count);
    let mut deflated_sizes = Vec::with_capacity(count);
    for registration in &corpus {
        let start = Instant::now();
        let mut document =
            RegistrationDocument::create(registration, &device, registration.captured_at)
                .expect("document");
        let bytes = document.save();
        times.push(start.elapsed());
        automerge_sizes.push(bytes.len());

        let json = serde_json::to_vec(registration).expect("json");
        let mut encoder = DeflateEncoder::new(Vec::new(), Compression::default());
        encoder.write_all(&json).expect("deflate");
        deflated_sizes.push(encoder.finish().expect("deflate").len());
        json_sizes.push(json.len());
    }

    times.sort();
    let micros = |d: Duration| d.as_secs_f64() * 1e6;
    let percentile = |p: f64| micros(times[((times.len() - 1) as f64 * p).round() as usize]);
    let mean_time = micros(times.iter().sum::<Duration>()) / count as f64;
    let mean = |sizes: &[usize]| sizes.iter().sum::<usize>() as f64 / sizes.len() as f64;
    let (am, js, df) = (
        mean(&automerge_sizes),
        mean(&json_sizes),
        mean(&deflated_sizes),
    );

    println!("registration documents over {count} generated registrations");
    println!(
        "  build+save   mean {mean_time:8.1} µs   p50 {:8.1} µs   p99 {:8.1} µs   max {:8.1} µs",
        percentile(0.50),
        percentile(0.99),
        micros(*times.last().expect("non-empty")),
    );
    println!(
        "  throughput   {:8.0} documents/s on one core",
        1e6 / mean_time
    );
    println!(
        "  automerge    mean {am:6.0} B   min {:5} B   max {:5} B",
        automerge_sizes.iter().min().expect("non-empty"),
        automerge_sizes.iter().max().expect("non-empty"),
    );
    println!("  JSON raw     mean {js:6.0} B");
    println!("  JSON deflate mean {df:6.0} B");
    println!(
        "  ratios       automerge/JSON {:.2}   automerge/deflated JSON {:.2}",
        am / js,
        am / df
    );
}
