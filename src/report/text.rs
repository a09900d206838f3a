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
    if let Some(line) = super::vulnerabilities::text_line(report) {
        let _ = writeln!(out, "{line}");
    }
    out
}

/// `kaudit audit-log --format text`: what was read, then one line per finding.
pub fn audit_log(report: &Report) -> String {
    let mut out = String::new();
    if let Some(s) = report.audit_log.as_ref().filter(|s| s.files > 0) {
        let _ = writeln!(
            out,
            "read {} events from {} files ({} lines, {} bytes); {} outside the time window, {} not audit events, {} malformed",
            s.events, s.files, s.lines, s.bytes, s.outside_window, s.not_events, s.malformed
        );
        for p in &s.problems {
            let place = p.line.map_or(String::new(), |l| format!(":{l}"));
            let _ = writeln!(
                out,
                "  problem: {}{place}: {}",
                strip_controls(&p.file),
                strip_controls(&p.message)
            );
        }
        if s.problems_dropped > 0 {
            let _ = writeln!(out, "  ... and {} more problems", s.problems_dropped);
        }
    }
    for n in &report.not_evaluated {
        let _ = writeln!(
            out,
            "not evaluated: {} ({}): {}",
            n.rule_id,
            strip_controls(&n.scope),
            strip_controls(&n.reason)
        );
    }
    let active: Vec<_> = report.findings.iter().filter(|f| f.is_active()).collect();
    let _ = writeln!(out, "{} findings", active.len());
    for f in active {
        out.push_str(&finding_line(f));
    }
    out
}

/// One audit-log finding as a line: severity, rule, time, message.
pub fn finding_line(f: &crate::findings::Finding) -> String {
    let when = f
        .subject
        .event
        .as_ref()
        .map_or("", |e| e.timestamp.as_str());
    format!(
        "{:<8} {} {} {}\n",
        f.severity.label(),
        f.rule_id,
        strip_controls(when),
        strip_controls(&f.message())
    )
}

/// What changed since the baseline, in one line for standard error.
pub fn changes_line(changes: &crate::findings::changes::Changes) -> String {
    let Some(baseline) = &changes.baseline else {
        return "changes: first audit of this source in the history (nothing to compare with)"
            .to_string();
    };
    let against = match (baseline.session, &baseline.file) {
        (Some(id), _) => format!(
            "session {id}{}",
            baseline
                .started
                .as_deref()
                .map_or(String::new(), |s| format!(" ({})", strip_controls(s)))
        ),
        (None, Some(file)) => strip_controls(file).into_owned(),
        (None, None) => "the baseline".to_string(),
    };
    format!(
        "changes since {against}: {} new, {} resolved, {} unchanged",
        changes.new.len(),
        changes.resolved.len(),
        changes.unchanged
    )
}
