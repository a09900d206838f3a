//! Signature benchmarks (issue target): 200 distinct images whose signatures were already
//! fetched (kept in kaudit's store) verified in under 1 s: read back from SQLite, then
//! judged. Two sets: key-signed (a P-256 `.sig` signature and an SLSA attestation each, three
//! trusted keys, as an audit with policy keys has) and, when `../shared/corpus` is here,
//! keyless (a real Fulcio signature with its Rekor bundle: chain, SCT, SET and identity).
//!
//! Run with `cargo bench --bench signatures`. Prints the median of several runs.

use base64::Engine;
use kaudit::session::signature_cache;
use kaudit::signatures::keys::TrustedKey;
use kaudit::signatures::material::{Item, Material};
use kaudit::signatures::trust::{Identity, Trust};
use kaudit::signatures::{SignatureLayer, Status};
use kaudit::store::Store;
use p256::ecdsa::signature::Signer;
use p256::pkcs8::EncodePublicKey;
use std::path::Path;
use std::time::{Duration, Instant};

#[path = "common/timing.rs"]
mod timing;
use timing::median;

const IMAGES: usize = 200;
const PLATFORM: &str = "linux/amd64";

fn time<T>(runs: usize, mut f: impl FnMut() -> T) -> Duration {
    median(
        (0..runs)
            .map(|_| {
                let start = Instant::now();
                std::hint::black_box(f());
                start.elapsed()
            })
            .collect(),
    )
}

fn key_of(signing: &p256::ecdsa::SigningKey, name: &str) -> TrustedKey {
    let pem = signing
        .verifying_key()
        .to_public_key_pem(Default::default())
        .unwrap();
    TrustedKey::from_pem(name, &pem).unwrap()
}

/// One key-signed image: a `.sig` layer over its digest, and a signed SLSA provenance.
fn key_signed(n: usize, signing: &p256::ecdsa::SigningKey) -> Material {
    let b64 = base64::engine::general_purpose::STANDARD;
    let digest = format!("sha256:{n:064x}");
    let payload = serde_json::to_vec(&serde_json::json!({
        "critical": {"identity": {"docker-reference": format!("registry.example/app{n}")},
                     "image": {"docker-manifest-digest": digest},
                     "type": "cosign container image signature"},
        "optional": null
    }))
    .unwrap();
    let signature: p256::ecdsa::DerSignature = signing.sign(&payload);
    let statement = serde_json::to_vec(&serde_json::json!({
        "_type": "https://in-toto.io/Statement/v1",
        "subject": [{"digest": {"sha256": format!("{n:064x}")}}],
        "predicateType": "https://slsa.dev/provenance/v1",
        "predicate": {"runDetails": {"builder": {"id": "https://github.com/actions/runner"}}}
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
    let att: p256::ecdsa::DerSignature = signing.sign(&pae);
    let envelope = serde_json::to_vec(&serde_json::json!({
        "payloadType": "application/vnd.in-toto+json",
        "payload": b64.encode(&statement),
        "signatures": [{"sig": b64.encode(att.as_bytes())}]
    }))
    .unwrap();
    Material {
        reference: format!("registry.example/app{n}@{digest}"),
        digest: digest.clone(),
        repository: format!("registry.example/app{n}"),
        items: vec![
            Item::Signature {
                digest: digest.clone(),
                layer: SignatureLayer {
                    payload,
                    signature: b64.encode(signature.as_bytes()),
                    ..SignatureLayer::default()
                },
            },
            Item::Attestation { digest, envelope },
        ],
        ..Material::default()
    }
}

/// The corpus's real keyless signature (Fulcio certificate, chain, Rekor bundle).
fn keyless_layer() -> Option<(SignatureLayer, String)> {
    let case = Path::new(env!("CARGO_MANIFEST_DIR")).join(
        "../shared/corpus/cosign/containers-image/fixtures/dir-img-cosign-fulcio-rekor-valid",
    );
    let bytes = std::fs::read(case.join("signature-1")).ok()?;
    let json: serde_json::Value =
        serde_json::from_slice(bytes.strip_prefix(b"\0sigstore-json\n")?).ok()?;
    let text = |k: &str| json["annotations"][k].as_str().map(str::to_string);
    let manifest = std::fs::read(case.join("manifest.json")).ok()?;
    use sha2::Digest;
    let digest = format!("sha256:{:x}", sha2::Sha256::digest(manifest));
    Some((
        SignatureLayer {
            payload: base64::engine::general_purpose::STANDARD
                .decode(json["payload"].as_str()?)
                .ok()?,
            signature: text("dev.cosignproject.cosign/signature")?,
            certificate: text("dev.sigstore.cosign/certificate"),
            chain: text("dev.sigstore.cosign/chain"),
            rekor_bundle: text("dev.sigstore.cosign/bundle"),
        },
        digest,
    ))
}

/// Keeps `materials` under distinct digests, then measures reading them back and judging.
fn measure(label: &str, materials: &[Material], trust: &Trust, dir: &Path) {
    let path = dir.join(format!("{label}.db"));
    let store = Store::open(&path).unwrap();
    for (n, m) in materials.iter().enumerate() {
        signature_cache::keep(&store, &format!("sha256:{n:064x}"), PLATFORM, m);
    }
    drop(store);
    let run = || {
        let store = Store::open(&path).unwrap();
        let verdicts: Vec<_> = (0..materials.len())
            .map(|n| {
                signature_cache::load(&store, &format!("sha256:{n:064x}"), PLATFORM)
                    .expect("kept")
                    .judge(trust)
            })
            .collect();
        assert!(verdicts.iter().all(|v| v.status == Status::Verified));
        verdicts
    };
    let read_only = time(7, || {
        let store = Store::open(&path).unwrap();
        (0..materials.len())
            .filter_map(|n| signature_cache::load(&store, &format!("sha256:{n:064x}"), PLATFORM))
            .count()
    });
    let whole = time(7, run);
    println!(
        "{label}: {} images from the store and verified: {:.1} ms (reading back {:.1} ms; target < 1000 ms)",
        materials.len(),
        whole.as_secs_f64() * 1e3,
        read_only.as_secs_f64() * 1e3
    );
}

fn main() {
    let dir = tempfile::tempdir().unwrap();
    let signing = p256::ecdsa::SigningKey::from_slice(&[7u8; 32]).unwrap();
    let others = [
        p256::ecdsa::SigningKey::from_slice(&[8u8; 32]).unwrap(),
        p256::ecdsa::SigningKey::from_slice(&[9u8; 32]).unwrap(),
    ];
    let materials: Vec<Material> = (0..IMAGES).map(|n| key_signed(n, &signing)).collect();
    // Policy keys first: the signer's key is tried last, as the worst case.
    let trust = Trust::with_keys(vec![
        key_of(&others[0], "policy-a"),
        key_of(&others[1], "policy-b"),
        key_of(&signing, "release"),
    ]);
    measure("key-signed", &materials, &trust, dir.path());

    match keyless_layer() {
        Some((layer, digest)) => {
            let materials: Vec<Material> = (0..IMAGES)
                .map(|n| Material {
                    reference: format!("registry.example/keyless{n}@{digest}"),
                    digest: digest.clone(),
                    repository: format!("registry.example/keyless{n}"),
                    items: vec![Item::Signature {
                        digest: digest.clone(),
                        layer: layer.clone(),
                    }],
                    ..Material::default()
                })
                .collect();
            let mut trust = Trust::with_keys(Vec::new());
            trust.identities = vec![
                Identity::from_flags(
                    Some("mitr@redhat.com"),
                    None,
                    Some("https://github.com/login/oauth"),
                    None,
                )
                .unwrap()
                .unwrap(),
            ];
            measure("keyless (Fulcio + Rekor)", &materials, &trust, dir.path());
        }
        None => println!("keyless: SKIPPED, ../shared/corpus is not here"),
    }
}
