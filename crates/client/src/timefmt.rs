//! Times and days of messages, in the reader's time zone.
//!
//! The browser supplies the zone as an offset (`Date.getTimezoneOffset()`,
//! minutes *behind* UTC); these functions only do arithmetic, so they run
//! and are tested anywhere.

use chrono::{DateTime, Datelike, FixedOffset, NaiveDate, Utc};

fn local(ms: i64, offset_min: i32) -> Option<DateTime<FixedOffset>> {
    let zone = FixedOffset::west_opt(offset_min.saturating_mul(60))?;
    DateTime::<Utc>::from_timestamp_millis(ms).map(|t| t.with_timezone(&zone))
}

/// The calendar day of `ms` where the reader is.
pub fn day(ms: i64, offset_min: i32) -> Option<NaiveDate> {
    local(ms, offset_min).map(|t| t.date_naive())
}

/// `HH:MM` of `ms` where the reader is.
pub fn clock(ms: i64, offset_min: i32) -> String {
    local(ms, offset_min)
        .map(|t| t.format("%H:%M").to_string())
        .unwrap_or_default()
}

/// `HH:MM:SS` of `ms` where the reader is.
pub fn clock_seconds(ms: i64, offset_min: i32) -> String {
    local(ms, offset_min)
        .map(|t| t.format("%H:%M:%S").to_string())
        .unwrap_or_default()
}

/// How a day separator names `day`, seen on `today`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DayName {
    Today,
    Yesterday,
    /// Weekday (0 = Sunday), day of the month, month (1 = January).
    ThisYear {
        weekday: u32,
        day: u32,
        month: u32,
    },
    OtherYear {
        weekday: u32,
        day: u32,
        month: u32,
        year: i32,
    },
}

/// Names `day` relative to `today` (the reader's calendar day).
pub fn day_name(day: NaiveDate, today: Option<NaiveDate>) -> DayName {
    let (weekday, d, month) = (day.weekday().num_days_from_sunday(), day.day(), day.month());
    match today {
        Some(t) if t == day => DayName::Today,
        Some(t) if t.pred_opt() == Some(day) => DayName::Yesterday,
        Some(t) if t.year() == day.year() => DayName::ThisYear {
            weekday,
            day: d,
            month,
        },
        _ => DayName::OtherYear {
            weekday,
            day: d,
            month,
            year: day.year(),
        },
    }
}

/// How long ago `then_ms` was at `now_ms`, as people say it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ago {
    /// Under a minute (or in the future: clocks differ).
    JustNow,
    Minutes(i64),
    Hours(i64),
    /// A day or more: say the date instead.
    Long,
}

/// "3 minutes ago" up to a day; then the date is clearer.
pub fn ago(then_ms: i64, now_ms: i64) -> Ago {
    let minutes = (now_ms - then_ms) / 60_000;
    match minutes {
        ..=0 => Ago::JustNow,
        1..=59 => Ago::Minutes(minutes),
        60..=1439 => Ago::Hours(minutes / 60),
        _ => Ago::Long,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // 2026-11-22T23:30:00Z
    const LATE: i64 = 1_795_390_200_000;

    #[test]
    fn days_follow_the_readers_zone() {
        let utc = day(LATE, 0).unwrap();
        assert_eq!(utc.to_string(), "2026-11-22");
        // UTC+1 (offset -60): already the 23rd.
        assert_eq!(day(LATE, -60).unwrap().to_string(), "2026-11-23");
        // UTC-5 (offset 300): still the 22nd, 18:30.
        assert_eq!(clock(LATE, 300), "18:30");
        assert_eq!(clock(LATE, 0), "23:30");
        assert!(day(LATE, 100_000).is_none());
    }

    #[test]
    fn day_names() {
        let d = NaiveDate::from_ymd_opt(2026, 11, 22).unwrap();
        assert_eq!(day_name(d, Some(d)), DayName::Today);
        assert_eq!(day_name(d, d.succ_opt()), DayName::Yesterday);
        let sunday = (0, 22, 11);
        assert_eq!(
            day_name(d, NaiveDate::from_ymd_opt(2026, 12, 1)),
            DayName::ThisYear {
                weekday: sunday.0,
                day: sunday.1,
                month: sunday.2
            }
        );
        assert_eq!(
            day_name(d, NaiveDate::from_ymd_opt(2027, 1, 1)),
            DayName::OtherYear {
                weekday: 0,
                day: 22,
                month: 11,
                year: 2026
            }
        );
    }

    #[test]
    fn ages() {
        assert_eq!(ago(LATE, LATE + 59_999), Ago::JustNow);
        assert_eq!(ago(LATE, LATE - 5_000), Ago::JustNow);
        assert_eq!(ago(LATE, LATE + 60_000), Ago::Minutes(1));
        assert_eq!(ago(LATE, LATE + 59 * 60_000), Ago::Minutes(59));
        assert_eq!(ago(LATE, LATE + 3_600_000), Ago::Hours(1));
        assert_eq!(ago(LATE, LATE + 24 * 3_600_000), Ago::Long);
        assert_eq!(clock_seconds(LATE + 7_000, 0), "23:30:07");
    }
}
