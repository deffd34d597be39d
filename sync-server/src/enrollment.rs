//! Enrollment at the relay: HR (for now the admin command) creates codes; a tablet redeems
//! one and gets a certificate and the relay's keys, authenticated with the code.
//!
//! Failed attempts are limited per client address, so codes cannot be guessed at speed (at
//! 100 bits they could not be guessed anyway; the limit also keeps the log quiet).

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;

use kiosk_core::protocol::enrollment::{
    CERTIFICATE_TAG, DeviceCertificate, EnrollAnswer, EnrollRequest, EnrollResponse, EnrolledRole,
    EnrollmentCode,
};
use kiosk_core::protocol::{ErrorCode, PROTOCOL_VERSION, SignedEnvelope};

use crate::keys::RelayKeys;
use crate::storage::{CodeRefusal, EnrollmentGrant, RelayStore, StorageResult};

/// How long a device certificate is valid: a fair season.
pub const CERTIFICATE_LIFETIME_MS: i64 = 180 * 24 * 3_600_000;
/// Failed attempts one address may make per window.
pub const MAX_FAILURES_PER_WINDOW: u32 = 10;
pub const FAILURE_WINDOW_MS: i64 = 60_000;

/// Creates a code for `event_id` and `role`, usable by `max_uses` tablets until
/// `expires_at`. Only its hashes are stored; the returned code is shown once.
pub fn create_code(
    store: &dyn RelayStore,
    event_id: &str,
    role: EnrolledRole,
    recruiter: Option<String>,
    max_uses: u32,
    expires_at: i64,
    now: i64,
) -> StorageResult<EnrollmentCode> {
    let code = EnrollmentCode::generate();
    store.add_enrollment_code(
        &EnrollmentGrant {
            lookup: code.lookup_hash(),
            answer_secret: code.answer_secret(),
            event_id: event_id.to_owned(),
            role,
            recruiter,
            expires_at,
            max_uses,
        },
        now,
    )?;
    Ok(code)
}

/// Why an enrollment request was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum EnrollRefusal {
    #[error("the request is not an enrollment request")]
    Malformed,
    #[error("the proof of key possession does not verify")]
    BadProof,
    #[error("no such enrollment code")]
    UnknownCode,
    #[error("the enrollment code has expired")]
    ExpiredCode,
    #[error("the enrollment code has been used by as many tablets as it allows")]
    ExhaustedCode,
    #[error("too many failed attempts from this address; wait a minute")]
    RateLimited,
    #[error("this device was revoked; HR must enroll a new one")]
    RevokedDevice,
}

impl EnrollRefusal {
    pub fn code(self) -> &'static str {
        match self {
            EnrollRefusal::Malformed => ErrorCode::Malformed.as_str(),
            EnrollRefusal::BadProof => ErrorCode::BadSignature.as_str(),
            EnrollRefusal::UnknownCode => "unknown_code",
            EnrollRefusal::ExpiredCode => "expired_code",
            EnrollRefusal::ExhaustedCode => "exhausted_code",
            EnrollRefusal::RateLimited => "rate_limited",
            EnrollRefusal::RevokedDevice => "revoked",
        }
    }
}

/// Failed attempts per client address in the current window.
#[derive(Debug, Default)]
pub struct FailureLimiter {
    failures: Mutex<HashMap<IpAddr, (i64, u32)>>,
}

impl FailureLimiter {
    pub fn allows(&self, address: IpAddr, now: i64) -> bool {
        let failures = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        match failures.get(&address) {
            Some((start, count)) if now - start < FAILURE_WINDOW_MS => {
                *count < MAX_FAILURES_PER_WINDOW
            }
            _ => true,
        }
    }

    pub fn record_failure(&self, address: IpAddr, now: i64) {
        let mut failures = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        failures.retain(|_, (start, _)| now - *start < FAILURE_WINDOW_MS);
        let entry = failures.entry(address).or_insert((now, 0));
        entry.1 += 1;
    }
}

/// Redeems a code for the tablet that sent `body`, returning the authenticated answer.
pub fn enroll(
    store: &dyn RelayStore,
    keys: &RelayKeys,
    body: &[u8],
    now: i64,
) -> StorageResult<Result<Vec<u8>, EnrollRefusal>> {
    let Ok(request) = ciborium::from_reader::<EnrollRequest, _>(body) else {
        return Ok(Err(EnrollRefusal::Malformed));
    };
    if request.version != PROTOCOL_VERSION {
        return Ok(Err(EnrollRefusal::Malformed));
    }
    if request.verify().is_err() {
        return Ok(Err(EnrollRefusal::BadProof));
    }
    let (device, answer_secret) = match store.redeem_enrollment_code(
        &request.code_lookup,
        &request.device_key,
        &|secret| request.knows_code(secret),
        now,
        CERTIFICATE_LIFETIME_MS,
    )? {
        Ok(granted) => granted,
        Err(CodeRefusal::Unknown) => return Ok(Err(EnrollRefusal::UnknownCode)),
        Err(CodeRefusal::Expired) => return Ok(Err(EnrollRefusal::ExpiredCode)),
        Err(CodeRefusal::Exhausted) => return Ok(Err(EnrollRefusal::ExhaustedCode)),
        Err(CodeRefusal::Revoked) => return Ok(Err(EnrollRefusal::RevokedDevice)),
    };
    let certificate = DeviceCertificate {
        version: PROTOCOL_VERSION,
        device_key: device.device_key,
        event_id: device.event_id.clone(),
        role: device.role,
        recruiter: device.recruiter.clone(),
        issued_at: device.certified_at,
        expires_at: device.expires_at,
    };
    let answer = EnrollAnswer {
        certificate: SignedEnvelope::sign(CERTIFICATE_TAG, &certificate, &keys.signing),
        relay_signing_key: keys.signing.verifying_key().to_bytes(),
        relay_sealing_key: keys.sealing.sealing_key().clone(),
    };
    let response = EnrollResponse::new(&answer_secret, &request.device_key, &answer);
    Ok(Ok(kiosk_core::cbor::to_vec(&response)))
}
