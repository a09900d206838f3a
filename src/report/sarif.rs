//! SARIF 2.1.0 for code scanning: one run, every catalog rule, one result per finding with
//! the file and line of the offending field, a stable fingerprint, and suppressions kept as
//! suppressions rather than dropped.

use super::Report;
use crate::findings::{Finding, SuppressedBy};
use crate::rules::RULES;
use crate::sanitize::strip_controls;
use crate::severity::Severity;
use serde_json::{Value, json};

pub const SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";
const INFO_URI: &str = "https://github.com/kaudit/kaudit";

fn level(s: Severity) -> &'static str {
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

pub fn render(report: &Report) -> String {
    let rules: Vec<Value> = RULES
        .iter()
        .map(|r| {
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
            json!({
                "id": r.id,
                "name": r.name,
                "shortDescription": {"text": r.title},
                "fullDescription": {"text": r.rationale},
                "helpUri": r.doc_url,
                "help": {"text": r.remediation, "markdown": r.remediation},
                "defaultConfiguration": {"level": level(r.severity)},
                "properties": {
                    "tags": tags,
                    "precision": "high",
                    "security-severity": r.severity.security_severity(),
                    "cks-domain": r.cks_domain,
                    "references": r.references,
                }
            })
        })
        .collect();
    let results: Vec<Value> = report.findings.iter().map(result).collect();
    let notifications: Vec<Value> = report
        .not_evaluated
        .iter()
        .map(|n| json!({"level": "warning", "message": {"text": format!("{} not evaluated for {}: {}", n.rule_id, strip_controls(&n.scope), strip_controls(&n.reason))}, "descriptor": {"id": n.rule_id}}))
        .chain(report.input_errors.iter().map(|e| {
            let mut v = json!({"level": "error", "message": {"text": strip_controls(&e.to_string())}});
            if let Some(line) = e.line {
                v["locations"] = json!([{"physicalLocation": {"artifactLocation": {"uri": uri(&e.file)}, "region": {"startLine": line}}}]);
            }
            v
        }))
        .collect();
    let doc = json!({
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {"name": "kaudit", "version": report.tool.version, "informationUri": INFO_URI, "rules": rules}},
            "automationDetails": {"id": format!("kaudit/{}/", report.source.kind)},
            "invocations": [{"executionSuccessful": true, "toolExecutionNotifications": notifications}],
            "results": results,
        }]
    });
    let mut s = serde_json::to_string_pretty(&doc).unwrap_or_default();
    s.push('\n');
    s
}

fn result(f: &Finding) -> Value {
    let rule_index = RULES.iter().position(|r| r.id == f.rule_id).unwrap_or(0);
    let mut v = json!({
        "ruleId": f.rule_id,
        "ruleIndex": rule_index,
        "level": level(f.severity),
        "message": {"text": strip_controls(&f.message)},
        "logicalLocations": [{"fullyQualifiedName": strip_controls(&f.subject.path()), "kind": "resource"}],
        "partialFingerprints": {"kauditFindingId/v1": f.id},
        "properties": {"security-severity": f.severity.security_severity(), "area": f.area.as_str()},
    });
    if let Some(loc) = &f.location {
        v["locations"] = json!([{
            "physicalLocation": {"artifactLocation": {"uri": uri(&loc.file)}, "region": {"startLine": loc.line}},
            "logicalLocations": [{"fullyQualifiedName": strip_controls(&f.subject.path()), "kind": "resource"}],
        }]);
    }
    if let Some(s) = &f.suppressed {
        let kind = match s.by {
            SuppressedBy::Annotation => "inSource",
            SuppressedBy::Exemption => "external",
        };
        v["suppressions"] = json!([{"kind": kind, "status": "accepted", "justification": strip_controls(&s.reason)}]);
    }
    v
}

#[cfg(test)]
mod tests {
    #[test]
    fn uris_are_encoded() {
        assert_eq!(super::uri("./k8s/my app/x.yaml"), "k8s/my%20app/x.yaml");
    }
}
