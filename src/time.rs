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

/// Today's date: `2026-11-26` (exemption expiry, the dates of reports).
pub fn today() -> String {
    Timestamp::now().strftime("%Y-%m-%d").to_string()
}

/// Now as a file-name stamp: `20261126-173409`.
pub fn file_stamp() -> String {
    Timestamp::now().strftime("%Y%m%d-%H%M%S").to_string()
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
}
