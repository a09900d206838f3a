//! The findings model: what a check reports, and the tri-state coverage behind every score.

use crate::rules::{self, Reference};
use crate::severity::{Area, Severity};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;

/// What a finding is about. For cluster objects: kind, namespace, name and optionally the
/// container and image.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
pub struct Subject {
    pub kind: String,
    pub namespace: String,
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub container: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub image: Option<String>,
}

impl Subject {
    pub fn object(kind: &str, namespace: &str, name: &str) -> Self {
        Subject {
            kind: kind.into(),
            namespace: namespace.into(),
            name: name.into(),
            container: None,
            image: None,
        }
    }

    /// `namespace/Kind/name[/container]`, the form exemption patterns match.
    pub fn path(&self) -> String {
        let ns = if self.namespace.is_empty() {
            "-"
        } else {
            &self.namespace
        };
        match &self.container {
            Some(c) => format!("{ns}/{}/{}/{c}", self.kind, self.name),
            None => format!("{ns}/{}/{}", self.kind, self.name),
        }
    }
}

/// A field and the value that made the check fail.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Evidence {
    /// Dotted field path inside the object: `spec.template.spec.containers[0].securityContext.privileged`.
    pub path: String,
    pub value: String,
    /// JSON pointer of the same field inside the file's document, used to find its line.
    #[serde(skip)]
    pub pointer: String,
    /// Line of the field in the source file, when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<u32>,
}

impl Evidence {
    /// Evidence at a JSON pointer inside the document (the object's own pointer included).
    pub fn at(pointer: String, value: impl Into<String>) -> Self {
        Evidence {
            path: dotted_path(&pointer),
            value: value.into(),
            pointer,
            line: None,
        }
    }
}

/// `/items/0/spec/containers/1/image` → `spec.containers[1].image` (List position dropped).
pub fn dotted_path(pointer: &str) -> String {
    let pointer = match pointer.strip_prefix("/items/") {
        Some(rest) => rest.find('/').map_or("", |i| &rest[i..]),
        None => pointer,
    };
    let mut out = String::new();
    for seg in pointer.split('/').skip(1) {
        let seg = seg.replace("~1", "/").replace("~0", "~");
        if !seg.is_empty() && seg.bytes().all(|b| b.is_ascii_digit()) {
            out.push_str(&format!("[{seg}]"));
        } else {
            if !out.is_empty() {
                out.push('.');
            }
            out.push_str(&seg);
        }
    }
    out
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Location {
    pub file: String,
    pub line: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SuppressedBy {
    Annotation,
    Exemption,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Suppression {
    pub by: SuppressedBy,
    pub reason: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expires: Option<String>,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct Finding {
    /// Stable across runs for the same rule and subject.
    pub id: String,
    pub rule_id: &'static str,
    pub area: Area,
    pub severity: Severity,
    pub title: String,
    pub message: String,
    pub subject: Subject,
    pub evidence: Vec<Evidence>,
    pub remediation: String,
    pub references: Vec<Reference>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub suppressed: Option<Suppression>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub location: Option<Location>,
}

impl Finding {
    pub fn is_active(&self) -> bool {
        self.suppressed.is_none()
    }
}

/// Stable finding ID: a hash of the rule and the subject (and a discriminator for rules that
/// can fire several times on one subject).
pub fn stable_id(rule_id: &str, subject: &Subject, discriminator: &str) -> String {
    let mut h = Sha256::new();
    for part in [
        rule_id,
        &subject.kind,
        &subject.namespace,
        &subject.name,
        subject.container.as_deref().unwrap_or(""),
        discriminator,
    ] {
        h.update(part.as_bytes());
        h.update([0u8]);
    }
    let digest = h.finalize();
    digest.iter().take(8).map(|b| format!("{b:02x}")).collect()
}

/// One rule's tri-state tally over the subjects it was applied to.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct RuleCoverage {
    pub passed: u64,
    pub failed: u64,
    pub suppressed: u64,
    pub not_evaluated: Vec<NotEvaluated>,
}

/// A scope a rule could not be evaluated on, and why (forbidden, data missing...).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct NotEvaluated {
    pub rule_id: &'static str,
    pub scope: String,
    pub reason: String,
}

/// Collects what checks decide: a pass, a finding, or "not evaluated".
#[derive(Debug, Default)]
pub struct Recorder {
    pub findings: Vec<Finding>,
    pub coverage: BTreeMap<&'static str, RuleCoverage>,
}

/// The per-finding facts a check supplies; the rest comes from the catalog.
pub struct FindingInput {
    pub subject: Subject,
    pub message: String,
    pub evidence: Vec<Evidence>,
    pub location: Option<Location>,
    /// Distinguishes several findings of one rule on one subject.
    pub discriminator: String,
    /// Overrides the rule's severity (e.g. a wildcard grant that includes secrets).
    pub severity: Option<Severity>,
}

impl Recorder {
    pub fn pass(&mut self, rule_id: &'static str) {
        self.coverage.entry(rule_id).or_default().passed += 1;
    }

    pub fn fail(&mut self, rule_id: &'static str, input: FindingInput) {
        let rule = rules::rule(rule_id);
        self.coverage.entry(rule_id).or_default().failed += 1;
        let mut references = rule.references.to_vec();
        references.push(Reference {
            source: "cks",
            id: rule.cks_domain,
        });
        self.findings.push(Finding {
            id: stable_id(rule_id, &input.subject, &input.discriminator),
            rule_id,
            area: rule.area,
            severity: input.severity.unwrap_or(rule.severity),
            title: rule.title.to_string(),
            message: input.message,
            subject: input.subject,
            evidence: input.evidence,
            remediation: rule.remediation.to_string(),
            references,
            suppressed: None,
            location: input.location,
        });
    }

    pub fn not_evaluated(
        &mut self,
        rule_id: &'static str,
        scope: impl Into<String>,
        reason: impl Into<String>,
    ) {
        self.coverage
            .entry(rule_id)
            .or_default()
            .not_evaluated
            .push(NotEvaluated {
                rule_id,
                scope: scope.into(),
                reason: reason.into(),
            });
    }

    /// Passes or fails a rule on one subject depending on whether `input` is present.
    pub fn decide(&mut self, rule_id: &'static str, input: Option<FindingInput>) {
        match input {
            Some(input) => self.fail(rule_id, input),
            None => self.pass(rule_id),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dotted_paths_and_stable_ids() {
        assert_eq!(
            dotted_path("/items/3/spec/template/spec/containers/0/image"),
            "spec.template.spec.containers[0].image"
        );
        assert_eq!(
            dotted_path("/metadata/annotations/a~1b"),
            "metadata.annotations.a/b"
        );
        let s = Subject::object("Pod", "ns", "p");
        assert_eq!(stable_id("PSS002", &s, ""), stable_id("PSS002", &s, ""));
        assert_ne!(stable_id("PSS002", &s, ""), stable_id("PSS001", &s, ""));
        assert_eq!(stable_id("PSS002", &s, "").len(), 16);
    }
}
