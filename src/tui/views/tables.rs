//! The table views: dashboard, pod security, findings, rules.

use super::{Columns, table};
use crate::pss::Level;
use crate::severity::{Area, Severity};
use crate::tui::app::App;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Cell, Paragraph, Row, Table, Wrap};

/// A severity as a word (never only a colour).
pub(super) fn sev_cell(app: &App, s: Severity, narrow: bool) -> Cell<'static> {
    let word = if narrow {
        match s {
            Severity::Critical => "CRIT",
            Severity::Medium => "MED",
            other => other.label(),
        }
    } else {
        s.label()
    };
    Cell::from(Span::styled(word, app.theme.severity(s)))
}

/// Past audits shown in the score trend.
const TREND_WIDTH: usize = 12;

pub fn dashboard(frame: &mut Frame, app: &App, area: Rect) {
    let Some(audit) = &app.audit else { return };
    let t = &app.theme;
    let report = &audit.report;
    let notes_height = if area.height > 30 { 8 } else { 4 };
    let [scores, top, notes] = Layout::vertical([
        Constraint::Length(9),
        Constraint::Min(4),
        Constraint::Length(notes_height),
    ])
    .areas(area);
    let narrow = area.width < 100;
    let rows: Vec<Row> = report
        .summary
        .areas
        .iter()
        .map(|a| {
            // `:ns NAME`: the namespace's findings and scores (none for areas judged on
            // nothing namespaced: the audit log, namespace settings).
            let scoped = app.scoped.as_ref().map(|s| {
                let counts = s.by_area.get(&a.area).cloned().unwrap_or_default();
                (counts, s.scores.get(&a.area).copied())
            });
            let (findings, suppressed) = match &scoped {
                Some(((by_severity, suppressed), _)) => (by_severity, *suppressed),
                None => (&a.findings, a.suppressed),
            };
            let (score, grade) = match scoped {
                Some((_, score)) => (score, score.map(crate::engine::grade)),
                None => (a.score, a.grade),
            };
            let n = |s: Severity| findings.get(&s).copied().unwrap_or(0).to_string();
            let coverage = match a.coverage {
                Some(c) if a.not_evaluated > 0 => format!("{c}% ({} n/e)", a.not_evaluated),
                Some(c) => format!("{c}%"),
                None => "not evaluated".into(),
            };
            Row::new(vec![
                Cell::from(a.area.title()),
                Cell::from(score.map_or("-".into(), |s| s.to_string())),
                Cell::from(Span::styled(
                    grade.map_or("-".into(), |g| g.to_string()),
                    t.grade(grade),
                )),
                Cell::from(Span::styled(
                    n(Severity::Critical),
                    t.severity(Severity::Critical),
                )),
                Cell::from(Span::styled(n(Severity::High), t.severity(Severity::High))),
                Cell::from(Span::styled(
                    n(Severity::Medium),
                    t.severity(Severity::Medium),
                )),
                Cell::from(Span::styled(n(Severity::Low), t.severity(Severity::Low))),
                Cell::from(suppressed.to_string()),
                Cell::from(Span::styled(
                    super::trend::sparkline(&audit.past, a.area, TREND_WIDTH),
                    t.key,
                )),
                Cell::from(coverage),
            ])
        })
        .collect();
    let header = Row::new(if narrow {
        vec![
            "AREA", "SCORE", "GR", "CRIT", "HIGH", "MED", "LOW", "SUP", "TREND", "COVERAGE",
        ]
    } else {
        vec![
            "AREA",
            "SCORE",
            "GRADE",
            "CRITICAL",
            "HIGH",
            "MEDIUM",
            "LOW",
            "SUPPRESSED",
            "TREND",
            "COVERAGE",
        ]
    })
    .style(t.header);
    let widths = [
        Constraint::Length(13),
        Constraint::Length(5),
        Constraint::Length(if narrow { 2 } else { 5 }),
        Constraint::Length(if narrow { 4 } else { 8 }),
        Constraint::Length(if narrow { 4 } else { 6 }),
        Constraint::Length(if narrow { 4 } else { 6 }),
        Constraint::Length(if narrow { 4 } else { 6 }),
        Constraint::Length(if narrow { 4 } else { 10 }),
        Constraint::Length(if narrow { 8 } else { TREND_WIDTH as u16 }),
        Constraint::Min(10),
    ];
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(t.border)
        .title(Span::styled(
            match &app.namespace {
                Some(ns) => format!(
                    " Score by area in ns {} (-: judged cluster-wide only, :ns all) ",
                    crate::sanitize::strip_controls(ns)
                ),
                None => " Score by area ".into(),
            },
            t.title,
        ));
    frame.render_widget(Table::new(rows, widths).header(header).block(block), scores);

    let m = &app.model;
    table(
        frame,
        app,
        top,
        "Top findings".into(),
        &app.dashboard,
        Columns {
            header: if narrow {
                &["SEV", "RULE", "OBJECT", "FINDING"]
            } else {
                &["SEVERITY", "RULE", "OBJECT", "FINDING"]
            },
            widths: &[
                Constraint::Length(if narrow { 5 } else { 9 }),
                Constraint::Length(7),
                Constraint::Percentage(30),
                Constraint::Min(10),
            ],
        },
        |r, w| {
            let f = &m.findings[r];
            vec![
                sev_cell(app, f.severity, narrow),
                Cell::from(f.rule_id),
                Cell::from(super::fit(&f.qualified_object(), w[2])),
                Cell::from(super::fit(&f.message, w[3])),
            ]
        },
    );

    let mut lines: Vec<Line> = super::trend::changes_line(app).into_iter().collect();
    let mut reasons: Vec<String> = report
        .not_evaluated
        .iter()
        .map(|n| match n.rule_id {
            // Without verdicts these two say no verification ran; one is running.
            "SIG001" | "SIG003" if app.signatures_pending.is_some() => {
                format!("{}: looking up the images' signatures…", n.rule_id)
            }
            _ => format!("{}: {}", n.rule_id, n.reason),
        })
        .collect();
    reasons.dedup();
    // Work under way first; the rules that wait for the user's allow-lists in one entry.
    reasons.sort_by_key(|r| !r.ends_with('…'));
    let (lists, mut reasons): (Vec<String>, Vec<String>) = reasons
        .into_iter()
        .partition(|r| r.contains("give --audit-allow"));
    if !lists.is_empty() {
        let rules: Vec<&str> = lists.iter().filter_map(|r| r.split(':').next()).collect();
        let flags: Vec<&str> = lists
            .iter()
            .filter_map(|r| r.split("give ").nth(1)?.split(' ').next())
            .collect();
        reasons.push(format!(
            "{}: need allow-lists ({})",
            rules.join(", "),
            flags.join(", ")
        ));
    }
    if !reasons.is_empty() {
        lines.push(Line::from(vec![
            Span::styled("Not evaluated: ", t.key),
            Span::raw(format!("{} checks; ", report.not_evaluated.len())),
            Span::raw(reasons.into_iter().take(3).collect::<Vec<_>>().join("; ")),
        ]));
    }
    if !report.input_errors.is_empty() {
        lines.push(Line::from(vec![
            Span::styled("Unreadable: ", t.bad),
            Span::raw(format!(
                "{} objects or files (see the report's Limitations)",
                report.input_errors.len()
            )),
        ]));
    }
    let next: Vec<&str> = [
        (
            report.audit_log.is_none(),
            "pass --audit-log to analyse audit logs",
        ),
        (
            report.vulnerabilities.is_none(),
            "pass --trivy-report to judge image vulnerabilities",
        ),
        (
            report
                .summary
                .areas
                .iter()
                .any(|a| a.area == Area::Signatures && a.coverage.is_none()),
            if app.signatures_pending.is_some() {
                "looking up the images' signatures…"
            } else {
                "image signatures are not verified yet (not evaluated)"
            },
        ),
        (
            true,
            "press e to export a report, : for commands, ? for help",
        ),
    ]
    .into_iter()
    .filter(|(show, _)| *show)
    .map(|(_, s)| s)
    .collect();
    lines.push(Line::from(vec![
        Span::styled("Next: ", t.key),
        Span::raw(next.join("; ")),
    ]));
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(t.border)
        .title(Span::styled(" Coverage and next steps ", t.title));
    frame.render_widget(
        Paragraph::new(lines).block(block).wrap(Wrap { trim: true }),
        notes,
    );
}

pub fn pss(frame: &mut Frame, app: &App, area: Rect) {
    let m = &app.model;
    let t = &app.theme;
    let level_cell = |l: Level| match l {
        Level::Restricted => Cell::from(Span::styled("restricted", t.good)),
        Level::Baseline => Cell::from("baseline"),
        Level::Privileged => Cell::from(Span::styled("privileged", t.bad)),
    };
    if app.pss_workloads {
        let version = app.pss_version;
        let verdict = |v: &[String]| -> Cell<'static> {
            match v.first() {
                None => Cell::from(Span::styled("pass", t.good)),
                Some(first) => Cell::from(Line::from(vec![
                    Span::styled(format!("FAIL {} ", v.len()), t.bad),
                    Span::raw(first.clone()),
                ])),
            }
        };
        table(
            frame,
            app,
            area,
            format!("Workloads x level at {version} (v: version, w: namespaces)"),
            &app.workloads,
            Columns {
                header: &["NAMESPACE", "WORKLOAD", "BASELINE", "RESTRICTED"],
                widths: &[
                    Constraint::Length(12),
                    Constraint::Percentage(25),
                    Constraint::Percentage(30),
                    Constraint::Min(10),
                ],
            },
            |r, cols| {
                let w = &m.workloads[r];
                vec![
                    Cell::from(super::fit(&w.namespace, cols[0])),
                    Cell::from(super::fit(&w.object, cols[1])),
                    verdict(&w.baseline),
                    verdict(&w.restricted),
                ]
            },
        );
        return;
    }
    // Column sets that fit: the layout solver gives unstable widths when constraints
    // overflow the area.
    let wide = area.width >= 110;
    let enforce_text = |n: &crate::tui::model::NamespaceRow| {
        if n.labelled {
            n.enforce.clone()
        } else {
            format!("{} (default)", n.enforce)
        }
    };
    // Columns sized by their content (within bounds), the rest to the last one.
    let longest =
        |f: &dyn Fn(&crate::tui::model::NamespaceRow) -> usize, floor: usize, cap: usize| {
            let w = m.namespaces.iter().map(f).max().unwrap_or(0);
            Constraint::Length(w.clamp(floor, cap) as u16)
        };
    let (header, widths): (&[&str], Vec<Constraint>) = if wide {
        (
            &[
                "NAMESPACE",
                "ENFORCE",
                "WARN",
                "AUDIT",
                "WORKLOADS",
                "COULD ENFORCE",
                "VIOLATING",
            ],
            vec![
                longest(&|n| n.name.chars().count(), 9, 32),
                longest(&|n| enforce_text(n).chars().count(), 7, 30),
                longest(&|n| n.warn.chars().count(), 4, 26),
                longest(&|n| n.audit.chars().count(), 5, 26),
                Constraint::Length(9),
                Constraint::Length(13),
                Constraint::Min(9),
            ],
        )
    } else {
        (
            &["NAMESPACE", "ENFORCE", "WL", "COULD ENF.", "VIOL."],
            vec![
                Constraint::Min(10),
                Constraint::Length(28),
                Constraint::Length(3),
                Constraint::Length(10),
                Constraint::Length(5),
            ],
        )
    };
    // At another version than the audit's (`v`): what each namespace could enforce there,
    // from its workloads evaluated at that version.
    let audited = app.audit.as_ref().map(|a| a.config.pss_version);
    let other_version = (audited != Some(app.pss_version)
        && m.pss_version == Some(app.pss_version))
    .then_some(app.pss_version);
    let could_enforce = |namespace: &str, audited: Level| match other_version {
        None => audited,
        Some(_) => {
            let rows = m.workloads.iter().filter(|w| w.namespace == namespace);
            let mut level = Level::Restricted;
            for w in rows {
                if !w.baseline.is_empty() {
                    return Level::Privileged;
                }
                if !w.restricted.is_empty() {
                    level = Level::Baseline;
                }
            }
            level
        }
    };
    let title = match other_version {
        Some(v) => format!("Namespaces, could enforce at {v} (v: version, w: workloads x level)"),
        None => format!(
            "Namespaces (v: version, now {}; w: workloads x level)",
            app.pss_version
        ),
    };
    table(
        frame,
        app,
        area,
        title,
        &app.namespaces,
        Columns {
            header,
            widths: &widths,
        },
        |r, w| {
            let n = &m.namespaces[r];
            let enforce = super::fit(&enforce_text(n), w[1]);
            let violating = if n.violating > 0 {
                Cell::from(Span::styled(n.violating.to_string(), t.bad))
            } else {
                Cell::from("0")
            };
            if wide {
                vec![
                    Cell::from(super::fit(&n.name, w[0])),
                    Cell::from(enforce),
                    Cell::from(super::fit(&n.warn, w[2])),
                    Cell::from(super::fit(&n.audit, w[3])),
                    Cell::from(n.workloads.to_string()),
                    level_cell(could_enforce(&n.name, n.highest)),
                    violating,
                ]
            } else {
                vec![
                    Cell::from(super::fit(&n.name, w[0])),
                    Cell::from(enforce),
                    Cell::from(n.workloads.to_string()),
                    level_cell(could_enforce(&n.name, n.highest)),
                    violating,
                ]
            }
        },
    );
}

pub fn findings(frame: &mut Frame, app: &App, area: Rect) {
    let m = &app.model;
    let narrow = area.width < 100;
    if app.grouped {
        table(
            frame,
            app,
            area,
            "Findings by rule (t: flat list, enter: the rule's findings)".into(),
            &app.rule_groups,
            Columns {
                header: &["RULE", "SEVERITY", "FINDINGS", "TITLE"],
                widths: &[
                    Constraint::Length(7),
                    Constraint::Length(9),
                    Constraint::Length(8),
                    Constraint::Min(10),
                ],
            },
            |r, _w| {
                let rule = &m.rules[r];
                // The group's severity is its worst finding's, said when it is not the rule's.
                let worst = rule.worst.unwrap_or(rule.rule.severity);
                let title = if worst == rule.rule.severity {
                    rule.rule.title.to_string()
                } else {
                    format!(
                        "{} (raised above the rule's {})",
                        rule.rule.title,
                        rule.rule.severity.label()
                    )
                };
                vec![
                    Cell::from(rule.rule.id),
                    sev_cell(app, worst, false),
                    Cell::from(rule.findings.to_string()),
                    Cell::from(title),
                ]
            },
        );
        return;
    }
    let sort = match app.sort {
        crate::tui::app::SortKey::Severity => "severity",
        crate::tui::app::SortKey::Rule => "rule",
        crate::tui::app::SortKey::Namespace => "namespace",
        crate::tui::app::SortKey::Object => "object",
    };
    let widths = if narrow {
        vec![
            Constraint::Length(5),
            Constraint::Length(7),
            Constraint::Percentage(35),
            Constraint::Min(10),
        ]
    } else {
        vec![
            Constraint::Length(9),
            Constraint::Length(7),
            Constraint::Length(12),
            Constraint::Percentage(28),
            Constraint::Min(20),
        ]
    };
    let header: &[&str] = if narrow {
        &["SEV", "RULE", "OBJECT", "FINDING"]
    } else {
        &["SEVERITY", "RULE", "NAMESPACE", "OBJECT", "FINDING"]
    };
    table(
        frame,
        app,
        area,
        if app.findings_query.is_empty() {
            format!("Findings by {sort}")
        } else {
            format!(
                "Findings where {} by {sort}",
                crate::sanitize::strip_controls(&app.findings_query.describe())
            )
        },
        &app.findings,
        Columns {
            header,
            widths: &widths,
        },
        |r, w| {
            let f = &m.findings[r];
            let mut marks = Vec::new();
            if f.new {
                marks.push(Span::styled("new ", app.theme.key));
            }
            if let Some(d) = &f.decision {
                marks.push(Span::styled(format!("[{d}] "), app.theme.dim));
            }
            let message = if f.suppressed {
                format!("[suppressed] {}", f.message)
            } else {
                f.message.clone()
            };
            let mut cells = vec![sev_cell(app, f.severity, narrow), Cell::from(f.rule_id)];
            if narrow {
                cells.push(Cell::from(super::fit(&f.qualified_object(), w[2])));
            } else {
                cells.push(Cell::from(super::fit(&f.namespace, w[2])));
                cells.push(Cell::from(super::fit(&f.object, w[3])));
            }
            let room =
                w[w.len() - 1].saturating_sub(marks.iter().map(|m| m.width() as u16).sum::<u16>());
            let message = super::fit(&message, room);
            marks.push(if f.suppressed {
                Span::styled(message, app.theme.dim)
            } else {
                Span::raw(message)
            });
            cells.push(Cell::from(Line::from(marks)));
            cells
        },
    );
}

pub fn rules(frame: &mut Frame, app: &App, area: Rect) {
    let m = &app.model;
    let narrow = area.width < 100;
    let widths = if narrow {
        vec![
            Constraint::Length(7),
            Constraint::Length(5),
            Constraint::Length(4),
            Constraint::Min(10),
        ]
    } else {
        vec![
            Constraint::Length(7),
            Constraint::Length(9),
            Constraint::Length(12),
            Constraint::Length(8),
            Constraint::Min(20),
            Constraint::Length(38),
        ]
    };
    let header: &[&str] = if narrow {
        &["ID", "SEV", "#", "TITLE"]
    } else {
        &["ID", "SEVERITY", "AREA", "FINDINGS", "TITLE", "CKS DOMAIN"]
    };
    table(
        frame,
        app,
        area,
        "Rules".into(),
        &app.rules,
        Columns {
            header,
            widths: &widths,
        },
        |r, w| {
            let rule = &m.rules[r];
            if narrow {
                vec![
                    Cell::from(rule.rule.id),
                    sev_cell(app, rule.rule.severity, true),
                    Cell::from(rule.findings.to_string()),
                    Cell::from(super::fit(rule.rule.title, w[3])),
                ]
            } else {
                vec![
                    Cell::from(rule.rule.id),
                    sev_cell(app, rule.rule.severity, false),
                    Cell::from(rule.rule.area.as_str()),
                    Cell::from(rule.findings.to_string()),
                    Cell::from(super::fit(rule.rule.title, w[4])),
                    Cell::from(super::fit(rule.rule.cks_domain, w[5])),
                ]
            }
        },
    );
}
