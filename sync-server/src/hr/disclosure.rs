//! Disclosure exports for a request for public documents (*begäran om allmän handling*),
//! archivists only: `POST /api/v1/disclosure` with `{"records": [id or receipt code, …]}`
//! (at most [`MAX_RECORDS`]) or `{"event_id", "from", "before"}` (capture time, ms; at most
//! [`MAX_RECORDS`] registrations), answered as JSON or, with `?format=html`, a printable
//! page ([`crate::hr::printable::disclosure`]; the route is
//! [`crate::hr::documents_api`]'s).
//!
//! The export decides nothing: it lists each requested record with every field, and marks
//! the fields that need a secrecy review (*sekretessprövning*) before release, with the
//! reason ([`ReviewReason`]); its header says that an official decides, and it leaves a
//! blank decision per field (*lämnas ut / lämnas ut med maskning / lämnas inte ut*).
//! Restricted records need the clearance: to a caller without it they are answered exactly
//! as records the relay does not hold (an id or receipt code as not held; left out of an
//! event's range), so the export cannot tell that a person has protected personal data,
//! and the request is routed to the cleared users' restricted inbox with the ids it
//! matched. Ids the relay does not hold are listed as not held, or as
//! removed with the removal's date and rule. Every record included is one `disclosure`
//! entry in the access log, written in the read's transaction.
//!
//! The selection's rules ([`parse_selection`]) and the service ([`disclose`]) return
//! [`HrError`]s; handlers answer them through [`crate::hr::answer`].

use kiosk_core::annotations::Annotations;
use kiosk_core::capture::receipt_code;
use kiosk_core::ids::{EventId, RegistrationId};
use kiosk_core::language::{Language, Localized};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::hr::accounts::HrUser;
use crate::hr::error::{HrError, HrResult, Missing, StorageContext};
use crate::hr::policy::sees_restricted;
use crate::hr::subject_access::{annotations_of, content_json};
use crate::state::now_ms;
use crate::storage::{
    Accessor, AskedRecord, DisclosureItem, DisclosureOutcome, DisclosureSelection, HeldRecord,
    RelayStore,
};

/// The most records one export lists.
pub const MAX_RECORDS: usize = 500;

/// The header's text in `lang`.
pub(crate) fn notice(lang: Language) -> &'static str {
    match lang {
        Language::Swedish => {
            "Detta underlag avgör inte vad som lämnas ut: det gör en handläggare efter \
             sekretessprövning av varje uppgift. Uppgifter som är markerade för prövning kräver \
             särskild bedömning innan de kan lämnas ut."
        }
        Language::English => {
            "This export does not decide what is released: an official decides after a \
             secrecy review of each item. Items marked for review need particular \
             consideration before they can be released."
        }
    }
}

/// The official's choices for each field, left blank by the export.
pub(crate) fn decisions(lang: Language) -> [&'static str; 3] {
    match lang {
        Language::Swedish => ["Lämnas ut", "Lämnas ut med maskning", "Lämnas inte ut"],
        Language::English => ["Released", "Released with redaction", "Not released"],
    }
}

/// Why a field needs a secrecy review before release.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ReviewReason {
    /// Email and phone: contact details of a private person.
    ContactDetails,
    /// Names and contact details of a visitor with protected personal data.
    ProtectedIdentity,
    /// Notes and ratings: may hold assessments of the person.
    Assessment,
    /// Text the visitor wrote freely: may hold anything.
    FreeText,
}

impl ReviewReason {
    pub(crate) const ALL: [ReviewReason; 4] = [
        ReviewReason::ContactDetails,
        ReviewReason::ProtectedIdentity,
        ReviewReason::Assessment,
        ReviewReason::FreeText,
    ];

    pub(crate) fn code(self) -> &'static str {
        match self {
            ReviewReason::ContactDetails => "contact_details",
            ReviewReason::ProtectedIdentity => "protected_identity",
            ReviewReason::Assessment => "assessment",
            ReviewReason::FreeText => "free_text",
        }
    }

    /// The reason's name in words, where a person reads it (the JSON keeps [`Self::code`]).
    pub(crate) fn title(self, lang: Language) -> &'static str {
        let (sv, en) = match self {
            ReviewReason::ContactDetails => ("Kontaktuppgifter", "Contact details"),
            ReviewReason::ProtectedIdentity => {
                ("Skyddade personuppgifter", "Protected personal data")
            }
            ReviewReason::Assessment => ("Bedömningar", "Assessments"),
            ReviewReason::FreeText => ("Fritext", "Free text"),
        };
        match lang {
            Language::Swedish => sv,
            Language::English => en,
        }
    }

    pub(crate) fn text(self, lang: Language) -> &'static str {
        let (sv, en) = match self {
            ReviewReason::ContactDetails => (
                "Kontaktuppgifter till en privatperson.",
                "Contact details of a private person.",
            ),
            ReviewReason::ProtectedIdentity => (
                "Skyddade personuppgifter: varje uppgift (namn, kontaktuppgifter, evenemang, plats, tid, kvittokod) kan röja vem eller var personen är.",
                "Protected personal data: every detail (names, contact details, event, place, time, receipt code) may reveal who or where the person is.",
            ),
            ReviewReason::Assessment => (
                "Kan innehålla bedömningar av personen.",
                "May hold assessments of the person.",
            ),
            ReviewReason::FreeText => (
                "Fritext som personen skrev själv; kan innehålla vad som helst.",
                "Free text the person wrote; may hold anything.",
            ),
        };
        match lang {
            Language::Swedish => sv,
            Language::English => en,
        }
    }
}

/// Why field `key` (a key of [`content_json`]) of a record, `restricted` or not, needs a
/// review; `None` if it needs none beyond the official's ordinary look.
pub(crate) fn review_reason(key: &str, restricted: bool) -> Option<ReviewReason> {
    match key {
        // Of a protected person, any detail may lead to them: the official weighs each.
        _ if restricted => Some(ReviewReason::ProtectedIdentity),
        "email" | "phone" => Some(ReviewReason::ContactDetails),
        "free_text" => Some(ReviewReason::FreeText),
        _ => None,
    }
}

/// A held record with what the export shows beside its content.
#[derive(Debug, Clone)]
pub(crate) struct DisclosedRecord {
    /// The id or receipt code as asked (the id, for an event's range).
    pub asked: String,
    pub record: HeldRecord,
    pub event_name: Option<Localized>,
    /// The event, which labels the record's answers; `None` if the relay lacks it.
    pub event: Option<kiosk_core::event::Event>,
    pub annotations: Annotations,
}

/// One line of the export.
#[derive(Debug, Clone)]
pub(crate) enum DisclosureLine {
    Held(Box<DisclosedRecord>),
    Removed {
        asked: String,
        removed_at: i64,
        rule: String,
    },
    NotHeld {
        asked: String,
    },
}

/// A disclosure export.
#[derive(Debug, Clone)]
pub(crate) struct DisclosureReport {
    pub generated_at: i64,
    pub requested_by: String,
    pub lines: Vec<DisclosureLine>,
    /// How the printable document names the staff and tablets it mentions.
    pub names: crate::hr::handler_names::HandlerNames,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct DisclosureBody {
    pub records: Option<Vec<String>>,
    pub event_id: Option<String>,
    pub from: Option<i64>,
    pub before: Option<i64>,
}

fn invalid(field: &'static str, rule: &'static str) -> HrError {
    HrError::InvalidField { field, rule }
}

/// The id or receipt code `text` as asked, normalised; `None` if it is neither.
pub(crate) fn asked_record(text: &str) -> Option<AskedRecord> {
    let text = text.trim();
    if let Some(id) = RegistrationId::parse(text) {
        return Some(AskedRecord::Id(id.as_str().to_owned()));
    }
    receipt_code::normalize(text).map(AskedRecord::ReceiptCode)
}

/// The records `body` asks for; a 422 naming the field that is wrong.
pub(crate) fn parse_selection(body: DisclosureBody) -> HrResult<DisclosureSelection> {
    match (body.records, body.event_id) {
        (Some(records), None) => {
            if body.from.is_some() || body.before.is_some() {
                return Err(invalid(
                    "from",
                    "from and before go with event_id, not with records / from och before hör \
                     till event_id, inte till records",
                ));
            }
            if records.is_empty() || records.len() > MAX_RECORDS {
                return Err(invalid(
                    "records",
                    "1–500 registration ids or receipt codes / 1–500 id:n eller kvittokoder",
                ));
            }
            let mut asked = Vec::with_capacity(records.len());
            for text in &records {
                let one = asked_record(text).ok_or(invalid(
                    "records",
                    "each is a registration id or a receipt code (XXXX-XXXX) / varje post är \
                     ett registrerings-id eller en kvittokod (XXXX-XXXX)",
                ))?;
                if !asked.contains(&one) {
                    asked.push(one);
                }
            }
            Ok(DisclosureSelection::Records(asked))
        }
        (None, Some(event_id)) => {
            let event = EventId::parse(event_id.trim()).ok_or(invalid(
                "event_id",
                "not an event id / inte ett evenemangs-id",
            ))?;
            let from = body.from.ok_or(invalid(
                "from",
                "the range's start, ms since 1970 / intervallets början, ms sedan 1970",
            ))?;
            let before = body.before.ok_or(invalid(
                "before",
                "the range's end, ms since 1970 / intervallets slut, ms sedan 1970",
            ))?;
            if before <= from {
                return Err(invalid(
                    "before",
                    "must be after from / måste vara efter from",
                ));
            }
            Ok(DisclosureSelection::Event {
                event_id: event.as_str().to_owned(),
                from,
                before,
                limit: MAX_RECORDS,
            })
        }
        _ => Err(invalid(
            "selection",
            "give either records or event_id with from and before / ange antingen records \
             eller event_id med from och before",
        )),
    }
}

/// Reads the records `selection` names for archivist `user` and logs each included one.
/// Blocking.
pub(crate) fn disclose(
    store: &dyn RelayStore,
    user: &HrUser,
    selection: &DisclosureSelection,
) -> HrResult<DisclosureReport> {
    crate::hr::policy::require_exporter(user)?;
    if let DisclosureSelection::Event { event_id, .. } = selection {
        let id = EventId::parse(event_id).ok_or(Missing::Event)?;
        store
            .event(&id)
            .context("reading a disclosure's event")?
            .ok_or(Missing::Event)?;
    }
    let at = now_ms();
    let accessor = Accessor::Operator(user.accessor_name());
    let items = match store
        .disclosure(selection, sees_restricted(user), &accessor, at)
        .context("reading and logging the records of a disclosure")?
    {
        DisclosureOutcome::Items(items) => items,
        DisclosureOutcome::TooMany => {
            return Err(invalid(
                "before",
                "the range holds more than 500 registrations; narrow it / intervallet har fler \
                 än 500 registreringar; gör det mindre",
            ));
        }
    };
    let mut events = crate::hr::labels::EventCache::new(store);
    let mut lines = Vec::with_capacity(items.len());
    for item in items {
        lines.push(match item {
            DisclosureItem::Held { asked, record } => {
                let event = events.event(&record.event_id).cloned();
                DisclosureLine::Held(Box::new(DisclosedRecord {
                    asked,
                    event_name: event.as_ref().map(|event| event.name.clone()),
                    event,
                    annotations: annotations_of(&record)?,
                    record: *record,
                }))
            }
            DisclosureItem::Removed {
                asked,
                removed_at,
                reason,
            } => DisclosureLine::Removed {
                asked,
                removed_at,
                rule: reason,
            },
            DisclosureItem::NotHeld { asked } => DisclosureLine::NotHeld { asked },
        });
    }
    let held = || {
        lines.iter().filter_map(|line| match line {
            DisclosureLine::Held(held) => Some(&held.record),
            _ => None,
        })
    };
    let names = crate::hr::handler_names::HandlerNames::read(
        store,
        held().map(|record| record.device_key),
        held().map(|record| record.registration.capturing_device.as_str()),
    )?;
    Ok(DisclosureReport {
        generated_at: at,
        requested_by: user.username.clone(),
        lines,
        names,
    })
}

fn reviewed(value: Value, reason: Option<ReviewReason>) -> Value {
    json!({
        "value": value,
        "review": reason.is_some(),
        "reason": reason.map(ReviewReason::code),
        "decision": null,
    })
}

fn held_json(held: &DisclosedRecord) -> Value {
    let record = &held.record;
    let content = content_json(record, &held.event_name);
    let mut fields = serde_json::Map::new();
    if let Value::Object(content) = content {
        for (key, value) in content {
            let reason = review_reason(&key, record.restricted);
            fields.insert(key, reviewed(value, reason));
        }
    }
    let notes: Vec<Value> = held
        .annotations
        .notes
        .iter()
        .map(|note| {
            reviewed(
                json!({
                    "author": note.author,
                    "written_at": note.written_at.millis(),
                    "text": note.text,
                }),
                Some(ReviewReason::Assessment),
            )
        })
        .collect();
    let ratings: Vec<Value> = held
        .annotations
        .ratings
        .iter()
        .map(|(rater, score)| {
            reviewed(
                json!({ "rater": rater, "score": score }),
                Some(ReviewReason::Assessment),
            )
        })
        .collect();
    json!({
        "state": "held",
        "id": record.doc_id,
        "restricted": record.restricted,
        "fields": fields,
        "status": reviewed(json!(held.annotations.status.as_str()), None),
        "notes": notes,
        "ratings": ratings,
    })
}

/// The export as JSON.
pub(crate) fn report_json(report: &DisclosureReport) -> Value {
    let records: Vec<Value> = report
        .lines
        .iter()
        .map(|line| match line {
            DisclosureLine::Held(held) => {
                let mut value = held_json(held);
                value["asked"] = json!(held.asked);
                value
            }
            DisclosureLine::Removed {
                asked,
                removed_at,
                rule,
            } => json!({
                "asked": asked,
                "state": "removed",
                "removed_at": removed_at,
                "rule": rule,
            }),
            DisclosureLine::NotHeld { asked } => json!({
                "asked": asked,
                "state": "not_held",
                "message": "not held (never received or removed) / finns inte (aldrig mottagen \
                            eller gallrad)",
            }),
        })
        .collect();
    let reasons: serde_json::Map<String, Value> = ReviewReason::ALL
        .iter()
        .map(|reason| {
            (
                reason.code().to_owned(),
                json!({
                    "sv": reason.text(Language::Swedish),
                    "en": reason.text(Language::English),
                }),
            )
        })
        .collect();
    json!({
        "generated_at": report.generated_at,
        "requested_by": report.requested_by,
        "notice": {
            "sv": notice(Language::Swedish),
            "en": notice(Language::English),
        },
        "decisions": {
            "sv": decisions(Language::Swedish),
            "en": decisions(Language::English),
        },
        "review_reasons": reasons,
        "records": records,
    })
}
