//! Text views' lines, prepared off the draw path: a fixed-width lead (a status word, a name)
//! and text wrapped under it with a hanging indent. Wrapping here rather than in ratatui
//! lets `update` know how many rows a view has, so `G` stops at its last screenful and `k`
//! moves at once from there.

/// What a span means; the view picks the theme's style for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tone {
    Plain,
    Good,
    Bad,
    Dim,
    Header,
}

/// One logical line: `lead` (padded by its writer) then `text`. Strings are sanitized by
/// whoever builds them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TextLine {
    pub lead: String,
    pub lead_tone: Tone,
    pub text: String,
    pub tone: Tone,
}

impl TextLine {
    pub fn new(text: impl Into<String>, tone: Tone) -> TextLine {
        TextLine::led("", Tone::Plain, text, tone)
    }

    pub fn led(
        lead: impl Into<String>,
        lead_tone: Tone,
        text: impl Into<String>,
        tone: Tone,
    ) -> TextLine {
        TextLine {
            lead: lead.into(),
            lead_tone,
            text: text.into(),
            tone,
        }
    }

    pub fn blank() -> TextLine {
        TextLine::new("", Tone::Plain)
    }
}

/// One screen row: spans and their tones.
pub type Row = Vec<(Tone, String)>;

/// The rows `lines` take at `width` columns: text broken at spaces (a word longer than the
/// room is cut), continuation rows indented by the lead's width.
pub fn wrap(lines: &[TextLine], width: usize) -> Vec<Row> {
    let mut rows = Vec::new();
    for line in lines {
        let indent = line.lead.chars().count();
        let room = width.saturating_sub(indent).max(8);
        let mut chunks = chunks(&line.text, room).into_iter();
        let first = chunks.next().unwrap_or_default();
        rows.push(vec![
            (line.lead_tone, line.lead.clone()),
            (line.tone, first),
        ]);
        for chunk in chunks {
            rows.push(vec![(Tone::Plain, " ".repeat(indent)), (line.tone, chunk)]);
        }
    }
    rows
}

/// `text` in pieces of at most `room` characters, broken after spaces where possible.
fn chunks(text: &str, room: usize) -> Vec<String> {
    let mut out = Vec::new();
    let mut current = String::new();
    let mut len = 0;
    let mut flush = |current: &mut String, len: &mut usize| {
        out.push(std::mem::take(current).trim_end().to_string());
        *len = 0;
    };
    for word in text.split_inclusive(' ') {
        let trimmed = word.trim_end().chars().count();
        if len > 0 && len + trimmed > room && trimmed <= room {
            flush(&mut current, &mut len);
        }
        // A word longer than a row (a digest, a URL) fills the row it starts in and goes
        // on in the next.
        let mut word = word;
        while len + word.trim_end().chars().count() > room {
            let take = room.saturating_sub(len);
            if take > 0 {
                let cut = word.char_indices().nth(take).map_or(word.len(), |(i, _)| i);
                current.push_str(&word[..cut]);
                word = &word[cut..];
            }
            flush(&mut current, &mut len);
        }
        current.push_str(word);
        len += word.chars().count();
    }
    // The last piece, or one empty row for an empty text.
    flush(&mut current, &mut len);
    out
}

/// Paragraphs written hard-wrapped (a task's text) as one line each, so the terminal wraps
/// them to its own width: a line joins the one before unless either is blank, it starts a
/// list item, or it follows a list item without the indent that continues one.
pub fn reflow(text: &str) -> Vec<String> {
    let item = |l: &str| {
        let l = l.trim_start();
        l.starts_with("- ")
            || l.starts_with("* ")
            || l.split_once(". ")
                .is_some_and(|(n, _)| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
    };
    let mut out: Vec<String> = Vec::new();
    let mut in_item = false;
    for line in text.lines() {
        let joins = !line.trim().is_empty()
            && !item(line)
            && (!in_item || line.starts_with(' '))
            && out.last().is_some_and(|p| !p.trim().is_empty());
        match out.last_mut() {
            Some(prev) if joins => {
                prev.push(' ');
                prev.push_str(line.trim());
            }
            _ => {
                in_item = item(line);
                out.push(line.trim_end().to_string());
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(rows: &[Row]) -> Vec<String> {
        rows.iter()
            .map(|r| r.iter().map(|(_, s)| s.as_str()).collect())
            .collect()
    }

    #[test]
    fn words_wrap_under_the_lead_and_long_words_are_cut() {
        let lines = [TextLine::led(
            "ok  ",
            Tone::Good,
            "alpha beta gamma abcdefghijklmnop",
            Tone::Plain,
        )];
        assert_eq!(
            texts(&wrap(&lines, 14)),
            [
                "ok  alpha beta",
                "    gamma abcd",
                "    efghijklmn",
                "    op"
            ]
        );
        assert_eq!(texts(&wrap(&[TextLine::blank()], 10)), [""]);
    }

    #[test]
    fn hard_wrapped_paragraphs_reflow_and_lists_stay_lists() {
        let text = "Context: one\ntwo.\n\nTask: do\nthis:\n- a,\n  still a\n- b\n2. c\nDone.\n";
        assert_eq!(
            reflow(text),
            [
                "Context: one two.",
                "",
                "Task: do this:",
                "- a, still a",
                "- b",
                "2. c",
                "Done."
            ]
        );
    }
}
