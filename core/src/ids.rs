//! Identifiers and time values shared by documents, the store and the protocol.
//!
//! Each identifier is a newtype so a registration id can never be passed where an event id is
//! expected. In Automerge documents they are stored as their string form.

use std::fmt;

use autosurgeon::{Hydrate, HydrateError, Reconcile, Reconciler};
use ed25519_dalek::VerifyingKey;
use serde::{Deserialize, Serialize};

/// A registration's id: a UUIDv7, so ids sort by capture time and need no coordination
/// between offline tablets.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct RegistrationId(String);

impl RegistrationId {
    /// A new id for a registration captured at `captured_at`, from the system's random source.
    pub fn new(captured_at: Timestamp) -> RegistrationId {
        Self::from_parts(captured_at, rand::random())
    }

    /// The id for `captured_at` with the given 10 random bytes (for reproducible test data).
    pub fn from_parts(captured_at: Timestamp, random: [u8; 10]) -> RegistrationId {
        let millis = u64::try_from(captured_at.0).unwrap_or(0);
        let uuid = uuid::Builder::from_unix_timestamp_millis(millis, &random).into_uuid();
        RegistrationId(uuid.hyphenated().to_string())
    }

    /// Parses a UUID in its hyphenated form; `None` for anything else.
    pub fn parse(text: &str) -> Option<RegistrationId> {
        let uuid = uuid::Uuid::try_parse(text).ok()?;
        Some(RegistrationId(uuid.hyphenated().to_string()))
    }
}

/// An event's id: a short lowercase slug chosen by HR (`sthlm-career-fair-2026`), stable for
/// the event's life.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct EventId(String);

impl EventId {
    /// Accepts 3–64 characters of `a-z`, `0-9` and inner hyphens.
    pub fn parse(text: &str) -> Option<EventId> {
        let valid_length = (3..=64).contains(&text.len());
        let valid_chars = text
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        let inner_hyphens = !text.starts_with('-') && !text.ends_with('-');
        (valid_length && valid_chars && inner_hyphens).then(|| EventId(text.to_owned()))
    }
}

/// The version of a published form and privacy notice: the hex SHA-256 of its canonical
/// bytes (see [`crate::form::FormDefinition::version`]), so a version names exactly one text.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct FormVersion(String);

impl FormVersion {
    pub(crate) fn from_digest(digest: &[u8]) -> FormVersion {
        FormVersion(hex::encode(digest))
    }

    /// Accepts 64 lowercase hex digits.
    pub fn parse(text: &str) -> Option<FormVersion> {
        let valid =
            text.len() == 64 && text.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
        valid.then(|| FormVersion(text.to_owned()))
    }

    /// The first 12 hex digits, enough for people to tell versions apart on screen.
    pub fn short(&self) -> &str {
        &self.0[..12.min(self.0.len())]
    }
}

/// A device's id: the hex form of its Ed25519 public key, so anyone holding the id can
/// verify what the device signed.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct DeviceId(String);

impl DeviceId {
    pub fn from_public_key(key: &VerifyingKey) -> DeviceId {
        DeviceId(hex::encode(key.as_bytes()))
    }

    /// The public key this id names, if it is one.
    pub fn public_key(&self) -> Option<VerifyingKey> {
        let bytes: [u8; 32] = hex::decode(&self.0).ok()?.try_into().ok()?;
        VerifyingKey::from_bytes(&bytes).ok()
    }

    /// Accepts the hex form of a valid Ed25519 public key.
    pub fn parse(text: &str) -> Option<DeviceId> {
        if !text.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) {
            return None;
        }
        let id = DeviceId(text.to_owned());
        id.public_key().map(|_| id)
    }
}

/// What every string identifier shares: `as_str`, `Display`, and its form in documents, a
/// scalar string. Reading one that does not parse is an error: a malformed id in a document
/// from elsewhere is refused, not carried along.
macro_rules! document_string {
    ($type:ident, $expected:literal) => {
        impl $type {
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $type {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl Reconcile for $type {
            type Key<'a> = autosurgeon::reconcile::NoKey;

            fn reconcile<R: Reconciler>(&self, mut reconciler: R) -> Result<(), R::Error> {
                reconciler.str(self.as_str())
            }
        }

        impl Hydrate for $type {
            fn hydrate_string(text: &'_ str) -> Result<Self, HydrateError> {
                $type::parse(text).ok_or_else(|| {
                    HydrateError::unexpected($expected, "a string of another form".to_owned())
                })
            }
        }
    };
}

document_string!(RegistrationId, "a UUID");
document_string!(EventId, "an event slug");
document_string!(FormVersion, "a hex SHA-256");
document_string!(DeviceId, "a hex Ed25519 public key");
document_string!(CalendarDate, "a YYYY-MM-DD date");

/// A moment as milliseconds since the Unix epoch, UTC. Device clocks are recorded, never
/// trusted: the relay's clock decides retention.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    Reconcile,
    Hydrate,
)]
pub struct Timestamp(pub i64);

impl Timestamp {
    /// The system clock now.
    pub fn now() -> Timestamp {
        let since_epoch = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default();
        Timestamp(i64::try_from(since_epoch.as_millis()).unwrap_or(i64::MAX))
    }

    pub fn millis(self) -> i64 {
        self.0
    }

    /// The UTC date and time, `2026-03-12 09:00 UTC`, for people reading a terminal.
    pub fn utc_minutes(self) -> String {
        let minutes = self.0.div_euclid(60_000);
        let (days, minute_of_day) = (minutes.div_euclid(1440), minutes.rem_euclid(1440));
        let (year, month, day) = civil_from_days(days);
        format!(
            "{year:04}-{month:02}-{day:02} {:02}:{:02} UTC",
            minute_of_day / 60,
            minute_of_day % 60
        )
    }

    /// The UTC date and time in ISO 8601, to the second: `2026-03-12T09:00:00Z`, for files
    /// other programs read (exports).
    pub fn utc_iso8601(self) -> String {
        let seconds = self.0.div_euclid(1000);
        let (days, second_of_day) = (seconds.div_euclid(86_400), seconds.rem_euclid(86_400));
        let (year, month, day) = civil_from_days(days);
        format!(
            "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
            second_of_day / 3600,
            second_of_day / 60 % 60,
            second_of_day % 60
        )
    }
}

/// Days from 1970-01-01 to the date (Howard Hinnant's algorithm).
pub fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The (year, month, day) of a day counted from 1970-01-01 (Howard Hinnant's algorithm).
pub fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(month <= 2), month, day)
}

/// A calendar date (`YYYY-MM-DD`) without a time zone, as events are planned.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct CalendarDate(String);

impl CalendarDate {
    /// Accepts a real date in `YYYY-MM-DD` form between 2000 and 2999.
    pub fn parse(text: &str) -> Option<CalendarDate> {
        let bytes = text.as_bytes();
        let shape_ok = bytes.len() == 10
            && bytes[4] == b'-'
            && bytes[7] == b'-'
            && bytes
                .iter()
                .enumerate()
                .all(|(i, b)| i == 4 || i == 7 || b.is_ascii_digit());
        if !shape_ok {
            return None;
        }
        let year: u32 = text[0..4].parse().ok()?;
        let month: u32 = text[5..7].parse().ok()?;
        let day: u32 = text[8..10].parse().ok()?;
        let leap =
            (year.is_multiple_of(4) && !year.is_multiple_of(100)) || year.is_multiple_of(400);
        let days_in_month = match month {
            1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
            4 | 6 | 9 | 11 => 30,
            2 if leap => 29,
            2 => 28,
            _ => return None,
        };
        let valid = (2000..=2999).contains(&year) && (1..=days_in_month).contains(&day);
        valid.then(|| CalendarDate(text.to_owned()))
    }

    /// The UTC date of `at`, `days_later` days on.
    pub fn of(at: Timestamp, days_later: i64) -> Option<CalendarDate> {
        let (year, month, day) = civil_from_days(at.0.div_euclid(86_400_000) + days_later);
        CalendarDate::parse(&format!("{year:04}-{month:02}-{day:02}"))
    }

    /// The start of the day after this date, UTC (the latest any time zone in Sweden's
    /// neighbourhood is still on this date, give or take two hours).
    pub fn end(&self) -> Timestamp {
        let field = |range: std::ops::Range<usize>| self.0[range].parse::<i64>().unwrap_or(0);
        let (year, month, day) = (field(0..4), field(5..7), field(8..10));
        Timestamp((days_from_civil(year, month, day) + 1) * 86_400_000)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn calendar_days_and_dates_convert_both_ways() {
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(civil_from_days(days_from_civil(2024, 2, 29)), (2024, 2, 29));
        for days in (-800_000..800_000).step_by(997) {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m, d), days);
        }
    }

    #[test]
    fn a_date_ends_at_the_next_midnight_utc() {
        let end = CalendarDate::parse("2026-03-12").expect("date").end();
        assert_eq!(end.utc_minutes(), "2026-03-13 00:00 UTC");
        let leap = CalendarDate::parse("2028-02-29").expect("date").end();
        assert_eq!(leap.utc_minutes(), "2028-03-01 00:00 UTC");
        let year_end = CalendarDate::parse("2026-12-31").expect("date").end();
        assert_eq!(year_end.utc_minutes(), "2027-01-01 00:00 UTC");
        let day = CalendarDate::parse("2026-11-22").expect("date");
        assert_eq!(
            CalendarDate::of(Timestamp(day.end().0 - 1), 0),
            Some(day.clone())
        );
        assert_eq!(
            CalendarDate::of(day.end(), -1),
            Some(day),
            "a date and its end round-trip"
        );
    }

    #[test]
    fn registration_ids_are_uuid_v7_ordered_by_capture_time() {
        let earlier = RegistrationId::from_parts(Timestamp(1_780_000_000_000), [9; 10]);
        let later = RegistrationId::from_parts(Timestamp(1_780_000_000_001), [0; 10]);
        assert!(earlier < later);
        let parsed = uuid::Uuid::parse_str(earlier.as_str()).expect("a uuid");
        assert_eq!(parsed.get_version_num(), 7);
        assert_eq!(RegistrationId::parse(earlier.as_str()), Some(earlier));
        assert_eq!(RegistrationId::parse("not-a-uuid"), None);
    }

    #[test]
    fn event_ids_are_lowercase_slugs() {
        assert!(EventId::parse("sthlm-career-fair-2026").is_some());
        for bad in [
            "ab",
            "Upper",
            "-lead",
            "trail-",
            "space here",
            "å-event",
            &"x".repeat(65),
        ] {
            assert!(EventId::parse(bad).is_none(), "{bad:?} should be refused");
        }
    }

    #[test]
    fn calendar_dates_must_exist() {
        assert!(CalendarDate::parse("2026-03-12").is_some());
        assert!(CalendarDate::parse("2028-02-29").is_some());
        for bad in [
            "2026-02-29",
            "2026-13-01",
            "2026-04-31",
            "26-03-12",
            "2026/03/12",
            "2026-3-12",
        ] {
            assert!(
                CalendarDate::parse(bad).is_none(),
                "{bad:?} should be refused"
            );
        }
    }

    #[test]
    fn timestamps_read_as_utc_dates() {
        assert_eq!(Timestamp(0).utc_iso8601(), "1970-01-01T00:00:00Z");
        assert_eq!(
            Timestamp(1_773_306_061_999).utc_iso8601(),
            "2026-03-12T09:01:01Z"
        );
        assert_eq!(Timestamp(-1).utc_iso8601(), "1969-12-31T23:59:59Z");
        assert_eq!(Timestamp(0).utc_minutes(), "1970-01-01 00:00 UTC");
        assert_eq!(
            Timestamp(1_772_352_000_000).utc_minutes(),
            "2026-03-01 08:00 UTC"
        );
        assert_eq!(
            Timestamp(1_709_164_800_000).utc_minutes(),
            "2024-02-29 00:00 UTC"
        );
    }

    #[test]
    fn device_id_names_its_public_key() {
        let key = ed25519_dalek::SigningKey::from_bytes(&[7; 32]).verifying_key();
        let id = DeviceId::from_public_key(&key);
        assert_eq!(id.as_str().len(), 64);
        assert_eq!(id.public_key(), Some(key));
        assert_eq!(DeviceId::parse(id.as_str()), Some(id.clone()));
        assert_eq!(DeviceId::parse(&id.as_str().to_uppercase()), None);
        assert_eq!(DeviceId::parse("abcd"), None);
    }
}
