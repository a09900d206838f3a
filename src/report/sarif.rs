//! SARIF 2.1.0 for code scanning: one run, every catalog rule, one result per finding with
//! the file and line of the offending field, a stable fingerprint, and suppressions kept as
//! suppressions rather than dropped. Serialized from borrowed structs: reports can hold
//! hundreds of thousands of results.

use super::Report;
use crate::findings::{Finding, SuppressedBy};
use crate::rules::{self, RULES, Rule};
use crate::sanitize::{strip_controls, strip_controls_cow};
use crate::severity::Severity;
use serde::Serialize;
use std::borrow::Cow;

pub const SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";
pub const INFO_URI: &str = "https://github.com/kaudit/kaudit";

pub(super) fn level(s: Severity) -> &'static str {
    match s {
        Severity::Critical | Severity::High => "error",
        Severity::Medium => "warning",
        Severity::Low | Severity::Info => "note",
    }
}

/// Percent-encodes a relative path for `artifactLocation.uri`, keeping `/`.
fn uri(path: &str) -> String {
    let path = path.strip_prefix("./").unwrap_or(path);
    let mut out = String::new();
    for b in path.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' | b'/' => {
                out.push(b as char)
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

#[derive(Serialize)]
struct Log<'a> {
    #[serde(rename = "$schema")]
    schema: &'static str,
    version: &'static str,
    runs: [Run<'a>; 1],
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Run<'a> {
    tool: Tool,
    automation_details: Id,
    invocations: [Invocation; 1],
    results: Vec<ResultEntry<'a>>,
    /// Every image's signature status, when signatures were verified.
    #[serde(skip_serializing_if = "Option::is_none")]
    properties: Option<serde_json::Value>,
}

#[derive(Serialize)]
struct Tool {
    driver: Driver,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Driver {
    name: &'static str,
    version: &'static str,
    information_uri: &'static str,
    rules: Vec<RuleEntry>,
}

/// The catalog's rules, then one per vulnerability id of the images that run, then the
/// signature statuses' (those built as JSON).
#[derive(Serialize)]
#[serde(untagged)]
enum RuleEntry {
    Catalog(Box<SarifRule>),
    Json(serde_json::Value),
}

/// The findings, then each vulnerable package of each image, then each image whose
/// signatures fail (those built as JSON).
#[derive(Serialize)]
#[serde(untagged)]
enum ResultEntry<'a> {
    Finding(Box<SarifResult<'a>>),
    Json(serde_json::Value),
}

#[derive(Serialize)]
struct Id {
    id: String,
}

#[derive(Serialize)]
struct Text<'a> {
    text: Cow<'a, str>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SarifRule {
    id: &'static str,
    name: &'static str,
    short_description: Text<'static>,
    full_description: Text<'static>,
    help_uri: &'static str,
    help: Help,
    default_configuration: Level,
    properties: RuleProperties,
}

#[derive(Serialize)]
struct Help {
    text: &'static str,
    markdown: &'static str,
}

#[derive(Serialize)]
struct Level {
    level: &'static str,
}

#[derive(Serialize)]
struct RuleProperties {
    tags: Vec<String>,
    precision: &'static str,
    #[serde(rename = "security-severity")]
    security_severity: &'static str,
    #[serde(rename = "cks-domain")]
    cks_domain: &'static str,
    references: &'static [rules::Reference],
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Invocation {
    execution_successful: bool,
    tool_execution_notifications: Vec<Notification>,
}

#[derive(Serialize)]
struct Notification {
    level: &'static str,
    message: Text<'static>,
    #[serde(skip_serializing_if = "Option::is_none")]
    descriptor: Option<Id>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    locations: Vec<Location>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SarifResult<'a> {
    rule_id: &'static str,
    rule_index: usize,
    level: &'static str,
    message: Text<'a>,
    /// One location: the file and line (when known) and the Kubernetes object; SARIF
    /// puts logical locations inside a location, not beside it.
    locations: [Location; 1],
    partial_fingerprints: Fingerprints,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    suppressions: Vec<Suppression<'a>>,
    /// `new` or `unchanged` against the baseline; absent on a first audit.
    #[serde(skip_serializing_if = "Option::is_none")]
    baseline_state: Option<&'static str>,
    properties: ResultProperties,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Location {
    #[serde(skip_serializing_if = "Option::is_none")]
    physical_location: Option<PhysicalLocation>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    logical_locations: Vec<LogicalLocation>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct PhysicalLocation {
    artifact_location: ArtifactLocation,
    region: Region,
}

#[derive(Serialize)]
struct ArtifactLocation {
    uri: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Region {
    start_line: u32,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct LogicalLocation {
    fully_qualified_name: String,
    kind: &'static str,
}

#[derive(Serialize)]
struct Fingerprints {
    #[serde(rename = "kauditFindingId/v1")]
    id: String,
}

#[derive(Serialize)]
struct Suppression<'a> {
    kind: &'static str,
    status: &'static str,
    justification: Cow<'a, str>,
}

#[derive(Serialize)]
struct ResultProperties {
    #[serde(rename = "security-severity")]
    security_severity: &'static str,
    area: &'static str,
    /// The triage decision on the finding (`will fix (alice)`).
    #[serde(skip_serializing_if = "Option::is_none")]
    decision: Option<String>,
}

fn sarif_rule(r: &'static Rule) -> SarifRule {
    let mut tags = vec![
        "security".to_string(),
        "kubernetes".to_string(),
        r.area.as_str().to_string(),
    ];
    tags.extend(
        r.references
            .iter()
            .filter(|x| x.source == "cis")
            .map(|x| format!("CIS-{}", x.id)),
    );
    SarifRule {
        id: r.id,
        name: r.name,
        short_description: Text {
            text: Cow::Borrowed(r.title),
        },
        full_description: Text {
            text: Cow::Borrowed(r.rationale),
        },
        help_uri: r.doc_url,
        help: Help {
            text: r.remediation,
            markdown: r.remediation,
        },
        default_configuration: Level {
            level: level(r.severity),
        },
        properties: RuleProperties {
            tags,
            precision: "high",
            security_severity: r.severity.security_severity(),
            cks_domain: r.cks_domain,
            references: r.references,
        },
    }
}

fn location(file: &str, line: u32) -> Location {
    Location {
        physical_location: Some(physical(file, line)),
        logical_locations: Vec::new(),
    }
}

fn physical(file: &str, line: u32) -> PhysicalLocation {
    PhysicalLocation {
        artifact_location: ArtifactLocation { uri: uri(file) },
        // SARIF lines start at 1; objects read from a cluster have none (0).
        region: Region {
            start_line: line.max(1),
        },
    }
}

fn result<'a>(f: &'a Finding, report: &Report) -> SarifResult<'a> {
    let suppressions = f
        .suppressed
        .iter()
        .map(|s| Suppression {
            kind: match s.by {
                SuppressedBy::Annotation => "inSource",
                SuppressedBy::Exemption | SuppressedBy::Triage => "external",
            },
            status: "accepted",
            justification: strip_controls(&s.reason),
        })
        .collect();
    SarifResult {
        rule_id: f.rule_id,
        rule_index: rules::index(f.rule_id),
        level: level(f.severity),
        message: Text {
            text: strip_controls_cow(f.message()),
        },
        locations: [Location {
            physical_location: f.location.as_ref().map(|l| physical(&l.file, l.line)),
            logical_locations: vec![LogicalLocation {
                fully_qualified_name: strip_controls(&f.subject.path()).into_owned(),
                kind: "resource",
            }],
        }],
        partial_fingerprints: Fingerprints {
            id: f.id.to_string(),
        },
        suppressions,
        baseline_state: report.change_mark(f.id),
        properties: ResultProperties {
            security_severity: f.severity.security_severity(),
            area: f.area.as_str(),
            decision: f
                .decision
                .as_ref()
                .map(|d| strip_controls(&d.mark()).into_owned()),
        },
    }
}

/// Streams the SARIF log.
pub fn write(report: &Report, out: &mut dyn std::io::Write) -> std::io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, &log(report))?;
    out.write_all(b"\n")
}

pub fn render(report: &Report) -> String {
    let mut buf = Vec::new();
    let _ = write(report, &mut buf);
    String::from_utf8(buf).unwrap_or_default()
}

fn log(report: &Report) -> Log<'_> {
    let notifications = report
        .not_evaluated
        .iter()
        .map(|n| Notification {
            level: "warning",
            message: Text {
                text: Cow::Owned(format!(
                    "{} not evaluated for {}: {}",
                    n.rule_id,
                    strip_controls(&n.scope),
                    strip_controls(&n.reason)
                )),
            },
            descriptor: Some(Id {
                id: n.rule_id.to_string(),
            }),
            locations: Vec::new(),
        })
        .chain(
            super::sarif_signatures::notifications(report)
                .into_iter()
                .map(|(level, text)| Notification {
                    level,
                    message: Text {
                        text: Cow::Owned(text),
                    },
                    descriptor: None,
                    locations: Vec::new(),
                }),
        )
        .chain(report.input_errors.iter().map(|e| {
            Notification {
                level: "error",
                message: Text {
                    text: Cow::Owned(strip_controls(&e.to_string()).into_owned()),
                },
                descriptor: None,
                locations: e
                    .line
                    .map(|line| location(&e.file, line))
                    .into_iter()
                    .collect(),
            }
        }))
        .collect();
    let mut rules: Vec<RuleEntry> = RULES
        .iter()
        .map(|r| RuleEntry::Catalog(Box::new(sarif_rule(r))))
        .collect();
    let mut results: Vec<ResultEntry> = report
        .findings
        .iter()
        .map(|f| ResultEntry::Finding(Box::new(result(f, report))))
        .collect();
    let (ids, vulnerability_rules) =
        super::sarif_vulnerabilities::catalog(super::vulnerabilities::rows(report).map(|(_, v)| v));
    let offset = rules.len();
    rules.extend(vulnerability_rules.into_iter().map(RuleEntry::Json));
    results.extend(
        super::vulnerabilities::rows(report)
            .map(|(image, v)| ResultEntry::Json(vulnerability_result(image, v, &ids, offset))),
    );
    let offset = rules.len();
    rules.extend(
        super::sarif_signatures::rules(report)
            .into_iter()
            .map(RuleEntry::Json),
    );
    results.extend(
        super::sarif_signatures::results(report, offset, |l| {
            serde_json::to_value(physical(&l.file, l.line)).unwrap_or_default()
        })
        .into_iter()
        .map(ResultEntry::Json),
    );
    Log {
        schema: SCHEMA,
        version: "2.1.0",
        runs: [Run {
            tool: Tool {
                driver: Driver {
                    name: "kaudit",
                    version: report.tool.version,
                    information_uri: INFO_URI,
                    rules,
                },
            },
            automation_details: Id {
                id: format!("kaudit/{}/", report.source.kind),
            },
            invocations: [Invocation {
                execution_successful: true,
                tool_execution_notifications: notifications,
            }],
            results,
            properties: super::sarif_signatures::properties(report),
        }],
    }
}

/// A vulnerable package of an image: located at the image and the package, fingerprinted by
/// both and the vulnerability so code scanning tracks it across audits.
fn vulnerability_result(
    image: &crate::vuln::facts::ImageSummary,
    v: &crate::vuln::Vulnerability,
    ids: &[&str],
    rule_offset: usize,
) -> serde_json::Value {
    use super::sarif_vulnerabilities::{package_location, result};
    let mut location = serde_json::json!({
        "logicalLocations": [
            {"fullyQualifiedName": strip_controls(&image.image), "kind": "resource"},
            package_location(v),
        ],
    });
    // Where the image runs: the first workload's manifest (a viewer drops a result without
    // a file).
    if let Some(place) = &image.location {
        location["physicalLocation"] =
            serde_json::to_value(physical(&place.file, place.line)).unwrap_or_default();
    }
    let mut out = result(v, ids, rule_offset, location);
    out["partialFingerprints"] = serde_json::json!({
        "kauditVulnerability/v1": strip_controls(&format!(
            "{}|{}|{}|{}",
            image.image, v.id, v.package, v.installed_version
        )),
    });
    out["properties"] = serde_json::json!({
        "security-severity": crate::vuln::severity(v.severity).security_severity(),
        "area": "images",
    });
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn uris_are_encoded() {
        assert_eq!(super::uri("./k8s/my app/x.yaml"), "k8s/my%20app/x.yaml");
    }
}
