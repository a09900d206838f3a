//! The history in reports: what changed since the last audit and the triage decisions, as
//! sections and as marks beside each finding.

use super::Report;
use crate::findings::Finding;
use crate::sanitize::{html as h, md, md_code};
use std::fmt::Write;

/// Rows of new and resolved findings listed before "and N more".
const MAX_ROWS: usize = 50;

/// `**new** · ` and `*will fix (alice)* · ` before a finding's message.
pub fn markdown_marks(r: &Report, f: &Finding) -> String {
    let mut out = String::new();
    if r.change_mark(f.id) == Some("new") {
        out.push_str("**new** · ");
    }
    if let Some(d) = &f.decision {
        let _ = write!(out, "*{}* · ", md(&d.mark()));
    }
    out
}

/// "Changes since the last audit": counts, then the new and the resolved findings.
pub fn changes_markdown(out: &mut String, r: &Report) {
    let Some(changes) = &r.changes else {
        return;
    };
    let _ = writeln!(out, "## Changes since the last audit\n");
    let Some(baseline) = &changes.baseline else {
        let _ = writeln!(
            out,
            "First audit of this context: nothing to compare with yet (the next audit shows what changed).\n"
        );
        return;
    };
    let against = match (&baseline.session, &baseline.file) {
        (Some(id), _) => format!(
            "session {id}{}",
            baseline
                .started
                .as_deref()
                .map_or(String::new(), |s| format!(" of {}", md(s)))
        ),
        (None, Some(file)) => format!("the report {}", md_code(file)),
        (None, None) => "the baseline".into(),
    };
    let _ = writeln!(
        out,
        "Compared with {against}: **{} new**, **{} resolved**, {} unchanged.\n",
        changes.new.len(),
        changes.resolved.len(),
        changes.unchanged
    );
    let new: Vec<&Finding> = r.findings.iter().filter(|f| changes.is_new(f.id)).collect();
    if !new.is_empty() {
        let _ = writeln!(out, "**New findings:**\n");
        let _ = writeln!(out, "| Severity | Rule | Object | Finding |");
        let _ = writeln!(out, "|---|---|---|---|");
        for f in new.iter().take(MAX_ROWS) {
            let suppressed = if f.is_active() { "" } else { " (suppressed)" };
            let _ = writeln!(
                out,
                "| {} | {} | {} | {}{suppressed} |",
                f.severity.label(),
                f.rule_id,
                md_code(
                    &f.subject
                        .event_summary()
                        .unwrap_or_else(|| f.subject.path())
                ),
                md(&f.message_beside_object())
            );
        }
        more(out, new.len());
    }
    if !changes.resolved_findings.is_empty() {
        let _ = writeln!(out, "**Resolved (gone since then):**\n");
        let _ = writeln!(out, "| Severity | Rule | Object | Finding |");
        let _ = writeln!(out, "|---|---|---|---|");
        for f in changes.resolved_findings.iter().take(MAX_ROWS) {
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} |",
                f.severity.label(),
                md(&f.rule_id),
                md_code(&f.subject),
                md(&f.message)
            );
        }
        more(out, changes.resolved_findings.len());
    }
}

fn more(out: &mut String, len: usize) {
    if len > MAX_ROWS {
        let _ = writeln!(
            out,
            "\nand {} more (use `--format json` for all).",
            len - MAX_ROWS
        );
    }
    let _ = writeln!(out);
}

/// "Triage decisions": every decision kept for this context and how it stands.
pub fn decisions_markdown(out: &mut String, r: &Report) {
    let list = &r.triage.decisions;
    if list.is_empty() {
        return;
    }
    let _ = writeln!(out, "## Triage decisions\n");
    let _ = writeln!(
        out,
        "Decisions taken in the TUI (`m`), kept in the audit history. A decision that expired or whose finding's evidence changed no longer applies: the finding counts again until decided anew.\n"
    );
    let _ = writeln!(
        out,
        "| Rule | Object | Decision | By | On | Expires | Reason | Status |"
    );
    let _ = writeln!(out, "|---|---|---|---|---|---|---|---|");
    for j in list {
        let d = &j.decision;
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} | {} | {} |",
            md(&d.rule_id),
            md_code(&d.subject),
            d.verdict.label(),
            md(&d.author),
            md(d.decided.get(..10).unwrap_or(&d.decided)),
            d.expires.as_deref().map_or("-".into(), md),
            md(&d.reason),
            j.standing.label()
        );
    }
    let _ = writeln!(out);
}

/// The HTML report's line on what changed, with the resolved findings listed.
pub fn changes_html(out: &mut String, r: &Report) {
    let Some(changes) = &r.changes else {
        return;
    };
    let Some(baseline) = &changes.baseline else {
        let _ = writeln!(
            out,
            "<p><b>Changes:</b> first audit of this context, nothing to compare with yet.</p>"
        );
        return;
    };
    let against = match (&baseline.session, &baseline.file) {
        (Some(id), _) => format!("session {id}"),
        (None, Some(file)) => format!("<code>{}</code>", h(file)),
        (None, None) => "the baseline".into(),
    };
    let _ = writeln!(
        out,
        "<p><b>Changes since {against}:</b> {} new (marked below), {} resolved, {} unchanged.</p>",
        changes.new.len(),
        changes.resolved.len(),
        changes.unchanged
    );
    if changes.resolved_findings.is_empty() {
        return;
    }
    let _ = writeln!(
        out,
        "<details><summary>Resolved since then</summary><table><tr><th>Severity</th><th>Rule</th><th>Object</th><th>Finding</th></tr>"
    );
    for f in changes.resolved_findings.iter().take(MAX_ROWS) {
        let _ = writeln!(
            out,
            "<tr><td>{}</td><td>{}</td><td><code>{}</code></td><td>{}</td></tr>",
            f.severity.label(),
            h(&f.rule_id),
            h(&f.subject),
            h(&f.message)
        );
    }
    let _ = writeln!(out, "</table></details>");
}

/// The HTML report's table of triage decisions.
pub fn decisions_html(out: &mut String, r: &Report) {
    if r.triage.decisions.is_empty() {
        return;
    }
    let _ = writeln!(
        out,
        "<h2>Triage decisions</h2><table><tr><th>Rule</th><th>Object</th><th>Decision</th><th>By</th><th>On</th><th>Expires</th><th>Reason</th><th>Status</th></tr>"
    );
    for j in &r.triage.decisions {
        let d = &j.decision;
        let _ = writeln!(
            out,
            "<tr><td>{}</td><td><code>{}</code></td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            h(&d.rule_id),
            h(&d.subject),
            d.verdict.label(),
            h(&d.author),
            h(d.decided.get(..10).unwrap_or(&d.decided)),
            d.expires.as_deref().map_or("-".into(), h),
            h(&d.reason),
            j.standing.label()
        );
    }
    let _ = writeln!(out, "</table>");
}
