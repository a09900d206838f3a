//! The Falco rules kaudit added last, on self-written events (the upstream fixtures are in
//! tests/auditlog_detect.rs): write-privileged roles, untrusted nodes, full admin access,
//! the allow-list rules (not evaluated without their list) and the activity entries.

use kaudit::auditlog::detect::{AdminBinding, AdminSubject, AuditConfig};
use kaudit::auditlog::{Analysis, analyze_bytes, reader::Window};
use std::collections::BTreeSet;

/// One event line: `user` (with `groups`) did `verb` on `resource` `ns/name`, answered
/// `code`, with `body` as its request object.
fn event(
    id: &str,
    (user, groups): (&str, &[&str]),
    (verb, resource, ns, name): (&str, &str, &str, &str),
    code: u16,
    body: Option<serde_json::Value>,
) -> String {
    let mut e = serde_json::json!({
        "kind": "Event", "apiVersion": "audit.k8s.io/v1",
        "level": if body.is_some() { "Request" } else { "Metadata" },
        "auditID": id, "stage": "ResponseComplete",
        "requestURI": format!("/api/v1/{resource}/{name}"), "verb": verb,
        "user": {"username": user, "groups": groups},
        "sourceIPs": ["10.0.0.9"],
        "objectRef": {"resource": resource, "namespace": ns, "name": name},
        "responseStatus": {"code": code},
        "requestReceivedTimestamp": format!("2026-11-20T10:00:{:02}.000000Z", id.len() % 60),
    });
    if let Some(body) = body {
        e["requestObject"] = body;
    }
    e.to_string()
}

fn run(lines: &[String], config: AuditConfig) -> Analysis {
    let log = lines.join("\n");
    analyze_bytes("t.log", log.as_bytes(), &Window::default(), config)
}

fn fired(a: &Analysis, rule: &str) -> Vec<String> {
    a.findings
        .findings
        .iter()
        .filter(|f| f.rule_id == rule)
        .map(|f| f.message().into_owned())
        .collect()
}

fn not_evaluated(a: &Analysis, rule: &str) -> bool {
    a.findings
        .coverage()
        .get(rule)
        .is_some_and(|c| !c.not_evaluated.is_empty())
}

fn role(verbs: &[&str]) -> serde_json::Value {
    serde_json::json!({"kind": "ClusterRole", "metadata": {"name": "r"},
        "rules": [{"apiGroups": [""], "resources": ["configmaps"], "verbs": verbs}]})
}

#[test]
fn a_role_that_can_write_is_noted_when_created() {
    let a = run(
        &[
            event(
                "1",
                ("jane", &[]),
                ("create", "clusterroles", "", "writer"),
                201,
                Some(role(&["get", "patch", "delete"])),
            ),
            event(
                "2",
                ("jane", &[]),
                ("create", "clusterroles", "", "reader"),
                201,
                Some(role(&["get", "list"])),
            ),
            event(
                "3",
                ("jane", &[]),
                ("create", "clusterroles", "", "refused"),
                403,
                Some(role(&["create"])),
            ),
            // The control plane keeps its own system: roles.
            event(
                "4",
                ("system:kube-controller-manager", &[]),
                ("create", "clusterroles", "", "system:x"),
                201,
                Some(role(&["update"])),
            ),
        ],
        AuditConfig::default(),
    );
    let found = fired(&a, "AUD027");
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(
        found[0].contains("writer") && found[0].contains("delete, patch"),
        "{found:?}"
    );
}

#[test]
fn nodes_join_by_their_own_identity_or_by_the_list() {
    let lines = [
        event(
            "1",
            ("system:node:worker-1", &["system:nodes"]),
            ("create", "nodes", "", "worker-1"),
            201,
            None,
        ),
        event(
            "2",
            ("jane", &[]),
            ("create", "nodes", "", "rogue"),
            201,
            None,
        ),
        event(
            "3",
            ("system:bootstrap:abc", &["system:bootstrappers"]),
            ("create", "nodes", "", "worker-9"),
            403,
            None,
        ),
    ];
    let a = run(&lines, AuditConfig::default());
    assert_eq!(
        fired(&a, "AUD028").len(),
        1,
        "jane's node, not the kubelet's own"
    );
    assert!(fired(&a, "AUD028")[0].contains("rogue"));
    let tried = fired(&a, "AUD029");
    assert_eq!(tried.len(), 1);
    assert!(
        tried[0].contains("worker-9") && tried[0].contains("403"),
        "{tried:?}"
    );
    // With a list, the name decides, whoever asks.
    let listed = AuditConfig {
        allowed_nodes: vec!["worker-*".into()],
        ..AuditConfig::default()
    };
    let a = run(&lines, listed);
    assert_eq!(fired(&a, "AUD028").len(), 1, "rogue is not listed");
    assert!(fired(&a, "AUD029").is_empty(), "worker-9 is listed");
}

#[test]
fn full_admin_access_is_judged_from_evidence() {
    let binding = serde_json::json!({"kind": "ClusterRoleBinding", "metadata": {"name": "oops"},
        "roleRef": {"kind": "ClusterRole", "name": "cluster-admin"},
        "subjects": [{"kind": "ServiceAccount", "namespace": "shop", "name": "web"}]});
    let web = "system:serviceaccount:shop:web";
    let lines = [
        // Before the binding: web is not an admin yet.
        event("1", (web, &[]), ("get", "pods", "shop", "a"), 200, None),
        event(
            "2",
            ("jane", &[]),
            ("create", "clusterrolebindings", "", "oops"),
            201,
            Some(binding),
        ),
        event("3", (web, &[]), ("get", "secrets", "shop", "b"), 200, None),
        event("4", (web, &[]), ("list", "secrets", "shop", ""), 200, None),
        event(
            "5",
            ("breakglass", &["system:masters"]),
            ("get", "nodes", "", "n"),
            200,
            None,
        ),
        event(
            "6",
            ("bob", &["ops"]),
            ("get", "pods", "shop", "c"),
            200,
            None,
        ),
        // The control plane is in system:masters too; it is not a finding.
        event(
            "7",
            ("system:apiserver", &["system:masters"]),
            ("get", "pods", "shop", "d"),
            200,
            None,
        ),
    ];
    let a = run(&lines, AuditConfig::default());
    let found = fired(&a, "AUD030");
    assert_eq!(found.len(), 2, "once per identity: {found:?}");
    assert!(
        found
            .iter()
            .any(|m| m.contains(web) && m.contains("ClusterRoleBinding oops"))
    );
    assert!(
        found
            .iter()
            .any(|m| m.contains("breakglass") && m.contains("system:masters"))
    );
    // The cluster's RBAC, when a cluster is read with the log: bob's group is bound.
    let from_cluster = AuditConfig {
        cluster_admins: vec![AdminBinding {
            subject: AdminSubject::Group("ops".into()),
            via: "ClusterRoleBinding ops-admins".into(),
        }],
        ..AuditConfig::default()
    };
    let a = run(&lines, from_cluster);
    let found = fired(&a, "AUD030");
    assert!(
        found
            .iter()
            .any(|m| m.contains("bob") && m.contains("ops-admins")),
        "{found:?}"
    );
}

#[test]
fn the_allow_list_rules_need_their_list_and_then_judge() {
    let pod = serde_json::json!({"kind": "Pod", "metadata": {"name": "p"},
        "spec": {"containers": [{"name": "a", "image": "registry.acme.example/app:1"},
                                {"name": "b", "image": "docker.io/evil/miner:latest"}]}});
    let lines = [
        event("1", ("jane", &[]), ("get", "pods", "shop", "a"), 200, None),
        event(
            "2",
            ("mallory", &[]),
            ("get", "pods", "shop", "a"),
            200,
            None,
        ),
        event(
            "3",
            ("mallory", &[]),
            ("list", "pods", "shop", ""),
            200,
            None,
        ),
        event(
            "4",
            (
                "system:serviceaccount:kube-system:replicaset-controller",
                &[],
            ),
            ("create", "pods", "shop", "p"),
            201,
            Some(pod),
        ),
        event(
            "5",
            ("mallory", &[]),
            ("create", "namespaces", "", "team-a"),
            201,
            None,
        ),
        event(
            "6",
            ("mallory", &[]),
            ("create", "namespaces", "", "miner"),
            201,
            None,
        ),
    ];
    let a = run(&lines, AuditConfig::default());
    for rule in ["AUD031", "AUD032", "AUD033"] {
        assert!(fired(&a, rule).is_empty(), "{rule} without its list");
        assert!(not_evaluated(&a, rule), "{rule} says it was not evaluated");
    }
    let lists = AuditConfig {
        allowed_users: vec!["jane".into()],
        allowed_images: vec!["registry.acme.example/".into()],
        allowed_namespace_creates: vec!["team-*".into()],
        ..AuditConfig::default()
    };
    let a = run(&lines, lists);
    let users = fired(&a, "AUD031");
    assert_eq!(users.len(), 1, "mallory once: {users:?}");
    assert!(users[0].contains("mallory"));
    let pods = fired(&a, "AUD032");
    assert_eq!(pods.len(), 1);
    assert!(pods[0].contains("docker.io/evil/miner:latest") && !pods[0].contains("app:1"));
    let namespaces = fired(&a, "AUD033");
    assert_eq!(namespaces.len(), 1);
    assert!(namespaces[0].contains("miner"));
    for rule in ["AUD031", "AUD032", "AUD033"] {
        assert!(
            !not_evaluated(&a, rule),
            "{rule} is evaluated with its list"
        );
    }
}

#[test]
fn creates_and_deletes_are_activity_entries_not_findings() {
    let lines = [
        event(
            "1",
            ("jane", &[]),
            ("create", "deployments", "shop", "web"),
            201,
            None,
        ),
        event(
            "2",
            ("jane", &[]),
            ("delete", "configmaps", "shop", "cfg"),
            200,
            None,
        ),
        event(
            "3",
            ("jane", &[]),
            ("create", "secrets", "shop", "s"),
            201,
            None,
        ),
        // Falco's exceptions: secrets in kube-system or by the control plane, namespaces
        // deleted by it; and nothing refused.
        event(
            "4",
            ("jane", &[]),
            ("create", "secrets", "kube-system", "t"),
            201,
            None,
        ),
        event(
            "5",
            (
                "system:serviceaccount:kube-system:namespace-controller",
                &[],
            ),
            ("delete", "namespaces", "", "old"),
            200,
            None,
        ),
        event(
            "6",
            ("jane", &[]),
            ("delete", "deployments", "shop", "web"),
            403,
            None,
        ),
        event(
            "7",
            ("jane", &[]),
            ("create", "namespaces", "", "new"),
            201,
            None,
        ),
    ];
    let a = run(&lines, AuditConfig::default());
    let changes: BTreeSet<(&str, String)> = a
        .stats
        .activity
        .changes
        .iter()
        .map(|c| (c.rule, c.object()))
        .collect();
    let want: BTreeSet<(&str, String)> = [
        ("K8s Deployment Created", "shop/web"),
        ("K8s ConfigMap Deleted", "shop/cfg"),
        ("K8s Secret Created", "shop/s"),
        ("K8s Namespace Created", "new"),
    ]
    .into_iter()
    .map(|(r, o)| (r, o.to_string()))
    .collect();
    assert_eq!(changes, want);
    assert_eq!(a.stats.activity.changes_total, 4);
    let jane = a
        .stats
        .activity
        .identities
        .iter()
        .find(|i| i.user == "jane")
        .unwrap();
    assert_eq!(jane.changes, 4);
    assert_eq!(
        a.stats
            .activity
            .timeline
            .iter()
            .map(|b| b.changes)
            .sum::<u64>(),
        4
    );
    let rules: BTreeSet<&str> = a.findings.findings.iter().map(|f| f.rule_id).collect();
    assert_eq!(
        rules,
        BTreeSet::from(["AUD023"]),
        "activity is not a finding; only the write in kube-system is (AUD023)"
    );
}
