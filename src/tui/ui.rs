//! Drawing: the chrome (header, tabs, status line, key hints) around the current view. Reads
//! prepared view models only; builds rows only for what is visible.

use super::app::{App, Input, LoadState, Overlay, TABS, View};
use super::views;
use crate::severity::Severity;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

const SPINNER: [&str; 4] = ["|", "/", "-", "\\"];

pub fn draw(frame: &mut Frame, app: &App) {
    let area = frame.area();
    let [header, summary, tabs, main, status, footer] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(1),
        Constraint::Length(1),
        Constraint::Min(3),
        Constraint::Length(1),
        Constraint::Length(1),
    ])
    .areas(area);
    draw_header(frame, app, header);
    draw_summary(frame, app, summary);
    draw_tabs(frame, app, tabs);
    match &app.load {
        LoadState::Ready => views::draw(frame, app, main),
        LoadState::Loading { stage, ticks } => {
            let text = format!(
                "{} loading: {stage}",
                SPINNER[*ticks as usize % SPINNER.len()]
            );
            frame.render_widget(Paragraph::new(text).style(app.theme.dim), main);
        }
        LoadState::Failed { message, advice } => {
            let lines: Vec<Line> = std::iter::once(Line::styled(
                "The audit could not be loaded:",
                app.theme.bad,
            ))
            .chain(
                message
                    .lines()
                    .map(|l| Line::raw(crate::sanitize::strip_controls(l).into_owned())),
            )
            .chain(
                advice
                    .iter()
                    .flat_map(|a| [Line::raw(""), Line::styled(*a, app.theme.dim)]),
            )
            .chain([
                Line::raw(""),
                Line::raw("ctrl-r tries again, :ctx NAME reads another context, q quits."),
            ])
            .collect();
            // Wrapped: a long error is read whole, not cut at the terminal's edge.
            frame.render_widget(
                Paragraph::new(lines).wrap(ratatui::widgets::Wrap { trim: false }),
                main,
            );
        }
    }
    draw_status(frame, app, status);
    draw_footer(frame, app, footer);
    match app.overlay {
        Overlay::Help { scroll } => views::overlays::help(frame, app, main, scroll),
        Overlay::Export {
            format,
            scope,
            field,
        } => views::overlays::export(frame, app, main, format, scope, field),
        Overlay::None => {}
    }
    if let Input::Reason { text, .. } = &app.input {
        views::overlays::reason(frame, app, main, text);
    }
    if let Input::Decide(form) = &app.input {
        views::overlays::decision(frame, app, main, form);
    }
}

fn age(secs: u64) -> String {
    match secs {
        0..=4 => "just now".into(),
        5..=59 => format!("{secs}s ago"),
        60..=3599 => format!("{}m ago", secs / 60),
        _ => format!("{}h ago", secs / 3600),
    }
}

fn draw_header(frame: &mut Frame, app: &App, area: Rect) {
    let t = &app.theme;
    let ns = app.namespace.clone().unwrap_or_else(|| "all".into());
    let coverage = app
        .audit
        .as_ref()
        .map(|a| {
            let (decided, ne): (u64, u64) =
                a.report.summary.areas.iter().fold((0, 0), |(d, n), x| {
                    (
                        d + x.checks_passed + x.checks_failed + x.suppressed,
                        n + x.not_evaluated,
                    )
                });
            (decided * 100)
                .checked_div(decided + ne)
                .map_or("-".to_string(), |c| format!("{c}%"))
        })
        .unwrap_or_else(|| "-".into());
    // Narrow terminals get the source's first word only.
    let source = if area.width < 100 {
        app.source_label.split(' ').next().unwrap_or("").to_string()
    } else {
        app.source_label.clone()
    };
    let mut spans = vec![
        Span::styled(" kaudit ", t.title),
        Span::styled("| ", t.dim),
        Span::raw(source),
        Span::styled(" | ns ", t.dim),
        Span::raw(ns),
        Span::styled(
            if area.width < 100 {
                " | cov "
            } else {
                " | coverage "
            },
            t.dim,
        ),
        Span::raw(coverage),
    ];
    if app.load == LoadState::Ready {
        spans.push(Span::styled(
            if area.width < 100 { " | " } else { " | data " },
            t.dim,
        ));
        spans.push(Span::raw(age(app.data_age_secs)));
    }
    if let Some(work) = &app.background {
        spans.push(Span::styled(" | ", t.dim));
        spans.push(Span::styled(
            crate::sanitize::strip_controls(work).into_owned(),
            t.highlight,
        ));
    }
    if let Some(exam) = &app.lab.exam {
        let left = exam.deadline - app.now_unix;
        spans.push(Span::styled(" | exam ", t.dim));
        spans.push(Span::styled(
            exam.left(app.now_unix),
            if left <= 300 { t.bad } else { t.highlight },
        ));
    }
    if app.changes > 0 {
        spans.push(Span::styled(" | ", t.dim));
        spans.push(Span::styled(
            format!(
                "{} change{} since",
                app.changes,
                if app.changes == 1 { "" } else { "s" }
            ),
            t.highlight,
        ));
    }
    if let Some(scope) = app
        .audit
        .as_ref()
        .and_then(|a| a.report.source.scope.as_ref())
    {
        spans.push(Span::styled(" | only ns ", t.dim));
        spans.push(Span::styled(
            crate::sanitize::strip_controls(&scope.join(",")).into_owned(),
            t.highlight,
        ));
    }
    if app
        .audit
        .as_ref()
        .is_some_and(|a| a.report.source.live && !a.report.source.complete)
    {
        spans.push(Span::styled(" | ", t.dim));
        spans.push(Span::styled("partial access", t.bad));
    }
    spans.push(Span::styled(
        if area.width < 100 {
            " | ro"
        } else {
            " | read-only"
        },
        t.dim,
    ));
    frame.render_widget(Paragraph::new(Line::from(spans)).style(t.header), area);
}

fn draw_summary(frame: &mut Frame, app: &App, area: Rect) {
    let t = &app.theme;
    let line = match (&app.load, &app.audit) {
        (LoadState::Loading { stage, ticks }, _) => Line::styled(
            format!(" {} {stage}", SPINNER[*ticks as usize % SPINNER.len()]),
            t.dim,
        ),
        (LoadState::Failed { .. }, _) => Line::styled(
            " load failed: ctrl-r tries again, :ctx NAME reads another context, q quits",
            t.bad,
        ),
        (LoadState::Ready, Some(_)) if app.reloading.is_some() => Line::styled(
            format!(
                " {} {} (the views show the previous read meanwhile)",
                SPINNER[app.data_age_secs as usize % SPINNER.len()],
                app.reloading.as_deref().unwrap_or("")
            ),
            t.dim,
        ),
        (LoadState::Ready, Some(audit)) => {
            let s = &audit.report.summary;
            let narrow = area.width < 100;
            let mut spans = vec![Span::raw(" ")];
            // `:ns NAME`: the counts are the namespace's.
            let (by_severity, suppressed) = match &app.scoped {
                Some(scoped) => scoped.all.clone(),
                None => (s.findings_by_severity.clone(), s.suppressed_total),
            };
            for sev in Severity::ALL_DESCENDING.iter().take(4) {
                let n = by_severity.get(sev).copied().unwrap_or(0);
                let word = if narrow && *sev == Severity::Critical {
                    "CRIT"
                } else if narrow && *sev == Severity::Medium {
                    "MED"
                } else {
                    sev.label()
                };
                spans.push(Span::styled(format!("{word} {n}"), t.severity(*sev)));
                spans.push(Span::raw("  "));
            }
            let scope = match &app.namespace {
                Some(ns) => format!(
                    "in ns {} ({} workloads)",
                    crate::sanitize::strip_controls(ns),
                    app.model
                        .workloads
                        .iter()
                        .filter(|w| &w.namespace == ns)
                        .count()
                ),
                None if narrow => format!("{} wl  {} ns", s.workloads, s.namespaces),
                None => format!("{} workloads, {} namespaces", s.workloads, s.namespaces),
            };
            let suppressed = if narrow {
                format!("sup {suppressed}  ")
            } else {
                format!("suppressed {suppressed}  ")
            };
            spans.push(Span::styled(suppressed, t.dim));
            spans.push(Span::styled(scope, t.dim));
            Line::from(spans)
        }
        _ => Line::raw(""),
    };
    frame.render_widget(Paragraph::new(line), area);
}

fn draw_tabs(frame: &mut Frame, app: &App, area: Rect) {
    let t = &app.theme;
    let current = match app.view {
        View::Detail(_) => View::Findings,
        View::Rule(_) => View::Rules,
        View::Image(_) => View::Images,
        View::LabTask(_) => View::Lab,
        v => v,
    };
    let mut spans = vec![Span::raw(" ")];
    for (i, tab) in TABS.iter().enumerate() {
        // Narrow terminals get short tab names.
        let name = if area.width < 100 {
            short_tab(*tab)
        } else {
            tab.title()
        };
        let style = if *tab == current {
            t.selected.add_modifier(Modifier::BOLD)
        } else {
            t.dim
        };
        spans.push(Span::styled(format!(" {name} "), style));
        if i + 1 < TABS.len() {
            spans.push(Span::styled("|", t.border));
        }
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}

fn short_tab(view: View) -> &'static str {
    match view {
        View::Dashboard => "Home",
        View::Images => "Images",
        View::Pss => "PSS",
        View::Findings => "Findings",
        View::Audit => "Audit",
        View::Signatures => "Sigs",
        View::Rules => "Rules",
        v => v.title(),
    }
}

fn draw_status(frame: &mut Frame, app: &App, area: Rect) {
    let t = &app.theme;
    let line = match &app.input {
        Input::Command(text) => {
            let completions = app.completions(text);
            let hint = if completions.len() > 1 {
                format!(
                    "   ({})",
                    completions
                        .iter()
                        .take(8)
                        .cloned()
                        .collect::<Vec<_>>()
                        .join(" ")
                )
            } else {
                String::new()
            };
            Line::from(vec![
                Span::styled(":", t.key),
                Span::raw(text.clone()),
                Span::styled("_", t.key),
                Span::styled(hint, t.dim),
            ])
        }
        Input::Filter(text) => Line::from(vec![
            Span::styled("/", t.key),
            Span::raw(text.clone()),
            Span::styled("_", t.key),
        ]),
        Input::Reason { .. } => Line::styled("type a reason for the suppression", t.dim),
        Input::Decide(_) => match &app.status {
            Some(s) => Line::styled(s.clone(), t.key),
            None => Line::styled("a triage decision, kept in the audit history", t.dim),
        },
        Input::None => match &app.status {
            // Statuses quote paths and messages from files: never a terminal control.
            Some(s) => Line::styled(crate::sanitize::strip_controls(s).into_owned(), t.key),
            None => Line::styled(breadcrumb(app), t.dim),
        },
    };
    frame.render_widget(Paragraph::new(line), area);
}

fn breadcrumb(app: &App) -> String {
    let mut parts: Vec<&str> = app
        .history
        .iter()
        .rev()
        .take(3)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .map(|v| v.title())
        .collect();
    parts.push(app.view.title());
    format!(" {}", parts.join(" > "))
}

fn draw_footer(frame: &mut Frame, app: &App, area: Rect) {
    let t = &app.theme;
    let mut spans = vec![Span::raw(" ")];
    let hints = app.hints();
    // `?` always stays visible: its room is kept back from the view's own keys.
    let has_help = hints.iter().any(|(k, _)| *k == "?");
    let reserve = if has_help { 9 } else { 0 };
    let mut width = 1;
    let mut shown_help = false;
    for (key, help) in hints
        .iter()
        .filter(|(k, _)| *k != "?")
        .chain(hints.iter().filter(|(k, _)| *k == "?"))
    {
        let len = key.len() + help.len() + 3;
        let room = if *key == "?" {
            area.width as usize
        } else {
            (area.width as usize).saturating_sub(reserve)
        };
        if width + len > room {
            if *key == "?" || shown_help {
                break;
            }
            continue;
        }
        shown_help |= *key == "?";
        width += len;
        spans.push(Span::styled(format!("<{key}>"), t.key));
        spans.push(Span::styled(format!("{help} "), Style::default()));
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}
