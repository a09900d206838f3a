//! The OCI 1.1 referrers API, which Debian's registry lacks: a small in-test registry on
//! 127.0.0.1 serves an image whose only signatures are referrers, a cosign v3 Sigstore
//! bundle signed with a fresh key and a Notary signature, and `kaudit image verify` must
//! find both through `/v2/<name>/referrers/<digest>`: the bundle verified, the Notary
//! signature named and not verified.

#[path = "common/fake_registry.rs"]
mod fake_registry;

use base64::Engine;
use fake_registry::Reply;
use p256::ecdsa::signature::Signer;
use p256::pkcs8::EncodePublicKey;
use serde_json::{Value, json};
use sha2::Digest;
use std::process::Command;

const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
const OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";

fn digest(bytes: &[u8]) -> String {
    format!("sha256:{:x}", sha2::Sha256::digest(bytes))
}

fn descriptor(media_type: &str, bytes: &[u8]) -> Value {
    json!({"mediaType": media_type, "digest": digest(bytes), "size": bytes.len()})
}

#[test]
fn signatures_published_only_as_referrers_are_found_through_the_api() {
    let b64 = base64::engine::general_purpose::STANDARD;
    let signing = p256::ecdsa::SigningKey::random(&mut rand_core::OsRng);
    let dir = tempfile::tempdir().unwrap();
    let public = dir.path().join("cosign.pub");
    std::fs::write(
        &public,
        signing
            .verifying_key()
            .to_public_key_pem(Default::default())
            .unwrap(),
    )
    .unwrap();

    let config =
        br#"{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}"#
            .to_vec();
    let image = serde_json::to_vec(&json!({
        "schemaVersion": 2, "mediaType": OCI_MANIFEST,
        "config": descriptor("application/vnd.oci.image.config.v1+json", &config),
        "layers": []
    }))
    .unwrap();
    let image_digest = digest(&image);

    let statement = serde_json::to_vec(&json!({
        "_type": "https://in-toto.io/Statement/v1",
        "subject": [{"digest": {"sha256": image_digest.trim_start_matches("sha256:")}}],
        "predicateType": "https://sigstore.dev/cosign/sign/v1", "predicate": {}
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
    let signature: p256::ecdsa::DerSignature = signing.sign(&pae);
    let bundle = serde_json::to_vec(&json!({
        "mediaType": "application/vnd.dev.sigstore.bundle.v0.3+json",
        "verificationMaterial": {"publicKey": {"hint": ""}, "tlogEntries": []},
        "dsseEnvelope": {"payload": b64.encode(&statement), "payloadType": "application/vnd.in-toto+json",
                         "signatures": [{"sig": b64.encode(signature.as_bytes())}]}
    }))
    .unwrap();
    let empty = b"{}".to_vec();
    let subject = descriptor(OCI_MANIFEST, &image);
    let bundle_manifest = serde_json::to_vec(&json!({
        "schemaVersion": 2, "mediaType": OCI_MANIFEST,
        "artifactType": "application/vnd.dev.sigstore.bundle.v0.3+json",
        "config": descriptor("application/vnd.oci.empty.v1+json", &empty),
        "layers": [descriptor("application/vnd.dev.sigstore.bundle.v0.3+json", &bundle)],
        "subject": subject
    }))
    .unwrap();
    let jws = br#"{"payload":"e30","protected":"e30","signature":"AA"}"#.to_vec();
    // An older Notary signature: no artifactType, the type in the config's media type.
    let notary_manifest = serde_json::to_vec(&json!({
        "schemaVersion": 2, "mediaType": OCI_MANIFEST,
        "config": descriptor("application/vnd.cncf.notary.signature", &empty),
        "layers": [descriptor("application/jose+json", &jws)],
        "subject": subject
    }))
    .unwrap();
    let referrers = serde_json::to_vec(&json!({
        "schemaVersion": 2, "mediaType": OCI_INDEX,
        "manifests": [
            descriptor(OCI_MANIFEST, &bundle_manifest),
            descriptor(OCI_MANIFEST, &notary_manifest)
        ]
    }))
    .unwrap();

    let served = [
        ("manifests/1.0".to_string(), OCI_MANIFEST, image.clone()),
        (
            format!("manifests/{image_digest}"),
            OCI_MANIFEST,
            image.clone(),
        ),
        (format!("referrers/{image_digest}"), OCI_INDEX, referrers),
        (
            format!("manifests/{}", digest(&bundle_manifest)),
            OCI_MANIFEST,
            bundle_manifest,
        ),
        (
            format!("manifests/{}", digest(&notary_manifest)),
            OCI_MANIFEST,
            notary_manifest,
        ),
        (
            format!("blobs/{}", digest(&bundle)),
            "application/octet-stream",
            bundle,
        ),
    ];
    let addr = fake_registry::serve(Box::new(move |path: &str| {
        let path = path.split('?').next().unwrap_or(path);
        let rest = path.strip_prefix("/v2/shop/web/");
        Some(
            match served.iter().find(|(p, _, _)| Some(p.as_str()) == rest) {
                Some((_, content_type, body)) => Reply::new(200, content_type, body.clone()),
                // No `.sig` or `.att` tags: cosign v3 wrote none.
                None => Reply::new(
                    404,
                    "application/json",
                    br#"{"errors":[{"code":"MANIFEST_UNKNOWN"}]}"#.to_vec(),
                ),
            },
        )
    }));
    let out = Command::new(env!("CARGO_BIN_EXE_kaudit"))
        .args([
            "image",
            "verify",
            &format!("{addr}/shop/web:1.0"),
            "--format",
            "json",
            "--key",
        ])
        .arg(&public)
        .env("KAUDIT_DATA_DIR", dir.path())
        .env("DOCKER_CONFIG", dir.path().join("docker"))
        .output()
        .unwrap();
    let verdicts: Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)));
    let v = &verdicts[0];
    assert_eq!(out.status.code(), Some(0), "{v}");
    assert_eq!(v["status"], "verified");
    let found: Vec<(&str, &str)> = v["signatures"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| (s["format"].as_str().unwrap(), s["status"].as_str().unwrap()))
        .collect();
    assert_eq!(found, [("bundle", "verified"), ("notary", "unverified")]);
}
