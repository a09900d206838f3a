//! trivy-operator's `VulnerabilityReport` (aquasecurity.github.io/v1alpha1): one per workload
//! container, already in the cluster. Read as the image it names and its vulnerabilities.

use super::facts::ImageVulnerabilities;
use super::trivydb::DataSource;
use super::{Os, Vulnerability};
use serde_json::Value;

/// The image a report is about (`registry/repository:tag[@digest]`), its digests, and what the
/// operator found; `None` when the report does not name an image.
pub fn parse(value: &Value) -> Option<(String, Vec<String>, ImageVulnerabilities)> {
    let report = value.get("report")?;
    let text = |v: &Value, k: &str| v.get(k).and_then(Value::as_str).unwrap_or("").to_string();
    let artifact = report.get("artifact")?;
    let repository = text(artifact, "repository");
    if repository.is_empty() {
        return None;
    }
    let server = report
        .get("registry")
        .map(|r| text(r, "server"))
        .unwrap_or_default();
    let mut reference = if server.is_empty() {
        repository
    } else {
        format!("{server}/{repository}")
    };
    let tag = text(artifact, "tag");
    if !tag.is_empty() {
        reference = format!("{reference}:{tag}");
    }
    let digest = text(artifact, "digest");
    let digests: Vec<String> = (!digest.is_empty()).then_some(digest).into_iter().collect();
    let os = report.get("os").map(|o| Os {
        family: text(o, "family"),
        release: text(o, "name"),
        repository: None,
    });
    let eosl = report
        .get("os")
        .and_then(|o| o.get("eosl"))
        .and_then(Value::as_bool);
    let scanner = report
        .get("scanner")
        .map(|s| format!("{} {}", text(s, "name"), text(s, "version")))
        .unwrap_or_else(|| "trivy-operator".into());
    let vulnerabilities = report
        .get("vulnerabilities")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|v| {
            let id = text(v, "vulnerabilityID");
            (!id.is_empty()).then(|| {
                let severity = text(v, "severity");
                let fixed_version = text(v, "fixedVersion");
                Vulnerability {
                    id,
                    vendor_ids: Vec::new(),
                    package: text(v, "resource"),
                    source_package: text(v, "resource"),
                    installed_version: text(v, "installedVersion"),
                    status: if fixed_version.is_empty() {
                        "affected"
                    } else {
                        "fixed"
                    },
                    fixed_version,
                    severity: super::severity_named(&severity),
                    severity_source: String::new(),
                    title: text(v, "title"),
                    data_source: DataSource::default(),
                    package_type: text(v, "packageType"),
                    layer: None,
                    package_path: None,
                    primary_url: text(v, "primaryLink"),
                    published: text(v, "publishedDate"),
                }
            })
        })
        .collect();
    let namespace = value
        .pointer("/metadata/namespace")
        .and_then(Value::as_str)
        .unwrap_or("");
    let name = value
        .pointer("/metadata/name")
        .and_then(Value::as_str)
        .unwrap_or("");
    Some((
        reference,
        digests,
        ImageVulnerabilities {
            os,
            eosl: eosl.or(Some(false)).filter(|_| report.get("os").is_some()),
            vulnerabilities,
            source: format!("VulnerabilityReport {namespace}/{name} ({scanner})"),
        },
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_report_names_its_image_and_vulnerabilities() {
        let value = serde_json::json!({
            "metadata": {"namespace": "kube-system", "name": "replicaset-coredns-1-coredns"},
            "report": {
                "artifact": {"repository": "coredns/coredns", "tag": "v1.8.0"},
                "registry": {"server": "k8s.gcr.io"},
                "scanner": {"name": "Trivy", "version": "0.35.0"},
                "vulnerabilities": [
                    {"vulnerabilityID": "CVE-2021-3121", "resource": "github.com/gogo/protobuf",
                     "installedVersion": "v1.3.1", "fixedVersion": "1.3.2", "severity": "HIGH",
                     "title": "t"},
                    {"vulnerabilityID": "", "severity": "LOW"}
                ]
            }
        });
        let (reference, digests, facts) = parse(&value).unwrap();
        assert_eq!(reference, "k8s.gcr.io/coredns/coredns:v1.8.0");
        assert!(digests.is_empty());
        assert_eq!(facts.vulnerabilities.len(), 1);
        assert_eq!(facts.vulnerabilities[0].status, "fixed");
        assert_eq!(facts.eosl, None, "no os section: end of life unknown");
        assert!(parse(&serde_json::json!({"report": {}})).is_none());
    }
}
