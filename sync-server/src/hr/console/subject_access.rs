//! `/console/subject-access` (archivists): a subject-access request (*registerutdrag*) from
//! the console. The form asks for the kind of identifier and its value; posting it shows a
//! summary of what matched (each record given is logged, as through the API), with buttons
//! that post the same identifier again for the JSON file or the printable page
//! (`POST /console/subject-access/download`). Every step is a POST, because the identifier
//! is personal data and must not end up in an address, a browser history or a server log.
//!
//! The printable page itself ([`printable`]) is shared with the API's `?format=html`: a
//! standalone HTML page with no scripts, styled for paper ([`PRINT_CSS`], inline and also at
//! `/console/print.css`, since the console's content policy refuses inline styles).

use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use kiosk_core::language::{Language, Localized};
use maud::{DOCTYPE, Markup, PreEscaped, html};
use serde::Deserialize;

use super::layout::{Field, FieldError, Nav, error_of, error_summary, notice, select};
use super::texts::{fill, status_name};
use super::{Console, ConsoleForm, html_page, time};
use crate::blocking::blocking;
use crate::error::AppError;
use crate::hr::accounts::Role;
use crate::hr::subject_access::{
    Author, Format, RecordReport, SubjectAccessError, SubjectAccessReport, answer,
    find_for_subject, lookup_of,
};
use crate::state::AppState;
use crate::storage::{AccessAction, AccessEntry, Accessor, HeldRecord};

const SUBJECT_ACCESS: &str = "/console/subject-access";
const DOWNLOAD: &str = "/console/subject-access/download";

/// The printable pages' stylesheet: plain, black on white, each record from a new page.
pub(crate) const PRINT_CSS: &str = "\
body { font-family: Georgia, 'Times New Roman', serif; color: #000; background: #fff; \
max-width: 50rem; margin: 2rem auto; padding: 0 1rem; line-height: 1.4; }
h1 { font-size: 1.6rem; } h2 { font-size: 1.3rem; border-bottom: 1px solid #000; margin-top: 2rem; }
h3 { font-size: 1.05rem; margin-bottom: .25rem; }
table { border-collapse: collapse; width: 100%; margin: .25rem 0 1rem; }
th, td { border: 1px solid #444; padding: .25rem .4rem; text-align: left; vertical-align: top; }
dl.fields { display: grid; grid-template-columns: 15rem 1fr; gap: .2rem .8rem; }
dl.fields dt { font-weight: bold; } dl.fields dd { margin: 0; white-space: pre-wrap; }
.notice { border: 2px solid #000; padding: .5rem 1rem; margin: 1rem 0; }
.review { font-weight: bold; }
.box { display: inline-block; width: .9rem; height: .9rem; border: 1px solid #000; }
.code { font-family: 'Courier New', monospace; overflow-wrap: anywhere; }
@media print {
  body { margin: 0; max-width: none; font-size: 10.5pt; }
  section.record { break-before: page; }
  h2, h3 { break-after: avoid; } tr, dl.fields { break-inside: avoid; }
}
";

/// Serves [`PRINT_CSS`] for printable pages opened from the console.
pub(crate) async fn stylesheet() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "max-age=3600"),
        ],
        PRINT_CSS,
    )
        .into_response()
}

/// A standalone printable page in `lang` (no scripts): its head with both ways to its
/// stylesheet, and `content` under the `title` heading.
pub(crate) fn printable_page(lang: Language, title: &str, content: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang=(lang.tag()) {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                meta name="robots" content="noindex";
                title { (title) }
                style { (PreEscaped(PRINT_CSS)) }
                link rel="stylesheet" href="/console/print.css";
            }
            body {
                main {
                    h1 { (title) }
                    (content)
                }
            }
        }
    }
}

/// The texts of the form page and the printable page, in one language.
#[derive(Debug)]
pub(crate) struct Texts {
    pub title: &'static str,
    intro: &'static str,
    logged_note: &'static str,
    kind: &'static str,
    kind_email: &'static str,
    kind_phone: &'static str,
    kind_receipt: &'static str,
    value: &'static str,
    value_hint: &'static str,
    search: &'static str,
    no_match: &'static str,
    found: &'static str,
    found_one: &'static str,
    withheld: &'static str,
    download_json: &'static str,
    open_printable: &'static str,
    caption: &'static str,
    bad_value: &'static str,
    bad_kind: &'static str,
    // The printable page.
    doc_title: &'static str,
    generated: &'static str,
    by: &'static str,
    identifier: &'static str,
    registration: &'static str,
    matched_by: &'static str,
    pub event: &'static str,
    pub form_version: &'static str,
    pub language: &'static str,
    pub captured_at: &'static str,
    pub received_at: &'static str,
    pub capturing_device: &'static str,
    pub pushing_device: &'static str,
    pub receipt_code: &'static str,
    pub given_name: &'static str,
    pub family_name: &'static str,
    pub email: &'static str,
    pub phone: &'static str,
    pub interests: &'static str,
    pub locations: &'static str,
    pub education_level: &'static str,
    pub free_text: &'static str,
    pub restricted: &'static str,
    pub yes: &'static str,
    pub no: &'static str,
    pub not_given: &'static str,
    consents: &'static str,
    privacy_notice: &'static str,
    talent_pool: &'static str,
    not_opted_in: &'static str,
    notice_version_at: &'static str,
    notes: &'static str,
    no_notes: &'static str,
    col_time: &'static str,
    col_author: &'static str,
    col_text: &'static str,
    ratings: &'static str,
    no_ratings: &'static str,
    col_rater: &'static str,
    col_score: &'static str,
    status: &'static str,
    status_now: &'static str,
    status_history: &'static str,
    col_status: &'static str,
    access_log: &'static str,
    no_access: &'static str,
    col_action: &'static str,
    col_who: &'static str,
    retention: &'static str,
    retention_unknown: &'static str,
    retention_until: &'static str,
    retention_held: &'static str,
    talent_pool_withdrawn: &'static str,
    hr_user: &'static str,
    staff_tablet: &'static str,
    kiosk: &'static str,
    unknown_author: &'static str,
    tablet: &'static str,
    clock_note: &'static str,
}

const SV: Texts = Texts {
    title: "Registerutdrag",
    intro: "Sök fram allt som reläet har om en person, för ett registerutdrag. Ange en uppgift: e-postadress, telefonnummer eller kvittokod. Uppgiften skickas bara i formulär och hamnar aldrig i en adress eller logg.",
    logged_note: "Varje registrering som lämnas i utdraget skrivs i åtkomstloggen.",
    kind: "Uppgift",
    kind_email: "E-postadress",
    kind_phone: "Telefonnummer",
    kind_receipt: "Kvittokod",
    value: "Värde",
    value_hint: "Exakt som personen uppgav den; stora och små bokstäver spelar ingen roll.",
    search: "Sök",
    no_match: "Inget som reläet har matchar uppgiften. Registreringar som har gallrats går inte längre att hitta.",
    found: "{} registreringar hittades.",
    found_one: "1 registrering hittades.",
    withheld: "Registreringar med skyddade personuppgifter visas aldrig för användare utan behörighet. Om någon matchar har begäran lämnats över till användare med behörighet.",
    download_json: "Hämta JSON-fil",
    open_printable: "Öppna utskriftsvänlig sida",
    caption: "Registreringar som matchade",
    bad_value: "Uppgiften har fel form för sitt slag: {}",
    bad_kind: "Välj ett av alternativen.",
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
    privacy_notice: "Integritetsinformation",
    talent_pool: "Talangpool",
    not_opted_in: "Inte valt",
    notice_version_at: "version {}",
    notes: "Anteckningar",
    no_notes: "Inga anteckningar.",
    col_time: "Tid",
    col_author: "Skribent",
    col_text: "Text",
    ratings: "Bedömningar",
    no_ratings: "Inga bedömningar.",
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
    retention_held: "Den får för närvarande inte gallras (bevarandebeslut i ett ärende).",
    talent_pool_withdrawn: "Samtycket till talangpoolen återkallades {time}.",
    hr_user: "HR-användare",
    staff_tablet: "Rekryterarens surfplatta",
    kiosk: "Kiosk",
    unknown_author: "Okänd",
    tablet: "Surfplatta",
    clock_note: "Tider för ändringar är författarens klocka.",
};

const EN: Texts = Texts {
    title: "Subject access",
    intro: "Find everything the relay holds about a person, for a subject-access request. Give one identifier: email address, phone number or receipt code. It is only ever sent in forms, never in an address or a log.",
    logged_note: "Every registration given in the answer is written to the access log.",
    kind: "Identifier",
    kind_email: "Email address",
    kind_phone: "Phone number",
    kind_receipt: "Receipt code",
    value: "Value",
    value_hint: "As the person gave it; upper and lower case do not matter.",
    search: "Search",
    no_match: "Nothing the relay holds matches this identifier. Records removed under a retention rule can no longer be found.",
    found: "{} registrations found.",
    found_one: "1 registration found.",
    withheld: "Records of visitors with protected personal data are never shown to users without the clearance. If any match, the request has been passed to the users who hold it.",
    download_json: "Download JSON file",
    open_printable: "Open printable page",
    caption: "Registrations that matched",
    bad_value: "The value does not have the form of its kind: {}",
    bad_kind: "Choose one of the options.",
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

fn kind_label(t: &Texts, kind: &str) -> &'static str {
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
            time::local_minutes(registration.captured_at.millis()),
        ),
        (
            "received_at",
            t.received_at,
            time::local_minutes(record.received_at),
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
            time::local_minutes(opt_in.at.millis()),
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
                time::local_minutes(notice.at.millis()),
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
                (time::local_minutes(r.record.registration.captured_at.millis())) }
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
                            td { (time::local_minutes(change.at)) }
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
                                td { (time::local_minutes(note.written_at.millis())) }
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
                    (t.retention_until.replacen("{date}", &time::local_date(retention.due_at), 1)
                        .replacen("{decision}", &retention.rule.decision, 1))
                }
                @if retention.legal_hold.is_some() {
                    p { (t.retention_held) }
                }
                @if let Some(at) = retention.talent_pool_withdrawn_at {
                    p { (t.talent_pool_withdrawn.replacen("{time}", &time::local_minutes(at), 1)) }
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
                                td { (time::local_minutes(entry.at)) }
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
                (t.generated) " " (time::local_minutes(report.generated_at)) " "
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

/// The form's fields: the identifier's kind and value, and for a download the format.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct SubjectForm {
    #[serde(default)]
    kind: String,
    #[serde(default)]
    value: String,
    #[serde(default)]
    format: String,
}

fn form(console: &Console, chosen: &SubjectForm, errors: &[FieldError]) -> Markup {
    let lang = console.lang;
    let t = texts(lang);
    let kinds = [
        ("email", t.kind_email),
        ("phone", t.kind_phone),
        ("receipt_code", t.kind_receipt),
    ];
    html! {
        form method="post" action=(SUBJECT_ACCESS) {
            input type="hidden" name="csrf_token" value=(console.signed.csrf);
            (select(lang, "kind", t.kind, &kinds, &chosen.kind, error_of(errors, "kind")))
            (Field {
                value: &chosen.value,
                hint: Some(t.value_hint),
                error: error_of(errors, "value"),
                autocomplete: Some("off"),
                required: true,
                ..Field::new("value", t.value, "text")
            }.render(lang))
            div.actions { button.button type="submit" { (t.search) } }
        }
    }
}

fn render(
    console: &Console,
    uri: &Uri,
    status: StatusCode,
    chosen: &SubjectForm,
    errors: &[FieldError],
    outcome: Markup,
) -> Response {
    let t = texts(console.lang);
    let page = console
        .page(t.title, uri, Nav::SubjectAccess, !errors.is_empty())
        .render(html! {
            (error_summary(console.lang, errors))
            p { (t.intro) }
            p { (t.logged_note) }
            (form(console, chosen, errors))
            (outcome)
        });
    html_page(status, page)
}

/// The empty form.
pub(crate) async fn page(console: Console, uri: Uri) -> Response {
    if let Err(error) = console.caller.require(Role::Archivist) {
        return console.refuse(error, &uri).into_response();
    }
    render(
        &console,
        &uri,
        StatusCode::OK,
        &SubjectForm::default(),
        &[],
        html! {},
    )
}

/// The request's report, or the page to answer with instead (the form with its error, or
/// the notice that nothing matched).
async fn run(
    state: &AppState,
    console: &Console,
    uri: &Uri,
    chosen: &SubjectForm,
) -> Result<SubjectAccessReport, Response> {
    if let Err(error) = console.caller.require(Role::Archivist) {
        return Err(console.refuse(error, uri).into_response());
    }
    let t = texts(console.lang);
    let lookup = match lookup_of(&chosen.kind, &chosen.value) {
        Ok(lookup) => lookup,
        Err(AppError::InvalidField { field: "kind", .. }) => {
            let errors = [FieldError::on("kind", t.bad_kind)];
            return Err(render(
                console,
                uri,
                StatusCode::UNPROCESSABLE_ENTITY,
                chosen,
                &errors,
                html! {},
            ));
        }
        Err(_) => {
            let errors = [FieldError::on(
                "value",
                fill(t.bad_value, kind_label(t, &chosen.kind)),
            )];
            return Err(render(
                console,
                uri,
                StatusCode::UNPROCESSABLE_ENTITY,
                chosen,
                &errors,
                html! {},
            ));
        }
    };
    let store = state.store.clone();
    let user = console.caller.user.clone();
    let found = blocking(move || find_for_subject(store.as_ref(), &user, &lookup)).await;
    match found {
        Ok(Ok(report)) => Ok(report),
        Ok(Err(SubjectAccessError::NoMatch)) => Err(render(
            console,
            uri,
            StatusCode::NOT_FOUND,
            chosen,
            &[],
            notice(t.no_match),
        )),
        Ok(Err(SubjectAccessError::App(error))) | Err(error) => {
            Err(console.refuse(error, uri).into_response())
        }
    }
}

/// The summary of what matched, with the buttons for the file and the printable page.
pub(crate) async fn submit(
    State(state): State<AppState>,
    uri: Uri,
    ConsoleForm { console, form }: ConsoleForm<SubjectForm>,
) -> Response {
    let report = match run(&state, &console, &uri, &form).await {
        Ok(report) => report,
        Err(page) => return page,
    };
    let lang = console.lang;
    let t = texts(lang);
    let download = |format: &str, label: &str| {
        html! {
            form.inline method="post" action=(DOWNLOAD) {
                input type="hidden" name="csrf_token" value=(console.signed.csrf);
                input type="hidden" name="kind" value=(form.kind);
                input type="hidden" name="value" value=(form.value);
                input type="hidden" name="format" value=(format);
                button.button type="submit" { (label) }
            }
        }
    };
    let outcome = html! {
        h2 { (t.caption) }
        (notice(&found_text(t, report.records.len())))
        @if report.uncleared {
            p.notice { (t.withheld) }
        }
        @if !report.records.is_empty() {
            table {
                caption { (t.caption) }
                thead { tr {
                    th scope="col" { (t.event) }
                    th scope="col" { (t.captured_at) }
                    th scope="col" { (t.receipt_code) }
                    th scope="col" { (t.status_now) }
                    th scope="col" { (t.matched_by) }
                } }
                tbody {
                    @for r in &report.records {
                        tr {
                            td { (r.event_name.as_ref().map_or(r.record.event_id.as_str(), |n| n.get(lang))) }
                            td { (time::local_minutes(r.record.registration.captured_at.millis())) }
                            td.code { (r.record.receipt_code) }
                            td { (status_name(lang, r.annotations.status)) }
                            td { (r.matched_by.iter().map(|m| kind_label(t, m.as_str())).collect::<Vec<_>>().join(", ")) }
                        }
                    }
                }
            }
            div.actions {
                (download("json", t.download_json))
                (download("html", t.open_printable))
            }
        }
    };
    render(&console, &uri, StatusCode::OK, &form, &[], outcome)
}

/// The JSON file or the printable page for the identifier posted again.
pub(crate) async fn download(
    State(state): State<AppState>,
    uri: Uri,
    ConsoleForm { console, form }: ConsoleForm<SubjectForm>,
) -> Response {
    let format = match form.format.as_str() {
        "html" => Format::Html,
        _ => Format::Json,
    };
    match run(&state, &console, &uri, &form).await {
        Ok(report) => {
            let mut response = answer(&report, format, console.lang);
            // The page is opened from the console: keep it out of frames like every page.
            response
                .headers_mut()
                .insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
            response
        }
        Err(page) => page,
    }
}

/// "1 registrering hittades." or "{n} registreringar hittades.".
fn found_text(t: &Texts, count: usize) -> String {
    if count == 1 {
        t.found_one.to_owned()
    } else {
        fill(t.found, count)
    }
}
