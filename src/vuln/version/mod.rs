//! Version orderings of the package ecosystems Trivy's OS advisories use: dpkg (Debian,
//! Ubuntu), rpm EVR (Red Hat family, Amazon, SUSE, Photon, Mariner...), apk (Alpine, Wolfi,
//! Chainguard). The dpkg and rpm rules come from well-kept crates that agree with dpkg and
//! librpm on every case of the corpus; apk's is written here (no crate exists).

mod apk;
pub mod maven;

use std::cmp::Ordering;

/// Which rules order a package's versions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Scheme {
    Dpkg,
    Rpm,
    Apk,
}

/// Orders two versions of one package; `None` when either is not a version under the
/// scheme (a malformed advisory or package database entry: never a match by accident).
pub fn compare(scheme: Scheme, a: &str, b: &str) -> Option<Ordering> {
    match scheme {
        Scheme::Dpkg => {
            let a: debversion::Version = a.trim().parse().ok()?;
            let b: debversion::Version = b.trim().parse().ok()?;
            Some(a.cmp(&b))
        }
        Scheme::Rpm => {
            if a.trim().is_empty() || b.trim().is_empty() {
                return None;
            }
            Some(rpm_version::rpm_evr_compare(a.trim(), b.trim()))
        }
        Scheme::Apk => {
            if a.trim().is_empty() || b.trim().is_empty() {
                return None;
            }
            Some(apk::compare(a.trim(), b.trim()))
        }
    }
}

/// `rpmvercmp` alone: one version or release string against another (the rpm corpus's
/// segment cases test this).
pub fn rpm_segments(a: &str, b: &str) -> Ordering {
    rpm_version::Evr::new("0", a, "").cmp(&rpm_version::Evr::new("0", b, ""))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_scheme_orders_its_versions() {
        use Ordering::*;
        let cases = [
            (Scheme::Dpkg, "1:1.0-1", "2.0-1", Some(Greater)),
            (Scheme::Dpkg, "1.0~rc1-1", "1.0-1", Some(Less)),
            (Scheme::Dpkg, "2.0.5-1+deb10u1", "2.0.5-1", Some(Greater)),
            (Scheme::Dpkg, "not a version!", "1.0", None),
            (
                Scheme::Rpm,
                "1:1.0.2k-19.el7",
                "1.0.2k-21.el7",
                Some(Greater),
            ),
            (Scheme::Rpm, "1.0.1e-57.el6", "1.0.1e-58.el6_10", Some(Less)),
            (Scheme::Rpm, "", "1.0", None),
            (Scheme::Apk, "1.1.22-r3", "1.1.22-r2", Some(Greater)),
        ];
        for (scheme, a, b, want) in cases {
            assert_eq!(compare(scheme, a, b), want, "{scheme:?} {a} vs {b}");
        }
        assert_eq!(rpm_segments("1.0~rc1", "1.0"), Less);
    }
}
