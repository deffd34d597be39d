//! Personal names.
//!
//! Names come from everywhere: Åsa, Øyvind, Zoë, O'Connor, Anna-Karin, 't Hooft, محمد,
//! יעל, Nguyễn, Παπαδόπουλος. A name is normalised to NFC with its white space folded, and
//! accepted when it holds at least one letter and otherwise only letters, combining marks,
//! spaces, apostrophes, hyphens, periods (initials) and the zero-width joiners some scripts
//! need. Digits, symbols, emoji, control characters and bidirectional overrides are refused:
//! the last could make a name display as something else in HR's lists.

use unicode_normalization::UnicodeNormalization;
use unicode_properties::{GeneralCategoryGroup, UnicodeGeneralCategory};

use super::errors::Reason;
use crate::form::limits::NAME_MAX_CHARS;

const ZERO_WIDTH_NON_JOINER: char = '\u{200c}';
const ZERO_WIDTH_JOINER: char = '\u{200d}';

/// Normalises one name part (given or family name), or says why it is not a name.
pub fn normalize_name(raw: &str) -> Result<String, Reason> {
    let folded = raw
        .nfc()
        .collect::<String>()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    if folded.is_empty() {
        return Err(Reason::Required);
    }
    if folded.chars().count() > NAME_MAX_CHARS {
        return Err(Reason::TooLong {
            max: NAME_MAX_CHARS,
        });
    }
    if !folded.chars().all(allowed_in_name) {
        return Err(Reason::InvalidCharacters);
    }
    if !folded.chars().any(is_letter) {
        return Err(Reason::NoLetters);
    }
    Ok(folded)
}

fn is_letter(c: char) -> bool {
    c.general_category_group() == GeneralCategoryGroup::Letter
}

fn allowed_in_name(c: char) -> bool {
    match c.general_category_group() {
        GeneralCategoryGroup::Letter | GeneralCategoryGroup::Mark => true,
        _ => matches!(
            c,
            ' ' | '\''
                | '’'
                | 'ʼ'
                | '-'
                | '‐'
                | '‑'
                | '.'
                | ZERO_WIDTH_NON_JOINER
                | ZERO_WIDTH_JOINER
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_from_many_scripts_are_accepted() {
        let names = [
            "Åsa",
            "Øyvind",
            "Zoë",
            "O'Connor",
            "D’Angelo",
            "Anna-Karin",
            "'t Hooft",
            "Nguyễn Thị",
            "محمد",
            "یاسمن\u{200c}السادات",
            "יעל",
            "Παπαδόπουλος",
            "Łukasz",
            "José María",
            "J. R.",
            "Siân",
            "ʻOhana",
            "김민준",
            "अनुष्का",
        ];
        for name in names {
            let normalized = normalize_name(name).unwrap_or_else(|r| panic!("{name:?}: {r:?}"));
            assert_eq!(normalized, name.nfc().collect::<String>());
        }
    }

    #[test]
    fn names_are_nfc_normalised_and_white_space_folded() {
        // "A" + combining ring above, as some keyboards produce it.
        assert_eq!(normalize_name("A\u{30a}sa"), Ok("Åsa".to_owned()));
        assert_eq!(
            normalize_name("  Anna \t Karin  "),
            Ok("Anna Karin".to_owned())
        );
    }

    #[test]
    fn what_is_not_a_name_is_refused_with_a_reason() {
        let cases = [
            ("", Reason::Required),
            ("   ", Reason::Required),
            ("Åsa2", Reason::InvalidCharacters),
            ("Robert'); DROP TABLE", Reason::InvalidCharacters),
            ("Åsa 🙂", Reason::InvalidCharacters),
            ("=HYPERLINK", Reason::InvalidCharacters),
            ("Ali\u{202e}ecila", Reason::InvalidCharacters),
            ("Eva\u{0}", Reason::InvalidCharacters),
            ("<script>", Reason::InvalidCharacters),
            ("- '.", Reason::NoLetters),
        ];
        for (input, reason) in cases {
            assert_eq!(normalize_name(input), Err(reason), "{input:?}");
        }
        let long = "Å".repeat(NAME_MAX_CHARS + 1);
        assert_eq!(
            normalize_name(&long),
            Err(Reason::TooLong {
                max: NAME_MAX_CHARS
            })
        );
        assert!(normalize_name(&"Å".repeat(NAME_MAX_CHARS)).is_ok());
    }
}
