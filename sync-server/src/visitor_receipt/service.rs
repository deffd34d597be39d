//! What the visitor's page does, below its routes: a look-up (the code's check symbol,
//! then the limiter, then one keyed hash and one lookup, whatever the code), and the three
//! things a visitor may do with a received registration. Every use is written to the
//! access log as the visitor's ([`Accessor::Visitor`]). Blocking.
//!
//! A wrong code, a receipt HR withdrew and one whose record was removed all find no tag,
//! and take the same path: one tag computation, one lookup, no record. The page they get is
//! the same ("on its way"), so nothing on it tells them apart.

use std::net::IpAddr;

use kiosk_core::language::Localized;
use kiosk_core::receipt::ReceiptSecret;

use super::limiter::ReceiptLimiter;
use crate::keys::RelayKeys;
use crate::rules::access_chain::VISITOR_ACTOR;
use crate::rules::blind_index::BlindIndexKeys;
use crate::storage::{
    AccessAction, AccessEntry, Accessor, MAX_CORRECTION_CHARS, ReceiptRecord, RelayStore,
    StorageResult, VisitorRequestAdded, VisitorRequestKind, WithdrawalOutcome,
};

/// What a look-up found.
#[derive(Debug)]
pub enum Lookup {
    /// The address, or every address together, is at its limit of failed look-ups: nothing
    /// was read. Try again in this many seconds.
    RateLimited {
        retry_after_secs: u64,
    },
    /// The code's check symbol fails (a typo): nothing was looked up.
    Mistyped,
    /// No registration holds this receipt: not received yet, or the code is wrong, or the
    /// receipt was withdrawn, or the record removed. One answer for all of them.
    NotFound,
    Found(Found),
}

/// A received registration, as its receipt page shows it.
#[derive(Debug, Clone)]
pub struct Found {
    pub record: ReceiptRecord,
    /// The event's name; `None` if the event is not held (it always is for a record).
    pub event_name: Option<Localized>,
}

/// Looks up the registration of receipt code `typed` for a visitor at `address`. Cheap
/// checks first: the check symbol refuses a typo (no limiter slot), the limiter counts the
/// look-up (and refuses one over the limit); only then the keyed hash and the lookup. A found
/// registration's look-up is taken back from the count.
pub fn look_up(
    store: &dyn RelayStore,
    keys: &RelayKeys,
    limiter: &ReceiptLimiter,
    address: IpAddr,
    typed: &str,
    now: i64,
) -> StorageResult<Lookup> {
    // A typo costs no limiter slot: the check symbol is free and reads nothing stored.
    let Some(secret) = ReceiptSecret::parse(typed) else {
        return Ok(Lookup::Mistyped);
    };
    if let Err(retry_after_secs) = limiter.begin(store, address, now)? {
        return Ok(Lookup::RateLimited { retry_after_secs });
    }
    let tag = keys.receipt.tag(&secret.hash());
    drop(secret);
    let Some(record) = store.record_by_receipt_tag(&tag)? else {
        tracing::info!(receipt = %keys.receipt.log_name(&tag), "receipt look-up found nothing");
        return Ok(Lookup::NotFound);
    };
    if let Err(error) = limiter.forgive(store, address) {
        // The visitor is answered all the same; their look-up stays counted, nothing worse.
        tracing::warn!(%error, "a receipt look-up that found its record was not taken back");
    }
    let event_name = kiosk_core::ids::EventId::parse(&record.event_id)
        .map(|id| store.event(&id))
        .transpose()?
        .flatten()
        .map(|event| event.name);
    Ok(Lookup::Found(Found { record, event_name }))
}

fn log(store: &dyn RelayStore, doc_id: &str, action: AccessAction, at: i64) -> StorageResult<()> {
    store.log_access(&AccessEntry {
        at,
        accessor: Accessor::Visitor,
        action,
        doc_id: doc_id.to_owned(),
    })
}

/// Logs that the visitor saw their receipt page.
pub fn viewed(store: &dyn RelayStore, found: &Found, at: i64) -> StorageResult<()> {
    log(store, &found.record.doc_id, AccessAction::Read, at)
}

/// What withdrawing the consent did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Withdrawal {
    Withdrawn,
    /// It was withdrawn before (by the visitor or by HR).
    Already,
    /// The visitor never opted in, or the record is gone: nothing to withdraw.
    Nothing,
}

/// Withdraws the visitor's talent-pool consent through the store's withdrawal (as HR's:
/// lists and exports drop them at once, staff tablets learn it, the access log has it as
/// the visitor's change) and puts their email and phone on the do-not-contact list.
pub fn withdraw_consent(
    store: &dyn RelayStore,
    index_keys: &BlindIndexKeys,
    found: &Found,
    at: i64,
) -> StorageResult<Withdrawal> {
    let doc_id = &found.record.doc_id;
    let outcome = crate::blind_index::withdraw_talent_pool(
        store,
        index_keys,
        doc_id,
        &Accessor::Visitor,
        VISITOR_ACTOR,
        at,
    )?;
    match outcome {
        WithdrawalOutcome::Withdrawn { already, .. } => Ok(if already {
            Withdrawal::Already
        } else {
            Withdrawal::Withdrawn
        }),
        WithdrawalOutcome::NeverOptedIn | WithdrawalOutcome::NoRecord => Ok(Withdrawal::Nothing),
    }
}

/// Why a correction's text is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TextRefusal {
    Empty,
    TooLong,
}

/// A correction's text as typed, trimmed: 1 to [`MAX_CORRECTION_CHARS`] characters, with
/// no control characters but line breaks and tabs (they are dropped).
pub fn checked_text(text: &str) -> Result<String, TextRefusal> {
    let text: String = text
        .trim()
        .chars()
        .filter(|c| !c.is_control() || matches!(c, '\n' | '\r' | '\t'))
        .collect();
    match text.chars().count() {
        0 => Err(TextRefusal::Empty),
        n if n > MAX_CORRECTION_CHARS => Err(TextRefusal::TooLong),
        _ => Ok(text),
    }
}

/// What a visitor's request did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Requested {
    Sent,
    /// One of the same kind is still open: nothing was added (a refreshed page re-posts).
    AlreadySent,
    /// The record is gone (removed meanwhile).
    NoRecord,
}

/// Puts the visitor's request in the archivists' queue and logs it as theirs, unless one
/// of its kind is open already (then nothing is added or logged).
pub fn request(
    store: &dyn RelayStore,
    found: &Found,
    kind: VisitorRequestKind,
    text: Option<&str>,
    at: i64,
) -> StorageResult<Requested> {
    let doc_id = &found.record.doc_id;
    match store.add_visitor_request(doc_id, kind, text, at)? {
        VisitorRequestAdded::Added(_) => {}
        VisitorRequestAdded::AlreadyOpen(_) => return Ok(Requested::AlreadySent),
        VisitorRequestAdded::NoRecord => return Ok(Requested::NoRecord),
    }
    let action = match kind {
        VisitorRequestKind::SubjectAccess => AccessAction::AccessRequested,
        VisitorRequestKind::Correction => AccessAction::CorrectionRequested,
    };
    log(store, doc_id, action, at)?;
    Ok(Requested::Sent)
}
