//! YAML documents to `serde_json::Value`, keeping line numbers.
//!
//! Kubernetes manifests are YAML 1.1 as read by `sigs.k8s.io/yaml`; the differences that
//! matter for an auditor are handled here: leading-zero octal (`defaultMode: 0644`) and merge
//! keys (`<<`). YAML-1.1-only booleans (`yes`, `on`) stay strings in the tree and are accepted
//! where a boolean is expected by [`crate::yaml::lenient`], so `privileged: yes` is not missed.

pub mod lenient;
pub mod lines;

use serde_json::{Map, Number, Value};
use std::collections::HashMap;
use yaml_rust2::parser::{Event, MarkedEventReceiver, Parser};
use yaml_rust2::scanner::{Marker, TScalarStyle};

/// One parsed YAML document.
#[derive(Debug)]
pub struct YamlDoc {
    pub value: Value,
    /// Line (1-based, in the whole file) where the document's content starts.
    pub line: u32,
    /// Lines of the entries of a top-level `items` sequence (for `kind: List`).
    pub item_lines: Vec<u32>,
}

/// A syntax error at a place in the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct YamlError {
    pub line: u32,
    pub column: u32,
    pub message: String,
}

/// A file that cannot be read as what it should be (an exemptions file, an audit policy),
/// with its name and, when known, the line.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}{}: {message}", line.map_or(String::new(), |l| format!(":{l}")))]
pub struct ParseError {
    pub file: String,
    pub line: Option<u32>,
    pub message: String,
}

impl ParseError {
    pub fn new(file: &str, line: Option<u32>, message: impl Into<String>) -> ParseError {
        ParseError {
            file: file.to_string(),
            line,
            message: message.into(),
        }
    }
}

/// A slice of a multi-document stream: the text of one document and its first line.
#[derive(Debug, Clone, Copy)]
pub struct DocumentText<'a> {
    pub first_line: u32,
    pub text: &'a str,
}

/// Splits a stream at `---` and `...` marker lines, so that a syntax error in one document
/// loses only that document.
pub fn split_documents(text: &str) -> Vec<DocumentText<'_>> {
    let mut docs = Vec::new();
    let mut start = 0usize;
    let mut start_line = 1u32;
    let mut offset = 0usize;
    for (line_no, line) in (1u32..).zip(text.split_inclusive('\n')) {
        let trimmed = line.trim_end_matches(['\n', '\r']);
        let is_marker = is_marker(trimmed, "---") || is_marker(trimmed, "...");
        if is_marker && offset > start {
            docs.push(DocumentText {
                first_line: start_line,
                text: &text[start..offset],
            });
            start = offset;
            start_line = line_no;
        }
        offset += line.len();
    }
    if start < text.len() {
        docs.push(DocumentText {
            first_line: start_line,
            text: &text[start..],
        });
    }
    docs
}

fn is_marker(line: &str, marker: &str) -> bool {
    line.strip_prefix(marker)
        .is_some_and(|rest| rest.is_empty() || rest.starts_with([' ', '\t']))
}

/// Parses one document. Returns `Ok(None)` for an empty document (only comments or markers).
pub fn parse_document(doc: DocumentText<'_>) -> Result<Option<YamlDoc>, YamlError> {
    parse_with(doc, Builder::new(doc.first_line - 1))
}

/// [`parse_document`], handing each entry of a top-level `items` sequence to `on_item` (with
/// its line) as soon as it is complete instead of keeping it in the tree: a `kind: List` dump
/// of a whole cluster is never held as one tree. Entries handed out before a syntax error
/// stay handed out.
pub fn parse_document_streaming(
    doc: DocumentText<'_>,
    on_item: &mut dyn FnMut(Value, u32),
) -> Result<Option<YamlDoc>, YamlError> {
    let mut builder = Builder::new(doc.first_line - 1);
    builder.on_item = Some(on_item);
    parse_with(doc, builder)
}

fn parse_with(
    doc: DocumentText<'_>,
    mut builder: Builder<'_>,
) -> Result<Option<YamlDoc>, YamlError> {
    let driven = drive(doc.text, doc.first_line - 1, &mut builder);
    if let Some(err) = builder.error {
        return Err(err);
    }
    driven?;
    Ok(builder
        .docs
        .into_iter()
        .next()
        .filter(|d| !d.value.is_null()))
}

/// Limits on one document: far beyond any real manifest, low enough to refuse hostile input
/// (deep nesting would overflow the stack later; alias bombs would exhaust memory).
pub const MAX_DEPTH: usize = 512;
pub const MAX_NODES: usize = 5_000_000;
/// Bytes that aliases may copy into one document: a 1 MiB anchored string aliased ten
/// thousand times is ten gigabytes, while a node count sees only ten thousand nodes.
pub const MAX_ALIAS_BYTES: usize = 16 << 20;

/// What a value weighs when an alias copies it: nodes, and bytes of strings and keys.
fn weight(v: &Value) -> (usize, usize) {
    match v {
        Value::Array(items) => items
            .iter()
            .map(weight)
            .fold((1, 0), |a, b| (a.0 + b.0, a.1 + b.1)),
        Value::Object(map) => map
            .iter()
            .map(|(k, v)| {
                let (n, b) = weight(v);
                (n, b + k.len())
            })
            .fold((1, 0), |a, b| (a.0 + b.0, a.1 + b.1)),
        Value::String(s) => (1, s.len()),
        _ => (1, 8),
    }
}

/// Feeds the events of `text` to `receiver` one at a time. yaml-rust2's own `load` recurses
/// once per nesting level, so a deep enough document (`- - - ... 1`) overflows the stack and
/// aborts the whole run; this loop does not recurse, and stops past [`MAX_DEPTH`].
fn drive(
    text: &str,
    line_base: u32,
    receiver: &mut impl MarkedEventReceiver,
) -> Result<(), YamlError> {
    let mut parser = Parser::new_from_str(text);
    let mut depth = 0usize;
    loop {
        let (event, mark) = parser.next_token().map_err(|e| YamlError {
            line: e.marker().line() as u32 + line_base,
            column: e.marker().col() as u32,
            message: e.info().to_string(),
        })?;
        match event {
            Event::SequenceStart(..) | Event::MappingStart(..) => {
                depth += 1;
                if depth > MAX_DEPTH {
                    return Err(YamlError {
                        line: mark.line() as u32 + line_base,
                        column: mark.col() as u32,
                        message: format!("nesting deeper than {MAX_DEPTH} levels"),
                    });
                }
            }
            Event::SequenceEnd | Event::MappingEnd => depth = depth.saturating_sub(1),
            _ => {}
        }
        let end = event == Event::StreamEnd;
        receiver.on_event(event, mark);
        if end {
            return Ok(());
        }
    }
}

enum Frame {
    Seq {
        items: Vec<Value>,
        anchor: usize,
    },
    Map {
        map: Map<String, Value>,
        key: Option<String>,
        anchor: usize,
        /// Keys that came from a `<<` merge: the mapping's own keys may override them.
        merged: Vec<String>,
    },
}

struct Builder<'s> {
    line_base: u32,
    stack: Vec<Frame>,
    /// Anchored values and what each weighs, in nodes and bytes (aliases copy them).
    anchors: HashMap<usize, (Value, (usize, usize))>,
    /// Nodes built so far, aliases expanded: bounded, so an alias bomb cannot exhaust memory.
    nodes: usize,
    /// Bytes aliases have copied: bounded too (a few aliases of a huge string).
    alias_bytes: usize,
    docs: Vec<YamlDoc>,
    doc_line: Option<u32>,
    item_lines: Vec<u32>,
    error: Option<YamlError>,
    /// Takes the entries of a top-level `items` sequence instead of the tree.
    on_item: Option<&'s mut dyn FnMut(Value, u32)>,
}

impl Builder<'_> {
    fn new(line_base: u32) -> Self {
        Builder {
            line_base,
            stack: Vec::new(),
            anchors: HashMap::new(),
            nodes: 0,
            alias_bytes: 0,
            docs: Vec::new(),
            doc_line: None,
            item_lines: Vec::new(),
            error: None,
            on_item: None,
        }
    }

    fn fail(&mut self, mark: Marker, message: String) {
        if self.error.is_none() {
            self.error = Some(YamlError {
                line: mark.line() as u32 + self.line_base,
                column: mark.col() as u32,
                message,
            });
        }
    }

    fn note_line(&mut self, mark: Marker) {
        let line = mark.line() as u32 + self.line_base;
        if self.doc_line.is_none() {
            self.doc_line = Some(line);
        }
        if self.in_top_level_items() {
            self.item_lines.push(line);
        }
    }

    /// True inside a top-level `items` list: the stack is [root map, items seq].
    fn in_top_level_items(&self) -> bool {
        self.stack.len() == 2
            && matches!(
                (self.stack.first(), self.stack.get(1)),
                (Some(Frame::Map { key: Some(k), .. }), Some(Frame::Seq { .. })) if k == "items"
            )
    }

    fn push_value(&mut self, value: Value, anchor: usize, mark: Marker) {
        if anchor > 0 {
            let size = weight(&value);
            self.anchors.insert(anchor, (value.clone(), size));
        }
        if self.on_item.is_some() && self.in_top_level_items() {
            let line = self
                .item_lines
                .pop()
                .unwrap_or(mark.line() as u32 + self.line_base);
            if let Some(on_item) = self.on_item.as_mut() {
                on_item(value, line);
            }
            return;
        }
        match self.stack.last_mut() {
            None => {
                let line = self.doc_line.unwrap_or(mark.line() as u32 + self.line_base);
                self.docs.push(YamlDoc {
                    value,
                    line,
                    item_lines: std::mem::take(&mut self.item_lines),
                });
            }
            Some(Frame::Seq { items, .. }) => items.push(value),
            Some(Frame::Map {
                map, key, merged, ..
            }) => match key.take() {
                None => match value {
                    Value::String(s) => *key = Some(s),
                    Value::Number(n) => *key = Some(n.to_string()),
                    Value::Bool(b) => *key = Some(b.to_string()),
                    Value::Null => *key = Some("null".to_string()),
                    _ => self.fail(mark, "complex mapping keys are not supported".into()),
                },
                Some(k) if k == "<<" => merge_into(map, merged, value),
                Some(k) => {
                    if let Some(pos) = merged.iter().position(|m| *m == k) {
                        merged.swap_remove(pos);
                        map.insert(k, value);
                    } else if map.contains_key(&k) {
                        let msg = format!("duplicate key {k:?} in a mapping");
                        self.fail(mark, msg);
                    } else {
                        map.insert(k, value);
                    }
                }
            },
        }
    }

    /// Accounts for a new container node; false (with an error) past the limits.
    fn grow(&mut self, mark: Marker) -> bool {
        self.nodes += 1;
        if self.stack.len() >= MAX_DEPTH {
            self.fail(mark, format!("nesting deeper than {MAX_DEPTH} levels"));
            return false;
        }
        if self.nodes > MAX_NODES {
            self.fail(mark, format!("document has more than {MAX_NODES} nodes"));
            return false;
        }
        true
    }

    fn expecting_key(&self) -> bool {
        matches!(self.stack.last(), Some(Frame::Map { key: None, .. }))
    }
}

/// `<<: *base` copies the keys of `base` that the mapping does not set itself.
fn merge_into(map: &mut Map<String, Value>, merged: &mut Vec<String>, value: Value) {
    let sources = match value {
        Value::Array(items) => items,
        other => vec![other],
    };
    for source in sources {
        if let Value::Object(entries) = source {
            for (k, v) in entries {
                if !map.contains_key(&k) {
                    merged.push(k.clone());
                    map.insert(k, v);
                }
            }
        }
    }
}

impl MarkedEventReceiver for Builder<'_> {
    fn on_event(&mut self, ev: Event, mark: Marker) {
        if self.error.is_some() {
            return;
        }
        match ev {
            Event::Scalar(text, style, anchor, tag) => {
                let is_key = self.expecting_key();
                if !is_key {
                    self.note_line(mark);
                }
                let value = if is_key {
                    Value::String(text)
                } else {
                    resolve_scalar(text, style, tag.is_some())
                };
                self.push_value(value, anchor, mark);
            }
            Event::SequenceStart(anchor, _) => {
                if self.expecting_key() {
                    self.fail(mark, "complex mapping keys are not supported".into());
                    return;
                }
                if !self.grow(mark) {
                    return;
                }
                self.note_line(mark);
                self.stack.push(Frame::Seq {
                    items: Vec::new(),
                    anchor,
                });
            }
            Event::MappingStart(anchor, _) => {
                if self.expecting_key() {
                    self.fail(mark, "complex mapping keys are not supported".into());
                    return;
                }
                if !self.grow(mark) {
                    return;
                }
                self.note_line(mark);
                self.stack.push(Frame::Map {
                    map: Map::new(),
                    key: None,
                    anchor,
                    merged: Vec::new(),
                });
            }
            Event::SequenceEnd => {
                if let Some(Frame::Seq { items, anchor, .. }) = self.stack.pop() {
                    self.push_value(Value::Array(items), anchor, mark);
                }
            }
            Event::MappingEnd => {
                if let Some(Frame::Map { map, anchor, .. }) = self.stack.pop() {
                    self.push_value(Value::Object(map), anchor, mark);
                }
            }
            Event::Alias(id) => match self.anchors.get(&id) {
                Some((_, (nodes, _))) if self.nodes + nodes > MAX_NODES => {
                    self.fail(mark, format!("aliases expand the document past {MAX_NODES} nodes; refusing to expand it (alias bomb?)"));
                }
                Some((_, (_, bytes))) if self.alias_bytes + bytes > MAX_ALIAS_BYTES => {
                    self.fail(mark, format!("aliases copy more than {} MiB into the document; refusing to expand it (alias bomb?)", MAX_ALIAS_BYTES >> 20));
                }
                Some((value, (nodes, bytes))) => {
                    let value = value.clone();
                    self.nodes += nodes;
                    self.alias_bytes += bytes;
                    if !self.expecting_key() {
                        self.note_line(mark);
                    }
                    self.push_value(value, 0, mark);
                }
                None => self.fail(mark, format!("unknown alias (anchor id {id})")),
            },
            Event::DocumentStart => {
                self.doc_line = None;
            }
            Event::DocumentEnd | Event::StreamStart | Event::StreamEnd | Event::Nothing => {}
        }
    }
}

/// Resolves a scalar the way Kubernetes' YAML reader would (YAML 1.1 flavoured).
fn resolve_scalar(text: String, style: TScalarStyle, tagged: bool) -> Value {
    if style != TScalarStyle::Plain || tagged {
        return Value::String(text);
    }
    match text.as_str() {
        "" | "~" | "null" | "Null" | "NULL" => return Value::Null,
        "true" | "True" | "TRUE" => return Value::Bool(true),
        "false" | "False" | "FALSE" => return Value::Bool(false),
        _ => {}
    }
    if let Some(n) = parse_integer(&text) {
        return Value::Number(n.into());
    }
    if looks_like_float(&text)
        && let Ok(f) = text.parse::<f64>()
        && let Some(n) = Number::from_f64(f)
    {
        return Value::Number(n);
    }
    Value::String(text)
}

fn parse_integer(text: &str) -> Option<i64> {
    let (negative, digits) = match text.as_bytes().first()? {
        b'-' => (true, &text[1..]),
        b'+' => (false, &text[1..]),
        _ => (false, text),
    };
    let digits = digits.replace('_', "");
    let magnitude = if let Some(hex) = digits.strip_prefix("0x") {
        i64::from_str_radix(hex, 16).ok()?
    } else if let Some(oct) = digits.strip_prefix("0o") {
        i64::from_str_radix(oct, 8).ok()?
    } else if digits.len() > 1 && digits.starts_with('0') {
        // YAML 1.1 octal, as go-yaml v2 reads `defaultMode: 0644`.
        i64::from_str_radix(&digits, 8).ok()?
    } else if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
        digits.parse::<i64>().ok()?
    } else {
        return None;
    };
    Some(if negative { -magnitude } else { magnitude })
}

fn looks_like_float(text: &str) -> bool {
    let body = text.trim_start_matches(['-', '+']);
    !body.is_empty()
        && body
            .bytes()
            .next()
            .is_some_and(|b| b.is_ascii_digit() || b == b'.')
        && body
            .bytes()
            .all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'e' | b'E' | b'-' | b'+'))
        && body.bytes().any(|b| b.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(text: &str) -> Value {
        let docs = split_documents(text);
        parse_document(docs[0]).unwrap().unwrap().value
    }

    #[test]
    fn splits_documents_and_keeps_lines() {
        let text = "a: 1\n---\n# c\nb: 2\n--- \n\n...\nc: [1, 2]\n";
        let docs = split_documents(text);
        let parsed: Vec<_> = docs
            .iter()
            .filter_map(|d| parse_document(*d).unwrap())
            .collect();
        assert_eq!(parsed.len(), 3);
        assert_eq!(parsed[0].line, 1);
        assert_eq!(parsed[1].line, 4);
        assert_eq!(parsed[2].line, 8);
    }

    #[test]
    fn kubernetes_scalars() {
        let v =
            one("mode: 0644\nhex: 0x1F\nb: true\ny: yes\nq: \"true\"\nf: 0.5\nn: ~\nver: 1.30.2\n");
        assert_eq!(v["mode"], 420);
        assert_eq!(v["hex"], 31);
        assert_eq!(v["b"], true);
        assert_eq!(v["y"], "yes");
        assert_eq!(v["q"], "true");
        assert_eq!(v["f"], 0.5);
        assert!(v["n"].is_null());
        assert_eq!(v["ver"], "1.30.2");
    }

    #[test]
    fn merge_keys_and_anchors() {
        let v = one("base: &b {x: 1, y: 2}\nother:\n  <<: *b\n  y: 3\n");
        assert_eq!(v["other"]["x"], 1);
        assert_eq!(v["other"]["y"], 3);
    }

    #[test]
    fn errors_carry_file_lines() {
        let text = "a: 1\n---\nb: [1, 2\nc: 3\n";
        let docs = split_documents(text);
        assert!(parse_document(docs[0]).is_ok());
        let err = parse_document(docs[1]).unwrap_err();
        assert!(err.line >= 3, "{err:?}");
    }

    #[test]
    fn alias_bombs_and_deep_nesting_are_refused() {
        let mut bomb = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
        for i in 1..9 {
            let prev = i - 1;
            bomb.push_str(&format!("a{i}: &a{i} [*a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}]\n"));
        }
        let err = parse_document(split_documents(&bomb)[0]).unwrap_err();
        assert!(err.message.contains("alias bomb"), "{err:?}");
        let deep = format!(
            "{}{}",
            "[".repeat(MAX_DEPTH + 10),
            "]".repeat(MAX_DEPTH + 10)
        );
        let err = parse_document(split_documents(&deep)[0]).unwrap_err();
        assert!(
            err.message.contains("nesting deeper") || err.message.contains("recursion limit"),
            "{err:?}"
        );
    }

    #[test]
    fn duplicate_keys_are_errors() {
        let docs = split_documents("a: 1\na: 2\n");
        let err = parse_document(docs[0]).unwrap_err();
        assert!(err.message.contains("duplicate key"));
        assert_eq!(err.line, 2);
    }

    #[test]
    fn streaming_hands_out_list_entries_with_their_lines() {
        let text = "apiVersion: v1\nitems:\n- kind: Pod\n  metadata:\n    name: a\n- kind: Pod\n  spec: {}\nkind: List\n";
        let mut seen = Vec::new();
        let doc = parse_document_streaming(split_documents(text)[0], &mut |v, line| {
            seen.push((v["kind"].as_str().unwrap_or("").to_string(), line))
        })
        .unwrap()
        .unwrap();
        assert_eq!(seen, [("Pod".to_string(), 3), ("Pod".to_string(), 6)]);
        assert_eq!(doc.value["items"], serde_json::json!([]));
        assert_eq!(doc.value["kind"], "List");
    }

    #[test]
    fn list_item_lines() {
        let text = "apiVersion: v1\nkind: List\nitems:\n- kind: Pod\n  metadata:\n    name: a\n- kind: Pod\n  spec:\n    containers:\n    - name: c\n      image: x\n";
        let docs = split_documents(text);
        let doc = parse_document(docs[0]).unwrap().unwrap();
        assert_eq!(doc.item_lines, vec![4, 7]);
    }
}
