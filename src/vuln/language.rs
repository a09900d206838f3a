//! Language packages (Python, Node.js, Go, Java) matched as Trivy's library detector does
//! (`pkg/detector/library`): every data source of the ecosystem (`pip::…`, `npm::…`,
//! `go::…`, `maven::…`), the package name normalized as trivy-db stores it, and an
//! advisory's vulnerable and patched ranges read with the ecosystem's own version rules
//! (PEP 440 with pre-releases; npm and Go semver with pre-releases, `,` meaning "and", `||`
//! "or"; Maven's order with both its range dialects).

use super::Vulnerability;
use super::matcher::{primary_url, vendor_severity};
use super::trivydb::{Advisory, Error, TrivyDb};

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Ecosystem {
    Pip,
    Npm,
    Go,
    Maven,
}

impl Ecosystem {
    fn prefix(self) -> &'static str {
        match self {
            Ecosystem::Pip => "pip::",
            Ecosystem::Npm => "npm::",
            Ecosystem::Go => "go::",
            Ecosystem::Maven => "maven::",
        }
    }

    /// Trivy's result type for packages found in an image.
    pub fn package_type(self) -> &'static str {
        match self {
            Ecosystem::Pip => "python-pkg",
            Ecosystem::Npm => "node-pkg",
            Ecosystem::Go => "gobinary",
            Ecosystem::Maven => "jar",
        }
    }

    /// The name as trivy-db keys it (PEP 426: case and `_`/`-` do not matter).
    fn normalize(self, name: &str) -> String {
        match self {
            Ecosystem::Pip => name.to_lowercase().replace('_', "-"),
            Ecosystem::Npm | Ecosystem::Maven => name.to_lowercase(),
            // Go module paths are case-sensitive.
            Ecosystem::Go => name.to_string(),
        }
    }

    /// Whether `version` is inside any of `ranges` (joined by `||`); `None` when either
    /// cannot be read (Trivy then does not report the advisory).
    fn satisfies(self, version: &str, ranges: &[String]) -> Option<bool> {
        let alternatives = ranges.iter().flat_map(|r| r.split("||"));
        match self {
            Ecosystem::Maven => {
                // Trivy joins the ranges and reads them in one dialect or the other.
                let range = super::version::maven::Range::parse(&ranges.join(" || "))?;
                Some(range.contains(&super::version::maven::Version::parse(version)))
            }
            Ecosystem::Pip => {
                let v: pep440_rs::Version = version.trim().parse().ok()?;
                let mut any = false;
                for range in alternatives {
                    // A bare version (`0.15.3` in PatchedVersions) means exactly it, as
                    // Trivy's PEP 440 library reads it.
                    let range: Vec<String> = range
                        .split(',')
                        .map(str::trim)
                        .map(|part| {
                            if part.starts_with(|c: char| c.is_ascii_digit()) {
                                format!("=={part}")
                            } else {
                                part.to_string()
                            }
                        })
                        .collect();
                    let specifiers: pep440_rs::VersionSpecifiers = range.join(",").parse().ok()?;
                    any |= specifiers.contains(&v);
                }
                Some(any)
            }
            Ecosystem::Npm | Ecosystem::Go => {
                // Go versions are semver with a `v` (`v1.2.3`, `v2.7.1+incompatible`,
                // pseudo-versions as pre-releases); ranges may write the `v` or not.
                let unv = strip_go_v;
                let version = if self == Ecosystem::Go {
                    unv(version.trim())
                } else {
                    version.trim().to_string()
                };
                let v = nodejs_semver::Version::parse(&version).ok()?;
                let mut any = false;
                for range in alternatives {
                    let range = if self == Ecosystem::Go {
                        unv(range)
                    } else {
                        range.to_string()
                    };
                    let range = nodejs_semver::Range::parse(range.replace(',', " ")).ok()?;
                    any |= v.satisfies_with_prerelease(&range, true);
                }
                Some(any)
            }
        }
    }
}

/// `v1.2.3` → `1.2.3`, `>= v1.0, < v1.2` → `>= 1.0, < 1.2`: the `v` before a version
/// number only (`v1.0.0-dev` keeps its `dev`).
fn strip_go_v(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    chars
        .iter()
        .enumerate()
        .filter(|(i, c)| {
            let before_digit = chars.get(i + 1).is_some_and(char::is_ascii_digit);
            let word_start = *i == 0 || !chars[i - 1].is_ascii_alphanumeric();
            !(matches!(c, 'v' | 'V') && before_digit && word_start)
        })
        .map(|(_, c)| c)
        .collect()
}

/// A language package found in an image.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct LangPackage {
    pub ecosystem: Ecosystem,
    pub name: String,
    pub version: String,
    /// The file it was read from (`usr/lib/python3/dist-packages/x.dist-info/METADATA`).
    pub path: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub layer: Option<String>,
}

/// Trivy's `IsVulnerable`: inside a vulnerable range (when there are any) and outside every
/// patched or unaffected one; an empty range string matches everything.
fn vulnerable(ecosystem: Ecosystem, version: &str, advisory: &Advisory) -> bool {
    let bad = &advisory.vulnerable_versions;
    let good: Vec<String> = advisory
        .patched_versions
        .iter()
        .chain(&advisory.unaffected_versions)
        .cloned()
        .collect();
    // Trivy: an empty vulnerable or patched range matches everything.
    if bad
        .iter()
        .chain(&advisory.patched_versions)
        .any(String::is_empty)
    {
        return true;
    }
    let mut matched = false;
    if !bad.is_empty() {
        match ecosystem.satisfies(version, bad) {
            Some(true) => matched = true,
            _ => return false,
        }
    }
    if good.is_empty() {
        return matched;
    }
    ecosystem.satisfies(version, &good) == Some(false)
}

/// Trivy's `createFixedVersions`: the patched versions, else the bounds of `<` ranges.
fn fixed_versions(advisory: &Advisory) -> String {
    let mut fixed: Vec<String> = if advisory.patched_versions.is_empty() {
        advisory
            .vulnerable_versions
            .iter()
            .flat_map(|r| r.split(','))
            .map(str::trim)
            .filter(|s| !s.starts_with("<=") && s.starts_with('<'))
            .map(|s| s[1..].trim().to_string())
            .collect()
    } else {
        advisory.patched_versions.clone()
    };
    let mut seen = std::collections::HashSet::new();
    fixed.retain(|v| seen.insert(v.clone()));
    fixed.join(", ")
}

/// Every known vulnerability of `packages`.
pub fn matches(db: &TrivyDb, packages: &[LangPackage]) -> Result<Vec<Vulnerability>, Error> {
    let mut out = Vec::new();
    let mut sources: Vec<(Ecosystem, Vec<String>)> = Vec::new();
    for package in packages {
        let buckets = match sources.iter().find(|(e, _)| *e == package.ecosystem) {
            Some((_, b)) => b.clone(),
            None => {
                let b = db.sources_with_prefix(package.ecosystem.prefix())?;
                sources.push((package.ecosystem, b.clone()));
                b
            }
        };
        let name = package.ecosystem.normalize(&package.name);
        for bucket in &buckets {
            let data_source = db.data_source(bucket)?.unwrap_or_default();
            for advisory in db.advisories(bucket, &name)? {
                if !vulnerable(package.ecosystem, &package.version, &advisory) {
                    continue;
                }
                let details = db.details(&advisory.id)?.unwrap_or_default();
                let (severity, severity_source) =
                    vendor_severity(&advisory.id, &details, &data_source.id);
                let fixed_version = fixed_versions(&advisory);
                out.push(Vulnerability {
                    primary_url: primary_url(&advisory.id, &details, &data_source.id),
                    status: if fixed_version.is_empty() {
                        "affected"
                    } else {
                        "fixed"
                    },
                    id: advisory.id,
                    vendor_ids: advisory.vendor_ids,
                    package: package.name.clone(),
                    source_package: package.name.clone(),
                    installed_version: package.version.clone(),
                    fixed_version,
                    severity,
                    severity_source,
                    title: details["Title"].as_str().unwrap_or("").to_string(),
                    data_source: data_source.clone(),
                    package_type: package.ecosystem.package_type().to_string(),
                    package_path: Some(package.path.clone()).filter(|p| !p.is_empty()),
                    layer: package.layer.clone(),
                    published: details["PublishedDate"].as_str().unwrap_or("").to_string(),
                });
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn advisory(bad: &[&str], good: &[&str]) -> Advisory {
        Advisory {
            vulnerable_versions: bad.iter().map(|s| s.to_string()).collect(),
            patched_versions: good.iter().map(|s| s.to_string()).collect(),
            ..Advisory::default()
        }
    }

    #[test]
    fn ranges_read_as_each_ecosystem_reads_them() {
        let a = advisory(&["< 0.15.3"], &["0.15.3"]);
        assert!(vulnerable(Ecosystem::Pip, "0.11", &a));
        assert!(!vulnerable(Ecosystem::Pip, "0.15.3", &a));
        assert!(
            vulnerable(Ecosystem::Pip, "0.15.2rc1", &a),
            "pre-releases count"
        );
        // PEP 440: `<V` leaves out the pre-releases of V itself.
        assert!(!vulnerable(Ecosystem::Pip, "0.15.3rc1", &a));
        let n = advisory(&[">=1.2.0, <3.4.0"], &[">=3.4.0"]);
        assert!(vulnerable(Ecosystem::Npm, "3.3.9", &n));
        assert!(!vulnerable(Ecosystem::Npm, "3.4.0", &n));
        assert!(!vulnerable(Ecosystem::Npm, "1.1.0", &n));
        assert!(vulnerable(Ecosystem::Npm, "3.4.0-beta.1", &n));
        assert!(!vulnerable(Ecosystem::Npm, "not a version", &n));
        assert_eq!(
            fixed_versions(&advisory(&["< 1.2, >= 1.0", "<= 0.9"], &[])),
            "1.2"
        );
        assert_eq!(Ecosystem::Pip.normalize("Flask_Login"), "flask-login");
        let g = advisory(&[">=2.0.0, <2.8.0"], &["2.8.0"]);
        assert!(vulnerable(Ecosystem::Go, "v2.7.1+incompatible", &g));
        assert!(!vulnerable(Ecosystem::Go, "v2.8.0", &g));
        assert_eq!(strip_go_v("v1.0.0-dev, < v2"), "1.0.0-dev, < 2");
        // Unaffected ranges are safe too.
        let u = Advisory {
            unaffected_versions: vec!["< 1.0".into()],
            ..advisory(&["< 2.0"], &[])
        };
        assert!(!vulnerable(Ecosystem::Pip, "0.9", &u));
        assert!(vulnerable(Ecosystem::Pip, "1.5", &u));
        // Maven: comparisons or intervals, never both in one joined range (as Trivy).
        let m = advisory(&["[2.9.0,2.9.10.7)"], &["2.9.10.7"]);
        assert!(vulnerable(Ecosystem::Maven, "2.9.1", &m));
        assert!(!vulnerable(Ecosystem::Maven, "2.9.10.7", &m));
        let mixed = advisory(&[">= 1.0, < 2.0", "[3.0,3.1)"], &[]);
        assert!(!vulnerable(Ecosystem::Maven, "1.5", &mixed));
        assert!(vulnerable(Ecosystem::Maven, "3.0.5", &mixed));
        assert_eq!(
            Ecosystem::Maven.normalize("Org.Apache:Log4J"),
            "org.apache:log4j"
        );
    }
}
