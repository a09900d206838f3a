//! The real cosign signatures of the corpus (containers/image's fixtures, the synthetic
//! local-registry signature) judged with the corpus keys: each verifies, fails or is
//! ignored exactly as the corpus's SOURCE.md says. Skips when `../shared/corpus` is absent;
//! `tests/image_verify.rs` and the unit tests cover the same paths with fresh keys.

#[path = "common/fake_registry.rs"]
mod fake_registry;

use base64::Engine;
use kaudit::signatures::discover::SIMPLE_SIGNING;
use kaudit::signatures::keyless::TrustRoot;
use kaudit::signatures::keys::TrustedKey;
use kaudit::signatures::trust::{Identity, Trust};
use kaudit::signatures::{SignatureLayer, Status, judge};
use sha2::Digest;
use std::path::{Path, PathBuf};

fn cosign_corpus() -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus/cosign");
    if dir.is_dir() {
        Some(dir)
    } else {
        eprintln!("\n*** SKIPPED signature corpus: ../shared/corpus is not here ***\n");
        None
    }
}

fn trust(keys: &[TrustedKey]) -> Trust {
    Trust::with_keys(keys.to_vec())
}

fn key(path: &Path) -> TrustedKey {
    TrustedKey::load(path).unwrap_or_else(|e| panic!("{e}"))
}

/// The signature layers of a containers/image `dir:` fixture (`signature-N`: a
/// `\0sigstore-json\n` prefix, then the layer's media type, payload and annotations), only
/// those a verifier counts (the simplesigning media type).
fn layers(case: &Path) -> Vec<SignatureLayer> {
    let mut found = Vec::new();
    for n in 1.. {
        let Ok(bytes) = std::fs::read(case.join(format!("signature-{n}"))) else {
            break;
        };
        let json: serde_json::Value =
            serde_json::from_slice(bytes.strip_prefix(b"\0sigstore-json\n").unwrap()).unwrap();
        if json["mimeType"] != SIMPLE_SIGNING {
            continue;
        }
        let annotations = &json["annotations"];
        found.push(SignatureLayer {
            payload: base64::engine::general_purpose::STANDARD
                .decode(json["payload"].as_str().unwrap())
                .unwrap(),
            signature: annotations["dev.cosignproject.cosign/signature"]
                .as_str()
                .unwrap_or("")
                .to_string(),
            certificate: annotations["dev.sigstore.cosign/certificate"]
                .as_str()
                .map(str::to_string),
            chain: annotations["dev.sigstore.cosign/chain"]
                .as_str()
                .map(str::to_string),
            rekor_bundle: annotations["dev.sigstore.cosign/bundle"]
                .as_str()
                .map(str::to_string),
        });
    }
    found
}

fn digest_of(path: &Path) -> String {
    format!(
        "sha256:{:x}",
        sha2::Sha256::digest(std::fs::read(path).unwrap())
    )
}

#[test]
fn containers_image_signatures_verify_as_their_source_says() {
    let Some(corpus) = cosign_corpus() else {
        return;
    };
    let fixtures = corpus.join("containers-image/fixtures");
    let cosign = key(&fixtures.join("cosign.pub"));
    let cosign2 = key(&fixtures.join("cosign2.pub"));
    let rsa = key(&fixtures.join("some-rsa-key.pub"));
    assert_eq!(rsa.kind(), "RSA 4096");
    let all = [cosign.clone(), cosign2.clone(), rsa.clone()];
    // (case, keys, each signature's status and key, the image's status)
    type Case<'a> = (
        &'a str,
        &'a [TrustedKey],
        &'a [(Status, Option<&'a str>)],
        Status,
    );
    let cases: [Case; 10] = [
        (
            "dir-img-cosign-valid",
            &all,
            &[(Status::Verified, Some("cosign.pub"))],
            Status::Verified,
        ),
        (
            "dir-img-cosign-valid-2",
            &all,
            &[
                (Status::Verified, Some("cosign.pub")),
                (Status::Verified, Some("cosign.pub")),
            ],
            Status::Verified,
        ),
        (
            "dir-img-cosign-valid-with-tag",
            &all,
            &[(Status::Verified, Some("cosign.pub"))],
            Status::Verified,
        ),
        (
            "dir-img-cosign-key-rekor-valid",
            &all,
            &[(Status::Verified, Some("cosign2.pub"))],
            Status::Verified,
        ),
        // The same signature without its key: unverified.
        (
            "dir-img-cosign-key-rekor-valid",
            std::slice::from_ref(&cosign),
            &[(Status::Unverified, None)],
            Status::Unverified,
        ),
        // Keyless and private-PKI signatures: a certificate, no trusted key.
        (
            "dir-img-cosign-fulcio-rekor-valid",
            &all,
            &[(Status::Unverified, None)],
            Status::Unverified,
        ),
        (
            "dir-img-cosign-pki-valid",
            &all,
            &[(Status::Unverified, None)],
            Status::Unverified,
        ),
        // One unknown signer and one trusted: verified.
        (
            "dir-img-cosign-mixed",
            &all,
            &[
                (Status::Unverified, None),
                (Status::Verified, Some("cosign.pub")),
            ],
            Status::Verified,
        ),
        // A good signature for another manifest.
        (
            "dir-img-cosign-modified-manifest",
            &all,
            &[(Status::Invalid, Some("cosign.pub"))],
            Status::Invalid,
        ),
        // A text attachment carrying a signature annotation is no signature.
        (
            "dir-img-cosign-other-attachment",
            &all,
            &[],
            Status::Unsigned,
        ),
    ];
    for (case, keys, want, image_status) in cases {
        let dir = fixtures.join(case);
        let digest = digest_of(&dir.join("manifest.json"));
        let checks: Vec<_> = layers(&dir)
            .iter()
            .map(|l| judge::signature(l, &digest, &trust(keys)))
            .collect();
        let got: Vec<(Status, Option<&str>)> = checks
            .iter()
            .map(|c| (c.status, c.key.as_deref()))
            .collect();
        assert_eq!(got, want, "{case}: {checks:?}");
        assert_eq!(judge::status(&checks, None).0, image_status, "{case}");
    }

    // The broken schema-1 manifest's digest is not what the signature names.
    let broken = fixtures.join("dir-img-cosign-manifest-digest-error");
    let checks: Vec<_> = layers(&broken)
        .iter()
        .map(|l| judge::signature(l, &digest_of(&broken.join("manifest.json")), &trust(&all)))
        .collect();
    assert!(
        checks.iter().all(|c| c.status != Status::Verified),
        "{checks:?}"
    );

    // A signature no corpus key made.
    let unknown = std::fs::read(fixtures.join("unknown-cosign-key.signature")).unwrap();
    let json: serde_json::Value =
        serde_json::from_slice(unknown.strip_prefix(b"\0sigstore-json\n").unwrap()).unwrap();
    let layer = SignatureLayer {
        payload: base64::engine::general_purpose::STANDARD
            .decode(json["payload"].as_str().unwrap())
            .unwrap(),
        signature: json["annotations"]["dev.cosignproject.cosign/signature"]
            .as_str()
            .unwrap()
            .to_string(),
        ..SignatureLayer::default()
    };
    let check = judge::signature(&layer, "sha256:any", &trust(&all));
    assert_eq!(check.status, Status::Unverified);
    assert!(
        check.reason.contains("payload was changed"),
        "{}",
        check.reason
    );
}

#[test]
fn the_synthetic_registry_signature_verifies_with_its_key() {
    let Some(corpus) = cosign_corpus() else {
        return;
    };
    let dir = corpus.join("synthetic-local-registry");
    let layer = SignatureLayer {
        payload: std::fs::read(dir.join("simplesigning-payload.json")).unwrap(),
        signature: std::fs::read_to_string(dir.join("simplesigning-payload.sig.b64")).unwrap(),
        ..SignatureLayer::default()
    };
    let digest = digest_of(&dir.join("image-manifest.json"));
    let test_key = key(&dir.join("test-key.pub"));
    let check = judge::signature(&layer, &digest, &trust(std::slice::from_ref(&test_key)));
    assert_eq!(check.status, Status::Verified, "{}", check.reason);
    assert_eq!(check.key.as_deref(), Some("test-key.pub"));
    // Its payload changed by one byte: no longer.
    let mut tampered = layer.clone();
    tampered.payload.push(b' ');
    let check = judge::signature(&tampered, &digest, &trust(&[test_key]));
    assert_eq!(check.status, Status::Unverified);
}

#[test]
fn sigstore_bundles_verify_with_their_key_and_keyless_ones_are_named() {
    let Some(corpus) = cosign_corpus() else {
        return;
    };
    let dir = corpus.join("synthetic-local-registry");
    let bundle = std::fs::read(dir.join("bundle-v03-keyed-notlog.sigstore.json")).unwrap();
    let digest = digest_of(&dir.join("image-manifest.json"));
    let test_key = key(&dir.join("test-key.pub"));
    let Some(judge::Found::Signature(check)) =
        judge::bundle(&bundle, &digest, &trust(std::slice::from_ref(&test_key)))
    else {
        panic!("a cosign v3 signature bundle");
    };
    assert_eq!(check.status, Status::Verified, "{}", check.reason);
    assert_eq!(check.verified_by, ["test-key.pub"]);
    // The same bundle next to another image binds the wrong digest: invalid.
    let Some(judge::Found::Signature(other)) = judge::bundle(
        &bundle,
        &format!("sha256:{}", "0".repeat(64)),
        &trust(&[test_key]),
    ) else {
        panic!("still a signature bundle");
    };
    assert_eq!(other.status, Status::Invalid, "{}", other.reason);
    // cosign v3's real keyless bundle: found, named, not verified by a key.
    let keyless = std::fs::read(corpus.join("sigstore-rs/bundle_v03.json")).unwrap();
    let subject = "sha256:c811d58de79c92f03214e63aa339484e488d694ae8a6283b5f3f17a9faf50172";
    let cosign = key(&corpus.join("containers-image/fixtures/cosign.pub"));
    let Some(judge::Found::Signature(check)) = judge::bundle(&keyless, subject, &trust(&[cosign]))
    else {
        panic!("a keyless signature bundle");
    };
    assert_eq!(check.status, Status::Unverified);
    assert!(check.reason.contains("keyless"), "{}", check.reason);
}

fn identity(subject: &str, issuer: &str) -> Identity {
    Identity::from_flags(Some(subject), None, Some(issuer), None)
        .unwrap()
        .unwrap()
}

fn keyless_trust(identities: Vec<Identity>, root: Option<&Path>) -> Trust {
    let root = match root {
        Some(path) => TrustRoot::load(path),
        None => TrustRoot::embedded(),
    };
    Trust {
        keys: Vec::new(),
        identities,
        root: Some(std::sync::Arc::new(root.unwrap())),
    }
}

#[test]
fn legacy_keyless_signatures_verify_against_fulcio_and_rekor_with_the_trusted_identity() {
    let Some(corpus) = cosign_corpus() else {
        return;
    };
    let case = corpus.join("containers-image/fixtures/dir-img-cosign-fulcio-rekor-valid");
    let digest = digest_of(&case.join("manifest.json"));
    let layer = layers(&case).remove(0);
    let github = "https://github.com/login/oauth";
    let trusted = keyless_trust(vec![identity("mitr@redhat.com", github)], None);
    let check = judge::signature(&layer, &digest, &trusted);
    assert_eq!(check.status, Status::Verified, "{}", check.reason);
    let who = check.identity.as_deref().unwrap();
    assert!(
        who.contains("mitr@redhat.com") && who.contains(github),
        "{who}"
    );

    // Verified, but by somebody else than the identity trusted.
    let other = keyless_trust(vec![identity("someone@example.com", github)], None);
    let check = judge::signature(&layer, &digest, &other);
    assert_eq!(check.status, Status::Unverified);
    assert!(
        check.reason.contains("mitr@redhat.com") && check.reason.contains("not an identity"),
        "{}",
        check.reason
    );
    // The right subject from another issuer is not the same signer.
    let wrong_issuer = keyless_trust(
        vec![identity("mitr@redhat.com", "https://accounts.google.com")],
        None,
    );
    assert_eq!(
        judge::signature(&layer, &digest, &wrong_issuer).status,
        Status::Unverified
    );
    // A regexp identity, as cosign's --certificate-identity-regexp.
    let regexp = Trust {
        identities: vec![
            Identity::from_flags(None, Some(r"@redhat\.com$"), None, Some("github"))
                .unwrap()
                .unwrap(),
        ],
        ..trusted.clone()
    };
    assert_eq!(
        judge::signature(&layer, &digest, &regexp).status,
        Status::Verified
    );

    // The same certificate and Rekor entry over a changed payload: never verified.
    let mut tampered = layer.clone();
    tampered.payload.push(b' ');
    let check = judge::signature(&tampered, &digest, &trusted);
    assert_eq!(check.status, Status::Unverified, "{}", check.reason);
    // A Rekor promise whose time was moved: its SET no longer verifies.
    let mut moved = layer.clone();
    let rekor = moved.rekor_bundle.clone().unwrap();
    moved.rekor_bundle = Some(rekor.replace("1674247893", "1674247894"));
    assert_ne!(moved.rekor_bundle.as_deref(), Some(rekor.as_str()));
    let check = judge::signature(&moved, &digest, &trusted);
    assert_eq!(check.status, Status::Unverified, "{}", check.reason);
    // No Rekor bundle: offline, it cannot be checked.
    let mut bare = layer.clone();
    bare.rekor_bundle = None;
    let check = judge::signature(&bare, &digest, &trusted);
    assert_eq!(check.status, Status::Unverified);
    assert!(check.reason.contains("online"), "{}", check.reason);
    // Signed keyless for another image: invalid, not verified.
    let check = judge::signature(&layer, &format!("sha256:{}", "1".repeat(64)), &trusted);
    assert_eq!(check.status, Status::Invalid, "{}", check.reason);

    // A private PKI's certificate (a wrapped base64 signature, no Rekor entry): not
    // verifiable offline against Sigstore's root.
    let pki = corpus.join("containers-image/fixtures/dir-img-cosign-pki-valid");
    let check = judge::signature(
        &layers(&pki).remove(0),
        &digest_of(&pki.join("manifest.json")),
        &trusted,
    );
    assert_eq!(check.status, Status::Unverified, "{}", check.reason);
    assert!(check.reason.contains("Rekor bundle"), "{}", check.reason);
}

#[test]
fn a_key_signature_with_a_rekor_promise_is_checked_against_the_log_key() {
    let Some(corpus) = cosign_corpus() else {
        return;
    };
    let fixtures = corpus.join("containers-image/fixtures");
    let case = fixtures.join("dir-img-cosign-key-rekor-valid");
    let digest = digest_of(&case.join("manifest.json"));
    let layer = layers(&case).remove(0);
    let trusted = trust(&[key(&fixtures.join("cosign2.pub"))]);
    let check = judge::signature(&layer, &digest, &trusted);
    assert_eq!(check.status, Status::Verified, "{}", check.reason);
    assert!(
        check.reason.contains("Rekor entry verifies"),
        "{}",
        check.reason
    );
    let mut moved = layer.clone();
    moved.rekor_bundle = Some(
        moved
            .rekor_bundle
            .unwrap()
            .replace("\"logIndex\":", "\"logIndex\":1"),
    );
    let check = judge::signature(&moved, &digest, &trusted);
    assert_eq!(check.status, Status::Unverified, "{}", check.reason);
    assert!(
        check.reason.contains("transparency-log"),
        "{}",
        check.reason
    );
}

#[test]
fn keyless_bundles_verify_with_a_trust_root_and_identity() {
    let Some(corpus) = cosign_corpus() else {
        return;
    };
    let bundle = std::fs::read(corpus.join("sigstore-rs/bundle_v03.json")).unwrap();
    let subject = "sha256:c811d58de79c92f03214e63aa339484e488d694ae8a6283b5f3f17a9faf50172";
    let workflow = "https://github.com/kubewarden/kubewarden-controller/.github/workflows/release.yml@refs/tags/v1.34.0";
    let actions = "https://token.actions.githubusercontent.com";
    let root = corpus.join("sigstore-rust/trusted_root.prod.json");
    for root in [Some(root.as_path()), None] {
        let trusted = keyless_trust(vec![identity(workflow, actions)], root);
        let Some(judge::Found::Signature(check)) = judge::bundle(&bundle, subject, &trusted) else {
            panic!("a keyless signature bundle");
        };
        assert_eq!(check.status, Status::Verified, "{root:?}: {}", check.reason);
        assert!(check.identity.as_deref().unwrap().contains(workflow));
        // For another image: the signature binds another digest.
        let Some(judge::Found::Signature(check)) =
            judge::bundle(&bundle, &format!("sha256:{}", "2".repeat(64)), &trusted)
        else {
            panic!("still a signature bundle");
        };
        assert_eq!(check.status, Status::Invalid, "{}", check.reason);
    }
    let tag_only = Identity::from_flags(
        None,
        Some(r"^https://github\.com/kubewarden/.*@refs/tags/v1\.35"),
        Some(actions),
        None,
    )
    .unwrap()
    .unwrap();
    let Some(judge::Found::Signature(check)) =
        judge::bundle(&bundle, subject, &keyless_trust(vec![tag_only], None))
    else {
        panic!("a keyless signature bundle");
    };
    assert_eq!(check.status, Status::Unverified, "{}", check.reason);
    // A root without timestamp authorities cannot vouch for this bundle's time.
    let old_root = corpus.join("sigstore-rs/trusted_root.prod.json");
    let Some(judge::Found::Signature(check)) = judge::bundle(
        &bundle,
        subject,
        &keyless_trust(vec![identity(workflow, actions)], Some(&old_root)),
    ) else {
        panic!("a keyless signature bundle");
    };
    assert_eq!(check.status, Status::Unverified, "{}", check.reason);

    // cosign's keyless attestation bundle: its signer named, trusted by identity.
    let attestation =
        std::fs::read(corpus.join("cosign-repo/oci-attestation.sigstore.json")).unwrap();
    let subject = "sha256:732112270d7e59418a8c080b134b24cabd67d250d0d0147a97ed95ba5c280aa4";
    let any = Identity::from_flags(
        None,
        Some(".*"),
        Some("https://github.com/login/oauth"),
        None,
    )
    .unwrap()
    .unwrap();
    let pgi = corpus.join("cosign-repo/trusted_root_pgi.json");
    let Some(judge::Found::Attestation(found)) =
        judge::bundle(&attestation, subject, &keyless_trust(vec![any], Some(&pgi)))
    else {
        panic!("an attestation bundle");
    };
    assert!(found.key.is_some(), "{}", found.reason);
    assert!(
        found.reason.contains("github.com/login/oauth"),
        "{}",
        found.reason
    );
}

/// Serves a corpus case in its registry shape (the image manifest under tag `1.0` and its
/// digest, the `.sig` manifest under its tag, the blobs); returns `host:port`.
fn serve_registry_shaped(case: &Path) -> String {
    let image = std::fs::read(case.join("image-manifest.json")).unwrap();
    let digest = digest_of(&case.join("image-manifest.json"));
    let sig_tag = format!("{}.sig", digest.replace(':', "-"));
    let signature = std::fs::read(case.join(format!("{sig_tag}.manifest.json"))).unwrap();
    let mut served = vec![
        ("manifests/1.0".to_string(), image.clone()),
        (format!("manifests/{digest}"), image),
        (format!("manifests/{sig_tag}"), signature),
    ];
    for blob in std::fs::read_dir(case.join("blobs")).unwrap() {
        let blob = blob.unwrap();
        served.push((
            format!("blobs/sha256:{}", blob.file_name().to_string_lossy()),
            std::fs::read(blob.path()).unwrap(),
        ));
    }
    fake_registry::serve(Box::new(move |path: &str| {
        let path = path.split('?').next().unwrap_or(path);
        let rest = path.strip_prefix("/v2/mitr/app/");
        let found = served.iter().find(|(p, _)| Some(p.as_str()) == rest);
        Some(match found {
            Some((p, body)) => {
                let media_type = serde_json::from_slice::<serde_json::Value>(body)
                    .ok()
                    .and_then(|v| v["mediaType"].as_str().map(str::to_string))
                    .filter(|_| p.starts_with("manifests/"))
                    .unwrap_or_else(|| "application/octet-stream".into());
                fake_registry::Reply::new(200, &media_type, body.clone())
            }
            None => fake_registry::Reply::new(
                404,
                "application/json",
                br#"{"errors":[{"code":"MANIFEST_UNKNOWN"}]}"#.to_vec(),
            ),
        })
    }))
}

#[test]
fn image_verify_trusts_a_keyless_signer_only_by_identity() {
    let Some(corpus) = cosign_corpus() else {
        return;
    };
    let case = corpus.join("containers-image/registry-shaped/dir-img-cosign-fulcio-rekor-valid");
    let data = tempfile::tempdir().unwrap();
    let run = |identity: &str| {
        let addr = serve_registry_shaped(&case);
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_kaudit"))
            .args(["image", "verify", &format!("{addr}/mitr/app:1.0")])
            .args(["--format", "json", "--certificate-identity", identity])
            .args([
                "--certificate-oidc-issuer",
                "https://github.com/login/oauth",
            ])
            .env("KAUDIT_DATA_DIR", data.path())
            .env("DOCKER_CONFIG", data.path().join("docker"))
            .output()
            .unwrap();
        let verdicts: serde_json::Value = serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)));
        (out.status.code(), verdicts[0].clone())
    };
    let (code, verdict) = run("mitr@redhat.com");
    assert_eq!(code, Some(0), "{verdict}");
    assert_eq!(verdict["status"], "verified");
    let identity = verdict["signatures"][0]["identity"].as_str().unwrap();
    assert!(identity.starts_with("mitr@redhat.com from https://github.com/login/oauth"));
    let (code, verdict) = run("someone@example.com");
    assert_eq!(code, Some(1), "{verdict}");
    assert_eq!(verdict["status"], "unverified");
}
