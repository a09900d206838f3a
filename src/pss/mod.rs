//! The Pod Security Standards, evaluated exactly as the reference admission code decides:
//! every check, every policy version from v1.0 on, the restricted-over-baseline overrides and
//! the reference's check order, reason and detail strings.

pub mod checks;
pub mod namespace;
pub mod policy;

pub use policy::{Level, NEWEST_MINOR, Policy, Version};

use crate::findings::PodField;
use crate::inventory::containers::{ContainerRef, containers};
use checks::{CHECKS, Check};
use k8s_openapi::api::core::v1::PodSpec;
use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::LazyLock;

/// What the checks see of a pod: its (template) annotations and spec.
pub struct PodView<'a> {
    pub annotations: Option<&'a BTreeMap<String, String>>,
    pub spec: &'a PodSpec,
    pub containers: Vec<ContainerRef<'a>>,
    /// True for objects read from a live cluster, where API defaulting has already run.
    pub live: bool,
}

impl<'a> PodView<'a> {
    pub fn new(
        annotations: Option<&'a BTreeMap<String, String>>,
        spec: &'a PodSpec,
        live: bool,
    ) -> Self {
        PodView {
            annotations,
            spec,
            containers: containers(spec),
            live,
        }
    }
}

/// One failed check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    /// The reference check ID (`privileged`, `runAsNonRoot`, ...).
    pub check: &'static str,
    pub reason: &'static str,
    pub detail: Arc<str>,
    /// The offending fields, relative to the pod (`/spec/...`, `/metadata/annotations/...`).
    pub spots: Vec<PodField>,
}

impl Violation {
    /// `reason (detail)`, as it appears in the admission message.
    pub fn text(&self) -> String {
        self.to_string()
    }
}

impl std::fmt::Display for Violation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.detail.is_empty() {
            f.write_str(self.reason)
        } else {
            write!(f, "{} ({})", self.reason, self.detail)
        }
    }
}

/// Checks applying at each level and minor version, in the reference's order: baseline IDs
/// sorted, then restricted IDs sorted, with overridden baseline checks removed.
static ORDERED: LazyLock<Vec<[Vec<&'static Check>; 2]>> = LazyLock::new(|| {
    (0..=NEWEST_MINOR)
        .map(|minor| {
            let mut active: Vec<&Check> = CHECKS.iter().filter(|c| c.since <= minor).collect();
            active.sort_by_key(|c| (c.level, c.id));
            let baseline: Vec<&Check> = active
                .iter()
                .copied()
                .filter(|c| c.level == Level::Baseline)
                .collect();
            let overridden: Vec<&str> = active
                .iter()
                .filter(|c| c.level == Level::Restricted)
                .flat_map(|c| c.overrides.iter().copied())
                .collect();
            let restricted: Vec<&Check> = active
                .into_iter()
                .filter(|c| !overridden.contains(&c.id))
                .collect();
            [baseline, restricted]
        })
        .collect()
});

/// The checks evaluated for `level` at policy minor version `minor`.
pub fn checks_for(level: Level, minor: u32) -> &'static [&'static Check] {
    let minor = minor.min(NEWEST_MINOR) as usize;
    match level {
        Level::Privileged => &[],
        Level::Baseline => &ORDERED[minor][0],
        Level::Restricted => &ORDERED[minor][1],
    }
}

/// Evaluates a pod at a level and (already clamped) minor version. An empty result means
/// the pod is allowed.
pub fn evaluate(pod: &PodView<'_>, level: Level, minor: u32) -> Vec<Violation> {
    checks_for(level, minor)
        .iter()
        .filter_map(|check| {
            (check.run)(pod, minor).map(|mut v| {
                v.check = check.id;
                v
            })
        })
        .collect()
}

/// A pod's violations at baseline and at restricted, from one pass over the checks.
#[derive(Debug, Clone, Default)]
pub struct Evaluation {
    /// Baseline violations in reference order, then those of the restricted-only checks.
    violations: Vec<Violation>,
    /// How many of `violations` come from baseline checks.
    baseline: usize,
    /// Bit `i` is set when baseline violation `i` also counts at restricted, i.e. no
    /// restricted check replaces its check at this version.
    kept: u32,
}

impl Evaluation {
    /// The violations at `level`, in reference order.
    pub fn at(&self, level: Level) -> impl Iterator<Item = &Violation> + Clone {
        self.violations
            .iter()
            .enumerate()
            .filter(move |(i, _)| match level {
                Level::Privileged => false,
                Level::Baseline => *i < self.baseline,
                Level::Restricted => *i >= self.baseline || self.kept & (1 << i) != 0,
            })
            .map(|(_, v)| v)
    }

    pub fn allows(&self, level: Level) -> bool {
        self.at(level).next().is_none()
    }

    /// The strictest level the pod meets (privileged when it fails baseline).
    pub fn highest_level(&self) -> Level {
        if self.allows(Level::Restricted) {
            Level::Restricted
        } else if self.allows(Level::Baseline) {
            Level::Baseline
        } else {
            Level::Privileged
        }
    }
}

/// Evaluates a pod at both levels in one pass: restricted is baseline (minus the checks a
/// restricted check overrides) plus the restricted checks, so baseline checks run once and
/// their violations are kept once.
pub fn evaluate_levels(pod: &PodView<'_>, minor: u32) -> Evaluation {
    let mut violations = evaluate(pod, Level::Baseline, minor);
    let baseline = violations.len();
    let restricted_checks = checks_for(Level::Restricted, minor);
    let mut kept = 0;
    for (i, v) in violations.iter().enumerate() {
        if restricted_checks.iter().any(|c| c.id == v.check) {
            // At most the 12 baseline checks: the bit fits.
            kept |= 1 << i;
        }
    }
    for check in restricted_checks
        .iter()
        .filter(|c| c.level == Level::Restricted)
    {
        if let Some(mut v) = (check.run)(pod, minor) {
            v.check = check.id;
            violations.push(v);
        }
    }
    Evaluation {
        violations,
        baseline,
        kept,
    }
}

/// [`evaluate_levels`] as two lists: (baseline, restricted) violations, each in reference
/// order.
pub fn evaluate_both(pod: &PodView<'_>, minor: u32) -> (Vec<Violation>, Vec<Violation>) {
    let levels = evaluate_levels(pod, minor);
    (
        levels.at(Level::Baseline).cloned().collect(),
        levels.at(Level::Restricted).cloned().collect(),
    )
}

/// All violations joined as the admission message body: `reason (detail), reason2 (...)`.
pub fn joined<'a>(violations: impl IntoIterator<Item = &'a Violation>) -> String {
    violations
        .into_iter()
        .map(Violation::text)
        .collect::<Vec<_>>()
        .join(", ")
}

/// The highest level a pod satisfies at a version (privileged when it fails baseline).
pub fn highest_level(pod: &PodView<'_>, minor: u32) -> Level {
    if evaluate(pod, Level::Restricted, minor).is_empty() {
        Level::Restricted
    } else if evaluate(pod, Level::Baseline, minor).is_empty() {
        Level::Baseline
    } else {
        Level::Privileged
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn order_matches_the_reference() {
        let ids: Vec<&str> = checks_for(Level::Restricted, 37)
            .iter()
            .map(|c| c.id)
            .collect();
        assert_eq!(
            ids,
            [
                "appArmorProfile",
                "hostNamespaces",
                "hostPorts",
                "hostProbesAndHostLifecycle",
                "privileged",
                "seLinuxOptions",
                "sysctls",
                "windowsHostProcess",
                "allowPrivilegeEscalation",
                "capabilities_restricted",
                "procMount_restricted",
                "restrictedVolumes",
                "runAsNonRoot",
                "runAsUser",
                "seccompProfile_restricted",
            ]
        );
        let old: Vec<&str> = checks_for(Level::Restricted, 0)
            .iter()
            .map(|c| c.id)
            .collect();
        assert!(old.contains(&"seccompProfile_baseline") && old.contains(&"capabilities_baseline"));
        assert!(!old.contains(&"hostPathVolumes") && !old.contains(&"allowPrivilegeEscalation"));
        assert_eq!(checks_for(Level::Baseline, 37).len(), 12);
        assert_eq!(checks_for(Level::Baseline, 33).len(), 11);
        assert!(checks_for(Level::Privileged, 37).is_empty());
    }
}
