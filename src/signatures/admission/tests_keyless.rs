//! Keyless signers written in policies: read as identities kaudit verifies with the
//! public-good trust root, or as trust it cannot check when the policy brings its own
//! Sigstore infrastructure or relaxes the checks.

use super::tests::*;
use super::*;
use serde_json::json;

const ACTIONS: &str = "https://token.actions.githubusercontent.com";
const WORKFLOW: &str = "https://github.com/acme/app/.github/workflows/release.yml@refs/tags/v1";

fn kyverno_keyless(keyless: Value) -> Coverages {
    let mut spec = kyverno_rule(json!(["*"]), json!({}));
    spec["rules"][0]["verifyImages"][0]["attestors"][0]["entries"] =
        json!([{ "keyless": keyless }]);
    run(&[cpol("p", spec)], "shop", "nginx")
}

#[test]
fn kyverno_keyless_attestors_become_identities() {
    let c = kyverno_keyless(json!({"subject": WORKFLOW, "issuer": ACTIONS}));
    let cov = &c.covering[0];
    assert!(!cov.other_trust, "readable: public-good Fulcio and Rekor");
    assert_eq!(cov.identities.len(), 1);
    assert!(cov.identities[0].matches(&[WORKFLOW.into()], ACTIONS));
    assert!(!cov.identities[0].matches(&[WORKFLOW.into()], "https://other"));
    assert!(cov.identities[0].name().starts_with("ClusterPolicy p: "));

    let c =
        kyverno_keyless(json!({"subjectRegExp": "^https://github\\.com/acme/", "issuer": ACTIONS}));
    assert!(c.covering[0].identities[0].matches(&[WORKFLOW.into()], ACTIONS));

    // Their own roots, Rekor or CT log, or relaxed checks: kaudit cannot decide as Kyverno.
    for own in [
        json!({"subject": "a", "issuer": ACTIONS, "roots": "-----BEGIN CERTIFICATE-----"}),
        json!({"subject": "a", "issuer": ACTIONS, "rekor": {"url": "https://rekor.internal"}}),
        json!({"subject": "a", "issuer": ACTIONS, "rekor": {"ignoreTlog": true}}),
        json!({"subject": "a", "issuer": ACTIONS, "ctlog": {"pubkey": "x"}}),
        json!({"subject": "a", "issuer": ACTIONS, "additionalExtensions": {"githubWorkflowRepository": "acme/app"}}),
        json!({}),
        json!({"subjectRegExp": "("}),
    ] {
        let cov = &kyverno_keyless(own.clone()).covering[0];
        assert!(cov.other_trust, "{own}");
        assert!(cov.identities.is_empty(), "{own}");
    }
    // The public Rekor named explicitly is still the public-good instance.
    let c = kyverno_keyless(
        json!({"subject": "a", "issuer": ACTIONS, "rekor": {"url": "https://rekor.sigstore.dev"}}),
    );
    assert!(!c.covering[0].other_trust);
}

#[test]
fn policy_controller_keyless_identities_are_read() {
    let policy = |keyless: Value| {
        cip(
            "signed",
            json!({
                "images": [{"glob": "**"}],
                "authorities": [{"name": "gha", "keyless": keyless}]
            }),
        )
    };
    let c = opted_in(
        &[policy(json!({"identities": [
            {"issuer": ACTIONS, "subjectRegExp": "^https://github\\.com/acme/"},
            {"issuerRegExp": ".*", "subject": "ops@acme.test"}
        ]}))],
        "shop",
        "nginx",
    );
    let cov = &c.covering[0];
    assert!(!cov.other_trust);
    assert_eq!(cov.identities.len(), 2);
    assert!(cov.identities[1].matches(&["ops@acme.test".into()], "https://any"));
    for own in [
        json!({"url": "https://fulcio.internal", "identities": [{"issuer": ACTIONS, "subject": "a"}]}),
        json!({"ca-cert": {"data": "x"}, "identities": [{"issuer": ACTIONS, "subject": "a"}]}),
        json!({"trustRootRef": "mine", "identities": [{"issuer": ACTIONS, "subject": "a"}]}),
        json!({"identities": []}),
    ] {
        let c = opted_in(&[policy(own.clone())], "shop", "nginx");
        assert!(c.covering[0].other_trust, "{own}");
    }
}

#[test]
fn image_validating_policy_keyless_identities_are_read() {
    let policy = object(
        "ImageValidatingPolicy",
        "policies.kyverno.io/v1beta1",
        "",
        "p",
        json!({
            "matchConstraints": {"resourceRules": [{"apiGroups": [""], "apiVersions": ["v1"], "operations": ["CREATE"], "resources": ["pods"]}]},
            "matchImageReferences": [{"glob": "*"}],
            "attestors": [{"name": "gha", "cosign": {"keyless": {"identities": [{"issuer": ACTIONS, "subject": WORKFLOW}]}}}],
            "validations": [{"expression": "images.containers.map(i, verifyImageSignatures(i, [attestors.gha])).all(e, e > 0)"}]
        }),
    );
    let c = run(&[policy], "shop", "nginx");
    let cov = &c.covering[0];
    assert!(!cov.other_trust, "{c:?}");
    assert!(cov.identities[0].matches(&[WORKFLOW.into()], ACTIONS));
}
