//! What changed since an earlier audit of the same context: findings that are new, resolved
//! (gone) and unchanged, by stable finding id. Pure: the store or an earlier JSON report
//! supplies what the baseline found.

use crate::findings::{Finding, FindingId};
use crate::severity::Severity;
use foldhash::{HashSet, HashSetExt};

/// The audit compared with.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Baseline {
    /// `session` (an audit in the store) or `report` (an earlier JSON report).
    pub kind: &'static str,
    /// The session's number in the store.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub session: Option<i64>,
    /// The report file.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
    /// When that audit ran (RFC 3339), when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub started: Option<String>,
}

/// A finding of the baseline, as much of it as a report of what was resolved needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PastFinding {
    pub id: FindingId,
    pub rule_id: String,
    pub severity: Severity,
    /// `Deployment shop/web`: the subject as the report wrote it.
    pub subject: String,
    pub message: String,
}

impl PastFinding {
    /// A finding known by its id alone (described later, if it turns out resolved).
    pub fn id_only(id: FindingId) -> PastFinding {
        PastFinding {
            id,
            rule_id: String::new(),
            severity: Severity::Info,
            subject: String::new(),
            message: String::new(),
        }
    }
}

/// New, resolved and unchanged findings. `baseline` is `None` on a first audit (nothing to
/// compare with: nothing is new or resolved).
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct Changes {
    pub baseline: Option<Baseline>,
    pub new: Vec<FindingId>,
    pub resolved: Vec<FindingId>,
    pub unchanged: usize,
    /// The resolved findings themselves, for reports that say what went away.
    #[serde(skip)]
    pub resolved_findings: Vec<PastFinding>,
    #[serde(skip)]
    new_ids: HashSet<FindingId>,
}

impl Changes {
    /// Compares the findings of this audit with those of `baseline`.
    pub fn between(current: &[Finding], baseline: Baseline, past: Vec<PastFinding>) -> Changes {
        let before: HashSet<FindingId> = past.iter().map(|f| f.id).collect();
        let mut now = HashSet::with_capacity(current.len());
        let mut changes = Changes {
            baseline: Some(baseline),
            ..Changes::default()
        };
        for finding in current {
            if !now.insert(finding.id) {
                continue;
            }
            if before.contains(&finding.id) {
                changes.unchanged += 1;
            } else {
                changes.new.push(finding.id);
                changes.new_ids.insert(finding.id);
            }
        }
        let mut reported = HashSet::with_capacity(past.len());
        for finding in past {
            if !now.contains(&finding.id) && reported.insert(finding.id) {
                changes.resolved.push(finding.id);
                changes.resolved_findings.push(finding);
            }
        }
        changes
    }

    /// `new` or `unchanged` against the baseline; `None` on a first audit (nothing to
    /// compare with): the mark every report format writes beside a finding.
    pub fn mark(&self, id: FindingId) -> Option<&'static str> {
        self.baseline.as_ref()?;
        Some(if self.is_new(id) { "new" } else { "unchanged" })
    }

    /// True when the finding was not in the baseline (never on a first audit).
    pub fn is_new(&self, id: FindingId) -> bool {
        self.new_ids.contains(&id)
    }

    /// Active new findings at or above `severity`: what `--fail-on-new` breaks on.
    pub fn new_at_or_above(&self, findings: &[Finding], severity: Severity) -> usize {
        findings
            .iter()
            .filter(|f| f.is_active() && f.severity >= severity && self.is_new(f.id))
            .count()
    }
}
