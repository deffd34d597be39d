//! Witnesses' cosignatures on PostgreSQL (`tlog_cosignatures`, schema 0010): the newest per
//! witness and tree size. What makes a cosignature acceptable is
//! [`crate::witness::intake`]'s.

use kiosk_core::tlog::hash::Hash;
use postgres::types::Type;

use super::PgStore;
use super::rows::signed;
use crate::storage::model::StoredCosignature;
use crate::storage::{StorageError, StorageResult};

fn unsigned(value: i64, what: &'static str) -> StorageResult<u64> {
    u64::try_from(value).map_err(|_| StorageError::Undecodable(what))
}

fn hash(bytes: Vec<u8>) -> StorageResult<Hash> {
    bytes
        .try_into()
        .map_err(|_| StorageError::Undecodable("cosigned root"))
}

impl crate::storage::traits::CosignatureStore for PgStore {
    fn store_cosignature(&self, c: &StoredCosignature) -> StorageResult<bool> {
        let (size, time) = (
            signed(c.size, "log size")?,
            signed(c.time, "cosignature time")?,
        );
        let root = c.root.to_vec();
        self.write(|tx| {
            let changed = tx.execute(
                "INSERT INTO tlog_cosignatures (witness, size, root, time, line)
                 VALUES ($1, $2, $3, $4, $5)
                 ON CONFLICT (witness, size) DO UPDATE
                 SET time = excluded.time, line = excluded.line
                 WHERE excluded.time > tlog_cosignatures.time
                   AND excluded.root = tlog_cosignatures.root",
                &[&c.witness, &size, &root, &time, &c.line],
            )?;
            Ok(changed > 0)
        })
    }

    fn cosignatures_of(&self, size: u64, root: &Hash) -> StorageResult<Vec<StoredCosignature>> {
        let size = signed(size, "log size")?;
        let root = root.to_vec();
        self.read(|tx| {
            tx.query_typed(
                "SELECT witness, size, root, time, line FROM tlog_cosignatures
                 WHERE size = $1 AND root = $2 ORDER BY witness",
                &[(&size, Type::INT8), (&root, Type::BYTEA)],
            )?
            .iter()
            .map(|row| {
                Ok(StoredCosignature {
                    witness: row.try_get(0)?,
                    size: unsigned(row.try_get(1)?, "log size")?,
                    root: hash(row.try_get(2)?)?,
                    time: unsigned(row.try_get(3)?, "cosignature time")?,
                    line: row.try_get(4)?,
                })
            })
            .collect()
        })
    }

    fn cosigned_by_all(
        &self,
        at_most: u64,
        witnesses: &[String],
        limit: usize,
    ) -> StorageResult<Vec<(u64, Hash)>> {
        let at_most = signed(at_most.min(i64::MAX as u64), "log size")?;
        let limit = signed(limit as u64, "limit")?;
        let needed = signed(witnesses.len().max(1) as u64, "witness count")?;
        let any = witnesses.is_empty();
        let witnesses = witnesses.to_vec();
        self.read(|tx| {
            tx.query_typed(
                "SELECT size, root FROM tlog_cosignatures
                 WHERE size <= $1 AND ($4 OR witness = ANY($5))
                 GROUP BY size, root HAVING COUNT(DISTINCT witness) >= $2
                 ORDER BY size DESC LIMIT $3",
                &[
                    (&at_most, Type::INT8),
                    (&needed, Type::INT8),
                    (&limit, Type::INT8),
                    (&any, Type::BOOL),
                    (&witnesses, Type::TEXT_ARRAY),
                ],
            )?
            .iter()
            .map(|row| {
                Ok((
                    unsigned(row.try_get(0)?, "log size")?,
                    hash(row.try_get(1)?)?,
                ))
            })
            .collect()
        })
    }
}
