//! The images' signatures an audit knows (`--verify-signatures`): every image the cluster
//! runs, looked up in its registry and verified with the user's keys (`--key`) and the keys
//! written in the cluster's admission policies. What cannot be read becomes a note.

use super::image_scan::{Pull, pulls};
use crate::registry::{Platform, auth, client::RemoteOptions};
use crate::signatures::facts::SignatureFacts;
use crate::signatures::keys::TrustedKey;
use crate::signatures::{Verdict, admission, discover};
use std::path::PathBuf;

/// How an audit verifies its images' signatures.
#[derive(Debug, Clone)]
pub struct SignatureCheck {
    /// The user's public keys (`--key`).
    pub keys: Vec<PathBuf>,
    pub platform: Platform,
    pub insecure: Vec<String>,
    pub timeout: std::time::Duration,
}

/// Images verified at once: registry lookups wait on the network.
const PARALLEL: usize = 4;

/// Verifies every image the inventory runs; `None` when not asked. The demo has its
/// verdicts recorded.
pub fn gather(
    source: &crate::sources::Source,
    inventory: &crate::inventory::Inventory,
    options: Option<&SignatureCheck>,
    notes: &mut Vec<String>,
) -> Option<SignatureFacts> {
    if matches!(source, crate::sources::Source::Demo) && options.is_none() {
        return match demo() {
            Ok(facts) => Some(facts),
            Err(e) => {
                notes.push(format!("the demo's recorded signatures: {e}"));
                None
            }
        };
    }
    let options = options?;
    let mut keys = Vec::new();
    for path in &options.keys {
        match TrustedKey::load(path) {
            Ok(key) => keys.push(key),
            Err(e) => notes.push(format!("--key {e}; not used")),
        }
    }
    let own = keys.len();
    for key in policy_keys(inventory) {
        if !keys.iter().any(|k| k.name == key.name) {
            keys.push(key);
        }
    }
    let pulls = pulls(inventory);
    let verdicts = verify_all(&pulls, &keys, options);
    let mut facts = SignatureFacts::new(format!(
        "kaudit's verification of the images' cosign signatures with {own} key{} of yours and {} from the cluster's policies",
        if own == 1 { "" } else { "s" },
        keys.len() - own
    ));
    let mut errors = 0;
    for (pull, verdict) in pulls.iter().zip(verdicts) {
        if verdict.status == crate::signatures::Status::Error {
            errors += 1;
            notes.push(format!(
                "image {}: signatures not verified: {}",
                pull.label(),
                verdict.reason
            ));
        }
        facts.insert(&pull.written_as, verdict);
    }
    notes.push(format!(
        "{} of {} images' signatures looked up ({errors} could not be)",
        pulls.len() - errors,
        pulls.len()
    ));
    Some(facts)
}

/// The public keys written in the admission policies that cover the images that run.
fn policy_keys(inventory: &crate::inventory::Inventory) -> Vec<TrustedKey> {
    let mut keys: Vec<TrustedKey> = Vec::new();
    let admission = admission::Admission::of(inventory);
    for w in crate::checks::audited_workloads(inventory) {
        let labels = inventory
            .namespaces
            .get(&*w.namespace)
            .map(|n| n.labels.clone())
            .unwrap_or_default();
        for c in &w.container_ids {
            let Some(image) = c.image.as_deref() else {
                continue;
            };
            let found = admission::coverage(&admission, &w.namespace, &labels, image);
            for key in found.covering.into_iter().flat_map(|c| c.keys) {
                if !keys.iter().any(|k| k.name == key.name) {
                    keys.push(key);
                }
            }
        }
    }
    keys
}

/// Each pull's verdict, in order, `PARALLEL` at a time.
fn verify_all(pulls: &[Pull], keys: &[TrustedKey], options: &SignatureCheck) -> Vec<Verdict> {
    let next = std::sync::atomic::AtomicUsize::new(0);
    let results = std::sync::Mutex::new(Vec::with_capacity(pulls.len()));
    std::thread::scope(|scope| {
        for _ in 0..PARALLEL.min(pulls.len()) {
            scope.spawn(|| {
                loop {
                    let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    let Some(pull) = pulls.get(i) else { break };
                    let verdict = verify_one(pull, keys, options);
                    if let Ok(mut all) = results.lock() {
                        all.push((i, verdict));
                    }
                }
            });
        }
    });
    let mut results = results.into_inner().unwrap_or_default();
    results.sort_by_key(|(i, _)| *i);
    results.into_iter().map(|(_, v)| v).collect()
}

fn verify_one(pull: &Pull, keys: &[TrustedKey], options: &SignatureCheck) -> Verdict {
    let registry = crate::image_ref::ImageRef::parse(&pull.reference)
        .map(|r| r.registry)
        .unwrap_or_default();
    let platform = pull
        .platform
        .as_deref()
        .and_then(Platform::parse)
        .unwrap_or_else(|| options.platform.clone());
    let credentials = match auth::from_docker_config(&registry) {
        Ok(c) => c,
        Err(e) => return Verdict::error(&pull.reference, format!("not verified: {e}")),
    };
    discover::verify(
        &pull.reference,
        keys,
        &platform,
        RemoteOptions {
            insecure: options.insecure.clone(),
            timeout: options.timeout,
            credentials,
        },
    )
}

/// One recorded verdict of the demo.
#[derive(serde::Deserialize)]
struct Recorded {
    image: String,
    status: String,
    reason: String,
    #[serde(default)]
    key: Option<String>,
    /// Every name the verifying key goes by (the same key in several policies).
    #[serde(default)]
    verified_by: Vec<String>,
    #[serde(default)]
    attestation: Option<RecordedAttestation>,
    /// `bundle` for a Sigstore bundle; a cosign `.sig` otherwise.
    #[serde(default)]
    format: String,
}

#[derive(serde::Deserialize)]
struct RecordedAttestation {
    predicate_type: String,
    builder_id: String,
    source: String,
}

fn demo() -> Result<SignatureFacts, String> {
    use crate::signatures::{Attestation, SignatureCheck, Status, payload};
    let recorded: Vec<Recorded> = serde_json::from_str(crate::sources::demo::recorded_signatures())
        .map_err(|e| e.to_string())?;
    let mut facts = SignatureFacts::new("the demo's recorded signature verdicts");
    for r in recorded {
        let status = match r.status.as_str() {
            "verified" => Status::Verified,
            "unverified" => Status::Unverified,
            "invalid" => Status::Invalid,
            "unsigned" => Status::Unsigned,
            _ => Status::Error,
        };
        let digest = crate::image_ref::ImageRef::parse(&r.image).and_then(|i| i.digest);
        let signatures = if status == Status::Unsigned {
            Vec::new()
        } else {
            vec![SignatureCheck {
                digest: digest.clone().unwrap_or_default(),
                key: r.key.clone(),
                verified_by: if r.verified_by.is_empty() {
                    r.key.iter().cloned().collect()
                } else {
                    r.verified_by.clone()
                },
                status,
                format: if r.format == "bundle" {
                    crate::signatures::admission::Format::Bundle
                } else {
                    crate::signatures::admission::Format::Legacy
                },
                reason: r.reason.clone(),
                docker_reference: String::new(),
            }]
        };
        let attestations = r
            .attestation
            .map(|a| Attestation {
                digest: digest.clone().unwrap_or_default(),
                kind: payload::predicate_kind(&a.predicate_type),
                statement: payload::Statement {
                    predicate_type: a.predicate_type,
                    subjects: Vec::new(),
                    builder_id: a.builder_id,
                    source: a.source,
                },
                key: r.key.clone(),
                reason: format!("signed by {}", r.key.as_deref().unwrap_or("an unknown key")),
            })
            .into_iter()
            .collect();
        let image = r.image.clone();
        facts.insert(
            &[image],
            Verdict {
                image: r.image,
                digest,
                platform_digest: None,
                status,
                reason: r.reason,
                signatures,
                attestations,
                warnings: Vec::new(),
            },
        );
    }
    Ok(facts)
}
