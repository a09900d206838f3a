//! Finding an image's cosign signatures and attestations in its registry (the tag schema:
//! `sha256-<hex>.sig` and `.att` next to the image) and its referrers, for the digest the
//! reference names and, for a multi-platform index, for the platform image too.

use super::material::{Item, Material};
use super::trust::Trust;
use super::{SignatureLayer, Verdict};
use crate::registry::client::{Remote, RemoteOptions};
use crate::registry::manifest::{self, Document};
use crate::registry::{Descriptor, ImageSource, Platform, RegistryError};
use std::io::Read;

/// The layer media type of a cosign signature.
pub const SIMPLE_SIGNING: &str = "application/vnd.dev.cosign.simplesigning.v1+json";
/// The layer media type of a cosign attestation.
pub const DSSE_ENVELOPE: &str = "application/vnd.dsse.envelope.v1+json";
/// A Sigstore bundle's layer (cosign v3's signatures and attestations, as OCI referrers).
pub const SIGSTORE_BUNDLE: &str = "application/vnd.dev.sigstore.bundle.v0.3+json";
/// A Notary Project signature's artifact type (or, in older ones, config media type).
pub const NOTARY_SIGNATURE: &str = "application/vnd.cncf.notary.signature";
const SIGNATURE_ANNOTATION: &str = "dev.cosignproject.cosign/signature";
const CERTIFICATE_ANNOTATION: &str = "dev.sigstore.cosign/certificate";
const CHAIN_ANNOTATION: &str = "dev.sigstore.cosign/chain";
const BUNDLE_ANNOTATION: &str = "dev.sigstore.cosign/bundle";

/// A signature payload is a few hundred bytes; an attestation (an SBOM) can be large.
const MAX_PAYLOAD_BYTES: u64 = 1 << 20;
const MAX_ENVELOPE_BYTES: u64 = 32 << 20;
/// Signature or attestation layers looked at per tag (each signer appends one).
const MAX_LAYERS: usize = 64;

/// Verifies one image: finds its signatures and attestations and judges them with what
/// `trust` holds. A registry that cannot be asked gives status `error`, never `unsigned`.
pub fn verify(
    reference: &str,
    trust: &Trust,
    platform: &Platform,
    options: RemoteOptions,
) -> Verdict {
    match fetch(reference, platform, options) {
        Ok(material) => material.judge(trust),
        Err(e) => Verdict::error(reference, format!("not verified: {e}")),
    }
}

/// Everything the registry holds next to `reference` (and its `platform` image, for an
/// index): the `.sig` and `.att` tags' layers and the referrers' bundles and Notary
/// signatures, read with their size caps.
pub fn fetch(
    reference: &str,
    platform: &Platform,
    options: RemoteOptions,
) -> Result<Material, RegistryError> {
    let mut remote = Remote::new(reference, options)?;
    let image = remote.reference().clone();
    let asked = image
        .digest
        .clone()
        .or_else(|| image.tag.clone())
        .unwrap_or_else(|| "latest".into());
    let (bytes, digest) = remote.manifest_bytes(&asked)?;
    let document = Document::parse(reference, &bytes)?;
    let mut material = Material {
        reference: reference.to_string(),
        digest: digest.clone(),
        repository: format!("{}/{}", image.registry, image.repository),
        ..Material::default()
    };
    let mut digests = vec![digest];
    if document.is_index() {
        let chosen = document.select(reference, platform)?;
        material.platform_digest = Some(chosen.digest.clone());
        digests.push(chosen.digest);
    }
    for d in &digests {
        let Some(hex) = manifest::sha256_hex(d) else {
            continue;
        };
        for layer in layers(&mut remote, &format!("sha256-{hex}.sig"), SIMPLE_SIGNING)? {
            material.items.push(match layer {
                Ok((descriptor, payload)) => Item::Signature {
                    digest: d.clone(),
                    layer: SignatureLayer {
                        payload,
                        signature: annotation(&descriptor, SIGNATURE_ANNOTATION),
                        certificate: non_empty(annotation(&descriptor, CERTIFICATE_ANNOTATION)),
                        chain: non_empty(annotation(&descriptor, CHAIN_ANNOTATION)),
                        rekor_bundle: non_empty(annotation(&descriptor, BUNDLE_ANNOTATION)),
                    },
                },
                Err(reason) => Item::Unreadable {
                    digest: d.clone(),
                    reason,
                },
            });
        }
        for layer in layers(&mut remote, &format!("sha256-{hex}.att"), DSSE_ENVELOPE)? {
            match layer {
                Ok((_, envelope)) => material.items.push(Item::Attestation {
                    digest: d.clone(),
                    envelope,
                }),
                Err(reason) => material.warnings.push(format!("an attestation: {reason}")),
            }
        }
    }
    for d in &digests {
        match remote.referrers(d) {
            Ok(found) => {
                for referrer in found.into_iter().take(MAX_LAYERS) {
                    if let Err(e) = referrer_of(&mut remote, &referrer, d, &mut material) {
                        material
                            .warnings
                            .push(format!("referrer {}: {e}", referrer.digest));
                    }
                }
            }
            Err(e) => material.referrers_failed = Some(e.to_string()),
        }
    }
    Ok(material)
}

fn non_empty(text: String) -> Option<String> {
    Some(text).filter(|t| !t.is_empty())
}

/// One referrer of `digest`: a Sigstore bundle (a signature or an attestation) or a Notary
/// signature, classified by its layers and artifact type (the fallback index's own
/// artifactType is not trusted: older cosign versions wrote the empty type there).
fn referrer_of(
    remote: &mut Remote,
    referrer: &Descriptor,
    digest: &str,
    material: &mut Material,
) -> Result<(), RegistryError> {
    if manifest::sha256_hex(&referrer.digest).is_none() {
        return Ok(());
    }
    let (bytes, _) = remote.manifest_bytes(&referrer.digest)?;
    let name = remote.name().to_string();
    let document = Document::parse(&name, &bytes)?;
    let artifact = [
        document.artifact_type.as_str(),
        referrer.artifact_type.as_str(),
        document
            .config
            .as_ref()
            .map_or("", |c| c.media_type.as_str()),
    ];
    if artifact.contains(&NOTARY_SIGNATURE) {
        material.items.push(Item::Notary {
            digest: digest.to_string(),
        });
        return Ok(());
    }
    for layer in document
        .layers
        .iter()
        .filter(|l| l.media_type == SIGSTORE_BUNDLE)
        .take(MAX_LAYERS)
    {
        if layer.size > MAX_ENVELOPE_BYTES {
            material.warnings.push(format!(
                "a Sigstore bundle of {} bytes; not read",
                layer.size
            ));
            continue;
        }
        let mut bytes = Vec::new();
        remote.blob(layer).and_then(|mut blob| {
            blob.read_to_end(&mut bytes)
                .map_err(|e| RegistryError::invalid(&name, &layer.digest, e.to_string()))
        })?;
        material.items.push(Item::Bundle {
            digest: digest.to_string(),
            layer_digest: layer.digest.clone(),
            bytes,
        });
    }
    Ok(())
}

fn annotation(descriptor: &Descriptor, key: &str) -> String {
    descriptor.annotations.get(key).cloned().unwrap_or_default()
}

/// One layer found under a tag: its descriptor and bytes, or why it could not be read.
type Found = Result<(Descriptor, Vec<u8>), String>;

/// The layers of `media_type` under `tag`; none when the tag does not exist. A layer that
/// is too big or does not match its digest is a reason, not an error of the whole image.
fn layers(remote: &mut Remote, tag: &str, media_type: &str) -> Result<Vec<Found>, RegistryError> {
    let bytes = match remote.manifest_bytes(tag) {
        Ok((bytes, _)) => bytes,
        Err(RegistryError::NotFound { .. }) => return Ok(Vec::new()),
        Err(e) => return Err(e),
    };
    let name = remote.name().to_string();
    let document = Document::parse(&name, &bytes)?;
    let cap = if media_type == SIMPLE_SIGNING {
        MAX_PAYLOAD_BYTES
    } else {
        MAX_ENVELOPE_BYTES
    };
    let mut out = Vec::new();
    // Only layers of the type asked for count: a text attachment with a signature
    // annotation is not a signature.
    for descriptor in document
        .layers
        .into_iter()
        .filter(|l| l.media_type == media_type)
        .take(MAX_LAYERS)
    {
        if descriptor.size > cap {
            out.push(Err(format!(
                "a layer of {} bytes, more than a {} holds; not read",
                descriptor.size,
                if media_type == SIMPLE_SIGNING {
                    "signature"
                } else {
                    "attestation"
                }
            )));
            continue;
        }
        let mut bytes = Vec::new();
        let read = remote
            .blob(&descriptor)
            .and_then(|mut blob| {
                blob.read_to_end(&mut bytes)
                    .map_err(|e| RegistryError::invalid(&name, &descriptor.digest, e.to_string()))
            })
            .map_err(|e| format!("its layer could not be read: {e}"));
        out.push(read.map(|_| (descriptor, bytes)));
    }
    Ok(out)
}
