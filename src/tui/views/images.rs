//! The Images view: each image that runs with its registry, pinning, workloads, findings,
//! known vulnerabilities, signature verdict and attestations. Columns drop as the terminal
//! narrows, in sets that fit (the layout solver gives unstable widths when constraints
//! overflow the area).

use super::tables::sev_cell;
use super::{Columns, table};
use crate::signatures::Status;
use crate::tui::app::App;
use crate::tui::model::ImageRow;
use crate::tui::model::signatures::tone;
use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::Cell;

#[derive(Debug, Clone, Copy)]
enum Col {
    Image,
    Registry,
    Pin,
    PullPolicy,
    Workloads,
    /// The count and the worst severity.
    Findings,
    FindCount,
    Worst,
    Vulns,
    Signature,
    /// The signature status in at most five letters.
    SigShort,
    Attested,
}

type Column = (Col, &'static str, Constraint);

/// Every column: at least 141 columns across (borders and spacing included).
const WIDE: [Column; 9] = [
    (Col::Image, "IMAGE", Constraint::Min(30)),
    (Col::Registry, "REGISTRY", Constraint::Length(22)),
    (Col::Pin, "PIN", Constraint::Length(6)),
    (Col::PullPolicy, "PULL POLICY", Constraint::Length(14)),
    (Col::Workloads, "WORKLOADS", Constraint::Length(9)),
    (Col::Findings, "FINDINGS", Constraint::Length(9)),
    (Col::Vulns, "VULNS C/H/M/L", Constraint::Length(16)),
    (Col::Signature, "SIGNATURE", Constraint::Length(10)),
    (Col::Attested, "ATTESTATIONS", Constraint::Length(15)),
];

/// Without registry and pull policy: at least 99 across.
const MEDIUM: [Column; 7] = [
    (Col::Image, "IMAGE", Constraint::Min(30)),
    (Col::Pin, "PIN", Constraint::Length(6)),
    (Col::Workloads, "WORKLOADS", Constraint::Length(9)),
    (Col::Findings, "FINDINGS", Constraint::Length(9)),
    (Col::Vulns, "VULNS C/H/M/L", Constraint::Length(16)),
    (Col::Signature, "SIGNATURE", Constraint::Length(10)),
    (Col::Attested, "ATTESTED", Constraint::Length(11)),
];

const NARROW: [Column; 6] = [
    (Col::Image, "IMAGE", Constraint::Min(20)),
    (Col::Pin, "PIN", Constraint::Length(6)),
    (Col::Workloads, "WORKLOADS", Constraint::Length(9)),
    (Col::FindCount, "FIND", Constraint::Length(4)),
    (Col::Worst, "SEVERITY", Constraint::Length(8)),
    (Col::SigShort, "SIG", Constraint::Length(5)),
];

pub fn images(frame: &mut Frame, app: &App, area: Rect) {
    let m = &app.model;
    let columns: &[Column] = match area.width {
        141.. => &WIDE,
        99.. => &MEDIUM,
        _ => &NARROW,
    };
    let header: Vec<&str> = columns.iter().map(|c| c.1).collect();
    let widths: Vec<Constraint> = columns.iter().map(|c| c.2).collect();
    table(
        frame,
        app,
        area,
        "Images".into(),
        &app.images,
        Columns {
            header: &header,
            widths: &widths,
        },
        |r, w| {
            columns
                .iter()
                .enumerate()
                .map(|(i, c)| match c.0 {
                    Col::Image => Cell::from(super::fit(&m.images[r].image, w[i])),
                    other => cell(app, &m.images[r], other),
                })
                .collect()
        },
    );
}

/// Said where an image's signatures were not looked up.
const NOT_CHECKED: &str = "—";
/// Said while `--verify-signatures` looks them up (not a verdict yet).
const LOOKING_UP: &str = "…";

/// What an image without a verdict shows: not looked up, or not yet.
fn no_verdict(app: &App) -> Cell<'static> {
    let mark = if app.signatures_pending.is_some() {
        LOOKING_UP
    } else {
        NOT_CHECKED
    };
    Cell::from(Span::styled(mark, app.theme.dim))
}

fn cell(app: &App, i: &ImageRow, col: Col) -> Cell<'static> {
    let t = &app.theme;
    match col {
        Col::Image => Cell::from(i.image.clone()),
        Col::Registry => Cell::from(i.registry.clone()),
        Col::Pin => Cell::from(i.pinning),
        Col::PullPolicy => Cell::from(i.pull_policies.clone()),
        Col::Workloads => Cell::from(i.workloads.len().to_string()),
        Col::Findings => Cell::from(Line::from(vec![
            Span::raw(format!("{} ", i.findings)),
            Span::styled(
                i.worst.map_or("", |s| s.label()),
                i.worst.map_or(Style::default(), |s| t.severity(s)),
            ),
        ])),
        Col::FindCount => Cell::from(i.findings.to_string()),
        Col::Worst => i.worst.map_or(Cell::from("-"), |s| sev_cell(app, s, true)),
        Col::Vulns => match i.vulns {
            Some([c, h, m, l, fixable]) => Cell::from(Line::from(vec![
                Span::styled(
                    format!("{c}/{h}/{m}/{l}"),
                    if c + h > 0 { t.bad } else { Style::default() },
                ),
                Span::styled(format!(" {fixable} fix"), t.dim),
            ])),
            None => Cell::from(Span::styled("n/e", t.dim)),
        },
        Col::Signature | Col::SigShort => match &i.signature {
            Some(s) => {
                let word = match (col, s.status) {
                    (Col::Signature, status) => status.as_str(),
                    (_, Status::Verified) => "yes",
                    (_, Status::Unverified) => "unver",
                    (_, Status::Invalid) => "inval",
                    (_, Status::Unsigned) => "no",
                    (_, Status::Error) => "err",
                };
                Cell::from(Span::styled(
                    word,
                    super::signatures::style(t, tone(s.status)),
                ))
            }
            None => no_verdict(app),
        },
        Col::Attested => match &i.signature {
            Some(s) => Cell::from(s.attestation_kinds.clone()),
            None => no_verdict(app),
        },
    }
}
