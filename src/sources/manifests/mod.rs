//! Reading Kubernetes objects from files: YAML streams, JSON, `kind: List`, Helm output.
//!
//! Every object keeps its origin (file, line, position in a List) so reports and SARIF can
//! point at it. Nothing here is fatal: a file or document that cannot be read becomes a
//! [`LoadError`] and the rest of the input is still read.

mod json;

use crate::inventory::input::{LoadError, Loaded, Origin, RawObject};
use crate::walk::Found;
use crate::yaml;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Files larger than this are refused rather than read into memory.
pub const MAX_FILE_BYTES: u64 = 256 * 1024 * 1024;

/// One thing to read, in input order: a file, standard input, or an error met while
/// walking folders (kept in place so errors are reported in order).
enum Input {
    File(PathBuf),
    Stdin,
    Failed(LoadError),
}

/// Reads every manifest under `paths`. Folders are walked recursively for `.yaml`, `.yml` and
/// `.json` files (hidden entries skipped); a file named explicitly is read whatever its name.
/// Files are parsed on all cores; the result is in input order whatever the thread count.
pub fn load_paths(paths: &[PathBuf]) -> Loaded {
    load_paths_limited(paths, MAX_FILE_BYTES)
}

/// [`load_paths`] with a different limit on the size of one file.
pub fn load_paths_limited(paths: &[PathBuf], max_file_bytes: u64) -> Loaded {
    load_paths_with(paths, max_file_bytes, &|object| object)
}

/// [`load_paths_limited`], handing each object to `each` on the thread that parsed it, as
/// soon as its file is parsed: a caller that only needs what `each` makes of an object
/// (typed Kubernetes objects) never holds every parsed document at once.
pub fn load_paths_with<T: Send>(
    paths: &[PathBuf],
    max_file_bytes: u64,
    each: &(dyn Fn(RawObject) -> T + Sync),
) -> Loaded<T> {
    let mut inputs = Vec::new();
    for path in paths {
        if path.as_os_str() == "-" {
            inputs.push(Input::Stdin);
            continue;
        }
        match std::fs::metadata(path) {
            Ok(meta) if meta.is_dir() => walk_dir(path, &mut inputs),
            Ok(_) => inputs.push(Input::File(path.clone())),
            Err(e) => inputs.push(Input::Failed(error_at(
                &path.display().to_string(),
                None,
                e.to_string(),
            ))),
        }
    }
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .clamp(1, 8)
        .min(inputs.len().max(1));
    if threads == 1 {
        return load_inputs(&inputs, max_file_bytes, each);
    }
    let chunk = inputs.len().div_ceil(threads);
    let parts: Vec<Loaded<T>> = std::thread::scope(|scope| {
        let handles: Vec<_> = inputs
            .chunks(chunk)
            .map(|c| scope.spawn(move || load_inputs(c, max_file_bytes, each)))
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or_else(|_| panicked_loader()))
            .collect()
    });
    let mut loaded = Loaded::default();
    for part in parts {
        loaded.objects.extend(part.objects);
        loaded.errors.extend(part.errors);
        loaded.files_read += part.files_read;
    }
    loaded
}

/// What a loader thread that panicked contributes: an error, never a silent gap.
fn panicked_loader<T>() -> Loaded<T> {
    let mut loaded = Loaded::default();
    loaded.errors.push(error_at(
        "<reader>",
        None,
        "internal error while reading manifests; some files were not read".into(),
    ));
    loaded
}

fn load_inputs<T>(
    inputs: &[Input],
    max_file_bytes: u64,
    each: &(dyn Fn(RawObject) -> T + Sync),
) -> Loaded<T> {
    let mut loaded = Loaded::default();
    let mut sink = Sink {
        each,
        loaded: &mut loaded,
    };
    for input in inputs {
        match input {
            Input::File(path) => load_file(path, max_file_bytes, &mut sink),
            Input::Stdin => load_bytes(
                "<stdin>",
                read_limited(std::io::stdin(), max_file_bytes, 0),
                max_file_bytes,
                &mut sink,
            ),
            Input::Failed(e) => sink.loaded.errors.push(e.clone()),
        }
    }
    loaded
}

/// Where objects go as they are parsed: each is handed to `each` at once, so only one
/// document's tree is alive at a time, whatever the size of the file.
struct Sink<'a, T> {
    each: &'a (dyn Fn(RawObject) -> T + Sync),
    loaded: &'a mut Loaded<T>,
}

impl<T> Sink<'_, T> {
    fn object(&mut self, file: &Arc<str>, value: Value, line: u32, pointer: String) {
        if !value.is_object() {
            self.error(
                file,
                Some(line),
                format!("entry is a {}, not a Kubernetes object", json_type(&value)),
            );
            return;
        }
        let origin = Origin {
            file: file.clone(),
            line,
            pointer,
        };
        self.loaded
            .objects
            .push((self.each)(RawObject { value, origin }));
    }

    fn error(&mut self, file: &str, line: Option<u32>, message: String) {
        self.loaded.errors.push(error_at(file, line, message));
    }
}

/// Manifest files under `dir`, in name order (see [`crate::walk`]); what is skipped is an
/// input error.
fn walk_dir(dir: &Path, inputs: &mut Vec<Input>) {
    for found in crate::walk::files_under(dir) {
        match found {
            Found::File(path) if has_manifest_extension(&path) => inputs.push(Input::File(path)),
            Found::File(_) => {}
            Found::Skipped(path, why) if path.is_dir() || has_manifest_extension(&path) => inputs
                .push(Input::Failed(error_at(
                    &path.display().to_string(),
                    None,
                    why,
                ))),
            Found::Skipped(..) => {}
        }
    }
}

fn has_manifest_extension(path: &Path) -> bool {
    matches!(
        path.extension()
            .and_then(|e| e.to_str())
            .map(|e| e.to_ascii_lowercase())
            .as_deref(),
        Some("yaml" | "yml" | "json")
    )
}

/// `1.5 KiB`, `256 MiB`: sizes in messages.
fn human_bytes(n: u64) -> String {
    let units = ["bytes", "KiB", "MiB", "GiB", "TiB"];
    let mut value = n as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < units.len() {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{n} bytes")
    } else {
        format!("{value:.1} {}", units[unit])
    }
}

fn load_file<T>(path: &Path, max_file_bytes: u64, sink: &mut Sink<'_, T>) {
    let name = path.display().to_string();
    let size = match std::fs::metadata(path) {
        Ok(meta) if meta.len() > max_file_bytes => {
            let msg = format!(
                "file is {}, over the {} limit for one manifest file; split it (the rest of the input is still read)",
                human_bytes(meta.len()),
                human_bytes(max_file_bytes)
            );
            sink.error(&name, None, msg);
            return;
        }
        Err(e) => {
            sink.error(&name, None, e.to_string());
            return;
        }
        Ok(meta) => meta.len(),
    };
    // Bounded whatever the file is: a device (`/dev/zero`) or a pipe has no size to check.
    let read = std::fs::File::open(path).and_then(|f| read_limited(f, max_file_bytes, size));
    load_bytes(&name, read, max_file_bytes, sink);
}

/// Reads at most `max` bytes; `None` when there is more. `expected` (the file's size, 0 when
/// unknown) sizes the buffer once: growing it by doubling would hold up to twice the file.
fn read_limited(
    reader: impl std::io::Read,
    max: u64,
    expected: u64,
) -> std::io::Result<Option<Vec<u8>>> {
    let mut bytes = Vec::with_capacity(expected.min(max) as usize + 1);
    std::io::Read::read_to_end(&mut std::io::Read::take(reader, max + 1), &mut bytes)?;
    Ok((bytes.len() as u64 <= max).then_some(bytes))
}

/// Parses what a read gave: the text of one manifest file (or stdin).
fn load_bytes<T>(
    name: &str,
    read: std::io::Result<Option<Vec<u8>>>,
    max_file_bytes: u64,
    sink: &mut Sink<'_, T>,
) {
    let bytes = match read {
        Ok(Some(bytes)) => bytes,
        Ok(None) => {
            let msg = format!(
                "more than {} of input, the limit for one manifest file; split it (the rest of the input is still read)",
                human_bytes(max_file_bytes)
            );
            sink.error(name, None, msg);
            return;
        }
        Err(e) => {
            sink.error(name, None, e.to_string());
            return;
        }
    };
    let name = name.to_string();
    if bytes.contains(&0) {
        sink.error(
            &name,
            None,
            "binary file (contains NUL bytes), not a manifest".into(),
        );
        return;
    }
    match String::from_utf8(bytes) {
        Ok(text) => load_text_into(&name, &text, sink),
        Err(e) => {
            let line = line_of_offset(e.as_bytes(), e.utf8_error().valid_up_to());
            sink.error(
                &name,
                Some(line),
                "invalid UTF-8; manifests must be UTF-8 text".into(),
            );
        }
    }
}

fn line_of_offset(bytes: &[u8], offset: usize) -> u32 {
    1 + bytes[..offset.min(bytes.len())]
        .iter()
        .filter(|b| **b == b'\n')
        .count() as u32
}

/// Parses the text of one file (YAML stream or JSON) into objects.
pub fn load_text(name: &str, text: &str, loaded: &mut Loaded) {
    load_text_into(
        name,
        text,
        &mut Sink {
            each: &|o| o,
            loaded,
        },
    );
}

fn load_text_into<T>(name: &str, text: &str, sink: &mut Sink<'_, T>) {
    sink.loaded.files_read += 1;
    let file: Arc<str> = Arc::from(name);
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let trimmed = text.trim_start();
    if trimmed.starts_with('{') || trimmed.starts_with('[') {
        let line = line_of_offset(text.as_bytes(), text.len() - trimmed.len());
        if json::top_level_kind(text).is_some_and(|k| is_list_kind(&k)) {
            return load_json_list(&file, text, line, sink);
        }
        match serde_json::from_str::<Value>(text) {
            Ok(value) => return add_document(&file, value, line, &[], sink),
            // Flow-style YAML also starts with `{`; fall through to the YAML reader, but
            // report the JSON error if that fails too and the file is named .json.
            Err(e) if name.to_ascii_lowercase().ends_with(".json") => {
                return sink.error(name, Some(e.line() as u32), format!("invalid JSON: {e}"));
            }
            Err(_) => {}
        }
    }
    for doc in yaml::split_documents(text) {
        let parsed = if declares_list_kind(doc.text) {
            let mut index = 0;
            yaml::parse_document_streaming(doc, &mut |item, line| {
                sink.object(&file, item, line, format!("/items/{index}"));
                index += 1;
            })
        } else {
            yaml::parse_document(doc)
        };
        match parsed {
            Ok(Some(parsed)) => {
                add_document(&file, parsed.value, parsed.line, &parsed.item_lines, sink)
            }
            Ok(None) => {}
            Err(e) => sink.error(name, Some(e.line), format!("invalid YAML: {}", e.message)),
        }
    }
}

/// `List`, `PodList`: what `kubectl get -o yaml|json` writes around what it lists.
fn is_list_kind(kind: &str) -> bool {
    kind.ends_with("List")
}

/// True when a YAML document says at its top level (a `kind:` line at the first column)
/// that it is a List, so its entries can be handed out as they are read: `kubectl` writes
/// `kind` after `items`, so the parser cannot wait for it. A document that only looks like
/// one still reads correctly; its entries are just also audited as objects.
fn declares_list_kind(text: &str) -> bool {
    text.lines().any(|line| {
        line.strip_prefix("kind:").is_some_and(|value| {
            let value = value.split(" #").next().unwrap_or_default().trim();
            is_list_kind(value.trim_matches(['"', '\'']))
        })
    })
}

/// A JSON List, one entry at a time (see [`json`]).
fn load_json_list<T>(file: &Arc<str>, text: &str, line: u32, sink: &mut Sink<'_, T>) {
    let lines = json::item_lines(text);
    let streamed = json::stream_items(text, &mut |i, item| {
        let item_line = lines.get(i).copied().unwrap_or(line);
        sink.object(file, item, item_line, format!("/items/{i}"));
    });
    if let Err(e) = streamed {
        sink.error(file, Some(e.line() as u32), format!("invalid JSON: {e}"));
    }
}

fn add_document<T>(
    file: &Arc<str>,
    value: Value,
    line: u32,
    item_lines: &[u32],
    sink: &mut Sink<'_, T>,
) {
    match value {
        Value::Null => {}
        Value::Object(map) => {
            let is_list = map
                .get("kind")
                .and_then(Value::as_str)
                .is_some_and(is_list_kind)
                && map.get("items").is_some_and(Value::is_array);
            if is_list {
                // Lists are streamed; a list left here was empty or read as a whole.
                let Some(Value::Array(items)) =
                    map.into_iter().find(|(k, _)| k == "items").map(|(_, v)| v)
                else {
                    return;
                };
                for (i, item) in items.into_iter().enumerate() {
                    let item_line = item_lines.get(i).copied().unwrap_or(line);
                    sink.object(file, item, item_line, format!("/items/{i}"));
                }
            } else {
                sink.object(file, Value::Object(map), line, String::new());
            }
        }
        Value::Array(items) if items.iter().all(Value::is_object) => {
            for (i, item) in items.into_iter().enumerate() {
                sink.object(file, item, line, format!("/{i}"));
            }
        }
        other => sink.error(
            file,
            Some(line),
            format!(
                "document is a {}, not a Kubernetes object",
                json_type(&other)
            ),
        ),
    }
}

fn json_type(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "list",
        Value::Object(_) => "mapping",
    }
}

fn error_at(file: &str, line: Option<u32>, message: String) -> LoadError {
    LoadError {
        file: file.to_string(),
        line,
        message,
        pointer: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn oversized_files_are_refused_and_the_rest_is_read() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("big.yaml"),
            format!(
                "kind: ConfigMap\nmetadata: {{name: big}}\ndata: {{x: '{}'}}\n",
                "a".repeat(4000)
            ),
        )
        .unwrap();
        std::fs::write(
            dir.path().join("small.yaml"),
            "kind: Pod\nmetadata: {name: small}\n",
        )
        .unwrap();
        let loaded = load_paths_limited(&[dir.path().to_path_buf()], 2048);
        assert_eq!(loaded.objects.len(), 1);
        assert_eq!(loaded.errors.len(), 1);
        assert!(
            loaded.errors[0]
                .message
                .starts_with("file is 4.0 KiB, over the 2.0 KiB limit"),
            "{}",
            loaded.errors[0]
        );
    }

    #[test]
    fn kubectl_lists_keep_entry_lines_and_entries_before_an_error() {
        let mut loaded = Loaded::default();
        let yaml = "apiVersion: v1\nitems:\n- kind: Pod\n  metadata: {name: a}\n- kind: Pod\n  metadata: {name: b}\n- kind: [\nkind: List\n";
        load_text("dump.yaml", yaml, &mut loaded);
        let json = "{\n\"apiVersion\": \"v1\",\n\"items\": [\n{\"kind\": \"Pod\"},\n\n{\"kind\": \"Pod\"}\n],\n\"kind\": \"PodList\"}\n";
        load_text("dump.json", json, &mut loaded);
        let places: Vec<_> = loaded
            .objects
            .iter()
            .map(|o| format!("{}:{}{}", o.origin.file, o.origin.line, o.origin.pointer))
            .collect();
        assert_eq!(
            places,
            [
                "dump.yaml:3/items/0",
                "dump.yaml:5/items/1",
                "dump.json:4/items/0",
                "dump.json:6/items/1"
            ]
        );
        assert_eq!(loaded.errors.len(), 1, "{:?}", loaded.errors);
        assert!(
            loaded.errors[0]
                .to_string()
                .starts_with("dump.yaml:8: invalid YAML")
        );
    }

    #[test]
    fn reads_lists_json_and_reports_bad_documents() {
        let mut loaded = Loaded::default();
        let yaml = "apiVersion: v1\nkind: List\nitems:\n- kind: Pod\n  metadata: {name: a}\n- kind: Pod\n  metadata: {name: b}\n---\nkind: [\n---\n- 1\n";
        load_text("x.yaml", yaml, &mut loaded);
        load_text(
            "y.json",
            "{\"kind\": \"Pod\", \"metadata\": {\"name\": \"c\"}}",
            &mut loaded,
        );
        load_text("z.json", "{\"kind\": ", &mut loaded);
        let names: Vec<_> = loaded
            .objects
            .iter()
            .map(|o| o.value["metadata"]["name"].as_str().unwrap())
            .collect();
        assert_eq!(names, ["a", "b", "c"]);
        assert_eq!(loaded.objects[1].origin.line, 6);
        assert_eq!(loaded.objects[1].origin.pointer, "/items/1");
        let msgs: Vec<String> = loaded.errors.iter().map(|e| e.to_string()).collect();
        assert_eq!(msgs.len(), 3, "{msgs:?}");
        assert!(msgs[0].starts_with("x.yaml:10: invalid YAML"), "{msgs:?}");
        assert!(msgs[1].contains("not a Kubernetes object"), "{msgs:?}");
        assert!(msgs[2].starts_with("z.json:1: invalid JSON"), "{msgs:?}");
    }
}
