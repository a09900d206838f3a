//! `kaudit image verify` against Debian's `docker-registry` on 127.0.0.1: images the test
//! builds, signed the way cosign stores signatures (`sha256-<hex>.sig`, one simplesigning
//! layer per signature) with keys freshly made by OpenSSL (ECDSA P-256 and P-384, RSA,
//! Ed25519), attested (`.att`, a DSSE envelope of SLSA provenance), and the variants that
//! must never read as verified: another key, a tampered payload, a signature copied from
//! another image, a truncated layer, no signature, an unreachable registry.

#[path = "common/images.rs"]
mod images;
#[path = "common/registry.rs"]
mod registry;

use base64::Engine;
use images::{Compression, Entry, Image};
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::process::Command;

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;

/// A key pair made by OpenSSL, and signing with it as cosign does.
struct Signer {
    private: PathBuf,
    public: PathBuf,
    /// `openssl dgst` digest, or `None` for Ed25519 (signs the message itself).
    digest: Option<&'static str>,
}

fn openssl(args: &[&str]) {
    let out = Command::new("openssl")
        .args(args)
        .output()
        .expect("openssl runs");
    assert!(
        out.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

impl Signer {
    fn new(dir: &Path, name: &str, algorithm: &[&str], digest: Option<&'static str>) -> Signer {
        let private = dir.join(format!("{name}.key"));
        let public = dir.join(format!("{name}.pub"));
        let mut args = vec!["genpkey"];
        args.extend_from_slice(algorithm);
        args.extend_from_slice(&["-out", private.to_str().unwrap()]);
        openssl(&args);
        openssl(&[
            "pkey",
            "-in",
            private.to_str().unwrap(),
            "-pubout",
            "-out",
            public.to_str().unwrap(),
        ]);
        Signer {
            private,
            public,
            digest,
        }
    }

    fn sign(&self, message: &[u8]) -> Vec<u8> {
        let dir = self.private.parent().unwrap();
        let input = dir.join("message");
        let output = dir.join("signature");
        std::fs::write(&input, message).unwrap();
        let (key, inp, out) = (
            self.private.to_str().unwrap(),
            input.to_str().unwrap(),
            output.to_str().unwrap(),
        );
        match self.digest {
            Some(d) => openssl(&["dgst", d, "-sign", key, "-out", out, inp]),
            None => openssl(&[
                "pkeyutl", "-sign", "-inkey", key, "-rawin", "-in", inp, "-out", out,
            ]),
        }
        std::fs::read(output).unwrap()
    }
}

/// A fresh ECDSA P-256 key pair, cosign's default kind.
fn p256_signer(dir: &Path, name: &str) -> Signer {
    Signer::new(
        dir,
        name,
        &["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"],
        Some("-sha256"),
    )
}

fn payload(reference: &str, digest: &str) -> Vec<u8> {
    serde_json::to_vec(&json!({
        "critical": {
            "identity": {"docker-reference": reference},
            "image": {"docker-manifest-digest": digest},
            "type": "cosign container image signature"
        },
        "optional": null
    }))
    .unwrap()
}

fn signature_layer(payload: Vec<u8>, signature: &[u8]) -> (Vec<u8>, &'static str, Value) {
    (
        payload,
        "application/vnd.dev.cosign.simplesigning.v1+json",
        json!({"dev.cosignproject.cosign/signature": B64.encode(signature)}),
    )
}

fn tag_for(digest: &str, suffix: &str) -> String {
    format!("{}.{suffix}", digest.replace(':', "-"))
}

fn image(marker: &str) -> Image {
    Image::new(
        vec![(
            images::tar(&[Entry::File("etc/marker", marker.as_bytes())]),
            Compression::Gzip,
        )],
        "amd64",
    )
}

fn verify(args: &[&str], keys: &[&Path], data: &Path) -> (Option<i32>, Vec<Value>, String) {
    let mut command = Command::new(env!("CARGO_BIN_EXE_kaudit"));
    command
        .args(["image", "verify", "--format", "json"])
        .args(args);
    for key in keys {
        command.arg("--key").arg(key);
    }
    let out = command
        .env("KAUDIT_DATA_DIR", data)
        .env("DOCKER_CONFIG", data.join("docker"))
        .output()
        .unwrap();
    let verdicts = serde_json::from_slice::<Vec<Value>>(&out.stdout).unwrap_or_default();
    (
        out.status.code(),
        verdicts,
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn signatures_verify_with_their_key_and_nothing_else_reads_as_verified() {
    let Some(registry) = registry::start_or_skip("image verify", None) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let p256 = p256_signer(dir.path(), "p256");
    let p384 = Signer::new(
        dir.path(),
        "p384",
        &["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-384"],
        Some("-sha384"),
    );
    let rsa = Signer::new(
        dir.path(),
        "rsa",
        &["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048"],
        Some("-sha256"),
    );
    let ed = Signer::new(dir.path(), "ed25519", &["-algorithm", "ed25519"], None);
    let stranger = p256_signer(dir.path(), "stranger");
    let addr = registry.addr.clone();
    let push_signed = |name: &str, signers: &[&Signer]| -> (String, Image) {
        let img = image(name);
        registry.push(&format!("shop/{name}"), "1.0", &[&img], None);
        let reference = format!("{addr}/shop/{name}");
        let layers: Vec<_> = signers
            .iter()
            .map(|s| {
                let p = payload(&reference, &img.manifest.digest);
                let sig = s.sign(&p);
                signature_layer(p, &sig)
            })
            .collect();
        if !layers.is_empty() {
            let sig = Image::attached(&layers);
            registry.push(
                &format!("shop/{name}"),
                &tag_for(&img.manifest.digest, "sig"),
                &[&sig],
                None,
            );
        }
        (format!("{reference}:1.0"), img)
    };

    // Each key kind verifies its own signature.
    let (p256_ref, p256_img) = push_signed("web", &[&p256]);
    let (p384_ref, _) = push_signed("api", &[&p384]);
    let (rsa_ref, _) = push_signed("worker", &[&rsa]);
    let (ed_ref, _) = push_signed("batch", &[&ed]);
    let keys = [
        p256.public.as_path(),
        p384.public.as_path(),
        rsa.public.as_path(),
        ed.public.as_path(),
    ];
    let (code, verdicts, stderr) = verify(
        &[&p256_ref, &p384_ref, &rsa_ref, &ed_ref],
        &keys,
        dir.path(),
    );
    assert_eq!(code, Some(0), "{stderr} {verdicts:?}");
    let by: Vec<(&str, &str)> = verdicts
        .iter()
        .map(|v| {
            (
                v["status"].as_str().unwrap(),
                v["signatures"][0]["key"].as_str().unwrap_or("-"),
            )
        })
        .collect();
    assert_eq!(
        by,
        [
            ("verified", "p256.pub"),
            ("verified", "p384.pub"),
            ("verified", "rsa.pub"),
            ("verified", "ed25519.pub")
        ]
    );
    assert_eq!(verdicts[0]["digest"], p256_img.manifest.digest.as_str());

    // Another key: unverified, exit 1, and the reason says a tampered payload would look
    // the same.
    let (code, verdicts, _) = verify(&[&p256_ref], &[&stranger.public], dir.path());
    assert_eq!(code, Some(1));
    assert_eq!(verdicts[0]["status"], "unverified");
    assert!(
        verdicts[0]["reason"]
            .as_str()
            .unwrap()
            .contains("payload was changed"),
        "{}",
        verdicts[0]
    );

    // A payload changed after signing (the signature kept): unverified.
    let tampered = image("tampered");
    registry.push("shop/tampered", "1.0", &[&tampered], None);
    let honest = payload(&format!("{addr}/shop/tampered"), &tampered.manifest.digest);
    let sig = p256.sign(&honest);
    let mut changed = honest.clone();
    changed.extend_from_slice(b" ");
    registry.push(
        "shop/tampered",
        &tag_for(&tampered.manifest.digest, "sig"),
        &[&Image::attached(&[signature_layer(changed, &sig)])],
        None,
    );
    // A good signature of another image, copied next to this one: invalid.
    let copy = image("copy");
    registry.push("shop/copy", "1.0", &[&copy], None);
    let theirs = payload(&format!("{addr}/shop/web"), &p256_img.manifest.digest);
    let sig = p256.sign(&theirs);
    registry.push(
        "shop/copy",
        &tag_for(&copy.manifest.digest, "sig"),
        &[&Image::attached(&[signature_layer(theirs, &sig)])],
        None,
    );
    // Nothing at all: unsigned.
    let (plain_ref, _) = push_signed("plain", &[]);
    let (code, verdicts, _) = verify(
        &[
            &format!("{addr}/shop/tampered:1.0"),
            &format!("{addr}/shop/copy:1.0"),
            &plain_ref,
        ],
        &[&p256.public],
        dir.path(),
    );
    assert_eq!(code, Some(1));
    let statuses: Vec<&str> = verdicts
        .iter()
        .map(|v| v["status"].as_str().unwrap())
        .collect();
    assert_eq!(statuses, ["unverified", "invalid", "unsigned"]);
    assert!(
        verdicts[1]["reason"]
            .as_str()
            .unwrap()
            .contains(&p256_img.manifest.digest),
        "{}",
        verdicts[1]
    );

    // The registry gone: error (exit 3), never unsigned.
    let gone = p256_ref.clone();
    drop(registry);
    let (code, verdicts, _) = verify(&[&gone], &[&p256.public], dir.path());
    assert_eq!(code, Some(3));
    assert_eq!(verdicts[0]["status"], "error");
}

#[test]
fn an_index_signature_and_an_attestation_are_found_and_named() {
    let Some(registry) = registry::start_or_skip("image verify (index, attestation)", None) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let key = p256_signer(dir.path(), "cosign");
    let (amd, arm) = (image("amd"), image("arm"));
    let index = images::index(&[(&amd, "linux", "amd64"), (&arm, "linux", "arm64")]);
    registry.push("shop/multi", "2.0", &[&amd, &arm], Some(&index));
    let reference = format!("{}/shop/multi", registry.addr);
    // cosign signs the index digest a tag resolves to.
    let p = payload(&reference, &index.digest);
    let sig = key.sign(&p);
    registry.push(
        "shop/multi",
        &tag_for(&index.digest, "sig"),
        &[&Image::attached(&[signature_layer(p, &sig)])],
        None,
    );
    // SLSA provenance for the amd64 image, in a DSSE envelope.
    let statement = serde_json::to_vec(&json!({
        "_type": "https://in-toto.io/Statement/v1",
        "subject": [{"name": reference, "digest": {"sha256": amd.manifest.digest.trim_start_matches("sha256:")}}],
        "predicateType": "https://slsa.dev/provenance/v1",
        "predicate": {
            "buildDefinition": {"externalParameters": {"workflow": {"repository": "https://github.com/acme/multi"}}},
            "runDetails": {"builder": {"id": "https://github.com/actions/runner/github-hosted"}}
        }
    }))
    .unwrap();
    let pae = [
        format!(
            "DSSEv1 28 application/vnd.in-toto+json {} ",
            statement.len()
        )
        .into_bytes(),
        statement.clone(),
    ]
    .concat();
    let envelope = serde_json::to_vec(&json!({
        "payloadType": "application/vnd.in-toto+json",
        "payload": B64.encode(&statement),
        "signatures": [{"keyid": "", "sig": B64.encode(key.sign(&pae))}]
    }))
    .unwrap();
    registry.push(
        "shop/multi",
        &tag_for(&amd.manifest.digest, "att"),
        &[&Image::attached(&[(
            envelope,
            "application/vnd.dsse.envelope.v1+json",
            json!({"predicateType": "https://slsa.dev/provenance/v1", "dev.cosignproject.cosign/signature": ""}),
        )])],
        None,
    );
    let (code, verdicts, stderr) = verify(
        &[&format!("{reference}:2.0"), "--platform", "linux/amd64"],
        &[&key.public],
        dir.path(),
    );
    assert_eq!(code, Some(0), "{stderr}");
    let v = &verdicts[0];
    assert_eq!(v["status"], "verified");
    assert_eq!(v["digest"], index.digest.as_str());
    assert_eq!(v["platform_digest"], amd.manifest.digest.as_str());
    assert!(
        v["reason"].as_str().unwrap().ends_with("on the index"),
        "{v}"
    );
    let attestation = &v["attestations"][0];
    assert_eq!(attestation["kind"], "SLSA provenance");
    assert_eq!(attestation["key"], "cosign.pub");
    assert_eq!(
        attestation["builder_id"],
        "https://github.com/actions/runner/github-hosted"
    );
    assert_eq!(attestation["source"], "https://github.com/acme/multi");

    // A signature layer whose blob is not what its descriptor says: never verified.
    let lone = image("lone");
    registry.push("shop/lone", "1.0", &[&lone], None);
    let p = payload(
        &format!("{}/shop/lone", registry.addr),
        &lone.manifest.digest,
    );
    let sig = key.sign(&p);
    let mut sig_image = Image::attached(&[signature_layer(p, &sig)]);
    // The manifest promises a bigger blob than the registry holds.
    let mut manifest: Value = serde_json::from_slice(&sig_image.manifest.bytes).unwrap();
    manifest["layers"][0]["size"] = json!(sig_image.layers[0].bytes.len() + 10);
    sig_image.manifest.bytes = serde_json::to_vec(&manifest).unwrap();
    sig_image.manifest.digest = images::sha256(&sig_image.manifest.bytes);
    registry.push(
        "shop/lone",
        &tag_for(&lone.manifest.digest, "sig"),
        &[&sig_image],
        None,
    );
    let (code, verdicts, _) = verify(
        &[&format!("{}/shop/lone:1.0", registry.addr)],
        &[&key.public],
        dir.path(),
    );
    assert_eq!(code, Some(1));
    assert_eq!(verdicts[0]["status"], "unverified", "{}", verdicts[0]);
}

#[test]
fn an_audit_verifies_running_images_with_the_policies_keys() {
    let Some(registry) = registry::start_or_skip("audit --verify-signatures", None) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let release = p256_signer(dir.path(), "release");
    let stranger = p256_signer(dir.path(), "stranger");
    let addr = registry.addr.clone();
    let push = |name: &str, signer: Option<&Signer>| -> String {
        let img = image(name);
        registry.push(&format!("shop/{name}"), "1.0", &[&img], None);
        if let Some(signer) = signer {
            let p = payload(&format!("{addr}/shop/{name}"), &img.manifest.digest);
            let sig = signer.sign(&p);
            registry.push(
                &format!("shop/{name}"),
                &tag_for(&img.manifest.digest, "sig"),
                &[&Image::attached(&[signature_layer(p, &sig)])],
                None,
            );
        }
        format!("{addr}/shop/{name}:1.0")
    };
    let good = push("good", Some(&release));
    let foreign = push("foreign", Some(&stranger));
    let plain = push("plain", None);
    // The policy (with the release key written in it) enforces in `shop`; `lab` is
    // excluded from it.
    let key_pem = std::fs::read_to_string(&release.public).unwrap();
    let indented: String = key_pem
        .lines()
        .map(|l| format!("              {l}\n"))
        .collect();
    let policy = format!(
        "apiVersion: kyverno.io/v1\nkind: ClusterPolicy\nmetadata: {{name: verify-shop}}\nspec:\n  validationFailureAction: Enforce\n  rules:\n  - name: shop\n    match: {{any: [{{resources: {{kinds: [Pod], namespaces: [shop]}}}}]}}\n    verifyImages:\n    - imageReferences: [\"{addr}/shop/*\"]\n      attestors:\n      - entries:\n        - keys:\n            publicKeys: |-\n{indented}"
    );
    let pod = |ns: &str, name: &str, image: &str| {
        format!(
            "apiVersion: v1\nkind: Pod\nmetadata: {{name: {name}, namespace: {ns}}}\nspec:\n  containers:\n  - name: {name}\n    image: {image}\n"
        )
    };
    let manifests = dir.path().join("k8s");
    std::fs::create_dir_all(&manifests).unwrap();
    std::fs::write(
        manifests.join("cluster.yaml"),
        [
            policy,
            pod("shop", "good", &good),
            pod("shop", "foreign", &foreign),
            pod("lab", "plain", &plain),
        ]
        .join("---\n"),
    )
    .unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_kaudit"))
        .args(["scan", "--manifests"])
        .arg(&manifests)
        .args(["--verify-signatures", "--format", "json"])
        .env("KAUDIT_DATA_DIR", dir.path())
        .env("DOCKER_CONFIG", dir.path().join("docker"))
        .output()
        .unwrap();
    let report: Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)));
    let mut fired: Vec<String> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule_id"].as_str().unwrap().starts_with("SIG"))
        .map(|f| {
            format!(
                "{} {}",
                f["rule_id"].as_str().unwrap(),
                f["subject"]["container"].as_str().unwrap()
            )
        })
        .collect();
    fired.sort();
    // The release-signed image passes with the key the policy holds (no --key given); the
    // stranger's runs against the enforcing policy; the unsigned one runs where nothing
    // enforces.
    assert_eq!(
        fired,
        ["SIG001 plain", "SIG003 foreign"],
        "{}",
        report["source"]["notes"]
    );
    let statuses: Vec<&str> = report["signatures"]["images"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["status"].as_str().unwrap())
        .collect();
    assert_eq!(statuses.len(), 3);
    assert!(statuses.contains(&"verified"), "{statuses:?}");
}

#[test]
fn a_cosign_v3_bundle_is_found_through_the_referrers_fallback_tag() {
    let Some(registry) = registry::start_or_skip("image verify (Sigstore bundle)", None) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let key = p256_signer(dir.path(), "v3");
    let img = image("bundled");
    registry.push("shop/bundled", "1.0", &[&img], None);
    // What cosign v3 writes: a DSSE envelope of a cosign/sign/v1 statement in a bundle, as a
    // referrer manifest whose subject is the image; the registry has no referrers API, so
    // the index of referrers goes under the `sha256-<hex>` tag.
    let statement = serde_json::to_vec(&json!({
        "_type": "https://in-toto.io/Statement/v1",
        "subject": [{"digest": {"sha256": img.manifest.digest.trim_start_matches("sha256:")}}],
        "predicateType": "https://sigstore.dev/cosign/sign/v1",
        "predicate": {}
    }))
    .unwrap();
    let pae = [
        format!(
            "DSSEv1 28 application/vnd.in-toto+json {} ",
            statement.len()
        )
        .into_bytes(),
        statement.clone(),
    ]
    .concat();
    let bundle = serde_json::to_vec(&json!({
        "mediaType": "application/vnd.dev.sigstore.bundle.v0.3+json",
        "verificationMaterial": {"publicKey": {"hint": ""}, "tlogEntries": []},
        "dsseEnvelope": {
            "payload": B64.encode(&statement),
            "payloadType": "application/vnd.in-toto+json",
            "signatures": [{"sig": B64.encode(key.sign(&pae))}]
        }
    }))
    .unwrap();
    let mut referrer = Image::attached(&[(
        bundle,
        "application/vnd.dev.sigstore.bundle.v0.3+json",
        json!({}),
    )]);
    referrer.config = images::Blob::new(b"{}".to_vec(), "application/vnd.oci.empty.v1+json");
    let manifest = json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        // cosign before go-containerregistry 0.21.6 wrote the empty type here.
        "artifactType": "application/vnd.oci.empty.v1+json",
        "config": referrer.config.descriptor(),
        "layers": [referrer.layers[0].descriptor()],
        "subject": img.manifest.descriptor(),
    });
    referrer.manifest = images::Blob::new(
        serde_json::to_vec(&manifest).unwrap(),
        "application/vnd.oci.image.manifest.v1+json",
    );
    let digest = referrer.manifest.digest.clone();
    registry.push("shop/bundled", &digest, &[&referrer], None);
    let index = images::Blob::new(
        serde_json::to_vec(&json!({
            "schemaVersion": 2,
            "mediaType": "application/vnd.oci.image.index.v1+json",
            "manifests": [referrer.manifest.descriptor()]
        }))
        .unwrap(),
        "application/vnd.oci.image.index.v1+json",
    );
    registry.put(
        "shop/bundled",
        &img.manifest.digest.replace(':', "-"),
        &index,
    );
    let reference = format!("{}/shop/bundled:1.0", registry.addr);
    let (code, verdicts, stderr) = verify(&[&reference], &[&key.public], dir.path());
    assert_eq!(code, Some(0), "{stderr} {verdicts:?}");
    let check = &verdicts[0]["signatures"][0];
    assert_eq!(check["status"], "verified", "{}", verdicts[0]);
    assert_eq!(check["format"], "bundle");
    assert_eq!(check["key"], "v3.pub");
    // Another key: the bundle is there, unverified; never unsigned.
    let other = p256_signer(dir.path(), "other");
    let (code, verdicts, _) = verify(&[&reference], &[&other.public], dir.path());
    assert_eq!(code, Some(1));
    assert_eq!(verdicts[0]["status"], "unverified", "{}", verdicts[0]);
}

#[test]
fn an_audit_reuses_what_it_fetched_within_the_hour_per_digest() {
    let Some(registry) = registry::start_or_skip("audit signature cache", None) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let release = p256_signer(dir.path(), "release");
    let stranger = p256_signer(dir.path(), "stranger");
    let img = image("cached");
    registry.push("shop/cached", "1.0", &[&img], None);
    let sign = |signer: &Signer| {
        let p = payload(
            &format!("{}/shop/cached", registry.addr),
            &img.manifest.digest,
        );
        let sig = signer.sign(&p);
        registry.push(
            "shop/cached",
            &tag_for(&img.manifest.digest, "sig"),
            &[&Image::attached(&[signature_layer(p, &sig)])],
            None,
        );
    };
    sign(&release);
    let manifests = dir.path().join("k8s");
    std::fs::create_dir_all(&manifests).unwrap();
    std::fs::write(
        manifests.join("pod.yaml"),
        format!(
            "apiVersion: v1\nkind: Pod\nmetadata: {{name: web, namespace: shop}}\nspec:\n  containers:\n  - name: web\n    image: {}/shop/cached@{}\n",
            registry.addr, img.manifest.digest
        ),
    )
    .unwrap();
    let audit = |extra: &[&str]| -> (String, String) {
        let out = Command::new(env!("CARGO_BIN_EXE_kaudit"))
            .args(["scan", "--manifests"])
            .arg(&manifests)
            .args(["--verify-signatures", "--format", "json", "--key"])
            .arg(&release.public)
            .args(extra)
            .env("KAUDIT_DATA_DIR", dir.path())
            .env("DOCKER_CONFIG", dir.path().join("docker"))
            .output()
            .unwrap();
        let report: Value = serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)));
        (
            report["signatures"]["images"][0]["status"]
                .as_str()
                .unwrap_or("")
                .to_string(),
            report["source"]["notes"].to_string(),
        )
    };
    let (status, notes) = audit(&[]);
    assert_eq!(status, "verified", "{notes}");
    assert!(notes.contains("0 as fetched within the hour"), "{notes}");
    // The signature is replaced by a stranger's: within the hour the store answers (and says
    // so); without the store the registry does.
    sign(&stranger);
    let (status, notes) = audit(&[]);
    assert_eq!(status, "verified", "{notes}");
    assert!(notes.contains("1 as fetched within the hour"), "{notes}");
    let (status, notes) = audit(&["--no-store"]);
    assert_eq!(status, "unverified", "{notes}");
}
