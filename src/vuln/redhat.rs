//! Red Hat Enterprise Linux and CentOS, matched as Trivy's `redhat` detector does. Red Hat's
//! OVAL data is one bucket for every release (`Red Hat`), each entry naming the products
//! (CPE indices) it applies to; an image's products come from the content sets and build
//! of its layers (`rootfs::buildinfo`), else from the release's default repositories.

use super::matcher::{self, modular_name};
use super::trivydb::{Advisory, Error, TrivyDb};
use super::version::{self, Scheme};
use super::{Os, Package, SEVERITIES, Vulnerability};
use std::cmp::Ordering;
use std::collections::BTreeMap;

/// The families this module matches.
pub fn is_red_hat(os: &Os) -> bool {
    matches!(os.family.as_str(), "redhat" | "centos")
}

/// The repositories an image without build information is taken to use (Trivy's
/// `defaultContentSets`): only releases 6 to 9 have them.
fn default_content_sets(major: &str) -> &'static [&'static str] {
    match major {
        "6" => &["rhel-6-server-rpms", "rhel-6-server-extras-rpms"],
        "7" => &["rhel-7-server-rpms", "rhel-7-server-extras-rpms"],
        "8" => &[
            "rhel-8-for-x86_64-baseos-rpms",
            "rhel-8-for-x86_64-appstream-rpms",
        ],
        "9" => &[
            "rhel-9-for-x86_64-baseos-rpms",
            "rhel-9-for-x86_64-appstream-rpms",
        ],
        _ => &[],
    }
}

fn major(os: &Os) -> &str {
    let release = os.release.trim();
    release.split('.').next().unwrap_or(release)
}

/// What a package's products are looked up by: its content sets and its build.
fn products_key(os: &Os, package: &Package) -> (Vec<String>, Option<String>) {
    let (sets, nvr) = match &package.build_info {
        None => (
            default_content_sets(major(os))
                .iter()
                .map(|s| s.to_string())
                .collect(),
            None,
        ),
        Some(info) => (
            info.content_sets.clone(),
            Some(format!("{}-{}", info.nvr, info.arch)),
        ),
    };
    // Build artifacts like `rhel-8-for-x86_64-baseos-rpms__8` name the plain repository;
    // EUS ones (`__9_DOT_2`) are repositories of their own.
    let sets = sets
        .into_iter()
        .map(|set| strip_generic_suffix(&set).to_string())
        .collect();
    (sets, nvr)
}

fn strip_generic_suffix(set: &str) -> &str {
    match set.rsplit_once("__") {
        Some((base, n)) if !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()) => base,
        _ => set,
    }
}

/// Why some packages cannot be matched: their content sets and build name no product
/// the database knows (RHEL 5 or 10 without build information, a repository Red Hat does
/// not publish data for). Trivy stops the scan there; kaudit says so and matches the rest.
pub fn unknown_products(
    db: &TrivyDb,
    os: &Os,
    packages: &[Package],
) -> Result<Option<String>, Error> {
    let mut unknown = Vec::new();
    for key in distinct_keys(os, packages) {
        if db.red_hat_cpe_indices(&key.0, key.1.as_deref())?.is_empty() {
            let mut what = key.0.join(", ");
            if let Some(nvr) = &key.1 {
                what = if what.is_empty() {
                    format!("build {nvr}")
                } else {
                    format!("{what}; build {nvr}")
                };
            }
            unknown.push(if what.is_empty() {
                "no content sets".to_string()
            } else {
                what
            });
        }
    }
    Ok((!unknown.is_empty()).then(|| {
        format!(
            "{} {}: the vulnerability database knows no Red Hat product for {}; those packages are not evaluated",
            os.family,
            os.release,
            unknown.join(" | ")
        )
    }))
}

fn distinct_keys(os: &Os, packages: &[Package]) -> Vec<(Vec<String>, Option<String>)> {
    let mut keys: Vec<_> = packages.iter().map(|p| products_key(os, p)).collect();
    keys.sort();
    keys.dedup();
    keys
}

/// Every known vulnerability of `packages` on a Red Hat or CentOS `os`.
pub fn matches(db: &TrivyDb, os: &Os, packages: &[Package]) -> Result<Vec<Vulnerability>, Error> {
    let mut products = BTreeMap::new();
    for key in distinct_keys(os, packages) {
        let indices = db.red_hat_cpe_indices(&key.0, key.1.as_deref())?;
        products.insert(key, indices);
    }
    let mut out = Vec::new();
    for package in packages {
        let indices = &products[&products_key(os, package)];
        if indices.is_empty() {
            continue;
        }
        let name = modular_name(&package.name, &package.modularity_label);
        let mut chosen: BTreeMap<String, Advisory> = BTreeMap::new();
        for advisory in expand(db.advisories("Red Hat", &name)?, indices) {
            let arches = &advisory.arches;
            if !arches.is_empty() && package.arch != "noarch" && !arches.contains(&package.arch) {
                continue;
            }
            // One advisory per CVE: the one with the newest fix (an unfixed entry loses to
            // any fix; the first seen, in key order, wins a tie).
            let replaces = chosen.get(&advisory.advisory.id).is_none_or(|kept| {
                newer_fix(&kept.fixed_version, &advisory.advisory.fixed_version)
            });
            if replaces {
                chosen.insert(advisory.advisory.id.clone(), advisory.advisory);
            }
        }
        for (_, advisory) in chosen {
            if !advisory.fixed_version.is_empty()
                && version::compare(Scheme::Rpm, &package.version, &advisory.fixed_version)
                    != Some(Ordering::Less)
            {
                continue;
            }
            out.push(detected(db, os, package, advisory)?);
        }
    }
    Ok(out)
}

/// Whether `candidate` fixes later than `kept`: any fix beats none.
fn newer_fix(kept: &str, candidate: &str) -> bool {
    match (kept.is_empty(), candidate.is_empty()) {
        (_, true) => false,
        (true, false) => true,
        (false, false) => version::compare(Scheme::Rpm, kept, candidate) == Some(Ordering::Less),
    }
}

/// An advisory as it applies to one CVE, with the architectures of its entry.
struct PerCve {
    advisory: Advisory,
    /// The architectures the entry is for; empty for all.
    arches: Vec<String>,
}

/// The per-CVE advisories of a package's OVAL entries that affect one of `indices`. An
/// entry keyed by an erratum (`RHSA-2019:2304`) fixes each of its CVEs; one keyed by a CVE
/// is that CVE, unfixed.
fn expand(advisories: Vec<Advisory>, indices: &[u32]) -> Vec<PerCve> {
    let mut out = Vec::new();
    for advisory in advisories {
        for entry in &advisory.entries {
            if !entry
                .affected
                .iter()
                .any(|i| indices.binary_search(i).is_ok())
            {
                continue;
            }
            for (cve, severity) in &entry.cves {
                let (id, vendor_ids) = if advisory.id.starts_with("CVE-") {
                    (advisory.id.clone(), Vec::new())
                } else {
                    (cve.clone(), vec![advisory.id.clone()])
                };
                if id.is_empty() {
                    continue;
                }
                out.push(PerCve {
                    advisory: Advisory {
                        id,
                        vendor_ids,
                        fixed_version: entry.fixed_version.clone(),
                        severity: *severity,
                        status: entry.status,
                        ..Advisory::default()
                    },
                    arches: entry.arches.clone(),
                });
            }
        }
    }
    out
}

fn detected(
    db: &TrivyDb,
    os: &Os,
    package: &Package,
    mut advisory: Advisory,
) -> Result<Vulnerability, Error> {
    // go-rpm-version prints a fix without a `0:` epoch.
    if let Some(rest) = advisory.fixed_version.strip_prefix("0:") {
        advisory.fixed_version = rest.to_string();
    }
    let severity = SEVERITIES
        .get(usize::from(advisory.severity))
        .copied()
        .unwrap_or("UNKNOWN");
    let mut found = matcher::detected(db, os, package, advisory, &Default::default())?;
    // The entry's own severity, as Red Hat rates the CVE for this product.
    found.severity = severity;
    found.severity_source = "redhat".into();
    Ok(found)
}
