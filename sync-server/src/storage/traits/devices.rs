//! Tablets: enrollment codes, enrolled devices, revocation, what the relay holds from each
//! device, and staff PIN unlocks.

use kiosk_core::protocol::enrollment::EnrolledRole;

use crate::storage::StorageResult;
use crate::storage::model::{CodeRefusal, DeviceRecord, DeviceReport, EnrollmentGrant};

/// Enrollment, enrolled tablets and staff PIN unlocks.
pub trait DeviceStore {
    fn add_enrollment_code(&self, grant: &EnrollmentGrant, created_at: i64) -> StorageResult<()>;

    /// Uses the code for `device` and records the device, in one transaction. Enrolling
    /// the same device again with the same code returns its record without using it twice.
    /// [`Self::redeem_and_keep_certificate`] without a certificate to keep.
    fn redeem_enrollment_code(
        &self,
        lookup: &[u8; 32],
        device_key: &[u8; 32],
        device_role: EnrolledRole,
        knows_code: &dyn Fn(&[u8; 32]) -> bool,
        now: i64,
        certificate_lifetime_ms: i64,
    ) -> StorageResult<Result<(DeviceRecord, [u8; 32]), CodeRefusal>> {
        self.redeem_and_keep_certificate(
            lookup,
            device_key,
            device_role,
            knows_code,
            now,
            certificate_lifetime_ms,
            &|_| None,
        )
    }

    /// [`Self::redeem_enrollment_code`], keeping in the same transaction the certificate
    /// envelope `certify` makes of the device's record, beside those of the tablet's earlier
    /// enrollments (the newest [`crate::storage::model::CERTIFICATES_KEPT_PER_DEVICE`] are
    /// kept; a second envelope issued at the same time keeps the first), so the envelope
    /// kept is always the one of the enrollment the device's row holds. A
    /// tablet's `certified_at` strictly increases (at least one ms after its previous
    /// enrollment's, whatever the clock), so two enrollments never share an issue time.
    #[allow(clippy::too_many_arguments)]
    fn redeem_and_keep_certificate(
        &self,
        lookup: &[u8; 32],
        device_key: &[u8; 32],
        device_role: EnrolledRole,
        knows_code: &dyn Fn(&[u8; 32]) -> bool,
        now: i64,
        certificate_lifetime_ms: i64,
        certify: &dyn Fn(&DeviceRecord) -> Option<Vec<u8>>,
    ) -> StorageResult<Result<(DeviceRecord, [u8; 32]), CodeRefusal>>;

    fn device(&self, device_key: &[u8; 32]) -> StorageResult<Option<DeviceRecord>>;

    /// Names device `device_key` (`None` takes its name away); `false` if no such device.
    /// The name is checked by the HR service before it comes here.
    fn rename_device(&self, device_key: &[u8; 32], name: Option<&str>) -> StorageResult<bool>;

    fn revoke_device(&self, device_key: &[u8; 32], at: i64) -> StorageResult<bool>;

    /// The keys of every enrolled device, or of one event's, in enrollment order.
    fn device_keys(&self, event_id: Option<&str>) -> StorageResult<Vec<[u8; 32]>>;

    /// What the relay holds from one device, for the event's closing count.
    fn device_report(&self, device_key: &[u8; 32]) -> StorageResult<Option<DeviceReport>>;

    /// Raises a staff tablet's PIN unlock counter (HR reopens its locked-out PIN); `None`
    /// if the device is not an enrolled, unrevoked staff tablet.
    fn issue_staff_unlock(&self, device_key: &[u8; 32], at: i64) -> StorageResult<Option<u64>>;

    /// The latest unlock's counter and issue time while it is still sent (a week).
    fn outstanding_staff_unlock(
        &self,
        device_key: &[u8; 32],
        now: i64,
    ) -> StorageResult<Option<(u64, i64)>>;

    /// Records `relay_key` as the relay signing key `device_key` pins (it named it in a
    /// sync the relay answered).
    fn note_relay_key(&self, device_key: &[u8; 32], relay_key: &[u8; 32]) -> StorageResult<()>;

    /// How many active tablets (not revoked, certificate not expired at `now`) are not known
    /// to pin `relay_key`: those that named another key in their last sync, or none yet.
    fn devices_not_pinning(&self, relay_key: &[u8; 32], now: i64) -> StorageResult<u64>;

    /// Keeps `envelope`, the signed certificate envelope (its CBOR bytes, verbatim) the
    /// enrollment answer to `device_key` carries, issued at `issued_at`, beside those of the
    /// tablet's earlier enrollments: the provenance bundle hands out the one a record was
    /// captured under. The newest [`CERTIFICATES_KEPT_PER_DEVICE`] are kept; a second
    /// envelope issued at the same time keeps the first.
    ///
    /// Test-only: in the relay a certificate is kept in the enrollment's own transaction
    /// ([`Self::redeem_and_keep_certificate`]), never apart from it.
    ///
    /// [`CERTIFICATES_KEPT_PER_DEVICE`]: crate::storage::model::CERTIFICATES_KEPT_PER_DEVICE
    #[cfg(test)]
    fn keep_certificate(
        &self,
        device_key: &[u8; 32],
        issued_at: i64,
        envelope: &[u8],
    ) -> StorageResult<()>;

    /// The certificate envelope kept for `device_key` issued at `certified_at` (the issue
    /// time a record keeps of the certificate its tablet held), and when it was issued; for
    /// a record from before that was kept (`None`), the newest issued at or before `at`
    /// (when it was received: times of two clocks, which skew can mislead). `None` when none
    /// was kept (a tablet enrolled before certificates were kept, or one older than those
    /// kept).
    fn kept_certificate(
        &self,
        device_key: &[u8; 32],
        certified_at: Option<i64>,
        at: i64,
    ) -> StorageResult<Option<(i64, Vec<u8>)>>;
}
