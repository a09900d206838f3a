//! A short plain-text summary for terminals (stderr after a scan, `kaudit demo` before the TUI).

use super::Report;
use crate::sanitize::strip_controls;
use crate::severity::Severity;
use std::fmt::Write;

pub fn summary(report: &Report) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "kaudit {} - {} ({})",
        report.tool.version,
        strip_controls(&report.source.description),
        report.source.kind
    );
    let _ = writeln!(
        out,
        "{:<14} {:>5} {:>5}  {:>8} {:>5} {:>6} {:>4}  {:>8}",
        "area", "score", "grade", "critical", "high", "medium", "low", "coverage"
    );
    for a in &report.summary.areas {
        let n = |s: Severity| a.findings.get(&s).copied().unwrap_or(0);
        let score = a.score.map_or("-".to_string(), |s| s.to_string());
        let grade = a.grade.map_or("-".to_string(), |g| g.to_string());
        let coverage = a.coverage.map_or("n/a".to_string(), |c| format!("{c}%"));
        let _ = writeln!(
            out,
            "{:<14} {:>5} {:>5}  {:>8} {:>5} {:>6} {:>4}  {:>8}",
            a.area.as_str(),
            score,
            grade,
            n(Severity::Critical),
            n(Severity::High),
            n(Severity::Medium),
            n(Severity::Low),
            coverage
        );
    }
    let _ = writeln!(
        out,
        "{} findings ({} suppressed) in {} workloads, {} namespaces; {} not evaluated; {} input problems",
        report.summary.findings_total,
        report.summary.suppressed_total,
        report.summary.workloads,
        report.summary.namespaces,
        report.not_evaluated.len(),
        report.input_errors.len()
    );
    out
}
