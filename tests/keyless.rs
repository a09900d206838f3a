//! Keyless signatures against a Sigstore instance the test makes itself (no corpus, no
//! network): a cosign legacy keyless `.sig` layer verifies only with the trust root that
//! names its CA, CT log and Rekor, only for the identity and issuer trusted, only over its
//! own payload and digest, and only when Rekor's promise is the trusted log's. Then the same
//! through `kaudit image verify --trusted-root` against Debian's `docker-registry`.

#[path = "common/images.rs"]
mod images;
#[path = "common/registry.rs"]
mod registry;
#[path = "common/sigstore_pki.rs"]
mod sigstore_pki;

use kaudit::signatures::keyless::TrustRoot;
use kaudit::signatures::trust::{Identity, Trust};
use kaudit::signatures::{SignatureLayer, Status, judge};
use serde_json::json;
use sigstore_pki::{KeylessLayer, Pki};
use std::sync::Arc;

const ISSUER: &str = "https://issuer.test";
const DIGEST: &str = "sha256:5a9b3c0f7e1d2c4b6a8f0e1d3c5b7a9f1e3d5c7b9a1f3e5d7c9b1a3f5e7d9c1b";

fn payload(digest: &str) -> Vec<u8> {
    serde_json::to_vec(&json!({
        "critical": {
            "identity": {"docker-reference": "registry.test/shop/web"},
            "image": {"docker-manifest-digest": digest},
            "type": "cosign container image signature"
        },
        "optional": null
    }))
    .unwrap()
}

fn layer(k: &KeylessLayer) -> SignatureLayer {
    SignatureLayer {
        payload: k.payload.clone(),
        signature: k.signature.clone(),
        certificate: Some(k.certificate.clone()),
        chain: Some(k.chain.clone()),
        rekor_bundle: Some(k.rekor_bundle.clone()),
    }
}

fn trust(pki: &Pki, subject: &str) -> Trust {
    Trust {
        keys: Vec::new(),
        identities: vec![
            Identity::from_flags(Some(subject), None, Some(ISSUER), None)
                .unwrap()
                .unwrap(),
        ],
        root: Some(Arc::new(
            TrustRoot::parse("the test's root", &pki.trusted_root()).unwrap(),
        )),
    }
}

#[test]
fn a_keyless_signature_verifies_only_for_its_identity_root_payload_and_log() {
    let pki = Pki::new("ours");
    let signed = pki.sign(&payload(DIGEST), "ci@example.test", ISSUER);
    let ours = trust(&pki, "ci@example.test");
    let check = judge::signature(&layer(&signed), DIGEST, &ours);
    assert_eq!(check.status, Status::Verified, "{}", check.reason);
    assert_eq!(
        check.identity.as_deref(),
        Some(
            "ci@example.test from https://issuer.test (keyless, as ci@example.test from https://issuer.test)"
        )
    );

    // Another identity trusted: the signer is named, not trusted.
    let check = judge::signature(&layer(&signed), DIGEST, &trust(&pki, "boss@example.test"));
    assert_eq!(check.status, Status::Unverified);
    assert!(check.reason.contains("ci@example.test"), "{}", check.reason);
    // Another Sigstore instance's root: its CA did not issue the certificate.
    let theirs = Pki::new("theirs");
    let check = judge::signature(&layer(&signed), DIGEST, &trust(&theirs, "ci@example.test"));
    assert_eq!(check.status, Status::Unverified, "{}", check.reason);
    // The payload changed after signing.
    let mut tampered = layer(&signed);
    tampered.payload = payload(&DIGEST.replace('5', "6"));
    let check = judge::signature(&tampered, DIGEST, &ours);
    assert_eq!(check.status, Status::Unverified, "{}", check.reason);
    // Rekor's promise made by a log that is not the trusted one.
    let impostor = pki.sign_logged_by(
        &payload(DIGEST),
        "ci@example.test",
        ISSUER,
        &Pki::impostor_log(),
    );
    let check = judge::signature(&layer(&impostor), DIGEST, &ours);
    assert_eq!(check.status, Status::Unverified, "{}", check.reason);
    // A certificate taken from another signature: its key did not make this one.
    let mut swapped = layer(&signed);
    swapped.certificate = Some(impostor.certificate.clone());
    let check = judge::signature(&swapped, DIGEST, &ours);
    assert_eq!(check.status, Status::Unverified, "{}", check.reason);
    // A good signature for another image: invalid.
    let check = judge::signature(&layer(&signed), &DIGEST.replace('5', "7"), &ours);
    assert_eq!(check.status, Status::Invalid, "{}", check.reason);
    // The issuer is part of the identity.
    let other_issuer = Trust {
        identities: vec![
            Identity::from_flags(
                Some("ci@example.test"),
                None,
                Some("https://evil.test"),
                None,
            )
            .unwrap()
            .unwrap(),
        ],
        ..ours.clone()
    };
    assert_eq!(
        judge::signature(&layer(&signed), DIGEST, &other_issuer).status,
        Status::Unverified
    );
}

/// Pushes an image to `repository:1.0` and its keyless signature by `signer` under the
/// `.sig` tag, as cosign does.
fn push_signed(registry: &registry::Registry, pki: &Pki, repository: &str, signer: &str) {
    let img = images::Image::new(
        vec![(
            images::tar(&[images::Entry::File("etc/name", repository.as_bytes())]),
            images::Compression::Gzip,
        )],
        "amd64",
    );
    registry.push(repository, "1.0", &[&img], None);
    let signed = pki.sign(&payload(&img.manifest.digest), signer, ISSUER);
    let attached = images::Image::attached(&[(
        signed.payload.clone(),
        "application/vnd.dev.cosign.simplesigning.v1+json",
        json!({
            "dev.cosignproject.cosign/signature": signed.signature,
            "dev.sigstore.cosign/certificate": signed.certificate,
            "dev.sigstore.cosign/chain": signed.chain,
            "dev.sigstore.cosign/bundle": signed.rekor_bundle,
        }),
    )]);
    registry.push(
        repository,
        &format!("{}.sig", img.manifest.digest.replace(':', "-")),
        &[&attached],
        None,
    );
}

#[test]
fn image_verify_takes_a_trusted_root_file_and_an_identity() {
    let Some(registry) = registry::start_or_skip("image verify (keyless)", None) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let pki = Pki::new("ours");
    let root = dir.path().join("trusted_root.json");
    std::fs::write(&root, pki.trusted_root()).unwrap();
    push_signed(&registry, &pki, "shop/keyless", "ci@example.test");
    let reference = format!("{}/shop/keyless:1.0", registry.addr);
    let run = |identity: &str| {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_kaudit"))
            .args(["image", "verify", &reference, "--format", "json"])
            .args(["--certificate-identity", identity])
            .args(["--certificate-oidc-issuer", ISSUER, "--trusted-root"])
            .arg(&root)
            .env("KAUDIT_DATA_DIR", dir.path())
            .env("DOCKER_CONFIG", dir.path().join("docker"))
            .output()
            .unwrap();
        let verdicts: serde_json::Value = serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)));
        (out.status.code(), verdicts[0].clone())
    };
    let (code, verdict) = run("ci@example.test");
    assert_eq!(code, Some(0), "{verdict}");
    assert_eq!(verdict["status"], "verified");
    assert!(
        verdict["signatures"][0]["identity"]
            .as_str()
            .unwrap()
            .starts_with("ci@example.test from https://issuer.test")
    );
    let (code, verdict) = run("boss@example.test");
    assert_eq!(code, Some(1), "{verdict}");
    assert_eq!(verdict["status"], "unverified");
}

#[test]
fn an_audit_judges_running_images_with_the_keyless_signer_a_policy_names() {
    let Some(registry) = registry::start_or_skip("audit (policy keyless signers)", None) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let pki = Pki::new("ours");
    let root = dir.path().join("trusted_root.json");
    std::fs::write(&root, pki.trusted_root()).unwrap();
    // Two images, one signed by the release workflow's identity, one by a developer.
    let mut pods = Vec::new();
    for (name, signer) in [
        ("release", "ci@example.test"),
        ("adhoc", "dev@example.test"),
    ] {
        let repository = format!("shop/{name}");
        push_signed(&registry, &pki, &repository, signer);
        pods.push(format!(
            "apiVersion: v1\nkind: Pod\nmetadata: {{name: {name}, namespace: shop}}\nspec:\n  containers:\n  - name: {name}\n    image: {}/{repository}:1.0\n",
            registry.addr
        ));
    }
    let policy = format!(
        "apiVersion: kyverno.io/v1\nkind: ClusterPolicy\nmetadata: {{name: keyless-shop}}\nspec:\n  validationFailureAction: Enforce\n  rules:\n  - name: shop\n    match: {{any: [{{resources: {{kinds: [Pod], namespaces: [shop]}}}}]}}\n    verifyImages:\n    - imageReferences: [\"{}/shop/*\"]\n      attestors:\n      - entries:\n        - keyless: {{subject: ci@example.test, issuer: \"{ISSUER}\"}}\n",
        registry.addr
    );
    let manifests = dir.path().join("k8s");
    std::fs::create_dir_all(&manifests).unwrap();
    std::fs::write(
        manifests.join("cluster.yaml"),
        [vec![policy], pods].concat().join("---\n"),
    )
    .unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_kaudit"))
        .args(["scan", "--manifests"])
        .arg(&manifests)
        .args(["--verify-signatures", "--format", "json", "--trusted-root"])
        .arg(&root)
        .env("KAUDIT_DATA_DIR", dir.path())
        .env("DOCKER_CONFIG", dir.path().join("docker"))
        .output()
        .unwrap();
    let report: serde_json::Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)));
    let sig003: Vec<&str> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule_id"] == "SIG003")
        .map(|f| f["subject"]["container"].as_str().unwrap())
        .collect();
    // The developer's signature verifies against the root but is not the policy's signer.
    assert_eq!(sig003, ["adhoc"], "{}", report["source"]["notes"]);
    let not_evaluated = report["not_evaluated"].to_string();
    assert!(
        !not_evaluated.contains("SIG003"),
        "SIG003 is judged, not left open: {not_evaluated}"
    );
}
