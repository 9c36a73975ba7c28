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

/// A full date and time, for a tooltip.
pub fn full(ms: i64, offset_min: i32) -> String {
    local(ms, offset_min)
        .map(|t| t.format("%A %-d %B %Y, %H:%M:%S").to_string())
        .unwrap_or_default()
}

/// The heading of a day separator: "Today", "Yesterday" or a date.
pub fn day_label(day: NaiveDate, today: Option<NaiveDate>) -> String {
    match today {
        Some(t) if t == day => "Today".to_owned(),
        Some(t) if t.pred_opt() == Some(day) => "Yesterday".to_owned(),
        Some(t) if t.year() == day.year() => day.format("%A %-d %B").to_string(),
        _ => day.format("%A %-d %B %Y").to_string(),
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
    fn labels() {
        let d = NaiveDate::from_ymd_opt(2026, 11, 22).unwrap();
        assert_eq!(day_label(d, Some(d)), "Today");
        assert_eq!(day_label(d, d.succ_opt()), "Yesterday");
        assert_eq!(
            day_label(d, NaiveDate::from_ymd_opt(2026, 12, 1)),
            "Sunday 22 November"
        );
        assert_eq!(
            day_label(d, NaiveDate::from_ymd_opt(2027, 1, 1)),
            "Sunday 22 November 2026"
        );
    }
}
