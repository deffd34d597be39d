//! Edits of an event document by one author, based on the heads the author read.
//!
//! The edit is made on a fork of the document at those heads, as the author's own actor,
//! and the fork is merged back in. So an HR user who loaded the event at heads H changes
//! only what they changed relative to H: a concurrent edit of another field survives, the
//! same field resolves by Automerge's rule (the higher operation id wins, the same on every
//! replica), and both changes stay in the history.
//!
//! Nothing is written unless the edit and the merged result both pass the checks: the
//! event's integrity, no published form changed or removed, and the caller's own rule for
//! the merged content (HR requires a publishable draft). On a refusal the document is as it
//! was.

use automerge::transaction::CommitOptions;
use automerge::{ActorId, AutoCommit, ChangeHash};
use autosurgeon::{hydrate, reconcile};
use ed25519_dalek::VerifyingKey;

use super::{Document, actor_id};
use crate::event::{Event, EventError};
use crate::ids::Timestamp;

/// Why an edit at heads was not applied. Names the rule, never the content.
#[derive(Debug, thiserror::Error)]
pub enum EditAtHeadsError {
    #[error("the document holds no change named by the given heads; reload it and edit again")]
    UnknownHeads,
    /// The author's own later changes are not among the heads (an older page of theirs, say):
    /// their edit cannot be ordered after them as their actor, so it is refused, not guessed.
    #[error("the author has changed the document since the given heads; reload it and edit again")]
    AuthorChangedSince,
    #[error("an edit may not change or remove a published form")]
    PublishedFormChanged,
    #[error("the current version names no published form")]
    CurrentVersionUnpublished,
    /// The edit, or the merged result, is not a valid event.
    #[error("{0}")]
    Event(#[from] EventError),
    /// The document could not be read or written.
    #[error("{0}")]
    Document(crate::Error),
}

impl From<crate::Error> for EditAtHeadsError {
    fn from(error: crate::Error) -> EditAtHeadsError {
        match error {
            crate::Error::Event(event) => EditAtHeadsError::Event(event),
            other => EditAtHeadsError::Document(other),
        }
    }
}

impl From<automerge::AutomergeError> for EditAtHeadsError {
    fn from(error: automerge::AutomergeError) -> EditAtHeadsError {
        EditAtHeadsError::Document(error.into())
    }
}

impl From<autosurgeon::HydrateError> for EditAtHeadsError {
    fn from(error: autosurgeon::HydrateError) -> EditAtHeadsError {
        EditAtHeadsError::Document(error.into())
    }
}

impl From<autosurgeon::ReconcileError> for EditAtHeadsError {
    fn from(error: autosurgeon::ReconcileError) -> EditAtHeadsError {
        EditAtHeadsError::Document(error.into())
    }
}

/// What an edit at heads did.
#[derive(Debug, Clone)]
pub struct EditedAtHeads<R> {
    /// The event as the document holds it after the merge.
    pub event: Event,
    /// The document's heads after the merge.
    pub heads: Vec<ChangeHash>,
    /// The document held changes past the author's heads, so the edit was merged with
    /// someone else's.
    pub merged_concurrent: bool,
    /// The author's new change; `None` when the edit changed nothing.
    pub change: Option<ChangeHash>,
    /// What the edit returned (a published version, say).
    pub value: R,
}

impl Document<Event> {
    /// Applies `edit` as `author` to the event as it was at `heads`, merges the change into
    /// the document, and checks the merged event with `check_merged` as well as the rules
    /// every edit keeps. On any refusal the document is left as it was.
    pub fn edit_at<R>(
        &mut self,
        heads: &[ChangeHash],
        author: &VerifyingKey,
        at: Timestamp,
        edit: impl FnOnce(&mut Event) -> Result<R, EventError>,
        check_merged: impl FnOnce(&Event) -> Result<(), EventError>,
    ) -> Result<EditedAtHeads<R>, EditAtHeadsError> {
        if heads.is_empty()
            || heads
                .iter()
                .any(|head| self.doc.get_change_meta_by_hash(head).is_none())
        {
            return Err(EditAtHeadsError::UnknownHeads);
        }
        let actor = actor_id(author);
        let fork = self.doc.fork_at(heads)?;
        // Automerge numbers an actor's changes in sequence: a change made after heads that
        // lack the author's later changes would reuse one of their numbers.
        let mut fork = fork.with_actor(actor.clone());
        if changes_by(&mut fork, &actor) != changes_by(&mut self.doc, &actor) {
            return Err(EditAtHeadsError::AuthorChangedSince);
        }
        let seen: Event = hydrate(&fork)?;
        let mut edited = seen.clone();
        let value = edit(&mut edited)?;
        edited.check_integrity()?;
        keeps_published(&seen, &edited)?;
        reconcile(&mut fork, &edited)?;
        let change = fork.commit_with(CommitOptions::default().with_time(at.millis() / 1000));

        let before: Event = hydrate(&self.doc)?;
        let mut before_heads = self.doc.get_heads();
        let mut trial = self.doc.clone();
        trial.merge(&mut fork)?;
        let merged: Event = hydrate(&trial)?;
        merged.check_integrity()?;
        keeps_published(&before, &merged)?;
        check_merged(&merged)?;

        let mut given = heads.to_vec();
        given.sort_unstable();
        given.dedup();
        before_heads.sort_unstable();
        let heads = trial.get_heads();
        self.doc = trial;
        Ok(EditedAtHeads {
            event: merged,
            heads,
            merged_concurrent: given != before_heads,
            change,
            value,
        })
    }
}

impl Document<Event> {
    /// The event as it was at `heads`: what an editor who read those heads saw.
    pub fn read_at(&mut self, heads: &[ChangeHash]) -> Result<Event, EditAtHeadsError> {
        if heads.is_empty()
            || heads
                .iter()
                .any(|head| self.doc.get_change_meta_by_hash(head).is_none())
        {
            return Err(EditAtHeadsError::UnknownHeads);
        }
        Ok(hydrate(&self.doc.fork_at(heads)?)?)
    }
}

/// How many changes of `doc` are `actor`'s.
fn changes_by(doc: &mut AutoCommit, actor: &ActorId) -> usize {
    doc.get_changes_meta(&[])
        .iter()
        .filter(|change| &*change.actor == actor)
        .count()
}

/// Every form `before` published is in `after`, unchanged, and `after`'s current version is
/// one of its published forms.
fn keeps_published(before: &Event, after: &Event) -> Result<(), EditAtHeadsError> {
    let kept = before
        .published
        .iter()
        .all(|(version, form)| after.published.get(version) == Some(form));
    if !kept {
        return Err(EditAtHeadsError::PublishedFormChanged);
    }
    match &after.current_version {
        Some(version) if after.published_form(version).is_none() => {
            Err(EditAtHeadsError::CurrentVersionUnpublished)
        }
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::demo::demo_event;
    use crate::documents::EventDocument;
    use crate::form::{FieldRequirement, FormDefinitionError};

    const AT: Timestamp = Timestamp(1_780_000_000_000);

    fn key(seed: u8) -> VerifyingKey {
        ed25519_dalek::SigningKey::from_bytes(&[seed; 32]).verifying_key()
    }

    fn accept(_: &Event) -> Result<(), EventError> {
        Ok(())
    }

    fn created() -> EventDocument {
        EventDocument::create(&demo_event(), &key(1), Timestamp(1_770_000_000_000))
            .expect("created")
    }

    #[test]
    fn two_authors_editing_different_fields_from_the_same_heads_both_keep_their_change() {
        let mut document = created();
        let base = document.heads();
        let first = document
            .edit_at(
                &base,
                &key(2),
                AT,
                |event| {
                    event.venue = "Stockholmsmässan, hall C".into();
                    Ok(())
                },
                accept,
            )
            .expect("first edit");
        assert!(!first.merged_concurrent);
        let second = document
            .edit_at(
                &base,
                &key(3),
                AT,
                |event| {
                    event.name.en = "Stockholm Careers Fair".into();
                    event.draft_form.interest_areas[1].label.en = "Asylum case officer".into();
                    Ok(())
                },
                accept,
            )
            .expect("second edit");
        assert!(second.merged_concurrent, "the first edit was not seen");

        let merged = document.read().expect("reads");
        assert_eq!(merged, second.event);
        assert_eq!(merged.venue, "Stockholmsmässan, hall C");
        assert_eq!(merged.name.en, "Stockholm Careers Fair");
        assert_eq!(merged.name.sv, demo_event().name.sv, "untouched by both");
        assert_eq!(
            merged.draft_form.interest_areas[1].label.en,
            "Asylum case officer"
        );
        assert_eq!(document.heads().len(), 2, "two concurrent changes");
        let mut expected = vec![actor_id(&key(1)), actor_id(&key(2)), actor_id(&key(3))];
        expected.sort();
        assert_eq!(document.authors(), expected);
    }

    #[test]
    fn the_same_field_edited_concurrently_resolves_alike_everywhere_and_keeps_both_changes() {
        let mut one = created();
        let mut other = EventDocument::load(&one.save(), &key(9)).expect("loads");
        let base = one.heads();
        let venue = |name: &'static str| {
            move |event: &mut Event| {
                event.venue = name.into();
                Ok(())
            }
        };
        // The same two edits, applied in opposite orders to two copies.
        one.edit_at(&base, &key(2), AT, venue("Hall A"), accept)
            .expect("edit");
        let mut two = EventDocument::load(&one.save(), &key(9)).expect("loads");
        one.edit_at(&base, &key(3), AT, venue("Hall B"), accept)
            .expect("edit");
        other
            .edit_at(&base, &key(3), AT, venue("Hall B"), accept)
            .expect("edit");
        other.merge(&mut two).expect("merges");

        assert_eq!(
            one.read().expect("reads").venue,
            other.read().expect("reads").venue
        );
        let mut heads = (one.heads(), other.heads());
        heads.0.sort();
        heads.1.sort();
        assert_eq!(heads.0, heads.1, "the same changes, the same document");
        assert_eq!(one.change_hashes().len(), 3, "creation and both edits");
    }

    #[test]
    fn unknown_heads_are_refused_and_nothing_changes() {
        let mut document = created();
        let before = document.save();
        for heads in [vec![ChangeHash([7; 32])], Vec::new()] {
            let refused = document.edit_at(
                &heads,
                &key(2),
                AT,
                |event| {
                    event.venue = "Elsewhere".into();
                    Ok(())
                },
                accept,
            );
            assert!(matches!(refused, Err(EditAtHeadsError::UnknownHeads)));
        }
        assert_eq!(document.save(), before);
    }

    #[test]
    fn a_published_version_can_never_be_changed_or_removed_through_an_edit() {
        let mut document = created();
        let before = document.save();
        let heads = document.heads();
        let version = demo_event().current_version.expect("published");

        let reworded = document.edit_at(
            &heads,
            &key(2),
            AT,
            |event| {
                let published = event.published.get_mut(version.as_str()).expect("kept");
                published.form.privacy_notice.en = "We keep everything forever.".into();
                Ok(())
            },
            accept,
        );
        assert!(matches!(
            reworded,
            Err(EditAtHeadsError::Event(EventError::TamperedForm { .. }))
        ));

        let removed = document.edit_at(
            &heads,
            &key(2),
            AT,
            |event| {
                event.published.clear();
                event.current_version = None;
                Ok(())
            },
            accept,
        );
        assert!(matches!(
            removed,
            Err(EditAtHeadsError::PublishedFormChanged)
        ));

        let dangling = document.edit_at(
            &heads,
            &key(2),
            AT,
            |event| {
                event.draft_form.max_interests = 2;
                event.current_version = Some(event.draft_form.version());
                Ok(())
            },
            accept,
        );
        assert!(matches!(
            dangling,
            Err(EditAtHeadsError::CurrentVersionUnpublished)
        ));
        assert_eq!(document.save(), before);
    }

    #[test]
    fn publishing_after_an_edit_adds_a_version_and_keeps_the_old_one_identical() {
        let mut document = created();
        let old = demo_event().current_form().expect("published").clone();
        let heads = document.heads();
        let edited = document
            .edit_at(
                &heads,
                &key(2),
                AT,
                |event| {
                    event.draft_form.max_interests = 3;
                    event.publish(AT)
                },
                accept,
            )
            .expect("published");
        assert_ne!(edited.value, old.version);
        assert_eq!(edited.event.current_version, Some(edited.value.clone()));
        assert_eq!(edited.event.published_form(&old.version), Some(&old));
        assert_eq!(edited.event.published.len(), 2);
    }

    #[test]
    fn a_merge_the_caller_refuses_leaves_the_document_as_it_was() {
        let mut document = created();
        let base = document.heads();
        let publishable = |merged: &Event| Ok(merged.draft_form.check()?);
        document
            .edit_at(
                &base,
                &key(2),
                AT,
                |event| {
                    event.draft_form.fields.email = FieldRequirement::Off;
                    Ok(())
                },
                publishable,
            )
            .expect("phone is still on");
        let before = document.save();
        // Valid alone (email is on at these heads); merged, neither channel is on.
        let refused = document.edit_at(
            &base,
            &key(3),
            AT,
            |event| {
                event.draft_form.fields.phone = FieldRequirement::Off;
                Ok(())
            },
            publishable,
        );
        assert!(matches!(
            refused,
            Err(EditAtHeadsError::Event(EventError::InvalidForm(
                FormDefinitionError::NoContactChannel
            )))
        ));
        assert_eq!(document.save(), before);
    }

    #[test]
    fn an_author_whose_own_later_change_is_not_among_the_heads_is_refused() {
        let mut document = created();
        let base = document.heads();
        let edit = |name: &'static str| {
            move |event: &mut Event| {
                event.venue = name.into();
                Ok(())
            }
        };
        document
            .edit_at(&base, &key(2), AT, edit("Hall A"), accept)
            .expect("first edit");
        let before = document.save();
        let refused = document.edit_at(&base, &key(2), AT, edit("Hall B"), accept);
        assert!(matches!(refused, Err(EditAtHeadsError::AuthorChangedSince)));
        assert_eq!(document.save(), before);
        let current = document.heads();
        document
            .edit_at(&current, &key(2), AT, edit("Hall B"), accept)
            .expect("an edit from the current heads");
        assert_eq!(document.read().expect("reads").venue, "Hall B");
    }
}
