//! Vulnerabilities in SARIF: each vulnerability id a rule (with the `security-severity` code
//! scanning sorts by), each vulnerable package of an image a result. Shared by the audit
//! report (results located at the image) and `kaudit image scan` (at the package database).

use crate::sanitize::strip_controls;
use crate::vuln::{Vulnerability, severity};
use serde_json::{Value, json};
use std::collections::BTreeMap;

/// The distinct vulnerability ids, sorted (a result's `ruleIndex` is an offset into them),
/// and their rules, each described by the first row with that id.
pub fn catalog<'a>(
    vulnerabilities: impl Iterator<Item = &'a Vulnerability>,
) -> (Vec<&'a str>, Vec<Value>) {
    let mut first: BTreeMap<&str, &Vulnerability> = BTreeMap::new();
    for v in vulnerabilities {
        first.entry(v.id.as_str()).or_insert(v);
    }
    (
        first.keys().copied().collect(),
        first.values().map(|v| rule(v)).collect(),
    )
}

/// The rule for one vulnerability id, described by (any) one of its rows.
pub fn rule(v: &Vulnerability) -> Value {
    let title = if v.title.is_empty() { &v.id } else { &v.title };
    json!({
        "id": strip_controls(&v.id),
        "shortDescription": {"text": strip_controls(title)},
        "helpUri": v.primary_url,
        "properties": {
            "security-severity": severity(v.severity).security_severity(),
            "tags": ["vulnerability", "security", v.severity],
        },
    })
}

pub fn level(v: &Vulnerability) -> &'static str {
    match v.severity {
        "CRITICAL" | "HIGH" => "error",
        "MEDIUM" => "warning",
        _ => "note",
    }
}

/// One vulnerable package as a result; `rule_offset` is where the vulnerability rules start
/// in the run's rule list, `location` where the package is.
pub fn result(v: &Vulnerability, ids: &[&str], rule_offset: usize, location: Value) -> Value {
    json!({
        "ruleId": strip_controls(&v.id),
        "ruleIndex": rule_offset + ids.binary_search(&v.id.as_str()).unwrap_or(0),
        "level": level(v),
        "message": {"text": strip_controls(&v.sentence())},
        "locations": [location],
    })
}

/// The package as a logical location (`openssl@1.1.1k`).
pub fn package_location(v: &Vulnerability) -> Value {
    json!({
        "fullyQualifiedName": strip_controls(&format!("{}@{}", v.package, v.installed_version)),
        "kind": "package",
    })
}
