//! Events: stored as Automerge documents, so tablets get only the changes past the heads
//! they hold; HR's edits are applied at the heads the editor read and merged with later
//! ones.

use kiosk_core::documents::EventDocument;
use kiosk_core::event::Event;
use kiosk_core::ids::{CalendarDate, EventId, Timestamp};

use crate::storage::{EventDetails, EventEdit, EventEditRefusal, RelayStore};

fn event(id: &str, starts_on: &str) -> Event {
    let mut event = kiosk_core::demo::demo_event();
    event.id = EventId::parse(id).expect("a slug");
    event.starts_on = CalendarDate::parse(starts_on).expect("a date");
    event.ends_on = None;
    event
}

fn details(event: &Event) -> EventDetails {
    EventDetails {
        name: event.name.clone(),
        venue: event.venue.clone(),
        starts_on: event.starts_on.clone(),
        ends_on: event.ends_on.clone(),
        languages: event.languages.clone(),
        draft_form: event.draft_form.clone(),
    }
}

fn author(seed: u8) -> ed25519_dalek::VerifyingKey {
    ed25519_dalek::SigningKey::from_bytes(&[seed; 32]).verifying_key()
}

fn at() -> Timestamp {
    Timestamp(1_767_225_600_000)
}

/// The event a tablet holding nothing builds from what the store sends it.
fn as_a_tablet_reads(changes: &[u8]) -> Event {
    EventDocument::load_chunks(changes, &author(99))
        .expect("loads")
        .read()
        .expect("an event")
}

pub(crate) fn a_put_event_reads_back_and_replaces_the_stored_one(store: &dyn RelayStore) {
    let fair = event("spring-fair", "2026-04-01");
    let id = fair.id.clone();
    assert_eq!(store.event(&id).expect("reads"), None);
    assert_eq!(store.event_changes_since(&id, &[]).expect("reads"), None);
    store.put_event(&fair).expect("stored");
    assert_eq!(store.event(&id).expect("reads"), Some(fair.clone()));
    let everything = store
        .event_changes_since(&id, &[])
        .expect("reads")
        .expect("changes for a tablet holding nothing");
    assert_eq!(as_a_tablet_reads(&everything), fair);
    let (_, heads) = store.event_with_heads(&id).expect("reads").expect("held");

    let moved = Event {
        venue: "Another hall".into(),
        ..fair.clone()
    };
    store.put_event(&moved).expect("stored");
    assert_eq!(store.event(&id).expect("reads"), Some(moved.clone()));
    let (_, new_heads) = store.event_with_heads(&id).expect("reads").expect("held");
    assert_ne!(new_heads, heads);
    let everything = store
        .event_changes_since(&id, &[])
        .expect("reads")
        .expect("changes");
    assert_eq!(
        as_a_tablet_reads(&everything),
        moved,
        "changed, not replaced"
    );
    assert!(
        store
            .event_changes_since(&id, &heads)
            .expect("reads")
            .is_some(),
        "a tablet at the old heads gets the change"
    );
    let unknown = store
        .event_changes_since(&id, &[[9; 32]])
        .expect("reads")
        .expect("changes for heads the store does not know");
    assert_eq!(as_a_tablet_reads(&unknown), moved, "all of them");
    assert_eq!(
        store.event_changes_since(&id, &new_heads).expect("reads"),
        None,
        "nothing for a tablet at the heads"
    );
}

pub(crate) fn a_created_event_reads_back_with_its_heads_and_a_second_is_refused(
    store: &dyn RelayStore,
) {
    let fair = event("spring-fair", "2026-04-01");
    let heads = store
        .create_event(&fair, &author(1), at())
        .expect("stored")
        .expect("new");
    let (read, read_heads) = store
        .event_with_heads(&fair.id)
        .expect("reads")
        .expect("held");
    assert_eq!(read, fair);
    let mut sorted = heads.clone();
    sorted.sort_unstable();
    assert_eq!(read_heads, sorted, "the heads, sorted");
    assert_eq!(store.event(&fair.id).expect("reads"), Some(fair.clone()));

    let other = Event {
        venue: "Another hall".into(),
        ..fair.clone()
    };
    assert_eq!(
        store.create_event(&other, &author(2), at()).expect("reads"),
        None
    );
    assert_eq!(store.event(&fair.id).expect("reads"), Some(fair));
}

pub(crate) fn an_edit_at_the_read_heads_is_stored_and_tablets_get_the_changes_past_theirs(
    store: &dyn RelayStore,
) {
    let fair = event("spring-fair", "2026-04-01");
    let heads = store
        .create_event(&fair, &author(1), at())
        .expect("stored")
        .expect("new");
    let mut moved = details(&fair);
    moved.venue = "Another hall".into();
    let edited = store
        .edit_event(
            &fair.id,
            &heads,
            &EventEdit::Details(Box::new(moved)),
            &author(1),
            at(),
        )
        .expect("storage")
        .expect("stored");
    assert_eq!(edited.event.venue, "Another hall");
    assert!(!edited.merged_concurrent);
    assert_eq!(
        store.event_with_heads(&fair.id).expect("reads"),
        Some((edited.event.clone(), edited.heads.clone()))
    );
    assert!(
        store
            .event_changes_since(&fair.id, &heads)
            .expect("reads")
            .is_some()
    );
    assert_eq!(
        store
            .event_changes_since(&fair.id, &edited.heads)
            .expect("reads"),
        None
    );

    // Another editor read the first heads and renamed the fair: merged, both kept.
    let mut renamed = details(&fair);
    renamed.name.en = "Spring Fair".into();
    let merged = store
        .edit_event(
            &fair.id,
            &heads,
            &EventEdit::Details(Box::new(renamed)),
            &author(2),
            at(),
        )
        .expect("storage")
        .expect("stored");
    assert!(merged.merged_concurrent);
    assert_eq!(
        (merged.event.venue.as_str(), merged.event.name.en.as_str()),
        ("Another hall", "Spring Fair")
    );
    let everything = store
        .event_changes_since(&fair.id, &[])
        .expect("reads")
        .expect("changes");
    assert_eq!(as_a_tablet_reads(&everything), merged.event);
}

pub(crate) fn an_edit_of_an_unknown_event_is_refused_and_stores_nothing(store: &dyn RelayStore) {
    let fair = event("spring-fair", "2026-04-01");
    let refused = store
        .edit_event(
            &fair.id,
            &[],
            &EventEdit::Details(Box::new(details(&fair))),
            &author(1),
            at(),
        )
        .expect("storage");
    assert!(
        matches!(refused, Err(EventEditRefusal::UnknownEvent)),
        "{refused:?}"
    );
    assert_eq!(store.event(&fair.id).expect("reads"), None);
    assert!(store.event_summaries().expect("lists").is_empty());
}

pub(crate) fn event_summaries_list_every_event_latest_start_first(store: &dyn RelayStore) {
    let early = event("early-fair", "2026-02-01");
    let late = event("late-fair", "2026-09-01");
    let middle = event("middle-fair", "2026-05-01");
    store
        .create_event(&early, &author(1), at())
        .expect("stored")
        .expect("new");
    store.put_event(&late).expect("stored");
    store
        .create_event(&middle, &author(1), at())
        .expect("stored")
        .expect("new");
    let listed = store.event_summaries().expect("lists");
    let ids: Vec<&str> = listed.iter().map(|s| s.id.as_str()).collect();
    assert_eq!(ids, ["late-fair", "middle-fair", "early-fair"]);
    assert_eq!(listed[0].venue, late.venue);
    assert_eq!(listed[0].starts_on, late.starts_on);
    assert_eq!(listed[0].current_version, late.current_version);
    assert_eq!(listed[0].published_versions, late.published.len());
}

pub(crate) fn publishing_freezes_the_draft_that_was_read_and_refuses_one_changed_since(
    store: &dyn RelayStore,
) {
    let mut fair = event("spring-fair", "2026-04-01");
    fair.published.clear();
    fair.current_version = None;
    let read = store
        .create_event(&fair, &author(1), at())
        .expect("stored")
        .expect("new");
    let summary = &store.event_summaries().expect("lists")[0];
    assert_eq!(
        (summary.published_versions, summary.draft_unpublished),
        (0, true)
    );
    // Someone else changes the draft after it was read.
    let mut longer = details(&fair);
    longer.draft_form.retention.months_after_capture += 12;
    let changed = store
        .edit_event(
            &fair.id,
            &read,
            &EventEdit::Details(Box::new(longer)),
            &author(2),
            at(),
        )
        .expect("storage")
        .expect("stored");
    let refused = store
        .edit_event(&fair.id, &read, &EventEdit::Publish, &author(1), at())
        .expect("storage");
    assert!(
        matches!(refused, Err(EventEditRefusal::DraftChangedSince)),
        "{refused:?}"
    );
    assert_eq!(
        store.event_with_heads(&fair.id).expect("reads"),
        Some((changed.event.clone(), changed.heads.clone())),
        "a refusal stores nothing"
    );

    let published = store
        .edit_event(
            &fair.id,
            &changed.heads,
            &EventEdit::Publish,
            &author(1),
            at(),
        )
        .expect("storage")
        .expect("published");
    let version = published.published.clone().expect("a version");
    assert_eq!(published.event.current_version, Some(version.clone()));
    assert_eq!(published.event.published.len(), 1);
    assert_eq!(
        published.event.current_form().expect("published").form,
        changed.event.draft_form,
        "the draft as it was read"
    );
    let summary = &store.event_summaries().expect("lists")[0];
    assert_eq!(summary.current_version, Some(version));
    assert_eq!(
        (summary.published_versions, summary.draft_unpublished),
        (1, false)
    );
}
