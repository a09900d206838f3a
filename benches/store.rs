//! Store benchmarks (issue targets): saving a session of 100,000 findings (< 1 s), the diff
//! of two such sessions (< 200 ms: reading the baseline's findings back and comparing), and
//! what history adds to opening the TUI (< 50 ms: decisions, baseline, trend).
//!
//! Run with `cargo bench --bench store`. Prints the median of several runs.

use kaudit::engine;
use kaudit::findings::changes::{Baseline, Changes, PastFinding};
use kaudit::report::Report;
use kaudit::session::history::{self, HistoryOptions};
use kaudit::sources;
use kaudit::store::Store;
use std::time::{Duration, Instant};

#[path = "common/timing.rs"]
mod timing;
use timing::median;

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

mod common;

const FINDINGS: usize = 100_000;

fn time<T>(runs: usize, mut f: impl FnMut() -> T) -> Duration {
    median(
        (0..runs)
            .map(|_| {
                let start = Instant::now();
                std::hint::black_box(f());
                start.elapsed()
            })
            .collect(),
    )
}

/// A report of at least 100,000 findings: the 10,000-workload folder of the engine bench,
/// its findings repeated under other ids until there are enough.
fn big_report() -> Report {
    let dir = std::env::temp_dir().join("kaudit-bench-store-10k");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    common::write_folder(&dir);
    let inv = sources::from_manifests(std::slice::from_ref(&dir));
    let config = kaudit::checks::ScanConfig::default();
    let mut report = engine::evaluate(&inv, &config, &Default::default(), "2026-01-01", None);
    let base = report.findings.clone();
    let mut round = 1u64;
    while report.findings.len() < FINDINGS {
        for f in &base {
            let mut copy = f.clone();
            copy.id = kaudit::findings::FindingId(f.id.0.rotate_left(round as u32) ^ round);
            report.findings.push(copy);
        }
        round += 1;
    }
    report.findings.truncate(FINDINGS);
    let _ = std::fs::remove_dir_all(&dir);
    report
}

/// What `kaudit scan` does: the baseline's ids read back, the diff, then (with `describe`)
/// the resolved findings described.
fn compare(store: &Store, last: i64, current: &Report, describe: bool) -> Changes {
    let past = store
        .finding_ids_of(last)
        .unwrap()
        .into_iter()
        .map(PastFinding::id_only)
        .collect();
    let baseline = Baseline {
        kind: "session",
        session: Some(last),
        file: None,
        started: None,
    };
    let mut changes = Changes::between(&current.findings, baseline, past);
    if describe {
        store
            .describe(last, &mut changes.resolved_findings)
            .unwrap();
    }
    changes
}

fn main() {
    let report = big_report();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("kaudit.db");
    let mut store = Store::open(&path).unwrap();
    let save = time(5, || {
        store
            .save_session(&report, "2026-01-01T00:00:00Z", "2026-01-01T00:00:01Z")
            .unwrap()
    });
    println!(
        "save a session of {} findings: {:.0} ms (target < 1000 ms); store {:.1} MB",
        report.findings.len(),
        save.as_secs_f64() * 1e3,
        store.size() as f64 / 1e6
    );

    let last = store
        .previous(&report.source.context, None)
        .unwrap()
        .unwrap();
    // As `kaudit scan` does: the baseline's ids, the diff, then the resolved described. A
    // tenth of the findings are gone, a tenth new.
    let mut current = report.clone();
    current.findings.truncate(FINDINGS * 9 / 10);
    let diff = time(5, || {
        let changes = compare(&store, last, &current, true);
        assert_eq!(changes.resolved.len(), FINDINGS / 10);
        changes
    });
    println!(
        "diff against the previous session (read back + compare): {:.0} ms (target < 200 ms)",
        diff.as_secs_f64() * 1e3
    );

    // The usual case: the same findings as last time, nothing resolved to describe.
    let same = time(5, || compare(&store, last, &report, false));
    println!(
        "diff when nothing changed (ids read back + compare): {:.0} ms",
        same.as_secs_f64() * 1e3
    );

    // What the TUI does with history before it shows the audit, besides the diff: open the
    // store, read the decisions and the trend.
    let options = HistoryOptions {
        store: Some(path.clone()),
        baseline: None,
    };
    let open = time(9, || {
        let mut notes = Vec::new();
        let decisions = history::decisions(&options, &report.source.context, &mut notes);
        let opened = Store::open(&path).ok();
        let trend = history::trend(opened.as_ref(), &report.source.context, 30);
        (decisions, trend)
    });
    println!(
        "history on opening (store, decisions, trend of 30): {:.1} ms (target < 50 ms, with the diff above for a 100k-finding cluster)",
        open.as_secs_f64() * 1e3
    );
}
