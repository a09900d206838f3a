//! When OS releases stop getting security fixes: the distributions' published end-of-life
//! days (Debian's LTS end, Ubuntu's standard support end, Alpine's two years; SUSE, Photon,
//! Red Hat and CentOS as Trivy's detectors date them). A release not
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
    // Trivy's detector tables (v0.74): SUSE and Photon by the release as os-release writes
    // it, Red Hat and CentOS by major version.
    ("opensuse-leap", "42.1", "2017-05-17"),
    ("opensuse-leap", "42.2", "2018-01-26"),
    ("opensuse-leap", "42.3", "2019-06-30"),
    ("opensuse-leap", "15.0", "2019-12-03"),
    ("opensuse-leap", "15.1", "2020-11-30"),
    ("opensuse-leap", "15.2", "2021-11-30"),
    ("opensuse-leap", "15.3", "2022-11-30"),
    ("opensuse-leap", "15.4", "2023-11-30"),
    ("opensuse-leap", "15.5", "2024-12-31"),
    ("opensuse-leap", "15.6", "2025-12-31"),
    ("opensuse-leap", "16.0", "2027-10-31"),
    ("sles", "11.4", "2019-03-31"),
    ("sles", "12", "2016-06-30"),
    ("sles", "12.1", "2017-05-31"),
    ("sles", "12.2", "2018-03-31"),
    ("sles", "12.3", "2019-01-30"),
    ("sles", "12.4", "2020-06-30"),
    ("sles", "12.5", "2024-10-31"),
    ("sles", "15", "2019-12-31"),
    ("sles", "15.1", "2021-01-31"),
    ("sles", "15.2", "2021-12-31"),
    ("sles", "15.3", "2022-12-31"),
    ("sles", "15.4", "2023-12-31"),
    ("sles", "15.5", "2024-12-31"),
    ("sles", "15.6", "2025-12-31"),
    ("sles", "15.7", "2031-07-31"),
    ("sles", "16.0", "2027-11-30"),
    ("sles", "16.1", "2028-11-30"),
    ("slem", "5.0", "2022-03-31"),
    ("slem", "5.1", "2025-10-31"),
    ("slem", "5.2", "2026-04-30"),
    ("slem", "5.3", "2026-10-30"),
    ("slem", "5.4", "2027-04-30"),
    ("slem", "5.5", "2027-10-31"),
    ("slem", "6.0", "2028-06-30"),
    ("slem", "6.1", "2028-11-30"),
    ("photon", "1.0", "2022-02-28"),
    ("photon", "2.0", "2022-12-31"),
    ("photon", "3.0", "2024-03-31"),
    ("photon", "4.0", "2026-03-31"),
    ("photon", "5.0", "3000-01-01"),
    ("redhat", "4", "2017-05-31"),
    ("redhat", "5", "2020-11-30"),
    ("redhat", "6", "2024-06-30"),
    ("redhat", "7", "3000-01-01"),
    ("redhat", "8", "3000-01-01"),
    ("redhat", "9", "3000-01-01"),
    ("redhat", "10", "3000-01-01"),
    ("centos", "3", "2010-10-31"),
    ("centos", "4", "2012-02-29"),
    ("centos", "5", "2017-03-31"),
    ("centos", "6", "2020-11-30"),
    ("centos", "7", "2024-06-30"),
    ("centos", "8", "2021-12-31"),
];

/// Whether `os` is past its end of life on `today` (`YYYY-MM-DD`); `None` when not known.
pub fn is_past(os: &super::Os, today: &str) -> Option<bool> {
    let release = os.release.trim();
    let key = match os.family.as_str() {
        "debian" | "redhat" | "centos" => release.split('.').next().unwrap_or(release).to_string(),
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
        assert_eq!(
            is_past(&os("opensuse-leap", "15.1"), "2021-08-25"),
            Some(true)
        );
        assert_eq!(is_past(&os("centos", "6.10"), "2021-08-25"), Some(true));
        assert_eq!(
            is_past(&os("centos", "7.6.1810"), "2021-08-25"),
            Some(false)
        );
        assert_eq!(is_past(&os("photon", "3.0"), "2021-08-25"), Some(false));
    }
}
