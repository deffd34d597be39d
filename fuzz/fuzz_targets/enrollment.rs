//! Enrollment messages: the request the relay receives, the answer a tablet receives.
#![no_main]

use kiosk_core::protocol::enrollment::{EnrollRequest, EnrollResponse, EnrollmentCode};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|bytes: &[u8]| {
    if let Ok(request) = ciborium::from_reader::<EnrollRequest, _>(bytes) {
        let _ = request.verify();
        let _ = request.knows_code(&[7; 32]);
    }
    if let Ok(response) = ciborium::from_reader::<EnrollResponse, _>(bytes) {
        let code = EnrollmentCode::parse("ABCD-EFGH-JKLM-NPQR-STUV").expect("a valid code");
        let _ = response.open(&code, &[8; 32]);
    }
});
