//! Finds the file line of each piece of evidence, so reports and SARIF point at the field,
//! not just the object. Reads the source files again (the engine itself does no I/O); each
//! document is indexed once.

use super::Report;
use crate::manifest::yaml::{self, DocumentText};
use std::collections::HashMap;

/// Where the text of a source file comes from (disk, or the embedded demo).
pub trait TextSource {
    fn text(&self, file: &str) -> Option<String>;
}

/// Files on disk, plus the embedded demo.
pub struct DiskAndDemo;

impl TextSource for DiskAndDemo {
    fn text(&self, file: &str) -> Option<String> {
        if let Some(t) = crate::sources::demo::file_text(file) {
            return Some(t.to_string());
        }
        std::fs::read_to_string(file).ok()
    }
}

/// Fills `evidence[].line` and moves each finding's location to its first located field.
pub fn refine(report: &mut Report, source: &dyn TextSource) {
    let mut texts: HashMap<String, Option<String>> = HashMap::new();
    let mut indexes: HashMap<(String, u32), HashMap<String, u32>> = HashMap::new();
    for f in &mut report.findings {
        let Some(loc) = f.location.as_mut() else {
            continue;
        };
        let text = texts
            .entry(loc.file.clone())
            .or_insert_with(|| source.text(&loc.file));
        let Some(text) = text.as_deref() else {
            continue;
        };
        let docs = yaml::split_documents(text);
        // The document holding the object: the last one starting at or before its line.
        let Some(doc) = docs
            .iter()
            .rev()
            .find(|d| d.first_line <= loc.line)
            .copied()
        else {
            continue;
        };
        let index = indexes
            .entry((loc.file.clone(), doc.first_line))
            .or_insert_with(|| line_index(doc));
        let mut first = None;
        for e in &mut f.evidence {
            if e.pointer.is_empty() {
                continue;
            }
            e.line = yaml::lookup_line(index, &e.pointer);
            first = first.or(e.line);
        }
        if let Some(line) = first {
            loc.line = line;
        }
    }
}

fn line_index(doc: DocumentText<'_>) -> HashMap<String, u32> {
    yaml::line_index(doc).unwrap_or_default()
}
