//! API server audit logs: the event model, a streaming reader and the detections.

pub mod activity;
pub mod detect;
pub mod event;
pub mod follow;
mod parallel;
pub mod policy;
pub mod reader;

use crate::findings::Recorder;
use std::path::PathBuf;

/// Reads the logs and runs every detection over them.
pub fn analyze(
    paths: &[PathBuf],
    window: &reader::Window,
    config: detect::AuditConfig,
) -> (Recorder, reader::Stats) {
    let mut rec = Recorder::default();
    let mut detector = detect::Detector::new(config);
    let mut activity = activity::Recorder::default();
    let mut stats = reader::read(paths, window, |event, place| {
        activity.observe(&event, place);
        detector.observe(&event, place, &mut rec)
    });
    detector.finish(&mut rec);
    stats.activity = activity.finish(&rec.findings);
    (rec, stats)
}

/// [`analyze`] for a log held in memory.
pub fn analyze_bytes(
    name: &str,
    bytes: &[u8],
    window: &reader::Window,
    config: detect::AuditConfig,
) -> (Recorder, reader::Stats) {
    let mut rec = Recorder::default();
    let mut detector = detect::Detector::new(config);
    let mut activity = activity::Recorder::default();
    let mut stats = reader::read_bytes(name, bytes, window, |event, place| {
        activity.observe(&event, place);
        detector.observe(&event, place, &mut rec)
    });
    detector.finish(&mut rec);
    stats.activity = activity.finish(&rec.findings);
    (rec, stats)
}
