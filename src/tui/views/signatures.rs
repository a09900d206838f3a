//! The Signatures view: each image's verdict (verified, unverified, invalid, unsigned,
//! error) with why, its signatures and attestations, the images not looked up, each
//! namespace's images and whether a policy enforces signatures there, and the signature
//! findings by rule. Scrolls (j/k, pgup/pgdn, g/G); its text is prepared in the model.

use crate::tui::app::{App, max_scroll};
use crate::tui::text::{self, Tone};
use crate::tui::theme::Theme;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph};

pub fn signatures(frame: &mut Frame, app: &App, area: Rect) {
    let t = &app.theme;
    // Inside the borders: the same room `update` reckons with (`text_area`).
    let width = area.width.saturating_sub(2).max(1) as usize;
    let height = area.height.saturating_sub(2).max(1) as usize;
    let rows = text::wrap(&app.model.signatures, width);
    // A resize may leave the kept position past the end.
    let scroll = app.signatures_scroll.min(max_scroll(rows.len(), height));
    let position = if rows.len() > height {
        format!(
            " [{}-{}/{}]",
            scroll as usize + 1,
            (scroll as usize + height).min(rows.len()),
            rows.len()
        )
    } else {
        String::new()
    };
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(t.border)
        .title(Span::styled(format!(" Signatures{position} "), t.title));
    let lines: Vec<Line> = rows
        .into_iter()
        .skip(scroll as usize)
        .take(height)
        .map(|row| line(t, row))
        .collect();
    frame.render_widget(Paragraph::new(lines).block(block), area);
}

/// A prepared row in the theme's styles.
pub(super) fn line(t: &Theme, row: text::Row) -> Line<'static> {
    Line::from(
        row.into_iter()
            .map(|(tone, s)| Span::styled(s, style(t, tone)))
            .collect::<Vec<_>>(),
    )
}

pub(super) fn style(t: &Theme, tone: Tone) -> Style {
    match tone {
        Tone::Plain => Style::default(),
        Tone::Good => t.good,
        Tone::Bad => t.bad,
        Tone::Dim => t.dim,
        Tone::Header => t.header,
    }
}
