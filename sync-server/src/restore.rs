//! The `restore` command: compares a backup with the store it would replace, refuses one
//! older than what tablets were told is backed up (unless forced), puts it in place with the
//! removals, withdrawals and holds made since replayed, and tells the operator all of it:
//! which records only tablets' erased copies held, which tablets to enroll again, what was
//! replayed. Record ids and device ids only; no visitor's data.

use std::path::Path;

use crate::storage::{RestorePlan, RestoreReport, SqliteStore, StorageError};

/// A restore that did not happen.
#[derive(Debug, thiserror::Error)]
pub enum RestoreError {
    /// The backup is older than the newest watermark reported to tablets; `lines` say what
    /// would be lost.
    #[error("{why}")]
    Refused { lines: Vec<String>, why: String },
    #[error(transparent)]
    Storage(#[from] StorageError),
}

/// Restores `backup` in place of `database` (the relay stopped), and returns what to tell
/// the operator, line by line.
pub fn run(
    backup: &Path,
    database: &Path,
    force: bool,
    now_ms: i64,
) -> Result<Vec<String>, RestoreError> {
    let plan = SqliteStore::plan_restore(backup, database)?;
    let mut lines = describe_plan(&plan);
    if let Some(why) = &plan.behind {
        if !force {
            tracing::error!(
                lost = plan.erased_records(),
                "restore refused: the backup is older than the watermark reported to tablets"
            );
            let reported = plan.reported.as_ref().map_or(0, |m| m.watermark);
            return Err(RestoreError::Refused {
                lines,
                why: format!(
                    "refused: {why}. Restore a backup that holds commit {reported} of that \
                     epoch, or run again with --force to accept losing the records listed"
                ),
            });
        }
        tracing::warn!(
            lost = plan.erased_records(),
            "restore forced: the backup is older than the watermark reported to tablets"
        );
        lines.push(format!(
            "FORCED: {why}; the {} record(s) listed above are lost",
            plan.erased_records()
        ));
    }
    let report = SqliteStore::restore_planned(plan, now_ms)?;
    lines.extend(describe_report(&report, backup));
    Ok(lines)
}

/// What the comparison of the backup with the replaced store found.
pub fn describe_plan(plan: &RestorePlan) -> Vec<String> {
    let mut lines = vec![format!(
        "backup {}: relay epoch {}, commits up to {}",
        plan.backup.display(),
        plan.backup_epoch,
        plan.backup_commit
    )];
    match &plan.reported {
        Some(mark) => lines.push(format!(
            "newest backup watermark reported to tablets: commit {} of epoch {}",
            mark.watermark, mark.epoch
        )),
        None => lines.push("no backup watermark was ever reported to tablets".into()),
    }
    if !plan.replaced_readable {
        lines.push(
            "the store being replaced is missing or unreadable: which records and tablets it \
             held beyond the backup cannot be listed"
                .into(),
        );
    }
    for loss in &plan.losses {
        if !loss.erased_on_tablet.is_empty() {
            lines.push(format!(
                "device {}: {} record(s) the backup lacks were erased on the tablet (a newer \
                 backup held them); no tablet can send them again:",
                loss.device_key,
                loss.erased_on_tablet.len()
            ));
            lines.extend(loss.erased_on_tablet.iter().map(|id| format!("  {id}")));
        }
        if loss.still_on_tablet > 0 {
            lines.push(format!(
                "device {}: {} record(s) the backup lacks are still on the tablet, which sends \
                 them again",
                loss.device_key, loss.still_on_tablet
            ));
        }
    }
    for tablet in &plan.unknown_tablets {
        lines.push(format!(
            "enroll again: {} tablet {} (event {}) is not in the backup; the restored relay \
             refuses it (unknown_device) until it is enrolled with a new code, after which it \
             sends what it holds",
            tablet.role, tablet.device_key, tablet.event_id
        ));
    }
    lines
}

/// What the restore did.
pub fn describe_report(report: &RestoreReport, backup: &Path) -> Vec<String> {
    let mut lines = vec![format!(
        "restored {} (commits up to {}) as epoch {}",
        backup.display(),
        report.commit_seq,
        report.epoch
    )];
    if let Some(aside) = &report.moved_aside {
        lines.push(format!(
            "the replaced store was moved to {}",
            aside.display()
        ));
    }
    if !report.journal_found && !report.plan.replaced_readable {
        lines.push(format!(
            "WARNING: neither a lifecycle journal ({}) nor the replaced store was there to \
             replay: removals, withdrawals and holds made after the backup are not applied \
             again. Put the copy of that file in place and restore again",
            crate::storage::LifecycleJournal::for_database(&report.plan.database)
                .path()
                .display()
        ));
    }
    let r = &report.replayed;
    if r.is_empty() {
        lines.push(
            "replayed: nothing (no removal, talent-pool withdrawal, legal hold, change that \
             took access from an HR user or tablet revocation is newer than the backup)"
                .into(),
        );
    } else {
        lines.push(format!(
            "replayed: {} removal(s) ({} of records the backup lacked), {} talent-pool \
             withdrawal(s), {} receipt withdrawal(s), {} legal hold(s) set, {} lifted, {} \
             change(s) that took access from HR users, {} tablet revocation(s)",
            r.removals,
            r.removals_of_absent,
            r.withdrawals,
            r.receipt_withdrawals,
            r.holds_set,
            r.holds_lifted,
            r.access_changes,
            r.revocations
        ));
    }
    for doc_id in &r.removals_held {
        lines.push(format!(
            "not removed again, on legal hold in the backup: {doc_id}"
        ));
    }
    if r.unreadable > 0 {
        lines.push(format!(
            "{} line(s) of the lifecycle journal could not be read",
            r.unreadable
        ));
    }
    lines
        .push("tablets send again, on their next sync, what they hold and the backup lacks".into());
    lines
}
