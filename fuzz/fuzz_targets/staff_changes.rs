//! Bytes a staff tablet pushes as its changes of a registration, checked and merged by the
//! relay against a stored capture; and the same bytes as a pull a tablet merges.
#![no_main]

use std::sync::OnceLock;

use kiosk_core::documents::{RegistrationDocument, StaffAuthor};
use libfuzzer_sys::fuzz_target;

/// A stored capture's change chunks, made once.
fn capture() -> &'static [u8] {
    static CAPTURE: OnceLock<Vec<u8>> = OnceLock::new();
    CAPTURE.get_or_init(|| {
        let registration =
            kiosk_core::generator::RegistrationGenerator::new(kiosk_core::demo::demo_event(), 1)
                .next_registration()
                .expect("valid");
        let kiosk = ed25519_dalek::SigningKey::from_bytes(&[1; 32]).verifying_key();
        RegistrationDocument::create(&registration, &kiosk, registration.captured_at)
            .expect("created")
            .save_changes()
    })
}

fuzz_target!(|bytes: &[u8]| {
    kiosk_fuzz::only_uncaught_panics_crash();
    let staff = ed25519_dalek::SigningKey::from_bytes(&[2; 32]).verifying_key();
    let (mut relay, _) = RegistrationDocument::load_unattributed(capture()).expect("loads");
    let author = StaffAuthor {
        device: &staff,
        recruiter: "anna",
    };
    if relay.apply_staff_changes(bytes, author).is_ok() {
        let _ = relay.annotations().expect("a merged record reads");
    }
    let mut tablet = RegistrationDocument::load_chunks(capture(), &staff).expect("loads");
    let _ = tablet.apply_change_chunks(bytes);
});
