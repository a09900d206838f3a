//! The findings model: what a check reports, and the tri-state coverage behind every score.

pub mod changes;
pub mod message;
pub mod pointer;

pub use message::Message;
pub use pointer::{PodField, Pointer};

use crate::rules::{self, Reference};
use crate::severity::{Area, Severity};
use std::borrow::Cow;
use std::collections::BTreeMap;
use std::sync::Arc;

/// What a finding is about. For cluster objects: kind, namespace, name and optionally the
/// container and image.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
pub struct Subject {
    pub kind: &'static str,
    /// Shared with the inventory: a workload's findings do not copy its names.
    pub namespace: Arc<str>,
    pub name: Arc<str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub container: Option<Arc<str>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub image: Option<Arc<str>>,
    /// For audit-log findings: the request behind it.
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    pub event: Option<Box<EventSubject>>,
}

/// The audit event a finding is about: `{"audit_id", "user", "verb", "resource", "timestamp"}`
/// next to the object's namespace and name.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
pub struct EventSubject {
    pub audit_id: String,
    pub user: String,
    pub verb: String,
    pub resource: String,
    pub timestamp: String,
}

impl Subject {
    pub fn object(
        kind: &'static str,
        namespace: impl Into<Arc<str>>,
        name: impl Into<Arc<str>>,
    ) -> Self {
        Subject {
            kind,
            namespace: namespace.into(),
            name: name.into(),
            container: None,
            image: None,
            event: None,
        }
    }

    /// `namespace/Kind/name[/container]`, the form exemption patterns match.
    /// An audit event's request as people write it (`exec into pod shop/web-1 by jane`,
    /// `GET /api/v1/namespaces by system:anonymous`); `None` for objects.
    pub fn event_summary(&self) -> Option<String> {
        let e = self.event.as_ref()?;
        let object = if self.namespace.is_empty() {
            self.name.to_string()
        } else {
            format!("{}/{}", self.namespace, self.name)
        };
        let (resource, sub) = e
            .resource
            .split_once('/')
            .map_or((e.resource.as_str(), ""), |(r, s)| (r, s));
        let singular = singular(resource);
        let what = match (resource, sub) {
            // A request with no object name: its URI is what was asked.
            _ if self.name.starts_with('/') => {
                format!("{} {}", e.verb.to_uppercase(), self.name)
            }
            ("pods", "exec") => format!("exec into pod {object}"),
            ("pods", "attach") => format!("attach to pod {object}"),
            ("pods", "portforward") => format!("port-forward to pod {object}"),
            ("nodes", "proxy") => format!("kubelet proxy on node {object}"),
            (_, "") => format!("{} {singular} {object}", e.verb),
            (_, sub) => format!("{} {sub} of {singular} {object}", e.verb),
        };
        Some(format!("{what} by {}", e.user))
    }

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
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Evidence {
    /// JSON pointer of the field inside the file's document (List position included), used
    /// to find its line; the dotted path shown to users is derived from it.
    pub pointer: Pointer,
    pub value: Cow<'static, str>,
    /// Line of the field in the source file, when known.
    pub line: Option<u32>,
    /// A label used instead of the pointer's path for evidence that is not one field.
    pub label: Option<&'static str>,
}

impl Evidence {
    /// Evidence at a JSON pointer inside the document (the object's own pointer included).
    pub fn at(pointer: impl Into<Pointer>, value: impl Into<Cow<'static, str>>) -> Self {
        Evidence {
            pointer: pointer.into(),
            value: value.into(),
            line: None,
            label: None,
        }
    }

    /// Evidence about something that is not a single field (`networkpolicies: none`).
    pub fn labelled(label: &'static str, value: impl Into<Cow<'static, str>>) -> Self {
        Evidence {
            pointer: Pointer::from(String::new()),
            value: value.into(),
            line: None,
            label: Some(label),
        }
    }

    /// Dotted field path inside the object: `spec.template.spec.containers[0].securityContext`.
    pub fn path(&self) -> String {
        match self.label {
            Some(label) => label.to_string(),
            None => dotted_path(&self.pointer.text()),
        }
    }
}

impl serde::Serialize for Evidence {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = serializer.serialize_map(None)?;
        map.serialize_entry("path", &self.path())?;
        map.serialize_entry("value", &self.value)?;
        if let Some(line) = self.line {
            map.serialize_entry("line", &line)?;
        }
        map.end()
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
    /// Shared with the inventory's origin: findings do not copy file names.
    pub file: std::sync::Arc<str>,
    pub line: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SuppressedBy {
    Annotation,
    Exemption,
    /// A decision taken in the TUI (accepted risk, false positive), kept in the store.
    Triage,
}

impl SuppressedBy {
    /// How reports name it.
    pub fn label(&self) -> &'static str {
        match self {
            SuppressedBy::Annotation => "annotation",
            SuppressedBy::Exemption => "exemption",
            SuppressedBy::Triage => "triage decision",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Suppression {
    pub by: SuppressedBy,
    pub reason: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expires: Option<String>,
}

#[derive(Debug, Clone)]
pub struct Finding {
    /// Stable across runs for the same rule and subject.
    pub id: FindingId,
    pub rule_id: &'static str,
    pub area: Area,
    pub severity: Severity,
    pub title: &'static str,
    /// Written out with the subject by [`Finding::message`].
    message: Message,
    pub subject: Subject,
    pub evidence: Vec<Evidence>,
    pub remediation: &'static str,
    /// The rule's references plus its CKS domain.
    pub references: References,
    /// Boxed: rare, and a finding is moved and stored by the hundred thousand.
    pub suppressed: Option<Box<Suppression>>,
    /// A triage decision on this finding: applied (it may suppress it), or come back because
    /// it expired or the evidence changed.
    pub decision: Option<Box<crate::triage::decisions::Judged>>,
    pub location: Option<Location>,
}

impl serde::Serialize for Finding {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut out = serializer.serialize_struct("Finding", 13)?;
        out.serialize_field("id", &self.id)?;
        out.serialize_field("rule_id", self.rule_id)?;
        out.serialize_field("area", &self.area)?;
        out.serialize_field("severity", &self.severity)?;
        out.serialize_field("title", self.title)?;
        out.serialize_field("message", &self.message())?;
        out.serialize_field("subject", &self.subject)?;
        out.serialize_field("evidence", &self.evidence)?;
        out.serialize_field("remediation", self.remediation)?;
        out.serialize_field("references", &self.references)?;
        if let Some(suppressed) = &self.suppressed {
            out.serialize_field("suppressed", suppressed)?;
        }
        if let Some(decision) = &self.decision {
            out.serialize_field("decision", decision)?;
        }
        if let Some(location) = &self.location {
            out.serialize_field("location", location)?;
        }
        out.end()
    }
}

/// A rule's references, serialized with its CKS domain appended as `{"source": "cks"}`.
#[derive(Debug, Clone, Copy)]
pub struct References(pub &'static rules::Rule);

impl References {
    pub fn iter(&self) -> impl Iterator<Item = Reference> {
        let cks = Reference {
            source: "cks",
            id: self.0.cks_domain,
        };
        self.0
            .references
            .iter()
            .copied()
            .chain(std::iter::once(cks))
    }
}

impl serde::Serialize for References {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.iter())
    }
}

impl Finding {
    pub fn is_active(&self) -> bool {
        self.suppressed.is_none()
    }

    /// FNV-1a over the message and evidence: fixed forever, so a decision taken on one
    /// version of the evidence is seen to be stale when it changes.
    pub fn evidence_hash(&self) -> u64 {
        let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
        let mut feed = |bytes: &[u8]| {
            for b in bytes.iter().chain([&0xff]) {
                hash ^= u64::from(*b);
                hash = hash.wrapping_mul(0x0100_0000_01b3);
            }
        };
        feed(self.message().as_bytes());
        for evidence in &self.evidence {
            feed(evidence.pointer.to_string().as_bytes());
            feed(evidence.value.as_bytes());
        }
        hash
    }

    /// What the finding says, written out for its subject.
    pub fn message(&self) -> Cow<'_, str> {
        self.message.shown(&self.subject).text()
    }

    /// The message for a table whose object column names the subject: without the
    /// subject's words; the rule's title when nothing else is left (an audit event's
    /// `jane get secret shop/db` beside `get secret shop/db by jane`).
    pub fn message_beside_object(&self) -> String {
        let brief = self.message.shown(&self.subject).beside_object();
        // Every word of it is in the request the column shows (`Patch configmaps
        // kube-system/coredns` beside `patch configmap kube-system/coredns by jane`).
        let repeats = |summary: String| {
            let words = |text: &str| -> Vec<String> {
                text.to_lowercase()
                    .split_whitespace()
                    .map(|w| w.trim_end_matches('s').to_string())
                    .collect()
            };
            let shown = words(&summary);
            words(&brief).iter().all(|w| shown.contains(w))
        };
        if brief.is_empty() || self.subject.event_summary().is_some_and(repeats) {
            self.title.to_string()
        } else {
            brief
        }
    }
}

/// A finding's stable ID, shown as 16 hex digits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct FindingId(pub u64);

impl std::fmt::Display for FindingId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:016x}", self.0)
    }
}

impl serde::Serialize for FindingId {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

/// Stable finding ID: a hash of the rule and the subject (and a discriminator for rules that
/// can fire several times on one subject). FNV-1a, fixed forever so IDs survive upgrades.
pub fn stable_id(rule_id: &str, subject: &Subject, discriminator: &str) -> FindingId {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for part in [
        rule_id,
        subject.kind,
        &subject.namespace,
        &subject.name,
        subject.container.as_deref().unwrap_or(""),
        discriminator,
    ] {
        for b in part.bytes().chain(std::iter::once(0)) {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
    FindingId(h)
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
#[derive(Debug, Default, Clone)]
pub struct Recorder {
    pub findings: Vec<Finding>,
    /// Indexed like [`rules::RULES`].
    coverage: Vec<RuleCoverage>,
    /// The namespace of the object being checked, while it is (see [`Recorder::within`]):
    /// its place in `by_namespace`.
    scope: Option<usize>,
    /// Passes by namespace, indexed like [`rules::RULES`], for the scores of one namespace
    /// (`:ns`); a namespace's failures are its findings. A flat count per rule: a pass is
    /// counted by the hundred thousand and must stay an addition.
    by_namespace: Vec<(Arc<str>, Vec<u64>)>,
    /// Where each namespace is in `by_namespace` (a cluster has thousands).
    namespace_at: foldhash::HashMap<Arc<str>, usize>,
}

/// Passes of namespaced objects, by (namespace, rule).
pub type NamespacePasses = BTreeMap<(Arc<str>, &'static str), u64>;

/// The per-finding facts a check supplies; the rest comes from the catalog.
pub struct FindingInput {
    pub subject: Subject,
    pub message: Message,
    pub evidence: Vec<Evidence>,
    pub location: Option<Location>,
    /// Distinguishes several findings of one rule on one subject.
    pub discriminator: Cow<'static, str>,
    /// Overrides the rule's severity (e.g. a wildcard grant that includes secrets).
    pub severity: Option<Severity>,
}

impl Recorder {
    /// A recorder expecting about `findings` findings.
    pub fn with_capacity(findings: usize) -> Self {
        Recorder {
            findings: Vec::with_capacity(findings),
            ..Recorder::default()
        }
    }

    fn tally(&mut self, rule_id: &str) -> &mut RuleCoverage {
        self.tally_at(rules::index(rule_id))
    }

    /// The tally of the rule at `index` in [`rules::RULES`].
    fn tally_at(&mut self, index: usize) -> &mut RuleCoverage {
        if self.coverage.is_empty() {
            self.coverage = vec![RuleCoverage::default(); rules::RULES.len()];
        }
        &mut self.coverage[index]
    }

    /// Adds another recorder's findings and tallies (the audit log's to the cluster's).
    pub fn merge(&mut self, other: Recorder) {
        self.findings.extend(other.findings);
        for (i, c) in other.coverage.into_iter().enumerate() {
            if self.coverage.is_empty() {
                self.coverage = vec![RuleCoverage::default(); rules::RULES.len()];
            }
            let mine = &mut self.coverage[i];
            mine.passed += c.passed;
            mine.failed += c.failed;
            mine.suppressed += c.suppressed;
            mine.not_evaluated.extend(c.not_evaluated);
        }
        for (namespace, counts) in other.by_namespace {
            let i = self.namespace_index(&namespace);
            for (mine, n) in self.by_namespace[i].1.iter_mut().zip(counts) {
                *mine += n;
            }
        }
    }

    /// Checks that follow judge an object of `namespace` (`""`: a cluster-scoped one).
    pub fn within(&mut self, namespace: &str) {
        self.scope = match self.scope {
            _ if namespace.is_empty() => None,
            Some(i) if &*self.by_namespace[i].0 == namespace => Some(i),
            _ => Some(self.namespace_index(namespace)),
        };
    }

    fn namespace_index(&mut self, namespace: &str) -> usize {
        if let Some(i) = self.namespace_at.get(namespace) {
            return *i;
        }
        let name: Arc<str> = namespace.into();
        let counts = vec![0; rules::RULES.len()];
        self.by_namespace.push((name.clone(), counts));
        self.namespace_at.insert(name, self.by_namespace.len() - 1);
        self.by_namespace.len() - 1
    }

    /// Passes by (namespace, rule), those that happened.
    pub fn namespace_passes(&self) -> NamespacePasses {
        let mut passes = NamespacePasses::new();
        for (namespace, counts) in &self.by_namespace {
            for (n, rule) in counts.iter().zip(rules::RULES).filter(|(n, _)| **n > 0) {
                passes.insert((namespace.clone(), rule.id), *n);
            }
        }
        passes
    }

    /// Coverage of every rule that was applied at least once, by rule ID.
    pub fn coverage(&self) -> BTreeMap<&'static str, RuleCoverage> {
        self.coverage
            .iter()
            .zip(rules::RULES)
            .filter(|(c, _)| c.passed + c.failed > 0 || !c.not_evaluated.is_empty())
            .map(|(c, r)| (r.id, c.clone()))
            .collect()
    }

    /// `n` subjects passed `rule_id` (audit rules count events, not objects).
    pub fn pass_many(&mut self, rule_id: &'static str, n: u64) {
        self.tally(rule_id).passed += n;
    }

    pub fn pass(&mut self, rule_id: &'static str) {
        let index = rules::index(rule_id);
        self.tally_at(index).passed += 1;
        if let Some(i) = self.scope {
            self.by_namespace[i].1[index] += 1;
        }
    }

    pub fn fail(&mut self, rule_id: &'static str, input: FindingInput) {
        let index = rules::index(rule_id);
        let rule = &rules::RULES[index];
        self.tally_at(index).failed += 1;
        self.findings.push(Finding {
            id: stable_id(rule_id, &input.subject, &input.discriminator),
            rule_id,
            area: rule.area,
            severity: input.severity.unwrap_or(rule.severity),
            title: rule.title,
            message: input.message,
            subject: input.subject,
            evidence: input.evidence,
            remediation: rule.remediation,
            references: References(rule),
            suppressed: None,
            decision: None,
            location: input.location,
        });
    }

    pub fn not_evaluated(
        &mut self,
        rule_id: &'static str,
        scope: impl Into<String>,
        reason: impl Into<String>,
    ) {
        self.tally(rule_id).not_evaluated.push(NotEvaluated {
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

/// `ingresses` -> `ingress`, `networkpolicies` -> `networkpolicy`, `pods` -> `pod`.
fn singular(resource: &str) -> std::borrow::Cow<'_, str> {
    if let Some(stem) = resource.strip_suffix("sses") {
        format!("{stem}ss").into()
    } else if let Some(stem) = resource.strip_suffix("ies") {
        format!("{stem}y").into()
    } else if resource.ends_with("ss") {
        resource.into()
    } else {
        resource.strip_suffix('s').unwrap_or(resource).into()
    }
}

#[cfg(test)]
mod tests {
    fn event(kind_ns: &str, name: &str, verb: &str, resource: &str) -> Subject {
        Subject {
            event: Some(Box::new(EventSubject {
                audit_id: "a".into(),
                user: "jane".into(),
                verb: verb.into(),
                resource: resource.into(),
                timestamp: "t".into(),
            })),
            ..Subject::object("AuditEvent", kind_ns, name)
        }
    }

    #[test]
    fn audit_event_subjects_read_like_requests() {
        let cases = [
            (
                event("shop", "web-1", "create", "pods/exec"),
                "exec into pod shop/web-1 by jane",
            ),
            (
                event("", "/api/v1/namespaces", "get", "namespaces"),
                "GET /api/v1/namespaces by jane",
            ),
            (
                event("", "debug", "create", "clusterrolebindings"),
                "create clusterrolebinding debug by jane",
            ),
            (
                event("p", "api-1", "patch", "pods/ephemeralcontainers"),
                "patch ephemeralcontainers of pod p/api-1 by jane",
            ),
            (
                event("", "worker-2", "get", "nodes/proxy"),
                "kubelet proxy on node worker-2 by jane",
            ),
            (
                event("staging", "preview", "create", "ingresses"),
                "create ingress staging/preview by jane",
            ),
            (
                event("shop", "deny-all", "delete", "networkpolicies"),
                "delete networkpolicy shop/deny-all by jane",
            ),
        ];
        for (subject, want) in cases {
            assert_eq!(subject.event_summary().unwrap(), want);
        }
        assert_eq!(Subject::object("Pod", "shop", "web").event_summary(), None);
    }
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
        assert_eq!(stable_id("PSS002", &s, "").to_string().len(), 16);
    }
}
