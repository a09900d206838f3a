//! When OS releases stop getting security fixes: the distributions' published end-of-life
//! days (Debian's LTS end, Ubuntu's standard support end, Alpine's two years). A release not
//! in the table is not known (never called supported by default).

/// `(family, release, last day with fixes)`.
const END_OF_LIFE: &[(&str, &str, &str)] = &[
    ("debian", "8", "2020-06-30"),
    ("debian", "9", "2022-06-30"),
    ("debian", "10", "2024-06-30"),
    ("debian", "11", "2026-08-31"),
    ("debian", "12", "2028-06-30"),
    ("ubuntu", "16.04", "2021-04-30"),
    ("ubuntu", "18.04", "2023-05-31"),
    ("ubuntu", "20.04", "2025-05-31"),
    ("ubuntu", "22.04", "2027-06-01"),
    ("ubuntu", "24.04", "2029-05-31"),
    ("alpine", "3.15", "2023-11-01"),
    ("alpine", "3.16", "2024-05-23"),
    ("alpine", "3.17", "2024-11-22"),
    ("alpine", "3.18", "2025-05-09"),
    ("alpine", "3.19", "2025-11-01"),
    ("alpine", "3.20", "2026-04-01"),
    ("alpine", "3.21", "2026-11-01"),
    ("alpine", "3.22", "2027-05-01"),
];

/// Whether `os` is past its end of life on `today` (`YYYY-MM-DD`); `None` when not known.
pub fn is_past(os: &super::Os, today: &str) -> Option<bool> {
    let release = os.release.trim();
    let key = match os.family.as_str() {
        "debian" => release.split('.').next().unwrap_or(release).to_string(),
        "alpine" => release.split('.').take(2).collect::<Vec<_>>().join("."),
        _ => release.to_string(),
    };
    END_OF_LIFE
        .iter()
        .find(|(family, r, _)| *family == os.family && *r == key)
        .map(|(_, _, last)| today > *last)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vuln::Os;

    fn os(family: &str, release: &str) -> Os {
        Os {
            family: family.into(),
            release: release.into(),
            repository: None,
        }
    }

    #[test]
    fn releases_end_on_their_day() {
        assert_eq!(is_past(&os("debian", "10.13"), "2026-12-04"), Some(true));
        assert_eq!(is_past(&os("debian", "12.7"), "2026-12-04"), Some(false));
        assert_eq!(is_past(&os("alpine", "3.19.1"), "2025-11-01"), Some(false));
        assert_eq!(is_past(&os("alpine", "3.19.1"), "2025-11-02"), Some(true));
        assert_eq!(is_past(&os("ubuntu", "22.04"), "2026-12-04"), Some(false));
        assert_eq!(is_past(&os("plan9", "4"), "2026-12-04"), None);
    }
}
