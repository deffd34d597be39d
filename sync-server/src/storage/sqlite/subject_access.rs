//! The reads behind a subject-access request (*registerutdrag*) and a disclosure export for
//! a request for public documents (*begäran om allmän handling*): which registrations an
//! identifier or a list of ids names, each read with its whole document, and the access-log
//! entries the read owes. The read runs on a reader; the store writes what it owes through
//! the writer before it answers (see `SqliteStore::log_reads`).
//!
//! Finding a person: a receipt code goes through the `registrations_by_receipt_code` index.
//! An email address or phone number is matched as a whole word of the registration index's
//! `search` column (`instr(search, ' anna@x.se ')`: the column is the lower-cased name,
//! email, phone and receipt code between single spaces, so the word is bounded on both
//! sides and `hanna@x.se` is not `anna@x.se`), then checked against the document itself.
//! That is a scan of the covering list index, about 25 ms for 100,000 registrations, paid
//! once per request by an archivist; a table of identifiers kept beside the index would make
//! it a lookup, but would be a second copy of every contact detail to keep in step with
//! removals, for a request that is rare.
//!
//! Restricted records (protected personal data) are read only for a caller with the
//! clearance; otherwise they are counted (subject access) or named by id (disclosure), and
//! the attempt at each is logged as `read_refused`, as a refused read by id is.

use kiosk_core::documents::RegistrationDocument;
use rusqlite::{Connection, OptionalExtension, params};

use super::access_log_query;
use super::restricted_inbox;
use crate::rules::subject_match;
use crate::storage::model::{
    AccessAction, AccessEntry, AccessLogQuery, Accessor, AskedRecord, DisclosureItem,
    DisclosureOutcome, DisclosureSelection, HeldRecord, SubjectAccessFound, SubjectLookup,
};
use crate::storage::{StorageError, StorageResult};

/// What a read found, and what it owes: the access-log entries of the records read, and the
/// restricted records withheld from a caller without the clearance (a request for the
/// cleared users, see `restricted_inbox`).
#[derive(Debug)]
pub(crate) struct Owed<T> {
    pub found: T,
    pub entries: Vec<AccessEntry>,
    pub withheld: Vec<String>,
}

/// Records the request that withheld `withheld` for the cleared users, in the caller's
/// (writer's) transaction; records removed since the read are left out, as they would have
/// been had the removal come first.
pub(crate) fn route_withheld(
    conn: &Connection,
    at: i64,
    kind: &str,
    reader: &Accessor,
    withheld: &[String],
) -> StorageResult<()> {
    let mut still_held = Vec::with_capacity(withheld.len());
    for doc_id in withheld {
        if !super::is_removed(conn, doc_id)? {
            still_held.push(doc_id.clone());
        }
    }
    restricted_inbox::route_to_cleared(conn, at, kind, &reader_name(reader), &still_held)
}

/// The stored registration `doc_id` read whole, if the relay holds it.
fn held(conn: &Connection, doc_id: &str) -> StorageResult<Option<HeldRecord>> {
    let row: Option<(String, Vec<u8>, String, i64)> = conn
        .query_row(
            "SELECT event_id, device_key, receipt_code, received_at
             FROM registrations WHERE doc_id = ?1",
            [doc_id],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
        )
        .optional()?;
    let (Some((event_id, device_key, receipt_code, received_at)), Some(stored)) =
        (row, super::stored_registration(conn, doc_id)?)
    else {
        return Ok(None);
    };
    let (_, registration) = RegistrationDocument::load_unattributed(&stored.changes)
        .map_err(|_| StorageError::Undecodable("registration document"))?;
    Ok(Some(HeldRecord {
        doc_id: doc_id.to_owned(),
        event_id,
        device_key: super::key32(device_key, "device key")?,
        receipt_code,
        received_at,
        restricted: stored.restricted,
        changes: stored.changes,
        registration,
        access: Vec::new(),
    }))
}

/// The ids of registrations whose index `search` column holds `word` as a whole word.
fn with_word(conn: &Connection, word: &str) -> StorageResult<Vec<String>> {
    let mut statement =
        conn.prepare_cached("SELECT doc_id FROM registration_index WHERE instr(search, ?1) > 0")?;
    let ids = statement
        .query_map([format!(" {} ", word.to_lowercase())], |r| r.get(0))?
        .collect::<Result<Vec<String>, _>>()?;
    Ok(ids)
}

/// The backend's side of [`subject_match`]: the index's candidates and the records, read
/// in the request's transaction.
struct Lookup<'a>(&'a Connection);

impl subject_match::ContactLookup for Lookup<'_> {
    type Error = StorageError;

    fn with_word(&mut self, word: &str) -> StorageResult<Vec<String>> {
        with_word(self.0, word)
    }

    fn held(&mut self, doc_id: &str) -> StorageResult<Option<HeldRecord>> {
        held(self.0, doc_id)
    }

    fn with_receipt_code(&mut self, code: &str) -> StorageResult<Vec<String>> {
        Ok(self
            .0
            .prepare_cached("SELECT doc_id FROM registrations WHERE receipt_code = ?1")?
            .query_map([code], |r| r.get(0))?
            .collect::<Result<_, _>>()?)
    }
}

/// Every registration `lookup` names (see the module docs), restricted ones read only if
/// `cleared`; owing a `subject_access` entry by `reader` for each record read, and the
/// withheld ones routed to the cleared users. `conn` is one read transaction.
pub(crate) fn subject_access(
    tx: &Connection,
    lookup: &SubjectLookup,
    cleared: bool,
    reader: &Accessor,
    at: i64,
) -> StorageResult<Owed<SubjectAccessFound>> {
    let found = subject_match::find(&mut Lookup(tx), lookup, cleared)?;
    let mut result = SubjectAccessFound::default();
    let mut entries = Vec::new();
    let mut withheld = Vec::new();
    for (doc_id, (mut record, mut by)) in found {
        // Not read, so not logged as read: the request waits for a cleared user instead,
        // and the caller's answer (and the access log they may review) is what it would be
        // had nothing restricted matched.
        if record.restricted && !cleared {
            withheld.push(doc_id);
            continue;
        }
        let query = AccessLogQuery {
            doc_id: Some(doc_id.clone()),
            limit: 10_000,
            ..AccessLogQuery::default()
        };
        record.access = access_log_query::query(tx, &query)?;
        record.access.reverse();
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

/// How a routed request names who asked.
fn reader_name(reader: &Accessor) -> String {
    match reader {
        Accessor::Operator(name) => name.clone(),
        Accessor::Visitor => crate::rules::access_chain::VISITOR_ACTOR.to_owned(),
        Accessor::Device { device_key, .. } => format!("device:{}", hex::encode(device_key)),
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

/// The registrations `selection` names, restricted ones read only if `cleared`; owing a
/// `disclosure` entry by `reader` for each record read, and the withheld ones routed to the
/// cleared users. `conn` is one read transaction.
pub(crate) fn disclosure(
    conn: &Connection,
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
                    AskedRecord::ReceiptCode(code) => conn
                        .query_row(
                            "SELECT doc_id FROM registrations WHERE receipt_code = ?1
                             ORDER BY doc_id LIMIT 1",
                            [code],
                            |r| r.get(0),
                        )
                        .optional()?,
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
            let ids: Vec<String> = conn
                .prepare_cached(
                    "SELECT doc_id FROM registration_index
                     WHERE event_id = ?1 AND captured_at >= ?2 AND captured_at < ?3
                     ORDER BY captured_at, doc_id LIMIT ?4",
                )?
                .query_map(
                    params![event_id, from, before, (*limit as i64).saturating_add(1)],
                    |r| r.get(0),
                )?
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
    let tx = conn;
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
            // record, and the request waits for a cleared user (see `restricted_inbox`).
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
            (None, Some(doc_id)) => {
                let removal: Option<(i64, String)> = tx
                    .query_row(
                        "SELECT removed_at, reason FROM removals WHERE doc_id = ?1",
                        [&doc_id],
                        |r| Ok((r.get(0)?, r.get(1)?)),
                    )
                    .optional()?;
                match removal {
                    Some((removed_at, reason)) => DisclosureItem::Removed {
                        asked: text,
                        removed_at,
                        reason,
                    },
                    None => DisclosureItem::NotHeld { asked: text },
                }
            }
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
