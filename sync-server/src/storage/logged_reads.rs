//! How a store answers a list or an export with exactly what its access log holds, whatever
//! the backend: it reads on a snapshot, then logs the rows through its writer, which drops
//! the rows removed between the two (a removal committed meanwhile never leaves the relay).
//! A backend supplies the read and the log; these functions decide what is answered.

use std::collections::HashSet;

use crate::storage::StorageResult;
use crate::storage::model::{
    AccessAction, AccessEntry, Accessor, ExportPage, RegistrationFilter, RegistrationSummary,
};

/// A list fills a page shortened by removals made between its read and its log this many
/// times at most (removals racing every round leave the page short).
const LIST_FILL_ROUNDS: usize = 3;

/// The page `filter` selects, each row logged as listed by `reader` at `at`: `read` reads
/// rows on a snapshot, `log` logs entries and returns the ids found removed since. A row
/// dropped so would shorten a full page and end the paging early, so the rows after the
/// page's last fill it up.
pub(crate) fn list_page(
    filter: &RegistrationFilter,
    reader: &Accessor,
    at: i64,
    mut read: impl FnMut(&RegistrationFilter) -> StorageResult<Vec<RegistrationSummary>>,
    mut log: impl FnMut(&[AccessEntry]) -> StorageResult<HashSet<String>>,
) -> StorageResult<Vec<RegistrationSummary>> {
    let mut filter = filter.clone();
    let wanted = filter.limit as usize;
    let mut page = Vec::new();
    for _ in 0..LIST_FILL_ROUNDS {
        let rows = read(&filter)?;
        let full = rows.len() == filter.limit as usize;
        let last = rows.last().map(|row| (row.captured_at, row.id.clone()));
        let removed = log(&listed(&rows, reader, at))?;
        page.extend(rows.into_iter().filter(|row| !removed.contains(&row.id)));
        if removed.is_empty() || !full || page.len() >= wanted {
            break;
        }
        filter.after = last;
        // The rows skipped to reach the page are behind `last` now.
        filter.offset = 0;
        filter.limit = (wanted - page.len()) as u32;
    }
    Ok(page)
}

/// Record `doc_id` as read (`None`: the store holds none), logged as read by `reader` at
/// `at`; a record removed between the read and its log is answered as a removed one is,
/// with nothing.
pub(crate) fn record<T>(
    read: Option<T>,
    doc_id: &str,
    reader: &Accessor,
    at: i64,
    log: impl FnOnce(&[AccessEntry]) -> StorageResult<HashSet<String>>,
) -> StorageResult<Option<T>> {
    let Some(record) = read else {
        return Ok(None);
    };
    let doc_id = doc_id.to_owned();
    let removed = log(&entries(
        std::iter::once(&doc_id),
        reader,
        at,
        AccessAction::Read,
    ))?;
    Ok((!removed.contains(&doc_id)).then_some(record))
}

/// An export page read, each record logged as exported by `reader` at `at`, the records
/// removed since the read left out. `next` stays where the read left it: the page after
/// starts past the dropped records.
pub(crate) fn export_page(
    mut page: ExportPage,
    reader: &Accessor,
    at: i64,
    log: impl FnOnce(&[AccessEntry]) -> StorageResult<HashSet<String>>,
) -> StorageResult<ExportPage> {
    let removed = log(&entries(
        page.records.iter().map(|record| &record.id),
        reader,
        at,
        AccessAction::Export,
    ))?;
    page.records.retain(|record| !removed.contains(&record.id));
    Ok(page)
}

/// The `list` entries `rows` owe the access log, by `reader` at `at`: each listed row shows
/// a name, a read of personal data, logged before the list is answered.
pub(crate) fn listed(rows: &[RegistrationSummary], reader: &Accessor, at: i64) -> Vec<AccessEntry> {
    entries(
        rows.iter().map(|row| &row.id),
        reader,
        at,
        AccessAction::List,
    )
}

/// One entry of `action` by `reader` at `at` for each record id.
fn entries<'a>(
    ids: impl Iterator<Item = &'a String>,
    reader: &Accessor,
    at: i64,
    action: AccessAction,
) -> Vec<AccessEntry> {
    ids.map(|doc_id| AccessEntry {
        at,
        accessor: reader.clone(),
        action,
        doc_id: doc_id.clone(),
    })
    .collect()
}
