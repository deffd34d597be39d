//! The bounds check on Automerge bytes from the network: never panics, never accepts more
//! than its limits, and what it accepts Automerge reads without blowing up.
#![no_main]

use kiosk_core::documents::{ChunkLimits, RegistrationDocument, check_change_chunks};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|bytes: &[u8]| {
    kiosk_fuzz::only_uncaught_panics_crash();
    let limits = ChunkLimits::CAPTURE;
    if let Ok(checked) = check_change_chunks(bytes, &limits) {
        assert!(checked.inflated_bytes <= limits.max_total_bytes);
        assert!(checked.hashes.len() <= limits.max_chunks);
        let _ = RegistrationDocument::load_unattributed_within(bytes, &limits);
    }
});
