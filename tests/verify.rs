//! Each finding says how to check its fix on the cluster, fitted to it: the identity a
//! binding grants (`kubectl auth can-i ... --as=`), the level a namespace could enforce (a
//! server-side dry run of the label), the object's namespace and name.

use kaudit::report::verify;
use kaudit::session::{Session, SessionOptions};
use kaudit::sources::Source;

#[test]
fn verify_commands_fit_their_findings() {
    let session = Session::open(&Source::Demo, &SessionOptions::default()).unwrap();
    let report = &session.report;
    let of = |rule: &str| {
        report
            .findings
            .iter()
            .filter(|f| f.rule_id == rule)
            .map(|f| (f, verify::command(report, f)))
            .collect::<Vec<_>>()
    };
    let secrets = of("RBAC003");
    assert!(!secrets.is_empty());
    for (f, command) in &secrets {
        let command = command
            .as_deref()
            .unwrap_or_else(|| panic!("{}", f.message()));
        assert!(
            command.starts_with("kubectl auth can-i get secrets "),
            "{command}"
        );
        assert!(command.contains("--as="), "{command}");
        if f.subject.namespace.is_empty() {
            assert!(
                command.contains(" -A "),
                "a cluster-wide binding: {command}"
            );
        } else {
            assert!(
                command.contains(&format!("-n {}", f.subject.namespace)),
                "{command}"
            );
        }
    }
    for (f, command) in of("PSA001") {
        let command = command.unwrap();
        let ns = report
            .namespaces
            .iter()
            .find(|n| n.name == *f.subject.name)
            .unwrap();
        let level = match ns.highest_enforceable.as_str() {
            "privileged" => "baseline",
            other => other,
        };
        assert!(
            command.contains(&format!(
                "ns {} pod-security.kubernetes.io/enforce={level}",
                ns.name
            )),
            "{command}"
        );
        assert!(command.contains("--dry-run=server"), "read-only: {command}");
        // The finding names what the next level up would break, not "could enforce
        // privileged".
        let next = match ns.highest_enforceable.as_str() {
            "privileged" => "baseline would reject",
            "baseline" => "restricted would reject",
            _ => "could enforce restricted",
        };
        assert!(f.message().contains(next), "{}", f.message());
        assert!(
            !f.message().contains("could enforce privileged"),
            "{}",
            f.message()
        );
    }
    // Every command is read-only.
    for f in &report.findings {
        if let Some(command) = verify::command(report, f) {
            assert!(
                command.contains("--dry-run=server")
                    || command.starts_with("kubectl auth can-i")
                    || command.contains(" get "),
                "{command}"
            );
        }
    }
}
