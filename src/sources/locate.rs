//! Finds the file line of each piece of evidence, so reports and SARIF point at the field,
//! not just the object. Reads the source files again (the engine itself does no I/O), one
//! pass per document over only the fields asked for, files in parallel.

use crate::findings::Finding;
use crate::inventory::input::LoadError;
use crate::yaml::lines::lines_of;
use crate::yaml::{self, DocumentText};
use std::collections::{BTreeMap, HashMap};

/// Where the text of a source file comes from (disk, or the embedded demo).
pub trait TextSource: Sync {
    fn text(&self, file: &str) -> Option<String>;
}

/// Files on disk.
pub struct Disk;

impl TextSource for Disk {
    fn text(&self, file: &str) -> Option<String> {
        std::fs::read_to_string(file).ok()
    }
}

/// Per file: object line -> pointers wanted inside that object's document.
type Requests = BTreeMap<String, BTreeMap<u32, Vec<String>>>;
/// Per file: object line -> pointer -> line.
type Answers = HashMap<String, FileAnswers>;
type FileAnswers = HashMap<u32, HashMap<String, u32>>;

/// Fills `evidence[].line`, moves each finding's location to its first located field, and
/// points input errors at the offending field.
pub fn refine(findings: &mut [Finding], input_errors: &mut [LoadError], source: &dyn TextSource) {
    let mut requests: Requests = BTreeMap::new();
    for f in findings.iter() {
        let Some(loc) = &f.location else { continue };
        // Only findings with field pointers need their file read (not, say, a 1 GB audit
        // log whose findings point at whole lines).
        if f.evidence.iter().all(|e| e.pointer.is_empty()) {
            continue;
        }
        let wanted = requests
            .entry(loc.file.to_string())
            .or_default()
            .entry(loc.line)
            .or_default();
        wanted.extend(
            f.evidence
                .iter()
                .filter(|e| !e.pointer.is_empty())
                .map(|e| e.pointer.to_string()),
        );
    }
    for e in input_errors.iter() {
        if let (Some(line), Some(pointer)) = (e.line, &e.pointer) {
            requests
                .entry(e.file.clone())
                .or_default()
                .entry(line)
                .or_default()
                .push(pointer.clone());
        }
    }
    let answers = answer(requests, source);
    for f in findings.iter_mut() {
        let Some(loc) = f.location.as_mut() else {
            continue;
        };
        let Some(file) = answers.get(&*loc.file) else {
            continue;
        };
        let mut first = None;
        for e in &mut f.evidence {
            let lines = file.get(&loc.line);
            e.line = lines.and_then(|m| m.get(&*e.pointer.text())).copied();
            first = first.or(e.line);
        }
        if let Some(line) = first {
            loc.line = line;
        }
    }
    for e in input_errors.iter_mut() {
        if let (Some(line), Some(pointer)) = (e.line, &e.pointer) {
            let found = answers
                .get(&e.file)
                .and_then(|f| f.get(&line))
                .and_then(|m| m.get(pointer));
            e.line = found.copied().or(Some(line));
        }
    }
    input_errors.sort_by(|a, b| (&a.file, a.line).cmp(&(&b.file, b.line)));
}

fn answer(requests: Requests, source: &dyn TextSource) -> Answers {
    let files: Vec<(String, BTreeMap<u32, Vec<String>>)> = requests.into_iter().collect();
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .clamp(1, 8);
    let chunk = files.len().div_ceil(threads).max(1);
    std::thread::scope(|scope| {
        let handles: Vec<_> = files
            .chunks(chunk)
            .map(|part| {
                scope.spawn(move || {
                    part.iter()
                        .map(|(file, objects)| (file.clone(), answer_file(source, file, objects)))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap_or_default())
            .collect()
    })
}

fn answer_file(
    source: &dyn TextSource,
    file: &str,
    objects: &BTreeMap<u32, Vec<String>>,
) -> FileAnswers {
    let mut out = FileAnswers::new();
    let Some(text) = source.text(file) else {
        return out;
    };
    let docs = yaml::split_documents(&text);
    // Objects of one document (List entries) are answered in one pass over it.
    let mut by_doc: BTreeMap<usize, Vec<(u32, &String)>> = BTreeMap::new();
    for (line, pointers) in objects {
        let Some(i) = docs
            .partition_point(|d| d.first_line <= *line)
            .checked_sub(1)
        else {
            continue;
        };
        by_doc
            .entry(i)
            .or_default()
            .extend(pointers.iter().map(|p| (*line, p)));
    }
    for (i, wanted) in by_doc {
        let doc: DocumentText<'_> = docs[i];
        let pointers: Vec<&str> = wanted.iter().map(|(_, p)| p.as_str()).collect();
        let lines = lines_of(doc, &pointers);
        for (object_line, pointer) in wanted {
            if let Some(line) = lines.get(pointer.as_str()) {
                out.entry(object_line)
                    .or_default()
                    .insert(pointer.clone(), *line);
            }
        }
    }
    out
}
