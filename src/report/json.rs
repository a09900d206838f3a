//! The JSON report: one document, `schema_version` 1 (see DESIGN.md).

use super::Report;
use std::io::{self, Write};

/// Streams the report as pretty JSON (large reports never exist twice in memory).
pub fn write(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, report)?;
    out.write_all(b"\n")
}

pub fn render(report: &Report) -> String {
    let mut buf = Vec::new();
    // Writing to a Vec cannot fail, and serializing plain data with string keys cannot either.
    let _ = write(report, &mut buf);
    String::from_utf8(buf).unwrap_or_default()
}
