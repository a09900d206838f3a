//! Untrusted strings (names, labels, annotations, log fields) on their way to a terminal or a
//! report: control sequences removed, Markdown and HTML metacharacters escaped.

use std::borrow::Cow;

/// Removes terminal control sequences and control characters; newlines and tabs become spaces.
/// ESC-introduced sequences (CSI, OSC, ...) are dropped whole so no fragment is printed.
pub fn strip_controls(s: &str) -> Cow<'_, str> {
    if !s.chars().any(is_control) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\u{1b}' => skip_escape(&mut chars),
            '\u{9b}' => skip_csi(&mut chars),
            '\u{9d}' | '\u{90}' | '\u{9e}' | '\u{9f}' => skip_string(&mut chars),
            '\n' | '\r' | '\t' => out.push(' '),
            // Shown, not obeyed: a right-to-left override or a zero-width space in a name
            // would make it read as another name.
            c if is_invisible(c) => out.push_str(&format!("\\u{:04x}", c as u32)),
            c if is_control(c) => {}
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// [`strip_controls`] for a text that may already be owned: a clean owned text is kept, not
/// copied.
pub fn strip_controls_cow(s: Cow<'_, str>) -> Cow<'_, str> {
    match s {
        Cow::Borrowed(s) => strip_controls(s),
        Cow::Owned(s) => match strip_controls(&s) {
            Cow::Borrowed(_) => Cow::Owned(s),
            Cow::Owned(clean) => Cow::Owned(clean),
        },
    }
}

fn is_control(c: char) -> bool {
    c.is_control() || is_invisible(c)
}

/// Characters that change how text around them is shown without being seen: bidirectional
/// controls, zero-width characters, the byte-order mark.
pub fn is_invisible(c: char) -> bool {
    matches!(
        c,
        '\u{061c}'
            | '\u{180e}'
            | '\u{200b}'..='\u{200f}'
            | '\u{202a}'..='\u{202e}'
            | '\u{2060}'..='\u{2064}'
            | '\u{2066}'..='\u{2069}'
            | '\u{feff}'
    )
}

fn skip_escape(chars: &mut std::iter::Peekable<std::str::Chars<'_>>) {
    match chars.next() {
        Some('[') => skip_csi(chars),
        Some(']') | Some('P') | Some('^') | Some('_') | Some('X') => skip_string(chars),
        _ => {}
    }
}

fn skip_csi(chars: &mut std::iter::Peekable<std::str::Chars<'_>>) {
    for c in chars.by_ref() {
        if ('\u{40}'..='\u{7e}').contains(&c) {
            break;
        }
    }
}

/// Skips an OSC/DCS-style string up to BEL or ST (`ESC \`).
fn skip_string(chars: &mut std::iter::Peekable<std::str::Chars<'_>>) {
    while let Some(c) = chars.next() {
        if c == '\u{7}' || c == '\u{9c}' {
            break;
        }
        if c == '\u{1b}' && chars.peek() == Some(&'\\') {
            chars.next();
            break;
        }
    }
}

/// Escapes text for a Markdown paragraph or table cell. Names from a cluster do not become
/// links either: GitHub turns `www.` and `scheme://` into links wherever they stand, so the
/// `.` of `www.` and the `:` of `://` are escaped (a backslash escape is plain text to it).
pub fn md(s: &str) -> String {
    let clean = strip_controls(s);
    let mut out = String::with_capacity(clean.len());
    for (i, c) in clean.char_indices() {
        let rest = &clean[i..];
        if (c == ':' && rest.starts_with("://"))
            || (c == '.' && clean[..i].to_ascii_lowercase().ends_with("www"))
        {
            out.push('\\');
            out.push(c);
            continue;
        }
        match c {
            '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '|' | '~' => {
                out.push('\\');
                out.push(c);
            }
            '&' => out.push_str("&amp;"),
            c => out.push(c),
        }
    }
    out
}

/// Inline code span that survives backticks in the content.
pub fn md_code(s: &str) -> String {
    let clean = strip_controls(s).replace('|', "\\|");
    let longest = clean.split(|c| c != '`').map(str::len).max().unwrap_or(0);
    let fence = "`".repeat(longest + 1);
    let pad = if clean.starts_with('`') || clean.ends_with('`') {
        " "
    } else {
        ""
    };
    format!("{fence}{pad}{clean}{pad}{fence}")
}

/// Escapes text for HTML element content and attribute values.
pub fn html(s: &str) -> String {
    let clean = strip_controls(s);
    let mut out = String::with_capacity(clean.len());
    for c in clean.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strips_terminal_sequences() {
        assert_eq!(strip_controls("ok"), "ok");
        assert_eq!(strip_controls("a\u{1b}[31mred\u{1b}[0m b"), "ared b");
        assert_eq!(strip_controls("x\u{1b}]0;title\u{7}y"), "xy");
        assert_eq!(
            strip_controls("x\u{1b}]8;;http://e\u{1b}\\link\u{1b}]8;;\u{1b}\\y"),
            "xlinky"
        );
        assert_eq!(strip_controls("a\nb\u{0}cd"), "a bcd");
        // Invisible characters are shown, not obeyed and not dropped.
        assert_eq!(strip_controls("ad\u{202e}nimda"), "ad\\u202enimda");
        assert_eq!(strip_controls("w\u{200b}eb\u{feff}"), "w\\u200beb\\ufeff");
    }

    #[test]
    fn escapes_markdown_and_html() {
        assert_eq!(md("a|b*c<script>"), "a\\|b\\*c\\<script\\>");
        assert_eq!(md("see www.evil.example"), "see www\\.evil.example");
        assert_eq!(
            md("go https://evil.example/x"),
            "go https\\://evil.example/x"
        );
        assert_eq!(md_code("a`b"), "``a`b``");
        assert_eq!(md_code("x|y"), "`x\\|y`");
        assert_eq!(html("<a href=\"x\">&"), "&lt;a href=&quot;x&quot;&gt;&amp;");
    }
}
