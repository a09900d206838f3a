//! Kyverno ImageValidatingPolicy coverage and its glob syntax.

use super::glob::Glob;
use super::tests::*;
use super::tests_webhooks::{hook, webhook_config};
use super::*;
use serde_json::json;
use std::time::{Duration, Instant};

fn ivpol(name: &str, spec: Value) -> AdmissionPolicy {
    object(
        "ImageValidatingPolicy",
        "policies.kyverno.io/v1beta1",
        "",
        name,
        spec,
    )
}

/// A policy on pod creation verifying `globs` with a key.
fn ivp_spec(globs: &[&str], extra: Value) -> Value {
    let refs: Vec<Value> = globs.iter().map(|g| json!({"glob": g})).collect();
    let mut spec = json!({
        "matchConstraints": {"resourceRules": [{"apiGroups": [""], "apiVersions": ["v1"], "operations": ["CREATE", "UPDATE"], "resources": ["pods"]}]},
        "matchImageReferences": refs,
        "attestors": [{"name": "acme", "cosign": {"key": {"data": pem(5)}}}],
        "validations": [{"expression": "images.containers.map(i, verifyImageSignatures(i, [attestors.acme])).all(e, e > 0)"}],
    });
    if let (Some(s), Some(extra)) = (spec.as_object_mut(), extra.as_object()) {
        s.extend(extra.clone());
    }
    spec
}

#[test]
fn globs_follow_gobwas() {
    let g = |p: &str| Glob::compile(p).unwrap();
    // `*` crosses `/` and `:`; no registry or tag is added to the image.
    assert!(g("ghcr.io/*").matches("ghcr.io/acme/team/web:1.0"));
    assert!(!g("docker.io/*").matches("nginx"));
    assert!(g("nginx").matches("nginx"));
    assert!(!g("nginx").matches("nginx:latest"));
    assert!(g("ghcr.io/acme/web:1.?").matches("ghcr.io/acme/web:1.0"));
    assert!(!g("ghcr.io/acme/web:1.?").matches("ghcr.io/acme/web:1.10"));
    assert!(g("ghcr.io/{acme,beta}/*").matches("ghcr.io/beta/x"));
    assert!(!g("ghcr.io/{acme,beta}/*").matches("ghcr.io/gamma/x"));
    assert!(g("ghcr.io/{a{b,c},d}x").matches("ghcr.io/acx"));
    assert!(g("v[0-9].[!a-z]").matches("v1.2"));
    assert!(!g("v[0-9].[!a-z]").matches("v1.b"));
    assert!(g(r"a\*b").matches("a*b"));
    assert!(!g(r"a\*b").matches("axb"));
    for bad in ["a[b", "a{b,c", r"a\", "[]"] {
        assert!(Glob::compile(bad).is_err(), "{bad}");
    }
}

#[test]
fn globs_finish_fast() {
    let start = Instant::now();
    let text = "a".repeat(4_000);
    assert!(
        !Glob::compile("*a*a*a*a*{a,aa,aaa}*a*a*a*a*b")
            .unwrap()
            .matches(&text)
    );
    let nested = format!("{}x{}", "{a,".repeat(16), "}".repeat(16));
    assert!(Glob::compile(&nested).is_ok());
    let too_deep = format!("{}x{}", "{a,".repeat(40), "}".repeat(40));
    assert!(Glob::compile(&too_deep).is_err());
    assert!(
        start.elapsed() < Duration::from_secs(10),
        "{:?}",
        start.elapsed()
    );
}

#[test]
fn image_references_match_the_raw_image() {
    let p = [ivpol("acme", ivp_spec(&["ghcr.io/acme/*"], json!({})))];
    let c = run(&p, "shop", "ghcr.io/acme/web:1.0");
    assert_eq!(c.covering.len(), 1);
    let cov = &c.covering[0];
    assert_eq!(cov.policy, "ImageValidatingPolicy acme");
    assert_eq!(cov.rule, "acme");
    assert_eq!(cov.action, Action::Enforce);
    assert_eq!(cov.format, Format::LegacyOrBundle);
    assert_eq!(cov.keys.len(), 1);
    assert!(!cov.other_trust && !cov.fails_open);
    assert!(run(&p, "shop", "ghcr.io/other/web:1.0").covering.is_empty());
    // Unlike a ClusterPolicy, no `docker.io/` is added: a Hub glob misses the short name.
    let hub = [ivpol("hub", ivp_spec(&["docker.io/*"], json!({})))];
    assert!(run(&hub, "shop", "nginx").covering.is_empty());
    assert_eq!(run(&hub, "shop", "docker.io/nginx").covering.len(), 1);
    // No references: every image.
    let all = [ivpol(
        "all",
        ivp_spec(&[], json!({"matchImageReferences": []})),
    )];
    assert_eq!(run(&all, "shop", "nginx").covering.len(), 1);
    // A CEL reference is not evaluated, and that is said.
    let cel = [ivpol(
        "cel",
        ivp_spec(
            &[],
            json!({"matchImageReferences": [{"expression": "ref.startsWith('ghcr.io/')"}]}),
        ),
    )];
    let c = run(&cel, "shop", "ghcr.io/acme/web:1");
    assert!(c.covering.is_empty());
    assert!(c.unreadable[0].contains("CEL"), "{:?}", c.unreadable);
    // A bad glob makes the whole policy unreadable (Kyverno refuses it).
    let bad = [ivpol("bad", ivp_spec(&["ghcr.io/[a", "*"], json!({})))];
    let c = run(&bad, "shop", "nginx");
    assert!(c.covering.is_empty() && c.unreadable[0].contains("bad"));
}

#[test]
fn validation_actions_map_to_actions() {
    let action = |actions: Value| {
        let p = [ivpol(
            "p",
            ivp_spec(&["*"], json!({"validationActions": actions})),
        )];
        run(&p, "shop", "nginx").covering[0].action
    };
    assert_eq!(action(json!(["Deny"])), Action::Enforce);
    assert_eq!(action(json!(["Audit", "Deny"])), Action::Enforce);
    assert_eq!(action(json!([])), Action::Enforce);
    assert_eq!(action(json!(null)), Action::Enforce);
    assert_eq!(action(json!(["Audit"])), Action::Audit);
    assert_eq!(action(json!(["Audit", "Warn"])), Action::Audit);
    assert_eq!(action(json!(["Warn"])), Action::Warn);
}

#[test]
fn match_constraints_and_namespaces() {
    let covers = |spec: Value, ns: &str| !run(&[ivpol("p", spec)], ns, "nginx").covering.is_empty();
    let base = ivp_spec(&["*"], json!({}));
    assert!(covers(base.clone(), "shop"));
    // Kyverno's resource filters drop kube-system before any policy.
    let c = run(&[ivpol("p", base.clone())], "kube-system", "nginx");
    assert!(c.covering.is_empty() && c.excluded[0].contains("resourceFilters"));
    // Without matchConstraints nothing is matched; a rule on Deployments covers their pods.
    assert!(!covers(
        ivp_spec(&["*"], json!({"matchConstraints": null})),
        "shop"
    ));
    let deployments = json!({"matchConstraints": {"resourceRules": [{"apiGroups": ["apps"], "operations": ["CREATE"], "resources": ["deployments"]}]}});
    assert!(covers(ivp_spec(&["*"], deployments), "shop"));
    let configmaps = json!({"matchConstraints": {"resourceRules": [{"apiGroups": [""], "operations": ["CREATE"], "resources": ["configmaps"]}]}});
    assert!(!covers(ivp_spec(&["*"], configmaps), "shop"));
    let deletes = json!({"matchConstraints": {"resourceRules": [{"apiGroups": [""], "operations": ["DELETE"], "resources": ["pods"]}]}});
    assert!(!covers(ivp_spec(&["*"], deletes), "shop"));
    // The namespaceSelector and excludeResourceRules skip, and say why.
    let mut selected = base.clone();
    selected["matchConstraints"]["namespaceSelector"] =
        json!({"matchLabels": {"kubernetes.io/metadata.name": "payments"}});
    assert!(covers(selected.clone(), "payments"));
    let c = run(&[ivpol("p", selected)], "shop", "nginx");
    assert!(c.excluded[0].contains("namespaceSelector does not select namespace shop"));
    let mut excluded = base.clone();
    excluded["matchConstraints"]["excludeResourceRules"] =
        json!([{"apiGroups": [""], "operations": ["*"], "resources": ["pods"]}]);
    assert!(!covers(excluded, "shop"));
    // Background-only policies and other namespaces' namespaced policies skip.
    let mut background = base.clone();
    background["evaluation"] = json!({"admission": {"enabled": false}});
    let c = run(&[ivpol("p", background)], "shop", "nginx");
    assert!(c.excluded[0].contains("background"));
    let namespaced = object(
        "NamespacedImageValidatingPolicy",
        "policies.kyverno.io/v1beta1",
        "payments",
        "p",
        base,
    );
    assert!(
        run(std::slice::from_ref(&namespaced), "shop", "nginx")
            .covering
            .is_empty()
    );
    assert_eq!(run(&[namespaced], "payments", "nginx").covering.len(), 1);
}

#[test]
fn digests_required_and_failure_policy() {
    let one = |extra: Value| {
        let c = run(&[ivpol("p", ivp_spec(&["*"], extra))], "shop", "nginx");
        c.covering.into_iter().next()
    };
    let c = one(json!({})).unwrap();
    assert!(c.verify_digest && c.mutate_digest);
    let c =
        one(json!({"validationConfigurations": {"mutateDigest": false, "verifyDigest": false}}))
            .unwrap();
    assert!(!c.verify_digest && !c.mutate_digest);
    assert!(one(json!({"failurePolicy": "Ignore"})).unwrap().fails_open);
    assert!(!one(json!({"failurePolicy": "Fail"})).unwrap().fails_open);
    // `required: false` with no verification call checks no signature.
    let no_call = json!({"validationConfigurations": {"required": false}, "validations": [{"expression": "true"}]});
    assert!(one(no_call).is_none());
    let with_call = json!({"validationConfigurations": {"required": false}});
    assert!(one(with_call).is_some());
    // The ivpol webhook's failure policy counts too; Kyverno's ClusterPolicy webhook does not
    // route ImageValidatingPolicies.
    let ivp = ivpol("p", ivp_spec(&["*"], json!({})));
    let cfg = webhook_config(
        webhooks::VALIDATING,
        "kyverno-resource-validating-webhook-cfg",
        json!([hook(
            "ivpol.validate.kyverno.svc-ignore",
            "Ignore",
            json!({})
        )]),
    );
    let c = coverage(
        &Admission::new(&[ivp.clone(), cfg], false),
        "shop",
        &BTreeMap::new(),
        "nginx",
    );
    assert!(c.covering[0].fails_open);
    let cfg = webhook_config(
        webhooks::VALIDATING,
        "kyverno-resource-validating-webhook-cfg",
        json!([hook("validate.kyverno.svc-fail", "Fail", json!({}))]),
    );
    let c = coverage(
        &Admission::new(&[ivp, cfg], false),
        "shop",
        &BTreeMap::new(),
        "nginx",
    );
    assert!(c.covering.is_empty());
}

#[test]
fn attestors_by_format() {
    let spec = |attestors: Value| ivp_spec(&["*"], json!({"attestors": attestors}));
    let c = run(
        &[ivpol(
            "p",
            spec(json!([
                {"name": "k1", "cosign": {"key": {"data": pem(1)}}},
                {"name": "k2", "cosign": {"key": {"data": pem(2)}}},
            ])),
        )],
        "shop",
        "nginx",
    );
    assert_eq!(c.covering.len(), 1);
    assert_eq!(c.covering[0].rule, "k1, k2");
    let names: Vec<&str> = c.covering[0].keys.iter().map(|k| k.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "ImageValidatingPolicy p key 1",
            "ImageValidatingPolicy p key 2"
        ]
    );
    assert!(!c.covering[0].other_trust);
    // Keyless, KMS and notary attestors are trust kaudit cannot check.
    for attestor in [
        json!({"name": "a", "cosign": {"keyless": {"identities": [{"issuer": "x", "subject": "y"}], "roots": "x"}}}),
        json!({"name": "a", "cosign": {"key": {"kms": "awskms:///x"}}}),
        json!({"name": "a", "cosign": {"key": {"data": pem(1), "expression": "x"}}}),
    ] {
        let c = run(&[ivpol("p", spec(json!([attestor])))], "shop", "nginx");
        assert!(c.covering[0].other_trust);
    }
    let c = run(
        &[ivpol(
            "p",
            spec(json!([
                {"name": "k", "cosign": {"key": {"data": pem(1)}}},
                {"name": "n", "notary": {"certs": {"value": "x"}}},
            ])),
        )],
        "shop",
        "nginx",
    );
    let formats: Vec<Format> = c.covering.iter().map(|c| c.format).collect();
    assert_eq!(formats, [Format::LegacyOrBundle, Format::Notary]);
    assert!(c.covering.iter().all(|c| c.other_trust));
    // The cosign verifier reads both formats.
    assert!(Format::LegacyOrBundle.reads(Format::Bundle));
    assert!(Format::LegacyOrBundle.reads(Format::Legacy));
    assert!(!Format::LegacyOrBundle.reads(Format::Notary));
    assert!(!Format::Legacy.reads(Format::Bundle));
}

#[test]
fn any_ivp_shape_is_survived() {
    let shapes = [
        json!(null),
        json!(1),
        json!("s"),
        json!([]),
        json!({}),
        json!([1, "a", null, {}]),
        json!([{"glob": 1, "expression": {}}]),
    ];
    let keys = [
        "matchConstraints",
        "matchImageReferences",
        "attestors",
        "validationActions",
        "validationConfigurations",
        "validations",
        "evaluation",
        "failurePolicy",
    ];
    for shape in &shapes {
        for key in keys {
            let mut spec = ivp_spec(&["*"], json!({}));
            spec[key] = shape.clone();
            let _ = run(&[ivpol("p", spec.clone())], "shop", "nginx");
            let mut nested = ivp_spec(&["*"], json!({}));
            nested["matchConstraints"]["resourceRules"] = shape.clone();
            nested["attestors"][0]["cosign"] = shape.clone();
            let _ = run(&[ivpol("p", nested)], "shop", "nginx");
        }
    }
}
