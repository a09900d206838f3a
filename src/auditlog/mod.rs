//! API server audit logs: the event model, a streaming reader and the detections.

pub mod activity;
pub mod body;
pub mod detect;
pub mod event;
pub mod falco;
mod fastparse;
pub mod files;
pub mod follow;
mod parallel;
pub mod policy;
pub mod reader;
pub mod redact;
pub mod rules;

use crate::findings::Recorder;
use std::path::PathBuf;

/// What an analysis of audit logs found: the findings with each rule's coverage, and what
/// reading met (counts, problems, the activity: timeline, identities, denials).
#[derive(Debug, Clone, Default)]
pub struct Analysis {
    pub findings: Recorder,
    pub stats: reader::Stats,
}

/// One pass over audit events as it goes: the detections' state and findings, and the
/// activity. Shared by a one-off read and `--follow`.
#[derive(Clone)]
pub struct Analyzer {
    detector: detect::Detector,
    activity: activity::Recorder,
    rec: Recorder,
}

impl Analyzer {
    pub fn new(config: detect::AuditConfig) -> Self {
        Analyzer {
            detector: detect::Detector::new(config),
            activity: activity::Recorder::default(),
            rec: Recorder::default(),
        }
    }

    pub fn observe(&mut self, event: &event::AuditEvent, place: reader::Place<'_>) {
        self.activity.observe(event, place);
        self.detector.observe(event, place, &mut self.rec);
    }

    /// The findings with each rule's coverage, and `stats` with the activity.
    pub fn finish(self, mut stats: reader::Stats) -> Analysis {
        let mut findings = self.rec;
        self.detector.finish(&mut findings);
        stats.activity = self.activity.finish(&findings.findings);
        Analysis { findings, stats }
    }
}

/// One JSON line as an event, as the reader parses it: the hand-written parser, serde_json
/// where it declines. (The benchmark compares this with other parsers.)
pub fn parse_event(text: &[u8]) -> Option<event::AuditEvent> {
    fastparse::any_kind(text).or_else(|| serde_json::from_slice(text).ok())
}

/// Reads the logs and runs every detection over them.
pub fn analyze(
    paths: &[PathBuf],
    window: &reader::Window,
    config: detect::AuditConfig,
) -> Analysis {
    analyze_on(paths, window, config, None)
}

/// [`analyze`], parsing big files on `threads` threads (`None`: `KAUDIT_THREADS`, else
/// the cores).
pub fn analyze_on(
    paths: &[PathBuf],
    window: &reader::Window,
    config: detect::AuditConfig,
    threads: Option<usize>,
) -> Analysis {
    let mut analysis = Analyzer::new(config);
    let stats = reader::read(paths, window, threads, |event, place| {
        analysis.observe(event, place)
    });
    analysis.finish(stats)
}

/// [`analyze`] for a log held in memory.
pub fn analyze_bytes(
    name: &str,
    bytes: &[u8],
    window: &reader::Window,
    config: detect::AuditConfig,
) -> Analysis {
    let mut analysis = Analyzer::new(config);
    let stats = reader::read_bytes(name, bytes, window, |event, place| {
        analysis.observe(event, place)
    });
    analysis.finish(stats)
}
