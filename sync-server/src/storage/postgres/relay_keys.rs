//! Which relay keys a PostgreSQL database's instances share: the first instance to open the
//! database records the public halves of its keys, and every later one compares its own
//! with them (see [`crate::keys::RelayKeys::for_shared_store`]).

use crate::storage::StorageResult;
use crate::storage::model::RelayKeyIds;

use super::PgStore;
use super::rows::key32;

impl PgStore {
    /// The keys recorded for this database, if an instance opened it with keys before.
    pub fn bound_relay_keys(&self) -> StorageResult<Option<RelayKeyIds>> {
        let row = self.client()?.query_opt(
            "SELECT signing_public, sealing_key_id FROM relay_keys WHERE id = 1",
            &[],
        )?;
        row.map(|row| -> StorageResult<RelayKeyIds> {
            Ok(RelayKeyIds {
                signing_public: key32(row.try_get(0)?, "relay keys")?,
                sealing_key_id: row.try_get(1)?,
            })
        })
        .transpose()
    }

    /// Records `ids` as this database's keys unless keys are recorded already, and returns
    /// the keys recorded: `ids` themselves, or another instance's (then this one must not
    /// serve). Two instances binding at once record one of them.
    pub fn bind_relay_keys(&self, ids: &RelayKeyIds) -> StorageResult<RelayKeyIds> {
        // The no-op update makes the conflicting row come back too: one statement answers
        // whichever keys are recorded.
        let row = self.client()?.query_one(
            "INSERT INTO relay_keys (id, signing_public, sealing_key_id) VALUES (1, $1, $2)
             ON CONFLICT (id) DO UPDATE SET id = relay_keys.id
             RETURNING signing_public, sealing_key_id",
            &[&ids.signing_public.as_slice(), &ids.sealing_key_id],
        )?;
        Ok(RelayKeyIds {
            signing_public: key32(row.try_get(0)?, "relay keys")?,
            sealing_key_id: row.try_get(1)?,
        })
    }

    /// Moves the recorded keys from `from` to `to` (an instance started with a rotated ring
    /// whose previous keys are the recorded ones), and returns the keys recorded afterwards.
    /// Instances still holding only `from` are refused from then on.
    pub fn rebind_relay_keys(
        &self,
        from: &RelayKeyIds,
        to: &RelayKeyIds,
    ) -> StorageResult<Option<RelayKeyIds>> {
        self.client()?.execute(
            "UPDATE relay_keys SET signing_public = $3, sealing_key_id = $4
             WHERE id = 1 AND signing_public = $1 AND sealing_key_id = $2",
            &[
                &from.signing_public.as_slice(),
                &from.sealing_key_id,
                &to.signing_public.as_slice(),
                &to.sealing_key_id,
            ],
        )?;
        self.bound_relay_keys()
    }
}
