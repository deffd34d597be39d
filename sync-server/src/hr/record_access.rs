//! The record-access policy ([`crate::hr::policy`]) applied to one record: reaching a
//! stored registration or refusing it, with the refused attempt in the access log and a
//! restricted record refused as one never held. The services that read, edit, hold or
//! withdraw a record call these before touching it.

use crate::blocking::blocking;
use crate::hr::accounts::HrUser;
use crate::hr::error::{Denial, HrError, Missing, StorageContext};
use crate::hr::policy::{Question, RecordRule};
use crate::state::{AppState, now_ms};
use crate::storage::{AccessAction, AccessEntry, Accessor, RelayStore};

/// The stored registration `doc_id`, if `user` may reach it under `rule`; a refusal is
/// access-logged, and a missing record says whether it was removed. Blocking.
pub(crate) fn reachable_record(
    store: &dyn RelayStore,
    user: &HrUser,
    doc_id: &str,
    rule: RecordRule,
) -> Result<crate::storage::StoredRegistration, HrError> {
    let Some(stored) = store
        .stored_registration(doc_id)
        .context("reading a registration")?
    else {
        return Err(missing_registration(store, doc_id)?);
    };
    if let Err(refusal) = rule(store, user, &stored.event_id, stored.restricted) {
        log_refusal(store, user, doc_id)?;
        return Err(uncleared_as_unknown(refusal));
    }
    Ok(stored)
}

/// A refusal for want of the clearance, as the caller hears it: as an id the relay never
/// held, so that a user without the clearance cannot tell that a restricted record exists
/// (the attempt is still logged, and only cleared reviewers see that entry).
pub(crate) fn uncleared_as_unknown(refusal: HrError) -> HrError {
    match refusal {
        HrError::Denied(Denial::Restricted) => Missing::Registration.into(),
        other => other,
    }
}

/// Why the relay holds no registration `doc_id`: removed (its removal record remains), or
/// never received.
pub(crate) fn missing_registration(
    store: &dyn RelayStore,
    doc_id: &str,
) -> Result<HrError, HrError> {
    let removed = store
        .removal(doc_id)
        .context("reading a removal record")?
        .is_some();
    Ok(if removed {
        Missing::RemovedRegistration
    } else {
        Missing::Registration
    }
    .into())
}

/// Writes `user`'s refused attempt at registration `doc_id` to the access log.
pub(crate) fn log_refusal(
    store: &dyn RelayStore,
    user: &HrUser,
    doc_id: &str,
) -> Result<(), HrError> {
    store
        .log_access(&AccessEntry {
            at: now_ms(),
            accessor: Accessor::Operator(user.accessor_name()),
            action: AccessAction::ReadRefused,
            doc_id: doc_id.to_owned(),
        })
        .context("logging a refused read")
}

/// Asks `question` for `user`'s attempt at record `doc_id`. A refusal for lack of a role
/// is access-logged as a refused read when the record exists, as refusals for assignment or
/// clearance are: the log shows everyone who tried to reach a visitor's data.
pub(crate) async fn require_for_record(
    state: &AppState,
    user: &HrUser,
    doc_id: &str,
    question: Question,
) -> Result<(), HrError> {
    let Err(refusal) = question(user) else {
        return Ok(());
    };
    if matches!(refusal, Denial::MissingRole(_)) {
        let (store, user, doc_id) = (state.store.clone(), user.clone(), doc_id.to_owned());
        blocking(move || -> Result<(), HrError> {
            let exists = store
                .stored_registration(&doc_id)
                .context("reading a registration")?
                .is_some();
            if exists {
                log_refusal(store.as_ref(), &user, &doc_id)?;
            }
            Ok(())
        })
        .await??;
    }
    Err(refusal.into())
}
