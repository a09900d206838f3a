//! Parsing JSON-lines logs on every core. Parsing is most of the work; the detections need
//! events in order and keep state, so they stay on the calling thread: chunks of whole lines
//! go to parsing threads and come back in order. A followed log's lines go through the
//! same parsing and delivery one at a time.

use super::event::AuditEvent;
use super::reader::{Json, Place, Stats, Window};
use std::collections::BTreeMap;
use std::io::BufRead;
use std::sync::mpsc;
use std::sync::{Arc, Mutex};

/// Bytes per chunk (rounded up to the end of a line).
const CHUNK: usize = 4 << 20;

/// How many threads parse: `KAUDIT_THREADS`, else the cores, at most 8.
pub fn threads() -> usize {
    std::env::var("KAUDIT_THREADS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
        .clamp(1, 8)
}

enum Parsed {
    Blank,
    TooLong(usize),
    /// Boxed: an event is large, and lines are moved around in batches.
    Json(Box<Json>),
    Bad(String),
}

struct Line {
    bytes: usize,
    parsed: Parsed,
}

/// Reads the rest of `reader` (after line `line_no`), parsing on `threads` threads and
/// delivering events in file order. Returns an error message when reading failed midway
/// (what came before it was delivered).
pub fn read_rest(
    name: &str,
    reader: &mut dyn BufRead,
    mut line_no: u64,
    threads: usize,
    window: &Window,
    stats: &mut Stats,
    on_event: &mut impl FnMut(&AuditEvent, Place<'_>),
) -> Result<(), std::io::Error> {
    let (work_tx, work_rx) = mpsc::sync_channel::<Work>(threads * 2);
    let work_rx = Arc::new(Mutex::new(work_rx));
    // Parsed lines come back with the chunk's buffer, which is reused: fresh 4 MiB buffers
    // would each cost the kernel a page-zeroing.
    let (done_tx, done_rx) = mpsc::channel::<(usize, Vec<Line>, Vec<u8>)>();
    std::thread::scope(|scope| {
        for _ in 0..threads {
            let work_rx = work_rx.clone();
            let done_tx = done_tx.clone();
            scope.spawn(move || {
                loop {
                    let next = work_rx
                        .lock()
                        .map_err(|_| ())
                        .and_then(|rx| rx.recv().map_err(|_| ()));
                    match next {
                        Ok(Work::Parse(index, chunk)) => {
                            let lines = parse_chunk(&chunk);
                            if done_tx.send((index, lines, chunk)).is_err() {
                                return;
                            }
                        }
                        Ok(Work::Free(lines)) => drop(lines),
                        Err(()) => return,
                    }
                }
            });
        }
        drop(done_tx);
        let mut pending: BTreeMap<usize, Vec<Line>> = BTreeMap::new();
        let (mut sent, mut delivered) = (0usize, 0usize);
        let mut carry = Vec::new();
        let mut spare: Vec<Vec<u8>> = Vec::new();
        let mut eof = false;
        let mut failure = None;
        loop {
            // Keep the parsers busy, a few chunks ahead.
            while !eof && sent - delivered < threads * 2 {
                // Sized for a chunk and the read that ends it: growing a buffer of
                // megabytes copies it and faults in fresh pages each time.
                let buffer = spare
                    .pop()
                    .unwrap_or_else(|| Vec::with_capacity(CHUNK + (2 << 20)));
                match next_chunk(reader, &mut carry, buffer) {
                    Ok(Some(chunk)) => {
                        if work_tx.send(Work::Parse(sent, chunk)).is_err() {
                            eof = true;
                            break;
                        }
                        sent += 1;
                    }
                    Ok(None) => eof = true,
                    Err(e) => {
                        failure = Some(e);
                        eof = true;
                    }
                }
            }
            if delivered == sent {
                break;
            }
            let Ok((index, lines, buffer)) = done_rx.recv() else {
                break;
            };
            spare.push(buffer);
            pending.insert(index, lines);
            while let Some(lines) = pending.remove(&delivered) {
                delivered += 1;
                for line in &lines {
                    line_no += 1;
                    deliver(name, line_no, line, window, stats, on_event);
                }
                // Freed where they were made: memory goes back to the thread that
                // allocated it without the cost of a free from another thread.
                if let Err(mpsc::SendError(Work::Free(lines))) = work_tx.send(Work::Free(lines)) {
                    drop(lines);
                }
            }
        }
        drop(work_tx);
        match failure {
            Some(e) => Err(e),
            None => Ok(()),
        }
    })
}

enum Work {
    /// Parse chunk number .0.
    Parse(usize, Vec<u8>),
    /// Delivered lines, to free.
    Free(Vec<Line>),
}

fn deliver(
    name: &str,
    line_no: u64,
    line: &Line,
    window: &Window,
    stats: &mut Stats,
    on_event: &mut impl FnMut(&AuditEvent, Place<'_>),
) {
    stats.lines += 1;
    stats.bytes += line.bytes as u64;
    match &line.parsed {
        Parsed::Blank => {}
        Parsed::Json(json) => super::reader::deliver_json(
            json,
            Place {
                file: name,
                line: line_no,
            },
            window,
            stats,
            on_event,
        ),
        Parsed::TooLong(n) => stats.line_too_long(name, line_no, *n),
        Parsed::Bad(message) => {
            stats.malformed += 1;
            stats.problem(name, Some(line_no), message.clone());
        }
    }
}

fn parse_chunk(chunk: &[u8]) -> Vec<Line> {
    let mut lines = Vec::with_capacity(chunk.len() / 512);
    let mut start = 0;
    for end in memchr::memchr_iter(b'\n', chunk) {
        lines.push(line_of(&chunk[start..=end]));
        start = end + 1;
    }
    if start < chunk.len() {
        lines.push(line_of(&chunk[start..]));
    }
    lines
}

fn line_of(line: &[u8]) -> Line {
    let parsed = parse_line(line);
    Line {
        // A skipped line counts with its real length, not its marker's.
        bytes: match parsed {
            Parsed::TooLong(n) => n,
            _ => line.len(),
        },
        parsed,
    }
}

/// One complete line of a followed log (`--follow`), parsed and delivered on the spot, as
/// the lines of a chunk are.
pub(crate) fn deliver_one(
    name: &str,
    line_no: u64,
    line: &[u8],
    window: &Window,
    stats: &mut Stats,
    on_event: &mut impl FnMut(&AuditEvent, Place<'_>),
) {
    deliver(name, line_no, &line_of(line), window, stats, on_event);
}

/// Stands in for a line too long to keep: the marker, then its length.
const TOO_LONG: &[u8] = b"\0too-long:";

fn parse_line(line: &[u8]) -> Parsed {
    if let Some(n) = line.strip_prefix(TOO_LONG) {
        let n = std::str::from_utf8(n.trim_ascii())
            .ok()
            .and_then(|n| n.parse().ok());
        return Parsed::TooLong(n.unwrap_or(0));
    }
    if line.len() > super::reader::MAX_LINE {
        return Parsed::TooLong(line.len());
    }
    let text = line.trim_ascii();
    if text.is_empty() {
        return Parsed::Blank;
    }
    match super::reader::parse_json_line(text) {
        Ok(json) => Parsed::Json(Box::new(json)),
        Err(e) => Parsed::Bad(format!("not JSON: {e}")),
    }
}

/// The next run of whole lines, about [`CHUNK`] bytes; `None` at the end. A last line
/// without a newline is a line too. A line longer than the limit is not kept: a marker
/// with its length takes its place, so memory stays bounded.
fn next_chunk(
    reader: &mut dyn BufRead,
    carry: &mut Vec<u8>,
    mut chunk: Vec<u8>,
) -> std::io::Result<Option<Vec<u8>>> {
    chunk.clear();
    chunk.append(carry);
    let limit = super::reader::MAX_LINE;
    loop {
        let available = reader.fill_buf()?;
        if available.is_empty() {
            return Ok((!chunk.is_empty()).then_some(chunk));
        }
        let n = available.len();
        let newline = memchr::memchr(b'\n', available);
        let line_start = memchr::memrchr(b'\n', &chunk).map_or(0, |i| i + 1);
        if chunk.len() - line_start + newline.unwrap_or(n) > limit {
            // The current line is too long: drop it as it streams by.
            let mut skipped = (chunk.len() - line_start) as u64;
            chunk.truncate(line_start);
            loop {
                let available = reader.fill_buf()?;
                if available.is_empty() {
                    break;
                }
                match memchr::memchr(b'\n', available) {
                    Some(i) => {
                        skipped += i as u64 + 1;
                        reader.consume(i + 1);
                        break;
                    }
                    None => {
                        skipped += available.len() as u64;
                        let n = available.len();
                        reader.consume(n);
                    }
                }
            }
            chunk.extend_from_slice(TOO_LONG);
            chunk.extend_from_slice(format!("{skipped}\n").as_bytes());
            continue;
        }
        if chunk.len() + n < CHUNK {
            chunk.extend_from_slice(available);
            reader.consume(n);
            continue;
        }
        match newline {
            Some(i) => {
                chunk.extend_from_slice(&available[..=i]);
                reader.consume(i + 1);
                return Ok(Some(chunk));
            }
            None => {
                chunk.extend_from_slice(available);
                reader.consume(n);
            }
        }
    }
}
