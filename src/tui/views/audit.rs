//! The Audit log view: what the logs held, findings by rule, the timeline, identities and
//! denied requests. Rules, time buckets, identities and denied requests are rows to select
//! (j/k); enter lists the findings each stands for ([`crate::tui::audit_links`]).

use super::truncate;
use crate::sanitize::strip_controls;
use crate::tui::app::App;
use crate::tui::audit_links::{CHANGES_SHOWN, DENIED_SHOWN, IDENTITIES_SHOWN};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Wrap};

/// Counts the selectable rows as the view writes them, in the order of
/// [`crate::tui::audit_links::links`], and marks the selected one.
struct Rows {
    next: usize,
    cursor: usize,
    selected: Style,
    selected_line: Option<usize>,
}

impl Rows {
    fn new(app: &App) -> Rows {
        Rows {
            next: 0,
            cursor: app.audit_cursor,
            selected: app.theme.selected,
            selected_line: None,
        }
    }

    /// Writes a selectable row.
    fn link(&mut self, lines: &mut Vec<Line<'static>>, line: Line<'static>) {
        if self.next == self.cursor {
            self.selected_line = Some(lines.len());
            lines.push(line.patch_style(self.selected));
        } else {
            lines.push(line);
        }
        self.next += 1;
    }
}

/// What the audit logs held: reading statistics and findings by rule; enter lists them.
pub fn audit_log(frame: &mut Frame, app: &App, area: Rect) {
    let Some(audit) = &app.audit else { return };
    let Some(stats) = &audit.report.audit_log else {
        return;
    };
    let t = &app.theme;
    let mut lines = vec![
        Line::raw(crate::report::audit_log_reading(stats)),
        Line::raw(""),
    ];
    for p in stats.problems.iter().take(5) {
        let place = p.line.map_or(String::new(), |l| format!(":{l}"));
        lines.push(Line::styled(
            format!(
                "problem: {}{place}: {}",
                crate::sanitize::strip_controls(&p.file),
                crate::sanitize::strip_controls(&p.message)
            ),
            t.bad,
        ));
    }
    let mut rows = Rows::new(app);
    let mut by_rule: std::collections::BTreeMap<&str, (usize, crate::severity::Severity)> =
        Default::default();
    for f in audit
        .report
        .findings
        .iter()
        .filter(|f| f.area == crate::severity::Area::AuditLog && f.is_active())
    {
        let e = by_rule.entry(f.rule_id).or_insert((0, f.severity));
        e.0 += 1;
        e.1 = e.1.max(f.severity);
    }
    lines.push(Line::styled(
        "Findings by rule (j/k select a rule, a time, an identity; enter lists its findings)",
        t.header,
    ));
    for (rule, (n, sev)) in &by_rule {
        rows.link(
            &mut lines,
            Line::from(vec![
                Span::styled(format!("  {:<9}", sev.label()), t.severity(*sev)),
                Span::raw(format!(
                    "{rule}  {n:>4}  {}",
                    crate::rules::rule(rule).title
                )),
            ]),
        );
    }
    for n in audit
        .report
        .not_evaluated
        .iter()
        .filter(|n| n.rule_id.starts_with("AUD"))
    {
        lines.push(Line::styled(
            format!("not evaluated: {}: {}", n.rule_id, n.reason),
            t.dim,
        ));
    }
    activity_lines(app, &stats.activity, &mut rows, &mut lines);
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(t.border)
        .title(Span::styled(" Audit log ", t.title));
    // The selected row a third of the way down, where the text allows.
    let scroll = rows
        .selected_line
        .map_or(0, |l| l.saturating_sub(usize::from(area.height / 3)))
        .min(usize::from(u16::MAX)) as u16;
    super::scrolled(
        frame,
        app,
        Paragraph::new(lines)
            .block(block)
            .wrap(Wrap { trim: false }),
        area,
        scroll,
    );
}

/// The timeline, the identities and the denied requests of the audit logs.
fn activity_lines(
    app: &App,
    a: &crate::auditlog::activity::Activity,
    rows: &mut Rows,
    lines: &mut Vec<Line<'static>>,
) {
    let t = &app.theme;
    if !a.timeline.is_empty() {
        let width = match a.bucket_secs / 60 {
            m if m < 60 => format!("{m} min"),
            m if m < 1440 => format!("{} h", m / 60),
            m => format!("{} d", m / 1440),
        };
        lines.push(Line::raw(""));
        lines.push(Line::styled(
            format!("Timeline ({width} a row: events, of them denied, changes, and findings)"),
            t.header,
        ));
        let most = a
            .timeline
            .iter()
            .map(|b| b.events)
            .max()
            .unwrap_or(1)
            .max(1);
        for b in &a.timeline {
            let bar = ((b.events * 30).div_ceil(most)) as usize;
            // `2026-11-20T09:01:00Z` shows as `11-20 09:01`.
            let when = b.start.get(5..16).unwrap_or(&b.start).replace('T', " ");
            let mut spans = vec![
                Span::raw(format!("  {when}  ")),
                Span::styled(format!("{:<30}", "█".repeat(bar)), t.good),
                Span::raw(format!(" {:>6} events", b.events)),
            ];
            // Fixed columns, blank when zero, so findings line up under findings.
            spans.push(if b.denied > 0 {
                Span::styled(format!("  {:>5} denied", b.denied), t.bad)
            } else {
                Span::raw(" ".repeat(14))
            });
            spans.push(match b.changes {
                0 => Span::raw(" ".repeat(15)),
                1 => Span::raw("      1 change "),
                n => Span::raw(format!("  {n:>5} changes")),
            });
            if b.findings > 0 {
                spans.push(Span::styled(
                    format!(
                        "  {:>5} finding{}",
                        b.findings,
                        if b.findings == 1 { "" } else { "s" }
                    ),
                    t.severity(crate::severity::Severity::High),
                ));
            }
            rows.link(lines, Line::from(spans));
        }
    }
    if !a.identities.is_empty() {
        lines.push(Line::raw(""));
        lines.push(Line::styled(
            format!(
                "Activity by identity ({} identities; those with findings first)",
                a.identities.len()
            ),
            t.header,
        ));
        lines.push(Line::styled(
            format!(
                "  {:<44} {:>7} {:>7} {:>7} {:>7} {:>8}  {:<23} {}",
                "IDENTITY",
                "EVENTS",
                "DENIED",
                "WRITES",
                "CHANGES",
                "FINDINGS",
                "LAST SEEN",
                "FROM"
            ),
            t.dim,
        ));
        for id in a.identities.iter().take(IDENTITIES_SHOWN) {
            let style = if id.findings > 0 {
                t.bad
            } else {
                Style::default()
            };
            rows.link(
                lines,
                Line::styled(
                    format!(
                        "  {:<44} {:>7} {:>7} {:>7} {:>7} {:>8}  {:<23} {}",
                        truncate(&strip_controls(&id.user), 44),
                        id.events,
                        id.denied,
                        id.writes,
                        id.changes,
                        id.findings,
                        strip_controls(id.last.get(..19).unwrap_or(&id.last)),
                        strip_controls(&id.source_ips.join(", "))
                    ),
                    style,
                ),
            );
        }
        if a.identities.len() > IDENTITIES_SHOWN {
            lines.push(Line::styled(
                format!(
                    "  ... and {} more (JSON report: audit_log.activity)",
                    a.identities.len() - IDENTITIES_SHOWN
                ),
                t.dim,
            ));
        }
    }
    if a.denied_total > 0 {
        lines.push(Line::raw(""));
        lines.push(Line::styled(
            format!(
                "Denied requests ({} in all; the latest {})",
                a.denied_total,
                a.denied.len().min(DENIED_SHOWN)
            ),
            t.header,
        ));
        for d in a.denied.iter().rev().take(DENIED_SHOWN) {
            rows.link(
                lines,
                Line::raw(format!(
                    "  {}  {}  {:<36} {} {}  from {}",
                    strip_controls(d.time.get(..19).unwrap_or(&d.time)),
                    d.code,
                    truncate(&strip_controls(&d.user), 36),
                    strip_controls(&d.verb),
                    truncate(&strip_controls(&d.uri), 60),
                    strip_controls(&d.source_ip)
                )),
            );
        }
    }
    if a.changes_total > 0 {
        lines.push(Line::raw(""));
        lines.push(Line::styled(
            format!(
                "Changes ({} in all; the latest {}): created and deleted, as Falco's activity rules name them; information, not findings",
                a.changes_total,
                a.changes.len().min(CHANGES_SHOWN)
            ),
            t.header,
        ));
        for c in a.changes.iter().rev().take(CHANGES_SHOWN) {
            rows.link(
                lines,
                Line::raw(format!(
                    "  {}  {:<31} {:<40} by {}",
                    strip_controls(c.time.get(..19).unwrap_or(&c.time)),
                    c.rule,
                    truncate(&strip_controls(&c.object()), 40),
                    strip_controls(&c.user)
                )),
            );
        }
    }
}
