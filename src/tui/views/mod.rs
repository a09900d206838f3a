//! One function per view; each draws a prepared table or text into its area.

mod audit;
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
            audit::audit_log(frame, app, area)
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
