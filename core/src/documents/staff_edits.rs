//! Staff edits of a registration document: what a staff tablet writes (a note, its
//! recruiter's rating, the status), and the check the relay runs on changes a staff tablet
//! pushes before it merges them.
//!
//! The check reads every operation of every change, not only what the merged document shows:
//! an operation that loses to a concurrent one today could win after a later merge, so
//! "the content looks unchanged" proves nothing. Every change must depend on the record,
//! and every operation may only name as predecessors operations on its own object and key
//! (Automerge applies a predecessor wherever it is). A staff tablet's change may only
//! - put the root `status`;
//! - insert new notes at the end or anywhere in the notes list (never change or delete one),
//!   and put scalar fields into the notes it inserts in the same push;
//! - put or delete its own recruiter's key in the ratings map, as a scalar.
//!
//! Then the merged content is checked: the captured fields are unchanged, new notes name
//! this tablet and its recruiter, scores and status are valid.

use std::collections::HashMap;

use automerge::legacy::{Key, ObjectId, OpId, OpType};
use automerge::{AutoCommit, ChangeHash, ObjId as ExId, ObjType, ReadDoc, ScalarValue, Value};
use autosurgeon::hydrate;
use ed25519_dalek::VerifyingKey;

use super::{BoundError, ChunkLimits, Document, actor_id, decode_change_chunks};
use crate::annotations::{Annotations, Note, RecordStatus};
use crate::error::{Error, Result};
use crate::ids::{DeviceId, Timestamp};
use crate::registration::Registration;

/// The note fields a staff tablet writes.
const NOTE_FIELDS: [&str; 5] = ["id", "author", "device", "written_at", "text"];

/// Who pushed the changes: the staff tablet and the recruiter it is bound to.
#[derive(Debug, Clone, Copy)]
pub struct StaffAuthor<'a> {
    pub device: &'a VerifyingKey,
    pub recruiter: &'a str,
}

/// Why a staff tablet's changes were not merged. Names the rule, never the content.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum StaffEditRefusal {
    #[error("the changes are not Automerge change chunks")]
    Unreadable,
    #[error("a change is authored by another actor than the pushing tablet")]
    ForeignActor,
    #[error("the changes depend on changes the relay does not hold")]
    MissingDependencies,
    #[error("a staff tablet may not change {0}")]
    NotPermitted(&'static str),
    #[error("the edited record is not valid: {0}")]
    Invalid(&'static str),
    /// Refused before Automerge read the changes.
    #[error("{0}")]
    TooLarge(BoundError),
}

impl Document<Registration> {
    /// The record's notes, ratings and status.
    pub fn annotations(&self) -> Result<Annotations> {
        let annotations: Annotations = hydrate(&self.doc)?;
        annotations.check()?;
        Ok(annotations)
    }

    /// Whether the annotations are as a capture opens them: containers present and empty,
    /// status new. The relay requires it of every capture.
    pub fn opens_record(&self) -> bool {
        self.annotations().ok() == Some(Annotations::opened())
    }

    /// Adds a note as this document's actor. Returns the new change.
    pub fn add_note(&mut self, note: Note, at: Timestamp) -> Result<Option<ChangeHash>> {
        let mut annotations = self.annotations()?;
        annotations.notes.push(note);
        self.write_annotations(&annotations, at)
    }

    /// Sets (or with `None` clears) `recruiter`'s rating.
    pub fn set_rating(
        &mut self,
        recruiter: &str,
        score: Option<i64>,
        at: Timestamp,
    ) -> Result<Option<ChangeHash>> {
        let mut annotations = self.annotations()?;
        match score {
            Some(score) => annotations.ratings.insert(recruiter.to_owned(), score),
            None => annotations.ratings.remove(recruiter),
        };
        self.write_annotations(&annotations, at)
    }

    pub fn set_status(
        &mut self,
        status: RecordStatus,
        at: Timestamp,
    ) -> Result<Option<ChangeHash>> {
        let mut annotations = self.annotations()?;
        annotations.status = status;
        self.write_annotations(&annotations, at)
    }

    fn write_annotations(
        &mut self,
        annotations: &Annotations,
        at: Timestamp,
    ) -> Result<Option<ChangeHash>> {
        annotations.check()?;
        autosurgeon::reconcile(&mut self.doc, annotations)?;
        let seconds = at.millis().div_euclid(1000);
        Ok(self
            .doc
            .commit_with(automerge::transaction::CommitOptions::default().with_time(seconds)))
    }

    /// Merges changes a staff tablet pushed, if each of their operations is one a staff
    /// tablet may make and the merged record is valid; otherwise leaves the document as it
    /// was. Returns the changes added (none for a retry of changes already held).
    pub fn apply_staff_changes(
        &mut self,
        bytes: &[u8],
        author: StaffAuthor<'_>,
    ) -> std::result::Result<Vec<ChangeHash>, StaffEditRefusal> {
        // Automerge 0.12 panics on some malformed changes (found by `fuzz/`); the document is
        // only replaced at the very end, so after a panic it is as it was.
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            self.check_and_merge_staff_changes(bytes, author)
        }))
        .unwrap_or(Err(StaffEditRefusal::Unreadable))
    }

    fn check_and_merge_staff_changes(
        &mut self,
        bytes: &[u8],
        author: StaffAuthor<'_>,
    ) -> std::result::Result<Vec<ChangeHash>, StaffEditRefusal> {
        let changes = match decode_change_chunks(bytes, &ChunkLimits::STAFF_EDIT) {
            Ok(changes) => changes,
            Err(Error::OutOfBounds(bound)) if bound.is_too_large() => {
                return Err(StaffEditRefusal::TooLarge(bound));
            }
            Err(_) => return Err(StaffEditRefusal::Unreadable),
        };
        let actor = actor_id(author.device);
        if changes.iter().any(|c| c.actor_id() != &actor) {
            return Err(StaffEditRefusal::ForeignActor);
        }
        let notes = object_at(&self.doc, automerge::ROOT, "notes", ObjType::List)?;
        let ratings = object_at(&self.doc, automerge::ROOT, "ratings", ObjType::Map)?;
        let existing_notes = note_objects(&self.doc)?;
        let mut targets = map_key_targets(&mut self.doc);
        let mut new_notes: Vec<OpId> = Vec::new();
        for change in &changes {
            if self.doc.get_change_meta_by_hash(&change.hash()).is_some() {
                continue;
            }
            // Every edit builds on the record (at least its capture): a change with no
            // dependencies would be the same bytes for any record a kiosk captured.
            if change.deps().is_empty() {
                return Err(StaffEditRefusal::NotPermitted(
                    "a record it does not build on",
                ));
            }
            // Checked before the operations: predecessors in changes the relay lacks are
            // unknown to it, which is not the same as naming another key's operations.
            let known = |dep: &ChangeHash| {
                self.doc.get_change_meta_by_hash(dep).is_some()
                    || changes.iter().any(|c| c.hash() == *dep)
            };
            if !change.deps().iter().all(known) {
                return Err(StaffEditRefusal::MissingDependencies);
            }
            let expanded = change.decode();
            for (index, op) in expanded.operations.iter().enumerate() {
                let id = OpId(expanded.start_op.get() + index as u64, actor.clone());
                check_operation(
                    op,
                    id.clone(),
                    &notes,
                    &ratings,
                    author.recruiter,
                    &existing_notes,
                    &mut new_notes,
                )?;
                check_predecessors(op, &targets)?;
                if let Key::Map(key) = &op.key {
                    targets.insert(id, (op.obj.clone(), key.to_string()));
                }
            }
        }
        let before_registration: Registration =
            hydrate(&self.doc).map_err(|_| StaffEditRefusal::Invalid("the stored record"))?;
        let before = self
            .annotations()
            .map_err(|_| StaffEditRefusal::Invalid("the stored record"))?;
        let before_notes = before.notes.clone();
        let heads = self.doc.get_heads();
        let mut trial = self.doc.clone();
        trial
            .apply_changes(changes)
            .map_err(|_| StaffEditRefusal::Unreadable)?;
        if !trial.get_missing_deps(&[]).is_empty() {
            return Err(StaffEditRefusal::MissingDependencies);
        }
        let registration: Registration =
            hydrate(&trial).map_err(|_| StaffEditRefusal::Invalid("the captured fields"))?;
        if registration != before_registration {
            return Err(StaffEditRefusal::NotPermitted("the captured fields"));
        }
        let annotations: Annotations =
            hydrate(&trial).map_err(|_| StaffEditRefusal::Invalid("notes, ratings or status"))?;
        annotations
            .check()
            .map_err(|_| StaffEditRefusal::Invalid("notes, ratings or status"))?;
        let device = DeviceId::from_public_key(author.device);
        let foreign_note = annotations
            .notes
            .iter()
            .filter(|n| !before_notes.iter().any(|b| b.id == n.id))
            .any(|n| n.author != author.recruiter || n.device != device);
        if foreign_note {
            return Err(StaffEditRefusal::NotPermitted(
                "notes in another recruiter's or tablet's name",
            ));
        }
        // What the operation rules already imply, checked on the result as well: every
        // note stays as it was, and every other recruiter's rating too.
        let notes_kept = before_notes.iter().all(|b| annotations.notes.contains(b));
        let others_kept = before
            .ratings
            .iter()
            .filter(|(recruiter, _)| recruiter.as_str() != author.recruiter)
            .all(|(recruiter, score)| annotations.ratings.get(recruiter) == Some(score))
            && annotations
                .ratings
                .keys()
                .all(|r| r == author.recruiter || before.ratings.contains_key(r));
        if !notes_kept {
            return Err(StaffEditRefusal::NotPermitted("existing notes"));
        }
        if !others_kept {
            return Err(StaffEditRefusal::NotPermitted("another recruiter's rating"));
        }
        let added = trial
            .get_changes_meta(&heads)
            .iter()
            .map(|c| c.hash)
            .collect();
        self.doc = trial;
        Ok(added)
    }
}

/// The object at `key` of `parent`, which must be of `kind`, as the legacy op id that made
/// it.
fn object_at(
    doc: &AutoCommit,
    parent: ExId,
    key: &str,
    kind: ObjType,
) -> std::result::Result<OpId, StaffEditRefusal> {
    match doc.get(parent, key) {
        Ok(Some((Value::Object(found), ExId::Id(counter, actor, _)))) if found == kind => {
            Ok(OpId(counter, actor))
        }
        _ => Err(StaffEditRefusal::Invalid(
            "the record has no annotation containers",
        )),
    }
}

/// Which object and map key every map operation in the document's history wrote to, by
/// its op id: an operation may only supersede (name as its predecessor) operations on the
/// same key. Automerge applies a predecessor wherever it is, so without this a put of one
/// key could delete another recruiter's rating, or an insert an existing note.
fn map_key_targets(doc: &mut AutoCommit) -> HashMap<OpId, (ObjectId, String)> {
    let mut targets = HashMap::new();
    for change in doc.get_changes(&[]) {
        let expanded = change.decode();
        for (index, op) in expanded.operations.iter().enumerate() {
            if let Key::Map(key) = &op.key {
                let id = OpId(
                    expanded.start_op.get() + index as u64,
                    expanded.actor_id.clone(),
                );
                targets.insert(id, (op.obj.clone(), key.to_string()));
            }
        }
    }
    targets
}

/// Whether every predecessor `op` names is an operation on its own object and map key; a
/// list insert names none.
fn check_predecessors(
    op: &automerge::legacy::Op,
    targets: &HashMap<OpId, (ObjectId, String)>,
) -> std::result::Result<(), StaffEditRefusal> {
    let same_key = |pred: &OpId| match (&op.key, targets.get(pred)) {
        (Key::Map(key), Some((obj, target))) => *obj == op.obj && target == key.as_str(),
        _ => false,
    };
    let allowed = if op.insert {
        op.pred.is_empty()
    } else {
        op.pred.iter().all(same_key)
    };
    if allowed {
        Ok(())
    } else {
        Err(StaffEditRefusal::NotPermitted(
            "what other operations wrote (a predecessor on another key)",
        ))
    }
}

/// The objects of the notes already in the document.
fn note_objects(doc: &AutoCommit) -> std::result::Result<Vec<OpId>, StaffEditRefusal> {
    let Ok(Some((_, notes))) = doc.get(automerge::ROOT, "notes") else {
        return Err(StaffEditRefusal::Invalid(
            "the record has no annotation containers",
        ));
    };
    Ok(doc
        .list_range(&notes, ..)
        .filter_map(|item| match item.id() {
            ExId::Id(counter, actor, _) => Some(OpId(counter, actor)),
            ExId::Root => None,
        })
        .collect())
}

/// Whether one operation is one a staff tablet may make (see the module docs).
fn check_operation(
    op: &automerge::legacy::Op,
    id: OpId,
    notes: &OpId,
    ratings: &OpId,
    recruiter: &str,
    existing_notes: &[OpId],
    new_notes: &mut Vec<OpId>,
) -> std::result::Result<(), StaffEditRefusal> {
    let scalar = matches!(op.action, OpType::Put(_));
    let key = match &op.key {
        Key::Map(key) => Some(key.as_str()),
        Key::Seq(_) => None,
    };
    match &op.obj {
        ObjectId::Root => match (key, &op.action) {
            // Automerge may write a put over concurrent values as a delete and a put; the
            // merged record must still hold a valid status (checked below).
            (Some("status"), OpType::Put(ScalarValue::Str(_)) | OpType::Delete) => Ok(()),
            _ => Err(StaffEditRefusal::NotPermitted("the captured fields")),
        },
        ObjectId::Id(obj) if obj == notes => match (op.insert, &op.action) {
            (true, OpType::Make(ObjType::Map)) => {
                new_notes.push(id);
                Ok(())
            }
            _ => Err(StaffEditRefusal::NotPermitted("existing notes")),
        },
        ObjectId::Id(obj) if new_notes.contains(obj) => match key {
            Some(field) if scalar && NOTE_FIELDS.contains(&field) => Ok(()),
            _ => Err(StaffEditRefusal::NotPermitted("a note's shape")),
        },
        ObjectId::Id(obj) if obj == ratings => match (key, &op.action) {
            (
                Some(key),
                OpType::Put(ScalarValue::Int(_) | ScalarValue::Uint(_)) | OpType::Delete,
            ) if key == recruiter => Ok(()),
            _ => Err(StaffEditRefusal::NotPermitted("another recruiter's rating")),
        },
        ObjectId::Id(obj) if existing_notes.contains(obj) => {
            Err(StaffEditRefusal::NotPermitted("existing notes"))
        }
        ObjectId::Id(_) => Err(StaffEditRefusal::NotPermitted("the captured fields")),
    }
}

#[cfg(test)]
mod tests;
