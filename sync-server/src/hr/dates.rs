//! Times as Swedish HR staff read them: Swedish time (CET, or CEST from the last Sunday of
//! March to the last Sunday of October, switching at 01:00 UTC as the EU does), and the
//! start of a calendar day in Swedish time for date filters.

use kiosk_core::ids::{CalendarDate, civil_from_days, days_from_civil};

const DAY_MS: i64 = 86_400_000;
const HOUR_MS: i64 = 3_600_000;

/// 01:00 UTC on the last Sunday of `month` (March or October: both have 31 days).
fn switch_at(year: i64, month: i64) -> i64 {
    let last = days_from_civil(year, month, 31);
    // 1970-01-01 was a Thursday: day 0 is weekday 4, counting Sunday as 0.
    let sunday = last - (last + 4).rem_euclid(7);
    sunday * DAY_MS + HOUR_MS
}

/// Swedish time's offset from UTC at `utc_ms`.
pub(crate) fn offset_ms(utc_ms: i64) -> i64 {
    let (year, _, _) = civil_from_days(utc_ms.div_euclid(DAY_MS));
    if (switch_at(year, 3)..switch_at(year, 10)).contains(&utc_ms) {
        2 * HOUR_MS
    } else {
        HOUR_MS
    }
}

/// `2026-03-12 10:00` in Swedish time.
pub(crate) fn local_minutes(utc_ms: i64) -> String {
    let local = utc_ms + offset_ms(utc_ms);
    let (year, month, day) = civil_from_days(local.div_euclid(DAY_MS));
    let minute = local.rem_euclid(DAY_MS) / 60_000;
    format!(
        "{year:04}-{month:02}-{day:02} {:02}:{:02}",
        minute / 60,
        minute % 60
    )
}

/// `2026-03-12`: the Swedish calendar day of `utc_ms`.
pub(crate) fn local_date(utc_ms: i64) -> String {
    let local = utc_ms + offset_ms(utc_ms);
    let (year, month, day) = civil_from_days(local.div_euclid(DAY_MS));
    format!("{year:04}-{month:02}-{day:02}")
}

/// The moment `date` (`YYYY-MM-DD`) begins in Swedish time, `days_later` days on; `None`
/// if it is not a real date.
pub(crate) fn day_start_ms(date: &str, days_later: i64) -> Option<i64> {
    CalendarDate::parse(date)?;
    let field = |range: std::ops::Range<usize>| date[range].parse::<i64>().ok();
    let days = days_from_civil(field(0..4)?, field(5..7)?, field(8..10)?) + days_later;
    // Midnight comes before the 01:00 UTC switch, so the offset at UTC midnight is the
    // offset at local midnight too.
    let utc_midnight = days * DAY_MS;
    Some(utc_midnight - offset_ms(utc_midnight))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn swedish_time_follows_summer_time() {
        // 2026: summer time from 29 March to 25 October.
        let winter = days_from_civil(2026, 1, 15) * DAY_MS + 9 * HOUR_MS;
        assert_eq!(local_minutes(winter), "2026-01-15 10:00");
        let summer = days_from_civil(2026, 7, 1) * DAY_MS + 9 * HOUR_MS;
        assert_eq!(local_minutes(summer), "2026-07-01 11:00");
        let switch = days_from_civil(2026, 3, 29) * DAY_MS + HOUR_MS;
        assert_eq!(local_minutes(switch - 1), "2026-03-29 01:59");
        assert_eq!(local_minutes(switch), "2026-03-29 03:00");
        let back = days_from_civil(2026, 10, 25) * DAY_MS + HOUR_MS;
        assert_eq!(local_minutes(back - 1), "2026-10-25 02:59");
        assert_eq!(local_minutes(back), "2026-10-25 02:00");
    }

    #[test]
    fn a_day_starts_at_swedish_midnight() {
        let start = day_start_ms("2026-07-01", 0).expect("a date");
        assert_eq!(local_minutes(start), "2026-07-01 00:00");
        assert_eq!(local_minutes(start - 60_000), "2026-06-30 23:59");
        let next = day_start_ms("2026-12-31", 1).expect("a date");
        assert_eq!(local_minutes(next), "2027-01-01 00:00");
        assert_eq!(day_start_ms("2026-02-30", 0), None);
        assert_eq!(day_start_ms("yesterday", 0), None);
    }
}
