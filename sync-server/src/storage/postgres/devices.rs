//! [`DeviceStore`] on PostgreSQL: enrollment codes, enrolled tablets, revocation, what the
//! relay holds from each device, and staff PIN unlocks.

use kiosk_core::journal::JournalHead;
use kiosk_core::protocol::enrollment::EnrolledRole;
use postgres::GenericClient;

use super::PgStore;
use super::rows::{key32, role_from, role_text, unsigned};
use crate::storage::model::{CodeRefusal, DeviceRecord, DeviceReport, EnrollmentGrant};
use crate::storage::traits::DeviceStore;
use crate::storage::{StorageError, StorageResult};

/// How long the relay keeps sending an unlock: a week (as the SQLite store).
const UNLOCK_VALID_MS: i64 = 7 * 24 * 3_600_000;

pub(super) fn read_device(
    client: &mut impl GenericClient,
    device_key: &[u8; 32],
) -> StorageResult<Option<DeviceRecord>> {
    let Some(row) = client.query_opt(
        "SELECT event_id, role, recruiter, certified_at, expires_at, revoked_at, last_seq,
                name, relay_key
         FROM devices WHERE device_key = $1",
        &[&device_key.as_slice()],
    )?
    else {
        return Ok(None);
    };
    Ok(Some(DeviceRecord {
        device_key: *device_key,
        event_id: row.try_get(0)?,
        role: role_from(row.try_get(1)?)?,
        recruiter: row.try_get(2)?,
        certified_at: row.try_get(3)?,
        expires_at: row.try_get(4)?,
        revoked_at: row.try_get(5)?,
        last_seq: unsigned(row.try_get(6)?, "device sequence")?,
        name: row.try_get(7)?,
        // A key of another length was not written by this relay: not known.
        relay_key: row
            .try_get::<_, Option<Vec<u8>>>(8)?
            .and_then(|k| <[u8; 32]>::try_from(k.as_slice()).ok()),
    }))
}

impl DeviceStore for PgStore {
    fn add_enrollment_code(&self, grant: &EnrollmentGrant, created_at: i64) -> StorageResult<()> {
        self.write(|tx| {
            tx.execute(
                "INSERT INTO enrollment_codes
                 (lookup, answer_secret, event_id, role, recruiter, expires_at, max_uses,
                  created_at, name)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
                &[
                    &grant.lookup.as_slice(),
                    &grant.answer_secret.as_slice(),
                    &grant.event_id,
                    &role_text(grant.role),
                    &grant.recruiter,
                    &grant.expires_at,
                    &i64::from(grant.max_uses),
                    &created_at,
                    &grant.name,
                ],
            )?;
            Ok(())
        })
    }

    fn redeem_and_keep_certificate(
        &self,
        lookup: &[u8; 32],
        device_key: &[u8; 32],
        device_role: EnrolledRole,
        knows_code: &dyn Fn(&[u8; 32]) -> bool,
        now: i64,
        certificate_lifetime_ms: i64,
        certify: &dyn Fn(&DeviceRecord) -> Option<Vec<u8>>,
    ) -> StorageResult<Result<(DeviceRecord, [u8; 32]), CodeRefusal>> {
        self.write(|tx| {
            // The code's row is locked: tablets redeeming one code at once, through any
            // instance, use it one after another.
            let Some(code) = tx.query_opt(
                "SELECT event_id, role, recruiter, expires_at, max_uses, uses, answer_secret,
                        name
                 FROM enrollment_codes WHERE lookup = $1 FOR UPDATE",
                &[&lookup.as_slice()],
            )?
            else {
                return Ok(Err(CodeRefusal::Unknown));
            };
            let event_id: String = code.try_get(0)?;
            let role: String = code.try_get(1)?;
            let recruiter: Option<String> = code.try_get(2)?;
            let expires_at: i64 = code.try_get(3)?;
            let max_uses: i64 = code.try_get(4)?;
            let uses: i64 = code.try_get(5)?;
            let answer_secret = key32(code.try_get(6)?, "answer secret")?;
            let name: Option<String> = code.try_get(7)?;
            if !knows_code(&answer_secret) {
                return Ok(Err(CodeRefusal::Unknown));
            }
            // Checked before the code is used, so a tablet of the wrong kind costs it no use.
            if role_from(&role)? != device_role {
                return Ok(Err(CodeRefusal::WrongRole));
            }
            let known = tx
                .query_opt(
                    "SELECT enrolled_with, revoked_at FROM devices WHERE device_key = $1
                     FOR UPDATE",
                    &[&device_key.as_slice()],
                )?
                .map(|row| -> StorageResult<(Vec<u8>, Option<i64>)> {
                    Ok((row.try_get(0)?, row.try_get(1)?))
                })
                .transpose()?;
            if known.as_ref().is_some_and(|(_, revoked)| revoked.is_some()) {
                return Ok(Err(CodeRefusal::Revoked));
            }
            // A retry after a lost answer is answered again, even if the code expired since.
            let already = known.is_some_and(|(with, _)| with.as_slice() == lookup.as_slice());
            if !already && now >= expires_at {
                return Ok(Err(CodeRefusal::Expired));
            }
            if !already {
                if uses >= max_uses {
                    return Ok(Err(CodeRefusal::Exhausted));
                }
                tx.execute(
                    "UPDATE enrollment_codes SET uses = uses + 1 WHERE lookup = $1",
                    &[&lookup.as_slice()],
                )?;
                // A tablet enrolled again keeps its name unless the new code gives one.
                tx.execute(
                    "INSERT INTO devices
                     (device_key, event_id, role, recruiter, enrolled_with, certified_at,
                      expires_at, chain_head, name)
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
                     ON CONFLICT (device_key) DO UPDATE SET
                       event_id = EXCLUDED.event_id, role = EXCLUDED.role,
                       recruiter = EXCLUDED.recruiter, enrolled_with = EXCLUDED.enrolled_with,
                       -- Strictly later than the previous enrollment's (`keep_certificate`).
                       certified_at = GREATEST(EXCLUDED.certified_at, devices.certified_at + 1),
                       expires_at = EXCLUDED.expires_at,
                       name = COALESCE(EXCLUDED.name, devices.name)",
                    &[
                        &device_key.as_slice(),
                        &event_id,
                        &role,
                        &recruiter,
                        &lookup.as_slice(),
                        &now,
                        &(now + certificate_lifetime_ms),
                        &kiosk_core::journal::GENESIS.as_slice(),
                        &name,
                    ],
                )?;
            }
            let record = read_device(tx, device_key)?.ok_or(StorageError::Undecodable("device"))?;
            if let Some(envelope) = certify(&record) {
                keep_certificate_in(tx, device_key, record.certified_at, &envelope)?;
            }
            Ok(Ok((record, answer_secret)))
        })
    }

    fn device(&self, device_key: &[u8; 32]) -> StorageResult<Option<DeviceRecord>> {
        read_device(&mut *self.client()?, device_key)
    }

    fn rename_device(&self, device_key: &[u8; 32], name: Option<&str>) -> StorageResult<bool> {
        self.write(|tx| {
            let changed = tx.execute(
                "UPDATE devices SET name = $2 WHERE device_key = $1",
                &[&device_key.as_slice(), &name],
            )?;
            Ok(changed > 0)
        })
    }

    fn revoke_device(&self, device_key: &[u8; 32], at: i64) -> StorageResult<bool> {
        // No lifecycle journal beside the database, unlike SQLite's file: a restore of
        // this database is the operator's, from backups that hold the revocation too.
        self.write(|tx| {
            let changed = tx.execute(
                "UPDATE devices SET revoked_at = $2 WHERE device_key = $1 AND revoked_at IS NULL",
                &[&device_key.as_slice(), &at],
            )?;
            Ok(changed > 0)
        })
    }

    fn note_relay_key(&self, device_key: &[u8; 32], relay_key: &[u8; 32]) -> StorageResult<()> {
        self.client()?.execute(
            "UPDATE devices SET relay_key = $2 WHERE device_key = $1",
            &[&device_key.as_slice(), &relay_key.as_slice()],
        )?;
        Ok(())
    }

    #[cfg(test)]
    fn keep_certificate(
        &self,
        device_key: &[u8; 32],
        issued_at: i64,
        envelope: &[u8],
    ) -> StorageResult<()> {
        self.write(|tx| keep_certificate_in(tx, device_key, issued_at, envelope))
    }

    fn kept_certificate(
        &self,
        device_key: &[u8; 32],
        certified_at: Option<i64>,
        at: i64,
    ) -> StorageResult<Option<(i64, Vec<u8>)>> {
        let row = self.client()?.query_opt(
            "SELECT issued_at, envelope FROM device_certificates
             WHERE device_key = $1
               AND CASE WHEN $3::BIGINT IS NULL THEN issued_at <= $2 ELSE issued_at = $3 END
             ORDER BY issued_at DESC LIMIT 1",
            &[&device_key.as_slice(), &at, &certified_at],
        )?;
        row.map(|row| Ok((row.try_get(0)?, row.try_get(1)?)))
            .transpose()
    }

    fn devices_not_pinning(&self, relay_key: &[u8; 32], now: i64) -> StorageResult<u64> {
        let row = self.client()?.query_one(
            "SELECT count(*) FROM devices
             WHERE revoked_at IS NULL AND expires_at > $2
               AND (relay_key IS NULL OR relay_key <> $1)",
            &[&relay_key.as_slice(), &now],
        )?;
        unsigned(row.try_get(0)?, "device count")
    }

    fn device_keys(&self, event_id: Option<&str>) -> StorageResult<Vec<[u8; 32]>> {
        self.client()?
            .query(
                "SELECT device_key FROM devices WHERE $1::TEXT IS NULL OR event_id = $1
                 ORDER BY certified_at, device_key",
                &[&event_id],
            )?
            .iter()
            .map(|row| key32(row.try_get(0)?, "device key"))
            .collect()
    }

    fn device_report(&self, device_key: &[u8; 32]) -> StorageResult<Option<DeviceReport>> {
        self.read(|tx| {
            let Some(record) = read_device(tx, device_key)? else {
                return Ok(None);
            };
            let key = device_key.as_slice();
            let row = tx.query_one(
                "SELECT d.chain_count, d.chain_head, d.last_contact,
                        (SELECT COUNT(*) FROM registrations WHERE device_key = $1),
                        (SELECT COUNT(DISTINCT doc_id) FROM quarantine WHERE device_key = $1),
                        (SELECT COUNT(*) FROM (SELECT doc_id FROM registrations
                                               WHERE device_key = $1
                                               UNION SELECT doc_id FROM quarantine
                                               WHERE device_key = $1) AS received)
                 FROM devices d WHERE d.device_key = $1",
                &[&key],
            )?;
            Ok(Some(DeviceReport {
                record,
                received: unsigned(row.try_get(5)?, "count")?,
                stored: unsigned(row.try_get(3)?, "count")?,
                quarantined: unsigned(row.try_get(4)?, "count")?,
                journal: JournalHead {
                    count: unsigned(row.try_get(0)?, "journal count")?,
                    head: key32(row.try_get(1)?, "chain head")?,
                },
                last_contact: row.try_get(2)?,
            }))
        })
    }

    fn issue_staff_unlock(&self, device_key: &[u8; 32], at: i64) -> StorageResult<Option<u64>> {
        self.write(|tx| {
            // The device row is locked, so a revocation through another instance either
            // comes first (no unlock) or after.
            let staff = tx
                .query_opt(
                    "SELECT 1 FROM devices
                     WHERE device_key = $1 AND role = 'staff' AND revoked_at IS NULL
                     FOR UPDATE",
                    &[&device_key.as_slice()],
                )?
                .is_some();
            if !staff {
                return Ok(None);
            }
            let counter: i64 = tx
                .query_one(
                    "INSERT INTO staff_unlocks (device_key, counter, issued_at) VALUES ($1, 1, $2)
                     ON CONFLICT (device_key) DO UPDATE
                     SET counter = staff_unlocks.counter + 1, issued_at = EXCLUDED.issued_at
                     RETURNING counter",
                    &[&device_key.as_slice(), &at],
                )?
                .try_get(0)?;
            Ok(Some(unsigned(counter, "unlock counter")?))
        })
    }

    fn outstanding_staff_unlock(
        &self,
        device_key: &[u8; 32],
        now: i64,
    ) -> StorageResult<Option<(u64, i64)>> {
        self.client()?
            .query_opt(
                "SELECT counter, issued_at FROM staff_unlocks
                 WHERE device_key = $1 AND issued_at > $2",
                &[&device_key.as_slice(), &(now - UNLOCK_VALID_MS)],
            )?
            .map(|row| {
                Ok((
                    unsigned(row.try_get(0)?, "unlock counter")?,
                    row.try_get(1)?,
                ))
            })
            .transpose()
    }
}

/// Keeps a certificate envelope of `device_key` issued at `issued_at` inside the caller's
/// transaction (the rules of [`DeviceStore::redeem_and_keep_certificate`]).
fn keep_certificate_in(
    tx: &mut impl GenericClient,
    device_key: &[u8; 32],
    issued_at: i64,
    envelope: &[u8],
) -> StorageResult<()> {
    let kept_beyond = crate::storage::model::CERTIFICATES_KEPT_PER_DEVICE as i64 - 1;
    tx.execute(
        "INSERT INTO device_certificates (device_key, issued_at, envelope)
         VALUES ($1, $2, $3) ON CONFLICT (device_key, issued_at) DO NOTHING",
        &[&device_key.as_slice(), &issued_at, &envelope],
    )?;
    // The oldest beyond the bound go (none while fewer are kept: the bound is NULL).
    tx.execute(
        "DELETE FROM device_certificates WHERE device_key = $1 AND issued_at <
             (SELECT issued_at FROM device_certificates WHERE device_key = $1
              ORDER BY issued_at DESC LIMIT 1 OFFSET $2)",
        &[&device_key.as_slice(), &kept_beyond],
    )?;
    Ok(())
}
