//! A finding's detail (message, evidence, the object's YAML with the offending lines marked,
//! remediation, references, the other findings on the object) and a rule's detail.

use crate::rules::Rule;
use crate::sanitize::strip_controls;
use crate::tui::app::App;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Wrap};
use std::collections::BTreeSet;

pub(super) fn block<'a>(app: &App, title: String, focused: bool) -> Block<'a> {
    let border = if focused {
        app.theme.key
    } else {
        app.theme.border
    };
    Block::default()
        .borders(Borders::ALL)
        .border_style(border)
        .title(Span::styled(title, app.theme.title))
}

/// Remediation text without Markdown code fences (the terminal shows the snippet as is).
fn remediation_lines(text: &str) -> impl Iterator<Item = &str> {
    text.lines().filter(|l| !l.trim_start().starts_with("```"))
}

/// `shop/Deployment/web [app]`, or `ClusterRoleBinding/admins` for cluster objects.
fn object_label(s: &crate::findings::Subject) -> String {
    let mut label = if s.namespace.is_empty() {
        format!("{}/{}", s.kind, s.name)
    } else {
        format!("{}/{}/{}", s.namespace, s.kind, s.name)
    };
    if let Some(c) = &s.container {
        label.push_str(&format!(" [{c}]"));
    }
    label
}

fn references_line(rule: &Rule) -> String {
    let mut refs: Vec<String> = rule
        .references
        .iter()
        .map(|r| format!("{} {}", r.source, r.id))
        .collect();
    refs.push(format!("CKS: {}", rule.cks_domain));
    refs.join(", ")
}

pub fn finding(frame: &mut Frame, app: &App, area: Rect, index: usize) {
    let Some(audit) = &app.audit else { return };
    let Some(f) = audit.report.findings.get(index) else {
        return;
    };
    let t = &app.theme;
    let rule = crate::rules::rule(f.rule_id);
    let wide = area.width >= 120;
    let [info_area, yaml_area] = if wide {
        Layout::horizontal([Constraint::Percentage(45), Constraint::Percentage(55)]).areas(area)
    } else {
        Layout::vertical([Constraint::Percentage(50), Constraint::Percentage(50)]).areas(area)
    };

    let mut lines = vec![
        Line::from(vec![
            Span::styled(f.severity.label(), t.severity(f.severity)),
            Span::raw("  "),
            Span::styled(f.rule_id, t.key),
            Span::raw("  "),
            Span::styled(f.title, t.title),
        ]),
        Line::raw(strip_controls(&f.message()).into_owned()),
        Line::raw(""),
        Line::from(vec![
            Span::styled("Object    ", t.dim),
            Span::raw(strip_controls(&object_label(&f.subject)).into_owned()),
        ]),
    ];
    if let Some(image) = &f.subject.image {
        lines.push(Line::from(vec![
            Span::styled("Image     ", t.dim),
            Span::raw(strip_controls(image).into_owned()),
        ]));
    }
    if let Some(loc) = &f.location {
        lines.push(Line::from(vec![
            Span::styled("Location  ", t.dim),
            Span::raw(format!("{}:{}", strip_controls(&loc.file), loc.line)),
        ]));
    }
    if let Some(s) = &f.suppressed {
        let by = s.by.label();
        let expires = s
            .expires
            .as_deref()
            .map(|e| format!(", expires {e}"))
            .unwrap_or_default();
        lines.push(Line::from(vec![
            Span::styled("Suppressed ", t.key),
            Span::raw(format!("by {by}: {}{expires}", strip_controls(&s.reason))),
        ]));
    }
    if let Some(judged) = &f.decision {
        let d = &judged.decision;
        let expires = d
            .expires
            .as_deref()
            .map(|e| format!(", until {e}"))
            .unwrap_or_default();
        let standing = match judged.standing {
            crate::triage::decisions::Standing::Applied => String::new(),
            other => format!(" [{}: decide again with m]", other.label()),
        };
        lines.push(Line::from(vec![
            Span::styled("Decision  ", t.key),
            Span::raw(format!(
                "{} by {} on {}{expires}: {}{standing}",
                d.verdict.label(),
                strip_controls(&d.author),
                strip_controls(d.decided.get(..10).unwrap_or(&d.decided)),
                strip_controls(&d.reason)
            )),
        ]));
    }
    lines.push(Line::raw(""));
    lines.push(Line::styled("Evidence", t.header));
    for e in &f.evidence {
        let at = e.line.map(|l| format!("  (line {l})")).unwrap_or_default();
        lines.push(Line::raw(format!(
            "  {} = {}{at}",
            strip_controls(&e.path()),
            strip_controls(&e.value)
        )));
    }
    lines.push(Line::raw(""));
    lines.push(Line::styled("Why it matters", t.header));
    lines.push(Line::raw(rule.rationale));
    lines.push(Line::raw(""));
    lines.push(Line::styled("Remediation", t.header));
    lines.extend(remediation_lines(rule.remediation).map(|l| Line::raw(format!("  {l}"))));
    if let Some(command) = crate::report::verify::command(&audit.report, f) {
        lines.push(Line::raw(""));
        lines.push(Line::styled("Verify the fix (read-only)", t.header));
        lines.push(Line::raw(format!("  {}", strip_controls(&command))));
    }
    lines.push(Line::raw(""));
    lines.push(Line::styled("References", t.header));
    lines.push(Line::raw(references_line(rule)));
    lines.push(Line::raw(rule.doc_url));
    let others: Vec<&crate::findings::Finding> = audit
        .report
        .findings
        .iter()
        .filter(|o| {
            o.id != f.id
                && o.subject.kind == f.subject.kind
                && o.subject.namespace == f.subject.namespace
                && o.subject.name == f.subject.name
        })
        .collect();
    if !others.is_empty() {
        lines.push(Line::raw(""));
        lines.push(Line::styled(
            format!("Also on this object ({})", others.len()),
            t.header,
        ));
        for o in others {
            let container = o
                .subject
                .container
                .as_deref()
                .map(|c| format!(" [{}]", strip_controls(c)))
                .unwrap_or_default();
            lines.push(Line::from(vec![
                Span::styled(
                    format!("  {:<8} ", o.severity.label()),
                    t.severity(o.severity),
                ),
                Span::raw(format!("{} {}{container}", o.rule_id, o.title)),
            ]));
        }
    }
    let info = Paragraph::new(lines)
        .block(block(
            app,
            " Finding (y: YAML, s: suppress, m: triage) ".into(),
            !app.yaml.focused,
        ))
        .wrap(Wrap { trim: false });
    if app.yaml.focused {
        frame.render_widget(info.scroll((app.detail_scroll, 0)), info_area);
    } else {
        super::scrolled(frame, app, info, info_area, app.detail_scroll);
    }

    // The object's YAML, offending lines marked.
    let marked: BTreeSet<u32> = f.evidence.iter().filter_map(|e| e.line).collect();
    let yaml_lines: Vec<Line> = if app.yaml.finding == Some(index) {
        app.yaml
            .lines
            .iter()
            .enumerate()
            .map(|(i, text)| {
                let n = app.yaml.first_line + i as u32;
                if app.yaml.raw_event {
                    return Line::raw(strip_controls(text).into_owned());
                }
                let mark = marked.contains(&n);
                let gutter = Span::styled(
                    format!("{n:>5} {} ", if mark { ">" } else { " " }),
                    if mark { t.key } else { t.dim },
                );
                let body = Span::styled(
                    strip_controls(text).into_owned(),
                    if mark {
                        t.highlight.add_modifier(Modifier::BOLD)
                    } else {
                        t.base
                    },
                );
                Line::from(vec![gutter, body])
            })
            .collect()
    } else {
        vec![Line::styled("reading the object ...", t.dim)]
    };
    let title = match &f.location {
        Some(l) if f.subject.event.is_some() => {
            format!(" Raw audit event {}:{} ", strip_controls(&l.file), l.line)
        }
        Some(l) => format!(" YAML {} ", strip_controls(&l.file)),
        None => " YAML ".to_string(),
    };
    // Clamped whether focused or not: an offending line near the end of a file shows with
    // the lines above it, not a blank pane below.
    let yaml = Paragraph::new(yaml_lines).block(block(app, title, app.yaml.focused));
    let max = yaml.line_count(yaml_area.width.saturating_sub(2));
    let max = max
        .saturating_sub(yaml_area.height as usize)
        .min(u16::MAX as usize) as u16;
    if app.yaml.focused {
        app.drawn_max_scroll.set(Some(max));
    }
    frame.render_widget(yaml.scroll((app.yaml.scroll.min(max), 0)), yaml_area);
}

pub fn rule(frame: &mut Frame, app: &App, area: Rect, index: usize) {
    let Some(row) = app.model.rules.get(index) else {
        return;
    };
    let t = &app.theme;
    let r = row.rule;
    let mut lines = vec![
        Line::from(vec![
            Span::styled(r.severity.label(), t.severity(r.severity)),
            Span::raw("  "),
            Span::styled(r.id, t.key),
            Span::raw(format!("  {}  ({})", r.title, r.name)),
        ]),
        Line::raw(format!(
            "Area: {}   CKS domain: {}   Findings: {}",
            r.area.as_str(),
            r.cks_domain,
            row.findings
        )),
        Line::raw(""),
        Line::styled("Why it matters", t.header),
        Line::raw(r.rationale),
        Line::raw(""),
        Line::styled("Remediation", t.header),
    ];
    lines.extend(remediation_lines(r.remediation).map(|l| Line::raw(format!("  {l}"))));
    lines.push(Line::raw(""));
    lines.push(Line::styled("References", t.header));
    lines.push(Line::raw(references_line(r)));
    lines.push(Line::raw(r.doc_url));
    super::scrolled(
        frame,
        app,
        Paragraph::new(lines)
            .block(block(app, format!(" Rule {} ", r.id), true))
            .wrap(Wrap { trim: false }),
        area,
        app.detail_scroll,
    );
}
