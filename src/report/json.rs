//! The JSON report: one document, `schema_version` 1 (see DESIGN.md).

use super::Report;
use std::io::{self, Write};

/// Streams the report as pretty JSON (large reports never exist twice in memory). Strings
/// keep every character, but C1 controls and invisible characters (bidi overrides,
/// zero-width spaces) are written as `\uXXXX` escapes: the same JSON to a parser, and no
/// surprise for someone reading the file in a terminal.
pub fn write(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    let mut serializer = serde_json::Serializer::with_formatter(&mut *out, Escaping::default());
    serde::Serialize::serialize(report, &mut serializer)?;
    out.write_all(b"\n")
}

/// serde_json's pretty formatter, escaping what it writes raw.
#[derive(Default)]
struct Escaping(serde_json::ser::PrettyFormatter<'static>);

impl serde_json::ser::Formatter for Escaping {
    fn write_string_fragment<W: ?Sized + Write>(
        &mut self,
        w: &mut W,
        fragment: &str,
    ) -> io::Result<()> {
        let mut rest = fragment;
        while let Some(i) = rest.find(|c: char| c.is_control() || crate::sanitize::is_invisible(c))
        {
            w.write_all(&rest.as_bytes()[..i])?;
            let c = rest[i..].chars().next().unwrap_or_default();
            write!(w, "\\u{:04x}", c as u32)?;
            rest = &rest[i + c.len_utf8()..];
        }
        w.write_all(rest.as_bytes())
    }
    fn begin_array<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.begin_array(w)
    }
    fn end_array<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.end_array(w)
    }
    fn begin_array_value<W: ?Sized + Write>(&mut self, w: &mut W, first: bool) -> io::Result<()> {
        self.0.begin_array_value(w, first)
    }
    fn end_array_value<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.end_array_value(w)
    }
    fn begin_object<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.begin_object(w)
    }
    fn end_object<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.end_object(w)
    }
    fn begin_object_key<W: ?Sized + Write>(&mut self, w: &mut W, first: bool) -> io::Result<()> {
        self.0.begin_object_key(w, first)
    }
    fn begin_object_value<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.begin_object_value(w)
    }
    fn end_object_value<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.end_object_value(w)
    }
}

pub fn render(report: &Report) -> String {
    let mut buf = Vec::new();
    // Writing to a Vec cannot fail, and serializing plain data with string keys cannot either.
    let _ = write(report, &mut buf);
    String::from_utf8(buf).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invisible_and_c1_characters_are_escaped_and_read_back_the_same() {
        #[derive(serde::Serialize)]
        struct Name<'a> {
            name: &'a str,
        }
        let name = "ad\u{202e}nimda\u{200b}\u{85}x";
        let mut out = Vec::new();
        let mut serializer = serde_json::Serializer::with_formatter(&mut out, Escaping::default());
        serde::Serialize::serialize(&Name { name }, &mut serializer).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert!(text.contains("ad\\u202enimda\\u200b\\u0085x"), "{text}");
        assert!(text.is_ascii(), "{text}");
        let back: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(back["name"], name);
    }
}
