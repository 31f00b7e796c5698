//! Calendar time in UTC from a `SystemTime`, without a date crate: the
//! history table's timestamps and the names `revision --sql` gives files.
//! A leaf module: it imports nothing of the crate.

use std::time::{SystemTime, UNIX_EPOCH};

/// A moment in UTC, split into its calendar fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UtcDateTime {
    /// The year (1970 and later for any `SystemTime` after the epoch).
    pub year: i64,
    /// 1 to 12.
    pub month: u32,
    /// 1 to 31.
    pub day: u32,
    /// 0 to 23.
    pub hour: u32,
    /// 0 to 59.
    pub minute: u32,
    /// 0 to 59.
    pub second: u32,
    /// 0 to 999.
    pub millisecond: u32,
}

impl UtcDateTime {
    /// `time` in UTC; a time before the epoch counts as the epoch.
    pub fn from_system_time(time: SystemTime) -> Self {
        let since_epoch = time.duration_since(UNIX_EPOCH).unwrap_or_default();
        let seconds = since_epoch.as_secs() as i64;
        let (days, second_of_day) = (seconds.div_euclid(86_400), seconds.rem_euclid(86_400));
        let (year, month, day) = civil_date(days);
        UtcDateTime {
            year,
            month,
            day,
            hour: (second_of_day / 3600) as u32,
            minute: (second_of_day % 3600 / 60) as u32,
            second: (second_of_day % 60) as u32,
            millisecond: since_epoch.subsec_millis(),
        }
    }

    /// RFC 3339 with milliseconds: `2026-11-24T01:02:03.000Z`.
    pub fn rfc3339_millis(&self) -> String {
        format!(
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
            self.year, self.month, self.day, self.hour, self.minute, self.second, self.millisecond
        )
    }

    /// Digits only, to the second, as sqlx names its files: `20261124010203`.
    pub fn compact(&self) -> String {
        format!(
            "{:04}{:02}{:02}{:02}{:02}{:02}",
            self.year, self.month, self.day, self.hour, self.minute, self.second
        )
    }
}

/// The calendar date `days` after 1970-01-01 (Howard Hinnant's
/// days-to-civil algorithm), as (year, month, day).
pub fn civil_date(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z.rem_euclid(146_097);
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let mp = (5 * day_of_year + 2) / 153;
    let day = (day_of_year - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// The days from 1970-01-01 to a calendar date (the inverse of
/// [`civil_date`]).
pub fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let year = year - i64::from(month <= 2);
    let era = year.div_euclid(400);
    let year_of_era = year.rem_euclid(400);
    let month = i64::from(month);
    let day_of_year =
        (153 * (if month > 2 { month - 3 } else { month + 9 }) + 2) / 5 + i64::from(day) - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

/// Milliseconds since the epoch of a UTC timestamp as the bookkeeping
/// tables hold one: `2026-11-24T01:02:03.250Z`, with `T` or a space, the
/// fraction and the `Z` optional. `None` for anything else.
pub fn parse_millis(text: &str) -> Option<i64> {
    let text = text.trim().trim_end_matches('Z');
    let (date, time) = text.split_once(['T', ' '])?;
    let mut date = date.splitn(3, '-');
    let year: i64 = date.next()?.parse().ok()?;
    let month: u32 = date.next()?.parse().ok()?;
    let day: u32 = date.next()?.parse().ok()?;
    let (clock, fraction) = time.split_once('.').unwrap_or((time, ""));
    let mut clock = clock.splitn(3, ':');
    let hour: i64 = clock.next()?.parse().ok()?;
    let minute: i64 = clock.next()?.parse().ok()?;
    let second: i64 = clock.next()?.parse().ok()?;
    if !(1..=12).contains(&month) || !(1..=31).contains(&day) || hour > 23 || minute > 59 {
        return None;
    }
    let digits: String = fraction.chars().take(3).collect();
    let millis: i64 = if digits.is_empty() {
        0
    } else {
        format!("{digits:0<3}").parse().ok()?
    };
    let days = days_from_civil(year, month, day);
    Some(((days * 24 + hour) * 60 + minute) * 60_000 + second * 1000 + millis)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn dates_are_civil() {
        assert_eq!(civil_date(0), (1970, 1, 1));
        assert_eq!(civil_date(19_723), (2024, 1, 1));
        assert_eq!(civil_date(19_782), (2024, 2, 29));
        assert_eq!(civil_date(-1), (1969, 12, 31));
    }

    #[test]
    fn both_spellings() {
        let time = UNIX_EPOCH + Duration::from_millis((1_795_478_400 + 3_723) * 1000 + 250);
        let utc = UtcDateTime::from_system_time(time);
        assert_eq!(utc.rfc3339_millis(), "2026-11-24T01:02:03.250Z");
        assert_eq!(utc.compact(), "20261124010203");
        assert_eq!(
            parse_millis(&utc.rfc3339_millis()),
            Some((1_795_478_400 + 3_723) * 1000 + 250)
        );
    }

    #[test]
    fn timestamps_parse_back() {
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(days_from_civil(2024, 2, 29), 19_782);
        assert_eq!(days_from_civil(1969, 12, 31), -1);
        assert_eq!(parse_millis("1970-01-01T00:00:01Z"), Some(1000));
        assert_eq!(parse_millis("1970-01-01 00:01:00.5"), Some(60_500));
        assert_eq!(parse_millis("not a time"), None);
        assert_eq!(parse_millis("2026-13-01T00:00:00Z"), None);
    }
}
