//! The real binary on real inputs: contracts of `scan`, `rules` and the exit codes.

use serde_json::Value;
use std::collections::BTreeSet;
use std::path::Path;
use std::process::{Command, Output};

/// Runs kaudit with a data folder of its own: tests run in parallel, and one's history or
/// triage decisions must not leak into another's report.
fn kaudit(args: &[&str]) -> Output {
    let data = tempfile::tempdir().unwrap();
    Command::new(env!("CARGO_BIN_EXE_kaudit"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("KAUDIT_DATA_DIR", data.path())
        .output()
        .expect("run kaudit")
}

fn json(out: &Output) -> Value {
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&out.stderr)))
}

#[test]
fn demo_json_report_follows_the_contract() {
    let out = kaudit(&["scan", "--demo", "--format", "json"]);
    assert_eq!(out.status.code(), Some(0));
    let r = json(&out);
    assert_eq!(r["schema_version"], 1);
    assert_eq!(r["tool"]["name"], "kaudit");
    assert_eq!(r["source"]["kind"], "demo");
    let findings = r["findings"].as_array().unwrap();
    let areas: BTreeSet<&str> = findings
        .iter()
        .map(|f| f["area"].as_str().unwrap())
        .collect();
    assert_eq!(
        areas,
        BTreeSet::from([
            "audit-log",
            "images",
            "network",
            "pod-security",
            "rbac",
            "signatures"
        ])
    );
    // The demo's recorded signature verdicts are in the report, with a provenance attestation.
    let signed = &r["signatures"]["images"];
    assert!(
        signed
            .as_array()
            .unwrap()
            .iter()
            .any(|v| v["status"] == "verified" && v["attestations"][0]["kind"] == "SLSA provenance"),
        "{signed}"
    );
    // Findings about audit events have event subjects; audit-policy findings (AUDP*) are
    // about the policy file, an object.
    for f in findings
        .iter()
        .filter(|f| f["area"] == "audit-log" && !f["rule_id"].as_str().unwrap().starts_with("AUDP"))
    {
        for key in [
            "audit_id",
            "user",
            "verb",
            "resource",
            "namespace",
            "name",
            "timestamp",
        ] {
            assert!(
                f["subject"].get(key).is_some(),
                "audit subject lacks {key}: {f}"
            );
        }
    }
    for f in findings {
        for key in [
            "id",
            "rule_id",
            "area",
            "severity",
            "title",
            "message",
            "subject",
            "evidence",
            "remediation",
            "references",
        ] {
            assert!(f.get(key).is_some(), "finding lacks {key}: {f}");
        }
        assert!(
            ["critical", "high", "medium", "low", "info"]
                .contains(&f["severity"].as_str().unwrap())
        );
        assert!(
            f["references"]
                .as_array()
                .unwrap()
                .iter()
                .any(|r| r["source"] == "cks"),
            "{f}"
        );
    }
    // PSS findings carry the reference check ID spelled as upstream spells it.
    let privileged = findings
        .iter()
        .find(|f| f["rule_id"] == "PSS002")
        .expect("a privileged finding");
    assert!(
        privileged["references"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["source"] == "pss" && r["id"] == "privileged")
    );
    assert!(
        privileged["references"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["source"] == "checkov" && r["id"] == "CKV_K8S_16")
    );
    // Finding IDs are stable across runs.
    let again = json(&kaudit(&["scan", "--demo", "--format", "json"]));
    let ids = |v: &Value| {
        v["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["id"].as_str().unwrap().to_string())
            .collect::<Vec<_>>()
    };
    assert_eq!(ids(&r), ids(&again));
    let unique: BTreeSet<String> = ids(&r).into_iter().collect();
    assert_eq!(unique.len(), findings.len(), "finding IDs are unique");
}

#[test]
fn every_rule_fires_on_the_demo_and_payments_is_clean() {
    // With allow-lists: the rules only they can judge fire too.
    let r = json(&kaudit(&[
        "scan",
        "--demo",
        "--format",
        "json",
        "--audit-allow-user",
        "admin@acme.example",
        "--audit-allow-image",
        "registry.acme.example/",
        "--audit-allow-namespace-create",
        "shop",
    ]));
    let rules = json(&kaudit(&["rules", "--format", "json"]));
    let fired: BTreeSet<&str> = r["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["rule_id"].as_str().unwrap())
        .collect();
    for rule in rules.as_array().unwrap() {
        let id = rule["id"].as_str().unwrap();
        // Audit-policy lint rules: the demo's policy agrees with its log (an invalid policy
        // or unlogged exec would contradict it), so tests/auditlog_policy.rs fires each of
        // them on a fixture instead; the demo shows two.
        if id.starts_with("AUDP") && !["AUDP03", "AUDP06"].contains(&id) {
            continue;
        }
        assert!(
            fired.contains(id),
            "rule {id} never fires on the demo cluster"
        );
        for key in [
            "title",
            "area",
            "severity",
            "cks_domain",
            "rationale",
            "remediation",
            "references",
        ] {
            assert!(rule.get(key).is_some(), "{id} lacks {key}");
        }
    }
    let payments: Vec<&Value> = r["findings"]
        .as_array()
        .unwrap()
        .iter()
        // The audit log's story touches payments; its configuration is clean.
        .filter(|f| f["area"] != "audit-log")
        .filter(|f| f["subject"]["namespace"] == "payments" || f["subject"]["name"] == "payments")
        .collect();
    assert!(
        payments.is_empty(),
        "payments should be clean: {payments:#?}"
    );
    let ns = r["namespaces"]
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["name"] == "payments")
        .unwrap();
    assert_eq!(ns["highest_enforceable"], "restricted");
}

#[test]
fn fail_on_sets_the_exit_code() {
    assert_eq!(
        kaudit(&[
            "scan",
            "--demo",
            "--format",
            "json",
            "--fail-on",
            "critical"
        ])
        .status
        .code(),
        Some(1)
    );
    let clean = "tests/fixtures/scan/clean.yaml";
    assert_eq!(
        kaudit(&["scan", "--manifests", clean, "--fail-on", "low"])
            .status
            .code(),
        Some(0)
    );
    assert_eq!(
        kaudit(&["scan", "--demo", "--fail-on", "severe"])
            .status
            .code(),
        Some(2)
    );
}

#[test]
fn no_source_is_a_clear_error() {
    let out = kaudit(&[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--manifests"));
    let out = kaudit(&["scan", "--manifests", "does/not/exist.yaml"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("does/not/exist.yaml"));
}

#[test]
fn bad_input_is_reported_with_file_and_line_and_the_rest_is_audited() {
    let dir = tempfile::tempdir().unwrap();
    for entry in
        std::fs::read_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/bad")).unwrap()
    {
        let entry = entry.unwrap();
        std::fs::copy(entry.path(), dir.path().join(entry.file_name())).unwrap();
    }
    std::fs::write(dir.path().join("binary.yaml"), b"\x7fELF\x00\x00\x01").unwrap();
    std::fs::write(
        dir.path().join("latin1.yaml"),
        b"kind: Pod\nmetadata:\n  name: caf\xe9\n",
    )
    .unwrap();
    let out = kaudit(&[
        "scan",
        "--manifests",
        dir.path().to_str().unwrap(),
        "--format",
        "json",
        "--fail-on-incomplete",
    ]);
    assert_eq!(
        out.status.code(),
        Some(3),
        "incomplete audits exit 3 when asked"
    );
    let r = json(&out);
    let errors: Vec<String> = r["input_errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            format!(
                "{}:{}: {}",
                Path::new(e["file"].as_str().unwrap())
                    .file_name()
                    .unwrap()
                    .to_string_lossy(),
                e["line"],
                e["message"]
            )
        })
        .collect();
    let expect = [
        "binary.yaml:null: \"binary file (contains NUL bytes), not a manifest\"",
        "latin1.yaml:3: \"invalid UTF-8; manifests must be UTF-8 text\"",
        "mixed.yaml:18: \"invalid YAML: while parsing a flow mapping, did not find expected ',' or '}'\"",
        "shapes.yaml:1: \"Pod has no metadata.name\"",
        "shapes.yaml:10: \"object has no kind; every Kubernetes object needs apiVersion and kind\"",
        "shapes.yaml:23: \"invalid spec.containers[0].ports[0].containerPort: invalid type: string \\\"http\\\", expected i32\"",
        "shapes.yaml:31: \"document is a list, not a Kubernetes object\"",
        "truncated.json:3: \"invalid JSON: EOF while parsing an object at line 3 column 0\"",
    ];
    assert_eq!(errors, expect);
    // The good documents around the broken one were audited.
    let names: BTreeSet<&str> = r["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["subject"]["name"].as_str().unwrap())
        .collect();
    assert!(
        names.contains("first") && names.contains("third"),
        "{names:?}"
    );
    assert_eq!(r["unaudited"]["Widget"], 1);
    // notes.txt is not a manifest and is not read.
    assert!(!errors.iter().any(|e| e.contains("notes.txt")));
}

#[test]
fn sarif_points_at_the_offending_field() {
    let out = kaudit(&[
        "scan",
        "--manifests",
        "tests/fixtures/scan",
        "--format",
        "sarif",
    ]);
    let s = json(&out);
    assert_eq!(s["version"], "2.1.0");
    let run = &s["runs"][0];
    let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
    let results = run["results"].as_array().unwrap();
    let privileged = results
        .iter()
        .find(|r| r["ruleId"] == "PSS002")
        .expect("privileged result");
    assert_eq!(
        rules[privileged["ruleIndex"].as_u64().unwrap() as usize]["id"],
        "PSS002"
    );
    let loc = &privileged["locations"][0]["physicalLocation"];
    assert_eq!(
        loc["artifactLocation"]["uri"],
        "tests/fixtures/scan/risky.yaml"
    );
    // Line of `privileged: true` in the second document, not of the object.
    assert_eq!(loc["region"]["startLine"], 24);
    assert!(privileged["partialFingerprints"]["kauditFindingId/v1"].is_string());
    let suppressed = results
        .iter()
        .find(|r| r["ruleId"] == "POD005" && r.get("suppressions").is_some())
        .expect("suppressed result kept");
    assert_eq!(suppressed["suppressions"][0]["kind"], "inSource");
}

#[test]
fn suppression_annotations_and_exemption_files() {
    let exemptions = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(
        exemptions.path(),
        "exemptions:\n- rule: IMG002\n  subject: 'apps/Deployment/risky*'\n  reason: digests come with the next release\n  expires: 2999-12-31\n- rule: POD001\n  subject: '*'\n  reason: old\n  expires: 2001-01-01\n- rule: RBAC001\n  subject: nothing/here\n  reason: unused\n",
    )
    .unwrap();
    let out = kaudit(&[
        "scan",
        "--manifests",
        "tests/fixtures/scan",
        "--format",
        "json",
        "--exemptions",
        exemptions.path().to_str().unwrap(),
    ]);
    let r = json(&out);
    let findings = r["findings"].as_array().unwrap();
    let by = |rule: &str| {
        findings
            .iter()
            .filter(|f| f["rule_id"] == rule && f["subject"]["namespace"] == "apps")
            .collect::<Vec<_>>()
    };
    assert!(
        by("IMG002")
            .iter()
            .all(|f| f["suppressed"]["by"] == "exemption"),
        "{:?}",
        by("IMG002")
    );
    assert!(
        by("POD001").iter().all(|f| f.get("suppressed").is_none()),
        "expired exemptions do not apply"
    );
    let annotated = by("POD005")
        .into_iter()
        .find(|f| f["subject"]["name"] == "risky")
        .unwrap();
    assert_eq!(annotated["suppressed"]["by"], "annotation");
    assert_eq!(
        annotated["suppressed"]["reason"],
        "nginx writes its cache there"
    );
    assert_eq!(r["triage"]["expired_exemptions"][0]["rule"], "POD001");
    assert_eq!(r["triage"]["unused_exemptions"][0]["rule"], "RBAC001");
    assert!(r["summary"]["suppressed_total"].as_u64().unwrap() >= 2);
    // Suppressed findings never fail the build.
    let bad = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(
        bad.path(),
        "exemptions:\n- rule: NOPE\n  subject: '*'\n  reason: x\n",
    )
    .unwrap();
    let out = kaudit(&[
        "scan",
        "--manifests",
        "tests/fixtures/scan",
        "--exemptions",
        bad.path().to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown rule \"NOPE\""));
}

#[test]
fn hostile_names_are_escaped_in_markdown_and_stripped_for_terminals() {
    let out = kaudit(&["scan", "--manifests", "tests/fixtures/scan/hostile.yaml"]);
    let md = String::from_utf8(out.stdout).unwrap();
    assert!(!md.contains('\u{1b}'), "no escape sequences in the report");
    // Outside code spans (where Markdown shows text literally) HTML is escaped.
    for line in md.lines() {
        for (i, part) in line.split('`').enumerate() {
            assert!(
                i % 2 == 1 || !part.replace("\\<", "").contains("<img"),
                "raw HTML from the cluster: {line}"
            );
        }
    }
    assert!(md.contains("\\<img"), "{md}");
    let out = kaudit(&[
        "pss",
        "--level",
        "baseline",
        "tests/fixtures/scan/hostile.yaml",
    ]);
    assert!(!String::from_utf8_lossy(&out.stdout).contains('\u{1b}'));
}

#[test]
fn markdown_report_has_summary_namespaces_and_remediation() {
    let md = String::from_utf8(kaudit(&["demo"]).stdout).unwrap();
    for needle in [
        "# kaudit report",
        "## Summary",
        "| Area | Score | Grade |",
        "### Namespaces",
        "## RBAC",
        "<details><summary>Remediation",
        "## Suppressed findings",
        "POD005",
    ] {
        assert!(md.contains(needle), "missing {needle:?}");
    }
    // Every table row has as many cells as its header.
    for table in md.split("\n\n").filter(|b| b.starts_with('|')) {
        let cells = |l: &str| l.replace("\\|", "").matches('|').count();
        let mut lines = table.lines();
        let header = cells(lines.next().unwrap());
        for line in lines {
            assert_eq!(cells(line), header, "ragged row: {line}");
        }
    }
}

#[test]
fn readme_keys_table_is_the_keymap() {
    let keys = String::from_utf8(kaudit(&["keys"]).stdout).unwrap();
    let readme =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).unwrap();
    assert!(
        readme.contains(&keys),
        "README.md's key table is out of date: paste the output of `kaudit keys`"
    );
}

#[test]
fn html_and_junit_reports_escape_cluster_strings() {
    let out = kaudit(&[
        "scan",
        "--manifests",
        "tests/fixtures/scan/hostile.yaml",
        "--format",
        "html",
    ]);
    assert_eq!(out.status.code(), Some(0));
    let html = String::from_utf8(out.stdout).unwrap();
    assert!(html.starts_with("<!DOCTYPE html>") && html.ends_with("</html>\n"));
    assert!(
        !html.contains("<img") && html.contains("&lt;img"),
        "cluster strings are escaped"
    );
    assert!(!html.contains('\u{1b}'));
    // One script, kaudit's own (sorting and filtering tables), at the end: nothing from
    // the cluster becomes one.
    assert_eq!(
        html.matches("<script").count(),
        1,
        "only kaudit's own script"
    );
    let script = &html[html.find("<script").unwrap()..];
    assert!(
        !script.contains("&lt;") && script.ends_with("</script></body></html>\n"),
        "{script}"
    );
    let out = kaudit(&[
        "scan",
        "--manifests",
        "tests/fixtures/scan/hostile.yaml",
        "--format",
        "junit",
    ]);
    let xml = String::from_utf8(out.stdout).unwrap();
    assert!(xml.starts_with("<?xml") && xml.contains("<testsuite name=\"pod-security\""));
    assert!(!xml.contains("<img") && !xml.contains('\u{1b}'));
}

#[test]
fn info_prints_every_path() {
    let out = Command::new(env!("CARGO_BIN_EXE_kaudit"))
        .arg("info")
        .env("KAUDIT_CONFIG_DIR", "/cfg")
        .env("KAUDIT_DATA_DIR", "/data")
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains("/cfg/exemptions.yaml") && text.contains("/data/kaudit.log"),
        "{text}"
    );
}

#[test]
fn rules_prints_one_rule_by_id_name_or_equivalent_check() {
    let out = kaudit(&["rules", "pss001"]);
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.starts_with("PSS001 "), "{text}");
    assert!(text.contains("Why: ") && text.contains("Fix: "), "{text}");
    // By an equivalent check's ID elsewhere: each rule that names it.
    let out = json(&kaudit(&["rules", "CKV_K8S_16", "--format", "json"]));
    let ids: Vec<&str> = out
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    assert!(!ids.is_empty());
    assert!(
        out.as_array().unwrap().iter().all(|r| r["references"]
            .as_array()
            .unwrap()
            .iter()
            .any(|x| x["id"] == "CKV_K8S_16")),
        "{ids:?}"
    );
    let out = kaudit(&["rules", "NOPE999"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no rule"));
}
