//! Renderings of a [`Report`] (Markdown, JSON, SARIF, JUnit, HTML, plain text). The report
//! itself is made by [`crate::engine::evaluate`]; nothing here decides a finding.

pub mod csv;
mod history;
pub mod html;
mod html_sections;
pub mod image_scan;
pub mod image_verify;
pub mod json;
pub mod junit;
pub mod markdown;
pub mod sarif;
mod sarif_signatures;
mod sarif_vulnerabilities;
pub mod signatures;
pub mod text;
pub mod verify;
pub mod vulnerabilities;

pub use crate::engine::{AreaSummary, CoverageRow, Report, SCHEMA_VERSION, Summary, TOOL, Tool};

/// A rule's findings as a group shows them: the severity of its most severe finding (a
/// finding may be raised above its rule's default), and a note when that differs from the
/// default, so a section headed HIGH never holds a CRITICAL.
pub fn group_severity(
    rule: &crate::rules::Rule,
    findings: &[&crate::findings::Finding],
) -> (crate::severity::Severity, String) {
    let worst = findings
        .iter()
        .map(|f| f.severity)
        .max()
        .unwrap_or(rule.severity);
    let note = if worst == rule.severity {
        String::new()
    } else {
        format!("; the rule's default is {}", rule.severity.label())
    };
    (worst, note)
}

/// What an area without findings says: evaluated and clean, or not evaluated (and where to
/// read why). Every format says it the same way.
pub fn no_findings_note(report: &Report, area: crate::severity::Area) -> &'static str {
    let evaluated = report
        .coverage
        .iter()
        .any(|c| c.area == area && (c.tally.passed + c.tally.failed) > 0);
    if evaluated {
        "No findings."
    } else if report
        .not_evaluated
        .iter()
        .any(|n| crate::rules::rule(n.rule_id).area == area)
    {
        "Not evaluated: its checks could not run (see Limitations)."
    } else {
        "Not evaluated in this run."
    }
}

/// The audit logs' activity as reports show it: the identities with findings, the timeline
/// buckets with findings, denials or changes, and the latest denied requests and changes
/// (newest first).
pub struct ActivityShown<'a> {
    /// How many identities have findings (the first 50 are listed).
    pub flagged_total: usize,
    pub flagged: Vec<&'a crate::auditlog::activity::Identity>,
    pub busy: Vec<&'a crate::auditlog::activity::Bucket>,
    pub denied: Vec<&'a crate::auditlog::activity::Denied>,
    /// The latest changes (Falco's activity rules), newest first.
    pub changes: Vec<&'a crate::auditlog::activity::Change>,
}

impl<'a> ActivityShown<'a> {
    pub fn of(a: &'a crate::auditlog::activity::Activity) -> Self {
        ActivityShown {
            flagged_total: a.identities.iter().filter(|i| i.findings > 0).count(),
            flagged: a
                .identities
                .iter()
                .filter(|i| i.findings > 0)
                .take(50)
                .collect(),
            busy: a
                .timeline
                .iter()
                .filter(|b| b.findings > 0 || b.denied > 0 || b.changes > 0)
                .take(60)
                .collect(),
            denied: a.denied.iter().rev().take(20).collect(),
            changes: a.changes.iter().rev().take(20).collect(),
        }
    }
}

/// What reading the audit logs came to, in one sentence every view and format shares.
pub fn audit_log_reading(s: &crate::auditlog::reader::Stats) -> String {
    let n = |count: u64, one: &str, many: &str| {
        format!("{count} {}", if count == 1 { one } else { many })
    };
    format!(
        "{} read from {} ({}); {} outside the time window, {} not audit events, {} malformed.",
        n(s.events, "event", "events"),
        n(s.files, "file", "files"),
        n(s.lines, "line", "lines"),
        s.outside_window,
        s.not_events,
        s.malformed
    )
}
