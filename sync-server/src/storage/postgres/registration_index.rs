//! What HR's lists, searches and exports read on PostgreSQL: the `registration_index` table,
//! one row per stored registration with the fields a list filters and shows (as the SQLite
//! store's `registration_index`). Every write that stores or changes a record rewrites its
//! row in its own transaction ([`super::index_writes`]); a removal erases the row
//! with the record. The index's watermark (`registration_index_state`) serves only the
//! SQLite store's catch-up at open and is not written here.
//!
//! Lists page by key (`captured_at`, `doc_id`), newest or oldest first; the console also
//! skips up to [`crate::storage::MAX_LIST_OFFSET`] rows to show page N of M. A page starts
//! read by key where the last ended in the covering index (`registration_index_list_by_time`, or
//! `_list_by_event` when one event is asked for), so page 500 costs what page 1 does.
//! Rows captured in the same millisecond are ordered by `doc_id` in the database's
//! collation (byte order on a `C` database, as SQLite's); the page keys compare in that
//! same collation, so paging neither skips nor repeats a row under any locale.
//!
//! Names and the search text are sealed under each record's key ([`super::record_keys`]):
//! a list opens only its page's rows. A text search cannot be matched by SQL, so it reads
//! the candidates every other condition selects, in list order from the same covering
//! index (their sealed `search` and key with them), [`SEARCH_CHUNK`] per round trip,
//! opens and matches them in the relay, and stops when the page is full; past
//! [`SEARCH_SCAN_LIMIT`] candidates without a full page it is refused as too broad, with
//! nothing listed, so a page is never cut short silently.

use postgres::GenericClient;
use postgres::types::ToSql;

use super::email_tags::{self, EmailTags};
use super::record_keys::stored_key;
use super::record_seal::Field;
use super::stored_records::stored_registrations;
use crate::rules::exact_search::{self, ExactSearch};
use crate::storage::model::{
    ExportPage, ExportedRegistration, ListOrder, RegistrationFilter, RegistrationSummary,
};
use crate::storage::{StorageError, StorageResult};

/// Candidates a text search reads and opens per round trip.
const SEARCH_CHUNK: u32 = 2_000;

/// The most candidates one text search opens before it is refused as too broad (a page of
/// fewer matches than asked would read as the list's end). At 100,000 rows a search
/// matching nothing opens them all; see the README's figures.
pub(crate) const SEARCH_SCAN_LIMIT: u64 = 250_000;

/// The most candidates a searched list's count opens (about 0.3 s at the figures in the
/// README): past it the count is refused as too broad and the list is shown without its
/// total, since a total is worth less than a page that answers quickly.
pub(crate) const COUNT_SCAN_LIMIT: u64 = 50_000;

/// The most candidates a searched page of keys opens (a record's neighbours in its list,
/// two per record view): past it the step links are left out, since a step is a
/// convenience any reader could otherwise make cost a long scan on every record view.
pub(crate) const KEYS_SCAN_LIMIT: u64 = 5_000;

/// How a list's search text is matched.
enum Search<'a> {
    /// Part of a name, email, phone number or receipt code: opened and matched in the
    /// relay on the candidates the other conditions select.
    Part(&'a str),
    /// Exactly this receipt code, through its own index.
    Receipt(String),
    /// Exactly the address of this tag ([`super::email_tags`]), through the tags' index.
    EmailTag(Vec<u8>),
}

/// The rows `filter` selects, newest first. A search naming a whole receipt code (`7J8D-AV6F`,
/// read out at the desk) or email address that a row has is read from that value's index
/// (an address by its tag, while every row is tagged); any other search matches parts, as
/// the SQLite store ([`crate::rules::exact_search`] decides which, for every page alike).
pub(crate) fn list(
    client: &mut impl GenericClient,
    filter: &RegistrationFilter,
    tags: EmailTags,
) -> StorageResult<Vec<RegistrationSummary>> {
    let mut tags_usable = None;
    exact_search::list_searched(filter, |filter, value| {
        let search = match value {
            Some(ExactSearch::Receipt(code)) => Search::Receipt(code.clone()),
            Some(ExactSearch::Email(address)) => {
                let usable = match tags_usable {
                    Some(usable) => usable,
                    None => *tags_usable.insert(email_tags::usable(client, tags)?),
                };
                match tags.tag(address) {
                    Some(tag) if usable => Search::EmailTag(tag),
                    _ => return Ok(Vec::new()),
                }
            }
            None => match filter.search.as_deref() {
                Some(part) => Search::Part(part),
                None => return list_by(client, filter, None),
            },
        };
        list_by(client, filter, Some(search))
    })
}

/// A query's conditions and the values their `$n` placeholders stand for.
#[derive(Default)]
struct Conditions {
    clauses: Vec<String>,
    values: Vec<Box<dyn ToSql + Sync>>,
}

impl Conditions {
    /// Adds `clause`, its one `$` numbered for `value`.
    fn bind(&mut self, clause: &str, value: impl ToSql + Sync + 'static) {
        self.values.push(Box::new(value));
        self.clauses
            .push(clause.replace('$', &format!("${}", self.values.len())));
    }

    fn params(&self) -> Vec<&(dyn ToSql + Sync)> {
        self.values.iter().map(|value| value.as_ref()).collect()
    }
}

fn list_by(
    client: &mut impl GenericClient,
    filter: &RegistrationFilter,
    search: Option<Search<'_>>,
) -> StorageResult<Vec<RegistrationSummary>> {
    if let Some(Search::Part(part)) = search {
        return list_searching(client, filter, part, SearchBounds::DEFAULT);
    }
    let Some((sql, conditions)) = list_query(filter, search) else {
        return Ok(Vec::new());
    };
    let rows = client.query(&sql, &conditions.params())?;
    rows.iter().map(summary_row).collect()
}

/// How many candidates a text search reads per round trip, and opens at most.
#[derive(Debug, Clone, Copy)]
pub(super) struct SearchBounds {
    pub(super) chunk: u32,
    pub(super) limit: u64,
}

impl SearchBounds {
    const DEFAULT: SearchBounds = SearchBounds {
        chunk: SEARCH_CHUNK,
        limit: SEARCH_SCAN_LIMIT,
    };
}

/// A list searched for `part`: the candidates in list order, `bounds.chunk` at a time,
/// their search text opened and matched here until the page is full (see the module doc).
pub(super) fn list_searching(
    client: &mut impl GenericClient,
    filter: &RegistrationFilter,
    part: &str,
    bounds: SearchBounds,
) -> StorageResult<Vec<RegistrationSummary>> {
    let found = search_matches(client, filter, part, bounds)?;
    let ids: Vec<String> = found.into_iter().map(|(_, id)| id).collect();
    summaries_in_order(client, &ids)
}

/// The keys `(captured_at, doc_id)` of the page of `filter` whose search text holds
/// `part`, in list order: the candidates read `bounds.chunk` at a time, the page's
/// `offset` matches skipped, until the page is full or the candidates end. Past
/// `bounds.limit` candidates without a full page it is refused as too broad.
fn search_matches(
    client: &mut impl GenericClient,
    filter: &RegistrationFilter,
    part: &str,
    bounds: SearchBounds,
) -> StorageResult<Vec<(i64, String)>> {
    let needle = part.to_lowercase();
    let skip = filter.offset as usize;
    let wanted = skip + filter.limit as usize;
    let mut found: Vec<(i64, String)> = Vec::with_capacity(wanted.min(1_000));
    let mut after = filter.after.clone();
    let mut scanned: u64 = 0;
    while found.len() < wanted {
        let chunk = RegistrationFilter {
            after: after.clone(),
            limit: bounds.chunk,
            offset: 0,
            search: None,
            ..filter.clone()
        };
        let Some((sql, conditions)) = candidates_query(&chunk) else {
            return Ok(Vec::new());
        };
        let rows = client.query(&sql, &conditions.params())?;
        for row in &rows {
            let doc_id: &str = row.try_get(0)?;
            let key = stored_key(row.try_get(3)?)?;
            let search = key.open(doc_id, Field::Search, row.try_get(2)?)?;
            if contains(&search, needle.as_bytes()) {
                found.push((row.try_get(1)?, doc_id.to_owned()));
                if found.len() == wanted {
                    break;
                }
            }
        }
        scanned += rows.len() as u64;
        let Some(last) = rows.last() else { break };
        if rows.len() < bounds.chunk as usize {
            break;
        }
        if found.len() < wanted && scanned >= bounds.limit {
            return Err(StorageError::SearchTooBroad { scanned });
        }
        after = Some((last.try_get(1)?, last.try_get(0)?));
    }
    Ok(found.into_iter().skip(skip).collect())
}

/// How many rows of `filter` (its page aside) have a search text holding `part`: every
/// candidate opened and matched, `bounds.chunk` at a time; refused as too broad past
/// `bounds.limit` candidates.
pub(super) fn count_searching(
    client: &mut impl GenericClient,
    filter: &RegistrationFilter,
    part: &str,
    bounds: SearchBounds,
) -> StorageResult<u64> {
    let needle = part.to_lowercase();
    let mut counted = 0;
    let mut after = None;
    let mut scanned: u64 = 0;
    loop {
        let chunk = RegistrationFilter {
            after: after.clone(),
            limit: bounds.chunk,
            offset: 0,
            search: None,
            order: ListOrder::NewestFirst,
            ..filter.clone()
        };
        let Some((sql, conditions)) = candidates_query(&chunk) else {
            return Ok(0);
        };
        let rows = client.query(&sql, &conditions.params())?;
        for row in &rows {
            let doc_id: &str = row.try_get(0)?;
            let key = stored_key(row.try_get(3)?)?;
            let search = key.open(doc_id, Field::Search, row.try_get(2)?)?;
            if contains(&search, needle.as_bytes()) {
                counted += 1;
            }
        }
        scanned += rows.len() as u64;
        let Some(last) = rows.last() else { break };
        if rows.len() < bounds.chunk as usize {
            break;
        }
        if scanned >= bounds.limit {
            return Err(StorageError::SearchTooBroad { scanned });
        }
        after = Some((last.try_get(1)?, last.try_get(0)?));
    }
    Ok(counted)
}

/// The keys `(captured_at, doc_id)` of the page `filter` selects, in its order.
pub(crate) fn keys(
    client: &mut impl GenericClient,
    filter: &RegistrationFilter,
    tags: EmailTags,
) -> StorageResult<Vec<(i64, String)>> {
    let mut tags_usable = None;
    exact_search::list_searched(filter, |filter, value| {
        let search = match exact_value(client, tags, &mut tags_usable, value)? {
            Exact::Search(search) => search,
            Exact::Unusable => return Ok(Vec::new()),
            Exact::None => match filter.search.as_deref() {
                Some(part) => {
                    let bounds = SearchBounds {
                        chunk: SEARCH_CHUNK,
                        limit: KEYS_SCAN_LIMIT,
                    };
                    return search_matches(client, filter, part, bounds);
                }
                None => None,
            },
        };
        let Some(conditions) = filter_conditions(filter, search) else {
            return Ok(Vec::new());
        };
        let sql = in_list_order(
            "SELECT captured_at, doc_id FROM registration_index",
            &conditions,
            filter,
        );
        client
            .query(&sql, &conditions.params())?
            .iter()
            .map(|row| Ok((row.try_get(0)?, row.try_get(1)?)))
            .collect()
    })
}

/// How many rows `filter` selects, its `after`, `offset` and `limit` aside.
pub(crate) fn count(
    client: &mut impl GenericClient,
    filter: &RegistrationFilter,
    tags: EmailTags,
) -> StorageResult<u64> {
    let whole = RegistrationFilter {
        after: None,
        offset: 0,
        ..filter.clone()
    };
    let mut tags_usable = None;
    exact_search::count_searched(&whole, |filter, value| {
        let search = match exact_value(client, tags, &mut tags_usable, value)? {
            Exact::Search(search) => search,
            Exact::Unusable => return Ok(0),
            Exact::None => match filter.search.as_deref() {
                Some(part) => {
                    let bounds = SearchBounds {
                        chunk: SEARCH_CHUNK,
                        limit: COUNT_SCAN_LIMIT,
                    };
                    return count_searching(client, filter, part, bounds);
                }
                None => None,
            },
        };
        let Some(conditions) = filter_conditions(filter, search) else {
            return Ok(0);
        };
        let mut sql = String::from("SELECT count(*) FROM registration_index");
        if !conditions.clauses.is_empty() {
            sql.push_str(" WHERE ");
            sql.push_str(&conditions.clauses.join(" AND "));
        }
        let counted: i64 = client.query_one(&sql, &conditions.params())?.try_get(0)?;
        Ok(counted.max(0) as u64)
    })
}

/// How a whole value a search names is looked up here.
enum Exact<'a> {
    /// Through this condition.
    Search(Option<Search<'a>>),
    /// It cannot be (an address while some row is not tagged): the rows with it are none.
    Unusable,
    /// No whole value: parts are matched.
    None,
}

/// How `value` is looked up, asking once whether every address is tagged.
fn exact_value<'a>(
    client: &mut impl GenericClient,
    tags: EmailTags,
    tags_usable: &mut Option<bool>,
    value: Option<&ExactSearch>,
) -> StorageResult<Exact<'a>> {
    Ok(match value {
        Some(ExactSearch::Receipt(code)) => Exact::Search(Some(Search::Receipt(code.clone()))),
        Some(ExactSearch::Email(address)) => {
            let usable = match *tags_usable {
                Some(usable) => usable,
                None => *tags_usable.insert(email_tags::usable(client, tags)?),
            };
            match tags.tag(address) {
                Some(tag) if usable => Exact::Search(Some(Search::EmailTag(tag))),
                _ => Exact::Unusable,
            }
        }
        None => Exact::None,
    })
}

/// Whether `haystack` holds `needle` (as `strpos(...) > 0`: the empty needle is in all).
fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    needle.is_empty()
        || haystack
            .windows(needle.len())
            .any(|window| window == needle)
}

/// The rows of `doc_ids`, in that order (a searched page's matches).
fn summaries_in_order(
    client: &mut impl GenericClient,
    doc_ids: &[String],
) -> StorageResult<Vec<RegistrationSummary>> {
    if doc_ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut rows: std::collections::HashMap<String, RegistrationSummary> = client
        .query(
            &format!("SELECT {SUMMARY_COLUMNS} FROM registration_index WHERE doc_id = ANY($1)"),
            &[&doc_ids],
        )?
        .iter()
        .map(|row| summary_row(row).map(|summary| (summary.id.clone(), summary)))
        .collect::<StorageResult<_>>()?;
    // Read in the same snapshot as the candidates: every one is there.
    Ok(doc_ids.iter().filter_map(|id| rows.remove(id)).collect())
}

/// The candidates of a searched list's next chunk: id, time, sealed search text and key,
/// in list order, from the covering index (`None` for a list of no event).
fn candidates_query(filter: &RegistrationFilter) -> Option<(String, Conditions)> {
    let conditions = filter_conditions(filter, None)?;
    let sql = in_list_order(
        "SELECT doc_id, captured_at, search,
                (SELECT key FROM record_keys k WHERE k.doc_id = registration_index.doc_id)
         FROM registration_index",
        &conditions,
        filter,
    );
    Some((sql, conditions))
}

/// `select` restricted by `conditions`, in `filter`'s order, its page (`offset`, at most
/// `limit` rows).
fn in_list_order(select: &str, conditions: &Conditions, filter: &RegistrationFilter) -> String {
    let mut sql = String::from(select);
    if !conditions.clauses.is_empty() {
        sql.push_str(" WHERE ");
        sql.push_str(&conditions.clauses.join(" AND "));
    }
    let order = direction(filter.order);
    sql.push_str(&format!(
        " ORDER BY captured_at {order}, doc_id {order} LIMIT {} OFFSET {}",
        filter.limit, filter.offset
    ));
    sql
}

/// `ORDER BY`'s direction for `order`.
fn direction(order: ListOrder) -> &'static str {
    match order {
        ListOrder::NewestFirst => "DESC",
        ListOrder::OldestFirst => "ASC",
    }
}

/// The query of one list and its values; `None` for a list that selects nothing (of no
/// event).
fn list_query(
    filter: &RegistrationFilter,
    search: Option<Search<'_>>,
) -> Option<(String, Conditions)> {
    let conditions = filter_conditions(filter, search)?;
    // The page's keys from one covering index alone (an index-only scan: every condition
    // is checked on the index's own rows, no table row is read for a row that does not
    // match), then each of its rows by key (LATERAL ... LIMIT 1 keeps that a lookup per
    // key in page order, whatever the table's size).
    let keys = in_list_order(
        "SELECT doc_id, captured_at FROM registration_index",
        &conditions,
        filter,
    );
    let order = direction(filter.order);
    let sql = format!(
        "SELECT row.* FROM ({keys}) AS page
         CROSS JOIN LATERAL (SELECT {SUMMARY_COLUMNS} FROM registration_index
                             WHERE doc_id = page.doc_id LIMIT 1) AS row
         ORDER BY page.captured_at {order}, page.doc_id {order}"
    );
    Some((sql, conditions))
}

/// The conditions `filter` (and a receipt-code `search`) put on the index's rows, the
/// page's start among them; `None` for a list that selects nothing (of no event).
fn filter_conditions(
    filter: &RegistrationFilter,
    search: Option<Search<'_>>,
) -> Option<Conditions> {
    let mut conditions = Conditions::default();
    match filter.events.as_deref() {
        Some([]) => return None,
        // Equality, not `= ANY`: with one event the planner walks `_list_by_event` in list
        // order and stops at the page's end (the rows of several events are sorted).
        Some([event]) => conditions.bind("event_id = $", event.clone()),
        Some(events) => conditions.bind("event_id = ANY($)", events.to_vec()),
        None => {}
    }
    if !filter.include_restricted {
        conditions.clauses.push("NOT restricted".into());
    }
    if let Some(interest) = &filter.interest {
        conditions.bind("strpos(interests, $) > 0", format!(",{interest},"));
    }
    if let Some(location) = &filter.location {
        conditions.bind("strpos(locations, $) > 0", format!(",{location},"));
    }
    if let Some(status) = &filter.status {
        conditions.bind("status = $", status.clone());
    }
    if let Some(from) = filter.captured_from {
        conditions.bind("captured_at >= $", from);
    }
    if let Some(before) = filter.captured_before {
        conditions.bind("captured_at < $", before);
    }
    if let Some(talent_pool) = filter.talent_pool {
        conditions.bind("talent_pool = $", talent_pool);
    }
    match search {
        Some(Search::Receipt(code)) => conditions.bind("receipt_code = $", code),
        Some(Search::EmailTag(tag)) => conditions.bind("email_tag = $", tag),
        // Matched in the relay ([`list_searching`]).
        Some(Search::Part(_)) | None => {}
    }
    if let Some((at, doc_id)) = &filter.after {
        // One row comparison: an index condition, so a later page starts where the last
        // ended instead of passing every newer row again.
        conditions.values.push(Box::new(*at));
        conditions.values.push(Box::new(doc_id.clone()));
        let n = conditions.values.len();
        let past = match filter.order {
            ListOrder::NewestFirst => "<",
            ListOrder::OldestFirst => ">",
        };
        conditions
            .clauses
            .push(format!("(captured_at, doc_id) {past} (${}, ${n})", n - 1));
    }
    Some(conditions)
}

/// How [`explain_list`] reads a list's search.
#[cfg(test)]
pub(super) enum Explained {
    /// As parts (or no search).
    Parts,
    /// As a whole receipt code.
    Receipt,
    /// As the address of this tag.
    EmailTag(Vec<u8>),
}

/// The plan PostgreSQL chooses for `filter`'s list, its search read as `how` says, as
/// `EXPLAIN` prints it: for the tests that check lists read by key.
#[cfg(test)]
pub(super) fn explain_list(
    client: &mut impl GenericClient,
    filter: &RegistrationFilter,
    how: Explained,
) -> StorageResult<String> {
    let search = match (&filter.search, how) {
        (Some(code), Explained::Receipt) => Some(Search::Receipt(code.clone())),
        (Some(_), Explained::EmailTag(tag)) => Some(Search::EmailTag(tag)),
        (Some(part), Explained::Parts) => Some(Search::Part(part)),
        (None, _) => None,
    };
    let (sql, conditions) = match search {
        // A searched list's plan is its candidates'.
        Some(Search::Part(_)) => candidates_query(filter),
        search => list_query(filter, search),
    }
    .expect("a list of some event");
    let rows = client.query(&format!("EXPLAIN {sql}"), &conditions.params())?;
    Ok(rows
        .iter()
        .map(|row| row.try_get::<_, String>(0))
        .collect::<Result<Vec<_>, _>>()?
        .join("\n"))
}

/// The index's columns a [`RegistrationSummary`] is read from, in [`summary_row`]'s order.
/// The names are sealed: the record's key comes with them.
pub(crate) const SUMMARY_COLUMNS: &str = "doc_id, event_id, captured_at, given_name, \
    family_name, receipt_code, status, talent_pool, restricted, interests, locations, \
    (SELECT key FROM record_keys k WHERE k.doc_id = registration_index.doc_id)";

/// A list's row from the index's [`SUMMARY_COLUMNS`].
pub(crate) fn summary_row(row: &postgres::Row) -> StorageResult<RegistrationSummary> {
    let id: String = row.try_get(0)?;
    let key = stored_key(row.try_get(11)?)?;
    Ok(RegistrationSummary {
        given_name: key.open_text(&id, Field::GivenName, row.try_get(3)?)?,
        family_name: key.open_text(&id, Field::FamilyName, row.try_get(4)?)?,
        id,
        event_id: row.try_get(1)?,
        captured_at: row.try_get(2)?,
        receipt_code: row.try_get(5)?,
        status: row.try_get(6)?,
        talent_pool: row.try_get(7)?,
        restricted: row.try_get(8)?,
        interests: crate::storage::listed_codes(&row.try_get::<_, String>(9)?),
        locations: crate::storage::listed_codes(&row.try_get::<_, String>(10)?),
    })
}

/// One page of an export: the rows `filter` selects (restricted ones never, whatever the
/// filter says), newest first, each with its stored document and changes, read in the
/// caller's one snapshot.
pub(crate) fn export_page(
    client: &mut impl GenericClient,
    filter: &RegistrationFilter,
    tags: EmailTags,
) -> StorageResult<ExportPage> {
    let filter = RegistrationFilter {
        include_restricted: false,
        ..filter.clone()
    };
    let rows = list(client, &filter, tags)?;
    let next = (rows.len() == filter.limit as usize)
        .then(|| rows.last().map(|r| (r.captured_at, r.id.clone())))
        .flatten();
    let ids: Vec<&str> = rows.iter().map(|row| row.id.as_str()).collect();
    let mut stored = stored_registrations(client, &ids)?;
    let mut records = Vec::with_capacity(rows.len());
    for row in rows {
        // The record's own flag decides, read in the same snapshot as the index row.
        match stored.remove(&row.id) {
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
