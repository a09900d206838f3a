//! One function per view; each draws a prepared table or text into its area.

mod detail;
mod image;
mod images;
mod lab;
pub mod overlays;
mod signatures;
mod tables;
mod trend;

use super::app::{App, Pane, View};
use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Cell, Paragraph, Row, Table, Wrap};

pub fn draw(frame: &mut Frame, app: &App, area: Rect) {
    match app.view {
        View::Dashboard => tables::dashboard(frame, app, area),
        View::Images => images::images(frame, app, area),
        View::Pss => tables::pss(frame, app, area),
        View::Findings => tables::findings(frame, app, area),
        View::Rules => tables::rules(frame, app, area),
        View::Detail(i) => detail::finding(frame, app, area, i),
        View::Rule(i) => detail::rule(frame, app, area, i),
        View::Image(i) => image::image(frame, app, area, i),
        View::Lab => lab::lab(frame, app, area),
        View::LabTask(i) => lab::task_page(frame, app, area, i),
        View::Audit
            if app
                .audit
                .as_ref()
                .is_some_and(|a| a.report.audit_log.is_some()) =>
        {
            audit_log(frame, app, area)
        }
        View::Audit => needs_input(
            frame,
            app,
            area,
            "Audit log",
            &[
                "No audit log was given, so nothing here is evaluated.",
                "",
                "API server audit logs live on the control-plane nodes (the API does not serve them).",
                "Copy them off a node and pass them with --audit-log PATH (files, folders, globs,",
                "rotated and gzipped sets, webhook batches); --since and --until limit the window.",
            ],
        ),
        View::Signatures
            if app
                .audit
                .as_ref()
                .is_some_and(|a| a.report.signatures.is_some()) =>
        {
            signatures::signatures(frame, app, area)
        }
        // Not "not evaluated": the verdicts are on their way.
        View::Signatures if app.signatures_pending.is_some() => notice(
            frame,
            app,
            area,
            "Signatures: looking up…",
            &[
                "Looking up signatures… each running image's cosign signatures in its registry",
                "(the header counts the images), verified offline with the keys you trust and the",
                "keys written in the cluster's admission policies.",
                "",
                "The audit is shown meanwhile; the verdicts, and the findings that need them, come",
                "when every lookup is done.",
            ],
        ),
        View::Signatures => needs_input(
            frame,
            app,
            area,
            "Signatures",
            &[
                "No signature verification ran, so whether images are signed is not evaluated.",
                "",
                "Run with --verify-signatures (and --key FILE for the public keys you trust; the keys",
                "written in the cluster's Kyverno and policy-controller policies are used too): each",
                "running image's cosign signatures are looked up in its registry and verified offline.",
                "Whether those policies enforce signatures (SIG002, SIG004) is judged without it.",
            ],
        ),
    }
}

/// What the audit logs held: reading statistics and findings by rule; enter lists them.
fn audit_log(frame: &mut Frame, app: &App, area: Rect) {
    let Some(audit) = &app.audit else { return };
    let Some(stats) = &audit.report.audit_log else {
        return;
    };
    let t = &app.theme;
    let mut lines = vec![
        Line::raw(format!(
            "{} events read from {} files ({} lines); {} outside the time window, {} not audit events, {} malformed.",
            stats.events,
            stats.files,
            stats.lines,
            stats.outside_window,
            stats.not_events,
            stats.malformed
        )),
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
        "Findings by rule (enter lists them)",
        t.header,
    ));
    for (rule, (n, sev)) in &by_rule {
        lines.push(Line::from(vec![
            Span::styled(format!("  {:<9}", sev.label()), t.severity(*sev)),
            Span::raw(format!(
                "{rule}  {n:>4}  {}",
                crate::rules::rule(rule).title
            )),
        ]));
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
    lines.extend(activity_lines(app, &stats.activity));
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(t.border)
        .title(Span::styled(" Audit log ", t.title));
    scrolled(
        frame,
        app,
        Paragraph::new(lines)
            .block(block)
            .wrap(Wrap { trim: false }),
        area,
        app.audit_scroll,
    );
}

/// Draws a bordered text scrolled to `scroll` but never past its last screenful (`G` shows
/// the end, not a blank pane), and tells the keys that bound, so `k` after `G` moves at once.
pub(super) fn scrolled(
    frame: &mut Frame,
    app: &App,
    paragraph: Paragraph<'_>,
    area: Rect,
    scroll: u16,
) {
    let rows = paragraph.line_count(area.width.saturating_sub(2));
    let max = rows
        .saturating_sub(area.height as usize)
        .min(u16::MAX as usize) as u16;
    app.drawn_max_scroll.set(Some(max));
    frame.render_widget(paragraph.scroll((scroll.min(max), 0)), area);
}

/// The timeline, the identities and the denied requests of the audit logs.
fn activity_lines<'a>(app: &App, a: &'a crate::auditlog::activity::Activity) -> Vec<Line<'a>> {
    use crate::sanitize::strip_controls;
    let t = &app.theme;
    let mut lines = Vec::new();
    if !a.timeline.is_empty() {
        let width = match a.bucket_secs / 60 {
            m if m < 60 => format!("{m} min"),
            m if m < 1440 => format!("{} h", m / 60),
            m => format!("{} d", m / 1440),
        };
        lines.push(Line::raw(""));
        lines.push(Line::styled(
            format!("Timeline ({width} a row: events, of them denied, and findings)"),
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
            if b.denied > 0 {
                spans.push(Span::styled(format!("  {:>5} denied", b.denied), t.bad));
            }
            if b.findings > 0 {
                spans.push(Span::styled(
                    format!(
                        "  {} finding{}",
                        b.findings,
                        if b.findings == 1 { "" } else { "s" }
                    ),
                    t.severity(crate::severity::Severity::High),
                ));
            }
            lines.push(Line::from(spans));
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
                "  {:<44} {:>7} {:>7} {:>7} {:>8}  {:<23} {}",
                "IDENTITY", "EVENTS", "DENIED", "WRITES", "FINDINGS", "LAST SEEN", "FROM"
            ),
            t.dim,
        ));
        for id in a.identities.iter().take(20) {
            let style = if id.findings > 0 {
                t.bad
            } else {
                Style::default()
            };
            lines.push(Line::styled(
                format!(
                    "  {:<44} {:>7} {:>7} {:>7} {:>8}  {:<23} {}",
                    truncate(&strip_controls(&id.user), 44),
                    id.events,
                    id.denied,
                    id.writes,
                    id.findings,
                    strip_controls(id.last.get(..19).unwrap_or(&id.last)),
                    strip_controls(&id.source_ips.join(", "))
                ),
                style,
            ));
        }
        if a.identities.len() > 20 {
            lines.push(Line::styled(
                format!(
                    "  ... and {} more (JSON report: audit_log.activity)",
                    a.identities.len() - 20
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
                a.denied.len().min(15)
            ),
            t.header,
        ));
        for d in a.denied.iter().rev().take(15) {
            lines.push(Line::raw(format!(
                "  {}  {}  {:<36} {} {}  from {}",
                strip_controls(d.time.get(..19).unwrap_or(&d.time)),
                d.code,
                truncate(&strip_controls(&d.user), 36),
                strip_controls(&d.verb),
                truncate(&strip_controls(&d.uri), 60),
                strip_controls(&d.source_ip)
            )));
        }
    }
    lines
}

/// `text` in a column `width` cells wide: cut with `…` when longer (so `windows-exporter:0`
/// is not read as the tag `0`).
pub(super) fn fit(text: &str, width: u16) -> String {
    let width = usize::from(width);
    if ratatui::text::Span::raw(text).width() <= width {
        return text.to_string();
    }
    let mut out = String::new();
    let mut used = 0;
    for c in text.chars() {
        let w = ratatui::text::Span::raw(c.to_string()).width();
        if used + w + 1 > width {
            break;
        }
        out.push(c);
        used += w;
    }
    out.push('…');
    out
}

/// At most `n` characters, with an ellipsis when cut.
fn truncate(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_string()
    } else {
        let mut out: String = s.chars().take(n.saturating_sub(1)).collect();
        out.push('…');
        out
    }
}

fn needs_input(frame: &mut Frame, app: &App, area: Rect, title: &str, text: &[&str]) {
    notice(frame, app, area, &format!("{title}: not evaluated"), text);
}

/// A bordered text in place of a view's contents.
fn notice(frame: &mut Frame, app: &App, area: Rect, title: &str, text: &[&str]) {
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(app.theme.border)
        .title(Span::styled(format!(" {title} "), app.theme.title));
    let lines: Vec<Line> = text.iter().map(|l| Line::raw(*l)).collect();
    frame.render_widget(
        Paragraph::new(lines)
            .block(block)
            .wrap(Wrap { trim: false }),
        area,
    );
}

/// A bordered table of the pane's visible rows: only rows in the window are built.
/// A table's column headings and widths.
pub(super) struct Columns<'a> {
    pub header: &'a [&'a str],
    pub widths: &'a [Constraint],
}

pub(super) fn table<'a>(
    frame: &mut Frame,
    app: &App,
    area: Rect,
    title: String,
    pane: &Pane,
    columns: Columns<'a>,
    row: impl Fn(usize, &[u16]) -> Vec<Cell<'a>>,
) {
    let Columns { header, widths } = columns;
    let t = &app.theme;
    // The columns' widths as the table will lay them out (its flex and spacing), so rows
    // cut long text themselves, with an ellipsis.
    let inner = Rect::new(0, 0, area.width.saturating_sub(2), 1);
    let cols: Vec<u16> = ratatui::layout::Layout::horizontal(widths.to_vec())
        .flex(ratatui::layout::Flex::Start)
        .spacing(1)
        .split(inner)
        .iter()
        .map(|r| r.width)
        .collect();
    let height = area.height.saturating_sub(3) as usize;
    let mut offset = pane.offset.min(pane.rows.len().saturating_sub(height));
    if pane.selected < offset {
        offset = pane.selected;
    } else if pane.selected >= offset + height {
        offset = pane.selected + 1 - height.max(1);
    }
    let rows: Vec<Row> = pane
        .rows
        .iter()
        .enumerate()
        .skip(offset)
        .take(height)
        .map(|(i, r)| {
            let style = if i == pane.selected {
                t.selected
            } else {
                Style::default()
            };
            Row::new(row(*r, &cols)).style(style)
        })
        .collect();
    let position = if pane.rows.is_empty() {
        "0/0".to_string()
    } else {
        format!("{}/{}", pane.selected + 1, pane.rows.len())
    };
    let filter = if pane.filter.is_empty() {
        String::new()
    } else {
        format!(" </{}>", crate::sanitize::strip_controls(&pane.filter))
    };
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(t.border)
        .title(Span::styled(
            format!(" {title} [{position}]{filter} "),
            t.title,
        ));
    let header = Row::new(header.iter().map(|h| Cell::from(*h))).style(t.header);
    frame.render_widget(
        Table::new(rows, widths)
            .header(header)
            .block(block)
            .column_spacing(1),
        area,
    );
    if pane.rows.is_empty() {
        let inner = Rect {
            x: area.x + 2,
            y: area.y + 2,
            width: area.width.saturating_sub(4),
            height: 1,
        };
        let text = if pane.filter.is_empty() {
            "nothing here"
        } else {
            "no rows match the filter (esc clears it)"
        };
        frame.render_widget(Paragraph::new(text).style(t.dim), inner);
    }
}
