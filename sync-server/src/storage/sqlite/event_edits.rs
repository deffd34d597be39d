//! Events as central HR creates and edits them: a new event document written by an HR user,
//! edits applied at the heads the user read, as the user's own Automerge actor (see
//! [`kiosk_core::documents::EditAtHeadsError`] for the rules every edit keeps), and the list
//! HR chooses an event from.
//!
//! Each change is one transaction, and the event cache is refreshed while the connection is
//! still held, so tablets pulling the event get exactly the changes past their heads and no
//! later edit can be overtaken by an earlier one's cache entry.

use automerge::ChangeHash;
use ed25519_dalek::VerifyingKey;
use kiosk_core::documents::{EditAtHeadsError, EventDocument};
use kiosk_core::event::{Event, EventError};
use kiosk_core::ids::{EventId, FormVersion, Timestamp};
use rusqlite::params;

use super::{SqliteStore, event_bytes, relay_event_actor};
use crate::storage::model::{EventEdit, EventEditRefusal, EventEdited, EventSummary};
use crate::storage::{StorageError, StorageResult};

fn change_hashes(heads: &[[u8; 32]]) -> Vec<ChangeHash> {
    heads.iter().map(|head| ChangeHash(*head)).collect()
}

impl SqliteStore {
    /// Creates `event`'s document written by `author`; `None` if an event with its id
    /// exists (which is left as it was). Returns the new document's heads.
    pub(super) fn create_event_document(
        &self,
        event: &Event,
        author: &VerifyingKey,
        at: Timestamp,
    ) -> StorageResult<Option<Vec<[u8; 32]>>> {
        let mut document = EventDocument::create(event, author, at)?;
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        let inserted = tx.execute(
            "INSERT INTO events (event_id, document) VALUES (?1, ?2)
             ON CONFLICT (event_id) DO NOTHING",
            params![event.id.as_str(), document.save()],
        )?;
        if inserted == 0 {
            return Ok(None);
        }
        tx.commit()?;
        let cached = self.cache_event(&mut document)?;
        Ok(Some(cached.heads))
    }

    /// Applies `edit` as `author` to event `id` as it was at `based_on`, merged with
    /// whatever changed since, and stores the result in one transaction.
    pub(super) fn edit_event_document(
        &self,
        id: &EventId,
        based_on: &[[u8; 32]],
        edit: &EventEdit,
        author: &VerifyingKey,
        at: Timestamp,
    ) -> StorageResult<Result<EventEdited, EventEditRefusal>> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        let Some(bytes) = event_bytes(&tx, id.as_str())? else {
            return Ok(Err(EventEditRefusal::UnknownEvent));
        };
        let mut document = EventDocument::load(&bytes, &relay_event_actor())?;
        let (event, merged_concurrent, published) =
            match apply_edit(&mut document, based_on, edit, author, at)? {
                Ok(edited) => edited,
                Err(refusal) => return Ok(Err(refusal)),
            };
        tx.execute(
            "UPDATE events SET document = ?2 WHERE event_id = ?1",
            params![id.as_str(), document.save()],
        )?;
        tx.commit()?;
        // Still holding the connection: no later edit can be cached before this one.
        let cached = self.cache_event(&mut document)?;
        drop(conn);
        Ok(Ok(EventEdited {
            event,
            heads: cached.heads,
            merged_concurrent,
            published,
        }))
    }

    /// The event with its document's heads (sorted), as an editor reads it.
    pub(super) fn event_and_heads(
        &self,
        id: &EventId,
    ) -> StorageResult<Option<(Event, Vec<[u8; 32]>)>> {
        Ok(self
            .cached_event(id)?
            .map(|cached| (cached.event, cached.heads)))
    }

    /// Every event, latest start first.
    pub(super) fn event_list(&self) -> StorageResult<Vec<EventSummary>> {
        let ids: Vec<String> = {
            let conn = self.reader()?;
            let mut statement = conn.prepare("SELECT event_id FROM events")?;
            statement
                .query_map([], |row| row.get(0))?
                .collect::<Result<_, _>>()?
        };
        let mut summaries = Vec::with_capacity(ids.len());
        for id in ids {
            let id = EventId::parse(&id).ok_or(StorageError::Undecodable("event id"))?;
            if let Some(cached) = self.cached_event(&id)? {
                summaries.push(EventSummary::of(&cached.event));
            }
        }
        summaries.sort_by(|a, b| {
            b.starts_on
                .cmp(&a.starts_on)
                .then_with(|| a.id.as_str().cmp(b.id.as_str()))
        });
        Ok(summaries)
    }
}

/// The event, whether changes the editor had not read were merged, and the version a
/// publication froze.
pub(crate) type AppliedEdit = (Event, bool, Option<FormVersion>);

/// Applies `edit` as `author` to `document` as it was at `based_on`, merged with whatever
/// changed since, and checks the result; a refusal leaves the stored document as it was
/// (the caller stores `document` only on success). Backend-neutral: the PostgreSQL store
/// uses it too.
pub(crate) fn apply_edit(
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
