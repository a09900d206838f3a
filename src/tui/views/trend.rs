//! The history on the dashboard: each area's score over the last audits of this context as
//! a sparkline, and what changed since the last one.

use crate::severity::Area;
use crate::store::SessionSummary;
use crate::tui::app::App;
use ratatui::text::{Line, Span};

const BARS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];

/// The area's scores, oldest first, one bar each on the absolute 0-100 scale (a drop reads
/// the same on every dashboard); `·` where the area was not evaluated. The last `width`
/// audits at most.
pub fn sparkline(past: &[SessionSummary], area: Area, width: usize) -> String {
    let key = area.to_string();
    let start = past.len().saturating_sub(width);
    past[start..]
        .iter()
        .map(|s| match s.scores.get(&key).and_then(|v| v.as_u64()) {
            Some(score) => BARS[(score.min(100) as usize * (BARS.len() - 1)) / 100],
            None => '·',
        })
        .collect()
}

/// "Since session 12 of ...: 3 new, 1 resolved, 270 unchanged" for the notes panel.
pub fn changes_line(app: &App) -> Option<Line<'static>> {
    let audit = app.audit.as_ref()?;
    let t = &app.theme;
    let changes = audit.report.changes.as_ref()?;
    let Some(baseline) = &changes.baseline else {
        return Some(Line::from(vec![
            Span::styled("History: ", t.key),
            Span::raw("first audit of this context; the next one shows what changed"),
        ]));
    };
    let since = match (baseline.session, &baseline.started) {
        (Some(id), Some(started)) => format!("session {id} ({started})"),
        (Some(id), None) => format!("session {id}"),
        _ => "the baseline report".into(),
    };
    let new_style = if changes.new.is_empty() { t.dim } else { t.bad };
    Some(Line::from(vec![
        Span::styled("Since the last audit: ", t.key),
        Span::styled(format!("{} new", changes.new.len()), new_style),
        Span::raw(format!(
            ", {} resolved, {} unchanged (since {}; :findings new)",
            changes.resolved.len(),
            changes.unchanged,
            crate::sanitize::strip_controls(&since)
        )),
    ]))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn session(score: Option<u32>) -> SessionSummary {
        SessionSummary {
            id: 1,
            context: "c".into(),
            source: "demo".into(),
            description: String::new(),
            server_version: None,
            tool_version: String::new(),
            started: String::new(),
            finished: String::new(),
            findings: 0,
            suppressed: 0,
            scores: serde_json::json!({ Area::PodSecurity.to_string(): score }),
            coverage: serde_json::Value::Null,
        }
    }

    #[test]
    fn scores_become_bars_on_an_absolute_scale() {
        let past: Vec<SessionSummary> = [Some(0), Some(50), None, Some(100)]
            .into_iter()
            .map(session)
            .collect();
        assert_eq!(sparkline(&past, Area::PodSecurity, 10), "▁▄·█");
        assert_eq!(sparkline(&past, Area::PodSecurity, 2), "·█");
        assert_eq!(sparkline(&past, Area::Images, 10), "····");
    }
}
