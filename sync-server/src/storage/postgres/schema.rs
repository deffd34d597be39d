//! The PostgreSQL store's schema and its upgrades: the version table, and the ordered steps
//! from each version to the next, each an `.sql` file in `schema/`. No other module creates
//! or alters a table.
//!
//! The version lives in `kiosk_relay_schema` (one row). Every step runs in its own
//! transaction under a transaction-scoped advisory lock, so relay instances starting
//! together against one database upgrade it once: the second waits, re-reads the version
//! and finds the step taken. A database a newer relay upgraded is refused before anything
//! is written to it, naming both versions; so is a database holding tables of another
//! application.
//!
//! PostgreSQL version 1 is the SQLite schema's version 7 translated; the two numberings are
//! independent from here on. Version 3 seals every record's personal fields under a key of
//! its own ([`super::record_keys`]); its step has a Rust part that seals what version 1
//! stored ([`super::seal_existing`]), and the tables it rewrote are then vacuumed full.
//! Version 4 adds the list index's email tags ([`super::email_tags`]), written for the
//! rows before it once an instance starts with the relay's keys, and an index of each
//! status's rows in list order. Version 5 gives tablets the names HR chooses.

use postgres::GenericClient;

use crate::storage::{StorageError, StorageResult};

/// The version this build writes.
pub const CURRENT_VERSION: u32 = 15;

/// One step per version, index 0 making version 1.
const STEPS: [&str; CURRENT_VERSION as usize] = [
    include_str!("schema/0001_base.sql"),
    include_str!("schema/0002_failure_counts_and_jobs.sql"),
    include_str!("schema/0003_record_keys.sql"),
    include_str!("schema/0004_list_indexes.sql"),
    include_str!("schema/0005_device_names.sql"),
    include_str!("schema/0006_device_relay_key.sql"),
    include_str!("schema/0007_blind_index.sql"),
    include_str!("schema/0008_blind_index_retries.sql"),
    include_str!("schema/0009_transparency_log.sql"),
    include_str!("schema/0010_witness_cosignatures.sql"),
    include_str!("schema/0011_visitor_receipt.sql"),
    include_str!("schema/0012_provenance_keeping.sql"),
    include_str!("schema/0013_quarantine_logged.sql"),
    include_str!("schema/0014_record_index_prefix.sql"),
    include_str!("schema/0015_nonce_rules_and_certificate_history.sql"),
];

/// The version whose step seals what earlier versions stored in clear.
const SEALING_VERSION: u32 = 3;

/// The version whose step gives the records held before it their transparency-log leaves.
const TRANSPARENCY_LOG_VERSION: u32 = 9;

/// The version whose step writes on each quarantined copy the nonce rule it was logged
/// under, from the log.
pub(crate) const QUARANTINE_RULE_VERSION: u32 = 15;

/// The advisory lock key every schema step holds ("KRLYSCHM"): relay instances migrate one
/// at a time.
const MIGRATION_LOCK: i64 = 0x4B52_4C59_5343_484D;

/// Reads the version the database is at, refusing (with nothing written) one of another
/// application or one a newer relay wrote. 0 is a new, empty database. `target` names the
/// database in errors (without its password).
pub(crate) fn stored_version(client: &mut impl GenericClient, target: &str) -> StorageResult<u32> {
    let has_version_table: bool = client
        .query_one("SELECT to_regclass('kiosk_relay_schema') IS NOT NULL", &[])?
        .try_get(0)?;
    if !has_version_table {
        let tables: i64 = client
            .query_one(
                "SELECT count(*) FROM pg_catalog.pg_tables
                 WHERE schemaname = current_schema()",
                &[],
            )?
            .try_get(0)?;
        if tables > 0 {
            return Err(StorageError::NotARelayStore {
                path: target.to_owned(),
            });
        }
        return Ok(0);
    }
    let version: Option<i64> = client
        .query_opt("SELECT version FROM kiosk_relay_schema WHERE id = 1", &[])?
        .map(|row| row.try_get(0))
        .transpose()?;
    let Some(version) = version else {
        return Ok(0);
    };
    let version =
        u32::try_from(version).map_err(|_| StorageError::Undecodable("schema version"))?;
    if version > CURRENT_VERSION {
        return Err(StorageError::NewerSchema {
            path: target.to_owned(),
            found: version,
            supported: CURRENT_VERSION,
        });
    }
    Ok(version)
}

/// Brings the database up to [`CURRENT_VERSION`], one transaction per step, after refusing
/// a foreign or newer one.
pub(crate) fn upgrade(client: &mut postgres::Client, target: &str) -> StorageResult<()> {
    upgrade_to(client, target, CURRENT_VERSION)
}

/// Runs the steps after the stored version up to and including `to`.
pub(crate) fn upgrade_to(
    client: &mut postgres::Client,
    target: &str,
    to: u32,
) -> StorageResult<()> {
    let found = stored_version(client, target)?;
    let mut sealed_existing = false;
    for version in found + 1..=to {
        let mut tx = client.transaction()?;
        tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])?;
        // Another instance may have taken this step while this one waited for the lock.
        if stored_version(&mut tx, target)? >= version {
            continue;
        }
        tx.batch_execute(
            "CREATE TABLE IF NOT EXISTS kiosk_relay_schema (
                 id      BIGINT PRIMARY KEY CHECK (id = 1),
                 version BIGINT NOT NULL
             )",
        )?;
        tx.batch_execute(STEPS[version as usize - 1])?;
        if version == SEALING_VERSION {
            super::seal_existing::seal_existing(&mut tx)?;
            // A new database has no clear rows to rewrite away.
            sealed_existing = found > 0;
        }
        if version == TRANSPARENCY_LOG_VERSION {
            super::tlog::backfill(&mut tx)?;
        }
        if version == QUARANTINE_RULE_VERSION {
            super::tlog::rule_existing_copies(&mut tx)?;
        }
        tx.execute(
            "INSERT INTO kiosk_relay_schema (id, version) VALUES (1, $1)
             ON CONFLICT (id) DO UPDATE SET version = EXCLUDED.version",
            &[&i64::from(version)],
        )?;
        tx.commit()?;
    }
    if sealed_existing {
        super::seal_existing::vacuum_full(client)?;
    }
    Ok(())
}
