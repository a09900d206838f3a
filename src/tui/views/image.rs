//! An image: where it comes from, what runs it, and its known vulnerabilities, most severe
//! first (scroll with j/k; enter lists its findings).

use crate::sanitize::strip_controls;
use crate::tui::app::App;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

pub fn image(frame: &mut Frame, app: &App, area: Rect, index: usize) {
    let (Some(row), Some(audit)) = (app.model.images.get(index), app.audit.as_ref()) else {
        return;
    };
    let t = &app.theme;
    let mut lines = vec![
        Line::styled(row.image.clone(), t.key),
        Line::raw(format!(
            "Registry: {}   Pinned: {}   Pull policy: {}",
            row.registry, row.pinning, row.pull_policies
        )),
        Line::raw(format!("Runs in: {}", row.workloads.join(", "))),
        Line::raw(""),
        Line::styled("Known vulnerabilities", t.header),
    ];
    let facts = audit.config.vulnerabilities.as_deref();
    match facts.map(|f| (f, f.get(&row.image))) {
        None => lines.push(Line::styled(
            "not evaluated: no vulnerability data (give Trivy's reports with --trivy-report FILE)",
            t.dim,
        )),
        Some((f, None)) => lines.push(Line::styled(
            format!(
                "not evaluated: no data for this image in {}",
                strip_controls(&f.source)
            ),
            t.dim,
        )),
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
            let summary = audit
                .report
                .vulnerabilities
                .as_ref()
                .and_then(|s| s.images.iter().find(|i| i.image == row.image));
            let list = summary.map_or(&known.vulnerabilities, |s| &s.vulnerabilities);
            if list.is_empty() {
                lines.push(Line::styled("none known", t.good));
            }
            for v in list {
                let fix = if v.fixed_version.is_empty() {
                    Span::styled(format!("no fix ({})", v.status), t.dim)
                } else {
                    Span::raw(format!("fixed in {}", strip_controls(&v.fixed_version)))
                };
                let severity = crate::vuln::severity(v.severity);
                lines.push(Line::from(vec![
                    Span::styled(format!("{:<9}", v.severity), t.severity(severity)),
                    Span::styled(format!("{:<16} ", strip_controls(&v.id)), t.key),
                    Span::raw(format!(
                        "{} {}: ",
                        strip_controls(&v.package),
                        strip_controls(&v.installed_version)
                    )),
                    fix,
                ]));
                if !v.title.is_empty() {
                    lines.push(Line::styled(
                        format!("         {}", strip_controls(&v.title)),
                        t.dim,
                    ));
                }
            }
        }
    }
    lines.push(Line::raw(""));
    lines.push(Line::styled(
        "enter: this image's findings   esc: back",
        t.dim,
    ));
    frame.render_widget(
        Paragraph::new(lines)
            .block(super::detail::block(app, " Image ".into(), true))
            .wrap(Wrap { trim: false })
            .scroll((app.detail_scroll, 0)),
        area,
    );
}
