//! Reading audit logs: files, folders and globs; JSON lines, gzip, rotated sets in time order,
//! webhook `EventList` batches, single-event JSON or YAML files. Streaming with bounded memory:
//! one line at a time, lines over a limit skipped. Nothing is fatal: a malformed line, a
//! truncated gzip or an unreadable file is counted and reported with file and line.

use super::event::AuditEvent;
use crate::time::parse_rfc3339;
use serde_json::Value;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

/// Lines longer than this are skipped (and reported), never held in memory.
pub const MAX_LINE: usize = 16 * 1024 * 1024;
/// Whole-document files (pretty JSON, YAML) larger than this are refused.
pub const MAX_DOCUMENT: u64 = 256 * 1024 * 1024;
/// Problems kept with their place; beyond this only counted.
pub const MAX_PROBLEMS: usize = 200;

/// Where an event was read.
#[derive(Debug, Clone, Copy)]
pub struct Place<'a> {
    pub file: &'a str,
    pub line: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Problem {
    pub file: String,
    pub line: Option<u64>,
    pub message: String,
}

/// What reading found, besides the events.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct Stats {
    pub files: u64,
    pub bytes: u64,
    pub lines: u64,
    pub events: u64,
    pub outside_window: u64,
    /// Well-formed JSON that is not an audit event.
    pub not_events: u64,
    pub malformed: u64,
    pub problems: Vec<Problem>,
    pub problems_dropped: u64,
    /// Timeline, identities and denied requests.
    pub activity: super::activity::Activity,
}

impl Stats {
    /// A line over [`MAX_LINE`], skipped.
    pub(crate) fn line_too_long(&mut self, file: &str, line: u64, bytes: usize) {
        self.malformed += 1;
        self.problem(
            file,
            Some(line),
            format!(
                "line of {bytes} bytes is longer than {} MiB; skipped",
                MAX_LINE >> 20
            ),
        );
    }

    pub(crate) fn problem(&mut self, file: &str, line: Option<u64>, message: String) {
        if self.problems.len() < MAX_PROBLEMS {
            self.problems.push(Problem {
                file: file.to_string(),
                line,
                message,
            });
        } else {
            self.problems_dropped += 1;
        }
    }
}

/// `--since` / `--until`: events outside are skipped (counted).
#[derive(Debug, Clone, Copy, Default)]
pub struct Window {
    pub since: Option<(i64, u32)>,
    pub until: Option<(i64, u32)>,
}

impl Window {
    fn contains(&self, event: &AuditEvent) -> bool {
        if self.since.is_none() && self.until.is_none() {
            return true;
        }
        match event.time().and_then(parse_rfc3339) {
            Some(t) => self.since.is_none_or(|s| t >= s) && self.until.is_none_or(|u| t < u),
            None => false,
        }
    }
}

/// Reads every event under `paths`, calling `on_event` for each one inside the window.
/// Big files are parsed on `threads` threads (`None`: [`super::parallel::threads`]).
pub fn read(
    paths: &[PathBuf],
    window: &Window,
    threads: Option<usize>,
    mut on_event: impl FnMut(&AuditEvent, Place<'_>),
) -> Stats {
    let mut stats = Stats::default();
    for file in super::files::expand(paths, &mut stats) {
        read_file(&file, window, threads, &mut stats, &mut on_event);
    }
    stats
}

/// Opens a log file, unpacking gzip when its first bytes say so.
pub fn open(path: &Path) -> std::io::Result<Box<dyn BufRead + Send>> {
    let mut file = std::fs::File::open(path)?;
    let mut magic = [0u8; 2];
    let n = file.read(&mut magic)?;
    let file = std::fs::File::open(path)?;
    if n == 2 && magic == [0x1f, 0x8b] {
        Ok(Box::new(BufReader::with_capacity(
            1 << 20,
            flate2::read::MultiGzDecoder::new(BufReader::new(file)),
        )))
    } else {
        Ok(Box::new(BufReader::with_capacity(1 << 20, file)))
    }
}

/// The raw event of a finding, for drill-down: line `line` (1-based) of `file` (plain or
/// gzipped), pretty-printed. In a webhook batch, the event with `audit_id`.
pub fn raw_event(file: &str, line: u64, audit_id: &str) -> Result<Vec<String>, String> {
    let reader = open(Path::new(file)).map_err(|e| format!("cannot read {file}: {e}"))?;
    raw_event_in(reader, file, line, audit_id)
}

/// [`raw_event`] from an opened log (`file` names it in messages).
pub fn raw_event_in(
    mut reader: impl BufRead,
    file: &str,
    line: u64,
    audit_id: &str,
) -> Result<Vec<String>, String> {
    let mut buf = Vec::new();
    for n in 1..=line {
        buf.clear();
        let (read, _) =
            read_line(&mut reader, &mut buf).map_err(|e| format!("cannot read {file}: {e}"))?;
        if read == 0 {
            return Err(format!("{file} has only {} lines now", n - 1));
        }
    }
    let text = String::from_utf8_lossy(&buf);
    let value: serde_json::Value = serde_json::from_str(text.trim())
        .map_err(|e| format!("{file}:{line} is no longer the event it was: {e}"))?;
    let id_of = |v: &serde_json::Value| {
        v.get("auditID")
            .and_then(serde_json::Value::as_str)
            .map(str::to_string)
    };
    let mut event = match value.get("items").and_then(serde_json::Value::as_array) {
        Some(items) => items
            .iter()
            .find(|i| id_of(i).as_deref() == Some(audit_id))
            .cloned()
            .unwrap_or(value),
        None => value,
    };
    // A rotated or rewritten log may hold another event at that line now.
    if !audit_id.is_empty() && id_of(&event).is_some_and(|id| id != audit_id) {
        return Err(format!(
            "{file}:{line} now holds another event (the log was rotated or rewritten since it was read)"
        ));
    }
    super::redact::secrets(&mut event);
    let pretty = serde_json::to_string_pretty(&event).map_err(|e| e.to_string())?;
    Ok(pretty.lines().map(str::to_string).collect())
}

/// Reads a log held in memory (the embedded demo's), under the given name.
pub fn read_bytes(
    name: &str,
    bytes: &[u8],
    window: &Window,
    mut on_event: impl FnMut(&AuditEvent, Place<'_>),
) -> Stats {
    let mut stats = Stats::default();
    let yaml = name.ends_with(".yaml") || name.ends_with(".yml");
    read_stream(
        name.to_string(),
        Box::new(bytes),
        yaml,
        1,
        window,
        &mut stats,
        &mut on_event,
    );
    stats
}

pub(crate) fn read_file(
    path: &Path,
    window: &Window,
    threads: Option<usize>,
    stats: &mut Stats,
    on_event: &mut impl FnMut(&AuditEvent, Place<'_>),
) {
    let name = path.display().to_string();
    let reader = match open(path) {
        Ok(r) => r,
        Err(e) => return stats.problem(&name, None, format!("cannot read: {e}")),
    };
    let yaml = matches!(
        path.extension().and_then(|e| e.to_str()),
        Some("yaml" | "yml")
    );
    // Parsing threads pay off for big files only (compressed size for gzip).
    let big = std::fs::metadata(path).is_ok_and(|m| m.len() >= PARALLEL_FROM);
    let parallel = if big && !yaml {
        threads.map_or_else(super::parallel::threads, |n| n.clamp(1, 8))
    } else {
        1
    };
    read_stream(name, reader, yaml, parallel, window, stats, on_event);
}

/// Files from this size on are parsed on every core.
const PARALLEL_FROM: u64 = 8 << 20;

/// One line (or document) of JSON: the common case first, one event parsed straight into its
/// type; a webhook batch as `{kind, items: [raw JSON]}`, each item parsed once into an event.
pub(crate) fn parse_json_line(text: &[u8]) -> Result<Json, serde_json::Error> {
    let event = super::fastparse::any_kind(text)
        .or_else(|| serde_json::from_slice::<AuditEvent>(text).ok());
    if let Some(event) = event
        && event.kind.as_deref() != Some("EventList")
    {
        return Ok(Json::Event(event.prepared()));
    }
    if let Ok(batch) = serde_json::from_slice::<Batch<'_>>(text)
        && batch.kind.as_deref() == Some("EventList")
    {
        return Ok(Json::Batch(batch.items.map(|items| {
            items
                .iter()
                .map(|item| serde_json::from_str::<AuditEvent>(item.get()))
                .map(|event| event.map(AuditEvent::prepared).map_err(|e| e.to_string()))
                .collect()
        })));
    }
    // JSON that does not read as an event (a field of the wrong type), or not JSON at all.
    match serde_json::from_slice::<AuditEvent>(text) {
        Ok(event) => Ok(Json::Event(event.prepared())),
        Err(e) if e.is_data() => Ok(Json::NotEvent(e.to_string())),
        Err(e) => Err(e),
    }
}

/// A webhook batch (`kind: EventList`), its events left as raw JSON.
#[derive(serde::Deserialize)]
struct Batch<'a> {
    #[serde(borrow, default)]
    kind: Option<std::borrow::Cow<'a, str>>,
    #[serde(borrow, default)]
    items: Option<Vec<&'a serde_json::value::RawValue>>,
}

pub(crate) fn deliver_json(
    json: &Json,
    place: Place<'_>,
    window: &Window,
    stats: &mut Stats,
    on_event: &mut impl FnMut(&AuditEvent, Place<'_>),
) {
    match json {
        Json::Event(event) => deliver_event(event, place, window, stats, on_event),
        Json::Batch(None) => stats.not_events += 1,
        Json::Batch(Some(items)) => {
            for item in items {
                match item {
                    Ok(event) => deliver_event(event, place, window, stats, on_event),
                    Err(e) => not_an_event(e, place, stats),
                }
            }
        }
        Json::NotEvent(e) => not_an_event(e, place, stats),
    }
}

fn not_an_event(error: &str, place: Place<'_>, stats: &mut Stats) {
    stats.malformed += 1;
    stats.problem(
        place.file,
        Some(place.line),
        format!("not an audit event: {error}"),
    );
}

fn read_failure(e: &std::io::Error) -> &'static str {
    if e.kind() == std::io::ErrorKind::UnexpectedEof {
        "truncated gzip"
    } else {
        "read error"
    }
}

/// Reads one stream; `parallel` > 1 parses a JSON-lines stream on that many threads after
/// its first line.
fn read_stream(
    name: String,
    mut reader: Box<dyn BufRead + Send + '_>,
    yaml: bool,
    parallel: usize,
    window: &Window,
    stats: &mut Stats,
    on_event: &mut impl FnMut(&AuditEvent, Place<'_>),
) {
    stats.files += 1;
    let mut buf = Vec::with_capacity(64 * 1024);
    let mut line_no = 0u64;
    let mut first = true;
    // A file that starts with lines that are not JSON is not an audit log (a README in a
    // log folder): one problem for the file, not one per line.
    let mut leading_garbage = Vec::new();
    let mut seen_json = false;
    // Lines read ahead (to tell a cut first line from a pretty-printed document), still to
    // be processed.
    let mut pending: std::collections::VecDeque<Vec<u8>> = Default::default();
    loop {
        buf.clear();
        let next = match pending.pop_front() {
            Some(line) => {
                buf.extend_from_slice(&line);
                Ok((line.len(), false))
            }
            None => read_line(&mut reader, &mut buf),
        };
        let (read, too_long) = match next {
            Ok(r) => r,
            Err(e) => {
                stats.malformed += 1;
                stats.problem(
                    &name,
                    Some(line_no + 1),
                    format!(
                        "{}: {e}; events before this point were read",
                        read_failure(&e)
                    ),
                );
                return;
            }
        };
        if read == 0 {
            flush_garbage(&name, &mut leading_garbage, stats);
            return;
        }
        line_no += 1;
        stats.bytes += read as u64;
        stats.lines += 1;
        if too_long {
            stats.line_too_long(&name, line_no, read);
            continue;
        }
        let text = trim(&buf);
        if text.is_empty() {
            continue;
        }
        let mut whole_document = first
            && (yaml || (matches!(text.first(), Some(b'{' | b'[')) && !is_complete_json(text)));
        if whole_document && !yaml {
            // An incomplete first line is the start of a pretty-printed document, unless the
            // next line is a whole JSON object: then it is a line cut short (a truncated log),
            // reported as one, and the lines after it are read.
            let (ahead, next_is_event) = read_ahead(&mut *reader);
            whole_document = !next_is_event;
            pending.extend(ahead);
        }
        if whole_document {
            // Pretty-printed JSON, YAML, an EventList over many lines: read the whole file.
            let mut rest = buf.clone();
            rest.extend(pending.drain(..).flatten());
            if let Err(e) = Read::take(&mut reader, MAX_DOCUMENT).read_to_end(&mut rest) {
                stats.malformed += 1;
                return stats.problem(&name, None, format!("read error: {e}"));
            }
            stats.bytes += (rest.len() - buf.len()) as u64;
            if rest.len() as u64 >= MAX_DOCUMENT {
                stats.malformed += 1;
                return stats.problem(
                    &name,
                    None,
                    format!(
                        "a single document over {} MiB; not read",
                        MAX_DOCUMENT >> 20
                    ),
                );
            }
            return read_document(&name, &rest, yaml, window, stats, on_event);
        }
        first = false;
        match parse_json_line(text) {
            Ok(json) => {
                seen_json = true;
                flush_garbage(&name, &mut leading_garbage, stats);
                let place = Place {
                    file: &name,
                    line: line_no,
                };
                deliver_json(&json, place, window, stats, on_event);
                // A JSON-lines log: big ones are parsed on every core from here on.
                if parallel > 1 && pending.is_empty() {
                    if let Err((e, at_line)) = super::parallel::read_rest(
                        &name,
                        &mut *reader,
                        line_no,
                        parallel,
                        window,
                        stats,
                        on_event,
                    ) {
                        stats.malformed += 1;
                        stats.problem(
                            &name,
                            Some(at_line),
                            format!(
                                "{}: {e}; events before this point were read",
                                read_failure(&e)
                            ),
                        );
                    }
                    return;
                }
            }
            Err(e) if !seen_json => {
                leading_garbage.push((line_no, format!("not JSON: {e}")));
                if leading_garbage.len() == GARBAGE_LINES {
                    stats.not_events += 1;
                    return stats.problem(&name, None, format!("not an audit log: its first {GARBAGE_LINES} lines are not JSON; skipped"));
                }
            }
            Err(e) => {
                stats.malformed += 1;
                stats.problem(&name, Some(line_no), format!("not JSON: {e}"));
            }
        }
    }
}

/// Reads lines up to the first that is not blank; returns them, and whether that one is a
/// whole JSON object (so the file is JSON lines).
fn read_ahead(reader: &mut dyn BufRead) -> (Vec<Vec<u8>>, bool) {
    let mut ahead = Vec::new();
    loop {
        let mut line = Vec::new();
        match read_line(reader, &mut line) {
            Ok((0, _)) | Err(_) => return (ahead, false),
            Ok((_, too_long)) => {
                let text = trim(&line);
                let verdict = (!text.is_empty() || too_long)
                    .then(|| !too_long && text.first() == Some(&b'{') && is_complete_json(text));
                ahead.push(line);
                if let Some(is_event) = verdict {
                    return (ahead, is_event);
                }
            }
        }
    }
}

/// One line's JSON: an event, or any other value.
// It lives on the stack for one line and is never collected, so its size costs nothing, while
// boxing the event would cost an allocation per line on the hot path.
#[allow(clippy::large_enum_variant)]
pub(crate) enum Json {
    Event(AuditEvent),
    /// A webhook batch: each item as an event or why it is not one; `None` without items.
    Batch(Option<Vec<Result<AuditEvent, String>>>),
    /// JSON that is not an audit event, and why.
    NotEvent(String),
}

fn flush_garbage(name: &str, garbage: &mut Vec<(u64, String)>, stats: &mut Stats) {
    for (line, message) in garbage.drain(..) {
        stats.malformed += 1;
        stats.problem(name, Some(line), message);
    }
}

/// Lines of non-JSON at the start of a file after which it is taken for something else.
const GARBAGE_LINES: usize = 5;

/// Whether a line holds a whole JSON value (as opposed to the start of a pretty-printed one).
fn is_complete_json(text: &[u8]) -> bool {
    match serde_json::from_slice::<serde::de::IgnoredAny>(text) {
        Ok(_) => true,
        Err(e) => !e.is_eof(),
    }
}

fn read_document(
    name: &str,
    text: &[u8],
    yaml: bool,
    window: &Window,
    stats: &mut Stats,
    on_event: &mut impl FnMut(&AuditEvent, Place<'_>),
) {
    if !yaml {
        match parse_json_line(text) {
            Ok(json) => deliver_json(
                &json,
                Place {
                    file: name,
                    line: 1,
                },
                window,
                stats,
                on_event,
            ),
            Err(e) => {
                stats.malformed += 1;
                stats.problem(name, Some(e.line() as u64), format!("not JSON: {e}"));
            }
        }
        return;
    }
    let Ok(text) = std::str::from_utf8(text) else {
        stats.malformed += 1;
        return stats.problem(name, None, "YAML file is not UTF-8".into());
    };
    for doc in crate::yaml::split_documents(text) {
        match crate::yaml::parse_document(doc) {
            Ok(Some(parsed)) => deliver(
                &parsed.value,
                Place {
                    file: name,
                    line: parsed.line as u64,
                },
                window,
                stats,
                on_event,
            ),
            Ok(None) => {}
            Err(e) => {
                stats.malformed += 1;
                stats.problem(
                    name,
                    Some(e.line as u64),
                    format!("not YAML: {}", e.message),
                );
            }
        }
    }
}

/// One JSON value: an Event, an EventList (webhook batch) or something else.
fn deliver_event(
    event: &AuditEvent,
    place: Place<'_>,
    window: &Window,
    stats: &mut Stats,
    on_event: &mut impl FnMut(&AuditEvent, Place<'_>),
) {
    if !event.is_plausible() {
        stats.not_events += 1;
    } else if window.contains(event) {
        stats.events += 1;
        on_event(event, place);
    } else {
        stats.outside_window += 1;
    }
}

/// A YAML document (a tree already): an event or a batch of them.
fn deliver(
    value: &Value,
    place: Place<'_>,
    window: &Window,
    stats: &mut Stats,
    on_event: &mut impl FnMut(&AuditEvent, Place<'_>),
) {
    let is_list = value.get("kind").and_then(Value::as_str) == Some("EventList");
    let items = if is_list {
        match value.get("items").and_then(Value::as_array) {
            Some(items) => items.as_slice(),
            None => {
                stats.not_events += 1;
                return;
            }
        }
    } else {
        std::slice::from_ref(value)
    };
    for item in items {
        // Through text: the event keeps its body as raw JSON, which a tree cannot give.
        match serde_json::from_str::<AuditEvent>(&item.to_string()) {
            Ok(event) => deliver_event(&event, place, window, stats, on_event),
            Err(e) => not_an_event(&e.to_string(), place, stats),
        }
    }
}

fn trim(buf: &[u8]) -> &[u8] {
    let start = buf
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(buf.len());
    let end = buf
        .iter()
        .rposition(|b| !b.is_ascii_whitespace())
        .map_or(start, |i| i + 1);
    &buf[start..end.max(start)]
}

/// Reads one line into `buf` (without keeping more than MAX_LINE bytes). Returns the bytes
/// consumed and whether the line was too long (then `buf` holds only its start).
fn read_line(reader: &mut dyn BufRead, buf: &mut Vec<u8>) -> std::io::Result<(usize, bool)> {
    let mut total = 0;
    loop {
        let available = reader.fill_buf()?;
        if available.is_empty() {
            return Ok((total, total > MAX_LINE));
        }
        let (used, done) = match memchr::memchr(b'\n', available) {
            Some(i) => (i + 1, true),
            None => (available.len(), false),
        };
        if buf.len() < MAX_LINE {
            let keep = used.min(MAX_LINE - buf.len());
            buf.extend_from_slice(&available[..keep]);
        }
        reader.consume(used);
        total += used;
        if done {
            return Ok((total, total > MAX_LINE));
        }
        if total > MAX_UNENDING_LINE {
            // `/dev/zero`, a binary file: skipping to the end of this "line" never ends.
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                format!(
                    "over {} MiB without a line break: not an audit log",
                    MAX_UNENDING_LINE >> 20
                ),
            ));
        }
    }
}

/// How far a line without a break is skipped before the file is given up.
const MAX_UNENDING_LINE: usize = 256 << 20;

#[cfg(test)]
mod tests {
    use super::super::files::rotation_key;
    use super::*;

    #[test]
    fn a_batch_line_reads_each_item_once_and_says_which_is_not_an_event() {
        let line = br#"{"kind":"EventList","apiVersion":"audit.k8s.io/v1","items":[{"kind":"Event","auditID":"a","verb":"get","stage":"ResponseComplete","requestURI":"/api","user":{"username":"u"},"stageTimestamp":"2026-01-01T00:00:00Z"},{"kind":"Event","auditID":5}]}"#;
        let mut seen = Vec::new();
        let stats = read_bytes("batch.log", line, &Window::default(), |e, place| {
            seen.push((e.audit_id.to_string(), place.line))
        });
        assert_eq!(seen, [("a".to_string(), 1)]);
        assert_eq!((stats.events, stats.malformed), (1, 1));
        assert!(
            stats.problems[0]
                .message
                .starts_with("not an audit event: invalid type"),
            "{:?}",
            stats.problems
        );
        let empty = read_bytes(
            "empty.log",
            br#"{"kind":"EventList"}"#,
            &Window::default(),
            |_, _| {},
        );
        assert_eq!((empty.events, empty.not_events), (0, 1));
    }

    #[test]
    fn rotation_stamps_in_any_file_name() {
        assert_eq!(
            rotation_key("audit-2024-01-02T03-04-05.678.log.gz"),
            (
                "audit.log".to_string(),
                Some("2024-01-02T03-04-05.678".to_string())
            )
        );
        // Non-ASCII names (long enough to be scanned) are names, not a panic.
        assert_eq!(rotation_key("журнал-аудита.log").1, None);
        assert_eq!(
            rotation_key("журнал-2024-01-02T03-04-05.678.log")
                .1
                .as_deref(),
            Some("2024-01-02T03-04-05.678")
        );
    }
}
