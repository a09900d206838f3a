//! A single self-contained HTML file (no external assets; one small inline script sorts and
//! filters tables) for auditors and managers: a table of contents, the summary, each area's
//! findings as tables with what the Markdown has beside them (namespaces, audit identities,
//! timeline, denied requests), suppressed findings. Every string from the cluster is escaped.

use super::Report;
use crate::findings::Finding;
use crate::rules;
use crate::sanitize::html as h;
use crate::severity::{Area, Severity};
use std::fmt::Write;

const STYLE: &str = "body{font:14px/1.45 system-ui,sans-serif;margin:2em auto;max-width:80em;padding:0 1em;color:#222}\
table{border-collapse:collapse;width:100%;margin:.5em 0 1.5em}th,td{border:1px solid #ccc;padding:.3em .5em;text-align:left;vertical-align:top}\
th{background:#f3f3f3}code{font-size:90%;background:#f6f6f6;padding:0 .2em}.critical{color:#8b0a50;font-weight:bold}\
.high{color:#b00;font-weight:bold}.medium{color:#a60}.low{color:#246}.info{color:#666}details{margin:.5em 0 1.5em}pre{background:#f6f6f6;padding:.5em}\
td{overflow-wrap:break-word}code{overflow-wrap:anywhere}th[data-sort=up]:after{content:' \\25B2'}th[data-sort=down]:after{content:' \\25BC'}\
input.filter{margin:.3em 0;padding:.2em .4em;width:20em}nav#contents ul{columns:3;margin:.3em 0 1em}";

fn sev(s: Severity) -> String {
    format!("<span class=\"{}\">{}</span>", s.as_str(), s.label())
}

pub fn render(report: &Report) -> String {
    let mut out = String::new();
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>kaudit report</title><style>{STYLE}</style></head><body>\n"
    );
    let _ = writeln!(out, "<h1>kaudit report</h1>");
    let _ = writeln!(
        out,
        "<p><b>Source:</b> {} ({}) &middot; <b>Pod Security version:</b> {} &middot; kaudit {}</p>",
        h(&report.source.description),
        h(&report.source.kind),
        h(&report.summary.pss_version),
        report.tool.version
    );
    let limitations = !report.not_evaluated.is_empty() || !report.input_errors.is_empty();
    let suppressed_any = report.findings.iter().any(|f| !f.is_active());
    let mut sections = vec!["Summary".to_string()];
    if limitations {
        sections.push("Limitations".into());
    }
    sections.extend(Area::ALL.iter().map(|a| a.title().to_string()));
    if suppressed_any {
        sections.push("Suppressed findings".into());
    }
    super::html_sections::toc(&mut out, &sections);
    let _ = writeln!(
        out,
        "<h2 id=\"summary\">Summary</h2><p><b>{} findings</b>, {} suppressed; {} workloads in {} namespaces.</p>",
        report.summary.findings_total,
        report.summary.suppressed_total,
        report.summary.workloads,
        report.summary.namespaces
    );
    super::history::changes_html(&mut out, report);
    let _ = writeln!(
        out,
        "<table><tr><th>Area</th><th>Score</th><th>Grade</th><th>Critical</th><th>High</th><th>Medium</th><th>Low</th><th>Suppressed</th><th>Coverage</th></tr>"
    );
    for a in &report.summary.areas {
        let n = |s: Severity| a.findings.get(&s).copied().unwrap_or(0);
        let _ = writeln!(
            out,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            a.area.title(),
            a.score.map_or("n/a".into(), |s| s.to_string()),
            a.grade.map_or("-".into(), |g| g.to_string()),
            n(Severity::Critical),
            n(Severity::High),
            n(Severity::Medium),
            n(Severity::Low),
            a.suppressed,
            a.coverage
                .map_or("not evaluated".into(), |c| format!("{c}%"))
        );
    }
    let _ = writeln!(
        out,
        "</table><p><small>{}</small></p>",
        h(report.summary.score_formula)
    );
    if limitations {
        let _ = writeln!(out, "<h2 id=\"limitations\">Limitations</h2><ul>");
        for e in &report.input_errors {
            let _ = writeln!(
                out,
                "<li>could not read <code>{}</code>: {}</li>",
                h(&format!("{}:{}", e.file, e.line.unwrap_or(0))),
                h(&e.message)
            );
        }
        for n in report.not_evaluated.iter().take(200) {
            let _ = writeln!(
                out,
                "<li>{} not evaluated for {}: {}</li>",
                n.rule_id,
                h(&n.scope),
                h(&n.reason)
            );
        }
        let _ = writeln!(out, "</ul>");
    }
    for area in Area::ALL {
        let list: Vec<&Finding> = report
            .findings
            .iter()
            .filter(|f| f.area == area && f.is_active())
            .collect();
        let _ = writeln!(
            out,
            "<h2 id=\"{}\">{}</h2>",
            super::html_sections::anchor(area.title()),
            area.title()
        );
        match area {
            Area::PodSecurity => super::html_sections::namespaces(&mut out, report),
            Area::AuditLog => super::html_sections::audit_log(&mut out, report),
            _ => {}
        }
        if list.is_empty() {
            let _ = writeln!(out, "<p>{}</p>", super::no_findings_note(report, area));
            continue;
        }
        let mut rule_ids: Vec<&str> = list.iter().map(|f| f.rule_id).collect();
        rule_ids.sort_unstable();
        rule_ids.dedup();
        // Sections by their most severe finding, then by rule.
        let mut groups: Vec<(crate::severity::Severity, String, &str, Vec<&Finding>)> = rule_ids
            .into_iter()
            .map(|id| {
                let of_rule: Vec<&Finding> =
                    list.iter().copied().filter(|f| f.rule_id == id).collect();
                let (worst, note) = super::group_severity(rules::rule(id), &of_rule);
                (worst, note, id, of_rule)
            })
            .collect();
        groups.sort_by(|a, b| b.0.cmp(&a.0).then(a.2.cmp(b.2)));
        for (worst, note, id, of_rule) in groups {
            let rule = rules::rule(id);
            let _ = writeln!(
                out,
                "<h3>{} {} ({}, {}{})</h3><p>{}</p>",
                rule.id,
                h(rule.title),
                of_rule.len(),
                sev(worst),
                h(&note),
                h(rule.rationale)
            );
            let _ = writeln!(
                out,
                "<table><tr><th>Severity</th><th>Object</th><th>Finding</th><th>Evidence</th><th>Location</th></tr>"
            );
            for f in of_rule {
                let evidence: Vec<String> = f
                    .evidence
                    .iter()
                    .map(|e| format!("<code>{}</code>: {}", h(&e.path()), h(&e.value)))
                    .collect();
                let location = f.location.as_ref().map_or(String::new(), |l| {
                    format!("<code>{}:{}</code>", h(&l.file), l.line)
                });
                let mut marks = String::new();
                if report.change_mark(f.id) == Some("new") {
                    marks.push_str("<b class=\"new\">new</b> ");
                }
                if let Some(d) = &f.decision {
                    marks.push_str(&format!("<i class=\"decision\">{}</i> ", h(&d.mark())));
                }
                let _ = writeln!(
                    out,
                    "<tr><td>{}</td><td><code>{}</code></td><td>{marks}{}</td><td>{}</td><td>{location}</td></tr>",
                    sev(f.severity),
                    h(&f.subject
                        .event_summary()
                        .unwrap_or_else(|| f.subject.path())),
                    h(&f.message_beside_object()),
                    evidence.join("<br>")
                );
            }
            let _ = writeln!(
                out,
                "</table><details><summary>Remediation and references</summary><pre>{}</pre><p>CKS domain: {}. Docs: <a href=\"{}\">{}</a></p></details>",
                h(rule.remediation),
                h(rule.cks_domain),
                rule.doc_url,
                rule.doc_url
            );
        }
    }
    super::vulnerabilities::html(&mut out, report);
    super::signatures::html(&mut out, report);
    super::history::decisions_html(&mut out, report);
    let suppressed: Vec<&Finding> = report.findings.iter().filter(|f| !f.is_active()).collect();
    if !suppressed.is_empty() {
        let _ = writeln!(
            out,
            "<h2 id=\"suppressed-findings\">Suppressed findings</h2><table><tr><th>Rule</th><th>Object</th><th>Reason</th></tr>"
        );
        for f in suppressed {
            let reason = f.suppressed.as_ref().map_or("", |s| s.reason.as_str());
            let _ = writeln!(
                out,
                "<tr><td>{}</td><td><code>{}</code></td><td>{}</td></tr>",
                f.rule_id,
                h(&f.subject.path()),
                h(reason)
            );
        }
        let _ = writeln!(out, "</table>");
    }
    out.push_str(super::html_sections::SCRIPT);
    out.push_str("</body></html>\n");
    out
}
