//! Subject access (*registerutdrag*) for archivists: `POST /api/v1/subject-access` with
//! exactly one of `email`, `phone` or `receipt_code` finds every registration of that person
//! and gives everything held about each: the captured fields, consents with notice
//! versions and times, event, receipt metadata, notes, ratings, the current status and its
//! history, and the access-log entries about the record. The answer is a JSON attachment,
//! or with `?format=html` a standalone printable page in the caller's language
//! ([`crate::hr::printable::subject_access`]); the route is
//! [`crate::hr::documents_api`]'s. The console's page calls [`find_for_subject`] too.
//!
//! Identifiers are normalised as the kiosk stores them: trimmed; an email compared without
//! regard to case; a phone number reduced to digits and a leading `+` and then to E.164; a
//! receipt code as the receipt search reads one. A receipt code names one registration;
//! the person's others are those with the same email or phone (each record says what
//! matched it, so the official can check before handing it out). How the lookup stays fast
//! is [`crate::storage::SubjectLookup`]'s store's concern.
//!
//! Restricted records are given only to a caller with the clearance. To a caller without
//! it the answer is exactly what it would be had no restricted record matched (a lookup
//! that matched only restricted records is 404 `no_match`, as one that matched nothing),
//! and says in every answer that such records go to cleared users; the request itself,
//! with the ids of the restricted records it matched, goes to the cleared users' restricted
//! inbox ([`crate::storage::RegistrationStore::restricted_requests`]). Every record given is one
//! `subject_access` entry in the access log, written in the read's transaction. Matching
//! nothing is 404 `no_match` and logs nothing, as no record was read.
//!
//! The service ([`find_for_subject`]) and the identifier rules return [`HrError`]s (a
//! [`SubjectAccessError`]); [`crate::hr::answer`] answers them at the edge.

use std::collections::HashMap;

use automerge::{ActorId, AutoCommit, ChangeHash, ReadDoc};
use kiosk_core::annotations::{Annotations, RecordStatus};
use kiosk_core::documents::RegistrationDocument;
use kiosk_core::language::Localized;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::hr::accounts::HrUser;
use crate::hr::error::{HrError, HrResult, StorageContext};
use crate::hr::policy::sees_restricted;
use crate::state::now_ms;
use crate::storage::{
    AccessEntry, Accessor, HeldRecord, MatchedBy, RelayStore, SubjectAccessFound, SubjectLookup,
};

/// What the answer says when nothing matched, in English and Swedish.
pub(crate) const NO_MATCH: &str = "nothing the relay holds matches this identifier; records \
    removed under a retention rule can no longer be found / inget som reläet har matchar \
    uppgiften; registreringar som har gallrats går inte längre att hitta";

/// A subject-access request's refusal: an ordinary error, or nothing matched (404
/// `no_match`, with [`NO_MATCH`]).
/// (Answered by [`crate::hr::answer`].)
#[derive(Debug)]
pub(crate) enum SubjectAccessError {
    Hr(HrError),
    NoMatch,
}

impl<E: Into<HrError>> From<E> for SubjectAccessError {
    fn from(error: E) -> SubjectAccessError {
        SubjectAccessError::Hr(error.into())
    }
}

/// A lookup's identifier that breaks its rule.
fn invalid(field: &'static str, rule: &'static str) -> HrError {
    HrError::InvalidField { field, rule }
}

/// What a fault reading a stored record was doing, for the log.
fn unexpected<E: std::error::Error + Send + Sync + 'static>(
    context: &'static str,
) -> impl FnOnce(E) -> HrError {
    move |source| HrError::Unexpected {
        context,
        source: Box::new(source),
    }
}

/// The request's body: exactly one identifier.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct IdentifierBody {
    pub email: Option<String>,
    pub phone: Option<String>,
    pub receipt_code: Option<String>,
}

/// The lookup `body` asks for, normalised; a 422 naming the field that is wrong (or
/// `identifier` when not exactly one is given).
pub(crate) fn parse_lookup(body: &IdentifierBody) -> HrResult<SubjectLookup> {
    let given: Vec<(&str, &str)> = [
        ("email", &body.email),
        ("phone", &body.phone),
        ("receipt_code", &body.receipt_code),
    ]
    .into_iter()
    .filter_map(|(kind, value)| {
        let value = value.as_deref()?.trim();
        (!value.is_empty()).then_some((kind, value))
    })
    .collect();
    let [(kind, value)] = given[..] else {
        return Err(invalid(
            "identifier",
            "give exactly one of email, phone or receipt_code / ange exakt en av email, phone \
             eller receipt_code",
        ));
    };
    lookup_of(kind, value)
}

/// `value` as an identifier of `kind` (`email`, `phone` or `receipt_code`), normalised.
pub(crate) fn lookup_of(kind: &str, value: &str) -> HrResult<SubjectLookup> {
    let value = value.trim();
    match kind {
        "email" => kiosk_core::validation::normalize_email(value)
            .map(|email| SubjectLookup::Email(email.to_lowercase()))
            .map_err(|_| invalid("email", "not an email address / inte en e-postadress")),
        "phone" => {
            // "(0)" marks a trunk prefix: dropped before the other characters are.
            let kept: String = value
                .replace("(0)", "")
                .chars()
                .enumerate()
                .filter(|(i, c)| c.is_ascii_digit() || (*i == 0 && *c == '+'))
                .map(|(_, c)| c)
                .collect();
            kiosk_core::validation::normalize_phone(&kept)
                .map(SubjectLookup::Phone)
                .map_err(|_| {
                    invalid(
                        "phone",
                        "not a phone number: digits, with + and country code or a leading 0 / \
                         inte ett telefonnummer: siffror, med + och landsnummer eller en \
                         inledande 0:a",
                    )
                })
        }
        "receipt_code" => kiosk_core::capture::receipt_code::normalize(value)
            .map(SubjectLookup::ReceiptCode)
            .ok_or(invalid(
                "receipt_code",
                "not a receipt code: eight letters and digits, as XXXX-XXXX / inte en \
                 kvittokod: åtta bokstäver och siffror, som XXXX-XXXX",
            )),
        _ => Err(invalid("kind", "email, phone or receipt_code")),
    }
}

/// Who made a change of a record, as far as the relay can tell from its actor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Author {
    HrUser {
        username: String,
    },
    StaffTablet {
        device: String,
        recruiter: String,
    },
    Kiosk {
        device: String,
    },
    /// An actor the relay knows no tablet or user for (the hex of its id).
    Unknown {
        actor: String,
    },
}

impl Author {
    pub(crate) fn json(&self) -> Value {
        match self {
            Author::HrUser { username } => json!({ "kind": "hr_user", "username": username }),
            Author::StaffTablet { device, recruiter } => {
                json!({ "kind": "staff_tablet", "device_id": device, "recruiter": recruiter })
            }
            Author::Kiosk { device } => json!({ "kind": "kiosk", "device_id": device }),
            Author::Unknown { actor } => json!({ "kind": "unknown", "actor": actor }),
        }
    }
}

/// Names the authors of changes: HR users by the actor key derived from their id, tablets
/// by their key. Read once per request.
pub(crate) struct Authors<'a> {
    store: &'a dyn RelayStore,
    users: HashMap<[u8; 32], String>,
    devices: HashMap<[u8; 32], Author>,
}

impl<'a> Authors<'a> {
    pub(crate) fn new(store: &'a dyn RelayStore) -> HrResult<Authors<'a>> {
        let users = store
            .hr_directory()
            .context("reading the HR users who may have authored changes")?
            .into_iter()
            .map(|entry| (entry.user.actor_key().to_bytes(), entry.user.username))
            .collect();
        Ok(Authors {
            store,
            users,
            devices: HashMap::new(),
        })
    }

    fn of(&mut self, actor: &ActorId) -> HrResult<Author> {
        let bytes = actor.to_bytes();
        let Ok(key) = <[u8; 32]>::try_from(bytes) else {
            return Ok(Author::Unknown {
                actor: hex::encode(bytes),
            });
        };
        if let Some(username) = self.users.get(&key) {
            return Ok(Author::HrUser {
                username: username.clone(),
            });
        }
        if let Some(author) = self.devices.get(&key) {
            return Ok(author.clone());
        }
        let device = hex::encode(key);
        let author = match self
            .store
            .device(&key)
            .context("reading the tablet that authored a change")?
        {
            Some(record) => match record.recruiter {
                Some(recruiter) => Author::StaffTablet { device, recruiter },
                None => Author::Kiosk { device },
            },
            None => Author::Unknown { actor: device },
        };
        self.devices.insert(key, author.clone());
        Ok(author)
    }
}

/// One change of a record's status.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct StatusChange {
    /// The author's clock when the change was made, ms (recorded, not trusted).
    pub at: i64,
    pub author: Author,
    pub status: RecordStatus,
}

/// The record's status after each of its changes, in causal order, wherever it differs
/// from the status before (the capture's `new` first).
pub(crate) fn status_history(
    changes: &[u8],
    authors: &mut Authors<'_>,
) -> HrResult<Vec<StatusChange>> {
    let mut doc = AutoCommit::load(changes).map_err(unexpected(
        "loading a record's history for its status changes",
    ))?;
    let metas: Vec<(ChangeHash, Vec<ChangeHash>, ActorId, i64)> = doc
        .get_changes_meta(&[])
        .into_iter()
        .map(|meta| {
            (
                meta.hash,
                meta.deps,
                meta.actor.into_owned(),
                meta.timestamp,
            )
        })
        .collect();
    let mut heads: Vec<ChangeHash> = Vec::new();
    let mut last: Option<RecordStatus> = None;
    let mut history = Vec::new();
    for (hash, deps, actor, seconds) in metas {
        // The changes so far, in causal order, are a state the record was in: its heads
        // are this change and the earlier heads it does not build on.
        heads.retain(|head| !deps.contains(head));
        heads.push(hash);
        let status = doc
            .get_at(automerge::ROOT, "status", &heads)
            .map_err(unexpected("reading a record's status at a change"))?
            .and_then(|(value, _)| value.as_str().and_then(RecordStatus::parse));
        if let Some(status) = status
            && last != Some(status)
        {
            history.push(StatusChange {
                at: seconds.saturating_mul(1000),
                author: authors.of(&actor)?,
                status,
            });
            last = Some(status);
        }
    }
    Ok(history)
}

/// The record's notes, ratings and status as its document holds them now.
pub(crate) fn annotations_of(record: &HeldRecord) -> HrResult<Annotations> {
    let (document, _) =
        RegistrationDocument::load_unattributed(&record.changes).map_err(|source| {
            HrError::Document {
                context: "reading a held record's document",
                source,
            }
        })?;
    document.annotations().map_err(|source| HrError::Document {
        context: "reading a held record's annotations",
        source,
    })
}

/// Everything held about one of the person's registrations.
#[derive(Debug, Clone)]
pub(crate) struct RecordReport {
    pub record: HeldRecord,
    pub matched_by: Vec<MatchedBy>,
    pub event_name: Option<Localized>,
    /// The event, which labels the record's answers; `None` if the relay lacks it.
    pub event: Option<kiosk_core::event::Event>,
    pub annotations: Annotations,
    pub status_history: Vec<StatusChange>,
    /// When it falls due, a legal hold, a talent-pool withdrawal.
    pub retention: Option<crate::storage::RecordRetention>,
}

/// A subject-access answer.
#[derive(Debug, Clone)]
pub(crate) struct SubjectAccessReport {
    pub generated_at: i64,
    /// The archivist's username.
    pub requested_by: String,
    /// Which kind of identifier was given (its value is not repeated).
    pub identifier_kind: &'static str,
    pub records: Vec<RecordReport>,
    /// How the printable document names the staff and tablets it mentions.
    pub names: crate::hr::handler_names::HandlerNames,
    /// The caller lacks the clearance: the answer says, whatever matched, that records of
    /// visitors with protected personal data are handled by cleared users only.
    pub uncleared: bool,
}

/// Finds and reads every registration `lookup` names for archivist `user`, logging each
/// record given (see the module docs). Blocking.
pub(crate) fn find_for_subject(
    store: &dyn RelayStore,
    user: &HrUser,
    lookup: &SubjectLookup,
) -> Result<SubjectAccessReport, SubjectAccessError> {
    crate::hr::policy::require_exporter(user)?;
    let at = now_ms();
    let accessor = Accessor::Operator(user.accessor_name());
    let SubjectAccessFound { records } = store
        .subject_access(lookup, sees_restricted(user), &accessor, at)
        .context("finding and logging a subject's records")?;
    // Only what the caller may read decides the answer: a caller without the clearance
    // whose lookup matched only restricted records is told what one matching nothing is.
    if records.is_empty() {
        return Err(SubjectAccessError::NoMatch);
    }
    let mut authors = Authors::new(store)?;
    let mut events = crate::hr::labels::EventCache::new(store);
    let mut reports = Vec::with_capacity(records.len());
    for (record, matched_by) in records {
        let event = events.event(&record.event_id).cloned();
        reports.push(RecordReport {
            event_name: event.as_ref().map(|event| event.name.clone()),
            event,
            annotations: annotations_of(&record)?,
            status_history: status_history(&record.changes, &mut authors)?,
            retention: store
                .record_retention(&record.doc_id)
                .context("reading a record's retention")?,
            matched_by,
            record,
        });
    }
    let names = crate::hr::handler_names::HandlerNames::read(
        store,
        reports.iter().flat_map(|r| {
            std::iter::once(r.record.device_key).chain(r.record.access.iter().filter_map(
                |(_, entry)| match &entry.accessor {
                    Accessor::Device { device_key, .. } => Some(*device_key),
                    Accessor::Operator(_) | Accessor::Visitor => None,
                },
            ))
        }),
        reports.iter().flat_map(|r| {
            std::iter::once(r.record.registration.capturing_device.as_str()).chain(
                r.status_history
                    .iter()
                    .filter_map(|change| match &change.author {
                        Author::StaffTablet { device, .. } | Author::Kiosk { device } => {
                            Some(device.as_str())
                        }
                        Author::HrUser { .. } | Author::Unknown { .. } => None,
                    }),
            )
        }),
    )?;
    Ok(SubjectAccessReport {
        names,
        generated_at: at,
        requested_by: user.username.clone(),
        identifier_kind: match lookup {
            SubjectLookup::Email(_) => "email",
            SubjectLookup::Phone(_) => "phone",
            SubjectLookup::ReceiptCode(_) => "receipt_code",
        },
        records: reports,
        uncleared: !sees_restricted(user),
    })
}

/// What every answer to a caller without the clearance says, whatever matched, in English
/// and Swedish: the same words whether or not a restricted record matched.
pub(crate) const RESTRICTED_NOTICE: &str = "records of visitors with protected personal data \
    are never shown to users without the clearance; if any match, the request has been passed \
    to the users who hold it / registreringar med skyddade personuppgifter visas aldrig för \
    användare utan behörighet; om någon matchar har begäran lämnats över till användare med \
    behörighet";

/// An access-log entry as the answers show it.
pub(crate) fn access_json(seq: u64, entry: &AccessEntry) -> Value {
    let by = match &entry.accessor {
        Accessor::Operator(name) => json!({ "kind": "operator", "name": name }),
        Accessor::Visitor => json!({ "kind": "visitor" }),
        Accessor::Device {
            device_key,
            recruiter,
        } => json!({
            "kind": "device",
            "device_id": hex::encode(device_key),
            "recruiter": recruiter,
        }),
    };
    json!({ "seq": seq, "at": entry.at, "action": entry.action.as_str(), "by": by })
}

/// The registration's content and receipt metadata: what both subject access and
/// disclosure show of a record.
pub(crate) fn content_json(record: &HeldRecord, event_name: &Option<Localized>) -> Value {
    let registration = &record.registration;
    let person = &registration.person;
    let consents = &registration.consents;
    json!({
        "id": record.doc_id,
        "event_id": record.event_id,
        // `{sv, en}`, or null for an event the relay lacks.
        "event_name": event_name,
        "form_version": registration.form_version.as_str(),
        "language": registration.language.tag(),
        "captured_at": registration.captured_at.millis(),
        "received_at": record.received_at,
        "capturing_device": registration.capturing_device.as_str(),
        "device_id": hex::encode(record.device_key),
        "receipt_code": record.receipt_code,
        "given_name": person.given_name,
        "family_name": person.family_name,
        "email": person.email,
        "phone": person.phone,
        "interests": registration.interests,
        "locations": registration.locations,
        "education_level": registration.education_level,
        "free_text": registration.free_text,
        "consents": {
            "privacy_notice": {
                "notice_version": consents.privacy_notice.notice_version.as_str(),
                "language": consents.privacy_notice.language.tag(),
                "at": consents.privacy_notice.at.millis(),
            },
            "talent_pool": consents.talent_pool.as_ref().map(|opt_in| json!({
                "notice_version": opt_in.notice_version.as_str(),
                "language": opt_in.language.tag(),
                "at": opt_in.at.millis(),
            })),
        },
        "restricted": record.restricted,
    })
}

/// The answer as JSON.
pub(crate) fn report_json(report: &SubjectAccessReport) -> Value {
    let records: Vec<Value> = report
        .records
        .iter()
        .map(|r| {
            let mut record = content_json(&r.record, &r.event_name);
            let fields = record.as_object_mut().expect("an object");
            fields.insert(
                "matched_by".into(),
                json!(r.matched_by.iter().map(|m| m.as_str()).collect::<Vec<_>>()),
            );
            fields.insert("status".into(), json!(r.annotations.status.as_str()));
            fields.insert(
                "status_history".into(),
                json!(
                    r.status_history
                        .iter()
                        .map(|change| json!({
                            "at": change.at,
                            "status": change.status.as_str(),
                            "author": change.author.json(),
                        }))
                        .collect::<Vec<_>>()
                ),
            );
            fields.insert(
                "notes".into(),
                json!(
                    r.annotations
                        .notes
                        .iter()
                        .map(|note| json!({
                            "author": note.author,
                            "written_at": note.written_at.millis(),
                            "text": note.text,
                        }))
                        .collect::<Vec<_>>()
                ),
            );
            fields.insert("ratings".into(), json!(r.annotations.ratings));
            fields.insert(
                "access_log".into(),
                json!(
                    r.record
                        .access
                        .iter()
                        .map(|(seq, entry)| access_json(*seq, entry))
                        .collect::<Vec<_>>()
                ),
            );
            fields.insert(
                "retention".into(),
                r.retention
                    .as_ref()
                    .map_or(Value::Null, crate::hr::retention_api::retention_json),
            );
            record
        })
        .collect();
    json!({
        "generated_at": report.generated_at,
        "requested_by": report.requested_by,
        "identifier_kind": report.identifier_kind,
        "registrations": records,
        "restricted_notice": report.uncleared.then_some(RESTRICTED_NOTICE),
    })
}

/// The answer's format: `?format=json` (the default) or `html`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Format {
    Json,
    Html,
}
