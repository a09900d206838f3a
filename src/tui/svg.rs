//! A rendered screen (ratatui buffer) as SVG, for README screenshots that are generated, not
//! taken by hand. Colours come from a fixed palette, so the pictures do not depend on anyone's
//! terminal; `rsvg-convert` turns them into PNG.

use ratatui::buffer::Buffer;
use ratatui::style::{Color, Modifier};
use std::fmt::Write;

const CELL_W: u32 = 9;
const CELL_H: u32 = 18;
const BACKGROUND: &str = "#1d2021";
const FOREGROUND: &str = "#d5c4a1";

fn rgb(color: Color, default: &'static str) -> String {
    let named = match color {
        Color::Reset => default,
        Color::Black => "#282828",
        Color::Red => "#fb4934",
        Color::Green => "#b8bb26",
        Color::Yellow => "#fabd2f",
        Color::Blue => "#83a5f8",
        Color::Magenta => "#d3869b",
        Color::Cyan => "#8ec07c",
        Color::Gray => "#a89984",
        Color::DarkGray => "#7c6f64",
        Color::LightRed => "#fb4934",
        Color::LightGreen => "#b8bb26",
        Color::LightYellow => "#fabd2f",
        Color::LightBlue => "#83a598",
        Color::LightMagenta => "#d3869b",
        Color::LightCyan => "#8ec07c",
        Color::White => "#ebdbb2",
        Color::Rgb(r, g, b) => return format!("#{r:02x}{g:02x}{b:02x}"),
        Color::Indexed(_) => default,
    };
    named.to_string()
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// The buffer as a standalone SVG document.
pub fn render(buffer: &Buffer) -> String {
    let area = buffer.area;
    let (width, height) = (area.width as u32 * CELL_W, area.height as u32 * CELL_H);
    let mut out = String::new();
    let _ = writeln!(
        out,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}">"#
    );
    let _ = writeln!(
        out,
        r#"<rect width="100%" height="100%" fill="{BACKGROUND}"/>"#
    );
    let _ = writeln!(
        out,
        r#"<g font-family="DejaVu Sans Mono, monospace" font-size="15px" xml:space="preserve">"#
    );
    for y in 0..area.height {
        let mut x = 0;
        while x < area.width {
            let cell = &buffer[(x, y)];
            let style = (cell.fg, cell.bg, cell.modifier);
            // A run of cells with one style becomes one <rect> and one <text>.
            let start = x;
            let mut text = String::new();
            while x < area.width {
                let c = &buffer[(x, y)];
                if (c.fg, c.bg, c.modifier) != style {
                    break;
                }
                text.push_str(c.symbol());
                x += 1;
            }
            let (mut fg, mut bg) = (rgb(style.0, FOREGROUND), rgb(style.1, BACKGROUND));
            if style.2.contains(Modifier::REVERSED) {
                std::mem::swap(&mut fg, &mut bg);
            }
            let (px, py) = (start as u32 * CELL_W, y as u32 * CELL_H);
            let run = (x - start) as u32 * CELL_W;
            if bg != BACKGROUND {
                let _ = writeln!(
                    out,
                    r#"<rect x="{px}" y="{py}" width="{run}" height="{CELL_H}" fill="{bg}"/>"#
                );
            }
            if !text.trim().is_empty() {
                let weight = if style.2.contains(Modifier::BOLD) {
                    r#" font-weight="bold""#
                } else {
                    ""
                };
                let _ = writeln!(
                    out,
                    r#"<text x="{px}" y="{}" fill="{fg}"{weight} textLength="{run}" lengthAdjust="spacingAndGlyphs">{}</text>"#,
                    py + 14,
                    escape(&text)
                );
            }
        }
    }
    out.push_str("</g>\n</svg>\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use ratatui::layout::Rect;
    use ratatui::style::Style;

    #[test]
    fn runs_colours_and_escaping() {
        let mut buffer = Buffer::empty(Rect::new(0, 0, 10, 1));
        buffer.set_string(0, 0, "<a&b>", Style::default().fg(Color::Red));
        buffer.set_string(
            5,
            0,
            "ok",
            Style::default().add_modifier(Modifier::REVERSED),
        );
        let svg = render(&buffer);
        assert!(svg.contains(">&lt;a&amp;b&gt;</text>"), "{svg}");
        assert!(svg.contains("fill=\"#fb4934\""));
        assert!(
            svg.contains(&format!(
                "<rect x=\"45\" y=\"0\" width=\"18\" height=\"18\" fill=\"{FOREGROUND}\"/>"
            )),
            "reversed cells swap colours: {svg}"
        );
        assert_eq!(svg.matches("<text").count(), 2);
    }
}
