//! A record page's flags from the blind indexes ([`crate::hr::duplicates`]): "seen before",
//! with links to the earlier registrations the reader may read, and "asked not to be
//! contacted", with the legal basis and date it was recorded on; and a list row's badges.

use kiosk_core::language::Language;
use maud::{Markup, html};

use super::detail::detail_path;
use crate::blind_index::{BASIS_OBJECTED, BASIS_WITHDRAWN};
use crate::hr::dates;
use crate::hr::duplicates::ContactFlags;

struct FlagTexts {
    seen_before: &'static str,
    /// "{n}" earlier registrations, in singular and plural.
    seen_before_one: &'static str,
    seen_before_many: &'static str,
    do_not_contact: &'static str,
    withdrawn: &'static str,
    objected: &'static str,
    other_basis: &'static str,
    since: &'static str,
    dnc_advice: &'static str,
}

const SV: FlagTexts = FlagTexts {
    seen_before: "Har registrerat sig förut",
    seen_before_one: "Samma e-postadress eller telefonnummer finns i 1 tidigare registrering som du kan läsa:",
    seen_before_many: "Samma e-postadress eller telefonnummer finns i {n} tidigare registreringar som du kan läsa:",
    do_not_contact: "Har bett att inte bli kontaktad",
    withdrawn: "Personen har återkallat sitt samtycke till talangpoolen.",
    objected: "Personen har bett att inte bli kontaktad.",
    other_basis: "Personen ska inte kontaktas.",
    since: "Antecknat",
    dnc_advice: "Kontakta inte personen om andra tjänster.",
};

const EN: FlagTexts = FlagTexts {
    seen_before: "Seen before",
    seen_before_one: "The same email address or phone number is in 1 earlier registration you may read:",
    seen_before_many: "The same email address or phone number is in {n} earlier registrations you may read:",
    do_not_contact: "Asked not to be contacted",
    withdrawn: "The person withdrew their talent-pool consent.",
    objected: "The person asked not to be contacted.",
    other_basis: "The person is not to be contacted.",
    since: "Recorded",
    dnc_advice: "Do not contact the person about other roles.",
};

fn texts(lang: Language) -> &'static FlagTexts {
    match lang {
        Language::Swedish => &SV,
        Language::English => &EN,
    }
}

/// The flags' section: nothing when neither applies.
pub(super) fn section(lang: Language, flags: &ContactFlags) -> Markup {
    let t = texts(lang);
    let count = flags.seen_before.len();
    html! {
        @if let Some(entry) = flags.do_not_contact.first() {
            div.restricted-notice data-flag="do-not-contact" {
                h2 { (t.do_not_contact) }
                p {
                    (match entry.basis.as_str() {
                        BASIS_WITHDRAWN => t.withdrawn,
                        BASIS_OBJECTED => t.objected,
                        _ => t.other_basis,
                    })
                    " " (t.dnc_advice)
                }
                p { (t.since) ": " (dates::local_date(entry.added_at)) }
            }
        }
        @if count > 0 {
            div.notice data-flag="seen-before" {
                h2 { (t.seen_before) }
                p {
                    @if count == 1 { (t.seen_before_one) }
                    @else { (t.seen_before_many.replace("{n}", &count.to_string())) }
                }
                ul {
                    @for id in &flags.seen_before {
                        li { a.code href=(detail_path(id)) { (id) } }
                    }
                }
            }
        }
    }
}

/// A list row's badges: each flag that applies, in a word.
pub(super) fn badges(lang: Language, flags: &ContactFlags) -> Markup {
    let t = texts(lang);
    html! {
        @if !flags.do_not_contact.is_empty() {
            " " span.badge data-flag="do-not-contact" { (t.do_not_contact) }
        }
        @if !flags.seen_before.is_empty() {
            " " span.badge data-flag="seen-before" { (t.seen_before) }
        }
    }
}
