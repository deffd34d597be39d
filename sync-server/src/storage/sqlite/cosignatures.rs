//! Witnesses' cosignatures on SQLite (`tlog_cosignatures`, schema step 14): the newest per
//! witness and tree size. What makes a cosignature acceptable is
//! [`crate::witness::intake`]'s.

use kiosk_core::tlog::hash::Hash;
use rusqlite::params;

use crate::storage::model::StoredCosignature;
use crate::storage::{StorageError, StorageResult};

fn signed(value: u64, what: &'static str) -> StorageResult<i64> {
    i64::try_from(value).map_err(|_| StorageError::Undecodable(what))
}

fn unsigned(value: i64, what: &'static str) -> StorageResult<u64> {
    u64::try_from(value).map_err(|_| StorageError::Undecodable(what))
}

fn hash(bytes: Vec<u8>) -> StorageResult<Hash> {
    bytes
        .try_into()
        .map_err(|_| StorageError::Undecodable("cosigned root"))
}

impl crate::storage::traits::CosignatureStore for super::SqliteStore {
    fn store_cosignature(&self, c: &StoredCosignature) -> StorageResult<bool> {
        let (size, time) = (
            signed(c.size, "log size")?,
            signed(c.time, "cosignature time")?,
        );
        let conn = self.conn_first();
        let changed = conn
            .prepare_cached(
                "INSERT INTO tlog_cosignatures (witness, size, root, time, line)
                 VALUES (?1, ?2, ?3, ?4, ?5)
                 ON CONFLICT (witness, size) DO UPDATE
                 SET time = excluded.time, line = excluded.line
                 WHERE excluded.time > tlog_cosignatures.time
                   AND excluded.root = tlog_cosignatures.root",
            )?
            .execute(params![c.witness, size, c.root.as_slice(), time, c.line])?;
        Ok(changed > 0)
    }

    fn cosignatures_of(&self, size: u64, root: &Hash) -> StorageResult<Vec<StoredCosignature>> {
        let size = signed(size, "log size")?;
        self.read(|conn| {
            let mut statement = conn.prepare_cached(
                "SELECT witness, size, root, time, line FROM tlog_cosignatures
                 WHERE size = ?1 AND root = ?2 ORDER BY witness",
            )?;
            let rows = statement
                .query_map(params![size, root.as_slice()], |r| {
                    Ok((
                        r.get::<_, String>(0)?,
                        r.get::<_, i64>(1)?,
                        r.get::<_, Vec<u8>>(2)?,
                        r.get::<_, i64>(3)?,
                        r.get::<_, String>(4)?,
                    ))
                })?
                .collect::<Result<Vec<_>, _>>()?;
            rows.into_iter()
                .map(|(witness, size, root, time, line)| {
                    Ok(StoredCosignature {
                        witness,
                        size: unsigned(size, "log size")?,
                        root: hash(root)?,
                        time: unsigned(time, "cosignature time")?,
                        line,
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
        // One placeholder per witness (a handful, bounded by the configuration).
        let filter = if witnesses.is_empty() {
            String::new()
        } else {
            let marks: Vec<String> = (0..witnesses.len())
                .map(|i| format!("?{}", i + 4))
                .collect();
            format!("AND witness IN ({})", marks.join(", "))
        };
        let sql = format!(
            "SELECT size, root FROM tlog_cosignatures WHERE size <= ?1 {filter}
             GROUP BY size, root HAVING COUNT(DISTINCT witness) >= ?2
             ORDER BY size DESC LIMIT ?3"
        );
        self.read(|conn| {
            let mut statement = conn.prepare(&sql)?;
            let mut values: Vec<&dyn rusqlite::ToSql> = vec![&at_most, &needed, &limit];
            for witness in witnesses {
                values.push(witness);
            }
            let rows = statement
                .query_map(values.as_slice(), |r| {
                    Ok((r.get::<_, i64>(0)?, r.get::<_, Vec<u8>>(1)?))
                })?
                .collect::<Result<Vec<_>, _>>()?;
            rows.into_iter()
                .map(|(size, root)| Ok((unsigned(size, "log size")?, hash(root)?)))
                .collect()
        })
    }
}
