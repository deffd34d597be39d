//! How an edit of an event by an HR user is applied to the event's document, whatever the
//! store: at the heads the user read, merged with whatever changed since, and checked (see
//! [`kiosk_core::documents::EditAtHeadsError`] for the rules every edit keeps); a
//! publication freezes only the draft its publisher saw. A store loads the document, calls
//! [`apply_edit`], and stores the document only on success.

use automerge::ChangeHash;
use ed25519_dalek::VerifyingKey;
use kiosk_core::documents::{EditAtHeadsError, EventDocument};
use kiosk_core::event::{Event, EventError};
use kiosk_core::ids::{FormVersion, Timestamp};

use crate::storage::model::{EventEdit, EventEditRefusal};
use crate::storage::{StorageError, StorageResult};

/// The actor the relay writes its copy of an event as, until HR users edit events as their
/// own actors (the console).
pub fn relay_event_actor() -> VerifyingKey {
    ed25519_dalek::SigningKey::from_bytes(&[0; 32]).verifying_key()
}

fn change_hashes(heads: &[[u8; 32]]) -> Vec<ChangeHash> {
    heads.iter().map(|head| ChangeHash(*head)).collect()
}

/// The event, whether changes the editor had not read were merged, and the version a
/// publication froze.
pub type AppliedEdit = (Event, bool, Option<FormVersion>);

/// Applies `edit` as `author` to `document` as it was at `based_on`, merged with whatever
/// changed since, and checks the result; a refusal leaves the stored document as it was
/// (the caller stores `document` only on success).
pub fn apply_edit(
    document: &mut EventDocument,
    based_on: &[[u8; 32]],
    edit: &EventEdit,
    author: &VerifyingKey,
    at: Timestamp,
) -> StorageResult<Result<AppliedEdit, EventEditRefusal>> {
    let based_on = change_hashes(based_on);
    let edited = match edit {
        EventEdit::Details(details) => document
            .edit_at(
                &based_on,
                author,
                at,
                |event| {
                    event.name = details.name.clone();
                    event.venue = details.venue.clone();
                    event.starts_on = details.starts_on.clone();
                    event.ends_on = details.ends_on.clone();
                    event.languages = details.languages.clone();
                    event.draft_form = details.draft_form.clone();
                    event.draft_form.check()?;
                    Ok(None)
                },
                // Two valid edits can merge into an invalid draft (one turns email off,
                // the other phone): the later one is refused.
                |merged| Ok(merged.draft_form.check()?),
            )
            .map(|edited| (edited.event, edited.merged_concurrent, edited.value)),
        EventEdit::Publish => {
            // A published version cannot be taken back, so it must be the draft its
            // publisher saw: a draft someone changed since is refused, not frozen unseen.
            // Other changes (a venue, say) are merged as in any edit.
            let current = document.heads();
            let seen = document.read_at(&based_on);
            let now = document.read()?;
            if let Ok(seen) = &seen
                && seen.draft_form != now.draft_form
            {
                return Ok(Err(EventEditRefusal::DraftChangedSince));
            }
            if let Err(refusal) = seen {
                Err(refusal)
            } else {
                document
                    .edit_at(
                        &current,
                        author,
                        at,
                        |event| event.publish(at).map(Some),
                        accept,
                    )
                    .map(|edited| {
                        let concurrent = sorted_hashes(&based_on) != sorted_hashes(&current);
                        (edited.event, concurrent, edited.value)
                    })
            }
        }
    };
    match edited {
        Ok(edited) => Ok(Ok(edited)),
        Err(EditAtHeadsError::Document(error)) => Err(StorageError::Document(error)),
        Err(refusal) => Ok(Err(EventEditRefusal::Edit(refusal))),
    }
}

fn accept(_: &Event) -> Result<(), EventError> {
    Ok(())
}

fn sorted_hashes(hashes: &[ChangeHash]) -> Vec<ChangeHash> {
    let mut hashes = hashes.to_vec();
    hashes.sort_unstable();
    hashes.dedup();
    hashes
}
