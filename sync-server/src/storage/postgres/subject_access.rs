//! Subject access (*registerutdrag*) and disclosure (*begäran om allmän handling*) on
//! PostgreSQL: which registrations an identifier or a list of ids names, each read whole,
//! then the access-log entries the read owes and the withheld restricted records routed to
//! the cleared users, written before the answer. How a person is found (a receipt code,
//! or an email or phone as a whole word of the list index's `search` column, checked
//! against the document) and why restricted records are withheld is the SQLite store's
//! `subject_access.rs`'s module doc; this is the same on PostgreSQL's SQL.
//!
//! The read is one REPEATABLE READ transaction; the log is a second, write transaction.
//! A record removed between the two is left out of the answer and the log, as it would be
//! had the removal come first.

use std::collections::HashSet;

use kiosk_core::documents::RegistrationDocument;
use postgres::Transaction;

use crate::storage::model::{
    AccessAction, AccessEntry, Accessor, AskedRecord, DisclosureItem, DisclosureOutcome,
    DisclosureSelection, HeldRecord, SubjectAccessFound, SubjectLookup,
};
use crate::storage::traits::LifecycleStore;
use crate::storage::{StorageError, StorageResult};

use super::PgStore;
use super::access_log;
use super::email_tags::{self, EmailTags};
use super::record_keys::stored_key;
use super::record_seal::Field;
use super::rows::key32;
use super::stored_records::stored_registration;
use crate::rules::subject_match;

/// The most access-log entries shown with one record in a subject-access answer.
const ACCESS_SHOWN: i64 = 10_000;

/// What a read found, and what it owes.
struct Owed<T> {
    found: T,
    entries: Vec<AccessEntry>,
    withheld: Vec<String>,
}

/// The stored registration `doc_id` read whole, if the relay holds it.
fn held(tx: &mut Transaction<'_>, doc_id: &str) -> StorageResult<Option<HeldRecord>> {
    let Some(row) = tx.query_opt(
        "SELECT event_id, device_key, receipt_code, received_at, restricted
         FROM registrations WHERE doc_id = $1",
        &[&doc_id],
    )?
    else {
        return Ok(None);
    };
    let Some(changes) = stored_registration(tx, doc_id)?.map(|stored| stored.changes) else {
        return Ok(None);
    };
    let (_, registration) = RegistrationDocument::load_unattributed(&changes)
        .map_err(|_| StorageError::Undecodable("registration document"))?;
    Ok(Some(HeldRecord {
        doc_id: doc_id.to_owned(),
        event_id: row.try_get(0)?,
        device_key: key32(row.try_get(1)?, "device key")?,
        receipt_code: row.try_get(2)?,
        received_at: row.try_get(3)?,
        restricted: row.try_get(4)?,
        changes,
        registration,
        access: Vec::new(),
    }))
}

/// The ids of registrations whose index `search` column holds `word` as a whole word. The
/// column is sealed ([`super::record_keys`]): every row is opened and matched here, a
/// chunk at a time, with only the matches kept. A subject access must find every record
/// of the person, so it has no bound but the table's size (it is rare, and measured with
/// the list search in the README).
pub(super) fn with_word(tx: &mut Transaction<'_>, word: &str) -> StorageResult<Vec<String>> {
    const CHUNK: i64 = 2_000;
    let needle = format!(" {} ", word.to_lowercase());
    let mut found = Vec::new();
    let mut after = String::new();
    loop {
        let rows = tx.query(
            "SELECT i.doc_id, i.search, k.key
             FROM registration_index i LEFT JOIN record_keys k ON k.doc_id = i.doc_id
             WHERE i.doc_id > $1 ORDER BY i.doc_id LIMIT $2",
            &[&after, &CHUNK],
        )?;
        for row in &rows {
            let doc_id: &str = row.try_get(0)?;
            let key = stored_key(row.try_get(2)?)?;
            let search = key.open(doc_id, Field::Search, row.try_get(1)?)?;
            if search
                .windows(needle.len())
                .any(|window| window == needle.as_bytes())
            {
                found.push(doc_id.to_owned());
            }
        }
        match rows.last() {
            Some(last) if rows.len() as i64 == CHUNK => after = last.try_get(0)?,
            _ => return Ok(found),
        }
    }
}

/// The backend's side of [`subject_match`]: the index's candidates and the records, read
/// in the request's transaction; an email address's by its tag while every row is tagged
/// ([`super::email_tags`]), which proposes exactly the rows whose listing gives that address.
struct Lookup<'a, 'b>(&'a mut Transaction<'b>, EmailTags);

impl subject_match::ContactLookup for Lookup<'_, '_> {
    type Error = StorageError;

    fn with_word(&mut self, word: &str) -> StorageResult<Vec<String>> {
        let address = word.trim().to_lowercase();
        if address.contains('@')
            && let Some(tag) = self.1.tag(&address)
            && email_tags::usable(self.0, self.1)?
        {
            return Ok(self
                .0
                .query(
                    "SELECT doc_id FROM registration_index WHERE email_tag = $1",
                    &[&tag],
                )?
                .iter()
                .map(|row| row.try_get(0))
                .collect::<Result<_, _>>()?);
        }
        with_word(self.0, word)
    }

    fn held(&mut self, doc_id: &str) -> StorageResult<Option<HeldRecord>> {
        held(self.0, doc_id)
    }

    fn with_receipt_code(&mut self, code: &str) -> StorageResult<Vec<String>> {
        Ok(self
            .0
            .query(
                "SELECT doc_id FROM registrations WHERE receipt_code = $1",
                &[&code],
            )?
            .iter()
            .map(|row| row.try_get(0))
            .collect::<Result<_, _>>()?)
    }
}

fn entry(at: i64, reader: &Accessor, action: AccessAction, doc_id: String) -> AccessEntry {
    AccessEntry {
        at,
        accessor: reader.clone(),
        action,
        doc_id,
    }
}

/// How a routed request names who asked.
fn reader_name(reader: &Accessor) -> String {
    match reader {
        Accessor::Operator(name) => name.clone(),
        Accessor::Visitor => crate::rules::access_chain::VISITOR_ACTOR.to_owned(),
        Accessor::Device { device_key, .. } => format!("device:{}", hex::encode(device_key)),
    }
}

fn read_subject_access(
    tx: &mut Transaction<'_>,
    tags: EmailTags,
    lookup: &SubjectLookup,
    cleared: bool,
    reader: &Accessor,
    at: i64,
) -> StorageResult<Owed<SubjectAccessFound>> {
    let found = subject_match::find(&mut Lookup(tx, tags), lookup, cleared)?;
    let mut result = SubjectAccessFound::default();
    let mut entries = Vec::new();
    let mut withheld = Vec::new();
    for (doc_id, (mut record, mut by)) in found {
        // Not read, so not logged as read: the request waits for a cleared user.
        if record.restricted && !cleared {
            withheld.push(doc_id);
            continue;
        }
        record.access = access_log::entries_about(tx, &doc_id, ACCESS_SHOWN)?;
        by.sort();
        entries.push(entry(at, reader, AccessAction::SubjectAccess, doc_id));
        result.records.push((record, by));
    }
    result.records.sort_by(|a, b| {
        (a.0.registration.captured_at.millis(), &a.0.doc_id)
            .cmp(&(b.0.registration.captured_at.millis(), &b.0.doc_id))
    });
    Ok(Owed {
        found: result,
        entries,
        withheld,
    })
}

fn read_disclosure(
    tx: &mut Transaction<'_>,
    selection: &DisclosureSelection,
    cleared: bool,
    reader: &Accessor,
    at: i64,
) -> StorageResult<Owed<DisclosureOutcome>> {
    let asked: Vec<(String, Option<String>)> = match selection {
        DisclosureSelection::Records(asked) => {
            let mut ids = Vec::with_capacity(asked.len());
            for one in asked {
                let doc_id = match one {
                    AskedRecord::Id(id) => Some(id.clone()),
                    AskedRecord::ReceiptCode(code) => tx
                        .query_opt(
                            "SELECT doc_id FROM registrations WHERE receipt_code = $1
                             ORDER BY doc_id LIMIT 1",
                            &[code],
                        )?
                        .map(|row| row.try_get(0))
                        .transpose()?,
                };
                ids.push((one.text().to_owned(), doc_id));
            }
            ids
        }
        DisclosureSelection::Event {
            event_id,
            from,
            before,
            limit,
        } => {
            let ids: Vec<String> = tx
                .query(
                    "SELECT doc_id FROM registration_index
                     WHERE event_id = $1 AND captured_at >= $2 AND captured_at < $3
                     ORDER BY captured_at, doc_id LIMIT $4",
                    &[
                        event_id,
                        from,
                        before,
                        &i64::try_from(*limit).unwrap_or(i64::MAX).saturating_add(1),
                    ],
                )?
                .iter()
                .map(|row| row.try_get(0))
                .collect::<Result<_, _>>()?;
            if ids.len() > *limit {
                return Ok(Owed {
                    found: DisclosureOutcome::TooMany,
                    entries: Vec::new(),
                    withheld: Vec::new(),
                });
            }
            ids.into_iter().map(|id| (id.clone(), Some(id))).collect()
        }
    };
    let mut items = Vec::with_capacity(asked.len());
    let mut entries = Vec::new();
    let mut withheld = Vec::new();
    for (text, doc_id) in asked {
        let record = match &doc_id {
            Some(doc_id) => held(tx, doc_id)?,
            None => None,
        };
        let item = match (record, doc_id) {
            // A caller without the clearance is answered as if the relay held no such
            // record, and the request waits for a cleared user.
            (Some(record), _) if record.restricted && !cleared => {
                withheld.push(record.doc_id);
                match selection {
                    DisclosureSelection::Records(_) => DisclosureItem::NotHeld { asked: text },
                    DisclosureSelection::Event { .. } => continue,
                }
            }
            (Some(record), _) => {
                entries.push(entry(
                    at,
                    reader,
                    AccessAction::Disclosure,
                    record.doc_id.clone(),
                ));
                DisclosureItem::Held {
                    asked: text,
                    record: Box::new(record),
                }
            }
            (None, Some(doc_id)) => match tx.query_opt(
                "SELECT removed_at, reason FROM removals WHERE doc_id = $1",
                &[&doc_id],
            )? {
                Some(row) => DisclosureItem::Removed {
                    asked: text,
                    removed_at: row.try_get(0)?,
                    reason: row.try_get(1)?,
                },
                None => DisclosureItem::NotHeld { asked: text },
            },
            (None, None) => DisclosureItem::NotHeld { asked: text },
        };
        items.push(item);
    }
    Ok(Owed {
        found: DisclosureOutcome::Items(items),
        entries,
        withheld,
    })
}

/// Writes what a read owes in one transaction: its access-log entries and the request
/// routed to the cleared users for what it withheld (`kind`), leaving out records removed
/// since the read, which it returns.
fn log_owed<T>(
    store: &PgStore,
    owed: &Owed<T>,
    kind: &str,
    reader: &Accessor,
    at: i64,
) -> StorageResult<HashSet<String>> {
    if owed.entries.is_empty() && owed.withheld.is_empty() {
        return Ok(HashSet::new());
    }
    let mut named: Vec<&str> = owed
        .entries
        .iter()
        .map(|entry| entry.doc_id.as_str())
        .chain(owed.withheld.iter().map(String::as_str))
        .collect();
    named.sort_unstable();
    named.dedup();
    store.write(|tx| {
        // A removal under way holds its record's row: waited for here, so a record it
        // removes is found removed below, as it would be on SQLite's one writer. In key
        // order, as a retention batch locks its records, so the two cannot deadlock.
        tx.query(
            "SELECT doc_id FROM registrations WHERE doc_id = ANY($1)
             ORDER BY doc_id FOR KEY SHARE",
            &[&named],
        )?;
        let mut removed = HashSet::new();
        for doc_id in &named {
            let gone: bool = tx
                .query_one(
                    "SELECT EXISTS (SELECT 1 FROM removals WHERE doc_id = $1)",
                    &[doc_id],
                )?
                .try_get(0)?;
            if gone {
                removed.insert((*doc_id).to_owned());
            }
        }
        let kept: Vec<AccessEntry> = owed
            .entries
            .iter()
            .filter(|entry| !removed.contains(&entry.doc_id))
            .cloned()
            .collect();
        access_log::append(tx, &kept)?;
        let still_held: Vec<&str> = owed
            .withheld
            .iter()
            .filter(|doc_id| !removed.contains(*doc_id))
            .map(String::as_str)
            .collect();
        if !still_held.is_empty() {
            tx.execute(
                "INSERT INTO restricted_requests (at, kind, requested_by, doc_ids)
                 VALUES ($1, $2, $3, $4)",
                &[&at, &kind, &reader_name(reader), &still_held.join(",")],
            )?;
        }
        Ok(removed)
    })
}

pub(super) fn subject_access(
    store: &PgStore,
    lookup: &SubjectLookup,
    cleared: bool,
    reader: &Accessor,
    at: i64,
) -> StorageResult<SubjectAccessFound> {
    let owed = store
        .read(|tx| read_subject_access(tx, store.email_tags(), lookup, cleared, reader, at))?;
    let removed = log_owed(store, &owed, "subject_access", reader, at)?;
    let mut found = owed.found;
    // Removed since the read: left out, as a record removed before it would be.
    found
        .records
        .retain(|(record, _)| !removed.contains(&record.doc_id));
    Ok(found)
}

pub(super) fn disclosure(
    store: &PgStore,
    selection: &DisclosureSelection,
    cleared: bool,
    reader: &Accessor,
    at: i64,
) -> StorageResult<DisclosureOutcome> {
    let owed = store.read(|tx| read_disclosure(tx, selection, cleared, reader, at))?;
    let removed = log_owed(store, &owed, "disclosure", reader, at)?;
    let DisclosureOutcome::Items(items) = owed.found else {
        return Ok(owed.found);
    };
    // Removed since the read: answered as a record removed before it would be (by its
    // removal record when asked for by name; left out of an event's range).
    let mut answered = Vec::with_capacity(items.len());
    for item in items {
        match item {
            DisclosureItem::Held { asked, record } if removed.contains(&record.doc_id) => {
                if let DisclosureSelection::Records(_) = selection {
                    answered.push(match store.removal(&record.doc_id)? {
                        Some(removal) => DisclosureItem::Removed {
                            asked,
                            removed_at: removal.removed_at,
                            reason: removal.reason,
                        },
                        None => DisclosureItem::NotHeld { asked },
                    });
                }
            }
            other => answered.push(other),
        }
    }
    Ok(DisclosureOutcome::Items(answered))
}
