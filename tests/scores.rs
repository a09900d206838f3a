//! Area scores read the right way round: a grade is never better than the area's worst open
//! finding allows (a critical caps it at D, a high at C, a medium at B), on the demo and on
//! a one-finding folder, and the report's formula says so.

use kaudit::session::{Session, SessionOptions};
use kaudit::severity::Severity;
use kaudit::sources::Source;

fn best_grade_allowed(worst: Option<Severity>) -> char {
    match worst {
        Some(Severity::Critical) => 'D',
        Some(Severity::High) => 'C',
        Some(Severity::Medium) => 'B',
        _ => 'A',
    }
}

#[test]
fn no_area_grades_better_than_its_worst_open_finding() {
    let session = Session::open(&Source::Demo, &SessionOptions::default()).unwrap();
    let summary = &session.report.summary;
    assert!(
        summary
            .score_formula
            .contains("capped by the worst open finding")
    );
    let mut capped = 0;
    for area in &summary.areas {
        let worst = area.findings.keys().next_back().copied();
        let Some(grade) = area.grade else { continue };
        // Grades are letters from A (best) down: a later letter is worse.
        assert!(
            grade >= best_grade_allowed(worst),
            "{:?}: grade {grade} (score {:?}) with a {worst:?} finding open",
            area.area,
            area.score
        );
        capped += usize::from(worst == Some(Severity::Critical));
    }
    assert!(capped > 0, "the demo has areas with critical findings");
}

#[test]
fn one_critical_finding_caps_an_otherwise_clean_area() {
    let dir = tempfile::tempdir().unwrap();
    // Many clean pods and one privileged: most checks pass, one critical fails.
    let mut yaml = String::new();
    for i in 0..40 {
        yaml.push_str(&format!(
            "---\napiVersion: v1\nkind: Pod\nmetadata: {{name: p{i}, namespace: apps}}\nspec:\n  securityContext: {{runAsNonRoot: true, seccompProfile: {{type: RuntimeDefault}}}}\n  containers: [{{name: a, image: 'r.example/a@sha256:{:064x}', securityContext: {{allowPrivilegeEscalation: false, capabilities: {{drop: [ALL]}}}}}}]\n",
            i
        ));
    }
    yaml.push_str("---\napiVersion: v1\nkind: Pod\nmetadata: {name: bad, namespace: apps}\nspec:\n  containers: [{name: a, image: 'r.example/a@sha256:0000000000000000000000000000000000000000000000000000000000000001', securityContext: {privileged: true}}]\n");
    std::fs::write(dir.path().join("pods.yaml"), yaml).unwrap();
    let source = Source::Manifests(vec![dir.path().to_path_buf()]);
    let session = Session::open(&source, &SessionOptions::default()).unwrap();
    let pss = session
        .report
        .summary
        .areas
        .iter()
        .find(|a| a.area == kaudit::severity::Area::PodSecurity)
        .unwrap();
    assert!(pss.findings.contains_key(&Severity::Critical), "{pss:?}");
    assert!(pss.score.unwrap() <= 69, "{pss:?}");
    assert!(pss.grade.unwrap() >= 'D', "{pss:?}");
}

/// `:ns NAME` scores one namespace by the same formula: its objects' checks. A clean
/// namespace beside a bad one keeps its grade; the bad one's is capped by its own worst
/// finding; the audit log (judged on requests) has no namespace score.
#[test]
fn a_namespace_is_scored_by_its_own_objects() {
    use kaudit::severity::Area;
    let dir = tempfile::tempdir().unwrap();
    let pod = |ns: &str, name: &str, extra: &str| {
        format!(
            "---\napiVersion: v1\nkind: Pod\nmetadata: {{name: {name}, namespace: {ns}}}\nspec:\n  automountServiceAccountToken: false\n  securityContext: {{runAsNonRoot: true, runAsUser: 10001, runAsGroup: 10001, seccompProfile: {{type: RuntimeDefault}}}}\n  containers: [{{name: a, image: 'r.example/a@sha256:{:064x}', resources: {{requests: {{cpu: 1m, memory: 1Mi}}, limits: {{cpu: 1m, memory: 1Mi}}}}, securityContext: {{allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: {{drop: [ALL]}}{extra}}}}}]\n",
            name.len()
        )
    };
    let yaml = [
        pod("clean", "c1", ""),
        pod("clean", "c2", ""),
        pod("bad", "b1", ", privileged: true"),
    ]
    .concat();
    std::fs::write(dir.path().join("pods.yaml"), yaml).unwrap();
    let source = Source::Manifests(vec![dir.path().to_path_buf()]);
    let session = Session::open(&source, &SessionOptions::default()).unwrap();
    let clean = kaudit::engine::namespace_scores(&session.report, "clean");
    let bad = kaudit::engine::namespace_scores(&session.report, "bad");
    let cluster = |area: Area| {
        session
            .report
            .summary
            .areas
            .iter()
            .find(|a| a.area == area)
            .and_then(|a| a.score)
            .unwrap()
    };
    assert!(
        cluster(Area::PodSecurity) <= 69,
        "the cluster holds a privileged pod"
    );
    assert!(clean[&Area::PodSecurity] >= 90, "{clean:?}");
    assert!(bad[&Area::PodSecurity] <= 69, "{bad:?}");
    assert!(!clean.contains_key(&Area::AuditLog), "{clean:?}");
    assert!(
        kaudit::engine::namespace_scores(&session.report, "elsewhere").is_empty(),
        "a namespace with nothing in it has no scores"
    );
}

fn rank(label: &str) -> Option<u8> {
    ["INFO", "LOW", "MEDIUM", "HIGH", "CRITICAL"]
        .iter()
        .position(|s| *s == label)
        .map(|p| p as u8)
}

/// A section headed with a severity never holds a more severe finding, and says when its
/// findings were raised above the rule's default.
#[test]
fn report_sections_are_headed_by_their_most_severe_finding() {
    let session = Session::open(&Source::Demo, &SessionOptions::default()).unwrap();
    let md = kaudit::report::markdown::render(&session.report);
    let mut header: Option<(String, u8)> = None;
    let mut raised = 0;
    for line in md.lines() {
        if let Some(rest) = line.strip_prefix("### ") {
            let sev = rest
                .rsplit_once(", ")
                .and_then(|(_, s)| s.split([')', ';']).next())
                .and_then(rank);
            header = sev.map(|s| (rest.to_string(), s));
            raised += usize::from(rest.contains("the rule's default is"));
            continue;
        }
        if line.starts_with('#') {
            header = None;
            continue;
        }
        if let (Some((h, top)), Some(cell)) = (&header, line.strip_prefix("| ")) {
            let Some(sev) = cell.split(" |").next().and_then(rank) else {
                continue;
            };
            assert!(sev <= *top, "a {cell} row under {h}");
        }
    }
    assert!(raised > 0, "the demo raises some findings above their rule");
}
