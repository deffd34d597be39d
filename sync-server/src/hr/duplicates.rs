//! What HR is shown of the blind indexes ([`crate::blind_index`]): whether a record's visitor
//! has registered before ("seen before", at this or another event), and whether they asked
//! not to be contacted. A duplicate-index match is only a candidate (values are truncated
//! and collide on purpose): it counts once the candidate's stored record is read and its
//! normalised email or phone is the same. Only records the reader may read count, and
//! never restricted ones: a restricted record is neither flagged nor counted, so no flag
//! tells anyone that one exists.

use kiosk_core::registration::Registration;

use crate::blind_index::{do_not_contact_entries, registration_of};
use crate::hr::accounts::HrUser;
use crate::hr::error::{HrResult, StorageContext};
use crate::hr::policy::may_read;
use crate::rules::blind_index::{BlindIndexKeys, normalized_contacts};
use crate::storage::{DoNotContactEntry, RelayStore};

/// The flags of one record for one reader.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct ContactFlags {
    /// Earlier registrations of the same email or phone that the reader may read, oldest
    /// first (ids).
    pub seen_before: Vec<String>,
    /// Do-not-contact entries the record's email or phone matches.
    pub do_not_contact: Vec<DoNotContactEntry>,
}

/// How many earlier registrations a flag looks for: all of them on a record's page (within
/// the candidates' own bound), one on a list row, which shows only whether there is one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SeenBefore {
    All,
    Any,
}

/// [`ContactFlags`] of registration `doc_id` (`registration`) for `user`, at `at`. Reads
/// candidates unlogged: nothing of them is shown but their ids, which the reader may read.
pub(crate) fn flags(
    store: &dyn RelayStore,
    keys: &BlindIndexKeys,
    user: &HrUser,
    doc_id: &str,
    registration: &Registration,
    at: i64,
    wanted: SeenBefore,
) -> HrResult<ContactFlags> {
    let do_not_contact = store
        .do_not_contact_matches(&do_not_contact_entries(keys, registration), at)
        .context("reading the do-not-contact list")?;
    Ok(ContactFlags {
        seen_before: seen_before(store, user, doc_id, registration, wanted)?,
        do_not_contact,
    })
}

fn seen_before(
    store: &dyn RelayStore,
    user: &HrUser,
    doc_id: &str,
    registration: &Registration,
    wanted: SeenBefore,
) -> HrResult<Vec<String>> {
    if registration.restricted {
        return Ok(Vec::new());
    }
    let mine = normalized_contacts(
        registration.person.email.as_deref(),
        registration.person.phone.as_deref(),
    );
    if mine.is_empty() {
        return Ok(Vec::new());
    }
    let entries = store
        .blind_index_of(doc_id)
        .context("reading a record's duplicate index")?;
    if entries.is_empty() {
        return Ok(Vec::new());
    }
    let candidates = store
        .blind_index_candidates(doc_id, &entries)
        .context("reading duplicate candidates")?;
    let mut confirmed: Vec<(i64, String)> = Vec::new();
    for candidate in candidates {
        let Some(stored) = store
            .stored_registration(&candidate)
            .context("reading a duplicate candidate")?
        else {
            continue;
        };
        if stored.restricted || may_read(store, user, &stored.event_id, false).is_err() {
            continue;
        }
        let Some(other) = registration_of(&stored.changes) else {
            continue;
        };
        let earlier = (other.captured_at.millis(), other.id.as_str())
            < (registration.captured_at.millis(), registration.id.as_str());
        if other.restricted || !earlier {
            continue;
        }
        let theirs =
            normalized_contacts(other.person.email.as_deref(), other.person.phone.as_deref());
        if theirs.iter().any(|value| mine.contains(value)) {
            confirmed.push((other.captured_at.millis(), candidate));
            // A list row asks only whether there is one: no more records loaded for it.
            if wanted == SeenBefore::Any {
                break;
            }
        }
    }
    confirmed.sort();
    Ok(confirmed.into_iter().map(|(_, id)| id).collect())
}

/// [`flags`] of each listed row that has any, by id, for `user`. Rows are read unlogged:
/// the list logged them as read, and only the flags are shown. Restricted rows get none.
pub(crate) fn flags_of_rows(
    store: &dyn RelayStore,
    keys: &BlindIndexKeys,
    user: &HrUser,
    rows: &[crate::storage::RegistrationSummary],
    at: i64,
) -> HrResult<std::collections::HashMap<String, ContactFlags>> {
    let mut flagged = std::collections::HashMap::new();
    for row in rows.iter().filter(|row| !row.restricted) {
        let Some(registration) = store
            .registration_document(&row.id)
            .context("reading a listed record's contacts")?
            .as_deref()
            .and_then(registration_of)
        else {
            continue;
        };
        let row_flags = flags(
            store,
            keys,
            user,
            &row.id,
            &registration,
            at,
            SeenBefore::Any,
        )?;
        if row_flags != ContactFlags::default() {
            flagged.insert(row.id.clone(), row_flags);
        }
    }
    Ok(flagged)
}

/// Records `user`'s report that the visitor behind `doc_id` asked not to be contacted: their
/// email and phone go onto the do-not-contact list with that basis, and the act is logged as
/// a change of the record. For a user who may read the record (a refused attempt is logged
/// and shows nothing). Blocking.
pub(crate) fn record_objection_logged(
    store: &dyn RelayStore,
    keys: &BlindIndexKeys,
    user: &HrUser,
    doc_id: &str,
) -> HrResult<()> {
    crate::hr::policy::require_withdrawer(user)?;
    crate::hr::record_access::reachable_record(store, user, doc_id, may_read)?;
    let at = crate::state::now_ms();
    store
        .log_access(&crate::storage::AccessEntry {
            at,
            accessor: crate::storage::Accessor::Operator(user.accessor_name()),
            action: crate::storage::AccessAction::Change,
            doc_id: doc_id.to_owned(),
        })
        .context("logging a do-not-contact request")?;
    crate::blind_index::add_to_do_not_contact(
        store,
        keys,
        doc_id,
        crate::blind_index::BASIS_OBJECTED,
        at,
    )
    .context("adding to the do-not-contact list")
}
