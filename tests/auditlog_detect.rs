//! Detections: Falco parity on the upstream trace files (when ../shared is present), and every
//! audit rule on kaudit's own demo log.

use kaudit::auditlog::falco::{Equivalent, equivalent};
use kaudit::auditlog::{analyze, detect::AuditConfig, reader::Window};
use kaudit::rules::RULES;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

/// (file, expected Falco rules; none for a negative file) from the corpus's SOURCE.md table.
fn expectations(source_md: &str) -> Vec<(String, Vec<String>)> {
    source_md
        .lines()
        .filter(|l| l.starts_with("| ") && l.contains(".json |"))
        .filter_map(|l| {
            let cells: Vec<&str> = l.split('|').map(str::trim).collect();
            let file = cells.get(1)?.to_string();
            let expected = cells.get(10)?.to_string();
            let expected = if expected.starts_with("**none**") {
                Vec::new()
            } else {
                // `A ×6`, `A; B; C (depends on allow-lists)`.
                expected
                    .split(" (")
                    .next()?
                    .split(';')
                    .map(|name| name.split(" ×").next().unwrap_or(name).trim().to_string())
                    .collect()
            };
            Some((file, expected))
        })
        .collect()
}

/// The allow-lists of the parity run. Falco's own default user list cannot be used as is:
/// kaudit's `--audit-allow-user` also silences the listed users' other detections, and the
/// fixtures are mostly minikube-user's; the fixtures' `admin` is listed, everyone else is
/// "disallowed". Namespaces: Falco's `allowed_namespaces`.
fn falco_lists() -> AuditConfig {
    AuditConfig {
        allowed_users: vec!["admin".into()],
        allowed_namespace_creates: ["kube-system", "kube-public", "default"]
            .map(String::from)
            .to_vec(),
        ..AuditConfig::default()
    }
}

#[test]
fn falco_parity_on_upstream_trace_files() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus/audit");
    let Ok(source) = std::fs::read_to_string(dir.join("SOURCE.md")) else {
        eprintln!("SKIPPED: ../shared/corpus/audit not present; the demo-log test below still ran");
        return;
    };
    let cases = expectations(&source);
    assert!(cases.len() >= 23, "{cases:?}");
    let mut checked = 0;
    for (file, expected) in cases {
        let path = dir.join("falco-trace-files").join(&file);
        let kaudit::auditlog::Analysis {
            findings: rec,
            stats,
        } = analyze(&[path], &Window::default(), falco_lists());
        let fired: BTreeSet<&str> = rec.findings.iter().map(|f| f.rule_id).collect();
        let changes: BTreeSet<&str> = stats.activity.changes.iter().map(|c| c.rule).collect();
        if expected.is_empty() {
            assert!(
                fired.is_empty(),
                "{file} is a negative case but fired {fired:?}"
            );
        }
        for rule in expected {
            checked += 1;
            match equivalent(&rule) {
                Some(Equivalent::Rules(ours)) => assert!(
                    ours.iter().any(|id| fired.contains(id)),
                    "{file}: expected {rule} ({ours:?}), got {fired:?}"
                ),
                Some(Equivalent::Activity) => assert!(
                    changes.contains(rule.as_str()),
                    "{file}: expected the activity entry {rule}, got {changes:?}"
                ),
                other => panic!("{file}: Falco's {rule} has no kaudit equivalent ({other:?})"),
            }
        }
    }
    assert!(
        checked >= 22,
        "only {checked} Falco expectations were checked"
    );
}

#[test]
fn every_audit_rule_fires_on_the_demo_log() {
    let log = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("assets/demo/audit.log");
    // With allow-lists, so that the rules only they can judge are judged too.
    let lists = AuditConfig {
        allowed_users: vec!["admin@acme.example".into()],
        allowed_images: vec!["registry.acme.example/".into()],
        allowed_namespace_creates: ["shop", "payments", "staging"].map(String::from).to_vec(),
        ..AuditConfig::default()
    };
    let kaudit::auditlog::Analysis {
        findings: rec,
        stats,
    } = analyze(&[log], &Window::default(), lists);
    assert_eq!(stats.malformed, 0);
    let fired: BTreeSet<&str> = rec.findings.iter().map(|f| f.rule_id).collect();
    // Audit-policy lint rules (AUDP*) judge a policy file, not events.
    for rule in RULES
        .iter()
        .filter(|r| r.id.starts_with("AUD") && !r.id.starts_with("AUDP"))
    {
        assert!(
            fired.contains(rule.id),
            "{} never fires on the demo log",
            rule.id
        );
    }
    // Ordinary controller traffic raises nothing: only the attack's users appear.
    let users: BTreeSet<String> = rec
        .findings
        .iter()
        .filter_map(|f| f.subject.event.as_ref().map(|e| e.user.clone()))
        .collect();
    assert!(
        !users
            .iter()
            .any(|u| u == "system:kube-scheduler" || u.contains("bootstrap-signer")),
        "{users:?}"
    );
}

#[test]
fn audit_log_command_formats_and_exit_codes() {
    let bin = env!("CARGO_BIN_EXE_kaudit");
    let log = Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/demo/audit.log");
    let out = Command::new(bin)
        .args(["audit-log", "--format", "json", "--fail-on", "critical"])
        .arg(&log)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let r: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(r["audit_log"]["events"], 47);
    assert!(
        r["findings"]
            .as_array()
            .unwrap()
            .iter()
            .all(|f| f["area"] == "audit-log")
    );
    let out = Command::new(bin)
        .args([
            "audit-log",
            "--since",
            "2026-11-20T09:03:00Z",
            "--until",
            "2026-11-20T09:03:10Z",
        ])
        .arg(&log)
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains("AUD005") && !text.contains("AUD001"),
        "{text}"
    );
    let out = Command::new(bin)
        .args(["audit-log", "--since", "yesterday"])
        .arg(&log)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let junk = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(junk.path(), "not\nan\naudit\nlog\nat all\n").unwrap();
    let out = Command::new(bin)
        .arg("audit-log")
        .arg(junk.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "nothing readable is an error");
    assert!(String::from_utf8_lossy(&out.stdout).contains("not an audit log"));
}

/// What the control plane and monitoring do every minute raises none of the control-plane
/// detections.
#[test]
fn routine_control_plane_traffic_is_quiet() {
    let event = |user: &str, verb: &str, uri: &str, object_ref: serde_json::Value| {
        serde_json::json!({"kind": "Event", "apiVersion": "audit.k8s.io/v1", "level": "Metadata",
            "auditID": format!("{user}{uri}"), "stage": "ResponseComplete", "requestURI": uri, "verb": verb,
            "user": {"username": user}, "objectRef": object_ref, "responseStatus": {"code": 200},
            "requestReceivedTimestamp": "2026-11-20T09:00:00Z", "stageTimestamp": "2026-11-20T09:00:00Z"})
        .to_string()
    };
    let log = [
        // Prometheus scraping the kubelet through the API server.
        event("system:serviceaccount:monitoring:prometheus", "get", "/api/v1/nodes/w1/proxy/metrics",
            serde_json::json!({"resource": "nodes", "name": "w1", "subresource": "proxy"})),
        // The node's own CSR and the controller approving it.
        event("system:node:w1", "create", "/apis/certificates.k8s.io/v1/certificatesigningrequests",
            serde_json::json!({"resource": "certificatesigningrequests", "name": "csr-1"})),
        event("system:serviceaccount:kube-system:certificate-controller", "update",
            "/apis/certificates.k8s.io/v1/certificatesigningrequests/csr-1/approval",
            serde_json::json!({"resource": "certificatesigningrequests", "name": "csr-1", "subresource": "approval"})),
        // The controller manager updating a webhook's caBundle, and its leases in kube-system.
        event("system:kube-controller-manager", "patch",
            "/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations/x",
            serde_json::json!({"resource": "validatingwebhookconfigurations", "name": "x"})),
        event("system:kube-controller-manager", "update", "/apis/coordination.k8s.io/v1/namespaces/kube-system/leases/kcm",
            serde_json::json!({"resource": "leases", "namespace": "kube-system", "name": "kcm"})),
        // A person failing to change coredns (403) changed nothing.
        event("mallory", "patch", "/api/v1/namespaces/kube-system/configmaps/coredns",
            serde_json::json!({"resource": "configmaps", "namespace": "kube-system", "name": "coredns"}))
            .replace("\"code\":200", "\"code\":403"),
    ]
    .join("\n");
    let file = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(file.path(), log).unwrap();
    let kaudit::auditlog::Analysis {
        findings: rec,
        stats,
    } = analyze(
        &[file.path().to_path_buf()],
        &Window::default(),
        AuditConfig::default(),
    );
    assert_eq!(stats.events, 6);
    let fired: Vec<&str> = rec.findings.iter().map(|f| f.rule_id).collect();
    assert!(fired.is_empty(), "{fired:?}");
}

#[test]
fn allow_lists_silence_users_namespaces_and_images() {
    let bin = env!("CARGO_BIN_EXE_kaudit");
    let log = Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/demo/audit.log");
    let findings = |args: &[&str]| -> Vec<serde_json::Value> {
        let out = Command::new(bin)
            .args(["audit-log", "--format", "json"])
            .args(args)
            .arg(&log)
            .output()
            .unwrap();
        let r: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        r["findings"].as_array().unwrap().clone()
    };
    let all = findings(&[]);
    let by = |f: &serde_json::Value, user: &str| f["subject"]["user"] == user;
    assert!(all.iter().any(|f| by(f, "dev@acme.example")));
    let quiet = findings(&["--audit-allow-user", "dev@acme.example"]);
    assert!(!quiet.iter().any(|f| by(f, "dev@acme.example")) && !quiet.is_empty());
    let quiet = findings(&["--audit-allow-user", "system:serviceaccount:shop:*"]);
    assert!(
        !quiet
            .iter()
            .any(|f| by(f, "system:serviceaccount:shop:storefront"))
    );
    let quiet = findings(&["--audit-allow-namespace", "shop"]);
    assert!(!quiet.iter().any(|f| f["subject"]["namespace"] == "shop"));
    assert!(all.iter().any(|f| f["subject"]["namespace"] == "shop"));
    // The pod created in kube-system runs an image an allow-list can vouch for.
    let pod = |fs: &[serde_json::Value]| fs.iter().any(|f| f["rule_id"] == "AUD011");
    assert!(pod(&all));
    let image = all.iter().find(|f| f["rule_id"] == "AUD011").unwrap()["evidence"][0]["value"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(!pod(&findings(&["--audit-allow-image", &image])));
}

/// Without a policy, kaudit tells from the log itself which detections were blind: writes
/// logged at Metadata carry no body.
#[test]
fn blind_spots_are_inferred_from_the_events() {
    let event = |id: &str, resource: &str, verb: &str| {
        serde_json::json!({"kind": "Event", "apiVersion": "audit.k8s.io/v1", "level": "Metadata",
            "auditID": id, "stage": "ResponseComplete", "requestURI": format!("/x/{resource}"), "verb": verb,
            "user": {"username": "jane"}, "objectRef": {"resource": resource, "namespace": "shop", "name": "n"},
            "responseStatus": {"code": 201},
            "requestReceivedTimestamp": "2026-11-20T09:00:00Z", "stageTimestamp": "2026-11-20T09:00:00Z"})
        .to_string()
    };
    let log = [
        event("1", "rolebindings", "create"),
        event("2", "rolebindings", "update"),
        event("3", "pods", "create"),
        event("4", "secrets", "get"),
    ]
    .join("\n");
    let file = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(file.path(), log).unwrap();
    let kaudit::auditlog::Analysis {
        findings: mut rec, ..
    } = analyze(
        &[file.path().to_path_buf()],
        &Window::default(),
        AuditConfig::default(),
    );
    let coverage = std::mem::take(&mut rec).coverage();
    let blind = |rule: &str| {
        coverage
            .get(rule)
            .map(|t| {
                t.not_evaluated
                    .iter()
                    .map(|n| n.reason.clone())
                    .collect::<Vec<_>>()
            })
            .unwrap_or_default()
    };
    assert!(
        blind("AUD005")
            .iter()
            .any(|r| r.starts_with("2 binding changes were logged at Metadata")),
        "{:?}",
        blind("AUD005")
    );
    assert!(
        blind("AUD007")
            .iter()
            .any(|r| r.starts_with("1 pod creations"))
    );
    assert!(blind("AUD004").is_empty(), "secret reads need no body");
}

/// `kaudit audit-log --follow` prints the findings so far, then each new one as its event is
/// written.
#[test]
fn audit_log_follow_prints_new_findings_as_they_come() {
    use std::io::{BufRead, Write};
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("audit.log");
    std::fs::copy(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/demo/audit.log"),
        &log,
    )
    .unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_kaudit"))
        .args(["audit-log", "--follow"])
        .arg(&log)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    let stdout = child.stdout.take().unwrap();
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(stdout).lines() {
            if tx.send(line.unwrap_or_default()).is_err() {
                return;
            }
        }
    });
    let wait_for = |needle: &str| -> Vec<String> {
        let mut seen = Vec::new();
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        while std::time::Instant::now() < deadline {
            if let Ok(line) = rx.recv_timeout(std::time::Duration::from_millis(100)) {
                let hit = line.contains(needle);
                seen.push(line);
                if hit {
                    return seen;
                }
            }
        }
        panic!("{needle:?} never printed; saw {seen:?}");
    };
    let first = wait_for("AUD019");
    assert!(
        first.iter().any(|l| l.contains("AUD001")),
        "the findings so far: {first:?}"
    );
    let mut out = std::fs::OpenOptions::new().append(true).open(&log).unwrap();
    let late = r#"{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"Metadata","auditID":"late-1","stage":"ResponseComplete","requestURI":"/api/v1/namespaces/payments/pods/api-0/exec?command=cat&command=%2Fvar%2Frun%2Fsecrets%2Fkubernetes.io%2Fserviceaccount%2Ftoken","verb":"get","user":{"username":"mallory@evil.example"},"objectRef":{"resource":"pods","namespace":"payments","name":"api-0","subresource":"exec"},"responseStatus":{"code":101},"requestReceivedTimestamp":"2026-11-20T10:00:00Z"}"#;
    writeln!(out, "{late}").unwrap();
    let late = wait_for("mallory@evil.example");
    let line = late.last().unwrap();
    assert!(line.starts_with("CRITICAL AUD001"), "{line}");
    let _ = child.kill();
    let _ = child.wait();
}

/// The kubelet API through nodes/proxy: judged once the server answered, on the path after
/// the node's own name (which may itself contain "proxy").
#[test]
fn nodes_proxy_is_judged_on_the_answer() {
    let event = |id: &str, stage: &str, code: Option<u16>, node: &str, path: &str| {
        let mut e = serde_json::json!({"kind": "Event", "auditID": id, "stage": stage,
            "requestURI": format!("/api/v1/nodes/{node}/proxy{path}"), "verb": "get",
            "user": {"username": "mallory"},
            "objectRef": {"resource": "nodes", "name": node, "subresource": "proxy"},
            "requestReceivedTimestamp": "2026-11-20T09:00:00Z"});
        if let Some(c) = code {
            e["responseStatus"] = serde_json::json!({"code": c});
        }
        e.to_string()
    };
    let log = [
        // Denied: its RequestReceived event must not count as an allowed request.
        event(
            "denied",
            "RequestReceived",
            None,
            "w1",
            "/exec/shop/web/app?cmd=id",
        ),
        event(
            "denied",
            "ResponseComplete",
            Some(403),
            "w1",
            "/exec/shop/web/app?cmd=id",
        ),
        // Allowed, on a node whose name contains "proxy".
        event(
            "ok",
            "ResponseComplete",
            Some(200),
            "proxy-1",
            "/run/shop/web/app?cmd=id",
        ),
    ]
    .join("\n");
    let file = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(file.path(), log).unwrap();
    let kaudit::auditlog::Analysis { findings: rec, .. } = analyze(
        &[file.path().to_path_buf()],
        &Window::default(),
        AuditConfig::default(),
    );
    let found: Vec<(String, String)> = rec
        .findings
        .iter()
        .map(|f| (f.severity.label().to_string(), f.message().into_owned()))
        .collect();
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].0, "CRITICAL", "{found:?}");
    assert!(
        found[0].1.contains("node proxy-1 (get /run/shop/web/app)"),
        "{found:?}"
    );
}

/// Denials from ever new addresses: the burst tracker forgets pairs whose window has passed
/// and watches at most `burst_pairs_max` at once (1M denied events from distinct addresses
/// took 426 MB), saying how many it could not count; a real burst is still found.
#[test]
fn the_burst_tracker_is_bounded() {
    use kaudit::auditlog::event::{AuditEvent, Status, UserInfo};
    use kaudit::auditlog::reader::{Place, Stats};
    use kaudit::auditlog::{Analysis, Analyzer};
    let denied = |ip: String, second: u64| AuditEvent {
        audit_id: format!("{ip}-{second}").into(),
        stage: "ResponseComplete".into(),
        verb: "get".into(),
        request_uri: "/api/v1/secrets".into(),
        user: UserInfo {
            username: "probe".into(),
            groups: Vec::new(),
        },
        source_ips: vec![ip.into()],
        response_status: Some(Status { code: Some(403) }),
        request_received_timestamp: Some(
            format!(
                "2026-01-02T{:02}:{:02}:{:02}Z",
                second / 3600,
                second / 60 % 60,
                second % 60
            )
            .into(),
        ),
        ..Default::default()
    };
    let config = AuditConfig {
        burst_pairs_max: 1_000,
        ..AuditConfig::default()
    };
    let place = Place {
        file: "flood.log",
        line: 1,
    };
    let untracked_note = |analysis: &Analysis| {
        analysis.findings.coverage().get("AUD015").is_some_and(|c| {
            c.not_evaluated
                .iter()
                .any(|n| n.reason.contains("were not counted"))
        })
    };

    // 5,000 addresses in the same second: 1,000 watched, the rest said.
    let mut flood = Analyzer::new(config.clone());
    for i in 0..5_000u32 {
        flood.observe(&denied(format!("10.0.{}.{}", i / 256, i % 256), 0), place);
    }
    assert!(untracked_note(&flood.finish(Stats::default())));

    // 20,000 addresses one second apart: windows pass, nothing goes uncounted.
    let mut spread = Analyzer::new(config.clone());
    for i in 0..20_000u32 {
        spread.observe(
            &denied(format!("10.1.{}.{}", i / 256, i % 256), u64::from(i)),
            place,
        );
    }
    // And then a real burst from one address.
    for s in 0..10 {
        spread.observe(&denied("192.0.2.9".into(), 30_000 + s), place);
    }
    let analysis = spread.finish(Stats::default());
    assert!(!untracked_note(&analysis));
    let bursts: Vec<_> = analysis
        .findings
        .findings
        .iter()
        .filter(|f| f.rule_id == "AUD015")
        .collect();
    assert_eq!(bursts.len(), 1, "the burst from 192.0.2.9");
}

/// Falco's "Ingress Object without TLS Certificate Created": an admitted Ingress create with
/// no spec.tls fires; one with TLS, a refused one, or an update does not.
#[test]
fn an_ingress_created_without_tls_is_found() {
    let event = |verb: &str, code: i64, tls: bool| {
        let spec = if tls {
            r#"{"tls":[{"hosts":["a.example"],"secretName":"a-tls"}],"rules":[{"host":"a.example"}]}"#
        } else {
            r#"{"rules":[{"host":"a.example"}]}"#
        };
        format!(
            r#"{{"kind":"Event","level":"Request","auditID":"i-{verb}-{code}-{tls}","stage":"ResponseComplete","requestURI":"/apis/networking.k8s.io/v1/namespaces/web/ingresses","verb":"{verb}","user":{{"username":"jane"}},"objectRef":{{"resource":"ingresses","namespace":"web","name":"a","apiGroup":"networking.k8s.io"}},"responseStatus":{{"code":{code}}},"requestObject":{{"kind":"Ingress","spec":{spec}}},"requestReceivedTimestamp":"2026-11-20T09:00:00Z"}}"#
        )
    };
    let log = [
        event("create", 201, false),
        event("create", 201, true),
        event("create", 403, false),
        event("update", 200, false),
    ]
    .join("\n");
    let analysis = kaudit::auditlog::analyze_bytes(
        "ingress.log",
        log.as_bytes(),
        &Default::default(),
        Default::default(),
    );
    let fired: Vec<String> = analysis
        .findings
        .findings
        .iter()
        .filter(|f| f.rule_id == "AUD026")
        .map(|f| f.message().into_owned())
        .collect();
    assert_eq!(fired.len(), 1, "{fired:?}");
    assert!(
        fired[0].contains("web/a without TLS: a.example"),
        "{fired:?}"
    );
}
