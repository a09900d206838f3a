//! Webhook configurations: which engine's webhook sends the pod, namespace selectors, and
//! failing open.

use super::tests::*;
use super::*;
use serde_json::json;

/// A webhook configuration holding `webhooks`.
pub(super) fn webhook_config(kind: &str, name: &str, webhooks: Value) -> AdmissionPolicy {
    let mut o = object(
        kind,
        "admissionregistration.k8s.io/v1",
        "",
        name,
        json!(null),
    );
    o.value = json!({"apiVersion": o.api_version, "kind": kind, "webhooks": webhooks});
    o
}

/// One webhook taking pod creation.
pub(super) fn hook(name: &str, failure: &str, namespace_selector: Value) -> Value {
    json!({
        "name": name,
        "failurePolicy": failure,
        "namespaceSelector": namespace_selector,
        "rules": [{"apiGroups": [""], "apiVersions": ["v1"], "operations": ["CREATE", "UPDATE"], "resources": ["pods"]}],
    })
}

/// Kyverno's chart: every namespace but kube-system and kyverno.
fn kyverno_selector() -> Value {
    json!({"matchExpressions": [{"key": "kubernetes.io/metadata.name", "operator": "NotIn", "values": ["kube-system", "kyverno"]}]})
}

fn with_webhooks(objects: &[AdmissionPolicy], namespace: &str) -> Coverages {
    coverage(
        &Admission::new(objects, false),
        namespace,
        &BTreeMap::new(),
        "nginx",
    )
}

#[test]
fn no_webhook_read_keeps_the_policy_alone() {
    let p = [cpol("p", kyverno_rule(json!(["*"]), json!({})))];
    let c = run(&p, "shop", "nginx");
    assert_eq!(c.covering.len(), 1);
    assert_eq!(c.covering[0].webhook, None);
    assert!(!c.covering[0].fails_open);
    // A listed but empty set of configurations is known: the engine's webhook is missing.
    let c = coverage(&Admission::new(&p, true), "shop", &BTreeMap::new(), "nginx");
    assert!(c.covering.is_empty());
    assert!(
        c.excluded[0].contains("no Kyverno policy webhook"),
        "{:?}",
        c.excluded
    );
}

#[test]
fn kyverno_webhook_routes_and_fails_open() {
    let policy = cpol("p", kyverno_rule(json!(["*"]), json!({})));
    let both = webhook_config(
        webhooks::MUTATING,
        "kyverno-resource-mutating-webhook-cfg",
        json!([
            hook("mutate.kyverno.svc-fail", "Fail", kyverno_selector()),
            hook("mutate.kyverno.svc-ignore", "Ignore", kyverno_selector()),
        ]),
    );
    let c = with_webhooks(&[policy.clone(), both], "shop");
    assert_eq!(c.covering.len(), 1);
    let w = c.covering[0].webhook.as_deref().unwrap();
    assert!(w.starts_with("mutate.kyverno.svc-fail"), "{w}");
    // One webhook failing closed is enough.
    assert!(!c.covering[0].fails_open);
    let open = webhook_config(
        webhooks::VALIDATING,
        "kyverno-resource-validating-webhook-cfg",
        json!([hook("validate.kyverno.svc-ignore", "Ignore", json!({}))]),
    );
    let c = with_webhooks(&[policy.clone(), open], "shop");
    assert!(c.covering[0].fails_open);
    // The webhook's namespaceSelector skips a namespace the policy itself would take.
    let skipping = webhook_config(
        webhooks::VALIDATING,
        "kyverno-resource-validating-webhook-cfg",
        json!([hook(
            "validate.kyverno.svc-fail",
            "Fail",
            kyverno_selector()
        )]),
    );
    let c = with_webhooks(&[policy.clone(), skipping.clone()], "kyverno");
    assert!(c.covering.is_empty());
    assert!(
        c.excluded[0].contains("namespaceSelector skips namespace kyverno"),
        "{:?}",
        c.excluded
    );
    assert_eq!(with_webhooks(&[policy, skipping], "shop").covering.len(), 1);
}

#[test]
fn another_engines_webhook_does_not_route() {
    let policy = cpol("p", kyverno_rule(json!(["*"]), json!({})));
    let gatekeeper = webhook_config(
        webhooks::VALIDATING,
        "gatekeeper-validating-webhook-configuration",
        json!([hook("validation.gatekeeper.sh", "Ignore", json!({}))]),
    );
    let c = with_webhooks(&[policy.clone(), gatekeeper], "shop");
    assert!(c.covering.is_empty());
    assert!(c.excluded[0].contains("no Kyverno policy webhook"));
    // Kyverno's webhook for other resources does not take pods.
    let mut not_pods = hook("validate.kyverno.svc-fail", "Fail", json!({}));
    not_pods["rules"][0]["resources"] = json!(["configmaps"]);
    let cfg = webhook_config(webhooks::VALIDATING, "k", json!([not_pods]));
    let c = with_webhooks(&[policy, cfg], "shop");
    assert!(c.excluded[0].contains("rules take the creation of pods"));
}

#[test]
fn policy_controller_webhook_replaces_the_label_default() {
    let cip_policy = cip(
        "signed",
        json!({"images": [{"glob": "**"}], "authorities": [{"key": {"data": pem(3)}}]}),
    );
    // Without webhooks, the chart's opt-in label decides (unlabeled: excluded).
    assert!(
        run(std::slice::from_ref(&cip_policy), "shop", "nginx")
            .covering
            .is_empty()
    );
    // A webhook selecting every namespace covers unlabeled namespaces, and it fails open.
    let webhook = webhook_config(
        webhooks::VALIDATING,
        "policy.sigstore.dev",
        json!([hook("policy.sigstore.dev", "Ignore", json!({}))]),
    );
    let c = with_webhooks(&[cip_policy.clone(), webhook], "shop");
    assert_eq!(c.covering.len(), 1);
    assert!(c.covering[0].fails_open);
    assert_eq!(
        c.covering[0].webhook.as_deref(),
        Some("policy.sigstore.dev (ValidatingWebhookConfiguration policy.sigstore.dev)")
    );
    // The chart's selector on the real webhook: a labeled namespace only.
    let chart = webhook_config(
        webhooks::VALIDATING,
        "policy.sigstore.dev",
        json!([hook(
            "policy.sigstore.dev",
            "Fail",
            json!({"matchExpressions": [{"key": INCLUDE, "operator": "In", "values": ["true"]}]})
        )]),
    );
    let objects = [cip_policy, chart];
    assert!(with_webhooks(&objects, "shop").covering.is_empty());
    let c = opted_in(&objects, "shop", "nginx");
    assert_eq!(c.covering.len(), 1);
    assert!(!c.covering[0].fails_open);
}

#[test]
fn malformed_webhooks_are_survived() {
    let policy = cpol("p", kyverno_rule(json!(["*"]), json!({})));
    for shape in [
        json!(null),
        json!(1),
        json!("x"),
        json!([1, null, {}]),
        json!([{"name": 5}]),
        json!([{"name": "validate.kyverno.svc", "rules": "x", "namespaceSelector": 1}]),
        json!([{"name": "validate.kyverno.svc", "rules": [{"resources": 1, "operations": [1]}]}]),
        json!([{"name": "validate.kyverno.svc-fail", "rules": [{"apiGroups": ["*"], "operations": ["*"], "resources": ["*"]}], "namespaceSelector": {"matchLabels": 3}}]),
    ] {
        let cfg = webhook_config(webhooks::VALIDATING, "x", shape);
        let _ = with_webhooks(&[policy.clone(), cfg], "shop");
    }
    // A selector the API server would refuse is noted and not taken to skip.
    let cfg = webhook_config(
        webhooks::VALIDATING,
        "x",
        json!([{"name": "validate.kyverno.svc-fail", "rules": [{"apiGroups": ["*"], "operations": ["*"], "resources": ["*"]}], "namespaceSelector": {"matchLabels": 3}}]),
    );
    let c = with_webhooks(&[policy, cfg], "shop");
    assert_eq!(c.covering.len(), 1);
    assert!(c.unreadable.iter().any(|u| u.contains("namespaceSelector")));
}
