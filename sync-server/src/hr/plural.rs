//! Counts in words, for every page and document that shows one: a text whose form depends
//! on a count ([`Plural`], "1 registrering" / "2 registreringar"), a count of minutes, hours
//! or months in either language ([`amount`]), and a wait in whole minutes ([`wait_minutes`]).
//! Swedish and English both take the singular for exactly one and the plural for every
//! other count, zero included ("0 registreringar", "0 registrations").

use kiosk_core::language::Language;

use super::wording::fill;

/// A text in the two forms a count asks for, as gettext's `ngettext` keeps them: `one` for
/// exactly 1 and `other` for any other count. Each form may hold the count's `{}`; whole
/// phrases (not a noun alone) let adjectives and verbs agree too ("1 skyddad registrering",
/// "2 skyddade registreringar").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Plural {
    pub one: &'static str,
    pub other: &'static str,
}

impl Plural {
    /// The form for `count`, its `{}` filled with the count.
    pub(crate) fn of(&self, count: impl TryInto<u64> + std::fmt::Display + Copy) -> String {
        let form = match count.try_into() {
            Ok(1) => self.one,
            _ => self.other,
        };
        fill(form, count)
    }
}

/// A unit a console text counts in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Unit {
    Minutes,
    Hours,
    Months,
}

/// `count` `unit`s in `lang`, in agreement: "1 minut", "15 minuter", "1 month", "24 months".
pub(crate) fn amount(lang: Language, count: u64, unit: Unit) -> String {
    let plural = match (lang, unit) {
        (Language::Swedish, Unit::Minutes) => Plural {
            one: "{} minut",
            other: "{} minuter",
        },
        (Language::Swedish, Unit::Hours) => Plural {
            one: "{} timme",
            other: "{} timmar",
        },
        (Language::Swedish, Unit::Months) => Plural {
            one: "{} månad",
            other: "{} månader",
        },
        (Language::English, Unit::Minutes) => Plural {
            one: "{} minute",
            other: "{} minutes",
        },
        (Language::English, Unit::Hours) => Plural {
            one: "{} hour",
            other: "{} hours",
        },
        (Language::English, Unit::Months) => Plural {
            one: "{} month",
            other: "{} months",
        },
    };
    plural.of(count)
}

/// A wait of `seconds` as whole minutes, rounded up so that whoever waits that long is not
/// turned away again (898 s is 15 minutes), and never less than one minute: people read
/// minutes, not a countdown in seconds.
pub(crate) fn wait_minutes(seconds: u64) -> u64 {
    seconds.div_ceil(60).max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    const FOUND: Plural = Plural {
        one: "1 skyddad registrering hittades.",
        other: "{} skyddade registreringar hittades.",
    };

    #[test]
    fn one_takes_the_singular_and_every_other_count_the_plural() {
        assert_eq!(FOUND.of(1_u64), "1 skyddad registrering hittades.");
        assert_eq!(FOUND.of(2_u64), "2 skyddade registreringar hittades.");
        assert_eq!(FOUND.of(0_usize), "0 skyddade registreringar hittades.");
        assert_eq!(FOUND.of(21_u32), "21 skyddade registreringar hittades.");
        // A negative count (a difference) is never "one".
        assert_eq!(FOUND.of(-1_i64), "-1 skyddade registreringar hittades.");
    }

    #[test]
    fn units_agree_with_their_count_in_swedish_and_english() {
        assert_eq!(amount(Language::Swedish, 1, Unit::Minutes), "1 minut");
        assert_eq!(amount(Language::Swedish, 15, Unit::Minutes), "15 minuter");
        assert_eq!(amount(Language::Swedish, 1, Unit::Hours), "1 timme");
        assert_eq!(amount(Language::Swedish, 24, Unit::Hours), "24 timmar");
        assert_eq!(amount(Language::Swedish, 1, Unit::Months), "1 månad");
        assert_eq!(amount(Language::Swedish, 24, Unit::Months), "24 månader");
        assert_eq!(amount(Language::English, 1, Unit::Minutes), "1 minute");
        assert_eq!(amount(Language::English, 15, Unit::Minutes), "15 minutes");
        assert_eq!(amount(Language::English, 1, Unit::Hours), "1 hour");
        assert_eq!(amount(Language::English, 1, Unit::Months), "1 month");
        assert_eq!(amount(Language::English, 0, Unit::Months), "0 months");
    }

    #[test]
    fn a_wait_is_whole_minutes_rounded_up_and_at_least_one() {
        assert_eq!(wait_minutes(898), 15);
        assert_eq!(wait_minutes(900), 15);
        assert_eq!(wait_minutes(901), 16);
        assert_eq!(wait_minutes(60), 1);
        assert_eq!(wait_minutes(59), 1);
        assert_eq!(wait_minutes(1), 1);
        assert_eq!(wait_minutes(0), 1);
    }
}
