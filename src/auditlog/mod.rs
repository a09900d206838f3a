//! API server audit logs: the event model, a streaming reader and the detections.

pub mod activity;
pub mod body;
pub mod detect;
pub mod event;
mod fastparse;
pub mod follow;
mod parallel;
pub mod policy;
pub mod reader;

use crate::findings::Recorder;
use std::path::PathBuf;

/// What one pass over audit events builds: the detections' state and findings, and the
/// activity (timeline, identities, denials). Shared by a one-off read and `--follow`.
#[derive(Clone)]
pub struct Analysis {
    detector: detect::Detector,
    activity: activity::Recorder,
    rec: Recorder,
}

impl Analysis {
    pub fn new(config: detect::AuditConfig) -> Self {
        Analysis {
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
    pub fn finish(self, mut stats: reader::Stats) -> (Recorder, reader::Stats) {
        let mut rec = self.rec;
        self.detector.finish(&mut rec);
        stats.activity = self.activity.finish(&rec.findings);
        (rec, stats)
    }
}

/// Reads the logs and runs every detection over them.
pub fn analyze(
    paths: &[PathBuf],
    window: &reader::Window,
    config: detect::AuditConfig,
) -> (Recorder, reader::Stats) {
    let mut analysis = Analysis::new(config);
    let stats = reader::read(paths, window, |event, place| analysis.observe(event, place));
    analysis.finish(stats)
}

/// [`analyze`] for a log held in memory.
pub fn analyze_bytes(
    name: &str,
    bytes: &[u8],
    window: &reader::Window,
    config: detect::AuditConfig,
) -> (Recorder, reader::Stats) {
    let mut analysis = Analysis::new(config);
    let stats = reader::read_bytes(name, bytes, window, |event, place| {
        analysis.observe(event, place)
    });
    analysis.finish(stats)
}
