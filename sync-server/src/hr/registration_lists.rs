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
    Accessor, RegistrationFilter, RegistrationSummary, RelayStore, RestrictedRequest,
};

/// How many of the newest requests routed to cleared users the inbox shows (requests by
/// users without the clearance that matched restricted records).
pub(crate) const ROUTED_REQUESTS: u32 = 100;

/// One page of the registrations `user` may read, newest first, each row access-logged,
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
