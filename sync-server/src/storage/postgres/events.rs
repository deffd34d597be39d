//! [`EventStore`] on PostgreSQL: event documents, HR's creation and edits, and the cache of
//! events an instance read, kept only while the stored revision is the one it read.

use ed25519_dalek::VerifyingKey;
use kiosk_core::documents::EventDocument;
use kiosk_core::event::Event;
use kiosk_core::ids::{EventId, Timestamp};
use postgres::GenericClient;

use super::PgStore;
use crate::rules::event_edits::{apply_edit, relay_event_actor};
use crate::storage::model::{EventEdit, EventEditRefusal, EventEdited, EventSummary};
use crate::storage::traits::EventStore;
use crate::storage::{StorageError, StorageResult};

/// An event as an instance last read or wrote it.
#[derive(Debug, Clone)]
pub(super) struct CachedEvent {
    event: Event,
    /// Sorted.
    heads: Vec<[u8; 32]>,
    revision: i64,
}

impl CachedEvent {
    fn of(document: &mut EventDocument, revision: i64) -> StorageResult<CachedEvent> {
        let mut heads = document.head_bytes();
        heads.sort_unstable();
        Ok(CachedEvent {
            event: document.read()?,
            heads,
            revision,
        })
    }
}

/// An event's stored document and revision.
fn stored_event(
    client: &mut impl GenericClient,
    event_id: &str,
    lock: bool,
) -> StorageResult<Option<(Vec<u8>, i64)>> {
    let sql = if lock {
        "SELECT document, revision FROM events WHERE event_id = $1 FOR UPDATE"
    } else {
        "SELECT document, revision FROM events WHERE event_id = $1"
    };
    client
        .query_opt(sql, &[&event_id])?
        .map(|row| Ok((row.try_get(0)?, row.try_get(1)?)))
        .transpose()
}

impl PgStore {
    fn event_cache(
        &self,
    ) -> std::sync::MutexGuard<'_, std::collections::HashMap<String, CachedEvent>> {
        self.events
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Caches what was read or written at `revision`, unless a newer revision is cached.
    fn remember(&self, cached: CachedEvent) -> CachedEvent {
        let mut cache = self.event_cache();
        let entry = cache
            .entry(cached.event.id.to_string())
            .or_insert_with(|| cached.clone());
        if entry.revision < cached.revision {
            *entry = cached;
        }
        entry.clone()
    }

    /// The event with its heads: the cached copy while the stored revision is the one it
    /// was read at (one small query), else the stored document.
    fn current_event(&self, id: &EventId) -> StorageResult<Option<CachedEvent>> {
        let mut client = self.client()?;
        let revision: Option<i64> = client
            .query_opt(
                "SELECT revision FROM events WHERE event_id = $1",
                &[&id.as_str()],
            )?
            .map(|row| row.try_get(0))
            .transpose()?;
        let Some(revision) = revision else {
            return Ok(None);
        };
        if let Some(cached) = self.event_cache().get(id.as_str())
            && cached.revision == revision
        {
            return Ok(Some(cached.clone()));
        }
        let Some((bytes, revision)) = stored_event(&mut *client, id.as_str(), false)? else {
            return Ok(None);
        };
        drop(client);
        let mut document = EventDocument::load(&bytes, &relay_event_actor())?;
        Ok(Some(
            self.remember(CachedEvent::of(&mut document, revision)?),
        ))
    }
}

impl EventStore for PgStore {
    fn put_event(&self, event: &Event) -> StorageResult<()> {
        let cached = self.write(|tx| {
            // Locked, so two instances writing the same event merge rather than overwrite.
            let existing = stored_event(tx, event.id.as_str(), true)?;
            // An existing event's document is changed, not replaced, so tablets get only
            // the changes past the heads they hold.
            let mut document = match &existing {
                Some((bytes, _)) => {
                    let mut document = EventDocument::load(bytes, &relay_event_actor())?;
                    document.write(event, Timestamp::now())?;
                    document
                }
                None => EventDocument::create(event, &relay_event_actor(), Timestamp::now())?,
            };
            let revision: i64 = tx
                .query_one(
                    "INSERT INTO events (event_id, document) VALUES ($1, $2)
                     ON CONFLICT (event_id) DO UPDATE
                     SET document = EXCLUDED.document, revision = events.revision + 1
                     RETURNING revision",
                    &[&event.id.as_str(), &document.save()],
                )?
                .try_get(0)?;
            CachedEvent::of(&mut document, revision)
        })?;
        self.remember(cached);
        Ok(())
    }

    fn event(&self, id: &EventId) -> StorageResult<Option<Event>> {
        Ok(self.current_event(id)?.map(|cached| cached.event))
    }

    fn create_event(
        &self,
        event: &Event,
        author: &VerifyingKey,
        at: Timestamp,
    ) -> StorageResult<Option<Vec<[u8; 32]>>> {
        let mut document = EventDocument::create(event, author, at)?;
        let inserted = self.write(|tx| {
            Ok(tx.query_opt(
                "INSERT INTO events (event_id, document) VALUES ($1, $2)
                 ON CONFLICT (event_id) DO NOTHING RETURNING revision",
                &[&event.id.as_str(), &document.save()],
            )?)
        })?;
        let Some(row) = inserted else {
            return Ok(None);
        };
        let cached = self.remember(CachedEvent::of(&mut document, row.try_get(0)?)?);
        Ok(Some(cached.heads))
    }

    fn edit_event(
        &self,
        id: &EventId,
        based_on: &[[u8; 32]],
        edit: &EventEdit,
        author: &VerifyingKey,
        at: Timestamp,
    ) -> StorageResult<Result<EventEdited, EventEditRefusal>> {
        let edited = self.write(|tx| {
            // Locked: a concurrent edit through another instance waits, then merges.
            let Some((bytes, _)) = stored_event(tx, id.as_str(), true)? else {
                return Ok(Err(EventEditRefusal::UnknownEvent));
            };
            let mut document = EventDocument::load(&bytes, &relay_event_actor())?;
            let (event, merged_concurrent, published) =
                match apply_edit(&mut document, based_on, edit, author, at)? {
                    Ok(edited) => edited,
                    Err(refusal) => return Ok(Err(refusal)),
                };
            let revision: i64 = tx
                .query_one(
                    "UPDATE events SET document = $2, revision = revision + 1
                     WHERE event_id = $1 RETURNING revision",
                    &[&id.as_str(), &document.save()],
                )?
                .try_get(0)?;
            let cached = CachedEvent::of(&mut document, revision)?;
            Ok(Ok((event, merged_concurrent, published, cached)))
        })?;
        Ok(edited.map(|(event, merged_concurrent, published, cached)| {
            let heads = self.remember(cached).heads;
            EventEdited {
                event,
                heads,
                merged_concurrent,
                published,
            }
        }))
    }

    fn event_with_heads(&self, id: &EventId) -> StorageResult<Option<(Event, Vec<[u8; 32]>)>> {
        Ok(self
            .current_event(id)?
            .map(|cached| (cached.event, cached.heads)))
    }

    fn event_summaries(&self) -> StorageResult<Vec<EventSummary>> {
        let ids: Vec<String> = self
            .client()?
            .query("SELECT event_id FROM events", &[])?
            .iter()
            .map(|row| row.try_get(0))
            .collect::<Result<_, _>>()?;
        let mut summaries = Vec::with_capacity(ids.len());
        for id in ids {
            let id = EventId::parse(&id).ok_or(StorageError::Undecodable("event id"))?;
            if let Some(cached) = self.current_event(&id)? {
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

    fn event_changes_since(
        &self,
        id: &EventId,
        heads: &[[u8; 32]],
    ) -> StorageResult<Option<Vec<u8>>> {
        let Some(cached) = self.current_event(id)? else {
            return Ok(None);
        };
        let mut known = heads.to_vec();
        known.sort_unstable();
        if cached.heads == known {
            return Ok(None);
        }
        let Some((bytes, _)) = stored_event(&mut *self.client()?, id.as_str(), false)? else {
            return Ok(None);
        };
        let mut document = EventDocument::load(&bytes, &relay_event_actor())?;
        Ok(Some(document.changes_since(heads)))
    }
}
