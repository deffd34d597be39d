//! Lists of registrations as HR reads them, for the JSON API and the console alike: a
//! reader's page of the registrations they may read (a recruiter's assigned events, never
//! restricted records), and the restricted inbox for users with the clearance. Every
//! listed row is access-logged. Who may list what is [`crate::hr::policy`]'s; errors are
//! [`crate::hr::error::HrError`]s.

use std::collections::HashMap;

use kiosk_core::event::Event;
use kiosk_core::ids::EventId;

use crate::hr::accounts::HrUser;
use crate::hr::error::{HrResult, StorageContext};
use crate::hr::policy::{narrow_to_readable, require_reader, restricted_inbox_events};
use crate::state::now_ms;
use crate::storage::{
    Accessor, ListOrder, RegistrationFilter, RegistrationSummary, RelayStore, RestrictedRequest,
    StorageError,
};

/// How many of the newest requests routed to cleared users the inbox shows (requests by
/// users without the clearance that matched restricted records).
pub(crate) const ROUTED_REQUESTS: u32 = 100;

/// One page of the registrations `user` may read, in the filter's order, each row access-logged,
/// and the cursor of the next page if there may be one, if `user` may read registrations.
/// Blocking.
pub(crate) fn list_readable(
    store: &dyn RelayStore,
    user: &HrUser,
    mut filter: RegistrationFilter,
) -> HrResult<(Vec<RegistrationSummary>, Option<String>)> {
    require_reader(user)?;
    narrow_to_readable(store, user, &mut filter)?;
    let accessor = Accessor::Operator(user.accessor_name());
    let rows = store
        .list_registrations(&filter, &accessor, now_ms())
        .context("listing registrations")?;
    let next = (rows.len() == filter.limit as usize)
        .then(|| rows.last().map(|r| format!("{}~{}", r.captured_at, r.id)))
        .flatten();
    Ok((rows, next))
}

/// How many registrations `filter` selects of those `user` may read (its page aside), or
/// `None` when the store cannot count them without opening more rows than a search may
/// (a text search on PostgreSQL over very many rows). Not logged: a count names no one.
/// Blocking.
pub(crate) fn count_readable(
    store: &dyn RelayStore,
    user: &HrUser,
    mut filter: RegistrationFilter,
) -> HrResult<Option<u64>> {
    require_reader(user)?;
    narrow_to_readable(store, user, &mut filter)?;
    match store.count_registrations(&filter) {
        Ok(count) => Ok(Some(count)),
        Err(StorageError::SearchTooBroad { .. }) => Ok(None),
        Err(error) => Err(error).context("counting registrations"),
    }
}

/// The ids of the registrations before and after the one at `key` (`(captured_at, id)`)
/// in `filter`'s list of those `user` may read, in its order: for stepping between records
/// within a list, or none where a search would open too many rows to find it (PostgreSQL).
/// Not logged: the record stepped to is logged when it is read. Blocking.
pub(crate) fn neighbours(
    store: &dyn RelayStore,
    user: &HrUser,
    mut filter: RegistrationFilter,
    key: (i64, String),
) -> HrResult<(Option<String>, Option<String>)> {
    require_reader(user)?;
    narrow_to_readable(store, user, &mut filter)?;
    let step = |order: ListOrder| -> HrResult<Option<String>> {
        let one = RegistrationFilter {
            after: Some(key.clone()),
            offset: 0,
            limit: 1,
            order,
            ..filter.clone()
        };
        match store.registration_keys(&one) {
            Ok(keys) => Ok(keys.into_iter().next().map(|(_, id)| id)),
            // A search too broad to step through cheaply: no step link.
            Err(StorageError::SearchTooBroad { .. }) => Ok(None),
            Err(error) => Err(error).context("reading a list's neighbouring records"),
        }
    };
    let reversed = match filter.order {
        ListOrder::NewestFirst => ListOrder::OldestFirst,
        ListOrder::OldestFirst => ListOrder::NewestFirst,
    };
    Ok((step(reversed)?, step(filter.order)?))
}

/// What the restricted inbox shows: up to a limit of restricted registrations, each
/// access-logged, and the newest requests routed to cleared users.
#[derive(Debug)]
pub(crate) struct RestrictedInbox {
    pub rows: Vec<RegistrationSummary>,
    pub requests: Vec<RestrictedRequest>,
}

/// Up to `limit` rows of `user`'s restricted inbox, each access-logged, with the routed
/// requests. Blocking. Without the clearance the answer is [`Denial::Restricted`] and
/// nothing is read or logged: no record was asked for.
pub(crate) fn restricted_inbox_of(
    store: &dyn RelayStore,
    user: &HrUser,
    limit: u32,
) -> HrResult<RestrictedInbox> {
    let events = restricted_inbox_events(store, user)?;
    let accessor = Accessor::Operator(user.accessor_name());
    let rows = store
        .restricted_registrations(events.as_deref(), &accessor, now_ms(), limit)
        .context("listing restricted registrations")?;
    let requests = store
        .restricted_requests(ROUTED_REQUESTS)
        .context("reading the routed restricted requests")?;
    Ok(RestrictedInbox { rows, requests })
}

/// The events that label `rows`' codes, by id; one missing or unreadable is left out
/// (its codes show as they are). Blocking.
pub(crate) fn event_labels(
    store: &dyn RelayStore,
    rows: &[RegistrationSummary],
) -> HashMap<String, Event> {
    let mut events = HashMap::new();
    for row in rows {
        if !events.contains_key(&row.event_id)
            && let Some(id) = EventId::parse(&row.event_id)
            && let Ok(Some(event)) = store.event(&id)
        {
            events.insert(row.event_id.clone(), event);
        }
    }
    events
}
