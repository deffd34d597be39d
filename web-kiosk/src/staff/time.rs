//! Times as staff read them: `2026-12-06 09:30 UTC`. The shell has no time-zone data and
//! staff compare these with the relay and HR, which speak UTC.

/// `ms` (since the Unix epoch) as a UTC date and minute.
pub fn utc_minutes(ms: i64) -> String {
    let secs = ms.div_euclid(1000);
    let days = secs.div_euclid(86_400);
    let of_day = secs.rem_euclid(86_400);
    let (year, month, day) = civil_from_days(days);
    format!(
        "{year:04}-{month:02}-{day:02} {:02}:{:02} UTC",
        of_day / 3600,
        (of_day % 3600) / 60
    )
}

/// The proleptic Gregorian date of a day number (days since 1970-01-01), after Howard
/// Hinnant's `civil_from_days`.
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_instants_read_as_their_utc_dates() {
        assert_eq!(utc_minutes(0), "1970-01-01 00:00 UTC");
        // 2000-02-29 23:59:59 UTC, a leap day.
        assert_eq!(utc_minutes(951_868_799_000), "2000-02-29 23:59 UTC");
        // 2026-12-06 09:30:00 UTC.
        assert_eq!(utc_minutes(1_796_549_400_000), "2026-12-06 09:30 UTC");
        assert_eq!(utc_minutes(-60_000), "1969-12-31 23:59 UTC");
    }
}
