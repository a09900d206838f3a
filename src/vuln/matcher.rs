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
    /// Which package name advisories are keyed by.
    pub lookup: Lookup,
    /// The detector's own rules.
    pub rules: Rules,
}

/// The name a family's advisories are keyed by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lookup {
    /// The binary package's own name (the RPM family, SUSE).
    Binary,
    /// The source package, else the binary one (Debian, Ubuntu, Alpine, Wolfi).
    SourceElseBinary,
    /// Only the source package: a package without one finds nothing (Photon, Mariner).
    SourceOnly,
}

/// What Trivy's detectors do beyond looking a package up.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Rules {
    /// Fixes are per architecture (`Entries[].Arches`): only the package's count.
    pub by_arch: bool,
    /// Module packages are looked up as `stream::name` (`nodejs:12::npm`).
    pub modular: bool,
    /// A module package without its label is skipped (AlmaLinux's errata cannot tell them).
    pub skip_unlabelled_modules: bool,
    /// A fix applies only to packages of its flavor (normal, `_fips`, `ksplice`).
    pub oracle_flavor: bool,
    /// Only advisories with a fixed version newer than the installed one count.
    pub fixed_only: bool,
    /// The version that introduced the vulnerability is honoured (Alpine's feeds).
    pub affected_version: bool,
    /// The source package's version is compared, the binary one reported (Mariner).
    pub compare_source_version: bool,
    /// The fixed version is reported as go-rpm-version prints it: without a `0:` epoch.
    pub drop_zero_epoch: bool,
}

/// The bucket and rules for an OS release; `None` for a family kaudit does not match yet
/// (the report says so rather than showing an image as clean).
pub fn family(os: &Os) -> Option<Family> {
    let release = os.release.trim();
    let major = release.split(['.', ' ']).next().unwrap_or(release);
    let major_minor = release.split('.').take(2).collect::<Vec<_>>().join(".");
    let rpm = Rules::default();
    let fixed_rpm = Rules {
        fixed_only: true,
        ..rpm
    };
    let (bucket, scheme, lookup, rules) = match os.family.as_str() {
        "debian" => (
            format!("debian {major}"),
            Scheme::Dpkg,
            Lookup::SourceElseBinary,
            rpm,
        ),
        "ubuntu" => (
            format!("ubuntu {release}"),
            Scheme::Dpkg,
            Lookup::SourceElseBinary,
            rpm,
        ),
        // The release of the package repositories wins over the OS's (Trivy's rule).
        "alpine" => {
            let stream = os.repository.as_deref().unwrap_or(&major_minor);
            let rules = Rules {
                affected_version: true,
                ..rpm
            };
            (
                format!("alpine {stream}"),
                Scheme::Apk,
                Lookup::SourceElseBinary,
                rules,
            )
        }
        // Wolfi and Chainguard: one rolling bucket each; an advisory without a fix (or with
        // one apk cannot read) is not reported, and the version that introduced it is not
        // consulted (their detectors).
        "wolfi" | "chainguard" => (
            os.family.clone(),
            Scheme::Apk,
            Lookup::SourceElseBinary,
            fixed_rpm,
        ),
        "amazon" => {
            // 2, 2022 and 2023 are themselves; anything else (2018.03) is Amazon Linux 1.
            let version = if matches!(major, "2" | "2022" | "2023") {
                major
            } else {
                "1"
            };
            (
                format!("amazon linux {version}"),
                Scheme::Rpm,
                Lookup::Binary,
                rpm,
            )
        }
        "rocky" => {
            let rules = Rules {
                by_arch: true,
                modular: true,
                ..fixed_rpm
            };
            (format!("rocky {major}"), Scheme::Rpm, Lookup::Binary, rules)
        }
        "alma" => {
            let rules = Rules {
                modular: true,
                skip_unlabelled_modules: true,
                ..fixed_rpm
            };
            (format!("alma {major}"), Scheme::Rpm, Lookup::Binary, rules)
        }
        "oracle" => {
            let rules = Rules {
                by_arch: true,
                oracle_flavor: true,
                ..fixed_rpm
            };
            (
                format!("Oracle Linux {major}"),
                Scheme::Rpm,
                Lookup::Binary,
                rules,
            )
        }
        // SUSE: by binary package, the release as os-release writes it; Tumbleweed rolls.
        "opensuse-leap" => (
            format!("openSUSE Leap {release}"),
            Scheme::Rpm,
            Lookup::Binary,
            fixed_rpm,
        ),
        "opensuse-tumbleweed" => (
            "openSUSE Tumbleweed".into(),
            Scheme::Rpm,
            Lookup::Binary,
            fixed_rpm,
        ),
        "sles" => (
            format!("SUSE Linux Enterprise {release}"),
            Scheme::Rpm,
            Lookup::Binary,
            fixed_rpm,
        ),
        "slem" => (
            format!("SUSE Linux Enterprise Micro {release}"),
            Scheme::Rpm,
            Lookup::Binary,
            fixed_rpm,
        ),
        "photon" => (
            format!("Photon OS {release}"),
            Scheme::Rpm,
            Lookup::SourceOnly,
            fixed_rpm,
        ),
        // Mariner and Azure Linux: major.minor (`1.0.20210127` is 1.0); an advisory without
        // a fix is reported as affected whatever the version.
        "cbl-mariner" | "azurelinux" => {
            let name = if os.family == "azurelinux" {
                "Azure Linux"
            } else {
                "CBL-Mariner"
            };
            let rules = Rules {
                compare_source_version: true,
                drop_zero_epoch: true,
                ..rpm
            };
            (
                format!("{name} {major_minor}"),
                Scheme::Rpm,
                Lookup::SourceOnly,
                rules,
            )
        }
        // Red Hat and CentOS match by product (`vuln::redhat`); anything else is not matched.
        _ => return None,
    };
    Some(Family {
        bucket,
        scheme,
        lookup,
        rules,
    })
}

fn severity_name(code: u64) -> &'static str {
    SEVERITIES.get(code as usize).copied().unwrap_or("UNKNOWN")
}

/// Why `os`'s packages are not (all) evaluated: a family kaudit does not match, or Red
/// Hat packages whose products the database does not know; `None` when all are.
pub fn coverage_gap(db: &TrivyDb, os: &Os, packages: &[Package]) -> Result<Option<String>, Error> {
    if super::redhat::is_red_hat(os) {
        return super::redhat::unknown_products(db, os, packages);
    }
    Ok(family(os).is_none().then(|| {
        format!(
            "{} {}: kaudit does not match this OS family yet; its packages are not evaluated",
            os.family, os.release
        )
    }))
}

/// Every known vulnerability of `packages` on `os`.
pub fn matches(db: &TrivyDb, os: &Os, packages: &[Package]) -> Result<Vec<Vulnerability>, Error> {
    if super::redhat::is_red_hat(os) {
        return super::redhat::matches(db, os, packages);
    }
    let Some(family) = family(os) else {
        return Ok(Vec::new());
    };
    let data_source = db.data_source(&family.bucket)?.unwrap_or_default();
    let mut out = Vec::new();
    for package in packages {
        let rules = family.rules;
        if rules.skip_unlabelled_modules
            && package.modularity_label.is_empty()
            && release_of(&package.version).contains(".module_el")
        {
            continue;
        }
        let name = match family.lookup {
            Lookup::SourceElseBinary => or(&package.source_name, &package.name).to_string(),
            Lookup::SourceOnly => package.source_name.clone(),
            Lookup::Binary if rules.modular => {
                modular_name(&package.name, &package.modularity_label)
            }
            Lookup::Binary => package.name.clone(),
        };
        if name.is_empty() {
            continue;
        }
        let installed = match family.lookup {
            Lookup::SourceElseBinary => or(&package.source_version, &package.version),
            _ if rules.compare_source_version => or(&package.source_version, &package.version),
            _ => package.version.as_str(),
        };
        for advisory in db.advisories(&family.bucket, &name)? {
            for advisory in for_arch(advisory, rules.by_arch, &package.arch) {
                if rules.oracle_flavor
                    && flavor(&advisory.fixed_version) != flavor(release_of(&package.version))
                {
                    continue;
                }
                if rules.fixed_only && advisory.fixed_version.is_empty() {
                    continue;
                }
                if !vulnerable(family.scheme, installed, &advisory, rules.affected_version) {
                    continue;
                }
                let mut advisory = advisory;
                if rules.drop_zero_epoch
                    && let Some(rest) = advisory.fixed_version.strip_prefix("0:")
                {
                    advisory.fixed_version = rest.to_string();
                }
                out.push(detected(db, os, package, advisory, &data_source)?);
            }
        }
    }
    Ok(out)
}

/// The advisory as it applies to a package of `arch`: itself when it has no per-architecture
/// entries (an older database), else one per entry that names the architecture.
fn for_arch(advisory: Advisory, by_arch: bool, arch: &str) -> Vec<Advisory> {
    if !by_arch || advisory.entries.is_empty() {
        return vec![advisory];
    }
    advisory
        .entries
        .iter()
        .filter(|e| e.arches.iter().any(|a| a == arch))
        // The entry's errata ids (RLSA-...) are not reported: Trivy's detectors drop them.
        .map(|e| Advisory {
            fixed_version: e.fixed_version.clone(),
            entries: Vec::new(),
            ..advisory.clone()
        })
        .collect()
}

/// `npm` from module `nodejs:12:8030020201124152102:229f0a1c` → `nodejs:12::npm`.
pub(super) fn modular_name(name: &str, label: &str) -> String {
    let mut parts = label.splitn(3, ':');
    match (parts.next(), parts.next(), parts.next()) {
        (Some(module), Some(stream), Some(_)) => format!("{module}:{stream}::{name}"),
        _ => name.to_string(),
    }
}

/// The release part of `[epoch:]version-release`.
fn release_of(version: &str) -> &str {
    version.rsplit_once('-').map_or("", |(_, release)| release)
}

/// Oracle's package flavors: FIPS builds, Ksplice builds, the rest.
fn flavor(version: &str) -> &'static str {
    let version = version.to_ascii_lowercase();
    if version.ends_with("_fips") {
        "fips"
    } else if version.split('.').any(|part| part.starts_with("ksplice")) {
        "ksplice"
    } else {
        "normal"
    }
}

fn or<'a>(first: &'a str, second: &'a str) -> &'a str {
    if first.is_empty() { second } else { first }
}

/// Vulnerable when there is no fix, or the installed version is older than the fix. A
/// version that cannot be read is not matched (Trivy skips it too).
fn vulnerable(scheme: Scheme, installed: &str, advisory: &Advisory, affected: bool) -> bool {
    // Introduced after the installed version: not affected (Trivy's Alpine rule).
    if affected
        && !advisory.affected_version.is_empty()
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

pub(super) fn detected(
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
        primary_url: primary_url(&advisory.id, &details, &data_source.id),
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
        package_path: None,
        published: details["PublishedDate"].as_str().unwrap_or("").to_string(),
    })
}

/// The data source's own severity, else GitHub's for GHSA ids, else NVD's, else the
/// database's single severity: Trivy's choice (`pkg/vulnerability FillInfo`).
pub(super) fn vendor_severity(
    id: &str,
    details: &serde_json::Value,
    source: &str,
) -> (&'static str, String) {
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

/// Where a user reads about the vulnerability, as Trivy picks it: a page for the common id
/// kinds, else the first reference on the data source's own site (an openSUSE advisory's
/// announcement), else none.
pub(super) fn primary_url(id: &str, details: &serde_json::Value, source: &str) -> String {
    if id.starts_with("CVE-") {
        return format!("https://avd.aquasec.com/nvd/{}", id.to_ascii_lowercase());
    }
    for (prefix, page) in [
        ("RUSTSEC-", "https://osv.dev/vulnerability/"),
        ("GHSA-", "https://github.com/advisories/"),
        ("TEMP-", "https://security-tracker.debian.org/tracker/"),
    ] {
        if id.starts_with(prefix) {
            return format!("{page}{id}");
        }
    }
    let sites: &[&str] = match source {
        "debian" => &["http://www.debian.org", "https://www.debian.org"],
        "ubuntu" => &["http://www.ubuntu.com", "https://usn.ubuntu.com"],
        "redhat" => &["https://access.redhat.com"],
        "suse-cvrf" => &["http://lists.opensuse.org", "https://lists.opensuse.org"],
        "oracle-oval" => &[
            "http://linux.oracle.com/errata",
            "https://linux.oracle.com/errata",
        ],
        "nodejs-security-wg" => &["https://www.npmjs.com", "https://hackerone.com"],
        "ruby-advisory-db" => &["https://groups.google.com"],
        _ => &[],
    };
    let references: Vec<&str> = details["References"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|r| r.as_str())
        .collect();
    sites
        .iter()
        .find_map(|site| references.iter().find(|r| r.starts_with(site)))
        .map_or_else(String::new, |r| r.to_string())
}
