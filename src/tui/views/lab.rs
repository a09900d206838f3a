//! The Lab view: CKS practice tasks by domain with their status beside the selected task,
//! and a task's page (text, hint, last check, the rules it is about).

use super::detail::block;
use super::{Columns, notice, table};
use crate::lab::catalog::DOMAINS;
use crate::sanitize::strip_controls;
use crate::tui::app::{App, TaskState};
use crate::tui::text::reflow;
use ratatui::Frame;
use ratatui::layout::{Constraint, Direction, Layout, Rect};
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, Paragraph, Wrap};

/// Domain names short enough for a column, in the curriculum's order.
const SHORT_DOMAINS: [&str; 6] = [
    "Setup",
    "Hardening",
    "System",
    "Microservice",
    "Supply chain",
    "Runtime",
];

fn short_domain(domain: &str) -> &'static str {
    DOMAINS
        .iter()
        .position(|(d, _)| *d == domain)
        .map_or("?", |i| SHORT_DOMAINS[i])
}

pub fn lab(frame: &mut Frame, app: &App, area: Rect) {
    if let Some(error) = &app.lab.error {
        let error = strip_controls(error);
        notice(
            frame,
            app,
            area,
            "Lab: the tasks do not read",
            &[
                error.as_ref(),
                "",
                "KAUDIT_LAB_TASKS names a folder of task folders; unset it for the built-in tasks.",
            ],
        );
        return;
    }
    let wide = area.width >= 120;
    let [list, preview] = if wide {
        Layout::default()
            .direction(Direction::Horizontal)
            .constraints([Constraint::Percentage(55), Constraint::Min(20)])
            .areas(area)
    } else {
        Layout::default()
            .direction(Direction::Vertical)
            .constraints([Constraint::Percentage(55), Constraint::Min(3)])
            .areas(area)
    };
    let lab = &app.lab;
    let widths = [
        Constraint::Length(12),
        Constraint::Length(28),
        Constraint::Length(6),
        Constraint::Length(11),
        Constraint::Min(10),
    ];
    let title = match &lab.exam {
        Some(exam) => format!("Lab: exam of {} tasks", exam.tasks.len()),
        None => "Lab: CKS practice".into(),
    };
    table(
        frame,
        app,
        list,
        title,
        &lab.pane,
        Columns {
            header: &["DOMAIN", "TASK", "LEVEL", "STATUS", "TITLE"],
            widths: &widths,
        },
        |i, w| {
            let t = &lab.tasks[i];
            let state = &lab.states[i];
            let style = match state {
                TaskState::Graded(g) if g.passed => app.theme.good,
                TaskState::Graded(_) | TaskState::Broken(_) => app.theme.bad,
                TaskState::Checking => app.theme.highlight,
                _ => app.theme.dim,
            };
            let id = match lab.exam_number(i) {
                Some(n) => format!("{n:>2}. {}", t.id),
                None => t.id.clone(),
            };
            vec![
                Cell::from(short_domain(&t.domain)),
                Cell::from(strip_controls(&id).into_owned()),
                Cell::from(t.difficulty.as_str()),
                Cell::from(Span::styled(state.label(), style)),
                Cell::from(super::fit(&strip_controls(&t.title), w[4])),
            ]
        },
    );
    let Some(task) = app.current_task() else {
        return;
    };
    frame.render_widget(
        Paragraph::new(task_lines(app, task))
            .block(block(app, " Task (enter: full page) ".into(), false))
            .wrap(Wrap { trim: false }),
        preview,
    );
}

/// A task's own page, scrolled with j/k.
pub fn task_page(frame: &mut Frame, app: &App, area: Rect, task: usize) {
    let Some(t) = app.lab.tasks.get(task) else {
        return;
    };
    super::scrolled(
        frame,
        app,
        Paragraph::new(task_lines(app, task))
            .block(block(
                app,
                format!(" Task {} ", strip_controls(&t.id)),
                true,
            ))
            .wrap(Wrap { trim: false }),
        area,
        app.lab.page_scroll,
    );
}

/// What the lab knows of a task: its text, where to work, its hint when asked for, its
/// last check criterion by criterion, and the rules it exercises.
fn task_lines(app: &App, task: usize) -> Vec<Line<'static>> {
    let th = &app.theme;
    let lab = &app.lab;
    let t = &lab.tasks[task];
    let clean = |s: &str| strip_controls(s).into_owned();
    let mut lines = vec![
        Line::styled(clean(&t.title), th.title),
        Line::raw(format!(
            "{} ({}% of the exam) · {} · namespace {}",
            clean(&t.domain),
            t.weight(),
            t.difficulty.as_str(),
            clean(&t.namespace)
        )),
        Line::raw(format!(
            "Work folder: {}",
            clean(&lab.folder(task).display().to_string())
        )),
    ];
    if let (Some(n), Some(exam)) = (lab.exam_number(task), &lab.exam) {
        lines.push(Line::styled(
            format!(
                "Exam task {n} of {}; {}",
                exam.tasks.len(),
                exam.left(app.now_unix)
            ),
            th.highlight,
        ));
    }
    lines.push(Line::raw(""));
    lines.extend(reflow(&t.text).iter().map(|l| Line::raw(clean(l))));
    lines.push(Line::raw(""));
    if lab.hints.contains(&task) {
        lines.push(Line::styled("Hint", th.header));
        lines.extend(
            reflow(&t.hint)
                .iter()
                .map(|l| Line::raw(format!("  {}", clean(l)))),
        );
    } else {
        lines.push(Line::styled("h shows a hint", th.dim));
    }
    lines.push(Line::raw(""));
    lines.extend(state_lines(app, &lab.states[task]));
    lines.push(Line::raw(""));
    lines.push(Line::styled(
        "Rules it exercises (r lists them, f their findings in the audit on screen)",
        th.header,
    ));
    for id in &t.rules {
        let line = match app.model.rules.iter().find(|r| r.rule.id == id.as_str()) {
            Some(r) => format!(
                "  {}  {}  ({} finding{} in this audit)",
                r.rule.id,
                r.rule.title,
                r.findings,
                if r.findings == 1 { "" } else { "s" }
            ),
            None => format!("  {}", clean(id)),
        };
        lines.push(Line::raw(line));
    }
    lines
}

fn state_lines(app: &App, state: &TaskState) -> Vec<Line<'static>> {
    let th = &app.theme;
    let clean = |s: &str| strip_controls(s).into_owned();
    match state {
        TaskState::NotStarted => vec![Line::styled(
            "Not started: s writes the scenario into the work folder.",
            th.dim,
        )],
        TaskState::Started => vec![Line::styled(
            "Started: edit the work folder with any editor, then c checks it.",
            th.dim,
        )],
        TaskState::Checking => vec![Line::styled("Checking the work folder…", th.highlight)],
        TaskState::Broken(e) => vec![Line::styled(format!("Cannot check: {}", clean(e)), th.bad)],
        TaskState::Graded(grade) => {
            let mut lines = vec![if grade.passed {
                Line::styled("Last check: PASSED", th.good.add_modifier(Modifier::BOLD))
            } else {
                Line::styled(
                    "Last check: not passed yet",
                    th.bad.add_modifier(Modifier::BOLD),
                )
            }];
            for c in &grade.criteria {
                let (mark, style) = if c.passed {
                    ("✓ ok  ", th.good)
                } else {
                    ("✗ FAIL", th.bad)
                };
                lines.push(Line::from(vec![
                    Span::styled(format!("  {mark} "), style),
                    Span::raw(format!("{}: {}", clean(&c.name), clean(&c.reason))),
                ]));
                if let Some(at) = &c.evidence {
                    lines.push(Line::styled(format!("         at {}", clean(at)), th.dim));
                }
                if let Some(hint) = c.hint.as_ref().filter(|_| !c.passed) {
                    lines.push(Line::styled(
                        format!("         hint: {}", clean(hint)),
                        th.dim,
                    ));
                }
            }
            lines
        }
    }
}
