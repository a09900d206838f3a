//! Vulnerability matching benchmark (issue target: a 500-package image against a full-size
//! database in under 20 ms after open; opening O(1)). The database is synthetic but shaped
//! like trivy.db: a `debian 12` bucket with 30,000 packages of 1-8 advisories each and a
//! `vulnerability` bucket with 100,000 details, written with kaudit's fixture writer.
//!
//! Run with `cargo bench --bench vuln`.

use kaudit::vuln::trivydb::TrivyDb;
use kaudit::vuln::{Os, Package, matcher};
use std::fmt::Write;
use std::time::{Duration, Instant};

const PACKAGES: usize = 30_000;
const DETAILS: usize = 100_000;

fn database_yaml() -> String {
    let mut y = String::from("- bucket: debian 12\n  pairs:\n");
    let mut id = 0usize;
    for p in 0..PACKAGES {
        let _ = writeln!(y, "    - bucket: pkg{p}\n      pairs:");
        for a in 0..(1 + p % 8) {
            id += 1;
            let fixed = if a % 3 == 0 {
                String::new()
            } else {
                format!("{}.{a}-1", 1 + p % 5)
            };
            let _ = writeln!(
                y,
                "        - key: CVE-2099-{id:06}\n          value: {{FixedVersion: \"{fixed}\", Severity: {}}}",
                a % 5
            );
        }
    }
    y.push_str("- bucket: vulnerability\n  pairs:\n");
    for d in 1..=DETAILS {
        let _ = writeln!(
            y,
            "    - key: CVE-2099-{d:06}\n      value: {{Title: \"synthetic vulnerability {d} with a title of ordinary length\", VendorSeverity: {{nvd: {}}}}}",
            d % 5
        );
    }
    y
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn main() {
    let dir = tempfile::tempdir().unwrap();
    let started = Instant::now();
    let yaml = database_yaml();
    let path = kaudit::vuln::fixture::build(dir.path(), &[&yaml]).unwrap();
    println!(
        "synthetic trivy.db: {:.1} MB written in {:.1} s",
        std::fs::metadata(&path).unwrap().len() as f64 / 1e6,
        started.elapsed().as_secs_f64()
    );
    let opening: Vec<Duration> = (0..9)
        .map(|_| {
            let t = Instant::now();
            std::hint::black_box(TrivyDb::open(&path).unwrap());
            t.elapsed()
        })
        .collect();
    let db = TrivyDb::open(&path).unwrap();
    let os = Os {
        family: "debian".into(),
        release: "12.7".into(),
        repository: None,
    };
    // 500 packages spread over the database, every one with advisories.
    let packages: Vec<Package> = (0..500)
        .map(|i| {
            let p = i * (PACKAGES / 500);
            Package {
                name: format!("pkg{p}"),
                version: format!("{}.2-1", 1 + p % 5),
                source_name: format!("pkg{p}"),
                source_version: format!("{}.2-1", 1 + p % 5),
                ..Package::default()
            }
        })
        .collect();
    let mut found = 0;
    let matching: Vec<Duration> = (0..15)
        .map(|_| {
            let t = Instant::now();
            found = matcher::matches(&db, &os, &packages).unwrap().len();
            t.elapsed()
        })
        .collect();
    println!(
        "open: median {:.2} ms (target O(1)); match 500 packages ({found} vulnerabilities): median {:.1} ms (target < 20 ms)",
        median(opening).as_secs_f64() * 1e3,
        median(matching).as_secs_f64() * 1e3
    );
}
