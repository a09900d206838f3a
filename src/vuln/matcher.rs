//! OS package matching as Trivy's detectors do it (`pkg/detector/ospkg/<family>`): which root
//! bucket, which package name, which ordering; then the status and the severity that
//! Trivy's `FillInfo` would report.

use super::trivydb::{Advisory, Error, TrivyDb};
use super::version::{self, Scheme};
use super::{Os, Package, SEVERITIES, STATUSES, Vulnerability};
use std::cmp::Ordering;

/// How one OS family is matched.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Family {
    /// The root bucket of the release (`debian 10`).
    pub bucket: String,
    pub scheme: Scheme,
    /// Advisories are keyed by the source package (else by the binary one).
    pub by_source: bool,
}

/// The bucket and rules for an OS release; `None` for a family kaudit does not match yet
/// (the report says so rather than showing an image as clean).
pub fn family(os: &Os) -> Option<Family> {
    let release = os.release.trim();
    let major = release.split(['.', ' ']).next().unwrap_or(release);
    let major_minor = release.split('.').take(2).collect::<Vec<_>>().join(".");
    let (bucket, scheme, by_source) = match os.family.as_str() {
        "debian" => (format!("debian {major}"), Scheme::Dpkg, true),
        "ubuntu" => (format!("ubuntu {release}"), Scheme::Dpkg, true),
        // The release of the package repositories wins over the OS's (Trivy's rule).
        "alpine" => match os.repository.as_deref().unwrap_or(&major_minor) {
            "edge" => ("alpine edge".to_string(), Scheme::Apk, true),
            stream => (format!("alpine {stream}"), Scheme::Apk, true),
        },
        "amazon" => {
            // Amazon Linux 1 writes its release as a date (2018.03).
            let version = if major.len() == 4 { "1" } else { major };
            (format!("amazon linux {version}"), Scheme::Rpm, false)
        }
        // Rocky, Alma, Oracle and Red Hat filter advisories by architecture, module stream
        // or content set: not matched until that is done exactly.
        _ => return None,
    };
    Some(Family {
        bucket,
        scheme,
        by_source,
    })
}

fn severity_name(code: u64) -> &'static str {
    SEVERITIES.get(code as usize).copied().unwrap_or("UNKNOWN")
}

/// Every known vulnerability of `packages` on `os`.
pub fn matches(db: &TrivyDb, os: &Os, packages: &[Package]) -> Result<Vec<Vulnerability>, Error> {
    let Some(family) = family(os) else {
        return Ok(Vec::new());
    };
    let data_source = db.data_source(&family.bucket)?.unwrap_or_default();
    let mut out = Vec::new();
    for package in packages {
        let (name, installed) = if family.by_source {
            (
                or(&package.source_name, &package.name),
                or(&package.source_version, &package.version),
            )
        } else {
            (package.name.as_str(), package.version.as_str())
        };
        for advisory in db.advisories(&family.bucket, name)? {
            if !vulnerable(family.scheme, installed, &advisory) {
                continue;
            }
            out.push(detected(db, os, package, advisory, &data_source)?);
        }
    }
    Ok(out)
}

fn or<'a>(first: &'a str, second: &'a str) -> &'a str {
    if first.is_empty() { second } else { first }
}

/// Vulnerable when there is no fix, or the installed version is older than the fix. A
/// version that cannot be read is not matched (Trivy skips it too).
fn vulnerable(scheme: Scheme, installed: &str, advisory: &Advisory) -> bool {
    // Introduced after the installed version: not affected (Trivy's Alpine rule).
    if !advisory.affected_version.is_empty()
        && matches!(
            version::compare(scheme, &advisory.affected_version, installed),
            Some(Ordering::Greater) | None
        )
    {
        return false;
    }
    if advisory.fixed_version.is_empty() {
        return true;
    }
    version::compare(scheme, installed, &advisory.fixed_version) == Some(Ordering::Less)
}

fn detected(
    db: &TrivyDb,
    os: &Os,
    package: &Package,
    advisory: Advisory,
    data_source: &super::trivydb::DataSource,
) -> Result<Vulnerability, Error> {
    let details = db.details(&advisory.id)?.unwrap_or_default();
    let status = if !advisory.fixed_version.is_empty() {
        "fixed"
    } else {
        match STATUSES.get(advisory.status as usize) {
            Some(&"unknown") | None => "affected",
            Some(name) => name,
        }
    };
    let (severity, severity_source) = if advisory.severity != 0 && os.family == "debian" {
        // A package-specific severity (Debian's urgency for this package).
        (
            severity_name(u64::from(advisory.severity)),
            data_source.id.clone(),
        )
    } else {
        vendor_severity(&advisory.id, &details, &data_source.id)
    };
    Ok(Vulnerability {
        primary_url: primary_url(&advisory.id),
        id: advisory.id,
        vendor_ids: advisory.vendor_ids,
        package: package.name.clone(),
        source_package: or(&package.source_name, &package.name).to_string(),
        installed_version: package.version.clone(),
        fixed_version: advisory.fixed_version,
        status,
        severity,
        severity_source,
        title: details["Title"].as_str().unwrap_or("").to_string(),
        data_source: data_source.clone(),
        package_type: os.family.clone(),
        layer: package.layer.clone(),
        published: details["PublishedDate"].as_str().unwrap_or("").to_string(),
    })
}

/// The data source's own severity, else GitHub's for GHSA ids, else NVD's, else the
/// database's single severity: Trivy's choice (`pkg/vulnerability FillInfo`).
fn vendor_severity(id: &str, details: &serde_json::Value, source: &str) -> (&'static str, String) {
    let vendor = &details["VendorSeverity"];
    let code = |who: &str| vendor.get(who).and_then(|v| v.as_f64()).map(|v| v as u64);
    if let Some(code) = code(source) {
        return (severity_name(code), source.to_string());
    }
    if id.starts_with("GHSA-")
        && let Some(code) = code("ghsa")
    {
        return (severity_name(code), "ghsa".into());
    }
    if let Some(code) = code("nvd") {
        return (severity_name(code), "nvd".into());
    }
    let named = details["Severity"].as_str().unwrap_or("");
    let severity = SEVERITIES
        .iter()
        .find(|s| s.eq_ignore_ascii_case(named))
        .copied()
        .unwrap_or("UNKNOWN");
    (severity, String::new())
}

/// Where a user reads about the vulnerability (Trivy's choice for the common id kinds).
fn primary_url(id: &str) -> String {
    if id.starts_with("CVE-") {
        format!("https://avd.aquasec.com/nvd/{}", id.to_ascii_lowercase())
    } else if id.starts_with("GHSA-") {
        format!("https://github.com/advisories/{id}")
    } else if id.starts_with("TEMP-") {
        format!("https://security-tracker.debian.org/tracker/{id}")
    } else {
        String::new()
    }
}
