//! Upstream conformance: every fixture of the Pod Security Admission test corpus
//! (`../shared/corpus/psa/INDEX.tsv`) must be allowed or denied exactly as upstream expects.

use k8s_openapi::api::core::v1::Pod;
use kaudit::inventory::input::Loaded;
use kaudit::pss::{self, Level, PodView, Version};
use kaudit::sources::manifests::load_text;
use kaudit::yaml::lenient;
use std::path::Path;

fn corpus() -> Option<std::path::PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus/psa");
    dir.join("INDEX.tsv").exists().then_some(dir)
}

#[test]
fn every_upstream_fixture_is_classified_as_upstream_expects() {
    let Some(dir) = corpus() else {
        eprintln!("SKIPPED: ../shared/corpus/psa not present; tests/pss_fixtures.rs still runs");
        return;
    };
    let index = std::fs::read_to_string(dir.join("INDEX.tsv")).expect("INDEX.tsv readable");
    let mut failures = Vec::new();
    let mut checked = 0;
    for row in index.lines().skip(1) {
        let cols: Vec<&str> = row.split('\t').collect();
        let (path, level, version, expect, substring) =
            (cols[0], cols[1], cols[2], cols[3], cols[5]);
        let level: Level = level.parse().unwrap();
        let version: Version = version.parse().unwrap();
        let text = std::fs::read_to_string(dir.join(path)).unwrap();
        let mut loaded = Loaded::default();
        load_text(path, &text, &mut loaded);
        assert!(loaded.errors.is_empty(), "{path}: {:?}", loaded.errors);
        let pod: Pod = lenient::from_value(&loaded.objects[0].value).unwrap();
        let spec = pod.spec.clone().unwrap();
        let view = PodView::new(pod.metadata.annotations.as_ref(), &spec, false);
        let minor = version.effective_minor(None);
        let violations = pss::evaluate(&view, level, minor);
        // The one-pass evaluation the scan uses must agree with the per-level one.
        let (baseline, restricted) = pss::evaluate_both(&view, minor);
        let both = if level == Level::Baseline {
            baseline
        } else {
            restricted
        };
        assert_eq!(both, violations, "{path}: evaluate_both disagrees");
        let message = pss::joined(&violations);
        checked += 1;
        match expect {
            "allow" if !violations.is_empty() => {
                failures.push(format!("{path}: expected allow, got {message}"))
            }
            "deny" if violations.is_empty() => failures.push(format!("{path}: expected deny")),
            "deny" if !message.contains(substring) => {
                failures.push(format!("{path}: expected {substring:?} in {message}"))
            }
            _ => {}
        }
    }
    assert_eq!(checked, 4537, "the corpus has 4,537 fixtures");
    assert!(
        failures.is_empty(),
        "{} of {checked} fixtures disagree:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
