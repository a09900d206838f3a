//! Finds the file line of each piece of evidence, so reports and SARIF point at the field,
//! not just the object. Reads the source files again (the engine itself does no I/O); each
//! file is split and each document indexed once.

use super::Report;
use crate::manifest::yaml::{self, DocumentText};
use std::collections::HashMap;
use std::ops::Range;

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

/// Fills `evidence[].line`, moves each finding's location to its first located field, and
/// points input errors at the offending field.
pub fn refine(report: &mut Report, source: &dyn TextSource) {
    let mut lines = Lines {
        source,
        files: HashMap::new(),
        indexes: HashMap::new(),
    };
    for f in &mut report.findings {
        let Some(loc) = f.location.as_mut() else {
            continue;
        };
        let mut first = None;
        for e in &mut f.evidence {
            if e.pointer.is_empty() {
                continue;
            }
            e.line = lines.line_of(&loc.file, loc.line, &e.pointer);
            first = first.or(e.line);
        }
        if let Some(line) = first {
            loc.line = line;
        }
    }
    for e in &mut report.input_errors {
        if let (Some(line), Some(pointer)) = (e.line, e.pointer.as_deref()) {
            e.line = lines.line_of(&e.file, line, pointer).or(Some(line));
        }
    }
    report
        .input_errors
        .sort_by(|a, b| (&a.file, a.line).cmp(&(&b.file, b.line)));
}

/// A file's text and its documents as (first line, byte range).
type SplitFile = (String, Vec<(u32, Range<usize>)>);

/// Per-file texts and per-document line indexes, each computed once.
struct Lines<'a> {
    source: &'a dyn TextSource,
    files: HashMap<String, Option<SplitFile>>,
    indexes: HashMap<(String, u32), HashMap<String, u32>>,
}

impl Lines<'_> {
    /// The line of `pointer` in the document of `file` that holds `object_line`.
    fn line_of(&mut self, file: &str, object_line: u32, pointer: &str) -> Option<u32> {
        let source = self.source;
        let entry = self
            .files
            .entry(file.to_string())
            .or_insert_with(|| source.text(file).map(split));
        let (text, docs) = entry.as_ref()?;
        // The document holding the object: the last one starting at or before its line.
        let i = docs
            .partition_point(|(first, _)| *first <= object_line)
            .checked_sub(1)?;
        let (first_line, range) = docs[i].clone();
        let index = self
            .indexes
            .entry((file.to_string(), first_line))
            .or_insert_with(|| {
                yaml::line_index(DocumentText {
                    first_line,
                    text: &text[range],
                })
                .unwrap_or_default()
            });
        yaml::lookup_line(index, pointer)
    }
}

fn split(text: String) -> SplitFile {
    let base = text.as_ptr() as usize;
    let docs = yaml::split_documents(&text)
        .iter()
        .map(|d| {
            let start = d.text.as_ptr() as usize - base;
            (d.first_line, start..start + d.text.len())
        })
        .collect();
    (text, docs)
}
