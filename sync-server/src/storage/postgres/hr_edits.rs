//! HR users' edits of a registration on PostgreSQL (as the SQLite store's `hr_edits`): a
//! note, their own rating, the record's status, written as the user's own Automerge actor
//! onto the record as the relay holds it. The change joins the change log under the next
//! commit number, taken from the sequencer ([`PgStore::write_numbered`]) so staff tablets'
//! pull cursors never pass it; the index row is rewritten and a `change` entry logged, all
//! in that one transaction.
//!
//! The sequencer is taken first, so the record is read after any removal or edit numbered
//! before this one has committed: a record removed meanwhile is answered `NoRecord`, and two
//! edits of one record (through two instances) apply one onto the other. The access log's
//! chain lock comes last: the index row it rewrites before is written only by numbered
//! writes, which the sequencer already keeps apart.

use crate::transparency::leaf::{Leaf, LeafKind};
use kiosk_core::documents::RegistrationDocument;
use kiosk_core::ids::Timestamp;

use super::PgStore;
use super::index_writes::index_one;
use super::record_keys::key_of;
use super::record_seal::Field;
use super::rows::signed;
use super::stored_records::stored_registration;
use crate::storage::model::{AccessAction, AccessEntry, HrEdit, HrEditOutcome, HrEditor};
use crate::storage::{StorageError, StorageResult};

impl PgStore {
    /// Applies `edit` to registration `doc_id` as `editor`, at relay time `at`, in one
    /// numbered transaction.
    pub(super) fn apply_edit(
        &self,
        doc_id: &str,
        edit: &HrEdit,
        editor: &HrEditor,
        at: i64,
    ) -> StorageResult<HrEditOutcome> {
        // An edit that writes nothing still took a number: numbers only need to rise, and
        // the gap costs a pull nothing. (Taking it after the read would leave the read
        // unordered against a removal numbered in between.)
        let tags = self.email_tags();
        self.write_numbered(|tx, seq| {
            let Some(stored) = stored_registration(tx, doc_id)? else {
                return Ok(HrEditOutcome::NoRecord);
            };
            let mut document =
                RegistrationDocument::load_chunks(&stored.changes, &editor.actor_key)?;
            let time = Timestamp(at);
            let change = match edit {
                HrEdit::AddNote(note) => document.add_note(note.clone(), time)?,
                HrEdit::SetRating { rater, score } => document.set_rating(rater, *score, time)?,
                HrEdit::SetStatus(status) => document.set_status(*status, time)?,
            };
            let annotations = document.annotations()?;
            // An edit that leaves the record as it was makes no change: nothing to store or
            // log.
            let Some(change) = change else {
                return Ok(HrEditOutcome::Applied {
                    annotations,
                    changed: false,
                });
            };
            let key = key_of(tx, doc_id)?.ok_or(StorageError::Undecodable("record key"))?;
            let bytes = key.seal(
                doc_id,
                Field::Change(change.0.as_slice()),
                &document.change_chunks(&[change.0]),
            );
            let commit_seq = signed(seq, "commit number")?;
            let added = tx.execute(
                "INSERT INTO registration_changes
                 (hash, doc_id, event_id, commit_seq, actor, restricted, change)
                 VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING",
                &[
                    &change.0.as_slice(),
                    &doc_id,
                    &stored.event_id,
                    &commit_seq,
                    &editor.actor_key.as_bytes().as_slice(),
                    &stored.restricted,
                    &bytes,
                ],
            )?;
            if added > 0 {
                let nonce = super::tlog::nonce_of_stored(tx, doc_id)?;
                let leaf = Leaf::change(
                    LeafKind::HrEdit,
                    &nonce,
                    doc_id,
                    &change.0,
                    editor.actor_key.as_bytes(),
                    at,
                );
                super::tlog::append(tx, &[leaf])?;
            }
            // Lists show the new status from this commit on.
            index_one(tx, tags, doc_id)?;
            super::access_log::append(
                tx,
                &[AccessEntry {
                    at,
                    accessor: editor.accessor.clone(),
                    action: AccessAction::Change,
                    doc_id: doc_id.to_owned(),
                }],
            )?;
            Ok(HrEditOutcome::Applied {
                annotations,
                changed: true,
            })
        })
    }
}
