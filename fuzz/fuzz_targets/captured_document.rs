//! Automerge bytes from the network, read as a registration document.
#![no_main]

use kiosk_core::documents::{RegistrationDocument, registration_field_paths};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|bytes: &[u8]| {
    kiosk_fuzz::only_uncaught_panics_crash();
    if let Ok((mut document, _registration)) = RegistrationDocument::load_unattributed(bytes) {
        let _ = document.fields_within(registration_field_paths());
        let _ = document.change_hashes();
        let _ = document.authors();
    }
});
