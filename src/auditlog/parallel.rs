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

/// Bytes per chunk buffer (a chunk ends at the last newline in it).
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
/// delivering events in file order. When reading fails midway, what came before was
/// delivered and the error comes back with the number of the line it stopped at.
///
/// Three kinds of thread: one reads the file (or gunzips it) into chunk buffers, the
/// parsers turn chunks into events, and the calling thread runs the rules in order. The
/// rules are the one part that cannot be shared, so that thread does nothing else.
pub fn read_rest(
    name: &str,
    reader: &mut (dyn BufRead + Send),
    mut line_no: u64,
    threads: usize,
    window: &Window,
    stats: &mut Stats,
    on_event: &mut impl FnMut(&AuditEvent, Place<'_>),
) -> Result<(), (std::io::Error, u64)> {
    // Chunk buffers in circulation: each is being read, parsed or delivered. Their number
    // bounds memory; a buffer goes back to the reading thread once its chunk is delivered.
    let buffers = threads * 2 + 2;
    std::thread::scope(|scope| {
        // Every channel end lives in this closure or a thread of it: should the rules
        // panic, unwinding drops them, the other threads see their channels close and
        // end, and the panic goes on instead of leaving the scope waiting for them.
        let (work_tx, work_rx) = mpsc::sync_channel::<(usize, Vec<u8>, usize)>(buffers);
        let work_rx = Arc::new(Mutex::new(work_rx));
        let (spare_tx, spare_rx) = mpsc::channel::<Vec<u8>>();
        let (done_tx, done_rx) = mpsc::channel::<ParsedChunk>();
        // Delivered lines go back to the thread that parsed them, to be freed there:
        // memory freed by the thread that allocated it is reused at once; freed by
        // another, it waits to be collected while fresh pages are faulted in.
        let mut free_txs = Vec::new();
        let reading = scope.spawn(move || -> std::io::Result<()> {
            let mut carry = Vec::new();
            let mut failure = None;
            let mut made = 0;
            let mut index = 0;
            loop {
                let buffer = match spare_rx.try_recv() {
                    Ok(buffer) => buffer,
                    Err(_) if made < buffers => {
                        made += 1;
                        Vec::new()
                    }
                    Err(_) => match spare_rx.recv() {
                        Ok(buffer) => buffer,
                        // The delivering side is gone: nothing more to do.
                        Err(_) => return Ok(()),
                    },
                };
                match next_chunk(reader, &mut carry, &mut failure, buffer)? {
                    Some((chunk, filled)) => {
                        if work_tx.send((index, chunk, filled)).is_err() {
                            return Ok(());
                        }
                    }
                    None => return Ok(()),
                }
                index += 1;
            }
        });
        for worker in 0..threads {
            let work_rx = work_rx.clone();
            let done_tx = done_tx.clone();
            let (free_tx, free_rx) = mpsc::channel::<Vec<Line>>();
            free_txs.push(free_tx);
            scope.spawn(move || {
                loop {
                    while let Ok(lines) = free_rx.try_recv() {
                        drop(lines);
                    }
                    let next = work_rx
                        .lock()
                        .map_err(|_| ())
                        .and_then(|rx| rx.recv().map_err(|_| ()));
                    let Ok((index, chunk, filled)) = next else {
                        break;
                    };
                    let lines = parse_chunk(&chunk[..filled]);
                    let parsed = ParsedChunk {
                        index,
                        worker,
                        lines,
                        chunk,
                    };
                    if done_tx.send(parsed).is_err() {
                        break;
                    }
                }
                // Done parsing: let the delivering thread see the end, then free the
                // last deliveries until it is done.
                drop(done_tx);
                for lines in free_rx {
                    drop(lines);
                }
            });
        }
        drop(done_tx);
        drop(work_rx);
        // Chunks come back in any order; they are delivered in file order.
        let mut pending: BTreeMap<usize, ParsedChunk> = BTreeMap::new();
        let mut delivered = 0usize;
        // Ends when the reading thread has stopped and every parser has finished.
        for parsed in done_rx {
            pending.insert(parsed.index, parsed);
            while let Some(chunk) = pending.remove(&delivered) {
                delivered += 1;
                for line in &chunk.lines {
                    line_no += 1;
                    deliver(name, line_no, line, window, stats, on_event);
                }
                // A worker that has stopped: the send fails and the lines are dropped here.
                let _ = free_txs[chunk.worker].send(chunk.lines);
                let mut buffer = chunk.chunk;
                // A buffer grown for a long line goes back to the usual size.
                if buffer.len() > CHUNK {
                    buffer.truncate(CHUNK);
                    buffer.shrink_to_fit();
                }
                let _ = spare_tx.send(buffer);
            }
        }
        drop(spare_tx);
        free_txs.clear();
        reading
            .join()
            .unwrap_or_else(|_| Err(std::io::Error::other("the reading thread failed")))
            .map_err(|e| (e, line_no + 1))
    })
}

/// A parsed chunk, back from worker `worker`.
struct ParsedChunk {
    index: usize,
    worker: usize,
    lines: Vec<Line>,
    chunk: Vec<u8>,
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

/// Reads the next run of whole lines into `buffer` (kept at full length, so that the file
/// is read straight into it: no zeroing, no second copy out of the reader's own buffer).
/// Returns the buffer and how many of its bytes are lines; `None` at the end. The start
/// of a line that did not fit is left in `carry` for the next chunk; a last line without
/// a newline is a line too. A read error after whole lines is kept in `failure` and
/// returned by the next call, once those lines are out. A line longer than the limit is not kept: a marker with its
/// length takes its place, so memory stays bounded.
fn next_chunk(
    reader: &mut dyn BufRead,
    carry: &mut Vec<u8>,
    failure: &mut Option<std::io::Error>,
    mut buffer: Vec<u8>,
) -> std::io::Result<Option<(Vec<u8>, usize)>> {
    if let Some(e) = failure.take() {
        return Err(e);
    }
    let limit = super::reader::MAX_LINE;
    let wanted = CHUNK.max(carry.len() * 2).min(limit + 1);
    if buffer.len() < wanted {
        buffer.resize(wanted, 0);
    }
    let mut filled = carry.len();
    buffer[..filled].copy_from_slice(carry);
    carry.clear();
    loop {
        if filled == buffer.len() {
            match memchr::memrchr(b'\n', &buffer[..filled]) {
                Some(end) => {
                    carry.extend_from_slice(&buffer[end + 1..filled]);
                    return Ok(Some((buffer, end + 1)));
                }
                // One line fills the buffer and is over the limit.
                None if filled > limit => {
                    let skipped = filled as u64 + skip_line(reader)?;
                    let mut marker = TOO_LONG.to_vec();
                    marker.extend_from_slice(format!("{skipped}\n").as_bytes());
                    buffer[..marker.len()].copy_from_slice(&marker);
                    filled = marker.len();
                }
                // A long line: room for it, up to the limit.
                None => buffer.resize((buffer.len() * 2).min(limit + 1), 0),
            }
        }
        let n = match reader.read(&mut buffer[filled..]) {
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => {
                // The whole lines read before the failure are delivered first (the
                // partial one after them is lost, as it is read one line at a time).
                return match memchr::memrchr(b'\n', &buffer[..filled]) {
                    Some(end) => {
                        *failure = Some(e);
                        Ok(Some((buffer, end + 1)))
                    }
                    None => Err(e),
                };
            }
        };
        if n == 0 {
            return Ok((filled > 0).then_some((buffer, filled)));
        }
        filled += n;
    }
}

/// Consumes the rest of the current line, newline included, without keeping it; its length.
fn skip_line(reader: &mut dyn BufRead) -> std::io::Result<u64> {
    let mut skipped = 0u64;
    loop {
        let available = reader.fill_buf()?;
        if available.is_empty() {
            return Ok(skipped);
        }
        match memchr::memchr(b'\n', available) {
            Some(i) => {
                reader.consume(i + 1);
                return Ok(skipped + i as u64 + 1);
            }
            None => {
                let n = available.len();
                skipped += n as u64;
                reader.consume(n);
            }
        }
    }
}
