//! Lines of chosen fields in a YAML document, found without building the document: a light
//! pass over the parser's events that tracks the current JSON pointer and records the lines
//! of the pointers asked for. Used to point reports at offending fields.

use super::DocumentText;
use std::collections::{HashMap, HashSet};
use yaml_rust2::parser::{Event, MarkedEventReceiver};
use yaml_rust2::scanner::Marker;

/// Lines of `wanted` pointers (`/spec/containers/0/image`) in `doc`. A pointer whose node is
/// missing gets the line of its nearest existing ancestor.
pub fn lines_of(doc: DocumentText<'_>, wanted: &[&str]) -> HashMap<String, u32> {
    let mut prefixes: HashSet<String> = HashSet::new();
    for w in wanted {
        let mut p = *w;
        loop {
            if !prefixes.insert(p.to_string()) {
                break;
            }
            match p.rfind('/') {
                Some(i) => p = &p[..i],
                None => break,
            }
        }
    }
    let mut tracker = Tracker {
        line_base: doc.first_line - 1,
        path: String::new(),
        stack: Vec::new(),
        wanted: &prefixes,
        found: HashMap::new(),
        root_done: false,
    };
    // A document that does not parse has no field lines; callers keep the object's line.
    let _ = super::drive(doc.text, 0, &mut tracker);
    wanted
        .iter()
        .filter_map(|w| {
            let mut p = *w;
            loop {
                if let Some(line) = tracker.found.get(p) {
                    return Some((w.to_string(), *line));
                }
                p = &p[..p.rfind('/')?];
            }
        })
        .collect()
}

enum Level {
    Seq {
        next: usize,
        path_len: usize,
    },
    Map {
        key: Option<String>,
        path_len: usize,
    },
}

struct Tracker<'a> {
    line_base: u32,
    path: String,
    stack: Vec<Level>,
    wanted: &'a HashSet<String>,
    found: HashMap<String, u32>,
    root_done: bool,
}

impl Tracker<'_> {
    /// Whether the next scalar is a mapping key.
    fn expecting_key(&self) -> bool {
        matches!(self.stack.last(), Some(Level::Map { key: None, .. }))
    }

    /// Enters the position of the next value; returns the path length to restore.
    fn enter(&mut self, mark: Marker) -> usize {
        let before = self.path.len();
        match self.stack.last_mut() {
            Some(Level::Seq { next, .. }) => {
                self.path.push('/');
                self.path.push_str(&next.to_string());
                *next += 1;
            }
            Some(Level::Map { key: Some(k), .. }) => {
                self.path.push('/');
                self.path.push_str(&k.replace('~', "~0").replace('/', "~1"));
            }
            _ => {}
        }
        if self.wanted.contains(&self.path) {
            let line = mark.line() as u32 + self.line_base;
            self.found.entry(self.path.clone()).or_insert(line);
        }
        before
    }

    /// A value is complete: the enclosing mapping expects its next key.
    fn value_done(&mut self, restore: usize) {
        self.path.truncate(restore);
        if let Some(Level::Map { key, .. }) = self.stack.last_mut() {
            *key = None;
        }
        if self.stack.is_empty() {
            self.root_done = true;
        }
    }
}

impl MarkedEventReceiver for Tracker<'_> {
    fn on_event(&mut self, ev: Event, mark: Marker) {
        if self.root_done {
            return;
        }
        match ev {
            Event::Scalar(text, ..) if self.expecting_key() => {
                if let Some(Level::Map { key, .. }) = self.stack.last_mut() {
                    *key = Some(text);
                }
            }
            Event::Scalar(..) | Event::Alias(_) => {
                let restore = self.enter(mark);
                self.value_done(restore);
            }
            Event::SequenceStart(..) => {
                let path_len = self.enter(mark);
                self.stack.push(Level::Seq { next: 0, path_len });
            }
            Event::MappingStart(..) => {
                // A mapping used as a key (rare, unsupported in manifests) is skipped whole.
                let path_len = self.enter(mark);
                self.stack.push(Level::Map {
                    key: None,
                    path_len,
                });
            }
            Event::SequenceEnd | Event::MappingEnd => {
                if let Some(Level::Seq { path_len, .. } | Level::Map { path_len, .. }) =
                    self.stack.pop()
                {
                    self.value_done(path_len);
                }
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::yaml::split_documents;

    #[test]
    fn finds_lines_and_falls_back_to_ancestors() {
        let text = "a: 1\n---\nkind: Pod\nspec:\n  containers:\n  - name: c\n    image: x\n  - name: d\n    securityContext:\n      privileged: true\n";
        let docs = split_documents(text);
        let lines = lines_of(
            docs[1],
            &[
                "/spec/containers/1/securityContext/privileged",
                "/spec/containers/0/image",
                "/spec/containers/0/missing",
                "/kind",
            ],
        );
        assert_eq!(lines["/spec/containers/1/securityContext/privileged"], 10);
        assert_eq!(lines["/spec/containers/0/image"], 7);
        assert_eq!(lines["/spec/containers/0/missing"], 6);
        assert_eq!(lines["/kind"], 3);
    }
}
