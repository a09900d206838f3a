//! An image: where it comes from, what runs it, its signature verdict (each signature and
//! attestation), and its known vulnerabilities as a table
//! (j/k select, `s` orders by severity / fixable first / package, `f` shows only those with
//! a fix) with the selected one's details below; enter lists the image's findings.

use crate::sanitize::strip_controls;
use crate::tui::app::App;
use crate::tui::model::ImageRow;
use crate::tui::model::signatures::tone;
use crate::tui::text::{self, TextLine, Tone};
use crate::vuln::{Vulnerability, severity};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, Paragraph, Row, Table, TableState, Wrap};

pub fn image(frame: &mut Frame, app: &App, area: Rect, index: usize) {
    let (Some(row), Some(audit)) = (app.model.images.get(index), app.audit.as_ref()) else {
        return;
    };
    let t = &app.theme;
    let mut lines = vec![
        Line::styled(strip_controls(&row.image).into_owned(), t.key),
        Line::raw(format!(
            "Registry: {}   Pinned: {}   Pull policy: {}",
            row.registry, row.pinning, row.pull_policies
        )),
        Line::raw(format!("Runs in: {}", row.workloads.join(", "))),
    ];
    lines.extend(signature_lines(
        app,
        row,
        area.width.saturating_sub(2) as usize,
    ));
    let facts = audit.config.vulnerabilities.as_deref();
    let known = match facts.map(|f| (f, f.get(&row.image))) {
        None => {
            lines.push(Line::styled(
                "Vulnerabilities not evaluated: no vulnerability data (--scan-images, or Trivy's reports with --trivy-report FILE)",
                t.dim,
            ));
            None
        }
        Some((f, None)) => {
            lines.push(Line::styled(
                format!(
                    "Vulnerabilities not evaluated: no data for this image in {}",
                    strip_controls(&f.source)
                ),
                t.dim,
            ));
            None
        }
        Some((_, Some(known))) => {
            let os = known.os.as_ref().map_or("unknown OS".to_string(), |o| {
                strip_controls(&format!("{} {}", o.family, o.release)).into_owned()
            });
            let eol = match known.eosl {
                Some(true) => Span::styled("  past its end of life", t.bad),
                Some(false) => Span::raw("  supported"),
                None => Span::styled("  end of life unknown", t.dim),
            };
            lines.push(Line::from(vec![
                Span::raw(format!("{os} (from {})", strip_controls(&known.source))),
                eol,
            ]));
            Some(known)
        }
    };
    let list = app.image_vulnerabilities(index);
    if known.is_some() {
        lines.push(Line::styled(
            format!(
                "{} vulnerabilities{} by {}   s: order   f: {}   enter: findings   esc: back",
                list.len(),
                if app.vulns.fixable_only {
                    " with a fix"
                } else {
                    ""
                },
                app.vulns.sort.label(),
                if app.vulns.fixable_only {
                    "all"
                } else {
                    "fixable only"
                },
            ),
            t.dim,
        ));
    }
    let block = super::detail::block(app, " Image ".into(), true);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let detail_height = if list.is_empty() { 0 } else { 7 };
    let [head, table, detail] = Layout::vertical([
        Constraint::Length(lines.len() as u16),
        Constraint::Min(1),
        Constraint::Length(detail_height),
    ])
    .areas(inner);
    frame.render_widget(Paragraph::new(lines), head);
    if known.is_none() {
        return;
    }
    if list.is_empty() {
        frame.render_widget(
            Paragraph::new(Line::styled(
                if app.vulns.fixable_only {
                    "none with a fix"
                } else {
                    "none known"
                },
                t.good,
            )),
            table,
        );
        return;
    }
    let selected = app.vulns.selected.min(list.len() - 1);
    let rows = list.iter().map(|v| {
        let fix = if v.fixed_version.is_empty() {
            Cell::from(Span::styled(format!("no fix ({})", v.status), t.dim))
        } else {
            Cell::from(strip_controls(&v.fixed_version).into_owned())
        };
        Row::new(vec![
            Cell::from(Span::styled(v.severity, t.severity(severity(v.severity)))),
            Cell::from(strip_controls(&v.id).into_owned()),
            Cell::from(strip_controls(&v.package).into_owned()),
            Cell::from(strip_controls(&v.installed_version).into_owned()),
            fix,
            Cell::from(strip_controls(&v.title).into_owned()),
        ])
    });
    let header =
        Row::new(["SEVERITY", "ID", "PACKAGE", "INSTALLED", "FIXED", "TITLE"]).style(t.header);
    let widths = [
        Constraint::Length(9),
        Constraint::Length(16),
        Constraint::Length(18),
        Constraint::Length(18),
        Constraint::Length(21),
        Constraint::Min(10),
    ];
    let mut state = TableState::default().with_selected(Some(selected));
    frame.render_stateful_widget(
        Table::new(rows, widths)
            .header(header)
            .row_highlight_style(t.selected),
        table,
        &mut state,
    );
    frame.render_widget(
        Paragraph::new(details(app, list[selected])).wrap(Wrap { trim: false }),
        detail,
    );
}

/// The image's signature verdict: its status and why, then each signature (format, key,
/// verified or why not) and attestation (kind, SLSA builder and source), wrapped to `width`.
fn signature_lines(app: &App, row: &ImageRow, width: usize) -> Vec<Line<'static>> {
    let t = &app.theme;
    let source = app
        .audit
        .as_ref()
        .and_then(|a| a.report.signatures.as_ref());
    let lines = match (&row.signature, source) {
        (Some(s), _) => {
            let mut lines = vec![TextLine::led(
                "Signature: ",
                Tone::Plain,
                s.status.as_str(),
                tone(s.status),
            )];
            lines.extend(s.lines(2));
            lines
        }
        (None, Some(summary)) => vec![TextLine::new(
            format!(
                "Signature: not checked (no verdict for this image in {})",
                strip_controls(&summary.source)
            ),
            Tone::Dim,
        )],
        (None, None) if app.signatures_pending.is_some() => vec![TextLine::new(
            "Signature: looking up… (--verify-signatures: the verdicts come once every image is looked up)",
            Tone::Dim,
        )],
        (None, None) => vec![TextLine::new(
            "Signature: not checked (--verify-signatures, with --key FILE for the keys you trust)",
            Tone::Dim,
        )],
    };
    text::wrap(&lines, width)
        .into_iter()
        .map(|r| super::signatures::line(t, r))
        .collect()
}

/// The selected vulnerability: what it is, where its package came from, where to read more.
fn details<'a>(app: &App, v: &Vulnerability) -> Vec<Line<'a>> {
    let t = &app.theme;
    let field = |name: &'static str, value: String| {
        Line::from(vec![
            Span::styled(format!("{name:<10}"), t.dim),
            Span::raw(strip_controls(&value).into_owned()),
        ])
    };
    let mut out = vec![
        Line::styled(
            strip_controls(&format!("{} {}", v.id, v.title)).into_owned(),
            t.key,
        ),
        field(
            "package",
            format!(
                "{} {} ({}{})",
                v.package,
                v.installed_version,
                v.package_type,
                if v.source_package != v.package {
                    format!(", source {}", v.source_package)
                } else {
                    String::new()
                }
            ),
        ),
        field(
            "status",
            if v.fixed_version.is_empty() {
                format!("{}, no fixed version", v.status)
            } else {
                format!("{}: fixed in {}", v.status, v.fixed_version)
            },
        ),
        field(
            "severity",
            format!(
                "{}{}",
                v.severity,
                if v.severity_source.is_empty() {
                    String::new()
                } else {
                    format!(" ({})", v.severity_source)
                }
            ),
        ),
    ];
    if let Some(path) = &v.package_path {
        out.push(field("file", path.clone()));
    }
    if let Some(layer) = &v.layer {
        out.push(field("layer", layer.clone()));
    }
    out.push(field(
        "source",
        [
            v.data_source.name.as_str(),
            v.primary_url.as_str(),
            v.published.as_str(),
        ]
        .into_iter()
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join("   "),
    ));
    out
}
