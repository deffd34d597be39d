//! The printable *registerutdrag* (subject-access report) in Swedish or English: a
//! standalone page with no scripts, and [`answer`], which hands the report out as a JSON file
//! or that page. The API's `?format=html` and the console's download both call it.

use axum::response::Response;
use kiosk_core::language::{Language, Localized};
use maud::{Markup, html};

use super::{html_answer, json_attachment, printable_page};
use crate::hr::dates;
use crate::hr::plural::Plural;
use crate::hr::subject_access::{Author, Format, RecordReport, SubjectAccessReport, report_json};
use crate::hr::wording::{fill, status_name};
use crate::storage::{AccessAction, AccessEntry, Accessor, HeldRecord};

/// The texts of the printable *registerutdrag*, in one language (the console's form page
/// names identifiers and counts matches with them too).
#[derive(Debug)]
pub(crate) struct Texts {
    pub(crate) kind_email: &'static str,
    pub(crate) kind_phone: &'static str,
    pub(crate) kind_receipt: &'static str,
    pub(crate) found: Plural,
    pub(crate) withheld: &'static str,
    pub(crate) doc_title: &'static str,
    pub(crate) generated: &'static str,
    pub(crate) by: &'static str,
    pub(crate) identifier: &'static str,
    pub(crate) registration: &'static str,
    pub(crate) matched_by: &'static str,
    pub(crate) event: &'static str,
    pub(crate) form_version: &'static str,
    pub(crate) language: &'static str,
    pub(crate) captured_at: &'static str,
    pub(crate) received_at: &'static str,
    pub(crate) capturing_device: &'static str,
    pub(crate) pushing_device: &'static str,
    pub(crate) receipt_code: &'static str,
    pub(crate) given_name: &'static str,
    pub(crate) family_name: &'static str,
    pub(crate) email: &'static str,
    pub(crate) phone: &'static str,
    pub(crate) interests: &'static str,
    pub(crate) locations: &'static str,
    pub(crate) education_level: &'static str,
    pub(crate) free_text: &'static str,
    pub(crate) restricted: &'static str,
    pub(crate) yes: &'static str,
    pub(crate) no: &'static str,
    pub(crate) not_given: &'static str,
    pub(crate) consents: &'static str,
    pub(crate) privacy_notice: &'static str,
    pub(crate) talent_pool: &'static str,
    pub(crate) not_opted_in: &'static str,
    pub(crate) notice_version_at: &'static str,
    pub(crate) notes: &'static str,
    pub(crate) no_notes: &'static str,
    pub(crate) col_time: &'static str,
    pub(crate) col_author: &'static str,
    pub(crate) col_text: &'static str,
    pub(crate) ratings: &'static str,
    pub(crate) no_ratings: &'static str,
    pub(crate) col_rater: &'static str,
    pub(crate) col_score: &'static str,
    pub(crate) status: &'static str,
    pub(crate) status_now: &'static str,
    pub(crate) status_history: &'static str,
    pub(crate) col_status: &'static str,
    pub(crate) access_log: &'static str,
    pub(crate) no_access: &'static str,
    pub(crate) col_action: &'static str,
    pub(crate) col_who: &'static str,
    pub(crate) retention: &'static str,
    pub(crate) retention_unknown: &'static str,
    pub(crate) retention_until: &'static str,
    pub(crate) retention_held: &'static str,
    pub(crate) talent_pool_withdrawn: &'static str,
    pub(crate) hr_user: &'static str,
    pub(crate) staff_tablet: &'static str,
    pub(crate) kiosk: &'static str,
    pub(crate) unknown_author: &'static str,
    pub(crate) tablet: &'static str,
    pub(crate) clock_note: &'static str,
}

const SV: Texts = Texts {
    kind_email: "E-postadress",
    kind_phone: "Telefonnummer",
    kind_receipt: "Kvittokod",
    found: Plural {
        one: "1 registrering hittades.",
        other: "{} registreringar hittades.",
    },
    withheld: "Registreringar med skyddade personuppgifter visas aldrig för användare utan behörighet. Om någon matchar har begäran lämnats över till användare med behörighet.",
    doc_title: "Registerutdrag",
    generated: "Framtaget",
    by: "av",
    identifier: "Sökt på",
    registration: "Registrering",
    matched_by: "Matchade på",
    event: "Evenemang",
    form_version: "Formulärversion",
    language: "Språk",
    captured_at: "Registrerad (surfplattans klocka)",
    received_at: "Mottagen av reläet",
    capturing_device: "Registrerande surfplatta",
    pushing_device: "Överförande surfplatta",
    receipt_code: "Kvittokod",
    given_name: "Förnamn",
    family_name: "Efternamn",
    email: "E-post",
    phone: "Telefon",
    interests: "Intresseområden",
    locations: "Orter",
    education_level: "Utbildningsnivå",
    free_text: "Fritext",
    restricted: "Skyddade personuppgifter",
    yes: "Ja",
    no: "Nej",
    not_given: "–",
    consents: "Samtycken och information",
    privacy_notice: "Integritetsmeddelande",
    talent_pool: "Talangpool",
    not_opted_in: "Inte valt",
    notice_version_at: "version {}",
    notes: "Anteckningar",
    no_notes: "Inga anteckningar.",
    col_time: "Tid",
    col_author: "Skribent",
    col_text: "Text",
    ratings: "Betyg",
    no_ratings: "Inga betyg.",
    col_rater: "Rekryterare",
    col_score: "Betyg (1–5)",
    status: "Status",
    status_now: "Nuvarande status",
    status_history: "Statushistorik",
    col_status: "Status",
    access_log: "Åtkomster",
    no_access: "Inga åtkomster loggade.",
    col_action: "Åtgärd",
    col_who: "Vem",
    retention: "Gallring",
    retention_unknown: "Registreringen togs bort medan utdraget gjordes.",
    retention_until: "Gallras tidigast {date} enligt {decision}.",
    retention_held: "Den får för närvarande inte gallras (spärr mot gallring, eftersom den behövs i ett ärende).",
    talent_pool_withdrawn: "Samtycket till talangpoolen återkallades {time}.",
    hr_user: "HR-användare",
    staff_tablet: "Rekryterarens surfplatta",
    kiosk: "Kiosk",
    unknown_author: "Okänd",
    tablet: "Surfplatta",
    clock_note: "Tider för ändringar är författarens klocka.",
};

const EN: Texts = Texts {
    kind_email: "Email address",
    kind_phone: "Phone number",
    kind_receipt: "Receipt code",
    found: Plural {
        one: "1 registration found.",
        other: "{} registrations found.",
    },
    withheld: "Records of visitors with protected personal data are never shown to users without the clearance. If any match, the request has been passed to the users who hold it.",
    doc_title: "Subject access report",
    generated: "Generated",
    by: "by",
    identifier: "Searched by",
    registration: "Registration",
    matched_by: "Matched by",
    event: "Event",
    form_version: "Form version",
    language: "Language",
    captured_at: "Captured (tablet's clock)",
    received_at: "Received by the relay",
    capturing_device: "Capturing tablet",
    pushing_device: "Sending tablet",
    receipt_code: "Receipt code",
    given_name: "Given name",
    family_name: "Family name",
    email: "Email",
    phone: "Phone",
    interests: "Interest areas",
    locations: "Locations",
    education_level: "Education level",
    free_text: "Free text",
    restricted: "Protected personal data",
    yes: "Yes",
    no: "No",
    not_given: "–",
    consents: "Consents and notices",
    privacy_notice: "Privacy notice",
    talent_pool: "Talent pool",
    not_opted_in: "Not chosen",
    notice_version_at: "version {}",
    notes: "Notes",
    no_notes: "No notes.",
    col_time: "Time",
    col_author: "Author",
    col_text: "Text",
    ratings: "Ratings",
    no_ratings: "No ratings.",
    col_rater: "Recruiter",
    col_score: "Score (1–5)",
    status: "Status",
    status_now: "Current status",
    status_history: "Status history",
    col_status: "Status",
    access_log: "Accesses",
    no_access: "No accesses logged.",
    col_action: "Action",
    col_who: "Who",
    retention: "Retention",
    retention_unknown: "The registration was removed while this report was made.",
    retention_until: "Removed no earlier than {date} under {decision}.",
    retention_held: "For now it must not be removed (held for a case).",
    talent_pool_withdrawn: "Talent-pool consent was withdrawn {time}.",
    hr_user: "HR user",
    staff_tablet: "Recruiter's tablet",
    kiosk: "Kiosk",
    unknown_author: "Unknown",
    tablet: "Tablet",
    clock_note: "Times of changes are the author's clock.",
};

pub(crate) fn texts(lang: Language) -> &'static Texts {
    match lang {
        Language::Swedish => &SV,
        Language::English => &EN,
    }
}

pub(crate) fn kind_label(t: &Texts, kind: &str) -> &'static str {
    match kind {
        "email" => t.kind_email,
        "phone" => t.kind_phone,
        _ => t.kind_receipt,
    }
}

/// What an access-log action is called on the printable pages.
pub(crate) fn action_label(lang: Language, action: AccessAction) -> &'static str {
    let (sv, en) = match action {
        AccessAction::Pull => ("Hämtad till surfplatta", "Pulled to a tablet"),
        AccessAction::Read => ("Läst", "Read"),
        AccessAction::Change => ("Ändrad", "Changed"),
        AccessAction::Remove => ("Gallrad", "Removed"),
        AccessAction::Export => ("Exporterad", "Exported"),
        AccessAction::ReadRefused => ("Läsning nekad", "Read refused"),
        AccessAction::List => ("Visad i lista", "Shown in a list"),
        AccessAction::SubjectAccess => ("Registerutdrag", "Subject access"),
        AccessAction::Disclosure => ("Utlämnande för sekretessprövning", "Disclosed for review"),
        AccessAction::AccountChange => ("Användares behörighet ändrad", "A user's access changed"),
    };
    match lang {
        Language::Swedish => sv,
        Language::English => en,
    }
}

fn author_text(t: &Texts, author: &Author) -> String {
    match author {
        Author::HrUser { username } => format!("{} {username}", t.hr_user),
        Author::StaffTablet { device, recruiter } => {
            format!("{} ({recruiter}, {})", t.staff_tablet, &device[..16])
        }
        Author::Kiosk { device } => format!("{} {}", t.kiosk, &device[..16]),
        Author::Unknown { actor } => format!("{} {}", t.unknown_author, actor),
    }
}

fn who_text(t: &Texts, entry: &AccessEntry) -> String {
    match &entry.accessor {
        Accessor::Operator(name) => name.clone(),
        Accessor::Device {
            device_key,
            recruiter,
        } => match recruiter {
            Some(recruiter) => format!(
                "{} {} ({recruiter})",
                t.tablet,
                hex::encode(&device_key[..8])
            ),
            None => format!("{} {}", t.tablet, hex::encode(&device_key[..8])),
        },
    }
}

fn optional(t: &Texts, value: Option<&str>) -> String {
    value.unwrap_or(t.not_given).to_owned()
}

/// The registration's content and receipt metadata as `(label, value)` rows: what both
/// printable pages show of a record, in the same order as [`content_json`]'s fields.
///
/// [`content_json`]: crate::hr::subject_access::content_json
pub(crate) fn content_rows(
    lang: Language,
    record: &HeldRecord,
    event_name: Option<&Localized>,
) -> Vec<(&'static str, &'static str, String)> {
    let t = texts(lang);
    let registration = &record.registration;
    let person = &registration.person;
    let event = match event_name {
        Some(name) => format!("{} ({})", name.get(lang), record.event_id),
        None => record.event_id.clone(),
    };
    let list = |codes: &[String]| {
        if codes.is_empty() {
            t.not_given.to_owned()
        } else {
            codes.join(", ")
        }
    };
    vec![
        ("event", t.event, event),
        ("receipt_code", t.receipt_code, record.receipt_code.clone()),
        (
            "captured_at",
            t.captured_at,
            dates::local_minutes(registration.captured_at.millis()),
        ),
        (
            "received_at",
            t.received_at,
            dates::local_minutes(record.received_at),
        ),
        (
            "capturing_device",
            t.capturing_device,
            registration.capturing_device.as_str().to_owned(),
        ),
        (
            "device_id",
            t.pushing_device,
            hex::encode(record.device_key),
        ),
        (
            "form_version",
            t.form_version,
            registration.form_version.as_str().to_owned(),
        ),
        (
            "language",
            t.language,
            registration.language.tag().to_owned(),
        ),
        ("given_name", t.given_name, person.given_name.clone()),
        ("family_name", t.family_name, person.family_name.clone()),
        ("email", t.email, optional(t, person.email.as_deref())),
        ("phone", t.phone, optional(t, person.phone.as_deref())),
        ("interests", t.interests, list(&registration.interests)),
        ("locations", t.locations, list(&registration.locations)),
        (
            "education_level",
            t.education_level,
            optional(t, registration.education_level.as_deref()),
        ),
        (
            "free_text",
            t.free_text,
            optional(t, registration.free_text.as_deref()),
        ),
        (
            "restricted",
            t.restricted,
            (if record.restricted { t.yes } else { t.no }).to_owned(),
        ),
    ]
}

/// The consents as `(label, value)` rows.
pub(crate) fn consent_rows(lang: Language, record: &HeldRecord) -> Vec<(&'static str, String)> {
    let t = texts(lang);
    let consents = &record.registration.consents;
    let notice = &consents.privacy_notice;
    let talent_pool = match &consents.talent_pool {
        Some(opt_in) => format!(
            "{}, {}, {}",
            dates::local_minutes(opt_in.at.millis()),
            fill(t.notice_version_at, opt_in.notice_version.short()),
            opt_in.language.tag()
        ),
        None => t.not_opted_in.to_owned(),
    };
    vec![
        (
            t.privacy_notice,
            format!(
                "{}, {}, {}",
                dates::local_minutes(notice.at.millis()),
                fill(t.notice_version_at, notice.notice_version.short()),
                notice.language.tag()
            ),
        ),
        (t.talent_pool, talent_pool),
    ]
}

fn record_section(lang: Language, index: usize, r: &RecordReport) -> Markup {
    let t = texts(lang);
    let annotations = &r.annotations;
    let event = r
        .event_name
        .as_ref()
        .map_or(r.record.event_id.as_str(), |name| name.get(lang));
    let matched: Vec<&str> = r
        .matched_by
        .iter()
        .map(|m| kind_label(t, m.as_str()))
        .collect();
    let status_label = |status| status_name(lang, status);
    html! {
        section.record {
            h2 { (t.registration) " " (index + 1) ": " (event) ", "
                (dates::local_minutes(r.record.registration.captured_at.millis())) }
            p { (t.matched_by) ": " (matched.join(", ")) }
            dl.fields {
                @for (_, label, value) in content_rows(lang, &r.record, r.event_name.as_ref()) {
                    dt { (label) } dd { (value) }
                }
            }
            h3 { (t.consents) }
            dl.fields {
                @for (label, value) in consent_rows(lang, &r.record) {
                    dt { (label) } dd { (value) }
                }
            }
            h3 { (t.status) }
            p { (t.status_now) ": " strong {
                (status_name(lang, annotations.status))
            } }
            table {
                caption { (t.status_history) }
                thead { tr { th scope="col" { (t.col_time) } th scope="col" { (t.col_status) } th scope="col" { (t.col_author) } } }
                tbody {
                    @for change in &r.status_history {
                        tr {
                            td { (dates::local_minutes(change.at)) }
                            td { (status_label(change.status)) }
                            td { (author_text(t, &change.author)) }
                        }
                    }
                }
            }
            p { small { (t.clock_note) } }
            h3 { (t.notes) }
            @if annotations.notes.is_empty() {
                p { (t.no_notes) }
            } @else {
                table {
                    thead { tr { th scope="col" { (t.col_time) } th scope="col" { (t.col_author) } th scope="col" { (t.col_text) } } }
                    tbody {
                        @for note in &annotations.notes {
                            tr {
                                td { (dates::local_minutes(note.written_at.millis())) }
                                td { (note.author) }
                                td { (note.text) }
                            }
                        }
                    }
                }
            }
            h3 { (t.ratings) }
            @if annotations.ratings.is_empty() {
                p { (t.no_ratings) }
            } @else {
                table {
                    thead { tr { th scope="col" { (t.col_rater) } th scope="col" { (t.col_score) } } }
                    tbody {
                        @for (rater, score) in &annotations.ratings {
                            tr { td { (rater) } td { (score) } }
                        }
                    }
                }
            }
            h3 { (t.retention) }
            @if let Some(retention) = &r.retention {
                p {
                    (t.retention_until.replacen("{date}", &dates::local_date(retention.due_at), 1)
                        .replacen("{decision}", &retention.rule.decision, 1))
                }
                @if retention.legal_hold.is_some() {
                    p { (t.retention_held) }
                }
                @if let Some(at) = retention.talent_pool_withdrawn_at {
                    p { (t.talent_pool_withdrawn.replacen("{time}", &dates::local_minutes(at), 1)) }
                }
            } @else {
                p { (t.retention_unknown) }
            }
            h3 { (t.access_log) }
            @if r.record.access.is_empty() {
                p { (t.no_access) }
            } @else {
                table {
                    thead { tr { th scope="col" { (t.col_time) } th scope="col" { (t.col_who) } th scope="col" { (t.col_action) } } }
                    tbody {
                        @for (_, entry) in &r.record.access {
                            tr {
                                td { (dates::local_minutes(entry.at)) }
                                td { (who_text(t, entry)) }
                                td { (action_label(lang, entry.action)) }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// The printable *registerutdrag* in `lang`: a standalone page, no scripts.
pub(crate) fn printable(report: &SubjectAccessReport, lang: Language) -> Markup {
    let t = texts(lang);
    printable_page(
        lang,
        t.doc_title,
        html! {
            p {
                (t.generated) " " (dates::local_minutes(report.generated_at)) " "
                (t.by) " " (report.requested_by) ". "
                (t.identifier) ": " (kind_label(t, report.identifier_kind)) "."
            }
            p { (found_text(t, report.records.len())) }
            @if report.uncleared {
                p.notice { (t.withheld) }
            }
            @for (index, record) in report.records.iter().enumerate() {
                (record_section(lang, index, record))
            }
        },
    )
}

/// "1 registrering hittades." or "{n} registreringar hittades.".
pub(crate) fn found_text(t: &Texts, count: usize) -> String {
    t.found.of(count)
}

/// The answer in `format` (the printable page in `lang`).
pub(crate) fn answer(report: &SubjectAccessReport, format: Format, lang: Language) -> Response {
    match format {
        Format::Json => {
            json_attachment("registerutdrag", &report_json(report), report.generated_at)
        }
        Format::Html => html_answer(printable(report, lang)),
    }
}
