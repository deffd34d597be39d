//! Events: their documents as HR writes them and tablets pull them.

use kiosk_core::event::Event;
use kiosk_core::ids::EventId;

use crate::storage::StorageResult;
use crate::storage::model::{EventEdit, EventEditRefusal, EventEdited, EventSummary};

/// Events and their documents.
pub trait EventStore {
    fn put_event(&self, event: &Event) -> StorageResult<()>;

    fn event(&self, id: &EventId) -> StorageResult<Option<Event>>;

    /// Creates an event's document written by `author` (an HR user's actor key) in one
    /// transaction; `None` if an event with that id exists. Returns the document's heads.
    fn create_event(
        &self,
        event: &Event,
        author: &ed25519_dalek::VerifyingKey,
        at: kiosk_core::ids::Timestamp,
    ) -> StorageResult<Option<Vec<[u8; 32]>>>;

    /// Applies `edit` as `author` to event `id` as it was at `based_on` (the heads the
    /// editor read), merges it with later changes, checks the result and stores it in one
    /// transaction; tablets then pull the new changes. A refusal stores nothing.
    fn edit_event(
        &self,
        id: &EventId,
        based_on: &[[u8; 32]],
        edit: &EventEdit,
        author: &ed25519_dalek::VerifyingKey,
        at: kiosk_core::ids::Timestamp,
    ) -> StorageResult<Result<EventEdited, EventEditRefusal>>;

    /// An event with its document's heads (sorted), for an editor to base edits on.
    fn event_with_heads(&self, id: &EventId) -> StorageResult<Option<(Event, Vec<[u8; 32]>)>>;

    /// Every event as HR's list shows it, latest start first.
    fn event_summaries(&self) -> StorageResult<Vec<EventSummary>>;

    /// The event document's changes past `heads` (all of them for heads it does not know);
    /// `None` when `heads` are the document's heads or there is no such event.
    fn event_changes_since(
        &self,
        id: &EventId,
        heads: &[[u8; 32]],
    ) -> StorageResult<Option<Vec<u8>>>;
}
