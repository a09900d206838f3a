//! SARIF for code scanning: every result has a file and a line (GitHub code scanning and most
//! viewers drop a result without one), the document is valid SARIF 2.1.0 (the OASIS schema,
//! vendored in `tests/fixtures/sarif/`), and a manifest scan reports only on namespaces its
//! input defines or uses.

use kaudit::session::{Session, SessionOptions};
use kaudit::sources::Source;
use serde_json::Value;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

fn sarif_of(source: &Source) -> Value {
    let report = kaudit::session::report(source, &SessionOptions::default()).expect("audits");
    let mut out = Vec::new();
    kaudit::report::sarif::write(&report, &mut out).expect("renders");
    serde_json::from_slice(&out).expect("SARIF is JSON")
}

fn schema() -> jsonschema::Validator {
    let text = std::fs::read_to_string(fixtures().join("sarif/sarif-schema-2.1.0.json"))
        .expect("the vendored schema");
    let schema: Value = serde_json::from_str(&text).expect("the schema is JSON");
    jsonschema::validator_for(&schema).expect("the schema compiles")
}

/// Every result's first location names a file and a line.
fn unlocated(sarif: &Value) -> Vec<String> {
    sarif["runs"][0]["results"]
        .as_array()
        .expect("results")
        .iter()
        .filter(|r| {
            let physical = &r["locations"][0]["physicalLocation"];
            !(physical["artifactLocation"]["uri"].is_string()
                && physical["region"]["startLine"]
                    .as_u64()
                    .is_some_and(|l| l >= 1))
        })
        .map(|r| format!("{} {}", r["ruleId"], r["message"]["text"]))
        .collect()
}

fn assert_valid(sarif: &Value, what: &str) {
    let validator = schema();
    let errors: Vec<String> = validator
        .iter_errors(sarif)
        .take(5)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{what}: not SARIF 2.1.0: {errors:?}");
    let missing = unlocated(sarif);
    assert!(
        missing.is_empty(),
        "{what}: results without a file and line: {missing:?}"
    );
}

#[test]
fn the_demos_sarif_is_valid_and_every_result_has_a_place() {
    let sarif = sarif_of(&Source::Demo);
    assert!(sarif["runs"][0]["results"].as_array().unwrap().len() > 200);
    assert_valid(&sarif, "demo");
}

#[test]
fn the_fixtures_sarif_is_valid_and_every_result_has_a_place() {
    for folder in ["kinds", "pss", "scan", "bad"] {
        let sarif = sarif_of(&Source::Manifests(vec![fixtures().join(folder)]));
        assert_valid(&sarif, folder);
    }
}

/// Workloads in `default` and `shop`, neither Namespace in the input: the namespace findings
/// point where the first object names each namespace, and say the Namespace is missing.
#[test]
fn a_namespace_the_input_only_names_is_pointed_at_where_it_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("apps.yaml");
    std::fs::write(
        &file,
        "apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: robot\n  namespace: kube-system\n---\n\
         apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  namespace: default\n\
         spec:\n  template:\n    spec:\n      containers:\n      - name: web\n        image: nginx:1.27\n---\n\
         apiVersion: v1\nkind: Pod\nmetadata:\n  namespace: shop\n  name: cart\n\
         spec:\n  containers:\n  - name: cart\n    image: nginx:1.27\n",
    )
    .unwrap();
    let source = Source::Manifests(vec![file.clone()]);
    let sarif = sarif_of(&source);
    assert_valid(&sarif, "apps.yaml");
    let psa001: Vec<&Value> = sarif["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["ruleId"] == "PSA001")
        .collect();
    let lines: BTreeSet<(String, u64)> = psa001
        .iter()
        .map(|r| {
            let text = r["message"]["text"].as_str().unwrap();
            assert!(
                text.contains("the Namespace object is not in the input"),
                "{text}"
            );
            let namespace = text.split_whitespace().nth(1).unwrap().to_string();
            let line = r["locations"][0]["physicalLocation"]["region"]["startLine"]
                .as_u64()
                .unwrap();
            (namespace, line)
        })
        .collect();
    // Line 11 is the Deployment's `namespace: default`, line 22 the Pod's `namespace: shop`.
    assert_eq!(
        lines,
        BTreeSet::from([("default".to_string(), 11), ("shop".to_string(), 22)])
    );

    // Only namespaces the input defines or runs workloads in are reported on: kube-system,
    // which only a ServiceAccount names, is not.
    let session = Session::open(&source, &SessionOptions::default()).unwrap();
    let reported: BTreeSet<&str> = session
        .report
        .namespaces
        .iter()
        .map(|n| n.name.as_str())
        .collect();
    assert_eq!(reported, BTreeSet::from(["default", "shop"]));
}
