//! What a restore must never undo: removals, talent-pool withdrawals, legal holds set
//! or lifted, access taken from HR users, and revoked tablets. Each is appended to a journal file beside the database (one JSON line each,
//! 0600, flushed to disk) before the store's transaction commits, so a backup put in place
//! later cannot take it back: a restore replays the journal, and what the replaced store
//! holds, onto the restored file before it goes live.
//!
//! The journal is written ahead of the commit: if the commit then fails, the journal names a
//! decision the store never took, and a later restore carries it out. That errs towards
//! erasing what someone with the right decided to erase, never towards bringing it back.
//! Lines carry ids, times, reasons and who acted, and for a password set its Argon2id hash
//! (as the store holds it; the file is as private); no visitor's data.
//!
//! This file holds the SQL: the entries the store itself holds, and replaying entries onto
//! a restored store. The journal file is [`crate::storage::LifecycleJournal`]'s.

use rusqlite::{Connection, OptionalExtension, Transaction, params};

use super::access_log;
use super::retention;
// Also named `lifecycle_journal::…` here, beside the SQL that fills and replays the journal.
use crate::storage::StorageResult;
pub(crate) use crate::storage::lifecycle_journal_file::{LifecycleJournal, open_private_append};
pub(super) use crate::storage::model::LifecycleEntry;
use crate::storage::model::{AccessAction, Accessor, RemovalOutcome, Replayed};

/// The journal entry of the removal just recorded in `tx`.
pub(crate) fn removal_entry(tx: &Transaction<'_>, doc_id: &str) -> StorageResult<LifecycleEntry> {
    Ok(tx.query_row(
        &format!("SELECT {REMOVAL_COLUMNS} WHERE r.doc_id = ?1"),
        [doc_id],
        removal_row,
    )?)
}

/// A removal with its capture's tablet-journal entry, if the store has it.
const REMOVAL_COLUMNS: &str = "r.doc_id, r.event_id, r.device_key, r.restricted, r.removed_at,
     r.reason, j.seq, j.change_hashes
     FROM removals r
     LEFT JOIN device_journal j ON j.device_key = r.device_key AND j.doc_id = r.doc_id";

fn removal_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<LifecycleEntry> {
    Ok(LifecycleEntry::Removal {
        doc_id: r.get(0)?,
        event_id: r.get(1)?,
        device_key: hex::encode(r.get::<_, Vec<u8>>(2)?),
        restricted: r.get(3)?,
        at: r.get(4)?,
        reason: r.get(5)?,
        journal_seq: r.get::<_, Option<i64>>(6)?.map(|s| s as u64),
        change_hashes: r.get::<_, Option<Vec<u8>>>(7)?.map(hex::encode),
    })
}

/// Appends `entries` to `journal`, if the store has one (a store in memory has none).
pub(crate) fn record(
    journal: Option<&LifecycleJournal>,
    entries: &[LifecycleEntry],
) -> StorageResult<()> {
    match journal {
        Some(journal) => journal.append(entries),
        None => Ok(()),
    }
}

/// Everything of the kind in a store: its removals, withdrawals and hold history, for
/// carrying over from a store a restore replaces (it may hold what the journal lacks: a
/// store older than the journal).
pub fn entries_in_store(conn: &Connection) -> StorageResult<Vec<LifecycleEntry>> {
    let mut entries = Vec::new();
    let mut removals = conn.prepare(&format!("SELECT {REMOVAL_COLUMNS}"))?;
    for row in removals.query_map([], removal_row)? {
        entries.push(row?);
    }
    let mut withdrawals =
        conn.prepare("SELECT doc_id, withdrawn_at, recorded_by FROM talent_pool_withdrawals")?;
    for row in withdrawals.query_map([], |r| {
        Ok(LifecycleEntry::Withdrawal {
            doc_id: r.get(0)?,
            at: r.get(1)?,
            by: r.get(2)?,
        })
    })? {
        entries.push(row?);
    }
    // A store older than receipts has none to carry over.
    let has_receipts: bool = conn.query_row(
        "SELECT EXISTS (SELECT 1 FROM sqlite_master WHERE name = 'receipt_withdrawals')",
        [],
        |r| r.get(0),
    )?;
    if has_receipts {
        let mut receipts = conn.prepare("SELECT doc_id, at, by FROM receipt_withdrawals")?;
        for row in receipts.query_map([], |r| {
            Ok(LifecycleEntry::ReceiptWithdrawal {
                doc_id: r.get(0)?,
                at: r.get(1)?,
                by: r.get(2)?,
            })
        })? {
            entries.push(row?);
        }
    }
    let mut holds =
        conn.prepare("SELECT doc_id, action, reason, by, at FROM legal_hold_history ORDER BY id")?;
    for row in holds.query_map([], |r| {
        Ok(LifecycleEntry::Hold {
            doc_id: r.get(0)?,
            hold: r.get::<_, String>(1)? == "set",
            reason: r.get(2)?,
            by: r.get(3)?,
            at: r.get(4)?,
        })
    })? {
        entries.push(row?);
    }
    let mut revoked =
        conn.prepare("SELECT device_key, revoked_at FROM devices WHERE revoked_at IS NOT NULL")?;
    for row in revoked.query_map([], |r| {
        Ok(LifecycleEntry::Revocation {
            device_key: hex::encode(r.get::<_, Vec<u8>>(0)?),
            at: r.get(1)?,
        })
    })? {
        entries.push(row?);
    }
    // A store older than the change history has none to carry over.
    let has_history: bool = conn.query_row(
        "SELECT EXISTS (SELECT 1 FROM sqlite_master WHERE name = 'hr_account_changes')",
        [],
        |r| r.get(0),
    )?;
    if !has_history {
        return Ok(entries);
    }
    let mut access = conn.prepare(
        "SELECT c.user, u.username, c.change, c.at, c.by_name, c.reason
         FROM hr_account_changes c JOIN hr_users u ON u.id = c.user ORDER BY c.seq",
    )?;
    for row in access.query_map([], |r| {
        Ok(LifecycleEntry::Access {
            user_id: r.get::<_, i64>(0)? as u64,
            username: r.get(1)?,
            change: r.get(2)?,
            at: r.get(3)?,
            by: r.get(4)?,
            reason: r.get(5)?,
            password: None,
        })
    })? {
        entries.push(row?);
    }
    Ok(entries)
}

/// The operator a replay acts as, in the access log.
const REPLAY_ACTOR: &str = "restore-replay";

/// Replays `entries` (journal, then the replaced store's, in time order; duplicates are
/// no-ops) onto the restored store inside `tx`. Every step is idempotent: what the
/// restored store already shows is left as it is.
pub fn replay(tx: &Transaction<'_>, mut entries: Vec<LifecycleEntry>) -> StorageResult<Replayed> {
    // Stable: the journal's own order wins between entries of the same millisecond.
    entries.sort_by_key(LifecycleEntry::at);
    let by = Accessor::Operator(REPLAY_ACTOR.into());
    let mut done = Replayed::default();
    for entry in entries {
        match entry {
            LifecycleEntry::Revocation { device_key, at } => {
                let Ok(device_key) = hex::decode(&device_key) else {
                    done.unreadable += 1;
                    continue;
                };
                let changed = tx.execute(
                    "UPDATE devices SET revoked_at = ?2 WHERE device_key = ?1 AND revoked_at IS NULL",
                    params![device_key, at],
                )?;
                done.revocations += changed as u64;
            }
            LifecycleEntry::Access {
                user_id,
                username,
                change,
                at,
                by: who,
                reason,
                password,
            } => {
                if super::hr_accounts::replay_change(
                    tx,
                    user_id,
                    &username,
                    &change,
                    at,
                    &who,
                    reason.as_deref(),
                    password.as_ref(),
                )? {
                    access_log::append_one(
                        tx,
                        at,
                        &by,
                        AccessAction::AccountChange,
                        &format!("{change}:{username}"),
                    )?;
                    done.access_changes += 1;
                }
            }
            LifecycleEntry::Hold {
                doc_id,
                hold,
                at,
                reason,
                by: who,
            } => {
                let action = if hold { "set" } else { "lift" };
                let known: bool = tx.query_row(
                    "SELECT EXISTS (SELECT 1 FROM legal_hold_history
                                    WHERE doc_id = ?1 AND action = ?2 AND at = ?3)",
                    params![doc_id, action, at],
                    |r| r.get(0),
                )?;
                if known {
                    continue;
                }
                if hold {
                    tx.execute(
                        "INSERT OR IGNORE INTO legal_holds (doc_id, reason, set_by, set_at)
                         VALUES (?1, ?2, ?3, ?4)",
                        params![doc_id, reason, who, at],
                    )?;
                    done.holds_set += 1;
                } else {
                    tx.execute("DELETE FROM legal_holds WHERE doc_id = ?1", [&doc_id])?;
                    done.holds_lifted += 1;
                }
                tx.execute(
                    "INSERT INTO legal_hold_history (doc_id, action, reason, by, at)
                     VALUES (?1, ?2, ?3, ?4, ?5)",
                    params![doc_id, action, reason, who, at],
                )?;
                if let Some(nonce) = super::tlog::nonce(tx, &doc_id)? {
                    super::tlog::append(
                        tx,
                        &[crate::transparency::leaf::hold(
                            &nonce, &doc_id, hold, &reason, &who, at,
                        )],
                    )?;
                }
            }
            LifecycleEntry::ReceiptWithdrawal {
                doc_id,
                at,
                by: who,
            } => {
                let known: bool = tx.query_row(
                    "SELECT EXISTS (SELECT 1 FROM receipt_withdrawals WHERE doc_id = ?1)",
                    [&doc_id],
                    |r| r.get(0),
                )?;
                if known || super::is_removed(tx, &doc_id)? {
                    continue;
                }
                // Kept even for a record the backup lacks: when a tablet sends it again,
                // its tag is not stored.
                tx.execute(
                    "INSERT INTO receipt_withdrawals (doc_id, at, by) VALUES (?1, ?2, ?3)",
                    params![doc_id, at, who],
                )?;
                tx.execute(
                    "UPDATE registrations SET receipt_tag = NULL WHERE doc_id = ?1",
                    [&doc_id],
                )?;
                access_log::append_one(tx, at, &by, AccessAction::Change, &doc_id)?;
                done.receipt_withdrawals += 1;
            }
            LifecycleEntry::Withdrawal {
                doc_id,
                at,
                by: who,
            } => {
                let removed = super::is_removed(tx, &doc_id)?;
                if removed || retention::withdrawn_at(tx, &doc_id)?.is_some() {
                    continue;
                }
                // Kept even for a record the backup lacks: the list index reads it when a
                // tablet sends the record again. Numbered like a commit, so staff tablets
                // pull it past their cursor.
                let commit_seq = super::next_commit_seq(tx)?;
                tx.execute(
                    "INSERT INTO talent_pool_withdrawals
                         (doc_id, withdrawn_at, recorded_by, commit_seq)
                     VALUES (?1, ?2, ?3, ?4)",
                    params![doc_id, at, who, commit_seq],
                )?;
                tx.execute(
                    "UPDATE registration_index SET talent_pool = 0 WHERE doc_id = ?1",
                    [&doc_id],
                )?;
                access_log::append_one(tx, at, &by, AccessAction::Change, &doc_id)?;
                // Its leaf again, by who withdrew it: the name is the one the access log
                // gave them, made an author by the live path's helper, so the author is the
                // one the lost leaf had.
                if let Some(nonce) = super::tlog::nonce(tx, &doc_id)? {
                    super::tlog::append(
                        tx,
                        &[crate::transparency::leaf::decision(
                            crate::transparency::leaf::LeafKind::TalentPoolWithdrawn,
                            &nonce,
                            &doc_id,
                            "",
                            crate::transparency::leaf::accessor_author(
                                &crate::transparency::leaf::accessor_named(&who),
                            ),
                            at,
                        )],
                    )?;
                }
                done.withdrawals += 1;
            }
            LifecycleEntry::Removal {
                doc_id,
                event_id,
                device_key,
                restricted,
                at,
                reason,
                journal_seq,
                change_hashes,
            } => {
                let removed = super::is_removed(tx, &doc_id)?;
                if removed {
                    continue;
                }
                let stored: Option<i64> = tx
                    .query_row(
                        "SELECT 1 FROM registrations WHERE doc_id = ?1",
                        [&doc_id],
                        |r| r.get(0),
                    )
                    .optional()?;
                if stored.is_some() {
                    match retention::remove_in(tx, &doc_id, &reason, &by, at)? {
                        RemovalOutcome::Removed => done.removals += 1,
                        RemovalOutcome::OnLegalHold => done.removals_held.push(doc_id),
                        RemovalOutcome::NoRecord => {}
                    }
                    continue;
                }
                let Ok(device_key) = hex::decode(&device_key) else {
                    done.unreadable += 1;
                    continue;
                };
                // The backup never held it: the removal record alone comes back, numbered
                // like a commit so tablets learn of it, and copies kept for review go.
                let commit_seq = super::next_commit_seq(tx)?;
                retention::erase_and_record_removal(
                    tx,
                    &retention::RemovalRecord {
                        doc_id: &doc_id,
                        event_id: &event_id,
                        device_key: &device_key,
                        restricted,
                        at,
                        commit_seq,
                        reason: &reason,
                        author: crate::transparency::leaf::accessor_author(&by),
                    },
                )?;
                // The tablet's journal entry comes back too, so the relay still confirms
                // the tablet's whole journal (the record is removed, not missing).
                if let (Some(seq), Some(hashes)) = (journal_seq, change_hashes)
                    && let Ok(hashes) = hex::decode(hashes)
                {
                    tx.execute(
                        "INSERT INTO device_journal (device_key, seq, doc_id, change_hashes)
                         VALUES (?1, ?2, ?3, ?4) ON CONFLICT DO NOTHING",
                        params![device_key, seq as i64, doc_id, hashes],
                    )?;
                }
                access_log::append_one(tx, at, &by, AccessAction::Remove, &doc_id)?;
                done.removals += 1;
                done.removals_of_absent += 1;
            }
        }
    }
    Ok(done)
}
