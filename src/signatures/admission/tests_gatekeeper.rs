//! Gatekeeper repository and tag constraints.

use super::tests::*;
use super::tests_webhooks::{hook, webhook_config};
use super::*;
use serde_json::json;

fn constraint(kind: &str, name: &str, spec: Value) -> AdmissionPolicy {
    object(kind, "constraints.gatekeeper.sh/v1beta1", "", name, spec)
}

fn pods_only() -> Value {
    json!({"kinds": [{"apiGroups": [""], "kinds": ["Pod"]}]})
}

fn allowed(repos: &[&str]) -> AdmissionPolicy {
    constraint(
        "K8sAllowedRepos",
        "repos",
        json!({"match": pods_only(), "parameters": {"repos": repos}}),
    )
}

/// The one applying constraint's (passes, why).
fn judge(policy: AdmissionPolicy, namespace: &str, image: &str) -> (bool, String) {
    let c = run(&[policy], namespace, image);
    assert_eq!(c.repos.applying.len(), 1, "{c:?}");
    let r = &c.repos.applying[0];
    (r.passes, r.why.clone())
}

#[test]
fn allowed_repos_is_a_plain_prefix_on_the_written_image() {
    let p = allowed(&["registry.acme.example/", "docker.io/library/"]);
    assert!(judge(p.clone(), "shop", "registry.acme.example/shop/web:1").0);
    // The trap: Gatekeeper sees `postgres:16`, not `docker.io/library/postgres:16`.
    let (passes, why) = judge(p.clone(), "shop", "postgres:16");
    assert!(!passes);
    assert!(why.contains("repository not in the allowed list"), "{why}");
    assert!(why.contains("names no registry"), "{why}");
    assert!(judge(p.clone(), "shop", "docker.io/library/postgres:16").0);
    assert!(!judge(p, "shop", "ghcr.io/acme/web:1").0);
    // A prefix without a trailing `/` admits lookalike registries, and says so.
    let (passes, why) = judge(
        allowed(&["registry.acme.example"]),
        "shop",
        "registry.acme.example.evil.net/x:1",
    );
    assert!(passes && why.contains("only looks like it"), "{why}");
    let (_, why) = judge(
        allowed(&["registry.acme.example"]),
        "shop",
        "registry.acme.example/x:1",
    );
    assert!(!why.contains("looks like"), "{why}");
    // No repos: nothing is allowed.
    assert!(!judge(allowed(&[]), "shop", "nginx").0);
}

#[test]
fn allowed_repos_v2_is_exact_unless_starred() {
    let p = constraint(
        "K8sAllowedReposv2",
        "images",
        json!({"parameters": {"allowedImages": ["nginx:1.27", "ghcr.io/acme/*"]}}),
    );
    assert!(judge(p.clone(), "shop", "nginx:1.27").0);
    assert!(!judge(p.clone(), "shop", "nginx:1.27.1").0);
    assert!(judge(p.clone(), "shop", "ghcr.io/acme/web:1").0);
    assert!(!judge(p, "shop", "ghcr.io/acmex/web:1").0);
}

#[test]
fn disallowed_repos_and_tags() {
    let p = constraint(
        "K8sDisallowedRepos",
        "no-evil",
        json!({"parameters": {"repos": ["evil.example.net/"]}}),
    );
    assert!(!judge(p.clone(), "shop", "evil.example.net/x:1").0);
    assert!(judge(p, "shop", "ghcr.io/x:1").0);
    let tags = constraint(
        "K8sDisallowedTags",
        "no-latest",
        json!({"parameters": {"tags": ["latest"], "exemptImages": ["gitlab/gitlab-runner:*", "busybox"]}}),
    );
    let (passes, why) = judge(tags.clone(), "shop", "nginx:latest");
    assert!(!passes && why.contains("tag latest"), "{why}");
    // No tag fails whatever the list holds; a port is not a tag.
    let (passes, why) = judge(tags.clone(), "shop", "registry.local:5000/app");
    assert!(!passes && why.contains("no tag"), "{why}");
    // A digest passes, even after the disallowed tag.
    let pinned = format!("nginx:latest@{DIGEST}");
    let (passes, why) = judge(tags.clone(), "shop", &pinned);
    assert!(passes && why.contains("digest"), "{why}");
    assert!(judge(tags.clone(), "shop", &format!("nginx@{DIGEST}")).0);
    // Allowed by tag, not digest.
    let (passes, why) = judge(tags.clone(), "shop", "nginx:1.27");
    assert!(passes && why == "allowed by tag 1.27, not digest", "{why}");
    // Exemptions: a trailing `*` is a prefix, anything else exact.
    let (passes, why) = judge(tags.clone(), "shop", "gitlab/gitlab-runner:latest");
    assert!(passes && why.contains("exempt"), "{why}");
    assert!(judge(tags.clone(), "shop", "busybox").0);
    assert!(!judge(tags, "shop", "busybox:latest").0);
}

#[test]
fn enforcement_actions() {
    let action = |spec: Value| {
        let c = run(&[constraint("K8sAllowedRepos", "r", spec)], "shop", "nginx");
        (c.repos.applying.first().map(|r| r.action), c.repos.skipped)
    };
    assert_eq!(action(json!({})).0, Some(Action::Enforce));
    assert_eq!(
        action(json!({"enforcementAction": "deny"})).0,
        Some(Action::Enforce)
    );
    assert_eq!(
        action(json!({"enforcementAction": "dryrun"})).0,
        Some(Action::Audit)
    );
    assert_eq!(
        action(json!({"enforcementAction": "warn"})).0,
        Some(Action::Warn)
    );
    let (a, skipped) = action(json!({"enforcementAction": "Deny"}));
    assert!(
        a.is_none() && skipped[0].contains("unrecognized"),
        "{skipped:?}"
    );
    let scoped = |actions: Value| {
        action(json!({"enforcementAction": "scoped", "scopedEnforcementActions": actions}))
    };
    let (a, _) = scoped(json!([
        {"action": "warn", "enforcementPoints": [{"name": "validation.gatekeeper.sh"}]},
        {"action": "deny", "enforcementPoints": [{"name": "audit.gatekeeper.sh"}]},
    ]));
    assert_eq!(a, Some(Action::Warn));
    let (a, _) = scoped(json!([{"action": "deny", "enforcementPoints": [{"name": "*"}]}]));
    assert_eq!(a, Some(Action::Enforce));
    let (a, skipped) =
        scoped(json!([{"action": "deny", "enforcementPoints": [{"name": "audit.gatekeeper.sh"}]}]));
    assert!(a.is_none() && skipped[0].contains("no enforcement action at the admission webhook"));
}

#[test]
fn match_kinds_and_namespaces() {
    let applies = |m: Value, ns: &str| {
        let c = run(
            &[constraint(
                "K8sAllowedRepos",
                "r",
                json!({"match": m, "parameters": {"repos": ["x"]}}),
            )],
            ns,
            "nginx",
        );
        (c.repos.applying.len(), c.repos.skipped)
    };
    assert_eq!(applies(json!({}), "shop").0, 1);
    assert_eq!(applies(pods_only(), "shop").0, 1);
    assert_eq!(
        applies(
            json!({"kinds": [{"apiGroups": ["*"], "kinds": ["*"]}]}),
            "shop"
        )
        .0,
        1
    );
    // The Rego reads `spec.containers`: a constraint on Deployments checks no pod.
    let (n, skipped) = applies(
        json!({"kinds": [{"apiGroups": ["apps"], "kinds": ["Deployment"]}]}),
        "shop",
    );
    assert!(n == 0 && skipped.is_empty());
    assert_eq!(applies(json!({"scope": "Cluster"}), "shop").0, 0);
    // Namespaces and exclusions take Gatekeeper's prefix/suffix wildcards.
    assert_eq!(applies(json!({"namespaces": ["sh*"]}), "shop").0, 1);
    let (n, skipped) = applies(json!({"namespaces": ["payments"]}), "shop");
    assert!(
        n == 0 && skipped[0].contains("do not include shop"),
        "{skipped:?}"
    );
    let (n, skipped) = applies(json!({"excludedNamespaces": ["kube-*"]}), "kube-system");
    assert!(
        n == 0 && skipped[0].contains("excludedNamespaces"),
        "{skipped:?}"
    );
    assert_eq!(
        applies(json!({"excludedNamespaces": ["*-system"]}), "shop").0,
        1
    );
    assert_eq!(applies(json!({"excludedNamespaces": ["*o*"]}), "shop").0, 0);
    let (n, skipped) = applies(
        json!({"namespaceSelector": {"matchLabels": {"team": "x"}}}),
        "shop",
    );
    assert!(n == 0 && skipped[0].contains("namespaceSelector"));
    // The pod's own labels are unknown here: a labelSelector is taken to apply.
    assert_eq!(
        applies(
            json!({"labelSelector": {"matchLabels": {"app": "x"}}}),
            "shop"
        )
        .0,
        1
    );
    // Other templates' constraints are not image restrictions.
    let other = constraint("K8sRequiredLabels", "l", json!({}));
    assert!(!run(&[other], "shop", "nginx").repos.any());
}

#[test]
fn gatekeeper_webhook_fails_open_and_skips() {
    let p = allowed(&["registry.acme.example/"]);
    let r = &run(std::slice::from_ref(&p), "shop", "nginx")
        .repos
        .applying[0];
    assert!(r.webhook.is_none() && !r.fails_open);
    let chart = webhook_config(
        webhooks::VALIDATING,
        "gatekeeper-validating-webhook-configuration",
        json!([hook(
            "validation.gatekeeper.sh",
            "Ignore",
            json!({"matchExpressions": [{"key": "admission.gatekeeper.sh/ignore", "operator": "DoesNotExist"}]})
        )]),
    );
    let objects = [p, chart];
    let c = run(&objects, "shop", "nginx");
    assert!(c.repos.applying[0].fails_open);
    assert!(c.repos.applying[0].webhook.is_some());
    let labels = BTreeMap::from([(
        "admission.gatekeeper.sh/ignore".to_string(),
        "yes".to_string(),
    )]);
    let c = coverage(&Admission::new(&objects, false), "shop", &labels, "nginx");
    assert!(c.repos.applying.is_empty());
    assert!(
        c.repos.skipped[0].contains("skips namespace shop"),
        "{:?}",
        c.repos.skipped
    );
    // Repository constraints never count as signature coverage.
    assert!(c.covering.is_empty() && c.excluded.is_empty());
}

#[test]
fn any_constraint_shape_is_survived() {
    let shapes = [
        json!(null),
        json!(1),
        json!("s"),
        json!([]),
        json!({}),
        json!([1, "a", null, {}]),
        json!({"kinds": 1, "namespaces": [1], "excludedNamespaces": "x", "namespaceSelector": []}),
    ];
    for kind in [
        "K8sAllowedRepos",
        "K8sAllowedReposv2",
        "K8sDisallowedRepos",
        "K8sDisallowedTags",
    ] {
        for shape in &shapes {
            for key in [
                "match",
                "parameters",
                "enforcementAction",
                "scopedEnforcementActions",
            ] {
                let mut spec = json!({"enforcementAction": "scoped", "parameters": {"repos": ["x"], "tags": ["latest"]}});
                spec[key] = shape.clone();
                let _ = run(&[constraint(kind, "c", spec)], "shop", "nginx");
                let params = json!({"parameters": {"repos": shape, "allowedImages": shape, "tags": shape, "exemptImages": shape}});
                let _ = run(&[constraint(kind, "c", params)], "shop", "nginx");
            }
            let _ = run(&[constraint(kind, "c", shape.clone())], "shop", "nginx");
        }
    }
    // Over-long prefixes are dropped and noted.
    let long = "a".repeat(MAX_PATTERN + 1);
    let c = run(&[allowed(&[&long, "n"])], "shop", "nginx");
    assert!(c.repos.applying[0].passes);
    assert!(c.unreadable.iter().any(|u| u.contains("were ignored")));
}
