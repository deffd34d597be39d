//! The printable disclosure export (*utlämnande för sekretessprövning*) in Swedish or
//! English: the header that the export is not a decision, each asked record's fields with
//! blank decision boxes, and [`answer`], which hands the export out as a JSON file or that
//! page. The API's `?format=html` and the console's form both call it.

use axum::response::Response;
use kiosk_core::language::Language;
use maud::{Markup, html};

use super::subject_access::content_rows;
use super::{html_answer, json_attachment, printable_page};
use crate::hr::dates;
use crate::hr::disclosure::{
    DisclosedRecord, DisclosureLine, DisclosureReport, ReviewReason, decisions, notice,
    report_json, review_reason,
};
use crate::hr::handler_names::HandlerNames;
use crate::hr::subject_access::Format;
use crate::hr::wording::status_name;

/// The printable disclosure export's texts, in one language.
#[derive(Debug)]
struct Texts {
    doc_title: &'static str,
    generated: &'static str,
    by: &'static str,
    asked: &'static str,
    col_field: &'static str,
    col_value: &'static str,
    col_review: &'static str,
    review_needed: &'static str,
    not_held: &'static str,
    removed: &'static str,
    status: &'static str,
    note: &'static str,
    rating: &'static str,
    reasons: &'static str,
}

const SV: Texts = Texts {
    doc_title: "Underlag för utlämnande av allmän handling",
    generated: "Framtaget",
    by: "av",
    asked: "Begärd",
    col_field: "Uppgift",
    col_value: "Innehåll",
    col_review: "Prövning",
    review_needed: "Pröva: ",
    not_held: "Finns inte hos reläet (aldrig mottagen eller gallrad).",
    removed: "Gallrad {} enligt: ",
    status: "Status",
    note: "Anteckning",
    rating: "Betyg",
    reasons: "Skäl till prövning",
};

const EN: Texts = Texts {
    doc_title: "Material for the release of public documents",
    generated: "Generated",
    by: "by",
    asked: "Requested",
    col_field: "Field",
    col_value: "Content",
    col_review: "Review",
    review_needed: "Review: ",
    not_held: "Not held by the relay (never received, or removed).",
    removed: "Removed {} under: ",
    status: "Status",
    note: "Note",
    rating: "Rating",
    reasons: "Reasons for review",
};

fn texts(lang: Language) -> &'static Texts {
    match lang {
        Language::Swedish => &SV,
        Language::English => &EN,
    }
}

/// The blank decision boxes of one row.
fn decision_cells(lang: Language) -> Markup {
    html! {
        @for label in decisions(lang) {
            td { span.box role="img" aria-label=(label) {} }
        }
    }
}

fn review_cell(t: &Texts, lang: Language, reason: Option<ReviewReason>) -> Markup {
    html! {
        td {
            @if let Some(reason) = reason {
                span.review { (t.review_needed) (reason.title(lang)) ". " } (reason.text(lang))
            }
        }
    }
}

fn held_section(lang: Language, held: &DisclosedRecord, names: &HandlerNames) -> Markup {
    let t = texts(lang);
    let record = &held.record;
    let [released, redacted, not_released] = decisions(lang);
    html! {
        section.record {
            h2 { (t.asked) ": " span.code { (held.asked) } }
            table {
                thead { tr {
                    th scope="col" { (t.col_field) }
                    th scope="col" { (t.col_value) }
                    th scope="col" { (t.col_review) }
                    th scope="col" { (released) }
                    th scope="col" { (redacted) }
                    th scope="col" { (not_released) }
                } }
                tbody {
                    tr {
                        th scope="row" { "Id" }
                        td.code { (record.doc_id) }
                        td {}
                        (decision_cells(lang))
                    }
                    @for (key, label, value) in content_rows(lang, record, held.event.as_ref(), names) {
                        tr {
                            th scope="row" { (label) }
                            td { (value) }
                            (review_cell(t, lang, review_reason(key, record.restricted)))
                            (decision_cells(lang))
                        }
                    }
                    tr {
                        th scope="row" { (t.status) }
                        td { (status_name(lang, held.annotations.status)) }
                        td {}
                        (decision_cells(lang))
                    }
                    @for note in &held.annotations.notes {
                        tr {
                            th scope="row" { (t.note) }
                            td { (dates::local_minutes(note.written_at.millis())) ", " (note.author) ": " (note.text) }
                            (review_cell(t, lang, Some(ReviewReason::Assessment)))
                            (decision_cells(lang))
                        }
                    }
                    @for (rater, score) in &held.annotations.ratings {
                        tr {
                            th scope="row" { (t.rating) }
                            td { (rater) ": " (score) }
                            (review_cell(t, lang, Some(ReviewReason::Assessment)))
                            (decision_cells(lang))
                        }
                    }
                }
            }
        }
    }
}

/// The printable disclosure export in `lang`: a standalone page, no scripts.
pub(crate) fn printable(report: &DisclosureReport, lang: Language) -> Markup {
    let t = texts(lang);
    printable_page(
        lang,
        t.doc_title,
        html! {
            p.notice { strong { (notice(lang)) } }
            p {
                (t.generated) " " (dates::local_minutes(report.generated_at)) " "
                (t.by) " " (report.requested_by) "."
            }
            h2 { (t.reasons) }
            dl.fields {
                @for reason in ReviewReason::ALL {
                    dt { (reason.title(lang)) } dd { (reason.text(lang)) }
                }
            }
            @for line in &report.lines {
                @match line {
                    DisclosureLine::Held(held) => (held_section(lang, held, &report.names)),
                    DisclosureLine::Removed { asked, removed_at, rule } => section.record {
                        h2 { (t.asked) ": " span.code { (asked) } }
                        p { (t.removed.replacen("{}", &dates::local_minutes(*removed_at), 1)) (rule) }
                    },
                    DisclosureLine::NotHeld { asked } => section.record {
                        h2 { (t.asked) ": " span.code { (asked) } }
                        p { (t.not_held) }
                    },
                }
            }
        },
    )
}

/// The export in `format` (the printable page in `lang`).
pub(crate) fn answer(report: &DisclosureReport, format: Format, lang: Language) -> Response {
    match format {
        Format::Json => json_attachment("utlamnande", &report_json(report), report.generated_at),
        Format::Html => html_answer(printable(report, lang)),
    }
}
