//! Retention runs on PostgreSQL: what is due, starting a run, and carrying it on batch by
//! batch, on one relay instance at a time.
//!
//! **One run at a time.** Starting takes a transaction-level advisory lock
//! ([`RETENTION_START_LOCK`]) before it looks for an unfinished run, so runs started at once
//! on several instances give one, which every caller is told about; a unique index on the
//! unfinished run backs that up.
//!
//! **One instance at a time.** Every instance's retention job drives a run it started or
//! found unfinished, so with two instances both may try. A step runs only on the instance
//! that holds the retention job's session-level advisory lock ([`RETENTION_RUN_LOCK`], see
//! [`super::job_lock`]), and through that lock's own connection; another instance's step
//! is refused at once with a contention error, and its job tries again later. The holder
//! keeps the lock from its first step to the run's end. If it dies, its connection ends
//! and the lock with it: the next step of another instance takes the lock and carries the
//! run on from its row (what is due was fixed by the run's `as_of` and kept rules, and
//! every batch is one transaction, so each record was removed whole or not at all).

use postgres::{Client, Transaction};

use crate::storage::model::{Accessor, AppliedRule, RemovalOutcome, RetentionRun, RunStep};
use crate::storage::{StorageError, StorageResult};

use super::erasure::{erase, removal_entry};
use super::job_lock::Turn;
use super::rows::count;
use super::{PgStore, access_log, take_commit_number};

/// The session-level lock the instance carrying the run holds ("KRLYRETN").
pub(super) const RETENTION_RUN_LOCK: i64 = 0x4B52_4C59_5245_544E;

/// The transaction-level lock a start holds while it checks and inserts ("KRLYRSTA"); not
/// the run's lock, which a start must not wait for.
const RETENTION_START_LOCK: i64 = 0x4B52_4C59_5253_5441;

const RUN_COLUMNS: &str = "id, started_at, started_by, as_of, finished_at, removed, held";

fn run_row(row: &postgres::Row) -> StorageResult<RetentionRun> {
    Ok(RetentionRun {
        id: row.try_get(0)?,
        started_at: row.try_get(1)?,
        started_by: row.try_get(2)?,
        as_of: row.try_get(3)?,
        finished_at: row.try_get(4)?,
        removed: count(row, 5)?,
        held: count(row, 6)?,
    })
}

/// How many of an event's records are due at `as_of`, and how many of those are held.
pub(super) fn due_count(
    tx: &mut Transaction<'_>,
    rule: &AppliedRule,
    as_of: i64,
) -> StorageResult<(u64, u64)> {
    let row = tx.query_one(
        "SELECT COUNT(*), COUNT(h.doc_id)
         FROM registrations r LEFT JOIN legal_holds h ON h.doc_id = r.doc_id
         WHERE r.event_id = $1 AND r.received_at <= $2",
        &[&rule.event_id, &rule.due_through(as_of)],
    )?;
    Ok((count(&row, 0)?, count(&row, 1)?))
}

/// The run not yet finished, if one is (at most one ever is).
pub(super) fn unfinished(tx: &mut Transaction<'_>) -> StorageResult<Option<RetentionRun>> {
    tx.query_opt(
        &format!("SELECT {RUN_COLUMNS} FROM retention_runs WHERE finished_at IS NULL"),
        &[],
    )?
    .map(|row| run_row(&row))
    .transpose()
}

pub(super) fn run(tx: &mut Transaction<'_>, id: i64) -> StorageResult<Option<RetentionRun>> {
    tx.query_opt(
        &format!("SELECT {RUN_COLUMNS} FROM retention_runs WHERE id = $1"),
        &[&id],
    )?
    .map(|row| run_row(&row))
    .transpose()
}

/// The newest runs first.
pub(super) fn runs(tx: &mut Transaction<'_>, limit: u32) -> StorageResult<Vec<RetentionRun>> {
    tx.query(
        &format!("SELECT {RUN_COLUMNS} FROM retention_runs ORDER BY id DESC LIMIT $1"),
        &[&i64::from(limit)],
    )?
    .iter()
    .map(run_row)
    .collect()
}

/// Starts a run deciding what is due as of `at` under `rules` (kept with the run); `Err`
/// with the unfinished run if one is going (it is resumed, not doubled).
pub(super) fn start(
    tx: &mut Transaction<'_>,
    by: &str,
    at: i64,
    rules: &[AppliedRule],
) -> StorageResult<Result<RetentionRun, RetentionRun>> {
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&RETENTION_START_LOCK])?;
    if let Some(going) = unfinished(tx)? {
        return Ok(Err(going));
    }
    let started = run_row(&tx.query_one(
        &format!(
            "INSERT INTO retention_runs (started_at, started_by, as_of) VALUES ($1, $2, $1)
             RETURNING {RUN_COLUMNS}"
        ),
        &[&at, &by],
    )?)?;
    let insert = tx.prepare(
        "INSERT INTO retention_run_rules (run_id, event_id, months, decision)
         VALUES ($1, $2, $3, $4)",
    )?;
    for rule in rules {
        tx.execute(
            &insert,
            &[
                &started.id,
                &rule.event_id,
                &i64::from(rule.months),
                &rule.decision,
            ],
        )?;
    }
    Ok(Ok(started))
}

/// The rules run `run_id` applies, kept when it started.
fn run_rules(tx: &mut Transaction<'_>, run_id: i64) -> StorageResult<Vec<AppliedRule>> {
    tx.query(
        "SELECT event_id, months, decision FROM retention_run_rules
         WHERE run_id = $1 ORDER BY event_id",
        &[&run_id],
    )?
    .iter()
    .map(|row| {
        Ok(AppliedRule {
            event_id: row.try_get(0)?,
            months: u16::try_from(row.try_get::<_, i64>(1)?)
                .map_err(|_| StorageError::Undecodable("retention rule"))?,
            decision: row.try_get(2)?,
        })
    })
    .collect()
}

/// One step of run `run_id` on this instance, if it carries the run (see the module doc):
/// up to `batch` records removed in one transaction, or the run finished.
pub(super) fn step(store: &PgStore, run_id: i64, batch: usize, at: i64) -> StorageResult<RunStep> {
    let Turn::Mine(mut holding) = store.retention_job.turn(&store.config, &store.connector)? else {
        // A finished run is finished whoever carried it.
        if let Some(run) = store.read(|tx| run(tx, run_id))?
            && run.finished_at.is_some()
        {
            return Ok(RunStep::Finished(run));
        }
        return Err(store.retention_job.elsewhere_error());
    };
    let stepped = step_on(holding.client(), run_id, batch, at);
    match &stepped {
        // The batch's keys went with its records; their dead tuples go from the table now,
        // on another connection (VACUUM runs outside any transaction).
        Ok(RunStep::Removed(removed)) => {
            if *removed > 0 {
                store.vacuum_record_keys();
            }
        }
        // The run's end is this instance's turn's end; so is a failed step: whether this
        // instance drives the run on is not sure after an error, and a lock kept by an
        // instance that does not would stall the run for every other one. The nightly run
        // ends with the key table rewritten: without the keys it removed, and without any
        // an earlier rewrite could not remove (a transaction older than their removal was
        // still open then).
        Ok(RunStep::Finished(run)) => {
            holding.release();
            if run.finished_at == Some(at) {
                store.rewrite_record_keys();
            }
        }
        Err(_) => holding.release(),
    }
    stepped
}

/// [`step`]'s transaction, on the connection that holds the run's lock.
fn step_on(client: &mut Client, run_id: i64, batch: usize, at: i64) -> StorageResult<RunStep> {
    let mut tx = client.transaction()?;
    // Locked to the commit: the run's row is what a step decides from and writes.
    let current = tx
        .query_opt(
            &format!("SELECT {RUN_COLUMNS} FROM retention_runs WHERE id = $1 FOR UPDATE"),
            &[&run_id],
        )?
        .map(|row| run_row(&row))
        .transpose()?
        .ok_or(StorageError::Undecodable("retention run"))?;
    if current.finished_at.is_some() {
        tx.commit()?;
        return Ok(RunStep::Finished(current));
    }
    let rules = run_rules(&mut tx, run_id)?;
    let mut due: Vec<(String, String)> = Vec::new();
    for rule in &rules {
        let left = batch.saturating_sub(due.len());
        if left == 0 {
            break;
        }
        let citation = rule.citation(run_id);
        for row in tx.query(
            "SELECT doc_id FROM registrations r
             WHERE event_id = $1 AND received_at <= $2
               AND NOT EXISTS (SELECT 1 FROM legal_holds h WHERE h.doc_id = r.doc_id)
             ORDER BY received_at, doc_id LIMIT $3",
            &[
                &rule.event_id,
                &rule.due_through(current.as_of),
                &i64::try_from(left).unwrap_or(i64::MAX),
            ],
        )? {
            due.push((row.try_get(0)?, citation.clone()));
        }
    }
    if !due.is_empty() {
        // One number for the batch's removals, as for the changes of one ingest commit,
        // taken before any record's row is locked: the sequencer comes first.
        let commit_seq = take_commit_number(&mut tx)?;
        // Then every record's row, in key order as a read's log locks them
        // (`subject_access.rs`, the registration reads), and only then the access log's
        // chain lock (its first append): the lock order every writer keeps, so none of them
        // can deadlock with this batch.
        due.sort_unstable();
        let ids: Vec<&str> = due.iter().map(|(doc_id, _)| doc_id.as_str()).collect();
        tx.query(
            "SELECT doc_id FROM registrations WHERE doc_id = ANY($1)
             ORDER BY doc_id FOR UPDATE",
            &[&ids],
        )?;
        let by = Accessor::Operator(format!("retention-run:{run_id}"));
        let mut entries = Vec::with_capacity(due.len());
        let mut leaves = Vec::with_capacity(due.len());
        let author = crate::transparency::leaf::accessor_author(&by);
        for (doc_id, citation) in &due {
            // A record held or removed since it was found is not removed here.
            if erase(
                &mut tx,
                commit_seq,
                doc_id,
                citation,
                (author, &mut leaves),
                at,
            )? == RemovalOutcome::Removed
            {
                entries.push(removal_entry(doc_id, &by, at));
            }
        }
        // After every record's row, before the access log: the lock order.
        super::tlog::append(&mut tx, &leaves)?;
        if !entries.is_empty() {
            access_log::append(&mut tx, &entries)?;
            let removed = entries.len() as u64;
            tx.execute(
                "UPDATE retention_runs SET removed = removed + $2 WHERE id = $1",
                &[&run_id, &super::rows::signed(removed, "count")?],
            )?;
        }
        // Records were found due: the run goes on even if every one of them was held or
        // removed between the search and the locks (the next step searches past them);
        // only a search that finds nothing finishes it.
        tx.commit()?;
        return Ok(RunStep::Removed(entries.len() as u64));
    }
    let mut held = 0;
    for rule in &rules {
        held += due_count(&mut tx, rule, current.as_of)?.1;
    }
    let finished = run_row(&tx.query_one(
        &format!(
            "UPDATE retention_runs SET finished_at = $2, held = $3 WHERE id = $1
             RETURNING {RUN_COLUMNS}"
        ),
        &[&run_id, &at, &super::rows::signed(held, "count")?],
    )?)?;
    tx.commit()?;
    Ok(RunStep::Finished(finished))
}
