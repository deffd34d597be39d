//! Retention (*gallring*), legal holds and talent-pool withdrawals, for the JSON API and the
//! console alike.
//!
//! Archivists see each event's rule and what is due, start a run (carried on in the
//! background by [`crate::retention::RetentionJob`]), and set or lift a legal hold on a
//! record, always with a reason; a held record is never removed. Recording that a visitor
//! withdrew their talent-pool consent is for archivists and the recruiters assigned to the
//! record's event (restricted records with the clearance, as reading): it takes effect at
//! once, and the answer carries what to tell the visitor, with the earliest date the record
//! itself may be removed under its rule.
//!
//! This is the service; its JSON API is [`crate::hr::retention_api`], and the console
//! calls the same functions. Errors are [`HrError`]s.

use kiosk_core::ids::EventId;
use kiosk_core::language::{Language, Localized};

use crate::hr::accounts::HrUser;
use crate::hr::error::{Conflict, HrError, HrResult, Missing, StorageContext};
use crate::hr::policy::{may_read, require_clearance, require_holder, require_withdrawer};
use crate::hr::record_access::{log_refusal, missing_registration, reachable_record};
use crate::retention::Started;
use crate::state::{AppState, now_ms};
use crate::storage::{
    Accessor, HoldChange, LegalHold, RecordRetention, RelayStore, RetentionDue, RetentionRun,
    WithdrawalOutcome,
};

/// Longest reason for a hold, in characters.
const MAX_REASON_CHARS: usize = 500;

/// `reason` trimmed, if it is 1–500 characters; a 422 naming `reason` if not.
pub(crate) fn checked_reason(reason: &str) -> HrResult<String> {
    let reason = reason.trim();
    if reason.is_empty() || reason.chars().count() > MAX_REASON_CHARS {
        return Err(HrError::InvalidField {
            field: "reason",
            rule: "a reason has 1–500 characters besides surrounding spaces",
        });
    }
    Ok(reason.to_owned())
}

/// Every event's rule with what is due now, the holds, and the newest runs.
pub(crate) struct Overview {
    pub as_of: i64,
    pub events: Vec<RetentionDue>,
    /// Each event's name, in `events`' order (`None` for an event the relay lacks).
    pub event_names: Vec<Option<Localized>>,
    /// The holds `user` may see: those on restricted records only with the clearance.
    pub holds: Vec<LegalHold>,
    pub runs: Vec<RetentionRun>,
}

/// How many runs the overview shows.
const RUNS_SHOWN: u32 = 20;

/// [`Overview`] for archivist `user`. Blocking.
pub(crate) fn overview_of(store: &dyn RelayStore, user: &HrUser) -> HrResult<Overview> {
    require_holder(user)?;
    let as_of = now_ms();
    let events = store
        .retention_due(as_of)
        .context("reading what retention has due")?;
    let event_names = events
        .iter()
        .map(|due| {
            let id = EventId::parse(&due.rule.event_id)?;
            store.event(&id).ok().flatten().map(|event| event.name)
        })
        .collect();
    let mut holds = store.legal_holds().context("reading the legal holds")?;
    holds.retain(|hold| require_clearance(user, hold.restricted).is_ok());
    Ok(Overview {
        as_of,
        events,
        event_names,
        holds,
        runs: store
            .retention_runs(RUNS_SHOWN)
            .context("reading the retention runs")?,
    })
}

/// Starts a run as archivist `user`; an unfinished run is carried on instead
/// ([`Conflict::RetentionRunning`] with its number).
pub(crate) async fn start_run_as(state: &AppState, user: &HrUser) -> HrResult<RetentionRun> {
    require_holder(user)?;
    match state.retention.start(user.accessor_name()).await? {
        Started::Started(run) => Ok(run),
        Started::AlreadyRunning(run) => Err(Conflict::RetentionRunning(run.id).into()),
    }
}

/// Retention run `id` (`id` as asked: anything but a number is no run), for archivist
/// `user`. Blocking.
pub(crate) fn retention_run(
    store: &dyn RelayStore,
    user: &HrUser,
    id: &str,
) -> HrResult<RetentionRun> {
    require_holder(user)?;
    let Ok(id) = id.parse::<i64>() else {
        return Err(Missing::RetentionRun.into());
    };
    store
        .retention_run(id)
        .context("reading a retention run")?
        .ok_or(Missing::RetentionRun.into())
}

/// Refuses `user` a restricted record without the clearance (the attempt is logged), as a
/// read would: its hold and dates are about a protected person too.
fn require_clearance_for(store: &dyn RelayStore, user: &HrUser, doc_id: &str) -> HrResult<()> {
    let stored = store
        .stored_registration(doc_id)
        .context("reading a registration")?;
    match stored {
        Some(stored) if require_clearance(user, stored.restricted).is_err() => {
            log_refusal(store, user, doc_id)?;
            // As a record the relay never held: see `uncleared_as_unknown`.
            Err(Missing::Registration.into())
        }
        _ => Ok(()),
    }
}

/// Where record `doc_id` stands (dates and rules only: not logged).
fn retention_of(store: &dyn RelayStore, doc_id: &str) -> HrResult<RecordRetention> {
    match store
        .record_retention(doc_id)
        .context("reading a record's retention")?
    {
        Some(retention) => Ok(retention),
        None => Err(missing_registration(store, doc_id)?),
    }
}

/// Where record `doc_id` stands, for archivist `user`; a restricted record needs the
/// clearance (the refused attempt is logged). Blocking.
pub(crate) fn record_retention_for(
    store: &dyn RelayStore,
    user: &HrUser,
    doc_id: &str,
) -> HrResult<RecordRetention> {
    require_holder(user)?;
    require_clearance_for(store, user, doc_id)?;
    retention_of(store, doc_id)
}

/// Sets (`hold`) or lifts a legal hold on `doc_id` as archivist `user`, with `reason`.
/// Blocking.
pub(crate) fn change_hold(
    store: &dyn RelayStore,
    user: &HrUser,
    doc_id: &str,
    hold: bool,
    reason: &str,
) -> HrResult<RecordRetention> {
    require_holder(user)?;
    let reason = checked_reason(reason)?;
    require_clearance_for(store, user, doc_id)?;
    let changed = store
        .change_legal_hold(doc_id, hold, &reason, &user.accessor_name(), now_ms())
        .context("changing a legal hold")?;
    match changed {
        HoldChange::Done => retention_of(store, doc_id),
        HoldChange::AlreadySo if hold => Err(Conflict::AlreadyOnHold.into()),
        HoldChange::AlreadySo => Err(Conflict::NotOnHold.into()),
        HoldChange::NoRecord => Err(missing_registration(store, doc_id)?),
    }
}

/// A recorded withdrawal and what to tell the visitor.
#[derive(Debug, Clone)]
pub(crate) struct Withdrawn {
    pub withdrawn_at: i64,
    /// Recorded earlier, not now.
    pub already: bool,
    pub retention: RecordRetention,
}

/// What to tell a visitor who withdrew on `withdrawn_at`, in Swedish and English: the
/// consent is withdrawn, and the registration, a public record, is removed no earlier than
/// its due date (`retention`'s).
pub(crate) fn told_to_visitor(retention: &RecordRetention, withdrawn_at: i64) -> (String, String) {
    let withdrawn = crate::hr::dates::local_date(withdrawn_at);
    let due = crate::hr::dates::local_date(retention.due_at);
    let months = |lang| {
        crate::hr::plural::amount(
            lang,
            u64::from(retention.rule.months),
            crate::hr::plural::Unit::Months,
        )
    };
    let (months_sv, months_en) = (months(Language::Swedish), months(Language::English));
    let mut sv = format!(
        "Ditt samtycke till att finnas i vår talangpool är återkallat från och med \
         {withdrawn}. Vi kontaktar dig inte om andra tjänster. Din registrering är en \
         allmän handling och gallras tidigast {due} ({months_sv} efter att vi tog \
         emot den)."
    );
    let mut en = format!(
        "Your consent to our talent pool is withdrawn as of {withdrawn}. We will not \
         contact you about other roles. Your registration is a public record and is \
         removed no earlier than {due} ({months_en} after we received it)."
    );
    if retention.legal_hold.is_some() {
        sv.push_str(" Just nu får den inte gallras, eftersom den måste bevaras för ett ärende.");
        en.push_str(" For now it must not be removed, as a case requires it to be kept.");
    }
    (sv, en)
}

/// Records `user`'s report that the visitor behind `doc_id` withdrew their talent-pool
/// consent, if `user` may read the record (the refused attempt is access-logged), and adds
/// their email and phone to the do-not-contact list, so later registrations are flagged.
/// Blocking.
pub(crate) fn withdraw_logged(
    store: &dyn RelayStore,
    index_keys: &crate::rules::blind_index::BlindIndexKeys,
    user: &HrUser,
    doc_id: &str,
) -> HrResult<Withdrawn> {
    require_withdrawer(user)?;
    reachable_record(store, user, doc_id, may_read)?;
    let by = Accessor::Operator(user.accessor_name());
    let outcome = crate::blind_index::withdraw_talent_pool(
        store,
        index_keys,
        doc_id,
        &by,
        &user.accessor_name(),
        now_ms(),
    )
    .context("recording a talent-pool withdrawal and its do-not-contact entry")?;
    match outcome {
        WithdrawalOutcome::Withdrawn {
            withdrawn_at,
            already,
        } => Ok(Withdrawn {
            withdrawn_at,
            already,
            retention: retention_of(store, doc_id)?,
        }),
        WithdrawalOutcome::NeverOptedIn => Err(Conflict::NoTalentPoolConsent.into()),
        WithdrawalOutcome::NoRecord => Err(missing_registration(store, doc_id)?),
    }
}
