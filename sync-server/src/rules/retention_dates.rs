//! Calendar-month arithmetic for retention, on relay time (ms since the Unix epoch, UTC):
//! moving a moment by whole months, and the last receipt time that is due under a rule of
//! so many months. A day the target month lacks becomes its last day (31 January + 1 month
//! is 28 or 29 February); the time of day is kept.

use kiosk_core::ids::{civil_from_days, days_from_civil};

/// One day in ms.
pub const DAY_MS: i64 = 24 * 60 * 60 * 1000;

/// `at` plus `months` calendar months.
pub fn add_months(at: i64, months: u32) -> i64 {
    shift_months(at, i64::from(months))
}

/// The moment `months` calendar months before `at`.
pub fn months_before(at: i64, months: u32) -> i64 {
    shift_months(at, -i64::from(months))
}

/// `at` moved by `months` calendar months, forward or back, the time of day kept; a day
/// the target month lacks becomes its last day.
pub fn shift_months(at: i64, months: i64) -> i64 {
    let (year, month, day) = civil_from_days(at.div_euclid(DAY_MS));
    let total = year * 12 + (month - 1) + months;
    let (year, month) = (total.div_euclid(12), total.rem_euclid(12) + 1);
    let next = total + 1;
    let month_days = days_from_civil(next.div_euclid(12), next.rem_euclid(12) + 1, 1)
        - days_from_civil(year, month, 1);
    days_from_civil(year, month, day.min(month_days)) * DAY_MS + at.rem_euclid(DAY_MS)
}

/// The newest receipt time whose record is due at `as_of` under a rule of `months` months
/// after receipt: receipts at or before it are due. Months have different lengths (and a
/// clamped month end maps several days to one), so this is searched rather than
/// subtracted.
pub fn due_through(months: u32, as_of: i64) -> i64 {
    // Every record received up to 32 days × months before is due; none after `as_of`.
    let (mut low, mut high) = (as_of - i64::from(months) * 32 * DAY_MS, as_of);
    if add_months(high, months) <= as_of {
        return high;
    }
    while high - low > 1 {
        let middle = low + (high - low) / 2;
        if add_months(middle, months) <= as_of {
            low = middle;
        } else {
            high = middle;
        }
    }
    low
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `YYYY-MM-DDTHH:MM:SSZ` in ms.
    fn ms(date: &str) -> i64 {
        let number = |range: std::ops::Range<usize>| date[range].parse::<i64>().expect("digits");
        let days = days_from_civil(number(0..4), number(5..7), number(8..10));
        days * DAY_MS + (number(11..13) * 3600 + number(14..16) * 60 + number(17..19)) * 1000
    }

    #[test]
    fn months_are_calendar_months_and_clamp_to_the_months_end() {
        for (from, months, to) in [
            ("2024-03-15T10:00:00Z", 24, "2026-03-15T10:00:00Z"),
            ("2025-01-31T12:00:00Z", 1, "2025-02-28T12:00:00Z"),
            ("2025-03-31T12:00:00Z", 1, "2025-04-30T12:00:00Z"),
            ("2025-11-30T00:00:00Z", 2, "2026-01-30T00:00:00Z"),
            ("2025-12-31T23:59:59Z", 1, "2026-01-31T23:59:59Z"),
            ("2025-08-31T06:00:00Z", 0, "2025-08-31T06:00:00Z"),
        ] {
            assert_eq!(add_months(ms(from), months), ms(to), "{from} + {months}");
        }
    }

    #[test]
    fn leap_days_are_kept_in_leap_years_and_clamped_in_others() {
        for (from, months, to) in [
            ("2023-01-31T12:00:00Z", 13, "2024-02-29T12:00:00Z"),
            ("2024-01-31T00:00:00Z", 1, "2024-02-29T00:00:00Z"),
            ("2024-02-29T08:00:00Z", 12, "2025-02-28T08:00:00Z"),
            ("2024-02-29T08:00:00Z", 48, "2028-02-29T08:00:00Z"),
            // 2100 is not a leap year; 2000 was.
            ("2099-02-28T00:00:00Z", 12, "2100-02-28T00:00:00Z"),
            ("2100-01-29T00:00:00Z", 1, "2100-02-28T00:00:00Z"),
            ("1999-01-29T00:00:00Z", 13, "2000-02-29T00:00:00Z"),
        ] {
            assert_eq!(add_months(ms(from), months), ms(to), "{from} + {months}");
        }
    }

    #[test]
    fn months_before_counts_calendar_months_back() {
        for (from, months, to) in [
            ("2026-03-15T01:00:00Z", 60, "2021-03-15T01:00:00Z"),
            ("2026-03-31T01:00:00Z", 1, "2026-02-28T01:00:00Z"),
            ("2024-03-31T01:00:00Z", 1, "2024-02-29T01:00:00Z"),
            ("2025-02-28T01:00:00Z", 12, "2024-02-28T01:00:00Z"),
            ("2024-02-29T01:00:00Z", 12, "2023-02-28T01:00:00Z"),
            ("2026-01-10T01:00:00Z", 13, "2024-12-10T01:00:00Z"),
            ("2026-01-10T01:00:00Z", 0, "2026-01-10T01:00:00Z"),
        ] {
            assert_eq!(months_before(ms(from), months), ms(to), "{from} - {months}");
            assert_eq!(shift_months(ms(from), -i64::from(months)), ms(to));
        }
    }

    #[test]
    fn times_before_the_epoch_keep_their_time_of_day() {
        assert_eq!(
            add_months(ms("1969-12-31T23:00:00Z"), 2),
            ms("1970-02-28T23:00:00Z")
        );
        assert!(ms("1969-12-31T23:00:00Z") < 0);
    }

    #[test]
    fn due_through_is_the_last_receipt_time_that_is_due() {
        for months in [0, 1, 6, 24] {
            for as_of in [
                ms("2026-02-28T09:30:00Z"),
                ms("2026-03-31T23:59:59Z"),
                ms("2024-02-29T00:00:00Z"),
                ms("2026-07-01T00:00:00Z"),
            ] {
                let through = due_through(months, as_of);
                assert!(add_months(through, months) <= as_of, "due");
                assert!(
                    add_months(through + 1, months) > as_of,
                    "the next instant is not ({months} months, as of {as_of})"
                );
            }
        }
    }

    #[test]
    fn at_a_clamped_month_end_every_receipt_that_maps_onto_it_is_due() {
        // 28, 29, 30 and 31 August + 6 months all land on 28 February 2026.
        let as_of = ms("2026-02-28T12:00:00Z");
        assert_eq!(due_through(6, as_of), ms("2025-08-31T12:00:00Z"));
    }
}
