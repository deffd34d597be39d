//! Bulk exports of registrations for archivists, as the JSON API's
//! `GET /api/v1/registrations/export?format=csv|json&lang=sv|en` ([`crate::hr::export_api`])
//! sends them, with the list's filters (not `limit` or `after`: an export takes every
//! matching record). Restricted records are never exported, whatever the caller's
//! clearance, and every exported record is an `export` entry in the access log.
//!
//! The answer is streamed with bounded memory: a blocking task reads
//! [`EXPORT_BATCH`] records at a time (keyset paging on `(captured_at, doc_id)` through the
//! registration index, newest first, each page and its access-log entries in one
//! transaction), decodes each document for the full record, and sends the encoded page
//! through a channel of [`CHANNEL_PAGES`] pages into the response body. Nothing holds all
//! rows. A failure before the first page is an ordinary error answer; a failure later
//! aborts the connection, so a cut-off export never looks complete. The reading task
//! ([`produce`]) returns [`HrError`]s; the handler answers the first through
//! [`crate::hr::answer`], and logs a later one where it cuts the answer off.
//!
//! CSV is written for Excel with Swedish regional settings: UTF-8 with a byte-order mark
//! (without it Excel reads UTF-8 as Windows-1252 and mangles å, ä and ö), `;` between cells
//! (the list separator there, since `,` is the decimal comma), CRLF line ends, and cells
//! quoted as RFC 4180 when they hold `;`, `"`, CR or LF. The header row and every cell a
//! person reads are in the chosen language (`lang`, default `sv`): the event's name, the
//! labels of interest areas, locations and education level (from the form version each
//! registration cites, [`crate::hr::labels`]), talent pool, status, and the visitor's
//! language as a word. The codes follow in columns of their own at the end of the row
//! (`evenemang_id`, `intresseomraden_koder`, …), for machines. A cell that begins
//! with `=`, `+`, `-`, `@`, tab or CR gets a leading `'`, so a spreadsheet shows it as text
//! instead of running it as a formula (CSV injection); E.164 phone numbers (`+46…`) get it
//! too. JSON is one array of objects with the same fields under stable English keys, codes
//! rather than labels, and no byte-order mark.

use std::sync::Arc;

use axum::body::Bytes;
use kiosk_core::annotations::RecordStatus;
use kiosk_core::documents::RegistrationDocument;
use kiosk_core::language::Language;
use kiosk_core::registration::Registration;
use serde_json::json;
use tokio::sync::mpsc;

use crate::hr::caller::Caller;
use crate::hr::error::{HrError, StorageContext};
use crate::hr::labels::{EventCache, language_word};
use crate::state::now_ms;
use crate::storage::{Accessor, ExportedRegistration, RegistrationFilter, RelayStore};

/// Records read, logged and encoded per page.
pub const EXPORT_BATCH: u32 = 500;
/// Encoded pages waiting for a slow client at most; the reader waits beyond that.
pub const CHANNEL_PAGES: usize = 2;

/// What the export is written as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Format {
    Csv,
    Json,
}

impl Format {
    pub(crate) fn content_type(self) -> &'static str {
        match self {
            Format::Csv => "text/csv; charset=utf-8",
            Format::Json => "application/json",
        }
    }

    pub(crate) fn extension(self) -> &'static str {
        match self {
            Format::Csv => "csv",
            Format::Json => "json",
        }
    }
}

/// Reads, logs and encodes the export page by page into `sender`, until the last page, an
/// error (sent on), or a client that went away.
pub(crate) fn produce(
    store: Arc<dyn RelayStore>,
    caller: &Caller,
    mut filter: RegistrationFilter,
    accessor: &Accessor,
    format: Format,
    language: Language,
    sender: &mpsc::Sender<Result<Bytes, HrError>>,
) {
    let mut encoder = Encoder::new(format, language);
    let mut events = EventCache::new(store.as_ref());
    loop {
        // An export can stream for minutes: before each page, the caller must still hold
        // their credential and the role, or the answer is cut off here (a disabled
        // archivist's export does not run on to the end).
        let page = match caller
            .still_may(
                store.as_ref(),
                crate::hr::policy::require_exporter,
                now_ms(),
            )
            .and_then(|()| {
                store
                    .export_registrations(&filter, accessor, now_ms())
                    .context("reading and logging a page of an export")
            }) {
            Ok(page) => page,
            Err(e) => {
                if encoder.started {
                    tracing::error!(error = %e, "an export failed part-way; the answer is cut off");
                }
                let _ = sender.blocking_send(Err(e));
                return;
            }
        };
        let mut chunk = Vec::with_capacity(page.records.len() * 256 + 256);
        encoder.begin(&mut chunk);
        for record in &page.records {
            encoder.record(record, &mut events, &mut chunk);
        }
        let last = page.next.is_none();
        if last {
            encoder.end(&mut chunk);
        }
        if sender.blocking_send(Ok(Bytes::from(chunk))).is_err() {
            // The client went away; what was read is logged as exported all the same.
            return;
        }
        match page.next {
            Some(next) => filter.after = Some(next),
            None => return,
        }
    }
}

/// Writes records in one format, keeping what it needs between pages.
#[derive(Debug)]
struct Encoder {
    format: Format,
    language: Language,
    started: bool,
    records: u64,
}

impl Encoder {
    fn new(format: Format, language: Language) -> Encoder {
        Encoder {
            format,
            language,
            started: false,
            records: 0,
        }
    }

    /// The byte-order mark and header row, or the array's opening, once.
    fn begin(&mut self, out: &mut Vec<u8>) {
        if self.started {
            return;
        }
        self.started = true;
        match self.format {
            Format::Csv => {
                out.extend_from_slice("\u{feff}".as_bytes());
                let header: Vec<&str> = HEADER
                    .iter()
                    .map(|(sv, en)| match self.language {
                        Language::Swedish => *sv,
                        Language::English => *en,
                    })
                    .collect();
                csv_row(&header, out);
            }
            Format::Json => out.push(b'['),
        }
    }

    fn end(&mut self, out: &mut Vec<u8>) {
        self.begin(out);
        if self.format == Format::Json {
            out.extend_from_slice(b"]\n");
        }
    }

    /// One record, read from its document. A document that does not read is left out (it
    /// is not in the index either, so it should never come here).
    fn record(
        &mut self,
        exported: &ExportedRegistration,
        events: &mut EventCache<'_>,
        out: &mut Vec<u8>,
    ) {
        let Ok((document, registration)) =
            RegistrationDocument::load_unattributed(&exported.changes)
        else {
            tracing::warn!(
                doc_id = exported.id,
                "a stored registration could not be exported"
            );
            return;
        };
        let status = document
            .annotations()
            .map(|a| a.status)
            .unwrap_or(RecordStatus::New);
        self.write(
            &registration,
            &exported.receipt_code,
            status,
            exported.talent_pool,
            events,
            out,
        );
    }

    /// One record, given its fields.
    fn write(
        &mut self,
        registration: &Registration,
        receipt_code: &str,
        status: RecordStatus,
        // Not the document's opt-in alone: a withdrawal since takes the visitor out.
        talent_pool: bool,
        events: &mut EventCache<'_>,
        out: &mut Vec<u8>,
    ) {
        self.begin(out);
        let person = &registration.person;
        let captured_at = registration.captured_at.utc_iso8601();
        match self.format {
            Format::Csv => {
                let status_code = status.as_str();
                let (sv, en) = status.label();
                let (yes, no, status) = match self.language {
                    Language::Swedish => ("ja", "nej", sv),
                    Language::English => ("yes", "no", en),
                };
                let labels = events.labels(registration, self.language);
                csv_row(
                    &[
                        registration.id.as_str(),
                        receipt_code,
                        &labels.event,
                        &captured_at,
                        &person.given_name,
                        &person.family_name,
                        person.email.as_deref().unwrap_or(""),
                        person.phone.as_deref().unwrap_or(""),
                        &labels.interests.join(", "),
                        &labels.locations.join(", "),
                        labels.education_level.as_deref().unwrap_or(""),
                        if talent_pool { yes } else { no },
                        status,
                        language_word(registration.language, self.language),
                        // The codes, for machines.
                        registration.event_id.as_str(),
                        &registration.interests.join(","),
                        &registration.locations.join(","),
                        registration.education_level.as_deref().unwrap_or(""),
                        status_code,
                        registration.language.tag(),
                    ],
                    out,
                );
            }
            Format::Json => {
                if self.records > 0 {
                    out.push(b',');
                }
                out.push(b'\n');
                let object = json!({
                    "id": registration.id.as_str(),
                    "receipt_code": receipt_code,
                    "event_id": registration.event_id.as_str(),
                    "captured_at": captured_at,
                    "given_name": person.given_name,
                    "family_name": person.family_name,
                    "email": person.email,
                    "phone": person.phone,
                    "interests": registration.interests,
                    "locations": registration.locations,
                    "education_level": registration.education_level,
                    "talent_pool": talent_pool,
                    "status": status.as_str(),
                    "language": registration.language.tag(),
                });
                // Writing a `Value` into a `Vec` cannot fail.
                let _ = serde_json::to_writer(&mut *out, &object);
            }
        }
        self.records += 1;
    }
}

/// The CSV header row, Swedish and English, in column order: the columns people read, then
/// the codes for machines (plain lower-case names, stable across releases).
const HEADER: [(&str, &str); 20] = [
    ("Id", "Id"),
    ("Kvittokod", "Receipt code"),
    ("Evenemang", "Event"),
    ("Registrerad (UTC)", "Captured at (UTC)"),
    ("Förnamn", "Given name"),
    ("Efternamn", "Family name"),
    ("E-post", "Email"),
    ("Telefon", "Phone"),
    ("Intresseområden", "Interests"),
    ("Orter", "Locations"),
    ("Utbildningsnivå", "Education level"),
    ("Talangpool", "Talent pool"),
    ("Status", "Status"),
    ("Språk", "Language"),
    ("evenemang_id", "event_id"),
    ("intresseomraden_koder", "interest_codes"),
    ("orter_koder", "location_codes"),
    ("utbildningsniva_kod", "education_level_code"),
    ("status_kod", "status_code"),
    ("sprak_kod", "language_code"),
];

/// The CSV cell separator: what Excel expects with Swedish regional settings.
pub const SEPARATOR: char = ';';

/// One row of cells and its CRLF.
fn csv_row(cells: &[&str], out: &mut Vec<u8>) {
    for (i, cell) in cells.iter().enumerate() {
        if i > 0 {
            out.push(SEPARATOR as u8);
        }
        csv_cell(cell, out);
    }
    out.extend_from_slice(b"\r\n");
}

/// One cell: neutralised against formula injection, then quoted as RFC 4180 when needed.
fn csv_cell(cell: &str, out: &mut Vec<u8>) {
    let formula = cell.starts_with(['=', '+', '-', '@', '\t', '\r']);
    let quoted = cell.contains([SEPARATOR, '"', '\r', '\n']);
    if quoted {
        out.push(b'"');
    }
    if formula {
        out.push(b'\'');
    }
    if quoted {
        out.extend_from_slice(cell.replace('"', "\"\"").as_bytes());
        out.push(b'"');
    } else {
        out.extend_from_slice(cell.as_bytes());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hr::accounts::Role;
    use crate::hr::export_api::parse_export_query;
    use std::collections::HashMap;

    fn cell(text: &str) -> String {
        let mut out = Vec::new();
        csv_cell(text, &mut out);
        String::from_utf8(out).expect("utf-8")
    }

    #[test]
    fn cells_that_could_start_a_formula_are_shown_as_text() {
        assert_eq!(cell("=HYPERLINK(\"x\")"), "\"'=HYPERLINK(\"\"x\"\")\"");
        assert_eq!(cell("+46701234567"), "'+46701234567");
        assert_eq!(cell("-Anna"), "'-Anna");
        assert_eq!(cell("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(cell("\tcmd"), "'\tcmd");
        assert_eq!(cell("\r=1"), "\"'\r=1\"");
        // Only the first character counts: a hyphen inside a name is a name.
        assert_eq!(cell("Anna-Karin"), "Anna-Karin");
        assert_eq!(cell("Åsa Öberg-Ärlig"), "Åsa Öberg-Ärlig");
    }

    #[test]
    fn cells_with_separators_quotes_or_line_breaks_are_quoted() {
        assert_eq!(cell("a;b"), "\"a;b\"");
        assert_eq!(cell("say \"hej\""), "\"say \"\"hej\"\"\"");
        assert_eq!(cell("two\nlines"), "\"two\nlines\"");
        assert_eq!(cell("law, it"), "law, it");
        assert_eq!(cell(""), "");
    }

    #[test]
    fn a_row_ends_with_crlf_and_separates_cells_with_semicolons() {
        let mut out = Vec::new();
        csv_row(&["a", "b;c", "=d"], &mut out);
        assert_eq!(out, b"a;\"b;c\";'=d\r\n");
    }

    #[test]
    fn an_empty_export_is_a_header_or_an_empty_array() {
        let mut csv = Vec::new();
        Encoder::new(Format::Csv, Language::English).end(&mut csv);
        let csv = String::from_utf8(csv).expect("utf-8");
        assert!(csv.starts_with("\u{feff}Id;Receipt code;Event;"), "{csv}");
        assert!(
            csv.ends_with(
                "Status;Language;event_id;interest_codes;location_codes;\
                           education_level_code;status_code;language_code\r\n"
            ),
            "{csv}"
        );
        let mut json = Vec::new();
        Encoder::new(Format::Json, Language::Swedish).end(&mut json);
        assert_eq!(
            serde_json::from_slice::<serde_json::Value>(&json).expect("json"),
            json!([])
        );
    }

    /// A store holding `count` generated registrations (some restricted) stored through
    /// ingest as a kiosk's captures; returns the store and the ids of the open ones.
    fn store_with_generated(count: usize) -> (Arc<dyn RelayStore>, Vec<String>) {
        let store = crate::storage::SqliteStore::in_memory().expect("store");
        crate::store_demo_event(&store).expect("event");
        let open: Vec<String> = crate::storage::ingest_generated_for_tests(&store, count)
            .iter()
            .filter(|registration| !registration.restricted)
            .map(|registration| registration.id.to_string())
            .collect();
        assert!(open.len() < count, "some generated records are restricted");
        (Arc::new(store), open)
    }

    #[test]
    fn an_export_of_many_pages_holds_every_open_record_once_each_logged_once() {
        let (store, mut open) = store_with_generated(80);
        let (sender, mut receiver) = mpsc::channel(100);
        let filter = RegistrationFilter {
            limit: 7,
            ..parse_export_query(HashMap::new()).expect("no filter").2
        };
        let reader = Accessor::Operator("hr:arvid".into());
        produce(
            store.clone(),
            &archivist_with_token(&store).1,
            filter,
            &reader,
            Format::Json,
            Language::Swedish,
            &sender,
        );
        let mut body = Vec::new();
        let mut pages = 0;
        while let Ok(chunk) = receiver.try_recv() {
            body.extend_from_slice(&chunk.expect("a page"));
            pages += 1;
        }
        assert!(pages > open.len() / 7, "{pages} pages");
        let exported: Vec<serde_json::Value> = serde_json::from_slice(&body).expect("json");
        let mut ids: Vec<String> = exported
            .iter()
            .map(|r| r["id"].as_str().expect("id").to_owned())
            .collect();
        let newest_first = ids.windows(2).all(|w| w[0] > w[1]);
        assert!(
            newest_first,
            "ids are UUIDv7, so newest first is descending"
        );
        ids.sort();
        open.sort();
        assert_eq!(ids, open);
        let mut logged: Vec<String> = store
            .access_log_entries(0, 10_000)
            .expect("log")
            .into_iter()
            .filter(|(_, e)| e.action == crate::storage::AccessAction::Export)
            .map(|(_, e)| {
                assert_eq!(e.accessor, reader);
                e.doc_id
            })
            .collect();
        logged.sort();
        assert_eq!(logged, open);
        assert_eq!(store.verify_access_log().expect("verifies").broken_at, None);
    }

    /// The ids a JSON export of `store` holds, in order.
    fn exported_ids(store: &Arc<dyn RelayStore>) -> Vec<String> {
        let (sender, mut receiver) = mpsc::channel(100);
        let filter = parse_export_query(HashMap::new()).expect("no filter").2;
        let reader = Accessor::Operator("hr:arvid".into());
        produce(
            store.clone(),
            &archivist_with_token(store).1,
            filter,
            &reader,
            Format::Json,
            Language::English,
            &sender,
        );
        let mut body = Vec::new();
        while let Ok(chunk) = receiver.try_recv() {
            body.extend_from_slice(&chunk.expect("a page"));
        }
        let exported: Vec<serde_json::Value> = serde_json::from_slice(&body).expect("json");
        exported
            .iter()
            .map(|r| r["id"].as_str().expect("id").to_owned())
            .collect()
    }

    /// An archivist with a one-year API token, and the caller it makes.
    fn archivist_with_token(store: &Arc<dyn RelayStore>) -> (u64, Caller) {
        let id = store
            .create_hr_user(
                &crate::storage::NewHrUser {
                    username: format!("arvid-{:x}", rand::random::<u64>()),
                    display_name: "Arvid".into(),
                    roles: vec![Role::Archivist],
                    password: crate::hr::accounts::PasswordHash {
                        salt: [1; 16],
                        hash: [2; 32],
                        memory_kib: 8,
                        passes: 1,
                    },
                    must_change_password: false,
                    created_by: None,
                },
                1,
            )
            .expect("creates")
            .expect("new");
        let secret_hash: [u8; 32] = rand::random();
        let credential = crate::storage::Credential {
            kind: crate::storage::CredentialKind::ApiToken,
            user_id: id,
            csrf_hash: None,
            expires_at: now_ms() + 365 * 86_400_000,
            last_used_at: now_ms(),
        };
        store
            .put_hr_credential(&secret_hash, &credential, Some("export"), now_ms())
            .expect("token");
        let (_, user) = store
            .hr_credential(&secret_hash, now_ms())
            .expect("reads")
            .expect("opens");
        (id, Caller::for_tests(user, credential.kind, secret_hash))
    }

    /// What `produce` sends for `caller`: the records of the pages sent, and whether it
    /// ended with an error (which cuts the answer off).
    fn export_as(store: &Arc<dyn RelayStore>, caller: &Caller) -> (usize, bool) {
        let (sender, mut receiver) = mpsc::channel(100);
        let filter = RegistrationFilter {
            limit: 3,
            ..parse_export_query(HashMap::new()).expect("no filter").2
        };
        let reader = Accessor::Operator("hr:arvid".into());
        produce(
            store.clone(),
            caller,
            filter,
            &reader,
            Format::Csv,
            Language::English,
            &sender,
        );
        let mut body = Vec::new();
        let mut failed = false;
        while let Ok(chunk) = receiver.try_recv() {
            match chunk {
                Ok(chunk) => body.extend_from_slice(&chunk),
                Err(_) => failed = true,
            }
        }
        let rows = String::from_utf8(body).expect("utf-8").lines().count();
        (rows.saturating_sub(1), failed)
    }

    /// The CSV `produce` writes of `store` in `lang`, as rows of cells (no cell here holds
    /// a separator, so a split is enough).
    fn csv_export(store: &Arc<dyn RelayStore>, lang: Language) -> Vec<Vec<String>> {
        let (sender, mut receiver) = mpsc::channel(100);
        let filter = parse_export_query(HashMap::new()).expect("no filter").2;
        let reader = Accessor::Operator("hr:arvid".into());
        let caller = archivist_with_token(store).1;
        produce(
            store.clone(),
            &caller,
            filter,
            &reader,
            Format::Csv,
            lang,
            &sender,
        );
        let mut body = Vec::new();
        while let Ok(chunk) = receiver.try_recv() {
            body.extend_from_slice(&chunk.expect("a page"));
        }
        let text = String::from_utf8(body).expect("utf-8");
        text.strip_prefix('\u{feff}')
            .expect("a byte-order mark")
            .split_terminator("\r\n")
            .map(|line| line.split(SEPARATOR).map(str::to_owned).collect())
            .collect()
    }

    #[test]
    fn csv_cells_carry_labels_in_the_chosen_language_and_the_codes_in_their_own_columns() {
        let (store, open) = store_with_generated(16);
        let event = store
            .event(&kiosk_core::ids::EventId::parse(kiosk_core::demo::DEMO_EVENT_ID).expect("id"))
            .expect("reads")
            .expect("the demo event");
        let form = &event.current_form().expect("published").form;
        for lang in [Language::Swedish, Language::English] {
            let rows = csv_export(&store, lang);
            assert_eq!(rows.len(), open.len() + 1, "a header and every open record");
            let label = |choices: &[kiosk_core::form::Choice], code: &str| -> String {
                choices
                    .iter()
                    .find(|choice| choice.code == code)
                    .unwrap_or_else(|| panic!("{code} is one of the event's codes"))
                    .label
                    .get(lang)
                    .to_owned()
            };
            let labels = |choices: &[kiosk_core::form::Choice], codes: &str| -> String {
                codes
                    .split(',')
                    .filter(|code| !code.is_empty())
                    .map(|code| label(choices, code))
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            for row in &rows[1..] {
                assert_eq!(row.len(), 20, "{row:?}");
                assert_eq!(row[2], event.name.get(lang), "the event by its name");
                assert_eq!(row[14], kiosk_core::demo::DEMO_EVENT_ID, "and by its id");
                assert!(!row[15].is_empty(), "every record has an interest");
                assert_eq!(row[8], labels(&form.interest_areas, &row[15]));
                assert_eq!(row[9], labels(&form.locations, &row[16]));
                assert_eq!(row[10], labels(&form.education_levels, &row[17]));
                let (status, language) = match lang {
                    Language::Swedish => ("Ny", ["svenska", "engelska"]),
                    Language::English => ("New", ["Swedish", "English"]),
                };
                assert_eq!((&row[12][..], &row[18][..]), (status, "new"));
                match &row[19][..] {
                    "sv" => assert_eq!(row[13], language[0]),
                    "en" => assert_eq!(row[13], language[1]),
                    other => panic!("a language code: {other}"),
                }
            }
            // The generated records use labels that differ from their codes, so the check
            // above cannot pass on codes.
            assert!(
                rows[1..].iter().any(|row| row[8] != row[15]),
                "labels, not codes"
            );
        }
    }

    #[test]
    fn an_export_asks_at_every_page_whether_its_caller_still_may() {
        let (store, open) = store_with_generated(20);
        let (id, caller) = archivist_with_token(&store);
        assert_eq!(export_as(&store, &caller), (open.len(), false));
        // Each of the checks an export's pages make: a disabled user, a revoked token, a
        // role taken. Any of them ends the export before another record is read.
        let change = |action| crate::storage::AccountChange {
            user_id: id,
            action,
            reason: Some("leaves".into()),
            by_user: None,
            by_name: "operator".into(),
            at: now_ms(),
        };
        let done = crate::storage::AccountChangeOutcome::Done;
        let read_before = store.access_log_entries(0, 10_000).expect("log").len();
        assert_eq!(
            store
                .change_hr_account(&change(crate::storage::AccountAction::RemoveRole(
                    Role::Archivist
                )))
                .expect("changes"),
            done
        );
        assert_eq!(export_as(&store, &caller), (0, true));
        assert_eq!(
            store
                .change_hr_account(&change(crate::storage::AccountAction::Disable))
                .expect("changes"),
            done
        );
        assert_eq!(export_as(&store, &caller), (0, true));
        // Nothing was read (and so nothing logged as exported) after the first refusal.
        let exported_after = store
            .access_log_entries(0, 10_000)
            .expect("log")
            .into_iter()
            .skip(read_before)
            .filter(|(_, e)| e.action == crate::storage::AccessAction::Export)
            .count();
        assert_eq!(exported_after, 0);
    }

    #[test]
    fn a_record_removed_after_one_export_is_not_in_the_next() {
        let (store, open) = store_with_generated(20);
        assert_eq!(exported_ids(&store).len(), open.len());
        let removed = &open[3];
        let operator = Accessor::Operator("hr:gallring".into());
        assert_eq!(
            store
                .remove_registration(removed, "withdrawn", &operator, 1)
                .expect("removes"),
            crate::storage::RemovalOutcome::Removed
        );
        let after = exported_ids(&store);
        assert_eq!(after.len(), open.len() - 1);
        assert!(!after.contains(removed));
        // Nor in a list: the index dropped its row.
        let listed = store
            .list_registrations(
                &RegistrationFilter {
                    limit: 500,
                    ..RegistrationFilter::default()
                },
                &operator,
                2,
            )
            .expect("lists");
        assert_eq!(listed.len(), open.len() - 1);
        assert!(listed.iter().all(|r| &r.id != removed));
    }
}
