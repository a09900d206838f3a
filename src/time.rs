//! Dates and times, in UTC, on jiff: the one place kaudit turns seconds into dates.

use jiff::Timestamp;

/// Seconds since the epoch as `YYYY-MM-DDTHH:MM:SSZ` (clamped to what a date can hold).
pub fn rfc3339(secs: i64) -> String {
    let secs = secs.clamp(Timestamp::MIN.as_second(), Timestamp::MAX.as_second());
    Timestamp::from_second(secs).map_or_else(
        |_| "1970-01-01T00:00:00Z".into(),
        |t| t.strftime("%Y-%m-%dT%H:%M:%SZ").to_string(),
    )
}

/// Now, to the second: `2026-11-26T17:34:09Z`.
pub fn now_rfc3339() -> String {
    rfc3339(Timestamp::now().as_second())
}

/// Seconds since the epoch, now.
pub fn unix_now() -> i64 {
    Timestamp::now().as_second()
}

/// Today's date: `2026-11-26` (exemption expiry, the dates of reports).
pub fn today() -> String {
    Timestamp::now().strftime("%Y-%m-%d").to_string()
}

/// Now as a file-name stamp: `20261126-173409`.
pub fn file_stamp() -> String {
    Timestamp::now().strftime("%Y%m%d-%H%M%S").to_string()
}

/// RFC 3339 time as (seconds since the epoch, nanoseconds), for audit-log windows and
/// ordering; `None` for anything else. Hand-written rather than jiff's parser: it runs for
/// every event of a log (a test holds it to jiff's answer).
pub fn parse_rfc3339(s: &str) -> Option<(i64, u32)> {
    let b = s.as_bytes();
    if b.len() < 20
        || b[4] != b'-'
        || b[7] != b'-'
        || !matches!(b[10], b'T' | b't' | b' ')
        || b[13] != b':'
        || b[16] != b':'
    {
        return None;
    }
    // Digits only (no sign), read without going through `str::parse`: this runs for
    // every event.
    let num = |r: std::ops::Range<usize>| -> Option<i64> {
        b.get(r)?.iter().try_fold(0i64, |n, d| {
            d.is_ascii_digit().then(|| n * 10 + i64::from(d - b'0'))
        })
    };
    let (y, mo, d, h, mi, se) = (
        num(0..4)?,
        num(5..7)?,
        num(8..10)?,
        num(11..13)?,
        num(14..16)?,
        num(17..19)?,
    );
    // A leap second (:60) is the next second, as the API server's clock never writes it.
    if !(1..=12).contains(&mo) || d < 1 || d > days_in_month(y, mo) || h > 23 || mi > 59 || se > 60
    {
        return None;
    }
    let mut i = 19;
    let mut nanos: u32 = 0;
    if b.get(i) == Some(&b'.') {
        i += 1;
        let start = i;
        while b.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
        // The first nine digits, as nanoseconds.
        for k in 0..9 {
            let digit = if start + k < i {
                b[start + k] - b'0'
            } else {
                0
            };
            nanos = nanos * 10 + u32::from(digit);
        }
    }
    let offset = match b.get(i)? {
        b'Z' | b'z' if i + 1 == b.len() => 0,
        b'+' | b'-' if b.len() == i + 6 && b[i + 3] == b':' => {
            let sign = if b[i] == b'+' { 1 } else { -1 };
            let (oh, om) = (num(i + 1..i + 3)?, num(i + 4..i + 6)?);
            if oh > 23 || om > 59 {
                return None;
            }
            sign * (oh * 3600 + om * 60)
        }
        _ => return None,
    };
    // Days from civil (Howard Hinnant).
    let (yy, mm) = if mo <= 2 {
        (y - 1, mo + 9)
    } else {
        (y, mo - 3)
    };
    let era = yy.div_euclid(400);
    let yoe = yy - era * 400;
    let doy = (153 * mm + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    Some((days * 86_400 + h * 3600 + mi * 60 + se - offset, nanos))
}

fn days_in_month(year: i64, month: i64) -> i64 {
    match month {
        2 if year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_in_utc() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(20_454 * 86_400 + 3_661), "2026-01-01T01:01:01Z");
        assert_eq!(rfc3339(11_016 * 86_400), "2000-02-29T00:00:00Z");
        assert_eq!(rfc3339(-1), "1969-12-31T23:59:59Z");
        assert!(rfc3339(i64::MAX).starts_with("9999-12-"));
        assert_eq!(today().len(), 10);
        assert_eq!(file_stamp().len(), 15);
    }
    #[test]
    fn rfc3339_times() {
        assert_eq!(parse_rfc3339("1970-01-01T00:00:00Z"), Some((0, 0)));
        assert_eq!(
            parse_rfc3339("2024-08-14T05:40:56.794659Z"),
            Some((1_723_614_056, 794_659_000))
        );
        assert_eq!(
            parse_rfc3339("2024-08-14T07:40:56+02:00"),
            parse_rfc3339("2024-08-14T05:40:56Z")
        );
        assert_eq!(
            parse_rfc3339("2024-08-14T05:40:56.1Z"),
            Some((1_723_614_056, 100_000_000))
        );
        assert_eq!(
            parse_rfc3339("2024-08-14T05:40:56.1234567891Z"),
            Some((1_723_614_056, 123_456_789))
        );
        for bad in [
            "",
            "2024-13-01T00:00:00Z",
            "2024-+1-01T00:00:00Z",
            "yesterday",
            "2024-08-14T05:40:56",
            "2024-08-14T05:40:56Zjunk",
            "2024-02-30T00:00:00Z",
            "2023-02-29T00:00:00Z",
            "1970-01-01T00:00:00+99:99",
            "1970-01-01T00:00:00+24:00",
        ] {
            assert_eq!(parse_rfc3339(bad), None, "{bad}");
        }
    }

    /// The hand-written parser agrees with jiff on every valid time it is given: years,
    /// leap days, fractions of every length, offsets east and west.
    #[test]
    fn agrees_with_jiff() {
        let mut checked = 0;
        for year in [1970, 1999, 2000, 2024, 2026, 2100, 2400, 9998] {
            for (month, day) in [(1, 1), (2, 28), (2, 29), (3, 1), (6, 30), (12, 31)] {
                for (time, fraction) in [
                    ("00:00:00", ""),
                    ("23:59:59", ".5"),
                    ("12:34:56", ".123456789"),
                ] {
                    for zone in ["Z", "+00:00", "+05:30", "-08:00", "-23:59", "+14:00"] {
                        let text = format!("{year:04}-{month:02}-{day:02}T{time}{fraction}{zone}");
                        let jiff = text.parse::<jiff::Timestamp>().ok();
                        let ours = parse_rfc3339(&text);
                        // As (floor seconds, nanoseconds after them), also before 1970.
                        let theirs = jiff.map(|t| {
                            let n = t.as_nanosecond();
                            (
                                n.div_euclid(1_000_000_000) as i64,
                                n.rem_euclid(1_000_000_000) as u32,
                            )
                        });
                        assert_eq!(ours, theirs, "{text}");
                        checked += usize::from(ours.is_some());
                    }
                }
            }
        }
        assert!(checked > 700, "{checked}");
    }
}
