//! Wording that the console's pages and the printable documents share: a record status's
//! name in a language, and filling a text's `{}`.

use kiosk_core::annotations::RecordStatus;
use kiosk_core::language::Language;

/// `template` with its `{}` replaced by `value`.
pub(crate) fn fill(template: &str, value: impl std::fmt::Display) -> String {
    template.replacen("{}", &value.to_string(), 1)
}

/// A record status's name in `lang`.
pub(crate) fn status_name(lang: Language, status: RecordStatus) -> &'static str {
    let (sv, en) = status.label();
    match lang {
        Language::Swedish => sv,
        Language::English => en,
    }
}
