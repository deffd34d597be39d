use std::io::Write;

use proptest::prelude::*;

use super::*;
use crate::demo::demo_event;
use crate::documents::{EventDocument, RegistrationDocument, automerge_reads_on_this_thread};
use crate::generator::RegistrationGenerator;

fn key(seed: u8) -> ed25519_dalek::VerifyingKey {
    ed25519_dalek::SigningKey::from_bytes(&[seed; 32]).verifying_key()
}

fn capture(seed: u64) -> RegistrationDocument {
    let registration = RegistrationGenerator::new(demo_event(), seed)
        .next_registration()
        .expect("valid");
    RegistrationDocument::create(&registration, &key(1), registration.captured_at).expect("created")
}

fn deflate(bytes: &[u8]) -> Vec<u8> {
    let mut encoder =
        flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::default());
    encoder.write_all(bytes).expect("in memory");
    encoder.finish().expect("in memory")
}

/// A chunk of `chunk_type` holding `data`, with the checksum Automerge expects of `body`
/// (the uncompressed change).
fn chunk(chunk_type: u8, body: &[u8], data: &[u8]) -> Vec<u8> {
    let mut out = MAGIC.to_vec();
    out.extend_from_slice(&change_hash(body)[..4]);
    out.push(chunk_type);
    write_uleb(&mut out, data.len() as u64);
    out.extend_from_slice(data);
    out
}

fn compressed(body: &[u8]) -> Vec<u8> {
    chunk(COMPRESSED_CHANGE, body, &deflate(body))
}

fn write_sleb(out: &mut Vec<u8>, mut value: i64) {
    loop {
        let byte = (value & 0x7f) as u8;
        value >>= 7;
        if (value == 0 && byte & 0x40 == 0) || (value == -1 && byte & 0x40 != 0) {
            out.push(byte);
            return;
        }
        out.push(byte | 0x80);
    }
}

/// A change body: no deps, a 32-byte actor, a message of `message` bytes, and the columns
/// given as (spec, data).
fn change_body(message: usize, columns: &[(u32, Vec<u8>)]) -> Vec<u8> {
    let mut body = vec![0]; // no deps
    body.push(32);
    body.extend_from_slice(key(1).as_bytes());
    body.extend_from_slice(&[1, 1, 0]); // seq, start op, time
    write_uleb(&mut body, message as u64);
    body.extend(std::iter::repeat_n(b'a', message));
    body.push(0); // no other actors
    write_uleb(&mut body, columns.len() as u64);
    for (spec, data) in columns {
        write_uleb(&mut body, u64::from(*spec));
        write_uleb(&mut body, data.len() as u64);
    }
    for (_, data) in columns {
        body.extend_from_slice(data);
    }
    body
}

#[test]
fn a_capture_passes_the_capture_bounds_with_the_hashes_automerge_computes() {
    for seed in 0..20 {
        let mut document = capture(seed);
        let bytes = document.save_changes();
        let checked = check_change_chunks(&bytes, &ChunkLimits::CAPTURE).expect("a capture");
        let expected: Vec<[u8; 32]> = document.change_hashes().iter().map(|h| h.0).collect();
        assert_eq!(checked.hashes, expected);
    }
}

#[test]
fn an_edited_event_passes_the_document_bounds_change_by_change() {
    let event = demo_event();
    let at = crate::ids::Timestamp(1_772_000_000_000);
    let mut document = EventDocument::create(&event, &key(1), at).expect("created");
    let mut edited = document.read().expect("reads");
    edited.venue = "Elsewhere".into();
    document.write(&edited, at).expect("written");
    let bytes = document.save_changes();
    let checked = check_change_chunks(&bytes, &ChunkLimits::DOCUMENT).expect("an event");
    let expected: Vec<[u8; 32]> = document.change_hashes().iter().map(|h| h.0).collect();
    assert_eq!(checked.hashes, expected);
    let seventeen = capture(1).save_changes().repeat(17);
    assert_eq!(
        check_change_chunks(&seventeen, &ChunkLimits::CAPTURE),
        Err(BoundError::TooManyChunks)
    );
}

#[test]
fn a_compressed_change_that_inflates_past_the_cap_is_refused_unread() {
    // Deflate that inflates to 8 MiB, sent as a capture (the outside test's inflated to
    // 60 MiB; the relay's benchmark sends that).
    let body = change_body(8 * 1024 * 1024, &[]);
    let bomb = compressed(&body);
    assert!(bomb.len() < 64 * 1024, "{} bytes", bomb.len());
    assert_eq!(
        check_change_chunks(&bomb, &ChunkLimits::CAPTURE),
        Err(BoundError::InflatesTooLarge)
    );
    assert_eq!(
        check_change_chunks(&bomb, &ChunkLimits::DOCUMENT),
        Err(BoundError::InflatesTooLarge)
    );
    let reads = automerge_reads_on_this_thread();
    let refused = RegistrationDocument::load_unattributed(&bomb).expect_err("refused");
    assert!(matches!(
        refused,
        crate::Error::OutOfBounds(BoundError::InflatesTooLarge)
    ));
    assert!(RegistrationDocument::load_chunks(&bomb, &key(2)).is_err());
    let mut document = capture(1);
    assert!(document.apply_change_chunks(&bomb).is_err());
    assert_eq!(automerge_reads_on_this_thread(), reads, "nothing was read");
}

#[test]
fn a_change_declaring_more_than_the_cap_is_refused_from_its_header() {
    let mut header = MAGIC.to_vec();
    header.extend_from_slice(&[0; 4]);
    header.push(CHANGE);
    write_uleb(&mut header, 1 << 40);
    assert_eq!(
        check_change_chunks(&header, &ChunkLimits::DOCUMENT),
        Err(BoundError::DeclaredTooLarge)
    );
    let body = change_body(70 * 1024, &[]);
    assert_eq!(
        check_change_chunks(&chunk(CHANGE, &body, &body), &ChunkLimits::CAPTURE),
        Err(BoundError::DeclaredTooLarge)
    );
    assert!(check_change_chunks(&chunk(CHANGE, &body, &body), &ChunkLimits::DOCUMENT).is_ok());
}

#[test]
fn run_length_columns_declaring_billions_of_values_are_refused() {
    // An integer column: one run of 2^40 copies of 1; a string column: 4,000 copies of a
    // 60 KB key; a boolean column: 2^40 falses; a null run of 2^62.
    let mut integers = Vec::new();
    write_sleb(&mut integers, 1 << 40);
    write_uleb(&mut integers, 1);
    let mut strings = Vec::new();
    write_sleb(&mut strings, 4000);
    write_uleb(&mut strings, 60_000);
    strings.extend(std::iter::repeat_n(b'k', 60_000));
    let mut booleans = Vec::new();
    write_uleb(&mut booleans, 1 << 40);
    let mut nulls = vec![0];
    write_uleb(&mut nulls, 1 << 62);
    for (spec, data) in [
        (0x42, integers),
        (0x15, strings),
        (0x34, booleans),
        (0x01, nulls),
    ] {
        let body = change_body(0, &[(spec, data)]);
        assert_eq!(
            check_change_chunks(&compressed(&body), &ChunkLimits::DOCUMENT),
            Err(BoundError::ExpandsTooLarge),
            "column {spec:#x}"
        );
    }
}

#[test]
fn anything_but_whole_checked_change_chunks_is_refused() {
    let mut document = capture(3);
    let good = document.save_changes();
    let whole = document.save();
    let mut bad_checksum = good.clone();
    bad_checksum[4] ^= 1;
    let mut trailing = good.clone();
    trailing.push(0);
    let compressed_columns = compressed(&change_body(0, &[(0x4a, vec![1, 2, 3])]));
    assert_eq!(
        check_change_chunks(&[], &ChunkLimits::CAPTURE),
        Err(BoundError::NotChangeChunks)
    );
    assert_eq!(
        check_change_chunks(&whole, &ChunkLimits::DOCUMENT),
        Err(BoundError::NotChangeChunks)
    );
    assert_eq!(
        check_change_chunks(&bad_checksum, &ChunkLimits::CAPTURE),
        Err(BoundError::BadChecksum)
    );
    assert!(check_change_chunks(&trailing, &ChunkLimits::DOCUMENT).is_err());
    assert_eq!(
        check_change_chunks(&good[..good.len() - 1], &ChunkLimits::CAPTURE),
        Err(BoundError::NotChangeChunks)
    );
    assert_eq!(
        check_change_chunks(&compressed_columns, &ChunkLimits::DOCUMENT),
        Err(BoundError::CompressedColumns)
    );
}

fn small_limits(max_change_bytes: usize) -> ChunkLimits {
    ChunkLimits {
        max_chunks: 4,
        max_change_bytes,
        max_total_bytes: max_change_bytes * 2,
        max_column_items: 64,
        max_expanded_bytes: 4096,
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// Whatever a compressed chunk holds, the check never accepts one that inflates past
    /// the cap, and never takes more than the cap in all.
    #[test]
    fn bounded_check_never_accepts_what_inflates_past_the_cap(
        cap in 64usize..4096,
        message in 0usize..8192,
        fill in any::<u8>(),
        chunks in 1usize..4,
    ) {
        let mut body = change_body(0, &[]);
        body.extend(std::iter::repeat_n(fill, message));
        let one = compressed(&body);
        let bytes: Vec<u8> = std::iter::repeat_n(one, chunks).flatten().collect();
        let limits = small_limits(cap);
        match check_change_chunks(&bytes, &limits) {
            Ok(checked) => {
                prop_assert!(body.len() <= cap);
                prop_assert!(checked.inflated_bytes <= limits.max_total_bytes);
                prop_assert_eq!(checked.inflated_bytes, body.len() * chunks);
            }
            Err(_) => prop_assert!(body.len() > cap || body.len() * chunks > cap * 2),
        }
    }

    /// What the check accepts, Automerge reads into no more operations than the bound.
    #[test]
    fn accepted_changes_hold_no_more_operations_than_the_bound(
        puts in 1usize..200,
        distinct in 1usize..4,
    ) {
        let mut doc = automerge::AutoCommit::new();
        for i in 0..puts {
            automerge::transaction::Transactable::put(
                &mut doc,
                automerge::ROOT,
                format!("k{}", i % distinct),
                "same",
            )
            .expect("put");
        }
        doc.commit();
        let mut bytes = Vec::new();
        for mut change in doc.get_changes(&[]) {
            bytes.extend_from_slice(&change.bytes());
        }
        let limits = small_limits(64 * 1024);
        if check_change_chunks(&bytes, &limits).is_ok() {
            let change = automerge::Change::try_from(bytes.as_slice()).expect("valid");
            prop_assert!(change.len() as u64 <= limits.max_column_items);
        } else {
            prop_assert!(puts as u64 > limits.max_column_items);
        }
    }
}
