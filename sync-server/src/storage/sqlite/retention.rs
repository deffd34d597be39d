//! The records lifecycle in the store: when a registration falls due for *gallring*, the
//! legal holds that stop it, talent-pool withdrawals, the removal itself, and retention runs.
//!
//! A record is due when its retention rule's months have passed since the relay received
//! it (relay time: a tablet's clock is recorded, never trusted). A run removes what is due
//! in small batches, each one transaction, so ingest waits at most one batch and a run
//! killed half-way leaves every record either whole or removed; the run's row stays
//! unfinished and the next start resumes it. A run ends by checkpointing and truncating the
//! WAL, so the erased bytes linger nowhere.
//!
//! Which rule applies and when a record falls due under it are
//! [`crate::rules::retention_rules`]'s; this file selects and removes the rows.

use rusqlite::{Connection, OptionalExtension, Transaction, params};

use super::access_log;
use super::lifecycle_journal::{self, LifecycleJournal};
use crate::storage::StorageResult;
use crate::storage::model::{
    AccessAction, Accessor, AppliedRule, HoldChange, HoldHistoryEntry, LegalHold, LifecycleEntry,
    RemovalOutcome, RetentionRun, RunStep, WithdrawalOutcome,
};

/// Removes registration `doc_id` inside `tx`: erases its bytes, changes, index row and
/// quarantined copies, keeps a removal record citing `reason`, and logs the removal.
/// The caller commits, then checkpoints the WAL.
pub(crate) fn remove_in(
    tx: &Transaction<'_>,
    doc_id: &str,
    reason: &str,
    by: &Accessor,
    at: i64,
) -> StorageResult<RemovalOutcome> {
    let record: Option<(String, Vec<u8>, bool)> = tx
        .query_row(
            "SELECT event_id, device_key, restricted FROM registrations WHERE doc_id = ?1",
            [doc_id],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .optional()?;
    let Some((event_id, device_key, restricted)) = record else {
        return Ok(RemovalOutcome::NoRecord);
    };
    if legal_hold(tx, doc_id)?.is_some() {
        return Ok(RemovalOutcome::OnLegalHold);
    }
    let commit_seq = super::next_commit_seq(tx)?;
    erase_and_record_removal(
        tx,
        &RemovalRecord {
            doc_id,
            event_id: &event_id,
            device_key: &device_key,
            restricted,
            at,
            commit_seq,
            reason,
            author: crate::transparency::leaf::accessor_author(by),
        },
    )?;
    access_log::append_one(tx, at, by, AccessAction::Remove, doc_id)?;
    Ok(RemovalOutcome::Removed)
}

/// What a removal record holds: no personal data, only where the record came from, when and
/// why it went.
pub(crate) struct RemovalRecord<'a> {
    pub doc_id: &'a str,
    pub event_id: &'a str,
    pub device_key: &'a [u8],
    pub restricted: bool,
    pub at: i64,
    pub commit_seq: i64,
    pub reason: &'a str,
    /// Who removed it, as the transparency log's `removed` leaf names them.
    pub author: [u8; 32],
}

/// Erases every copy of a registration the relay keeps (its bytes, changes, index row,
/// quarantined copies, withdrawal, transparency-log nonce) and keeps a removal record in
/// their place, with a `removed` leaf citing the record's commitment and the decision.
/// Retention, removal by hand and a restore's replay all remove through this, so no copy
/// is missed. A record the store never held (a restore's replay of a removal the backup
/// predates) has no nonce and gets no leaf: the restored log never had its leaves either;
/// but one held only as copies kept apart has their `quarantined` leaves, so its `removed`
/// leaf is written under their nonce and links to them.
pub(crate) fn erase_and_record_removal(
    tx: &Transaction<'_>,
    removal: &RemovalRecord<'_>,
) -> StorageResult<()> {
    let nonce = super::tlog::quarantine_nonce(tx, removal.doc_id)?;
    for table in crate::storage::record_tables::RECORD_TABLES {
        tx.execute(
            &format!("DELETE FROM {table} WHERE doc_id = ?1"),
            [removal.doc_id],
        )?;
    }
    tx.execute(
        "INSERT INTO removals
         (doc_id, event_id, device_key, restricted, removed_at, commit_seq, reason)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        params![
            removal.doc_id,
            removal.event_id,
            removal.device_key,
            removal.restricted,
            removal.at,
            removal.commit_seq,
            removal.reason
        ],
    )?;
    if let Some(nonce) = nonce {
        let leaf = crate::transparency::leaf::removal(
            &nonce,
            removal.doc_id,
            removal.reason,
            removal.author,
            removal.at,
        );
        super::tlog::append(tx, &[leaf])?;
    }
    Ok(())
}

/// Checkpoints the WAL into the database file and truncates it, so bytes a removal erased
/// (overwritten in the pages by `secure_delete`) survive in neither file. A reader in
/// another process can hold the checkpoint back for a moment: it is tried again; `false`
/// if it never went through (the next checkpoint then erases the old pages).
pub(crate) fn truncate_wal(conn: &Connection) -> StorageResult<bool> {
    for attempt in 0..20 {
        let busy: i64 = conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |r| r.get(0))?;
        if busy == 0 {
            return Ok(true);
        }
        if attempt < 19 {
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
    }
    tracing::warn!(
        "records were removed, but the WAL could not be checkpointed yet; the next \
         checkpoint erases the old pages"
    );
    Ok(false)
}

pub(crate) fn legal_hold(conn: &Connection, doc_id: &str) -> StorageResult<Option<LegalHold>> {
    Ok(conn
        .query_row(
            &format!("SELECT {HOLD_COLUMNS} WHERE h.doc_id = ?1"),
            [doc_id],
            hold_row,
        )
        .optional()?)
}

fn hold_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<LegalHold> {
    Ok(LegalHold {
        doc_id: r.get(0)?,
        reason: r.get(1)?,
        set_by: r.get(2)?,
        set_at: r.get(3)?,
        restricted: r.get(4)?,
    })
}

/// A hold's columns, with its record's restricted flag (a hold is only ever on a stored
/// record: removal refuses a held one).
const HOLD_COLUMNS: &str = "h.doc_id, h.reason, h.set_by, h.set_at, r.restricted
     FROM legal_holds h JOIN registrations r ON r.doc_id = h.doc_id";

/// Every record on hold, oldest hold first.
pub(crate) fn legal_holds(conn: &Connection) -> StorageResult<Vec<LegalHold>> {
    let mut statement = conn.prepare(&format!(
        "SELECT {HOLD_COLUMNS} ORDER BY h.set_at, h.doc_id"
    ))?;
    let holds = statement
        .query_map([], hold_row)?
        .collect::<Result<_, _>>()?;
    Ok(holds)
}

pub(crate) fn legal_hold_history(
    conn: &Connection,
    doc_id: &str,
) -> StorageResult<Vec<HoldHistoryEntry>> {
    let mut statement = conn.prepare(
        "SELECT action, reason, by, at FROM legal_hold_history WHERE doc_id = ?1 ORDER BY id",
    )?;
    let history = statement
        .query_map([doc_id], |r| {
            Ok(HoldHistoryEntry {
                hold: r.get::<_, String>(0)? == "set",
                reason: r.get(1)?,
                by: r.get(2)?,
                at: r.get(3)?,
            })
        })?
        .collect::<Result<_, _>>()?;
    Ok(history)
}

/// Sets (`hold = true`) or lifts a legal hold on a stored record, with the reason, recorded
/// in the hold's history in the same transaction.
pub(crate) fn change_legal_hold(
    conn: &mut Connection,
    journal: Option<&LifecycleJournal>,
    doc_id: &str,
    hold: bool,
    reason: &str,
    by: &str,
    at: i64,
) -> StorageResult<HoldChange> {
    let tx = conn.transaction()?;
    let exists: bool = tx.query_row(
        "SELECT EXISTS (SELECT 1 FROM registrations WHERE doc_id = ?1)",
        [doc_id],
        |r| r.get(0),
    )?;
    if !exists {
        return Ok(HoldChange::NoRecord);
    }
    let changed = if hold {
        tx.execute(
            "INSERT OR IGNORE INTO legal_holds (doc_id, reason, set_by, set_at)
             VALUES (?1, ?2, ?3, ?4)",
            params![doc_id, reason, by, at],
        )?
    } else {
        tx.execute("DELETE FROM legal_holds WHERE doc_id = ?1", [doc_id])?
    };
    if changed == 0 {
        return Ok(HoldChange::AlreadySo);
    }
    tx.execute(
        "INSERT INTO legal_hold_history (doc_id, action, reason, by, at)
         VALUES (?1, ?2, ?3, ?4, ?5)",
        params![doc_id, if hold { "set" } else { "lift" }, reason, by, at],
    )?;
    let nonce = super::tlog::nonce_of_stored(&tx, doc_id)?;
    super::tlog::append(
        &tx,
        &[crate::transparency::leaf::hold(
            &nonce, doc_id, hold, reason, by, at,
        )],
    )?;
    // Ahead of the commit: a restore replays it (see `lifecycle_journal`).
    lifecycle_journal::record(
        journal,
        &[LifecycleEntry::Hold {
            doc_id: doc_id.to_owned(),
            hold,
            at,
            reason: reason.to_owned(),
            by: by.to_owned(),
        }],
    )?;
    tx.commit()?;
    Ok(HoldChange::Done)
}

/// Records that the visitor withdrew their talent-pool consent, at once: the list index
/// drops them from talent-pool lists in the same transaction, with a `change` entry.
pub(crate) fn withdraw_talent_pool(
    conn: &mut Connection,
    journal: Option<&LifecycleJournal>,
    doc_id: &str,
    by: &Accessor,
    by_name: &str,
    at: i64,
) -> StorageResult<WithdrawalOutcome> {
    let tx = conn.transaction()?;
    let Some(stored) = super::stored_registration(&tx, doc_id)? else {
        return Ok(WithdrawalOutcome::NoRecord);
    };
    if let Some(withdrawn_at) = withdrawn_at(&tx, doc_id)? {
        return Ok(WithdrawalOutcome::Withdrawn {
            withdrawn_at,
            already: true,
        });
    }
    let (_, registration) =
        kiosk_core::documents::RegistrationDocument::load_unattributed(&stored.changes)?;
    if registration.consents.talent_pool.is_none() {
        return Ok(WithdrawalOutcome::NeverOptedIn);
    }
    // Numbered like a commit, so staff tablets pull the withdrawal past their cursor.
    let commit_seq = super::next_commit_seq(&tx)?;
    tx.execute(
        "INSERT INTO talent_pool_withdrawals (doc_id, withdrawn_at, recorded_by, commit_seq)
         VALUES (?1, ?2, ?3, ?4)",
        params![doc_id, at, by_name, commit_seq],
    )?;
    tx.execute(
        "UPDATE registration_index SET talent_pool = 0 WHERE doc_id = ?1",
        [doc_id],
    )?;
    access_log::append_one(&tx, at, by, AccessAction::Change, doc_id)?;
    // Who withdrew it, in the log: the record's document does not change.
    let nonce = super::tlog::nonce_of_stored(&tx, doc_id)?;
    super::tlog::append(
        &tx,
        &[crate::transparency::leaf::decision(
            crate::transparency::leaf::LeafKind::TalentPoolWithdrawn,
            &nonce,
            doc_id,
            "",
            crate::transparency::leaf::accessor_author(by),
            at,
        )],
    )?;
    lifecycle_journal::record(
        journal,
        &[LifecycleEntry::Withdrawal {
            doc_id: doc_id.to_owned(),
            at,
            by: by_name.to_owned(),
        }],
    )?;
    tx.commit()?;
    Ok(WithdrawalOutcome::Withdrawn {
        withdrawn_at: at,
        already: false,
    })
}

/// When the visitor withdrew their talent-pool consent, if they did.
pub(crate) fn withdrawn_at(conn: &Connection, doc_id: &str) -> StorageResult<Option<i64>> {
    Ok(conn
        .query_row(
            "SELECT withdrawn_at FROM talent_pool_withdrawals WHERE doc_id = ?1",
            [doc_id],
            |r| r.get(0),
        )
        .optional()?)
}

/// When a record was received, for its due date.
pub(crate) fn received_at(conn: &Connection, doc_id: &str) -> StorageResult<Option<(String, i64)>> {
    Ok(conn
        .query_row(
            "SELECT event_id, received_at FROM registrations WHERE doc_id = ?1",
            [doc_id],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?)
}

/// The events that have stored registrations.
pub(crate) fn events_with_records(conn: &Connection) -> StorageResult<Vec<String>> {
    let mut statement = conn.prepare("SELECT DISTINCT event_id FROM registrations")?;
    let events = statement
        .query_map([], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    Ok(events)
}

/// How many of an event's records are due at `as_of`, and how many of those are held.
pub(crate) fn due_count(
    conn: &Connection,
    rule: &AppliedRule,
    as_of: i64,
) -> StorageResult<(u64, u64)> {
    let (due, held): (i64, i64) = conn.query_row(
        "SELECT COUNT(*),
                COUNT(h.doc_id)
         FROM registrations r LEFT JOIN legal_holds h ON h.doc_id = r.doc_id
         WHERE r.event_id = ?1 AND r.received_at <= ?2",
        params![rule.event_id, rule.due_through(as_of)],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    Ok((due as u64, held as u64))
}

const RUN_COLUMNS: &str = "id, started_at, started_by, as_of, finished_at, removed, held";

fn run_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<RetentionRun> {
    Ok(RetentionRun {
        id: r.get(0)?,
        started_at: r.get(1)?,
        started_by: r.get(2)?,
        as_of: r.get(3)?,
        finished_at: r.get(4)?,
        removed: r.get::<_, i64>(5)? as u64,
        held: r.get::<_, i64>(6)? as u64,
    })
}

/// The run not yet finished, if one is (at most one ever is).
pub(crate) fn unfinished_run(conn: &Connection) -> StorageResult<Option<RetentionRun>> {
    Ok(conn
        .query_row(
            &format!("SELECT {RUN_COLUMNS} FROM retention_runs WHERE finished_at IS NULL"),
            [],
            run_row,
        )
        .optional()?)
}

pub(crate) fn run(conn: &Connection, id: i64) -> StorageResult<Option<RetentionRun>> {
    Ok(conn
        .query_row(
            &format!("SELECT {RUN_COLUMNS} FROM retention_runs WHERE id = ?1"),
            [id],
            run_row,
        )
        .optional()?)
}

/// The newest runs first.
pub(crate) fn runs(conn: &Connection, limit: u32) -> StorageResult<Vec<RetentionRun>> {
    let mut statement = conn.prepare(&format!(
        "SELECT {RUN_COLUMNS} FROM retention_runs ORDER BY id DESC LIMIT ?1"
    ))?;
    let runs = statement
        .query_map([limit], run_row)?
        .collect::<Result<_, _>>()?;
    Ok(runs)
}

/// Starts a run deciding what is due as of `at` under `rules` (kept with the run); `Err`
/// with the unfinished run if one is still going (it is resumed, not doubled).
pub(crate) fn start_run(
    conn: &mut Connection,
    by: &str,
    at: i64,
    rules: &[AppliedRule],
) -> StorageResult<Result<RetentionRun, RetentionRun>> {
    let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    if let Some(going) = unfinished_run(&tx)? {
        return Ok(Err(going));
    }
    tx.execute(
        "INSERT INTO retention_runs (started_at, started_by, as_of) VALUES (?1, ?2, ?1)",
        params![at, by],
    )?;
    let id = tx.last_insert_rowid();
    for rule in rules {
        tx.execute(
            "INSERT INTO retention_run_rules (run_id, event_id, months, decision)
             VALUES (?1, ?2, ?3, ?4)",
            params![id, rule.event_id, rule.months, rule.decision],
        )?;
    }
    let started = run(&tx, id)?.ok_or(crate::storage::StorageError::Undecodable("run"))?;
    tx.commit()?;
    Ok(Ok(started))
}

/// The rules run `run_id` applies, kept when it started.
fn run_rules(conn: &Connection, run_id: i64) -> StorageResult<Vec<AppliedRule>> {
    let mut statement = conn.prepare_cached(
        "SELECT event_id, months, decision FROM retention_run_rules
         WHERE run_id = ?1 ORDER BY event_id",
    )?;
    let rules = statement
        .query_map([run_id], |r| {
            Ok(AppliedRule {
                event_id: r.get(0)?,
                months: r.get(1)?,
                decision: r.get(2)?,
            })
        })?
        .collect::<Result<_, _>>()?;
    Ok(rules)
}

/// A retention batch removes at least this many records before it gives the writer up to
/// a waiting write: a few milliseconds' wait for that write, and a run still moves on at
/// some hundreds of removals a second under a steady stream of pushes.
const REMOVALS_BEFORE_YIELDING: u64 = 10;

/// Removes up to `batch` records that run `run_id` finds due, under the rules it started
/// with, in one transaction; fewer when `others_wait` says, after
/// [`REMOVALS_BEFORE_YIELDING`], that another write waits for the writer (it then waits
/// for a few removals, not a batch). When none is left, finishes the run.
pub(crate) fn run_step(
    conn: &mut Connection,
    journal: Option<&LifecycleJournal>,
    run_id: i64,
    batch: usize,
    at: i64,
    others_wait: &dyn Fn() -> bool,
) -> StorageResult<RunStep> {
    let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    let Some(current) = run(&tx, run_id)? else {
        return Err(crate::storage::StorageError::Undecodable("retention run"));
    };
    if current.finished_at.is_some() {
        return Ok(RunStep::Finished(current));
    }
    let rules = run_rules(&tx, run_id)?;
    let by = Accessor::Operator(format!("retention-run:{run_id}"));
    let mut removed = 0u64;
    let mut entries = Vec::new();
    let mut yielding = false;
    for rule in &rules {
        let left = batch.saturating_sub(removed as usize);
        if left == 0 || yielding {
            break;
        }
        let due: Vec<String> = tx
            .prepare_cached(
                "SELECT doc_id FROM registrations r
                 WHERE event_id = ?1 AND received_at <= ?2
                   AND NOT EXISTS (SELECT 1 FROM legal_holds h WHERE h.doc_id = r.doc_id)
                 ORDER BY received_at LIMIT ?3",
            )?
            .query_map(
                params![rule.event_id, rule.due_through(current.as_of), left as i64],
                |r| r.get(0),
            )?
            .collect::<Result<_, _>>()?;
        let citation = rule.citation(run_id);
        for doc_id in due {
            if remove_in(&tx, &doc_id, &citation, &by, at)? == RemovalOutcome::Removed {
                removed += 1;
                entries.push(lifecycle_journal::removal_entry(&tx, &doc_id)?);
                if removed >= REMOVALS_BEFORE_YIELDING && others_wait() {
                    yielding = true;
                    break;
                }
            }
        }
    }
    if removed > 0 {
        tx.execute(
            "UPDATE retention_runs SET removed = removed + ?2 WHERE id = ?1",
            params![run_id, removed as i64],
        )?;
        lifecycle_journal::record(journal, &entries)?;
        tx.commit()?;
        return Ok(RunStep::Removed(removed));
    }
    let mut held = 0;
    for rule in &rules {
        held += due_count(&tx, rule, current.as_of)?.1;
    }
    tx.execute(
        "UPDATE retention_runs SET finished_at = ?2, held = ?3 WHERE id = ?1",
        params![run_id, at, held as i64],
    )?;
    let finished = run(&tx, run_id)?.ok_or(crate::storage::StorageError::Undecodable("run"))?;
    tx.commit()?;
    truncate_wal(conn)?;
    Ok(RunStep::Finished(finished))
}
