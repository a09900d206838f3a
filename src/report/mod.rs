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
