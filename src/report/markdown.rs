//! The Markdown report: the product's face. Readable on GitHub and in a pager: a summary
//! with scores and coverage, then one section per area with tables, evidence and remediation.
//! Every string from the cluster is escaped.

use super::Report;
use crate::checks::pod_security::WorkloadLabel;
use crate::findings::Finding;
use crate::rules::{self, Rule};
use crate::sanitize::{md, md_code};
use crate::severity::{Area, Severity};
use std::collections::BTreeMap;
use std::fmt::Write;

/// Rows shown per rule before "and N more".
pub const MAX_ROWS_PER_RULE: usize = 50;

pub fn render(report: &Report) -> String {
    let mut out = String::new();
    header(&mut out, report);
    summary(&mut out, report);
    super::history::changes_markdown(&mut out, report);
    limitations(&mut out, report);
    for area in Area::ALL {
        area_section(&mut out, report, area);
    }
    super::vulnerabilities::markdown(&mut out, report);
    super::signatures::markdown(&mut out, report);
    super::history::decisions_markdown(&mut out, report);
    suppressed(&mut out, report);
    out
}

fn header(out: &mut String, r: &Report) {
    let _ = writeln!(out, "# kaudit report\n");
    let _ = writeln!(
        out,
        "**Source:** {} ({}) · **Pod Security version:** {} · **kaudit** {}\n",
        md(&r.source.description),
        md(&r.source.kind),
        md(&r.summary.pss_version),
        r.tool.version
    );
    if let Some(v) = &r.source.server_version {
        let _ = writeln!(out, "**API server:** {} (read-only audit)\n", md(v));
    }
    for note in &r.source.notes {
        let _ = writeln!(out, "> **Note:** {}\n", md(note));
    }
}

/// Who did what when, from the audit logs: identities with findings first, the timeline and
/// the latest denied requests.
fn activity(out: &mut String, a: &crate::auditlog::activity::Activity) {
    let super::ActivityShown {
        flagged_total,
        flagged,
        busy,
        denied,
        changes,
    } = super::ActivityShown::of(a);
    if !flagged.is_empty() {
        let _ = writeln!(
            out,
            "**Identities with findings** ({} of {}):\n",
            flagged_total,
            a.identities.len()
        );
        let _ = writeln!(
            out,
            "| Identity | Events | Denied | Writes | Changes | Findings | First seen | Last seen | From |"
        );
        let _ = writeln!(out, "|---|---|---|---|---|---|---|---|---|");
        for i in &flagged {
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} | {} | {} | {} | {} | {} |",
                md_code(&i.user),
                i.events,
                i.denied,
                i.writes,
                i.changes,
                i.findings,
                md(&i.first),
                md(&i.last),
                md(&i.source_ips.join(", "))
            );
        }
        let _ = writeln!(out);
    }
    if !busy.is_empty() {
        let _ = writeln!(
            out,
            "**Timeline** ({} s buckets with findings, denials or changes):\n",
            a.bucket_secs
        );
        let _ = writeln!(out, "| From | Events | Denied | Changes | Findings |");
        let _ = writeln!(out, "|---|---|---|---|---|");
        for b in &busy {
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} | {} |",
                md(&b.start),
                b.events,
                b.denied,
                b.changes,
                b.findings
            );
        }
        let _ = writeln!(out);
    }
    if a.denied_total > 0 {
        let _ = writeln!(
            out,
            "**Denied requests**: {} in all; the latest {}:\n",
            a.denied_total,
            denied.len()
        );
        let _ = writeln!(out, "| Time | Code | Identity | Request | From |");
        let _ = writeln!(out, "|---|---|---|---|---|");
        for d in &denied {
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} | {} |",
                md(&d.time),
                d.code,
                md_code(&d.user),
                md_code(&format!("{} {}", d.verb, d.uri)),
                md(&d.source_ip)
            );
        }
        let _ = writeln!(out);
    }
    if a.changes_total > 0 {
        let _ = writeln!(
            out,
            "**Changes** (objects created and deleted, as Falco's activity rules name them; information, not findings): {} in all; the latest {}:\n",
            a.changes_total,
            changes.len()
        );
        let _ = writeln!(out, "| Time | Change | Object | Identity |");
        let _ = writeln!(out, "|---|---|---|---|");
        for c in &changes {
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} |",
                md(&c.time),
                c.rule,
                md_code(&c.object()),
                md_code(&c.user)
            );
        }
        let _ = writeln!(out);
    }
}

fn severity_counts(m: &BTreeMap<Severity, u64>) -> [u64; 5] {
    Severity::ALL_DESCENDING.map(|s| m.get(&s).copied().unwrap_or(0))
}

fn summary(out: &mut String, r: &Report) {
    let _ = writeln!(out, "## Summary\n");
    let c = severity_counts(&r.summary.findings_by_severity);
    let _ = writeln!(
        out,
        "**{} findings**: {} critical, {} high, {} medium, {} low, {} info; {} suppressed. {} workloads in {} namespaces.\n",
        r.summary.findings_total,
        c[0],
        c[1],
        c[2],
        c[3],
        c[4],
        r.summary.suppressed_total,
        r.summary.workloads,
        r.summary.namespaces
    );
    let _ = writeln!(
        out,
        "| Area | Score | Grade | Critical | High | Medium | Low | Suppressed | Checks passed | Coverage |"
    );
    let _ = writeln!(out, "|---|--:|:-:|--:|--:|--:|--:|--:|--:|--:|");
    for a in &r.summary.areas {
        let c = severity_counts(&a.findings);
        let score = a.score.map_or("n/a".into(), |s| s.to_string());
        let grade = a.grade.map_or("-".into(), |g| g.to_string());
        let coverage = match a.coverage {
            Some(c) if a.not_evaluated > 0 => format!("{c}% ({} not evaluated)", a.not_evaluated),
            Some(c) => format!("{c}%"),
            None => "not evaluated".into(),
        };
        let _ = writeln!(
            out,
            "| {} | {score} | {grade} | {} | {} | {} | {} | {} | {}/{} | {coverage} |",
            a.area.title(),
            c[0],
            c[1],
            c[2],
            c[3],
            a.suppressed,
            a.checks_passed,
            a.checks_passed + a.checks_failed
        );
    }
    let _ = writeln!(
        out,
        "\n<sub>Score: {}.</sub>\n",
        r.summary.score_formula.replace('>', "&gt;")
    );
    let mut missing = Vec::new();
    if r.audit_log.is_none() {
        missing.push("the audit log analysis (`--audit-log`)");
    }
    if r.vulnerabilities.is_none() {
        missing.push("the vulnerability rules (`--trivy-report`)");
    }
    if !missing.is_empty() {
        let _ = writeln!(
            out,
            "Not evaluated until their inputs are given: {}.\n",
            missing.join("; ")
        );
    }
    let _ = writeln!(
        out,
        "Image signatures are not verified by this kaudit yet: they are not evaluated.\n"
    );
}

fn limitations(out: &mut String, r: &Report) {
    if r.not_evaluated.is_empty()
        && r.input_errors.is_empty()
        && r.unaudited.is_empty()
        && r.triage.annotation_errors.is_empty()
    {
        return;
    }
    let _ = writeln!(out, "## Limitations\n");
    if !r.input_errors.is_empty() {
        let _ = writeln!(
            out,
            "**Could not be read** ({}; the rest of the input was audited):\n",
            r.input_errors.len()
        );
        for e in r.input_errors.iter().take(100) {
            let place = match e.line {
                Some(l) => format!("{}:{l}", e.file),
                None => e.file.clone(),
            };
            let _ = writeln!(out, "- {}: {}", md_code(&place), md(&e.message));
        }
        if r.input_errors.len() > 100 {
            let _ = writeln!(out, "- and {} more", r.input_errors.len() - 100);
        }
        let _ = writeln!(out);
    }
    if !r.not_evaluated.is_empty() {
        let _ = writeln!(out, "**Not evaluated** (never counted as a pass):\n");
        let mut grouped: BTreeMap<(&str, &str), Vec<&str>> = BTreeMap::new();
        for n in &r.not_evaluated {
            grouped
                .entry((n.rule_id, n.reason.as_str()))
                .or_default()
                .push(&n.scope);
        }
        let _ = writeln!(out, "| Rule | Reason | Scope |");
        let _ = writeln!(out, "|---|---|---|");
        for ((rule, reason), scopes) in grouped {
            let shown: Vec<String> = scopes.iter().take(3).map(|s| md(s)).collect();
            let more = if scopes.len() > 3 {
                format!(" and {} more", scopes.len() - 3)
            } else {
                String::new()
            };
            let _ = writeln!(
                out,
                "| {rule} {} | {} | {}{more} |",
                md(rules::rule(rule).title),
                md(reason),
                shown.join("; ")
            );
        }
        let _ = writeln!(out);
    }
    if !r.triage.annotation_errors.is_empty() {
        let _ = writeln!(out, "**Ignored suppression annotations:**\n");
        for e in &r.triage.annotation_errors {
            let _ = writeln!(out, "- {}", md(e));
        }
        let _ = writeln!(out);
    }
    if !r.unaudited.is_empty() {
        let kinds: Vec<String> = r
            .unaudited
            .iter()
            .map(|(k, n)| format!("{} {n}", md(k)))
            .collect();
        let _ = writeln!(
            out,
            "Objects read but not audited (Secrets are counted, their values never read): {}.\n",
            kinds.join(", ")
        );
    }
}

fn area_section(out: &mut String, r: &Report, area: Area) {
    let findings: Vec<&Finding> = r
        .findings
        .iter()
        .filter(|f| f.area == area && f.is_active())
        .collect();
    let _ = writeln!(out, "## {}\n", area.title());
    if area == Area::PodSecurity {
        namespaces(out, r);
    }
    if let (Area::AuditLog, Some(s)) = (area, &r.audit_log) {
        let _ = writeln!(out, "{}\n", super::audit_log_reading(s));
        for p in s.problems.iter().take(50) {
            let place = p.line.map_or(p.file.clone(), |l| format!("{}:{l}", p.file));
            let _ = writeln!(out, "- {}: {}", md_code(&place), md(&p.message));
        }
        if !s.problems.is_empty() {
            let _ = writeln!(out);
        }
        activity(out, &s.activity);
    }
    if findings.is_empty() {
        let _ = writeln!(out, "{}\n", super::no_findings_note(r, area));
        return;
    }
    let mut by_rule: BTreeMap<&str, Vec<&Finding>> = BTreeMap::new();
    for f in findings {
        by_rule.entry(f.rule_id).or_default().push(f);
    }
    // Sections by their most severe finding, then by rule.
    let mut sections: Vec<(Severity, &str, Vec<&Finding>)> = by_rule
        .into_iter()
        .map(|(id, list)| (super::group_severity(rules::rule(id), &list).0, id, list))
        .collect();
    sections.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(b.1)));
    for (_, rule_id, list) in sections {
        rule_section(out, r, rules::rule(rule_id), &list);
    }
}

fn rule_section(out: &mut String, r: &Report, rule: &Rule, list: &[&Finding]) {
    let (worst, note) = super::group_severity(rule, list);
    let _ = writeln!(
        out,
        "### {} {} ({} {}, {}{note})\n",
        rule.id,
        rule.title,
        list.len(),
        if list.len() == 1 {
            "finding"
        } else {
            "findings"
        },
        worst.label()
    );
    let _ = writeln!(out, "{}\n", rule.rationale);
    let _ = writeln!(out, "| Severity | Object | Finding | Evidence | Location |");
    let _ = writeln!(out, "|---|---|---|---|---|");
    for f in list.iter().take(MAX_ROWS_PER_RULE) {
        let s = &f.subject;
        let mut object = match s.event_summary() {
            Some(request) => request,
            None if s.namespace.is_empty() => format!("{}/{}", s.kind, s.name),
            None => format!("{}/{}/{}", s.namespace, s.kind, s.name),
        };
        if let Some(c) = &s.container {
            object.push_str(&format!(" [{c}]"));
        }
        let evidence: Vec<String> = f
            .evidence
            .iter()
            .take(3)
            .map(|e| format!("{}: {}", md_code(&e.path()), md(&e.value)))
            .collect();
        let location = f.location.as_ref().map_or(String::new(), |l| {
            md_code(&format!("{}:{}", l.file, l.line))
        });
        let verify = super::verify::command(r, f)
            .map_or(String::new(), |c| format!("<br>verify: {}", md_code(&c)));
        let _ = writeln!(
            out,
            "| {} | {} | {}{}{verify} | {} | {location} |",
            f.severity.label(),
            md_code(&object),
            super::history::markdown_marks(r, f),
            md(&f.message_beside_object()),
            evidence.join("<br>")
        );
    }
    if list.len() > MAX_ROWS_PER_RULE {
        let _ = writeln!(
            out,
            "\nand {} more (use `--format json` for all).",
            list.len() - MAX_ROWS_PER_RULE
        );
    }
    let refs: Vec<String> = rule
        .references
        .iter()
        .map(|r| format!("{} {}", r.source, md_code(r.id)))
        .collect();
    let _ = writeln!(
        out,
        "\n<details><summary>Remediation and references</summary>\n"
    );
    let _ = writeln!(out, "{}\n", rule.remediation);
    let _ = writeln!(
        out,
        "CKS domain: {}. References: {}. Docs: <{}>\n",
        rule.cks_domain,
        if refs.is_empty() {
            "none".into()
        } else {
            refs.join(", ")
        },
        rule.doc_url
    );
    let _ = writeln!(out, "</details>\n");
}

fn namespaces(out: &mut String, r: &Report) {
    if r.namespaces.is_empty() {
        return;
    }
    let _ = writeln!(out, "### Namespaces\n");
    let _ = writeln!(
        out,
        "| Namespace | Enforce | Warn | Audit | Workloads | Could enforce now | Violating the enforced level | Would break under restricted |"
    );
    let _ = writeln!(out, "|---|---|---|---|--:|---|---|---|");
    for n in &r.namespaces {
        let enforce = if n.enforce_labelled {
            md(&n.enforce)
        } else {
            format!("{} (default)", md(&n.enforce))
        };
        let list = |v: &[WorkloadLabel]| {
            if v.is_empty() {
                "-".to_string()
            } else {
                let shown: Vec<String> =
                    v.iter().take(5).map(|s| md_code(&s.to_string())).collect();
                let more = if v.len() > 5 {
                    format!(" +{}", v.len() - 5)
                } else {
                    String::new()
                };
                format!("{}{more}", shown.join(", "))
            }
        };
        let _ = writeln!(
            out,
            "| {} | {enforce} | {} | {} | {} | {} | {} | {} |",
            md_code(&n.name),
            md(&n.warn),
            md(&n.audit),
            n.workloads,
            n.highest_enforceable,
            list(&n.violating_enforced),
            list(&n.would_break_restricted)
        );
    }
    let _ = writeln!(out);
}

fn suppressed(out: &mut String, r: &Report) {
    let list: Vec<&Finding> = r.findings.iter().filter(|f| !f.is_active()).collect();
    if list.is_empty()
        && r.triage.expired_exemptions.is_empty()
        && r.triage.unused_exemptions.is_empty()
    {
        return;
    }
    let _ = writeln!(out, "## Suppressed findings\n");
    if !list.is_empty() {
        let _ = writeln!(out, "| Rule | Object | By | Reason | Expires |");
        let _ = writeln!(out, "|---|---|---|---|---|");
        for f in &list {
            if let Some(s) = &f.suppressed {
                let by = s.by.label();
                let _ = writeln!(
                    out,
                    "| {} | {} | {by} | {} | {} |",
                    f.rule_id,
                    md_code(&f.subject.path()),
                    md(&s.reason),
                    s.expires.as_deref().map_or("-".into(), md)
                );
            }
        }
        let _ = writeln!(out);
    }
    for (title, list) in [
        (
            "Expired exemptions (no longer applied)",
            &r.triage.expired_exemptions,
        ),
        (
            "Exemptions that matched nothing",
            &r.triage.unused_exemptions,
        ),
    ] {
        if list.is_empty() {
            continue;
        }
        let _ = writeln!(out, "**{title}:**\n");
        for e in list.iter() {
            let _ = writeln!(
                out,
                "- {} on {}: {} (expires {})",
                md(&e.rule),
                md_code(&e.subject),
                md(&e.reason),
                e.expires.as_deref().map_or("never".into(), md)
            );
        }
        let _ = writeln!(out);
    }
}
