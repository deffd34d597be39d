//! Registrations and events as Automerge documents, mapped with autosurgeon.
//!
//! One document per registration (small, removable on its own) and one per event. Every
//! change's actor id is the author's Ed25519 public key, so whoever holds a document can
//! check who wrote each change against the keys they trust.
//!
//! Scalar strings are used for names, contact details and ids (nobody edits them character by
//! character); Automerge `Text` is kept for notes, which come with staff editing later.

use std::marker::PhantomData;

use automerge::transaction::CommitOptions;
use automerge::{ActorId, AutoCommit, ChangeHash};
use autosurgeon::{Hydrate, Reconcile, hydrate, reconcile};
use ed25519_dalek::VerifyingKey;

use crate::annotations::Annotations;
use crate::error::{Error, Result};
use crate::event::Event;
use crate::ids::Timestamp;
use crate::registration::Registration;

/// The Automerge actor id of the holder of `key`: the key's 32 bytes themselves, so an
/// actor id can be checked against a device or user key without any lookup table.
pub fn actor_id(key: &VerifyingKey) -> ActorId {
    ActorId::from(key.as_bytes().as_slice())
}

/// The key an actor id names, if it names one.
pub fn actor_key(actor: &ActorId) -> Option<VerifyingKey> {
    let bytes: [u8; 32] = actor.to_bytes().try_into().ok()?;
    VerifyingKey::from_bytes(&bytes).ok()
}

/// What a document holds at its root, and what must hold for it to be accepted.
pub trait DocumentContent: Reconcile + Hydrate {
    /// Checks beyond the shape autosurgeon already checks.
    fn check(&self) -> Result<()> {
        Ok(())
    }

    /// Writes a new document's first content: the content, and whatever else the document
    /// starts with.
    fn reconcile_initial(&self, doc: &mut AutoCommit) -> Result<()> {
        reconcile(doc, self)?;
        Ok(())
    }
}

impl DocumentContent for Registration {
    /// A registration starts with its annotation containers, so every replica edits the
    /// same notes list and ratings map (see [`crate::annotations`]).
    fn reconcile_initial(&self, doc: &mut AutoCommit) -> Result<()> {
        reconcile(doc, self)?;
        reconcile(doc, Annotations::opened())?;
        Ok(())
    }
}

impl DocumentContent for Event {
    fn check(&self) -> Result<()> {
        Ok(self.check_integrity()?)
    }
}

/// An Automerge document whose root is a `T`.
#[derive(Debug)]
pub struct Document<T> {
    doc: AutoCommit,
    content: PhantomData<T>,
}

/// A registration's document.
pub type RegistrationDocument = Document<Registration>;
/// An event's document.
pub type EventDocument = Document<Event>;

impl<T: DocumentContent> Document<T> {
    /// A new document holding `content`, written by `author` at `at`.
    pub fn create(content: &T, author: &VerifyingKey, at: Timestamp) -> Result<Document<T>> {
        content.check()?;
        let mut doc = AutoCommit::new().with_actor(actor_id(author));
        content.reconcile_initial(&mut doc)?;
        doc.commit_with(CommitOptions::default().with_time(at.millis().div_euclid(1000)));
        Ok(Document {
            doc,
            content: PhantomData,
        })
    }

    /// Reads `bytes` with Automerge and `content` from it, turning a panic inside the
    /// library (malformed bytes can trigger one; see `fuzz/`) into an error, so bytes from
    /// the network can never take a relay thread down.
    fn read_bytes(bytes: &[u8]) -> Result<(AutoCommit, T)> {
        count_load();
        std::panic::catch_unwind(|| -> Result<(AutoCommit, T)> {
            let doc = AutoCommit::load(bytes)?;
            if doc.is_empty() {
                return Err(Error::EmptyDocument);
            }
            let content: T = hydrate(&doc)?;
            content.check()?;
            Ok((doc, content))
        })
        .unwrap_or(Err(Error::UnreadableDocument))
    }

    /// Reads a saved document and checks its content. For the holder's own bytes (its
    /// store); bytes from elsewhere go through [`Document::load_chunks`] or
    /// [`Document::load_unattributed`], which bound them first.
    pub fn load(bytes: &[u8], author: &VerifyingKey) -> Result<Document<T>> {
        Ok(Self::load_with_content(bytes, author)?.0)
    }

    /// Reads a saved document, checks its content and returns it too, read once.
    pub fn load_with_content(bytes: &[u8], author: &VerifyingKey) -> Result<(Document<T>, T)> {
        let (doc, content) = Self::read_bytes(bytes)?;
        let document = Document {
            doc: doc.with_actor(actor_id(author)),
            content: PhantomData,
        };
        Ok((document, content))
    }

    /// Reads a document from elsewhere only to check it: it gets a throwaway actor, so
    /// anything written to it would be no one's. The relay reads captures this way.
    ///
    /// Only change chunks are taken (what [`Document::save_changes`] writes): automerge
    /// 0.12 can be made to allocate gigabytes by a hundred bytes of another chunk type
    /// (found by `fuzz/`), which no `catch_unwind` survives; and only within
    /// [`ChunkLimits::DOCUMENT`] (see [`bounds`]).
    pub fn load_unattributed(bytes: &[u8]) -> Result<(Document<T>, T)> {
        Self::load_unattributed_within(bytes, &ChunkLimits::DOCUMENT)
    }

    /// [`Document::load_unattributed`] within tighter `limits` (a capture's).
    pub fn load_unattributed_within(
        bytes: &[u8],
        limits: &ChunkLimits,
    ) -> Result<(Document<T>, T)> {
        bounded(bytes, limits)?;
        Self::load_unattributed_checked(bytes)
    }

    /// [`Document::load_unattributed_within`] for bytes that have just passed
    /// [`check_change_chunks`] within the caller's limits and not changed since: the same
    /// read, without inflating and hashing them a second time. Crate-private, so only code
    /// that holds such bytes (a verified capture) can skip the bounds.
    pub(crate) fn load_unattributed_checked(bytes: &[u8]) -> Result<(Document<T>, T)> {
        let (doc, content) = Self::read_bytes(bytes)?;
        let document = Document {
            doc,
            content: PhantomData,
        };
        Ok((document, content))
    }

    /// Reads a document sent as change chunks (a pull), written by `author` from here on.
    /// Only change chunks within [`ChunkLimits::DOCUMENT`] are taken, as in
    /// [`Document::load_unattributed`].
    pub fn load_chunks(bytes: &[u8], author: &VerifyingKey) -> Result<Document<T>> {
        bounded(bytes, &ChunkLimits::DOCUMENT)?;
        Self::load(bytes, author)
    }

    /// The changes named by `hashes`, as change chunks, in the order given; unknown hashes
    /// are skipped.
    pub fn change_chunks(&mut self, hashes: &[[u8; 32]]) -> Vec<u8> {
        let mut bytes = Vec::new();
        for hash in hashes {
            if let Some(mut change) = self.doc.get_change_by_hash(&ChangeHash(*hash)) {
                bytes.extend_from_slice(&change.bytes());
            }
        }
        bytes
    }

    /// The content as of the document's heads, checked.
    pub fn read(&self) -> Result<T> {
        let content: T = hydrate(&self.doc)?;
        content.check()?;
        Ok(content)
    }

    /// Changes the document to hold `content`: only the fields that differ become operations,
    /// so concurrent edits of other fields merge.
    pub fn write(&mut self, content: &T, at: Timestamp) -> Result<Option<ChangeHash>> {
        content.check()?;
        reconcile(&mut self.doc, content)?;
        let seconds = at.millis().div_euclid(1000);
        Ok(self
            .doc
            .commit_with(CommitOptions::default().with_time(seconds)))
    }

    /// Merges another copy's changes in, then checks the merged content.
    pub fn merge(&mut self, other: &mut Document<T>) -> Result<Vec<ChangeHash>> {
        let added = self.doc.merge(&mut other.doc)?;
        self.read()?;
        Ok(added)
    }

    /// The whole document, compressed.
    pub fn save(&mut self) -> Vec<u8> {
        self.doc.save()
    }

    /// The document as its changes, each a compressed change chunk, one after the other:
    /// what [`Document::load`] reads too. For a capture (one change) this is about a fifth
    /// smaller than [`Document::save`], which adds heads and document columns.
    pub fn save_changes(&mut self) -> Vec<u8> {
        let mut bytes = Vec::new();
        for mut change in self.doc.get_changes(&[]) {
            bytes.extend_from_slice(&change.bytes());
        }
        bytes
    }

    pub fn heads(&mut self) -> Vec<ChangeHash> {
        self.doc.get_heads()
    }

    /// Every change's hash, in causal order.
    pub fn change_hashes(&mut self) -> Vec<ChangeHash> {
        self.change_hashes_where(|_| true)
    }

    /// The hashes of the changes `author` made, in causal order.
    pub fn change_hashes_by(&mut self, author: &VerifyingKey) -> Vec<[u8; 32]> {
        let actor = actor_id(author);
        self.change_hashes_where(|a| *a == actor)
            .into_iter()
            .map(|h| h.0)
            .collect()
    }

    /// The hashes of the changes whose actor `keep` takes, in causal order.
    fn change_hashes_where(&mut self, keep: impl Fn(&ActorId) -> bool) -> Vec<ChangeHash> {
        // Metadata only: rebuilding whole changes from a loaded document is far slower.
        self.doc
            .get_changes_meta(&[])
            .iter()
            .filter(|c| keep(&c.actor))
            .map(|c| c.hash)
            .collect()
    }

    /// The changes `hash` depends on (empty for a document's first change).
    pub fn change_deps(&mut self, hash: &ChangeHash) -> Vec<ChangeHash> {
        self.doc
            .get_change_meta_by_hash(hash)
            .map(|c| c.deps)
            .unwrap_or_default()
    }

    /// The distinct authors of the document's changes.
    pub fn authors(&mut self) -> Vec<ActorId> {
        let mut actors: Vec<ActorId> = self
            .doc
            .get_changes_meta(&[])
            .into_iter()
            .map(|c| c.actor.into_owned())
            .collect();
        actors.sort();
        actors.dedup();
        actors
    }

    /// Whether the document holds only the fields `T` knows: hydrating ignores unknown keys,
    /// so a receiver that must refuse them compares every path with a document rebuilt from
    /// what it hydrated.
    pub fn has_only_known_fields(&self) -> Result<bool> {
        let mut rebuilt = AutoCommit::new();
        self.read()?.reconcile_initial(&mut rebuilt)?;
        Ok(field_paths(&self.doc) == field_paths(&rebuilt))
    }

    /// Whether every field path of the document is in `allowed` (see
    /// [`registration_field_paths`]): the same check without rebuilding a document.
    pub fn fields_within(&self, allowed: &std::collections::BTreeSet<String>) -> bool {
        // The relay runs this on every capture: one pass, one path buffer, and it stops at
        // the first path not allowed.
        fields_within(&self.doc, &automerge::ROOT, &mut String::new(), allowed)
    }

    /// The document's heads as bytes.
    pub fn head_bytes(&mut self) -> Vec<[u8; 32]> {
        self.doc.get_heads().into_iter().map(|h| h.0).collect()
    }

    /// The changes past `heads` (every change, for no heads), as change chunks: what a
    /// replica at `heads` lacks. Heads this document does not know count as none.
    pub fn changes_since(&mut self, heads: &[[u8; 32]]) -> Vec<u8> {
        let heads: Vec<ChangeHash> = heads.iter().map(|h| ChangeHash(*h)).collect();
        let known = heads
            .iter()
            .all(|h| self.doc.get_change_meta_by_hash(h).is_some());
        let since = if known { heads } else { Vec::new() };
        let mut bytes = Vec::new();
        for mut change in self.doc.get_changes(&since) {
            bytes.extend_from_slice(&change.bytes());
        }
        bytes
    }

    /// Merges change chunks from elsewhere (the relay's copy) and checks the content;
    /// if anything fails, the document is left as it was. Returns the changes added.
    pub fn apply_change_chunks(&mut self, bytes: &[u8]) -> Result<Vec<ChangeHash>> {
        let changes = decode_change_chunks(bytes, &ChunkLimits::DOCUMENT)?;
        // Automerge 0.12 panics on some malformed changes; `self` is only replaced at the
        // end, so after a panic it is as it was.
        let merged = std::panic::catch_unwind(std::panic::AssertUnwindSafe(
            || -> Result<(AutoCommit, Vec<ChangeHash>)> {
                let before = self.doc.get_heads();
                let mut trial = self.doc.clone();
                trial.apply_changes(changes)?;
                if !trial.get_missing_deps(&[]).is_empty() {
                    return Err(Error::UnreadableDocument);
                }
                let content: T = hydrate(&trial)?;
                content.check()?;
                let added = trial
                    .get_changes_meta(&before)
                    .iter()
                    .map(|c| c.hash)
                    .collect();
                Ok((trial, added))
            },
        ))
        .unwrap_or(Err(Error::UnreadableDocument))?;
        self.doc = merged.0;
        Ok(merged.1)
    }

    /// A second copy of this document written by `author`, as another device would hold it.
    pub fn fork_for(&mut self, author: &VerifyingKey) -> Document<T> {
        Document {
            doc: self.doc.fork().with_actor(actor_id(author)),
            content: PhantomData,
        }
    }
}

/// Every field path a registration document may have: those of a registration with every
/// optional part present, computed once.
pub fn registration_field_paths() -> &'static std::collections::BTreeSet<String> {
    static PATHS: std::sync::OnceLock<std::collections::BTreeSet<String>> =
        std::sync::OnceLock::new();
    PATHS.get_or_init(|| {
        let mut full = crate::generator::RegistrationGenerator::new(crate::demo::demo_event(), 0)
            .next_registration()
            .expect("the generator's registrations validate");
        full.person.email = Some("a@example.se".into());
        full.person.phone = Some("+46701234567".into());
        full.interests = vec!["law".into()];
        full.locations = vec!["malmo".into()];
        full.education_level = Some("master".into());
        full.free_text = Some("text".into());
        full.consents.talent_pool = Some(crate::registration::TalentPoolOptIn {
            notice_version: full.form_version.clone(),
            language: full.language,
            at: full.captured_at,
        });
        let mut doc = AutoCommit::new();
        full.reconcile_initial(&mut doc)
            .expect("a registration reconciles");
        field_paths(&doc)
    })
}

/// Splits `bytes` into Automerge changes, refusing anything but whole change chunks within
/// `limits`.
fn decode_change_chunks(bytes: &[u8], limits: &ChunkLimits) -> Result<Vec<automerge::Change>> {
    bounded(bytes, limits)?;
    let chunks = bounds::split_checked_chunks(bytes).map_err(|_| Error::UnreadableDocument)?;
    count_load();
    std::panic::catch_unwind(|| {
        chunks
            .into_iter()
            .map(|chunk| automerge::Change::try_from(chunk).map_err(|_| Error::UnreadableDocument))
            .collect()
    })
    .unwrap_or(Err(Error::UnreadableDocument))
}

/// [`check_change_chunks`] as a core error: bytes too large for `limits` are
/// [`Error::OutOfBounds`], bytes that are not change chunks at all
/// [`Error::UnreadableDocument`], as before the bounds.
fn bounded(bytes: &[u8], limits: &ChunkLimits) -> Result<CheckedChunks> {
    check_change_chunks(bytes, limits).map_err(|bound| {
        if bound.is_too_large() {
            Error::OutOfBounds(bound)
        } else {
            Error::UnreadableDocument
        }
    })
}

thread_local! {
    static LOADS: std::cell::Cell<u64> = const { std::cell::Cell::new(0) };
}

/// Counts a hand-over of bytes to Automerge on this thread.
fn count_load() {
    LOADS.with(|loads| loads.set(loads.get() + 1));
}

/// How many times this thread has handed bytes to Automerge to read (documents loaded,
/// changes decoded). Lets a test prove that refused bytes were never read, without timing.
pub fn automerge_reads_on_this_thread() -> u64 {
    LOADS.with(|loads| loads.get())
}

/// Whether every path under `obj` (prefixed with `path`) is in `allowed`.
fn fields_within(
    doc: &AutoCommit,
    obj: &automerge::ObjId,
    path: &mut String,
    allowed: &std::collections::BTreeSet<String>,
) -> bool {
    use automerge::{ObjType, ReadDoc, ValueRef};
    let prefix = path.len();
    let within = match doc.object_type(obj) {
        Ok(ObjType::Map) | Ok(ObjType::Table) => doc.map_range(obj, ..).all(|item| {
            path.truncate(prefix);
            path.push('/');
            path.push_str(&item.key);
            allowed.contains(path.as_str())
                && (!matches!(item.value, ValueRef::Object(_))
                    || fields_within(doc, &item.id(), path, allowed))
        }),
        Ok(ObjType::List) => doc.list_range(obj, ..).all(|item| {
            path.truncate(prefix);
            path.push_str("[]");
            allowed.contains(path.as_str())
                && (!matches!(item.value, ValueRef::Object(_))
                    || fields_within(doc, &item.id(), path, allowed))
        }),
        _ => true,
    };
    path.truncate(prefix);
    within
}

/// Every map key path in a document (`/person/email`, `/interests[]`), list positions folded.
fn field_paths(doc: &AutoCommit) -> std::collections::BTreeSet<String> {
    use automerge::{ObjType, ReadDoc, Value};
    let mut paths = std::collections::BTreeSet::new();
    let mut pending = vec![(automerge::ROOT, String::new())];
    while let Some((obj, path)) = pending.pop() {
        let children: Vec<(automerge::Prop, String)> = match doc.object_type(&obj) {
            Ok(ObjType::Map) | Ok(ObjType::Table) => doc
                .keys(&obj)
                .map(|key| (automerge::Prop::Map(key.clone()), format!("{path}/{key}")))
                .collect(),
            Ok(ObjType::List) => (0..doc.length(&obj))
                .map(|i| (automerge::Prop::Seq(i), format!("{path}[]")))
                .collect(),
            _ => Vec::new(),
        };
        for (prop, child_path) in children {
            paths.insert(child_path.clone());
            if let Ok(Some((Value::Object(_), child))) = doc.get(&obj, prop) {
                pending.push((child, child_path));
            }
        }
    }
    paths
}

pub mod bounds;
pub use bounds::{BoundError, CheckedChunks, ChunkLimits, check_change_chunks};

mod staff_edits;
pub use staff_edits::{StaffAuthor, StaffEditRefusal};

mod edits_at_heads;
pub use edits_at_heads::{EditAtHeadsError, EditedAtHeads};

#[cfg(test)]
mod tests;
