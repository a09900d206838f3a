//! Shared by the benchmarks: a 10,000-workload manifest folder made from the demo's objects.

use std::path::{Path, PathBuf};

pub const TARGET: usize = 10_000;

/// Workload documents of the demo cluster, as YAML text.
fn demo_workload_documents() -> Vec<String> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/demo");
    let mut docs = Vec::new();
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    files.sort();
    for file in files {
        let text = std::fs::read_to_string(file).unwrap();
        for doc in text.split("\n---\n") {
            // The object's own kind, at the top level: admission policies name `kind: Pod`
            // in their match rules, and copied 10,000 times they are not workloads.
            let kinds = [
                "kind: Deployment",
                "kind: DaemonSet",
                "kind: StatefulSet",
                "kind: CronJob",
                "kind: Job",
                "kind: Pod",
                "kind: ReplicaSet",
            ];
            if doc.lines().any(|line| kinds.contains(&line.trim_end())) {
                docs.push(doc.trim_start_matches("---\n").to_string());
            }
        }
    }
    docs
}

/// Writes `TARGET` workload objects (copies of the demo's, renamed) into 500 files.
pub fn write_folder(dir: &Path) -> usize {
    let docs = demo_workload_documents();
    let per_file = TARGET / 500;
    let mut n = 0;
    for f in 0..500 {
        let mut text = String::new();
        for _ in 0..per_file {
            let doc = &docs[n % docs.len()];
            text.push_str(&doc.replacen("\n  name: ", &format!("\n  name: c{n}-"), 1));
            text.push_str("\n---\n");
            n += 1;
        }
        std::fs::write(dir.join(format!("workloads-{f:03}.yaml")), text).unwrap();
    }
    n
}
