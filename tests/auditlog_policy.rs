//! The audit Policy: lint findings and the detections a policy makes blind, through the
//! binary, on kaudit's own fixtures and the demo's policy.

use serde_json::Value;
use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;

fn kaudit(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_kaudit"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("kaudit runs")
}

fn report(args: &[&str]) -> Value {
    let out = kaudit(args);
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)))
}

fn rules(r: &Value) -> BTreeSet<String> {
    r["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["rule_id"].as_str().unwrap().to_string())
        .collect()
}

/// Rules not evaluated, but those only waiting for the user's allow-lists.
fn blind(r: &Value) -> BTreeSet<String> {
    r["not_evaluated"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|n| !n["reason"].as_str().unwrap_or("").contains("--audit-allow"))
        .map(|n| n["rule_id"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn every_mistake_in_a_bad_policy_is_named_with_its_line() {
    let r = report(&[
        "audit-log",
        "--policy",
        "tests/fixtures/audit/policy-bad.yaml",
        "--format",
        "json",
    ]);
    let fired = rules(&r);
    for id in [
        "AUDP01", "AUDP02", "AUDP03", "AUDP04", "AUDP05", "AUDP06", "AUDP07",
    ] {
        assert!(fired.contains(id), "{id} did not fire: {fired:?}");
    }
    let findings = r["findings"].as_array().unwrap();
    let group = findings
        .iter()
        .find(|f| f["message"].as_str().unwrap().contains("apps/v1"))
        .expect("the versioned group is named");
    // The finding points at the offending field's line in the file.
    assert_eq!(group["location"]["line"], 17, "{group}");
    let exec = findings.iter().find(|f| f["rule_id"] == "AUDP04").unwrap();
    assert!(
        exec["message"].as_str().unwrap().contains("rules[1]"),
        "{exec}"
    );
    // What that policy makes invisible: exec (None), bindings and roles (no bodies).
    let blind = blind(&r);
    for id in ["AUD001", "AUD005", "AUD006", "AUD009"] {
        assert!(blind.contains(id), "{id} should be blind: {blind:?}");
    }
    assert!(!blind.contains("AUD004"), "secret reads are still logged");
}

#[test]
fn a_cks_grade_policy_is_clean() {
    let r = report(&[
        "audit-log",
        "--policy",
        "tests/fixtures/audit/policy-cks.yaml",
        "--format",
        "json",
    ]);
    assert!(rules(&r).is_empty(), "{}", r["findings"]);
    // ConfigMap contents stay out of a CKS-grade log, so credentials in them cannot be seen.
    assert_eq!(blind(&r), BTreeSet::from(["AUD010".to_string()]));
}

#[test]
fn the_demo_ships_its_policy_with_two_mistakes() {
    let r = report(&["scan", "--demo", "--format", "json"]);
    let fired = rules(&r);
    assert!(
        fired.contains("AUDP03") && fired.contains("AUDP06"),
        "{fired:?}"
    );
    assert!(!fired.contains("AUDP04") && !fired.contains("AUDP01"));
    // The policy and the log agree: nothing the log shows is called invisible.
    assert!(
        blind(&r).iter().all(|id| !id.starts_with("AUD0")),
        "{:?}",
        blind(&r)
    );
}

#[test]
fn policy_input_errors_are_clear() {
    let out = kaudit(&["audit-log"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--policy FILE"));
    let dir = tempfile::tempdir().unwrap();
    let broken = dir.path().join("policy.yaml");
    std::fs::write(
        &broken,
        "apiVersion: audit.k8s.io/v1\nkind: Policy\nrules: [\n",
    )
    .unwrap();
    let out = kaudit(&["audit-log", "--policy", broken.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("policy.yaml:") && err.contains("invalid YAML"),
        "{err}"
    );
    let not_policy = dir.path().join("pod.yaml");
    std::fs::write(
        &not_policy,
        "apiVersion: v1\nkind: Pod\nmetadata: {name: x}\n",
    )
    .unwrap();
    let out = kaudit(&["audit-log", "--policy", not_policy.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no audit Policy in it"));
    let out = kaudit(&["audit-log", "--policy", "does/not/exist.yaml"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("does/not/exist.yaml"));
    assert!(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/audit/policy-bad.yaml")
            .exists()
    );
}
