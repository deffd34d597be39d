//! A search text typed as (part of) a phone number, as the list index holds phone numbers:
//! in E.164 (`+46701234567`). People type a number as they say it (`070-123 45 67`,
//! `+46 70 123 45 67`, `0046…`, `46701234567`), so a search made only of digits and the
//! separators a number is written with is matched by its digits in international form
//! (without the `+`, so a part of a number still matches): a leading `00` or `+` is
//! dropped, a single leading `0` (the Swedish trunk prefix) becomes `46`, and `(0)` after a
//! country code goes. Anything holding a letter or an `@` is left as typed.

/// Fewest digits that make a search a phone number's (shorter ones, such as a year's last
/// two digits, are matched as typed).
const MIN_DIGITS: usize = 3;

/// What a list's text search should match for `typed`: the digits of a phone number in
/// international form when `typed` is written as a phone number, else `typed` itself.
pub fn normalized(typed: &str) -> String {
    phone_digits(typed).unwrap_or_else(|| typed.to_owned())
}

/// The digits of `typed` in international form, if `typed` is written as (part of) a phone
/// number.
fn phone_digits(typed: &str) -> Option<String> {
    let trimmed = typed.trim().replace("(0)", "");
    let mut digits = String::new();
    let mut plus = false;
    for (i, c) in trimmed.chars().enumerate() {
        match c {
            '+' if i == 0 => plus = true,
            '0'..='9' => digits.push(c),
            ' ' | '\u{a0}' | '-' | '\u{2010}' | '\u{2011}' | '\u{2013}' | '.' | '/' | '(' | ')' => {
            }
            _ => return None,
        }
    }
    if digits.len() < MIN_DIGITS {
        return None;
    }
    Some(if plus {
        digits
    } else if let Some(rest) = digits.strip_prefix("00") {
        rest.to_owned()
    } else if let Some(national) = digits.strip_prefix('0') {
        format!("46{national}")
    } else {
        digits
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_number_typed_any_usual_way_becomes_the_digits_of_its_e164_form() {
        for typed in [
            "070-123 45 67",
            "0701234567",
            "+46 70 123 45 67",
            "46701234567",
            "0046 70 123 45 67",
            "+46 (0)70-123 45 67",
            " 070.123.45.67 ",
        ] {
            assert_eq!(normalized(typed), "46701234567", "{typed:?}");
            assert!("+46701234567".contains(&normalized(typed)), "{typed:?}");
        }
    }

    #[test]
    fn a_part_of_a_number_still_matches_the_numbers_holding_it() {
        assert_eq!(normalized("070"), "4670");
        assert_eq!(normalized("123 45"), "12345");
        assert!("+46701234567".contains(&normalized("45 67")));
    }

    #[test]
    fn text_that_is_not_a_number_is_searched_as_typed() {
        for typed in ["Malmö", "anna@example.se", "7J8D-AV6F", "12", "Anna 070"] {
            assert_eq!(normalized(typed), typed);
        }
    }
}
