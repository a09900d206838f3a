//! `--follow`: the TUI tails the active log file as the API server writes it, and keeps
//! following when the file is rotated (renamed to `audit-<time>.log` and started anew).
//! Detections keep their state (seen requests, burst windows) across new lines.

use super::detect::AuditConfig;
use super::reader::{self, Stats, Window};
use super::{Analysis, Analyzer};
use std::io::{Read, Seek};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

/// An analysis that goes on as the logs grow.
pub struct Follower {
    window: Window,
    analysis: Analyzer,
    stats: Stats,
    tails: Vec<Tail>,
}

/// The active file of a log: where reading stopped, and which file that was.
struct Tail {
    path: PathBuf,
    name: String,
    file: Option<std::fs::File>,
    /// (device, inode) of the open file, to notice rotation.
    id: (u64, u64),
    line: u64,
    /// A last line not yet ended by a newline.
    partial: Vec<u8>,
    /// Bytes of an over-long line being skipped until its newline.
    skipping: Option<usize>,
    /// The first bytes of the file as it was read: a copy-and-truncate keeps the inode and
    /// may grow past the read position before the next poll, but starts with other bytes.
    head: Vec<u8>,
}

/// How much of a file's start identifies it.
const HEAD: usize = 256;

/// Bytes read per poll and file, so that a huge backlog does not freeze the view.
const MAX_READ: u64 = 64 << 20;

impl Follower {
    /// Reads everything under `paths` as [`super::analyze`] does; the active files (plain,
    /// without a rotation time stamp) are then followed.
    pub fn start(paths: &[PathBuf], window: &Window, config: AuditConfig) -> Follower {
        let mut f = Follower {
            window: *window,
            analysis: Analyzer::new(config),
            stats: Stats::default(),
            tails: Vec::new(),
        };
        for file in super::files::expand(paths, &mut f.stats) {
            if is_active(&file) && is_json_lines(&file) {
                f.tails.push(Tail {
                    name: file.display().to_string(),
                    path: file,
                    file: None,
                    id: (0, 0),
                    line: 0,
                    partial: Vec::new(),
                    skipping: None,
                    head: Vec::new(),
                });
            } else {
                let analysis = &mut f.analysis;
                reader::read_file(&file, window, None, &mut f.stats, &mut |event, place| {
                    analysis.observe(event, place)
                });
            }
        }
        f.poll();
        f
    }

    /// The files being followed.
    pub fn followed(&self) -> Vec<&Path> {
        self.tails.iter().map(|t| t.path.as_path()).collect()
    }

    /// Reads what was appended since the last poll; true when events arrived.
    pub fn poll(&mut self) -> bool {
        let before = self.stats.events;
        let Follower {
            window,
            analysis,
            stats,
            tails,
        } = self;
        for tail in tails.iter_mut() {
            tail.read_new(window, stats, &mut |event, place| {
                analysis.observe(event, place)
            });
        }
        self.stats.events > before
    }

    /// The analysis so far, as [`super::analyze`] returns it.
    pub fn snapshot(&self) -> Analysis {
        self.analysis.clone().finish(self.stats.clone())
    }
}

/// Followed files are JSON lines (or still empty); YAML, pretty-printed JSON or a README in
/// the folder are read once like any other file.
fn is_json_lines(path: &Path) -> bool {
    let mut head = [0u8; 256];
    let n = std::fs::File::open(path)
        .and_then(|mut f| f.read(&mut head))
        .unwrap_or(0);
    match head[..n].iter().find(|b| !b.is_ascii_whitespace()) {
        None => true,
        Some(b'{') => head[..n]
            .split(|b| *b == b'\n')
            .next()
            .is_some_and(|first| !first.trim_ascii().ends_with(b"{")),
        Some(_) => false,
    }
}

fn is_active(path: &Path) -> bool {
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
    !name.ends_with(".gz") && super::files::rotation_key(name).1.is_none()
}

impl Tail {
    fn read_new(
        &mut self,
        window: &Window,
        stats: &mut Stats,
        on_event: &mut impl FnMut(&super::event::AuditEvent, reader::Place<'_>),
    ) {
        // Rewritten in place (copy-and-truncate, then new lines): read from its start again,
        // not from where the old content ended.
        let rewritten = !self.same_start();
        // New lines of the open file (a huge backlog is taken in steps, one per poll).
        if !rewritten && let Some(bytes) = self.file.as_mut().map(file_tail) {
            self.consume(bytes, window, stats, on_event);
        }
        let Ok(meta) = std::fs::metadata(&self.path) else {
            return; // rotated away, the new file not there yet
        };
        let id = (meta.dev(), meta.ino());
        if self.file.is_some() && id != self.id {
            // Rotated: finish the old file to its end first (the API server may have
            // written its last lines before renaming it), then switch.
            while let Some(bytes) = self.file.as_mut().map(file_tail).filter(|b| !b.is_empty()) {
                self.consume(bytes, window, stats, on_event);
            }
        }
        let truncated = self
            .file
            .as_ref()
            .and_then(|f| f.stream_position_of())
            .is_some_and(|pos| id == self.id && meta.len() < pos);
        if self.file.is_none() || id != self.id || truncated || rewritten {
            match std::fs::File::open(&self.path) {
                Ok(file) => {
                    self.file = Some(file);
                    self.id = id;
                    self.line = 0;
                    self.partial.clear();
                    self.skipping = None;
                    self.head.clear();
                }
                Err(e) => {
                    return stats.problem(&self.name, None, format!("cannot follow: {e}"));
                }
            }
            if let Some(bytes) = self.file.as_mut().map(file_tail) {
                stats.files += 1;
                self.consume(bytes, window, stats, on_event);
            }
        }
    }

    /// Whether the open file still starts with the bytes read from it (the remembered start
    /// grows with the file up to [`HEAD`] bytes).
    fn same_start(&mut self) -> bool {
        use std::os::unix::fs::FileExt;
        let Some(file) = &self.file else { return true };
        let mut now = [0u8; HEAD];
        let mut n = 0;
        while n < HEAD {
            match file.read_at(&mut now[n..], n as u64) {
                Ok(0) | Err(_) => break,
                Ok(k) => n += k,
            }
        }
        let now = &now[..n];
        if now.starts_with(&self.head) {
            self.head = now.to_vec();
            true
        } else {
            false
        }
    }

    fn consume(
        &mut self,
        bytes: Vec<u8>,
        window: &Window,
        stats: &mut Stats,
        on_event: &mut impl FnMut(&super::event::AuditEvent, reader::Place<'_>),
    ) {
        let mut bytes = bytes.as_slice();
        // The rest of an over-long line: dropped up to its newline, then counted once.
        if let Some(skipped) = self.skipping.as_mut() {
            match bytes.iter().position(|b| *b == b'\n') {
                None => {
                    *skipped += bytes.len();
                    return;
                }
                Some(i) => {
                    self.line += 1;
                    stats.line_too_long(&self.name, self.line, *skipped + i + 1);
                    self.skipping = None;
                    bytes = &bytes[i + 1..];
                }
            }
        }
        self.partial.extend_from_slice(bytes);
        if let Some(end) = self.partial.iter().rposition(|b| *b == b'\n') {
            let complete: Vec<u8> = self.partial.drain(..=end).collect();
            for line in complete.split_inclusive(|b| *b == b'\n') {
                self.line += 1;
                super::parallel::deliver_one(&self.name, self.line, line, window, stats, on_event);
            }
        }
        // A line that is not done yet and already too long is not kept in memory.
        if self.partial.len() > reader::MAX_LINE {
            self.skipping = Some(self.partial.len());
            self.partial = Vec::new();
        }
    }
}

/// Everything from the file's position to its end (at most [`MAX_READ`]).
fn file_tail(file: &mut std::fs::File) -> Vec<u8> {
    let mut bytes = Vec::new();
    let _ = file.take(MAX_READ).read_to_end(&mut bytes);
    bytes
}

trait Position {
    fn stream_position_of(&self) -> Option<u64>;
}

impl Position for std::fs::File {
    fn stream_position_of(&self) -> Option<u64> {
        let mut file = self;
        file.stream_position().ok()
    }
}
