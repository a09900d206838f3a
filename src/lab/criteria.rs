//! What a task asks for, as `task.yaml` writes it: each criterion is a kaudit verdict on the
//! graded folder or cluster (a rule no longer fires for a subject, a namespace enforces a
//! level and every workload passes it, the audit policy logs a request at a level, the answer
//! file names what an audit finding names, a field holds a value, a signature policy enforces
//! the right key).

use super::grade::{Graded, Outcome};
use super::path;
use crate::findings::Finding;

/// One criterion: a check, with an optional name and hint of the task's own.
#[derive(Debug, Clone, serde::Deserialize)]
pub struct Criterion {
    /// Overrides the name made from the check.
    #[serde(default)]
    pub name: Option<String>,
    /// Overrides the hint made from the check (a rule's remediation).
    #[serde(default)]
    pub hint: Option<String>,
    #[serde(flatten)]
    pub check: Check,
}

#[derive(Debug, Clone, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Check {
    Clear(Clear),
    Enforces(Enforces),
    AuditLevel(AuditLevel),
    Answer(Answer),
    Field(Field),
    SignaturePolicy(SignaturePolicy),
}

/// This rule no longer fires for this subject (and was evaluated there).
#[derive(Debug, Clone, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Clear {
    pub rule: String,
    #[serde(default)]
    pub kind: Option<String>,
    #[serde(default)]
    pub namespace: Option<String>,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub container: Option<String>,
}

/// The namespace enforces this Pod Security level at this version, and every workload in it
/// passes.
#[derive(Debug, Clone, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Enforces {
    pub namespace: String,
    pub level: String,
    /// `v1.N` or `latest`; absent: any version label, or none.
    #[serde(default)]
    pub version: Option<String>,
}

/// The audit policy records this request at exactly this level (and kube-apiserver reads
/// the policy).
#[derive(Debug, Clone, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuditLevel {
    #[serde(default = "default_policy_file")]
    pub file: String,
    #[serde(default = "default_user")]
    pub user: String,
    #[serde(default)]
    pub groups: Vec<String>,
    pub verb: String,
    #[serde(default)]
    pub group: String,
    pub resource: String,
    #[serde(default)]
    pub subresource: String,
    #[serde(default)]
    pub namespace: String,
    pub level: String,
}

fn default_policy_file() -> String {
    super::workdir::AUDIT_POLICY.into()
}

fn default_user() -> String {
    "jane@example.com".into()
}

/// The answer file's `key` holds what the findings of `rule` name in `field` (`user`,
/// `namespace`, `name`, `timestamp`, `verb`, `resource`, `kind`, `container`, `image`).
#[derive(Debug, Clone, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Answer {
    #[serde(default = "default_answer_file")]
    pub file: String,
    pub key: String,
    pub rule: String,
    pub field: String,
    /// Only the findings whose fields hold these values (to pick one of several).
    #[serde(default)]
    pub r#where: std::collections::BTreeMap<String, String>,
}

fn default_answer_file() -> String {
    super::workdir::ANSWER.into()
}

/// A field of an object holds a value. For a workload kind the path starts at its pod spec
/// (read from the audit, so it works on a live cluster too); for other kinds at the object,
/// read from the work folder's manifests.
#[derive(Debug, Clone, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Field {
    pub kind: String,
    pub namespace: String,
    pub name: String,
    /// `spec.tls[].hosts[]`, `containers[name=app].securityContext.appArmorProfile.type`;
    /// `a | b` reads `b` where `a` selects nothing (a container's setting, else the pod's:
    /// the effective value).
    pub path: String,
    /// Every value at the path equals this (and there is one).
    #[serde(default)]
    pub equals: Option<serde_json::Value>,
    /// Some value at the path, or some element of a list there, equals this.
    #[serde(default)]
    pub contains: Option<serde_json::Value>,
    /// No value at the path, nor any element of a list there, equals this.
    #[serde(default)]
    pub excludes: Option<serde_json::Value>,
}

impl Field {
    /// The path's alternatives, most specific first.
    pub fn alternatives(&self) -> impl Iterator<Item = &str> {
        self.path.split(" | ").map(str::trim)
    }
}

/// Every image of the namespace's workloads is checked by an enforcing signature policy that
/// fails closed and trusts the key in `key` (a file of the work folder).
#[derive(Debug, Clone, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SignaturePolicy {
    pub namespace: String,
    pub key: String,
}

impl Criterion {
    /// Catches what would make a criterion ungradable before any student meets it.
    pub fn validate(&self) -> Result<(), String> {
        match &self.check {
            Check::Clear(c) => known_rule(&c.rule),
            Check::Answer(a) => {
                known_rule(&a.rule)?;
                if !ANSWER_FIELDS.contains(&a.field.as_str()) {
                    return Err(format!(
                        "answer field {:?} is not one of {ANSWER_FIELDS:?}",
                        a.field
                    ));
                }
                Ok(())
            }
            Check::Enforces(e) => match e.level.as_str() {
                "privileged" | "baseline" | "restricted" => Ok(()),
                other => Err(format!("level {other:?}")),
            },
            Check::AuditLevel(a) => crate::auditlog::policy::Level::parse(&a.level)
                .map(|_| ())
                .ok_or_else(|| format!("audit level {:?}", a.level)),
            Check::Field(f) => {
                let given = [&f.equals, &f.contains, &f.excludes]
                    .iter()
                    .filter(|v| v.is_some())
                    .count();
                if given != 1 {
                    return Err(format!(
                        "field {}: give one of equals, contains or excludes",
                        f.path
                    ));
                }
                f.alternatives()
                    .try_for_each(|p| path::Path::parse(p).map(|_| ()))
            }
            Check::SignaturePolicy(_) => Ok(()),
        }
    }

    /// The criterion's name as results show it.
    pub fn name(&self) -> String {
        if let Some(name) = &self.name {
            return name.clone();
        }
        match &self.check {
            Check::Clear(c) => format!("{} no longer fires for {}", c.rule, describe(c)),
            Check::Enforces(e) => format!(
                "namespace {} enforces {}{}",
                e.namespace,
                e.level,
                e.version
                    .as_deref()
                    .map_or(String::new(), |v| format!(" at {v}"))
            ),
            Check::AuditLevel(a) => format!(
                "the audit policy logs {} {} at {}",
                a.verb,
                resource_name(a),
                a.level
            ),
            Check::Answer(a) => format!("{} names the {}", a.file, a.key),
            Check::Field(f) => format!("{} {}/{} sets {}", f.kind, f.namespace, f.name, f.path),
            Check::SignaturePolicy(s) => {
                format!(
                    "images in {} must carry a signature by {}",
                    s.namespace, s.key
                )
            }
        }
    }

    pub fn judge(&self, graded: &Graded<'_>) -> Outcome {
        let mut outcome = match &self.check {
            Check::Clear(c) => clear(c, graded),
            Check::Enforces(e) => super::verdicts::enforces(e, graded),
            Check::AuditLevel(a) => super::verdicts::audit_level(a, graded),
            Check::Answer(a) => super::verdicts::answer(a, graded),
            Check::Field(f) => super::verdicts::field(f, graded),
            Check::SignaturePolicy(s) => super::verdicts::signature_policy(s, graded),
        };
        if let Some(hint) = &self.hint {
            outcome.hint = Some(hint.clone());
        }
        outcome
    }
}

pub const ANSWER_FIELDS: [&str; 9] = [
    "user",
    "namespace",
    "name",
    "timestamp",
    "verb",
    "resource",
    "kind",
    "container",
    "image",
];

fn known_rule(id: &str) -> Result<(), String> {
    crate::rules::find(id)
        .map(|_| ())
        .ok_or_else(|| format!("unknown rule {id:?}"))
}

fn resource_name(a: &AuditLevel) -> String {
    let mut name = a.resource.clone();
    if !a.subresource.is_empty() {
        name = format!("{name}/{}", a.subresource);
    }
    name
}

fn describe(c: &Clear) -> String {
    let mut parts = Vec::new();
    if let Some(kind) = &c.kind {
        parts.push(kind.clone());
    }
    match (&c.namespace, &c.name) {
        (Some(ns), Some(name)) => parts.push(format!("{ns}/{name}")),
        (Some(ns), None) => parts.push(format!("anything in namespace {ns}")),
        (None, Some(name)) => parts.push(name.clone()),
        (None, None) => parts.push("any subject".into()),
    }
    if let Some(container) = &c.container {
        parts.push(format!("container {container}"));
    }
    parts.join(" ")
}

/// Whether a finding is about the subject a `clear` names.
pub fn is_about(finding: &Finding, c: &Clear) -> bool {
    let s = &finding.subject;
    // A finding about a Namespace object (NET001, PSA001) is in the namespace it names.
    let namespace = if s.kind == "Namespace" {
        &*s.name
    } else {
        &*s.namespace
    };
    c.kind.as_deref().is_none_or(|k| s.kind == k)
        && c.namespace.as_deref().is_none_or(|n| namespace == n)
        && c.name.as_deref().is_none_or(|n| &*s.name == n)
        // Rules about the whole pod (the PSS ones) name no container: they are about every
        // container, this one included.
        && c.container
            .as_deref()
            .is_none_or(|n| s.container.as_deref().is_none_or(|got| got == n))
}

fn clear(c: &Clear, graded: &Graded<'_>) -> Outcome {
    let rule = crate::rules::find(&c.rule);
    let hint = rule.map(|r| r.remediation.to_string());
    let firing: Vec<&Finding> = graded
        .report
        .findings
        .iter()
        .filter(|f| f.rule_id.eq_ignore_ascii_case(&c.rule) && is_about(f, c))
        .collect();
    if let Some(first) = firing.first() {
        let more = if firing.len() > 1 {
            format!(" (and {} more)", firing.len() - 1)
        } else {
            String::new()
        };
        return Outcome {
            passed: false,
            reason: format!("{} still fires: {}{more}", c.rule, first.message()),
            evidence: graded.pointer(first),
            hint,
        };
    }
    // A rule that could not look (no data, forbidden) has not passed anything.
    let gap = graded.report.not_evaluated.iter().find(|n| {
        n.rule_id.eq_ignore_ascii_case(&c.rule)
            && c.namespace
                .as_deref()
                .is_none_or(|ns| n.scope.is_empty() || n.scope.contains(ns) || n.scope == "cluster")
    });
    if let Some(gap) = gap {
        return Outcome {
            passed: false,
            reason: format!(
                "{} was not evaluated ({}): {}",
                c.rule, gap.scope, gap.reason
            ),
            evidence: None,
            hint,
        };
    }
    Outcome {
        passed: true,
        reason: format!("{} no longer fires for {}", c.rule, describe(c)),
        evidence: None,
        hint: None,
    }
}
