//! PSS rules per workload, and Pod Security Admission per namespace.

use super::{ScanConfig, describe, evidence, input, workload_subject};
use crate::findings::{Evidence, FindingInput, Location, Recorder, Subject};
use crate::inventory::{Inventory, Workload, WorkloadKind};
use crate::pss::namespace::{BUILTIN_DEFAULT, LABEL_PREFIX, NamespacePolicy, resolve};
use crate::pss::{self, Level, PodView, Violation};
use crate::rules;
use crate::severity::Severity;

/// Evaluates every workload against both levels at the configured version: baseline checks
/// report under their baseline rules, restricted-only checks under theirs.
pub fn run(inv: &Inventory, workloads: &[&Workload], config: &ScanConfig, rec: &mut Recorder) {
    let minor = config.pss_version.effective_minor(config.server_minor);
    for w in workloads {
        let view = PodView::new(Some(&w.template_annotations), &w.spec, inv.source.live);
        for level in [Level::Baseline, Level::Restricted] {
            let policy = format!("{level}:{}", config.pss_version);
            let violations = pss::evaluate(&view, level, minor);
            for check in pss::checks_for(level, minor)
                .iter()
                .filter(|c| c.level == level)
            {
                let Some(rule) = rules::for_pss_check(check.id) else {
                    continue;
                };
                let found = violations.iter().find(|v| v.check == check.id);
                rec.decide(rule.id, found.map(|v| violation_input(w, v, &policy)));
            }
        }
    }
}

fn violation_input(w: &Workload, v: &Violation, policy: &str) -> FindingInput {
    let verb = if w.kind == WorkloadKind::Pod {
        "violates"
    } else {
        "would violate"
    };
    let evidence: Vec<Evidence> = v
        .spots
        .iter()
        .map(|s| evidence(w, s, v.reason.clone()))
        .collect();
    let mut i = input(
        workload_subject(w),
        w,
        format!(
            "{} {verb} PodSecurity \"{policy}\": {}",
            describe(w),
            v.text()
        ),
        evidence,
    );
    i.discriminator = v.check.to_string();
    i
}

/// A namespace's Pod Security posture.
#[derive(Debug, Clone, serde::Serialize)]
pub struct NamespaceReport {
    pub name: String,
    pub enforce: String,
    pub audit: String,
    pub warn: String,
    /// True when the enforce label is set (even if invalid).
    pub enforce_labelled: bool,
    pub label_errors: Vec<String>,
    pub workloads: usize,
    /// The strictest level every workload in the namespace meets today (at the enforce
    /// version), i.e. what the namespace could enforce without breaking anything.
    pub highest_enforceable: Level,
    /// Workloads that violate the level the namespace already enforces.
    pub violating_enforced: Vec<String>,
    /// Workloads that would break if the namespace enforced baseline / restricted.
    pub would_break_baseline: Vec<String>,
    pub would_break_restricted: Vec<String>,
}

const SYSTEM_NAMESPACES: &[&str] = &["kube-system", "kube-public", "kube-node-lease"];

/// Resolves each namespace's policy (PSA001, PSA003) and checks workloads against what it
/// enforces (PSA002).
pub fn namespaces(
    inv: &Inventory,
    config: &ScanConfig,
    rec: &mut Recorder,
) -> Vec<NamespaceReport> {
    let mut reports = Vec::new();
    let audited = super::audited_workloads(inv);
    for ns in inv.namespaces.values() {
        let policy = resolve(Some(&ns.labels), BUILTIN_DEFAULT);
        let subject = Subject::object("Namespace", "", &ns.name);
        let location = ns.origin.as_ref().map(|o| Location {
            file: o.file.to_string(),
            line: o.line,
        });
        let label_evidence = |suffix: &str| {
            let pointer = ns
                .origin
                .as_ref()
                .map_or(String::new(), |o| o.pointer.clone());
            let key = format!("{LABEL_PREFIX}{suffix}");
            let value = ns
                .labels
                .get(&key)
                .cloned()
                .unwrap_or_else(|| "(not set)".into());
            Evidence::at(
                format!("{pointer}/metadata/labels/{}", key.replace('/', "~1")),
                value,
            )
        };
        rec.decide(
            "PSA003",
            (!policy.errors.is_empty()).then(|| FindingInput {
                subject: subject.clone(),
                message: format!(
                    "Namespace {} has invalid Pod Security labels: {}",
                    ns.name,
                    policy.errors.join("; ")
                ),
                evidence: policy
                    .errors
                    .iter()
                    .filter_map(|e| e.split('=').next())
                    .map(|k| label_evidence(k.trim_start_matches(LABEL_PREFIX)))
                    .collect(),
                location: location.clone(),
                discriminator: String::new(),
                severity: None,
            }),
        );
        let in_ns: Vec<&Workload> = audited
            .iter()
            .copied()
            .filter(|w| w.namespace == ns.name)
            .collect();
        let report = namespace_report(inv, &ns.name, &policy, &in_ns, config);
        let enforce = policy.enforce.policy;
        let not_enforcing = enforce.level == Level::Privileged;
        rec.decide(
            "PSA001",
            not_enforcing.then(|| FindingInput {
                subject: subject.clone(),
                message: format!(
                    "Namespace {} {}; it could enforce {} today without breaking any of its {} workloads",
                    ns.name,
                    if policy.enforce.labelled { "enforces privileged (nothing)" } else { "has no enforce label, so the cluster default (privileged) applies" },
                    report.highest_enforceable,
                    report.workloads
                ),
                evidence: vec![label_evidence("enforce")],
                location: location.clone(),
                discriminator: String::new(),
                severity: SYSTEM_NAMESPACES.contains(&ns.name.as_str()).then_some(Severity::Low),
            }),
        );
        if !not_enforcing {
            let minor = enforce.version.effective_minor(config.server_minor);
            for w in &in_ns {
                let view = PodView::new(Some(&w.template_annotations), &w.spec, inv.source.live);
                let violations = pss::evaluate(&view, enforce.level, minor);
                rec.decide(
                    "PSA002",
                    (!violations.is_empty()).then(|| {
                        let mut i = input(
                            workload_subject(w),
                            w,
                            format!(
                                "{} runs in namespace {} which enforces {enforce}; its pods would be rejected: violates PodSecurity \"{enforce}\": {}",
                                describe(w),
                                ns.name,
                                pss::joined(&violations)
                            ),
                            violations.iter().flat_map(|v| v.spots.iter().map(|s| evidence(w, s, v.reason.clone()))).collect(),
                        );
                        i.discriminator = enforce.to_string();
                        i
                    }),
                );
            }
        }
        reports.push(report);
    }
    reports
}

fn namespace_report(
    inv: &Inventory,
    name: &str,
    policy: &NamespacePolicy,
    workloads: &[&Workload],
    config: &ScanConfig,
) -> NamespaceReport {
    let version = if policy.enforce.labelled {
        policy.enforce.policy.version
    } else {
        config.pss_version
    };
    let minor = version.effective_minor(config.server_minor);
    let mut highest = Level::Restricted;
    let mut break_baseline = Vec::new();
    let mut break_restricted = Vec::new();
    let mut violating = Vec::new();
    let enforce = policy.enforce.policy;
    let enforce_minor = enforce.version.effective_minor(config.server_minor);
    for w in workloads {
        let view = PodView::new(Some(&w.template_annotations), &w.spec, inv.source.live);
        let level = pss::highest_level(&view, minor);
        highest = highest.min(level);
        let label = format!("{}/{}", w.kind.as_str(), w.name);
        if level < Level::Baseline {
            break_baseline.push(label.clone());
        }
        if level < Level::Restricted {
            break_restricted.push(label.clone());
        }
        if enforce.level > Level::Privileged
            && !pss::evaluate(&view, enforce.level, enforce_minor).is_empty()
        {
            violating.push(label);
        }
    }
    NamespaceReport {
        name: name.to_string(),
        enforce: policy.enforce.policy.to_string(),
        audit: policy.audit.policy.to_string(),
        warn: policy.warn.policy.to_string(),
        enforce_labelled: policy.enforce.labelled,
        label_errors: policy.errors.clone(),
        workloads: workloads.len(),
        highest_enforceable: highest,
        violating_enforced: violating,
        would_break_baseline: break_baseline,
        would_break_restricted: break_restricted,
    }
}
