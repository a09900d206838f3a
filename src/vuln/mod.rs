//! Known vulnerabilities of the packages in an image, matched against Trivy's database the
//! way Trivy matches them: the same buckets, the same package names (source packages for
//! Debian, Ubuntu and Alpine, binary ones for the RPM family), the same version orderings,
//! statuses and severity choice.

pub mod eol;
pub mod facts;
pub mod fixture;
pub mod image;
pub mod javadb;
pub mod language;
pub mod locate;
pub mod matcher;
pub mod operator_report;
pub mod redhat;
pub mod rootfs;
pub mod sqlite;
pub mod trivy_report;
pub mod trivydb;
pub mod update;
pub mod version;

/// Trivy's status names by code (trivy-db `pkg/types/status.go`).
pub const STATUSES: [&str; 8] = [
    "unknown",
    "not_affected",
    "affected",
    "fixed",
    "under_investigation",
    "will_not_fix",
    "fix_deferred",
    "end_of_life",
];

/// Trivy's severity names by code.
pub const SEVERITIES: [&str; 5] = ["UNKNOWN", "LOW", "MEDIUM", "HIGH", "CRITICAL"];

/// Trivy's status name `text` is, as the static name; `unknown` for anything else.
pub fn status_named(text: &str) -> &'static str {
    STATUSES
        .iter()
        .find(|s| **s == text)
        .copied()
        .unwrap_or("unknown")
}

/// Trivy's severity name `text` is, as the static name; `UNKNOWN` for anything else.
pub fn severity_named(text: &str) -> &'static str {
    SEVERITIES
        .iter()
        .find(|s| **s == text)
        .copied()
        .unwrap_or("UNKNOWN")
}

/// The operating system of an image, as its release files say.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Os {
    /// `debian`, `ubuntu`, `alpine`, `amazon`, ...: Trivy's family names.
    pub family: String,
    /// The release as the image writes it (`10.1`, `18.04`, `3.10.2`, `2 (Karoo)`).
    pub release: String,
    /// The release its package repositories name (Alpine's `etc/apk/repositories`: `3.19`,
    /// `edge`), when it says one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub repository: Option<String>,
}

/// One installed OS package.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct Package {
    pub name: String,
    /// The full installed version: `[epoch:]version[-release]`.
    pub version: String,
    /// The source package (Debian, Ubuntu: the `Source:` field; Alpine: the origin).
    pub source_name: String,
    /// The source package's full version.
    pub source_version: String,
    pub arch: String,
    /// RPM's module stream (`nodejs:12:8030020201124152102:229f0a1c`), when the package
    /// comes from one.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub modularity_label: String,
    /// The layer that added the package, when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub layer: Option<String>,
    /// Red Hat's build information of the package's layer: which products its advisories
    /// are looked up for.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub build_info: Option<rootfs::buildinfo::BuildInfo>,
}

/// A vulnerability found in an installed package.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Vulnerability {
    pub id: String,
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub vendor_ids: Vec<String>,
    pub package: String,
    pub source_package: String,
    pub installed_version: String,
    /// Empty when there is no fix.
    pub fixed_version: String,
    /// `fixed`, `affected`, `will_not_fix`, `fix_deferred`, `end_of_life`, ...
    // Read back by `Vulnerability::from_cache`, which names it from Trivy's list.
    #[serde(skip_deserializing)]
    pub status: &'static str,
    /// `CRITICAL`, `HIGH`, `MEDIUM`, `LOW` or `UNKNOWN`, as Trivy picks it.
    #[serde(skip_deserializing)]
    pub severity: &'static str,
    /// Whose severity that is (`debian`, `nvd`; empty when no source had one).
    pub severity_source: String,
    pub title: String,
    pub data_source: trivydb::DataSource,
    /// `debian`, `alpine`, `amazon`, `python-pkg`, `node-pkg`...: the kind of package.
    pub package_type: String,
    /// The file a language package was read from.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub package_path: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub layer: Option<String>,
    pub primary_url: String,
    #[serde(skip_serializing_if = "String::is_empty", default)]
    pub published: String,
}

impl Vulnerability {
    /// `fixed in 1.2.3`, or `no fix (will_not_fix)`: what the reports say of the fix.
    pub fn fix_words(&self) -> String {
        if self.fixed_version.is_empty() {
            format!("no fix ({})", self.status)
        } else {
            format!("fixed in {}", self.fixed_version)
        }
    }

    /// `openssl 1.1.1k is affected by CVE-2021-3711 (CRITICAL): fixed in 1.1.1l`.
    pub fn sentence(&self) -> String {
        format!(
            "{} {} is affected by {} ({}): {}",
            self.package,
            self.installed_version,
            self.id,
            self.severity,
            self.fix_words()
        )
    }

    /// Matches kaudit kept in its store (written by `serde_json`), their status and severity
    /// named again from Trivy's lists; `None` when the bytes are not such a list.
    pub fn from_cache(bytes: &[u8]) -> Option<Vec<Vulnerability>> {
        let values: Vec<serde_json::Value> = serde_json::from_slice(bytes).ok()?;
        values
            .into_iter()
            .map(|value| {
                let text = |field: &str| value.get(field).and_then(serde_json::Value::as_str);
                let status = status_named(text("status").unwrap_or(""));
                let severity = severity_named(text("severity").unwrap_or(""));
                let mut found: Vulnerability = serde_json::from_value(value).ok()?;
                found.status = status;
                found.severity = severity;
                Some(found)
            })
            .collect()
    }
}

/// Trivy's severity name (`CRITICAL`...) in kaudit's scale; UNKNOWN counts as info.
pub fn severity(name: &str) -> crate::severity::Severity {
    use crate::severity::Severity;
    match name {
        "CRITICAL" => Severity::Critical,
        "HIGH" => Severity::High,
        "MEDIUM" => Severity::Medium,
        "LOW" => Severity::Low,
        _ => Severity::Info,
    }
}

/// One image scanned: what kaudit read of it and what it found (`kaudit image scan`).
#[derive(Debug, Clone, serde::Serialize)]
pub struct ImageScan {
    /// The folder (or reference) scanned.
    pub artifact: String,
    /// The platform manifest's digest (images from a registry or an OCI layout).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub digest: Option<String>,
    /// The packages came from kaudit's per-digest cache, not the layers.
    pub cached: bool,
    pub os: ScannedOs,
    /// False when kaudit does not match the OS family yet (nothing evaluated).
    pub evaluated: bool,
    /// Installed OS packages read.
    pub packages: usize,
    /// Python, Node.js, Go and Java packages read.
    pub language_packages: usize,
    pub database: ScannedWith,
    /// The Java DB that named JARs, when there is one.
    pub java_database: Option<ScannedWith>,
    pub notes: Vec<String>,
    /// Most severe first.
    pub vulnerabilities: Vec<Vulnerability>,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct ScannedOs {
    pub family: String,
    pub release: String,
    /// Past its end of life; `None` when not known.
    pub eosl: Option<bool>,
}

/// The database a scan used.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ScannedWith {
    pub path: String,
    pub updated_at: Option<String>,
    pub next_update: Option<String>,
}

impl ImageScan {
    /// Where the image's packages were read from (for locations in reports).
    pub fn package_database(&self) -> &'static str {
        match self.os.family.as_str() {
            "alpine" => "lib/apk/db/installed",
            "debian" | "ubuntu" => "var/lib/dpkg/status",
            _ => "var/lib/rpm",
        }
    }
}
