//! The images' signatures an audit knows (`--verify-signatures`): every image the cluster
//! runs, looked up in its registry and verified with the user's keys (`--key`) and the keys
//! written in the cluster's admission policies. What cannot be read becomes a note.

use super::image_scan::{Pull, pulls};
use super::signature_cache;
use crate::registry::{Platform, auth, client::RemoteOptions};
use crate::signatures::facts::SignatureFacts;
use crate::signatures::keyless::TrustRoot;
use crate::signatures::keys::TrustedKey;
use crate::signatures::material::Material;
use crate::signatures::trust::{Identity, Trust};
use crate::signatures::{Verdict, admission, discover};
use std::path::PathBuf;

/// How an audit verifies its images' signatures.
#[derive(Debug, Clone)]
pub struct SignatureCheck {
    /// The user's public keys (`--key`).
    pub keys: Vec<PathBuf>,
    /// The keyless signers the user trusts (`--certificate-identity`...).
    pub identities: Vec<Identity>,
    /// `--trusted-root FILE`; the embedded public-good root otherwise.
    pub trusted_root: Option<PathBuf>,
    /// kaudit's store, for what registries held next to each digest; `None` asks every time.
    pub store: Option<PathBuf>,
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
    let (policy_keys, policy_identities) = policy_trust(inventory);
    for key in policy_keys {
        if !keys.iter().any(|k| k.name == key.name) {
            keys.push(key);
        }
    }
    let mut identities = options.identities.clone();
    let own_identities = identities.len();
    identities.extend(policy_identities);
    let root = match TrustRoot::chosen(options.trusted_root.as_deref()) {
        Ok(root) => Some(std::sync::Arc::new(root)),
        Err(e) => {
            notes.push(format!(
                "the Sigstore trust root: {e}; keyless signatures and Rekor proofs are not verified"
            ));
            None
        }
    };
    let trust = Trust {
        keys,
        identities,
        root,
    };
    let pulls = pulls(inventory);
    let (verdicts, from_store) = verify_all(&pulls, &trust, options);
    let mut facts = SignatureFacts::new(format!(
        "kaudit's verification of the images' cosign signatures with {own} key{} and {own_identities} keyless signer{} of yours, and {} key{} and {} keyless signer{} from the cluster's policies",
        plural(own),
        plural(own_identities),
        trust.keys.len() - own,
        plural(trust.keys.len() - own),
        trust.identities.len() - own_identities,
        plural(trust.identities.len() - own_identities),
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
        "{} of {} images' signatures looked up ({errors} could not be; {from_store} as fetched within the hour, from the store)",
        pulls.len() - errors,
        pulls.len()
    ));
    Some(facts)
}

/// The public keys and keyless signers written in the admission policies that cover the
/// images that run.
fn policy_trust(inventory: &crate::inventory::Inventory) -> (Vec<TrustedKey>, Vec<Identity>) {
    let mut keys: Vec<TrustedKey> = Vec::new();
    let mut identities: Vec<Identity> = Vec::new();
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
            for coverage in admission::coverage(&admission, &w.namespace, &labels, image).covering {
                for key in coverage.keys {
                    if !keys.iter().any(|k| k.name == key.name) {
                        keys.push(key);
                    }
                }
                for identity in coverage.identities {
                    if !identities.iter().any(|i| i.name() == identity.name()) {
                        identities.push(identity);
                    }
                }
            }
        }
    }
    (keys, identities)
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

/// Each pull's verdict, in order: what its registry holds, from the store when fetched
/// within the hour, else fetched `PARALLEL` at a time (and kept); then judged with `trust`.
/// Also how many came from the store.
fn verify_all(pulls: &[Pull], trust: &Trust, options: &SignatureCheck) -> (Vec<Verdict>, usize) {
    let store = options
        .store
        .as_deref()
        .and_then(|p| crate::store::Store::open(p).ok());
    let mut found: Vec<Option<Result<Material, String>>> = pulls
        .iter()
        .map(|pull| {
            let (digest, platform) = cache_key(pull, options)?;
            signature_cache::load(store.as_ref()?, &digest, &platform).map(Ok)
        })
        .collect();
    let from_store = found.iter().filter(|f| f.is_some()).count();
    let missing: Vec<usize> = (0..pulls.len()).filter(|&i| found[i].is_none()).collect();
    for (i, fetched) in fetch_all(pulls, &missing, options) {
        if let (Some(store), Ok(material), Some((digest, platform))) =
            (&store, &fetched, cache_key(&pulls[i], options))
        {
            signature_cache::keep(store, &digest, &platform, material);
        }
        found[i] = Some(fetched);
    }
    let verdicts = pulls
        .iter()
        .zip(found)
        .map(|(pull, material)| match material {
            Some(Ok(material)) => material.judge(trust),
            Some(Err(e)) => Verdict::error(&pull.reference, format!("not verified: {e}")),
            None => Verdict::error(&pull.reference, "not verified: not fetched".into()),
        })
        .collect();
    (verdicts, from_store)
}

/// Where a pull's material is kept: its digest (only a reference by digest names content
/// that cannot move) and platform.
fn cache_key(pull: &Pull, options: &SignatureCheck) -> Option<(String, String)> {
    let (_, digest) = pull.reference.split_once('@')?;
    let platform = pull
        .platform
        .clone()
        .unwrap_or_else(|| options.platform.to_string());
    Some((digest.to_string(), platform))
}

/// Fetches the pulls at `which`, `PARALLEL` at a time: registry lookups wait on the network.
fn fetch_all(
    pulls: &[Pull],
    which: &[usize],
    options: &SignatureCheck,
) -> Vec<(usize, Result<Material, String>)> {
    let next = std::sync::atomic::AtomicUsize::new(0);
    let results = std::sync::Mutex::new(Vec::with_capacity(which.len()));
    std::thread::scope(|scope| {
        for _ in 0..PARALLEL.min(which.len()) {
            scope.spawn(|| {
                loop {
                    let n = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    let Some(&i) = which.get(n) else { break };
                    let fetched = fetch_one(&pulls[i], options);
                    if let Ok(mut all) = results.lock() {
                        all.push((i, fetched));
                    }
                }
            });
        }
    });
    results.into_inner().unwrap_or_default()
}

fn fetch_one(pull: &Pull, options: &SignatureCheck) -> Result<Material, String> {
    let registry = crate::image_ref::ImageRef::parse(&pull.reference)
        .map(|r| r.registry)
        .unwrap_or_default();
    let platform = pull
        .platform
        .as_deref()
        .and_then(Platform::parse)
        .unwrap_or_else(|| options.platform.clone());
    let credentials = auth::from_docker_config(&registry)?;
    discover::fetch(
        &pull.reference,
        &platform,
        RemoteOptions {
            insecure: options.insecure.clone(),
            timeout: options.timeout,
            credentials,
        },
    )
    .map_err(|e| e.to_string())
}

/// One recorded verdict of the demo.
#[derive(serde::Deserialize)]
struct Recorded {
    image: String,
    status: String,
    reason: String,
    #[serde(default)]
    key: Option<String>,
    /// A keyless signer (certificate subject and issuer).
    #[serde(default)]
    identity: Option<String>,
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
                identity: r.identity.clone(),
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
