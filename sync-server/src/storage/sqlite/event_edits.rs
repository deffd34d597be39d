//! Events as central HR creates and edits them: a new event document written by an HR user,
//! edits applied at the heads the user read, as the user's own Automerge actor (the rule is
//! [`crate::rules::event_edits`], which every store calls), and the list HR chooses an
//! event from.
//!
//! Each change is one transaction, and the event cache is refreshed while the connection is
//! still held, so tablets pulling the event get exactly the changes past their heads and no
//! later edit can be overtaken by an earlier one's cache entry.

use ed25519_dalek::VerifyingKey;
use kiosk_core::documents::EventDocument;
use kiosk_core::event::Event;
use kiosk_core::ids::{EventId, Timestamp};
use rusqlite::params;

use super::{SqliteStore, event_bytes};
use crate::rules::event_edits::{apply_edit, relay_event_actor};
use crate::storage::model::{EventEdit, EventEditRefusal, EventEdited, EventSummary};
use crate::storage::{StorageError, StorageResult};

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
