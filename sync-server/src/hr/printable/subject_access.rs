//! The printable *registerutdrag* (subject-access report) in Swedish or English: a
//! standalone page with no scripts, and [`answer`], which hands the report out as a JSON file
//! or that page. The API's `?format=html` and the console's download both call it.
//!
//! It is a document for the citizen: answers by their labels ([`crate::hr::labels`]),
//! languages as words, tablets by the names HR gave them and staff by their roles
//! ([`crate::hr::handler_names`]), the access history summarised per day, who and what, and
//! what GDPR Art. 15 requires it to say ([`super::rights`]). The JSON keeps the codes.

use axum::response::Response;
use kiosk_core::event::Event;
use kiosk_core::language::Language;
use maud::{Markup, html};

use super::{html_answer, json_attachment, printable_page};
use crate::hr::dates;
use crate::hr::handler_names::HandlerNames;
use crate::hr::labels::{answer_labels, language_word};
use crate::hr::plural::Plural;
use crate::hr::subject_access::{Author, Format, RecordReport, SubjectAccessReport, report_json};
use crate::hr::wording::{fill, status_name};
use crate::storage::{AccessAction, HeldRecord};

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
    pub(crate) staff_tablet: &'static str,
    pub(crate) kiosk: &'static str,
    pub(crate) unknown_author: &'static str,
    pub(crate) clock_note: &'static str,
    pub(crate) intro: &'static str,
    pub(crate) retention_rule: &'static str,
    pub(crate) month: &'static str,
    pub(crate) months: &'static str,
    pub(crate) access_summary: &'static str,
    pub(crate) col_day: &'static str,
    pub(crate) col_count: &'static str,
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
    col_author: "Av",
    col_text: "Text",
    ratings: "Betyg",
    no_ratings: "Inga betyg.",
    col_rater: "Rekryterare",
    col_score: "Betyg (1–5)",
    status: "Status",
    status_now: "Nuvarande status",
    status_history: "Statushistorik",
    col_status: "Status",
    access_log: "Åtkomster och ändringar",
    no_access: "Inga åtkomster loggade.",
    col_action: "Åtgärd",
    col_who: "Vem",
    retention: "Gallring",
    retention_unknown: "Registreringen togs bort medan utdraget gjordes.",
    retention_until: "Den gallras (raderas) tidigast {date}.",
    retention_held: "Registreringen har just nu en spärr mot gallring eftersom den behövs i ett ärende. Den gallras inte förrän spärren hävs.",
    talent_pool_withdrawn: "Samtycket till talangpoolen återkallades {time}.",
    staff_tablet: "Rekryterarens surfplatta",
    kiosk: "Kiosk",
    unknown_author: "Okänd",
    clock_note: "Tiderna för ändringar kommer från klockan på den enhet där ändringen gjordes.",
    intro: "Det här är ett registerutdrag enligt artikel 15 i EU:s dataskyddsförordning (GDPR). Det visar alla uppgifter som myndigheten har om dig i systemet för intresseanmälningar, vad vi gör med dem och vilka rättigheter du har.",
    retention_rule: "Registreringen sparas i {months} från att myndigheten tog emot den, enligt gallringsbeslut {decision}.",
    month: "1 månad",
    months: "{} månader",
    access_summary: "Vem som har tagit del av eller ändrat registreringen, sammanfattat per dag",
    col_day: "Dag",
    col_count: "Antal gånger",
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
    col_author: "By",
    col_text: "Text",
    ratings: "Ratings",
    no_ratings: "No ratings.",
    col_rater: "Recruiter",
    col_score: "Score (1–5)",
    status: "Status",
    status_now: "Current status",
    status_history: "Status history",
    col_status: "Status",
    access_log: "Access and changes",
    no_access: "No accesses logged.",
    col_action: "Action",
    col_who: "Who",
    retention: "Retention",
    retention_unknown: "The registration was removed while this report was made.",
    retention_until: "It is removed (erased) no earlier than {date}.",
    retention_held: "The registration is currently held from removal because it is needed in a case. It is not removed until the hold is lifted.",
    talent_pool_withdrawn: "Talent-pool consent was withdrawn {time}.",
    staff_tablet: "Recruiter's tablet",
    kiosk: "Kiosk",
    unknown_author: "Unknown",
    clock_note: "The times of changes come from the clock of the device where the change was made.",
    intro: "This is a copy of your personal data under Article 15 of the EU General Data Protection Regulation (GDPR). It shows all the data the agency holds about you in its system for expressions of interest, what we do with it, and what your rights are.",
    retention_rule: "The registration is kept for {months} from when the agency received it, under retention decision {decision}.",
    month: "1 month",
    months: "{} months",
    access_summary: "Who has seen or changed the registration, summarised per day",
    col_day: "Day",
    col_count: "Times",
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
        AccessAction::AccessRequested => ("Registerutdrag begärt", "Subject access requested"),
        AccessAction::CorrectionRequested => ("Rättelse begärd", "Correction requested"),
    };
    match lang {
        Language::Swedish => sv,
        Language::English => en,
    }
}

/// Who made a change, in words: staff by role, tablets by name.
fn author_text(t: &Texts, lang: Language, names: &HandlerNames, author: &Author) -> String {
    match author {
        Author::HrUser { username } => names.operator(lang, &format!("hr:{username}")),
        Author::StaffTablet { device, .. } => {
            format!("{} {}", t.staff_tablet, names.tablet_hex(device))
        }
        // A named kiosk by its name alone ("Kiosk 1, Göteborg", not "Kiosk Kiosk 1, …").
        Author::Kiosk { device } if names.is_named_hex(device) => names.tablet_hex(device),
        Author::Kiosk { device } => format!("{} {}", t.kiosk, names.tablet_hex(device)),
        Author::Unknown { .. } => t.unknown_author.to_owned(),
    }
}

fn optional(t: &Texts, value: Option<&str>) -> String {
    value.unwrap_or(t.not_given).to_owned()
}

/// The registration's content and receipt metadata as `(key, label, value)` rows: what
/// both printable pages show of a record, in the same order as [`content_json`]'s fields,
/// in words (labels from `event`, tablets by `names`).
///
/// [`content_json`]: crate::hr::subject_access::content_json
pub(crate) fn content_rows(
    lang: Language,
    record: &HeldRecord,
    event: Option<&Event>,
    names: &HandlerNames,
) -> Vec<(&'static str, &'static str, String)> {
    let t = texts(lang);
    let registration = &record.registration;
    let person = &registration.person;
    let labels = answer_labels(event, registration, lang);
    let list = |labels: &[String]| {
        if labels.is_empty() {
            t.not_given.to_owned()
        } else {
            labels.join(", ")
        }
    };
    vec![
        ("event", t.event, labels.event.clone()),
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
            names.tablet_hex(registration.capturing_device.as_str()),
        ),
        (
            "device_id",
            t.pushing_device,
            names.tablet(&record.device_key),
        ),
        (
            "form_version",
            t.form_version,
            registration.form_version.short().to_owned(),
        ),
        (
            "language",
            t.language,
            language_word(registration.language, lang).to_owned(),
        ),
        ("given_name", t.given_name, person.given_name.clone()),
        ("family_name", t.family_name, person.family_name.clone()),
        ("email", t.email, optional(t, person.email.as_deref())),
        ("phone", t.phone, optional(t, person.phone.as_deref())),
        ("interests", t.interests, list(&labels.interests)),
        ("locations", t.locations, list(&labels.locations)),
        (
            "education_level",
            t.education_level,
            optional(t, labels.education_level.as_deref()),
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
            language_word(opt_in.language, lang)
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
                language_word(notice.language, lang)
            ),
        ),
        (t.talent_pool, talent_pool),
    ]
}

/// "1 månad" or "{n} månader".
fn months_text(t: &Texts, months: u16) -> String {
    if months == 1 {
        t.month.to_owned()
    } else {
        fill(t.months, months)
    }
}

/// One row of the access history: a day, who and what, and how many times.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct AccessSummaryRow {
    day: String,
    who: String,
    action: &'static str,
}

/// The record's access-log entries summarised: one row per local day, who (in words) and
/// action, with how many entries it stands for, oldest day first. A list page that showed
/// the record 40 times in a day is one row, not 40.
fn access_summary(
    lang: Language,
    names: &HandlerNames,
    record: &HeldRecord,
) -> Vec<(AccessSummaryRow, usize)> {
    let mut rows: std::collections::BTreeMap<AccessSummaryRow, usize> =
        std::collections::BTreeMap::new();
    for (_, entry) in &record.access {
        let row = AccessSummaryRow {
            day: dates::local_date(entry.at),
            who: names.accessor(lang, &entry.accessor),
            action: action_label(lang, entry.action),
        };
        *rows.entry(row).or_default() += 1;
    }
    rows.into_iter().collect()
}

fn record_section(lang: Language, index: usize, r: &RecordReport, names: &HandlerNames) -> Markup {
    let t = texts(lang);
    let annotations = &r.annotations;
    let event = answer_labels(r.event.as_ref(), &r.record.registration, lang).event;
    let matched: Vec<&str> = r
        .matched_by
        .iter()
        .map(|m| kind_label(t, m.as_str()))
        .collect();
    let status_label = |status| status_name(lang, status);
    let staff = |username: &str| names.operator(lang, &format!("hr:{username}"));
    html! {
        section.record {
            h2 { (t.registration) " " (index + 1) ": " (event) ", "
                (dates::local_minutes(r.record.registration.captured_at.millis())) }
            p { (t.matched_by) ": " (matched.join(", ")) }
            dl.fields {
                @for (_, label, value) in content_rows(lang, &r.record, r.event.as_ref(), names) {
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
                            td { (author_text(t, lang, names, &change.author)) }
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
                                td { (staff(&note.author)) }
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
                            tr { td { (staff(rater)) } td { (score) } }
                        }
                    }
                }
            }
            h3 { (t.retention) }
            @if let Some(retention) = &r.retention {
                p {
                    (t.retention_rule.replacen("{months}", &months_text(t, retention.rule.months), 1)
                        .replacen("{decision}", &retention.rule.decision, 1))
                    " "
                    (t.retention_until.replacen("{date}", &dates::local_date(retention.due_at), 1))
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
                    caption { (t.access_summary) }
                    thead { tr {
                        th scope="col" { (t.col_day) }
                        th scope="col" { (t.col_who) }
                        th scope="col" { (t.col_action) }
                        th scope="col" { (t.col_count) }
                    } }
                    tbody {
                        @for (row, count) in access_summary(lang, names, &r.record) {
                            tr {
                                td { (row.day) }
                                td { (row.who) }
                                td { (row.action) }
                                td { (count) }
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
            p { (t.intro) }
            p {
                (t.generated) " " (dates::local_minutes(report.generated_at)) ". "
                (t.identifier) ": " (kind_label(t, report.identifier_kind)) "."
            }
            p { (found_text(t, report.records.len())) }
            @if report.uncleared {
                p.notice { (t.withheld) }
            }
            (super::rights::section(lang))
            @for (index, record) in report.records.iter().enumerate() {
                (record_section(lang, index, record, &report.names))
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
