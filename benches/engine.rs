//! Engine benchmarks (issue targets): checking 10,000 workloads after parsing (< 100 ms on one
//! core), and parsing plus checking a 10,000-object manifest folder (< 1 s).
//!
//! Run with `cargo bench --bench engine`. Prints the median of several runs; the generated
//! folder is left in the printed path for comparisons with other tools (checkov).

use kaudit::checks::{self, ScanConfig};
use kaudit::engine;
use kaudit::inventory::Inventory;
use kaudit::report;
use kaudit::sources;
use std::path::Path;
use std::time::{Duration, Instant};

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[path = "common/timing.rs"]
mod timing;
use timing::median;

mod common;

use common::{TARGET, write_folder};

fn main() {
    let dir = std::env::temp_dir().join("kaudit-bench-engine-10k");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let written = write_folder(&dir);
    breakdown(&dir);
    let bytes: u64 = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().metadata().unwrap().len())
        .sum();
    println!(
        "generated {written} workload objects in 500 files ({:.1} MB) at {}",
        bytes as f64 / 1e6,
        dir.display()
    );

    // Parse once for the check-only measurement; add the demo's namespaces, RBAC and policies.
    let parsed = sources::from_manifests(std::slice::from_ref(&dir));
    assert!(parsed.errors.is_empty(), "{:?}", parsed.errors.first());
    let demo = sources::demo::inventory();
    let inv = Inventory {
        workloads: parsed.workloads,
        ..demo
    };
    assert_eq!(inv.workloads.len(), TARGET);
    let config = ScanConfig {
        allowed_registries: vec!["registry.acme.example".into()],
        ..ScanConfig::default()
    };

    if std::env::var_os("KAUDIT_BENCH_CHECKS_ONLY").is_some() {
        for _ in 0..60 {
            std::hint::black_box(checks::run_all(&inv, &config));
        }
        return;
    }
    let mut findings = 0;
    // Sixteen runs: the first pays for fresh memory; of the others, the median and the best
    // are printed (this machine is shared, and a busy neighbour shows in single runs).
    let rss_before = resident_mb();
    let mut samples: Vec<Duration> = (0..16)
        .map(|run| {
            let t = Instant::now();
            let result = checks::run_all(&inv, &config);
            let elapsed = t.elapsed();
            findings = result.0.findings.len();
            if run == 0 {
                println!(
                    "first run: resident memory {rss_before:.0} MB -> {:.0} MB",
                    resident_mb()
                );
            }
            // Freeing the results is not part of checking: it happens here, after the
            // timer, and leaves memory the next run reuses (as a scan reuses what parsing
            // freed).
            drop(result);
            elapsed
        })
        .collect();
    let cold = samples.remove(0);
    let best = samples.iter().min().copied().unwrap_or_default();
    let check = median(samples);
    println!(
        "checks only, first run in the process (fresh memory): {:.1} ms",
        cold.as_secs_f64() * 1e3
    );
    println!(
        "checks only:          {TARGET} workloads in {:>8.1} ms (median of 15, best {:.1} ms), {findings} findings  [target < 100 ms]",
        check.as_secs_f64() * 1e3,
        best.as_secs_f64() * 1e3
    );
    // Three times: the first run pays for fresh memory, the later ones show steady state.
    for _ in 0..3 {
        stages(&inv, &config);
    }

    let end_to_end = median(
        (0..5)
            .map(|_| {
                let t = Instant::now();
                let inv = sources::from_manifests(std::slice::from_ref(&dir));
                let report =
                    engine::evaluate(&inv, &config, &Default::default(), "2026-01-01", None);
                std::hint::black_box(report.findings.len());
                t.elapsed()
            })
            .collect(),
    );
    println!(
        "parse + check:        {TARGET} objects    in {:>8.1} ms (median of 5)  [target < 1000 ms]",
        end_to_end.as_secs_f64() * 1e3
    );

    let inv = sources::from_manifests(std::slice::from_ref(&dir));
    let mut report = engine::evaluate(&inv, &config, &Default::default(), "2026-01-01", None);
    let t = Instant::now();
    sources::locate::refine(
        &mut report.findings,
        &mut report.input_errors,
        &sources::locate::Disk,
    );
    let lines = t.elapsed();
    let t = Instant::now();
    let md = report::markdown::render(&report);
    let md_time = t.elapsed();
    let t = Instant::now();
    let json = report::json::render(&report);
    let json_time = t.elapsed();
    let t = Instant::now();
    let sarif = report::sarif::render(&report);
    let sarif_time = t.elapsed();
    println!(
        "field lines {:.0} ms; markdown {:.0} ms ({} KB); json {:.0} ms ({} KB); sarif {:.0} ms ({} KB)",
        lines.as_secs_f64() * 1e3,
        md_time.as_secs_f64() * 1e3,
        md.len() / 1024,
        json_time.as_secs_f64() * 1e3,
        json.len() / 1024,
        sarif_time.as_secs_f64() * 1e3,
        sarif.len() / 1024
    );
}

#[allow(dead_code)]
fn breakdown(dir: &Path) {
    let t = Instant::now();
    let loaded = kaudit::sources::manifests::load_paths(&[dir.to_path_buf()]);
    let parse = t.elapsed();
    let t = Instant::now();
    let inv = kaudit::inventory::build::from_loaded(sources::demo::inventory().source, loaded);
    println!(
        "breakdown: yaml {:.1} ms, typing {:.1} ms ({} workloads)",
        parse.as_secs_f64() * 1e3,
        t.elapsed().as_secs_f64() * 1e3,
        inv.workloads.len()
    );
}

/// Time of each stage of `run_all`, to see where checking goes.
fn stages(inv: &Inventory, config: &ScanConfig) {
    use kaudit::checks::{audited_workloads, images, network, pod_security, rbac, workload};
    use kaudit::findings::Recorder;
    use kaudit::pss::PodView;
    let mut rec = Recorder::with_capacity(inv.workloads.len() * 16);
    let t = Instant::now();
    let workloads = audited_workloads(inv);
    let views: Vec<PodView<'_>> = workloads
        .iter()
        .map(|w| PodView::new(Some(&w.template_annotations), &w.spec, false))
        .collect();
    let prep = t.elapsed();
    let t = Instant::now();
    let minor = config.pss_version.effective_minor(None);
    let verdicts: Vec<_> = workloads
        .iter()
        .zip(&views)
        .map(|(w, v)| pod_security::verdicts_of(w, v, minor))
        .collect();
    let pss_eval = t.elapsed();
    let t = Instant::now();
    pod_security::run(&verdicts, config, &mut rec);
    let pss_findings = t.elapsed();
    let t = Instant::now();
    let _ = pod_security::namespaces(inv, &verdicts, config, &mut rec);
    let ns = t.elapsed();
    let t = Instant::now();
    workload::run(inv, &workloads, &views, &mut rec);
    let wl = t.elapsed();
    let t = Instant::now();
    images::run(&workloads, &views, config, &mut rec);
    let img = t.elapsed();
    let t = Instant::now();
    let mut policies = kaudit::checks::signatures::Policies::of(inv);
    for (w, v) in workloads.iter().zip(&views) {
        kaudit::checks::signatures::check(inv, w, v, config, &mut policies, &mut rec);
    }
    let sig = t.elapsed();
    let t = Instant::now();
    network::run(inv, &workloads, &mut rec);
    rbac::run(inv, &mut rec);
    let rest = t.elapsed();
    println!(
        "stages: views {:.1}, PSS evaluation {:.1}, PSS findings {:.1}, namespaces {:.1}, workload rules {:.1}, image rules {:.1}, signature rules {:.1}, network+rbac {:.1} ms",
        prep.as_secs_f64() * 1e3,
        pss_eval.as_secs_f64() * 1e3,
        pss_findings.as_secs_f64() * 1e3,
        ns.as_secs_f64() * 1e3,
        wl.as_secs_f64() * 1e3,
        img.as_secs_f64() * 1e3,
        sig.as_secs_f64() * 1e3,
        rest.as_secs_f64() * 1e3
    );
}

/// Resident memory of this process (Linux), in MB.
fn resident_mb() -> f64 {
    std::fs::read_to_string("/proc/self/statm")
        .ok()
        .and_then(|s| s.split_whitespace().nth(1)?.parse::<f64>().ok())
        .map_or(0.0, |pages| pages * 4096.0 / 1e6)
}
