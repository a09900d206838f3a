//! The engine's one entry point: an inventory, the scan's configuration, the exemptions,
//! the date and an audit-log analysis in; the [`Report`] every output renders out. Pure: the
//! sources read, the renderers write, the engine only decides.

use crate::auditlog::Analysis;
use crate::checks::pod_security::NamespaceReport;
use crate::checks::{self, ScanConfig};
use crate::findings::{Finding, NotEvaluated, Recorder, RuleCoverage};
use crate::inventory::input::LoadError;
use crate::inventory::{Inventory, SourceInfo};
use crate::rules;
use crate::severity::{Area, Severity};
use crate::triage::{self, TriageNotes};
use std::collections::BTreeMap;

pub const SCHEMA_VERSION: u32 = 1;

#[derive(Debug, Clone, serde::Serialize)]
pub struct Tool {
    pub name: &'static str,
    pub version: &'static str,
}

pub const TOOL: Tool = Tool {
    name: "kaudit",
    version: env!("CARGO_PKG_VERSION"),
};

/// Score of one area. `score` is `None` when nothing in the area was evaluated.
#[derive(Debug, Clone, serde::Serialize)]
pub struct AreaSummary {
    pub area: Area,
    pub score: Option<u32>,
    pub grade: Option<char>,
    pub findings: BTreeMap<Severity, u64>,
    pub suppressed: u64,
    pub checks_passed: u64,
    pub checks_failed: u64,
    pub not_evaluated: u64,
    /// Percentage of (rule, subject) decisions that could be made.
    pub coverage: Option<u32>,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct Summary {
    pub score_formula: &'static str,
    pub areas: Vec<AreaSummary>,
    pub findings_by_severity: BTreeMap<Severity, u64>,
    pub findings_total: u64,
    pub suppressed_total: u64,
    pub workloads: usize,
    pub namespaces: usize,
    pub objects_unreadable: usize,
    pub pss_version: String,
}

pub const SCORE_FORMULA: &str = "score = 100 x sum(w x passed) / sum(w x (passed + failed)) over the area's rule checks, \
with w = 10 critical, 6 high, 3 medium, 1 low, 0 info (by rule severity); suppressed findings count in neither term; \
then capped by the worst open finding: a critical caps it at 69 (D), a high at 79 (C), a medium at 89 (B); \
grade A >= 90, B >= 80, C >= 70, D >= 60, E >= 50, else F";

/// The highest score an area may have while it holds an open finding of this severity: a
/// grade is never better than its worst finding allows.
pub fn score_cap(worst: Option<Severity>) -> u32 {
    match worst {
        Some(Severity::Critical) => 69,
        Some(Severity::High) => 79,
        Some(Severity::Medium) => 89,
        _ => 100,
    }
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct CoverageRow {
    pub rule_id: &'static str,
    pub area: Area,
    #[serde(flatten)]
    pub tally: RuleCoverage,
}

/// Everything a scan produced; what every output format renders.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Report {
    pub schema_version: u32,
    pub tool: Tool,
    pub source: SourceInfo,
    pub summary: Summary,
    pub coverage: Vec<CoverageRow>,
    pub not_evaluated: Vec<NotEvaluated>,
    pub findings: Vec<Finding>,
    pub namespaces: Vec<NamespaceReport>,
    pub input_errors: Vec<LoadError>,
    /// Objects read but not audited, by kind (Secrets are counted, never read).
    pub unaudited: BTreeMap<String, usize>,
    pub triage: TriageNotes,
    /// What reading the audit logs found, when logs were given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub audit_log: Option<crate::auditlog::reader::Stats>,
    /// What changed since the last audit of the same context (set by the session, which
    /// knows the history).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub changes: Option<crate::findings::changes::Changes>,
    /// Known vulnerabilities of the images that run, when there is any vulnerability data.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vulnerabilities: Option<crate::vuln::facts::ImagesSummary>,
    /// The images' signatures, when they were verified.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub signatures: Option<SignaturesSummary>,
    /// Passes of namespaced objects by namespace and rule, for one namespace's scores.
    #[serde(skip)]
    pub namespace_passes: crate::findings::NamespacePasses,
}

/// Each verified image's verdict, and what the verification used.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct SignaturesSummary {
    pub source: String,
    pub images: Vec<ImageSignatures>,
    /// Images that run but were not looked up: not evaluated, never "unsigned".
    pub unchecked: Vec<String>,
}

/// One verdict with where its image runs (reports locate it there, as they do a vulnerable
/// image).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ImageSignatures {
    #[serde(flatten)]
    pub verdict: crate::signatures::Verdict,
    /// Where the first workload that runs it is defined.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub location: Option<crate::findings::Location>,
    /// The workloads that run it (`Deployment shop/web`), in audit order; empty when no
    /// running container resolves to it.
    pub workloads: Vec<String>,
}

impl Report {
    /// Active (not suppressed) findings at or above `severity`.
    pub fn count_at_or_above(&self, severity: Severity) -> usize {
        self.findings
            .iter()
            .filter(|f| f.is_active() && f.severity >= severity)
            .count()
    }

    /// `new` or `unchanged` since the baseline; `None` on a first audit or without history.
    pub fn change_mark(&self, id: crate::findings::FindingId) -> Option<&'static str> {
        self.changes.as_ref().and_then(|c| c.mark(id))
    }

    pub fn is_incomplete(&self) -> bool {
        !self.not_evaluated.is_empty() || !self.input_errors.is_empty()
    }
}

/// What the cluster checks found, before triage: kept by a session so that an exemption
/// written or an audit log grown re-judges without checking the cluster again.
#[derive(Debug, Clone, Default)]
pub struct ClusterResults {
    pub findings: Recorder,
    pub namespaces: Vec<NamespaceReport>,
}

/// Runs every cluster check over the inventory (nothing when `config.cluster` is false).
pub fn check_cluster(inv: &Inventory, config: &ScanConfig) -> ClusterResults {
    if !config.cluster {
        return ClusterResults::default();
    }
    let (findings, namespaces) = checks::run_all(inv, config);
    ClusterResults {
        findings,
        namespaces,
    }
}

/// Runs every check over the inventory, merges the audit-log analysis, applies triage and
/// assembles the report: the one way a [`Report`] is made. `today` is `YYYY-MM-DD`
/// (exemption expiry). Pure: no I/O, no clock.
pub fn evaluate(
    inv: &Inventory,
    config: &ScanConfig,
    triage: &triage::Inputs,
    today: &str,
    audit: Option<Analysis>,
) -> Report {
    assemble(
        inv,
        config,
        check_cluster(inv, config),
        triage,
        today,
        audit,
    )
}

/// [`evaluate`] from cluster results already checked: merges the audit-log analysis,
/// applies triage, scores and sorts.
pub fn assemble(
    inv: &Inventory,
    config: &ScanConfig,
    cluster: ClusterResults,
    triage: &triage::Inputs,
    today: &str,
    audit: Option<Analysis>,
) -> Report {
    let ClusterResults {
        findings: mut rec,
        namespaces,
    } = cluster;
    let audit_stats = audit.map(|analysis| {
        rec.merge(analysis.findings);
        analysis.stats
    });
    let triage = triage::apply(&mut rec.findings, inv, triage, today);
    let namespace_passes = rec.namespace_passes();
    let mut tallies = rec.coverage();
    for f in rec.findings.iter().filter(|f| !f.is_active()) {
        tallies.entry(f.rule_id).or_default().suppressed += 1;
    }
    let mut findings = rec.findings;
    findings.sort_by(|a, b| {
        b.severity
            .cmp(&a.severity)
            .then_with(|| a.rule_id.cmp(b.rule_id))
            .then_with(|| a.subject.cmp(&b.subject))
            .then_with(|| a.id.cmp(&b.id))
    });
    let coverage: Vec<CoverageRow> = tallies
        .into_iter()
        .map(|(rule_id, tally)| CoverageRow {
            rule_id,
            area: rules::rule(rule_id).area,
            tally,
        })
        .collect();
    let not_evaluated = coverage
        .iter()
        .flat_map(|c| c.tally.not_evaluated.iter().cloned())
        .collect();
    let summary = summarize(inv, config, &findings, &coverage);
    // Only the image sections need it: a large cluster's audit without them skips the walk.
    let running = if config.vulnerabilities.is_some() || config.signatures.is_some() {
        running_images(inv)
    } else {
        Vec::new()
    };
    let vulnerabilities = config.vulnerabilities.as_ref().map(|facts| {
        facts.summarize(
            running
                .iter()
                .map(|r| (r.image, r.location.clone(), r.workload.clone())),
        )
    });
    Report {
        schema_version: SCHEMA_VERSION,
        tool: TOOL,
        source: inv.source.clone(),
        summary,
        coverage,
        not_evaluated,
        findings,
        namespaces,
        input_errors: inv.errors.clone(),
        unaudited: inv.unaudited.clone(),
        triage,
        audit_log: audit_stats,
        changes: None,
        vulnerabilities,
        signatures: config
            .signatures
            .as_ref()
            .map(|facts| signatures_summary(facts, &running)),
        namespace_passes,
    }
}

/// One namespace's score by area, by the same formula as the cluster's, over the checks of
/// its namespaced objects (workloads, roles, bindings, Ingresses): their passes, and the
/// namespace's open findings of the rules judged per namespace. The worst open finding of
/// the area in the namespace caps it. Areas judged on nothing namespaced (the audit log,
/// namespace-level settings) have no namespace score.
pub fn namespace_scores(report: &Report, namespace: &str) -> BTreeMap<Area, u32> {
    // Rules judged per namespaced object: they passed on one, or found one (audit events
    // are requests, not objects).
    let judged: std::collections::BTreeSet<&str> = report
        .namespace_passes
        .keys()
        .map(|(_, rule)| *rule)
        .chain(
            report
                .findings
                .iter()
                .filter(|f| !f.subject.namespace.is_empty() && f.subject.event.is_none())
                .map(|f| f.rule_id),
        )
        .collect();
    let mut weights: BTreeMap<Area, (u64, u64)> = BTreeMap::new();
    for ((ns, rule_id), passed) in &report.namespace_passes {
        if &**ns == namespace {
            let rule = rules::rule(rule_id);
            let (passed_w, total_w) = weights.entry(rule.area).or_default();
            *passed_w += rule.severity.weight() * passed;
            *total_w += rule.severity.weight() * passed;
        }
    }
    let mut worst: BTreeMap<Area, Severity> = BTreeMap::new();
    for f in report
        .findings
        .iter()
        .filter(|f| f.is_active() && &*f.subject.namespace == namespace)
    {
        let entry = worst.entry(f.area).or_insert(f.severity);
        *entry = (*entry).max(f.severity);
        if judged.contains(f.rule_id) {
            weights.entry(f.area).or_default().1 += rules::rule(f.rule_id).severity.weight();
        }
    }
    weights
        .into_iter()
        .filter(|(_, (_, total))| *total > 0)
        .map(|(area, (passed, total))| {
            let score = ((passed * 100) / total) as u32;
            (area, score.min(score_cap(worst.get(&area).copied())))
        })
        .collect()
}

/// A container's image as its pod writes it, with what runs and where.
struct RunningImage<'a> {
    image: &'a str,
    /// The digest the container status names (`imageID`).
    image_id: Option<&'a str>,
    location: Option<crate::findings::Location>,
    /// `Deployment shop/web`.
    workload: String,
}

/// Every audited container's image, in audit order.
fn running_images(inv: &Inventory) -> Vec<RunningImage<'_>> {
    checks::audited_workloads(inv)
        .into_iter()
        .flat_map(|w| {
            let name = if w.namespace.is_empty() {
                format!("{} {}", w.kind.as_str(), w.name)
            } else {
                format!("{} {}/{}", w.kind.as_str(), w.namespace, w.name)
            };
            crate::inventory::containers::containers(&w.spec)
                .into_iter()
                .filter_map(move |c| {
                    let image = c.image.filter(|i| !i.is_empty())?;
                    Some(RunningImage {
                        image,
                        image_id: w.running_image_ids.get(c.name).map(String::as_str),
                        location: checks::location(w),
                        workload: name.clone(),
                    })
                })
        })
        .collect()
}

/// Each verdict with the workloads whose containers resolve to it (as the signature rules
/// resolve them: by running digest, then by reference), and the images nothing resolved.
fn signatures_summary(
    facts: &crate::signatures::facts::SignatureFacts,
    running: &[RunningImage],
) -> SignaturesSummary {
    let mut images: Vec<ImageSignatures> = facts
        .verdicts
        .iter()
        .map(|v| ImageSignatures {
            verdict: (**v).clone(),
            location: None,
            workloads: Vec::new(),
        })
        .collect();
    // Verdicts are shared: one found by digest is the very one in the list.
    let index: std::collections::HashMap<*const crate::signatures::Verdict, usize> = facts
        .verdicts
        .iter()
        .enumerate()
        .map(|(i, v)| (std::sync::Arc::as_ptr(v), i))
        .collect();
    let mut unchecked: Vec<String> = Vec::new();
    for r in running {
        let found = facts
            .get_running(r.image, r.image_id)
            .and_then(|verdict| index.get(&std::ptr::from_ref(verdict)).copied());
        match found.and_then(|i| images.get_mut(i)) {
            Some(entry) => {
                if entry.location.is_none() {
                    entry.location = r.location.clone();
                }
                if !entry.workloads.contains(&r.workload) {
                    entry.workloads.push(r.workload.clone());
                }
            }
            None => unchecked.push(r.image.to_string()),
        }
    }
    unchecked.sort();
    unchecked.dedup();
    SignaturesSummary {
        source: facts.source.clone(),
        images,
        unchecked,
    }
}

pub fn grade(score: u32) -> char {
    match score {
        90.. => 'A',
        80..=89 => 'B',
        70..=79 => 'C',
        60..=69 => 'D',
        50..=59 => 'E',
        _ => 'F',
    }
}

fn summarize(
    inv: &Inventory,
    config: &ScanConfig,
    findings: &[Finding],
    coverage: &[CoverageRow],
) -> Summary {
    let mut areas = Vec::new();
    for area in Area::ALL {
        let rows: Vec<&CoverageRow> = coverage.iter().filter(|c| c.area == area).collect();
        let (mut passed_w, mut total_w, mut passed, mut failed, mut ne) =
            (0u64, 0u64, 0u64, 0u64, 0u64);
        for row in &rows {
            let w = rules::rule(row.rule_id).severity.weight();
            let failed_active = row.tally.failed - row.tally.suppressed.min(row.tally.failed);
            passed_w += w * row.tally.passed;
            total_w += w * (row.tally.passed + failed_active);
            passed += row.tally.passed;
            failed += failed_active;
            ne += row.tally.not_evaluated.len() as u64;
        }
        let decided = passed + failed + rows.iter().map(|r| r.tally.suppressed).sum::<u64>();
        let mut by_sev = BTreeMap::new();
        let mut suppressed = 0;
        for f in findings.iter().filter(|f| f.area == area) {
            if f.is_active() {
                *by_sev.entry(f.severity).or_insert(0) += 1;
            } else {
                suppressed += 1;
            }
        }
        let cap = score_cap(by_sev.keys().next_back().copied());
        let score = (total_w > 0)
            .then(|| ((passed_w * 100) / total_w) as u32)
            .or((decided > 0).then_some(100))
            .map(|s| s.min(cap));
        areas.push(AreaSummary {
            area,
            score,
            grade: score.map(grade),
            findings: by_sev,
            suppressed,
            checks_passed: passed,
            checks_failed: failed,
            not_evaluated: ne,
            coverage: (decided + ne > 0).then(|| ((decided * 100) / (decided + ne)) as u32),
        });
    }
    let mut by_sev = BTreeMap::new();
    for f in findings.iter().filter(|f| f.is_active()) {
        *by_sev.entry(f.severity).or_insert(0) += 1;
    }
    Summary {
        score_formula: SCORE_FORMULA,
        areas,
        findings_total: findings.iter().filter(|f| f.is_active()).count() as u64,
        suppressed_total: findings.iter().filter(|f| !f.is_active()).count() as u64,
        findings_by_severity: by_sev,
        workloads: checks::audited_workloads(inv).len(),
        namespaces: inv.namespaces.len(),
        objects_unreadable: inv.errors.len(),
        pss_version: format!(
            "{} (evaluated as v1.{})",
            config.pss_version,
            config.pss_version.effective_minor(config.server_minor)
        ),
    }
}
