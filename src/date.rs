//! Calendar dates for the two places a server prints one: the HTTP `Date`
//! header (`Sun, 06 Nov 1994 08:49:37 GMT`) and the access log
//! (`06/Nov/1994 08:49:37`); and the ISO 8601 time of a recorded request
//! (`1994-11-06T08:49:37.000Z`, see `crate::record`).
//!
//! A leaf module (it imports nothing from the crate), so that `handlers`
//! and `http` can both use it without importing each other. std has no
//! calendar, and a date crate for two formats would be the larger part of
//! the library's dependencies.

use std::time::{SystemTime, UNIX_EPOCH};

const MONTH_NAMES: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];
const WEEKDAY_NAMES: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];

/// A UTC calendar time, from a Unix timestamp.
struct CivilTime {
    year: i64,
    month: u32,
    month_name: &'static str,
    day: u32,
    weekday_name: &'static str,
    hour: u32,
    minute: u32,
    second: u32,
}

/// Break `time` into UTC calendar fields (Howard Hinnant's `civil_from_days`).
fn civil_time(time: SystemTime) -> CivilTime {
    let seconds = time.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs()) as i64;
    let days = seconds.div_euclid(86_400);
    let second_of_day = seconds.rem_euclid(86_400) as u32;
    let shifted = days + 719_468;
    let era = shifted.div_euclid(146_097);
    let day_of_era = shifted.rem_euclid(146_097);
    let year_of_era = (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_index = (5 * day_of_year + 2) / 153; // 0 = March
    let day = (day_of_year - (153 * month_index + 2) / 5 + 1) as u32;
    let month = if month_index < 10 {
        month_index + 3
    } else {
        month_index - 9
    };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    CivilTime {
        year,
        month: month as u32,
        month_name: MONTH_NAMES[(month - 1) as usize],
        day,
        // 1970-01-01 was a Thursday (index 3 from Monday).
        weekday_name: WEEKDAY_NAMES[(days + 3).rem_euclid(7) as usize],
        hour: second_of_day / 3600,
        minute: second_of_day / 60 % 60,
        second: second_of_day % 60,
    }
}

/// Format a time as an HTTP-date: `Sun, 06 Nov 1994 08:49:37 GMT`.
///
/// # Example
///
/// ```
/// use std::time::{Duration, UNIX_EPOCH};
/// let time = UNIX_EPOCH + Duration::from_secs(784_111_777);
/// assert_eq!(wsgiref::handlers::format_date_time(time), "Sun, 06 Nov 1994 08:49:37 GMT");
/// ```
///
/// Mirrors `wsgiref.handlers.format_date_time`; spec: RFC 9110 §5.6.7 (IMF-fixdate).
pub fn format_date_time(time: SystemTime) -> String {
    let t = civil_time(time);
    format!(
        "{}, {:02} {} {:04} {:02}:{:02}:{:02} GMT",
        t.weekday_name, t.day, t.month_name, t.year, t.hour, t.minute, t.second
    )
}

/// `22/Nov/2026 18:16:30`, in UTC.
///
/// Mirrors `http.server.BaseHTTPRequestHandler.log_date_time_string`
/// (which prints local time; std has no time zone database).
pub(crate) fn log_date_time_string(time: SystemTime) -> String {
    let t = civil_time(time);
    format!(
        "{:02}/{}/{:04} {:02}:{:02}:{:02}",
        t.day, t.month_name, t.year, t.hour, t.minute, t.second
    )
}

/// `2026-11-24T18:16:30.123Z`: UTC, to the millisecond (RFC 3339).
pub(crate) fn iso_8601(time: SystemTime) -> String {
    let t = civil_time(time);
    let millis = time.duration_since(UNIX_EPOCH).map_or(0, |d| d.subsec_millis());
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{millis:03}Z",
        t.year, t.month, t.day, t.hour, t.minute, t.second
    )
}

/// The time [`iso_8601`] wrote: `YYYY-MM-DDTHH:MM:SS` followed by an
/// optional fraction of a second (up to 9 digits) and `Z`; `None` for
/// anything else or a time before 1970.
pub(crate) fn parse_iso_8601(text: &str) -> Option<SystemTime> {
    let (whole, fraction) = match text.strip_suffix('Z')?.split_once('.') {
        Some((whole, fraction)) => (whole, fraction),
        None => (text.strip_suffix('Z')?, ""),
    };
    let bytes = whole.as_bytes();
    if bytes.len() != 19 || [bytes[4], bytes[7], bytes[10], bytes[13], bytes[16]] != *b"--T::" {
        return None;
    }
    let field = |range: std::ops::Range<usize>| -> Option<u64> {
        let digits = &whole[range];
        digits
            .bytes()
            .all(|b| b.is_ascii_digit())
            .then(|| digits.parse().ok())?
    };
    let (year, month, day) = (field(0..4)?, field(5..7)?, field(8..10)?);
    let (hour, minute, second) = (field(11..13)?, field(14..16)?, field(17..19)?);
    let valid = (1..=12).contains(&month) && (1..=31).contains(&day) && hour < 24 && minute < 60 && second < 60;
    if !valid || year < 1970 || fraction.len() > 9 || !fraction.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let nanos: u32 = format!("{fraction:0<9}").parse().ok()?;
    let days = days_from_civil(year as i64, month as i64, day as i64);
    let seconds = days as u64 * 86_400 + hour * 3600 + minute * 60 + second;
    Some(UNIX_EPOCH + std::time::Duration::new(seconds, nanos))
}

/// Days from 1970-01-01 to a date of the proleptic Gregorian calendar
/// (Howard Hinnant's `days_from_civil`, the inverse of [`civil_time`]'s).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year.rem_euclid(400);
    let day_of_year = (153 * ((month + 9) % 12) + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn civil_time_known_dates() {
        let cases = [
            (0, "01/Jan/1970 00:00:00"),
            (784_111_777, "06/Nov/1994 08:49:37"),
            (951_782_400, "29/Feb/2000 00:00:00"),
            (1_795_544_190, "24/Nov/2026 18:16:30"),
        ];
        for (seconds, expected) in cases {
            let time = UNIX_EPOCH + Duration::from_secs(seconds);
            assert_eq!(log_date_time_string(time), expected, "timestamp {seconds}");
        }
    }

    #[test]
    fn iso_8601_round_trips() {
        for millis in [
            0u64,
            784_111_777_123,
            951_782_400_999,
            1_795_544_190_001,
            4_107_542_400_500,
        ] {
            let time = UNIX_EPOCH + Duration::from_millis(millis);
            assert_eq!(parse_iso_8601(&iso_8601(time)), Some(time), "{}", iso_8601(time));
        }
        let time = UNIX_EPOCH + Duration::from_secs(784_111_777);
        assert_eq!(iso_8601(time), "1994-11-06T08:49:37.000Z");
        assert_eq!(parse_iso_8601("1994-11-06T08:49:37Z"), Some(time));
        for bad in [
            "1994-11-06 08:49:37Z",
            "1994-13-06T08:49:37Z",
            "1994-11-06T08:49:37",
            "1969-12-31T23:59:59Z",
            "1994-11-06T08:49:37.Z1",
            "+994-11-06T08:49:37Z",
        ] {
            assert_eq!(parse_iso_8601(bad), None, "{bad}");
        }
    }
}
