use super::*;
use crate::inventory::input::Origin;
use serde_json::json;
use std::time::{Duration, Instant};

pub(super) const DIGEST: &str =
    "sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";

pub(super) fn object(
    kind: &str,
    api_version: &str,
    namespace: &str,
    name: &str,
    spec: Value,
) -> AdmissionPolicy {
    AdmissionPolicy {
        api_version: api_version.into(),
        kind: kind.into(),
        namespace: namespace.into(),
        name: name.into(),
        value: json!({"apiVersion": api_version, "kind": kind, "spec": spec}),
        origin: Origin {
            file: "test.yaml".into(),
            line: 1,
            pointer: String::new(),
        },
    }
}

pub(super) fn cpol(name: &str, spec: Value) -> AdmissionPolicy {
    object("ClusterPolicy", "kyverno.io/v1", "", name, spec)
}

pub(super) fn cip(name: &str, spec: Value) -> AdmissionPolicy {
    object(
        "ClusterImagePolicy",
        "policy.sigstore.dev/v1beta1",
        "",
        name,
        spec,
    )
}

/// A Kyverno policy with one rule on Pods verifying `refs` with a key.
pub(super) fn kyverno_rule(refs: Value, extra: Value) -> Value {
    let mut vi = json!({
        "imageReferences": refs,
        "attestors": [{"entries": [{"keys": {"publicKeys": pem(7)}}]}],
    });
    if let (Some(vi), Some(extra)) = (vi.as_object_mut(), extra.as_object()) {
        vi.extend(extra.clone());
    }
    json!({
        "rules": [{
            "name": "check",
            "match": {"any": [{"resources": {"kinds": ["Pod"]}}]},
            "verifyImages": [vi],
        }]
    })
}

pub(super) fn pem(seed: u8) -> String {
    use p256::pkcs8::EncodePublicKey;
    p256::ecdsa::SigningKey::from_slice(&[seed; 32])
        .unwrap()
        .verifying_key()
        .to_public_key_pem(p256::pkcs8::LineEnding::LF)
        .unwrap()
}

pub(super) fn run(policies: &[AdmissionPolicy], namespace: &str, image: &str) -> Coverages {
    coverage(
        &Admission::new(policies, false),
        namespace,
        &BTreeMap::new(),
        image,
    )
}

pub(super) fn opted_in(policies: &[AdmissionPolicy], namespace: &str, image: &str) -> Coverages {
    let labels = BTreeMap::from([(INCLUDE.to_string(), "true".to_string())]);
    coverage(&Admission::new(policies, false), namespace, &labels, image)
}

pub(super) const INCLUDE: &str = "policy.sigstore.dev/include";

#[test]
fn images_normalized_per_engine() {
    let i = Image::parse("nginx").unwrap();
    assert_eq!(i.kyverno, "docker.io/nginx:latest");
    assert_eq!(i.ggcr, "index.docker.io/library/nginx:latest");
    let i = Image::parse(&format!("ghcr.io/a/b:1@{DIGEST}")).unwrap();
    assert_eq!(i.kyverno, format!("ghcr.io/a/b@{DIGEST}"));
    assert_eq!(i.ggcr, format!("ghcr.io/a/b@{DIGEST}"));
    let i = Image::parse("docker.io/acme/app:2").unwrap();
    assert_eq!(i.kyverno, "docker.io/acme/app:2");
    assert_eq!(i.ggcr, "index.docker.io/acme/app:2");
    // Kyverno takes `localhost` as a registry, ggcr only names with `.` or `:`.
    let i = Image::parse("localhost/app").unwrap();
    assert_eq!(i.kyverno, "localhost/app:latest");
    assert_eq!(i.ggcr, "index.docker.io/localhost/app:latest");
    let i = Image::parse("registry.local:5000/app:1").unwrap();
    assert_eq!(i.ggcr, "registry.local:5000/app:1");
    assert!(Image::parse("").is_none() && Image::parse(&"a".repeat(5000)).is_none());
}

#[test]
fn kyverno_cheat_sheet() {
    let p = [cpol(
        "hub",
        kyverno_rule(json!(["docker.io/nginx:*"]), json!({})),
    )];
    assert_eq!(run(&p, "shop", "nginx").covering.len(), 1);
    assert_eq!(run(&p, "shop", "nginx:1.25").covering.len(), 1);
    // With a digest the tag is dropped: `docker.io/nginx@sha256:...` has no `:` after the name.
    let pinned = format!("nginx:1.25@{DIGEST}");
    assert!(run(&p, "shop", &pinned).covering.is_empty());
    let p = [cpol(
        "hub",
        kyverno_rule(json!(["docker.io/nginx*"]), json!({})),
    )];
    assert_eq!(run(&p, "shop", &pinned).covering.len(), 1);
    // No `library/` in Kyverno's string.
    let p = [cpol(
        "lib",
        kyverno_rule(json!(["docker.io/library/*"]), json!({})),
    )];
    assert!(run(&p, "shop", "nginx").covering.is_empty());
    // `*` crosses `/`; `?` is one character.
    let p = [cpol(
        "acme",
        kyverno_rule(json!(["ghcr.io/acme/*"]), json!({})),
    )];
    assert_eq!(run(&p, "shop", "ghcr.io/acme/web:1.0").covering.len(), 1);
    assert_eq!(
        run(&p, "shop", "ghcr.io/acme/team/web:1.0").covering.len(),
        1
    );
    assert!(run(&p, "shop", "ghcr.io/other/web:1.0").covering.is_empty());
    let p = [cpol(
        "one",
        kyverno_rule(json!(["ghcr.io/acme/web:1.?"]), json!({})),
    )];
    assert_eq!(run(&p, "shop", "ghcr.io/acme/web:1.0").covering.len(), 1);
    assert!(run(&p, "shop", "ghcr.io/acme/web:1.10").covering.is_empty());
    // skipImageReferences wins; the deprecated `image` is a reference too.
    let p = [cpol(
        "skip",
        kyverno_rule(
            json!(["ghcr.io/*"]),
            json!({"skipImageReferences": ["ghcr.io/acme/*"]}),
        ),
    )];
    assert!(run(&p, "shop", "ghcr.io/acme/web:1.0").covering.is_empty());
    assert_eq!(run(&p, "shop", "ghcr.io/other/web:1.0").covering.len(), 1);
    let p = [cpol(
        "old",
        kyverno_rule(json!([]), json!({"image": "ghcr.io/acme/*"})),
    )];
    assert_eq!(run(&p, "shop", "ghcr.io/acme/web:1.0").covering.len(), 1);
}

#[test]
fn policy_controller_cheat_sheet() {
    let glob = |g: &str, image: &str| {
        let p = [cip(
            "signed",
            json!({"images": [{"glob": g}], "authorities": [{"keyless": {}}]}),
        )];
        !opted_in(&p, "shop", image).covering.is_empty()
    };
    // `*` does not cross `/` but crosses `:`; `**` crosses both.
    assert!(glob("ghcr.io/acme/*", "ghcr.io/acme/web:1.0"));
    assert!(!glob("ghcr.io/acme/*", "ghcr.io/acme/team/web:1.0"));
    assert!(glob("ghcr.io/acme/**", "ghcr.io/acme/team/web:1.0"));
    assert!(glob(
        "ghcr.io/acme/*",
        &format!("ghcr.io/acme/web:1@{DIGEST}")
    ));
    // Docker Hub names are matched fully qualified, `*` and `*/*` rewritten to Docker Hub.
    assert!(glob("index.docker.io/library/nginx:*", "nginx"));
    assert!(!glob("nginx", "nginx"));
    assert!(!glob("docker.io/library/nginx*", "nginx"));
    assert!(glob("*", "nginx:1.25"));
    assert!(!glob("*", "ghcr.io/acme/web"));
    assert!(glob("*/*", "acme/web"));
    assert!(!glob("*/*", "ghcr.io/acme/web"));
    assert!(glob("**", "ghcr.io/acme/team/web:1"));
    // `.` is literal.
    assert!(!glob("ghcr.io/acme/web.*", "ghcr.io/acme/webx1"));
}

#[test]
fn kyverno_action_resolution() {
    let action = |spec: Value, ns: &str| run(&[cpol("p", spec)], ns, "nginx").strongest();
    let rule = |extra| kyverno_rule(json!(["*"]), extra);
    assert_eq!(action(rule(json!({})), "shop"), Some(Action::Audit));
    let with = |mut spec: Value, key: &str, value: Value| {
        spec[key] = value;
        spec
    };
    let enforce = with(rule(json!({})), "validationFailureAction", json!("enforce"));
    assert_eq!(action(enforce.clone(), "shop"), Some(Action::Enforce));
    // An entry's Enforce wins over the policy's Audit; an entry's explicit Audit is the rule's
    // action even under a policy-wide Enforce (engineresponse.go `ruleAction`).
    assert_eq!(
        action(rule(json!({"failureAction": "Enforce"})), "shop"),
        Some(Action::Enforce)
    );
    let audit_entry = with(
        rule(json!({"failureAction": "Audit"})),
        "validationFailureAction",
        json!("Enforce"),
    );
    assert_eq!(action(audit_entry, "shop"), Some(Action::Audit));
    let overrides = json!([
        {"action": "bogus", "namespaces": ["*"]},
        {"action": "Enforce", "namespaces": ["prod-*"]},
        {"action": "Audit", "namespaceSelector": {"matchLabels": {"tier": "dev"}}},
    ]);
    let spec = with(
        rule(json!({})),
        "validationFailureActionOverrides",
        overrides.clone(),
    );
    assert_eq!(action(spec.clone(), "prod-eu"), Some(Action::Enforce));
    assert_eq!(action(spec, "shop"), Some(Action::Audit));
    let spec = with(enforce, "validationFailureActionOverrides", overrides);
    let labels = BTreeMap::from([("tier".to_string(), "dev".to_string())]);
    let dev = coverage(
        &Admission::new(&[cpol("p", spec.clone())], false),
        "dev",
        &labels,
        "nginx",
    );
    assert_eq!(dev.strongest(), Some(Action::Audit));
    assert_eq!(action(spec, "shop"), Some(Action::Enforce));
}

#[test]
fn strongest_orders_enforce_audit_warn() {
    let audit = cpol("a", kyverno_rule(json!(["*"]), json!({})));
    let warn = cip(
        "w",
        json!({"images": [{"glob": "**"}], "mode": "warn", "authorities": [{"keyless": {}}]}),
    );
    assert_eq!(
        opted_in(&[audit.clone(), warn.clone()], "shop", "nginx").strongest(),
        Some(Action::Audit)
    );
    assert_eq!(
        opted_in(&[warn], "shop", "nginx").strongest(),
        Some(Action::Warn)
    );
    let enforce = cip(
        "e",
        json!({"images": [{"glob": "**"}], "authorities": [{"keyless": {}}]}),
    );
    assert_eq!(
        opted_in(&[audit, enforce], "shop", "nginx").strongest(),
        Some(Action::Enforce)
    );
    assert_eq!(run(&[], "shop", "nginx").strongest(), None);
}

#[test]
fn namespaced_policy_and_default_filters() {
    let spec = kyverno_rule(json!(["*"]), json!({}));
    let p = [object(
        "Policy",
        "kyverno.io/v1",
        "shop",
        "verify",
        spec.clone(),
    )];
    let c = run(&p, "shop", "nginx");
    assert_eq!(c.covering[0].policy, "Policy shop/verify");
    assert_eq!(c.covering[0].rule, "check");
    let c = run(&p, "blog", "nginx");
    assert!(c.covering.is_empty());
    assert_eq!(
        c.excluded,
        ["Policy shop/verify: a namespaced Policy applies only in namespace shop"]
    );
    let c = run(&[cpol("p", spec.clone())], "kube-system", "nginx");
    assert!(c.covering.is_empty());
    assert_eq!(
        c.excluded,
        ["ClusterPolicy p: Kyverno's default resourceFilters skip namespace kube-system"]
    );
    // Only policies whose patterns take the image are reported as skipping.
    assert!(
        run(
            &[cpol("p", kyverno_rule(json!(["ghcr.io/*"]), json!({})))],
            "kube-system",
            "nginx"
        )
        .excluded
        .is_empty()
    );
    let mut off = spec;
    off["admission"] = json!(false);
    assert!(
        run(&[cpol("p", off)], "shop", "nginx").excluded[0].contains("spec.admission is false")
    );
}

#[test]
fn kyverno_match_and_exclude() {
    let rule = |m: Value, e: Value| {
        let mut spec = kyverno_rule(json!(["*"]), json!({}));
        spec["rules"][0]["match"] = m;
        spec["rules"][0]["exclude"] = e;
        [cpol("p", spec)]
    };
    let labels = BTreeMap::from([("env".to_string(), "prod".to_string())]);
    let with_labels =
        |p: &[AdmissionPolicy], ns| coverage(&Admission::new(p, false), ns, &labels, "nginx");
    // Controllers count; other kinds and update-only rules neither cover nor skip.
    let p = rule(
        json!({"any": [{"resources": {"kinds": ["apps/v1/Deployment"]}}]}),
        Value::Null,
    );
    assert_eq!(run(&p, "shop", "nginx").covering.len(), 1);
    let p = rule(
        json!({"any": [{"resources": {"kinds": ["Service"]}}]}),
        Value::Null,
    );
    let c = run(&p, "shop", "nginx");
    assert!(c.covering.is_empty() && c.excluded.is_empty());
    let p = rule(
        json!({"resources": {"kinds": ["Pod"], "operations": ["UPDATE"]}}),
        Value::Null,
    );
    assert!(run(&p, "shop", "nginx").covering.is_empty());
    // Match namespaces (wildcards) and namespace selectors.
    let p = rule(
        json!({"any": [{"resources": {"kinds": ["Pod"], "namespaces": ["prod-*"]}}]}),
        Value::Null,
    );
    assert_eq!(run(&p, "prod-eu", "nginx").covering.len(), 1);
    let c = run(&p, "shop", "nginx");
    assert_eq!(
        c.excluded,
        ["ClusterPolicy p rule check: match namespaces (prod-*) do not include shop"]
    );
    let sel = json!({"all": [{"resources": {"kinds": ["Pod"], "namespaceSelector": {
        "matchExpressions": [{"key": "env", "operator": "In", "values": ["prod"]}]}}}]});
    let p = rule(sel, Value::Null);
    assert_eq!(with_labels(&p, "shop").covering.len(), 1);
    assert!(run(&p, "shop", "nginx").excluded[0].contains("namespaceSelector does not select"));
    // The selector sees the name label the API server always sets.
    let p = rule(
        json!({"resources": {"kinds": ["Pod"], "namespaceSelector": {
        "matchLabels": {"kubernetes.io/metadata.name": "shop"}}}}),
        Value::Null,
    );
    assert_eq!(run(&p, "shop", "nginx").covering.len(), 1);
    // Exclusions: by namespace, by selector; a pod-label exclusion leaves the namespace covered.
    let pods = json!({"any": [{"resources": {"kinds": ["Pod"]}}]});
    let p = rule(
        pods.clone(),
        json!({"any": [{"resources": {"namespaces": ["shop"]}}]}),
    );
    let c = run(&p, "shop", "nginx");
    assert!(c.covering.is_empty());
    assert_eq!(
        c.excluded,
        ["ClusterPolicy p rule check: exclude namespaces (shop) include shop"]
    );
    assert_eq!(run(&p, "blog", "nginx").covering.len(), 1);
    let p = rule(
        pods.clone(),
        json!({"resources": {"namespaceSelector": {"matchLabels": {"env": "prod"}}}}),
    );
    assert!(with_labels(&p, "shop").covering.is_empty());
    assert_eq!(run(&p, "shop", "nginx").covering.len(), 1);
    let p = rule(
        pods.clone(),
        json!({"any": [{"resources": {"namespaces": ["shop"], "selector": {"matchLabels": {"a": "b"}}}}]}),
    );
    assert_eq!(run(&p, "shop", "nginx").covering.len(), 1);
    let p = rule(
        pods,
        json!({"all": [{"resources": {"namespaces": ["shop"]}}, {"resources": {"kinds": ["Service"]}}]}),
    );
    assert_eq!(run(&p, "shop", "nginx").covering.len(), 1);
    // No match at all: the rule takes nothing.
    let p = rule(Value::Null, Value::Null);
    assert!(run(&p, "shop", "nginx").covering.is_empty());
}

#[test]
fn keys_from_both_engines() {
    let two = format!("{}{}", pem(7), pem(8));
    let spec = kyverno_rule(json!(["*"]), json!({}));
    let mut k = spec.clone();
    k["rules"][0]["verifyImages"][0]["attestors"][0]["entries"][0]["keys"]["publicKeys"] =
        json!(two);
    let c = run(&[cpol("require-signed", k)], "shop", "nginx");
    let cov = &c.covering[0];
    assert_eq!(cov.engine, Engine::Kyverno);
    let names: Vec<_> = cov.keys.iter().map(|k| k.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "ClusterPolicy require-signed key 1",
            "ClusterPolicy require-signed key 2"
        ]
    );
    assert!(!cov.other_trust);
    assert_eq!(
        (cov.format, cov.verify_digest, cov.mutate_digest),
        (Format::Legacy, true, true)
    );
    // Keyless signers of their own Fulcio, KMS and unparseable keys are trust kaudit cannot
    // check.
    for entry in [
        json!({"keyless": {"issuer": "https://token.actions.githubusercontent.com", "roots": "-----BEGIN CERTIFICATE-----"}}),
        json!({"keys": {"kms": "awskms:///alias/sign"}}),
        json!({"keys": {"publicKeys": "k8s://shop/cosign-pub"}}),
        json!({"keys": {"publicKeys": "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n"}}),
    ] {
        let mut s = spec.clone();
        s["rules"][0]["verifyImages"][0]["attestors"][0]["entries"] =
            json!([entry, {"keys": {"publicKeys": pem(7)}}]);
        let cov = &run(&[cpol("p", s)], "shop", "nginx").covering[0];
        assert!(cov.other_trust, "{entry}");
        assert_eq!(cov.keys.len(), 1);
    }
    let mut s = spec.clone();
    s["rules"][0]["verifyImages"][0]["type"] = json!("SigstoreBundle");
    s["rules"][0]["verifyImages"][0]["mutateDigest"] = json!(false);
    let cov = &run(&[cpol("p", s)], "shop", "nginx").covering[0];
    assert_eq!((cov.format, cov.mutate_digest), (Format::Bundle, false));
    // policy-controller: key.data, one coverage per signature format.
    let p = [cip(
        "signed",
        json!({"images": [{"glob": "**"}], "authorities": [
            {"key": {"data": pem(7)}},
            {"name": "bundled", "key": {"data": pem(8)}, "signatureFormat": "bundle"},
        ]}),
    )];
    let c = opted_in(&p, "shop", "nginx");
    assert_eq!(c.covering.len(), 2);
    let legacy = &c.covering[0];
    assert_eq!(
        (legacy.engine, legacy.format, legacy.action),
        (Engine::PolicyController, Format::Legacy, Action::Enforce)
    );
    assert_eq!(legacy.rule, "authority-0");
    assert_eq!(legacy.keys[0].name, "ClusterImagePolicy signed key 1");
    // The other format's authority may admit the image: both say so.
    assert!(legacy.other_trust && c.covering[1].other_trust);
    assert_eq!(
        (c.covering[1].format, c.covering[1].rule.as_str()),
        (Format::Bundle, "bundled")
    );
    let one = |a: Value| {
        opted_in(
            &[cip(
                "c",
                json!({"images": [{"glob": "**"}], "authorities": a}),
            )],
            "shop",
            "nginx",
        )
        .covering
    };
    let c = one(json!([{"key": {"data": pem(7)}}, {"name": "k2", "key": {"data": pem(8)}}]));
    assert_eq!((c.len(), c[0].keys.len(), c[0].other_trust), (1, 2, false));
    assert_eq!(c[0].rule, "authority-0, k2");
    for a in [
        json!({"keyless": {"url": "https://fulcio.sigstore.dev"}}),
        json!({"key": {"kms": "gcpkms://x"}}),
        json!({"key": {"secretRef": {"name": "k"}}}),
        json!({"static": {"action": "pass"}}),
    ] {
        assert!(
            one(json!([{"key": {"data": pem(7)}}, a.clone()]))[0].other_trust,
            "{a}"
        );
    }
    assert!(
        !one(json!([{"key": {"data": pem(7)}}, {"static": {"action": "fail"}}]))[0].other_trust
    );
    // No authority: the policy fails every image.
    let c = one(json!([]));
    assert_eq!(
        (
            c.len(),
            c[0].keys.len(),
            c[0].other_trust,
            c[0].rule.as_str()
        ),
        (1, 0, false, "")
    );
}

#[test]
fn policy_controller_namespace_opt_in() {
    let p = [cip(
        "signed",
        json!({"images": [{"glob": "**"}], "authorities": [{"keyless": {}}]}),
    )];
    let c = run(&p, "shop", "nginx");
    assert!(c.covering.is_empty());
    assert_eq!(
        c.excluded,
        ["ClusterImagePolicy signed: namespace shop lacks label policy.sigstore.dev/include=true"]
    );
    let labels = BTreeMap::from([(INCLUDE.to_string(), "false".to_string())]);
    assert!(
        coverage(&Admission::new(&p, false), "shop", &labels, "nginx")
            .covering
            .is_empty()
    );
    let c = opted_in(&p, "shop", "nginx");
    assert_eq!(c.covering.len(), 1);
    assert!(
        !c.covering[0].fails_open && c.covering[0].verify_digest && c.covering[0].mutate_digest
    );
    // A `match` naming only other resources leaves pods alone.
    let p = [cip(
        "cm",
        json!({"images": [{"glob": "**"}], "authorities": [{"keyless": {}}],
        "match": [{"resource": "configmaps", "version": "v1"}]}),
    )];
    assert!(opted_in(&p, "shop", "nginx").covering.is_empty());
}

#[test]
fn fails_open() {
    let spec = kyverno_rule(json!(["*"]), json!({}));
    assert!(!run(&[cpol("p", spec.clone())], "shop", "nginx").covering[0].fails_open);
    let mut s = spec.clone();
    s["failurePolicy"] = json!("Ignore");
    assert!(run(&[cpol("p", s.clone())], "shop", "nginx").covering[0].fails_open);
    // The webhookConfiguration field wins over the deprecated one.
    s["webhookConfiguration"] = json!({"failurePolicy": "Fail"});
    assert!(!run(&[cpol("p", s)], "shop", "nginx").covering[0].fails_open);
    let mut s = spec;
    s["webhookConfiguration"] = json!({"failurePolicy": "Ignore"});
    assert!(run(&[cpol("p", s)], "shop", "nginx").covering[0].fails_open);
}

#[test]
fn malformed_policies_are_unreadable() {
    let good = kyverno_rule(json!(["*"]), json!({}));
    let mut bad_refs = good.clone();
    bad_refs["rules"][0]["verifyImages"][0]["imageReferences"] = json!(5);
    let mut bad_type = good.clone();
    bad_type["rules"][0]["verifyImages"][0]["type"] = json!("Magic");
    let mut bad_match = good.clone();
    bad_match["rules"][0]["match"] = json!({"any": [{"resources": {"namespaces": "shop"}}]});
    let mut long = good.clone();
    long["rules"][0]["verifyImages"][0]["imageReferences"] = json!(["a".repeat(2000), "*"]);
    let policies = [
        cpol("no-spec", json!("x")),
        cpol("rules", json!({"rules": {}})),
        cpol("refs", bad_refs),
        cpol("type", bad_type),
        cpol("match", bad_match),
        cip("images", json!({"images": "x"})),
        cip(
            "glob",
            json!({"images": [{"glob": "ghcr.io/[a]"}], "authorities": []}),
        ),
    ];
    let c = opted_in(&policies, "shop", "nginx");
    assert!(c.covering.is_empty(), "{:?}", c.covering);
    for name in [
        "no-spec", "rules", "refs", "type", "match", "images", "glob",
    ] {
        assert!(
            c.unreadable.iter().any(|u| u.contains(&format!(" {name}"))),
            "{name}: {:?}",
            c.unreadable
        );
    }
    // An over-long pattern is noted and the rest of the rule still read.
    let c = run(&[cpol("long", long)], "shop", "nginx");
    assert_eq!(c.covering.len(), 1);
    assert!(c.unreadable[0].contains("2000 bytes"));
    // Other kinds and API groups are not read at all.
    let other = object("ClusterPolicy", "example.com/v1", "", "x", json!("x"));
    assert!(run(&[other], "shop", "nginx").unreadable.is_empty());
}

#[test]
fn any_json_shape_is_survived() {
    let shapes = [
        json!(null),
        json!(1),
        json!("s"),
        json!([]),
        json!({}),
        json!([1, "a", null, {}]),
        json!({"any": 1, "all": "x", "resources": []}),
        json!([{"keys": 1, "entries": {}}]),
    ];
    let paths: [&[&str]; 12] = [
        &["rules"],
        &["rules", "0"],
        &["rules", "0", "match"],
        &["rules", "0", "exclude"],
        &["rules", "0", "verifyImages", "0"],
        &["rules", "0", "verifyImages", "0", "attestors"],
        &[
            "rules",
            "0",
            "verifyImages",
            "0",
            "attestors",
            "0",
            "entries",
        ],
        &["validationFailureActionOverrides"],
        &["webhookConfiguration"],
        &[
            "rules",
            "0",
            "match",
            "any",
            "0",
            "resources",
            "namespaceSelector",
        ],
        &["authorities"],
        &["images"],
    ];
    let base = kyverno_rule(json!(["*"]), json!({}));
    for shape in &shapes {
        for path in paths {
            for mut spec in [
                base.clone(),
                json!({"images": [{"glob": "**"}], "authorities": [{"key": {}}]}),
            ] {
                let mut at = &mut spec;
                for key in path {
                    at = match key.parse::<usize>() {
                        Ok(i) if at.get(i).is_some() => &mut at[i],
                        _ if at.is_object() => &mut at[*key],
                        _ => break,
                    };
                }
                *at = shape.clone();
                let _ = opted_in(&[cpol("p", spec.clone()), cip("c", spec)], "shop", "nginx");
            }
        }
    }
}

#[test]
fn pathological_patterns_finish_fast() {
    let start = Instant::now();
    let text = "a".repeat(100_000);
    assert!(!Pattern::wildcard("*a*a*a*a*a*a*a*a*b").matches(&text));
    assert!(!Pattern::glob("**a**a*a*a**a*a*a*a*b").matches(&text));
    assert!(Pattern::wildcard("*a*a*a*a*a*a*a*a*").matches(&text));
    // The same through the whole path, with many such patterns.
    let refs: Vec<String> = (0..1000)
        .map(|i| format!("*a*a*a*a*a*a*a*a*b{i}"))
        .collect();
    let p = [cpol("slow", kyverno_rule(json!(refs), json!({})))];
    let image = format!("ghcr.io/{}:1", "a".repeat(1000));
    assert!(run(&p, "shop", &image).covering.is_empty());
    assert!(
        start.elapsed() < Duration::from_secs(20),
        "{:?}",
        start.elapsed()
    );
}

#[test]
fn serializes_for_reports() {
    let p = [cpol("p", kyverno_rule(json!(["*"]), json!({})))];
    let v = serde_json::to_value(run(&p, "shop", "nginx")).unwrap();
    let c = &v["covering"][0];
    assert_eq!(
        (
            c["engine"].as_str(),
            c["action"].as_str(),
            c["format"].as_str()
        ),
        (Some("kyverno"), Some("audit"), Some("legacy"))
    );
    assert!(c.get("keys").is_none());
    assert_eq!(
        serde_json::to_value(Engine::PolicyController).unwrap(),
        "policy-controller"
    );
}
