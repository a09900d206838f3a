//! Pop-ups: help (generated from the keymap table), the export dialog, the reason prompt, the
//! triage form.

use crate::sanitize::strip_controls;
use crate::tui::app::{App, DecisionField, DecisionForm, ExportFormat, ExportScope};
use crate::tui::keymap::KEYMAP;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Wrap};

fn centered(area: Rect, width: u16, height: u16) -> Rect {
    let w = width.min(area.width);
    let h = height.min(area.height);
    Rect {
        x: area.x + (area.width - w) / 2,
        y: area.y + (area.height - h) / 2,
        width: w,
        height: h,
    }
}

fn popup<'a>(app: &App, title: &str) -> Block<'a> {
    Block::default()
        .borders(Borders::ALL)
        .border_style(app.theme.key)
        .title(Span::styled(format!(" {title} "), app.theme.title))
}

/// The help's lines: every key by scope, then the commands.
pub fn help_lines(t: &crate::tui::theme::Theme) -> Vec<Line<'static>> {
    let mut lines = Vec::new();
    for (scope, title, _) in crate::tui::keymap::SCOPES {
        lines.push(Line::styled(title, t.header));
        let mut seen: Vec<&str> = Vec::new();
        for bd in KEYMAP.iter().filter(|b| b.scope == scope) {
            if seen.contains(&bd.help) {
                // Several keys, one action: list them together.
                continue;
            }
            seen.push(bd.help);
            let keys: Vec<&str> = KEYMAP
                .iter()
                .filter(|x| x.scope == scope && x.help == bd.help)
                .map(|x| x.label)
                .collect();
            lines.push(Line::from(vec![
                Span::styled(format!("  {:<22}", keys.join(", ")), t.key),
                Span::raw(bd.help),
            ]));
        }
        lines.push(Line::raw(""));
    }
    lines.push(Line::styled("Commands", t.header));
    for (cmd, what) in [
        (":dashboard", "scores, top findings, what was not evaluated"),
        (":images", "images and the workloads running them"),
        (":pss", "namespaces' Pod Security and workloads x level"),
        (
            ":findings [CONDITIONS]",
            "severity>=high area=rbac rule=AUD001,AUD004 ns=shop",
        ),
        (
            ":findings new|decided",
            "new since the last audit; with a triage decision",
        ),
        (":audit  :sig", "audit log and signature views"),
        (":rules", "the rule catalog"),
        (":lab", "CKS practice tasks and the exam's timer"),
        (":ns NAME  :ns all", "limit every view to one namespace"),
        (":ctx NAME", "switch kubeconfig context (live clusters)"),
        (":q", "quit"),
    ] {
        lines.push(Line::from(vec![
            Span::styled(format!("  {cmd:<26}"), t.key),
            Span::raw(what),
        ]));
    }
    lines
}

pub fn help(frame: &mut Frame, app: &App, area: Rect, scroll: u16) {
    let lines = help_lines(&app.theme);
    let rect = centered(area, 90, area.height);
    // Never past the last screenful: `G` shows the end, not a blank pane.
    let inner = rect.height.saturating_sub(2) as usize;
    let scroll = scroll.min(lines.len().saturating_sub(inner) as u16);
    frame.render_widget(Clear, rect);
    frame.render_widget(
        Paragraph::new(lines)
            .block(popup(app, "Help (esc closes)"))
            .scroll((scroll, 0)),
        rect,
    );
}

pub fn export(
    frame: &mut Frame,
    app: &App,
    area: Rect,
    format: ExportFormat,
    scope: ExportScope,
    field: u8,
) {
    let t = &app.theme;
    let choice = |selected: bool, text: &str| {
        if selected {
            Span::styled(format!("[{text}]"), t.selected)
        } else {
            Span::raw(format!(" {text} "))
        }
    };
    let marker = |f: u8| {
        if field == f {
            Span::styled("> ", t.key)
        } else {
            Span::raw("  ")
        }
    };
    let mut format_line = vec![marker(0), Span::raw("Format: ")];
    format_line.extend(
        ExportFormat::ALL
            .iter()
            .map(|f| choice(*f == format, f.label())),
    );
    let mut scope_line = vec![marker(1), Span::raw("Scope:  ")];
    scope_line.extend(
        ExportScope::ALL
            .iter()
            .map(|s| choice(*s == scope, s.label())),
    );
    let lines = vec![
        Line::from(format_line),
        Line::from(scope_line),
        Line::raw(""),
        Line::styled(
            "  enter writes kaudit-report-<time>.<ext> in the current folder",
            t.dim,
        ),
    ];
    let rect = centered(area, 72, 7);
    frame.render_widget(Clear, rect);
    frame.render_widget(
        Paragraph::new(lines).block(popup(app, "Export report")),
        rect,
    );
}

pub fn reason(frame: &mut Frame, app: &App, area: Rect, text: &str) {
    let t = &app.theme;
    let lines = vec![
        Line::raw("Why is this finding accepted? The reason is written to the exemptions file."),
        Line::from(vec![
            Span::styled("> ", t.key),
            Span::raw(text.to_string()),
            Span::styled("_", t.key),
        ]),
    ];
    let rect = centered(area, 78, 5);
    frame.render_widget(Clear, rect);
    frame.render_widget(
        Paragraph::new(lines)
            .block(popup(app, "Suppress finding"))
            .wrap(Wrap { trim: false }),
        rect,
    );
}

pub fn decision(frame: &mut Frame, app: &App, area: Rect, form: &DecisionForm) {
    let t = &app.theme;
    let finding = app
        .audit
        .as_ref()
        .and_then(|a| a.report.findings.get(form.finding));
    let about = finding.map_or_else(String::new, |f| {
        strip_controls(&format!("{} on {}", f.rule_id, f.subject.path())).into_owned()
    });
    let marker = |field: DecisionField| {
        if form.field == field {
            Span::styled("> ", t.key)
        } else {
            Span::raw("  ")
        }
    };
    let mut verdicts = vec![marker(DecisionField::Verdict), Span::raw("decision: ")];
    for (i, choice) in form.choices().into_iter().enumerate() {
        let label = choice.map_or("take back", |v| v.label());
        let style = if i == form.choice { t.key } else { t.dim };
        let text = if i == form.choice {
            format!("[{label}] ")
        } else {
            format!(" {label}  ")
        };
        verdicts.push(Span::styled(text, style));
    }
    let cursor = |field: DecisionField| {
        if form.field == field {
            Span::styled("_", t.key)
        } else {
            Span::raw("")
        }
    };
    let lines = vec![
        Line::styled(about, t.dim),
        Line::from(verdicts),
        Line::from(vec![
            marker(DecisionField::Reason),
            Span::raw("reason:   "),
            Span::raw(strip_controls(&form.reason).into_owned()),
            cursor(DecisionField::Reason),
        ]),
        Line::from(vec![
            marker(DecisionField::Expires),
            Span::raw("expires:  "),
            Span::raw(form.expires.clone()),
            cursor(DecisionField::Expires),
            Span::styled("  (YYYY-MM-DD, empty: never)", t.dim),
        ]),
        Line::styled(
            "Kept in the audit history for this cluster; comes back when it expires or the evidence changes.",
            t.dim,
        ),
    ];
    let rect = centered(area, 96, 8);
    frame.render_widget(Clear, rect);
    frame.render_widget(
        Paragraph::new(lines)
            .block(popup(app, "Triage"))
            .wrap(Wrap { trim: false }),
        rect,
    );
}
