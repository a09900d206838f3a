//! PSS rules per workload, and Pod Security Admission per namespace.

use super::msg;
use std::borrow::Cow;

use super::{ScanConfig, describe, evidence, input, workload_subject};
use crate::findings::{Evidence, FindingInput, Location, Message, Recorder, Subject};
use crate::inventory::{Inventory, Workload};
use crate::pss::namespace::{BUILTIN_DEFAULT, LABEL_PREFIX, resolve};
use crate::pss::{self, Evaluation, Level, PodView, Policy, Violation};
use crate::rules;
use crate::severity::Severity;

/// A workload's PSS results at one minor version, computed once and shared by the
/// per-workload rules and the namespace views.
pub struct Verdicts<'a> {
    pub workload: &'a Workload,
    pub minor: u32,
    pub levels: Evaluation,
}

impl Verdicts<'_> {
    pub fn highest_level(&self) -> Level {
        self.levels.highest_level()
    }

    pub fn at(&self, level: Level) -> impl Iterator<Item = &Violation> + Clone {
        self.levels.at(level)
    }
}

/// Evaluates a workload at both levels at `minor`.
pub fn verdicts<'a>(inv: &Inventory, w: &'a Workload, minor: u32) -> Verdicts<'a> {
    let view = PodView::new(Some(&w.template_annotations), &w.spec, inv.source.live);
    verdicts_of(w, &view, minor)
}

/// [`verdicts`] with the workload's view already built.
pub fn verdicts_of<'a>(w: &'a Workload, view: &PodView<'_>, minor: u32) -> Verdicts<'a> {
    Verdicts {
        workload: w,
        minor,
        levels: pss::evaluate_levels(view, minor),
    }
}

/// Reports every workload's violations at the configured version: baseline checks under
/// their baseline rules, restricted-only checks under theirs.
pub fn run(all: &[Verdicts<'_>], config: &ScanConfig, rec: &mut Recorder) {
    for v in all {
        for level in [Level::Baseline, Level::Restricted] {
            let policy = Policy {
                level,
                version: config.pss_version,
            };
            for check in pss::checks_for(level, v.minor)
                .iter()
                .filter(|c| c.level == level)
            {
                let Some(rule) = rules::for_pss_check(check.id) else {
                    continue;
                };
                let found = v.at(level).find(|x| x.check == check.id);
                rec.decide(
                    rule.id,
                    found.map(|x| violation_input(v.workload, x, policy)),
                );
            }
        }
    }
}

fn violation_input(w: &Workload, v: &Violation, policy: Policy) -> FindingInput {
    let evidence: Vec<Evidence> = v
        .spots
        .iter()
        .map(|s| evidence(w, s.clone(), v.reason))
        .collect();
    let message = Message::PodSecurity {
        policy,
        reason: v.reason,
        detail: v.detail.as_str().into(),
    };
    let mut i = input(workload_subject(w), w, message, evidence);
    i.discriminator = Cow::Borrowed(v.check);
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
    pub violating_enforced: Vec<WorkloadLabel>,
    /// Workloads that would break if the namespace enforced baseline / restricted.
    pub would_break_baseline: Vec<WorkloadLabel>,
    pub would_break_restricted: Vec<WorkloadLabel>,
}

/// A workload in a namespace's lists, shown and serialized as `Kind/name`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkloadLabel {
    pub kind: &'static str,
    pub name: std::sync::Arc<str>,
}

impl WorkloadLabel {
    fn of(w: &Workload) -> Self {
        WorkloadLabel {
            kind: w.kind.as_str(),
            name: w.name.clone(),
        }
    }
}

impl std::fmt::Display for WorkloadLabel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.kind, self.name)
    }
}

impl serde::Serialize for WorkloadLabel {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

const SYSTEM_NAMESPACES: &[&str] = &["kube-system", "kube-public", "kube-node-lease"];

/// Resolves each namespace's policy (PSA001, PSA003), checks workloads against what it
/// enforces (PSA002) and works out what it could enforce.
pub fn namespaces(
    inv: &Inventory,
    all: &[Verdicts<'_>],
    config: &ScanConfig,
    rec: &mut Recorder,
) -> Vec<NamespaceReport> {
    let mut reports = Vec::new();
    for ns in inv.namespaces.values() {
        let policy = resolve(Some(&ns.labels), BUILTIN_DEFAULT);
        let subject = Subject::object("Namespace", "", ns.name.as_str());
        let location = ns.origin.as_ref().map(|o| Location {
            file: o.file.clone(),
            line: o.line,
        });
        let label_evidence = |suffix: &str| {
            let pointer = ns
                .origin
                .as_ref()
                .map_or(String::new(), |o| o.pointer.clone());
            let key = msg!("{LABEL_PREFIX}{suffix}");
            let value = ns
                .labels
                .get(&key)
                .cloned()
                .unwrap_or_else(|| "(not set)".into());
            Evidence::at(
                msg!("{pointer}/metadata/labels/{}", key.replace('/', "~1")),
                value,
            )
        };
        let namespace_input =
            |message: String, evidence: Vec<Evidence>, severity: Option<Severity>| FindingInput {
                subject: subject.clone(),
                message: message.into(),
                evidence,
                location: location.clone(),
                discriminator: Cow::Borrowed(""),
                severity,
            };
        rec.decide(
            "PSA003",
            (!policy.errors.is_empty()).then(|| {
                let bad_labels = policy.errors.iter().filter_map(|e| e.split('=').next());
                namespace_input(
                    msg!(
                        "Namespace {} has invalid Pod Security labels: {}",
                        ns.name,
                        policy.errors.join("; ")
                    ),
                    bad_labels
                        .map(|k| label_evidence(k.trim_start_matches(LABEL_PREFIX)))
                        .collect(),
                    None,
                )
            }),
        );

        // Verdicts at the version the namespace pins (or the scan's), reused when equal.
        let version = if policy.enforce.labelled {
            policy.enforce.policy.version
        } else {
            config.pss_version
        };
        let minor = version.effective_minor(config.server_minor);
        let in_ns: Vec<&Verdicts<'_>> = all
            .iter()
            .filter(|v| *v.workload.namespace == *ns.name)
            .collect();
        let owned: Vec<Verdicts<'_>> = in_ns
            .iter()
            .filter(|v| v.minor != minor)
            .map(|v| verdicts(inv, v.workload, minor))
            .collect();
        let at_minor: Vec<&Verdicts<'_>> = in_ns
            .iter()
            .copied()
            .filter(|v| v.minor == minor)
            .chain(owned.iter())
            .collect();

        let enforce = policy.enforce.policy;
        let mut report = NamespaceReport {
            name: ns.name.clone(),
            enforce: enforce.to_string(),
            audit: policy.audit.policy.to_string(),
            warn: policy.warn.policy.to_string(),
            enforce_labelled: policy.enforce.labelled,
            label_errors: policy.errors.clone(),
            workloads: at_minor.len(),
            highest_enforceable: at_minor
                .iter()
                .map(|v| v.highest_level())
                .min()
                .unwrap_or(Level::Restricted),
            violating_enforced: Vec::new(),
            would_break_baseline: Vec::new(),
            would_break_restricted: Vec::new(),
        };
        for v in &at_minor {
            if !v.levels.allows(Level::Baseline) {
                report
                    .would_break_baseline
                    .push(WorkloadLabel::of(v.workload));
            }
            if !v.levels.allows(Level::Restricted) {
                report
                    .would_break_restricted
                    .push(WorkloadLabel::of(v.workload));
            }
        }

        let not_enforcing = enforce.level == Level::Privileged;
        rec.decide(
            "PSA001",
            not_enforcing.then(|| {
                let state = if policy.enforce.labelled {
                    "enforces privileged (nothing)"
                } else {
                    "has no enforce label, so the cluster default (privileged) applies"
                };
                namespace_input(
                    msg!(
                        "Namespace {} {state}; it could enforce {} today without breaking any of its {} workloads",
                        ns.name, report.highest_enforceable, report.workloads
                    ),
                    vec![label_evidence("enforce")],
                    SYSTEM_NAMESPACES.contains(&ns.name.as_str()).then_some(Severity::Low),
                )
            }),
        );
        if !not_enforcing {
            // The enforce version is the one `at_minor` was evaluated at.
            for v in &at_minor {
                let w = v.workload;
                let violations = v.at(enforce.level);
                let violates = violations.clone().next().is_some();
                if violates {
                    report.violating_enforced.push(WorkloadLabel::of(w));
                }
                rec.decide(
                    "PSA002",
                    violates.then(|| {
                        let message = msg!(
                            "{} runs in namespace {} which enforces {enforce}; its pods would be rejected: violates PodSecurity \"{enforce}\": {}",
                            describe(w),
                            ns.name,
                            pss::joined(violations.clone())
                        );
                        let evidence = violations.clone().flat_map(|x| x.spots.iter().map(|s| evidence(w, s.clone(), x.reason))).collect();
                        let mut i = input(workload_subject(w), w, message, evidence);
                        i.discriminator = enforce.to_string().into();
                        i
                    }),
                );
            }
        }
        reports.push(report);
    }
    reports
}
