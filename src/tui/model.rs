//! View models: the tables the views show, computed from an audit once (and again after a
//! re-run), never on the draw path. Every string from the cluster is sanitized here.

use super::filter::{haystack, push_haystack};
use crate::image_ref::ImageRef;
use crate::inventory::containers::containers;
use crate::pss::{self, Level, PodView, Version};
use crate::rules::RULES;
use crate::sanitize::{strip_controls, strip_controls_cow};
use crate::session::Session;
use crate::severity::{Area, Severity};
use crate::triage::decisions::Standing;
use std::collections::BTreeMap;

pub mod signatures;
pub use signatures::ImageSignature;

/// One finding as a table row.
#[derive(Debug, Clone)]
pub struct FindingRow {
    /// Index in `report.findings`.
    pub index: usize,
    pub severity: Severity,
    pub rule_id: &'static str,
    pub area: Area,
    pub namespace: String,
    pub object: String,
    /// The object is an audit event's request, which names its namespace itself.
    pub request: bool,
    /// An audit event's user and when it was received (Unix seconds).
    pub user: Option<String>,
    pub time: Option<i64>,
    pub message: String,
    pub suppressed: bool,
    /// New since the baseline (the last audit of this context).
    pub new: bool,
    /// The triage decision's short mark (`will fix`, `accepted risk, expired`).
    pub decision: Option<String>,
    /// Where the row's haystack lies in [`Model::finding_hays`].
    pub hay: std::ops::Range<usize>,
}

/// Active findings by severity, and how many are suppressed.
pub type Counts = (BTreeMap<Severity, u64>, u64);

/// A namespace's findings counted once when `:ns` scopes the views (not on every frame):
/// in all and by area, for the header and the dashboard.
#[derive(Debug, Clone, Default)]
pub struct ScopedCounts {
    pub all: Counts,
    pub by_area: BTreeMap<Area, Counts>,
    /// The namespace's score by area, where its objects are judged (see
    /// [`crate::engine::namespace_scores`]).
    pub scores: BTreeMap<Area, u32>,
}

impl Model {
    /// The findings of `namespace`, counted in one pass.
    pub fn scoped_counts(&self, namespace: &str) -> ScopedCounts {
        let mut scoped = ScopedCounts::default();
        for f in self.findings.iter().filter(|f| f.namespace == namespace) {
            let area = scoped.by_area.entry(f.area).or_default();
            for (by_severity, suppressed) in [&mut scoped.all, area] {
                if f.suppressed {
                    *suppressed += 1;
                } else {
                    *by_severity.entry(f.severity).or_insert(0) += 1;
                }
            }
        }
        scoped
    }
}

impl FindingRow {
    /// The object with its namespace, as a table without a namespace column shows it.
    pub fn qualified_object(&self) -> String {
        if self.namespace.is_empty() || self.request {
            self.object.clone()
        } else {
            format!("{}/{}", self.namespace, self.object)
        }
    }
}

#[derive(Debug, Clone)]
pub struct ImageRow {
    pub image: String,
    /// Known vulnerabilities: critical, high, medium, low, and how many have a fix; `None`
    /// when nothing is known of the image.
    pub vulns: Option<[usize; 5]>,
    /// Its signature verdict; `None` when it was not looked up.
    pub signature: Option<ImageSignature>,
    pub registry: String,
    pub pinning: &'static str,
    pub pull_policies: String,
    pub workloads: Vec<String>,
    pub findings: usize,
    pub worst: Option<Severity>,
    pub hay: String,
}

#[derive(Debug, Clone)]
pub struct NamespaceRow {
    pub name: String,
    pub enforce: String,
    pub warn: String,
    pub audit: String,
    pub labelled: bool,
    pub workloads: usize,
    pub highest: Level,
    pub violating: usize,
    pub hay: String,
}

#[derive(Debug, Clone)]
pub struct WorkloadPssRow {
    pub namespace: String,
    pub object: String,
    pub baseline: Vec<String>,
    pub restricted: Vec<String>,
    pub hay: String,
}

#[derive(Debug, Clone)]
pub struct RuleRow {
    pub rule: &'static crate::rules::Rule,
    pub findings: usize,
    /// The most severe of its active findings (which may be raised above the rule's).
    pub worst: Option<Severity>,
    pub hay: String,
}

/// Everything the views show, derived from one audit.
#[derive(Debug, Clone, Default)]
pub struct Model {
    pub findings: Vec<FindingRow>,
    /// Every finding row's haystack, one after the other (a keystroke sweeps them all).
    pub finding_hays: String,
    pub images: Vec<ImageRow>,
    pub namespaces: Vec<NamespaceRow>,
    pub workloads: Vec<WorkloadPssRow>,
    pub pss_version: Option<Version>,
    pub rules: Vec<RuleRow>,
    /// The Signatures view's text (empty when signatures were not verified).
    pub signatures: Vec<crate::tui::text::TextLine>,
    /// The audit log view's selectable rows.
    pub audit_links: Vec<crate::tui::audit_links::AuditLink>,
}

/// The filter word of findings new since the baseline (`:findings new`).
pub const NEW_TAG: &str = "is:new";
/// The filter word of findings with a triage decision (`:findings decided`).
pub const DECIDED_TAG: &str = "is:decided";

fn clean(s: &str) -> String {
    strip_controls(s).into_owned()
}

impl Model {
    /// The haystack of finding row `row`.
    pub fn finding_hay(&self, row: usize) -> &str {
        self.findings
            .get(row)
            .and_then(|r| self.finding_hays.get(r.hay.clone()))
            .unwrap_or("")
    }

    pub fn build(audit: &Session, pss_version: Version) -> Model {
        let report = &audit.report;
        let mut finding_hays = String::with_capacity(report.findings.len() * 128);
        let findings: Vec<FindingRow> = report
            .findings
            .iter()
            .enumerate()
            .map(|(index, f)| {
                let s = &f.subject;
                let mut object = match s.event_summary() {
                    Some(request) => clean(&request),
                    None => format!("{}/{}", s.kind, clean(&s.name)),
                };
                if let Some(c) = &s.container {
                    object.push_str(&format!(" [{}]", clean(c)));
                }
                // Written out once, and kept as is when it has nothing to strip.
                let message = strip_controls_cow(f.message()).into_owned();
                let namespace = clean(&s.namespace);
                let new = report.change_mark(f.id) == Some("new");
                let decision = f.decision.as_ref().map(|j| match j.standing {
                    Standing::Applied => j.decision.verdict.label().to_string(),
                    other => format!("{}, {}", j.decision.verdict.label(), other.label()),
                });
                // `:findings new` filters on `is:new`; `is:decided` finds the decided.
                let hay = push_haystack(
                    &mut finding_hays,
                    &[
                        f.severity.as_str(),
                        f.rule_id,
                        f.area.as_str(),
                        &namespace,
                        &object,
                        &message,
                        if new { NEW_TAG } else { "" },
                        if decision.is_some() { DECIDED_TAG } else { "" },
                    ],
                );
                FindingRow {
                    index,
                    severity: f.severity,
                    rule_id: f.rule_id,
                    area: f.area,
                    namespace,
                    request: s.event.is_some(),
                    user: s.event.as_ref().map(|e| clean(&e.user)),
                    time: s
                        .event
                        .as_ref()
                        .and_then(|e| crate::time::parse_rfc3339(&e.timestamp))
                        .map(|(secs, _)| secs),
                    object,
                    // Beside the OBJECT column: without the words that name the object.
                    message: clean(&f.message_beside_object()),
                    suppressed: !f.is_active(),
                    new,
                    decision,
                    hay,
                }
            })
            .collect();
        // Each rule's active findings: how many, and the most severe.
        let mut counts: BTreeMap<&str, (usize, Severity)> = BTreeMap::new();
        for f in report.findings.iter().filter(|f| f.is_active()) {
            let entry = counts.entry(f.rule_id).or_insert((0, f.severity));
            entry.0 += 1;
            entry.1 = entry.1.max(f.severity);
        }
        let rules = RULES
            .iter()
            .map(|rule| {
                // `/CKV_K8S_27` finds the rule that stands for another tool's check.
                let references: Vec<&str> = rule.references.iter().map(|r| r.id).collect();
                RuleRow {
                    rule,
                    findings: counts.get(rule.id).map_or(0, |c| c.0),
                    worst: counts.get(rule.id).map(|c| c.1),
                    hay: haystack(&[
                        rule.id,
                        rule.name,
                        rule.title,
                        rule.area.as_str(),
                        rule.severity.as_str(),
                        rule.cks_domain,
                        &references.join(" "),
                    ]),
                }
            })
            .collect();
        let namespaces = report
            .namespaces
            .iter()
            .map(|n| NamespaceRow {
                name: clean(&n.name),
                enforce: clean(&n.enforce),
                warn: clean(&n.warn),
                audit: clean(&n.audit),
                labelled: n.enforce_labelled,
                workloads: n.workloads,
                highest: n.highest_enforceable,
                violating: n.violating_enforced.len(),
                hay: haystack(&[&n.name, &n.enforce, n.highest_enforceable.as_str()]),
            })
            .collect();
        let mut model = Model {
            findings,
            finding_hays,
            images: images(audit),
            namespaces,
            workloads: Vec::new(),
            pss_version: None,
            rules,
            signatures: signatures::document(audit),
            audit_links: crate::tui::audit_links::links(report),
        };
        model.set_workload_rows(pss_version, pss_rows(audit, pss_version));
        model
    }

    /// Installs the workloads' Pod Security rows evaluated at `version`.
    pub fn set_workload_rows(&mut self, version: Version, rows: Vec<WorkloadPssRow>) {
        self.workloads = rows;
        self.pss_version = Some(version);
    }
}

/// Every audited workload evaluated at another policy version (no re-scan; the `v` key runs
/// this as a job).
pub fn pss_rows(audit: &Session, version: Version) -> Vec<WorkloadPssRow> {
    let minor = version.effective_minor(audit.config.server_minor);
    crate::checks::audited_workloads(&audit.inventory)
        .into_iter()
        .map(|w| {
            let view = PodView::new(
                Some(&w.template_annotations),
                &w.spec,
                audit.inventory.source.live,
            );
            let (baseline, restricted) = pss::evaluate_both(&view, minor);
            let namespace = clean(&w.namespace);
            let object = format!("{}/{}", w.kind.as_str(), clean(&w.name));
            let hay = haystack(&[&namespace, &object]);
            WorkloadPssRow {
                namespace,
                object,
                baseline: baseline.iter().map(|v| clean(&v.text())).collect(),
                restricted: restricted.iter().map(|v| clean(&v.text())).collect(),
                hay,
            }
        })
        .collect()
}

/// Unique images with the workloads that run them.
fn images(audit: &Session) -> Vec<ImageRow> {
    let mut by_image: BTreeMap<String, ImageRow> = BTreeMap::new();
    for w in crate::checks::audited_workloads(&audit.inventory) {
        for c in containers(&w.spec) {
            let Some(raw) = c.image.filter(|i| !i.is_empty()) else {
                continue;
            };
            let parsed = ImageRef::parse(raw);
            let running = w.running_image_ids.get(c.name).map(String::as_str);
            let row = by_image.entry(raw.to_string()).or_insert_with(|| ImageRow {
                // What the first container that runs it resolves to, as the rules do.
                signature: audit
                    .config
                    .signatures
                    .as_ref()
                    .and_then(|facts| facts.get_running(raw, running))
                    .map(ImageSignature::new),
                vulns: audit
                    .config
                    .vulnerabilities
                    .as_ref()
                    .and_then(|facts| facts.get(raw))
                    // An image with no OS package database: nothing was evaluated.
                    .filter(|known| known.os.is_some() || !known.vulnerabilities.is_empty())
                    .map(|known| {
                        [
                            known.count("CRITICAL"),
                            known.count("HIGH"),
                            known.count("MEDIUM"),
                            known.count("LOW"),
                            known
                                .vulnerabilities
                                .iter()
                                .filter(|v| !v.fixed_version.is_empty())
                                .count(),
                        ]
                    }),
                image: clean(raw),
                registry: parsed
                    .as_ref()
                    .map_or("(invalid reference)".into(), |p| clean(&p.registry)),
                pinning: match &parsed {
                    Some(p) if p.is_pinned() => "digest",
                    Some(p) if p.has_mutable_default_tag() => "latest",
                    Some(_) => "tag",
                    None => "-",
                },
                pull_policies: String::new(),
                workloads: Vec::new(),
                findings: 0,
                worst: None,
                hay: String::new(),
            });
            let label = format!(
                "{}/{}/{}",
                clean(&w.namespace),
                w.kind.as_str(),
                clean(&w.name)
            );
            if !row.workloads.contains(&label) {
                row.workloads.push(label);
            }
            let policy = c.image_pull_policy.unwrap_or("(default)");
            if !row.pull_policies.split(", ").any(|p| p == policy) {
                if !row.pull_policies.is_empty() {
                    row.pull_policies.push_str(", ");
                }
                row.pull_policies.push_str(policy);
            }
        }
    }
    for f in audit
        .report
        .findings
        .iter()
        .filter(|f| f.area == Area::Images && f.is_active())
    {
        if let Some(row) = f.subject.image.as_deref().and_then(|i| by_image.get_mut(i)) {
            row.findings += 1;
            row.worst = row.worst.max(Some(f.severity));
        }
    }
    by_image
        .into_values()
        .map(|mut row| {
            // `/unsigned` finds the unsigned images.
            row.hay = haystack(&[
                &row.image,
                &row.registry,
                row.pinning,
                &row.workloads.join(" "),
                row.signature.as_ref().map_or("", |s| s.status.as_str()),
            ]);
            row
        })
        .collect()
}
