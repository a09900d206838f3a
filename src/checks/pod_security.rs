//! PSS rules per workload, and Pod Security Admission per namespace.

use crate::findings::message::msg;
use std::borrow::Cow;

use super::{ScanConfig, describe, evidence, input, workload_subject};
use crate::findings::{Evidence, FindingInput, Location, Message, Recorder, Subject};
use crate::inventory::{Inventory, Workload};
use crate::pss::namespace::{BUILTIN_DEFAULT, LABEL_PREFIX, NamespacePolicy, resolve};
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

/// The rules for each level's own checks at a policy version, looked up once per scan.
#[derive(Default)]
pub struct PssRules {
    by_minor: Vec<(u32, LevelRules)>,
}

type LevelRules = [Vec<(&'static pss::checks::Check, &'static rules::Rule)>; 2];

impl PssRules {
    fn at(&mut self, minor: u32) -> &LevelRules {
        let index = match self.by_minor.iter().position(|(m, _)| *m == minor) {
            Some(i) => i,
            None => {
                let own = |level: Level| {
                    pss::checks_for(level, minor)
                        .iter()
                        .filter(|c| c.level == level)
                        .filter_map(|c| rules::for_pss_check(c.id).map(|r| (*c, r)))
                        .collect()
                };
                let rules = [own(Level::Baseline), own(Level::Restricted)];
                self.by_minor.push((minor, rules));
                self.by_minor.len() - 1
            }
        };
        &self.by_minor[index].1
    }
}

/// Reports every workload's violations at the configured version: baseline checks under
/// their baseline rules, restricted-only checks under theirs.
pub fn run(all: &[Verdicts<'_>], config: &ScanConfig, rec: &mut Recorder) {
    let mut rules = PssRules::default();
    for v in all {
        record(v, config, &mut rules, rec);
    }
}

/// [`run`] for one workload.
pub fn record(v: &Verdicts<'_>, config: &ScanConfig, rules: &mut PssRules, rec: &mut Recorder) {
    for (level, checks) in [Level::Baseline, Level::Restricted]
        .into_iter()
        .zip(rules.at(v.minor))
    {
        let policy = Policy {
            level,
            version: config.pss_version,
        };
        for (check, rule) in checks {
            // A violation's check is the very `&'static str` of its check: compare the
            // pointers, not the text.
            let found = v
                .at(level)
                .find(|x| std::ptr::eq(x.check, check.id) || x.check == check.id);
            rec.decide(
                rule.id,
                found.map(|x| violation_input(v.workload, x, policy)),
            );
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
        detail: v.detail.clone(),
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

/// The minor version a namespace's policy is judged at: the one its enforce label pins,
/// else the scan's.
fn enforced_minor(policy: &NamespacePolicy, config: &ScanConfig) -> u32 {
    let version = if policy.enforce.labelled {
        policy.enforce.policy.version
    } else {
        config.pss_version
    };
    version.effective_minor(config.server_minor)
}

/// Each namespace's minor version (see [`namespaces`]), for evaluating workloads at it while
/// they are checked anyway.
pub fn namespace_minors<'a>(inv: &'a Inventory, config: &ScanConfig) -> Vec<(&'a str, u32)> {
    inv.namespaces
        .values()
        .map(|ns| {
            let policy = resolve(Some(&ns.labels), BUILTIN_DEFAULT);
            (ns.name.as_str(), enforced_minor(&policy, config))
        })
        .collect()
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
        // A namespace the input does not define is pointed at where the first object names
        // it (SARIF viewers drop a result without a file).
        let place = ns.place();
        let location = place.map(|o| Location {
            file: o.file.clone(),
            line: o.line,
        });
        let label_evidence = |suffix: &str| {
            let pointer = place.map_or(String::new(), |o| o.pointer.clone());
            let key = msg!("{LABEL_PREFIX}{suffix}");
            let value = ns
                .labels
                .get(&key)
                .cloned()
                .unwrap_or_else(|| "(not set)".into());
            match ns.origin {
                Some(_) => Evidence::at(
                    msg!("{pointer}/metadata/labels/{}", key.replace('/', "~1")),
                    value,
                ),
                None => Evidence::at(msg!("{pointer}/metadata/namespace"), value),
            }
        };
        let not_in_input = ns.absence_note();
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

        // Verdicts at the version the namespace pins (or the scan's): those `all` holds,
        // else evaluated here.
        let minor = enforced_minor(&policy, config);
        let in_ns: Vec<&Verdicts<'_>> = all
            .iter()
            .filter(|v| *v.workload.namespace == *ns.name)
            .collect();
        // A namespace the input neither defines nor runs a workload in (one only a
        // ServiceAccount names) has no pods for Pod Security to judge: nothing to report.
        if ns.origin.is_none() && in_ns.is_empty() {
            continue;
        }
        let evaluated: foldhash::HashSet<*const Workload> = in_ns
            .iter()
            .filter(|v| v.minor == minor)
            .map(|v| std::ptr::from_ref(v.workload))
            .collect();
        let owned: Vec<Verdicts<'_>> = in_ns
            .iter()
            .filter(|v| !evaluated.contains(&std::ptr::from_ref(v.workload)))
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
                // What the next level up would break, named, so the fix fits this namespace.
                let breaks = |level: &str, broken: &[WorkloadLabel]| {
                    let shown: Vec<String> = broken.iter().take(3).map(|w| w.to_string()).collect();
                    let more = broken.len().saturating_sub(shown.len());
                    msg!(
                        "{level} would reject {}{}",
                        shown.join(", "),
                        if more > 0 { msg!(" and {more} more") } else { String::new() }
                    )
                };
                let could = match report.highest_enforceable {
                    Level::Privileged => msg!(
                        "no level above privileged passes all of its {} workloads yet: {}",
                        report.workloads,
                        breaks("baseline", &report.would_break_baseline)
                    ),
                    Level::Baseline => msg!(
                        "it could enforce baseline today without breaking any of its {} workloads; {}",
                        report.workloads,
                        breaks("restricted", &report.would_break_restricted)
                    ),
                    Level::Restricted => msg!(
                        "it could enforce restricted today without breaking any of its {} workloads",
                        report.workloads
                    ),
                };
                namespace_input(
                    msg!("Namespace {} {state}; {could}{not_in_input}", ns.name),
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
