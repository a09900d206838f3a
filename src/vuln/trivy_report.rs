//! Trivy's JSON reports (`trivy image --format json`, schema 2) read as kaudit's
//! vulnerabilities, for clusters where Trivy already ran: the image, its OS and every
//! vulnerability of every result (OS and language packages).

use super::trivydb::DataSource;
use super::{Os, Vulnerability};
use serde::Deserialize;

/// Reports are read up to this size (a big image's report is a few MiB).
pub const MAX_REPORT_BYTES: usize = 256 << 20;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("not a Trivy JSON report ({0})")]
    Json(#[from] serde_json::Error),
    #[error("Trivy report schema {0}; kaudit reads schema 2 (trivy 0.20 and later)")]
    Schema(i64),
    #[error("larger than {} MiB", MAX_REPORT_BYTES >> 20)]
    TooLarge,
}

/// One image's report.
#[derive(Debug, Clone, PartialEq)]
pub struct ImageReport {
    /// `ArtifactName`: the reference Trivy scanned.
    pub artifact: String,
    /// `RepoDigests` (`repo@sha256:...`): how the report is tied to running containers.
    pub digests: Vec<String>,
    pub os: Option<Os>,
    /// Trivy says the OS release is past its end of life.
    pub eosl: bool,
    pub vulnerabilities: Vec<Vulnerability>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Report {
    #[serde(default)]
    schema_version: i64,
    #[serde(default)]
    artifact_name: String,
    #[serde(default)]
    metadata: Metadata,
    #[serde(default)]
    results: Vec<TrivyResult>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "PascalCase")]
struct Metadata {
    #[serde(rename = "OS", default)]
    os: Option<TrivyOs>,
    #[serde(default)]
    repo_digests: Vec<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct TrivyOs {
    #[serde(default)]
    family: String,
    #[serde(default)]
    name: String,
    #[serde(rename = "EOSL", default)]
    eosl: bool,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct TrivyResult {
    #[serde(default)]
    r#type: String,
    #[serde(default)]
    vulnerabilities: Vec<TrivyVulnerability>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct TrivyVulnerability {
    #[serde(rename = "VulnerabilityID", default)]
    vulnerability_id: String,
    #[serde(rename = "VendorIDs", default)]
    vendor_ids: Vec<String>,
    #[serde(default)]
    pkg_name: String,
    #[serde(default)]
    installed_version: String,
    #[serde(default)]
    fixed_version: String,
    #[serde(default)]
    status: String,
    #[serde(default)]
    severity: String,
    #[serde(default)]
    severity_source: String,
    #[serde(default)]
    title: String,
    #[serde(rename = "PrimaryURL", default)]
    primary_url: String,
    #[serde(default)]
    published_date: String,
    #[serde(default)]
    data_source: Option<TrivyDataSource>,
    #[serde(default)]
    layer: Option<TrivyLayer>,
    #[serde(rename = "PkgPath", default)]
    pkg_path: String,
}

#[derive(Deserialize)]
struct TrivyDataSource {
    #[serde(rename = "ID", default)]
    id: String,
    #[serde(rename = "Name", default)]
    name: String,
    #[serde(rename = "URL", default)]
    url: String,
}

#[derive(Deserialize)]
struct TrivyLayer {
    #[serde(rename = "Digest", default)]
    digest: String,
}

/// Reads one report.
pub fn parse(bytes: &[u8]) -> Result<ImageReport, Error> {
    if bytes.len() > MAX_REPORT_BYTES {
        return Err(Error::TooLarge);
    }
    let report: Report = serde_json::from_slice(bytes)?;
    if report.schema_version != 2 {
        return Err(Error::Schema(report.schema_version));
    }
    let os = report.metadata.os.as_ref().map(|o| Os {
        family: o.family.clone(),
        release: o.name.clone(),
        repository: None,
    });
    let mut vulnerabilities = Vec::new();
    for result in report.results {
        for v in result.vulnerabilities {
            vulnerabilities.push(Vulnerability {
                source_package: v.pkg_name.clone(),
                id: v.vulnerability_id,
                vendor_ids: v.vendor_ids,
                package: v.pkg_name,
                installed_version: v.installed_version,
                fixed_version: v.fixed_version,
                // Only the names Trivy writes; anything else reads as unknown.
                status: super::status_named(&v.status),
                severity: super::severity_named(&v.severity),
                severity_source: v.severity_source,
                title: v.title,
                data_source: v
                    .data_source
                    .map(|d| DataSource {
                        id: d.id,
                        name: d.name,
                        url: d.url,
                    })
                    .unwrap_or_default(),
                package_type: result.r#type.clone(),
                layer: v.layer.map(|l| l.digest).filter(|d| !d.is_empty()),
                package_path: Some(v.pkg_path).filter(|p| !p.is_empty()),
                primary_url: v.primary_url,
                published: v.published_date,
            });
        }
    }
    Ok(ImageReport {
        artifact: report.artifact_name,
        digests: report.metadata.repo_digests,
        eosl: report.metadata.os.is_some_and(|o| o.eosl),
        os,
        vulnerabilities,
    })
}
