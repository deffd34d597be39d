//! HR users' edits of a registration: a note, their own rating, the record's status. Each is
//! written as the user's own Automerge actor onto the record as the relay holds it, and
//! stored as a staff tablet's edit is: its change joins the change log under the next
//! commit number (so staff tablets pull it and the registration index shows it on the next
//! list), with a `change` entry in the access log, in one transaction.
//!
//! Who may edit which record is decided before this is called (`crate::hr::record_edits`);
//! this module only checks that the record is still there and the edit leaves it valid.

use kiosk_core::documents::RegistrationDocument;
use kiosk_core::ids::Timestamp;
use rusqlite::Connection;

use super::access_log;
use crate::storage::StorageResult;
use crate::storage::model::{AccessAction, HrEdit, HrEditOutcome, HrEditor};
use crate::transparency::leaf::LeafKind;

/// Applies `edit` to registration `doc_id` as `editor`, at relay time `at`, in one
/// transaction.
pub(crate) fn apply(
    conn: &mut Connection,
    doc_id: &str,
    edit: &HrEdit,
    editor: &HrEditor,
    at: i64,
) -> StorageResult<HrEditOutcome> {
    let tx = conn.transaction()?;
    let Some(stored) = super::stored_registration(&tx, doc_id)? else {
        return Ok(HrEditOutcome::NoRecord);
    };
    let mut document = RegistrationDocument::load_chunks(&stored.changes, &editor.actor_key)?;
    let time = Timestamp(at);
    let change = match edit {
        HrEdit::AddNote(note) => document.add_note(note.clone(), time)?,
        HrEdit::SetRating { rater, score } => document.set_rating(rater, *score, time)?,
        HrEdit::SetStatus(status) => document.set_status(*status, time)?,
    };
    let annotations = document.annotations()?;
    // An edit that leaves the record as it was makes no change: nothing to store or log.
    let Some(change) = change else {
        return Ok(HrEditOutcome::Applied {
            annotations,
            changed: false,
        });
    };
    let bytes = document.change_chunks(&[change.0]);
    let commit_seq = super::next_commit_seq(&tx)?;
    let logged = super::LoggedChange {
        doc_id,
        event_id: &stored.event_id,
        commit_seq,
        actor: editor.actor_key.as_bytes(),
        restricted: stored.restricted,
        leaf: super::LeafOf {
            kind: LeafKind::HrEdit,
            nonce: &super::tlog::nonce_of_stored(&tx, doc_id)?,
            at,
        },
    };
    let mut leaves = Vec::with_capacity(1);
    super::insert_change(&tx, &logged, &change.0, Some(&bytes), &mut leaves)?;
    super::tlog::append(&tx, &leaves)?;
    // Lists show the new status from this commit on.
    super::registration_index::index_one(&tx, doc_id)?;
    super::registration_index::indexed_through(&tx, commit_seq)?;
    access_log::append_one(&tx, at, &editor.accessor, AccessAction::Change, doc_id)?;
    tx.commit()?;
    Ok(HrEditOutcome::Applied {
        annotations,
        changed: true,
    })
}
