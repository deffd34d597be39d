//! What HR's lists and searches read: one row per stored registration with the fields a
//! list filters and shows. Every write keeps it current in its own transaction: a stored
//! capture (ingest, an accepted quarantined one), a staff tablet's or an HR user's edit, a
//! withdrawal; a removal erases the row with the record, so the index never outlives the
//! record it copies. No list ever indexes: a store written by an older build, which
//! indexed at the first list, catches up at open in bounded transactions ([`catch_up`]).

use rusqlite::{Connection, OptionalExtension, params};

use crate::rules::exact_search::{self, ExactSearch};
use crate::storage::StorageResult;
use crate::storage::model::{
    ExportPage, ExportedRegistration, ListOrder, RegistrationFilter, RegistrationSummary,
};

/// A registration's list fields (see [`crate::storage::RegistrationListing`]).
pub(crate) type Listing = crate::storage::RegistrationListing;

/// Writes (or rewrites) the index row of `doc_id` from `listing`, inside the caller's write
/// transaction.
pub(crate) fn write_listing(
    conn: &Connection,
    doc_id: &str,
    receipt_code: &str,
    listing: &Listing,
) -> StorageResult<()> {
    let search = format!("{} {}", listing.search, receipt_code.to_lowercase());
    conn.prepare_cached(
        "INSERT INTO registration_index (doc_id, event_id, captured_at, restricted, talent_pool,
                                         status, interests, locations, receipt_code,
                                         given_name, family_name, search, email)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)
         ON CONFLICT (doc_id) DO UPDATE SET
             status = excluded.status, restricted = excluded.restricted,
             talent_pool = excluded.talent_pool, search = excluded.search,
             email = excluded.email",
    )?
    .execute(params![
        doc_id,
        listing.event_id,
        listing.captured_at,
        listing.restricted,
        listing.talent_pool_consent && super::retention::withdrawn_at(conn, doc_id)?.is_none(),
        listing.status,
        listing.interests,
        listing.locations,
        receipt_code,
        listing.given_name,
        listing.family_name,
        search,
        listing.email
    ])?;
    Ok(())
}

/// Re-indexes `doc_id` from what the store holds of it now (its row goes if it holds
/// nothing), inside the caller's write transaction: for the writes that change a stored
/// record (a staff tablet's or an HR user's edit).
pub(crate) fn index_one(conn: &Connection, doc_id: &str) -> StorageResult<()> {
    let receipt_code: Option<String> = conn
        .query_row(
            "SELECT receipt_code FROM registrations WHERE doc_id = ?1",
            [doc_id],
            |r| r.get(0),
        )
        .optional()?;
    let stored = super::stored_registration(conn, doc_id)?;
    let (Some(receipt_code), Some(stored)) = (receipt_code, stored) else {
        conn.execute("DELETE FROM registration_index WHERE doc_id = ?1", [doc_id])?;
        return Ok(());
    };
    if let Some(listing) = Listing::read(doc_id, &stored.changes) {
        write_listing(conn, doc_id, &receipt_code, &listing)?;
    }
    Ok(())
}

/// Records that every change numbered up to `commit_seq` is indexed: each write that adds
/// changes indexes them in its own transaction and says so here, so the catch-up at open
/// ([`catch_up`]) finds nothing left to do.
pub(crate) fn indexed_through(conn: &Connection, commit_seq: i64) -> StorageResult<()> {
    conn.prepare_cached(
        "INSERT INTO registration_index_state (id, watermark) VALUES (1, ?1)
         ON CONFLICT (id) DO UPDATE SET watermark = max(watermark, excluded.watermark)",
    )?
    .execute([commit_seq])?;
    Ok(())
}

/// At most about this many changes are indexed per transaction when a store catches up.
pub(crate) const CATCH_UP_BATCH: usize = 1_000;

/// Indexes what the change log numbered past the index's watermark, whole commits at a
/// time, in transactions of about `batch` changes each: the backlog of a store written by a
/// build that indexed at the first list instead of at each write. Run at open; returns the
/// registrations indexed. A store kept current has nothing past its watermark, and this
/// costs two lookups.
pub(crate) fn catch_up(conn: &mut Connection, batch: usize) -> StorageResult<u64> {
    let mut indexed = 0;
    loop {
        let tx = conn.transaction()?;
        let watermark: i64 = tx
            .query_row(
                "SELECT watermark FROM registration_index_state WHERE id = 1",
                [],
                |r| r.get(0),
            )
            .optional()?
            .unwrap_or(-1);
        let newest: i64 = tx.query_row(
            "SELECT COALESCE(MAX(commit_seq), -1) FROM registration_changes",
            [],
            |r| r.get(0),
        )?;
        // Where this round ends: the commit of the `batch`-th change past the watermark, so
        // a commit is never split between rounds.
        let through: i64 = tx
            .query_row(
                "SELECT commit_seq FROM registration_changes WHERE commit_seq > ?1
                 ORDER BY commit_seq LIMIT 1 OFFSET ?2",
                params![watermark, batch.max(1) as i64 - 1],
                |r| r.get(0),
            )
            .optional()?
            .unwrap_or(newest);
        if through > watermark {
            let changed: Vec<String> = tx
                .prepare(
                    "SELECT DISTINCT doc_id FROM registration_changes
                     WHERE commit_seq > ?1 AND commit_seq <= ?2",
                )?
                .query_map([watermark, through], |r| r.get(0))?
                .collect::<Result<_, _>>()?;
            for doc_id in &changed {
                index_one(&tx, doc_id)?;
            }
            indexed += changed.len() as u64;
        }
        let last = through >= newest;
        // Removals take numbers from the same counter: a removal erases its index row in
        // its own transaction, and this drops any row an older build left behind.
        tx.execute(
            "DELETE FROM registration_index
             WHERE doc_id IN (SELECT doc_id FROM removals WHERE commit_seq > ?1
                                                          AND (?3 OR commit_seq <= ?2))",
            params![watermark, through, last],
        )?;
        if through > watermark {
            indexed_through(&tx, through)?;
        }
        tx.commit()?;
        if last {
            return Ok(indexed);
        }
    }
}

/// Captures' [`Listing`]s read before their ingest took the writer, by document id and
/// change hashes (two tablets may push different bytes under one id). Entries live only
/// while their request is under way ([`ListingsAhead::read_ahead`]).
pub(crate) struct ListingsAhead {
    ahead: std::sync::Mutex<Ahead>,
    /// Requests reading their documents now, at most one per core: reading is CPU alone,
    /// and fifty tablets' requests reading at once would only make every other thread
    /// (an HR list, the writer) wait for a core.
    reading: std::sync::Mutex<usize>,
    read: std::sync::Condvar,
    cores: usize,
}

/// Listings by document id, each with the change hashes of the bytes it was read from.
type Ahead = std::collections::HashMap<String, (Vec<[u8; 32]>, Listing)>;

impl std::fmt::Debug for ListingsAhead {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ListingsAhead").finish_non_exhaustive()
    }
}

/// The entries one request put ahead, taken back out when it ends (stored or not).
pub(crate) struct ReadAhead<'a> {
    listings: &'a ListingsAhead,
    keys: Vec<(String, Vec<[u8; 32]>)>,
}

impl ListingsAhead {
    pub(crate) fn new() -> ListingsAhead {
        ListingsAhead {
            ahead: std::sync::Mutex::default(),
            reading: std::sync::Mutex::new(0),
            read: std::sync::Condvar::new(),
            cores: std::thread::available_parallelism().map_or(1, std::num::NonZero::get),
        }
    }

    /// Runs `read` once fewer than one request per core is reading.
    fn one_per_core<T>(&self, read: impl FnOnce() -> T) -> T {
        let mut reading = self
            .reading
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        while *reading >= self.cores {
            reading = self
                .read
                .wait(reading)
                .unwrap_or_else(std::sync::PoisonError::into_inner);
        }
        *reading += 1;
        drop(reading);
        // Given back even if reading panics.
        struct Done<'a>(&'a ListingsAhead);
        impl Drop for Done<'_> {
            fn drop(&mut self) {
                *self
                    .0
                    .reading
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner) -= 1;
                self.0.read.notify_one();
            }
        }
        let _done = Done(self);
        read()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Ahead> {
        self.ahead
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Reads the listing of each capture `batch` would store, in the caller's thread.
    pub(crate) fn read_ahead(&self, batch: &crate::storage::IngestBatch) -> ReadAhead<'_> {
        let stores = batch.items.iter().any(|item| {
            matches!(
                item,
                crate::storage::IngestItem::Store { listing: None, .. }
            )
        });
        let mut read = Vec::new();
        if stores {
            self.one_per_core(|| {
                for item in &batch.items {
                    if let crate::storage::IngestItem::Store {
                        doc_id,
                        document,
                        change_hashes,
                        listing: None,
                        ..
                    } = item
                        && let Some(listing) = Listing::read(doc_id, document)
                    {
                        read.push((doc_id.clone(), change_hashes.clone(), listing));
                    }
                }
            });
        }
        let mut keys = Vec::with_capacity(read.len());
        let mut ahead = self.lock();
        for (doc_id, hashes, listing) in read {
            keys.push((doc_id.clone(), hashes.clone()));
            ahead.insert(doc_id, (hashes, listing));
        }
        ReadAhead {
            listings: self,
            keys,
        }
    }

    /// The listing read ahead for this capture, if it was (and not for other bytes).
    pub(crate) fn take(&self, doc_id: &str, hashes: &[[u8; 32]]) -> Option<Listing> {
        let mut ahead = self.lock();
        match ahead.get(doc_id) {
            Some((held, _)) if held.as_slice() == hashes => {
                ahead.remove(doc_id).map(|(_, listing)| listing)
            }
            _ => None,
        }
    }
}

impl Drop for ReadAhead<'_> {
    fn drop(&mut self) {
        if self.keys.is_empty() {
            return;
        }
        let mut ahead = self.listings.lock();
        for (doc_id, hashes) in self.keys.drain(..) {
            if ahead.get(&doc_id).is_some_and(|(held, _)| *held == hashes) {
                ahead.remove(&doc_id);
            }
        }
    }
}

/// Adds `condition` with its one `?` numbered for `value`.
fn bind(
    conditions: &mut Vec<String>,
    values: &mut Vec<rusqlite::types::Value>,
    condition: &str,
    value: rusqlite::types::Value,
) {
    values.push(value);
    conditions.push(condition.replace('?', &format!("?{}", values.len())));
}

/// How a list's search text is matched.
enum Search<'a> {
    /// Part of a name, email, phone number or receipt code: a scan of the covering index.
    Part(&'a str),
    /// Exactly this receipt code, through its own index.
    Receipt(String),
    /// Exactly this email address (lower-case), through its own index.
    Email(String),
}

/// The rows `filter` selects, in its order. A search naming a whole receipt code or email
/// address that a row has is read from that value's index, in about a millisecond (a scan
/// for parts reads every row, about 40 ms at 100,000); any other search matches parts
/// ([`crate::rules::exact_search`] decides which, for every page alike).
pub(crate) fn list(
    conn: &Connection,
    filter: &RegistrationFilter,
) -> StorageResult<Vec<RegistrationSummary>> {
    exact_search::list_searched(filter, |filter, value| {
        let Some(query) = Query::of(filter, search_of(filter, value)) else {
            return Ok(Vec::new());
        };
        // The page's keys from one index alone (see the covering indexes in
        // `super::schema`), then its rows by key. The planner would otherwise walk a list
        // index in list order to spare the sort.
        let keys = query.page("doc_id", filter);
        let order = query.order;
        let sql = format!(
            "SELECT {SUMMARY_COLUMNS}
             FROM registration_index WHERE doc_id IN ({keys})
             ORDER BY captured_at {order}, doc_id {order}"
        );
        let mut statement = conn.prepare(&sql)?;
        let rows = statement
            .query_map(rusqlite::params_from_iter(query.values), summary_row)?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(rows)
    })
}

/// The keys `(captured_at, doc_id)` of the page `filter` selects, in its order.
pub(crate) fn keys(
    conn: &Connection,
    filter: &RegistrationFilter,
) -> StorageResult<Vec<(i64, String)>> {
    exact_search::list_searched(filter, |filter, value| {
        let Some(query) = Query::of(filter, search_of(filter, value)) else {
            return Ok(Vec::new());
        };
        let sql = query.page("captured_at, doc_id", filter);
        let mut statement = conn.prepare(&sql)?;
        let keys = statement
            .query_map(rusqlite::params_from_iter(query.values), |r| {
                Ok((r.get(0)?, r.get(1)?))
            })?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(keys)
    })
}

/// How many rows `filter` selects, its `after`, `offset` and `limit` aside.
pub(crate) fn count(conn: &Connection, filter: &RegistrationFilter) -> StorageResult<u64> {
    let whole = RegistrationFilter {
        after: None,
        offset: 0,
        ..filter.clone()
    };
    exact_search::count_searched(&whole, |filter, value| {
        let Some(query) = Query::of(filter, search_of(filter, value)) else {
            return Ok(0);
        };
        let mut sql = format!("SELECT COUNT(*) FROM registration_index{}", query.index);
        query.push_where(&mut sql);
        let counted: i64 =
            conn.query_row(&sql, rusqlite::params_from_iter(query.values), |r| r.get(0))?;
        Ok(counted.max(0) as u64)
    })
}

/// How `filter`'s search is matched, given the whole value it names, if any.
fn search_of<'a>(
    filter: &'a RegistrationFilter,
    value: Option<&ExactSearch>,
) -> Option<Search<'a>> {
    match value {
        Some(ExactSearch::Receipt(code)) => Some(Search::Receipt(code.clone())),
        Some(ExactSearch::Email(address)) => Some(Search::Email(address.clone())),
        None => filter.search.as_deref().map(Search::Part),
    }
}

/// A list's conditions on the index, their values, the index a whole value is read
/// from, and the direction of its order.
struct Query {
    index: &'static str,
    conditions: Vec<String>,
    values: Vec<rusqlite::types::Value>,
    order: &'static str,
}

impl Query {
    /// `WHERE` and the conditions, if any, appended to `sql`.
    fn push_where(&self, sql: &mut String) {
        if !self.conditions.is_empty() {
            sql.push_str(" WHERE ");
            sql.push_str(&self.conditions.join(" AND "));
        }
    }

    /// `columns` of the page `filter` asks for, in its order.
    fn page(&self, columns: &str, filter: &RegistrationFilter) -> String {
        let mut sql = format!("SELECT {columns} FROM registration_index{}", self.index);
        self.push_where(&mut sql);
        let order = self.order;
        sql.push_str(&format!(
            " ORDER BY captured_at {order}, doc_id {order} LIMIT {} OFFSET {}",
            filter.limit, filter.offset
        ));
        sql
    }

    /// The conditions `filter` (with `search` for its text) puts on the index's rows, the
    /// page's start among them; `None` for a list of no event.
    fn of(filter: &RegistrationFilter, search: Option<Search<'_>>) -> Option<Query> {
        let mut conditions: Vec<String> = Vec::new();
        let mut values: Vec<rusqlite::types::Value> = Vec::new();
        if let Some(events) = &filter.events {
            if events.is_empty() {
                return None;
            }
            // Each placeholder gets its own number as it is bound.
            let mut clause = String::from("event_id IN (");
            for (i, event) in events.iter().enumerate() {
                values.push(event.clone().into());
                if i > 0 {
                    clause.push_str(", ");
                }
                clause.push_str(&format!("?{}", values.len()));
            }
            clause.push(')');
            conditions.push(clause);
        }
        if !filter.include_restricted {
            conditions.push("restricted = 0".into());
        }
        if let Some(interest) = &filter.interest {
            bind(
                &mut conditions,
                &mut values,
                "instr(interests, ?) > 0",
                format!(",{interest},").into(),
            );
        }
        if let Some(location) = &filter.location {
            bind(
                &mut conditions,
                &mut values,
                "instr(locations, ?) > 0",
                format!(",{location},").into(),
            );
        }
        if let Some(status) = &filter.status {
            bind(
                &mut conditions,
                &mut values,
                "status = ?",
                status.clone().into(),
            );
        }
        if let Some(from) = filter.captured_from {
            bind(
                &mut conditions,
                &mut values,
                "captured_at >= ?",
                from.into(),
            );
        }
        if let Some(before) = filter.captured_before {
            bind(
                &mut conditions,
                &mut values,
                "captured_at < ?",
                before.into(),
            );
        }
        if let Some(talent_pool) = filter.talent_pool {
            bind(
                &mut conditions,
                &mut values,
                "talent_pool = ?",
                i64::from(talent_pool).into(),
            );
        }
        let index = match search {
            Some(Search::Receipt(_)) => " INDEXED BY registration_index_by_receipt",
            Some(Search::Email(_)) => " INDEXED BY registration_index_by_email",
            _ => "",
        };
        match search {
            Some(Search::Part(part)) => bind(
                &mut conditions,
                &mut values,
                "instr(search, ?) > 0",
                part.to_lowercase().into(),
            ),
            Some(Search::Receipt(code)) => bind(
                &mut conditions,
                &mut values,
                "receipt_code = ?",
                code.into(),
            ),
            Some(Search::Email(email)) => bind(
                &mut conditions,
                &mut values,
                "email = ? AND email != ''",
                email.into(),
            ),
            None => {}
        }
        let (order, past, edge) = match filter.order {
            ListOrder::NewestFirst => ("DESC", "<", "<="),
            ListOrder::OldestFirst => ("ASC", ">", ">="),
        };
        if let Some((at, doc_id)) = &filter.after {
            values.push((*at).into());
            let at_param = values.len();
            values.push(doc_id.clone().into());
            let id_param = values.len();
            // The first term bounds the index range, so a later page starts where the last
            // ended instead of scanning past every row before it.
            conditions.push(format!(
                "captured_at {edge} ?{at_param} \
                 AND (captured_at {past} ?{at_param} \
                      OR (captured_at = ?{at_param} AND doc_id {past} ?{id_param}))"
            ));
        }
        Some(Query {
            index,
            conditions,
            values,
            order,
        })
    }
}

/// The index's columns a [`RegistrationSummary`] is read from, in [`summary_row`]'s order.
pub(crate) const SUMMARY_COLUMNS: &str = "doc_id, event_id, captured_at, given_name, \
    family_name, receipt_code, status, talent_pool, restricted, interests, locations";

/// A list's row from the index's [`SUMMARY_COLUMNS`].
pub(crate) fn summary_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<RegistrationSummary> {
    Ok(RegistrationSummary {
        id: r.get(0)?,
        event_id: r.get(1)?,
        captured_at: r.get(2)?,
        given_name: r.get(3)?,
        family_name: r.get(4)?,
        receipt_code: r.get(5)?,
        status: r.get(6)?,
        talent_pool: r.get(7)?,
        restricted: r.get(8)?,
        interests: crate::storage::listed_codes(&r.get::<_, String>(9)?),
        locations: crate::storage::listed_codes(&r.get::<_, String>(10)?),
    })
}

/// One page of an export: the rows `filter` selects (restricted ones never, whatever the
/// filter says), newest first, each with its stored document and changes.
pub(crate) fn export_page(
    conn: &Connection,
    filter: &RegistrationFilter,
) -> StorageResult<ExportPage> {
    let filter = RegistrationFilter {
        include_restricted: false,
        ..filter.clone()
    };
    let rows = list(conn, &filter)?;
    let next = (rows.len() == filter.limit as usize)
        .then(|| rows.last().map(|r| (r.captured_at, r.id.clone())))
        .flatten();
    let mut records = Vec::with_capacity(rows.len());
    for row in rows {
        // The record's own flag decides, read in the same transaction as the index row.
        match super::stored_registration(conn, &row.id)? {
            Some(stored) if !stored.restricted => records.push(ExportedRegistration {
                id: row.id,
                captured_at: row.captured_at,
                receipt_code: row.receipt_code,
                changes: stored.changes,
                talent_pool: row.talent_pool,
            }),
            _ => {}
        }
    }
    Ok(ExportPage { records, next })
}

#[cfg(test)]
mod tests {
    use crate::storage::SqliteStore;

    /// The SQLite side of the suite's `a_receipt_code_as_read_out_finds_its_registration`:
    /// a receipt code is looked up through its index, not by reading every row.
    #[test]
    fn a_receipt_code_search_reads_the_receipt_index() {
        let store = SqliteStore::in_memory().expect("store");
        let conn = store.conn();
        let plan: String = conn
            .query_row(
                "EXPLAIN QUERY PLAN SELECT doc_id FROM registration_index \
                 INDEXED BY registration_index_by_receipt WHERE receipt_code = 'X'",
                [],
                |r| r.get(3),
            )
            .expect("a plan");
        assert!(plan.contains("registration_index_by_receipt"), "{plan}");
    }

    /// A search typed as a whole email address reads the email index, in any case and with
    /// spaces around it; an address no row has as a whole (part of another) is matched as a
    /// part, as every other search.
    #[test]
    fn a_whole_email_address_is_found_through_its_index_and_a_part_by_the_scan() {
        let store = SqliteStore::in_memory().expect("store");
        let conn = store.conn();
        for (i, email) in ["anna@example.se", "joanna@example.se"].iter().enumerate() {
            conn.execute(
                "INSERT INTO registration_index (doc_id, event_id, captured_at, restricted,
                     talent_pool, status, interests, locations, receipt_code, given_name,
                     family_name, search, email)
                 VALUES (?1, 'e', ?2, 0, 0, 'new', ',', ',', 'R', 'G', 'F', ?3, ?4)",
                rusqlite::params![format!("r{i}"), i as i64, format!("g f {email} r"), email],
            )
            .expect("an index row");
        }
        let found = |typed: &str| -> Vec<String> {
            let filter = crate::storage::RegistrationFilter {
                search: Some(typed.to_owned()),
                limit: 50,
                ..crate::storage::RegistrationFilter::default()
            };
            super::list(&conn, &filter)
                .expect("listed")
                .into_iter()
                .map(|row| row.id)
                .collect()
        };
        // Whole, it names one row; as a part it is in both (`joanna@…`).
        assert_eq!(found("Anna@Example.se"), ["r0"]);
        assert_eq!(found(" anna@example.se\t"), ["r0"]);
        assert_eq!(found("joanna@example.se"), ["r1"]);
        // Not a whole address of any row: both rows hold it as a part.
        assert_eq!(found("na@example.se"), ["r1", "r0"]);
        let plan: String = conn
            .query_row(
                "EXPLAIN QUERY PLAN SELECT doc_id FROM registration_index \
                 INDEXED BY registration_index_by_email WHERE email = 'x' AND email != ''",
                [],
                |r| r.get(3),
            )
            .expect("a plan");
        assert!(plan.contains("registration_index_by_email"), "{plan}");
    }

    /// A list filtered by status reads that status's rows in list order from their own
    /// index: no scan of every row, no sort.
    #[test]
    fn a_status_filter_reads_the_status_index_in_list_order() {
        let store = SqliteStore::in_memory().expect("store");
        let conn = store.conn();
        let filter = crate::storage::RegistrationFilter {
            status: Some("hired".into()),
            ..crate::storage::RegistrationFilter::default()
        };
        let mut plan = String::new();
        let mut statement = conn
            .prepare(&format!(
                "EXPLAIN QUERY PLAN SELECT doc_id FROM registration_index \
                 WHERE restricted = 0 AND status = 'hired' \
                 ORDER BY captured_at DESC, doc_id DESC LIMIT {}",
                filter.limit
            ))
            .expect("a plan");
        let rows = statement
            .query_map([], |r| r.get::<_, String>(3))
            .expect("a plan");
        for row in rows {
            plan.push_str(&row.expect("a step"));
            plan.push('\n');
        }
        assert!(plan.contains("registration_index_list_by_status"), "{plan}");
        assert!(!plan.contains("TEMP B-TREE"), "{plan}");
    }
}
