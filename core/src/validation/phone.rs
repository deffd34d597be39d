//! Phone numbers to E.164.
//!
//! Visitors type numbers the way they say them: `070-123 45 67`, `08-123 456 78`,
//! `+46 (0)70 123 45 67`, `0046 70 123 45 67`, `+47 412 34 567`. Separators (spaces, hyphens,
//! dots, slashes, parentheses) are dropped; a leading `00` means `+`; a leading single `0`
//! is a Swedish trunk prefix. Swedish numbers are checked against the national plan's
//! lengths (7–9 digits after the trunk 0, mobile numbers `07x` exactly 9); other countries
//! only against E.164's limits, since the kiosk cannot know every numbering plan.

use super::errors::Reason;
use crate::form::limits::PHONE_INPUT_MAX_CHARS;

const SWEDEN: &str = "46";
/// E.164 allows at most 15 digits including the country code.
const E164_MAX_DIGITS: usize = 15;
/// The shortest numbers in use (small island states) have 7 digits with the country code.
const E164_MIN_DIGITS: usize = 7;

/// Normalises a phone number to E.164 (`+46701234567`), or says why it cannot.
pub fn normalize_phone(raw: &str) -> Result<String, Reason> {
    let trimmed = raw.trim();
    if trimmed.chars().count() > PHONE_INPUT_MAX_CHARS {
        return Err(Reason::TooLong {
            max: PHONE_INPUT_MAX_CHARS,
        });
    }
    // "(0)" marks a trunk prefix that is dropped when dialling from abroad.
    let without_trunk_marker = trimmed.replace("(0)", "");
    let mut plus = false;
    let mut digits = String::new();
    for (i, c) in without_trunk_marker.chars().enumerate() {
        match c {
            '+' if i == 0 => plus = true,
            '0'..='9' => digits.push(c),
            ' ' | '\u{a0}' | '-' | '\u{2010}' | '\u{2011}' | '.' | '/' | '(' | ')' => {}
            _ => return Err(Reason::InvalidCharacters),
        }
    }
    if digits.is_empty() {
        return Err(if plus {
            Reason::PhoneWrongLength
        } else {
            Reason::Required
        });
    }
    let international = if plus {
        digits
    } else if let Some(rest) = digits.strip_prefix("00") {
        rest.to_owned()
    } else if let Some(national) = digits.strip_prefix('0') {
        format!("{SWEDEN}{national}")
    } else {
        return Err(Reason::PhoneNeedsPrefix);
    };
    if international.starts_with('0') {
        // No country code starts with 0.
        return Err(Reason::PhoneNeedsPrefix);
    }
    if let Some(national) = international.strip_prefix(SWEDEN) {
        return swedish(national);
    }
    if !(E164_MIN_DIGITS..=E164_MAX_DIGITS).contains(&international.len()) {
        return Err(Reason::PhoneWrongLength);
    }
    Ok(format!("+{international}"))
}

/// A Swedish national significant number (after +46), possibly still with its trunk 0
/// (`+46 070…` is a common slip and is forgiven).
fn swedish(national: &str) -> Result<String, Reason> {
    let national = national.strip_prefix('0').unwrap_or(national);
    let is_mobile = national.starts_with('7');
    let length_ok = if is_mobile {
        national.len() == 9
    } else {
        (7..=9).contains(&national.len())
    };
    if !length_ok || national.starts_with('0') {
        return Err(Reason::PhoneWrongLength);
    }
    Ok(format!("+{SWEDEN}{national}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn swedish_formats_normalise_to_e164() {
        let cases = [
            ("070-123 45 67", "+46701234567"),
            ("0701234567", "+46701234567"),
            ("070 123 45 67", "+46701234567"),
            ("070.123.45.67", "+46701234567"),
            ("+46 70 123 45 67", "+46701234567"),
            ("+46 (0)70-123 45 67", "+46701234567"),
            ("+46701234567", "+46701234567"),
            ("0046 70 123 45 67", "+46701234567"),
            ("+46 070 123 45 67", "+46701234567"),
            ("08-123 456 78", "+46812345678"),
            ("08-12 34 56", "+468123456"),
            ("011-12 34 56", "+4611123456"),
            ("(011) 12 34 56", "+4611123456"),
            ("\u{a0}073\u{2011}987\u{a0}65\u{a0}43 ", "+46739876543"),
        ];
        for (input, expected) in cases {
            assert_eq!(normalize_phone(input).as_deref(), Ok(expected), "{input:?}");
        }
    }

    #[test]
    fn international_formats_keep_their_country_code() {
        let cases = [
            ("+47 412 34 567", "+4741234567"),
            ("+358 40 123 4567", "+358401234567"),
            ("0045 20 12 34 56", "+4520123456"),
            ("+44 (0)20 7946 0958", "+442079460958"),
            ("+1 (415) 555-0132", "+14155550132"),
            ("+971 50 123 4567", "+971501234567"),
        ];
        for (input, expected) in cases {
            assert_eq!(normalize_phone(input).as_deref(), Ok(expected), "{input:?}");
        }
    }

    #[test]
    fn impossible_numbers_are_refused_with_a_reason() {
        let too_long = "0".repeat(40);
        let cases = [
            ("", Reason::Required),
            ("  ", Reason::Required),
            ("+", Reason::PhoneWrongLength),
            ("070-123 45 6", Reason::PhoneWrongLength),
            ("070-123 45 678", Reason::PhoneWrongLength),
            ("08-123", Reason::PhoneWrongLength),
            ("+46 0 0", Reason::PhoneWrongLength),
            ("701234567", Reason::PhoneNeedsPrefix),
            ("+0701234567", Reason::PhoneNeedsPrefix),
            ("000123456789", Reason::PhoneNeedsPrefix),
            ("+1 234", Reason::PhoneWrongLength),
            ("+12345678901234567", Reason::PhoneWrongLength),
            ("070-ABC 45 67", Reason::InvalidCharacters),
            ("070+1234567", Reason::InvalidCharacters),
            ("070\u{202e}1234567", Reason::InvalidCharacters),
            ("0701234567 ext 5", Reason::InvalidCharacters),
            (too_long.as_str(), Reason::TooLong { max: 32 }),
        ];
        for (input, reason) in cases {
            assert_eq!(normalize_phone(input), Err(reason), "{input:?}");
        }
    }
}
