//! The Signatures view: each image's verdict (verified, unverified, invalid, unsigned,
//! error) with why, its attestations, and the signature findings by rule.

use super::super::app::App;
use crate::sanitize::strip_controls;
use crate::signatures::Status;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Wrap};

pub fn signatures(frame: &mut Frame, app: &App, area: Rect) {
    let Some(audit) = &app.audit else { return };
    let Some(summary) = &audit.report.signatures else {
        return;
    };
    let t = &app.theme;
    let mut lines = vec![
        Line::raw(format!("From {}.", strip_controls(&summary.source))),
        Line::raw(""),
    ];
    for v in summary.images.iter().map(|i| &i.verdict) {
        let style = match v.status {
            Status::Verified => t.good,
            Status::Error => t.dim,
            _ => t.bad,
        };
        lines.push(Line::from(vec![
            Span::styled(format!("{:<11}", v.status.as_str()), style),
            Span::raw(strip_controls(&v.image).into_owned()),
        ]));
        lines.push(Line::styled(
            format!("           {}", strip_controls(&v.reason)),
            t.dim,
        ));
        for a in &v.attestations {
            let mut about = a.kind.to_string();
            if !a.statement.builder_id.is_empty() {
                about.push_str(&format!(", built by {}", a.statement.builder_id));
            }
            lines.push(Line::styled(
                format!(
                    "           attestation: {} ({})",
                    strip_controls(&about),
                    strip_controls(&a.reason)
                ),
                t.dim,
            ));
        }
    }
    let mut by_rule: std::collections::BTreeMap<&str, usize> = Default::default();
    for f in audit
        .report
        .findings
        .iter()
        .filter(|f| f.area == crate::severity::Area::Signatures && f.is_active())
    {
        *by_rule.entry(f.rule_id).or_default() += 1;
    }
    lines.push(Line::raw(""));
    lines.push(Line::styled(
        "Findings by rule (:findings sig lists them)",
        t.header,
    ));
    for (rule, n) in &by_rule {
        lines.push(Line::raw(format!(
            "  {rule}  {n:>4}  {}",
            crate::rules::rule(rule).title
        )));
    }
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(t.border)
        .title(Span::styled(" Signatures ", t.title));
    frame.render_widget(
        Paragraph::new(lines)
            .block(block)
            .wrap(Wrap { trim: false }),
        area,
    );
}
