//! `--demo` works wherever a source is taken: `kaudit pss` evaluates the demo's workloads
//! (or any source) without paths, and `kaudit audit-log --demo` analyses the demo's log.

use std::process::{Command, Output};

fn kaudit(args: &[&str]) -> Output {
    let data = tempfile::tempdir().unwrap();
    Command::new(env!("CARGO_BIN_EXE_kaudit"))
        .args(args)
        .env("KAUDIT_DATA_DIR", data.path())
        .env_remove("KUBECONFIG")
        .env("HOME", data.path())
        .output()
        .expect("run kaudit")
}

#[test]
fn pss_reads_the_demo_or_any_source_without_paths() {
    let out = kaudit(&["pss", "--level", "restricted", "--demo", "--format", "json"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let lines: Vec<serde_json::Value> = stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert!(lines.len() > 10, "{stdout}");
    assert!(
        lines
            .iter()
            .any(|l| l["allowed"] == false && l["path"].as_str().unwrap().starts_with("demo/"))
    );
    assert!(
        lines
            .iter()
            .any(|l| l["namespace"] == "payments" && l["allowed"] == true)
    );
    assert_eq!(out.status.code(), Some(1), "violations exit 1");

    // Nothing to read at all: said, exit 2.
    let out = kaudit(&["pss", "--level", "baseline"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no kubeconfig found"));
}

#[test]
fn audit_log_reads_the_demo_log() {
    let out = kaudit(&["audit-log", "--demo", "--format", "json"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let rules: Vec<&str> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["rule_id"].as_str().unwrap())
        .collect();
    assert!(rules.contains(&"AUD001"), "{rules:?}");
    assert!(
        rules.iter().all(|r| r.starts_with("AUD")),
        "the log's findings only: {rules:?}"
    );
    let out = kaudit(&["audit-log"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--demo"));
}
