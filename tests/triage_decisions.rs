//! Triage decisions kept in the store apply to later audits of the same context by finding
//! id, and come back when they expire or the finding's evidence changes. Every report format
//! carries the same findings, decisions and change marks.

use kaudit::findings::SuppressedBy;
use kaudit::report::Report;
use kaudit::session::history::{self, HistoryOptions};
use kaudit::session::{Session, SessionOptions};
use kaudit::sources::Source;
use kaudit::triage::decisions::{Decision, Standing, Verdict};
use std::path::Path;

fn pod(caps: &str, image: &str) -> String {
    format!(
        "apiVersion: v1
kind: Pod
metadata:
  name: web
  namespace: shop
spec:
  containers:
    - name: web
      image: {image}
      securityContext:
        capabilities:
          add: [{caps}]
"
    )
}

struct Cluster {
    dir: tempfile::TempDir,
    options: SessionOptions,
}

impl Cluster {
    fn new() -> Cluster {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("manifests")).unwrap();
        let options = SessionOptions {
            history: HistoryOptions {
                store: Some(dir.path().join("data/kaudit.db")),
                baseline: None,
            },
            today: "2026-06-01".into(),
            ..SessionOptions::default()
        };
        Cluster { dir, options }
    }

    fn write(&self, text: &str) {
        std::fs::write(self.dir.path().join("manifests/pod.yaml"), text).unwrap();
    }

    /// One audit, recorded in the history as `kaudit scan` records it.
    fn audit(&self) -> Session {
        let source = Source::Manifests(vec![self.dir.path().join("manifests")]);
        let mut session = Session::open(&source, &self.options).unwrap();
        session
            .record(&self.options.history, "2026-06-01T00:00:00Z")
            .unwrap();
        session
    }

    fn store(&self) -> &Path {
        self.options.history.store.as_deref().unwrap()
    }

    fn decide(&self, session: &Session, rule: &str, verdict: Verdict, expires: Option<&str>) {
        let finding = session
            .report
            .findings
            .iter()
            .find(|f| f.rule_id == rule)
            .unwrap_or_else(|| panic!("no {rule} finding"));
        let mut decision =
            Decision::on(finding, verdict, format!("{rule} is fine"), "alice".into());
        decision.expires = expires.map(str::to_string);
        history::decide(
            self.store(),
            &session.report.source.context,
            finding,
            Some(&decision),
        )
        .unwrap();
    }
}

fn finding<'a>(report: &'a Report, rule: &str) -> &'a kaudit::findings::Finding {
    report
        .findings
        .iter()
        .find(|f| f.rule_id == rule)
        .unwrap_or_else(|| panic!("no {rule} finding"))
}

/// The rules the test pod breaks: added capabilities (evidence: the capability list) and a
/// mutable image tag.
fn rules_of(session: &Session) -> (String, String) {
    let caps = session
        .report
        .findings
        .iter()
        .find(|f| f.evidence.iter().any(|e| e.value.contains("NET_ADMIN")))
        .expect("a finding on the added capability")
        .rule_id
        .to_string();
    let tag = session
        .report
        .findings
        .iter()
        .find(|f| f.message().contains("latest") || f.title.contains("tag"))
        .expect("a finding on the mutable tag")
        .rule_id
        .to_string();
    (caps, tag)
}

#[test]
fn decisions_apply_to_the_next_audit_and_come_back_when_they_no_longer_hold() {
    let cluster = Cluster::new();
    cluster.write(&pod("NET_ADMIN", "nginx:latest"));
    let first = cluster.audit();
    let (caps, tag) = rules_of(&first);
    let active_before = first
        .report
        .findings
        .iter()
        .filter(|f| f.is_active())
        .count();
    cluster.decide(&first, &caps, Verdict::AcceptedRisk, None);
    cluster.decide(&first, &tag, Verdict::WillFix, Some("2026-12-31"));

    // The next audit of the same folder: the accepted risk is suppressed, will-fix counts.
    let second = cluster.audit();
    let accepted = finding(&second.report, &caps);
    let suppression = accepted
        .suppressed
        .as_ref()
        .expect("accepted risk suppresses");
    assert_eq!(suppression.by, SuppressedBy::Triage);
    assert!(suppression.reason.contains("accepted risk"));
    let decision = accepted.decision.as_ref().unwrap();
    assert_eq!(decision.standing, Standing::Applied);
    assert_eq!(decision.decision.author, "alice");
    let will_fix = finding(&second.report, &tag);
    assert!(will_fix.is_active(), "will fix keeps the finding counting");
    assert_eq!(
        will_fix.decision.as_ref().unwrap().decision.verdict,
        Verdict::WillFix
    );
    let active_after = second
        .report
        .findings
        .iter()
        .filter(|f| f.is_active())
        .count();
    assert_eq!(active_after, active_before - 1);
    assert_eq!(second.report.triage.decisions.len(), 2);

    // The evidence changes (another capability, same finding id): the decision resurfaces.
    cluster.write(&pod("SYS_ADMIN", "nginx:latest"));
    let third = cluster.audit();
    let back = finding(&third.report, &caps);
    assert!(
        back.is_active(),
        "a decision on other evidence no longer applies"
    );
    assert_eq!(
        back.decision.as_ref().unwrap().standing,
        Standing::EvidenceChanged
    );

    // Expired: the will-fix deadline passed.
    let mut late = SessionOptions {
        today: "2027-01-15".into(),
        ..cluster.options.clone()
    };
    late.history.store = cluster.options.history.store.clone();
    let source = Source::Manifests(vec![cluster.dir.path().join("manifests")]);
    let later = Session::open(&source, &late).unwrap();
    assert_eq!(
        finding(&later.report, &tag)
            .decision
            .as_ref()
            .unwrap()
            .standing,
        Standing::Expired
    );

    // The finding goes away: its decision is listed as gone.
    cluster.write(&pod("NET_BIND_SERVICE", "nginx:1.27.0"));
    let fixed = cluster.audit();
    let gone = fixed
        .report
        .triage
        .decisions
        .iter()
        .find(|j| j.decision.rule_id == tag)
        .unwrap();
    assert_eq!(gone.standing, Standing::NotFound);
}

#[test]
fn a_decision_can_be_taken_back_and_only_counts_in_its_context() {
    let cluster = Cluster::new();
    cluster.write(&pod("NET_ADMIN", "nginx:latest"));
    let first = cluster.audit();
    let (caps, _) = rules_of(&first);
    cluster.decide(&first, &caps, Verdict::FalsePositive, None);
    assert!(!finding(&cluster.audit().report, &caps).is_active());

    // Another folder with the same pod is another context: the decision is not there.
    let other = Cluster {
        dir: tempfile::tempdir().unwrap(),
        options: cluster.options.clone(),
    };
    std::fs::create_dir(other.dir.path().join("manifests")).unwrap();
    other.write(&pod("NET_ADMIN", "nginx:latest"));
    assert!(finding(&other.audit().report, &caps).is_active());

    let f = finding(&first.report, &caps).clone();
    let left = history::decide(cluster.store(), &first.report.source.context, &f, None).unwrap();
    assert!(left.is_empty());
    assert!(finding(&cluster.audit().report, &caps).is_active());
}

/// Every format carries the same findings, the same `new` marks and the same decisions.
#[test]
fn every_format_carries_the_same_findings_and_marks() {
    let cluster = Cluster::new();
    cluster.write(&pod("NET_ADMIN", "nginx:1.27.0"));
    let first = cluster.audit();
    let (caps, _) = rules_of(&first);
    cluster.decide(&first, &caps, Verdict::WillFix, None);
    cluster.write(&pod("NET_ADMIN", "nginx:latest"));
    let second = cluster.audit();
    let report = &second.report;
    let changes = report.changes.as_ref().unwrap();
    assert!(changes.baseline.is_some());
    assert!(!changes.new.is_empty(), "the mutable tag is new");
    let new_count = changes.new.len();
    let total = report.findings.len();

    let json: serde_json::Value = serde_json::from_str(&{
        let mut out = Vec::new();
        kaudit::report::json::write(report, &mut out).unwrap();
        String::from_utf8(out).unwrap()
    })
    .unwrap();
    assert_eq!(json["findings"].as_array().unwrap().len(), total);
    assert_eq!(json["changes"]["new"].as_array().unwrap().len(), new_count);
    let decided: Vec<&serde_json::Value> = json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["decision"]["verdict"] == "will-fix")
        .collect();
    assert_eq!(decided.len(), 1);
    assert_eq!(decided[0]["decision"]["author"], "alice");

    let mut sarif = Vec::new();
    kaudit::report::sarif::write(report, &mut sarif).unwrap();
    let sarif: serde_json::Value = serde_json::from_slice(&sarif).unwrap();
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    assert_eq!(results.len(), total);
    let states = |s: &str| results.iter().filter(|r| r["baselineState"] == s).count();
    assert_eq!(states("new"), new_count);
    assert_eq!(states("unchanged"), total - new_count);
    assert_eq!(
        results
            .iter()
            .filter(|r| r["properties"]["decision"] == "will fix (alice)")
            .count(),
        1
    );

    let mut csv = Vec::new();
    kaudit::report::csv::write(report, &mut csv).unwrap();
    let mut reader = csv::Reader::from_reader(csv.as_slice());
    let headers = reader.headers().unwrap().clone();
    let column = |name: &str| headers.iter().position(|h| h == name).unwrap();
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), total);
    assert_eq!(
        rows.iter()
            .filter(|r| &r[column("change")] == "new")
            .count(),
        new_count
    );
    assert_eq!(
        rows.iter()
            .filter(|r| &r[column("decision")] == "will fix (alice)")
            .count(),
        1
    );

    let junit = kaudit::report::junit::render(report);
    assert_eq!(junit.matches("<testcase ").count(), total);
    assert_eq!(
        junit
            .matches("<property name=\"change\" value=\"new\"/>")
            .count(),
        new_count
    );
    assert_eq!(junit.matches("value=\"will fix (alice)\"").count(), 1);

    let html = kaudit::report::html::render(report);
    assert_eq!(html.matches("<b class=\"new\">new</b>").count(), new_count);
    assert_eq!(html.matches("will fix (alice)").count(), 1);

    let md = kaudit::report::markdown::render(report);
    assert!(md.contains("## Changes since the last audit"), "{md}");
    assert!(md.contains(&format!("**{new_count} new**")));
    assert!(md.contains("## Triage decisions"));
    assert!(md.contains("*will fix (alice)*"));
    assert_eq!(md.matches("**new** · ").count(), new_count);
}

/// `kaudit triage export` writes accepted risks and false positives as an exemptions file
/// that `--exemptions` reads back and applies to the same findings (will-fix stays out);
/// `kaudit triage list` shows who decided what.
#[test]
fn triage_export_is_an_exemptions_file_for_git() {
    let cluster = Cluster::new();
    cluster.write(&pod("NET_ADMIN", "nginx:latest"));
    let first = cluster.audit();
    let (caps, tag) = rules_of(&first);
    cluster.decide(&first, &caps, Verdict::AcceptedRisk, Some("2099-01-01"));
    cluster.decide(&first, &tag, Verdict::WillFix, None);
    let data = cluster.store().parent().unwrap();
    let kaudit = |args: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_kaudit"))
            .args(args)
            .arg("--data-dir")
            .arg(data)
            .env("KAUDIT_CONFIG_DIR", cluster.dir.path().join("config"))
            .output()
            .unwrap()
    };
    let listed = kaudit(&["triage", "list"]);
    let listed = String::from_utf8_lossy(&listed.stdout);
    assert!(
        listed.contains("accepted risk by alice") && listed.contains("will fix by alice"),
        "{listed}"
    );

    let file = cluster.dir.path().join("exemptions.yaml");
    let out = kaudit(&["triage", "export", "-o", file.to_str().unwrap()]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = std::fs::read_to_string(&file).unwrap();
    let exemptions = kaudit::triage::parse_exemptions("exported", &text).unwrap();
    assert_eq!(exemptions.len(), 1, "will fix is not an exemption: {text}");
    assert_eq!(exemptions[0].expires.as_deref(), Some("2099-01-01"));
    assert_eq!(exemptions[0].owner.as_deref(), Some("alice"));

    // Read back without the store: the same finding is suppressed by the file.
    let manifests = cluster.dir.path().join("manifests");
    let scan = kaudit(&[
        "scan",
        "--no-store",
        "--manifests",
        manifests.to_str().unwrap(),
        "--exemptions",
        file.to_str().unwrap(),
        "--format",
        "json",
    ]);
    let report: serde_json::Value = serde_json::from_slice(&scan.stdout).unwrap();
    let suppressed: Vec<&serde_json::Value> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["suppressed"]["by"] == "exemption")
        .collect();
    assert_eq!(suppressed.len(), 1);
    assert_eq!(suppressed[0]["rule_id"], caps.as_str());

    // A planted link where the export goes is refused, not followed.
    let target = cluster.dir.path().join("elsewhere");
    std::fs::write(&target, "keep").unwrap();
    let link = cluster.dir.path().join("link.yaml");
    std::os::unix::fs::symlink(&target, &link).unwrap();
    let out = kaudit(&["triage", "export", "-o", link.to_str().unwrap()]);
    assert!(!out.status.success());
    assert_eq!(std::fs::read_to_string(&target).unwrap(), "keep");
}
