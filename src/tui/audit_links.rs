//! The audit log view's selectable rows, in the order the view shows them: each rule with
//! findings, each timeline bucket, each identity, each denied request, each change. Enter
//! on one lists the findings it stands for.

use crate::engine::Report;
use crate::sanitize::strip_controls;
use crate::severity::Area;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuditLink {
    /// A rule's audit-log findings.
    Rule(&'static str),
    /// The findings of the events in `[start, start + secs)`.
    Bucket { start: String, secs: i64 },
    /// An identity's findings (an identity row, or a denied request's user).
    Identity(String),
}

/// How many identities and denied requests the view lists.
pub const IDENTITIES_SHOWN: usize = 20;
pub const DENIED_SHOWN: usize = 15;
pub const CHANGES_SHOWN: usize = 15;

/// The rules with active audit-log findings, by ID (the view's "Findings by rule").
pub fn rules(report: &Report) -> Vec<&'static str> {
    let mut rules: Vec<&'static str> = report
        .findings
        .iter()
        .filter(|f| f.area == Area::AuditLog && f.is_active())
        .map(|f| f.rule_id)
        .collect();
    rules.sort_unstable();
    rules.dedup();
    rules
}

pub fn links(report: &Report) -> Vec<AuditLink> {
    let mut out: Vec<AuditLink> = rules(report).into_iter().map(AuditLink::Rule).collect();
    if let Some(stats) = &report.audit_log {
        let a = &stats.activity;
        out.extend(a.timeline.iter().map(|b| AuditLink::Bucket {
            start: b.start.clone(),
            secs: a.bucket_secs,
        }));
        out.extend(
            a.identities
                .iter()
                .take(IDENTITIES_SHOWN)
                .map(|i| AuditLink::Identity(strip_controls(&i.user).into_owned())),
        );
        out.extend(
            a.denied
                .iter()
                .rev()
                .take(DENIED_SHOWN)
                .map(|d| AuditLink::Identity(strip_controls(&d.user).into_owned())),
        );
        out.extend(
            a.changes
                .iter()
                .rev()
                .take(CHANGES_SHOWN)
                .map(|c| AuditLink::Identity(strip_controls(&c.user).into_owned())),
        );
    }
    out
}
