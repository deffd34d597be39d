//! [`LifecycleStore`] on PostgreSQL: removal, legal holds, talent-pool withdrawal and
//! retention rules here; retention runs in [`super::retention_runs`], subject access and
//! disclosure in [`super::subject_access`], the reconciliation tally in
//! [`super::reconciliation`]. Which rule applies and when a record falls due are
//! [`crate::rules::retention_rules`]'s.
//!
//! **Several instances.** SQLite has one writer; here removals, holds and withdrawals of
//! one record can race from two instances. Each of them locks the record's `registrations`
//! row (`FOR UPDATE`) before it checks anything, so they take turns on a record: a hold set
//! while a removal waits is seen by the removal (which then refuses), and a hold asked for
//! a record removed meanwhile finds no record. Removals and withdrawals are numbered (a
//! staff tablet pulls them past its cursor) and take the sequencer first, then the row;
//! holds are not numbered (as on SQLite) and take only the row, so the lock order is one.
//!
//! **Erasure.** A removal deletes every row holding the record (its document, changes,
//! list-index row with the names and contact details, quarantined copies, withdrawal) and
//! keeps a removal record of ids, times and the reason. What PostgreSQL does with the
//! deleted rows' bytes (dead tuples until vacuumed and overwritten, the WAL, replicas,
//! backups) is not in the store's hands; the README says what removal guarantees here.
//!
//! **No lifecycle journal.** The SQLite store writes removals, holds and withdrawals to a
//! journal file beside the database, replayed after a restore from a file backup; on
//! PostgreSQL the operator restores with the database's own point-in-time recovery, which
//! carries these commits as it carries every other.

use kiosk_core::documents::RegistrationDocument;
use kiosk_core::ids::EventId;
use postgres::Transaction;

use crate::rules::retention_rules;
use crate::storage::StorageResult;
use crate::storage::model::{
    AccessAction, AccessEntry, Accessor, AppliedRule, DisclosureOutcome, DisclosureSelection,
    EventTally, HoldChange, HoldHistoryEntry, LegalHold, RecordRetention, Removal, RemovalOutcome,
    RetentionDue, RetentionRun, RunStep, SubjectAccessFound, SubjectLookup, WithdrawalOutcome,
};
use crate::storage::traits::{EventStore, LifecycleStore};

use super::erasure::{HOLD_COLUMNS, hold_row, legal_hold, lock_record, remove_in};
use super::rows::signed;
use super::stored_records::stored_registration;
use super::{PgStore, access_log, retention_runs};

impl PgStore {
    /// The rule records of `event_id` are kept under, from the event's document (cached
    /// while its revision stands).
    pub(super) fn retention_rule(&self, event_id: String) -> StorageResult<AppliedRule> {
        let event = match EventId::parse(&event_id) {
            Some(id) => self.event(&id)?,
            None => None,
        };
        Ok(retention_rules::rule_for(event_id, event.as_ref()))
    }

    /// The rules of every event with stored records.
    fn rules_now(&self) -> StorageResult<Vec<AppliedRule>> {
        let events: Vec<String> = self.read(|tx| {
            Ok(tx
                .query("SELECT DISTINCT event_id FROM registrations", &[])?
                .iter()
                .map(|row| row.try_get(0))
                .collect::<Result<_, _>>()?)
        })?;
        events
            .into_iter()
            .map(|event_id| self.retention_rule(event_id))
            .collect()
    }
}

fn withdrawn_at(tx: &mut Transaction<'_>, doc_id: &str) -> StorageResult<Option<i64>> {
    tx.query_opt(
        "SELECT withdrawn_at FROM talent_pool_withdrawals WHERE doc_id = $1",
        &[&doc_id],
    )?
    .map(|row| Ok(row.try_get(0)?))
    .transpose()
}

impl LifecycleStore for PgStore {
    fn removal(&self, doc_id: &str) -> StorageResult<Option<Removal>> {
        self.read(|tx| {
            tx.query_opt(
                "SELECT event_id, restricted, removed_at, reason FROM removals
                 WHERE doc_id = $1",
                &[&doc_id],
            )?
            .map(|row| {
                Ok(Removal {
                    event_id: row.try_get(0)?,
                    restricted: row.try_get(1)?,
                    removed_at: row.try_get(2)?,
                    reason: row.try_get(3)?,
                })
            })
            .transpose()
        })
    }

    fn remove_registration(
        &self,
        doc_id: &str,
        reason: &str,
        by: &Accessor,
        at: i64,
    ) -> StorageResult<RemovalOutcome> {
        // Checked first without the sequencer, which every numbered commit of every instance
        // waits for: a refusal costs it nothing. Checked again under it.
        let refused = self.read(|tx| {
            let held: bool = tx
                .query_one(
                    "SELECT EXISTS (SELECT 1 FROM registrations WHERE doc_id = $1)",
                    &[&doc_id],
                )?
                .try_get(0)?;
            Ok(if !held {
                Some(RemovalOutcome::NoRecord)
            } else if legal_hold(tx, doc_id)?.is_some() {
                Some(RemovalOutcome::OnLegalHold)
            } else {
                None
            })
        })?;
        if let Some(refused) = refused {
            return Ok(refused);
        }
        // A hold or removal that lands between the two checks leaves this commit's number
        // unused: a gap, which no cursor minds (a cursor only needs lower numbers visible).
        let outcome = self.write_numbered(|tx, seq| remove_in(tx, seq, doc_id, reason, by, at))?;
        if outcome == RemovalOutcome::Removed {
            // The record's key went with it; the key table is rewritten without it now.
            self.rewrite_record_keys();
        }
        Ok(outcome)
    }

    fn retention_rules(&self) -> StorageResult<Vec<AppliedRule>> {
        self.rules_now()
    }

    fn retention_due(&self, as_of: i64) -> StorageResult<Vec<RetentionDue>> {
        let rules = self.rules_now()?;
        self.read(|tx| {
            rules
                .into_iter()
                .map(|rule| {
                    let (due, held) = retention_runs::due_count(tx, &rule, as_of)?;
                    Ok(RetentionDue { rule, due, held })
                })
                .collect()
        })
    }

    fn record_retention(&self, doc_id: &str) -> StorageResult<Option<RecordRetention>> {
        let received = self.read(|tx| {
            tx.query_opt(
                "SELECT event_id, received_at FROM registrations WHERE doc_id = $1",
                &[&doc_id],
            )?
            .map(|row| Ok((row.try_get::<_, String>(0)?, row.try_get::<_, i64>(1)?)))
            .transpose()
        })?;
        let Some((event_id, received_at)) = received else {
            return Ok(None);
        };
        let rule = self.retention_rule(event_id)?;
        self.read(|tx| {
            Ok(Some(RecordRetention {
                received_at,
                due_at: rule.due_at(received_at),
                rule,
                legal_hold: legal_hold(tx, doc_id)?,
                talent_pool_withdrawn_at: withdrawn_at(tx, doc_id)?,
            }))
        })
    }

    fn change_legal_hold(
        &self,
        doc_id: &str,
        hold: bool,
        reason: &str,
        by: &str,
        at: i64,
    ) -> StorageResult<HoldChange> {
        self.write(|tx| {
            if lock_record(tx, doc_id)?.is_none() {
                return Ok(HoldChange::NoRecord);
            }
            let changed = if hold {
                tx.execute(
                    "INSERT INTO legal_holds (doc_id, reason, set_by, set_at)
                     VALUES ($1, $2, $3, $4) ON CONFLICT (doc_id) DO NOTHING",
                    &[&doc_id, &reason, &by, &at],
                )?
            } else {
                tx.execute("DELETE FROM legal_holds WHERE doc_id = $1", &[&doc_id])?
            };
            if changed == 0 {
                return Ok(HoldChange::AlreadySo);
            }
            tx.execute(
                "INSERT INTO legal_hold_history (doc_id, action, reason, acted_by, at)
                 VALUES ($1, $2, $3, $4, $5)",
                &[
                    &doc_id,
                    &if hold { "set" } else { "lift" },
                    &reason,
                    &by,
                    &at,
                ],
            )?;
            let nonce = super::tlog::nonce_of_stored(tx, doc_id)?;
            super::tlog::append(
                tx,
                &[crate::transparency::leaf::hold(
                    &nonce, doc_id, hold, reason, by, at,
                )],
            )?;
            Ok(HoldChange::Done)
        })
    }

    fn legal_holds(&self) -> StorageResult<Vec<LegalHold>> {
        self.read(|tx| {
            tx.query(
                &format!("SELECT {HOLD_COLUMNS} ORDER BY h.set_at, h.doc_id"),
                &[],
            )?
            .iter()
            .map(hold_row)
            .collect()
        })
    }

    fn legal_hold_history(&self, doc_id: &str) -> StorageResult<Vec<HoldHistoryEntry>> {
        self.read(|tx| {
            tx.query(
                "SELECT action, reason, acted_by, at FROM legal_hold_history
                 WHERE doc_id = $1 ORDER BY id",
                &[&doc_id],
            )?
            .iter()
            .map(|row| {
                Ok(HoldHistoryEntry {
                    hold: row.try_get::<_, &str>(0)? == "set",
                    reason: row.try_get(1)?,
                    by: row.try_get(2)?,
                    at: row.try_get(3)?,
                })
            })
            .collect()
        })
    }

    fn withdraw_talent_pool(
        &self,
        doc_id: &str,
        by: &Accessor,
        by_name: &str,
        at: i64,
    ) -> StorageResult<WithdrawalOutcome> {
        // What refuses or answers without writing is found without the sequencer (see
        // `remove_registration`), and found again under it.
        let answer = |tx: &mut Transaction<'_>| -> StorageResult<Option<WithdrawalOutcome>> {
            let Some(changes) = stored_registration(tx, doc_id)?.map(|stored| stored.changes)
            else {
                return Ok(Some(WithdrawalOutcome::NoRecord));
            };
            if let Some(withdrawn_at) = withdrawn_at(tx, doc_id)? {
                return Ok(Some(WithdrawalOutcome::Withdrawn {
                    withdrawn_at,
                    already: true,
                }));
            }
            let (_, registration) = RegistrationDocument::load_unattributed(&changes)?;
            if registration.consents.talent_pool.is_none() {
                return Ok(Some(WithdrawalOutcome::NeverOptedIn));
            }
            Ok(None)
        };
        if let Some(answered) = self.read(answer)? {
            return Ok(answered);
        }
        self.write_numbered(|tx, commit_seq| {
            if lock_record(tx, doc_id)?.is_none() {
                return Ok(WithdrawalOutcome::NoRecord);
            }
            if let Some(answered) = answer(tx)? {
                return Ok(answered);
            }
            tx.execute(
                "INSERT INTO talent_pool_withdrawals
                 (doc_id, withdrawn_at, recorded_by, commit_seq) VALUES ($1, $2, $3, $4)",
                &[
                    &doc_id,
                    &at,
                    &by_name,
                    &signed(commit_seq, "commit number")?,
                ],
            )?;
            tx.execute(
                "UPDATE registration_index SET talent_pool = FALSE WHERE doc_id = $1",
                &[&doc_id],
            )?;
            // Who withdrew it, in the log: the record's document does not change. Before the
            // access log's chain (the lock order in `tlog.rs`).
            let nonce = super::tlog::nonce_of_stored(tx, doc_id)?;
            super::tlog::append(
                tx,
                &[crate::transparency::leaf::decision(
                    crate::transparency::leaf::LeafKind::TalentPoolWithdrawn,
                    &nonce,
                    doc_id,
                    "",
                    crate::transparency::leaf::accessor_author(by),
                    at,
                )],
            )?;
            access_log::append(
                tx,
                &[AccessEntry {
                    at,
                    accessor: by.clone(),
                    action: AccessAction::Change,
                    doc_id: doc_id.to_owned(),
                }],
            )?;
            Ok(WithdrawalOutcome::Withdrawn {
                withdrawn_at: at,
                already: false,
            })
        })
    }

    fn start_retention_run(
        &self,
        by: &str,
        at: i64,
    ) -> StorageResult<Result<RetentionRun, RetentionRun>> {
        let rules = self.rules_now()?;
        self.write(|tx| retention_runs::start(tx, by, at, &rules))
    }

    fn retention_run_step(&self, run_id: i64, batch: usize, at: i64) -> StorageResult<RunStep> {
        retention_runs::step(self, run_id, batch, at)
    }

    fn retention_run(&self, run_id: i64) -> StorageResult<Option<RetentionRun>> {
        self.read(|tx| retention_runs::run(tx, run_id))
    }

    fn retention_runs(&self, limit: u32) -> StorageResult<Vec<RetentionRun>> {
        self.read(|tx| retention_runs::runs(tx, limit))
    }

    fn unfinished_retention_run(&self) -> StorageResult<Option<RetentionRun>> {
        self.read(retention_runs::unfinished)
    }

    fn subject_access(
        &self,
        lookup: &SubjectLookup,
        cleared: bool,
        reader: &Accessor,
        at: i64,
    ) -> StorageResult<SubjectAccessFound> {
        super::subject_access::subject_access(self, lookup, cleared, reader, at)
    }

    fn disclosure(
        &self,
        selection: &DisclosureSelection,
        cleared: bool,
        reader: &Accessor,
        at: i64,
    ) -> StorageResult<DisclosureOutcome> {
        super::subject_access::disclosure(self, selection, cleared, reader, at)
    }

    fn reconciliation_tally(&self, event_id: &str) -> StorageResult<EventTally> {
        self.read(|tx| super::reconciliation::event_tally(tx, event_id))
    }
}
