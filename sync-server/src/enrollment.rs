//! Enrollment at the relay: HR (for now the admin command) creates codes; a tablet redeems
//! one and gets a certificate and the relay's keys, authenticated with the code.
//!
//! Failed attempts are limited per client address, so codes cannot be guessed at speed (at
//! 100 bits they could not be guessed anyway; the limit also keeps the log quiet).

use std::net::IpAddr;

use kiosk_core::protocol::enrollment::{
    CERTIFICATE_TAG, DeviceCertificate, EnrollAnswer, EnrollRequest, EnrollResponse, EnrolledRole,
    EnrollmentCode,
};
use kiosk_core::protocol::{ErrorCode, PROTOCOL_VERSION, SignedEnvelope};

use crate::hr::accounts::HrUser;
use crate::keys::RelayKeys;
use crate::storage::{
    AttemptOutcome, CodeRefusal, DeviceRecord, EnrollmentGrant, FailureCountStore, FailureKey,
    FailureRule, RelayStore, StorageError, StorageResult, failure_key_secret,
};

/// How long a device certificate is valid: a fair season.
pub const CERTIFICATE_LIFETIME_MS: i64 = 180 * 24 * 3_600_000;
/// Failed attempts one address may make per window.
pub const MAX_FAILURES_PER_WINDOW: u32 = 10;
pub const FAILURE_WINDOW_MS: i64 = 60_000;

/// Why a staff tablet's recruiter may not act for it (one of HR's rules, so defined with
/// HR's errors).
pub use crate::hr::error::RecruiterRefusal;

/// Why an enrollment code was not created. The messages name the field first
/// (`recruiter: …`), so a form can put the error by its field.
#[derive(Debug, thiserror::Error)]
pub enum CodeError {
    #[error(transparent)]
    Storage(#[from] StorageError),
    #[error(
        "recruiter: a staff code names its recruiter: the username of an HR user with the \
         recruiter role who is assigned to the event"
    )]
    RecruiterMissing,
    #[error("recruiter: only a staff code names one")]
    RecruiterForKiosk,
    #[error("{0}")]
    Recruiter(RecruiterRefusal),
}

/// Whether the HR user `username` may have a staff tablet act for them at event
/// `event_id`: an enabled user with the recruiter role who is assigned to the event. The
/// user on success.
pub fn recruiter_standing(
    store: &dyn RelayStore,
    username: &str,
    event_id: &str,
) -> StorageResult<Result<HrUser, RecruiterRefusal>> {
    let Some((user, _)) = store.hr_user_by_username(username)? else {
        return Ok(Err(RecruiterRefusal::UnknownUser));
    };
    if user.disabled {
        return Ok(Err(RecruiterRefusal::Disabled));
    }
    // Who may have a tablet act for them is the policy's question; disabled is told
    // apart above, so what it refuses here is a user without the recruiter role.
    if !crate::hr::policy::may_have_a_tablet_act_for_them(&user) {
        return Ok(Err(RecruiterRefusal::NotARecruiter));
    }
    if !store
        .hr_assigned_events(user.id)?
        .iter()
        .any(|e| e == event_id)
    {
        return Ok(Err(RecruiterRefusal::NotAssigned));
    }
    Ok(Ok(user))
}

/// Whether `device` may pull and edit now: a kiosk always (its other checks are
/// elsewhere); a staff tablet only while its recruiter stands as [`recruiter_standing`]
/// asks, checked at every sync, so unassigning the event, disabling the user or taking the
/// recruiter role stops the tablet at its next request.
pub fn tablet_may_act(store: &dyn RelayStore, device: &DeviceRecord) -> StorageResult<bool> {
    if device.role != EnrolledRole::Staff {
        return Ok(true);
    }
    let Some(recruiter) = device.recruiter.as_deref() else {
        return Ok(false);
    };
    Ok(recruiter_standing(store, recruiter, &device.event_id)?.is_ok())
}

/// Creates a code for `event_id` and `role`, usable by `max_uses` tablets until
/// `expires_at`. A staff code names its `recruiter` by username, who must stand as
/// [`recruiter_standing`] asks; a kiosk code names none. Only its hashes are stored; the
/// returned code is shown once.
pub fn create_code(
    store: &dyn RelayStore,
    event_id: &str,
    role: EnrolledRole,
    recruiter: Option<String>,
    max_uses: u32,
    expires_at: i64,
    now: i64,
) -> Result<EnrollmentCode, CodeError> {
    create_named_code(
        store, event_id, role, recruiter, None, max_uses, expires_at, now,
    )
}

/// [`create_code`], whose tablets get `name` (checked by the HR service,
/// [`crate::hr::device_names::device_name`]) as they enroll.
#[allow(clippy::too_many_arguments)]
pub fn create_named_code(
    store: &dyn RelayStore,
    event_id: &str,
    role: EnrolledRole,
    recruiter: Option<String>,
    name: Option<String>,
    max_uses: u32,
    expires_at: i64,
    now: i64,
) -> Result<EnrollmentCode, CodeError> {
    let recruiter = recruiter
        .map(|r| r.trim().to_owned())
        .filter(|r| !r.is_empty());
    match (role, &recruiter) {
        (EnrolledRole::Staff, None) => return Err(CodeError::RecruiterMissing),
        (EnrolledRole::Kiosk, Some(_)) => return Err(CodeError::RecruiterForKiosk),
        (EnrolledRole::Staff, Some(username)) => {
            // The tablet acts as this user: the certificate names them by username, and
            // their notes and ratings carry it, as the console's do.
            recruiter_standing(store, username, event_id)?.map_err(CodeError::Recruiter)?;
        }
        (EnrolledRole::Kiosk, None) => {}
    }
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
            name,
        },
        now,
    )?;
    Ok(code)
}

/// The device certificate an enrollment record stands for: what the relay signs when the
/// tablet enrolls, and re-signs for a provenance bundle when the envelope was not kept.
pub(crate) fn certificate_of(device: &DeviceRecord) -> DeviceCertificate {
    DeviceCertificate {
        version: PROTOCOL_VERSION,
        device_key: device.device_key,
        event_id: device.event_id.clone(),
        role: device.role,
        recruiter: device.recruiter.clone(),
        issued_at: device.certified_at,
        expires_at: device.expires_at,
    }
}

/// What an enrollment QR code carries: where the relay is, the code, and the id of the
/// relay's sealing key, so the tablet checks the keys it is handed against the one printed.
pub fn qr_text(relay_url: &str, code: &EnrollmentCode, relay_key_id: &str) -> String {
    format!(
        "kiosk-enroll:v1?relay={relay_url}&code={}&key={relay_key_id}",
        code.display()
    )
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
    #[error("the enrollment code is for another kind of tablet (kiosk or staff); it was not used")]
    WrongRole,
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
            EnrollRefusal::WrongRole => "wrong_role",
        }
    }
}

/// How many client addresses the limiter tracks; beyond it, new addresses share one bucket,
/// so a flood from many addresses costs bounded memory (or rows) and is still limited.
pub const MAX_TRACKED_ADDRESSES: usize = 10_000;

/// Enrollment attempts counted per client address.
pub const ENROLLMENT_RULE: FailureRule = FailureRule {
    scope: "enrollment",
    window_ms: FAILURE_WINDOW_MS,
    max_failures: MAX_FAILURES_PER_WINDOW,
    max_tracked: Some(MAX_TRACKED_ADDRESSES as u32),
};

/// The address one client is counted by: an IPv4 address, or an IPv6 one's /64.
pub(crate) fn address_bucket(address: IpAddr) -> IpAddr {
    match address {
        IpAddr::V4(_) => address,
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => {
                let prefix = u128::from(v6) & !((1u128 << 64) - 1);
                IpAddr::V6(prefix.into())
            }
        },
    }
}

/// Failed enrollment attempts per client address (one IPv4 address, one IPv6 /64, or the
/// shared overflow bucket past [`MAX_TRACKED_ADDRESSES`]) in the current window. An attempt
/// is counted when it starts, in the same step as the check, so concurrent guesses from one
/// address cannot all slip under the limit; a successful attempt is then forgiven. The
/// store counts ([`FailureCountStore`]), so every relay instance of one store shares the
/// counts; it is asked before the request's proof or code is looked at.
#[derive(Debug)]
pub struct FailureLimiter {
    /// What addresses are keyed under (see [`FailureKey::new`]).
    secret: [u8; 32],
}

impl FailureLimiter {
    /// A limiter keying addresses under a secret derived from the relay's signing key,
    /// which every instance of one store holds.
    pub fn new(keys: &RelayKeys) -> FailureLimiter {
        FailureLimiter {
            secret: failure_key_secret(keys.derivation_root()),
        }
    }

    fn key(&self, address: IpAddr) -> FailureKey {
        FailureKey::new(
            ENROLLMENT_RULE,
            &self.secret,
            &address_bucket(address).to_string(),
        )
    }

    /// Counts an attempt from `address` if the address is under the limit; `false` if the
    /// attempt must be refused as rate limited.
    pub fn begin_attempt(
        &self,
        store: &dyn FailureCountStore,
        address: IpAddr,
        now: i64,
    ) -> StorageResult<bool> {
        Ok(store.begin_attempt(&[self.key(address)], now)? == AttemptOutcome::Counted)
    }

    /// Takes back the attempt of a successful enrollment.
    pub fn forgive(&self, store: &dyn FailureCountStore, address: IpAddr) -> StorageResult<()> {
        store.forgive_attempt(&[self.key(address)])
    }
}

/// Redeems a code for the tablet that sent `body`, returning the authenticated answer.
pub fn enroll(
    store: &dyn RelayStore,
    keys: &RelayKeys,
    body: &[u8],
    now: i64,
) -> StorageResult<Result<Vec<u8>, EnrollRefusal>> {
    enroll_with_log(store, keys, None, &[], body, now)
}

/// [`enroll`], the answer also naming the transparency log's verifier key (vkey text), which
/// the tablet pins with the relay's keys, and the trusted witnesses' verifier keys, whose
/// cosignatures the tablet then requires.
pub fn enroll_with_log(
    store: &dyn RelayStore,
    keys: &RelayKeys,
    log_key: Option<&str>,
    witness_keys: &[String],
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
    // The certificate is signed of the device's row inside the redeem's transaction and kept
    // there as sent (the provenance bundle hands out this envelope, not one re-issued
    // later), so of racing enrollments of one tablet the envelope kept is the row's.
    let signed = std::cell::RefCell::new(None);
    let certify = |device: &crate::storage::DeviceRecord| {
        let certificate =
            SignedEnvelope::sign(CERTIFICATE_TAG, &certificate_of(device), &keys.signing);
        let bytes = kiosk_core::cbor::to_vec(&certificate);
        *signed.borrow_mut() = Some(certificate);
        Some(bytes)
    };
    let (_device, answer_secret) = match store.redeem_and_keep_certificate(
        &request.code_lookup,
        &request.device_key,
        request.role,
        &|secret| request.knows_code(secret),
        now,
        CERTIFICATE_LIFETIME_MS,
        &certify,
    )? {
        Ok(granted) => granted,
        Err(CodeRefusal::Unknown) => return Ok(Err(EnrollRefusal::UnknownCode)),
        Err(CodeRefusal::Expired) => return Ok(Err(EnrollRefusal::ExpiredCode)),
        Err(CodeRefusal::Exhausted) => return Ok(Err(EnrollRefusal::ExhaustedCode)),
        Err(CodeRefusal::Revoked) => return Ok(Err(EnrollRefusal::RevokedDevice)),
        Err(CodeRefusal::WrongRole) => return Ok(Err(EnrollRefusal::WrongRole)),
    };
    // The store calls `certify` in every enrollment it grants; a store that did not is a
    // fault of the relay, not a certificate stored undecodable.
    let certificate = signed
        .into_inner()
        .ok_or(crate::storage::StorageError::Internal(
            "the enrollment granted made no device certificate",
        ))?;
    let answer = EnrollAnswer {
        certificate,
        relay_signing_key: keys.signing.verifying_key().to_bytes(),
        relay_sealing_key: keys.sealing.sealing_key().clone(),
        log_key: log_key.map(str::to_owned),
        witness_keys: witness_keys.to_vec(),
    };
    let response = EnrollResponse::new(&answer_secret, &request.device_key, &answer);
    Ok(Ok(kiosk_core::cbor::to_vec(&response)))
}

#[cfg(test)]
mod tests {
    use std::net::{Ipv4Addr, Ipv6Addr};

    use super::*;
    use crate::storage::SqliteStore;

    struct Limited {
        limiter: FailureLimiter,
        store: SqliteStore,
    }

    impl Limited {
        fn new() -> Limited {
            Limited {
                limiter: FailureLimiter::new(&RelayKeys::from_seeds([1; 32], [2; 32])),
                store: SqliteStore::in_memory().expect("store"),
            }
        }

        fn begin_attempt(&self, address: IpAddr, now: i64) -> bool {
            self.limiter
                .begin_attempt(&self.store, address, now)
                .expect("counted")
        }

        fn forgive(&self, address: IpAddr) {
            self.limiter
                .forgive(&self.store, address)
                .expect("forgiven");
        }
    }

    #[test]
    fn an_address_gets_ten_attempts_a_minute_and_successes_do_not_count() {
        let limiter = Limited::new();
        let address = IpAddr::V4(Ipv4Addr::new(192, 0, 2, 7));
        for _ in 0..MAX_FAILURES_PER_WINDOW {
            assert!(limiter.begin_attempt(address, 1_000));
        }
        assert!(
            !limiter.begin_attempt(address, 1_001),
            "the eleventh is refused"
        );
        assert!(
            limiter.begin_attempt(IpAddr::V4(Ipv4Addr::new(192, 0, 2, 8)), 1_001),
            "another address is not affected"
        );
        assert!(
            limiter.begin_attempt(address, 1_000 + FAILURE_WINDOW_MS),
            "a new window starts afresh"
        );

        let tablet = IpAddr::V4(Ipv4Addr::new(198, 51, 100, 1));
        for _ in 0..3 * MAX_FAILURES_PER_WINDOW {
            assert!(limiter.begin_attempt(tablet, 5_000));
            limiter.forgive(tablet);
        }
    }

    #[test]
    fn an_ipv6_client_cannot_escape_the_limit_by_changing_its_interface_id() {
        let limiter = Limited::new();
        let base = u128::from(Ipv6Addr::new(0x2001, 0xdb8, 1, 2, 0, 0, 0, 0));
        for host in 0..u128::from(MAX_FAILURES_PER_WINDOW) {
            assert!(limiter.begin_attempt(IpAddr::V6((base + host).into()), 0));
        }
        assert!(!limiter.begin_attempt(IpAddr::V6((base + 999).into()), 0));
    }

    #[test]
    fn a_flood_from_many_addresses_uses_bounded_memory_and_is_still_limited() {
        let limiter = Limited::new();
        let addresses = MAX_TRACKED_ADDRESSES as u32 + 500;
        let mut refused = 0;
        for n in 0..addresses {
            if !limiter.begin_attempt(IpAddr::V4(Ipv4Addr::from(0x0a00_0000 + n)), 0) {
                refused += 1;
            }
        }
        assert_eq!(
            limiter
                .store
                .failure_keys_tracked_for_tests(ENROLLMENT_RULE.scope),
            MAX_TRACKED_ADDRESSES + 1
        );
        assert_eq!(
            refused,
            500 - MAX_FAILURES_PER_WINDOW,
            "the overflow bucket is limited like one address"
        );
    }
}
