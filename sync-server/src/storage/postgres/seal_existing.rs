//! The Rust part of schema version 3 ([`super::schema`]): seals what a version-1 database
//! stored in clear, inside the step's transaction (all of it or none). Every record id that
//! has a row gets a new key; then each table's personal column is read a chunk at a time
//! (by key, so memory stays bounded), sealed, and written back with one statement per
//! chunk. The old clear rows are dead tuples when the step commits: [`vacuum_full`] then
//! rewrites the tables so their files no longer hold them (the WAL written before, and any
//! archive or backup of it, still does: see the README).

use std::collections::HashMap;

use postgres::{Client, Transaction};

use super::record_seal::{Field, RecordKey};
use crate::storage::{StorageError, StorageResult};

/// Rows read and written per statement.
const CHUNK: i64 = 500;

/// Seals every stored record's personal fields under new record keys.
pub(super) fn seal_existing(tx: &mut Transaction<'_>) -> StorageResult<()> {
    let keys = make_keys(tx)?;
    let key = |doc_id: &str| {
        keys.get(doc_id)
            .ok_or(StorageError::Undecodable("record key"))
    };
    // registrations.document, by doc_id.
    let mut after = String::new();
    loop {
        let rows = tx.query(
            "SELECT doc_id, document FROM registrations WHERE doc_id > $1
             ORDER BY doc_id LIMIT $2",
            &[&after, &CHUNK],
        )?;
        let mut ids = Vec::with_capacity(rows.len());
        let mut sealed = Vec::with_capacity(rows.len());
        for row in &rows {
            let doc_id: String = row.try_get(0)?;
            sealed.push(key(&doc_id)?.seal(&doc_id, Field::Document, row.try_get(1)?));
            ids.push(doc_id);
        }
        tx.execute(
            "UPDATE registrations r SET document = s.document
             FROM unnest($1::text[], $2::bytea[]) AS s(doc_id, document)
             WHERE r.doc_id = s.doc_id",
            &[&ids, &sealed],
        )?;
        match ids.pop() {
            Some(last) if rows.len() as i64 == CHUNK => after = last,
            _ => break,
        }
    }
    // registration_changes.change and quarantine.payload, by their serial ids.
    for (table, column) in [
        ("registration_changes", "change"),
        ("quarantine", "payload"),
    ] {
        let mut after = 0i64;
        loop {
            let rows = tx.query(
                &format!(
                    "SELECT id, doc_id, {column}, {hash} FROM {table}
                     WHERE id > $1 AND {column} IS NOT NULL ORDER BY id LIMIT $2",
                    hash = if table == "quarantine" {
                        "NULL::bytea"
                    } else {
                        "hash"
                    }
                ),
                &[&after, &CHUNK],
            )?;
            let mut ids = Vec::with_capacity(rows.len());
            let mut sealed = Vec::with_capacity(rows.len());
            for row in &rows {
                let doc_id: &str = row.try_get(1)?;
                let field = match row.try_get::<_, Option<&[u8]>>(3)? {
                    Some(hash) => Field::Change(hash),
                    None => Field::QuarantinePayload,
                };
                sealed.push(key(doc_id)?.seal(doc_id, field, row.try_get(2)?));
                ids.push(row.try_get::<_, i64>(0)?);
            }
            tx.execute(
                &format!(
                    "UPDATE {table} t SET {column} = s.sealed
                     FROM unnest($1::bigint[], $2::bytea[]) AS s(id, sealed)
                     WHERE t.id = s.id"
                ),
                &[&ids, &sealed],
            )?;
            match ids.last() {
                Some(&last) if rows.len() as i64 == CHUNK => after = last,
                _ => break,
            }
        }
    }
    // registration_index: names and search text (their text's bytes since the step's SQL).
    let mut after = String::new();
    loop {
        let rows = tx.query(
            "SELECT doc_id, given_name, family_name, search FROM registration_index
             WHERE doc_id > $1 ORDER BY doc_id LIMIT $2",
            &[&after, &CHUNK],
        )?;
        let mut ids = Vec::with_capacity(rows.len());
        let mut sealed: [Vec<Vec<u8>>; 3] = Default::default();
        for row in &rows {
            let doc_id: String = row.try_get(0)?;
            let key = key(&doc_id)?;
            for (n, field) in [Field::GivenName, Field::FamilyName, Field::Search]
                .into_iter()
                .enumerate()
            {
                sealed[n].push(key.seal(&doc_id, field, row.try_get(n + 1)?));
            }
            ids.push(doc_id);
        }
        tx.execute(
            "UPDATE registration_index i
             SET given_name = s.given_name, family_name = s.family_name, search = s.search
             FROM unnest($1::text[], $2::bytea[], $3::bytea[], $4::bytea[])
                  AS s(doc_id, given_name, family_name, search)
             WHERE i.doc_id = s.doc_id",
            &[&ids, &sealed[0], &sealed[1], &sealed[2]],
        )?;
        match ids.pop() {
            Some(last) if rows.len() as i64 == CHUNK => after = last,
            _ => break,
        }
    }
    Ok(())
}

/// A new key for every record id any sealed table names, stored in `record_keys`.
fn make_keys(tx: &mut Transaction<'_>) -> StorageResult<HashMap<String, RecordKey>> {
    let ids: Vec<String> = tx
        .query(
            "SELECT doc_id FROM registrations UNION SELECT doc_id FROM registration_changes
             UNION SELECT doc_id FROM quarantine UNION SELECT doc_id FROM registration_index",
            &[],
        )?
        .iter()
        .map(|row| row.try_get(0))
        .collect::<Result<_, _>>()?;
    let mut keys = HashMap::with_capacity(ids.len());
    for chunk in ids.chunks(CHUNK as usize) {
        let chunk: Vec<&str> = chunk.iter().map(String::as_str).collect();
        keys.extend(super::record_keys::keys_for_write(tx, &chunk)?);
    }
    Ok(keys)
}

/// Rewrites the tables [`seal_existing`] sealed, after its step committed: VACUUM FULL
/// writes each into a new file holding only its live (sealed) rows and unlinks the old
/// one, so the clear rows the step left as dead tuples are gone from the database's files.
/// It locks each table while it runs: done once, when a relay first opens the upgraded
/// database, before it serves.
pub(super) fn vacuum_full(client: &mut Client) -> StorageResult<()> {
    client.batch_execute(
        "VACUUM FULL registrations, registration_changes, quarantine, registration_index",
    )?;
    Ok(())
}
